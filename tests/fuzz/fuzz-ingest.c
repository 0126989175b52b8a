/*
 * fuzz-ingest.c - fuzz target: the body of POST /api/v1/results
 * (collector/ingest.c, SPEC 3.3), validated exactly as the ingest
 * handler does before anything is stored.
 *
 * The input is the request body.  It is validated under two sets of
 * limits, the defaults of collector.yaml (8 MB, 20000 results, 64 KB
 * strings, depth 32) and tight ones that the seeds run into (8 KB, 50
 * results, 64-byte strings, depth 4), at a fixed "now".
 *
 * An accepted batch must hold what ingest.h promises: at most
 * results_max results; agent and stream 1..128 bytes; every result with
 * check == rule "@" target, a kind of health or best-practice, status
 * MX_OK..MX_UNKNOWN, ts and interval in range, metrics/facts/references
 * JSON texts of the right shape; no string over string_max; and every
 * field equal to what the body says (read again here with jansson).  It
 * must also be accepted with the agent's own token (expect_agent = its
 * agent), refused with 403 at path "agent" for another agent's token,
 * and accepted under the default limits when the tight ones accept it.
 *
 * A refused body must come back with status 400, 403 or 413 (413 exactly
 * when it is over body_max, 403 only with an expected agent), nothing
 * allocated, an error text and a path that go into the JSON reply as
 * they are: valid UTF-8, and the path a JSON path such as
 * results[3].metrics["a.b"] (an identifier, [N] or ["key"] with JSON
 * string escapes, joined by dots before identifiers; a path that fills
 * its buffer was cut and need only begin like one).
 * A broken promise aborts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "ingest.h"
#include "status.h"

/* 2026-09-21T14:13:20Z: the seeds' ts lie around it. */
#define NOW 1790000000

static const struct ingest_limits lim_default = {8u * 1024 * 1024, 20000, 65536, 32};
static const struct ingest_limits lim_tight = {8192, 50, 64, 4};

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* Length of the UTF-8 sequence at s (no overlongs, surrogates or code
   points past U+10FFFF), or 0 if there is none. */
static size_t
utf8_seq(const unsigned char *s)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static int
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t n = utf8_seq(p);

		if (n == 0)
			return 0;
		p += n;
	}
	return 1;
}

static int
is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* `["key"]` at *sp, key a JSON string body; advance past it.  1 when
   the text ends inside it. */
static int
jpath_qkey(const char **sp)
{
	const char *s = *sp + 2;

	for (;;) {
		if (*s == '\0')
			return 1;
		if ((unsigned char)*s < 0x20)
			return -1;
		if (*s == '"')
			break;
		if (*s == '\\') {
			s++;
			if (*s == '\0')
				return 1;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++) {
					if (s[i] == '\0')
						return 1;
					if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
						return -1;
				}
				s += 5;
			} else if (strchr("\"\\/bfnrt", *s) != NULL) {
				s++;
			} else {
				return -1;
			}
			continue;
		}
		s++;
	}
	if (s[1] == '\0')
		return 1;
	if (s[1] != ']')
		return -1;
	*sp = s + 2;
	return 0;
}

/* A JSON path as ingest.h describes it; "" is the body as a whole.  A
   path that fills its buffer was cut: it need only begin like one. */
static int
jpath_valid(const char *path, size_t bufsize)
{
	const char *s = path;
	int first = 1, cut = strlen(path) == bufsize - 1;

	if (!utf8_valid(path))
		return 0;
	while (*s != '\0') {
		if (s[0] == '[' && s[1] == '"') {
			int r = jpath_qkey(&s);

			if (r < 0 || (r > 0 && !cut))
				return 0;
			if (r > 0)
				return 1;
		} else if (s[0] == '[') {
			s++;
			if (*s == '\0')
				return cut;
			if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
				return 0;
			while (*s >= '0' && *s <= '9')
				s++;
			if (*s == '\0')
				return cut;
			if (*s++ != ']')
				return 0;
		} else {
			if (!first && *s++ != '.')
				return 0;
			if (*s == '\0')
				return cut;
			if (!is_ident_char(*s))
				return 0;
			while (is_ident_char(*s))
				s++;
		}
		first = 0;
	}
	return 1;
}

static void
check_str(const char *s, size_t min, size_t max, const struct ingest_limits *lim)
{
	size_t len;

	check(s != NULL);
	len = strlen(s);
	check(len >= min && (max == 0 || len <= max));
	check(lim->string_max <= 0 || len <= (size_t)lim->string_max);
	check(utf8_valid(s));
}

static void
check_opt_str(const char *s, size_t max, const struct ingest_limits *lim)
{
	if (s != NULL)
		check_str(s, 0, max, lim);
}

/* text is NULL or compact JSON of the given shape. */
static void
check_json_text(const char *text, int array, int facts)
{
	json_t *j, *v;
	const char *k;
	size_t i;

	if (text == NULL)
		return;
	j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	check(j != NULL);
	if (array) {
		check(json_is_array(j));
		json_array_foreach(j, i, v) {
			check(json_is_string(v));
		}
	} else {
		check(json_is_object(j));
		json_object_foreach(j, k, v) {
			check(json_is_number(v) ||
			      (facts && (json_is_string(v) || json_is_boolean(v))));
		}
	}
	json_decref(j);
}

/* String member key of obj equals s (both absent/null, or equal). */
static void
check_same(json_t *obj, const char *key, const char *s)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v)) {
		check(s == NULL);
		return;
	}
	check(s != NULL && json_is_string(v) && strcmp(json_string_value(v), s) == 0);
}

static void
check_result(const struct ingest_result *r, json_t *jr, const struct ingest_limits *lim)
{
	char *want;

	check(json_is_object(jr));
	check_str(r->rule, 1, INGEST_PART_MAX, lim);
	check_str(r->target, 1, INGEST_PART_MAX, lim);
	check_str(r->check, 3, 0, lim);
	want = xasprintf("%s@%s", r->rule, r->target);
	check(strcmp(r->check, want) == 0);
	free(want);
	check_str(r->kind, 1, 0, lim);
	check(strcmp(r->kind, "health") == 0 || strcmp(r->kind, "best-practice") == 0);
	check(r->status >= MX_OK && r->status <= MX_UNKNOWN);
	check(r->ts >= INGEST_TS_MIN && r->ts <= NOW + INGEST_TS_FUTURE);
	check(r->interval >= 1 && r->interval <= INGEST_INTERVAL_MAX);
	check_str(r->message, 0, 0, lim);
	check_opt_str(r->title, 0, lim);
	check_opt_str(r->advice, 0, lim);
	check_json_text(r->metrics, 0, 0);
	check_json_text(r->facts, 0, 1);
	check_json_text(r->references, 1, 0);

	/* the same fields as the body has them */
	check_same(jr, "check", r->check);
	check_same(jr, "rule", r->rule);
	check_same(jr, "target", r->target);
	check_same(jr, "kind", r->kind);
	check_same(jr, "message", r->message);
	check_same(jr, "title", r->title);
	check_same(jr, "advice", r->advice);
	check_same(jr, "status", status_name(r->status));
	check(json_integer_value(json_object_get(jr, "ts")) == r->ts);
	check(json_integer_value(json_object_get(jr, "interval")) == r->interval);
	check((r->metrics == NULL) == (json_object_get(jr, "metrics") == NULL ||
	                               json_is_null(json_object_get(jr, "metrics"))));
}

static void
check_batch(const struct ingest_batch *b, const uint8_t *data, size_t size,
            const struct ingest_limits *lim, const char *expect_agent)
{
	json_t *root, *results;

	check_str(b->agent, 1, INGEST_NAME_MAX, lim);
	check_str(b->stream, 1, INGEST_NAME_MAX, lim);
	check_opt_str(b->site, INGEST_NAME_MAX, lim);
	check_json_text(b->roles, 1, 0);
	if (expect_agent != NULL)
		check(strcmp(b->agent, expect_agent) == 0);
	check(b->batch >= 0);
	check(b->received == NOW);
	check(lim->results_max <= 0 || b->n <= (size_t)lim->results_max);
	check(b->n == 0 || b->results != NULL);

	/* read the body again, independently */
	root = json_loadb((const char *)data, size, 0, NULL);
	check(root != NULL && json_is_object(root));
	check_same(root, "agent", b->agent);
	check_same(root, "stream", b->stream);
	check_same(root, "site", b->site);
	check(json_integer_value(json_object_get(root, "batch")) == b->batch);
	results = json_object_get(root, "results");
	check(json_is_array(results) && json_array_size(results) == b->n);
	for (size_t i = 0; i < b->n; i++)
		check_result(&b->results[i], json_array_get(results, i), lim);
	json_decref(root);
}

static void
check_refusal(const struct ingest_error *err, const struct ingest_batch *b,
              const struct ingest_doc *doc, size_t size, const struct ingest_limits *lim,
              const char *expect_agent)
{
	check(err->status == 400 || err->status == 403 || err->status == 413);
	check((err->status == 413) == (lim->body_max > 0 && size > lim->body_max));
	check(err->status != 403 || expect_agent != NULL);
	check(doc == NULL && b->agent == NULL && b->results == NULL && b->n == 0);
	check(memchr(err->error, '\0', sizeof(err->error)) != NULL);
	check(memchr(err->path, '\0', sizeof(err->path)) != NULL);
	check(err->error[0] != '\0');
	if (!utf8_valid(err->error)) {
		fprintf(stderr, "fuzz-ingest: error is not UTF-8: %s\n", err->error);
		abort();
	}
	if (!jpath_valid(err->path, sizeof(err->path))) {
		fprintf(stderr, "fuzz-ingest: bad path: %s\n", err->path);
		abort();
	}
	if (err->status == 403)
		check(strcmp(err->path, "agent") == 0);
}

/* Validate with lim and expect_agent and check the verdict; returns the
   result count when accepted, -1 when refused (*status_r). */
static long
run(const uint8_t *data, size_t size, const struct ingest_limits *lim, const char *expect_agent,
    int *status_r)
{
	struct ingest_batch b;
	struct ingest_doc *doc = NULL;
	struct ingest_error err;
	long n;

	memset(&err, 0xa5, sizeof(err)); /* an unset field shows */
	if (ingest_parse((const char *)data, size, lim, expect_agent, NOW, &b, &doc, &err) < 0) {
		check_refusal(&err, &b, doc, size, lim, expect_agent);
		*status_r = err.status;
		return -1;
	}
	check(doc != NULL);
	check_batch(&b, data, size, lim, expect_agent);
	n = (long)b.n;
	*status_r = 200;

	if (expect_agent == NULL) {
		/* the agent's own token: the same verdict; another's: 403 */
		char *agent = xstrdup(b.agent);
		const char *other = strcmp(agent, "mbx01") == 0 ? "hub01" : "mbx01";
		int st;

		ingest_doc_free(doc);
		doc = NULL;
		check(run(data, size, lim, agent, &st) == n);
		check(run(data, size, lim, other, &st) == -1 && st == 403);
		free(agent);
	}
	ingest_doc_free(doc);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long tight, loose;
	int st_tight, st_loose;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	tight = run(data, size, &lim_tight, NULL, &st_tight);
	loose = run(data, size, &lim_default, NULL, &st_loose);
	/* tighter limits never let through what the defaults refuse */
	if (tight >= 0)
		check(loose == tight);
	return 0;
}
