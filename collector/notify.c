/*
 * notify.c - the notifier (see notify.h; design in docs/internals/notify.md).
 *
 * notify_emit only writes: it picks the destinations whose events and
 * min_severity take the event and inserts one row per destination into
 * notify_queue (the event as JSON) through the store's writer, so that
 * whoever emits never waits for the network.  Each destination has a
 * sender thread, woken by emit and by its own timer, which takes the
 * destination's due rows in id order and hands them to snmp.c.
 *
 * Outcomes (log and mxsla_notifications_total{destination,outcome}):
 *   sent          a trap was handed to the network (row deleted)
 *   acknowledged  an inform was acknowledged by the receiver (row deleted)
 *   failed        an attempt failed; the row stays with attempts,
 *                 next_try (capped exponential back-off) and last_error
 *   given_up      a row older than the give-up age (24 h) was deleted
 *   dropped       a row deleted unsent: its destination's queue was full
 *                 (oldest first), the destination is no longer configured,
 *                 or the row could not be read
 *
 * After a failure the destination waits for the failed row's next_try
 * before it sends anything else, so the queue stays in order and a dead
 * receiver costs one timeout per back-off period, not one per row.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "notify_int.h"
#include "snmp.h"
#include "status.h"
#include "store_int.h"
#include "xmalloc.h"

/* Rows a sender loads at a time. */
#define BATCH 64
/* Longest a sender sleeps with rows queued (they may age out). */
#define IDLE_RECHECK_S 60

/* ---- kinds, tuning ---- */

static const char *const kind_names[NOTIFY_NKINDS] = {
	"check", "service_down", "service_up", "budget", "agent_silent", "agent_back"
};

unsigned
notify_kind_event(enum notify_kind k)
{
	switch (k) {
	case NOTIFY_CHECK: return CC_EV_CHECK;
	case NOTIFY_SERVICE_DOWN:
	case NOTIFY_SERVICE_UP: return CC_EV_SERVICE;
	case NOTIFY_BUDGET: return CC_EV_BUDGET;
	case NOTIFY_AGENT_SILENT:
	case NOTIFY_AGENT_BACK: return CC_EV_AGENT;
	default: return 0;
	}
}

const char *
notify_kind_name(enum notify_kind k)
{
	return (unsigned)k < NOTIFY_NKINDS ? kind_names[k] : "?";
}

void
notify_tuning_default(struct notify_tuning *t)
{
	memset(t, 0, sizeof(*t));
	t->backoff_base_s = 5;
	t->backoff_cap_s = 300;
	t->give_up_s = 24 * 3600;
	t->queue_max = 10000;
	t->timeout_ms = 2000;
	t->retries = 1;
}

static pthread_mutex_t tuning_mu = PTHREAD_MUTEX_INITIALIZER;
static struct notify_tuning tuning;
static int tuning_set;

void
notify_set_tuning(const struct notify_tuning *t)
{
	pthread_mutex_lock(&tuning_mu);
	if (t != NULL)
		tuning = *t;
	tuning_set = t != NULL;
	pthread_mutex_unlock(&tuning_mu);
}

int64_t
notify_backoff_s(const struct notify_tuning *t, int attempts)
{
	int64_t d = t->backoff_base_s;

	for (int i = 1; i < attempts && d < t->backoff_cap_s; i++)
		d *= 2;
	return d < t->backoff_cap_s ? d : t->backoff_cap_s;
}

/* ---- events as JSON ---- */

static void
put_str(json_t *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, key, json_string(v));
}

char *
notify_event_json(const struct notify_event *ev)
{
	json_t *o = json_object();
	char *t;

	json_object_set_new(o, "kind", json_string(notify_kind_name(ev->kind)));
	put_str(o, "agent", ev->agent);
	put_str(o, "site", ev->site);
	put_str(o, "check", ev->check);
	put_str(o, "service", ev->service);
	put_str(o, "old_state", ev->old_state);
	put_str(o, "new_state", ev->new_state);
	put_str(o, "message", ev->message);
	json_object_set_new(o, "time", json_integer(ev->time));
	json_object_set_new(o, "severity", json_integer(ev->severity));
	if (ev->kind == NOTIFY_BUDGET) {
		json_object_set_new(o, "budget_pct", json_integer(ev->budget_pct));
		json_object_set_new(o, "availability", json_real(ev->availability));
		json_object_set_new(o, "target", json_real(ev->target));
		put_str(o, "month", ev->month);
	}
	t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	json_decref(o);
	if (t == NULL)
		fatalx("out of memory");
	return t;
}

static const char *
get_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int
notify_event_parse(const char *text, struct notify_event *ev, void **hold_r)
{
	json_t *o = json_loads(text, 0, NULL);
	const char *kind;
	int k;

	*hold_r = NULL;
	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	kind = get_str(o, "kind");
	for (k = 0; k < NOTIFY_NKINDS; k++)
		if (kind != NULL && strcmp(kind, kind_names[k]) == 0)
			break;
	if (k == NOTIFY_NKINDS || !json_is_integer(json_object_get(o, "time"))) {
		json_decref(o);
		return -1;
	}
	ev->kind = (enum notify_kind)k;
	ev->agent = get_str(o, "agent");
	ev->site = get_str(o, "site");
	ev->check = get_str(o, "check");
	ev->service = get_str(o, "service");
	ev->old_state = get_str(o, "old_state");
	ev->new_state = get_str(o, "new_state");
	ev->message = get_str(o, "message");
	ev->time = json_integer_value(json_object_get(o, "time"));
	ev->severity = (int)json_integer_value(json_object_get(o, "severity"));
	ev->budget_pct = (int)json_integer_value(json_object_get(o, "budget_pct"));
	ev->availability = json_number_value(json_object_get(o, "availability"));
	ev->target = json_number_value(json_object_get(o, "target"));
	ev->month = get_str(o, "month");
	*hold_r = o;
	return 0;
}

void
notify_event_release(void *hold)
{
	json_decref(hold);
}

/* What the log says about an event: the notification and its key fields. */
static char *
event_desc(const struct notify_event *ev)
{
	switch (ev->kind) {
	case NOTIFY_CHECK:
		return xasprintf("%s agent %s check %s %s -> %s", snmp_note_name(ev->kind),
				 ev->agent ? ev->agent : "-", ev->check ? ev->check : "-",
				 ev->old_state ? ev->old_state : "-", ev->new_state ? ev->new_state : "-");
	case NOTIFY_SERVICE_DOWN:
	case NOTIFY_SERVICE_UP:
		return xasprintf("%s service %s %s -> %s", snmp_note_name(ev->kind),
				 ev->service ? ev->service : "-", ev->old_state ? ev->old_state : "-",
				 ev->new_state ? ev->new_state : "-");
	case NOTIFY_BUDGET:
		return xasprintf("%s service %s %d%% of %s", snmp_note_name(ev->kind),
				 ev->service ? ev->service : "-", ev->budget_pct,
				 ev->month ? ev->month : "-");
	default:
		return xasprintf("%s agent %s %s -> %s", snmp_note_name(ev->kind),
				 ev->agent ? ev->agent : "-", ev->old_state ? ev->old_state : "-",
				 ev->new_state ? ev->new_state : "-");
	}
}

/* ---- the queue (SQL) ---- */

static const char *
sqlerr(sqlite3 *db, const char *what)
{
	return store_err("notify queue: %s: %s", what, sqlite3_errmsg(db));
}

static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **s_r, const char **error_r)
{
	if (sqlite3_prepare_v2(db, sql, -1, s_r, NULL) != SQLITE_OK) {
		*error_r = sqlerr(db, "prepare");
		return -1;
	}
	return 0;
}

static int
step_done(sqlite3 *db, sqlite3_stmt *s, const char **error_r)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*error_r = sqlerr(db, "write");
		return -1;
	}
	return 0;
}

struct count_arg { const char *dest; int64_t n; };

static int
count_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct count_arg *a = arg;
	sqlite3_stmt *s;

	if (prepare(db, a->dest != NULL ? "SELECT count(*) FROM notify_queue WHERE dest = ?1"
					: "SELECT count(*) FROM notify_queue",
		    &s, error_r) < 0)
		return -1;
	if (a->dest != NULL)
		sqlite3_bind_text(s, 1, a->dest, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		*error_r = sqlerr(db, "count");
		sqlite3_finalize(s);
		return -1;
	}
	a->n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

int
notify_queue_count(struct store *st, const char *dest, int64_t *n_r, const char **error_r)
{
	struct count_arg a = { dest, 0 };

	if (store_read(st, count_fn, &a, error_r) < 0)
		return -1;
	*n_r = a.n;
	return 0;
}

struct emit_arg {
	const char *json;
	int64_t now;
	long queue_max;
	char **dests;
	size_t ndests;
	int64_t *dropped;       /* per destination */
};

static int
emit_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct emit_arg *a = arg;
	sqlite3_stmt *s;

	for (size_t i = 0; i < a->ndests; i++) {
		struct count_arg c = { a->dests[i], 0 };

		if (prepare(db, "INSERT INTO notify_queue (dest, event, created, attempts, next_try)"
				" VALUES (?1, ?2, ?3, 0, ?3)",
			    &s, error_r) < 0)
			return -1;
		sqlite3_bind_text(s, 1, a->dests[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, a->json, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, a->now);
		if (step_done(db, s, error_r) < 0)
			return -1;
		if (count_fn(db, &c, error_r) < 0)
			return -1;
		a->dropped[i] = 0;
		if (c.n > a->queue_max) {
			if (prepare(db, "DELETE FROM notify_queue WHERE id IN (SELECT id FROM notify_queue"
					" WHERE dest = ?1 ORDER BY id LIMIT ?2)",
				    &s, error_r) < 0)
				return -1;
			sqlite3_bind_text(s, 1, a->dests[i], -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, c.n - a->queue_max);
			if (step_done(db, s, error_r) < 0)
				return -1;
			a->dropped[i] = sqlite3_changes(db);
		}
	}
	return 0;
}

struct row {
	int64_t id, created;
	int attempts;
	char *event;
};

struct load_arg {
	const char *dest;
	int64_t now, give_up_before;
	int aged;               /* 1: rows created before give_up_before; 0: due rows */
	struct row *v;
	size_t n, cap;
	int64_t next_try;       /* earliest next_try of the destination's rows, or -1 */
};

static int
load_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct load_arg *a = arg;
	sqlite3_stmt *s;
	int rc;

	if (prepare(db, a->aged ? "SELECT id, created, attempts, event FROM notify_queue"
				  " WHERE dest = ?1 AND created < ?2 ORDER BY id LIMIT ?3"
				: "SELECT id, created, attempts, event FROM notify_queue"
				  " WHERE dest = ?1 AND next_try <= ?2 ORDER BY id LIMIT ?3",
		    &s, error_r) < 0)
		return -1;
	sqlite3_bind_text(s, 1, a->dest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, a->aged ? a->give_up_before : a->now);
	sqlite3_bind_int(s, 3, BATCH);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct row *r;
		const unsigned char *t = sqlite3_column_text(s, 3);

		a->v = xgrow(a->v, &a->cap, a->n + 1, sizeof(*a->v));
		r = &a->v[a->n++];
		r->id = sqlite3_column_int64(s, 0);
		r->created = sqlite3_column_int64(s, 1);
		r->attempts = sqlite3_column_int(s, 2);
		r->event = xstrdup(t != NULL ? (const char *)t : "");
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*error_r = sqlerr(db, "load");
		return -1;
	}
	if (prepare(db, "SELECT min(next_try) FROM notify_queue WHERE dest = ?1", &s, error_r) < 0)
		return -1;
	sqlite3_bind_text(s, 1, a->dest, -1, SQLITE_STATIC);
	a->next_try = -1;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		a->next_try = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static void
rows_free(struct load_arg *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].event);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

struct update_arg {
	int64_t id;
	int del;                /* 1: delete; 0: record the failed attempt */
	int attempts;
	int64_t next_try;
	const char *error;
};

static int
update_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct update_arg *a = arg;
	sqlite3_stmt *s;

	if (prepare(db, a->del ? "DELETE FROM notify_queue WHERE id = ?1"
			       : "UPDATE notify_queue SET attempts = ?2, next_try = ?3, last_error = ?4"
				 " WHERE id = ?1",
		    &s, error_r) < 0)
		return -1;
	sqlite3_bind_int64(s, 1, a->id);
	if (!a->del) {
		sqlite3_bind_int(s, 2, a->attempts);
		sqlite3_bind_int64(s, 3, a->next_try);
		sqlite3_bind_text(s, 4, a->error, -1, SQLITE_STATIC);
	}
	return step_done(db, s, error_r);
}

struct gone_arg {
	char **keep;            /* names of the configured destinations */
	size_t nkeep;
	char **dests;           /* out: destination of each dropped group */
	int64_t *counts;
	size_t n, cap, ccap;
};

static int
gone_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct gone_arg *a = arg;
	sqlite3_stmt *s;
	int rc;

	if (prepare(db, "SELECT dest, count(*) FROM notify_queue GROUP BY dest ORDER BY dest", &s,
		    error_r) < 0)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 0);
		size_t k;

		for (k = 0; k < a->nkeep; k++)
			if (d != NULL && strcmp(d, a->keep[k]) == 0)
				break;
		if (k < a->nkeep || d == NULL)
			continue;
		a->dests = xgrow(a->dests, &a->cap, a->n + 1, sizeof(*a->dests));
		a->counts = xgrow(a->counts, &a->ccap, a->n + 1, sizeof(*a->counts));
		a->dests[a->n] = xstrdup(d);
		a->counts[a->n++] = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*error_r = sqlerr(db, "destinations");
		return -1;
	}
	for (size_t i = 0; i < a->n; i++) {
		if (prepare(db, "DELETE FROM notify_queue WHERE dest = ?1", &s, error_r) < 0)
			return -1;
		sqlite3_bind_text(s, 1, a->dests[i], -1, SQLITE_STATIC);
		if (step_done(db, s, error_r) < 0)
			return -1;
	}
	return 0;
}

/* ---- senders ---- */

struct filter {
	char *name;
	unsigned events;
	int min_severity;
};

struct notifier;

struct sender {
	struct notifier *n;
	char *dest;
	char *desc;             /* "v2c inform to 127.0.0.1:162" */
	int inform;
	struct snmp_dest *sd;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, wake;
	int64_t next_wake;      /* 0: at once */
	int64_t blocked_until;  /* after a failure: nothing is sent before */
};

struct notifier {
	struct store *st;
	struct notify_tuning t;
	pthread_mutex_t mu;     /* guards filters and senders */
	struct filter *filters;
	size_t nfilters;
	struct sender **senders;
	size_t nsenders;
};

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static void
sender_count(struct sender *s, const char *outcome)
{
	metrics_notification(s->dest, outcome);
}

/* Delete a row, or record a failed attempt; a store failure is logged
   (the row is then sent again, which is what an at-least-once queue
   does). */
static void
row_update(struct sender *s, struct update_arg *u)
{
	const char *err = NULL;

	if (store_exec(s->n->st, update_fn, u, &err) < 0)
		log_warnx("snmp %s: %s", s->dest, err != NULL ? err : "store failed");
}

static void
give_up_aged(struct sender *s, int64_t now)
{
	struct load_arg a;
	const char *err = NULL;

	memset(&a, 0, sizeof(a));
	a.dest = s->dest;
	a.aged = 1;
	a.give_up_before = now - s->n->t.give_up_s;
	if (store_read(s->n->st, load_fn, &a, &err) < 0) {
		log_warnx("snmp %s: %s", s->dest, err != NULL ? err : "store failed");
		return;
	}
	for (size_t i = 0; i < a.n; i++) {
		struct notify_event ev;
		struct update_arg u = { a.v[i].id, 1, 0, 0, NULL };
		void *hold;
		char *d = NULL;

		if (notify_event_parse(a.v[i].event, &ev, &hold) == 0)
			d = event_desc(&ev);
		notify_event_release(hold);
		log_warnx("snmp %s: given up after %d attempts in %lld s: %s", s->dest, a.v[i].attempts,
			  (long long)(now - a.v[i].created), d != NULL ? d : "unreadable event");
		free(d);
		sender_count(s, "given_up");
		row_update(s, &u);
	}
	rows_free(&a);
}

static int
sender_stopping(struct sender *s)
{
	int stop;

	pthread_mutex_lock(&s->mu);
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

/* One pass over the due rows; returns when to look again (0: at once). */
static int64_t
sender_pass(struct sender *s)
{
	int64_t now = now_s();
	struct load_arg a;
	const char *err = NULL;
	int64_t next;
	int failed = 0;

	give_up_aged(s, now);
	if (now < s->blocked_until)
		return s->blocked_until;
	memset(&a, 0, sizeof(a));
	a.dest = s->dest;
	a.now = now;
	if (store_read(s->n->st, load_fn, &a, &err) < 0) {
		log_warnx("snmp %s: %s", s->dest, err != NULL ? err : "store failed");
		return now + s->n->t.backoff_base_s;
	}
	for (size_t i = 0; i < a.n && !failed; i++) {
		struct row *r = &a.v[i];
		struct notify_event ev;
		struct update_arg u = { r->id, 1, 0, 0, NULL };
		void *hold;
		char *d;

		if (sender_stopping(s))
			break;
		if (notify_event_parse(r->event, &ev, &hold) < 0) {
			log_warnx("snmp %s: queue row %lld is not an event; dropped", s->dest,
				  (long long)r->id);
			sender_count(s, "dropped");
			row_update(s, &u);
			continue;
		}
		d = event_desc(&ev);
		if (snmp_dest_send(s->sd, &ev, &err) == 0) {
			sender_count(s, s->inform ? "acknowledged" : "sent");
			row_update(s, &u);
			if (s->inform) {
				log_info("snmp %s: acknowledged (%s, attempt %d): %s", s->dest, s->desc,
					 r->attempts + 1, d);
			} else {
				log_info("snmp %s: sent (%s): %s", s->dest, s->desc, d);
			}
		} else if (sender_stopping(s)) {
			/* cancelled by notify_stop or a reload: not an attempt;
			   the row stays as it was for the next sender */
			log_debug("snmp %s: stopped while sending: %s", s->dest, d);
			failed = 1;
		} else {
			u.del = 0;
			u.attempts = r->attempts + 1;
			u.next_try = now_s() + notify_backoff_s(&s->n->t, u.attempts);
			u.error = err;
			sender_count(s, "failed");
			row_update(s, &u);
			log_warnx("snmp %s: failed (%s, attempt %d, next in %lld s): %s: %s", s->dest,
				  s->desc, u.attempts, (long long)(u.next_try - now_s()), d, err);
			s->blocked_until = u.next_try;
			failed = 1;
		}
		free(d);
		notify_event_release(hold);
	}
	if (failed)
		next = s->blocked_until > now ? s->blocked_until : now + 1;
	else if (a.n == BATCH)
		next = 0;
	else {
		/* the earliest row still waiting, looked up again after the pass */
		struct load_arg b;

		memset(&b, 0, sizeof(b));
		b.dest = s->dest;
		b.now = -1;             /* no row is due: only next_try is read */
		b.next_try = -1;
		if (store_read(s->n->st, load_fn, &b, &err) < 0)
			next = now_s() + IDLE_RECHECK_S;
		else if (b.next_try < 0)
			next = INT64_MAX;
		else
			next = b.next_try < now_s() + IDLE_RECHECK_S ? b.next_try : now_s() + IDLE_RECHECK_S;
		rows_free(&b);
	}
	rows_free(&a);
	return next;
}

static void *
sender_main(void *arg)
{
	struct sender *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->stop && !s->wake && s->next_wake != 0) {
			struct timespec until;

			if (s->next_wake == INT64_MAX || s->n->t.hold) {
				pthread_cond_wait(&s->cv, &s->mu);
				continue;
			}
			if (now_s() >= s->next_wake)
				break;
			until.tv_sec = (time_t)s->next_wake;
			until.tv_nsec = 0;
			pthread_cond_timedwait(&s->cv, &s->mu, &until);
		}
		if (s->stop)
			break;
		s->wake = 0;
		if (s->n->t.hold) {
			s->next_wake = INT64_MAX;
			continue;
		}
		pthread_mutex_unlock(&s->mu);
		s->next_wake = sender_pass(s);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static struct sender *
sender_new(struct notifier *n, const struct cc_snmp_dest *d)
{
	struct sender *s = xcalloc(1, sizeof(*s));
	unsigned char eid[SNMP_ENGINE_ID_MAX];
	char hex[2 * SNMP_ENGINE_ID_MAX + 3];
	int elen = -1;
	int v6 = strchr(d->host, ':') != NULL && d->host[0] != '[';

	if (d->engine_id != NULL)
		elen = snmp_engine_id_parse(d->engine_id, eid);
	if (elen < 0) {
		char host[256];

		if (gethostname(host, sizeof(host)) != 0)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		elen = snmp_engine_id_host(host, eid);
	}
	s->n = n;
	s->dest = xstrdup(d->name);
	s->inform = d->inform;
	s->desc = xasprintf("%s %s to %s%s%s:%d", d->version == 3 ? "v3" : "v2c",
			    d->inform ? "inform" : "trap", v6 ? "[" : "", d->host, v6 ? "]" : "",
			    d->port);
	s->sd = snmp_dest_new(d, eid, (size_t)elen, n->t.timeout_ms, n->t.retries);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (d->version == 3 && !d->inform) {
		snmp_engine_id_hex(eid, (size_t)elen, hex);
		log_info("snmp %s: %s, engine ID %s%s (receivers: createUser -e %s %s ...)", s->dest,
			 s->desc, hex, d->engine_id != NULL ? "" : " derived from the host name", hex,
			 d->user != NULL ? d->user : "");
	} else {
		log_info("snmp %s: %s", s->dest, s->desc);
	}
	return s;
}

/* Ask the thread to stop; an inform waiting for its acknowledgement is
   cancelled, so that stopping never waits out a dead receiver. */
static void
sender_signal_stop(struct sender *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	snmp_dest_cancel(s->sd);
}

static void
sender_stop_free(struct sender *s, int started)
{
	if (started) {
		sender_signal_stop(s);
		pthread_join(s->tid, NULL);
	}
	snmp_dest_free(s->sd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->dest);
	free(s->desc);
	free(s);
}

static void
sender_wake(struct sender *s)
{
	pthread_mutex_lock(&s->mu);
	s->wake = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void
filters_free(struct filter *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].name);
	free(f);
}

/* Drop the rows of destinations not in cfg. */
static int
drop_gone(struct notifier *n, const struct collector_config *cfg, const char **error_r)
{
	struct gone_arg g;
	int rc;

	memset(&g, 0, sizeof(g));
	g.nkeep = cfg->nsnmp;
	g.keep = xcalloc(cfg->nsnmp + 1, sizeof(*g.keep));
	for (size_t i = 0; i < cfg->nsnmp; i++)
		g.keep[i] = cfg->snmp[i].name;
	rc = store_exec(n->st, gone_fn, &g, error_r);
	for (size_t i = 0; i < g.n; i++) {
		if (rc == 0) {
			log_warnx("snmp: %lld queued notification%s for %s dropped: the destination is no"
				  " longer configured",
				  (long long)g.counts[i], g.counts[i] == 1 ? "" : "s", g.dests[i]);
			for (int64_t k = 0; k < g.counts[i]; k++)
				metrics_notification(g.dests[i], "dropped");
		}
		free(g.dests[i]);
	}
	free(g.dests);
	free(g.counts);
	free(g.keep);
	return rc;
}

/* Replace filters and senders with those of cfg (the old senders are
   stopped first, so that no row is ever sent by two threads). */
static int
install(struct notifier *n, const struct collector_config *cfg, const char **error_r)
{
	struct filter *nf, *of;
	struct sender **ns, **os;
	size_t on, ofn;
	int rc;

	nf = xcalloc(cfg->nsnmp + 1, sizeof(*nf));
	for (size_t i = 0; i < cfg->nsnmp; i++) {
		nf[i].name = xstrdup(cfg->snmp[i].name);
		nf[i].events = cfg->snmp[i].events;
		nf[i].min_severity = cfg->snmp[i].min_severity;
	}
	pthread_mutex_lock(&n->mu);
	of = n->filters;
	ofn = n->nfilters;
	os = n->senders;
	on = n->nsenders;
	n->filters = nf;
	n->nfilters = cfg->nsnmp;
	n->senders = NULL;
	n->nsenders = 0;
	pthread_mutex_unlock(&n->mu);
	filters_free(of, ofn);
	for (size_t i = 0; i < on; i++)
		sender_signal_stop(os[i]);
	for (size_t i = 0; i < on; i++)
		sender_stop_free(os[i], 1);
	free(os);

	/* under n->mu, which notify_emit holds from choosing destinations to
	   queueing: a row queued with the old filters for a destination now
	   gone is in the table by now, and is dropped here */
	pthread_mutex_lock(&n->mu);
	rc = drop_gone(n, cfg, error_r);
	pthread_mutex_unlock(&n->mu);
	if (rc < 0)
		return -1;
	ns = xcalloc(cfg->nsnmp + 1, sizeof(*ns));
	for (size_t i = 0; i < cfg->nsnmp; i++) {
		ns[i] = sender_new(n, &cfg->snmp[i]);
		if (pthread_create(&ns[i]->tid, NULL, sender_main, ns[i]) != 0) {
			for (size_t k = 0; k <= i; k++)
				sender_stop_free(ns[k], k < i);
			free(ns);
			*error_r = "cannot start a notification sender thread";
			return -1;
		}
	}
	pthread_mutex_lock(&n->mu);
	n->senders = ns;
	n->nsenders = cfg->nsnmp;
	pthread_mutex_unlock(&n->mu);
	return 0;
}

int
notify_start(const struct collector_config *cfg, struct store *st, struct notifier **n_r,
	     const char **error_r)
{
	struct notifier *n = xcalloc(1, sizeof(*n));

	n->st = st;
	pthread_mutex_lock(&tuning_mu);
	if (tuning_set)
		n->t = tuning;
	else
		notify_tuning_default(&n->t);
	pthread_mutex_unlock(&tuning_mu);
	pthread_mutex_init(&n->mu, NULL);
	if (snmp_lib_init(error_r) < 0) {
		pthread_mutex_destroy(&n->mu);
		free(n);
		return -1;
	}
	if (install(n, cfg, error_r) < 0) {
		notify_stop(n);
		return -1;
	}
	*n_r = n;
	return 0;
}

int
notify_reload(struct notifier *n, const struct collector_config *cfg, const char **error_r)
{
	return install(n, cfg, error_r);
}

int
notify_emit(struct notifier *n, const struct notify_event *ev, const char **error_r)
{
	struct emit_arg a;
	int rc = 0;
	char *d;

	if ((unsigned)ev->kind >= NOTIFY_NKINDS) {
		*error_r = "unknown notification kind";
		return -1;
	}
	memset(&a, 0, sizeof(a));
	/* held until the rows are queued: a reload (install) cannot slip
	   between choosing the destinations and writing their rows */
	pthread_mutex_lock(&n->mu);
	a.dests = xcalloc(n->nfilters + 1, sizeof(*a.dests));
	for (size_t i = 0; i < n->nfilters; i++)
		if ((n->filters[i].events & notify_kind_event(ev->kind)) != 0 &&
		    status_severity_rank(ev->severity) >=
		        status_severity_rank(n->filters[i].min_severity))
			a.dests[a.ndests++] = xstrdup(n->filters[i].name);
	d = event_desc(ev);
	if (a.ndests == 0) {
		log_debug("snmp: no destination takes %s", d);
		goto out;
	}
	a.json = notify_event_json(ev);
	a.now = now_s();
	a.queue_max = n->t.queue_max;
	a.dropped = xcalloc(a.ndests, sizeof(*a.dropped));
	rc = store_exec(n->st, emit_fn, &a, error_r);
	if (rc == 0) {
		for (size_t i = 0; i < a.ndests; i++) {
			log_debug("snmp %s: queued %s", a.dests[i], d);
			if (a.dropped[i] > 0) {
				log_warnx("snmp %s: queue full (%ld rows): the %lld oldest dropped",
					  a.dests[i], n->t.queue_max, (long long)a.dropped[i]);
				for (int64_t k = 0; k < a.dropped[i]; k++)
					metrics_notification(a.dests[i], "dropped");
			}
		}
		for (size_t i = 0; i < n->nsenders; i++)
			for (size_t k = 0; k < a.ndests; k++)
				if (strcmp(n->senders[i]->dest, a.dests[k]) == 0)
					sender_wake(n->senders[i]);
	}
	free((char *)a.json);
	free(a.dropped);
out:
	pthread_mutex_unlock(&n->mu);
	for (size_t i = 0; i < a.ndests; i++)
		free(a.dests[i]);
	free(a.dests);
	free(d);
	return rc;
}

void
notify_stop(struct notifier *n)
{
	if (n == NULL)
		return;
	/* all at once: their cancelled waits end together */
	pthread_mutex_lock(&n->mu);
	for (size_t i = 0; i < n->nsenders; i++)
		sender_signal_stop(n->senders[i]);
	pthread_mutex_unlock(&n->mu);
	for (size_t i = 0; i < n->nsenders; i++)
		sender_stop_free(n->senders[i], 1);
	free(n->senders);
	filters_free(n->filters, n->nfilters);
	pthread_mutex_destroy(&n->mu);
	free(n);
}
