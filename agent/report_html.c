/*
 * report_html.c - the scan report as one self-contained HTML page: inline
 * style, no script, no external asset; every text from outside is
 * escaped.  Printable.
 */
#include "config.h"

#include <string.h>

#include "check.h"
#include "htmlesc.h"
#include "jsonout.h"
#include "obs.h"
#include "probe.h"
#include "report.h"
#include "rule.h"
#include "strlist.h"

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;"
	"max-width:70em;color:#1d2330;padding:0 1em}"
	"h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;"
	"border-bottom:2px solid #d8dde6;padding-bottom:.2em}"
	".meta{color:#5a6376}.sum span{display:inline-block;padding:.25em .7em;margin-right:.5em;"
	"border-radius:3px;font-weight:600}"
	".critical{background:#fde2e1;color:#9b1c1c}.warning{background:#fff3cd;color:#7a5200}"
	".unknown{background:#ece6f7;color:#553c9a}.ok{background:#e3f5e8;color:#1e6b34}"
	"div.f{border:1px solid #d8dde6;border-left-width:5px;border-radius:3px;padding:.6em .9em;"
	"margin:.6em 0;page-break-inside:avoid}"
	"div.f.critical{border-left-color:#c53030;background:#fff}"
	"div.f.warning{border-left-color:#d69e2e;background:#fff}"
	"div.f.unknown{border-left-color:#805ad5;background:#fff}"
	".id{font-family:ui-monospace,monospace;font-size:.92em}.badge{font-size:.8em;padding:.1em .5em;"
	"border-radius:3px;font-weight:700;text-transform:uppercase;margin-right:.5em}"
	".msg{font-family:ui-monospace,monospace;margin:.3em 0}"
	".advice{white-space:pre-wrap;color:#333c4e;margin:.3em 0}.refs{font-size:.85em;color:#5a6376}"
	"table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3em .5em;"
	"border-bottom:1px solid #e6e9ef;vertical-align:top}th{background:#f3f5f8}"
	"@media print{body{margin:0;max-width:none}}";

static void
finding_block(FILE *fp, const struct finding *f)
{
	const struct rule *ru = f->check->rule;
	const char *st = check_status_name(f->status);

	fprintf(fp, "<div class=\"f %s\"><div><span class=\"badge %s\">%s</span>", st, st, st);
	fputs("<strong>", fp);
	html_escape(fp, ru->title);
	fputs("</strong> <span class=\"id\">", fp);
	html_escape(fp, f->check->id);
	fputs("</span></div><div class=\"msg\">", fp);
	html_escape(fp, f->message ? f->message : "");
	fputs("</div>", fp);
	if (ru->advice[0] != '\0') {
		fputs("<div class=\"advice\">", fp);
		html_escape(fp, ru->advice);
		fputs("</div>", fp);
	}
	if (ru->references.n > 0) {
		fputs("<div class=\"refs\">References: ", fp);
		for (size_t i = 0; i < ru->references.n; i++) {
			if (i > 0)
				fputs("; ", fp);
			html_escape(fp, ru->references.v[i]);
		}
		fputs("</div>", fp);
	}
	fputs("</div>\n", fp);
}

static void
section(FILE *fp, const struct scan_report *r, const char *title, int status, int kind)
{
	size_t shown = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct finding *f = &r->v[i];
		int k = f->check->rule->kind;

		if (kind == RULE_BEST_PRACTICE) {
			if (k != RULE_BEST_PRACTICE || f->status == ST_OK || f->status == ST_UNKNOWN)
				continue;
		} else if (f->status != status || (kind >= 0 && k != kind)) {
			continue;
		}
		if (shown++ == 0) {
			fputs("<h2>", fp);
			html_escape(fp, title);
			fputs("</h2>\n", fp);
		}
		finding_block(fp, f);
	}
}

void
report_html(FILE *fp, const struct scan_report *r)
{
	char when[32];

	jsonout_iso8601(r->generated_ms, when, sizeof(when));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
	      "<title>mxsla scan: ", fp);
	html_escape(fp, r->agent);
	fprintf(fp, "</title><style>%s</style></head><body>\n<h1>mxsla scan of ", css);
	html_escape(fp, r->agent);
	fputs("</h1><p class=\"meta\">", fp);
	if (r->site[0] != '\0') {
		fputs("Site ", fp);
		html_escape(fp, r->site);
		fputs(" &middot; ", fp);
	}
	if (r->roles != NULL && r->roles->n > 0) {
		fputs("Roles ", fp);
		for (size_t i = 0; i < r->roles->n; i++) {
			if (i > 0)
				fputs(", ", fp);
			html_escape(fp, r->roles->v[i]);
		}
		fputs(" &middot; ", fp);
	}
	fprintf(fp, "Generated %s</p>\n<p class=\"sum\">", when);
	fprintf(fp, "<span class=\"critical\">%u critical</span><span class=\"warning\">%u warning</span>"
		"<span class=\"unknown\">%u unknown</span><span class=\"ok\">%u ok</span></p>\n",
		r->count[ST_CRITICAL], r->count[ST_WARNING], r->count[ST_UNKNOWN], r->count[ST_OK]);
	section(fp, r, "Critical issues", ST_CRITICAL, RULE_HEALTH);
	section(fp, r, "Warnings", ST_WARNING, RULE_HEALTH);
	section(fp, r, "Best-practice findings", -1, RULE_BEST_PRACTICE);
	section(fp, r, "Could not be checked", ST_UNKNOWN, -1);
	{
		size_t shown = 0;
		for (size_t i = 0; i < r->n; i++) {
			const struct finding *f = &r->v[i];
			if (f->status != ST_OK)
				continue;
			if (shown++ == 0)
				fputs("<h2>Informational (ok)</h2>\n<table><tr><th>Check</th><th>Title</th>"
				      "<th>Observed</th></tr>\n", fp);
			fputs("<tr><td class=\"id\">", fp);
			html_escape(fp, f->check->id);
			fputs("</td><td>", fp);
			html_escape(fp, f->check->rule->title);
			fputs("</td><td class=\"msg\">", fp);
			html_escape(fp, f->message ? f->message : "");
			fputs("</td></tr>\n", fp);
		}
		if (shown > 0)
			fputs("</table>\n", fp);
	}
	fputs("</body></html>\n", fp);
}
