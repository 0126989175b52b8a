/*
 * copy_dovecot.c - copy driver `dovecot`: dsync replication.
 *
 * mode replicator (Dovecot <= 2.3): `doveadm [-c FILE] replicator status`
 * prints an overview, one "label   number" line each:
 *   Queued 'sync' requests, Queued 'high' requests, Queued 'low'
 *   requests, Queued 'failed' requests, Queued 'full resync' requests,
 *   Waiting 'failed' requests, Total number of known users.
 * Reported: queued_requests (sync + high + low + full resync) = copy_queue,
 * failed_requests (queued failed + waiting failed), users; status Failed
 * when failed_requests > 0, else Healthy.  A replicator that cannot be
 * reached (doveadm exits 75, EX_TEMPFAIL, "net_connect_unix(...) failed")
 * is ServiceDown with fact `error`: the probe did its job, the service
 * is down.
 *
 * mode sync (Dovecot 2.4 removed the replicator; cron `doveadm sync`
 * replaces it): the agent runs `doveadm [-c FILE] sync SYNC_ARGS...` itself
 * each interval.  Exit 0 -> Healthy; 2 -> Resynchronizing (done, but some
 * changes could not be applied: the next run retries); anything else ->
 * Failed with fact `error` = the first line of stderr.  The time of the
 * last success is kept per target and reported as lag_s = now - last
 * success (absent until a run has succeeded).
 *
 * Options: doveadm (default "doveadm"), mode (replicator|sync), config_file,
 * sync_args (argv after `sync`, required in mode sync, e.g. [-A, -d] or
 * [-u, user, "tcp:replica:12345"]).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgerr.h"
#include "copy.h"
#include "obs.h"
#include "probe.h"
#include "schema.h"
#include "strlist.h"
#include "subproc.h"
#include "xmalloc.h"
#include "ytree.h"

#define DOVECOT_MAX_OUTPUT (256 * 1024)
#define DOVECOT_EX_TEMPFAIL 75

enum { DOVECOT_REPLICATOR, DOVECOT_SYNC };

static const char *const dovecot_modes[] = {"replicator", "sync", NULL};

struct dovecot_conf {
	char *doveadm;
	int mode;
	char *config_file;
	struct strlist sync_args;
};

static const struct sch_field dovecot_fields[] = {
    {"doveadm", SCH_STR, offsetof(struct dovecot_conf, doveadm), 0, "doveadm", 0, 0, NULL},
    {"mode", SCH_ENUM, offsetof(struct dovecot_conf, mode), 0, "replicator", 0, 0, dovecot_modes},
    {"config_file", SCH_STR, offsetof(struct dovecot_conf, config_file), 0, NULL, 0, 0, NULL},
    {"sync_args", SCH_ARGV, offsetof(struct dovecot_conf, sync_args), 0, NULL, 0, 0, NULL},
    SCH_END};

struct dovecot_state {
	int64_t last_success_ms;
};

/* ---- replicator overview ------------------------------------------------- */

enum { RQ_SYNC, RQ_HIGH, RQ_LOW, RQ_FAILED, RQ_FULL, RQ_WAITING_FAILED, RQ_USERS, RQ_COUNT };

static const char *const replicator_labels[RQ_COUNT] = {
    [RQ_SYNC] = "Queued 'sync' requests",        [RQ_HIGH] = "Queued 'high' requests",
    [RQ_LOW] = "Queued 'low' requests",          [RQ_FAILED] = "Queued 'failed' requests",
    [RQ_FULL] = "Queued 'full resync' requests", [RQ_WAITING_FAILED] = "Waiting 'failed' requests",
    [RQ_USERS] = "Total number of known users",
};

/* "  123   " -> 123; -1 when not a plain non-negative number. */
static int
parse_count(const char *s, size_t len, long long *v_r)
{
	long long v = 0;
	size_t i = 0, digits = 0;

	while (i < len && isspace((unsigned char)s[i]))
		i++;
	for (; i < len && isdigit((unsigned char)s[i]); i++, digits++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	if (digits == 0 || i != len)
		return -1;
	*v_r = v;
	return 0;
}

int
copy_dovecot_parse_replicator(const char *out, struct obs *o, char **error_r)
{
	long long v[RQ_COUNT];
	int have[RQ_COUNT] = {0};
	int found = 0;
	const char *p = out;

	while (*p != '\0') {
		size_t len = strcspn(p, "\n");

		for (int i = 0; i < RQ_COUNT; i++) {
			size_t ll = strlen(replicator_labels[i]);

			if (len > ll && strncmp(p, replicator_labels[i], ll) == 0 &&
			    isspace((unsigned char)p[ll]) &&
			    parse_count(p + ll, len - ll, &v[i]) == 0) {
				have[i] = 1;
				found++;
			}
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	if (found == 0) {
		*error_r = xstrdup("doveadm replicator status: no overview line in its output");
		return -1;
	}
	{
		/* summed as doubles (what metrics are): counts near LLONG_MAX
		   in broken output must not overflow */
		double queued = 0, failed = 0;

		for (int i = 0; i < RQ_COUNT; i++) {
			if (!have[i])
				continue;
			if (i == RQ_SYNC || i == RQ_HIGH || i == RQ_LOW || i == RQ_FULL)
				queued += (double)v[i];
			else if (i == RQ_FAILED || i == RQ_WAITING_FAILED)
				failed += (double)v[i];
		}
		obs_metric(o, "queued_requests", queued);
		obs_metric(o, "copy_queue", queued);
		obs_metric(o, "failed_requests", failed);
		if (have[RQ_USERS])
			obs_metric(o, "users", (double)v[RQ_USERS]);
		copy_report_status(o, failed > 0 ? COPY_FAILED : COPY_HEALTHY);
	}
	return 0;
}

/* ---- sync ------------------------------------------------------------------------ */

void
copy_dovecot_sync_report(int exited, int status, const char *err, const char *why, int64_t now_ms,
                         int64_t *last_success_ms, struct obs *o)
{
	enum copy_status st;

	if (exited) {
		obs_metric(o, "exit_status", status);
	}
	if (exited && status == 0) {
		st = COPY_HEALTHY;
		*last_success_ms = now_ms;
	} else {
		char *line = copy_first_line(err);

		st = exited && status == 2 ? COPY_RESYNCHRONIZING : COPY_FAILED;
		if (*line != '\0')
			obs_fact(o, "error", line);
		else if (why != NULL)
			obs_fact(o, "error", why);
		free(line);
	}
	if (*last_success_ms > 0) {
		int64_t lag = now_ms - *last_success_ms;

		obs_metric(o, "lag_s", lag > 0 ? (double)lag / 1000.0 : 0);
	}
	copy_report_status(o, st);
}

/* ---- running ----------------------------------------------------------------------- */

static void
build_argv(const struct dovecot_conf *c, struct strlist *argv)
{
	strlist_init(argv);
	strlist_add(argv, c->doveadm);
	if (c->config_file != NULL) {
		strlist_add(argv, "-c");
		strlist_add(argv, c->config_file);
	}
	if (c->mode == DOVECOT_SYNC) {
		strlist_add(argv, "sync");
		for (size_t i = 0; i < c->sync_args.n; i++)
			strlist_add(argv, c->sync_args.v[i]);
	} else {
		strlist_add(argv, "replicator");
		strlist_add(argv, "status");
	}
}

static int
replicator_unreachable(const struct subproc_result *res)
{
	return res->exited && (res->status == DOVECOT_EX_TEMPFAIL ||
	                       (res->err != NULL && strstr(res->err, "net_connect_unix") != NULL));
}

static void
dovecot_run(const void *conf, const struct target *t, void **state, struct obs *o)
{
	const struct dovecot_conf *c = conf;
	struct dovecot_state *ds = *state;
	struct subproc_opts so = {.timeout_ms = (int)t->timeout_ms, .max_out = DOVECOT_MAX_OUTPUT};
	struct subproc_result res;
	struct strlist argv;
	char *err = NULL;
	int rc;

	if (ds == NULL) {
		ds = xcalloc(1, sizeof(*ds));
		*state = ds;
	}
	build_argv(c, &argv);
	rc = subproc_run((const char *const *)argv.v, &so, &res, &err);
	strlist_free(&argv);
	if (rc < 0) {
		obs_error(o, "%s", err ? err : "cannot run doveadm");
		free(err);
		subproc_result_free(&res);
		return;
	}
	if (c->mode == DOVECOT_SYNC) {
		char *why = res.exited ? NULL : subproc_describe(&res);

		copy_dovecot_sync_report(res.exited, res.status, res.err, why, probe_now_ms(),
		                         &ds->last_success_ms, o);
		free(why);
	} else if (res.exited && res.status == 0 && !res.out_truncated) {
		if (copy_dovecot_parse_replicator(res.out, o, &err) < 0) {
			obs_error(o, "%s", err);
			free(err);
		}
	} else if (replicator_unreachable(&res)) {
		char *line = copy_first_line(res.err);

		obs_fact(o, "error", line);
		copy_report_status(o, COPY_SERVICEDOWN);
		free(line);
	} else {
		char *how = subproc_describe(&res);
		char *line = copy_first_line(res.err);

		obs_error(o, "doveadm replicator status: %s%s%s", how, *line ? ": " : "", line);
		free(how);
		free(line);
	}
	subproc_result_free(&res);
}

static int
dovecot_configure(void *conf, const struct ynode *map, struct cfgerr *errs)
{
	const struct dovecot_conf *c = conf;

	if (c->mode == DOVECOT_SYNC && c->sync_args.n == 0) {
		cfgerr_at(errs, map,
		          "dovecot mode sync needs sync_args (e.g. [-u, USER, \"tcp:HOST:PORT\"])");
		return -1;
	}
	if (c->mode != DOVECOT_SYNC && c->sync_args.n > 0) {
		cfgerr_at(errs, ymap_get(map, "sync_args"), "sync_args is only for mode sync");
		return -1;
	}
	return 0;
}

const struct copy_driver copy_driver_dovecot = {
    .name = "dovecot",
    .fields = dovecot_fields,
    .conf_size = sizeof(struct dovecot_conf),
    .configure = dovecot_configure,
    .run = dovecot_run,
    .free_state = NULL,
};
