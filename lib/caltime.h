/*
 * caltime.h - wall-clock time in the configured time zone, interval sets,
 * calendars (service hours with holidays) and weekly windows.
 *
 * All instants are whole seconds since the epoch (UTC), int64_t.  An
 * interval is half-open [start, end).  Wall-clock times are read in the
 * process time zone, set once with caltime_set_zone (the collector has one
 * `timezone`, SPEC 3.2); the conversion goes through localtime_r/mktime
 * and therefore follows the system's tzdata, daylight-saving changes
 * included.
 *
 * Wall-clock rules (documented in docs/internals/sla.md):
 *   - a wall-clock time that does not exist (spring-forward gap) maps to
 *     the instant the clocks jump to (02:30 on the last Sunday of March
 *     in Europe/Berlin is 03:00 CEST, 01:00 UTC);
 *   - a wall-clock time that exists twice (fall-back) maps to its first
 *     occurrence (02:30 on the last Sunday of October in Europe/Berlin is
 *     02:30 CEST, 00:30 UTC);
 *   - a daily range "from"-"to" on a date D is [local(D, from), local(D, to));
 *     to = "24:00" means local(D + 1, 00:00); a range with to <= from runs
 *     over midnight into D + 1.
 */
#ifndef MXSLA_CALTIME_H
#define MXSLA_CALTIME_H

#include <stddef.h>
#include <stdint.h>

/* ---- time zone ---- */

/* Make name (an IANA zone such as "Europe/Berlin", or "UTC") the process
   time zone.  Fails when no such zone file exists under TZDIR or
   /usr/share/zoneinfo (glibc itself would silently fall back to UTC).
   Not thread-safe: call it before starting threads.  Returns 0 or -1
   with a static message in *error_r. */
int caltime_set_zone(const char *name, const char **error_r);

/* 1 if name (already checked to be a relative name without "..") is a
   compiled zone file (TZif) in the directory glibc reads: $TZDIR when set,
   else /usr/share/zoneinfo. */
int caltime_zone_file(const char *name);

/* The instant of local wall-clock time y-mo-d h:mi:00 (mo 1..12; fields
   may be out of range and are normalised, so d = 32 is the next month's
   1st and h = 24 is the next day's 00:00). */
int64_t caltime_local(int y, int mo, int d, int h, int mi);
/* Local calendar fields of instant t: year, month 1..12, day 1..31,
   weekday 0 = Sunday .. 6 = Saturday, hour, minute, second. */
struct caltm { int year, month, day, wday, hour, min, sec; };
void caltime_fields(int64_t t, struct caltm *tm_r);
/* [start, end) of the month y-mo in the local zone. */
void caltime_month(int y, int mo, int64_t *start_r, int64_t *end_r);

/* Parsers for the config file; each returns 0 or -1.
   "2026-10-10 22:00" (or "2026-10-10T22:00", optional ":SS") -> instant. */
int caltime_parse_datetime(const char *s, int64_t *t_r);
/* "2026-12-25" -> y, mo, d (validated against the calendar). */
int caltime_parse_date(const char *s, int *y_r, int *mo_r, int *d_r);
/* "08:00" -> minutes after midnight 0..1440 ("24:00" = 1440). */
int caltime_parse_hhmm(const char *s, int *min_r);
/* "2026-10" -> y, mo. */
int caltime_parse_month(const char *s, int *y_r, int *mo_r);
/* "mon".."sun" (also full names, any case) -> weekday 0 = Sunday; -1 if not. */
int caltime_parse_weekday(const char *s);

/* ---- interval sets ---- */

struct iv { int64_t start, end; };
/* A set of disjoint, sorted, non-empty, non-touching intervals once
   normalised.  Zero-initialise; ivset_free releases. */
struct ivset { struct iv *v; size_t n, cap; };

void ivset_free(struct ivset *s);
void ivset_clear(struct ivset *s);
/* Append [start, end) (ignored when empty); call ivset_normalize after a
   series of adds that may overlap or come out of order. */
void ivset_add(struct ivset *s, int64_t start, int64_t end);
void ivset_normalize(struct ivset *s);
/* out = a ∩ b, out = a \ b, out = a ∪ b (a, b normalised; out must not
   alias a or b; out is cleared first and comes out normalised). */
void ivset_intersect(const struct ivset *a, const struct ivset *b, struct ivset *out);
void ivset_subtract(const struct ivset *a, const struct ivset *b, struct ivset *out);
void ivset_union(const struct ivset *a, const struct ivset *b, struct ivset *out);
/* Total length in seconds. */
int64_t ivset_measure(const struct ivset *s);
/* Length of s ∩ [start, end). */
int64_t ivset_overlap(const struct ivset *s, int64_t start, int64_t end);

/* ---- calendars and weekly windows ---- */

struct calday { int y, mo, d; };
/* Service hours: the days of the week in days_mask (bit 0 = Sunday ..
   bit 6 = Saturday), from_min..to_min wall clock on each such day, minus
   whole holidays (local dates).  from_min = 0 and to_min = 1440 with all
   seven days and no holidays is 24x7. */
struct calendar {
	unsigned days_mask;
	int from_min, to_min;
	struct calday *holidays;
	size_t nholidays;
};

/* Add to out the parts of [from, to) inside the calendar's hours (out is
   normalised afterwards).  A range that runs over midnight belongs to the
   day it starts on; a holiday removes the whole local date 00:00-24:00. */
void calendar_hours(const struct calendar *cal, int64_t from, int64_t to, struct ivset *out);
/* A weekly window: days_mask, from_min..to_min as for calendars, without
   holidays.  Adds its occurrences that meet [from, to), clipped. */
void calendar_weekly(unsigned days_mask, int from_min, int to_min, int64_t from, int64_t to,
		     struct ivset *out);

#endif
