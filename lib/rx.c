/*
 * rx.c - regular expressions: the one module that calls PCRE2.
 *
 * Patterns are 8-bit (no UTF mode: probe output is matched byte by byte,
 * and invalid UTF-8 in a banner must not make a match fail).  A compiled
 * pattern carries its own match context with limits, so that a
 * pathological pattern such as (a+)+$ returns -1 instead of spinning.
 * The interpreter is used, not the JIT: subjects are small (facts, probe
 * output lines), the interpreter honours every limit, and JIT code reads
 * past the subject in ways that make valgrind runs of the tests noisy.
 *
 * A struct rx is read-only after rx_compile: every match allocates its own
 * match data, so one rx may be shared between threads.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rx.h"
#include "xmalloc.h"

/* Backtracking steps per match: far above what a sane pattern needs on
   probe output (capped in size by the probes), low enough to return in
   well under a second on a pathological one. */
#define RX_MATCH_LIMIT 1000000
/* Nesting of backtracking frames: high enough for (a|b)* over a 100 KB
   subject; the heap limit below is what bounds the memory. */
#define RX_DEPTH_LIMIT 1000000
/* Heap for backtracking frames, in KiB. */
#define RX_HEAP_LIMIT_KB 65536

struct rx_group {
	char *name;
	unsigned number;
};

struct rx {
	char *pattern;
	pcre2_code *code;
	pcre2_match_context *mctx;
	struct rx_group *groups;
	size_t ngroups;
	uint32_t ncaptures;
};

static char *
rx_error_text(int code)
{
	PCRE2_UCHAR buf[256];

	if (pcre2_get_error_message(code, buf, sizeof(buf)) < 0)
		return xasprintf("error %d", code);
	return xstrdup((const char *)buf);
}

/* Copy the name table, which PCRE2 keeps sorted by name. */
static void
rx_load_groups(struct rx *rx)
{
	uint32_t count = 0, entry = 0;
	PCRE2_SPTR table = NULL;

	pcre2_pattern_info(rx->code, PCRE2_INFO_CAPTURECOUNT, &rx->ncaptures);
	if (pcre2_pattern_info(rx->code, PCRE2_INFO_NAMECOUNT, &count) != 0 || count == 0)
		return;
	pcre2_pattern_info(rx->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
	pcre2_pattern_info(rx->code, PCRE2_INFO_NAMETABLE, &table);
	rx->groups = xcalloc(count, sizeof(*rx->groups));
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + (size_t)i * entry;

		rx->groups[i].number = ((unsigned)e[0] << 8) | e[1];
		rx->groups[i].name = xstrdup((const char *)e + 2);
	}
	rx->ngroups = count;
}

struct rx *
rx_compile(const char *pattern, unsigned flags, char **error_r, size_t *offset_r)
{
	uint32_t opts = 0;
	int errcode = 0;
	PCRE2_SIZE erroff = 0;
	pcre2_code *code;
	struct rx *rx;

	if (flags & RX_CASELESS)
		opts |= PCRE2_CASELESS;
	if (flags & RX_MULTILINE)
		opts |= PCRE2_MULTILINE;
	if (flags & RX_DOTALL)
		opts |= PCRE2_DOTALL;
	if (flags & RX_EXTENDED)
		opts |= PCRE2_EXTENDED;

	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &errcode, &erroff,
			     NULL);
	if (code == NULL) {
		*error_r = rx_error_text(errcode);
		*offset_r = erroff;
		return NULL;
	}
	rx = xcalloc(1, sizeof(*rx));
	rx->pattern = xstrdup(pattern);
	rx->code = code;
	rx->mctx = pcre2_match_context_create(NULL);
	if (rx->mctx == NULL) {
		rx_free(rx);
		*error_r = xstrdup("out of memory");
		*offset_r = 0;
		return NULL;
	}
	pcre2_set_match_limit(rx->mctx, RX_MATCH_LIMIT);
	pcre2_set_depth_limit(rx->mctx, RX_DEPTH_LIMIT);
	pcre2_set_heap_limit(rx->mctx, RX_HEAP_LIMIT_KB);
	rx_load_groups(rx);
	return rx;
}

int
rx_parse_flags(const char *s, unsigned *flags_r, char *bad_r)
{
	unsigned flags = 0;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case 'i':
			flags |= RX_CASELESS;
			break;
		case 'm':
			flags |= RX_MULTILINE;
			break;
		case 's':
			flags |= RX_DOTALL;
			break;
		case 'x':
			flags |= RX_EXTENDED;
			break;
		default:
			*bad_r = *s;
			return -1;
		}
	}
	*flags_r = flags;
	return 0;
}

void
rx_free(struct rx *rx)
{
	if (rx == NULL)
		return;
	for (size_t i = 0; i < rx->ngroups; i++)
		free(rx->groups[i].name);
	free(rx->groups);
	pcre2_match_context_free(rx->mctx);
	pcre2_code_free(rx->code);
	free(rx->pattern);
	free(rx);
}

const char *
rx_pattern(const struct rx *rx)
{
	return rx->pattern;
}

/* Run one match into md.  Returns 1 matched, 0 not, -1 error. */
static int
rx_run(const struct rx *rx, const char *subject, size_t len, pcre2_match_data *md)
{
	int rc;

	if (subject == NULL) {
		subject = "";
		len = 0;
	}
	rc = pcre2_match(rx->code, (PCRE2_SPTR)subject, len, 0, 0, md, rx->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	/* rc == 0 would mean the ovector was too small, which cannot happen
	   with match data sized from the pattern; count it as a match. */
	return rc >= 0 ? 1 : -1;
}

int
rx_match(const struct rx *rx, const char *subject, size_t len)
{
	pcre2_match_data *md;
	int rc;

	md = pcre2_match_data_create(1, NULL);
	if (md == NULL)
		return -1;
	rc = rx_run(rx, subject, len, md);
	pcre2_match_data_free(md);
	return rc;
}

size_t
rx_group_count(const struct rx *rx)
{
	return rx->ngroups;
}

const char *
rx_group_name(const struct rx *rx, size_t i)
{
	return i < rx->ngroups ? rx->groups[i].name : NULL;
}

int
rx_match_groups(const struct rx *rx, const char *subject, size_t len,
    void (*cb)(void *ctx, const char *name, const char *value, size_t vlen), void *ctx)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	uint32_t npairs;
	int rc;

	md = pcre2_match_data_create_from_pattern(rx->code, NULL);
	if (md == NULL)
		return -1;
	rc = rx_run(rx, subject, len, md);
	if (rc == 1) {
		ov = pcre2_get_ovector_pointer(md);
		npairs = pcre2_get_ovector_count(md);
		for (size_t i = 0; i < rx->ngroups; i++) {
			unsigned n = rx->groups[i].number;

			if (n >= npairs || ov[2 * n] == PCRE2_UNSET || ov[2 * n + 1] < ov[2 * n])
				continue;
			cb(ctx, rx->groups[i].name, subject + ov[2 * n], ov[2 * n + 1] - ov[2 * n]);
		}
	}
	pcre2_match_data_free(md);
	return rc;
}

char *
rx_match_group_n(const struct rx *rx, const char *subject, size_t len, unsigned group)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	char *out = NULL;

	if (group == 0 || group > rx->ncaptures)
		return NULL;
	md = pcre2_match_data_create_from_pattern(rx->code, NULL);
	if (md == NULL)
		return NULL;
	if (rx_run(rx, subject, len, md) == 1 && group < pcre2_get_ovector_count(md)) {
		ov = pcre2_get_ovector_pointer(md);
		if (ov[2 * group] != PCRE2_UNSET && ov[2 * group + 1] >= ov[2 * group])
			out = xstrndup(subject + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
	}
	pcre2_match_data_free(md);
	return out;
}
