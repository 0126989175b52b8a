/*
 * daemon.h - `mxsla-agent run` (the daemon loop) and `scan` (one shot).
 */
#ifndef MXSLA_DAEMON_H
#define MXSLA_DAEMON_H

struct agent_config;
struct scan_report;
struct obs;
struct checkset;

/* Run every probe once and evaluate every check (ignoring `for:`).
   only: rule-id glob or NULL.  cs_r and obs_r receive the checks and
   observations the findings point into (free with checkset_free and
   scan_free_obs after the report).  Returns 0, or -1 when `only` matched
   no check. */
int scan_collect(const struct agent_config *cfg, const char *only, struct scan_report *rep,
		 struct checkset *cs_r, struct obs **obs_r, size_t *nobs_r);
void scan_free_obs(struct obs *obs, size_t n);

/* The daemon: runs until SIGTERM/SIGINT; SIGHUP reloads config_path.
   Takes ownership of cfg.  Returns the process exit code. */
int daemon_run(struct agent_config *cfg, const char *config_path);

#endif
