/*
 * tu_collector.h - what the collector's unit tests share: a configuration
 * loaded from YAML text in a test directory, the store on its database,
 * and a month of hourly results with one outage.
 */
#ifndef MXSLA_TU_COLLECTOR_H
#define MXSLA_TU_COLLECTOR_H

#include <stdint.h>

#include "collector_config.h"
#include "store.h"

/* Write yaml to DIR/collector.yaml and load it (a refused file fails the
   test, its errors printed); the process zone is set to its timezone and
   its windows localised. */
struct collector_config *tu_collector_config(const char *dir, const char *yaml);
/* The store on cfg->database (synchronous=NORMAL, stale 3 x interval). */
struct store *tu_collector_store(const struct collector_config *cfg);
/* Store, as batch 1 of agent (site hq), check service.smtp@smtp every hour
   of [from, to), ok but critical over [bad_from, bad_to) (results at both
   ends of the outage; bad_from == bad_to: none). */
void tu_ingest_hourly_smtp(struct store *st, const char *agent, int64_t from, int64_t to,
			   int64_t bad_from, int64_t bad_to);

#endif
