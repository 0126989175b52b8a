/*
 * test-core.c - unit tests of the agent core: subprocesses, observations,
 * rule packs, check evaluation with `for:`, and the scheduler's promise
 * that a hung probe delays nobody.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_config.h"
#include "cfgerr.h"
#include "check.h"
#include "obs.h"
#include "probe.h"
#include "rule.h"
#include "scheduler.h"
#include "subproc.h"
#include "xmalloc.h"

/* ---- subproc ---- */

static void
subproc__echo__captures_stdout_and_status(void **state)
{
	const char *argv[] = { "sh", "-c", "printf 'a\\nb'; echo err >&2; exit 3", NULL };
	struct subproc_result r;
	char *err = NULL;

	assert_int_equal(subproc_run(argv, NULL, &r, &err), 0);
	assert_true(r.exited);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.out, "a\nb");
	assert_string_equal(r.err, "err\n");
	assert_false(r.timed_out);
	subproc_result_free(&r);
}

static void
subproc__missing_program__fails_with_reason(void **state)
{
	const char *argv[] = { "/nonexistent/mxsla-nothing", NULL };
	struct subproc_result r;
	char *err = NULL;

	assert_int_equal(subproc_run(argv, NULL, &r, &err), -1);
	assert_non_null(strstr(err, "cannot execute /nonexistent/mxsla-nothing: No such file"));
	free(err);
	subproc_result_free(&r);
}

static void
subproc__slow_program__killed_at_timeout(void **state)
{
	const char *argv[] = { "sleep", "20", NULL };
	struct subproc_opts o = { .timeout_ms = 300 };
	struct subproc_result r;
	char *err = NULL, *d;

	assert_int_equal(subproc_run(argv, &o, &r, &err), 0);
	assert_true(r.timed_out);
	assert_true(r.elapsed_ms < 2000);
	d = subproc_describe(&r);
	assert_non_null(strstr(d, "timed out"));
	free(d);
	subproc_result_free(&r);
}

static void
subproc__large_output__truncated_at_cap(void **state)
{
	const char *argv[] = { "sh", "-c", "yes x | head -c 100000", NULL };
	struct subproc_opts o = { .max_out = 1000 };
	struct subproc_result r;
	char *err = NULL;

	assert_int_equal(subproc_run(argv, &o, &r, &err), 0);
	assert_int_equal(r.out_len, 1000);
	assert_true(r.out_truncated);
	assert_int_equal(r.status, 0);
	subproc_result_free(&r);
}

static void
subproc__stdin_data__reaches_the_child(void **state)
{
	const char *argv[] = { "cat", NULL };
	struct subproc_opts o = { .stdin_data = "hello\n" };
	struct subproc_result r;
	char *err = NULL;

	assert_int_equal(subproc_run(argv, &o, &r, &err), 0);
	assert_string_equal(r.out, "hello\n");
	subproc_result_free(&r);
}

/* ---- obs ---- */

static void
obs__set_twice__replaces(void **state)
{
	struct obs o;

	obs_init(&o);
	obs_metric(&o, "x", 1);
	obs_metric(&o, "x", 2);
	obs_fact(&o, "f", "a");
	obs_fact(&o, "f", "b");
	assert_int_equal(o.nm, 1);
	assert_true(*obs_get_metric(&o, "x") == 2);
	assert_string_equal(obs_get_fact(&o, "f"), "b");
	assert_null(obs_get_metric(&o, "y"));
	obs_error(&o, "first %d", 1);
	obs_error(&o, "second");
	assert_string_equal(o.error, "first 1");
	obs_free(&o);
}

/* ---- rules and checks ---- */

static char tmpdir[64];

static char *
write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static const char pack_text[] =
	"pack: t\n"
	"rules:\n"
	"  - id: q.deferred\n"
	"    title: Deferred\n"
	"    probe: queue\n"
	"    warning: deferred > 100\n"
	"    critical: deferred > 250\n"
	"    for: 5m\n"
	"  - id: q.plugin\n"
	"    title: Plugin\n"
	"    probe: plugin\n"
	"    warning: status == 1\n"
	"    critical: status == 2\n"
	"    unknown: status == 3\n"
	"  - id: q.roles\n"
	"    title: Only on edges\n"
	"    probe: queue\n"
	"    roles: [edge-transport]\n"
	"    warning: total > 1\n"
	"  - id: q.glob\n"
	"    title: Only targets named mx*\n"
	"    probe: queue\n"
	"    targets: [\"mx*\"]\n"
	"    warning: total > 1\n";

static int
any_probe(const char *name)
{
	return strcmp(name, "queue") == 0 || strcmp(name, "plugin") == 0;
}

static void
rules__site_pack__overrides_and_disables(void **state)
{
	struct ruleset rs;
	struct cfgerr errs;
	char *a = write_file("a.yaml", pack_text);
	char *b = write_file("b.yaml",
			     "pack: site\nrules:\n"
			     "  - { id: q.deferred, title: Site deferred, probe: queue, warning: deferred > 10 }\n"
			     "  - { id: q.glob, disabled: true }\n");

	ruleset_init(&rs);
	cfgerr_init(&errs);
	assert_int_equal(ruleset_load_path(&rs, a, any_probe, &errs), 0);
	assert_int_equal(ruleset_load_path(&rs, b, any_probe, &errs), 0);
	ruleset_finish(&rs);
	assert_int_equal(errs.n, 0);
	assert_int_equal(rs.n, 3);
	assert_string_equal(ruleset_find(&rs, "q.deferred")->title, "Site deferred");
	assert_null(ruleset_find(&rs, "q.glob"));
	ruleset_free(&rs);
	cfgerr_free(&errs);
	free(a);
	free(b);
}

static void
rules__bad_pack__reports_every_error_located(void **state)
{
	struct ruleset rs;
	struct cfgerr errs;
	char *p = write_file("bad.yaml",
			     "pack: bad\nrules:\n"
			     "  - id: r1\n    title: x\n    probe: queue\n    warning: deferred >> 1\n"
			     "  - id: r2\n    title: y\n    probe: nosuch\n    critical: a == 1\n"
			     "  - id: r3\n    title: z\n    probe: queue\n");

	ruleset_init(&rs);
	cfgerr_init(&errs);
	assert_int_equal(ruleset_load_path(&rs, p, any_probe, &errs), -1);
	assert_int_equal(errs.n, 3);
	/* "    warning: deferred >> 1": value at col 14, second '>' at col 24 */
	assert_non_null(strstr(errs.msgs[0], "bad.yaml:6:24: warning: "));
	assert_non_null(strstr(errs.msgs[1], "bad.yaml:9:12: unknown probe kind 'nosuch'"));
	assert_non_null(strstr(errs.msgs[2], "neither warning nor critical"));
	ruleset_free(&rs);
	cfgerr_free(&errs);
	free(p);
}

static struct ruleset test_rules;

static const struct rule *
load_test_rule(const char *id)
{
	if (test_rules.n == 0) {
		struct cfgerr errs;
		char *a = write_file("rules.yaml", pack_text);
		cfgerr_init(&errs);
		ruleset_init(&test_rules);
		assert_int_equal(ruleset_load_path(&test_rules, a, any_probe, &errs), 0);
		cfgerr_free(&errs);
		free(a);
	}
	return ruleset_find(&test_rules, id);
}

static void
check__thresholds__pick_worst_status_with_message(void **state)
{
	const struct rule *r = load_test_rule("q.deferred");
	struct obs o;
	char *msg;

	obs_init(&o);
	obs_metric(&o, "deferred", 137);
	assert_int_equal(check_evaluate(r, &o, &msg), ST_WARNING);
	assert_string_equal(msg, "deferred = 137 (> 100)");
	free(msg);
	obs_metric(&o, "deferred", 300);
	assert_int_equal(check_evaluate(r, &o, &msg), ST_CRITICAL);
	assert_string_equal(msg, "deferred = 300 (> 250)");
	free(msg);
	obs_metric(&o, "deferred", 3);
	assert_int_equal(check_evaluate(r, &o, &msg), ST_OK);
	assert_string_equal(msg, "deferred = 3");
	free(msg);
	obs_free(&o);
}

static void
check__missing_metric__is_unknown_naming_it(void **state)
{
	const struct rule *r = load_test_rule("q.deferred");
	struct obs o;
	char *msg;

	obs_init(&o);
	obs_metric(&o, "total", 1);
	assert_int_equal(check_evaluate(r, &o, &msg), ST_UNKNOWN);
	assert_non_null(strstr(msg, "deferred"));
	free(msg);
	obs_error(&o, "postqueue: fatal: mail system is down");
	assert_int_equal(check_evaluate(r, &o, &msg), ST_UNKNOWN);
	assert_string_equal(msg, "postqueue: fatal: mail system is down");
	free(msg);
	obs_free(&o);
}

static void
check__unknown_expression__gives_unknown(void **state)
{
	const struct rule *r = load_test_rule("q.plugin");
	struct obs o;
	char *msg;

	obs_init(&o);
	obs_metric(&o, "status", 3);
	assert_int_equal(check_evaluate(r, &o, &msg), ST_UNKNOWN);
	free(msg);
	obs_metric(&o, "status", 2);
	assert_int_equal(check_evaluate(r, &o, &msg), ST_CRITICAL);
	free(msg);
	obs_free(&o);
}

static void
check_for__worse_status__held_until_duration_then_reported(void **state)
{
	struct check c;
	int changed, st;

	memset(&c, 0, sizeof(c));
	c.rule = load_test_rule("q.deferred"); /* for: 5m */
	c.status = -1;
	st = check_update(&c, ST_OK, xstrdup("deferred = 3"), 1000, &changed);
	assert_int_equal(st, ST_OK);
	assert_true(changed);
	st = check_update(&c, ST_WARNING, xstrdup("deferred = 137 (> 100)"), 2000, &changed);
	assert_int_equal(st, ST_OK);
	assert_false(changed);
	assert_non_null(strstr(c.message, "pending warning"));
	/* escalates while pending: the start of the condition is kept */
	st = check_update(&c, ST_CRITICAL, xstrdup("deferred = 300 (> 250)"), 200000, &changed);
	assert_int_equal(st, ST_OK);
	st = check_update(&c, ST_CRITICAL, xstrdup("deferred = 300 (> 250)"), 2000 + 300000, &changed);
	assert_int_equal(st, ST_CRITICAL);
	assert_true(changed);
	assert_string_equal(c.message, "deferred = 300 (> 250)");
	/* recovery is immediate */
	st = check_update(&c, ST_OK, xstrdup("deferred = 0"), 2000 + 300001, &changed);
	assert_int_equal(st, ST_OK);
	assert_true(changed);
	/* a condition that goes away restarts the clock */
	check_update(&c, ST_WARNING, xstrdup("w"), 400000, &changed);
	check_update(&c, ST_OK, xstrdup("ok"), 500000, &changed);
	st = check_update(&c, ST_WARNING, xstrdup("w"), 600000, &changed);
	assert_int_equal(st, ST_OK);
	st = check_update(&c, ST_WARNING, xstrdup("w"), 600000 + 299999, &changed);
	assert_int_equal(st, ST_OK);
	st = check_update(&c, ST_WARNING, xstrdup("w"), 600000 + 300000, &changed);
	assert_int_equal(st, ST_WARNING);
	free(c.message);
}

static void
checkset__roles_and_globs__select_targets(void **state)
{
	struct agent_config cfg;
	struct target t1 = { .name = "queue", .probe = "queue", .interval_ms = 60000 };
	struct target t2 = { .name = "mx1", .probe = "queue", .interval_ms = 60000 };
	struct target *ts[2] = { &t1, &t2 };
	struct checkset cs;

	load_test_rule("q.deferred");
	memset(&cfg, 0, sizeof(cfg));
	cfg.rules = test_rules;
	strlist_init(&cfg.roles);
	strlist_add(&cfg.roles, "hub-transport");
	checkset_build(&cs, &cfg, ts, 2);
	/* q.deferred on both, q.glob on mx1 only, q.roles on none */
	assert_int_equal(cs.n, 3);
	assert_string_equal(cs.v[0].id, "q.deferred@queue");
	assert_string_equal(cs.v[1].id, "q.deferred@mx1");
	assert_string_equal(cs.v[2].id, "q.glob@mx1");
	checkset_free(&cs);
	strlist_free(&cfg.roles);
}

/* ---- scheduler ---- */

static void
hang_run(const struct target *t, void **st, struct obs *o)
{
	sleep(4);
	obs_metric(o, "late", 1);
}

static void
fast_run(const struct target *t, void **st, struct obs *o)
{
	obs_metric(o, "up", 1);
}

static const struct probe_ops hang_ops = { .name = "hang", .run = hang_run };
static const struct probe_ops fast_ops = { .name = "fast", .run = fast_run };

static void
scheduler__hung_probe__reported_unknown_others_unaffected(void **state)
{
	struct target hung = { .name = "hung", .probe = "hang", .ops = &hang_ops, .timeout_ms = 200 };
	struct target fast = { .name = "fast", .probe = "fast", .ops = &fast_ops, .timeout_ms = 200 };
	struct target *ts[2] = { &hung, &fast };
	struct obs obs[2];
	int64_t ts_ms[2], t0 = probe_mono_ms(), took;

	sched_run_once(ts, 2, obs, ts_ms);
	took = probe_mono_ms() - t0;
	assert_non_null(obs[0].error);
	assert_non_null(strstr(obs[0].error, "did not finish"));
	assert_null(obs[1].error);
	assert_true(*obs_get_metric(&obs[1], "up") == 1);
	assert_true(took < 3500); /* timeout + grace, not the 4 s sleep */
	obs_free(&obs[0]);
	obs_free(&obs[1]);
}

static void
scheduler__periodic__fast_target_keeps_schedule_while_other_hangs(void **state)
{
	struct target hung = { .name = "hung", .probe = "hang", .ops = &hang_ops, .timeout_ms = 5000 };
	struct target fast = { .name = "fast", .probe = "fast", .ops = &fast_ops, .timeout_ms = 1000 };
	struct target *ts[2] = { &hung, &fast };
	int64_t iv[2] = { 1000, 200 };
	struct sched *s = sched_new(ts, 2, iv, 0, NULL, NULL);
	struct sched_result *res = NULL;
	size_t nres = 0, cap = 0, nfast = 0;
	int64_t end = probe_mono_ms() + 1500;

	while (probe_mono_ms() < end)
		sched_poll(s, end - probe_mono_ms(), &res, &nres, &cap);
	for (size_t i = 0; i < nres; i++) {
		if (res[i].target_index == 1)
			nfast++;
		obs_free(&res[i].obs);
	}
	/* 200 ms interval over 1.5 s: 7 or 8 runs, whatever the hung one does */
	assert_true(nfast >= 6);
	free(res);
	sched_free(s);
}

static int
setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mxsla-core.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	(void)!system(cmd);
	free(cmd);
	ruleset_free(&test_rules);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(subproc__echo__captures_stdout_and_status),
		cmocka_unit_test(subproc__missing_program__fails_with_reason),
		cmocka_unit_test(subproc__slow_program__killed_at_timeout),
		cmocka_unit_test(subproc__large_output__truncated_at_cap),
		cmocka_unit_test(subproc__stdin_data__reaches_the_child),
		cmocka_unit_test(obs__set_twice__replaces),
		cmocka_unit_test(rules__site_pack__overrides_and_disables),
		cmocka_unit_test(rules__bad_pack__reports_every_error_located),
		cmocka_unit_test(check__thresholds__pick_worst_status_with_message),
		cmocka_unit_test(check__missing_metric__is_unknown_naming_it),
		cmocka_unit_test(check__unknown_expression__gives_unknown),
		cmocka_unit_test(check_for__worse_status__held_until_duration_then_reported),
		cmocka_unit_test(checkset__roles_and_globs__select_targets),
		cmocka_unit_test(scheduler__hung_probe__reported_unknown_others_unaffected),
		cmocka_unit_test(scheduler__periodic__fast_target_keeps_schedule_while_other_hangs),
	};
	return cmocka_run_group_tests_name("core", tests, setup, teardown);
}
