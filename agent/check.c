/*
 * check.c - checks and their evaluation (see check.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "agent_config.h"
#include "check.h"
#include "expr.h"
#include "obs.h"
#include "probe.h"
#include "rule.h"
#include "units.h"
#include "xmalloc.h"

static const char *const status_names[] = { "ok", "warning", "critical", "unknown" };

const char *
check_status_name(int status)
{
	if (status < 0 || status > 3)
		return "unknown";
	return status_names[status];
}

int
check_status_rank(int status)
{
	switch (status) {
	case ST_CRITICAL: return 0;
	case ST_WARNING: return 1;
	case ST_UNKNOWN: return 2;
	default: return 3;
	}
}

void
checkset_build(struct checkset *cs, const struct agent_config *cfg, struct target *const *targets,
	       size_t ntargets)
{
	size_t cap = 0;

	cs->v = NULL;
	cs->n = 0;
	for (size_t ti = 0; ti < ntargets; ti++) {
		const struct target *t = targets[ti];
		for (size_t ri = 0; ri < cfg->rules.n; ri++) {
			const struct rule *r = cfg->rules.v[ri];
			struct check *c;

			if (strcmp(r->probe, t->probe) != 0)
				continue;
			if (!agent_config_has_any_role(cfg, &r->roles))
				continue;
			if (r->targets.n > 0 && !strlist_glob_match(&r->targets, t->name))
				continue;
			cs->v = xgrow(cs->v, &cap, cs->n + 1, sizeof(*cs->v));
			c = &cs->v[cs->n++];
			memset(c, 0, sizeof(*c));
			c->id = xasprintf("%s@%s", r->id, t->name);
			c->rule = r;
			c->target = t;
			c->target_index = ti;
			c->interval_ms = r->interval_ms ? r->interval_ms : t->interval_ms;
			c->status = -1;
			c->raw_status = -1;
		}
	}
}

void
checkset_free(struct checkset *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		free(cs->v[i].id);
		free(cs->v[i].message);
	}
	free(cs->v);
	cs->v = NULL;
	cs->n = 0;
}

void
checkset_inherit(struct checkset *to, const struct checkset *from)
{
	for (size_t i = 0; i < to->n; i++) {
		for (size_t k = 0; k < from->n; k++) {
			if (strcmp(to->v[i].id, from->v[k].id) != 0)
				continue;
			to->v[i].status = from->v[k].status;
			to->v[i].raw_status = from->v[k].raw_status;
			to->v[i].pending_since_ms = from->v[k].pending_since_ms;
			to->v[i].message = from->v[k].message ? xstrdup(from->v[k].message) : NULL;
			break;
		}
	}
}

int
check_evaluate(const struct rule *r, const struct obs *o, char **message_r)
{
	struct expr_result res;
	int status;

	if (o->error != NULL) {
		*message_r = xstrdup(o->error);
		return ST_UNKNOWN;
	}
	if (r->unknown != NULL) {
		expr_eval(r->unknown, o, &res);
		if (res.value == TRI_TRUE) {
			*message_r = res.explain;
			res.explain = NULL;
			expr_result_free(&res);
			return ST_UNKNOWN;
		}
		expr_result_free(&res);
	}
	const struct expr *levels[2] = { r->critical, r->warning };
	const int level_status[2] = { ST_CRITICAL, ST_WARNING };
	char *ok_msg = NULL;

	for (int i = 0; i < 2; i++) {
		if (levels[i] == NULL)
			continue;
		expr_eval(levels[i], o, &res);
		if (res.value == TRI_TRUE || res.value == TRI_UNKNOWN) {
			status = res.value == TRI_TRUE ? level_status[i] : ST_UNKNOWN;
			*message_r = res.explain;
			res.explain = NULL;
			expr_result_free(&res);
			free(ok_msg);
			return status;
		}
		if (ok_msg == NULL) {
			ok_msg = res.explain;
			res.explain = NULL;
		}
		expr_result_free(&res);
	}
	*message_r = ok_msg ? ok_msg : xstrdup("");
	return ST_OK;
}

/* Is a worse than b, for `for:`?  unknown is not "worse": it is reported
   at once, as is any recovery.  Before the first evaluation the baseline
   is ok. */
static int
worse(int a, int b)
{
	if (b < 0)
		b = ST_OK;
	if (a == ST_UNKNOWN || b == ST_UNKNOWN)
		return 0;
	return a > b;
}

int
check_update(struct check *c, int raw_status, char *message, int64_t now_ms, int *changed_r)
{
	int prev = c->status;
	int64_t for_ms = c->rule->for_ms;

	*changed_r = 0;
	c->last_eval_ms = now_ms;
	c->raw_status = raw_status;
	if (for_ms > 0 && worse(raw_status, c->status)) {
		/* The condition has held since it first turned worse than what
		   is reported; an escalation keeps that start. */
		if (c->pending_since_ms == 0)
			c->pending_since_ms = now_ms;
		if (now_ms - c->pending_since_ms < for_ms) {
			char left[32];
			units_format_duration(for_ms - (now_ms - c->pending_since_ms), left, sizeof(left));
			free(c->message);
			c->message = xasprintf("%s (pending %s for %s more)", message,
					       check_status_name(raw_status), left);
			free(message);
			if (c->status < 0) {
				c->status = ST_OK;
				*changed_r = 1;
			}
			return c->status;
		}
	}
	c->pending_since_ms = 0;
	c->status = raw_status;
	free(c->message);
	c->message = message;
	if (prev != c->status)
		*changed_r = 1;
	return c->status;
}
