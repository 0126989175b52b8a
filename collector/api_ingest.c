/*
 * api_ingest.c - POST /api/v1/results (SPEC 3.3): authentication,
 * content type, validation (ingest.c), storing (store_ingest), answer.
 *
 * Order, so that an unauthenticated client learns nothing and no body is
 * read for a request that is refused anyway: token (401) -> content type
 * (415) -> Content-Length against limits.body_max (413, in http.c) ->
 * body read (413 when it streams past the cap) -> JSON and fields (400)
 * -> the body's agent against the token's (403) -> store.  Only a request
 * that passes everything reaches the store, so an error stores nothing.
 *
 * The handler blocks until the store has committed the batch: the answer
 * 200 is the agent's licence to delete the batch from its spool, so it
 * must not be sent before the batch is durable.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "api.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

#define TOKEN_MAX 4096

const struct cc_agent *
api_token_agent(const struct collector_config *cfg, const char *token)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	size_t found = 0, any = 0;

	if (EVP_Digest(token, strlen(token), d, &dlen, EVP_sha256(), NULL) != 1 || dlen != 32)
		return NULL;
	/* No early exit and no branch on a match: the time taken does not
	   depend on which agent (if any) the token belongs to. */
	for (size_t i = 0; i < cfg->nagents; i++) {
		size_t m = (size_t)(CRYPTO_memcmp(d, cfg->agents[i].token_sha256, 32) == 0);
		size_t mask = (size_t)0 - m;
		found = (found & ~mask) | (i & mask);
		any |= m;
	}
	OPENSSL_cleanse(d, sizeof(d));
	return any ? &cfg->agents[found] : NULL;
}

static void
unauthorized(struct http_req *r, const char *msg, int invalid)
{
	http_reply_header(r, "WWW-Authenticate",
			  invalid ? "Bearer realm=\"mxsla\", error=\"invalid_token\""
				  : "Bearer realm=\"mxsla\"");
	http_reply_error(r, 401, msg, NULL);
}

/* "application/json", any case, optionally followed by parameters. */
static int
is_json_type(const char *ct)
{
	static const char want[] = "application/json";

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
		return 0;
	ct += sizeof(want) - 1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

void
api_ingest_precheck(struct http_req *r, void *app)
{
	const struct api_ctx *c = http_req_ctx(r);
	const char *auth = http_req_header(r, "Authorization"), *tok;
	const struct cc_agent *agent;
	size_t tlen;

	(void)app;
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		unauthorized(r, "a bearer token is required", 0);
		return;
	}
	tok = auth + 7;
	while (*tok == ' ')
		tok++;
	tlen = strlen(tok);
	while (tlen > 0 && (tok[tlen - 1] == ' ' || tok[tlen - 1] == '\t'))
		tlen--;
	if (tlen == 0 || tlen > TOKEN_MAX) {
		unauthorized(r, "a bearer token is required", 0);
		return;
	}
	{
		char *t = xstrndup(tok, tlen);
		agent = api_token_agent(c->cfg, t);
		OPENSSL_cleanse(t, tlen);
		free(t);
	}
	if (agent == NULL) {
		unauthorized(r, "unknown token", 1);
		return;
	}
	if (!is_json_type(http_req_header(r, "Content-Type"))) {
		http_reply_error(r, 415, "Content-Type must be application/json", NULL);
		return;
	}
	http_req_set_body_max(r, (size_t)c->cfg->body_max);
	http_req_set_data(r, xstrdup(agent->id), free);
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
api_ingest_handle(struct http_req *r, void *app)
{
	const struct api_ctx *c = http_req_ctx(r);
	const struct collector_config *cfg = c->cfg;
	struct ingest_limits lim = {
		.body_max = (size_t)cfg->body_max,
		.results_max = cfg->results_max,
		.string_max = cfg->string_max,
		.depth_max = cfg->depth_max,
	};
	struct ingest_batch b;
	struct ingest_doc *doc;
	struct ingest_error err;
	const char *body, *serr = NULL;
	size_t len;
	int dup = 0;
	double t0 = mono_s();
	json_t *j;

	(void)app;
	body = http_req_body(r, &len);
	if (ingest_parse(body, len, &lim, http_req_data(r), (int64_t)time(NULL), &b, &doc, &err) < 0) {
		log_debug("ingest: %d %s (%s)", err.status, err.error, err.path);
		http_reply_error(r, err.status, err.error, err.path);
		return;
	}
	if (store_ingest(c->st, &b, &dup, &serr) < 0) {
		/* the agent keeps the batch and sends it again later */
		log_warnx("ingest: agent %s batch %lld: %s", b.agent, (long long)b.batch, serr);
		http_reply_error(r, 503, "the batch could not be stored; send it again later", NULL);
		ingest_doc_free(doc);
		return;
	}
	metrics_ingest_latency(mono_s() - t0);
	log_debug("ingest: agent %s stream %s batch %lld: %zu results%s", b.agent, b.stream,
		  (long long)b.batch, b.n, dup ? " (duplicate)" : "");
	j = json_object();
	json_object_set_new(j, "accepted", json_integer((json_int_t)b.n));
	json_object_set_new(j, "duplicate", json_boolean(dup));
	ingest_doc_free(doc);
	http_reply_json(r, 200, j);
}
