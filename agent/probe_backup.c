/*
 * probe_backup.c - the `backup` probe: age, size and number of the
 * backup files in a directory (fnmatch glob, optionally recursive), or
 * the age of a success marker file.
 *
 * It only looks at names and inodes (readdir, fstatat); it does not open
 * or verify the backups, and knows no backup tool's catalog.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "cfgerr.h"
#include "obs.h"
#include "probe.h"
#include "schema.h"
#include "xmalloc.h"
#include "ytree.h"

struct backup_conf {
	char *path;
	char *pattern;
	bool recursive;
	char *marker;
	long long max_entries;
};

/* clang-format off */
static const struct sch_field backup_fields[] = {
	{ "path", SCH_STR, offsetof(struct backup_conf, path), 0, NULL, 0, 0, NULL },
	{ "pattern", SCH_STR, offsetof(struct backup_conf, pattern), 0, NULL, 0, 0, NULL },
	{ "recursive", SCH_BOOL, offsetof(struct backup_conf, recursive), 0, "false", 0, 0, NULL },
	{ "marker", SCH_STR, offsetof(struct backup_conf, marker), 0, NULL, 0, 0, NULL },
	{ "max_entries", SCH_INT, offsetof(struct backup_conf, max_entries), 0, "100000", 1,
	  1e9, NULL },
	SCH_END
};
/* clang-format on */

/* ---- scanning ----------------------------------------------------------- */

struct backup_walk {
	const char *root;
	const char *pattern;
	int recursive;
	long long max_entries, seen;
	struct backup_result *out;
	char **error_r;
};

static int
backup_newer(const struct timespec *a, const char *an, const struct timespec *b, const char *bn)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec > b->tv_sec;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec > b->tv_nsec;
	return strcmp(an, bn) > 0;
}

static void
backup_consider(struct backup_walk *w, const char *rel, const char *name, const struct stat *sb)
{
	struct backup_result *r = w->out;
	char *relname = rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);

	r->count++;
	if (r->newest == NULL || backup_newer(&sb->st_mtim, relname, &r->mtime, r->newest)) {
		free(r->newest);
		r->newest = relname;
		r->mtime = sb->st_mtim;
		r->size = (uint64_t)sb->st_size;
	} else {
		free(relname);
	}
}

/* Walk the directory open as dfd (taken over) at rel (NULL for the
   root).  Returns 0, or -1 with *w->error_r set. */
static int
backup_walk_dir(struct backup_walk *w, int dfd, const char *rel, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (d == NULL) {
		*w->error_r = rel ? xasprintf("opendir %s/%s: %s", w->root, rel, strerror(errno))
		                  : xasprintf("opendir %s: %s", w->root, strerror(errno));
		close(dfd);
		return -1;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0) {
				*w->error_r =
				    rel ? xasprintf("readdir %s/%s: %s", w->root, rel,
				                    strerror(errno))
				        : xasprintf("readdir %s: %s", w->root, strerror(errno));
				closedir(d);
				return -1;
			}
			break;
		}
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (++w->seen > w->max_entries) {
			*w->error_r = xasprintf("more than %lld entries under %s (max_entries)",
			                        w->max_entries, w->root);
			closedir(d);
			return -1;
		}
		struct stat sb;
		bool is_dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN)
			is_dir = fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
			         S_ISDIR(sb.st_mode);
		if (is_dir) {
			if (!w->recursive || depth >= BACKUP_MAX_DEPTH)
				continue;
			char *sub = rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
			int sfd =
			    openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int rc;
			if (sfd < 0) {
				*w->error_r =
				    xasprintf("opendir %s/%s: %s", w->root, sub, strerror(errno));
				rc = -1;
			} else {
				rc = backup_walk_dir(w, sfd, sub, depth + 1);
			}
			free(sub);
			if (rc < 0) {
				closedir(d);
				return -1;
			}
			continue;
		}
		if (fnmatch(w->pattern, name, FNM_PERIOD) != 0)
			continue;
		/* follows a link to a file; a file that vanished since readdir
		   or a dangling link is no backup */
		if (fstatat(dirfd(d), name, &sb, 0) < 0 || !S_ISREG(sb.st_mode))
			continue;
		backup_consider(w, rel, name, &sb);
	}
	closedir(d);
	return 0;
}

int
backup_scan(const char *path, const char *pattern, int recursive, long long max_entries,
            struct backup_result *out, char **error_r)
{
	struct backup_walk w = {path, pattern, recursive, max_entries, 0, out, error_r};
	int dfd;

	memset(out, 0, sizeof(*out));
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		*error_r = xasprintf("opendir %s: %s", path, strerror(errno));
		return -1;
	}
	if (backup_walk_dir(&w, dfd, NULL, 0) < 0) {
		backup_result_free(out);
		return -1;
	}
	return 0;
}

int
backup_marker(const char *marker, struct backup_result *out, char **error_r)
{
	struct stat sb;

	memset(out, 0, sizeof(*out));
	if (stat(marker, &sb) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		*error_r = xasprintf("stat %s: %s", marker, strerror(errno));
		return -1;
	}
	const char *base = strrchr(marker, '/');
	out->count = 1;
	out->newest = xstrdup(base ? base + 1 : marker);
	out->mtime = sb.st_mtim;
	out->size = (uint64_t)sb.st_size;
	return 0;
}

void
backup_result_free(struct backup_result *r)
{
	free(r->newest);
	memset(r, 0, sizeof(*r));
}

double
backup_age_s(const struct timespec *mtime, int64_t now_ms)
{
	int64_t m_ms = (int64_t)mtime->tv_sec * 1000 + mtime->tv_nsec / 1000000;
	return (double)(now_ms - m_ms) / 1000.0;
}

/* ---- the probe ---------------------------------------------------------- */

static void
backup_run(const struct target *t, void **state, struct obs *o)
{
	const struct backup_conf *c = t->conf;
	struct backup_result r;
	char *err = NULL;
	int rc;

	(void)state;
	if (c->marker)
		rc = backup_marker(c->marker, &r, &err);
	else
		rc = backup_scan(c->path, c->pattern, c->recursive, c->max_entries, &r, &err);
	if (rc < 0) {
		obs_error(o, "%s", err);
		free(err);
		return;
	}
	obs_metric(o, "count", (double)r.count);
	if (r.count > 0 && r.newest) {
		obs_metric(o, "age_s", backup_age_s(&r.mtime, probe_now_ms()));
		obs_metric(o, "size_bytes", (double)r.size);
		obs_fact(o, "newest", r.newest);
	}
	backup_result_free(&r);
}

static void
backup_free_conf(void *p)
{
	struct backup_conf *c = p;
	if (c == NULL)
		return;
	schema_free(backup_fields, c);
	free(c);
}

static int
backup_configure(struct target *t, const struct ynode *map, struct cfgerr *errs)
{
	struct backup_conf *c = xcalloc(1, sizeof(*c));
	int rc = schema_apply(map, backup_fields, c, TARGET_COMMON_KEYS, errs);

	if (c->marker) {
		if (c->path || c->pattern) {
			cfgerr_at(errs, ymap_get(map, "marker"),
			          "marker excludes path and pattern");
			rc = -1;
		} else if (c->marker[0] != '/') {
			cfgerr_at(errs, ymap_get(map, "marker"), "marker must be absolute: %s",
			          c->marker);
			rc = -1;
		}
		if (c->recursive) {
			cfgerr_at(errs, ymap_get(map, "recursive"),
			          "recursive needs path and pattern");
			rc = -1;
		}
	} else if (!c->path && !c->pattern) {
		cfgerr_at(errs, map, "path and pattern, or marker, are required");
		rc = -1;
	} else if (!c->pattern) {
		cfgerr_at(errs, ymap_get(map, "path"), "pattern is required with path");
		rc = -1;
	} else if (!c->path) {
		cfgerr_at(errs, ymap_get(map, "pattern"), "path is required with pattern");
		rc = -1;
	} else {
		if (c->path[0] != '/') {
			cfgerr_at(errs, ymap_get(map, "path"), "path must be absolute: %s",
			          c->path);
			rc = -1;
		}
		if (c->pattern[0] == '\0' || strchr(c->pattern, '/')) {
			cfgerr_at(errs, ymap_get(map, "pattern"),
			          "pattern is a glob on file names, without '/'");
			rc = -1;
		}
	}
	if (rc < 0) {
		backup_free_conf(c);
		t->conf = NULL;
		return -1;
	}
	t->conf = c;
	return 0;
}

static void
backup_free_state(void *state)
{
	free(state);
}

const struct probe_ops probe_backup_ops = {
    .name = "backup",
    .configure = backup_configure,
    .run = backup_run,
    .free_state = backup_free_state,
    .free_conf = backup_free_conf,
};
