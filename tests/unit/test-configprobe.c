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
#include "testutil.h"
#include "xmalloc.h"

static char *fixture_path(const char *name)
{
	return xasprintf("%s/config/probe/%s", TEST_DATA_DIR, name);
}

static void parse_fixture(enum config_syntax syntax, const char *name,
			  const struct strlist *keys, struct obs *o)
{
	size_t len;
	char *text = tu_read_data("config/probe", name, &len);

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
	assert_int_equal(tu_metric(&o, "keys"), 1043);
	assert_int_equal(o.nf, 1043);
	assert_fact(&o, "myhostname", "vm");
	assert_fact(&o, "mail_version", "3.7.11");
	assert_fact(&o, "compatibility_level", "3.6");
	assert_fact(&o, "smtpd_banner", "$myhostname ESMTP $mail_name (Debian/GNU)");
	/* "relayhost =" with nothing after it */
	assert_fact(&o, "relayhost", "");
	assert_fact(&o, "2bounce_notice_recipient", "postmaster");
	obs_free(&o);
}

static void postconf_parse__non_default_output__only_those(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture(CONFIG_SYNTAX_POSTCONF, "postconf-n.txt", NULL, &o);
	assert_int_equal(tu_metric(&o, "keys"), 18);
	assert_int_equal(o.nf, 18);
	assert_fact(&o, "inet_interfaces", "loopback-only");
	assert_fact(&o, "mynetworks", "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128");
	assert_fact(&o, "smtpd_relay_restrictions",
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
	assert_int_equal(tu_metric(&o, "keys"), 1043);
	assert_int_equal(o.nf, 31);
	assert_fact(&o, "myhostname", "vm");
	assert_fact(&o, "smtpd_tls_security_level", "");
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
	assert_int_equal(tu_metric(&o, "keys"), 17);
	assert_fact(&o, "mail_location", "mbox:~/mail:INBOX=/var/mail/%u");
	assert_fact(&o, "namespace.inbox.inbox", "yes");
	assert_fact(&o, "namespace.inbox.location", "");
	assert_fact(&o, "namespace.inbox.mailbox.Drafts.special_use", "\\Drafts");
	/* mailbox "Sent Messages" { */
	assert_fact(&o, "namespace.inbox.mailbox.Sent_Messages.special_use", "\\Sent");
	assert_fact(&o, "passdb.driver", "pam");
	assert_fact(&o, "userdb.driver", "passwd");
	/* protocols = " imap lmtp pop3": doveconf's quotes removed */
	assert_fact(&o, "protocols", " imap lmtp pop3");
	/* file references and hidden values verbatim */
	assert_fact(&o, "ssl_cert", "</etc/dovecot/private/dovecot.pem");
	assert_fact(&o, "ssl_key", "# hidden, use -P to show it");
	obs_free(&o);
}

static void doveconf_parse__full_output__nested_services(void **state)
{
	struct obs o;

	(void)state;
	parse_fixture(CONFIG_SYNTAX_DOVECONF, "doveconf.txt", NULL, &o);
	assert_int_equal(tu_metric(&o, "keys"), 982);
	assert_int_equal(o.nf, 982);
	assert_fact(&o, "ssl", "yes");
	assert_fact(&o, "auth_mechanisms", "plain");
	assert_fact(&o, "service.imap-login.inet_listener.imap.port", "143");
	assert_fact(&o, "service.imap-login.inet_listener.imaps.port", "993");
	assert_fact(&o, "service.imap-login.inet_listener.imaps.ssl", "yes");
	/* unix_listener login/login { : '/' is not an identifier character */
	assert_fact(&o, "service.auth.unix_listener.login_login.mode", "0666");
	/* inet_listener { without a name */
	assert_fact(&o, "service.director.inet_listener.port", "0");
	assert_fact(&o, "mail_log_prefix", "%s(%u)<%{pid}><%{session}>: ");
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
	assert_fact(&o, "passdb.driver", "pam");
	assert_fact(&o, "passdb.2.driver", "passwd-file");
	assert_fact(&o, "passdb.2.args", "/etc/dovecot/users");
	assert_fact(&o, "passdb.3.driver", "ldap");
	assert_int_equal(tu_metric(&o, "keys"), 4);
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
	assert_int_equal(tu_metric(&o, "keys"), 31);
	assert_int_equal(o.nf, 31);
	assert_fact(&o, "global.workgroup", "WORKGROUP");
	assert_fact(&o, "global.server_role", "standalone server");
	assert_fact(&o, "global.log_file", "/var/log/samba/log.%m");
	assert_fact(&o, "homes.valid_users", "%S");
	assert_fact(&o, "printers.path", "/var/tmp");
	/* [print$] */
	assert_fact(&o, "print_.path", "/var/lib/samba/printers");
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
	assert_int_equal(tu_metric(&o, "keys"), 9);
	assert_fact(&o, "Postfix.ports", "25/tcp");
	assert_fact(&o, "Postfix_SMTPS.ports", "465/tcp");
	assert_fact(&o, "Postfix_Submission.title", "Mail server (Submission)");
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
	assert_int_equal(tu_metric(&o, "keys"), CONFIG_MAX_FACTS + 1);
	/* k10000 .. k10009 but only k10000 exists */
	assert_int_equal(o.nf, 1);
	assert_fact(&o, "k10000", "v");
	obs_free(&o);
	strlist_free(&keys);
	free(text);
}

/* ---- configuration and whole runs ---------------------------------------- */

static int ctx_configure(struct tu_probe *c, const char *yaml, int64_t timeout_ms)
{
	return tu_probe_configure(c, &probe_config_ops, "cf", yaml, timeout_ms);
}

static void config_configure__options_checked_per_driver(void **state)
{
	struct tu_probe c;

	(void)state;
	assert_int_equal(ctx_configure(&c, "driver: file\n", 10000), -1);
	assert_true(tu_errs_contain(&c.errs, "driver file needs path"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: file\npath: smb.conf\n", 10000), -1);
	assert_true(tu_errs_contain(&c.errs, "path must be absolute"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: doveconf\nconfig_dir: /etc/postfix\n", 10000), -1);
	assert_true(tu_errs_contain(&c.errs, "config_dir does not apply to driver doveconf"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: file\npath: /etc/x\nmode: non-default\n", 10000),
			 -1);
	assert_true(tu_errs_contain(&c.errs, "mode does not apply to driver file"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: postconf\nmode: all\n", 10000), -1);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: command\n", 10000), -1);
	assert_true(tu_errs_contain(&c.errs, "driver command needs command"));
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "name: cf\nprobe: config\ndriver: doveconf\n"
					   "config_file: /etc/dovecot/dovecot.conf\nmode: non-default\n"
					   "keys: [ssl, \"ssl_*\"]\n", 10000), 0);
	assert_string_equal(c.t.driver, "doveconf");
	tu_probe_free(&c);
}

static void config_run__real_postconf__parameters_as_facts(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	if (access("/usr/sbin/postconf", X_OK) != 0)
		skip();
	assert_int_equal(ctx_configure(&c, "driver: postconf\npostconf: /usr/sbin/postconf\n"
					   "keys: [mail_version, queue_directory, \"smtpd_tls_*\"]\n",
				       10000), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	/* every Postfix 3.x has hundreds of parameters */
	assert_true(tu_metric(&o, "keys") > 500);
	assert_non_null(obs_get_fact(&o, "mail_version"));
	assert_non_null(obs_get_fact(&o, "queue_directory"));
	assert_non_null(obs_get_fact(&o, "smtpd_tls_security_level"));
	assert_null(obs_get_fact(&o, "myhostname"));
	obs_free(&o);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: postconf\nmode: non-default\n"
					   "config_dir: /etc/postfix\n", 10000), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_true(tu_metric(&o, "keys") < 200);
	assert_int_equal(tu_metric(&o, "keys"), (double)o.nf);
	obs_free(&o);
	tu_probe_free(&c);
}

static void config_run__real_doveconf__settings_as_facts(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	if (access("/usr/bin/doveconf", X_OK) != 0 || access("/etc/dovecot/dovecot.conf", R_OK) != 0)
		skip();
	assert_int_equal(ctx_configure(&c, "driver: doveconf\ndoveconf: /usr/bin/doveconf\n"
					   "config_file: /etc/dovecot/dovecot.conf\n", 10000), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_true(tu_metric(&o, "keys") > 300);
	assert_non_null(obs_get_fact(&o, "ssl"));
	assert_non_null(obs_get_fact(&o, "service.imap-login.inet_listener.imap.port"));
	obs_free(&o);
	tu_probe_free(&c);
}

static void config_run__file_and_command__same_facts(void **state)
{
	char *path = fixture_path("ufw-postfix.ini");
	char *yaml;
	struct tu_probe c;
	struct obs o;

	(void)state;
	yaml = xasprintf("driver: file\npath: %s\n", path);
	assert_int_equal(ctx_configure(&c, yaml, 10000), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_int_equal(tu_metric(&o, "keys"), 9);
	assert_fact(&o, "Postfix_SMTPS.ports", "465/tcp");
	obs_free(&o);
	tu_probe_free(&c);
	free(yaml);

	yaml = xasprintf("driver: command\ncommand: [/bin/cat, %s]\nkeys: [\"*.ports\"]\n", path);
	assert_int_equal(ctx_configure(&c, yaml, 10000), 0);
	tu_probe_run(&c, &o);
	assert_null(o.error);
	assert_int_equal(tu_metric(&o, "keys"), 9);
	assert_int_equal(o.nf, 3);
	assert_fact(&o, "Postfix_Submission.ports", "587/tcp");
	obs_free(&o);
	tu_probe_free(&c);
	free(yaml);
	free(path);
}

static void config_run__missing_sources__errors(void **state)
{
	struct tu_probe c;
	struct obs o;

	(void)state;
	assert_int_equal(ctx_configure(&c, "driver: file\npath: /nonexistent/smb.conf\n", 10000), 0);
	tu_probe_run(&c, &o);
	assert_string_equal(o.error, "open /nonexistent/smb.conf: No such file or directory");
	obs_free(&o);
	tu_probe_free(&c);

	assert_int_equal(ctx_configure(&c, "driver: postconf\npostconf: /nonexistent/postconf\n",
				       10000), 0);
	tu_probe_run(&c, &o);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "/nonexistent/postconf"));
	obs_free(&o);
	tu_probe_free(&c);

	if (access("/usr/bin/doveconf", X_OK) == 0) {
		assert_int_equal(ctx_configure(&c, "driver: doveconf\n"
						   "config_file: /nonexistent/dovecot.conf\n", 10000), 0);
		tu_probe_run(&c, &o);
		assert_non_null(o.error);
		/* "doveconf: Fatal: open(/nonexistent/dovecot.conf) failed: ..." */
		assert_non_null(strstr(o.error, "Fatal:"));
		assert_non_null(strstr(o.error, "/nonexistent/dovecot.conf"));
		obs_free(&o);
		tu_probe_free(&c);
	}
}

static void config_run__command_sleeps_past_timeout__error_in_time(void **state)
{
	struct tu_probe c;
	struct obs o;
	int64_t t0;

	(void)state;
	assert_int_equal(ctx_configure(&c, "driver: command\ncommand: [/bin/sleep, \"5\"]\n", 300), 0);
	t0 = probe_mono_ms();
	tu_probe_run(&c, &o);
	assert_true(probe_mono_ms() - t0 < 3000);
	assert_non_null(o.error);
	assert_non_null(strstr(o.error, "timed out"));
	obs_free(&o);
	tu_probe_free(&c);
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
