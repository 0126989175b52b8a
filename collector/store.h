/*
 * store.h - the collector's storage, behind one interface.
 *
 * Everything the collector keeps (agents, checks, raw results, state
 * intervals, batches seen, report bookkeeping) goes through these
 * functions; nothing else in the collector talks SQL.  The backend is
 * SQLite in WAL mode (store_sqlite.c); a PostgreSQL backend would
 * implement the same functions.
 *
 * Threads: every function may be called from any thread.  Writes are
 * funnelled to one writer thread that commits the batches queued so far in
 * one transaction (group commit, each batch in its own savepoint so that a
 * bad one is rolled back alone); store_ingest returns once its batch is
 * durable (synchronous=FULL) or committed (synchronous=NORMAL).  Reads use
 * their own connections and never wait for the writer.
 *
 * State intervals: for each check the results, ordered by ts, are folded
 * into runs of equal status.  A run covers [start, until) where until =
 * last ts + stale limit of its last result; the next result with a ts
 * before until and the same status extends it, with another status starts
 * a new run (which ends the previous one at its ts).  A late result that
 * falls inside a run splits it.  Time covered by no run is nodata.  The
 * stale limit comes from store_options.stale_mult / stale_fixed_s.
 *
 * Errors: functions returning int give 0 or -1 and set *error_r to a
 * message valid until the next store call in the same thread.
 * JSON documents returned (json_t *) are new references owned by the
 * caller.
 */
#ifndef MXSLA_STORE_H
#define MXSLA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sla.h"
#include "strlist.h"

struct store;

struct store_options {
	int sync_full;          /* 1: synchronous=FULL (default); 0: NORMAL */
	int stale_mult;         /* stale limit = stale_mult x interval ... */
	int64_t stale_fixed_s;  /* ... or this, when stale_mult == 0 */
	int readonly;           /* 1: open for reports only (no writer thread, no migration) */
};

/* Open (creating and migrating as needed) the database at path. */
int store_open(const char *path, const struct store_options *opt, struct store **st_r,
	       const char **error_r);
/* Stop the writer after the queued batches and close. */
void store_close(struct store *st);
/* Change the stale rule (config reload); applies to results stored after. */
void store_set_stale(struct store *st, int stale_mult, int64_t stale_fixed_s);

/* ---- ingest ---- */

/* One validated result.  Strings are borrowed for the call.  metrics,
   facts and references are compact JSON texts (object, object, array) or
   NULL. */
struct ingest_result {
	const char *check;      /* "rule@target" */
	const char *rule, *target, *kind, *title, *message;
	int status;             /* MX_OK .. MX_UNKNOWN */
	int64_t ts;             /* seconds, UTC */
	int64_t interval;       /* seconds, > 0 */
	const char *metrics, *facts;
	const char *advice, *references;
};

struct ingest_batch {
	const char *agent, *site;
	const char *roles;      /* compact JSON array text */
	const char *stream;
	int64_t batch;
	int64_t received;       /* arrival time, seconds */
	const struct ingest_result *results;
	size_t n;
};

/* Store b whole or not at all.  A batch whose (agent, stream, batch) was
   stored before is not stored again: *duplicate_r = 1 and 0 is returned.
   Returns once the batch (or its duplicate verdict) is committed. */
int store_ingest(struct store *st, const struct ingest_batch *b, int *duplicate_r,
		 const char **error_r);

/* ---- checks and timelines (for the SLA engine) ---- */

struct store_check {
	int64_t ref;            /* stable id of (agent, check) */
	char *agent, *check;    /* owned */
	int64_t interval;
};
/* Every check known, sorted by agent then check. */
int store_list_checks(struct store *st, struct store_check **v_r, size_t *n_r, const char **error_r);
void store_checks_free(struct store_check *v, size_t n);

/* The state spans of check ref that meet [from, to), clipped to it,
   sorted; nodata gaps are left out.  *v_r is malloc'd (free()). */
int store_spans(struct store *st, int64_t ref, int64_t from, int64_t to, struct sla_span **v_r,
		size_t *n_r, const char **error_r);
/* Earliest result ts stored for any check (0 if none): where report
   catch-up starts. */
int store_first_ts(struct store *st, int64_t *ts_r, const char **error_r);

/* ---- queries for the API (JSON documents) ---- */

/* Agents: [{id, site, roles, first_seen, last_seen, state: up|silent,
   results_stored, checks}]; an agent is silent when now >= last_seen +
   stale limit of its shortest check interval. */
json_t *store_q_agents(struct store *st, int64_t now, const char **error_r);
/* Checks, filtered by agent and/or status name when not NULL:
   [{agent, check, rule, target, kind, title, interval, ts, status (the
   state now: nodata when stale), last_status, message, metrics, since}]
   "since" = start of the current run. */
json_t *store_q_checks(struct store *st, const char *agent, const char *status, int64_t now,
		       const char **error_r);
/* A check's state now as store_q_checks describes it, for code that walks
   every check without building a document.  Strings are valid during the
   callback only. */
struct store_check_now {
	const char *agent, *check, *message;
	int64_t interval;
	int status;             /* now: MX_NODATA when stale */
	int has_ts, has_since;
	int64_t ts, since;
};
typedef void (*store_check_fn)(void *arg, const struct store_check_now *c);
/* Call fn for every check (sorted by agent then check), in one snapshot. */
int store_scan_checks(struct store *st, int64_t now, store_check_fn fn, void *arg,
		      const char **error_r);
/* The same document as JSON text (malloc'd, NUL-terminated, with a final
   newline), written row by row: what the API serves. */
int store_q_checks_text(struct store *st, const char *agent, const char *status, int64_t now,
			char **text_r, size_t *len_r, const char **error_r);
/* Violations of health checks: maximal runs of warning/critical/unknown
   (adjacent non-ok runs merged), newest first, at most limit:
   [{id, agent, check, rule, target, title, severity (worst status),
     status (latest), start, end (null when open), open, duration_s, message,
     ack (null, or {user, comment, at} as store_ack wrote it)}]
   open_only: only those still open at now. */
json_t *store_q_violations(struct store *st, int open_only, int64_t now, size_t limit,
			   const char **error_r);
/* Best-practice findings: the latest result of every check of kind
   "best-practice" whose status is not ok: [{agent, site, check, rule,
   target, title, status, message, advice, references, ts}]. */
json_t *store_q_findings(struct store *st, int64_t now, const char **error_r);
/* Raw results of one check in [from, to), oldest first, at most limit:
   [{ts, status, message, metrics}]. */
json_t *store_q_history(struct store *st, const char *agent, const char *check, int64_t from,
			int64_t to, size_t limit, const char **error_r);

/* ---- counters (for /metrics) ---- */
struct store_stats {
	uint64_t results_stored_total;   /* since the database was created */
	uint64_t batches_total;          /* stored batches since the database was created */
	uint64_t batches_duplicate_total;/* since this process opened the store */
	uint64_t checks_by_status[MX_NSTATUS];   /* state now */
	uint64_t agents_up, agents_silent;
	uint64_t results_rows;           /* raw rows present now */
};
int store_stats(struct store *st, int64_t now, struct store_stats *s, const char **error_r);

/* ---- maintenance ---- */

/* Delete raw results with ts < before (state intervals are kept).
   Returns the number of rows deleted in *n_r. */
int store_prune(struct store *st, int64_t before, uint64_t *n_r, const char **error_r);
/* Report bookkeeping: month "YYYY-MM"; what = "written" or "mailed". */
int store_report_mark(struct store *st, const char *month, const char *what, int64_t when,
		      const char **error_r);
/* 1 if marked, 0 if not. */
int store_report_marked(struct store *st, const char *month, const char *what, int *marked_r,
			const char **error_r);
/* ---- maintenance windows entered in the web UI (store_admin.c) ---- */

/* A one-off window [start, end) for the services named (ids or globs). */
struct store_mw {
	int64_t id;             /* assigned by store_mw_add */
	struct strlist services;
	int64_t start, end;
	char *reason;           /* "" when none */
	char *author;           /* user who wrote it last; may be NULL */
	int64_t created, updated;
};
/* The windows that meet [from, to) (every window when from == to == 0),
   ordered by start then id.  Free with store_mw_free. */
int store_mw_list(struct store *st, int64_t from, int64_t to, struct store_mw **v_r, size_t *n_r,
		  const char **error_r);
void store_mw_free(struct store_mw *v, size_t n);
/* Add m (m->id, created and updated are set; m->created = m->updated =
   now given). */
int store_mw_add(struct store *st, struct store_mw *m, int64_t now, const char **error_r);
/* Replace window m->id; *found_r = 0 when there is none. */
int store_mw_update(struct store *st, struct store_mw *m, int64_t now, int *found_r,
		    const char **error_r);
int store_mw_delete(struct store *st, int64_t id, int *found_r, const char **error_r);

/* ---- acknowledgements of violations (store_admin.c) ---- */

/* Acknowledge violation "REF-START" (the id store_q_violations gives):
   user and comment, at.  Acknowledging again replaces the comment.
   *found_r = 0 when the id names no check. */
int store_ack(struct store *st, const char *violation_id, const char *user, const char *comment,
	      int64_t at, int *found_r, const char **error_r);
/* Parse "REF-START"; 0 or -1. */
int store_violation_id_parse(const char *id, int64_t *ref_r, int64_t *start_r);

/* PRAGMA integrity_check == "ok" -> 0. */
int store_integrity(struct store *st, const char **error_r);

#endif
