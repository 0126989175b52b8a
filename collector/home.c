/*
 * home.c - GET /status: a one-page status summary rendered on the server,
 * for browsers without script (the web UI at / links to it).
 *
 * Agents with their state and last result, the checks that are not ok
 * now, and this month's SLA of every service against its target and
 * budget, with links to the JSON API and this month's report.  Plain HTML
 * with inline CSS, no script; the page reloads itself every 30 s.
 * Every string from the database or the config is escaped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "caltime.h"
#include "htmlesc.h"
#include "log.h"
#include "slarun.h"
#include "xmalloc.h"

#define CSP_HOME "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static void
put_time(FILE *fp, json_int_t t)
{
	struct caltm tm;

	if (t <= 0) {
		fputs("never", fp);
		return;
	}
	caltime_fields((int64_t)t, &tm);
	fprintf(fp, "%04d-%02d-%02d %02d:%02d", tm.year, tm.month, tm.day, tm.hour, tm.min);
}

static void
put_agents(FILE *fp, const json_t *agents)
{
	size_t i;
	json_t *a;

	fputs("<h2>Agents</h2><table><tr><th>Agent</th><th>Site</th><th>State</th>"
	      "<th>Last seen</th><th>Results stored</th></tr>\n", fp);
	json_array_foreach(agents, i, a) {
		const char *state = jstr(a, "state");

		fputs("<tr><td>", fp);
		html_escape(fp, jstr(a, "id"));
		fputs("</td><td>", fp);
		html_escape(fp, jstr(a, "site"));
		fprintf(fp, "</td><td class=\"%s\">", strcmp(state, "up") == 0 ? "ok" : "critical");
		html_escape(fp, state);
		fputs("</td><td>", fp);
		put_time(fp, json_integer_value(json_object_get(a, "last_seen")));
		fprintf(fp, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td></tr>\n",
			json_integer_value(json_object_get(a, "results_stored")));
	}
	if (json_array_size(agents) == 0)
		fputs("<tr><td colspan=\"5\">No agent is configured.</td></tr>\n", fp);
	fputs("</table>\n", fp);
}

static void
put_checks(FILE *fp, const json_t *checks)
{
	size_t i, shown = 0;
	json_t *c;

	fputs("<h2>Checks not ok</h2><table><tr><th>Agent</th><th>Check</th><th>Status</th>"
	      "<th>Since</th><th>Message</th></tr>\n", fp);
	json_array_foreach(checks, i, c) {
		const char *st = jstr(c, "status");

		if (strcmp(st, "ok") == 0)
			continue;
		shown++;
		fputs("<tr><td>", fp);
		html_escape(fp, jstr(c, "agent"));
		fputs("</td><td>", fp);
		html_escape(fp, jstr(c, "check"));
		fputs("</td><td class=\"", fp);
		html_escape(fp, st);
		fputs("\">", fp);
		html_escape(fp, st);
		fputs("</td><td>", fp);
		put_time(fp, json_integer_value(json_object_get(c, "since")));
		fputs("</td><td>", fp);
		html_escape(fp, jstr(c, "message"));
		fputs("</td></tr>\n", fp);
	}
	if (shown == 0)
		fprintf(fp, "<tr><td colspan=\"5\">All %zu checks are ok.</td></tr>\n",
			json_array_size(checks));
	fputs("</table>\n", fp);
}

static void
put_services(FILE *fp, const struct sla_report *rep)
{
	fprintf(fp, "<h2>SLA this month (%s, %s so far)</h2><table><tr><th>Service</th>"
		"<th>Target</th><th>Availability</th><th>Met</th><th>Budget left</th>"
		"<th>Incidents</th></tr>\n", rep->month_name, rep->timezone);
	for (size_t i = 0; i < rep->n; i++) {
		const struct sla_service_report *s = &rep->v[i];

		fputs("<tr><td>", fp);
		html_escape(fp, s->svc->name != NULL ? s->svc->name : s->svc->id);
		fprintf(fp, "</td><td class=\"n\">%.3f %%</td>", s->svc->target);
		if (s->r.has_availability)
			fprintf(fp, "<td class=\"n\">%.3f %%</td>", s->r.availability);
		else
			fputs("<td class=\"n\">no data</td>", fp);
		fprintf(fp, "<td class=\"%s\">%s</td>", s->r.met ? "ok" : "critical",
			s->r.met ? "yes" : "no");
		fprintf(fp, "<td class=\"n\">%lld s of %lld s</td><td class=\"n\">%zu</td></tr>\n",
			(long long)s->r.budget_left_s, (long long)s->r.budget_s, s->r.nincidents);
	}
	if (rep->n == 0)
		fputs("<tr><td colspan=\"6\">No service is configured.</td></tr>\n", fp);
	fputs("</table>\n", fp);
}

void
api_home(struct http_req *r, void *app)
{
	const struct api_ctx *c = http_req_ctx(r);
	int64_t now = (int64_t)time(NULL);
	const char *err = NULL;
	json_t *agents, *checks;
	struct sla_report rep;
	struct caltm tm;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int have_rep;

	(void)app;
	agents = store_q_agents(c->st, now, &err);
	checks = agents != NULL ? store_q_checks(c->st, NULL, NULL, now, &err) : NULL;
	if (agents == NULL || checks == NULL) {
		json_decref(agents);
		http_reply_error(r, 500, "the database could not be read", NULL);
		return;
	}
	caltime_fields(now, &tm);
	have_rep = slarun_month(c->cfg, c->st, tm.year, tm.month, now, NULL, &rep, &err) == 0;

	fp = open_memstream(&buf, &len);
	if (fp == NULL)
		fatal("open_memstream");
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta http-equiv=\"refresh\" content=\"30\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	      "<title>mxsla</title><style>"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	      "table{border-collapse:collapse;margin-bottom:1.5em;min-width:40em}"
	      "th,td{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left}"
	      "th{background:#f4f4f4}.n{text-align:right}"
	      ".ok{color:#1a7f37}.warning{color:#9a6700}.critical{color:#cf222e}"
	      ".unknown{color:#8250df}.nodata{color:#6e7781}nav a{margin-right:1em}"
	      "</style></head><body><h1>mxsla</h1><nav>"
	      "<a href=\"/api/v1/sla?format=html\">SLA report (this month)</a>"
	      "<a href=\"/api/v1/agents\">agents</a><a href=\"/api/v1/checks\">checks</a>"
	      "<a href=\"/api/v1/violations\">violations</a><a href=\"/api/v1/findings\">findings</a>"
	      "<a href=\"/api/v1/services\">services</a><a href=\"/api/v1/reports\">reports</a>"
	      "<a href=\"/metrics\">metrics</a></nav>\n", fp);
	put_agents(fp, agents);
	put_checks(fp, checks);
	if (have_rep) {
		put_services(fp, &rep);
		slarun_free(&rep);
	} else {
		fputs("<p>The SLA figures could not be computed: ", fp);
		html_escape(fp, err);
		fputs("</p>\n", fp);
	}
	fputs("<p class=\"nodata\">Updated ", fp);
	put_time(fp, now);
	fputs(" (reloads every 30 s).</p></body></html>\n", fp);
	fclose(fp);
	json_decref(agents);
	json_decref(checks);
	http_reply_header(r, "Content-Security-Policy", CSP_HOME);
	http_reply(r, 200, "text/html; charset=utf-8", buf, len);
}
