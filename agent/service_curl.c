/*
 * service_curl.c - the `service` probe's libcurl backend: HTTP and HTTPS.
 *
 * One GET without redirects; the body is read and thrown away up to a
 * cap.  The response headers are collected from the debug callback
 * (CURLINFO_HEADER_IN) into a capped transcript that probe_service.c
 * parses (status line, Server header).  The leaf certificate comes from
 * CURLINFO_CERTINFO, whose entries this file also parses.
 *
 * libcurl is reached through lib/curlrt.h, which loads it on the first
 * http(s) run of the process; when it cannot be loaded, the run says so
 * (the target could not be tried) and nothing else changes.
 *
 * One easy handle per run, no signals (runs in worker threads), no proxy
 * from the environment: the probe measures the service, not a proxy.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "curlrt.h"
#include "service.h"
#include "xmalloc.h"

#define SCURL_BODY_MAX (1024 * 1024) /* HTTP body read (and dropped) at most */
#define SCURL_CERT_ENTRIES_MAX 64

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
			res->cert_days_left = service_cert_days_left(difftime(t, now));
			res->have_cert = true;
		}
	}
}

/* ---- one run ------------------------------------------------------------ */

struct scurl_ctx {
	char *buf; /* transcript of the response headers */
	size_t len, cap;
	size_t body; /* HTTP body bytes seen */
	bool body_capped;
};

static int
scurl_debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *userp)
{
	struct scurl_ctx *ctx = userp;

	(void)h;
	if (type != CURLINFO_HEADER_IN || size == 0 || ctx->len >= SERVICE_TRANSCRIPT_MAX)
		return 0;
	size_t take = size;
	if (take > SERVICE_TRANSCRIPT_MAX - ctx->len)
		take = SERVICE_TRANSCRIPT_MAX - ctx->len;
	ctx->buf = xgrow(ctx->buf, &ctx->cap, ctx->len + take + 1, 1);
	memcpy(ctx->buf + ctx->len, data, take);
	ctx->len += take;
	ctx->buf[ctx->len] = '\0';
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

/* The error fact for a failed transfer: say what an administrator would
   look for (refused, timed out where). */
static char *
scurl_error_text(const struct service_conf *c, CURL *h, CURLcode rc, const char *errbuf,
                 const struct service_result *res, int64_t timeout_ms)
{
	const char *detail = errbuf[0] != '\0' ? errbuf : curlrt_easy_strerror(rc);
	long os_errno = 0;

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		if (curlrt_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
		    os_errno != 0)
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
		if (res->reply.code > 0)
			return xasprintf("timed out reading the response (status %d, %lld ms)",
			                 res->reply.code, (long long)timeout_ms);
		return xasprintf("timed out waiting for the response (%lld ms)",
		                 (long long)timeout_ms);
	default:
		return xstrdup(detail);
	}
}

static void
scurl_setopts(CURL *h, const struct service_conf *c, struct scurl_ctx *ctx, char *errbuf,
              const char *url, int64_t timeout_ms)
{
	curlrt_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curlrt_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->protocol == SVC_HTTPS ? "https" : "http");
#endif
	curlrt_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curlrt_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curlrt_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curlrt_easy_setopt(h, CURLOPT_PROXY, "");
	curlrt_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curlrt_easy_setopt(h, CURLOPT_VERBOSE, 1L); /* feeds the debug callback only */
	curlrt_easy_setopt(h, CURLOPT_DEBUGFUNCTION, scurl_debug_cb);
	curlrt_easy_setopt(h, CURLOPT_DEBUGDATA, ctx);
	curlrt_easy_setopt(h, CURLOPT_CERTINFO, 1L);
	curlrt_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	curlrt_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
	if (c->ca_file != NULL)
		curlrt_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	curlrt_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curlrt_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curlrt_easy_setopt(h, CURLOPT_USERAGENT, PACKAGE_NAME "-agent/" PACKAGE_VERSION);
	curlrt_easy_setopt(h, CURLOPT_WRITEFUNCTION, scurl_write_cb);
	curlrt_easy_setopt(h, CURLOPT_WRITEDATA, ctx);
}

static void
scurl_certificate(CURL *h, struct service_result *res)
{
	struct curl_certinfo *ci = NULL;
	const char *entries[SCURL_CERT_ENTRIES_MAX];
	size_t n = 0;

	if (curlrt_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL ||
	    ci->num_of_certs < 1)
		return;
	for (struct curl_slist *s = ci->certinfo[0]; s != NULL && n < SCURL_CERT_ENTRIES_MAX;
	     s = s->next)
		entries[n++] = s->data;
	service_cert_from_entries(entries, n, time(NULL), res);
}

int
service_curl_run(const struct service_conf *c, int64_t timeout_ms, struct service_result *res,
                 char **error_r)
{
	enum service_proto p = (enum service_proto)c->protocol;
	char errbuf[CURL_ERROR_SIZE];
	struct scurl_ctx ctx;
	CURL *h;
	CURLcode rc;
	curl_off_t connect_us = 0, appconnect_us = 0, total_us = 0;
	long local_port = 0;

	if (p != SVC_HTTP && p != SVC_HTTPS) {
		res->error =
		    xasprintf("protocol %s is not handled by libcurl", service_proto_name(p));
		return 0;
	}
	if (curlrt_load(error_r) < 0)
		return -1;
	if ((h = curlrt_easy_init()) == NULL) {
		res->error = xstrdup("libcurl could not make a handle");
		return 0;
	}
	memset(&ctx, 0, sizeof(ctx));
	errbuf[0] = '\0';
	const char *lb = strchr(c->host, ':') != NULL ? "[" : ""; /* IPv6 literal */
	char *url = xasprintf("%s://%s%s%s:%d%s", p == SVC_HTTPS ? "https" : "http", lb, c->host,
	                      *lb ? "]" : "", c->port, c->path);
	scurl_setopts(h, c, &ctx, errbuf, url, timeout_ms);

	rc = curlrt_easy_perform(h);

	curlrt_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
	curlrt_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &appconnect_us);
	curlrt_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
	/* libcurl leaves CONNECT_TIME at 0 when a TLS handshake fails; a local
	   port says the TCP connection itself stood */
	curlrt_easy_getinfo(h, CURLINFO_LOCAL_PORT, &local_port);
	res->connected = connect_us > 0 || local_port > 0;
	if (connect_us > 0)
		res->connect_ms = (double)connect_us / 1000.0;
	res->tls = appconnect_us > 0;
	service_parse_responses(p, ctx.buf, ctx.len, &res->reply);
	if (res->tls)
		scurl_certificate(h, res);

	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && ctx.body_capped))
		res->response_ms = (double)total_us / 1000.0;
	else
		res->error = scurl_error_text(c, h, rc, errbuf, res, timeout_ms);

	curlrt_easy_cleanup(h);
	if (p == SVC_HTTPS)
		service_tls_thread_done(); /* libcurl's TLS is OpenSSL too */
	free(url);
	free(ctx.buf);
	return 0;
}
