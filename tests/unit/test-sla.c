/*
 * test-sla.c - the SLA arithmetic of SPEC 3.4 against hand-computed
 * cases: DST months, business hours with a holiday, maintenance windows
 * (each policy, outages starting before and running past a window),
 * all / any / k-of-n with three-valued states, each nodata, warning and
 * unknown policy, stale gaps, budgets (exact where doubles would be off
 * by one), incidents with their components, mttr/mtbf, and the timeline.
 *
 * Most cases use one UTC day D = [2026-10-01 00:00Z, +24 h) so that the
 * arithmetic stays readable; times are written as hours into that day.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "caltime.h"
#include "sla.h"

#define H 3600
#define DAY 86400
/* 2026-10-01T00:00:00Z */
#define D0 INT64_C(1790812800)
#define AT(h) (D0 + (int64_t)((h)*H))
#define NSP(a) (sizeof(a) / sizeof((a)[0]))

/* cmocka's float comparison is single precision; availabilities need
   more digits than that. */
#define assert_double_equal(a, b, eps) double_near((a), (b), (eps), __LINE__)

static void
double_near(double a, double b, double eps, int line)
{
	if (!(a - b <= eps && b - a <= eps))
		fail_msg("line %d: %.12f != %.12f", line, a, b);
}

static void
zone(const char *name)
{
	const char *err = NULL;

	if (caltime_set_zone(name, &err) != 0)
		fail_msg("zone %s: %s", name, err);
}

/* One UTC day, 24x7, no maintenance, target 99.9, all, default policy. */
static void
day_input(struct sla_input *in, const struct sla_component *comps, size_t n)
{
	memset(in, 0, sizeof(*in));
	in->start = D0;
	in->end = D0 + DAY;
	in->target = 99.9;
	in->require = SLA_REQUIRE_ALL;
	sla_policy_default(&in->policy);
	in->comps = comps;
	in->ncomps = n;
}

/* The timeline covers [start, end) without holes, and merges equal
   neighbours. */
static void
check_segs(const struct sla_result *r, int64_t start, int64_t end)
{
	int64_t t = start;

	for (size_t i = 0; i < r->nsegs; i++) {
		assert_int_equal(r->segs[i].start, t);
		assert_true(r->segs[i].end > r->segs[i].start);
		if (i > 0)
			assert_int_not_equal(r->segs[i].seg, r->segs[i - 1].seg);
		t = r->segs[i].end;
	}
	assert_int_equal(t, end);
}

static void
seg_is(const struct sla_result *r, size_t i, int64_t start, int64_t end, int seg)
{
	if (i >= r->nsegs)
		fail_msg("segment %zu of %zu", i, r->nsegs);
	if (r->segs[i].start != start || r->segs[i].end != end || r->segs[i].seg != seg)
		fail_msg("segment %zu is [%lld, %lld) %s, want [%lld, %lld) %s", i,
		         (long long)r->segs[i].start, (long long)r->segs[i].end,
		         sla_seg_name(r->segs[i].seg), (long long)start, (long long)end,
		         sla_seg_name(seg));
}

static void
compute(const struct sla_input *in, struct sla_result *r)
{
	sla_compute(in, r);
	check_segs(r, in->start, in->end);
	/* E splits into up, down and nodata whatever the policy (maintenance
	   exclude takes W out) */
	if (in->policy.maintenance == SLA_MT_EXCLUDE)
		assert_int_equal(r->up_s + r->down_s + r->nodata_s,
		                 r->scheduled_s - r->maintenance_s);
	else
		assert_int_equal(r->up_s + r->down_s + r->nodata_s, r->scheduled_s);
}

/* ---- periods and budgets ---- */

static void
sla_month__dst_october_berlin__has_745_hours(void **state)
{
	const struct sla_span sp[] = {{0, INT64_C(1) << 40, MX_OK}};
	const struct sla_component c = {"hub1:service.smtp@smtp", sp, 1};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	zone("Europe/Berlin");
	day_input(&in, &c, 1);
	caltime_month(2026, 10, &in.start, &in.end);
	compute(&in, &r);
	/* 745 h = 2,682,000 s, all up */
	assert_int_equal(r.scheduled_s, 2682000);
	assert_int_equal(r.up_s, 2682000);
	assert_true(r.has_availability);
	assert_true(r.availability == 100.0);
	assert_true(r.met);
	/* budget = floor(0.001 x 2,682,000) = 2682 (the naive double product
	   is 2681.9999999997) */
	assert_int_equal(r.budget_s, 2682);
	assert_int_equal(r.budget_left_s, 2682);
	assert_int_equal(r.nsegs, 1);
	seg_is(&r, 0, in.start, in.end, SEG_UP);
	sla_result_free(&r);

	/* March: 743 h */
	caltime_month(2026, 3, &in.start, &in.end);
	compute(&in, &r);
	assert_int_equal(r.scheduled_s, 743 * H);
	assert_int_equal(r.up_s, 2674800);
	sla_result_free(&r);
}

static void
sla_budget__target_99_9_of_2678400__is_exactly_2678(void **state)
{
	/* UTC October: 31 d = 2,678,400 s; one 600 s outage on day 11 */
	const struct sla_span sp[] = {
	    {D0 - DAY, D0 + 10 * DAY, MX_OK},
	    {D0 + 10 * DAY, D0 + 10 * DAY + 600, MX_CRITICAL},
	    {D0 + 10 * DAY + 600, D0 + 40 * DAY, MX_OK},
	};
	const struct sla_component c = {"a", sp, NSP(sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	zone("UTC");
	day_input(&in, &c, 1);
	in.end = D0 + 31 * DAY;
	compute(&in, &r);
	assert_int_equal(r.scheduled_s, 2678400);
	assert_int_equal(r.up_s, 2677800);
	assert_int_equal(r.down_s, 600);
	/* floor(0.001 x 2,678,400) = floor(2678.4) = 2678; left 2678 - 600 */
	assert_int_equal(r.budget_s, 2678);
	assert_int_equal(r.budget_left_s, 2078);
	/* 100 x 2,677,800 / 2,678,400 = 99.97759856... */
	assert_double_equal(r.availability, 99.977598566308, 1e-9);
	assert_true(r.met);
	assert_int_equal(r.nincidents, 1);
	assert_int_equal(r.mttr_s, 600);
	assert_int_equal(r.mtbf_s, 2677800);
	sla_result_free(&r);

	/* 99.95 of 2,678,400: floor(1339.2) = 1339; left 739 */
	in.target = 99.95;
	compute(&in, &r);
	assert_int_equal(r.budget_s, 1339);
	assert_int_equal(r.budget_left_s, 739);
	sla_result_free(&r);
}

static void
sla_budget__target_99_95_of_745_hours__is_1341_not_1340(void **state)
{
	const struct sla_span sp[] = {{0, INT64_C(1) << 40, MX_OK}};
	const struct sla_component c = {"a", sp, 1};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	zone("Europe/Berlin");
	day_input(&in, &c, 1);
	caltime_month(2026, 10, &in.start, &in.end);
	in.target = 99.95;
	compute(&in, &r);
	/* 0.0005 x 2,682,000 = 1341 exactly (in doubles 1340.99999999985) */
	assert_int_equal(r.budget_s, 1341);
	sla_result_free(&r);
}

static void
sla_met__availability_equal_to_target__is_met(void **state)
{
	/* P = 1000 s: 999 up, 1 down -> 99.9 %, exactly the target */
	const struct sla_span sp[] = {
	    {D0, D0 + 999, MX_OK},
	    {D0 + 999, D0 + 1000, MX_CRITICAL},
	};
	const struct sla_component c = {"a", sp, NSP(sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, &c, 1);
	in.end = D0 + 1000;
	compute(&in, &r);
	assert_true(r.met);
	/* floor(0.001 x 1000) = 1; left 1 - 1 = 0 */
	assert_int_equal(r.budget_s, 1);
	assert_int_equal(r.budget_left_s, 0);
	sla_result_free(&r);
	in.target = 99.91;
	compute(&in, &r);
	assert_false(r.met);
	sla_result_free(&r);
	in.target = 100;
	compute(&in, &r);
	assert_false(r.met);
	assert_int_equal(r.budget_s, 0);
	assert_int_equal(r.budget_left_s, -1);
	sla_result_free(&r);
}

static void
sla_period__current_month__is_a_shorter_period(void **state)
{
	/* now = 2026-10-10 12:00 CEST: P = [Oct 1 00:00 CEST, now) = 9.5 d =
	   820,800 s (no DST change before the 25th); a result after now is
	   not looked at. */
	const struct sla_span sp[] = {
	    {0, D0 + 20 * DAY, MX_OK},
	    {D0 + 20 * DAY, D0 + 21 * DAY, MX_CRITICAL},
	};
	const struct sla_component c = {"a", sp, NSP(sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	zone("Europe/Berlin");
	day_input(&in, &c, 1);
	in.start = caltime_local(2026, 10, 1, 0, 0);
	in.end = caltime_local(2026, 10, 10, 12, 0);
	compute(&in, &r);
	assert_int_equal(r.scheduled_s, 820800);
	assert_int_equal(r.up_s, 820800);
	assert_int_equal(r.down_s, 0);
	assert_int_equal(r.nincidents, 0);
	/* floor(0.001 x 820,800) = 820 */
	assert_int_equal(r.budget_s, 820);
	sla_result_free(&r);
}

static void
sla_period__empty__gives_zeros(void **state)
{
	const struct sla_span sp[] = {{D0, D0 + DAY, MX_CRITICAL}};
	const struct sla_component c = {"a", sp, 1};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, &c, 1);
	in.end = in.start;
	sla_compute(&in, &r);
	assert_int_equal(r.scheduled_s, 0);
	assert_int_equal(r.nsegs, 0);
	assert_int_equal(r.nincidents, 0);
	assert_false(r.has_availability);
	assert_false(r.has_availability_total);
	sla_result_free(&r);
	in.end = in.start - 10;
	sla_compute(&in, &r);
	assert_int_equal(r.nsegs, 0);
	sla_result_free(&r);
}

/* ---- calendars ---- */

static void
sla_hours__business_december_with_holiday__exact_scheduled(void **state)
{
	/* Berlin, December 2026, Mon-Fri 08:00-18:00, Dec 25 a holiday:
	   22 days x 10 h = 792,000 s.  An outage Tue Dec 1 19:00-20:00 CET
	   lies outside the hours; one on Wed Dec 2 17:30-18:30 CET has 30 min
	   inside. */
	struct calday hol[] = {{2026, 12, 25}};
	struct calendar cal = {0x3e, 8 * 60, 18 * 60, hol, 1};
	struct ivset hours = {0};
	int64_t dec1 = D0 + 61 * DAY - H; /* Dec 1 00:00 CET = Nov 30 23:00Z */
	const struct sla_span sp[] = {
	    {0, dec1 + 19 * H, MX_OK},
	    {dec1 + 19 * H, dec1 + 20 * H, MX_CRITICAL},
	    {dec1 + 20 * H, dec1 + DAY + 17 * H + 1800, MX_OK},
	    {dec1 + DAY + 17 * H + 1800, dec1 + DAY + 18 * H + 1800, MX_CRITICAL},
	    {dec1 + DAY + 18 * H + 1800, INT64_C(1) << 40, MX_OK},
	};
	const struct sla_component c = {"mbx1:service.imap@imap", sp, NSP(sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	zone("Europe/Berlin");
	day_input(&in, &c, 1);
	caltime_month(2026, 12, &in.start, &in.end);
	assert_int_equal(in.start, dec1);
	calendar_hours(&cal, in.start, in.end, &hours);
	in.hours = &hours;
	compute(&in, &r);
	assert_int_equal(r.scheduled_s, 792000);
	assert_int_equal(r.down_s, 1800);
	assert_int_equal(r.up_s, 792000 - 1800);
	/* only the second outage has eligible time */
	assert_int_equal(r.nincidents, 1);
	assert_int_equal(r.incidents[0].start, dec1 + DAY + 17 * H + 1800);
	assert_int_equal(r.incidents[0].end, dec1 + DAY + 18 * H + 1800);
	assert_int_equal(r.incidents[0].down_s, 1800);
	/* timeline: outside until Dec 1 08:00, up to 18:00, outside ... */
	seg_is(&r, 0, dec1, dec1 + 8 * H, SEG_OUTSIDE);
	seg_is(&r, 1, dec1 + 8 * H, dec1 + 18 * H, SEG_UP);
	seg_is(&r, 2, dec1 + 18 * H, dec1 + DAY + 8 * H, SEG_OUTSIDE);
	seg_is(&r, 3, dec1 + DAY + 8 * H, dec1 + DAY + 17 * H + 1800, SEG_UP);
	seg_is(&r, 4, dec1 + DAY + 17 * H + 1800, dec1 + DAY + 18 * H, SEG_DOWN);
	seg_is(&r, 5, dec1 + DAY + 18 * H, dec1 + 2 * DAY + 8 * H, SEG_OUTSIDE);
	sla_result_free(&r);
	ivset_free(&hours);
}

/* ---- maintenance ---- */

static void
sla_maint__weekly_window_on_dst_sunday__counts_wall_clock(void **state)
{
	/* Berlin October 2026, Sundays 02:00-03:00: 3 x 1 h + 2 h on the 25th
	   (02:00 CEST .. 03:00 CET) = 18,000 s.  The service is down during
	   the whole window of the 25th [00:00Z, 02:00Z): planned, not counted. */
	int64_t w25 = 1792888200 - 1800; /* 2026-10-25T00:00Z */
	const struct sla_span sp[] = {
	    {0, w25, MX_OK},
	    {w25, w25 + 2 * H, MX_CRITICAL},
	    {w25 + 2 * H, INT64_C(1) << 40, MX_OK},
	};
	const struct sla_component c = {"a", sp, NSP(sp)};
	struct ivset maint = {0};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	zone("Europe/Berlin");
	day_input(&in, &c, 1);
	caltime_month(2026, 10, &in.start, &in.end);
	calendar_weekly(1u << 0, 2 * 60, 3 * 60, in.start, in.end, &maint);
	in.maint = &maint;
	compute(&in, &r);
	assert_int_equal(r.scheduled_s, 2682000);
	assert_int_equal(r.maintenance_s, 18000);
	assert_int_equal(r.up_s, 2682000 - 18000);
	assert_int_equal(r.down_s, 0);
	assert_int_equal(r.planned_down_s, 7200);
	assert_int_equal(r.nincidents, 0);
	assert_true(r.availability == 100.0);
	/* 0.001 x 2,664,000 = 2664 */
	assert_int_equal(r.budget_s, 2664);
	{
		int found = 0;

		for (size_t i = 0; i < r.nsegs; i++)
			if (r.segs[i].seg == SEG_MAINT_DOWN) {
				assert_int_equal(r.segs[i].start, w25);
				assert_int_equal(r.segs[i].end, w25 + 2 * H);
				found++;
			}
		assert_int_equal(found, 1);
	}
	sla_result_free(&r);
	ivset_free(&maint);
}

/* Window W = [10:00, 12:00); an outage 09:00-11:00 starts before it. */
static const struct sla_span before_w[] = {
    {D0 - DAY, D0 + 9 * H, MX_OK},
    {D0 + 9 * H, D0 + 11 * H, MX_CRITICAL},
    {D0 + 11 * H, D0 + 2 * DAY, MX_OK},
};

static void
maint_input(struct sla_input *in, const struct sla_component *c, struct ivset *w, int policy)
{
	day_input(in, c, 1);
	ivset_add(w, AT(10), AT(12));
	in->maint = w;
	in->policy.maintenance = policy;
}

static void
sla_maint__outage_starting_before_window__only_the_part_before_counts(void **state)
{
	const struct sla_component c = {"a", before_w, NSP(before_w)};
	struct ivset w = {0};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	maint_input(&in, &c, &w, SLA_MT_EXCLUDE);
	compute(&in, &r);
	/* E = 24 h - 2 h = 79,200; down 09-10 = 3600; planned 10-11 = 3600;
	   up = 79,200 - 3600 = 75,600 */
	assert_int_equal(r.scheduled_s, DAY);
	assert_int_equal(r.maintenance_s, 7200);
	assert_int_equal(r.down_s, 3600);
	assert_int_equal(r.planned_down_s, 3600);
	assert_int_equal(r.up_s, 75600);
	/* one incident, the whole down interval 09-11, eligible part 1 h */
	assert_int_equal(r.nincidents, 1);
	assert_int_equal(r.incidents[0].start, AT(9));
	assert_int_equal(r.incidents[0].end, AT(11));
	assert_int_equal(r.incidents[0].down_s, 3600);
	assert_int_equal(r.incidents[0].ncomponents, 1);
	assert_string_equal(r.incidents[0].components[0], "a");
	/* 0.001 x 79,200 = 79.2 -> 79; left 79 - 3600 */
	assert_int_equal(r.budget_s, 79);
	assert_int_equal(r.budget_left_s, 79 - 3600);
	assert_int_equal(r.nsegs, 5);
	seg_is(&r, 0, AT(0), AT(9), SEG_UP);
	seg_is(&r, 1, AT(9), AT(10), SEG_DOWN);
	seg_is(&r, 2, AT(10), AT(11), SEG_MAINT_DOWN);
	seg_is(&r, 3, AT(11), AT(12), SEG_MAINT);
	seg_is(&r, 4, AT(12), AT(24), SEG_UP);
	sla_result_free(&r);
	ivset_free(&w);
}

static void
sla_maint__outage_running_past_window_end__unplanned_from_the_end(void **state)
{
	/* W = [10, 12); down 11:00-13:00: planned 11-12, unplanned 12-13 */
	const struct sla_span sp[] = {
	    {D0, AT(11), MX_OK},
	    {AT(11), AT(13), MX_CRITICAL},
	    {AT(13), AT(24), MX_OK},
	};
	const struct sla_component c = {"a", sp, NSP(sp)};
	struct ivset w = {0};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	maint_input(&in, &c, &w, SLA_MT_EXCLUDE);
	compute(&in, &r);
	assert_int_equal(r.planned_down_s, 3600);
	assert_int_equal(r.down_s, 3600);
	/* 86,400 - 7200 - 3600 */
	assert_int_equal(r.up_s, 75600);
	assert_int_equal(r.nincidents, 1);
	assert_int_equal(r.incidents[0].start, AT(11));
	assert_int_equal(r.incidents[0].end, AT(13));
	assert_int_equal(r.incidents[0].down_s, 3600);
	seg_is(&r, 1, AT(10), AT(11), SEG_MAINT);
	seg_is(&r, 2, AT(11), AT(12), SEG_MAINT_DOWN);
	seg_is(&r, 3, AT(12), AT(13), SEG_DOWN);
	sla_result_free(&r);
	ivset_free(&w);
}

static void
sla_maint__policy_up__window_counts_as_up(void **state)
{
	const struct sla_component c = {"a", before_w, NSP(before_w)};
	struct ivset w = {0};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	maint_input(&in, &c, &w, SLA_MT_UP);
	compute(&in, &r);
	/* E = all 24 h; W (2 h) counts as up even while down; down 09-10 =
	   3600; up = 86,400 - 3600 = 82,800 */
	assert_int_equal(r.maintenance_s, 7200);
	assert_int_equal(r.up_s, 82800);
	assert_int_equal(r.down_s, 3600);
	assert_int_equal(r.planned_down_s, 3600);
	assert_int_equal(r.nincidents, 1);
	assert_int_equal(r.incidents[0].down_s, 3600);
	/* 0.001 x 86,400 = 86.4 -> 86 */
	assert_int_equal(r.budget_s, 86);
	assert_double_equal(r.availability, 100.0 * 82800 / 86400, 1e-12);
	seg_is(&r, 2, AT(10), AT(11), SEG_MAINT_DOWN);
	seg_is(&r, 3, AT(11), AT(12), SEG_MAINT);
	sla_result_free(&r);
	ivset_free(&w);
}

static void
sla_maint__policy_count__window_is_ordinary_time(void **state)
{
	const struct sla_component c = {"a", before_w, NSP(before_w)};
	struct ivset w = {0};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	maint_input(&in, &c, &w, SLA_MT_COUNT);
	compute(&in, &r);
	/* W ignored: down 09-11 = 7200, up 79,200; maintenance_s and
	   planned_down_s are still reported */
	assert_int_equal(r.maintenance_s, 7200);
	assert_int_equal(r.up_s, 79200);
	assert_int_equal(r.down_s, 7200);
	assert_int_equal(r.planned_down_s, 3600);
	assert_int_equal(r.nincidents, 1);
	assert_int_equal(r.incidents[0].down_s, 7200);
	assert_int_equal(r.mttr_s, 7200);
	assert_int_equal(r.mtbf_s, 79200);
	assert_int_equal(r.nsegs, 3);
	seg_is(&r, 1, AT(9), AT(11), SEG_DOWN);
	sla_result_free(&r);
	ivset_free(&w);
}

static void
sla_maint__outage_inside_window_only__no_incident(void **state)
{
	const struct sla_span sp[] = {
	    {D0, AT(10.5), MX_OK},
	    {AT(10.5), AT(11.5), MX_CRITICAL},
	    {AT(11.5), AT(24), MX_OK},
	};
	const struct sla_component c = {"a", sp, NSP(sp)};
	struct ivset w = {0};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	maint_input(&in, &c, &w, SLA_MT_EXCLUDE);
	compute(&in, &r);
	assert_int_equal(r.planned_down_s, 3600);
	assert_int_equal(r.down_s, 0);
	assert_int_equal(r.nincidents, 0);
	assert_true(r.availability == 100.0);
	sla_result_free(&r);
	ivset_free(&w);
}

/* ---- redundancy ---- */

/* A up all day; B down 06-08 and 12-13; C down 12-13. */
static const struct sla_span ka[] = {{D0, D0 + DAY, MX_OK}};
static const struct sla_span kb[] = {
    {D0, D0 + 6 * H, MX_OK},           {D0 + 6 * H, D0 + 8 * H, MX_CRITICAL},
    {D0 + 8 * H, D0 + 12 * H, MX_OK},  {D0 + 12 * H, D0 + 13 * H, MX_CRITICAL},
    {D0 + 13 * H, D0 + 24 * H, MX_OK},
};
static const struct sla_span kc[] = {
    {D0, D0 + 12 * H, MX_OK},
    {D0 + 12 * H, D0 + 13 * H, MX_CRITICAL},
    {D0 + 13 * H, D0 + 24 * H, MX_OK},
};
static const struct sla_component kcomps[] = {
    {"hub1:service.smtp@smtp", ka, NSP(ka)},
    {"hub2:service.smtp@smtp", kb, NSP(kb)},
    {"hub3:service.smtp@smtp", kc, NSP(kc)},
};

static void
sla_require__2_of_3__one_down_degraded_two_down_down(void **state)
{
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, kcomps, 3);
	in.require = 2;
	compute(&in, &r);
	/* 06-08: 2 of 3 up -> up, degraded 7200; 12-13: 1 up -> down 3600 */
	assert_int_equal(r.up_s, 82800);
	assert_int_equal(r.down_s, 3600);
	assert_int_equal(r.degraded_s, 7200);
	assert_int_equal(r.nincidents, 1);
	assert_int_equal(r.incidents[0].start, AT(12));
	assert_int_equal(r.incidents[0].end, AT(13));
	assert_int_equal(r.incidents[0].ncomponents, 2);
	assert_string_equal(r.incidents[0].components[0], "hub2:service.smtp@smtp");
	assert_string_equal(r.incidents[0].components[1], "hub3:service.smtp@smtp");
	assert_int_equal(r.mttr_s, 3600);
	assert_int_equal(r.mtbf_s, 82800);
	assert_int_equal(r.nsegs, 5);
	seg_is(&r, 0, AT(0), AT(6), SEG_UP);
	seg_is(&r, 1, AT(6), AT(8), SEG_DEGRADED);
	seg_is(&r, 2, AT(8), AT(12), SEG_UP);
	seg_is(&r, 3, AT(12), AT(13), SEG_DOWN);
	seg_is(&r, 4, AT(13), AT(24), SEG_UP);
	sla_result_free(&r);
}

static void
sla_require__all__any_component_down_is_down(void **state)
{
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, kcomps, 3);
	compute(&in, &r);
	/* down 06-08 and 12-13 = 10,800; up 75,600; two incidents */
	assert_int_equal(r.down_s, 10800);
	assert_int_equal(r.up_s, 75600);
	assert_int_equal(r.degraded_s, 0);
	assert_int_equal(r.nincidents, 2);
	assert_int_equal(r.incidents[0].start, AT(6));
	assert_int_equal(r.incidents[0].ncomponents, 1);
	assert_string_equal(r.incidents[0].components[0], "hub2:service.smtp@smtp");
	assert_int_equal(r.incidents[1].ncomponents, 2);
	/* mttr = 10,800 / 2 = 5400; mtbf = 75,600 / 2 = 37,800 */
	assert_int_equal(r.mttr_s, 5400);
	assert_int_equal(r.mtbf_s, 37800);
	sla_result_free(&r);
}

static void
sla_require__any__up_while_one_is_up(void **state)
{
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, kcomps, 3);
	in.require = SLA_REQUIRE_ANY;
	compute(&in, &r);
	/* A is always up; degraded whenever B or C is down: 2 h + 1 h */
	assert_int_equal(r.up_s, DAY);
	assert_int_equal(r.down_s, 0);
	assert_int_equal(r.degraded_s, 10800);
	assert_int_equal(r.nincidents, 0);
	assert_int_equal(r.mttr_s, 0);
	sla_result_free(&r);
}

static void
sla_require__three_valued__nodata_decides(void **state)
{
	/* 00-06: A up, B nodata (no span yet), C down; afterwards all up */
	const struct sla_span b[] = {{D0 + 6 * H, D0 + DAY, MX_OK}};
	const struct sla_span c[] = {
	    {D0, D0 + 6 * H, MX_CRITICAL},
	    {D0 + 6 * H, D0 + DAY, MX_OK},
	};
	const struct sla_component comps[] = {
	    {"a", ka, NSP(ka)},
	    {"b", b, NSP(b)},
	    {"c", c, NSP(c)},
	};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, comps, 3);
	/* 2 of 3: 1 up, 1 nodata, 1 down: not 2 up, but up + nodata = 2 ->
	   nodata */
	in.require = 2;
	compute(&in, &r);
	assert_int_equal(r.nodata_s, 21600);
	assert_int_equal(r.up_s, 64800);
	assert_int_equal(r.down_s, 0);
	assert_int_equal(r.nincidents, 0);
	seg_is(&r, 0, AT(0), AT(6), SEG_NODATA);
	sla_result_free(&r);
	/* all: one down -> down */
	in.require = SLA_REQUIRE_ALL;
	compute(&in, &r);
	assert_int_equal(r.down_s, 21600);
	assert_int_equal(r.nodata_s, 0);
	sla_result_free(&r);
	/* any: A up -> up, degraded (C down) */
	in.require = SLA_REQUIRE_ANY;
	compute(&in, &r);
	assert_int_equal(r.up_s, DAY);
	assert_int_equal(r.degraded_s, 21600);
	sla_result_free(&r);
	/* 4 of 3 can never hold: down all day */
	in.require = 4;
	compute(&in, &r);
	assert_int_equal(r.down_s, DAY);
	sla_result_free(&r);
	/* any with A removed: 00-06 B nodata, C down -> nodata */
	in.comps = comps + 1;
	in.ncomps = 2;
	in.require = SLA_REQUIRE_ANY;
	compute(&in, &r);
	assert_int_equal(r.nodata_s, 21600);
	assert_int_equal(r.up_s, 64800);
	sla_result_free(&r);
}

/* ---- policies ---- */

/* ok 00-06, critical 06-07, ok 07-18, nothing after 18:00 */
static const struct sla_span nd_sp[] = {
    {D0, D0 + 6 * H, MX_OK},
    {D0 + 6 * H, D0 + 7 * H, MX_CRITICAL},
    {D0 + 7 * H, D0 + 18 * H, MX_OK},
};

static void
sla_nodata__exclude__left_out_of_availability(void **state)
{
	const struct sla_component c = {"a", nd_sp, NSP(nd_sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, &c, 1);
	in.target = 99;
	compute(&in, &r);
	assert_int_equal(r.up_s, 61200);
	assert_int_equal(r.down_s, 3600);
	assert_int_equal(r.nodata_s, 21600);
	/* 100 x 61,200 / 64,800 = 94.444...; total 61,200 / 86,400 = 70.833... */
	assert_double_equal(r.availability, 94.444444444444, 1e-9);
	assert_true(r.has_availability_total);
	assert_double_equal(r.availability_total, 70.833333333333, 1e-9);
	assert_false(r.met);
	/* floor(0.01 x 64,800) = 648; left 648 - 3600 = -2952 */
	assert_int_equal(r.budget_s, 648);
	assert_int_equal(r.budget_left_s, -2952);
	assert_int_equal(r.mttr_s, 3600);
	assert_int_equal(r.mtbf_s, 61200);
	seg_is(&r, 3, AT(18), AT(24), SEG_NODATA);
	sla_result_free(&r);
}

static void
sla_nodata__up__added_to_up(void **state)
{
	const struct sla_component c = {"a", nd_sp, NSP(nd_sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, &c, 1);
	in.target = 99;
	in.policy.nodata = SLA_ND_UP;
	compute(&in, &r);
	/* up' = 61,200 + 21,600 = 82,800; 100 x 82,800 / 86,400 = 95.8333... */
	assert_int_equal(r.up_s, 61200);
	assert_int_equal(r.nodata_s, 21600);
	assert_double_equal(r.availability, 95.833333333333, 1e-9);
	/* floor(0.01 x 86,400) = 864; left 864 - 3600 = -2736 */
	assert_int_equal(r.budget_s, 864);
	assert_int_equal(r.budget_left_s, -2736);
	assert_int_equal(r.mttr_s, 3600);
	assert_int_equal(r.mtbf_s, 82800);
	sla_result_free(&r);
}

static void
sla_nodata__down__added_to_down(void **state)
{
	const struct sla_component c = {"a", nd_sp, NSP(nd_sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, &c, 1);
	in.target = 99;
	in.policy.nodata = SLA_ND_DOWN;
	compute(&in, &r);
	/* down' = 3600 + 21,600 = 25,200; 100 x 61,200 / 86,400 = 70.8333... */
	assert_int_equal(r.down_s, 3600);
	assert_double_equal(r.availability, 70.833333333333, 1e-9);
	assert_int_equal(r.budget_s, 864);
	assert_int_equal(r.budget_left_s, 864 - 25200);
	/* one incident (nodata is not an incident), mttr = down' / 1 */
	assert_int_equal(r.nincidents, 1);
	assert_int_equal(r.mttr_s, 25200);
	assert_int_equal(r.mtbf_s, 61200);
	sla_result_free(&r);
}

/* ok 00-06, warning 06-12, unknown 12-18, ok 18-24 */
static const struct sla_span wu_sp[] = {
    {D0, D0 + 6 * H, MX_OK},
    {D0 + 6 * H, D0 + 12 * H, MX_WARNING},
    {D0 + 12 * H, D0 + 18 * H, MX_UNKNOWN},
    {D0 + 18 * H, D0 + 24 * H, MX_OK},
};

static void
sla_policy__warning_and_unknown__each_mapping(void **state)
{
	static const struct {
		int warning, unknown;
		int64_t up, down, nodata;
		int64_t inc_start; /* 0 = no incident */
	} cases[] = {
	    /* default: warning up, unknown nodata */
	    {SLA_UP, SLA_NODATA, 64800, 0, 21600, 0},
	    {SLA_DOWN, SLA_NODATA, 43200, 21600, 21600, 6},
	    {SLA_NODATA, SLA_NODATA, 43200, 0, 43200, 0},
	    {SLA_UP, SLA_UP, 86400, 0, 0, 0},
	    {SLA_UP, SLA_DOWN, 64800, 21600, 0, 12},
	    {SLA_NODATA, SLA_UP, 64800, 0, 21600, 0},
	    {SLA_DOWN, SLA_DOWN, 43200, 43200, 0, 6},
	};
	const struct sla_component c = {"a", wu_sp, NSP(wu_sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		day_input(&in, &c, 1);
		in.policy.warning = cases[i].warning;
		in.policy.unknown = cases[i].unknown;
		compute(&in, &r);
		if (r.up_s != cases[i].up || r.down_s != cases[i].down ||
		    r.nodata_s != cases[i].nodata)
			fail_msg("case %zu: up %lld down %lld nodata %lld", i, (long long)r.up_s,
			         (long long)r.down_s, (long long)r.nodata_s);
		if (cases[i].inc_start == 0) {
			assert_int_equal(r.nincidents, 0);
		} else {
			/* warning + unknown both down: one incident 06-18 */
			assert_int_equal(r.nincidents, 1);
			assert_int_equal(r.incidents[0].start, AT(cases[i].inc_start));
			assert_int_equal(r.incidents[0].down_s, cases[i].down);
		}
		sla_result_free(&r);
	}
}

static void
sla_state__nodata_and_bad_status_spans__are_nodata(void **state)
{
	const struct sla_span sp[] = {
	    {D0, D0 + 6 * H, MX_NODATA},
	    {D0 + 6 * H, D0 + 12 * H, 99},
	    {D0 + 12 * H, D0 + 24 * H, -1},
	};
	const struct sla_component c = {"a", sp, NSP(sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, &c, 1);
	compute(&in, &r);
	assert_int_equal(r.nodata_s, DAY);
	assert_int_equal(r.nsegs, 1);
	sla_result_free(&r);
}

/* ---- data gaps and no data ---- */

static void
sla_gaps__stale_time_between_spans__is_nodata(void **state)
{
	/* a result went stale at 01:00 and the next arrived at 02:00; a late
	   critical result covers 05:00-05:05 */
	const struct sla_span sp[] = {
	    {D0 - H, D0 + H, MX_OK},
	    {D0 + 2 * H, D0 + 5 * H, MX_OK},
	    {D0 + 5 * H, D0 + 5 * H + 300, MX_CRITICAL},
	    {D0 + 5 * H + 300, D0 + 24 * H, MX_OK},
	};
	const struct sla_component c = {"a", sp, NSP(sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, &c, 1);
	compute(&in, &r);
	assert_int_equal(r.nodata_s, 3600);
	assert_int_equal(r.down_s, 300);
	/* 86,400 - 3600 - 300 */
	assert_int_equal(r.up_s, 82500);
	seg_is(&r, 0, AT(0), AT(1), SEG_UP);
	seg_is(&r, 1, AT(1), AT(2), SEG_NODATA);
	seg_is(&r, 2, AT(2), AT(5), SEG_UP);
	seg_is(&r, 3, AT(5), AT(5) + 300, SEG_DOWN);
	sla_result_free(&r);
}

static void
sla_nodata__everything_nodata__availability_null(void **state)
{
	const struct sla_component c = {"a", NULL, 0};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, &c, 1);
	compute(&in, &r);
	assert_int_equal(r.nodata_s, DAY);
	assert_false(r.has_availability);
	assert_false(r.met);
	assert_int_equal(r.budget_s, 0);
	assert_int_equal(r.budget_left_s, 0);
	/* up / (up + down + nodata) = 0 / 86,400: defined, 0 */
	assert_true(r.has_availability_total);
	assert_true(r.availability_total == 0.0);
	sla_result_free(&r);

	/* no component at all: nodata too */
	in.ncomps = 0;
	in.comps = NULL;
	compute(&in, &r);
	assert_int_equal(r.nodata_s, DAY);
	assert_false(r.has_availability);
	seg_is(&r, 0, AT(0), AT(24), SEG_NODATA);
	sla_result_free(&r);

	/* nodata: down makes it 0 % with a budget of floor(86.4) = 86 */
	in.policy.nodata = SLA_ND_DOWN;
	compute(&in, &r);
	assert_true(r.has_availability);
	assert_true(r.availability == 0.0);
	assert_int_equal(r.budget_s, 86);
	assert_int_equal(r.budget_left_s, 86 - DAY);
	sla_result_free(&r);

	/* hours that miss the period: nothing scheduled, both figures null */
	{
		struct ivset none = {0};

		in.hours = &none;
		compute(&in, &r);
		assert_int_equal(r.scheduled_s, 0);
		assert_false(r.has_availability);
		assert_false(r.has_availability_total);
		seg_is(&r, 0, AT(0), AT(24), SEG_OUTSIDE);
		sla_result_free(&r);
	}
}

/* ---- incidents ---- */

static void
sla_incidents__two_outages__mttr_mtbf_floor(void **state)
{
	/* down 01:00 +601 s and 05:00 +600 s: down 1201, up 85,199;
	   mttr = 1201 / 2 = 600 (floor of 600.5); mtbf = 85,199 / 2 = 42,599 */
	const struct sla_span sp[] = {
	    {D0, AT(1), MX_OK},           {AT(1), AT(1) + 601, MX_CRITICAL},
	    {AT(1) + 601, AT(5), MX_OK},  {AT(5), AT(5) + 600, MX_UNKNOWN},
	    {AT(5) + 600, AT(24), MX_OK},
	};
	const struct sla_component c = {"mbx1:copy.lag@db1", sp, NSP(sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, &c, 1);
	in.policy.unknown = SLA_DOWN;
	compute(&in, &r);
	assert_int_equal(r.down_s, 1201);
	assert_int_equal(r.up_s, 85199);
	assert_int_equal(r.nincidents, 2);
	assert_int_equal(r.incidents[0].start, AT(1));
	assert_int_equal(r.incidents[0].end, AT(1) + 601);
	assert_int_equal(r.incidents[0].down_s, 601);
	assert_int_equal(r.incidents[1].start, AT(5));
	assert_int_equal(r.incidents[1].down_s, 600);
	assert_string_equal(r.incidents[1].components[0], "mbx1:copy.lag@db1");
	assert_int_equal(r.mttr_s, 600);
	assert_int_equal(r.mtbf_s, 42599);
	sla_result_free(&r);
}

static void
sla_incidents__outside_hours__listed_only_with_eligible_time(void **state)
{
	/* hours 08-18; down 17-19 (1 h eligible) and 20-21 (none) */
	const struct sla_span sp[] = {
	    {D0, AT(17), MX_OK},           {AT(17), AT(19), MX_CRITICAL}, {AT(19), AT(20), MX_OK},
	    {AT(20), AT(21), MX_CRITICAL}, {AT(21), AT(24), MX_OK},
	};
	const struct sla_component c = {"a", sp, NSP(sp)};
	struct ivset hours = {0};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, &c, 1);
	ivset_add(&hours, AT(8), AT(18));
	in.hours = &hours;
	compute(&in, &r);
	assert_int_equal(r.scheduled_s, 36000);
	assert_int_equal(r.down_s, 3600);
	assert_int_equal(r.up_s, 32400);
	assert_int_equal(r.nincidents, 1);
	/* the whole down interval, its eligible part 17-18 */
	assert_int_equal(r.incidents[0].start, AT(17));
	assert_int_equal(r.incidents[0].end, AT(19));
	assert_int_equal(r.incidents[0].down_s, 3600);
	assert_int_equal(r.mttr_s, 3600);
	assert_int_equal(r.mtbf_s, 32400);
	sla_result_free(&r);
	ivset_free(&hours);
}

static void
sla_incidents__across_period_edges__clipped_with_components(void **state)
{
	/* b is down from the day before until 00:10 and again from 23:50 to
	   the next day; a is fine */
	const struct sla_span a[] = {{D0 - DAY, D0 + 2 * DAY, MX_OK}};
	const struct sla_span b[] = {
	    {D0 - DAY, D0 + 600, MX_CRITICAL},
	    {D0 + 600, D0 + DAY - 600, MX_OK},
	    {D0 + DAY - 600, D0 + 2 * DAY, MX_CRITICAL},
	};
	const struct sla_component comps[] = {{"a", a, 1}, {"b", b, NSP(b)}};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, comps, 2);
	compute(&in, &r);
	assert_int_equal(r.nincidents, 2);
	assert_int_equal(r.incidents[0].start, D0);
	assert_int_equal(r.incidents[0].end, D0 + 600);
	assert_int_equal(r.incidents[0].ncomponents, 1);
	assert_string_equal(r.incidents[0].components[0], "b");
	assert_int_equal(r.incidents[1].start, D0 + DAY - 600);
	assert_int_equal(r.incidents[1].end, D0 + DAY);
	assert_int_equal(r.down_s, 1200);
	sla_result_free(&r);
}

static void
sla_incidents__components_join_later__named_as_at_start(void **state)
{
	/* a down 10:00-12:00, b down 11:00-13:00, all: one incident 10-13
	   naming a only */
	const struct sla_span a[] = {
	    {D0, AT(10), MX_OK},
	    {AT(10), AT(12), MX_CRITICAL},
	    {AT(12), AT(24), MX_OK},
	};
	const struct sla_span b[] = {
	    {D0, AT(11), MX_OK},
	    {AT(11), AT(13), MX_CRITICAL},
	    {AT(13), AT(24), MX_OK},
	};
	const struct sla_component comps[] = {{"a", a, NSP(a)}, {"b", b, NSP(b)}};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, comps, 2);
	compute(&in, &r);
	assert_int_equal(r.nincidents, 1);
	assert_int_equal(r.incidents[0].start, AT(10));
	assert_int_equal(r.incidents[0].end, AT(13));
	assert_int_equal(r.incidents[0].down_s, 3 * H);
	assert_int_equal(r.incidents[0].ncomponents, 1);
	assert_string_equal(r.incidents[0].components[0], "a");
	sla_result_free(&r);
}

static void
sla_sweep__one_minute_spans__same_figures_as_merged_spans(void **state)
{
	/* 1440 one-minute spans, critical 12:00-12:10 (10 spans): down 600,
	   up 85,800, one incident; a second component with two-minute spans,
	   always ok, changes nothing under `all` */
	struct sla_span a[1440], b[720];
	struct sla_component comps[2] = {{"a", a, 1440}, {"b", b, 720}};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	for (int i = 0; i < 1440; i++) {
		a[i].start = D0 + 60 * i;
		a[i].end = a[i].start + 60;
		a[i].status = (i >= 720 && i < 730) ? MX_CRITICAL : MX_OK;
	}
	for (int i = 0; i < 720; i++) {
		b[i].start = D0 + 120 * i;
		b[i].end = b[i].start + 120;
		b[i].status = MX_OK;
	}
	day_input(&in, comps, 2);
	compute(&in, &r);
	assert_int_equal(r.down_s, 600);
	assert_int_equal(r.up_s, 85800);
	assert_int_equal(r.nincidents, 1);
	assert_int_equal(r.incidents[0].start, AT(12));
	assert_int_equal(r.incidents[0].end, AT(12) + 600);
	assert_int_equal(r.nsegs, 3);
	sla_result_free(&r);
}

static void
sla_input__overlapping_spans__terminates_and_accounts_everything(void **state)
{
	/* not sorted nor disjoint: must not hang or crash */
	const struct sla_span sp[] = {
	    {D0, AT(10), MX_OK},
	    {AT(5), AT(8), MX_CRITICAL},
	    {AT(2), AT(3), MX_CRITICAL},
	    {AT(9), AT(9), MX_CRITICAL},
	};
	const struct sla_component c = {"a", sp, NSP(sp)};
	struct sla_input in;
	struct sla_result r;

	(void)state;
	day_input(&in, &c, 1);
	compute(&in, &r);
	assert_int_equal(r.scheduled_s, DAY);
	sla_result_free(&r);
}

static void
sla_names__policies_and_segments__as_in_the_config(void **state)
{
	struct sla_policy p;

	(void)state;
	sla_policy_default(&p);
	assert_int_equal(p.warning, SLA_UP);
	assert_int_equal(p.unknown, SLA_NODATA);
	assert_int_equal(p.nodata, SLA_ND_EXCLUDE);
	assert_int_equal(p.maintenance, SLA_MT_EXCLUDE);
	assert_string_equal(sla_comp_state_name(SLA_NODATA), "nodata");
	assert_string_equal(sla_nodata_policy_name(SLA_ND_DOWN), "down");
	assert_string_equal(sla_maint_policy_name(SLA_MT_COUNT), "count");
	assert_string_equal(sla_seg_name(SEG_MAINT), "maintenance");
	assert_string_equal(sla_seg_name(SEG_MAINT_DOWN), "planned_down");
	assert_string_equal(sla_seg_name(SEG_OUTSIDE), "outside");
	assert_string_equal(sla_seg_name(7), "?");
	assert_string_equal(sla_comp_state_name(-1), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sla_month__dst_october_berlin__has_745_hours),
	    cmocka_unit_test(sla_budget__target_99_9_of_2678400__is_exactly_2678),
	    cmocka_unit_test(sla_budget__target_99_95_of_745_hours__is_1341_not_1340),
	    cmocka_unit_test(sla_met__availability_equal_to_target__is_met),
	    cmocka_unit_test(sla_period__current_month__is_a_shorter_period),
	    cmocka_unit_test(sla_period__empty__gives_zeros),
	    cmocka_unit_test(sla_hours__business_december_with_holiday__exact_scheduled),
	    cmocka_unit_test(sla_maint__weekly_window_on_dst_sunday__counts_wall_clock),
	    cmocka_unit_test(sla_maint__outage_starting_before_window__only_the_part_before_counts),
	    cmocka_unit_test(sla_maint__outage_running_past_window_end__unplanned_from_the_end),
	    cmocka_unit_test(sla_maint__policy_up__window_counts_as_up),
	    cmocka_unit_test(sla_maint__policy_count__window_is_ordinary_time),
	    cmocka_unit_test(sla_maint__outage_inside_window_only__no_incident),
	    cmocka_unit_test(sla_require__2_of_3__one_down_degraded_two_down_down),
	    cmocka_unit_test(sla_require__all__any_component_down_is_down),
	    cmocka_unit_test(sla_require__any__up_while_one_is_up),
	    cmocka_unit_test(sla_require__three_valued__nodata_decides),
	    cmocka_unit_test(sla_nodata__exclude__left_out_of_availability),
	    cmocka_unit_test(sla_nodata__up__added_to_up),
	    cmocka_unit_test(sla_nodata__down__added_to_down),
	    cmocka_unit_test(sla_policy__warning_and_unknown__each_mapping),
	    cmocka_unit_test(sla_state__nodata_and_bad_status_spans__are_nodata),
	    cmocka_unit_test(sla_gaps__stale_time_between_spans__is_nodata),
	    cmocka_unit_test(sla_nodata__everything_nodata__availability_null),
	    cmocka_unit_test(sla_incidents__two_outages__mttr_mtbf_floor),
	    cmocka_unit_test(sla_incidents__outside_hours__listed_only_with_eligible_time),
	    cmocka_unit_test(sla_incidents__across_period_edges__clipped_with_components),
	    cmocka_unit_test(sla_incidents__components_join_later__named_as_at_start),
	    cmocka_unit_test(sla_sweep__one_minute_spans__same_figures_as_merged_spans),
	    cmocka_unit_test(sla_input__overlapping_spans__terminates_and_accounts_everything),
	    cmocka_unit_test(sla_names__policies_and_segments__as_in_the_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
