/*
 * fuzz-drbd.c - fuzz target: DRBD status (agent/copy_drbd.c): the JSON of
 * DRBD 9's `drbdsetup status --json` (copy_drbd_parse_json) for the
 * resource names of the seeds, and DRBD 8's /proc/drbd
 * (copy_drbd_parse_proc) for the first few minors.
 */
#include "config.h"

#include <stdlib.h>

#include "copy.h"
#include "fuzz.h"
#include "obs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const resources[] = {"r0", "1-single-0", ""};
	char *text;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
		struct obs o;
		char *err = NULL;

		obs_init(&o);
		if (copy_drbd_parse_json((const char *)data, size, resources[i], &o, &err) < 0 &&
		    err == NULL)
			abort(); /* -1 comes with a reason */
		free(err);
		obs_free(&o);
	}
	text = fuzz_cstr(data, size);
	for (int minor = 0; minor <= 2; minor++) {
		struct obs o;
		char *err = NULL;

		obs_init(&o);
		if (copy_drbd_parse_proc(text, minor, &o, &err) < 0 && err == NULL)
			abort();
		free(err);
		obs_free(&o);
	}
	free(text);
	return 0;
}
