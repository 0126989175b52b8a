/*
 * main.c - mxsla-agent: argument parsing and wiring only.
 *
 *   mxsla-agent [-c FILE] [run]
 *   mxsla-agent [-c FILE] scan [--format text|json|html] [--only RULE_GLOB]
 *   mxsla-agent [-c FILE] check-config
 *   mxsla-agent --version | --help
 *
 * Exit codes: 0 fine, 1 scan found warnings, 2 scan found criticals,
 * 64 usage error, 78 configuration error (sysexits).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_config.h"
#include "cfgerr.h"
#include "check.h"
#include "daemon.h"
#include "jsonout.h"
#include "log.h"
#include "obs.h"
#include "report.h"
#include "rule.h"

#define EX_USAGE 64
#define EX_CONFIG 78

static void
usage(FILE *fp)
{
	fprintf(fp,
		"usage: mxsla-agent [-c FILE] [run]\n"
		"       mxsla-agent [-c FILE] scan [--format text|json|html] [--only RULE_GLOB]\n"
		"       mxsla-agent [-c FILE] check-config\n"
		"       mxsla-agent --version | --help\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -v, --verbose       log debug messages\n"
		"\n"
		"run           probe on schedule and evaluate the rules until SIGTERM;\n"
		"              SIGHUP reloads the configuration\n"
		"scan          run every probe once, evaluate every rule, print a report;\n"
		"              exit 0 fine, 1 warnings, 2 criticals\n"
		"check-config  validate the configuration and every rule pack\n",
		AGENT_CONFIG_DEFAULT);
}

static struct agent_config *
load_or_report(const char *path)
{
	struct cfgerr errs;
	struct agent_config *cfg;

	cfgerr_init(&errs);
	cfg = agent_config_load(path, &errs);
	if (cfg == NULL)
		cfgerr_report(&errs, path);
	cfgerr_free(&errs);
	return cfg;
}

static int
cmd_scan(const char *path, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "only", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "text", *only = NULL;
	struct agent_config *cfg;
	struct scan_report rep;
	struct checkset cs;
	struct obs *obs;
	size_t nobs;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': format = optarg; break;
		case 'o': only = optarg; break;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc || (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
			       strcmp(format, "html") != 0)) {
		fprintf(stderr, "mxsla-agent: scan: --format must be text, json or html\n");
		return EX_USAGE;
	}
	cfg = load_or_report(path);
	if (cfg == NULL)
		return EX_CONFIG;
	if (scan_collect(cfg, only, &rep, &cs, &obs, &nobs) < 0) {
		fprintf(stderr, "mxsla-agent: scan: no check matches --only %s\n", only);
		checkset_free(&cs);
		scan_free_obs(obs, nobs);
		report_free(&rep);
		agent_config_free(cfg);
		return EX_USAGE;
	}
	if (strcmp(format, "json") == 0) {
		json_t *j = report_json(&rep);
		jsonout_dump(j, stdout, 1);
		json_decref(j);
	} else if (strcmp(format, "html") == 0) {
		report_html(stdout, &rep);
	} else {
		const char *nc = getenv("NO_COLOR");
		report_text(stdout, &rep, isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0'));
	}
	fflush(stdout);
	rc = report_exit_code(&rep);
	report_free(&rep);
	checkset_free(&cs);
	scan_free_obs(obs, nobs);
	agent_config_free(cfg);
	return rc;
}

static int
cmd_check_config(const char *path)
{
	struct agent_config *cfg = load_or_report(path);
	struct checkset cs;

	if (cfg == NULL)
		return EX_CONFIG;
	checkset_build(&cs, cfg, cfg->targets, cfg->ntargets);
	printf("%s: ok: agent %s, %zu targets, %zu rules from %zu paths, %zu checks\n", path, cfg->id,
	       cfg->ntargets, cfg->rules.n, cfg->rule_paths.n, cs.n);
	checkset_free(&cs);
	agent_config_free(cfg);
	return 0;
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
	const char *path = AGENT_CONFIG_DEFAULT, *cmd = "run";
	int ch, verbose = 0, rc;
	struct agent_config *cfg;

	log_init("mxsla-agent", LOG_LVL_INFO);
	/* "+": stop at the command so its own options are left to it */
	while ((ch = getopt_long(argc, argv, "+c:vVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'v': verbose = 1; break;
		case 'V': printf("mxsla-agent %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (strcmp(cmd, "scan") == 0) {
		if (verbose)
			log_set_level(LOG_LVL_DEBUG);
		else
			log_set_level(LOG_LVL_WARN);
		rc = cmd_scan(path, argc - optind + 1, argv + optind - 1);
	} else if (strcmp(cmd, "check-config") == 0) {
		if (optind != argc) {
			usage(stderr);
			return EX_USAGE;
		}
		rc = cmd_check_config(path);
	} else if (strcmp(cmd, "run") == 0) {
		if (optind != argc) {
			usage(stderr);
			return EX_USAGE;
		}
		cfg = load_or_report(path);
		if (cfg == NULL)
			return EX_CONFIG;
		log_set_level(verbose ? LOG_LVL_DEBUG : (enum log_level)cfg->log_level);
		rc = daemon_run(cfg, path);
	} else {
		fprintf(stderr, "mxsla-agent: unknown command '%s'\n", cmd);
		usage(stderr);
		rc = EX_USAGE;
	}
	return rc;
}
