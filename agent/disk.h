/*
 * disk.h - the `disk` probe (probe_disk_ops, "disk") and the pure
 * functions behind it.
 *
 * Options: path (required, absolute), device (diskstats name, overrides
 * the resolution from mountinfo), proc_dir (default "/proc").
 *
 * Metrics: free_pct, used_pct, free_bytes (statvfs, df convention),
 * inodes_free_pct (absent when the file system has no inode count, e.g.
 * btrfs), read_ms, write_ms (mean latency of the reads/writes completed
 * in the interval; 0 when there were none), util_pct (share of the wall
 * time the device was busy, at most 100), hours_to_full (least-squares
 * trend of the used bytes over the last hour of samples).
 * Facts: device (diskstats name), fstype, mount, source (the mount's
 * source as in mountinfo); error when the I/O statistics cannot be read.
 *
 * The first run of a target has no previous diskstats sample: it takes a
 * second one after min(1000 ms, timeout / 4), so a one-shot `scan` also
 * reports read_ms, write_ms and util_pct (over that short pause).
 *
 * Nothing here needs root.
 */
#ifndef MXSLA_DISK_H
#define MXSLA_DISK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/statvfs.h>

#define DISK_NAME_MAX 64

/* One device line of /proc/diskstats (the counters this probe uses). */
struct disk_io {
	unsigned major, minor;
	char name[DISK_NAME_MAX];
	uint64_t rd_ios; /* field 4: reads completed */
	uint64_t rd_ms;  /* field 7: ms spent reading */
	uint64_t wr_ios; /* field 8: writes completed */
	uint64_t wr_ms;  /* field 11: ms spent writing */
	uint64_t io_ms;  /* field 13: ms spent doing I/O */
};

/* Parse one line (without or with its newline).  Accepts the 14-field
   format and the longer ones of newer kernels.  Returns 0, or -1 when the
   line is not a device line. */
int disk_io_parse_line(const char *line, size_t len, struct disk_io *out);

/* Find a device in the text of /proc/diskstats: by name when name is not
   NULL, else by major:minor (first match).  Returns 0 when found, -1 when
   not. */
int disk_io_find(const char *text, size_t len, const char *name, unsigned major, unsigned minor,
                 struct disk_io *out);

struct disk_rates {
	double read_ms;  /* mean ms per read completed in the interval */
	double write_ms; /* mean ms per write completed in the interval */
	double util_pct; /* ms doing I/O / wall ms * 100, capped at 100 */
};

/* Rates between two samples of the same device taken wall_ms apart.
   Returns -1 when wall_ms <= 0 or a counter went backwards (device
   replaced, counter wrapped): then the caller starts a new baseline. */
int disk_io_rates(const struct disk_io *prev, const struct disk_io *cur, int64_t wall_ms,
                  struct disk_rates *out);

/* The mount that holds a path, from /proc/self/mountinfo. */
struct disk_mount {
	unsigned major, minor;
	char *mount_point; /* unescaped (\040 -> space ...), xmalloc'd */
	char *fstype;      /* xmalloc'd */
	char *source;      /* unescaped, xmalloc'd */
};

/* Find the mount of (path), an absolute canonical path (realpath): the
   mount with the longest mount point that is a prefix of path at a '/'
   boundary; a later line wins a tie (it is mounted over the earlier).
   Returns 0 and fills out (free with disk_mount_free), or -1 when no line
   matches. */
int disk_mount_find(const char *text, size_t len, const char *path, struct disk_mount *out);
void disk_mount_free(struct disk_mount *m);

/* Space figures of a statvfs result. */
struct disk_space {
	int has_pct;            /* 0 when the fs reports no blocks (free_pct, used_pct unset) */
	double free_pct;        /* f_bavail / (f_blocks - (f_bfree - f_bavail)) * 100 */
	double used_pct;        /* 100 - free_pct (df's Use%) */
	double free_bytes;      /* f_bavail * f_frsize */
	double used_bytes;      /* (f_blocks - f_bfree) * f_frsize */
	int has_inodes;         /* 0 when f_files == 0 */
	double inodes_free_pct; /* f_favail / f_files * 100 */
};
void disk_space_compute(const struct statvfs *sv, struct disk_space *out);

/* Used-bytes samples of the last hour, for hours_to_full. */
#define DISK_TREND_WINDOW_MS 3600000
#define DISK_TREND_MIN_SPAN_MS 60000
#define DISK_TREND_MAX 1024 /* at most this many samples; the oldest go first */

struct disk_trend {
	size_t n;
	int64_t t_ms[DISK_TREND_MAX]; /* monotonic, increasing */
	double used[DISK_TREND_MAX];  /* used bytes */
};

/* Add a sample and drop those older than DISK_TREND_WINDOW_MS before it.
   A sample older than the newest one kept restarts the trend. */
void disk_trend_add(struct disk_trend *tr, int64_t t_ms, double used_bytes);
/* Hours until free_bytes are used up at the least-squares slope of the
   samples.  Returns 0 and *hours_r, or -1 (absent) when there are fewer
   than 2 samples, they span less than DISK_TREND_MIN_SPAN_MS, or the slope
   is not positive. */
int disk_trend_hours_to_full(const struct disk_trend *tr, double free_bytes, double *hours_r);

#endif
