/*
 * metrics.h - the collector's own counters and GET /metrics (Prometheus
 * text exposition format 0.0.4, SPEC 3.5).
 *
 * Process-wide counters (HTTP requests by status code, ingest errors by
 * status code, ingest latency, notifications) are kept here with atomic
 * operations and may be bumped from any thread; the database figures
 * (results and batches stored, agents, checks) are read from the store
 * when the page is rendered.
 */
#ifndef MXSLA_METRICS_H
#define MXSLA_METRICS_H

#include <stdint.h>

struct store;

/* One HTTP request answered with status (100..599). */
void metrics_http_request(int status);
/* One ingest request refused with status (400, 401, 403, 413, 415, 5xx). */
void metrics_ingest_error(int status);
/* One ingest request stored (or found duplicate) in seconds. */
void metrics_ingest_latency(double seconds);
/* One notification to destination (its config name) with outcome
   ("sent", "acked", "failed", ...).  Both strings are copied; at most 64
   distinct pairs are kept, later ones are counted under destination
   "other". */
void metrics_notification(const char *destination, const char *outcome);

/* The exposition text (malloc'd, NUL-terminated).  st may be NULL (no
   database figures).  Returns NULL with *error_r when the store fails. */
char *metrics_render(struct store *st, int64_t now, const char **error_r);

/* Forget every process counter (tests). */
void metrics_reset(void);

#endif
