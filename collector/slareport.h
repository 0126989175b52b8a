/*
 * slareport.h - the monthly SLA report in JSON, CSV and HTML (SPEC 3.5),
 * writing it to reports.dir when a month is over, and mailing it.
 *
 * The renderers are pure: a struct sla_report in, a document out.  The
 * HTML page is self-contained (inline CSS and SVG, no script, no external
 * asset) and printable: summary table, a downtime timeline per service,
 * the incident list and the policy in force.
 */
#ifndef MXSLA_SLAREPORT_H
#define MXSLA_SLAREPORT_H

#include <stdint.h>

#include <jansson.h>

#include "collector_config.h"
#include "slarun.h"
#include "store.h"

enum slareport_format { SLAREPORT_JSON = 0, SLAREPORT_CSV = 1, SLAREPORT_HTML = 2 };

/* "json" "csv" "html" -> format, or -1. */
int slareport_format_parse(const char *s);
/* The name of a report file, "mxsla-sla-YYYY-MM.EXT" with EXT html, csv or
   json: 0 with the month ("YYYY-MM", into 8 bytes) and the format, or -1
   for any other name. */
int slareport_file_parse(const char *name, char *month, int *fmt_r);
/* SPEC 3.5 JSON document (new reference). */
json_t *slareport_json(const struct sla_report *r);
/* The CSV text, header line first (malloc'd, NUL-terminated). */
char *slareport_csv(const struct sla_report *r);
/* The HTML page (malloc'd, NUL-terminated). */
char *slareport_html(const struct sla_report *r);
/* Any of the three as malloc'd text; JSON indented. */
char *slareport_render(const struct sla_report *r, enum slareport_format f);

/* Monthly duty, called at start-up and then every minute by the serve
   loop: for every month that is over, from the month of the first stored
   result to the last full month, whose report was not yet written, write
   reports.dir/mxsla-sla-YYYY-MM.{html,csv,json} (atomically: temp file and
   rename) and mark it written; when reports.mail is set, mail it (HTML
   body with the CSV and JSON attached) and mark it mailed, retrying a
   failed mail on later calls.  Does nothing without reports.dir.
   Returns 0, or -1 with *error_r after the first failure (what succeeded
   stays marked). */
int slareport_monthly(const struct collector_config *cfg, struct store *st, int64_t now,
		   const char **error_r);
/* Mail the report files of month ("YYYY-MM") now through reports.mail. */
int slareport_mail(const struct collector_config *cfg, const struct sla_report *r, const char **error_r);
/* Months with a written report in reports.dir, newest first:
   [{month, formats: {html: "mxsla-sla-2026-10.html", ...}, complete}]. */
json_t *slareport_list(const struct collector_config *cfg, const char **error_r);

#endif
