/*
 * spool.h - the agent's durable outbox (SPEC 2.6).
 *
 * Every result is appended to the spool before it is sent; the sender
 * takes batches from the head and deletes a batch only after the
 * collector acknowledged it.  The spool is a directory of segment files
 * (records with a length, a sequence number and a CRC-32) and a small
 * state file rewritten atomically; see docs/internals/spool.md.
 *
 * Guarantees:
 *  - a result appended and then made durable with spool_sync survives a
 *    crash; a record torn by a crash is truncated on open (logged);
 *  - batches are numbered, and a batch's composition (its first and last
 *    sequence numbers) is written to the state file before
 *    spool_batch_get hands it out, so the batch resent after a crash has
 *    the same number and the same results (the collector deduplicates on
 *    (agent, stream, batch));
 *  - the spool never holds more than max_bytes of segment files for long:
 *    an append that would exceed it first drops the oldest unsent
 *    results, a segment at a time, never those of the batch in flight;
 *  - fully delivered segments are deleted (compaction).
 *
 * Counters (spool_counters) are kept since the spool was created and
 * persisted: results_total = sent_total + dropped_total + spooled.
 *
 * Thread-safe: one appender (the daemon loop) and one sender thread may
 * use the same spool concurrently.  One process at a time may open a
 * spool directory (flock); a second spool_open fails.
 */
#ifndef MXSLA_SPOOL_H
#define MXSLA_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

/* Largest record spool_append accepts. */
#define SPOOL_RECORD_MAX (1024 * 1024)

struct spool_counters {
	uint64_t results_total;     /* results appended since the spool was created */
	uint64_t spooled;           /* waiting now (the batch in flight included) */
	uint64_t sent_total;        /* results acknowledged by the collector */
	uint64_t dropped_total;     /* dropped by spool_max or rejected by the collector */
	uint64_t send_errors_total; /* failed or rejected requests */
};

/* One batch, as handed out by spool_batch_get.  recs[i] (lens[i] bytes,
   NUL-terminated) are owned by the batch; free with spool_batch_free. */
struct spool_batch {
	uint64_t batch;  /* the batch number: 1, 2, ... per stream */
	uint64_t first;  /* sequence numbers the batch covers, inclusive */
	uint64_t last;
	char **recs;
	size_t *lens;
	size_t n;
	size_t bytes;    /* sum of lens */
};

/* Open the spool in directory dir (created, mode 0700, if missing), or
   create it with a new random stream id.  max_bytes: spool_max (>= 64 KiB).
   Truncates a torn last record with a logged warning.  On error returns
   -1 with *error_r (xmalloc'd) saying why. */
int spool_open(const char *dir, uint64_t max_bytes, struct spool **sp_r, char **error_r);
/* Make appended results durable and close (sp may be NULL). */
void spool_close(struct spool *sp);
/* The 32 hex digits chosen when the spool was created (owned by sp). */
const char *spool_stream(const struct spool *sp);
/* Change spool_max (takes effect at the next append). */
void spool_set_max(struct spool *sp, uint64_t max_bytes);

/* Append one record (a result as JSON text; len <= SPOOL_RECORD_MAX, no
   NUL needed).  Written, not yet synced: call spool_sync after a burst
   of appends.  *dropped_r (may be NULL) receives how many of the oldest
   unsent results were dropped to make room (the caller logs it).
   0, or -1 with *error_r. */
int spool_append(struct spool *sp, const char *rec, size_t len, uint64_t *dropped_r,
		 char **error_r);
/* fdatasync what was appended since the last sync; only synced results
   are handed out in batches.  0, or -1 with *error_r. */
int spool_sync(struct spool *sp, char **error_r);

/* The batch to send: the unacknowledged batch in flight if there is one
   (same number, same results), else a new one of the oldest synced
   results, at most max_n results and max_bytes bytes (but always at
   least one), whose composition is persisted before returning.
   Returns 1 with *b filled, 0 when nothing waits, -1 with *error_r. */
int spool_batch_get(struct spool *sp, size_t max_n, size_t max_bytes, struct spool_batch *b,
		    char **error_r);
/* The batch in flight is finished: delivered (2xx, counted as sent) or
   rejected for good (counted as dropped).  Advances to the next batch
   number and deletes segments that are no longer needed.
   0, or -1 with *error_r (the spool stays usable; after a crash the
   batch would be sent again under the same number). */
int spool_batch_done(struct spool *sp, const struct spool_batch *b, int delivered,
		     char **error_r);
void spool_batch_free(struct spool_batch *b);
/* Count a failed or rejected request (persisted). */
void spool_note_send_error(struct spool *sp);

void spool_counters(struct spool *sp, struct spool_counters *c);

#endif
