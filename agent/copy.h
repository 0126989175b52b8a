/*
 * copy.h - the `copy` probe: replication copy status, in the vocabulary
 * of Exchange 2007's Get-StorageGroupCopyStatus (SummaryCopyStatus,
 * CopyQueueLength, ReplayQueueLength), measured on Linux replication.
 *
 * agent/probe_copy.c holds the probe kind and the driver table; each
 * driver lives in its own file:
 *   copy_logship.c  source and replica log directories (Exchange LCR/CCR,
 *                   WAL archive shipping): generations in file names
 *   copy_drbd.c     DRBD 9 `drbdsetup status --json`, DRBD 8 /proc/drbd
 *   copy_pgsql.c    PostgreSQL streaming replication through psql
 *   copy_dovecot.c  Dovecot replicator (<= 2.3) or `doveadm sync` (2.4)
 *   copy_command.c  any command + a PCRE2 pattern with named groups
 *
 * Every driver reports metric `healthy` (0/1) and fact `status`; the rest
 * (copy_queue, replay_queue, lag_s, out_of_sync_kb, ...) where the source
 * has it.  Parsing is done by pure functions declared here so that unit
 * tests can feed them captured outputs without running anything.
 */
#ifndef MXSLA_COPY_H
#define MXSLA_COPY_H

#include <stddef.h>
#include <stdint.h>

struct obs;
struct rx;
struct ynode;
struct cfgerr;
struct sch_field;
struct target;

/* SummaryCopyStatus values, from best to worst (copy_status_worse
   relies on this order). */
enum copy_status {
	COPY_HEALTHY = 0,
	COPY_INITIALIZING,
	COPY_SEEDING,
	COPY_RESYNCHRONIZING,
	COPY_SUSPENDED,
	COPY_DISCONNECTED,
	COPY_STOPPED,
	COPY_SERVICEDOWN,
	COPY_FAILED,
	COPY_STATUS_COUNT
};

/* "Healthy", "Initializing", ..., "ServiceDown", "Failed" (static). */
const char *copy_status_name(enum copy_status st);
/* Parse a status name, case-insensitively; "Service Down" (with a space,
   as Exchange SP1 prints it) is accepted too.  Returns 0 or -1. */
int copy_status_parse(const char *s, size_t len, enum copy_status *st_r);
/* The worse of two statuses. */
enum copy_status copy_status_worse(enum copy_status a, enum copy_status b);
/* Set fact `status` and metric `healthy` (1 only for Healthy). */
void copy_report_status(struct obs *o, enum copy_status st);
/* First line of a program's stderr (or out), trimmed, at most 512 bytes,
   xmalloc'd; "" when there is none. */
char *copy_first_line(const char *text);

/* ---- drivers ---------------------------------------------------------- */

/* One driver.  probe_copy.c decodes `driver:` itself and hands the rest
   of the target's map to schema_apply with (fields) into a zeroed
   conf_size block. */
struct copy_driver {
	const char *name;
	const struct sch_field *fields;
	size_t conf_size;
	/* Checks after schema_apply (may add errors); NULL if none.
	   Returns 0 or -1. */
	int (*configure)(void *conf, const struct ynode *map, struct cfgerr *errs);
	/* One run; *state is the driver's memory between runs. */
	void (*run)(const void *conf, const struct target *t, void **state, struct obs *o);
	void (*free_state)(void *state); /* NULL: free() */
};

extern const struct copy_driver copy_driver_logship;
extern const struct copy_driver copy_driver_drbd;
extern const struct copy_driver copy_driver_pgsql;
extern const struct copy_driver copy_driver_dovecot;
extern const struct copy_driver copy_driver_command;

/* ---- logship ------------------------------------------------------------ */

/* Directory listings stop with an error past this many entries. */
#define COPY_LOGSHIP_MAX_ENTRIES 1000000

/* The generation in a log file name: the named group `gen` of (pattern),
   else its group 1, read in (base) 10 or 16.  Returns 1 and *gen_r when
   the name matches and the number fits 63 bits, 0 otherwise. */
int copy_logship_generation(const struct rx *pattern, int base, const char *name, int64_t *gen_r);

/* What one directory scan found among names that match the pattern. */
struct copy_logship_dir {
	size_t count;       /* matching logs */
	int64_t high;       /* highest generation (-1 if none) */
	int64_t high_mtime; /* its mtime, seconds */
	int64_t low;        /* lowest generation (-1 if none) */
	int64_t next;       /* lowest generation > (after) given to the scan, -1 if none */
	int64_t next_mtime; /* its mtime */
};

/* Scan (dir): every entry whose name matches.  (after) selects which
   generation is reported in next/next_mtime (-1: the lowest).
   Returns 0, or -1 with *error_r (xmalloc'd) when the directory cannot
   be read or holds more than COPY_LOGSHIP_MAX_ENTRIES entries. */
int copy_logship_scan(const char *dir, const struct rx *pattern, int base, int64_t after,
                      struct copy_logship_dir *out, char **error_r);

/* Read a `replayed` file: its trimmed content is either a generation
   number in (base) or a log file name that (pattern) matches.  At most
   256 bytes are read.  Returns 0 and *gen_r, or -1 and *error_r. */
int copy_logship_read_replayed(const char *path, const struct rx *pattern, int base, int64_t *gen_r,
                               char **error_r);

/* Everything the logship driver knows after looking. */
struct copy_logship_view {
	struct copy_logship_dir source;
	int replica_ok;            /* replica directory readable */
	const char *replica_error; /* why not, when !replica_ok */
	struct copy_logship_dir replica;
	int replayed_known; /* a replayed generation was read */
	int64_t replayed;
	const char *replayed_error; /* set when the replayed file was configured but unreadable */
	int suspended;              /* suspend_file exists */
};

/* Turn a view into metrics and facts (pure).  See copy_logship.c for the
   arithmetic. */
void copy_logship_report(const struct copy_logship_view *v, struct obs *o);

/* ---- drbd --------------------------------------------------------------- */

/* Status of one connection/peer-device combination from its DRBD state
   names (any may be NULL when unknown).  Vocabulary: DRBD 8.4 cs:/ds:
   and DRBD 9 connection-state, replication-state, disk states. */
enum copy_status copy_drbd_classify(const char *connection, const char *replication,
                                    const char *disk, const char *peer_disk, int peer_client,
                                    const char *resync_suspended, double out_of_sync_kb);

/* Parse `drbdsetup status RESOURCE --json` output (DRBD 9) for
   (resource) into o.  Returns 0, or -1 with *error_r when the text is not
   such JSON or does not list the resource. */
int copy_drbd_parse_json(const char *json, size_t len, const char *resource, struct obs *o,
                         char **error_r);

/* Parse /proc/drbd (DRBD 8.x) for device (minor) into o.  Returns 0, or
   -1 with *error_r when the format is unknown or the minor is absent. */
int copy_drbd_parse_proc(const char *text, int minor, struct obs *o, char **error_r);

/* ---- pgsql -------------------------------------------------------------- */

/* The queries the driver runs (exact text, as the tests capture). */
extern const char copy_pgsql_primary_query[];
extern const char copy_pgsql_standby_query[];

/* Parse `psql -X -A -t -q -F '|'` output of copy_pgsql_primary_query
   (one row per standby).  (segment_bytes) converts byte lags to WAL
   segments.  Returns 0, or -1 with *error_r on a malformed row. */
int copy_pgsql_parse_primary(const char *out, long long min_standbys, double segment_bytes,
                             struct obs *o, char **error_r);
/* Same for copy_pgsql_standby_query (one row). */
int copy_pgsql_parse_standby(const char *out, double segment_bytes, struct obs *o, char **error_r);

/* ---- dovecot ------------------------------------------------------------ */

/* Parse the overview printed by `doveadm replicator status`.  Returns 0,
   or -1 with *error_r when none of its lines is there. */
int copy_dovecot_parse_replicator(const char *out, struct obs *o, char **error_r);

/* Report one `doveadm sync` run: exit status -> status; keeps the time of
   the last success in *last_success_ms (0 = never) and reports lag_s
   from it.  (exited)=0 means killed or timed out; (why) then describes it. */
void copy_dovecot_sync_report(int exited, int status, const char *err, const char *why,
                              int64_t now_ms, int64_t *last_success_ms, struct obs *o);

/* ---- command ------------------------------------------------------------ */

/* Apply (pattern) to a command's output: numeric named groups become
   metrics, the others facts; group `status` is normalised to the
   SummaryCopyStatus vocabulary when it is one of its words; `healthy`
   comes from a numeric `healthy` group or else from the status.
   Returns 0, or -1 with *error_r when the pattern does not match. */
int copy_command_parse(const struct rx *pattern, const char *out, size_t len, struct obs *o,
                       char **error_r);

#endif
