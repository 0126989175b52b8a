/*
 * service_dialog.c - the `service` probe's own socket dialogues: LMTP and
 * plain TCP, which libcurl does not speak.
 *
 * LMTP: read the greeting (220, possibly multi-line), send "LHLO name",
 * read the multi-line 250 answer, say QUIT.  No STARTTLS (refused at
 * configure time), no delivery.
 * TCP: connect; send `send` if set; without `expect` the service is up
 * as soon as the connection stands; with `expect`, read lines until one
 * matches (each line on its own, CR/LF stripped), the peer closes, or
 * the time budget ends.
 *
 * Everything is non-blocking with poll() on the remaining budget, so a
 * run never takes longer than the target's timeout: name resolution of a
 * non-numeric host runs in a helper thread that is abandoned (and cleans
 * up after itself) when the budget ends first.  Reads are capped at
 * SERVICE_TRANSCRIPT_MAX.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "rx.h"
#include "service.h"
#include "xmalloc.h"

#define DIALOG_BYE_WAIT_MAX_MS 1000

static int64_t
dialog_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
dialog_ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1000.0 +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* poll timeout for what is left until deadline (ms, monotonic); 0 when spent. */
static int
dialog_left(int64_t deadline)
{
	int64_t left = deadline - dialog_mono_ms();
	if (left <= 0)
		return 0;
	return left > 1000000 ? 1000000 : (int)left;
}

/* ---- name resolution with a deadline ------------------------------------ */

/* Shared between the caller and the resolver thread; the last one to let
   go frees it, so an abandoned lookup finishes on its own. */
struct dialog_lookup {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	bool done;
	int rc;
	struct addrinfo *ai;
	char *host;
	char port[8];
};

static void
dialog_lookup_release(struct dialog_lookup *lk)
{
	pthread_mutex_lock(&lk->mu);
	int refs = --lk->refs;
	pthread_mutex_unlock(&lk->mu);
	if (refs > 0)
		return;
	if (lk->ai != NULL)
		freeaddrinfo(lk->ai);
	pthread_cond_destroy(&lk->cv);
	pthread_mutex_destroy(&lk->mu);
	free(lk->host);
	free(lk);
}

static void *
dialog_lookup_thread(void *arg)
{
	struct dialog_lookup *lk = arg;
	struct addrinfo hints, *ai = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	int rc = getaddrinfo(lk->host, lk->port, &hints, &ai);
	pthread_mutex_lock(&lk->mu);
	lk->rc = rc;
	lk->ai = rc == 0 ? ai : NULL;
	lk->done = true;
	pthread_cond_signal(&lk->cv);
	pthread_mutex_unlock(&lk->mu);
	dialog_lookup_release(lk);
	return NULL;
}

/* Addresses of host:port, or -1 with *error_r. */
static int
dialog_resolve(const char *host, int port, int64_t deadline, struct addrinfo **ai_r, char **error_r)
{
	struct addrinfo hints, *ai = NULL;
	char portstr[8];
	int rc;

	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, portstr, &hints, &ai) == 0) {
		*ai_r = ai;
		return 0;
	}

	struct dialog_lookup *lk = xcalloc(1, sizeof(*lk));
	pthread_condattr_t ca;
	pthread_t tid;
	pthread_attr_t ta;
	pthread_mutex_init(&lk->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lk->cv, &ca);
	pthread_condattr_destroy(&ca);
	lk->refs = 2;
	lk->host = xstrdup(host);
	memcpy(lk->port, portstr, sizeof(lk->port));
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &ta, dialog_lookup_thread, lk) != 0) {
		pthread_attr_destroy(&ta);
		lk->refs = 1;
		dialog_lookup_release(lk);
		*error_r = xasprintf("resolve %s: cannot start a thread", host);
		return -1;
	}
	pthread_attr_destroy(&ta);

	struct timespec until = {(time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000L};
	pthread_mutex_lock(&lk->mu);
	while (!lk->done)
		if (pthread_cond_timedwait(&lk->cv, &lk->mu, &until) == ETIMEDOUT)
			break;
	bool done = lk->done;
	rc = lk->rc;
	if (done) {
		*ai_r = lk->ai;
		lk->ai = NULL; /* ours now */
	}
	pthread_mutex_unlock(&lk->mu);
	dialog_lookup_release(lk);
	if (!done) {
		*error_r = xasprintf("timed out resolving %s", host);
		return -1;
	}
	if (rc != 0) {
		*error_r = xasprintf("resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	return 0;
}

/* ---- connection and I/O -------------------------------------------------- */

/* Connect to the first address that accepts; -1 with *error_r (the last
   address's reason) otherwise. */
static int
dialog_connect(const struct service_conf *c, struct addrinfo *ai, int64_t deadline,
               int64_t timeout_ms, char **error_r)
{
	char *err = NULL;

	for (; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		                ai->ai_protocol);
		int soerr = 0;
		if (fd < 0) {
			soerr = errno;
		} else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			free(err);
			return fd;
		} else if (errno != EINPROGRESS) {
			soerr = errno;
		} else {
			struct pollfd pfd = {fd, POLLOUT, 0};
			int pr;
			do
				pr = poll(&pfd, 1, dialog_left(deadline));
			while (pr < 0 && errno == EINTR);
			if (pr == 0) {
				close(fd);
				free(err);
				*error_r = xasprintf("timed out connecting to %s port %d (%lld ms)",
				                     c->host, c->port, (long long)timeout_ms);
				return -1;
			}
			socklen_t sl = sizeof(soerr);
			if (pr < 0)
				soerr = errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
				soerr = errno;
			if (soerr == 0) {
				free(err);
				return fd;
			}
		}
		if (fd >= 0)
			close(fd);
		free(err);
		err = xasprintf("connect to %s port %d: %s", c->host, c->port, strerror(soerr));
	}
	*error_r =
	    err != NULL ? err : xasprintf("connect to %s port %d: no address", c->host, c->port);
	return -1;
}

/* 0 when all of (s) is written, -1 on error or timeout. */
static int
dialog_write(int fd, const char *s, size_t len, int64_t deadline)
{
	size_t off = 0;
	while (off < len) {
		ssize_t w = send(fd, s + off, len - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		struct pollfd pfd = {fd, POLLOUT, 0};
		int left = dialog_left(deadline);
		if (left == 0 || poll(&pfd, 1, left) == 0)
			return -1;
	}
	return 0;
}

/* What the server sent, capped. */
struct dialog_buf {
	char *s;
	size_t len, cap;
};

enum { DIALOG_DATA = 1, DIALOG_EOF = 0, DIALOG_ERROR = -1, DIALOG_TIMEOUT = -2, DIALOG_FULL = -3 };

/* Wait for and append the next bytes. */
static int
dialog_read(int fd, struct dialog_buf *b, int64_t deadline)
{
	if (b->len >= SERVICE_TRANSCRIPT_MAX)
		return DIALOG_FULL;
	b->s = xgrow(b->s, &b->cap, SERVICE_TRANSCRIPT_MAX + 1, 1);
	for (;;) {
		ssize_t r = recv(fd, b->s + b->len, SERVICE_TRANSCRIPT_MAX - b->len, 0);
		if (r > 0) {
			b->len += (size_t)r;
			b->s[b->len] = '\0';
			return DIALOG_DATA;
		}
		if (r == 0)
			return DIALOG_EOF;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return DIALOG_ERROR;
		struct pollfd pfd = {fd, POLLIN, 0};
		int left = dialog_left(deadline);
		if (left == 0)
			return DIALOG_TIMEOUT;
		int pr = poll(&pfd, 1, left);
		if (pr == 0)
			return DIALOG_TIMEOUT;
		if (pr < 0 && errno != EINTR)
			return DIALOG_ERROR;
	}
}

/* Read until the SMTP-style reply that starts at (from) is complete
   (its last line is not a "ddd-" continuation).  Only lines not looked
   at yet are examined, so a server trickling bytes costs linear time.
   Returns DIALOG_DATA and the offset just past the reply in *end_r when
   complete, else what stopped the reading. */
static int
dialog_read_reply(int fd, struct dialog_buf *b, size_t from, int64_t deadline, size_t *end_r)
{
	size_t line_start = from, scanned = from;

	for (;;) {
		for (; scanned < b->len; scanned++) {
			if (b->s[scanned] != '\n')
				continue;
			if (service_greeting_complete(SVC_LMTP, b->s + line_start,
			                              scanned + 1 - line_start)) {
				*end_r = scanned + 1;
				return DIALOG_DATA;
			}
			line_start = scanned + 1; /* a continuation line */
		}
		int rc = dialog_read(fd, b, deadline);
		if (rc != DIALOG_DATA)
			return rc;
	}
}

/* Send QUIT and give the answer a moment, within the budget. */
static void
dialog_goodbye(int fd, int64_t deadline)
{
	int64_t until = dialog_mono_ms() + DIALOG_BYE_WAIT_MAX_MS;
	char buf[512];

	if (until > deadline)
		until = deadline;
	if (dialog_left(until) == 0 || dialog_write(fd, "QUIT\r\n", 6, until) < 0)
		return;
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r == 0 || (r > 0 && memchr(buf, '\n', (size_t)r) != NULL))
			return;
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return;
		struct pollfd pfd = {fd, POLLIN, 0};
		int left = dialog_left(until);
		if (left == 0 || poll(&pfd, 1, left) <= 0)
			return;
	}
}

static char *
dialog_read_error(int rc, const char *what, int64_t timeout_ms)
{
	switch (rc) {
	case DIALOG_EOF:
		return xasprintf("connection closed while waiting for %s", what);
	case DIALOG_TIMEOUT:
		return xasprintf("timed out waiting for %s (%lld ms)", what, (long long)timeout_ms);
	case DIALOG_FULL:
		return xasprintf("%s longer than %d bytes", what, SERVICE_TRANSCRIPT_MAX);
	default:
		return xasprintf("reading %s: %s", what, strerror(errno));
	}
}

/* ---- LMTP ------------------------------------------------------------------ */

/* First line of the text at (s), for messages. */
static char *
dialog_first_line(const char *s, size_t len)
{
	size_t n = 0;
	while (n < len && s[n] != '\r' && s[n] != '\n')
		n++;
	return xstrndup(s, n);
}

static void
dialog_lmtp(const struct service_conf *c, int fd, int64_t deadline, int64_t timeout_ms,
            struct timespec *start, struct service_result *res)
{
	struct dialog_buf b = {NULL, 0, 0};
	size_t greeting_len = 0, reply_end = 0;
	int rc = dialog_read_reply(fd, &b, 0, deadline, &greeting_len);

	if (rc != DIALOG_DATA) {
		res->error = dialog_read_error(rc, "greeting", timeout_ms);
		goto out;
	}
	res->response_ms = dialog_ms_since(start);
	if (strncmp(b.s, "220", 3) != 0) {
		char *l = dialog_first_line(b.s, b.len);
		res->error = xasprintf("unexpected greeting: %s", l);
		free(l);
		goto bye;
	}

	char *lhlo = xasprintf("LHLO %s\r\n", c->ehlo);
	int wr = dialog_write(fd, lhlo, strlen(lhlo), deadline);
	free(lhlo);
	if (wr < 0) {
		res->error = xasprintf("sending LHLO: %s",
		                       dialog_left(deadline) == 0 ? "timed out" : strerror(errno));
		goto out;
	}
	rc = dialog_read_reply(fd, &b, greeting_len, deadline, &reply_end);
	if (rc != DIALOG_DATA) {
		res->error = dialog_read_error(rc, "the LHLO reply", timeout_ms);
		goto out;
	}
	if (strncmp(b.s + greeting_len, "250", 3) != 0) {
		char *l = dialog_first_line(b.s + greeting_len, b.len - greeting_len);
		res->error = xasprintf("LHLO rejected: %s", l);
		free(l);
	}
bye:
	dialog_goodbye(fd, deadline);
out:
	/* what came after the LHLO reply (nothing, from a sane server) is ignored */
	service_parse_responses(SVC_LMTP, b.s, reply_end > 0 ? reply_end : b.len, &res->reply);
	free(b.s);
}

/* ---- TCP ---------------------------------------------------------------------- */

/* Match the lines of [from, len) against expect; a last line without a
   newline only when (final).  Returns 1 on a match; advances *from past
   the lines it looked at. */
static int
dialog_match_lines(const struct rx *rx, const struct dialog_buf *b, size_t *from, bool final)
{
	while (*from < b->len) {
		const char *s = b->s + *from;
		const char *nl = memchr(s, '\n', b->len - *from);
		size_t n = nl != NULL ? (size_t)(nl - s) : b->len - *from;
		if (nl == NULL && !final)
			return 0;
		*from += n + (nl != NULL ? 1 : 0);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (rx_match(rx, s, n) == 1)
			return 1;
	}
	return 0;
}

static void
dialog_tcp(const struct service_conf *c, int fd, int64_t deadline, int64_t timeout_ms,
           struct timespec *start, struct service_result *res)
{
	struct dialog_buf b = {NULL, 0, 0};
	size_t from = 0;
	int rc;

	if (c->send != NULL && c->send[0] != '\0' &&
	    dialog_write(fd, c->send, strlen(c->send), deadline) < 0) {
		res->error = xasprintf("sending: %s",
		                       dialog_left(deadline) == 0 ? "timed out" : strerror(errno));
		return;
	}
	if (c->expect == NULL) {
		res->response_ms = res->connect_ms;
		return;
	}
	for (;;) {
		rc = dialog_read(fd, &b, deadline);
		bool final = rc != DIALOG_DATA;
		if (dialog_match_lines(c->expect, &b, &from, final)) {
			res->response_ms = dialog_ms_since(start);
			break;
		}
		if (!final)
			continue;
		if (b.len == 0)
			res->error = dialog_read_error(rc, "greeting", timeout_ms);
		else if (rc == DIALOG_TIMEOUT)
			res->error =
			    xasprintf("banner does not match expect /%s/ (timed out after %lld ms)",
			              rx_pattern(c->expect), (long long)timeout_ms);
		else
			res->error =
			    xasprintf("banner does not match expect /%s/", rx_pattern(c->expect));
		break;
	}
	service_parse_responses(SVC_TCP, b.s, b.len, &res->reply);
	free(b.s);
}

/* ---- entry point --------------------------------------------------------------- */

void
service_dialog_run(const struct service_conf *c, int64_t timeout_ms, struct service_result *res)
{
	struct timespec start;
	struct addrinfo *ai = NULL;
	int64_t deadline;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &start);
	deadline = dialog_mono_ms() + timeout_ms;
	if (c->protocol != SVC_LMTP && c->protocol != SVC_TCP) {
		res->error = xasprintf("protocol %s has no socket dialogue",
		                       service_proto_name(c->protocol));
		return;
	}
	if (dialog_resolve(c->host, c->port, deadline, &ai, &res->error) < 0)
		return;
	fd = dialog_connect(c, ai, deadline, timeout_ms, &res->error);
	freeaddrinfo(ai);
	if (fd < 0)
		return;
	res->connected = true;
	res->connect_ms = dialog_ms_since(&start);
	if (c->protocol == SVC_LMTP)
		dialog_lmtp(c, fd, deadline, timeout_ms, &start, res);
	else
		dialog_tcp(c, fd, deadline, timeout_ms, &start, res);
	close(fd);
}
