/*
 * watch.h - the notification policy (SPEC 5): what happened, and whether
 * the NOC must hear of it.
 *
 * A watcher compares, once per tick, the state now of every check, service,
 * agent and service budget with the state last notified for it, and hands
 * an event to the emit callback (notify_emit in the daemon) for every
 * difference the policy lets through:
 *   - a check whose state changed (the agent applies the rule's `for:`
 *     before it reports a worse status, so the state reported is taken as
 *     is); a check first seen ok is recorded silently, first seen non-ok is
 *     notified as a change from nodata; a check going stale (nodata) is
 *     notified only while its agent is up;
 *   - a service going down, and coming back up (nodata is no state of its
 *     own: a service that is down and then has no data is still down for
 *     the NOC);
 *   - 50, 75 and 100 % of a service's error budget for the month spent,
 *     each level once per service and month (only the highest level
 *     crossed since the last look);
 *   - an agent falling silent (stale_after) and coming back.
 * A check or service inside a maintenance window (collector.yaml or the
 * database) sends nothing and keeps its last notified state, so that a
 * state differing from it when the window ends is notified once.
 *
 * The last notified states live in table notify_state (key, state, since,
 * extra), read once when the watcher starts and written after every tick
 * that changed something, so that nothing is sent twice across a restart.
 * Keys: "check\tAGENT\tRULE@TARGET", "service\tID", "agent\tID",
 * "budget\tID\tYYYY-MM".  docs/internals/watch.md describes the policy.
 *
 * Does not send anything itself and does not queue (notify.c does).
 */
#ifndef MXSLA_WATCH_H
#define MXSLA_WATCH_H

#include <stdint.h>

#include "collector_config.h"
#include "notify.h"
#include "store.h"

/* Where events go: 0, or -1 with *error_r (the event is then offered
   again at the next tick).  Called from the watcher's thread (or from
   watch_tick's caller); ev and its strings are borrowed for the call. */
typedef int (*watch_emit_fn)(void *arg, const struct notify_event *ev, const char **error_r);
/* The running configuration, held from acquire until release (the
   watcher keeps one reference between ticks; *handle_r is passed back to
   release). */
typedef const struct collector_config *(*watch_cfg_acquire_fn)(void *arg, void **handle_r);
typedef void (*watch_cfg_release_fn)(void *arg, void *handle);

struct watch_options {
	int64_t tick_ms;        /* period of the thread; 0: no thread (watch_tick by hand) */
	int64_t budget_every_s; /* how often the month's budgets are computed; 0: every tick */
	watch_emit_fn emit;
	void *emit_arg;
	watch_cfg_acquire_fn cfg_acquire;
	watch_cfg_release_fn cfg_release;
	void *cfg_arg;
};

/* Defaults: tick_ms 1000 (environment MXSLA_WATCH_TICK_MS, 10 ..
   3600000), budget_every_s 60 (MXSLA_WATCH_BUDGET_S, 0 .. 86400); the
   callbacks NULL. */
void watch_options_init(struct watch_options *o);

struct watcher;

/* Load the last notified states from the store and, when o->tick_ms > 0,
   start the thread.  o is copied.  0 or -1 with *error_r. */
int watch_start(struct store *st, const struct watch_options *o, struct watcher **w_r,
                const char **error_r);
/* One look at instant now (what the thread does every tick).  Nothing is
   done while the configuration has no notify.snmp destination.  Returns 0,
   or -1 with *error_r (valid until the next call in the thread) when the
   store could not be read or an event or state could not be handed on;
   what could be done was done. */
int watch_tick(struct watcher *w, int64_t now, const char **error_r);
/* Stop the thread (after its current tick) and free w.  NULL is fine. */
void watch_stop(struct watcher *w);

/* For tests and measurements: the last tick's duration in microseconds. */
int64_t watch_last_tick_us(const struct watcher *w);

#endif
