/*
 * tu_collector.c - shared helpers of the collector's unit tests
 * (tu_collector.h).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "caltime.h"
#include "cfgerr.h"
#include "status.h"
#include "testutil.h"
#include "tu_collector.h"
#include "xmalloc.h"

struct collector_config *
tu_collector_config(const char *dir, const char *yaml)
{
	struct collector_config *cfg;
	struct cfgerr errs;
	const char *err = NULL;
	char *path = xasprintf("%s/collector.yaml", dir);

	tu_write_file(path, yaml);
	cfgerr_init(&errs);
	cfg = collector_config_load(path, &errs);
	if (cfg == NULL) {
		cfgerr_print(&errs, stderr);
		fail_msg("config refused");
	}
	cfgerr_free(&errs);
	free(path);
	if (caltime_set_zone(cfg->timezone, &err) < 0)
		fail_msg("zone: %s", err);
	collector_config_localize(cfg);
	return cfg;
}

struct store *
tu_collector_store(const struct collector_config *cfg)
{
	struct store_options opt = {.sync_full = 0, .stale_mult = 3};
	struct store *st;
	const char *err = NULL;

	if (store_open(cfg->database, &opt, &st, &err) < 0)
		fail_msg("store_open: %s", err);
	return st;
}

void
tu_ingest_hourly_smtp(struct store *st, const char *agent, int64_t from, int64_t to,
                      int64_t bad_from, int64_t bad_to)
{
	size_t cap = (size_t)((to - from) / 3600) + 3, n = 0;
	struct ingest_result *v = xcalloc(cap, sizeof(*v));
	struct ingest_batch b;
	const char *err = NULL;
	int dup = -1;

	for (int64_t t = from; t < to; t += 3600) {
		/* the outage sits between two hourly results */
		if (bad_from < bad_to && n > 0 && t > bad_from && v[n - 1].ts < bad_from) {
			v[n] = v[n - 1];
			v[n].ts = bad_from;
			v[n].status = MX_CRITICAL;
			n++;
			v[n] = v[n - 1];
			v[n].ts = bad_to;
			v[n].status = MX_OK;
			n++;
		}
		v[n].check = "service.smtp@smtp";
		v[n].rule = "service.smtp";
		v[n].target = "smtp";
		v[n].kind = "health";
		v[n].title = "SMTP answers";
		v[n].message = "";
		v[n].status = MX_OK;
		v[n].ts = t;
		v[n].interval = 3600;
		n++;
	}
	memset(&b, 0, sizeof(b));
	b.agent = agent;
	b.site = "hq";
	b.roles = "[\"hub-transport\"]";
	b.stream = "stream-1";
	b.batch = 1;
	b.received = to;
	b.results = v;
	b.n = n;
	if (store_ingest(st, &b, &dup, &err) < 0)
		fail_msg("store_ingest: %s", err);
	assert_int_equal(dup, 0);
	free(v);
}
