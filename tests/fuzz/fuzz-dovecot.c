/*
 * fuzz-dovecot.c - fuzz target: Dovecot replication status
 * (agent/copy_dovecot.c): the overview of `doveadm replicator status`
 * (copy_dovecot_parse_replicator), and the same bytes as the stderr of a
 * failed `doveadm sync` (copy_dovecot_sync_report, copy_first_line).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "fuzz.h"
#include "obs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t last_success_ms = 1699999000000LL;
	char *text, *err = NULL, *first;
	struct obs o;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	text = fuzz_cstr(data, size);
	obs_init(&o);
	if (copy_dovecot_parse_replicator(text, &o, &err) < 0 && err == NULL)
		abort(); /* -1 comes with a reason */
	free(err);
	obs_free(&o);

	obs_init(&o);
	copy_dovecot_sync_report(1, 75, text, NULL, 1700000000000LL, &last_success_ms, &o);
	obs_free(&o);
	obs_init(&o);
	copy_dovecot_sync_report(0, 0, "", text, 1700000000000LL, &last_success_ms, &o);
	obs_free(&o);

	first = copy_first_line(text);
	if (first == NULL || strlen(first) > 512)
		abort();
	free(first);
	free(text);
	return 0;
}
