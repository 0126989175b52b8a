/*
 * testutil.c - helpers shared by the unit tests: reading and writing
 * files, temporary directories, looking up metrics and facts, and running
 * a probe from YAML the way the agent does (testutil.h has the contracts).
 * Failures go through cmocka's _fail with the caller's file and line, so
 * they point at the test, not at this file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "obs.h"
#include "rx.h"
#include "xmalloc.h"
#include "ytree.h"

/* Print the reason and fail the running test at file:line (longjmps out
   of the test; it returns only outside of one). */
static void tu_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tu_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	print_error("ERROR: %s\n", msg);
	free(msg);
	_fail(file, line);
}

/* ---- files -------------------------------------------------------------- */

char *
tu_slurp_at(const char *path, size_t *len_r, const char *file, int line)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL) {
		tu_fail(file, line, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0) {
		int e = errno;

		fclose(fp);
		tu_fail(file, line, "cannot size %s: %s", path, strerror(e));
		return NULL;
	}
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		tu_fail(file, line, "short read on %s", path);
	buf[n] = '\0';
	fclose(fp);
	if (len_r != NULL)
		*len_r = (size_t)n;
	return buf;
}

char *
tu_read_data_at(const char *subdir, const char *name, size_t *len_r, const char *file, int line)
{
	char *path = xasprintf("%s/%s/%s", TEST_DATA_DIR, subdir, name);
	char *text = tu_slurp_at(path, len_r, file, line);

	free(path);
	return text;
}

void
tu_write_file_at(const char *path, const char *content, const char *file, int line)
{
	size_t len = strlen(content);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0) {
		tu_fail(file, line, "cannot create %s: %s", path, strerror(errno));
		return;
	}
	if (write(fd, content, len) != (ssize_t)len) {
		int e = errno;

		close(fd);
		tu_fail(file, line, "cannot write %s: %s", path, strerror(e));
		return;
	}
	if (close(fd) < 0)
		tu_fail(file, line, "cannot close %s: %s", path, strerror(errno));
}

void
tu_set_mtime_at(const char *path, const struct timespec *when, const char *file, int line)
{
	struct timespec ts[2] = {*when, *when};

	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
		tu_fail(file, line, "utimensat %s: %s", path, strerror(errno));
}

char *
tu_mkdtemp_at(const char *tag, const char *file, int line)
{
	char *dir = xasprintf("/tmp/mxsla-test-%s-XXXXXX", tag);

	if (mkdtemp(dir) == NULL)
		tu_fail(file, line, "mkdtemp %s: %s", dir, strerror(errno));
	return dir;
}

int
tu_rm_rf(const char *path)
{
	/* chmod first: a test may leave a directory it made unreadable */
	char *cmd = xasprintf("chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", path, path);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* ---- observations ------------------------------------------------------- */

double
tu_metric_at(const struct obs *o, const char *name, const char *file, int line)
{
	const double *v = obs_get_metric(o, name);

	if (v == NULL) {
		tu_fail(file, line, "metric %s absent", name);
		return NAN;
	}
	return *v;
}

const char *
tu_fact_at(const struct obs *o, const char *name, const char *file, int line)
{
	const char *v = obs_get_fact(o, name);

	if (v == NULL) {
		tu_fail(file, line, "fact %s absent", name);
		return "";
	}
	return v;
}

void
assert_metric_at(const struct obs *o, const char *name, double want, const char *file, int line)
{
	double got = tu_metric_at(o, name, file, line);

	if (fabs(got - want) > 1e-9)
		tu_fail(file, line, "metric %s = %.9g, want %.9g", name, got, want);
}

void
assert_fact_at(const struct obs *o, const char *name, const char *want, const char *file, int line)
{
	_assert_string_equal(tu_fact_at(o, name, file, line), want, file, line);
}

void
assert_fact_contains_at(const struct obs *o, const char *name, const char *needle, const char *file,
                        int line)
{
	const char *got = tu_fact_at(o, name, file, line);

	if (strstr(got, needle) == NULL)
		tu_fail(file, line, "fact %s = '%s' lacks '%s'", name, got, needle);
}

/* ---- configuration ------------------------------------------------------ */

int
tu_errs_contain(const struct cfgerr *e, const char *needle)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->msgs[i], needle) != NULL)
			return 1;
	return 0;
}

struct rx *
tu_rx_at(const char *pattern, unsigned flags, const char *file, int line)
{
	char *err = NULL;
	size_t off = 0;
	struct rx *rx = rx_compile(pattern, flags, &err, &off);

	if (rx == NULL)
		tu_fail(file, line, "'%s' does not compile: offset %zu: %s", pattern, off,
		        err != NULL ? err : "(no message)");
	else if (err != NULL)
		tu_fail(file, line, "'%s' compiles but with an error message: %s", pattern, err);
	return rx;
}

/* ---- probes ------------------------------------------------------------- */

int
tu_probe_configure_at(struct tu_probe *p, const struct probe_ops *ops, const char *name,
                      const char *yaml, int64_t timeout_ms, const char *file, int line)
{
	memset(p, 0, sizeof(*p));
	cfgerr_init(&p->errs);
	p->t.name = (char *)name;
	p->t.probe = (char *)ops->name;
	p->t.ops = ops;
	p->t.timeout_ms = timeout_ms;
	p->root = ytree_load_string("agent.yaml", yaml, strlen(yaml), &p->errs);
	if (p->root == NULL) {
		tu_fail(file, line, "YAML does not load: %s", yaml);
		return -1;
	}
	return ops->configure(&p->t, p->root, &p->errs);
}

void
tu_probe_run(struct tu_probe *p, struct obs *o)
{
	obs_init(o);
	p->t.ops->run(&p->t, &p->state, o);
}

void
tu_probe_free(struct tu_probe *p)
{
	if (p->state != NULL && p->t.ops->free_state != NULL)
		p->t.ops->free_state(p->state);
	if (p->t.conf != NULL && p->t.ops->free_conf != NULL)
		p->t.ops->free_conf(p->t.conf);
	free(p->t.driver);
	ytree_free(p->root);
	cfgerr_free(&p->errs);
}

static int
port_free(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

int
tu_free_ports(int n)
{
	/* 20000..31999: below Linux's default ephemeral range 32768-60999 */
	int span = 12000, base = 20000, start = (int)(getpid() % (pid_t)span);

	for (int i = 0; i < span; i += n) {
		int p = base + (start + i) % (span - n), k;

		for (k = 0; k < n && port_free(p + k); k++)
			;
		if (k == n)
			return p;
	}
	return 0;
}
