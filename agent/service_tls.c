/*
 * service_tls.c - OpenSSL for the `service` probe's own dialogues: the
 * client context of a target, a session on a connected non-blocking
 * socket driven one step at a time (the caller, service_conn.c, does the
 * waiting with poll on its time budget), and the facts of the peer's
 * certificate.  This file owns every OpenSSL object; nothing else in the
 * agent calls OpenSSL.
 *
 * OpenSSL is initialised on the first TLS session of the process, not at
 * start, so an agent without TLS targets never pays for it.  Each target
 * keeps one SSL_CTX (certificate verification on or off, its ca_file or
 * the default CA paths), made on its first session and freed with the
 * target's configuration, so a reload picks up a changed CA file and a
 * run does not parse the CA bundle again.  A context that cannot be made
 * (an unreadable CA file) is not kept: the next run tries again.
 *
 * Sessions: SNI with the host name (never with an IP literal, RFC 6066);
 * with tls_verify, the chain is checked against the CA and the name
 * against the host (DNS name, or IP address for a literal).  Without
 * tls_verify nothing is checked, but the certificate is still reported.
 * The socket BIO sends with MSG_NOSIGNAL: OpenSSL's own uses write(),
 * which raises SIGPIPE when the peer has gone.  A peer that closes
 * without close_notify counts as closed, not as an error (many mail
 * servers do so after QUIT).  Nothing is logged in, no session is
 * resumed: every run makes a full handshake, which is what it measures.
 * The calling thread's OpenSSL state (error queue, random generators) is
 * released when its session is, so none of it outlives the run.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "service.h"
#include "xmalloc.h"

#define TLS_NAME_MAX 1024 /* cert_subject / cert_issuer kept at most */

struct service_tls_cache {
	pthread_mutex_t mu;
	SSL_CTX *ctx; /* NULL until the first session */
};

struct service_tls {
	SSL *ssl;
	bool verify;      /* tls_verify: a failed handshake may be the chain's fault */
	bool established; /* handshake done: close_notify is due at the end */
};

/* ---- process-wide initialisation ------------------------------------------ */

static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static BIO_METHOD *tls_bio_method; /* NULL if OpenSSL could not be set up */

/* The socket BIO: the file descriptor is the BIO's data. */
static int
tls_bio_fd(BIO *b)
{
	return (int)(intptr_t)BIO_get_data(b);
}

static int
tls_bio_write(BIO *b, const char *buf, int n)
{
	ssize_t w;

	BIO_clear_retry_flags(b);
	w = send(tls_bio_fd(b), buf, (size_t)n, MSG_NOSIGNAL);
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	return (int)w;
}

static int
tls_bio_read(BIO *b, char *buf, int n)
{
	ssize_t r;

	BIO_clear_retry_flags(b);
	r = recv(tls_bio_fd(b), buf, (size_t)n, 0);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_read(b);
	return (int)r;
}

static long
tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0; /* sends are unbuffered */
}

static int
tls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void
tls_init_once(void)
{
	BIO_METHOD *m;

	/* with the system's openssl.cnf, so that a machine-wide TLS policy
	   (minimum protocol, cipher level) applies to the probe as it does to
	   the mail clients; skipping it saved no memory (bench/README.md) */
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		return;
	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mxsla socket");
	if (m == NULL)
		return;
	if (BIO_meth_set_write(m, tls_bio_write) != 1 || BIO_meth_set_read(m, tls_bio_read) != 1 ||
	    BIO_meth_set_ctrl(m, tls_bio_ctrl) != 1 ||
	    BIO_meth_set_create(m, tls_bio_create) != 1) {
		BIO_meth_free(m);
		return;
	}
	tls_bio_method = m;
}

/* ---- errors ---------------------------------------------------------------- */

/* The reason of the oldest queued OpenSSL error, or fallback; clears the
   queue. */
static void
tls_error_text(char *why, size_t whylen, const char *fallback)
{
	unsigned long e = ERR_get_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (reason != NULL)
		snprintf(why, whylen, "%s", reason);
	else if (e != 0)
		snprintf(why, whylen, "OpenSSL error %lx", e);
	else
		snprintf(why, whylen, "%s", fallback);
	ERR_clear_error();
}

/* ---- contexts ---------------------------------------------------------------- */

struct service_tls_cache *
service_tls_cache_new(void)
{
	struct service_tls_cache *tc = xcalloc(1, sizeof(*tc));
	pthread_mutex_init(&tc->mu, NULL);
	return tc;
}

void
service_tls_cache_free(struct service_tls_cache *tc)
{
	if (tc == NULL)
		return;
	SSL_CTX_free(tc->ctx);
	pthread_mutex_destroy(&tc->mu);
	free(tc);
}

static SSL_CTX *
tls_ctx_make(const struct service_conf *c, char *why, size_t whylen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		tls_error_text(why, whylen, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (!c->tls_verify) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (c->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL) != 1) {
			char reason[160];
			tls_error_text(reason, sizeof(reason), "no certificate in it");
			snprintf(why, whylen, "ca_file %s: %s", c->ca_file, reason);
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		tls_error_text(why, whylen, "cannot load the default CA certificates");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The target's context with a reference for the caller, or NULL. */
static SSL_CTX *
tls_ctx_get(const struct service_conf *c, char *why, size_t whylen)
{
	struct service_tls_cache *tc = c->tls_cache;
	SSL_CTX *ctx;

	if (tc == NULL) {
		snprintf(why, whylen, "protocol %s does not use TLS",
		         service_proto_name(c->protocol));
		return NULL;
	}
	pthread_mutex_lock(&tc->mu);
	if (tc->ctx == NULL)
		tc->ctx = tls_ctx_make(c, why, whylen);
	ctx = tc->ctx;
	if (ctx != NULL)
		SSL_CTX_up_ref(ctx);
	pthread_mutex_unlock(&tc->mu);
	return ctx;
}

/* ---- sessions ------------------------------------------------------------------ */

static bool
tls_is_ip_literal(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

struct service_tls *
service_tls_new(const struct service_conf *c, int fd, char *why, size_t whylen)
{
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *bio;

	pthread_once(&tls_once, tls_init_once);
	if (tls_bio_method == NULL) {
		tls_error_text(why, whylen, "OpenSSL could not be initialised");
		return NULL;
	}
	if ((ctx = tls_ctx_get(c, why, whylen)) == NULL)
		return NULL;
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx); /* the session holds its own reference */
	if (ssl == NULL) {
		tls_error_text(why, whylen, "cannot create a TLS session");
		return NULL;
	}
	bio = BIO_new(tls_bio_method);
	if (bio == NULL) {
		tls_error_text(why, whylen, "cannot create a TLS session");
		SSL_free(ssl);
		return NULL;
	}
	BIO_set_data(bio, (void *)(intptr_t)fd);
	SSL_set_bio(ssl, bio, bio);
	SSL_set_connect_state(ssl);

	bool literal = tls_is_ip_literal(c->host);
	int ok = 1;
	if (!literal)
		ok = SSL_set_tlsext_host_name(ssl, c->host) == 1;
	if (ok && c->tls_verify) {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (literal)
			ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->host) == 1;
		else
			ok = SSL_set1_host(ssl, c->host) == 1;
	}
	if (!ok) {
		tls_error_text(why, whylen, "cannot set the server name");
		SSL_free(ssl);
		return NULL;
	}
	struct service_tls *t = xcalloc(1, sizeof(*t));
	t->ssl = ssl;
	t->verify = c->tls_verify;
	return t;
}

/* Map the outcome of an SSL_* call that returned r <= 0. */
static int
tls_step_result(struct service_tls *t, int r, int saved_errno, char *why, size_t whylen)
{
	int e = SSL_get_error(t->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return SVC_TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return SVC_TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return SVC_TLS_CLOSED;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			if (saved_errno == 0)
				return SVC_TLS_CLOSED; /* EOF without close_notify */
			snprintf(why, whylen, "%s", strerror(saved_errno));
			return SVC_TLS_FAILED;
		}
		tls_error_text(why, whylen, "TLS error");
		return SVC_TLS_FAILED;
	default:
		tls_error_text(why, whylen, "TLS error");
		return SVC_TLS_FAILED;
	}
}

int
service_tls_handshake(struct service_tls *t, char *why, size_t whylen)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_connect(t->ssl);
	if (r == 1) {
		t->established = true;
		return 0;
	}
	int saved = errno;
	int step = tls_step_result(t, r, saved, why, whylen);
	long vr = t->verify ? SSL_get_verify_result(t->ssl) : X509_V_OK;
	if (step == SVC_TLS_FAILED && vr != X509_V_OK)
		snprintf(why, whylen, "certificate verify failed: %s",
		         X509_verify_cert_error_string(vr));
	return step;
}

long
service_tls_read(struct service_tls *t, char *buf, size_t n, char *why, size_t whylen)
{
	int r;

	if (n > INT_MAX)
		n = INT_MAX;
	ERR_clear_error();
	errno = 0;
	r = SSL_read(t->ssl, buf, (int)n);
	if (r > 0)
		return r;
	return tls_step_result(t, r, errno, why, whylen);
}

long
service_tls_write(struct service_tls *t, const char *buf, size_t n, char *why, size_t whylen)
{
	int r;

	if (n > INT_MAX)
		n = INT_MAX;
	ERR_clear_error();
	errno = 0;
	r = SSL_write(t->ssl, buf, (int)n);
	if (r > 0)
		return r;
	return tls_step_result(t, r, errno, why, whylen);
}

/* One line of a certificate name, as libcurl's CERTINFO shows it (so an
   https and an imaps target on the same certificate report the same
   text): "CN = mx.example.org, O = Example".  NULL if it cannot be
   printed. */
static char *
tls_name_text(const X509_NAME *name)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data = NULL, *s = NULL;
	long n;

	if (mem == NULL)
		return NULL;
	if (X509_NAME_print_ex(mem, name, 0, XN_FLAG_ONELINE) >= 0 &&
	    (n = BIO_get_mem_data(mem, &data)) >= 0 && data != NULL)
		s = xstrndup(data, n > TLS_NAME_MAX ? TLS_NAME_MAX : (size_t)n);
	BIO_free(mem);
	return s;
}

void
service_tls_peer_certificate(struct service_tls *t, struct service_result *res)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	X509 *x = SSL_get1_peer_certificate(t->ssl);
#else
	X509 *x = SSL_get_peer_certificate(t->ssl);
#endif
	int days = 0, secs = 0;

	if (x == NULL)
		return;
	free(res->cert_subject);
	free(res->cert_issuer);
	res->cert_subject = tls_name_text(X509_get_subject_name(x));
	res->cert_issuer = tls_name_text(X509_get_issuer_name(x));
	const ASN1_TIME *not_after = X509_get0_notAfter(x);
	if (not_after != NULL && ASN1_TIME_diff(&days, &secs, NULL, not_after) == 1) {
		res->cert_days_left = service_cert_days_left((double)days * 86400.0 + secs);
		res->have_cert = true;
	}
	ERR_clear_error();
	X509_free(x);
}

void
service_tls_free(struct service_tls *t)
{
	if (t == NULL)
		return;
	if (t->established) {
		/* one try at close_notify; a full socket buffer or a gone peer
		   just means it is not sent */
		ERR_clear_error();
		(void)SSL_shutdown(t->ssl);
		ERR_clear_error();
	}
	SSL_free(t->ssl);
	free(t);
	service_tls_thread_done();
}

void
service_tls_thread_done(void)
{
	/* OpenSSL would free them when the thread ends; a run's worker thread
	   ends right after the run, but the process may exit (a scan) before
	   that has happened */
	OPENSSL_thread_stop();
}
