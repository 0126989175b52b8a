/*
 * api.h - the collector's HTTP routes: the ingest API (SPEC 3.3, in
 * api_ingest.c), the query API, /metrics and /healthz (SPEC 3.5).
 *
 * Every handler runs on an HTTP thread and reads the request's context
 * (http_req_ctx), which must be a struct api_ctx (or begin with one):
 * the configuration held for the whole request, so that a reload in the
 * middle of it changes nothing it sees, and the store.
 *
 * Query endpoints answer GET only (405 otherwise), JSON with the
 * documents of store.h / slareport.h; bad query arguments are 400 with
 * {"error", "path"} where path names the argument ("?month").
 */
#ifndef MXSLA_API_H
#define MXSLA_API_H

#include <stddef.h>

#include "collector_config.h"
#include "http.h"
#include "store.h"

struct api_ctx {
	const struct collector_config *cfg;   /* held for the request */
	struct store *st;
};

/* The route table: the query and ingest API's, then the web UI's and the
   write API's (built once, static storage). */
const struct http_route *api_routes(size_t *n_r);

/* The web UI: the page and its assets (webui.c). */
const struct http_route *webui_routes(size_t *n_r);
/* Login, sessions and the write API behind them (admin.c). */
const struct http_route *admin_routes(size_t *n_r);

/* GET /status: the status page rendered on the server, for browsers
   without script (home.c; webui.c routes it). */
void api_home(struct http_req *r, void *app);
/* POST /api/v1/results (api_ingest.c). */
void api_ingest_precheck(struct http_req *r, void *app);
void api_ingest_handle(struct http_req *r, void *app);
/* The agent whose token_sha256 is the SHA-256 of token, or NULL.  Every
   configured agent is compared, in constant time, whatever matches. */
const struct cc_agent *api_token_agent(const struct collector_config *cfg, const char *token);

#define API_INGEST_PATH "/api/v1/results"

#endif
