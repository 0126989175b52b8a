/*
 * maint.c - maintenance windows from the config and the database
 * (maint.h).
 */
#include "config.h"

#include <string.h>

#include "maint.h"

int
maint_load(struct store *st, int64_t from, int64_t to, struct maint_set *m, const char **error_r)
{
	memset(m, 0, sizeof(*m));
	return store_mw_list(st, from, to, &m->db, &m->ndb, error_r);
}

void
maint_free(struct maint_set *m)
{
	store_mw_free(m->db, m->ndb);
	memset(m, 0, sizeof(*m));
}

void
maint_windows(const struct collector_config *cfg, const struct maint_set *m,
              const char *service_id, int64_t from, int64_t to, struct ivset *out)
{
	collector_config_maintenance(cfg, service_id, from, to, out);
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->ndb; i++) {
		const struct store_mw *w = &m->db[i];
		int64_t s = w->start > from ? w->start : from;
		int64_t e = w->end < to ? w->end : to;

		if (s < e && strlist_glob_match(&w->services, service_id))
			ivset_add(out, s, e);
	}
	ivset_normalize(out);
}

int
maint_active(const struct collector_config *cfg, const struct maint_set *m,
             const char *service_id, int64_t t)
{
	struct ivset s = {0};
	int active;

	maint_windows(cfg, m, service_id, t, t + 1, &s);
	active = s.n > 0;
	ivset_free(&s);
	return active;
}
