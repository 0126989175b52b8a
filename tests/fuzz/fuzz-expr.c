/*
 * fuzz-expr.c - fuzz target: the rule expression language (lib/expr.c).
 *
 * The input is one expression as a rule pack would hold it.  When it
 * compiles, it is evaluated against an observation with a few metrics
 * (among them an infinite and a NaN one, which a plugin's perfdata can
 * produce) and facts, against an empty one and against one whose probe
 * failed, and its names and source are read back.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "expr.h"
#include "fuzz.h"
#include "obs.h"

static void
fill_obs(struct obs *o)
{
	obs_init(o);
	obs_metric(o, "deferred", 137);
	obs_metric(o, "active", 0);
	obs_metric(o, "free_pct", 12.5);
	obs_metric(o, "response_ms", 250);
	obs_metric(o, "oldest_age_s", 86400);
	obs_metric(o, "rss_kb", 1048576);
	obs_metric(o, "lag_s", -3);
	obs_metric(o, "big", 1e300);
	obs_metric(o, "infinite", INFINITY);
	obs_metric(o, "nan", NAN);
	obs_fact(o, "message_size_limit", "10240000");
	obs_fact(o, "smtpd_tls_security_level", "may");
	obs_fact(o, "banner", "220 mx.example.org ESMTP Postfix (Debian/GNU)");
	obs_fact(o, "ssl", "yes");
	obs_fact(o, "empty", "");
	obs_fact(o, "hex", "0x10");
	obs_fact(o, "spaced", " 42 ");
}

static void
eval_against(const struct expr *e, const struct obs *o)
{
	struct expr_result res;

	expr_eval(e, o, &res);
	if (res.value == TRI_UNKNOWN && res.reason == NULL)
		abort(); /* the header promises a reason */
	if (res.explain == NULL)
		abort(); /* and an explanation, always */
	expr_result_free(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src, *err = NULL;
	int col = 0;
	struct expr *e;

	if (size > 64 * 1024)
		return 0;
	src = fuzz_cstr(data, size);
	e = expr_compile(src, &err, &col);
	if (e == NULL) {
		if (err == NULL || col < 1)
			abort(); /* an error always says what and where */
		free(err);
	} else {
		const char *const *names;
		unsigned n = expr_names(e, &names);
		struct obs o;

		for (unsigned i = 0; i < n; i++)
			if (names[i] == NULL)
				abort();
		if (expr_source(e) == NULL)
			abort();
		fill_obs(&o);
		eval_against(e, &o);
		obs_clear(&o);
		eval_against(e, &o);
		obs_error(&o, "probe failed");
		eval_against(e, &o);
		obs_free(&o);
		expr_free(e);
	}
	free(src);
	return 0;
}
