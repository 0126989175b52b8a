/*
 * store_query.c - the JSON documents the API serves from the store
 * (agents, checks, violations, findings, history; shapes in store.h).
 *
 * Each query runs on a pooled read-only connection inside one read
 * transaction, so it sees one committed moment and never waits for the
 * writer.  checks and runs are written behind: what they do not reflect
 * yet, the tail of raw rows, is folded on top here (store_int.h).
 * Stored JSON texts (roles, metrics, references) are parsed back into
 * JSON values; a text that does not parse becomes null.  Violations carry
 * their acknowledgement (table acks, written by store_admin.c) or null.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "jbuf.h"
#include "store_int.h"
#include "xmalloc.h"

static json_t *
col_json_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? json_string((const char *)t) : json_null();
}

static json_t *
col_json_parsed(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	json_t *j;

	if (t == NULL)
		return json_null();
	j = json_loads(t, JSON_DECODE_ANY, NULL);
	return j != NULL ? j : json_null();
}

static json_t *
col_json_int(sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return json_null();
	return json_integer(sqlite3_column_int64(s, i));
}

/* A reader inside a read transaction, or NULL. */
static struct store_reader *
begin_read(struct store *st, const char **error_r)
{
	struct store_reader *r = store_reader_get(st, error_r);

	if (r != NULL && sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		*error_r = store_err("%s", sqlite3_errmsg(r->db));
		store_reader_put(st, r);
		return NULL;
	}
	return r;
}

/* store_reader_put ends the read transaction. */
static void
end_read(struct store *st, struct store_reader *r)
{
	store_reader_put(st, r);
}

static json_t *
fail_read(struct store *st, struct store_reader *r, json_t *doc, const char *what,
          const char **error_r)
{
	*error_r = store_err("%s: %s", what, sqlite3_errmsg(r->db));
	end_read(st, r);
	json_decref(doc);
	return NULL;
}

json_t *
store_q_agents(struct store *st, int64_t now, const char **error_r)
{
	struct store_reader *r = begin_read(st, error_r);
	json_t *doc = json_array();
	sqlite3_stmt *s;
	int mult, rc;
	int64_t fixed;

	if (r == NULL) {
		json_decref(doc);
		return NULL;
	}
	store_stale_rule(st, &mult, &fixed);
	if ((s = store_reader_stmt(r, RQ_Q_AGENTS, error_r)) == NULL) {
		end_read(st, r);
		json_decref(doc);
		return NULL;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seen = sqlite3_column_int64(s, 4);
		/* an agent that never sent a result is judged by a 60 s interval */
		int64_t ival =
		    sqlite3_column_type(s, 6) == SQLITE_NULL ? 60 : sqlite3_column_int64(s, 6);
		int silent = now >= seen + store_stale_with(mult, fixed, ival);
		json_t *a = json_object();

		json_object_set_new(a, "id", col_json_text(s, 0));
		json_object_set_new(a, "site", col_json_text(s, 1));
		json_object_set_new(a, "roles", col_json_parsed(s, 2));
		json_object_set_new(a, "first_seen", col_json_int(s, 3));
		json_object_set_new(a, "last_seen", col_json_int(s, 4));
		json_object_set_new(a, "state", json_string(silent ? "silent" : "up"));
		json_object_set_new(a, "results_stored", col_json_int(s, 5));
		json_object_set_new(a, "checks", col_json_int(s, 7));
		json_array_append_new(doc, a);
	}
	if (rc != SQLITE_DONE)
		return fail_read(st, r, doc, "agents", error_r);
	end_read(st, r);
	return doc;
}

/* One row of the checks query as it is now: what both the JSON tree and
   the text writer print. */
struct check_now {
	sqlite3_stmt *s, *s2;   /* the row; s2: the tail row when newer */
	int64_t interval, ts;
	int has_ts, now_status, last, has_since;
	int64_t since;
};

static void
check_tree(json_t *doc, const struct check_now *x)
{
	sqlite3_stmt *s = x->s, *s2 = x->s2;
	json_t *c = json_object();

	json_object_set_new(c, "agent", col_json_text(s, 0));
	json_object_set_new(c, "check", col_json_text(s, 1));
	json_object_set_new(c, "rule", col_json_text(s, 2));
	json_object_set_new(c, "target", col_json_text(s, 3));
	json_object_set_new(c, "kind", col_json_text(s, 4));
	json_object_set_new(c, "title", col_json_text(s, 5));
	json_object_set_new(c, "interval", json_integer(x->interval));
	json_object_set_new(c, "ts", x->has_ts ? json_integer(x->ts) : json_null());
	json_object_set_new(c, "status", json_string(status_name(x->now_status)));
	json_object_set_new(c, "last_status",
	                    x->has_ts ? json_string(status_name(x->last)) : json_null());
	json_object_set_new(c, "message", s2 != NULL ? col_json_text(s2, 0) : col_json_text(s, 9));
	json_object_set_new(c, "metrics",
	                    s2 != NULL ? col_json_parsed(s2, 1) : col_json_parsed(s, 10));
	json_object_set_new(c, "since", x->has_since ? json_integer(x->since) : json_null());
	json_array_append_new(doc, c);
}

/* The same object as check_tree, as text.  metrics are stored as the
   compact JSON text the ingest validated, so they are copied as they are. */
#define JRAW(b, lit) jbuf_raw((b), lit, sizeof(lit) - 1)
static void
check_text(struct jbuf *b, const struct check_now *x, int first)
{
	static const char *const keys[] = { "{\"agent\":", ",\"check\":", ",\"rule\":",
	                                    ",\"target\":", ",\"kind\":", ",\"title\":" };
	sqlite3_stmt *s = x->s, *s2 = x->s2;
	const char *metrics;

	if (!first)
		JRAW(b, ",");
	for (int i = 0; i < 6; i++) {
		jbuf_cstr(b, keys[i]);
		jbuf_str(b, (const char *)sqlite3_column_text(s, i));
	}
	JRAW(b, ",\"interval\":");
	jbuf_int(b, x->interval);
	JRAW(b, ",\"ts\":");
	if (x->has_ts)
		jbuf_int(b, x->ts);
	else
		jbuf_null(b);
	JRAW(b, ",\"status\":");
	jbuf_str(b, status_name(x->now_status));
	JRAW(b, ",\"last_status\":");
	jbuf_str(b, x->has_ts ? status_name(x->last) : NULL);
	JRAW(b, ",\"message\":");
	jbuf_str(b, (const char *)(s2 != NULL ? sqlite3_column_text(s2, 0)
	                                      : sqlite3_column_text(s, 9)));
	JRAW(b, ",\"metrics\":");
	metrics = (const char *)(s2 != NULL ? sqlite3_column_text(s2, 1) : sqlite3_column_text(s, 10));
	if (metrics != NULL && *metrics != '\0')
		jbuf_cstr(b, metrics);
	else
		jbuf_null(b);
	JRAW(b, ",\"since\":");
	if (x->has_since)
		jbuf_int(b, x->since);
	else
		jbuf_null(b);
	JRAW(b, "}");
}
#undef JRAW

/* The same row for a store_scan_checks callback. */
static void
check_call(store_check_fn fn, void *arg, const struct check_now *x)
{
	sqlite3_stmt *s = x->s, *s2 = x->s2;
	struct store_check_now c;

	c.agent = (const char *)sqlite3_column_text(s, 0);
	c.check = (const char *)sqlite3_column_text(s, 1);
	c.message = (const char *)(s2 != NULL ? sqlite3_column_text(s2, 0)
	                                      : sqlite3_column_text(s, 9));
	c.interval = x->interval;
	c.status = x->now_status;
	c.has_ts = x->has_ts;
	c.ts = x->ts;
	c.has_since = x->has_since;
	c.since = x->since;
	fn(arg, &c);
}

/* Where q_checks puts each row: a JSON array, text, or a callback. */
struct q_out {
	json_t *doc;
	struct jbuf *b;
	store_check_fn fn;
	void *arg;
};

/* The checks query, into out. */
static int
q_checks(struct store *st, const char *agent, const char *status, int64_t now,
         const struct q_out *out, const char **error_r)
{
	struct store_reader *r;
	struct store_tail_row *t = NULL;
	size_t nt = 0, nout = 0;
	sqlite3_stmt *s;
	int mult, rc, want = -1;
	int64_t fixed;

	if (status != NULL && (want = status_parse(status)) < 0) {
		*error_r = store_err("unknown status \"%s\"", status);
		return -1;
	}
	if ((r = begin_read(st, error_r)) == NULL)
		return -1;
	store_stale_rule(st, &mult, &fixed);
	if (store_tail_load(r, -1, &t, &nt, error_r) < 0 ||
	    (s = store_reader_stmt(r, RQ_Q_CHECKS, error_r)) == NULL) {
		free(t);
		end_read(st, r);
		return -1;
	}
	if (agent != NULL)
		sqlite3_bind_text(s, 1, agent, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct check_now x;
		int has_run = sqlite3_column_type(s, 11) != SQLITE_NULL;
		struct store_run run = {sqlite3_column_int64(s, 11), sqlite3_column_int64(s, 14),
		                        sqlite3_column_int64(s, 12),
		                        has_run ? sqlite3_column_int(s, 15) : -1};
		size_t lo, hi;

		memset(&x, 0, sizeof(x));
		x.s = s;
		x.interval = sqlite3_column_int64(s, 6);
		x.has_ts = sqlite3_column_type(s, 7) != SQLITE_NULL;
		x.ts = sqlite3_column_int64(s, 7);
		x.last = x.has_ts ? sqlite3_column_int(s, 8) : MX_NODATA;
		store_tail_range(t, nt, sqlite3_column_int64(s, 13), &lo, &hi);
		if (lo < hi) {
			/* newer than checks and runs: the tail's latest row */
			store_tail_fold(mult, fixed, t + lo, hi - lo, &run, NULL, NULL, NULL);
			has_run = x.has_ts = 1;
			x.ts = t[hi - 1].ts;
			x.last = t[hi - 1].status;
			if ((x.s2 = store_reader_stmt(r, RQ_TAIL_ROW, error_r)) == NULL) {
				free(t);
				end_read(st, r);
				return -1;
			}
			sqlite3_bind_int64(x.s2, 1, t[hi - 1].id);
			if (sqlite3_step(x.s2) != SQLITE_ROW) {
				rc = SQLITE_ERROR;
				break;
			}
		}
		x.now_status = x.has_ts && now < x.ts + store_stale_with(mult, fixed, x.interval)
		                   ? x.last
		                   : MX_NODATA;
		if (want >= 0 && x.now_status != want)
			continue;
		/* since: the start of the current run, or when it went stale */
		x.has_since = has_run;
		if (x.now_status == MX_NODATA)
			x.since = x.has_ts ? x.ts + store_stale_with(mult, fixed, x.interval) : run.until;
		else
			x.since = run.start;
		if (out->doc != NULL)
			check_tree(out->doc, &x);
		else if (out->b != NULL)
			check_text(out->b, &x, nout == 0);
		else
			check_call(out->fn, out->arg, &x);
		nout++;
	}
	free(t);
	if (rc != SQLITE_DONE) {
		*error_r = store_err("checks: %s", sqlite3_errmsg(r->db));
		end_read(st, r);
		return -1;
	}
	end_read(st, r);
	return 0;
}

json_t *
store_q_checks(struct store *st, const char *agent, const char *status, int64_t now,
               const char **error_r)
{
	json_t *doc = json_array();
	struct q_out out = {.doc = doc};

	if (q_checks(st, agent, status, now, &out, error_r) < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int
store_q_checks_text(struct store *st, const char *agent, const char *status, int64_t now,
                    char **text_r, size_t *len_r, const char **error_r)
{
	struct jbuf b;
	struct q_out out = {.b = &b};

	jbuf_init(&b);
	jbuf_raw(&b, "[", 1);
	if (q_checks(st, agent, status, now, &out, error_r) < 0) {
		jbuf_free(&b);
		return -1;
	}
	jbuf_raw(&b, "]\n", 2);
	*text_r = jbuf_take(&b, len_r);
	return 0;
}

int
store_scan_checks(struct store *st, int64_t now, store_check_fn fn, void *arg,
                  const char **error_r)
{
	struct q_out out = {.fn = fn, .arg = arg};

	return q_checks(st, NULL, NULL, now, &out, error_r);
}

/* ---- violations ---- */

struct viol {
	int64_t ref, start, end, until, last;
	int severity, status, open;
	char *agent, *check, *rule, *target, *title;
};

/* critical > warning > unknown, as the agent's reports sort them */
static int
sev_rank(int status)
{
	switch (status) {
	case MX_CRITICAL:
		return 3;
	case MX_WARNING:
		return 2;
	case MX_UNKNOWN:
		return 1;
	default:
		return 0;
	}
}

static int
viol_cmp(const void *a, const void *b)
{
	const struct viol *x = a, *y = b;

	if (x->start != y->start)
		return x->start > y->start ? -1 : 1;
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

static char *
dup0(const unsigned char *t)
{
	return t != NULL ? xstrdup((const char *)t) : NULL;
}

static void
viol_free(struct viol *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].agent);
		free(v[i].check);
		free(v[i].rule);
		free(v[i].target);
		free(v[i].title);
	}
	free(v);
}

static json_t *
jstr0(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The check's identity, as violations carry it. */
struct vcheck {
	int64_t ref;
	char *agent, *check, *rule, *target, *title;
};

static void
vcheck_free(struct vcheck *c)
{
	free(c->agent);
	free(c->check);
	free(c->rule);
	free(c->target);
	free(c->title);
	memset(c, 0, sizeof(*c));
	c->ref = -1;
}

/* Append the violations of one check, from its runs ordered by start.  A
   violation is a stretch of non-ok runs with no gap between them; it ends
   at the next ok run or where the state went stale. */
static void
viol_check(struct viol **v, size_t *n, size_t *cap, const struct vcheck *c,
           const struct store_run *runs, size_t nr, int64_t now)
{
	struct viol *cur = NULL;
	int64_t prev_until = nr > 0 ? runs[0].start : 0;
	int prev_status = MX_OK;

	for (size_t i = 0; i < nr; i++) {
		const struct store_run *x = &runs[i];

		if (x->status != MX_OK) {
			if (cur != NULL && prev_status != MX_OK && prev_until >= x->start) {
				cur->status = x->status;
				if (sev_rank(x->status) > sev_rank(cur->severity))
					cur->severity = x->status;
				cur->last = x->last;
				cur->until = x->until;
			} else {
				if (cur != NULL)
					cur->end = prev_until < x->start ? prev_until : x->start;
				*v = xgrow(*v, cap, *n + 1, sizeof(**v));
				cur = &(*v)[(*n)++];
				memset(cur, 0, sizeof(*cur));
				cur->ref = c->ref;
				cur->start = x->start;
				cur->last = x->last;
				cur->until = x->until;
				cur->severity = cur->status = x->status;
				cur->agent = c->agent != NULL ? xstrdup(c->agent) : NULL;
				cur->check = c->check != NULL ? xstrdup(c->check) : NULL;
				cur->rule = c->rule != NULL ? xstrdup(c->rule) : NULL;
				cur->target = c->target != NULL ? xstrdup(c->target) : NULL;
				cur->title = c->title != NULL ? xstrdup(c->title) : NULL;
			}
		} else if (cur != NULL) {
			cur->end = prev_until < x->start ? prev_until : x->start;
			cur = NULL;
		}
		prev_status = x->status;
		prev_until = x->until;
	}
	if (cur != NULL) {
		/* the check's last violation: open while not stale */
		cur->open = now < cur->until;
		cur->end = cur->until;
	}
}

json_t *
store_q_violations(struct store *st, int open_only, int64_t now, size_t limit, const char **error_r)
{
	struct store_reader *r;
	struct viol *v = NULL;
	struct store_run *runs = NULL;
	struct store_tail_row *t = NULL;
	struct vcheck c = {-1, NULL, NULL, NULL, NULL, NULL};
	size_t n = 0, cap = 0, nr = 0, cr = 0, nt = 0;
	sqlite3_stmt *s, *sa = NULL;
	json_t *doc;
	int mult, rc;
	int64_t fixed;

	if ((r = begin_read(st, error_r)) == NULL)
		return NULL;
	doc = json_array();
	store_stale_rule(st, &mult, &fixed);
	if (store_tail_load(r, -1, &t, &nt, error_r) < 0 ||
	    (s = store_reader_stmt(r, RQ_Q_VIOLATION_RUNS, error_r)) == NULL) {
		free(t);
		end_read(st, r);
		json_decref(doc);
		return NULL;
	}
	/* Rows come ordered by check, then start; a check's runs are
	   gathered, completed with the tail, then scanned. */
	for (;;) {
		int64_t rref = 0;
		int more;

		rc = sqlite3_step(s);
		more = rc == SQLITE_ROW;
		if (!more && rc != SQLITE_DONE) {
			vcheck_free(&c);
			free(runs);
			free(t);
			viol_free(v, n);
			return fail_read(st, r, doc, "violations", error_r);
		}
		if (more)
			rref = sqlite3_column_int64(s, 0);
		if (c.ref >= 0 && (!more || rref != c.ref)) {
			size_t lo, hi;

			store_tail_range(t, nt, c.ref, &lo, &hi);
			if (lo < hi) {
				struct store_run last = {0, 0, 0, -1};

				if (nr > 0)
					last = runs[--nr];
				store_tail_fold(mult, fixed, t + lo, hi - lo, &last, &runs, &nr,
				                &cr);
				runs = xgrow(runs, &cr, nr + 1, sizeof(*runs));
				runs[nr++] = last;
			}
			viol_check(&v, &n, &cap, &c, runs, nr, now);
			vcheck_free(&c);
			nr = 0;
		}
		if (!more)
			break;
		if (rref != c.ref) {
			c.ref = rref;
			c.agent = dup0(sqlite3_column_text(s, 1));
			c.check = dup0(sqlite3_column_text(s, 2));
			c.rule = dup0(sqlite3_column_text(s, 3));
			c.target = dup0(sqlite3_column_text(s, 4));
			c.title = dup0(sqlite3_column_text(s, 5));
		}
		if (sqlite3_column_type(s, 6) != SQLITE_NULL) {
			runs = xgrow(runs, &cr, nr + 1, sizeof(*runs));
			runs[nr].start = sqlite3_column_int64(s, 6);
			runs[nr].last = sqlite3_column_int64(s, 7);
			runs[nr].until = sqlite3_column_int64(s, 8);
			runs[nr].status = sqlite3_column_int(s, 9);
			nr++;
		}
	}
	free(runs);
	free(t);

	qsort(v, n, sizeof(*v), viol_cmp);
	/* acknowledgements: one statement for the whole list */
	if (sqlite3_prepare_v2(r->db, "SELECT user, comment, at FROM acks WHERE ref = ?1 AND start = ?2",
			       -1, &sa, NULL) != SQLITE_OK) {
		viol_free(v, n);
		return fail_read(st, r, doc, "acknowledgements", error_r);
	}
	for (size_t i = 0, out = 0; i < n && out < limit; i++) {
		struct viol *x = &v[i];
		json_t *j;
		char id[48];

		if (open_only && !x->open)
			continue;
		out++;
		s = store_reader_stmt(r, RQ_Q_LAST_MESSAGE, error_r);
		if (s == NULL) {
			sqlite3_finalize(sa);
			viol_free(v, n);
			end_read(st, r);
			json_decref(doc);
			return NULL;
		}
		sqlite3_bind_int64(s, 1, x->ref);
		sqlite3_bind_int64(s, 2, x->last);
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			sqlite3_finalize(sa);
			viol_free(v, n);
			return fail_read(st, r, doc, "violations", error_r);
		}
		snprintf(id, sizeof(id), "%lld-%lld", (long long)x->ref, (long long)x->start);
		j = json_object();
		json_object_set_new(j, "id", json_string(id));
		json_object_set_new(j, "agent", jstr0(x->agent));
		json_object_set_new(j, "check", jstr0(x->check));
		json_object_set_new(j, "rule", jstr0(x->rule));
		json_object_set_new(j, "target", jstr0(x->target));
		json_object_set_new(j, "title", jstr0(x->title));
		json_object_set_new(j, "severity", json_string(status_name(x->severity)));
		json_object_set_new(j, "status", json_string(status_name(x->status)));
		json_object_set_new(j, "start", json_integer(x->start));
		json_object_set_new(j, "end", x->open ? json_null() : json_integer(x->end));
		json_object_set_new(j, "open", json_boolean(x->open));
		json_object_set_new(j, "duration_s",
		                    json_integer((x->open ? now : x->end) - x->start));
		json_object_set_new(j, "message",
		                    rc == SQLITE_ROW ? col_json_text(s, 0) : json_null());
		sqlite3_reset(sa);
		sqlite3_bind_int64(sa, 1, x->ref);
		sqlite3_bind_int64(sa, 2, x->start);
		rc = sqlite3_step(sa);
		if (rc == SQLITE_ROW) {
			json_t *a = json_object();

			json_object_set_new(a, "user", col_json_text(sa, 0));
			json_object_set_new(a, "comment", col_json_text(sa, 1));
			json_object_set_new(a, "at", col_json_int(sa, 2));
			json_object_set_new(j, "ack", a);
		} else if (rc == SQLITE_DONE) {
			json_object_set_new(j, "ack", json_null());
		} else {
			json_decref(j);
			sqlite3_finalize(sa);
			viol_free(v, n);
			return fail_read(st, r, doc, "acknowledgements", error_r);
		}
		json_array_append_new(doc, j);
	}
	sqlite3_finalize(sa);
	viol_free(v, n);
	end_read(st, r);
	return doc;
}

json_t *
store_q_findings(struct store *st, int64_t now, const char **error_r)
{
	struct store_reader *r;
	sqlite3_stmt *s;
	json_t *doc;
	int rc;

	(void)now; /* a finding stays until a newer result clears it */
	if ((r = begin_read(st, error_r)) == NULL)
		return NULL;
	doc = json_array();
	if ((s = store_reader_stmt(r, RQ_Q_FINDINGS, error_r)) == NULL) {
		end_read(st, r);
		json_decref(doc);
		return NULL;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *f = json_object();

		json_object_set_new(f, "agent", col_json_text(s, 0));
		json_object_set_new(f, "site", col_json_text(s, 1));
		json_object_set_new(f, "check", col_json_text(s, 2));
		json_object_set_new(f, "rule", col_json_text(s, 3));
		json_object_set_new(f, "target", col_json_text(s, 4));
		json_object_set_new(f, "title", col_json_text(s, 5));
		json_object_set_new(f, "status",
		                    json_string(status_name(sqlite3_column_int(s, 6))));
		json_object_set_new(f, "message", col_json_text(s, 7));
		json_object_set_new(f, "advice", col_json_text(s, 8));
		json_object_set_new(f, "references", col_json_parsed(s, 9));
		json_object_set_new(f, "ts", col_json_int(s, 10));
		json_array_append_new(doc, f);
	}
	if (rc != SQLITE_DONE)
		return fail_read(st, r, doc, "findings", error_r);
	end_read(st, r);
	return doc;
}

json_t *
store_q_history(struct store *st, const char *agent, const char *check, int64_t from, int64_t to,
                size_t limit, const char **error_r)
{
	struct store_reader *r;
	sqlite3_stmt *s;
	json_t *doc;
	int rc;

	if ((r = begin_read(st, error_r)) == NULL)
		return NULL;
	doc = json_array();
	if ((s = store_reader_stmt(r, RQ_Q_HISTORY, error_r)) == NULL) {
		end_read(st, r);
		json_decref(doc);
		return NULL;
	}
	sqlite3_bind_text(s, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, check, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, from);
	sqlite3_bind_int64(s, 4, to);
	sqlite3_bind_int64(s, 5, limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *h = json_object();

		json_object_set_new(h, "ts", col_json_int(s, 0));
		json_object_set_new(h, "status",
		                    json_string(status_name(sqlite3_column_int(s, 1))));
		json_object_set_new(h, "message", col_json_text(s, 2));
		json_object_set_new(h, "metrics", col_json_parsed(s, 3));
		json_array_append_new(doc, h);
	}
	if (rc != SQLITE_DONE)
		return fail_read(st, r, doc, "history", error_r);
	end_read(st, r);
	return doc;
}
