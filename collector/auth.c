/*
 * auth.c - password verification, sessions, CSRF tokens and login
 * throttling (auth.h).  This module owns libxcrypt; nothing else in the
 * collector calls crypt_*.
 *
 * Not here: HTTP (cookies are parsed, never set, here), logging of
 * logins (admin.c), config loading.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "auth.h"
#include "log.h"
#include "xmalloc.h"

#define THROTTLE_SLOTS 512
#define LOCK_FIRST_S 30
#define BADHASH_MEMO 64

/* ---- tokens ---- */

int
auth_token_eq(const char *want, const char *given)
{
	unsigned char d = 0;
	size_t i;

	if (want == NULL || given == NULL || strlen(given) != AUTH_TOKEN_LEN ||
	    strlen(want) != AUTH_TOKEN_LEN)
		return 0;
	for (i = 0; i < AUTH_TOKEN_LEN; i++)
		d |= (unsigned char)(want[i] ^ given[i]);
	return d == 0;
}

static int
b64url_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* 32 random bytes as 43 base64url characters. */
static int
random_token(char out[AUTH_TOKEN_LEN + 1], const char **error_r)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char b[33];
	size_t got = 0, o = 0;

	while (got < 32) {
		ssize_t n = getrandom(b + got, 32 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*error_r = "no random bytes from getrandom(2)";
			return -1;
		}
		got += (size_t)n;
	}
	b[32] = 0;
	/* 10 groups of 3 bytes make 40 characters, the last 2 bytes 3 more */
	for (size_t i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 | b[i + 2];

		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = abc[(v >> 6) & 63];
		if (o < AUTH_TOKEN_LEN)
			out[o++] = abc[v & 63];
	}
	out[AUTH_TOKEN_LEN] = '\0';
	explicit_bzero(b, sizeof(b));
	return 0;
}

const char *
auth_cookie_token(const char *h, char buf[AUTH_TOKEN_LEN + 1])
{
	static const char name[] = AUTH_COOKIE "=";
	const char *p = h;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncmp(p, name, sizeof(name) - 1) == 0) {
			const char *v = p + sizeof(name) - 1;
			size_t n = 0;

			while (b64url_char((unsigned char)v[n]))
				n++;
			if (n != AUTH_TOKEN_LEN || (v[n] != '\0' && v[n] != ';' && v[n] != ' '))
				return NULL;
			memcpy(buf, v, AUTH_TOKEN_LEN);
			buf[AUTH_TOKEN_LEN] = '\0';
			return buf;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

/* ---- passwords ---- */

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char *dummy_hash;

static pthread_mutex_t badhash_mu = PTHREAD_MUTEX_INITIALIZER;
static char *badhash_seen[BADHASH_MEMO];

static void
dummy_make(void)
{
	char pw[AUTH_TOKEN_LEN + 1];
	const char *err = NULL;

	if (random_token(pw, &err) < 0)
		snprintf(pw, sizeof(pw), "%p", (void *)&pw);
	dummy_hash = auth_hash_password(pw, &err);
	explicit_bzero(pw, sizeof(pw));
}

/* 1 when libxcrypt can verify against h and thinks the method strong
   enough.  Legacy methods (MD5 "$1$", DES, BSDi, SHA-crypt with too few
   rounds) are refused: a leaked MD5 hash falls to a GPU in hours, and DES
   only looks at the first 8 characters of a password. */
static int
hash_usable(const char *h)
{
	return crypt_checksalt(h) == CRYPT_SALT_OK;
}

static void
badhash_log(const char *user, const char *h)
{
	int c = h != NULL ? crypt_checksalt(h) : CRYPT_SALT_INVALID;

	size_t i;

	pthread_mutex_lock(&badhash_mu);
	for (i = 0; i < BADHASH_MEMO && badhash_seen[i] != NULL; i++)
		if (strcmp(badhash_seen[i], user) == 0)
			break;
	if (i == BADHASH_MEMO || badhash_seen[i] == NULL) {
		if (c == CRYPT_SALT_METHOD_LEGACY || c == CRYPT_SALT_TOO_CHEAP)
			log_warnx("login: the password_hash of user %s uses a weak method"
				  " (MD5, DES or too few rounds); that user cannot log in until it"
				  " is replaced by one from mxsla-collector hash-password",
				  user);
		else
			log_warnx("login: the password_hash of user %s is not a hash this"
				  " system's crypt(3) supports; that user cannot log in",
				  user);
		if (i < BADHASH_MEMO)
			badhash_seen[i] = xstrdup(user);
	}
	pthread_mutex_unlock(&badhash_mu);
}

/* crypt_rn(password, setting) == setting, in constant time. */
static int
crypt_matches(const char *password, const char *setting)
{
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *out = crypt_rn(password, setting, cd, (int)sizeof(*cd));
	size_t n = strlen(setting);
	unsigned char d = 0;
	int ok = 0;

	/* failures come back as NULL or as "*0"/"*1" */
	if (out != NULL && out[0] != '*' && strlen(out) == n) {
		for (size_t i = 0; i < n; i++)
			d |= (unsigned char)(out[i] ^ setting[i]);
		ok = d == 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

int
auth_password_ok(const struct collector_config *cfg, const char *user, const char *password)
{
	const struct cc_user *u = NULL;
	const char *decoy = NULL;
	int ok;

	pthread_once(&dummy_once, dummy_make);
	for (size_t i = 0; i < cfg->nusers; i++) {
		const char *h = cfg->users[i].password_hash;

		if (user != NULL && strcmp(cfg->users[i].name, user) == 0)
			u = &cfg->users[i];
		else if (decoy == NULL && h != NULL && hash_usable(h))
			decoy = h;
	}
	if (decoy == NULL)
		decoy = dummy_hash;
	if (password == NULL || strlen(password) > AUTH_PASSWORD_MAX)
		password = "";
	if (u != NULL && u->password_hash != NULL && hash_usable(u->password_hash))
		return crypt_matches(password, u->password_hash);
	if (u != NULL)
		badhash_log(u->name, u->password_hash);
	/* the same work as for a real user, with the answer thrown away */
	ok = decoy != NULL && crypt_matches(password, decoy);
	(void)ok;
	return 0;
}

char *
auth_hash_password(const char *password, const char **error_r)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *out;
	char *h = NULL;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, (int)sizeof(setting)) == NULL &&
	    crypt_gensalt_rn(NULL, 0, NULL, 0, setting, (int)sizeof(setting)) == NULL) {
		*error_r = "crypt_gensalt could not make a salt";
		return NULL;
	}
	cd = xcalloc(1, sizeof(*cd));
	out = crypt_rn(password, setting, cd, (int)sizeof(*cd));
	if (out == NULL || out[0] == '*')
		*error_r = "crypt could not hash the password";
	else
		h = xstrdup(out);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return h;
}

/* ---- throttling ---- */

struct fails {
	char name[AUTH_USER_MAX + 1];
	int used;
	int count;
	int64_t last, locked_until;
};

static pthread_mutex_t thr_mu = PTHREAD_MUTEX_INITIALIZER;
static struct fails thr[THROTTLE_SLOTS];

/* A count is forgotten after AUTH_LOCK_MAX_S of quiet: no failure and no
   lock. */
static int
fails_stale(const struct fails *f, int64_t now)
{
	int64_t quiet = f->last > f->locked_until ? f->last : f->locked_until;

	return !f->used || quiet + AUTH_LOCK_MAX_S <= now;
}

static struct fails *
fails_find(const char *user)
{
	for (size_t i = 0; i < THROTTLE_SLOTS; i++)
		if (thr[i].used && strcmp(thr[i].name, user) == 0)
			return &thr[i];
	return NULL;
}

int
auth_throttle_begin(const char *user, int64_t now, int64_t *retry_after_r)
{
	struct fails *f;
	int rc = 0;

	if (user == NULL)
		user = "";
	if (strlen(user) > AUTH_USER_MAX)
		user = "(too long)";
	pthread_mutex_lock(&thr_mu);
	f = fails_find(user);
	if (f != NULL && fails_stale(f, now))
		f->count = 0;
	if (f == NULL) {
		/* a free or forgotten slot, else the unlocked one idle longest */
		struct fails *best = NULL;
		int64_t soonest = INT64_MAX;

		for (size_t i = 0; i < THROTTLE_SLOTS; i++) {
			struct fails *x = &thr[i];

			if (fails_stale(x, now)) {
				best = x;
				break;
			}
			if (x->locked_until <= now && (best == NULL || x->last < best->last))
				best = x;
			if (x->locked_until > now && x->locked_until < soonest)
				soonest = x->locked_until;
		}
		if (best == NULL) {
			*retry_after_r = soonest - now;
			rc = -1;
			goto out;
		}
		f = best;
		memset(f, 0, sizeof(*f));
		f->used = 1;
		snprintf(f->name, sizeof(f->name), "%s", user);
	}
	if (f->locked_until > now) {
		*retry_after_r = f->locked_until - now;
		rc = -1;
		goto out;
	}
	f->count++;
	f->last = now;
	if (f->count >= AUTH_FAIL_FREE) {
		int64_t lock = LOCK_FIRST_S;

		for (int k = AUTH_FAIL_FREE; k < f->count && lock < AUTH_LOCK_MAX_S; k++)
			lock *= 2;
		f->locked_until = now + (lock < AUTH_LOCK_MAX_S ? lock : AUTH_LOCK_MAX_S);
	}
out:
	pthread_mutex_unlock(&thr_mu);
	return rc;
}

void
auth_throttle_success(const char *user)
{
	struct fails *f;

	pthread_mutex_lock(&thr_mu);
	if (user != NULL && (f = fails_find(user)) != NULL)
		memset(f, 0, sizeof(*f));
	pthread_mutex_unlock(&thr_mu);
}

/* ---- sessions ---- */

struct slot {
	int used;
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_session s;
	int64_t created, last;
};

static pthread_mutex_t ses_mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot ses[AUTH_SESSIONS_MAX];

uint64_t
auth_hash_tag(const char *h)
{
	uint64_t v = UINT64_C(14695981039346656037);

	for (; h != NULL && *h != '\0'; h++)
		v = (v ^ (unsigned char)*h) * UINT64_C(1099511628211);
	return v;
}

static int
slot_live(const struct slot *x, int64_t now)
{
	return x->used && now < x->last + AUTH_IDLE_S && now < x->created + AUTH_LIFETIME_S;
}

int
auth_session_new(const char *user, uint64_t hash_tag, int64_t now,
		 char token_r[AUTH_TOKEN_LEN + 1], char csrf_r[AUTH_TOKEN_LEN + 1],
		 const char **error_r)
{
	struct slot *best = NULL;

	if (random_token(token_r, error_r) < 0 || random_token(csrf_r, error_r) < 0)
		return -1;
	pthread_mutex_lock(&ses_mu);
	for (size_t i = 0; i < AUTH_SESSIONS_MAX; i++) {
		struct slot *x = &ses[i];

		if (!slot_live(x, now)) {
			best = x;
			break;
		}
		if (best == NULL || x->last < best->last)
			best = x;
	}
	memset(best, 0, sizeof(*best));
	best->used = 1;
	memcpy(best->token, token_r, AUTH_TOKEN_LEN + 1);
	memcpy(best->s.csrf, csrf_r, AUTH_TOKEN_LEN + 1);
	snprintf(best->s.user, sizeof(best->s.user), "%s", user);
	best->s.hash_tag = hash_tag;
	best->created = best->last = now;
	pthread_mutex_unlock(&ses_mu);
	return 0;
}

/* The slot of token, or NULL; every slot is compared. */
static struct slot *
slot_find(const char *token)
{
	struct slot *hit = NULL;

	for (size_t i = 0; i < AUTH_SESSIONS_MAX; i++)
		if (auth_token_eq(ses[i].token, token) & ses[i].used)
			hit = &ses[i];
	return hit;
}

int
auth_session_get(const char *token, int64_t now, struct auth_session *s_r)
{
	struct slot *x;
	int found = 0;

	if (token == NULL)
		return 0;
	pthread_mutex_lock(&ses_mu);
	if ((x = slot_find(token)) != NULL) {
		if (slot_live(x, now)) {
			x->last = now;
			*s_r = x->s;
			found = 1;
		} else {
			memset(x, 0, sizeof(*x));
		}
	}
	pthread_mutex_unlock(&ses_mu);
	return found;
}

void
auth_session_drop(const char *token)
{
	struct slot *x;

	if (token == NULL)
		return;
	pthread_mutex_lock(&ses_mu);
	if ((x = slot_find(token)) != NULL)
		memset(x, 0, sizeof(*x));
	pthread_mutex_unlock(&ses_mu);
}

void
auth_reset(void)
{
	pthread_mutex_lock(&ses_mu);
	memset(ses, 0, sizeof(ses));
	pthread_mutex_unlock(&ses_mu);
	pthread_mutex_lock(&thr_mu);
	memset(thr, 0, sizeof(thr));
	pthread_mutex_unlock(&thr_mu);
}
