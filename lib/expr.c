/*
 * expr.c - the rule expression language (SPEC 2.4): compiler and
 * three-valued evaluator.
 *
 * expr_compile lexes and parses the source once, when a rule pack loads,
 * into a tree: unit literals are converted to the unit the NAME they are
 * compared with implies, regexes are compiled, and mistakes that need no
 * data (a number compared with a string, '<' between two conditions) are
 * reported with their column.  && and || chains are n-ary nodes, so only
 * parentheses and negations nest, and they are capped at EXPR_MAX_DEPTH.
 *
 * expr_eval walks the read-only tree.  Its only allocation is the buffer
 * for the explanation, so one expr can be evaluated by several threads.
 * Each node appends its piece of explanation to that buffer; && and ||
 * keep the pieces of the children that decided the result and drop the
 * others.  Every child is evaluated (no short cut), so an explanation
 * names every comparison that holds, not just the first.
 *
 * Not handled here: obs->error is reported as the reason of an unknown
 * result, but what a check does with unknown is rule.c's business.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr.h"
#include "obs.h"
#include "rx.h"
#include "xmalloc.h"

#define EXPR_MAX_LEN 4096     /* longest expression source */
#define EXPR_MAX_DEPTH 64     /* nested parentheses and negations */
#define EXPR_SHOW_MAX 80      /* bytes of a string value shown in a message */
#define EXPR_EXPLAIN_MAX 1024 /* longest explanation */
#define EXPR_TOKEN_SHOW 20    /* bytes of a token quoted in an error */

enum kind { K_NUM, K_STR, K_NAME, K_BOOL, K_DEFINED, K_NOT, K_AND, K_OR, K_CMP, K_MATCH };
enum op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_MATCH, OP_NMATCH };
enum uclass { U_NONE, U_PCT, U_DUR, U_SIZE };

static const char *const op_text[] = {"<", "<=", ">", ">=", "==", "!=", "=~", "!~"};

struct node {
	enum kind kind;
	size_t off, len; /* where it is in the source */
	union {
		/* durations in milliseconds, sizes in bytes */
		struct {
			double v;
			enum uclass uc;
		} num;
		char *str;        /* K_STR, escapes decoded */
		const char *name; /* K_NAME, K_DEFINED: interned in struct expr */
		bool b;           /* K_BOOL */
		struct node *kid; /* K_NOT */
		struct {
			struct node **kids;
			size_t n;
		} list; /* K_AND, K_OR */
		struct {
			enum op op;
			struct node *l, *r;
			double lnum, rnum; /* number literals in the unit of the other side */
			bool boolean;      /* a side is a condition: compare truth values */
		} cmp;
		struct {
			enum op op;
			struct node *l;
			struct rx *rx;
			size_t rxoff, rxlen; /* "/pattern/flags" in the source */
		} match;
	} u;
};

struct expr {
	char *src;
	struct node *root;
	char **names;
	size_t nnames, cnames;
};

/* ---- compiling ---------------------------------------------------------- */

enum tok {
	T_EOF,
	T_ERR,
	T_NUM,
	T_STR,
	T_NAME,
	T_LP,
	T_RP,
	T_NOT,
	T_AND,
	T_OR,
	T_TRUE,
	T_FALSE,
	T_DEFINED,
	T_CMP,
	T_MATCH
};

struct token {
	enum tok t;
	size_t off, len;
	enum op op;     /* T_CMP, T_MATCH */
	double num;     /* T_NUM */
	enum uclass uc; /* T_NUM */
	char *str;      /* T_STR, owned until a node takes it */
};

struct parser {
	const char *src;
	size_t n;
	size_t pos; /* where the lexer continues */
	struct token la;
	bool have_la;
	size_t prev_off, prev_len; /* the last consumed token */
	bool have_prev;
	int depth;
	char *err;
	size_t err_off;
	struct expr *e;
};

struct unit {
	const char *name;
	enum uclass uc;
	double mult;
};

static const struct unit units[] = {
	{"%", U_PCT, 1},
	{"ms", U_DUR, 1},
	{"s", U_DUR, 1000},
	{"m", U_DUR, 60000},
	{"h", U_DUR, 3600000},
	{"d", U_DUR, 86400000},
	{"B", U_SIZE, 1},
	{"KB", U_SIZE, 1024.0},
	{"MB", U_SIZE, 1024.0 * 1024},
	{"GB", U_SIZE, 1024.0 * 1024 * 1024},
	{"TB", U_SIZE, 1024.0 * 1024 * 1024 * 1024},
	{"KiB", U_SIZE, 1024.0},
	{"MiB", U_SIZE, 1024.0 * 1024},
	{"GiB", U_SIZE, 1024.0 * 1024 * 1024},
	{"TiB", U_SIZE, 1024.0 * 1024 * 1024 * 1024},
};

static void perr(struct parser *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Record a syntax error at byte offset off; the first one wins. */
static void
perr(struct parser *p, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (p->err != NULL)
		return;
	va_start(ap, fmt);
	p->err = xvasprintf(fmt, ap);
	va_end(ap);
	p->err_off = off;
}

static int
show_len(size_t len)
{
	return (int)(len > EXPR_TOKEN_SHOW ? EXPR_TOKEN_SHOW : len);
}

static bool
is_name_start(int c)
{
	return isalpha(c) || c == '_';
}

static bool
is_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-';
}

static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
lex_number(struct parser *p, struct token *t)
{
	const char *s = p->src;
	size_t i = t->off, j = i, u;
	const struct unit *unit = NULL;
	char *num;

	if (s[j] == '-')
		j++;
	while (j < p->n && isdigit((unsigned char)s[j]))
		j++;
	if (j < p->n && s[j] == '.') {
		if (j + 1 >= p->n || !isdigit((unsigned char)s[j + 1])) {
			perr(p, j, "malformed number");
			t->t = T_ERR;
			return;
		}
		j++;
		while (j < p->n && isdigit((unsigned char)s[j]))
			j++;
	}
	num = xstrndup(s + i, j - i);
	t->num = strtod(num, NULL);
	free(num);

	u = j;
	if (j < p->n && s[j] == '%')
		j++;
	else
		while (j < p->n && isalpha((unsigned char)s[j]))
			j++;
	if (j > u) {
		for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++)
			if (strlen(units[k].name) == j - u && memcmp(units[k].name, s + u, j - u) == 0)
				unit = &units[k];
		if (unit == NULL) {
			perr(p, u, "unknown unit '%.*s'", show_len(j - u), s + u);
			t->t = T_ERR;
			return;
		}
		t->num *= unit->mult;
		t->uc = unit->uc;
	}
	if (j < p->n && (is_name_char((unsigned char)s[j]) || s[j] == '%')) {
		perr(p, j, "malformed number");
		t->t = T_ERR;
		return;
	}
	t->t = T_NUM;
	t->len = j - i;
}

static void
lex_string(struct parser *p, struct token *t)
{
	const char *s = p->src;
	size_t j = t->off + 1, k = 0;
	char *buf = xmalloc(p->n - t->off);

	for (;;) {
		if (j >= p->n) {
			perr(p, t->off, "unterminated string");
			goto fail;
		}
		if (s[j] == '"')
			break;
		if (s[j] == '\\') {
			if (j + 1 >= p->n) {
				perr(p, t->off, "unterminated string");
				goto fail;
			}
			switch (s[j + 1]) {
			case '"':
			case '\\':
				buf[k++] = s[j + 1];
				break;
			case 'n':
				buf[k++] = '\n';
				break;
			case 't':
				buf[k++] = '\t';
				break;
			default:
				if (isprint((unsigned char)s[j + 1]))
					perr(p, j, "unknown escape '\\%c' in string", s[j + 1]);
				else
					perr(p, j, "unknown escape in string");
				goto fail;
			}
			j += 2;
			continue;
		}
		buf[k++] = s[j++];
	}
	buf[k] = '\0';
	t->t = T_STR;
	t->str = buf;
	t->len = j + 1 - t->off;
	return;
fail:
	free(buf);
	t->t = T_ERR;
}

static void
lex_name(struct parser *p, struct token *t)
{
	static const struct {
		const char *word;
		enum tok t;
	} keywords[] = {
		{"and", T_AND},   {"or", T_OR},       {"not", T_NOT},         {"true", T_TRUE},
		{"false", T_FALSE}, {"defined", T_DEFINED},
	};
	const char *s = p->src;
	size_t j = t->off;

	while (j < p->n && is_name_char((unsigned char)s[j]))
		j++;
	t->len = j - t->off;
	t->t = T_NAME;
	for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
		if (strlen(keywords[k].word) == t->len && memcmp(keywords[k].word, s + t->off, t->len) == 0)
			t->t = keywords[k].t;
}

/* Operators of one or two characters. */
static void
lex_op(struct parser *p, struct token *t)
{
	const char *s = p->src;
	char c = s[t->off], d = t->off + 1 < p->n ? s[t->off + 1] : '\0';

	t->len = 1;
	switch (c) {
	case '(':
		t->t = T_LP;
		return;
	case ')':
		t->t = T_RP;
		return;
	case '!':
		if (d == '=' || d == '~') {
			t->t = d == '=' ? T_CMP : T_MATCH;
			t->op = d == '=' ? OP_NE : OP_NMATCH;
			t->len = 2;
		} else {
			t->t = T_NOT;
		}
		return;
	case '<':
	case '>':
		t->t = T_CMP;
		if (d == '=') {
			t->op = c == '<' ? OP_LE : OP_GE;
			t->len = 2;
		} else {
			t->op = c == '<' ? OP_LT : OP_GT;
		}
		return;
	case '=':
		if (d == '=' || d == '~') {
			t->t = d == '=' ? T_CMP : T_MATCH;
			t->op = d == '=' ? OP_EQ : OP_MATCH;
			t->len = 2;
			return;
		}
		perr(p, t->off, "unexpected '=' (use '==' to compare)");
		break;
	case '&':
	case '|':
		if (d == c) {
			t->t = c == '&' ? T_AND : T_OR;
			t->len = 2;
			return;
		}
		perr(p, t->off, "unexpected '%c' (use '%c%c')", c, c, c);
		break;
	case '/':
		perr(p, t->off, "a regex is only allowed after '=~' or '!~'");
		break;
	default:
		if (isprint((unsigned char)c))
			perr(p, t->off, "unexpected character '%c'", c);
		else
			perr(p, t->off, "unexpected byte 0x%02x", (unsigned char)c);
		break;
	}
	t->t = T_ERR;
}

static void
lex(struct parser *p, struct token *t)
{
	const char *s = p->src;
	size_t i = p->pos;
	unsigned char c;

	while (i < p->n && is_space((unsigned char)s[i]))
		i++;
	memset(t, 0, sizeof(*t));
	t->off = i;
	if (i >= p->n) {
		t->t = T_EOF;
		p->pos = i;
		return;
	}
	c = (unsigned char)s[i];
	if (isdigit(c) || (c == '-' && i + 1 < p->n && isdigit((unsigned char)s[i + 1])))
		lex_number(p, t);
	else if (is_name_start(c))
		lex_name(p, t);
	else if (c == '"')
		lex_string(p, t);
	else
		lex_op(p, t);
	p->pos = t->off + t->len;
}

static struct token *
peek(struct parser *p)
{
	if (!p->have_la) {
		lex(p, &p->la);
		p->have_la = true;
	}
	return &p->la;
}

static void
consume(struct parser *p)
{
	peek(p);
	p->prev_off = p->la.off;
	p->prev_len = p->la.len;
	p->have_prev = true;
	free(p->la.str);
	p->la.str = NULL;
	p->have_la = false;
}

static struct node *
node_new(enum kind kind, size_t off, size_t len)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->off = off;
	n->len = len;
	return n;
}

static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	switch (n->kind) {
	case K_STR:
		free(n->u.str);
		break;
	case K_NOT:
		node_free(n->u.kid);
		break;
	case K_AND:
	case K_OR:
		for (size_t i = 0; i < n->u.list.n; i++)
			node_free(n->u.list.kids[i]);
		free(n->u.list.kids);
		break;
	case K_CMP:
		node_free(n->u.cmp.l);
		node_free(n->u.cmp.r);
		break;
	case K_MATCH:
		node_free(n->u.match.l);
		rx_free(n->u.match.rx);
		break;
	default:
		break;
	}
	free(n);
}

static const char *
intern(struct expr *e, const char *s, size_t len)
{
	for (size_t i = 0; i < e->nnames; i++)
		if (strlen(e->names[i]) == len && memcmp(e->names[i], s, len) == 0)
			return e->names[i];
	e->names = xgrow(e->names, &e->cnames, e->nnames + 1, sizeof(*e->names));
	e->names[e->nnames] = xstrndup(s, len);
	return e->names[e->nnames++];
}

static bool
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n > m && strcasecmp(name + n - m, suffix) == 0;
}

/* A number literal in the unit the name it is compared with implies
   (name NULL: seconds for durations, bytes for sizes). */
static double
unit_convert(const struct node *num, const char *name)
{
	switch (num->u.num.uc) {
	case U_DUR:
		return name != NULL && has_suffix(name, "_ms") ? num->u.num.v : num->u.num.v / 1000.0;
	case U_SIZE:
		return name != NULL && has_suffix(name, "_kb") ? num->u.num.v / 1024.0 : num->u.num.v;
	default:
		return num->u.num.v;
	}
}

static bool
is_condition(const struct node *n)
{
	return n->kind != K_NUM && n->kind != K_STR && n->kind != K_NAME;
}

static struct node *parse_or(struct parser *p);

static struct node *
parse_primary(struct parser *p)
{
	struct token *t = peek(p);
	struct node *n;
	size_t off = t->off;

	switch (t->t) {
	case T_NUM:
		n = node_new(K_NUM, t->off, t->len);
		n->u.num.v = t->num;
		n->u.num.uc = t->uc;
		consume(p);
		return n;
	case T_STR:
		n = node_new(K_STR, t->off, t->len);
		n->u.str = t->str;
		t->str = NULL;
		consume(p);
		return n;
	case T_NAME:
		n = node_new(K_NAME, t->off, t->len);
		n->u.name = intern(p->e, p->src + t->off, t->len);
		consume(p);
		return n;
	case T_TRUE:
	case T_FALSE:
		n = node_new(K_BOOL, t->off, t->len);
		n->u.b = t->t == T_TRUE;
		consume(p);
		return n;
	case T_DEFINED: {
		const char *name;

		consume(p);
		t = peek(p);
		if (t->t != T_LP) {
			perr(p, t->off, "expected '(' after 'defined'");
			return NULL;
		}
		consume(p);
		t = peek(p);
		if (t->t != T_NAME) {
			perr(p, t->off, "expected a name inside defined()");
			return NULL;
		}
		name = intern(p->e, p->src + t->off, t->len);
		consume(p);
		t = peek(p);
		if (t->t != T_RP) {
			perr(p, t->off, "expected ')'");
			return NULL;
		}
		n = node_new(K_DEFINED, off, t->off + 1 - off);
		n->u.name = name;
		consume(p);
		return n;
	}
	case T_LP:
		if (++p->depth > EXPR_MAX_DEPTH) {
			perr(p, t->off, "expression nested too deeply (more than %d levels)",
			     EXPR_MAX_DEPTH);
			return NULL;
		}
		consume(p);
		n = parse_or(p);
		p->depth--;
		if (n == NULL)
			return NULL;
		t = peek(p);
		if (t->t != T_RP) {
			perr(p, t->off, "expected ')'");
			node_free(n);
			return NULL;
		}
		consume(p);
		return n;
	case T_ERR:
		return NULL;
	default:
		if (!p->have_prev && t->t == T_EOF)
			perr(p, 0, "empty expression");
		else if (!p->have_prev)
			perr(p, t->off, "unexpected '%.*s'", show_len(t->len), p->src + t->off);
		else
			perr(p, t->off, "expected a value after '%.*s'", show_len(p->prev_len),
			     p->src + p->prev_off);
		return NULL;
	}
}

/* Type checks that need no data, and unit conversion of literals. */
static int
cmp_prepare(struct parser *p, struct node *n, size_t opoff)
{
	struct node *l = n->u.cmp.l, *r = n->u.cmp.r;
	enum op op = n->u.cmp.op;

	if (is_condition(l) || is_condition(r)) {
		if (op != OP_EQ && op != OP_NE) {
			perr(p, opoff, "only == and != can compare conditions");
			return -1;
		}
		n->u.cmp.boolean = true;
		return 0;
	}
	if ((l->kind == K_NUM && r->kind == K_STR) || (l->kind == K_STR && r->kind == K_NUM)) {
		perr(p, opoff, "cannot compare a number with a string");
		return -1;
	}
	if (l->kind == K_NUM && r->kind == K_NUM &&
	    ((l->u.num.uc == U_DUR && r->u.num.uc == U_SIZE) ||
	     (l->u.num.uc == U_SIZE && r->u.num.uc == U_DUR))) {
		perr(p, opoff, "cannot compare a duration with a size");
		return -1;
	}
	if (l->kind == K_NUM)
		n->u.cmp.lnum = unit_convert(l, r->kind == K_NAME ? r->u.name : NULL);
	if (r->kind == K_NUM)
		n->u.cmp.rnum = unit_convert(r, l->kind == K_NAME ? l->u.name : NULL);
	return 0;
}

/* After "=~" or "!~": /pattern/flags, compiled now. */
static struct node *
parse_regex(struct parser *p, struct node *l, enum op op)
{
	const char *s = p->src;
	size_t i = p->pos, j, slash, fstart;
	unsigned flags = 0;
	char bad = 0, *pat, *fl, *err = NULL;
	size_t erroff = 0;
	struct rx *rx;
	struct node *n;

	while (i < p->n && is_space((unsigned char)s[i]))
		i++;
	if (i >= p->n || s[i] != '/') {
		perr(p, i, "expected a /regex/ after '%s'", op_text[op]);
		return NULL;
	}
	slash = i;
	for (j = i + 1; j < p->n && s[j] != '/'; j++)
		if (s[j] == '\\' && j + 1 < p->n)
			j++;
	if (j >= p->n) {
		perr(p, slash, "unterminated regex");
		return NULL;
	}
	fstart = ++j;
	while (j < p->n && isalpha((unsigned char)s[j]))
		j++;
	fl = xstrndup(s + fstart, j - fstart);
	if (rx_parse_flags(fl, &flags, &bad) < 0) {
		perr(p, fstart + (size_t)(strchr(fl, bad) - fl), "unknown regex flag '%c'", bad);
		free(fl);
		return NULL;
	}
	free(fl);
	pat = xstrndup(s + slash + 1, fstart - 1 - (slash + 1));
	rx = rx_compile(pat, flags, &err, &erroff);
	free(pat);
	if (rx == NULL) {
		perr(p, slash + 1 + erroff, "regex: %s", err);
		free(err);
		return NULL;
	}
	p->pos = j;
	n = node_new(K_MATCH, l->off, j - l->off);
	n->u.match.op = op;
	n->u.match.l = l;
	n->u.match.rx = rx;
	n->u.match.rxoff = slash;
	n->u.match.rxlen = j - slash;
	return n;
}

static struct node *
parse_cmp(struct parser *p)
{
	struct node *l, *r, *n;
	struct token *t;
	enum op op;
	size_t opoff;

	l = parse_primary(p);
	if (l == NULL)
		return NULL;
	t = peek(p);
	op = t->op;
	opoff = t->off;
	if (t->t == T_CMP) {
		consume(p);
		r = parse_primary(p);
		if (r == NULL) {
			node_free(l);
			return NULL;
		}
		n = node_new(K_CMP, l->off, r->off + r->len - l->off);
		n->u.cmp.op = op;
		n->u.cmp.l = l;
		n->u.cmp.r = r;
		if (cmp_prepare(p, n, opoff) < 0) {
			node_free(n);
			return NULL;
		}
	} else if (t->t == T_MATCH) {
		if (l->kind != K_NAME && l->kind != K_STR) {
			perr(p, opoff, "'%s' needs a name or a string on its left", op_text[op]);
			node_free(l);
			return NULL;
		}
		consume(p);
		n = parse_regex(p, l, op);
		if (n == NULL) {
			node_free(l);
			return NULL;
		}
	} else {
		return l;
	}
	t = peek(p);
	if (t->t == T_CMP || t->t == T_MATCH) {
		perr(p, t->off, "comparisons cannot be chained");
		node_free(n);
		return NULL;
	}
	return n;
}

static struct node *
parse_unary(struct parser *p)
{
	struct token *t = peek(p);
	struct node *kid, *n;
	size_t off = t->off;

	if (t->t != T_NOT)
		return parse_cmp(p);
	if (++p->depth > EXPR_MAX_DEPTH) {
		perr(p, t->off, "expression nested too deeply (more than %d levels)", EXPR_MAX_DEPTH);
		return NULL;
	}
	consume(p);
	kid = parse_unary(p);
	p->depth--;
	if (kid == NULL)
		return NULL;
	n = node_new(K_NOT, off, kid->off + kid->len - off);
	n->u.kid = kid;
	return n;
}

/* An && chain (is_or false) or an || chain, as one n-ary node. */
static struct node *
parse_chain(struct parser *p, bool is_or)
{
	enum tok optok = is_or ? T_OR : T_AND;
	struct node *first, *kid, *n;
	size_t cap = 0;

	first = is_or ? parse_chain(p, false) : parse_unary(p);
	if (first == NULL || peek(p)->t != optok)
		return first;
	kid = first;
	n = node_new(is_or ? K_OR : K_AND, first->off, 0);
	n->u.list.kids = xgrow(NULL, &cap, 2, sizeof(*n->u.list.kids));
	n->u.list.kids[n->u.list.n++] = first;
	while (peek(p)->t == optok) {
		consume(p);
		kid = is_or ? parse_chain(p, false) : parse_unary(p);
		if (kid == NULL) {
			node_free(n);
			return NULL;
		}
		n->u.list.kids = xgrow(n->u.list.kids, &cap, n->u.list.n + 1, sizeof(*n->u.list.kids));
		n->u.list.kids[n->u.list.n++] = kid;
	}
	n->len = kid->off + kid->len - n->off;
	return n;
}

static struct node *
parse_or(struct parser *p)
{
	return parse_chain(p, true);
}

struct expr *
expr_compile(const char *src, char **error_r, int *col_r)
{
	struct parser p;
	struct expr *e;
	struct token *t;

	memset(&p, 0, sizeof(p));
	p.src = src;
	p.n = strlen(src);
	if (p.n > EXPR_MAX_LEN) {
		*error_r = xasprintf("expression too long (more than %d characters)", EXPR_MAX_LEN);
		*col_r = EXPR_MAX_LEN + 1;
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	e->src = xstrdup(src);
	p.e = e;
	e->root = parse_or(&p);
	if (e->root != NULL) {
		t = peek(&p);
		if (t->t == T_RP)
			perr(&p, t->off, "unexpected ')'");
		else if (t->t != T_EOF)
			perr(&p, t->off, "unexpected '%.*s'", show_len(t->len), src + t->off);
	}
	if (p.have_la)
		free(p.la.str);
	if (p.err != NULL) {
		expr_free(e);
		*error_r = p.err;
		*col_r = (int)p.err_off + 1;
		return NULL;
	}
	return e;
}

void
expr_free(struct expr *e)
{
	if (e == NULL)
		return;
	node_free(e->root);
	for (size_t i = 0; i < e->nnames; i++)
		free(e->names[i]);
	free(e->names);
	free(e->src);
	free(e);
}

const char *
expr_source(const struct expr *e)
{
	return e->src;
}

unsigned
expr_names(const struct expr *e, const char *const **names_r)
{
	*names_r = (const char *const *)e->names;
	return (unsigned)e->nnames;
}

/* ---- evaluating --------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_num(struct sbuf *b, double v)
{
	char buf[64];

	expr_format_number(v, buf, sizeof(buf));
	sb_str(b, buf);
}

/* Where to cut s (of length len) to at most max bytes without splitting a
   UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	size_t cut;

	if (len <= max)
		return len;
	cut = max;
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	return cut;
}

/* A string value in double quotes, escaped, cut at EXPR_SHOW_MAX bytes. */
static void
sb_quoted(struct sbuf *b, const char *s)
{
	size_t len = strlen(s), n = utf8_cut(s, len, EXPR_SHOW_MAX);
	char esc[8];

	sb_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			sb_add(b, "\\\"", 2);
			break;
		case '\\':
			sb_add(b, "\\\\", 2);
			break;
		case '\n':
			sb_add(b, "\\n", 2);
			break;
		case '\r':
			sb_add(b, "\\r", 2);
			break;
		case '\t':
			sb_add(b, "\\t", 2);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\x%02x", c);
				sb_str(b, esc);
			} else {
				sb_add(b, (const char *)&s[i], 1);
			}
		}
	}
	if (n < len)
		sb_add(b, "...", 3);
	sb_add(b, "\"", 1);
}

enum vtype { V_MISSING, V_NUM, V_STR };

/* One side of a comparison. */
struct val {
	enum vtype t;
	const char *name; /* NULL for a literal */
	const struct node *lit;
	double n;
	const char *s;
};

enum rkind { R_NONE, R_MISSING, R_NAN, R_NOTNUM, R_NUMSTR, R_RXFAIL };

/* Why a result is unknown; formatted once, at the end. */
struct reason {
	enum rkind k;
	const char *name;
	const char *value;
	const struct node *n;
};

struct ctx {
	const struct obs *o;
	const char *src;
	struct sbuf b;
};

static void
lookup(const struct ctx *c, const char *name, struct val *v)
{
	const double *m = NULL;
	const char *f = NULL;

	v->name = name;
	v->lit = NULL;
	if (c->o != NULL && (m = obs_get_metric(c->o, name)) != NULL) {
		v->t = V_NUM;
		v->n = *m;
	} else if (c->o != NULL && (f = obs_get_fact(c->o, name)) != NULL) {
		v->t = V_STR;
		v->s = f;
	} else {
		v->t = V_MISSING;
	}
}

static void
get_val(const struct ctx *c, const struct node *n, double num, struct val *v)
{
	memset(v, 0, sizeof(*v));
	switch (n->kind) {
	case K_NAME:
		lookup(c, n->u.name, v);
		break;
	case K_NUM:
		v->t = V_NUM;
		v->n = num;
		v->lit = n;
		break;
	default: /* K_STR */
		v->t = V_STR;
		v->s = n->u.str;
		v->lit = n;
		break;
	}
}

/* -1 (and why) if v cannot take part in a comparison. */
static int
val_check(const struct val *v, struct reason *why)
{
	if (v->t == V_MISSING) {
		why->k = R_MISSING;
		why->name = v->name;
		return -1;
	}
	if (v->t == V_NUM && v->name != NULL && isnan(v->n)) {
		why->k = R_NAN;
		why->name = v->name;
		return -1;
	}
	return 0;
}

/* A fact that is a plain number ("10240000", " -2.5 ", "1e3"): no units,
   no hex, no inf/nan. */
static bool
plain_number(const char *s, double *v_r)
{
	const char *p = s;
	bool digits = false;

	while (isspace((unsigned char)*p))
		p++;
	s = p;
	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p)) {
		p++;
		digits = true;
	}
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits = true;
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		return false;
	*v_r = strtod(s, NULL);
	return true;
}

static void
sb_slice(struct ctx *c, size_t off, size_t len)
{
	sb_add(&c->b, c->src + off, len);
}

/* "NAME = VALUE" */
static void
sb_name_value(struct ctx *c, const struct val *v)
{
	sb_str(&c->b, v->name);
	sb_add(&c->b, " = ", 3);
	if (v->t == V_NUM)
		sb_num(&c->b, v->n);
	else
		sb_quoted(&c->b, v->s);
}

static enum op
op_mirror(enum op op)
{
	switch (op) {
	case OP_LT:
		return OP_GT;
	case OP_LE:
		return OP_GE;
	case OP_GT:
		return OP_LT;
	case OP_GE:
		return OP_LE;
	default:
		return op;
	}
}

static bool
op_holds(enum op op, int cmp)
{
	switch (op) {
	case OP_LT:
		return cmp < 0;
	case OP_LE:
		return cmp <= 0;
	case OP_GT:
		return cmp > 0;
	case OP_GE:
		return cmp >= 0;
	case OP_EQ:
		return cmp == 0;
	default:
		return cmp != 0;
	}
}

static enum tri eval(struct ctx *c, const struct node *n, struct reason *why);

static enum tri
eval_cmp(struct ctx *c, const struct node *n, struct reason *why)
{
	struct val l, r, *sv, *nv;
	enum op op = n->u.cmp.op;
	int cmp;
	bool res;

	get_val(c, n->u.cmp.l, n->u.cmp.lnum, &l);
	get_val(c, n->u.cmp.r, n->u.cmp.rnum, &r);
	if (val_check(&l, why) < 0 || val_check(&r, why) < 0)
		return TRI_UNKNOWN;
	if (l.t == V_STR && r.t == V_STR) {
		double a, b;

		/* two facts that are both numbers compare as numbers */
		if (l.name != NULL && r.name != NULL && plain_number(l.s, &a) && plain_number(r.s, &b)) {
			l.t = r.t = V_NUM;
			l.n = a;
			r.n = b;
		}
	} else if (l.t != r.t) {
		sv = l.t == V_STR ? &l : &r;
		nv = l.t == V_STR ? &r : &l;
		if (sv->name == NULL) {
			/* a metric and a string literal */
			why->k = R_NUMSTR;
			why->name = nv->name;
			return TRI_UNKNOWN;
		}
		if (!plain_number(sv->s, &sv->n)) {
			why->k = R_NOTNUM;
			why->name = sv->name;
			why->value = sv->s;
			return TRI_UNKNOWN;
		}
		sv->t = V_NUM;
	}
	if (l.t == V_NUM)
		cmp = (l.n > r.n) - (l.n < r.n);
	else
		cmp = strcmp(l.s, r.s);
	res = op_holds(op, cmp);

	if (l.name != NULL && r.name != NULL) {
		sb_name_value(c, &l);
		if (res) {
			sb_add(&c->b, " (", 2);
			sb_str(&c->b, op_text[op]);
			sb_add(&c->b, " ", 1);
			sb_name_value(c, &r);
			sb_add(&c->b, ")", 1);
		} else if (l.name != r.name) {
			sb_add(&c->b, ", ", 2);
			sb_name_value(c, &r);
		}
	} else if (l.name != NULL || r.name != NULL) {
		const struct val *named = l.name != NULL ? &l : &r;
		const struct node *lit = l.name != NULL ? n->u.cmp.r : n->u.cmp.l;

		sb_name_value(c, named);
		if (res) {
			sb_add(&c->b, " (", 2);
			sb_str(&c->b, op_text[l.name != NULL ? op : op_mirror(op)]);
			sb_add(&c->b, " ", 1);
			sb_slice(c, lit->off, lit->len);
			sb_add(&c->b, ")", 1);
		}
	} else {
		sb_slice(c, n->off, n->len);
	}
	return res ? TRI_TRUE : TRI_FALSE;
}

/* A side of "==" / "!=" between conditions; true and false add no text. */
static enum tri
eval_side(struct ctx *c, const struct node *n, struct reason *why)
{
	if (n->kind == K_BOOL)
		return n->u.b ? TRI_TRUE : TRI_FALSE;
	return eval(c, n, why);
}

static enum tri
eval_boolcmp(struct ctx *c, const struct node *n, struct reason *why)
{
	size_t start = c->b.len, mark, piece;
	enum tri a, b;
	bool res;

	a = eval_side(c, n->u.cmp.l, why);
	if (a == TRI_UNKNOWN)
		goto unknown;
	mark = c->b.len;
	if (mark > start)
		sb_add(&c->b, ", ", 2);
	piece = c->b.len;
	b = eval_side(c, n->u.cmp.r, why);
	if (b == TRI_UNKNOWN)
		goto unknown;
	if (c->b.len == piece)
		c->b.len = mark;
	if (c->b.len == start)
		sb_slice(c, n->off, n->len);
	res = (a == b) == (n->u.cmp.op == OP_EQ);
	return res ? TRI_TRUE : TRI_FALSE;
unknown:
	c->b.len = start;
	return TRI_UNKNOWN;
}

static enum tri
eval_match(struct ctx *c, const struct node *n, struct reason *why)
{
	char num[64];
	const char *s;
	struct val v;
	bool res;
	int rc;

	get_val(c, n->u.match.l, 0, &v);
	if (val_check(&v, why) < 0)
		return TRI_UNKNOWN;
	if (v.t == V_NUM) {
		expr_format_number(v.n, num, sizeof(num));
		s = num;
	} else {
		s = v.s;
	}
	rc = rx_match(n->u.match.rx, s, strlen(s));
	if (rc < 0) {
		why->k = R_RXFAIL;
		why->name = v.name;
		why->n = n;
		return TRI_UNKNOWN;
	}
	res = (rc == 1) == (n->u.match.op == OP_MATCH);
	if (v.name != NULL) {
		sb_name_value(c, &v);
		if (res) {
			sb_add(&c->b, " (", 2);
			sb_str(&c->b, op_text[n->u.match.op]);
			sb_add(&c->b, " ", 1);
			sb_slice(c, n->u.match.rxoff, n->u.match.rxlen);
			sb_add(&c->b, ")", 1);
		}
	} else {
		sb_slice(c, n->off, n->len);
	}
	return res ? TRI_TRUE : TRI_FALSE;
}

/* Is piece [p, p+plen) one of the ", "-separated pieces of region r? */
static bool
has_piece(const char *r, size_t rlen, const char *p, size_t plen)
{
	for (size_t i = 0; i + plen <= rlen; i++) {
		if ((i == 0 || (i >= 2 && memcmp(r + i - 2, ", ", 2) == 0)) &&
		    memcmp(r + i, p, plen) == 0 &&
		    (i + plen == rlen || (i + plen + 2 <= rlen && memcmp(r + i + plen, ", ", 2) == 0)))
			return true;
	}
	return false;
}

/* Kleene && (is_or false) or ||.  The decisive value (false for &&, true
   for ||) wins over unknown; the text keeps the pieces of the children
   that decided, without repeats. */
static enum tri
eval_list(struct ctx *c, const struct node *n, bool is_or, struct reason *why)
{
	enum tri decisive = is_or ? TRI_TRUE : TRI_FALSE;
	size_t start = c->b.len, mark, piece;
	bool seen_decisive = false, seen_unknown = false;
	struct reason r;

	for (size_t i = 0; i < n->u.list.n; i++) {
		enum tri t;

		mark = c->b.len;
		if (mark > start)
			sb_add(&c->b, ", ", 2);
		piece = c->b.len;
		memset(&r, 0, sizeof(r));
		t = eval(c, n->u.list.kids[i], &r);
		if (t == TRI_UNKNOWN) {
			c->b.len = mark;
			if (!seen_unknown)
				*why = r;
			seen_unknown = true;
		} else if (t == decisive && !seen_decisive) {
			/* from now on only decisive pieces count */
			memmove(c->b.p + start, c->b.p + piece, c->b.len - piece);
			c->b.len = start + (c->b.len - piece);
			seen_decisive = true;
		} else if (t != decisive && seen_decisive) {
			c->b.len = mark;
		} else if (has_piece(c->b.p + start, mark - start, c->b.p + piece, c->b.len - piece)) {
			c->b.len = mark;
		}
	}
	if (c->b.p != NULL)
		c->b.p[c->b.len] = '\0';
	if (seen_decisive)
		return decisive;
	if (seen_unknown) {
		c->b.len = start;
		return TRI_UNKNOWN;
	}
	return is_or ? TRI_FALSE : TRI_TRUE;
}

/* A fact used as a condition. */
static bool
fact_truth(const char *s)
{
	static const char *const falses[] = {"false", "no"};
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0)
		return false;
	for (size_t i = 0; i < sizeof(falses) / sizeof(falses[0]); i++)
		if (strlen(falses[i]) == len && strncasecmp(s, falses[i], len) == 0)
			return false;
	return true;
}

static enum tri
eval(struct ctx *c, const struct node *n, struct reason *why)
{
	struct val v;
	enum tri t;
	bool res;

	switch (n->kind) {
	case K_BOOL:
		sb_str(&c->b, n->u.b ? "true" : "false");
		return n->u.b ? TRI_TRUE : TRI_FALSE;
	case K_NUM:
		sb_slice(c, n->off, n->len);
		return unit_convert(n, NULL) != 0 ? TRI_TRUE : TRI_FALSE;
	case K_STR:
		sb_slice(c, n->off, n->len);
		return n->u.str[0] != '\0' ? TRI_TRUE : TRI_FALSE;
	case K_NAME:
		lookup(c, n->u.name, &v);
		if (val_check(&v, why) < 0)
			return TRI_UNKNOWN;
		res = v.t == V_NUM ? v.n != 0 : fact_truth(v.s);
		sb_name_value(c, &v);
		return res ? TRI_TRUE : TRI_FALSE;
	case K_DEFINED:
		lookup(c, n->u.name, &v);
		sb_str(&c->b, n->u.name);
		sb_str(&c->b, v.t == V_MISSING ? " is not defined" : " is defined");
		return v.t == V_MISSING ? TRI_FALSE : TRI_TRUE;
	case K_NOT:
		t = eval(c, n->u.kid, why);
		return t == TRI_UNKNOWN ? TRI_UNKNOWN : t == TRI_TRUE ? TRI_FALSE : TRI_TRUE;
	case K_AND:
	case K_OR:
		return eval_list(c, n, n->kind == K_OR, why);
	case K_CMP:
		return n->u.cmp.boolean ? eval_boolcmp(c, n, why) : eval_cmp(c, n, why);
	case K_MATCH:
		return eval_match(c, n, why);
	}
	return TRI_UNKNOWN;
}

static char *
reason_text(const struct reason *r, const char *src)
{
	struct sbuf b = {0};

	switch (r->k) {
	case R_MISSING:
		return xasprintf("metric %s is missing", r->name);
	case R_NAN:
		return xasprintf("metric %s is not a number", r->name);
	case R_NUMSTR:
		return xasprintf("metric %s is a number, not a string", r->name);
	case R_NOTNUM:
		sb_str(&b, "fact ");
		sb_str(&b, r->name);
		sb_str(&b, " is not a number: ");
		sb_quoted(&b, r->value);
		return b.p;
	case R_RXFAIL:
		return xasprintf("regex %.*s is too complex for the value of %s",
				 (int)r->n->u.match.rxlen, src + r->n->u.match.rxoff,
				 r->name != NULL ? r->name : "a string");
	default:
		return xstrdup("cannot be evaluated");
	}
}

void
expr_eval(const struct expr *e, const struct obs *o, struct expr_result *res)
{
	struct ctx c = {.o = o, .src = e->src};
	struct reason why = {0};
	enum tri t;
	size_t cut;

	res->reason = NULL;
	res->explain = NULL;
	if (o != NULL && o->error != NULL) {
		res->value = TRI_UNKNOWN;
		res->reason = xstrdup(o->error);
		res->explain = xstrdup(o->error);
		return;
	}
	t = eval(&c, e->root, &why);
	res->value = t;
	if (t == TRI_UNKNOWN) {
		free(c.b.p);
		res->reason = reason_text(&why, e->src);
		res->explain = xstrdup(res->reason);
		return;
	}
	if (c.b.len == 0)
		sb_str(&c.b, t == TRI_TRUE ? "true" : "false");
	if (c.b.len > EXPR_EXPLAIN_MAX) {
		cut = utf8_cut(c.b.p, c.b.len, EXPR_EXPLAIN_MAX - 3);
		c.b.len = cut;
		sb_add(&c.b, "...", 3);
	}
	c.b.p[c.b.len] = '\0';
	res->explain = c.b.p;
}

void
expr_result_free(struct expr_result *res)
{
	free(res->reason);
	free(res->explain);
	res->reason = NULL;
	res->explain = NULL;
}

void
expr_format_number(double v, char *buf, unsigned size)
{
	size_t len;

	if (size == 0)
		return;
	if (isnan(v)) {
		snprintf(buf, size, "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, size, v < 0 ? "-inf" : "inf");
		return;
	}
	if (v == 0)
		v = 0; /* no "-0" */
	if (fabs(v) >= 1e15) {
		snprintf(buf, size, "%g", v);
		return;
	}
	if (v == floor(v)) {
		/* the common case, by hand: snprintf("%.0f") is slow */
		char tmp[24];
		long long i = (long long)v;
		unsigned long long u = i < 0 ? (unsigned long long)-i : (unsigned long long)i;
		size_t k = sizeof(tmp);

		tmp[--k] = '\0';
		do {
			tmp[--k] = (char)('0' + u % 10);
			u /= 10;
		} while (u != 0);
		if (i < 0)
			tmp[--k] = '-';
		len = sizeof(tmp) - 1 - k;
		if (len >= size)
			len = size - 1;
		memcpy(buf, tmp + k, len);
		buf[len] = '\0';
		return;
	}
	snprintf(buf, size, "%.3f", v);
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '0')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
	/* too small for three decimals: show significant digits instead */
	if (strcmp(buf, "0") == 0 || strcmp(buf, "-0") == 0)
		snprintf(buf, size, "%.3g", v);
}
