/*
 * test-notify.c - the notifier (notify.c) and the MIB layout of its PDUs
 * (snmp.c): which destinations take an event, the queue rows in the real
 * SQLite store (across a close and reopen, bounded, dropped with their
 * destination), back-off and give-up after a real failed inform, engine
 * IDs, and the varbind encodings.  Delivery to a real snmptrapd is in
 * tests/integration/snmp-send.sh.
 */
#include "config.h"

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

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/snmpusm.h>

#include "metrics.h"
#include "notify.h"
#include "notify_int.h"
#include "snmp.h"
#include "status.h"
#include "store_int.h"
#include "testutil.h"
#include "xmalloc.h"

struct fx {
	char *dir, *path;
	struct store *st;
	struct collector_config cfg;
	struct cc_snmp_dest dests[3];
	struct notifier *n;
};

static void
dest_init(struct cc_snmp_dest *d, const char *name, int port, int inform, int min_severity,
	  unsigned events)
{
	memset(d, 0, sizeof(*d));
	d->name = (char *)name;
	d->host = (char *)"127.0.0.1";
	d->port = port;
	d->version = 2;
	d->community = (char *)"public";
	d->inform = inform;
	d->min_severity = min_severity;
	d->events = events;
}

static void
fx_open(struct fx *fx)
{
	struct store_options opt;
	const char *err = NULL;

	memset(&opt, 0, sizeof(opt));
	opt.sync_full = 1;
	opt.stale_mult = 3;

	if (store_open(fx->path, &opt, &fx->st, &err) < 0)
		fail_msg("store_open: %s", err);
}

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	int port = tu_free_ports(1);
	struct notify_tuning t;

	fx->dir = tu_mkdtemp("notify");
	fx->path = xasprintf("%s/db.sqlite", fx->dir);
	fx_open(fx);
	/* a: everything from warning; b: critical only; c: agent events only */
	dest_init(&fx->dests[0], "a", port, 0, MX_WARNING,
		  CC_EV_CHECK | CC_EV_SERVICE | CC_EV_BUDGET | CC_EV_AGENT);
	dest_init(&fx->dests[1], "b", port, 1, MX_CRITICAL,
		  CC_EV_CHECK | CC_EV_SERVICE | CC_EV_BUDGET | CC_EV_AGENT);
	dest_init(&fx->dests[2], "c", port, 0, MX_OK, CC_EV_AGENT);
	fx->cfg.snmp = fx->dests;
	fx->cfg.nsnmp = 3;
	notify_tuning_default(&t);
	t.hold = 1;
	notify_set_tuning(&t);
	metrics_reset();
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	notify_stop(fx->n);
	if (fx->st != NULL)
		store_close(fx->st);
	notify_set_tuning(NULL);
	metrics_reset();
	tu_rm_rf(fx->dir);
	free(fx->dir);
	free(fx->path);
	free(fx);
	return 0;
}

static void
start(struct fx *fx)
{
	const char *err = NULL;

	if (notify_start(&fx->cfg, fx->st, &fx->n, &err) < 0)
		fail_msg("notify_start: %s", err);
}

static int64_t
count(struct fx *fx, const char *dest)
{
	int64_t n = -1;
	const char *err = NULL;

	if (notify_queue_count(fx->st, dest, &n, &err) < 0)
		fail_msg("count: %s", err);
	return n;
}

static void
emit(struct fx *fx, const struct notify_event *ev)
{
	const char *err = NULL;

	if (notify_emit(fx->n, ev, &err) < 0)
		fail_msg("notify_emit: %s", err);
}

static struct notify_event
check_event(int severity, const char *message)
{
	struct notify_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = NOTIFY_CHECK;
	ev.agent = "mbx01";
	ev.site = "hq";
	ev.check = "smtp@mx1";
	ev.old_state = "ok";
	ev.new_state = severity == MX_CRITICAL ? "critical" : "warning";
	ev.message = message;
	ev.time = 1700000000;
	ev.severity = severity;
	return ev;
}

/* The rows of dest in id order (one string per row, "attempts|last_error|event"). */
struct rows_arg { const char *dest; char *out[16]; int n; int64_t created[16], next_try[16]; };

static int
rows_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct rows_arg *a = arg;
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, "SELECT attempts, coalesce(last_error, ''), event, created, next_try"
				   " FROM notify_queue WHERE dest = ?1 ORDER BY id",
			       -1, &s, NULL) != SQLITE_OK) {
		*error_r = sqlite3_errmsg(db);
		return -1;
	}
	sqlite3_bind_text(s, 1, a->dest, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW && a->n < 16) {
		a->out[a->n] = xasprintf("%d|%s|%s", sqlite3_column_int(s, 0),
					 (const char *)sqlite3_column_text(s, 1),
					 (const char *)sqlite3_column_text(s, 2));
		a->created[a->n] = sqlite3_column_int64(s, 3);
		a->next_try[a->n] = sqlite3_column_int64(s, 4);
		a->n++;
	}
	sqlite3_finalize(s);
	return 0;
}

static void
rows(struct fx *fx, const char *dest, struct rows_arg *a)
{
	const char *err = NULL;

	memset(a, 0, sizeof(*a));
	a->dest = dest;
	if (store_read(fx->st, rows_fn, a, &err) < 0)
		fail_msg("rows: %s", err);
}

static void
rows_free(struct rows_arg *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->out[i]);
}

static void
assert_metrics_line(const char *line, int present)
{
	const char *err = NULL;
	char *m = metrics_render(NULL, 0, &err);

	assert_non_null(m);
	if ((strstr(m, line) != NULL) != present)
		fail_msg("%s '%s' in:\n%s", present ? "no" : "unexpected", line, m);
	free(m);
}

/* ---- filtering ---- */

static void
test_emit_queues_one_row_per_destination_that_takes_the_event(void **state)
{
	struct fx *fx = *state;
	struct notify_event w = check_event(MX_WARNING, "slow"), c = check_event(MX_CRITICAL, "down");
	struct notify_event ag;

	memset(&ag, 0, sizeof(ag));
	ag.kind = NOTIFY_AGENT_SILENT;
	ag.agent = "mbx01";
	ag.old_state = "up";
	ag.new_state = "silent";
	ag.time = 1700000100;
	ag.severity = MX_CRITICAL;
	start(fx);
	emit(fx, &w);   /* a only: b wants critical, c agent events */
	emit(fx, &c);   /* a and b */
	emit(fx, &ag);  /* a, b and c */
	assert_int_equal(count(fx, "a"), 3);
	assert_int_equal(count(fx, "b"), 2);
	assert_int_equal(count(fx, "c"), 1);
	assert_int_equal(count(fx, NULL), 6);
}

static void
test_an_ok_event_goes_only_where_min_severity_is_ok(void **state)
{
	struct fx *fx = *state;
	struct notify_event back;

	memset(&back, 0, sizeof(back));
	back.kind = NOTIFY_AGENT_BACK;
	back.agent = "mbx01";
	back.old_state = "silent";
	back.new_state = "up";
	back.time = 1700000200;
	back.severity = MX_OK;
	start(fx);
	emit(fx, &back);
	assert_int_equal(count(fx, "a"), 0);
	assert_int_equal(count(fx, "b"), 0);
	assert_int_equal(count(fx, "c"), 1);
}

/* unknown ranks between warning and critical: it reaches a destination
   with min_severity warning, not one with critical (the numbers of the
   statuses, MX_UNKNOWN 3 > MX_CRITICAL 2, must not decide). */
static void
test_an_unknown_event_is_below_critical(void **state)
{
	struct fx *fx = *state;
	struct notify_event u = check_event(MX_UNKNOWN, "probe failed");

	start(fx);
	emit(fx, &u);
	assert_int_equal(count(fx, "a"), 1);
	assert_int_equal(count(fx, "b"), 0);
	assert_int_equal(count(fx, "c"), 0);
}

/* The Report snmptrapd 5.9 answered to the discovery request (msgID
   42), captured on 127.0.0.1: its engine ID is the 17 octets after
   msgSecurityParameters' first OCTET STRING header (04 11).  Every
   shorter piece of it, and another msgID, give nothing. */
static void
test_report_engine_id_of_a_real_report(void **state)
{
	static const unsigned char report[] = {
	    0x30, 0x6b, 0x02, 0x01, 0x03, 0x30, 0x0e, 0x02, 0x01, 0x2a, 0x02, 0x03,
	    0x00, 0xff, 0xe3, 0x04, 0x01, 0x00, 0x02, 0x01, 0x03, 0x04, 0x21, 0x30,
	    0x1f, 0x04, 0x11, 0x80, 0x00, 0x1f, 0x88, 0x80, 0xa7, 0x55, 0x61, 0x33,
	    0xe2, 0x48, 0x02, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x02,
	    0x01, 0x01, 0x04, 0x00, 0x04, 0x00, 0x04, 0x00, 0x30, 0x33, 0x04, 0x11,
	    0x80, 0x00, 0x1f, 0x88, 0x80, 0xa7, 0x55, 0x61, 0x33, 0xe2, 0x48, 0x02,
	    0x6b, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0xa8, 0x1c, 0x02, 0x01, 0x2a,
	    0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x11, 0x30, 0x0f, 0x06, 0x0a,
	    0x2b, 0x06, 0x01, 0x06, 0x03, 0x0f, 0x01, 0x01, 0x04, 0x00, 0x41, 0x01,
	    0x01,
	};
	static const unsigned char want[] = { 0x80, 0x00, 0x1f, 0x88, 0x80, 0xa7, 0x55, 0x61, 0x33,
					      0xe2, 0x48, 0x02, 0x6b, 0x00, 0x00, 0x00, 0x00 };
	unsigned char eid[SNMP_ENGINE_ID_MAX];

	(void)state;
	assert_int_equal(snmp_report_engine_id(report, sizeof(report), 42, eid), sizeof(want));
	assert_memory_equal(eid, want, sizeof(want));
	assert_int_equal(snmp_report_engine_id(report, sizeof(report), 43, eid), -1);
	for (size_t n = 0; n < sizeof(report); n++)
		assert_int_equal(snmp_report_engine_id(report, n, 42, eid), -1);
}

static void
test_kind_event_bits_and_names(void **state)
{
	(void)state;
	assert_int_equal(notify_kind_event(NOTIFY_CHECK), CC_EV_CHECK);
	assert_int_equal(notify_kind_event(NOTIFY_SERVICE_DOWN), CC_EV_SERVICE);
	assert_int_equal(notify_kind_event(NOTIFY_SERVICE_UP), CC_EV_SERVICE);
	assert_int_equal(notify_kind_event(NOTIFY_BUDGET), CC_EV_BUDGET);
	assert_int_equal(notify_kind_event(NOTIFY_AGENT_SILENT), CC_EV_AGENT);
	assert_int_equal(notify_kind_event(NOTIFY_AGENT_BACK), CC_EV_AGENT);
	assert_string_equal(notify_kind_name(NOTIFY_SERVICE_DOWN), "service_down");
	assert_string_equal(snmp_note_name(NOTIFY_CHECK), "mxslaCheckStateChange");
	assert_string_equal(snmp_note_name(NOTIFY_BUDGET), "mxslaBudgetBurn");
	assert_string_equal(snmp_note_name(NOTIFY_AGENT_BACK), "mxslaAgentBack");
}

/* ---- the queue ---- */

static void
test_queue_rows_survive_a_store_close_and_reopen(void **state)
{
	struct fx *fx = *state;
	struct notify_event c = check_event(MX_CRITICAL, "connection refused");
	struct rows_arg r;
	char *want_json = notify_event_json(&c);
	char *want = xasprintf("0||%s", want_json);
	int64_t before = (int64_t)time(NULL);

	start(fx);
	emit(fx, &c);
	notify_stop(fx->n);
	fx->n = NULL;
	store_close(fx->st);
	fx->st = NULL;
	fx_open(fx);
	rows(fx, "b", &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.out[0], want);
	assert_true(r.created[0] >= before && r.created[0] <= before + 2);
	assert_int_equal(r.next_try[0], r.created[0]);
	rows_free(&r);
	assert_int_equal(count(fx, "a"), 1);
	free(want);
	free(want_json);
}

static void
test_event_json_round_trip_keeps_every_field(void **state)
{
	struct notify_event b, p;
	char *t, *t2;
	void *hold;

	(void)state;
	memset(&b, 0, sizeof(b));
	b.kind = NOTIFY_BUDGET;
	b.service = "mail";
	b.message = "75 % of the error budget of 2024-03 spent";
	b.time = 1711000000;
	b.severity = MX_WARNING;
	b.budget_pct = 75;
	b.availability = 99.953;
	b.target = 99.9;
	b.month = "2024-03";
	t = notify_event_json(&b);
	assert_string_equal(t, "{\"availability\":99.953,\"budget_pct\":75,\"kind\":\"budget\","
			       "\"message\":\"75 % of the error budget of 2024-03 spent\","
			       "\"month\":\"2024-03\",\"service\":\"mail\",\"severity\":1,"
			       "\"target\":99.9,\"time\":1711000000}");
	assert_int_equal(notify_event_parse(t, &p, &hold), 0);
	assert_int_equal(p.kind, NOTIFY_BUDGET);
	assert_null(p.agent);
	assert_string_equal(p.service, "mail");
	assert_int_equal(p.budget_pct, 75);
	assert_int_equal(snmp_percent(p.availability), 99953);
	assert_int_equal(snmp_percent(p.target), 99900);
	t2 = notify_event_json(&p);
	assert_string_equal(t2, t);
	notify_event_release(hold);
	free(t);
	free(t2);
	assert_int_equal(notify_event_parse("{\"kind\":\"nope\",\"time\":1}", &p, &hold), -1);
	assert_int_equal(notify_event_parse("[1]", &p, &hold), -1);
	assert_int_equal(notify_event_parse("{\"kind\":\"check\"}", &p, &hold), -1);
}

static void
test_queue_is_bounded_and_drops_the_oldest(void **state)
{
	struct fx *fx = *state;
	struct notify_tuning t;
	struct rows_arg r;
	char msg[5][8];

	notify_tuning_default(&t);
	t.hold = 1;
	t.queue_max = 3;
	notify_set_tuning(&t);
	start(fx);
	for (int i = 0; i < 5; i++) {
		struct notify_event c;

		snprintf(msg[i], sizeof(msg[i]), "m%d", i);
		c = check_event(MX_WARNING, msg[i]);
		emit(fx, &c);
	}
	rows(fx, "a", &r);
	assert_int_equal(r.n, 3);
	assert_non_null(strstr(r.out[0], "\"message\":\"m2\""));
	assert_non_null(strstr(r.out[1], "\"message\":\"m3\""));
	assert_non_null(strstr(r.out[2], "\"message\":\"m4\""));
	rows_free(&r);
	assert_metrics_line("mxsla_notifications_total{destination=\"a\",outcome=\"dropped\"} 2\n", 1);
}

static void
test_reload_drops_the_rows_of_removed_destinations(void **state)
{
	struct fx *fx = *state;
	struct notify_event c = check_event(MX_CRITICAL, "down");
	const char *err = NULL;

	start(fx);
	emit(fx, &c);
	emit(fx, &c);
	assert_int_equal(count(fx, "b"), 2);
	fx->cfg.nsnmp = 1; /* only a stays */
	assert_int_equal(notify_reload(fx->n, &fx->cfg, &err), 0);
	assert_int_equal(count(fx, "a"), 2);
	assert_int_equal(count(fx, "b"), 0);
	assert_metrics_line("mxsla_notifications_total{destination=\"b\",outcome=\"dropped\"} 2\n", 1);
	/* b is gone from the filters too: only a takes new events */
	emit(fx, &c);
	assert_int_equal(count(fx, NULL), 3);
}

static void
test_start_drops_the_rows_of_destinations_no_longer_configured(void **state)
{
	struct fx *fx = *state;
	struct notify_event c = check_event(MX_CRITICAL, "down");

	start(fx);
	emit(fx, &c);
	notify_stop(fx->n);
	fx->n = NULL;
	fx->dests[1].name = (char *)"b2";
	start(fx);
	assert_int_equal(count(fx, "b"), 0);
	assert_int_equal(count(fx, "a"), 1);
}

/* ---- back-off and give-up with a real failed inform ---- */

static void
test_backoff_doubles_from_5s_to_a_5min_cap(void **state)
{
	struct notify_tuning t;

	(void)state;
	notify_tuning_default(&t);
	assert_int_equal(notify_backoff_s(&t, 1), 5);
	assert_int_equal(notify_backoff_s(&t, 2), 10);
	assert_int_equal(notify_backoff_s(&t, 3), 20);
	assert_int_equal(notify_backoff_s(&t, 6), 160);
	assert_int_equal(notify_backoff_s(&t, 7), 300);
	assert_int_equal(notify_backoff_s(&t, 8), 300);
	assert_int_equal(notify_backoff_s(&t, 1000000), 300);
	assert_int_equal(t.give_up_s, 86400);
	assert_int_equal(t.queue_max, 10000);
}

static int
wait_for(struct fx *fx, const char *dest, int64_t want, int ms)
{
	for (int i = 0; i < ms / 20; i++) {
		if (count(fx, dest) == want)
			return 0;
		usleep(20 * 1000);
	}
	return -1;
}

static void
test_unacknowledged_inform_stays_queued_with_backoff(void **state)
{
	struct fx *fx = *state;
	struct notify_tuning t;
	struct notify_event c = check_event(MX_CRITICAL, "down");
	struct rows_arg r;
	int64_t t0 = (int64_t)time(NULL);
	int i;

	notify_tuning_default(&t);
	t.timeout_ms = 200;
	t.retries = 0;
	notify_set_tuning(&t);
	fx->cfg.snmp = &fx->dests[1];   /* b: inform to a port nobody listens on */
	fx->cfg.nsnmp = 1;
	start(fx);
	emit(fx, &c);
	for (i = 0; i < 150; i++) {
		rows(fx, "b", &r);
		if (r.n == 1 && r.out[0][0] == '1')
			break;
		rows_free(&r);
		usleep(20 * 1000);
	}
	assert_true(i < 150);
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.out[0], "1|no acknowledgement (timeout)|{"));
	/* next_try = failure time + 5 s */
	assert_true(r.next_try[0] >= t0 + 5 && r.next_try[0] <= (int64_t)time(NULL) + 5);
	rows_free(&r);
	assert_metrics_line("mxsla_notifications_total{destination=\"b\",outcome=\"failed\"} 1\n", 1);
	/* blocked until next_try: a second event is not attempted meanwhile */
	emit(fx, &c);
	usleep(500 * 1000);
	rows(fx, "b", &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.out[1][0], '0');
	rows_free(&r);
	assert_metrics_line("mxsla_notifications_total{destination=\"b\",outcome=\"failed\"} 1\n", 1);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A reload and a stop while an inform waits (3 s) for a receiver that
   never answers: the wait is cancelled, so neither waits it out; the
   cancelled attempt is no failure; the rows of the renamed destination
   are dropped, the new ones take events at once.  (Under the sanitizers
   and valgrind: no use of a freed sender or session.) */
static void
test_reload_and_stop_while_an_inform_waits_do_not_wait_for_it(void **state)
{
	struct fx *fx = *state;
	struct notify_tuning t;
	struct notify_event c = check_event(MX_CRITICAL, "down");
	struct collector_config cfg2;
	struct cc_snmp_dest d2[2];
	const char *err = NULL;
	int64_t t0, ms;

	notify_tuning_default(&t);
	t.timeout_ms = 3000;
	t.retries = 0;
	notify_set_tuning(&t);
	fx->cfg.snmp = &fx->dests[1];   /* b: inform to a port nobody listens on */
	fx->cfg.nsnmp = 1;
	start(fx);
	emit(fx, &c);
	emit(fx, &c);
	usleep(300 * 1000);             /* the first row is in flight */

	/* b renamed b2 (same receiver), c added */
	d2[0] = fx->dests[1];
	d2[0].name = (char *)"b2";
	d2[1] = fx->dests[2];
	memset(&cfg2, 0, sizeof(cfg2));
	cfg2.snmp = d2;
	cfg2.nsnmp = 2;
	t0 = mono_ms();
	if (notify_reload(fx->n, &cfg2, &err) < 0)
		fail_msg("notify_reload: %s", err);
	ms = mono_ms() - t0;
	if (ms >= 1000)
		fail_msg("the reload took %lld ms", (long long)ms);
	assert_int_equal(count(fx, "b"), 0);
	assert_metrics_line("mxsla_notifications_total{destination=\"b\",outcome=\"dropped\"} 2\n", 1);
	assert_metrics_line("destination=\"b\",outcome=\"failed\"", 0);
	emit(fx, &c);
	assert_int_equal(count(fx, "b2"), 1);
	usleep(300 * 1000);             /* b2's row is in flight */

	t0 = mono_ms();
	notify_stop(fx->n);
	fx->n = NULL;
	ms = mono_ms() - t0;
	if (ms >= 1000)
		fail_msg("the stop took %lld ms", (long long)ms);
	assert_int_equal(count(fx, "b2"), 1);
	assert_metrics_line("destination=\"b2\",outcome=\"failed\"", 0);
}

/* The localised authentication key (SHA) of password for engine eid. */
static size_t
sha_kul(const char *password, const unsigned char *eid, size_t eid_len, unsigned char *kul)
{
	unsigned char ku[USM_AUTH_KU_LEN];
	size_t ku_len = sizeof(ku), kul_len = USM_AUTH_KU_LEN;

	assert_int_equal(generate_Ku(usmHMACSHA1AuthProtocol, OID_LENGTH(usmHMACSHA1AuthProtocol),
				     (const u_char *)password, strlen(password), ku, &ku_len),
			 SNMPERR_SUCCESS);
	assert_int_equal(generate_kul(usmHMACSHA1AuthProtocol, OID_LENGTH(usmHMACSHA1AuthProtocol),
				      eid, eid_len, ku, ku_len, kul, &kul_len),
			 SNMPERR_SUCCESS);
	return kul_len;
}

/* net-snmp keeps one USM user per engine ID and name and reuses it when
   a session is opened again; a session opened after a reload changed
   the password must use the new key, not the one the user was first
   created with. */
static void
test_v3_session_after_a_password_change_uses_the_new_key(void **state)
{
	struct cc_snmp_dest d;
	unsigned char eid[SNMP_ENGINE_ID_MAX], want[USM_AUTH_KU_LEN];
	struct notify_event c = check_event(MX_CRITICAL, "down");
	struct snmp_dest *sd;
	struct usmUser *u;
	const char *err = NULL;
	int elen = snmp_engine_id_parse("0x80001f8804aa55aa5501", eid);
	size_t want_len;

	(void)state;
	assert_int_equal(elen, 10);
	assert_int_equal(snmp_lib_init(&err), 0);
	dest_init(&d, "v3", tu_free_ports(1), 0, MX_OK, CC_EV_CHECK);
	d.version = 3;
	d.user = (char *)"pwchange";
	d.security = 1;
	d.auth_protocol = (char *)"SHA";
	d.auth_password = (char *)"first-password";
	sd = snmp_dest_new(&d, eid, (size_t)elen, 200, 0);
	if (snmp_dest_send(sd, &c, &err) < 0)
		fail_msg("send: %s", err);
	snmp_dest_free(sd);

	d.auth_password = (char *)"second-password";
	sd = snmp_dest_new(&d, eid, (size_t)elen, 200, 0);
	if (snmp_dest_send(sd, &c, &err) < 0)
		fail_msg("send: %s", err);
	u = usm_get_user(eid, (size_t)elen, "pwchange");
	assert_non_null(u);
	want_len = sha_kul("second-password", eid, (size_t)elen, want);
	assert_int_equal(u->authKeyLen, want_len);
	assert_memory_equal(u->authKey, want, want_len);
	snmp_dest_free(sd);
}

static void
test_inform_older_than_the_give_up_age_is_given_up(void **state)
{
	struct fx *fx = *state;
	struct notify_tuning t;
	struct notify_event c = check_event(MX_CRITICAL, "down");

	notify_tuning_default(&t);
	t.timeout_ms = 100;
	t.retries = 0;
	t.backoff_base_s = 1;
	t.give_up_s = 1;
	notify_set_tuning(&t);
	fx->cfg.snmp = &fx->dests[1];
	fx->cfg.nsnmp = 1;
	start(fx);
	emit(fx, &c);
	assert_int_equal(wait_for(fx, "b", 0, 6000), 0);
	assert_metrics_line("mxsla_notifications_total{destination=\"b\",outcome=\"given_up\"} 1\n", 1);
}

static void
test_trap_is_deleted_once_handed_to_the_network(void **state)
{
	struct fx *fx = *state;
	struct notify_tuning t;
	struct notify_event c = check_event(MX_CRITICAL, "down");

	notify_tuning_default(&t);
	notify_set_tuning(&t);
	fx->cfg.nsnmp = 1;      /* a: v2c trap */
	start(fx);
	emit(fx, &c);
	assert_int_equal(wait_for(fx, "a", 0, 3000), 0);
	assert_metrics_line("mxsla_notifications_total{destination=\"a\",outcome=\"sent\"} 1\n", 1);
}

/* ---- engine IDs ---- */

static void
test_engine_id_parse_accepts_0x_and_10_to_64_hex_digits(void **state)
{
	unsigned char id[SNMP_ENGINE_ID_MAX];
	char hex[2 * SNMP_ENGINE_ID_MAX + 3];
	char long_ok[2 + 64 + 1], too_long[2 + 66 + 1];

	(void)state;
	assert_int_equal(snmp_engine_id_parse("0x8000000001", id), 5);
	assert_memory_equal(id, "\x80\x00\x00\x00\x01", 5);
	assert_int_equal(snmp_engine_id_parse("0X80001F8804AbCd", id), 7);
	snmp_engine_id_hex(id, 7, hex);
	assert_string_equal(hex, "0x80001f8804abcd");
	assert_int_equal(snmp_engine_id_parse("0x80000000", id), -1);    /* 4 octets */
	assert_int_equal(snmp_engine_id_parse("0x800000000", id), -1);   /* odd */
	assert_int_equal(snmp_engine_id_parse("8000000001", id), -1);    /* no 0x */
	assert_int_equal(snmp_engine_id_parse("0x80000000zz", id), -1);
	assert_int_equal(snmp_engine_id_parse("", id), -1);
	assert_int_equal(snmp_engine_id_parse(NULL, id), -1);
	memset(long_ok, 'a', sizeof(long_ok));
	memcpy(long_ok, "0x", 2);
	long_ok[sizeof(long_ok) - 1] = '\0';
	assert_int_equal(snmp_engine_id_parse(long_ok, id), 32);
	memset(too_long, 'a', sizeof(too_long));
	memcpy(too_long, "0x", 2);
	too_long[sizeof(too_long) - 1] = '\0';
	assert_int_equal(snmp_engine_id_parse(too_long, id), -1);
}

static void
test_engine_id_from_the_host_name_is_stable_and_enterprise_format(void **state)
{
	unsigned char a[SNMP_ENGINE_ID_MAX], b[SNMP_ENGINE_ID_MAX], c[SNMP_ENGINE_ID_MAX];
	char hex[2 * SNMP_ENGINE_ID_MAX + 3];

	(void)state;
	assert_int_equal(snmp_engine_id_host("mon1.example.org", a), 17);
	assert_int_equal(snmp_engine_id_host("mon1.example.org", b), 17);
	assert_int_equal(snmp_engine_id_host("mon2.example.org", c), 17);
	assert_memory_equal(a, b, 17);
	assert_memory_not_equal(a, c, 17);
	snmp_engine_id_hex(a, 17, hex);
	assert_int_equal(strlen(hex), 36);
	assert_memory_equal(hex, "0x80001f8805", 12);
	/* what a receiver is configured with parses back to the same octets */
	assert_int_equal(snmp_engine_id_parse(hex, b), 17);
	assert_memory_equal(a, b, 17);
}

/* ---- varbind encodings ---- */

static void
test_mib_encodings(void **state)
{
	unsigned char dt[11];
	const char *s;

	(void)state;
	assert_int_equal(snmp_state_value("ok"), 1);
	assert_int_equal(snmp_state_value("critical"), 3);
	assert_int_equal(snmp_state_value("nodata"), 5);
	assert_int_equal(snmp_state_value("up"), 6);
	assert_int_equal(snmp_state_value("down"), 7);
	assert_int_equal(snmp_state_value("silent"), 8);
	assert_int_equal(snmp_state_value("bogus"), 4);
	assert_int_equal(snmp_state_value(NULL), 4);
	assert_int_equal(snmp_severity_value(MX_OK), 1);
	assert_int_equal(snmp_severity_value(MX_WARNING), 2);
	assert_int_equal(snmp_severity_value(MX_CRITICAL), 3);
	assert_int_equal(snmp_severity_value(MX_UNKNOWN), 4);
	assert_int_equal(snmp_severity_value(17), 4);
	/* 2023-11-14 22:13:20 UTC */
	snmp_date_and_time(1700000000, dt);
	assert_memory_equal(dt, "\x07\xe7\x0b\x0e\x16\x0d\x14\x00+\x00\x00", 11);
	/* a year that two octets cannot hold: the epoch, not a wrapped year */
	snmp_date_and_time(INT64_C(1) << 50, dt);
	assert_memory_equal(dt, "\x07\xb2\x01\x01\x00\x00\x00\x00+\x00\x00", 11);
	/* 3- and 4-octet characters straddling octet 255 are left out whole */
	{
		char buf[300];

		memset(buf, 'x', sizeof(buf));
		memcpy(buf + 253, "\xe2\x82\xac", 3);          /* U+20AC at 253..255 */
		buf[256] = '\0';
		assert_int_equal(snmp_utf8_cut(buf, 255), 253);
		memcpy(buf + 252, "\xf0\x9f\x93\xa7", 4);      /* U+1F4E7 at 252..255 */
		assert_int_equal(snmp_utf8_cut(buf, 255), 252);
		assert_int_equal(snmp_utf8_cut(buf, 256), 256);
	}
	assert_int_equal(snmp_percent(99.953), 99953);
	assert_int_equal(snmp_percent(100), 100000);
	assert_int_equal(snmp_percent(250), 100000);
	assert_int_equal(snmp_percent(-1), 0);
	assert_int_equal(snmp_percent(0.0004), 0);
	assert_int_equal(snmp_percent(0.0005), 1);
	/* a 2-octet character straddling octet 255 is left out whole */
	{
		char buf[300];

		memset(buf, 'x', 254);
		memcpy(buf + 254, "\xc3\xa9tail", 7);
		assert_int_equal(snmp_utf8_cut(buf, 255), 254);
		assert_int_equal(snmp_utf8_cut(buf, 256), 256);
	}
	s = "short";
	assert_int_equal(snmp_utf8_cut(s, 255), 5);
	assert_int_equal(snmp_utf8_cut("2024-03x", 7), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emit_queues_one_row_per_destination_that_takes_the_event,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_unknown_event_is_below_critical, setup, teardown),
		cmocka_unit_test(test_report_engine_id_of_a_real_report),
		cmocka_unit_test_setup_teardown(test_an_ok_event_goes_only_where_min_severity_is_ok, setup,
						teardown),
		cmocka_unit_test(test_kind_event_bits_and_names),
		cmocka_unit_test_setup_teardown(test_queue_rows_survive_a_store_close_and_reopen, setup,
						teardown),
		cmocka_unit_test(test_event_json_round_trip_keeps_every_field),
		cmocka_unit_test_setup_teardown(test_queue_is_bounded_and_drops_the_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_drops_the_rows_of_removed_destinations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_start_drops_the_rows_of_destinations_no_longer_configured,
						setup, teardown),
		cmocka_unit_test(test_backoff_doubles_from_5s_to_a_5min_cap),
		cmocka_unit_test_setup_teardown(test_unacknowledged_inform_stays_queued_with_backoff, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inform_older_than_the_give_up_age_is_given_up, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_reload_and_stop_while_an_inform_waits_do_not_wait_for_it, setup, teardown),
		cmocka_unit_test(test_v3_session_after_a_password_change_uses_the_new_key),
		cmocka_unit_test_setup_teardown(test_trap_is_deleted_once_handed_to_the_network, setup,
						teardown),
		cmocka_unit_test(test_engine_id_parse_accepts_0x_and_10_to_64_hex_digits),
		cmocka_unit_test(test_engine_id_from_the_host_name_is_stable_and_enterprise_format),
		cmocka_unit_test(test_mib_encodings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
