/*
 * daemon.c - the agent's main loop and the one-shot scan.
 *
 * Signals are blocked in every thread and taken by one signal thread with
 * sigwait(), which sets a flag and wakes the scheduler; the main loop
 * acts on the flags.  A reload parses and validates the new
 * configuration first and swaps only if it is sound; the old scheduler is
 * retired and frees the old configuration once its last in-flight probe
 * run has ended.
 *
 * With a collector configured, every result is appended to the spool as
 * the JSON the collector ingests (SPEC 3.3), the appends of one poll
 * round are synced together, and the sender thread is woken; the spool
 * and the sender live across reloads and are restarted only when the
 * collector settings change.
 */
#include "config.h"

#include <fnmatch.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "agent_config.h"
#include "cfgerr.h"
#include "check.h"
#include "daemon.h"
#include "log.h"
#include "obs.h"
#include "probe.h"
#include "report.h"
#include "rule.h"
#include "scheduler.h"
#include "ship.h"
#include "spool.h"
#include "stats.h"
#include "xmalloc.h"

static int
check_selected(const struct check *c, const char *only)
{
	return only == NULL || fnmatch(only, c->rule->id, 0) == 0 || fnmatch(only, c->id, 0) == 0;
}

int
scan_collect(const struct agent_config *cfg, const char *only, struct scan_report *rep,
	     struct checkset *cs_r, struct obs **obs_r, size_t *nobs_r)
{
	struct checkset cs;
	struct target **run;
	size_t nrun = 0, *map;
	struct obs *obs;
	int64_t *ts;

	checkset_build(&cs, cfg, cfg->targets, cfg->ntargets);
	/* only targets that some selected check needs */
	run = xcalloc(cfg->ntargets + 1, sizeof(*run));
	map = xcalloc(cfg->ntargets + 1, sizeof(*map));
	for (size_t t = 0; t < cfg->ntargets; t++) {
		int needed = 0;
		for (size_t i = 0; i < cs.n && !needed; i++)
			if (cs.v[i].target_index == t && check_selected(&cs.v[i], only))
				needed = 1;
		map[t] = (size_t)-1;
		if (needed) {
			map[t] = nrun;
			run[nrun++] = cfg->targets[t];
		}
	}
	obs = xcalloc(nrun + 1, sizeof(*obs));
	ts = xcalloc(nrun + 1, sizeof(*ts));
	sched_run_once(run, nrun, obs, ts);

	memset(rep, 0, sizeof(*rep));
	rep->v = xcalloc(cs.n + 1, sizeof(*rep->v));
	for (size_t i = 0; i < cs.n; i++) {
		struct check *c = &cs.v[i];
		struct finding *f;
		size_t k = map[c->target_index];

		if (!check_selected(c, only) || k == (size_t)-1)
			continue;
		f = &rep->v[rep->n++];
		f->check = c;
		f->obs = &obs[k];
		f->ts_ms = ts[k];
		f->status = check_evaluate(c->rule, &obs[k], &f->message);
	}
	rep->agent = cfg->id;
	rep->site = cfg->site;
	rep->roles = &cfg->roles;
	rep->generated_ms = probe_now_ms();
	report_finish(rep);
	*cs_r = cs; /* the findings point into it */
	free(run);
	free(map);
	free(ts);
	*obs_r = obs;
	*nobs_r = nrun;
	return rep->n == 0 && only != NULL ? -1 : 0;
}

void
scan_free_obs(struct obs *obs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		obs_free(&obs[i]);
	free(obs);
}

/* ---- daemon ---- */

static atomic_int sig_reload, sig_stop;
static pthread_mutex_t cur_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sched *cur_sched;

static void *
signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP)
			atomic_store(&sig_reload, 1);
		else
			atomic_store(&sig_stop, 1);
		pthread_mutex_lock(&cur_mu);
		if (cur_sched != NULL)
			sched_wakeup(cur_sched);
		pthread_mutex_unlock(&cur_mu);
		if (sig != SIGHUP)
			return NULL;
	}
}

struct generation {
	struct agent_config *cfg;
	struct checkset checks;
	struct sched *sched;
};

static void
release_config(void *ctx)
{
	agent_config_free(ctx);
}

static void
generation_start(struct generation *g, struct agent_config *cfg)
{
	int64_t *iv = xcalloc(cfg->ntargets + 1, sizeof(*iv));

	g->cfg = cfg;
	checkset_build(&g->checks, cfg, cfg->targets, cfg->ntargets);
	/* a target runs as often as its most frequent check needs */
	for (size_t t = 0; t < cfg->ntargets; t++)
		iv[t] = cfg->targets[t]->interval_ms;
	for (size_t i = 0; i < g->checks.n; i++) {
		struct check *c = &g->checks.v[i];
		if (c->interval_ms < iv[c->target_index])
			iv[c->target_index] = c->interval_ms;
	}
	g->sched = sched_new(cfg->targets, cfg->ntargets, iv, 1, release_config, cfg);
	free(iv);
	pthread_mutex_lock(&cur_mu);
	cur_sched = g->sched;
	pthread_mutex_unlock(&cur_mu);
}

static void
generation_retire(struct generation *g)
{
	pthread_mutex_lock(&cur_mu);
	if (cur_sched == g->sched)
		cur_sched = NULL;
	pthread_mutex_unlock(&cur_mu);
	checkset_free(&g->checks);
	sched_free(g->sched); /* frees g->cfg when its last run ends */
	g->sched = NULL;
	g->cfg = NULL;
}

/* The spool and its sender; both NULL without a collector. */
struct outbox {
	struct spool *spool;
	struct ship *ship;
	int appended;          /* results appended since the last sync */
};

static int
outbox_open(struct outbox *ob, const struct agent_config *cfg, char **error_r)
{
	if (spool_open(cfg->spool, cfg->spool_max, &ob->spool, error_r) < 0)
		return -1;
	if (ship_start(ob->spool, cfg, &ob->ship, error_r) < 0) {
		spool_close(ob->spool);
		ob->spool = NULL;
		return -1;
	}
	return 0;
}

static void
outbox_close(struct outbox *ob)
{
	ship_stop(ob->ship);
	spool_close(ob->spool);
	ob->ship = NULL;
	ob->spool = NULL;
}

/* After a reload: keep, restart or replace the sender and the spool. */
static void
outbox_reload(struct outbox *ob, const struct agent_config *old, const struct agent_config *cfg)
{
	char *err = NULL;

	if (cfg->collector_url == NULL) {
		if (ob->spool != NULL)
			log_info("no collector configured any more: results are no longer spooled");
		outbox_close(ob);
		return;
	}
	if (ob->spool == NULL) {
		if (outbox_open(ob, cfg, &err) < 0) {
			log_errorx("%s; results are not spooled", err);
			free(err);
		}
		return;
	}
	spool_set_max(ob->spool, cfg->spool_max);
	if (ob->ship != NULL && !ship_config_changed(old, cfg))
		return;
	if (strcmp(old->spool, cfg->spool) != 0) {
		struct spool *nsp;
		if (spool_open(cfg->spool, cfg->spool_max, &nsp, &err) < 0) {
			log_errorx("%s; still shipping from %s", err, old->spool);
			free(err);
			return;
		}
		outbox_close(ob);
		ob->spool = nsp;
	} else {
		ship_stop(ob->ship);
		ob->ship = NULL;
	}
	if (ship_start(ob->spool, cfg, &ob->ship, &err) < 0) {
		log_errorx("cannot ship results: %s; they wait in the spool", err);
		free(err);
	}
}

/* Append a result as the collector takes it: the scan finding's fields
   plus ts (wall clock now, whole seconds) and interval (seconds); advice
   and references only for a status other than ok. */
static void
outbox_append(struct outbox *ob, const struct check *c, int status, const struct obs *o)
{
	struct finding f;
	json_t *j;
	char *txt, *err = NULL;
	uint64_t dropped = 0;

	memset(&f, 0, sizeof(f));
	f.check = c;
	f.status = status;
	f.message = c->message;
	f.obs = o;
	j = report_finding_json(&f);
	json_object_set_new(j, "ts", json_integer(probe_now_ms() / 1000));
	json_object_set_new(j, "interval", json_integer((c->interval_ms + 999) / 1000));
	if (status == ST_OK) {
		json_object_del(j, "advice");
		json_object_del(j, "references");
	}
	txt = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (txt == NULL)
		fatalx("out of memory building a result");
	if (spool_append(ob->spool, txt, strlen(txt), &dropped, &err) < 0) {
		log_errorx("check %s: result lost: %s", c->id, err);
		free(err);
	} else {
		ob->appended = 1;
	}
	if (dropped > 0)
		log_warnx("spool full: dropped %llu oldest results", (unsigned long long)dropped);
	free(txt);
}

static void
outbox_flush(struct outbox *ob)
{
	char *err = NULL;

	if (!ob->appended)
		return;
	ob->appended = 0;
	/* one fsync per poll round, not per result */
	if (spool_sync(ob->spool, &err) < 0) {
		log_errorx("%s", err);
		free(err);
		return;
	}
	ship_kick(ob->ship);
}

static void
handle_result(struct generation *g, struct outbox *ob, struct sched_result *r, int64_t now)
{
	const struct target *t = g->cfg->targets[r->target_index];

	for (size_t i = 0; i < g->checks.n; i++) {
		struct check *c = &g->checks.v[i];
		char *msg = NULL;
		int raw, st, changed;
		int64_t slack;

		if (c->target_index != r->target_index)
			continue;
		/* a check with a longer interval than its target skips runs */
		slack = t->interval_ms / 2;
		if (c->last_eval_ms != 0 && now - c->last_eval_ms + slack < c->interval_ms)
			continue;
		raw = check_evaluate(c->rule, &r->obs, &msg);
		st = check_update(c, raw, msg, now, &changed);
		if (ob->spool != NULL)
			outbox_append(ob, c, st, &r->obs); /* the spool counts results_total */
		else
			atomic_fetch_add(&agent_stats.results_total, 1);
		if (changed)
			log_info("check %s: %s: %s", c->id, check_status_name(st), c->message);
		else
			log_debug("check %s: %s: %s", c->id, check_status_name(st), c->message);
	}
}

static void
log_loaded(const struct generation *g, const char *what)
{
	log_info("%s %s: agent %s, %zu targets, %zu rules, %zu checks", what, g->cfg->file,
		 g->cfg->id, g->cfg->ntargets, g->cfg->rules.n, g->checks.n);
}

int
daemon_run(struct agent_config *cfg, const char *config_path)
{
	sigset_t set;
	pthread_t sigtid;
	struct generation g;
	struct outbox ob;
	struct sched_result *res = NULL;
	size_t nres = 0, cap = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(&sigtid, NULL, signal_thread, &set) != 0)
		fatalx("cannot start the signal thread");
	pthread_detach(sigtid);

	memset(&ob, 0, sizeof(ob));
	if (cfg->collector_url != NULL) {
		char *err = NULL;
		if (outbox_open(&ob, cfg, &err) < 0) {
			log_errorx("%s", err);
			free(err);
			agent_config_free(cfg);
			return 1;
		}
	}
	memset(&g, 0, sizeof(g));
	generation_start(&g, cfg);
	log_loaded(&g, "started with");

	while (!atomic_load(&sig_stop)) {
		nres = 0;
		sched_poll(g.sched, 60000, &res, &nres, &cap);
		for (size_t i = 0; i < nres; i++) {
			handle_result(&g, &ob, &res[i], probe_mono_ms());
			obs_free(&res[i].obs);
		}
		if (ob.spool != NULL)
			outbox_flush(&ob);
		if (atomic_exchange(&sig_reload, 0)) {
			struct cfgerr errs;
			struct agent_config *ncfg;

			cfgerr_init(&errs);
			log_info("reloading %s", config_path);
			ncfg = agent_config_load(config_path, &errs);
			if (ncfg == NULL) {
				for (size_t k = 0; k < errs.n; k++)
					log_errorx("%s", errs.msgs[k]);
				log_errorx("reload failed with %zu error(s); keeping the running configuration",
					   errs.total);
			} else {
				struct generation ng;
				memset(&ng, 0, sizeof(ng));
				log_set_level((enum log_level)ncfg->log_level);
				outbox_reload(&ob, g.cfg, ncfg);
				generation_start(&ng, ncfg);
				checkset_inherit(&ng.checks, &g.checks);
				generation_retire(&g);
				g = ng;
				log_loaded(&g, "reloaded");
			}
			cfgerr_free(&errs);
		}
	}
	log_info("stopping");
	generation_retire(&g);
	/* after the request in flight; what is not acknowledged stays */
	outbox_close(&ob);
	free(res);
	return 0;
}
