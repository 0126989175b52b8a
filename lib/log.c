/*
 * log.c - logging to stderr with a level, a program name and an ISO 8601
 * time stamp.  One write(2) per line so that lines from threads do not
 * interleave.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "mxsla";
static enum log_level log_lvl = LOG_LVL_INFO;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void
log_init(const char *progname, enum log_level level)
{
	log_prog = progname;
	log_lvl = level;
}

void
log_set_level(enum log_level level)
{
	log_lvl = level;
}

enum log_level
log_get_level(void)
{
	return log_lvl;
}

int
log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	if (strcasecmp(name, "warn") == 0)
		return LOG_LVL_WARN;
	return -1;
}

static void
log_emit(enum log_level level, int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	char line[2048];
	size_t off;
	struct timespec ts;
	struct tm tm;

	if (level > log_lvl)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	off = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	off += (size_t)snprintf(line + off, sizeof(line) - off, "%s[%ld]: %s: ", log_prog,
				(long)getpid(), level_names[level]);
	if (off < sizeof(line)) {
		int n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
		if (n > 0)
			off += (size_t)n;
	}
	if (with_errno && off < sizeof(line))
		off += (size_t)snprintf(line + off, sizeof(line) - off, ": %s", strerror(saved_errno));
	if (off > sizeof(line) - 2)
		off = sizeof(line) - 2;
	line[off++] = '\n';
	(void)!write(STDERR_FILENO, line, off);
}

#define LOG_FN(fn, lvl, witherr)                               \
	void fn(const char *fmt, ...)                          \
	{                                                      \
		int e = errno;                                 \
		va_list ap;                                    \
		va_start(ap, fmt);                             \
		log_emit(lvl, witherr, e, fmt, ap);            \
		va_end(ap);                                    \
		errno = e;                                     \
	}

LOG_FN(log_debug, LOG_LVL_DEBUG, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_errorx, LOG_LVL_ERROR, 0)

void
fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERROR, 1, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERROR, 0, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
