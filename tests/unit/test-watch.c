/*
 * test-watch.c - the notification policy (watch.c) over a real store in a
 * temporary directory: results are stored with store_ingest, the watcher
 * looks at chosen instants (watch_tick), and every event handed to the
 * emit callback is captured and compared field by field.
 *
 * The configuration (UTC, stale_after 3x):
 *   mailflow  require all  hub1:service.smtp@smtp, hub2:service.smtp@smtp
 *   anyweb    require any  hub*:service.http@web
 *   two       require 2    hub1, hub2, hub3:service.imap@imap
 *   bud       target 99    hub3:svc.b@b
 *   maintsvc               hub1:maint.x@x   window 2026-10-10 22:00-2026-10-11 02:00 (config)
 *   dbsvc                  hub1:db.x@x      windows entered with store_mw_add
 * Checks named in no service (queue.deferred@queue, ...) only give check
 * events.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "caltime.h"
#include "cfgerr.h"
#include "collector_config.h"
#include "notify.h"
#include "store.h"
#include "store_int.h"
#include "testutil.h"
#include "tu_collector.h"
#include "watch.h"
#include "xmalloc.h"

#define T_OCT1 INT64_C(1790812800)   /* 2026-10-01 00:00 UTC */
#define T0 INT64_C(1791244800)       /* 2026-10-06 00:00 UTC */
#define T_MW INT64_C(1791669600)     /* 2026-10-10 22:00 UTC */
#define T_MW_END INT64_C(1791684000) /* 2026-10-11 02:00 UTC */
#define T_NOV1 INT64_C(1793491200)   /* 2026-11-01 00:00 UTC */

static const char yaml_fmt[] =
    "database: %s/mxsla.db\n"
    "timezone: UTC\n"
    "stale_after: 3x\n"
    "agents:\n"
    "  - { id: hub1, token: \"token-one-0123456789\" }\n"
    "  - { id: hub2, token: \"token-two-0123456789\" }\n"
    "  - { id: hub3, token: \"token-three-012345678\" }\n"
    "services:\n"
    "  - { id: mailflow, name: Mail, target: 99.9, require: all,\n"
    "      components: [\"hub1:service.smtp@smtp\", \"hub2:service.smtp@smtp\"] }\n"
    "  - { id: anyweb, name: Web, target: 99, require: any,\n"
    "      components: [\"hub*:service.http@web\"] }\n"
    "  - { id: two, name: IMAP, target: 99, require: 2,\n"
    "      components: [\"hub1:service.imap@imap\", \"hub2:service.imap@imap\",\n"
    "                   \"hub3:service.imap@imap\"] }\n"
    "  - { id: bud, name: Budget, target: 99, components: [\"hub3:svc.b@b\"] }\n"
    "  - { id: maintsvc, name: Maint, target: 99, components: [\"hub1:maint.x@x\"] }\n"
    "  - { id: dbsvc, name: DB, target: 99, components: [\"hub1:db.x@x\"] }\n"
    "maintenance:\n"
    "  - { services: [maintsvc], start: \"2026-10-10 22:00\", end: \"2026-10-11 02:00\" }\n"
    "notify:\n"
    "  snmp:\n"
    "    - { name: noc, host: 127.0.0.1, port: 1, version: 2c }\n";

/* An event as captured (strings copied). */
struct cev {
	enum notify_kind kind;
	char *agent, *site, *check, *service, *old_state, *new_state, *message, *month;
	int64_t time;
	int severity, budget_pct;
	double availability, target;
};

struct fx {
	char *dir;
	struct collector_config *cfg;
	struct store *st;
	int64_t batch;
	pthread_mutex_t mu; /* the thread test's emits come from the watcher thread */
	struct cev *ev;
	size_t nev, evcap;
	int fail_next; /* the next emit fails */
	int acquired;  /* configuration references held */
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static int
capture(void *arg, const struct notify_event *ev, const char **error_r)
{
	struct fx *fx = arg;
	struct cev *c;

	pthread_mutex_lock(&fx->mu);
	if (fx->fail_next) {
		fx->fail_next = 0;
		pthread_mutex_unlock(&fx->mu);
		*error_r = "queue full";
		return -1;
	}
	fx->ev = xgrow(fx->ev, &fx->evcap, fx->nev + 1, sizeof(*fx->ev));
	c = &fx->ev[fx->nev++];
	c->kind = ev->kind;
	c->agent = dup_or_null(ev->agent);
	c->site = dup_or_null(ev->site);
	c->check = dup_or_null(ev->check);
	c->service = dup_or_null(ev->service);
	c->old_state = dup_or_null(ev->old_state);
	c->new_state = dup_or_null(ev->new_state);
	c->message = dup_or_null(ev->message);
	c->month = dup_or_null(ev->month);
	c->time = ev->time;
	c->severity = ev->severity;
	c->budget_pct = ev->budget_pct;
	c->availability = ev->availability;
	c->target = ev->target;
	pthread_mutex_unlock(&fx->mu);
	return 0;
}

static const struct collector_config *
cfg_acquire(void *arg, void **handle_r)
{
	struct fx *fx = arg;

	fx->acquired++;
	*handle_r = fx;
	return fx->cfg;
}

static void
cfg_release(void *arg, void *handle)
{
	struct fx *fx = arg;

	assert_ptr_equal(handle, fx);
	fx->acquired--;
}

static void
events_clear(struct fx *fx)
{
	for (size_t i = 0; i < fx->nev; i++) {
		struct cev *c = &fx->ev[i];

		free(c->agent);
		free(c->site);
		free(c->check);
		free(c->service);
		free(c->old_state);
		free(c->new_state);
		free(c->message);
		free(c->month);
	}
	fx->nev = 0;
}

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	char *yaml;

	pthread_mutex_init(&fx->mu, NULL);
	fx->dir = tu_mkdtemp("watch");
	yaml = xasprintf(yaml_fmt, fx->dir);
	fx->cfg = tu_collector_config(fx->dir, yaml);
	free(yaml);
	fx->st = tu_collector_store(fx->cfg);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	events_clear(fx);
	free(fx->ev);
	store_close(fx->st);
	collector_config_free(fx->cfg);
	tu_rm_rf(fx->dir);
	free(fx->dir);
	pthread_mutex_destroy(&fx->mu);
	free(fx);
	return 0;
}

/* Store one result of agent (site hq) received at ts. */
static void
feed_iv(struct fx *fx, const char *agent, const char *check, int status, int64_t ts,
        int64_t interval, const char *message)
{
	struct ingest_result r;
	struct ingest_batch b;
	const char *err = NULL, *at = strchr(check, '@');
	char *rule = xstrndup(check, (size_t)(at - check));
	int dup = -1;

	memset(&r, 0, sizeof(r));
	r.check = check;
	r.rule = rule;
	r.target = at + 1;
	r.kind = "health";
	r.title = check;
	r.message = message;
	r.status = status;
	r.ts = ts;
	r.interval = interval;
	memset(&b, 0, sizeof(b));
	b.agent = agent;
	b.site = "hq";
	b.roles = "[\"hub\"]";
	b.stream = "stream-1";
	b.batch = ++fx->batch;
	b.received = ts;
	b.results = &r;
	b.n = 1;
	if (store_ingest(fx->st, &b, &dup, &err) < 0)
		fail_msg("store_ingest: %s", err);
	assert_int_equal(dup, 0);
	free(rule);
}

static void
feed(struct fx *fx, const char *agent, const char *check, int status, int64_t ts,
     const char *message)
{
	feed_iv(fx, agent, check, status, ts, 60, message);
}

static struct watcher *
start(struct fx *fx, int64_t budget_every_s)
{
	struct watch_options o;
	struct watcher *w = NULL;
	const char *err = NULL;

	watch_options_init(&o);
	o.tick_ms = 0;
	o.budget_every_s = budget_every_s;
	o.emit = capture;
	o.emit_arg = fx;
	o.cfg_acquire = cfg_acquire;
	o.cfg_release = cfg_release;
	o.cfg_arg = fx;
	if (watch_start(fx->st, &o, &w, &err) < 0)
		fail_msg("watch_start: %s", err);
	return w;
}

static void
tick(struct watcher *w, int64_t now)
{
	const char *err = NULL;

	if (watch_tick(w, now, &err) < 0)
		fail_msg("watch_tick: %s", err);
}

#define assert_str(a, b) assert_string_equal((a) != NULL ? (a) : "(null)", (b))

static void
assert_check_event(const struct cev *e, const char *agent, const char *check, const char *old,
                   const char *new, int64_t time, int severity, const char *message)
{
	assert_int_equal(e->kind, NOTIFY_CHECK);
	assert_str(e->agent, agent);
	assert_str(e->site, "hq");
	assert_str(e->check, check);
	assert_null(e->service);
	assert_str(e->old_state, old);
	assert_str(e->new_state, new);
	assert_int_equal(e->time, time);
	assert_int_equal(e->severity, severity);
	assert_str(e->message, message);
}

static void
assert_service_event(const struct cev *e, enum notify_kind kind, const char *service,
                     const char *old, const char *new, int64_t time, const char *message)
{
	assert_int_equal(e->kind, kind);
	assert_str(e->service, service);
	assert_null(e->agent);
	assert_null(e->check);
	assert_str(e->old_state, old);
	assert_str(e->new_state, new);
	assert_int_equal(e->time, time);
	assert_int_equal(e->severity, MX_CRITICAL);
	assert_str(e->message, message);
}

/* ---- checks ---- */

/* The agent reports a check's worse status only once the rule's `for:`
   has held (agent/check.c, check_update: until then it reports the
   previous status with "(pending ...)" in the message), so the collector
   takes the status reported as is: the critical result below is the
   change, the second one is the same state and sends nothing. */
static void
check_ok_critical_critical__one_event(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);

	feed(fx, "hub1", "queue.deferred@queue", MX_OK, T0, "deferred = 3");
	tick(w, T0);
	assert_int_equal(fx->nev, 0);
	feed(fx, "hub1", "queue.deferred@queue", MX_OK, T0 + 60,
	     "deferred = 150 (pending critical for 4m more)");
	tick(w, T0 + 60);
	assert_int_equal(fx->nev, 0);
	feed(fx, "hub1", "queue.deferred@queue", MX_CRITICAL, T0 + 120, "deferred = 160 (> 100)");
	tick(w, T0 + 120);
	assert_int_equal(fx->nev, 1);
	assert_check_event(&fx->ev[0], "hub1", "queue.deferred@queue", "ok", "critical", T0 + 120,
	                   MX_CRITICAL, "deferred = 160 (> 100)");
	feed(fx, "hub1", "queue.deferred@queue", MX_CRITICAL, T0 + 180, "deferred = 170 (> 100)");
	tick(w, T0 + 180);
	tick(w, T0 + 181);
	assert_int_equal(fx->nev, 1);
	watch_stop(w);
	assert_int_equal(fx->acquired, 0);
}

static void
check_warning_then_ok__two_events_with_warning_severity(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);

	feed(fx, "hub1", "disk.free@var", MX_OK, T0, "free 40 %");
	tick(w, T0);
	feed(fx, "hub1", "disk.free@var", MX_WARNING, T0 + 60, "free 9 % (< 10)");
	tick(w, T0 + 60);
	feed(fx, "hub1", "disk.free@var", MX_OK, T0 + 120, "free 30 %");
	tick(w, T0 + 120);
	assert_int_equal(fx->nev, 2);
	assert_check_event(&fx->ev[0], "hub1", "disk.free@var", "ok", "warning", T0 + 60,
	                   MX_WARNING, "free 9 % (< 10)");
	assert_check_event(&fx->ev[1], "hub1", "disk.free@var", "warning", "ok", T0 + 120,
	                   MX_WARNING, "free 30 %");
	watch_stop(w);
}

static void
check_first_seen_unknown__notified_from_nodata(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);

	feed(fx, "hub1", "plugin.x@y", MX_UNKNOWN, T0, "plugin timed out");
	tick(w, T0);
	assert_int_equal(fx->nev, 1);
	assert_check_event(&fx->ev[0], "hub1", "plugin.x@y", "nodata", "unknown", T0, MX_UNKNOWN,
	                   "plugin timed out");
	/* unknown -> critical: critical ranks above unknown */
	feed(fx, "hub1", "plugin.x@y", MX_CRITICAL, T0 + 60, "down");
	tick(w, T0 + 60);
	assert_int_equal(fx->nev, 2);
	assert_check_event(&fx->ev[1], "hub1", "plugin.x@y", "unknown", "critical", T0 + 60,
	                   MX_CRITICAL, "down");
	watch_stop(w);
}

static void
check_stale_while_agent_up__nodata_notified_at_stale_limit(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);

	/* hub1 keeps reporting fast.x@x every 30 s; slow.x@x (120 s) stops */
	feed_iv(fx, "hub1", "slow.x@x", MX_OK, T0, 120, "fine");
	for (int64_t t = T0; t <= T0 + 420; t += 30) {
		feed_iv(fx, "hub1", "fast.x@x", MX_OK, t, 30, "fine");
		tick(w, t);
		/* stale at T0 + 3 x 120 */
		assert_int_equal(fx->nev, t < T0 + 360 ? 0 : 1);
	}
	assert_check_event(&fx->ev[0], "hub1", "slow.x@x", "ok", "nodata", T0 + 360, MX_UNKNOWN,
	                   "no fresh result from hub1 for slow.x@x (the last at "
	                   "2026-10-06T00:00:00Z)");
	watch_stop(w);
}

static void
emit_failing__event_offered_again_next_tick(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);
	const char *err = NULL;

	feed(fx, "hub1", "queue.deferred@queue", MX_OK, T0, "ok");
	tick(w, T0);
	feed(fx, "hub1", "queue.deferred@queue", MX_WARNING, T0 + 60, "deferred = 60");
	fx->fail_next = 1;
	assert_int_equal(watch_tick(w, T0 + 60, &err), -1);
	assert_string_equal(err, "check: queue full");
	assert_int_equal(fx->nev, 0);
	tick(w, T0 + 61);
	assert_int_equal(fx->nev, 1);
	assert_check_event(&fx->ev[0], "hub1", "queue.deferred@queue", "ok", "warning", T0 + 60,
	                   MX_WARNING, "deferred = 60");
	tick(w, T0 + 62);
	assert_int_equal(fx->nev, 1);
	watch_stop(w);
}

static void
no_destination__nothing_emitted_nothing_recorded(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 0);
	size_t nsnmp = fx->cfg->nsnmp;

	feed(fx, "hub1", "queue.deferred@queue", MX_CRITICAL, T0, "deferred = 900");
	fx->cfg->nsnmp = 0;
	tick(w, T0);
	fx->cfg->nsnmp = nsnmp;
	assert_int_equal(fx->nev, 0);
	/* a destination appears (reload): what the NOC has not seen is sent */
	tick(w, T0 + 1);
	assert_int_equal(fx->nev, 1);
	assert_check_event(&fx->ev[0], "hub1", "queue.deferred@queue", "nodata", "critical", T0,
	                   MX_CRITICAL, "deferred = 900");
	watch_stop(w);
}

/* ---- agents ---- */

static void
agent_silent_after_stale_limit_and_back__checks_not_notified_meanwhile(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);

	feed(fx, "hub2", "queue.deferred@queue", MX_OK, T0, "ok");
	tick(w, T0);
	tick(w, T0 + 179);
	assert_int_equal(fx->nev, 0);
	/* 3 x 60 s after the last arrival: silent; the check went stale at
	   the same instant, and the agent's silence stands for it */
	tick(w, T0 + 180);
	assert_int_equal(fx->nev, 1);
	assert_int_equal(fx->ev[0].kind, NOTIFY_AGENT_SILENT);
	assert_str(fx->ev[0].agent, "hub2");
	assert_str(fx->ev[0].site, "hq");
	assert_null(fx->ev[0].check);
	assert_null(fx->ev[0].service);
	assert_str(fx->ev[0].old_state, "up");
	assert_str(fx->ev[0].new_state, "silent");
	assert_int_equal(fx->ev[0].time, T0 + 180);
	assert_int_equal(fx->ev[0].severity, MX_CRITICAL);
	assert_str(fx->ev[0].message,
	           "agent hub2 is silent: nothing received since 2026-10-06T00:00:00Z");
	tick(w, T0 + 300);
	tick(w, T0 + 600);
	assert_int_equal(fx->nev, 1);
	/* back, and the check is now critical: both are news */
	feed(fx, "hub2", "queue.deferred@queue", MX_CRITICAL, T0 + 900, "deferred = 500");
	tick(w, T0 + 901);
	assert_int_equal(fx->nev, 3);
	assert_int_equal(fx->ev[1].kind, NOTIFY_AGENT_BACK);
	assert_str(fx->ev[1].agent, "hub2");
	assert_str(fx->ev[1].old_state, "silent");
	assert_str(fx->ev[1].new_state, "up");
	assert_int_equal(fx->ev[1].time, T0 + 901);
	assert_int_equal(fx->ev[1].severity, MX_CRITICAL);
	assert_str(fx->ev[1].message, "agent hub2 is back");
	assert_check_event(&fx->ev[2], "hub2", "queue.deferred@queue", "ok", "critical", T0 + 900,
	                   MX_CRITICAL, "deferred = 500");
	tick(w, T0 + 902);
	assert_int_equal(fx->nev, 3);
	watch_stop(w);
}

static void
agent_back_with_same_check_state__only_agent_back(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);

	feed(fx, "hub2", "queue.deferred@queue", MX_OK, T0, "ok");
	tick(w, T0);
	tick(w, T0 + 200);
	feed(fx, "hub2", "queue.deferred@queue", MX_OK, T0 + 400, "ok");
	tick(w, T0 + 400);
	assert_int_equal(fx->nev, 2);
	assert_int_equal(fx->ev[0].kind, NOTIFY_AGENT_SILENT);
	assert_int_equal(fx->ev[1].kind, NOTIFY_AGENT_BACK);
	watch_stop(w);
}

/* ---- maintenance ---- */

static void
maintenance_from_config__silent_inside_difference_notified_after(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);

	feed(fx, "hub1", "maint.x@x", MX_OK, T_MW - 600, "ok");
	tick(w, T_MW - 600);
	assert_int_equal(fx->nev, 0);
	for (int64_t t = T_MW + 60; t < T_MW_END; t += 60) {
		feed(fx, "hub1", "maint.x@x", MX_CRITICAL, t, "stopped for patching");
		tick(w, t);
	}
	assert_int_equal(fx->nev, 0);
	feed(fx, "hub1", "maint.x@x", MX_CRITICAL, T_MW_END, "still stopped");
	tick(w, T_MW_END);
	assert_int_equal(fx->nev, 2);
	/* the run began inside the window */
	assert_check_event(&fx->ev[0], "hub1", "maint.x@x", "ok", "critical", T_MW + 60,
	                   MX_CRITICAL, "still stopped");
	assert_service_event(&fx->ev[1], NOTIFY_SERVICE_DOWN, "maintsvc", "up", "down", T_MW_END,
	                     "service maintsvc is down: hub1:maint.x@x down");
	tick(w, T_MW_END + 1);
	assert_int_equal(fx->nev, 2);
	watch_stop(w);
}

static void
maintenance_from_database__silent_inside_difference_notified_after(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);
	struct store_mw m;
	const char *err = NULL;

	memset(&m, 0, sizeof(m));
	strlist_init(&m.services);
	strlist_add(&m.services, "db*");
	m.start = T0 + 100;
	m.end = T0 + 400;
	m.reason = xstrdup("reindex");
	if (store_mw_add(fx->st, &m, T0, &err) < 0)
		fail_msg("store_mw_add: %s", err);
	strlist_free(&m.services);
	free(m.reason);

	feed(fx, "hub1", "db.x@x", MX_OK, T0, "ok");
	tick(w, T0);
	/* inside: critical, back to ok, critical again: nothing */
	feed(fx, "hub1", "db.x@x", MX_CRITICAL, T0 + 120, "down");
	tick(w, T0 + 120);
	feed(fx, "hub1", "db.x@x", MX_OK, T0 + 180, "up");
	tick(w, T0 + 180);
	feed(fx, "hub1", "db.x@x", MX_CRITICAL, T0 + 350, "down again");
	tick(w, T0 + 350);
	tick(w, T0 + 399);
	assert_int_equal(fx->nev, 0);
	/* the window is over: the NOC saw ok, it is critical since T0 + 350 */
	tick(w, T0 + 400);
	assert_int_equal(fx->nev, 2);
	assert_check_event(&fx->ev[0], "hub1", "db.x@x", "ok", "critical", T0 + 350, MX_CRITICAL,
	                   "down again");
	assert_service_event(&fx->ev[1], NOTIFY_SERVICE_DOWN, "dbsvc", "up", "down", T0 + 400,
	                     "service dbsvc is down: hub1:db.x@x down");
	tick(w, T0 + 401);
	assert_int_equal(fx->nev, 2);
	watch_stop(w);
}

static void
maintenance_back_to_last_notified_state__nothing_after(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);

	feed(fx, "hub1", "maint.x@x", MX_OK, T_MW - 60, "ok");
	tick(w, T_MW - 60);
	feed(fx, "hub1", "maint.x@x", MX_CRITICAL, T_MW + 60, "stopped");
	tick(w, T_MW + 60);
	feed(fx, "hub1", "maint.x@x", MX_OK, T_MW_END - 60, "ok");
	tick(w, T_MW_END - 60);
	feed(fx, "hub1", "maint.x@x", MX_OK, T_MW_END, "ok");
	tick(w, T_MW_END);
	assert_int_equal(fx->nev, 0);
	watch_stop(w);
}

/* ---- services ---- */

static void
service_all__down_when_one_component_down_and_up_again(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);

	feed(fx, "hub1", "service.smtp@smtp", MX_OK, T0, "220 ok");
	feed(fx, "hub2", "service.smtp@smtp", MX_OK, T0, "220 ok");
	tick(w, T0);
	assert_int_equal(fx->nev, 0);
	feed(fx, "hub1", "service.smtp@smtp", MX_CRITICAL, T0 + 60, "connection refused");
	feed(fx, "hub2", "service.smtp@smtp", MX_OK, T0 + 60, "220 ok");
	tick(w, T0 + 60);
	assert_int_equal(fx->nev, 2);
	assert_check_event(&fx->ev[0], "hub1", "service.smtp@smtp", "ok", "critical", T0 + 60,
	                   MX_CRITICAL, "connection refused");
	assert_service_event(&fx->ev[1], NOTIFY_SERVICE_DOWN, "mailflow", "up", "down", T0 + 60,
	                     "service mailflow is down: hub1:service.smtp@smtp down");
	feed(fx, "hub1", "service.smtp@smtp", MX_CRITICAL, T0 + 120, "connection refused");
	feed(fx, "hub2", "service.smtp@smtp", MX_OK, T0 + 120, "220 ok");
	tick(w, T0 + 120);
	assert_int_equal(fx->nev, 2);
	feed(fx, "hub1", "service.smtp@smtp", MX_OK, T0 + 180, "220 ok");
	feed(fx, "hub2", "service.smtp@smtp", MX_OK, T0 + 180, "220 ok");
	tick(w, T0 + 180);
	assert_int_equal(fx->nev, 4);
	assert_check_event(&fx->ev[2], "hub1", "service.smtp@smtp", "critical", "ok", T0 + 180,
	                   MX_CRITICAL, "220 ok");
	assert_service_event(&fx->ev[3], NOTIFY_SERVICE_UP, "mailflow", "down", "up", T0 + 180,
	                     "service mailflow is up");
	watch_stop(w);
}

static void
service_any__down_only_when_every_component_down(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);

	feed(fx, "hub1", "service.http@web", MX_OK, T0, "200");
	feed(fx, "hub2", "service.http@web", MX_OK, T0, "200");
	tick(w, T0);
	feed(fx, "hub1", "service.http@web", MX_CRITICAL, T0 + 60, "503");
	feed(fx, "hub2", "service.http@web", MX_OK, T0 + 60, "200");
	tick(w, T0 + 60);
	assert_int_equal(fx->nev, 1);
	assert_int_equal(fx->ev[0].kind, NOTIFY_CHECK);
	feed(fx, "hub1", "service.http@web", MX_CRITICAL, T0 + 120, "503");
	feed(fx, "hub2", "service.http@web", MX_CRITICAL, T0 + 120, "503");
	tick(w, T0 + 120);
	assert_int_equal(fx->nev, 3);
	assert_check_event(&fx->ev[1], "hub2", "service.http@web", "ok", "critical", T0 + 120,
	                   MX_CRITICAL, "503");
	assert_service_event(&fx->ev[2], NOTIFY_SERVICE_DOWN, "anyweb", "up", "down", T0 + 120,
	                     "service anyweb is down: hub1:service.http@web, "
	                     "hub2:service.http@web down");
	feed(fx, "hub1", "service.http@web", MX_CRITICAL, T0 + 180, "503");
	feed(fx, "hub2", "service.http@web", MX_OK, T0 + 180, "200");
	tick(w, T0 + 180);
	assert_int_equal(fx->nev, 5);
	assert_int_equal(fx->ev[3].kind, NOTIFY_CHECK);
	assert_service_event(&fx->ev[4], NOTIFY_SERVICE_UP, "anyweb", "down", "up", T0 + 180,
	                     "service anyweb is up");
	watch_stop(w);
}

static void
service_require_2__down_when_fewer_than_2_can_be_up(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);
	const char *hubs[] = {"hub1", "hub2", "hub3"};

	for (int i = 0; i < 3; i++)
		feed(fx, hubs[i], "service.imap@imap", MX_OK, T0, "* OK");
	tick(w, T0);
	feed(fx, "hub1", "service.imap@imap", MX_CRITICAL, T0 + 60, "refused");
	feed(fx, "hub2", "service.imap@imap", MX_OK, T0 + 60, "* OK");
	feed(fx, "hub3", "service.imap@imap", MX_OK, T0 + 60, "* OK");
	tick(w, T0 + 60);
	assert_int_equal(fx->nev, 1);
	assert_int_equal(fx->ev[0].kind, NOTIFY_CHECK);
	feed(fx, "hub1", "service.imap@imap", MX_CRITICAL, T0 + 120, "refused");
	feed(fx, "hub2", "service.imap@imap", MX_CRITICAL, T0 + 120, "refused");
	feed(fx, "hub3", "service.imap@imap", MX_OK, T0 + 120, "* OK");
	tick(w, T0 + 120);
	assert_int_equal(fx->nev, 3);
	assert_service_event(&fx->ev[2], NOTIFY_SERVICE_DOWN, "two", "up", "down", T0 + 120,
	                     "service two is down: hub1:service.imap@imap, "
	                     "hub2:service.imap@imap down");
	feed(fx, "hub1", "service.imap@imap", MX_CRITICAL, T0 + 180, "refused");
	feed(fx, "hub2", "service.imap@imap", MX_OK, T0 + 180, "* OK");
	feed(fx, "hub3", "service.imap@imap", MX_OK, T0 + 180, "* OK");
	tick(w, T0 + 180);
	assert_int_equal(fx->nev, 5);
	assert_service_event(&fx->ev[4], NOTIFY_SERVICE_UP, "two", "down", "up", T0 + 180,
	                     "service two is up");
	watch_stop(w);
}

static void
service_first_seen_down__notified_from_nodata(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);

	feed(fx, "hub1", "service.smtp@smtp", MX_CRITICAL, T0, "refused");
	feed(fx, "hub2", "service.smtp@smtp", MX_OK, T0, "220");
	tick(w, T0);
	assert_int_equal(fx->nev, 2);
	assert_service_event(&fx->ev[1], NOTIFY_SERVICE_DOWN, "mailflow", "nodata", "down", T0,
	                     "service mailflow is down: hub1:service.smtp@smtp down");
	watch_stop(w);
}

/* ---- budgets ---- */

/* hub3:svc.b@b reports ok every hour (interval 3600 s) from October 1st
   and critical at T_OCT1 + 10 h, so that at T_OCT1 + 10 h + d:
   down' = d, up' = 36000, budget_s = floor(0.01 x (36000 + d)). */
static void
feed_budget_month(struct fx *fx)
{
	for (int64_t t = T_OCT1; t < T_OCT1 + 36000; t += 3600)
		feed_iv(fx, "hub3", "svc.b@b", MX_OK, t, 3600, "ok");
	feed_iv(fx, "hub3", "svc.b@b", MX_CRITICAL, T_OCT1 + 36000, 3600, "failing");
}

static size_t
budget_events(struct fx *fx, size_t *first_r)
{
	size_t n = 0;

	for (size_t i = 0; i < fx->nev; i++)
		if (fx->ev[i].kind == NOTIFY_BUDGET) {
			if (n++ == 0 && first_r != NULL)
				*first_r = i;
		}
	return n;
}

static void
assert_budget_event(const struct cev *e, int pct, int severity, double availability,
                    const char *message)
{
	assert_int_equal(e->kind, NOTIFY_BUDGET);
	assert_str(e->service, "bud");
	assert_null(e->agent);
	assert_int_equal(e->budget_pct, pct);
	assert_int_equal(e->severity, severity);
	assert_near(e->availability, availability, 1e-9);
	assert_near(e->target, 99.0, 0);
	assert_str(e->month, "2026-10");
	assert_str(e->message, message);
}

static void
budget_50_75_100__each_once_per_month(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 0);
	const int64_t tc = T_OCT1 + 36000;
	size_t i = 0;

	feed_budget_month(fx);
	/* d = 180: budget 361, 180 / 361 < 50 % */
	tick(w, tc + 180);
	assert_int_equal(budget_events(fx, NULL), 0);
	/* d = 181: budget 361, 181 / 361 >= 50 % */
	tick(w, tc + 181);
	assert_int_equal(budget_events(fx, &i), 1);
	assert_budget_event(&fx->ev[i], 50, MX_WARNING, 100.0 * 36000 / 36181,
	                    "service bud has spent 50 % of its error budget for 2026-10 "
	                    "(availability 99.500 %, target 99.000 %)");
	assert_int_equal(fx->ev[i].time, tc + 181);
	/* d = 250: budget 362, below 75 % */
	tick(w, tc + 250);
	assert_int_equal(budget_events(fx, NULL), 1);
	/* d = 300: budget 363, 300 / 363 >= 75 % */
	tick(w, tc + 300);
	assert_int_equal(budget_events(fx, NULL), 2);
	assert_budget_event(&fx->ev[fx->nev - 1], 75, MX_WARNING, 100.0 * 36000 / 36300,
	                    "service bud has spent 75 % of its error budget for 2026-10 "
	                    "(availability 99.174 %, target 99.000 %)");
	/* d = 370: budget 363, all spent */
	tick(w, tc + 370);
	assert_int_equal(budget_events(fx, NULL), 3);
	assert_budget_event(&fx->ev[fx->nev - 1], 100, MX_CRITICAL, 100.0 * 36000 / 36370,
	                    "service bud has spent 100 % of its error budget for 2026-10 "
	                    "(availability 98.983 %, target 99.000 %)");
	tick(w, tc + 400);
	tick(w, tc + 3000);
	assert_int_equal(budget_events(fx, NULL), 3);
	watch_stop(w);

	/* a new watcher on the same database: nothing again */
	w = start(fx, 0);
	tick(w, tc + 3001);
	assert_int_equal(budget_events(fx, NULL), 3);
	watch_stop(w);
}

static void
budget_several_levels_in_one_tick__only_the_highest(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 0);
	size_t i = 0;

	feed_budget_month(fx);
	tick(w, T_OCT1 + 36000 + 500);
	assert_int_equal(budget_events(fx, &i), 1);
	assert_int_equal(fx->ev[i].budget_pct, 100);
	assert_int_equal(fx->ev[i].severity, MX_CRITICAL);
	watch_stop(w);
}

static void
budget_next_month__levels_start_again(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 0);
	size_t i = 0;

	feed_budget_month(fx);
	tick(w, T_OCT1 + 36000 + 500);
	assert_int_equal(budget_events(fx, NULL), 1);
	/* November: 10 h ok, then down past the whole budget */
	for (int64_t t = T_NOV1; t < T_NOV1 + 36000; t += 3600)
		feed_iv(fx, "hub3", "svc.b@b", MX_OK, t, 3600, "ok");
	feed_iv(fx, "hub3", "svc.b@b", MX_CRITICAL, T_NOV1 + 36000, 3600, "failing");
	events_clear(fx);
	tick(w, T_NOV1 + 36000 + 500);
	assert_int_equal(budget_events(fx, &i), 1);
	assert_int_equal(fx->ev[i].budget_pct, 100);
	assert_str(fx->ev[i].month, "2026-11");
	watch_stop(w);
}

/* ---- restart ---- */

static void
restart__new_watcher_on_same_database_sends_nothing_again(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 0);

	feed(fx, "hub1", "service.smtp@smtp", MX_OK, T0, "220");
	feed(fx, "hub2", "service.smtp@smtp", MX_OK, T0, "220");
	feed(fx, "hub3", "queue.deferred@queue", MX_OK, T0, "ok");
	tick(w, T0);
	feed(fx, "hub1", "service.smtp@smtp", MX_CRITICAL, T0 + 60, "refused");
	feed(fx, "hub2", "service.smtp@smtp", MX_WARNING, T0 + 60, "slow");
	tick(w, T0 + 60);
	/* hub3 silent at T0 + 180 */
	feed(fx, "hub1", "service.smtp@smtp", MX_CRITICAL, T0 + 120, "refused");
	feed(fx, "hub2", "service.smtp@smtp", MX_WARNING, T0 + 120, "slow");
	tick(w, T0 + 180);
	assert_int_equal(fx->nev, 5);
	assert_int_equal(fx->ev[0].kind, NOTIFY_CHECK);
	assert_int_equal(fx->ev[1].kind, NOTIFY_CHECK);
	assert_int_equal(fx->ev[2].kind, NOTIFY_SERVICE_DOWN);
	assert_int_equal(fx->ev[3].kind, NOTIFY_AGENT_SILENT);
	/* mailflow down 120 s of 180 s: its whole budget */
	assert_int_equal(fx->ev[4].kind, NOTIFY_BUDGET);
	assert_int_equal(fx->ev[4].budget_pct, 100);
	watch_stop(w);

	w = start(fx, 0);
	tick(w, T0 + 181);
	assert_int_equal(fx->nev, 5);
	watch_stop(w);
}

/* ---- the thread ---- */

static void
thread__ticks_on_its_own(void **state)
{
	struct fx *fx = *state;
	struct watch_options o;
	struct watcher *w = NULL;
	const char *err = NULL;
	int64_t now = (int64_t)time(NULL);
	size_t n = 0;

	watch_options_init(&o);
	o.tick_ms = 20;
	o.budget_every_s = 3600;
	o.emit = capture;
	o.emit_arg = fx;
	o.cfg_acquire = cfg_acquire;
	o.cfg_release = cfg_release;
	o.cfg_arg = fx;
	feed(fx, "hub1", "queue.deferred@queue", MX_CRITICAL, now, "deferred = 900");
	if (watch_start(fx->st, &o, &w, &err) < 0)
		fail_msg("watch_start: %s", err);
	for (int i = 0; i < 250 && n == 0; i++) {
		usleep(20000);
		pthread_mutex_lock(&fx->mu);
		n = fx->nev;
		pthread_mutex_unlock(&fx->mu);
	}
	usleep(100000);
	watch_stop(w);
	assert_int_equal(fx->nev, 1);
	assert_check_event(&fx->ev[0], "hub1", "queue.deferred@queue", "nodata", "critical", now,
	                   MX_CRITICAL, "deferred = 900");
	assert_int_equal(fx->acquired, 0);
}

/* ---- cost ---- */

static void
tick_with_10000_checks__one_change_one_event(void **state)
{
	struct fx *fx = *state;
	struct watcher *w = start(fx, 86400);
	struct ingest_result *v = xcalloc(100, sizeof(*v));
	char names[100][32];
	int64_t us[3];

	for (int c = 0; c < 100; c++)
		snprintf(names[c], sizeof(names[c]), "rule%02d@t", c);
	for (int a = 0; a < 100; a++) {
		struct ingest_batch b;
		const char *err = NULL;
		char agent[16];
		int dup = 0;

		snprintf(agent, sizeof(agent), "node%03d", a);
		for (int c = 0; c < 100; c++) {
			memset(&v[c], 0, sizeof(v[c]));
			v[c].check = names[c];
			v[c].rule = "r";
			v[c].target = "t";
			v[c].kind = "health";
			v[c].message = "fine";
			v[c].metrics = "{\"x\":1}";
			v[c].status = MX_OK;
			v[c].ts = T0;
			v[c].interval = 60;
		}
		memset(&b, 0, sizeof(b));
		b.agent = agent;
		b.site = "dc";
		b.roles = "[]";
		b.stream = "s";
		b.batch = a + 1;
		b.received = T0;
		b.results = v;
		b.n = 100;
		if (store_ingest(fx->st, &b, &dup, &err) < 0)
			fail_msg("store_ingest: %s", err);
	}
	free(v);
	tick(w, T0 + 1);
	us[0] = watch_last_tick_us(w);
	assert_int_equal(fx->nev, 0);
	feed(fx, "node042", "rule07@t", MX_CRITICAL, T0 + 30, "bad");
	tick(w, T0 + 31);
	us[1] = watch_last_tick_us(w);
	tick(w, T0 + 32);
	us[2] = watch_last_tick_us(w);
	assert_int_equal(fx->nev, 1);
	assert_str(fx->ev[0].agent, "node042");
	assert_str(fx->ev[0].check, "rule07@t");
	/* feed() stores its batches with site hq */
	assert_str(fx->ev[0].site, "hq");
	fprintf(stderr, "# watch tick with 10000 checks: first %.1f ms, then %.1f ms, %.1f ms\n",
	        us[0] / 1000.0, us[1] / 1000.0, us[2] / 1000.0);
	watch_stop(w);
}

/* ---- notify_state stays bounded ---- */

static int
put_states_fn(sqlite3 *db, void *arg, const char **error_r)
{
	static const char *const rows[][2] = {
	    {"check\tgone\told.rule@x", "critical"}, /* a check the store does not have */
	    {"agent\tgone", "silent"},                /* an agent the store does not have */
	    {"service\tremoved", "down"},             /* a service no longer configured */
	    {"budget\tremoved\t2026-10", "50"},      /* ... and its budget */
	    {"budget\tbud\t2026-09", "100"},         /* a month that is over */
	    {"budget\tbud\t2026-10", "50"},          /* the current month: kept */
	    {"service\tmailflow", "up"},              /* configured: kept */
	    {"agent\thub", "up"},                     /* a prefix of agent hub1's key */
	};
	sqlite3_stmt *s = NULL;

	(void)arg;
	if (sqlite3_prepare_v2(db, "INSERT INTO notify_state (key, state, since) VALUES (?1, ?2, 1)",
	                       -1, &s, NULL) != SQLITE_OK) {
		*error_r = sqlite3_errmsg(db);
		return -1;
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, rows[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, rows[i][1], -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			*error_r = sqlite3_errmsg(db);
			sqlite3_finalize(s);
			return -1;
		}
	}
	sqlite3_finalize(s);
	return 0;
}

struct keys { char buf[1024]; };

static int
keys_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct keys *k = arg;
	sqlite3_stmt *s = NULL;
	size_t n = 0;

	if (sqlite3_prepare_v2(db, "SELECT replace(key, char(9), ' ') || '=' || state"
	                       " FROM notify_state ORDER BY key", -1, &s, NULL) != SQLITE_OK) {
		*error_r = sqlite3_errmsg(db);
		return -1;
	}
	k->buf[0] = '\0';
	while (sqlite3_step(s) == SQLITE_ROW)
		n += (size_t)snprintf(k->buf + n, sizeof(k->buf) - n, "%s;",
		                      (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return 0;
}

/* Keys of checks and agents the store no longer has, of services no
   longer configured and of months that are over are deleted, so that
   notify_state (and the watcher's memory) do not grow with everything
   ever seen; a key that is a prefix of a live one is deleted alone. */
static void
stale_states__pruned_live_ones_kept(void **state)
{
	struct fx *fx = *state;
	struct watcher *w;
	struct keys k;
	const char *err = NULL;

	if (store_exec(fx->st, put_states_fn, NULL, &err) < 0)
		fail_msg("notify_state: %s", err);
	w = start(fx, 86400);
	feed(fx, "hub1", "queue.deferred@queue", MX_OK, T0, "deferred = 3");
	tick(w, T0);
	assert_int_equal(fx->nev, 0);
	if (store_read(fx->st, keys_fn, &k, &err) < 0)
		fail_msg("notify_state: %s", err);
	assert_string_equal(k.buf, "agent hub1=up;budget bud 2026-10=50;"
	                           "check hub1 queue.deferred@queue=ok;service mailflow=up;");
	/* and the next tick, from memory, puts nothing back */
	feed(fx, "hub1", "queue.deferred@queue", MX_OK, T0 + 60, "deferred = 3");
	tick(w, T0 + 60);
	watch_stop(w);
	if (store_read(fx->st, keys_fn, &k, &err) < 0)
		fail_msg("notify_state: %s", err);
	assert_string_equal(k.buf, "agent hub1=up;budget bud 2026-10=50;"
	                           "check hub1 queue.deferred@queue=ok;service mailflow=up;");
	assert_int_equal(fx->nev, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(check_ok_critical_critical__one_event, setup, teardown),
	    cmocka_unit_test_setup_teardown(check_warning_then_ok__two_events_with_warning_severity,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(check_first_seen_unknown__notified_from_nodata, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        check_stale_while_agent_up__nodata_notified_at_stale_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(emit_failing__event_offered_again_next_tick, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(no_destination__nothing_emitted_nothing_recorded, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        agent_silent_after_stale_limit_and_back__checks_not_notified_meanwhile, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(agent_back_with_same_check_state__only_agent_back,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        maintenance_from_config__silent_inside_difference_notified_after, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        maintenance_from_database__silent_inside_difference_notified_after, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(maintenance_back_to_last_notified_state__nothing_after,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(service_all__down_when_one_component_down_and_up_again,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(service_any__down_only_when_every_component_down, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(service_require_2__down_when_fewer_than_2_can_be_up,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(service_first_seen_down__notified_from_nodata, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(budget_50_75_100__each_once_per_month, setup, teardown),
	    cmocka_unit_test_setup_teardown(budget_several_levels_in_one_tick__only_the_highest,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(budget_next_month__levels_start_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        restart__new_watcher_on_same_database_sends_nothing_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(thread__ticks_on_its_own, setup, teardown),
	    cmocka_unit_test_setup_teardown(tick_with_10000_checks__one_change_one_event, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(stale_states__pruned_live_ones_kept, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
