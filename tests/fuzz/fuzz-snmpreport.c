/*
 * fuzz-snmpreport.c - fuzz target: snmp_report_engine_id, which reads the
 * Report a v3 receiver answers to the collector's engine discovery (a UDP
 * datagram from the network, so any bytes).
 *
 * The input is tried as it is, with the msgID of the seed (42) and with
 * another.  The promises checked: the answer is -1 or a length of 5 to
 * SNMP_ENGINE_ID_MAX; an engine ID returned is a run of the input's
 * bytes; a message accepted for msgID 42 is refused for msgID 43 unless
 * it carries that one too (it cannot carry both).  A broken promise
 * aborts.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "snmp.h"

/* One UDP datagram. */
#define REPORT_INPUT_MAX 65536

static int
inside(const uint8_t *hay, size_t n, const unsigned char *needle, size_t len)
{
	for (size_t i = 0; i + len <= n; i++)
		if (memcmp(hay + i, needle, len) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char a[SNMP_ENGINE_ID_MAX], b[SNMP_ENGINE_ID_MAX];
	int ra, rb;

	if (size > REPORT_INPUT_MAX)
		return 0;
	ra = snmp_report_engine_id(data, size, 42, a);
	rb = snmp_report_engine_id(data, size, 43, b);
	if (ra != -1 && (ra < 5 || ra > SNMP_ENGINE_ID_MAX || !inside(data, size, a, (size_t)ra)))
		abort();
	if (rb != -1 && (rb < 5 || rb > SNMP_ENGINE_ID_MAX || !inside(data, size, b, (size_t)rb)))
		abort();
	if (ra != -1 && rb != -1)
		abort();
	return 0;
}
