/*
 * units.c - durations and sizes as written in configuration files and
 * rule expressions, and their formatting for humans.
 *
 * Durations: one or more <number><unit> groups ("250ms", "1.5h",
 * "1h30m"), units ms s m h d (lower case), or a plain number meaning
 * seconds.  Sizes: <number><unit> with B, K/KB/KiB, M/MB/MiB, G/GB/GiB,
 * T/TB/TiB (case-insensitive, powers of 1024), or a plain number of
 * bytes.  Numbers are decimal digits with an optional fraction; signs,
 * exponents, hex, "inf" and "nan" are refused, as is anything that would
 * overflow.  A single space between the number and the unit is allowed
 * so that the formatted forms ("1.5 GB") parse back.
 *
 * Nothing here allocates; the parsers only look at the given string.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

/* A decimal number "123" or "1.25": whole part and fraction. */
struct unum {
	uint64_t whole;
	double frac; /* 0 <= frac < 1 */
};

/* Parse digits [. digits] at *sp; advance *sp.  -1 if no number or the
   whole part overflows uint64_t. */
static int
unum_parse(const char **sp, struct unum *n)
{
	const char *s = *sp;
	uint64_t w = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		if (w > (UINT64_MAX - d) / 10)
			return -1;
		w = w * 10 + d;
		s++;
	}
	n->whole = w;
	n->frac = 0;
	if (*s == '.') {
		double scale = 0.1;
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9') {
			n->frac += (*s - '0') * scale;
			scale /= 10;
			s++;
		}
	}
	*sp = s;
	return 0;
}

/* n * mult, rounded to the nearest unit; -1 if above limit. */
static int
unum_scale(const struct unum *n, uint64_t mult, uint64_t limit, uint64_t *out)
{
	uint64_t v, f;

	if (n->whole > limit / mult)
		return -1;
	v = n->whole * mult;
	f = (uint64_t)llround(n->frac * (double)mult);
	if (f > limit - v)
		return -1;
	*out = v + f;
	return 0;
}

static const struct {
	const char *name;
	uint64_t ms;
} duration_units[] = {
	/* "ms" before "m" so that the longer unit wins */
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 60 * 60 * 1000 },
	{ "d", 24 * 60 * 60 * 1000 },
};

int
units_parse_duration_ms(const char *s, int64_t *ms_r)
{
	uint64_t total = 0;
	int groups = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		struct unum n;
		uint64_t part, mult = 0;
		size_t i, len = 0;

		if (unum_parse(&s, &n) < 0)
			return -1;
		if (*s == ' ')
			s++;
		for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
			len = strlen(duration_units[i].name);
			if (strncmp(s, duration_units[i].name, len) == 0) {
				mult = duration_units[i].ms;
				break;
			}
		}
		if (mult == 0) {
			/* a plain number of seconds, only on its own */
			if (*s != '\0' || groups > 0 || s[-1] == ' ')
				return -1;
			mult = 1000;
			len = 0;
		}
		s += len;
		if (unum_scale(&n, mult, (uint64_t)INT64_MAX, &part) < 0 ||
		    part > (uint64_t)INT64_MAX - total)
			return -1;
		total += part;
		groups++;
	}
	*ms_r = (int64_t)total;
	return 0;
}

int
units_parse_size(const char *s, uint64_t *bytes_r)
{
	static const char prefixes[] = "KMGT";
	struct unum n;
	uint64_t mult = 1;

	if (s == NULL || unum_parse(&s, &n) < 0)
		return -1;
	if (*s == ' ') {
		s++;
		if (*s == '\0')
			return -1;
	}
	if (*s != '\0' && strchr(prefixes, *s & ~0x20) != NULL) {
		/* K, KB, KiB (and M, G, T alike) */
		const char *u = strchr(prefixes, *s & ~0x20);
		int k;

		for (k = 0; k <= u - prefixes; k++)
			mult *= 1024;
		s++;
		if (*s == 'i' || *s == 'I') {
			s++;
			if (*s != 'b' && *s != 'B')
				return -1;
		}
	}
	if (*s == 'b' || *s == 'B')
		s++;
	if (*s != '\0')
		return -1;
	return unum_scale(&n, mult, UINT64_MAX, bytes_r);
}

/* Append "<v><unit>" at *off, never writing past size. */
static void
append_part(char *buf, unsigned size, size_t *off, uint64_t v, const char *unit)
{
	int r;

	if (*off >= size)
		return;
	r = snprintf(buf + *off, size - *off, "%llu%s", (unsigned long long)v, unit);
	if (r > 0)
		*off += (size_t)r;
}

void
units_format_duration(int64_t ms, char *buf, unsigned size)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} parts[] = {
		{ "d", 24 * 60 * 60 * 1000 },
		{ "h", 60 * 60 * 1000 },
		{ "m", 60 * 1000 },
		{ "s", 1000 },
		{ "ms", 1 },
	};
	uint64_t left;
	size_t off = 0, i;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (ms == 0) {
		snprintf(buf, size, "0s");
		return;
	}
	if (ms < 0) {
		if (size > 1) {
			buf[off++] = '-';
			buf[off] = '\0';
		}
		left = (uint64_t)(-(ms + 1)) + 1;
	} else {
		left = (uint64_t)ms;
	}
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		uint64_t q = left / parts[i].ms;
		if (q == 0)
			continue;
		append_part(buf, size, &off, q, parts[i].name);
		left -= q * parts[i].ms;
	}
}

void
units_format_size(double bytes, char *buf, unsigned size)
{
	static const char *const names[] = { "B", "KB", "MB", "GB", "TB" };
	const char *sign = "";
	double v;
	size_t u = 0;
	char num[64];
	char *dot;

	if (size == 0)
		return;
	if (!isfinite(bytes)) {
		snprintf(buf, size, "? B");
		return;
	}
	if (bytes < 0) {
		sign = "-";
		bytes = -bytes;
	}
	v = bytes;
	/* step up while the rounded figure would reach 1024 */
	while (u + 1 < sizeof(names) / sizeof(names[0]) && round(v * 100) / 100 >= 1024) {
		v /= 1024;
		u++;
	}
	if (u == 0) {
		snprintf(buf, size, "%s%.0f B", sign, v);
		return;
	}
	snprintf(num, sizeof(num), "%.2f", v);
	/* "1.50" -> "1.5", "2.00" -> "2" */
	dot = strchr(num, '.');
	if (dot != NULL) {
		char *end = num + strlen(num) - 1;
		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*dot = '\0';
	}
	snprintf(buf, size, "%s%s %s", sign, num, names[u]);
}
