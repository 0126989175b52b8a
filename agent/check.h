/*
 * check.h - checks: one rule applied to one target (id RULE@TARGET), their
 * evaluation against an observation, and the `for:` state that delays a
 * change to a worse status (never a recovery).
 */
#ifndef MXSLA_CHECK_H
#define MXSLA_CHECK_H

#include <stdint.h>

struct agent_config;
struct obs;
struct rule;
struct target;

enum check_status { ST_OK = 0, ST_WARNING = 1, ST_CRITICAL = 2, ST_UNKNOWN = 3 };

struct check {
	char *id;                    /* RULE@TARGET */
	const struct rule *rule;     /* owned by the configuration */
	const struct target *target; /* owned by the configuration */
	size_t target_index;
	int64_t interval_ms;         /* the rule's interval, else the target's */
	/* daemon state */
	int status;                  /* reported status; -1 before the first evaluation */
	int raw_status;              /* what the rule said last time */
	int64_t pending_since_ms;    /* since when raw_status has been worse than status */
	int64_t last_eval_ms;        /* monotonic; 0 = never */
	char *message;
};

struct checkset {
	struct check *v;
	size_t n;
};

/* Every (rule, target) pair where the rule's probe is the target's probe
   kind, the agent has one of the rule's roles (or the rule names none),
   and the target name matches one of the rule's target globs (or it names
   none).  target_count includes the implicit "agent" target when
   targets[] holds it. */
void checkset_build(struct checkset *cs, const struct agent_config *cfg,
		    struct target *const *targets, size_t ntargets);
void checkset_free(struct checkset *cs);
/* Carry over the `for:` state of checks with the same id (after reload). */
void checkset_inherit(struct checkset *to, const struct checkset *from);

const char *check_status_name(int status);
/* Order for reports: critical, warning, unknown, ok. */
int check_status_rank(int status);

/* Evaluate a rule on an observation, ignoring `for:`.  *message_r is
   xmalloc'd: why the status is what it is ("deferred = 137 (> 100)"). */
int check_evaluate(const struct rule *r, const struct obs *o, char **message_r);

/* Apply `for:` at monotonic time now_ms to a fresh evaluation; updates
   the check's state and returns the status to report.  *changed_r is set
   when the reported status differs from the previous one (or it is the
   first).  The message passed in is taken over. */
int check_update(struct check *c, int raw_status, char *message, int64_t now_ms, int *changed_r);

#endif
