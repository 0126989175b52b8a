/*
 * jbuf.c - JSON text into a growing buffer (jbuf.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "xmalloc.h"

void
jbuf_init(struct jbuf *b)
{
	b->cap = 4096;
	b->p = xmalloc(b->cap);
	b->p[0] = '\0';
	b->len = 0;
}

void
jbuf_free(struct jbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *
jbuf_take(struct jbuf *b, size_t *len_r)
{
	char *p = b->p;

	*len_r = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

static void
grow(struct jbuf *b, size_t n)
{
	while (b->len + n + 1 > b->cap)
		b->cap *= 2;
	b->p = xrealloc(b->p, b->cap);
}

void
jbuf_raw(struct jbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
		grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
jbuf_cstr(struct jbuf *b, const char *s)
{
	jbuf_raw(b, s, strlen(s));
}

/* Length of the UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

void
jbuf_str(struct jbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;

	if (s == NULL) {
		jbuf_null(b);
		return;
	}
	jbuf_raw(b, "\"", 1);
	run = p;
	while (*p != '\0') {
		size_t n;

		if (*p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0x80 && (n = utf8_len(p)) > 0) {
			p += n;
			continue;
		}
		jbuf_raw(b, (const char *)run, (size_t)(p - run));
		if (*p == '"') {
			jbuf_raw(b, "\\\"", 2);
		} else if (*p == '\\') {
			jbuf_raw(b, "\\\\", 2);
		} else if (*p == '\n') {
			jbuf_raw(b, "\\n", 2);
		} else if (*p == '\t') {
			jbuf_raw(b, "\\t", 2);
		} else if (*p == '\r') {
			jbuf_raw(b, "\\r", 2);
		} else if (*p < 0x20) {
			char esc[8];

			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			jbuf_raw(b, esc, 6);
		} else {
			jbuf_raw(b, "\\ufffd", 6);
		}
		p++;
		run = p;
	}
	jbuf_raw(b, (const char *)run, (size_t)(p - run));
	jbuf_raw(b, "\"", 1);
}

void
jbuf_int(struct jbuf *b, int64_t v)
{
	char t[24];
	int n = snprintf(t, sizeof(t), "%" PRId64, v);

	jbuf_raw(b, t, (size_t)n);
}

void
jbuf_null(struct jbuf *b)
{
	jbuf_raw(b, "null", 4);
}
