/*
 * ingest.h - the body of POST /api/v1/results (SPEC 3.3): JSON text in,
 * a validated struct ingest_batch out, or the first problem found with
 * its HTTP status and the JSON path of the offending field.
 *
 * Pure: no I/O, no clock (the caller passes now), no store.  Nothing is
 * stored by this module; a batch that fails validation is refused whole.
 *
 * Limits (from collector.yaml `limits:`): body size (413), nesting
 * depth, string length (keys and values), result count (400, each
 * naming the limit and the path).  Field rules:
 *   agent   non-empty string of at most 128 bytes; when an expected agent
 *           is given and differs: 403
 *   stream  non-empty string of at most 128 bytes
 *   batch   integer >= 0
 *   site    optional string (<= 128); roles optional array of strings
 *   results array (may be empty) of objects with
 *     rule, target   non-empty strings (<= 256 bytes)
 *     check          string, must equal rule "@" target
 *     kind           "health" | "best-practice"
 *     ts             integer seconds, 2000-01-01 <= ts <= now + 1 day
 *     interval       integer, 1 .. 31 days
 *     status         "ok" | "warning" | "critical" | "unknown"
 *     message        string
 *     metrics        optional object of numbers
 *     facts          optional object of strings, numbers, booleans
 *     title, advice  optional strings
 *     references     optional array of strings
 * Optional fields may also be null.  Unknown keys are ignored (an older
 * collector accepts a newer agent's extra fields).
 */
#ifndef MXSLA_INGEST_H
#define MXSLA_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct ingest_limits {
	size_t body_max;        /* bytes */
	long results_max;
	long string_max;        /* bytes, keys and values */
	int depth_max;          /* nesting of arrays and objects; the top object is depth 1 */
};

/* The verdict on a refused body. */
struct ingest_error {
	int status;             /* 400, 403 or 413 */
	char error[256];        /* for the "error" member of the reply */
	char path[192];         /* "results[3].status"; "" for the body as a whole */
};

/* Owns everything the batch points into. */
struct ingest_doc;

#define INGEST_NAME_MAX 128      /* agent, stream, site, roles[] */
#define INGEST_PART_MAX 256      /* rule, target */
#define INGEST_TS_MIN 946684800  /* 2000-01-01T00:00:00Z */
#define INGEST_TS_FUTURE 86400   /* how far ahead of now a ts may be */
#define INGEST_INTERVAL_MAX (31 * 86400)

/* Parse and validate body[0..len).  expect_agent: the agent the token
   belongs to (403 when the body names another), or NULL.  On success
   returns 0, fills *b_r (received = now) and *doc_r (free with
   ingest_doc_free after the batch is used).  On failure returns -1 with
   *err filled and nothing allocated. */
int ingest_parse(const char *body, size_t len, const struct ingest_limits *lim,
		 const char *expect_agent, int64_t now, struct ingest_batch *b_r,
		 struct ingest_doc **doc_r, struct ingest_error *err);
void ingest_doc_free(struct ingest_doc *doc);

#endif
