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
 *   service_curl.c    SMTP/submission/SMTPS, IMAP/IMAPS, POP3/POP3S and
 *                     HTTP/HTTPS through libcurl (greeting, EHLO/CAPABILITY/
 *                     CAPA, STARTTLS; never logs in), and the reading of
 *                     libcurl's certificate information
 *   service_dialog.c  LMTP (greeting + LHLO) and plain TCP (connect,
 *                     optional send, optional expect) on non-blocking sockets
 *
 * A backend fills a struct service_result; probe_service.c turns it into
 * the observation.  A service that refuses, times out or answers badly is
 * up=0 with fact `error`, never obs_error.
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

void service_result_free(struct service_result *res);

/* libcurl's global initialisation; the agent calls it once at start, the
   curl backend calls it lazily (once) if nobody did.  0 or -1. */
int service_global_init(void);

/* Backends: fill res (zeroed, connect_ms/response_ms preset to -1).  Never
   take longer than timeout_ms plus about 100 ms. */
void service_curl_run(const struct service_conf *c, int64_t timeout_ms, struct service_result *res);
void service_dialog_run(const struct service_conf *c, int64_t timeout_ms,
                        struct service_result *res);

#endif
