/*
 * service_tcp.c - the `service` probe's plain TCP dialogue: connect;
 * send `send` if set; without `expect` the service is up as soon as the
 * connection stands; with `expect`, read lines until one matches (each
 * line on its own, CR/LF stripped), the peer closes, or the time budget
 * ends.  The connection, its time budget and the capped transcript are
 * service_conn.c's.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"
#include "service.h"
#include "xmalloc.h"

/* Match the lines of [from, len) against expect; a last line without a
   newline only when (final).  Returns 1 on a match; advances *from past
   the lines it looked at. */
static int
tcp_match_lines(const struct rx *rx, const struct service_conn *cn, size_t *from, bool final)
{
	while (*from < cn->len) {
		const char *s = cn->buf + *from;
		const char *nl = memchr(s, '\n', cn->len - *from);
		size_t n = nl != NULL ? (size_t)(nl - s) : cn->len - *from;
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

void
service_tcp_run(const struct service_conf *c, int64_t timeout_ms, struct service_result *res)
{
	struct service_conn cn;
	size_t from = 0;

	if (c->protocol != SVC_TCP) {
		res->error =
		    xasprintf("protocol %s has no TCP dialogue", service_proto_name(c->protocol));
		return;
	}
	if (service_conn_open(&cn, c, timeout_ms, res) < 0)
		return;
	if (c->send != NULL && c->send[0] != '\0') {
		int rc = service_conn_write(&cn, c->send, strlen(c->send), cn.deadline);
		if (rc != SVC_IO_OK) {
			res->error =
			    xasprintf("sending: %s", rc == SVC_IO_TIMEOUT ? "timed out" : cn.why);
			goto out;
		}
	}
	if (c->expect == NULL) {
		res->response_ms = res->connect_ms;
		goto out;
	}
	for (;;) {
		int rc = service_conn_read(&cn, cn.deadline);
		bool final = rc != SVC_IO_OK;
		if (tcp_match_lines(c->expect, &cn, &from, final)) {
			res->response_ms = service_ms_since(&cn.start);
			break;
		}
		if (!final)
			continue;
		if (cn.len == 0)
			res->error = service_conn_read_error(&cn, rc, "greeting");
		else if (rc == SVC_IO_TIMEOUT)
			res->error =
			    xasprintf("banner does not match expect /%s/ (timed out after %lld ms)",
			              rx_pattern(c->expect), (long long)timeout_ms);
		else
			res->error =
			    xasprintf("banner does not match expect /%s/", rx_pattern(c->expect));
		break;
	}
	service_parse_responses(SVC_TCP, cn.buf, cn.len, &res->reply);
out:
	service_conn_close(&cn);
}
