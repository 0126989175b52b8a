/*
 * test-caltime.c - wall-clock conversion in real zones (the system
 * tzdata: Europe/Berlin, America/New_York, UTC), the DST gap and overlap
 * rules, months, the config parsers (good and bad input), interval set
 * operations, calendars with holidays and weekly windows.
 *
 * Expected instants were worked out by hand from the zone rules (CET =
 * UTC+1, CEST = UTC+2 from the last Sunday of March 01:00 UTC to the last
 * Sunday of October 01:00 UTC; New York EST = UTC-5, EDT = UTC-4 from the
 * second Sunday of March to the first Sunday of November, 02:00 local)
 * and are written as epoch seconds with their UTC reading.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "caltime.h"

#define H 3600
#define DAY 86400

/* 2026-10-01T00:00:00Z, a Thursday. */
#define OCT1_UTC INT64_C(1790812800)

static void
zone(const char *name)
{
	const char *err = NULL;

	if (caltime_set_zone(name, &err) != 0)
		fail_msg("zone %s: %s", name, err);
}

/* ---- zones, months, gap and overlap ---- */

static void
caltime_month__october_2026_berlin__has_745_hours(void **state)
{
	int64_t s, e;

	(void)state;
	zone("Europe/Berlin");
	caltime_month(2026, 10, &s, &e);
	/* Oct 1 00:00 CEST = Sep 30 22:00Z = 1790805600; Nov 1 00:00 CET =
	   Oct 31 23:00Z = 1793487600; 31 x 24 h + 1 h (fall back) = 745 h. */
	assert_int_equal(s, 1790805600);
	assert_int_equal(e, 1793487600);
	assert_int_equal(e - s, 745 * H);
	assert_int_equal(e - s, 2682000);
}

static void
caltime_month__march_2026_berlin__has_743_hours(void **state)
{
	int64_t s, e;

	(void)state;
	zone("Europe/Berlin");
	caltime_month(2026, 3, &s, &e);
	/* Mar 1 00:00 CET = Feb 28 23:00Z = 1772319600; Apr 1 00:00 CEST =
	   Mar 31 22:00Z = 1774994400; 31 x 24 - 1 = 743 h. */
	assert_int_equal(s, 1772319600);
	assert_int_equal(e, 1774994400);
	assert_int_equal(e - s, 743 * H);
}

static void
caltime_month__utc_february_2028__has_29_days_and_december_wraps(void **state)
{
	int64_t s, e;

	(void)state;
	zone("UTC");
	caltime_month(2028, 2, &s, &e);
	assert_int_equal(e - s, 29 * DAY);
	caltime_month(2026, 12, &s, &e);
	/* Dec 1 2026 = Oct 1 + 61 days; Jan 1 2027 = Dec 1 + 31 days */
	assert_int_equal(s, OCT1_UTC + 61 * DAY);
	assert_int_equal(e, OCT1_UTC + 92 * DAY);
}

static void
caltime_local__berlin_spring_gap__maps_to_the_jump_instant(void **state)
{
	(void)state;
	zone("Europe/Berlin");
	/* 02:30 on 2026-03-29 does not exist; the clocks jump from 02:00 CET
	   to 03:00 CEST at 01:00Z = 1774746000. */
	assert_int_equal(caltime_local(2026, 3, 29, 2, 30), 1774746000);
	assert_int_equal(caltime_local(2026, 3, 29, 2, 0), 1774746000);
	assert_int_equal(caltime_local(2026, 3, 29, 2, 59), 1774746000);
	assert_int_equal(caltime_local(2026, 3, 29, 3, 0), 1774746000);
	/* 01:59 CET = 00:59Z, one minute earlier */
	assert_int_equal(caltime_local(2026, 3, 29, 1, 59), 1774746000 - 60);
}

static void
caltime_local__berlin_fall_overlap__takes_the_first_occurrence(void **state)
{
	(void)state;
	zone("Europe/Berlin");
	/* 02:30 on 2026-10-25 happens at 00:30Z (CEST) and at 01:30Z (CET);
	   the first is 1792888200. */
	assert_int_equal(caltime_local(2026, 10, 25, 2, 30), 1792888200);
	/* 02:00 CEST = 00:00Z; 03:00 CET = 02:00Z */
	assert_int_equal(caltime_local(2026, 10, 25, 2, 0), 1792888200 - 1800);
	assert_int_equal(caltime_local(2026, 10, 25, 3, 0), 1792888200 + 5400);
}

static void
caltime_local__new_york_gap_and_overlap__follow_the_rules(void **state)
{
	(void)state;
	zone("America/New_York");
	/* 2026-03-08 02:30 does not exist: jump to 03:00 EDT = 07:00Z */
	assert_int_equal(caltime_local(2026, 3, 8, 2, 30), 1772953200);
	/* 2026-11-01 01:30 happens twice: first EDT = 05:30Z */
	assert_int_equal(caltime_local(2026, 11, 1, 1, 30), 1793511000);
	/* 2026-11-01 00:00 EDT = 04:00Z; 2026-11-02 00:00 EST = 05:00Z: that
	   day has 25 hours */
	assert_int_equal(caltime_local(2026, 11, 2, 0, 0) - caltime_local(2026, 11, 1, 0, 0),
	                 25 * H);
}

static void
caltime_local__out_of_range_fields__are_normalised(void **state)
{
	(void)state;
	zone("Europe/Berlin");
	assert_int_equal(caltime_local(2026, 12, 32, 0, 0), caltime_local(2027, 1, 1, 0, 0));
	assert_int_equal(caltime_local(2026, 10, 1, 24, 0), caltime_local(2026, 10, 2, 0, 0));
	assert_int_equal(caltime_local(2026, 13, 1, 0, 0), caltime_local(2027, 1, 1, 0, 0));
	assert_int_equal(caltime_local(2026, 0, 1, 0, 0), caltime_local(2025, 12, 1, 0, 0));
	assert_int_equal(caltime_local(2026, 10, 1, 0, 1440), caltime_local(2026, 10, 2, 0, 0));
	/* Feb 29 2026 is Mar 1 */
	assert_int_equal(caltime_local(2026, 2, 29, 0, 0), caltime_local(2026, 3, 1, 0, 0));
}

static void
caltime_fields__berlin_instant__gives_local_fields(void **state)
{
	struct caltm tm;

	(void)state;
	zone("Europe/Berlin");
	/* 1792888200 = 2026-10-25T00:30Z = 02:30 CEST, a Sunday */
	caltime_fields(1792888200, &tm);
	assert_int_equal(tm.year, 2026);
	assert_int_equal(tm.month, 10);
	assert_int_equal(tm.day, 25);
	assert_int_equal(tm.wday, 0);
	assert_int_equal(tm.hour, 2);
	assert_int_equal(tm.min, 30);
	assert_int_equal(tm.sec, 0);
	/* one hour and 15 s later: 02:30:15 again, now CET */
	caltime_fields(1792888200 + H + 15, &tm);
	assert_int_equal(tm.hour, 2);
	assert_int_equal(tm.min, 30);
	assert_int_equal(tm.sec, 15);
	zone("UTC");
	caltime_fields(OCT1_UTC, &tm);
	assert_int_equal(tm.wday, 4);
	assert_int_equal(tm.hour, 0);
}

static void
caltime_set_zone__bad_names__refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "Nowhere/Atlantis",
	    "../../etc/passwd",
	    "/usr/share/zoneinfo/UTC",
	    "Europe/../Europe/Berlin",
	    "Europe/Berlin ",
	    "Europe/Ber;lin",
	    "Europe",
	    "leapseconds", /* in the zone directory, but not a zone file */
	    "zone.tab",
	};
	const char *err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		if (caltime_set_zone(bad[i], &err) == 0)
			fail_msg("zone '%s' accepted", bad[i]);
		assert_non_null(err);
	}
	err = NULL;
	assert_int_equal(caltime_set_zone(NULL, &err), -1);
	assert_int_equal(caltime_set_zone("UTC", &err), 0);
	assert_int_equal(caltime_set_zone("Europe/Berlin", &err), 0);
}

/* ---- parsers ---- */

static void
caltime_parse__good_input__gives_values(void **state)
{
	int64_t t;
	int y, mo, d, m;

	(void)state;
	zone("UTC");
	assert_int_equal(caltime_parse_datetime("2026-10-01 00:00", &t), 0);
	assert_int_equal(t, OCT1_UTC);
	assert_int_equal(caltime_parse_datetime("2026-10-01T01:02:03", &t), 0);
	assert_int_equal(t, OCT1_UTC + H + 2 * 60 + 3);
	zone("Europe/Berlin");
	/* 22:00 CEST = 20:00Z on Oct 10 = Oct 1 00:00Z + 9 d 20 h */
	assert_int_equal(caltime_parse_datetime("2026-10-10 22:00", &t), 0);
	assert_int_equal(t, OCT1_UTC + 9 * DAY + 20 * H);
	/* a time in the spring gap maps to the jump instant */
	assert_int_equal(caltime_parse_datetime("2026-03-29 02:30:10", &t), 0);
	assert_int_equal(t, 1774746000);

	assert_int_equal(caltime_parse_date("2026-12-25", &y, &mo, &d), 0);
	assert_int_equal(y, 2026);
	assert_int_equal(mo, 12);
	assert_int_equal(d, 25);
	assert_int_equal(caltime_parse_date("2028-02-29", &y, &mo, &d), 0);

	assert_int_equal(caltime_parse_hhmm("08:00", &m), 0);
	assert_int_equal(m, 480);
	assert_int_equal(caltime_parse_hhmm("8:30", &m), 0);
	assert_int_equal(m, 510);
	assert_int_equal(caltime_parse_hhmm("24:00", &m), 0);
	assert_int_equal(m, 1440);
	assert_int_equal(caltime_parse_hhmm("00:00", &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(caltime_parse_hhmm("23:59", &m), 0);
	assert_int_equal(m, 1439);

	assert_int_equal(caltime_parse_month("2026-10", &y, &mo), 0);
	assert_int_equal(y, 2026);
	assert_int_equal(mo, 10);

	assert_int_equal(caltime_parse_weekday("sun"), 0);
	assert_int_equal(caltime_parse_weekday("Mon"), 1);
	assert_int_equal(caltime_parse_weekday("WEDNESDAY"), 3);
	assert_int_equal(caltime_parse_weekday("sat"), 6);
	assert_int_equal(caltime_parse_weekday("saturday"), 6);
}

static void
caltime_parse__bad_input__returns_minus_one_and_leaves_output(void **state)
{
	static const char *const bad_dt[] = {
	    "",
	    "2026-10-01",
	    "2026-10-01 24:00",
	    "2026-10-01 12:60",
	    "2026-10-01 12:00:60",
	    "2026-13-01 00:00",
	    "2026-02-29 00:00",
	    "2026-10-01  00:00",
	    "2026-10-01 0:00",
	    "2026-10-01 00:00 ",
	    "2026-10-01X00:00",
	    "26-10-01 00:00",
	    "2026-10-01 00:00:5",
	    "-2026-10-01 00:00",
	    "2026-10-01 00:00Z",
	};
	static const char *const bad_date[] = {
	    "",           "2026-1-01",   "2026-00-10", "2026-12-32", "2026-02-29", "2026-04-31",
	    "2026/12/25", "2026-12-25 ", "1969-12-31", "abcd-ef-gh", "2026-12",
	};
	static const char *const bad_hhmm[] = {
	    "",       "24:01", "25:00",    "12:60", "12",  "12:5",
	    "123:00", "-1:00", "12:00:00", " 8:00", "8:0", "aa:bb",
	};
	static const char *const bad_month[] = {
	    "", "2026-13", "2026-00", "2026-1", "2026-10-01", "2026", "202610", "1969-12",
	};
	static const char *const bad_wday[] = {"", "mo", "monday ", "mond", "xyz", "7"};
	int64_t t = 42;
	int y = 7, mo = 7, d = 7, m = 7;

	(void)state;
	zone("UTC");
	for (size_t i = 0; i < sizeof(bad_dt) / sizeof(bad_dt[0]); i++)
		if (caltime_parse_datetime(bad_dt[i], &t) != -1)
			fail_msg("datetime '%s' accepted", bad_dt[i]);
	for (size_t i = 0; i < sizeof(bad_date) / sizeof(bad_date[0]); i++)
		if (caltime_parse_date(bad_date[i], &y, &mo, &d) != -1)
			fail_msg("date '%s' accepted", bad_date[i]);
	for (size_t i = 0; i < sizeof(bad_hhmm) / sizeof(bad_hhmm[0]); i++)
		if (caltime_parse_hhmm(bad_hhmm[i], &m) != -1)
			fail_msg("hhmm '%s' accepted", bad_hhmm[i]);
	for (size_t i = 0; i < sizeof(bad_month) / sizeof(bad_month[0]); i++)
		if (caltime_parse_month(bad_month[i], &y, &mo) != -1)
			fail_msg("month '%s' accepted", bad_month[i]);
	for (size_t i = 0; i < sizeof(bad_wday) / sizeof(bad_wday[0]); i++)
		if (caltime_parse_weekday(bad_wday[i]) != -1)
			fail_msg("weekday '%s' accepted", bad_wday[i]);
	assert_int_equal(caltime_parse_datetime(NULL, &t), -1);
	assert_int_equal(caltime_parse_weekday(NULL), -1);
	assert_int_equal(t, 42);
	assert_int_equal(y, 7);
	assert_int_equal(mo, 7);
	assert_int_equal(d, 7);
	assert_int_equal(m, 7);
}

/* ---- interval sets ---- */

static void
set_is(const struct ivset *s, const int64_t *want, size_t nwant)
{
	if (s->n != nwant / 2) {
		for (size_t i = 0; i < s->n; i++)
			print_message("  [%lld, %lld)\n", (long long)s->v[i].start,
			              (long long)s->v[i].end);
		fail_msg("%zu intervals, want %zu", s->n, nwant / 2);
	}
	for (size_t i = 0; i < s->n; i++) {
		assert_int_equal(s->v[i].start, want[2 * i]);
		assert_int_equal(s->v[i].end, want[2 * i + 1]);
	}
}

static void
ivset_normalize__overlapping_unsorted_touching__merged(void **state)
{
	struct ivset s = {0};
	static const int64_t want[] = {0, 30, 40, 50, 60, 70};

	(void)state;
	ivset_add(&s, 40, 50);
	ivset_add(&s, 10, 20);
	ivset_add(&s, 0, 15);
	ivset_add(&s, 20, 30); /* touches [0, 20) */
	ivset_add(&s, 60, 70);
	ivset_add(&s, 65, 66); /* inside */
	ivset_add(&s, 5, 5);   /* empty: ignored */
	ivset_add(&s, 9, 3);   /* reversed: ignored */
	ivset_normalize(&s);
	set_is(&s, want, 6);
	assert_int_equal(ivset_measure(&s), 30 + 10 + 10);
	ivset_clear(&s);
	assert_int_equal(s.n, 0);
	ivset_free(&s);
}

static void
ivset_ops__hand_cases__exact(void **state)
{
	struct ivset a = {0}, b = {0}, o = {0};
	/* a = [0,10) [20,30) [40,50); b = [5,25) [28,29) [45,60) */
	static const int64_t inter[] = {5, 10, 20, 25, 28, 29, 45, 50};
	static const int64_t sub[] = {0, 5, 25, 28, 29, 30, 40, 45};
	static const int64_t uni[] = {0, 30, 40, 60};
	static const int64_t bsuba[] = {10, 20, 50, 60};

	(void)state;
	ivset_add(&a, 0, 10);
	ivset_add(&a, 20, 30);
	ivset_add(&a, 40, 50);
	ivset_add(&b, 5, 25);
	ivset_add(&b, 28, 29);
	ivset_add(&b, 45, 60);
	ivset_intersect(&a, &b, &o);
	set_is(&o, inter, 8);
	ivset_subtract(&a, &b, &o);
	set_is(&o, sub, 8);
	ivset_union(&a, &b, &o);
	set_is(&o, uni, 4);
	ivset_subtract(&b, &a, &o);
	set_is(&o, bsuba, 4);
	/* overlap with a window: [8, 42) meets [8,10) [20,30) [40,42) = 2+10+2 */
	assert_int_equal(ivset_overlap(&a, 8, 42), 14);
	assert_int_equal(ivset_overlap(&a, 10, 20), 0);
	assert_int_equal(ivset_overlap(&a, -100, 100), 30);
	assert_int_equal(ivset_overlap(&a, 50, 40), 0);
	/* with an empty set */
	ivset_clear(&b);
	ivset_intersect(&a, &b, &o);
	assert_int_equal(o.n, 0);
	ivset_subtract(&a, &b, &o);
	assert_int_equal(ivset_measure(&o), 30);
	ivset_union(&b, &a, &o);
	assert_int_equal(ivset_measure(&o), 30);
	ivset_free(&a);
	ivset_free(&b);
	ivset_free(&o);
}

static void
ivset_ops__large_sets__linear_and_exact(void **state)
{
	struct ivset a = {0}, b = {0}, o = {0};
	const int64_t n = 600000; /* a year of one-minute steps, and more */

	(void)state;
	/* a: [60k, 60k+30); b: [60k+20, 60k+50): a∩b has 10 s per minute,
	   a\b 20 s, a∪b 50 s */
	for (int64_t k = 0; k < n; k++) {
		ivset_add(&a, 60 * k, 60 * k + 30);
		ivset_add(&b, 60 * k + 20, 60 * k + 50);
	}
	ivset_normalize(&a);
	ivset_intersect(&a, &b, &o);
	assert_int_equal(ivset_measure(&o), 10 * n);
	ivset_subtract(&a, &b, &o);
	assert_int_equal(ivset_measure(&o), 20 * n);
	ivset_union(&a, &b, &o);
	assert_int_equal(ivset_measure(&o), 50 * n);
	assert_int_equal(o.n, (size_t)n);
	ivset_free(&a);
	ivset_free(&b);
	ivset_free(&o);
}

/* ---- calendars ---- */

#define WEEKDAYS 0x3eu /* mon..fri: bits 1..5 */

static void
calendar_hours__business_december_2026_with_holiday__exact(void **state)
{
	struct calday hol[] = {{2026, 12, 25}};
	struct calendar cal = {WEEKDAYS, 8 * 60, 18 * 60, hol, 1};
	struct ivset out = {0};
	int64_t s, e;

	(void)state;
	zone("Europe/Berlin");
	caltime_month(2026, 12, &s, &e);
	calendar_hours(&cal, s, e, &out);
	/* Dec 1 2026 is a Tuesday; 31 days = 4 weeks (20 weekdays) + Tue 29,
	   Wed 30, Thu 31 = 23 weekdays; minus Fri Dec 25 = 22 days x 10 h =
	   220 h = 792,000 s (no DST change in December). */
	assert_int_equal(out.n, 22);
	assert_int_equal(ivset_measure(&out), 792000);
	/* first range: Tue Dec 1 08:00 CET = 07:00Z; Dec 1 00:00Z is Oct 1
	   00:00Z + 61 days */
	assert_int_equal(out.v[0].start, OCT1_UTC + 61 * DAY + 7 * H);
	assert_int_equal(out.v[0].end, OCT1_UTC + 61 * DAY + 17 * H);
	ivset_free(&out);
}

static void
calendar_hours__24x7__is_the_whole_range(void **state)
{
	struct calendar cal = {0x7f, 0, 1440, NULL, 0};
	struct ivset out = {0};
	int64_t s, e;

	(void)state;
	zone("Europe/Berlin");
	caltime_month(2026, 10, &s, &e);
	calendar_hours(&cal, s, e, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].start, s);
	assert_int_equal(out.v[0].end, e);
	/* an empty or reversed range adds nothing */
	calendar_hours(&cal, e, s, &out);
	calendar_hours(&cal, s, s, &out);
	assert_int_equal(out.n, 1);
	ivset_free(&out);
}

static void
calendar_hours__business_hours_across_dst__count_wall_clock_hours(void **state)
{
	struct calendar cal = {WEEKDAYS, 8 * 60, 18 * 60, NULL, 0};
	struct ivset out = {0};
	int64_t s, e;

	(void)state;
	zone("Europe/Berlin");
	/* October 2026 starts on a Thursday: 31 days = 4 weeks (20 weekdays)
	   + Thu 29, Fri 30, Sat 31 = 22 weekdays x 10 h = 220 h; the DST
	   change falls on Sunday 25th and does not shorten any range. */
	caltime_month(2026, 10, &s, &e);
	calendar_hours(&cal, s, e, &out);
	assert_int_equal(ivset_measure(&out), 220 * H);
	ivset_free(&out);
}

static void
calendar_hours__to_before_from__runs_over_midnight(void **state)
{
	/* Mon..Fri 22:00-06:00 in UTC */
	struct calendar cal = {WEEKDAYS, 22 * 60, 6 * 60, NULL, 0};
	struct ivset out = {0};
	/* Mon 2026-10-05 00:00Z = Oct 1 (Thu) + 4 days */
	int64_t mon = OCT1_UTC + 4 * DAY;
	static const int64_t tue[] = {0, 6 * H, 22 * H, 24 * H};

	(void)state;
	zone("UTC");
	/* a full week from Monday: Mon..Fri each 22:00-06:00 next day = 5 x 8 h;
	   Sunday's range is not in the mask */
	calendar_hours(&cal, mon, mon + 7 * DAY, &out);
	assert_int_equal(ivset_measure(&out), 40 * H);
	assert_int_equal(out.n, 5);
	assert_int_equal(out.v[4].start, mon + 4 * DAY + 22 * H);
	assert_int_equal(out.v[4].end, mon + 5 * DAY + 6 * H);
	/* Tuesday alone: the tail of Monday's range (00:00-06:00) and the start
	   of Tuesday's (22:00-24:00) */
	ivset_clear(&out);
	calendar_hours(&cal, mon + DAY, mon + 2 * DAY, &out);
	{
		int64_t want[4];

		for (int i = 0; i < 4; i++)
			want[i] = mon + DAY + tue[i];
		set_is(&out, want, 4);
	}
	/* from == to is a whole 24 h range starting at from */
	{
		struct calendar full = {1u << 1, 12 * 60, 12 * 60, NULL, 0};

		ivset_clear(&out);
		calendar_hours(&full, mon, mon + 7 * DAY, &out);
		assert_int_equal(out.n, 1);
		assert_int_equal(out.v[0].start, mon + 12 * H);
		assert_int_equal(out.v[0].end, mon + DAY + 12 * H);
	}
	ivset_free(&out);
}

static void
calendar_hours__holiday_in_overnight_range__removes_its_date(void **state)
{
	/* Mon..Fri 22:00-06:00 in UTC; Tuesday Oct 6 is a holiday */
	struct calday hol[] = {{2026, 10, 6}};
	struct calendar cal = {WEEKDAYS, 22 * 60, 6 * 60, hol, 1};
	struct ivset out = {0};
	int64_t mon = OCT1_UTC + 4 * DAY;

	(void)state;
	zone("UTC");
	calendar_hours(&cal, mon, mon + 7 * DAY, &out);
	/* Mon's range keeps only 22:00-24:00 (the holiday date removes Tue
	   00:00-06:00) = 2 h; Tue's range belongs to the holiday = 0 h;
	   Wed, Thu, Fri 8 h each = 24 h; total 26 h */
	assert_int_equal(ivset_measure(&out), 26 * H);
	assert_int_equal(out.v[0].start, mon + 22 * H);
	assert_int_equal(out.v[0].end, mon + DAY);
	assert_int_equal(out.v[1].start, mon + 2 * DAY + 22 * H);
	ivset_free(&out);
}

static void
calendar_weekly__sunday_window_on_dst_days__wall_clock(void **state)
{
	struct ivset out = {0};
	int64_t s, e;

	(void)state;
	zone("Europe/Berlin");
	/* Sundays 02:00-03:00.  March 2026: Sundays 1, 8, 15, 22 give 1 h each;
	   on the 29th 02:00 is in the gap (-> 03:00 CEST = 01:00Z) and 03:00
	   CEST is 01:00Z too: empty.  Total 4 h. */
	caltime_month(2026, 3, &s, &e);
	calendar_weekly(1u << 0, 2 * 60, 3 * 60, s, e, &out);
	assert_int_equal(out.n, 4);
	assert_int_equal(ivset_measure(&out), 4 * H);
	/* October 2026: Sundays 4, 11, 18 give 1 h each; on the 25th 02:00 is
	   the first occurrence (CEST, 00:00Z) and 03:00 CET is 02:00Z: 2 h.
	   Total 5 h = 18,000 s. */
	ivset_clear(&out);
	caltime_month(2026, 10, &s, &e);
	calendar_weekly(1u << 0, 2 * 60, 3 * 60, s, e, &out);
	assert_int_equal(out.n, 4);
	assert_int_equal(ivset_measure(&out), 18000);
	assert_int_equal(out.v[3].start, 1792888200 - 1800); /* 2026-10-25T00:00Z */
	assert_int_equal(out.v[3].end, 1792888200 + 5400);   /* 2026-10-25T02:00Z */
	/* 02:00-04:00 on 2026-03-29: 03:00 CEST (01:00Z) to 04:00 CEST (02:00Z) */
	ivset_clear(&out);
	calendar_weekly(1u << 0, 2 * 60, 4 * 60, 1774746000 - 12 * H, 1774746000 + 12 * H, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].start, 1774746000);
	assert_int_equal(out.v[0].end, 1774746000 + H);
	ivset_free(&out);
}

static void
calendar_weekly__range_inside_one_occurrence__clipped(void **state)
{
	struct ivset out = {0};
	int64_t mon = OCT1_UTC + 4 * DAY;

	(void)state;
	zone("UTC");
	/* Mondays 08:00-18:00, asked for Mon 10:00-12:00: clipped to 2 h */
	calendar_weekly(1u << 1, 8 * 60, 18 * 60, mon + 10 * H, mon + 12 * H, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].start, mon + 10 * H);
	assert_int_equal(out.v[0].end, mon + 12 * H);
	ivset_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(caltime_month__october_2026_berlin__has_745_hours),
	    cmocka_unit_test(caltime_month__march_2026_berlin__has_743_hours),
	    cmocka_unit_test(caltime_month__utc_february_2028__has_29_days_and_december_wraps),
	    cmocka_unit_test(caltime_local__berlin_spring_gap__maps_to_the_jump_instant),
	    cmocka_unit_test(caltime_local__berlin_fall_overlap__takes_the_first_occurrence),
	    cmocka_unit_test(caltime_local__new_york_gap_and_overlap__follow_the_rules),
	    cmocka_unit_test(caltime_local__out_of_range_fields__are_normalised),
	    cmocka_unit_test(caltime_fields__berlin_instant__gives_local_fields),
	    cmocka_unit_test(caltime_set_zone__bad_names__refused),
	    cmocka_unit_test(caltime_parse__good_input__gives_values),
	    cmocka_unit_test(caltime_parse__bad_input__returns_minus_one_and_leaves_output),
	    cmocka_unit_test(ivset_normalize__overlapping_unsorted_touching__merged),
	    cmocka_unit_test(ivset_ops__hand_cases__exact),
	    cmocka_unit_test(ivset_ops__large_sets__linear_and_exact),
	    cmocka_unit_test(calendar_hours__business_december_2026_with_holiday__exact),
	    cmocka_unit_test(calendar_hours__24x7__is_the_whole_range),
	    cmocka_unit_test(calendar_hours__business_hours_across_dst__count_wall_clock_hours),
	    cmocka_unit_test(calendar_hours__to_before_from__runs_over_midnight),
	    cmocka_unit_test(calendar_hours__holiday_in_overnight_range__removes_its_date),
	    cmocka_unit_test(calendar_weekly__sunday_window_on_dst_days__wall_clock),
	    cmocka_unit_test(calendar_weekly__range_inside_one_occurrence__clipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
