/*
 * agent_config.h - agent.yaml (SPEC 2.2): loading and validation.
 *
 * A configuration is loaded whole or not at all: every error of the file
 * and of every rule pack it names is added to errs, and NULL is returned
 * if there was any.  Reload = load a new one, and swap only on success.
 */
#ifndef MXSLA_AGENT_CONFIG_H
#define MXSLA_AGENT_CONFIG_H

#include <stdint.h>

#include "probe.h"
#include "rule.h"
#include "strlist.h"

struct cfgerr;

struct agent_config {
	char *file;
	char *id;                 /* default: the host name */
	char *site;               /* default: "" */
	struct strlist roles;
	int64_t interval_ms;      /* default probe interval */
	int64_t timeout_ms;       /* default probe timeout */
	char *collector_url;      /* NULL: no collector */
	char *token_file;
	char *token;
	char *ca_file;
	char *spool;
	uint64_t spool_max;
	int log_level;
	struct strlist rule_paths;
	struct target **targets;
	size_t ntargets;
	struct ruleset rules;
};

/* Default path of agent.yaml. */
#define AGENT_CONFIG_DEFAULT SYSCONFDIR "/mxsla/agent.yaml"

/* Load and validate path.  On success returns the configuration; on any
   error returns NULL with every error in errs. */
struct agent_config *agent_config_load(const char *path, struct cfgerr *errs);
void agent_config_free(struct agent_config *cfg);
/* 1 if the agent has role (or any role when roles is empty). */
int agent_config_has_any_role(const struct agent_config *cfg, const struct strlist *roles);

#endif
