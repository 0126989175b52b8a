/*
 * test-configprobe.c - the config probe: postconf, doveconf and key = value
 * parsing on outputs and files captured from Debian's Postfix 3.7,
 * Dovecot 2.3 and Samba (tests/data/config/probe/README), the keys filter,
 * the fact cap, option checking, and whole runs of the real postconf and
 * doveconf through probe_config_ops.
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
#include "config_probe.h"
#include "obs.h"
#include "probe.h"
#include "strlist.h"
#include "xmalloc.h"
#include "ytree.h"

static char *fixture_path(const char *name)
{
	return xasprintf("%s/config/probe/%s", TEST_DATA_DIR, name);
}

static char *read_fixture(const char *name, size_t *len)
{
	char *path = fixture_path(name);
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	free(path);
	*len = (size_t)n;
	return buf;
}

static double metric(const struct obs *o, const char *name)
{
	const double *v = obs_get_metric(o, name);

	if (v == NULL)
		fail_msg("metric %s absent", name);
	return *v;
}

static void fact_is(const struct obs *o, const char *name, const char *want)
{
	const char *v = obs_get_fact(o, name);

	if (v == NULL)
		fail_msg("fact %s absent", name);
	assert_string_equal(v, want);
}

static void parse_fixture(enum config_syntax syntax, const char *name,
			  const struct strlist *keys, struct obs *o)
{
	size_t len;
	char *text = read_fixture(name, &len);

	obs_init(o);
	assert_int_equal(config_parse(syntax, text, len, keys, o), 0);
	assert_null(o->error);
	free(text);
}

/* ---- postconf ------------------------------------------------------------ */

static void postconf_parse__full_output__one_fact_per_parameter(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture(CONFIG_SYNTAX_POSTCONF, "postconf.txt", NULL, &o);
	assert_int_equal(metric(&o, "keys"), 1043);
	assert_int_equal(o.nf, 1043);
	fact_is(&o, "myhostname", "vm");
	fact_is(&o, "mail_version", "3.7.11");
	fact_is(&o, "compatibility_level", "3.6");
	fact_is(&o, "smtpd_banner", "$myhostname ESMTP $mail_name (Debian/GNU)");
	/* "relayhost =" with nothing after it */
	fact_is(&o, "relayhost", "");
	fact_is(&o, "2bounce_notice_recipient", "postmaster");
	obs_free(&o);
}

static void postconf_parse__non_default_output__only_those(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture(CONFIG_SYNTAX_POSTCONF, "postconf-n.txt", NULL, &o);
	assert_int_equal(metric(&o, "keys"), 18);
	assert_int_equal(o.nf, 18);
	fact_is(&o, "inet_interfaces", "loopback-only");
	fact_is(&o, "mynetworks", "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128");
	fact_is(&o, "smtpd_relay_restrictions",
		"permit_mynetworks permit_sasl_authenticated defer_unauth_destination");
	assert_null(obs_get_fact(&o, "mail_version"));
	obs_free(&o);
}

static void postconf_parse__keys_globs__keep_matching_count_all(void **state)
{
	struct strlist keys;
	struct obs o;

	(void)state;
	strlist_init(&keys);
	strlist_add(&keys, "smtpd_tls_*");
	strlist_add(&keys, "myhostname");
	strlist_add(&keys, "no_such_parameter");
	parse_fixture(CONFIG_SYNTAX_POSTCONF, "postconf.txt", &keys, &o);
	/* every parameter is read, 30 smtpd_tls_* and myhostname are kept */
	assert_int_equal(metric(&o, "keys"), 1043);
	assert_int_equal(o.nf, 31);
	fact_is(&o, "myhostname", "vm");
	fact_is(&o, "smtpd_tls_security_level", "");
	assert_null(obs_get_fact(&o, "smtp_tls_security_level"));
	obs_free(&o);
	strlist_free(&keys);
}

/* ---- doveconf ------------------------------------------------------------ */

static void doveconf_parse__non_default_output__sections_flattened(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture(CONFIG_SYNTAX_DOVECONF, "doveconf-n.txt", NULL, &o);
	assert_int_equal(metric(&o, "keys"), 17);
	fact_is(&o, "mail_location", "mbox:~/mail:INBOX=/var/mail/%u");
	fact_is(&o, "namespace.inbox.inbox", "yes");
	fact_is(&o, "namespace.inbox.location", "");
	fact_is(&o, "namespace.inbox.mailbox.Drafts.special_use", "\\Drafts");
	/* mailbox "Sent Messages" { */
	fact_is(&o, "namespace.inbox.mailbox.Sent_Messages.special_use", "\\Sent");
	fact_is(&o, "passdb.driver", "pam");
	fact_is(&o, "userdb.driver", "passwd");
	/* protocols = " imap lmtp pop3": doveconf's quotes removed */
	fact_is(&o, "protocols", " imap lmtp pop3");
	/* file references and hidden values verbatim */
	fact_is(&o, "ssl_cert", "</etc/dovecot/private/dovecot.pem");
	fact_is(&o, "ssl_key", "# hidden, use -P to show it");
	obs_free(&o);
}

static void doveconf_parse__full_output__nested_services(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture(CONFIG_SYNTAX_DOVECONF, "doveconf.txt", NULL, &o);
	assert_int_equal(metric(&o, "keys"), 982);
	assert_int_equal(o.nf, 982);
	fact_is(&o, "ssl", "yes");
	fact_is(&o, "auth_mechanisms", "plain");
	fact_is(&o, "service.imap-login.inet_listener.imap.port", "143");
	fact_is(&o, "service.imap-login.inet_listener.imaps.port", "993");
	fact_is(&o, "service.imap-login.inet_listener.imaps.ssl", "yes");
	/* unix_listener login/login { : '/' is not an identifier character */
	fact_is(&o, "service.auth.unix_listener.login_login.mode", "0666");
	/* inet_listener { without a name */
	fact_is(&o, "service.director.inet_listener.port", "0");
	fact_is(&o, "mail_log_prefix", "%s(%u)<%{pid}><%{session}>: ");
	obs_free(&o);
}

static void doveconf_parse__repeated_unnamed_section__numbered(void **state)
{
	const char *text = "passdb {\n  driver = pam\n}\npassdb {\n  args = /etc/dovecot/users\n"
			   "  driver = passwd-file\n}\npassdb {\n  driver = ldap\n}\n";
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(config_parse(CONFIG_SYNTAX_DOVECONF, text, strlen(text), NULL, &o), 0);
	fact_is(&o, "passdb.driver", "pam");
	fact_is(&o, "passdb.2.driver", "passwd-file");
	fact_is(&o, "passdb.2.args", "/etc/dovecot/users");
	fact_is(&o, "passdb.3.driver", "ldap");
	assert_int_equal(metric(&o, "keys"), 4);
	obs_free(&o);
}

static void doveconf_parse__unbalanced_braces__error(void **state)
{
	struct obs o;

	(void)state;
	obs_init(&o);
	assert_int_equal(config_parse(CONFIG_SYNTAX_DOVECONF, "a = 1\n}\n", 8, NULL, &o), -1);
	assert_non_null(strstr(o.error, "unbalanced"));
	obs_free(&o);
	obs_init(&o);
	assert_int_equal(config_parse(CONFIG_SYNTAX_DOVECONF, "service x {\n a = 1\n", 19, NULL, &o),
			 -1);
	assert_non_null(strstr(o.error, "not closed"));
	assert_null(obs_get_metric(&o, "keys"));
	obs_free(&o);
}

/* ---- key = value files --------------------------------------------------- */

static void file_parse__samba_conf__sections_and_comments(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture(CONFIG_SYNTAX_FILE, "samba-smb.conf", NULL, &o);
	assert_int_equal(metric(&o, "keys"), 31);
	assert_int_equal(o.nf, 31);
	fact_is(&o, "global.workgroup", "WORKGROUP");
	fact_is(&o, "global.server_role", "standalone server");
	fact_is(&o, "global.log_file", "/var/log/samba/log.%m");
	fact_is(&o, "homes.valid_users", "%S");
	fact_is(&o, "printers.path", "/var/tmp");
	/* [print$] */
	fact_is(&o, "print_.path", "/var/lib/samba/printers");
	/* ";   write list = root, @lpadmin" is a comment */
	assert_null(obs_get_fact(&o, "homes.write_list"));
	assert_null(obs_get_fact(&o, "print_.write_list"));
	obs_free(&o);
}

static void file_parse__ufw_profile__section_names_with_spaces(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture(CONFIG_SYNTAX_FILE, "ufw-postfix.ini", NULL, &o);
	assert_int_equal(metric(&o, "keys"), 9);
	fact_is(&o, "Postfix.ports", "25/tcp");
	fact_is(&o, "Postfix_SMTPS.ports", "465/tcp");
	fact_is(&o, "Postfix_Submission.title", "Mail server (Submission)");
	obs_free(&o);
}

static void config_key_append__odd_characters__become_underscores(void **state)
{
	char buf[16];
	size_t n;

	(void)state;
	n = config_key_append(buf, sizeof(buf), 0, "server string", 13);
	assert_string_equal(buf, "server_string");
	assert_int_equal(n, 13);
	n = config_key_append(buf, sizeof(buf), 0, "a-b.c_d/$e", 10);
	assert_string_equal(buf, "a-b.c_d__e");
	/* cut at the buffer */
	n = config_key_append(buf, sizeof(buf), 0, "0123456789abcdefghij", 20);
	assert_int_equal(n, 15);
	assert_string_equal(buf, "0123456789abcde");
}

static void config_parse__too_many_keys__error_unless_filtered(void **state)
{
	size_t cap = (size_t)(CONFIG_MAX_FACTS + 10) * 16, used = 0;
	char *text = xmalloc(cap);
	struct strlist keys;
	struct obs o;

	(void)state;
	for (int i = 0; i < CONFIG_MAX_FACTS + 1; i++)
		used += (size_t)snprintf(text + used, cap - used, "k%d = v\n", i);
	obs_init(&o);
	assert_int_equal(config_parse(CONFIG_SYNTAX_POSTCONF, text, used, NULL, &o), -1);
	assert_non_null(strstr(o.error, "keys:"));
	obs_free(&o);

	strlist_init(&keys);
	strlist_add(&keys, "k1000?");
	obs_init(&o);
	assert_int_equal(config_parse(CONFIG_SYNTAX_POSTCONF, text, used, &keys, &o), 0);
	assert_int_equal(metric(&o, "keys"), CONFIG_MAX_FACTS + 1);
	/* k10000 .. k10009 but only k10000 exists */
	assert_int_equal(o.nf, 1);
	fact_is(&o, "k10000", "v");
	obs_free(&o);
	strlist_free(&keys);
	free(text);
}

/* ---- configuration and whole runs ---------------------------------------- */

struct run_ctx {
	struct target t;
	struct ynode *root;
	struct cfgerr errs;
	void *state;
};

static int ctx_configure(struct run_ctx *c, const char *yaml, int64_t timeout_ms)
{
	memset(c, 0, sizeof(*c));
	cfgerr_init(&c->errs);
	c->t.name = (char *)"cf";
	c->t.probe = (char *)"config";
	c->t.ops = &probe_config_ops;
	c->t.timeout_ms = timeout_ms;
	c->root = ytree_load_string("agent.yaml", yaml, strlen(yaml), &c->errs);
	assert_non_null(c->root);
	return probe_config_ops.configure(&c->t, c->root, &c->errs);
}

static void ctx_run(struct run_ctx *c, struct obs *o)
{
	obs_init(o);
	probe_config_ops.run(&c->t, &c->state, o);
}

static void ctx_free(struct run_ctx *c)
{
	probe_config_ops.free_state(c->state);
	if (c->t.conf)
		probe_config_ops.free_conf(c->t.conf);
	free(c->t.driver);
	ytree_free(c->root);
	cfgerr_free(&c->errs);
}

static int errs_contain(const struct cfgerr *e, const char *needle)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->msgs[i], needle))
			return 1;
	return 0;
}

static void config_configure__options_checked_per_driver(void **state)
{
	struct run_ctx c;

	(void)state;
	assert_int_equal(ctx_configure(&c, "driver: file\n", 10000), -1);
	assert_true(errs_contain(&c.errs, "driver file needs path"));
	ctx_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: file\npath: smb.conf\n", 10000), -1);
	assert_true(errs_contain(&c.errs, "path must be absolute"));
	ctx_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: doveconf\nconfig_dir: /etc/postfix\n", 10000), -1);
	assert_true(errs_contain(&c.errs, "config_dir does not apply to driver doveconf"));
	ctx_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: file\npath: /etc/x\nmode: non-default\n", 10000),
			 -1);
	assert_true(errs_contain(&c.errs, "mode does not apply to driver file"));
	ctx_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: postconf\nmode: all\n", 10000), -1);
	ctx_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: command\n", 10000), -1);
	assert_true(errs_contain(&c.errs, "driver command needs command"));
	ctx_free(&c);

	assert_int_equal(ctx_configure(&c, "name: cf\nprobe: config\ndriver: doveconf\n"
					   "config_file: /etc/dovecot/dovecot.conf\nmode: non-default\n"
					   "keys: [ssl, \"ssl_*\"]\n", 10000), 0);
	assert_string_equal(c.t.driver, "doveconf");
	ctx_free(&c);
}

static void config_run__real_postconf__parameters_as_facts(void **state)
{
	struct run_ctx c;
	struct obs o;

	(void)state;
	if (access("/usr/sbin/postconf", X_OK) != 0)
		skip();
	assert_int_equal(ctx_configure(&c, "driver: postconf\npostconf: /usr/sbin/postconf\n"
					   "keys: [mail_version, queue_directory, \"smtpd_tls_*\"]\n",
				       10000), 0);
	ctx_run(&c, &o);
	assert_null(o.error);
	/* every Postfix 3.x has hundreds of parameters */
	assert_true(metric(&o, "keys") > 500);
	assert_non_null(obs_get_fact(&o, "mail_version"));
	assert_non_null(obs_get_fact(&o, "queue_directory"));
	assert_non_null(obs_get_fact(&o, "smtpd_tls_security_level"));
	assert_null(obs_get_fact(&o, "myhostname"));
	obs_free(&o);
	ctx_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: postconf\nmode: non-default\n"
					   "config_dir: /etc/postfix\n", 10000), 0);
	ctx_run(&c, &o);
	assert_null(o.error);
	assert_true(metric(&o, "keys") < 200);
	assert_int_equal(metric(&o, "keys"), (double)o.nf);
	obs_free(&o);
	ctx_free(&c);
}

static void config_run__real_doveconf__settings_as_facts(void **state)
{
	struct run_ctx c;
	struct obs o;

	(void)state;
	if (access("/usr/bin/doveconf", X_OK) != 0 || access("/etc/dovecot/dovecot.conf", R_OK) != 0)
		skip();
	assert_int_equal(ctx_configure(&c, "driver: doveconf\ndoveconf: /usr/bin/doveconf\n"
					   "config_file: /etc/dovecot/dovecot.conf\n", 10000), 0);
	ctx_run(&c, &o);
	assert_null(o.error);
	assert_true(metric(&o, "keys") > 300);
	assert_non_null(obs_get_fact(&o, "ssl"));
	assert_non_null(obs_get_fact(&o, "service.imap-login.inet_listener.imap.port"));
	obs_free(&o);
	ctx_free(&c);
}

static void config_run__file_and_command__same_facts(void **state)
{
	char *path = fixture_path("ufw-postfix.ini");
	char *yaml;
	struct run_ctx c;
	struct obs o;

	(void)state;
	yaml = xasprintf("driver: file\npath: %s\n", path);
	assert_int_equal(ctx_configure(&c, yaml, 10000), 0);
	ctx_run(&c, &o);
	assert_null(o.error);
	assert_int_equal(metric(&o, "keys"), 9);
	fact_is(&o, "Postfix_SMTPS.ports", "465/tcp");
	obs_free(&o);
	ctx_free(&c);
	free(yaml);

	yaml = xasprintf("driver: command\ncommand: [/bin/cat, %s]\nkeys: [\"*.ports\"]\n", path);
	assert_int_equal(ctx_configure(&c, yaml, 10000), 0);
	ctx_run(&c, &o);
	assert_null(o.error);
	assert_int_equal(metric(&o, "keys"), 9);
	assert_int_equal(o.nf, 3);
	fact_is(&o, "Postfix_Submission.ports", "587/tcp");
	obs_free(&o);
	ctx_free(&c);
	free(yaml);
	free(path);
}

static void config_run__missing_sources__errors(void **state)
{
	struct run_ctx c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "driver: file\npath: /nonexistent/smb.conf\n", 10000), 0);
	ctx_run(&c, &o);
	assert_string_equal(o.error, "open /nonexistent/smb.conf: No such file or directory");
	obs_free(&o);
	ctx_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: postconf\npostconf: /nonexistent/postconf\n",
				       10000), 0);
	ctx_run(&c, &o);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "/nonexistent/postconf"));
	obs_free(&o);
	ctx_free(&c);

	if (access("/usr/bin/doveconf", X_OK) == 0) {
		assert_int_equal(ctx_configure(&c, "driver: doveconf\n"
						   "config_file: /nonexistent/dovecot.conf\n", 10000), 0);
		ctx_run(&c, &o);
		assert_non_null(o.error);
		/* "doveconf: Fatal: open(/nonexistent/dovecot.conf) failed: ..." */
		assert_non_null(strstr(o.error, "Fatal:"));
		assert_non_null(strstr(o.error, "/nonexistent/dovecot.conf"));
		obs_free(&o);
		ctx_free(&c);
	}
}

static void config_run__command_sleeps_past_timeout__error_in_time(void **state)
{
	struct run_ctx c;
	struct obs o;
	int64_t t0;

	(void)state;
	assert_int_equal(ctx_configure(&c, "driver: command\ncommand: [/bin/sleep, \"5\"]\n", 300), 0);
	t0 = probe_mono_ms();
	ctx_run(&c, &o);
	assert_true(probe_mono_ms() - t0 < 3000);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "timed out"));
	obs_free(&o);
	ctx_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(postconf_parse__full_output__one_fact_per_parameter),
		cmocka_unit_test(postconf_parse__non_default_output__only_those),
		cmocka_unit_test(postconf_parse__keys_globs__keep_matching_count_all),
		cmocka_unit_test(doveconf_parse__non_default_output__sections_flattened),
		cmocka_unit_test(doveconf_parse__full_output__nested_services),
		cmocka_unit_test(doveconf_parse__repeated_unnamed_section__numbered),
		cmocka_unit_test(doveconf_parse__unbalanced_braces__error),
		cmocka_unit_test(file_parse__samba_conf__sections_and_comments),
		cmocka_unit_test(file_parse__ufw_profile__section_names_with_spaces),
		cmocka_unit_test(config_key_append__odd_characters__become_underscores),
		cmocka_unit_test(config_parse__too_many_keys__error_unless_filtered),
		cmocka_unit_test(config_configure__options_checked_per_driver),
		cmocka_unit_test(config_run__real_postconf__parameters_as_facts),
		cmocka_unit_test(config_run__real_doveconf__settings_as_facts),
		cmocka_unit_test(config_run__file_and_command__same_facts),
		cmocka_unit_test(config_run__missing_sources__errors),
		cmocka_unit_test(config_run__command_sleeps_past_timeout__error_in_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
