/*
 * curlrt.h - libcurl, loaded at run time on first use.
 *
 * Debian's libcurl pulls in some thirty shared libraries (GnuTLS and
 * p11-kit through librtmp, Kerberos, LDAP, libssh2, ...), several of
 * which initialise themselves when they are loaded: mapping them costs a
 * process megabytes of resident memory whether it ever makes an HTTP
 * request or not.  So nothing links libcurl; this module opens
 * "libcurl.so.4" with dlopen the first time a caller needs it (an http
 * or https target, shipping results to the collector), runs
 * curl_global_init once, and hands out thin wrappers for the libcurl
 * functions the programs use.  A process that never asks never maps it.
 *
 * This module owns libcurl: nothing else calls a curl_* function (the
 * programs do not link -lcurl, so such a call would not link).  The
 * types and constants are curl's own (<curl/curl.h>).  The library is
 * never unloaded.
 *
 * Every wrapper but curlrt_load, curlrt_set_library and curlrt_loaded
 * requires a successful curlrt_load first (calling one without is a bug:
 * fatalx).  All are thread-safe to the extent libcurl's functions are
 * (one easy handle per thread at a time).
 */
#ifndef MXSLA_CURLRT_H
#define MXSLA_CURLRT_H

#include <stdbool.h>

#include <curl/curl.h>

/* Load libcurl and initialise it (curl_global_init(CURL_GLOBAL_DEFAULT)),
   once per process; later calls return the first call's outcome.
   0, or -1 with *error_r (xmalloc'd, the caller frees it) saying
   "libcurl unavailable: REASON". */
int curlrt_load(char **error_r);
/* Whether curlrt_load has succeeded in this process. */
bool curlrt_loaded(void);
/* The file curlrt_load opens (default "libcurl.so.4", searched the way
   dlopen searches).  Takes effect only before the first curlrt_load;
   the string must outlive that call.  For tests and for systems whose
   libcurl has another soname. */
void curlrt_set_library(const char *soname);

CURL *curlrt_easy_init(void);
void curlrt_easy_cleanup(CURL *h);
CURLcode curlrt_easy_perform(CURL *h);
const char *curlrt_easy_strerror(CURLcode rc);
/* The third argument is decoded by the option's type range, as libcurl
   does: CURLOPTTYPE_LONG -> long; OBJECTPOINT (also STRINGPOINT,
   SLISTPOINT, CBPOINT) -> a data pointer; FUNCTIONPOINT -> a function
   pointer; OFF_T -> curl_off_t; BLOB -> struct curl_blob *.  Pass
   exactly that type (1L, not 1). */
CURLcode curlrt_easy_setopt(CURL *h, CURLoption opt, ...);
/* arg points to the variable of the type the info asks for. */
CURLcode curlrt_easy_getinfo(CURL *h, CURLINFO info, void *arg);
struct curl_slist *curlrt_slist_append(struct curl_slist *list, const char *s);
void curlrt_slist_free_all(struct curl_slist *list);

#endif
