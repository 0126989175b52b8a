/*
 * test-admin-store.c - what the web UI writes, in a real store: maintenance
 * windows (store_mw_add / _update / _delete / _list) and their effect on
 * the SLA figures of slarun, worked out by hand, and acknowledgements of
 * violations (store_ack) as store_q_violations shows them.
 *
 * The fixture: October 2026 (UTC) for agent hub1, check service.smtp@smtp
 * ok every hour (interval 3600 s) and critical 2026-10-05 10:20 - 10:30
 * UTC (600 s).  Service "mailflow" (target 99.9) selects it; service
 * "web" selects nothing.  The config has no maintenance windows of its
 * own, so every window counted comes from the database.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "caltime.h"
#include "cfgerr.h"
#include "collector_config.h"
#include "slarun.h"
#include "store.h"
#include "testutil.h"
#include "tu_collector.h"
#include "xmalloc.h"

#define T_OCT1 INT64_C(1790812800)     /* 2026-10-01 00:00 UTC */
#define T_NOV1 INT64_C(1793491200)     /* 2026-11-01 00:00 UTC */
#define T_OUT INT64_C(1791195600)      /* 2026-10-05 10:20 UTC */
#define T_OUT_END INT64_C(1791196200)  /* 2026-10-05 10:30 UTC */
#define T_1000 INT64_C(1791194400)     /* 2026-10-05 10:00 UTC */
#define T_JAN15 INT64_C(1800014400)    /* 2027-01-15 12:00 UTC */
#define MONTH_S 2678400

struct fx {
	char *dir;
	struct collector_config *cfg;
	struct store *st;
};

static const char yaml_fmt[] =
    "database: %s/mxsla.db\n"
    "timezone: UTC\n"
    "agents:\n"
    "  - { id: hub1, token: \"token-one-0123456789\" }\n"
    "services:\n"
    "  - { id: mailflow, name: Mail flow, target: 99.9, components: [\"hub1:service.smtp@smtp\"] }\n"
    "  - { id: web, name: Web, target: 99, components: [\"nohost:*\"] }\n";

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	char *yaml;

	fx->dir = tu_mkdtemp("adminstore");
	yaml = xasprintf(yaml_fmt, fx->dir);
	fx->cfg = tu_collector_config(fx->dir, yaml);
	free(yaml);
	fx->st = tu_collector_store(fx->cfg);
	tu_ingest_hourly_smtp(fx->st, "hub1", T_OCT1, T_NOV1, T_OUT, T_OUT_END);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	collector_config_free(fx->cfg);
	tu_rm_rf(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

/* mailflow's October figures. */
struct figs {
	int64_t scheduled, maintenance, down, planned, up;
};

static struct figs
october(struct fx *fx)
{
	struct sla_report r;
	const char *err = NULL;
	struct figs f;

	if (slarun_month(fx->cfg, fx->st, 2026, 10, T_JAN15, "mailflow", &r, &err) < 0)
		fail_msg("slarun_month: %s", err);
	assert_int_equal(r.n, 1);
	f.scheduled = r.v[0].r.scheduled_s;
	f.maintenance = r.v[0].r.maintenance_s;
	f.down = r.v[0].r.down_s;
	f.planned = r.v[0].r.planned_down_s;
	f.up = r.v[0].r.up_s;
	slarun_free(&r);
	return f;
}

static void
window(struct store_mw *m, const char *svc, int64_t start, int64_t end)
{
	memset(m, 0, sizeof(*m));
	strlist_init(&m->services);
	strlist_add(&m->services, svc);
	m->start = start;
	m->end = end;
	m->reason = xstrdup("patching");
	m->author = xstrdup("admin");
}

static void
window_free(struct store_mw *m)
{
	strlist_free(&m->services);
	free(m->reason);
	free(m->author);
}

static void
store_mw__add_change_delete__sla_figures_by_hand(void **state)
{
	struct fx *fx = *state;
	struct store_mw m;
	struct figs f;
	const char *err = NULL;
	int found = -1;

	f = october(fx);
	assert_int_equal(f.scheduled, MONTH_S);
	assert_int_equal(f.maintenance, 0);
	assert_int_equal(f.down, 600);
	assert_int_equal(f.up, MONTH_S - 600);

	/* 10:00 - 10:25 over the outage 10:20 - 10:30 */
	window(&m, "mailflow", T_1000, T_1000 + 1500);
	assert_int_equal(store_mw_add(fx->st, &m, T_JAN15, &err), 0);
	assert_true(m.id > 0);
	assert_int_equal(m.created, T_JAN15);
	f = october(fx);
	assert_int_equal(f.maintenance, 1500);
	assert_int_equal(f.down, 300);         /* 10:25 - 10:30 */
	assert_int_equal(f.planned, 300);      /* 10:20 - 10:25 */
	assert_int_equal(f.up, MONTH_S - 1500 - 300);

	/* changed to 10:00 - 11:00 with a glob: the whole outage is planned */
	strlist_free(&m.services);
	strlist_init(&m.services);
	strlist_add(&m.services, "mail*");
	m.end = T_1000 + 3600;
	assert_int_equal(store_mw_update(fx->st, &m, T_JAN15 + 60, &found, &err), 0);
	assert_int_equal(found, 1);
	f = october(fx);
	assert_int_equal(f.maintenance, 3600);
	assert_int_equal(f.down, 0);
	assert_int_equal(f.planned, 600);
	assert_int_equal(f.up, MONTH_S - 3600);

	assert_int_equal(store_mw_delete(fx->st, m.id, &found, &err), 0);
	assert_int_equal(found, 1);
	f = october(fx);
	assert_int_equal(f.maintenance, 0);
	assert_int_equal(f.down, 600);
	assert_int_equal(store_mw_delete(fx->st, m.id, &found, &err), 0);
	assert_int_equal(found, 0);
	window_free(&m);
}

static void
store_mw__other_service_or_month__no_effect(void **state)
{
	struct fx *fx = *state;
	struct store_mw a, b;
	struct figs f;
	const char *err = NULL;

	window(&a, "web", T_1000, T_1000 + 3600);
	window(&b, "mailflow", T_NOV1, T_NOV1 + 3600);
	assert_int_equal(store_mw_add(fx->st, &a, T_JAN15, &err), 0);
	assert_int_equal(store_mw_add(fx->st, &b, T_JAN15, &err), 0);
	f = october(fx);
	assert_int_equal(f.maintenance, 0);
	assert_int_equal(f.down, 600);
	/* a window across the month's end counts only its October part */
	b.start = T_NOV1 - 1800;
	{
		int found = 0;

		assert_int_equal(store_mw_update(fx->st, &b, T_JAN15, &found, &err), 0);
		assert_int_equal(found, 1);
	}
	f = october(fx);
	assert_int_equal(f.maintenance, 1800);
	window_free(&a);
	window_free(&b);
}

static void
store_mw__refused_and_unknown__nothing_stored(void **state)
{
	struct fx *fx = *state;
	struct store_mw m, *v = NULL;
	size_t n = 99;
	const char *err = NULL;
	int found = -1;

	window(&m, "mailflow", T_1000, T_1000);
	assert_int_equal(store_mw_add(fx->st, &m, T_JAN15, &err), -1);
	assert_string_equal(err, "a maintenance window must end after it starts");
	m.id = 4242;
	m.end = T_1000 + 60;
	assert_int_equal(store_mw_update(fx->st, &m, T_JAN15, &found, &err), 0);
	assert_int_equal(found, 0);
	assert_int_equal(store_mw_list(fx->st, 0, 0, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	store_mw_free(v, n);
	window_free(&m);
}

static void
store_mw_list__fields_order_and_period(void **state)
{
	struct fx *fx = *state;
	struct store_mw a, b, *v = NULL;
	size_t n = 0;
	const char *err = NULL;

	window(&a, "mailflow", T_1000 + 7200, T_1000 + 9000);
	window(&b, "web", T_1000, T_1000 + 600);
	free(b.reason);
	b.reason = xstrdup("");
	assert_int_equal(store_mw_add(fx->st, &a, 100, &err), 0);
	assert_int_equal(store_mw_add(fx->st, &b, 200, &err), 0);
	assert_int_equal(store_mw_list(fx->st, 0, 0, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	/* by start: b first */
	assert_int_equal(v[0].id, b.id);
	assert_int_equal(v[0].start, T_1000);
	assert_int_equal(v[0].end, T_1000 + 600);
	assert_string_equal(v[0].services.v[0], "web");
	assert_string_equal(v[0].reason, "");
	assert_string_equal(v[0].author, "admin");
	assert_int_equal(v[0].created, 200);
	assert_int_equal(v[0].updated, 200);
	assert_int_equal(v[1].id, a.id);
	assert_string_equal(v[1].reason, "patching");
	store_mw_free(v, n);
	/* [10:10, 12:00) meets a only; b ends at 10:10 (half-open) */
	assert_int_equal(store_mw_list(fx->st, T_1000 + 600, T_1000 + 7200 + 1, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, a.id);
	store_mw_free(v, n);
	window_free(&a);
	window_free(&b);
}

/* The first violation's JSON field "ack", serialised. */
static char *
first_ack(struct fx *fx, char **id_r)
{
	const char *err = NULL;
	json_t *v = store_q_violations(fx->st, 0, T_JAN15, 10, &err), *x;
	char *s;

	if (v == NULL)
		fail_msg("store_q_violations: %s", err);
	assert_int_equal(json_array_size(v), 1);
	x = json_array_get(v, 0);
	if (id_r != NULL)
		*id_r = xstrdup(json_string_value(json_object_get(x, "id")));
	s = json_dumps(json_object_get(x, "ack"), JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	return s;
}

static void
store_ack__then_again__violation_carries_the_latest(void **state)
{
	struct fx *fx = *state;
	const char *err = NULL;
	char *id, *a, want[64];
	int found = -1;
	int64_t ref, start;

	a = first_ack(fx, &id);
	assert_string_equal(a, "null");
	free(a);
	assert_int_equal(store_violation_id_parse(id, &ref, &start), 0);
	assert_int_equal(start, T_OUT);
	snprintf(want, sizeof(want), "%lld-%lld", (long long)ref, (long long)T_OUT);
	assert_string_equal(id, want);

	assert_int_equal(store_ack(fx->st, id, "admin", "disk swapped", T_JAN15, &found, &err), 0);
	assert_int_equal(found, 1);
	a = first_ack(fx, NULL);
	assert_string_equal(a, "{\"user\":\"admin\",\"comment\":\"disk swapped\",\"at\":1800014400}");
	free(a);
	assert_int_equal(store_ack(fx->st, id, "ops", "", T_JAN15 + 5, &found, &err), 0);
	a = first_ack(fx, NULL);
	assert_string_equal(a, "{\"user\":\"ops\",\"comment\":\"\",\"at\":1800014405}");
	free(a);
	/* the acknowledgement changes no figure */
	assert_int_equal(october(fx).down, 600);
	free(id);
}

static void
store_ack__unknown_check_or_bad_id__refused(void **state)
{
	struct fx *fx = *state;
	const char *err = NULL;
	int found = -1;
	int64_t ref = 0, start = 0;
	char *a;

	assert_int_equal(store_ack(fx->st, "999-1791195600", "admin", "x", T_JAN15, &found, &err), 0);
	assert_int_equal(found, 0);
	assert_int_equal(store_ack(fx->st, "1791195600", "admin", "x", T_JAN15, &found, &err), -1);
	assert_int_equal(store_ack(fx->st, "1-", "admin", "x", T_JAN15, &found, &err), -1);
	assert_int_equal(store_ack(fx->st, "-1-5", "admin", "x", T_JAN15, &found, &err), -1);
	assert_int_equal(store_ack(fx->st, "1-5x", "admin", "x", T_JAN15, &found, &err), -1);
	assert_int_equal(store_violation_id_parse("12-34", &ref, &start), 0);
	assert_int_equal(ref, 12);
	assert_int_equal(start, 34);
	a = first_ack(fx, NULL);
	assert_string_equal(a, "null");
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(store_mw__add_change_delete__sla_figures_by_hand,
						setup, teardown),
		cmocka_unit_test_setup_teardown(store_mw__other_service_or_month__no_effect, setup,
						teardown),
		cmocka_unit_test_setup_teardown(store_mw__refused_and_unknown__nothing_stored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(store_mw_list__fields_order_and_period, setup,
						teardown),
		cmocka_unit_test_setup_teardown(store_ack__then_again__violation_carries_the_latest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(store_ack__unknown_check_or_bad_id__refused, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
