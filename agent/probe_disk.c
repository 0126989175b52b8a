/*
 * probe_disk.c - the `disk` probe: free space and inodes of the file
 * system holding `path` (statvfs), I/O latency and utilisation of the
 * block device behind it (/proc/diskstats deltas), and a fill trend.
 *
 * The device is found through /proc/self/mountinfo (longest mount point
 * that is a prefix of the real path; its major:minor looked up in
 * /proc/diskstats, else the base name of the mount source).  A partition
 * reports its own counters; dm-N devices come straight from diskstats.
 * File systems without a block device (tmpfs, NFS) have no I/O metrics.
 *
 * It does not follow LVM/MD/DRBD stacking down to the slave devices.
 * statvfs on a dead NFS mount may block: the scheduler's per-probe
 * thread and timeout deal with that; this file adds no other blocking
 * call than realpath.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfgerr.h"
#include "disk.h"
#include "obs.h"
#include "probe.h"
#include "schema.h"
#include "xmalloc.h"
#include "ytree.h"

#define DISK_DISKSTATS_MAX (1024 * 1024)     /* cap on /proc/diskstats */
#define DISK_MOUNTINFO_MAX (4 * 1024 * 1024) /* cap on mountinfo (hosts with many mounts) */
#define DISK_PAUSE_MAX_MS 1000

struct disk_conf {
	char *path;
	char *device;
	char *proc_dir;
};

/* clang-format off */
static const struct sch_field disk_fields[] = {
	{ "path", SCH_STR, offsetof(struct disk_conf, path), 1, NULL, 0, 0, NULL },
	{ "device", SCH_STR, offsetof(struct disk_conf, device), 0, NULL, 0, 0, NULL },
	{ "proc_dir", SCH_STR, offsetof(struct disk_conf, proc_dir), 0, "/proc", 0, 0, NULL },
	SCH_END
};
/* clang-format on */

/* Per-target memory between runs. */
struct disk_state {
	bool have_io;
	struct disk_io io;  /* previous diskstats sample */
	int64_t io_mono_ms; /* when it was taken */
	struct disk_trend trend;
};

/* ---- parsing ---------------------------------------------------------- */

/* Next space-separated token of [*p, end); returns its length, 0 at end. */
static size_t
disk_token(const char **p, const char *end, const char **tok_r)
{
	const char *s = *p;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	const char *t = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*tok_r = t;
	*p = s;
	return (size_t)(s - t);
}

static int
disk_parse_u64(const char *tok, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return -1;
		unsigned d = (unsigned)(tok[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
disk_parse_uint(const char *tok, size_t n, unsigned *out)
{
	uint64_t v;
	if (disk_parse_u64(tok, n, &v) < 0 || v > UINT_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int
disk_io_parse_line(const char *line, size_t len, struct disk_io *out)
{
	const char *p = line, *end = line + len, *tok;
	uint64_t f[11]; /* fields 4..14 */
	size_t n;

	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	memset(out, 0, sizeof(*out));
	n = disk_token(&p, end, &tok);
	if (disk_parse_uint(tok, n, &out->major) < 0)
		return -1;
	n = disk_token(&p, end, &tok);
	if (disk_parse_uint(tok, n, &out->minor) < 0)
		return -1;
	n = disk_token(&p, end, &tok);
	if (n == 0 || n >= sizeof(out->name))
		return -1;
	memcpy(out->name, tok, n);
	out->name[n] = '\0';
	for (size_t i = 0; i < 11; i++) {
		n = disk_token(&p, end, &tok);
		if (disk_parse_u64(tok, n, &f[i]) < 0)
			return -1;
	}
	out->rd_ios = f[0];
	out->rd_ms = f[3];
	out->wr_ios = f[4];
	out->wr_ms = f[7];
	out->io_ms = f[9];
	return 0;
}

int
disk_io_find(const char *text, size_t len, const char *name, unsigned major, unsigned minor,
             struct disk_io *out)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct disk_io io;
		if (disk_io_parse_line(p, (size_t)(eol - p), &io) == 0) {
			bool hit = name ? strcmp(io.name, name) == 0
			                : (io.major == major && io.minor == minor);
			if (hit) {
				*out = io;
				return 0;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return -1;
}

int
disk_io_rates(const struct disk_io *prev, const struct disk_io *cur, int64_t wall_ms,
              struct disk_rates *out)
{
	if (wall_ms <= 0)
		return -1;
	if (cur->rd_ios < prev->rd_ios || cur->rd_ms < prev->rd_ms || cur->wr_ios < prev->wr_ios ||
	    cur->wr_ms < prev->wr_ms || cur->io_ms < prev->io_ms)
		return -1;
	uint64_t drd = cur->rd_ios - prev->rd_ios, dwr = cur->wr_ios - prev->wr_ios;
	out->read_ms = drd ? (double)(cur->rd_ms - prev->rd_ms) / (double)drd : 0.0;
	out->write_ms = dwr ? (double)(cur->wr_ms - prev->wr_ms) / (double)dwr : 0.0;
	out->util_pct = (double)(cur->io_ms - prev->io_ms) * 100.0 / (double)wall_ms;
	if (out->util_pct > 100.0)
		out->util_pct = 100.0;
	return 0;
}

/* Copy a mountinfo field, turning \NNN octal escapes back into bytes. */
static char *
disk_unescape(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*o++ =
			    (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Length of mount point mp if it is a prefix of path at a '/' boundary,
   else -1. */
static long
disk_prefix_len(const char *mp, const char *path)
{
	size_t n = strlen(mp);
	if (strcmp(mp, "/") == 0)
		return 1;
	while (n > 1 && mp[n - 1] == '/')
		n--;
	if (strncmp(mp, path, n) != 0)
		return -1;
	if (path[n] != '\0' && path[n] != '/')
		return -1;
	return (long)n;
}

int
disk_mount_find(const char *text, size_t len, const char *path, struct disk_mount *out)
{
	const char *p = text, *end = text + len;
	long best = -1;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *q = p, *tok[6];
		size_t tn[6], i;

		/* id parent maj:min root mountpoint options [optional...] - fstype source super */
		for (i = 0; i < 6; i++) {
			tn[i] = disk_token(&q, eol, &tok[i]);
			if (tn[i] == 0)
				break;
		}
		if (i == 6) {
			const char *sep;
			size_t sn;
			do
				sn = disk_token(&q, eol, &sep);
			while (sn != 0 && !(sn == 1 && sep[0] == '-'));
			const char *fst, *src;
			size_t fn = disk_token(&q, eol, &fst);
			size_t srn = disk_token(&q, eol, &src);
			const char *colon = memchr(tok[2], ':', tn[2]);
			unsigned maj, min;
			if (sn == 1 && fn > 0 && srn > 0 && colon &&
			    disk_parse_uint(tok[2], (size_t)(colon - tok[2]), &maj) == 0 &&
			    disk_parse_uint(colon + 1, tn[2] - (size_t)(colon - tok[2]) - 1,
			                    &min) == 0) {
				char *mp = disk_unescape(tok[4], tn[4]);
				long l = disk_prefix_len(mp, path);
				if (l >= 0 && l >= best) {
					disk_mount_free(out);
					best = l;
					out->major = maj;
					out->minor = min;
					out->mount_point = mp;
					out->fstype = xstrndup(fst, fn);
					out->source = disk_unescape(src, srn);
				} else {
					free(mp);
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
	return best >= 0 ? 0 : -1;
}

void
disk_mount_free(struct disk_mount *m)
{
	free(m->mount_point);
	free(m->fstype);
	free(m->source);
	m->mount_point = m->fstype = m->source = NULL;
}

void
disk_space_compute(const struct statvfs *sv, struct disk_space *out)
{
	double frsize = sv->f_frsize ? (double)sv->f_frsize : (double)sv->f_bsize;
	double blocks = (double)sv->f_blocks, bfree = (double)sv->f_bfree,
	       bavail = (double)sv->f_bavail;

	memset(out, 0, sizeof(*out));
	if (bavail > bfree)
		bavail = bfree;
	out->free_bytes = bavail * frsize;
	out->used_bytes = blocks > bfree ? (blocks - bfree) * frsize : 0.0;
	/* df: used + available, i.e. the blocks an unprivileged user can have */
	double denom = blocks - (bfree - bavail);
	if (denom > 0) {
		out->has_pct = 1;
		out->free_pct = bavail / denom * 100.0;
		out->used_pct = 100.0 - out->free_pct;
	}
	if (sv->f_files > 0) {
		out->has_inodes = 1;
		out->inodes_free_pct = (double)sv->f_favail / (double)sv->f_files * 100.0;
	}
}

void
disk_trend_add(struct disk_trend *tr, int64_t t_ms, double used_bytes)
{
	size_t keep = 0;

	if (tr->n > 0 && t_ms < tr->t_ms[tr->n - 1])
		tr->n = 0;
	while (keep < tr->n && tr->t_ms[keep] < t_ms - DISK_TREND_WINDOW_MS)
		keep++;
	if (tr->n - keep == DISK_TREND_MAX)
		keep++;
	if (keep > 0) {
		memmove(tr->t_ms, tr->t_ms + keep, (tr->n - keep) * sizeof(tr->t_ms[0]));
		memmove(tr->used, tr->used + keep, (tr->n - keep) * sizeof(tr->used[0]));
		tr->n -= keep;
	}
	tr->t_ms[tr->n] = t_ms;
	tr->used[tr->n] = used_bytes;
	tr->n++;
}

int
disk_trend_hours_to_full(const struct disk_trend *tr, double free_bytes, double *hours_r)
{
	if (tr->n < 2 || tr->t_ms[tr->n - 1] - tr->t_ms[0] < DISK_TREND_MIN_SPAN_MS)
		return -1;
	/* Least squares on (hours since the first sample, bytes since the
	   first sample): offsets keep the sums small and exact. */
	double sx = 0, sy = 0, n = (double)tr->n;
	for (size_t i = 0; i < tr->n; i++) {
		sx += (double)(tr->t_ms[i] - tr->t_ms[0]) / 3600000.0;
		sy += tr->used[i] - tr->used[0];
	}
	double mx = sx / n, my = sy / n, sxx = 0, sxy = 0;
	for (size_t i = 0; i < tr->n; i++) {
		double dx = (double)(tr->t_ms[i] - tr->t_ms[0]) / 3600000.0 - mx;
		double dy = tr->used[i] - tr->used[0] - my;
		sxx += dx * dx;
		sxy += dx * dy;
	}
	if (sxx <= 0)
		return -1;
	double slope = sxy / sxx; /* bytes per hour */
	if (!(slope > 0) || !isfinite(slope))
		return -1;
	*hours_r = (free_bytes > 0 ? free_bytes : 0) / slope;
	return 0;
}

/* ---- the probe ---------------------------------------------------------- */

/* Read a whole (proc) file of at most cap bytes into a NUL-terminated
   buffer.  Returns 0, or -1 with *error_r (xmalloc'd). */
static int
disk_read_file(const char *path, size_t cap, char **buf_r, size_t *len_r, char **error_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = xasprintf("open %s: %s", path, strerror(errno));
		return -1;
	}
	size_t size = 8192, len = 0;
	char *buf = xmalloc(size);
	for (;;) {
		if (len + 1 >= size) {
			if (size >= cap) {
				*error_r = xasprintf("%s: larger than %zu bytes", path, cap);
				goto fail;
			}
			size *= 2;
			buf = xrealloc(buf, size);
		}
		ssize_t r = read(fd, buf + len, size - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*error_r = xasprintf("read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*buf_r = buf;
	*len_r = len;
	return 0;
fail:
	close(fd);
	free(buf);
	return -1;
}

/* Read diskstats and find the device.  Returns 0, or -1 with *error_r. */
static int
disk_sample(const struct disk_conf *c, const char *name, unsigned major, unsigned minor,
            struct disk_io *io, char **error_r)
{
	char *path = xasprintf("%s/diskstats", c->proc_dir), *text;
	size_t len;
	int rc = disk_read_file(path, DISK_DISKSTATS_MAX, &text, &len, error_r);
	if (rc == 0) {
		rc = disk_io_find(text, len, name, major, minor, io);
		if (rc < 0) {
			if (name)
				*error_r = xasprintf("device %s not in %s", name, path);
			else
				*error_r = xasprintf("device %u:%u not in %s", major, minor, path);
		}
		free(text);
	}
	free(path);
	return rc;
}

/* Resolve the diskstats device of the mount.  Returns 0 with *io (a
   first sample), or -1 when the mount has no block device in diskstats
   (tmpfs, NFS: not an error) or with *error_r set when it could not tell. */
static int
disk_resolve(const struct disk_conf *c, const struct disk_mount *m, bool have_mount,
             struct disk_io *io, char **error_r)
{
	*error_r = NULL;
	if (c->device)
		return disk_sample(c, c->device, 0, 0, io, error_r);
	if (!have_mount)
		return -1;
	char *err = NULL;
	if (disk_sample(c, NULL, m->major, m->minor, io, &err) == 0)
		return 0;
	/* major 0 is an anonymous device (btrfs, tmpfs, NFS): try the mount
	   source's base name, after resolving /dev/mapper/x -> /dev/dm-N */
	if (strncmp(m->source, "/dev/", 5) == 0) {
		char *real = realpath(m->source, NULL);
		const char *src = real ? real : m->source;
		const char *base = strrchr(src, '/') + 1;
		char *err2 = NULL;
		int rc = disk_sample(c, base, 0, 0, io, &err2);
		free(real);
		if (rc == 0) {
			free(err);
			return 0;
		}
		free(err2);
	}
	/* only a read failure is worth reporting; a missing entry is normal */
	if (err && strncmp(err, "device ", 7) != 0)
		*error_r = err;
	else
		free(err);
	return -1;
}

static void
disk_pause_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
disk_io_metrics(const struct target *t, struct disk_state *st, struct disk_io *io, int64_t io_mono,
                struct obs *o)
{
	const struct disk_conf *c = t->conf;
	struct disk_rates r;
	char *err = NULL;

	if (!st->have_io || strcmp(st->io.name, io->name) != 0 ||
	    disk_io_rates(&st->io, io, io_mono - st->io_mono_ms, &r) < 0) {
		/* no usable baseline: a short second sample */
		int64_t pause = t->timeout_ms > 0 ? t->timeout_ms / 4 : DISK_PAUSE_MAX_MS;
		if (pause > DISK_PAUSE_MAX_MS)
			pause = DISK_PAUSE_MAX_MS;
		st->io = *io;
		st->io_mono_ms = io_mono;
		st->have_io = true;
		if (pause <= 0)
			return;
		disk_pause_ms(pause);
		io_mono = probe_mono_ms();
		if (disk_sample(c, io->name, 0, 0, io, &err) < 0) {
			obs_fact(o, "error", err);
			free(err);
			st->have_io = false;
			return;
		}
		if (disk_io_rates(&st->io, io, io_mono - st->io_mono_ms, &r) < 0) {
			st->io = *io;
			st->io_mono_ms = io_mono;
			return;
		}
	}
	obs_metric(o, "read_ms", r.read_ms);
	obs_metric(o, "write_ms", r.write_ms);
	obs_metric(o, "util_pct", r.util_pct);
	st->io = *io;
	st->io_mono_ms = io_mono;
}

static void
disk_run(const struct target *t, void **state, struct obs *o)
{
	const struct disk_conf *c = t->conf;
	struct disk_state *st = *state;
	struct statvfs sv;
	struct disk_space sp;

	if (st == NULL)
		*state = st = xcalloc(1, sizeof(*st));

	if (statvfs(c->path, &sv) < 0) {
		obs_error(o, "statvfs %s: %s", c->path, strerror(errno));
		return;
	}
	disk_space_compute(&sv, &sp);
	if (sp.has_pct) {
		obs_metric(o, "free_pct", sp.free_pct);
		obs_metric(o, "used_pct", sp.used_pct);
	}
	obs_metric(o, "free_bytes", sp.free_bytes);
	if (sp.has_inodes)
		obs_metric(o, "inodes_free_pct", sp.inodes_free_pct);

	double hours;
	disk_trend_add(&st->trend, probe_mono_ms(), sp.used_bytes);
	if (disk_trend_hours_to_full(&st->trend, sp.free_bytes, &hours) == 0)
		obs_metric(o, "hours_to_full", hours);

	/* which mount and device */
	struct disk_mount m;
	bool have_mount = false;
	char *real = realpath(c->path, NULL), *err = NULL;
	if (real == NULL) {
		obs_factf(o, "error", "realpath %s: %s", c->path, strerror(errno));
	} else {
		char *mi = xasprintf("%s/self/mountinfo", c->proc_dir), *text;
		size_t len;
		if (disk_read_file(mi, DISK_MOUNTINFO_MAX, &text, &len, &err) < 0) {
			obs_fact(o, "error", err);
			free(err);
			err = NULL;
		} else {
			have_mount = disk_mount_find(text, len, real, &m) == 0;
			free(text);
		}
		free(mi);
		free(real);
	}
	if (have_mount) {
		obs_fact(o, "mount", m.mount_point);
		obs_fact(o, "fstype", m.fstype);
		obs_fact(o, "source", m.source);
	}

	struct disk_io io;
	if (disk_resolve(c, &m, have_mount, &io, &err) == 0) {
		int64_t io_mono = probe_mono_ms();
		obs_fact(o, "device", io.name);
		disk_io_metrics(t, st, &io, io_mono, o);
	} else {
		if (err) {
			obs_fact(o, "error", err);
			free(err);
		}
		st->have_io = false;
	}
	if (have_mount)
		disk_mount_free(&m);
}

static void
disk_free_conf(void *p)
{
	struct disk_conf *c = p;
	if (c == NULL)
		return;
	schema_free(disk_fields, c);
	free(c);
}

static int
disk_configure(struct target *t, const struct ynode *map, struct cfgerr *errs)
{
	struct disk_conf *c = xcalloc(1, sizeof(*c));
	int rc = schema_apply(map, disk_fields, c, TARGET_COMMON_KEYS, errs);

	if (c->path && c->path[0] != '/') {
		cfgerr_at(errs, ymap_get(map, "path"), "path must be absolute: %s", c->path);
		rc = -1;
	}
	if (c->device && (c->device[0] == '\0' || strchr(c->device, '/') ||
	                  strlen(c->device) >= DISK_NAME_MAX)) {
		cfgerr_at(errs, ymap_get(map, "device"),
		          "device must be a /proc/diskstats name such as sda1 or dm-0");
		rc = -1;
	}
	if (c->proc_dir && c->proc_dir[0] == '\0') {
		cfgerr_at(errs, ymap_get(map, "proc_dir"), "proc_dir must not be empty");
		rc = -1;
	}
	if (rc < 0) {
		disk_free_conf(c);
		t->conf = NULL;
		return -1;
	}
	t->conf = c;
	return 0;
}

static void
disk_free_state(void *state)
{
	free(state);
}

const struct probe_ops probe_disk_ops = {
    .name = "disk",
    .configure = disk_configure,
    .run = disk_run,
    .free_state = disk_free_state,
    .free_conf = disk_free_conf,
};
