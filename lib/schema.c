/*
 * schema.c - decode a YAML map into a C struct through a table of fields.
 *
 * Every problem becomes one error located at the node it is about, and
 * decoding goes on so that a file with five mistakes gets five messages:
 *   unknown key         "unknown key 'intreval' (did you mean 'interval'?)"
 *   wrong node type     "expected a duration like 30s, got a list"
 *   unparsable scalar   "expected a duration like 30s, got 'soon'"
 *   out of bounds       "interval must be between 1s and 1d"
 *   enum                "protocol must be one of: smtp, submission, imap"
 *   regex               "invalid regular expression: ..." at the column
 *                       inside the pattern
 *   missing             "missing required key 'name'" at the map
 *
 * A key whose value is null ("key:" or "key: ~") counts as absent: its
 * default applies, or, when required, it is reported.  Defaults go through
 * the same decoding as values: a default starting with "[" or "{" is read
 * as YAML flow ("[a, b]"), any other is taken as a plain scalar (so "*.log"
 * is a string, not an alias).  SCH_NODE fields have no default.
 *
 * schema_decode_value(node, field, out, errs) takes the same (out) as
 * schema_apply: the struct base; the value lands at out + field->offset.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfgerr.h"
#include "rx.h"
#include "schema.h"
#include "strlist.h"
#include "units.h"
#include "xmalloc.h"
#include "ytree.h"

/* Longest part of a value or key quoted back in a message (bytes). */
#define SHOW_MAX 60
/* Keys longer than this get no "did you mean" (the distance table is on
   the stack). */
#define SUGGEST_MAX_LEN 64

/* A value as quoted in a message: cut at SHOW_MAX bytes (on a UTF-8
   boundary) with "...", control characters shown as '?'.  xmalloc'd. */
static char *
show(const char *s)
{
	size_t len = strlen(s), n = len, i;
	char *out;

	if (n > SHOW_MAX) {
		n = SHOW_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	out = xmalloc(n + 4);
	for (i = 0; i < n; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (n < len)
		memcpy(out + n, "...", 3), n += 3;
	out[n] = '\0';
	return out;
}

/* "smtp, submission, imap", xmalloc'd. */
static char *
choices_list(const char *const *choices)
{
	size_t len = 1, i;
	char *out;

	for (i = 0; choices != NULL && choices[i] != NULL; i++)
		len += strlen(choices[i]) + 2;
	out = xmalloc(len);
	out[0] = '\0';
	for (i = 0; choices != NULL && choices[i] != NULL; i++) {
		if (i > 0)
			strcat(out, ", ");
		strcat(out, choices[i]);
	}
	return out;
}

/* What a field wants, for "expected ..., got ...".  xmalloc'd. */
static char *
expected(const struct sch_field *f)
{
	switch (f->type) {
	case SCH_STR: return xstrdup("a string");
	case SCH_BOOL: return xstrdup("true or false");
	case SCH_INT: return xstrdup("an integer");
	case SCH_DOUBLE: return xstrdup("a number");
	case SCH_DURATION: return xstrdup("a duration like 30s");
	case SCH_SIZE: return xstrdup("a size like 256MB");
	case SCH_ENUM: {
		char *list = choices_list(f->choices);
		char *s = xasprintf("one of: %s", list);
		free(list);
		return s;
	}
	case SCH_STRLIST: return xstrdup("a list of strings");
	case SCH_ARGV: return xstrdup("a command as a list of strings");
	case SCH_REGEX: return xstrdup("a regular expression");
	case SCH_PORT: return xstrdup("a port number (1-65535)");
	case SCH_NODE: return xstrdup("a value");
	}
	return xstrdup("a value");
}

/* "expected X, got a list" / "got 'text'" / "got an empty value". */
static int
bad_value(const struct ynode *node, const struct sch_field *f, struct cfgerr *errs)
{
	char *want = expected(f);

	if (node->type != Y_SCALAR) {
		cfgerr_at(errs, node, "expected %s, got a %s", want, ynode_type_name(node->type));
	} else if (node->is_null) {
		cfgerr_at(errs, node, "expected %s, got an empty value", want);
	} else {
		char *got = show(node->scalar);
		cfgerr_at(errs, node, "expected %s, got '%s'", want, got);
		free(got);
	}
	free(want);
	return -1;
}

static int
has_bounds(const struct sch_field *f)
{
	return f->min < f->max;
}

/* Decimal integer, optional sign, nothing else. */
static int
parse_ll(const char *s, long long *v)
{
	char *end;

	if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '+'))
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	return 0;
}

/* Decimal number ("1.5", "-2", "3e2"); no hex, inf or nan. */
static int
parse_double(const char *s, double *v)
{
	char *end;

	if (*s == '\0' || strspn(s, "0123456789+-.eE") != strlen(s))
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(*v))
		return -1;
	return 0;
}

static int
parse_bool(const char *s, bool *v)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*v = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*v = false;
			return 0;
		}
	}
	return -1;
}

/* A list of strings from a sequence of scalars or one scalar. */
static int
decode_list(const struct ynode *node, const struct sch_field *f, struct strlist *l,
	    struct cfgerr *errs)
{
	size_t i;
	int rc = 0;

	strlist_free(l);
	strlist_init(l);
	if (node->type == Y_SCALAR) {
		if (node->is_null)
			return bad_value(node, f, errs);
		strlist_add(l, node->scalar);
	} else if (node->type == Y_SEQ) {
		for (i = 0; i < node->n; i++) {
			const struct ynode *it = node->items[i];

			if (it->type != Y_SCALAR || it->is_null) {
				struct sch_field one = *f;

				one.type = SCH_STR;
				rc = bad_value(it, &one, errs);
				continue;
			}
			strlist_add(l, it->scalar);
		}
	} else {
		return bad_value(node, f, errs);
	}
	if (rc == 0 && f->type == SCH_ARGV) {
		if (node->type == Y_SEQ && node->n == 0) {
			cfgerr_at(errs, node, "expected a command as a list of strings, got an empty list");
			rc = -1;
		} else if (l->n > 0 && l->v[0][0] == '\0') {
			cfgerr_at(errs, node->type == Y_SEQ ? node->items[0] : node,
				  "the command name in %s must not be empty", f->key);
			rc = -1;
		}
	}
	return rc;
}

int
schema_decode_value(const struct ynode *node, const struct sch_field *f, void *out,
		    struct cfgerr *errs)
{
	void *p = (char *)out + f->offset;
	const char *s;

	if (f->type == SCH_NODE) {
		*(const struct ynode **)p = node;
		return 0;
	}
	if (f->type == SCH_STRLIST || f->type == SCH_ARGV)
		return decode_list(node, f, p, errs);
	if (node->type != Y_SCALAR || node->is_null)
		return bad_value(node, f, errs);
	s = node->scalar;

	switch (f->type) {
	case SCH_STR:
		free(*(char **)p);
		*(char **)p = xstrdup(s);
		return 0;
	case SCH_BOOL:
		if (parse_bool(s, p) < 0)
			return bad_value(node, f, errs);
		return 0;
	case SCH_INT: {
		long long v;

		if (parse_ll(s, &v) < 0)
			return bad_value(node, f, errs);
		if (has_bounds(f) && (v < f->min || v > f->max)) {
			cfgerr_at(errs, node, "%s must be between %lld and %lld", f->key,
				  (long long)f->min, (long long)f->max);
			return -1;
		}
		*(long long *)p = v;
		return 0;
	}
	case SCH_DOUBLE: {
		double v;

		if (parse_double(s, &v) < 0)
			return bad_value(node, f, errs);
		if (has_bounds(f) && (v < f->min || v > f->max)) {
			cfgerr_at(errs, node, "%s must be between %g and %g", f->key, f->min, f->max);
			return -1;
		}
		*(double *)p = v;
		return 0;
	}
	case SCH_DURATION: {
		int64_t v;

		if (units_parse_duration_ms(s, &v) < 0)
			return bad_value(node, f, errs);
		if (has_bounds(f) && (v < f->min || v > f->max)) {
			char lo[64], hi[64];

			units_format_duration((int64_t)f->min, lo, sizeof(lo));
			units_format_duration((int64_t)f->max, hi, sizeof(hi));
			cfgerr_at(errs, node, "%s must be between %s and %s", f->key, lo, hi);
			return -1;
		}
		*(int64_t *)p = v;
		return 0;
	}
	case SCH_SIZE: {
		uint64_t v;

		if (units_parse_size(s, &v) < 0)
			return bad_value(node, f, errs);
		if (has_bounds(f) && ((double)v < f->min || (double)v > f->max)) {
			char lo[64], hi[64];

			units_format_size(f->min, lo, sizeof(lo));
			units_format_size(f->max, hi, sizeof(hi));
			cfgerr_at(errs, node, "%s must be between %s and %s", f->key, lo, hi);
			return -1;
		}
		*(uint64_t *)p = v;
		return 0;
	}
	case SCH_ENUM: {
		size_t i;
		char *list;

		for (i = 0; f->choices != NULL && f->choices[i] != NULL; i++) {
			if (strcmp(s, f->choices[i]) == 0) {
				*(int *)p = (int)i;
				return 0;
			}
		}
		list = choices_list(f->choices);
		cfgerr_at(errs, node, "%s must be one of: %s", f->key, list);
		free(list);
		return -1;
	}
	case SCH_REGEX: {
		char *err = NULL;
		size_t off = 0;
		struct rx *rx = rx_compile(s, 0, &err, &off);

		if (rx == NULL) {
			cfgerr_at_col(errs, node, off > INT32_MAX ? INT32_MAX : (int)off,
				      "invalid regular expression: %s", err != NULL ? err : "cannot compile");
			free(err);
			return -1;
		}
		rx_free(*(struct rx **)p);
		*(struct rx **)p = rx;
		return 0;
	}
	case SCH_PORT: {
		long long v;
		double lo = has_bounds(f) ? f->min : 1, hi = has_bounds(f) ? f->max : 65535;

		if (parse_ll(s, &v) < 0)
			return bad_value(node, f, errs);
		if (v < 1 || v > 65535 || v < lo || v > hi) {
			cfgerr_at(errs, node, "%s must be between %lld and %lld", f->key,
				  (long long)(lo < 1 ? 1 : lo), (long long)(hi > 65535 ? 65535 : hi));
			return -1;
		}
		*(int *)p = (int)v;
		return 0;
	}
	case SCH_STRLIST:
	case SCH_ARGV:
	case SCH_NODE:
		break;
	}
	return 0;
}

/* Decode a field's default (see the file header for how it is read). */
static int
apply_default(const struct sch_field *f, void *out, struct cfgerr *errs)
{
	char *name;
	int rc;

	if (f->def == NULL || f->type == SCH_NODE)
		return 0;
	name = xasprintf("(default of '%s')", f->key);
	if (f->def[0] == '[' || f->def[0] == '{') {
		struct ynode *tree = ytree_load_string(name, f->def, strlen(f->def), errs);

		rc = tree != NULL ? schema_decode_value(tree, f, out, errs) : -1;
		ytree_free(tree);
	} else {
		struct ynode n;

		memset(&n, 0, sizeof(n));
		n.type = Y_SCALAR;
		n.file = name;
		n.line = 1;
		n.col = 1;
		n.scalar = (char *)f->def;
		rc = schema_decode_value(&n, f, out, errs);
	}
	free(name);
	return rc;
}

static const struct sch_field *
field_find(const struct sch_field *fields, const char *key)
{
	for (; fields->key != NULL; fields++)
		if (strcmp(fields->key, key) == 0)
			return fields;
	return NULL;
}

static int
listed(const char *const *list, const char *key)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, key) == 0)
			return 1;
	return 0;
}

int
schema_apply(const struct ynode *map, const struct sch_field *fields, void *out,
	     const char *const *ignore, struct cfgerr *errs)
{
	size_t nf = 0, i;
	unsigned char *seen;
	int bad = 0, is_map = 1;

	while (fields[nf].key != NULL)
		nf++;
	seen = xcalloc(nf + 1, 1);
	if (map != NULL && map->type != Y_MAP && !(map->type == Y_SCALAR && map->is_null)) {
		cfgerr_at(errs, map, "expected a mapping, got a %s", ynode_type_name(map->type));
		bad = 1;
		is_map = 0;
	}
	for (i = 0; is_map && map != NULL && map->type == Y_MAP && i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key, *v = map->pairs[i].value;
		const struct sch_field *f;
		size_t idx;

		if (k->type != Y_SCALAR) {
			cfgerr_at(errs, k, "a mapping key must be a scalar, not a %s",
				  ynode_type_name(k->type));
			bad = 1;
			continue;
		}
		f = field_find(fields, k->scalar);
		if (f == NULL) {
			const char *near;
			char *shown;

			if (listed(ignore, k->scalar))
				continue;
			near = schema_suggest(k->scalar, fields, ignore);
			shown = show(k->scalar);
			if (near != NULL)
				cfgerr_at(errs, k, "unknown key '%s' (did you mean '%s'?)", shown, near);
			else
				cfgerr_at(errs, k, "unknown key '%s'", shown);
			free(shown);
			bad = 1;
			continue;
		}
		idx = (size_t)(f - fields);
		if (seen[idx]) {
			cfgerr_at(errs, k, "duplicate key '%s'", f->key);
			bad = 1;
			continue;
		}
		if (v->type == Y_SCALAR && v->is_null) {
			/* "key:" alone is as good as absent */
			if (f->required) {
				cfgerr_at(errs, k, "missing value for required key '%s'", f->key);
				seen[idx] = 1;
				bad = 1;
			}
			continue;
		}
		seen[idx] = 1;
		if (schema_decode_value(v, f, out, errs) < 0)
			bad = 1;
	}
	for (i = 0; i < nf; i++) {
		if (seen[i])
			continue;
		if (fields[i].required) {
			if (is_map) {
				cfgerr_at(errs, map, "missing required key '%s'", fields[i].key);
				bad = 1;
			}
			continue;
		}
		if (apply_default(&fields[i], out, errs) < 0)
			bad = 1;
	}
	free(seen);
	return bad ? -1 : 0;
}

void
schema_free(const struct sch_field *fields, void *out)
{
	for (; fields->key != NULL; fields++) {
		void *p = (char *)out + fields->offset;

		switch (fields->type) {
		case SCH_STR:
			free(*(char **)p);
			*(char **)p = NULL;
			break;
		case SCH_STRLIST:
		case SCH_ARGV:
			strlist_free(p);
			strlist_init(p);
			break;
		case SCH_REGEX:
			rx_free(*(struct rx **)p);
			*(struct rx **)p = NULL;
			break;
		default:
			break;
		}
	}
}

/* Optimal-string-alignment distance (Damerau-Levenshtein where a
   transposed pair counts as one edit), or a large number when the
   lengths alone put it over (limit). */
static size_t
edit_distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t rows[3][SUGGEST_MAX_LEN + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN || (la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		size_t *t;

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t d = prev[j] + 1;

			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (prev[j - 1] + cost < d)
				d = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *
schema_suggest(const char *key, const struct sch_field *fields, const char *const *extra)
{
	size_t limit = strlen(key) <= 3 ? 1 : 2, best_d = limit + 1, d;
	const char *best = NULL;

	for (; fields != NULL && fields->key != NULL; fields++) {
		d = edit_distance(key, fields->key, limit);
		if (d < best_d) {
			best_d = d;
			best = fields->key;
		}
	}
	for (; extra != NULL && *extra != NULL; extra++) {
		d = edit_distance(key, *extra, limit);
		if (d < best_d) {
			best_d = d;
			best = *extra;
		}
	}
	return best;
}
