/*
 * test-auth.c - auth.c: password verification against crypt(3) hashes of
 * each method libxcrypt offers ($y$, $6$, $2b$, fixtures made by openssl
 * passwd and libxcrypt), refusal of hashes it cannot use and of unknown
 * users, hash-password's hashes, token comparison and cookie parsing,
 * session expiry (idle and absolute), eviction from a full table, and
 * the throttling of failed logins with its exact lock times.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"
#include "collector_config.h"

/* openssl passwd -6 -salt saltsalt 'correct horse' */
#define H_SHA512 "$6$saltsalt$hRM5XZ86KXEw9UOmjigeVqFgULtFB2sgpC9lXQDfMib3Zgw7mEiUvBJI2EplzfAqxL5Vvwp2scFtv/uamSo5z0"
/* crypt_rn("correct horse") with crypt_gensalt_rn("$2b$", 5, ...) */
#define H_BCRYPT "$2b$05$KBCwKxOzLha2MUDgW0PjXeiB68uDfBmXvTUyyqNxAD2eaQ43eHNkm"
/* the same with "$y$" */
#define H_YESCRYPT "$y$j9T$k2XAnEHBqQ1Ct2aMXFKNa/$Ry7oZ9ThqkDutyuKduodO92iRCkOPEVA3D3cGUEN1J1"

#define T0 INT64_C(1790812800)

static struct cc_user users[] = {
	{ (char *)"sha", (char *)H_SHA512 },
	{ (char *)"bcrypt", (char *)H_BCRYPT },
	{ (char *)"yes", (char *)H_YESCRYPT },
	{ (char *)"broken", (char *)"$6$not-a-hash" },
	{ (char *)"garbage", (char *)"$zz$abc$def" },
};

static struct collector_config *
cfg_with_users(void)
{
	static struct collector_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.users = users;
	cfg.nusers = sizeof(users) / sizeof(users[0]);
	return &cfg;
}

static int
reset(void **state)
{
	(void)state;
	auth_reset();
	return 0;
}

static void
auth_password_ok__each_method__right_password_only(void **state)
{
	const struct collector_config *cfg = cfg_with_users();

	(void)state;
	assert_int_equal(auth_password_ok(cfg, "sha", "correct horse"), 1);
	assert_int_equal(auth_password_ok(cfg, "bcrypt", "correct horse"), 1);
	assert_int_equal(auth_password_ok(cfg, "yes", "correct horse"), 1);
	assert_int_equal(auth_password_ok(cfg, "sha", "correct horsE"), 0);
	assert_int_equal(auth_password_ok(cfg, "bcrypt", "correct horse "), 0);
	assert_int_equal(auth_password_ok(cfg, "yes", ""), 0);
	/* another user's password is not this user's */
	assert_int_equal(auth_password_ok(cfg, "SHA", "correct horse"), 0);
}

static void
auth_password_ok__unknown_user_or_unusable_hash__refused(void **state)
{
	const struct collector_config *cfg = cfg_with_users();

	(void)state;
	assert_int_equal(auth_password_ok(cfg, "nobody", "correct horse"), 0);
	assert_int_equal(auth_password_ok(cfg, NULL, "correct horse"), 0);
	assert_int_equal(auth_password_ok(cfg, "broken", "correct horse"), 0);
	assert_int_equal(auth_password_ok(cfg, "broken", "$6$not-a-hash"), 0);
	assert_int_equal(auth_password_ok(cfg, "garbage", ""), 0);
	assert_int_equal(auth_password_ok(cfg, "sha", NULL), 0);
}

/* openssl passwd -1 -salt saltsalt 'correct horse' */
#define H_MD5 "$1$saltsalt$NuzA7WTAelpl95xgBGWN60"
/* crypt(3) DES of 'correct horse' with salt "ab": only "correct " counts */
#define H_DES "abhfCpXqd4GrI"
/* SHA-256 crypt with 1000 rounds, below libxcrypt's floor */
#define H_SHA256_CHEAP "$5$rounds=1000$saltsalt$R6e4P8ccT9iMqkYg7Z8YtpId/lfsIfnuPkp8WXposU8"

static void
auth_password_ok__legacy_or_malformed_hash__refused_even_with_right_password(void **state)
{
	static struct cc_user weak[] = {
		{ (char *)"md5", (char *)H_MD5 },
		{ (char *)"des", (char *)H_DES },
		{ (char *)"cheap", (char *)H_SHA256_CHEAP },
		{ (char *)"star", (char *)"*" },
		{ (char *)"bang", (char *)"!" },
		{ (char *)"locked", (char *)"!" H_SHA512 },
		{ (char *)"empty", (char *)"" },
		{ (char *)"sha", (char *)H_SHA512 },
	};
	struct collector_config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.users = weak;
	cfg.nusers = sizeof(weak) / sizeof(weak[0]);
	assert_int_equal(auth_password_ok(&cfg, "md5", "correct horse"), 0);
	assert_int_equal(auth_password_ok(&cfg, "des", "correct horse"), 0);
	assert_int_equal(auth_password_ok(&cfg, "des", "correct "), 0);
	assert_int_equal(auth_password_ok(&cfg, "cheap", "correct horse"), 0);
	assert_int_equal(auth_password_ok(&cfg, "star", "*"), 0);
	assert_int_equal(auth_password_ok(&cfg, "star", ""), 0);
	assert_int_equal(auth_password_ok(&cfg, "bang", "!"), 0);
	assert_int_equal(auth_password_ok(&cfg, "locked", "correct horse"), 0);
	assert_int_equal(auth_password_ok(&cfg, "empty", ""), 0);
	/* the strong hash beside them still works */
	assert_int_equal(auth_password_ok(&cfg, "sha", "correct horse"), 1);
}

static void
auth_password_ok__no_users__nobody_gets_in(void **state)
{
	struct collector_config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(auth_password_ok(&cfg, "admin", "admin"), 0);
}

static void
auth_hash_password__yescrypt__verifies_and_salts_differ(void **state)
{
	const char *err = NULL;
	char *a = auth_hash_password("s3cret pass", &err);
	char *b = auth_hash_password("s3cret pass", &err);
	struct cc_user u = { (char *)"u", a };
	struct collector_config cfg;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_memory_equal(a, "$y$", 3);
	assert_string_not_equal(a, b);
	memset(&cfg, 0, sizeof(cfg));
	cfg.users = &u;
	cfg.nusers = 1;
	assert_int_equal(auth_password_ok(&cfg, "u", "s3cret pass"), 1);
	assert_int_equal(auth_password_ok(&cfg, "u", "s3cret pas"), 0);
	free(a);
	free(b);
}

static void
auth_token_eq__exact_43_characters_only(void **state)
{
	const char *t = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

	(void)state;
	assert_int_equal(strlen(t), AUTH_TOKEN_LEN);
	assert_int_equal(auth_token_eq(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"), 1);
	assert_int_equal(auth_token_eq(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPq"), 0);
	assert_int_equal(auth_token_eq(t, "Abcdefghijklmnopqrstuvwxyz" "ABCDEFGHIJKLMNOPQ"), 0);
	assert_int_equal(auth_token_eq(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"), 0);
	assert_int_equal(auth_token_eq(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR"), 0);
	assert_int_equal(auth_token_eq(t, NULL), 0);
	assert_int_equal(auth_token_eq(NULL, t), 0);
	assert_int_equal(auth_token_eq("", ""), 0);
}

static void
auth_cookie_token__among_others__found_and_checked(void **state)
{
	char buf[AUTH_TOKEN_LEN + 1], h1[160], h2[160], h3[160], h4[160];
	const char *t = "abcdefghijklmnopqrstuvwxyzABCDEFGH-_0123456";

	(void)state;
	assert_int_equal(strlen(t), AUTH_TOKEN_LEN);
	snprintf(h1, sizeof(h1), "mxsla_session=%s", t);
	snprintf(h2, sizeof(h2), "theme=dark; mxsla_session=%s; lang=de", t);
	snprintf(h3, sizeof(h3), "xmxsla_session=%s", t);
	snprintf(h4, sizeof(h4), "mxsla_session=%s!", t);
	assert_string_equal(auth_cookie_token(h1, buf), t);
	assert_string_equal(auth_cookie_token(h2, buf), t);
	assert_null(auth_cookie_token(h3, buf));
	assert_null(auth_cookie_token(h4, buf));
	assert_null(auth_cookie_token("mxsla_session=short", buf));
	assert_null(auth_cookie_token("", buf));
	assert_null(auth_cookie_token(NULL, buf));
}

static void
auth_session__new_get_drop__user_csrf_and_end(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], csrf[AUTH_TOKEN_LEN + 1], tok2[AUTH_TOKEN_LEN + 1],
	    csrf2[AUTH_TOKEN_LEN + 1];
	struct auth_session s;
	const char *err = NULL;

	(void)state;
	assert_int_equal(auth_session_new("admin", 42, T0, tok, csrf, &err), 0);
	assert_int_equal(auth_session_new("ops", 7, T0, tok2, csrf2, &err), 0);
	assert_int_equal(strlen(tok), AUTH_TOKEN_LEN);
	assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
			 AUTH_TOKEN_LEN);
	assert_string_not_equal(tok, csrf);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(auth_session_get(tok, T0 + 1, &s), 1);
	assert_string_equal(s.user, "admin");
	assert_string_equal(s.csrf, csrf);
	assert_int_equal(s.hash_tag, 42);
	assert_int_equal(auth_session_get(csrf, T0 + 1, &s), 0);
	auth_session_drop(tok);
	assert_int_equal(auth_session_get(tok, T0 + 2, &s), 0);
	assert_int_equal(auth_session_get(tok2, T0 + 2, &s), 1);
	assert_string_equal(s.user, "ops");
}

static void
auth_session__idle_8h__expires_but_use_keeps_it(void **state)
{
	char tok[AUTH_TOKEN_LEN + 1], csrf[AUTH_TOKEN_LEN + 1];
	struct auth_session s;
	const char *err = NULL;
	int64_t t;

	(void)state;
	assert_int_equal(auth_session_new("admin", 1, T0, tok, csrf, &err), 0);
	assert_int_equal(auth_session_get(tok, T0 + AUTH_IDLE_S - 1, &s), 1);
	/* used at T0 + 8 h - 1 s: alive until 8 h after that */
	assert_int_equal(auth_session_get(tok, T0 + 2 * AUTH_IDLE_S - 2, &s), 1);
	assert_int_equal(auth_session_get(tok, T0 + 3 * AUTH_IDLE_S - 2, &s), 0);
	/* gone for good, even at an earlier time */
	assert_int_equal(auth_session_get(tok, T0, &s), 0);

	/* used every hour, it still ends 24 h after the login */
	assert_int_equal(auth_session_new("admin", 1, T0, tok, csrf, &err), 0);
	for (t = T0 + 3600; t < T0 + AUTH_LIFETIME_S; t += 3600)
		assert_int_equal(auth_session_get(tok, t, &s), 1);
	assert_int_equal(auth_session_get(tok, T0 + AUTH_LIFETIME_S, &s), 0);
}

static void
auth_session__table_full__least_recently_used_goes(void **state)
{
	char tok[AUTH_SESSIONS_MAX + 1][AUTH_TOKEN_LEN + 1], csrf[AUTH_TOKEN_LEN + 1];
	struct auth_session s;
	const char *err = NULL;

	(void)state;
	for (int i = 0; i < AUTH_SESSIONS_MAX; i++)
		assert_int_equal(auth_session_new("u", 0, T0 + i, tok[i], csrf, &err), 0);
	/* session 0 is used again; 1 is now the least recently used */
	assert_int_equal(auth_session_get(tok[0], T0 + AUTH_SESSIONS_MAX, &s), 1);
	assert_int_equal(auth_session_new("new", 0, T0 + AUTH_SESSIONS_MAX + 1,
					  tok[AUTH_SESSIONS_MAX], csrf, &err),
			 0);
	assert_int_equal(auth_session_get(tok[1], T0 + AUTH_SESSIONS_MAX + 2, &s), 0);
	assert_int_equal(auth_session_get(tok[0], T0 + AUTH_SESSIONS_MAX + 2, &s), 1);
	assert_int_equal(auth_session_get(tok[2], T0 + AUTH_SESSIONS_MAX + 2, &s), 1);
	assert_int_equal(auth_session_get(tok[AUTH_SESSIONS_MAX], T0 + AUTH_SESSIONS_MAX + 2, &s), 1);
	assert_string_equal(s.user, "new");
}

static void
auth_throttle__five_failures__locked_30s_then_doubling(void **state)
{
	int64_t wait = -1;

	(void)state;
	for (int i = 0; i < AUTH_FAIL_FREE; i++)
		assert_int_equal(auth_throttle_begin("ops", T0 + i, &wait), 0);
	/* the fifth failure (at T0 + 4) locked the name for 30 s */
	assert_int_equal(auth_throttle_begin("ops", T0 + 5, &wait), -1);
	assert_int_equal(wait, 29);
	assert_int_equal(auth_throttle_begin("ops", T0 + 33, &wait), -1);
	assert_int_equal(wait, 1);
	/* other names are not held up */
	assert_int_equal(auth_throttle_begin("admin", T0 + 5, &wait), 0);
	/* the sixth attempt is allowed at T0 + 34 and, failing, locks 60 s */
	assert_int_equal(auth_throttle_begin("ops", T0 + 34, &wait), 0);
	assert_int_equal(auth_throttle_begin("ops", T0 + 35, &wait), -1);
	assert_int_equal(wait, 59);
	assert_int_equal(auth_throttle_begin("ops", T0 + 94, &wait), 0);
	assert_int_equal(auth_throttle_begin("ops", T0 + 95, &wait), -1);
	assert_int_equal(wait, 119);
	/* a good password clears the count */
	assert_int_equal(auth_throttle_begin("ops", T0 + 214, &wait), 0);
	auth_throttle_success("ops");
	for (int i = 0; i < AUTH_FAIL_FREE; i++)
		assert_int_equal(auth_throttle_begin("ops", T0 + 215, &wait), 0);
	assert_int_equal(auth_throttle_begin("ops", T0 + 215, &wait), -1);
}

static void
auth_throttle__lock_never_exceeds_15_minutes(void **state)
{
	int64_t wait = -1, t = T0;

	(void)state;
	for (int i = 0; i < 20; i++) {
		while (auth_throttle_begin("x", t, &wait) < 0)
			t += wait;
		t++;
	}
	assert_int_equal(auth_throttle_begin("x", t, &wait), -1);
	assert_int_equal(wait, AUTH_LOCK_MAX_S - 1);
}

static void
auth_throttle__forgotten_after_quiet_15_minutes(void **state)
{
	int64_t wait = -1;

	(void)state;
	for (int i = 0; i < AUTH_FAIL_FREE - 1; i++)
		assert_int_equal(auth_throttle_begin("ops", T0, &wait), 0);
	/* 15 min later the four failures no longer count */
	for (int i = 0; i < AUTH_FAIL_FREE - 1; i++)
		assert_int_equal(auth_throttle_begin("ops", T0 + AUTH_LOCK_MAX_S, &wait), 0);
	assert_int_equal(auth_throttle_begin("ops", T0 + AUTH_LOCK_MAX_S, &wait), 0);
	assert_int_equal(auth_throttle_begin("ops", T0 + AUTH_LOCK_MAX_S, &wait), -1);
}

static void
auth_throttle__table_full_of_locked_names__new_names_refused(void **state)
{
	int64_t wait = -1;
	char name[32];
	int i, k, refused = 0;

	(void)state;
	/* lock 600 names (more than the table holds) at T0 */
	for (i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		for (k = 0; k < AUTH_FAIL_FREE; k++)
			if (auth_throttle_begin(name, T0, &wait) < 0)
				refused++;
	}
	/* once the table is full every new name waits for the first lock */
	assert_int_equal(refused, (600 - 512) * AUTH_FAIL_FREE);
	assert_int_equal(auth_throttle_begin("fresh", T0 + 1, &wait), -1);
	assert_int_equal(wait, 29);
	/* the locked names stay locked */
	assert_int_equal(auth_throttle_begin("n0", T0 + 1, &wait), -1);
	/* after the locks run out there is room again */
	assert_int_equal(auth_throttle_begin("fresh", T0 + 30, &wait), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auth_password_ok__each_method__right_password_only),
		cmocka_unit_test(auth_password_ok__unknown_user_or_unusable_hash__refused),
		cmocka_unit_test(auth_password_ok__no_users__nobody_gets_in),
		cmocka_unit_test(auth_password_ok__legacy_or_malformed_hash__refused_even_with_right_password),
		cmocka_unit_test(auth_hash_password__yescrypt__verifies_and_salts_differ),
		cmocka_unit_test(auth_token_eq__exact_43_characters_only),
		cmocka_unit_test(auth_cookie_token__among_others__found_and_checked),
		cmocka_unit_test_setup(auth_session__new_get_drop__user_csrf_and_end, reset),
		cmocka_unit_test_setup(auth_session__idle_8h__expires_but_use_keeps_it, reset),
		cmocka_unit_test_setup(auth_session__table_full__least_recently_used_goes, reset),
		cmocka_unit_test_setup(auth_throttle__five_failures__locked_30s_then_doubling, reset),
		cmocka_unit_test_setup(auth_throttle__lock_never_exceeds_15_minutes, reset),
		cmocka_unit_test_setup(auth_throttle__forgotten_after_quiet_15_minutes, reset),
		cmocka_unit_test_setup(auth_throttle__table_full_of_locked_names__new_names_refused,
				       reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
