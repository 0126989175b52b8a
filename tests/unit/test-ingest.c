/*
 * test-ingest.c - validation of ingest request bodies (collector/ingest.c,
 * SPEC 3.3): a sound batch comes out field by field; every refusal comes
 * with its HTTP status and the exact JSON path of the offending field;
 * every limit (body size, depth, string length, result count) names
 * itself; 5,000 results in one request are accepted.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "ingest.h"
#include "status.h"

/* 2026-11-21 22:00:00 UTC */
#define NOW 1795298400

static const struct ingest_limits lim_default = {
	.body_max = 8 * 1024 * 1024, .results_max = 20000, .string_max = 65536, .depth_max = 32,
};

/* A sound result i: ts NOW - 60 * i. */
static json_t *
result(int i)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:s, s:s, s:{s:i}, s:{s:s, s:b}, s:s}",
			 "check", "queue.deferred@queue", "rule", "queue.deferred", "target", "queue",
			 "kind", "health", "ts", (json_int_t)(NOW - 60 * i), "interval", 60,
			 "status", "warning", "message", "137 deferred", "metrics", "deferred", 137,
			 "facts", "mta", "postfix", "ok", 1, "title", "Deferred queue");
}

static json_t *
batch(int n)
{
	json_t *res = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(res, result(i));
	return json_pack("{s:s, s:s, s:[s], s:s, s:i, s:o}", "agent", "mbx01", "site", "hq",
			 "roles", "mailbox", "stream", "9f3c1e", "batch", 42, "results", res);
}

struct outcome {
	int rc;
	struct ingest_error err;
	struct ingest_batch b;
	struct ingest_doc *doc;
};

static void
run_text(const char *text, const struct ingest_limits *lim, const char *expect, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->rc = ingest_parse(text, strlen(text), lim, expect, NOW, &o->b, &o->doc, &o->err);
}

/* Takes j. */
static void
run(json_t *j, const struct ingest_limits *lim, const char *expect, struct outcome *o)
{
	char *text = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	run_text(text, lim, expect, o);
	free(text);
}

#define assert_refused(o, want_status, want_path)                                                  \
	do {                                                                                       \
		assert_int_equal((o)->rc, -1);                                                     \
		assert_int_equal((o)->err.status, (want_status));                                  \
		assert_string_equal((o)->err.path, (want_path));                                   \
		assert_null((o)->doc);                                                             \
	} while (0)

/* Set member key of results[i] (value taken; NULL deletes it). */
static json_t *
with_result_field(json_t *b, int i, const char *key, json_t *v)
{
	json_t *r = json_array_get(json_object_get(b, "results"), (size_t)i);

	if (v == NULL)
		json_object_del(r, key);
	else
		json_object_set_new(r, key, v);
	return b;
}

static json_t *
with_field(json_t *b, const char *key, json_t *v)
{
	if (v == NULL)
		json_object_del(b, key);
	else
		json_object_set_new(b, key, v);
	return b;
}

static void
ingest_parse__sound_batch__gives_every_field(void **state)
{
	struct outcome o;

	(void)state;
	run(batch(2), &lim_default, "mbx01", &o);
	assert_int_equal(o.rc, 0);
	assert_string_equal(o.b.agent, "mbx01");
	assert_string_equal(o.b.site, "hq");
	assert_string_equal(o.b.roles, "[\"mailbox\"]");
	assert_string_equal(o.b.stream, "9f3c1e");
	assert_int_equal(o.b.batch, 42);
	assert_int_equal(o.b.received, NOW);
	assert_int_equal(o.b.n, 2);
	assert_string_equal(o.b.results[1].check, "queue.deferred@queue");
	assert_string_equal(o.b.results[1].rule, "queue.deferred");
	assert_string_equal(o.b.results[1].target, "queue");
	assert_string_equal(o.b.results[1].kind, "health");
	assert_int_equal(o.b.results[1].ts, NOW - 60);
	assert_int_equal(o.b.results[1].interval, 60);
	assert_int_equal(o.b.results[1].status, MX_WARNING);
	assert_string_equal(o.b.results[1].message, "137 deferred");
	assert_string_equal(o.b.results[1].title, "Deferred queue");
	assert_string_equal(o.b.results[1].metrics, "{\"deferred\":137}");
	assert_string_equal(o.b.results[1].facts, "{\"mta\":\"postfix\",\"ok\":true}");
	assert_null(o.b.results[1].advice);
	assert_null(o.b.results[1].references);
	ingest_doc_free(o.doc);
}

static void
ingest_parse__empty_results_and_no_optional_fields__accepted(void **state)
{
	struct outcome o;

	(void)state;
	run_text("{\"agent\":\"a\",\"stream\":\"s\",\"batch\":0,\"results\":[]}", &lim_default, NULL,
		 &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.b.n, 0);
	assert_null(o.b.site);
	assert_null(o.b.roles);
	ingest_doc_free(o.doc);
}

static void
ingest_parse__optional_fields_null__taken_as_absent(void **state)
{
	struct outcome o;
	json_t *b = batch(1);

	(void)state;
	with_result_field(b, 0, "metrics", json_null());
	with_result_field(b, 0, "facts", NULL);
	with_result_field(b, 0, "title", json_null());
	with_result_field(b, 0, "advice", json_string("Raise the limit"));
	with_result_field(b, 0, "references", json_pack("[s,s]", "RFC 5321", "man postqueue"));
	with_result_field(b, 0, "kind", json_string("best-practice"));
	with_field(b, "site", json_null());
	run(b, &lim_default, NULL, &o);
	assert_int_equal(o.rc, 0);
	assert_null(o.b.results[0].metrics);
	assert_null(o.b.results[0].facts);
	assert_null(o.b.results[0].title);
	assert_null(o.b.site);
	assert_string_equal(o.b.results[0].advice, "Raise the limit");
	assert_string_equal(o.b.results[0].references, "[\"RFC 5321\",\"man postqueue\"]");
	assert_string_equal(o.b.results[0].kind, "best-practice");
	ingest_doc_free(o.doc);
}

static void
ingest_parse__5000_results__accepted(void **state)
{
	struct outcome o;

	(void)state;
	run(batch(5000), &lim_default, "mbx01", &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.b.n, 5000);
	/* the last one: ts = NOW - 60 * 4999 */
	assert_int_equal(o.b.results[4999].ts, NOW - 299940);
	ingest_doc_free(o.doc);
}

static void
ingest_parse__bad_json__400_whole_body(void **state)
{
	struct outcome o;

	(void)state;
	run_text("{\"agent\":\"mbx01\",", &lim_default, NULL, &o);
	assert_refused(&o, 400, "");
	assert_non_null(strstr(o.err.error, "bad JSON"));
	run_text("", &lim_default, NULL, &o);
	assert_refused(&o, 400, "");
	run_text("[1,2]", &lim_default, NULL, &o);
	assert_refused(&o, 400, "");
	assert_string_equal(o.err.error, "the body must be a JSON object, not an array");
	/* an ambiguous object is refused, not read one way or the other */
	run_text("{\"agent\":\"a\",\"agent\":\"b\",\"stream\":\"s\",\"batch\":0,\"results\":[]}",
		 &lim_default, NULL, &o);
	assert_refused(&o, 400, "");
	/* NUL inside a string would cut it short in C */
	run_text("{\"agent\":\"a\\u0000b\",\"stream\":\"s\",\"batch\":0,\"results\":[]}", &lim_default,
		 NULL, &o);
	assert_refused(&o, 400, "");
}

static void
ingest_parse__top_level_fields__each_refused_with_its_path(void **state)
{
	struct outcome o;
	char long_name[130];

	(void)state;
	memset(long_name, 'x', 129);
	long_name[129] = '\0';
	run(with_field(batch(1), "agent", NULL), &lim_default, NULL, &o);
	assert_refused(&o, 400, "agent");
	assert_string_equal(o.err.error, "missing required field \"agent\"");
	run(with_field(batch(1), "agent", json_integer(7)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "agent");
	assert_string_equal(o.err.error, "\"agent\" must be a string, not an integer");
	run(with_field(batch(1), "agent", json_string("")), &lim_default, NULL, &o);
	assert_refused(&o, 400, "agent");
	run(with_field(batch(1), "agent", json_string(long_name)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "agent");
	run(with_field(batch(1), "stream", json_string("")), &lim_default, NULL, &o);
	assert_refused(&o, 400, "stream");
	run(with_field(batch(1), "stream", json_string(long_name)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "stream");
	run(with_field(batch(1), "stream", NULL), &lim_default, NULL, &o);
	assert_refused(&o, 400, "stream");
	run(with_field(batch(1), "batch", json_integer(-1)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "batch");
	run(with_field(batch(1), "batch", json_real(1.5)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "batch");
	assert_string_equal(o.err.error, "\"batch\" must be an integer, not a number");
	run(with_field(batch(1), "batch", json_string("1")), &lim_default, NULL, &o);
	assert_refused(&o, 400, "batch");
	run(with_field(batch(1), "site", json_true()), &lim_default, NULL, &o);
	assert_refused(&o, 400, "site");
	run(with_field(batch(1), "roles", json_string("mailbox")), &lim_default, NULL, &o);
	assert_refused(&o, 400, "roles");
	run(with_field(batch(1), "roles", json_pack("[s,i]", "mailbox", 3)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "roles[1]");
	run(with_field(batch(1), "results", NULL), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results");
	run(with_field(batch(1), "results", json_object()), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results");
	assert_string_equal(o.err.error, "\"results\" must be an array, not an object");
}

static void
ingest_parse__token_of_another_agent__403(void **state)
{
	struct outcome o;

	(void)state;
	run(batch(1), &lim_default, "hub01", &o);
	assert_refused(&o, 403, "agent");
	assert_string_equal(o.err.error, "the token does not belong to agent \"mbx01\"");
}

static void
ingest_parse__result_fields__each_refused_with_its_path(void **state)
{
	struct outcome o;

	(void)state;
	run(with_result_field(batch(1), 0, "status", json_integer(5)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].status");
	assert_string_equal(o.err.error, "\"status\" must be a string, not an integer");
	run(with_result_field(batch(3), 2, "ts", NULL), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[2].ts");
	assert_string_equal(o.err.error, "missing required field \"ts\"");
	run(with_result_field(batch(1), 0, "status", json_string("bogus")), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].status");
	run(with_result_field(batch(1), 0, "status", json_string("nodata")), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].status");
	run(with_result_field(batch(1), 0, "ts", json_real(1795298400.5)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].ts");
	/* 1999-12-31T23:59:59Z = 946684799: before the sane range */
	run(with_result_field(batch(1), 0, "ts", json_integer(946684799)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].ts");
	/* NOW + 86400 is the last second allowed */
	run(with_result_field(batch(1), 0, "ts", json_integer(NOW + 86400)), &lim_default, NULL, &o);
	assert_int_equal(o.rc, 0);
	ingest_doc_free(o.doc);
	run(with_result_field(batch(1), 0, "ts", json_integer(NOW + 86401)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].ts");
	run(with_result_field(batch(1), 0, "interval", json_integer(0)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].interval");
	run(with_result_field(batch(1), 0, "kind", json_string("advice")), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].kind");
	run(with_result_field(batch(1), 0, "check", json_string("queue.deferred@other")), &lim_default,
	    NULL, &o);
	assert_refused(&o, 400, "results[0].check");
	run(with_result_field(batch(1), 0, "check", json_string("queue.deferred@queuex")), &lim_default,
	    NULL, &o);
	assert_refused(&o, 400, "results[0].check");
	run(with_result_field(batch(1), 0, "rule", json_string("")), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].rule");
	run(with_result_field(batch(1), 0, "target", NULL), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].target");
	run(with_result_field(batch(1), 0, "message", NULL), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].message");
	run(with_result_field(batch(1), 0, "title", json_integer(1)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].title");
	run(with_result_field(batch(1), 0, "metrics", json_pack("{s:s}", "deferred", "many")),
	    &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].metrics.deferred");
	assert_string_equal(o.err.error, "metrics values must be numbers, not a string");
	run(with_result_field(batch(1), 0, "metrics", json_pack("{s:b}", "up", 1)), &lim_default, NULL,
	    &o);
	assert_refused(&o, 400, "results[0].metrics.up");
	run(with_result_field(batch(1), 0, "metrics", json_pack("[i]", 1)), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].metrics");
	run(with_result_field(batch(1), 0, "facts", json_pack("{s:{}}", "x")), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].facts.x");
	run(with_result_field(batch(1), 0, "facts", json_pack("{s:n}", "a.b")), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0].facts[\"a.b\"]");
	run(with_result_field(batch(1), 0, "references", json_pack("[s,i]", "x", 2)), &lim_default,
	    NULL, &o);
	assert_refused(&o, 400, "results[0].references[1]");
	run(with_field(batch(1), "results", json_pack("[s]", "x")), &lim_default, NULL, &o);
	assert_refused(&o, 400, "results[0]");
	assert_string_equal(o.err.error, "a result must be an object, not a string");
}

static void
ingest_parse__body_over_body_max__413(void **state)
{
	struct ingest_limits lim = lim_default;
	struct outcome o;
	json_t *b = batch(1);
	char *text;

	(void)state;
	text = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	lim.body_max = strlen(text) - 1;
	run_text(text, &lim, NULL, &o);
	assert_refused(&o, 413, "");
	assert_non_null(strstr(o.err.error, "limits.body_max"));
	lim.body_max = strlen(text);
	run_text(text, &lim, NULL, &o);
	assert_int_equal(o.rc, 0);
	ingest_doc_free(o.doc);
	free(text);
}

static void
ingest_parse__more_results_than_results_max__400_names_limit(void **state)
{
	struct ingest_limits lim = lim_default;
	struct outcome o;

	(void)state;
	lim.results_max = 3;
	run(batch(4), &lim, NULL, &o);
	assert_refused(&o, 400, "results");
	assert_string_equal(o.err.error, "more results than limits.results_max (3)");
	run(batch(3), &lim, NULL, &o);
	assert_int_equal(o.rc, 0);
	ingest_doc_free(o.doc);
}

static void
ingest_parse__long_string__400_names_limit_and_path(void **state)
{
	struct ingest_limits lim = lim_default;
	struct outcome o;
	char msg[18];

	(void)state;
	memset(msg, 'm', 17);
	msg[17] = '\0';
	lim.string_max = 16;
	run(with_result_field(batch(2), 1, "message", json_string(msg)), &lim, NULL, &o);
	/* "queue.deferred@queue" (20 bytes) is the first string over 16 in document order */
	assert_refused(&o, 400, "results[0].check");
	lim.string_max = 20;
	run(with_result_field(batch(2), 1, "message", json_string("m123456789012345678901")), &lim,
	    NULL, &o);
	assert_refused(&o, 400, "results[1].message");
	assert_string_equal(o.err.error, "string longer than limits.string_max (20 bytes)");
}

static void
ingest_parse__nesting_deeper_than_depth_max__400_names_limit_and_path(void **state)
{
	struct ingest_limits lim = lim_default;
	struct outcome o;

	(void)state;
	/* top object 1, results 2, results[0] 3, facts 4 */
	lim.depth_max = 3;
	run(batch(1), &lim, NULL, &o);
	assert_refused(&o, 400, "results[0].metrics");
	assert_string_equal(o.err.error, "nesting deeper than limits.depth_max (3)");
	lim.depth_max = 4;
	run(batch(1), &lim, NULL, &o);
	assert_int_equal(o.rc, 0);
	ingest_doc_free(o.doc);
	/* a deep unknown member counts too */
	run(with_field(batch(1), "extra", json_pack("{s:{s:{s:{}}}}", "a", "b", "c")), &lim, NULL, &o);
	assert_refused(&o, 400, "extra.a.b.c");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ingest_parse__sound_batch__gives_every_field),
		cmocka_unit_test(ingest_parse__empty_results_and_no_optional_fields__accepted),
		cmocka_unit_test(ingest_parse__optional_fields_null__taken_as_absent),
		cmocka_unit_test(ingest_parse__5000_results__accepted),
		cmocka_unit_test(ingest_parse__bad_json__400_whole_body),
		cmocka_unit_test(ingest_parse__top_level_fields__each_refused_with_its_path),
		cmocka_unit_test(ingest_parse__token_of_another_agent__403),
		cmocka_unit_test(ingest_parse__result_fields__each_refused_with_its_path),
		cmocka_unit_test(ingest_parse__body_over_body_max__413),
		cmocka_unit_test(ingest_parse__more_results_than_results_max__400_names_limit),
		cmocka_unit_test(ingest_parse__long_string__400_names_limit_and_path),
		cmocka_unit_test(ingest_parse__nesting_deeper_than_depth_max__400_names_limit_and_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
