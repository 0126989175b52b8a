/*
 * admin.c - login, sessions and the write API (api.h): the routes
 *
 *   GET    /api/v1/session               who is logged in, the CSRF token
 *   POST   /api/v1/login                 {"user", "password"}
 *   POST   /api/v1/logout
 *   POST   /api/v1/violations/ID/ack     {"comment"}
 *   GET    /api/v1/maintenance           config and database windows
 *   POST   /api/v1/maintenance           {"services", "start", "end", "reason"}
 *   PUT    /api/v1/maintenance/ID        the same body
 *   DELETE /api/v1/maintenance/ID
 *
 * Every write passes write_precheck before its body is read: an Origin
 * (or Sec-Fetch-Site) from elsewhere is 403, no ui.users 403, no live
 * session 401, an X-CSRF-Token that is not the session's 403, a body that
 * is not JSON 415.  Read-only views (every GET) stay open.  Logins, failed
 * logins (never the password) and every write are logged with the user;
 * whatever of a body reaches the log or the UI is free of control
 * characters (text_ok, SERVICE_CHARS).
 *
 * Not here: password hashes, sessions and throttling (auth.c), storage
 * (store_admin.c), how windows count in the SLA (maint.c, slarun.c).
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "caltime.h"
#include "log.h"
#include "xmalloc.h"

#define ADMIN_BODY_MAX (64 * 1024)
#define REASON_MAX 500           /* characters */
#define COMMENT_MAX 1000         /* characters */
#define SERVICES_MAX 100
#define SERVICE_LEN_MAX 200
/* instants accepted (epoch seconds or wall clock): 1970 to the year 2100 */
#define EPOCH_MAX INT64_C(4102444800)
/* a longer window is almost always a typo in a year, and would silently
   wipe out a service's down time for all of it */
#define WINDOW_MAX_S (366 * 86400)
/* the characters of service ids (A-Z a-z 0-9 . _ -) and of fnmatch globs */
#define SERVICE_CHARS                                                                              \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-*?[]!^"
#define MSG_DISABLED "login is disabled: ui.users is empty"

#define MSG_LOGIN "login required"
#define MSG_CSRF "missing or wrong CSRF token"
#define MSG_ORIGIN "cross-origin request refused"

static const char *const day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const struct api_ctx *
ctx_of(struct http_req *r)
{
	return http_req_ctx(r);
}

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

/* A user name as it may appear in the log: printable ASCII, at most 64
   characters, the rest as '?'. */
static void
log_name(const char *in, char out[68])
{
	size_t i;

	for (i = 0; in != NULL && in[i] != '\0' && i < 64; i++)
		out[i] = in[i] > 0x20 && in[i] < 0x7f ? in[i] : '?';
	if (in != NULL && i == 64 && in[i] != '\0')
		out[i++] = '~';
	out[i] = '\0';
}

static int
utf8_chars(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* 1 when s (valid UTF-8, as jansson guarantees) holds at most max
   characters and no control character: C0 (but '\n' and '\t' when
   lines is set), DEL, C1, the line and paragraph separators U+2028/9 and
   the bidirectional embeddings, overrides and isolates U+202A-E and
   U+2066-9.  Comments and reasons end up in the UI, in reports and
   (through whoever reads the database) in logs: a stray CR, escape
   sequence or override could forge a line or make text read backwards. */
static int
text_ok(const char *s, int max, int lines)
{
	const unsigned char *p = (const unsigned char *)s;

	if (utf8_chars(s) > max)
		return 0;
	for (; *p != '\0'; p++) {
		if (*p < 0x20 && !(lines && (*p == '\n' || *p == '\t')))
			return 0;
		if (*p == 0x7f)
			return 0;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)              /* C1 */
			return 0;
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xa8 && p[2] <= 0xae) /* U+2028-202E */
			return 0;
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) /* U+2066-2069 */
			return 0;
	}
	return 1;
}

/* ---- request checks ---- */

/* 1 when the request may come from a page of this collector: no Origin,
   or one naming the scheme and Host of the request; a browser's
   Sec-Fetch-Site, when sent, must be same-origin (or none: typed in).
   A missing Origin is let through for curl and scripts.  That opens
   nothing to other sites: a cross-site request from a browser never
   carries the SameSite=Strict cookie, and a same-site page of another
   origin (another port, a sibling host) that does get the cookie sends
   Origin with every POST, PUT and DELETE and cannot read the CSRF token,
   since no CORS header is ever sent. */
static int
origin_ok(struct http_req *r)
{
	const char *origin = http_req_header(r, "Origin");
	const char *site = http_req_header(r, "Sec-Fetch-Site");
	const char *host = http_req_header(r, "Host");
	const char *scheme = ctx_of(r)->cfg->tls_cert != NULL ? "https://" : "http://";
	size_t n = strlen(scheme);

	if (site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return 0;
	if (origin == NULL)
		return 1;
	if (host == NULL || strncasecmp(origin, scheme, n) != 0)
		return 0;
	return strcasecmp(origin + n, host) == 0;
}

/* 1 when the Content-Type is application/json (parameters allowed). */
static int
is_json(struct http_req *r)
{
	const char *ct = http_req_header(r, "Content-Type");
	size_t n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* 1 when the request carries a body. */
static int
has_body(struct http_req *r)
{
	const char *cl = http_req_header(r, "Content-Length");

	if (http_req_header(r, "Transfer-Encoding") != NULL)
		return 1;
	return cl != NULL && strspn(cl, "0") != strlen(cl);
}

/* The live session of the request's cookie whose user is still configured
   with the password hash it logged in with; its token in tok. */
static int
session_of(struct http_req *r, struct auth_session *s, char tok[AUTH_TOKEN_LEN + 1])
{
	const struct collector_config *cfg = ctx_of(r)->cfg;
	const char *t = auth_cookie_token(http_req_header(r, "Cookie"), tok);

	if (t == NULL || !auth_session_get(t, now_s(), s))
		return 0;
	for (size_t i = 0; i < cfg->nusers; i++)
		if (strcmp(cfg->users[i].name, s->user) == 0 &&
		    auth_hash_tag(cfg->users[i].password_hash) == s->hash_tag)
			return 1;
	/* the user was removed or given another password by a reload */
	auth_session_drop(t);
	return 0;
}

struct writer {
	struct auth_session s;
	char token[AUTH_TOKEN_LEN + 1];
};

static void
write_precheck(struct http_req *r, void *app)
{
	struct writer *w;

	(void)app;
	if (strcmp(http_req_method(r), "GET") == 0)
		return;
	w = xcalloc(1, sizeof(*w));
	http_req_set_data(r, w, free);
	if (!origin_ok(r)) {
		http_reply_error(r, 403, MSG_ORIGIN, NULL);
		return;
	}
	if (ctx_of(r)->cfg->nusers == 0) {
		http_reply_error(r, 403, MSG_DISABLED, NULL);
		return;
	}
	if (!session_of(r, &w->s, w->token)) {
		http_reply_error(r, 401, MSG_LOGIN, NULL);
		return;
	}
	if (!auth_token_eq(w->s.csrf, http_req_header(r, "X-CSRF-Token"))) {
		http_reply_error(r, 403, MSG_CSRF, NULL);
		return;
	}
	if (has_body(r) && !is_json(r)) {
		http_reply_error(r, 415, "Content-Type must be application/json", NULL);
		return;
	}
	http_req_set_body_max(r, ADMIN_BODY_MAX);
}

static const struct writer *
writer_of(struct http_req *r)
{
	return http_req_data(r);
}

/* The body as a JSON object, or NULL after a 400. */
static json_t *
body_object(struct http_req *r)
{
	size_t len;
	const char *b = http_req_body(r, &len);
	json_error_t e;
	json_t *j = b != NULL ? json_loadb(b, len, JSON_REJECT_DUPLICATES, &e) : NULL;

	if (j == NULL) {
		http_reply_error(r, 400, "the body must be a JSON object", "");
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_reply_error(r, 400, "the body must be a JSON object", "");
		return NULL;
	}
	return j;
}

/* 0 when every key of o is one of the NULL-terminated names; else a 400
   naming the first other key. */
static int
only_keys(struct http_req *r, json_t *o, const char *const *names)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		size_t i;
		char path[80];

		for (i = 0; names[i] != NULL && strcmp(names[i], k) != 0; i++)
			;
		if (names[i] != NULL)
			continue;
		snprintf(path, sizeof(path), "/%.60s", k);
		http_reply_error(r, 400, "unknown field", path);
		return -1;
	}
	return 0;
}

static void
store_failed(struct http_req *r, const char *what, const char *err)
{
	log_warnx("admin: %s: %s", what, err != NULL ? err : "unknown error");
	http_reply_error(r, 500, "the database could not be written", NULL);
}

/* ---- session, login, logout ---- */

static void
h_session(struct http_req *r, void *app)
{
	const struct collector_config *cfg = ctx_of(r)->cfg;
	struct auth_session s;
	char tok[AUTH_TOKEN_LEN + 1];
	int in = session_of(r, &s, tok);
	json_t *j = json_object();

	(void)app;
	json_object_set_new(j, "user", in ? json_string(s.user) : json_null());
	json_object_set_new(j, "csrf", in ? json_string(s.csrf) : json_null());
	json_object_set_new(j, "timezone",
			    json_string(cfg->timezone != NULL ? cfg->timezone : "UTC"));
	json_object_set_new(j, "login_enabled", json_boolean(cfg->nusers > 0));
	http_reply_json(r, 200, j);
}

static void
login_precheck(struct http_req *r, void *app)
{
	(void)app;
	if (!origin_ok(r)) {
		http_reply_error(r, 403, MSG_ORIGIN, NULL);
		return;
	}
	if (ctx_of(r)->cfg->nusers == 0) {
		http_reply_error(r, 403, MSG_DISABLED, NULL);
		return;
	}
	if (!is_json(r)) {
		http_reply_error(r, 415, "Content-Type must be application/json", NULL);
		return;
	}
	http_req_set_body_max(r, 8192);
}

static void
set_cookie(struct http_req *r, const char *token, int max_age)
{
	char c[160];

	snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
		 AUTH_COOKIE, token, max_age, ctx_of(r)->cfg->tls_cert != NULL ? "; Secure" : "");
	http_reply_header(r, "Set-Cookie", c);
}

static void
h_login(struct http_req *r, void *app)
{
	static const char *const keys[] = {"user", "password", NULL};
	const struct collector_config *cfg = ctx_of(r)->cfg;
	json_t *j = body_object(r), *u, *p;
	const char *user, *err = NULL, *old;
	char lname[68], token[AUTH_TOKEN_LEN + 1], csrf[AUTH_TOKEN_LEN + 1];
	char oldbuf[AUTH_TOKEN_LEN + 1];
	int64_t now = now_s(), wait;
	uint64_t tag = 0;

	(void)app;
	if (j == NULL || only_keys(r, j, keys) < 0) {
		json_decref(j);
		return;
	}
	u = json_object_get(j, "user");
	p = json_object_get(j, "password");
	if (!json_is_string(u) || json_string_length(u) == 0 ||
	    json_string_length(u) > AUTH_USER_MAX) {
		json_decref(j);
		http_reply_error(r, 400, "user must be a non-empty string", "/user");
		return;
	}
	if (!json_is_string(p) || json_string_length(p) > AUTH_PASSWORD_MAX) {
		json_decref(j);
		http_reply_error(r, 400, "password must be a string", "/password");
		return;
	}
	user = json_string_value(u);
	log_name(user, lname);
	if (auth_throttle_begin(user, now, &wait) < 0) {
		char ra[24];

		json_decref(j);
		log_warnx("login: refused for user %s: too many failed attempts (%" PRId64
			  " s left)",
			  lname, wait);
		snprintf(ra, sizeof(ra), "%" PRId64, wait > 0 ? wait : 1);
		http_reply_header(r, "Retry-After", ra);
		http_reply_error(r, 429, "too many failed logins; try again later", NULL);
		return;
	}
	if (!auth_password_ok(cfg, user, json_string_value(p))) {
		json_decref(j);
		log_warnx("login: failed for user %s", lname);
		http_reply_error(r, 401, "wrong user name or password", NULL);
		return;
	}
	auth_throttle_success(user);
	/* the session this browser had, if any, ends: a login always makes a
	   new token and never keeps one the request brought along */
	if ((old = auth_cookie_token(http_req_header(r, "Cookie"), oldbuf)) != NULL)
		auth_session_drop(old);
	for (size_t i = 0; i < cfg->nusers; i++)
		if (strcmp(cfg->users[i].name, user) == 0)
			tag = auth_hash_tag(cfg->users[i].password_hash);
	if (auth_session_new(user, tag, now, token, csrf, &err) < 0) {
		json_decref(j);
		log_warnx("login: %s", err);
		http_reply_error(r, 500, "no session could be started", NULL);
		return;
	}
	log_info("login: user %s logged in", lname);
	set_cookie(r, token, AUTH_LIFETIME_S);
	http_reply_json(r, 200, json_pack("{s:s, s:s}", "user", user, "csrf", csrf));
	explicit_bzero(token, sizeof(token));
	json_decref(j);
}

static void
h_logout(struct http_req *r, void *app)
{
	const struct writer *w = writer_of(r);

	(void)app;
	auth_session_drop(w->token);
	log_info("login: user %s logged out", w->s.user);
	set_cookie(r, "", 0);
	http_reply_json(r, 200, json_pack("{s:n}", "user"));
}

/* ---- acknowledgements ---- */

#define VIOL_PREFIX "/api/v1/violations/"

/* "ID/ack" after the prefix -> id (at most idmax - 1 bytes), or -1. */
static int
ack_path(const char *path, char *id, size_t idmax)
{
	const char *p = path + strlen(VIOL_PREFIX), *slash = strchr(p, '/');
	size_t n;

	if (slash == NULL || strcmp(slash, "/ack") != 0)
		return -1;
	n = (size_t)(slash - p);
	if (n == 0 || n >= idmax)
		return -1;
	memcpy(id, p, n);
	id[n] = '\0';
	return 0;
}

/* 1 when id is a violation store_q_violations lists, 0 when not, -1 on
   a read error. */
static int
violation_exists(struct store *st, const char *id, int64_t now, const char **error_r)
{
	json_t *all = store_q_violations(st, 0, now, SIZE_MAX, error_r), *v;
	size_t i;
	int found = 0;

	if (all == NULL)
		return -1;
	json_array_foreach(all, i, v)
		if (strcmp(json_string_value(json_object_get(v, "id")), id) == 0) {
			found = 1;
			break;
		}
	json_decref(all);
	return found;
}

static void
ack_precheck(struct http_req *r, void *app)
{
	char id[48];

	if (ack_path(http_req_path(r), id, sizeof(id)) < 0) {
		http_reply_error(r, 404, "no such resource", NULL);
		return;
	}
	write_precheck(r, app);
}

static void
h_ack(struct http_req *r, void *app)
{
	static const char *const keys[] = {"comment", NULL};
	const struct api_ctx *c = ctx_of(r);
	const struct writer *w = writer_of(r);
	const char *err = NULL, *comment;
	char id[48];
	int64_t ref, start, now = now_s();
	int found = 0;
	json_t *j, *cm;

	(void)app;
	if (ack_path(http_req_path(r), id, sizeof(id)) < 0 ||
	    store_violation_id_parse(id, &ref, &start) < 0) {
		http_reply_error(r, 404, "no such violation", NULL);
		return;
	}
	if ((j = body_object(r)) == NULL || only_keys(r, j, keys) < 0) {
		json_decref(j);
		return;
	}
	cm = json_object_get(j, "comment");
	if (!json_is_string(cm) || !text_ok(json_string_value(cm), COMMENT_MAX, 1)) {
		json_decref(j);
		http_reply_error(r, 400,
				 "comment must be a string of at most 1000 characters, with no control"
				 " characters but line breaks and tabs",
				 "/comment");
		return;
	}
	comment = json_string_value(cm);
	switch (violation_exists(c->st, id, now, &err)) {
	case -1:
		json_decref(j);
		log_warnx("admin: violations: %s", err);
		http_reply_error(r, 500, "the database could not be read", NULL);
		return;
	case 0:
		json_decref(j);
		http_reply_error(r, 404, "no such violation", NULL);
		return;
	default:
		break;
	}
	if (store_ack(c->st, id, w->s.user, comment, now, &found, &err) < 0) {
		json_decref(j);
		store_failed(r, "acknowledge", err);
		return;
	}
	if (!found) {
		json_decref(j);
		http_reply_error(r, 404, "no such violation", NULL);
		return;
	}
	log_info("admin: user %s acknowledged violation %s", w->s.user, id);
	http_reply_json(r, 200,
			json_pack("{s:s, s:{s:s, s:s, s:I}}", "id", id, "ack", "user", w->s.user,
				  "comment", comment, "at", (json_int_t)now));
	json_decref(j);
}

/* ---- maintenance windows ---- */

#define MW_PREFIX "/api/v1/maintenance/"

static json_t *
services_array(const struct strlist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static json_t *
hhmm(int min)
{
	char b[16];

	snprintf(b, sizeof(b), "%02d:%02d", (min / 60) % 100, min % 60);
	return json_string(b);
}

static json_t *
mw_config_json(const struct cc_maintenance *m, int64_t now)
{
	json_t *j = json_object();
	int active;

	json_object_set_new(j, "id", json_null());
	json_object_set_new(j, "source", json_string("config"));
	json_object_set_new(j, "services", services_array(&m->services));
	if (m->weekly) {
		json_t *w = json_object(), *days = json_array();
		struct ivset s = {0};

		for (int d = 0; d < 7; d++)
			if (m->days_mask & (1u << d))
				json_array_append_new(days, json_string(day_names[d]));
		json_object_set_new(w, "days", days);
		json_object_set_new(w, "from", hhmm(m->from_min));
		json_object_set_new(w, "to", hhmm(m->to_min));
		json_object_set_new(j, "start", json_null());
		json_object_set_new(j, "end", json_null());
		json_object_set_new(j, "weekly", w);
		calendar_weekly(m->days_mask, m->from_min, m->to_min, now, now + 1, &s);
		active = ivset_measure(&s) > 0;
		ivset_free(&s);
	} else {
		json_object_set_new(j, "start", json_integer(m->start));
		json_object_set_new(j, "end", json_integer(m->end));
		json_object_set_new(j, "weekly", json_null());
		active = m->start <= now && now < m->end;
	}
	json_object_set_new(j, "reason", json_string(m->reason != NULL ? m->reason : ""));
	json_object_set_new(j, "author", json_null());
	json_object_set_new(j, "created", json_null());
	json_object_set_new(j, "updated", json_null());
	json_object_set_new(j, "active", json_boolean(active));
	return j;
}

static json_t *
mw_db_json(const struct store_mw *m, int64_t now)
{
	json_t *j = json_object();

	json_object_set_new(j, "id", json_integer(m->id));
	json_object_set_new(j, "source", json_string("ui"));
	json_object_set_new(j, "services", services_array(&m->services));
	json_object_set_new(j, "start", json_integer(m->start));
	json_object_set_new(j, "end", json_integer(m->end));
	json_object_set_new(j, "weekly", json_null());
	json_object_set_new(j, "reason", json_string(m->reason != NULL ? m->reason : ""));
	json_object_set_new(j, "author", m->author != NULL ? json_string(m->author) : json_null());
	json_object_set_new(j, "created", json_integer(m->created));
	json_object_set_new(j, "updated", json_integer(m->updated));
	json_object_set_new(j, "active", json_boolean(m->start <= now && now < m->end));
	return j;
}

static void
h_mw_list(struct http_req *r, void *app)
{
	const struct api_ctx *c = ctx_of(r);
	struct store_mw *v = NULL;
	size_t n = 0;
	const char *err = NULL;
	int64_t now = now_s();
	json_t *a;

	(void)app;
	if (store_mw_list(c->st, 0, 0, &v, &n, &err) < 0) {
		log_warnx("admin: maintenance windows: %s", err);
		http_reply_error(r, 500, "the database could not be read", NULL);
		return;
	}
	a = json_array();
	for (size_t i = 0; i < c->cfg->nmaintenance; i++)
		json_array_append_new(a, mw_config_json(&c->cfg->maintenance[i], now));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, mw_db_json(&v[i], now));
	store_mw_free(v, n);
	http_reply_json(r, 200, json_pack("{s:o}", "windows", a));
}

/* An instant: epoch seconds, or "YYYY-MM-DD HH:MM" in the collector's
   zone. */
static int
mw_instant(json_t *v, int64_t *t_r)
{
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);

		if (x < 0 || x > EPOCH_MAX)
			return -1;
		*t_r = (int64_t)x;
		return 0;
	}
	if (json_is_string(v) && json_string_length(v) <= 32 &&
	    caltime_parse_datetime(json_string_value(v), t_r) == 0)
		return *t_r < 0 || *t_r > EPOCH_MAX ? -1 : 0;
	return -1;
}

static int
glob_like(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Fill m (services, start, end, reason) from the body j; -1 after a 400
   naming the field. */
static int
mw_parse(struct http_req *r, const struct collector_config *cfg, json_t *j, struct store_mw *m)
{
	static const char *const keys[] = {"services", "start", "end", "reason", NULL};
	json_t *sv = json_object_get(j, "services"), *x, *reason = json_object_get(j, "reason");
	size_t i;

	if (only_keys(r, j, keys) < 0)
		return -1;
	if (!json_is_array(sv) || json_array_size(sv) == 0 ||
	    json_array_size(sv) > SERVICES_MAX) {
		http_reply_error(r, 400, "services must be a list of 1 to 100 service ids or globs",
				 "/services");
		return -1;
	}
	json_array_foreach(sv, i, x) {
		const char *s = json_string_value(x);
		char path[32];

		snprintf(path, sizeof(path), "/services/%zu", i);
		if (s == NULL || *s == '\0' || strlen(s) > SERVICE_LEN_MAX ||
		    strspn(s, SERVICE_CHARS) != strlen(s) ||
		    (collector_config_service(cfg, s) == NULL && !glob_like(s))) {
			http_reply_error(r, 400, "not the id of a configured service, nor a glob",
					 path);
			return -1;
		}
		strlist_add(&m->services, s);
	}
	if (mw_instant(json_object_get(j, "start"), &m->start) < 0) {
		http_reply_error(r, 400,
				 "start must be epoch seconds or \"YYYY-MM-DD HH:MM\" (collector time zone)",
				 "/start");
		return -1;
	}
	if (mw_instant(json_object_get(j, "end"), &m->end) < 0) {
		http_reply_error(r, 400,
				 "end must be epoch seconds or \"YYYY-MM-DD HH:MM\" (collector time zone)",
				 "/end");
		return -1;
	}
	if (m->end <= m->start) {
		http_reply_error(r, 400, "end must be after start", "/end");
		return -1;
	}
	if (m->end - m->start > WINDOW_MAX_S) {
		http_reply_error(r, 400, "a window lasts at most 366 days", "/end");
		return -1;
	}
	if (reason != NULL && (!json_is_string(reason) ||
			       !text_ok(json_string_value(reason), REASON_MAX, 0))) {
		http_reply_error(r, 400,
				 "reason must be a string of at most 500 characters, with no control"
				 " characters",
				 "/reason");
		return -1;
	}
	m->reason = xstrdup(reason != NULL ? json_string_value(reason) : "");
	return 0;
}

/* The window with id as stored, as JSON, or NULL. */
static json_t *
mw_reread(struct store *st, int64_t id, const char **error_r)
{
	struct store_mw *v = NULL;
	size_t n = 0;
	json_t *j = NULL;

	if (store_mw_list(st, 0, 0, &v, &n, error_r) < 0)
		return NULL;
	for (size_t i = 0; i < n && j == NULL; i++)
		if (v[i].id == id)
			j = mw_db_json(&v[i], now_s());
	store_mw_free(v, n);
	if (j == NULL)
		*error_r = "the window was not found after writing it";
	return j;
}

/* ID after the prefix: a positive integer, or -1. */
static int64_t
mw_path_id(const char *path)
{
	const char *p = path + strlen(MW_PREFIX);
	size_t n = strspn(p, "0123456789");
	int64_t id;

	if (n == 0 || n > 15 || p[n] != '\0' || *p == '0')
		return -1;
	id = (int64_t)strtoll(p, NULL, 10);
	return id;
}

static void
mw_id_precheck(struct http_req *r, void *app)
{
	if (mw_path_id(http_req_path(r)) < 0) {
		http_reply_error(r, 404, "no such maintenance window", NULL);
		return;
	}
	write_precheck(r, app);
}

static void
log_window(const char *user, const char *verb, const struct store_mw *m)
{
	char svc[256] = "";
	size_t o = 0;

	for (size_t i = 0; i < m->services.n && o < sizeof(svc) - 1; i++)
		o += (size_t)snprintf(svc + o, sizeof(svc) - o, "%s%s", i > 0 ? "," : "",
				      m->services.v[i]);
	log_info("admin: user %s %s maintenance window %" PRId64 " (%s, %" PRId64 " - %" PRId64
		 ")",
		 user, verb, m->id, svc, m->start, m->end);
}

static void
mw_clear(struct store_mw *m)
{
	strlist_free(&m->services);
	free(m->reason);
	free(m->author);
}

/* POST /api/v1/maintenance (id 0) and PUT /api/v1/maintenance/ID. */
static void
mw_write(struct http_req *r, int64_t id)
{
	const struct api_ctx *c = ctx_of(r);
	const struct writer *w = writer_of(r);
	struct store_mw m;
	const char *err = NULL;
	json_t *j = body_object(r), *out;
	int found = 1;

	if (j == NULL)
		return;
	memset(&m, 0, sizeof(m));
	strlist_init(&m.services);
	if (mw_parse(r, c->cfg, j, &m) < 0) {
		json_decref(j);
		mw_clear(&m);
		return;
	}
	json_decref(j);
	m.id = id;
	m.author = xstrdup(w->s.user);
	if (id == 0 ? store_mw_add(c->st, &m, now_s(), &err)
		    : store_mw_update(c->st, &m, now_s(), &found, &err)) {
		store_failed(r, "maintenance window", err);
	} else if (!found) {
		http_reply_error(r, 404, "no such maintenance window", NULL);
	} else if ((out = mw_reread(c->st, m.id, &err)) == NULL) {
		store_failed(r, "maintenance window", err);
	} else {
		log_window(w->s.user, id == 0 ? "added" : "changed", &m);
		http_reply_json(r, id == 0 ? 201 : 200, out);
	}
	mw_clear(&m);
}

static void
h_mw_add(struct http_req *r, void *app)
{
	(void)app;
	if (strcmp(http_req_method(r), "POST") == 0)
		mw_write(r, 0);
	else
		h_mw_list(r, app);
}

static void
h_mw_id(struct http_req *r, void *app)
{
	const struct api_ctx *c = ctx_of(r);
	const struct writer *w = writer_of(r);
	int64_t id = mw_path_id(http_req_path(r));
	const char *err = NULL;
	int found = 0;

	(void)app;
	if (strcmp(http_req_method(r), "PUT") == 0) {
		mw_write(r, id);
		return;
	}
	if (store_mw_delete(c->st, id, &found, &err) < 0) {
		store_failed(r, "maintenance window", err);
		return;
	}
	if (!found) {
		http_reply_error(r, 404, "no such maintenance window", NULL);
		return;
	}
	log_info("admin: user %s deleted maintenance window %" PRId64, w->s.user, id);
	http_reply_json(r, 200, json_pack("{s:I}", "deleted", (json_int_t)id));
}

static const struct http_route routes[] = {
	{ "/api/v1/session", 0, HTTP_GET, NULL, h_session },
	{ "/api/v1/login", 0, HTTP_POST, login_precheck, h_login },
	{ "/api/v1/logout", 0, HTTP_POST, write_precheck, h_logout },
	{ VIOL_PREFIX, 1, HTTP_POST, ack_precheck, h_ack },
	{ "/api/v1/maintenance", 0, HTTP_GET | HTTP_POST, write_precheck, h_mw_add },
	{ MW_PREFIX, 1, HTTP_PUT | HTTP_DELETE, mw_id_precheck, h_mw_id },
};

const struct http_route *
admin_routes(size_t *n_r)
{
	*n_r = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
