/*
 * api.c - the query API, /metrics and /healthz, and the route table (see
 * api.h).  The documents come from store.h (agents, checks, violations,
 * findings, history) and from slarun.h / slareport.h (services, SLA,
 * reports); this file parses query arguments, picks the document and
 * answers.  Nothing here writes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "caltime.h"
#include "log.h"
#include "metrics.h"
#include "slareport.h"
#include "slarun.h"
#include "status.h"
#include "xmalloc.h"

#define REPORT_FILE_MAX (64 * 1024 * 1024)
#define CSP_REPORT "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"

static const struct api_ctx *
ctx_of(struct http_req *r)
{
	return http_req_ctx(r);
}

static void
store_failed(struct http_req *r, const char *what, const char *err)
{
	log_warnx("api: %s: %s", what, err != NULL ? err : "unknown error");
	http_reply_error(r, 500, "the database could not be read", NULL);
}

static void
bad_arg(struct http_req *r, const char *name, const char *msg)
{
	char path[64];

	snprintf(path, sizeof(path), "?%s", name);
	http_reply_error(r, 400, msg, path);
}

/* Integer query argument in [min, max], def when absent; -1 after a 400. */
static int
arg_int(struct http_req *r, const char *name, long long min, long long max, long long def,
	long long *v_r)
{
	const char *s = http_req_arg(r, name);
	char *end, msg[128];
	long long v;

	if (s == NULL || *s == '\0') {
		*v_r = def;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		snprintf(msg, sizeof(msg), "%s must be an integer from %lld to %lld", name, min, max);
		bad_arg(r, name, msg);
		return -1;
	}
	*v_r = v;
	return 0;
}

/* ?month=YYYY-MM (default: this month); a month not yet begun is refused. */
static int
arg_month(struct http_req *r, int64_t now, int *y_r, int *mo_r)
{
	const char *s = http_req_arg(r, "month");
	int64_t start, end;
	struct caltm tm;

	if (s == NULL || *s == '\0') {
		caltime_fields(now, &tm);
		*y_r = tm.year;
		*mo_r = tm.month;
		return 0;
	}
	if (strlen(s) != 7 || caltime_parse_month(s, y_r, mo_r) < 0) {
		bad_arg(r, "month", "month must be YYYY-MM");
		return -1;
	}
	caltime_month(*y_r, *mo_r, &start, &end);
	if (start > now) {
		bad_arg(r, "month", "that month has not begun");
		return -1;
	}
	return 0;
}

static void
reply_doc(struct http_req *r, const char *what, json_t *j, const char *err)
{
	if (j == NULL)
		store_failed(r, what, err);
	else
		http_reply_json(r, 200, j);
}

static void
h_healthz(struct http_req *r, void *app)
{
	json_t *j = json_object();

	(void)app;
	json_object_set_new(j, "status", json_string("ok"));
	http_reply_json(r, 200, j);
}

static void
h_metrics(struct http_req *r, void *app)
{
	const char *err = NULL;
	char *text;

	(void)app;
	text = metrics_render(ctx_of(r)->st, (int64_t)time(NULL), &err);
	if (text == NULL) {
		store_failed(r, "metrics", err);
		return;
	}
	http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
}

static void
h_agents(struct http_req *r, void *app)
{
	const struct api_ctx *c = ctx_of(r);
	const char *err = NULL;
	json_t *j, *a;
	size_t i;

	(void)app;
	j = store_q_agents(c->st, (int64_t)time(NULL), &err);
	if (j == NULL) {
		store_failed(r, "agents", err);
		return;
	}
	/* configured agents that never sent anything are listed too */
	for (size_t k = 0; k < c->cfg->nagents; k++) {
		const char *id = c->cfg->agents[k].id;
		int seen = 0;

		json_array_foreach(j, i, a) {
			const char *aid = json_string_value(json_object_get(a, "id"));
			if (aid != NULL && strcmp(aid, id) == 0) {
				seen = 1;
				break;
			}
		}
		if (!seen)
			json_array_append_new(j, json_pack("{s:s, s:n, s:[], s:n, s:n, s:s, s:i, s:i}",
							   "id", id, "site", "roles", "first_seen",
							   "last_seen", "state", "silent",
							   "results_stored", 0, "checks", 0));
	}
	http_reply_json(r, 200, j);
}

static void
h_checks(struct http_req *r, void *app)
{
	const struct api_ctx *c = ctx_of(r);
	const char *agent = http_req_arg(r, "agent"), *status = http_req_arg(r, "status");
	const char *err = NULL;
	char *text;
	size_t len;

	(void)app;
	if (agent != NULL && *agent == '\0')
		agent = NULL;
	if (status != NULL && *status == '\0')
		status = NULL;
	if (status != NULL && status_parse(status) < 0) {
		bad_arg(r, "status", "status must be ok, warning, critical, unknown or nodata");
		return;
	}
	if (store_q_checks_text(c->st, agent, status, (int64_t)time(NULL), &text, &len, &err) < 0)
		store_failed(r, "checks", err);
	else
		http_reply(r, 200, "application/json", text, len);
}

static void
h_violations(struct http_req *r, void *app)
{
	const struct api_ctx *c = ctx_of(r);
	const char *err = NULL;
	long long open, limit;

	(void)app;
	if (arg_int(r, "open", 0, 1, 0, &open) < 0 || arg_int(r, "limit", 1, 10000, 100, &limit) < 0)
		return;
	reply_doc(r, "violations",
		  store_q_violations(c->st, (int)open, (int64_t)time(NULL), (size_t)limit, &err), err);
}

static void
h_findings(struct http_req *r, void *app)
{
	const struct api_ctx *c = ctx_of(r);
	const char *err = NULL;

	(void)app;
	reply_doc(r, "findings", store_q_findings(c->st, (int64_t)time(NULL), &err), err);
}

static void
h_history(struct http_req *r, void *app)
{
	const struct api_ctx *c = ctx_of(r);
	const char *agent = http_req_arg(r, "agent"), *check = http_req_arg(r, "check");
	const char *err = NULL;
	int64_t now = (int64_t)time(NULL);
	long long from, to, limit;

	(void)app;
	if (agent == NULL || *agent == '\0') {
		bad_arg(r, "agent", "agent is required");
		return;
	}
	if (check == NULL || *check == '\0') {
		bad_arg(r, "check", "check is required");
		return;
	}
	if (arg_int(r, "from", 0, INT64_MAX / 2, now - 86400, &from) < 0 ||
	    arg_int(r, "to", 0, INT64_MAX / 2, now + 1, &to) < 0 ||
	    arg_int(r, "limit", 1, 100000, 1000, &limit) < 0)
		return;
	if (to < from) {
		bad_arg(r, "to", "to must not be before from");
		return;
	}
	reply_doc(r, "history",
		  store_q_history(c->st, agent, check, from, to, (size_t)limit, &err), err);
}

static const char *
service_state(const struct sla_result *res)
{
	if (res->nsegs == 0)
		return "nodata";
	return sla_seg_name(res->segs[res->nsegs - 1].seg);
}

static json_t *
opt_real(int has, double v)
{
	return has ? json_real(v) : json_null();
}

static void
h_services(struct http_req *r, void *app)
{
	const struct api_ctx *c = ctx_of(r);
	int64_t now = (int64_t)time(NULL);
	struct sla_report rep;
	const char *err = NULL;
	struct caltm tm;
	json_t *j;

	(void)app;
	caltime_fields(now, &tm);
	if (slarun_month(c->cfg, c->st, tm.year, tm.month, now, NULL, &rep, &err) < 0) {
		store_failed(r, "services", err);
		return;
	}
	j = json_array();
	for (size_t i = 0; i < rep.n; i++) {
		const struct sla_service_report *s = &rep.v[i];
		json_t *comps = json_array();

		for (size_t k = 0; k < s->ncomponents; k++)
			json_array_append_new(comps, json_string(s->components[k]));
		json_array_append_new(
			j, json_pack("{s:s, s:s, s:f, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:b, s:I, s:o}",
				     "id", s->svc->id, "name", s->svc->name ? s->svc->name : s->svc->id,
				     "target", s->svc->target, "hours",
				     s->svc->hours_name ? s->svc->hours_name : "24x7", "month",
				     rep.month_name, "state", service_state(&s->r), "availability",
				     opt_real(s->r.has_availability, s->r.availability),
				     "availability_total",
				     opt_real(s->r.has_availability_total, s->r.availability_total),
				     "budget_s", (json_int_t)s->r.budget_s, "budget_left_s",
				     (json_int_t)s->r.budget_left_s, "met", s->r.met, "incidents",
				     (json_int_t)s->r.nincidents, "components", comps));
	}
	slarun_free(&rep);
	http_reply_json(r, 200, j);
}

/* /api/v1/services/ID/timeline?month=YYYY-MM */
static void
h_service_timeline(struct http_req *r, void *app)
{
	static const char prefix[] = "/api/v1/services/", suffix[] = "/timeline";
	const struct api_ctx *c = ctx_of(r);
	const char *path = http_req_path(r) + sizeof(prefix) - 1, *err = NULL;
	size_t plen = strlen(path), slen = sizeof(suffix) - 1;
	int64_t now = (int64_t)time(NULL);
	struct sla_report rep;
	json_t *doc, *fig, *segs, *inc, *j;
	char *id;
	int y, mo;

	(void)app;
	if (plen <= slen || strcmp(path + plen - slen, suffix) != 0) {
		http_reply_error(r, 404, "no such resource", NULL);
		return;
	}
	id = xstrndup(path, plen - slen);
	if (collector_config_service(c->cfg, id) == NULL) {
		free(id);
		http_reply_error(r, 404, "no such service", NULL);
		return;
	}
	if (arg_month(r, now, &y, &mo) < 0) {
		free(id);
		return;
	}
	if (slarun_month(c->cfg, c->st, y, mo, now, id, &rep, &err) < 0) {
		free(id);
		store_failed(r, "timeline", err);
		return;
	}
	free(id);
	doc = slareport_json(&rep);
	fig = json_array_get(json_object_get(doc, "services"), 0);
	segs = json_array();
	if (rep.n > 0)
		for (size_t i = 0; i < rep.v[0].r.nsegs; i++) {
			const struct sla_seg_span *g = &rep.v[0].r.segs[i];
			json_array_append_new(segs, json_pack("{s:I, s:I, s:s}", "start",
							      (json_int_t)g->start, "end",
							      (json_int_t)g->end, "kind",
							      sla_seg_name(g->seg)));
		}
	inc = fig != NULL ? json_object_get(fig, "incidents") : NULL;
	inc = inc != NULL ? json_incref(inc) : json_array();
	fig = fig != NULL ? json_incref(fig) : json_null();
	j = json_pack("{s:s, s:s, s:b, s:I, s:I, s:o, s:o, s:o}", "month", rep.month_name,
		      "timezone", rep.timezone ? rep.timezone : "UTC", "complete", rep.complete,
		      "start", (json_int_t)rep.start, "end", (json_int_t)rep.end, "segments", segs,
		      "incidents", inc, "figures", fig);
	json_decref(doc);
	slarun_free(&rep);
	http_reply_json(r, 200, j);
}

/* A report document (takes text) with the type of its format; an HTML
   report may use its inline styles. */
static void
reply_report(struct http_req *r, int format, char *text, size_t len)
{
	if (format == SLAREPORT_HTML)
		http_reply_header(r, "Content-Security-Policy", CSP_REPORT);
	http_reply(r, 200,
		   format == SLAREPORT_HTML  ? "text/html; charset=utf-8"
		   : format == SLAREPORT_CSV ? "text/csv; charset=utf-8"
					     : "application/json",
		   text, len);
}

static void
h_sla(struct http_req *r, void *app)
{
	const struct api_ctx *c = ctx_of(r);
	const char *fs = http_req_arg(r, "format"), *err = NULL;
	int64_t now = (int64_t)time(NULL);
	struct sla_report rep;
	int y, mo, f = SLAREPORT_JSON;
	char *text;

	(void)app;
	if (fs != NULL && *fs != '\0' && (f = slareport_format_parse(fs)) < 0) {
		bad_arg(r, "format", "format must be json, csv or html");
		return;
	}
	if (arg_month(r, now, &y, &mo) < 0)
		return;
	if (slarun_month(c->cfg, c->st, y, mo, now, NULL, &rep, &err) < 0) {
		store_failed(r, "sla", err);
		return;
	}
	if (f == SLAREPORT_JSON) {
		json_t *j = slareport_json(&rep);
		slarun_free(&rep);
		http_reply_json(r, 200, j);
		return;
	}
	text = slareport_render(&rep, (enum slareport_format)f);
	slarun_free(&rep);
	reply_report(r, f, text, text != NULL ? strlen(text) : 0);
}

static void
h_reports(struct http_req *r, void *app)
{
	const struct api_ctx *c = ctx_of(r);
	const char *err = NULL;
	json_t *j;

	(void)app;
	if (c->cfg->reports_dir == NULL) {
		http_reply_json(r, 200, json_array());
		return;
	}
	j = slareport_list(c->cfg, &err);
	reply_doc(r, "reports", j, err);
}

static void
h_report_file(struct http_req *r, void *app)
{
	const struct api_ctx *c = ctx_of(r);
	const char *name = http_req_path(r) + strlen("/api/v1/reports/");
	char *path, *buf, disp[128], month[8];
	int format;
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int fd;

	(void)app;
	if (slareport_file_parse(name, month, &format) < 0 || c->cfg->reports_dir == NULL) {
		http_reply_error(r, 404, "no such report", NULL);
		return;
	}
	path = xasprintf("%s/%s", c->cfg->reports_dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > REPORT_FILE_MAX) {
		if (fd >= 0)
			close(fd);
		http_reply_error(r, 404, "no such report", NULL);
		return;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size && (n = read(fd, buf + len, (size_t)sb.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
	http_reply_header(r, "Content-Disposition", disp);
	reply_report(r, format, buf, len);
}

static const struct http_route routes[] = {
	{ API_INGEST_PATH, 0, HTTP_POST, api_ingest_precheck, api_ingest_handle },
	{ "/healthz", 0, HTTP_GET, NULL, h_healthz },
	{ "/metrics", 0, HTTP_GET, NULL, h_metrics },
	{ "/api/v1/agents", 0, HTTP_GET, NULL, h_agents },
	{ "/api/v1/checks", 0, HTTP_GET, NULL, h_checks },
	{ "/api/v1/violations", 0, HTTP_GET, NULL, h_violations },
	{ "/api/v1/findings", 0, HTTP_GET, NULL, h_findings },
	{ "/api/v1/history", 0, HTTP_GET, NULL, h_history },
	{ "/api/v1/services", 0, HTTP_GET, NULL, h_services },
	{ "/api/v1/services/", 1, HTTP_GET, NULL, h_service_timeline },
	{ "/api/v1/sla", 0, HTTP_GET, NULL, h_sla },
	{ "/api/v1/reports", 0, HTTP_GET, NULL, h_reports },
	{ "/api/v1/reports/", 1, HTTP_GET, NULL, h_report_file },
};

static struct http_route *all_routes;
static size_t nall_routes;
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

static void
all_build(void)
{
	const struct http_route *part[3];
	size_t np[3], i, k = 0;

	part[0] = routes;
	np[0] = sizeof(routes) / sizeof(routes[0]);
	part[1] = webui_routes(&np[1]);
	part[2] = admin_routes(&np[2]);
	all_routes = xcalloc(np[0] + np[1] + np[2], sizeof(*all_routes));
	for (i = 0; i < 3; i++) {
		memcpy(all_routes + k, part[i], np[i] * sizeof(*all_routes));
		k += np[i];
	}
	nall_routes = k;
}

const struct http_route *
api_routes(size_t *n_r)
{
	pthread_once(&all_once, all_build);
	*n_r = nall_routes;
	return all_routes;
}
