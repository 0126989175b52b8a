/*
 * xmalloc.h - allocation helpers that never return NULL.
 *
 * For long-lived objects and small bookkeeping: on out-of-memory the
 * process logs and exits (fatalx).  Memory whose size comes from outside
 * (request bodies, probe output) is bounded by the caller, never here.
 */
#ifndef MXSLA_XMALLOC_H
#define MXSLA_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grow an array: returns ptr resized to at least (need) elements of (size) bytes, updating *cap. */
void *xgrow(void *ptr, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
