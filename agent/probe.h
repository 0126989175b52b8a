/*
 * probe.h - the probe driver interface and the target definition.
 *
 * A target is one entry of agent.yaml's `targets:`; its `probe:` names a
 * probe kind (service, queue, copy, disk, process, backup, config,
 * plugin).  Each kind is one struct probe_ops in its own file
 * (agent/probe_<kind>.c) and may dispatch to drivers in their own files
 * (agent/queue_postfix.c, ...).
 *
 * Life cycle:
 *   configure()  at load time: decode the target's options with a schema
 *                table (schema_apply with TARGET_COMMON_KEYS ignored),
 *                compile regexes, check files it can check; add every
 *                error to errs; store driver options in t->conf.
 *   run()        in a worker thread, once per interval: fill obs.  Must
 *                return within t->timeout_ms plus a little (use
 *                subproc's timeout, curl's timeouts, poll timeouts).
 *                *state is the driver's per-target memory between runs
 *                (NULL at first; for deltas such as /proc/diskstats);
 *                runs of one target never overlap.
 *   free_state(), free_conf()  release them.
 *
 * Reporting: metric names of SPEC 2.3 are the contract.  A source that
 * cannot be read is obs_error(o, "reason") -> the check is `unknown`.
 * A service that is down is not an error: it is up=0 with fact `error`.
 */
#ifndef MXSLA_PROBE_H
#define MXSLA_PROBE_H

#include <stdint.h>

struct ynode;
struct cfgerr;
struct obs;
struct probe_ops;

struct target {
	char *name;
	char *probe;                 /* kind name */
	const struct probe_ops *ops;
	int64_t interval_ms;         /* this target's interval */
	int64_t timeout_ms;          /* per run; default 10 s */
	void *conf;                  /* driver-owned */
	const char *file;            /* where it was defined (for messages) */
	int line, col;
	char *driver;                /* the target's driver/protocol, for display; may be NULL */
};

struct probe_ops {
	const char *name;
	int (*configure)(struct target *t, const struct ynode *map, struct cfgerr *errs);
	void (*run)(const struct target *t, void **state, struct obs *o);
	void (*free_state)(void *state);
	void (*free_conf)(void *conf);
};

/* Keys of a target handled by the agent itself; probes pass this as
   schema_apply's ignore list. */
extern const char *const TARGET_COMMON_KEYS[];

/* The registry. */
const struct probe_ops *probe_find(const char *name);
/* NULL-terminated list of all probe kinds. */
extern const struct probe_ops *const probe_all[];

extern const struct probe_ops probe_service_ops;
extern const struct probe_ops probe_queue_ops;
extern const struct probe_ops probe_copy_ops;
extern const struct probe_ops probe_disk_ops;
extern const struct probe_ops probe_process_ops;
extern const struct probe_ops probe_backup_ops;
extern const struct probe_ops probe_config_ops;
extern const struct probe_ops probe_plugin_ops;

struct subproc_result;

/* Run a probe's program (argv, never a shell) in the C locale, bounded by
   timeout_ms (<= 0: 10 s), keeping at most max_out bytes of its output
   (0: 1 MB).  Returns 0 with res filled (free it with subproc_result_free)
   when the program ran and exited with status 0.  Otherwise the reason
   goes into obs_error -- it could not be started; it timed out or was
   killed; or it failed, with the line of its stderr that says why and its
   exit status -- res is freed and -1 returned. */
int probe_exec(const char *const *argv, int64_t timeout_ms, size_t max_out,
	       struct subproc_result *res, struct obs *o);

/* Helper for probes: now in ms (CLOCK_REALTIME) and monotonic ms. */
int64_t probe_now_ms(void);
int64_t probe_mono_ms(void);

#endif
