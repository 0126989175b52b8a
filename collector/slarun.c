/*
 * slarun.c - gather what sla_compute needs for each service (matched
 * checks, their state spans, service hours, maintenance windows) from the
 * store and the config, and run it over a month or any period.
 *
 * The checks list is read once per run.  Selector matching is the hot
 * spot with many services and many checks: a selector whose agent part has
 * no glob character only looks at that agent's checks (the list is sorted
 * by agent, so that is a binary search), and a check's spans are read from
 * the store once per run however many services use it.
 *
 * Does not render anything (slareport*.c) and does not decide when
 * reports are due (slareport_monthly.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caltime.h"
#include "maint.h"
#include "slarun.h"
#include "xmalloc.h"

static _Thread_local char slarun_err[512];

/* Per-run cache of one check's spans (fetched on first use). */
struct slarun_check {
	const struct store_check *c;
	struct sla_span *spans;
	size_t nspans;
	int fetched;
	size_t mark; /* 1 + index of the last service that took it */
};

struct slarun_ctx {
	const struct collector_config *cfg;
	struct store *st;
	struct store_check *checks;
	size_t nchecks;
	struct slarun_check *cc;
	size_t *pick; /* scratch: indices matched for one service */
	size_t npick;
	struct maint_set maint; /* windows entered in the web UI */
};

static int
has_glob(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

/* [*lo_r, *hi_r) = the checks of agent (the list is sorted by agent). */
static void
agent_range(const struct slarun_ctx *x, const char *agent, size_t *lo_r, size_t *hi_r)
{
	size_t lo = 0, hi = x->nchecks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(x->checks[mid].agent, agent) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*lo_r = lo;
	hi = lo;
	while (hi < x->nchecks && strcmp(x->checks[hi].agent, agent) == 0)
		hi++;
	*hi_r = hi;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Indices of the checks matched by any selector of svc (service number
   si), sorted and without repeats, into x->pick. */
static void
match_service(struct slarun_ctx *x, const struct cc_service *svc, size_t si)
{
	size_t k, i, lo, hi;

	x->npick = 0;
	for (k = 0; k < svc->ncomponents; k++) {
		const struct cc_selector *sel = &svc->components[k];

		if (sel->agent != NULL && !has_glob(sel->agent)) {
			agent_range(x, sel->agent, &lo, &hi);
		} else {
			lo = 0;
			hi = x->nchecks;
		}
		for (i = lo; i < hi; i++) {
			if (x->cc[i].mark == si + 1)
				continue;
			if (!cc_selector_match(sel, x->checks[i].agent, x->checks[i].check))
				continue;
			x->cc[i].mark = si + 1;
			x->pick[x->npick++] = i;
		}
	}
	qsort(x->pick, x->npick, sizeof(x->pick[0]), cmp_size);
}

static int
fetch_spans(struct slarun_ctx *x, size_t i, int64_t from, int64_t to, const char **error_r)
{
	const char *err = NULL;

	if (x->cc[i].fetched)
		return 0;
	if (store_spans(x->st, x->checks[i].ref, from, to, &x->cc[i].spans, &x->cc[i].nspans,
	                &err) < 0) {
		snprintf(slarun_err, sizeof(slarun_err), "spans of %s:%s: %s", x->checks[i].agent,
		         x->checks[i].check, err != NULL ? err : "store error");
		*error_r = slarun_err;
		return -1;
	}
	x->cc[i].fetched = 1;
	return 0;
}

static int
run_service(struct slarun_ctx *x, const struct cc_service *svc, size_t si, int64_t from, int64_t to,
            struct sla_service_report *out, const char **error_r)
{
	struct sla_component *comps;
	struct ivset hours = {0}, maint = {0};
	struct sla_input in;
	size_t j;

	match_service(x, svc, si);
	out->svc = svc;
	out->ncomponents = x->npick;
	out->components = xcalloc(x->npick + 1, sizeof(char *));
	comps = xcalloc(x->npick + 1, sizeof(*comps));
	for (j = 0; j < x->npick; j++) {
		size_t i = x->pick[j];

		if (fetch_spans(x, i, from, to, error_r) < 0) {
			free(comps);
			return -1;
		}
		out->components[j] = xasprintf("%s:%s", x->checks[i].agent, x->checks[i].check);
		comps[j].name = out->components[j];
		comps[j].spans = x->cc[i].spans;
		comps[j].nspans = x->cc[i].nspans;
	}
	if (svc->hours != NULL)
		calendar_hours(svc->hours, from, to, &hours);
	maint_windows(x->cfg, &x->maint, svc->id, from, to, &maint);

	memset(&in, 0, sizeof(in));
	in.start = from;
	in.end = to;
	in.hours = svc->hours != NULL ? &hours : NULL;
	in.maint = maint.n > 0 ? &maint : NULL;
	in.target = svc->target;
	in.require = svc->require;
	in.policy = svc->policy;
	in.comps = comps;
	in.ncomps = x->npick;
	sla_compute(&in, &out->r);

	free(comps);
	ivset_free(&hours);
	ivset_free(&maint);
	return 0;
}

static void
ctx_free(struct slarun_ctx *x)
{
	size_t i;

	for (i = 0; i < x->nchecks && x->cc != NULL; i++)
		free(x->cc[i].spans);
	free(x->cc);
	free(x->pick);
	store_checks_free(x->checks, x->nchecks);
	maint_free(&x->maint);
}

/* The common part: out->year, month, month_name are set by the caller;
   [from, to) is already clipped to now. */
static int
run(const struct collector_config *cfg, struct store *st, int64_t from, int64_t to, int64_t now,
    const char *service_id, struct sla_report *out, const char **error_r)
{
	struct slarun_ctx x;
	const char *err = NULL;
	size_t i, n;

	out->timezone = cfg->timezone != NULL ? cfg->timezone : "UTC";
	out->generated = now;
	out->start = from;
	out->end = to;

	if (service_id != NULL && collector_config_service(cfg, service_id) == NULL) {
		snprintf(slarun_err, sizeof(slarun_err), "unknown service \"%.200s\"", service_id);
		*error_r = slarun_err;
		return -1;
	}

	memset(&x, 0, sizeof(x));
	x.cfg = cfg;
	x.st = st;
	if (store_list_checks(st, &x.checks, &x.nchecks, &err) < 0) {
		snprintf(slarun_err, sizeof(slarun_err), "list of checks: %s",
		         err != NULL ? err : "store error");
		*error_r = slarun_err;
		return -1;
	}
	if (maint_load(st, from, to, &x.maint, &err) < 0) {
		snprintf(slarun_err, sizeof(slarun_err), "maintenance windows: %s",
		         err != NULL ? err : "store error");
		*error_r = slarun_err;
		store_checks_free(x.checks, x.nchecks);
		return -1;
	}
	x.cc = xcalloc(x.nchecks + 1, sizeof(*x.cc));
	x.pick = xcalloc(x.nchecks + 1, sizeof(*x.pick));

	n = service_id != NULL ? 1 : cfg->nservices;
	out->v = xcalloc(n + 1, sizeof(*out->v));
	out->n = 0;
	for (i = 0; i < cfg->nservices; i++) {
		const struct cc_service *svc = &cfg->services[i];

		if (service_id != NULL && strcmp(svc->id, service_id) != 0)
			continue;
		/* counted before the call so that slarun_free releases a
		   half-built entry too */
		out->n++;
		if (run_service(&x, svc, i, from, to, &out->v[out->n - 1], error_r) < 0) {
			ctx_free(&x);
			slarun_free(out);
			return -1;
		}
	}
	ctx_free(&x);
	return 0;
}

int
slarun_month(const struct collector_config *cfg, struct store *st, int y, int mo, int64_t now,
             const char *service_id, struct sla_report *out, const char **error_r)
{
	int64_t start, end;

	memset(out, 0, sizeof(*out));
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12) {
		snprintf(slarun_err, sizeof(slarun_err), "bad month %d-%02d", y, mo);
		*error_r = slarun_err;
		return -1;
	}
	caltime_month(y, mo, &start, &end);
	if (now < start) {
		snprintf(slarun_err, sizeof(slarun_err), "month %04d-%02d has not begun", y, mo);
		*error_r = slarun_err;
		return -1;
	}
	out->year = y;
	out->month = mo;
	snprintf(out->month_name, sizeof(out->month_name), "%04d-%02d", y, mo);
	out->complete = 1;
	if (now < end) {
		end = now;
		out->complete = 0;
	}
	return run(cfg, st, start, end, now, service_id, out, error_r);
}

int
slarun_period(const struct collector_config *cfg, struct store *st, int64_t from, int64_t to,
              int64_t now, const char *service_id, struct sla_report *out, const char **error_r)
{
	memset(out, 0, sizeof(*out));
	out->complete = 1;
	if (to > now) {
		to = now;
		out->complete = 0;
	}
	if (from >= to) {
		*error_r = from >= now ? "the period has not begun" : "empty period";
		return -1;
	}
	return run(cfg, st, from, to, now, service_id, out, error_r);
}

void
slarun_free(struct sla_report *r)
{
	size_t i, j;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		struct sla_service_report *s = &r->v[i];

		for (j = 0; j < s->ncomponents; j++)
			free(s->components[j]);
		free(s->components);
		sla_result_free(&s->r);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
