/*
 * ingest.c - validation of an ingest request body (see ingest.h).
 *
 * Two passes over the parsed document: first the generic limits (depth,
 * string length) over every node, so that no later code ever sees an
 * oversized value; then the field rules, in document order, stopping at
 * the first problem.  Strings of the batch are borrowed from the jansson
 * tree, which the ingest_doc keeps alive.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ingest.h"
#include "status.h"
#include "xmalloc.h"

struct ingest_doc {
	json_t *root;
	struct ingest_result *results;
	char **texts;           /* compact JSON dumps the results point to */
	size_t ntexts, captexts;
};

/* A JSON path being built: "results[3].metrics.deferred". */
/* Replace every byte that does not start a valid UTF-8 sequence with '?',
   and cut a sequence left incomplete at the end by truncation: jansson's
   parse errors quote the input near the error, which may be anything, a
   message cut to fit its buffer may end inside a character, and the
   error goes back to the client as a JSON string. */
static void
utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p != '\0') {
		size_t n = *p < 0x80 ? 1 : (*p >= 0xC2 && *p <= 0xDF) ? 2 :
			   (*p >= 0xE0 && *p <= 0xEF) ? 3 : (*p >= 0xF0 && *p <= 0xF4) ? 4 : 0;
		size_t k;

		for (k = 1; k < n && (p[k] & 0xC0) == 0x80; k++)
			;
		if (k < n && p[k] == '\0') {
			*p = '\0';
			break;
		}
		if (n >= 3 && k == n) {
			unsigned cp = n == 3 ? ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu)
					     : ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) |
						       ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
			if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
			    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
				n = 0;
		}
		if (n == 0 || k != n) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

/* The number of bytes of s to print to show at most max bytes without
   cutting a character. */
static int
utf8_cut(const char *s, size_t max)
{
	size_t len = strlen(s), cut = len > max ? max : len;

	while (cut > 0 && cut < len && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	return (int)cut;
}

/* The path to the value being checked, kept as a stack of keys and
   indexes and written out only when something is refused: most bodies
   are sound, and formatting a path for every key would cost more than
   the checks. */
#define JPATH_DEPTH 64
struct jpath {
	struct { const char *key; size_t idx; } seg[JPATH_DEPTH];
	size_t n;        /* may exceed JPATH_DEPTH; deeper segments are not kept */
};

static size_t
jpath_push_key(struct jpath *p, const char *key)
{
	if (p->n < JPATH_DEPTH)
		p->seg[p->n].key = key;
	return p->n++;
}

static size_t
jpath_push_index(struct jpath *p, size_t i)
{
	if (p->n < JPATH_DEPTH) {
		p->seg[p->n].key = NULL;
		p->seg[p->n].idx = i;
	}
	return p->n++;
}

static void
jpath_pop(struct jpath *p, size_t old)
{
	p->n = old;
}

/* One key as a path segment: plain keys as .key, others bracketed and
   escaped as in a JSON string, cut at 64 bytes on a character boundary. */
static void
jpath_put_key(char *buf, size_t room, int first, const char *key)
{
	size_t klen = strlen(key);
	int plain = klen > 0;

	for (const char *c = key; *c != '\0' && plain; c++)
		plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			(*c >= '0' && *c <= '9') || *c == '_' || *c == '-';
	if (plain) {
		snprintf(buf, room, "%s%s", first ? "" : ".", key);
	} else {
		size_t cut = klen > 64 ? 64 : klen, e = 0;
		char esc[2 * 64 + 1];

		while (cut > 0 && cut < klen && ((unsigned char)key[cut] & 0xC0) == 0x80)
			cut--;
		/* control characters shown as '?' */
		for (size_t i = 0; i < cut; i++) {
			unsigned char ch = (unsigned char)key[i];

			if (ch == '"' || ch == '\\')
				esc[e++] = '\\';
			esc[e++] = ch < 0x20 || ch == 0x7F ? '?' : (char)ch;
		}
		esc[e] = '\0';
		snprintf(buf, room, "[\"%s\"]", esc);
	}
}

/* The path as text ("results[3].metrics.x"), cut to fit out. */
static void
jpath_format(const struct jpath *p, char *out, size_t size)
{
	size_t len = 0, n = p->n < JPATH_DEPTH ? p->n : JPATH_DEPTH;

	out[0] = '\0';
	for (size_t i = 0; i < n && len + 1 < size; i++) {
		if (p->seg[i].key != NULL)
			jpath_put_key(out + len, size - len, i == 0, p->seg[i].key);
		else
			snprintf(out + len, size - len, "[%zu]", p->seg[i].idx);
		len += strlen(out + len);
	}
	if (p->n > JPATH_DEPTH && len + 4 < size)
		memcpy(out + len, "...", 4);
}

static int
fail(struct ingest_error *err, int status, const struct jpath *p, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(struct ingest_error *err, int status, const struct jpath *p, const char *fmt, ...)
{
	va_list ap;

	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->error, sizeof(err->error), fmt, ap);
	va_end(ap);
	if (p != NULL)
		jpath_format(p, err->path, sizeof(err->path));
	else
		err->path[0] = '\0';
	utf8_sanitize(err->error);
	utf8_sanitize(err->path);
	return -1;
}

/* Depth and string length over the whole tree, keys included. */
static int
check_limits(json_t *j, int depth, const struct ingest_limits *lim, struct jpath *p,
	     struct ingest_error *err)
{
	const char *key;
	json_t *v;
	size_t i, old;

	if (json_is_string(j)) {
		if (lim->string_max > 0 && json_string_length(j) > (size_t)lim->string_max)
			return fail(err, 400, p, "string longer than limits.string_max (%ld bytes)",
				    lim->string_max);
		return 0;
	}
	if (!json_is_object(j) && !json_is_array(j))
		return 0;
	if (lim->depth_max > 0 && depth > lim->depth_max)
		return fail(err, 400, p, "nesting deeper than limits.depth_max (%d)", lim->depth_max);
	if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			old = jpath_push_index(p, i);
			if (check_limits(v, depth + 1, lim, p, err) < 0)
				return -1;
			jpath_pop(p, old);
		}
		return 0;
	}
	json_object_foreach(j, key, v) {
		old = jpath_push_key(p, key);
		if (lim->string_max > 0 && strlen(key) > (size_t)lim->string_max)
			return fail(err, 400, p, "key longer than limits.string_max (%ld bytes)",
				    lim->string_max);
		if (check_limits(v, depth + 1, lim, p, err) < 0)
			return -1;
		jpath_pop(p, old);
	}
	return 0;
}

static const char *
type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* Member key of obj as a string.  required: absent is an error; optional
   members may be absent or null (*s_r = NULL).  max: byte limit or 0;
   nonempty: "" refused. */
static int
get_string(json_t *obj, const char *key, int required, size_t max, int nonempty,
	   const char **s_r, struct jpath *p, struct ingest_error *err)
{
	json_t *v = json_object_get(obj, key);
	size_t old = jpath_push_key(p, key);

	*s_r = NULL;
	if (v == NULL || (!required && json_is_null(v))) {
		if (required)
			return fail(err, 400, p, "missing required field \"%s\"", key);
		jpath_pop(p, old);
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, 400, p, "\"%s\" must be a string, not %s", key, type_name(v));
	if (nonempty && json_string_length(v) == 0)
		return fail(err, 400, p, "\"%s\" must not be empty", key);
	if (max > 0 && json_string_length(v) > max)
		return fail(err, 400, p, "\"%s\" longer than %zu bytes", key, max);
	*s_r = json_string_value(v);
	jpath_pop(p, old);
	return 0;
}

static int
get_integer(json_t *obj, const char *key, json_int_t min, json_int_t max, json_int_t *v_r,
	    struct jpath *p, struct ingest_error *err)
{
	json_t *v = json_object_get(obj, key);
	size_t old = jpath_push_key(p, key);

	if (v == NULL)
		return fail(err, 400, p, "missing required field \"%s\"", key);
	if (!json_is_integer(v))
		return fail(err, 400, p, "\"%s\" must be an integer, not %s", key, type_name(v));
	*v_r = json_integer_value(v);
	if (*v_r < min || *v_r > max)
		return fail(err, 400, p, "\"%s\" out of range (%lld .. %lld)", key, (long long)min,
			    (long long)max);
	jpath_pop(p, old);
	return 0;
}

static void
doc_keep(struct ingest_doc *d, char *text)
{
	d->texts = xgrow(d->texts, &d->captexts, d->ntexts + 1, sizeof(*d->texts));
	d->texts[d->ntexts++] = text;
}

/* Optional member: an object whose values pass allowed(), or an array of
   strings (array = 1); its compact dump into *text_r (NULL when absent). */
static int
get_container(struct ingest_doc *d, json_t *obj, const char *key, int array, int facts,
	      size_t max_item, const char **text_r, struct jpath *p, struct ingest_error *err)
{
	json_t *v = json_object_get(obj, key), *item;
	size_t old = jpath_push_key(p, key), old2, i;
	const char *k;
	char *text;

	*text_r = NULL;
	if (v == NULL || json_is_null(v)) {
		jpath_pop(p, old);
		return 0;
	}
	if (array) {
		if (!json_is_array(v))
			return fail(err, 400, p, "\"%s\" must be an array of strings, not %s", key,
				    type_name(v));
		json_array_foreach(v, i, item) {
			old2 = jpath_push_index(p, i);
			if (!json_is_string(item))
				return fail(err, 400, p, "\"%s\" must hold strings, not %s", key,
					    type_name(item));
			if (max_item > 0 && json_string_length(item) > max_item)
				return fail(err, 400, p, "\"%s\" item longer than %zu bytes", key,
					    max_item);
			jpath_pop(p, old2);
		}
	} else {
		if (!json_is_object(v))
			return fail(err, 400, p, "\"%s\" must be an object, not %s", key, type_name(v));
		json_object_foreach(v, k, item) {
			old2 = jpath_push_key(p, k);
			if (!json_is_number(item) &&
			    !(facts && (json_is_string(item) || json_is_boolean(item))))
				return fail(err, 400, p, "%s values must be %s, not %s", key,
					    facts ? "strings, numbers or booleans" : "numbers",
					    type_name(item));
			jpath_pop(p, old2);
		}
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (text == NULL)
		return fail(err, 400, p, "\"%s\" cannot be serialised", key);
	doc_keep(d, text);
	*text_r = text;
	jpath_pop(p, old);
	return 0;
}

static int
parse_result(struct ingest_doc *d, json_t *jr, int64_t now, struct ingest_result *r,
	     struct jpath *p, struct ingest_error *err)
{
	const char *status;
	json_int_t ts, interval;
	size_t rl, tl;
	int st;

	if (!json_is_object(jr))
		return fail(err, 400, p, "a result must be an object, not %s", type_name(jr));
	if (get_string(jr, "check", 1, 2 * INGEST_PART_MAX + 1, 1, &r->check, p, err) < 0 ||
	    get_string(jr, "rule", 1, INGEST_PART_MAX, 1, &r->rule, p, err) < 0 ||
	    get_string(jr, "target", 1, INGEST_PART_MAX, 1, &r->target, p, err) < 0)
		return -1;
	rl = strlen(r->rule);
	tl = strlen(r->target);
	if (strlen(r->check) != rl + 1 + tl || strncmp(r->check, r->rule, rl) != 0 ||
	    r->check[rl] != '@' || strcmp(r->check + rl + 1, r->target) != 0) {
		jpath_push_key(p, "check");
		return fail(err, 400, p, "\"check\" must be rule@target (\"%.*s@%.*s\")",
			    utf8_cut(r->rule, 64), r->rule, utf8_cut(r->target, 64), r->target);
	}
	if (get_string(jr, "kind", 1, 0, 1, &r->kind, p, err) < 0)
		return -1;
	if (strcmp(r->kind, "health") != 0 && strcmp(r->kind, "best-practice") != 0) {
		jpath_push_key(p, "kind");
		return fail(err, 400, p, "\"kind\" must be \"health\" or \"best-practice\"");
	}
	if (get_integer(jr, "ts", INGEST_TS_MIN, now + INGEST_TS_FUTURE, &ts, p, err) < 0 ||
	    get_integer(jr, "interval", 1, INGEST_INTERVAL_MAX, &interval, p, err) < 0)
		return -1;
	r->ts = ts;
	r->interval = interval;
	if (get_string(jr, "status", 1, 0, 0, &status, p, err) < 0)
		return -1;
	st = status_parse(status);
	if (st < MX_OK || st > MX_UNKNOWN) {
		jpath_push_key(p, "status");
		return fail(err, 400, p, "\"status\" must be ok, warning, critical or unknown");
	}
	r->status = st;
	if (get_string(jr, "message", 1, 0, 0, &r->message, p, err) < 0 ||
	    get_string(jr, "title", 0, 0, 0, &r->title, p, err) < 0 ||
	    get_string(jr, "advice", 0, 0, 0, &r->advice, p, err) < 0 ||
	    get_container(d, jr, "metrics", 0, 0, 0, &r->metrics, p, err) < 0 ||
	    get_container(d, jr, "facts", 0, 1, 0, &r->facts, p, err) < 0 ||
	    get_container(d, jr, "references", 1, 0, 0, &r->references, p, err) < 0)
		return -1;
	return 0;
}

void
ingest_doc_free(struct ingest_doc *doc)
{
	if (doc == NULL)
		return;
	for (size_t i = 0; i < doc->ntexts; i++)
		free(doc->texts[i]);
	free(doc->texts);
	free(doc->results);
	json_decref(doc->root);
	free(doc);
}

int
ingest_parse(const char *body, size_t len, const struct ingest_limits *lim,
	     const char *expect_agent, int64_t now, struct ingest_batch *b_r,
	     struct ingest_doc **doc_r, struct ingest_error *err)
{
	struct ingest_doc *d;
	struct jpath p = { .n = 0 };
	json_error_t jerr;
	json_t *results, *jr;
	json_int_t batch;
	size_t i, old;

	memset(b_r, 0, sizeof(*b_r));
	*doc_r = NULL;
	if (lim->body_max > 0 && len > lim->body_max)
		return fail(err, 413, NULL, "body larger than limits.body_max (%zu bytes)",
			    lim->body_max);
	d = xcalloc(1, sizeof(*d));
	d->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (d->root == NULL) {
		fail(err, 400, NULL, "bad JSON: %s at line %d column %d", jerr.text, jerr.line,
		     jerr.column);
		goto bad;
	}
	if (check_limits(d->root, 1, lim, &p, err) < 0)
		goto bad;
	if (!json_is_object(d->root)) {
		fail(err, 400, NULL, "the body must be a JSON object, not %s", type_name(d->root));
		goto bad;
	}
	if (get_string(d->root, "agent", 1, INGEST_NAME_MAX, 1, &b_r->agent, &p, err) < 0)
		goto bad;
	if (expect_agent != NULL && strcmp(expect_agent, b_r->agent) != 0) {
		jpath_push_key(&p, "agent");
		fail(err, 403, &p, "the token does not belong to agent \"%s\"", b_r->agent);
		goto bad;
	}
	if (get_string(d->root, "stream", 1, INGEST_NAME_MAX, 1, &b_r->stream, &p, err) < 0 ||
	    get_integer(d->root, "batch", 0, INT64_MAX, &batch, &p, err) < 0 ||
	    get_string(d->root, "site", 0, INGEST_NAME_MAX, 0, &b_r->site, &p, err) < 0 ||
	    get_container(d, d->root, "roles", 1, 0, INGEST_NAME_MAX, &b_r->roles, &p, err) < 0)
		goto bad;
	b_r->batch = batch;
	results = json_object_get(d->root, "results");
	old = jpath_push_key(&p, "results");
	if (results == NULL) {
		fail(err, 400, &p, "missing required field \"results\"");
		goto bad;
	}
	if (!json_is_array(results)) {
		fail(err, 400, &p, "\"results\" must be an array, not %s", type_name(results));
		goto bad;
	}
	if (lim->results_max > 0 && json_array_size(results) > (size_t)lim->results_max) {
		fail(err, 400, &p, "more results than limits.results_max (%ld)", lim->results_max);
		goto bad;
	}
	d->results = xcalloc(json_array_size(results) + 1, sizeof(*d->results));
	json_array_foreach(results, i, jr) {
		size_t o2 = jpath_push_index(&p, i);
		if (parse_result(d, jr, now, &d->results[i], &p, err) < 0)
			goto bad;
		jpath_pop(&p, o2);
	}
	jpath_pop(&p, old);
	b_r->results = d->results;
	b_r->n = json_array_size(results);
	b_r->received = now;
	*doc_r = d;
	return 0;
bad:
	memset(b_r, 0, sizeof(*b_r));
	ingest_doc_free(d);
	return -1;
}
