/*
 * test-slareport.c - SLA runs over a real store (slarun) and the reports
 * built from them: JSON and CSV figures computed by hand, the HTML page
 * (escaping, policy, one timeline per service), the current month, and
 * the monthly writer's catch-up.
 *
 * The fixture: a store in a temporary directory holding October 2026
 * (UTC) for two agents hub1 and hub2, each with check service.smtp@smtp
 * reporting ok every hour (interval 3600 s, stale after 3 x interval), and
 *   - hub1 critical 2026-10-05 10:20 - 10:30 UTC (600 s, unplanned);
 *   - hub2 critical 2026-10-10 23:10 - 23:40 UTC (1800 s, inside the
 *     maintenance window 2026-10-10 22:00 - 2026-10-11 02:00).
 * Service "mailflow" (target 99.9, require all) selects both; service
 * "web" selects nothing (no data all month).
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "caltime.h"
#include "cfgerr.h"
#include "collector_config.h"
#include "slareport.h"
#include "slarun.h"
#include "store.h"
#include "testutil.h"
#include "tu_collector.h"
#include "xmalloc.h"

#define T_OCT1 INT64_C(1790812800)     /* 2026-10-01 00:00 UTC */
#define T_NOV1 INT64_C(1793491200)     /* 2026-11-01 00:00 UTC */
#define T_OUT1 INT64_C(1791195600)     /* 2026-10-05 10:20 UTC */
#define T_OUT1_END INT64_C(1791196200) /* 2026-10-05 10:30 UTC */
#define T_PLAN INT64_C(1791673800)     /* 2026-10-10 23:10 UTC */
#define T_PLAN_END INT64_C(1791675600) /* 2026-10-10 23:40 UTC */
#define T_OCT20 INT64_C(1792454400)    /* 2026-10-20 00:00 UTC */
#define T_JAN15 INT64_C(1800014400)    /* 2027-01-15 12:00 UTC */

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
    "  - { id: hub2, token: \"token-two-0123456789\" }\n"
    "services:\n"
    "  - id: mailflow\n"
    "    name: Internal mail flow\n"
    "    target: 99.9\n"
    "    components: [\"hub*:service.smtp@smtp\"]\n"
    "    require: all\n"
    "  - id: web\n"
    "    name: 'Web <script>alert(\"x\")</script>, front'\n"
    "    target: 99\n"
    "    components: [\"nohost:*\"]\n"
    "maintenance:\n"
    "  - { services: [mailflow], start: \"2026-10-10 22:00\", end: \"2026-10-11 02:00\","
    " reason: patching }\n"
    "reports:\n"
    "  dir: %s/reports\n";

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	char *yaml;

	fx->dir = tu_mkdtemp("slareport");
	yaml = xasprintf(yaml_fmt, fx->dir, fx->dir);
	fx->cfg = tu_collector_config(fx->dir, yaml);
	free(yaml);
	fx->st = tu_collector_store(fx->cfg);
	tu_ingest_hourly_smtp(fx->st, "hub1", T_OCT1, T_NOV1, T_OUT1, T_OUT1_END);
	tu_ingest_hourly_smtp(fx->st, "hub2", T_OCT1, T_NOV1, T_PLAN, T_PLAN_END);
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

static void
october(struct fx *fx, const char *service, struct sla_report *r)
{
	const char *err = NULL;

	if (slarun_month(fx->cfg, fx->st, 2026, 10, T_JAN15, service, r, &err) < 0)
		fail_msg("slarun_month: %s", err);
}

static void
slarun_month__outage_and_maintenance__figures_by_hand(void **state)
{
	struct fx *fx = *state;
	struct sla_report r;
	const struct sla_result *m;

	october(fx, NULL, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.month_name, "2026-10");
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.start, T_OCT1);
	assert_int_equal(r.end, T_NOV1);
	assert_string_equal(r.v[0].svc->id, "mailflow");
	assert_int_equal(r.v[0].ncomponents, 2);
	assert_string_equal(r.v[0].components[0], "hub1:service.smtp@smtp");
	assert_string_equal(r.v[0].components[1], "hub2:service.smtp@smtp");
	m = &r.v[0].r;
	/* 31 days x 86400 = 2,678,400; the window 22:00-02:00 = 14,400 */
	assert_int_equal(m->scheduled_s, 2678400);
	assert_int_equal(m->maintenance_s, 14400);
	/* E = 2,678,400 - 14,400 = 2,664,000; down 10:20-10:30 = 600 */
	assert_int_equal(m->down_s, 600);
	assert_int_equal(m->up_s, 2663400);
	assert_int_equal(m->nodata_s, 0);
	assert_int_equal(m->degraded_s, 0);
	/* hub2 down 23:10-23:40 inside the window */
	assert_int_equal(m->planned_down_s, 1800);
	/* 0.1 % of 2,664,000 = 2,664; left 2,664 - 600 = 2,064 */
	assert_int_equal(m->budget_s, 2664);
	assert_int_equal(m->budget_left_s, 2064);
	/* the planned one has no eligible down time: one incident */
	assert_int_equal(m->nincidents, 1);
	assert_int_equal(m->incidents[0].start, T_OUT1);
	assert_int_equal(m->incidents[0].end, T_OUT1_END);
	assert_int_equal(m->incidents[0].down_s, 600);
	assert_int_equal(m->incidents[0].ncomponents, 1);
	assert_string_equal(m->incidents[0].components[0], "hub1:service.smtp@smtp");
	assert_int_equal(m->mttr_s, 600);
	assert_int_equal(m->mtbf_s, 2663400);
	/* 100 x 2,663,400 / 2,664,000 = 99.97747... */
	assert_near(m->availability, 99.977477477477, 1e-9);
	assert_true(m->met);
	assert_int_equal(r.v[1].ncomponents, 0);
	assert_int_equal(r.v[1].r.nodata_s, 2678400);
	assert_false(r.v[1].r.has_availability);
	slarun_free(&r);
}

static void
slareport_json__october__spec_fields_in_order_exact(void **state)
{
	struct fx *fx = *state;
	struct sla_report r;
	json_t *j;
	char *s;

	october(fx, NULL, &r);
	j = slareport_json(&r);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	/* generated = now = 2027-01-15 12:00 UTC */
	assert_string_equal(
	    s, "{\"month\":\"2026-10\",\"timezone\":\"UTC\",\"complete\":true,"
	       "\"generated\":\"2027-01-15T12:00:00Z\",\"services\":["
	       "{\"id\":\"mailflow\",\"name\":\"Internal mail flow\",\"target\":99.9,"
	       "\"availability\":99.977,\"availability_total\":99.977,\"met\":true,"
	       "\"scheduled_s\":2678400,\"maintenance_s\":14400,\"up_s\":2663400,\"down_s\":600,"
	       "\"nodata_s\":0,\"degraded_s\":0,\"planned_down_s\":1800,\"budget_s\":2664,"
	       "\"budget_left_s\":2064,\"mttr_s\":600,\"mtbf_s\":2663400,"
	       "\"policy\":{\"warning\":\"up\",\"unknown\":\"nodata\",\"nodata\":\"exclude\","
	       "\"maintenance\":\"exclude\"},"
	       "\"incidents\":[{\"start\":1791195600,\"end\":1791196200,\"down_s\":600,"
	       "\"components\":[\"hub1:service.smtp@smtp\"]}],"
	       "\"hours\":\"24x7\",\"require\":\"all\","
	       "\"components\":[\"hub1:service.smtp@smtp\",\"hub2:service.smtp@smtp\"]},"
	       "{\"id\":\"web\",\"name\":\"Web <script>alert(\\\"x\\\")</script>, front\","
	       "\"target\":99.0,\"availability\":null,\"availability_total\":0.0,\"met\":false,"
	       "\"scheduled_s\":2678400,\"maintenance_s\":0,\"up_s\":0,\"down_s\":0,"
	       "\"nodata_s\":2678400,\"degraded_s\":0,\"planned_down_s\":0,\"budget_s\":0,"
	       "\"budget_left_s\":0,\"mttr_s\":null,\"mtbf_s\":null,"
	       "\"policy\":{\"warning\":\"up\",\"unknown\":\"nodata\",\"nodata\":\"exclude\","
	       "\"maintenance\":\"exclude\"},\"incidents\":[],"
	       "\"hours\":\"24x7\",\"require\":\"all\",\"components\":[]}],"
	       "\"start\":1790812800,\"end\":1793491200}");
	free(s);
	json_decref(j);
	slarun_free(&r);
}

static void
slareport_csv__october__header_and_rows_exact(void **state)
{
	struct fx *fx = *state;
	struct sla_report r;
	char *s;

	october(fx, NULL, &r);
	s = slareport_csv(&r);
	/* the second name holds a comma and quotes: quoted, quotes doubled */
	assert_string_equal(
	    s, "service,name,target,availability,availability_total,met,scheduled_s,"
	       "maintenance_s,up_s,down_s,nodata_s,degraded_s,planned_down_s,budget_s,"
	       "budget_left_s,incidents,mttr_s,mtbf_s\r\n"
	       "mailflow,Internal mail flow,99.9,99.977,99.977,true,2678400,14400,2663400,600,0,0,"
	       "1800,2664,2064,1,600,2663400\r\n"
	       "web,\"Web <script>alert(\"\"x\"\")</script>, front\",99,,0,false,2678400,0,0,0,"
	       "2678400,0,0,0,0,0,,\r\n");
	free(s);
	slarun_free(&r);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void
slareport_html__october__escaped_self_contained_one_svg_per_service(void **state)
{
	struct fx *fx = *state;
	struct sla_report r;
	char *s;

	october(fx, NULL, &r);
	s = slareport_html(&r);
	assert_non_null(strstr(s, "<!DOCTYPE html>"));
	assert_non_null(strstr(s, "SLA report October 2026"));
	assert_non_null(strstr(s, "complete</span>"));
	/* the name from the config never comes out as markup */
	assert_null(strstr(s, "<script"));
	assert_non_null(strstr(s, "Web &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;, front"));
	assert_int_equal(count(s, "<svg "), 2);
	/* no external asset: nothing fetched from anywhere */
	assert_null(strstr(s, "src="));
	assert_null(strstr(s, "<link"));
	assert_null(strstr(s, "url("));
	/* the policy in force and the incident (local time = UTC here) */
	assert_non_null(strstr(s, "<tr><th>A warning counts as</th><td>up</td></tr>"));
	assert_non_null(strstr(s, "<tr><th>Maintenance windows</th><td>exclude</td></tr>"));
	assert_non_null(strstr(s, "all components are up"));
	assert_non_null(strstr(s, "<td>2026-10-05 10:20</td><td>2026-10-05 10:30</td>"));
	assert_non_null(strstr(s, "<code>hub1:service.smtp@smtp</code>"));
	assert_non_null(strstr(s, "✓ met"));
	assert_non_null(strstr(s, "99.977 %"));
	assert_non_null(strstr(s, "@media print"));
	/* a down segment drawn on the timeline, and a maintenance one */
	assert_non_null(strstr(s, "class=\"s-down\""));
	assert_non_null(strstr(s, "class=\"s-planned_down\""));
	free(s);
	slarun_free(&r);
}

/* 150 incidents, the i-th lasting 60 + i seconds: the page lists the 100
   longest (i = 50..149, numbered #51..#150) in time order, and says so. */
static void
slareport_html__many_incidents__longest_hundred_listed(void **state)
{
	struct fx *fx = *state;
	struct sla_report r;
	struct sla_result *res;
	char *s, *tbl, *p, *q;
	const int64_t t0 = 1790000000;
	int rows = 0;

	october(fx, NULL, &r);
	res = &r.v[0].r;
	for (size_t i = 0; i < res->nincidents; i++) {
		for (size_t k = 0; k < res->incidents[i].ncomponents; k++)
			free(res->incidents[i].components[k]);
		free(res->incidents[i].components);
	}
	free(res->incidents);
	res->nincidents = 150;
	res->incidents = xcalloc(150, sizeof(*res->incidents));
	for (int i = 0; i < 150; i++) {
		res->incidents[i].start = t0 + (int64_t)i * 3600;
		res->incidents[i].end = res->incidents[i].start + 60 + i;
		res->incidents[i].down_s = 60 + i;
	}
	s = slareport_html(&r);
	assert_non_null(strstr(s, "150 incidents in all; the 100 with the longest counted down time"));
	/* the incident table of the first service: rows are numbered */
	tbl = strstr(s, "<th>Components down at the start</th>");
	assert_non_null(tbl);
	q = strstr(tbl, "</table>");
	assert_non_null(q);
	for (p = tbl; (p = strstr(p, "<tr><td class=\"n\">")) != NULL && p < q; p++)
		rows++;
	assert_int_equal(rows, 100);
	p = strstr(tbl, "<tr><td class=\"n\">");
	assert_memory_equal(p, "<tr><td class=\"n\">51</td>", strlen("<tr><td class=\"n\">51</td>"));
	assert_non_null(strstr(tbl, "<tr><td class=\"n\">150</td>"));
	assert_null(strstr(tbl, "<tr><td class=\"n\">50</td>"));
	free(s);
	slarun_free(&r);
}

static void
slarun_month__current_month__incomplete_and_ends_at_now(void **state)
{
	struct fx *fx = *state;
	struct sla_report r;
	const char *err = NULL;
	json_t *j;
	char *h;

	/* now = 2026-10-20 00:00: the period is [Oct 1, Oct 20) = 19 days */
	if (slarun_month(fx->cfg, fx->st, 2026, 10, T_OCT20, "mailflow", &r, &err) < 0)
		fail_msg("slarun_month: %s", err);
	assert_int_equal(r.complete, 0);
	assert_int_equal(r.end, T_OCT20);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].r.scheduled_s, 19 * 86400);
	h = slareport_html(&r);
	assert_non_null(strstr(h, "incomplete</span>"));
	free(h);
	j = slareport_json(&r);
	assert_true(json_is_false(json_object_get(j, "complete")));
	assert_int_equal(json_integer_value(json_object_get(j, "end")), T_OCT20);
	json_decref(j);
	slarun_free(&r);
}

static void
slarun_period__one_hour_around_the_outage__figures_and_no_month(void **state)
{
	struct fx *fx = *state;
	struct sla_report r;
	const char *err = NULL;
	json_t *j;
	char *h;

	/* [10:00, 11:00) on Oct 5: 3,600 s scheduled, 600 of them down */
	if (slarun_period(fx->cfg, fx->st, T_OUT1 - 1200, T_OUT1 + 2400, T_JAN15, "mailflow", &r,
	                  &err) < 0)
		fail_msg("slarun_period: %s", err);
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.v[0].r.scheduled_s, 3600);
	assert_int_equal(r.v[0].r.down_s, 600);
	assert_int_equal(r.v[0].r.up_s, 3000);
	j = slareport_json(&r);
	assert_true(json_is_null(json_object_get(j, "month")));
	json_decref(j);
	h = slareport_html(&r);
	assert_int_equal(count(h, "<svg "), 1);
	free(h);
	slarun_free(&r);

	/* a period that lies in the future is refused */
	assert_int_equal(
	    slarun_period(fx->cfg, fx->st, T_JAN15 + 10, T_JAN15 + 20, T_JAN15, NULL, &r, &err),
	    -1);
	slarun_free(&r);
}

static void
slarun_month__future_month_or_unknown_service__refused(void **state)
{
	struct fx *fx = *state;
	struct sla_report r;
	const char *err = NULL;

	assert_int_equal(slarun_month(fx->cfg, fx->st, 2026, 11, T_OCT20, NULL, &r, &err), -1);
	assert_string_equal(err, "month 2026-11 has not begun");
	slarun_free(&r);
	err = NULL;
	assert_int_equal(slarun_month(fx->cfg, fx->st, 2026, 10, T_JAN15, "nope", &r, &err), -1);
	assert_non_null(strstr(err, "unknown service"));
	slarun_free(&r);
}

static void
slareport_format_parse__names__known_and_refused(void **state)
{
	(void)state;
	assert_int_equal(slareport_format_parse("json"), SLAREPORT_JSON);
	assert_int_equal(slareport_format_parse("csv"), SLAREPORT_CSV);
	assert_int_equal(slareport_format_parse("html"), SLAREPORT_HTML);
	assert_int_equal(slareport_format_parse("pdf"), -1);
	assert_int_equal(slareport_format_parse(NULL), -1);
}

static size_t
count_files(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
slareport_monthly__missed_months__written_once_each(void **state)
{
	struct fx *fx = *state;
	const char *err = NULL;
	char *path, *csv;
	struct stat sb;
	json_t *list;

	/* now = 2027-01-15: October, November and December are over, first
	   result in October: three months, three files each */
	if (slareport_monthly(fx->cfg, fx->st, T_JAN15, &err) < 0)
		fail_msg("slareport_monthly: %s", err);
	assert_int_equal(count_files(fx->cfg->reports_dir), 9);
	assert_int_equal(stat(fx->cfg->reports_dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0750);
	path = xasprintf("%s/mxsla-sla-2026-10.csv", fx->cfg->reports_dir);
	csv = tu_slurp(path, NULL);
	assert_non_null(strstr(csv, "\r\nmailflow,Internal mail flow,99.9,99.977,"));
	free(csv);

	/* a second call writes nothing again: a removed file stays removed */
	assert_int_equal(unlink(path), 0);
	if (slareport_monthly(fx->cfg, fx->st, T_JAN15 + 60, &err) < 0)
		fail_msg("slareport_monthly: %s", err);
	assert_int_equal(count_files(fx->cfg->reports_dir), 8);
	assert_int_equal(stat(path, &sb), -1);
	free(path);

	list = slareport_list(fx->cfg, &err);
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "month")),
	                    "2026-12");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 2), "month")),
	                    "2026-10");
	assert_true(json_is_true(json_object_get(json_array_get(list, 2), "complete")));
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_array_get(list, 2), "formats"), "html")),
	                    "mxsla-sla-2026-10.html");
	assert_null(json_object_get(json_object_get(json_array_get(list, 2), "formats"), "csv"));
	json_decref(list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(slarun_month__outage_and_maintenance__figures_by_hand),
	    cmocka_unit_test(slareport_json__october__spec_fields_in_order_exact),
	    cmocka_unit_test(slareport_csv__october__header_and_rows_exact),
	    cmocka_unit_test(slareport_html__october__escaped_self_contained_one_svg_per_service),
	    cmocka_unit_test(slareport_html__many_incidents__longest_hundred_listed),
	    cmocka_unit_test(slarun_month__current_month__incomplete_and_ends_at_now),
	    cmocka_unit_test(slarun_period__one_hour_around_the_outage__figures_and_no_month),
	    cmocka_unit_test(slarun_month__future_month_or_unknown_service__refused),
	    cmocka_unit_test(slareport_format_parse__names__known_and_refused),
	    cmocka_unit_test(slareport_monthly__missed_months__written_once_each),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
