/*
 * collector-ingest.c - load generator for the collector's ingest API
 * (SPEC 7): THREADS client threads, each with its own keep-alive
 * connection, post batches of 100 results to POST /api/v1/results for
 * SECONDS and count the results acknowledged with 200 (stored durably:
 * the collector answers after its group commit).  Prints results/s.
 *
 *   collector-ingest URL TOKEN AGENT [SECONDS [THREADS]]
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
#include <unistd.h>

#define PER_BATCH 100

static const char *url, *token, *agent;
static double seconds = 10;

struct worker {
	pthread_t tid;
	int id;
	uint64_t results, batches, errors;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct curl_slist *h = NULL;
	char auth[512], stream[64];
	size_t cap = PER_BATCH * 400 + 256, len;
	char *body = malloc(cap);
	CURL *c = curl_easy_init();
	int64_t base = (int64_t)time(NULL) - 30 * 86400;
	double end = now_s() + seconds;

	if (body == NULL || c == NULL)
		return NULL;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(stream, sizeof(stream), "bench-%ld-%d-%ld", (long)getpid(), w->id, (long)time(NULL));
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	while (now_s() < end) {
		long code = 0;

		len = (size_t)snprintf(body, cap,
				       "{\"agent\":\"%s\",\"stream\":\"%s\",\"batch\":%llu,\"results\":[",
				       agent, stream, (unsigned long long)w->batches);
		for (int i = 0; i < PER_BATCH; i++)
			len += (size_t)snprintf(
				body + len, cap - len,
				"%s{\"check\":\"bench.c%d@t%d\",\"rule\":\"bench.c%d\",\"target\":\"t%d\","
				"\"kind\":\"health\",\"ts\":%lld,\"interval\":60,\"status\":\"%s\","
				"\"message\":\"load %llu\",\"metrics\":{\"value\":%d}}",
				i > 0 ? "," : "", i, w->id, i, w->id,
				(long long)(base + (int64_t)w->batches), i % 17 == 0 ? "warning" : "ok",
				(unsigned long long)w->batches, i);
		len += (size_t)snprintf(body + len, cap - len, "]}");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200) {
			w->results += PER_BATCH;
		} else {
			w->errors++;
			if (w->errors > 10)
				break;
		}
		w->batches++;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(body);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct worker *w;
	uint64_t results = 0, errors = 0;
	int threads = 2;
	double t0, t;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: collector-ingest URL TOKEN AGENT [SECONDS [THREADS]]\n");
		return 64;
	}
	url = argv[1];
	token = argv[2];
	agent = argv[3];
	if (argc > 4)
		seconds = atof(argv[4]);
	if (argc > 5)
		threads = atoi(argv[5]);
	if (seconds <= 0 || threads < 1 || threads > 64) {
		fprintf(stderr, "collector-ingest: bad SECONDS or THREADS\n");
		return 64;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	w = calloc((size_t)threads, sizeof(*w));
	if (w == NULL)
		return 1;
	t0 = now_s();
	for (int i = 0; i < threads; i++) {
		w[i].id = i;
		pthread_create(&w[i].tid, NULL, run, &w[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].tid, NULL);
		results += w[i].results;
		errors += w[i].errors;
	}
	t = now_s() - t0;
	printf("collector ingest: %llu results in %.1f s = %.0f results/s "
	       "(%d threads, batches of %d, keep-alive; %llu failed requests)\n",
	       (unsigned long long)results, t, (double)results / t, threads, PER_BATCH,
	       (unsigned long long)errors);
	free(w);
	curl_global_cleanup();
	return errors > 0 && results == 0 ? 1 : 0;
}
