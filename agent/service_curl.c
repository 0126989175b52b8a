/*
 * service_curl.c - the `service` probe's libcurl backend: SMTP,
 * submission, SMTPS, IMAP, IMAPS, POP3, POP3S, HTTP and HTTPS.
 *
 * Mail protocols run with CURLOPT_CONNECT_ONLY: libcurl's connect phase
 * reads the greeting, asks for capabilities (EHLO, CAPABILITY, CAPA),
 * upgrades with STARTTLS when asked (CURLUSESSL_ALL) and asks again, and
 * stops before any login because no credentials are given.  The server's
 * responses are collected from the debug callback (CURLINFO_HEADER_IN)
 * into a capped transcript that probe_service.c parses.  This file then
 * says goodbye (QUIT / LOGOUT) itself, within what is left of the time
 * budget, so that servers do not log a lost connection on every probe.
 *
 * HTTP(S) is one GET without redirects; the body is read and thrown away
 * up to a cap.  The leaf certificate comes from CURLINFO_CERTINFO.
 *
 * One easy handle per run, no signals (runs in worker threads), no proxy
 * from the environment: the probe measures the service, not a proxy.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "service.h"
#include "xmalloc.h"

#define SCURL_BODY_MAX (1024 * 1024) /* HTTP body read (and dropped) at most */
#define SCURL_BYE_WAIT_MAX_MS 1000   /* wait for the goodbye reply at most */
#define SCURL_CERT_ENTRIES_MAX 64

/* ---- global initialisation -------------------------------------------- */

static pthread_once_t scurl_once = PTHREAD_ONCE_INIT;
static int scurl_init_rc = -1;

static void
scurl_init_once(void)
{
	scurl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int
service_global_init(void)
{
	pthread_once(&scurl_once, scurl_init_once);
	return scurl_init_rc;
}

/* ---- certificates ------------------------------------------------------ */

static const char *const scurl_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Read an unsigned decimal of 1..maxd digits; returns digits read. */
static int
scurl_num(const char **p, int maxd, int *out)
{
	int v = 0, d = 0;
	while (d < maxd && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		d++;
	}
	*out = v;
	return d;
}

static void
scurl_skip_spaces(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

static int
scurl_expect_char(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

int
service_cert_parse_date(const char *s, time_t *t_r)
{
	struct tm tm;
	const char *p = s;
	int mon = -1, day, hh, mm, ss, year;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	scurl_skip_spaces(&p);
	if (isdigit((unsigned char)*p)) {
		/* "2026-11-21 10:00:00 GMT" (libcurl's own ASN.1 decoder) */
		if (scurl_num(&p, 4, &year) != 4 || scurl_expect_char(&p, '-') < 0 ||
		    scurl_num(&p, 2, &mon) < 1 || scurl_expect_char(&p, '-') < 0 ||
		    scurl_num(&p, 2, &day) < 1)
			return -1;
		mon -= 1;
		scurl_skip_spaces(&p);
		if (scurl_num(&p, 2, &hh) < 1 || scurl_expect_char(&p, ':') < 0 ||
		    scurl_num(&p, 2, &mm) < 1 || scurl_expect_char(&p, ':') < 0 ||
		    scurl_num(&p, 2, &ss) < 1)
			return -1;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
	} else {
		/* "Nov 21 10:00:00 2026 GMT", "Jan  5 01:02:03.5 2030 GMT" (OpenSSL) */
		for (int i = 0; i < 12; i++)
			if (strncmp(p, scurl_months[i], 3) == 0)
				mon = i;
		if (mon < 0)
			return -1;
		p += 3;
		scurl_skip_spaces(&p);
		if (scurl_num(&p, 2, &day) < 1)
			return -1;
		scurl_skip_spaces(&p);
		if (scurl_num(&p, 2, &hh) < 1 || scurl_expect_char(&p, ':') < 0 ||
		    scurl_num(&p, 2, &mm) < 1 || scurl_expect_char(&p, ':') < 0 ||
		    scurl_num(&p, 2, &ss) < 1)
			return -1;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		scurl_skip_spaces(&p);
		if (scurl_num(&p, 4, &year) != 4)
			return -1;
	}
	scurl_skip_spaces(&p);
	if (strncmp(p, "GMT", 3) == 0 || strncmp(p, "UTC", 3) == 0)
		p += 3;
	else if (*p == 'Z')
		p++;
	scurl_skip_spaces(&p);
	if (*p != '\0')
		return -1;
	if (mon < 0 || mon > 11 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*t_r = t;
	return 0;
}

/* Value of a "Key:value" entry when its key is (key), else NULL. */
static const char *
scurl_entry_value(const char *entry, const char *key)
{
	size_t kn = strlen(key);
	if (strncmp(entry, key, kn) != 0 || entry[kn] != ':')
		return NULL;
	return entry + kn + 1;
}

void
service_cert_from_entries(const char *const *entries, size_t n, time_t now,
                          struct service_result *res)
{
	for (size_t i = 0; i < n; i++) {
		const char *v;
		time_t t;
		if (entries[i] == NULL)
			continue;
		if ((v = scurl_entry_value(entries[i], "Subject")) != NULL) {
			free(res->cert_subject);
			res->cert_subject = xstrdup(v);
		} else if ((v = scurl_entry_value(entries[i], "Issuer")) != NULL) {
			free(res->cert_issuer);
			res->cert_issuer = xstrdup(v);
		} else if ((v = scurl_entry_value(entries[i], "Expire date")) != NULL &&
		           service_cert_parse_date(v, &t) == 0) {
			double days = difftime(t, now) / 86400.0;
			/* down to a tenth of a day: "0.0 left" only on its last 2.4 hours */
			res->cert_days_left = floor(days * 10.0) / 10.0;
			res->have_cert = true;
		}
	}
}

/* ---- one run ------------------------------------------------------------ */

struct scurl_ctx {
	enum service_proto proto;
	char *buf; /* transcript of server responses */
	size_t len, cap;
	size_t line_start; /* start of its last, possibly incomplete, line */
	struct timespec start;
	double greeting_ms; /* < 0 until the greeting is complete */
	size_t body;        /* HTTP body bytes seen */
	bool body_capped;
};

static double
scurl_ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1000.0 +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static int
scurl_debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *userp)
{
	struct scurl_ctx *ctx = userp;

	(void)h;
	if (type != CURLINFO_HEADER_IN || size == 0)
		return 0;
	size_t line_start = ctx->line_start; /* where the line being completed began */
	size_t old_len = ctx->len;
	if (ctx->len < SERVICE_TRANSCRIPT_MAX) {
		size_t take = size;
		if (take > SERVICE_TRANSCRIPT_MAX - ctx->len)
			take = SERVICE_TRANSCRIPT_MAX - ctx->len;
		ctx->buf = xgrow(ctx->buf, &ctx->cap, ctx->len + take + 1, 1);
		memcpy(ctx->buf + ctx->len, data, take);
		ctx->len += take;
		ctx->buf[ctx->len] = '\0';
		for (size_t i = ctx->len; i > old_len; i--)
			if (ctx->buf[i - 1] == '\n') {
				ctx->line_start = i;
				break;
			}
	}
	/* the lines before line_start were all continuations of the greeting
	   (or it would be complete), so only the new ones need a look; this
	   keeps a server that sends thousands of "220-" lines linear */
	if (ctx->greeting_ms < 0 && ctx->buf != NULL &&
	    service_greeting_complete(ctx->proto, ctx->buf + line_start, ctx->len - line_start))
		ctx->greeting_ms = scurl_ms_since(&ctx->start);
	return 0;
}

static size_t
scurl_write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct scurl_ctx *ctx = userp;
	size_t n = size * nmemb;

	(void)data;
	if (ctx->body + n > SCURL_BODY_MAX) {
		ctx->body_capped = true;
		return 0; /* enough: abort the transfer, the status is known */
	}
	ctx->body += n;
	return n;
}

static const char *
scurl_scheme(enum service_proto p)
{
	switch (p) {
	case SVC_SMTP:
	case SVC_SUBMISSION:
		return "smtp";
	case SVC_SMTPS:
		return "smtps";
	case SVC_IMAP:
		return "imap";
	case SVC_IMAPS:
		return "imaps";
	case SVC_POP3:
		return "pop3";
	case SVC_POP3S:
		return "pop3s";
	case SVC_HTTP:
		return "http";
	case SVC_HTTPS:
		return "https";
	default:
		return NULL;
	}
}

/* smtp://host:port/EHLONAME (libcurl takes the EHLO name from the path),
   imap://host:port/, http://host:port/path.  IPv6 literals in brackets. */
static char *
scurl_url(CURL *h, const struct service_conf *c, const char *scheme)
{
	const char *lb = strchr(c->host, ':') != NULL ? "[" : "";
	const char *rb = *lb ? "]" : "";
	enum service_family fam = service_proto_family((enum service_proto)c->protocol);

	if (fam == SVC_FAM_SMTP) {
		char *e = curl_easy_escape(h, c->ehlo, 0);
		char *url =
		    xasprintf("%s://%s%s%s:%d/%s", scheme, lb, c->host, rb, c->port, e ? e : "");
		curl_free(e);
		return url;
	}
	if (fam == SVC_FAM_HTTP)
		return xasprintf("%s://%s%s%s:%d%s", scheme, lb, c->host, rb, c->port, c->path);
	return xasprintf("%s://%s%s%s:%d/", scheme, lb, c->host, rb, c->port);
}

/* Say goodbye on a connect-only mail session and wait briefly for the
   answer; whatever happens here does not change the result. */
static void
scurl_goodbye(CURL *h, enum service_family fam, double budget_ms)
{
	const char *bye = fam == SVC_FAM_IMAP ? "Z999 LOGOUT\r\n" : "QUIT\r\n";
	size_t off = 0, len = strlen(bye);
	curl_socket_t sock = CURL_SOCKET_BAD;
	struct timespec start;
	char buf[512];

	if (budget_ms > SCURL_BYE_WAIT_MAX_MS)
		budget_ms = SCURL_BYE_WAIT_MAX_MS;
	if (budget_ms <= 0 || curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK ||
	    sock == CURL_SOCKET_BAD)
		return;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (off < len) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(h, bye + off, len - off, &sent);
		if (rc == CURLE_OK) {
			off += sent;
			continue;
		}
		double left = budget_ms - scurl_ms_since(&start);
		if (rc != CURLE_AGAIN || left <= 0)
			return;
		struct pollfd pfd = {sock, POLLOUT, 0};
		(void)poll(&pfd, 1, (int)ceil(left));
	}
	for (;;) {
		size_t got = 0;
		CURLcode rc = curl_easy_recv(h, buf, sizeof(buf), &got);
		if (rc == CURLE_OK) {
			if (got == 0 || memchr(buf, '\n', got) != NULL)
				return; /* closed, or the (first line of the) answer is in */
			continue;
		}
		double left = budget_ms - scurl_ms_since(&start);
		if (rc != CURLE_AGAIN || left <= 0)
			return;
		struct pollfd pfd = {sock, POLLIN, 0};
		(void)poll(&pfd, 1, (int)ceil(left));
	}
}

static bool
scurl_caps_offer_starttls(const struct service_reply *r)
{
	const char *c = r->capabilities;
	if (c == NULL)
		return false;
	for (const char *p = c; *p; p++) {
		if ((p == c || p[-1] == ' ') &&
		    (strncasecmp(p, "STARTTLS", 8) == 0 || strncasecmp(p, "STLS", 4) == 0)) {
			size_t kn = strncasecmp(p, "STLS", 4) == 0 ? 4 : 8;
			if (p[kn] == '\0' || p[kn] == ' ')
				return true;
		}
	}
	return false;
}

/* Whether a mail greeting says "welcome" (2xx, "* OK"/"* PREAUTH", "+OK"). */
static bool
scurl_greeting_ok(enum service_family fam, const struct service_reply *r)
{
	if (r->banner == NULL)
		return true; /* nothing to judge: curl's own message says more */
	switch (fam) {
	case SVC_FAM_SMTP:
		return r->code >= 200 && r->code < 300;
	case SVC_FAM_IMAP:
		return strncasecmp(r->banner, "* OK", 4) == 0 ||
		       strncasecmp(r->banner, "* PREAUTH", 9) == 0;
	case SVC_FAM_POP3:
		return strncasecmp(r->banner, "+OK", 3) == 0;
	default:
		return true;
	}
}

/* The error fact for a failed transfer: say what a mail administrator
   would look for (refused, timed out where, STARTTLS missing). */
static char *
scurl_error_text(const struct service_conf *c, CURL *h, CURLcode rc, const char *errbuf,
                 const struct scurl_ctx *ctx, const struct service_result *res, int64_t timeout_ms)
{
	enum service_family fam = service_proto_family((enum service_proto)c->protocol);
	const char *detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	long os_errno = 0;

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		if (curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno != 0)
			return xasprintf("connect to %s port %d: %s", c->host, c->port,
			                 strerror((int)os_errno));
		return xstrdup(detail);
	case CURLE_OPERATION_TIMEDOUT:
		if (!res->connected)
			return xasprintf("timed out connecting to %s port %d (%lld ms)", c->host,
			                 c->port, (long long)timeout_ms);
		if (service_proto_implicit_tls((enum service_proto)c->protocol) && !res->tls)
			return xasprintf("timed out in the TLS handshake with %s port %d (%lld ms)",
			                 c->host, c->port, (long long)timeout_ms);
		if (fam == SVC_FAM_HTTP && res->reply.code > 0)
			return xasprintf("timed out reading the response (status %d, %lld ms)",
			                 res->reply.code, (long long)timeout_ms);
		if (fam == SVC_FAM_HTTP)
			return xasprintf("timed out waiting for the response (%lld ms)",
			                 (long long)timeout_ms);
		if (ctx->greeting_ms < 0)
			return xasprintf("timed out waiting for greeting (%lld ms)",
			                 (long long)timeout_ms);
		return xasprintf("timed out after the greeting (%lld ms): %s",
		                 (long long)timeout_ms, detail);
	case CURLE_USE_SSL_FAILED:
		if (!scurl_caps_offer_starttls(&res->reply))
			return xstrdup("STARTTLS requested but not offered by the server");
		return xasprintf("STARTTLS failed: %s", detail);
	default:
		if (!scurl_greeting_ok(fam, &res->reply))
			return xasprintf("unexpected greeting: %s", res->reply.banner);
		return xstrdup(detail);
	}
}

static void
scurl_setopts(CURL *h, const struct service_conf *c, struct scurl_ctx *ctx, char *errbuf,
              const char *url, const char *scheme, int64_t timeout_ms)
{
	enum service_proto p = (enum service_proto)c->protocol;
	enum service_family fam = service_proto_family(p);

	curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, scheme);
#else
	(void)scheme;
#endif
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L); /* feeds the debug callback only */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, scurl_debug_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, ctx);
	curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
	if (c->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->starttls)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (fam == SVC_FAM_HTTP) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(h, CURLOPT_USERAGENT, PACKAGE_NAME "-agent/" PACKAGE_VERSION);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, scurl_write_cb);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, ctx);
	} else {
		curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	}
}

static void
scurl_certificate(CURL *h, struct service_result *res)
{
	struct curl_certinfo *ci = NULL;
	const char *entries[SCURL_CERT_ENTRIES_MAX];
	size_t n = 0;

	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL ||
	    ci->num_of_certs < 1)
		return;
	for (struct curl_slist *s = ci->certinfo[0]; s != NULL && n < SCURL_CERT_ENTRIES_MAX;
	     s = s->next)
		entries[n++] = s->data;
	service_cert_from_entries(entries, n, time(NULL), res);
}

void
service_curl_run(const struct service_conf *c, int64_t timeout_ms, struct service_result *res)
{
	enum service_proto p = (enum service_proto)c->protocol;
	enum service_family fam = service_proto_family(p);
	const char *scheme = scurl_scheme(p);
	char errbuf[CURL_ERROR_SIZE];
	struct scurl_ctx ctx;
	CURL *h;
	CURLcode rc;
	curl_off_t connect_us = 0, appconnect_us = 0, total_us = 0;
	long local_port = 0;

	if (scheme == NULL) {
		res->error =
		    xasprintf("protocol %s is not handled by libcurl", service_proto_name(p));
		return;
	}
	if (service_global_init() < 0 || (h = curl_easy_init()) == NULL) {
		res->error = xstrdup("libcurl could not be initialised");
		return;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.proto = p;
	ctx.greeting_ms = -1;
	errbuf[0] = '\0';
	char *url = scurl_url(h, c, scheme);
	scurl_setopts(h, c, &ctx, errbuf, url, scheme, timeout_ms);

	clock_gettime(CLOCK_MONOTONIC, &ctx.start);
	rc = curl_easy_perform(h);

	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
	curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &appconnect_us);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
	/* libcurl leaves CONNECT_TIME at 0 when a TLS handshake fails; a local
	   port says the TCP connection itself stood */
	curl_easy_getinfo(h, CURLINFO_LOCAL_PORT, &local_port);
	res->connected = connect_us > 0 || local_port > 0;
	if (connect_us > 0)
		res->connect_ms = (double)connect_us / 1000.0;
	res->tls = appconnect_us > 0;
	service_parse_responses(p, ctx.buf, ctx.len, &res->reply);
	if (res->tls)
		scurl_certificate(h, res);

	bool ok = rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && ctx.body_capped);
	if (fam == SVC_FAM_HTTP) {
		if (ok)
			res->response_ms = (double)total_us / 1000.0;
	} else if (ctx.greeting_ms >= 0) {
		res->response_ms = ctx.greeting_ms;
	}
	if (!ok)
		res->error = scurl_error_text(c, h, rc, errbuf, &ctx, res, timeout_ms);
	else if (fam != SVC_FAM_HTTP)
		scurl_goodbye(h, fam, (double)timeout_ms - scurl_ms_since(&ctx.start));

	curl_easy_cleanup(h);
	free(url);
	free(ctx.buf);
}
