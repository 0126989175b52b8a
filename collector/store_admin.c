/*
 * store_admin.c - what people write through the web UI: maintenance
 * windows and acknowledgements of violations (store.h).  Writes run in
 * the writer thread through store_exec, reads on a reader connection
 * through store_read; every statement is prepared with its values bound.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store_int.h"
#include "xmalloc.h"

/* ---- helpers ---- */

static const char *
sqlerr(sqlite3 *db, const char *what)
{
	return store_err("%s: %s", what, sqlite3_errmsg(db));
}

static char *
services_json(const struct strlist *l)
{
	json_t *a = json_array();
	char *t;

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	t = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return t;
}

static void
services_parse(const char *text, struct strlist *l)
{
	json_t *a = text != NULL ? json_loads(text, 0, NULL) : NULL;
	size_t i;
	json_t *x;

	strlist_init(l);
	json_array_foreach(a, i, x)
		if (json_is_string(x))
			strlist_add(l, json_string_value(x));
	json_decref(a);
}

static char *
col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

/* ---- maintenance windows ---- */

struct mw_list_arg {
	int64_t from, to;
	struct store_mw *v;
	size_t n, cap;
};

static int
mw_list_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct mw_list_arg *a = arg;
	sqlite3_stmt *s;
	int rc;
	int all = a->from == 0 && a->to == 0;

	if (sqlite3_prepare_v2(db,
	                       all ? "SELECT id, services, start, \"end\", reason, author, created,"
	                             " updated FROM maintenance ORDER BY start, id"
	                           : "SELECT id, services, start, \"end\", reason, author, created,"
	                             " updated FROM maintenance WHERE \"end\" > ?1 AND start < ?2"
	                             " ORDER BY start, id",
	                       -1, &s, NULL) != SQLITE_OK) {
		*error_r = sqlerr(db, "maintenance windows");
		return -1;
	}
	if (!all) {
		sqlite3_bind_int64(s, 1, a->from);
		sqlite3_bind_int64(s, 2, a->to);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_mw *m;

		a->v = xgrow(a->v, &a->cap, a->n + 1, sizeof(*a->v));
		m = &a->v[a->n++];
		memset(m, 0, sizeof(*m));
		m->id = sqlite3_column_int64(s, 0);
		services_parse((const char *)sqlite3_column_text(s, 1), &m->services);
		m->start = sqlite3_column_int64(s, 2);
		m->end = sqlite3_column_int64(s, 3);
		m->reason = col_dup(s, 4);
		if (m->reason == NULL)
			m->reason = xstrdup("");
		m->author = col_dup(s, 5);
		m->created = sqlite3_column_int64(s, 6);
		m->updated = sqlite3_column_int64(s, 7);
	}
	if (rc != SQLITE_DONE) {
		*error_r = sqlerr(db, "maintenance windows");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

int
store_mw_list(struct store *st, int64_t from, int64_t to, struct store_mw **v_r, size_t *n_r,
              const char **error_r)
{
	struct mw_list_arg a;

	memset(&a, 0, sizeof(a));
	a.from = from;
	a.to = to;
	*v_r = NULL;
	*n_r = 0;
	if (store_read(st, mw_list_fn, &a, error_r) < 0) {
		store_mw_free(a.v, a.n);
		return -1;
	}
	*v_r = a.v;
	*n_r = a.n;
	return 0;
}

void
store_mw_free(struct store_mw *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		strlist_free(&v[i].services);
		free(v[i].reason);
		free(v[i].author);
	}
	free(v);
}

struct mw_write_arg {
	struct store_mw *m;
	int64_t now;
	int op; /* 0 add, 1 update, 2 delete */
	int64_t id;
	int found;
};

static int
mw_write_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct mw_write_arg *a = arg;
	struct store_mw *m = a->m;
	sqlite3_stmt *s;
	char *services = NULL;
	const char *sql;
	int rc;

	switch (a->op) {
	case 0:
		sql = "INSERT INTO maintenance (services, start, \"end\", reason, author, created,"
		      " updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)";
		break;
	case 1:
		sql = "UPDATE maintenance SET services = ?1, start = ?2, \"end\" = ?3, reason = ?4,"
		      " author = ?5, updated = ?6 WHERE id = ?7";
		break;
	default:
		sql = "DELETE FROM maintenance WHERE id = ?7";
		break;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		*error_r = sqlerr(db, "maintenance window");
		return -1;
	}
	if (a->op != 2) {
		services = services_json(&m->services);
		sqlite3_bind_text(s, 1, services, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, m->start);
		sqlite3_bind_int64(s, 3, m->end);
		sqlite3_bind_text(s, 4, m->reason != NULL ? m->reason : "", -1, SQLITE_TRANSIENT);
		if (m->author != NULL)
			sqlite3_bind_text(s, 5, m->author, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 6, a->now);
	}
	if (a->op != 0)
		sqlite3_bind_int64(s, 7, a->id);
	free(services);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*error_r = sqlerr(db, "maintenance window");
		return -1;
	}
	if (a->op == 0) {
		m->id = sqlite3_last_insert_rowid(db);
		a->found = 1;
	} else {
		a->found = sqlite3_changes(db) > 0;
	}
	return 0;
}

int
store_mw_add(struct store *st, struct store_mw *m, int64_t now, const char **error_r)
{
	struct mw_write_arg a = {.m = m, .now = now, .op = 0};

	if (m->end <= m->start) {
		*error_r = store_err("a maintenance window must end after it starts");
		return -1;
	}
	if (store_exec(st, mw_write_fn, &a, error_r) < 0)
		return -1;
	m->created = m->updated = now;
	return 0;
}

int
store_mw_update(struct store *st, struct store_mw *m, int64_t now, int *found_r,
                const char **error_r)
{
	struct mw_write_arg a = {.m = m, .now = now, .op = 1, .id = m->id};

	*found_r = 0;
	if (m->end <= m->start) {
		*error_r = store_err("a maintenance window must end after it starts");
		return -1;
	}
	if (store_exec(st, mw_write_fn, &a, error_r) < 0)
		return -1;
	*found_r = a.found;
	m->updated = now;
	return 0;
}

int
store_mw_delete(struct store *st, int64_t id, int *found_r, const char **error_r)
{
	struct mw_write_arg a = {.op = 2, .id = id};

	*found_r = 0;
	if (store_exec(st, mw_write_fn, &a, error_r) < 0)
		return -1;
	*found_r = a.found;
	return 0;
}

/* ---- acknowledgements ---- */

int
store_violation_id_parse(const char *id, int64_t *ref_r, int64_t *start_r)
{
	char *end;
	long long ref, start;

	if (id == NULL || *id < '0' || *id > '9')
		return -1;
	errno = 0;
	ref = strtoll(id, &end, 10);
	if (errno != 0 || *end != '-' || end[1] < '0' || end[1] > '9')
		return -1;
	start = strtoll(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*ref_r = ref;
	*start_r = start;
	return 0;
}

struct ack_arg {
	int64_t ref, start, at;
	const char *user, *comment;
	int found;
};

static int
ack_fn(sqlite3 *db, void *arg, const char **error_r)
{
	struct ack_arg *a = arg;
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM checks WHERE ref = ?1", -1, &s, NULL) != SQLITE_OK) {
		*error_r = sqlerr(db, "acknowledge");
		return -1;
	}
	sqlite3_bind_int64(s, 1, a->ref);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*error_r = sqlerr(db, "acknowledge");
		return -1;
	}
	if (rc == SQLITE_DONE)
		return 0;
	a->found = 1;
	if (sqlite3_prepare_v2(db,
	                       "INSERT OR REPLACE INTO acks (ref, start, user, comment, at)"
	                       " VALUES (?1, ?2, ?3, ?4, ?5)",
	                       -1, &s, NULL) != SQLITE_OK) {
		*error_r = sqlerr(db, "acknowledge");
		return -1;
	}
	sqlite3_bind_int64(s, 1, a->ref);
	sqlite3_bind_int64(s, 2, a->start);
	sqlite3_bind_text(s, 3, a->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, a->comment != NULL ? a->comment : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, a->at);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		*error_r = sqlerr(db, "acknowledge");
		return -1;
	}
	return 0;
}

int
store_ack(struct store *st, const char *violation_id, const char *user, const char *comment,
          int64_t at, int *found_r, const char **error_r)
{
	struct ack_arg a = {.user = user, .comment = comment, .at = at};

	*found_r = 0;
	if (store_violation_id_parse(violation_id, &a.ref, &a.start) < 0) {
		*error_r = store_err("not a violation id: %s", violation_id);
		return -1;
	}
	if (store_exec(st, ack_fn, &a, error_r) < 0)
		return -1;
	*found_r = a.found;
	return 0;
}
