/*
 * status.c - names of result statuses.
 */
#include <string.h>

#include "status.h"

static const char *const names[MX_NSTATUS] = { "ok", "warning", "critical", "unknown", "nodata" };

const char *
status_name(int status)
{
	if (status < 0 || status >= MX_NSTATUS)
		return "?";
	return names[status];
}

int
status_parse(const char *s)
{
	for (int i = 0; i < MX_NSTATUS; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int
status_severity_rank(int status)
{
	switch (status) {
	case MX_OK:
		return 0;
	case MX_WARNING:
		return 1;
	case MX_CRITICAL:
		return 3;
	default:
		return 2;
	}
}
