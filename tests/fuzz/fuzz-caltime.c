/*
 * fuzz-caltime.c - fuzz target: the wall-clock parsers of lib/caltime.h
 * that read collector.yaml values (maintenance start/end, calendar
 * from/to and holidays, weekdays, report months), in the zone
 * Europe/Berlin, where the daylight-saving gap and overlap happen.
 *
 * The input, as a C string, goes to every parser: caltime_parse_hhmm,
 * _date, _datetime, _month and _weekday, and (when it looks like a zone
 * name) caltime_set_zone.  Each result is checked against an
 * independent computation:
 *   hhmm      0..1440, printed back it is the input ("8:00" or "08:00");
 *   date      a real calendar date from 1970 on, printed back it is the
 *             input; its local midnight has those fields and the weekday
 *             Sakamoto's formula gives;
 *   datetime  the date and time parts parse alone; the instant shows the
 *             wall time written, except in a spring-forward gap, where it
 *             is the jump instant (the second before shows a wall time
 *             before the one written, the instant a later one); a wall time
 *             that exists twice gives its first occurrence; checked again
 *             in Australia/Lord_Howe, whose clocks move by 30 minutes;
 *   month     printed back it is the input; caltime_month gives a range
 *             of 28 to 31 days (give or take an hour) from local 1st 00:00;
 *   weekday   -1 or 0..6, and the input is that day's name or its first
 *             three letters, in any case.
 * A broken promise aborts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caltime.h"
#include "fuzz.h"

/* The values of collector.yaml are short; a long input cannot parse. */
#define CALTIME_INPUT_MAX 4096

#define DAY_S 86400

static const char *const day_names[7] = {"sunday",   "monday", "tuesday", "wednesday",
                                         "thursday", "friday", "saturday"};

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
set_zone(const char *name)
{
	const char *err;

	if (caltime_set_zone(name, &err) < 0) {
		fprintf(stderr, "fuzz-caltime: %s: %s\n", name, err);
		abort();
	}
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int mo)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return mo == 2 && leap(y) ? 29 : mdays[mo - 1];
}

/* Days since 1970-01-01, counted the slow way (years and months), so
   that it does not share a formula with caltime.c. */
static int64_t
days_since_epoch(int y, int mo, int d)
{
	int64_t n = 0;

	for (int k = 1970; k < y; k++)
		n += leap(k) ? 366 : 365;
	for (int k = 1; k < mo; k++)
		n += month_days(y, k);
	return n + d - 1;
}

/* Weekday 0 = Sunday (Sakamoto). */
static int
weekday_of(int y, int mo, int d)
{
	static const int t[12] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};

	if (mo < 3)
		y--;
	return (y + y / 4 - y / 100 + y / 400 + t[mo - 1] + d) % 7;
}

/* Wall seconds (local date and time read as if UTC) of instant t. */
static int64_t
wall_at(int64_t t)
{
	struct caltm tm;

	caltime_fields(t, &tm);
	return days_since_epoch(tm.year, tm.month, tm.day) * DAY_S + tm.hour * 3600 + tm.min * 60 +
	       tm.sec;
}

static void
check_hhmm(const char *s)
{
	char back[16];
	int min;

	if (caltime_parse_hhmm(s, &min) < 0)
		return;
	check(min >= 0 && min <= 1440);
	snprintf(back, sizeof(back), strlen(s) == 4 ? "%d:%02d" : "%02d:%02d", min / 60, min % 60);
	check(strcmp(back, s) == 0);
}

static void
check_date(const char *s)
{
	char back[32];
	struct caltm tm;
	int y, mo, d;

	if (caltime_parse_date(s, &y, &mo, &d) < 0)
		return;
	check(y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= month_days(y, mo));
	snprintf(back, sizeof(back), "%04d-%02d-%02d", y, mo, d);
	check(strcmp(back, s) == 0);
	/* Berlin never skips midnight: local 00:00 exists on every date */
	caltime_fields(caltime_local(y, mo, d, 0, 0), &tm);
	check(tm.year == y && tm.month == mo && tm.day == d && tm.hour == 0 && tm.min == 0);
	check(tm.wday == weekday_of(y, mo, d));
}

/* The instant t of wall seconds w obeys the rules of caltime.h. */
static void
check_wall_rule(int64_t t, int64_t w)
{
	int64_t shown = wall_at(t);

	if (shown == w) {
		/* the first occurrence: no earlier instant within the
		   largest offset change (2 h) shows the same wall time */
		for (int64_t back = 1800; back <= 7200; back += 1800)
			check(wall_at(t - back) != w);
		return;
	}
	/* a gap: w was skipped; t is the jump */
	check(shown > w && shown - w < DAY_S);
	check(wall_at(t - 1) < w);
}

static void
check_datetime_in_zone(const char *s, int y, int mo, int d, int h, int mi, int sec)
{
	int64_t t;
	int64_t w = days_since_epoch(y, mo, d) * DAY_S + h * 3600 + mi * 60 + sec;

	check(caltime_parse_datetime(s, &t) == 0);
	check_wall_rule(t, w);
	/* outside a gap caltime_local agrees (zones move on whole minutes,
	   so the seconds just add) */
	if (wall_at(t) == w)
		check(t == caltime_local(y, mo, d, h, mi) + sec);
}

static void
check_datetime(const char *s)
{
	char date[11], hhmm[6], back[32];
	size_t len = strlen(s);
	int64_t t;
	int y, mo, d, min, sec = 0;

	if (caltime_parse_datetime(s, &t) < 0)
		return;
	check(len == 16 || len == 19);
	check(s[10] == ' ' || s[10] == 'T');
	memcpy(date, s, 10);
	date[10] = '\0';
	memcpy(hhmm, s + 11, 5);
	hhmm[5] = '\0';
	check(caltime_parse_date(date, &y, &mo, &d) == 0);
	check(strlen(hhmm) == 5 && caltime_parse_hhmm(hhmm, &min) == 0 && min < 1440);
	if (len == 19)
		sec = (s[17] - '0') * 10 + (s[18] - '0');
	check(sec >= 0 && sec <= 59);
	snprintf(back, sizeof(back), "%04d-%02d-%02d%c%02d:%02d", y, mo, d, s[10], min / 60,
	         min % 60);
	if (len == 19)
		snprintf(back + 16, sizeof(back) - 16, ":%02d", sec);
	check(strcmp(back, s) == 0);

	check_datetime_in_zone(s, y, mo, d, min / 60, min % 60, sec);
	/* only for what parses (rare among mutants): a zone switch rereads
	   the zone file */
	set_zone("Australia/Lord_Howe");
	check_datetime_in_zone(s, y, mo, d, min / 60, min % 60, sec);
	set_zone("Europe/Berlin");
}

static void
check_month(const char *s)
{
	char back[16];
	struct caltm tm;
	int64_t start, end;
	int y, mo;

	if (caltime_parse_month(s, &y, &mo) < 0)
		return;
	check(y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12);
	snprintf(back, sizeof(back), "%04d-%02d", y, mo);
	check(strcmp(back, s) == 0);
	caltime_month(y, mo, &start, &end);
	check(end - start >= (int64_t)month_days(y, mo) * DAY_S - 3600 &&
	      end - start <= (int64_t)month_days(y, mo) * DAY_S + 3600);
	caltime_fields(start, &tm);
	check(tm.year == y && tm.month == mo && tm.day == 1 && tm.hour == 0 && tm.min == 0);
	caltime_fields(end - 1, &tm);
	check(tm.year == y && tm.month == mo && tm.day == month_days(y, mo));
}

static void
check_weekday(const char *s)
{
	int wd = caltime_parse_weekday(s);

	check(wd >= -1 && wd <= 6);
	if (wd < 0)
		return;
	check(strcasecmp(s, day_names[wd]) == 0 ||
	      (strlen(s) == 3 && strncasecmp(s, day_names[wd], 3) == 0));
}

/* A zone name from the input: accepted only when it names a file under
   the zone directory; never a path out of it.  The zone is put back. */
static void
check_zone(const char *s)
{
	const char *err = NULL;

	if (strchr(s, '/') == NULL && strcmp(s, "UTC") != 0)
		return; /* the seeds' zones have a '/'; spare the stat() */
	/* "Europe//Berlin" names the same file; glibc's setenv keeps every
	   value it was ever given, so endless spellings would only grow the
	   process */
	if (strstr(s, "//") != NULL)
		return;
	if (caltime_set_zone(s, &err) < 0) {
		check(err != NULL && *err != '\0');
		return;
	}
	check(*s != '\0' && s[0] != '/' && strstr(s, "..") == NULL);
	set_zone("Europe/Berlin");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int zone_set;
	char *s;

	if (size > CALTIME_INPUT_MAX)
		return 0;
	if (!zone_set) {
		set_zone("Europe/Berlin");
		zone_set = 1;
	}
	s = fuzz_cstr(data, size);
	/* a value as the YAML loader hands it over: one line */
	s[strcspn(s, "\n")] = '\0';
	check_hhmm(s);
	check_date(s);
	check_datetime(s);
	check_month(s);
	check_weekday(s);
	check_zone(s);
	free(s);
	return 0;
}
