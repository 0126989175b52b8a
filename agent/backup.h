/*
 * backup.h - the `backup` probe (probe_backup_ops, "backup"): how old the
 * newest backup is.
 *
 * Options: either
 *   path + pattern    files in directory path whose names match the
 *                     fnmatch(3) glob pattern (a leading '.' is matched
 *                     only explicitly, as in the shell, so in-progress
 *                     hidden temporaries do not count); recursive: true
 *                     descends up to BACKUP_MAX_DEPTH levels of
 *                     subdirectories (symbolic links to directories are
 *                     not followed; links to files are)
 *   marker            a file the backup job writes on success
 * and max_entries (default 100000): more directory entries than this
 * make the run fail rather than report a newest file that may be wrong.
 *
 * Metrics: count (matches; marker: 1 if it exists), and when count > 0:
 * age_s (now - mtime of the newest match), size_bytes (its size).
 * Fact newest: its path relative to path (the file name unless
 * recursive; the marker's file name).  No match is count 0, not an
 * error; a directory that cannot be read is an error (check unknown).
 *
 * Needs read access to the backup directory, nothing more.
 */
#ifndef MXSLA_BACKUP_H
#define MXSLA_BACKUP_H

#include <stdint.h>
#include <time.h>

#define BACKUP_MAX_DEPTH 8

struct backup_result {
	long long count;       /* matching files */
	char *newest;          /* relative path of the newest, or NULL; xmalloc'd */
	struct timespec mtime; /* of the newest */
	uint64_t size;         /* of the newest */
};

/* Scan directory path for regular files matching pattern.  Returns 0, or
   -1 with *error_r (xmalloc'd: "opendir DIR: reason", or the entry cap)
   and out emptied.  A tie on mtime goes to the greater name. */
int backup_scan(const char *path, const char *pattern, int recursive, long long max_entries,
                struct backup_result *out, char **error_r);
/* A marker file: count 1 and its mtime and size when it exists, count 0
   when it does not (ENOENT, ENOTDIR).  Returns -1 with *error_r for other
   failures (permission). */
int backup_marker(const char *marker, struct backup_result *out, char **error_r);
void backup_result_free(struct backup_result *r);

/* Seconds from mtime to now_ms (ms since the epoch), millisecond precision. */
double backup_age_s(const struct timespec *mtime, int64_t now_ms);

#endif
