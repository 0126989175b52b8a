/*
 * auth.h - who may write through the web UI: password verification
 * against crypt(3) hashes, login sessions, CSRF tokens and the throttling
 * of failed logins.  admin.c puts these behind HTTP; nothing here knows
 * about requests.
 *
 * Sessions live in memory only, in a fixed table of AUTH_SESSIONS_MAX
 * slots: a restart of the collector logs everyone out.  A session ends
 * AUTH_IDLE_S after its last use, AUTH_LIFETIME_S after the login, at
 * logout, or when the table is full and a newer login takes the slot of
 * the session used least recently.  Session and CSRF tokens are 256 bits
 * from getrandom(2), base64url without padding (43 characters); a token
 * is looked up by comparing it, in constant time, with every slot.
 *
 * Failed logins are counted per user name (known or not): after
 * AUTH_FAIL_FREE failures in a row a name is locked for 30 s, doubling
 * with every further failure up to AUTH_LOCK_MAX_S; a good password
 * clears the count, and so do AUTH_LOCK_MAX_S without failures after the
 * last failure or lock.  The counters sit in a fixed table too; when it is
 * full of locked names every unknown name is refused as well, so that
 * cycling through names cannot push a locked one out.
 *
 * Every function is thread-safe.  Strings returned are owned as stated.
 */
#ifndef MXSLA_AUTH_H
#define MXSLA_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "collector_config.h"

#define AUTH_COOKIE "mxsla_session"
#define AUTH_TOKEN_LEN 43              /* 32 bytes in base64url, no padding */
#define AUTH_SESSIONS_MAX 256
#define AUTH_IDLE_S (8 * 3600)
#define AUTH_LIFETIME_S (24 * 3600)    /* also the cookie's Max-Age */
#define AUTH_FAIL_FREE 5
#define AUTH_LOCK_MAX_S (15 * 60)
#define AUTH_USER_MAX 128              /* longer names are never valid */
#define AUTH_PASSWORD_MAX 1024

/* ---- passwords ---- */

/* 1 when user is configured and password matches its hash, else 0.  An
   unknown user, and a user whose hash libxcrypt cannot use, costs one
   hash computation all the same (against another user's hash, or a hash
   made at first use), so that the time taken does not tell them apart.
   Only hashes crypt_checksalt(3) calls CRYPT_SALT_OK are used: MD5
   ("$1$"), DES and other legacy or too cheap settings are refused like
   malformed ones ("*", "!", "").  A refused hash is logged once per user
   name, saying which kind it is. */
int auth_password_ok(const struct collector_config *cfg, const char *user, const char *password);

/* A new crypt(3) hash of password with a random salt and libxcrypt's
   strongest method ("$y$", yescrypt; the library's preferred one when
   that is not built in).  xmalloc'd, or NULL with *error_r (static). */
char *auth_hash_password(const char *password, const char **error_r);

/* ---- throttling ---- */

/* Before a password for user is tried: -1 when user is locked now, with
   the seconds to wait in *retry_after_r; else 0, and the attempt counts
   as a failure right away (so that parallel attempts cannot slip past the
   count) until auth_throttle_success takes it back. */
int auth_throttle_begin(const char *user, int64_t now, int64_t *retry_after_r);
/* The password was good: user's failure count is cleared. */
void auth_throttle_success(const char *user);

/* ---- sessions ---- */

struct auth_session {
	char user[AUTH_USER_MAX + 1];
	char csrf[AUTH_TOKEN_LEN + 1];
	uint64_t hash_tag;             /* auth_hash_tag of the hash logged in with */
};

/* A fingerprint of a password hash: a session made with one hash is not
   valid once the configured hash has changed. */
uint64_t auth_hash_tag(const char *password_hash);

/* Start a session for user: its token in token_r and CSRF token in
   csrf_r (NUL-terminated).  0, or -1 with *error_r (static) when no
   random bytes could be had. */
int auth_session_new(const char *user, uint64_t hash_tag, int64_t now,
		     char token_r[AUTH_TOKEN_LEN + 1], char csrf_r[AUTH_TOKEN_LEN + 1],
		     const char **error_r);
/* 1 and the session in *s_r (a copy) when token names a live session,
   which counts as its use at now; 0 otherwise (an expired one is
   dropped). */
int auth_session_get(const char *token, int64_t now, struct auth_session *s_r);
/* End the session of token, if any. */
void auth_session_drop(const char *token);
/* Forget every session and failure count (tests). */
void auth_reset(void);

/* ---- tokens ---- */

/* The value of cookie AUTH_COOKIE in a Cookie header, copied into buf;
   NULL when absent or not a well-formed token. */
const char *auth_cookie_token(const char *cookie_header, char buf[AUTH_TOKEN_LEN + 1]);
/* 1 when given equals the AUTH_TOKEN_LEN-character token want, compared
   in constant time; 0 otherwise (also for NULL). */
int auth_token_eq(const char *want, const char *given);

#endif
