/*
 * config_probe.h - the `config` probe (probe_config_ops, "config"): a
 * configuration read as keys and values, one fact per key, so that
 * best-practice rules can look at settings (`smtpd_tls_security_level ==
 * "may"`, `ssl != "no"`).
 *
 * Options (agent.yaml target):
 *   driver       postconf | doveconf | file | command (required)
 *   mode         effective (default: every value, defaults included:
 *                `postconf`, `doveconf`) | non-default (`postconf -n`,
 *                `doveconf -n`); postconf and doveconf only
 *   config_dir   postconf: `postconf -c DIR`
 *   config_file  doveconf: `doveconf -c FILE`
 *   postconf, doveconf  the programs (defaults "postconf", "doveconf")
 *   path         file: the file to read (at most CONFIG_FILE_MAX bytes)
 *   command      command: argv (never a shell); its output is read like
 *                a file
 *   keys         optional list of key names or fnmatch(3) globs
 *                ("smtpd_tls_*"); only matching keys become facts
 *
 * Facts: one per key (values verbatim, except that doveconf's quoting of
 * a whole value, `"%s(%u): "`, is undone).  Metric keys: how many keys
 * were read (before the keys filter).  More than CONFIG_MAX_FACTS facts
 * is an error (select some with keys:).
 *
 * Key names: characters outside [A-Za-z0-9_.-] become '_' (Samba's
 * "server string" is server_string).
 *   postconf   `name = value`, one per line, value possibly empty.
 *   doveconf   sections are flattened with '.': `service imap-login {
 *              inet_listener imap { port = 143 } }` gives
 *              service.imap-login.inet_listener.imap.port, `protocol imap {
 *              mail_plugins = ... }` gives protocol.imap.mail_plugins; a
 *              quoted section name ("Sent Messages") is unquoted first; a
 *              section met again under the same parent (two `passdb {`)
 *              gets .2, .3, ... appended.  Values such as `</etc/ssl/x.pem`
 *              and `# hidden, use -P to show it` are kept as printed.
 *   file       `key = value` (only '=' separates key and value);
 *              lines starting with '#' or ';' are comments; `[section]`
 *              headers make the following keys section.key; other lines
 *              (`!include ...`) are ignored.
 *
 * Programs run with LC_ALL=C and the target's timeout; one that cannot be
 * run or fails is obs_error with the first "fatal:" line (any case) of
 * its stderr, else the first line, else its exit status.  postconf needs
 * no privilege; doveconf needs to read dovecot.conf (root, usually).
 */
#ifndef MXSLA_CONFIG_PROBE_H
#define MXSLA_CONFIG_PROBE_H

#include <stddef.h>

struct obs;
struct strlist;

enum config_driver { CONFIG_POSTCONF, CONFIG_DOVECONF, CONFIG_FILE, CONFIG_COMMAND };
enum config_mode { CONFIG_EFFECTIVE, CONFIG_NON_DEFAULT };
enum config_syntax { CONFIG_SYNTAX_POSTCONF, CONFIG_SYNTAX_DOVECONF, CONFIG_SYNTAX_FILE };

#define CONFIG_MAX_FACTS 10000
#define CONFIG_FILE_MAX (4 * 1024 * 1024)
#define CONFIG_KEY_MAX 512 /* longer (flattened) key names are cut */

/* Parse text in the given syntax into o: a fact per key accepted by keys
   (NULL or empty: every key) and metric "keys".  Returns 0, or -1 after
   obs_error() (more than CONFIG_MAX_FACTS facts; doveconf: unbalanced
   braces). */
int config_parse(enum config_syntax syntax, const char *text, size_t len,
		 const struct strlist *keys, struct obs *o);

/* Replace every character outside [A-Za-z0-9_.-] of s[0..len) by '_' and
   append the result to buf (of size cap, always NUL-terminated).  Returns
   the new length of buf. */
size_t config_key_append(char *buf, size_t cap, size_t used, const char *s, size_t len);

#endif
