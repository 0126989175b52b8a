/*
 * queue.h - the `queue` probe (probe_queue_ops, "queue"): how much mail
 * waits in the MTA's queue, how old it is, where it wants to go.
 *
 * Options (agent.yaml target):
 *   driver       postfix | exim | command (required)
 *   postfix:     config_dir  runs `postqueue -c DIR -j` (default: `postqueue -j`)
 *                postqueue   program (default "postqueue")
 *                postconf    program (default "postconf"), used to find
 *                            $queue_directory for the corrupt count
 *   exim:        exim        program (default "exim"; Debian's is "exim4"),
 *                            run as `exim -bp`
 *   command:     command     argv (never a shell)
 *                pattern     PCRE2 with named groups, matched against the
 *                            whole output (use (?m) for ^ and $ per line)
 *   max_output   largest listing kept (default 64MB); see "truncated" below
 *
 * Metrics (SPEC 2.3): total, active, deferred, hold, incoming, corrupt,
 * oldest_age_s, top_destination_count, plus size_bytes and bad_lines.
 * Facts: top_destination, last_error, and truncated when the listing was
 * larger than max_output (the counts are then lower bounds of what the
 * queue holds, taken from the part that was read).
 *
 * postfix: total counts every message, hold included; incoming is
 * incoming + maildrop; oldest_age_s is now - the smallest arrival_time
 * (0 when empty); top_destination is the recipient domain (lower-cased)
 * with the most recipients still listed in the active and deferred
 * queues, ties to the alphabetically first; last_error is the first
 * delay_reason of the deferred message that arrived last.  corrupt is
 * the number of files in $queue_directory/corrupt, absent when that
 * cannot be read (the agent usually needs root for it).
 *
 * exim: `exim -bp` has no active/incoming queues, so those metrics are
 * absent; hold = frozen messages, deferred = total - frozen, corrupt =
 * messages listed with a spool read or format error; ages and sizes are
 * as coarse as exim prints them ("25m", "2.9K").  top_destination counts
 * the undelivered recipients of messages that are not frozen.
 *
 * Every program gets LC_ALL=C and the target's timeout.  A program that
 * cannot be run or fails is obs_error with the first "fatal:" line of its
 * stderr (else the first line, else its exit status).
 */
#ifndef MXSLA_QUEUE_H
#define MXSLA_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "strlist.h"

struct obs;
struct rx;
struct target;

enum queue_driver { QUEUE_POSTFIX, QUEUE_EXIM, QUEUE_COMMAND };

#define QUEUE_DEFAULT_MAX_OUTPUT "64MB"
/* A postqueue -j line longer than this is counted as bad, not parsed. */
#define QUEUE_POSTFIX_LINE_MAX (1024 * 1024)
/* Entries counted in $queue_directory/corrupt before giving up. */
#define QUEUE_CORRUPT_MAX 1000000L
/* Recipient domains remembered for top_destination. */
#define QUEUE_DOMAINS_MAX 100000

struct queue_conf {
	int driver;              /* enum queue_driver */
	char *config_dir;        /* postfix, may be NULL */
	char *postqueue;
	char *postconf;
	char *exim;
	struct strlist command;  /* command driver */
	struct rx *pattern;      /* command driver; owned */
	uint64_t max_output;
};

/* ---- parsers: pure functions on captured output ------------------------- */

/* Parse `postqueue -j` output (JSON lines) seen at now_s (seconds since
   the epoch) into o: every metric and fact above except corrupt.  A
   partial last line is dropped when truncated is set (and fact truncated
   is added).  Returns 0, or -1 after obs_error() when there were lines
   and none of them was a valid queue entry. */
int queue_postfix_parse(const char *text, size_t len, int64_t now_s, int truncated,
			struct obs *o);

/* Count the entries (not "." and "..") of directory dir into *count_r,
   at most QUEUE_CORRUPT_MAX.  Returns 0, or -1 with *error_r (xmalloc'd). */
int queue_postfix_count_dir(const char *dir, long *count_r, char **error_r);

/* Parse `exim -bp` output into o (see above).  Returns 0, or -1 after
   obs_error() when the output has lines but no queue entry. */
int queue_exim_parse(const char *text, size_t len, int truncated, struct obs *o);

/* exim's age column ("25m", "3h", "2d") in seconds; -1 if it is not one. */
long queue_exim_age_s(const char *tok, size_t len);
/* exim's size column ("328", "2.9K", "45K", "1.2M") in bytes; -1 if not one. */
double queue_exim_size(const char *tok, size_t len);

/* Match pattern against the whole output; each named group that took
   part becomes a metric when its value (trimmed) is a finite number,
   otherwise a fact.  Returns 0, or -1 after obs_error() ("output does not
   match pattern"). */
int queue_command_parse(const struct rx *pattern, const char *text, size_t len,
			struct obs *o);

/* ---- drivers (called by probe_queue.c) ---------------------------------- */

void queue_postfix_run(const struct queue_conf *c, const struct target *t, void **state,
		       struct obs *o);
void queue_postfix_free_state(void *state);
void queue_exim_run(const struct queue_conf *c, const struct target *t, struct obs *o);
void queue_command_run(const struct queue_conf *c, const struct target *t, struct obs *o);

/* ---- shared by the drivers ---------------------------------------------- */

/* Per-domain recipient counter for top_destination. */
struct queue_domains;
struct queue_domains *queue_domains_new(void);
/* Count one recipient address (the part after its last '@', lower-cased;
   addresses without '@' are not counted). */
void queue_domains_add(struct queue_domains *d, const char *address, size_t len);
/* Report top_destination / top_destination_count into o: the count is 0
   and the fact absent when nothing was counted. */
void queue_domains_report(const struct queue_domains *d, struct obs *o);
void queue_domains_free(struct queue_domains *d);


#endif
