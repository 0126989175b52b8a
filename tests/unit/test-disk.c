/*
 * test-disk.c - the disk probe: /proc/diskstats and mountinfo parsing on
 * captured files, latency arithmetic between two samples, the df
 * convention for free space, the hours_to_full trend, and whole runs
 * against a fixture proc_dir and a real tmpfs.
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfgerr.h"
#include "disk.h"
#include "obs.h"
#include "probe.h"
#include "testutil.h"
#include "xmalloc.h"

#define PROC_FIXTURE TEST_DATA_DIR "/proc"

static struct disk_io
find_io(const char *file, const char *name, unsigned major, unsigned minor)
{
	size_t len;
	char *text = tu_slurp(file, &len);
	struct disk_io io;

	assert_int_equal(disk_io_find(text, len, name, major, minor, &io), 0);
	free(text);
	return io;
}

/* ---- diskstats ---------------------------------------------------------- */

static void
disk_io_find__captured_20_field_file__reads_vda_counters(void **state)
{
	struct disk_io io = find_io(PROC_FIXTURE "/diskstats", NULL, 254, 0);

	(void)state;
	/* 254 0 vda 28802 5562 2159194 4084 25216 8819 1630608 7414 0 3364 ... */
	assert_string_equal(io.name, "vda");
	assert_int_equal(io.rd_ios, 28802);
	assert_int_equal(io.rd_ms, 4084);
	assert_int_equal(io.wr_ios, 25216);
	assert_int_equal(io.wr_ms, 7414);
	assert_int_equal(io.io_ms, 3364);

	io = find_io(PROC_FIXTURE "/diskstats", "loop0", 0, 0);
	assert_int_equal(io.major, 7);
	assert_int_equal(io.minor, 0);
	assert_int_equal(io.rd_ios, 139);
	assert_int_equal(io.wr_ms, 15);
	assert_int_equal(io.io_ms, 24);
}

static void
disk_io_find__published_file__partitions_dm_and_old_format(void **state)
{
	const char *f = TEST_DATA_DIR "/disk/diskstats-procfs";
	struct disk_io io;

	(void)state;
	/* 14-field line of a partition */
	io = find_io(f, NULL, 8, 1);
	assert_string_equal(io.name, "sda1");
	assert_int_equal(io.rd_ios, 250);
	assert_int_equal(io.rd_ms, 36);
	assert_int_equal(io.io_ms, 36);
	/* device-mapper */
	io = find_io(f, NULL, 252, 0);
	assert_string_equal(io.name, "dm-0");
	assert_int_equal(io.rd_ios, 59910002);
	assert_int_equal(io.rd_ms, 46229572);
	assert_int_equal(io.wr_ios, 39231014);
	assert_int_equal(io.wr_ms, 1158557800);
	assert_int_equal(io.io_ms, 11325968);
	io = find_io(f, "vda1", 0, 0);
	assert_int_equal(io.major, 254);
	assert_int_equal(io.minor, 1);
	assert_int_equal(io.wr_ms, 32772);
	io = find_io(f, "mmcblk0p1", 0, 0);
	assert_int_equal(io.rd_ios, 17);
	io = find_io(f, "nvme0n1p2", 0, 0);
	assert_int_equal(io.wr_ios, 1036885);
	/* 18-field line */
	io = find_io(f, "sdb2", 0, 0);
	assert_int_equal(io.rd_ios, 326310);
	assert_int_equal(io.io_ms, 58250);
	/* 20-field line */
	io = find_io(f, "sdc", 0, 0);
	assert_int_equal(io.wr_ms, 40875);
	assert_int_equal(io.io_ms, 11628);
}

static void
disk_io_find__absent_device__not_found(void **state)
{
	size_t len;
	char *text = tu_slurp(TEST_DATA_DIR "/disk/diskstats-procfs", &len);
	struct disk_io io;

	(void)state;
	assert_int_equal(disk_io_find(text, len, "sdz", 0, 0, &io), -1);
	assert_int_equal(disk_io_find(text, len, NULL, 65, 0, &io), -1);
	free(text);
}

static void
disk_io_parse_line__malformed__rejected(void **state)
{
	struct disk_io io;
	static const char *const bad[] = {
	    "",
	    "   8       0 sda",
	    "   8       0 sda 1 2 3 4 5 6 7 8 9 10", /* 10 counters */
	    "   8       0 sda 1 2 3 x 5 6 7 8 9 10 11",
	    "   8       x sda 1 2 3 4 5 6 7 8 9 10 11",
	    "   8       0 sda 1 2 3 99999999999999999999999 5 6 7 8 9 10 11",
	    "   8       0 sda 1 2 3 -4 5 6 7 8 9 10 11",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(disk_io_parse_line(bad[i], strlen(bad[i]), &io), -1);
	const char *ok = "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n";
	assert_int_equal(disk_io_parse_line(ok, strlen(ok), &io), 0);
	assert_int_equal(io.rd_ms, 4);
	assert_int_equal(io.io_ms, 10);
}

static void
disk_io_rates__captured_then_edited_sample__exact_latency(void **state)
{
	/* diskstats.2 is the captured file with vda moved by known deltas
	   (tests/data/disk/README): +50 reads in +250 ms, +100 writes in
	   +1000 ms, +500 ms busy; loop0 did no I/O. */
	struct disk_io a = find_io(PROC_FIXTURE "/diskstats", "vda", 0, 0);
	struct disk_io b = find_io(TEST_DATA_DIR "/disk/diskstats.2", "vda", 0, 0);
	struct disk_rates r;

	(void)state;
	assert_int_equal(disk_io_rates(&a, &b, 1000, &r), 0);
	assert_near(r.read_ms, 5.0, 1e-12);
	assert_near(r.write_ms, 10.0, 1e-12);
	assert_near(r.util_pct, 50.0, 1e-12);
	/* the same deltas over 2 s: latency unchanged, utilisation halved */
	assert_int_equal(disk_io_rates(&a, &b, 2000, &r), 0);
	assert_near(r.read_ms, 5.0, 1e-12);
	assert_near(r.util_pct, 25.0, 1e-12);
	/* busy longer than the wall time (clock granularity): capped */
	assert_int_equal(disk_io_rates(&a, &b, 400, &r), 0);
	assert_near(r.util_pct, 100.0, 1e-12);

	a = find_io(PROC_FIXTURE "/diskstats", "loop0", 0, 0);
	b = find_io(TEST_DATA_DIR "/disk/diskstats.2", "loop0", 0, 0);
	r.read_ms = r.write_ms = r.util_pct = -1;
	assert_int_equal(disk_io_rates(&a, &b, 1000, &r), 0);
	assert_near(r.read_ms, 0.0, 0);
	assert_near(r.write_ms, 0.0, 0);
	assert_near(r.util_pct, 0.0, 0);
}

static void
disk_io_rates__counter_backwards_or_no_time__refused(void **state)
{
	struct disk_io a = find_io(PROC_FIXTURE "/diskstats", "vda", 0, 0);
	struct disk_io b = find_io(TEST_DATA_DIR "/disk/diskstats.2", "vda", 0, 0);
	struct disk_rates r;

	(void)state;
	assert_int_equal(disk_io_rates(&b, &a, 1000, &r), -1);
	assert_int_equal(disk_io_rates(&a, &b, 0, &r), -1);
	assert_int_equal(disk_io_rates(&a, &b, -5, &r), -1);
}

/* ---- mountinfo ---------------------------------------------------------- */

static void
expect_mount(const char *file, const char *path, unsigned major, unsigned minor, const char *mp,
             const char *fstype, const char *source)
{
	size_t len;
	char *text = tu_slurp(file, &len);
	struct disk_mount m;

	assert_int_equal(disk_mount_find(text, len, path, &m), 0);
	assert_int_equal(m.major, major);
	assert_int_equal(m.minor, minor);
	assert_string_equal(m.mount_point, mp);
	assert_string_equal(m.fstype, fstype);
	assert_string_equal(m.source, source);
	disk_mount_free(&m);
	free(text);
}

static void
disk_mount_find__captured_mountinfo__longest_prefix_wins(void **state)
{
	const char *f = PROC_FIXTURE "/self/mountinfo";

	(void)state;
	expect_mount(f, "/", 254, 0, "/", "ext4", "/dev/vda");
	expect_mount(f, "/var/vmail", 254, 0, "/", "ext4", "/dev/vda");
	expect_mount(f, "/tmp/sys-mnt", 7, 0, "/tmp/sys-mnt", "ext4", "/dev/loop0");
	expect_mount(f, "/tmp/sys-mnt/sub/g", 7, 0, "/tmp/sys-mnt", "ext4", "/dev/loop0");
	/* a prefix only counts at a '/' boundary */
	expect_mount(f, "/tmp/sys-mnt-other/x", 254, 0, "/", "ext4", "/dev/vda");
	/* \040 in the file is a space */
	expect_mount(f, "/tmp/sys-mnt/with space/f", 0, 39, "/tmp/sys-mnt/with space", "tmpfs",
	             "tmpfs");
	/* a bind mount: same device, its own mount point */
	expect_mount(f, "/tmp/sys-bind/g", 7, 0, "/tmp/sys-bind", "ext4", "/dev/loop0");
	/* /dev/shm is mounted twice: the later mount hides the earlier */
	expect_mount(f, "/dev/shm/x", 0, 27, "/dev/shm", "tmpfs", "tmpfs");
}

static void
disk_mount_find__published_mountinfo__nfs_and_mapper(void **state)
{
	const char *f = TEST_DATA_DIR "/disk/mountinfo-procfs";

	(void)state;
	expect_mount(f, "/home/u", 8, 1, "/", "ext4", "/dev/sda1");
	expect_mount(f, "/mnt/nfs/test/a", 0, 44, "/mnt/nfs/test", "nfs", "192.168.1.1:/srv/test");
	expect_mount(f, "/var/lib/containers/storage/overlay/l/x", 253, 0,
	             "/var/lib/containers/storage/overlay", "xfs", "/dev/mapper/rhel-root");
	/* a line with two blanks between root and mount point */
	expect_mount(f, "/root/x", 0, 5, "/root", "rootfs", "rootfs");
}

static void
disk_mount_find__no_or_bad_lines__not_found(void **state)
{
	struct disk_mount m;
	const char *junk = "garbage\n1 2 3\n22 27 0:21 / /proc rw,relatime proc proc rw\n";

	(void)state;
	assert_int_equal(disk_mount_find("", 0, "/", &m), -1);
	/* the last line lacks the " - " separator */
	assert_int_equal(disk_mount_find(junk, strlen(junk), "/proc/1", &m), -1);
}

/* ---- statvfs arithmetic ------------------------------------------------- */

static void
disk_space_compute__reserved_blocks__df_convention(void **state)
{
	struct statvfs sv;
	struct disk_space sp;

	(void)state;
	memset(&sv, 0, sizeof(sv));
	sv.f_frsize = 4096;
	sv.f_bsize = 4096;
	sv.f_blocks = 1000;
	sv.f_bfree = 300; /* 50 of them reserved for root */
	sv.f_bavail = 250;
	sv.f_files = 200;
	sv.f_ffree = 60;
	sv.f_favail = 50;
	disk_space_compute(&sv, &sp);
	assert_true(sp.has_pct);
	/* 250 / (1000 - (300 - 250)) */
	assert_near(sp.free_pct, 250.0 / 950.0 * 100.0, 1e-9);
	assert_near(sp.used_pct, 700.0 / 950.0 * 100.0, 1e-9);
	assert_near(sp.free_bytes, 250.0 * 4096, 0);
	assert_near(sp.used_bytes, 700.0 * 4096, 0);
	assert_true(sp.has_inodes);
	assert_near(sp.inodes_free_pct, 25.0, 1e-12);
}

static void
disk_space_compute__no_inode_count__inodes_absent(void **state)
{
	struct statvfs sv;
	struct disk_space sp;

	(void)state;
	memset(&sv, 0, sizeof(sv));
	sv.f_frsize = 4096;
	sv.f_blocks = 100;
	sv.f_bfree = sv.f_bavail = 100;
	disk_space_compute(&sv, &sp); /* btrfs reports f_files == 0 */
	assert_false(sp.has_inodes);
	assert_near(sp.free_pct, 100.0, 0);
	memset(&sv, 0, sizeof(sv));
	disk_space_compute(&sv, &sp); /* proc-like: no blocks at all */
	assert_false(sp.has_pct);
	assert_near(sp.free_bytes, 0, 0);
}

/* ---- trend -------------------------------------------------------------- */

#define MiB (1024.0 * 1024.0)

static void
disk_trend__steady_growth__exact_hours_to_full(void **state)
{
	struct disk_trend *tr = xcalloc(1, sizeof(*tr));
	double h = -1;

	(void)state;
	/* 64 MiB a minute = 3840 MiB an hour, 11 samples over 10 minutes */
	for (int i = 0; i <= 10; i++)
		disk_trend_add(tr, 1000000 + i * 60000LL, 5000 * MiB + i * 64 * MiB);
	assert_int_equal(tr->n, 11);
	assert_int_equal(disk_trend_hours_to_full(tr, 38400 * MiB, &h), 0);
	assert_near(h, 10.0, 1e-9);
	assert_int_equal(disk_trend_hours_to_full(tr, 960 * MiB, &h), 0);
	assert_near(h, 0.25, 1e-9);
	free(tr);
}

static void
disk_trend__noise_around_a_line__least_squares_slope(void **state)
{
	struct disk_trend *tr = xcalloc(1, sizeof(*tr));
	/* the line 1000 MiB/h plus noise +d, -2d, +d at t = 0, 30, 60 min:
	   the noise sums to zero and is symmetric about the mean time, so
	   the least-squares slope is exactly the line's */
	static const double noise[] = {10, -20, 10};
	double h = -1;

	(void)state;
	for (int i = 0; i < 3; i++)
		disk_trend_add(tr, i * 1800000LL, (500.0 * i + noise[i]) * MiB);
	assert_int_equal(disk_trend_hours_to_full(tr, 2500 * MiB, &h), 0);
	assert_near(h, 2.5, 1e-9);
	free(tr);
}

static void
disk_trend__too_few_too_short_or_not_growing__absent(void **state)
{
	struct disk_trend *tr = xcalloc(1, sizeof(*tr));
	double h = -1;

	(void)state;
	disk_trend_add(tr, 0, 100 * MiB);
	assert_int_equal(disk_trend_hours_to_full(tr, MiB, &h), -1); /* one sample */
	disk_trend_add(tr, 59999, 200 * MiB);
	assert_int_equal(disk_trend_hours_to_full(tr, MiB, &h), -1); /* < 60 s */
	disk_trend_add(tr, 60000, 300 * MiB);
	assert_int_equal(disk_trend_hours_to_full(tr, MiB, &h), 0); /* now 60 s */
	h = -1;
	memset(tr, 0, sizeof(*tr));
	disk_trend_add(tr, 0, 100 * MiB);
	disk_trend_add(tr, 600000, 100 * MiB);
	assert_int_equal(disk_trend_hours_to_full(tr, MiB, &h), -1); /* flat */
	disk_trend_add(tr, 1200000, 50 * MiB);
	assert_int_equal(disk_trend_hours_to_full(tr, MiB, &h), -1); /* shrinking */
	assert_near(h, -1, 0);
	free(tr);
}

static void
disk_trend__samples_older_than_an_hour__dropped(void **state)
{
	struct disk_trend *tr = xcalloc(1, sizeof(*tr));
	double h;

	(void)state;
	disk_trend_add(tr, 0, 0);
	disk_trend_add(tr, 600000, 1000 * MiB); /* steep at first */
	disk_trend_add(tr, 3600000, 1000 * MiB);
	assert_int_equal(tr->n, 3);              /* exactly one hour: kept */
	disk_trend_add(tr, 4200000, 1000 * MiB); /* 70 min: the first goes */
	assert_int_equal(tr->n, 3);
	assert_int_equal(tr->t_ms[0], 600000);
	/* the remaining hour is flat: no estimate */
	assert_int_equal(disk_trend_hours_to_full(tr, MiB, &h), -1);
	/* a clock that went back restarts the trend */
	disk_trend_add(tr, 100, 1);
	assert_int_equal(tr->n, 1);
	/* the cap keeps the newest samples */
	memset(tr, 0, sizeof(*tr));
	for (int i = 0; i < DISK_TREND_MAX + 10; i++)
		disk_trend_add(tr, i, i);
	assert_int_equal(tr->n, DISK_TREND_MAX);
	assert_int_equal(tr->t_ms[0], 10);
	assert_int_equal(tr->t_ms[DISK_TREND_MAX - 1], DISK_TREND_MAX + 9);
	free(tr);
}

/* ---- whole runs --------------------------------------------------------- */

static int
ctx_configure(struct tu_probe *c, const char *yaml)
{
	/* the first-run pause is 10 ms */
	return tu_probe_configure(c, &probe_disk_ops, "store", yaml, 40);
}

static void
disk_run__fixture_proc_dir__facts_and_first_run_latency(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "path: /\nproc_dir: " PROC_FIXTURE "\n"), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_string_equal(obs_get_fact(&o, "mount"), "/");
	assert_string_equal(obs_get_fact(&o, "fstype"), "ext4");
	assert_string_equal(obs_get_fact(&o, "source"), "/dev/vda");
	assert_string_equal(obs_get_fact(&o, "device"), "vda");
	assert_null(obs_get_fact(&o, "error"));
	assert_non_null(obs_get_metric(&o, "free_pct"));
	assert_non_null(obs_get_metric(&o, "free_bytes"));
	/* no previous sample: a second one after the pause; the fixture did
	   not move in between, so no I/O was seen */
	assert_near(*obs_get_metric(&o, "read_ms"), 0, 0);
	assert_near(*obs_get_metric(&o, "write_ms"), 0, 0);
	assert_near(*obs_get_metric(&o, "util_pct"), 0, 0);
	assert_null(obs_get_metric(&o, "hours_to_full"));
	obs_free(&o);

	/* the second run uses the first run's sample */
	tu_probe_run(&c, &o);
	assert_non_null(obs_get_metric(&o, "read_ms"));
	assert_null(obs_get_metric(&o, "hours_to_full"));
	obs_free(&o);
	tu_probe_free(&c);
}

static void
disk_run__device_option__overrides_resolution(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "path: /\ndevice: loop0\nproc_dir: " PROC_FIXTURE "\n"),
	                 0);
	tu_probe_run(&c, &o);
	assert_string_equal(obs_get_fact(&o, "device"), "loop0");
	assert_non_null(obs_get_metric(&o, "util_pct"));
	obs_free(&o);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "path: /\ndevice: sdz\nproc_dir: " PROC_FIXTURE "\n"),
	                 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_null(obs_get_fact(&o, "device"));
	assert_null(obs_get_metric(&o, "read_ms"));
	assert_string_equal(obs_get_fact(&o, "error"),
	                    "device sdz not in " PROC_FIXTURE "/diskstats");
	assert_non_null(obs_get_metric(&o, "free_pct"));
	obs_free(&o);
	tu_probe_free(&c);
}

static void
disk_run__missing_path__statvfs_error(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "path: /nonexistent/mxsla\n"), 0);
	tu_probe_run(&c, &o);
	assert_string_equal(o.error, "statvfs /nonexistent/mxsla: No such file or directory");
	assert_int_equal(o.nm, 0);
	obs_free(&o);
	tu_probe_free(&c);
}

static void
disk_run__unreadable_proc_dir__space_still_reported(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "path: /\nproc_dir: /nonexistent/proc\n"), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_non_null(obs_get_metric(&o, "free_pct"));
	assert_null(obs_get_metric(&o, "read_ms"));
	assert_string_equal(obs_get_fact(&o, "error"),
	                    "open /nonexistent/proc/self/mountinfo: No such file or directory");
	obs_free(&o);
	tu_probe_free(&c);
}

static void
disk_configure__bad_options__every_error_reported(void **state)
{
	struct tu_probe c;

	(void)state;
	assert_int_equal(ctx_configure(&c, "probe: disk\n"), -1); /* no path */
	assert_true(c.errs.n >= 1);
	assert_null(c.t.conf);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "path: var/vmail\ndevice: /dev/sda\n"), -1);
	assert_int_equal(c.errs.n, 2);
	assert_non_null(strstr(c.errs.msgs[0], "path must be absolute"));
	assert_non_null(strstr(c.errs.msgs[0], "agent.yaml:1:"));
	assert_non_null(strstr(c.errs.msgs[1], "agent.yaml:2:"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "path: /var\nbogus: 1\n"), -1);
	tu_probe_free(&c);
}

/* A diskstats past the size cap is refused, not read in part. */
static void
disk_run__oversized_diskstats__error_fact(void **state)
{
	char *dir = tu_mkdtemp("proc");
	struct tu_probe c;
	struct obs o;

	(void)state;
	char *self = xasprintf("%s/self", dir);
	assert_int_equal(mkdir(self, 0755), 0);
	char *mi = xasprintf("%s/self/mountinfo", dir);
	char *text = tu_slurp(PROC_FIXTURE "/self/mountinfo", NULL);
	tu_write_file(mi, text);
	free(text);
	char *ds = xasprintf("%s/diskstats", dir);
	FILE *fp = fopen(ds, "w");
	assert_non_null(fp);
	/* 1 MiB of lines of other devices, then vda */
	for (int i = 0; i < 16384; i++)
		fprintf(fp, "%63s\n", "7 9 loop9 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0");
	fputs(" 254 0 vda 1 0 0 1 1 0 0 1 0 1 1\n", fp);
	fclose(fp);

	char *yaml = xasprintf("path: /\nproc_dir: %s\n", dir);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	char *want = xasprintf("%s: larger than 1048576 bytes", ds);
	assert_string_equal(obs_get_fact(&o, "error"), want);
	assert_null(obs_get_metric(&o, "read_ms"));
	assert_non_null(obs_get_metric(&o, "free_pct"));
	obs_free(&o);
	tu_probe_free(&c);

	tu_rm_rf(dir);
	free(dir);
	free(want);
	free(yaml);
	free(ds);
	free(mi);
	free(self);
}

/* A real file system filled to a known level: an 8 MiB tmpfs with a
   4 MiB file is 50 % free. */
static void
disk_run__tmpfs_half_full__free_pct_as_statvfs(void **state)
{
	char *dir = tu_mkdtemp("disk");
	struct tu_probe c;
	struct obs o;

	(void)state;
	if (mount("tmpfs", dir, "tmpfs", 0, "size=8m") < 0) {
		int e = errno;
		rmdir(dir);
		free(dir);
		fprintf(stderr, "# skipped: cannot mount a tmpfs (%s)\n", strerror(e));
		skip();
	}
	char *file = xasprintf("%s/fill", dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	static char block[65536];
	memset(block, 'x', sizeof(block));
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	close(fd);

	char *yaml = xasprintf("path: %s\n", dir);
	assert_int_equal(ctx_configure(&c, yaml), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	double free_pct = *obs_get_metric(&o, "free_pct");
	assert_true(free_pct > 48.0 && free_pct < 52.0);
	assert_near(*obs_get_metric(&o, "used_pct"), 100.0 - free_pct, 1e-9);
	double free_bytes = *obs_get_metric(&o, "free_bytes");
	assert_true(free_bytes > 3.9 * MiB && free_bytes <= 4.0 * MiB);
	assert_string_equal(obs_get_fact(&o, "fstype"), "tmpfs");
	assert_string_equal(obs_get_fact(&o, "mount"), dir);
	assert_null(obs_get_fact(&o, "device")); /* no block device */
	assert_null(obs_get_metric(&o, "read_ms"));
	assert_null(obs_get_fact(&o, "error"));
	obs_free(&o);
	tu_probe_free(&c);

	unlink(file);
	assert_int_equal(umount(dir), 0);
	rmdir(dir);
	free(dir);
	free(file);
	free(yaml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(disk_io_find__captured_20_field_file__reads_vda_counters),
	    cmocka_unit_test(disk_io_find__published_file__partitions_dm_and_old_format),
	    cmocka_unit_test(disk_io_find__absent_device__not_found),
	    cmocka_unit_test(disk_io_parse_line__malformed__rejected),
	    cmocka_unit_test(disk_io_rates__captured_then_edited_sample__exact_latency),
	    cmocka_unit_test(disk_io_rates__counter_backwards_or_no_time__refused),
	    cmocka_unit_test(disk_mount_find__captured_mountinfo__longest_prefix_wins),
	    cmocka_unit_test(disk_mount_find__published_mountinfo__nfs_and_mapper),
	    cmocka_unit_test(disk_mount_find__no_or_bad_lines__not_found),
	    cmocka_unit_test(disk_space_compute__reserved_blocks__df_convention),
	    cmocka_unit_test(disk_space_compute__no_inode_count__inodes_absent),
	    cmocka_unit_test(disk_trend__steady_growth__exact_hours_to_full),
	    cmocka_unit_test(disk_trend__noise_around_a_line__least_squares_slope),
	    cmocka_unit_test(disk_trend__too_few_too_short_or_not_growing__absent),
	    cmocka_unit_test(disk_trend__samples_older_than_an_hour__dropped),
	    cmocka_unit_test(disk_run__fixture_proc_dir__facts_and_first_run_latency),
	    cmocka_unit_test(disk_run__device_option__overrides_resolution),
	    cmocka_unit_test(disk_run__missing_path__statvfs_error),
	    cmocka_unit_test(disk_run__unreadable_proc_dir__space_still_reported),
	    cmocka_unit_test(disk_configure__bad_options__every_error_reported),
	    cmocka_unit_test(disk_run__oversized_diskstats__error_fact),
	    cmocka_unit_test(disk_run__tmpfs_half_full__free_pct_as_statvfs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
