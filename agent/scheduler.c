/*
 * scheduler.c - probe schedules and worker threads (see scheduler.h).
 *
 * The main thread owns the schedule; a worker thread owns one run.  Both
 * meet under one mutex: the worker hands in its result and the main
 * thread collects results in sched_poll.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "obs.h"
#include "probe.h"
#include "scheduler.h"
#include "stats.h"
#include "units.h"
#include "xmalloc.h"

#define SCHED_GRACE_MS 2000
#define SCHED_SPREAD_MAX_MS 10000
#define SCHED_STACK_SIZE (1024 * 1024)

struct slot {
	struct target *t;
	void *state;            /* the probe's memory between runs */
	int64_t interval_ms;
	int64_t next_due;       /* monotonic ms */
	int running;
	int64_t started_mono;
	int64_t started_wall;
	int timeout_reported;   /* unknown already handed out for this run */
	size_t index;
	struct sched *s;
};

struct sched {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	size_t n;
	struct sched_result *done;
	size_t ndone, capdone;
	int closing;
	int workers;            /* runs in flight */
	int wake;
	void (*release)(void *);
	void *release_ctx;
};

static void
sched_destroy(struct sched *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->state != NULL && sl->t->ops != NULL && sl->t->ops->free_state != NULL)
			sl->t->ops->free_state(sl->state);
	}
	for (size_t i = 0; i < s->ndone; i++)
		obs_free(&s->done[i].obs);
	free(s->done);
	free(s->slots);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	if (s->release != NULL)
		s->release(s->release_ctx);
	free(s);
}

struct sched *
sched_new(struct target *const *targets, size_t n, const int64_t *intervals, int spread,
	  void (*release)(void *), void *ctx)
{
	struct sched *s = xcalloc(1, sizeof(*s));
	pthread_condattr_t ca;
	int64_t now = probe_mono_ms(), window = SCHED_SPREAD_MAX_MS;

	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	s->slots = xcalloc(n ? n : 1, sizeof(*s->slots));
	s->n = n;
	s->release = release;
	s->release_ctx = ctx;
	for (size_t i = 0; i < n; i++)
		if (intervals[i] < window)
			window = intervals[i];
	for (size_t i = 0; i < n; i++) {
		struct slot *sl = &s->slots[i];
		sl->t = targets[i];
		sl->interval_ms = intervals[i];
		sl->index = i;
		sl->s = s;
		sl->next_due = now + (spread && n > 1 ? (int64_t)i * window / (int64_t)n : 0);
	}
	return s;
}

static void
push_result(struct sched *s, size_t index, struct obs *o, int64_t wall, int64_t dur)
{
	struct sched_result *r;

	s->done = xgrow(s->done, &s->capdone, s->ndone + 1, sizeof(*s->done));
	r = &s->done[s->ndone++];
	r->target_index = index;
	r->obs = *o;
	r->ts_ms = wall;
	r->duration_ms = dur;
	obs_init(o);
}

static void *
worker_main(void *arg)
{
	struct slot *sl = arg;
	struct sched *s = sl->s;
	struct obs o;
	int64_t t0 = probe_mono_ms(), dur;
	int last;

	obs_init(&o);
	if (sl->t->ops != NULL && sl->t->ops->run != NULL)
		sl->t->ops->run(sl->t, &sl->state, &o);
	else
		obs_error(&o, "probe kind '%s' cannot run", sl->t->probe);
	dur = probe_mono_ms() - t0;
	atomic_fetch_add(&agent_stats.probe_runs_total, 1);

	pthread_mutex_lock(&s->mu);
	sl->running = 0;
	if (!s->closing && !sl->timeout_reported)
		push_result(s, sl->index, &o, sl->started_wall, dur);
	else if (sl->timeout_reported)
		log_debug("target %s: late result after %lld ms discarded", sl->t->name, (long long)dur);
	obs_free(&o);
	s->workers--;
	last = s->closing && s->workers == 0;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (last)
		sched_destroy(s);
	return NULL;
}

/* Called with the mutex held. */
static void
start_run(struct sched *s, struct slot *sl, int64_t now)
{
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	sl->running = 1;
	sl->timeout_reported = 0;
	sl->started_mono = now;
	sl->started_wall = probe_now_ms();
	s->workers++;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, SCHED_STACK_SIZE);
	rc = pthread_create(&tid, &attr, worker_main, sl);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		struct obs o;
		obs_init(&o);
		obs_error(&o, "cannot start a probe thread: %s", strerror(rc));
		sl->running = 0;
		s->workers--;
		push_result(s, sl->index, &o, sl->started_wall, 0);
		obs_free(&o);
	}
}

static void
sched_step(struct sched *s, int64_t now, int64_t *next_r)
{
	for (size_t i = 0; i < s->n; i++) {
		struct slot *sl = &s->slots[i];
		int64_t limit = sl->t->timeout_ms + SCHED_GRACE_MS;

		if (now >= sl->next_due) {
			if (sl->running) {
				atomic_fetch_add(&agent_stats.probe_skipped_total, 1);
				log_debug("target %s: run skipped, the previous one is still running",
					  sl->t->name);
			} else {
				start_run(s, sl, now);
			}
			/* keep the phase; never queue up missed runs */
			while (sl->next_due <= now)
				sl->next_due += sl->interval_ms;
		}
		if (sl->running && !sl->timeout_reported && now >= sl->started_mono + limit) {
			struct obs o;
			char d[32];

			units_format_duration(sl->t->timeout_ms, d, sizeof(d));
			obs_init(&o);
			obs_error(&o, "probe did not finish within its timeout of %s", d);
			sl->timeout_reported = 1;
			atomic_fetch_add(&agent_stats.probe_timeouts_total, 1);
			push_result(s, sl->index, &o, sl->started_wall, now - sl->started_mono);
			obs_free(&o);
		}
		if (sl->next_due < *next_r)
			*next_r = sl->next_due;
		if (sl->running && !sl->timeout_reported && sl->started_mono + limit < *next_r)
			*next_r = sl->started_mono + limit;
	}
}

size_t
sched_poll(struct sched *s, int64_t max_wait_ms, struct sched_result **out, size_t *nout,
	   size_t *cap)
{
	int64_t end = probe_mono_ms() + max_wait_ms;
	size_t taken;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		int64_t now = probe_mono_ms(), next = end;
		struct timespec ts;

		sched_step(s, now, &next);
		if (s->ndone > 0 || s->wake || now >= end)
			break;
		ts.tv_sec = next / 1000;
		ts.tv_nsec = (next % 1000) * 1000000;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	s->wake = 0;
	taken = s->ndone;
	if (taken > 0) {
		*out = xgrow(*out, cap, *nout + taken, sizeof(**out));
		memcpy(*out + *nout, s->done, taken * sizeof(**out));
		*nout += taken;
		s->ndone = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return taken;
}

void
sched_wakeup(struct sched *s)
{
	pthread_mutex_lock(&s->mu);
	s->wake = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void
sched_free(struct sched *s)
{
	int now_free;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	now_free = s->workers == 0;
	pthread_mutex_unlock(&s->mu);
	if (now_free)
		sched_destroy(s);
}

void
sched_run_once(struct target *const *targets, size_t n, struct obs *obs, int64_t *ts_ms)
{
	int64_t *intervals = xcalloc(n ? n : 1, sizeof(*intervals));
	char *have = xcalloc(n ? n : 1, 1);
	struct sched *s;
	struct sched_result *res = NULL;
	size_t nres = 0, cap = 0, got = 0;

	for (size_t i = 0; i < n; i++) {
		intervals[i] = 86400000; /* once */
		obs_init(&obs[i]);
		ts_ms[i] = 0;
	}
	s = sched_new(targets, n, intervals, 0, NULL, NULL);
	while (got < n) {
		nres = 0;
		sched_poll(s, 1000, &res, &nres, &cap);
		for (size_t i = 0; i < nres; i++) {
			size_t k = res[i].target_index;
			if (have[k]) {
				obs_free(&res[i].obs);
				continue;
			}
			have[k] = 1;
			got++;
			obs_free(&obs[k]);
			obs[k] = res[i].obs;
			ts_ms[k] = res[i].ts_ms;
		}
	}
	sched_free(s);
	free(res);
	free(have);
	free(intervals);
}
