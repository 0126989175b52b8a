/*
 * collector_config.c - loading collector.yaml (see collector_config.h,
 * docs/collector.md and mxsla-collector.yaml(5)).
 *
 * The file is read into a ytree, each section is decoded through a
 * schema table and then checked for what a table cannot express (one of
 * three token forms, a calendar name that must exist, require N no larger
 * than the number of components, ...).  Every problem is added to the
 * cfgerr list at the node it is about and loading goes on, so that one
 * run of check-config shows all of them.
 *
 * Secrets: agent tokens are hashed (SHA-256) as soon as they are read and
 * the text is wiped; SNMP and SMTP passwords are kept because the
 * protocols need them, and are wiped when the config is freed.  No
 * message quotes a secret.
 *
 * What this file does not do: set the process time zone (the caller
 * does, once, with caltime_set_zone), open the database, or bind sockets.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "cfgerr.h"
#include "collector_config.h"
#include "schema.h"
#include "secret.h"
#include "status.h"
#include "units.h"
#include "xmalloc.h"
#include "ytree.h"

/* Largest token file and password file read (bytes). */
#define TOKEN_FILE_MAX 4096
#define PASSWORD_FILE_MAX 1024
/* Largest multiple in "Nx" for stale_after. */
#define STALE_MULT_MAX 1000
/* Longest id of an agent, service, calendar or SNMP destination. */
#define ID_MAX 128

static const char *const log_levels[] = { "error", "warning", "info", "debug", NULL };
static const char *const sync_modes[] = { "normal", "full", NULL };
static const char *const comp_states[] = { "up", "down", "nodata", NULL };
static const char *const nodata_policies[] = { "exclude", "up", "down", NULL };
static const char *const maint_policies[] = { "exclude", "up", "count", NULL };
static const char *const severities[] = { "ok", "warning", "critical", "unknown", NULL };
static const char *const securities[] = { "noAuthNoPriv", "authNoPriv", "authPriv", NULL };
static const char *const auth_protocols[] = { "MD5", "SHA", "SHA-224", "SHA-256", "SHA-384",
					      "SHA-512", NULL };
static const char *const priv_protocols[] = { "DES", "AES", "AES-192", "AES-256", NULL };
static const char *const event_names[] = { "check", "service", "budget", "agent", NULL };

/* The enum fields below store the index into these lists. */
_Static_assert(SLA_UP == 0 && SLA_DOWN == 1 && SLA_NODATA == 2, "comp_states order");
_Static_assert(SLA_ND_EXCLUDE == 0 && SLA_ND_UP == 1 && SLA_ND_DOWN == 2, "nodata_policies order");
_Static_assert(SLA_MT_EXCLUDE == 0 && SLA_MT_UP == 1 && SLA_MT_COUNT == 2, "maint_policies order");
_Static_assert(MX_OK == 0 && MX_WARNING == 1 && MX_CRITICAL == 2 && MX_UNKNOWN == 3, "severities order");

/* ---- schema tables ---- */

struct top_raw {
	const struct ynode *listen, *tls, *stale_after, *agents, *ui, *calendars, *services;
	const struct ynode *maintenance, *notify, *reports, *retention, *limits, *http;
	char *database, *timezone;
	int database_sync, log_level;
};

static const struct sch_field top_fields[] = {
	{ "listen", SCH_NODE, offsetof(struct top_raw, listen), 0, NULL, 0, 0, NULL },
	{ "tls", SCH_NODE, offsetof(struct top_raw, tls), 0, NULL, 0, 0, NULL },
	{ "database", SCH_STR, offsetof(struct top_raw, database), 0, LOCALSTATEDIR "/lib/mxsla/mxsla.db", 0, 0, NULL },
	{ "timezone", SCH_STR, offsetof(struct top_raw, timezone), 0, "UTC", 0, 0, NULL },
	{ "stale_after", SCH_NODE, offsetof(struct top_raw, stale_after), 0, NULL, 0, 0, NULL },
	{ "agents", SCH_NODE, offsetof(struct top_raw, agents), 0, NULL, 0, 0, NULL },
	{ "ui", SCH_NODE, offsetof(struct top_raw, ui), 0, NULL, 0, 0, NULL },
	{ "calendars", SCH_NODE, offsetof(struct top_raw, calendars), 0, NULL, 0, 0, NULL },
	{ "services", SCH_NODE, offsetof(struct top_raw, services), 0, NULL, 0, 0, NULL },
	{ "maintenance", SCH_NODE, offsetof(struct top_raw, maintenance), 0, NULL, 0, 0, NULL },
	{ "notify", SCH_NODE, offsetof(struct top_raw, notify), 0, NULL, 0, 0, NULL },
	{ "reports", SCH_NODE, offsetof(struct top_raw, reports), 0, NULL, 0, 0, NULL },
	{ "retention", SCH_NODE, offsetof(struct top_raw, retention), 0, NULL, 0, 0, NULL },
	{ "limits", SCH_NODE, offsetof(struct top_raw, limits), 0, NULL, 0, 0, NULL },
	{ "http", SCH_NODE, offsetof(struct top_raw, http), 0, NULL, 0, 0, NULL },
	{ "database_sync", SCH_ENUM, offsetof(struct top_raw, database_sync), 0, "full", 0, 0, sync_modes },
	{ "log_level", SCH_ENUM, offsetof(struct top_raw, log_level), 0, "info", 0, 0, log_levels },
	SCH_END
};

struct tls_raw { char *cert, *key; };

static const struct sch_field tls_fields[] = {
	{ "cert", SCH_STR, offsetof(struct tls_raw, cert), 0, NULL, 0, 0, NULL },
	{ "key", SCH_STR, offsetof(struct tls_raw, key), 0, NULL, 0, 0, NULL },
	SCH_END
};

struct agent_raw { char *id, *token, *token_file, *token_sha256; };

static const struct sch_field agent_fields[] = {
	{ "id", SCH_STR, offsetof(struct agent_raw, id), 1, NULL, 0, 0, NULL },
	{ "token", SCH_STR, offsetof(struct agent_raw, token), 0, NULL, 0, 0, NULL },
	{ "token_file", SCH_STR, offsetof(struct agent_raw, token_file), 0, NULL, 0, 0, NULL },
	{ "token_sha256", SCH_STR, offsetof(struct agent_raw, token_sha256), 0, NULL, 0, 0, NULL },
	SCH_END
};

struct ui_raw { const struct ynode *users; };

static const struct sch_field ui_fields[] = {
	{ "users", SCH_NODE, offsetof(struct ui_raw, users), 0, NULL, 0, 0, NULL },
	SCH_END
};

struct user_raw { char *name, *password_hash; };

static const struct sch_field user_fields[] = {
	{ "name", SCH_STR, offsetof(struct user_raw, name), 1, NULL, 0, 0, NULL },
	{ "password_hash", SCH_STR, offsetof(struct user_raw, password_hash), 1, NULL, 0, 0, NULL },
	SCH_END
};

/* A calendar, and the weekly part of a maintenance window (no holidays). */
struct week_raw {
	struct strlist days, holidays;
	char *from, *to;
};

static const struct sch_field calendar_fields[] = {
	{ "days", SCH_STRLIST, offsetof(struct week_raw, days), 0, "[sun, mon, tue, wed, thu, fri, sat]", 0, 0, NULL },
	{ "from", SCH_STR, offsetof(struct week_raw, from), 0, "00:00", 0, 0, NULL },
	{ "to", SCH_STR, offsetof(struct week_raw, to), 0, "24:00", 0, 0, NULL },
	{ "holidays", SCH_STRLIST, offsetof(struct week_raw, holidays), 0, NULL, 0, 0, NULL },
	SCH_END
};

static const struct sch_field weekly_fields[] = {
	{ "days", SCH_STRLIST, offsetof(struct week_raw, days), 0, "[sun, mon, tue, wed, thu, fri, sat]", 0, 0, NULL },
	{ "from", SCH_STR, offsetof(struct week_raw, from), 0, "00:00", 0, 0, NULL },
	{ "to", SCH_STR, offsetof(struct week_raw, to), 0, "24:00", 0, 0, NULL },
	SCH_END
};

struct service_raw {
	char *id, *name, *hours;
	double target;
	const struct ynode *components, *require, *policy;
};

static const struct sch_field service_fields[] = {
	{ "id", SCH_STR, offsetof(struct service_raw, id), 1, NULL, 0, 0, NULL },
	{ "name", SCH_STR, offsetof(struct service_raw, name), 0, NULL, 0, 0, NULL },
	{ "target", SCH_DOUBLE, offsetof(struct service_raw, target), 0, "99.9", 0, 0, NULL },
	{ "hours", SCH_STR, offsetof(struct service_raw, hours), 0, "24x7", 0, 0, NULL },
	{ "components", SCH_NODE, offsetof(struct service_raw, components), 1, NULL, 0, 0, NULL },
	{ "require", SCH_NODE, offsetof(struct service_raw, require), 0, NULL, 0, 0, NULL },
	{ "policy", SCH_NODE, offsetof(struct service_raw, policy), 0, NULL, 0, 0, NULL },
	SCH_END
};

static const struct sch_field policy_fields[] = {
	{ "warning", SCH_ENUM, offsetof(struct sla_policy, warning), 0, "up", 0, 0, comp_states },
	{ "unknown", SCH_ENUM, offsetof(struct sla_policy, unknown), 0, "nodata", 0, 0, comp_states },
	{ "nodata", SCH_ENUM, offsetof(struct sla_policy, nodata), 0, "exclude", 0, 0, nodata_policies },
	{ "maintenance", SCH_ENUM, offsetof(struct sla_policy, maintenance), 0, "exclude", 0, 0, maint_policies },
	SCH_END
};

struct maint_raw {
	struct strlist services;
	char *start, *end, *reason;
	const struct ynode *weekly;
};

static const struct sch_field maint_fields[] = {
	{ "services", SCH_STRLIST, offsetof(struct maint_raw, services), 1, NULL, 0, 0, NULL },
	{ "start", SCH_STR, offsetof(struct maint_raw, start), 0, NULL, 0, 0, NULL },
	{ "end", SCH_STR, offsetof(struct maint_raw, end), 0, NULL, 0, 0, NULL },
	{ "weekly", SCH_NODE, offsetof(struct maint_raw, weekly), 0, NULL, 0, 0, NULL },
	{ "reason", SCH_STR, offsetof(struct maint_raw, reason), 0, NULL, 0, 0, NULL },
	SCH_END
};

struct notify_raw { const struct ynode *snmp; };

static const struct sch_field notify_fields[] = {
	{ "snmp", SCH_NODE, offsetof(struct notify_raw, snmp), 0, NULL, 0, 0, NULL },
	SCH_END
};

struct snmp_raw {
	char *name, *host, *community, *user;
	int port, min_severity, security, auth_protocol, priv_protocol;
	bool inform;
	const struct ynode *version;
	struct strlist events;
	char *auth_password, *auth_password_file, *priv_password, *priv_password_file;
	char *engine_id;
};

static const struct sch_field snmp_fields[] = {
	{ "name", SCH_STR, offsetof(struct snmp_raw, name), 1, NULL, 0, 0, NULL },
	{ "host", SCH_STR, offsetof(struct snmp_raw, host), 1, NULL, 0, 0, NULL },
	{ "port", SCH_PORT, offsetof(struct snmp_raw, port), 0, "162", 0, 0, NULL },
	{ "version", SCH_NODE, offsetof(struct snmp_raw, version), 0, NULL, 0, 0, NULL },
	{ "community", SCH_STR, offsetof(struct snmp_raw, community), 0, NULL, 0, 0, NULL },
	{ "inform", SCH_BOOL, offsetof(struct snmp_raw, inform), 0, "false", 0, 0, NULL },
	{ "min_severity", SCH_ENUM, offsetof(struct snmp_raw, min_severity), 0, "warning", 0, 0, severities },
	{ "events", SCH_STRLIST, offsetof(struct snmp_raw, events), 0, "[check, service, budget, agent]", 0, 0, NULL },
	{ "user", SCH_STR, offsetof(struct snmp_raw, user), 0, NULL, 0, 0, NULL },
	{ "security", SCH_ENUM, offsetof(struct snmp_raw, security), 0, "authPriv", 0, 0, securities },
	{ "auth_protocol", SCH_ENUM, offsetof(struct snmp_raw, auth_protocol), 0, "SHA", 0, 0, auth_protocols },
	{ "auth_password", SCH_STR, offsetof(struct snmp_raw, auth_password), 0, NULL, 0, 0, NULL },
	{ "auth_password_file", SCH_STR, offsetof(struct snmp_raw, auth_password_file), 0, NULL, 0, 0, NULL },
	{ "priv_protocol", SCH_ENUM, offsetof(struct snmp_raw, priv_protocol), 0, "AES", 0, 0, priv_protocols },
	{ "priv_password", SCH_STR, offsetof(struct snmp_raw, priv_password), 0, NULL, 0, 0, NULL },
	{ "priv_password_file", SCH_STR, offsetof(struct snmp_raw, priv_password_file), 0, NULL, 0, 0, NULL },
	{ "engine_id", SCH_STR, offsetof(struct snmp_raw, engine_id), 0, NULL, 0, 0, NULL },
	SCH_END
};

/* Keys that only an SNMPv3 destination may have. */
static const char *const snmp_v3_keys[] = {
	"user", "security", "auth_protocol", "auth_password", "auth_password_file",
	"priv_protocol", "priv_password", "priv_password_file", "engine_id", NULL
};

struct reports_raw {
	char *dir;
	const struct ynode *mail;
};

static const struct sch_field reports_fields[] = {
	{ "dir", SCH_STR, offsetof(struct reports_raw, dir), 0, NULL, 0, 0, NULL },
	{ "mail", SCH_NODE, offsetof(struct reports_raw, mail), 0, NULL, 0, 0, NULL },
	SCH_END
};

struct mail_raw {
	char *url, *from, *username, *password, *password_file, *ca_file, *subject;
	struct strlist to;
};

static const struct sch_field mail_fields[] = {
	{ "url", SCH_STR, offsetof(struct mail_raw, url), 1, NULL, 0, 0, NULL },
	{ "from", SCH_STR, offsetof(struct mail_raw, from), 1, NULL, 0, 0, NULL },
	{ "to", SCH_STRLIST, offsetof(struct mail_raw, to), 1, NULL, 0, 0, NULL },
	{ "username", SCH_STR, offsetof(struct mail_raw, username), 0, NULL, 0, 0, NULL },
	{ "password", SCH_STR, offsetof(struct mail_raw, password), 0, NULL, 0, 0, NULL },
	{ "password_file", SCH_STR, offsetof(struct mail_raw, password_file), 0, NULL, 0, 0, NULL },
	{ "ca_file", SCH_STR, offsetof(struct mail_raw, ca_file), 0, NULL, 0, 0, NULL },
	{ "subject", SCH_STR, offsetof(struct mail_raw, subject), 0, "mxsla SLA report %s", 0, 0, NULL },
	SCH_END
};

struct retention_raw { int64_t raw_ms; };

static const struct sch_field retention_fields[] = {
	{ "raw", SCH_DURATION, offsetof(struct retention_raw, raw_ms), 0, "35d", 86400000.0, 36500.0 * 86400000.0, NULL },
	SCH_END
};

struct limits_raw {
	uint64_t body_max, string_max;
	long long results_max, depth_max;
};

static const struct sch_field limits_fields[] = {
	{ "body_max", SCH_SIZE, offsetof(struct limits_raw, body_max), 0, "8MB", 65536, 1073741824.0, NULL },
	{ "results_max", SCH_INT, offsetof(struct limits_raw, results_max), 0, "20000", 5000, 1000000, NULL },
	{ "string_max", SCH_SIZE, offsetof(struct limits_raw, string_max), 0, "64KB", 1024, 16777216.0, NULL },
	{ "depth_max", SCH_INT, offsetof(struct limits_raw, depth_max), 0, "32", 4, 256, NULL },
	SCH_END
};

struct http_raw { long long threads; };

static const struct sch_field http_fields[] = {
	{ "threads", SCH_INT, offsetof(struct http_raw, threads), 0, "16", 1, 256, NULL },
	SCH_END
};

/* ---- small helpers ---- */

/* Wipe and free a secret. */
static void
secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* The node of the i-th string of a SCH_STRLIST key (a list item, or the
   single scalar), for locating an error; the map itself as a fallback. */
static const struct ynode *
list_item(const struct ynode *map, const char *key, size_t i)
{
	const struct ynode *n = ymap_get(map, key);

	if (n == NULL)
		return map;
	if (n->type == Y_SEQ && i < n->n)
		return n->items[i];
	return n;
}

/* The node of key in map, or the map when the key is absent. */
static const struct ynode *
at_key(const struct ynode *map, const char *key)
{
	const struct ynode *n = ymap_get(map, key);

	return n != NULL ? n : map;
}

/* An id usable in URLs and selectors: 1..ID_MAX of [A-Za-z0-9._-]. */
static int
id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ID_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int
has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The secret in path (lib/secret.h); NULL after adding an error at node. */
static char *
read_secret_file(const char *path, size_t max, const char *what, const struct ynode *node,
		 struct cfgerr *errs)
{
	char *err = NULL, *secret = secret_read_file(path, max, &err);

	if (secret == NULL) {
		cfgerr_at(errs, node, "%s %s%s", what, path, err);
		free(err);
	}
	return secret;
}

static void
check_readable(const char *path, const char *what, const struct ynode *node, struct cfgerr *errs)
{
	if (access(path, R_OK) < 0)
		cfgerr_at(errs, node, "%s %s: %s", what, path, strerror(errno));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- listen, tls, timezone, stale_after ---- */

/* "host:port" or "[v6]:port" into l; -1 if malformed. */
static int
parse_listen(const char *s, struct cc_listen *l, int *bad_port_r)
{
	const char *colon, *hs, *he;
	char *end;
	long port;

	*bad_port_r = 0;
	if (s[0] == '[') {
		he = strchr(s, ']');
		if (he == NULL || he == s + 1 || he[1] != ':')
			return -1;
		hs = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || colon == s || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -1;
		hs = s;
		he = colon;
	}
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0')
		return -1;
	if (errno != 0 || port < 1 || port > 65535) {
		*bad_port_r = 1;
		return -1;
	}
	for (const char *p = hs; p < he; p++)
		if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20)
			return -1;
	l->host = xstrndup(hs, (size_t)(he - hs));
	l->port = (int)port;
	return 0;
}

static void
load_listen_one(struct collector_config *cfg, const struct ynode *n, struct cfgerr *errs)
{
	struct cc_listen l;
	int bad_port;

	if (n->type != Y_SCALAR || n->is_null) {
		cfgerr_at(errs, n, "listen: expected host:port, got a %s",
			  n->type == Y_SCALAR ? "null" : ynode_type_name(n->type));
		return;
	}
	if (parse_listen(n->scalar, &l, &bad_port) < 0) {
		if (bad_port)
			cfgerr_at(errs, n, "listen: port must be between 1 and 65535");
		else
			cfgerr_at(errs, n,
				  "listen: expected host:port like 127.0.0.1:8080 or [::1]:8080, got '%s'",
				  n->scalar);
		return;
	}
	for (size_t i = 0; i < cfg->nlisten; i++)
		if (strcmp(cfg->listen[i].host, l.host) == 0 && cfg->listen[i].port == l.port)
			cfgerr_at(errs, n, "listen: %s given twice", n->scalar);
	cfg->listen[cfg->nlisten++] = l;
}

static void
load_listen(struct collector_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	if (node == NULL || (node->type == Y_SCALAR && node->is_null)) {
		cfg->listen = xcalloc(1, sizeof(*cfg->listen));
		cfg->listen[0].host = xstrdup("127.0.0.1");
		cfg->listen[0].port = 8080;
		cfg->nlisten = 1;
		return;
	}
	if (node->type == Y_SEQ) {
		if (node->n == 0) {
			cfgerr_at(errs, node, "listen: give at least one host:port");
			return;
		}
		cfg->listen = xcalloc(node->n, sizeof(*cfg->listen));
		for (size_t i = 0; i < node->n; i++)
			load_listen_one(cfg, node->items[i], errs);
		return;
	}
	cfg->listen = xcalloc(1, sizeof(*cfg->listen));
	load_listen_one(cfg, node, errs);
}

static void
load_tls(struct collector_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	struct tls_raw raw;

	if (node == NULL || (node->type == Y_SCALAR && node->is_null))
		return;
	memset(&raw, 0, sizeof(raw));
	if (schema_apply(node, tls_fields, &raw, NULL, errs) == 0) {
		if ((raw.cert == NULL) != (raw.key == NULL))
			cfgerr_at(errs, node, "tls: give both cert and key");
		if (raw.cert != NULL)
			check_readable(raw.cert, "tls cert", ymap_get(node, "cert"), errs);
		if (raw.key != NULL)
			check_readable(raw.key, "tls key", ymap_get(node, "key"), errs);
	}
	cfg->tls_cert = raw.cert;
	cfg->tls_key = raw.key;
}

/* A zone name as caltime_set_zone will accept it: "UTC", or a file
   under $TZDIR or /usr/share/zoneinfo (no absolute paths, no ".."). */
static void
check_timezone(const char *name, const struct ynode *node, struct cfgerr *errs)
{
	const char *dir = getenv("TZDIR");
	size_t len = strlen(name);

	if (strcmp(name, "UTC") == 0)
		return;
	if (len == 0 || len > 255 || name[0] == '/' || strstr(name, "..") != NULL ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != len) {
		cfgerr_at(errs, node, "timezone: '%s' is not an IANA zone name like Europe/Berlin",
			  name);
		return;
	}
	if (caltime_zone_file(name))
		return;
	cfgerr_at(errs, node, "timezone: unknown zone '%s' (no zone file of that name under %s)",
		  name, dir != NULL && *dir != '\0' ? dir : "/usr/share/zoneinfo");
}

static void
load_stale_after(struct collector_config *cfg, const struct ynode *n, struct cfgerr *errs)
{
	int64_t ms;

	cfg->stale_mult = 3;
	cfg->stale_fixed_s = 0;
	if (n == NULL || (n->type == Y_SCALAR && n->is_null))
		return;
	if (n->type == Y_SCALAR) {
		size_t len = strlen(n->scalar);

		if (len >= 2 && (n->scalar[len - 1] == 'x' || n->scalar[len - 1] == 'X') &&
		    strspn(n->scalar, "0123456789") == len - 1) {
			long v = len - 1 <= 4 ? strtol(n->scalar, NULL, 10) : STALE_MULT_MAX + 1;

			if (v < 1 || v > STALE_MULT_MAX) {
				cfgerr_at(errs, n, "stale_after: the multiple must be between 1x and %dx",
					  STALE_MULT_MAX);
				return;
			}
			cfg->stale_mult = (int)v;
			return;
		}
		if (units_parse_duration_ms(n->scalar, &ms) == 0) {
			if (ms < 1000 || ms > 30LL * 86400000) {
				cfgerr_at(errs, n, "stale_after must be between 1s and 30d");
				return;
			}
			cfg->stale_mult = 0;
			cfg->stale_fixed_s = ms / 1000;
			return;
		}
	}
	cfgerr_at(errs, n,
		  "stale_after: expected a multiple of the interval like 3x or a duration like 10m");
}

/* ---- agents and users ---- */

static int
parse_sha256_hex(const char *s, unsigned char out[32])
{
	if (strlen(s) != 64)
		return -1;
	for (size_t i = 0; i < 32; i++) {
		int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* Where each agent's id was written, for "first at" in duplicate errors. */
struct seen_id { const char *id; const struct ynode *at; };

static const struct seen_id *
seen_find(const struct seen_id *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	return NULL;
}

static void
dup_error(struct cfgerr *errs, const struct ynode *at, const char *what, const char *id,
	  const struct ynode *first)
{
	cfgerr_at(errs, at, "duplicate %s '%s' (first at %s:%d:%d)", what, id, first->file,
		  first->line, first->col);
}

static void
load_agents(struct collector_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	struct seen_id *seen;
	const struct ynode **token_at;

	if (node == NULL || (node->type == Y_SCALAR && node->is_null))
		return;
	if (node->type != Y_SEQ) {
		cfgerr_at(errs, node, "agents: expected a list of agents, got a %s",
			  ynode_type_name(node->type));
		return;
	}
	cfg->agents = xcalloc(node->n, sizeof(*cfg->agents));
	seen = xcalloc(node->n, sizeof(*seen));
	token_at = xcalloc(node->n, sizeof(*token_at));
	for (size_t i = 0; i < node->n; i++) {
		const struct ynode *m = node->items[i];
		struct agent_raw raw;
		unsigned char digest[32];
		int forms, ok = 0;
		const struct seen_id *first;

		memset(&raw, 0, sizeof(raw));
		if (m->type != Y_MAP) {
			cfgerr_at(errs, m, "agent: expected a mapping with id and token_file, got a %s",
				  ynode_type_name(m->type));
			continue;
		}
		schema_apply(m, agent_fields, &raw, NULL, errs);
		if (raw.id != NULL && !id_valid(raw.id))
			cfgerr_at(errs, ymap_get(m, "id"),
				  "agent id must be 1 to %d characters of A-Z a-z 0-9 . _ -", ID_MAX);
		forms = (raw.token != NULL) + (raw.token_file != NULL) + (raw.token_sha256 != NULL);
		if (forms != 1) {
			cfgerr_at(errs, m, "agent%s%s: give exactly one of token, token_file, token_sha256",
				  raw.id ? " " : "", raw.id ? raw.id : "");
		} else if (raw.token != NULL) {
			if (raw.token[0] == '\0') {
				cfgerr_at(errs, ymap_get(m, "token"), "token must not be empty");
			} else {
				SHA256((const unsigned char *)raw.token, strlen(raw.token), digest);
				ok = 1;
			}
		} else if (raw.token_file != NULL) {
			char *tok = read_secret_file(raw.token_file, TOKEN_FILE_MAX, "token_file",
						     ymap_get(m, "token_file"), errs);
			if (tok != NULL) {
				SHA256((const unsigned char *)tok, strlen(tok), digest);
				secret_free(tok);
				ok = 1;
			}
		} else if (parse_sha256_hex(raw.token_sha256, digest) < 0) {
			cfgerr_at(errs, ymap_get(m, "token_sha256"),
				  "token_sha256 must be 64 hexadecimal digits (sha256sum of the token)");
		} else {
			ok = 1;
		}
		if (ok) {
			/* the ingest tells agents apart by their token */
			for (size_t k = 0; k < cfg->nagents; k++)
				if (token_at[k] != NULL &&
				    memcmp(cfg->agents[k].token_sha256, digest, 32) == 0)
					cfgerr_at(errs, m, "agent %s has the same token as agent %s",
						  raw.id ? raw.id : "?", cfg->agents[k].id);
		}
		if (raw.id != NULL && (first = seen_find(seen, cfg->nagents, raw.id)) != NULL)
			dup_error(errs, ymap_get(m, "id"), "agent id", raw.id, first->at);
		if (raw.id == NULL) {
			secret_free(raw.token);
			raw.token = NULL;
			schema_free(agent_fields, &raw);
			continue;
		}
		cfg->agents[cfg->nagents].id = raw.id;
		raw.id = NULL;
		if (ok)
			memcpy(cfg->agents[cfg->nagents].token_sha256, digest, 32);
		token_at[cfg->nagents] = ok ? m : NULL;
		seen[cfg->nagents].id = cfg->agents[cfg->nagents].id;
		seen[cfg->nagents].at = ymap_get(m, "id");
		cfg->nagents++;
		explicit_bzero(digest, sizeof(digest));
		secret_free(raw.token);
		raw.token = NULL;
		schema_free(agent_fields, &raw);
	}
	free(token_at);
	free(seen);
}

static void
load_ui(struct collector_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	struct ui_raw ui;
	const struct ynode *users;

	if (node == NULL || (node->type == Y_SCALAR && node->is_null))
		return;
	memset(&ui, 0, sizeof(ui));
	if (schema_apply(node, ui_fields, &ui, NULL, errs) < 0 || ui.users == NULL)
		return;
	users = ui.users;
	if (users->type == Y_SCALAR && users->is_null)
		return;
	if (users->type != Y_SEQ) {
		cfgerr_at(errs, users, "ui.users: expected a list of users, got a %s",
			  ynode_type_name(users->type));
		return;
	}
	cfg->users = xcalloc(users->n, sizeof(*cfg->users));
	for (size_t i = 0; i < users->n; i++) {
		const struct ynode *m = users->items[i];
		struct user_raw raw;

		memset(&raw, 0, sizeof(raw));
		if (m->type != Y_MAP) {
			cfgerr_at(errs, m, "user: expected a mapping with name and password_hash, got a %s",
				  ynode_type_name(m->type));
			continue;
		}
		schema_apply(m, user_fields, &raw, NULL, errs);
		if (raw.password_hash != NULL &&
		    (raw.password_hash[0] != '$' || strchr(raw.password_hash + 1, '$') == NULL))
			cfgerr_at(errs, ymap_get(m, "password_hash"),
				  "password_hash must be a crypt(3) hash like $6$... or $y$... (mkpasswd -m yescrypt)");
		if (raw.name != NULL && raw.name[0] == '\0')
			cfgerr_at(errs, ymap_get(m, "name"), "user name must not be empty");
		for (size_t k = 0; raw.name != NULL && k < cfg->nusers; k++)
			if (strcmp(cfg->users[k].name, raw.name) == 0)
				cfgerr_at(errs, ymap_get(m, "name"), "duplicate user '%s'", raw.name);
		if (raw.name == NULL || raw.password_hash == NULL) {
			schema_free(user_fields, &raw);
			continue;
		}
		cfg->users[cfg->nusers].name = raw.name;
		cfg->users[cfg->nusers].password_hash = raw.password_hash;
		cfg->nusers++;
	}
}

/* ---- calendars and weekly windows ---- */

/* Decode days/from/to (and holidays when cal is not NULL) of map m with
   fields; fills mask and the minutes.  Errors located at the items. */
static void
load_week(const struct ynode *m, const struct sch_field *fields, unsigned *mask_r,
	  int *from_r, int *to_r, struct calendar *cal, struct cfgerr *errs)
{
	struct week_raw raw;

	memset(&raw, 0, sizeof(raw));
	strlist_init(&raw.days);
	strlist_init(&raw.holidays);
	*mask_r = 0x7f;
	*from_r = 0;
	*to_r = 1440;
	schema_apply(m, fields, &raw, NULL, errs);
	if (ymap_get(m, "days") != NULL && raw.days.n > 0)
		*mask_r = 0;
	for (size_t i = 0; i < raw.days.n && ymap_get(m, "days") != NULL; i++) {
		int wd = caltime_parse_weekday(raw.days.v[i]);

		if (wd < 0)
			cfgerr_at(errs, list_item(m, "days", i),
				  "days: '%s' is not a weekday (mon, tue, wed, thu, fri, sat, sun)",
				  raw.days.v[i]);
		else
			*mask_r |= 1u << wd;
	}
	if (ymap_get(m, "days") != NULL && ymap_get(m, "days")->type == Y_SEQ &&
	    ymap_get(m, "days")->n == 0)
		cfgerr_at(errs, ymap_get(m, "days"), "days: give at least one weekday");
	if (raw.from != NULL && (caltime_parse_hhmm(raw.from, from_r) < 0 || *from_r >= 1440)) {
		cfgerr_at(errs, at_key(m, "from"), "from: expected a time of day like 08:00, got '%s'",
			  raw.from);
		*from_r = 0;
	}
	if (raw.to != NULL && caltime_parse_hhmm(raw.to, to_r) < 0) {
		cfgerr_at(errs, at_key(m, "to"), "to: expected a time of day like 18:00 or 24:00, got '%s'",
			  raw.to);
		*to_r = 1440;
	} else if (*to_r == *from_r && ymap_get(m, "to") != NULL) {
		cfgerr_at(errs, ymap_get(m, "to"), "to must differ from from");
	}
	if (cal != NULL && raw.holidays.n > 0) {
		cal->holidays = xcalloc(raw.holidays.n, sizeof(*cal->holidays));
		for (size_t i = 0; i < raw.holidays.n; i++) {
			struct calday *d = &cal->holidays[cal->nholidays];

			if (caltime_parse_date(raw.holidays.v[i], &d->y, &d->mo, &d->d) < 0)
				cfgerr_at(errs, list_item(m, "holidays", i),
					  "holidays: expected a date like 2026-12-25, got '%s'",
					  raw.holidays.v[i]);
			else
				cal->nholidays++;
		}
	}
	schema_free(fields, &raw);
}

static void
load_calendars(struct collector_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	if (node == NULL || (node->type == Y_SCALAR && node->is_null))
		return;
	if (node->type != Y_MAP) {
		cfgerr_at(errs, node, "calendars: expected a mapping of name to calendar, got a %s",
			  ynode_type_name(node->type));
		return;
	}
	/* all at once: services keep pointers into this array */
	cfg->calendars = xcalloc(node->n, sizeof(*cfg->calendars));
	for (size_t i = 0; i < node->n; i++) {
		const struct ynode *k = node->pairs[i].key, *v = node->pairs[i].value;
		struct cc_calendar *c;

		if (!id_valid(k->scalar) || strcmp(k->scalar, "24x7") == 0) {
			cfgerr_at(errs, k, "calendar name must be 1 to %d characters of A-Z a-z 0-9 . _ - and not 24x7",
				  ID_MAX);
			continue;
		}
		if (v->type != Y_MAP && !(v->type == Y_SCALAR && v->is_null)) {
			cfgerr_at(errs, v, "calendar %s: expected a mapping with days, from, to, holidays",
				  k->scalar);
			continue;
		}
		c = &cfg->calendars[cfg->ncalendars++];
		c->name = xstrdup(k->scalar);
		load_week(v, calendar_fields, &c->cal.days_mask, &c->cal.from_min, &c->cal.to_min,
			  &c->cal, errs);
	}
}

static const struct cc_calendar *
calendar_find(const struct collector_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ncalendars; i++)
		if (strcmp(cfg->calendars[i].name, name) == 0)
			return &cfg->calendars[i];
	return NULL;
}

/* ---- services ---- */

/* "AGENT:RULE@TARGET" (agent and target optional) into sel; -1 when a
   part is empty. */
static int
selector_parse(const char *s, struct cc_selector *sel)
{
	const char *colon = strchr(s, ':'), *rule = colon ? colon + 1 : s, *at = strchr(rule, '@');
	size_t rlen = at ? (size_t)(at - rule) : strlen(rule);

	/* an agent id never contains '@': "r@t:u" is a mistyped selector */
	if ((colon != NULL && colon == s) || rlen == 0 || (at != NULL && at[1] == '\0') ||
	    (at != NULL && strchr(at + 1, '@') != NULL) || (at != NULL && strchr(at + 1, ':') != NULL) ||
	    (colon != NULL && memchr(s, '@', (size_t)(colon - s)) != NULL))
		return -1;
	sel->text = xstrdup(s);
	sel->agent = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup("*");
	sel->rule = xstrndup(rule, rlen);
	sel->target = at ? xstrdup(at + 1) : xstrdup("*");
	return 0;
}

static void
selector_free(struct cc_selector *sel)
{
	free(sel->text);
	free(sel->agent);
	free(sel->rule);
	free(sel->target);
}

static void
load_components(struct cc_service *svc, const struct ynode *n, struct cfgerr *errs)
{
	if (n->type == Y_SCALAR && !n->is_null) {
		/* one selector written without brackets */
		svc->components = xcalloc(1, sizeof(*svc->components));
		if (selector_parse(n->scalar, &svc->components[0]) < 0)
			cfgerr_at(errs, n, "component: expected AGENT:RULE@TARGET like hub*:service.smtp@smtp, got '%s'",
				  n->scalar);
		else
			svc->ncomponents = 1;
		return;
	}
	if (n->type != Y_SEQ || n->n == 0) {
		cfgerr_at(errs, n, "components: expected a non-empty list of AGENT:RULE@TARGET selectors");
		return;
	}
	svc->components = xcalloc(n->n, sizeof(*svc->components));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];

		if (it->type != Y_SCALAR || it->is_null) {
			cfgerr_at(errs, it, "component: expected a string AGENT:RULE@TARGET, got a %s",
				  it->type == Y_SCALAR ? "null" : ynode_type_name(it->type));
			continue;
		}
		if (selector_parse(it->scalar, &svc->components[svc->ncomponents]) < 0) {
			cfgerr_at(errs, it, "component: expected AGENT:RULE@TARGET like hub*:service.smtp@smtp, got '%s'",
				  it->scalar);
			continue;
		}
		svc->ncomponents++;
	}
}

static void
load_require(struct cc_service *svc, const struct ynode *n, size_t ncomp, struct cfgerr *errs)
{
	svc->require = SLA_REQUIRE_ALL;
	if (n == NULL || (n->type == Y_SCALAR && n->is_null))
		return;
	if (n->type == Y_SCALAR) {
		const char *s = n->scalar;
		size_t len = strlen(s);

		if (strcmp(s, "all") == 0)
			return;
		if (strcmp(s, "any") == 0) {
			svc->require = SLA_REQUIRE_ANY;
			return;
		}
		if (len > 0 && len <= 6 && strspn(s, "0123456789") == len) {
			long v = strtol(s, NULL, 10);

			if (v >= 1 && (size_t)v <= (ncomp > 0 ? ncomp : 1)) {
				svc->require = (int)v;
				return;
			}
		}
	}
	cfgerr_at(errs, n, "require must be all, any or a number from 1 to %zu (the number of components)",
		  ncomp > 0 ? ncomp : 1);
}

static void
load_services(struct collector_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	struct seen_id *seen;

	if (node == NULL || (node->type == Y_SCALAR && node->is_null))
		return;
	if (node->type != Y_SEQ) {
		cfgerr_at(errs, node, "services: expected a list of services, got a %s",
			  ynode_type_name(node->type));
		return;
	}
	cfg->services = xcalloc(node->n, sizeof(*cfg->services));
	seen = xcalloc(node->n, sizeof(*seen));
	for (size_t i = 0; i < node->n; i++) {
		const struct ynode *m = node->items[i];
		struct service_raw raw;
		struct cc_service *svc;
		const struct seen_id *first;

		memset(&raw, 0, sizeof(raw));
		if (m->type != Y_MAP) {
			cfgerr_at(errs, m, "service: expected a mapping with id and components, got a %s",
				  ynode_type_name(m->type));
			continue;
		}
		/* NaN tells "target given but not a number" (already reported)
		   from a number out of range */
		raw.target = NAN;
		schema_apply(m, service_fields, &raw, NULL, errs);
		if (isnan(raw.target))
			raw.target = 99.9;
		else if (!(raw.target > 0 && raw.target <= 100))
			cfgerr_at(errs, at_key(m, "target"), "target must be above 0 and at most 100 (percent)");
		if (raw.id == NULL) {
			schema_free(service_fields, &raw);
			continue;
		}
		if (!id_valid(raw.id))
			cfgerr_at(errs, ymap_get(m, "id"),
				  "service id must be 1 to %d characters of A-Z a-z 0-9 . _ -", ID_MAX);
		if ((first = seen_find(seen, cfg->nservices, raw.id)) != NULL)
			dup_error(errs, ymap_get(m, "id"), "service id", raw.id, first->at);
		svc = &cfg->services[cfg->nservices];
		seen[cfg->nservices].id = raw.id;
		seen[cfg->nservices].at = ymap_get(m, "id");
		cfg->nservices++;
		svc->id = raw.id;
		svc->name = raw.name != NULL ? raw.name : xstrdup(raw.id);
		svc->target = raw.target;
		/* NULL only after an error already reported (hours: [list]) */
		svc->hours_name = raw.hours != NULL ? raw.hours : xstrdup("24x7");
		raw.id = raw.name = raw.hours = NULL;
		if (strcmp(svc->hours_name, "24x7") != 0) {
			const struct cc_calendar *c = calendar_find(cfg, svc->hours_name);

			if (c == NULL)
				cfgerr_at(errs, at_key(m, "hours"),
					  "hours: no calendar named '%s' (use 24x7 or a name under calendars)",
					  svc->hours_name);
			else
				svc->hours = &c->cal;
		}
		if (raw.components != NULL)
			load_components(svc, raw.components, errs);
		/* N is bounded by the list as written, so that a bad selector
		   does not also make a correct require look wrong */
		load_require(svc, raw.require,
			     raw.components != NULL && raw.components->type == Y_SEQ ?
				     raw.components->n : svc->ncomponents,
			     errs);
		memset(&svc->policy, 0, sizeof(svc->policy));
		if (raw.policy != NULL)
			schema_apply(raw.policy, policy_fields, &svc->policy, NULL, errs);
		else
			schema_apply(NULL, policy_fields, &svc->policy, NULL, errs);
		schema_free(service_fields, &raw);
	}
	free(seen);
}

/* ---- maintenance ---- */

/* "2026-10-10 22:00" (or T, optional ":SS") into wall-clock fields. */
static int
parse_walltime(const char *s, struct cc_walltime *w)
{
	char date[11], hhmm[6];
	int min;
	size_t len = strlen(s);

	if (len != 16 && len != 19)
		return -1;
	if (s[10] != ' ' && s[10] != 'T')
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	memcpy(hhmm, s + 11, 5);
	hhmm[5] = '\0';
	if (caltime_parse_date(date, &w->y, &w->mo, &w->d) < 0 || caltime_parse_hhmm(hhmm, &min) < 0 ||
	    min >= 1440)
		return -1;
	w->h = min / 60;
	w->mi = min % 60;
	w->s = 0;
	if (len == 19) {
		if (s[16] != ':' || !isdigit((unsigned char)s[17]) || !isdigit((unsigned char)s[18]))
			return -1;
		w->s = (s[17] - '0') * 10 + (s[18] - '0');
		if (w->s > 59)
			return -1;
	}
	return 0;
}

static int
walltime_cmp(const struct cc_walltime *a, const struct cc_walltime *b)
{
	const int va[6] = { a->y, a->mo, a->d, a->h, a->mi, a->s };
	const int vb[6] = { b->y, b->mo, b->d, b->h, b->mi, b->s };

	for (size_t i = 0; i < 6; i++)
		if (va[i] != vb[i])
			return va[i] < vb[i] ? -1 : 1;
	return 0;
}

static int64_t
walltime_instant(const struct cc_walltime *w)
{
	return caltime_local(w->y, w->mo, w->d, w->h, w->mi) + w->s;
}

static void
load_maintenance(struct collector_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	if (node == NULL || (node->type == Y_SCALAR && node->is_null))
		return;
	if (node->type != Y_SEQ) {
		cfgerr_at(errs, node, "maintenance: expected a list of windows, got a %s",
			  ynode_type_name(node->type));
		return;
	}
	cfg->maintenance = xcalloc(node->n, sizeof(*cfg->maintenance));
	for (size_t i = 0; i < node->n; i++) {
		const struct ynode *m = node->items[i];
		struct maint_raw raw;
		struct cc_maintenance *w;

		memset(&raw, 0, sizeof(raw));
		strlist_init(&raw.services);
		if (m->type != Y_MAP) {
			cfgerr_at(errs, m, "maintenance: expected a mapping with services and start/end or weekly, got a %s",
				  ynode_type_name(m->type));
			continue;
		}
		schema_apply(m, maint_fields, &raw, NULL, errs);
		w = &cfg->maintenance[cfg->nmaintenance];
		memset(w, 0, sizeof(*w));
		strlist_init(&w->services);
		for (size_t k = 0; k < raw.services.n; k++) {
			const char *s = raw.services.v[k];

			if (!has_glob(s) && collector_config_service(cfg, s) == NULL) {
				cfgerr_at(errs, list_item(m, "services", k),
					  "maintenance: no service with id '%s'", s);
			}
		}
		if (ymap_get(m, "services") != NULL && raw.services.n == 0) {
			cfgerr_at(errs, ymap_get(m, "services"), "maintenance: services must not be empty");
		}
		if (raw.weekly != NULL && (raw.start != NULL || raw.end != NULL)) {
			cfgerr_at(errs, m, "maintenance: give start and end, or weekly, not both");
		} else if (raw.weekly != NULL) {
			w->weekly = 1;
			if (raw.weekly->type != Y_MAP) {
				cfgerr_at(errs, raw.weekly, "weekly: expected a mapping with days, from, to");
			} else {
				load_week(raw.weekly, weekly_fields, &w->days_mask, &w->from_min, &w->to_min,
					  NULL, errs);
			}
		} else if (raw.start == NULL || raw.end == NULL) {
			cfgerr_at(errs, m, "maintenance: give start and end (\"2026-10-10 22:00\"), or weekly");
		} else {
			int ok = 1;

			if (parse_walltime(raw.start, &w->start_wall) < 0) {
				cfgerr_at(errs, ymap_get(m, "start"),
					  "start: expected a local time like \"2026-10-10 22:00\", got '%s'",
					  raw.start);
				ok = 0;
			}
			if (parse_walltime(raw.end, &w->end_wall) < 0) {
				cfgerr_at(errs, ymap_get(m, "end"),
					  "end: expected a local time like \"2026-10-11 02:00\", got '%s'",
					  raw.end);
				ok = 0;
			}
			if (ok && walltime_cmp(&w->end_wall, &w->start_wall) <= 0) {
				cfgerr_at(errs, ymap_get(m, "end"), "end must be after start");
				ok = 0;
			}
			if (ok) {
				w->start = walltime_instant(&w->start_wall);
				w->end = walltime_instant(&w->end_wall);
			}
		}
		strlist_copy(&w->services, &raw.services);
		w->reason = raw.reason;
		raw.reason = NULL;
		cfg->nmaintenance++;
		schema_free(maint_fields, &raw);
	}
}

/* ---- notify.snmp ---- */

static char *
snmp_password(const struct ynode *m, char **inline_pw, char **file, const char *key,
	      struct cfgerr *errs)
{
	char *fkey = xasprintf("%s_file", key);
	char *pw = NULL;

	if (*inline_pw != NULL && *file != NULL) {
		cfgerr_at(errs, ymap_get(m, key), "give %s or %s, not both", key, fkey);
	} else if (*inline_pw != NULL) {
		pw = *inline_pw;
		*inline_pw = NULL;
		if (strlen(pw) < 8) {
			cfgerr_at(errs, ymap_get(m, key), "%s must be at least 8 characters (SNMPv3)", key);
		}
	} else if (*file != NULL) {
		pw = read_secret_file(*file, PASSWORD_FILE_MAX, fkey, ymap_get(m, fkey), errs);
		if (pw != NULL && strlen(pw) < 8)
			cfgerr_at(errs, ymap_get(m, fkey), "%s %s: the password must be at least 8 characters (SNMPv3)",
				  fkey, *file);
	}
	free(fkey);
	return pw;
}

static void
load_snmp_one(struct cc_snmp_dest *d, const struct ynode *m, struct cfgerr *errs)
{
	struct snmp_raw raw;
	const struct ynode *v;

	memset(&raw, 0, sizeof(raw));
	strlist_init(&raw.events);
	schema_apply(m, snmp_fields, &raw, NULL, errs);
	d->name = raw.name ? raw.name : xstrdup("?");
	d->host = raw.host ? raw.host : xstrdup("?");
	raw.name = raw.host = NULL;
	if (!id_valid(d->name) && ymap_get(m, "name") != NULL)
		cfgerr_at(errs, ymap_get(m, "name"),
			  "snmp name must be 1 to %d characters of A-Z a-z 0-9 . _ -", ID_MAX);
	d->port = raw.port;
	d->inform = raw.inform;
	d->min_severity = raw.min_severity;    /* index of severities = MX_OK .. MX_UNKNOWN */
	d->version = 2;
	v = raw.version;
	if (v != NULL && !(v->type == Y_SCALAR && v->is_null)) {
		if (v->type == Y_SCALAR && strcmp(v->scalar, "2c") == 0)
			d->version = 2;
		else if (v->type == Y_SCALAR && strcmp(v->scalar, "3") == 0)
			d->version = 3;
		else
			cfgerr_at(errs, v, "version must be 2c or 3");
	}
	d->events = 0;
	for (size_t i = 0; i < raw.events.n; i++) {
		size_t k;

		for (k = 0; event_names[k] != NULL; k++)
			if (strcmp(raw.events.v[i], event_names[k]) == 0)
				break;
		if (event_names[k] == NULL)
			cfgerr_at(errs, list_item(m, "events", i),
				  "events: unknown event '%s' (events: check, service, budget, agent)",
				  raw.events.v[i]);
		else
			d->events |= 1u << k;
	}
	if (ymap_get(m, "events") != NULL && raw.events.n == 0)
		cfgerr_at(errs, ymap_get(m, "events"), "events: give at least one of check, service, budget, agent");
	if (d->version == 2) {
		for (size_t k = 0; snmp_v3_keys[k] != NULL; k++)
			if (ymap_get(m, snmp_v3_keys[k]) != NULL)
				cfgerr_at(errs, ymap_get(m, snmp_v3_keys[k]) , "%s is for version 3 only",
					  snmp_v3_keys[k]);
		d->community = raw.community ? raw.community : xstrdup("public");
		raw.community = NULL;
	} else {
		if (raw.community != NULL)
			cfgerr_at(errs, ymap_get(m, "community"), "community is for version 2c only");
		if (raw.user == NULL)
			cfgerr_at(errs, m, "snmp %s: version 3 needs user", d->name);
		d->user = raw.user;
		raw.user = NULL;
		d->security = raw.security;
		d->auth_protocol = xstrdup(auth_protocols[raw.auth_protocol]);
		d->priv_protocol = xstrdup(priv_protocols[raw.priv_protocol]);
		d->auth_password = snmp_password(m, &raw.auth_password, &raw.auth_password_file,
						 "auth_password", errs);
		d->priv_password = snmp_password(m, &raw.priv_password, &raw.priv_password_file,
						 "priv_password", errs);
		if (d->security >= 1 && d->auth_password == NULL &&
		    ymap_get(m, "auth_password") == NULL && ymap_get(m, "auth_password_file") == NULL)
			cfgerr_at(errs, m, "snmp %s: security %s needs auth_password or auth_password_file",
				  d->name, securities[d->security]);
		if (d->security >= 2 && d->priv_password == NULL &&
		    ymap_get(m, "priv_password") == NULL && ymap_get(m, "priv_password_file") == NULL)
			cfgerr_at(errs, m, "snmp %s: security authPriv needs priv_password or priv_password_file",
				  d->name);
		if (d->security < 1 && (ymap_get(m, "auth_password") || ymap_get(m, "auth_password_file")))
			cfgerr_at(errs, at_key(m, ymap_get(m, "auth_password") ? "auth_password" : "auth_password_file"),
				  "an auth password is not used with security %s", securities[d->security]);
		if (d->security < 2 && (ymap_get(m, "priv_password") || ymap_get(m, "priv_password_file")))
			cfgerr_at(errs, at_key(m, ymap_get(m, "priv_password") ? "priv_password" : "priv_password_file"),
				  "a priv password is not used with security %s", securities[d->security]);
		if (raw.engine_id != NULL) {
			const char *e = raw.engine_id;
			size_t len = strlen(e), hex = len >= 2 ? len - 2 : 0;

			if (len < 2 || e[0] != '0' || (e[1] != 'x' && e[1] != 'X') ||
			    strspn(e + 2, "0123456789abcdefABCDEF") != hex || hex % 2 != 0 || hex < 10 ||
			    hex > 64)
				cfgerr_at(errs, ymap_get(m, "engine_id"),
					  "engine_id must be 0x followed by an even number of 10 to 64 hex digits");
			d->engine_id = raw.engine_id;
			raw.engine_id = NULL;
		}
	}
	secret_free(raw.auth_password);
	secret_free(raw.priv_password);
	raw.auth_password = raw.priv_password = NULL;
	schema_free(snmp_fields, &raw);
}

static void
load_notify(struct collector_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	struct notify_raw raw;
	const struct ynode *s;

	if (node == NULL || (node->type == Y_SCALAR && node->is_null))
		return;
	memset(&raw, 0, sizeof(raw));
	if (schema_apply(node, notify_fields, &raw, NULL, errs) < 0 || raw.snmp == NULL)
		return;
	s = raw.snmp;
	if (s->type != Y_SEQ) {
		cfgerr_at(errs, s, "notify.snmp: expected a list of destinations, got a %s",
			  ynode_type_name(s->type));
		return;
	}
	cfg->snmp = xcalloc(s->n, sizeof(*cfg->snmp));
	for (size_t i = 0; i < s->n; i++) {
		const struct ynode *m = s->items[i];
		struct cc_snmp_dest *d;

		if (m->type != Y_MAP) {
			cfgerr_at(errs, m, "snmp: expected a mapping with name and host, got a %s",
				  ynode_type_name(m->type));
			continue;
		}
		d = &cfg->snmp[cfg->nsnmp];
		load_snmp_one(d, m, errs);
		for (size_t k = 0; k < cfg->nsnmp; k++)
			if (ymap_get(m, "name") != NULL && strcmp(cfg->snmp[k].name, d->name) == 0)
				cfgerr_at(errs, ymap_get(m, "name"), "duplicate snmp destination '%s'", d->name);
		cfg->nsnmp++;
	}
}

/* ---- reports, retention, limits, http ---- */

/* The subject is a printf format with one %s (the month): anything else
   after a '%' would read an argument that is not there. */
static int
subject_valid(const char *s)
{
	int ns = 0;

	for (; *s != '\0'; s++) {
		if (*s != '%')
			continue;
		if (s[1] == '%') {
			s++;
		} else if (s[1] == 's' && ns == 0) {
			ns = 1;
			s++;
		} else {
			return 0;
		}
	}
	return 1;
}

static void
load_mail(struct collector_config *cfg, const struct ynode *m, struct cfgerr *errs)
{
	struct mail_raw raw;
	struct cc_mail *mail;

	memset(&raw, 0, sizeof(raw));
	strlist_init(&raw.to);
	schema_apply(m, mail_fields, &raw, NULL, errs);
	if (raw.url != NULL && strncmp(raw.url, "smtp://", 7) != 0 && strncmp(raw.url, "smtps://", 8) != 0)
		cfgerr_at(errs, ymap_get(m, "url"), "mail url must start with smtp:// or smtps://");
	if (ymap_get(m, "to") != NULL && raw.to.n == 0)
		cfgerr_at(errs, ymap_get(m, "to"), "mail to: give at least one address");
	for (size_t i = 0; i < raw.to.n; i++)
		if (strchr(raw.to.v[i], '@') == NULL || strpbrk(raw.to.v[i], "<>\r\n ") != NULL)
			cfgerr_at(errs, list_item(m, "to", i), "mail to: '%s' is not an address like noc@example.org",
				  raw.to.v[i]);
	if (raw.from != NULL && (strchr(raw.from, '@') == NULL || strpbrk(raw.from, "<>\r\n ") != NULL))
		cfgerr_at(errs, ymap_get(m, "from"), "mail from: '%s' is not an address like mxsla@example.org",
			  raw.from);
	if (raw.password != NULL && raw.password_file != NULL)
		cfgerr_at(errs, ymap_get(m, "password"), "give password or password_file, not both");
	if (raw.password_file != NULL) {
		char *pw = read_secret_file(raw.password_file, PASSWORD_FILE_MAX, "password_file",
					    ymap_get(m, "password_file"), errs);
		secret_free(raw.password);
		raw.password = pw;
	}
	if (raw.password != NULL && raw.username == NULL)
		cfgerr_at(errs, m, "mail: a password needs a username");
	if (raw.ca_file != NULL)
		check_readable(raw.ca_file, "ca_file", ymap_get(m, "ca_file"), errs);
	if (raw.subject != NULL && (!subject_valid(raw.subject) || strpbrk(raw.subject, "\r\n") != NULL))
		cfgerr_at(errs, at_key(m, "subject"),
			  "subject may contain one %%s (the month) and %%%% for a percent sign, and no line breaks");
	mail = xcalloc(1, sizeof(*mail));
	mail->url = raw.url;
	mail->from = raw.from;
	mail->to = raw.to;
	strlist_init(&raw.to);
	mail->username = raw.username;
	mail->password = raw.password;
	mail->ca_file = raw.ca_file;
	mail->subject = raw.subject;
	raw.url = raw.from = raw.username = raw.password = raw.ca_file = raw.subject = NULL;
	cfg->mail = mail;
	schema_free(mail_fields, &raw);
}

static void
load_reports(struct collector_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	struct reports_raw raw;

	if (node == NULL || (node->type == Y_SCALAR && node->is_null))
		return;
	memset(&raw, 0, sizeof(raw));
	if (schema_apply(node, reports_fields, &raw, NULL, errs) < 0 && node->type != Y_MAP) {
		schema_free(reports_fields, &raw);
		return;
	}
	if (raw.dir != NULL && raw.dir[0] != '/')
		cfgerr_at(errs, ymap_get(node, "dir"), "reports dir must be an absolute path");
	cfg->reports_dir = raw.dir;
	raw.dir = NULL;
	if (raw.mail != NULL && !(raw.mail->type == Y_SCALAR && raw.mail->is_null)) {
		if (raw.mail->type != Y_MAP)
			cfgerr_at(errs, raw.mail, "reports.mail: expected a mapping with url, from, to");
		else
			load_mail(cfg, raw.mail, errs);
	}
	schema_free(reports_fields, &raw);
}

static void
load_small(struct collector_config *cfg, const struct top_raw *top, struct cfgerr *errs)
{
	struct retention_raw ret;
	struct limits_raw lim;
	struct http_raw http;

	memset(&ret, 0, sizeof(ret));
	memset(&lim, 0, sizeof(lim));
	memset(&http, 0, sizeof(http));
	schema_apply(top->retention, retention_fields, &ret, NULL, errs);
	schema_apply(top->limits, limits_fields, &lim, NULL, errs);
	schema_apply(top->http, http_fields, &http, NULL, errs);
	cfg->retention_raw_s = ret.raw_ms / 1000;
	cfg->body_max = lim.body_max;
	cfg->results_max = (long)lim.results_max;
	cfg->string_max = (long)lim.string_max;
	cfg->depth_max = (int)lim.depth_max;
	cfg->http_threads = (int)http.threads;
}

/* ---- load and free ---- */

struct collector_config *
collector_config_load(const char *path, struct cfgerr *errs)
{
	struct ynode *root;
	struct top_raw raw;
	struct collector_config *cfg;
	size_t nerr = errs->total;

	root = ytree_load_file(path, errs);
	if (root == NULL)
		return NULL;
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->file = xstrdup(path);
	memset(&raw, 0, sizeof(raw));
	schema_apply(root, top_fields, &raw, NULL, errs);
	cfg->database = raw.database;
	cfg->timezone = raw.timezone;
	raw.database = raw.timezone = NULL;
	if (cfg->database != NULL && cfg->database[0] == '\0')
		cfgerr_at(errs, at_key(root, "database"), "database: give the path of the SQLite file");
	if (cfg->timezone != NULL)
		check_timezone(cfg->timezone, at_key(root, "timezone"), errs);
	cfg->sync_full = raw.database_sync;     /* index of sync_modes: normal 0, full 1 */
	cfg->log_level = raw.log_level;         /* index of log_levels = enum log_level */
	load_listen(cfg, raw.listen, errs);
	load_tls(cfg, raw.tls, errs);
	load_stale_after(cfg, raw.stale_after, errs);
	load_agents(cfg, raw.agents, errs);
	load_ui(cfg, raw.ui, errs);
	load_calendars(cfg, raw.calendars, errs);
	load_services(cfg, raw.services, errs);
	load_maintenance(cfg, raw.maintenance, errs);
	load_notify(cfg, raw.notify, errs);
	load_reports(cfg, raw.reports, errs);
	load_small(cfg, &raw, errs);
	schema_free(top_fields, &raw);
	ytree_free(root);
	if (errs->total != nerr) {
		collector_config_free(cfg);
		return NULL;
	}
	return cfg;
}

static void
snmp_dest_free(struct cc_snmp_dest *d)
{
	free(d->name);
	free(d->host);
	secret_free(d->community);
	free(d->user);
	free(d->auth_protocol);
	secret_free(d->auth_password);
	free(d->priv_protocol);
	secret_free(d->priv_password);
	free(d->engine_id);
}

void
collector_config_free(struct collector_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->file);
	for (size_t i = 0; i < cfg->nlisten; i++)
		free(cfg->listen[i].host);
	free(cfg->listen);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->database);
	free(cfg->timezone);
	for (size_t i = 0; i < cfg->nagents; i++)
		free(cfg->agents[i].id);
	if (cfg->agents != NULL)
		explicit_bzero(cfg->agents, cfg->nagents * sizeof(*cfg->agents));
	free(cfg->agents);
	for (size_t i = 0; i < cfg->nusers; i++) {
		free(cfg->users[i].name);
		free(cfg->users[i].password_hash);
	}
	free(cfg->users);
	for (size_t i = 0; i < cfg->ncalendars; i++) {
		free(cfg->calendars[i].name);
		free(cfg->calendars[i].cal.holidays);
	}
	free(cfg->calendars);
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct cc_service *s = &cfg->services[i];

		free(s->id);
		free(s->name);
		free(s->hours_name);
		for (size_t k = 0; k < s->ncomponents; k++)
			selector_free(&s->components[k]);
		free(s->components);
	}
	free(cfg->services);
	for (size_t i = 0; i < cfg->nmaintenance; i++) {
		strlist_free(&cfg->maintenance[i].services);
		free(cfg->maintenance[i].reason);
	}
	free(cfg->maintenance);
	for (size_t i = 0; i < cfg->nsnmp; i++)
		snmp_dest_free(&cfg->snmp[i]);
	free(cfg->snmp);
	free(cfg->reports_dir);
	if (cfg->mail != NULL) {
		free(cfg->mail->url);
		free(cfg->mail->from);
		strlist_free(&cfg->mail->to);
		free(cfg->mail->username);
		secret_free(cfg->mail->password);
		free(cfg->mail->ca_file);
		free(cfg->mail->subject);
		free(cfg->mail);
	}
	free(cfg);
}

/* ---- queries ---- */

const struct cc_agent *
collector_config_agent(const struct collector_config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->nagents; i++)
		if (strcmp(cfg->agents[i].id, id) == 0)
			return &cfg->agents[i];
	return NULL;
}

const struct cc_service *
collector_config_service(const struct collector_config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (strcmp(cfg->services[i].id, id) == 0)
			return &cfg->services[i];
	return NULL;
}

int
cc_selector_match(const struct cc_selector *sel, const char *agent, const char *check)
{
	const char *at = strchr(check, '@');
	char buf[256], *rule;
	size_t rlen;
	int match;

	if (at == NULL || fnmatch(sel->agent, agent, 0) != 0 || fnmatch(sel->target, at + 1, 0) != 0)
		return 0;
	rlen = (size_t)(at - check);
	/* a check's rule part is short; the heap only for the unusual */
	rule = rlen < sizeof(buf) ? buf : xmalloc(rlen + 1);
	memcpy(rule, check, rlen);
	rule[rlen] = '\0';
	match = fnmatch(sel->rule, rule, 0) == 0;
	if (rule != buf)
		free(rule);
	return match;
}

int64_t
collector_config_stale_s(const struct collector_config *cfg, int64_t interval_s)
{
	if (cfg->stale_mult == 0)
		return cfg->stale_fixed_s;
	/* an interval below 1 s (bad input from an agent) counts as 1 s */
	if (interval_s < 1)
		interval_s = 1;
	if (interval_s > INT64_MAX / cfg->stale_mult)
		return INT64_MAX;
	return interval_s * cfg->stale_mult;
}

void
collector_config_localize(struct collector_config *cfg)
{
	for (size_t i = 0; i < cfg->nmaintenance; i++) {
		struct cc_maintenance *m = &cfg->maintenance[i];

		if (m->weekly)
			continue;
		m->start = walltime_instant(&m->start_wall);
		m->end = walltime_instant(&m->end_wall);
	}
}

void
collector_config_maintenance(const struct collector_config *cfg, const char *service_id,
			     int64_t from, int64_t to, struct ivset *out)
{
	for (size_t i = 0; i < cfg->nmaintenance; i++) {
		const struct cc_maintenance *m = &cfg->maintenance[i];

		if (!strlist_glob_match(&m->services, service_id))
			continue;
		if (m->weekly) {
			calendar_weekly(m->days_mask, m->from_min, m->to_min, from, to, out);
		} else {
			int64_t s = walltime_instant(&m->start_wall), e = walltime_instant(&m->end_wall);

			if (s < from)
				s = from;
			if (e > to)
				e = to;
			if (s < e)
				ivset_add(out, s, e);
		}
	}
	ivset_normalize(out);
}
