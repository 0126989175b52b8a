/*
 * rule.c - loading rule packs (see rule.h).  Expressions are compiled
 * here, at load time; an expression error points at its column inside the
 * YAML scalar.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfgerr.h"
#include "expr.h"
#include "rule.h"
#include "schema.h"
#include "xmalloc.h"
#include "ytree.h"

static const char *const kind_names[] = { "health", "best-practice", NULL };

struct rule_raw {
	char *id, *title, *probe, *advice;
	int kind;
	struct strlist roles, targets, references;
	const struct ynode *warning, *critical, *unknown;
	int64_t for_ms, interval_ms;
	int disabled;
};

static const struct sch_field rule_fields[] = {
	{ "id", SCH_STR, offsetof(struct rule_raw, id), 1, NULL, 0, 0, NULL },
	{ "title", SCH_STR, offsetof(struct rule_raw, title), 0, NULL, 0, 0, NULL },
	{ "kind", SCH_ENUM, offsetof(struct rule_raw, kind), 0, "health", 0, 0, kind_names },
	{ "probe", SCH_STR, offsetof(struct rule_raw, probe), 0, NULL, 0, 0, NULL },
	{ "roles", SCH_STRLIST, offsetof(struct rule_raw, roles), 0, NULL, 0, 0, NULL },
	{ "targets", SCH_STRLIST, offsetof(struct rule_raw, targets), 0, NULL, 0, 0, NULL },
	{ "warning", SCH_NODE, offsetof(struct rule_raw, warning), 0, NULL, 0, 0, NULL },
	{ "critical", SCH_NODE, offsetof(struct rule_raw, critical), 0, NULL, 0, 0, NULL },
	{ "unknown", SCH_NODE, offsetof(struct rule_raw, unknown), 0, NULL, 0, 0, NULL },
	{ "for", SCH_DURATION, offsetof(struct rule_raw, for_ms), 0, NULL, 0, 7 * 86400000.0, NULL },
	{ "interval", SCH_DURATION, offsetof(struct rule_raw, interval_ms), 0, NULL, 1000, 86400000.0, NULL },
	{ "advice", SCH_STR, offsetof(struct rule_raw, advice), 0, NULL, 0, 0, NULL },
	{ "references", SCH_STRLIST, offsetof(struct rule_raw, references), 0, NULL, 0, 0, NULL },
	{ "disabled", SCH_BOOL, offsetof(struct rule_raw, disabled), 0, "false", 0, 0, NULL },
	SCH_END
};

struct pack_raw {
	char *pack, *description;
	const struct ynode *rules;
};

static const struct sch_field pack_fields[] = {
	{ "pack", SCH_STR, offsetof(struct pack_raw, pack), 1, NULL, 0, 0, NULL },
	{ "description", SCH_STR, offsetof(struct pack_raw, description), 0, NULL, 0, 0, NULL },
	{ "rules", SCH_NODE, offsetof(struct pack_raw, rules), 1, NULL, 0, 0, NULL },
	SCH_END
};

static const char *const known_roles[] = {
	"mailbox", "client-access", "hub-transport", "edge-transport", NULL
};

const char *
rule_kind_name(int kind)
{
	return kind == RULE_BEST_PRACTICE ? "best-practice" : "health";
}

void
ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

static void
rule_free(struct rule *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->title);
	free(r->pack);
	free(r->probe);
	free(r->file);
	strlist_free(&r->roles);
	strlist_free(&r->targets);
	expr_free(r->warning);
	expr_free(r->critical);
	expr_free(r->unknown);
	free(r->advice);
	strlist_free(&r->references);
	free(r);
}

void
ruleset_free(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		rule_free(rs->v[i]);
	free(rs->v);
	ruleset_init(rs);
}

const struct rule *
ruleset_find(const struct ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i]->id, id) == 0)
			return rs->v[i];
	return NULL;
}

static struct expr *
compile_node(const struct ynode *node, const char *what, struct cfgerr *errs)
{
	struct expr *e;
	char *error = NULL;
	int col = 0;

	if (node == NULL)
		return NULL;
	if (node->type != Y_SCALAR || node->is_null) {
		cfgerr_at(errs, node, "%s: expected an expression", what);
		return NULL;
	}
	e = expr_compile(node->scalar, &error, &col);
	if (e == NULL) {
		cfgerr_at_col(errs, node, col > 0 ? col - 1 : 0, "%s: %s", what, error);
		free(error);
	}
	return e;
}

static int
valid_id(const char *id)
{
	if (*id == '\0')
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static void
ruleset_put(struct ruleset *rs, struct rule *r)
{
	for (size_t i = 0; i < rs->n; i++) {
		if (strcmp(rs->v[i]->id, r->id) == 0) {
			rule_free(rs->v[i]);
			rs->v[i] = r;
			return;
		}
	}
	rs->v = xgrow(rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v));
	rs->v[rs->n++] = r;
}

static void
load_rule(struct ruleset *rs, const char *pack, const struct ynode *node,
	  int (*probe_known)(const char *), struct strlist *seen, struct cfgerr *errs)
{
	struct rule_raw raw;
	struct rule *r;
	size_t nerr = errs->total;

	memset(&raw, 0, sizeof(raw));
	schema_apply(node, rule_fields, &raw, NULL, errs);
	if (raw.id != NULL && !valid_id(raw.id))
		cfgerr_at(errs, ymap_get(node, "id"),
			  "rule id '%s' may contain only letters, digits, '.', '_' and '-'", raw.id);
	if (raw.id != NULL && strlist_contains(seen, raw.id))
		cfgerr_at(errs, ymap_get(node, "id"), "duplicate rule id '%s' in this pack", raw.id);
	else if (raw.id != NULL)
		strlist_add(seen, raw.id);
	if (raw.probe != NULL && probe_known != NULL && !probe_known(raw.probe))
		cfgerr_at(errs, ymap_get(node, "probe"), "unknown probe kind '%s'", raw.probe);
	for (size_t i = 0; i < raw.roles.n; i++) {
		int ok = 0;
		for (size_t k = 0; known_roles[k]; k++)
			if (strcmp(raw.roles.v[i], known_roles[k]) == 0)
				ok = 1;
		if (!ok)
			cfgerr_at(errs, ymap_get(node, "roles"),
				  "unknown role '%s' (roles: mailbox, client-access, hub-transport, edge-transport)",
				  raw.roles.v[i]);
	}
	if (node->type == Y_MAP && !raw.disabled && raw.title == NULL)
		cfgerr_at(errs, node, "missing required key 'title'");
	if (node->type == Y_MAP && !raw.disabled && raw.probe == NULL)
		cfgerr_at(errs, node, "missing required key 'probe'");
	if (node->type == Y_MAP && !raw.disabled && raw.warning == NULL && raw.critical == NULL &&
	    raw.unknown == NULL)
		cfgerr_at(errs, node, "rule '%s' has neither warning nor critical",
			  raw.id ? raw.id : "?");

	r = xcalloc(1, sizeof(*r));
	r->warning = compile_node(raw.warning, "warning", errs);
	r->critical = compile_node(raw.critical, "critical", errs);
	r->unknown = compile_node(raw.unknown, "unknown", errs);
	if (errs->total != nerr) {
		rule_free(r);
		schema_free(rule_fields, &raw);
		return;
	}
	r->id = raw.id;
	r->title = raw.title ? raw.title : xstrdup(raw.id);
	r->probe = raw.probe ? raw.probe : xstrdup("");
	r->advice = raw.advice ? raw.advice : xstrdup("");
	r->kind = raw.kind;
	r->roles = raw.roles;
	r->targets = raw.targets;
	r->references = raw.references;
	r->for_ms = raw.for_ms;
	r->interval_ms = raw.interval_ms;
	r->disabled = raw.disabled;
	r->pack = xstrdup(pack);
	r->file = xstrdup(node->file);
	r->line = node->line;
	r->col = node->col;
	ruleset_put(rs, r);
}

static int
load_file(struct ruleset *rs, const char *path, int (*probe_known)(const char *),
	  struct cfgerr *errs)
{
	struct ynode *root;
	struct pack_raw pk;
	struct strlist seen;
	size_t nerr = errs->total;

	root = ytree_load_file(path, errs);
	if (root == NULL)
		return -1;
	memset(&pk, 0, sizeof(pk));
	schema_apply(root, pack_fields, &pk, NULL, errs);
	strlist_init(&seen);
	if (pk.rules != NULL) {
		if (pk.rules->type != Y_SEQ)
			cfgerr_at(errs, pk.rules, "rules: expected a list of rules");
		else
			for (size_t i = 0; i < pk.rules->n; i++)
				load_rule(rs, pk.pack ? pk.pack : "?", pk.rules->items[i], probe_known,
					  &seen, errs);
	}
	strlist_free(&seen);
	schema_free(pack_fields, &pk);
	ytree_free(root);
	return errs->total == nerr ? 0 : -1;
}

static int
has_yaml_suffix(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ruleset_load_path(struct ruleset *rs, const char *path, int (*probe_known)(const char *),
		  struct cfgerr *errs)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	struct strlist names;
	int rc = 0;

	if (stat(path, &st) < 0) {
		cfgerr_add(errs, path, 0, 0, "cannot read rules: %s", strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(rs, path, probe_known, errs);
	d = opendir(path);
	if (d == NULL) {
		cfgerr_add(errs, path, 0, 0, "cannot read rules: %s", strerror(errno));
		return -1;
	}
	strlist_init(&names);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && has_yaml_suffix(de->d_name))
			strlist_add_owned(&names, xasprintf("%s/%s", path, de->d_name));
	closedir(d);
	if (names.n > 1)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n; i++)
		if (load_file(rs, names.v[i], probe_known, errs) < 0)
			rc = -1;
	strlist_free(&names);
	return rc;
}

void
ruleset_finish(struct ruleset *rs)
{
	size_t k = 0;

	for (size_t i = 0; i < rs->n; i++) {
		if (rs->v[i]->disabled)
			rule_free(rs->v[i]);
		else
			rs->v[k++] = rs->v[i];
	}
	rs->n = k;
}
