/*
 * notify_int.h - the notifier's internals that tests and the test driver
 * (tests/integration/notify-send.c) use; not for other modules, which
 * use notify.h.
 */
#ifndef MXSLA_NOTIFY_INT_H
#define MXSLA_NOTIFY_INT_H

#include <stdint.h>

#include "notify.h"
#include "store.h"

/* The notifier's limits.  notify_tuning_default fills the values used by
   the daemon. */
struct notify_tuning {
	int64_t backoff_base_s;   /* first retry after this (5 s) ... */
	int64_t backoff_cap_s;    /* ... doubling up to this (300 s) */
	int64_t give_up_s;        /* a row older than this is given up (24 h) */
	long queue_max;           /* rows per destination (10000); oldest dropped */
	long timeout_ms;          /* per inform attempt (2000) ... */
	int retries;              /* ... and this many resends (1) */
	int hold;                 /* tests: senders do not send (rows stay queued) */
};

void notify_tuning_default(struct notify_tuning *t);
/* Limits of the notifiers started after the call (tests); NULL: default. */
void notify_set_tuning(const struct notify_tuning *t);

/* Seconds to wait before the next attempt after `attempts` failed ones
   (attempts >= 1): base * 2^(attempts-1), at most cap. */
int64_t notify_backoff_s(const struct notify_tuning *t, int attempts);

/* An event as stored in notify_queue.event (JSON, malloc'd). */
char *notify_event_json(const struct notify_event *ev);
/* Parse text into *ev; the strings of ev point into *hold_r, which the
   caller releases with notify_event_release.  -1 when text is not an
   event. */
int notify_event_parse(const char *text, struct notify_event *ev, void **hold_r);
void notify_event_release(void *hold);

/* Rows queued for dest (NULL: every destination). */
int notify_queue_count(struct store *st, const char *dest, int64_t *n_r, const char **error_r);

#endif
