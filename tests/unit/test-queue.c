/*
 * test-queue.c - the queue probe: the postqueue -j and exim -bp parsers on
 * listings captured from real Postfix 3.7 and Exim 4.96 queues
 * (tests/data/queue/README), the command driver's named groups, option
 * checking, and whole runs of real programs through probe_queue_ops.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfgerr.h"
#include "obs.h"
#include "probe.h"
#include "queue.h"
#include "subproc.h"
#include "rx.h"
#include "testutil.h"
#include "xmalloc.h"

/* When the all-queues listing was captured (date +%s right after it). */
#define CAPTURE_NOW 1795290643

/* ---- postfix: postqueue -j ---------------------------------------------- */

static void postfix_parse__all_queues_capture__counts_each_queue(void **state)
{
	size_t len;
	char *text = tu_read_data("queue", "postqueue-j-all-queues.jsonl", &len);
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_postfix_parse(text, len, CAPTURE_NOW, 0, &o), 0);
	assert_null(o.error);
	assert_int_equal(tu_metric(&o, "total"), 12);
	assert_int_equal(tu_metric(&o, "active"), 1);
	assert_int_equal(tu_metric(&o, "deferred"), 6);
	assert_int_equal(tu_metric(&o, "hold"), 1);
	/* 3 in incoming + 1 in maildrop */
	assert_int_equal(tu_metric(&o, "incoming"), 4);
	assert_int_equal(tu_metric(&o, "size_bytes"), 34414);
	assert_int_equal(tu_metric(&o, "bad_lines"), 0);
	/* the oldest arrival_time is 1795290508 */
	assert_int_equal(tu_metric(&o, "oldest_age_s"), CAPTURE_NOW - 1795290508);
	assert_null(obs_get_metric(&o, "corrupt"));
	obs_free(&o);
	free(text);
}

static void postfix_parse__all_queues_capture__top_destination_over_active_and_deferred(void **state)
{
	size_t len;
	char *text = tu_read_data("queue", "postqueue-j-all-queues.jsonl", &len);
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_postfix_parse(text, len, CAPTURE_NOW, 0, &o), 0);
	/* example.net: bob, erin, frank, carol (deferred); example.org has 3
	   there (oscar active, dave and root deferred) and 2 more that do not
	   count: hold@ (hold queue) and root@ in maildrop */
	assert_string_equal(obs_get_fact(&o, "top_destination"), "example.net");
	assert_int_equal(tu_metric(&o, "top_destination_count"), 4);
	obs_free(&o);
	free(text);
}

static void postfix_parse__all_queues_capture__last_error_of_newest_deferred(void **state)
{
	size_t len;
	char *text = tu_read_data("queue", "postqueue-j-all-queues.jsonl", &len);
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_postfix_parse(text, len, CAPTURE_NOW, 0, &o), 0);
	/* 08FF2A74004 arrived last among the deferred (1795290563), although
	   it is not the last deferred line of the listing */
	assert_string_equal(obs_get_fact(&o, "last_error"), "destination under maintenance");
	obs_free(&o);
	free(text);
}

static void postfix_parse__empty_queue__zero_counts_no_facts(void **state)
{
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_postfix_parse("", 0, CAPTURE_NOW, 0, &o), 0);
	assert_null(o.error);
	assert_int_equal(tu_metric(&o, "total"), 0);
	assert_int_equal(tu_metric(&o, "active"), 0);
	assert_int_equal(tu_metric(&o, "deferred"), 0);
	assert_int_equal(tu_metric(&o, "hold"), 0);
	assert_int_equal(tu_metric(&o, "incoming"), 0);
	assert_int_equal(tu_metric(&o, "oldest_age_s"), 0);
	assert_int_equal(tu_metric(&o, "top_destination_count"), 0);
	assert_null(obs_get_fact(&o, "top_destination"));
	assert_null(obs_get_fact(&o, "last_error"));
	obs_free(&o);
}

static void postfix_parse__one_bad_line__counted_and_others_kept(void **state)
{
	size_t len;
	char *text = tu_read_data("queue", "postqueue-j-all-queues.jsonl", &len);
	char *mixed = xasprintf("postqueue: warning: not json\n%s[1,2]\n", text);
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_postfix_parse(mixed, strlen(mixed), CAPTURE_NOW, 0, &o), 0);
	assert_null(o.error);
	assert_int_equal(tu_metric(&o, "total"), 12);
	assert_int_equal(tu_metric(&o, "bad_lines"), 2);
	obs_free(&o);
	free(mixed);
	free(text);
}

static void postfix_parse__only_bad_lines__error_names_first(void **state)
{
	const char *text = "{\"queue_id\": \"95CD2A7411A\"}\nnot json at all\n";
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_postfix_parse(text, strlen(text), CAPTURE_NOW, 0, &o), -1);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "no queue entry in 2 lines"));
	assert_non_null(strstr(o.error, "line 1: no queue_name"));
	assert_null(obs_get_metric(&o, "total"));
	obs_free(&o);
}

static void postfix_parse__truncated_listing__partial_line_dropped_and_flagged(void **state)
{
	size_t len;
	char *text = tu_read_data("queue", "postqueue-j-all-queues.jsonl", &len);
	const char *p = text;
	struct obs o;

	(void)state;
	/* cut in the middle of the fifth line */
	for (int i = 0; i < 4; i++)
		p = strchr(p, '\n') + 1;
	obs_init(&o);
	assert_int_equal(queue_postfix_parse(text, (size_t)(p - text) + 20, CAPTURE_NOW, 1, &o), 0);
	assert_int_equal(tu_metric(&o, "total"), 4);
	assert_int_equal(tu_metric(&o, "bad_lines"), 0);
	assert_non_null(obs_get_fact(&o, "truncated"));
	obs_free(&o);
	free(text);
}

static void postfix_count_dir__files__counted_missing_dir_fails(void **state)
{
	char *dir = tu_mkdtemp("queue");
	long n = -1;
	char *err = NULL;

	(void)state;
	assert_int_equal(queue_postfix_count_dir(dir, &n, &err), 0);
	assert_int_equal(n, 0);
	for (int i = 0; i < 3; i++) {
		char *f = xasprintf("%s/%c1234ABCD", dir, 'A' + i);
		tu_write_file(f, "");
		free(f);
	}
	assert_int_equal(queue_postfix_count_dir(dir, &n, &err), 0);
	assert_int_equal(n, 3);
	tu_rm_rf(dir);
	assert_int_equal(queue_postfix_count_dir(dir, &n, &err), -1);
	assert_non_null(strstr(err, "No such file or directory"));
	free(err);
	free(dir);
}

/* ---- exim: exim -bp ------------------------------------------------------ */

static void exim_parse__real_listing__counts_frozen_and_deferred(void **state)
{
	size_t len;
	char *text = tu_read_data("queue", "exim-bp-mixed.txt", &len);
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_exim_parse(text, len, 0, &o), 0);
	assert_null(o.error);
	assert_int_equal(tu_metric(&o, "total"), 7);
	assert_int_equal(tu_metric(&o, "hold"), 2);
	assert_int_equal(tu_metric(&o, "deferred"), 5);
	assert_int_equal(tu_metric(&o, "corrupt"), 0);
	assert_int_equal(tu_metric(&o, "bad_lines"), 0);
	/* the oldest line says "7d" */
	assert_int_equal(tu_metric(&o, "oldest_age_s"), 7 * 86400);
	/* 121K + 328 + 45K + 306 + 326 + 266 + 312 */
	assert_int_equal(tu_metric(&o, "size_bytes"), 121 * 1024 + 328 + 45 * 1024 + 306 + 326 + 266 + 312);
	assert_null(obs_get_metric(&o, "active"));
	assert_null(obs_get_metric(&o, "incoming"));
	obs_free(&o);
	free(text);
}

static void exim_parse__real_listing__top_destination_skips_delivered_and_frozen(void **state)
{
	size_t len;
	char *text = tu_read_data("queue", "exim-bp-mixed.txt", &len);
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_exim_parse(text, len, 0, &o), 0);
	/* example.org: board, audit, a, b; example.net: oncall, bob, c (the
	   frozen sre-team@ does not count); the delivered ceo@ does not count */
	assert_string_equal(obs_get_fact(&o, "top_destination"), "example.org");
	assert_int_equal(tu_metric(&o, "top_destination_count"), 4);
	assert_null(obs_get_fact(&o, "last_error"));
	obs_free(&o);
	free(text);
}

static void exim_parse__spool_errors_and_missing_age__counted_corrupt(void **state)
{
	/* the shapes exim's queue_list() prints for unreadable spool files
	   (src/queue.c, string_format_size() in src/string.c): no age column
	   and five blanks for the size when the envelope could not be read,
	   an error line indented by four spaces; and a generated, delivered
	   address as -bpa shows it */
	const char *text =
		"      1xTPCQ-0004r6-2p\n"
		"    *** spool read error: No such file or directory ***\n"
		"\n"
		" 3h   266 1xUoIQ-0004rI-2v <> *** frozen ***\n"
		"          postmaster@example.com\n"
		"       +D generated@example.com\n"
		"\n"
		"25m  2.9K 1xUqiQ-000000004rM-2x3y <alice@example.org>\n"
		"    *** spool format error: size=1234 ***\n"
		"          bob@Example.NET\n"
		"\n";
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_exim_parse(text, strlen(text), 0, &o), 0);
	assert_int_equal(tu_metric(&o, "total"), 3);
	assert_int_equal(tu_metric(&o, "hold"), 1);
	assert_int_equal(tu_metric(&o, "corrupt"), 2);
	assert_int_equal(tu_metric(&o, "oldest_age_s"), 3 * 3600);
	assert_int_equal(tu_metric(&o, "bad_lines"), 0);
	assert_string_equal(obs_get_fact(&o, "top_destination"), "example.net");
	obs_free(&o);
}

static void exim_parse__empty_queue__zero_counts(void **state)
{
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_exim_parse("", 0, 0, &o), 0);
	assert_int_equal(tu_metric(&o, "total"), 0);
	assert_int_equal(tu_metric(&o, "deferred"), 0);
	assert_int_equal(tu_metric(&o, "oldest_age_s"), 0);
	obs_free(&o);
}

static void exim_parse__not_a_listing__error(void **state)
{
	const char *text = "exim: permission denied\n";
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_exim_parse(text, strlen(text), 0, &o), -1);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "exim: permission denied"));
	obs_free(&o);
}

static void exim_columns__ages_and_sizes__parsed_as_exim_prints_them(void **state)
{
	static const struct { const char *tok; long s; } ages[] = {
		{ "0m", 0 }, { "25m", 1500 }, { "90m", 5400 }, { "26h", 93600 },
		{ "72h", 259200 }, { "4d", 345600 }, { "m", -1 }, { "5x", -1 },
		{ "1.5h", -1 }, { "328", -1 },
	};
	static const struct { const char *tok; double b; } sizes[] = {
		{ "328", 328 }, { "2.9K", 2.9 * 1024 }, { "45K", 45 * 1024 },
		{ "1.2M", 1.2 * 1024 * 1024 }, { "12M", 12 * 1024 * 1024 }, { "K", -1 },
		{ "3x", -1 }, { "1.2.3", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++)
		assert_int_equal(queue_exim_age_s(ages[i].tok, strlen(ages[i].tok)), ages[i].s);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		assert_true(queue_exim_size(sizes[i].tok, strlen(sizes[i].tok)) - sizes[i].b < 1e-6 &&
			    sizes[i].b - queue_exim_size(sizes[i].tok, strlen(sizes[i].tok)) < 1e-6);
}

/* ---- command: named groups ---------------------------------------------- */

static void command_parse__exim_bpc_count__becomes_total(void **state)
{
	size_t len;
	char *text = tu_read_data("queue", "exim-bpc.txt", &len);
	struct rx *rx = tu_rx("^(?<total>\\d+)$", 0);
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_command_parse(rx, text, len, &o), 0);
	assert_int_equal(tu_metric(&o, "total"), 7);
	obs_free(&o);
	rx_free(rx);
	free(text);
}

static void command_parse__numeric_and_text_groups__metrics_and_facts(void **state)
{
	const char *text = "messages in queue: 3\nmessages in queue but not yet preprocessed: 0\n"
			   "state: congested \n";
	struct rx *rx = tu_rx("(?ms)queue: (?<total>\\d+)$.*?preprocessed: (?<incoming>\\S+)"
			      ".*?state: (?<state>[^\\n]*)(?<missing>x)?", 0);
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_command_parse(rx, text, strlen(text), &o), 0);
	assert_int_equal(tu_metric(&o, "total"), 3);
	assert_int_equal(tu_metric(&o, "incoming"), 0);
	assert_string_equal(obs_get_fact(&o, "state"), "congested");
	assert_null(obs_get_fact(&o, "missing"));
	assert_null(obs_get_metric(&o, "missing"));
	obs_free(&o);
	rx_free(rx);
}

static void command_parse__no_match__error(void **state)
{
	struct rx *rx = tu_rx("deferred: (?<deferred>\\d+)", 0);
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(queue_command_parse(rx, "queue empty\n", 12, &o), -1);
	assert_string_equal(o.error, "output does not match pattern");
	obs_free(&o);
	rx_free(rx);
}

/* ---- configuration and whole runs ---------------------------------------- */

static int ctx_configure(struct tu_probe *c, const char *yaml, int64_t timeout_ms)
{
	return tu_probe_configure(c, &probe_queue_ops, "queue", yaml, timeout_ms);
}

static void queue_configure__options_of_other_drivers__rejected(void **state)
{
	struct tu_probe c;

	(void)state;
	assert_int_equal(ctx_configure(&c, "name: q\nprobe: queue\ndriver: exim\nconfig_dir: /etc/postfix\n",
				       10000), -1);
	assert_true(tu_errs_contain(&c.errs, "config_dir is only for driver postfix"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "name: q\nprobe: queue\ndriver: command\ncommand: [mailq]\n",
				       10000), -1);
	assert_true(tu_errs_contain(&c.errs, "driver command needs pattern"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: command\ncommand: [mailq]\npattern: \"\\\\d+\"\n",
				       10000), -1);
	assert_true(tu_errs_contain(&c.errs, "no named group"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: sendmail\n", 10000), -1);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: postfix\nconfig_dir: etc/postfix\n", 10000), -1);
	assert_true(tu_errs_contain(&c.errs, "config_dir must be absolute"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "name: q\nprobe: queue\ndriver: postfix\n", 10000), 0);
	assert_string_equal(c.t.driver, "postfix");
	tu_probe_free(&c);
}

static void queue_run__postqueue_missing__error(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "driver: postfix\npostqueue: /nonexistent/sbin/postqueue\n"
					   "postconf: /nonexistent/sbin/postconf\n", 10000), 0);
	tu_probe_run(&c, &o);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "/nonexistent/sbin/postqueue"));
	assert_null(obs_get_metric(&o, "total"));
	obs_free(&o);
	tu_probe_free(&c);
}

static void queue_run__real_postqueue_without_queue_directory__fatal_line(void **state)
{
	char *dir;
	char *cf, *main_cf, *yaml;
	struct tu_probe c;
	struct obs o;

	(void)state;
	if (access("/usr/sbin/postqueue", X_OK) != 0)
		skip();
	dir = tu_mkdtemp("queue-pf");
	cf = xasprintf("%s/main.cf", dir);
	main_cf = xasprintf("queue_directory = %s/no-such-spool\nmaillog_file = /dev/stdout\n", dir);
	tu_write_file(cf, main_cf);
	yaml = xasprintf("driver: postfix\nconfig_dir: %s\npostqueue: /usr/sbin/postqueue\n", dir);
	assert_int_equal(ctx_configure(&c, yaml, 10000), 0);
	tu_probe_run(&c, &o);
	assert_non_null(o.error);
	/* "postqueue: fatal: chdir /tmp/.../no-such-spool: No such file or directory" */
	assert_non_null(strstr(o.error, "postqueue: fatal:"));
	assert_non_null(strstr(o.error, "no-such-spool"));
	obs_free(&o);
	tu_probe_free(&c);
	tu_rm_rf(dir);
	free(dir);
	free(cf);
	free(main_cf);
	free(yaml);
}

static void queue_run__command_driver__real_program_output_matched(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "driver: command\n"
					   "command: [/bin/echo, \"messages in queue: 42\"]\n"
					   "pattern: \"messages in queue: (?<total>\\\\d+)\"\n", 10000), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_int_equal(tu_metric(&o, "total"), 42);
	obs_free(&o);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: command\ncommand: [/bin/false]\n"
					   "pattern: \"(?<total>\\\\d+)\"\n", 10000), 0);
	tu_probe_run(&c, &o);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "exit status 1"));
	obs_free(&o);
	tu_probe_free(&c);
}

static void queue_run__program_sleeps_past_timeout__error_in_time(void **state)
{
	struct tu_probe c;
	struct obs o;
	int64_t t0;

	(void)state;
	assert_int_equal(ctx_configure(&c, "driver: command\ncommand: [/bin/sleep, \"5\"]\n"
					   "pattern: \"(?<total>\\\\d+)\"\n", 300), 0);
	t0 = probe_mono_ms();
	tu_probe_run(&c, &o);
	assert_true(probe_mono_ms() - t0 < 3000);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "timed out"));
	obs_free(&o);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: exim\nexim: /bin/sleep\n", 300), 0);
	t0 = probe_mono_ms();
	tu_probe_run(&c, &o);
	assert_true(probe_mono_ms() - t0 < 3000);
	assert_non_null(o.error);
	obs_free(&o);
	tu_probe_free(&c);
}

static void queue_run__exim_missing__error(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "driver: exim\nexim: /nonexistent/exim4\n", 10000), 0);
	tu_probe_run(&c, &o);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "/nonexistent/exim4"));
	obs_free(&o);
	tu_probe_free(&c);
}

static void subproc_stderr_reason__fatal_line_preferred(void **state)
{
	char *r;

	(void)state;
	size_t len;
	char *down = tu_read_data("queue", "postqueue-j-down.stderr", &len);
	r = subproc_stderr_reason(down);
	assert_string_equal(r, "postqueue: fatal: Queue report unavailable - mail system is down "
			       "(Connect to the Postfix showq service: No such file or directory)");
	free(r);
	free(down);
	r = subproc_stderr_reason("postqueue: warning: Mail system is down -- accessing queue directly\n"
				"postqueue: fatal: malformed showq server response\n");
	assert_string_equal(r, "postqueue: fatal: malformed showq server response");
	free(r);
	r = subproc_stderr_reason("\n  \nexim: spool directory not found\nmore\n");
	assert_string_equal(r, "exim: spool directory not found");
	free(r);
	assert_null(subproc_stderr_reason(""));
	assert_null(subproc_stderr_reason(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(postfix_parse__all_queues_capture__counts_each_queue),
		cmocka_unit_test(postfix_parse__all_queues_capture__top_destination_over_active_and_deferred),
		cmocka_unit_test(postfix_parse__all_queues_capture__last_error_of_newest_deferred),
		cmocka_unit_test(postfix_parse__empty_queue__zero_counts_no_facts),
		cmocka_unit_test(postfix_parse__one_bad_line__counted_and_others_kept),
		cmocka_unit_test(postfix_parse__only_bad_lines__error_names_first),
		cmocka_unit_test(postfix_parse__truncated_listing__partial_line_dropped_and_flagged),
		cmocka_unit_test(postfix_count_dir__files__counted_missing_dir_fails),
		cmocka_unit_test(exim_parse__real_listing__counts_frozen_and_deferred),
		cmocka_unit_test(exim_parse__real_listing__top_destination_skips_delivered_and_frozen),
		cmocka_unit_test(exim_parse__spool_errors_and_missing_age__counted_corrupt),
		cmocka_unit_test(exim_parse__empty_queue__zero_counts),
		cmocka_unit_test(exim_parse__not_a_listing__error),
		cmocka_unit_test(exim_columns__ages_and_sizes__parsed_as_exim_prints_them),
		cmocka_unit_test(command_parse__exim_bpc_count__becomes_total),
		cmocka_unit_test(command_parse__numeric_and_text_groups__metrics_and_facts),
		cmocka_unit_test(command_parse__no_match__error),
		cmocka_unit_test(queue_configure__options_of_other_drivers__rejected),
		cmocka_unit_test(queue_run__postqueue_missing__error),
		cmocka_unit_test(queue_run__real_postqueue_without_queue_directory__fatal_line),
		cmocka_unit_test(queue_run__command_driver__real_program_output_matched),
		cmocka_unit_test(queue_run__program_sleeps_past_timeout__error_in_time),
		cmocka_unit_test(queue_run__exim_missing__error),
		cmocka_unit_test(subproc_stderr_reason__fatal_line_preferred),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
