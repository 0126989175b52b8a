/*
 * main.c - mxsla-collector: argument parsing and wiring only.
 *
 *   mxsla-collector [-c FILE] [-v] [serve]
 *   mxsla-collector [-c FILE] report --month YYYY-MM [--service ID] [--format json|csv|html]
 *   mxsla-collector [-c FILE] check-config
 *   mxsla-collector hash-password
 *   mxsla-collector --version | --help
 *
 * Exit codes (as the agent's): 0 fine, 1 the daemon or a report could not
 * run (database, listen address), 64 usage error, 78 configuration error
 * (sysexits).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "caltime.h"
#include "cfgerr.h"
#include "collector_config.h"
#include "log.h"
#include "serve.h"
#include "slareport.h"
#include "slarun.h"
#include "store.h"

#define EX_USAGE 64
#define EX_CONFIG 78

static void
usage(FILE *fp)
{
	fprintf(fp,
		"usage: mxsla-collector [-c FILE] [-v] [serve]\n"
		"       mxsla-collector [-c FILE] report --month YYYY-MM [--service ID]\n"
		"                       [--format json|csv|html]\n"
		"       mxsla-collector [-c FILE] check-config\n"
		"       mxsla-collector hash-password\n"
		"       mxsla-collector --version | --help\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -v, --verbose       log debug messages\n"
		"\n"
		"serve         the ingest and query API, monthly reports; SIGHUP reloads\n"
		"              the configuration, SIGTERM stops\n"
		"report        print a month's SLA report to standard output\n"
		"check-config  validate the configuration and print every error\n"
		"hash-password read a password from standard input and print its crypt(3)\n"
		"              hash for ui.users[].password_hash\n",
		COLLECTOR_CONFIG_DEFAULT);
}

static struct collector_config *
load_or_report(const char *path)
{
	struct cfgerr errs;
	struct collector_config *cfg;

	cfgerr_init(&errs);
	cfg = collector_config_load(path, &errs);
	if (cfg == NULL)
		cfgerr_report(&errs, path);
	cfgerr_free(&errs);
	return cfg;
}

static int
cmd_check_config(const char *path)
{
	struct collector_config *cfg = load_or_report(path);
	const char *err;

	if (cfg == NULL)
		return EX_CONFIG;
	if (caltime_set_zone(cfg->timezone, &err) < 0) {
		fprintf(stderr, "%s: timezone %s: %s\n", path, cfg->timezone, err);
		collector_config_free(cfg);
		return EX_CONFIG;
	}
	printf("%s: ok: %zu listen address%s, %zu agents, %zu services, %zu calendars, "
	       "%zu maintenance windows, %zu SNMP destinations, timezone %s\n",
	       path, cfg->nlisten, cfg->nlisten == 1 ? "" : "es", cfg->nagents, cfg->nservices,
	       cfg->ncalendars, cfg->nmaintenance, cfg->nsnmp, cfg->timezone);
	collector_config_free(cfg);
	return 0;
}

static int
cmd_report(const char *path, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "month", required_argument, NULL, 'm' },
		{ "service", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *month = NULL, *service = NULL, *format = "json", *err = NULL;
	struct store_options so = { 0 };
	struct collector_config *cfg;
	struct sla_report rep;
	struct store *st;
	int ch, y, mo, f, rc = 0;
	int64_t start, end, now = (int64_t)time(NULL);
	char *text;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "m:s:f:", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': month = optarg; break;
		case 's': service = optarg; break;
		case 'f': format = optarg; break;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc || month == NULL) {
		fprintf(stderr, "mxsla-collector: report: --month YYYY-MM is required\n");
		return EX_USAGE;
	}
	if ((f = slareport_format_parse(format)) < 0) {
		fprintf(stderr, "mxsla-collector: report: --format must be json, csv or html\n");
		return EX_USAGE;
	}
	if (strlen(month) != 7 || caltime_parse_month(month, &y, &mo) < 0) {
		fprintf(stderr, "mxsla-collector: report: --month must be YYYY-MM, not '%s'\n", month);
		return EX_USAGE;
	}
	cfg = load_or_report(path);
	if (cfg == NULL)
		return EX_CONFIG;
	if (caltime_set_zone(cfg->timezone, &err) < 0) {
		fprintf(stderr, "%s: timezone %s: %s\n", path, cfg->timezone, err);
		collector_config_free(cfg);
		return EX_CONFIG;
	}
	collector_config_localize(cfg);
	caltime_month(y, mo, &start, &end);
	if (start > now) {
		fprintf(stderr, "mxsla-collector: report: %s has not begun\n", month);
		collector_config_free(cfg);
		return EX_USAGE;
	}
	if (service != NULL && collector_config_service(cfg, service) == NULL) {
		fprintf(stderr, "mxsla-collector: report: no service '%s' in %s\n", service, path);
		collector_config_free(cfg);
		return EX_USAGE;
	}
	so.readonly = 1;
	so.sync_full = cfg->sync_full;
	so.stale_mult = cfg->stale_mult;
	so.stale_fixed_s = cfg->stale_fixed_s;
	if (store_open(cfg->database, &so, &st, &err) < 0) {
		fprintf(stderr, "mxsla-collector: database %s: %s\n", cfg->database, err);
		collector_config_free(cfg);
		return 1;
	}
	if (slarun_month(cfg, st, y, mo, now, service, &rep, &err) < 0) {
		fprintf(stderr, "mxsla-collector: report %s: %s\n", month, err);
		rc = 1;
	} else {
		text = slareport_render(&rep, (enum slareport_format)f);
		if (text != NULL) {
			fputs(text, stdout);
			if (*text != '\0' && text[strlen(text) - 1] != '\n')
				fputc('\n', stdout);
		}
		free(text);
		slarun_free(&rep);
		if (fflush(stdout) != 0)
			rc = 1;
	}
	store_close(st);
	collector_config_free(cfg);
	return rc;
}

/* One line from stdin into buf (without its newline); on a terminal
   with prompt on stderr and echo off.  0, or -1 at end of input or when
   the line is longer than the buffer. */
static int
read_password(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	size_t n;
	int rc = 0;

	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(buf, (int)size, stdin) == NULL)
		rc = -1;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (rc < 0)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(stdin))
		return -1;
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

static int
cmd_hash_password(void)
{
	char pw[AUTH_PASSWORD_MAX + 2], again[AUTH_PASSWORD_MAX + 2];
	const char *err = NULL;
	char *h;
	int rc = 0;

	if (read_password("Password: ", pw, sizeof(pw)) < 0) {
		fprintf(stderr, "mxsla-collector: no password read (at most %d bytes, one line)\n",
			AUTH_PASSWORD_MAX);
		return 1;
	}
	if (pw[0] == '\0') {
		fprintf(stderr, "mxsla-collector: the password is empty\n");
		explicit_bzero(pw, sizeof(pw));
		return 1;
	}
	if (isatty(STDIN_FILENO)) {
		if (read_password("Again: ", again, sizeof(again)) < 0 || strcmp(pw, again) != 0) {
			fprintf(stderr, "mxsla-collector: the passwords differ\n");
			rc = 1;
		}
		explicit_bzero(again, sizeof(again));
	}
	if (rc == 0) {
		h = auth_hash_password(pw, &err);
		if (h == NULL) {
			fprintf(stderr, "mxsla-collector: %s\n", err);
			rc = 1;
		} else {
			printf("%s\n", h);
			free(h);
		}
	}
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = COLLECTOR_CONFIG_DEFAULT, *cmd = "serve";
	struct collector_config *cfg;
	int ch, verbose = 0;

	log_init("mxsla-collector", LOG_LVL_INFO);
	/* "+": stop at the command so its own options are left to it */
	while ((ch = getopt_long(argc, argv, "+c:vVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'v': verbose = 1; break;
		case 'V': printf("mxsla-collector %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (strcmp(cmd, "report") == 0) {
		log_set_level(verbose ? LOG_LVL_DEBUG : LOG_LVL_WARN);
		return cmd_report(path, argc - optind + 1, argv + optind - 1);
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(cmd, "check-config") == 0)
		return cmd_check_config(path);
	if (strcmp(cmd, "hash-password") == 0)
		return cmd_hash_password();
	if (strcmp(cmd, "serve") != 0) {
		fprintf(stderr, "mxsla-collector: unknown command '%s'\n", cmd);
		usage(stderr);
		return EX_USAGE;
	}
	cfg = load_or_report(path);
	if (cfg == NULL)
		return EX_CONFIG;
	log_set_level(verbose ? LOG_LVL_DEBUG : (enum log_level)cfg->log_level);
	return serve_run(cfg, path);
}
