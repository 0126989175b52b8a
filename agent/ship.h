/*
 * ship.h - the sender: one thread that delivers the spool's batches to
 * the collector (SPEC 2.6, 3.3), one request in flight.
 *
 * POST URL/api/v1/results with {agent, site, roles, stream, batch,
 * results:[...]}, `Authorization: Bearer TOKEN`; TLS verification always
 * on (ca_file when given).  2xx: the batch is done.  401/403: a
 * configuration problem, the batch is kept and retried with back-off
 * (the token file is read again before each retry).  Other 4xx but 408
 * and 429: the collector can never accept the batch; it is logged with
 * the collector's error and dropped.  Anything else (5xx, 408, 429,
 * network, TLS): retried with back-off min(cap, base * 2^n), full jitter,
 * base 1 s, cap 5 min (MXSLA_SHIP_BACKOFF_BASE_MS and
 * MXSLA_SHIP_BACKOFF_CAP_MS override them, for tests).
 *
 * The thread sleeps on a condition variable: ship_kick wakes it when
 * results were appended, ship_stop when it must end.  It logs what it
 * does; nothing is returned to the caller after ship_start.
 */
#ifndef MXSLA_SHIP_H
#define MXSLA_SHIP_H

#include <stddef.h>
#include <stdint.h>

struct agent_config;
struct spool;
struct ship;

/* Results per request and bytes of results per request: well below the
   collector's default limits (5,000 results, 8 MB body). */
#define SHIP_BATCH_MAX 500
#define SHIP_BATCH_BYTES (1024 * 1024)
/* How long ship_stop lets a request in flight finish before aborting it
   (the batch stays in the spool either way). */
#define SHIP_STOP_GRACE_MS 5000

/* Start delivering sp's batches with cfg's identity and collector
   settings (copied: cfg may be freed afterwards; sp must outlive the
   shipper).  Loads libcurl and reads the token.  0, or -1 with *error_r
   (xmalloc'd). */
int ship_start(struct spool *sp, const struct agent_config *cfg, struct ship **sh_r,
	       char **error_r);
/* New results are in the spool (synced): send them unless backing off. */
void ship_kick(struct ship *sh);
/* Stop after the request in flight (aborted after SHIP_STOP_GRACE_MS),
   join the thread and free sh (may be NULL).  Unacknowledged results
   stay in the spool. */
void ship_stop(struct ship *sh);

/* 1 if the collector settings of a and b differ (url, token, token_file,
   ca_file, agent id, site, roles, spool path): a reload must restart the
   shipper. */
int ship_config_changed(const struct agent_config *a, const struct agent_config *b);

/* The back-off delay before retry number n (0 = after the first
   failure): a uniform random value in [0, min(cap, base * 2^n)] ms.
   rnd is a uniform random 64-bit value. */
int64_t ship_backoff_ms(unsigned n, int64_t base_ms, int64_t cap_ms, uint64_t rnd);

#endif
