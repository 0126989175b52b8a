/*
 * obs.h - one observation: what a probe saw in one run.
 *
 * Numeric metrics and string facts, by name.  A metric the probe could
 * not read is absent, never zero.  obs_error() records that the probe
 * could not read its source at all: every rule on that target then
 * evaluates to `unknown` with that reason.
 *
 * Not thread-safe; each probe run fills its own obs.
 */
#ifndef MXSLA_OBS_H
#define MXSLA_OBS_H

#include <stddef.h>

#define OBS_FACT_MAX 4096 /* longer fact values are truncated */

struct obs_metric {
	char *name;
	double value;
};

struct obs_fact {
	char *name;
	char *value;
};

struct obs {
	struct obs_metric *m;
	size_t nm, cm;
	struct obs_fact *f;
	size_t nf, cf;
	char *error; /* NULL, or why the probe could not read its source */
};

void obs_init(struct obs *o);
void obs_free(struct obs *o);   /* frees contents; o can be reused after obs_init */
void obs_clear(struct obs *o);  /* empty it, keep allocations */
/* Set (or replace) a metric. */
void obs_metric(struct obs *o, const char *name, double value);
/* Set (or replace) a fact; value is copied and truncated to OBS_FACT_MAX. */
void obs_fact(struct obs *o, const char *name, const char *value);
void obs_factn(struct obs *o, const char *name, const char *value, size_t len);
void obs_factf(struct obs *o, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Record that the probe could not read its source (first call wins). */
void obs_error(struct obs *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lookups: NULL when absent. */
const double *obs_get_metric(const struct obs *o, const char *name);
const char *obs_get_fact(const struct obs *o, const char *name);
/* Deep copy. */
void obs_copy(struct obs *dst, const struct obs *src);

#endif
