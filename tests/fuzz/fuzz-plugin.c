/*
 * fuzz-plugin.c - fuzz target: a Nagios / Monitoring Plugins program's
 * standard output (plugin_parse_output in agent/probe_plugin.c: text,
 * long text and perfdata) and one perfdata string on its own
 * (plugin_parse_perfdata).
 */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"
#include "obs.h"
#include "plugin.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obs o;

	if (size > PLUGIN_OUTPUT_MAX)
		return 0;
	obs_init(&o);
	plugin_parse_output((const char *)data, size, &o);
	obs_free(&o);
	obs_init(&o);
	(void)plugin_parse_perfdata((const char *)data, size, &o);
	obs_free(&o);
	return 0;
}
