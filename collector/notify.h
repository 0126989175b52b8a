/*
 * notify.h - notifications to the NOC (SPEC 5).
 *
 * The watcher (watch.c) decides what happened: a check's state changed,
 * a service went down or came back, a service burnt 50, 75 or 100 % of
 * its month's error budget, an agent fell silent or came back.  It hands
 * each event to notify_emit, which queues it durably (table notify_queue)
 * for every destination of notify.snmp whose events and min_severity take
 * it, and returns without touching the network.  One sender thread per
 * destination (notify.c, snmp.c) takes its queue in order: a trap is sent
 * once; an inform is retried with back-off until the receiver
 * acknowledges it or it is given up, and the outcome is logged and
 * counted (mxsla_notifications_total).  Queued events survive a restart.
 */
#ifndef MXSLA_NOTIFY_H
#define MXSLA_NOTIFY_H

#include <stdint.h>

#include "collector_config.h"
#include "store.h"

enum notify_kind {
	NOTIFY_CHECK = 0,       /* a check's state changed */
	NOTIFY_SERVICE_DOWN,
	NOTIFY_SERVICE_UP,
	NOTIFY_BUDGET,          /* budget_pct of the month's budget spent */
	NOTIFY_AGENT_SILENT,
	NOTIFY_AGENT_BACK,
	NOTIFY_NKINDS
};

/* One event.  Strings are borrowed for the call; NULL when not
   applicable (agent/site/check for services, service for checks). */
struct notify_event {
	enum notify_kind kind;
	const char *agent, *site;
	const char *check;          /* "rule@target" */
	const char *service;        /* service id */
	const char *old_state;      /* ok|warning|critical|unknown|nodata, up|down, up|silent */
	const char *new_state;
	const char *message;        /* check message or a sentence */
	int64_t time;               /* when it happened (seconds, UTC) */
	int severity;               /* MX_OK..MX_CRITICAL: compared with min_severity */
	/* NOTIFY_BUDGET only */
	int budget_pct;             /* 50, 75 or 100 */
	double availability;        /* so far this month, percent */
	double target;              /* percent */
	const char *month;          /* "YYYY-MM" */
};

/* CC_EV_* bit of a kind. */
unsigned notify_kind_event(enum notify_kind k);
const char *notify_kind_name(enum notify_kind k);

struct notifier;

/* Start a sender for every destination of cfg->snmp (none: a notifier
   that drops everything).  Events still queued from an earlier run are
   sent first. */
int notify_start(const struct collector_config *cfg, struct store *st, struct notifier **n_r,
		 const char **error_r);
/* New destinations after a reload (senders are restarted; the queues of
   destinations kept by name stay). */
int notify_reload(struct notifier *n, const struct collector_config *cfg, const char **error_r);
/* Queue ev for every destination that takes it; 0 or -1. */
int notify_emit(struct notifier *n, const struct notify_event *ev, const char **error_r);
/* Stop the senders (informs still pending stay queued for the next run). */
void notify_stop(struct notifier *n);

#endif
