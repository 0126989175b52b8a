/*
 * probe_queue.c - the `queue` probe: option decoding, dispatch to the
 * driver files (queue_postfix.c, queue_exim.c, queue_command.c) and the
 * helpers they share (recipient domains, failure reasons).
 *
 * It does not talk to any MTA itself; see queue.h for what is reported.
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfgerr.h"
#include "obs.h"
#include "probe.h"
#include "queue.h"
#include "rx.h"
#include "schema.h"
#include "xmalloc.h"
#include "ytree.h"

static const char *const queue_driver_names[] = { "postfix", "exim", "command", NULL };

static const struct sch_field queue_fields[] = {
	{ "driver", SCH_ENUM, offsetof(struct queue_conf, driver), 1, NULL, 0, 0,
	  queue_driver_names },
	{ "config_dir", SCH_STR, offsetof(struct queue_conf, config_dir), 0, NULL, 0, 0, NULL },
	{ "postqueue", SCH_STR, offsetof(struct queue_conf, postqueue), 0, "postqueue", 0, 0,
	  NULL },
	{ "postconf", SCH_STR, offsetof(struct queue_conf, postconf), 0, "postconf", 0, 0, NULL },
	{ "exim", SCH_STR, offsetof(struct queue_conf, exim), 0, "exim", 0, 0, NULL },
	{ "command", SCH_ARGV, offsetof(struct queue_conf, command), 0, NULL, 0, 0, NULL },
	{ "pattern", SCH_REGEX, offsetof(struct queue_conf, pattern), 0, NULL, 0, 0, NULL },
	{ "max_output", SCH_SIZE, offsetof(struct queue_conf, max_output), 0,
	  QUEUE_DEFAULT_MAX_OUTPUT, 4096, 4.0 * 1024 * 1024 * 1024, NULL },
	SCH_END
};

/* Options that belong to one driver only, for "X is only for driver Y". */
static const struct {
	const char *key;
	int driver;
} queue_driver_keys[] = {
	{ "config_dir", QUEUE_POSTFIX }, { "postqueue", QUEUE_POSTFIX },
	{ "postconf", QUEUE_POSTFIX },   { "exim", QUEUE_EXIM },
	{ "command", QUEUE_COMMAND },    { "pattern", QUEUE_COMMAND },
};

/* ---- recipient domains ---------------------------------------------------- */

/* Open addressing on FNV-1a; the table only grows.  Domains longer than
   255 bytes (longer than DNS allows) are not counted. */
struct queue_domain {
	char *name;
	long count;
};

struct queue_domains {
	struct queue_domain *slots;
	size_t cap, n; /* past QUEUE_DOMAINS_MAX domains, new ones are not counted */
};

static uint32_t queue_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

struct queue_domains *queue_domains_new(void)
{
	struct queue_domains *d = xcalloc(1, sizeof(*d));

	d->cap = 64;
	d->slots = xcalloc(d->cap, sizeof(*d->slots));
	return d;
}

static void queue_domains_grow(struct queue_domains *d)
{
	size_t ncap = d->cap * 2;
	struct queue_domain *ns = xcalloc(ncap, sizeof(*ns));

	for (size_t i = 0; i < d->cap; i++) {
		if (d->slots[i].name == NULL)
			continue;
		size_t j = queue_hash(d->slots[i].name, strlen(d->slots[i].name)) & (ncap - 1);
		while (ns[j].name != NULL)
			j = (j + 1) & (ncap - 1);
		ns[j] = d->slots[i];
	}
	free(d->slots);
	d->slots = ns;
	d->cap = ncap;
}

void queue_domains_add(struct queue_domains *d, const char *address, size_t len)
{
	const char *at = NULL;
	char dom[256];
	size_t dlen;

	for (size_t i = 0; i < len; i++)
		if (address[i] == '@')
			at = address + i;
	if (at == NULL)
		return;
	dlen = len - (size_t)(at + 1 - address);
	if (dlen == 0 || dlen >= sizeof(dom))
		return;
	for (size_t i = 0; i < dlen; i++)
		dom[i] = (char)tolower((unsigned char)at[1 + i]);
	dom[dlen] = '\0';

	size_t j = queue_hash(dom, dlen) & (d->cap - 1);
	while (d->slots[j].name != NULL) {
		if (strcmp(d->slots[j].name, dom) == 0) {
			d->slots[j].count++;
			return;
		}
		j = (j + 1) & (d->cap - 1);
	}
	if (d->n >= QUEUE_DOMAINS_MAX)
		return;
	d->slots[j].name = xstrdup(dom);
	d->slots[j].count = 1;
	d->n++;
	if (d->n * 2 > d->cap)
		queue_domains_grow(d);
}

void queue_domains_report(const struct queue_domains *d, struct obs *o)
{
	const struct queue_domain *best = NULL;

	for (size_t i = 0; i < d->cap; i++) {
		const struct queue_domain *e = &d->slots[i];
		if (e->name == NULL)
			continue;
		if (best == NULL || e->count > best->count ||
		    (e->count == best->count && strcmp(e->name, best->name) < 0))
			best = e;
	}
	obs_metric(o, "top_destination_count", best ? (double)best->count : 0.0);
	if (best)
		obs_fact(o, "top_destination", best->name);
}

void queue_domains_free(struct queue_domains *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->cap; i++)
		free(d->slots[i].name);
	free(d->slots);
	free(d);
}


/* ---- the probe ------------------------------------------------------------ */

static void queue_free_conf(void *p)
{
	struct queue_conf *c = p;

	if (c == NULL)
		return;
	schema_free(queue_fields, c);
	free(c);
}

static int queue_configure(struct target *t, const struct ynode *map, struct cfgerr *errs)
{
	struct queue_conf *c = xcalloc(1, sizeof(*c));
	int rc = schema_apply(map, queue_fields, c, TARGET_COMMON_KEYS, errs);
	const struct ynode *drv = ymap_get(map, "driver");

	if (drv != NULL && rc == 0) {
		for (size_t i = 0; i < sizeof(queue_driver_keys) / sizeof(queue_driver_keys[0]); i++) {
			const struct ynode *n = ymap_get(map, queue_driver_keys[i].key);
			if (n != NULL && queue_driver_keys[i].driver != c->driver) {
				cfgerr_at(errs, n, "%s is only for driver %s", queue_driver_keys[i].key,
					  queue_driver_names[queue_driver_keys[i].driver]);
				rc = -1;
			}
		}
		if (c->driver == QUEUE_COMMAND) {
			if (c->command.n == 0) {
				cfgerr_at(errs, map, "driver command needs command");
				rc = -1;
			}
			if (c->pattern == NULL) {
				cfgerr_at(errs, map, "driver command needs pattern");
				rc = -1;
			} else if (rx_group_count(c->pattern) == 0) {
				cfgerr_at(errs, ymap_get(map, "pattern"),
					  "pattern has no named group such as (?<deferred>\\d+)");
				rc = -1;
			}
		}
		if (c->driver == QUEUE_POSTFIX && c->config_dir != NULL && c->config_dir[0] != '/') {
			cfgerr_at(errs, ymap_get(map, "config_dir"), "config_dir must be absolute: %s",
				  c->config_dir);
			rc = -1;
		}
	}
	if (rc < 0) {
		queue_free_conf(c);
		t->conf = NULL;
		return -1;
	}
	t->conf = c;
	if (t->driver == NULL)
		t->driver = xstrdup(queue_driver_names[c->driver]);
	return 0;
}

static void queue_run(const struct target *t, void **state, struct obs *o)
{
	const struct queue_conf *c = t->conf;

	switch (c->driver) {
	case QUEUE_POSTFIX:
		queue_postfix_run(c, t, state, o);
		break;
	case QUEUE_EXIM:
		queue_exim_run(c, t, o);
		break;
	case QUEUE_COMMAND:
		queue_command_run(c, t, o);
		break;
	default:
		obs_error(o, "unknown queue driver %d", c->driver);
		break;
	}
}

static void queue_free_state(void *state)
{
	queue_postfix_free_state(state);
}

const struct probe_ops probe_queue_ops = {
	.name = "queue",
	.configure = queue_configure,
	.run = queue_run,
	.free_state = queue_free_state,
	.free_conf = queue_free_conf,
};
