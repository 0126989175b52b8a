/*
 * test-process.c - the process probe: /proc/PID/stat, statm, cmdline and
 * /proc/stat parsing on captured files, the cpu arithmetic between two
 * captured samples, scans of a captured /proc tree, and whole runs
 * against the test's own children (uniquely named copies of sleep).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
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

#include "cfgerr.h"
#include "obs.h"
#include "probe.h"
#include "process.h"
#include "rx.h"
#include "testutil.h"
#include "xmalloc.h"

#define PROC_FIXTURE TEST_DATA_DIR "/proc"

static struct process_stat
stat_of(const char *file)
{
	size_t len;
	char *text = tu_slurp(file, &len);
	struct process_stat ps;

	assert_int_equal(process_stat_parse(text, len, &ps), 0);
	free(text);
	return ps;
}

/* ---- parsers on captured files ------------------------------------------ */

static void
process_stat_parse__comm_with_space_and_paren__fields_after_it(void **state)
{
	struct process_stat ps = stat_of(PROC_FIXTURE "/16433/stat");

	(void)state;
	/* 16433 (a b) c) S 16427 ... 4194304 ... 0 0 ... 30304 ... */
	assert_int_equal(ps.pid, 16433);
	assert_int_equal(ps.state, 'S');
	assert_int_equal(ps.flags, 4194304);
	assert_int_equal(ps.utime, 0);
	assert_int_equal(ps.stime, 0);
	assert_int_equal(ps.starttime, 30304);
	assert_int_equal(ps.flags & PROCESS_PF_KTHREAD, 0);
}

static void
process_stat_parse__kernel_thread_zombie_busy__flags_state_ticks(void **state)
{
	struct process_stat ps;

	(void)state;
	ps = stat_of(PROC_FIXTURE "/2/stat");
	assert_int_equal(ps.pid, 2);
	assert_int_not_equal(ps.flags & PROCESS_PF_KTHREAD, 0);
	assert_int_equal(ps.starttime, 10);
	ps = stat_of(PROC_FIXTURE "/16438/stat");
	assert_int_equal(ps.state, 'Z');
	ps = stat_of(PROC_FIXTURE "/16614/stat");
	assert_int_equal(ps.state, 'R');
	assert_int_equal(ps.utime, 152);
	assert_int_equal(ps.stime, 0);
	assert_int_equal(ps.starttime, 30713);
}

static void
process_stat_parse__malformed__rejected(void **state)
{
	struct process_stat ps;
	static const char *const bad[] = {
	    "",
	    "abc",
	    "0 (x) S 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5",
	    "12 (x S 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5",
	    "12 (x) S 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0",    /* no starttime */
	    "12 (x) S 1 1 1 0 -1 0 0 0 0 0 -1 2 0 0 20 0 1 0 5", /* negative utime */
	    "12 (x)",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(process_stat_parse(bad[i], strlen(bad[i]), &ps), -1);
	const char *ok = "12 (x) S 1 1 1 0 -1 64 0 0 0 0 7 3 0 0 20 0 1 0 5 0 0\n";
	assert_int_equal(process_stat_parse(ok, strlen(ok), &ps), 0);
	assert_int_equal(ps.utime + ps.stime, 10);
	assert_int_equal(ps.starttime, 5);
}

static void
process_statm_btime_parse__captured_files__exact_values(void **state)
{
	size_t len;
	char *text;
	uint64_t pages = 0;
	int64_t btime = 0;

	(void)state;
	text = tu_slurp(PROC_FIXTURE "/16433/statm", &len);
	assert_int_equal(process_statm_parse(text, len, &pages), 0);
	assert_int_equal(pages, 452); /* status says VmRSS 1808 kB = 452 * 4 */
	free(text);
	text = tu_slurp(PROC_FIXTURE "/stat", &len);
	assert_int_equal(process_btime_parse(text, len, &btime), 0);
	assert_int_equal(btime, 1795290236);
	free(text);
	assert_int_equal(process_btime_parse("cpu 1 2 3\n", 10, &btime), -1);
	assert_int_equal(process_statm_parse("12", 2, &pages), -1);
}

static void
process_pidfile_parse__variants__pid_or_refusal(void **state)
{
	int pid = 0;
	static const char *const bad[] = {"",     "\n",      "abc\n",         "0\n",
	                                  "-5\n", "12 34\n", "99999999999\n", "12abc\n"};

	(void)state;
	assert_int_equal(process_pidfile_parse("1234\n", 5, &pid), 0);
	assert_int_equal(pid, 1234);
	assert_int_equal(process_pidfile_parse("  42 \r\n", 7, &pid), 0);
	assert_int_equal(pid, 42);
	assert_int_equal(process_pidfile_parse("77", 2, &pid), 0);
	assert_int_equal(pid, 77);
	/* some daemons write more lines after the pid */
	assert_int_equal(process_pidfile_parse("99\n/var/run/x.sock\n", 19, &pid), 0);
	assert_int_equal(pid, 99);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(process_pidfile_parse(bad[i], strlen(bad[i]), &pid), -1);
}

static void
process_cmdline__captured_file__flattened_and_argv0(void **state)
{
	size_t len;
	char *text = tu_slurp(PROC_FIXTURE "/16436/cmdline", &len);

	(void)state;
	assert_int_equal(process_argv0_is(text, len, "mxsla-long-daemon-name"), 1);
	assert_int_equal(process_argv0_is(text, len, "mxsla-long-daem"), 0);
	len = process_cmdline_flatten(text, len);
	assert_string_equal(text, "/tmp/sys-cap/bin/mxsla-long-daemon-name 1000 5");
	assert_int_equal(len, strlen(text));
	free(text);
	char empty[1] = "";
	assert_int_equal(process_cmdline_flatten(empty, 0), 0);
}

static void
process_name_match__kernel_truncation__needs_argv0(void **state)
{
	(void)state;
	assert_int_equal(process_name_match("master", "master"), 1);
	assert_int_equal(process_name_match("master", "maste"), 0);
	assert_int_equal(process_name_match("maste", "master"), 0);
	assert_int_equal(process_name_match("mxsla-long-daemon-name", "mxsla-long-daem"), 2);
	assert_int_equal(process_name_match("mxsla-long-daem", "mxsla-long-daem"), 1);
	assert_int_equal(process_name_match("mxsla-long-daemon-name", "mxsla-long-dae"), 0);
}

static void
process_cpu__captured_busy_loop__ticks_over_wall_time(void **state)
{
	/* stat.later was read 1.009 s after stat (tests/data/proc/README) */
	struct process_stat a = stat_of(PROC_FIXTURE "/16614/stat");
	struct process_stat b = stat_of(PROC_FIXTURE "/16614/stat.later");
	struct process_ticks prev[] = {{16433, 30304, 0}, {a.pid, a.starttime, a.utime + a.stime}};
	struct process_ticks cur[] = {{b.pid, b.starttime, b.utime + b.stime}, {20000, 1, 5}};
	size_t common = 0;

	(void)state;
	uint64_t d = process_ticks_delta(prev, 2, cur, 2, &common);
	assert_int_equal(d, 100);
	assert_int_equal(common, 1);
	assert_near(process_cpu_pct(d, 100, 1009), 100.0 * 1000.0 / 1009.0, 1e-9);
	assert_near(process_cpu_pct(d, 100, 1000), 100.0, 1e-12);
	assert_near(process_cpu_pct(d, 100, 0), -1, 0);

	/* the same pid with another start time is another process */
	cur[0].start = 99999;
	d = process_ticks_delta(prev, 2, cur, 2, &common);
	assert_int_equal(d, 0);
	assert_int_equal(common, 0);
}

static void
process_age_s__start_after_boot__seconds(void **state)
{
	(void)state;
	/* booted at 1000 s, started 250 ticks (2.5 s) later, now 1010.5 s */
	assert_near(process_age_s(1010500, 1000, 250, 100), 8.0, 1e-9);
	assert_near(process_age_s(1000000, 1000, 250, 100), 0.0, 0);
}

/* ---- scans of the captured tree ----------------------------------------- */

static size_t
scan(const char *name, const char *re, int self, struct process_found *f)
{
	char *err = NULL;
	struct rx *rx = re ? tu_rx(re, 0) : NULL;

	assert_int_equal(process_scan(PROC_FIXTURE, name, rx, self, f, &err), 0);
	rx_free(rx);
	return f->n;
}

static void
process_scan__captured_tree__name_matches(void **state)
{
	struct process_found f;

	(void)state;
	/* two sleeps; the zombie sleep 16438 does not count */
	assert_int_equal(scan("sleep", NULL, 0, &f), 2);
	assert_int_equal(f.t[0].pid, 16434);
	assert_int_equal(f.t[1].pid, 16435);
	assert_int_equal(f.rss_pages, 452 + 447);
	assert_int_equal(f.oldest_start, 30304);
	process_found_free(&f);
	/* the agent's own pid never counts */
	assert_int_equal(scan("sleep", NULL, 16434, &f), 1);
	assert_int_equal(f.t[0].pid, 16435);
	process_found_free(&f);
	/* kernel threads never count */
	assert_int_equal(scan("kthreadd", NULL, 0, &f), 0);
	process_found_free(&f);
	assert_int_equal(scan("a b) c", NULL, 0, &f), 1);
	process_found_free(&f);
	assert_int_equal(scan("mxsla-busy", NULL, 0, &f), 1);
	assert_int_equal(f.t[0].ticks, 152);
	process_found_free(&f);
	assert_int_equal(scan("sleeper", NULL, 0, &f), 0);
	process_found_free(&f);
}

static void
process_scan__long_name__confirmed_by_argv0(void **state)
{
	struct process_found f;

	(void)state;
	assert_int_equal(scan("mxsla-long-daemon-name", NULL, 0, &f), 1);
	assert_int_equal(f.t[0].pid, 16436);
	process_found_free(&f);
	assert_int_equal(scan("mxsla-long-daem", NULL, 0, &f), 1);
	process_found_free(&f);
	assert_int_equal(scan("mxsla-long-daemon-other", NULL, 0, &f), 0);
	process_found_free(&f);
}

static void
process_scan__regex__matches_command_line(void **state)
{
	struct process_found f;

	(void)state;
	assert_int_equal(scan(NULL, "mxsla-long-daemon-name 1000 5$", 0, &f), 1);
	assert_int_equal(f.t[0].pid, 16436);
	process_found_free(&f);
	assert_int_equal(scan(NULL, "^sleep 1000$", 0, &f), 2);
	process_found_free(&f);
	/* empty command lines (kernel thread, zombie) match ^$ but never count */
	assert_int_equal(scan(NULL, "^$", 0, &f), 0);
	process_found_free(&f);
	assert_int_equal(scan(NULL, "/bin/a b\\) c 1000", 0, &f), 1);
	process_found_free(&f);
}

static void
process_scan__missing_proc_dir__error(void **state)
{
	struct process_found f;
	char *err = NULL;

	(void)state;
	assert_int_equal(process_scan("/nonexistent/proc", "sleep", NULL, 0, &f, &err), -1);
	assert_string_equal(err, "open /nonexistent/proc: No such file or directory");
	free(err);
}

/* ---- whole runs --------------------------------------------------------- */

static int
ctx_configure(struct tu_probe *c, const char *yaml)
{
	return tu_probe_configure(c, &probe_process_ops, "proc", yaml, 10000);
}

static void ctx_configuref(struct tu_probe *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
ctx_configuref(struct tu_probe *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *yaml = xvasprintf(fmt, ap);
	va_end(ap);
	int rc = ctx_configure(c, yaml);
	if (rc != 0)
		cfgerr_print(&c->errs, stderr);
	assert_int_equal(rc, 0);
	free(yaml);
}

static void
process_run__captured_tree__count_rss_uptime(void **state)
{
	struct tu_probe c;
	struct obs o;
	long page = sysconf(_SC_PAGESIZE);

	(void)state;
	ctx_configuref(&c, "process: sleep\nproc_dir: %s\n", PROC_FIXTURE);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_near(tu_metric(&o, "count"), 2, 0);
	assert_near(tu_metric(&o, "rss_kb"), (452.0 + 447.0) * (double)page / 1024.0, 1e-9);
	/* oldest start: btime 1795290236 + 30304 ticks / CLK_TCK */
	double start = 1795290236.0 + 30304.0 / (double)sysconf(_SC_CLK_TCK);
	assert_near(tu_metric(&o, "uptime_s"), (double)time(NULL) - start, 2.0);
	assert_null(obs_get_metric(&o, "cpu_pct")); /* first run */
	obs_free(&o);
	/* the second run sees the same ticks: 0 % */
	usleep(20000);
	tu_probe_run(&c, &o);
	assert_near(tu_metric(&o, "cpu_pct"), 0, 0);
	obs_free(&o);
	tu_probe_free(&c);
}

static void
process_run__nothing_matches__count_zero_only(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	ctx_configuref(&c, "process: postfix-master\nproc_dir: %s\n", PROC_FIXTURE);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_near(tu_metric(&o, "count"), 0, 0);
	assert_int_equal(o.nm, 1);
	assert_int_equal(o.nf, 0);
	obs_free(&o);
	tu_probe_free(&c);

	ctx_configuref(&c, "process: sleep\nproc_dir: /nonexistent/proc\n");
	tu_probe_run(&c, &o);
	assert_string_equal(o.error, "open /nonexistent/proc: No such file or directory");
	obs_free(&o);
	tu_probe_free(&c);
}

/* Live children: a copy of sleep under a name no other process has. */
static char *tmpdir;

static char *
copy_sleep(const char *name)
{
	char *dst = xasprintf("%s/%s", tmpdir, name);
	int in = open("/bin/sleep", O_RDONLY), out;
	char buf[65536];
	ssize_t n;

	assert_true(in >= 0);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	return dst;
}

/* Start path with argv; wait until the kernel shows the new comm. */
static pid_t
spawn(const char *path, const char *arg2)
{
	const char *base = strrchr(path, '/') + 1;
	char want[24];
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl(path, path, "30", arg2, (char *)NULL);
		_exit(127);
	}
	snprintf(want, sizeof(want), "%.15s\n", base);
	for (int i = 0; i < 300; i++) {
		char p[64], comm[32] = "";
		snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
		FILE *fp = fopen(p, "r");
		if (fp) {
			if (fgets(comm, sizeof(comm), fp) == NULL)
				comm[0] = '\0';
			fclose(fp);
		}
		if (strcmp(comm, want) == 0)
			return pid;
		usleep(10000);
	}
	fail_msg("child %d did not exec %s", (int)pid, path);
	return -1;
}

static void
reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int
setup_children(void **state)
{
	(void)state;
	tmpdir = tu_mkdtemp("proc");
	return 0;
}

static int
teardown_children(void **state)
{
	int rc = tu_rm_rf(tmpdir);

	(void)state;
	free(tmpdir);
	return rc;
}

static uint64_t
statm_pages(pid_t pid)
{
	char p[64];
	unsigned long long size, res;
	snprintf(p, sizeof(p), "/proc/%d/statm", (int)pid);
	FILE *fp = fopen(p, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%llu %llu", &size, &res), 2);
	fclose(fp);
	return res;
}

static void
process_run__own_children_by_name_and_regex__counted(void **state)
{
	char name[32], *yaml;
	struct tu_probe c;
	struct obs o;

	(void)state;
	snprintf(name, sizeof(name), "mxt-%d", (int)getpid());
	char *bin = copy_sleep(name);
	pid_t a = spawn(bin, "0.001");
	pid_t b = spawn(bin, "0.002");

	ctx_configuref(&c, "process: %s\n", name);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_near(tu_metric(&o, "count"), 2, 0);
	double kb =
	    (double)(statm_pages(a) + statm_pages(b)) * (double)sysconf(_SC_PAGESIZE) / 1024;
	assert_near(tu_metric(&o, "rss_kb"), kb, 1e-9);
	double up = tu_metric(&o, "uptime_s");
	assert_true(up >= 0 && up < 10);
	assert_null(obs_get_metric(&o, "cpu_pct"));
	obs_free(&o);
	usleep(100000);
	tu_probe_run(&c, &o);
	double cpu = tu_metric(&o, "cpu_pct"); /* sleeping: next to nothing */
	assert_true(cpu >= 0 && cpu < 50);
	obs_free(&o);
	tu_probe_free(&c);

	/* the regex sees the whole command line */
	yaml = xasprintf("process: '/%s 30 0\\.002$/'\n", name);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	free(yaml);
	tu_probe_run(&c, &o);
	assert_near(tu_metric(&o, "count"), 1, 0);
	obs_free(&o);
	tu_probe_free(&c);
	yaml = xasprintf("process: '/%s 30 0\\.00[12]$/'\n", name);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	free(yaml);
	tu_probe_run(&c, &o);
	assert_near(tu_metric(&o, "count"), 2, 0);
	obs_free(&o);
	tu_probe_free(&c);
	/* flags after the closing slash */
	yaml = xasprintf("process: '/MXT-%d 30 0\\.002$/i'\n", (int)getpid());
	assert_int_equal(ctx_configure(&c, yaml), 0);
	free(yaml);
	tu_probe_run(&c, &o);
	assert_near(tu_metric(&o, "count"), 1, 0);
	obs_free(&o);
	tu_probe_free(&c);

	/* one exits: one left */
	reap(a);
	ctx_configuref(&c, "process: %s\n", name);
	tu_probe_run(&c, &o);
	assert_near(tu_metric(&o, "count"), 1, 0);
	obs_free(&o);
	tu_probe_free(&c);
	reap(b);
	free(bin);
}

static void
process_run__own_child_with_long_name__counted(void **state)
{
	char name[48];
	struct tu_probe c;
	struct obs o;

	(void)state;
	snprintf(name, sizeof(name), "mxsla-test-sl-%d", (int)getpid());
	char *bin = copy_sleep(name);
	pid_t a = spawn(bin, "0.003");

	ctx_configuref(&c, "process: %s\n", name);
	tu_probe_run(&c, &o);
	assert_near(tu_metric(&o, "count"), 1, 0);
	obs_free(&o);
	tu_probe_free(&c);
	/* same first 15 characters, another name */
	ctx_configuref(&c, "process: %sx\n", name);
	tu_probe_run(&c, &o);
	assert_near(tu_metric(&o, "count"), 0, 0);
	obs_free(&o);
	tu_probe_free(&c);
	reap(a);
	free(bin);
}

static char *
write_pidfile(const char *content)
{
	char *path = xasprintf("%s/daemon.pid", tmpdir);

	tu_write_file(path, content);
	return path;
}

static void
process_run__pidfile__running_missing_garbage_zombie(void **state)
{
	char name[32], pidtext[32];
	struct tu_probe c;
	struct obs o;

	(void)state;
	snprintf(name, sizeof(name), "mxp-%d", (int)getpid());
	char *bin = copy_sleep(name);
	pid_t a = spawn(bin, "0.004");

	snprintf(pidtext, sizeof(pidtext), "%d\n", (int)a);
	char *pf = write_pidfile(pidtext);
	ctx_configuref(&c, "pidfile: %s\n", pf);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_near(tu_metric(&o, "count"), 1, 0);
	assert_true(tu_metric(&o, "rss_kb") > 0);
	assert_true(tu_metric(&o, "uptime_s") < 10);
	assert_null(obs_get_fact(&o, "error"));
	obs_free(&o);

	/* the process is gone: 0 and why */
	reap(a);
	tu_probe_run(&c, &o);
	assert_near(tu_metric(&o, "count"), 0, 0);
	assert_null(obs_get_metric(&o, "rss_kb"));
	char *why = xasprintf("pidfile %s: process %d is not running", pf, (int)a);
	assert_string_equal(obs_get_fact(&o, "error"), why);
	free(why);
	obs_free(&o);

	/* a zombie is not running either */
	pid_t z = fork();
	assert_true(z >= 0);
	if (z == 0)
		_exit(0);
	for (int i = 0; i < 300; i++) {
		char p[64], buf[256] = "";
		snprintf(p, sizeof(p), "/proc/%d/stat", (int)z);
		FILE *fp = fopen(p, "r");
		assert_non_null(fp);
		if (fgets(buf, sizeof(buf), fp) == NULL)
			buf[0] = '\0';
		fclose(fp);
		if (strstr(buf, ") Z "))
			break;
		usleep(10000);
	}
	snprintf(pidtext, sizeof(pidtext), "%d\n", (int)z);
	free(write_pidfile(pidtext));
	tu_probe_run(&c, &o);
	assert_near(tu_metric(&o, "count"), 0, 0);
	obs_free(&o);
	waitpid(z, NULL, 0);

	/* garbage */
	free(write_pidfile("not a pid\n"));
	tu_probe_run(&c, &o);
	assert_near(tu_metric(&o, "count"), 0, 0);
	why = xasprintf("pidfile %s: no pid in it", pf);
	assert_string_equal(obs_get_fact(&o, "error"), why);
	free(why);
	obs_free(&o);

	/* missing */
	unlink(pf);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_near(tu_metric(&o, "count"), 0, 0);
	why = xasprintf("pidfile %s: No such file or directory", pf);
	assert_string_equal(obs_get_fact(&o, "error"), why);
	free(why);
	obs_free(&o);
	tu_probe_free(&c);
	free(pf);
	free(bin);
}

static void
process_configure__bad_options__errors_with_location(void **state)
{
	struct tu_probe c;

	(void)state;
	assert_int_equal(ctx_configure(&c, "probe: process\n"), -1);
	assert_int_equal(c.errs.n, 1);
	assert_non_null(strstr(c.errs.msgs[0], "process or pidfile is required"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "process: master\npidfile: /run/x.pid\n"), -1);
	assert_non_null(strstr(c.errs.msgs[0], "agent.yaml:2:"));
	assert_non_null(strstr(c.errs.msgs[0], "exclude each other"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "process: /master\n"), -1);
	assert_non_null(strstr(c.errs.msgs[0], "no closing /"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "process: /master/q\n"), -1);
	assert_non_null(strstr(c.errs.msgs[0], "unknown regex flag 'q'"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "process: /ab(c/\n"), -1);
	assert_non_null(strstr(c.errs.msgs[0], "agent.yaml:1:"));
	assert_non_null(strstr(c.errs.msgs[0], "bad regex"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "process: //\n"), -1);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "pidfile: run/x.pid\n"), -1);
	assert_non_null(strstr(c.errs.msgs[0], "must be absolute"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "process: master\nproc_dri: /proc\n"), -1);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "process: '/qmgr|pickup/'\n"), 0);
	tu_probe_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(process_stat_parse__comm_with_space_and_paren__fields_after_it),
	    cmocka_unit_test(process_stat_parse__kernel_thread_zombie_busy__flags_state_ticks),
	    cmocka_unit_test(process_stat_parse__malformed__rejected),
	    cmocka_unit_test(process_statm_btime_parse__captured_files__exact_values),
	    cmocka_unit_test(process_pidfile_parse__variants__pid_or_refusal),
	    cmocka_unit_test(process_cmdline__captured_file__flattened_and_argv0),
	    cmocka_unit_test(process_name_match__kernel_truncation__needs_argv0),
	    cmocka_unit_test(process_cpu__captured_busy_loop__ticks_over_wall_time),
	    cmocka_unit_test(process_age_s__start_after_boot__seconds),
	    cmocka_unit_test(process_scan__captured_tree__name_matches),
	    cmocka_unit_test(process_scan__long_name__confirmed_by_argv0),
	    cmocka_unit_test(process_scan__regex__matches_command_line),
	    cmocka_unit_test(process_scan__missing_proc_dir__error),
	    cmocka_unit_test(process_run__captured_tree__count_rss_uptime),
	    cmocka_unit_test(process_run__nothing_matches__count_zero_only),
	    cmocka_unit_test(process_run__own_children_by_name_and_regex__counted),
	    cmocka_unit_test(process_run__own_child_with_long_name__counted),
	    cmocka_unit_test(process_run__pidfile__running_missing_garbage_zombie),
	    cmocka_unit_test(process_configure__bad_options__errors_with_location),
	};

	return cmocka_run_group_tests(tests, setup_children, teardown_children);
}
