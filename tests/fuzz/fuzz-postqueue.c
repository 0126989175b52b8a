/*
 * fuzz-postqueue.c - fuzz target: `postqueue -j` output
 * (queue_postfix_parse in agent/queue_postfix.c) and the reason picked
 * from the stderr of a failed postqueue (subproc_stderr_reason in
 * lib/subproc.c, which every probe running a program uses).
 *
 * The input is the program's output, parsed both as a complete listing
 * and as one cut at max_output (truncated).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "obs.h"
#include "queue.h"
#include "subproc.h"

/* 2023-11-14, after the arrival times of the seeds. */
#define NOW_S 1700000000

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obs o;
	char *text, *reason;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	for (int truncated = 0; truncated <= 1; truncated++) {
		int rc;

		obs_init(&o);
		rc = queue_postfix_parse((const char *)data, size, NOW_S, truncated, &o);
		if (rc < 0 && o.error == NULL)
			abort(); /* -1 comes with obs_error */
		obs_free(&o);
	}
	text = fuzz_cstr(data, size);
	reason = subproc_stderr_reason(text);
	if (reason != NULL && strlen(reason) > 512)
		abort();
	free(reason);
	free(text);
	return 0;
}
