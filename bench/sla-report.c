/*
 * sla-report.c - time to compute the month's SLA report for 1,000
 * services over one-minute results, and for twelve months (SPEC 7).
 *
 *   bench/sla-report [-m MONTHS] [-s YYYY-MM] [-r RUNS] [-d DIR] [-k]
 *
 * 25 agents x 40 checks (1,000 checks), one result per check per minute,
 * are fed month by month through store_ingest (the collector's own code
 * path: two feeder threads, one agent-hour = 2,400 results per batch,
 * synchronous=NORMAL) into a new store in DIR.  Raw results older than 35
 * days are pruned with store_prune after every simulated day, as the
 * collector's retention does; the state runs are kept, and they are what
 * the reports read.  The pattern is pseudo-random with a fixed seed, so
 * every run stores the same data: per check a critical outage of 1-4
 * minutes every 3-12 hours and a warning period of 10-60 minutes every
 * 1-3 days; per agent an hour of silence (nodata) every 2-6 days.
 *
 * collector.yaml (written to DIR) has 1,000 services in Europe/Berlin over
 * those checks: single checks, all-of-2, any-of-2 across agents, 2-of-3,
 * and glob selectors; a quarter on a business calendar; a weekly
 * maintenance window for all and one-off windows for some.
 *
 * Timed: slarun_month for the first month (the database then holds that
 * month's ~43 M raw results), median of RUNS; rendering that report as
 * JSON, CSV and HTML; after each later month, that month and all months
 * so far (one run each, printed at once, so a run stopped early keeps its
 * figures); slarun_month for the last month and twelve (MONTHS)
 * slarun_month calls in a row once everything is fed.  MONTHS defaults to
 * 12, START (first month) to 2025-11, RUNS to 5; DIR defaults to a new
 * directory under /tmp, removed afterwards unless -k.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "caltime.h"
#include "cfgerr.h"
#include "collector_config.h"
#include "slareport.h"
#include "slarun.h"
#include "status.h"
#include "store.h"
#include "xmalloc.h"

#define NAGENTS 25
#define NRULES 4
#define NTARGETS 10
#define NCHECKS_AGENT (NRULES * NTARGETS)        /* 40 */
#define NCHECKS (NAGENTS * NCHECKS_AGENT)        /* 1,000 */
#define NSERVICES 1000
#define BATCH_MIN 60                             /* minutes per batch */
#define BATCH_RESULTS (BATCH_MIN * NCHECKS_AGENT) /* 2,400 */
#define NFEEDERS 2
#define RETENTION_S (35 * 86400)
#define SEED 0x6d78736c61ULL

static const char *const rules[NRULES] = { "smtp.up", "imap.up", "pop3.up", "queue.deferred" };
static const char *const tprefix[NRULES] = { "smtp", "imap", "pop", "queue" };

/* One check's generator state: what it reports at the next minute. */
struct gen_check {
	char check[48], target[16];
	const char *rule;
	uint64_t rng;
	int64_t crit_from, crit_to;   /* next (or current) outage */
	int64_t warn_from, warn_to;   /* next (or current) warning period */
};

struct gen_agent {
	char id[16];
	uint64_t rng;
	int64_t quiet_from, quiet_to; /* next (or current) hour of silence */
	int64_t batch;                /* batch counter of its stream */
	int64_t phase;                /* seconds after the minute it reports at */
	struct gen_check c[NCHECKS_AGENT];
};

static struct gen_agent agents[NAGENTS];

struct feeder {
	pthread_t th;
	struct store *st;
	int id;
	int64_t from, to;             /* the month to feed */
	uint64_t fed, pruned;
	double prune_s;
	int failed;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64: a fixed sequence per seed, whatever thread runs it. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t
rnd_range(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}

static void
gen_init(int64_t start)
{
	for (int a = 0; a < NAGENTS; a++) {
		struct gen_agent *ag = &agents[a];

		/* mbx01..mbx12, hub01..hub08, edge01..edge05 */
		if (a < 12)
			snprintf(ag->id, sizeof(ag->id), "mbx%02d", a + 1);
		else if (a < 20)
			snprintf(ag->id, sizeof(ag->id), "hub%02d", a - 11);
		else
			snprintf(ag->id, sizeof(ag->id), "edge%02d", a - 19);
		ag->rng = SEED ^ ((uint64_t)a << 32);
		ag->quiet_from = start + rnd_range(&ag->rng, 2 * 86400, 6 * 86400);
		ag->quiet_to = ag->quiet_from + 3600;
		ag->phase = a;
		for (int k = 0; k < NCHECKS_AGENT; k++) {
			struct gen_check *c = &ag->c[k];

			c->rule = rules[k / NTARGETS];
			snprintf(c->target, sizeof(c->target), "%s%d", tprefix[k / NTARGETS],
				 k % NTARGETS + 1);
			snprintf(c->check, sizeof(c->check), "%s@%s", c->rule, c->target);
			c->rng = SEED ^ ((uint64_t)(a * NCHECKS_AGENT + k + 1) << 8);
			c->crit_from = start + rnd_range(&c->rng, 3 * 3600, 12 * 3600);
			c->crit_to = c->crit_from + rnd_range(&c->rng, 1, 4) * 60;
			c->warn_from = start + rnd_range(&c->rng, 86400, 3 * 86400);
			c->warn_to = c->warn_from + rnd_range(&c->rng, 10, 60) * 60;
		}
	}
}

/* The status of check c at minute ts (advancing its events). */
static int
gen_status(struct gen_check *c, int64_t ts)
{
	while (ts >= c->crit_to) {
		c->crit_from = c->crit_to + rnd_range(&c->rng, 3 * 3600, 12 * 3600);
		c->crit_to = c->crit_from + rnd_range(&c->rng, 1, 4) * 60;
	}
	while (ts >= c->warn_to) {
		c->warn_from = c->warn_to + rnd_range(&c->rng, 86400, 3 * 86400);
		c->warn_to = c->warn_from + rnd_range(&c->rng, 10, 60) * 60;
	}
	if (ts >= c->crit_from)
		return MX_CRITICAL;
	if (ts >= c->warn_from)
		return MX_WARNING;
	return MX_OK;
}

static int
gen_quiet(struct gen_agent *ag, int64_t ts)
{
	while (ts >= ag->quiet_to) {
		ag->quiet_from = ag->quiet_to + rnd_range(&ag->rng, 2 * 86400, 6 * 86400);
		ag->quiet_to = ag->quiet_from + 3600;
	}
	return ts >= ag->quiet_from;
}

static const char *const messages[MX_NSTATUS] = {
	[MX_OK] = "250 mbx.example.org ESMTP ready in 12 ms",
	[MX_WARNING] = "slow answer: 2400 ms > 2000 ms",
	[MX_CRITICAL] = "connect: Connection refused",
	[MX_UNKNOWN] = "probe failed",
};
static const char *const metrics[MX_NSTATUS] = {
	[MX_OK] = "{\"up\":1,\"rtt_ms\":12}",
	[MX_WARNING] = "{\"up\":1,\"rtt_ms\":2400}",
	[MX_CRITICAL] = "{\"up\":0}",
	[MX_UNKNOWN] = "{}",
};

/* Feed [from, to) for agents id, id + NFEEDERS, ...; feeder 0 also
   prunes after every simulated day, as the collector's retention does. */
static void *
feeder_main(void *arg)
{
	struct feeder *f = arg;
	struct ingest_result *v = xcalloc(BATCH_RESULTS, sizeof(*v));
	int64_t next_prune = f->from + 86400;
	const char *err;

	for (int64_t h = f->from; h < f->to; h += BATCH_MIN * 60) {
		int64_t hend = h + BATCH_MIN * 60 < f->to ? h + BATCH_MIN * 60 : f->to;

		for (int a = f->id; a < NAGENTS; a += NFEEDERS) {
			struct gen_agent *ag = &agents[a];
			struct ingest_batch b = { .agent = ag->id, .site = a < 12 ? "hq" : "dc2",
						  .roles = a < 12 ? "[\"mailbox\"]" : a < 20 ? "[\"hub\"]" : "[\"edge\"]",
						  .stream = "bench-sla", .results = v };
			size_t n = 0;
			int dup;

			for (int64_t m = h; m < hend; m += 60) {
				int64_t ts = m + ag->phase;

				if (gen_quiet(ag, ts))
					continue;
				for (int k = 0; k < NCHECKS_AGENT; k++) {
					struct gen_check *c = &ag->c[k];
					int status = gen_status(c, ts);

					v[n++] = (struct ingest_result){
						.check = c->check, .rule = c->rule, .target = c->target,
						.kind = "health", .title = c->check,
						.message = messages[status], .status = status, .ts = ts,
						.interval = 60, .metrics = metrics[status] };
				}
			}
			if (n == 0)
				continue;
			b.batch = ++ag->batch;
			b.received = hend;
			b.n = n;
			if (store_ingest(f->st, &b, &dup, &err) < 0) {
				fprintf(stderr, "sla-report: store_ingest: %s\n", err);
				f->failed = 1;
				free(v);
				return NULL;
			}
			f->fed += n;
		}
		if (f->id == 0 && hend >= next_prune) {
			uint64_t np = 0;
			double t0 = now_s();

			next_prune += 86400;
			if (store_prune(f->st, hend - RETENTION_S, &np, &err) < 0) {
				fprintf(stderr, "sla-report: store_prune: %s\n", err);
				f->failed = 1;
				free(v);
				return NULL;
			}
			f->prune_s += now_s() - t0;
			f->pruned += np;
		}
	}
	free(v);
	return NULL;
}

/* ---- collector.yaml ---- */

static const char *
check_sel(int a, int k)
{
	static char buf[4][80];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s:%s", agents[a].id, agents[a].c[k].check);
	return buf[i];
}

/* 1,000 services, every check in at least one; see the file header. */
static int
write_config(const char *path, const char *db)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		return -1;
	fprintf(fp, "database: %s\n"
		"database_sync: normal\n"
		"timezone: Europe/Berlin\n"
		"stale_after: 3x\n"
		"retention: { raw: 35d }\n"
		"calendars:\n"
		"  business: { days: [mon, tue, wed, thu, fri], from: \"08:00\", to: \"18:00\",\n"
		"              holidays: [2025-12-25, 2025-12-26, 2026-01-01, 2026-04-03, 2026-04-06,"
		" 2026-05-01, 2026-10-03, 2026-12-25] }\n"
		"  extended: { days: [mon, tue, wed, thu, fri, sat], from: \"06:00\", to: \"22:00\" }\n"
		"services:\n", db);
	for (int s = 0; s < NSERVICES; s++) {
		int a = s % NAGENTS, k = (s / NAGENTS) % NCHECKS_AGENT;
		int b = (a + 1) % NAGENTS, c = (a + 2) % NAGENTS;
		const char *target = s % 3 == 0 ? "99.9" : s % 3 == 1 ? "99.5" : "99.0";
		const char *hours = s % 4 == 1 ? "business" : s % 8 == 3 ? "extended" : "24x7";

		fprintf(fp, "  - id: svc%04d\n    name: \"Service %d (%s)\"\n    target: %s\n"
			"    hours: %s\n", s, s, agents[a].c[k].check, target, hours);
		switch (s % 10) {
		case 0: case 1: case 2: case 3: case 4:
			fprintf(fp, "    components: [\"%s\"]\n", check_sel(a, k));
			break;
		case 5: case 6:
			fprintf(fp, "    components: [\"%s\", \"%s\"]\n    require: all\n",
				check_sel(a, k), check_sel(a, (k + 10) % NCHECKS_AGENT));
			break;
		case 7:
			fprintf(fp, "    components: [\"%s\", \"%s\"]\n    require: any\n",
				check_sel(a, k), check_sel(b, k));
			break;
		case 8:
			fprintf(fp, "    components: [\"%s\", \"%s\", \"%s\"]\n    require: 2\n",
				check_sel(a, k), check_sel(b, k), check_sel(c, k));
			break;
		default:
			/* a glob: the same check on a group of agents */
			fprintf(fp, "    components: [\"%s*:%s\"]\n    require: any\n",
				a < 12 ? "mbx0" : a < 20 ? "hub0" : "edge0", agents[a].c[k].check);
			break;
		}
		fprintf(fp, "    policy: { warning: %s, unknown: nodata, nodata: %s, maintenance: %s }\n",
			s % 5 == 2 ? "down" : "up", s % 7 == 3 ? "down" : "exclude",
			s % 11 == 4 ? "count" : "exclude");
	}
	fprintf(fp, "maintenance:\n"
		"  - { services: [\"*\"], weekly: { days: [sun], from: \"02:00\", to: \"03:00\" },"
		" reason: \"backup window\" }\n"
		"  - { services: [\"svc00*\"], start: \"2026-03-14 22:00\", end: \"2026-03-15 02:00\","
		" reason: \"patching\" }\n"
		"  - { services: [svc0100, svc0200, svc0300], start: \"2026-10-10 22:00\","
		" end: \"2026-10-11 02:00\", reason: \"migration\" }\n");
	return fclose(fp) == 0 ? 0 : -1;
}

/* ---- measuring ---- */

static long
status_kb(const char *field)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(field);
	long kb = -1;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return kb;
}

/* Reset VmHWM to the current RSS (Linux >= 4.0), so that the peak of each
   phase can be read. */
static void
reset_peak(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "5", 1) < 0) {
			/* an older kernel: the peak stays the whole process's */
		}
		close(fd);
	}
}

static double
db_mb(const char *db)
{
	struct stat sb;
	double n = 0;
	char *p;

	if (stat(db, &sb) == 0)
		n += (double)sb.st_size;
	p = xasprintf("%s-wal", db);
	if (stat(p, &sb) == 0)
		n += (double)sb.st_size;
	free(p);
	return n / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
month_of(int y0, int mo0, int i, int *y_r, int *mo_r)
{
	int m = mo0 - 1 + i;

	*y_r = y0 + m / 12;
	*mo_r = m % 12 + 1;
}

/* Timed slarun_month of y-mo, median of runs; a summary of the last run
   in *sum (when not NULL) and the report itself in *keep (when not NULL). */
static int
time_month(const struct collector_config *cfg, struct store *st, int y, int mo, int64_t now,
	   int runs, double *med_r, double *min_r, double *max_r, struct sla_report *keep)
{
	double *t = xcalloc((size_t)runs, sizeof(*t));
	const char *err;

	for (int r = 0; r < runs; r++) {
		struct sla_report rep;
		double t0 = now_s();

		if (slarun_month(cfg, st, y, mo, now, NULL, &rep, &err) < 0) {
			fprintf(stderr, "sla-report: slarun_month %04d-%02d: %s\n", y, mo, err);
			free(t);
			return -1;
		}
		t[r] = now_s() - t0;
		if (keep != NULL && r == runs - 1)
			*keep = rep;
		else
			slarun_free(&rep);
	}
	*med_r = median(t, runs);
	*min_r = t[0];
	*max_r = t[runs - 1];
	free(t);
	return 0;
}

static void
summarize(const struct sla_report *rep)
{
	size_t met = 0, nulls = 0, incidents = 0, comps = 0;
	double sum = 0, lo = 101, hi = -1;

	for (size_t i = 0; i < rep->n; i++) {
		const struct sla_result *r = &rep->v[i].r;

		comps += rep->v[i].ncomponents;
		incidents += r->nincidents;
		met += r->met ? 1 : 0;
		if (!r->has_availability) {
			nulls++;
			continue;
		}
		sum += r->availability;
		lo = r->availability < lo ? r->availability : lo;
		hi = r->availability > hi ? r->availability : hi;
	}
	printf("  %s: %zu services, %zu components matched, %zu met their target, "
	       "availability %.3f..%.3f %% (mean %.3f, %zu null), %zu incidents\n",
	       rep->month_name, rep->n, comps, met, lo, hi,
	       rep->n > nulls ? sum / (double)(rep->n - nulls) : 0.0, nulls, incidents);
}

static void
usage(void)
{
	fprintf(stderr, "usage: sla-report [-m MONTHS] [-s YYYY-MM] [-r RUNS] [-d DIR] [-k]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int months = 12, runs = 5, keep = 0, y0 = 2025, mo0 = 11, opt;
	const char *dir = NULL, *err;
	char tmpl[] = "/tmp/mxsla-bench-sla-XXXXXX";
	char *db, *yaml;
	int made_dir = 0;
	struct collector_config *cfg;
	struct cfgerr errs;
	struct store *st;
	struct store_options sopt = { .sync_full = 0, .stale_mult = 3 };
	struct sla_report rep1 = { 0 };
	double feed_s = 0, prune_s = 0, m1_med = 0, m1_min = 0, m1_max = 0;
	double ml_med = 0, ml_min = 0, ml_max = 0, all_med, all_min, all_max, *tall;
	double rend[3] = { 0, 0, 0 };
	size_t rsize[3] = { 0, 0, 0 };
	uint64_t fed = 0, pruned = 0;
	long feed_hwm = 0, m1_hwm = 0, report_hwm, feed_rss;
	int64_t start, end, now;
	double db_first = 0, db_max = 0;
	int rc = 1;

	while ((opt = getopt(argc, argv, "m:s:r:d:k")) != -1) {
		switch (opt) {
		case 'm':
			months = atoi(optarg);
			break;
		case 's':
			if (sscanf(optarg, "%d-%d", &y0, &mo0) != 2 || mo0 < 1 || mo0 > 12 || y0 < 1971)
				usage();
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || months < 1 || months > 120 || runs < 1 || runs > 100)
		usage();
	if (dir == NULL) {
		if (mkdtemp(tmpl) == NULL) {
			perror("sla-report: mkdtemp");
			return 1;
		}
		dir = tmpl;
		made_dir = 1;
	} else if (mkdir(dir, 0700) == 0) {
		made_dir = 1;
	} else if (errno != EEXIST) {
		perror(dir);
		return 1;
	}
	db = xasprintf("%s/sla-bench.db", dir);
	yaml = xasprintf("%s/collector.yaml", dir);
	unlink(db);

	/* the zone first: the generator and the config work in it */
	if (caltime_set_zone("Europe/Berlin", &err) < 0) {
		fprintf(stderr, "sla-report: %s\n", err);
		return 1;
	}
	caltime_month(y0, mo0, &start, &end);
	gen_init(start);
	if (write_config(yaml, db) < 0) {
		perror(yaml);
		return 1;
	}
	cfgerr_init(&errs);
	cfg = collector_config_load(yaml, &errs);
	if (cfg == NULL) {
		cfgerr_print(&errs, stderr);
		cfgerr_free(&errs);
		return 1;
	}
	cfgerr_free(&errs);
	if (caltime_set_zone(cfg->timezone, &err) < 0) {
		fprintf(stderr, "sla-report: %s\n", err);
		return 1;
	}
	collector_config_localize(cfg);
	if (store_open(db, &sopt, &st, &err) < 0) {
		fprintf(stderr, "sla-report: %s: %s\n", db, err);
		return 1;
	}

	printf("SLA report bench: %d agents x %d checks, one result per check per minute, "
	       "%d services, %d month(s) from %04d-%02d, Europe/Berlin\n",
	       NAGENTS, NCHECKS_AGENT, NSERVICES, months, y0, mo0);
	printf("store %s (synchronous=NORMAL), %d feeder threads, batches of %d results "
	       "(one agent-hour), raw results pruned after 35 days\n",
	       db, NFEEDERS, BATCH_RESULTS);
	fflush(stdout);

	reset_peak();
	for (int i = 0; i < months; i++) {
		struct feeder f[NFEEDERS];
		uint64_t mfed = 0;
		double t0, dt;
		int y, mo, failed = 0;

		month_of(y0, mo0, i, &y, &mo);
		caltime_month(y, mo, &start, &end);
		t0 = now_s();
		for (int k = 0; k < NFEEDERS; k++) {
			f[k] = (struct feeder){ .st = st, .id = k, .from = start, .to = end };
			pthread_create(&f[k].th, NULL, feeder_main, &f[k]);
		}
		for (int k = 0; k < NFEEDERS; k++) {
			pthread_join(f[k].th, NULL);
			failed |= f[k].failed;
			mfed += f[k].fed;
			pruned += f[k].pruned;
			prune_s += f[k].prune_s;
		}
		dt = now_s() - t0;
		if (failed)
			goto out;
		fed += mfed;
		feed_s += dt;
		if (db_mb(db) > db_max)
			db_max = db_mb(db);
		printf("  fed %04d-%02d: %llu results in %.1f s (%.0f results/s, pruning included), "
		       "database %.0f MB, %llu raw results pruned so far\n",
		       y, mo, (unsigned long long)mfed, dt, (double)mfed / dt, db_mb(db),
		       (unsigned long long)pruned);
		fflush(stdout);
		if (i > 0) {
			/* as it grows: this month alone and every month so far, one
			   run each, so that a run stopped early still has figures */
			double t1, tm, ta;
			struct sla_report rep;

			now = end + 86400;
			t1 = now_s();
			if (slarun_month(cfg, st, y, mo, now, NULL, &rep, &err) < 0) {
				fprintf(stderr, "sla-report: slarun_month %04d-%02d: %s\n", y, mo, err);
				goto out;
			}
			tm = now_s() - t1;
			slarun_free(&rep);
			t1 = now_s();
			for (int j = 0; j <= i; j++) {
				int yj, moj;

				month_of(y0, mo0, j, &yj, &moj);
				if (slarun_month(cfg, st, yj, moj, now, NULL, &rep, &err) < 0) {
					fprintf(stderr, "sla-report: slarun_month %04d-%02d: %s\n", yj, moj,
						err);
					goto out;
				}
				slarun_free(&rep);
			}
			ta = now_s() - t1;
			printf("  report %04d-%02d: %.3f s; the %d months so far: %.3f s\n", y, mo, tm, i + 1,
			       ta);
			fflush(stdout);
		}
		if (i == 0) {
			/* the month of SPEC 7: ~43 M raw results in the database */
			feed_hwm = status_kb("VmHWM");
			db_first = db_mb(db);
			reset_peak();
			now = end + 86400;
			if (time_month(cfg, st, y, mo, now, runs, &m1_med, &m1_min, &m1_max, &rep1) < 0)
				goto out;
			summarize(&rep1);
			for (int fm = 0; fm < 3; fm++) {
				double *t = xcalloc((size_t)runs, sizeof(*t));

				for (int r = 0; r < runs; r++) {
					double t1 = now_s();
					char *doc = slareport_render(&rep1, (enum slareport_format)fm);

					t[r] = now_s() - t1;
					rsize[fm] = doc != NULL ? strlen(doc) : 0;
					free(doc);
				}
				rend[fm] = median(t, runs);
				free(t);
			}
			m1_hwm = status_kb("VmHWM");
			reset_peak();
			printf("  report %04d-%02d: %.3f s (median of %d, min %.3f, max %.3f); render JSON "
			       "%.3f s, CSV %.3f s, HTML %.3f s; peak RSS %.1f MB\n",
			       y, mo, m1_med, runs, m1_min, m1_max, rend[0], rend[1], rend[2],
			       (double)m1_hwm / 1024);
			fflush(stdout);
		}
	}
	feed_hwm = status_kb("VmHWM") > feed_hwm ? status_kb("VmHWM") : feed_hwm;
	feed_rss = status_kb("VmRSS");

	/* everything fed: the last month, then all months in a row */
	reset_peak();
	{
		int y, mo;
		struct sla_report last;

		month_of(y0, mo0, months - 1, &y, &mo);
		caltime_month(y, mo, &start, &end);
		now = end + 86400;
		if (time_month(cfg, st, y, mo, now, runs, &ml_med, &ml_min, &ml_max, &last) < 0)
			goto out;
		summarize(&last);
		slarun_free(&last);
	}
	tall = xcalloc((size_t)runs, sizeof(*tall));
	for (int r = 0; r < runs; r++) {
		double t0 = now_s();

		for (int i = 0; i < months; i++) {
			struct sla_report rep;
			int y, mo;

			month_of(y0, mo0, i, &y, &mo);
			if (slarun_month(cfg, st, y, mo, now, NULL, &rep, &err) < 0) {
				fprintf(stderr, "sla-report: slarun_month %04d-%02d: %s\n", y, mo, err);
				free(tall);
				goto out;
			}
			slarun_free(&rep);
		}
		tall[r] = now_s() - t0;
	}
	all_med = median(tall, runs);
	all_min = tall[0];
	all_max = tall[runs - 1];
	free(tall);
	report_hwm = status_kb("VmHWM");

	printf("\n");
	printf("%-50s %14s\n", "figure", "value");
	printf("%-50s %14llu\n", "results fed", (unsigned long long)fed);
	printf("%-50s %14.0f\n", "feed rate, results/s (pruning included)", (double)fed / feed_s);
	printf("%-50s %14.1f\n", "  of which store_prune, s", prune_s);
	printf("%-50s %14llu\n", "raw results pruned", (unsigned long long)pruned);
	printf("%-50s %14.0f\n", "database after month 1, MB", db_first);
	printf("%-50s %14.0f\n", "database at most, MB", db_max);
	printf("%-50s %14.0f\n", "database at the end, MB", db_mb(db));
	printf("%-50s %10.3f s  (min %.3f, max %.3f)\n", "month report, month 1 (slarun_month)", m1_med,
	       m1_min, m1_max);
	printf("%-50s %10.3f s  (min %.3f, max %.3f)\n", "month report, last month", ml_med, ml_min,
	       ml_max);
	printf("%-50s %10.3f s  (min %.3f, max %.3f)\n",
	       months == 12 ? "twelve months (12 x slarun_month)" : "all months (N x slarun_month)",
	       all_med, all_min, all_max);
	printf("%-50s %10.3f s  (%zu bytes)\n", "render JSON (slareport_render)", rend[0], rsize[0]);
	printf("%-50s %10.3f s  (%zu bytes)\n", "render CSV", rend[1], rsize[1]);
	printf("%-50s %10.3f s  (%zu bytes)\n", "render HTML", rend[2], rsize[2]);
	printf("%-50s %14.1f\n", "peak RSS while feeding, MB", (double)feed_hwm / 1024);
	printf("%-50s %14.1f\n", "RSS after feeding, MB", (double)feed_rss / 1024);
	printf("%-50s %14.1f\n", "peak RSS, month 1 report and renders, MB", (double)m1_hwm / 1024);
	printf("%-50s %14.1f\n", "peak RSS, reports after feeding, MB", (double)report_hwm / 1024);
	/* ru_maxrss is reset along with VmHWM by reset_peak: take the
	   largest of the phases' peaks */
	{
		long hwm = feed_hwm > m1_hwm ? feed_hwm : m1_hwm;

		hwm = report_hwm > hwm ? report_hwm : hwm;
		printf("%-50s %14.1f\n", "peak RSS of the process, MB", (double)hwm / 1024);
	}
	printf("(medians of %d runs; %d month(s) fed)\n", runs, months);
	rc = 0;
out:
	slarun_free(&rep1);
	store_close(st);
	collector_config_free(cfg);
	if (!keep) {
		/* only what this program created */
		static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };

		for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			char *p = xasprintf("%s%s", db, sfx[i]);

			unlink(p);
			free(p);
		}
		unlink(yaml);
		if (made_dir)
			rmdir(dir);
	} else {
		printf("kept %s\n", dir);
	}
	free(db);
	free(yaml);
	return rc;
}
