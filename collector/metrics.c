/*
 * metrics.c - process counters and the Prometheus page (see metrics.h).
 *
 * Counters are arrays of atomics indexed by HTTP status, so bumping one
 * from a request thread never takes a lock.  The latency histogram uses
 * fixed buckets in microseconds.  Only the notification counters, keyed
 * by free-form names, sit behind a mutex: they change once per
 * notification, not once per request.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "status.h"
#include "store.h"
#include "xmalloc.h"

#define CODES 600
static atomic_uint_fast64_t http_by_code[CODES];
static atomic_uint_fast64_t ingest_err_by_code[CODES];

/* Upper bounds in seconds; the last bucket is +Inf. */
static const double lat_bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBOUNDS (sizeof(lat_bounds) / sizeof(lat_bounds[0]))
static atomic_uint_fast64_t lat_bucket[NBOUNDS + 1];
static atomic_uint_fast64_t lat_count, lat_sum_us;

#define NOTIFY_MAX 64
struct notify_ctr { char *dest, *outcome; uint64_t n; };
static struct notify_ctr notify[NOTIFY_MAX + 1];
static size_t nnotify;
static pthread_mutex_t notify_mu = PTHREAD_MUTEX_INITIALIZER;

void
metrics_http_request(int status)
{
	if (status >= 100 && status < CODES)
		atomic_fetch_add(&http_by_code[status], 1);
}

void
metrics_ingest_error(int status)
{
	if (status >= 100 && status < CODES)
		atomic_fetch_add(&ingest_err_by_code[status], 1);
}

void
metrics_ingest_latency(double seconds)
{
	size_t i;

	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < NBOUNDS && seconds > lat_bounds[i]; i++)
		;
	atomic_fetch_add(&lat_bucket[i], 1);
	atomic_fetch_add(&lat_count, 1);
	atomic_fetch_add(&lat_sum_us, (uint_fast64_t)(seconds * 1e6));
}

void
metrics_notification(const char *destination, const char *outcome)
{
	size_t i;

	pthread_mutex_lock(&notify_mu);
	for (i = 0; i < nnotify; i++)
		if (strcmp(notify[i].dest, destination) == 0 &&
		    strcmp(notify[i].outcome, outcome) == 0)
			break;
	if (i == nnotify) {
		if (nnotify == NOTIFY_MAX) {
			/* the overflow slot: every further pair is counted as "other" */
			i = NOTIFY_MAX;
			if (notify[i].dest == NULL) {
				notify[i].dest = xstrdup("other");
				notify[i].outcome = xstrdup("other");
			}
		} else {
			notify[i].dest = xstrdup(destination);
			notify[i].outcome = xstrdup(outcome);
			nnotify++;
		}
	}
	notify[i].n++;
	pthread_mutex_unlock(&notify_mu);
}

void
metrics_reset(void)
{
	for (size_t i = 0; i < CODES; i++) {
		atomic_store(&http_by_code[i], 0);
		atomic_store(&ingest_err_by_code[i], 0);
	}
	for (size_t i = 0; i <= NBOUNDS; i++)
		atomic_store(&lat_bucket[i], 0);
	atomic_store(&lat_count, 0);
	atomic_store(&lat_sum_us, 0);
	pthread_mutex_lock(&notify_mu);
	for (size_t i = 0; i <= NOTIFY_MAX; i++) {
		free(notify[i].dest);
		free(notify[i].outcome);
		notify[i].dest = notify[i].outcome = NULL;
		notify[i].n = 0;
	}
	nnotify = 0;
	pthread_mutex_unlock(&notify_mu);
}

/* A label value in the exposition format: backslash, quote and newline
   escaped. */
static void
put_label(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(fp, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", fp);
		else
			fputc(*s, fp);
	}
}

static void
head(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
by_code(FILE *fp, const char *name, atomic_uint_fast64_t *v)
{
	for (int c = 100; c < CODES; c++) {
		uint64_t n = atomic_load(&v[c]);
		if (n > 0)
			fprintf(fp, "%s{code=\"%d\"} %llu\n", name, c, (unsigned long long)n);
	}
}

char *
metrics_render(struct store *st, int64_t now, const char **error_r)
{
	struct store_stats s;
	char *text = NULL;
	size_t len = 0, i;
	uint64_t cum = 0;
	FILE *fp;

	memset(&s, 0, sizeof(s));
	if (st != NULL && store_stats(st, now, &s, error_r) < 0)
		return NULL;
	fp = open_memstream(&text, &len);
	if (fp == NULL) {
		*error_r = "metrics: out of memory";
		return NULL;
	}
	head(fp, "mxsla_results_stored_total", "counter",
	     "Results stored in the database since it was created.");
	fprintf(fp, "mxsla_results_stored_total %llu\n", (unsigned long long)s.results_stored_total);
	head(fp, "mxsla_batches_total", "counter",
	     "Batches stored since the database was created.");
	fprintf(fp, "mxsla_batches_total %llu\n", (unsigned long long)s.batches_total);
	head(fp, "mxsla_batches_duplicate_total", "counter",
	     "Batches received again and acknowledged without storing, since start.");
	fprintf(fp, "mxsla_batches_duplicate_total %llu\n",
		(unsigned long long)s.batches_duplicate_total);
	head(fp, "mxsla_ingest_errors_total", "counter",
	     "Ingest requests refused, by HTTP status code.");
	by_code(fp, "mxsla_ingest_errors_total", ingest_err_by_code);
	head(fp, "mxsla_agents", "gauge", "Agents by state (silent: no result within its stale limit).");
	fprintf(fp, "mxsla_agents{state=\"up\"} %llu\n", (unsigned long long)s.agents_up);
	fprintf(fp, "mxsla_agents{state=\"silent\"} %llu\n", (unsigned long long)s.agents_silent);
	head(fp, "mxsla_checks", "gauge", "Checks by their state now.");
	for (i = 0; i < MX_NSTATUS; i++)
		fprintf(fp, "mxsla_checks{status=\"%s\"} %llu\n", status_name((int)i),
			(unsigned long long)s.checks_by_status[i]);
	head(fp, "mxsla_notifications_total", "counter",
	     "Notifications by destination and outcome.");
	pthread_mutex_lock(&notify_mu);
	for (i = 0; i <= NOTIFY_MAX; i++) {
		if (notify[i].dest == NULL)
			continue;
		fputs("mxsla_notifications_total{destination=\"", fp);
		put_label(fp, notify[i].dest);
		fputs("\",outcome=\"", fp);
		put_label(fp, notify[i].outcome);
		fprintf(fp, "\"} %llu\n", (unsigned long long)notify[i].n);
	}
	pthread_mutex_unlock(&notify_mu);
	head(fp, "mxsla_results_rows", "gauge", "Raw result rows in the database now (after pruning).");
	fprintf(fp, "mxsla_results_rows %llu\n", (unsigned long long)s.results_rows);
	head(fp, "mxsla_http_requests_total", "counter", "HTTP requests answered, by status code.");
	by_code(fp, "mxsla_http_requests_total", http_by_code);
	head(fp, "mxsla_ingest_duration_seconds", "histogram",
	     "Time from a complete ingest request to its durable commit.");
	for (i = 0; i <= NBOUNDS; i++) {
		cum += atomic_load(&lat_bucket[i]);
		if (i < NBOUNDS)
			fprintf(fp, "mxsla_ingest_duration_seconds_bucket{le=\"%g\"} %llu\n",
				lat_bounds[i], (unsigned long long)cum);
		else
			fprintf(fp, "mxsla_ingest_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
				(unsigned long long)cum);
	}
	fprintf(fp, "mxsla_ingest_duration_seconds_sum %.6f\n",
		(double)atomic_load(&lat_sum_us) / 1e6);
	fprintf(fp, "mxsla_ingest_duration_seconds_count %llu\n",
		(unsigned long long)atomic_load(&lat_count));
	if (fclose(fp) != 0) {
		free(text);
		*error_r = "metrics: out of memory";
		return NULL;
	}
	return text;
}
