/*
 * serve.h - `mxsla-collector serve`: the daemon.
 *
 * Sets the time zone once, opens the store, starts the HTTP server (the
 * routes of api.h) and a cron thread (monthly reports every minute, raw
 * result pruning every hour), then waits for signals in the calling
 * thread: SIGHUP reloads the configuration, SIGTERM and SIGINT stop
 * cleanly (stop accepting, finish the requests in flight, close the
 * store).  See docs/internals/collector.md.
 */
#ifndef MXSLA_SERVE_H
#define MXSLA_SERVE_H

#include "collector_config.h"

/* How long a stop waits for requests in flight. */
#define SERVE_DRAIN_MS 10000

/* Run until SIGTERM/SIGINT.  Takes ownership of cfg; config_path is
   read again on SIGHUP.  Returns the process exit code: 0 after a clean
   stop, 1 when the store or a listen address cannot be opened, 78 when
   the time zone cannot be set. */
int serve_run(struct collector_config *cfg, const char *config_path);

#endif
