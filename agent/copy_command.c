/*
 * copy_command.c - copy driver `command`: any program that can print a
 * copy status (a vendor CLI, a script around Get-StorageGroupCopyStatus
 * run elsewhere, ...), read with one PCRE2 pattern of named groups.
 *
 * Options: command (argv, no shell; required), pattern (regex with named
 * groups; required; add (?m) or (?s) for multi-line output).
 * Named groups that read as numbers become metrics, the others facts.
 * A group named `status` is rewritten to the SummaryCopyStatus spelling
 * when it is one of its words ("service down" -> ServiceDown); `healthy`
 * is 1/0 from a numeric `healthy` group, else 1 exactly when the status is
 * Healthy.  The program's exit status is reported as metric exit_status;
 * output that the pattern does not match makes the check unknown.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfgerr.h"
#include "copy.h"
#include "obs.h"
#include "probe.h"
#include "rx.h"
#include "schema.h"
#include "strlist.h"
#include "subproc.h"
#include "xmalloc.h"
#include "ytree.h"

#define COMMAND_MAX_OUTPUT (1024 * 1024)

struct command_conf {
	struct strlist command;
	struct rx *pattern;
};

static const struct sch_field command_fields[] = {
    {"command", SCH_ARGV, offsetof(struct command_conf, command), 1, NULL, 0, 0, NULL},
    {"pattern", SCH_REGEX, offsetof(struct command_conf, pattern), 1, NULL, 0, 0, NULL},
    SCH_END};

struct groups {
	struct obs *o;
	int have_status, status_known, have_healthy;
	enum copy_status status;
	double healthy;
};

static int
as_number(const char *s, size_t len, double *v_r)
{
	char buf[64], *end;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*v_r = strtod(buf, &end);
	return errno == 0 && end != buf && *end == '\0' && isfinite(*v_r);
}

static void
on_group(void *ctx, const char *name, const char *value, size_t vlen)
{
	struct groups *g = ctx;
	double v;

	while (vlen > 0 && isspace((unsigned char)*value)) {
		value++;
		vlen--;
	}
	while (vlen > 0 && isspace((unsigned char)value[vlen - 1]))
		vlen--;
	if (strcmp(name, "status") == 0) {
		g->have_status = 1;
		g->status_known = copy_status_parse(value, vlen, &g->status) == 0;
		if (g->status_known)
			obs_fact(g->o, "status", copy_status_name(g->status));
		else
			obs_factn(g->o, "status", value, vlen);
		return;
	}
	if (as_number(value, vlen, &v)) {
		if (strcmp(name, "healthy") == 0) {
			g->have_healthy = 1;
			g->healthy = v;
		} else {
			obs_metric(g->o, name, v);
		}
		return;
	}
	obs_factn(g->o, name, value, vlen);
}

int
copy_command_parse(const struct rx *pattern, const char *out, size_t len, struct obs *o,
                   char **error_r)
{
	struct groups g;
	int m;

	memset(&g, 0, sizeof(g));
	g.o = o;
	m = rx_match_groups(pattern, out, len, on_group, &g);
	if (m < 0) {
		*error_r = xstrdup("pattern: matching error (limits exceeded)");
		return -1;
	}
	if (m == 0) {
		*error_r = xasprintf("output does not match /%s/", rx_pattern(pattern));
		return -1;
	}
	if (g.have_healthy)
		obs_metric(o, "healthy", g.healthy != 0 ? 1 : 0);
	else if (g.have_status)
		obs_metric(o, "healthy", g.status_known && g.status == COPY_HEALTHY ? 1 : 0);
	return 0;
}

static int
command_configure(void *conf, const struct ynode *map, struct cfgerr *errs)
{
	const struct command_conf *c = conf;

	if (c->command.n == 0) {
		cfgerr_at(errs, map, "copy driver command needs command");
		return -1;
	}
	if (rx_group_count(c->pattern) == 0) {
		cfgerr_at(
		    errs, ymap_get(map, "pattern"),
		    "pattern has no named group such as (?<status>\\w+) or (?<copy_queue>\\d+)");
		return -1;
	}
	return 0;
}

static void
command_run(const void *conf, const struct target *t, void **state, struct obs *o)
{
	const struct command_conf *c = conf;
	struct subproc_opts so = {.timeout_ms = (int)t->timeout_ms, .max_out = COMMAND_MAX_OUTPUT};
	struct subproc_result res;
	char *err = NULL;

	(void)state;
	if (subproc_run((const char *const *)c->command.v, &so, &res, &err) < 0) {
		obs_error(o, "%s", err ? err : "cannot run the command");
		free(err);
		subproc_result_free(&res);
		return;
	}
	if (!res.exited) {
		char *how = subproc_describe(&res);

		obs_error(o, "%s: %s", c->command.v[0], how);
		free(how);
	} else if (copy_command_parse(c->pattern, res.out, res.out_len, o, &err) < 0) {
		char *line = copy_first_line(res.err);

		obs_error(o, "%s (exit status %d)%s%s", err, res.status, *line ? ": " : "", line);
		free(line);
		free(err);
	} else {
		obs_metric(o, "exit_status", res.status);
	}
	subproc_result_free(&res);
}

const struct copy_driver copy_driver_command = {
    .name = "command",
    .fields = command_fields,
    .conf_size = sizeof(struct command_conf),
    .configure = command_configure,
    .run = command_run,
    .free_state = NULL,
};
