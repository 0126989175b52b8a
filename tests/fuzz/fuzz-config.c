/*
 * fuzz-config.c - fuzz target: the `config` probe's parsers
 * (config_parse in agent/probe_config.c) for every syntax: postconf,
 * doveconf (nested sections) and key = value files, each with every key
 * and with a keys filter of names and globs.
 */
#include "config.h"

#include <stdlib.h>

#include "config_probe.h"
#include "fuzz.h"
#include "obs.h"
#include "strlist.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum config_syntax syntaxes[] = {CONFIG_SYNTAX_POSTCONF,
	                                              CONFIG_SYNTAX_DOVECONF, CONFIG_SYNTAX_FILE};
	struct strlist keys;

	if (size > CONFIG_FILE_MAX)
		return 0;
	strlist_init(&keys);
	strlist_add(&keys, "smtpd_tls_*");
	strlist_add(&keys, "ssl");
	strlist_add(&keys, "service.*.inet_listener.*");
	strlist_add(&keys, "global.*");
	for (size_t i = 0; i < sizeof(syntaxes) / sizeof(syntaxes[0]); i++) {
		for (int filtered = 0; filtered <= 1; filtered++) {
			struct obs o;
			int rc;

			obs_init(&o);
			rc = config_parse(syntaxes[i], (const char *)data, size,
			                  filtered ? &keys : NULL, &o);
			if (rc < 0 && o.error == NULL)
				abort(); /* -1 comes with obs_error */
			obs_free(&o);
		}
	}
	strlist_free(&keys);
	return 0;
}
