/*
 * probe_process.c - the `process` probe: how many processes of a kind
 * run, their memory, CPU and age, from /proc.
 *
 * A name match reads only /proc/PID/comm for every pid (a few bytes) and
 * stat/statm for the matches; a /regex/ match reads every cmdline (up to
 * PROCESS_CMDLINE_MAX bytes).  Per-target state keeps the previous run's
 * ticks per pid for cpu_pct.
 *
 * It does not look at threads, cgroups or containers of their own pid
 * namespace beyond what proc_dir shows.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgerr.h"
#include "obs.h"
#include "probe.h"
#include "process.h"
#include "rx.h"
#include "schema.h"
#include "xmalloc.h"
#include "ytree.h"

#define PROCESS_STAT_MAX 4096 /* /proc/PID/stat is about 300 bytes */
#define PROCESS_PIDFILE_MAX 4096
#define PROCESS_PROCSTAT_MAX (4 * 1024 * 1024) /* /proc/stat grows with CPUs and IRQs */

struct process_conf {
	char *process;
	char *pidfile;
	char *proc_dir;
	char *name;    /* process: NAME */
	struct rx *rx; /* process: /RE/ */
};

/* clang-format off */
static const struct sch_field process_fields[] = {
	{ "process", SCH_STR, offsetof(struct process_conf, process), 0, NULL, 0, 0, NULL },
	{ "pidfile", SCH_STR, offsetof(struct process_conf, pidfile), 0, NULL, 0, 0, NULL },
	{ "proc_dir", SCH_STR, offsetof(struct process_conf, proc_dir), 0, "/proc", 0, 0, NULL },
	SCH_END
};
/* clang-format on */

struct process_state {
	bool valid;
	struct process_ticks *t; /* previous run's matches, sorted by pid */
	size_t n;
	int64_t mono_ms;
};

/* ---- parsing ---------------------------------------------------------- */

static int
process_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	while (s < end && *s == ' ')
		s++;
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	while (s < end && *s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		s++;
	}
	if (s < end && *s != ' ' && *s != '\n')
		return -1;
	*out = v;
	*p = s;
	return 0;
}

/* Skip one field of any content (signed numbers in stat). */
static int
process_skip(const char **p, const char *end)
{
	const char *s = *p;
	while (s < end && *s == ' ')
		s++;
	if (s >= end || *s == '\n')
		return -1;
	while (s < end && *s != ' ' && *s != '\n')
		s++;
	*p = s;
	return 0;
}

int
process_stat_parse(const char *text, size_t len, struct process_stat *out)
{
	const char *end = text + len, *p = text, *rp = NULL;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (process_u64(&p, end, &v) < 0 || v == 0 || v > INT_MAX)
		return -1;
	out->pid = (int)v;
	/* the command name is in parentheses and may contain ')' */
	for (const char *s = p; s < end; s++)
		if (*s == ')')
			rp = s;
	if (rp == NULL || rp + 2 >= end || rp[1] != ' ')
		return -1;
	p = rp + 2;
	out->state = *p++;           /* field 3 */
	for (int f = 4; f <= 8; f++) /* ppid pgrp session tty_nr tpgid */
		if (process_skip(&p, end) < 0)
			return -1;
	if (process_u64(&p, end, &v) < 0) /* field 9: flags */
		return -1;
	out->flags = (unsigned long)v;
	for (int f = 10; f <= 13; f++) /* minflt cminflt majflt cmajflt */
		if (process_skip(&p, end) < 0)
			return -1;
	if (process_u64(&p, end, &out->utime) < 0 || process_u64(&p, end, &out->stime) < 0)
		return -1;
	for (int f = 16; f <= 21; f++) /* cutime cstime priority nice threads itreal */
		if (process_skip(&p, end) < 0)
			return -1;
	if (process_u64(&p, end, &out->starttime) < 0) /* field 22 */
		return -1;
	return 0;
}

int
process_statm_parse(const char *text, size_t len, uint64_t *resident_pages_r)
{
	const char *p = text, *end = text + len;
	uint64_t size;
	if (process_u64(&p, end, &size) < 0 || process_u64(&p, end, resident_pages_r) < 0)
		return -1;
	return 0;
}

int
process_btime_parse(const char *text, size_t len, int64_t *btime_r)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if ((size_t)(eol - p) > 6 && memcmp(p, "btime ", 6) == 0) {
			const char *q = p + 6;
			uint64_t v;
			if (process_u64(&q, eol, &v) < 0 || v > INT64_MAX)
				return -1;
			*btime_r = (int64_t)v;
			return 0;
		}
		p = nl ? nl + 1 : end;
	}
	return -1;
}

int
process_pidfile_parse(const char *text, size_t len, int *pid_r)
{
	const char *p = text, *end = text + len;
	uint64_t v = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > INT_MAX)
			return -1;
		p++;
	}
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (p < end && *p != '\n')
		return -1;
	if (v == 0)
		return -1;
	*pid_r = (int)v;
	return 0;
}

size_t
process_cmdline_flatten(char *buf, size_t len)
{
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[len] = '\0';
	return len;
}

int
process_name_match(const char *want, const char *comm)
{
	size_t wl = strlen(want);
	if (strcmp(want, comm) == 0)
		return 1;
	if (wl > PROCESS_COMM_MAX && strlen(comm) == PROCESS_COMM_MAX &&
	    strncmp(want, comm, PROCESS_COMM_MAX) == 0)
		return 2;
	return 0;
}

int
process_argv0_is(const char *cmdline, size_t len, const char *want)
{
	const char *nul = memchr(cmdline, '\0', len);
	size_t a0 = nul ? (size_t)(nul - cmdline) : len;
	const char *base = cmdline;
	for (size_t i = 0; i < a0; i++)
		if (cmdline[i] == '/')
			base = cmdline + i + 1;
	size_t bl = a0 - (size_t)(base - cmdline);
	return bl == strlen(want) && memcmp(base, want, bl) == 0;
}

uint64_t
process_ticks_delta(const struct process_ticks *prev, size_t nprev, const struct process_ticks *cur,
                    size_t ncur, size_t *common_r)
{
	size_t i = 0, j = 0, common = 0;
	uint64_t sum = 0;

	while (i < nprev && j < ncur) {
		if (prev[i].pid < cur[j].pid) {
			i++;
		} else if (prev[i].pid > cur[j].pid) {
			j++;
		} else {
			if (prev[i].start == cur[j].start && cur[j].ticks >= prev[i].ticks) {
				sum += cur[j].ticks - prev[i].ticks;
				common++;
			}
			i++;
			j++;
		}
	}
	*common_r = common;
	return sum;
}

double
process_cpu_pct(uint64_t dticks, long clk_tck, int64_t wall_ms)
{
	if (wall_ms <= 0 || clk_tck <= 0)
		return -1;
	return (double)dticks / (double)clk_tck * 100000.0 / (double)wall_ms;
}

double
process_age_s(int64_t now_ms, int64_t btime, uint64_t starttime, long clk_tck)
{
	double start = (double)btime + (double)starttime / (double)(clk_tck > 0 ? clk_tck : 100);
	double age = (double)now_ms / 1000.0 - start;
	return age > 0 ? age : 0;
}

/* ---- reading /proc ------------------------------------------------------ */

/* Read at most size-1 bytes of dfd/rel into buf and NUL-terminate.
   Returns the length, or -1 with errno. */
static ssize_t
process_read_at(int dfd, const char *rel, char *buf, size_t size)
{
	int fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	if (fd < 0)
		return -1;
	while (len + 1 < size) {
		ssize_t r = read(fd, buf + len, size - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

static void
process_found_add(struct process_found *f, const struct process_stat *ps, uint64_t rss_pages)
{
	f->t = xgrow(f->t, &f->cap, f->n + 1, sizeof(f->t[0]));
	f->t[f->n].pid = ps->pid;
	f->t[f->n].start = ps->starttime;
	f->t[f->n].ticks = ps->utime + ps->stime;
	if (f->n == 0 || ps->starttime < f->oldest_start)
		f->oldest_start = ps->starttime;
	f->rss_pages += rss_pages;
	f->n++;
}

/* Read stat and statm of a candidate; add it unless it is a kernel thread
   (when skip_kthreads) or a zombie.  Returns 1 when added. */
static int
process_take(int dfd, int pid, bool skip_kthreads, struct process_found *f)
{
	char rel[32], buf[PROCESS_STAT_MAX];
	struct process_stat ps;
	uint64_t rss = 0;
	ssize_t n;

	snprintf(rel, sizeof(rel), "%d/stat", pid);
	n = process_read_at(dfd, rel, buf, sizeof(buf));
	if (n < 0 || process_stat_parse(buf, (size_t)n, &ps) < 0 || ps.pid != pid)
		return 0;
	if (ps.state == 'Z' || ps.state == 'X' || ps.state == 'x')
		return 0;
	if (skip_kthreads && (ps.flags & PROCESS_PF_KTHREAD))
		return 0;
	snprintf(rel, sizeof(rel), "%d/statm", pid);
	n = process_read_at(dfd, rel, buf, sizeof(buf));
	if (n < 0 || process_statm_parse(buf, (size_t)n, &rss) < 0)
		rss = 0;
	process_found_add(f, &ps, rss);
	return 1;
}

static int
process_pid_name(const char *s)
{
	long v = 0;
	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return 0;
	}
	return (int)v;
}

static int
process_cmp_pid(const void *a, const void *b)
{
	const struct process_ticks *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

int
process_scan(const char *proc_dir, const char *name, const struct rx *rx, int self_pid,
             struct process_found *out, char **error_r)
{
	int dfd = open(proc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int lfd = dfd < 0 ? -1 : fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = lfd < 0 ? NULL : fdopendir(lfd);
	char *cmd;

	memset(out, 0, sizeof(*out));
	if (d == NULL) {
		*error_r = xasprintf("open %s: %s", proc_dir, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	cmd = xmalloc(PROCESS_CMDLINE_MAX + 1);
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		int pid = process_pid_name(de->d_name);
		char rel[32];
		ssize_t n;
		if (pid <= 0 || pid == self_pid)
			continue;
		if (name) {
			char comm[64];
			snprintf(rel, sizeof(rel), "%d/comm", pid);
			n = process_read_at(dfd, rel, comm, sizeof(comm));
			if (n <= 0)
				continue;
			if (comm[n - 1] == '\n')
				comm[n - 1] = '\0';
			int m = process_name_match(name, comm);
			if (m == 0)
				continue;
			if (m == 2) {
				snprintf(rel, sizeof(rel), "%d/cmdline", pid);
				n = process_read_at(dfd, rel, cmd, PROCESS_CMDLINE_MAX + 1);
				if (n <= 0 || !process_argv0_is(cmd, (size_t)n, name))
					continue;
			}
		} else {
			snprintf(rel, sizeof(rel), "%d/cmdline", pid);
			n = process_read_at(dfd, rel, cmd, PROCESS_CMDLINE_MAX + 1);
			if (n < 0)
				continue;
			n = (ssize_t)process_cmdline_flatten(cmd, (size_t)n);
			if (rx_match(rx, cmd, (size_t)n) != 1)
				continue;
		}
		process_take(dfd, pid, true, out);
	}
	free(cmd);
	closedir(d);
	close(dfd);
	if (out->n > 1)
		qsort(out->t, out->n, sizeof(out->t[0]), process_cmp_pid);
	return 0;
}

int
process_lookup(const char *proc_dir, int pid, struct process_found *out)
{
	int dfd = open(proc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	memset(out, 0, sizeof(*out));
	if (dfd < 0)
		return 0;
	rc = process_take(dfd, pid, false, out);
	close(dfd);
	return rc;
}

void
process_found_free(struct process_found *f)
{
	free(f->t);
	memset(f, 0, sizeof(*f));
}

/* ---- the probe ---------------------------------------------------------- */

/* Pidfile mode: fills f (maybe empty); a reason for no process goes into
   the fact `error`. */
static void
process_from_pidfile(const struct process_conf *c, struct process_found *f, struct obs *o)
{
	char buf[PROCESS_PIDFILE_MAX];
	int pid;
	ssize_t n = process_read_at(AT_FDCWD, c->pidfile, buf, sizeof(buf));

	memset(f, 0, sizeof(*f));
	if (n < 0) {
		obs_factf(o, "error", "pidfile %s: %s", c->pidfile, strerror(errno));
		return;
	}
	if (process_pidfile_parse(buf, (size_t)n, &pid) < 0) {
		obs_factf(o, "error", "pidfile %s: no pid in it", c->pidfile);
		return;
	}
	if (!process_lookup(c->proc_dir, pid, f))
		obs_factf(o, "error", "pidfile %s: process %d is not running", c->pidfile, pid);
}

/* uptime_s of the oldest match; absent when btime cannot be read. */
static void
process_uptime(const struct process_conf *c, const struct process_found *f, long clk_tck,
               struct obs *o)
{
	char *path = xasprintf("%s/stat", c->proc_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return;
	/* btime follows the per-CPU and interrupt lines: read up to a cap */
	size_t size = 16384, len = 0;
	char *buf = xmalloc(size);
	for (;;) {
		if (len + 1 >= size) {
			if (size >= PROCESS_PROCSTAT_MAX)
				break;
			size *= 2;
			buf = xrealloc(buf, size);
		}
		ssize_t r = read(fd, buf + len, size - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	int64_t btime;
	if (process_btime_parse(buf, len, &btime) == 0)
		obs_metric(o, "uptime_s",
		           process_age_s(probe_now_ms(), btime, f->oldest_start, clk_tck));
	free(buf);
}

static void
process_run(const struct target *t, void **state, struct obs *o)
{
	const struct process_conf *c = t->conf;
	struct process_state *st = *state;
	struct process_found f;
	long clk_tck = sysconf(_SC_CLK_TCK);
	long page = sysconf(_SC_PAGESIZE);
	char *err = NULL;

	if (st == NULL)
		*state = st = xcalloc(1, sizeof(*st));
	int64_t mono = probe_mono_ms();
	if (c->pidfile) {
		process_from_pidfile(c, &f, o);
	} else if (process_scan(c->proc_dir, c->name, c->rx, (int)getpid(), &f, &err) < 0) {
		obs_error(o, "%s", err);
		free(err);
		return;
	}

	obs_metric(o, "count", (double)f.n);
	if (f.n > 0) {
		obs_metric(o, "rss_kb",
		           (double)f.rss_pages * (double)(page > 0 ? page : 4096) / 1024.0);
		process_uptime(c, &f, clk_tck, o);
		if (st->valid) {
			size_t common;
			uint64_t d = process_ticks_delta(st->t, st->n, f.t, f.n, &common);
			double pct = process_cpu_pct(d, clk_tck, mono - st->mono_ms);
			if (common > 0 && pct >= 0)
				obs_metric(o, "cpu_pct", pct);
		}
	}
	free(st->t);
	st->t = f.t;
	st->n = f.n;
	st->mono_ms = mono;
	st->valid = true;
}

static void
process_free_state(void *p)
{
	struct process_state *st = p;
	if (st == NULL)
		return;
	free(st->t);
	free(st);
}

static void
process_free_conf(void *p)
{
	struct process_conf *c = p;
	if (c == NULL)
		return;
	schema_free(process_fields, c);
	free(c->name);
	rx_free(c->rx);
	free(c);
}

/* process: NAME or /RE/FLAGS */
static int
process_parse_match(struct process_conf *c, const struct ynode *node, struct cfgerr *errs)
{
	const char *s = c->process;

	if (s[0] != '/') {
		if (s[0] == '\0' || strchr(s, '\n')) {
			cfgerr_at(errs, node, "process must be a command name or /regex/");
			return -1;
		}
		c->name = xstrdup(s);
		return 0;
	}
	const char *last = strrchr(s, '/');
	if (last == s) {
		cfgerr_at(errs, node, "process regex %s has no closing /", s);
		return -1;
	}
	unsigned flags = 0;
	char bad = 0;
	if (rx_parse_flags(last + 1, &flags, &bad) < 0) {
		cfgerr_at_col(errs, node, (int)(last + 1 - s), "unknown regex flag '%c'", bad);
		return -1;
	}
	if (last == s + 1) {
		cfgerr_at(errs, node, "process regex is empty");
		return -1;
	}
	char *pattern = xstrndup(s + 1, (size_t)(last - s - 1)), *err = NULL;
	size_t off = 0;
	c->rx = rx_compile(pattern, flags, &err, &off);
	free(pattern);
	if (c->rx == NULL) {
		cfgerr_at_col(errs, node, 1 + (int)off, "bad regex: %s", err ? err : "invalid");
		free(err);
		return -1;
	}
	return 0;
}

static int
process_configure(struct target *t, const struct ynode *map, struct cfgerr *errs)
{
	struct process_conf *c = xcalloc(1, sizeof(*c));
	int rc = schema_apply(map, process_fields, c, TARGET_COMMON_KEYS, errs);

	if (c->process && c->pidfile) {
		cfgerr_at(errs, ymap_get(map, "pidfile"), "process and pidfile exclude each other");
		rc = -1;
	} else if (!c->process && !c->pidfile) {
		cfgerr_at(errs, map, "process or pidfile is required");
		rc = -1;
	} else if (c->process) {
		if (process_parse_match(c, ymap_get(map, "process"), errs) < 0)
			rc = -1;
	} else if (c->pidfile[0] != '/') {
		cfgerr_at(errs, ymap_get(map, "pidfile"), "pidfile must be absolute: %s",
		          c->pidfile);
		rc = -1;
	}
	if (c->proc_dir && c->proc_dir[0] == '\0') {
		cfgerr_at(errs, ymap_get(map, "proc_dir"), "proc_dir must not be empty");
		rc = -1;
	}
	if (rc < 0) {
		process_free_conf(c);
		t->conf = NULL;
		return -1;
	}
	t->conf = c;
	return 0;
}

const struct probe_ops probe_process_ops = {
    .name = "process",
    .configure = process_configure,
    .run = process_run,
    .free_state = process_free_state,
    .free_conf = process_free_conf,
};
