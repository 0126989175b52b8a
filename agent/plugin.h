/*
 * plugin.h - the `plugin` probe (probe_plugin_ops, "plugin"): runs a
 * Nagios / Monitoring Plugins check program and reports what it says, so
 * that the thousands of existing plugins (check_mailq, check_ldap, ...)
 * can feed rules.
 *
 * Options (agent.yaml target):
 *   command   argv, required; run directly, never through a shell, with
 *             LC_ALL=C (perfdata then uses '.' decimals) and the target's
 *             timeout (target key `timeout`, handled by the agent).
 *
 * The plugin convention (monitoring-plugins.org/doc/guidelines.html,
 * Nagios Core "Plugin API"): exit 0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN; output
 *     TEXT | perfdata
 *     long text line 2
 *     ...
 *     long text line N | perfdata line 2
 *     perfdata line 3 ...
 * with perfdata items 'label'=value[UOM];[warn];[crit];[min];[max]
 * separated by spaces (a quoted label may hold spaces; '' is a quote).
 *
 * Metrics:
 *   status        the exit code when it is 0..3; 3 when the plugin exited
 *                 with anything else, was killed by a signal or timed out
 *                 (fact output then says which)
 *   LABEL         each perfdata value, as written: the UOM (s, ms, us, %,
 *                 B, KB, MB, GB, TB, c, ...) is dropped, never converted,
 *                 so 'time'=12ms gives time = 12.  "U" (undetermined)
 *                 leaves the metric absent.
 *   LABEL_warn, LABEL_crit   when given as plain numbers; a range
 *                 ("5:10", "@1:3", "~:4") is a fact of that name instead
 *   LABEL_min, LABEL_max     when given
 * LABEL is the perfdata label with every character outside
 * [A-Za-z0-9_.-] turned into '_' ("/var/log" is _var_log); the labels
 * "status" and "output" become perf_status and perf_output.
 * Facts: output (first line before '|', trimmed), long_output (the
 * further text lines, when there are some), perfdata_error (the first
 * perfdata item that could not be read, if any).
 *
 * A program that cannot be started is obs_error (check unknown).
 */
#ifndef MXSLA_PLUGIN_H
#define MXSLA_PLUGIN_H

#include <stddef.h>

struct obs;
struct subproc_result;

#define PLUGIN_PERF_MAX 1000   /* perfdata items read; later ones are ignored */
#define PLUGIN_LABEL_MAX 200   /* longer labels are cut */
#define PLUGIN_OUTPUT_MAX (1024 * 1024)

/* Parse a plugin's standard output into o: facts output, long_output,
   perfdata_error and the perfdata metrics (not status).  Never fails. */
void plugin_parse_output(const char *text, size_t len, struct obs *o);

/* Parse one piece of perfdata (items separated by white space) into o.
   Returns the number of metrics values read. */
size_t plugin_parse_perfdata(const char *s, size_t len, struct obs *o);

/* The plugin status for how the program ended: the exit code when it is
   0..3, else 3 with *why_r (xmalloc'd: "exit status 127 is not a plugin
   status", "killed by signal 9", "timed out after 10.0s"); *why_r is NULL
   for a regular status. */
int plugin_status(const struct subproc_result *res, char **why_r);

#endif
