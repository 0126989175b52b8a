/*
 * expr.h - the rule expression language (SPEC 2.4).
 *
 *   expr    := or
 *   or      := and { ("||" | "or") and }
 *   and     := unary { ("&&" | "and") unary }
 *   unary   := ("!" | "not") unary | cmp
 *   cmp     := primary [ ("<"|"<="|">"|">="|"=="|"!=") primary
 *                      | ("=~"|"!~") REGEX ]
 *   primary := NUMBER[UNIT] | STRING | NAME | "true" | "false"
 *            | "defined(" NAME ")" | "(" expr ")"
 *
 * NUMBER[UNIT]: 100, 2.5, 20%, durations 250ms 10s 5m 4h 2d, sizes 512B
 * 64KB 256MB 4GB 1TB (powers of 1024).  A literal with a unit compared
 * with a NAME is converted to the unit the name's suffix implies:
 * *_ms -> milliseconds, *_s -> seconds (also the default for durations),
 * *_kb -> KiB, otherwise bytes for sizes; a percent is just the number.
 * STRING: "double quoted", backslash escapes \" \\ \n \t.
 * REGEX: /pattern/flags (flags i m s x), compiled at load time (PCRE2).
 * NAME: [A-Za-z_][A-Za-z0-9_.-]* : a metric of the observation, or else a
 * fact (string).  A fact compared with a number is converted if it is a
 * number ("10240000"), else the comparison is unknown.  A bare NAME used
 * as a boolean is true when non-zero (metric) or non-empty (fact);
 * true/false/yes/no facts are understood case-insensitively.
 *
 * Evaluation is three-valued (Kleene): a NAME the observation lacks makes
 * its comparison unknown; false && unknown = false, true || unknown =
 * true; otherwise unknown propagates.  defined(NAME) is never unknown.
 */
#ifndef MXSLA_EXPR_H
#define MXSLA_EXPR_H

struct expr;
struct obs;

enum tri { TRI_FALSE = 0, TRI_TRUE = 1, TRI_UNKNOWN = 2 };

/* Compile src.  On error returns NULL, *error_r (xmalloc'd, without any
   location) and *col_r (1-based column of the offending character in src). */
struct expr *expr_compile(const char *src, char **error_r, int *col_r);
void expr_free(struct expr *e);
const char *expr_source(const struct expr *e);

struct expr_result {
	enum tri value;
	/* TRI_UNKNOWN: why, e.g. "metric deferred is missing" or
	   "fact message_size_limit is not a number"; else NULL.  Owned. */
	char *reason;
	/* Human explanation, owned, never NULL:
	   TRI_TRUE:  the comparisons that made it true, joined by ", ",
	              each "NAME = VALUE (OP LITERAL)", e.g. "deferred = 137 (> 100)";
	   TRI_FALSE: the current values of the names it looked at, e.g.
	              "deferred = 3";
	   TRI_UNKNOWN: same as reason. */
	char *explain;
};

/* Evaluate against an observation.  Thread-safe for a shared expr. */
void expr_eval(const struct expr *e, const struct obs *o, struct expr_result *res);
void expr_result_free(struct expr_result *res);

/* Names referenced by the expression, in order of first appearance,
   without duplicates.  Returns the count; *names_r points into e. */
unsigned expr_names(const struct expr *e, const char *const **names_r);

/* Format a number the way messages show it: integers without decimals,
   others with up to 3 significant decimals ("137", "2.5", "0.125"). */
void expr_format_number(double v, char *buf, unsigned size);

#endif
