/*
 * store_writer.c - the store's single writer: group commit of ingested
 * batches, the state runs, pruning and report marks.
 *
 * Callers queue a job and sleep on a condition variable; one thread takes
 * everything queued, runs it in one transaction with a savepoint per job
 * (a failing job is rolled back alone), commits, and wakes the callers.
 * One fsync then covers many batches, which is what makes durable ingest
 * fast.  A cache of (agent, check) -> ref, latest result and last state
 * run means in-order results cost one INSERT each, into an unindexed
 * staging table that is moved into the indexed one in bulk.  Changed
 * checks and runs are written behind, at most every second, together with
 * the raw rowid up to which they are current; at open the raw rows after
 * it are folded again, so a kill -9 loses nothing.  A result older than
 * its check's latest one refolds the runs around it from the raw rows.
 * The design and its invariants: docs/internals/store.md.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "xmalloc.h"

/* Raw rows deleted per prune job: keeps each of the writer's transactions
   short while a large prune runs. */
#define PRUNE_CHUNK 10000
/* Write-behind bounds: checks and runs are flushed (and staged raw rows
   moved) every FLUSH_MS, or sooner once this many raw rows are staged or
   this many finished runs wait in memory. */
#define FLUSH_MS 1000
#define STAGE_MAX 100000
#define PENDING_MAX 20000
/* Group gathering: when fewer jobs are queued than callers were busy
   during the last group (its jobs plus those queued meanwhile), the
   writer waits up to this long for the others, who are usually building
   their next batch right now.  With synchronous=FULL a commit
   costs an fsync of a few ms, so waiting a fraction of that for a second
   batch nearly doubles what one fsync carries. */
#define GATHER_US_FULL 1000
#define GATHER_US_NORMAL 200
/* Idle this long with changes not written behind: write them. */
#define IDLE_FLUSH_MS 100

enum job_kind { JOB_INGEST, JOB_PRUNE, JOB_MARK, JOB_FLUSH, JOB_EXEC };

struct job {
	enum job_kind kind;
	const struct ingest_batch *b; /* JOB_INGEST */
	int64_t before, cursor;       /* JOB_PRUNE: horizon, next ref to look at */
	uint64_t deleted;             /* JOB_PRUNE: rows deleted by this chunk */
	int finished;                 /* JOB_PRUNE: no ref left */
	const char *month, *what;     /* JOB_MARK */
	store_sql_fn fn;              /* JOB_EXEC */
	void *arg;
	int64_t when;
	int done, rc, duplicate;
	char err[512];
	struct job *next;
};

/* A state run as in the runs table; status -1: none. */
struct run {
	int64_t start, last, until;
	int status;
};

/* What a savepoint rollback must restore of a cache entry. */
struct cent_state {
	int64_t last_ts, last_rowid; /* latest result by ts (rowid: the row checks.last_* copy) */
	int last_status;             /* -1: no result yet */
	int has_run;
	struct run run;             /* the check's last run */
	int dirty_check, dirty_run; /* not yet written in this transaction */
};

struct cent {
	struct cent *hnext;
	uint64_t hash;
	char *agent, *check;
	int64_t ref;
	struct cent_state s;
	/* metadata of the latest result, to write checks only on change */
	int meta_known;
	int64_t interval;
	char *rule, *target, *kind, *title, *advice, *refs;
	uint64_t batch_gen, txn_gen;
	/* finished runs not yet written (write-behind) */
	struct run *pend;
	size_t npend, cpend;
};

struct snap {
	struct cent *e;
	int created;
	struct cent_state s;
	struct run *pend; /* copy of e->pend, or NULL when empty */
	size_t npend;
};

enum wstmt {
	W_BEGIN,
	W_COMMIT,
	W_ROLLBACK,
	W_SAVEPOINT,
	W_RELEASE,
	W_ROLLBACK_TO,
	W_DEDUP,
	W_AGENT,
	W_CHECK_GET,
	W_LAST_RUN,
	W_CHECK_NEW,
	W_CHECK_META,
	W_CHECK_LAST,
	W_RESULT,
	W_MOVE,
	W_MOVE_DEL,
	W_MAX_ROWID,
	W_REPLAY,
	W_CHECK_BY_REF,
	W_META_SET,
	W_RUN_PUT,
	W_RUN_BEFORE,
	W_PREV_RESULT,
	W_RESULTS_FROM,
	W_RUN_AT,
	W_RUNS_DEL,
	W_META_ADD,
	W_META_MAX,
	W_META_GET,
	W_PRUNE_NEXT,
	W_PRUNE_DEL,
	W_AGENT_SUB,
	W_MARK,
	W_COUNT
};

static const char *const wsql[W_COUNT] = {
    [W_BEGIN] = "BEGIN IMMEDIATE",
    [W_COMMIT] = "COMMIT",
    [W_ROLLBACK] = "ROLLBACK",
    [W_SAVEPOINT] = "SAVEPOINT job",
    [W_RELEASE] = "RELEASE job",
    [W_ROLLBACK_TO] = "ROLLBACK TO job",
    [W_DEDUP] = "INSERT OR IGNORE INTO batches (agent, stream, batch, received, n) "
                "VALUES (?1, ?2, ?3, ?4, ?5)",
    [W_AGENT] = "INSERT INTO agents (id, site, roles, first_seen, last_seen, results_stored) "
                "VALUES (?1, ?2, ?3, ?4, ?4, ?5) ON CONFLICT (id) DO UPDATE SET "
                "site = excluded.site, roles = excluded.roles, "
                "last_seen = max(last_seen, excluded.last_seen), "
                "results_stored = results_stored + excluded.results_stored",
    [W_CHECK_GET] = "SELECT ref, last_ts, last_status, interval, rule, target, kind, title, "
                    "advice, refs FROM checks WHERE agent = ?1 AND \"check\" = ?2",
    [W_LAST_RUN] = "SELECT start, last, until, status FROM runs WHERE ref = ?1 "
                   "ORDER BY start DESC LIMIT 1",
    [W_CHECK_NEW] = "INSERT INTO checks (agent, \"check\", rule, target, kind, title, interval, "
                    "advice, refs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [W_CHECK_META] = "UPDATE checks SET rule = ?2, target = ?3, kind = ?4, title = ?5, "
                     "interval = ?6, advice = ?7, refs = ?8 WHERE ref = ?1",
    [W_CHECK_LAST] = "UPDATE checks SET (last_ts, last_status, last_message, last_metrics) = "
                     "(SELECT ts, status, message, metrics FROM results WHERE id = ?2) "
                     "WHERE ref = ?1 AND EXISTS (SELECT 1 FROM results WHERE id = ?2)",
    [W_RESULT] = "INSERT INTO results_new (rowid, ref, ts, status, interval, message, metrics, "
                 "facts) VALUES (?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* in rowid order: appends to the table, and each index page is
       written once per move however the checks interleave */
    [W_MOVE] = "INSERT INTO results_sorted (rowid, ref, ts, status, interval, message, metrics, "
               "facts) SELECT rowid, ref, ts, status, interval, message, metrics, facts "
               "FROM results_new ORDER BY rowid",
    [W_MOVE_DEL] = "DELETE FROM results_new",
    [W_MAX_ROWID] = "SELECT max(coalesce((SELECT max(rowid) FROM results_sorted), 0), "
                    "coalesce((SELECT max(rowid) FROM results_new), 0)), "
                    "(SELECT count(*) FROM results_new)",
    [W_REPLAY] = "SELECT id, ref, ts, status, interval FROM results WHERE id > ?1 ORDER BY id",
    [W_CHECK_BY_REF] = "SELECT agent, \"check\" FROM checks WHERE ref = ?1",
    [W_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
    [W_RUN_PUT] = "INSERT OR REPLACE INTO runs (ref, start, last, until, status) "
                  "VALUES (?1, ?2, ?3, ?4, ?5)",
    [W_RUN_BEFORE] = "SELECT start, last, until, status FROM runs WHERE ref = ?1 AND start < ?2 "
                     "ORDER BY start DESC LIMIT 1",
    /* refold reads results_sorted only (it moves the staged rows first);
       rows after ?3 had not arrived when the fold being replayed ran */
    [W_PREV_RESULT] = "SELECT ts, interval FROM results_sorted WHERE ref = ?1 AND ts < ?2 "
                      "AND rowid <= ?3 ORDER BY ts DESC, rowid DESC LIMIT 1",
    [W_RESULTS_FROM] = "SELECT ts, status, interval FROM results_sorted WHERE ref = ?1 "
                       "AND ts >= ?2 AND rowid <= ?3 ORDER BY ts, rowid",
    [W_RUN_AT] = "SELECT status FROM runs WHERE ref = ?1 AND start = ?2",
    [W_RUNS_DEL] = "DELETE FROM runs WHERE ref = ?1 AND start >= ?2 AND start < ?3",
    [W_META_ADD] = "UPDATE meta SET value = value + ?2 WHERE key = ?1",
    [W_META_MAX] = "UPDATE meta SET value = max(value, ?2) WHERE key = ?1",
    [W_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [W_PRUNE_NEXT] = "SELECT ref, agent FROM checks WHERE ref >= ?1 ORDER BY ref LIMIT 1",
    [W_PRUNE_DEL] = "DELETE FROM results_sorted WHERE rowid IN (SELECT rowid FROM "
                    "results_sorted WHERE ref = ?1 AND ts < ?2 LIMIT ?3)",
    [W_AGENT_SUB] = "UPDATE agents SET results_stored = max(0, results_stored - ?2) WHERE id = ?1",
    [W_MARK] = "INSERT OR REPLACE INTO reports (month, what, at) VALUES (?1, ?2, ?3)",
};

struct store_writer {
	struct store *st;
	sqlite3 *db;
	sqlite3_stmt *s[W_COUNT];
	pthread_t thread;

	pthread_mutex_t mu;     /* guards the fields down to last_group */
	pthread_cond_t work_cv; /* writer: something queued or stop */
	pthread_cond_t done_cv; /* callers: a group finished */
	struct job *head, *tail;
	size_t queued;
	int stop, hold;
	uint64_t duplicates;
	size_t last_group;
	size_t expect;    /* callers busy during the last group */
	int64_t flush_ms; /* store_writer_set_flush_ms */

	/* writer thread only */
	struct cent **ht;
	size_t hcap, hn;
	uint64_t batch_gen, txn_gen;
	struct snap *snaps;
	size_t nsnaps, csnaps;
	struct cent **touched; /* entries touched in this transaction */
	size_t ntouched, ctouched;
	int stale_mult;
	int64_t stale_fixed;
	int64_t pruned_before;
	uint64_t txn_results, txn_batches, txn_dups;
	int64_t next_rowid;  /* rowid of the next raw row */
	int64_t staged;      /* rows in results_new */
	size_t npending;     /* finished runs waiting in the cache */
	int64_t last_flush;  /* monotonic ms */
	int64_t flush_every; /* copy of flush_ms taken with mu held */
	int force_flush;     /* this transaction must write everything */
	int need_replay;     /* the cache was lost: fold again from folded_rowid */
	int unflushed;       /* commits since the last flush (guarded by mu) */
};

/* ---- statements ---- */

static sqlite3_stmt *
ws(struct store_writer *w, enum wstmt i)
{
	sqlite3_reset(w->s[i]);
	sqlite3_clear_bindings(w->s[i]);
	return w->s[i];
}

static const char *
dberr(struct store_writer *w)
{
	return sqlite3_errmsg(w->db);
}

/* Run a statement that returns no rows. */
static int
ws_exec(struct store_writer *w, sqlite3_stmt *s, const char **error_r)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*error_r = store_err("%s", dberr(w));
		return -1;
	}
	return 0;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static char *
col_strdup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

static int64_t
stale(struct store_writer *w, int64_t interval)
{
	return store_stale_with(w->stale_mult, w->stale_fixed, interval);
}

/* ---- the cache ---- */

static uint64_t
key_hash(const char *agent, const char *check)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)agent; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const unsigned char *p = (const unsigned char *)check; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static void
meta_free(struct cent *e)
{
	free(e->rule);
	free(e->target);
	free(e->kind);
	free(e->title);
	free(e->advice);
	free(e->refs);
	e->rule = e->target = e->kind = e->title = e->advice = e->refs = NULL;
	e->meta_known = 0;
}

static void
cent_free(struct cent *e)
{
	meta_free(e);
	free(e->agent);
	free(e->check);
	free(e->pend);
	free(e);
}

static void
ht_insert(struct store_writer *w, struct cent *e)
{
	if (w->hn + 1 > w->hcap / 2) {
		size_t ncap = w->hcap == 0 ? 1024 : w->hcap * 2;
		struct cent **nt = xcalloc(ncap, sizeof(*nt));

		for (size_t i = 0; i < w->hcap; i++) {
			struct cent *x, *nx;

			for (x = w->ht[i]; x != NULL; x = nx) {
				nx = x->hnext;
				x->hnext = nt[x->hash & (ncap - 1)];
				nt[x->hash & (ncap - 1)] = x;
			}
		}
		free(w->ht);
		w->ht = nt;
		w->hcap = ncap;
	}
	e->hnext = w->ht[e->hash & (w->hcap - 1)];
	w->ht[e->hash & (w->hcap - 1)] = e;
	w->hn++;
}

static void
ht_remove(struct store_writer *w, struct cent *e)
{
	struct cent **pp = &w->ht[e->hash & (w->hcap - 1)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e) {
		*pp = e->hnext;
		w->hn--;
	}
}

/* Forget everything cached: after a failed transaction the cache may be
   ahead of the database; it reloads on demand. */
static void
cache_clear(struct store_writer *w)
{
	for (size_t i = 0; i < w->hcap; i++) {
		struct cent *x, *nx;

		for (x = w->ht[i]; x != NULL; x = nx) {
			nx = x->hnext;
			cent_free(x);
		}
		w->ht[i] = NULL;
	}
	w->hn = 0;
	w->ntouched = 0;
	w->npending = 0;
}

static struct run *
runs_dup(const struct run *v, size_t n)
{
	struct run *c;

	if (n == 0)
		return NULL;
	c = xmalloc(n * sizeof(*c));
	memcpy(c, v, n * sizeof(*c));
	return c;
}

/* Note e as touched by the current job and transaction: the first touch
   in a job saves what a rollback restores. */
static void
touch(struct store_writer *w, struct cent *e, int created)
{
	if (e->batch_gen != w->batch_gen) {
		e->batch_gen = w->batch_gen;
		w->snaps = xgrow(w->snaps, &w->csnaps, w->nsnaps + 1, sizeof(*w->snaps));
		w->snaps[w->nsnaps].e = e;
		w->snaps[w->nsnaps].created = created;
		w->snaps[w->nsnaps].s = e->s;
		w->snaps[w->nsnaps].npend = e->npend;
		w->snaps[w->nsnaps].pend = runs_dup(e->pend, e->npend);
		w->nsnaps++;
	}
	if (e->txn_gen != w->txn_gen) {
		e->txn_gen = w->txn_gen;
		w->touched = xgrow(w->touched, &w->ctouched, w->ntouched + 1, sizeof(*w->touched));
		w->touched[w->ntouched++] = e;
	}
}

static void
snaps_drop(struct store_writer *w)
{
	for (size_t i = 0; i < w->nsnaps; i++)
		free(w->snaps[i].pend);
	w->nsnaps = 0;
}

/* Undo the current job's changes to the cache (its savepoint was rolled
   back). */
static void
snaps_restore(struct store_writer *w)
{
	for (size_t i = w->nsnaps; i-- > 0;) {
		struct cent *e = w->snaps[i].e;

		if (w->snaps[i].created) {
			w->npending -= e->npend;
			for (size_t j = 0; j < w->ntouched; j++)
				if (w->touched[j] == e) {
					w->touched[j] = w->touched[--w->ntouched];
					break;
				}
			ht_remove(w, e);
			cent_free(e);
		} else {
			e->s = w->snaps[i].s;
			w->npending -= e->npend;
			e->npend = 0;
			if (w->snaps[i].npend > 0) {
				e->pend =
				    xgrow(e->pend, &e->cpend, w->snaps[i].npend, sizeof(*e->pend));
				memcpy(e->pend, w->snaps[i].pend,
				       w->snaps[i].npend * sizeof(*e->pend));
				e->npend = w->snaps[i].npend;
				w->npending += e->npend;
			}
			/* a metadata UPDATE may have been rolled back too */
			meta_free(e);
		}
	}
	snaps_drop(w);
}

static void
meta_set(struct cent *e, const struct ingest_result *r)
{
	meta_free(e);
	e->rule = r->rule != NULL ? xstrdup(r->rule) : NULL;
	e->target = r->target != NULL ? xstrdup(r->target) : NULL;
	e->kind = r->kind != NULL ? xstrdup(r->kind) : NULL;
	e->title = r->title != NULL ? xstrdup(r->title) : NULL;
	e->advice = r->advice != NULL ? xstrdup(r->advice) : NULL;
	e->refs = r->references != NULL ? xstrdup(r->references) : NULL;
	e->interval = r->interval;
	e->meta_known = 1;
}

static int
streq0(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
meta_same(const struct cent *e, const struct ingest_result *r)
{
	return e->meta_known && e->interval == r->interval && streq0(e->rule, r->rule) &&
	       streq0(e->target, r->target) && streq0(e->kind, r->kind) &&
	       streq0(e->title, r->title) && streq0(e->advice, r->advice) &&
	       streq0(e->refs, r->references);
}

static void
bind_meta(sqlite3_stmt *s, int first, const struct ingest_result *r)
{
	bind_text(s, first, r->rule);
	bind_text(s, first + 1, r->target);
	bind_text(s, first + 2, r->kind);
	bind_text(s, first + 3, r->title);
	sqlite3_bind_int64(s, first + 4, r->interval);
	bind_text(s, first + 5, r->advice);
	bind_text(s, first + 6, r->references);
}

/* The cache entry of (agent, r->check), loaded or created (the check row
   is inserted for a new check). */
static struct cent *
cent_get(struct store_writer *w, const char *agent, const struct ingest_result *r,
         const char **error_r)
{
	uint64_t h = key_hash(agent, r->check);
	struct cent *e;
	sqlite3_stmt *s;
	int rc;

	if (w->hcap > 0)
		for (e = w->ht[h & (w->hcap - 1)]; e != NULL; e = e->hnext)
			if (e->hash == h && strcmp(e->check, r->check) == 0 &&
			    strcmp(e->agent, agent) == 0) {
				touch(w, e, 0);
				return e;
			}

	e = xcalloc(1, sizeof(*e));
	e->hash = h;
	e->agent = xstrdup(agent);
	e->check = xstrdup(r->check);
	e->s.last_status = -1;
	e->s.run.status = -1;

	s = ws(w, W_CHECK_GET);
	bind_text(s, 1, agent);
	bind_text(s, 2, r->check);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		e->ref = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
			e->s.last_ts = sqlite3_column_int64(s, 1);
			e->s.last_status = sqlite3_column_int(s, 2);
		}
		e->interval = sqlite3_column_int64(s, 3);
		e->rule = col_strdup(s, 4);
		e->target = col_strdup(s, 5);
		e->kind = col_strdup(s, 6);
		e->title = col_strdup(s, 7);
		e->advice = col_strdup(s, 8);
		e->refs = col_strdup(s, 9);
		e->meta_known = 1;
		sqlite3_reset(s);

		s = ws(w, W_LAST_RUN);
		sqlite3_bind_int64(s, 1, e->ref);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			e->s.has_run = 1;
			e->s.run.start = sqlite3_column_int64(s, 0);
			e->s.run.last = sqlite3_column_int64(s, 1);
			e->s.run.until = sqlite3_column_int64(s, 2);
			e->s.run.status = sqlite3_column_int(s, 3);
		} else if (rc != SQLITE_DONE) {
			*error_r = store_err("%s", dberr(w));
			sqlite3_reset(s);
			cent_free(e);
			return NULL;
		}
		sqlite3_reset(s);
		ht_insert(w, e);
		touch(w, e, 0);
		return e;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*error_r = store_err("%s", dberr(w));
		cent_free(e);
		return NULL;
	}

	s = ws(w, W_CHECK_NEW);
	bind_text(s, 1, agent);
	bind_text(s, 2, r->check);
	bind_meta(s, 3, r);
	if (ws_exec(w, s, error_r) < 0) {
		cent_free(e);
		return NULL;
	}
	e->ref = sqlite3_last_insert_rowid(w->db);
	meta_set(e, r);
	ht_insert(w, e);
	touch(w, e, 1);
	return e;
}

/* ---- runs ---- */

static int
run_put(struct store_writer *w, int64_t ref, const struct run *r, const char **error_r)
{
	sqlite3_stmt *s = ws(w, W_RUN_PUT);

	sqlite3_bind_int64(s, 1, ref);
	sqlite3_bind_int64(s, 2, r->start);
	sqlite3_bind_int64(s, 3, r->last);
	sqlite3_bind_int64(s, 4, r->until);
	sqlite3_bind_int(s, 5, r->status);
	return ws_exec(w, s, error_r);
}

/* Status of the stored run starting at ts, or -1. */
static int
run_status_at(struct store_writer *w, int64_t ref, int64_t ts, const char **error_r)
{
	sqlite3_stmt *s = ws(w, W_RUN_AT);
	int rc, status = -1;

	sqlite3_bind_int64(s, 1, ref);
	sqlite3_bind_int64(s, 2, ts);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		status = sqlite3_column_int(s, 0);
	else if (rc != SQLITE_DONE) {
		*error_r = store_err("%s", dberr(w));
		status = -2;
	}
	sqlite3_reset(s);
	return status;
}

/* Move the staged raw rows into the indexed table. */
static int
stage_move(struct store_writer *w, const char **error_r)
{
	/* Always, even when w->staged says 0: a move inside a job that was
	   rolled back leaves rows the count does not know of. */
	if (ws_exec(w, ws(w, W_MOVE), error_r) < 0 || ws_exec(w, ws(w, W_MOVE_DEL), error_r) < 0)
		return -1;
	w->staged = 0;
	return 0;
}

/* Fold the check's results from ts on into runs again, after a result at
   ts arrived that is not after the check's latest one.  The fold starts
   from the state just before ts (the run before ts, cut at the last
   result before ts) and stops where it meets a stored run again: a run
   that starts at the same result with the same status in both folds
   continues identically from there.  Runs from the run before ts up to
   that point are replaced.  Results with equal ts: the one stored last
   counts. */
static int
refold(struct store_writer *w, struct cent *e, int64_t ts, int64_t upto, const char **error_r)
{
	struct run state = {0, 0, 0, -1}, *nv = NULL;
	size_t nn = 0, cn = 0;
	int64_t del_from = ts, del_to = INT64_MAX;
	int have = 0, converged = 0, rc, ret = -1;
	sqlite3_stmt *s;
	int64_t pts = 0, pival = 0;
	int pstatus = 0, pending = 0;

	/* The fold works on the stored runs and the sorted raw rows: write
	   what the cache holds back for this check and move the staged rows.
	   The database then runs ahead of folded_rowid, so this transaction
	   writes everything behind (force_flush). */
	w->force_flush = 1;
	if (stage_move(w, error_r) < 0)
		return -1;
	for (size_t i = 0; i < e->npend; i++)
		if (run_put(w, e->ref, &e->pend[i], error_r) < 0)
			return -1;
	w->npending -= e->npend;
	e->npend = 0;
	if (e->s.has_run && e->s.dirty_run) {
		if (run_put(w, e->ref, &e->s.run, error_r) < 0)
			return -1;
		e->s.dirty_run = 0;
	}
	/* Before the prune horizon the raw rows are gone: the runs there
	   are final. */
	if (ts < w->pruned_before)
		return 0;

	s = ws(w, W_RUN_BEFORE);
	sqlite3_bind_int64(s, 1, e->ref);
	sqlite3_bind_int64(s, 2, ts);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		state.start = sqlite3_column_int64(s, 0);
		state.last = sqlite3_column_int64(s, 1);
		state.until = sqlite3_column_int64(s, 2);
		state.status = sqlite3_column_int(s, 3);
		have = 1;
		del_from = state.start;
	} else if (rc != SQLITE_DONE) {
		*error_r = store_err("%s", dberr(w));
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	if (have && state.last >= ts) {
		/* ts falls among the run's results: cut it at the last one
		   before ts */
		s = ws(w, W_PREV_RESULT);
		sqlite3_bind_int64(s, 1, e->ref);
		sqlite3_bind_int64(s, 2, ts);
		sqlite3_bind_int64(s, 3, upto);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW && sqlite3_column_int64(s, 0) >= state.start) {
			state.last = sqlite3_column_int64(s, 0);
			state.until = state.last + stale(w, sqlite3_column_int64(s, 1));
		} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
			/* its raw rows were pruned meanwhile: keep the run
			   alive up to ts */
			state.last = state.start;
			state.until = ts + 1;
		} else {
			*error_r = store_err("%s", dberr(w));
			sqlite3_reset(s);
			return -1;
		}
		sqlite3_reset(s);
	}

	s = ws(w, W_RESULTS_FROM);
	sqlite3_bind_int64(s, 1, e->ref);
	sqlite3_bind_int64(s, 2, ts);
	sqlite3_bind_int64(s, 3, upto);
	for (;;) {
		int64_t xts, xival;
		int xstatus, more, st;

		rc = sqlite3_step(s);
		more = rc == SQLITE_ROW;
		if (!more && rc != SQLITE_DONE) {
			*error_r = store_err("%s", dberr(w));
			goto out;
		}
		if (more && pending && sqlite3_column_int64(s, 0) == pts) {
			/* same ts: the row stored later replaces the pending one */
			pstatus = sqlite3_column_int(s, 1);
			pival = sqlite3_column_int64(s, 2);
			continue;
		}
		if (pending) {
			xts = pts;
			xstatus = pstatus;
			xival = pival;
			if (have && xstatus == state.status && xts < state.until) {
				state.last = xts;
				state.until = xts + stale(w, xival);
			} else {
				if (xts > ts) {
					st = run_status_at(w, e->ref, xts, error_r);
					if (st == -2)
						goto out;
					if (st == xstatus) {
						converged = 1;
						del_to = xts;
						break;
					}
				}
				if (have) {
					nv = xgrow(nv, &cn, nn + 1, sizeof(*nv));
					nv[nn++] = state;
				}
				state.start = state.last = xts;
				state.until = xts + stale(w, xival);
				state.status = xstatus;
				have = 1;
			}
		}
		if (!more)
			break;
		pts = sqlite3_column_int64(s, 0);
		pstatus = sqlite3_column_int(s, 1);
		pival = sqlite3_column_int64(s, 2);
		pending = 1;
	}
	sqlite3_reset(s);
	if (converged && have) {
		nv = xgrow(nv, &cn, nn + 1, sizeof(*nv));
		nv[nn++] = state;
	}

	s = ws(w, W_RUNS_DEL);
	sqlite3_bind_int64(s, 1, e->ref);
	sqlite3_bind_int64(s, 2, del_from);
	sqlite3_bind_int64(s, 3, del_to);
	if (ws_exec(w, s, error_r) < 0)
		goto out;
	for (size_t i = 0; i < nn; i++)
		if (run_put(w, e->ref, &nv[i], error_r) < 0)
			goto out;
	if (!converged && have) {
		/* the fold reached the check's end: its last run changed */
		e->s.has_run = 1;
		e->s.run = state;
		e->s.dirty_run = 1;
	}
	ret = 0;
out:
	sqlite3_reset(s);
	free(nv);
	return ret;
}

/* ---- jobs ---- */

/* Fold the raw row (rowid, ts, status, interval) of e's check into the
   cache: the same code serves ingest and the replay at open, which is
   what makes the replay give what the lost cache held. */
static int
fold_result(struct store_writer *w, struct cent *e, int64_t rowid, int64_t ts, int status,
            int64_t interval, const char **error_r)
{
	if (e->s.last_status < 0 || ts >= e->s.last_ts) {
		/* the check's latest result (equal ts: stored later wins) */
		int inorder = e->s.last_status < 0 || ts > e->s.last_ts;

		e->s.last_ts = ts;
		e->s.last_rowid = rowid;
		e->s.last_status = status;
		e->s.dirty_check = 1;
		if (!inorder)
			return refold(w, e, ts, rowid, error_r);
		if (e->s.has_run && status == e->s.run.status && ts < e->s.run.until) {
			e->s.run.last = ts;
			e->s.run.until = ts + stale(w, interval);
		} else {
			if (e->s.has_run && e->s.dirty_run) {
				/* the finished run waits for the next flush */
				e->pend = xgrow(e->pend, &e->cpend, e->npend + 1, sizeof(*e->pend));
				e->pend[e->npend++] = e->s.run;
				w->npending++;
			}
			e->s.has_run = 1;
			e->s.run.start = e->s.run.last = ts;
			e->s.run.until = ts + stale(w, interval);
			e->s.run.status = status;
		}
		e->s.dirty_run = 1;
		return 0;
	}
	return refold(w, e, ts, rowid, error_r);
}

static int
ingest_result(struct store_writer *w, const struct ingest_batch *b, const struct ingest_result *r,
              const char **error_r)
{
	struct cent *e = cent_get(w, b->agent, r, error_r);
	sqlite3_stmt *s;
	int64_t rowid;

	if (e == NULL)
		return -1;
	rowid = w->next_rowid;
	s = ws(w, W_RESULT);
	sqlite3_bind_int64(s, 1, e->ref);
	sqlite3_bind_int64(s, 2, r->ts);
	sqlite3_bind_int(s, 3, r->status);
	sqlite3_bind_int64(s, 4, r->interval);
	bind_text(s, 5, r->message);
	bind_text(s, 6, r->metrics);
	bind_text(s, 7, r->facts);
	sqlite3_bind_int64(s, 8, rowid);
	if (ws_exec(w, s, error_r) < 0)
		return -1;
	/* a rolled-back row leaves a gap: rowids only need to grow */
	w->next_rowid++;
	w->staged++;
	if ((e->s.last_status < 0 || r->ts >= e->s.last_ts) && !meta_same(e, r)) {
		/* metadata of the latest result: written at once, it is not
		   part of the fold */
		s = ws(w, W_CHECK_META);
		sqlite3_bind_int64(s, 1, e->ref);
		bind_meta(s, 2, r);
		if (ws_exec(w, s, error_r) < 0)
			return -1;
		meta_set(e, r);
	}
	return fold_result(w, e, rowid, r->ts, r->status, r->interval, error_r);
}

static int
job_ingest(struct store_writer *w, struct job *j, const char **error_r)
{
	const struct ingest_batch *b = j->b;
	sqlite3_stmt *s = ws(w, W_DEDUP);

	bind_text(s, 1, b->agent);
	bind_text(s, 2, b->stream);
	sqlite3_bind_int64(s, 3, b->batch);
	sqlite3_bind_int64(s, 4, b->received);
	sqlite3_bind_int64(s, 5, (int64_t)b->n);
	if (ws_exec(w, s, error_r) < 0)
		return -1;
	if (sqlite3_changes(w->db) == 0) {
		j->duplicate = 1;
		return 0;
	}
	for (size_t i = 0; i < b->n; i++)
		if (ingest_result(w, b, &b->results[i], error_r) < 0) {
			*error_r = store_err("results[%zu]: %s", i, *error_r);
			return -1;
		}
	s = ws(w, W_AGENT);
	bind_text(s, 1, b->agent);
	bind_text(s, 2, b->site);
	bind_text(s, 3, b->roles);
	sqlite3_bind_int64(s, 4, b->received);
	sqlite3_bind_int64(s, 5, (int64_t)b->n);
	return ws_exec(w, s, error_r);
}

static int
job_prune(struct store_writer *w, struct job *j, const char **error_r)
{
	int64_t left = PRUNE_CHUNK;
	sqlite3_stmt *s;
	int rc;

	j->deleted = 0;
	/* staged rows are pruned too; and a row pruned before its fold was
	   written could not be folded again after a crash: write behind now */
	w->force_flush = 1;
	if (stage_move(w, error_r) < 0)
		return -1;
	s = ws(w, W_META_MAX);
	bind_text(s, 1, "pruned_before");
	sqlite3_bind_int64(s, 2, j->before);
	if (ws_exec(w, s, error_r) < 0)
		return -1;
	while (left > 0) {
		int64_t ref, n;
		char *agent;

		s = ws(w, W_PRUNE_NEXT);
		sqlite3_bind_int64(s, 1, j->cursor);
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			sqlite3_reset(s);
			j->finished = 1;
			break;
		}
		if (rc != SQLITE_ROW) {
			*error_r = store_err("%s", dberr(w));
			sqlite3_reset(s);
			return -1;
		}
		ref = sqlite3_column_int64(s, 0);
		agent = col_strdup(s, 1);
		sqlite3_reset(s);

		s = ws(w, W_PRUNE_DEL);
		sqlite3_bind_int64(s, 1, ref);
		sqlite3_bind_int64(s, 2, j->before);
		sqlite3_bind_int64(s, 3, left);
		if (ws_exec(w, s, error_r) < 0) {
			free(agent);
			return -1;
		}
		n = sqlite3_changes(w->db);
		if (n > 0) {
			s = ws(w, W_AGENT_SUB);
			bind_text(s, 1, agent);
			sqlite3_bind_int64(s, 2, n);
			if (ws_exec(w, s, error_r) < 0) {
				free(agent);
				return -1;
			}
		}
		free(agent);
		j->deleted += (uint64_t)n;
		left -= n;
		/* a check with rows left is looked at again next chunk */
		j->cursor = left > 0 ? ref + 1 : ref;
	}
	return 0;
}

static int
job_mark(struct store_writer *w, struct job *j, const char **error_r)
{
	sqlite3_stmt *s = ws(w, W_MARK);

	bind_text(s, 1, j->month);
	bind_text(s, 2, j->what);
	sqlite3_bind_int64(s, 3, j->when);
	return ws_exec(w, s, error_r);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
meta_set_value(struct store_writer *w, const char *key, int64_t v, const char **error_r)
{
	sqlite3_stmt *s = ws(w, W_META_SET);

	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, v);
	return ws_exec(w, s, error_r);
}

/* Write behind: every changed check row and run the cache holds, the
   staged raw rows into the indexed table, and folded_rowid = the last raw
   row whose effect is now written. */
static int
flush_all(struct store_writer *w, const char **error_r)
{
	sqlite3_stmt *s;

	for (size_t h = 0; h < w->hcap; h++)
		for (struct cent *e = w->ht[h]; e != NULL; e = e->hnext) {
			if (e->s.dirty_check) {
				s = ws(w, W_CHECK_LAST);
				sqlite3_bind_int64(s, 1, e->ref);
				sqlite3_bind_int64(s, 2, e->s.last_rowid);
				if (ws_exec(w, s, error_r) < 0)
					return -1;
			}
			for (size_t i = 0; i < e->npend; i++)
				if (run_put(w, e->ref, &e->pend[i], error_r) < 0)
					return -1;
			if (e->s.dirty_run && e->s.has_run &&
			    run_put(w, e->ref, &e->s.run, error_r) < 0)
				return -1;
		}
	if (stage_move(w, error_r) < 0)
		return -1;
	return meta_set_value(w, "folded_rowid", w->next_rowid - 1, error_r);
}

/* After the commit of a flush: the cache matches the database. */
static void
flush_done(struct store_writer *w)
{
	for (size_t h = 0; h < w->hcap; h++)
		for (struct cent *e = w->ht[h]; e != NULL; e = e->hnext) {
			e->s.dirty_check = e->s.dirty_run = 0;
			e->npend = 0;
		}
	w->npending = 0;
	w->force_flush = 0;
	w->last_flush = mono_ms();
}

static int
write_counters(struct store_writer *w, const char **error_r)
{
	sqlite3_stmt *s;

	if (w->txn_results > 0) {
		s = ws(w, W_META_ADD);
		bind_text(s, 1, "results_stored_total");
		sqlite3_bind_int64(s, 2, (int64_t)w->txn_results);
		if (ws_exec(w, s, error_r) < 0)
			return -1;
	}
	if (w->txn_batches > 0) {
		s = ws(w, W_META_ADD);
		bind_text(s, 1, "batches_total");
		sqlite3_bind_int64(s, 2, (int64_t)w->txn_batches);
		if (ws_exec(w, s, error_r) < 0)
			return -1;
	}
	return 0;
}

/* Fold again the raw rows after folded_rowid into a cache that lost them
   (at open, or after a failed commit), and write the result behind at
   once.  Rows are taken in rowid order, which is arrival order, through
   fold_result: the same steps as when they arrived. */
static int
replay(struct store_writer *w, const char **error_r)
{
	struct row {
		int64_t id, ref, ts, ival;
		int status;
	} *v = NULL;
	size_t n = 0, cap = 0;
	int64_t folded = 0;
	sqlite3_stmt *s;
	const char *err2;
	int rc;

	cache_clear(w);
	store_stale_rule(w->st, &w->stale_mult, &w->stale_fixed);
	w->txn_gen++;
	w->ntouched = 0;
	if (ws_exec(w, ws(w, W_BEGIN), error_r) < 0)
		return -1;
	s = ws(w, W_MAX_ROWID);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto sqlfail;
	w->next_rowid = sqlite3_column_int64(s, 0) + 1;
	w->staged = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	s = ws(w, W_META_GET);
	bind_text(s, 1, "pruned_before");
	if (sqlite3_step(s) == SQLITE_ROW)
		w->pruned_before = sqlite3_column_int64(s, 0);
	s = ws(w, W_META_GET);
	bind_text(s, 1, "folded_rowid");
	if (sqlite3_step(s) == SQLITE_ROW)
		folded = sqlite3_column_int64(s, 0);
	/* a statement left pending would keep a read transaction open */
	sqlite3_reset(s);
	s = ws(w, W_REPLAY);
	sqlite3_bind_int64(s, 1, folded);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n].id = sqlite3_column_int64(s, 0);
		v[n].ref = sqlite3_column_int64(s, 1);
		v[n].ts = sqlite3_column_int64(s, 2);
		v[n].status = sqlite3_column_int(s, 3);
		v[n].ival = sqlite3_column_int64(s, 4);
		n++;
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_reset(s);
	for (size_t i = 0; i < n; i++) {
		struct ingest_result r;
		struct cent *e;
		char *agent;

		memset(&r, 0, sizeof(r));
		s = ws(w, W_CHECK_BY_REF);
		sqlite3_bind_int64(s, 1, v[i].ref);
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			sqlite3_reset(s);
			continue; /* cannot happen: checks rows are never deleted */
		}
		if (rc != SQLITE_ROW)
			goto sqlfail;
		agent = col_strdup(s, 0);
		r.check = col_strdup(s, 1);
		sqlite3_reset(s);
		w->batch_gen++;
		if (agent != NULL && r.check != NULL)
			e = cent_get(w, agent, &r, error_r);
		else {
			*error_r = store_err("check %lld has no name", (long long)v[i].ref);
			e = NULL;
		}
		free(agent);
		free((char *)r.check);
		snaps_drop(w);
		if (e == NULL)
			goto fail;
		if (fold_result(w, e, v[i].id, v[i].ts, v[i].status, v[i].ival, error_r) < 0)
			goto fail;
	}
	free(v);
	v = NULL;
	if (flush_all(w, error_r) < 0 || ws_exec(w, ws(w, W_COMMIT), error_r) < 0)
		goto fail;
	flush_done(w);
	w->ntouched = 0;
	w->need_replay = 0;
	return 0;
sqlfail:
	*error_r = store_err("%s", dberr(w));
fail:
	sqlite3_reset(s);
	free(v);
	ws_exec(w, ws(w, W_ROLLBACK), &err2);
	cache_clear(w);
	snaps_drop(w);
	w->need_replay = 1;
	return -1;
}

static void
job_fail(struct job *j, const char *msg)
{
	j->rc = -1;
	snprintf(j->err, sizeof(j->err), "%s", msg);
}

static void
run_group(struct store_writer *w, struct job *list)
{
	const char *error = NULL;
	struct job *j;
	int flush;

	if (w->need_replay && replay(w, &error) < 0) {
		const char *msg = store_err("recovering checks and runs: %s", error);

		for (j = list; j != NULL; j = j->next)
			job_fail(j, msg);
		return;
	}
	store_stale_rule(w->st, &w->stale_mult, &w->stale_fixed);
	w->txn_gen++;
	w->txn_results = w->txn_batches = w->txn_dups = 0;
	w->ntouched = 0;
	if (ws_exec(w, ws(w, W_BEGIN), &error) < 0) {
		for (j = list; j != NULL; j = j->next)
			job_fail(j, store_err("begin: %s", error));
		return;
	}
	for (j = list; j != NULL; j = j->next) {
		int rc;

		w->batch_gen++;
		snaps_drop(w);
		if (ws_exec(w, ws(w, W_SAVEPOINT), &error) < 0) {
			job_fail(j, error);
			continue;
		}
		switch (j->kind) {
		case JOB_INGEST:
			rc = job_ingest(w, j, &error);
			break;
		case JOB_PRUNE:
			rc = job_prune(w, j, &error);
			break;
		case JOB_FLUSH:
			w->force_flush = 1;
			rc = 0;
			break;
		case JOB_EXEC:
			error = NULL;
			rc = j->fn(w->db, j->arg, &error);
			if (rc < 0 && error == NULL)
				error = "failed";
			break;
		default:
			rc = job_mark(w, j, &error);
			break;
		}
		if (rc < 0) {
			job_fail(j, error);
			ws_exec(w, ws(w, W_ROLLBACK_TO), &error);
			snaps_restore(w);
		} else if (j->kind == JOB_INGEST) {
			if (j->duplicate) {
				w->txn_dups++;
			} else {
				w->txn_batches++;
				w->txn_results += j->b->n;
			}
		}
		ws_exec(w, ws(w, W_RELEASE), &error);
	}
	snaps_drop(w);
	flush = w->force_flush || w->staged >= STAGE_MAX || w->npending >= PENDING_MAX ||
	        w->flush_every == 0 ||
	        (w->flush_every > 0 && mono_ms() - w->last_flush >= w->flush_every);
	if (write_counters(w, &error) < 0 || (flush && flush_all(w, &error) < 0) ||
	    ws_exec(w, ws(w, W_COMMIT), &error) < 0) {
		const char *msg = store_err("commit: %s", error);

		for (j = list; j != NULL; j = j->next)
			if (j->rc == 0)
				job_fail(j, msg);
		ws_exec(w, ws(w, W_ROLLBACK), &error);
		/* the cache may hold changes of earlier commits not yet
		   written: rebuild it from the raw rows before the next group */
		cache_clear(w);
		w->need_replay = 1;
		w->force_flush = 0;
		return;
	}
	if (flush)
		flush_done(w);
	for (j = list; j != NULL; j = j->next)
		if (j->kind == JOB_PRUNE && j->rc == 0 && j->before > w->pruned_before)
			w->pruned_before = j->before;
	pthread_mutex_lock(&w->mu);
	w->duplicates += w->txn_dups;
	w->unflushed = !flush;
	pthread_mutex_unlock(&w->mu);
	w->ntouched = 0;
}

static void
deadline_after(struct timespec *dl, long us)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	dl->tv_sec += us / 1000000;
	dl->tv_nsec += (us % 1000000) * 1000;
	if (dl->tv_nsec >= 1000000000L) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000L;
	}
}

/* A group of one flush job nobody waits for (called with w->mu held). */
static void
flush_alone(struct store_writer *w)
{
	struct job fj;

	w->flush_every = w->flush_ms;
	pthread_mutex_unlock(&w->mu);
	memset(&fj, 0, sizeof(fj));
	fj.kind = JOB_FLUSH;
	run_group(w, &fj);
	pthread_mutex_lock(&w->mu);
}

static void *
writer_main(void *arg)
{
	struct store_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct job *list;
		size_t n;

		while ((w->head == NULL || w->hold) && !w->stop) {
			struct timespec dl;

			if (!w->unflushed || w->hold || w->flush_ms < 0) {
				pthread_cond_wait(&w->work_cv, &w->mu);
				continue;
			}
			/* Idle with changes not written: write them behind
			   soon, so that readers find the tail empty once
			   ingest pauses. */
			deadline_after(&dl, IDLE_FLUSH_MS * 1000L);
			if (pthread_cond_timedwait(&w->work_cv, &w->mu, &dl) == ETIMEDOUT &&
			    w->head == NULL && !w->stop)
				flush_alone(w);
		}
		if (w->head != NULL && w->queued < w->expect && !w->stop) {
			struct timespec dl;

			deadline_after(&dl, w->st->sync_full ? GATHER_US_FULL : GATHER_US_NORMAL);
			while (w->queued < w->expect && !w->stop && !w->hold &&
			       pthread_cond_timedwait(&w->work_cv, &w->mu, &dl) == 0)
				;
			if (w->hold && !w->stop)
				continue;
		}
		if (w->head == NULL) {
			/* closing: write behind what the cache holds */
			flush_alone(w);
			break;
		}
		list = w->head;
		n = w->queued;
		w->flush_every = w->flush_ms;
		w->head = w->tail = NULL;
		w->queued = 0;
		pthread_mutex_unlock(&w->mu);

		run_group(w, list);

		pthread_mutex_lock(&w->mu);
		w->last_group = n;
		w->expect = n + w->queued;
		for (struct job *j = list, *nx; j != NULL; j = nx) {
			nx = j->next;
			j->done = 1;
		}
		pthread_cond_broadcast(&w->done_cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Queue j and wait until the writer has committed (or failed) it. */
static void
submit(struct store_writer *w, struct job *j)
{
	j->next = NULL;
	j->done = 0;
	j->rc = 0;
	pthread_mutex_lock(&w->mu);
	if (w->tail != NULL)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued++;
	pthread_cond_signal(&w->work_cv);
	while (!j->done)
		pthread_cond_wait(&w->done_cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

/* ---- start, stop ---- */

int
store_writer_start(struct store *st, sqlite3 *db, const char **error_r)
{
	struct store_writer *w = xcalloc(1, sizeof(*w));

	w->st = st;
	w->db = db;
	for (int i = 0; i < W_COUNT; i++)
		if (sqlite3_prepare_v3(db, wsql[i], -1, SQLITE_PREPARE_PERSISTENT, &w->s[i],
		                       NULL) != SQLITE_OK) {
			*error_r = store_err("preparing statement %d: %s", i, sqlite3_errmsg(db));
			goto fail;
		}
	/* A large page cache for the writer: the result index is hot.  A
	   commit rewrites a page of the result index, of checks and of runs
	   for every check it touches; with the default checkpoint every 1000
	   pages the same pages would be copied back into the database file
	   every few commits.  Checkpointing every 16384 pages (64 MB of WAL)
	   copies each hot page once per many commits. */
	sqlite3_exec(db, "PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384", NULL,
	             NULL, NULL);
	w->flush_ms = w->flush_every = FLUSH_MS;
	/* checks and runs as they were when the last process stopped */
	if (replay(w, error_r) < 0) {
		*error_r = store_err("recovering checks and runs: %s", *error_r);
		cache_clear(w);
		free(w->ht);
		free(w->snaps);
		free(w->touched);
		goto fail;
	}

	pthread_mutex_init(&w->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&w->work_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_cond_init(&w->done_cv, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		*error_r = store_err("cannot start the writer thread");
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->work_cv);
		pthread_cond_destroy(&w->done_cv);
		goto fail;
	}
	st->w = w;
	return 0;
fail:
	for (int i = 0; i < W_COUNT; i++)
		sqlite3_finalize(w->s[i]);
	sqlite3_close(db);
	free(w);
	return -1;
}

void
store_writer_stop(struct store *st)
{
	struct store_writer *w = st->w;

	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->work_cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	cache_clear(w);
	free(w->ht);
	snaps_drop(w);
	free(w->snaps);
	free(w->touched);
	for (int i = 0; i < W_COUNT; i++)
		sqlite3_finalize(w->s[i]);
	sqlite3_close(w->db);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work_cv);
	pthread_cond_destroy(&w->done_cv);
	free(w);
	st->w = NULL;
}

uint64_t
store_writer_duplicates(struct store *st)
{
	uint64_t n;

	pthread_mutex_lock(&st->w->mu);
	n = st->w->duplicates;
	pthread_mutex_unlock(&st->w->mu);
	return n;
}

void
store_writer_hold(struct store *st, int hold)
{
	pthread_mutex_lock(&st->w->mu);
	st->w->hold = hold;
	pthread_cond_signal(&st->w->work_cv);
	pthread_mutex_unlock(&st->w->mu);
}

size_t
store_writer_queued(struct store *st)
{
	size_t n;

	pthread_mutex_lock(&st->w->mu);
	n = st->w->queued;
	pthread_mutex_unlock(&st->w->mu);
	return n;
}

void
store_writer_set_flush_ms(struct store *st, int64_t ms)
{
	pthread_mutex_lock(&st->w->mu);
	st->w->flush_ms = ms;
	pthread_mutex_unlock(&st->w->mu);
}

size_t
store_writer_last_group(struct store *st)
{
	size_t n;

	pthread_mutex_lock(&st->w->mu);
	n = st->w->last_group;
	pthread_mutex_unlock(&st->w->mu);
	return n;
}

/* ---- public write functions ---- */

static const char *
job_error(struct job *j)
{
	return store_err("%s", j->err);
}

/* ts and interval bounds keep ts + stale limit far from overflow. */
#define TS_MAX ((int64_t)1 << 40)
#define INTERVAL_MAX ((int64_t)1 << 30)

int
store_ingest(struct store *st, const struct ingest_batch *b, int *duplicate_r, const char **error_r)
{
	struct job j;

	*duplicate_r = 0;
	if (st->w == NULL) {
		*error_r = store_err("the store is open read-only");
		return -1;
	}
	if (b->agent == NULL || b->stream == NULL || (b->n > 0 && b->results == NULL)) {
		*error_r = store_err("batch without agent, stream or results");
		return -1;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct ingest_result *r = &b->results[i];

		if (r->check == NULL) {
			*error_r = store_err("results[%zu]: no check", i);
			return -1;
		}
		if (r->ts < 0 || r->ts > TS_MAX) {
			*error_r =
			    store_err("results[%zu]: ts %lld out of range", i, (long long)r->ts);
			return -1;
		}
		if (r->interval > INTERVAL_MAX) {
			*error_r = store_err("results[%zu]: interval %lld out of range", i,
			                     (long long)r->interval);
			return -1;
		}
	}
	memset(&j, 0, sizeof(j));
	j.kind = JOB_INGEST;
	j.b = b;
	submit(st->w, &j);
	if (j.rc < 0) {
		*error_r = job_error(&j);
		return -1;
	}
	*duplicate_r = j.duplicate;
	return 0;
}

int
store_prune(struct store *st, int64_t before, uint64_t *n_r, const char **error_r)
{
	struct job j;

	*n_r = 0;
	if (st->w == NULL) {
		*error_r = store_err("the store is open read-only");
		return -1;
	}
	memset(&j, 0, sizeof(j));
	j.kind = JOB_PRUNE;
	j.before = before;
	do {
		submit(st->w, &j);
		if (j.rc < 0) {
			*error_r = job_error(&j);
			return -1;
		}
		*n_r += j.deleted;
	} while (!j.finished);
	return 0;
}

int
store_report_mark(struct store *st, const char *month, const char *what, int64_t when,
                  const char **error_r)
{
	struct job j;

	if (st->w == NULL) {
		*error_r = store_err("the store is open read-only");
		return -1;
	}
	memset(&j, 0, sizeof(j));
	j.kind = JOB_MARK;
	j.month = month;
	j.what = what;
	j.when = when;
	submit(st->w, &j);
	if (j.rc < 0) {
		*error_r = job_error(&j);
		return -1;
	}
	return 0;
}

int
store_exec(struct store *st, store_sql_fn fn, void *arg, const char **error_r)
{
	struct job j;

	if (st->w == NULL) {
		*error_r = store_err("the store is open read-only");
		return -1;
	}
	memset(&j, 0, sizeof(j));
	j.kind = JOB_EXEC;
	j.fn = fn;
	j.arg = arg;
	submit(st->w, &j);
	if (j.rc < 0) {
		*error_r = job_error(&j);
		return -1;
	}
	return 0;
}
