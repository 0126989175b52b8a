/*
 * rule.h - rule packs (SPEC 2.4): loading, validation and lookup.
 *
 * A pack is a YAML file with `pack`, `description` and `rules`.  Rule
 * packs are loaded from files or directories (every *.yaml / *.yml in a
 * directory, in name order).  A rule whose id was already loaded from an
 * earlier path replaces it, so a site pack in /etc/mxsla/rules.d can
 * override a shipped rule; `disabled: true` removes a rule.  Every error
 * in every file is reported as FILE:LINE:COL.
 */
#ifndef MXSLA_RULE_H
#define MXSLA_RULE_H

#include <stdint.h>

#include "strlist.h"

struct expr;
struct cfgerr;

enum rule_kind { RULE_HEALTH = 0, RULE_BEST_PRACTICE = 1 };

struct rule {
	char *id;
	char *title;
	char *pack;
	char *file;              /* where it was defined */
	int line, col;
	int kind;                /* enum rule_kind */
	char *probe;             /* probe kind it applies to */
	struct strlist roles;    /* empty: any role */
	struct strlist targets;  /* empty: every target of the probe kind */
	struct expr *warning;    /* may be NULL */
	struct expr *critical;   /* may be NULL */
	struct expr *unknown;    /* may be NULL (extension: condition for `unknown`) */
	int64_t for_ms;          /* 0: immediate */
	int64_t interval_ms;     /* 0: the target's */
	char *advice;
	struct strlist references;
	int disabled;
};

struct ruleset {
	struct rule **v;
	size_t n, cap;
};

void ruleset_init(struct ruleset *rs);
void ruleset_free(struct ruleset *rs);
/* Load one file or directory into rs.  Errors are added to errs; returns
   0 if none was added, -1 otherwise.  probe_known(name) says whether a
   probe kind exists (may be NULL to accept any). */
int ruleset_load_path(struct ruleset *rs, const char *path, int (*probe_known)(const char *name),
		      struct cfgerr *errs);
/* Drop rules marked disabled (after all paths are loaded). */
void ruleset_finish(struct ruleset *rs);
const struct rule *ruleset_find(const struct ruleset *rs, const char *id);
const char *rule_kind_name(int kind);

#endif
