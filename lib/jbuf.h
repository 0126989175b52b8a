/*
 * jbuf.h - JSON text written straight into a growing buffer.
 *
 * For the large answers of the query API, where building a jansson tree
 * only to print it costs more than the query itself: rows are written out
 * as they are read.  The caller writes the punctuation and the keys with
 * jbuf_raw and the values with the typed functions; nothing checks the
 * structure, so keep the writing code simple.
 */
#ifndef MXSLA_JBUF_H
#define MXSLA_JBUF_H

#include <stddef.h>
#include <stdint.h>

struct jbuf {
	char *p;        /* NUL-terminated; owned */
	size_t len, cap;
};

void jbuf_init(struct jbuf *b);
void jbuf_free(struct jbuf *b);
/* Hand the text over (malloc'd, NUL-terminated; *len_r its length) and
   leave b empty. */
char *jbuf_take(struct jbuf *b, size_t *len_r);

/* Bytes as they are. */
void jbuf_raw(struct jbuf *b, const char *s, size_t n);
void jbuf_cstr(struct jbuf *b, const char *s);
/* A JSON string: quotes, escapes for '"', '\\' and control characters;
   a byte sequence that is not UTF-8 becomes U+FFFD.  NULL gives null. */
void jbuf_str(struct jbuf *b, const char *s);
void jbuf_int(struct jbuf *b, int64_t v);
void jbuf_null(struct jbuf *b);

#endif
