/*
 * webui.c - the web UI's routes (api.h).
 */
#include "config.h"

#include "api.h"

static const struct http_route routes[] = {
	{ "/", 0, HTTP_GET, NULL, api_home },
};

const struct http_route *
webui_routes(size_t *n_r)
{
	*n_r = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
