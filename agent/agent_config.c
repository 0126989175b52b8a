/*
 * agent_config.c - loading agent.yaml (see agent_config.h).
 *
 * Relative paths in `rules:` are taken relative to the directory of the
 * configuration file, so a configuration and its site rules can live
 * together.  The default rule paths ($(pkgdatadir)/rules and
 * $(sysconfdir)/mxsla/rules.d) are skipped silently when they do not
 * exist; a path the user wrote must exist.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_config.h"
#include "cfgerr.h"
#include "log.h"
#include "probe.h"
#include "schema.h"
#include "xmalloc.h"
#include "ytree.h"

static const char *const log_levels[] = { "error", "warning", "info", "debug", NULL };

struct agent_raw {
	const struct ynode *agent;
	int64_t interval_ms, timeout_ms;
	const struct ynode *collector;
	char *spool;
	uint64_t spool_max;
	const struct ynode *rules;
	const struct ynode *targets;
	int log_level;
};

static const struct sch_field top_fields[] = {
	{ "agent", SCH_NODE, offsetof(struct agent_raw, agent), 0, NULL, 0, 0, NULL },
	{ "interval", SCH_DURATION, offsetof(struct agent_raw, interval_ms), 0, "60s", 1000, 86400000.0, NULL },
	{ "timeout", SCH_DURATION, offsetof(struct agent_raw, timeout_ms), 0, "10s", 100, 3600000.0, NULL },
	{ "collector", SCH_NODE, offsetof(struct agent_raw, collector), 0, NULL, 0, 0, NULL },
	{ "spool", SCH_STR, offsetof(struct agent_raw, spool), 0, LOCALSTATEDIR "/lib/mxsla/spool", 0, 0, NULL },
	{ "spool_max", SCH_SIZE, offsetof(struct agent_raw, spool_max), 0, "256MB", 65536, 1099511627776.0, NULL },
	{ "rules", SCH_NODE, offsetof(struct agent_raw, rules), 0, NULL, 0, 0, NULL },
	{ "targets", SCH_NODE, offsetof(struct agent_raw, targets), 0, NULL, 0, 0, NULL },
	{ "log_level", SCH_ENUM, offsetof(struct agent_raw, log_level), 0, "info", 0, 0, log_levels },
	SCH_END
};

struct ident_raw {
	char *id, *site;
	struct strlist roles;
};

static const struct sch_field ident_fields[] = {
	{ "id", SCH_STR, offsetof(struct ident_raw, id), 0, NULL, 0, 0, NULL },
	{ "site", SCH_STR, offsetof(struct ident_raw, site), 0, "", 0, 0, NULL },
	{ "roles", SCH_STRLIST, offsetof(struct ident_raw, roles), 0, NULL, 0, 0, NULL },
	SCH_END
};

struct collector_raw {
	char *url, *token_file, *token, *ca_file;
};

static const struct sch_field collector_fields[] = {
	{ "url", SCH_STR, offsetof(struct collector_raw, url), 1, NULL, 0, 0, NULL },
	{ "token_file", SCH_STR, offsetof(struct collector_raw, token_file), 0, NULL, 0, 0, NULL },
	{ "token", SCH_STR, offsetof(struct collector_raw, token), 0, NULL, 0, 0, NULL },
	{ "ca_file", SCH_STR, offsetof(struct collector_raw, ca_file), 0, NULL, 0, 0, NULL },
	SCH_END
};

struct target_raw {
	char *name, *probe;
	int64_t interval_ms, timeout_ms;
};

const char *const TARGET_COMMON_KEYS[] = { "name", "probe", "interval", "timeout", NULL };

static const struct sch_field target_fields[] = {
	{ "name", SCH_STR, offsetof(struct target_raw, name), 1, NULL, 0, 0, NULL },
	{ "probe", SCH_STR, offsetof(struct target_raw, probe), 1, NULL, 0, 0, NULL },
	{ "interval", SCH_DURATION, offsetof(struct target_raw, interval_ms), 0, NULL, 1000, 86400000.0, NULL },
	{ "timeout", SCH_DURATION, offsetof(struct target_raw, timeout_ms), 0, NULL, 100, 3600000.0, NULL },
	SCH_END
};

static const char *const known_roles[] = {
	"mailbox", "client-access", "hub-transport", "edge-transport", NULL
};

static int
probe_known(const char *name)
{
	return probe_find(name) != NULL;
}

int
agent_config_has_any_role(const struct agent_config *cfg, const struct strlist *roles)
{
	if (roles->n == 0)
		return 1;
	for (size_t i = 0; i < roles->n; i++)
		if (strlist_contains(&cfg->roles, roles->v[i]))
			return 1;
	return 0;
}

static void
target_free(struct target *t)
{
	if (t == NULL)
		return;
	if (t->ops != NULL && t->ops->free_conf != NULL && t->conf != NULL)
		t->ops->free_conf(t->conf);
	free(t->name);
	free(t->probe);
	free(t->driver);
	free((char *)t->file);
	free(t);
}

void
agent_config_free(struct agent_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->file);
	free(cfg->id);
	free(cfg->site);
	strlist_free(&cfg->roles);
	free(cfg->collector_url);
	free(cfg->token_file);
	free(cfg->token);
	free(cfg->ca_file);
	free(cfg->spool);
	strlist_free(&cfg->rule_paths);
	for (size_t i = 0; i < cfg->ntargets; i++)
		target_free(cfg->targets[i]);
	free(cfg->targets);
	ruleset_free(&cfg->rules);
	free(cfg);
}

static void
load_identity(struct agent_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	struct ident_raw raw;
	char host[256];

	memset(&raw, 0, sizeof(raw));
	strlist_init(&raw.roles);
	if (node != NULL && !node->is_null)
		schema_apply(node, ident_fields, &raw, NULL, errs);
	for (size_t i = 0; i < raw.roles.n; i++) {
		int ok = 0;
		for (size_t k = 0; known_roles[k]; k++)
			if (strcmp(raw.roles.v[i], known_roles[k]) == 0)
				ok = 1;
		if (!ok)
			cfgerr_at(errs, ymap_get(node, "roles"),
				  "unknown role '%s' (roles: mailbox, client-access, hub-transport, edge-transport)",
				  raw.roles.v[i]);
	}
	if (raw.id == NULL) {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		raw.id = xstrdup(host);
	}
	cfg->id = raw.id;
	cfg->site = raw.site ? raw.site : xstrdup("");
	cfg->roles = raw.roles;
}

static void
load_collector(struct agent_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	struct collector_raw raw;
	struct stat st;

	memset(&raw, 0, sizeof(raw));
	schema_apply(node, collector_fields, &raw, NULL, errs);
	if (raw.url != NULL && strncmp(raw.url, "http://", 7) != 0 && strncmp(raw.url, "https://", 8) != 0)
		cfgerr_at(errs, ymap_get(node, "url"), "collector url must start with http:// or https://");
	if (raw.token != NULL && raw.token_file != NULL)
		cfgerr_at(errs, node, "collector: give token or token_file, not both");
	if (raw.token == NULL && raw.token_file == NULL)
		cfgerr_at(errs, node, "collector: token or token_file is required");
	if (raw.token_file != NULL) {
		const struct ynode *at = ymap_get(node, "token_file");
		if (stat(raw.token_file, &st) < 0)
			cfgerr_at(errs, at, "token_file %s: %s", raw.token_file, strerror(errno));
		else if (st.st_mode & S_IROTH)
			cfgerr_at(errs, at, "token_file %s is world-readable (chmod o-r)", raw.token_file);
	}
	if (raw.ca_file != NULL && access(raw.ca_file, R_OK) < 0)
		cfgerr_at(errs, ymap_get(node, "ca_file"), "ca_file %s: %s", raw.ca_file, strerror(errno));
	cfg->collector_url = raw.url;
	cfg->token_file = raw.token_file;
	cfg->token = raw.token;
	cfg->ca_file = raw.ca_file;
}

static char *
resolve_relative(const char *base_file, const char *path)
{
	const char *slash;

	if (path[0] == '/')
		return xstrdup(path);
	slash = strrchr(base_file, '/');
	if (slash == NULL)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - base_file), base_file, path);
}

static void
load_rules(struct agent_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	struct stat st;

	if (node == NULL) {
		static const char *const defaults[] = { PKGDATADIR "/rules", SYSCONFDIR "/mxsla/rules.d" };
		for (size_t i = 0; i < 2; i++)
			if (stat(defaults[i], &st) == 0)
				strlist_add(&cfg->rule_paths, defaults[i]);
	} else if (node->type == Y_SCALAR && !node->is_null) {
		strlist_add_owned(&cfg->rule_paths, resolve_relative(cfg->file, node->scalar));
	} else if (node->type == Y_SEQ) {
		for (size_t i = 0; i < node->n; i++) {
			const struct ynode *it = node->items[i];
			if (it->type != Y_SCALAR || it->is_null) {
				cfgerr_at(errs, it, "rules: expected a file or directory path");
				continue;
			}
			strlist_add_owned(&cfg->rule_paths, resolve_relative(cfg->file, it->scalar));
		}
	} else {
		cfgerr_at(errs, node, "rules: expected a list of files or directories");
		return;
	}
	for (size_t i = 0; i < cfg->rule_paths.n; i++)
		ruleset_load_path(&cfg->rules, cfg->rule_paths.v[i], probe_known, errs);
	ruleset_finish(&cfg->rules);
}

static void
load_targets(struct agent_config *cfg, const struct ynode *node, struct cfgerr *errs)
{
	if (node == NULL || node->is_null)
		return;
	if (node->type != Y_SEQ) {
		cfgerr_at(errs, node, "targets: expected a list of targets");
		return;
	}
	cfg->targets = xcalloc(node->n, sizeof(*cfg->targets));
	for (size_t i = 0; i < node->n; i++) {
		const struct ynode *m = node->items[i];
		struct target_raw raw;
		struct target *t;
		memset(&raw, 0, sizeof(raw));
		if (m->type != Y_MAP) {
			cfgerr_at(errs, m, "target: expected a mapping with name and probe");
			continue;
		}
		/* the probe's own keys are the probe's to check */
		{
			const char **others = xcalloc(m->n + 1, sizeof(*others));
			size_t no = 0;
			for (size_t k = 0; k < m->n; k++) {
				const char *key = m->pairs[k].key->scalar;
				int common = 0;
				for (size_t c = 0; TARGET_COMMON_KEYS[c]; c++)
					if (strcmp(key, TARGET_COMMON_KEYS[c]) == 0)
						common = 1;
				if (!common)
					others[no++] = key;
			}
			schema_apply(m, target_fields, &raw, others, errs);
			free(others);
		}
		if (raw.name != NULL) {
			for (size_t k = 0; k < cfg->ntargets; k++)
				if (strcmp(cfg->targets[k]->name, raw.name) == 0)
					cfgerr_at(errs, ymap_get(m, "name"),
						  "duplicate target name '%s' (first at %s:%d:%d)", raw.name,
						  cfg->targets[k]->file, cfg->targets[k]->line, cfg->targets[k]->col);
			if (strcmp(raw.name, "agent") == 0)
				cfgerr_at(errs, ymap_get(m, "name"),
					  "target name 'agent' is reserved for the agent's own check");
			if (strchr(raw.name, '@') != NULL || strchr(raw.name, ':') != NULL)
				cfgerr_at(errs, ymap_get(m, "name"), "target name may not contain '@' or ':'");
		}
		t = xcalloc(1, sizeof(*t));
		t->name = raw.name ? raw.name : xstrdup("?");
		t->probe = raw.probe ? raw.probe : xstrdup("?");
		t->interval_ms = raw.interval_ms ? raw.interval_ms : cfg->interval_ms;
		t->timeout_ms = raw.timeout_ms ? raw.timeout_ms : cfg->timeout_ms;
		t->file = xstrdup(m->file);
		t->line = m->line;
		t->col = m->col;
		if (raw.probe != NULL) {
			t->ops = probe_find(raw.probe);
			if (t->ops == NULL || strcmp(raw.probe, "agent") == 0) {
				const char *names = "service, queue, copy, disk, process, backup, config, plugin";
				cfgerr_at(errs, ymap_get(m, "probe"), "unknown probe '%s' (probes: %s)",
					  raw.probe, names);
				t->ops = NULL;
			} else if (t->ops->configure != NULL) {
				t->ops->configure(t, m, errs);
			}
		}
		cfg->targets[cfg->ntargets++] = t;
	}
}

/* The implicit target of the agent's own check, agent.self@agent. */
static void
add_self_target(struct agent_config *cfg)
{
	extern const struct probe_ops probe_self_ops;
	struct target *t = xcalloc(1, sizeof(*t));

	t->name = xstrdup("agent");
	t->probe = xstrdup("agent");
	t->ops = &probe_self_ops;
	t->interval_ms = cfg->interval_ms;
	t->timeout_ms = cfg->timeout_ms;
	t->file = xstrdup(cfg->file);
	cfg->targets = xrealloc(cfg->targets, (cfg->ntargets + 1) * sizeof(*cfg->targets));
	cfg->targets[cfg->ntargets++] = t;
}

struct agent_config *
agent_config_load(const char *path, struct cfgerr *errs)
{
	struct ynode *root;
	struct agent_raw raw;
	struct agent_config *cfg;
	size_t nerr = errs->total;

	root = ytree_load_file(path, errs);
	if (root == NULL)
		return NULL;
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->file = xstrdup(path);
	strlist_init(&cfg->roles);
	strlist_init(&cfg->rule_paths);
	ruleset_init(&cfg->rules);
	memset(&raw, 0, sizeof(raw));
	schema_apply(root, top_fields, &raw, NULL, errs);
	cfg->interval_ms = raw.interval_ms;
	cfg->timeout_ms = raw.timeout_ms;
	cfg->spool = raw.spool;
	raw.spool = NULL;
	cfg->spool_max = raw.spool_max;
	cfg->log_level = raw.log_level;
	load_identity(cfg, raw.agent, errs);
	if (raw.collector != NULL && !raw.collector->is_null)
		load_collector(cfg, raw.collector, errs);
	load_rules(cfg, raw.rules, errs);
	load_targets(cfg, raw.targets, errs);
	add_self_target(cfg);
	schema_free(top_fields, &raw);
	ytree_free(root);
	if (errs->total != nerr) {
		agent_config_free(cfg);
		return NULL;
	}
	return cfg;
}
