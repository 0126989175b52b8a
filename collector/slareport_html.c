/*
 * slareport_html.c - the SLA report as one self-contained, printable HTML
 * page (SPEC 3.5): summary table, a timeline per service (inline SVG),
 * the incidents and the policy in force.
 *
 * No script, no external asset, no web font: the page is mailed and
 * archived and must look the same years later, offline.  Every text that
 * comes from the config or the store (service names, ids, component
 * names, the time zone) is HTML-escaped.  Times are local wall clock in
 * the configured zone (the process zone, see caltime.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caltime.h"
#include "jsonout.h"
#include "slareport.h"
#include "xmalloc.h"

/* SVG user units across a timeline. */
#define TL_W 1000.0
/* Narrowest drawn width of a down segment, so that a one-minute outage
   in a 31-day month (0.02 units) still shows as a thin line. */
#define TL_MIN_DOWN 2.0

struct hbuf {
	char *s;
	size_t len, cap;
};

static void
hb_add(struct hbuf *b, const char *s, size_t n)
{
	b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
hb_str(struct hbuf *b, const char *s)
{
	hb_add(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) hb_printf(struct hbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	hb_str(b, s);
	free(s);
}

/* Text escaped for element content and quoted attribute values. */
static void
hb_esc(struct hbuf *b, const char *s)
{
	const char *p, *run = s;

	for (p = s; *p != '\0'; p++) {
		const char *rep;

		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		hb_add(b, run, (size_t)(p - run));
		hb_str(b, rep);
		run = p + 1;
	}
	hb_add(b, run, (size_t)(p - run));
}

static const char *const month_names[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

/* "2026-10-10 22:00" (local; seconds only when not zero). */
static void
fmt_local(int64_t t, char *buf, size_t size)
{
	struct caltm tm;

	caltime_fields(t, &tm);
	if (tm.sec != 0)
		snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d", tm.year, tm.month, tm.day,
		         tm.hour, tm.min, tm.sec);
	else
		snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", tm.year, tm.month, tm.day, tm.hour,
		         tm.min);
}

/* A duration for people: "2 d 3 h", "1 h 05 min", "10 min", "45 s". */
static void
fmt_dur(int64_t s, char *buf, size_t size)
{
	const char *sign = s < 0 ? "−" : "";
	int64_t a = s < 0 ? -s : s;

	if (a >= 86400)
		snprintf(buf, size, "%s%lld d %lld h", sign, (long long)(a / 86400),
		         (long long)(a % 86400 / 3600));
	else if (a >= 3600)
		snprintf(buf, size, "%s%lld h %02lld min", sign, (long long)(a / 3600),
		         (long long)(a % 3600 / 60));
	else if (a >= 60)
		snprintf(buf, size, "%s%lld min %02lld s", sign, (long long)(a / 60),
		         (long long)(a % 60));
	else
		snprintf(buf, size, "%s%lld s", sign, (long long)a);
}

static void
fmt_pct(double v, int has, char *buf, size_t size)
{
	if (has)
		snprintf(buf, size, "%.3f %%", v);
	else
		snprintf(buf, size, "—");
}

static const char *
require_text(int require, char *buf, size_t size)
{
	if (require == SLA_REQUIRE_ALL)
		return "all components";
	if (require == SLA_REQUIRE_ANY)
		return "any component";
	snprintf(buf, size, "at least %d components", require);
	return buf;
}

static const char *const seg_label[] = {
    "up",           "degraded (up, redundancy lost)", "down", "no data", "maintenance",
    "planned down", "outside service hours",
};

static const char css[] =
    "*{box-sizing:border-box}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:#1f2933;margin:24px auto;max-width:1100px;padding:0 16px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;"
    "border-bottom:2px solid #cbd2d9;padding-bottom:3px}"
    "h3{font-size:14px;margin:14px 0 6px}"
    ".sub{color:#52606d;margin:0 0 16px}"
    ".badge{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;"
    "font-weight:600}.b-ok{background:#e3f9e5;color:#0e5814}"
    ".b-warn{background:#fff3c4;color:#8d2b0b}.b-bad{background:#ffe3e3;color:#8a041a}"
    "table{border-collapse:collapse;width:100%;margin:6px 0 10px}"
    "th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top}"
    "th{background:#f5f7fa;font-weight:600}td.n,th.n{text-align:right;"
    "font-variant-numeric:tabular-nums}"
    ".met{color:#0e7c26;font-weight:700}.miss{color:#c81e1e;font-weight:700}"
    ".na{color:#7b8794}"
    ".figs{display:flex;flex-wrap:wrap;gap:4px 22px;margin:4px 0 8px;color:#3e4c59}"
    ".figs b{color:#1f2933}"
    "svg.tl{width:100%;height:auto;display:block;margin:4px 0}"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;color:#52606d;"
    "margin:2px 0 8px}.legend i{display:inline-block;width:12px;height:12px;"
    "vertical-align:-2px;margin-right:4px;border:1px solid #9aa5b1}"
    ".s-up{fill:#3ebd5d;background:#3ebd5d}.s-degraded{fill:#f0b429;background:#f0b429}"
    ".s-down{fill:#e12d39;background:#e12d39}.s-nodata{fill:#9aa5b1;background:#9aa5b1}"
    ".s-maintenance{fill:#5d9cec;background:#5d9cec}"
    ".s-planned_down{fill:#7b4fd0;background:#7b4fd0}"
    ".s-outside{fill:#e4e7eb;background:#e4e7eb}.s-future{fill:#fff;background:#fff}"
    "code{font:12px ui-monospace,'DejaVu Sans Mono',monospace;background:#f5f7fa;"
    "padding:0 3px;border-radius:3px}"
    "section.svc{margin-top:10px}"
    "footer{margin-top:32px;padding-top:8px;border-top:1px solid #cbd2d9;color:#7b8794;"
    "font-size:12px}"
    "@media print{body{margin:0;max-width:none;font-size:10pt}"
    "h2{page-break-after:avoid}section.svc{page-break-inside:avoid}"
    "table,svg.tl{page-break-inside:avoid}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "@page{size:A4 landscape;margin:12mm}}";

static void
summary_row(struct hbuf *b, const struct sla_service_report *s, size_t idx)
{
	const struct sla_result *r = &s->r;
	char buf[64];
	int64_t used = r->budget_s - r->budget_left_s;

	hb_printf(b, "<tr><td><a href=\"#svc-%zu\">", idx);
	hb_esc(b, s->svc->name != NULL ? s->svc->name : s->svc->id);
	hb_str(b, "</a> <code>");
	hb_esc(b, s->svc->id);
	hb_printf(b, "</code></td><td class=\"n\">%.15g %%</td>", s->svc->target);
	fmt_pct(r->availability, r->has_availability, buf, sizeof(buf));
	hb_printf(b, "<td class=\"n\">%s</td>", buf);
	if (!r->has_availability)
		hb_str(b, "<td class=\"na\">n/a</td>");
	else if (r->met)
		hb_str(b, "<td class=\"met\">✓ met</td>");
	else
		hb_str(b, "<td class=\"miss\">✗ missed</td>");
	fmt_dur(used, buf, sizeof(buf));
	if (r->budget_s > 0)
		hb_printf(b, "<td class=\"n\">%s (%.0f %%)</td>", buf,
		          100.0 * (double)used / (double)r->budget_s);
	else
		hb_printf(b, "<td class=\"n\">%s</td>", buf);
	fmt_dur(r->budget_left_s, buf, sizeof(buf));
	hb_printf(b, "<td class=\"n%s\">%s</td>", r->budget_left_s < 0 ? " miss" : "", buf);
	hb_printf(b, "<td class=\"n\">%zu</td>", r->nincidents);
	if (r->nincidents > 0) {
		fmt_dur(r->mttr_s, buf, sizeof(buf));
		hb_printf(b, "<td class=\"n\">%s</td></tr>\n", buf);
	} else {
		hb_str(b, "<td class=\"n na\">—</td></tr>\n");
	}
}

/* x coordinate of instant t on an axis [a0, a1). */
static double
tl_x(int64_t t, int64_t a0, int64_t a1)
{
	if (t <= a0)
		return 0.0;
	if (t >= a1)
		return TL_W;
	return TL_W * (double)(t - a0) / (double)(a1 - a0);
}

/* The timeline of one service over the axis [a0, a1) (the whole month,
   also for the current one: what has not happened yet is left blank). */
static void
timeline(struct hbuf *b, const struct sla_report *rep, const struct sla_service_report *s,
         int64_t a0, int64_t a1)
{
	const double bar_y = 4, bar_h = 28;
	struct caltm tm;
	char t1[32], t2[32];
	int64_t day;
	size_t i;
	int k, ndays = 0;

	hb_str(b, "<svg class=\"tl\" viewBox=\"0 0 1000 50\" xmlns=\"http://www.w3.org/2000/svg\" "
	          "role=\"img\" aria-label=\"timeline of ");
	hb_esc(b, s->svc->id);
	hb_str(b, "\">");
	hb_printf(b, "<rect class=\"s-future\" x=\"0\" y=\"%g\" width=\"%g\" height=\"%g\"/>",
	          bar_y, TL_W, bar_h);
	for (i = 0; i < s->r.nsegs; i++) {
		const struct sla_seg_span *g = &s->r.segs[i];
		double x0 = tl_x(g->start, a0, a1), x1 = tl_x(g->end, a0, a1);
		int seg = g->seg >= SEG_UP && g->seg <= SEG_OUTSIDE ? g->seg : SEG_NODATA;

		if ((seg == SEG_DOWN || seg == SEG_MAINT_DOWN) && x1 - x0 < TL_MIN_DOWN)
			x1 = x0 + TL_MIN_DOWN;
		if (x1 <= x0)
			continue;
		fmt_local(g->start, t1, sizeof(t1));
		fmt_local(g->end, t2, sizeof(t2));
		hb_printf(b,
		          "<rect class=\"s-%s\" x=\"%.2f\" y=\"%g\" width=\"%.2f\" height=\"%g\">"
		          "<title>%s – %s %s</title></rect>",
		          sla_seg_name(seg), x0, bar_y, x1 - x0, bar_h, t1, t2, seg_label[seg]);
	}
	hb_printf(b,
	          "<rect x=\"0\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
	          "stroke=\"#7b8794\" stroke-width=\"0.6\"/>",
	          bar_y, TL_W, bar_h);
	/* a tick at each local midnight; labels on every day of a month,
	   fewer on longer periods */
	caltime_fields(a0, &tm);
	for (k = 0;; k++) {
		day = caltime_local(tm.year, tm.month, tm.day + k, 0, 0);
		if (day >= a1)
			break;
		ndays++;
	}
	for (k = 0; k <= ndays; k++) {
		struct caltm dt;
		double x;

		day = caltime_local(tm.year, tm.month, tm.day + k, 0, 0);
		if (day < a0 || day > a1)
			continue;
		x = tl_x(day, a0, a1);
		caltime_fields(day, &dt);
		hb_printf(b,
		          "<line x1=\"%.2f\" y1=\"%g\" x2=\"%.2f\" y2=\"%g\" stroke=\"#52606d\" "
		          "stroke-width=\"0.5\"/>",
		          x, bar_y + bar_h, x, bar_y + bar_h + (dt.wday == 1 ? 6.0 : 3.0));
		if (day < a1 && (ndays <= 35 || dt.day == 1 || dt.day % 7 == 1))
			hb_printf(b,
			          "<text x=\"%.2f\" y=\"47\" font-size=\"9\" fill=\"#52606d\" "
			          "font-family=\"sans-serif\">%d</text>",
			          x + 1.5, dt.day);
	}
	if (!rep->complete && rep->end < a1) {
		double x = tl_x(rep->end, a0, a1);

		hb_printf(
		    b,
		    "<line x1=\"%.2f\" y1=\"1\" x2=\"%.2f\" y2=\"%g\" stroke=\"#1f2933\" "
		    "stroke-width=\"1.2\" stroke-dasharray=\"2 1.5\"><title>now</title></line>",
		    x, x, bar_y + bar_h + 3);
	}
	hb_str(b, "</svg>\n");
}

static void
legend(struct hbuf *b)
{
	int k;

	hb_str(b, "<div class=\"legend\">");
	for (k = SEG_UP; k <= SEG_OUTSIDE; k++)
		hb_printf(b, "<span><i class=\"s-%s\"></i>%s</span>", sla_seg_name(k),
		          seg_label[k]);
	hb_str(b, "</div>\n");
}

/* A printed page lists at most this many incidents per service: the
   longest ones, in time order (the JSON and CSV reports carry them all). */
#define HTML_INCIDENTS_MAX 100

/* Longest counted down time first; the earlier one first on a tie
   (arg: the incident array). */
static int
by_down_desc(const void *a, const void *b, void *arg)
{
	const struct sla_incident *base = arg;
	const struct sla_incident *x = &base[*(const size_t *)a];
	const struct sla_incident *y = &base[*(const size_t *)b];

	if (x->down_s != y->down_s)
		return x->down_s > y->down_s ? -1 : 1;
	return (x->start > y->start) - (x->start < y->start);
}

static int
by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static void
incidents(struct hbuf *b, const struct sla_service_report *s)
{
	const struct sla_result *r = &s->r;
	char t1[32], t2[32], d[48], dd[48];
	size_t i, j, n = r->nincidents, *pick;

	hb_str(b, "<h3>Incidents</h3>\n");
	if (r->nincidents == 0) {
		hb_str(b, "<p class=\"na\">No incident in this period.</p>\n");
		return;
	}
	pick = xcalloc(n, sizeof(*pick));
	for (i = 0; i < n; i++)
		pick[i] = i;
	if (n > HTML_INCIDENTS_MAX) {
		qsort_r(pick, n, sizeof(*pick), by_down_desc, r->incidents);
		n = HTML_INCIDENTS_MAX;
		qsort(pick, n, sizeof(*pick), by_index);
		hb_printf(b, "<p class=\"na\">%zu incidents in all; the %d with the longest counted "
			  "down time are listed here, in time order. The CSV and JSON reports "
			  "list every incident.</p>\n", r->nincidents, HTML_INCIDENTS_MAX);
	}
	hb_str(b, "<table><thead><tr><th class=\"n\">#</th><th>Start</th><th>End</th>"
	          "<th class=\"n\">Duration</th><th class=\"n\">Counted down</th>"
	          "<th>Components down at the start</th></tr></thead><tbody>\n");
	for (size_t k = 0; k < n; k++) {
		const struct sla_incident *x = &r->incidents[pick[k]];

		i = pick[k];

		fmt_local(x->start, t1, sizeof(t1));
		fmt_local(x->end, t2, sizeof(t2));
		fmt_dur(x->end - x->start, d, sizeof(d));
		fmt_dur(x->down_s, dd, sizeof(dd));
		hb_printf(
		    b,
		    "<tr><td class=\"n\">%zu</td><td>%s</td><td>%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td><td>",
		    i + 1, t1, t2, d, dd);
		for (j = 0; j < x->ncomponents; j++) {
			hb_str(b, j > 0 ? " <code>" : "<code>");
			hb_esc(b, x->components[j]);
			hb_str(b, "</code>");
		}
		if (x->ncomponents == 0)
			hb_str(b, "<span class=\"na\">none matched</span>");
		hb_str(b, "</td></tr>\n");
	}
	hb_str(b, "</tbody></table>\n");
	free(pick);
}

static void
policy(struct hbuf *b, const struct sla_service_report *s)
{
	const struct cc_service *v = s->svc;
	char buf[48];
	size_t i;

	hb_str(b, "<h3>Policy in force</h3>\n<table><tbody>\n");
	hb_printf(b, "<tr><th>Target</th><td>%.15g %% availability</td></tr>\n", v->target);
	hb_str(b, "<tr><th>Service hours</th><td>");
	hb_esc(b, v->hours_name != NULL ? v->hours_name : "24x7");
	hb_printf(b, "</td></tr>\n<tr><th>Service is up when</th><td>%s are up</td></tr>\n",
	          require_text(v->require, buf, sizeof(buf)));
	hb_printf(b, "<tr><th>A warning counts as</th><td>%s</td></tr>\n",
	          sla_comp_state_name(v->policy.warning));
	hb_printf(b, "<tr><th>An unknown counts as</th><td>%s</td></tr>\n",
	          sla_comp_state_name(v->policy.unknown));
	hb_printf(b, "<tr><th>Time without data</th><td>%s</td></tr>\n",
	          sla_nodata_policy_name(v->policy.nodata));
	hb_printf(b, "<tr><th>Maintenance windows</th><td>%s</td></tr>\n",
	          sla_maint_policy_name(v->policy.maintenance));
	hb_str(b, "<tr><th>Component selectors</th><td>");
	for (i = 0; i < v->ncomponents; i++) {
		hb_str(b, i > 0 ? " <code>" : "<code>");
		hb_esc(b, v->components[i].text != NULL ? v->components[i].text : "?");
		hb_str(b, "</code>");
	}
	hb_printf(b, "</td></tr>\n<tr><th>Matched components (%zu)</th><td>", s->ncomponents);
	for (i = 0; i < s->ncomponents; i++) {
		hb_str(b, i > 0 ? " <code>" : "<code>");
		hb_esc(b, s->components[i]);
		hb_str(b, "</code>");
	}
	if (s->ncomponents == 0)
		hb_str(b, "<span class=\"miss\">none: the service counts as without data</span>");
	hb_str(b, "</td></tr>\n</tbody></table>\n");
}

static void
figures(struct hbuf *b, const struct sla_service_report *s)
{
	const struct sla_result *r = &s->r;
	struct {
		const char *label;
		int64_t v;
	} f[] = {
	    {"scheduled", r->scheduled_s},
	    {"maintenance", r->maintenance_s},
	    {"up", r->up_s},
	    {"down", r->down_s},
	    {"no data", r->nodata_s},
	    {"degraded", r->degraded_s},
	    {"planned down", r->planned_down_s},
	    {"budget", r->budget_s},
	    {"budget left", r->budget_left_s},
	};
	char buf[48];
	size_t i;

	hb_str(b, "<div class=\"figs\">");
	fmt_pct(r->availability, r->has_availability, buf, sizeof(buf));
	hb_printf(b, "<span>availability <b>%s</b></span>", buf);
	fmt_pct(r->availability_total, r->has_availability_total, buf, sizeof(buf));
	hb_printf(b, "<span>incl. no data <b>%s</b></span>", buf);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		fmt_dur(f[i].v, buf, sizeof(buf));
		hb_printf(b, "<span>%s <b>%s</b></span>", f[i].label, buf);
	}
	if (r->nincidents > 0) {
		fmt_dur(r->mttr_s, buf, sizeof(buf));
		hb_printf(b, "<span>MTTR <b>%s</b></span>", buf);
		fmt_dur(r->mtbf_s, buf, sizeof(buf));
		hb_printf(b, "<span>MTBF <b>%s</b></span>", buf);
	}
	hb_str(b, "</div>\n");
}

char *
slareport_html(const struct sla_report *r)
{
	struct hbuf b = {0};
	char t1[32], t2[32], gen[32];
	int64_t a0 = r->start, a1 = r->end;
	size_t i, met = 0, missed = 0;

	if (r->year > 0)
		caltime_month(r->year, r->month, &a0, &a1);
	if (a1 <= a0)
		a1 = a0 + 1;
	for (i = 0; i < r->n; i++) {
		if (!r->v[i].r.has_availability)
			continue;
		if (r->v[i].r.met)
			met++;
		else
			missed++;
	}

	hb_str(&b,
	       "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>");
	if (r->year > 0)
		hb_printf(&b, "SLA report %s", r->month_name);
	else
		hb_str(&b, "SLA report");
	hb_str(&b, " (");
	hb_esc(&b, r->timezone != NULL ? r->timezone : "UTC");
	hb_printf(&b, ")</title>\n<style>%s</style>\n</head><body>\n<header>\n<h1>", css);
	if (r->year > 0 && r->month >= 1 && r->month <= 12)
		hb_printf(&b, "SLA report %s %d", month_names[r->month - 1], r->year);
	else
		hb_str(&b, "SLA report");
	hb_str(&b, r->complete ? " <span class=\"badge b-ok\">complete</span>"
	                       : " <span class=\"badge b-warn\">incomplete</span>");
	hb_str(&b, "</h1>\n<p class=\"sub\">");
	fmt_local(r->start, t1, sizeof(t1));
	fmt_local(r->end, t2, sizeof(t2));
	hb_printf(&b, "Period %s – %s, time zone ", t1, t2);
	hb_esc(&b, r->timezone != NULL ? r->timezone : "UTC");
	if (!r->complete)
		hb_str(&b, ". The period is still running: figures stop at the time of generation");
	hb_printf(&b, ". %zu service%s: %zu met the target, %zu missed it%s.</p>\n</header>\n",
	          r->n, r->n == 1 ? "" : "s", met, missed,
	          met + missed < r->n ? ", the others have no eligible time" : "");

	hb_str(&b, "<h2>Summary</h2>\n<table class=\"summary\"><thead><tr><th>Service</th>"
	           "<th class=\"n\">Target</th><th class=\"n\">Availability</th><th>Met</th>"
	           "<th class=\"n\">Budget used</th><th class=\"n\">Budget left</th>"
	           "<th class=\"n\">Incidents</th><th class=\"n\">MTTR</th></tr></thead><tbody>\n");
	for (i = 0; i < r->n; i++)
		summary_row(&b, &r->v[i], i);
	if (r->n == 0)
		hb_str(&b,
		       "<tr><td colspan=\"8\" class=\"na\">No service is configured.</td></tr>\n");
	hb_str(&b, "</tbody></table>\n");

	for (i = 0; i < r->n; i++) {
		const struct sla_service_report *s = &r->v[i];

		hb_printf(&b, "<section class=\"svc\" id=\"svc-%zu\">\n<h2>", i);
		hb_esc(&b, s->svc->name != NULL ? s->svc->name : s->svc->id);
		hb_str(&b, " <code>");
		hb_esc(&b, s->svc->id);
		hb_str(&b, "</code></h2>\n");
		figures(&b, s);
		timeline(&b, r, s, a0, a1);
		legend(&b);
		incidents(&b, s);
		policy(&b, s);
		hb_str(&b, "</section>\n");
	}

	jsonout_iso8601(r->generated * 1000, gen, sizeof(gen));
	fmt_local(r->generated, t1, sizeof(t1));
	hb_printf(&b, "<footer>Generated %s (%s", gen, t1);
	hb_str(&b, " ");
	hb_esc(&b, r->timezone != NULL ? r->timezone : "UTC");
	hb_str(&b, ") by mxsla-collector " PACKAGE_VERSION ". Availability = up ÷ (up + down) "
	           "over the eligible time (service hours minus maintenance, per the policy); "
	           "budget = the downtime the target allows.</footer>\n</body></html>\n");
	return b.s;
}
