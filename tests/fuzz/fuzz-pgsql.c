/*
 * fuzz-pgsql.c - fuzz target: psql's unaligned output of the replication
 * queries (agent/copy_pgsql.c): copy_pgsql_parse_primary (one row per
 * standby, with 0, 1 and 3 standbys required) and
 * copy_pgsql_parse_standby (one row).
 */
#include "config.h"

#include <stdlib.h>

#include "copy.h"
#include "fuzz.h"
#include "obs.h"

/* The default WAL segment size. */
#define SEG (16.0 * 1024 * 1024)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long long min_standbys[] = {0, 1, 3};
	char *text, *err;
	struct obs o;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	text = fuzz_cstr(data, size);
	for (size_t i = 0; i < sizeof(min_standbys) / sizeof(min_standbys[0]); i++) {
		err = NULL;
		obs_init(&o);
		if (copy_pgsql_parse_primary(text, min_standbys[i], SEG, &o, &err) < 0 &&
		    err == NULL)
			abort(); /* -1 comes with a reason */
		free(err);
		obs_free(&o);
	}
	err = NULL;
	obs_init(&o);
	if (copy_pgsql_parse_standby(text, SEG, &o, &err) < 0 && err == NULL)
		abort();
	free(err);
	obs_free(&o);
	free(text);
	return 0;
}
