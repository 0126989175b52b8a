/*
 * fuzz-command.c - fuzz target: the `command` drivers of the queue and
 * copy probes (queue_command_parse in agent/queue_command.c,
 * copy_command_parse in agent/copy_command.c), which turn the named
 * groups of a site's pattern into metrics and facts.
 *
 * The patterns are typical site patterns, compiled once (as the agent
 * compiles them when it loads agent.yaml); the input is the program's
 * output.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "copy.h"
#include "fuzz.h"
#include "obs.h"
#include "queue.h"
#include "rx.h"

static const char *const patterns[] = {
    /* a copy status line: status word, queue lengths, lag */
    "(?m)^(?<status>[A-Za-z ]+?)\\s+(?<copy_queue>\\S+)\\s+(?<replay_queue>\\S+)?"
    "(?:\\s+(?<lag_s>[-+.0-9eE]+))?\\s*$",
    /* numbers anywhere, one of them `healthy` */
    "(?s)(?<healthy>-?\\d+(?:\\.\\d*)?).*?(?<total>\\S+)",
    /* exim -bpc style count, or an error line as a fact */
    "(?<total>\\d+)|(?<last_error>[^\\n]*error[^\\n]*)",
};

static struct rx *compiled[sizeof(patterns) / sizeof(patterns[0])];

static void
compile_once(void)
{
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		char *err = NULL;
		size_t off = 0;

		if (compiled[i] != NULL)
			continue;
		compiled[i] = rx_compile(patterns[i], 0, &err, &off);
		if (compiled[i] == NULL) {
			fprintf(stderr, "pattern %zu: %s at %zu\n", i, err, off);
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_INPUT_MAX)
		return 0;
	compile_once();
	for (size_t i = 0; i < sizeof(compiled) / sizeof(compiled[0]); i++) {
		struct obs o;
		char *err = NULL;
		int rc;

		obs_init(&o);
		rc = queue_command_parse(compiled[i], (const char *)data, size, &o);
		if (rc < 0 && o.error == NULL)
			abort(); /* -1 comes with obs_error */
		obs_free(&o);
		obs_init(&o);
		if (copy_command_parse(compiled[i], (const char *)data, size, &o, &err) < 0 &&
		    err == NULL)
			abort(); /* -1 comes with a reason */
		free(err);
		obs_free(&o);
	}
	return 0;
}
