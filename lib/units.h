/*
 * units.h - durations ("ms s m h d") and sizes ("B KB MB GB TB", powers
 * of 1024) as written in configuration files and rule expressions.
 */
#ifndef MXSLA_UNITS_H
#define MXSLA_UNITS_H

#include <stdint.h>

/* "250ms", "10s", "5m", "2h", "1d", plain "30" = seconds.  Whole string
   must match.  Returns 0 and stores milliseconds, or -1. */
int units_parse_duration_ms(const char *s, int64_t *ms_r);
/* "512B" "64KB" "256MB" "1GB" "2TB"; plain "100" = bytes; K/M/G/T and
   KiB/MiB/... accepted too.  Returns 0 and stores bytes, or -1. */
int units_parse_size(const char *s, uint64_t *bytes_r);
/* Format a duration for humans: "90s" -> "1m30s", "3600000ms" -> "1h". */
void units_format_duration(int64_t ms, char *buf, unsigned size);
/* Format bytes for humans with a binary unit: "1.5 GB". */
void units_format_size(double bytes, char *buf, unsigned size);

#endif
