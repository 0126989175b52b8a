/*
 * slarun.h - a month's (or any period's) SLA figures for the configured
 * services, gathered from the store and the config and computed by sla.c.
 *
 * For each service: the checks matching its component selectors (every
 * stored check, matched with cc_selector_match), their spans over the
 * period, the service hours (24x7 or its calendar) and its maintenance
 * windows; then sla_compute.  The current month ends at now and is marked
 * incomplete; a month that has not started yet is an error.
 */
#ifndef MXSLA_SLARUN_H
#define MXSLA_SLARUN_H

#include <stdint.h>

#include "collector_config.h"
#include "sla.h"
#include "store.h"

struct sla_service_report {
	const struct cc_service *svc;   /* borrowed from the config */
	char **components;              /* names of the matched checks; owned */
	size_t ncomponents;
	struct sla_result r;
};

struct sla_report {
	int year, month;                /* 0 when built by slarun_period */
	char month_name[8];             /* "2026-10" */
	const char *timezone;           /* borrowed from the config */
	int complete;                   /* 0 when the period ends at now */
	int64_t generated;              /* now */
	int64_t start, end;             /* the period */
	struct sla_service_report *v;
	size_t n;
};

/* The report for month y-mo (only service_id when not NULL; an unknown id
   is an error).  Returns 0 or -1 with *error_r. */
int slarun_month(const struct collector_config *cfg, struct store *st, int y, int mo, int64_t now,
		 const char *service_id, struct sla_report *out, const char **error_r);
/* The same over an arbitrary [from, to) (to clipped to now). */
int slarun_period(const struct collector_config *cfg, struct store *st, int64_t from, int64_t to,
		  int64_t now, const char *service_id, struct sla_report *out, const char **error_r);
void slarun_free(struct sla_report *r);

#endif
