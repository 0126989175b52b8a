/*
 * cfgerr.h - a list of configuration errors, each "FILE:LINE:COL: message".
 *
 * Loaders keep going after an error and add every problem they find;
 * the caller prints them all and refuses the configuration if any.
 */
#ifndef MXSLA_CFGERR_H
#define MXSLA_CFGERR_H

#include <stdio.h>
#include <stddef.h>

struct ynode;

struct cfgerr {
	char **msgs;  /* owned; n of them (at most a cap, then a last "too many errors") */
	size_t n, cap;
	size_t total; /* errors added, including those past the cap: whether
			 anything went wrong is total changing, never n */
};

void cfgerr_init(struct cfgerr *e);
void cfgerr_free(struct cfgerr *e);
/* line/col are 1-based; 0 means unknown and is printed as 0. */
void cfgerr_add(struct cfgerr *e, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Error located at a YAML node (its file, line and column). */
void cfgerr_at(struct cfgerr *e, const struct ynode *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Error at a node, column shifted by (coloff) characters into the scalar. */
void cfgerr_at_col(struct cfgerr *e, const struct ynode *node, int coloff, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void cfgerr_print(const struct cfgerr *e, FILE *fp);
/* Every error, then "PATH: N errors", to stderr: what check-config and a
   refused start print. */
void cfgerr_report(const struct cfgerr *e, const char *path);

#endif
