/*
 * cfgerr.c - the list of configuration errors, each formatted as
 * "FILE:LINE:COL: message" when it is added.
 *
 * The list is capped (CFGERR_MAX): a broken 16 MB file must not turn
 * into millions of lines; past the cap one last line says so and later
 * errors are dropped.  The count stays non-zero, which is all a caller
 * needs to refuse the configuration.
 *
 * cfgerr_at_col maps a byte offset inside a scalar (a position reported
 * by an expression or regex compiler) to the column in the file: the
 * opening quote is skipped, UTF-8 sequences count as one column (as
 * libyaml counts them), and for block scalars ("|" and ">") the offset
 * is followed across the content lines.  Escapes in double-quoted
 * scalars and folded line breaks are not undone, so a position after
 * them is approximate.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cfgerr.h"
#include "xmalloc.h"
#include "ytree.h"

#define CFGERR_MAX 1000

void
cfgerr_init(struct cfgerr *e)
{
	e->msgs = NULL;
	e->n = 0;
	e->cap = 0;
	e->total = 0;
}

void
cfgerr_free(struct cfgerr *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->msgs[i]);
	free(e->msgs);
	cfgerr_init(e);
}

static void
cfgerr_vadd(struct cfgerr *e, const char *file, int line, int col, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

static void
cfgerr_vadd(struct cfgerr *e, const char *file, int line, int col, const char *fmt, va_list ap)
{
	char *msg;

	e->total++;
	if (e->n > CFGERR_MAX)
		return;
	e->msgs = xgrow(e->msgs, &e->cap, e->n + 1, sizeof(*e->msgs));
	if (file == NULL)
		file = "-";
	if (line < 0)
		line = 0;
	if (col < 0)
		col = 0;
	if (e->n == CFGERR_MAX) {
		e->msgs[e->n++] = xasprintf("%s:%d:%d: too many errors; only the first %d are shown",
					    file, line, col, CFGERR_MAX);
		return;
	}
	msg = xvasprintf(fmt, ap);
	e->msgs[e->n++] = xasprintf("%s:%d:%d: %s", file, line, col, msg);
	free(msg);
}

void
cfgerr_add(struct cfgerr *e, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfgerr_vadd(e, file, line, col, fmt, ap);
	va_end(ap);
}

void
cfgerr_at(struct cfgerr *e, const struct ynode *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (node == NULL)
		cfgerr_vadd(e, NULL, 0, 0, fmt, ap);
	else
		cfgerr_vadd(e, node->file, node->line, node->col, fmt, ap);
	va_end(ap);
}

/* Columns taken by bytes [from, to) of UTF-8 text: continuation bytes
   do not start a new character. */
static int
utf8_cols(const char *from, const char *to)
{
	int cols = 0;

	for (; from < to; from++)
		if (((unsigned char)*from & 0xC0) != 0x80)
			cols++;
	return cols;
}

void
cfgerr_at_col(struct cfgerr *e, const struct ynode *node, int coloff, const char *fmt, ...)
{
	va_list ap;
	int line, col;

	va_start(ap, fmt);
	if (node == NULL) {
		cfgerr_vadd(e, NULL, 0, 0, fmt, ap);
		va_end(ap);
		return;
	}
	line = node->line;
	col = node->col;
	if (coloff < 0)
		coloff = 0;
	if (node->type == Y_SCALAR && node->scalar != NULL) {
		const char *s = node->scalar;
		size_t len = strlen(s);
		const char *at = s + ((size_t)coloff < len ? (size_t)coloff : len);

		if (node->quoted == YQ_LITERAL || node->quoted == YQ_FOLDED) {
			/* content starts on the line after the "|" or ">" */
			const char *ls = s, *p;

			/* a position after the final line break belongs to the
			   end of the last line, not to a line that is not there */
			if (at == s + len && at > s && at[-1] == '\n')
				at--;
			line++;
			for (p = s; p < at; p++) {
				if (*p == '\n') {
					line++;
					ls = p + 1;
				}
			}
			col = (node->block_col > 0 ? node->block_col : 1) + utf8_cols(ls, at);
		} else {
			col += (node->quoted != YQ_PLAIN ? 1 : 0) + utf8_cols(s, at);
		}
	} else {
		col += coloff;
	}
	cfgerr_vadd(e, node->file, line, col, fmt, ap);
	va_end(ap);
}

void
cfgerr_print(const struct cfgerr *e, FILE *fp)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		fprintf(fp, "%s\n", e->msgs[i]);
}

void
cfgerr_report(const struct cfgerr *e, const char *path)
{
	cfgerr_print(e, stderr);
	fprintf(stderr, "%s: %zu error%s\n", path, e->total, e->total == 1 ? "" : "s");
}
