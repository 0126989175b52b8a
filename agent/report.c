/*
 * report.c - scan reports as text and JSON (HTML is in report_html.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "expr.h"
#include "jsonout.h"
#include "obs.h"
#include "probe.h"
#include "report.h"
#include "rule.h"
#include "strlist.h"
#include "xmalloc.h"

/* Observations with many facts (configuration dumps) only carry the facts
   the rule looked at. */
#define REPORT_ALL_FACTS_MAX 32

static int
finding_cmp(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	int rx = check_status_rank(x->status), ry = check_status_rank(y->status);

	if (rx != ry)
		return rx - ry;
	if (x->check->rule->kind != y->check->rule->kind)
		return x->check->rule->kind - y->check->rule->kind;
	return strcmp(x->check->id, y->check->id);
}

void
report_finish(struct scan_report *r)
{
	if (r->n > 1)
		qsort(r->v, r->n, sizeof(*r->v), finding_cmp);
	memset(r->count, 0, sizeof(r->count));
	for (size_t i = 0; i < r->n; i++)
		r->count[r->v[i].status & 3]++;
}

void
report_free(struct scan_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].message);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

int
report_exit_code(const struct scan_report *r)
{
	if (r->count[ST_CRITICAL] > 0)
		return 2;
	if (r->count[ST_WARNING] > 0)
		return 1;
	return 0;
}

/* Names the rule's expressions refer to, NULL-terminated (xmalloc'd). */
static const char **
rule_names(const struct rule *ru)
{
	const struct expr *ex[3] = { ru->critical, ru->warning, ru->unknown };
	const char **names = NULL;
	size_t n = 0, cap = 0;

	for (int i = 0; i < 3; i++) {
		const char *const *nm;
		unsigned k;
		if (ex[i] == NULL)
			continue;
		k = expr_names(ex[i], &nm);
		names = xgrow(names, &cap, n + k + 1, sizeof(*names));
		for (unsigned j = 0; j < k; j++)
			names[n++] = nm[j];
	}
	names = xgrow(names, &cap, n + 1, sizeof(*names));
	names[n] = NULL;
	return names;
}

json_t *
report_finding_json(const struct finding *f)
{
	const struct rule *ru = f->check->rule;
	json_t *j = json_object();

	json_object_set_new(j, "check", json_string(f->check->id));
	json_object_set_new(j, "rule", json_string(ru->id));
	json_object_set_new(j, "target", json_string(f->check->target->name));
	json_object_set_new(j, "kind", json_string(rule_kind_name(ru->kind)));
	json_object_set_new(j, "status", json_string(check_status_name(f->status)));
	json_object_set_new(j, "title", json_string(ru->title));
	json_object_set_new(j, "message", json_string(f->message ? f->message : ""));
	if (f->obs != NULL) {
		json_object_set_new(j, "metrics", jsonout_metrics(f->obs));
		if (f->obs->nf > REPORT_ALL_FACTS_MAX) {
			const char **names = rule_names(ru);
			json_object_set_new(j, "facts", jsonout_facts(f->obs, names));
			free(names);
		} else {
			json_object_set_new(j, "facts", jsonout_facts(f->obs, NULL));
		}
	} else {
		json_object_set_new(j, "metrics", json_object());
		json_object_set_new(j, "facts", json_object());
	}
	json_object_set_new(j, "advice", json_string(ru->advice));
	if (ru->references.n > 0) {
		json_t *refs = json_array();
		for (size_t i = 0; i < ru->references.n; i++)
			json_array_append_new(refs, json_string(ru->references.v[i]));
		json_object_set_new(j, "references", refs);
	}
	return j;
}

json_t *
report_json(const struct scan_report *r)
{
	json_t *j = json_object(), *sum = json_object(), *arr = json_array(), *roles = json_array();
	char when[32];

	jsonout_iso8601(r->generated_ms, when, sizeof(when));
	json_object_set_new(j, "agent", json_string(r->agent));
	json_object_set_new(j, "site", json_string(r->site));
	for (size_t i = 0; r->roles != NULL && i < r->roles->n; i++)
		json_array_append_new(roles, json_string(r->roles->v[i]));
	json_object_set_new(j, "roles", roles);
	json_object_set_new(j, "generated", json_string(when));
	for (int s = 0; s < 4; s++)
		json_object_set_new(sum, check_status_name(s), json_integer(r->count[s]));
	json_object_set_new(j, "summary", sum);
	for (size_t i = 0; i < r->n; i++)
		json_array_append_new(arr, report_finding_json(&r->v[i]));
	json_object_set_new(j, "findings", arr);
	return j;
}

/* ---- text ---- */

struct style {
	const char *red, *yellow, *magenta, *green, *bold, *dim, *off;
};

static void
print_advice(FILE *fp, const char *advice, const struct style *st)
{
	const char *p = advice, *nl;
	int first = 1;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (nl > p || !first)
			fprintf(fp, "      %s%s%.*s%s\n", st->dim, first ? "Advice: " : "        ",
				(int)(nl - p), p, st->off);
		first = 0;
		p = *nl ? nl + 1 : nl;
	}
}

static void
print_section(FILE *fp, const struct scan_report *r, const char *title, int want_status,
	      int want_kind, int detail, const struct style *st, const char *colour)
{
	size_t shown = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct finding *f = &r->v[i];
		int kind = f->check->rule->kind;

		if (want_status >= 0 && f->status != want_status)
			continue;
		if (want_kind >= 0 && kind != want_kind)
			continue;
		if (want_kind == RULE_BEST_PRACTICE && (f->status == ST_OK || f->status == ST_UNKNOWN))
			continue;
		if (want_kind == RULE_HEALTH && want_status < 0)
			continue;
		if (shown++ == 0)
			fprintf(fp, "\n%s%s%s\n", st->bold, title, st->off);
		if (!detail) {
			fprintf(fp, "  %-44s %s%s%s  %s\n", f->check->id, st->dim, f->message, st->off,
				f->check->rule->title);
			continue;
		}
		fprintf(fp, "  %s[%s]%s %s%s%s  %s\n", colour, check_status_name(f->status), st->off,
			st->bold, f->check->id, st->off, f->check->rule->title);
		fprintf(fp, "      %s\n", f->message);
		if (f->check->rule->advice[0] != '\0')
			print_advice(fp, f->check->rule->advice, st);
	}
}

void
report_text(FILE *fp, const struct scan_report *r, int color)
{
	static const struct style plain = { "", "", "", "", "", "", "" };
	static const struct style ansi = { "\033[31m", "\033[33m", "\033[35m", "\033[32m",
					   "\033[1m", "\033[2m", "\033[0m" };
	const struct style *st = color ? &ansi : &plain;
	char when[32], *roles = NULL;

	jsonout_iso8601(r->generated_ms, when, sizeof(when));
	if (r->roles != NULL && r->roles->n > 0)
		roles = strlist_join(r->roles, ", ");
	fprintf(fp, "%smxsla scan of %s%s", st->bold, r->agent, st->off);
	if (r->site[0] != '\0')
		fprintf(fp, " (site %s)", r->site);
	fprintf(fp, " at %s\n", when);
	if (roles != NULL)
		fprintf(fp, "Roles: %s\n", roles);
	free(roles);
	fprintf(fp, "Summary: %s%u critical%s, %s%u warning%s, %s%u unknown%s, %s%u ok%s\n",
		r->count[ST_CRITICAL] ? st->red : "", r->count[ST_CRITICAL], st->off,
		r->count[ST_WARNING] ? st->yellow : "", r->count[ST_WARNING], st->off,
		r->count[ST_UNKNOWN] ? st->magenta : "", r->count[ST_UNKNOWN], st->off,
		st->green, r->count[ST_OK], st->off);

	/* Health problems first, as ExBPA lists its Critical Issues first. */
	print_section(fp, r, "Critical issues", ST_CRITICAL, RULE_HEALTH, 1, st, st->red);
	print_section(fp, r, "Warnings", ST_WARNING, RULE_HEALTH, 1, st, st->yellow);
	print_section(fp, r, "Best-practice findings", -1, RULE_BEST_PRACTICE, 1, st, st->yellow);
	print_section(fp, r, "Could not be checked", ST_UNKNOWN, -1, 1, st, st->magenta);
	print_section(fp, r, "Informational (ok)", ST_OK, -1, 0, st, st->green);
}
