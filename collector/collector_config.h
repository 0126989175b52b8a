/*
 * collector_config.h - collector.yaml (SPEC 3.2): loading and validation.
 *
 * Loaded whole or not at all: every error (FILE:LINE:COL) goes to errs and
 * NULL is returned when there was any.  Reload = load anew, swap on
 * success.  Tokens are kept only as SHA-256 digests.  Everything a
 * config owns is freed by collector_config_free.
 *
 * Extensions to SPEC 3.2 (documented in docs/collector.md):
 *   limits: { body_max: 8MB, results_max: 20000, string_max: 64KB, depth_max: 32 }
 *   http:   { threads: 16 }
 *   database_sync: full | normal      (default full)
 *   retention: { raw: 35d }
 *   reports.mail: { url, from, to, username, password_file, ca_file, subject }
 */
#ifndef MXSLA_COLLECTOR_CONFIG_H
#define MXSLA_COLLECTOR_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "caltime.h"
#include "sla.h"
#include "strlist.h"

struct cfgerr;

#define COLLECTOR_CONFIG_DEFAULT SYSCONFDIR "/mxsla/collector.yaml"

struct cc_listen { char *host; int port; };

struct cc_agent {
	char *id;
	unsigned char token_sha256[32];   /* from token:, token_file: or token_sha256: */
};

struct cc_user { char *name; char *password_hash; };

struct cc_calendar {
	char *name;
	struct calendar cal;
};

/* "AGENT:RULE@TARGET" with fnmatch(3) globs in each part; a selector
   without ":" has agent "*", without "@" has target "*". */
struct cc_selector { char *text, *agent, *rule, *target; };

struct cc_service {
	char *id, *name;
	double target;                    /* percent, 0 < target <= 100 */
	const struct calendar *hours;     /* NULL = 24x7; points into calendars */
	char *hours_name;                 /* "24x7" or the calendar's name */
	struct cc_selector *components;
	size_t ncomponents;
	int require;                      /* SLA_REQUIRE_ALL / _ANY / N */
	struct sla_policy policy;
};

/* A wall-clock time as written in the file, read in `timezone`. */
struct cc_walltime { int y, mo, d, h, mi, s; };

struct cc_maintenance {
	struct strlist services;          /* service ids or globs ("*") */
	int weekly;                       /* 0: one-off [start, end); 1: weekly */
	/* One-off window as written (wall clock in `timezone`).  The instants
	   depend on the zone, which the caller sets after loading, so they are
	   converted when used: collector_config_maintenance converts
	   start_wall/end_wall itself; start/end hold the conversion in the
	   process zone at load time and are brought up to date by
	   collector_config_localize. */
	struct cc_walltime start_wall, end_wall;
	int64_t start, end;               /* one-off, instants */
	unsigned days_mask;               /* weekly */
	int from_min, to_min;             /* weekly */
	char *reason;
};

/* notify.snmp (SPEC 5); parsed and validated here, used by the notifier. */
struct cc_snmp_dest {
	char *name, *host;
	int port;                         /* default 162 */
	int version;                      /* 2 (2c) or 3 */
	char *community;                  /* v2c, default "public" */
	int inform;
	int min_severity;                 /* MX_OK .. MX_CRITICAL; default MX_WARNING */
	unsigned events;                  /* bit mask of CC_EV_* ; default all */
	char *user;                       /* v3 */
	int security;                     /* 0 noAuthNoPriv, 1 authNoPriv, 2 authPriv */
	char *auth_protocol;              /* "SHA", "SHA-256", "MD5" ... as written */
	char *auth_password;              /* inline or read from auth_password_file */
	char *priv_protocol;              /* "AES", "DES" ... */
	char *priv_password;
	char *engine_id;                  /* as written, "0x..." */
};
#define CC_EV_CHECK   1u
#define CC_EV_SERVICE 2u
#define CC_EV_BUDGET  4u
#define CC_EV_AGENT   8u

struct cc_mail {
	char *url;                        /* smtp:// or smtps:// */
	char *from;
	struct strlist to;
	char *username, *password;        /* password inline or from password_file */
	char *ca_file;
	char *subject;                    /* default "mxsla SLA report %s" (%s = YYYY-MM) */
};

struct collector_config {
	char *file;
	struct cc_listen *listen;
	size_t nlisten;
	char *tls_cert, *tls_key;         /* both or neither */
	char *database;
	char *timezone;                   /* default "UTC" */
	int stale_mult;                   /* "3x" -> 3; 0 when stale_fixed_s is used */
	int64_t stale_fixed_s;            /* "10m" -> 600 */
	struct cc_agent *agents;
	size_t nagents;
	struct cc_user *users;
	size_t nusers;
	struct cc_calendar *calendars;
	size_t ncalendars;
	struct cc_service *services;
	size_t nservices;
	struct cc_maintenance *maintenance;
	size_t nmaintenance;
	struct cc_snmp_dest *snmp;
	size_t nsnmp;
	char *reports_dir;                /* NULL: no automatic monthly reports */
	struct cc_mail *mail;             /* NULL: no mail */
	int64_t retention_raw_s;          /* default 35 d */
	uint64_t body_max;                /* default 8 MB */
	long results_max;                 /* default 20000 (SPEC: at least 5000) */
	long string_max;                  /* default 65536 bytes */
	int depth_max;                    /* default 32 */
	int http_threads;                 /* default 16 */
	int sync_full;                    /* database_sync: full (1, default) | normal (0) */
	int log_level;
};

/* Load and validate path; NULL with every error in errs on failure.
   Does not call caltime_set_zone (the caller does, once). */
struct collector_config *collector_config_load(const char *path, struct cfgerr *errs);
void collector_config_free(struct collector_config *cfg);

/* The agent with this id, or NULL. */
const struct cc_agent *collector_config_agent(const struct collector_config *cfg, const char *id);
/* The service with this id, or NULL. */
const struct cc_service *collector_config_service(const struct collector_config *cfg, const char *id);
/* 1 if check "rule@target" of agent matches the selector. */
int cc_selector_match(const struct cc_selector *sel, const char *agent, const char *check);
/* Stale limit in seconds for a check with this interval (seconds). */
int64_t collector_config_stale_s(const struct collector_config *cfg, int64_t interval_s);
/* Recompute every one-off window's start/end from its wall-clock times
   in the process zone; call it after caltime_set_zone(cfg->timezone). */
void collector_config_localize(struct collector_config *cfg);
/* Add to out (then normalised) the maintenance windows of service id
   (matched against each window's ids and globs) that meet [from, to),
   clipped; one-off windows are converted from wall clock in the process
   zone at the time of the call. */
void collector_config_maintenance(const struct collector_config *cfg, const char *service_id,
				  int64_t from, int64_t to, struct ivset *out);

#endif
