/*
 * queue_postfix.c - the queue probe's postfix driver: runs `postqueue -j`
 * (Postfix >= 3.1) and reads its JSON lines; counts the files in
 * $queue_directory/corrupt, which postqueue does not list.
 *
 * It reads only what postqueue prints (members it does not know are
 * ignored, as postqueue(1) asks); it never opens queue files and never
 * talks to the showq socket itself.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "obs.h"
#include "probe.h"
#include "queue.h"
#include "subproc.h"
#include "xmalloc.h"

/* $queue_directory is asked again after this long (a reload may move it). */
#define POSTFIX_QDIR_TTL_MS (3600 * 1000)

struct postfix_state {
	char *queue_dir;     /* NULL until postconf answered */
	int64_t fetched_ms;  /* monotonic */
};

/* ---- parsing ------------------------------------------------------------ */

struct postfix_tally {
	long total, active, deferred, hold, incoming, maildrop, other, bad;
	double size_bytes;
	int have_arrival;
	double min_arrival;
	int have_last_deferred;
	double last_deferred_arrival;
	char *last_error;
	char *first_bad;
	struct queue_domains *domains;
};

static void postfix_bad(struct postfix_tally *t, long lineno, const char *why)
{
	t->bad++;
	if (t->first_bad == NULL)
		t->first_bad = xasprintf("line %ld: %s", lineno, why);
}

/* The first non-empty delay_reason among the recipients, or NULL. */
static const char *postfix_delay_reason(json_t *rcpts)
{
	size_t i;
	json_t *r;

	json_array_foreach(rcpts, i, r) {
		const char *s = json_string_value(json_object_get(r, "delay_reason"));
		if (s != NULL && s[0] != '\0')
			return s;
	}
	return NULL;
}

static void postfix_entry(struct postfix_tally *t, json_t *msg, long lineno)
{
	const char *q = json_string_value(json_object_get(msg, "queue_name"));
	json_t *arrival = json_object_get(msg, "arrival_time");
	json_t *size = json_object_get(msg, "message_size");
	json_t *rcpts = json_object_get(msg, "recipients");
	int count_domains = 0;

	if (q == NULL) {
		postfix_bad(t, lineno, "no queue_name");
		return;
	}
	t->total++;
	if (strcmp(q, "active") == 0) {
		t->active++;
		count_domains = 1;
	} else if (strcmp(q, "deferred") == 0) {
		t->deferred++;
		count_domains = 1;
	} else if (strcmp(q, "hold") == 0) {
		t->hold++;
	} else if (strcmp(q, "incoming") == 0) {
		t->incoming++;
	} else if (strcmp(q, "maildrop") == 0) {
		t->maildrop++;
	} else {
		t->other++;
	}
	if (json_is_number(size) && json_number_value(size) > 0)
		t->size_bytes += json_number_value(size);
	if (json_is_number(arrival)) {
		double a = json_number_value(arrival);
		if (!t->have_arrival || a < t->min_arrival) {
			t->min_arrival = a;
			t->have_arrival = 1;
		}
		if (strcmp(q, "deferred") == 0 &&
		    (!t->have_last_deferred || a > t->last_deferred_arrival)) {
			const char *why = json_is_array(rcpts) ? postfix_delay_reason(rcpts) : NULL;
			t->have_last_deferred = 1;
			t->last_deferred_arrival = a;
			free(t->last_error);
			t->last_error = why ? xstrdup(why) : NULL;
		}
	}
	if (count_domains && json_is_array(rcpts)) {
		size_t i;
		json_t *r;

		json_array_foreach(rcpts, i, r) {
			json_t *a = json_object_get(r, "address");
			if (json_is_string(a))
				queue_domains_add(t->domains, json_string_value(a),
						  json_string_length(a));
		}
	}
}

static void postfix_line(struct postfix_tally *t, const char *line, size_t n, long lineno)
{
	json_error_t jerr;
	json_t *msg;

	if (n > QUEUE_POSTFIX_LINE_MAX) {
		postfix_bad(t, lineno, "line too long");
		return;
	}
	msg = json_loadb(line, n, 0, &jerr);
	if (msg == NULL) {
		postfix_bad(t, lineno, jerr.text);
		return;
	}
	if (!json_is_object(msg))
		postfix_bad(t, lineno, "not a JSON object");
	else
		postfix_entry(t, msg, lineno);
	json_decref(msg);
}

int queue_postfix_parse(const char *text, size_t len, int64_t now_s, int truncated,
			struct obs *o)
{
	struct postfix_tally t;
	size_t pos = 0;
	long lineno = 0, nonblank = 0;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	t.domains = queue_domains_new();
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (nl == NULL && truncated)
			break; /* cut off by max_output */
		size_t k = 0;
		while (k < n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
			k++;
		if (k == n)
			continue;
		nonblank++;
		postfix_line(&t, line, n, lineno);
	}

	if (nonblank > 0 && t.total == 0) {
		obs_error(o, "postqueue -j: no queue entry in %ld line%s (%s)", nonblank,
			  nonblank == 1 ? "" : "s", t.first_bad ? t.first_bad : "unreadable");
		rc = -1;
	} else {
		obs_metric(o, "total", (double)t.total);
		obs_metric(o, "active", (double)t.active);
		obs_metric(o, "deferred", (double)t.deferred);
		obs_metric(o, "hold", (double)t.hold);
		obs_metric(o, "incoming", (double)(t.incoming + t.maildrop));
		obs_metric(o, "size_bytes", t.size_bytes);
		obs_metric(o, "bad_lines", (double)t.bad);
		double age = t.have_arrival ? (double)now_s - t.min_arrival : 0.0;
		obs_metric(o, "oldest_age_s", age > 0 ? age : 0.0);
		queue_domains_report(t.domains, o);
		if (t.last_error)
			obs_fact(o, "last_error", t.last_error);
		if (truncated)
			obs_factf(o, "truncated",
				  "listing larger than max_output; counts are lower bounds");
	}
	free(t.last_error);
	free(t.first_bad);
	queue_domains_free(t.domains);
	return rc;
}

/* ---- the corrupt directory ------------------------------------------------ */

int queue_postfix_count_dir(const char *dir, long *count_r, char **error_r)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	long n = 0;

	if (d == NULL) {
		*error_r = xasprintf("opendir %s: %s", dir, strerror(errno));
		return -1;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++n >= QUEUE_CORRUPT_MAX)
			break;
	}
	if (de == NULL && errno != 0) {
		*error_r = xasprintf("readdir %s: %s", dir, strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	*count_r = n;
	return 0;
}

/* ---- running postqueue and postconf --------------------------------------- */

static const char *const postfix_env[] = { "LC_ALL=C", NULL };

static int postfix_remaining_ms(int64_t deadline)
{
	int64_t left = deadline - probe_mono_ms();
	return left < 1 ? 1 : (int)left;
}

/* `postconf [-c DIR] -h queue_directory`; NULL when it cannot say. */
static char *postfix_queue_dir(const struct queue_conf *c, int timeout_ms)
{
	const char *argv[6];
	struct subproc_opts so = { 0 };
	struct subproc_result res;
	char *err = NULL, *dir = NULL;
	size_t i = 0;

	argv[i++] = c->postconf;
	if (c->config_dir) {
		argv[i++] = "-c";
		argv[i++] = c->config_dir;
	}
	argv[i++] = "-h";
	argv[i++] = "queue_directory";
	argv[i] = NULL;
	so.timeout_ms = timeout_ms;
	so.max_out = 8192;
	so.env = postfix_env;
	if (subproc_run(argv, &so, &res, &err) == 0 && res.exited && res.status == 0 &&
	    !res.out_truncated) {
		size_t n = strcspn(res.out, "\n");
		if (n > 0 && res.out[0] == '/')
			dir = xstrndup(res.out, n);
	}
	free(err);
	subproc_result_free(&res);
	return dir;
}

void queue_postfix_run(const struct queue_conf *c, const struct target *t, void **state,
		       struct obs *o)
{
	struct postfix_state *st = *state;
	int64_t deadline = probe_mono_ms() + (t->timeout_ms > 0 ? t->timeout_ms : 10000);
	const char *argv[5];
	struct subproc_result res;
	size_t i = 0;

	if (st == NULL) {
		st = xcalloc(1, sizeof(*st));
		*state = st;
	}
	if (st->queue_dir == NULL || probe_mono_ms() - st->fetched_ms > POSTFIX_QDIR_TTL_MS) {
		char *dir = postfix_queue_dir(c, postfix_remaining_ms(deadline) / 2);
		if (dir != NULL) {
			free(st->queue_dir);
			st->queue_dir = dir;
			st->fetched_ms = probe_mono_ms();
		}
	}

	argv[i++] = c->postqueue;
	if (c->config_dir) {
		argv[i++] = "-c";
		argv[i++] = c->config_dir;
	}
	argv[i++] = "-j";
	argv[i] = NULL;
	if (probe_exec(argv, postfix_remaining_ms(deadline),
		       c->max_output > 0 ? (size_t)c->max_output : 0, &res, o) < 0)
		return;
	if (queue_postfix_parse(res.out, res.out_len, probe_now_ms() / 1000, res.out_truncated,
				o) == 0 &&
	    st->queue_dir != NULL) {
		char *cdir = xasprintf("%s/corrupt", st->queue_dir);
		long n = 0;
		char *cerr = NULL;

		if (queue_postfix_count_dir(cdir, &n, &cerr) == 0)
			obs_metric(o, "corrupt", (double)n);
		free(cerr);
		free(cdir);
	}
	subproc_result_free(&res);
}

void queue_postfix_free_state(void *state)
{
	struct postfix_state *st = state;

	if (st == NULL)
		return;
	free(st->queue_dir);
	free(st);
}
