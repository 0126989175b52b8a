/*
 * schema.h - table-driven decoding of a YAML map into a C struct.
 *
 * A table of struct sch_field maps keys to typed fields (by offset) with
 * defaults and bounds.  Unknown keys are errors ("did you mean ...?" when
 * a known key is close), wrong types and out-of-range values are errors,
 * missing required keys are errors; all of them are added to the cfgerr
 * list with FILE:LINE:COL and decoding continues.
 *
 * Field storage by type:
 *   SCH_STR       char *            (xstrdup'd; default copied)
 *   SCH_BOOL      bool              (true/false/yes/no/on/off)
 *   SCH_INT       long long         (bounds min/max when min < max)
 *   SCH_DOUBLE    double
 *   SCH_DURATION  int64_t, ms       ("10s"; bounds in ms)
 *   SCH_SIZE      uint64_t, bytes   ("256MB")
 *   SCH_ENUM      int               (index into choices)
 *   SCH_STRLIST   struct strlist    (a sequence of scalars, or one scalar)
 *   SCH_ARGV      struct strlist    (a sequence: argv; a single string is
 *                                    one argv[0] without shell splitting)
 *   SCH_REGEX     struct rx *       (compiled now; errors point at the column)
 *   SCH_PORT      int               (1..65535)
 *   SCH_NODE      const struct ynode * (raw node, for nested structures;
 *                                    not owned, valid while the tree lives)
 */
#ifndef MXSLA_SCHEMA_H
#define MXSLA_SCHEMA_H

#include <stddef.h>

struct ynode;
struct cfgerr;

enum sch_type {
	SCH_STR, SCH_BOOL, SCH_INT, SCH_DOUBLE, SCH_DURATION, SCH_SIZE,
	SCH_ENUM, SCH_STRLIST, SCH_ARGV, SCH_REGEX, SCH_PORT, SCH_NODE
};

struct sch_field {
	const char *key;
	enum sch_type type;
	size_t offset;
	int required;
	const char *def;                 /* default, written as in the file ("10s"); NULL = zero */
	double min, max;                 /* bounds when min < max (durations in ms, sizes in bytes) */
	const char *const *choices;      /* SCH_ENUM: NULL-terminated */
};

#define SCH_END { NULL, 0, 0, 0, NULL, 0, 0, NULL }

/* Decode map into out (a struct the fields point into; zero it first).
   Keys listed in ignore (NULL-terminated, may be NULL) are skipped.
   Returns 0 if no error was added, -1 otherwise.  Defaults are applied
   for absent keys even on error, so schema_free is always safe.
   A key with a null value ("key:" or "key: ~") counts as absent.  A map
   that is a null scalar counts as an empty map; NULL as an empty map
   without a location.  A default starting with "[" or "{" is read as
   YAML flow ("[a, b]"); any other default is one plain scalar. */
int schema_apply(const struct ynode *map, const struct sch_field *fields, void *out,
		 const char *const *ignore, struct cfgerr *errs);
/* Decode one value as a field would (used for defaults and lists): out is
   the struct base as for schema_apply; the value lands at
   out + field->offset.  Returns 0, or -1 after adding the error. */
int schema_decode_value(const struct ynode *node, const struct sch_field *field, void *out,
			struct cfgerr *errs);
/* Free what schema_apply allocated in out. */
void schema_free(const struct sch_field *fields, void *out);
/* Closest key to (key) among fields (and extra), or NULL if none is close. */
const char *schema_suggest(const char *key, const struct sch_field *fields, const char *const *extra);

#endif
