/*
 * notify-send.c - test driver for the notifier (tests/integration/
 * snmp-send.sh): loads a collector.yaml, opens its database, starts the
 * notifier on its notify.snmp destinations, queues the events given as
 * arguments and waits until the queue is empty or the time is up.
 *
 *   notify-send [-b BACKOFF_S] [-c CAP_S] [-g GIVE_UP_S] [-t TIMEOUT_MS]
 *               [-r RETRIES] [-q QUEUE_MAX] [-v] CONFIG WAIT_S [EVENT...]
 *
 * EVENT is an event as notify_queue stores it (JSON, notify_int.h), e.g.
 * {"kind":"check","agent":"mbx01",...,"time":1700000000,"severity":2}.
 * Prints the rows left queued and exits 0 when none is left, 3 when some
 * are, 1 on errors.  WAIT_S 0 queues and stops at once (what a collector
 * stopped before delivery leaves behind).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cfgerr.h"
#include "collector_config.h"
#include "log.h"
#include "notify.h"
#include "notify_int.h"
#include "store.h"

static void
usage(void)
{
	fprintf(stderr, "usage: notify-send [-b BACKOFF_S] [-c CAP_S] [-g GIVE_UP_S] [-t TIMEOUT_MS]"
			" [-r RETRIES] [-q QUEUE_MAX] [-v] CONFIG WAIT_S [EVENT...]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct notify_tuning t;
	struct collector_config *cfg;
	struct store_options so = { 0 };
	struct store *st = NULL;
	struct notifier *n = NULL;
	struct cfgerr errs;
	const char *err = NULL;
	int64_t left = -1;
	double wait_s;
	struct timespec start, now;
	int c, rc = 0, verbose = 0;

	notify_tuning_default(&t);
	while ((c = getopt(argc, argv, "b:c:g:t:r:q:v")) != -1) {
		switch (c) {
		case 'b': t.backoff_base_s = atoll(optarg); break;
		case 'c': t.backoff_cap_s = atoll(optarg); break;
		case 'g': t.give_up_s = atoll(optarg); break;
		case 't': t.timeout_ms = atol(optarg); break;
		case 'r': t.retries = atoi(optarg); break;
		case 'q': t.queue_max = atol(optarg); break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (argc - optind < 2)
		usage();
	log_init("notify-send", verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	wait_s = atof(argv[optind + 1]);
	cfgerr_init(&errs);
	cfg = collector_config_load(argv[optind], &errs);
	if (cfg == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "notify-send: %s\n", errs.msgs[i]);
		cfgerr_free(&errs);
		return 1;
	}
	cfgerr_free(&errs);
	notify_set_tuning(&t);
	so.sync_full = cfg->sync_full;
	so.stale_mult = cfg->stale_mult;
	so.stale_fixed_s = cfg->stale_fixed_s;
	if (store_open(cfg->database, &so, &st, &err) < 0) {
		fprintf(stderr, "notify-send: %s: %s\n", cfg->database, err);
		collector_config_free(cfg);
		return 1;
	}
	if (notify_start(cfg, st, &n, &err) < 0) {
		fprintf(stderr, "notify-send: %s\n", err);
		store_close(st);
		collector_config_free(cfg);
		return 1;
	}
	for (int i = optind + 2; i < argc; i++) {
		struct notify_event ev;
		void *hold;

		if (notify_event_parse(argv[i], &ev, &hold) < 0) {
			fprintf(stderr, "notify-send: not an event: %s\n", argv[i]);
			rc = 1;
			continue;
		}
		if (notify_emit(n, &ev, &err) < 0) {
			fprintf(stderr, "notify-send: %s\n", err);
			rc = 1;
		}
		notify_event_release(hold);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (notify_queue_count(st, NULL, &left, &err) < 0) {
			fprintf(stderr, "notify-send: %s\n", err);
			rc = 1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (left == 0 || (double)(now.tv_sec - start.tv_sec) +
					 (double)(now.tv_nsec - start.tv_nsec) / 1e9 >= wait_s)
			break;
		usleep(50 * 1000);
	}
	notify_stop(n);
	store_close(st);
	collector_config_free(cfg);
	printf("%lld\n", (long long)left);
	if (rc == 0 && left != 0)
		rc = 3;
	return rc;
}
