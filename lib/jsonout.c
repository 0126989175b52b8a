/*
 * jsonout.c - JSON helpers (see jsonout.h).
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "jsonout.h"
#include "obs.h"

json_t *
jsonout_metrics(const struct obs *o)
{
	json_t *j = json_object();

	for (size_t i = 0; i < o->nm; i++) {
		double v = o->m[i].value;
		json_t *num;

		if (!isfinite(v))
			continue;
		if (v == floor(v) && fabs(v) < 9.0e15)
			num = json_integer((json_int_t)v);
		else
			num = json_real(v);
		json_object_set_new(j, o->m[i].name, num);
	}
	return j;
}

json_t *
jsonout_facts(const struct obs *o, const char *const *only)
{
	json_t *j = json_object();

	for (size_t i = 0; i < o->nf; i++) {
		int keep = only == NULL;
		for (size_t k = 0; only != NULL && only[k] != NULL && !keep; k++)
			if (strcmp(only[k], o->f[i].name) == 0)
				keep = 1;
		if (keep)
			json_object_set_new(j, o->f[i].name, json_string(o->f[i].value));
	}
	return j;
}

void
jsonout_iso8601(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
jsonout_dump(json_t *j, FILE *fp, int pretty)
{
	size_t flags = JSON_PRESERVE_ORDER | (pretty ? JSON_INDENT(2) : JSON_COMPACT);

	if (json_dumpf(j, fp, flags) < 0)
		return -1;
	fputc('\n', fp);
	return 0;
}
