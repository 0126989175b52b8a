/*
 * report.h - the `scan` report (SPEC 2.5): text grouped like ExBPA
 * (Critical issues, Warnings, Best-practice findings, Could not be
 * checked, Informational), JSON, and one self-contained HTML page.
 */
#ifndef MXSLA_REPORT_H
#define MXSLA_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct check;
struct obs;
struct strlist;

struct finding {
	const struct check *check;
	int status;
	char *message;          /* owned */
	const struct obs *obs;  /* the observation it was judged on (not owned) */
	int64_t ts_ms;
};

struct scan_report {
	const char *agent;
	const char *site;
	const struct strlist *roles;
	int64_t generated_ms;
	struct finding *v;
	size_t n;
	unsigned count[4];      /* by status */
};

/* Sort worst first (critical, warning, unknown, ok), then by check id,
   and count the statuses. */
void report_finish(struct scan_report *r);
void report_free(struct scan_report *r);
/* One finding as JSON (also the shape of a shipped result's body). */
json_t *report_finding_json(const struct finding *f);
json_t *report_json(const struct scan_report *r);
void report_text(FILE *fp, const struct scan_report *r, int color);
void report_html(FILE *fp, const struct scan_report *r);
/* Exit code of a scan: 2 any critical, 1 any warning, else 0. */
int report_exit_code(const struct scan_report *r);

#endif
