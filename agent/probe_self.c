/*
 * probe_self.c - the built-in `agent` probe: the agent reports on itself
 * (SPEC 2.6: results_total, spooled, sent_total, dropped_total,
 * send_errors_total, rss_kb) through the implicit target named "agent",
 * plus the same counters for the last interval only (dropped,
 * probe_timeouts, probe_skipped, send_errors).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "obs.h"
#include "probe.h"
#include "stats.h"

struct agent_stats agent_stats;

long
stats_rss_kb(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long size, rss;

	if (fp == NULL)
		return -1;
	if (fscanf(fp, "%ld %ld", &size, &rss) != 2)
		rss = -1;
	fclose(fp);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void
self_run(const struct target *t, void **state, struct obs *o)
{
	long rss = stats_rss_kb();
	uint64_t dropped = atomic_load(&agent_stats.dropped_total);
	uint64_t timeouts = atomic_load(&agent_stats.probe_timeouts_total);
	uint64_t skipped = atomic_load(&agent_stats.probe_skipped_total);
	uint64_t send_errors = atomic_load(&agent_stats.send_errors_total);

	(void)state;
	/* what happened since the previous run: a warning clears once the
	   cause is gone, unlike the *_total counters */
	obs_metric(o, "dropped", (double)(dropped - atomic_exchange(&agent_stats.self_dropped_seen, dropped)));
	obs_metric(o, "probe_timeouts",
		   (double)(timeouts - atomic_exchange(&agent_stats.self_timeouts_seen, timeouts)));
	obs_metric(o, "probe_skipped",
		   (double)(skipped - atomic_exchange(&agent_stats.self_skipped_seen, skipped)));
	obs_metric(o, "send_errors",
		   (double)(send_errors - atomic_exchange(&agent_stats.self_send_errors_seen, send_errors)));

	obs_metric(o, "results_total", (double)atomic_load(&agent_stats.results_total));
	obs_metric(o, "spooled", (double)atomic_load(&agent_stats.spooled));
	obs_metric(o, "sent_total", (double)atomic_load(&agent_stats.sent_total));
	obs_metric(o, "dropped_total", (double)atomic_load(&agent_stats.dropped_total));
	obs_metric(o, "send_errors_total", (double)atomic_load(&agent_stats.send_errors_total));
	obs_metric(o, "probe_runs_total", (double)atomic_load(&agent_stats.probe_runs_total));
	obs_metric(o, "probe_timeouts_total", (double)atomic_load(&agent_stats.probe_timeouts_total));
	obs_metric(o, "probe_skipped_total", (double)atomic_load(&agent_stats.probe_skipped_total));
	if (rss >= 0)
		obs_metric(o, "rss_kb", (double)rss);
}

const struct probe_ops probe_self_ops = {
	.name = "agent",
	.configure = NULL,
	.run = self_run,
	.free_state = NULL,
	.free_conf = NULL,
};
