/*
 * store_int.h - what the SQLite store's files share (not for other
 * modules: everything public is in store.h).
 *
 * store_sqlite.c opens the database, migrates the schema, keeps the pool
 * of read-only connections and answers the simple reads; store_writer.c
 * owns the one write connection and its thread (group commit, the state
 * runs, pruning, report marks); store_query.c builds the JSON documents
 * of the API.  docs/internals/store.md describes the design.
 */
#ifndef MXSLA_STORE_INT_H
#define MXSLA_STORE_INT_H

#include <pthread.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* The schema version store_open migrates to (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 3

/* Statements a reader connection prepares once and keeps. */
enum store_rq {
	RQ_LIST_CHECKS = 0,
	RQ_SPANS,
	RQ_FIRST_TS,
	RQ_META,
	RQ_CHECK_STATES,
	RQ_AGENT_STATES,
	RQ_ROWS,
	RQ_MARKED,
	RQ_Q_AGENTS,
	RQ_Q_CHECKS,
	RQ_Q_VIOLATION_RUNS,
	RQ_Q_LAST_MESSAGE,
	RQ_Q_FINDINGS,
	RQ_Q_HISTORY,
	RQ_LAST_RUN,
	RQ_TAIL,
	RQ_TAIL_REF,
	RQ_TAIL_ROW,
	RQ_COUNT
};

struct store_reader {
	sqlite3 *db;
	sqlite3_stmt *stmt[RQ_COUNT];
	struct store_reader *next;
};

struct store_writer;

struct store {
	char *path;
	int readonly;
	int sync_full;

	pthread_mutex_t stale_mu; /* guards the stale rule */
	int stale_mult;
	int64_t stale_fixed_s;

	pthread_mutex_t pool_mu;   /* guards idle */
	struct store_reader *idle; /* idle reader connections */
	unsigned nidle;

	struct store_writer *w; /* NULL when readonly */
};

/* Format a message into this thread's error buffer and return it (valid
   until the next store call in the thread). */
const char *store_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The stale limit for a result of this interval under the current rule. */
int64_t store_stale(struct store *st, int64_t interval);
/* A copy of the current rule, for computing many limits at once. */
void store_stale_rule(struct store *st, int *mult_r, int64_t *fixed_r);
int64_t store_stale_with(int mult, int64_t fixed, int64_t interval);

/* Apply the connection settings shared by writer and readers. */
int store_db_setup(sqlite3 *db, int sync_full, const char **error_r);

/* A reader connection (from the pool or new) and its statement q, reset
   and with bindings cleared; NULL with *error_r set on failure. */
struct store_reader *store_reader_get(struct store *st, const char **error_r);
sqlite3_stmt *store_reader_stmt(struct store_reader *r, enum store_rq q, const char **error_r);
/* Give r back to the pool (ends any read transaction). */
void store_reader_put(struct store *st, struct store_reader *r);

/* ---- the tail ----
   checks and runs are written behind: the database holds them as of raw
   row folded_rowid, and the raw rows after it are exactly those of the
   staging table results_new.  Every one of them was folded in order
   (ts after its check's latest; anything else makes the writer write
   behind at once), so a reader gets the current state by folding them on
   top of the stored runs, in its own snapshot, without the writer. */

/* A state run as stored; status < 0: none. */
struct store_run {
	int64_t start, last, until;
	int status;
};

struct store_tail_row {
	int64_t ref, id, ts, interval;
	int status;
};

/* The tail rows of check ref (-1: of every check), ordered by ref then
   arrival; *v_r is malloc'd (free()). */
int store_tail_load(struct store_reader *r, int64_t ref, struct store_tail_row **v_r, size_t *n_r,
                    const char **error_r);
/* The rows of ref in v[0..n) (sorted by ref): [*lo_r, *hi_r). */
void store_tail_range(const struct store_tail_row *v, size_t n, int64_t ref, size_t *lo_r,
                      size_t *hi_r);
/* Fold rows v[0..n) of one check onto its last stored run *cur as the
   writer does; runs finished on the way are appended to *out (xgrow with
   *cap) when out != NULL; *cur becomes the check's last run. */
void store_tail_fold(int mult, int64_t fixed, const struct store_tail_row *v, size_t n,
                     struct store_run *cur, struct store_run **out, size_t *nout, size_t *cap);

/* ---- small reads and writes of other modules ----
   The store's own files and the modules that keep a few tables of their
   own (store_admin.c: maintenance windows and acks; the notifier's state
   and queue) run SQL through these two, so that writes still go through
   the one writer and reads through the pool. */
typedef int (*store_sql_fn)(sqlite3 *db, void *arg, const char **error_r);
/* Run fn in the writer thread, inside the writer's transaction and a
   savepoint of its own: when fn returns -1 what it did is rolled back.
   Returns once the transaction is committed (fn's rc, or -1 when the
   commit fails).  fn must not keep statements prepared across calls and
   must not call the store.  *error_r is fn's or the commit's message. */
int store_exec(struct store *st, store_sql_fn fn, void *arg, const char **error_r);
/* Run fn on a reader connection, in one read transaction (a consistent
   snapshot).  fn prepares and finalizes its own statements. */
int store_read(struct store *st, store_sql_fn fn, void *arg, const char **error_r);

/* Writer (store_writer.c). */
int store_writer_start(struct store *st, sqlite3 *db, const char **error_r);
void store_writer_stop(struct store *st);
uint64_t store_writer_duplicates(struct store *st);

/* For tests: while held, the writer leaves queued work alone, so that a
   test can queue several batches and see them committed as one group. */
void store_writer_hold(struct store *st, int hold);
/* Jobs queued and not yet taken by the writer. */
size_t store_writer_queued(struct store *st);
/* Number of jobs in the most recent group commit. */
size_t store_writer_last_group(struct store *st);
/* For tests: the write-behind period in milliseconds (default 1000); 0:
   at every commit; negative: only when forced (late result, prune,
   close). */
void store_writer_set_flush_ms(struct store *st, int64_t ms);

#endif
