/*
 * test-units.c - durations and sizes: every unit, the refusals (negative,
 * overflow, garbage) and the human formats.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "units.h"

static void
units_parse_duration__every_unit__gives_milliseconds(void **state)
{
	static const struct {
		const char *in;
		int64_t ms;
	} cases[] = {
		{ "250ms", 250 },
		{ "0ms", 0 },
		{ "10s", 10000 },
		{ "5m", 300000 },
		{ "2h", 7200000 },
		{ "1d", 86400000 },
		{ "30", 30000 },       /* plain number: seconds */
		{ "0", 0 },
		{ "0.5", 500 },
		{ "1.5h", 5400000 },
		{ "0.25s", 250 },
		{ "1.5ms", 2 },        /* rounded to the nearest millisecond */
		{ "1h30m", 5400000 },
		{ "1d2h3m4s5ms", 93784005 },
		{ "10 s", 10000 },     /* one space before the unit */
		{ "106751991167d", 106751991167LL * 86400000 },
		{ "9223372036854775807ms", INT64_MAX },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = -1;

		if (units_parse_duration_ms(cases[i].in, &ms) != 0)
			fail_msg("'%s' refused", cases[i].in);
		if (ms != cases[i].ms)
			fail_msg("'%s' -> %lld, want %lld", cases[i].in, (long long)ms,
				 (long long)cases[i].ms);
	}
}

static void
units_parse_duration__bad_input__refused_and_output_untouched(void **state)
{
	static const char *const bad[] = {
		"", "-5s", "-1", "+5s", "s", "ms", ".5s", "5.s", "5x", "5 ", " 5", "5  s",
		"5S", "5H", "5sec", "5min", "1h30", "10s5", "1e3", "0x10", "inf", "nan",
		"5us", "abc", "1,5s", "1d 2h",
		"9223372036854775808ms",          /* INT64_MAX + 1 */
		"106751991168d",                  /* over INT64_MAX ms */
		"99999999999999999999999s",       /* digits overflow */
		"9223372036854775807ms1ms",       /* the sum overflows */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = 42;

		if (units_parse_duration_ms(bad[i], &ms) != -1)
			fail_msg("'%s' accepted as %lld", bad[i], (long long)ms);
		assert_int_equal(ms, 42);
	}
	assert_int_equal(units_parse_duration_ms(NULL, NULL), -1);
}

static void
units_parse_size__every_unit__gives_bytes(void **state)
{
	static const struct {
		const char *in;
		uint64_t bytes;
	} cases[] = {
		{ "512", 512 },
		{ "0", 0 },
		{ "512B", 512 },
		{ "512b", 512 },
		{ "64KB", 64 * 1024ULL },
		{ "64K", 64 * 1024ULL },
		{ "64KiB", 64 * 1024ULL },
		{ "64kb", 64 * 1024ULL },
		{ "64kib", 64 * 1024ULL },
		{ "256MB", 256 * 1024ULL * 1024 },
		{ "256M", 256 * 1024ULL * 1024 },
		{ "256MiB", 256 * 1024ULL * 1024 },
		{ "1GB", 1024ULL * 1024 * 1024 },
		{ "1G", 1024ULL * 1024 * 1024 },
		{ "1GiB", 1024ULL * 1024 * 1024 },
		{ "2TB", 2 * 1024ULL * 1024 * 1024 * 1024 },
		{ "2T", 2 * 1024ULL * 1024 * 1024 * 1024 },
		{ "2TiB", 2 * 1024ULL * 1024 * 1024 * 1024 },
		{ "1.5GB", 1536ULL * 1024 * 1024 },
		{ "1.5 GB", 1536ULL * 1024 * 1024 },
		{ "512 B", 512 },
		{ "18446744073709551615", UINT64_MAX },
		{ "16777215TB", 16777215ULL << 40 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t b = 1;

		if (units_parse_size(cases[i].in, &b) != 0)
			fail_msg("'%s' refused", cases[i].in);
		if (b != cases[i].bytes)
			fail_msg("'%s' -> %llu, want %llu", cases[i].in, (unsigned long long)b,
				 (unsigned long long)cases[i].bytes);
	}
}

static void
units_parse_size__bad_input__refused_and_output_untouched(void **state)
{
	static const char *const bad[] = {
		"", "-1", "-1KB", "+1KB", "KB", "1XB", "1PB", "1KBB", "1Ki", "1KiBs", "1 ",
		" 1", "1  KB", "1.KB", ".5KB", "1e3", "0x10", "abc", "1,5GB",
		"18446744073709551616",  /* UINT64_MAX + 1 */
		"16777216TB",            /* 2^64 bytes */
		"99999999999999999999999B",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t b = 42;

		if (units_parse_size(bad[i], &b) != -1)
			fail_msg("'%s' accepted as %llu", bad[i], (unsigned long long)b);
		assert_int_equal(b, 42);
	}
	assert_int_equal(units_parse_size(NULL, NULL), -1);
}

static void
units_format_duration__largest_units_first(void **state)
{
	static const struct {
		int64_t ms;
		const char *out;
	} cases[] = {
		{ 0, "0s" },
		{ 250, "250ms" },
		{ 45000, "45s" },
		{ 90000, "1m30s" },
		{ 5400000, "1h30m" },
		{ 3600000, "1h" },
		{ 172800000, "2d" },
		{ 93784005, "1d2h3m4s5ms" },
		{ -90000, "-1m30s" },
		{ INT64_MIN, "-106751991167d7h12m55s808ms" },
	};
	size_t i;
	char buf[64];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		units_format_duration(cases[i].ms, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].out);
	}
}

static void
units_format_duration__round_trips_through_parse(void **state)
{
	static const int64_t values[] = { 1, 999, 1000, 61001, 86399999, 86400000 * 365LL };
	size_t i;
	char buf[64];

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		int64_t back = -1;

		units_format_duration(values[i], buf, sizeof(buf));
		assert_int_equal(units_parse_duration_ms(buf, &back), 0);
		assert_int_equal(back, values[i]);
	}
}

static void
units_format_duration__small_buffer__truncated_and_terminated(void **state)
{
	char buf[4];

	units_format_duration(5400000, buf, sizeof(buf));
	assert_string_equal(buf, "1h3");
	units_format_duration(-1000, buf, 1);
	assert_string_equal(buf, "");
}

static void
units_format_size__binary_units(void **state)
{
	static const struct {
		double bytes;
		const char *out;
	} cases[] = {
		{ 0, "0 B" },
		{ 512, "512 B" },
		{ 1023, "1023 B" },
		{ 1024, "1 KB" },
		{ 1536, "1.5 KB" },
		{ 256.0 * 1024 * 1024, "256 MB" },
		{ 1536.0 * 1024 * 1024, "1.5 GB" },
		{ 1.25 * 1024 * 1024 * 1024, "1.25 GB" },
		{ 2.0 * 1024 * 1024 * 1024 * 1024, "2 TB" },
		{ 4096.0 * 1024 * 1024 * 1024 * 1024, "4096 TB" },
		{ 1024.0 * 1024 - 1, "1 MB" },      /* 1023.999 KB rounds up to the next unit */
		{ -2048, "-2 KB" },
	};
	size_t i;
	char buf[64];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		units_format_size(cases[i].bytes, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].out);
	}
}

static void
units_format_size__round_trips_through_parse(void **state)
{
	char buf[64];
	uint64_t back = 0;

	units_format_size(1536.0 * 1024 * 1024, buf, sizeof(buf));
	assert_int_equal(units_parse_size(buf, &back), 0);
	assert_int_equal(back, 1536ULL * 1024 * 1024);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(units_parse_duration__every_unit__gives_milliseconds),
		cmocka_unit_test(units_parse_duration__bad_input__refused_and_output_untouched),
		cmocka_unit_test(units_parse_size__every_unit__gives_bytes),
		cmocka_unit_test(units_parse_size__bad_input__refused_and_output_untouched),
		cmocka_unit_test(units_format_duration__largest_units_first),
		cmocka_unit_test(units_format_duration__round_trips_through_parse),
		cmocka_unit_test(units_format_duration__small_buffer__truncated_and_terminated),
		cmocka_unit_test(units_format_size__binary_units),
		cmocka_unit_test(units_format_size__round_trips_through_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
