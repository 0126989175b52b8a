/*
 * slareport.c - the SLA report as JSON (SPEC 3.5) and CSV, the format
 * names, and the list of reports written to reports.dir.
 *
 * JSON: the keys of SPEC 3.5 in its order, then extensions ("start" and
 * "end" of the period at the top; "hours", "require" and "components" per
 * service).  availability and availability_total are rounded to three
 * decimals; figures that do not exist (no eligible time, no incident) are
 * null.  Reals must be printed with JSON_REAL_PRECISION(15) (as
 * slareport_render does), or jansson prints 99.9 as 99.900000000000006.
 *
 * CSV: RFC 4180 (CRLF line ends, fields quoted when they hold a comma, a
 * quote, CR or LF), one row per service, an empty field for null.
 *
 * The HTML page is in slareport_html.c, writing and mailing in
 * slareport_monthly.c.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "caltime.h"
#include "jsonout.h"
#include "log.h"
#include "slareport.h"
#include "xmalloc.h"

/* A report file bigger than this is not opened by slareport_list. */
#define SLAREPORT_LIST_JSON_MAX (64u << 20)

static _Thread_local char slareport_err[512];

int
slareport_format_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "json") == 0)
		return SLAREPORT_JSON;
	if (strcmp(s, "csv") == 0)
		return SLAREPORT_CSV;
	if (strcmp(s, "html") == 0)
		return SLAREPORT_HTML;
	return -1;
}

/* Percentages are shown with three decimals (99.953). */
static double
round3(double v)
{
	return round(v * 1000.0) / 1000.0;
}

static json_t *
require_json(int require)
{
	if (require == SLA_REQUIRE_ALL)
		return json_string("all");
	if (require == SLA_REQUIRE_ANY)
		return json_string("any");
	return json_integer(require);
}

static json_t *
policy_json(const struct sla_policy *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "warning", json_string(sla_comp_state_name(p->warning)));
	json_object_set_new(o, "unknown", json_string(sla_comp_state_name(p->unknown)));
	json_object_set_new(o, "nodata", json_string(sla_nodata_policy_name(p->nodata)));
	json_object_set_new(o, "maintenance", json_string(sla_maint_policy_name(p->maintenance)));
	return o;
}

static json_t *
strings_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *
service_json(const struct sla_service_report *s)
{
	const struct sla_result *r = &s->r;
	json_t *o = json_object(), *inc;
	size_t i;

#define SETI(k, v) json_object_set_new(o, k, json_integer((json_int_t)(v)))
	json_object_set_new(o, "id", json_string(s->svc->id));
	json_object_set_new(o, "name",
	                    json_string(s->svc->name != NULL ? s->svc->name : s->svc->id));
	json_object_set_new(o, "target", json_real(s->svc->target));
	json_object_set_new(o, "availability",
	                    r->has_availability ? json_real(round3(r->availability)) : json_null());
	json_object_set_new(o, "availability_total",
	                    r->has_availability_total ? json_real(round3(r->availability_total))
	                                              : json_null());
	json_object_set_new(o, "met", json_boolean(r->met));
	SETI("scheduled_s", r->scheduled_s);
	SETI("maintenance_s", r->maintenance_s);
	SETI("up_s", r->up_s);
	SETI("down_s", r->down_s);
	SETI("nodata_s", r->nodata_s);
	SETI("degraded_s", r->degraded_s);
	SETI("planned_down_s", r->planned_down_s);
	SETI("budget_s", r->budget_s);
	SETI("budget_left_s", r->budget_left_s);
	if (r->nincidents > 0) {
		SETI("mttr_s", r->mttr_s);
		SETI("mtbf_s", r->mtbf_s);
	} else {
		json_object_set_new(o, "mttr_s", json_null());
		json_object_set_new(o, "mtbf_s", json_null());
	}
#undef SETI
	json_object_set_new(o, "policy", policy_json(&s->svc->policy));
	inc = json_array();
	for (i = 0; i < r->nincidents; i++) {
		const struct sla_incident *x = &r->incidents[i];

		json_array_append_new(
		    inc, json_pack("{s:I,s:I,s:I,s:o}", "start", (json_int_t)x->start, "end",
		                   (json_int_t)x->end, "down_s", (json_int_t)x->down_s,
		                   "components", strings_json(x->components, x->ncomponents)));
	}
	json_object_set_new(o, "incidents", inc);
	json_object_set_new(o, "hours",
	                    json_string(s->svc->hours_name != NULL ? s->svc->hours_name : "24x7"));
	json_object_set_new(o, "require", require_json(s->svc->require));
	json_object_set_new(o, "components", strings_json(s->components, s->ncomponents));
	return o;
}

json_t *
slareport_json(const struct sla_report *r)
{
	json_t *o = json_object(), *a = json_array();
	char gen[32];
	size_t i;

	jsonout_iso8601(r->generated * 1000, gen, sizeof(gen));
	json_object_set_new(o, "month",
	                    r->month_name[0] != '\0' ? json_string(r->month_name) : json_null());
	json_object_set_new(o, "timezone", json_string(r->timezone != NULL ? r->timezone : "UTC"));
	json_object_set_new(o, "complete", json_boolean(r->complete));
	json_object_set_new(o, "generated", json_string(gen));
	for (i = 0; i < r->n; i++)
		json_array_append_new(a, service_json(&r->v[i]));
	json_object_set_new(o, "services", a);
	json_object_set_new(o, "start", json_integer((json_int_t)r->start));
	json_object_set_new(o, "end", json_integer((json_int_t)r->end));
	return o;
}

/* ---- CSV ---- */

struct sbuf {
	char *s;
	size_t len, cap;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* One field, quoted when RFC 4180 asks for it, then sep. */
static void
csv_field(struct sbuf *b, const char *s, const char *sep)
{
	if (strpbrk(s, ",\"\r\n") != NULL) {
		const char *p;

		sb_add(b, "\"", 1);
		for (p = s; *p != '\0'; p++) {
			if (*p == '"')
				sb_add(b, "\"", 1);
			sb_add(b, p, 1);
		}
		sb_add(b, "\"", 1);
	} else {
		sb_str(b, s);
	}
	sb_str(b, sep);
}

static void
csv_num(struct sbuf *b, double v, int has, const char *sep)
{
	char buf[64];

	if (has)
		snprintf(buf, sizeof(buf), "%.15g", v);
	else
		buf[0] = '\0';
	csv_field(b, buf, sep);
}

static void
csv_int(struct sbuf *b, int64_t v, int has, const char *sep)
{
	char buf[32];

	if (has)
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
	else
		buf[0] = '\0';
	csv_field(b, buf, sep);
}

char *
slareport_csv(const struct sla_report *r)
{
	struct sbuf b = {0};
	size_t i;

	sb_str(&b, "service,name,target,availability,availability_total,met,scheduled_s,"
	           "maintenance_s,up_s,down_s,nodata_s,degraded_s,planned_down_s,budget_s,"
	           "budget_left_s,incidents,mttr_s,mtbf_s\r\n");
	for (i = 0; i < r->n; i++) {
		const struct sla_service_report *s = &r->v[i];
		const struct sla_result *x = &s->r;
		int inc = x->nincidents > 0;

		csv_field(&b, s->svc->id, ",");
		csv_field(&b, s->svc->name != NULL ? s->svc->name : s->svc->id, ",");
		csv_num(&b, s->svc->target, 1, ",");
		csv_num(&b, round3(x->availability), x->has_availability, ",");
		csv_num(&b, round3(x->availability_total), x->has_availability_total, ",");
		csv_field(&b, x->met ? "true" : "false", ",");
		csv_int(&b, x->scheduled_s, 1, ",");
		csv_int(&b, x->maintenance_s, 1, ",");
		csv_int(&b, x->up_s, 1, ",");
		csv_int(&b, x->down_s, 1, ",");
		csv_int(&b, x->nodata_s, 1, ",");
		csv_int(&b, x->degraded_s, 1, ",");
		csv_int(&b, x->planned_down_s, 1, ",");
		csv_int(&b, x->budget_s, 1, ",");
		csv_int(&b, x->budget_left_s, 1, ",");
		csv_int(&b, (int64_t)x->nincidents, 1, ",");
		csv_int(&b, x->mttr_s, inc, ",");
		csv_int(&b, x->mtbf_s, inc, "\r\n");
	}
	return b.s;
}

char *
slareport_render(const struct sla_report *r, enum slareport_format f)
{
	json_t *j;
	char *s, *out;

	switch (f) {
	case SLAREPORT_CSV:
		return slareport_csv(r);
	case SLAREPORT_HTML:
		return slareport_html(r);
	case SLAREPORT_JSON:
	default:
		j = slareport_json(r);
		s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
		json_decref(j);
		if (s == NULL)
			fatalx("slareport: out of memory printing JSON");
		out = xasprintf("%s\n", s);
		free(s);
		return out;
	}
}

/* ---- the reports written to reports.dir ---- */

int
slareport_file_parse(const char *name, char *month, int *fmt_r)
{
	static const char prefix[] = "mxsla-sla-";
	const char *p;
	int y, mo, f;

	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	p = name + sizeof(prefix) - 1;
	if (strlen(p) < 9 || p[7] != '.')
		return -1;
	memcpy(month, p, 7);
	month[7] = '\0';
	if (caltime_parse_month(month, &y, &mo) < 0)
		return -1;
	f = slareport_format_parse(p + 8);
	if (f < 0)
		return -1;
	*fmt_r = f;
	return 0;
}

static int
cmp_month_desc(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "month"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "month"));

	return strcmp(y, x);
}

/* The "complete" flag of a written JSON report (1 when it cannot be read:
   the monthly writer writes finished months only). */
static int
json_file_complete(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat sb;
	json_t *j;
	int c = 1;

	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size < SLAREPORT_LIST_JSON_MAX) {
		j = json_load_file(path, 0, NULL);
		if (j != NULL && json_is_false(json_object_get(j, "complete")))
			c = 0;
		json_decref(j);
	}
	free(path);
	return c;
}

json_t *
slareport_list(const struct collector_config *cfg, const char **error_r)
{
	static const char *const ext[] = {"json", "csv", "html"};
	json_t *byname, *a, *v, **sorted;
	const char *key;
	struct dirent *de;
	DIR *d;
	size_t i, n;

	a = json_array();
	if (cfg->reports_dir == NULL)
		return a;
	d = opendir(cfg->reports_dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return a;
		snprintf(slareport_err, sizeof(slareport_err), "%s: %s", cfg->reports_dir,
		         strerror(errno));
		*error_r = slareport_err;
		json_decref(a);
		return NULL;
	}
	byname = json_object();
	while ((de = readdir(d)) != NULL) {
		char month[8];
		json_t *m;
		int f;

		if (slareport_file_parse(de->d_name, month, &f) < 0)
			continue;
		m = json_object_get(byname, month);
		if (m == NULL) {
			m = json_pack("{s:s,s:{},s:b}", "month", month, "formats", "complete", 1);
			json_object_set_new(byname, month, m);
		}
		json_object_set_new(json_object_get(m, "formats"), ext[f], json_string(de->d_name));
	}
	closedir(d);

	n = json_object_size(byname);
	sorted = xcalloc(n + 1, sizeof(*sorted));
	i = 0;
	json_object_foreach(byname, key, v) sorted[i++] = v;
	qsort(sorted, n, sizeof(*sorted), cmp_month_desc);
	for (i = 0; i < n; i++) {
		json_t *js = json_object_get(json_object_get(sorted[i], "formats"), "json");

		if (js != NULL)
			json_object_set_new(sorted[i], "complete",
			                    json_boolean(json_file_complete(
			                        cfg->reports_dir, json_string_value(js))));
		json_array_append(a, sorted[i]);
	}
	free(sorted);
	json_decref(byname);
	return a;
}
