/*
 * caltime.c - wall-clock time in the process time zone, interval sets,
 * calendars and weekly windows (contracts in caltime.h, design in
 * docs/internals/sla.md).
 *
 * Wall-clock arithmetic is done on "wall seconds": the local date and
 * time written as if it were UTC (days since 1970-01-01 x 86400 + time of
 * day).  An instant t shows wall time t + gmtoff(t); converting a wall
 * time back looks for the instants whose offset makes that true, which
 * gives exact control over the daylight-saving gap and overlap rules
 * instead of relying on what mktime picks for tm_isdst.  Offsets come
 * from localtime_r and therefore from the system tzdata.
 *
 * Not done here: reading configuration (collector/ccfg), clipping to a
 * report period (the caller passes the range), or any I/O beyond the
 * zone file check in caltime_set_zone.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "caltime.h"
#include "xmalloc.h"

#define DAY_S 86400
/* Transitions closer together than this around one wall time are not
   looked for; real zones keep them months apart. */
#define NEAR_S DAY_S

/* ---- time zone ---- */

/* 1 if path starts with the TZif magic of compiled zone files. */
static int
tzif_file(const char *path)
{
	char magic[4];
	FILE *fp = fopen(path, "rb");
	int ok;

	if (fp == NULL)
		return 0;
	ok = fread(magic, 1, 4, fp) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(fp);
	return ok;
}

int
caltime_zone_file(const char *name)
{
	/* glibc reads TZDIR when set, else its built-in directory */
	const char *dir = getenv("TZDIR");
	char *path;
	int ok;

	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	path = xasprintf("%s/%s", dir, name);
	ok = tzif_file(path);
	free(path);
	return ok;
}

int
caltime_set_zone(const char *name, const char **error_r)
{
	size_t len;

	if (name == NULL || *name == '\0') {
		*error_r = "empty time zone name";
		return -1;
	}
	len = strlen(name);
	if (len > 255) {
		*error_r = "time zone name too long";
		return -1;
	}
	if (strcmp(name, "UTC") != 0) {
		/* Only what IANA names are made of; no way out of the zone
		   directory. */
		for (const char *p = name; *p != '\0'; p++)
			if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL) {
				*error_r = "bad character in time zone name";
				return -1;
			}
		if (name[0] == '/' || strstr(name, "..") != NULL) {
			*error_r = "time zone name must be relative to the zone directory";
			return -1;
		}
		/* The zone directory also holds files that are not zones
		   (leapseconds, tzdata.zi, zone.tab), which glibc would
		   silently read as UTC: only a TZif file is a zone. */
		if (!caltime_zone_file(name)) {
			*error_r = "unknown time zone (no zone file)";
			return -1;
		}
	}
	if (setenv("TZ", name, 1) != 0) {
		*error_r = "setenv TZ failed";
		return -1;
	}
	tzset();
	return 0;
}

/* ---- civil calendar (proleptic Gregorian, no time zone) ---- */

/* Days since 1970-01-01 of y-m-d, m 1..12 (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y_r, int *m_r, int *d_r)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = (int)(y + (*m_r <= 2));
}

static int
days_in_month(int y, int m)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Wall seconds of y-mo-d h:mi with every field normalised. */
static int64_t
wall_of(int y, int mo, int d, int h, int mi)
{
	int64_t m0 = (int64_t)mo - 1;
	int64_t yy = (int64_t)y + floor_div(m0, 12);
	int mm = (int)(m0 - floor_div(m0, 12) * 12) + 1;

	return (days_from_civil(yy, mm, 1) + (int64_t)d - 1) * DAY_S + (int64_t)h * 3600 +
	       (int64_t)mi * 60;
}

/* ---- instants <-> wall seconds ---- */

static long
gmtoff(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

/* The instant of wall time w under the rules in caltime.h. */
static int64_t
instant_of_wall(int64_t w)
{
	long before = gmtoff(w - NEAR_S), after = gmtoff(w + NEAR_S);
	int64_t t1, t2, lo, hi;
	int ok1, ok2;

	if (before == after && gmtoff(w - before) == before)
		return w - before; /* no transition near: the common case */

	/* Candidates: the wall time read with the offset before and after the
	   transition; each is valid when that instant really has it. */
	t1 = w - before;
	t2 = w - after;
	ok1 = gmtoff(t1) == before;
	ok2 = gmtoff(t2) == after;
	if (ok1 && ok2)
		return t1 < t2 ? t1 : t2; /* overlap: the first occurrence */
	if (ok1)
		return t1;
	if (ok2)
		return t2;
	/* Gap: w falls between the last wall time before the jump and the
	   first after it; the answer is the jump instant, the first instant
	   whose offset is the new one.  It lies between t2 (still old
	   offset, as after > before) and t1. */
	lo = t1 < t2 ? t1 : t2;
	hi = t1 < t2 ? t2 : t1;
	if (gmtoff(lo) == after) /* should not happen; stay monotonic anyway */
		return lo;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (gmtoff(mid) == after)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

int64_t
caltime_local(int y, int mo, int d, int h, int mi)
{
	return instant_of_wall(wall_of(y, mo, d, h, mi));
}

void
caltime_fields(int64_t t, struct caltm *tm_r)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL) {
		memset(tm_r, 0, sizeof(*tm_r));
		return;
	}
	tm_r->year = tm.tm_year + 1900;
	tm_r->month = tm.tm_mon + 1;
	tm_r->day = tm.tm_mday;
	tm_r->wday = tm.tm_wday;
	tm_r->hour = tm.tm_hour;
	tm_r->min = tm.tm_min;
	tm_r->sec = tm.tm_sec;
}

void
caltime_month(int y, int mo, int64_t *start_r, int64_t *end_r)
{
	*start_r = caltime_local(y, mo, 1, 0, 0);
	*end_r = caltime_local(y, mo + 1, 1, 0, 0);
}

/* ---- parsers ---- */

/* Exactly n decimal digits at *sp; advance. */
static int
digits(const char **sp, int n, int *v_r)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*sp)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*sp += n;
	*v_r = v;
	return 0;
}

/* "YYYY-MM-DD" at *sp, validated; advance. */
static int
date_at(const char **sp, int *y_r, int *mo_r, int *d_r)
{
	const char *s = *sp;
	int y, mo, d;

	if (digits(&s, 4, &y) < 0 || *s++ != '-' || digits(&s, 2, &mo) < 0 || *s++ != '-' ||
	    digits(&s, 2, &d) < 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	*sp = s;
	*y_r = y;
	*mo_r = mo;
	*d_r = d;
	return 0;
}

int
caltime_parse_date(const char *s, int *y_r, int *mo_r, int *d_r)
{
	int y, mo, d;

	if (s == NULL || date_at(&s, &y, &mo, &d) < 0 || *s != '\0')
		return -1;
	*y_r = y;
	*mo_r = mo;
	*d_r = d;
	return 0;
}

int
caltime_parse_datetime(const char *s, int64_t *t_r)
{
	int y, mo, d, h, mi, sec = 0;

	if (s == NULL || date_at(&s, &y, &mo, &d) < 0 || (*s != ' ' && *s != 'T'))
		return -1;
	s++;
	if (digits(&s, 2, &h) < 0 || *s++ != ':' || digits(&s, 2, &mi) < 0)
		return -1;
	if (*s == ':') {
		s++;
		if (digits(&s, 2, &sec) < 0)
			return -1;
	}
	if (*s != '\0' || h > 23 || mi > 59 || sec > 59)
		return -1;
	/* Seconds belong to the wall time, so that a time in a gap still maps
	   to the jump instant. */
	*t_r = instant_of_wall(wall_of(y, mo, d, h, mi) + sec);
	return 0;
}

int
caltime_parse_hhmm(const char *s, int *min_r)
{
	int h, m;

	if (s == NULL)
		return -1;
	/* "8:00" or "08:00" */
	if (s[0] >= '0' && s[0] <= '9' && s[1] == ':') {
		h = s[0] - '0';
		s += 1;
	} else if (digits(&s, 2, &h) < 0) {
		return -1;
	}
	if (*s++ != ':' || digits(&s, 2, &m) < 0 || *s != '\0')
		return -1;
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*min_r = h * 60 + m;
	return 0;
}

int
caltime_parse_month(const char *s, int *y_r, int *mo_r)
{
	int y, mo;

	if (s == NULL || digits(&s, 4, &y) < 0 || *s++ != '-' || digits(&s, 2, &mo) < 0 ||
	    *s != '\0')
		return -1;
	if (y < 1970 || mo < 1 || mo > 12)
		return -1;
	*y_r = y;
	*mo_r = mo;
	return 0;
}

int
caltime_parse_weekday(const char *s)
{
	static const char *const names[7] = {"sunday",   "monday", "tuesday", "wednesday",
	                                     "thursday", "friday", "saturday"};

	if (s == NULL)
		return -1;
	for (int i = 0; i < 7; i++)
		if (strcasecmp(s, names[i]) == 0 ||
		    (strlen(s) == 3 && strncasecmp(s, names[i], 3) == 0))
			return i;
	return -1;
}

/* ---- interval sets ---- */

void
ivset_free(struct ivset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

void
ivset_clear(struct ivset *s)
{
	s->n = 0;
}

void
ivset_add(struct ivset *s, int64_t start, int64_t end)
{
	if (end <= start)
		return;
	if (s->n == s->cap)
		s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n].start = start;
	s->v[s->n].end = end;
	s->n++;
}

static int
iv_cmp(const void *a, const void *b)
{
	const struct iv *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

void
ivset_normalize(struct ivset *s)
{
	size_t i, o;

	/* Sets built in order (the common case) skip the sort. */
	for (i = 1; i < s->n; i++)
		if (s->v[i].start < s->v[i - 1].start)
			break;
	if (i < s->n)
		qsort(s->v, s->n, sizeof(*s->v), iv_cmp);
	for (i = 0, o = 0; i < s->n; i++) {
		if (s->v[i].end <= s->v[i].start)
			continue;
		if (o > 0 && s->v[i].start <= s->v[o - 1].end) {
			if (s->v[i].end > s->v[o - 1].end)
				s->v[o - 1].end = s->v[i].end;
		} else {
			s->v[o++] = s->v[i];
		}
	}
	s->n = o;
}

/* Append to a set being built in order, merging with a touching last
   interval so that the result stays normalised. */
static void
ivset_push(struct ivset *s, int64_t start, int64_t end)
{
	if (end <= start)
		return;
	if (s->n > 0 && start <= s->v[s->n - 1].end) {
		if (end > s->v[s->n - 1].end)
			s->v[s->n - 1].end = end;
		return;
	}
	ivset_add(s, start, end);
}

void
ivset_intersect(const struct ivset *a, const struct ivset *b, struct ivset *out)
{
	size_t i = 0, j = 0;

	ivset_clear(out);
	while (i < a->n && j < b->n) {
		int64_t s = a->v[i].start > b->v[j].start ? a->v[i].start : b->v[j].start;
		int64_t e = a->v[i].end < b->v[j].end ? a->v[i].end : b->v[j].end;

		ivset_push(out, s, e);
		if (a->v[i].end < b->v[j].end)
			i++;
		else
			j++;
	}
}

void
ivset_subtract(const struct ivset *a, const struct ivset *b, struct ivset *out)
{
	size_t j = 0;

	ivset_clear(out);
	for (size_t i = 0; i < a->n; i++) {
		int64_t s = a->v[i].start, e = a->v[i].end;

		while (j < b->n && b->v[j].end <= s)
			j++;
		/* b intervals from j on end after s; cut them out of [s, e). */
		for (size_t k = j; k < b->n && b->v[k].start < e; k++) {
			ivset_push(out, s, b->v[k].start);
			if (b->v[k].end > s)
				s = b->v[k].end;
			if (s >= e)
				break;
		}
		ivset_push(out, s, e);
	}
}

void
ivset_union(const struct ivset *a, const struct ivset *b, struct ivset *out)
{
	size_t i = 0, j = 0;

	ivset_clear(out);
	while (i < a->n || j < b->n) {
		if (j >= b->n || (i < a->n && a->v[i].start <= b->v[j].start)) {
			ivset_push(out, a->v[i].start, a->v[i].end);
			i++;
		} else {
			ivset_push(out, b->v[j].start, b->v[j].end);
			j++;
		}
	}
}

int64_t
ivset_measure(const struct ivset *s)
{
	int64_t sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i].end - s->v[i].start;
	return sum;
}

int64_t
ivset_overlap(const struct ivset *s, int64_t start, int64_t end)
{
	size_t lo = 0, hi = s->n;
	int64_t sum = 0;

	if (end <= start)
		return 0;
	/* First interval ending after start. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].end <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->n && s->v[i].start < end; i++) {
		int64_t a = s->v[i].start > start ? s->v[i].start : start;
		int64_t b = s->v[i].end < end ? s->v[i].end : end;

		if (b > a)
			sum += b - a;
	}
	return sum;
}

/* ---- calendars and weekly windows ---- */

/* Days since 1970-01-01 of the local date of instant t. */
static int64_t
local_day(int64_t t)
{
	return floor_div(t + gmtoff(t), DAY_S);
}

/* Daily ranges from_min..to_min on the local dates whose weekday is in
   mask, for every date whose range can meet [from, to); holidays (if
   any) are skipped as start days.  Appended to out in order. */
static void
daily_ranges(unsigned mask, int from_min, int to_min, const struct calday *hol, size_t nhol,
             int64_t from, int64_t to, struct ivset *out)
{
	/* Start a day early: the previous day's range may run over midnight
	   into from. */
	int64_t day = local_day(from) - 1, last = local_day(to - 1);

	for (; day <= last; day++) {
		int wday = (int)(((day % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
		int y, mo, d, skip = 0;
		int64_t s, e;

		if ((mask & (1u << wday)) == 0)
			continue;
		civil_from_days(day, &y, &mo, &d);
		for (size_t i = 0; i < nhol; i++)
			if (hol[i].y == y && hol[i].mo == mo && hol[i].d == d) {
				skip = 1;
				break;
			}
		if (skip)
			continue;
		s = caltime_local(y, mo, d, 0, from_min);
		e = to_min > from_min ? caltime_local(y, mo, d, 0, to_min)
		                      : caltime_local(y, mo, d + 1, 0, to_min);
		if (s < from)
			s = from;
		if (e > to)
			e = to;
		ivset_push(out, s, e);
	}
}

void
calendar_hours(const struct calendar *cal, int64_t from, int64_t to, struct ivset *out)
{
	struct ivset ranges = {0}, hol = {0}, cut = {0};

	if (to <= from)
		return;
	daily_ranges(cal->days_mask, cal->from_min, cal->to_min, cal->holidays, cal->nholidays,
	             from, to, &ranges);
	/* A holiday removes its whole date, including the tail of the previous
	   day's range that runs over midnight into it. */
	for (size_t i = 0; i < cal->nholidays; i++) {
		const struct calday *h = &cal->holidays[i];

		ivset_add(&hol, caltime_local(h->y, h->mo, h->d, 0, 0),
		          caltime_local(h->y, h->mo, h->d + 1, 0, 0));
	}
	ivset_normalize(&hol);
	ivset_subtract(&ranges, &hol, &cut);
	for (size_t i = 0; i < cut.n; i++)
		ivset_add(out, cut.v[i].start, cut.v[i].end);
	ivset_normalize(out);
	ivset_free(&ranges);
	ivset_free(&hol);
	ivset_free(&cut);
}

void
calendar_weekly(unsigned days_mask, int from_min, int to_min, int64_t from, int64_t to,
                struct ivset *out)
{
	struct ivset ranges = {0};

	if (to <= from)
		return;
	daily_ranges(days_mask, from_min, to_min, NULL, 0, from, to, &ranges);
	for (size_t i = 0; i < ranges.n; i++)
		ivset_add(out, ranges.v[i].start, ranges.v[i].end);
	ivset_normalize(out);
	ivset_free(&ranges);
}
