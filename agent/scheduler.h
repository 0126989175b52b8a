/*
 * scheduler.h - runs probes on their schedules, each run in a thread of
 * its own, so that a target that accepts a connection and then stays
 * silent (or a statvfs on a dead NFS mount) never delays another target.
 *
 * A target's runs never overlap: when a run is due while the previous one
 * still runs, that run is skipped (and counted).  A run that has not
 * finished within the target's timeout plus a grace period is reported as
 * `unknown` ("probe did not finish within 10s"); its late result is
 * discarded.  First runs are spread over min(interval, 10 s).
 *
 * Threads that outlive the scheduler (abandoned runs after sched_free)
 * keep it alive; the release callback runs when the last one ends, so the
 * configuration the targets belong to can be freed then and not earlier.
 */
#ifndef MXSLA_SCHEDULER_H
#define MXSLA_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

#include "obs.h"

struct target;
struct sched;

struct sched_result {
	size_t target_index;
	struct obs obs;        /* owned by the receiver: obs_free() it */
	int64_t ts_ms;         /* wall clock when the run started */
	int64_t duration_ms;
};

/* intervals[i] is how often targets[i] runs; spread != 0 spreads first runs.
   release(ctx) is called once the scheduler is freed and no run remains. */
struct sched *sched_new(struct target *const *targets, size_t n, const int64_t *intervals,
			int spread, void (*release)(void *ctx), void *ctx);
/* Start due runs and wait up to max_wait_ms for results (or sched_wakeup).
   Appends results to *out (xgrow'd array of *nout entries, capacity *cap).
   Returns the number appended. */
size_t sched_poll(struct sched *s, int64_t max_wait_ms, struct sched_result **out, size_t *nout,
		  size_t *cap);
/* Wake a sched_poll from another thread (signal handling). */
void sched_wakeup(struct sched *s);
void sched_free(struct sched *s);

/* One-shot: run every target once, concurrently; obs[i]/ts_ms[i] receive
   targets[i]'s observation and start time.  Returns when all are done or
   timed out. */
void sched_run_once(struct target *const *targets, size_t n, struct obs *obs, int64_t *ts_ms);

#endif
