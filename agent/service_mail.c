/*
 * service_mail.c - the `service` probe's mail dialogues: SMTP,
 * submission, SMTPS and LMTP; IMAP and IMAPS; POP3 and POP3S.  Short
 * send/expect conversations on one connection (service_conn.c), the way
 * a mail client opens a session, and no further:
 *
 *   SMTP/LMTP   greeting; EHLO name (LMTP: LHLO); [STARTTLS; TLS; EHLO];
 *               QUIT.  A server that does not know EHLO (500-504) gets
 *               HELO instead.
 *   IMAP        greeting; A001 CAPABILITY; [A002 STARTTLS; TLS;
 *               A003 CAPABILITY]; LOGOUT with the next tag.
 *   POP3        greeting; CAPA; [STLS; TLS; CAPA]; QUIT.
 *
 * smtps, imaps and pop3s start TLS right after connecting.  Nothing logs
 * in and no mail is sent.  Every reply is read whole (an SMTP reply up to
 * its last line, an IMAP command up to its tagged line, a CAPA list up to
 * its ".") within the target's time budget, and the goodbye waits at most
 * a second for its answer, so that servers log a clean QUIT/LOGOUT
 * instead of a lost connection on every probe.
 *
 * Everything the server sent is kept in one transcript that
 * probe_service.c parses (banner, greeting, capabilities before and
 * after STARTTLS).  Bytes that arrive after the server's STARTTLS answer
 * and before the handshake are dropped, not read as the encrypted
 * session's (the STARTTLS command-injection attack).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe.h"
#include "service.h"
#include "xmalloc.h"

#define MAIL_BYE_WAIT_MAX_MS 1000
#define MAIL_LINE_SHOWN_MAX 512 /* of a server line quoted in an error */

/* How a reply ends. */
enum mail_reply_kind {
	MAIL_REPLY_SMTP,      /* "ddd-" lines, then a "ddd " (or "ddd") line */
	MAIL_REPLY_LINE,      /* one line (IMAP/POP3 greeting, POP3 STLS) */
	MAIL_REPLY_IMAP_TAG,  /* untagged "* " lines, then the line of our tag */
	MAIL_REPLY_POP3_MULTI /* "+OK", lines, "." -- or a single "-ERR" */
};

/* Outcome of a step: done; failed with the session still in step (a
   goodbye makes sense); failed with the connection unusable (timed out,
   closed, TLS broken). */
enum { MAIL_OK = 0, MAIL_FAILED = -1, MAIL_BROKEN = -2 };

struct mail_session {
	struct service_conn cn;
	const struct service_conf *c;
	enum service_proto p;
	enum service_family fam;
	struct service_result *res;
	int tag;          /* IMAP: number of the last tag sent */
	char curtag[16];  /* IMAP: tag of the command being answered */
	size_t reply_at;  /* where the last complete reply starts */
	size_t parse_end; /* transcript bytes the parser gets */
};

/* ---- replies ------------------------------------------------------------------ */

static bool
mail_is_continuation(const char *s, size_t n)
{
	return n >= 4 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	       isdigit((unsigned char)s[2]) && s[3] == '-';
}

/* Whether line (CR/LF stripped) ends a reply of kind; first is true for
   the reply's first line, *multi is state kept for POP3. */
static bool
mail_line_ends(const struct mail_session *ms, enum mail_reply_kind kind, const char *s, size_t n,
               bool first, bool *multi)
{
	switch (kind) {
	case MAIL_REPLY_SMTP:
		return !mail_is_continuation(s, n);
	case MAIL_REPLY_LINE:
		return true;
	case MAIL_REPLY_IMAP_TAG: {
		size_t tl = strlen(ms->curtag);
		return n > tl && strncmp(s, ms->curtag, tl) == 0 && s[tl] == ' ';
	}
	case MAIL_REPLY_POP3_MULTI:
		if (first) {
			*multi = n >= 3 && strncasecmp(s, "+OK", 3) == 0;
			return !*multi;
		}
		return n == 1 && s[0] == '.';
	}
	return true;
}

/* Read until the reply that starts at the end of what has been consumed
   so far (ms->parse_end) is complete; then it spans [reply_at,
   parse_end).  Only lines not looked at yet are examined, so a server
   trickling bytes costs linear time.  SVC_IO_OK or what stopped it. */
static int
mail_read_reply(struct mail_session *ms, enum mail_reply_kind kind)
{
	struct service_conn *cn = &ms->cn;
	size_t from = ms->parse_end;
	size_t line_start = from, scanned = from;
	bool first = true, multi = false;

	for (;;) {
		for (; scanned < cn->len; scanned++) {
			if (cn->buf[scanned] != '\n')
				continue;
			size_t n = scanned - line_start;
			if (n > 0 && cn->buf[line_start + n - 1] == '\r')
				n--;
			bool ends =
			    mail_line_ends(ms, kind, cn->buf + line_start, n, first, &multi);
			first = false;
			line_start = scanned + 1;
			if (ends) {
				ms->reply_at = from;
				ms->parse_end = scanned + 1;
				return SVC_IO_OK;
			}
		}
		int rc = service_conn_read(cn, cn->deadline);
		if (rc != SVC_IO_OK)
			return rc;
	}
}

/* First line of the last reply (for messages), capped. */
static char *
mail_reply_line(const struct mail_session *ms)
{
	const char *s = ms->cn.buf + ms->reply_at;
	size_t n = 0, max = ms->parse_end - ms->reply_at;

	while (n < max && s[n] != '\r' && s[n] != '\n')
		n++;
	return xstrndup(s, n > MAIL_LINE_SHOWN_MAX ? MAIL_LINE_SHOWN_MAX : n);
}

/* Last line of the last reply (the tagged line of IMAP), capped. */
static char *
mail_reply_last_line(const struct mail_session *ms)
{
	const char *s = ms->cn.buf + ms->reply_at;
	size_t end = ms->parse_end - ms->reply_at;

	while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r'))
		end--;
	size_t start = end;
	while (start > 0 && s[start - 1] != '\n')
		start--;
	size_t n = end - start;
	return xstrndup(s + start, n > MAIL_LINE_SHOWN_MAX ? MAIL_LINE_SHOWN_MAX : n);
}

/* SMTP code of the last reply, or -1. */
static int
mail_reply_code(const struct mail_session *ms)
{
	const char *s = ms->cn.buf + ms->reply_at;
	size_t n = ms->parse_end - ms->reply_at;

	if (n < 3 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]))
		return -1;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* Whether the last reply is a success: SMTP 2xx, the IMAP tagged OK,
   POP3 +OK. */
static bool
mail_reply_ok(const struct mail_session *ms)
{
	switch (ms->fam) {
	case SVC_FAM_SMTP: {
		int code = mail_reply_code(ms);
		return code >= 200 && code < 300;
	}
	case SVC_FAM_IMAP: {
		char *l = mail_reply_last_line(ms);
		size_t tl = strlen(ms->curtag);
		bool ok = strlen(l) >= tl + 3 && strncasecmp(l + tl + 1, "OK", 2) == 0;
		free(l);
		return ok;
	}
	default: {
		const char *s = ms->cn.buf + ms->reply_at;
		return ms->parse_end - ms->reply_at >= 3 && strncasecmp(s, "+OK", 3) == 0;
	}
	}
}

/* Whether the greeting says "welcome": 2xx, "* OK"/"* PREAUTH", "+OK". */
static bool
mail_greeting_ok(const struct mail_session *ms)
{
	const char *s = ms->cn.buf + ms->reply_at;
	size_t n = ms->parse_end - ms->reply_at;

	switch (ms->fam) {
	case SVC_FAM_SMTP:
		return mail_reply_ok(ms);
	case SVC_FAM_IMAP:
		return (n >= 4 && strncasecmp(s, "* OK", 4) == 0) ||
		       (n >= 9 && strncasecmp(s, "* PREAUTH", 9) == 0);
	default:
		return n >= 3 && strncasecmp(s, "+OK", 3) == 0;
	}
}

/* ---- commands ------------------------------------------------------------------ */

/* Send a command line (CRLF added; IMAP: a fresh tag in front).
   MAIL_OK, or MAIL_BROKEN with res->error "sending NAME: ...". */
static int
mail_send(struct mail_session *ms, const char *cmd, const char *name)
{
	char *line;

	if (ms->fam == SVC_FAM_IMAP) {
		snprintf(ms->curtag, sizeof(ms->curtag), "A%03d", ++ms->tag);
		line = xasprintf("%s %s\r\n", ms->curtag, cmd);
	} else {
		line = xasprintf("%s\r\n", cmd);
	}
	int rc = service_conn_write(&ms->cn, line, strlen(line), ms->cn.deadline);
	free(line);
	if (rc == SVC_IO_OK)
		return MAIL_OK;
	ms->res->error =
	    xasprintf("sending %s: %s", name, rc == SVC_IO_TIMEOUT ? "timed out" : ms->cn.why);
	return MAIL_BROKEN;
}

/* Send a command and read its whole reply: MAIL_OK (whatever the reply
   says), or MAIL_BROKEN with res->error. */
static int
mail_command(struct mail_session *ms, const char *cmd, const char *name, enum mail_reply_kind kind)
{
	if (mail_send(ms, cmd, name) != MAIL_OK)
		return MAIL_BROKEN;
	int rc = mail_read_reply(ms, kind);
	if (rc == SVC_IO_OK)
		return MAIL_OK;
	char *what = xasprintf("the %s reply", name);
	ms->res->error = service_conn_read_error(&ms->cn, rc, what);
	free(what);
	return MAIL_BROKEN;
}

/* Ask for the capability list: EHLO/LHLO (HELO when EHLO is unknown),
   CAPABILITY, CAPA.  MAIL_OK, or another MAIL_* with res->error.  A
   refused CAPABILITY or
   CAPA is not an error: both are optional (RFC 3501 servers put the list
   in the greeting; CAPA is an RFC 2449 extension). */
static int
mail_capabilities(struct mail_session *ms)
{
	const char *verb = ms->p == SVC_LMTP ? "LHLO" : "EHLO";
	char *cmd;
	int rc;

	switch (ms->fam) {
	case SVC_FAM_SMTP:
		cmd = xasprintf("%s %s", verb, ms->c->ehlo);
		rc = mail_command(ms, cmd, verb, MAIL_REPLY_SMTP);
		free(cmd);
		if (rc != MAIL_OK)
			return rc;
		if (mail_reply_ok(ms))
			return MAIL_OK;
		int code = mail_reply_code(ms);
		if (ms->p != SVC_LMTP && code >= 500 && code <= 504 && !ms->res->tls) {
			cmd = xasprintf("HELO %s", ms->c->ehlo);
			rc = mail_command(ms, cmd, "HELO", MAIL_REPLY_SMTP);
			free(cmd);
			if (rc != MAIL_OK)
				return rc;
			if (mail_reply_ok(ms))
				return MAIL_OK;
			verb = "HELO";
		}
		char *l = mail_reply_line(ms);
		ms->res->error = xasprintf("%s rejected: %s", verb, l);
		free(l);
		return MAIL_FAILED;
	case SVC_FAM_IMAP:
		return mail_command(ms, "CAPABILITY", "CAPABILITY", MAIL_REPLY_IMAP_TAG);
	default:
		return mail_command(ms, "CAPA", "CAPA", MAIL_REPLY_POP3_MULTI);
	}
}

/* Whether the capabilities seen so far offer STARTTLS (STLS for POP3). */
static bool
mail_offers_starttls(const struct mail_session *ms)
{
	struct service_reply r;
	bool offered = false;

	memset(&r, 0, sizeof(r));
	service_parse_responses(ms->p, ms->cn.buf, ms->parse_end, &r);
	const char *kw = ms->fam == SVC_FAM_POP3 ? "STLS" : "STARTTLS";
	size_t kn = strlen(kw);
	for (const char *c = r.capabilities; c != NULL && *c; c++)
		if ((c == r.capabilities || c[-1] == ' ') && strncasecmp(c, kw, kn) == 0 &&
		    (c[kn] == '\0' || c[kn] == ' '))
			offered = true;
	service_reply_free(&r);
	return offered;
}

/* Say goodbye and give the answer a moment, within the budget; whatever
   happens here does not change the result. */
static void
mail_goodbye(struct mail_session *ms)
{
	int64_t until = probe_mono_ms() + MAIL_BYE_WAIT_MAX_MS;
	char *line;

	if (ms->fam == SVC_FAM_IMAP)
		line = xasprintf("A%03d LOGOUT\r\n", ++ms->tag);
	else
		line = xstrdup("QUIT\r\n");
	if (until > ms->cn.deadline)
		until = ms->cn.deadline;
	if (probe_mono_ms() < until &&
	    service_conn_write(&ms->cn, line, strlen(line), until) == SVC_IO_OK) {
		size_t from = ms->cn.len;
		/* the first line of the answer is enough (or the close) */
		while (ms->cn.buf == NULL ||
		       memchr(ms->cn.buf + from, '\n', ms->cn.len - from) == NULL)
			if (service_conn_read(&ms->cn, until) != SVC_IO_OK)
				break;
	}
	free(line);
}

/* ---- TLS ------------------------------------------------------------------------ */

/* Start TLS on the connection and take the certificate facts (implicit:
   right after connecting; else after the go-ahead to STARTTLS).  MAIL_OK,
   or MAIL_BROKEN with res->error. */
static int
mail_tls(struct mail_session *ms, bool implicit)
{
	const struct service_conf *c = ms->c;
	int rc = service_conn_starttls(&ms->cn);

	if (rc == SVC_IO_OK) {
		ms->res->tls = true;
		service_tls_peer_certificate(ms->cn.tls, ms->res);
		return MAIL_OK;
	}
	if (rc == SVC_IO_TIMEOUT)
		ms->res->error =
		    xasprintf("timed out in the TLS handshake with %s port %d (%lld ms)", c->host,
		              c->port, (long long)ms->cn.timeout_ms);
	else if (implicit)
		ms->res->error =
		    xasprintf("TLS handshake with %s port %d: %s", c->host, c->port,
		              rc == SVC_IO_EOF ? "connection closed by the server" : ms->cn.why);
	else
		ms->res->error = xasprintf(
		    "STARTTLS failed: %s",
		    rc == SVC_IO_EOF ? "connection closed during the TLS handshake" : ms->cn.why);
	return MAIL_BROKEN;
}

/* STARTTLS/STLS after the first capability list, then the list again.
   MAIL_OK, or another MAIL_* with res->error. */
static int
mail_starttls(struct mail_session *ms)
{
	static const char *const cmds[] = {
	    [SVC_FAM_SMTP] = "STARTTLS", [SVC_FAM_IMAP] = "STARTTLS", [SVC_FAM_POP3] = "STLS"};
	enum mail_reply_kind kind = ms->fam == SVC_FAM_SMTP   ? MAIL_REPLY_SMTP
	                            : ms->fam == SVC_FAM_IMAP ? MAIL_REPLY_IMAP_TAG
	                                                      : MAIL_REPLY_LINE;

	if (!mail_offers_starttls(ms)) {
		ms->res->error = xstrdup("STARTTLS requested but not offered by the server");
		return MAIL_FAILED;
	}
	if (mail_command(ms, cmds[ms->fam], cmds[ms->fam], kind) != MAIL_OK)
		return MAIL_BROKEN;
	if (!mail_reply_ok(ms)) {
		char *l = ms->fam == SVC_FAM_IMAP ? mail_reply_last_line(ms) : mail_reply_line(ms);
		ms->res->error = xasprintf("STARTTLS failed: %s", l);
		free(l);
		return MAIL_FAILED;
	}
	/* whatever came with the go-ahead is not the TLS session's */
	ms->cn.len = ms->parse_end;
	if (mail_tls(ms, false) != MAIL_OK)
		return MAIL_BROKEN;
	return mail_capabilities(ms);
}

/* ---- the dialogue ------------------------------------------------------------------ */

static void
mail_dialogue(struct mail_session *ms)
{
	struct service_result *res = ms->res;

	if (service_proto_implicit_tls(ms->p) && mail_tls(ms, true) != MAIL_OK)
		return;

	enum mail_reply_kind gk = ms->fam == SVC_FAM_SMTP ? MAIL_REPLY_SMTP : MAIL_REPLY_LINE;
	int rc = mail_read_reply(ms, gk);
	if (rc != SVC_IO_OK) {
		res->error = service_conn_read_error(&ms->cn, rc, "greeting");
		return;
	}
	res->response_ms = service_ms_since(&ms->cn.start);
	if (!mail_greeting_ok(ms)) {
		char *l = mail_reply_line(ms);
		res->error = xasprintf("unexpected greeting: %s", l);
		free(l);
		mail_goodbye(ms);
		return;
	}
	int st = mail_capabilities(ms);
	if (st == MAIL_OK && ms->c->starttls)
		st = mail_starttls(ms);
	if (st != MAIL_BROKEN)
		mail_goodbye(ms);
}

void
service_mail_run(const struct service_conf *c, int64_t timeout_ms, struct service_result *res)
{
	struct mail_session ms;
	enum service_family fam = service_proto_family((enum service_proto)c->protocol);

	memset(&ms, 0, sizeof(ms));
	if (fam != SVC_FAM_SMTP && fam != SVC_FAM_IMAP && fam != SVC_FAM_POP3) {
		res->error = xasprintf("protocol %s is not a mail protocol",
		                       service_proto_name(c->protocol));
		return;
	}
	ms.c = c;
	ms.p = (enum service_proto)c->protocol;
	ms.fam = fam;
	ms.res = res;
	if (service_conn_open(&ms.cn, c, timeout_ms, res) < 0)
		return;
	mail_dialogue(&ms);
	/* the parser gets the replies that were read whole, not the
	   goodbye's answer; without a whole greeting, whatever came */
	size_t n = ms.parse_end > 0 ? ms.parse_end : ms.cn.len;
	service_parse_responses(ms.p, ms.cn.buf, n, &res->reply);
	service_conn_close(&ms.cn);
}
