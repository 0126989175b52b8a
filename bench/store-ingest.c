/*
 * store-ingest.c - results per second through store_ingest (SPEC 7): two
 * threads, batches of 100, each batch durably committed before the next
 * is sent (synchronous=FULL, then NORMAL), against plain SQLite inserts of
 * the same rows in one transaction (the ceiling the store works under).
 *
 *   bench/store-ingest [DIR [RESULTS [nthreads]]]
 *
 * DIR (default: a new directory under /tmp, removed afterwards) holds the
 * databases; RESULTS (default 1000000) is the total per measurement, THREADS (default 2,
 * as SPEC 7 asks) the number of concurrent clients.
 * Each thread is one agent with 100 checks; a batch holds one result of
 * every check, ts advancing by the interval (60 s) from batch to batch,
 * as an agent's spool delivers them.  The time includes store_close,
 * which writes behind what the store still holds in memory.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "status.h"
#include "store.h"
#include "xmalloc.h"

#define BATCH 100

struct worker {
	struct store *st;
	int id;
	long batches;
	int failed;
};

static char check_names[BATCH][32];
static int nthreads = 2; /* concurrent clients */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	struct ingest_result v[BATCH];
	char agent[32];
	const char *err;

	snprintf(agent, sizeof(agent), "bench%02d", wk->id);
	for (long b = 0; b < wk->batches; b++) {
		struct ingest_batch batch = {.agent = agent,
		                             .site = "lab",
		                             .roles = "[\"hub\"]",
		                             .stream = "bench",
		                             .batch = b + 1,
		                             .received = 1790000000 + b * 60,
		                             .results = v,
		                             .n = BATCH};
		int dup;

		for (int i = 0; i < BATCH; i++) {
			v[i] = (struct ingest_result){.check = check_names[i],
			                              .rule = "bench.rule",
			                              .target = "t",
			                              .kind = "health",
			                              .title = "Bench check",
			                              .message = "all fine",
			                              .status = (b / 50 + i) % 7 == 0 ? MX_WARNING
			                                                              : MX_OK,
			                              .ts = 1790000000 + b * 60,
			                              .interval = 60,
			                              .metrics = "{\"deferred\":12,\"active\":3}",
			                              .facts = "{}"};
		}
		if (store_ingest(wk->st, &batch, &dup, &err) < 0) {
			fprintf(stderr, "store_ingest: %s\n", err);
			wk->failed = 1;
			return NULL;
		}
	}
	return NULL;
}

static int
bench_store(const char *dir, long total, int sync_full)
{
	char *path = xasprintf("%s/store-%s.db", dir, sync_full ? "full" : "normal");
	struct store_options opt = {.sync_full = sync_full, .stale_mult = 3};
	struct worker *wk = xcalloc((size_t)nthreads, sizeof(*wk));
	pthread_t *th = xcalloc((size_t)nthreads, sizeof(*th));
	struct store *st;
	const char *err;
	double t0, dt;
	int failed = 0;

	unlink(path);
	if (store_open(path, &opt, &st, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		free(path);
		return -1;
	}
	t0 = now_s();
	for (int i = 0; i < nthreads; i++) {
		wk[i] = (struct worker){st, i, total / nthreads / BATCH, 0};
		pthread_create(&th[i], NULL, worker_main, &wk[i]);
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		failed |= wk[i].failed;
	}
	/* closing writes behind what the store still holds in memory:
	   part of the cost */
	store_close(st);
	dt = now_s() - t0;
	free(th);
	printf("store_ingest, synchronous=%-7s %2d threads, batches of %d: %9.0f results/s "
	       "(%ld results in %.2f s)\n",
	       sync_full ? "FULL," : "NORMAL,", nthreads, BATCH,
	       (double)(wk[0].batches * nthreads * BATCH) / dt, wk[0].batches * nthreads * BATCH,
	       dt);
	free(wk);
	free(path);
	return failed ? -1 : 0;
}

/* The results table and index of the store, filled in one transaction. */
static int
bench_raw(const char *dir, long total)
{
	char *path = xasprintf("%s/raw.db", dir);
	sqlite3 *db;
	sqlite3_stmt *s;
	double t0, dt;

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	sqlite3_exec(db,
	             "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	             "CREATE TABLE results (ref INTEGER NOT NULL, ts INTEGER NOT NULL,"
	             " status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),"
	             " interval INTEGER NOT NULL CHECK (interval > 0),"
	             " message TEXT, metrics TEXT, facts TEXT);"
	             "CREATE INDEX results_ref_ts ON results (ref, ts);",
	             NULL, NULL, NULL);
	sqlite3_prepare_v2(
	    db,
	    "INSERT INTO results (ref, ts, status, interval, message, metrics, facts) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	    -1, &s, NULL);
	t0 = now_s();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (long i = 0; i < total; i++) {
		sqlite3_bind_int64(s, 1, i % (nthreads * BATCH));
		sqlite3_bind_int64(s, 2, 1790000000 + (i / (nthreads * BATCH)) * 60);
		sqlite3_bind_int(s, 3, 0);
		sqlite3_bind_int(s, 4, 60);
		sqlite3_bind_text(s, 5, "all fine", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, "{\"deferred\":12,\"active\":3}", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, "{}", -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db));
			break;
		}
		sqlite3_reset(s);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	dt = now_s() - t0;
	sqlite3_finalize(s);
	sqlite3_close(db);
	printf("raw SQLite INSERT, one transaction, 1 thread:            %9.0f rows/s "
	       "(%ld rows in %.2f s)\n",
	       (double)total / dt, total, dt);
	free(path);
	return 0;
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/mxsla-bench-store-XXXXXX";
	const char *dir = argc > 1 ? argv[1] : NULL;
	long total = argc > 2 ? atol(argv[2]) : 1000000;
	int rc = 0;

	if (argc > 3 && atoi(argv[3]) > 0)
		nthreads = atoi(argv[3]);

	if (total < nthreads * BATCH)
		total = nthreads * BATCH;
	if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	for (int i = 0; i < BATCH; i++)
		snprintf(check_names[i], sizeof(check_names[i]), "bench.rule@t%02d", i);
	printf("store-ingest: %ld results per measurement, databases in %s\n", total, dir);
	rc |= bench_raw(dir, total);
	rc |= bench_store(dir, total, 1);
	rc |= bench_store(dir, total, 0);
	if (argc <= 1) {
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			rc = -1;
		free(cmd);
	}
	return rc == 0 ? 0 : 1;
}
