/*
 * webui.c - the web UI's routes (api.h): GET / is the single page
 * (index.html), GET /ui/NAME its assets, GET /status the server-rendered
 * page for browsers without script (home.c).
 *
 * The files are compiled in (ui/assets.h, generated from collector/ui/ at
 * build time), so the collector serves them without touching the disk and
 * nothing is fetched from other hosts.  Each reply carries the asset's
 * ETag; a request whose If-None-Match names it gets 304 without a body.
 * Assets are revalidated on every use (Cache-Control: no-cache) because
 * their names do not change between versions.
 *
 * The page's Content-Security-Policy allows scripts, styles, fonts, images
 * and connections from the collector itself only: no inline script or
 * style, no frames, forms posting only back here.  All data is inserted by
 * the script through DOM text nodes (app.js), never as markup.
 *
 * Not here: the JSON the page reads (api.c, admin.c).
 */
#include "config.h"

#include <string.h>

#include "api.h"
#include "ui/assets.h"
#include "xmalloc.h"

#define WEBUI_CSP                                                                                  \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "               \
	"frame-ancestors 'none'"

#define WEBUI_PREFIX "/ui/"

static const struct ui_asset *
asset_find(const char *name)
{
	for (size_t i = 0; i < ui_nassets; i++)
		if (strcmp(ui_assets[i].name, name) == 0)
			return &ui_assets[i];
	return NULL;
}

/* 1 when the If-None-Match list names etag (or is "*"). */
static int
etag_matches(const char *inm, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = inm;

	while (*p != '\0') {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 1 && *p == '*')
			return 1;
		/* a weak validator matches too (RFC 9110 13.1.2 weak comparison) */
		if (n >= 2 && strncmp(p, "W/", 2) == 0 && n - 2 == elen &&
		    memcmp(p + 2, etag, elen) == 0)
			return 1;
		if (n == elen && memcmp(p, etag, elen) == 0)
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

static void
reply_asset(struct http_req *r, const struct ui_asset *a)
{
	const char *inm = http_req_header(r, "If-None-Match");
	char *body;

	http_reply_header(r, "ETag", a->etag);
	http_reply_header(r, "Cache-Control", "no-cache");
	if (strncmp(a->content_type, "text/html", 9) == 0)
		http_reply_header(r, "Content-Security-Policy", WEBUI_CSP);
	if (inm != NULL && etag_matches(inm, a->etag)) {
		http_reply(r, 304, a->content_type, NULL, 0);
		return;
	}
	body = xmalloc(a->len + 1);
	memcpy(body, a->data, a->len);
	http_reply(r, 200, a->content_type, body, a->len);
}

static void
h_page(struct http_req *r, void *app)
{
	const struct ui_asset *a = asset_find("index.html");

	(void)app;
	if (a == NULL) {
		http_reply_error(r, 404, "no such resource", NULL);
		return;
	}
	reply_asset(r, a);
}

static void
h_asset(struct http_req *r, void *app)
{
	const char *name = http_req_path(r) + strlen(WEBUI_PREFIX);
	const struct ui_asset *a;

	(void)app;
	/* the page itself only at /, so that it has one address */
	if (strcmp(name, "index.html") == 0 || (a = asset_find(name)) == NULL) {
		http_reply_error(r, 404, "no such resource", NULL);
		return;
	}
	reply_asset(r, a);
}

static const struct http_route routes[] = {
    {"/", 0, HTTP_GET, NULL, h_page},
    {WEBUI_PREFIX, 1, HTTP_GET, NULL, h_asset},
    {"/status", 0, HTTP_GET, NULL, api_home},
};

const struct http_route *
webui_routes(size_t *n_r)
{
	*n_r = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
