/*
 * test-copy.c - the copy probe: logship against real directories made
 * here (file mtimes set with utimensat), the DRBD 9 JSON and DRBD 8
 * /proc/drbd parsers, the psql and doveadm parsers on outputs captured
 * from real PostgreSQL 15 and Dovecot 2.3 (tests/data/copy/README), the
 * command driver, and whole runs through probe_copy_ops with real
 * programs: psql against a closed port and, when the server binaries are
 * installed, a live primary + standby pair; doveadm failing for real; a
 * stand-in doveadm for the exit-status mapping.
 */
#include "config.h"

#include <fcntl.h>
#include <math.h>
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

#include "cfgerr.h"
#include "copy.h"
#include "obs.h"
#include "probe.h"
#include "rx.h"
#include "testutil.h"
#include "xmalloc.h"

#define SEG (16.0 * 1024 * 1024)

/* ---- whole runs through probe_copy_ops ---------------------------------- */

static int
ctx_configure(struct tu_probe *c, const char *yaml)
{
	return tu_probe_configure(c, &probe_copy_ops, "repl", yaml, 10000);
}

/* ---- status vocabulary --------------------------------------------------- */

static void
copy_status__names__parse_back_and_order(void **state)
{
	enum copy_status st;

	(void)state;
	for (int i = 0; i < COPY_STATUS_COUNT; i++) {
		const char *n = copy_status_name((enum copy_status)i);

		assert_int_equal(copy_status_parse(n, strlen(n), &st), 0);
		assert_int_equal(st, i);
	}
	assert_int_equal(copy_status_parse("Service Down", 12, &st), 0);
	assert_int_equal(st, COPY_SERVICEDOWN);
	assert_int_equal(copy_status_parse("healthy", 7, &st), 0);
	assert_int_equal(st, COPY_HEALTHY);
	assert_int_equal(copy_status_parse("Mounted", 7, &st), -1);
	assert_int_equal(copy_status_worse(COPY_HEALTHY, COPY_SEEDING), COPY_SEEDING);
	assert_int_equal(copy_status_worse(COPY_FAILED, COPY_SUSPENDED), COPY_FAILED);
}

static void
copy_configure__unknown_or_missing_driver__rejected(void **state)
{
	struct tu_probe c;

	(void)state;
	assert_int_equal(ctx_configure(&c, "name: r\nprobe: copy\ndriver: rsync\n"), -1);
	assert_true(tu_errs_contain(&c.errs, "unknown copy driver 'rsync'"));
	assert_true(tu_errs_contain(&c.errs, "agent.yaml:3:"));
	tu_probe_free(&c);
	assert_int_equal(ctx_configure(&c, "name: r\nprobe: copy\nresource: r0\n"), -1);
	assert_true(tu_errs_contain(&c.errs, "missing required key 'driver'"));
	tu_probe_free(&c);
	/* an option of another driver is an unknown key for this one */
	assert_int_equal(
	    ctx_configure(&c, "name: r\nprobe: copy\ndriver: drbd\nresource: r0\nconninfo: x\n"),
	    -1);
	assert_true(tu_errs_contain(&c.errs, "conninfo"));
	assert_null(c.t.conf);
	tu_probe_free(&c);
	assert_int_equal(ctx_configure(&c, "driver: logship\nsource: /a\nreplica: /b\nbase: 12\n"),
	                 -1);
	assert_true(tu_errs_contain(&c.errs, "base must be 10 or 16"));
	tu_probe_free(&c);
	assert_int_equal(ctx_configure(&c, "driver: dovecot\nmode: sync\n"), -1);
	assert_true(tu_errs_contain(&c.errs, "needs sync_args"));
	tu_probe_free(&c);
	assert_int_equal(ctx_configure(&c, "driver: command\ncommand: [echo]\npattern: \"x+\"\n"),
	                 -1);
	assert_true(tu_errs_contain(&c.errs, "no named group"));
	tu_probe_free(&c);
	assert_int_equal(ctx_configure(&c, "name: r\nprobe: copy\ndriver: drbd\nresource: r0\n"),
	                 0);
	assert_string_equal(c.t.driver, "drbd");
	tu_probe_free(&c);
}

/* ---- logship ------------------------------------------------------------- */

struct logdirs {
	char *root, *source, *replica;
};

static void
logdirs_make(struct logdirs *d)
{
	d->root = tu_mkdtemp("copy");
	d->source = xasprintf("%s/source", d->root);
	d->replica = xasprintf("%s/replica", d->root);
	assert_int_equal(mkdir(d->source, 0700), 0);
	assert_int_equal(mkdir(d->replica, 0700), 0);
}

static void
put_file(const char *dir, const char *name, time_t mtime, const char *content)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct timespec ts = {mtime, 0};

	tu_write_file(path, content != NULL ? content : "");
	tu_set_mtime(path, &ts);
	free(path);
}

/* Exchange 2007 logs E00 + 8 hex digits: generations 0x18..0x1C in the
   source, a minute apart, 0x18..(0x18 + ncopied - 1) in the replica. */
static void
exchange_logs(struct logdirs *d, int ncopied)
{
	for (int g = 0x18; g <= 0x1C; g++) {
		char name[32];

		snprintf(name, sizeof(name), "E00%08X.log", g);
		put_file(d->source, name, 1000 + (g - 0x18) * 60, "log");
		if (g < 0x18 + ncopied)
			put_file(d->replica, name, 5000, "log");
	}
	/* the current log and checkpoint file never count */
	put_file(d->source, "E00.log", 2000, "current");
	put_file(d->source, "E00.chk", 2000, "chk");
	put_file(d->replica, "E00tmp.log", 2000, "tmp");
}

static void
logdirs_free(struct logdirs *d)
{
	assert_int_equal(tu_rm_rf(d->root), 0);
	free(d->root);
	free(d->source);
	free(d->replica);
}

static void
run_logship(struct logdirs *d, const char *extra, struct obs *o)
{
	struct tu_probe c;
	char *yaml =
	    xasprintf("name: lcr\nprobe: copy\ndriver: logship\nsource: %s\nreplica: %s\n%s",
	              d->source, d->replica, extra ? extra : "");

	assert_int_equal(ctx_configure(&c, yaml), 0);
	tu_probe_run(&c, o);
	tu_probe_free(&c);
	free(yaml);
}

static void
logship_generation__exchange_names__hex_generation(void **state)
{
	char *err = NULL;
	size_t off = 0;
	struct rx *rx = rx_compile("^E[0-9A-F]{2}([0-9A-F]{8})\\.log$", 0, &err, &off);
	struct rx *named = rx_compile("^(?<tl>[0-9A-F]{8})(?<gen>[0-9A-F]{16})$", 0, &err, &off);
	int64_t gen = 0;

	(void)state;
	assert_non_null(rx);
	assert_non_null(named);
	assert_int_equal(copy_logship_generation(rx, 16, "E000000001A.log", &gen), 1);
	assert_int_equal(gen, 26);
	assert_int_equal(copy_logship_generation(rx, 16, "E01FFFFFFFF.log", &gen), 1);
	assert_int_equal(gen, 0xFFFFFFFFLL);
	assert_int_equal(copy_logship_generation(rx, 16, "E00.log", &gen), 0);
	assert_int_equal(copy_logship_generation(rx, 16, "E000000001A.jrs", &gen), 0);
	/* base 10 refuses hex digits */
	assert_int_equal(copy_logship_generation(rx, 10, "E000000001A.log", &gen), 0);
	/* the named group `gen` wins over group 1 (a PostgreSQL WAL name) */
	assert_int_equal(copy_logship_generation(named, 16, "000000010000000000000003", &gen), 1);
	assert_int_equal(gen, 3);
	rx_free(rx);
	rx_free(named);
}

static void
logship_run__replica_two_behind__copy_queue_and_lag(void **state)
{
	struct logdirs d;
	struct obs o;

	(void)state;
	logdirs_make(&d);
	exchange_logs(&d, 3); /* replica has 0x18..0x1A */
	run_logship(&d, NULL, &o);
	assert_null(o.error);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "healthy", 1);
	assert_metric(&o, "copy_queue", 2);
	/* newest source log (0x1C, t=1240) - first not copied (0x1B, t=1180) */
	assert_metric(&o, "lag_s", 60);
	assert_fact(&o, "last_generated", "28");
	assert_fact(&o, "last_copied", "26");
	assert_null(obs_get_metric(&o, "replay_queue"));
	obs_free(&o);
	logdirs_free(&d);
}

static void
logship_run__caught_up__zero_queue_zero_lag(void **state)
{
	struct logdirs d;
	struct obs o;

	(void)state;
	logdirs_make(&d);
	exchange_logs(&d, 5);
	run_logship(&d, NULL, &o);
	assert_null(o.error);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "copy_queue", 0);
	assert_metric(&o, "lag_s", 0);
	obs_free(&o);
	logdirs_free(&d);
}

static void
logship_run__replayed_file__replay_queue(void **state)
{
	struct logdirs d;
	struct obs o;
	char *extra;

	(void)state;
	logdirs_make(&d);
	exchange_logs(&d, 3);
	/* a log file name as content */
	put_file(d.root, "replayed", 3000, "E0000000019.log\n");
	extra = xasprintf("replayed: %s/replayed\n", d.root);
	run_logship(&d, extra, &o);
	assert_null(o.error);
	assert_metric(&o, "replay_queue", 1); /* 0x1A - 0x19 */
	assert_fact(&o, "last_replayed", "25");
	assert_fact(&o, "status", "Healthy");
	obs_free(&o);
	/* a bare generation number in base 16 */
	put_file(d.root, "replayed", 3000, " 18 \n");
	run_logship(&d, extra, &o);
	assert_metric(&o, "replay_queue", 2); /* 0x1A - 0x18 */
	obs_free(&o);
	/* an unreadable replayed file drops replay_queue, says why */
	free(extra);
	extra = xasprintf("replayed: %s/missing\n", d.root);
	run_logship(&d, extra, &o);
	assert_null(o.error);
	assert_null(obs_get_metric(&o, "replay_queue"));
	assert_fact_contains(&o, "error", "replayed: cannot open");
	assert_metric(&o, "copy_queue", 2);
	obs_free(&o);
	free(extra);
	logdirs_free(&d);
}

static void
logship_run__missing_replica__failed(void **state)
{
	struct logdirs d;
	struct obs o;

	(void)state;
	logdirs_make(&d);
	exchange_logs(&d, 0);
	{
		char *tmp = xasprintf("%s/E00tmp.log", d.replica);

		assert_int_equal(unlink(tmp), 0);
		free(tmp);
	}
	assert_int_equal(rmdir(d.replica), 0);
	run_logship(&d, NULL, &o);
	assert_null(o.error);
	assert_fact(&o, "status", "Failed");
	assert_metric(&o, "healthy", 0);
	assert_fact_contains(&o, "error", "replica: cannot open");
	assert_null(obs_get_metric(&o, "copy_queue"));
	assert_fact(&o, "last_generated", "28");
	obs_free(&o);
	logdirs_free(&d);
}

static void
logship_run__empty_replica__initializing_all_queued(void **state)
{
	struct logdirs d;
	struct obs o;

	(void)state;
	logdirs_make(&d);
	exchange_logs(&d, 0);
	run_logship(&d, NULL, &o);
	assert_null(o.error);
	assert_fact(&o, "status", "Initializing");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "copy_queue", 5);
	assert_metric(&o, "lag_s", 240); /* 0x1C at 1240 - 0x18 at 1000 */
	assert_null(obs_get_fact(&o, "last_copied"));
	obs_free(&o);
	logdirs_free(&d);
}

static void
logship_run__suspend_file__suspended_numbers_kept(void **state)
{
	struct logdirs d;
	struct obs o;
	char *extra;

	(void)state;
	logdirs_make(&d);
	exchange_logs(&d, 3);
	put_file(d.root, "suspended", 3000, "maintenance");
	extra = xasprintf("suspend_file: %s/suspended\n", d.root);
	run_logship(&d, extra, &o);
	assert_null(o.error);
	assert_fact(&o, "status", "Suspended");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "copy_queue", 2);
	obs_free(&o);
	free(extra);
	extra = xasprintf("suspend_file: %s/not-there\n", d.root);
	run_logship(&d, extra, &o);
	assert_fact(&o, "status", "Healthy");
	obs_free(&o);
	free(extra);
	logdirs_free(&d);
}

static void
logship_run__unreadable_source__error(void **state)
{
	struct logdirs d;
	struct obs o;

	(void)state;
	logdirs_make(&d);
	assert_int_equal(rmdir(d.source), 0);
	run_logship(&d, NULL, &o);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "source: cannot open"));
	obs_free(&o);
	logdirs_free(&d);
}

static void
logship_run__decimal_named_pattern__counts_generations(void **state)
{
	struct logdirs d;
	struct obs o;

	(void)state;
	logdirs_make(&d);
	put_file(d.source, "log.98", 100, NULL);
	put_file(d.source, "log.99", 130, NULL);
	put_file(d.source, "log.100", 190, NULL);
	put_file(d.source, "log.101", 200, NULL);
	put_file(d.replica, "log.98", 300, NULL);
	put_file(d.replica, "log.99", 300, NULL);
	run_logship(&d, "pattern: \"^log\\\\.(?<gen>[0-9]+)$\"\nbase: 10\n", &o);
	assert_null(o.error);
	assert_metric(&o, "copy_queue", 2);
	assert_metric(&o, "lag_s", 10); /* log.101 at 200 - log.100 at 190 */
	assert_fact(&o, "last_copied", "99");
	obs_free(&o);
	logdirs_free(&d);
}

/* ---- drbd ------------------------------------------------------------------- */

static void
drbd_parse(const char *fixture, const char *resource, struct obs *o)
{
	size_t len;
	char *text = tu_read_data("copy", fixture, &len);
	char *err = NULL;

	obs_init(o);
	if (copy_drbd_parse_json(text, len, resource, o, &err) < 0)
		fail_msg("%s: %s", fixture, err);
	free(text);
}

static void
drbd_json__healthy_published_output__healthy(void **state)
{
	struct obs o;

	(void)state;
	drbd_parse("drbd9-healthy.json", "1-single-0", &o);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "healthy", 1);
	assert_metric(&o, "out_of_sync_kb", 0);
	assert_metric(&o, "percent_in_sync", 100);
	assert_metric(&o, "peers", 1);
	assert_metric(&o, "peers_connected", 1);
	assert_fact(&o, "role", "Primary");
	assert_fact(&o, "disk_state", "UpToDate");
	assert_fact(&o, "peer_disk_state", "UpToDate");
	assert_fact(&o, "connection_state", "SLE15-sp1-gm-drbd1145296-node2:Connected");
	assert_fact(&o, "replication_state", "Established");
	obs_free(&o);
}

static void
drbd_json__sync_source__resynchronizing_with_progress(void **state)
{
	struct obs o;

	(void)state;
	drbd_parse("drbd9-syncing.json", "r0", &o);
	assert_fact(&o, "status", "Resynchronizing");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "out_of_sync_kb", 6076060);
	assert_metric(&o, "percent_in_sync", 42.05);
	assert_metric(&o, "percent_resync_done", 42.05);
	assert_fact(&o, "peer_disk_state", "Inconsistent");
	assert_fact(&o, "replication_state", "SyncSource");
	obs_free(&o);
}

static void
drbd_json__connecting_peer__disconnected(void **state)
{
	struct obs o;

	(void)state;
	drbd_parse("drbd9-disconnected.json", "r0", &o);
	assert_fact(&o, "status", "Disconnected");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "out_of_sync_kb", 2048);
	assert_metric(&o, "peers", 1);
	assert_metric(&o, "peers_connected", 0);
	assert_fact(&o, "connection_state", "mbx02:Connecting");
	obs_free(&o);
}

static void
drbd_json__split_brain_standalone__disconnected_with_oos(void **state)
{
	struct obs o;

	(void)state;
	drbd_parse("drbd9-splitbrain.json", "r0", &o);
	assert_fact(&o, "status", "Disconnected");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "out_of_sync_kb", 100);
	assert_fact(&o, "connection_state", "mbx01:StandAlone");
	assert_fact(&o, "peer_disk_state", "DUnknown");
	obs_free(&o);
}

static void
drbd_json__other_resource_or_garbage__error(void **state)
{
	size_t len;
	char *text = tu_read_data("copy", "drbd9-healthy.json", &len);
	char *err = NULL;
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(copy_drbd_parse_json(text, len, "r9", &o, &err), -1);
	assert_string_equal(err, "drbdsetup status --json does not list resource r9");
	free(err);
	err = NULL;
	assert_int_equal(copy_drbd_parse_json(text, len / 2, "1-single-0", &o, &err), -1);
	assert_non_null(strstr(err, "drbdsetup status --json: line"));
	free(err);
	assert_int_equal(o.nm, 0);
	obs_free(&o);
	free(text);
}

static void
drbd_proc(const char *fixture, int minor, struct obs *o)
{
	char *text = tu_read_data("copy", fixture, NULL);
	char *err = NULL;

	obs_init(o);
	if (copy_drbd_parse_proc(text, minor, o, &err) < 0)
		fail_msg("%s: %s", fixture, err);
	free(text);
}

static void
drbd_proc__84_connected_uptodate__healthy(void **state)
{
	struct obs o;

	(void)state;
	drbd_proc("drbd84-healthy.txt", 0, &o);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "healthy", 1);
	assert_metric(&o, "out_of_sync_kb", 0);
	assert_fact(&o, "role", "Primary");
	assert_fact(&o, "peer_role", "Secondary");
	assert_fact(&o, "connection_state", "Connected");
	obs_free(&o);
}

static void
drbd_proc__8_sync_source__resynchronizing(void **state)
{
	struct obs o;

	(void)state;
	drbd_proc("drbd8-syncing.txt", 0, &o);
	assert_fact(&o, "status", "Resynchronizing");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "out_of_sync_kb", 301729988);
	assert_metric(&o, "percent_resync_done", 42.4);
	assert_fact(&o, "peer_disk_state", "Inconsistent");
	obs_free(&o);
}

static void
drbd_proc__84_split_brain__disconnected_with_oos(void **state)
{
	struct obs o;

	(void)state;
	drbd_proc("drbd84-splitbrain.txt", 0, &o);
	assert_fact(&o, "status", "Disconnected");
	assert_metric(&o, "out_of_sync_kb", 100);
	assert_fact(&o, "connection_state", "StandAlone");
	assert_fact(&o, "peer_role", "Unknown");
	obs_free(&o);
}

static void
drbd_proc__absent_minor_or_drbd9__error(void **state)
{
	char *text = tu_read_data("copy", "drbd84-healthy.txt", NULL);
	char *err = NULL;
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(copy_drbd_parse_proc(text, 5, &o, &err), -1);
	assert_string_equal(err, "/proc/drbd: no device with minor 5");
	free(err);
	err = NULL;
	assert_int_equal(copy_drbd_parse_proc("version: 9.2.4 (api:2/proto:86-122)\n", 0, &o, &err),
	                 -1);
	assert_non_null(strstr(err, "carries no resource status"));
	free(err);
	err = NULL;
	assert_int_equal(copy_drbd_parse_proc("", 0, &o, &err), -1);
	free(err);
	obs_free(&o);
	free(text);
}

static void
drbd_classify__state_table__summary_status(void **state)
{
	(void)state;
	assert_int_equal(
	    copy_drbd_classify("Connected", "Established", "UpToDate", "UpToDate", 0, "no", 0),
	    COPY_HEALTHY);
	assert_int_equal(
	    copy_drbd_classify("Connected", "VerifyS", "UpToDate", "UpToDate", 0, "no", 0),
	    COPY_HEALTHY);
	/* a verify found blocks that differ */
	assert_int_equal(
	    copy_drbd_classify("Connected", "Established", "UpToDate", "UpToDate", 0, "no", 8),
	    COPY_FAILED);
	assert_int_equal(copy_drbd_classify("Connected", "StartingSyncS", "UpToDate",
	                                    "Inconsistent", 0, "no", 0),
	                 COPY_SEEDING);
	assert_int_equal(
	    copy_drbd_classify("Connected", "SyncTarget", "Inconsistent", "UpToDate", 0, "no", 64),
	    COPY_RESYNCHRONIZING);
	assert_int_equal(copy_drbd_classify("Connected", "SyncTarget", "Inconsistent", "UpToDate",
	                                    0, "user", 64),
	                 COPY_SUSPENDED);
	assert_int_equal(
	    copy_drbd_classify("Connected", "PausedSyncT", "Inconsistent", "UpToDate", 0, "no", 64),
	    COPY_SUSPENDED);
	assert_int_equal(
	    copy_drbd_classify("PausedSyncS", NULL, "UpToDate", "Inconsistent", 0, NULL, 64),
	    COPY_SUSPENDED);
	assert_int_equal(
	    copy_drbd_classify("Connected", "Established", "Diskless", "UpToDate", 0, "no", 0),
	    COPY_FAILED);
	assert_int_equal(
	    copy_drbd_classify("Connected", "Established", "UpToDate", "Diskless", 1, "no", 0),
	    COPY_HEALTHY);
	assert_int_equal(copy_drbd_classify("Connected", "Off", "UpToDate", "Diskless", 0, "no", 0),
	                 COPY_FAILED);
	assert_int_equal(
	    copy_drbd_classify("Connected", "Established", "Inconsistent", "UpToDate", 0, "no", 0),
	    COPY_FAILED);
	assert_int_equal(
	    copy_drbd_classify("Connected", "Established", "Consistent", "UpToDate", 0, "no", 0),
	    COPY_INITIALIZING);
	assert_int_equal(
	    copy_drbd_classify("WFConnection", NULL, "UpToDate", "DUnknown", 0, NULL, 0),
	    COPY_DISCONNECTED);
	assert_int_equal(
	    copy_drbd_classify("NetworkFailure", "Off", "UpToDate", "DUnknown", 0, "no", 0),
	    COPY_DISCONNECTED);
	assert_int_equal(copy_drbd_classify("StandAlone", "Off", "Failed", "DUnknown", 0, "no", 0),
	                 COPY_FAILED);
	assert_int_equal(copy_drbd_classify("Unconfigured", NULL, NULL, NULL, 0, NULL, 0),
	                 COPY_STOPPED);
	assert_int_equal(
	    copy_drbd_classify("Connected", "SplitBrain", "UpToDate", "UpToDate", 0, "no", 0),
	    COPY_FAILED);
}

static void
drbd_run__version_8_proc_file__reads_minor(void **state)
{
	struct tu_probe c;
	struct obs o;
	char *yaml = xasprintf("driver: drbd\nresource: r0\nversion: 8\nminor: 0\nproc_drbd: "
	                       "%s/copy/drbd8-syncing.txt\n",
	                       TEST_DATA_DIR);

	(void)state;
	assert_int_equal(ctx_configure(&c, yaml), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_fact(&o, "status", "Resynchronizing");
	assert_metric(&o, "out_of_sync_kb", 301729988);
	obs_free(&o);
	tu_probe_free(&c);
	free(yaml);
	/* a resource name that is no minor and has no /dev/drbd/by-res link */
	yaml = xasprintf("driver: drbd\nresource: nosuchres\nversion: 8\nproc_drbd: "
	                 "%s/copy/drbd84-healthy.txt\n",
	                 TEST_DATA_DIR);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	tu_probe_run(&c, &o);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "cannot find the minor of resource nosuchres"));
	obs_free(&o);
	tu_probe_free(&c);
	free(yaml);
}

static void
drbd_run__drbdsetup_missing__error(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(
	    ctx_configure(
	        &c, "driver: drbd\nresource: r0\nversion: 9\ndrbdsetup: /nonexistent/drbdsetup\n"),
	    0);
	tu_probe_run(&c, &o);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "/nonexistent/drbdsetup"));
	obs_free(&o);
	tu_probe_free(&c);
}

/* ---- pgsql ------------------------------------------------------------------- */

static void
pg_primary(const char *fixture, long long min_standbys, struct obs *o)
{
	char *text = tu_read_data("copy", fixture, NULL);
	char *err = NULL;

	obs_init(o);
	if (copy_pgsql_parse_primary(text, min_standbys, SEG, o, &err) < 0)
		fail_msg("%s: %s", fixture, err);
	free(text);
}

static void
pg_standby(const char *fixture, struct obs *o)
{
	char *text = tu_read_data("copy", fixture, NULL);
	char *err = NULL;

	obs_init(o);
	if (copy_pgsql_parse_standby(text, SEG, o, &err) < 0)
		fail_msg("%s: %s", fixture, err);
	free(text);
}

static void
pgsql_primary__streaming_standby__healthy(void **state)
{
	struct obs o;

	(void)state;
	pg_primary("pgsql-primary-streaming.out", 1, &o);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "healthy", 1);
	assert_metric(&o, "standbys", 1);
	assert_metric(&o, "copy_queue", 0);
	assert_metric(&o, "replay_queue", 0);
	assert_metric(&o, "lag_s", 0.016047);
	assert_fact(&o, "standby_names", "standby1:streaming:async");
	obs_free(&o);
}

static void
pgsql_primary__replay_paused__replay_queue_in_segments(void **state)
{
	struct obs o;

	(void)state;
	pg_primary("pgsql-primary-replay-paused.out", 1, &o);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "copy_queue", 0);
	assert_metric(&o, "replay_lag_bytes", 12837648);
	assert_metric(&o, "replay_queue", 12837648 / SEG);
	assert_metric(&o, "lag_s", 0.103234);
	obs_free(&o);
}

static void
pgsql_primary__base_backup_running__seeding(void **state)
{
	struct obs o;

	(void)state;
	pg_primary("pgsql-primary-backup.out", 1, &o);
	assert_fact(&o, "status", "Seeding");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "standbys", 2);
	assert_fact(&o, "standby_names", "standby1:streaming:async,seed2:backup:async");
	obs_free(&o);
}

static void
pgsql_primary__no_standby__disconnected_unless_none_required(void **state)
{
	struct obs o;

	(void)state;
	pg_primary("pgsql-primary-nostandby.out", 1, &o);
	assert_fact(&o, "status", "Disconnected");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "standbys", 0);
	assert_fact(&o, "error", "0 standby(s) connected, min_standbys is 1");
	obs_free(&o);
	pg_primary("pgsql-primary-nostandby.out", 0, &o);
	assert_fact(&o, "status", "Healthy");
	obs_free(&o);
}

static void
pgsql_standby__streaming__healthy(void **state)
{
	struct obs o;

	(void)state;
	pg_standby("pgsql-standby-streaming.out", &o);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "healthy", 1);
	assert_fact(&o, "receiver", "streaming");
	assert_metric(&o, "replay_queue", 0);
	assert_metric(&o, "lag_s", 0);
	obs_free(&o);
}

static void
pgsql_standby__replay_paused__suspended_with_lag(void **state)
{
	struct obs o;

	(void)state;
	pg_standby("pgsql-standby-paused.out", &o);
	assert_fact(&o, "status", "Suspended");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "replay_lag_bytes", 12837648);
	assert_metric(&o, "replay_queue", 12837648 / SEG);
	assert_metric(&o, "lag_s", 7.366913);
	obs_free(&o);
}

static void
pgsql_standby__primary_down__disconnected(void **state)
{
	struct obs o;

	(void)state;
	pg_standby("pgsql-standby-noprimary.out", &o);
	assert_fact(&o, "status", "Disconnected");
	assert_fact(&o, "receiver", "none");
	/* receive trailed replay (-96 bytes) right after the restart */
	assert_metric(&o, "replay_lag_bytes", 0);
	obs_free(&o);
}

static void
pgsql_parse__malformed_rows__error(void **state)
{
	struct obs o;
	char *err = NULL;

	(void)state;
	obs_init(&o);
	assert_int_equal(
	    copy_pgsql_parse_primary("standby1|streaming|async|x|0|0\n", 1, SEG, &o, &err), -1);
	assert_non_null(strstr(err, "unexpected row"));
	free(err);
	err = NULL;
	assert_int_equal(copy_pgsql_parse_standby("", SEG, &o, &err), -1);
	assert_string_equal(err, "standby query returned no row");
	free(err);
	err = NULL;
	assert_int_equal(copy_pgsql_parse_standby("yes|streaming|0|0|f|0\n", SEG, &o, &err), -1);
	free(err);
	obs_free(&o);
}

static int
have_exe(const char *path)
{
	return access(path, X_OK) == 0;
}

static void
pgsql_run__server_not_running__service_down(void **state)
{
	struct tu_probe c;
	struct obs o;
	char *want = tu_read_data("copy", "pgsql-standby-down.err", NULL);

	(void)state;
	if (!have_exe("/usr/bin/psql")) {
		print_message("# psql not installed (Debian: postgresql-client-15); skipped\n");
		free(want);
		skip();
	}
	assert_int_equal(
	    ctx_configure(&c, "driver: pgsql\nconninfo: \"host=127.0.0.1 port=1 user=postgres\"\n"),
	    0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_fact(&o, "status", "ServiceDown");
	assert_metric(&o, "healthy", 0);
	/* same wording as the captured stderr, another port */
	assert_fact_contains(&o, "error",
	                     "psql: error: connection to server at \"127.0.0.1\", port 1 failed");
	assert_non_null(
	    strstr(want, "psql: error: connection to server at \"127.0.0.1\", port 54330 failed"));
	obs_free(&o);
	tu_probe_free(&c);
	free(want);
}

static int
pg_pair(const char *verb, const char *dir, int port)
{
	char *cmd = xasprintf("'%s/copy/pg-pair.sh' %s '%s' %d", TEST_DATA_DIR, verb, dir, port);
	int rc = system(cmd);

	free(cmd);
	return rc >= 0 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void
pgsql_run__live_primary_and_standby__healthy_both_sides(void **state)
{
	char dir[] = "/tmp/mxsla-copy-pg-XXXXXX";
	int port = tu_free_ports(2);
	struct tu_probe c;
	struct obs o;
	char *yaml;
	int rc;

	(void)state;
	assert_int_not_equal(port, 0);
	assert_non_null(mkdtemp(dir));
	rc = pg_pair("start", dir, port);
	if (rc == 77) {
		rmdir(dir);
		print_message("# no PostgreSQL server under /usr/lib/postgresql/*/bin (Debian: "
		              "postgresql-15); skipped\n");
		skip();
	}
	if (rc != 0) {
		pg_pair("stop", dir, port);
		fail_msg("pg-pair.sh start failed (%d)", rc);
	}
	yaml = xasprintf(
	    "driver: pgsql\nconninfo: \"host=127.0.0.1 port=%d user=postgres dbname=postgres\"\n",
	    port);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	tu_probe_run(&c, &o);
	free(yaml);
	tu_probe_free(&c);
	yaml = xasprintf("driver: pgsql\nrole: standby\nconninfo: \"host=127.0.0.1 port=%d "
	                 "user=postgres dbname=postgres\"\n",
	                 port + 1);
	{
		struct tu_probe s;
		struct obs so;

		assert_int_equal(ctx_configure(&s, yaml), 0);
		tu_probe_run(&s, &so);
		tu_probe_free(&s);
		pg_pair("stop", dir, port);
		free(yaml);
		assert_null(o.error);
		assert_fact(&o, "status", "Healthy");
		assert_metric(&o, "standbys", 1);
		assert_fact(&o, "standby_names", "standby1:streaming:async");
		assert_null(so.error);
		assert_fact(&so, "status", "Healthy");
		assert_fact(&so, "receiver", "streaming");
		obs_free(&so);
	}
	obs_free(&o);
}

/* ---- dovecot ------------------------------------------------------------------ */

static void
dovecot_parse(const char *fixture, struct obs *o)
{
	char *text = tu_read_data("copy", fixture, NULL);
	char *err = NULL;

	obs_init(o);
	if (copy_dovecot_parse_replicator(text, o, &err) < 0)
		fail_msg("%s: %s", fixture, err);
	free(text);
}

static void
dovecot_replicator__all_synced__healthy(void **state)
{
	struct obs o;

	(void)state;
	dovecot_parse("dovecot-replicator-healthy.txt", &o);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "healthy", 1);
	assert_metric(&o, "queued_requests", 0);
	assert_metric(&o, "copy_queue", 0);
	assert_metric(&o, "failed_requests", 0);
	assert_metric(&o, "users", 3);
	obs_free(&o);
}

static void
dovecot_replicator__full_resync_queued__copy_queue(void **state)
{
	struct obs o;

	(void)state;
	dovecot_parse("dovecot-replicator-queued.txt", &o);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "queued_requests", 294);
	assert_metric(&o, "copy_queue", 294);
	assert_metric(&o, "users", 303);
	obs_free(&o);
}

static void
dovecot_replicator__replica_down__failed_requests(void **state)
{
	struct obs o;

	(void)state;
	dovecot_parse("dovecot-replicator-failed.txt", &o);
	assert_fact(&o, "status", "Failed");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "failed_requests", 2);
	assert_metric(&o, "queued_requests", 0);
	obs_free(&o);
}

static void
dovecot_replicator__unrelated_output__error(void **state)
{
	struct obs o;
	char *err = NULL;

	(void)state;
	obs_init(&o);
	assert_int_equal(copy_dovecot_parse_replicator("Unknown command 'replicator'\n", &o, &err),
	                 -1);
	assert_non_null(strstr(err, "no overview line"));
	free(err);
	obs_free(&o);
}

static void
dovecot_sync__exit_statuses__status_and_lag(void **state)
{
	struct obs o;
	int64_t last = 0;
	char *refused = tu_read_data("copy", "dovecot-sync-refused.err", NULL);

	(void)state;
	/* failure before any success: no lag yet */
	obs_init(&o);
	copy_dovecot_sync_report(1, 75, refused, NULL, 1000000, &last, &o);
	assert_fact(&o, "status", "Failed");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "exit_status", 75);
	assert_fact(&o, "error",
	            "doveadm(alice): Fatal: connect(127.0.0.1:24998) failed: Connection refused");
	assert_null(obs_get_metric(&o, "lag_s"));
	assert_int_equal(last, 0);
	obs_free(&o);

	obs_init(&o);
	copy_dovecot_sync_report(1, 0, "", NULL, 2000000, &last, &o);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "healthy", 1);
	assert_metric(&o, "lag_s", 0);
	assert_int_equal(last, 2000000);
	obs_free(&o);

	obs_init(&o);
	copy_dovecot_sync_report(1, 2, "dsync(alice): Warning: desync\n", NULL, 2090000, &last, &o);
	assert_fact(&o, "status", "Resynchronizing");
	assert_metric(&o, "lag_s", 90);
	assert_int_equal(last, 2000000);
	obs_free(&o);

	obs_init(&o);
	copy_dovecot_sync_report(0, 0, "", "timed out after 10s", 2600000, &last, &o);
	assert_fact(&o, "status", "Failed");
	assert_fact(&o, "error", "timed out after 10s");
	assert_metric(&o, "lag_s", 600);
	assert_null(obs_get_metric(&o, "exit_status"));
	obs_free(&o);
	free(refused);
}

static void
dovecot_run__stand_in_doveadm__maps_exit_statuses(void **state)
{
	static const struct {
		const char *code;
		const char *status;
	} cases[] = {{"0", "Healthy"}, {"2", "Resynchronizing"}, {"1", "Failed"}, {"75", "Failed"}};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tu_probe c;
		struct obs o;
		char *yaml =
		    xasprintf("driver: dovecot\nmode: sync\ndoveadm: %s/copy/fake-doveadm.sh\n"
		              "sync_args: [-u, alice, \"%s\"]\n",
		              TEST_DATA_DIR, cases[i].code);

		assert_int_equal(ctx_configure(&c, yaml), 0);
		tu_probe_run(&c, &o);
		assert_null(o.error);
		assert_fact(&o, "status", cases[i].status);
		assert_metric(&o, "exit_status", atoi(cases[i].code));
		if (strcmp(cases[i].code, "0") == 0) {
			assert_true(tu_metric(&o, "lag_s") < 5);
			assert_null(obs_get_fact(&o, "error"));
		} else {
			assert_null(obs_get_metric(&o, "lag_s"));
			assert_non_null(obs_get_fact(&o, "error"));
		}
		obs_free(&o);
		tu_probe_free(&c);
		free(yaml);
	}
}

/* A Dovecot configuration under (dir) with no Dovecot running. */
static char *
write_dovecot_conf(const char *dir)
{
	char *path = xasprintf("%s/dovecot.conf", dir);
	char *conf = xasprintf(
	    "base_dir = %s/run\nstate_dir = %s/state\nssl = no\nprotocols =\n"
	    "mail_location = maildir:%s/mail/%%u\n"
	    "passdb {\n  driver = static\n  args = password=x\n}\n"
	    "userdb {\n  driver = static\n  args = uid=65534 gid=65534 home=%s/mail/%%u\n}\n",
	    dir, dir, dir, dir);

	tu_write_file(path, conf);
	free(conf);
	return path;
}

static void
dovecot_run__real_doveadm_nothing_running__servicedown_and_failed(void **state)
{
	struct tu_probe c;
	struct obs o;
	char *dir, *conf, *yaml;

	(void)state;
	if (!have_exe("/usr/bin/doveadm")) {
		print_message("# doveadm not installed (Debian: dovecot-core); skipped\n");
		skip();
	}
	dir = tu_mkdtemp("copy-dc");
	conf = write_dovecot_conf(dir);

	/* replicator mode: the replicator socket is not there */
	yaml = xasprintf("driver: dovecot\ndoveadm: /usr/bin/doveadm\nconfig_file: %s\n", conf);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_fact(&o, "status", "ServiceDown");
	assert_metric(&o, "healthy", 0);
	assert_fact_contains(&o, "error", "net_connect_unix(");
	assert_fact_contains(&o, "error", "/run/replicator-doveadm) failed");
	obs_free(&o);
	tu_probe_free(&c);
	free(yaml);

	/* sync mode: doveadm cannot even look the user up */
	yaml = xasprintf("driver: dovecot\nmode: sync\ndoveadm: /usr/bin/doveadm\nconfig_file: %s\n"
	                 "sync_args: [-u, alice, \"tcp:127.0.0.1:1\"]\n",
	                 conf);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_fact(&o, "status", "Failed");
	assert_metric(&o, "exit_status", 75);
	assert_fact_contains(&o, "error", "userdb lookup(alice)");
	assert_null(obs_get_metric(&o, "lag_s"));
	obs_free(&o);
	tu_probe_free(&c);
	free(yaml);

	assert_int_equal(tu_rm_rf(dir), 0);
	free(dir);
	free(conf);
}

/* ---- command --------------------------------------------------------------------- */

static void
command_parse__named_groups__metrics_facts_status(void **state)
{
	struct rx *rx = tu_rx("(?<name>\\S+)\\s+(?<status>[A-Za-z "
	                      "]+?)\\s+(?<copy_queue>\\d+)\\s+(?<replay_queue>\\d+)",
	                      0);
	const char *out = "MBX01\\SG1  Service Down  7  52\n";
	struct obs o;
	char *err = NULL;

	(void)state;
	obs_init(&o);
	assert_int_equal(copy_command_parse(rx, out, strlen(out), &o, &err), 0);
	assert_fact(&o, "status", "ServiceDown");
	assert_metric(&o, "healthy", 0);
	assert_metric(&o, "copy_queue", 7);
	assert_metric(&o, "replay_queue", 52);
	assert_fact(&o, "name", "MBX01\\SG1");
	obs_free(&o);
	rx_free(rx);
}

static void
command_parse__healthy_group_or_unknown_word__healthy_metric(void **state)
{
	struct rx *rx = tu_rx("ok=(?<healthy>\\d) state=(?<status>\\w+)", 0);
	struct rx *word = tu_rx("state=(?<status>\\w+)", 0);
	struct obs o;
	char *err = NULL;

	(void)state;
	obs_init(&o);
	assert_int_equal(copy_command_parse(rx, "ok=1 state=Mounted", 18, &o, &err), 0);
	assert_metric(&o, "healthy", 1);
	assert_fact(&o, "status", "Mounted");
	obs_free(&o);
	obs_init(&o);
	assert_int_equal(copy_command_parse(word, "state=healthy", 13, &o, &err), 0);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "healthy", 1);
	obs_free(&o);
	obs_init(&o);
	assert_int_equal(copy_command_parse(word, "state=Mounted", 13, &o, &err), 0);
	assert_metric(&o, "healthy", 0);
	obs_free(&o);
	obs_init(&o);
	assert_int_equal(copy_command_parse(word, "nothing", 7, &o, &err), -1);
	assert_non_null(strstr(err, "output does not match"));
	free(err);
	obs_free(&o);
	rx_free(rx);
	rx_free(word);
}

static void
command_run__echo__parsed_with_exit_status(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c,
	                               "driver: command\n"
	                               "command: [/bin/echo, \"SG1 Healthy queue=3 replay=5\"]\n"
	                               "pattern: \"(?<status>\\\\w+) queue=(?<copy_queue>\\\\d+) "
	                               "replay=(?<replay_queue>\\\\d+)\"\n"),
	                 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_fact(&o, "status", "Healthy");
	assert_metric(&o, "healthy", 1);
	assert_metric(&o, "copy_queue", 3);
	assert_metric(&o, "replay_queue", 5);
	assert_metric(&o, "exit_status", 0);
	obs_free(&o);
	tu_probe_free(&c);

	assert_int_equal(
	    ctx_configure(
	        &c, "driver: command\ncommand: [/bin/false]\npattern: \"(?<status>\\\\w+)\"\n"),
	    0);
	tu_probe_run(&c, &o);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "(exit status 1)"));
	obs_free(&o);
	tu_probe_free(&c);
}

/* ---- robustness: every parser on truncated real outputs ------------------ */

static void
parsers__truncated_fixtures__never_crash(void **state)
{
	static const char *const files[] = {
	    "drbd9-healthy.json",
	    "drbd9-syncing.json",
	    "drbd84-healthy.txt",
	    "drbd8-syncing.txt",
	    "pgsql-primary-backup.out",
	    "pgsql-standby-paused.out",
	    "dovecot-replicator-queued.txt",
	};
	struct rx *rx = tu_rx("(?<status>\\w+)\\s+(?<copy_queue>\\d+)", 0);

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len;
		char *text = tu_read_data("copy", files[i], &len);

		for (size_t cut = 0; cut <= len; cut++) {
			char *part = xstrndup(text, cut);
			char *err = NULL;
			struct obs o;
			int rc;

			obs_init(&o);
			rc = copy_drbd_parse_json(part, cut, "r0", &o, &err);
			assert_true(rc == 0 || rc == -1);
			free(err);
			err = NULL;
			rc = copy_drbd_parse_proc(part, 0, &o, &err);
			assert_true(rc == 0 || rc == -1);
			free(err);
			err = NULL;
			rc = copy_pgsql_parse_primary(part, 1, SEG, &o, &err);
			assert_true(rc == 0 || rc == -1);
			free(err);
			err = NULL;
			rc = copy_pgsql_parse_standby(part, SEG, &o, &err);
			assert_true(rc == 0 || rc == -1);
			free(err);
			err = NULL;
			rc = copy_dovecot_parse_replicator(part, &o, &err);
			assert_true(rc == 0 || rc == -1);
			free(err);
			err = NULL;
			rc = copy_command_parse(rx, part, cut, &o, &err);
			assert_true(rc == 0 || rc == -1);
			free(err);
			obs_free(&o);
			free(part);
		}
		free(text);
	}
	rx_free(rx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(copy_status__names__parse_back_and_order),
	    cmocka_unit_test(copy_configure__unknown_or_missing_driver__rejected),
	    cmocka_unit_test(logship_generation__exchange_names__hex_generation),
	    cmocka_unit_test(logship_run__replica_two_behind__copy_queue_and_lag),
	    cmocka_unit_test(logship_run__caught_up__zero_queue_zero_lag),
	    cmocka_unit_test(logship_run__replayed_file__replay_queue),
	    cmocka_unit_test(logship_run__missing_replica__failed),
	    cmocka_unit_test(logship_run__empty_replica__initializing_all_queued),
	    cmocka_unit_test(logship_run__suspend_file__suspended_numbers_kept),
	    cmocka_unit_test(logship_run__unreadable_source__error),
	    cmocka_unit_test(logship_run__decimal_named_pattern__counts_generations),
	    cmocka_unit_test(drbd_json__healthy_published_output__healthy),
	    cmocka_unit_test(drbd_json__sync_source__resynchronizing_with_progress),
	    cmocka_unit_test(drbd_json__connecting_peer__disconnected),
	    cmocka_unit_test(drbd_json__split_brain_standalone__disconnected_with_oos),
	    cmocka_unit_test(drbd_json__other_resource_or_garbage__error),
	    cmocka_unit_test(drbd_proc__84_connected_uptodate__healthy),
	    cmocka_unit_test(drbd_proc__8_sync_source__resynchronizing),
	    cmocka_unit_test(drbd_proc__84_split_brain__disconnected_with_oos),
	    cmocka_unit_test(drbd_proc__absent_minor_or_drbd9__error),
	    cmocka_unit_test(drbd_classify__state_table__summary_status),
	    cmocka_unit_test(drbd_run__version_8_proc_file__reads_minor),
	    cmocka_unit_test(drbd_run__drbdsetup_missing__error),
	    cmocka_unit_test(pgsql_primary__streaming_standby__healthy),
	    cmocka_unit_test(pgsql_primary__replay_paused__replay_queue_in_segments),
	    cmocka_unit_test(pgsql_primary__base_backup_running__seeding),
	    cmocka_unit_test(pgsql_primary__no_standby__disconnected_unless_none_required),
	    cmocka_unit_test(pgsql_standby__streaming__healthy),
	    cmocka_unit_test(pgsql_standby__replay_paused__suspended_with_lag),
	    cmocka_unit_test(pgsql_standby__primary_down__disconnected),
	    cmocka_unit_test(pgsql_parse__malformed_rows__error),
	    cmocka_unit_test(pgsql_run__server_not_running__service_down),
	    cmocka_unit_test(pgsql_run__live_primary_and_standby__healthy_both_sides),
	    cmocka_unit_test(dovecot_replicator__all_synced__healthy),
	    cmocka_unit_test(dovecot_replicator__full_resync_queued__copy_queue),
	    cmocka_unit_test(dovecot_replicator__replica_down__failed_requests),
	    cmocka_unit_test(dovecot_replicator__unrelated_output__error),
	    cmocka_unit_test(dovecot_sync__exit_statuses__status_and_lag),
	    cmocka_unit_test(dovecot_run__stand_in_doveadm__maps_exit_statuses),
	    cmocka_unit_test(dovecot_run__real_doveadm_nothing_running__servicedown_and_failed),
	    cmocka_unit_test(command_parse__named_groups__metrics_facts_status),
	    cmocka_unit_test(command_parse__healthy_group_or_unknown_word__healthy_metric),
	    cmocka_unit_test(command_run__echo__parsed_with_exit_status),
	    cmocka_unit_test(parsers__truncated_fixtures__never_crash),
	};

	return cmocka_run_group_tests_name("copy", tests, NULL, NULL);
}
