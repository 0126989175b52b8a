/*
 * sla.h - the SLA arithmetic of SPEC 3.4, as a pure function.
 *
 * Input: the period, the service hours and maintenance windows already cut
 * to interval sets, the policy, the redundancy rule, and each component's
 * state timeline (spans of result status; time not covered by a span is
 * nodata).  Output: every figure of SPEC 3.5 plus a segmented timeline for
 * the HTML report and the timeline API.  No I/O, no clock, no database:
 * collector/slarun.c gathers the input from the store and the config.
 */
#ifndef MXSLA_SLA_H
#define MXSLA_SLA_H

#include <stddef.h>
#include <stdint.h>

#include "caltime.h"
#include "status.h"

enum sla_comp_state { SLA_UP = 0, SLA_DOWN = 1, SLA_NODATA = 2 };

/* policy.warning / policy.unknown: SLA_UP, SLA_DOWN or SLA_NODATA. */
/* policy.nodata */
enum sla_nodata_policy { SLA_ND_EXCLUDE = 0, SLA_ND_UP = 1, SLA_ND_DOWN = 2 };
/* policy.maintenance */
enum sla_maint_policy { SLA_MT_EXCLUDE = 0, SLA_MT_UP = 1, SLA_MT_COUNT = 2 };

struct sla_policy {
	int warning;     /* enum sla_comp_state; default SLA_UP */
	int unknown;     /* enum sla_comp_state; default SLA_NODATA */
	int nodata;      /* enum sla_nodata_policy; default SLA_ND_EXCLUDE */
	int maintenance; /* enum sla_maint_policy; default SLA_MT_EXCLUDE */
};
/* The defaults above. */
void sla_policy_default(struct sla_policy *p);
/* Names as in the config: "up" "down" "nodata" / "exclude" "up" "down" /
   "exclude" "up" "count". */
const char *sla_comp_state_name(int s);
/* SPEC 3.4: the component state (enum sla_comp_state) of a check in
   status (MX_*) under policy p. */
int sla_component_state(const struct sla_policy *p, int status);
/* SPEC 3.4: the service state (enum sla_comp_state) of a service with
   require (SLA_REQUIRE_ALL / _ANY / N) whose components are up, down and
   nodata in these numbers; no component at all is nodata. */
int sla_service_state(int require, size_t up, size_t down, size_t nodata);
const char *sla_nodata_policy_name(int p);
const char *sla_maint_policy_name(int p);

/* A span of one check's state: [start, end) with status MX_OK ..
   MX_UNKNOWN (MX_NODATA allowed too).  Spans are sorted and disjoint. */
struct sla_span { int64_t start, end; int status; };

struct sla_component {
	const char *name;            /* "agent:rule@target"; borrowed */
	const struct sla_span *spans; /* borrowed */
	size_t nspans;
};

/* require: SLA_REQUIRE_ALL, SLA_REQUIRE_ANY, or N >= 1 (at least N up). */
#define SLA_REQUIRE_ALL 0
#define SLA_REQUIRE_ANY (-1)

struct sla_input {
	int64_t start, end;          /* the period P = [start, end) (end = now for the current month) */
	const struct ivset *hours;   /* H ∩ P, normalised; NULL = all of P */
	const struct ivset *maint;   /* W ∩ P, normalised; NULL = none */
	double target;               /* percent */
	int require;
	struct sla_policy policy;
	const struct sla_component *comps;
	size_t ncomps;
};

/* Timeline segment kinds (consecutive segments of one kind are merged). */
enum sla_seg {
	SEG_UP = 0,          /* eligible, service up, full redundancy */
	SEG_DEGRADED = 1,    /* eligible, service up, a component down */
	SEG_DOWN = 2,        /* eligible, service down */
	SEG_NODATA = 3,      /* eligible, service nodata */
	SEG_MAINT = 4,       /* in a maintenance window (scheduled hours) */
	SEG_MAINT_DOWN = 5,  /* in a maintenance window and the service down (planned down) */
	SEG_OUTSIDE = 6      /* outside service hours */
};
const char *sla_seg_name(int seg);   /* "up" "degraded" "down" "nodata" "maintenance" "planned_down" "outside" */

struct sla_seg_span { int64_t start, end; int seg; };

struct sla_incident {
	int64_t start, end;     /* the down interval, clipped to P */
	int64_t down_s;         /* its eligible part (> 0 for listed incidents) */
	char **components;      /* names of the components down at start; owned */
	size_t ncomponents;
};

struct sla_result {
	int64_t scheduled_s, maintenance_s;
	int64_t up_s, down_s, nodata_s;      /* parts of E (before the nodata policy) */
	int64_t degraded_s, planned_down_s;
	int64_t budget_s, budget_left_s;
	double availability;                 /* valid when has_availability */
	int has_availability;
	double availability_total;           /* valid when has_availability_total */
	int has_availability_total;
	int met;                             /* availability >= target (0 when null) */
	struct sla_incident *incidents;      /* owned */
	size_t nincidents;
	int64_t mttr_s, mtbf_s;              /* valid when nincidents > 0 */
	struct sla_seg_span *segs;           /* owned; cover [start, end) */
	size_t nsegs;
};

/* Compute r (zeroed by the call) from in.  Never fails. */
void sla_compute(const struct sla_input *in, struct sla_result *r);
void sla_result_free(struct sla_result *r);

#endif
