/*
 * subproc.h - run a program (argv, never a shell) with a timeout and a
 * cap on the output kept.  The child gets its own process group; on
 * timeout the whole group is killed (SIGTERM, then SIGKILL after 1 s).
 * Thread-safe (fork/exec from any thread; uses pipes and poll).
 */
#ifndef MXSLA_SUBPROC_H
#define MXSLA_SUBPROC_H

#include <stddef.h>

struct subproc_opts {
	int timeout_ms;           /* <= 0: 10000 */
	size_t max_out;           /* bytes of stdout kept; 0: 1 MB; the rest is read and discarded */
	size_t max_err;           /* bytes of stderr kept; 0: 64 KB */
	const char *const *env;   /* extra "NAME=value" entries added to the environment, or NULL */
	const char *stdin_data;   /* NULL: stdin is /dev/null */
};

struct subproc_result {
	int exited;       /* 1 if it exited normally */
	int status;       /* exit code when exited */
	int signaled;     /* signal number that ended it, or 0 */
	int timed_out;    /* 1 if we killed it for the timeout */
	char *out;        /* NUL-terminated stdout (owned), possibly truncated */
	size_t out_len;
	int out_truncated;
	char *err;        /* NUL-terminated stderr (owned) */
	size_t err_len;
	long elapsed_ms;
};

/* Run argv[0] (looked up in PATH when it has no '/').  Returns 0 when the
   program was started and reaped (whatever its exit status), -1 if it
   could not be started (*error_r says why, e.g. "cannot execute postqueue:
   No such file or directory").  res is always initialised. */
int subproc_run(const char *const *argv, const struct subproc_opts *opts,
		struct subproc_result *res, char **error_r);
void subproc_result_free(struct subproc_result *res);
/* "exit status 2", "killed by signal 9", "timed out after 10s" (xmalloc'd) */
char *subproc_describe(const struct subproc_result *res);
/* The line of a program's stderr that best says why it failed: the first
   containing "fatal:" (any case), else the first non-empty one; NULL if
   none.  xmalloc'd, at most 512 bytes. */
char *subproc_stderr_reason(const char *err);

#endif
