/*
 * assets.h - the web UI's files compiled into the collector (the table is
 * generated at build time by collector/ui/embed.sh from collector/ui/).
 */
#ifndef MXSLA_UI_ASSETS_H
#define MXSLA_UI_ASSETS_H

#include <stddef.h>

struct ui_asset {
	const char *name;          /* path under /ui/, e.g. "app.js" */
	const char *content_type;
	const char *etag;          /* quoted, from the content */
	const unsigned char *data; /* len bytes (and a NUL after them) */
	size_t len;
};

extern const struct ui_asset ui_assets[];
extern const size_t ui_nassets;

#endif
