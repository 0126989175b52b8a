/*
 * strlist.c - a growable, NULL-terminated list of owned strings.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "strlist.h"
#include "xmalloc.h"

void
strlist_init(struct strlist *l)
{
	l->v = NULL;
	l->n = l->cap = 0;
}

void
strlist_add_owned(struct strlist *l, char *s)
{
	l->v = xgrow(l->v, &l->cap, l->n + 2, sizeof(*l->v));
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
}

void
strlist_add(struct strlist *l, const char *s)
{
	strlist_add_owned(l, xstrdup(s));
}

void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	strlist_init(l);
}

int
strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

int
strlist_glob_match(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (fnmatch(l->v[i], s, 0) == 0)
			return 1;
	return 0;
}

void
strlist_copy(struct strlist *dst, const struct strlist *src)
{
	strlist_init(dst);
	for (size_t i = 0; i < src->n; i++)
		strlist_add(dst, src->v[i]);
}

char *
strlist_join(const struct strlist *l, const char *sep)
{
	size_t len = 1, seplen = strlen(sep);
	char *out, *p;

	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + seplen;
	p = out = xmalloc(len);
	for (size_t i = 0; i < l->n; i++) {
		size_t n = strlen(l->v[i]);
		if (i > 0) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		memcpy(p, l->v[i], n);
		p += n;
	}
	*p = '\0';
	return out;
}
