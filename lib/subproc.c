/*
 * subproc.c - run a program with a timeout and bounded output capture.
 *
 * The child runs in a process group of its own so that a timeout kills
 * everything it started.  Everything the child needs (resolved path,
 * argv, environment) is prepared before fork(), because only
 * async-signal-safe calls are allowed between fork() and exec() in a
 * threaded program.  exec() failures come back through a close-on-exec
 * pipe carrying errno.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "subproc.h"
#include "xmalloc.h"

extern char **environ;

static long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Resolve a program name through PATH, like execvp would, into buf.
   Returns 0, or -1 with errno set.  The result lives on the caller's
   stack, so a child whose exec fails has no heap copy to leak. */
static int
resolve_path(const char *name, char *buf, size_t size)
{
	const char *path, *p, *e;

	if (strchr(name, '/') != NULL) {
		if (strlen(name) >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(buf, name);
		return 0;
	}
	path = getenv("PATH");
	if (path == NULL || *path == '\0')
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (p = path; ; p = e + 1) {
		char *cand;

		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		cand = xasprintf("%.*s/%s", (int)(e - p) > 0 ? (int)(e - p) : 1,
				 (e - p) > 0 ? p : ".", name);
		if (access(cand, X_OK) == 0) {
			struct stat st;
			if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && strlen(cand) < size) {
				strcpy(buf, cand);
				free(cand);
				return 0;
			}
		}
		free(cand);
		if (*e == '\0')
			break;
	}
	errno = ENOENT;
	return -1;
}

static char **
build_env(const char *const *extra)
{
	size_t n = 0, m = 0, k = 0;
	char **envp;

	while (environ[n] != NULL)
		n++;
	while (extra != NULL && extra[m] != NULL)
		m++;
	envp = xcalloc(n + m + 1, sizeof(*envp));
	for (size_t i = 0; i < m; i++)
		envp[k++] = (char *)extra[i];
	for (size_t i = 0; i < n; i++) {
		int overridden = 0;
		const char *eq = strchr(environ[i], '=');
		size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		for (size_t j = 0; j < m; j++)
			if (strncmp(extra[j], environ[i], nl) == 0 && extra[j][nl] == '=')
				overridden = 1;
		if (!overridden)
			envp[k++] = environ[i];
	}
	envp[k] = NULL;
	return envp;
}

struct capture {
	char *buf;
	size_t len, cap, max;
	int truncated;
};

static void
capture_read(int fd, struct capture *c, int *open_r)
{
	char tmp[16384];
	ssize_t r = read(fd, tmp, sizeof(tmp));

	if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
		*open_r = 0;
		return;
	}
	if (r < 0)
		return;
	if (c->len < c->max) {
		size_t take = (size_t)r;
		if (take > c->max - c->len) {
			take = c->max - c->len;
			c->truncated = 1;
		}
		c->buf = xgrow(c->buf, &c->cap, c->len + take + 1, 1);
		memcpy(c->buf + c->len, tmp, take);
		c->len += take;
	} else {
		c->truncated = 1;
	}
}

static void
capture_finish(struct capture *c, char **out, size_t *len)
{
	c->buf = xgrow(c->buf, &c->cap, c->len + 1, 1);
	c->buf[c->len] = '\0';
	*out = c->buf;
	*len = c->len;
}

int
subproc_run(const char *const *argv, const struct subproc_opts *opts, struct subproc_result *res,
	    char **error_r)
{
	struct subproc_opts defaults = { 0 };
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, inp[2] = { -1, -1 }, exp[2] = { -1, -1 };
	struct capture cout = { 0 }, cerr = { 0 };
	char path[PATH_MAX];
	char **envp = NULL;
	pid_t pid;
	long start, deadline, kill_at = 0, reaped_at = 0;
	int status = 0, reaped = 0, out_open = 1, err_open = 1, killed = 0;
	const char *in_data;
	size_t in_left;
	int child_errno = 0;

	memset(res, 0, sizeof(*res));
	res->out = xstrdup("");
	res->err = xstrdup("");
	if (opts == NULL)
		opts = &defaults;
	if (argv == NULL || argv[0] == NULL) {
		*error_r = xstrdup("empty command");
		return -1;
	}
	if (resolve_path(argv[0], path, sizeof(path)) < 0) {
		*error_r = xasprintf("cannot execute %s: %s", argv[0], strerror(errno));
		return -1;
	}
	if (opts->env != NULL)
		envp = build_env(opts->env);
	cout.max = opts->max_out ? opts->max_out : 1024 * 1024;
	cerr.max = opts->max_err ? opts->max_err : 64 * 1024;
	in_data = opts->stdin_data;
	in_left = in_data ? strlen(in_data) : 0;

	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(exp, O_CLOEXEC) < 0 ||
	    (in_data != NULL && pipe2(inp, O_CLOEXEC) < 0)) {
		*error_r = xasprintf("cannot execute %s: pipe: %s", argv[0], strerror(errno));
		goto fail_pipes;
	}
	start = mono_ms();
	pid = fork();
	if (pid < 0) {
		*error_r = xasprintf("cannot execute %s: fork: %s", argv[0], strerror(errno));
		goto fail_pipes;
	}
	if (pid == 0) {
		int fd0, e;
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		if (in_data != NULL)
			fd0 = inp[0];
		else
			fd0 = open("/dev/null", O_RDONLY);
		if (fd0 < 0 || dup2(fd0, 0) < 0 || dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0)
			goto child_fail;
		execve(path, (char *const *)argv, envp ? envp : environ);
child_fail:
		e = errno;
		(void)!write(exp[1], &e, sizeof(e));
		_exit(127);
	}
	setpgid(pid, pid); /* both sides, to avoid the race */
	close(outp[1]);
	close(errp[1]);
	close(exp[1]);
	if (in_data != NULL) {
		close(inp[0]);
		fcntl(inp[1], F_SETFL, O_NONBLOCK);
	}
	free(envp);
	envp = NULL;

	/* exec outcome: the pipe closes on a successful exec */
	{
		ssize_t r;
		do
			r = read(exp[0], &child_errno, sizeof(child_errno));
		while (r < 0 && errno == EINTR);
		close(exp[0]);
		if (r == (ssize_t)sizeof(child_errno)) {
			waitpid(pid, &status, 0);
			close(outp[0]);
			close(errp[0]);
			if (in_data != NULL)
				close(inp[1]);
			*error_r = xasprintf("cannot execute %s: %s", argv[0], strerror(child_errno));
			return -1;
		}
	}

	deadline = start + (opts->timeout_ms > 0 ? opts->timeout_ms : 10000);
	while (out_open || err_open || (in_data != NULL && in_left > 0) || !reaped) {
		struct pollfd pfd[3];
		nfds_t n = 0;
		int idx_out = -1, idx_err = -1, idx_in = -1, wait_ms;
		long now = mono_ms();

		if (!reaped) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid) {
				reaped = 1;
				reaped_at = now;
			}
		}
		if (reaped && !out_open && !err_open)
			break;
		if (!killed && now >= deadline) {
			kill(-pid, SIGTERM);
			killed = 1;
			res->timed_out = 1;
			kill_at = now + 1000;
		} else if (killed == 1 && now >= kill_at) {
			kill(-pid, SIGKILL);
			killed = 2;
		}
		if (killed == 2 && reaped)
			break; /* a grandchild may hold the pipes open */
		if (reaped && now >= reaped_at + 200)
			break; /* exited; a grandchild holds the pipes */
		if (out_open) {
			pfd[n].fd = outp[0];
			pfd[n].events = POLLIN;
			idx_out = (int)n++;
		}
		if (err_open) {
			pfd[n].fd = errp[0];
			pfd[n].events = POLLIN;
			idx_err = (int)n++;
		}
		if (in_data != NULL && in_left > 0) {
			pfd[n].fd = inp[1];
			pfd[n].events = POLLOUT;
			idx_in = (int)n++;
		}
		wait_ms = 50;
		if (n == 0) {
			/* pipes closed; waiting for the exit status */
			struct timespec ts = { 0, 5 * 1000000 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(pfd, n, wait_ms) < 0 && errno != EINTR)
			break;
		if (idx_out >= 0 && (pfd[idx_out].revents & (POLLIN | POLLHUP | POLLERR)))
			capture_read(outp[0], &cout, &out_open);
		if (idx_err >= 0 && (pfd[idx_err].revents & (POLLIN | POLLHUP | POLLERR)))
			capture_read(errp[0], &cerr, &err_open);
		if (idx_in >= 0 && (pfd[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(inp[1], in_data, in_left);
			if (w > 0) {
				in_data += w;
				in_left -= (size_t)w;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				in_left = 0;
			}
			if (in_left == 0) {
				close(inp[1]);
				inp[1] = -1;
			}
		}
	}
	if (!reaped) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	/* Whatever is left of the group goes too (daemonized grandchildren). */
	kill(-pid, SIGKILL);
	close(outp[0]);
	close(errp[0]);
	if (inp[1] >= 0)
		close(inp[1]);

	free(res->out);
	free(res->err);
	capture_finish(&cout, &res->out, &res->out_len);
	capture_finish(&cerr, &res->err, &res->err_len);
	res->out_truncated = cout.truncated;
	res->elapsed_ms = mono_ms() - start;
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signaled = WTERMSIG(status);
	}
	return 0;

fail_pipes:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (exp[i] >= 0)
			close(exp[i]);
		if (inp[i] >= 0)
			close(inp[i]);
	}
	free(envp);
	return -1;
}

void
subproc_result_free(struct subproc_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

char *
subproc_stderr_reason(const char *err)
{
	const char *first = NULL;
	size_t n;

	for (const char *p = err; p != NULL && *p != '\0';) {
		n = strcspn(p, "\n");
		for (size_t i = 0; i + 6 <= n; i++)
			if (strncasecmp(p + i, "fatal:", 6) == 0)
				return xstrndup(p, n > 512 ? 512 : n);
		if (first == NULL && strspn(p, " \t\r") < n)
			first = p;
		p += n + (p[n] == '\n' ? 1 : 0);
	}
	if (first == NULL)
		return NULL;
	n = strcspn(first, "\n");
	return xstrndup(first, n > 512 ? 512 : n);
}

char *
subproc_describe(const struct subproc_result *res)
{
	if (res->timed_out)
		return xasprintf("timed out after %.1fs", (double)res->elapsed_ms / 1000.0);
	if (res->signaled)
		return xasprintf("killed by signal %d", res->signaled);
	return xasprintf("exit status %d", res->status);
}
