/*
 * test-service.c - the `service` probe.
 *
 * Parser tests run on transcripts captured from real Postfix 3.7 and
 * Dovecot 2.3 (tests/data/service/, see its README).  End-to-end tests
 * talk to small scripted servers started in a thread on 127.0.0.1 (and
 * ::1 where the host has it) on ephemeral ports: SMTP, IMAP, POP3, LMTP
 * and HTTP responders, a listener that accepts and never speaks, a closed
 * port.  The scripted servers speak TLS through OpenSSL with the test
 * certificates, from the start (smtps, imaps, pop3s) or after their
 * STARTTLS/STLS go-ahead, and record the commands they receive and the
 * server name the client asked for.  The HTTPS test runs `openssl
 * s_server -www` with the test certificate (skipped when the openssl
 * program is missing).  tests/integration/service-tls.sh does the same
 * against a real Postfix and Dovecot.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ssl.h>

#include "cfgerr.h"
#include "obs.h"
#include "probe.h"
#include "service.h"
#include "testutil.h"
#include "xmalloc.h"
#include "ytree.h"

extern char **environ;

/* ---- helpers ---------------------------------------------------------------- */

static struct service_reply
parse_fixture(enum service_proto p, const char *name)
{
	struct service_reply r;
	size_t len;
	char *text = tu_read_data("service", name, &len);

	memset(&r, 0, sizeof(r));
	service_parse_responses(p, text, len, &r);
	free(text);
	return r;
}

static double
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* A target configured from a YAML flow map; NULL (and *errs filled) when
   configure refuses it. */
static struct target *
make_target_e(const char *yaml, int64_t timeout_ms, struct cfgerr *errs)
{
	struct ynode *root = ytree_load_string("test.yaml", yaml, strlen(yaml), errs);
	struct target *t;

	if (root == NULL)
		fail_msg("YAML does not load: %s", yaml);
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup("svc");
	t->probe = xstrdup("service");
	t->ops = &probe_service_ops;
	t->timeout_ms = timeout_ms;
	t->interval_ms = 60000;
	if (probe_service_ops.configure(t, root, errs) != 0) {
		ytree_free(root);
		free(t->name);
		free(t->probe);
		free(t->driver);
		free(t);
		return NULL;
	}
	ytree_free(root);
	return t;
}

static struct target *
make_target(const char *yaml, int64_t timeout_ms)
{
	struct cfgerr errs;
	struct target *t;

	cfgerr_init(&errs);
	t = make_target_e(yaml, timeout_ms, &errs);
	if (t == NULL) {
		cfgerr_print(&errs, stderr);
		fail_msg("configure refused: %s", yaml);
	}
	cfgerr_free(&errs);
	return t;
}

static void
free_target(struct target *t)
{
	probe_service_ops.free_conf(t->conf);
	free(t->name);
	free(t->probe);
	free(t->driver);
	free(t);
}

/* Run the probe once; *elapsed_r in ms. */
static void
run_target(struct target *t, struct obs *o, double *elapsed_r)
{
	void *state = NULL;
	double t0 = mono_ms();

	obs_init(o);
	probe_service_ops.run(t, &state, o);
	if (elapsed_r != NULL)
		*elapsed_r = mono_ms() - t0;
	assert_null(state);
}

/* ---- a scripted line server in a thread -------------------------------------- */

/* On a received line whose command starts with (cmd) (case-insensitive;
   "" matches an empty line), send (reply).  In a reply, "{T}" stands for
   the command's tag (IMAP); a trailing "{CLOSE}" closes the connection
   after sending, a trailing "{TLS}" starts TLS (SSL_accept) after
   sending, as a server does on STARTTLS. */
struct ts_rule {
	const char *cmd;
	const char *reply;
};

struct tsrv {
	int lfd;
	int port;
	pthread_t tid;
	atomic_int stop;
	const char *greeting;        /* sent on accept ("{CLOSE}" as above); NULL: never speaks */
	const struct ts_rule *rules; /* ends with { NULL, NULL }; may be NULL */
	const struct ts_rule *rules_tls; /* used once TLS is on; NULL: the same rules */
	bool tagged;                     /* IMAP: "TAG COMMAND" */
	SSL_CTX *tls_ctx;                /* for {TLS} and implicit TLS (ts_tls) */
	bool implicit_tls;               /* TLS right after accept */
	pthread_mutex_t mu;
	char log[8192]; /* received lines, one per line */
	size_t loglen;
	int accepted;
	int handshakes; /* TLS handshakes that completed */
	char sni[256];  /* server name the client sent in the last handshake */
};

/* One accepted connection, plain or TLS. */
struct ts_conn {
	int fd;
	SSL *ssl;
};

static void
ts_send(struct ts_conn *c, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w =
		    c->ssl != NULL ? SSL_write(c->ssl, s, (int)n) : send(c->fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

enum { TS_GO_ON, TS_CLOSE, TS_TLS };

/* Send a reply template; what to do next. */
static int
ts_reply(struct ts_conn *c, const char *tpl, const char *tag, size_t taglen)
{
	size_t n = strlen(tpl);
	int next = TS_GO_ON;
	const char *p;

	if (n >= 7 && strcmp(tpl + n - 7, "{CLOSE}") == 0) {
		next = TS_CLOSE;
		n -= 7;
	} else if (n >= 5 && strcmp(tpl + n - 5, "{TLS}") == 0) {
		next = TS_TLS;
		n -= 5;
	}
	while (n > 0 && (p = memmem(tpl, n, "{T}", 3)) != NULL) {
		ts_send(c, tpl, (size_t)(p - tpl));
		ts_send(c, tag, taglen);
		n -= (size_t)(p - tpl) + 3;
		tpl = p + 3;
	}
	ts_send(c, tpl, n);
	return next;
}

/* Server side of a handshake on the connection; 0 or -1. */
static int
ts_tls_accept(struct tsrv *s, struct ts_conn *c)
{
	struct timeval tv = {5, 0}; /* a client that gives up must not hang the server */

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	c->ssl = SSL_new(s->tls_ctx);
	SSL_set_fd(c->ssl, c->fd);
	if (SSL_accept(c->ssl) != 1)
		return -1;
	const char *sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
	pthread_mutex_lock(&s->mu);
	s->handshakes++;
	snprintf(s->sni, sizeof(s->sni), "%s", sni != NULL ? sni : "");
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static bool
ts_readable(struct ts_conn *c)
{
	struct pollfd pfd = {c->fd, POLLIN, 0};
	if (c->ssl != NULL && SSL_pending(c->ssl) > 0)
		return true;
	return poll(&pfd, 1, 50) > 0;
}

static void
ts_serve(struct tsrv *s, struct ts_conn *c)
{
	char buf[4096];
	size_t len = 0;
	const struct ts_rule *rules = s->rules;

	if (s->implicit_tls) {
		if (ts_tls_accept(s, c) < 0)
			return;
		if (s->rules_tls != NULL)
			rules = s->rules_tls;
	}
	if (s->greeting != NULL && ts_reply(c, s->greeting, "", 0) == TS_CLOSE)
		return;
	while (!atomic_load(&s->stop)) {
		if (!ts_readable(c))
			continue;
		ssize_t r = c->ssl != NULL
		                ? SSL_read(c->ssl, buf + len, (int)(sizeof(buf) - 1 - len))
		                : recv(c->fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (r <= 0)
			return;
		len += (size_t)r;
		char *nl;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			size_t ln = (size_t)(nl - buf);
			size_t lnc = ln > 0 && buf[ln - 1] == '\r' ? ln - 1 : ln;
			const char *cmd = buf, *tag = "";
			size_t cmdlen = lnc, taglen = 0;
			int next = TS_GO_ON;
			pthread_mutex_lock(&s->mu);
			if (s->loglen + lnc + 2 < sizeof(s->log)) {
				memcpy(s->log + s->loglen, buf, lnc);
				s->loglen += lnc;
				s->log[s->loglen++] = '\n';
				s->log[s->loglen] = '\0';
			}
			pthread_mutex_unlock(&s->mu);
			if (s->tagged) {
				const char *sp = memchr(buf, ' ', lnc);
				if (sp != NULL) {
					tag = buf;
					taglen = (size_t)(sp - buf);
					cmd = sp + 1;
					cmdlen = lnc - taglen - 1;
				}
			}
			for (const struct ts_rule *rule = rules; rule != NULL && rule->cmd != NULL;
			     rule++) {
				size_t rl = strlen(rule->cmd);
				bool match = rl == 0 ? cmdlen == 0
				                     : (cmdlen >= rl &&
				                        strncasecmp(cmd, rule->cmd, rl) == 0);
				if (!match)
					continue;
				next = ts_reply(c, rule->reply, tag, taglen);
				break;
			}
			memmove(buf, nl + 1, len - ln - 1);
			len -= ln + 1;
			if (next == TS_CLOSE)
				return;
			if (next == TS_TLS) {
				/* a careful server drops what the client pipelined
				   before the handshake */
				len = 0;
				if (ts_tls_accept(s, c) < 0)
					return;
				if (s->rules_tls != NULL)
					rules = s->rules_tls;
			}
		}
		if (len == sizeof(buf) - 1)
			return;
	}
}

static void *
ts_main(void *arg)
{
	struct tsrv *s = arg;

	while (!atomic_load(&s->stop)) {
		struct pollfd pfd = {s->lfd, POLLIN, 0};
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		struct ts_conn c = {accept(s->lfd, NULL, NULL), NULL};
		if (c.fd < 0)
			continue;
		pthread_mutex_lock(&s->mu);
		s->accepted++;
		pthread_mutex_unlock(&s->mu);
		ts_serve(s, &c);
		if (c.ssl != NULL) {
			SSL_shutdown(c.ssl);
			SSL_free(c.ssl);
		}
		close(c.fd);
	}
	return NULL;
}

/* Listen on an ephemeral loopback port; false if the family is missing. */
static bool
ts_start_family(struct tsrv *s, int family, const char *greeting, const struct ts_rule *rules,
                bool tagged)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->greeting = greeting;
	s->rules = rules;
	s->tagged = tagged;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	}
	s->lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return false;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&ss, sl) < 0 || listen(s->lfd, 16) < 0) {
		close(s->lfd);
		return false;
	}
	sl = sizeof(ss);
	getsockname(s->lfd, (struct sockaddr *)&ss, &sl);
	s->port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                   : ((struct sockaddr_in *)&ss)->sin_port);
	return true;
}

static void
ts_run(struct tsrv *s)
{
	if (pthread_create(&s->tid, NULL, ts_main, s) != 0)
		fail_msg("pthread_create");
}

static void
ts_start(struct tsrv *s, const char *greeting, const struct ts_rule *rules, bool tagged)
{
	if (!ts_start_family(s, AF_INET, greeting, rules, tagged))
		fail_msg("cannot listen on 127.0.0.1: %s", strerror(errno));
	ts_run(s);
}

/* A server that speaks TLS with the named test certificate
   (tests/data/service/CERT.pem, KEY.pem): on "{TLS}" replies, or from
   the start when implicit.  rules_tls (may be NULL) answer inside TLS. */
static void
ts_start_tls(struct tsrv *s, const char *cert, const char *key, bool implicit, const char *greeting,
             const struct ts_rule *rules, const struct ts_rule *rules_tls, bool tagged)
{
	char cp[1024], kp[1024];

	if (!ts_start_family(s, AF_INET, greeting, rules, tagged))
		fail_msg("cannot listen on 127.0.0.1: %s", strerror(errno));
	snprintf(cp, sizeof(cp), "%s/service/%s", TEST_DATA_DIR, cert);
	snprintf(kp, sizeof(kp), "%s/service/%s", TEST_DATA_DIR, key);
	s->tls_ctx = SSL_CTX_new(TLS_server_method());
	if (s->tls_ctx == NULL || SSL_CTX_use_certificate_chain_file(s->tls_ctx, cp) != 1 ||
	    SSL_CTX_use_PrivateKey_file(s->tls_ctx, kp, SSL_FILETYPE_PEM) != 1)
		fail_msg("test TLS context with %s and %s", cp, kp);
	s->implicit_tls = implicit;
	s->rules_tls = rules_tls;
	ts_run(s);
}

static void
ts_stop(struct tsrv *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->tid, NULL);
	close(s->lfd);
	SSL_CTX_free(s->tls_ctx);
	pthread_mutex_destroy(&s->mu);
}

/* A port nothing listens on: bound once, then closed. */
static int
closed_port(void)
{
	struct sockaddr_in a;
	socklen_t sl = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		fail_msg("bind: %s", strerror(errno));
	getsockname(fd, (struct sockaddr *)&a, &sl);
	close(fd);
	return ntohs(a.sin_port);
}

/* ---- scripts -------------------------------------------------------------------- */

#define SMTP_GREETING "220 mx.example.org ESMTP test\r\n"
static const struct ts_rule smtp_rules[] = {
    {"EHLO", "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 "
             "8BITMIME\r\n"},
    {"QUIT", "221 2.0.0 Bye\r\n{CLOSE}"},
    {NULL, NULL}};
static const struct ts_rule smtp_notls_rules[] = {
    {"EHLO", "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n"},
    {"QUIT", "221 2.0.0 Bye\r\n{CLOSE}"},
    {NULL, NULL}};

#define IMAP_GREETING                                                                              \
	"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] imap.example.org ready.\r\n"
static const struct ts_rule imap_rules[] = {
    {"CAPABILITY", "* CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ STARTTLS "
                   "LOGINDISABLED\r\n{T} OK done.\r\n"},
    {"LOGOUT", "* BYE Logging out\r\n{T} OK Logout completed.\r\n{CLOSE}"},
    {NULL, NULL}};

#define POP3_GREETING "+OK pop.example.org ready.\r\n"
static const struct ts_rule pop3_rules[] = {
    {"CAPA", "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nSTLS\r\nUSER\r\nSASL "
             "PLAIN\r\n.\r\n"},
    {"QUIT", "+OK Logging out.\r\n{CLOSE}"},
    {NULL, NULL}};

#define LMTP_GREETING "220 lmtp.example.org LMTP ready\r\n"
static const struct ts_rule lmtp_rules[] = {
    {"LHLO",
     "250-lmtp.example.org\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n"},
    {"QUIT", "221 2.0.0 Bye\r\n{CLOSE}"},
    {NULL, NULL}};

static const struct ts_rule http_ok_rules[] = {
    {"", "HTTP/1.1 200 OK\r\nServer: tsrv/1.0\r\nContent-Length: 2\r\nConnection: "
         "close\r\n\r\nok{CLOSE}"},
    {NULL, NULL}};
static const struct ts_rule http_503_rules[] = {
    {"",
     "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n{CLOSE}"},
    {NULL, NULL}};

static const struct ts_rule tcp_ping_rules[] = {{"PING", "PONG ready\r\n"}, {NULL, NULL}};

/* STARTTLS: the go-ahead, then TLS ("{TLS}"); the lists inside TLS
   differ from the ones before, as real servers' do. */
static const struct ts_rule smtp_starttls_rules[] = {
    {"EHLO", "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 "
             "8BITMIME\r\n"},
    {"STARTTLS", "220 2.0.0 Ready to start TLS\r\n{TLS}"},
    {"QUIT", "221 2.0.0 Bye\r\n{CLOSE}"},
    {NULL, NULL}};
static const struct ts_rule smtp_tls_rules[] = {
    {"EHLO", "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN "
             "LOGIN\r\n250 8BITMIME\r\n"},
    {"QUIT", "221 2.0.0 Bye\r\n{CLOSE}"},
    {NULL, NULL}};
#define SMTP_TLS_CAPS "PIPELINING SIZE 10240000 AUTH PLAIN LOGIN 8BITMIME"

static const struct ts_rule imap_starttls_rules[] = {
    {"CAPABILITY", "* CAPABILITY IMAP4rev1 ID STARTTLS LOGINDISABLED\r\n{T} OK done.\r\n"},
    {"STARTTLS", "{T} OK Begin TLS negotiation now.\r\n{TLS}"},
    {"LOGOUT", "* BYE Logging out\r\n{T} OK Logout completed.\r\n{CLOSE}"},
    {NULL, NULL}};
static const struct ts_rule imap_tls_rules[] = {
    {"CAPABILITY", "* CAPABILITY IMAP4rev1 ID SASL-IR AUTH=PLAIN\r\n{T} OK done.\r\n"},
    {"LOGOUT", "* BYE Logging out\r\n{T} OK Logout completed.\r\n{CLOSE}"},
    {NULL, NULL}};

static const struct ts_rule pop3_starttls_rules[] = {
    {"CAPA", "+OK\r\nCAPA\r\nTOP\r\nSTLS\r\nUSER\r\n.\r\n"},
    {"STLS", "+OK Begin TLS negotiation now.\r\n{TLS}"},
    {"QUIT", "+OK Logging out.\r\n{CLOSE}"},
    {NULL, NULL}};
static const struct ts_rule pop3_tls_rules[] = {
    {"CAPA", "+OK\r\nCAPA\r\nTOP\r\nUSER\r\nSASL PLAIN\r\n.\r\n"},
    {"QUIT", "+OK Logging out.\r\n{CLOSE}"},
    {NULL, NULL}};

/* The test certificates' notAfter (tests/data/service/README). */
#define CERT_NOT_AFTER 4948890512LL           /* cert.pem: 2126-10-28 19:48:32 UTC */
#define LOCALHOST_CERT_NOT_AFTER 4948893236LL /* localhost-cert.pem: 2126-10-28 20:33:56 UTC */

/* ---- parser on real transcripts -------------------------------------------------- */

static void
service_parse__postfix_ehlo__banner_and_keywords_in_order(void **state)
{
	struct service_reply r = parse_fixture(SVC_SMTP, "postfix-smtp.txt");

	assert_string_equal(r.banner, "220 svc-test.example ESMTP Postfix (Debian/GNU)");
	assert_string_equal(r.greeting, "220 svc-test.example ESMTP Postfix (Debian/GNU)");
	assert_int_equal(r.code, 220);
	assert_string_equal(r.capabilities, "PIPELINING SIZE 10240000 VRFY ETRN STARTTLS "
	                                    "ENHANCEDSTATUSCODES 8BITMIME DSN SMTPUTF8 CHUNKING");
	assert_null(r.capabilities_tls);
	service_reply_free(&r);
}

static void
service_parse__postfix_starttls__second_ehlo_is_the_tls_list(void **state)
{
	struct service_reply r = parse_fixture(SVC_SMTP, "postfix-smtp-starttls.txt");

	assert_string_equal(r.banner, "220 svc-test.example ESMTP Postfix (Debian/GNU)");
	assert_string_equal(r.capabilities, "PIPELINING SIZE 10240000 VRFY ETRN STARTTLS "
	                                    "ENHANCEDSTATUSCODES 8BITMIME DSN SMTPUTF8 CHUNKING");
	assert_string_equal(r.capabilities_tls,
	                    "PIPELINING SIZE 10240000 VRFY ETRN ENHANCEDSTATUSCODES 8BITMIME DSN "
	                    "SMTPUTF8 CHUNKING");
	service_reply_free(&r);
}

static void
service_parse__postfix_smtps__one_list_without_starttls(void **state)
{
	struct service_reply r = parse_fixture(SVC_SMTPS, "postfix-smtps.txt");

	assert_string_equal(r.banner, "220 svc-test.example ESMTP Postfix (Debian/GNU)");
	assert_string_equal(r.capabilities, "PIPELINING SIZE 10240000 VRFY ETRN "
	                                    "ENHANCEDSTATUSCODES 8BITMIME DSN SMTPUTF8 CHUNKING");
	assert_null(r.capabilities_tls);
	service_reply_free(&r);
}

static void
service_parse__dovecot_imap__capability_response(void **state)
{
	struct service_reply r = parse_fixture(SVC_IMAP, "dovecot-imap.txt");

	assert_string_equal(r.banner,
	                    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
	                    "LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.");
	assert_string_equal(
	    r.capabilities,
	    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN");
	assert_null(r.capabilities_tls);
	service_reply_free(&r);
}

static void
service_parse__dovecot_imap_starttls__capability_after_tls(void **state)
{
	struct service_reply r = parse_fixture(SVC_IMAP, "dovecot-imap-starttls.txt");

	assert_string_equal(
	    r.capabilities,
	    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN");
	assert_string_equal(r.capabilities_tls,
	                    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN");
	service_reply_free(&r);
}

static void
service_parse__dovecot_imaps__greeting_and_list(void **state)
{
	struct service_reply r = parse_fixture(SVC_IMAPS, "dovecot-imaps.txt");

	assert_string_equal(r.banner,
	                    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
	                    "LITERAL+ AUTH=PLAIN] Dovecot (Debian) ready.");
	assert_string_equal(r.capabilities,
	                    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN");
	assert_null(r.capabilities_tls);
	service_reply_free(&r);
}

static void
service_parse__dovecot_pop3__capa_list(void **state)
{
	struct service_reply r = parse_fixture(SVC_POP3, "dovecot-pop3.txt");

	assert_string_equal(r.banner, "+OK Dovecot (Debian) ready.");
	assert_string_equal(
	    r.capabilities,
	    "CAPA TOP UIDL RESP-CODES PIPELINING AUTH-RESP-CODE STLS USER SASL PLAIN");
	assert_null(r.capabilities_tls);
	service_reply_free(&r);
}

static void
service_parse__dovecot_pop3_stls__capa_after_tls(void **state)
{
	struct service_reply r = parse_fixture(SVC_POP3, "dovecot-pop3-starttls.txt");

	assert_string_equal(
	    r.capabilities,
	    "CAPA TOP UIDL RESP-CODES PIPELINING AUTH-RESP-CODE STLS USER SASL PLAIN");
	assert_string_equal(r.capabilities_tls,
	                    "CAPA TOP UIDL RESP-CODES PIPELINING AUTH-RESP-CODE USER SASL PLAIN");
	service_reply_free(&r);
}

static void
service_parse__dovecot_lmtp__lhlo_keywords(void **state)
{
	struct service_reply r = parse_fixture(SVC_LMTP, "dovecot-lmtp.txt");

	assert_string_equal(r.banner, "220 vm Dovecot (Debian) ready.");
	assert_int_equal(r.code, 220);
	assert_string_equal(r.capabilities,
	                    "8BITMIME CHUNKING ENHANCEDSTATUSCODES PIPELINING STARTTLS");
	service_reply_free(&r);
}

static void
service_parse__multiline_greeting__joined_and_first_line_is_banner(void **state)
{
	static const char t[] =
	    "220-mx.example.org ESMTP\r\n220-no UCE\r\n220 ready\r\n250 mx.example.org\r\n";
	struct service_reply r;

	memset(&r, 0, sizeof(r));
	service_parse_responses(SVC_SMTP, t, strlen(t), &r);
	assert_string_equal(r.greeting, "220-mx.example.org ESMTP\n220-no UCE\n220 ready");
	assert_string_equal(r.banner, "220-mx.example.org ESMTP");
	assert_string_equal(r.capabilities, ""); /* EHLO answered, no extensions */
	service_reply_free(&r);
}

static void
service_parse__imap_list_only_in_greeting__taken_from_greeting(void **state)
{
	static const char t[] = "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\nA001 BAD unknown\r\n";
	struct service_reply r;

	memset(&r, 0, sizeof(r));
	service_parse_responses(SVC_IMAP, t, strlen(t), &r);
	assert_string_equal(r.capabilities, "IMAP4rev1 STARTTLS");
	service_reply_free(&r);
}

static void
service_parse__http_after_100_continue__final_status_and_server(void **state)
{
	static const char t[] =
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nServer: nginx\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct service_reply r;

	memset(&r, 0, sizeof(r));
	service_parse_responses(SVC_HTTP, t, strlen(t), &r);
	assert_string_equal(r.banner, "HTTP/1.1 404 Not Found");
	assert_int_equal(r.code, 404);
	assert_string_equal(r.server, "nginx");
	service_reply_free(&r);
}

static void
service_parse__garbage__never_crashes(void **state)
{
	static const enum service_proto ps[] = {SVC_SMTP, SVC_IMAP, SVC_POP3,
	                                        SVC_LMTP, SVC_HTTP, SVC_TCP};
	static const char *const inputs[] = {
	    "",
	    "\n",
	    "\r\n\r\n",
	    "2",
	    "25",
	    "250",
	    "250-",
	    "250-\n250",
	    "* CAPABILITY",
	    "+OK\n",
	    "+OK\r\n.\r\n+OK\n",
	    "HTTP/",
	    "HTTP/1.1 2",
	    "HTTP/1.1 abc\n",
	    "\0\0\0",
	    "220-a\n999 b\n250 c\n",
	};
	unsigned seed = 12345;
	char buf[512];

	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		for (size_t k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++) {
			struct service_reply r;
			memset(&r, 0, sizeof(r));
			service_parse_responses(ps[i], inputs[k], strlen(inputs[k]), &r);
			(void)service_greeting_complete(ps[i], inputs[k], strlen(inputs[k]));
			service_reply_free(&r);
		}
		for (int round = 0; round < 200; round++) {
			struct service_reply r;
			size_t n = (size_t)(rand_r(&seed) % sizeof(buf));
			for (size_t k = 0; k < n; k++) {
				static const char alphabet[] = "250- \r\n*+OK.CAPABILITY[]HTTP/1.";
				buf[k] = (rand_r(&seed) % 4)
				             ? alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)]
				             : (char)(rand_r(&seed) % 256);
			}
			memset(&r, 0, sizeof(r));
			service_parse_responses(ps[i], buf, n, &r);
			(void)service_greeting_complete(ps[i], buf, n);
			service_reply_free(&r);
		}
	}
}

static void
service_greeting_complete__smtp_waits_for_last_line(void **state)
{
	assert_int_equal(service_greeting_complete(SVC_SMTP, "220-a\r\n", 7), 0);
	assert_int_equal(service_greeting_complete(SVC_SMTP, "220-a\r\n220 b", 13), 0);
	assert_int_equal(service_greeting_complete(SVC_SMTP, "220-a\r\n220 b\r\n", 15), 1);
	assert_int_equal(service_greeting_complete(SVC_IMAP, "* OK", 4), 0);
	assert_int_equal(service_greeting_complete(SVC_IMAP, "* OK\r\n", 6), 1);
}

/* ---- certificate information ------------------------------------------------------- */

static void
service_cert_parse_date__openssl_and_asn1_forms(void **state)
{
	static const struct {
		const char *in;
		long long t;
	} ok[] = {
	    {"Oct 28 19:48:32 2126 GMT", 4948890512LL},
	    {"Jan  5 01:02:03 2030 GMT", 1893805323LL},
	    {"Jan 5 01:02:03 2030 GMT", 1893805323LL},
	    {"Jan  5 01:02:03.250 2030 GMT", 1893805323LL},
	    {"Nov 21 10:00:00 2026 GMT", 1795255200LL},
	    {"2030-01-05 01:02:03 GMT", 1893805323LL},
	    {"2126-10-28 19:48:32 GMT", 4948890512LL},
	};
	static const char *const bad[] = {
	    "",
	    "GMT",
	    "Foo 28 19:48:32 2126 GMT",
	    "Oct 28 19:48 2126 GMT",
	    "Oct 28 19:48:32 GMT",
	    "Oct 28 19:48:32 2126 GMT trailing",
	    "Oct 32 19:48:32 2126 GMT",
	    "Oct 28 24:48:32 2126 GMT",
	    "2030-13-05 01:02:03 GMT",
	    "2030/01/05 01:02:03",
	    "Oct 28 19:48:32 21 GMT",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		time_t t = 0;
		if (service_cert_parse_date(ok[i].in, &t) != 0)
			fail_msg("'%s' refused", ok[i].in);
		if ((long long)t != ok[i].t)
			fail_msg("'%s' -> %lld, want %lld", ok[i].in, (long long)t, ok[i].t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		time_t t = 0;
		if (service_cert_parse_date(bad[i], &t) == 0)
			fail_msg("'%s' accepted", bad[i]);
	}
}

static void
service_cert_from_entries__real_certinfo__subject_issuer_days(void **state)
{
	size_t len;
	char *text = tu_read_data("service", "curl-certinfo-dovecot-imaps.txt", &len);
	const char *entries[128];
	size_t n = 0;
	struct service_result res;

	/* one CERTINFO entry per line (the PEM of "Cert:" spans lines and
	   just adds entries that match no key) */
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL && n < 128;
	     l = strtok_r(NULL, "\n", &save))
		entries[n++] = l;
	memset(&res, 0, sizeof(res));
	/* 2026-11-21 10:00:00 UTC; notAfter is 2126-10-28 19:48:32 UTC */
	service_cert_from_entries(entries, n, (time_t)1795255200, &res);
	assert_true(res.have_cert);
	assert_string_equal(res.cert_subject, "CN = svc-test.example, O = mxsla test");
	assert_string_equal(res.cert_issuer, "CN = svc-test.example, O = mxsla test");
	assert_true(fabs(res.cert_days_left - 36500.4) < 1e-9);

	/* 10.06 days left: rounded down, never up */
	service_result_free(&res);
	service_cert_from_entries(entries, n, (time_t)(4948890512LL - 869184), &res);
	assert_true(fabs(res.cert_days_left - 10.0) < 1e-9);

	/* expired 12 hours ago: -0.5 days */
	service_result_free(&res);
	service_cert_from_entries(entries, n, (time_t)(4948890512LL + 43200), &res);
	assert_true(fabs(res.cert_days_left - (-0.5)) < 1e-9);
	service_result_free(&res);
	free(text);
}

/* ---- configuration ------------------------------------------------------------------ */

static void
service_configure__defaults__port_host_ehlo_path(void **state)
{
	static const struct {
		const char *proto;
		int port;
	} cases[] = {
	    {"smtp", 25},  {"submission", 587}, {"smtps", 465}, {"imap", 143}, {"imaps", 993},
	    {"pop3", 110}, {"pop3s", 995},      {"lmtp", 24},   {"http", 80},  {"https", 443},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[128];
		snprintf(yaml, sizeof(yaml), "{protocol: %s}", cases[i].proto);
		struct target *t = make_target(yaml, 1000);
		const struct service_conf *c = t->conf;
		assert_int_equal(c->port, cases[i].port);
		assert_string_equal(c->host, "127.0.0.1");
		assert_false(c->starttls);
		assert_false(c->tls_verify);
		assert_null(c->expect);
		assert_non_null(c->ehlo);
		assert_true(c->ehlo[0] != '\0');
		assert_string_equal(c->path, "/");
		assert_string_equal(t->driver, cases[i].proto);
		free_target(t);
	}
}

static void
service_configure__misplaced_options__every_error_located(void **state)
{
	static const struct {
		const char *yaml;
		const char *msg;
	} cases[] = {
	    {"{protocol: lmtp, starttls: true}",
	     "starttls applies to smtp, submission, imap and pop3 only, not lmtp"},
	    {"{protocol: imaps, starttls: true}", "not imaps (TLS from the start)"},
	    {"{protocol: tcp}", "protocol tcp needs a port"},
	    {"{protocol: smtp, send: x}", "send applies to protocol tcp only, not smtp"},
	    {"{protocol: imap, ehlo: mx.example.org}",
	     "ehlo applies to smtp, submission, smtps and lmtp only"},
	    {"{protocol: smtp, ehlo: \"bad name\"}",
	     "ehlo: not a domain name or address literal: 'bad name'"},
	    {"{protocol: http, path: index.html}", "path must start with '/'"},
	    {"{protocol: smtp, path: /x}", "path applies to http and https only, not smtp"},
	    {"{protocol: tcp, port: 7, tls_verify: true}",
	     "tls_verify: protocol tcp does not use TLS"},
	    {"{protocol: lmtp, ca_file: /etc/hostname}", "ca_file: protocol lmtp does not use TLS"},
	    {"{protocol: https, ca_file: /nonexistent/ca.pem}",
	     "ca_file: cannot read /nonexistent/ca.pem"},
	    {"{protocol: smtp, host: \"mx/evil\"}", "host: not a host name or IP address"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfgerr errs;
		cfgerr_init(&errs);
		struct target *t = make_target_e(cases[i].yaml, 1000, &errs);
		if (t != NULL)
			fail_msg("accepted: %s", cases[i].yaml);
		if (errs.n != 1)
			fail_msg("%s: %zu errors, want 1", cases[i].yaml, errs.n);
		if (strncmp(errs.msgs[0], "test.yaml:1:", 12) != 0 ||
		    strstr(errs.msgs[0], cases[i].msg) == NULL)
			fail_msg("%s: got '%s', want '%s' at test.yaml:1", cases[i].yaml,
			         errs.msgs[0], cases[i].msg);
		cfgerr_free(&errs);
	}
}

static void
service_configure__unknown_protocol_or_key__refused(void **state)
{
	static const char *const bad[] = {
	    "{protocol: gopher}",
	    "{host: 127.0.0.1}",
	    "{protocol: smtp, startls: true}",
	    "{protocol: smtp, port: 0}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cfgerr errs;
		cfgerr_init(&errs);
		if (make_target_e(bad[i], 1000, &errs) != NULL)
			fail_msg("accepted: %s", bad[i]);
		if (errs.n < 1)
			fail_msg("%s: refused without an error message", bad[i]);
		cfgerr_free(&errs);
	}
}

/* ---- end to end: mail dialogues and HTTP ---------------------------------------------- */

static void
service_run__smtp__banner_capabilities_and_polite_quit(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, SMTP_GREETING, smtp_rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d, ehlo: mxsla-test.example}",
	         s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_null(o.error);
	assert_int_equal((int)tu_metric(&o, "up"), 1);
	assert_int_equal((int)tu_metric(&o, "tls"), 0);
	assert_true(tu_metric(&o, "connect_ms") > 0);
	assert_true(tu_metric(&o, "response_ms") >= tu_metric(&o, "connect_ms"));
	assert_string_equal(tu_fact(&o, "banner"), "220 mx.example.org ESMTP test");
	assert_string_equal(tu_fact(&o, "capabilities"),
	                    "PIPELINING SIZE 10240000 STARTTLS 8BITMIME");
	assert_null(obs_get_fact(&o, "error"));
	assert_null(obs_get_metric(&o, "cert_days_left"));
	ts_stop(&s);
	assert_string_equal(s.log, "EHLO mxsla-test.example\nQUIT\n");
	obs_free(&o);
	free_target(t);
}

static void
service_run__imap__capability_and_logout(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, IMAP_GREETING, imap_rules, true);
	snprintf(yaml, sizeof(yaml), "{protocol: imap, port: %d}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 1);
	assert_string_equal(
	    tu_fact(&o, "banner"),
	    "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] imap.example.org ready.");
	assert_string_equal(tu_fact(&o, "capabilities"),
	                    "IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED");
	ts_stop(&s);
	assert_non_null(strstr(s.log, " CAPABILITY\n"));
	assert_non_null(strstr(s.log, " LOGOUT\n"));
	assert_null(strstr(s.log, "LOGIN ")); /* never logs in */
	obs_free(&o);
	free_target(t);
}

static void
service_run__pop3__capa_list(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, POP3_GREETING, pop3_rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: pop3, port: %d}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 1);
	assert_string_equal(tu_fact(&o, "banner"), "+OK pop.example.org ready.");
	assert_string_equal(tu_fact(&o, "capabilities"),
	                    "CAPA TOP UIDL RESP-CODES PIPELINING STLS USER SASL PLAIN");
	ts_stop(&s);
	assert_string_equal(s.log, "CAPA\nQUIT\n");
	obs_free(&o);
	free_target(t);
}

static void
service_run__smtp_silent_server__times_out_as_down(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;
	double elapsed;

	ts_start(&s, NULL, NULL, false);
	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d}", s.port);
	struct target *t = make_target(yaml, 1000);
	run_target(t, &o, &elapsed);
	assert_null(o.error); /* down, not unknown */
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	assert_string_equal(tu_fact(&o, "error"), "timed out waiting for greeting (1000 ms)");
	assert_null(obs_get_metric(&o, "response_ms"));
	assert_true(elapsed >= 900 && elapsed <= 1500);
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__imaps_silent_server__times_out_in_handshake(void **state)
{
	struct tsrv s;
	char yaml[256], want[128];
	struct obs o;
	double elapsed;

	ts_start(&s, NULL, NULL, false);
	snprintf(yaml, sizeof(yaml), "{protocol: imaps, port: %d}", s.port);
	struct target *t = make_target(yaml, 800);
	run_target(t, &o, &elapsed);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	assert_int_equal((int)tu_metric(&o, "tls"), 0);
	snprintf(want, sizeof(want),
	         "timed out in the TLS handshake with 127.0.0.1 port %d (800 ms)", s.port);
	assert_string_equal(tu_fact(&o, "error"), want);
	assert_true(elapsed >= 700 && elapsed <= 1300);
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__smtp_closed_port__connection_refused(void **state)
{
	char yaml[256];
	struct obs o;
	int port = closed_port();

	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d}", port);
	struct target *t = make_target(yaml, 2000);
	run_target(t, &o, NULL);
	assert_null(o.error);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	char want[128];
	snprintf(want, sizeof(want), "connect to 127.0.0.1 port %d: Connection refused", port);
	assert_string_equal(tu_fact(&o, "error"), want);
	assert_null(obs_get_metric(&o, "connect_ms"));
	assert_null(obs_get_metric(&o, "tls"));
	obs_free(&o);
	free_target(t);
}

static void
service_run__expect_mismatch__down_with_pattern_in_error(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, SMTP_GREETING, smtp_rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d, expect: \"^220 other\\\\.\"}",
	         s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	assert_string_equal(tu_fact(&o, "error"), "banner does not match expect /^220 other\\./");
	assert_string_equal(tu_fact(&o, "banner"), "220 mx.example.org ESMTP test");
	obs_free(&o);
	free_target(t);

	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d, expect: \"^220 mx\\\\.\"}",
	         s.port);
	t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 1);
	assert_null(obs_get_fact(&o, "error"));
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__smtp_refusing_greeting__down_with_greeting(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, "554 5.3.2 mx.example.org No service\r\n", smtp_rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	assert_string_equal(tu_fact(&o, "error"),
	                    "unexpected greeting: 554 5.3.2 mx.example.org No service");
	assert_string_equal(tu_fact(&o, "banner"), "554 5.3.2 mx.example.org No service");
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__starttls_not_offered__down(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, SMTP_GREETING, smtp_notls_rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d, starttls: true}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	assert_int_equal((int)tu_metric(&o, "tls"), 0);
	assert_string_equal(tu_fact(&o, "error"),
	                    "STARTTLS requested but not offered by the server");
	assert_string_equal(tu_fact(&o, "capabilities"), "PIPELINING 8BITMIME");
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__smtp_over_ipv6_loopback__up(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	if (!ts_start_family(&s, AF_INET6, SMTP_GREETING, smtp_rules, false))
		skip();
	ts_run(&s);
	snprintf(yaml, sizeof(yaml), "{protocol: smtp, host: \"::1\", port: %d}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 1);
	assert_string_equal(tu_fact(&o, "capabilities"),
	                    "PIPELINING SIZE 10240000 STARTTLS 8BITMIME");
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__http__status_line_and_server(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, NULL, http_ok_rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: http, port: %d, path: /health}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 1);
	assert_int_equal((int)tu_metric(&o, "http_status"), 200);
	assert_int_equal((int)tu_metric(&o, "tls"), 0);
	assert_string_equal(tu_fact(&o, "banner"), "HTTP/1.1 200 OK");
	assert_string_equal(tu_fact(&o, "server"), "tsrv/1.0");
	assert_true(tu_metric(&o, "response_ms") >= 0);
	ts_stop(&s);
	assert_non_null(strstr(s.log, "GET /health HTTP/1.1\n"));
	obs_free(&o);
	free_target(t);
}

static void
service_run__http_503__down_with_status(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, NULL, http_503_rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: http, port: %d}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	assert_int_equal((int)tu_metric(&o, "http_status"), 503);
	assert_string_equal(tu_fact(&o, "error"), "HTTP status 503");
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

/* openssl s_server -www on an ephemeral port; its pid, or -1 to skip. */
static pid_t
start_s_server(int *port_r)
{
	char cert[1024], key[1024];
	int pfd[2];
	pid_t pid;
	posix_spawn_file_actions_t fa;

	snprintf(cert, sizeof(cert), "%s/service/cert.pem", TEST_DATA_DIR);
	snprintf(key, sizeof(key), "%s/service/key.pem", TEST_DATA_DIR);
	char *argv[] = {"openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", cert,
	                "-key",    key,        "-www",    "-naccept",    "1",     NULL};
	if (pipe(pfd) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "openssl", &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);

	/* "ACCEPT 127.0.0.1:PORT" */
	char buf[1024];
	size_t len = 0;
	double until = mono_ms() + 5000;
	*port_r = 0;
	while (*port_r == 0 && mono_ms() < until && len < sizeof(buf) - 1) {
		struct pollfd p = {pfd[0], POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t r = read(pfd[0], buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		char *a = strstr(buf, "ACCEPT 127.0.0.1:");
		if (a != NULL && strchr(a, '\n') != NULL)
			*port_r = atoi(a + 17);
	}
	close(pfd[0]);
	if (*port_r == 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

static void
service_run__https_self_signed__tls_and_certificate(void **state)
{
	int port;
	pid_t pid = start_s_server(&port);
	char yaml[256];
	struct obs o;

	if (pid < 0)
		skip();
	snprintf(yaml, sizeof(yaml), "{protocol: https, port: %d}", port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	assert_null(obs_get_fact(&o, "error"));
	assert_int_equal((int)tu_metric(&o, "up"), 1);
	assert_int_equal((int)tu_metric(&o, "tls"), 1);
	assert_int_equal((int)tu_metric(&o, "http_status"), 200);
	assert_string_equal(tu_fact(&o, "cert_subject"), "CN = svc-test.example, O = mxsla test");
	assert_string_equal(tu_fact(&o, "cert_issuer"), "CN = svc-test.example, O = mxsla test");
	double want = floor(difftime((time_t)4948890512LL, time(NULL)) / 86400.0 * 10.0) / 10.0;
	assert_true(fabs(tu_metric(&o, "cert_days_left") - want) <= 0.1 + 1e-9);
	obs_free(&o);
	free_target(t);
}

static void
service_run__https_verify_self_signed__down(void **state)
{
	int port;
	pid_t pid = start_s_server(&port);
	char yaml[256];
	struct obs o;

	if (pid < 0)
		skip();
	snprintf(yaml, sizeof(yaml), "{protocol: https, port: %d, tls_verify: true}", port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	assert_non_null(strstr(tu_fact(&o, "error"), "certificate"));
	obs_free(&o);
	free_target(t);
}

/* ---- end to end: TLS (implicit and STARTTLS) ------------------------------------------- */

/* cert_subject and cert_issuer of a self-signed test certificate with
   this CN, and cert_days_left within a tenth of a day of its notAfter. */
static void
assert_test_cert(const struct obs *o, const char *cn, long long not_after)
{
	char want[128];

	snprintf(want, sizeof(want), "CN = %s, O = mxsla test", cn);
	assert_fact(o, "cert_subject", want);
	assert_fact(o, "cert_issuer", want);
	double days = floor(difftime((time_t)not_after, time(NULL)) / 86400.0 * 10.0) / 10.0;
	assert_near(tu_metric(o, "cert_days_left"), days, 0.1 + 1e-9);
}

static void
service_run__smtp_starttls__ehlo_again_inside_tls_and_certificate(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start_tls(&s, "cert.pem", "key.pem", false, SMTP_GREETING, smtp_starttls_rules,
	             smtp_tls_rules, false);
	snprintf(yaml, sizeof(yaml),
	         "{protocol: smtp, port: %d, starttls: true, ehlo: mxsla-test.example}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_null(o.error);
	assert_null(obs_get_fact(&o, "error"));
	assert_metric(&o, "up", 1);
	assert_metric(&o, "tls", 1);
	assert_fact(&o, "banner", "220 mx.example.org ESMTP test");
	assert_fact(&o, "capabilities", "PIPELINING SIZE 10240000 STARTTLS 8BITMIME");
	assert_fact(&o, "capabilities_tls", SMTP_TLS_CAPS);
	assert_test_cert(&o, "svc-test.example", CERT_NOT_AFTER);
	assert_true(tu_metric(&o, "response_ms") >= tu_metric(&o, "connect_ms"));
	ts_stop(&s);
	assert_string_equal(s.log,
	                    "EHLO mxsla-test.example\nSTARTTLS\nEHLO mxsla-test.example\nQUIT\n");
	assert_int_equal(s.handshakes, 1);
	assert_string_equal(s.sni, ""); /* never an IP literal as server name */
	obs_free(&o);
	free_target(t);
}

static void
service_run__imap_starttls__tagged_commands_and_list_inside_tls(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start_tls(&s, "cert.pem", "key.pem", false, IMAP_GREETING, imap_starttls_rules,
	             imap_tls_rules, true);
	snprintf(yaml, sizeof(yaml), "{protocol: imap, port: %d, starttls: true}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_null(obs_get_fact(&o, "error"));
	assert_metric(&o, "up", 1);
	assert_metric(&o, "tls", 1);
	assert_fact(&o, "capabilities", "IMAP4rev1 ID STARTTLS LOGINDISABLED");
	assert_fact(&o, "capabilities_tls", "IMAP4rev1 ID SASL-IR AUTH=PLAIN");
	assert_test_cert(&o, "svc-test.example", CERT_NOT_AFTER);
	ts_stop(&s);
	assert_string_equal(s.log,
	                    "A001 CAPABILITY\nA002 STARTTLS\nA003 CAPABILITY\nA004 LOGOUT\n");
	obs_free(&o);
	free_target(t);
}

static void
service_run__pop3_stls__capa_again_inside_tls(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start_tls(&s, "cert.pem", "key.pem", false, POP3_GREETING, pop3_starttls_rules,
	             pop3_tls_rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: pop3, port: %d, starttls: true}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_null(obs_get_fact(&o, "error"));
	assert_metric(&o, "up", 1);
	assert_metric(&o, "tls", 1);
	assert_fact(&o, "capabilities", "CAPA TOP STLS USER");
	assert_fact(&o, "capabilities_tls", "CAPA TOP USER SASL PLAIN");
	assert_test_cert(&o, "svc-test.example", CERT_NOT_AFTER);
	ts_stop(&s);
	assert_string_equal(s.log, "CAPA\nSTLS\nCAPA\nQUIT\n");
	obs_free(&o);
	free_target(t);
}

static void
service_run__pop3s__tls_from_the_start(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start_tls(&s, "cert.pem", "key.pem", true, POP3_GREETING, pop3_rules, NULL, false);
	snprintf(yaml, sizeof(yaml), "{protocol: pop3s, port: %d}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_null(obs_get_fact(&o, "error"));
	assert_metric(&o, "up", 1);
	assert_metric(&o, "tls", 1);
	assert_fact(&o, "banner", "+OK pop.example.org ready.");
	assert_fact(&o, "capabilities", "CAPA TOP UIDL RESP-CODES PIPELINING STLS USER SASL PLAIN");
	assert_null(obs_get_fact(&o, "capabilities_tls"));
	assert_test_cert(&o, "svc-test.example", CERT_NOT_AFTER);
	/* the greeting comes after the handshake */
	assert_true(tu_metric(&o, "response_ms") >= tu_metric(&o, "connect_ms"));
	ts_stop(&s);
	assert_string_equal(s.log, "CAPA\nQUIT\n");
	assert_int_equal(s.handshakes, 1);
	obs_free(&o);
	free_target(t);
}

static void
service_run__smtps_verify_by_name__sni_chain_and_name_checked(void **state)
{
	struct tsrv s;
	char yaml[512];
	struct obs o;

	ts_start_tls(&s, "localhost-cert.pem", "localhost-key.pem", true, SMTP_GREETING,
	             smtp_notls_rules, NULL, false);
	snprintf(yaml, sizeof(yaml),
	         "{protocol: smtps, host: localhost, port: %d, tls_verify: true, "
	         "ca_file: \"%s/service/localhost-cert.pem\"}",
	         s.port, TEST_DATA_DIR);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_null(obs_get_fact(&o, "error"));
	assert_metric(&o, "up", 1);
	assert_metric(&o, "tls", 1);
	assert_fact(&o, "capabilities", "PIPELINING 8BITMIME");
	assert_test_cert(&o, "localhost", LOCALHOST_CERT_NOT_AFTER);
	ts_stop(&s);
	assert_string_equal(s.sni, "localhost");
	obs_free(&o);
	free_target(t);
}

static void
service_run__starttls_verify_ip_literal__checked_against_ip_san(void **state)
{
	struct tsrv s;
	char yaml[512];
	struct obs o;

	ts_start_tls(&s, "localhost-cert.pem", "localhost-key.pem", false, SMTP_GREETING,
	             smtp_starttls_rules, smtp_tls_rules, false);
	snprintf(yaml, sizeof(yaml),
	         "{protocol: submission, port: %d, starttls: true, tls_verify: true, "
	         "ca_file: \"%s/service/localhost-cert.pem\"}",
	         s.port, TEST_DATA_DIR);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_null(obs_get_fact(&o, "error"));
	assert_metric(&o, "up", 1);
	assert_metric(&o, "tls", 1);
	assert_fact(&o, "capabilities_tls", SMTP_TLS_CAPS);
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__starttls_verify_unknown_issuer__down_with_reason(void **state)
{
	struct tsrv s;
	char yaml[512];
	struct obs o;

	ts_start_tls(&s, "cert.pem", "key.pem", false, SMTP_GREETING, smtp_starttls_rules,
	             smtp_tls_rules, false);
	snprintf(yaml, sizeof(yaml),
	         "{protocol: smtp, port: %d, starttls: true, tls_verify: true, "
	         "ca_file: \"%s/service/localhost-cert.pem\"}",
	         s.port, TEST_DATA_DIR);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_null(o.error);
	assert_metric(&o, "up", 0);
	assert_metric(&o, "tls", 0);
	assert_fact(&o, "error",
	            "STARTTLS failed: certificate verify failed: self-signed certificate");
	assert_null(obs_get_fact(&o, "capabilities_tls"));
	ts_stop(&s);
	assert_int_equal(s.handshakes, 0);
	obs_free(&o);
	free_target(t);
}

static void
service_run__imaps_verify_ip_not_in_certificate__down_with_reason(void **state)
{
	struct tsrv s;
	char yaml[512], want[256];
	struct obs o;

	ts_start_tls(&s, "cert.pem", "key.pem", true, IMAP_GREETING, imap_rules, NULL, true);
	snprintf(yaml, sizeof(yaml),
	         "{protocol: imaps, port: %d, tls_verify: true, ca_file: \"%s/service/cert.pem\"}",
	         s.port, TEST_DATA_DIR);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_metric(&o, "up", 0);
	assert_metric(&o, "tls", 0);
	snprintf(want, sizeof(want),
	         "TLS handshake with 127.0.0.1 port %d: certificate verify failed: IP address "
	         "mismatch",
	         s.port);
	assert_fact(&o, "error", want);
	assert_null(obs_get_fact(&o, "banner"));
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__starttls_refused__down_after_polite_quit(void **state)
{
	static const struct ts_rule rules[] = {
	    {"EHLO", "250-mx.example.org\r\n250-STARTTLS\r\n250 8BITMIME\r\n"},
	    {"STARTTLS", "454 4.7.0 TLS not available due to local problem\r\n"},
	    {"QUIT", "221 2.0.0 Bye\r\n{CLOSE}"},
	    {NULL, NULL}};
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, SMTP_GREETING, rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d, starttls: true, ehlo: x.example}",
	         s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_metric(&o, "up", 0);
	assert_metric(&o, "tls", 0);
	assert_fact(&o, "error",
	            "STARTTLS failed: 454 4.7.0 TLS not available due to local problem");
	assert_fact(&o, "capabilities", "STARTTLS 8BITMIME");
	ts_stop(&s);
	assert_string_equal(s.log, "EHLO x.example\nSTARTTLS\nQUIT\n");
	obs_free(&o);
	free_target(t);
}

static void
service_run__plaintext_after_starttls_go_ahead__dropped(void **state)
{
	/* a man in the middle appends a reply to the go-ahead, hoping the
	   client reads it as the first answer inside TLS */
	static const struct ts_rule rules[] = {
	    {"EHLO", "250-mx.example.org\r\n250-STARTTLS\r\n250 8BITMIME\r\n"},
	    {"STARTTLS", "220 2.0.0 Ready\r\n250-mx.example.org\r\n250 INJECTED\r\n{TLS}"},
	    {"QUIT", "221 2.0.0 Bye\r\n{CLOSE}"},
	    {NULL, NULL}};
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start_tls(&s, "cert.pem", "key.pem", false, SMTP_GREETING, rules, smtp_tls_rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d, starttls: true}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_null(obs_get_fact(&o, "error"));
	assert_metric(&o, "up", 1);
	assert_metric(&o, "tls", 1);
	assert_fact(&o, "capabilities_tls", SMTP_TLS_CAPS);
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__no_handshake_after_go_ahead__times_out_in_handshake(void **state)
{
	static const struct ts_rule rules[] = {{"EHLO", "250-mx.example.org\r\n250 STARTTLS\r\n"},
	                                       {"STARTTLS", "220 2.0.0 Ready\r\n"},
	                                       {NULL, NULL}};
	struct tsrv s;
	char yaml[256], want[128];
	struct obs o;
	double elapsed;

	ts_start(&s, SMTP_GREETING, rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d, starttls: true}", s.port);
	struct target *t = make_target(yaml, 800);
	run_target(t, &o, &elapsed);
	assert_null(o.error);
	assert_metric(&o, "up", 0);
	assert_metric(&o, "tls", 0);
	snprintf(want, sizeof(want),
	         "timed out in the TLS handshake with 127.0.0.1 port %d (800 ms)", s.port);
	assert_fact(&o, "error", want);
	assert_true(elapsed >= 700 && elapsed <= 1300);
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__implicit_tls_against_plain_or_closing_server__handshake_error(void **state)
{
	static const struct {
		const char *proto, *greeting;
		const char *reasons[2]; /* either one */
	} cases[] = {
	    /* a plain IMAP server on the imaps port: its greeting is no TLS record */
	    {"imaps", IMAP_GREETING, {"wrong version number", NULL}},
	    /* a server that hangs up at once: a FIN, or a reset when the
	       ClientHello was already on its way */
	    {"smtps", "{CLOSE}", {"connection closed by the server", "Connection reset by peer"}},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tsrv s;
		char yaml[256], want[2][256];
		struct obs o;
		ts_start(&s, cases[i].greeting, NULL, false);
		snprintf(yaml, sizeof(yaml), "{protocol: %s, port: %d}", cases[i].proto, s.port);
		struct target *t = make_target(yaml, 5000);
		run_target(t, &o, NULL);
		assert_null(o.error);
		assert_metric(&o, "up", 0);
		assert_metric(&o, "tls", 0);
		for (int k = 0; k < 2; k++)
			snprintf(want[k], sizeof(want[k]),
			         "TLS handshake with 127.0.0.1 port %d: %s", s.port,
			         cases[i].reasons[k] != NULL ? cases[i].reasons[k] : "-");
		const char *got = tu_fact(&o, "error");
		if (strcmp(got, want[0]) != 0 && strcmp(got, want[1]) != 0)
			fail_msg("error '%s', want '%s'", got, want[0]);
		assert_null(obs_get_metric(&o, "cert_days_left"));
		ts_stop(&s);
		obs_free(&o);
		free_target(t);
	}
}

/* ---- end to end: SMTP corner cases ------------------------------------------------------ */

static void
service_run__ehlo_unknown__helo_instead(void **state)
{
	static const struct ts_rule rules[] = {
	    {"EHLO", "502 5.5.2 Error: command not recognized\r\n"},
	    {"HELO", "250 mx.example.org\r\n"},
	    {"QUIT", "221 2.0.0 Bye\r\n{CLOSE}"},
	    {NULL, NULL}};
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, SMTP_GREETING, rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d, ehlo: x.example}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_null(obs_get_fact(&o, "error"));
	assert_metric(&o, "up", 1);
	assert_fact(&o, "capabilities", ""); /* HELO: no extensions */
	ts_stop(&s);
	assert_string_equal(s.log, "EHLO x.example\nHELO x.example\nQUIT\n");
	obs_free(&o);
	free_target(t);
}

static void
service_run__ehlo_refused__down_with_reply(void **state)
{
	static const struct ts_rule rules[] = {
	    {"EHLO", "421 4.7.0 mx.example.org Error: too many connections\r\n{CLOSE}"},
	    {NULL, NULL}};
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, SMTP_GREETING, rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: smtp, port: %d, ehlo: x.example}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_metric(&o, "up", 0);
	assert_fact(&o, "error",
	            "EHLO rejected: 421 4.7.0 mx.example.org Error: too many connections");
	assert_fact(&o, "banner", "220 mx.example.org ESMTP test");
	ts_stop(&s);
	assert_string_equal(s.log, "EHLO x.example\n");
	obs_free(&o);
	free_target(t);
}

static void
service_run__imap_bye_and_pop3_err_greetings__down(void **state)
{
	static const struct {
		const char *proto, *greeting, *error;
	} cases[] = {
	    {"imap", "* BYE Too many connections\r\n",
	     "unexpected greeting: * BYE Too many connections"},
	    {"pop3", "-ERR [SYS/TEMP] Server busy\r\n",
	     "unexpected greeting: -ERR [SYS/TEMP] Server busy"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tsrv s;
		char yaml[256];
		struct obs o;
		ts_start(&s, cases[i].greeting, NULL, strcmp(cases[i].proto, "imap") == 0);
		snprintf(yaml, sizeof(yaml), "{protocol: %s, port: %d}", cases[i].proto, s.port);
		struct target *t = make_target(yaml, 5000);
		run_target(t, &o, NULL);
		assert_metric(&o, "up", 0);
		assert_fact(&o, "error", cases[i].error);
		ts_stop(&s);
		obs_free(&o);
		free_target(t);
	}
}

/* ---- end to end: socket dialogues ---------------------------------------------------- */

static void
service_run__lmtp__lhlo_capabilities(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, LMTP_GREETING, lmtp_rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: lmtp, port: %d, ehlo: mxsla-test.example}",
	         s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_null(o.error);
	assert_int_equal((int)tu_metric(&o, "up"), 1);
	assert_int_equal((int)tu_metric(&o, "tls"), 0);
	assert_true(tu_metric(&o, "connect_ms") > 0);
	assert_true(tu_metric(&o, "response_ms") >= tu_metric(&o, "connect_ms"));
	assert_string_equal(tu_fact(&o, "banner"), "220 lmtp.example.org LMTP ready");
	assert_string_equal(tu_fact(&o, "capabilities"), "PIPELINING ENHANCEDSTATUSCODES 8BITMIME");
	ts_stop(&s);
	assert_string_equal(s.log, "LHLO mxsla-test.example\nQUIT\n");
	obs_free(&o);
	free_target(t);
}

static void
service_run__lmtp_refusing_greeting__down(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, "421 4.3.2 Service shutting down\r\n", lmtp_rules, false);
	snprintf(yaml, sizeof(yaml), "{protocol: lmtp, port: %d}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	assert_string_equal(tu_fact(&o, "error"),
	                    "unexpected greeting: 421 4.3.2 Service shutting down");
	assert_string_equal(tu_fact(&o, "banner"), "421 4.3.2 Service shutting down");
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__lmtp_silent_server__gives_up_at_timeout(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;
	double elapsed;

	ts_start(&s, NULL, NULL, false);
	snprintf(yaml, sizeof(yaml), "{protocol: lmtp, port: %d}", s.port);
	struct target *t = make_target(yaml, 800);
	run_target(t, &o, &elapsed);
	assert_null(o.error);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	assert_string_equal(tu_fact(&o, "error"), "timed out waiting for greeting (800 ms)");
	assert_true(elapsed >= 700 && elapsed <= 1300);
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__tcp_without_expect__up_on_connect(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;
	double elapsed;

	ts_start(&s, NULL, NULL, false);
	snprintf(yaml, sizeof(yaml), "{protocol: tcp, port: %d}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, &elapsed);
	assert_int_equal((int)tu_metric(&o, "up"), 1);
	assert_true(tu_metric(&o, "connect_ms") > 0);
	assert_null(obs_get_fact(&o, "banner"));
	assert_true(elapsed < 1000); /* does not wait for a banner */
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__tcp_send_and_expect__matching_line(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, "hello\r\n", tcp_ping_rules, false);
	snprintf(yaml, sizeof(yaml),
	         "{protocol: tcp, port: %d, send: \"PING\\r\\n\", expect: \"^PONG\"}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 1);
	assert_string_equal(tu_fact(&o, "banner"), "hello");
	assert_true(tu_metric(&o, "response_ms") >= tu_metric(&o, "connect_ms"));
	ts_stop(&s);
	assert_string_equal(s.log, "PING\n");
	obs_free(&o);
	free_target(t);
}

static void
service_run__tcp_expect_on_closing_server__mismatch(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	ts_start(&s, "SSH-2.0-OpenSSH_9.2\r\n{CLOSE}", NULL, false);
	snprintf(yaml, sizeof(yaml), "{protocol: tcp, port: %d, expect: \"^220 \"}", s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	assert_string_equal(tu_fact(&o, "error"), "banner does not match expect /^220 /");
	assert_string_equal(tu_fact(&o, "banner"), "SSH-2.0-OpenSSH_9.2");
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__tcp_expect_on_silent_server__times_out(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;
	double elapsed;

	ts_start(&s, NULL, NULL, false);
	snprintf(yaml, sizeof(yaml), "{protocol: tcp, port: %d, expect: x}", s.port);
	struct target *t = make_target(yaml, 600);
	run_target(t, &o, &elapsed);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	assert_string_equal(tu_fact(&o, "error"), "timed out waiting for greeting (600 ms)");
	assert_true(elapsed >= 500 && elapsed <= 1100);
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

static void
service_run__tcp_closed_port__connection_refused(void **state)
{
	char yaml[256], want[128];
	struct obs o;
	int port = closed_port();

	snprintf(yaml, sizeof(yaml), "{protocol: tcp, port: %d}", port);
	struct target *t = make_target(yaml, 2000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 0);
	snprintf(want, sizeof(want), "connect to 127.0.0.1 port %d: Connection refused", port);
	assert_string_equal(tu_fact(&o, "error"), want);
	obs_free(&o);
	free_target(t);
}

static void
service_run__tcp_over_ipv6_loopback__up(void **state)
{
	struct tsrv s;
	char yaml[256];
	struct obs o;

	if (!ts_start_family(&s, AF_INET6, "hello\r\n", NULL, false))
		skip();
	ts_run(&s);
	snprintf(yaml, sizeof(yaml), "{protocol: tcp, host: \"::1\", port: %d, expect: hello}",
	         s.port);
	struct target *t = make_target(yaml, 5000);
	run_target(t, &o, NULL);
	assert_int_equal((int)tu_metric(&o, "up"), 1);
	assert_string_equal(tu_fact(&o, "banner"), "hello");
	ts_stop(&s);
	obs_free(&o);
	free_target(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(service_parse__postfix_ehlo__banner_and_keywords_in_order),
	    cmocka_unit_test(service_parse__postfix_starttls__second_ehlo_is_the_tls_list),
	    cmocka_unit_test(service_parse__postfix_smtps__one_list_without_starttls),
	    cmocka_unit_test(service_parse__dovecot_imap__capability_response),
	    cmocka_unit_test(service_parse__dovecot_imap_starttls__capability_after_tls),
	    cmocka_unit_test(service_parse__dovecot_imaps__greeting_and_list),
	    cmocka_unit_test(service_parse__dovecot_pop3__capa_list),
	    cmocka_unit_test(service_parse__dovecot_pop3_stls__capa_after_tls),
	    cmocka_unit_test(service_parse__dovecot_lmtp__lhlo_keywords),
	    cmocka_unit_test(service_parse__multiline_greeting__joined_and_first_line_is_banner),
	    cmocka_unit_test(service_parse__imap_list_only_in_greeting__taken_from_greeting),
	    cmocka_unit_test(service_parse__http_after_100_continue__final_status_and_server),
	    cmocka_unit_test(service_parse__garbage__never_crashes),
	    cmocka_unit_test(service_greeting_complete__smtp_waits_for_last_line),
	    cmocka_unit_test(service_cert_parse_date__openssl_and_asn1_forms),
	    cmocka_unit_test(service_cert_from_entries__real_certinfo__subject_issuer_days),
	    cmocka_unit_test(service_configure__defaults__port_host_ehlo_path),
	    cmocka_unit_test(service_configure__misplaced_options__every_error_located),
	    cmocka_unit_test(service_configure__unknown_protocol_or_key__refused),
	    cmocka_unit_test(service_run__smtp__banner_capabilities_and_polite_quit),
	    cmocka_unit_test(service_run__imap__capability_and_logout),
	    cmocka_unit_test(service_run__pop3__capa_list),
	    cmocka_unit_test(service_run__smtp_silent_server__times_out_as_down),
	    cmocka_unit_test(service_run__imaps_silent_server__times_out_in_handshake),
	    cmocka_unit_test(service_run__smtp_closed_port__connection_refused),
	    cmocka_unit_test(service_run__expect_mismatch__down_with_pattern_in_error),
	    cmocka_unit_test(service_run__smtp_refusing_greeting__down_with_greeting),
	    cmocka_unit_test(service_run__starttls_not_offered__down),
	    cmocka_unit_test(service_run__smtp_over_ipv6_loopback__up),
	    cmocka_unit_test(service_run__http__status_line_and_server),
	    cmocka_unit_test(service_run__http_503__down_with_status),
	    cmocka_unit_test(service_run__https_self_signed__tls_and_certificate),
	    cmocka_unit_test(service_run__https_verify_self_signed__down),
	    cmocka_unit_test(service_run__smtp_starttls__ehlo_again_inside_tls_and_certificate),
	    cmocka_unit_test(service_run__imap_starttls__tagged_commands_and_list_inside_tls),
	    cmocka_unit_test(service_run__pop3_stls__capa_again_inside_tls),
	    cmocka_unit_test(service_run__pop3s__tls_from_the_start),
	    cmocka_unit_test(service_run__smtps_verify_by_name__sni_chain_and_name_checked),
	    cmocka_unit_test(service_run__starttls_verify_ip_literal__checked_against_ip_san),
	    cmocka_unit_test(service_run__starttls_verify_unknown_issuer__down_with_reason),
	    cmocka_unit_test(service_run__imaps_verify_ip_not_in_certificate__down_with_reason),
	    cmocka_unit_test(service_run__starttls_refused__down_after_polite_quit),
	    cmocka_unit_test(service_run__plaintext_after_starttls_go_ahead__dropped),
	    cmocka_unit_test(service_run__no_handshake_after_go_ahead__times_out_in_handshake),
	    cmocka_unit_test(
	        service_run__implicit_tls_against_plain_or_closing_server__handshake_error),
	    cmocka_unit_test(service_run__ehlo_unknown__helo_instead),
	    cmocka_unit_test(service_run__ehlo_refused__down_with_reply),
	    cmocka_unit_test(service_run__imap_bye_and_pop3_err_greetings__down),
	    cmocka_unit_test(service_run__lmtp__lhlo_capabilities),
	    cmocka_unit_test(service_run__lmtp_refusing_greeting__down),
	    cmocka_unit_test(service_run__lmtp_silent_server__gives_up_at_timeout),
	    cmocka_unit_test(service_run__tcp_without_expect__up_on_connect),
	    cmocka_unit_test(service_run__tcp_send_and_expect__matching_line),
	    cmocka_unit_test(service_run__tcp_expect_on_closing_server__mismatch),
	    cmocka_unit_test(service_run__tcp_expect_on_silent_server__times_out),
	    cmocka_unit_test(service_run__tcp_closed_port__connection_refused),
	    cmocka_unit_test(service_run__tcp_over_ipv6_loopback__up),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
