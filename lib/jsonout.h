/*
 * jsonout.h - small helpers around jansson shared by the agent and the
 * collector: observations as JSON objects, time stamps, dumping.
 */
#ifndef MXSLA_JSONOUT_H
#define MXSLA_JSONOUT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct obs;

/* {"name": value, ...} of the observation's metrics (new reference). */
json_t *jsonout_metrics(const struct obs *o);
/* Facts; when only is non-NULL (NULL-terminated), only those names. */
json_t *jsonout_facts(const struct obs *o, const char *const *only);
/* "2026-11-21T10:00:00Z" for epoch milliseconds (into buf of >= 32 bytes). */
void jsonout_iso8601(int64_t ms, char *buf, size_t size);
/* Print with a trailing newline; compact or indented.  Returns 0 or -1. */
int jsonout_dump(json_t *j, FILE *fp, int pretty);

#endif
