/*
 * store_sqlite.c - the collector's store on SQLite (see store.h and
 * docs/internals/store.md): opening, the schema and its migrations, the
 * pool of read-only connections, the reads the SLA engine and /metrics
 * need, and the tail fold that completes the written-behind runs for
 * readers.  Writes live in store_writer.c, the API's JSON documents
 * in store_query.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

/* Idle reader connections kept open; more are opened on demand and closed
   when given back. */
#define POOL_KEEP 8

static _Thread_local char store_errbuf[1024];

const char *
store_err(const char *fmt, ...)
{
	char tmp[sizeof(store_errbuf)];
	va_list ap;

	/* through a copy: callers add context to the previous message */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(store_errbuf, tmp, sizeof(tmp));
	return store_errbuf;
}

/* ---- schema ---- */

/* Migration step i brings the schema from version i to i + 1; each runs in
   a transaction of its own together with the new user_version.  Steps are
   only ever appended. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1 */
    "CREATE TABLE agents ("
    "  id TEXT PRIMARY KEY,"
    "  site TEXT,"
    "  roles TEXT,"
    "  first_seen INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  results_stored INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE checks ("
    "  ref INTEGER PRIMARY KEY,"
    "  agent TEXT NOT NULL,"
    "  \"check\" TEXT NOT NULL,"
    "  rule TEXT, target TEXT, kind TEXT, title TEXT,"
    "  interval INTEGER NOT NULL,"
    "  last_ts INTEGER, last_status INTEGER, last_message TEXT, last_metrics TEXT,"
    "  advice TEXT, refs TEXT,"
    "  UNIQUE (agent, \"check\"));"
    "CREATE TABLE results ("
    "  ref INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),"
    "  interval INTEGER NOT NULL CHECK (interval > 0),"
    "  message TEXT, metrics TEXT, facts TEXT);"
    "CREATE INDEX results_ref_ts ON results (ref, ts);"
    "CREATE TABLE runs ("
    "  ref INTEGER NOT NULL,"
    "  start INTEGER NOT NULL,"
    "  last INTEGER NOT NULL,"
    "  until INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  PRIMARY KEY (ref, start)) WITHOUT ROWID;"
    "CREATE TABLE batches ("
    "  agent TEXT NOT NULL, stream TEXT NOT NULL, batch INTEGER NOT NULL,"
    "  received INTEGER NOT NULL, n INTEGER NOT NULL,"
    "  PRIMARY KEY (agent, stream, batch)) WITHOUT ROWID;"
    "CREATE TABLE reports ("
    "  month TEXT NOT NULL, what TEXT NOT NULL, at INTEGER NOT NULL,"
    "  PRIMARY KEY (month, what)) WITHOUT ROWID;"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta (key, value) VALUES ('results_stored_total', 0),"
    "  ('batches_total', 0), ('pruned_before', 0);",
    /* 1 -> 2: raw rows land in an unindexed staging table that the
       writer moves into the indexed one in bulk; the view keeps the name
       "results" for all of them.  folded_rowid: raw rows up to it are
       reflected in checks and runs (write-behind, see store.md). */
    "ALTER TABLE results RENAME TO results_sorted;"
    "CREATE TABLE results_new ("
    "  ref INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),"
    "  interval INTEGER NOT NULL CHECK (interval > 0),"
    "  message TEXT, metrics TEXT, facts TEXT);"
    "CREATE VIEW results (id, ref, ts, status, interval, message, metrics, facts) AS"
    "  SELECT rowid, ref, ts, status, interval, message, metrics, facts FROM results_sorted"
    "  UNION ALL"
    "  SELECT rowid, ref, ts, status, interval, message, metrics, facts FROM results_new;"
    "INSERT INTO meta (key, value) VALUES ('folded_rowid',"
    "  coalesce((SELECT max(rowid) FROM results_sorted), 0));",
    /* 2 -> 3: what people and the notifier write.  maintenance: windows
       entered in the web UI (services: JSON array of ids or globs);
       acks: acknowledged violations, keyed like the violation ids
       ("REF-START"); notify_state: the last state notified per key
       (check, service, agent, budget level); notify_queue: notifications
       not yet delivered (informs until acknowledged). */
    "CREATE TABLE maintenance ("
    "  id INTEGER PRIMARY KEY,"
    "  services TEXT NOT NULL,"
    "  start INTEGER NOT NULL,"
    "  \"end\" INTEGER NOT NULL CHECK (\"end\" > start),"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  author TEXT,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL);"
    "CREATE INDEX maintenance_end ON maintenance (\"end\");"
    "CREATE TABLE acks ("
    "  ref INTEGER NOT NULL,"
    "  start INTEGER NOT NULL,"
    "  user TEXT NOT NULL,"
    "  comment TEXT NOT NULL DEFAULT '',"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (ref, start)) WITHOUT ROWID;"
    "CREATE TABLE notify_state ("
    "  key TEXT PRIMARY KEY,"
    "  state TEXT NOT NULL,"
    "  since INTEGER NOT NULL,"
    "  extra TEXT) WITHOUT ROWID;"
    "CREATE TABLE notify_queue ("
    "  id INTEGER PRIMARY KEY,"
    "  dest TEXT NOT NULL,"
    "  event TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_try INTEGER NOT NULL,"
    "  last_error TEXT);",
};

static int
user_version(sqlite3 *db, int *v_r, const char **error_r)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK) {
		*error_r = store_err("reading the schema version: %s", sqlite3_errmsg(db));
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		*error_r = store_err("reading the schema version: %s", sqlite3_errmsg(db));
		sqlite3_finalize(s);
		return -1;
	}
	*v_r = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static int
migrate(sqlite3 *db, const char **error_r)
{
	int v;
	char *err = NULL;

	if (user_version(db, &v, error_r) < 0)
		return -1;
	if (v > STORE_SCHEMA_VERSION) {
		*error_r = store_err("database schema version %d is newer than this program "
		                     "supports (%d); use a newer mxsla-collector",
		                     v, STORE_SCHEMA_VERSION);
		return -1;
	}
	for (; v < STORE_SCHEMA_VERSION; v++) {
		char *sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
		                      migrations[v], v + 1);

		if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
			*error_r = store_err("schema migration %d -> %d: %s", v, v + 1,
			                     err != NULL ? err : sqlite3_errmsg(db));
			sqlite3_free(err);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			free(sql);
			return -1;
		}
		free(sql);
	}
	return 0;
}

int
store_db_setup(sqlite3 *db, int sync_full, const char **error_r)
{
	char *err = NULL;
	const char *sql = sync_full ? "PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;"
	                            : "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;";

	sqlite3_busy_timeout(db, 10000);
	sqlite3_extended_result_codes(db, 1);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		*error_r = store_err("%s", err != NULL ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
open_db(const char *path, int flags, sqlite3 **db_r, const char **error_r)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*error_r =
		    store_err("%s: %s", path, db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	*db_r = db;
	return 0;
}

/* WAL is a property of the file: set once by the writer, readers inherit. */
static int
set_wal(sqlite3 *db, const char **error_r)
{
	sqlite3_stmt *s;
	int ok;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK) {
		*error_r = store_err("journal_mode: %s", sqlite3_errmsg(db));
		return -1;
	}
	ok = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL &&
	     strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0;
	sqlite3_finalize(s);
	if (!ok) {
		*error_r =
		    store_err("cannot switch the database to WAL mode: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int
store_open(const char *path, const struct store_options *opt, struct store **st_r,
           const char **error_r)
{
	struct store *st;
	struct store_reader *r;
	sqlite3 *db = NULL;
	int v;

	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	st->readonly = opt != NULL && opt->readonly;
	st->sync_full = opt == NULL || opt->sync_full;
	st->stale_mult = 3;
	if (opt != NULL && (opt->stale_mult > 0 || opt->stale_fixed_s > 0)) {
		st->stale_mult = opt->stale_mult;
		st->stale_fixed_s = opt->stale_fixed_s;
	}
	pthread_mutex_init(&st->stale_mu, NULL);
	pthread_mutex_init(&st->pool_mu, NULL);

	if (!st->readonly) {
		if (open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db, error_r) < 0)
			goto fail;
		if (store_db_setup(db, st->sync_full, error_r) < 0 || set_wal(db, error_r) < 0 ||
		    migrate(db, error_r) < 0) {
			sqlite3_close(db);
			goto fail;
		}
		if (store_writer_start(st, db, error_r) < 0)
			goto fail;
	}
	/* A first reader proves the database is readable and, for a
	   read-only open, that the schema is the one this program knows. */
	r = store_reader_get(st, error_r);
	if (r == NULL)
		goto fail_writer;
	if (user_version(r->db, &v, error_r) < 0) {
		store_reader_put(st, r);
		goto fail_writer;
	}
	store_reader_put(st, r);
	if (v != STORE_SCHEMA_VERSION) {
		if (v == 0)
			*error_r = store_err("%s: no mxsla database here (schema missing)", path);
		else if (v < STORE_SCHEMA_VERSION)
			*error_r = store_err("%s: database schema version %d is older than %d; "
			                     "start mxsla-collector serve once to migrate it",
			                     path, v, STORE_SCHEMA_VERSION);
		else
			*error_r = store_err("%s: database schema version %d is newer than this "
			                     "program supports (%d)",
			                     path, v, STORE_SCHEMA_VERSION);
		goto fail_writer;
	}
	*st_r = st;
	return 0;

fail_writer:
	if (st->w != NULL)
		store_writer_stop(st);
fail:
	while ((r = st->idle) != NULL) {
		st->idle = r->next;
		for (int i = 0; i < RQ_COUNT; i++)
			sqlite3_finalize(r->stmt[i]);
		sqlite3_close(r->db);
		free(r);
	}
	pthread_mutex_destroy(&st->stale_mu);
	pthread_mutex_destroy(&st->pool_mu);
	free(st->path);
	free(st);
	return -1;
}

static void
reader_close(struct store_reader *r)
{
	for (int i = 0; i < RQ_COUNT; i++)
		sqlite3_finalize(r->stmt[i]);
	sqlite3_close(r->db);
	free(r);
}

void
store_close(struct store *st)
{
	struct store_reader *r;

	if (st == NULL)
		return;
	if (st->w != NULL)
		store_writer_stop(st);
	while ((r = st->idle) != NULL) {
		st->idle = r->next;
		reader_close(r);
	}
	pthread_mutex_destroy(&st->stale_mu);
	pthread_mutex_destroy(&st->pool_mu);
	free(st->path);
	free(st);
}

/* ---- stale rule ---- */

void
store_set_stale(struct store *st, int stale_mult, int64_t stale_fixed_s)
{
	pthread_mutex_lock(&st->stale_mu);
	if (stale_mult > 0 || stale_fixed_s > 0) {
		st->stale_mult = stale_mult;
		st->stale_fixed_s = stale_fixed_s;
	} else {
		st->stale_mult = 3;
		st->stale_fixed_s = 0;
	}
	pthread_mutex_unlock(&st->stale_mu);
}

void
store_stale_rule(struct store *st, int *mult_r, int64_t *fixed_r)
{
	pthread_mutex_lock(&st->stale_mu);
	*mult_r = st->stale_mult;
	*fixed_r = st->stale_fixed_s;
	pthread_mutex_unlock(&st->stale_mu);
}

int64_t
store_stale_with(int mult, int64_t fixed, int64_t interval)
{
	return mult > 0 ? (int64_t)mult * interval : fixed;
}

int64_t
store_stale(struct store *st, int64_t interval)
{
	int mult;
	int64_t fixed;

	store_stale_rule(st, &mult, &fixed);
	return store_stale_with(mult, fixed, interval);
}

/* ---- readers ---- */

static const char *const rq_sql[RQ_COUNT] = {
    [RQ_LIST_CHECKS] = "SELECT ref, agent, \"check\", interval FROM checks "
                       "ORDER BY agent, \"check\"",
    /* the run that may cover from, and every run starting before to */
    [RQ_SPANS] = "SELECT start, until, status FROM runs WHERE ref = ?1 AND start >= "
                 "coalesce((SELECT max(start) FROM runs WHERE ref = ?1 AND start <= ?2), ?2) "
                 "AND start < ?3 ORDER BY start",
    /* a check whose first runs are still in the tail starts there */
    [RQ_FIRST_TS] = "SELECT min(x) FROM (SELECT min(start) AS x FROM runs "
                    "UNION ALL SELECT min(ts) FROM results_new)",
    [RQ_META] = "SELECT key, value FROM meta",
    /* the latest result: the check's newest tail row, else checks.last_*
       (bare columns of a max() aggregate come from the max row) */
    [RQ_CHECK_STATES] = "WITH t AS (SELECT ref, max(rowid), ts, status FROM results_new "
                        "GROUP BY ref) SELECT coalesce(t.ts, c.last_ts), "
                        "coalesce(t.status, c.last_status), c.interval FROM checks c "
                        "LEFT JOIN t ON t.ref = c.ref",
    [RQ_AGENT_STATES] = "SELECT a.last_seen, (SELECT min(interval) FROM checks c "
                        "WHERE c.agent = a.id) FROM agents a",
    [RQ_ROWS] = "SELECT coalesce(sum(results_stored), 0) FROM agents",
    [RQ_MARKED] = "SELECT 1 FROM reports WHERE month = ?1 AND what = ?2",
    [RQ_Q_AGENTS] =
        "SELECT a.id, a.site, a.roles, a.first_seen, a.last_seen, "
        "a.results_stored, (SELECT min(interval) FROM checks c WHERE c.agent = a.id), "
        "(SELECT count(*) FROM checks c WHERE c.agent = a.id) FROM agents a ORDER BY a.id",
    [RQ_Q_CHECKS] = "SELECT c.agent, c.\"check\", c.rule, c.target, c.kind, c.title, "
                    "c.interval, c.last_ts, c.last_status, c.last_message, c.last_metrics, "
                    "r.start, r.until, c.ref, r.last, r.status FROM checks c "
                    "LEFT JOIN runs r ON r.ref = c.ref AND "
                    "r.start = (SELECT max(start) FROM runs WHERE ref = c.ref) "
                    "WHERE (?1 IS NULL OR c.agent = ?1) ORDER BY c.agent, c.\"check\"",
    /* every check (a check whose runs are all in the tail has none
       stored: start is NULL) */
    [RQ_Q_VIOLATION_RUNS] = "SELECT c.ref, c.agent, c.\"check\", c.rule, c.target, c.title, "
                            "r.start, r.last, r.until, r.status FROM checks c LEFT JOIN runs r "
                            "ON r.ref = c.ref WHERE coalesce(c.kind, 'health') <> 'best-practice' "
                            "ORDER BY c.ref, r.start",
    [RQ_Q_LAST_MESSAGE] = "SELECT message FROM results WHERE ref = ?1 AND ts <= ?2 "
                          "ORDER BY ts DESC, id DESC LIMIT 1",
    [RQ_Q_FINDINGS] = "WITH t AS (SELECT ref, max(rowid), ts, status, message FROM results_new "
                      "GROUP BY ref), f AS (SELECT c.agent, a.site, c.\"check\", c.rule, "
                      "c.target, c.title, coalesce(t.status, c.last_status) AS ls, "
                      "CASE WHEN t.ref IS NULL THEN c.last_message ELSE t.message END, "
                      "c.advice, c.refs, coalesce(t.ts, c.last_ts) FROM checks c "
                      "LEFT JOIN t ON t.ref = c.ref LEFT JOIN agents a ON a.id = c.agent "
                      "WHERE c.kind = 'best-practice') SELECT * FROM f "
                      "WHERE ls IS NOT NULL AND ls <> 0 ORDER BY ls = 2 DESC, ls = 1 DESC, "
                      "agent, \"check\"",
    /* both halves spelt out: through the view the check's ref would not
       reach the index of results_sorted */
    [RQ_Q_HISTORY] = "SELECT ts, status, message, metrics FROM (SELECT rowid AS id, ts, status, "
                     "message, metrics FROM results_sorted WHERE ref = (SELECT ref FROM checks "
                     "WHERE agent = ?1 AND \"check\" = ?2) AND ts >= ?3 AND ts < ?4 "
                     "UNION ALL SELECT rowid, ts, status, message, metrics FROM results_new "
                     "WHERE ref = (SELECT ref FROM checks WHERE agent = ?1 AND \"check\" = ?2) "
                     "AND ts >= ?3 AND ts < ?4) ORDER BY ts, id LIMIT ?5",
    [RQ_LAST_RUN] = "SELECT start, last, until, status FROM runs WHERE ref = ?1 "
                    "ORDER BY start DESC LIMIT 1",
    [RQ_TAIL] = "SELECT ref, rowid, ts, interval, status FROM results_new ORDER BY ref, rowid",
    [RQ_TAIL_REF] = "SELECT ref, rowid, ts, interval, status FROM results_new WHERE ref = ?1 "
                    "ORDER BY rowid",
    [RQ_TAIL_ROW] = "SELECT message, metrics FROM results_new WHERE rowid = ?1",
};

struct store_reader *
store_reader_get(struct store *st, const char **error_r)
{
	struct store_reader *r;

	pthread_mutex_lock(&st->pool_mu);
	r = st->idle;
	if (r != NULL) {
		st->idle = r->next;
		st->nidle--;
	}
	pthread_mutex_unlock(&st->pool_mu);
	if (r != NULL)
		return r;

	r = xcalloc(1, sizeof(*r));
	if (open_db(st->path, SQLITE_OPEN_READONLY, &r->db, error_r) < 0) {
		free(r);
		return NULL;
	}
	if (store_db_setup(r->db, st->sync_full, error_r) < 0) {
		reader_close(r);
		return NULL;
	}
	return r;
}

sqlite3_stmt *
store_reader_stmt(struct store_reader *r, enum store_rq q, const char **error_r)
{
	if (r->stmt[q] == NULL) {
		if (sqlite3_prepare_v3(r->db, rq_sql[q], -1, SQLITE_PREPARE_PERSISTENT, &r->stmt[q],
		                       NULL) != SQLITE_OK) {
			*error_r = store_err("%s", sqlite3_errmsg(r->db));
			r->stmt[q] = NULL;
			return NULL;
		}
	} else {
		sqlite3_reset(r->stmt[q]);
		sqlite3_clear_bindings(r->stmt[q]);
	}
	return r->stmt[q];
}

void
store_reader_put(struct store *st, struct store_reader *r)
{
	/* Reset every statement so that no read transaction stays open and
	   holds back WAL checkpoints. */
	for (int i = 0; i < RQ_COUNT; i++)
		if (r->stmt[i] != NULL)
			sqlite3_reset(r->stmt[i]);
	if (!sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_lock(&st->pool_mu);
	if (st->nidle < POOL_KEEP) {
		r->next = st->idle;
		st->idle = r;
		st->nidle++;
		r = NULL;
	}
	pthread_mutex_unlock(&st->pool_mu);
	if (r != NULL)
		reader_close(r);
}

/* ---- reads for the SLA engine ---- */

int
store_list_checks(struct store *st, struct store_check **v_r, size_t *n_r, const char **error_r)
{
	struct store_reader *r = store_reader_get(st, error_r);
	struct store_check *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s;
	int rc;

	*v_r = NULL;
	*n_r = 0;
	if (r == NULL)
		return -1;
	if ((s = store_reader_stmt(r, RQ_LIST_CHECKS, error_r)) == NULL) {
		store_reader_put(st, r);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n].ref = sqlite3_column_int64(s, 0);
		v[n].agent = xstrdup((const char *)sqlite3_column_text(s, 1));
		v[n].check = xstrdup((const char *)sqlite3_column_text(s, 2));
		v[n].interval = sqlite3_column_int64(s, 3);
		n++;
	}
	if (rc != SQLITE_DONE) {
		*error_r = store_err("list checks: %s", sqlite3_errmsg(r->db));
		store_reader_put(st, r);
		store_checks_free(v, n);
		return -1;
	}
	store_reader_put(st, r);
	*v_r = v;
	*n_r = n;
	return 0;
}

void
store_checks_free(struct store_check *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].agent);
		free(v[i].check);
	}
	free(v);
}

/* ---- the tail ---- */

int
store_tail_load(struct store_reader *r, int64_t ref, struct store_tail_row **v_r, size_t *n_r,
                const char **error_r)
{
	struct store_tail_row *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s = store_reader_stmt(r, ref < 0 ? RQ_TAIL : RQ_TAIL_REF, error_r);
	int rc;

	*v_r = NULL;
	*n_r = 0;
	if (s == NULL)
		return -1;
	if (ref >= 0)
		sqlite3_bind_int64(s, 1, ref);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n].ref = sqlite3_column_int64(s, 0);
		v[n].id = sqlite3_column_int64(s, 1);
		v[n].ts = sqlite3_column_int64(s, 2);
		v[n].interval = sqlite3_column_int64(s, 3);
		v[n].status = sqlite3_column_int(s, 4);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		*error_r = store_err("tail: %s", sqlite3_errmsg(r->db));
		free(v);
		return -1;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

void
store_tail_range(const struct store_tail_row *v, size_t n, int64_t ref, size_t *lo_r, size_t *hi_r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].ref < ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	*lo_r = lo;
	for (hi = lo; hi < n && v[hi].ref == ref; hi++)
		;
	*hi_r = hi;
}

void
store_tail_fold(int mult, int64_t fixed, const struct store_tail_row *v, size_t n,
                struct store_run *cur, struct store_run **out, size_t *nout, size_t *cap)
{
	for (size_t i = 0; i < n; i++) {
		int64_t until = v[i].ts + store_stale_with(mult, fixed, v[i].interval);

		if (cur->status >= 0 && v[i].status == cur->status && v[i].ts < cur->until) {
			cur->last = v[i].ts;
			cur->until = until;
			continue;
		}
		if (cur->status >= 0 && out != NULL) {
			*out = xgrow(*out, cap, *nout + 1, sizeof(**out));
			(*out)[(*nout)++] = *cur;
		}
		cur->start = cur->last = v[i].ts;
		cur->until = until;
		cur->status = v[i].status;
	}
}

/* The runs of ref that may meet [from, to): the stored ones, with the
   tail folded on top when it can reach into the range. */
static int
spans_runs(struct store *st, struct store_reader *r, int64_t ref, int64_t from, int64_t to,
           struct store_run **v_r, size_t *n_r, const char **error_r)
{
	struct store_run *v = NULL, last = {0, 0, 0, -1};
	struct store_tail_row *t = NULL;
	size_t n = 0, cap = 0, nt = 0, keep = 0;
	sqlite3_stmt *s;
	int rc, mult;
	int64_t fixed;

	if ((s = store_reader_stmt(r, RQ_LAST_RUN, error_r)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, ref);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		last.start = sqlite3_column_int64(s, 0);
		last.last = sqlite3_column_int64(s, 1);
		last.until = sqlite3_column_int64(s, 2);
		last.status = sqlite3_column_int(s, 3);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto sqlfail;
	/* the tail only changes the timeline after the last stored result */
	if ((last.status < 0 || to > last.last) && store_tail_load(r, ref, &t, &nt, error_r) < 0)
		return -1;

	if ((s = store_reader_stmt(r, RQ_SPANS, error_r)) == NULL) {
		free(t);
		return -1;
	}
	sqlite3_bind_int64(s, 1, ref);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n].start = sqlite3_column_int64(s, 0);
		v[n].until = sqlite3_column_int64(s, 1);
		v[n].status = sqlite3_column_int(s, 2);
		v[n].last = v[n].start;
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(t);
		free(v);
		goto sqlfail;
	}
	if (nt > 0) {
		/* The last stored run is replaced by its folded version and
		   new runs follow.  It is the newest of v: the tail was read
		   only when to > its last result, so it starts before to. */
		if (n > 0 && last.status >= 0 && v[n - 1].start == last.start)
			n--;
		store_stale_rule(st, &mult, &fixed);
		store_tail_fold(mult, fixed, t, nt, &last, &v, &n, &cap);
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n++] = last;
		/* keep the run that covers from and those after it, before to */
		while (n > 0 && v[n - 1].start >= to)
			n--;
		for (size_t i = 0; i + 1 < n && v[i + 1].start <= from; i++)
			keep = i + 1;
		if (keep > 0) {
			memmove(v, v + keep, (n - keep) * sizeof(*v));
			n -= keep;
		}
	}
	free(t);
	*v_r = v;
	*n_r = n;
	return 0;
sqlfail:
	*error_r = store_err("spans: %s", sqlite3_errmsg(r->db));
	return -1;
}

int
store_spans(struct store *st, int64_t ref, int64_t from, int64_t to, struct sla_span **v_r,
            size_t *n_r, const char **error_r)
{
	struct store_reader *r;
	struct store_run *runs = NULL;
	struct sla_span *v = NULL;
	size_t n = 0, cap = 0, nruns = 0;

	*v_r = NULL;
	*n_r = 0;
	if (from >= to)
		return 0;
	if ((r = store_reader_get(st, error_r)) == NULL)
		return -1;
	/* one snapshot for the stored runs and the tail */
	if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		*error_r = store_err("spans: %s", sqlite3_errmsg(r->db));
		store_reader_put(st, r);
		return -1;
	}
	if (spans_runs(st, r, ref, from, to, &runs, &nruns, error_r) < 0) {
		store_reader_put(st, r);
		return -1;
	}
	store_reader_put(st, r);
	/* Each run lasts until its stale limit or the next run's start,
	   whichever is first. */
	for (size_t i = 0; i < nruns; i++) {
		int64_t end = runs[i].until, a, b;

		if (i + 1 < nruns && runs[i + 1].start < end)
			end = runs[i + 1].start;
		a = runs[i].start > from ? runs[i].start : from;
		b = end < to ? end : to;
		if (a < b) {
			v = xgrow(v, &cap, n + 1, sizeof(*v));
			v[n].start = a;
			v[n].end = b;
			v[n].status = runs[i].status;
			n++;
		}
	}
	free(runs);
	*v_r = v;
	*n_r = n;
	return 0;
}

int
store_first_ts(struct store *st, int64_t *ts_r, const char **error_r)
{
	struct store_reader *r;
	sqlite3_stmt *s;
	int rc;

	*ts_r = 0;
	if ((r = store_reader_get(st, error_r)) == NULL)
		return -1;
	if ((s = store_reader_stmt(r, RQ_FIRST_TS, error_r)) == NULL) {
		store_reader_put(st, r);
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		*error_r = store_err("first ts: %s", sqlite3_errmsg(r->db));
		store_reader_put(st, r);
		return -1;
	}
	*ts_r = sqlite3_column_int64(s, 0);
	store_reader_put(st, r);
	return 0;
}

/* ---- counters ---- */

static int
stats_read(struct store *st, struct store_reader *r, int64_t now, struct store_stats *s_r,
           const char **error_r)
{
	sqlite3_stmt *s;
	int mult, rc;
	int64_t fixed;

	store_stale_rule(st, &mult, &fixed);
	if ((s = store_reader_stmt(r, RQ_META, error_r)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		uint64_t v = (uint64_t)sqlite3_column_int64(s, 1);

		if (strcmp(k, "results_stored_total") == 0)
			s_r->results_stored_total = v;
		else if (strcmp(k, "batches_total") == 0)
			s_r->batches_total = v;
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;

	if ((s = store_reader_stmt(r, RQ_CHECK_STATES, error_r)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int status = MX_NODATA;

		if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
			int64_t ts = sqlite3_column_int64(s, 0);
			int64_t lim = store_stale_with(mult, fixed, sqlite3_column_int64(s, 2));

			if (now < ts + lim)
				status = sqlite3_column_int(s, 1);
		}
		if (status >= 0 && status < MX_NSTATUS)
			s_r->checks_by_status[status]++;
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;

	if ((s = store_reader_stmt(r, RQ_AGENT_STATES, error_r)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seen = sqlite3_column_int64(s, 0);
		/* an agent that never sent a result is judged by a 60 s interval */
		int64_t ival =
		    sqlite3_column_type(s, 1) == SQLITE_NULL ? 60 : sqlite3_column_int64(s, 1);

		if (now >= seen + store_stale_with(mult, fixed, ival))
			s_r->agents_silent++;
		else
			s_r->agents_up++;
	}
	if (rc != SQLITE_DONE)
		goto sqlfail;

	if ((s = store_reader_stmt(r, RQ_ROWS, error_r)) == NULL)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW)
		goto sqlfail;
	s_r->results_rows = (uint64_t)sqlite3_column_int64(s, 0);
	return 0;

sqlfail:
	*error_r = store_err("stats: %s", sqlite3_errmsg(r->db));
	return -1;
}

int
store_stats(struct store *st, int64_t now, struct store_stats *s, const char **error_r)
{
	struct store_reader *r;
	int ret;

	memset(s, 0, sizeof(*s));
	if ((r = store_reader_get(st, error_r)) == NULL)
		return -1;
	/* one read transaction: the figures belong to one moment */
	sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
	ret = stats_read(st, r, now, s, error_r);
	store_reader_put(st, r);
	s->batches_duplicate_total = st->w != NULL ? store_writer_duplicates(st) : 0;
	return ret;
}

/* ---- maintenance reads ---- */

int
store_report_marked(struct store *st, const char *month, const char *what, int *marked_r,
                    const char **error_r)
{
	struct store_reader *r;
	sqlite3_stmt *s;
	int rc;

	*marked_r = 0;
	if ((r = store_reader_get(st, error_r)) == NULL)
		return -1;
	if ((s = store_reader_stmt(r, RQ_MARKED, error_r)) == NULL) {
		store_reader_put(st, r);
		return -1;
	}
	sqlite3_bind_text(s, 1, month, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, what, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*error_r = store_err("report marks: %s", sqlite3_errmsg(r->db));
		store_reader_put(st, r);
		return -1;
	}
	*marked_r = rc == SQLITE_ROW;
	store_reader_put(st, r);
	return 0;
}

int
store_integrity(struct store *st, const char **error_r)
{
	struct store_reader *r;
	sqlite3_stmt *s;
	int rc, ok;

	if ((r = store_reader_get(st, error_r)) == NULL)
		return -1;
	if (sqlite3_prepare_v2(r->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK) {
		*error_r = store_err("integrity check: %s", sqlite3_errmsg(r->db));
		store_reader_put(st, r);
		return -1;
	}
	rc = sqlite3_step(s);
	ok = rc == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL &&
	     strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
	if (!ok)
		*error_r = store_err("integrity check: %s",
		                     rc == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL
		                         ? (const char *)sqlite3_column_text(s, 0)
		                         : sqlite3_errmsg(r->db));
	sqlite3_finalize(s);
	store_reader_put(st, r);
	return ok ? 0 : -1;
}

int
store_read(struct store *st, store_sql_fn fn, void *arg, const char **error_r)
{
	struct store_reader *r;
	const char *error = NULL;
	int rc;

	if ((r = store_reader_get(st, error_r)) == NULL)
		return -1;
	if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		*error_r = store_err("%s", sqlite3_errmsg(r->db));
		store_reader_put(st, r);
		return -1;
	}
	rc = fn(r->db, arg, &error);
	if (rc < 0)
		*error_r = store_err("%s", error != NULL ? error : "failed");
	store_reader_put(st, r);
	return rc;
}
