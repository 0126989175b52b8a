/*
 * copy_pgsql.c - copy driver `pgsql`: PostgreSQL streaming replication,
 * asked through psql (never a shell).
 *
 * Options: psql (default "psql"), conninfo (passed as -d; default: psql's
 * own defaults), role (primary|standby, default primary), min_standbys
 * (default 1), wal_segment_size (default 16MB, used to express byte lags
 * in WAL segments, the analogue of Exchange's 1 MB logs).
 *
 * Primary: one row of pg_stat_replication per standby.
 *   standbys      rows
 *   copy_queue    largest (current WAL position - standby flush) in WAL
 *                 segments, fractional (bytes / wal_segment_size)
 *   replay_queue  largest (flush - replay) in WAL segments, fractional
 *   copy_lag_bytes, replay_lag_bytes  the same in bytes
 *   lag_s         largest replay_lag
 *   status        worst standby: streaming -> Healthy, backup -> Seeding,
 *                 catchup/startup -> Resynchronizing, stopping ->
 *                 Disconnected; fewer rows than min_standbys ->
 *                 Disconnected
 * Standby: pg_is_in_recovery(), the WAL receiver's state, receive and
 * replay positions, pg_is_wal_replay_paused().
 *   copy_queue    (latest position the primary reported - flushed) in segments
 *   replay_queue  (received - replayed) in segments
 *   lag_s         0 when everything received is replayed, else
 *                 now() - pg_last_xact_replay_timestamp() (as
 *                 postgres_exporter computes pg_replication_lag_seconds)
 *   status        paused -> Suspended; no WAL receiver -> Disconnected;
 *                 (or waiting, restarting, stopping) -> Disconnected;
 *                 streaming -> Healthy; starting -> Resynchronizing;
 *                 not in recovery -> Failed
 * psql exit 2 (cannot connect) -> ServiceDown with fact `error`; any
 * other failure -> the check is unknown.  A standby fed only by
 * restore_command has no WAL receiver: watch its archive with `logship`.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "obs.h"
#include "probe.h"
#include "schema.h"
#include "strlist.h"
#include "subproc.h"
#include "xmalloc.h"

#define PGSQL_MAX_OUTPUT (1024 * 1024)
#define PGSQL_MAX_FIELDS 8

enum { PGSQL_PRIMARY, PGSQL_STANDBY };

static const char *const pgsql_roles[] = {"primary", "standby", NULL};

struct pgsql_conf {
	char *psql;
	char *conninfo;
	int role;
	long long min_standbys;
	uint64_t segment;
};

static const struct sch_field pgsql_fields[] = {
    {"psql", SCH_STR, offsetof(struct pgsql_conf, psql), 0, "psql", 0, 0, NULL},
    {"conninfo", SCH_STR, offsetof(struct pgsql_conf, conninfo), 0, NULL, 0, 0, NULL},
    {"role", SCH_ENUM, offsetof(struct pgsql_conf, role), 0, "primary", 0, 0, pgsql_roles},
    {"min_standbys", SCH_INT, offsetof(struct pgsql_conf, min_standbys), 0, "1", 0, 1000, NULL},
    {"wal_segment_size", SCH_SIZE, offsetof(struct pgsql_conf, segment), 0, "16MB", 1024,
     1024.0 * 1024 * 1024, NULL},
    SCH_END};

const char copy_pgsql_primary_query[] =
    "select application_name, state, sync_state, "
    "coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn),0), "
    "coalesce(pg_wal_lsn_diff(flush_lsn, replay_lsn),0), "
    "coalesce(extract(epoch from replay_lag),0) from pg_stat_replication";

const char copy_pgsql_standby_query[] =
    "select pg_is_in_recovery(), "
    "coalesce((select status from pg_stat_wal_receiver),''), "
    "coalesce((select pg_wal_lsn_diff(latest_end_lsn, flushed_lsn) from pg_stat_wal_receiver),0), "
    "coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()),0), "
    "case when pg_is_in_recovery() then pg_is_wal_replay_paused() else false end, "
    "case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0 "
    "else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()),0) end";

/* Split one line at '|' from the right into exactly (n) fields: the first
   field keeps any '|' of its own (an application_name may hold one).
   Fields point into (line), which is modified.  Returns 0 or -1. */
static int
split_fields(char *line, char **f, size_t n)
{
	for (size_t i = n - 1; i > 0; i--) {
		char *bar = strrchr(line, '|');

		if (bar == NULL)
			return -1;
		*bar = '\0';
		f[i] = bar + 1;
	}
	f[0] = line;
	return 0;
}

static int
parse_num(const char *s, double *v_r)
{
	char *end;

	errno = 0;
	*v_r = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && isfinite(*v_r) ? 0 : -1;
}

/* Next line of (*p) as a fresh string without its newline; NULL at the end. */
static char *
next_line(const char **p)
{
	const char *s = *p;
	size_t len;

	if (*s == '\0')
		return NULL;
	len = strcspn(s, "\n");
	*p = s[len] ? s + len + 1 : s + len;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	return xstrndup(s, len);
}

static enum copy_status
sender_status(const char *state)
{
	if (strcmp(state, "streaming") == 0)
		return COPY_HEALTHY;
	if (strcmp(state, "backup") == 0)
		return COPY_SEEDING;
	if (strcmp(state, "catchup") == 0 || strcmp(state, "startup") == 0)
		return COPY_RESYNCHRONIZING;
	if (strcmp(state, "stopping") == 0)
		return COPY_DISCONNECTED;
	return COPY_FAILED;
}

int
copy_pgsql_parse_primary(const char *out, long long min_standbys, double segment_bytes,
                         struct obs *o, char **error_r)
{
	const char *p = out;
	char *line;
	long long rows = 0;
	double copy_b = 0, replay_b = 0, lag = 0;
	enum copy_status st = COPY_HEALTHY;
	struct strlist names;

	strlist_init(&names);
	while ((line = next_line(&p)) != NULL) {
		char *f[6];
		double v[3];

		if (line[0] == '\0') {
			free(line);
			continue;
		}
		if (split_fields(line, f, 6) < 0 || parse_num(f[3], &v[0]) < 0 ||
		    parse_num(f[4], &v[1]) < 0 || parse_num(f[5], &v[2]) < 0) {
			*error_r = xasprintf("pg_stat_replication: unexpected row '%.80s'", line);
			free(line);
			strlist_free(&names);
			return -1;
		}
		rows++;
		if (v[0] > copy_b)
			copy_b = v[0];
		if (v[1] > replay_b)
			replay_b = v[1];
		if (v[2] > lag)
			lag = v[2];
		st = copy_status_worse(st, sender_status(f[1]));
		strlist_add_owned(&names, xasprintf("%s:%s:%s", f[0], f[1], f[2]));
		free(line);
	}
	if (rows < min_standbys) {
		st = copy_status_worse(st, COPY_DISCONNECTED);
		obs_factf(o, "error", "%lld standby(s) connected, min_standbys is %lld", rows,
		          min_standbys);
	}
	if (names.n > 0) {
		char *j = strlist_join(&names, ",");

		obs_fact(o, "standby_names", j);
		free(j);
	}
	strlist_free(&names);
	obs_metric(o, "standbys", (double)rows);
	obs_metric(o, "copy_queue", copy_b / segment_bytes);
	obs_metric(o, "replay_queue", replay_b / segment_bytes);
	obs_metric(o, "copy_lag_bytes", copy_b);
	obs_metric(o, "replay_lag_bytes", replay_b);
	obs_metric(o, "lag_s", lag);
	copy_report_status(o, st);
	return 0;
}

static enum copy_status
receiver_status(const char *state)
{
	if (state[0] == '\0' || strcmp(state, "waiting") == 0 || strcmp(state, "stopping") == 0 ||
	    strcmp(state, "stopped") == 0 || strcmp(state, "restarting") == 0)
		return COPY_DISCONNECTED;
	if (strcmp(state, "streaming") == 0)
		return COPY_HEALTHY;
	if (strcmp(state, "starting") == 0)
		return COPY_RESYNCHRONIZING;
	return COPY_FAILED;
}

int
copy_pgsql_parse_standby(const char *out, double segment_bytes, struct obs *o, char **error_r)
{
	const char *p = out;
	char *line, *f[6];
	double v[3];
	enum copy_status st;

	while ((line = next_line(&p)) != NULL && line[0] == '\0')
		free(line);
	if (line == NULL) {
		*error_r = xstrdup("standby query returned no row");
		return -1;
	}
	if (split_fields(line, f, 6) < 0 || parse_num(f[2], &v[0]) < 0 ||
	    parse_num(f[3], &v[1]) < 0 || parse_num(f[5], &v[2]) < 0 ||
	    (strcmp(f[0], "t") != 0 && strcmp(f[0], "f") != 0) ||
	    (strcmp(f[4], "t") != 0 && strcmp(f[4], "f") != 0)) {
		*error_r = xasprintf("standby query: unexpected row '%.80s'", line);
		free(line);
		return -1;
	}
	for (size_t i = 0; i < 2; i++)
		if (v[i] < 0)
			v[i] = 0; /* receive can trail replay right after a restart */
	if (strcmp(f[0], "f") == 0) {
		st = COPY_FAILED;
		obs_fact(o, "error", "not in recovery: this server is not a standby");
	} else {
		st = receiver_status(f[1]);
		if (strcmp(f[4], "t") == 0)
			st = copy_status_worse(st, COPY_SUSPENDED);
		obs_fact(o, "receiver", f[1][0] ? f[1] : "none");
	}
	obs_metric(o, "copy_queue", v[0] / segment_bytes);
	obs_metric(o, "replay_queue", v[1] / segment_bytes);
	obs_metric(o, "copy_lag_bytes", v[0]);
	obs_metric(o, "replay_lag_bytes", v[1]);
	obs_metric(o, "lag_s", v[2] > 0 ? v[2] : 0);
	copy_report_status(o, st);
	free(line);
	return 0;
}

static void
pgsql_run(const void *conf, const struct target *t, void **state, struct obs *o)
{
	const struct pgsql_conf *c = conf;
	const char *query =
	    c->role == PGSQL_STANDBY ? copy_pgsql_standby_query : copy_pgsql_primary_query;
	const char *argv[12];
	size_t n = 0;
	char *envv = xasprintf("PGCONNECT_TIMEOUT=%lld",
	                       (long long)(t->timeout_ms >= 2000 ? t->timeout_ms / 1000 : 2));
	const char *env[] = {envv, NULL};
	struct subproc_opts so = {
	    .timeout_ms = (int)t->timeout_ms, .max_out = PGSQL_MAX_OUTPUT, .env = env};
	struct subproc_result res;
	char *err = NULL;
	int rc;

	(void)state;
	argv[n++] = c->psql;
	argv[n++] = "-X";
	argv[n++] = "-A";
	argv[n++] = "-t";
	argv[n++] = "-q";
	argv[n++] = "-F";
	argv[n++] = "|";
	if (c->conninfo != NULL) {
		argv[n++] = "-d";
		argv[n++] = c->conninfo;
	}
	argv[n++] = "-c";
	argv[n++] = query;
	argv[n] = NULL;

	rc = subproc_run(argv, &so, &res, &err);
	free(envv);
	if (rc < 0) {
		obs_error(o, "%s", err ? err : "cannot run psql");
		free(err);
		subproc_result_free(&res);
		return;
	}
	if (res.exited && res.status == 0 && !res.out_truncated) {
		double seg = (double)c->segment;

		rc = c->role == PGSQL_STANDBY
		         ? copy_pgsql_parse_standby(res.out, seg, o, &err)
		         : copy_pgsql_parse_primary(res.out, c->min_standbys, seg, o, &err);
		if (rc < 0) {
			obs_error(o, "%s", err);
			free(err);
		}
	} else if (res.exited && res.status == 2) {
		char *line = copy_first_line(res.err);

		obs_fact(o, "error", line);
		copy_report_status(o, COPY_SERVICEDOWN);
		free(line);
	} else if (res.out_truncated) {
		obs_error(o, "psql: output larger than %d bytes", PGSQL_MAX_OUTPUT);
	} else {
		char *how = subproc_describe(&res);
		char *line = copy_first_line(res.err);

		obs_error(o, "psql: %s%s%s", how, *line ? ": " : "", line);
		free(how);
		free(line);
	}
	subproc_result_free(&res);
}

const struct copy_driver copy_driver_pgsql = {
    .name = "pgsql",
    .fields = pgsql_fields,
    .conf_size = sizeof(struct pgsql_conf),
    .configure = NULL,
    .run = pgsql_run,
    .free_state = NULL,
};
