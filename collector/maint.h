/*
 * maint.h - maintenance windows as the SLA engine and the notifier see
 * them: those of collector.yaml (one-off and weekly) together with those
 * entered in the web UI and kept in the database (store_mw_*).
 */
#ifndef MXSLA_MAINT_H
#define MXSLA_MAINT_H

#include <stdint.h>

#include "caltime.h"
#include "collector_config.h"
#include "store.h"

/* The database's windows that meet a period, loaded once. */
struct maint_set {
	struct store_mw *db;
	size_t ndb;
};

/* Load the database windows meeting [from, to).  A read-only store that
   predates them (or any read error) is an error. */
int maint_load(struct store *st, int64_t from, int64_t to, struct maint_set *m,
	       const char **error_r);
void maint_free(struct maint_set *m);

/* Add to out (normalised) the windows of service id that meet [from, to),
   clipped: the config's and m's (m may be NULL). */
void maint_windows(const struct collector_config *cfg, const struct maint_set *m,
		   const char *service_id, int64_t from, int64_t to, struct ivset *out);

/* 1 when service id is inside a window at instant t. */
int maint_active(const struct collector_config *cfg, const struct maint_set *m,
		 const char *service_id, int64_t t);

#endif
