/*
 * fuzz-mail.c - fuzz target: the `service` probe's live dialogues
 * (agent/service_mail.c, agent/service_tcp.c) against a server that
 * answers with the input.
 *
 * service_parse_responses (fuzz-service) reads a finished transcript;
 * this target covers the code that decides, byte by byte as they
 * arrive, where a reply ends (SMTP continuation lines, IMAP tags, the
 * "." of a POP3 list), which command comes next, STARTTLS and its
 * command-injection guard, and the goodbye.  A thread of this process
 * accepts the probe's connection on 127.0.0.1, sends the input whatever
 * the probe says, closes its side and waits for the probe to hang up;
 * so each run ends on end of file, never on the time limit.
 *
 * The protocol follows the input's first byte: '*' IMAP, '+' or '-'
 * POP3, otherwise SMTP when the first line says "SMTP" (Postfix's
 * "220 host ESMTP ...") and LMTP when not (Dovecot's LMTP greeting), with
 * STARTTLS on where the protocol has it (the handshake then meets the
 * rest of the input); the same input also goes through a plain TCP check
 * with send and expect.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "rx.h"
#include "service.h"

/* Long enough never to be reached: every run ends on end of file. */
#define RUN_TIMEOUT_MS 5000
#define SERVER_WAIT_MS 5000

struct server {
	int lfd;
	const uint8_t *data;
	size_t size;
};

static int
wait_fd(int fd, short events)
{
	struct pollfd p = {fd, events, 0};

	return poll(&p, 1, SERVER_WAIT_MS) == 1 ? 0 : -1;
}

/* Accept one connection, send the input, close the sending side, read
   until the probe closes. */
static void *
serve(void *arg)
{
	const struct server *sv = arg;
	char sink[4096];
	size_t off = 0;
	int fd;

	if (wait_fd(sv->lfd, POLLIN) < 0)
		return NULL;
	fd = accept(sv->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	while (off < sv->size) {
		ssize_t w = send(fd, sv->data + off, sv->size - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* the probe hung up before reading it all */
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	while (wait_fd(fd, POLLIN) == 0 && read(fd, sink, sizeof(sink)) > 0)
		;
	close(fd);
	return NULL;
}

/* Length of the first line of the input. */
static size_t
first_line(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);

	return nl != NULL ? (size_t)(nl - data) : size;
}

static int
listener(int *port_r)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		close(fd);
		return -1;
	}
	*port_r = ntohs(sa.sin_port);
	return fd;
}

static void
run(struct service_conf *c, int lfd, const uint8_t *data, size_t size)
{
	struct server sv = {lfd, data, size};
	struct service_result res;
	pthread_t th;

	memset(&res, 0, sizeof(res));
	res.connect_ms = -1;
	res.response_ms = -1;
	if (pthread_create(&th, NULL, serve, &sv) != 0)
		abort();
	if (c->protocol == SVC_TCP)
		service_tcp_run(c, RUN_TIMEOUT_MS, &res);
	else
		service_mail_run(c, RUN_TIMEOUT_MS, &res);
	pthread_join(th, NULL);
	if (!res.connected)
		abort(); /* the server is right here: the test itself is broken */
	service_result_free(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int lfd = -1, port;
	static struct service_conf mail, tcp;
	static char host[] = "127.0.0.1", ehlo[] = "mxsla-fuzz", send_text[] = "HELLO\r\n";

	if (size > SERVICE_TRANSCRIPT_MAX)
		return 0;
	if (lfd < 0) {
		char *err = NULL;
		size_t off;

		lfd = listener(&port);
		if (lfd < 0) {
			perror("fuzz-mail: listen on 127.0.0.1");
			abort();
		}
		mail.host = host;
		mail.port = port;
		mail.ehlo = ehlo;
		mail.tls_cache = service_tls_cache_new();
		tcp.protocol = SVC_TCP;
		tcp.host = host;
		tcp.port = port;
		tcp.send = send_text;
		tcp.expect = rx_compile("^(220|\\* OK|\\+OK)\\b", 0, &err, &off);
		if (tcp.expect == NULL)
			abort();
	}
	if (size > 0 && data[0] == '*')
		mail.protocol = SVC_IMAP;
	else if (size > 0 && (data[0] == '+' || data[0] == '-'))
		mail.protocol = SVC_POP3;
	else if (memmem(data, first_line(data, size), "SMTP", 4) != NULL)
		mail.protocol = SVC_SMTP;
	else
		mail.protocol = SVC_LMTP;
	mail.starttls = mail.protocol != SVC_LMTP;
	run(&mail, lfd, data, size);
	run(&tcp, lfd, data, size);
	return 0;
}
