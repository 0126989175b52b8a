/*
 * fuzz-ccfg.c - fuzz target: collector.yaml (collector/collector_config.c,
 * SPEC 3.2), loaded the way mxsla-collector loads it, then used the way
 * the collector uses it.
 *
 * collector_config_load reads files only, so the input is written to a
 * memfd once per call and loaded as /proc/self/fd/N (no temporary file,
 * nothing left behind), as fuzz-rules does.  The zone is Europe/Berlin
 * throughout (one-off maintenance windows are converted in it).
 *
 * A refused file must say why: at least one error, each located as
 * FILE:LINE:COL with a line.  An accepted one must hold what
 * collector_config.h and the loader's checks promise: listen addresses
 * with ports 1..65535; tls cert and key both or neither; one stale rule;
 * agents with valid, unique ids and distinct tokens, each found again by
 * collector_config_agent; calendars with a weekday mask 1..0x7f, from
 * 0..1439, to 0..1440 and different, real holiday dates; services with
 * unique ids, target in (0, 100], hours pointing at the calendar of that
 * name (NULL for 24x7), at least one selector, require all/any/1..N; a
 * selector without glob characters matches the check it spells; the
 * zone accepted by caltime_set_zone; limits within their bounds.  The
 * calendar hours and maintenance windows of every service over October
 * 2026 (a daylight-saving change in Berlin) come out normalised and
 * inside the month, and a one-off window never ends before it starts.
 * A broken promise aborts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "caltime.h"
#include "cfgerr.h"
#include "collector_config.h"
#include "fuzz.h"
#include "sla.h"
#include "status.h"

/* collector.yaml is small; the YAML loader's own limits apply below. */
#define CCFG_INPUT_MAX (256 * 1024)

static char path[64];

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
set_zone(const char *name)
{
	const char *err;

	if (caltime_set_zone(name, &err) < 0) {
		fprintf(stderr, "fuzz-ccfg: %s: %s\n", name, err);
		abort();
	}
}

static int
id_ok(const char *s)
{
	size_t len = strlen(s);

	return len >= 1 && len <= 128 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	           len;
}

static int
no_glob(const char *s)
{
	return strpbrk(s, "*?[\\") == NULL;
}

/* Every error is "PATH:LINE:COL: message" with LINE >= 1. */
static void
check_errors(const struct cfgerr *errs)
{
	size_t plen = strlen(path);

	for (size_t i = 0; i < errs->n; i++) {
		const char *m = errs->msgs[i];

		if (strncmp(m, path, plen) != 0 || m[plen] != ':' || m[plen + 1] < '1' ||
		    m[plen + 1] > '9') {
			fprintf(stderr, "fuzz-ccfg: error without a location: %s\n", m);
			abort();
		}
	}
}

static void
check_ivset(const struct ivset *s, int64_t from, int64_t to)
{
	for (size_t i = 0; i < s->n; i++) {
		check(s->v[i].start < s->v[i].end);
		check(s->v[i].start >= from && s->v[i].end <= to);
		if (i > 0)
			check(s->v[i - 1].end < s->v[i].start); /* disjoint, not touching */
	}
}

static void
check_week(unsigned mask, int from, int to)
{
	check(mask >= 1 && mask <= 0x7f);
	check(from >= 0 && from < 1440 && to >= 0 && to <= 1440 && from != to);
}

static void
check_calendar(const struct cc_calendar *c, int64_t from, int64_t to)
{
	struct ivset hours = {NULL, 0, 0};

	check(id_ok(c->name) && strcmp(c->name, "24x7") != 0);
	check_week(c->cal.days_mask, c->cal.from_min, c->cal.to_min);
	check(c->cal.nholidays == 0 || c->cal.holidays != NULL);
	for (size_t k = 0; k < c->cal.nholidays; k++) {
		const struct calday *d = &c->cal.holidays[k];
		char text[32];
		int y, mo, dd;

		snprintf(text, sizeof(text), "%04d-%02d-%02d", d->y, d->mo, d->d);
		check(caltime_parse_date(text, &y, &mo, &dd) == 0);
	}
	calendar_hours(&c->cal, from, to, &hours);
	check_ivset(&hours, from, to);
	ivset_free(&hours);
}

static void
check_selector(const struct cc_selector *sel)
{
	check(sel->text != NULL && sel->agent != NULL && sel->rule != NULL && sel->target != NULL);
	check(sel->agent[0] != '\0' && sel->rule[0] != '\0' && sel->target[0] != '\0');
	check(strchr(sel->rule, '@') == NULL && strchr(sel->target, '@') == NULL);
	(void)cc_selector_match(sel, "hub01", "service.smtp@smtp");
	if (no_glob(sel->agent) && no_glob(sel->rule) && no_glob(sel->target)) {
		char *chk = xasprintf("%s@%s", sel->rule, sel->target);

		check(cc_selector_match(sel, sel->agent, chk) == 1);
		free(chk);
	}
}

static void
check_service(const struct collector_config *cfg, const struct cc_service *s, int64_t from,
              int64_t to)
{
	struct ivset maint = {NULL, 0, 0};

	check(id_ok(s->id) && s->name != NULL && s->hours_name != NULL);
	check(collector_config_service(cfg, s->id) == s);
	check(s->target > 0 && s->target <= 100);
	if (strcmp(s->hours_name, "24x7") == 0) {
		check(s->hours == NULL);
	} else {
		const struct calendar *c = NULL;

		for (size_t k = 0; k < cfg->ncalendars; k++)
			if (strcmp(cfg->calendars[k].name, s->hours_name) == 0)
				c = &cfg->calendars[k].cal;
		check(c != NULL && s->hours == c);
	}
	check(s->ncomponents >= 1 && s->components != NULL);
	for (size_t k = 0; k < s->ncomponents; k++)
		check_selector(&s->components[k]);
	check(s->require == SLA_REQUIRE_ALL || s->require == SLA_REQUIRE_ANY ||
	      (s->require >= 1 && (size_t)s->require <= s->ncomponents));
	/* "?" names a value out of range */
	check(strcmp(sla_comp_state_name(s->policy.warning), "?") != 0 &&
	      strcmp(sla_comp_state_name(s->policy.unknown), "?") != 0 &&
	      strcmp(sla_nodata_policy_name(s->policy.nodata), "?") != 0 &&
	      strcmp(sla_maint_policy_name(s->policy.maintenance), "?") != 0);
	collector_config_maintenance(cfg, s->id, from, to, &maint);
	check_ivset(&maint, from, to);
	ivset_free(&maint);
}

static void
check_config(struct collector_config *cfg)
{
	int64_t from, to;
	const char *err;

	check(cfg->file != NULL && strcmp(cfg->file, path) == 0);
	check(cfg->nlisten >= 1);
	for (size_t i = 0; i < cfg->nlisten; i++)
		check(cfg->listen[i].host != NULL && cfg->listen[i].port >= 1 &&
		      cfg->listen[i].port <= 65535);
	check((cfg->tls_cert == NULL) == (cfg->tls_key == NULL));
	check(cfg->database != NULL && cfg->timezone != NULL);
	check(
	    (cfg->stale_mult >= 1 && cfg->stale_mult <= 1000 && cfg->stale_fixed_s == 0) ||
	    (cfg->stale_mult == 0 && cfg->stale_fixed_s >= 1 && cfg->stale_fixed_s <= 30 * 86400));
	check(collector_config_stale_s(cfg, 60) >= 1);
	check(collector_config_stale_s(cfg, INT64_MAX) >= 1);

	for (size_t i = 0; i < cfg->nagents; i++) {
		check(id_ok(cfg->agents[i].id));
		check(collector_config_agent(cfg, cfg->agents[i].id) == &cfg->agents[i]);
		for (size_t k = 0; k < i; k++)
			check(memcmp(cfg->agents[k].token_sha256, cfg->agents[i].token_sha256,
			             32) != 0);
	}
	for (size_t i = 0; i < cfg->nusers; i++) {
		check(cfg->users[i].name[0] != '\0' && cfg->users[i].password_hash[0] == '$');
		for (size_t k = 0; k < i; k++)
			check(strcmp(cfg->users[k].name, cfg->users[i].name) != 0);
	}
	for (size_t i = 0; i < cfg->nsnmp; i++) {
		const struct cc_snmp_dest *d = &cfg->snmp[i];

		check(d->version == 2 || d->version == 3);
		check(d->port >= 1 && d->port <= 65535);
		check(d->min_severity >= MX_OK && d->min_severity <= MX_UNKNOWN);
		check(d->events >= 1 && d->events <= 15);
		check(d->version == 3 || d->community != NULL);
		check(d->version == 2 || (d->user != NULL && d->security >= 0 && d->security <= 2));
	}
	if (cfg->mail != NULL)
		check(cfg->mail->url != NULL && cfg->mail->from != NULL && cfg->mail->to.n >= 1);
	check(cfg->reports_dir == NULL || cfg->reports_dir[0] == '/');
	check(cfg->retention_raw_s >= 86400);
	check(cfg->body_max >= 65536 && cfg->body_max <= 1073741824);
	check(cfg->results_max >= 5000 && cfg->results_max <= 1000000);
	check(cfg->string_max >= 1024 && cfg->string_max <= 16777216);
	check(cfg->depth_max >= 4 && cfg->depth_max <= 256);
	check(cfg->http_threads >= 1 && cfg->http_threads <= 256);
	check(cfg->sync_full == 0 || cfg->sync_full == 1);

	/* the zone the collector will set: accepted, then back to Berlin */
	if (caltime_set_zone(cfg->timezone, &err) < 0) {
		fprintf(stderr, "fuzz-ccfg: timezone %s accepted by the loader: %s\n",
		        cfg->timezone, err);
		abort();
	}
	set_zone("Europe/Berlin");
	collector_config_localize(cfg);

	/* October 2026 in Berlin: 745 hours, the clocks go back on the 25th */
	caltime_month(2026, 10, &from, &to);
	for (size_t i = 0; i < cfg->ncalendars; i++)
		check_calendar(&cfg->calendars[i], from, to);
	for (size_t i = 0; i < cfg->nservices; i++) {
		check_service(cfg, &cfg->services[i], from, to);
		for (size_t k = 0; k < i; k++)
			check(strcmp(cfg->services[k].id, cfg->services[i].id) != 0);
	}
	for (size_t i = 0; i < cfg->nmaintenance; i++) {
		const struct cc_maintenance *m = &cfg->maintenance[i];

		check(m->services.n >= 1);
		if (m->weekly)
			check_week(m->days_mask, m->from_min, m->to_min);
		else
			check(m->start <= m->end);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static FILE *devnull;
	struct collector_config *cfg;
	struct cfgerr errs;

	if (size > CCFG_INPUT_MAX)
		return 0;
	if (fd < 0) {
		fd = memfd_create("fuzz-ccfg.yaml", MFD_CLOEXEC);
		devnull = fopen("/dev/null", "w");
		if (fd < 0 || devnull == NULL) {
			perror("fuzz-ccfg");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		set_zone("Europe/Berlin");
	}
	if (ftruncate(fd, 0) < 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("memfd");
		abort();
	}

	cfgerr_init(&errs);
	cfg = collector_config_load(path, &errs);
	if (cfg == NULL) {
		check(errs.total > 0 && errs.n > 0); /* a refused file says why */
		check_errors(&errs);
	} else {
		check(errs.total == 0);
		check_config(cfg);
		collector_config_free(cfg);
	}
	cfgerr_print(&errs, devnull);
	cfgerr_free(&errs);
	return 0;
}
