/*
 * curlrt.c - libcurl opened with dlopen on first use (see curlrt.h for
 * why), and the wrappers that call it through the looked-up symbols.
 *
 * The loading runs once per process under pthread_once: dlopen with
 * RTLD_NOW | RTLD_LOCAL (every symbol resolved now, none of libcurl's
 * symbols offered to later lookups), dlsym of each function in the
 * table below, curl_global_init.  Whatever fails there is remembered and
 * reported to every caller as "libcurl unavailable: REASON"; the process
 * goes on without HTTP.
 *
 * curl_easy_setopt and curl_easy_getinfo are variadic in libcurl; the
 * wrappers read the argument by the type the option's number range
 * names, as libcurl's own setopt does, and pass it on unchanged.
 */
#include "config.h"

#define CURL_DISABLE_TYPECHECK /* the wrappers forward arguments of every type */

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curlrt.h"
#include "log.h"
#include "xmalloc.h"

#define CURLRT_DEFAULT_LIBRARY "libcurl.so.4"
#define CURLRT_ERROR_MAX 512

/* The functions used, as libcurl declares them. */
struct curlrt_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *h);
	CURLcode (*easy_perform)(CURL *h);
	const char *(*easy_strerror)(CURLcode rc);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

static struct curlrt_api curlrt_fn;
static const char *curlrt_library = CURLRT_DEFAULT_LIBRARY;
static pthread_once_t curlrt_once = PTHREAD_ONCE_INIT;
static bool curlrt_ok;
static char curlrt_error[CURLRT_ERROR_MAX];

/* Look up one symbol into *slot (a function pointer of the right type). */
static int
curlrt_sym(void *lib, const char *name, void *slot)
{
	void *p;

	dlerror();
	p = dlsym(lib, name);
	if (p == NULL) {
		const char *e = dlerror();
		snprintf(curlrt_error, sizeof(curlrt_error), "%s: %s", name,
		         e != NULL ? e : "symbol not found");
		return -1;
	}
	/* POSIX guarantees that a function's address survives the trip
	   through void *, which is what dlsym returns */
	memcpy(slot, &p, sizeof(p));
	return 0;
}

static void
curlrt_load_once(void)
{
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
	    {"curl_global_init", offsetof(struct curlrt_api, global_init)},
	    {"curl_easy_init", offsetof(struct curlrt_api, easy_init)},
	    {"curl_easy_cleanup", offsetof(struct curlrt_api, easy_cleanup)},
	    {"curl_easy_perform", offsetof(struct curlrt_api, easy_perform)},
	    {"curl_easy_strerror", offsetof(struct curlrt_api, easy_strerror)},
	    {"curl_easy_setopt", offsetof(struct curlrt_api, easy_setopt)},
	    {"curl_easy_getinfo", offsetof(struct curlrt_api, easy_getinfo)},
	    {"curl_slist_append", offsetof(struct curlrt_api, slist_append)},
	    {"curl_slist_free_all", offsetof(struct curlrt_api, slist_free_all)},
	};
	struct curlrt_api api;
	void *lib;

	memset(&api, 0, sizeof(api));
	lib = dlopen(curlrt_library, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		const char *e = dlerror();
		snprintf(curlrt_error, sizeof(curlrt_error), "%s", e != NULL ? e : "dlopen failed");
		return;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if (curlrt_sym(lib, syms[i].name, (char *)&api + syms[i].off) < 0)
			return; /* the library stays mapped: dlclose could run its
			           destructors half-initialised */
	CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		snprintf(curlrt_error, sizeof(curlrt_error), "curl_global_init: %s",
		         api.easy_strerror(rc));
		return;
	}
	curlrt_fn = api;
	curlrt_ok = true;
}

int
curlrt_load(char **error_r)
{
	pthread_once(&curlrt_once, curlrt_load_once);
	if (curlrt_ok)
		return 0;
	*error_r = xasprintf("libcurl unavailable: %s", curlrt_error);
	return -1;
}

bool
curlrt_loaded(void)
{
	pthread_once(&curlrt_once, curlrt_load_once);
	return curlrt_ok;
}

void
curlrt_set_library(const char *soname)
{
	curlrt_library = soname != NULL ? soname : CURLRT_DEFAULT_LIBRARY;
}

/* The table, after making sure it is filled: calling a wrapper without
   a successful curlrt_load is a bug in the caller. */
static const struct curlrt_api *
curlrt_api(void)
{
	if (!curlrt_ok)
		fatalx("curlrt: libcurl used before curlrt_load succeeded");
	return &curlrt_fn;
}

CURL *
curlrt_easy_init(void)
{
	return curlrt_api()->easy_init();
}

void
curlrt_easy_cleanup(CURL *h)
{
	curlrt_api()->easy_cleanup(h);
}

CURLcode
curlrt_easy_perform(CURL *h)
{
	return curlrt_api()->easy_perform(h);
}

const char *
curlrt_easy_strerror(CURLcode rc)
{
	return curlrt_api()->easy_strerror(rc);
}

/* A function pointer of no particular type: every function pointer
   converts to it and back unchanged, and libcurl reads the argument as
   the callback type of the option. */
typedef void (*curlrt_fnptr)(void);

CURLcode
curlrt_easy_setopt(CURL *h, CURLoption opt, ...)
{
	const struct curlrt_api *api = curlrt_api();
	CURLcode rc;
	va_list ap;

	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT) {
		long v = va_arg(ap, long);
		rc = api->easy_setopt(h, opt, v);
	} else if (opt < CURLOPTTYPE_FUNCTIONPOINT) {
		void *v = va_arg(ap, void *);
		rc = api->easy_setopt(h, opt, v);
	} else if (opt < CURLOPTTYPE_OFF_T) {
		curlrt_fnptr v = va_arg(ap, curlrt_fnptr);
		rc = api->easy_setopt(h, opt, v);
	} else if (opt < CURLOPTTYPE_BLOB) {
		curl_off_t v = va_arg(ap, curl_off_t);
		rc = api->easy_setopt(h, opt, v);
	} else {
		struct curl_blob *v = va_arg(ap, struct curl_blob *);
		rc = api->easy_setopt(h, opt, v);
	}
	va_end(ap);
	return rc;
}

CURLcode
curlrt_easy_getinfo(CURL *h, CURLINFO info, void *arg)
{
	return curlrt_api()->easy_getinfo(h, info, arg);
}

struct curl_slist *
curlrt_slist_append(struct curl_slist *list, const char *s)
{
	return curlrt_api()->slist_append(list, s);
}

void
curlrt_slist_free_all(struct curl_slist *list)
{
	curlrt_api()->slist_free_all(list);
}
