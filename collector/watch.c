/*
 * watch.c - the notification policy (watch.h): a thread that looks at the
 * state now of checks, services, agents and budgets once per tick and
 * hands what changed since the last notification to the emit callback.
 *
 * Per tick: the agents (store_q_agents: up or silent by stale_after), the
 * checks (store_scan_checks: the state now, nodata when stale), the
 * maintenance windows active now (maint_load for [now, now + 1) and the
 * config's), each service's state from its components, and every
 * budget_every_s the month's SLA figures (slarun_month).  The last
 * notified states are kept in memory, loaded from notify_state when the
 * watcher starts, and every change is written back through store_exec in
 * one transaction at the end of the tick (a write that fails is kept and
 * tried again at the next tick).
 *
 * Cost: the two store queries dominate; selector matching is done once per
 * check and configuration (the services a check belongs to are remembered
 * with its state), so a tick does no fnmatch for known checks.  A tick
 * that takes long pushes the next one back (at most a fifth of the time
 * is spent ticking).
 *
 * Does not queue or send (notify.c), and does not decide what the state of
 * a check is (the store, from the results; `for:` is applied by the agent
 * before it reports a worse status).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "caltime.h"
#include "log.h"
#include "maint.h"
#include "slarun.h"
#include "status.h"
#include "store_int.h"
#include "watch.h"
#include "xmalloc.h"

#define STATE_MAX 12     /* longest state name ("critical") and NUL, with room */
#define MSG_LIST_MAX 240 /* components named in a service message, in bytes */

static _Thread_local char watch_errbuf[512];

static const char *werr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
werr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(watch_errbuf, sizeof(watch_errbuf), fmt, ap);
	va_end(ap);
	return watch_errbuf;
}

/* ---- the last notified states, in memory ---- */

struct wentry {
	char *key;             /* NULL: free slot */
	char state[STATE_MAX]; /* "" while nothing was notified */
	int64_t since;
	uint64_t seen;         /* the last tick that found its check, agent or service */
	/* checks only: the services the check belongs to, for config gen */
	unsigned gen;
	size_t *svcs;
	size_t nsvcs;
};

struct wmap {
	struct wentry *v;
	size_t cap, n; /* cap: a power of two */
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static struct wentry *
wmap_slot(struct wentry *v, size_t cap, const char *key)
{
	size_t i = (size_t)hash_str(key) & (cap - 1);

	while (v[i].key != NULL && strcmp(v[i].key, key) != 0)
		i = (i + 1) & (cap - 1);
	return &v[i];
}

/* The entry of key, created (without a state) when absent.  The pointer
   is valid until the next call. */
static struct wentry *
wmap_get(struct wmap *m, const char *key)
{
	struct wentry *e;

	if (2 * (m->n + 1) > m->cap) {
		size_t ncap = m->cap == 0 ? 256 : 2 * m->cap;
		struct wentry *nv = xcalloc(ncap, sizeof(*nv));

		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].key != NULL)
				*wmap_slot(nv, ncap, m->v[i].key) = m->v[i];
		free(m->v);
		m->v = nv;
		m->cap = ncap;
	}
	e = wmap_slot(m->v, m->cap, key);
	if (e->key == NULL) {
		e->key = xstrdup(key);
		m->n++;
	}
	return e;
}

static void
wmap_free(struct wmap *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->v[i].key);
		free(m->v[i].svcs);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* ---- the watcher ---- */

/* A state to write to notify_state (state NULL: delete the key). */
struct wchange {
	char *key, *state, *extra;
	int64_t since;
	char *prune; /* budget: delete the other keys with this prefix */
};

struct watcher {
	struct store *st;
	struct watch_options o;
	struct wmap map;

	/* the configuration held between ticks, and its generation (bumped
	   when the pointer changes; holding the old reference until the new
	   one is taken rules out a new config at the old address) */
	const struct collector_config *cfg;
	void *cfg_handle;
	unsigned gen;

	struct wchange *pend; /* changes not yet written */
	size_t npend, pendcap;

	int64_t next_budget;
	int64_t last_tick_us;
	uint64_t tickno;      /* ticks that looked at the store */
	char month[16];       /* "YYYY-MM" of the last tick, for budget keys */
	char *keybuf; /* scratch for keys */
	size_t keycap;

	pthread_t tid;
	int running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
};

/* A key in w->keybuf: the parts joined by tabs. */
static const char *
mkkey(struct watcher *w, const char *a, const char *b, const char *c)
{
	size_t need = strlen(a) + strlen(b) + (c != NULL ? strlen(c) + 1 : 0) + 2;

	if (need > w->keycap)
		w->keybuf = xgrow(w->keybuf, &w->keycap, need, 1);
	if (c != NULL)
		snprintf(w->keybuf, w->keycap, "%s\t%s\t%s", a, b, c);
	else
		snprintf(w->keybuf, w->keycap, "%s\t%s", a, b);
	return w->keybuf;
}

/* Remember that e is now in state (notified or recorded silently) and
   queue the write. */
static void
record(struct watcher *w, struct wentry *e, const char *state, int64_t since, const char *extra,
       const char *prune)
{
	struct wchange *c;

	snprintf(e->state, sizeof(e->state), "%s", state);
	e->since = since;
	w->pend = xgrow(w->pend, &w->pendcap, w->npend + 1, sizeof(*w->pend));
	c = &w->pend[w->npend++];
	c->key = xstrdup(e->key);
	c->state = xstrdup(state);
	c->extra = extra != NULL ? xstrdup(extra) : NULL;
	c->since = since;
	c->prune = prune != NULL ? xstrdup(prune) : NULL;
}

/* Queue the deletion of key from notify_state. */
static void
record_delete(struct watcher *w, const char *key)
{
	struct wchange *c;

	w->pend = xgrow(w->pend, &w->pendcap, w->npend + 1, sizeof(*w->pend));
	c = &w->pend[w->npend++];
	memset(c, 0, sizeof(*c));
	c->key = xstrdup(key);
}

static void
pend_clear(struct watcher *w)
{
	for (size_t i = 0; i < w->npend; i++) {
		free(w->pend[i].key);
		free(w->pend[i].state);
		free(w->pend[i].extra);
		free(w->pend[i].prune);
	}
	w->npend = 0;
}

static int
write_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct watcher *w = arg;
	sqlite3_stmt *up = NULL, *del = NULL, *del1 = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(
	        db,
	        "INSERT INTO notify_state (key, state, since, extra) "
	        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET "
	        "state = excluded.state, since = excluded.since, extra = excluded.extra",
	        -1, &up, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "DELETE FROM notify_state WHERE substr(key, 1, length(?1)) = ?1 "
	                       "AND key <> ?2",
	                       -1, &del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM notify_state WHERE key = ?1", -1, &del1, NULL) !=
	        SQLITE_OK) {
		*error_r = store_err("notify_state: %s", sqlite3_errmsg(db));
		goto out;
	}
	for (size_t i = 0; i < w->npend; i++) {
		const struct wchange *c = &w->pend[i];

		if (c->state == NULL) {
			sqlite3_reset(del1);
			sqlite3_bind_text(del1, 1, c->key, -1, SQLITE_STATIC);
			if (sqlite3_step(del1) != SQLITE_DONE) {
				*error_r = store_err("notify_state: %s", sqlite3_errmsg(db));
				goto out;
			}
			continue;
		}
		sqlite3_reset(up);
		sqlite3_bind_text(up, 1, c->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(up, 2, c->state, -1, SQLITE_STATIC);
		sqlite3_bind_int64(up, 3, c->since);
		if (c->extra != NULL)
			sqlite3_bind_text(up, 4, c->extra, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(up, 4);
		if (sqlite3_step(up) != SQLITE_DONE) {
			*error_r = store_err("notify_state: %s", sqlite3_errmsg(db));
			goto out;
		}
		if (c->prune == NULL)
			continue;
		sqlite3_reset(del);
		sqlite3_bind_text(del, 1, c->prune, -1, SQLITE_STATIC);
		sqlite3_bind_text(del, 2, c->key, -1, SQLITE_STATIC);
		if (sqlite3_step(del) != SQLITE_DONE) {
			*error_r = store_err("notify_state: %s", sqlite3_errmsg(db));
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(up);
	sqlite3_finalize(del);
	sqlite3_finalize(del1);
	return rc;
}

static int
load_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct watcher *w = arg;
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT key, state, since FROM notify_state", -1, &s, NULL) !=
	    SQLITE_OK) {
		*error_r = store_err("notify_state: %s", sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		const char *state = (const char *)sqlite3_column_text(s, 1);
		struct wentry *e;

		if (key == NULL || state == NULL)
			continue;
		e = wmap_get(&w->map, key);
		snprintf(e->state, sizeof(e->state), "%s", state);
		e->since = sqlite3_column_int64(s, 2);
	}
	if (rc != SQLITE_DONE) {
		*error_r = store_err("notify_state: %s", sqlite3_errmsg(db));
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

/* ---- one tick ---- */

struct wagent {
	const char *id, *site;
	int silent;
	int64_t last_seen;
	int64_t min_interval; /* 0: no check seen */
};

struct wsvc {
	size_t count[3]; /* SLA_UP, SLA_DOWN, SLA_NODATA */
	int maint;
	char *down, *nodata; /* components named for the message */
	size_t downlen, downcap, ndlen, ndcap;
};

struct tick {
	struct watcher *w;
	const struct collector_config *cfg;
	int64_t now;
	struct wagent *agents;
	size_t nagents;
	struct wsvc *svc;
	const char *error; /* the first failure, copied into watch_errbuf */
};

static void
tick_fail(struct tick *t, const char *what, const char *err)
{
	if (t->error == NULL)
		t->error = werr("%s: %s", what, err != NULL ? err : "failed");
}

static const char *
jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
fmt_utc(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

static int
check_severity(int old, int new)
{
	int w = status_severity_rank(old) >= status_severity_rank(new) ? old : new;

	return w == MX_NODATA ? MX_UNKNOWN : w;
}

static int
emit(struct tick *t, const struct notify_event *ev)
{
	const char *err = NULL;

	if (t->w->o.emit(t->w->o.emit_arg, ev, &err) < 0) {
		tick_fail(t, notify_kind_name(ev->kind), err);
		return -1;
	}
	return 0;
}

static struct wagent *
agent_find(struct tick *t, const char *id)
{
	size_t lo = 0, hi = t->nagents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->agents[mid].id, id);

		if (c == 0)
			return &t->agents[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
cmp_agent(const void *a, const void *b)
{
	return strcmp(((const struct wagent *)a)->id, ((const struct wagent *)b)->id);
}

static void
agents_notify(struct tick *t)
{
	struct watcher *w = t->w;

	for (size_t i = 0; i < t->nagents; i++) {
		const struct wagent *a = &t->agents[i];
		struct wentry *e = wmap_get(&w->map, mkkey(w, "agent", a->id, NULL));
		const char *now_state = a->silent ? "silent" : "up";
		struct notify_event ev;
		char when[32], msg[512];

		e->seen = w->tickno;
		if (e->state[0] == '\0' && !a->silent) {
			record(w, e, "up", t->now, NULL, NULL);
			continue;
		}
		if (strcmp(e->state, now_state) == 0)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.agent = a->id;
		ev.site = a->site;
		ev.old_state = a->silent ? "up" : "silent";
		ev.new_state = now_state;
		ev.severity = MX_CRITICAL;
		if (a->silent) {
			int64_t ival = a->min_interval > 0 ? a->min_interval : 60;

			fmt_utc(a->last_seen, when, sizeof(when));
			snprintf(msg, sizeof(msg), "agent %s is silent: nothing received since %s",
			         a->id, when);
			ev.kind = NOTIFY_AGENT_SILENT;
			ev.time = a->last_seen + store_stale(w->st, ival);
		} else {
			snprintf(msg, sizeof(msg), "agent %s is back", a->id);
			ev.kind = NOTIFY_AGENT_BACK;
			ev.time = t->now;
		}
		ev.message = msg;
		if (emit(t, &ev) == 0)
			record(w, e, now_state, ev.time, msg, NULL);
	}
}

/* Add "name state" to a service's list for its message. */
static void
name_add(char **buf, size_t *len, size_t *cap, const char *agent, const char *check)
{
	size_t need;

	if (*len > MSG_LIST_MAX)
		return;
	need = *len + strlen(agent) + strlen(check) + 4;
	*buf = xgrow(*buf, cap, need + 1, 1);
	*len += (size_t)snprintf(*buf + *len, *cap - *len, "%s%s:%s", *len > 0 ? ", " : "", agent,
	                         check);
	if (*len > MSG_LIST_MAX) {
		*buf = xgrow(*buf, cap, *len + 5, 1);
		memcpy(*buf + *len, ", ...", 6);
		*len += 5;
	}
}

/* The services check belongs to, worked out once per configuration. */
static void
membership(struct tick *t, struct wentry *e, const char *agent, const char *check)
{
	const struct collector_config *cfg = t->cfg;
	size_t cap = 0;

	if (e->gen == t->w->gen)
		return;
	free(e->svcs);
	e->svcs = NULL;
	e->nsvcs = 0;
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct cc_service *svc = &cfg->services[i];

		for (size_t j = 0; j < svc->ncomponents; j++)
			if (cc_selector_match(&svc->components[j], agent, check)) {
				e->svcs = xgrow(e->svcs, &cap, e->nsvcs + 1, sizeof(*e->svcs));
				e->svcs[e->nsvcs++] = i;
				break;
			}
	}
	e->gen = t->w->gen;
}

/* A check as the tick sees it (copied out of store_scan_checks). */
struct wcheck {
	char *agent, *check, *message;
	int64_t interval, ts, since;
	int status, has_ts, has_since;
};

static void
check_one(struct tick *t, const struct wcheck *c)
{
	struct watcher *w = t->w;
	const char *agent = c->agent, *check = c->check;
	const char *sname = status_name(c->status), *message = c->message;
	const struct wagent *a;
	struct wentry *e;
	struct notify_event ev;
	int status = c->status, old, in_maint = 0;
	char msg[512], when[32];

	if (agent == NULL || check == NULL)
		return;
	a = agent_find(t, agent);
	e = wmap_get(&w->map, mkkey(w, "check", agent, check));
	e->seen = w->tickno;
	membership(t, e, agent, check);
	for (size_t k = 0; k < e->nsvcs; k++) {
		struct wsvc *s = &t->svc[e->svcs[k]];
		int cs = sla_component_state(&t->cfg->services[e->svcs[k]].policy, status);

		s->count[cs]++;
		if (cs == SLA_DOWN)
			name_add(&s->down, &s->downlen, &s->downcap, agent, check);
		else if (cs == SLA_NODATA)
			name_add(&s->nodata, &s->ndlen, &s->ndcap, agent, check);
		in_maint |= s->maint;
	}
	if (in_maint)
		return;
	/* while the agent is silent, its silence is the news, not each check */
	if (status == MX_NODATA && a != NULL && a->silent)
		return;
	if (e->state[0] == '\0') {
		if (status == MX_OK)
			record(w, e, sname, c->has_since ? c->since : t->now, NULL, NULL);
		if (status == MX_OK || status == MX_NODATA)
			return;
		old = MX_NODATA;
	} else if (strcmp(e->state, sname) == 0) {
		return;
	} else if ((old = status_parse(e->state)) < 0) {
		old = MX_NODATA;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = NOTIFY_CHECK;
	ev.agent = agent;
	ev.site = a != NULL ? a->site : NULL;
	ev.check = check;
	ev.old_state = status_name(old);
	ev.new_state = sname;
	ev.time = c->has_since ? c->since : t->now;
	ev.severity = check_severity(old, status);
	if (status == MX_NODATA) {
		if (c->has_ts) {
			fmt_utc(c->ts, when, sizeof(when));
			snprintf(msg, sizeof(msg),
			         "no fresh result from %s for %s (the last at %s)", agent, check,
			         when);
		} else {
			snprintf(msg, sizeof(msg), "no result from %s for %s", agent, check);
		}
		ev.message = msg;
	} else {
		ev.message = message != NULL ? message : "";
	}
	if (emit(t, &ev) == 0)
		record(w, e, sname, ev.time, ev.message, NULL);
}

static void
services_notify(struct tick *t)
{
	struct watcher *w = t->w;

	for (size_t i = 0; i < t->cfg->nservices; i++) {
		const struct cc_service *svc = &t->cfg->services[i];
		const struct wsvc *s = &t->svc[i];
		int state = sla_service_state(svc->require, s->count[SLA_UP], s->count[SLA_DOWN],
		                              s->count[SLA_NODATA]);
		const char *name;
		struct wentry *e;
		struct notify_event ev;
		char *msg;

		/* nodata is no news for the NOC: a service down and then
		   without data stays down until it is seen up */
		if (s->maint || state == SLA_NODATA)
			continue;
		name = state == SLA_UP ? "up" : "down";
		e = wmap_get(&w->map, mkkey(w, "service", svc->id, NULL));
		if (e->state[0] == '\0' && state == SLA_UP) {
			record(w, e, name, t->now, NULL, NULL);
			continue;
		}
		if (strcmp(e->state, name) == 0)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.service = svc->id;
		ev.old_state = e->state[0] == '\0' ? "nodata" : state == SLA_UP ? "down" : "up";
		ev.new_state = name;
		ev.time = t->now;
		ev.severity = MX_CRITICAL;
		if (state == SLA_UP) {
			ev.kind = NOTIFY_SERVICE_UP;
			msg = xasprintf("service %s is up", svc->id);
		} else {
			ev.kind = NOTIFY_SERVICE_DOWN;
			msg = xasprintf(
			    "service %s is down: %s%s%s%s%s", svc->id,
			    s->downlen > 0 ? s->down : "", s->downlen > 0 ? " down" : "",
			    s->downlen > 0 && s->ndlen > 0 ? ", " : "",
			    s->ndlen > 0 ? s->nodata : "", s->ndlen > 0 ? " without data" : "");
		}
		ev.message = msg;
		if (emit(t, &ev) == 0)
			record(w, e, name, t->now, msg, NULL);
		free(msg);
	}
}

/* The budget level reached: 0, 50, 75 or 100 (percent of budget_s spent
   as down'); a budget of 0 is all spent by any down time. */
static int
budget_level(const struct sla_result *r)
{
	int64_t budget = r->budget_s, spent = r->budget_s - r->budget_left_s;

	if (spent <= 0)
		return 0;
	if (spent >= budget)
		return 100;
	if (4 * spent >= 3 * budget)
		return 75;
	if (2 * spent >= budget)
		return 50;
	return 0;
}

static void
budgets_notify(struct tick *t)
{
	struct watcher *w = t->w;
	struct sla_report rep;
	struct caltm tm;
	const char *err = NULL;

	caltime_fields(t->now, &tm);
	if (slarun_month(t->cfg, w->st, tm.year, tm.month, t->now, NULL, &rep, &err) < 0) {
		tick_fail(t, "budget", err);
		return;
	}
	for (size_t i = 0; i < rep.n; i++) {
		const struct cc_service *svc = rep.v[i].svc;
		const struct sla_result *r = &rep.v[i].r;
		size_t si = (size_t)(svc - t->cfg->services);
		int level = budget_level(r), old;
		struct wentry *e;
		struct notify_event ev;
		char level_s[8], *prefix, *msg;

		if (si >= t->cfg->nservices || t->svc[si].maint || level == 0)
			continue;
		e = wmap_get(&w->map, mkkey(w, "budget", svc->id, rep.month_name));
		old = atoi(e->state);
		if (level <= old)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.kind = NOTIFY_BUDGET;
		ev.service = svc->id;
		ev.time = t->now;
		ev.severity = level >= 100 ? MX_CRITICAL : MX_WARNING;
		ev.budget_pct = level;
		ev.availability = r->has_availability ? r->availability : 0;
		ev.target = svc->target;
		ev.month = rep.month_name;
		msg = xasprintf("service %s has spent %d %% of its error budget for %s "
		                "(availability %.3f %%, target %.3f %%)",
		                svc->id, level, rep.month_name, ev.availability, svc->target);
		ev.message = msg;
		if (emit(t, &ev) == 0) {
			snprintf(level_s, sizeof(level_s), "%d", level);
			prefix = xasprintf("budget\t%s\t", svc->id);
			record(w, e, level_s, t->now, msg, prefix);
			free(prefix);
		}
		free(msg);
	}
	slarun_free(&rep);
}

/* Whether the key of a service or budget still means something: its
   service is configured and, for a budget, the month is the current one
   (a level is notified once per month; earlier months are done with). */
static int
svc_key_live(const struct tick *t, const char *id, size_t idlen, const char *month)
{
	if (month != NULL && strcmp(month, t->w->month) != 0)
		return 0;
	for (size_t i = 0; i < t->cfg->nservices; i++)
		if (strlen(t->cfg->services[i].id) == idlen &&
		    memcmp(t->cfg->services[i].id, id, idlen) == 0)
			return 1;
	return 0;
}

/* Drop the states of what no longer exists, from memory and (queued)
   from notify_state, so that neither grows with every check, agent,
   service and month ever seen: checks and agents the store no longer
   has (not found by this tick), services no longer configured, budget
   levels of earlier months.  A check or agent that comes back is then
   new: first seen ok it is recorded silently, otherwise notified. */
static void
prune(struct tick *t)
{
	struct watcher *w = t->w;
	size_t stale = 0;

	for (size_t i = 0; i < w->map.cap; i++) {
		struct wentry *e = &w->map.v[i];
		const char *tab, *rest;
		int live = 1;

		if (e->key == NULL || (tab = strchr(e->key, '\t')) == NULL)
			continue;
		rest = tab + 1;
		if (strncmp(e->key, "check\t", 6) == 0 || strncmp(e->key, "agent\t", 6) == 0) {
			live = e->seen == w->tickno;
		} else if (strncmp(e->key, "service\t", 8) == 0) {
			live = svc_key_live(t, rest, strlen(rest), NULL);
		} else if (strncmp(e->key, "budget\t", 7) == 0) {
			const char *m = strchr(rest, '\t');

			live = m != NULL && svc_key_live(t, rest, (size_t)(m - rest), m + 1);
		}
		if (live)
			continue;
		if (e->state[0] != '\0')
			record_delete(w, e->key);
		free(e->key);
		free(e->svcs);
		e->key = NULL;
		e->svcs = NULL;
		stale++;
	}
	if (stale > 0) {
		/* open addressing: the survivors are placed again */
		struct wentry *old = w->map.v;
		size_t cap = w->map.cap;

		w->map.v = xcalloc(cap, sizeof(*w->map.v));
		w->map.n = 0;
		for (size_t i = 0; i < cap; i++)
			if (old[i].key != NULL) {
				*wmap_slot(w->map.v, cap, old[i].key) = old[i];
				w->map.n++;
			}
		free(old);
	}
}

/* Take the running configuration; a new one gets a new generation. */
static void
cfg_take(struct watcher *w)
{
	void *h = NULL;
	const struct collector_config *cfg = w->o.cfg_acquire(w->o.cfg_arg, &h);

	if (cfg == w->cfg) {
		w->o.cfg_release(w->o.cfg_arg, h);
		return;
	}
	if (w->cfg != NULL)
		w->o.cfg_release(w->o.cfg_arg, w->cfg_handle);
	w->cfg = cfg;
	w->cfg_handle = h;
	w->gen++;
}

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct wchecks {
	struct wcheck *v;
	size_t n, cap;
};

static void
wcheck_add(void *arg, const struct store_check_now *c)
{
	struct wchecks *cv = arg;
	struct wcheck *x;

	if (c->agent == NULL || c->check == NULL)
		return;
	cv->v = xgrow(cv->v, &cv->cap, cv->n + 1, sizeof(*cv->v));
	x = &cv->v[cv->n++];
	x->agent = xstrdup(c->agent);
	x->check = xstrdup(c->check);
	x->message = c->message != NULL ? xstrdup(c->message) : NULL;
	x->interval = c->interval;
	x->ts = c->ts;
	x->since = c->since;
	x->status = c->status;
	x->has_ts = c->has_ts;
	x->has_since = c->has_since;
}

static void
wchecks_free(struct wchecks *cv)
{
	for (size_t i = 0; i < cv->n; i++) {
		free(cv->v[i].agent);
		free(cv->v[i].check);
		free(cv->v[i].message);
	}
	free(cv->v);
	memset(cv, 0, sizeof(*cv));
}

int
watch_tick(struct watcher *w, int64_t now, const char **error_r)
{
	struct tick t;
	struct maint_set ms;
	json_t *agents = NULL, *x;
	struct wchecks cv = {0};
	const char *err = NULL;
	int64_t t0 = mono_us();
	size_t i;

	cfg_take(w);
	if (w->cfg->nsnmp == 0)
		return 0;
	memset(&t, 0, sizeof(t));
	t.w = w;
	t.cfg = w->cfg;
	t.now = now;
	w->tickno++;
	{
		struct caltm tm;

		caltime_fields(now, &tm);
		snprintf(w->month, sizeof(w->month), "%04d-%02d", tm.year % 10000, tm.month % 100);
	}

	if ((agents = store_q_agents(w->st, now, &err)) == NULL) {
		*error_r = werr("agents: %s", err != NULL ? err : "failed");
		return -1;
	}
	if (store_scan_checks(w->st, now, wcheck_add, &cv, &err) < 0) {
		json_decref(agents);
		wchecks_free(&cv);
		*error_r = werr("checks: %s", err != NULL ? err : "failed");
		return -1;
	}
	if (maint_load(w->st, now, now + 1, &ms, &err) < 0) {
		json_decref(agents);
		wchecks_free(&cv);
		*error_r = werr("maintenance: %s", err != NULL ? err : "failed");
		return -1;
	}

	t.agents = xcalloc(json_array_size(agents) + 1, sizeof(*t.agents));
	json_array_foreach(agents, i, x)
	{
		struct wagent *a = &t.agents[t.nagents];

		if ((a->id = jstr(x, "id")) == NULL)
			continue;
		a->site = jstr(x, "site");
		a->silent = jstr(x, "state") != NULL && strcmp(jstr(x, "state"), "silent") == 0;
		a->last_seen = json_integer_value(json_object_get(x, "last_seen"));
		t.nagents++;
	}
	qsort(t.agents, t.nagents, sizeof(*t.agents), cmp_agent);
	/* the agent's silence limit comes from its shortest check interval */
	for (i = 0; i < cv.n; i++) {
		struct wagent *a = agent_find(&t, cv.v[i].agent);
		int64_t ival = cv.v[i].interval;

		if (a != NULL && ival > 0 && (a->min_interval == 0 || ival < a->min_interval))
			a->min_interval = ival;
	}

	t.svc = xcalloc(t.cfg->nservices + 1, sizeof(*t.svc));
	for (i = 0; i < t.cfg->nservices; i++)
		t.svc[i].maint = maint_active(t.cfg, &ms, t.cfg->services[i].id, now);
	maint_free(&ms);

	agents_notify(&t);
	for (i = 0; i < cv.n; i++)
		check_one(&t, &cv.v[i]);
	services_notify(&t);
	if (w->o.budget_every_s == 0 || now >= w->next_budget) {
		w->next_budget = now + w->o.budget_every_s;
		budgets_notify(&t);
	}
	prune(&t);

	if (w->npend > 0) {
		if (store_exec(w->st, write_fn, w, &err) < 0)
			tick_fail(&t, "notify_state", err);
		else
			pend_clear(w);
	}

	for (i = 0; i < t.cfg->nservices; i++) {
		free(t.svc[i].down);
		free(t.svc[i].nodata);
	}
	free(t.svc);
	free(t.agents);
	wchecks_free(&cv);
	json_decref(agents);
	w->last_tick_us = mono_us() - t0;
	if (t.error != NULL) {
		*error_r = t.error;
		return -1;
	}
	return 0;
}

/* ---- the thread ---- */

static void *
watch_main(void *arg)
{
	struct watcher *w = arg;
	char last_err[512] = "";

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		struct timespec until;
		const char *err = NULL;
		int64_t wait_ms;
		int rc;

		pthread_mutex_unlock(&w->mu);
		rc = watch_tick(w, (int64_t)time(NULL), &err);
		/* say each new trouble once, and when it is over */
		if (rc < 0 && strcmp(last_err, err) != 0) {
			log_warnx("notifications: %s", err);
			snprintf(last_err, sizeof(last_err), "%s", err);
		} else if (rc == 0 && last_err[0] != '\0') {
			log_info("notifications: working again");
			last_err[0] = '\0';
		}
		/* a slow tick (many checks, a slow disk) spaces the next ones out,
		   so that the watcher never takes more than a fifth of a core */
		wait_ms = w->o.tick_ms;
		if (4 * (w->last_tick_us / 1000) > wait_ms)
			wait_ms = 4 * (w->last_tick_us / 1000);
		pthread_mutex_lock(&w->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(wait_ms / 1000);
		until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int64_t
env_num(const char *name, int64_t def, int64_t lo, int64_t hi)
{
	const char *s = getenv(name);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi) {
		log_warnx("%s=%s ignored: not a number from %lld to %lld", name, s, (long long)lo,
		          (long long)hi);
		return def;
	}
	return v;
}

void
watch_options_init(struct watch_options *o)
{
	memset(o, 0, sizeof(*o));
	o->tick_ms = env_num("MXSLA_WATCH_TICK_MS", 1000, 10, 3600000);
	o->budget_every_s = env_num("MXSLA_WATCH_BUDGET_S", 60, 0, 86400);
}

int
watch_start(struct store *st, const struct watch_options *o, struct watcher **w_r,
            const char **error_r)
{
	struct watcher *w = xcalloc(1, sizeof(*w));
	const char *err = NULL;

	*w_r = NULL;
	if (o->emit == NULL || o->cfg_acquire == NULL || o->cfg_release == NULL) {
		free(w);
		*error_r = werr("watch: emit and configuration callbacks are required");
		return -1;
	}
	w->st = st;
	w->o = *o;
	if (w->o.budget_every_s < 0)
		w->o.budget_every_s = 0;
	if (store_read(st, load_fn, w, &err) < 0) {
		wmap_free(&w->map);
		free(w);
		*error_r = werr("watch: %s", err != NULL ? err : "cannot read notify_state");
		return -1;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (w->o.tick_ms > 0) {
		if (pthread_create(&w->tid, NULL, watch_main, w) != 0) {
			pthread_mutex_destroy(&w->mu);
			pthread_cond_destroy(&w->cv);
			wmap_free(&w->map);
			free(w);
			*error_r = werr("watch: cannot start the thread");
			return -1;
		}
		w->running = 1;
	}
	*w_r = w;
	return 0;
}

void
watch_stop(struct watcher *w)
{
	if (w == NULL)
		return;
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->tid, NULL);
	}
	if (w->npend > 0) {
		const char *err = NULL;

		if (store_exec(w->st, write_fn, w, &err) < 0)
			log_warnx("notifications: states not written: %s", err);
	}
	pend_clear(w);
	free(w->pend);
	if (w->cfg != NULL)
		w->o.cfg_release(w->o.cfg_arg, w->cfg_handle);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	wmap_free(&w->map);
	free(w->keybuf);
	free(w);
}

int64_t
watch_last_tick_us(const struct watcher *w)
{
	return w->last_tick_us;
}
