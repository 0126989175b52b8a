/*
 * stats.h - the agent's counters about itself, reported by the built-in
 * check agent.self@agent (SPEC 2.6).  Updated from several threads.
 */
#ifndef MXSLA_STATS_H
#define MXSLA_STATS_H

#include <stdatomic.h>
#include <stdint.h>

struct agent_stats {
	/* With a collector, the spool keeps the first five (persisted, since
	   the spool was created) and publishes them here; without one,
	   results_total counts since the process started. */
	atomic_uint_fast64_t results_total;     /* results produced */
	atomic_uint_fast64_t spooled;           /* waiting in the spool now */
	atomic_uint_fast64_t sent_total;
	atomic_uint_fast64_t dropped_total;
	atomic_uint_fast64_t send_errors_total;
	atomic_uint_fast64_t probe_runs_total;
	atomic_uint_fast64_t probe_timeouts_total;
	atomic_uint_fast64_t probe_skipped_total; /* a run was due while the previous still ran */
	/* The totals agent.self last reported, for its per-interval figures;
	   process-wide so that a reload (new targets) does not report old
	   events again.  spool_open sets the persisted ones to the loaded
	   totals, so a restart does not either. */
	atomic_uint_fast64_t self_dropped_seen;
	atomic_uint_fast64_t self_send_errors_seen;
	atomic_uint_fast64_t self_timeouts_seen;
	atomic_uint_fast64_t self_skipped_seen;
};

extern struct agent_stats agent_stats;

/* Resident set size of this process in KiB, or -1. */
long stats_rss_kb(void);

#endif
