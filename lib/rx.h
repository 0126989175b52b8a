/*
 * rx.h - the only module that calls PCRE2.  Patterns are compiled when a
 * configuration or rule pack loads, never while a probe runs or a rule is
 * evaluated.  Matching is thread-safe: each call uses its own match data.
 */
#ifndef MXSLA_RX_H
#define MXSLA_RX_H

#include <stddef.h>

struct rx;

enum { RX_CASELESS = 1, RX_MULTILINE = 2, RX_DOTALL = 4, RX_EXTENDED = 8 };

/* Compile; on error returns NULL, *error_r (xmalloc'd) and *offset_r (0-based
   offset of the error in pattern). */
struct rx *rx_compile(const char *pattern, unsigned flags, char **error_r, size_t *offset_r);
/* Parse "i", "im", ... into RX_* flags; returns -1 and the bad char in *bad_r. */
int rx_parse_flags(const char *s, unsigned *flags_r, char *bad_r);
void rx_free(struct rx *rx);
const char *rx_pattern(const struct rx *rx);

/* 1 if subject matches, 0 if not, -1 on a matching error (limits). */
int rx_match(const struct rx *rx, const char *subject, size_t len);

/* Named groups of the pattern, in name-table order. */
size_t rx_group_count(const struct rx *rx);           /* number of named groups */
const char *rx_group_name(const struct rx *rx, size_t i);

/* Match and hand every named group that took part to cb(name, value, len).
   Returns 1 if matched, 0 if not, -1 on error. */
int rx_match_groups(const struct rx *rx, const char *subject, size_t len,
		    void (*cb)(void *ctx, const char *name, const char *value, size_t vlen), void *ctx);
/* Match and copy numbered capture group (1-based) into a fresh string; NULL if no match/unset. */
char *rx_match_group_n(const struct rx *rx, const char *subject, size_t len, unsigned group);

#endif
