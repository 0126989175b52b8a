/*
 * fuzz-yaml.c - fuzz target: YAML loading (lib/ytree.c) and table-driven
 * decoding (lib/schema.c), as agent.yaml and the rule packs use them.
 *
 * The input is a YAML document.  When it loads, its root (or, for a
 * list, each item) is decoded with a schema that has one field of every
 * SCH_ type, bounds and defaults (a flow-list default among them), a
 * map under `options` is decoded again with the same table, every
 * error message is formatted, and the tree is walked with ymap_get on
 * every key.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgerr.h"
#include "fuzz.h"
#include "schema.h"
#include "strlist.h"
#include "ytree.h"

struct conf {
	char *name;
	bool enabled;
	long long count;
	double ratio;
	int64_t timeout_ms;
	uint64_t max_size;
	int mode;
	struct strlist hosts;
	struct strlist command;
	struct rx *pattern;
	int port;
	const struct ynode *options;
	struct strlist tags;
};

static const char *const modes[] = {"effective", "non-default", "both", NULL};

static const struct sch_field fields[] = {
    {"name", SCH_STR, offsetof(struct conf, name), 1, NULL, 0, 0, NULL},
    {"enabled", SCH_BOOL, offsetof(struct conf, enabled), 0, "yes", 0, 0, NULL},
    {"count", SCH_INT, offsetof(struct conf, count), 0, "3", 0, 1000, NULL},
    {"ratio", SCH_DOUBLE, offsetof(struct conf, ratio), 0, "0.5", 0, 0, NULL},
    {"timeout", SCH_DURATION, offsetof(struct conf, timeout_ms), 0, "10s", 100, 3600000, NULL},
    {"max_size", SCH_SIZE, offsetof(struct conf, max_size), 0, "64MB", 0, 0, NULL},
    {"mode", SCH_ENUM, offsetof(struct conf, mode), 0, "effective", 0, 0, modes},
    {"hosts", SCH_STRLIST, offsetof(struct conf, hosts), 0, "[localhost, 127.0.0.1]", 0, 0, NULL},
    {"command", SCH_ARGV, offsetof(struct conf, command), 0, NULL, 0, 0, NULL},
    {"pattern", SCH_REGEX, offsetof(struct conf, pattern), 0, NULL, 0, 0, NULL},
    {"port", SCH_PORT, offsetof(struct conf, port), 0, "25", 0, 0, NULL},
    {"options", SCH_NODE, offsetof(struct conf, options), 0, NULL, 0, 0, NULL},
    {"tags", SCH_STRLIST, offsetof(struct conf, tags), 0, NULL, 0, 0, NULL},
    SCH_END};

static const char *const ignored[] = {"probe", "driver", NULL};

/* Visit at most this many nodes: aliases share nodes, so a tree of a few
   hundred bytes can stand for billions of them ("billion laughs"). */
#define WALK_MAX 20000

static void
walk(const struct ynode *n, unsigned depth, unsigned *budget)
{
	if (n == NULL || *budget == 0 || depth > 100)
		return;
	(*budget)--;
	if (ynode_type_name(n->type) == NULL || n->file == NULL)
		abort();
	switch (n->type) {
	case Y_SCALAR:
		if (n->scalar == NULL)
			abort(); /* never NULL, says ytree.h */
		break;
	case Y_SEQ:
		for (size_t i = 0; i < n->n; i++)
			walk(n->items[i], depth + 1, budget);
		break;
	case Y_MAP:
		for (size_t i = 0; i < n->n; i++) {
			if (n->pairs[i].key->type != Y_SCALAR)
				abort(); /* keys are always scalars */
			if (ymap_get(n, n->pairs[i].key->scalar) == NULL)
				abort();
			walk(n->pairs[i].value, depth + 1, budget);
		}
		break;
	}
}

static void
decode(const struct ynode *map, struct cfgerr *errs)
{
	struct conf c;

	memset(&c, 0, sizeof(c));
	schema_apply(map, fields, &c, ignored, errs);
	if (c.options != NULL && c.options->type == Y_MAP) {
		struct conf sub;

		memset(&sub, 0, sizeof(sub));
		schema_apply(c.options, fields, &sub, NULL, errs);
		schema_free(fields, &sub);
	}
	schema_free(fields, &c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct cfgerr errs;
	struct ynode *root;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	cfgerr_init(&errs);
	root = ytree_load_string("fuzz.yaml", (const char *)data, size, &errs);
	if (root == NULL) {
		if (errs.n == 0)
			abort(); /* a refused document says why */
	} else {
		unsigned budget = WALK_MAX;

		walk(root, 0, &budget);
		if (root->type == Y_SEQ) {
			for (size_t i = 0; i < root->n && i < 100; i++)
				decode(root->items[i], &errs);
		} else {
			decode(root, &errs);
		}
		(void)schema_suggest("timout", fields, ignored);
		ytree_free(root);
	}
	cfgerr_print(&errs, devnull);
	cfgerr_free(&errs);
	return 0;
}
