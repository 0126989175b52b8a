/*
 * http.h - the collector's HTTP server: libmicrohttpd behind a small
 * routing interface.  This module owns libmicrohttpd; nothing else in the
 * collector calls an MHD_* function.
 *
 * One MHD daemon per listen address (IPv4 or IPv6, optional TLS from PEM
 * files), each with a pool of `threads` polling threads.  Handlers run on
 * those threads and may block (the ingest handler waits for the store's
 * group commit); a blocked handler holds up only the connections of its
 * own thread.
 *
 * Request lifecycle: headers in -> route lookup (404/405 answered here)
 * -> the route's precheck (may answer before any of the body is read:
 * auth, content type) -> Content-Length against the body cap (413) ->
 * body accumulated up to the cap (413 when it streams past it) -> the
 * route's handler -> the reply is queued.  A request answered before its
 * body was read has the body discarded (so the connection stays usable)
 * when the client did not ask for 100-continue and the body is small;
 * otherwise the connection is closed after the answer.
 *
 * Replies: a handler sets exactly one reply; the first one set wins.
 * A text or JSON reply of 1 KB or more goes out gzip-compressed when the
 * client's Accept-Encoding takes gzip (with Vary: Accept-Encoding).
 * Every reply carries X-Content-Type-Options: nosniff, X-Frame-Options:
 * DENY, Referrer-Policy: no-referrer and, unless the handler set its own,
 * Cache-Control: no-store and a Content-Security-Policy that allows
 * nothing.
 */
#ifndef MXSLA_HTTP_H
#define MXSLA_HTTP_H

#include <stddef.h>

#include <jansson.h>

#include "collector_config.h"

struct http_server;
struct http_req;

#define HTTP_GET 1u
#define HTTP_POST 2u
#define HTTP_PUT 4u
#define HTTP_DELETE 8u

typedef void (*http_fn)(struct http_req *req, void *app);

struct http_route {
	const char *path;        /* exact path; with prefix = 1 every path starting with it */
	int prefix;
	unsigned methods;        /* HTTP_GET | HTTP_POST | HTTP_PUT | HTTP_DELETE */
	http_fn precheck;        /* optional: runs before the body is read */
	http_fn handle;
};

struct http_options {
	const struct cc_listen *listen;
	size_t nlisten;
	const char *tls_cert, *tls_key;      /* PEM file paths, both or neither */
	int threads;                         /* polling threads per listen address */
	size_t body_max;                     /* default body cap; a precheck may change it */
	const struct http_route *routes;     /* borrowed; must outlive the server */
	size_t nroutes;
	void *app;                           /* passed to every callback */
	/* Per request: begin returns a context (http_req_ctx) before any
	   route code runs; end runs when the request is over, answered or
	   aborted (http_req_status 0), after the reply was sent. */
	void *(*req_begin)(void *app);
	void (*req_end)(void *app, struct http_req *req);
};

/* Bind every address and start serving.  0, or -1 with *error_r
   (xmalloc'd) and nothing left running. */
int http_start(const struct http_options *opt, struct http_server **srv_r, char **error_r);
/* Stop accepting connections (the listen sockets are closed). */
void http_quiesce(struct http_server *srv);
/* Wait up to timeout_ms for the requests in flight to be answered, then
   stop every thread and close every connection; frees srv. */
void http_stop(struct http_server *srv, int timeout_ms);

/* ---- the request ---- */
const char *http_req_method(const struct http_req *r);
/* The decoded path, without the query string. */
const char *http_req_path(const struct http_req *r);
/* Header or query argument by name, NULL when absent; valid during the
   request. */
const char *http_req_header(struct http_req *r, const char *name);
const char *http_req_arg(struct http_req *r, const char *name);
/* What req_begin returned. */
void *http_req_ctx(const struct http_req *r);
/* The body read so far (the whole body in a handler; NUL-terminated). */
const char *http_req_body(const struct http_req *r, size_t *len_r);
void http_req_set_body_max(struct http_req *r, size_t max);
/* Data a precheck hands to the handler; free_fn (may be NULL) runs when
   the request ends. */
void http_req_set_data(struct http_req *r, void *data, void (*free_fn)(void *));
void *http_req_data(const struct http_req *r);
/* The status answered, 0 while none. */
int http_req_status(const struct http_req *r);

/* ---- replies ---- */
/* Takes body (malloc'd, may be NULL when len is 0). */
void http_reply(struct http_req *r, int status, const char *content_type, char *body, size_t len);
/* Takes the reference to j. */
void http_reply_json(struct http_req *r, int status, json_t *j);
/* {"error": msg, "path": path} (path left out when NULL). */
void http_reply_error(struct http_req *r, int status, const char *msg, const char *path);
/* An extra header for the reply (copied); up to 8 per request. */
void http_reply_header(struct http_req *r, const char *name, const char *value);

#endif
