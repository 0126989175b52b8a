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
