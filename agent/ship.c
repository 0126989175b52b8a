/*
 * ship.c - the sender thread (see ship.h).
 *
 * One thread, one libcurl easy handle kept for the thread's life (so the
 * connection to the collector is reused), one request at a time.  The
 * spool decides what a batch is; this file only sends it, classifies the
 * answer and waits: for new results (condition variable, woken by
 * ship_kick), or for the back-off delay after a failure (woken only by
 * ship_stop).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "agent_config.h"
#include "curlrt.h"
#include "log.h"
#include "secret.h"
#include "ship.h"
#include "spool.h"
#include "strlist.h"
#include "xmalloc.h"

#define TOKEN_MAX 4096
#define RESPONSE_MAX (64 * 1024)
#define ERROR_SHOWN_MAX 300
#define CONNECT_TIMEOUT_MS 10000L
#define TOTAL_TIMEOUT_MS 60000L
#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS (5 * 60 * 1000)

enum outcome { SENT, REJECTED, AUTH_FAILED, RETRY };

struct ship {
	struct spool *sp;
	char *url;          /* .../api/v1/results */
	char *token;        /* never logged */
	char *token_file;
	char *ca_file;
	char *prefix;       /* the request body up to the results array */
	int64_t base_ms, cap_ms;
	uint64_t rnd;

	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int kicked, stop;
	int64_t stop_at_ms;

	char errbuf[CURL_ERROR_SIZE];
	/* one response, capped */
	char *resp;
	size_t resp_len;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ship_backoff_ms(unsigned n, int64_t base_ms, int64_t cap_ms, uint64_t rnd)
{
	int64_t ceil = base_ms;

	for (unsigned i = 0; i < n && ceil < cap_ms; i++)
		ceil *= 2;
	if (ceil > cap_ms)
		ceil = cap_ms;
	if (ceil <= 0)
		return 0;
	return (int64_t)(rnd % ((uint64_t)ceil + 1));
}

static uint64_t
next_rnd(struct ship *sh)
{
	/* xorshift64*: jitter needs spread, not secrecy */
	sh->rnd ^= sh->rnd >> 12;
	sh->rnd ^= sh->rnd << 25;
	sh->rnd ^= sh->rnd >> 27;
	return sh->rnd * 2685821657736338717ULL;
}

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
ship_config_changed(const struct agent_config *a, const struct agent_config *b)
{
	if (!streq(a->collector_url, b->collector_url) || !streq(a->token, b->token) ||
	    !streq(a->token_file, b->token_file) || !streq(a->ca_file, b->ca_file) ||
	    !streq(a->id, b->id) || !streq(a->site, b->site) || !streq(a->spool, b->spool) ||
	    a->roles.n != b->roles.n)
		return 1;
	for (size_t i = 0; i < a->roles.n; i++)
		if (strcmp(a->roles.v[i], b->roles.v[i]) != 0)
			return 1;
	return 0;
}

/* The token from token_file (lib/secret.h, as the collector reads it). */
static int
read_token_file(const char *path, char **token_r, char **error_r)
{
	char *err = NULL;

	*token_r = secret_read_file(path, TOKEN_MAX, &err);
	if (*token_r == NULL) {
		*error_r = xasprintf("token_file %s%s", path, err);
		free(err);
		return -1;
	}
	return 0;
}

static int64_t
env_ms(const char *name, int64_t def)
{
	const char *v = getenv(name);
	char *end;
	long long x;

	if (v == NULL || *v == '\0')
		return def;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || x < 1 || x > 86400000LL) {
		log_warnx("ignoring %s=%s (milliseconds, 1 to 86400000)", name, v);
		return def;
	}
	return x;
}

/* ---- one request ---- */

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct ship *sh = arg;
	size_t n = size * nmemb, room = RESPONSE_MAX - sh->resp_len;

	/* an answer longer than the cap is cut, not an error */
	if (n > room)
		n = room;
	memcpy(sh->resp + sh->resp_len, data, n);
	sh->resp_len += n;
	sh->resp[sh->resp_len] = '\0';
	return size * nmemb;
}

static int
progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct ship *sh = arg;
	int abort_now;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	pthread_mutex_lock(&sh->mu);
	abort_now = sh->stop && mono_ms() - sh->stop_at_ms > SHIP_STOP_GRACE_MS;
	pthread_mutex_unlock(&sh->mu);
	return abort_now;
}

static char *
body_build(const struct ship *sh, const struct spool_batch *b, size_t *len_r)
{
	size_t plen = strlen(sh->prefix), len = plen + 64 + b->bytes + b->n, off = 0;
	char *body = xmalloc(len);
	int k;

	memcpy(body, sh->prefix, plen);
	off = plen;
	k = snprintf(body + off, len - off, "%" PRIu64 ",\"results\":[", b->batch);
	off += (size_t)k;
	for (size_t i = 0; i < b->n; i++) {
		if (i > 0)
			body[off++] = ',';
		memcpy(body + off, b->recs[i], b->lens[i]);
		off += b->lens[i];
	}
	body[off++] = ']';
	body[off++] = '}';
	*len_r = off;
	return body;
}

/* The collector's error for the log: "message (at path)" from its JSON
   answer, else the start of the answer with control characters removed. */
static char *
collector_error(const struct ship *sh)
{
	json_t *j = json_loadb(sh->resp, sh->resp_len, 0, NULL);
	const char *msg = NULL, *path = NULL;
	char *out;

	if (j != NULL && json_is_object(j)) {
		msg = json_string_value(json_object_get(j, "error"));
		path = json_string_value(json_object_get(j, "path"));
	}
	if (msg != NULL) {
		out = path != NULL ? xasprintf("%.*s (at %.*s)", ERROR_SHOWN_MAX, msg, 100, path)
				   : xasprintf("%.*s", ERROR_SHOWN_MAX, msg);
	} else {
		size_t n = sh->resp_len < ERROR_SHOWN_MAX ? sh->resp_len : ERROR_SHOWN_MAX;
		out = xstrndup(sh->resp, n);
		for (char *p = out; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		if (n == 0) {
			free(out);
			out = xstrdup("(empty answer)");
		}
	}
	json_decref(j);
	return out;
}

static CURL *
handle_new(struct ship *sh, char *errbuf)
{
	CURL *h = curlrt_easy_init();

	if (h == NULL)
		return NULL;
	curlrt_easy_setopt(h, CURLOPT_URL, sh->url);
	curlrt_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curlrt_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curlrt_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curlrt_easy_setopt(h, CURLOPT_TIMEOUT_MS, TOTAL_TIMEOUT_MS);
	curlrt_easy_setopt(h, CURLOPT_PROXY, "");
	curlrt_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	/* verification is never switched off: a wrong CA is a config error */
	curlrt_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curlrt_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (sh->ca_file != NULL)
		curlrt_easy_setopt(h, CURLOPT_CAINFO, sh->ca_file);
	curlrt_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curlrt_easy_setopt(h, CURLOPT_USERAGENT, PACKAGE_NAME "-agent/" PACKAGE_VERSION);
	curlrt_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curlrt_easy_setopt(h, CURLOPT_WRITEDATA, sh);
	curlrt_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curlrt_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curlrt_easy_setopt(h, CURLOPT_XFERINFODATA, sh);
	curlrt_easy_setopt(h, CURLOPT_POST, 1L);
	return h;
}

/* Send one batch; *why_r (xmalloc'd) explains anything but SENT. */
static enum outcome
send_batch(struct ship *sh, CURL **hp, const struct spool_batch *b, long *status_r, char **why_r)
{
	char *errbuf = sh->errbuf;
	struct curl_slist *hdrs = NULL;
	char *body, *auth;
	size_t blen;
	CURLcode rc;
	long status = 0;

	*status_r = 0;
	if (*hp == NULL && (*hp = handle_new(sh, errbuf)) == NULL) {
		*why_r = xstrdup("libcurl: cannot create a handle");
		return RETRY;
	}
	errbuf[0] = '\0';
	sh->resp_len = 0;
	sh->resp[0] = '\0';
	body = body_build(sh, b, &blen);
	auth = xasprintf("Authorization: Bearer %s", sh->token);
	hdrs = curlrt_slist_append(hdrs, auth);
	hdrs = curlrt_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curlrt_slist_append(hdrs, "Expect:");
	curlrt_easy_setopt(*hp, CURLOPT_HTTPHEADER, hdrs);
	curlrt_easy_setopt(*hp, CURLOPT_POSTFIELDS, body);
	curlrt_easy_setopt(*hp, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	rc = curlrt_easy_perform(*hp);
	curlrt_easy_setopt(*hp, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	curlrt_easy_setopt(*hp, CURLOPT_POSTFIELDS, (char *)NULL);
	curlrt_slist_free_all(hdrs);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	free(body);
	if (rc != CURLE_OK) {
		*why_r = xstrdup(errbuf[0] != '\0' ? errbuf : curlrt_easy_strerror(rc));
		/* a fresh connection next time */
		curlrt_easy_cleanup(*hp);
		*hp = NULL;
		return RETRY;
	}
	curlrt_easy_getinfo(*hp, CURLINFO_RESPONSE_CODE, &status);
	*status_r = status;
	if (status >= 200 && status < 300)
		return SENT;
	*why_r = collector_error(sh);
	if (status == 401 || status == 403)
		return AUTH_FAILED;
	if (status >= 400 && status < 500 && status != 408 && status != 429)
		return REJECTED;
	return RETRY;
}

/* Sleep ms unless stopped.  Returns 1 when stopped. */
static int
pause_ms(struct ship *sh, int64_t ms, int until_kicked)
{
	int64_t end = mono_ms() + ms;
	int stopped;

	pthread_mutex_lock(&sh->mu);
	while (!sh->stop && !(until_kicked && sh->kicked)) {
		struct timespec ts;
		int64_t left = end - mono_ms();
		if (left <= 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += left / 1000;
		ts.tv_nsec += (left % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&sh->cond, &sh->mu, &ts);
	}
	stopped = sh->stop;
	pthread_mutex_unlock(&sh->mu);
	return stopped;
}

static void *
ship_thread(void *arg)
{
	struct ship *sh = arg;
	CURL *h = NULL;
	unsigned fails = 0;

	for (;;) {
		struct spool_batch b;
		char *err = NULL, *why = NULL;
		enum outcome oc;
		int64_t delay;
		long status;
		int rc;

		pthread_mutex_lock(&sh->mu);
		if (sh->stop) {
			pthread_mutex_unlock(&sh->mu);
			break;
		}
		sh->kicked = 0;
		pthread_mutex_unlock(&sh->mu);

		rc = spool_batch_get(sh->sp, SHIP_BATCH_MAX, SHIP_BATCH_BYTES, &b, &err);
		if (rc < 0) {
			delay = ship_backoff_ms(fails++, sh->base_ms, sh->cap_ms, next_rnd(sh));
			log_errorx("%s; retrying in %.1fs", err, (double)delay / 1000);
			free(err);
			pause_ms(sh, delay, 0);
			continue;
		}
		if (rc == 0) {
			/* nothing waits: sleep until kicked (the hour is a safety net) */
			pause_ms(sh, 3600 * 1000, 1);
			continue;
		}
		oc = send_batch(sh, &h, &b, &status, &why);
		switch (oc) {
		case SENT:
			if (spool_batch_done(sh->sp, &b, 1, &err) < 0) {
				log_errorx("%s", err);
				free(err);
			}
			if (fails > 0)
				log_info("collector: delivering again (batch %" PRIu64 ", %zu results) "
					 "after %u failed attempts", b.batch, b.n, fails);
			else
				log_debug("collector: delivered batch %" PRIu64 " (%zu results)", b.batch,
					  b.n);
			fails = 0;
			break;
		case REJECTED:
			spool_note_send_error(sh->sp);
			log_errorx("collector rejected batch %" PRIu64 " (%zu results) with HTTP %ld: %s; "
				   "a rejected batch can never succeed, so its results are dropped",
				   b.batch, b.n, status, why);
			if (spool_batch_done(sh->sp, &b, 0, &err) < 0) {
				log_errorx("%s", err);
				free(err);
			}
			fails = 0;
			break;
		case AUTH_FAILED:
		case RETRY:
			spool_note_send_error(sh->sp);
			delay = ship_backoff_ms(fails++, sh->base_ms, sh->cap_ms, next_rnd(sh));
			if (oc == AUTH_FAILED)
				log_errorx("collector refused the agent's token (HTTP %ld: %s): fix token "
					   "or token_file; batch %" PRIu64 " is kept, retrying in %.1fs",
					   status, why, b.batch, (double)delay / 1000);
			else if (status != 0)
				log_warnx("collector: batch %" PRIu64 " not accepted (HTTP %ld: %s); "
					  "retrying in %.1fs", b.batch, status, why, (double)delay / 1000);
			else
				log_warnx("collector: sending batch %" PRIu64 " failed: %s; retrying in "
					  "%.1fs", b.batch, why, (double)delay / 1000);
			if (!pause_ms(sh, delay, 0) && oc == AUTH_FAILED && sh->token_file != NULL) {
				/* a fixed token file is picked up without a reload */
				char *tok = NULL;
				if (read_token_file(sh->token_file, &tok, &err) == 0) {
					explicit_bzero(sh->token, strlen(sh->token));
					free(sh->token);
					sh->token = tok;
				} else {
					log_errorx("%s", err);
					free(err);
				}
			}
			break;
		}
		free(why);
		spool_batch_free(&b);
	}
	if (h != NULL)
		curlrt_easy_cleanup(h);
	return NULL;
}

/* ---- start / stop ---- */

static char *
prefix_build(const struct agent_config *cfg, const char *stream)
{
	json_t *j = json_object(), *roles = json_array();
	char *dump, *out;
	size_t n;

	json_object_set_new(j, "agent", json_string(cfg->id));
	json_object_set_new(j, "site", json_string(cfg->site));
	for (size_t i = 0; i < cfg->roles.n; i++)
		json_array_append_new(roles, json_string(cfg->roles.v[i]));
	json_object_set_new(j, "roles", roles);
	json_object_set_new(j, "stream", json_string(stream));
	dump = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (dump == NULL)
		fatalx("out of memory building a request");
	/* "{...}" -> "{...,\"batch\":" ; the batch number and results follow */
	n = strlen(dump);
	out = xasprintf("%.*s,\"batch\":", (int)(n - 1), dump);
	free(dump);
	return out;
}

static void
ship_free(struct ship *sh)
{
	if (sh->token != NULL)
		explicit_bzero(sh->token, strlen(sh->token));
	free(sh->token);
	free(sh->token_file);
	free(sh->ca_file);
	free(sh->url);
	free(sh->prefix);
	free(sh->resp);
	pthread_mutex_destroy(&sh->mu);
	pthread_cond_destroy(&sh->cond);
	free(sh);
}

int
ship_start(struct spool *sp, const struct agent_config *cfg, struct ship **sh_r, char **error_r)
{
	struct ship *sh;
	pthread_condattr_t ca;
	size_t ulen;

	if (cfg->collector_url == NULL) {
		*error_r = xstrdup("no collector url");
		return -1;
	}
	if (curlrt_load(error_r) < 0)
		return -1;
	sh = xcalloc(1, sizeof(*sh));
	sh->sp = sp;
	pthread_mutex_init(&sh->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sh->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (cfg->token_file != NULL) {
		sh->token_file = xstrdup(cfg->token_file);
		if (read_token_file(cfg->token_file, &sh->token, error_r) < 0) {
			ship_free(sh);
			return -1;
		}
	} else if (cfg->token != NULL) {
		sh->token = xstrdup(cfg->token);
	} else {
		*error_r = xstrdup("collector: no token");
		ship_free(sh);
		return -1;
	}
	ulen = strlen(cfg->collector_url);
	while (ulen > 0 && cfg->collector_url[ulen - 1] == '/')
		ulen--;
	sh->url = xasprintf("%.*s/api/v1/results", (int)ulen, cfg->collector_url);
	sh->ca_file = cfg->ca_file != NULL ? xstrdup(cfg->ca_file) : NULL;
	sh->prefix = prefix_build(cfg, spool_stream(sp));
	sh->resp = xmalloc(RESPONSE_MAX + 1);
	sh->base_ms = env_ms("MXSLA_SHIP_BACKOFF_BASE_MS", BACKOFF_BASE_MS);
	sh->cap_ms = env_ms("MXSLA_SHIP_BACKOFF_CAP_MS", BACKOFF_CAP_MS);
	if (getrandom(&sh->rnd, sizeof(sh->rnd), 0) != sizeof(sh->rnd) || sh->rnd == 0)
		sh->rnd = (uint64_t)mono_ms() | 1;
	if (pthread_create(&sh->tid, NULL, ship_thread, sh) != 0) {
		*error_r = xstrdup("cannot start the sender thread");
		ship_free(sh);
		return -1;
	}
	log_info("shipping results to %s (stream %s)", sh->url, spool_stream(sp));
	*sh_r = sh;
	return 0;
}

void
ship_kick(struct ship *sh)
{
	if (sh == NULL)
		return;
	pthread_mutex_lock(&sh->mu);
	sh->kicked = 1;
	pthread_cond_signal(&sh->cond);
	pthread_mutex_unlock(&sh->mu);
}

void
ship_stop(struct ship *sh)
{
	if (sh == NULL)
		return;
	pthread_mutex_lock(&sh->mu);
	sh->stop = 1;
	sh->stop_at_ms = mono_ms();
	pthread_cond_signal(&sh->cond);
	pthread_mutex_unlock(&sh->mu);
	pthread_join(sh->tid, NULL);
	ship_free(sh);
}
