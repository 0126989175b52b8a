/*
 * test-backup.c - the backup probe on real directories whose files get
 * their mtimes through utimensat: newest, age, size and count, hidden
 * files, recursion and its depth limit, links, the entry cap, marker
 * files, no match, and directories that cannot be read.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backup.h"
#include "cfgerr.h"
#include "obs.h"
#include "probe.h"
#include "testutil.h"
#include "xmalloc.h"

static char *dir;

static void
set_mtime(const char *rel, const struct timespec *when)
{
	char *path = xasprintf("%s/%s", dir, rel);

	tu_set_mtime(path, when);
	free(path);
}

/* Set the mtime of dir/rel to age_s seconds before now. */
static void
age_file(const char *rel, time_t age_s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec -= age_s;
	set_mtime(rel, &ts);
}

/* Create dir/rel with size bytes and an mtime age_s seconds ago. */
static void
make_file(const char *rel, size_t size, time_t age_s)
{
	char *path = xasprintf("%s/%s", dir, rel);
	char *content = xmalloc(size + 1);

	memset(content, 'b', size);
	content[size] = '\0';
	tu_write_file(path, content);
	free(content);
	free(path);
	age_file(rel, age_s);
}

static void
make_dir(const char *rel)
{
	char *path = xasprintf("%s/%s", dir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
	free(path);
}

static int
setup(void **state)
{
	(void)state;
	dir = tu_mkdtemp("backup");
	/* the unreadable-directory test scans from an unprivileged child */
	if (chmod(dir, 0755) < 0)
		return -1;
	/* non-recursive view: two archives, a hidden temporary, a log */
	make_file("mail-2026-11-20.tar.zst", 1234, 3600);
	make_file("mail-2026-11-19.tar.zst", 99, 90000);
	make_file(".mail-2026-11-21.tar.zst", 5, 10); /* in progress */
	make_file("backup.log", 10, 5);
	make_dir("old");
	make_file("old/mail-2026-11-21.tar.zst", 777, 60);
	return 0;
}

static int
teardown(void **state)
{
	int rc = tu_rm_rf(dir);

	(void)state;
	free(dir);
	return rc;
}

static void
backup_scan__flat_directory__newest_age_size_count(void **state)
{
	struct backup_result r;
	char *err = NULL;
	struct timespec now;

	(void)state;
	age_file("mail-2026-11-20.tar.zst", 3600);
	assert_int_equal(backup_scan(dir, "*.tar.zst", 0, 100000, &r, &err), 0);
	assert_int_equal(r.count, 2);
	assert_string_equal(r.newest, "mail-2026-11-20.tar.zst");
	assert_int_equal(r.size, 1234);
	clock_gettime(CLOCK_REALTIME, &now);
	double age = backup_age_s(&r.mtime, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	assert_near(age, 3600, 1.0);
	backup_result_free(&r);
}

static void
backup_scan__recursive__descends_and_names_relative_path(void **state)
{
	struct backup_result r;
	char *err = NULL;

	(void)state;
	assert_int_equal(backup_scan(dir, "*.tar.zst", 1, 100000, &r, &err), 0);
	assert_int_equal(r.count, 3);
	assert_string_equal(r.newest, "old/mail-2026-11-21.tar.zst");
	assert_int_equal(r.size, 777);
	backup_result_free(&r);
}

static void
backup_scan__deep_tree__stops_below_depth_8(void **state)
{
	char rel[256] = "deep";
	struct backup_result r;
	char *err = NULL;

	(void)state;
	make_dir(rel);
	for (int level = 2; level <= 9; level++) {
		strcat(rel, "/d");
		make_dir(rel);
	}
	/* deep/d/d/d/d/d/d/d is 8 levels below dir, deep/d/.../d 9 */
	make_file("deep/d/d/d/d/d/d/d/at-8.tgz", 8, 100);
	make_file("deep/d/d/d/d/d/d/d/d/at-9.tgz", 9, 1);
	assert_int_equal(backup_scan(dir, "*.tgz", 1, 100000, &r, &err), 0);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.newest, "deep/d/d/d/d/d/d/d/at-8.tgz");
	backup_result_free(&r);
	assert_int_equal(backup_scan(dir, "*.tgz", 0, 100000, &r, &err), 0);
	assert_int_equal(r.count, 0);
	assert_null(r.newest);
	backup_result_free(&r);
	char *deep = xasprintf("%s/deep", dir);
	assert_int_equal(tu_rm_rf(deep), 0);
	free(deep);
}

static void
backup_scan__links_and_ties__followed_files_greater_name(void **state)
{
	char sub[128];
	struct backup_result r;
	char *err = NULL;

	(void)state;
	snprintf(sub, sizeof(sub), "links");
	make_dir(sub);
	make_file("links/a.dump", 10, 500);
	make_file("links/b.dump", 20, 500);
	struct timespec same = {time(NULL) - 500, 123456789};
	set_mtime("links/a.dump", &same); /* same mtime: the greater name wins */
	set_mtime("links/b.dump", &same);
	char *target = xasprintf("%s/links/a.dump", dir);
	char *link = xasprintf("%s/links/0-latest.dump", dir);
	char *dangling = xasprintf("%s/links/gone.dump", dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(symlink("/nonexistent/x.dump", dangling), 0);
	char *path = xasprintf("%s/links", dir);

	assert_int_equal(backup_scan(path, "*.dump", 0, 100000, &r, &err), 0);
	assert_int_equal(r.count, 3); /* a, b and the link to a; not the dangling one */
	assert_string_equal(r.newest, "b.dump");
	assert_int_equal(r.size, 20);
	backup_result_free(&r);

	/* a link to a directory is not descended into */
	char *dlink = xasprintf("%s/links/loop", dir);
	assert_int_equal(symlink(path, dlink), 0);
	assert_int_equal(backup_scan(path, "*.dump", 1, 100000, &r, &err), 0);
	assert_int_equal(r.count, 3);
	backup_result_free(&r);

	assert_int_equal(tu_rm_rf(path), 0);
	free(dlink);
	free(target);
	free(link);
	free(dangling);
	free(path);
}

static void
backup_scan__more_entries_than_cap__error(void **state)
{
	struct backup_result r;
	char *err = NULL;

	(void)state;
	/* dir holds 5 entries (the hidden file and "old" included) */
	assert_int_equal(backup_scan(dir, "*.tar.zst", 0, 4, &r, &err), -1);
	char *want = xasprintf("more than 4 entries under %s (max_entries)", dir);
	assert_string_equal(err, want);
	assert_int_equal(r.count, 0);
	assert_null(r.newest);
	free(want);
	free(err);
	err = NULL;
	assert_int_equal(backup_scan(dir, "*.tar.zst", 0, 5, &r, &err), 0);
	assert_int_equal(r.count, 2);
	backup_result_free(&r);
}

static void
backup_scan__missing_directory__error(void **state)
{
	struct backup_result r;
	char *err = NULL;

	(void)state;
	assert_int_equal(backup_scan("/nonexistent/backup", "*", 0, 10, &r, &err), -1);
	assert_string_equal(err, "opendir /nonexistent/backup: No such file or directory");
	free(err);
}

/* Permission checks do not apply to root: the scan runs in a child that
   gives up root first. */
static void
backup_scan__unreadable_directory__permission_error(void **state)
{
	int fds[2];
	char msg[512] = "";

	(void)state;
	make_dir("locked");
	make_file("locked/x.tar", 1, 1);
	char locked[128];
	snprintf(locked, sizeof(locked), "%s/locked", dir);
	assert_int_equal(chmod(locked, 0), 0);
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct backup_result r;
		char *err = NULL;
		close(fds[0]);
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(2);
		int rc = backup_scan(locked, "*.tar", 0, 10, &r, &err);
		if (rc == 0)
			_exit(1);
		ssize_t w = write(fds[1], err, strlen(err));
		free(err);
		_exit(w < 0 ? 3 : 0);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], msg, sizeof(msg) - 1);
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(n > 0);
	msg[n] = '\0';
	char *want = xasprintf("opendir %s: Permission denied", locked);
	assert_string_equal(msg, want);
	free(want);
	assert_int_equal(chmod(locked, 0755), 0);
	assert_int_equal(tu_rm_rf(locked), 0);
}

static void
backup_marker__exists_or_not__count_age_size(void **state)
{
	struct backup_result r;
	char *err = NULL;
	struct timespec now;

	(void)state;
	make_file("success.stamp", 42, 7200);
	char *marker = xasprintf("%s/success.stamp", dir);
	assert_int_equal(backup_marker(marker, &r, &err), 0);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.newest, "success.stamp");
	assert_int_equal(r.size, 42);
	clock_gettime(CLOCK_REALTIME, &now);
	assert_near(backup_age_s(&r.mtime, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000),
	            7200, 1.0);
	backup_result_free(&r);
	unlink(marker);
	assert_int_equal(backup_marker(marker, &r, &err), 0);
	assert_int_equal(r.count, 0);
	assert_null(r.newest);
	free(marker);
}

static void
backup_age_s__ms_precision__exact(void **state)
{
	struct timespec m = {1000, 250000000};
	(void)state;
	assert_near(backup_age_s(&m, 1010750), 10.5, 1e-12);
}

/* ---- whole runs --------------------------------------------------------- */

static int
ctx_configure(struct tu_probe *c, const char *yaml)
{
	return tu_probe_configure(c, &probe_backup_ops, "nightly", yaml, 10000);
}

static void
backup_run__pattern__metrics_and_newest_fact(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	char *yaml = xasprintf("path: %s\npattern: \"*.tar.zst\"\n", dir);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	age_file("mail-2026-11-20.tar.zst", 3600);
	age_file("old/mail-2026-11-21.tar.zst", 60);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_near(*obs_get_metric(&o, "count"), 2, 0);
	assert_near(*obs_get_metric(&o, "age_s"), 3600, 1.0);
	assert_near(*obs_get_metric(&o, "size_bytes"), 1234, 0);
	assert_string_equal(obs_get_fact(&o, "newest"), "mail-2026-11-20.tar.zst");
	obs_free(&o);
	tu_probe_free(&c);
	free(yaml);

	yaml = xasprintf("path: %s\npattern: \"*.tar.zst\"\nrecursive: yes\n", dir);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	age_file("old/mail-2026-11-21.tar.zst", 60);
	tu_probe_run(&c, &o);
	assert_near(*obs_get_metric(&o, "count"), 3, 0);
	assert_near(*obs_get_metric(&o, "age_s"), 60, 1.0);
	assert_string_equal(obs_get_fact(&o, "newest"), "old/mail-2026-11-21.tar.zst");
	obs_free(&o);
	tu_probe_free(&c);
	free(yaml);
}

static void
backup_run__no_match__count_zero_without_age(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	char *yaml = xasprintf("path: %s\npattern: \"*.borg\"\n", dir);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_near(*obs_get_metric(&o, "count"), 0, 0);
	assert_null(obs_get_metric(&o, "age_s"));
	assert_null(obs_get_metric(&o, "size_bytes"));
	assert_null(obs_get_fact(&o, "newest"));
	obs_free(&o);
	tu_probe_free(&c);
	free(yaml);
}

static void
backup_run__missing_path_or_marker__error_or_zero(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "path: /nonexistent/bk\npattern: '*'\n"), 0);
	tu_probe_run(&c, &o);
	assert_string_equal(o.error, "opendir /nonexistent/bk: No such file or directory");
	obs_free(&o);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "marker: /nonexistent/bk/done\n"), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_near(*obs_get_metric(&o, "count"), 0, 0);
	assert_null(obs_get_metric(&o, "age_s"));
	obs_free(&o);
	tu_probe_free(&c);

	make_file("done", 3, 30);
	char *yaml = xasprintf("marker: %s/done\n", dir);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	tu_probe_run(&c, &o);
	assert_near(*obs_get_metric(&o, "count"), 1, 0);
	assert_near(*obs_get_metric(&o, "age_s"), 30, 1.0);
	assert_near(*obs_get_metric(&o, "size_bytes"), 3, 0);
	assert_string_equal(obs_get_fact(&o, "newest"), "done");
	obs_free(&o);
	tu_probe_free(&c);
	free(yaml);
	char *p = xasprintf("%s/done", dir);
	unlink(p);
	free(p);
}

static void
backup_configure__bad_combinations__errors(void **state)
{
	static const char *const bad[] = {
	    "probe: backup\n",
	    "path: /backup\n",
	    "pattern: '*.tar'\n",
	    "marker: /backup/done\npath: /backup\n",
	    "marker: backup/done\n",
	    "marker: /backup/done\nrecursive: true\n",
	    "path: backup\npattern: '*.tar'\n",
	    "path: /backup\npattern: 'x/*.tar'\n",
	    "path: /backup\npattern: '*.tar'\nmax_entries: 0\n",
	    "path: /backup\npattern: '*.tar'\nrecursive: maybe\n",
	};
	struct tu_probe c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctx_configure(&c, bad[i]), -1);
		assert_true(c.errs.n >= 1);
		assert_null(c.t.conf);
		tu_probe_free(&c);
	}
	assert_int_equal(ctx_configure(&c, "path: /backup\npattern: '*.tar'\nmax_entries: 10\n"),
	                 0);
	tu_probe_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(backup_scan__flat_directory__newest_age_size_count),
	    cmocka_unit_test(backup_scan__recursive__descends_and_names_relative_path),
	    cmocka_unit_test(backup_scan__deep_tree__stops_below_depth_8),
	    cmocka_unit_test(backup_scan__links_and_ties__followed_files_greater_name),
	    cmocka_unit_test(backup_scan__more_entries_than_cap__error),
	    cmocka_unit_test(backup_scan__missing_directory__error),
	    cmocka_unit_test(backup_scan__unreadable_directory__permission_error),
	    cmocka_unit_test(backup_marker__exists_or_not__count_age_size),
	    cmocka_unit_test(backup_age_s__ms_precision__exact),
	    cmocka_unit_test(backup_run__pattern__metrics_and_newest_fact),
	    cmocka_unit_test(backup_run__no_match__count_zero_without_age),
	    cmocka_unit_test(backup_run__missing_path_or_marker__error_or_zero),
	    cmocka_unit_test(backup_configure__bad_combinations__errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
