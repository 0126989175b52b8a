/*
 * testutil.h - helpers shared by the cmocka unit tests (tests/unit/test-*.c),
 * built into tests/unit/libtestutil.a.
 *
 * Every helper checks what it does with cmocka's failure reporting: when
 * a file cannot be read, a probe cannot be set up or an observation lacks
 * a value, the test that called it fails, with the reason, at the file
 * and line of the call (the helpers that can fail are macros passing
 * __FILE__ and __LINE__ to a tu_*_at function).  Nothing here returns an
 * error for the caller to check, except tu_rm_rf, which group teardowns
 * use.  The helpers are meant for the test's main thread only.
 *
 * Names start with tu_ (for testutil); the assertions are named like
 * cmocka's own (assert_near, assert_metric, ...).
 */
#ifndef MXSLA_TESTUTIL_H
#define MXSLA_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "cfgerr.h"
#include "probe.h"

struct obs;
struct rx;
struct ynode;

/* ---- numbers ------------------------------------------------------------ */

/* Fail unless the doubles a and b are within eps of each other (eps 0:
   exactly equal).  cmocka 1.1's assert_float_equal converts to float
   (24-bit mantissa), which is not enough for metrics, which are doubles. */
#define assert_near(a, b, eps)                                                                     \
	do {                                                                                       \
		double a_ = (a), b_ = (b);                                                         \
		if (!(fabs(a_ - b_) <= (eps)))                                                     \
			fail_msg("%.12g != %.12g (+-%g)", a_, b_, (double)(eps));                  \
	} while (0)

/* ---- files -------------------------------------------------------------- */

/* The whole file at path, NUL-terminated (the caller frees it); its length
   (without the NUL) in *len_r when len_r is not NULL.  Fails the test
   when the file cannot be opened or read. */
#define tu_slurp(path, len_r) tu_slurp_at(path, len_r, __FILE__, __LINE__)
char *tu_slurp_at(const char *path, size_t *len_r, const char *file, int line);

/* tu_slurp of TEST_DATA_DIR/subdir/name: a fixture under tests/data. */
#define tu_read_data(subdir, name, len_r) tu_read_data_at(subdir, name, len_r, __FILE__, __LINE__)
char *tu_read_data_at(const char *subdir, const char *name, size_t *len_r, const char *file,
                      int line);

/* Create or truncate path (mode 0644 before the umask) and write the
   string content into it.  Fails the test on any error. */
#define tu_write_file(path, content) tu_write_file_at(path, content, __FILE__, __LINE__)
void tu_write_file_at(const char *path, const char *content, const char *file, int line);

/* Set the access and modification times of path to *when, not following
   a symbolic link at its end.  Fails the test on any error. */
#define tu_set_mtime(path, when) tu_set_mtime_at(path, when, __FILE__, __LINE__)
void tu_set_mtime_at(const char *path, const struct timespec *when, const char *file, int line);

/* A new empty directory /tmp/mxsla-test-<tag>-XXXXXX (mode 0700); its
   path, which the caller frees.  Fails the test when it cannot be made. */
/* The first of n consecutive TCP ports on 127.0.0.1 that are free now,
   below the ephemeral range (so that no outgoing connection of another
   test takes one meanwhile), starting from a place that depends on the
   process id; 0 if none was found. */
int tu_free_ports(int n);
#define tu_mkdtemp(tag) tu_mkdtemp_at(tag, __FILE__, __LINE__)
char *tu_mkdtemp_at(const char *tag, const char *file, int line);

/* Remove path and everything below it, also directories whose permissions
   were taken away (chmod -R u+rwx, then rm -rf).  0 when done, -1 when rm
   failed; a path that does not exist is done. */
int tu_rm_rf(const char *path);

/* ---- observations ------------------------------------------------------- */

/* The metric name of o; fails the test when it is absent. */
#define tu_metric(o, name) tu_metric_at(o, name, __FILE__, __LINE__)
double tu_metric_at(const struct obs *o, const char *name, const char *file, int line);

/* The fact name of o; fails the test when it is absent. */
#define tu_fact(o, name) tu_fact_at(o, name, __FILE__, __LINE__)
const char *tu_fact_at(const struct obs *o, const char *name, const char *file, int line);

/* Fail unless metric name of o is present and within 1e-9 of want. */
#define assert_metric(o, name, want) assert_metric_at(o, name, want, __FILE__, __LINE__)
void assert_metric_at(const struct obs *o, const char *name, double want, const char *file,
                      int line);

/* Fail unless fact name of o is present and equals want. */
#define assert_fact(o, name, want) assert_fact_at(o, name, want, __FILE__, __LINE__)
void assert_fact_at(const struct obs *o, const char *name, const char *want, const char *file,
                    int line);

/* Fail unless fact name of o is present and contains needle. */
#define assert_fact_contains(o, name, needle)                                                      \
	assert_fact_contains_at(o, name, needle, __FILE__, __LINE__)
void assert_fact_contains_at(const struct obs *o, const char *name, const char *needle,
                             const char *file, int line);

/* ---- configuration ------------------------------------------------------ */

/* 1 when one of the messages in e contains needle, else 0. */
int tu_errs_contain(const struct cfgerr *e, const char *needle);

/* The compiled pattern (rx_compile with flags); fails the test with the
   error message and offset unless it compiles without an error message.
   The caller frees it with rx_free. */
#define tu_rx(pattern, flags) tu_rx_at(pattern, flags, __FILE__, __LINE__)
struct rx *tu_rx_at(const char *pattern, unsigned flags, const char *file, int line);

/* ---- probes ------------------------------------------------------------- */

/* One target of a probe kind, configured from YAML and run as the agent
   does: configure once, run any number of times with the same state,
   free. */
struct tu_probe {
	struct target t;    /* t.name, t.probe point at constants */
	struct ynode *root; /* the loaded YAML, kept until tu_probe_free */
	struct cfgerr errs; /* what configure reported */
	void *state;        /* the probe's memory between runs */
};

/* Load yaml (as file "agent.yaml") and pass its root map to
   ops->configure for a target named name with timeout_ms; configure's
   return value (0 or -1, errors in p->errs).  The YAML itself must load:
   the test fails otherwise.  p is overwritten; call tu_probe_free
   afterwards whatever configure returned. */
#define tu_probe_configure(p, ops, name, yaml, timeout_ms)                                         \
	tu_probe_configure_at(p, ops, name, yaml, timeout_ms, __FILE__, __LINE__)
int tu_probe_configure_at(struct tu_probe *p, const struct probe_ops *ops, const char *name,
                          const char *yaml, int64_t timeout_ms, const char *file, int line);

/* obs_init(o), then one run of the probe into o; the caller frees o. */
void tu_probe_run(struct tu_probe *p, struct obs *o);

/* Release the state, the configuration, the driver name, the YAML tree
   and the errors of p. */
void tu_probe_free(struct tu_probe *p);

#endif
