/*
 * admin.c - login, sessions and the write API (api.h).
 */
#include "config.h"

#include "api.h"

static void
h_session(struct http_req *r, void *app)
{
	(void)app;
	http_reply_json(r, 200, json_pack("{s:n}", "user"));
}

static const struct http_route routes[] = {
	{ "/api/v1/session", 0, HTTP_GET, NULL, h_session },
};

const struct http_route *
admin_routes(size_t *n_r)
{
	*n_r = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
