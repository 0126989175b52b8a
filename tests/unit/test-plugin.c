/*
 * test-plugin.c - the plugin probe: output and perfdata parsing on outputs
 * captured from Debian's monitoring-plugins 2.3.3 and on the Nagios Plugin
 * API's multi-line example (tests/data/plugin/README), the mapping of
 * exit codes to status, and whole runs of real programs through
 * probe_plugin_ops.
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

#include "cfgerr.h"
#include "obs.h"
#include "plugin.h"
#include "probe.h"
#include "subproc.h"
#include "testutil.h"

#define PLUGINS "/usr/lib/nagios/plugins"

static void parse_fixture(const char *name, struct obs *o)
{
	size_t len;
	char *text = tu_read_data("plugin", name, &len);

	obs_init(o);
	plugin_parse_output(text, len, o);
	assert_null(o->error);
	free(text);
}

/* ---- parsing captured outputs -------------------------------------------- */

static void plugin_parse__check_disk_quoted_label__sanitised_with_thresholds(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture("check_disk-quoted-label-warning.out", &o);
	assert_fact(&o, "output", "DISK WARNING - free space: / 81443MiB (83% inode=97%); "
				  "/tmp/queue mnt/mail spool 10MiB (16% inode=99%); "
				  "/dev/shm 24103MiB (99% inode=99%);");
	/* / */
	assert_metric(&o, "_", 17345544192.0);
	assert_metric(&o, "__warn", 216442024755.0);
	assert_metric(&o, "__crit", 243497277849.0);
	assert_metric(&o, "__min", 0);
	assert_metric(&o, "__max", 270552530944.0);
	/* '/tmp/queue mnt/mail spool' */
	assert_metric(&o, "_tmp_queue_mnt_mail_spool", 55574528);
	assert_metric(&o, "_tmp_queue_mnt_mail_spool_warn", 53687091);
	assert_metric(&o, "_tmp_queue_mnt_mail_spool_crit", 60397977);
	assert_metric(&o, "_tmp_queue_mnt_mail_spool_max", 67108864);
	/* /dev/shm */
	assert_metric(&o, "_dev_shm", 2097152);
	assert_metric(&o, "_dev_shm_max", 25275924480.0);
	assert_int_equal(o.nm, 15);
	assert_null(obs_get_fact(&o, "perfdata_error"));
	assert_null(obs_get_fact(&o, "long_output"));
	obs_free(&o);
}

static void plugin_parse__check_load_scaled__empty_fields_absent(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture("check_load-r.out", &o);
	assert_fact(&o, "output", "LOAD OK - scaled load average: 0.01, 0.03, 0.01 - "
				  "total load average: 0.02, 0.06, 0.02");
	assert_metric(&o, "load1", 0.02);
	assert_metric(&o, "load1_min", 0);
	assert_null(obs_get_metric(&o, "load1_warn"));
	assert_null(obs_get_fact(&o, "load1_warn"));
	assert_null(obs_get_metric(&o, "load1_max"));
	assert_metric(&o, "scaled_load5", 0.03);
	assert_metric(&o, "scaled_load5_warn", 4);
	assert_metric(&o, "scaled_load5_crit", 8);
	assert_metric(&o, "load15", 0.02);
	assert_metric(&o, "scaled_load15_crit", 6);
	/* 6 values, 6 minimums, 3 warn and 3 crit */
	assert_int_equal(o.nm, 18);
	obs_free(&o);
}

static void plugin_parse__check_procs_ranges__thresholds_as_facts(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture("check_procs-critical.out", &o);
	assert_fact(&o, "output", "PROCS CRITICAL: 0 processes with command name 'postfix'");
	assert_metric(&o, "procs", 0);
	assert_fact(&o, "procs_warn", "5:10");
	assert_fact(&o, "procs_crit", "1:400");
	assert_metric(&o, "procs_min", 0);
	assert_null(obs_get_metric(&o, "procs_warn"));
	assert_int_equal(o.nm, 2);
	obs_free(&o);

	parse_fixture("check_procs.out", &o);
	assert_fact(&o, "output", "PROCS OK: 121 processes");
	assert_metric(&o, "procs", 121);
	assert_metric(&o, "procs_warn", 250);
	assert_metric(&o, "procs_crit", 400);
	obs_free(&o);
}

static void plugin_parse__small_plugins__values_and_units_dropped(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture("check_users.out", &o);
	assert_fact(&o, "output", "USERS OK - 0 users currently logged in");
	assert_metric(&o, "users", 0);
	assert_metric(&o, "users_warn", 5);
	assert_metric(&o, "users_crit", 10);
	assert_metric(&o, "users_min", 0);
	obs_free(&o);

	parse_fixture("check_smtp.out", &o);
	assert_fact(&o, "output", "SMTP OK - 0.000 sec. response time");
	/* time=0.000458s: seconds kept as written */
	assert_metric(&o, "time", 0.000458);
	assert_metric(&o, "time_min", 0);
	assert_int_equal(o.nm, 2);
	obs_free(&o);

	parse_fixture("check_swap-critical.out", &o);
	assert_fact(&o, "output", "SWAP CRITICAL - 0% free (0MB out of 0MB) - Swap is either "
				  "disabled, not present, or of zero size.");
	assert_metric(&o, "swap", 0);
	assert_metric(&o, "swap_max", 0);
	assert_int_equal(o.nm, 5);
	obs_free(&o);

	parse_fixture("check_dummy-warning.out", &o);
	assert_fact(&o, "output", "WARNING: hello");
	assert_int_equal(o.nm, 0);
	obs_free(&o);

	parse_fixture("check_tcp-refused.out", &o);
	assert_fact(&o, "output", "connect to address 127.0.0.1 and port 9: Connection refused");
	assert_int_equal(o.nm, 0);
	obs_free(&o);
}

static void plugin_parse__multiline_api_example__long_output_and_later_perfdata(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture("nagios-pluginapi-multiline.out", &o);
	assert_fact(&o, "output", "DISK OK - free space: / 3326 MB (56%);");
	assert_fact(&o, "long_output", "/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n"
				       "/var/log 819 MB (84%);");
	assert_metric(&o, "_", 2643);
	assert_metric(&o, "__max", 5968);
	/* on the line after the second '|' */
	assert_metric(&o, "_boot", 68);
	assert_metric(&o, "_boot_crit", 93);
	/* on the lines after that */
	assert_metric(&o, "_home", 69357);
	assert_metric(&o, "_home_warn", 253404);
	assert_metric(&o, "_var_log", 818);
	assert_metric(&o, "_var_log_max", 980);
	assert_int_equal(o.nm, 20);
	obs_free(&o);
}

/* ---- perfdata grammar ----------------------------------------------------- */

static void plugin_perfdata__quoting_u_and_odd_items__per_guidelines(void **state)
{
	const char *perf = "'it''s'=1;;;; a=U b=5c 'x y'=3.5% t=-1.5e3ms c==2 noeq "
			   "'status'=4 output=7 'open=1";
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(plugin_parse_perfdata(perf, strlen(perf), &o), 6);
	assert_metric(&o, "it_s", 1);
	assert_null(obs_get_metric(&o, "a"));
	assert_metric(&o, "b", 5);
	assert_metric(&o, "x_y", 3.5);
	assert_metric(&o, "t", -1500);
	assert_null(obs_get_metric(&o, "c"));
	assert_metric(&o, "perf_status", 4);
	assert_metric(&o, "perf_output", 7);
	assert_null(obs_get_metric(&o, "status"));
	assert_fact(&o, "perfdata_error", "bad value: c==2");
	obs_free(&o);
}

static void plugin_parse__no_output__empty_output_fact(void **state)
{
	struct obs o;

	(void)state;
	obs_init(&o);
	plugin_parse_output("", 0, &o);
	assert_fact(&o, "output", "");
	assert_int_equal(o.nm, 0);
	obs_free(&o);
}

static void plugin_status__exit_codes_signals_timeouts__nagios_states(void **state)
{
	struct subproc_result r;
	char *why;

	(void)state;
	for (int code = 0; code <= 3; code++) {
		memset(&r, 0, sizeof(r));
		r.exited = 1;
		r.status = code;
		assert_int_equal(plugin_status(&r, &why), code);
		assert_null(why);
	}
	memset(&r, 0, sizeof(r));
	r.exited = 1;
	r.status = 127;
	assert_int_equal(plugin_status(&r, &why), 3);
	assert_string_equal(why, "exit status 127 is not a plugin status");
	free(why);

	memset(&r, 0, sizeof(r));
	r.signaled = 9;
	assert_int_equal(plugin_status(&r, &why), 3);
	assert_string_equal(why, "killed by signal 9");
	free(why);

	memset(&r, 0, sizeof(r));
	r.timed_out = 1;
	r.signaled = 15;
	r.elapsed_ms = 10000;
	assert_int_equal(plugin_status(&r, &why), 3);
	assert_string_equal(why, "timed out after 10.0s");
	free(why);
}

/* ---- configuration and whole runs ---------------------------------------- */

static int ctx_configure(struct tu_probe *c, const char *yaml, int64_t timeout_ms)
{
	return tu_probe_configure(c, &probe_plugin_ops, "legacy", yaml, timeout_ms);
}

static void plugin_configure__command_required(void **state)
{
	struct tu_probe c;

	(void)state;
	assert_int_equal(ctx_configure(&c, "name: legacy\nprobe: plugin\n", 10000), -1);
	assert_true(c.errs.n > 0);
	tu_probe_free(&c);
	assert_int_equal(ctx_configure(&c, "command: []\n", 10000), -1);
	tu_probe_free(&c);
	assert_int_equal(ctx_configure(&c, "command: [" PLUGINS "/check_load, -w, \"5,4,3\"]\n"
					   "shell: yes\n", 10000), -1);
	tu_probe_free(&c);
	assert_int_equal(ctx_configure(&c, "command: [" PLUGINS "/check_load]\n", 10000), 0);
	assert_string_equal(c.t.driver, "check_load");
	tu_probe_free(&c);
}

static void plugin_run__check_dummy_warning__status_and_output(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	if (access(PLUGINS "/check_dummy", X_OK) != 0)
		skip();
	assert_int_equal(ctx_configure(&c, "command: [" PLUGINS "/check_dummy, \"1\", hello]\n",
				       10000), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_metric(&o, "status", 1);
	assert_fact(&o, "output", "WARNING: hello");
	assert_int_equal(o.nm, 1);
	obs_free(&o);
	tu_probe_free(&c);
}

static void plugin_run__check_load__perfdata_metrics(void **state)
{
	struct tu_probe c;
	struct obs o;
	const double *st;

	(void)state;
	if (access(PLUGINS "/check_load", X_OK) != 0)
		skip();
	assert_int_equal(ctx_configure(&c, "command: [" PLUGINS "/check_load, -r, -w, \"500,400,300\","
					   " -c, \"1000,800,600\"]\n", 10000), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	st = obs_get_metric(&o, "status");
	assert_non_null(st);
	assert_int_equal(*st, 0);
	assert_non_null(obs_get_metric(&o, "load1"));
	assert_metric(&o, "scaled_load1_warn", 500);
	assert_metric(&o, "scaled_load15_crit", 600);
	assert_non_null(strstr(obs_get_fact(&o, "output"), "LOAD OK"));
	obs_free(&o);
	tu_probe_free(&c);
}

static void plugin_run__bad_exit_and_signal__unknown_with_reason(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "command: [/bin/sh, -c, \"echo 'weird | x=1'; exit 7\"]\n",
				       10000), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_metric(&o, "status", 3);
	assert_fact(&o, "output", "exit status 7 is not a plugin status: weird");
	assert_metric(&o, "x", 1);
	obs_free(&o);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "command: [/bin/sh, -c, \"kill -9 $$\"]\n", 10000), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_metric(&o, "status", 3);
	assert_fact(&o, "output", "/bin/sh: killed by signal 9");
	obs_free(&o);
	tu_probe_free(&c);
}

static void plugin_run__sleeps_past_timeout__unknown_in_time(void **state)
{
	struct tu_probe c;
	struct obs o;
	int64_t t0;

	(void)state;
	assert_int_equal(ctx_configure(&c, "command: [/bin/sleep, \"5\"]\n", 300), 0);
	t0 = probe_mono_ms();
	tu_probe_run(&c, &o);
	assert_true(probe_mono_ms() - t0 < 3000);
	assert_null(o.error);
	assert_metric(&o, "status", 3);
	assert_non_null(strstr(obs_get_fact(&o, "output"), "timed out after"));
	obs_free(&o);
	tu_probe_free(&c);
}

static void plugin_run__program_missing__error(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "command: [/nonexistent/check_mailq, -w, \"100\"]\n",
				       10000), 0);
	tu_probe_run(&c, &o);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "/nonexistent/check_mailq"));
	assert_null(obs_get_metric(&o, "status"));
	obs_free(&o);
	tu_probe_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plugin_parse__check_disk_quoted_label__sanitised_with_thresholds),
		cmocka_unit_test(plugin_parse__check_load_scaled__empty_fields_absent),
		cmocka_unit_test(plugin_parse__check_procs_ranges__thresholds_as_facts),
		cmocka_unit_test(plugin_parse__small_plugins__values_and_units_dropped),
		cmocka_unit_test(plugin_parse__multiline_api_example__long_output_and_later_perfdata),
		cmocka_unit_test(plugin_perfdata__quoting_u_and_odd_items__per_guidelines),
		cmocka_unit_test(plugin_parse__no_output__empty_output_fact),
		cmocka_unit_test(plugin_status__exit_codes_signals_timeouts__nagios_states),
		cmocka_unit_test(plugin_configure__command_required),
		cmocka_unit_test(plugin_run__check_dummy_warning__status_and_output),
		cmocka_unit_test(plugin_run__check_load__perfdata_metrics),
		cmocka_unit_test(plugin_run__bad_exit_and_signal__unknown_with_reason),
		cmocka_unit_test(plugin_run__sleeps_past_timeout__unknown_in_time),
		cmocka_unit_test(plugin_run__program_missing__error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
