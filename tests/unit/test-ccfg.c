/*
 * test-ccfg.c - collector.yaml (collector/collector_config.c): every key
 * decoded, every kind of error with its exact FILE:LINE:COL message, all
 * errors of a file reported at once, tokens kept as SHA-256 only,
 * selector matching, the stale limit, and maintenance windows cut to a
 * month in Europe/Berlin.
 *
 * Configurations are written into a temporary directory (secret files
 * need mode 0600, which git does not keep); messages are compared with
 * that directory's path removed, so "c.yaml:2:5: ..." is what is written
 * below.
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

#include <openssl/sha.h>

#include "caltime.h"
#include "cfgerr.h"
#include "collector_config.h"
#include "status.h"
#include "testutil.h"
#include "xmalloc.h"

#define DATA_DIR TEST_DATA_DIR "/collector"

/* The temporary directory of the current test. */
static char *tmpdir;

static int
setup(void **state)
{
	(void)state;
	unsetenv("TZDIR");
	tmpdir = tu_mkdtemp("ccfg");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_rm_rf(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
	return 0;
}

/* s with every "<tmpdir>/" and "<DATA_DIR>/" removed; xmalloc'd. */
static char *
strip_dirs(const char *s)
{
	const char *dirs[2] = { tmpdir, DATA_DIR };
	char *out = xstrdup(s);

	for (size_t d = 0; d < 2; d++) {
		char *pre = xasprintf("%s/", dirs[d]), *p;
		size_t n = strlen(pre);

		while ((p = strstr(out, pre)) != NULL)
			memmove(p, p + n, strlen(p + n) + 1);
		free(pre);
	}
	return out;
}

/* 1 if the error list is exactly want (NULL-terminated); otherwise 0
   after printing both lists. */
static int
errors_equal(const struct cfgerr *e, const char *const *want)
{
	size_t n = 0, i;
	int same;

	while (want[n] != NULL)
		n++;
	same = e->n == n;
	for (i = 0; same && i < n; i++) {
		char *got = strip_dirs(e->msgs[i]);

		same = strcmp(got, want[i]) == 0;
		free(got);
	}
	if (!same) {
		for (i = 0; i < e->n; i++) {
			char *got = strip_dirs(e->msgs[i]);

			print_error("got:  %s\n", got);
			free(got);
		}
		for (i = 0; i < n; i++)
			print_error("want: %s\n", want[i]);
	}
	return same;
}

static void
assert_errors(const struct cfgerr *e, const char *const *want)
{
	if (!errors_equal(e, want))
		fail_msg("the error lists differ");
}

static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

/* Write content to tmpdir/name with mode. */
static void
write_tmp(const char *name, const char *content, mode_t mode)
{
	char *p = tmp_path(name);

	tu_write_file(p, content);
	assert_int_equal(chmod(p, mode), 0);
	free(p);
}

/* Load text written to tmpdir/c.yaml; the config or NULL, errors in e. */
static struct collector_config *
load_text(const char *text, struct cfgerr *e)
{
	char *p = tmp_path("c.yaml");
	struct collector_config *cfg;

	tu_write_file(p, text);
	cfg = collector_config_load(p, e);
	free(p);
	return cfg;
}

/* 1 if text is refused with exactly the errors want; 0 after printing
   the difference. */
static int
refused_with(const char *text, const char *const *want)
{
	struct cfgerr e;
	struct collector_config *cfg;
	int ok;

	cfgerr_init(&e);
	cfg = load_text(text, &e);
	if (cfg != NULL) {
		collector_config_free(cfg);
		print_error("accepted: %s", text);
		ok = 0;
	} else {
		ok = errors_equal(&e, want);
	}
	cfgerr_free(&e);
	return ok;
}

static void
assert_refused(const char *text, const char *const *want)
{
	if (!refused_with(text, want))
		fail_msg("not refused as expected: %s", text);
}

/* text must load without an error. */
static struct collector_config *
load_ok(const char *text)
{
	struct cfgerr e;
	struct collector_config *cfg;

	cfgerr_init(&e);
	cfg = load_text(text, &e);
	if (cfg == NULL) {
		for (size_t i = 0; i < e.n; i++)
			print_error("%s\n", e.msgs[i]);
		fail_msg("refused: %s", text);
	}
	cfgerr_free(&e);
	return cfg;
}

static void
assert_digest(const unsigned char *got, const char *hex)
{
	char buf[65];

	for (size_t i = 0; i < 32; i++)
		snprintf(buf + 2 * i, 3, "%02x", got[i]);
	assert_string_equal(buf, hex);
}

/* full.yaml with @DIR@ replaced, and the files it names. */
static struct collector_config *
load_full(void)
{
	char *text = tu_read_data("collector", "full.yaml", NULL), *out, *p;
	size_t cap = strlen(text) + 64 * (strlen(tmpdir) + 1), len = 0;
	const char *s = text;
	struct collector_config *cfg;
	char *path;
	struct cfgerr e;

	out = xmalloc(cap);
	while ((p = strstr(s, "@DIR@")) != NULL) {
		memcpy(out + len, s, (size_t)(p - s));
		len += (size_t)(p - s);
		memcpy(out + len, tmpdir, strlen(tmpdir));
		len += strlen(tmpdir);
		s = p + 5;
	}
	memcpy(out + len, s, strlen(s) + 1);
	write_tmp("mbx01.token", "mbx01-token\n", 0600);
	write_tmp("auth.pw", "authpass99\n", 0640);
	write_tmp("smtp.pw", "smtp-password", 0600);
	write_tmp("tls.crt", "cert\n", 0644);
	write_tmp("tls.key", "key\n", 0600);
	write_tmp("ca.pem", "ca\n", 0644);
	path = tmp_path("full.yaml");
	tu_write_file(path, out);
	cfgerr_init(&e);
	cfg = collector_config_load(path, &e);
	for (size_t i = 0; i < e.n; i++)
		print_error("%s\n", e.msgs[i]);
	assert_non_null(cfg);
	cfgerr_free(&e);
	free(path);
	free(out);
	free(text);
	return cfg;
}

/* ---- good configurations ---- */

static void
ccfg_load__full_config__every_field_decoded(void **state)
{
	struct collector_config *cfg = load_full();
	char *p;
	const struct cc_service *s;
	const struct cc_snmp_dest *d;

	(void)state;
	assert_int_equal(cfg->nlisten, 2);
	assert_string_equal(cfg->listen[0].host, "127.0.0.1");
	assert_int_equal(cfg->listen[0].port, 8080);
	assert_string_equal(cfg->listen[1].host, "::1");
	assert_int_equal(cfg->listen[1].port, 8443);
	p = tmp_path("tls.crt");
	assert_string_equal(cfg->tls_cert, p);
	free(p);
	p = tmp_path("tls.key");
	assert_string_equal(cfg->tls_key, p);
	free(p);
	p = tmp_path("mxsla.db");
	assert_string_equal(cfg->database, p);
	free(p);
	assert_string_equal(cfg->timezone, "Europe/Berlin");
	assert_int_equal(cfg->stale_mult, 5);
	assert_int_equal(cfg->stale_fixed_s, 0);

	assert_int_equal(cfg->nagents, 3);
	assert_string_equal(cfg->agents[0].id, "mbx01");
	assert_string_equal(cfg->agents[1].id, "hub01");
	assert_string_equal(cfg->agents[2].id, "hub02");

	assert_int_equal(cfg->nusers, 2);
	assert_string_equal(cfg->users[0].name, "admin");
	assert_string_equal(cfg->users[0].password_hash, "$y$j9T$salt$hash");
	assert_string_equal(cfg->users[1].name, "noc");

	assert_int_equal(cfg->ncalendars, 3);
	assert_string_equal(cfg->calendars[0].name, "business");
	/* mon..fri = bits 1..5 = 0x3e */
	assert_int_equal(cfg->calendars[0].cal.days_mask, 0x3e);
	assert_int_equal(cfg->calendars[0].cal.from_min, 8 * 60);
	assert_int_equal(cfg->calendars[0].cal.to_min, 18 * 60);
	assert_int_equal(cfg->calendars[0].cal.nholidays, 2);
	assert_int_equal(cfg->calendars[0].cal.holidays[1].y, 2026);
	assert_int_equal(cfg->calendars[0].cal.holidays[1].mo, 12);
	assert_int_equal(cfg->calendars[0].cal.holidays[1].d, 26);
	/* sat, sun = bits 6 and 0 = 0x41; 22:00 = 1320, 06:00 = 360 */
	assert_int_equal(cfg->calendars[1].cal.days_mask, 0x41);
	assert_int_equal(cfg->calendars[1].cal.from_min, 1320);
	assert_int_equal(cfg->calendars[1].cal.to_min, 360);
	/* {} = all seven days, 00:00-24:00 */
	assert_int_equal(cfg->calendars[2].cal.days_mask, 0x7f);
	assert_int_equal(cfg->calendars[2].cal.from_min, 0);
	assert_int_equal(cfg->calendars[2].cal.to_min, 1440);
	assert_int_equal(cfg->calendars[2].cal.nholidays, 0);

	assert_int_equal(cfg->nservices, 3);
	s = &cfg->services[0];
	assert_string_equal(s->id, "mailflow");
	assert_string_equal(s->name, "Internal mail flow");
	assert_near(s->target, 99.9, 0);
	assert_null(s->hours);
	assert_string_equal(s->hours_name, "24x7");
	assert_int_equal(s->ncomponents, 2);
	assert_string_equal(s->components[1].text, "hub*:queue.deferred@queue");
	assert_string_equal(s->components[1].agent, "hub*");
	assert_string_equal(s->components[1].rule, "queue.deferred");
	assert_string_equal(s->components[1].target, "queue");
	assert_int_equal(s->require, SLA_REQUIRE_ALL);
	assert_int_equal(s->policy.warning, SLA_UP);
	assert_int_equal(s->policy.unknown, SLA_NODATA);
	assert_int_equal(s->policy.nodata, SLA_ND_EXCLUDE);
	assert_int_equal(s->policy.maintenance, SLA_MT_EXCLUDE);
	s = &cfg->services[1];
	assert_string_equal(s->id, "mailbox");
	assert_string_equal(s->name, "mailbox");
	assert_near(s->target, 99.5, 0);
	assert_ptr_equal(s->hours, &cfg->calendars[0].cal);
	assert_string_equal(s->hours_name, "business");
	assert_int_equal(s->ncomponents, 3);
	assert_string_equal(s->components[2].agent, "*");
	assert_string_equal(s->components[2].rule, "service.smtp");
	assert_string_equal(s->components[2].target, "*");
	assert_int_equal(s->require, 2);
	assert_int_equal(s->policy.warning, SLA_DOWN);
	assert_int_equal(s->policy.unknown, SLA_DOWN);
	assert_int_equal(s->policy.nodata, SLA_ND_UP);
	assert_int_equal(s->policy.maintenance, SLA_MT_COUNT);
	s = &cfg->services[2];
	assert_near(s->target, 99.9, 0);
	assert_ptr_equal(s->hours, &cfg->calendars[1].cal);
	assert_int_equal(s->ncomponents, 1);
	assert_string_equal(s->components[0].agent, "*");
	assert_string_equal(s->components[0].rule, "service.https");
	assert_string_equal(s->components[0].target, "owa");
	assert_int_equal(s->require, SLA_REQUIRE_ANY);
	assert_int_equal(s->policy.warning, SLA_UP);
	assert_int_equal(s->policy.unknown, SLA_UP);
	assert_int_equal(s->policy.nodata, SLA_ND_DOWN);
	assert_int_equal(s->policy.maintenance, SLA_MT_UP);

	assert_int_equal(cfg->nmaintenance, 3);
	assert_int_equal(cfg->maintenance[0].weekly, 0);
	assert_int_equal(cfg->maintenance[0].services.n, 1);
	assert_string_equal(cfg->maintenance[0].services.v[0], "mailflow");
	assert_int_equal(cfg->maintenance[0].start_wall.y, 2026);
	assert_int_equal(cfg->maintenance[0].start_wall.mo, 10);
	assert_int_equal(cfg->maintenance[0].start_wall.d, 10);
	assert_int_equal(cfg->maintenance[0].start_wall.h, 22);
	assert_int_equal(cfg->maintenance[0].start_wall.mi, 0);
	assert_int_equal(cfg->maintenance[0].end_wall.d, 11);
	assert_int_equal(cfg->maintenance[0].end_wall.h, 2);
	assert_string_equal(cfg->maintenance[0].reason, "patching");
	assert_int_equal(cfg->maintenance[1].weekly, 1);
	assert_int_equal(cfg->maintenance[1].days_mask, 1);
	assert_int_equal(cfg->maintenance[1].from_min, 120);
	assert_int_equal(cfg->maintenance[1].to_min, 180);
	assert_string_equal(cfg->maintenance[1].reason, "backup window");
	assert_int_equal(cfg->maintenance[2].services.n, 2);
	assert_int_equal(cfg->maintenance[2].start_wall.h, 1);
	assert_int_equal(cfg->maintenance[2].start_wall.mi, 30);
	assert_int_equal(cfg->maintenance[2].end_wall.h, 3);
	assert_int_equal(cfg->maintenance[2].end_wall.mi, 30);
	assert_int_equal(cfg->maintenance[2].end_wall.s, 30);
	assert_null(cfg->maintenance[2].reason);

	assert_int_equal(cfg->nsnmp, 4);
	d = &cfg->snmp[0];
	assert_string_equal(d->name, "noc");
	assert_string_equal(d->host, "127.0.0.1");
	assert_int_equal(d->port, 162);
	assert_int_equal(d->version, 2);
	assert_string_equal(d->community, "public");
	assert_int_equal(d->inform, 0);
	assert_int_equal(d->min_severity, MX_WARNING);
	assert_int_equal(d->events, CC_EV_CHECK | CC_EV_SERVICE | CC_EV_BUDGET | CC_EV_AGENT);
	d = &cfg->snmp[1];
	assert_int_equal(d->port, 1162);
	assert_int_equal(d->version, 2);
	assert_string_equal(d->community, "s3cr3t");
	assert_int_equal(d->inform, 1);
	assert_int_equal(d->min_severity, MX_CRITICAL);
	assert_int_equal(d->events, CC_EV_SERVICE | CC_EV_BUDGET);
	d = &cfg->snmp[2];
	assert_int_equal(d->version, 3);
	assert_int_equal(d->port, 162);
	assert_null(d->community);
	assert_string_equal(d->user, "mxsla");
	assert_int_equal(d->security, 2);
	assert_string_equal(d->auth_protocol, "SHA-256");
	assert_string_equal(d->auth_password, "authpass99");
	assert_string_equal(d->priv_protocol, "AES-256");
	assert_string_equal(d->priv_password, "privpass99");
	assert_string_equal(d->engine_id, "0x80001f8880aabbccdd");
	assert_int_equal(d->inform, 1);
	d = &cfg->snmp[3];
	assert_string_equal(d->host, "::1");
	assert_int_equal(d->version, 3);
	assert_int_equal(d->security, 0);
	assert_null(d->auth_password);
	assert_null(d->priv_password);
	assert_null(d->engine_id);
	assert_int_equal(d->min_severity, MX_OK);

	p = tmp_path("reports");
	assert_string_equal(cfg->reports_dir, p);
	free(p);
	assert_non_null(cfg->mail);
	assert_string_equal(cfg->mail->url, "smtps://mail.example.org:465");
	assert_string_equal(cfg->mail->from, "mxsla@example.org");
	assert_int_equal(cfg->mail->to.n, 2);
	assert_string_equal(cfg->mail->to.v[1], "boss@example.org");
	assert_string_equal(cfg->mail->username, "mxsla");
	assert_string_equal(cfg->mail->password, "smtp-password");
	p = tmp_path("ca.pem");
	assert_string_equal(cfg->mail->ca_file, p);
	free(p);
	assert_string_equal(cfg->mail->subject, "SLA %s (100%% automatic)");

	/* 90 d = 90 * 86400 s */
	assert_int_equal(cfg->retention_raw_s, 7776000);
	assert_int_equal(cfg->body_max, 16u * 1024 * 1024);
	assert_int_equal(cfg->results_max, 50000);
	assert_int_equal(cfg->string_max, 128 * 1024);
	assert_int_equal(cfg->depth_max, 16);
	assert_int_equal(cfg->http_threads, 4);
	assert_int_equal(cfg->sync_full, 0);
	assert_int_equal(cfg->log_level, 3);
	collector_config_free(cfg);
}

static void
ccfg_load__empty_file__every_default(void **state)
{
	struct cfgerr e;
	struct collector_config *cfg;

	(void)state;
	cfgerr_init(&e);
	cfg = collector_config_load(DATA_DIR "/minimal.yaml", &e);
	assert_non_null(cfg);
	assert_int_equal(e.total, 0);
	assert_int_equal(cfg->nlisten, 1);
	assert_string_equal(cfg->listen[0].host, "127.0.0.1");
	assert_int_equal(cfg->listen[0].port, 8080);
	assert_null(cfg->tls_cert);
	assert_null(cfg->tls_key);
	assert_string_equal(cfg->database, LOCALSTATEDIR "/lib/mxsla/mxsla.db");
	assert_string_equal(cfg->timezone, "UTC");
	assert_int_equal(cfg->stale_mult, 3);
	assert_int_equal(cfg->nagents + cfg->nusers + cfg->ncalendars + cfg->nservices +
				 cfg->nmaintenance + cfg->nsnmp, 0);
	assert_null(cfg->reports_dir);
	assert_null(cfg->mail);
	/* 35 d = 35 * 86400 s */
	assert_int_equal(cfg->retention_raw_s, 3024000);
	assert_int_equal(cfg->body_max, 8u * 1024 * 1024);
	assert_int_equal(cfg->results_max, 20000);
	assert_int_equal(cfg->string_max, 65536);
	assert_int_equal(cfg->depth_max, 32);
	assert_int_equal(cfg->http_threads, 16);
	assert_int_equal(cfg->sync_full, 1);
	assert_int_equal(cfg->log_level, 2);
	collector_config_free(cfg);
	cfgerr_free(&e);
}

static void
ccfg_load__service_defaults__name_target_hours_require_policy(void **state)
{
	struct collector_config *cfg =
		load_ok("services:\n  - { id: s1, components: [\"a:r@t\"] }\n"
			"notify: { snmp: [{ name: n, host: h }] }\n"
			"reports: { mail: { url: \"smtp://127.0.0.1\", from: a@b, to: c@d } }\n");
	const struct cc_service *s = collector_config_service(cfg, "s1");

	(void)state;
	assert_non_null(s);
	assert_null(collector_config_service(cfg, "s2"));
	assert_string_equal(s->name, "s1");
	assert_near(s->target, 99.9, 0);
	assert_null(s->hours);
	assert_string_equal(s->hours_name, "24x7");
	assert_int_equal(s->require, SLA_REQUIRE_ALL);
	assert_int_equal(s->policy.warning, SLA_UP);
	assert_int_equal(s->policy.unknown, SLA_NODATA);
	assert_int_equal(s->policy.nodata, SLA_ND_EXCLUDE);
	assert_int_equal(s->policy.maintenance, SLA_MT_EXCLUDE);
	assert_int_equal(cfg->snmp[0].port, 162);
	assert_int_equal(cfg->snmp[0].version, 2);
	assert_string_equal(cfg->snmp[0].community, "public");
	assert_int_equal(cfg->snmp[0].min_severity, MX_WARNING);
	assert_int_equal(cfg->snmp[0].events, 15);
	assert_string_equal(cfg->mail->subject, "mxsla SLA report %s");
	assert_int_equal(cfg->mail->to.n, 1);
	collector_config_free(cfg);
}

static void
ccfg_load__stale_after_duration__fixed_seconds(void **state)
{
	struct collector_config *cfg = load_ok("stale_after: 10m\nlisten: \"[::]:80\"\n");

	(void)state;
	assert_int_equal(cfg->stale_mult, 0);
	assert_int_equal(cfg->stale_fixed_s, 600);
	assert_string_equal(cfg->listen[0].host, "::");
	assert_int_equal(cfg->listen[0].port, 80);
	/* fixed: the interval does not matter */
	assert_int_equal(collector_config_stale_s(cfg, 60), 600);
	assert_int_equal(collector_config_stale_s(cfg, 3600), 600);
	collector_config_free(cfg);
}

static void
collector_config_stale_s__multiple__times_interval(void **state)
{
	struct collector_config *cfg = load_ok("stale_after: 4x\n");

	(void)state;
	assert_int_equal(collector_config_stale_s(cfg, 60), 240);
	assert_int_equal(collector_config_stale_s(cfg, 300), 1200);
	/* a nonsensical interval counts as 1 s: 4 x 1 */
	assert_int_equal(collector_config_stale_s(cfg, 0), 4);
	assert_int_equal(collector_config_stale_s(cfg, -5), 4);
	assert_int_equal(collector_config_stale_s(cfg, INT64_MAX / 2), INT64_MAX);
	collector_config_free(cfg);
	cfg = load_ok("timezone: UTC\n");
	/* default 3x */
	assert_int_equal(collector_config_stale_s(cfg, 60), 180);
	collector_config_free(cfg);
}

/* ---- tokens ---- */

static void
ccfg_load__tokens__kept_as_sha256_of_the_token_text(void **state)
{
	struct collector_config *cfg = load_full();

	(void)state;
	/* printf 'mbx01-token' | sha256sum: the file's final newline is not
	   part of the token */
	assert_digest(collector_config_agent(cfg, "mbx01")->token_sha256,
		      "1edc0a4e6d5daf5c69e02df1cb1bcca2ae8859634ddfc3e7d8933fe8dd18e7bf");
	/* printf 's3cret-hub01-token' | sha256sum */
	assert_digest(collector_config_agent(cfg, "hub01")->token_sha256,
		      "47a1b88888e60be77207c125bbaf860b02758861814d0621b11cada51d906686");
	/* token_sha256 as written (upper case), which is printf 'hub02-token' | sha256sum */
	assert_digest(collector_config_agent(cfg, "hub02")->token_sha256,
		      "28ffc126dadabdb2b3073458cba5f92ed1870ee49fbbb940340717992917e9b3");
	assert_null(collector_config_agent(cfg, "hub03"));
	collector_config_free(cfg);
}

static void
ccfg_load__token_file_world_readable__refused(void **state)
{
	char *text;

	(void)state;
	write_tmp("t", "secret\n", 0604);
	text = xasprintf("agents:\n  - { id: a, token_file: %s/t }\n", tmpdir);
	/* "  - { id: a, token_file: " is 25 characters: the value at column 26 */
	assert_refused(text, (const char *const[]){
		"c.yaml:2:26: token_file t is world-readable (chmod o-r)", NULL });
	free(text);
	write_tmp("t", "secret\n", 0640);
	text = xasprintf("agents:\n  - { id: a, token_file: %s/t }\n", tmpdir);
	collector_config_free(load_ok(text));
	free(text);
}

/* ---- errors ---- */

struct err_case {
	const char *yaml;
	const char *want[8];
};

static void
ccfg_load__each_kind_of_error__exact_location_and_message(void **state)
{
	static const struct err_case cases[] = {
		{ "listne: 127.0.0.1:8080\n",
		  { "c.yaml:1:1: unknown key 'listne' (did you mean 'listen'?)" } },
		{ "listen: 127.0.0.1\n",
		  { "c.yaml:1:9: listen: expected host:port like 127.0.0.1:8080 or [::1]:8080, got '127.0.0.1'" } },
		/* items at columns 10, 22 and 32 */
		{ "listen: [\"[::1]:80\", \"::1:80\", \"h:0\"]\n",
		  { "c.yaml:1:22: listen: expected host:port like 127.0.0.1:8080 or [::1]:8080, got '::1:80'",
		    "c.yaml:1:32: listen: port must be between 1 and 65535" } },
		{ "listen: [a:1, a:1]\n", { "c.yaml:1:15: listen: a:1 given twice" } },
		{ "tls: { cert: /etc/passwd }\n", { "c.yaml:1:6: tls: give both cert and key" } },
		{ "tls: { cert: /nonexistent/c.pem, key: /etc/passwd }\n",
		  { "c.yaml:1:14: tls cert /nonexistent/c.pem: No such file or directory" } },
		{ "database: \"\"\n", { "c.yaml:1:11: database: give the path of the SQLite file" } },
		{ "timezone: Mars/Olympus\n",
		  { "c.yaml:1:11: timezone: unknown zone 'Mars/Olympus' (no zone file of that name under /usr/share/zoneinfo)" } },
		/* a file of the zone directory that is not a zone */
		{ "timezone: leapseconds\n",
		  { "c.yaml:1:11: timezone: unknown zone 'leapseconds' (no zone file of that name under /usr/share/zoneinfo)" } },
		{ "timezone: ../../etc/passwd\n",
		  { "c.yaml:1:11: timezone: '../../etc/passwd' is not an IANA zone name like Europe/Berlin" } },
		{ "stale_after: 0x\n", { "c.yaml:1:14: stale_after: the multiple must be between 1x and 1000x" } },
		{ "stale_after: soon\n",
		  { "c.yaml:1:14: stale_after: expected a multiple of the interval like 3x or a duration like 10m" } },
		{ "agents: { id: a }\n", { "c.yaml:1:9: agents: expected a list of agents, got a mapping" } },
		{ "agents:\n  - { id: a, token: x, token_sha256: abc }\n",
		  { "c.yaml:2:5: agent a: give exactly one of token, token_file, token_sha256" } },
		{ "agents:\n  - { id: a }\n",
		  { "c.yaml:2:5: agent a: give exactly one of token, token_file, token_sha256" } },
		{ "agents:\n  - { token: x }\n", { "c.yaml:2:5: missing required key 'id'" } },
		{ "agents:\n  - { id: a, token_sha256: abc }\n",
		  { "c.yaml:2:28: token_sha256 must be 64 hexadecimal digits (sha256sum of the token)" } },
		{ "agents:\n  - { id: \"a:b\", token: t }\n",
		  { "c.yaml:2:11: agent id must be 1 to 128 characters of A-Z a-z 0-9 . _ -" } },
		{ "agents:\n  - { id: a, token: t1 }\n  - { id: a, token: t2 }\n",
		  { "c.yaml:3:11: duplicate agent id 'a' (first at c.yaml:2:11)" } },
		{ "agents:\n  - { id: a, token: t1 }\n  - { id: b, token: t1 }\n",
		  { "c.yaml:3:5: agent b has the same token as agent a" } },
		{ "agents:\n  - { id: a, token_file: /nonexistent/t }\n",
		  { "c.yaml:2:26: token_file /nonexistent/t: No such file or directory" } },
		{ "agents:\n  - { id: a, tokn: x }\n",
		  { "c.yaml:2:14: unknown key 'tokn' (did you mean 'token'?)",
		    "c.yaml:2:5: agent a: give exactly one of token, token_file, token_sha256" } },
		{ "ui:\n  users:\n    - { name: admin, password_hash: plain }\n",
		  { "c.yaml:3:37: password_hash must be a crypt(3) hash like $6$... or $y$... (mkpasswd -m yescrypt)" } },
		{ "ui:\n  users:\n    - { name: a, password_hash: \"$6$x$y\" }\n    - { name: a, password_hash: \"$6$x$y\" }\n",
		  { "c.yaml:4:15: duplicate user 'a'" } },
		{ "ui: { user: [] }\n", { "c.yaml:1:7: unknown key 'user' (did you mean 'users'?)" } },
		/* "  biz: { days: [mon, fun], from: " is 33 characters: "8h" at 34 */
		{ "calendars:\n  biz: { days: [mon, fun], from: \"8h\", to: \"25:00\", holidays: [2026-02-30] }\n",
		  { "c.yaml:2:22: days: 'fun' is not a weekday (mon, tue, wed, thu, fri, sat, sun)",
		    "c.yaml:2:34: from: expected a time of day like 08:00, got '8h'",
		    "c.yaml:2:44: to: expected a time of day like 18:00 or 24:00, got '25:00'",
		    "c.yaml:2:64: holidays: expected a date like 2026-12-25, got '2026-02-30'" } },
		{ "calendars:\n  biz: { from: \"08:00\", to: \"08:00\" }\n",
		  { "c.yaml:2:29: to must differ from from" } },
		{ "calendars:\n  24x7: {}\n",
		  { "c.yaml:2:3: calendar name must be 1 to 128 characters of A-Z a-z 0-9 . _ - and not 24x7" } },
		{ "services:\n  - { id: s, target: 150, hours: business, components: [\"a:r@t\"] }\n",
		  { "c.yaml:2:22: target must be above 0 and at most 100 (percent)",
		    "c.yaml:2:34: hours: no calendar named 'business' (use 24x7 or a name under calendars)" } },
		{ "services:\n  - { id: s, target: 0, components: [\"a:r@t\"] }\n",
		  { "c.yaml:2:22: target must be above 0 and at most 100 (percent)" } },
		{ "services:\n  - { id: s }\n", { "c.yaml:2:5: missing required key 'components'" } },
		{ "services:\n  - { id: s, components: [] }\n",
		  { "c.yaml:2:26: components: expected a non-empty list of AGENT:RULE@TARGET selectors" } },
		/* items at columns 27, 35, 43 and 51 */
		{ "services:\n  - { id: s, components: [\":r@t\", \"a:r@\", \"a:@t\", \"a:r@t@u\"] }\n",
		  { "c.yaml:2:27: component: expected AGENT:RULE@TARGET like hub*:service.smtp@smtp, got ':r@t'",
		    "c.yaml:2:35: component: expected AGENT:RULE@TARGET like hub*:service.smtp@smtp, got 'a:r@'",
		    "c.yaml:2:43: component: expected AGENT:RULE@TARGET like hub*:service.smtp@smtp, got 'a:@t'",
		    "c.yaml:2:51: component: expected AGENT:RULE@TARGET like hub*:service.smtp@smtp, got 'a:r@t@u'" } },
		/* an agent part with '@': a rule@target typed before the colon */
		{ "services:\n  - { id: s, components: [\"r@t:u\"] }\n",
		  { "c.yaml:2:27: component: expected AGENT:RULE@TARGET like hub*:service.smtp@smtp, got 'r@t:u'" } },
		{ "services:\n  - { id: s, components: [\"a:r@t\", \"b:r@t\"], require: 3 }\n",
		  { "c.yaml:2:55: require must be all, any or a number from 1 to 2 (the number of components)" } },
		{ "services:\n  - { id: s, components: [\"a:r@t\"], require: most }\n",
		  { "c.yaml:2:46: require must be all, any or a number from 1 to 1 (the number of components)" } },
		{ "services:\n  - { id: s, components: \"a:r@t\", policy: { warning: maybe, nodta: up } }\n",
		  { "c.yaml:2:54: warning must be one of: up, down, nodata",
		    "c.yaml:2:61: unknown key 'nodta' (did you mean 'nodata'?)" } },
		{ "services:\n  - { id: s, components: \"a:r@t\" }\n  - { id: s, components: \"a:r@t\" }\n",
		  { "c.yaml:3:11: duplicate service id 's' (first at c.yaml:2:11)" } },
		{ "services:\n  - { id: s, components: \"a:r@t\" }\n"
		  "maintenance:\n  - { services: [s, t, \"s*\"], start: \"2026-10-10 22:00\", end: \"2026-10-10 21:00\" }\n",
		  { "c.yaml:4:21: maintenance: no service with id 't'",
		    "c.yaml:4:63: end must be after start" } },
		{ "maintenance:\n  - { services: [\"*\"], start: \"2026-10-10\", end: \"2026-10-10 24:00\" }\n",
		  { "c.yaml:2:31: start: expected a local time like \"2026-10-10 22:00\", got '2026-10-10'",
		    "c.yaml:2:50: end: expected a local time like \"2026-10-11 02:00\", got '2026-10-10 24:00'" } },
		{ "maintenance:\n  - { services: [\"*\"], start: \"2026-10-10 22:00\", weekly: { days: [sun] } }\n",
		  { "c.yaml:2:5: maintenance: give start and end, or weekly, not both" } },
		{ "maintenance:\n  - { services: [\"*\"], start: \"2026-10-10 22:00\" }\n",
		  { "c.yaml:2:5: maintenance: give start and end (\"2026-10-10 22:00\"), or weekly" } },
		{ "maintenance:\n  - { services: [\"*\"], weekly: { days: [sundy] } }\n",
		  { "c.yaml:2:41: days: 'sundy' is not a weekday (mon, tue, wed, thu, fri, sat, sun)" } },
		{ "maintenance:\n  - { weekly: { days: [sun] } }\n", { "c.yaml:2:5: missing required key 'services'" } },
		{ "notify: { snmp: [{ name: n, host: h, version: 1, events: [check, mail], min_severity: high }] }\n",
		  { "c.yaml:1:87: min_severity must be one of: ok, warning, critical, unknown",
		    "c.yaml:1:47: version must be 2c or 3",
		    "c.yaml:1:66: events: unknown event 'mail' (events: check, service, budget, agent)" } },
		{ "notify: { snmp: [{ name: n, host: h, user: u }] }\n",
		  { "c.yaml:1:44: user is for version 3 only" } },
		{ "notify: { snmp: [{ name: n, host: h, version: 3, community: c }] }\n",
		  { "c.yaml:1:61: community is for version 2c only",
		    "c.yaml:1:18: snmp n: version 3 needs user",
		    "c.yaml:1:18: snmp n: security authPriv needs auth_password or auth_password_file",
		    "c.yaml:1:18: snmp n: security authPriv needs priv_password or priv_password_file" } },
		{ "notify:\n  snmp:\n    - { name: n, host: h, version: 3, user: u, security: authNoPriv, auth_password: short,\n"
		  "        priv_password: longenough, engine_id: \"0x12\", auth_protocol: SHA1 }\n",
		  { "c.yaml:4:70: auth_protocol must be one of: MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512",
		    "c.yaml:3:85: auth_password must be at least 8 characters (SNMPv3)",
		    "c.yaml:4:24: a priv password is not used with security authNoPriv",
		    "c.yaml:4:47: engine_id must be 0x followed by an even number of 10 to 64 hex digits" } },
		{ "notify:\n  snmp:\n    - { name: n, host: h }\n    - { name: n, host: i }\n",
		  { "c.yaml:4:15: duplicate snmp destination 'n'" } },
		{ "notify: { snmp: [{ host: h }] }\n", { "c.yaml:1:18: missing required key 'name'" } },
		{ "reports:\n  dir: reports\n  mail: { url: \"http://x\", from: me, to: [], subject: \"%d %s\" }\n",
		  { "c.yaml:2:8: reports dir must be an absolute path",
		    "c.yaml:3:16: mail url must start with smtp:// or smtps://",
		    "c.yaml:3:42: mail to: give at least one address",
		    "c.yaml:3:34: mail from: 'me' is not an address like mxsla@example.org",
		    "c.yaml:3:55: subject may contain one %s (the month) and %% for a percent sign, and no line breaks" } },
		{ "reports: { mail: { url: \"smtp://x\", from: a@b, to: c@d, password: pw } }\n",
		  { "c.yaml:1:18: mail: a password needs a username" } },
		{ "retention: { raw: 12h }\n", { "c.yaml:1:19: raw must be between 1d and 36500d" } },
		{ "limits: { results_max: 100, body_max: 1KB, depth_max: 1000 }\n",
		  { "c.yaml:1:24: results_max must be between 5000 and 1000000",
		    "c.yaml:1:39: body_max must be between 64 KB and 1 GB",
		    "c.yaml:1:55: depth_max must be between 4 and 256" } },
		{ "http: { threads: 0 }\n", { "c.yaml:1:18: threads must be between 1 and 256" } },
		{ "database_sync: off\nlog_level: verbose\n",
		  { "c.yaml:1:16: database_sync must be one of: normal, full",
		    "c.yaml:2:12: log_level must be one of: error, warning, info, debug" } },
	};

	size_t bad = 0;

	(void)state;
	/* every case runs, so that one run shows every difference */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!refused_with(cases[i].yaml, cases[i].want)) {
			print_error("case %zu: %s\n", i, cases[i].yaml);
			bad++;
		}
	}
	if (bad > 0)
		fail_msg("%zu cases differ", bad);
}

static void
ccfg_load__many_errors__all_reported_in_order(void **state)
{
	struct cfgerr e;

	(void)state;
	cfgerr_init(&e);
	assert_null(collector_config_load(DATA_DIR "/many-errors.yaml", &e));
	assert_errors(&e, (const char *const[]){
		"many-errors.yaml:2:1: unknown key 'listne' (did you mean 'listen'?)",
		"many-errors.yaml:3:11: timezone: unknown zone 'Europe/Berlni' (no zone file of that name under /usr/share/zoneinfo)",
		"many-errors.yaml:4:14: stale_after: the multiple must be between 1x and 1000x",
		"many-errors.yaml:7:32: token_sha256 must be 64 hexadecimal digits (sha256sum of the token)",
		"many-errors.yaml:7:11: duplicate agent id 'mbx01' (first at many-errors.yaml:6:11)",
		"many-errors.yaml:10:13: target must be above 0 and at most 100 (percent)",
		"many-errors.yaml:11:12: hours: no calendar named 'business' (use 24x7 or a name under calendars)",
		"many-errors.yaml:12:44: component: expected AGENT:RULE@TARGET like hub*:service.smtp@smtp, got ':queue@queue'",
		"many-errors.yaml:13:14: require must be all, any or a number from 1 to 2 (the number of components)",
		"many-errors.yaml:15:28: maintenance: no service with id 'mailfow'",
		"many-errors.yaml:15:70: end must be after start",
		NULL });
	cfgerr_free(&e);
}

static void
ccfg_load__missing_file__one_error(void **state)
{
	struct cfgerr e;

	(void)state;
	cfgerr_init(&e);
	assert_null(collector_config_load(DATA_DIR "/no-such.yaml", &e));
	assert_int_equal(e.total, 1);
	assert_true(tu_errs_contain(&e, "no-such.yaml"));
	cfgerr_free(&e);
}

static void
ccfg_load__shipped_example__only_its_token_files_are_missing(void **state)
{
	struct cfgerr e;

	(void)state;
	cfgerr_init(&e);
	assert_null(collector_config_load(TEST_DATA_DIR "/../../dist/collector.yaml.example", &e));
	assert_int_equal(e.n, 2);
	assert_true(strstr(e.msgs[0], "collector.yaml.example:23:") != NULL);
	assert_true(strstr(e.msgs[0], ": token_file /etc/mxsla/tokens/mbx01: ") != NULL);
	assert_true(strstr(e.msgs[1], ": token_file /etc/mxsla/tokens/hub01: ") != NULL);
	cfgerr_free(&e);
}

/* ---- selectors ---- */

static void
cc_selector_match__table(void **state)
{
	static const struct {
		const char *sel, *agent, *check;
		int want;
	} cases[] = {
		{ "hub*:service.smtp@smtp", "hub01", "service.smtp@smtp", 1 },
		{ "hub*:service.smtp@smtp", "mbx01", "service.smtp@smtp", 0 },
		{ "hub*:service.smtp@smtp", "hub01", "service.smtp@smtp2", 0 },
		{ "hub*:service.smtp@smtp", "hub01", "service.smtps@smtp", 0 },
		{ "hub*:service.*@smtp", "hub01", "service.smtps@smtp", 1 },
		{ "service.smtp", "any-agent", "service.smtp@whatever", 1 },
		{ "service.smtp", "any-agent", "service.imap@whatever", 0 },
		{ "*:queue.deferred@q?", "a", "queue.deferred@q1", 1 },
		{ "*:queue.deferred@q?", "a", "queue.deferred@q12", 0 },
		{ "mbx0[12]:*@*", "mbx02", "disk.free@store", 1 },
		{ "mbx0[12]:*@*", "mbx03", "disk.free@store", 0 },
		/* not "rule@target": never matches */
		{ "*:*@*", "a", "no-target", 0 },
		{ "*", "a", "agent.self@agent", 1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = xasprintf("services:\n  - { id: s, components: [\"%s\"] }\n", cases[i].sel);
		struct collector_config *cfg = load_ok(text);

		if (cc_selector_match(&cfg->services[0].components[0], cases[i].agent, cases[i].check) !=
		    cases[i].want)
			fail_msg("%s vs %s %s: want %d", cases[i].sel, cases[i].agent, cases[i].check,
				 cases[i].want);
		collector_config_free(cfg);
		free(text);
	}
}

/* ---- maintenance windows ---- */

static void
assert_ivs(const struct ivset *s, const int64_t *want, size_t n)
{
	if (s->n != n) {
		for (size_t i = 0; i < s->n; i++)
			print_error("got [%lld, %lld)\n", (long long)s->v[i].start, (long long)s->v[i].end);
		fail_msg("%zu intervals, want %zu", s->n, n);
	}
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(s->v[i].start, want[2 * i]);
		assert_int_equal(s->v[i].end, want[2 * i + 1]);
	}
}

static void
collector_config_maintenance__october_2026_berlin__one_off_and_weekly(void **state)
{
	const char *err = NULL;
	struct collector_config *cfg;
	struct ivset out = { 0 };
	int64_t m0, m1;

	(void)state;
	assert_int_equal(caltime_set_zone("Europe/Berlin", &err), 0);
	cfg = load_ok("timezone: Europe/Berlin\n"
		      "services:\n"
		      "  - { id: mailflow, components: \"a:r@t\" }\n"
		      "  - { id: other, components: \"a:r@t\" }\n"
		      "maintenance:\n"
		      "  - { services: [mailflow], start: \"2026-10-10 22:00\", end: \"2026-10-11 02:00\" }\n"
		      "  - { services: [\"*\"], weekly: { days: [sun], from: \"02:00\", to: \"03:00\" } }\n"
		      "  - { services: [\"mail*\"], start: \"2026-09-30 23:00\", end: \"2026-10-01 01:00\" }\n");
	/* October 2026 in Berlin: 2026-10-01 00:00 CEST = 1790805600,
	   2026-11-01 00:00 CET = 1793487600 */
	caltime_month(2026, 10, &m0, &m1);
	assert_int_equal(m0, 1790805600);
	assert_int_equal(m1, 1793487600);

	collector_config_maintenance(cfg, "mailflow", m0, m1, &out);
	{
		/* 2026-09-30 23:00 .. 10-01 01:00 CEST clipped to the month: [m0, m0 + 3600);
		   Sundays 4, 11, 18, 25 at 02:00-03:00; on the 11th the one-off
		   window 10-10 22:00 CEST (1791662400) .. 02:00 touches it and
		   the two merge up to 03:00 CEST (1791680400); on the 25th
		   02:00 is its first occurrence (CEST, 00:00 UTC = 1792886400)
		   and 03:00 is CET (02:00 UTC = 1792893600): two hours */
		static const int64_t want[] = {
			1790805600, 1790809200,
			1791072000, 1791075600,
			1791662400, 1791680400,
			1792281600, 1792285200,
			1792886400, 1792893600,
		};
		assert_ivs(&out, want, 5);
	}
	ivset_clear(&out);
	collector_config_maintenance(cfg, "other", m0, m1, &out);
	{
		static const int64_t want[] = {
			1791072000, 1791075600,
			1791676800, 1791680400,
			1792281600, 1792285200,
			1792886400, 1792893600,
		};
		assert_ivs(&out, want, 4);
	}
	/* a period that starts inside the one-off window: 10-10 23:00 CEST
	   (1791666000) .. 10-11 02:30 CEST (1791678600) */
	ivset_clear(&out);
	collector_config_maintenance(cfg, "mailflow", 1791666000, 1791678600, &out);
	{
		static const int64_t want[] = { 1791666000, 1791678600 };
		assert_ivs(&out, want, 1);
	}
	/* start/end follow the zone once localized */
	collector_config_localize(cfg);
	assert_int_equal(cfg->maintenance[0].start, 1791662400);
	assert_int_equal(cfg->maintenance[0].end, 1791676800);
	ivset_free(&out);
	collector_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ccfg_load__full_config__every_field_decoded, setup, teardown),
		cmocka_unit_test_setup_teardown(ccfg_load__empty_file__every_default, setup, teardown),
		cmocka_unit_test_setup_teardown(ccfg_load__service_defaults__name_target_hours_require_policy,
						setup, teardown),
		cmocka_unit_test_setup_teardown(ccfg_load__stale_after_duration__fixed_seconds, setup, teardown),
		cmocka_unit_test_setup_teardown(collector_config_stale_s__multiple__times_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(ccfg_load__tokens__kept_as_sha256_of_the_token_text, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ccfg_load__token_file_world_readable__refused, setup, teardown),
		cmocka_unit_test_setup_teardown(ccfg_load__each_kind_of_error__exact_location_and_message, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ccfg_load__many_errors__all_reported_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(ccfg_load__missing_file__one_error, setup, teardown),
		cmocka_unit_test_setup_teardown(ccfg_load__shipped_example__only_its_token_files_are_missing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(cc_selector_match__table, setup, teardown),
		cmocka_unit_test_setup_teardown(
			collector_config_maintenance__october_2026_berlin__one_off_and_weekly, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
