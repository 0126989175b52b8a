/*
 * fuzz-service.c - fuzz target: what a mail, web or TCP server sends
 * (agent/probe_service.c: service_parse_responses and
 * service_greeting_complete, for every protocol), and a certificate's
 * CERTINFO entries as libcurl hands them over (service_cert_from_entries,
 * service_cert_parse_date; agent/service_curl.c), one entry per line.
 *
 * The agent keeps at most SERVICE_TRANSCRIPT_MAX bytes of a transcript,
 * so larger inputs are not tried.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "service.h"

#define ENTRIES_MAX 256

static void
certinfo(char *text)
{
	const char *entries[ENTRIES_MAX];
	size_t n = 0;
	struct service_result res;
	time_t t;

	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL && n < ENTRIES_MAX;
	     l = strtok_r(NULL, "\n", &save)) {
		entries[n++] = l;
		(void)service_cert_parse_date(l, &t);
	}
	memset(&res, 0, sizeof(res));
	service_cert_from_entries(entries, n, (time_t)1795255200, &res);
	service_result_free(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size > SERVICE_TRANSCRIPT_MAX)
		return 0;
	for (int p = 0; p < SVC_PROTO_COUNT; p++) {
		struct service_reply r;

		memset(&r, 0, sizeof(r));
		service_parse_responses((enum service_proto)p, (const char *)data, size, &r);
		service_reply_free(&r);
		(void)service_greeting_complete((enum service_proto)p, (const char *)data, size);
	}
	text = fuzz_cstr(data, size);
	certinfo(text);
	free(text);
	return 0;
}
