/*
 * service_conn.c - the connection under the `service` probe's own
 * dialogues (service_mail.c, service_tcp.c): name lookup and connect
 * within the time budget, then reads and writes on a non-blocking
 * socket, plain or through TLS (service_tls.c), each waiting with poll()
 * on no more than what is left of the budget.  So a run never takes
 * longer than the target's timeout, whatever the server does.
 *
 * Name resolution of a non-numeric host runs in a helper thread that is
 * abandoned (and cleans up after itself) when the budget ends first:
 * getaddrinfo has no timeout of its own.
 *
 * Everything received is appended to one buffer, the transcript the
 * parser in probe_service.c reads, capped at SERVICE_TRANSCRIPT_MAX.
 * Plain writes use MSG_NOSIGNAL and TLS writes go through a BIO that
 * does too, so a peer that closes early cannot raise SIGPIPE.
 */
#include "config.h"

#include <errno.h>
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

#include "probe.h"
#include "service.h"
#include "xmalloc.h"

double
service_ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1000.0 +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* poll timeout for what is left until (ms, monotonic); 0 when spent. */
static int
conn_left(int64_t until)
{
	int64_t left = until - probe_mono_ms();
	if (left <= 0)
		return 0;
	return left > 1000000 ? 1000000 : (int)left;
}

/* Wait until fd is ready for events or until passes: 1 ready, 0 timed
   out, -1 error (errno). */
static int
conn_wait(int fd, short events, int64_t until)
{
	for (;;) {
		struct pollfd pfd = {fd, events, 0};
		int left = conn_left(until);
		if (left == 0)
			return 0;
		int pr = poll(&pfd, 1, left);
		if (pr > 0)
			return 1;
		if (pr == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* ---- name resolution with a deadline ------------------------------------ */

/* Shared between the caller and the resolver thread; the last one to let
   go frees it, so an abandoned lookup finishes on its own. */
struct conn_lookup {
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
conn_lookup_release(struct conn_lookup *lk)
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
conn_lookup_thread(void *arg)
{
	struct conn_lookup *lk = arg;
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
	conn_lookup_release(lk);
	return NULL;
}

/* Addresses of host:port, or -1 with *error_r. */
static int
conn_resolve(const char *host, int port, int64_t deadline, struct addrinfo **ai_r, char **error_r)
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

	struct conn_lookup *lk = xcalloc(1, sizeof(*lk));
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
	if (pthread_create(&tid, &ta, conn_lookup_thread, lk) != 0) {
		pthread_attr_destroy(&ta);
		lk->refs = 1;
		conn_lookup_release(lk);
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
	conn_lookup_release(lk);
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

/* ---- connecting ---------------------------------------------------------- */

/* Connect to the first address that accepts; -1 with *error_r (the last
   address's reason) otherwise. */
static int
conn_connect(const struct service_conf *c, struct addrinfo *ai, int64_t deadline,
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
			int pr = conn_wait(fd, POLLOUT, deadline);
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

int
service_conn_open(struct service_conn *cn, const struct service_conf *c, int64_t timeout_ms,
                  struct service_result *res)
{
	struct addrinfo *ai = NULL;

	memset(cn, 0, sizeof(*cn));
	cn->conf = c;
	cn->fd = -1;
	cn->timeout_ms = timeout_ms;
	clock_gettime(CLOCK_MONOTONIC, &cn->start);
	cn->deadline = probe_mono_ms() + timeout_ms;
	if (conn_resolve(c->host, c->port, cn->deadline, &ai, &res->error) < 0)
		return -1;
	cn->fd = conn_connect(c, ai, cn->deadline, timeout_ms, &res->error);
	freeaddrinfo(ai);
	if (cn->fd < 0)
		return -1;
	res->connected = true;
	res->connect_ms = service_ms_since(&cn->start);
	return 0;
}

/* ---- reading and writing -------------------------------------------------- */

static int64_t
conn_until(const struct service_conn *cn, int64_t until)
{
	return until < cn->deadline ? until : cn->deadline;
}

/* Wait until the socket is ready for events: SVC_IO_OK to try again, else
   SVC_IO_TIMEOUT / SVC_IO_ERROR (with cn->why). */
static int
conn_wait_io(struct service_conn *cn, short events, int64_t until)
{
	int pr = conn_wait(cn->fd, events, until);
	if (pr > 0)
		return SVC_IO_OK;
	if (pr == 0)
		return SVC_IO_TIMEOUT;
	snprintf(cn->why, sizeof(cn->why), "poll: %s", strerror(errno));
	return SVC_IO_ERROR;
}

/* Wait for what a TLS step asked for. */
static int
conn_wait_tls(struct service_conn *cn, long step, int64_t until)
{
	return conn_wait_io(cn, step == SVC_TLS_WANT_WRITE ? POLLOUT : POLLIN, until);
}

int
service_conn_write(struct service_conn *cn, const char *s, size_t len, int64_t until)
{
	size_t off = 0;

	until = conn_until(cn, until);
	while (off < len) {
		if (cn->tls != NULL) {
			long w = service_tls_write(cn->tls, s + off, len - off, cn->why,
			                           sizeof(cn->why));
			if (w > 0) {
				off += (size_t)w;
				continue;
			}
			if (w == SVC_TLS_CLOSED) {
				snprintf(cn->why, sizeof(cn->why),
				         "connection closed by the server");
				return SVC_IO_ERROR;
			}
			if (w == SVC_TLS_FAILED)
				return SVC_IO_ERROR;
			int rc = conn_wait_tls(cn, w, until);
			if (rc != SVC_IO_OK)
				return rc;
			continue;
		}
		ssize_t w = send(cn->fd, s + off, len - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(cn->why, sizeof(cn->why), "%s", strerror(errno));
			return SVC_IO_ERROR;
		}
		int rc = conn_wait_io(cn, POLLOUT, until);
		if (rc != SVC_IO_OK)
			return rc;
	}
	return SVC_IO_OK;
}

int
service_conn_read(struct service_conn *cn, int64_t until)
{
	until = conn_until(cn, until);
	if (cn->len >= SERVICE_TRANSCRIPT_MAX)
		return SVC_IO_FULL;
	cn->buf = xgrow(cn->buf, &cn->cap, SERVICE_TRANSCRIPT_MAX + 1, 1);
	for (;;) {
		char *at = cn->buf + cn->len;
		size_t room = SERVICE_TRANSCRIPT_MAX - cn->len;
		if (cn->tls != NULL) {
			/* a record may already be buffered inside OpenSSL, so read
			   first and wait only when it asks */
			long r = service_tls_read(cn->tls, at, room, cn->why, sizeof(cn->why));
			if (r > 0) {
				cn->len += (size_t)r;
				cn->buf[cn->len] = '\0';
				return SVC_IO_OK;
			}
			if (r == SVC_TLS_CLOSED)
				return SVC_IO_EOF;
			if (r == SVC_TLS_FAILED)
				return SVC_IO_ERROR;
			int rc = conn_wait_tls(cn, r, until);
			if (rc != SVC_IO_OK)
				return rc;
			continue;
		}
		ssize_t r = recv(cn->fd, at, room, 0);
		if (r > 0) {
			cn->len += (size_t)r;
			cn->buf[cn->len] = '\0';
			return SVC_IO_OK;
		}
		if (r == 0)
			return SVC_IO_EOF;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(cn->why, sizeof(cn->why), "%s", strerror(errno));
			return SVC_IO_ERROR;
		}
		int rc = conn_wait_io(cn, POLLIN, until);
		if (rc != SVC_IO_OK)
			return rc;
	}
}

int
service_conn_starttls(struct service_conn *cn)
{
	struct service_tls *t = service_tls_new(cn->conf, cn->fd, cn->why, sizeof(cn->why));

	if (t == NULL) {
		service_tls_thread_done();
		return SVC_IO_ERROR;
	}
	for (;;) {
		int step = service_tls_handshake(t, cn->why, sizeof(cn->why));
		if (step == 0)
			break;
		int rc = SVC_IO_ERROR;
		if (step == SVC_TLS_CLOSED)
			rc = SVC_IO_EOF;
		else if (step == SVC_TLS_WANT_READ || step == SVC_TLS_WANT_WRITE)
			rc = conn_wait_tls(cn, step, cn->deadline);
		if (rc != SVC_IO_OK) {
			service_tls_free(t);
			return rc;
		}
	}
	cn->tls = t;
	return SVC_IO_OK;
}

char *
service_conn_read_error(const struct service_conn *cn, int rc, const char *what)
{
	switch (rc) {
	case SVC_IO_EOF:
		return xasprintf("connection closed while waiting for %s", what);
	case SVC_IO_TIMEOUT:
		return xasprintf("timed out waiting for %s (%lld ms)", what,
		                 (long long)cn->timeout_ms);
	case SVC_IO_FULL:
		return xasprintf("%s longer than %d bytes", what, SERVICE_TRANSCRIPT_MAX);
	default:
		return xasprintf("reading %s: %s", what, cn->why);
	}
}

void
service_conn_close(struct service_conn *cn)
{
	if (cn->tls != NULL)
		service_tls_free(cn->tls);
	cn->tls = NULL;
	if (cn->fd >= 0)
		close(cn->fd);
	cn->fd = -1;
	free(cn->buf);
	cn->buf = NULL;
	cn->len = cn->cap = 0;
}
