/*
 * test-webui.c - the web UI compiled into the collector (collector/webui.c,
 * collector/ui/embed.sh): every asset is embedded byte for byte with its
 * Content-Type and an ETag of its own, the route table serves the page at
 * /, the assets under /ui/ and the page without script at /status, and
 * the script never builds markup from strings (no innerHTML and friends,
 * no eval), which is what keeps data out of the DOM as code.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api.h"
#include "ui/assets.h"

static const struct ui_asset *
find(const char *name)
{
	for (size_t i = 0; i < ui_nassets; i++)
		if (strcmp(ui_assets[i].name, name) == 0)
			return &ui_assets[i];
	return NULL;
}

static char *
slurp(const char *name, size_t *len_r)
{
	char path[512], *buf;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/%s", UI_SRC_DIR, name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	buf[n] = '\0';
	*len_r = (size_t)n;
	return buf;
}

static void
embed__every_asset__is_the_source_file_byte_for_byte(void **state)
{
	static const char *const names[] = {"index.html", "app.css", "app.js", "favicon.svg"};

	(void)state;
	assert_int_equal(ui_nassets, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct ui_asset *a = find(names[i]);
		size_t len;
		char *src;

		assert_non_null(a);
		src = slurp(names[i], &len);
		assert_int_equal(a->len, len);
		assert_memory_equal(a->data, src, len);
		assert_int_equal(a->data[a->len], 0);
		free(src);
	}
}

static void
embed__content_types__follow_the_file_endings(void **state)
{
	(void)state;
	assert_string_equal(find("index.html")->content_type, "text/html; charset=utf-8");
	assert_string_equal(find("app.css")->content_type, "text/css; charset=utf-8");
	assert_string_equal(find("app.js")->content_type, "text/javascript; charset=utf-8");
	assert_string_equal(find("favicon.svg")->content_type, "image/svg+xml");
}

static void
embed__etags__are_quoted_and_differ_between_assets(void **state)
{
	char want[64];

	(void)state;
	for (size_t i = 0; i < ui_nassets; i++) {
		const char *e = ui_assets[i].etag;
		size_t n = strlen(e);

		assert_true(n > 4 && e[0] == '"' && e[n - 1] == '"');
		/* "CRC-SIZE" from cksum(1): the size part is the asset's length */
		snprintf(want, sizeof(want), "-%zu\"", ui_assets[i].len);
		assert_non_null(strstr(e, want));
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(e, ui_assets[k].etag);
	}
}

static void
routes__serve_the_page_assets_and_the_fallback(void **state)
{
	const struct http_route *rt;
	size_t n, seen = 0;

	(void)state;
	rt = webui_routes(&n);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(rt[i].methods, HTTP_GET);
		assert_non_null(rt[i].handle);
		if (strcmp(rt[i].path, "/") == 0 && !rt[i].prefix)
			seen |= 1;
		else if (strcmp(rt[i].path, "/ui/") == 0 && rt[i].prefix)
			seen |= 2;
		else if (strcmp(rt[i].path, "/status") == 0 && !rt[i].prefix)
			seen |= 4;
	}
	assert_int_equal(seen, 7);
}

static void
script__never_builds_markup_from_strings(void **state)
{
	static const char *const banned[] = {"innerHTML",      "outerHTML",  "insertAdjacentHTML",
	                                     "document.write", "eval(",      "new Function",
	                                     "setTimeout('",   "javascript:"};
	const struct ui_asset *js = find("app.js"), *page = find("index.html");

	(void)state;
	for (size_t i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
		assert_null(strstr((const char *)js->data, banned[i]));
	/* the page holds no inline script or style for the CSP to refuse */
	assert_null(strstr((const char *)page->data, "<script>"));
	assert_null(strstr((const char *)page->data, "<style"));
	assert_null(strstr((const char *)page->data, "style="));
	assert_non_null(
	    strstr((const char *)page->data, "<script src=\"/ui/app.js\" defer></script>"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(embed__every_asset__is_the_source_file_byte_for_byte),
	    cmocka_unit_test(embed__content_types__follow_the_file_endings),
	    cmocka_unit_test(embed__etags__are_quoted_and_differ_between_assets),
	    cmocka_unit_test(routes__serve_the_page_assets_and_the_fallback),
	    cmocka_unit_test(script__never_builds_markup_from_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
