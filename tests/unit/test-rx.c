/*
 * test-rx.c - the PCRE2 wrapper: flags, compile errors with offsets,
 * named and numbered groups, and the match limit on a pathological pattern.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "rx.h"
#include "testutil.h"

static int
match(const struct rx *rx, const char *s)
{
	return rx_match(rx, s, strlen(s));
}

static void
rx_match__plain_pattern__matches_substring_only(void **state)
{
	struct rx *rx = tu_rx("ESMTP", 0);

	(void)state;
	assert_string_equal(rx_pattern(rx), "ESMTP");
	assert_int_equal(match(rx, "220 mx.example.org ESMTP Postfix"), 1);
	assert_int_equal(match(rx, "220 mx.example.org esmtp"), 0);
	assert_int_equal(match(rx, ""), 0);
	/* the length given is honoured, not the terminator */
	assert_int_equal(rx_match(rx, "ESMTP", 4), 0);
	rx_free(rx);
}

static void
rx_parse_flags__each_letter__maps_to_its_flag(void **state)
{
	unsigned flags = 99;
	char bad = 0;

	(void)state;
	assert_int_equal(rx_parse_flags("", &flags, &bad), 0);
	assert_int_equal(flags, 0);
	assert_int_equal(rx_parse_flags("imsx", &flags, &bad), 0);
	assert_int_equal(flags, RX_CASELESS | RX_MULTILINE | RX_DOTALL | RX_EXTENDED);
	assert_int_equal(rx_parse_flags("i", &flags, &bad), 0);
	assert_int_equal(flags, RX_CASELESS);
	assert_int_equal(rx_parse_flags("iq", &flags, &bad), -1);
	assert_int_equal(bad, 'q');
}

static void
rx_compile__flags__change_matching(void **state)
{
	struct rx *rx;

	(void)state;
	rx = tu_rx("esmtp", RX_CASELESS);
	assert_int_equal(match(rx, "220 ESMTP"), 1);
	rx_free(rx);

	rx = tu_rx("^b$", 0);
	assert_int_equal(match(rx, "a\nb"), 0);
	rx_free(rx);
	rx = tu_rx("^b$", RX_MULTILINE);
	assert_int_equal(match(rx, "a\nb"), 1);
	rx_free(rx);

	rx = tu_rx("a.b", 0);
	assert_int_equal(match(rx, "a\nb"), 0);
	rx_free(rx);
	rx = tu_rx("a.b", RX_DOTALL);
	assert_int_equal(match(rx, "a\nb"), 1);
	rx_free(rx);

	rx = tu_rx("E S M T P # comment", RX_EXTENDED);
	assert_int_equal(match(rx, "ESMTP"), 1);
	rx_free(rx);
}

static void
rx_compile__bad_pattern__error_and_offset(void **state)
{
	char *err = NULL;
	size_t off = 99;

	(void)state;
	assert_null(rx_compile("(ab", 0, &err, &off));
	assert_string_equal(err, "missing closing parenthesis");
	assert_int_equal(off, 3);
	free(err);

	err = NULL;
	assert_null(rx_compile("a{2,1}", 0, &err, &off));
	assert_string_equal(err, "numbers out of order in {} quantifier");
	assert_int_equal(off, 5);
	free(err);
}

static void
rx_match__invalid_utf8_subject__matches_bytes(void **state)
{
	struct rx *rx = tu_rx("b.d", 0);

	(void)state;
	assert_int_equal(match(rx, "ab\xff" "d"), 1);
	assert_int_equal(match(rx, "\xc3(b\xc3" "d"), 1);
	rx_free(rx);
}

static void
rx_match__pathological_pattern__returns_error_quickly(void **state)
{
	struct rx *rx = tu_rx("^(a+)+$", 0);
	char subject[64];
	struct timespec t0, t1;
	double secs;

	(void)state;
	memset(subject, 'a', 40);
	subject[40] = 'b';
	subject[41] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(match(rx, subject), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs < 5.0);
	/* the limit does not hurt the same pattern on benign input */
	subject[40] = '\0';
	assert_int_equal(match(rx, subject), 1);
	rx_free(rx);
}

struct seen {
	char names[4][16];
	char values[4][32];
	int n;
};

static void
collect(void *ctx, const char *name, const char *value, size_t vlen)
{
	struct seen *s = ctx;

	assert_true(s->n < 4);
	assert_true(vlen < sizeof(s->values[0]));
	strcpy(s->names[s->n], name);
	memcpy(s->values[s->n], value, vlen);
	s->values[s->n][vlen] = '\0';
	s->n++;
}

static void
rx_match_groups__named_groups__reported_in_name_order(void **state)
{
	struct rx *rx = tu_rx("^(?<queue>\\w+): (?<count>\\d+)(?: oldest (?<age>\\d+))?", 0);
	struct seen s;
	const char *line = "deferred: 137";

	(void)state;
	assert_int_equal(rx_group_count(rx), 3);
	assert_string_equal(rx_group_name(rx, 0), "age");
	assert_string_equal(rx_group_name(rx, 1), "count");
	assert_string_equal(rx_group_name(rx, 2), "queue");
	assert_null(rx_group_name(rx, 3));

	memset(&s, 0, sizeof(s));
	assert_int_equal(rx_match_groups(rx, line, strlen(line), collect, &s), 1);
	/* "age" did not take part, so it is not reported */
	assert_int_equal(s.n, 2);
	assert_string_equal(s.names[0], "count");
	assert_string_equal(s.values[0], "137");
	assert_string_equal(s.names[1], "queue");
	assert_string_equal(s.values[1], "deferred");

	memset(&s, 0, sizeof(s));
	line = "deferred: 5 oldest 3600";
	assert_int_equal(rx_match_groups(rx, line, strlen(line), collect, &s), 1);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.names[0], "age");
	assert_string_equal(s.values[0], "3600");

	memset(&s, 0, sizeof(s));
	line = "no queue here";
	assert_int_equal(rx_match_groups(rx, line, strlen(line), collect, &s), 0);
	assert_int_equal(s.n, 0);
	rx_free(rx);
}

static void
rx_match_group_n__numbered_group__copied_or_null(void **state)
{
	struct rx *rx = tu_rx("(\\d+) (x)?(\\w+)", 0);
	const char *line = "250 SIZE";
	char *g;

	(void)state;
	assert_int_equal(rx_group_count(rx), 0);
	g = rx_match_group_n(rx, line, strlen(line), 1);
	assert_string_equal(g, "250");
	free(g);
	g = rx_match_group_n(rx, line, strlen(line), 3);
	assert_string_equal(g, "SIZE");
	free(g);
	/* unset group, group 0, group past the last, no match */
	assert_null(rx_match_group_n(rx, line, strlen(line), 2));
	assert_null(rx_match_group_n(rx, line, strlen(line), 0));
	assert_null(rx_match_group_n(rx, line, strlen(line), 4));
	assert_null(rx_match_group_n(rx, "nothing", 7, 1));
	rx_free(rx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rx_match__plain_pattern__matches_substring_only),
		cmocka_unit_test(rx_parse_flags__each_letter__maps_to_its_flag),
		cmocka_unit_test(rx_compile__flags__change_matching),
		cmocka_unit_test(rx_compile__bad_pattern__error_and_offset),
		cmocka_unit_test(rx_match__invalid_utf8_subject__matches_bytes),
		cmocka_unit_test(rx_match__pathological_pattern__returns_error_quickly),
		cmocka_unit_test(rx_match_groups__named_groups__reported_in_name_order),
		cmocka_unit_test(rx_match_group_n__numbered_group__copied_or_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
