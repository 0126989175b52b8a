/*
 * serve.c - the collector daemon (see serve.h).
 *
 * Configuration by reference count: the running configuration is held by
 * `current`; every HTTP request takes a reference when it begins and
 * drops it when it ends, the cron thread does the same per tick.  A
 * reload builds a new configuration and swaps the pointer under a mutex;
 * the old one is freed by whoever drops its last reference, so a request
 * in flight finishes with the configuration it started with.
 *
 * Signals are blocked in every thread (the mask is set before the store's
 * writer, the HTTP threads and the cron thread are created) and taken
 * synchronously by the main thread with sigwait.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "caltime.h"
#include "cfgerr.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "serve.h"
#include "slareport.h"
#include "store.h"
#include "watch.h"
#include "xmalloc.h"

#define PRUNE_EVERY_S 3600

struct cfgref {
	struct collector_config *cfg;
	atomic_int refs;
};

struct reqctx {
	struct api_ctx api;      /* first: api.c reads the context as a struct api_ctx */
	struct cfgref *ref;
};

static pthread_mutex_t cur_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cfgref *current;
static struct store *store;
/* SNMP notifications (notify.h); the watcher hands its events to it. */
static struct notifier *notifier;

static pthread_mutex_t cron_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cron_cv = PTHREAD_COND_INITIALIZER;
static int cron_stop;

static struct cfgref *
cfg_acquire(void)
{
	struct cfgref *r;

	pthread_mutex_lock(&cur_mu);
	r = current;
	atomic_fetch_add(&r->refs, 1);
	pthread_mutex_unlock(&cur_mu);
	return r;
}

static void
cfg_release(struct cfgref *r)
{
	if (atomic_fetch_sub(&r->refs, 1) == 1) {
		collector_config_free(r->cfg);
		free(r);
	}
}

/* ---- the notification watcher (watch.h) ---- */

static struct watcher *watcher;

static const struct collector_config *
watch_cfg_acquire(void *arg, void **handle_r)
{
	struct cfgref *r = cfg_acquire();

	(void)arg;
	*handle_r = r;
	return r->cfg;
}

static void
watch_cfg_release(void *arg, void *handle)
{
	(void)arg;
	cfg_release(handle);
}

static int
watch_emit(void *arg, const struct notify_event *ev, const char **error_r)
{
	return notify_emit(arg, ev, error_r);
}

static void *
req_begin(void *app)
{
	struct reqctx *c = xcalloc(1, sizeof(*c));

	(void)app;
	c->ref = cfg_acquire();
	c->api.cfg = c->ref->cfg;
	c->api.st = store;
	return c;
}

static void
req_end(void *app, struct http_req *r)
{
	struct reqctx *c = http_req_ctx(r);
	int status = http_req_status(r);

	(void)app;
	metrics_http_request(status);
	if (status >= 400 && strcmp(http_req_path(r), API_INGEST_PATH) == 0 &&
	    strcmp(http_req_method(r), "POST") == 0)
		metrics_ingest_error(status);
	cfg_release(c->ref);
	free(c);
}

/* ---- cron ---- */

static void
cron_tick(int64_t now, int64_t *next_prune)
{
	struct cfgref *ref = cfg_acquire();
	const struct collector_config *cfg = ref->cfg;
	const char *err = NULL;
	uint64_t n = 0;

	if (slareport_monthly(cfg, store, now, &err) < 0)
		log_warnx("reports: %s", err != NULL ? err : "failed");
	if (now >= *next_prune) {
		*next_prune = now + PRUNE_EVERY_S;
		if (cfg->retention_raw_s > 0) {
			if (store_prune(store, now - cfg->retention_raw_s, &n, &err) < 0)
				log_warnx("prune: %s", err != NULL ? err : "failed");
			else if (n > 0)
				log_info("prune: %llu raw results older than %lld s deleted",
					 (unsigned long long)n, (long long)cfg->retention_raw_s);
		}
	}
	cfg_release(ref);
}

static void *
cron_main(void *arg)
{
	int64_t next_prune = 0;

	(void)arg;
	pthread_mutex_lock(&cron_mu);
	while (!cron_stop) {
		struct timespec until;

		pthread_mutex_unlock(&cron_mu);
		cron_tick((int64_t)time(NULL), &next_prune);
		pthread_mutex_lock(&cron_mu);
		/* the next whole minute, so that a month's report follows its
		   end by at most a minute */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec = (until.tv_sec / 60 + 1) * 60;
		until.tv_nsec = 0;
		while (!cron_stop && pthread_cond_timedwait(&cron_cv, &cron_mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&cron_mu);
	return NULL;
}

/* ---- reload ---- */

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
keep_str(char **dst, const char *old)
{
	free(*dst);
	*dst = old != NULL ? xstrdup(old) : NULL;
}

/* What the running process cannot change: keep the running values in
   the new configuration and say so. */
static void
keep_restart_fields(struct collector_config *n, const struct collector_config *o)
{
	int listen_same = n->nlisten == o->nlisten;

	for (size_t i = 0; listen_same && i < n->nlisten; i++)
		listen_same = strcmp(n->listen[i].host, o->listen[i].host) == 0 &&
			      n->listen[i].port == o->listen[i].port;
	if (!listen_same) {
		log_warnx("reload: listen changed; it takes effect after a restart");
		for (size_t i = 0; i < n->nlisten; i++)
			free(n->listen[i].host);
		free(n->listen);
		n->listen = xcalloc(o->nlisten + 1, sizeof(*n->listen));
		for (size_t i = 0; i < o->nlisten; i++) {
			n->listen[i].host = xstrdup(o->listen[i].host);
			n->listen[i].port = o->listen[i].port;
		}
		n->nlisten = o->nlisten;
	}
	if (!same_str(n->tls_cert, o->tls_cert) || !same_str(n->tls_key, o->tls_key)) {
		log_warnx("reload: tls changed; it takes effect after a restart");
		keep_str(&n->tls_cert, o->tls_cert);
		keep_str(&n->tls_key, o->tls_key);
	}
	if (!same_str(n->database, o->database)) {
		log_warnx("reload: database changed; it takes effect after a restart");
		keep_str(&n->database, o->database);
	}
	if (!same_str(n->timezone, o->timezone)) {
		log_warnx("reload: timezone changed; it takes effect after a restart");
		keep_str(&n->timezone, o->timezone);
	}
	if (n->http_threads != o->http_threads) {
		log_warnx("reload: http.threads changed; it takes effect after a restart");
		n->http_threads = o->http_threads;
	}
	if (n->sync_full != o->sync_full) {
		log_warnx("reload: database_sync changed; it takes effect after a restart");
		n->sync_full = o->sync_full;
	}
}

static void
reload(const char *path, int verbose)
{
	struct collector_config *n;
	struct cfgref *ref, *old;
	struct cfgerr errs;
	const char *err = NULL;

	cfgerr_init(&errs);
	n = collector_config_load(path, &errs);
	if (n == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			log_errorx("reload failed: %s", errs.msgs[i]);
		log_errorx("reload failed: %zu error%s in %s; the running configuration stays",
			   errs.total, errs.total == 1 ? "" : "s", path);
		cfgerr_free(&errs);
		return;
	}
	cfgerr_free(&errs);
	ref = cfg_acquire();
	keep_restart_fields(n, ref->cfg);
	cfg_release(ref);
	collector_config_localize(n);
	store_set_stale(store, n->stale_mult, n->stale_fixed_s);
	if (!verbose)
		log_set_level((enum log_level)n->log_level);
	ref = xcalloc(1, sizeof(*ref));
	ref->cfg = n;
	atomic_init(&ref->refs, 1);
	pthread_mutex_lock(&cur_mu);
	old = current;
	current = ref;
	pthread_mutex_unlock(&cur_mu);
	if (notify_reload(notifier, n, &err) < 0)
		log_errorx("reload: notifications: %s", err != NULL ? err : "failed");
	cfg_release(old);
	log_info("reloaded %s: %zu agents, %zu services", path, n->nagents, n->nservices);
}

int
serve_run(struct collector_config *cfg, const char *config_path)
{
	struct store_options so = { 0 };
	struct http_options ho = { 0 };
	struct http_server *srv = NULL;
	const char *err = NULL;
	char *herr = NULL;
	pthread_t cron_tid;
	struct watch_options wo;
	sigset_t set;
	int sig, verbose = log_get_level() == LOG_LVL_DEBUG;

	if (caltime_set_zone(cfg->timezone, &err) < 0) {
		log_errorx("timezone %s: %s", cfg->timezone, err);
		collector_config_free(cfg);
		return 78;
	}
	collector_config_localize(cfg);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	so.sync_full = cfg->sync_full;
	so.stale_mult = cfg->stale_mult;
	so.stale_fixed_s = cfg->stale_fixed_s;
	if (store_open(cfg->database, &so, &store, &err) < 0) {
		log_errorx("database %s: %s", cfg->database, err);
		collector_config_free(cfg);
		return 1;
	}
	if (notify_start(cfg, store, &notifier, &err) < 0) {
		log_errorx("notifications: %s", err != NULL ? err : "cannot start");
		store_close(store);
		collector_config_free(cfg);
		return 1;
	}
	current = xcalloc(1, sizeof(*current));
	current->cfg = cfg;
	atomic_init(&current->refs, 1);

	ho.listen = cfg->listen;
	ho.nlisten = cfg->nlisten;
	ho.tls_cert = cfg->tls_cert;
	ho.tls_key = cfg->tls_key;
	ho.threads = cfg->http_threads;
	ho.body_max = (size_t)cfg->body_max;
	ho.routes = api_routes(&ho.nroutes);
	ho.req_begin = req_begin;
	ho.req_end = req_end;
	if (http_start(&ho, &srv, &herr) < 0) {
		log_errorx("%s", herr);
		free(herr);
		notify_stop(notifier);
		notifier = NULL;
		store_close(store);
		cfg_release(current);
		return 1;
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		const char *h = cfg->listen[i].host;
		int v6 = strchr(h, ':') != NULL && h[0] != '[';
		log_info("listening on %s%s%s%s:%d", cfg->tls_cert != NULL ? "https://" : "http://",
			 v6 ? "[" : "", h, v6 ? "]" : "", cfg->listen[i].port);
	}
	cron_stop = 0;
	if (pthread_create(&cron_tid, NULL, cron_main, NULL) != 0)
		fatalx("cannot start the cron thread");
	/* after the notifier, which it feeds; stopped before it */
	watch_options_init(&wo);
	wo.emit = watch_emit;
	wo.emit_arg = notifier;
	wo.cfg_acquire = watch_cfg_acquire;
	wo.cfg_release = watch_cfg_release;
	if (watch_start(store, &wo, &watcher, &err) < 0)
		log_errorx("notifications: %s; none will be sent", err);

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: reloading %s", config_path);
			reload(config_path, verbose);
			continue;
		}
		log_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	http_stop(srv, SERVE_DRAIN_MS);
	pthread_mutex_lock(&cron_mu);
	cron_stop = 1;
	pthread_cond_signal(&cron_cv);
	pthread_mutex_unlock(&cron_mu);
	pthread_join(cron_tid, NULL);
	watch_stop(watcher);
	watcher = NULL;
	notify_stop(notifier);
	notifier = NULL;
	store_close(store);
	store = NULL;
	cfg_release(current);
	current = NULL;
	log_info("stopped");
	return 0;
}
