/*
 * probe_plugin.c - the `plugin` probe: runs a Nagios-compatible check
 * program and turns its exit code, first output line and performance
 * data into a status metric, an output fact and one metric per perfdata
 * label (see plugin.h for the format and the naming).
 *
 * It does not interpret thresholds: warn and crit are passed on for rules
 * to use, the plugin's own verdict is `status`.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfgerr.h"
#include "obs.h"
#include "plugin.h"
#include "probe.h"
#include "schema.h"
#include "strlist.h"
#include "subproc.h"
#include "xmalloc.h"
#include "ytree.h"

struct plugin_conf {
	struct strlist command;
};

static const struct sch_field plugin_fields[] = {
	{ "command", SCH_ARGV, offsetof(struct plugin_conf, command), 1, NULL, 0, 0, NULL },
	SCH_END
};

/* ---- perfdata ----------------------------------------------------------- */

static int plugin_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* s[0..n) as a number: the whole of it (full = 1) or a leading number
   followed by a unit (full = 0).  Returns 0 and *v, or -1. */
static int plugin_number(const char *s, size_t n, int full, double *v)
{
	char buf[64];
	char *end;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!(isdigit((unsigned char)buf[0]) || buf[0] == '-' || buf[0] == '+' || buf[0] == '.'))
		return -1;
	*v = strtod(buf, &end);
	if (end == buf || !isfinite(*v))
		return -1;
	if (full && *end != '\0')
		return -1;
	if (!full && *end != '\0' && !(isalpha((unsigned char)*end) || *end == '%'))
		return -1;
	return 0;
}

static void plugin_perf_error(struct obs *o, const char *what, const char *s, size_t n)
{
	if (obs_get_fact(o, "perfdata_error") == NULL)
		obs_factf(o, "perfdata_error", "%s: %.*s", what, (int)(n > 120 ? 120 : n), s);
}

/* Store LABEL (already sanitised in name[0..nlen)) + suffix. */
static void plugin_metric(struct obs *o, char *name, size_t nlen, const char *suffix, double v)
{
	strcpy(name + nlen, suffix);
	obs_metric(o, name, v);
	name[nlen] = '\0';
}

static void plugin_threshold(struct obs *o, char *name, size_t nlen, const char *suffix,
			     const char *s, size_t n)
{
	double v;

	if (n == 0)
		return;
	strcpy(name + nlen, suffix);
	if (plugin_number(s, n, 1, &v) == 0)
		obs_metric(o, name, v);
	else
		obs_factn(o, name, s, n);
	name[nlen] = '\0';
}

size_t plugin_parse_perfdata(const char *s, size_t len, struct obs *o)
{
	size_t pos = 0, items = 0, values = 0;
	char label[PLUGIN_LABEL_MAX + 1];
	char name[PLUGIN_LABEL_MAX + 16];

	while (pos < len && items < PLUGIN_PERF_MAX) {
		size_t llen = 0, start;

		while (pos < len && plugin_space(s[pos]))
			pos++;
		if (pos >= len)
			break;
		start = pos;
		items++;
		if (s[pos] == '\'') {
			int closed = 0;
			pos++;
			while (pos < len) {
				if (s[pos] == '\'') {
					if (pos + 1 < len && s[pos + 1] == '\'') {
						if (llen < PLUGIN_LABEL_MAX)
							label[llen++] = '\'';
						pos += 2;
						continue;
					}
					pos++;
					closed = 1;
					break;
				}
				if (llen < PLUGIN_LABEL_MAX)
					label[llen++] = s[pos];
				pos++;
			}
			if (!closed) {
				plugin_perf_error(o, "unterminated quoted label", s + start,
						  len - start);
				break;
			}
		} else {
			while (pos < len && s[pos] != '=' && !plugin_space(s[pos])) {
				if (llen < PLUGIN_LABEL_MAX)
					label[llen++] = s[pos];
				pos++;
			}
		}
		if (pos >= len || s[pos] != '=' || llen == 0) {
			while (pos < len && !plugin_space(s[pos]))
				pos++;
			plugin_perf_error(o, "no label=value", s + start, pos - start);
			continue;
		}
		pos++; /* '=' */

		/* value[UOM];warn;crit;min;max up to the next white space */
		const char *field[5] = { NULL, NULL, NULL, NULL, NULL };
		size_t flen[5] = { 0, 0, 0, 0, 0 };
		int nf = 0;
		size_t fstart = pos;
		while (pos <= len) {
			if (pos == len || plugin_space(s[pos]) || s[pos] == ';') {
				if (nf < 5) {
					field[nf] = s + fstart;
					flen[nf] = pos - fstart;
					nf++;
				}
				if (pos == len || plugin_space(s[pos]))
					break;
				fstart = pos + 1;
			}
			pos++;
		}

		size_t nlen = 0;
		for (size_t i = 0; i < llen; i++) {
			unsigned char ch = (unsigned char)label[i];
			int keep = isalnum(ch) || ch == '_' || ch == '.' || ch == '-';
			name[nlen++] = keep ? (char)ch : '_';
		}
		name[nlen] = '\0';
		if (strcmp(name, "status") == 0 || strcmp(name, "output") == 0) {
			memmove(name + 5, name, nlen + 1);
			memcpy(name, "perf_", 5);
			nlen += 5;
		}

		double v;
		if (flen[0] == 1 && field[0][0] == 'U')
			continue; /* undetermined: absent */
		if (plugin_number(field[0], flen[0], 0, &v) < 0) {
			plugin_perf_error(o, "bad value", s + start, pos - start);
			continue;
		}
		obs_metric(o, name, v);
		values++;
		if (nf > 1)
			plugin_threshold(o, name, nlen, "_warn", field[1], flen[1]);
		if (nf > 2)
			plugin_threshold(o, name, nlen, "_crit", field[2], flen[2]);
		if (nf > 3 && plugin_number(field[3], flen[3], 0, &v) == 0)
			plugin_metric(o, name, nlen, "_min", v);
		if (nf > 4 && plugin_number(field[4], flen[4], 0, &v) == 0)
			plugin_metric(o, name, nlen, "_max", v);
	}
	return values;
}

/* ---- output ------------------------------------------------------------- */

static void plugin_trim(const char **s, size_t *n)
{
	while (*n > 0 && plugin_space((*s)[0])) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && plugin_space((*s)[*n - 1]))
		(*n)--;
}

void plugin_parse_output(const char *text, size_t len, struct obs *o)
{
	if (text == NULL || len == 0) {
		obs_fact(o, "output", "");
		return;
	}

	const char *nl = memchr(text, '\n', len);
	size_t first = nl ? (size_t)(nl - text) : len;
	const char *bar = memchr(text, '|', first);
	const char *out = text;
	size_t outlen = bar ? (size_t)(bar - text) : first;
	size_t pos = nl ? first + 1 : len;
	char *longtext = NULL;
	size_t longlen = 0;
	int in_perf = 0;

	plugin_trim(&out, &outlen);
	obs_factn(o, "output", out, outlen);
	if (bar)
		plugin_parse_perfdata(bar + 1, first - (size_t)(bar + 1 - text), o);

	/* further lines: long text until a line with '|', perfdata after it */
	while (pos < len) {
		const char *line = text + pos;
		const char *e = memchr(line, '\n', len - pos);
		size_t n = e ? (size_t)(e - line) : len - pos;

		pos += n + (e ? 1 : 0);
		if (in_perf) {
			plugin_parse_perfdata(line, n, o);
			continue;
		}
		const char *b = memchr(line, '|', n);
		size_t tn = b ? (size_t)(b - line) : n;
		const char *t = line;
		plugin_trim(&t, &tn);
		if (tn > 0 || b == NULL) {
			longtext = xrealloc(longtext, longlen + tn + 2);
			if (longlen > 0)
				longtext[longlen++] = '\n';
			memcpy(longtext + longlen, t, tn);
			longlen += tn;
			longtext[longlen] = '\0';
		}
		if (b) {
			in_perf = 1;
			plugin_parse_perfdata(b + 1, n - (size_t)(b + 1 - line), o);
		}
	}
	if (longtext != NULL) {
		const char *lt = longtext;
		size_t ln = longlen;
		plugin_trim(&lt, &ln);
		if (ln > 0)
			obs_factn(o, "long_output", lt, ln);
	}
	free(longtext);
}

int plugin_status(const struct subproc_result *res, char **why_r)
{
	*why_r = NULL;
	if (res->timed_out || res->signaled || !res->exited) {
		*why_r = subproc_describe(res);
		return 3;
	}
	if (res->status >= 0 && res->status <= 3)
		return res->status;
	*why_r = xasprintf("exit status %d is not a plugin status", res->status);
	return 3;
}

/* ---- the probe ---------------------------------------------------------- */

static const char *const plugin_env[] = { "LC_ALL=C", NULL };

static void plugin_run(const struct target *t, void **state, struct obs *o)
{
	const struct plugin_conf *c = t->conf;
	struct subproc_opts so = { 0 };
	struct subproc_result res;
	char *err = NULL, *why = NULL;
	int status;

	(void)state;
	so.timeout_ms = t->timeout_ms > 0 ? (int)t->timeout_ms : 10000;
	so.max_out = PLUGIN_OUTPUT_MAX;
	so.env = plugin_env;
	if (subproc_run((const char *const *)c->command.v, &so, &res, &err) < 0) {
		obs_error(o, "%s", err ? err : "cannot run the plugin");
		free(err);
		subproc_result_free(&res);
		return;
	}
	status = plugin_status(&res, &why);
	if (res.timed_out || res.signaled) {
		obs_factf(o, "output", "%s: %s", c->command.v[0], why);
	} else {
		plugin_parse_output(res.out, res.out_len, o);
		if (why != NULL) {
			const char *said = obs_get_fact(o, "output");
			if (said != NULL && said[0] != '\0') {
				char *both = xasprintf("%s: %s", why, said);
				obs_fact(o, "output", both);
				free(both);
			} else {
				obs_fact(o, "output", why);
			}
		}
	}
	obs_metric(o, "status", (double)status);
	free(why);
	subproc_result_free(&res);
}

static void plugin_free_conf(void *p)
{
	struct plugin_conf *c = p;

	if (c == NULL)
		return;
	schema_free(plugin_fields, c);
	free(c);
}

static int plugin_configure(struct target *t, const struct ynode *map, struct cfgerr *errs)
{
	struct plugin_conf *c = xcalloc(1, sizeof(*c));

	if (schema_apply(map, plugin_fields, c, TARGET_COMMON_KEYS, errs) < 0 || c->command.n == 0) {
		plugin_free_conf(c);
		t->conf = NULL;
		return -1;
	}
	t->conf = c;
	if (t->driver == NULL) {
		const char *base = strrchr(c->command.v[0], '/');
		t->driver = xstrdup(base ? base + 1 : c->command.v[0]);
	}
	return 0;
}

static void plugin_free_state(void *state)
{
	free(state);
}

const struct probe_ops probe_plugin_ops = {
	.name = "plugin",
	.configure = plugin_configure,
	.run = plugin_run,
	.free_state = plugin_free_state,
	.free_conf = plugin_free_conf,
};
