/*
 * api-checks.c - requests per second for GET /api/v1/checks (SPEC 7):
 * feeds CHECKS distinct checks of one agent through the real ingest API
 * (POST /api/v1/results, batches of 1000, two results per check so that
 * each has a state run), checks that one GET lists exactly CHECKS
 * checks, then lets THREADS client threads, each with its own keep-alive
 * connection, GET the whole list for SECONDS and prints requests/s, the
 * size of one answer and its median and 95th percentile latency.
 *
 *   api-checks BASE-URL TOKEN AGENT [CHECKS [SECONDS [THREADS]]]
 *
 * A benchmark tool, not part of the programs: it links libcurl directly.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PER_BATCH 1000
#define LAT_MAX 100000

static const char *base, *token, *agent;
static long nchecks = 10000;
static double seconds = 10;

struct buf {
	char *p;
	size_t len, cap;
};

struct worker {
	pthread_t tid;
	uint64_t ok, errors;
	double *lat;
	size_t nlat;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t k = size * n;

	if (b->len + k + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *q;

		while (cap < b->len + k + 1)
			cap *= 2;
		if ((q = realloc(b->p, cap)) == NULL)
			return 0;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, k);
	b->len += k;
	b->p[b->len] = '\0';
	return k;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POST the checks; 0 or -1. */
static int
feed(void)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char auth[512], url[1024];
	size_t cap = PER_BATCH * 2 * 400 + 512;
	char *body = malloc(cap);
	int64_t now = (int64_t)time(NULL);
	int rc = 0;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(url, sizeof(url), "%s/api/v1/results", base);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	for (long first = 0, batch = 1; first < nchecks && rc == 0; first += PER_BATCH, batch++) {
		size_t len = (size_t)snprintf(body, cap,
					      "{\"agent\":\"%s\",\"site\":\"bench\",\"roles\":[\"hub\"],"
					      "\"stream\":\"api-checks\",\"batch\":%ld,\"results\":[",
					      agent, batch);
		long code = 0;

		for (long i = first; i < first + PER_BATCH && i < nchecks; i++)
			for (int k = 0; k < 2; k++)
				len += (size_t)snprintf(
				    body + len, cap - len,
				    "%s{\"check\":\"disk.free@vol%ld\",\"rule\":\"disk.free\","
				    "\"target\":\"vol%ld\",\"kind\":\"health\",\"title\":\"Disk space\","
				    "\"ts\":%lld,\"interval\":60,\"status\":\"%s\",\"message\":"
				    "\"%ld %% free\",\"metrics\":{\"free_pct\":%ld}}",
				    i == first && k == 0 ? "" : ",", i, i, (long long)(now - 120 + 60 * k),
				    i % 10 == 0 ? "warning" : "ok", 10 + i % 80, 10 + i % 80);
		len += (size_t)snprintf(body + len, cap - len, "]}");
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200) {
			fprintf(stderr, "api-checks: batch %ld refused (HTTP %ld)\n", batch, code);
			rc = -1;
		}
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(body);
	return rc;
}

static CURL *
getter(const char *url, struct buf *b)
{
	CURL *c = curl_easy_init();

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, b != NULL ? collect : discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	/* BENCH_GZIP=1: ask for gzip, as browsers do (curl unpacks) */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, getenv("BENCH_GZIP") != NULL ? "gzip" : NULL);
	return c;
}

/* Occurrences of needle in s. */
static long
count(const char *s, const char *needle)
{
	long n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	char url[1024];
	CURL *c;
	double end = now_s() + seconds;

	snprintf(url, sizeof(url), "%s/api/v1/checks", base);
	c = getter(url, NULL);
	w->lat = malloc(LAT_MAX * sizeof(*w->lat));
	while (now_s() < end) {
		double t = now_s();
		long code = 0;

		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200) {
			w->ok++;
			if (w->nlat < LAT_MAX)
				w->lat[w->nlat++] = now_s() - t;
		} else {
			w->errors++;
		}
	}
	curl_easy_cleanup(c);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int threads = 4;
	struct worker *w;
	struct buf b = {0};
	char url[1024];
	CURL *c;
	double t0, el;
	uint64_t ok = 0, errors = 0;
	double *lat;
	size_t nlat = 0;
	long listed;

	if (argc < 4) {
		fprintf(stderr, "usage: api-checks BASE-URL TOKEN AGENT [CHECKS [SECONDS [THREADS]]]\n");
		return 64;
	}
	base = argv[1];
	token = argv[2];
	agent = argv[3];
	if (argc > 4)
		nchecks = atol(argv[4]);
	if (argc > 5)
		seconds = atof(argv[5]);
	if (argc > 6)
		threads = atoi(argv[6]);
	if (nchecks < 1 || seconds <= 0 || threads < 1 || threads > 256) {
		fprintf(stderr, "api-checks: bad CHECKS, SECONDS or THREADS\n");
		return 64;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	t0 = now_s();
	if (feed() < 0)
		return 1;
	printf("fed %ld checks (%ld results) in %.2f s\n", nchecks, 2 * nchecks, now_s() - t0);

	snprintf(url, sizeof(url), "%s/api/v1/checks", base);
	c = getter(url, &b);
	t0 = now_s();
	if (curl_easy_perform(c) != CURLE_OK || b.p == NULL) {
		fprintf(stderr, "api-checks: GET %s failed\n", url);
		return 1;
	}
	el = now_s() - t0;
	curl_easy_cleanup(c);
	listed = count(b.p, "\"check\":");
	printf("one GET /api/v1/checks: %ld checks, %zu bytes, %.1f ms\n", listed, b.len, el * 1e3);
	free(b.p);
	if (listed != nchecks) {
		fprintf(stderr, "api-checks: listed %ld checks, fed %ld\n", listed, nchecks);
		return 1;
	}

	w = calloc((size_t)threads, sizeof(*w));
	t0 = now_s();
	for (int i = 0; i < threads; i++)
		pthread_create(&w[i].tid, NULL, run, &w[i]);
	for (int i = 0; i < threads; i++)
		pthread_join(w[i].tid, NULL);
	el = now_s() - t0;
	lat = malloc((size_t)threads * LAT_MAX * sizeof(*lat));
	for (int i = 0; i < threads; i++) {
		ok += w[i].ok;
		errors += w[i].errors;
		memcpy(lat + nlat, w[i].lat, w[i].nlat * sizeof(*lat));
		nlat += w[i].nlat;
		free(w[i].lat);
	}
	qsort(lat, nlat, sizeof(*lat), cmp_double);
	printf("GET /api/v1/checks with %ld checks, %d clients: %.1f requests/s "
	       "(%llu in %.1f s, %llu errors), median %.1f ms, p95 %.1f ms\n",
	       nchecks, threads, (double)ok / el, (unsigned long long)ok, el,
	       (unsigned long long)errors, nlat ? lat[nlat / 2] * 1e3 : 0.0,
	       nlat ? lat[nlat * 95 / 100] * 1e3 : 0.0);
	free(lat);
	free(w);
	curl_global_cleanup();
	return errors == 0 ? 0 : 1;
}
