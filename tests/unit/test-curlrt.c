/*
 * test-curlrt.c - libcurl loaded on first use (lib/curlrt.c).
 *
 * Proves that nothing maps libcurl before curlrt_load, that a missing
 * library is reported (and an http target then says "libcurl
 * unavailable", as obs_error) without a crash, and that the wrappers
 * pass arguments of every option type through to the real libcurl: a
 * transfer of a file:// URL runs through a write callback given as a
 * function pointer, long and off_t options change what it reads, and
 * options of the pointer, list and blob ranges are accepted.
 *
 * The missing-library case runs in a child process: curlrt_load decides
 * once per process.
 */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "curlrt.h"
#include "obs.h"
#include "probe.h"
#include "testutil.h"
#include "xmalloc.h"

/* Whether a mapping of the process names a file containing needle
   (/proc files have no size, so they are read line by line). */
static bool
mapped(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	bool found = false;

	if (f == NULL)
		fail_msg("/proc/self/maps: cannot open");
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* In a child: the outcome of loading a library that does not exist, and
   of running an http target then, written to fd as two lines. */
static void
child_without_libcurl(int fd)
{
	struct tu_probe p;
	struct obs o;
	char *error = NULL;
	FILE *out = fdopen(fd, "w");

	curlrt_set_library("libcurl-mxsla-missing.so.4");
	int rc = curlrt_load(&error);
	fprintf(out, "%d %d %s\n", rc, curlrt_loaded() ? 1 : 0, error != NULL ? error : "-");
	free(error);
	if (tu_probe_configure(&p, &probe_service_ops, "web", "{protocol: http, port: 9}", 1000) !=
	    0)
		_exit(3);
	tu_probe_run(&p, &o);
	fprintf(out, "%s|%s\n", o.error != NULL ? o.error : "-",
	        obs_get_metric(&o, "up") != NULL ? "up" : "no up");
	obs_free(&o);
	tu_probe_free(&p);
	fclose(out);
	_exit(0);
}

static void
curlrt_load__missing_library__reported_and_http_target_unknown(void **state)
{
	int pfd[2];
	char buf[2048];
	size_t len = 0;
	int status;

	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		child_without_libcurl(pfd[1]);
	}
	close(pfd[1]);
	for (ssize_t r;
	     len < sizeof(buf) - 1 && (r = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0;)
		len += (size_t)r;
	buf[len] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	static const char want1[] = "-1 0 libcurl unavailable: libcurl-mxsla-missing.so.4: cannot "
	                            "open shared object file: No such file or directory\n";
	static const char want2[] = "libcurl unavailable: libcurl-mxsla-missing.so.4: cannot open "
	                            "shared object file: No such file or directory|no up\n";
	char want[sizeof(want1) + sizeof(want2)];
	snprintf(want, sizeof(want), "%s%s", want1, want2);
	assert_string_equal(buf, want);
}

static void
curlrt_load__first_use__maps_libcurl_then_and_not_before(void **state)
{
	char *error = NULL;

	assert_false(mapped("/libcurl"));
	assert_int_equal(curlrt_load(&error), 0);
	assert_null(error);
	assert_true(curlrt_loaded());
	assert_true(mapped("/libcurl"));
	/* a second call is the first one's outcome */
	assert_int_equal(curlrt_load(&error), 0);
}

struct sink {
	char data[256];
	size_t len;
};

static size_t
sink_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct sink *k = userp;
	size_t n = size * nmemb;
	size_t take = n < sizeof(k->data) - 1 - k->len ? n : sizeof(k->data) - 1 - k->len;

	memcpy(k->data + k->len, data, take);
	k->len += take;
	k->data[k->len] = '\0';
	return n;
}

static void
curlrt_easy_perform__file_url__body_through_write_callback(void **state)
{
	char *error = NULL, url[1100];
	struct sink k = {{0}, 0};
	curl_off_t size = -1;
	size_t flen;
	char *path = tu_mkdtemp("curlrt");
	char file[1024];

	assert_int_equal(curlrt_load(&error), 0);
	snprintf(file, sizeof(file), "%s/body.txt", path);
	tu_write_file(file, "hello through libcurl\n");
	free(tu_slurp(file, &flen));
	snprintf(url, sizeof(url), "file://%s", file);

	CURL *h = curlrt_easy_init();
	assert_non_null(h);
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write), CURLE_OK);
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_WRITEDATA, &k), CURLE_OK);
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
	assert_int_equal(curlrt_easy_perform(h), CURLE_OK);
	assert_string_equal(k.data, "hello through libcurl\n");
	assert_int_equal(curlrt_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &size), CURLE_OK);
	assert_int_equal((long long)size, (long long)flen);
	/* a long and an off_t arrive as the values they are */
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_RESUME_FROM, 6L), CURLE_OK);
	k.len = 0;
	assert_int_equal(curlrt_easy_perform(h), CURLE_OK);
	assert_string_equal(k.data, "through libcurl\n");
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)14),
	                 CURLE_OK);
	k.len = 0;
	assert_int_equal(curlrt_easy_perform(h), CURLE_OK);
	assert_string_equal(k.data, "libcurl\n");
	assert_string_equal(curlrt_easy_strerror(CURLE_FILESIZE_EXCEEDED),
	                    "Maximum file size exceeded");
	curlrt_easy_cleanup(h);
	assert_int_equal(tu_rm_rf(path), 0);
	free(path);
}

static void
curlrt_easy_setopt__every_option_range__accepted(void **state)
{
	char *error = NULL;
	static const char pem[] = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
	struct curl_blob blob = {(void *)pem, sizeof(pem) - 1, CURL_BLOB_COPY};

	assert_int_equal(curlrt_load(&error), 0);
	CURL *h = curlrt_easy_init();
	assert_non_null(h);
	struct curl_slist *list = curlrt_slist_append(NULL, "X-Test: 1");
	list = curlrt_slist_append(list, "X-Test: 2");
	assert_non_null(list);
	assert_string_equal(list->next->data, "X-Test: 2");
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1500L), CURLE_OK);
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_USERAGENT, "mxsla-test"), CURLE_OK);
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_HTTPHEADER, list), CURLE_OK);
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write), CURLE_OK);
	assert_int_equal(
	    curlrt_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)123456789012LL), CURLE_OK);
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob), CURLE_OK);
	/* libcurl's own check of a long's value */
	assert_int_equal(curlrt_easy_setopt(h, CURLOPT_USE_SSL, 9L), CURLE_BAD_FUNCTION_ARGUMENT);
	curlrt_easy_cleanup(h);
	curlrt_slist_free_all(list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(curlrt_load__missing_library__reported_and_http_target_unknown),
	    cmocka_unit_test(curlrt_load__first_use__maps_libcurl_then_and_not_before),
	    cmocka_unit_test(curlrt_easy_perform__file_url__body_through_write_callback),
	    cmocka_unit_test(curlrt_easy_setopt__every_option_range__accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
