/*
 * test-config.c - the configuration loader foundation: the YAML tree
 * (ytree), the error list (cfgerr) and table-driven decoding (schema).
 *
 * Errors are compared as whole "FILE:LINE:COL: message" strings, because
 * the exact text and location are what an operator sees.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cfgerr.h"
#include "rx.h"
#include "schema.h"
#include "strlist.h"
#include "ytree.h"

#define CONFIG_DIR TEST_DATA_DIR "/config"

/* Compare the whole error list with want (NULL-terminated). */
static void
assert_errors(const struct cfgerr *e, const char *const *want)
{
	size_t n = 0, i;

	while (want[n] != NULL)
		n++;
	if (e->n != n) {
		for (i = 0; i < e->n; i++)
			print_error("got:  %s\n", e->msgs[i]);
		for (i = 0; i < n; i++)
			print_error("want: %s\n", want[i]);
		fail_msg("%zu errors, want %zu", e->n, n);
	}
	for (i = 0; i < n; i++)
		assert_string_equal(e->msgs[i], want[i]);
}

static struct ynode *
load(const char *text, struct cfgerr *e)
{
	return ytree_load_string("t.yaml", text, strlen(text), e);
}

/* Load text that must fail and compare its errors. */
static void
assert_load_errors(const char *text, const char *const *want)
{
	struct cfgerr e;
	struct ynode *root;

	cfgerr_init(&e);
	root = load(text, &e);
	if (root != NULL)
		fail_msg("loaded: %s", text);
	assert_errors(&e, want);
	cfgerr_free(&e);
}

/* ---- ytree ---- */

static void
ytree_load__syntax_error__one_error_with_libyaml_problem_at_its_mark(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "a: b: c\n", "t.yaml:1:5: mapping values are not allowed in this context" },
		{ "a:\n  b: 1\n c: 2\n",
		  "t.yaml:3:2: did not find expected key (while parsing a block mapping that starts at 1:1)" },
		{ "a: [1, 2\n",
		  "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow sequence that starts at 1:4)" },
		{ "a: \"open\n",
		  "t.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar that starts at 1:4)" },
		{ "a:\n\t- x\n",
		  "t.yaml:2:1: found character that cannot start any token (while scanning for the next token that starts at 2:1)" },
		{ "a: b\nc: \xff\n", "t.yaml:2:4: invalid leading UTF-8 octet" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *want[] = { cases[i].want, NULL };

		assert_load_errors(cases[i].text, want);
	}
}

static void
ytree_load__duplicate_keys__each_reported_with_first_location(void **state)
{
	static const char *const want[] = {
		"t.yaml:3:1: duplicate key 'interval' (first at 1:1)",
		"t.yaml:5:3: duplicate key 'a' (first at 4:10)",
		"t.yaml:6:1: duplicate key 'interval' (first at 1:1)",
		NULL,
	};

	assert_load_errors("interval: 10s\n"
			   "name: x\n"
			   "interval: 20s\n"
			   "nested: {a: 1,\n"
			   "  a: 2}\n"
			   "interval: 30s\n",
			   want);
}

static void
ytree_load__positions__one_based_for_nodes_and_keys(void **state)
{
	struct cfgerr e;
	struct ynode *root;
	const struct ynode *agent, *roles, *targets, *cmd;

	cfgerr_init(&e);
	root = ytree_load_file(CONFIG_DIR "/agent-spec.yaml", &e);
	assert_non_null(root);
	assert_int_equal(e.n, 0);
	assert_int_equal(root->type, Y_MAP);
	assert_int_equal(root->n, 7);
	assert_string_equal(root->file, CONFIG_DIR "/agent-spec.yaml");
	/* the map starts at its first key */
	assert_int_equal(root->line, 2);
	assert_int_equal(root->col, 1);

	agent = ymap_get(root, "agent");
	assert_non_null(agent);
	assert_int_equal(agent->pairs[1].key->line, 4);
	assert_int_equal(agent->pairs[1].key->col, 3);
	assert_string_equal(agent->pairs[1].value->scalar, "hq");
	assert_int_equal(agent->pairs[1].value->col, 9);
	roles = ymap_get(agent, "roles");
	assert_int_equal(roles->type, Y_SEQ);
	assert_int_equal(roles->n, 2);
	assert_int_equal(roles->items[1]->line, 5);
	assert_int_equal(roles->items[1]->col, 20);

	targets = ymap_get(root, "targets");
	assert_int_equal(targets->type, Y_SEQ);
	assert_int_equal(targets->n, 8);
	cmd = ymap_get(targets->items[7], "command");
	assert_int_equal(cmd->type, Y_SEQ);
	assert_int_equal(cmd->line, 22);
	assert_int_equal(cmd->col, 45);
	assert_string_equal(cmd->items[0]->scalar, "/usr/lib/nagios/plugins/check_mailq");
	assert_int_equal(cmd->items[0]->col, 46);
	assert_string_equal(cmd->items[2]->scalar, "100");
	assert_int_equal(cmd->items[2]->col, 87);
	assert_int_equal(cmd->items[2]->quoted, YQ_DOUBLE);
	assert_string_equal(ymap_get(targets->items[5], "pattern")->scalar, "*.tar.zst");

	assert_null(ymap_get(root, "nope"));
	assert_null(ymap_get(roles, "mailbox"));
	ytree_free(root);
	cfgerr_free(&e);
}

static void
ytree_load__scalar_styles__quoted_and_null_flags(void **state)
{
	static const struct {
		const char *text;
		const char *scalar;
		int quoted, is_null;
	} cases[] = {
		{ "k: v\n", "v", YQ_PLAIN, 0 },
		{ "k: ~\n", "~", YQ_PLAIN, 1 },
		{ "k: null\n", "null", YQ_PLAIN, 1 },
		{ "k: Null\n", "Null", YQ_PLAIN, 1 },
		{ "k: NULL\n", "NULL", YQ_PLAIN, 1 },
		{ "k: nULL\n", "nULL", YQ_PLAIN, 0 },
		{ "k:\n", "", YQ_PLAIN, 1 },
		{ "k: ''\n", "", YQ_SINGLE, 0 },
		{ "k: \"~\"\n", "~", YQ_DOUBLE, 0 },
		{ "k: 'it''s'\n", "it's", YQ_SINGLE, 0 },
		{ "k: \"a\\tb\"\n", "a\tb", YQ_DOUBLE, 0 },
		{ "k: |\n  one\n  two\n", "one\ntwo\n", YQ_LITERAL, 0 },
		{ "k: >\n  one\n  two\n", "one two\n", YQ_FOLDED, 0 },
		{ "k: !!str ~\n", "~", YQ_PLAIN, 0 },
		{ "k: 10s # comment\n", "10s", YQ_PLAIN, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfgerr e;
		struct ynode *root;
		const struct ynode *v;

		cfgerr_init(&e);
		root = load(cases[i].text, &e);
		assert_non_null(root);
		v = ymap_get(root, "k");
		assert_non_null(v);
		assert_int_equal(v->type, Y_SCALAR);
		assert_string_equal(v->scalar, cases[i].scalar);
		if (v->quoted != cases[i].quoted || v->is_null != cases[i].is_null)
			fail_msg("%s: quoted %d is_null %d", cases[i].text, v->quoted, v->is_null);
		ytree_free(root);
		cfgerr_free(&e);
	}
}

static void
ytree_load__anchors_and_merge_keys__shared_nodes_explicit_keys_win(void **state)
{
	struct cfgerr e;
	struct ynode *root;
	const struct ynode *targets, *t0, *t1, *roles, *also;

	cfgerr_init(&e);
	root = ytree_load_file(CONFIG_DIR "/anchors.yaml", &e);
	assert_non_null(root);
	assert_int_equal(e.n, 0);
	targets = ymap_get(root, "targets");
	t0 = targets->items[0];
	t1 = targets->items[1];
	/* keys written in the map first, then the merged ones */
	assert_int_equal(t0->n, 4);
	assert_string_equal(t0->pairs[0].key->scalar, "name");
	assert_string_equal(t0->pairs[2].key->scalar, "host");
	assert_string_equal(ymap_get(t0, "host")->scalar, "127.0.0.1");
	assert_string_equal(ymap_get(t0, "timeout")->scalar, "10s");
	/* merged keys keep the location where they were written */
	assert_int_equal(t0->pairs[2].key->line, 3);
	assert_int_equal(t1->n, 4);
	assert_string_equal(ymap_get(t1, "timeout")->scalar, "5s");
	assert_string_equal(ymap_get(t1, "port")->scalar, "143");
	assert_null(ymap_get(t0, "<<"));

	roles = ymap_get(root, "roles");
	also = ymap_get(root, "also");
	assert_ptr_equal(roles, also);
	assert_int_equal(also->n, 2);
	ytree_free(root);
	cfgerr_free(&e);
}

static void
ytree_load__merge_list__earlier_source_wins(void **state)
{
	struct cfgerr e;
	struct ynode *root;
	const struct ynode *c;

	cfgerr_init(&e);
	root = load("a: &a {x: 1, y: 1}\n"
		    "b: &b {y: 2, z: 2}\n"
		    "c: {<<: [*a, *b], w: 3}\n",
		    &e);
	assert_non_null(root);
	c = ymap_get(root, "c");
	assert_int_equal(c->n, 4);
	assert_string_equal(ymap_get(c, "w")->scalar, "3");
	assert_string_equal(ymap_get(c, "x")->scalar, "1");
	assert_string_equal(ymap_get(c, "y")->scalar, "1");
	assert_string_equal(ymap_get(c, "z")->scalar, "2");
	ytree_free(root);
	cfgerr_free(&e);
}

static void
ytree_load__bad_aliases_and_merges__all_reported(void **state)
{
	static const char *const want[] = {
		"t.yaml:1:4: unknown alias '*nope'",
		"t.yaml:2:11: alias '*x' refers to a node that contains it",
		"t.yaml:3:9: merge key '<<' takes a mapping or a list of mappings, not a scalar",
		"t.yaml:4:3: a mapping key must be a scalar, not a list",
		"t.yaml:6:8: unknown alias '*nope2'",
		NULL,
	};

	assert_load_errors("a: *nope\n"
			   "b: &x [1, *x]\n"
			   "c: {<<: 5}\n"
			   "? [k]\n"
			   ": v\n"
			   "d: [1, *nope2]\n",
			   want);
}

static void
ytree_load__nul_in_string__refused(void **state)
{
	static const char *const want[] = { "t.yaml:1:4: a NUL character is not allowed in a string", NULL };

	assert_load_errors("a: \"x\\0y\"\n", want);
}

/* "[[[...]]]" nested n deep, xmalloc'd. */
static char *
nested(int n)
{
	char *s = malloc((size_t)n * 2 + 2);
	int i;

	for (i = 0; i < n; i++) {
		s[i] = '[';
		s[n + i] = ']';
	}
	s[2 * n] = '\n';
	s[2 * n + 1] = '\0';
	return s;
}

static void
ytree_load__depth_limit__64_levels_accepted_65_refused(void **state)
{
	static const char *const want65[] = { "t.yaml:1:65: nesting deeper than 64 levels", NULL };
	struct cfgerr e;
	struct ynode *root;
	const struct ynode *n;
	char *text = nested(64);
	int depth = 0;

	cfgerr_init(&e);
	root = load(text, &e);
	assert_non_null(root);
	for (n = root; n->type == Y_SEQ; n = n->n > 0 ? n->items[0] : NULL) {
		depth++;
		if (n->n == 0)
			break;
	}
	assert_int_equal(depth, 64);
	ytree_free(root);
	cfgerr_free(&e);
	free(text);

	text = nested(65);
	assert_load_errors(text, want65);
	free(text);
}

static void
ytree_load__depth_limit__counts_levels_reached_through_aliases(void **state)
{
	static const char *const want[] = {
		"t.yaml:2:5: nesting deeper than 64 levels (through alias '*a')", NULL
	};
	char *inner = nested(63), *text;
	struct cfgerr e;
	struct ynode *root;

	/* "a" reaches level 64 (the top map is level 1): fine on its own */
	inner[strlen(inner) - 1] = '\0';
	text = malloc(strlen(inner) + 64);
	sprintf(text, "a: &a %s\nb: *a\n", inner);
	cfgerr_init(&e);
	root = load(text, &e);
	assert_non_null(root);
	ytree_free(root);
	cfgerr_free(&e);

	/* one level more when it is used inside a list */
	sprintf(text, "a: &a %s\nb: [*a]\n", inner);
	assert_load_errors(text, want);
	free(text);
	free(inner);
}

static void
ytree_load__alias_bomb__refused(void **state)
{
	static const char *const want[] = { "t.yaml:6:36: aliases expand to more than 1000000 nodes", NULL };

	assert_load_errors("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			   "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
			   want);
}

static void
ytree_load__empty_documents__empty_map(void **state)
{
	static const char *const texts[] = { "", "\n", "# only a comment\n", "---\n", "~\n", "--- ~\n...\n" };
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct cfgerr e;
		struct ynode *root;

		cfgerr_init(&e);
		root = load(texts[i], &e);
		if (root == NULL)
			fail_msg("'%s' refused", texts[i]);
		assert_int_equal(root->type, Y_MAP);
		assert_int_equal(root->n, 0);
		assert_int_equal(e.n, 0);
		ytree_free(root);
		cfgerr_free(&e);
	}
}

static void
ytree_load__second_document__refused(void **state)
{
	static const char *const want[] = { "t.yaml:2:1: only one YAML document is allowed in a file", NULL };
	struct cfgerr e;
	struct ynode *root;

	assert_load_errors("a: 1\n---\nb: 2\n", want);
	/* an explicit end marker alone is not a second document */
	cfgerr_init(&e);
	root = load("--- \na: 1\n...\n", &e);
	assert_non_null(root);
	ytree_free(root);
	cfgerr_free(&e);
}

static void
ytree_load_file__unreadable_path__cannot_open_error(void **state)
{
	static const char *const want_missing[] = {
		"/nonexistent-mxsla/agent.yaml:0:0: cannot open: No such file or directory", NULL
	};
	static const char *const want_dir[] = { CONFIG_DIR ":0:0: cannot read: Is a directory", NULL };
	struct cfgerr e;

	cfgerr_init(&e);
	assert_null(ytree_load_file("/nonexistent-mxsla/agent.yaml", &e));
	assert_errors(&e, want_missing);
	cfgerr_free(&e);

	assert_null(ytree_load_file(CONFIG_DIR, &e));
	assert_errors(&e, want_dir);
	cfgerr_free(&e);
}

static void
ytree_load__over_16_mb__refused(void **state)
{
	static const char *const want[] = { "t.yaml:0:0: file is too large (over 16 MB)", NULL };
	const size_t cap = 16u * 1024 * 1024;
	char *big = malloc(cap + 1);
	char path[] = "/tmp/test-config-big-XXXXXX";
	char msg[128];
	struct cfgerr e;
	struct ynode *root;
	int fd;

	/* exactly at the cap: loads */
	memset(big, '\n', cap + 1);
	memcpy(big, "a: 1\n", 5);
	cfgerr_init(&e);
	root = ytree_load_string("t.yaml", big, cap, &e);
	assert_non_null(root);
	assert_string_equal(ymap_get(root, "a")->scalar, "1");
	ytree_free(root);
	/* one byte more: refused before parsing */
	assert_null(ytree_load_string("t.yaml", big, cap + 1, &e));
	assert_errors(&e, want);
	cfgerr_free(&e);
	free(big);

	/* a file: refused from its size */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)cap + 1), 0);
	close(fd);
	assert_null(ytree_load_file(path, &e));
	snprintf(msg, sizeof(msg), "%s:0:0: file is too large (over 16 MB)", path);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msgs[0], msg);
	cfgerr_free(&e);
	unlink(path);
}

static void
ytree_type_name__words_used_in_messages(void **state)
{
	assert_string_equal(ynode_type_name(Y_SCALAR), "scalar");
	assert_string_equal(ynode_type_name(Y_SEQ), "list");
	assert_string_equal(ynode_type_name(Y_MAP), "mapping");
}

/* ---- cfgerr ---- */

static void
cfgerr_at_col__points_inside_scalars(void **state)
{
	static const struct {
		const char *text;
		int off;
		const char *want;
	} cases[] = {
		{ "k: ab(c\n", 2, "t.yaml:1:6: x" },
		{ "k: \"ab(c\"\n", 2, "t.yaml:1:7: x" },
		{ "k: 'ab(c'\n", 2, "t.yaml:1:7: x" },
		/* two bytes of UTF-8 are one column */
		{ "k: \"\xc3\xa9(\"\n", 2, "t.yaml:1:6: x" },
		/* block scalars: content starts on the next line */
		{ "k: |\n    ab(c\n", 2, "t.yaml:2:7: x" },
		{ "k: |\n  first\n  se(cond\n", 8, "t.yaml:3:5: x" },
		{ "k: |\n\n  after blank(\n", 12, "t.yaml:3:14: x" },
		{ "list:\n  - >\n      fo(ld\n", 2, "t.yaml:3:9: x" },
		{ "k: |2\n     x(\n", 4, "t.yaml:2:7: x" },
		/* past the end: clamped to the end */
		{ "k: abc\n", 99, "t.yaml:1:7: x" },
		{ "k: abc\n", -5, "t.yaml:1:4: x" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfgerr e;
		struct ynode *root;
		const struct ynode *v;

		cfgerr_init(&e);
		root = load(cases[i].text, &e);
		assert_non_null(root);
		v = root->pairs[0].value;
		if (v->type == Y_SEQ)
			v = v->items[0];
		cfgerr_at_col(&e, v, cases[i].off, "x");
		assert_int_equal(e.n, 1);
		if (strcmp(e.msgs[0], cases[i].want) != 0)
			fail_msg("%s: got '%s', want '%s'", cases[i].text, e.msgs[0], cases[i].want);
		ytree_free(root);
		cfgerr_free(&e);
	}
}

static void
cfgerr_add__formats_and_caps_the_list(void **state)
{
	struct cfgerr e;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int i;

	cfgerr_init(&e);
	cfgerr_add(&e, "a.yaml", 3, 7, "bad %s %d", "thing", 42);
	cfgerr_add(&e, NULL, -1, 0, "no place");
	cfgerr_at(&e, NULL, "no node");
	assert_int_equal(e.n, 3);
	assert_string_equal(e.msgs[0], "a.yaml:3:7: bad thing 42");
	assert_string_equal(e.msgs[1], "-:0:0: no place");
	assert_string_equal(e.msgs[2], "-:0:0: no node");

	fp = open_memstream(&buf, &len);
	cfgerr_print(&e, fp);
	fclose(fp);
	assert_string_equal(buf, "a.yaml:3:7: bad thing 42\n-:0:0: no place\n-:0:0: no node\n");
	free(buf);

	for (i = 0; i < 2000; i++)
		cfgerr_add(&e, "a.yaml", i, 1, "error %d", i);
	assert_int_equal(e.n, 1001);
	assert_string_equal(e.msgs[999], "a.yaml:996:1: error 996");
	assert_string_equal(e.msgs[1000], "a.yaml:997:1: too many errors; only the first 1000 are shown");
	cfgerr_free(&e);
	assert_int_equal(e.n, 0);
	assert_null(e.msgs);
}

/* ---- schema ---- */

struct tconf {
	char *name;
	bool enabled;
	long long count;
	double ratio;
	int64_t interval;
	uint64_t spool_max;
	int protocol;
	struct strlist roles;
	struct strlist command;
	struct rx *expect;
	int port;
	char *pattern;
	const struct ynode *extra;
};

static const char *const protocols[] = { "smtp", "submission", "imap", NULL };

static const struct sch_field tfields[] = {
	{ "name", SCH_STR, offsetof(struct tconf, name), 1, NULL, 0, 0, NULL },
	{ "enabled", SCH_BOOL, offsetof(struct tconf, enabled), 0, "yes", 0, 0, NULL },
	{ "count", SCH_INT, offsetof(struct tconf, count), 0, "5", 0, 100, NULL },
	{ "ratio", SCH_DOUBLE, offsetof(struct tconf, ratio), 0, "0.5", 0, 1, NULL },
	{ "interval", SCH_DURATION, offsetof(struct tconf, interval), 0, "60s", 1000, 86400000, NULL },
	{ "spool_max", SCH_SIZE, offsetof(struct tconf, spool_max), 0, "256MB", 1048576,
	  1099511627776.0, NULL },
	{ "protocol", SCH_ENUM, offsetof(struct tconf, protocol), 0, "submission", 0, 0, protocols },
	{ "roles", SCH_STRLIST, offsetof(struct tconf, roles), 0, "[mailbox, hub-transport]", 0, 0, NULL },
	{ "command", SCH_ARGV, offsetof(struct tconf, command), 0, NULL, 0, 0, NULL },
	{ "expect", SCH_REGEX, offsetof(struct tconf, expect), 0, "^220 ", 0, 0, NULL },
	{ "port", SCH_PORT, offsetof(struct tconf, port), 0, "25", 0, 0, NULL },
	{ "pattern", SCH_STR, offsetof(struct tconf, pattern), 0, "*.tar.zst", 0, 0, NULL },
	{ "extra", SCH_NODE, offsetof(struct tconf, extra), 0, NULL, 0, 0, NULL },
	SCH_END
};

static const char *const tignore[] = { "probe", "when", NULL };

/* Decode text with tfields; returns schema_apply's result. */
static int
decode(const char *text, struct tconf *c, struct cfgerr *e, struct ynode **root_r)
{
	memset(c, 0, sizeof(*c));
	*root_r = load(text, e);
	assert_non_null(*root_r);
	return schema_apply(*root_r, tfields, c, tignore, e);
}

static void
schema_apply__each_mistake__exact_message_and_location(void **state)
{
	static const struct {
		const char *text;
		const char *want[3];
	} cases[] = {
		{ "name: x\nintreval: 10s\n",
		  { "t.yaml:2:1: unknown key 'intreval' (did you mean 'interval'?)" } },
		{ "name: x\nbogus: 1\n", { "t.yaml:2:1: unknown key 'bogus'" } },
		{ "name: x\nwehn: 1\n", { "t.yaml:2:1: unknown key 'wehn' (did you mean 'when'?)" } },
		{ "name: x\ninterval: [1, 2]\n",
		  { "t.yaml:2:11: expected a duration like 30s, got a list" } },
		{ "name: x\ninterval: {a: 1}\n",
		  { "t.yaml:2:11: expected a duration like 30s, got a mapping" } },
		{ "name: x\ninterval: soon\n",
		  { "t.yaml:2:11: expected a duration like 30s, got 'soon'" } },
		{ "name: x\ninterval: -5s\n",
		  { "t.yaml:2:11: expected a duration like 30s, got '-5s'" } },
		{ "name: x\ninterval: 2d\n", { "t.yaml:2:11: interval must be between 1s and 1d" } },
		{ "name: x\ninterval: 500ms\n", { "t.yaml:2:11: interval must be between 1s and 1d" } },
		{ "name: x\nspool_max: 12XB\n",
		  { "t.yaml:2:12: expected a size like 256MB, got '12XB'" } },
		{ "name: x\nspool_max: 2TB\n",
		  { "t.yaml:2:12: spool_max must be between 1 MB and 1 TB" } },
		{ "name: x\nprotocol: smpt\n",
		  { "t.yaml:2:11: protocol must be one of: smtp, submission, imap" } },
		{ "name: x\nprotocol: [smtp]\n",
		  { "t.yaml:2:11: expected one of: smtp, submission, imap, got a list" } },
		{ "name: x\nexpect: \"^220 (mx\"\n",
		  { "t.yaml:2:18: invalid regular expression: missing closing parenthesis" } },
		{ "name: x\nexpect: ab[c\n",
		  { "t.yaml:2:13: invalid regular expression: missing terminating ] for character class" } },
		{ "name: x\nexpect: |\n  ^220\n  (x\n",
		  { "t.yaml:4:5: invalid regular expression: missing closing parenthesis" } },
		{ "name: x\nenabled: maybe\n", { "t.yaml:2:10: expected true or false, got 'maybe'" } },
		{ "name: x\ncount: 12abc\n", { "t.yaml:2:8: expected an integer, got '12abc'" } },
		{ "name: x\ncount: ' 12'\n", { "t.yaml:2:8: expected an integer, got ' 12'" } },
		{ "name: x\ncount: 99999999999999999999\n",
		  { "t.yaml:2:8: expected an integer, got '99999999999999999999'" } },
		{ "name: x\ncount: 101\n", { "t.yaml:2:8: count must be between 0 and 100" } },
		{ "name: x\nratio: 0.5x\n", { "t.yaml:2:8: expected a number, got '0.5x'" } },
		{ "name: x\nratio: inf\n", { "t.yaml:2:8: expected a number, got 'inf'" } },
		{ "name: x\nratio: 1.5\n", { "t.yaml:2:8: ratio must be between 0 and 1" } },
		{ "name: x\nport: 0\n", { "t.yaml:2:7: port must be between 1 and 65535" } },
		{ "name: x\nport: 65536\n", { "t.yaml:2:7: port must be between 1 and 65535" } },
		{ "name: x\nport: 25/tcp\n",
		  { "t.yaml:2:7: expected a port number (1-65535), got '25/tcp'" } },
		{ "name: x\nroles: [a, [b], ~]\n",
		  { "t.yaml:2:12: expected a string, got a list",
		    "t.yaml:2:17: expected a string, got an empty value" } },
		{ "name: x\nroles: {a: 1}\n", { "t.yaml:2:8: expected a list of strings, got a mapping" } },
		{ "name: x\ncommand: []\n",
		  { "t.yaml:2:10: expected a command as a list of strings, got an empty list" } },
		{ "name: x\ncommand: ['', -w]\n",
		  { "t.yaml:2:11: the command name in command must not be empty" } },
		{ "name: [a]\n", { "t.yaml:1:7: expected a string, got a list" } },
		{ "enabled: yes\n", { "t.yaml:1:1: missing required key 'name'" } },
		{ "name:\n", { "t.yaml:1:1: missing value for required key 'name'" } },
		{ "name: ~\nport: 25\n", { "t.yaml:1:1: missing value for required key 'name'" } },
		{ "[1, 2]\n", { "t.yaml:1:1: expected a mapping, got a list" } },
		{ "hello\n", { "t.yaml:1:1: expected a mapping, got a scalar" } },
		{ "name: x\n\"a very long and wrong key that goes on and on and on beyond sixty bytes\": 1\n",
		  { "t.yaml:2:1: unknown key 'a very long and wrong key that goes on and on and on beyond ...'" } },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfgerr e;
		struct ynode *root;
		struct tconf c;

		cfgerr_init(&e);
		if (decode(cases[i].text, &c, &e, &root) != -1)
			fail_msg("accepted: %s", cases[i].text);
		assert_errors(&e, cases[i].want);
		schema_free(tfields, &c);
		ytree_free(root);
		cfgerr_free(&e);
	}
}

static void
schema_apply__five_errors_in_a_file__five_reported_in_order(void **state)
{
	static const char *const want[] = {
		CONFIG_DIR "/five-errors.yaml:3:1: unknown key 'intreval' (did you mean 'interval'?)",
		CONFIG_DIR "/five-errors.yaml:4:12: expected a size like 256MB, got '12XB'",
		CONFIG_DIR "/five-errors.yaml:5:11: protocol must be one of: smtp, submission, imap",
		CONFIG_DIR "/five-errors.yaml:6:18: invalid regular expression: missing closing parenthesis",
		CONFIG_DIR "/five-errors.yaml:3:1: missing required key 'name'",
		NULL,
	};
	struct cfgerr e;
	struct ynode *root;
	struct tconf c;

	cfgerr_init(&e);
	memset(&c, 0, sizeof(c));
	root = ytree_load_file(CONFIG_DIR "/five-errors.yaml", &e);
	assert_non_null(root);
	assert_int_equal(schema_apply(root, tfields, &c, NULL, &e), -1);
	assert_errors(&e, want);
	/* defaults still applied to the keys that were absent */
	assert_int_equal(c.interval, 60000);
	assert_int_equal(c.port, 25);
	schema_free(tfields, &c);
	ytree_free(root);
	cfgerr_free(&e);
}

static void
schema_apply__absent_keys__defaults_applied(void **state)
{
	struct cfgerr e;
	struct ynode *root;
	struct tconf c;

	cfgerr_init(&e);
	/* "interval:" with no value counts as absent */
	assert_int_equal(decode("name: mbx01\ninterval:\n", &c, &e, &root), 0);
	assert_int_equal(e.n, 0);
	assert_string_equal(c.name, "mbx01");
	assert_true(c.enabled);
	assert_int_equal(c.count, 5);
	assert_true(c.ratio == 0.5);
	assert_int_equal(c.interval, 60000);
	assert_int_equal(c.spool_max, 256ULL * 1024 * 1024);
	assert_int_equal(c.protocol, 1);
	assert_int_equal(c.roles.n, 2);
	assert_string_equal(c.roles.v[0], "mailbox");
	assert_string_equal(c.roles.v[1], "hub-transport");
	assert_int_equal(c.command.n, 0);
	assert_non_null(c.expect);
	assert_int_equal(rx_match(c.expect, "220 mx ESMTP", 12), 1);
	assert_int_equal(c.port, 25);
	assert_string_equal(c.pattern, "*.tar.zst");
	assert_null(c.extra);
	schema_free(tfields, &c);
	assert_null(c.name);
	assert_null(c.expect);
	assert_int_equal(c.roles.n, 0);
	ytree_free(root);
	cfgerr_free(&e);
}

static void
schema_apply__every_type__decoded(void **state)
{
	struct cfgerr e;
	struct ynode *root;
	struct tconf c;

	cfgerr_init(&e);
	assert_int_equal(decode("name: \"mbx 01\"\n"
				"enabled: Off\n"
				"count: -0\n"
				"ratio: 1e-1\n"
				"interval: 1h30m\n"
				"spool_max: 1.5GB\n"
				"protocol: imap\n"
				"roles: edge-transport\n"
				"command: [/usr/lib/nagios/plugins/check_mailq, -w, \"100\"]\n"
				"expect: '^(?<code>\\d{3}) '\n"
				"port: 143\n"
				"extra: {any: [thing]}\n"
				"probe: ignored\n",
				&c, &e, &root),
			 0);
	assert_int_equal(e.n, 0);
	assert_string_equal(c.name, "mbx 01");
	assert_false(c.enabled);
	assert_int_equal(c.count, 0);
	assert_true(c.ratio == 0.1);
	assert_int_equal(c.interval, 5400000);
	assert_int_equal(c.spool_max, 1536ULL * 1024 * 1024);
	assert_int_equal(c.protocol, 2);
	assert_int_equal(c.roles.n, 1);
	assert_string_equal(c.roles.v[0], "edge-transport");
	assert_int_equal(c.command.n, 3);
	assert_string_equal(c.command.v[2], "100");
	assert_null(c.command.v[3]);
	assert_int_equal(rx_group_count(c.expect), 1);
	assert_string_equal(rx_group_name(c.expect, 0), "code");
	assert_int_equal(c.port, 143);
	assert_ptr_equal(c.extra, ymap_get(root, "extra"));
	assert_int_equal(c.extra->type, Y_MAP);
	schema_free(tfields, &c);
	ytree_free(root);
	cfgerr_free(&e);
}

static void
schema_decode_value__bool_words__yaml_1_1_any_case(void **state)
{
	static const struct {
		const char *word;
		bool value;
	} cases[] = {
		{ "true", true }, { "True", true }, { "TRUE", true }, { "yes", true }, { "Yes", true },
		{ "on", true }, { "ON", true }, { "false", false }, { "False", false }, { "no", false },
		{ "NO", false }, { "off", false }, { "Off", false },
	};
	static const struct sch_field f = { "enabled", SCH_BOOL, 0, 0, NULL, 0, 0, NULL };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfgerr e;
		struct ynode n;
		bool v = !cases[i].value;

		memset(&n, 0, sizeof(n));
		n.type = Y_SCALAR;
		n.scalar = (char *)cases[i].word;
		cfgerr_init(&e);
		assert_int_equal(schema_decode_value(&n, &f, &v, &e), 0);
		if (v != cases[i].value)
			fail_msg("%s", cases[i].word);
		assert_int_equal(e.n, 0);
	}
}

static void
schema_decode_value__argv_single_string__one_word_unsplit(void **state)
{
	static const struct sch_field f = { "command", SCH_ARGV, 0, 0, NULL, 0, 0, NULL };
	struct cfgerr e;
	struct ynode *root;
	struct strlist l;

	strlist_init(&l);
	cfgerr_init(&e);
	root = load("command: /usr/local/bin/check --all\n", &e);
	assert_int_equal(schema_decode_value(ymap_get(root, "command"), &f, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "/usr/local/bin/check --all");
	strlist_free(&l);
	ytree_free(root);
	cfgerr_free(&e);
}

static void
schema_suggest__close_keys_only(void **state)
{
	static const char *const extra[] = { "probe", "when", NULL };
	static const struct {
		const char *key;
		const char *want;
	} cases[] = {
		{ "intreval", "interval" },   /* transposition */
		{ "interva", "interval" },    /* deletion */
		{ "intervall", "interval" },  /* insertion */
		{ "intervel", "interval" },   /* substitution */
		{ "itnreval", "interval" },   /* two transpositions */
		{ "spoolmax", "spool_max" },
		{ "prot", "port" },
		{ "prt", "port" },            /* short key: one edit */
		{ "pot", "port" },
		{ "pt", NULL },               /* short key: two edits is too far */
		{ "xyz", NULL },
		{ "probes", "probe" },        /* from the extra list */
		{ "interval_ms", NULL },
		{ "", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = schema_suggest(cases[i].key, tfields, extra);

		if ((got == NULL) != (cases[i].want == NULL) ||
		    (got != NULL && strcmp(got, cases[i].want) != 0))
			fail_msg("'%s' -> '%s', want '%s'", cases[i].key, got ? got : "(none)",
				 cases[i].want ? cases[i].want : "(none)");
	}
}

static void
schema_apply__bad_default__reported_at_the_default(void **state)
{
	static const struct sch_field f[] = {
		{ "interval", SCH_DURATION, 0, 0, "sixty", 0, 0, NULL },
		SCH_END
	};
	static const char *const want[] = {
		"(default of 'interval'):1:1: expected a duration like 30s, got 'sixty'", NULL
	};
	struct cfgerr e;
	struct ynode *root;
	int64_t v = 0;

	cfgerr_init(&e);
	root = load("{}", &e);
	assert_int_equal(schema_apply(root, f, &v, NULL, &e), -1);
	assert_errors(&e, want);
	ytree_free(root);
	cfgerr_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ytree_load__syntax_error__one_error_with_libyaml_problem_at_its_mark),
		cmocka_unit_test(ytree_load__duplicate_keys__each_reported_with_first_location),
		cmocka_unit_test(ytree_load__positions__one_based_for_nodes_and_keys),
		cmocka_unit_test(ytree_load__scalar_styles__quoted_and_null_flags),
		cmocka_unit_test(ytree_load__anchors_and_merge_keys__shared_nodes_explicit_keys_win),
		cmocka_unit_test(ytree_load__merge_list__earlier_source_wins),
		cmocka_unit_test(ytree_load__bad_aliases_and_merges__all_reported),
		cmocka_unit_test(ytree_load__nul_in_string__refused),
		cmocka_unit_test(ytree_load__depth_limit__64_levels_accepted_65_refused),
		cmocka_unit_test(ytree_load__depth_limit__counts_levels_reached_through_aliases),
		cmocka_unit_test(ytree_load__alias_bomb__refused),
		cmocka_unit_test(ytree_load__empty_documents__empty_map),
		cmocka_unit_test(ytree_load__second_document__refused),
		cmocka_unit_test(ytree_load_file__unreadable_path__cannot_open_error),
		cmocka_unit_test(ytree_load__over_16_mb__refused),
		cmocka_unit_test(ytree_type_name__words_used_in_messages),
		cmocka_unit_test(cfgerr_at_col__points_inside_scalars),
		cmocka_unit_test(cfgerr_add__formats_and_caps_the_list),
		cmocka_unit_test(schema_apply__each_mistake__exact_message_and_location),
		cmocka_unit_test(schema_apply__five_errors_in_a_file__five_reported_in_order),
		cmocka_unit_test(schema_apply__absent_keys__defaults_applied),
		cmocka_unit_test(schema_apply__every_type__decoded),
		cmocka_unit_test(schema_decode_value__bool_words__yaml_1_1_any_case),
		cmocka_unit_test(schema_decode_value__argv_single_string__one_word_unsplit),
		cmocka_unit_test(schema_suggest__close_keys_only),
		cmocka_unit_test(schema_apply__bad_default__reported_at_the_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
