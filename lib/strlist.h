/*
 * strlist.h - a growable list of owned strings.
 */
#ifndef MXSLA_STRLIST_H
#define MXSLA_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v; /* owned; v[n] is NULL when n > 0, so v can serve as argv */
	size_t n, cap;
};

void strlist_init(struct strlist *l);
void strlist_add(struct strlist *l, const char *s);     /* copies s */
void strlist_add_owned(struct strlist *l, char *s);     /* takes s */
void strlist_free(struct strlist *l);
int strlist_contains(const struct strlist *l, const char *s);
/* Any entry, used as an fnmatch(3) glob, matches s. */
int strlist_glob_match(const struct strlist *l, const char *s);
void strlist_copy(struct strlist *dst, const struct strlist *src);
char *strlist_join(const struct strlist *l, const char *sep); /* xmalloc'd */

#endif
