/*
 * queue_command.c - the queue probe's command driver: runs any program
 * (argv, no shell) and takes metrics and facts from the named groups of a
 * PCRE2 pattern matched against its whole output, so that queues this
 * agent has no driver for (qmail-qstat, sendmail's mailq, an appliance's
 * CLI) can still be watched:
 *
 *   pattern: "messages in queue: (?<total>\\d+)"
 *
 * A group whose value is a number becomes a metric, any other a fact.
 * It knows nothing about the program beyond its exit status: a program
 * that does not exit with status 0 is an error.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "obs.h"
#include "probe.h"
#include "queue.h"
#include "rx.h"
#include "subproc.h"
#include "xmalloc.h"

static void command_group(void *ctx, const char *name, const char *value, size_t vlen)
{
	struct obs *o = ctx;
	size_t a = 0, b = vlen;
	char buf[64];

	while (a < b && isspace((unsigned char)value[a]))
		a++;
	while (b > a && isspace((unsigned char)value[b - 1]))
		b--;
	if (b > a && b - a < sizeof(buf)) {
		char *end;
		double v;

		memcpy(buf, value + a, b - a);
		buf[b - a] = '\0';
		v = strtod(buf, &end);
		if (*end == '\0' && end != buf && isfinite(v) &&
		    !isalpha((unsigned char)buf[0]) && strchr(buf, 'x') == NULL &&
		    strchr(buf, 'X') == NULL) {
			obs_metric(o, name, v);
			return;
		}
	}
	obs_factn(o, name, value + a, b - a);
}

int queue_command_parse(const struct rx *pattern, const char *text, size_t len,
			struct obs *o)
{
	int rc = rx_match_groups(pattern, text ? text : "", text ? len : 0, command_group, o);

	if (rc == 1)
		return 0;
	if (rc == 0)
		obs_error(o, "output does not match pattern");
	else
		obs_error(o, "matching the pattern failed (match limit reached)");
	return -1;
}

void queue_command_run(const struct queue_conf *c, const struct target *t, struct obs *o)
{
	struct subproc_result res;

	if (probe_exec((const char *const *)c->command.v, t->timeout_ms,
		       c->max_output > 0 ? (size_t)c->max_output : 0, &res, o) < 0)
		return;
	queue_command_parse(c->pattern, res.out, res.out_len, o);
	if (res.out_truncated)
		obs_fact(o, "truncated", "output larger than max_output; only its start was matched");
	subproc_result_free(&res);
}
