/*
 * status.h - the result statuses shared by agent and collector.
 *
 * A result's status is ok, warning, critical or unknown (the agent's
 * check_status uses the same numbers); the collector adds nodata for a
 * check without a fresh result (SPEC 3.4).
 */
#ifndef MXSLA_STATUS_H
#define MXSLA_STATUS_H

enum mx_status { MX_OK = 0, MX_WARNING = 1, MX_CRITICAL = 2, MX_UNKNOWN = 3, MX_NODATA = 4 };
#define MX_NSTATUS 5

/* "ok", "warning", "critical", "unknown", "nodata"; "?" out of range. */
const char *status_name(int status);
/* The status named s (one of the five names), or -1. */
int status_parse(const char *s);
/* How bad a status is for notification thresholds: ok 0 < warning 1 <
   unknown and nodata 2 < critical 3. */
int status_severity_rank(int status);

#endif
