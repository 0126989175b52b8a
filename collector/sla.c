/*
 * sla.c - the SLA arithmetic of SPEC 3.4 (contract in sla.h, design and
 * worked examples in docs/internals/sla.md).
 *
 * One sweep over the period: every component's spans, the service hours
 * and the maintenance windows are sources of boundaries, kept in a small
 * binary heap keyed by each source's next boundary.  Between two
 * consecutive boundaries nothing changes, so each piece is accounted in
 * one step (no per-second work): the cost is O(total boundaries x log
 * sources).  Component states are counted (up / down / nodata), which
 * makes the service state O(1) per piece.
 *
 * Not done here: reading results or config, staleness (the caller turns
 * results into spans and leaves stale time uncovered), output formats.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sla.h"
#include "xmalloc.h"

#define T_INF INT64_MAX

void
sla_policy_default(struct sla_policy *p)
{
	p->warning = SLA_UP;
	p->unknown = SLA_NODATA;
	p->nodata = SLA_ND_EXCLUDE;
	p->maintenance = SLA_MT_EXCLUDE;
}

const char *
sla_comp_state_name(int s)
{
	static const char *const n[] = {"up", "down", "nodata"};

	return s >= 0 && s < 3 ? n[s] : "?";
}

const char *
sla_nodata_policy_name(int p)
{
	static const char *const n[] = {"exclude", "up", "down"};

	return p >= 0 && p < 3 ? n[p] : "?";
}

const char *
sla_maint_policy_name(int p)
{
	static const char *const n[] = {"exclude", "up", "count"};

	return p >= 0 && p < 3 ? n[p] : "?";
}

const char *
sla_seg_name(int seg)
{
	static const char *const n[] = {"up",          "degraded",     "down",   "nodata",
	                                "maintenance", "planned_down", "outside"};

	return seg >= 0 && seg < 7 ? n[seg] : "?";
}

/* ---- boundary sources ---- */

enum src_kind { SRC_COMP, SRC_HOURS, SRC_MAINT };

struct src {
	enum src_kind kind;
	size_t i;     /* first span / interval that ends after now */
	int64_t next; /* next boundary after now, T_INF when none */
	int state;    /* component: enum sla_comp_state; sets: 1 = inside */
};

struct sweep {
	const struct sla_input *in;
	struct src *src; /* ncomps components, then hours, then maint */
	size_t nsrc;
	size_t *heap; /* indexes into src, min-heap on next */
	size_t nheap;
	size_t count[3]; /* components per enum sla_comp_state */
	int in_hours, in_maint;
	struct sla_result *r;
	size_t segcap, inccap;
	int in_incident;
};

int
sla_component_state(const struct sla_policy *p, int status)
{
	switch (status) {
	case MX_OK:
		return SLA_UP;
	case MX_CRITICAL:
		return SLA_DOWN;
	case MX_WARNING:
		return p->warning >= SLA_UP && p->warning <= SLA_NODATA ? p->warning : SLA_NODATA;
	case MX_UNKNOWN:
		return p->unknown >= SLA_UP && p->unknown <= SLA_NODATA ? p->unknown : SLA_NODATA;
	default:
		return SLA_NODATA;
	}
}

/* Move source s to instant t: its index, its next boundary after t and
   the state it has at t, returned but not yet applied (the piece before
   t must be accounted with the old states first).  Adjacent spans of
   the same component state are passed over at once, so one-minute
   results that keep reporting ok make one boundary, not thousands.
   Tolerates unsorted or overlapping input: the next boundary is always
   > t, so the sweep cannot stall. */
static int
src_advance(struct sweep *w, struct src *s, int64_t t)
{
	if (s->kind == SRC_COMP) {
		const struct sla_component *c = &w->in->comps[s - w->src];
		const struct sla_span *v = c->spans;
		size_t i = s->i, n = c->nspans;
		int st;

		while (i < n && v[i].end <= t)
			i++;
		if (i < n && v[i].start <= t) {
			st = sla_component_state(&w->in->policy, v[i].status);
			while (i + 1 < n && v[i + 1].start == v[i].end &&
			       v[i + 1].end > v[i + 1].start &&
			       sla_component_state(&w->in->policy, v[i + 1].status) == st)
				i++;
			s->next = v[i].end;
		} else {
			st = SLA_NODATA;
			s->next = i < n ? v[i].start : T_INF;
		}
		s->i = i;
		return st;
	} else {
		const struct ivset *set = s->kind == SRC_HOURS ? w->in->hours : w->in->maint;

		while (s->i < set->n && set->v[s->i].end <= t)
			s->i++;
		if (s->i < set->n && set->v[s->i].start <= t) {
			s->next = set->v[s->i].end;
			return 1;
		}
		s->next = s->i < set->n ? set->v[s->i].start : T_INF;
		return 0;
	}
}

static void
src_apply(struct sweep *w, struct src *s, int st)
{
	if (s->kind == SRC_COMP) {
		w->count[s->state]--;
		w->count[st]++;
	} else if (s->kind == SRC_HOURS) {
		w->in_hours = st;
	} else {
		w->in_maint = st;
	}
	s->state = st;
}

static void
heap_down(struct sweep *w, size_t k)
{
	for (;;) {
		size_t l = 2 * k + 1, m = k;

		if (l < w->nheap && w->src[w->heap[l]].next < w->src[w->heap[m]].next)
			m = l;
		if (l + 1 < w->nheap && w->src[w->heap[l + 1]].next < w->src[w->heap[m]].next)
			m = l + 1;
		if (m == k)
			return;
		size_t tmp = w->heap[k];
		w->heap[k] = w->heap[m];
		w->heap[m] = tmp;
		k = m;
	}
}

/* First span index that ends after t (spans sorted by end as well when
   sorted and disjoint); skips history before the period in O(log n). */
static size_t
first_span_after(const struct sla_span *v, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].end <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- accounting ---- */

int
sla_service_state(int require, size_t up, size_t down, size_t nd)
{
	if (up + down + nd == 0)
		return SLA_NODATA;
	if (require == SLA_REQUIRE_ANY)
		return up > 0 ? SLA_UP : nd > 0 ? SLA_NODATA : SLA_DOWN;
	if (require >= 1) {
		if (up >= (size_t)require)
			return SLA_UP;
		if (up + nd < (size_t)require)
			return SLA_DOWN;
		return SLA_NODATA;
	}
	/* SLA_REQUIRE_ALL (and any other value) */
	return down > 0 ? SLA_DOWN : nd > 0 ? SLA_NODATA : SLA_UP;
}

static int
service_state(const struct sweep *w)
{
	if (w->in->ncomps == 0)
		return SLA_NODATA;
	return sla_service_state(w->in->require, w->count[SLA_UP], w->count[SLA_DOWN],
	                         w->count[SLA_NODATA]);
}

static void
seg_add(struct sweep *w, int64_t a, int64_t b, int seg)
{
	struct sla_result *r = w->r;

	if (r->nsegs > 0 && r->segs[r->nsegs - 1].seg == seg && r->segs[r->nsegs - 1].end == a) {
		r->segs[r->nsegs - 1].end = b;
		return;
	}
	if (r->nsegs == w->segcap)
		r->segs = xgrow(r->segs, &w->segcap, r->nsegs + 1, sizeof(*r->segs));
	r->segs[r->nsegs].start = a;
	r->segs[r->nsegs].end = b;
	r->segs[r->nsegs].seg = seg;
	r->nsegs++;
}

static void
incident_open(struct sweep *w, int64_t t)
{
	struct sla_result *r = w->r;
	struct sla_incident *inc;
	size_t k = 0;

	if (r->nincidents == w->inccap)
		r->incidents =
		    xgrow(r->incidents, &w->inccap, r->nincidents + 1, sizeof(*r->incidents));
	inc = &r->incidents[r->nincidents++];
	memset(inc, 0, sizeof(*inc));
	inc->start = t;
	inc->end = t;
	if (w->count[SLA_DOWN] > 0)
		inc->components = xcalloc(w->count[SLA_DOWN], sizeof(char *));
	for (size_t c = 0; c < w->in->ncomps && k < w->count[SLA_DOWN]; c++)
		if (w->src[c].state == SLA_DOWN)
			inc->components[k++] =
			    xstrdup(w->in->comps[c].name ? w->in->comps[c].name : "");
	inc->ncomponents = k;
	w->in_incident = 1;
}

static void
incident_free(struct sla_incident *inc)
{
	for (size_t k = 0; k < inc->ncomponents; k++)
		free(inc->components[k]);
	free(inc->components);
	inc->components = NULL;
	inc->ncomponents = 0;
}

/* Close the open incident at t; one without eligible down time is
   dropped (it lay wholly outside hours or inside maintenance). */
static void
incident_close(struct sweep *w, int64_t t)
{
	struct sla_result *r = w->r;
	struct sla_incident *inc = &r->incidents[r->nincidents - 1];

	inc->end = t;
	if (inc->down_s == 0) {
		incident_free(inc);
		r->nincidents--;
	}
	w->in_incident = 0;
}

/* Account [a, b), in which nothing changes. */
static void
piece(struct sweep *w, int64_t a, int64_t b)
{
	struct sla_result *r = w->r;
	int64_t len = b - a;
	int st = service_state(w), mpol = w->in->policy.maintenance;
	int in_w = w->in_maint;

	if (st == SLA_DOWN && !w->in_incident)
		incident_open(w, a);
	else if (st != SLA_DOWN && w->in_incident)
		incident_close(w, a);

	if (!w->in_hours) {
		seg_add(w, a, b, SEG_OUTSIDE);
		return;
	}
	r->scheduled_s += len;
	if (in_w) {
		r->maintenance_s += len;
		if (st == SLA_DOWN)
			r->planned_down_s += len;
	}
	if (in_w && mpol == SLA_MT_UP) {
		r->up_s += len;
		seg_add(w, a, b, st == SLA_DOWN ? SEG_MAINT_DOWN : SEG_MAINT);
		return;
	}
	if (in_w && mpol != SLA_MT_COUNT) {
		seg_add(w, a, b, st == SLA_DOWN ? SEG_MAINT_DOWN : SEG_MAINT);
		return;
	}
	/* eligible time (with maintenance: count, W is ordinary time) */
	switch (st) {
	case SLA_UP:
		r->up_s += len;
		if (w->count[SLA_DOWN] > 0) {
			r->degraded_s += len;
			seg_add(w, a, b, SEG_DEGRADED);
		} else {
			seg_add(w, a, b, SEG_UP);
		}
		break;
	case SLA_DOWN:
		r->down_s += len;
		r->incidents[r->nincidents - 1].down_s += len;
		seg_add(w, a, b, SEG_DOWN);
		break;
	default:
		r->nodata_s += len;
		seg_add(w, a, b, SEG_NODATA);
		break;
	}
}

/* Budget and target met, in integers: the target in millionths of a
   percent, so 99.9 % of 2,678,400 s is exactly 2678 s of budget and no
   binary fraction can tip a comparison. */
#define PPM_SCALE 100000000LL /* 100 % in millionths of a percent */

static void
figures(const struct sla_input *in, struct sla_result *r)
{
	int64_t upp = r->up_s, downp = r->down_s, den, t6;
	double target = in->target;

	if (in->policy.nodata == SLA_ND_UP)
		upp += r->nodata_s;
	else if (in->policy.nodata == SLA_ND_DOWN)
		downp += r->nodata_s;
	den = upp + downp;

	if (!(target >= 0))
		target = 0; /* also NaN */
	if (target > 100)
		target = 100;
	t6 = llround(target * 1e6);

	if (den > 0) {
		r->has_availability = 1;
		r->availability = 100.0 * (double)upp / (double)den;
	}
	if (r->up_s + r->down_s + r->nodata_s > 0) {
		r->has_availability_total = 1;
		r->availability_total =
		    100.0 * (double)r->up_s / (double)(r->up_s + r->down_s + r->nodata_s);
	}
	if (den <= INT64_MAX / PPM_SCALE) {
		r->budget_s = (PPM_SCALE - t6) * den / PPM_SCALE;
		r->met = r->has_availability && upp * PPM_SCALE >= t6 * den;
	} else {
		/* More than 2,900 years of eligible time: doubles are fine. */
		r->budget_s = (int64_t)floor((1.0 - (double)t6 / PPM_SCALE) * (double)den);
		r->met = r->has_availability && r->availability >= target;
	}
	r->budget_left_s = r->budget_s - downp;
	if (r->nincidents > 0) {
		r->mttr_s = downp / (int64_t)r->nincidents;
		r->mtbf_s = upp / (int64_t)r->nincidents;
	}
}

void
sla_compute(const struct sla_input *in, struct sla_result *r)
{
	static const struct ivset empty = {0};
	struct sla_input inx = *in;
	struct sweep w;
	int64_t t, a;

	memset(r, 0, sizeof(*r));
	if (in->end <= in->start)
		return;
	if (inx.maint == NULL)
		inx.maint = &empty;

	memset(&w, 0, sizeof(w));
	w.in = &inx;
	w.r = r;
	w.nsrc = in->ncomps + 2;
	w.src = xcalloc(w.nsrc, sizeof(*w.src));
	w.heap = xcalloc(w.nsrc, sizeof(*w.heap));
	w.count[SLA_NODATA] = in->ncomps;
	for (size_t c = 0; c < in->ncomps; c++) {
		w.src[c].kind = SRC_COMP;
		w.src[c].state = SLA_NODATA;
		w.src[c].i = first_span_after(in->comps[c].spans, in->comps[c].nspans, in->start);
	}
	w.src[in->ncomps].kind = SRC_HOURS;
	w.src[in->ncomps + 1].kind = SRC_MAINT;
	t = in->start;
	for (size_t k = 0; k < w.nsrc; k++) {
		if (w.src[k].kind == SRC_HOURS && in->hours == NULL) {
			/* all of P is service time: never a boundary */
			w.src[k].next = T_INF;
			w.in_hours = 1;
			continue;
		}
		src_apply(&w, &w.src[k], src_advance(&w, &w.src[k], t));
	}
	for (size_t k = 0; k < w.nsrc; k++)
		w.heap[w.nheap++] = k;
	for (size_t k = w.nheap / 2; k-- > 0;)
		heap_down(&w, k);

	/* a = start of the piece being built; boundaries where no state
	   changes (the hour after an hour of ok) do not end it. */
	a = t;
	while (t < in->end) {
		int flushed = 0;

		t = w.src[w.heap[0]].next;
		if (t >= in->end)
			break;
		while (w.src[w.heap[0]].next <= t) {
			struct src *s = &w.src[w.heap[0]];
			int st = src_advance(&w, s, t);

			if (st != s->state) {
				if (!flushed) {
					piece(&w, a, t);
					a = t;
					flushed = 1;
				}
				src_apply(&w, s, st);
			}
			heap_down(&w, 0);
		}
	}
	piece(&w, a, in->end);
	if (w.in_incident)
		incident_close(&w, in->end);
	free(w.src);
	free(w.heap);
	figures(in, r);
}

void
sla_result_free(struct sla_result *r)
{
	for (size_t i = 0; i < r->nincidents; i++)
		incident_free(&r->incidents[i]);
	free(r->incidents);
	free(r->segs);
	memset(r, 0, sizeof(*r));
}
