/*
 * fuzz-rules.c - fuzz target: a whole rule pack (lib/rule.c), loaded the
 * way the agent loads one named in agent.yaml.
 *
 * ruleset_load_path reads files only, so the input is written to a
 * memfd once per call and loaded as /proc/self/fd/N (no temporary file,
 * nothing left behind).  Probe kinds are checked against the agent's own
 * table (probe_find), as agent_config.c does.  Every rule that loads is
 * looked up by id and its conditions are evaluated against a small
 * observation; then disabled rules are dropped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cfgerr.h"
#include "expr.h"
#include "fuzz.h"
#include "obs.h"
#include "probe.h"
#include "rule.h"

static int
probe_known(const char *name)
{
	return probe_find(name) != NULL;
}

static void
eval_rule(const struct expr *e, const struct obs *o)
{
	struct expr_result res;

	if (e == NULL)
		return;
	expr_eval(e, o, &res);
	expr_result_free(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct ruleset rs;
	struct cfgerr errs;
	struct obs o;
	int rc;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	if (fd < 0) {
		fd = memfd_create("fuzz-rules.yaml", MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("memfd");
		abort();
	}

	ruleset_init(&rs);
	cfgerr_init(&errs);
	rc = ruleset_load_path(&rs, path, probe_known, &errs);
	if (rc < 0 && errs.n == 0)
		abort(); /* a refused pack says why */
	obs_init(&o);
	obs_metric(&o, "deferred", 137);
	obs_metric(&o, "free_pct", 4);
	obs_metric(&o, "cert_days_left", 12.5);
	obs_fact(&o, "smtpd_tls_security_level", "may");
	obs_fact(&o, "status", "Healthy");
	for (size_t i = 0; i < rs.n; i++) {
		const struct rule *r = rs.v[i];

		if (ruleset_find(&rs, r->id) != r || rule_kind_name(r->kind) == NULL)
			abort();
		eval_rule(r->warning, &o);
		eval_rule(r->critical, &o);
		eval_rule(r->unknown, &o);
	}
	ruleset_finish(&rs);
	obs_free(&o);
	ruleset_free(&rs);
	cfgerr_free(&errs);
	return 0;
}
