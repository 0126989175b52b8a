/*
 * fuzz-exim.c - fuzz target: `exim -bp` output (queue_exim_parse in
 * agent/queue_exim.c, with its age and size columns), as a complete
 * listing and as one cut at max_output.
 */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"
#include "obs.h"
#include "queue.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_INPUT_MAX)
		return 0;
	for (int truncated = 0; truncated <= 1; truncated++) {
		struct obs o;
		int rc;

		obs_init(&o);
		rc = queue_exim_parse((const char *)data, size, truncated, &o);
		if (rc < 0 && o.error == NULL)
			abort(); /* -1 comes with obs_error */
		obs_free(&o);
	}
	/* the column parsers on their own, on the first few bytes */
	(void)queue_exim_age_s((const char *)data, size < 16 ? size : 16);
	(void)queue_exim_size((const char *)data, size < 16 ? size : 16);
	return 0;
}
