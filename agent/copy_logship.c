/*
 * copy_logship.c - copy driver `logship`: log shipping seen as two
 * directories of numbered logs, the way Exchange 2007 LCR/CCR ship
 * closed transaction logs (E00 + 8 hex digits of generation, ".log") and
 * the way PostgreSQL archive shipping copies WAL segments.
 *
 * Options:
 *   source        directory the active copy writes closed logs to (required)
 *   replica       directory of the passive copy (required)
 *   pattern       regex on file names; the generation is the named group
 *                 `gen`, else group 1 (default: Exchange 2007 names,
 *                 ^E[0-9A-F]{2}([0-9A-F]{8})\.log$)
 *   base          10 or 16 (default 16)
 *   replayed      a file holding the last replayed generation: its trimmed
 *                 content is a number in `base` or a log file name that
 *                 `pattern` matches.  One file, written by whatever replays
 *                 (a restore_command wrapper, a replay script), is the one
 *                 design kept: a replay directory could not tell a log
 *                 copied but not yet replayed from one replayed.
 *   suspend_file  while this file exists the copy is Suspended (the admin's
 *                 Suspend-StorageGroupCopy)
 *
 * Arithmetic (generations, as Get-StorageGroupCopyStatus counts them):
 *   copy_queue   = highest source generation - highest replica generation
 *                  (>= 0); with an empty replica, every source log
 *   replay_queue = highest replica generation - replayed generation (>= 0);
 *                  absent without `replayed`
 *   lag_s        = mtime(newest source log) - mtime(oldest source log not
 *                  yet copied) when copy_queue > 0, else 0
 *                  (LatestAvailableLogTime - LastCopiedLogTime)
 * Status: source unreadable -> obs_error; suspend_file present ->
 * Suspended; replica missing or unreadable -> Failed; replica empty ->
 * Initializing; otherwise Healthy whatever the queues (rules judge them).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgerr.h"
#include "copy.h"
#include "obs.h"
#include "probe.h"
#include "rx.h"
#include "schema.h"
#include "xmalloc.h"
#include "ytree.h"

struct logship_conf {
	char *source;
	char *replica;
	struct rx *pattern;
	long long base;
	char *replayed;
	char *suspend_file;
};

static const struct sch_field logship_fields[] = {
    {"source", SCH_STR, offsetof(struct logship_conf, source), 1, NULL, 0, 0, NULL},
    {"replica", SCH_STR, offsetof(struct logship_conf, replica), 1, NULL, 0, 0, NULL},
    {"pattern", SCH_REGEX, offsetof(struct logship_conf, pattern), 0,
     "^E[0-9A-F]{2}([0-9A-F]{8})\\.log$", 0, 0, NULL},
    {"base", SCH_INT, offsetof(struct logship_conf, base), 0, "16", 10, 16, NULL},
    {"replayed", SCH_STR, offsetof(struct logship_conf, replayed), 0, NULL, 0, 0, NULL},
    {"suspend_file", SCH_STR, offsetof(struct logship_conf, suspend_file), 0, NULL, 0, 0, NULL},
    SCH_END};

/* Digits of (s, len) in (base); -1 when empty, not all digits or > 2^63-1. */
static int
parse_generation(const char *s, size_t len, int base, int64_t *gen_r)
{
	uint64_t v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int d;
		unsigned char c = (unsigned char)s[i];

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (d >= base)
			return -1;
		if (v > ((uint64_t)INT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*gen_r = (int64_t)v;
	return 0;
}

struct gen_grab {
	const char *value;
	size_t len;
	int found;
};

static void
grab_gen(void *ctx, const char *name, const char *value, size_t vlen)
{
	struct gen_grab *g = ctx;

	if (strcmp(name, "gen") == 0) {
		g->value = value;
		g->len = vlen;
		g->found = 1;
	}
}

static int
has_gen_group(const struct rx *pattern)
{
	size_t n = rx_group_count(pattern);

	for (size_t i = 0; i < n; i++)
		if (strcmp(rx_group_name(pattern, i), "gen") == 0)
			return 1;
	return 0;
}

static int
generation_of(const struct rx *pattern, int named, int base, const char *name, int64_t *gen_r)
{
	size_t len = strlen(name);

	if (named) {
		struct gen_grab g = {NULL, 0, 0};

		if (rx_match_groups(pattern, name, len, grab_gen, &g) != 1 || !g.found)
			return 0;
		return parse_generation(g.value, g.len, base, gen_r) == 0;
	} else {
		char *s = rx_match_group_n(pattern, name, len, 1);
		int ok;

		if (s == NULL)
			return 0;
		ok = parse_generation(s, strlen(s), base, gen_r) == 0;
		free(s);
		return ok;
	}
}

int
copy_logship_generation(const struct rx *pattern, int base, const char *name, int64_t *gen_r)
{
	return generation_of(pattern, has_gen_group(pattern), base, name, gen_r);
}

/* mtime of dir/name in seconds, -1 if it cannot be read (vanished). */
static int64_t
mtime_at(int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, 0) < 0)
		return -1;
	return (int64_t)st.st_mtim.tv_sec;
}

int
copy_logship_scan(const char *dir, const struct rx *pattern, int base, int64_t after,
                  struct copy_logship_dir *out, char **error_r)
{
	DIR *d;
	struct dirent *de;
	size_t entries = 0;
	char *high_name = NULL, *next_name = NULL;
	int named = has_gen_group(pattern);

	memset(out, 0, sizeof(*out));
	out->high = out->low = out->next = -1;
	out->high_mtime = out->next_mtime = -1;

	d = opendir(dir);
	if (d == NULL) {
		*error_r = xasprintf("cannot open %s: %s", dir, strerror(errno));
		return -1;
	}
	for (;;) {
		int64_t gen;

		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0) {
				*error_r = xasprintf("cannot read %s: %s", dir, strerror(errno));
				goto fail;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++entries > COPY_LOGSHIP_MAX_ENTRIES) {
			*error_r = xasprintf("%s holds more than %d entries", dir,
			                     COPY_LOGSHIP_MAX_ENTRIES);
			goto fail;
		}
		if (!generation_of(pattern, named, base, de->d_name, &gen))
			continue;
		out->count++;
		if (out->high < 0 || gen > out->high) {
			out->high = gen;
			free(high_name);
			high_name = xstrdup(de->d_name);
		}
		if (out->low < 0 || gen < out->low)
			out->low = gen;
		if (gen > after && (out->next < 0 || gen < out->next)) {
			out->next = gen;
			free(next_name);
			next_name = xstrdup(de->d_name);
		}
	}
	if (high_name != NULL)
		out->high_mtime = mtime_at(dirfd(d), high_name);
	if (next_name != NULL)
		out->next_mtime = mtime_at(dirfd(d), next_name);
	free(high_name);
	free(next_name);
	closedir(d);
	return 0;
fail:
	free(high_name);
	free(next_name);
	closedir(d);
	return -1;
}

int
copy_logship_read_replayed(const char *path, const struct rx *pattern, int base, int64_t *gen_r,
                           char **error_r)
{
	char buf[257];
	ssize_t n;
	size_t len;
	char *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		*error_r = xasprintf("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		*error_r = xasprintf("cannot read %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	buf[n] = '\0';
	p = buf;
	while (isspace((unsigned char)*p))
		p++;
	len = strlen(p);
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		p[--len] = '\0';
	if (parse_generation(p, len, base, gen_r) == 0)
		return 0;
	if (len > 0 && copy_logship_generation(pattern, base, p, gen_r))
		return 0;
	*error_r =
	    xasprintf("%s: '%.64s' is neither a generation number nor a log file name", path, p);
	return -1;
}

static void
fact_gen(struct obs *o, const char *name, int64_t gen)
{
	obs_factf(o, name, "%lld", (long long)gen);
}

void
copy_logship_report(const struct copy_logship_view *v, struct obs *o)
{
	enum copy_status st;
	const struct copy_logship_dir *s = &v->source, *r = &v->replica;

	if (s->count > 0)
		fact_gen(o, "last_generated", s->high);
	if (v->replica_ok && r->count > 0)
		fact_gen(o, "last_copied", r->high);
	if (v->replayed_known)
		fact_gen(o, "last_replayed", v->replayed);

	if (!v->replica_ok) {
		st = COPY_FAILED;
		obs_factf(o, "error", "replica: %s",
		          v->replica_error ? v->replica_error : "unreadable");
	} else {
		int64_t queue, since;

		if (r->count == 0) {
			/* nothing copied yet: every source log is waiting */
			st = COPY_INITIALIZING;
			queue = s->count > 0 ? s->high - s->low + 1 : 0;
		} else {
			st = COPY_HEALTHY;
			queue = s->count > 0 && s->high > r->high ? s->high - r->high : 0;
		}
		obs_metric(o, "copy_queue", (double)queue);
		if (queue == 0)
			obs_metric(o, "lag_s", 0);
		else if (s->high_mtime >= 0 && s->next_mtime >= 0) {
			since = s->high_mtime - s->next_mtime;
			obs_metric(o, "lag_s", since > 0 ? (double)since : 0);
		}
		if (v->replayed_known) {
			int64_t rq =
			    r->count > 0 && r->high > v->replayed ? r->high - v->replayed : 0;

			obs_metric(o, "replay_queue", (double)rq);
		}
		if (v->replayed_error != NULL)
			obs_factf(o, "error", "replayed: %s", v->replayed_error);
	}
	if (v->suspended)
		st = COPY_SUSPENDED;
	copy_report_status(o, st);
}

static int
logship_configure(void *conf, const struct ynode *map, struct cfgerr *errs)
{
	const struct logship_conf *c = conf;

	if (c->base != 10 && c->base != 16) {
		cfgerr_at(errs, ymap_get(map, "base"), "base must be 10 or 16");
		return -1;
	}
	return 0;
}

static void
logship_run(const void *conf, const struct target *t, void **state, struct obs *o)
{
	const struct logship_conf *c = conf;
	struct copy_logship_view v;
	char *rerr = NULL, *serr = NULL, *perr = NULL;
	int64_t after = -1;
	struct stat st;

	(void)t;
	(void)state;
	memset(&v, 0, sizeof(v));
	if (copy_logship_scan(c->replica, c->pattern, (int)c->base, -1, &v.replica, &rerr) < 0) {
		v.replica_ok = 0;
		v.replica_error = rerr;
	} else {
		v.replica_ok = 1;
		if (v.replica.count > 0)
			after = v.replica.high;
	}
	if (copy_logship_scan(c->source, c->pattern, (int)c->base, after, &v.source, &serr) < 0) {
		obs_error(o, "source: %s", serr);
		free(serr);
		free(rerr);
		return;
	}
	if (c->replayed != NULL) {
		if (copy_logship_read_replayed(c->replayed, c->pattern, (int)c->base, &v.replayed,
		                               &perr) == 0)
			v.replayed_known = 1;
		else
			v.replayed_error = perr;
	}
	v.suspended = c->suspend_file != NULL && stat(c->suspend_file, &st) == 0;
	copy_logship_report(&v, o);
	free(rerr);
	free(perr);
}

const struct copy_driver copy_driver_logship = {
    .name = "logship",
    .fields = logship_fields,
    .conf_size = sizeof(struct logship_conf),
    .configure = logship_configure,
    .run = logship_run,
    .free_state = NULL,
};
