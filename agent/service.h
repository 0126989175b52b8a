/*
 * service.h - the `service` probe (SPEC 2.3): is a mail, web or TCP
 * service answering, how fast, with which greeting, capabilities and
 * certificate.
 *
 * Files:
 *   probe_service.c   options (schema), the parser of server responses
 *                     (a pure function, tested on captured transcripts),
 *                     judgement (up, expect) and the metrics/facts written
 *                     to the observation
 *   service_mail.c    SMTP, submission, SMTPS, LMTP, IMAP, IMAPS, POP3 and
 *                     POP3S: greeting, EHLO/LHLO/CAPABILITY/CAPA, STARTTLS
 *                     and the list asked again inside TLS, goodbye; never
 *                     logs in, never sends mail
 *   service_tcp.c     plain TCP: connect, optional send, optional expect
 *   service_conn.c    what the mail and TCP dialogues share: name lookup
 *                     and connect within the time budget, reads and writes
 *                     on a non-blocking socket with poll() on what is left
 *                     of the budget, plain or through TLS
 *   service_tls.c     OpenSSL: the client context of a target, one
 *                     non-blocking handshake/read/write step at a time,
 *                     the certificate facts of the peer
 *   service_curl.c    HTTP and HTTPS through libcurl (lib/curlrt.h, loaded
 *                     on first use), and the reading of libcurl's
 *                     certificate information
 *
 * A backend fills a struct service_result; probe_service.c turns it into
 * the observation.  A service that refuses, times out or answers badly is
 * up=0 with fact `error`, never obs_error; obs_error is for a target the
 * agent could not try at all (not configured, libcurl missing).
 *
 * Reports: metrics up, connect_ms (TCP connect, name lookup included),
 * response_ms (mail: until the greeting was complete; http: the whole
 * response; tcp: until the line matching expect, or connect_ms without
 * expect), tls, cert_days_left (leaf certificate, tenths of a day rounded
 * down, negative once expired), http_status; facts banner, capabilities
 * (the first list, e.g. before STARTTLS), capabilities_tls (the list asked
 * again inside TLS), server (HTTP Server header), cert_subject,
 * cert_issuer, error.
 * Judgement: `expect` is matched against the whole greeting (lines joined
 * by "\n") for mail protocols, the final status line for http(s), and
 * each received line for tcp.  Without `expect`, http(s) is up for any
 * status below 500.
 */
#ifndef MXSLA_SERVICE_H
#define MXSLA_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct obs;
struct rx;
struct service_tls;
struct service_tls_cache;

enum service_proto {
	SVC_SMTP,
	SVC_SUBMISSION,
	SVC_SMTPS,
	SVC_IMAP,
	SVC_IMAPS,
	SVC_POP3,
	SVC_POP3S,
	SVC_LMTP,
	SVC_HTTP,
	SVC_HTTPS,
	SVC_TCP,
	SVC_PROTO_COUNT
};

/* The family of a protocol: how its responses look. */
enum service_family { SVC_FAM_SMTP, SVC_FAM_IMAP, SVC_FAM_POP3, SVC_FAM_HTTP, SVC_FAM_TCP };

/* Decoded options of one target (owned by the target, t->conf). */
struct service_conf {
	int protocol; /* enum service_proto */
	char *host;
	int port; /* 0 in the file = protocol default, filled at configure */
	bool starttls;
	struct rx *expect; /* NULL = no expectation */
	bool tls_verify;
	char *ca_file;
	char *ehlo; /* SMTP EHLO / LMTP LHLO name */
	char *path; /* HTTP path */
	char *send; /* TCP: text sent after connect */
	/* the TLS client context of the target, made on its first TLS run
	   (service_tls.c); NULL for protocols without TLS */
	struct service_tls_cache *tls_cache;
};

/* Upper bound on what is kept of a server's responses. */
#define SERVICE_TRANSCRIPT_MAX (64 * 1024)

/* What the server said, parsed from its responses (all strings xmalloc'd,
   NULL when absent). */
struct service_reply {
	char *greeting;         /* the whole greeting, lines joined by "\n", CR/LF stripped */
	char *banner;           /* its first line (HTTP: the final status line) */
	char *capabilities;     /* keywords of the first EHLO/LHLO/CAPABILITY/CAPA answer */
	char *capabilities_tls; /* the same asked again after STARTTLS */
	char *server;           /* HTTP: the Server header */
	int code;               /* SMTP/LMTP greeting code, HTTP status; 0 if none */
};

/* What a backend saw in one run. */
struct service_result {
	bool connected;     /* the TCP connection was established */
	double connect_ms;  /* < 0 when not measured */
	double response_ms; /* < 0 when not measured */
	bool tls;           /* the session ended up encrypted */
	char *error;        /* xmalloc'd; NULL = transport/protocol worked */
	struct service_reply reply;
	bool have_cert;
	double cert_days_left;
	char *cert_subject;
	char *cert_issuer;
};

/* Protocol facts. */
enum service_family service_proto_family(enum service_proto p);
const char *service_proto_name(enum service_proto p);
int service_proto_default_port(enum service_proto p); /* 0 for tcp */
bool service_proto_implicit_tls(enum service_proto p);

/* Parse a transcript of server responses (the bytes the server sent, CRLF
   or LF line ends, in order, as captured from the connection) into r
   (zeroed first by the caller, freed with service_reply_free).  Never
   fails: whatever cannot be recognised is left NULL. */
void service_parse_responses(enum service_proto p, const char *text, size_t len,
                             struct service_reply *r);
/* 1 if the transcript already holds a complete greeting (for timing). */
int service_greeting_complete(enum service_proto p, const char *text, size_t len);
void service_reply_free(struct service_reply *r);

/* Parse an OpenSSL/GnuTLS style certificate date as libcurl's CERTINFO
   shows it ("Nov 21 10:00:00 2026 GMT", "Jan  5 01:02:03.5 2030 GMT",
   "2026-11-21 10:00:00 GMT").  Returns 0 and the UTC time, or -1. */
int service_cert_parse_date(const char *s, time_t *t_r);
/* Fill the certificate part of res from one certificate's CERTINFO
   entries ("Key:value" strings): cert_subject, cert_issuer and
   cert_days_left = (notAfter - now) / 86400 rounded down to 0.1 day. */
void service_cert_from_entries(const char *const *entries, size_t n, time_t now,
                               struct service_result *res);
/* Days from seconds left, rounded down to a tenth of a day ("0.0 left"
   only on the last 2.4 hours; -0.1 as soon as it has expired). */
double service_cert_days_left(double seconds);

void service_result_free(struct service_result *res);

/* Backends: fill res (zeroed, connect_ms/response_ms preset to -1).  Never
   take longer than timeout_ms plus about 100 ms. */
void service_mail_run(const struct service_conf *c, int64_t timeout_ms, struct service_result *res);
void service_tcp_run(const struct service_conf *c, int64_t timeout_ms, struct service_result *res);
/* http and https.  -1 with *error_r (xmalloc'd) when libcurl cannot be
   loaded: the target could not be tried (obs_error, not up=0); else 0. */
int service_curl_run(const struct service_conf *c, int64_t timeout_ms, struct service_result *res,
                     char **error_r);

/* ---- shared by the socket backends (service_conn.c) -------------------- */

/* Outcome of a read, a write or a handshake. */
enum {
	SVC_IO_OK = 1,       /* done (a read: bytes were appended) */
	SVC_IO_EOF = 0,      /* the peer closed the connection */
	SVC_IO_ERROR = -1,   /* the reason is in conn->why */
	SVC_IO_TIMEOUT = -2, /* the time limit came first */
	SVC_IO_FULL = -3     /* SERVICE_TRANSCRIPT_MAX bytes are in already */
};

/* One connection of a run.  Everything received is appended to buf (the
   transcript the parser reads), capped at SERVICE_TRANSCRIPT_MAX. */
struct service_conn {
	const struct service_conf *conf;
	int fd;
	struct service_tls *tls; /* NULL while the connection is plain */
	struct timespec start;   /* when the run began (CLOCK_MONOTONIC) */
	int64_t deadline;        /* the run's end, monotonic milliseconds */
	int64_t timeout_ms;      /* the budget, for messages */
	char *buf;
	size_t len, cap;
	char why[256]; /* what went wrong in the last SVC_IO_ERROR */
};

/* Milliseconds since start (CLOCK_MONOTONIC), fractional. */
double service_ms_since(const struct timespec *start);
/* Start the run (clock, deadline), resolve c->host and connect to the
   first address that accepts, within timeout_ms.  0, with
   res->connected and res->connect_ms set; or -1 with res->error (the
   connection is then closed already). */
int service_conn_open(struct service_conn *cn, const struct service_conf *c, int64_t timeout_ms,
                      struct service_result *res);
/* Send all of s before until (monotonic ms; never later than the run's
   deadline): SVC_IO_OK, SVC_IO_TIMEOUT or SVC_IO_ERROR. */
int service_conn_write(struct service_conn *cn, const char *s, size_t len, int64_t until);
/* Wait for the next bytes and append them to cn->buf: SVC_IO_OK or what
   stopped it. */
int service_conn_read(struct service_conn *cn, int64_t until);
/* TLS handshake on the connection (SNI, verification as configured):
   SVC_IO_OK (cn->tls set), SVC_IO_TIMEOUT, SVC_IO_ERROR or SVC_IO_EOF. */
int service_conn_starttls(struct service_conn *cn);
/* The error text for a failed read of (what): "timed out waiting for
   greeting (N ms)", "connection closed while waiting for greeting", ... */
char *service_conn_read_error(const struct service_conn *cn, int rc, const char *what);
/* Close the connection (a TLS session says close_notify first, without
   waiting) and free the transcript. */
void service_conn_close(struct service_conn *cn);

/* ---- OpenSSL (service_tls.c) -------------------------------------------- */

/* The cache holding a target's SSL_CTX: made at configure time (no
   OpenSSL call), filled on the first handshake, freed with the target. */
struct service_tls_cache *service_tls_cache_new(void);
void service_tls_cache_free(struct service_tls_cache *tc);

/* Steps of non-blocking TLS: a result >= 0 is done (bytes moved for
   read/write), the others say what to wait for or that it failed. */
enum {
	SVC_TLS_WANT_READ = -10,
	SVC_TLS_WANT_WRITE = -11,
	SVC_TLS_CLOSED = -12, /* the peer closed (close_notify or EOF) */
	SVC_TLS_FAILED = -13  /* the reason is in why */
};

/* A client session on the connected socket fd for target c (SNI, and
   with tls_verify the chain against ca_file or the default CA paths and
   the host name); NULL with the reason in why. */
struct service_tls *service_tls_new(const struct service_conf *c, int fd, char *why, size_t whylen);
/* One step of the handshake: 0 when complete, or a SVC_TLS_* value. */
int service_tls_handshake(struct service_tls *t, char *why, size_t whylen);
/* One read/write: the bytes moved (> 0), or a SVC_TLS_* value. */
long service_tls_read(struct service_tls *t, char *buf, size_t n, char *why, size_t whylen);
long service_tls_write(struct service_tls *t, const char *buf, size_t n, char *why, size_t whylen);
/* cert_subject, cert_issuer and cert_days_left of the peer's leaf
   certificate (nothing when there is none). */
void service_tls_peer_certificate(struct service_tls *t, struct service_result *res);
/* Send close_notify if the session stands (no waiting), free it, and
   release the calling thread's OpenSSL state (service_tls_thread_done). */
void service_tls_free(struct service_tls *t);
/* Release the calling thread's OpenSSL state (error queue, random
   generators), also what libcurl's OpenSSL left there; OpenSSL makes it
   again if the thread needs it.  For the end of a run that used TLS. */
void service_tls_thread_done(void);

#endif
