/*
 * test-store.c - the SQLite store (collector/store.h): deduplication,
 * group commit with a bad batch rolled back alone, state runs from
 * in-order, late and shuffled results, the API queries, pruning, schema
 * migrations, read-only opening and durability across kill -9.
 *
 * checks and runs are written behind (docs/internals/store.md): every
 * test runs twice, once with the write-behind only when forced (reads
 * fold the unwritten tail themselves) and once written at every commit.
 *
 * Every test uses a database of its own in a temporary directory.  Unless
 * said otherwise checks have interval 60 and the default stale rule
 * (3 x interval), so a run lasts until its last ts + 180.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "status.h"
#include "store.h"
#include "store_int.h"
#include "testutil.h"
#include "xmalloc.h"

struct fx {
	char *dir, *path;
	struct store *st;
};

static int
fx_setup_flush(void **state, int64_t flush_ms)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	struct store_options opt = {.sync_full = 1, .stale_mult = 3};
	const char *err = NULL;

	fx->dir = tu_mkdtemp("store");
	fx->path = xasprintf("%s/mxsla.db", fx->dir);
	if (store_open(fx->path, &opt, &fx->st, &err) < 0)
		fail_msg("store_open: %s", err);
	store_writer_set_flush_ms(fx->st, flush_ms);
	*state = fx;
	return 0;
}

/* checks and runs written only when forced: reads see the tail folded */
static int
fx_setup(void **state)
{
	return fx_setup_flush(state, -1);
}

/* checks and runs written at every commit */
static int
fx_setup_eager(void **state)
{
	return fx_setup_flush(state, 0);
}

static int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	tu_rm_rf(fx->dir);
	free(fx->dir);
	free(fx->path);
	free(fx);
	return 0;
}

/* A health result of interval 60 with the check name as rule@target. */
static struct ingest_result
R(const char *check, int64_t ts, int status) {
	struct ingest_result r = {.check = check,
	                          .rule = "r",
	                          .target = "t",
	                          .kind = "health",
	                          .title = "T",
	                          .message = "m",
	                          .status = status,
	                          .ts = ts,
	                          .interval = 60,
	                          .metrics = "{\"v\":1}",
	                          .facts = "{}"};
	return r;
}

static int
ingest_ex(struct store *st, const char *agent, const char *stream, int64_t batch,
          const struct ingest_result *v, size_t n, int *dup_r, const char **err_r)
{
	struct ingest_batch b = {.agent = agent,
	                         .site = "hq",
	                         .roles = "[\"mailbox\"]",
	                         .stream = stream,
	                         .batch = batch,
	                         .received = 1000,
	                         .results = v,
	                         .n = n};

	return store_ingest(st, &b, dup_r, err_r);
}

/* Ingest and fail the test unless it is stored (not a duplicate). */
#define ingest_ok(st, agent, batch, v, n)                                                          \
	do {                                                                                       \
		int dup_ = -1;                                                                     \
		const char *err_ = NULL;                                                           \
		if (ingest_ex(st, agent, "s1", batch, v, n, &dup_, &err_) < 0)                     \
			fail_msg("store_ingest: %s", err_);                                        \
		assert_int_equal(dup_, 0);                                                         \
	} while (0)

static int64_t
ref_of(struct store *st, const char *agent, const char *check)
{
	struct store_check *v;
	size_t n;
	const char *err = NULL;
	int64_t ref = -1;

	if (store_list_checks(st, &v, &n, &err) < 0)
		fail_msg("store_list_checks: %s", err);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].agent, agent) == 0 && strcmp(v[i].check, check) == 0)
			ref = v[i].ref;
	store_checks_free(v, n);
	if (ref < 0)
		fail_msg("no check %s:%s", agent, check);
	return ref;
}

/* The spans of agent:check in [from, to) as "start-end:status ..." */
static char *
spans_text(struct store *st, const char *agent, const char *check, int64_t from, int64_t to)
{
	struct sla_span *v;
	size_t n;
	const char *err = NULL;
	char *s = xstrdup("");

	if (store_spans(st, ref_of(st, agent, check), from, to, &v, &n, &err) < 0)
		fail_msg("store_spans: %s", err);
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s%lld-%lld:%s", s, i > 0 ? " " : "", (long long)v[i].start,
		                    (long long)v[i].end, status_name(v[i].status));
		free(s);
		s = t;
	}
	free(v);
	return s;
}

#define assert_spans(st, agent, check, from, to, want)                                             \
	do {                                                                                       \
		char *got_ = spans_text(st, agent, check, from, to);                               \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

static struct store_stats
stats_at(struct store *st, int64_t now)
{
	struct store_stats s;
	const char *err = NULL;

	if (store_stats(st, now, &s, &err) < 0)
		fail_msg("store_stats: %s", err);
	return s;
}

static json_t *
jcheck(json_t *j, const char *what, const char *err)
{
	if (j == NULL)
		fail_msg("%s: %s", what, err);
	return j;
}

/* ---- dedup ---- */

static void
ingest__repeated_batch__is_duplicate_and_stores_nothing_twice(void **state)
{
	struct fx *fx = *state;
	struct ingest_result v[3] = {R("a@x", 1000, MX_OK), R("a@x", 1060, MX_OK),
	                             R("b@x", 1000, MX_WARNING)};
	const char *err = NULL;
	int dup = -1;
	json_t *agents, *hist;
	struct store_stats s;

	ingest_ok(fx->st, "mbx01", 7, v, 3);
	assert_int_equal(ingest_ex(fx->st, "mbx01", "s1", 7, v, 3, &dup, &err), 0);
	assert_int_equal(dup, 1);
	/* another stream with the same batch number is a different batch */
	assert_int_equal(ingest_ex(fx->st, "mbx01", "s2", 7, v, 1, &dup, &err), 0);
	assert_int_equal(dup, 0);

	s = stats_at(fx->st, 1100);
	assert_int_equal(s.results_stored_total, 4); /* 3 + 1 */
	assert_int_equal(s.batches_total, 2);
	assert_int_equal(s.batches_duplicate_total, 1);
	assert_int_equal(s.results_rows, 4);
	agents = jcheck(store_q_agents(fx->st, 1100, &err), "agents", err);
	assert_int_equal(json_array_size(agents), 1);
	assert_int_equal(
	    json_integer_value(json_object_get(json_array_get(agents, 0), "results_stored")), 4);
	json_decref(agents);
	hist = jcheck(store_q_history(fx->st, "mbx01", "a@x", 0, 5000, 100, &err), "history", err);
	/* 1000 and 1060 from batch 7, 1000 again from stream s2 */
	assert_int_equal(json_array_size(hist), 3);
	json_decref(hist);
}

/* ---- group commit ---- */

struct ing_thread {
	struct store *st;
	const char *agent;
	int64_t batch;
	const struct ingest_result *v;
	size_t n;
	int rc, dup;
	char err[256];
};

static void *
ing_thread_main(void *arg)
{
	struct ing_thread *t = arg;
	const char *err = NULL;

	t->rc = ingest_ex(t->st, t->agent, "s1", t->batch, t->v, t->n, &t->dup, &err);
	snprintf(t->err, sizeof(t->err), "%s", t->rc < 0 ? err : "");
	return NULL;
}

static void
ingest__bad_batch_in_a_group__is_rolled_back_alone(void **state)
{
	struct fx *fx = *state;
	struct ingest_result a[2] = {R("c1@x", 1000, MX_OK), R("c1@x", 1060, MX_OK)};
	/* a new check, a critical result for c1, then a status out of range */
	struct ingest_result b[3] = {R("new@x", 1000, MX_OK), R("c1@x", 1120, MX_CRITICAL),
	                             R("c2@x", 1000, 9)};
	struct ingest_result c[1] = {R("c1@x", 1000, MX_OK)};
	struct ingest_thread_set {
		struct ing_thread t[3];
		pthread_t th[3];
	} g = {.t = {{fx->st, "a1", 1, a, 2, -2, -2, ""},
	             {fx->st, "a1", 2, b, 3, -2, -2, ""},
	             {fx->st, "a2", 1, c, 1, -2, -2, ""}}};
	struct ingest_result d[1] = {R("c1@x", 1120, MX_OK)};
	struct store_stats s;

	store_writer_hold(fx->st, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&g.th[i], NULL, ing_thread_main, &g.t[i]), 0);
	while (store_writer_queued(fx->st) < 3)
		usleep(1000);
	store_writer_hold(fx->st, 0);
	for (int i = 0; i < 3; i++)
		pthread_join(g.th[i], NULL);
	assert_int_equal(store_writer_last_group(fx->st), 3);

	assert_int_equal(g.t[0].rc, 0);
	assert_int_equal(g.t[2].rc, 0);
	assert_int_equal(g.t[1].rc, -1);
	assert_non_null(strstr(g.t[1].err, "results[2]"));
	assert_non_null(strstr(g.t[1].err, "CHECK constraint failed"));

	/* nothing of batch 2: no check new@x, no critical run, not counted */
	s = stats_at(fx->st, 1100);
	assert_int_equal(s.results_stored_total, 3);
	assert_int_equal(s.batches_total, 2);
	assert_int_equal(s.checks_by_status[MX_OK], 2);
	assert_spans(fx->st, "a1", "c1@x", 0, 5000, "1000-1240:ok");
	/* the writer's cache forgot batch 2 too: 1120 is in order again */
	ingest_ok(fx->st, "a1", 3, d, 1);
	assert_spans(fx->st, "a1", "c1@x", 0, 5000, "1000-1300:ok");
	/* the batch can be sent again once fixed */
	b[2].status = MX_OK;
	ingest_ok(fx->st, "a1", 2, b, 3);
	/* its critical 1120 was stored after the ok 1120 of batch 3: it wins */
	assert_spans(fx->st, "a1", "c1@x", 0, 5000, "1000-1120:ok 1120-1300:critical");
	ref_of(fx->st, "a1", "new@x");
}

/* A late result refolds its check (moving the staged raw rows and
   writing the check's runs) inside the batch's savepoint; a bad result
   after it rolls all of that back.  The cache, the staging table and the
   write-behind must agree again: reads, later ingest and a reopen (which
   replays the tail) give the timeline without the bad batch. */
static void
ingest__bad_batch_after_a_refold__rolled_back_with_it(void **state)
{
	struct fx *fx = *state;
	struct ingest_result a[4] = {R("c@x", 1000, MX_OK), R("c@x", 1060, MX_OK),
	                             R("c@x", 1120, MX_WARNING), R("c@x", 1180, MX_WARNING)};
	struct ingest_result b[2] = {R("c@x", 1030, MX_CRITICAL), R("c2@x", 1000, 9)};
	struct ingest_result c[1] = {R("c@x", 1240, MX_OK)};
	struct store_options opt = {.sync_full = 1, .stale_mult = 3};
	const char *err = NULL;
	json_t *h;
	int dup;

	ingest_ok(fx->st, "a", 1, a, 4);
	assert_int_equal(ingest_ex(fx->st, "a", "s1", 2, b, 2, &dup, &err), -1);
	/* ok 1000..1060 cut by the warning run at 1120, which lasts until
	   1180 + 180 */
	assert_spans(fx->st, "a", "c@x", 0, 5000, "1000-1120:ok 1120-1360:warning");
	ingest_ok(fx->st, "a", 3, c, 1);
	assert_spans(fx->st, "a", "c@x", 0, 5000, "1000-1120:ok 1120-1240:warning 1240-1420:ok");
	h = jcheck(store_q_history(fx->st, "a", "c@x", 0, 5000, 100, &err), "history", err);
	assert_int_equal(json_array_size(h), 5); /* batches 1 and 3 */
	json_decref(h);

	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->path, &opt, &fx->st, &err), 0);
	assert_spans(fx->st, "a", "c@x", 0, 5000, "1000-1120:ok 1120-1240:warning 1240-1420:ok");
	assert_int_equal(stats_at(fx->st, 0).results_stored_total, 5);
}

/* ---- runs ---- */

static void
runs__in_order_results__fold_into_runs(void **state)
{
	struct fx *fx = *state;
	struct ingest_result v[5] = {R("c@x", 1000, MX_OK), R("c@x", 1060, MX_OK),
	                             R("c@x", 1120, MX_CRITICAL), R("c@x", 1180, MX_CRITICAL),
	                             R("c@x", 1240, MX_OK)};

	/* in two batches: the run of 1000 continues across transactions */
	ingest_ok(fx->st, "a", 1, v, 2);
	ingest_ok(fx->st, "a", 2, v + 2, 3);
	/* the last run ends at 1240 + 180 */
	assert_spans(fx->st, "a", "c@x", 0, 10000, "1000-1120:ok 1120-1240:critical 1240-1420:ok");
	/* clipped to [1100, 1200) */
	assert_spans(fx->st, "a", "c@x", 1100, 1200, "1100-1120:ok 1120-1200:critical");
	assert_spans(fx->st, "a", "c@x", 2000, 3000, "");
}

static void
base_six_ok(struct store *st)
{
	struct ingest_result v[6];

	for (int i = 0; i < 6; i++)
		v[i] = R("c@x", 1000 + 60 * i, MX_OK);
	ingest_ok(st, "a", 1, v, 6);
	assert_spans(st, "a", "c@x", 0, 10000, "1000-1480:ok");
}

static void
runs__late_result_inside_run__splits_it_in_three(void **state)
{
	struct fx *fx = *state;
	struct ingest_result late = R("c@x", 1150, MX_CRITICAL);

	base_six_ok(fx->st); /* ok at 1000, 1060, ..., 1300 */
	ingest_ok(fx->st, "a", 2, &late, 1);
	/* ok up to the late result, critical until the next result at 1180,
	   ok again from 1180 to 1300 + 180 */
	assert_spans(fx->st, "a", "c@x", 0, 10000, "1000-1150:ok 1150-1180:critical 1180-1480:ok");
}

static void
runs__late_result_of_equal_status__changes_nothing(void **state)
{
	struct fx *fx = *state;
	struct ingest_result late = R("c@x", 1150, MX_OK);

	base_six_ok(fx->st);
	ingest_ok(fx->st, "a", 2, &late, 1);
	assert_spans(fx->st, "a", "c@x", 0, 10000, "1000-1480:ok");
}

static void
runs__late_result_before_all__starts_the_timeline(void **state)
{
	struct fx *fx = *state;
	struct ingest_result early = R("c@x", 900, MX_WARNING);

	base_six_ok(fx->st);
	ingest_ok(fx->st, "a", 2, &early, 1);
	assert_spans(fx->st, "a", "c@x", 0, 10000, "900-1000:warning 1000-1480:ok");
}

static void
runs__gap_of_stale_limit__leaves_nodata(void **state)
{
	struct fx *fx = *state;
	struct ingest_result v[4] = {R("c@x", 1000, MX_OK), R("c@x", 1300, MX_OK),
	                             R("d@x", 1000, MX_OK), R("d@x", 1180, MX_OK)};

	ingest_ok(fx->st, "a", 1, v, 4);
	/* gap 300 >= 180: nodata in [1180, 1300) */
	assert_spans(fx->st, "a", "c@x", 0, 10000, "1000-1180:ok 1300-1480:ok");
	/* gap exactly 180 is not < 180: a new run, adjacent */
	assert_spans(fx->st, "a", "d@x", 0, 10000, "1000-1180:ok 1180-1360:ok");
}

static void
runs__equal_ts__later_stored_wins(void **state)
{
	struct fx *fx = *state;
	struct ingest_result v[2] = {R("c@x", 1000, MX_OK), R("c@x", 1060, MX_OK)};
	struct ingest_result again = R("c@x", 1060, MX_CRITICAL);
	struct ingest_result mid = R("c@x", 1000, MX_WARNING);

	ingest_ok(fx->st, "a", 1, v, 2);
	ingest_ok(fx->st, "a", 2, &again, 1);
	assert_spans(fx->st, "a", "c@x", 0, 10000, "1000-1060:ok 1060-1240:critical");
	ingest_ok(fx->st, "a", 3, &mid, 1);
	assert_spans(fx->st, "a", "c@x", 0, 10000, "1000-1060:warning 1060-1240:critical");
}

/* Deterministic pseudo-random numbers (LCG of Numerical Recipes). */
static uint32_t
lcg(uint32_t *x)
{
	*x = *x * 1664525u + 1013904223u;
	return *x >> 8;
}

/* SPEC 3.4 folded directly over results sorted by ts (distinct ts), as
   the text spans_text gives: the reference for the property test. */
static char *
reference_spans(const struct ingest_result *v, size_t n, int64_t from, int64_t to)
{
	struct sla_span *runs = xcalloc(n, sizeof(*runs));
	size_t nr = 0;
	char *s = xstrdup("");
	int first = 1;

	for (size_t i = 0; i < n; i++) {
		int64_t until = v[i].ts + 3 * v[i].interval;

		if (nr > 0 && runs[nr - 1].status == v[i].status && v[i].ts < runs[nr - 1].end)
			runs[nr - 1].end = until;
		else
			runs[nr++] = (struct sla_span){v[i].ts, until, v[i].status};
	}
	for (size_t i = 0; i < nr; i++) {
		int64_t end =
		    i + 1 < nr && runs[i + 1].start < runs[i].end ? runs[i + 1].start : runs[i].end;
		int64_t a = runs[i].start > from ? runs[i].start : from, b = end < to ? end : to;
		char *t;

		if (a >= b)
			continue;
		t = xasprintf("%s%s%lld-%lld:%s", s, first ? "" : " ", (long long)a, (long long)b,
		              status_name(runs[i].status));
		free(s);
		s = t;
		first = 0;
	}
	free(runs);
	return s;
}

static void
runs__shuffled_arrival__same_spans_as_in_order(void **state)
{
	struct fx *fx = *state;
	enum { N = 400 };
	struct ingest_result in[N], sh[N];
	uint32_t seed = 20261010;
	int64_t ts = 100000;
	int status = MX_OK;
	char *a, *b;
	int64_t batch = 1;

	for (int i = 0; i < N; i++) {
		uint32_t r = lcg(&seed) % 100;

		/* mostly steps of 60, some gaps past the stale limit */
		ts += r < 85   ? 60
		      : r < 95 ? 30 + (int64_t)(lcg(&seed) % 100)
		               : 200 + (lcg(&seed) % 400);
		if (lcg(&seed) % 100 < 20)
			status = (int)(lcg(&seed) % 4);
		in[i] = R("in@x", ts, status);
		if (lcg(&seed) % 10 == 0)
			in[i].interval = 30;
		sh[i] = in[i];
		sh[i].check = "sh@x";
	}
	/* Fisher-Yates */
	for (int i = N - 1; i > 0; i--) {
		int j = (int)(lcg(&seed) % (uint32_t)(i + 1));
		struct ingest_result t = sh[i];

		sh[i] = sh[j];
		sh[j] = t;
	}
	ingest_ok(fx->st, "a", batch++, in, N);
	for (int i = 0; i < N;) {
		int k = 1 + (int)(lcg(&seed) % 7);

		if (i + k > N)
			k = N - i;
		ingest_ok(fx->st, "a", batch++, sh + i, (size_t)k);
		i += k;
	}
	a = spans_text(fx->st, "a", "in@x", 0, ts + 10000);
	b = spans_text(fx->st, "a", "sh@x", 0, ts + 10000);
	assert_true(strlen(a) > 100);
	assert_string_equal(a, b);
	free(b);
	b = reference_spans(in, N, 0, ts + 10000);
	assert_string_equal(a, b);
	free(a);
	free(b);
	a = spans_text(fx->st, "a", "in@x", 100000 + 3000, 100000 + 9000);
	b = spans_text(fx->st, "a", "sh@x", 100000 + 3000, 100000 + 9000);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* ---- queries ---- */

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v))
		fail_msg("%s is not a string", k);
	return json_string_value(v);
}

static json_int_t
jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", k);
	return json_integer_value(v);
}

static void
q_agents__up_until_stale_limit__then_silent(void **state)
{
	struct fx *fx = *state;
	struct ingest_result v[2] = {R("c@x", 990, MX_OK), R("d@x", 990, MX_OK)};
	const char *err = NULL;
	json_t *j;
	struct store_stats s;

	v[1].interval = 300;
	ingest_ok(fx->st, "mbx01", 1, v, 2); /* received 1000 */
	/* shortest interval 60: silent from 1000 + 180 on */
	j = jcheck(store_q_agents(fx->st, 1179, &err), "agents", err);
	assert_string_equal(jstr(json_array_get(j, 0), "id"), "mbx01");
	assert_string_equal(jstr(json_array_get(j, 0), "site"), "hq");
	assert_string_equal(jstr(json_array_get(j, 0), "state"), "up");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(json_array_get(j, 0), "roles"), 0)),
	    "mailbox");
	assert_int_equal(jint(json_array_get(j, 0), "last_seen"), 1000);
	assert_int_equal(jint(json_array_get(j, 0), "checks"), 2);
	json_decref(j);
	j = jcheck(store_q_agents(fx->st, 1180, &err), "agents", err);
	assert_string_equal(jstr(json_array_get(j, 0), "state"), "silent");
	json_decref(j);
	s = stats_at(fx->st, 1180);
	assert_int_equal(s.agents_up, 0);
	assert_int_equal(s.agents_silent, 1);
}

static void
q_checks__stale_check__is_nodata(void **state)
{
	struct fx *fx = *state;
	struct ingest_result v[3] = {R("c@x", 900, MX_CRITICAL), R("c@x", 960, MX_WARNING),
	                             R("c@x", 1000, MX_WARNING)};
	const char *err = NULL;
	json_t *j, *c;
	struct store_stats s;

	v[2].message = "queue high";
	v[2].metrics = "{\"deferred\":137}";
	ingest_ok(fx->st, "a", 1, v, 3);
	j = jcheck(store_q_checks(fx->st, NULL, NULL, 1179, &err), "checks", err);
	assert_int_equal(json_array_size(j), 1);
	c = json_array_get(j, 0);
	assert_string_equal(jstr(c, "status"), "warning");
	assert_string_equal(jstr(c, "last_status"), "warning");
	assert_string_equal(jstr(c, "message"), "queue high");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(c, "metrics"), "deferred")), 137);
	assert_int_equal(jint(c, "ts"), 1000);
	assert_int_equal(jint(c, "since"), 960);
	assert_int_equal(jint(c, "interval"), 60);
	json_decref(j);
	/* 1000 + 180: no data, since then */
	j = jcheck(store_q_checks(fx->st, "a", "nodata", 1180, &err), "checks", err);
	assert_int_equal(json_array_size(j), 1);
	c = json_array_get(j, 0);
	assert_string_equal(jstr(c, "status"), "nodata");
	assert_string_equal(jstr(c, "last_status"), "warning");
	assert_int_equal(jint(c, "since"), 1180);
	json_decref(j);
	j = jcheck(store_q_checks(fx->st, NULL, "warning", 1180, &err), "checks", err);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	j = jcheck(store_q_checks(fx->st, "other", NULL, 1000, &err), "checks", err);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	assert_null(store_q_checks(fx->st, NULL, "bogus", 1000, &err));
	s = stats_at(fx->st, 1180);
	assert_int_equal(s.checks_by_status[MX_NODATA], 1);
	s = stats_at(fx->st, 1179);
	assert_int_equal(s.checks_by_status[MX_WARNING], 1);
}

/* The text the API serves is the tree's document: same keys, same
   values, for checks with and without a tail row, odd characters in
   messages (quotes, a backslash, control characters, UTF-8), and a check
   without metrics.  (Bytes that are not UTF-8 never reach the store: the
   ingest repairs them.) */
static void
q_checks_text__same_document_as_the_tree(void **state)
{
	struct fx *fx = *state;
	struct ingest_result v[3] = {R("c@x", 900, MX_CRITICAL), R("d@x", 960, MX_OK),
	                             R("c@x", 1000, MX_WARNING)};
	const char *err = NULL;
	char *text;
	size_t len;
	json_t *tree, *parsed;
	json_error_t je;
	char *text_first = NULL;

	v[0].message = "older";
	v[2].message = "<script>alert(\"x\")</script> \\ \x01\n\t caf\xc3\xa9 \xe2\x82\xac end";
	v[1].metrics = NULL;
	v[2].metrics = "{\"deferred\":137,\"ratio\":0.5}";
	ingest_ok(fx->st, "a", 1, v, 2);
	ingest_ok(fx->st, "a", 2, v + 2, 1);
	for (int pass = 0; pass < 2; pass++) {
		const char *status = pass == 0 ? NULL : "warning";

		tree = jcheck(store_q_checks(fx->st, NULL, status, 1010, &err), "checks", err);
		assert_int_equal(store_q_checks_text(fx->st, NULL, status, 1010, &text, &len, &err), 0);
		assert_int_equal(strlen(text), len);
		assert_int_equal(text[len - 1], '\n');
		parsed = json_loadb(text, len, 0, &je);
		if (parsed == NULL)
			fail_msg("not JSON: %s in %s", je.text, text);
		assert_true(json_equal(tree, parsed));
		assert_int_equal(json_array_size(parsed), pass == 0 ? 2 : 1);
		json_decref(tree);
		json_decref(parsed);
		if (pass == 0)
			text_first = text;
		else
			free(text);
	}
	assert_non_null(strstr(text_first, "\\u0001\\n\\t caf\xc3\xa9"));
	free(text_first);
	assert_int_equal(store_q_checks_text(fx->st, NULL, "bogus", 1000, &text, &len, &err), -1);
}

static void
q_violations__adjacent_non_ok_runs_merge__open_and_closed(void **state)
{
	struct fx *fx = *state;
	struct ingest_result v[6] = {R("c@x", 1000, MX_OK),       R("c@x", 1060, MX_WARNING),
	                             R("c@x", 1120, MX_CRITICAL), R("c@x", 1180, MX_OK),
	                             R("c@x", 1240, MX_UNKNOWN),  R("c@x", 1300, MX_WARNING)};
	struct ingest_result bp = R("bp@x", 1000, MX_CRITICAL);
	const char *err = NULL;
	json_t *j, *x;

	v[2].message = "down";
	v[5].message = "slow";
	bp.kind = "best-practice";
	ingest_ok(fx->st, "a", 1, v, 6);
	ingest_ok(fx->st, "a", 2, &bp, 1);
	j = jcheck(store_q_violations(fx->st, 0, 1310, 10, &err), "violations", err);
	assert_int_equal(json_array_size(j), 2);
	/* newest first: unknown 1240 + warning 1300, open at 1310 */
	x = json_array_get(j, 0);
	assert_int_equal(jint(x, "start"), 1240);
	assert_true(json_is_null(json_object_get(x, "end")));
	assert_true(json_is_true(json_object_get(x, "open")));
	assert_string_equal(jstr(x, "severity"), "warning");
	assert_string_equal(jstr(x, "status"), "warning");
	assert_int_equal(jint(x, "duration_s"), 70); /* 1310 - 1240 */
	assert_string_equal(jstr(x, "message"), "slow");
	assert_string_equal(jstr(x, "agent"), "a");
	assert_string_equal(jstr(x, "check"), "c@x");
	/* warning 1060 + critical 1120, closed by ok at 1180 */
	x = json_array_get(j, 1);
	assert_int_equal(jint(x, "start"), 1060);
	assert_int_equal(jint(x, "end"), 1180);
	assert_true(json_is_false(json_object_get(x, "open")));
	assert_string_equal(jstr(x, "severity"), "critical");
	assert_string_equal(jstr(x, "status"), "critical");
	assert_int_equal(jint(x, "duration_s"), 120);
	assert_string_equal(jstr(x, "message"), "down");
	json_decref(j);

	j = jcheck(store_q_violations(fx->st, 1, 1310, 10, &err), "violations", err);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	j = jcheck(store_q_violations(fx->st, 0, 1310, 1, &err), "violations", err);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	/* at 1300 + 180 the open one went stale: closed there */
	j = jcheck(store_q_violations(fx->st, 0, 1480, 10, &err), "violations", err);
	x = json_array_get(j, 0);
	assert_int_equal(jint(x, "end"), 1480);
	assert_true(json_is_false(json_object_get(x, "open")));
	json_decref(j);
	j = jcheck(store_q_violations(fx->st, 1, 1480, 10, &err), "violations", err);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
}

static void
q_findings__best_practice_not_ok__listed_with_advice(void **state)
{
	struct fx *fx = *state;
	struct ingest_result v[4] = {R("bp1@x", 1000, MX_WARNING), R("bp2@x", 1000, MX_OK),
	                             R("h@x", 1000, MX_CRITICAL), R("bp3@x", 900, MX_CRITICAL)};
	struct ingest_result fixed = R("bp3@x", 1000, MX_OK);
	const char *err = NULL;
	json_t *j, *f;

	for (int i = 0; i < 4; i++)
		if (i != 2)
			v[i].kind = "best-practice";
	fixed.kind = "best-practice";
	v[0].advice = "Set smtpd_tls_security_level = may";
	v[0].references = "[\"https://www.postfix.org/TLS_README.html\"]";
	v[0].message = "TLS off";
	ingest_ok(fx->st, "a", 1, v, 4);
	ingest_ok(fx->st, "a", 2, &fixed, 1);
	j = jcheck(store_q_findings(fx->st, 1000, &err), "findings", err);
	assert_int_equal(json_array_size(j), 1);
	f = json_array_get(j, 0);
	assert_string_equal(jstr(f, "check"), "bp1@x");
	assert_string_equal(jstr(f, "site"), "hq");
	assert_string_equal(jstr(f, "status"), "warning");
	assert_string_equal(jstr(f, "message"), "TLS off");
	assert_string_equal(jstr(f, "advice"), "Set smtpd_tls_security_level = may");
	assert_string_equal(json_string_value(json_array_get(json_object_get(f, "references"), 0)),
	                    "https://www.postfix.org/TLS_README.html");
	assert_int_equal(jint(f, "ts"), 1000);
	json_decref(j);
}

static void
q_history__range_and_limit(void **state)
{
	struct fx *fx = *state;
	struct ingest_result v[5];
	const char *err = NULL;
	json_t *j;

	for (int i = 0; i < 5; i++)
		v[i] = R("c@x", 1000 + 60 * i, i == 2 ? MX_CRITICAL : MX_OK);
	ingest_ok(fx->st, "a", 1, v, 5);
	/* [1060, 1240): 1060, 1120, 1180; limit 2 */
	j = jcheck(store_q_history(fx->st, "a", "c@x", 1060, 1240, 2, &err), "history", err);
	assert_int_equal(json_array_size(j), 2);
	assert_int_equal(jint(json_array_get(j, 0), "ts"), 1060);
	assert_string_equal(jstr(json_array_get(j, 1), "status"), "critical");
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_array_get(j, 1), "metrics"), "v")),
	                 1);
	json_decref(j);
	j = jcheck(store_q_history(fx->st, "a", "nope", 0, 9999, 10, &err), "history", err);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
}

/* ---- maintenance ---- */

static void
prune__old_rows__deleted_in_chunks_runs_kept(void **state)
{
	struct fx *fx = *state;
	enum { N = 12000 };
	struct ingest_result *v = xcalloc(2 * N, sizeof(*v));
	const char *err = NULL;
	uint64_t n = 0;
	struct store_stats s;
	int64_t first;
	json_t *j;

	for (int i = 0; i < N; i++) {
		v[i] = R("c@x", 1000 + 60 * i, MX_OK);
		v[N + i] = R("d@x", 1000 + 60 * i, MX_OK);
	}
	ingest_ok(fx->st, "a", 1, v, 2 * N);
	free(v);
	/* ts < 1000 + 60 * 11000: 11000 rows of each check, more than a chunk */
	assert_int_equal(store_prune(fx->st, 1000 + 60 * 11000, &n, &err), 0);
	assert_int_equal(n, 22000);
	s = stats_at(fx->st, 0);
	assert_int_equal(s.results_rows, 2000);
	assert_int_equal(s.results_stored_total, 24000);
	j = jcheck(store_q_agents(fx->st, 0, &err), "agents", err);
	assert_int_equal(jint(json_array_get(j, 0), "results_stored"), 2000);
	json_decref(j);
	/* runs are kept: the whole timeline is still there */
	assert_spans(fx->st, "a", "c@x", 0, 2000000,
	             "1000-721120:ok"); /* 1000 + 60 * 11999 + 180 */
	assert_int_equal(store_first_ts(fx->st, &first, &err), 0);
	assert_int_equal(first, 1000);
	/* a second prune has nothing left to do */
	assert_int_equal(store_prune(fx->st, 1000 + 60 * 11000, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_integrity(fx->st, &err), 0);
}

static void
report_marks__set_and_read(void **state)
{
	struct fx *fx = *state;
	const char *err = NULL;
	int m = -1;

	assert_int_equal(store_report_marked(fx->st, "2026-10", "written", &m, &err), 0);
	assert_int_equal(m, 0);
	assert_int_equal(store_report_mark(fx->st, "2026-10", "written", 1793000000, &err), 0);
	assert_int_equal(store_report_marked(fx->st, "2026-10", "written", &m, &err), 0);
	assert_int_equal(m, 1);
	assert_int_equal(store_report_marked(fx->st, "2026-10", "mailed", &m, &err), 0);
	assert_int_equal(m, 0);
}

/* ---- opening ---- */

static int
file_user_version(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static int64_t
file_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
file_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
open__empty_file__migrates_and_reopens_with_data(void **state)
{
	struct fx *fx = *state;
	char *path = xasprintf("%s/empty.db", fx->dir);
	struct store_options opt = {.sync_full = 0};
	struct store *st;
	const char *err = NULL;
	struct ingest_result v = R("c@x", 1000, MX_OK);
	char *jm;

	tu_write_file(path, "");
	assert_int_equal(store_open(path, &opt, &st, &err), 0);
	ingest_ok(st, "a", 1, &v, 1);
	store_close(st);
	assert_int_equal(file_user_version(path), STORE_SCHEMA_VERSION);
	assert_int_equal(store_open(path, &opt, &st, &err), 0);
	assert_spans(st, "a", "c@x", 0, 5000, "1000-1180:ok");
	/* the reopened writer knows the check: the next result extends the run */
	v.ts = 1060;
	ingest_ok(st, "a", 2, &v, 1);
	assert_spans(st, "a", "c@x", 0, 5000, "1000-1240:ok");
	store_close(st);

	/* a database from a newer program is refused */
	jm = xasprintf("PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
	file_exec(path, jm);
	free(jm);
	assert_int_equal(store_open(path, &opt, &st, &err), -1);
	assert_non_null(strstr(err, "newer"));
	free(path);
}

/* A version 1 database (one indexed results table, checks and runs
   written at every commit) is made from a closed current one, whose
   staging table is empty then, by undoing the 2 -> 3 and 1 -> 2 steps
   by hand. */
static void
open__version_1_database__migrates_keeping_rows_and_runs(void **state)
{
	struct fx *fx = *state;
	struct store_options opt = {.sync_full = 1, .stale_mult = 3};
	struct ingest_result v[3] = {R("c@x", 1000, MX_OK), R("c@x", 1060, MX_OK),
	                             R("c@x", 1120, MX_OK)};
	const char *err = NULL;
	json_t *h;

	ingest_ok(fx->st, "a", 1, v, 2);
	store_close(fx->st);
	fx->st = NULL;
	file_exec(fx->path, "DROP TABLE maintenance; DROP TABLE acks; DROP TABLE notify_state; "
	                    "DROP TABLE notify_queue; "
	                    "DROP VIEW results; DROP TABLE results_new; "
	                    "ALTER TABLE results_sorted RENAME TO results; "
	                    "DELETE FROM meta WHERE key = 'folded_rowid'; PRAGMA user_version = 1");
	assert_int_equal(file_user_version(fx->path), 1);

	assert_int_equal(store_open(fx->path, &opt, &fx->st, &err), 0);
	assert_int_equal(file_user_version(fx->path), STORE_SCHEMA_VERSION);
	/* both rows were folded by version 1: the watermark is the last */
	assert_int_equal(file_int(fx->path, "SELECT value FROM meta WHERE key = 'folded_rowid'"),
	                 file_int(fx->path, "SELECT max(id) FROM results"));
	assert_spans(fx->st, "a", "c@x", 0, 5000, "1000-1240:ok");
	ingest_ok(fx->st, "a", 2, v + 2, 1);
	assert_spans(fx->st, "a", "c@x", 0, 5000, "1000-1300:ok");
	h = jcheck(store_q_history(fx->st, "a", "c@x", 0, 5000, 100, &err), "history", err);
	assert_int_equal(json_array_size(h), 3);
	json_decref(h);
}

static void
open_readonly__reads_but_refuses_writes_and_missing_schema(void **state)
{
	struct fx *fx = *state;
	struct store_options ro = {.readonly = 1};
	struct store *st;
	const char *err = NULL;
	struct ingest_result v = R("c@x", 1000, MX_OK);
	char *empty = xasprintf("%s/empty.db", fx->dir);
	char *none = xasprintf("%s/none.db", fx->dir);
	int dup;
	uint64_t n;

	ingest_ok(fx->st, "a", 1, &v, 1);
	assert_int_equal(store_open(fx->path, &ro, &st, &err), 0);
	assert_spans(st, "a", "c@x", 0, 5000, "1000-1180:ok");
	assert_int_equal(ingest_ex(st, "a", "s1", 2, &v, 1, &dup, &err), -1);
	assert_non_null(strstr(err, "read-only"));
	assert_int_equal(store_prune(st, 5000, &n, &err), -1);
	assert_int_equal(store_report_mark(st, "2026-10", "written", 1, &err), -1);
	store_close(st);

	tu_write_file(empty, "");
	assert_int_equal(store_open(empty, &ro, &st, &err), -1);
	assert_non_null(strstr(err, "schema missing"));
	assert_int_equal(store_open(none, &ro, &st, &err), -1);
	/* an older schema is refused too */
	file_exec(empty, "PRAGMA user_version = 0; CREATE TABLE x (y); PRAGMA user_version = 0");
	assert_int_equal(store_open(empty, &ro, &st, &err), -1);
	free(empty);
	free(none);
}

/* ---- readers beside the writer ---- */

struct reader_loop {
	struct store *st;
	_Atomic int *stop;
	int queries, errors;
	char err[256];
};

static void *
reader_loop_main(void *arg)
{
	struct reader_loop *rl = arg;

	while (!*rl->stop) {
		const char *err = NULL;
		json_t *j = store_q_checks(rl->st, NULL, NULL, 5000, &err);
		struct sla_span *v = NULL;
		size_t n;

		if (j == NULL || store_spans(rl->st, 1, 0, 100000, &v, &n, &err) < 0) {
			rl->errors++;
			snprintf(rl->err, sizeof(rl->err), "%s", err);
		}
		json_decref(j);
		free(v);
		rl->queries++;
		/* leave the writer room under valgrind, which runs one thread
		   at a time */
		usleep(500);
	}
	return NULL;
}

static void
readers__query_while_writer_commits__never_fail(void **state)
{
	struct fx *fx = *state;
	_Atomic int stop = 0;
	struct reader_loop rl[2] = {{.st = fx->st, .stop = &stop}, {.st = fx->st, .stop = &stop}};
	pthread_t th[2];
	struct store_stats s;

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader_loop_main, &rl[i]), 0);
	for (int b = 1; b <= 200; b++) {
		struct ingest_result v[10];

		for (int k = 0; k < 10; k++)
			v[k] = R(k % 2 ? "c@x" : "d@x", b * 600 + k * 60, MX_OK);
		ingest_ok(fx->st, "a", b, v, 10);
	}
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 2; i++) {
		if (rl[i].errors > 0)
			fail_msg("%d reader errors, last: %s", rl[i].errors, rl[i].err);
		assert_true(rl[i].queries > 0);
	}
	s = stats_at(fx->st, 0);
	assert_int_equal(s.results_stored_total, 2000); /* 200 batches x 10 */
}

/* ---- durability ---- */

static void
child_ingest(const char *path, int fd)
{
	struct store_options opt = {.sync_full = 1, .stale_mult = 3};
	struct store *st;
	const char *err;

	if (store_open(path, &opt, &st, &err) < 0)
		_exit(2);
	for (int64_t b = 1;; b++) {
		struct ingest_result v[10];
		int dup;

		for (int k = 0; k < 10; k++)
			v[k] = R("c@x", b * 600 + k * 60, k % 3 == 0 ? MX_WARNING : MX_OK);
		if (ingest_ex(st, "a", "s1", b, v, 10, &dup, &err) < 0 || dup)
			_exit(3);
		if (write(fd, &b, sizeof(b)) != sizeof(b))
			_exit(4);
	}
}

static void
ingest__acknowledged_batches__survive_kill_9(void **state)
{
	struct fx *fx = *state;
	int p[2];
	pid_t pid;
	int64_t b, acked[100000];
	size_t nacked = 0;
	ssize_t got;
	int status;
	struct store *st;
	struct store_options opt = {.sync_full = 1};
	const char *err = NULL;

	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child_ingest(fx->path, p[1]);
	}
	close(p[1]);
	while (nacked < 300 && (got = read(p[0], &b, sizeof(b))) == sizeof(b))
		acked[nacked++] = b;
	kill(pid, SIGKILL);
	/* what was written before the kill was acknowledged too */
	while (nacked < 100000 && (got = read(p[0], &b, sizeof(b))) == sizeof(b))
		acked[nacked++] = b;
	close(p[0]);
	waitpid(pid, &status, 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_true(nacked >= 300);

	assert_int_equal(store_open(fx->path, &opt, &st, &err), 0);
	assert_int_equal(store_integrity(st, &err), 0);
	for (size_t i = 0; i < nacked; i++) {
		struct ingest_result v = R("c@x", 1, MX_OK);
		int dup = -1;

		assert_int_equal(acked[i], (int64_t)i + 1);
		/* stored before: the same batch id is a duplicate now */
		assert_int_equal(ingest_ex(st, "a", "s1", acked[i], &v, 1, &dup, &err), 0);
		assert_int_equal(dup, 1);
	}
	{
		struct store_stats s;

		assert_int_equal(store_stats(st, 0, &s, &err), 0);
		assert_true(s.results_stored_total >= 10 * nacked);
		assert_int_equal(s.results_stored_total, 10 * s.batches_total);
	}
	fx->st = st;
}

/* Batch b (1..40) of the write-behind test: checks c, d and e of agent
   "a", one result each at ts b x 60; c is warning in batches 3, 4, 10, 11,
   17, 18, ... (b % 7 in 3..4), d critical in 10..12 and silent in 25..30
   (a gap over its stale limit), e only from batch 5.  Batch 20 adds a
   late result of c inside its run (which forces a write-behind flush), so
   the kill hits a tail of 20 batches folded in memory only. */
static size_t
wb_batch(int64_t b, struct ingest_result *v)
{
	size_t n = 0;

	v[n++] = R("c@x", b * 60, b % 7 == 3 || b % 7 == 4 ? MX_WARNING : MX_OK);
	if (b < 25 || b > 30)
		v[n++] = R("d@x", b * 60, b >= 10 && b <= 12 ? MX_CRITICAL : MX_OK);
	if (b >= 5)
		v[n++] = R("e@x", b * 60, MX_OK);
	if (b == 20)
		v[n++] = R("c@x", 17 * 60 + 30, MX_CRITICAL);
	return n;
}

static void
wb_ingest(struct store *st)
{
	for (int64_t b = 1; b <= 40; b++) {
		struct ingest_result v[4];
		size_t n = wb_batch(b, v);

		ingest_ok(st, "a", b, v, n);
	}
}


static void
assert_json_same(json_t *a, json_t *b)
{
	if (!json_equal(a, b)) {
		char *x = json_dumps(a, JSON_SORT_KEYS), *y = json_dumps(b, JSON_SORT_KEYS);

		fail_msg("after replay: %s\nclean run: %s", x, y);
	}
	json_decref(a);
	json_decref(b);
}

static void
write_behind__kill_9_before_flush__replay_gives_clean_state(void **state)
{
	struct fx *fx = *state;
	char *clean_path = xasprintf("%s/clean.db", fx->dir);
	struct store_options opt = {.sync_full = 1, .stale_mult = 3};
	struct store *st, *clean;
	const char *err = NULL;
	const char *checks[] = {"c@x", "d@x", "e@x"};
	int p[2], status;
	char c;
	pid_t pid;

	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		if (store_open(fx->path, &opt, &st, &err) < 0)
			_exit(2);
		store_writer_set_flush_ms(st, -1);
		wb_ingest(st);
		if (write(p[1], "x", 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	kill(pid, SIGKILL);
	close(p[0]);
	waitpid(pid, &status, 0);
	assert_true(WIFSIGNALED(status));
	/* the kill hit unwritten state: batches 21..40 are a tail of 60 raw
	   rows (3 checks, d silent in 25..30: 20 x 3 - 6 = 54) beyond
	   folded_rowid */
	assert_int_equal(file_int(fx->path, "SELECT count(*) FROM results_new"), 54);
	assert_int_equal(file_int(fx->path, "SELECT count(*) FROM results "
	                                    "WHERE id > (SELECT value FROM meta "
	                                    "WHERE key = 'folded_rowid')"),
	                 54);

	assert_int_equal(store_open(fx->path, &opt, &st, &err), 0);
	assert_int_equal(store_open(clean_path, &opt, &clean, &err), 0);
	wb_ingest(clean);
	/* the replay wrote everything behind */
	assert_int_equal(file_int(fx->path, "SELECT count(*) FROM results_new"), 0);
	for (size_t i = 0; i < 3; i++) {
		char *a = spans_text(st, "a", checks[i], 0, 5000);
		char *b = spans_text(clean, "a", checks[i], 0, 5000);

		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	/* d: ok 60..600, critical 600..780, ok 780..1440+180 (last before the
	   gap at 24 x 60 = 1440), nodata, ok from 31 x 60 = 1860 */
	assert_spans(st, "a", "d@x", 0, 5000,
	             "60-600:ok 600-780:critical 780-1620:ok 1860-2580:ok");
	assert_json_same(jcheck(store_q_checks(st, NULL, NULL, 2430, &err), "checks", err),
	                 jcheck(store_q_checks(clean, NULL, NULL, 2430, &err), "checks", err));
	assert_json_same(jcheck(store_q_violations(st, 0, 2430, 100, &err), "violations", err),
	                 jcheck(store_q_violations(clean, 0, 2430, 100, &err), "violations", err));
	assert_json_same(jcheck(store_q_history(st, "a", "c@x", 0, 5000, 100, &err), "h", err),
	                 jcheck(store_q_history(clean, "a", "c@x", 0, 5000, 100, &err), "h", err));
	assert_int_equal(store_integrity(st, &err), 0);
	store_close(clean);
	free(clean_path);
	fx->st = st;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	    T(ingest__repeated_batch__is_duplicate_and_stores_nothing_twice),
	    T(ingest__bad_batch_in_a_group__is_rolled_back_alone),
	    T(ingest__bad_batch_after_a_refold__rolled_back_with_it),
	    T(runs__in_order_results__fold_into_runs),
	    T(runs__late_result_inside_run__splits_it_in_three),
	    T(runs__late_result_of_equal_status__changes_nothing),
	    T(runs__late_result_before_all__starts_the_timeline),
	    T(runs__gap_of_stale_limit__leaves_nodata),
	    T(runs__equal_ts__later_stored_wins),
	    T(runs__shuffled_arrival__same_spans_as_in_order),
	    T(q_agents__up_until_stale_limit__then_silent),
	    T(q_checks__stale_check__is_nodata),
	    T(q_checks_text__same_document_as_the_tree),
	    T(q_violations__adjacent_non_ok_runs_merge__open_and_closed),
	    T(q_findings__best_practice_not_ok__listed_with_advice),
	    T(q_history__range_and_limit),
	    T(prune__old_rows__deleted_in_chunks_runs_kept),
	    T(report_marks__set_and_read),
	    T(open__empty_file__migrates_and_reopens_with_data),
	    T(open__version_1_database__migrates_keeping_rows_and_runs),
	    T(open_readonly__reads_but_refuses_writes_and_missing_schema),
	    T(readers__query_while_writer_commits__never_fail),
	    T(ingest__acknowledged_batches__survive_kill_9),
	    T(write_behind__kill_9_before_flush__replay_gives_clean_state),
#undef T
#define T(f) {#f "__written_at_every_commit", f, fx_setup_eager, fx_teardown, NULL}
	    T(ingest__repeated_batch__is_duplicate_and_stores_nothing_twice),
	    T(ingest__bad_batch_in_a_group__is_rolled_back_alone),
	    T(ingest__bad_batch_after_a_refold__rolled_back_with_it),
	    T(runs__in_order_results__fold_into_runs),
	    T(runs__late_result_inside_run__splits_it_in_three),
	    T(runs__late_result_of_equal_status__changes_nothing),
	    T(runs__late_result_before_all__starts_the_timeline),
	    T(runs__gap_of_stale_limit__leaves_nodata),
	    T(runs__equal_ts__later_stored_wins),
	    T(runs__shuffled_arrival__same_spans_as_in_order),
	    T(q_agents__up_until_stale_limit__then_silent),
	    T(q_checks__stale_check__is_nodata),
	    T(q_violations__adjacent_non_ok_runs_merge__open_and_closed),
	    T(q_findings__best_practice_not_ok__listed_with_advice),
	    T(q_history__range_and_limit),
	    T(prune__old_rows__deleted_in_chunks_runs_kept),
	    T(readers__query_while_writer_commits__never_fail),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
