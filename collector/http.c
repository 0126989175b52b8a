/*
 * http.c - libmicrohttpd wrapper: daemons, routing, bodies, replies (see
 * http.h).
 *
 * Not here: what any route means (api.c, serve.c), authentication, JSON
 * validation.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "http.h"
#include "log.h"
#include "xmalloc.h"

/* A refused body is read and thrown away up to this size so that the
   client sees the answer and the connection stays usable; beyond it the
   connection is closed instead. */
#define DISCARD_MAX (1024 * 1024)
#define PEM_MAX (1024 * 1024)
#define NHEADERS 8

struct http_daemon {
	struct MHD_Daemon *d;
	int quiesced;
};

struct http_server {
	struct http_daemon *v;
	size_t n;
	char *pem_cert, *pem_key;           /* kept for MHD while it runs */
	const struct http_route *routes;
	size_t nroutes;
	size_t body_max;
	void *app;
	void *(*req_begin)(void *app);
	void (*req_end)(void *app, struct http_req *req);
	atomic_int inflight;
};

struct http_req {
	struct http_server *srv;
	struct MHD_Connection *conn;
	const struct http_route *route;
	char *method, *path;
	void *ctx;
	void *data;
	void (*data_free)(void *);
	char *body;
	size_t len, cap, body_max;
	int take_body;                      /* the route reads bodies */
	size_t discarded;
	/* the reply */
	int status;
	int queued;
	char *rbody;
	size_t rlen;
	char *rtype;
	char *hname[NHEADERS], *hvalue[NHEADERS];
	size_t nh;
};

const char *http_req_method(const struct http_req *r) { return r->method; }
const char *http_req_path(const struct http_req *r) { return r->path; }
void *http_req_ctx(const struct http_req *r) { return r->ctx; }
void *http_req_data(const struct http_req *r) { return r->data; }
int http_req_status(const struct http_req *r) { return r->status; }
void http_req_set_body_max(struct http_req *r, size_t max) { r->body_max = max; }

const char *
http_req_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *
http_req_arg(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_req_body(const struct http_req *r, size_t *len_r)
{
	*len_r = r->len;
	return r->body != NULL ? r->body : "";
}

void
http_req_set_data(struct http_req *r, void *data, void (*free_fn)(void *))
{
	if (r->data != NULL && r->data_free != NULL)
		r->data_free(r->data);
	r->data = data;
	r->data_free = free_fn;
}

void
http_reply(struct http_req *r, int status, const char *content_type, char *body, size_t len)
{
	if (r->status != 0) {
		free(body);
		return;
	}
	r->status = status;
	r->rtype = xstrdup(content_type);
	r->rbody = body;
	r->rlen = body != NULL ? len : 0;
}

void
http_reply_json(struct http_req *r, int status, json_t *j)
{
	/* 15 significant digits: 99.9, not 99.900000000000006 */
	char *text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
	size_t len;

	json_decref(j);
	if (text == NULL) {
		text = xstrdup("{\"error\":\"cannot serialise the answer\"}");
		status = 500;
	}
	/* a trailing newline keeps curl output and logs tidy */
	len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len] = '\n';
	text[len + 1] = '\0';
	http_reply(r, status, "application/json", text, len + 1);
}

void
http_reply_error(struct http_req *r, int status, const char *msg, const char *path)
{
	json_t *j = json_object();

	json_object_set_new(j, "error", json_string(msg));
	if (path != NULL)
		json_object_set_new(j, "path", json_string(path));
	http_reply_json(r, status, j);
}

void
http_reply_header(struct http_req *r, const char *name, const char *value)
{
	if (r->nh == NHEADERS)
		return;
	r->hname[r->nh] = xstrdup(name);
	r->hvalue[r->nh] = xstrdup(value);
	r->nh++;
}

static const struct http_route *
route_find(const struct http_server *srv, const char *path)
{
	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct http_route *rt = &srv->routes[i];
		if (rt->prefix ? strncmp(path, rt->path, strlen(rt->path)) == 0
			       : strcmp(path, rt->path) == 0)
			return rt;
	}
	return NULL;
}

static unsigned
method_bit(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return HTTP_GET;
	if (strcmp(m, "POST") == 0)
		return HTTP_POST;
	if (strcmp(m, "PUT") == 0)
		return HTTP_PUT;
	if (strcmp(m, "DELETE") == 0)
		return HTTP_DELETE;
	return 0;
}

/* ---- compression ---- */

#define GZIP_MIN 1024  /* smaller answers gain nothing worth the CPU */

/* 1 when the client's Accept-Encoding takes gzip: a "gzip" (or "*")
   element whose q parameter, if any, is not 0. */
static int
accepts_gzip(struct http_req *r)
{
	const char *h = http_req_header(r, MHD_HTTP_HEADER_ACCEPT_ENCODING);

	while (h != NULL && *h != '\0') {
		size_t n, len;
		const char *q;

		h += strspn(h, " \t,");
		len = strcspn(h, ",");           /* this element */
		n = strcspn(h, " \t;,");         /* its coding */
		if ((n == 4 && strncasecmp(h, "gzip", 4) == 0) || (n == 1 && *h == '*')) {
			for (q = h + n; q < h + len; q++)
				if ((*q == 'q' || *q == 'Q') && q[1] == '=' && q > h && (q[-1] == ';' ||
				    q[-1] == ' ' || q[-1] == '\t'))
					return strtod(q + 2, NULL) > 0;
			return 1;
		}
		h += len;
	}
	return 0;
}

static int
compressible(const char *type)
{
	return strncmp(type, "application/json", 16) == 0 || strncmp(type, "text/", 5) == 0 ||
	       strncmp(type, "image/svg+xml", 13) == 0;
}

/* Replace the body by its gzip form when the client takes it and it is
   worth it; 1 when it did.  Level 1: on large JSON answers it keeps most
   of the gain (a tenth of the size) for a fifth of the CPU of level 6. */
static int
gzip_body(struct http_req *r)
{
	z_stream z;
	unsigned char *out;
	size_t cap;
	int rc;

	if (r->rlen < GZIP_MIN || !compressible(r->rtype) || !accepts_gzip(r))
		return 0;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	cap = deflateBound(&z, (uLong)r->rlen);
	out = xmalloc(cap);
	z.next_in = (unsigned char *)r->rbody;
	z.avail_in = (uInt)r->rlen;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	if (rc != Z_STREAM_END || z.total_out >= r->rlen) {
		deflateEnd(&z);
		free(out);
		return 0;
	}
	free(r->rbody);
	r->rbody = (char *)out;
	r->rlen = z.total_out;
	deflateEnd(&z);
	return 1;
}

static enum MHD_Result
queue_reply(struct http_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int csp = 0, cache = 0, gzipped;

	if (r->status == 0)
		http_reply_error(r, 500, "internal error: no answer", NULL);
	gzipped = r->rlen > 0 && r->rlen <= UINT32_MAX && gzip_body(r);
	if (r->rlen > 0) {
		resp = MHD_create_response_from_buffer(r->rlen, r->rbody, MHD_RESPMEM_MUST_FREE);
		if (resp != NULL)
			r->rbody = NULL;      /* MHD frees it now */
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->rtype);
	if (gzipped)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (r->rlen >= GZIP_MIN || gzipped)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	for (size_t i = 0; i < r->nh; i++) {
		if (strcasecmp(r->hname[i], "Content-Security-Policy") == 0)
			csp = 1;
		if (strcasecmp(r->hname[i], "Cache-Control") == 0)
			cache = 1;
		if (gzipped && strcasecmp(r->hname[i], "ETag") == 0 && r->hvalue[i][0] == '"') {
			/* another representation of the same content: a weak
			   validator (RFC 9110 8.8.3), which If-None-Match still
			   matches */
			char *weak = xasprintf("W/%s", r->hvalue[i]);

			MHD_add_response_header(resp, r->hname[i], weak);
			free(weak);
			continue;
		}
		MHD_add_response_header(resp, r->hname[i], r->hvalue[i]);
	}
	if (!cache)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (!csp)
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'none'; frame-ancestors 'none'");
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	r->queued = 1;
	return ret;
}

/* Length of the body announced, -1 when none was (chunked or absent). */
static long long
content_length(struct http_req *r)
{
	const char *cl = http_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	long long n;

	if (cl == NULL)
		return -1;
	errno = 0;
	n = strtoll(cl, &end, 10);
	if (errno != 0 || end == cl || *end != '\0' || n < 0)
		return -1;
	return n;
}

/* Answered before the body: queue now (MHD then closes instead of
   reading the body) when the client waits for 100-continue or the body
   is large; otherwise read and discard it first. */
static enum MHD_Result
early_reply(struct http_req *r)
{
	const char *expect = http_req_header(r, MHD_HTTP_HEADER_EXPECT);
	const char *te = http_req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	long long cl = content_length(r);

	if ((cl <= 0 && te == NULL) || (expect != NULL && strcasecmp(expect, "100-continue") == 0) ||
	    cl > DISCARD_MAX)
		return queue_reply(r);
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct http_req *r = *con_cls;
	unsigned bit;

	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->srv = srv;
		r->conn = conn;
		r->method = xstrdup(method);
		r->path = xstrdup(url);
		r->body_max = srv->body_max;
		atomic_fetch_add(&srv->inflight, 1);
		*con_cls = r;
		if (srv->req_begin != NULL)
			r->ctx = srv->req_begin(srv->app);
		r->route = route_find(srv, r->path);
		bit = method_bit(method);
		if (r->route == NULL) {
			http_reply_error(r, 404, "no such resource", NULL);
		} else if ((r->route->methods & bit) == 0) {
			char allow[64] = "";

			if (r->route->methods & HTTP_GET)
				strcat(allow, ", GET");
			if (r->route->methods & HTTP_POST)
				strcat(allow, ", POST");
			if (r->route->methods & HTTP_PUT)
				strcat(allow, ", PUT");
			if (r->route->methods & HTTP_DELETE)
				strcat(allow, ", DELETE");
			http_reply_header(r, "Allow", allow + 2);
			http_reply_error(r, 405, "method not allowed", NULL);
		} else {
			r->take_body = bit == HTTP_POST || bit == HTTP_PUT;
			if (r->route->precheck != NULL)
				r->route->precheck(r, srv->app);
			if (r->status == 0 && r->take_body && content_length(r) > (long long)r->body_max) {
				char msg[128];
				snprintf(msg, sizeof(msg), "body larger than limits.body_max (%zu bytes)",
					 r->body_max);
				http_reply_error(r, 413, msg, "");
			}
		}
		if (r->status != 0)
			return early_reply(r);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (r->status != 0 || !r->take_body) {
			r->discarded += n;
			/* a refused or unwanted body that keeps coming: hang up */
			return r->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (n > r->body_max - r->len) {
			char msg[128];
			snprintf(msg, sizeof(msg), "body larger than limits.body_max (%zu bytes)",
				 r->body_max);
			http_reply_error(r, 413, msg, "");
			free(r->body);
			r->body = NULL;
			r->len = r->cap = 0;
			r->discarded = n;
			return MHD_YES;
		}
		if (r->len + n + 1 > r->cap) {
			size_t want = r->cap == 0 ? 16384 : r->cap;
			while (want < r->len + n + 1)
				want *= 2;
			r->body = xrealloc(r->body, want);
			r->cap = want;
		}
		memcpy(r->body + r->len, upload_data, n);
		r->len += n;
		r->body[r->len] = '\0';
		return MHD_YES;
	}
	if (r->queued)
		return MHD_YES;
	if (r->status == 0)
		r->route->handle(r, srv->app);
	return queue_reply(r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct http_req *r = *con_cls;

	(void)conn;
	if (r == NULL)
		return;
	*con_cls = NULL;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->queued)
		r->status = 0;
	if (srv->req_end != NULL)
		srv->req_end(srv->app, r);
	if (r->data != NULL && r->data_free != NULL)
		r->data_free(r->data);
	for (size_t i = 0; i < r->nh; i++) {
		free(r->hname[i]);
		free(r->hvalue[i]);
	}
	free(r->rbody);
	free(r->rtype);
	free(r->body);
	free(r->method);
	free(r->path);
	free(r);
	atomic_fetch_sub(&srv->inflight, 1);
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_warnx("http: %s", buf);
}

static char *
read_pem(const char *path, char **error_r)
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(PEM_MAX + 1);
	while ((n = read(fd, buf + len, PEM_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n < 0 || len == PEM_MAX) {
		*error_r = xasprintf("%s: %s", path, n < 0 ? strerror(errno) : "larger than 1 MB");
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static int
start_one(struct http_server *srv, const struct cc_listen *l, int threads, char **error_r)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], port[16];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_AUTO |
			 MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;
	const char *h = l->host;
	size_t hl;
	int rc;

	/* "[::1]" as well as "::1"; "*" and "" for every address */
	hl = strlen(h);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(hl - 2), h + 1);
	else
		snprintf(host, sizeof(host), "%s", h);
	snprintf(port, sizeof(port), "%d", l->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] == '\0' || strcmp(host, "*") == 0 ? NULL : host, port, &hints, &ai);
	if (rc != 0) {
		*error_r = xasprintf("listen %s:%d: %s", l->host, l->port, gai_strerror(rc));
		return -1;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (srv->pem_cert != NULL)
		flags |= MHD_USE_TLS;
	errno = 0;
	d = MHD_start_daemon(flags, (uint16_t)l->port, NULL, NULL, on_request, srv,
			     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
			     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(threads > 1 ? threads : 0),
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
			     srv->pem_cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
			     srv->pem_cert, MHD_OPTION_HTTPS_MEM_KEY, srv->pem_key, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (d == NULL) {
		*error_r = xasprintf("listen %s:%d: cannot start the HTTP server%s%s", l->host,
				     l->port, errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		return -1;
	}
	srv->v[srv->n++].d = d;
	return 0;
}

int
http_start(const struct http_options *opt, struct http_server **srv_r, char **error_r)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));

	srv->routes = opt->routes;
	srv->nroutes = opt->nroutes;
	srv->body_max = opt->body_max;
	srv->app = opt->app;
	srv->req_begin = opt->req_begin;
	srv->req_end = opt->req_end;
	srv->v = xcalloc(opt->nlisten + 1, sizeof(*srv->v));
	if (opt->tls_cert != NULL && opt->tls_key != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			*error_r = xstrdup("tls: this libmicrohttpd was built without TLS");
			goto fail;
		}
		if ((srv->pem_cert = read_pem(opt->tls_cert, error_r)) == NULL ||
		    (srv->pem_key = read_pem(opt->tls_key, error_r)) == NULL)
			goto fail;
	}
	for (size_t i = 0; i < opt->nlisten; i++)
		if (start_one(srv, &opt->listen[i], opt->threads, error_r) < 0)
			goto fail;
	*srv_r = srv;
	return 0;
fail:
	http_stop(srv, 0);
	return -1;
}

void
http_quiesce(struct http_server *srv)
{
	for (size_t i = 0; i < srv->n; i++) {
		MHD_socket s;

		if (srv->v[i].quiesced)
			continue;
		s = MHD_quiesce_daemon(srv->v[i].d);
		if (s != MHD_INVALID_SOCKET)
			close(s);
		srv->v[i].quiesced = 1;
	}
}

void
http_stop(struct http_server *srv, int timeout_ms)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	if (srv == NULL)
		return;
	http_quiesce(srv);
	for (int waited = 0; waited < timeout_ms && atomic_load(&srv->inflight) > 0; waited += 20)
		nanosleep(&ts, NULL);
	for (size_t i = 0; i < srv->n; i++)
		MHD_stop_daemon(srv->v[i].d);
	if (srv->pem_key != NULL)
		explicit_bzero(srv->pem_key, strlen(srv->pem_key));
	free(srv->pem_cert);
	free(srv->pem_key);
	free(srv->v);
	free(srv);
}
