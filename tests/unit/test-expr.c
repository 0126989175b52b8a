/*
 * test-expr.c - the rule expression language: operators, precedence,
 * units, strings, regexes, three-valued logic, explanations, and syntax
 * errors with their columns.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr.h"
#include "obs.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

struct evcase {
	const char *src;
	enum tri want;
	const char *explain; /* NULL: not checked */
};

static const char *
tri_name(enum tri t)
{
	return t == TRI_TRUE ? "true" : t == TRI_FALSE ? "false" : "unknown";
}

static struct expr *
compile_ok(const char *src)
{
	char *err = NULL;
	int col = 0;
	struct expr *e = expr_compile(src, &err, &col);

	if (e == NULL)
		fail_msg("'%s' does not compile: column %d: %s", src, col, err);
	return e;
}

/* Compile and evaluate src; check the value and, if given, the explanation. */
static void
check(const struct obs *o, const char *src, enum tri want, const char *explain)
{
	struct expr *e = compile_ok(src);
	struct expr_result r;

	expr_eval(e, o, &r);
	assert_non_null(r.explain);
	if (r.value != want)
		fail_msg("'%s' is %s, expected %s (%s)", src, tri_name(r.value), tri_name(want),
			 r.explain);
	if (explain != NULL && strcmp(r.explain, explain) != 0)
		fail_msg("'%s' explains \"%s\", expected \"%s\"", src, r.explain, explain);
	if (want == TRI_UNKNOWN) {
		assert_non_null(r.reason);
		assert_string_equal(r.reason, r.explain);
	} else {
		assert_null(r.reason);
	}
	expr_result_free(&r);
	assert_null(r.explain);
	expr_free(e);
}

static void
check_table(const struct obs *o, const struct evcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check(o, c[i].src, c[i].want, c[i].explain);
}

static void
expr_eval__comparison_operators__numbers_and_strings(void **state)
{
	static const struct evcase cases[] = {
		{"deferred > 100", TRI_TRUE, "deferred = 137 (> 100)"},
		{"deferred > 137", TRI_FALSE, "deferred = 137"},
		{"deferred >= 137", TRI_TRUE, "deferred = 137 (>= 137)"},
		{"deferred >= 138", TRI_FALSE, NULL},
		{"deferred < 138", TRI_TRUE, "deferred = 137 (< 138)"},
		{"deferred < 137", TRI_FALSE, NULL},
		{"deferred <= 137", TRI_TRUE, NULL},
		{"deferred <= 136.5", TRI_FALSE, NULL},
		{"deferred == 137", TRI_TRUE, "deferred = 137 (== 137)"},
		{"deferred == 137.5", TRI_FALSE, NULL},
		{"deferred != 137", TRI_FALSE, "deferred = 137"},
		{"deferred != 1", TRI_TRUE, "deferred = 137 (!= 1)"},
		{"ratio == 2.5", TRI_TRUE, "ratio = 2.5 (== 2.5)"},
		{"delta > -3", TRI_TRUE, "delta = -2 (> -3)"},
		{"delta < -1.5", TRI_TRUE, NULL},
		/* a literal on the left is shown from the name's side */
		{"100 < deferred", TRI_TRUE, "deferred = 137 (> 100)"},
		{"137 >= deferred", TRI_TRUE, "deferred = 137 (<= 137)"},
		{"status == \"Healthy\"", TRI_TRUE, "status = \"Healthy\" (== \"Healthy\")"},
		{"status != \"Healthy\"", TRI_FALSE, "status = \"Healthy\""},
		{"status == \"healthy\"", TRI_FALSE, NULL},
		{"status != \"Failed\"", TRI_TRUE, NULL},
		{"status < \"Z\"", TRI_TRUE, NULL},
		{"status > \"Z\"", TRI_FALSE, NULL},
		{"status >= \"Healthy\"", TRI_TRUE, NULL},
		{"status <= \"Healthz\"", TRI_TRUE, NULL},
		/* two names: both looked up */
		{"deferred > total", TRI_FALSE, "deferred = 137, total = 140"},
		{"total > deferred", TRI_TRUE, "total = 140 (> deferred = 137)"},
		{"status == status2", TRI_TRUE, "status = \"Healthy\" (== status2 = \"Healthy\")"},
		{"1 < 2", TRI_TRUE, "1 < 2"},
		{"\"a\" == \"b\"", TRI_FALSE, "\"a\" == \"b\""},
	};
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_metric(&o, "deferred", 137);
	obs_metric(&o, "total", 140);
	obs_metric(&o, "ratio", 2.5);
	obs_metric(&o, "delta", -2);
	obs_fact(&o, "status", "Healthy");
	obs_fact(&o, "status2", "Healthy");
	check_table(&o, cases, N_ELEM(cases));
	obs_free(&o);
}

static void
expr_eval__logic_operators_and_spellings__agree(void **state)
{
	static const struct evcase cases[] = {
		{"yes1 && yes2", TRI_TRUE, "yes1 = 1, yes2 = 1"},
		{"yes1 and yes2", TRI_TRUE, "yes1 = 1, yes2 = 1"},
		{"yes1 && no1", TRI_FALSE, "no1 = 0"},
		{"no1 and yes1", TRI_FALSE, "no1 = 0"},
		{"no1 || yes1", TRI_TRUE, "yes1 = 1"},
		{"no1 or yes1", TRI_TRUE, "yes1 = 1"},
		{"no1 || no2", TRI_FALSE, "no1 = 0, no2 = 0"},
		{"no1 or no2", TRI_FALSE, "no1 = 0, no2 = 0"},
		{"!no1", TRI_TRUE, "no1 = 0"},
		{"not no1", TRI_TRUE, "no1 = 0"},
		{"!yes1", TRI_FALSE, "yes1 = 1"},
		{"not not yes1", TRI_TRUE, NULL},
		{"!!yes1", TRI_TRUE, NULL},
		{"true", TRI_TRUE, "true"},
		{"false", TRI_FALSE, "false"},
		{"!false", TRI_TRUE, NULL},
		{"yes1 == true", TRI_TRUE, "yes1 = 1"},
		{"no1 == true", TRI_FALSE, "no1 = 0"},
		{"no1 != true", TRI_TRUE, NULL},
		{"(yes1 && no1) == false", TRI_TRUE, NULL},
		{"defined(yes1) == (no1 || yes2)", TRI_TRUE, "yes1 is defined, yes2 = 1"},
		{"true == false", TRI_FALSE, "true == false"},
		/* no space needed around the word operators' neighbours */
		{"(yes1)and(yes2)", TRI_TRUE, NULL},
		{"yes1&&yes2||no1", TRI_TRUE, NULL},
	};
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_metric(&o, "yes1", 1);
	obs_metric(&o, "yes2", 1);
	obs_metric(&o, "no1", 0);
	obs_metric(&o, "no2", 0);
	check_table(&o, cases, N_ELEM(cases));
	obs_free(&o);
}

static void
expr_eval__precedence__not_binds_tighter_than_and_than_or(void **state)
{
	static const struct evcase cases[] = {
		/* a || (b && c), not (a || b) && c */
		{"a || b && c", TRI_TRUE, NULL},
		{"a or b and c", TRI_TRUE, NULL},
		{"(a || b) && c", TRI_FALSE, NULL},
		{"b && c || a", TRI_TRUE, NULL},
		/* (!a) && b, not !(a && b) */
		{"!a && b", TRI_FALSE, NULL},
		{"not a and b", TRI_FALSE, NULL},
		{"!(a && b)", TRI_TRUE, NULL},
		/* comparison binds tighter than ! and && */
		{"!n > 5", TRI_FALSE, "n = 7 (> 5)"},
		{"n > 5 && n < 10", TRI_TRUE, "n = 7 (> 5), n = 7 (< 10)"},
		{"((((a))))", TRI_TRUE, NULL},
	};
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_metric(&o, "a", 1);
	obs_metric(&o, "b", 0);
	obs_metric(&o, "c", 0);
	obs_metric(&o, "n", 7);
	check_table(&o, cases, N_ELEM(cases));
	obs_free(&o);
}

static void
expr_eval__units__converted_to_the_names_unit(void **state)
{
	static const struct evcase cases[] = {
		/* *_ms: milliseconds */
		{"read_ms > 20ms", TRI_TRUE, "read_ms = 25 (> 20ms)"},
		{"read_ms > 30ms", TRI_FALSE, "read_ms = 25"},
		{"read_ms < 1s", TRI_TRUE, NULL},
		{"slow_ms > 1s", TRI_TRUE, "slow_ms = 1500 (> 1s)"},
		{"slow_ms < 2s", TRI_TRUE, NULL},
		{"slow_ms > 1.5s", TRI_FALSE, NULL},
		{"slow_ms >= 1.5s", TRI_TRUE, NULL},
		/* *_s: seconds */
		{"oldest_age_s > 4h", TRI_TRUE, "oldest_age_s = 20000 (> 4h)"},
		{"oldest_age_s > 6h", TRI_FALSE, "oldest_age_s = 20000"},
		{"oldest_age_s > 333m", TRI_TRUE, NULL},
		{"oldest_age_s > 334m", TRI_FALSE, NULL},
		{"oldest_age_s == 20000s", TRI_TRUE, NULL},
		{"oldest_age_s < 1d", TRI_TRUE, NULL},
		{"oldest_age_s == 20000000ms", TRI_TRUE, NULL},
		/* no suffix: seconds for durations */
		{"age > 1m", TRI_TRUE, NULL},
		{"age > 2m", TRI_FALSE, NULL},
		{"half < 600ms", TRI_TRUE, NULL},
		{"half > 400ms", TRI_TRUE, NULL},
		/* sizes: bytes, *_kb in KiB */
		{"free_bytes < 4GB", TRI_TRUE, "free_bytes = 3221225472 (< 4GB)"},
		{"free_bytes < 3GB", TRI_FALSE, NULL},
		{"free_bytes == 3072MB", TRI_TRUE, NULL},
		{"free_bytes == 3145728KB", TRI_TRUE, NULL},
		{"free_bytes < 1TB", TRI_TRUE, NULL},
		{"size_bytes == 512B", TRI_TRUE, NULL},
		{"size_bytes < 1KB", TRI_TRUE, NULL},
		{"out_of_sync_kb > 1MB", TRI_FALSE, "out_of_sync_kb = 1024"},
		{"out_of_sync_kb == 1MB", TRI_TRUE, "out_of_sync_kb = 1024 (== 1MB)"},
		{"out_of_sync_kb >= 1024KB", TRI_TRUE, NULL},
		{"out_of_sync_kb < 2048KiB", TRI_TRUE, NULL},
		/* percent: the number itself */
		{"free_pct < 10%", TRI_TRUE, "free_pct = 9.5 (< 10%)"},
		{"free_pct < 9.5%", TRI_FALSE, NULL},
		/* two literals: seconds and bytes */
		{"1h == 3600s", TRI_TRUE, NULL},
		{"1h > 59m", TRI_TRUE, NULL},
		{"1GB == 1024MB", TRI_TRUE, NULL},
		{"2KB == 2048", TRI_TRUE, NULL},
	};
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_metric(&o, "read_ms", 25);
	obs_metric(&o, "slow_ms", 1500);
	obs_metric(&o, "oldest_age_s", 20000);
	obs_metric(&o, "age", 61);
	obs_metric(&o, "half", 0.5);
	obs_metric(&o, "free_bytes", 3221225472.0);
	obs_metric(&o, "size_bytes", 512);
	obs_metric(&o, "out_of_sync_kb", 1024);
	obs_metric(&o, "free_pct", 9.5);
	check_table(&o, cases, N_ELEM(cases));
	obs_free(&o);
}

static void
expr_eval__string_escapes__decoded(void **state)
{
	static const struct evcase cases[] = {
		{"q == \"say \\\"hi\\\"\"", TRI_TRUE, NULL},
		{"bs == \"a\\\\b\"", TRI_TRUE, NULL},
		{"nl == \"a\\nb\"", TRI_TRUE, "nl = \"a\\nb\" (== \"a\\nb\")"},
		{"tab == \"a\\tb\"", TRI_TRUE, NULL},
		{"tab == \"a b\"", TRI_FALSE, "tab = \"a\\tb\""},
		{"empty == \"\"", TRI_TRUE, NULL},
		{"\"x\\\"y\" == q", TRI_FALSE, NULL},
	};
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_fact(&o, "q", "say \"hi\"");
	obs_fact(&o, "bs", "a\\b");
	obs_fact(&o, "nl", "a\nb");
	obs_fact(&o, "tab", "a\tb");
	obs_fact(&o, "empty", "");
	check_table(&o, cases, N_ELEM(cases));
	obs_free(&o);
}

static void
expr_eval__regex__flags_and_negation(void **state)
{
	static const struct evcase cases[] = {
		{"banner =~ /ESMTP/", TRI_TRUE, "banner = \"220 mx ESMTP\" (=~ /ESMTP/)"},
		{"banner !~ /ESMTP/", TRI_FALSE, "banner = \"220 mx ESMTP\""},
		{"banner =~ /esmtp/", TRI_FALSE, "banner = \"220 mx ESMTP\""},
		{"banner =~ /esmtp/i", TRI_TRUE, "banner = \"220 mx ESMTP\" (=~ /esmtp/i)"},
		{"banner !~ /esmtp/", TRI_TRUE, "banner = \"220 mx ESMTP\" (!~ /esmtp/)"},
		{"banner =~ /^220 /", TRI_TRUE, NULL},
		{"banner =~ /^mx/", TRI_FALSE, NULL},
		{"banner =~ /E S M T P/x", TRI_TRUE, NULL},
		{"banner =~ /E S M T P/", TRI_FALSE, NULL},
		{"lines =~ /^b$/", TRI_FALSE, NULL},
		{"lines =~ /^b$/m", TRI_TRUE, NULL},
		{"lines =~ /a.b/", TRI_FALSE, NULL},
		{"lines =~ /a.b/s", TRI_TRUE, NULL},
		{"lines =~ /A.B/si", TRI_TRUE, NULL},
		{"path =~ /^\\/var\\/mail$/", TRI_TRUE, NULL},
		{"banner =~ //", TRI_TRUE, NULL},
		/* a metric is matched as it is shown */
		{"code =~ /^2\\d\\d$/", TRI_TRUE, "code = 250 (=~ /^2\\d\\d$/)"},
		{"ratio =~ /^0\\.125$/", TRI_TRUE, NULL},
		{"\"abc\" =~ /b/", TRI_TRUE, "\"abc\" =~ /b/"},
		{"banner=~/mx/&&code==250", TRI_TRUE, NULL},
	};
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_fact(&o, "banner", "220 mx ESMTP");
	obs_fact(&o, "lines", "a\nb");
	obs_fact(&o, "path", "/var/mail");
	obs_metric(&o, "code", 250);
	obs_metric(&o, "ratio", 0.125);
	check_table(&o, cases, N_ELEM(cases));
	obs_free(&o);
}

static void
expr_eval__missing_metric__kleene_logic(void **state)
{
	static const struct evcase cases[] = {
		{"gone > 1", TRI_UNKNOWN, "metric gone is missing"},
		{"1 < gone", TRI_UNKNOWN, "metric gone is missing"},
		{"gone", TRI_UNKNOWN, "metric gone is missing"},
		{"!gone", TRI_UNKNOWN, "metric gone is missing"},
		{"!(gone > 1)", TRI_UNKNOWN, "metric gone is missing"},
		{"gone =~ /x/", TRI_UNKNOWN, "metric gone is missing"},
		/* &&: false wins, else unknown */
		{"gone > 1 && t", TRI_UNKNOWN, "metric gone is missing"},
		{"t && gone > 1", TRI_UNKNOWN, "metric gone is missing"},
		{"gone > 1 && f", TRI_FALSE, "f = 0"},
		{"f && gone > 1", TRI_FALSE, "f = 0"},
		/* ||: true wins, else unknown */
		{"gone > 1 || t", TRI_TRUE, "t = 1"},
		{"t || gone > 1", TRI_TRUE, "t = 1"},
		{"gone > 1 || f", TRI_UNKNOWN, "metric gone is missing"},
		{"f || gone > 1", TRI_UNKNOWN, "metric gone is missing"},
		/* the first missing name is the reason */
		{"gone > 1 || lost > 1", TRI_UNKNOWN, "metric gone is missing"},
		{"t > lost", TRI_UNKNOWN, "metric lost is missing"},
		{"(gone > 1 && f) || t", TRI_TRUE, "t = 1"},
		{"(gone > 1 || t) && f", TRI_FALSE, "f = 0"},
		{"(gone > 1 || f) && t", TRI_UNKNOWN, "metric gone is missing"},
		{"defined(gone) && gone > 1", TRI_FALSE, "gone is not defined"},
	};
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_metric(&o, "t", 1);
	obs_metric(&o, "f", 0);
	check_table(&o, cases, N_ELEM(cases));
	obs_free(&o);
}

static void
expr_eval__defined__never_unknown(void **state)
{
	static const struct evcase cases[] = {
		{"defined(m)", TRI_TRUE, "m is defined"},
		{"defined(fact)", TRI_TRUE, "fact is defined"},
		{"defined(gone)", TRI_FALSE, "gone is not defined"},
		{"defined( gone )", TRI_FALSE, NULL},
		{"!defined(gone)", TRI_TRUE, "gone is not defined"},
		{"!defined(gone) || gone > 5", TRI_TRUE, "gone is not defined"},
		{"defined(m) && m > 5", TRI_TRUE, "m is defined, m = 7 (> 5)"},
	};
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_metric(&o, "m", 7);
	obs_fact(&o, "fact", "");
	check_table(&o, cases, N_ELEM(cases));
	obs_free(&o);
}

static void
expr_eval__facts_and_numbers__converted_or_unknown(void **state)
{
	static const struct evcase cases[] = {
		{"message_size_limit > 9MB", TRI_TRUE, "message_size_limit = 10240000 (> 9MB)"},
		{"message_size_limit > 10MB", TRI_FALSE, "message_size_limit = 10240000"},
		{"message_size_limit == 10240000", TRI_TRUE, NULL},
		{"padded == 42", TRI_TRUE, NULL},
		{"frac < 1", TRI_TRUE, "frac = 0.5 (< 1)"},
		{"sci == 1000", TRI_TRUE, NULL},
		{"limit > 5", TRI_UNKNOWN, "fact limit is not a number: \"unlimited\""},
		{"hexish > 5", TRI_UNKNOWN, "fact hexish is not a number: \"0x10\""},
		{"withunit > 5", TRI_UNKNOWN, "fact withunit is not a number: \"10MB\""},
		{"limit > 5 || t", TRI_TRUE, NULL},
		/* metric vs fact: the fact is converted */
		{"t < message_size_limit", TRI_TRUE, NULL},
		{"t < limit", TRI_UNKNOWN, "fact limit is not a number: \"unlimited\""},
		/* two numeric facts compare as numbers, not as strings */
		{"nine < padded", TRI_TRUE, NULL},
		/* one is not a number: compared as strings, "9" < "u" */
		{"nine < limit", TRI_TRUE, NULL},
		/* a metric is not a string */
		{"t == \"1\"", TRI_UNKNOWN, "metric t is a number, not a string"},
		{"\"1\" != t", TRI_UNKNOWN, "metric t is a number, not a string"},
	};
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_fact(&o, "message_size_limit", "10240000");
	obs_fact(&o, "padded", " 42 ");
	obs_fact(&o, "frac", "0.5");
	obs_fact(&o, "sci", "1e3");
	obs_fact(&o, "limit", "unlimited");
	obs_fact(&o, "hexish", "0x10");
	obs_fact(&o, "withunit", "10MB");
	obs_fact(&o, "nine", "9");
	obs_metric(&o, "t", 1);
	check_table(&o, cases, N_ELEM(cases));
	obs_free(&o);
}

static void
expr_eval__bare_names__truth_of_metrics_and_facts(void **state)
{
	static const struct evcase cases[] = {
		{"up", TRI_TRUE, "up = 1"},
		{"down", TRI_FALSE, "down = 0"},
		{"!down", TRI_TRUE, "down = 0"},
		{"neg", TRI_TRUE, NULL},
		{"f_yes", TRI_TRUE, "f_yes = \"yes\""},
		{"f_true", TRI_TRUE, NULL},
		{"f_no", TRI_FALSE, "f_no = \"No\""},
		{"f_false", TRI_FALSE, NULL},
		{"f_empty", TRI_FALSE, NULL},
		{"f_text", TRI_TRUE, NULL},
		{"f_yes == true", TRI_TRUE, NULL},
		{"f_no == false", TRI_TRUE, NULL},
		{"nan_metric", TRI_UNKNOWN, "metric nan_metric is not a number"},
		{"nan_metric > 1", TRI_UNKNOWN, "metric nan_metric is not a number"},
		/* yes and no are names, not keywords */
		{"yes", TRI_UNKNOWN, "metric yes is missing"},
		{"f_yes == yes", TRI_UNKNOWN, "metric yes is missing"},
	};
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_metric(&o, "up", 1);
	obs_metric(&o, "down", 0);
	obs_metric(&o, "neg", -0.5);
	obs_metric(&o, "nan_metric", NAN);
	obs_fact(&o, "f_yes", "yes");
	obs_fact(&o, "f_true", "TRUE");
	obs_fact(&o, "f_no", "No");
	obs_fact(&o, "f_false", " false ");
	obs_fact(&o, "f_empty", "");
	obs_fact(&o, "f_text", "Healthy");
	check_table(&o, cases, N_ELEM(cases));
	obs_free(&o);
}

static void
expr_eval__explanations__joined_and_deduplicated(void **state)
{
	static const struct evcase cases[] = {
		/* && true: every side */
		{"deferred > 100 && oldest_age_s > 4h", TRI_TRUE,
		 "deferred = 137 (> 100), oldest_age_s = 20000 (> 4h)"},
		/* && false: the false sides only */
		{"deferred > 100 && oldest_age_s > 6h", TRI_FALSE, "oldest_age_s = 20000"},
		{"deferred > 200 && oldest_age_s > 6h", TRI_FALSE, "deferred = 137, oldest_age_s = 20000"},
		/* || true: the true sides only */
		{"deferred > 200 || oldest_age_s > 4h", TRI_TRUE, "oldest_age_s = 20000 (> 4h)"},
		{"deferred > 100 || oldest_age_s > 4h", TRI_TRUE,
		 "deferred = 137 (> 100), oldest_age_s = 20000 (> 4h)"},
		/* || false: every side, each name once */
		{"deferred > 200 || deferred < 0", TRI_FALSE, "deferred = 137"},
		{"deferred > 200 || oldest_age_s > 6h || deferred < 0", TRI_FALSE,
		 "deferred = 137, oldest_age_s = 20000"},
		{"banner =~ /ESMTP/ && deferred > 100", TRI_TRUE,
		 "banner = \"220 mx ESMTP\" (=~ /ESMTP/), deferred = 137 (> 100)"},
		{"long =~ /x/", TRI_FALSE,
		 "long = \"0123456789012345678901234567890123456789012345678901234567890123456789"
		 "0123456789...\""},
		{"ctl == \"\"", TRI_FALSE, "ctl = \"a\\r\\x01\\\"b\\\\\""},
	};
	struct obs o;
	char long_value[200];

	(void)state;
	for (size_t i = 0; i < sizeof(long_value) - 1; i++)
		long_value[i] = (char)('0' + i % 10);
	long_value[sizeof(long_value) - 1] = '\0';
	obs_init(&o);
	obs_metric(&o, "deferred", 137);
	obs_metric(&o, "oldest_age_s", 20000);
	obs_fact(&o, "banner", "220 mx ESMTP");
	obs_fact(&o, "long", long_value);
	obs_fact(&o, "ctl", "a\r\x01\"b\\");
	check_table(&o, cases, N_ELEM(cases));
	obs_free(&o);
}

static void
expr_eval__utf8_value__cut_on_a_character_boundary(void **state)
{
	struct obs o;
	char value[200], want[100];
	size_t n = 0;

	(void)state;
	/* 79 ASCII bytes, then two-byte characters: byte 80 is the second
	   half of one, so the cut happens before it */
	memset(value, 'a', 79);
	n = 79;
	while (n + 2 < sizeof(value)) {
		value[n++] = '\xc3';
		value[n++] = '\xa9';
	}
	value[n] = '\0';
	obs_init(&o);
	obs_fact(&o, "v", value);
	memcpy(want, "v = \"", 5);
	memset(want + 5, 'a', 79);
	strcpy(want + 5 + 79, "...\"");
	check(&o, "v == \"x\"", TRI_FALSE, want);
	obs_free(&o);
}

static void
expr_eval__probe_error__unknown_with_its_reason(void **state)
{
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_metric(&o, "up", 1);
	obs_error(&o, "connect: Connection refused");
	check(&o, "up", TRI_UNKNOWN, "connect: Connection refused");
	check(&o, "defined(up)", TRI_UNKNOWN, "connect: Connection refused");
	obs_free(&o);
}

static void
expr_eval__pathological_regex__unknown_not_hang(void **state)
{
	struct obs o;
	char subject[64];

	(void)state;
	memset(subject, 'a', 40);
	subject[40] = 'b';
	subject[41] = '\0';
	obs_init(&o);
	obs_fact(&o, "s", subject);
	check(&o, "s =~ /^(a+)+$/", TRI_UNKNOWN,
	      "regex /^(a+)+$/ is too complex for the value of s");
	check(&o, "s =~ /^(a+)+$/ || true", TRI_TRUE, "true");
	obs_free(&o);
}

struct shared {
	const struct expr *e;
	const struct obs *o;
	int mismatches;
};

static void *
eval_many(void *arg)
{
	struct shared *sh = arg;
	struct expr_result r;

	for (int i = 0; i < 2000; i++) {
		expr_eval(sh->e, sh->o, &r);
		if (r.value != TRI_TRUE ||
		    strcmp(r.explain, "banner = \"220 mx ESMTP\" (=~ /esmtp/i), deferred = 137 (> 100)") != 0)
			sh->mismatches++;
		expr_result_free(&r);
	}
	return NULL;
}

static void
expr_eval__shared_expr__same_result_in_every_thread(void **state)
{
	struct expr *e = compile_ok("banner =~ /esmtp/i && (deferred > 100 || gone > 1)");
	struct shared sh[4];
	pthread_t th[4];
	struct obs o;

	(void)state;
	obs_init(&o);
	obs_metric(&o, "deferred", 137);
	obs_fact(&o, "banner", "220 mx ESMTP");
	for (int i = 0; i < 4; i++) {
		sh[i].e = e;
		sh[i].o = &o;
		sh[i].mismatches = 0;
		assert_int_equal(pthread_create(&th[i], NULL, eval_many, &sh[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(sh[i].mismatches, 0);
	}
	obs_free(&o);
	expr_free(e);
}

static void
expr_names__in_order__without_duplicates(void **state)
{
	struct expr *e = compile_ok("a > 1 && b < 2 || a == 3 && defined(c) && banner =~ /x/");
	const char *const *names;

	(void)state;
	assert_int_equal(expr_names(e, &names), 4);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "b");
	assert_string_equal(names[2], "c");
	assert_string_equal(names[3], "banner");
	assert_string_equal(expr_source(e), "a > 1 && b < 2 || a == 3 && defined(c) && banner =~ /x/");
	expr_free(e);

	e = compile_ok("true");
	assert_int_equal(expr_names(e, &names), 0);
	expr_free(e);
}

static void
expr_format_number__integers_and_decimals(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{137, "137"},
		{0, "0"},
		{-0.0, "0"},
		{-42, "-42"},
		{2.5, "2.5"},
		{0.125, "0.125"},
		{1.0 / 3, "0.333"},
		{2.0 / 3, "0.667"},
		{1.1, "1.1"},
		{-2.25, "-2.25"},
		{3221225472.0, "3221225472"},
		{999999999999999.0, "999999999999999"},
		{0.0004, "0.0004"},
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		expr_format_number(cases[i].v, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
	expr_format_number(123456, buf, 4);
	assert_string_equal(buf, "123");
}

struct errcase {
	const char *src;
	int col;
	const char *msg;
};

static void
expr_compile__syntax_errors__message_and_column(void **state)
{
	static const struct errcase cases[] = {
		{"deferred > ", 12, "expected a value after '>'"},
		{"deferred >", 11, "expected a value after '>'"},
		{"deferred >> 3", 11, "expected a value after '>'"},
		{"deferred > )", 12, "expected a value after '>'"},
		{"a && ", 6, "expected a value after '&&'"},
		{"a and", 6, "expected a value after 'and'"},
		{"a || ", 6, "expected a value after '||'"},
		{"a or or b", 6, "expected a value after 'or'"},
		{"!", 2, "expected a value after '!'"},
		{"not", 4, "expected a value after 'not'"},
		{"()", 2, "expected a value after '('"},
		{"", 1, "empty expression"},
		{"   ", 1, "empty expression"},
		{"and", 1, "unexpected 'and'"},
		{"> 3", 1, "unexpected '>'"},
		{"deferred > 100 100", 16, "unexpected '100'"},
		{"a b", 3, "unexpected 'b'"},
		{"a)", 2, "unexpected ')'"},
		{"(a > 1", 7, "expected ')'"},
		{"(a > 1 b", 8, "expected ')'"},
		{"a > 1 > 2", 7, "comparisons cannot be chained"},
		{"a == 1 =~ /x/", 8, "comparisons cannot be chained"},
		{"a = 1", 3, "unexpected '=' (use '==' to compare)"},
		{"a & b", 3, "unexpected '&' (use '&&')"},
		{"a | b", 3, "unexpected '|' (use '||')"},
		{"a @ b", 3, "unexpected character '@'"},
		{"a > \x01", 5, "unexpected byte 0x01"},
		{"a > /x/", 5, "a regex is only allowed after '=~' or '!~'"},
		{"status == \"abc", 11, "unterminated string"},
		{"status == \"abc\\\"", 11, "unterminated string"},
		{"status == \"a\\qb\"", 13, "unknown escape '\\q' in string"},
		{"banner =~ /abc", 11, "unterminated regex"},
		{"banner =~ /abc\\/", 11, "unterminated regex"},
		{"banner =~ \"abc\"", 11, "expected a /regex/ after '=~'"},
		{"banner !~", 10, "expected a /regex/ after '!~'"},
		{"banner =~ /abc/iq", 17, "unknown regex flag 'q'"},
		{"banner =~ /(ab/", 15, "regex: missing closing parenthesis"},
		{"banner =~ /a{2,1}/", 17, "regex: numbers out of order in {} quantifier"},
		{"banner =~ /x/ =~ /y/", 15, "comparisons cannot be chained"},
		{"5 =~ /5/", 3, "'=~' needs a name or a string on its left"},
		{"(a > 1) !~ /5/", 9, "'!~' needs a name or a string on its left"},
		{"oldest_age_s > 5parsecs", 17, "unknown unit 'parsecs'"},
		{"a > 5 parsecs", 7, "unexpected 'parsecs'"},
		{"a > 5kb", 6, "unknown unit 'kb'"},
		{"a > 5%%", 7, "malformed number"},
		{"a > 2.", 6, "malformed number"},
		{"a > 1.2.3", 8, "malformed number"},
		{"a > 10_000", 7, "malformed number"},
		{"a > 5ms2", 8, "malformed number"},
		{"a > 1 && status == 1 < \"x\"", 22, "comparisons cannot be chained"},
		{"status == \"x\" || 1 < \"y\"", 20, "cannot compare a number with a string"},
		{"\"y\" == 2h", 5, "cannot compare a number with a string"},
		{"4h > 1GB", 4, "cannot compare a duration with a size"},
		{"(a > 1) < true", 9, "only == and != can compare conditions"},
		{"defined(a) >= 1", 12, "only == and != can compare conditions"},
		{"defined a", 9, "expected '(' after 'defined'"},
		{"defined", 8, "expected '(' after 'defined'"},
		{"defined(5)", 9, "expected a name inside defined()"},
		{"defined(a", 10, "expected ')'"},
		{"defined(a b)", 11, "expected ')'"},
		{"f(x)", 2, "unexpected '('"},
	};
	char *err;
	int col;

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		err = NULL;
		col = 0;
		assert_null(expr_compile(cases[i].src, &err, &col));
		assert_non_null(err);
		if (strcmp(err, cases[i].msg) != 0 || col != cases[i].col)
			fail_msg("'%s': got column %d \"%s\", expected column %d \"%s\"", cases[i].src,
				 col, err, cases[i].col, cases[i].msg);
		free(err);
	}
}

static char *
repeat_around(const char *open, int n, const char *middle, const char *close)
{
	size_t lo = strlen(open), lm = strlen(middle), lc = strlen(close);
	char *s = malloc((size_t)n * (lo + lc) + lm + 1), *p = s;

	assert_non_null(s);
	for (int i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, middle, lm);
	p += lm;
	for (int i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

static void
expr_compile__nesting__limited_to_64_levels(void **state)
{
	struct obs o;
	char *src, *err = NULL;
	int col = 0;

	(void)state;
	obs_init(&o);
	obs_metric(&o, "a", 1);

	src = repeat_around("(", 64, "a", ")");
	check(&o, src, TRI_TRUE, "a = 1");
	free(src);
	src = repeat_around("(", 65, "a", ")");
	assert_null(expr_compile(src, &err, &col));
	assert_string_equal(err, "expression nested too deeply (more than 64 levels)");
	assert_int_equal(col, 65);
	free(err);
	free(src);

	src = repeat_around("!", 64, "a", "");
	check(&o, src, TRI_TRUE, "a = 1");
	free(src);
	src = repeat_around("!", 65, "a", "");
	assert_null(expr_compile(src, &err, &col));
	assert_string_equal(err, "expression nested too deeply (more than 64 levels)");
	assert_int_equal(col, 65);
	free(err);
	free(src);

	src = repeat_around("not (", 40, "a", ")");
	assert_null(expr_compile(src, &err, &col));
	assert_string_equal(err, "expression nested too deeply (more than 64 levels)");
	assert_int_equal(col, 32 * 5 + 1);
	free(err);
	free(src);

	/* long flat chains are not nesting */
	src = repeat_around("a && ", 500, "a", "");
	check(&o, src, TRI_TRUE, "a = 1");
	free(src);
	obs_free(&o);
}

static void
expr_compile__length__limited_to_4096(void **state)
{
	char src[4200], *err = NULL;
	int col = 0;
	struct expr *e;

	(void)state;
	/* "a" followed by spaces, exactly 4096 bytes */
	memset(src, ' ', 4096);
	src[0] = 'a';
	src[4096] = '\0';
	e = compile_ok(src);
	expr_free(e);

	memset(src, ' ', 4097);
	src[0] = 'a';
	src[4097] = '\0';
	assert_null(expr_compile(src, &err, &col));
	assert_string_equal(err, "expression too long (more than 4096 characters)");
	assert_int_equal(col, 4097);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(expr_eval__comparison_operators__numbers_and_strings),
		cmocka_unit_test(expr_eval__logic_operators_and_spellings__agree),
		cmocka_unit_test(expr_eval__precedence__not_binds_tighter_than_and_than_or),
		cmocka_unit_test(expr_eval__units__converted_to_the_names_unit),
		cmocka_unit_test(expr_eval__string_escapes__decoded),
		cmocka_unit_test(expr_eval__regex__flags_and_negation),
		cmocka_unit_test(expr_eval__missing_metric__kleene_logic),
		cmocka_unit_test(expr_eval__defined__never_unknown),
		cmocka_unit_test(expr_eval__facts_and_numbers__converted_or_unknown),
		cmocka_unit_test(expr_eval__bare_names__truth_of_metrics_and_facts),
		cmocka_unit_test(expr_eval__explanations__joined_and_deduplicated),
		cmocka_unit_test(expr_eval__utf8_value__cut_on_a_character_boundary),
		cmocka_unit_test(expr_eval__probe_error__unknown_with_its_reason),
		cmocka_unit_test(expr_eval__pathological_regex__unknown_not_hang),
		cmocka_unit_test(expr_eval__shared_expr__same_result_in_every_thread),
		cmocka_unit_test(expr_names__in_order__without_duplicates),
		cmocka_unit_test(expr_format_number__integers_and_decimals),
		cmocka_unit_test(expr_compile__syntax_errors__message_and_column),
		cmocka_unit_test(expr_compile__nesting__limited_to_64_levels),
		cmocka_unit_test(expr_compile__length__limited_to_4096),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
