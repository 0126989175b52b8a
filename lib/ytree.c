/*
 * ytree.c - load one YAML document with libyaml's event API into a tree of
 * struct ynode that remembers FILE:LINE:COL for every node and map key.
 *
 * This is the only module that calls libyaml.  What it does:
 *   - every libyaml error (reader, scanner, parser) becomes one error at
 *     libyaml's problem mark with libyaml's own problem text;
 *   - duplicate keys, non-scalar keys, unknown or self-referencing
 *     aliases and bad merge keys are reported and loading goes on, so that
 *     one run shows all of them; the tree is still refused;
 *   - anchors/aliases share nodes (no copies); every node lives in one
 *     array owned by the document, so ytree_free frees each node once;
 *   - YAML 1.1 merge keys ("<<: *base", "<<: [*a, *b]") are applied: keys
 *     written in the map win over merged ones, earlier sources over later;
 *   - limits against hostile input: 16 MB per file, 64 levels of nesting
 *     (also through aliases), and at most YTREE_MAX_EXPANSION nodes reached
 *     through aliases (a "billion laughs" file is refused, not walked).
 * What it does not do: interpret scalars (numbers, booleans, durations are
 * the schema's business) or tags (all ignored, except that "!!str ~" is a
 * string and not null).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "cfgerr.h"
#include "xmalloc.h"
#include "ytree.h"

#define YTREE_MAX_BYTES (16u * 1024 * 1024)
#define YTREE_MAX_DEPTH 64
#define YTREE_MAX_EXPANSION 1000000u

struct ydoc;

/* A node and what only the loader needs to know about it. */
struct ybox {
	struct ynode node; /* first: a struct ynode * is a struct ybox * */
	struct ydoc *doc;
	unsigned height;   /* levels of collections in it, scalars 0 */
	uint64_t weight;   /* nodes reached when walking it, aliases expanded */
};

/* Owns the file name and every node of one tree. */
struct ydoc {
	char *file;
	struct ybox **boxes;
	size_t n, cap;
};

/* A tiny open-addressing hash of strings (not owned) to pointers. */
struct strset {
	const char **keys;
	void **vals;
	size_t n, cap;
};

/* A collection being built. */
struct frame {
	struct ybox *box;
	char *anchor;         /* registered when the collection is complete */
	size_t cap;           /* of items or pairs */
	struct ynode *key;    /* map: key waiting for its value */
	int want_value;       /* map: next node is a value */
	int has_merge;        /* map: a "<<" key was seen */
	struct strset keys;   /* map: key text -> first key node */
};

struct ybuild {
	struct ydoc *doc;
	struct cfgerr *errs;
	int nerr;
	const char *src;
	size_t len;
	size_t cur_line, cur_off; /* line cursor for block scalars */
	struct frame stack[YTREE_MAX_DEPTH];
	int depth;
	struct strset anchors; /* owned names -> struct ybox * */
	uint64_t expanded;
	struct ynode *top;
};

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t
strset_slot(const struct strset *s, const char *key)
{
	size_t i = (size_t)str_hash(key) & (s->cap - 1);

	while (s->keys[i] != NULL && strcmp(s->keys[i], key) != 0)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void *
strset_get(const struct strset *s, const char *key)
{
	if (s->cap == 0)
		return NULL;
	return s->vals[strset_slot(s, key)];
}

/* Insert or replace; returns the key it replaced (so the caller can free
   an owned one), or NULL. */
static const char *
strset_set(struct strset *s, const char *key, void *val)
{
	size_t i;
	const char *old;

	if ((s->n + 1) * 2 > s->cap) {
		struct strset bigger;
		size_t j;

		bigger.cap = s->cap ? s->cap * 2 : 16;
		bigger.n = s->n;
		bigger.keys = xcalloc(bigger.cap, sizeof(*bigger.keys));
		bigger.vals = xcalloc(bigger.cap, sizeof(*bigger.vals));
		for (j = 0; j < s->cap; j++) {
			if (s->keys[j] != NULL) {
				size_t k = strset_slot(&bigger, s->keys[j]);
				bigger.keys[k] = s->keys[j];
				bigger.vals[k] = s->vals[j];
			}
		}
		free(s->keys);
		free(s->vals);
		*s = bigger;
	}
	i = strset_slot(s, key);
	old = s->keys[i];
	if (old == NULL)
		s->n++;
	s->keys[i] = key;
	s->vals[i] = val;
	return old;
}

static void
strset_free(struct strset *s, int free_keys)
{
	size_t i;

	if (free_keys)
		for (i = 0; i < s->cap; i++)
			free((char *)s->keys[i]);
	free(s->keys);
	free(s->vals);
	memset(s, 0, sizeof(*s));
}

static void
yerr(struct ybuild *b, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
yerr(struct ybuild *b, int line, int col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	cfgerr_add(b->errs, b->doc->file, line, col, "%s", msg);
	free(msg);
	b->nerr++;
}

static struct ybox *
box_new(struct ybuild *b, enum ynode_type type, yaml_mark_t mark)
{
	struct ybox *box = xcalloc(1, sizeof(*box));

	box->doc = b->doc;
	box->node.type = type;
	box->node.file = b->doc->file;
	box->node.line = (int)mark.line + 1;
	box->node.col = (int)mark.column + 1;
	box->weight = 1;
	b->doc->boxes = xgrow(b->doc->boxes, &b->doc->cap, b->doc->n + 1, sizeof(*b->doc->boxes));
	b->doc->boxes[b->doc->n++] = box;
	return box;
}

/* Length of the line break at p (as libyaml counts them: LF, CR, CRLF,
   NEL, LS, PS), 0 if none. */
static size_t
break_len(const char *p, const char *end)
{
	if (p >= end)
		return 0;
	if (*p == '\n')
		return 1;
	if (*p == '\r')
		return (p + 1 < end && p[1] == '\n') ? 2 : 1;
	if ((unsigned char)p[0] == 0xC2 && p + 1 < end && (unsigned char)p[1] == 0x85)
		return 2;
	if ((unsigned char)p[0] == 0xE2 && p + 2 < end && (unsigned char)p[1] == 0x80 &&
	    ((unsigned char)p[2] == 0xA8 || (unsigned char)p[2] == 0xA9))
		return 3;
	return 0;
}

/* Byte offset where 0-based line (line) starts; lines are asked for in
   increasing order (events come in document order), so the cursor only
   moves forward. */
static size_t
line_offset(struct ybuild *b, size_t line)
{
	const char *end = b->src + b->len;

	while (b->cur_line < line && b->cur_off < b->len) {
		const char *p = b->src + b->cur_off;
		size_t bl;

		while (p < end && (bl = break_len(p, end)) == 0)
			p++;
		if (p < end)
			p += bl;
		b->cur_off = (size_t)(p - b->src);
		b->cur_line++;
	}
	return b->cur_off;
}

/* Column where a block scalar's content starts: spaces before the first
   non-blank content line in the file, less those kept in the value. */
static int
block_content_col(struct ybuild *b, const struct ynode *n, yaml_mark_t mark)
{
	const char *end = b->src + b->len, *p, *v;
	size_t src_sp = 0, val_sp = 0;

	v = n->scalar;
	while (*v == '\n')
		v++;
	if (*v == '\0')
		return 0;
	while (v[val_sp] == ' ')
		val_sp++;
	p = b->src + line_offset(b, mark.line + 1);
	while (p < end) {
		size_t bl;

		src_sp = 0;
		while (p + src_sp < end && p[src_sp] == ' ')
			src_sp++;
		p += src_sp;
		bl = break_len(p, end);
		if (bl == 0)
			break;
		p += bl;
	}
	if (p >= end || src_sp < val_sp)
		return 0;
	return (int)(src_sp - val_sp) + 1;
}

static int
is_merge_key(const struct ynode *k)
{
	return k->type == Y_SCALAR && k->quoted == YQ_PLAIN && strcmp(k->scalar, "<<") == 0;
}

static int
frame_has_anchor(const struct ybuild *b, const char *name)
{
	int i;

	for (i = 0; i < b->depth; i++)
		if (b->stack[i].anchor != NULL && strcmp(b->stack[i].anchor, name) == 0)
			return 1;
	return 0;
}

static void
anchor_define(struct ybuild *b, const char *name, struct ybox *box)
{
	char *copy = xstrdup(name);
	const char *old = strset_set(&b->anchors, copy, box);

	/* a redefined anchor (allowed by YAML: the latest wins) keeps the
	   first copy of its name as the key and the new copy is dropped */
	if (old != NULL) {
		strset_set(&b->anchors, old, box);
		free(copy);
	}
}

/* Apply merge keys in map; seen holds every key written in the map. */
static void
map_merge(struct ybuild *b, struct ynode *map, struct strset *seen)
{
	struct ypair *out = NULL;
	size_t cap = 0, n = 0, i, j, k;

	for (i = 0; i < map->n; i++) {
		if (is_merge_key(map->pairs[i].key))
			continue;
		out = xgrow(out, &cap, n + 1, sizeof(*out));
		out[n++] = map->pairs[i];
	}
	for (i = 0; i < map->n; i++) {
		struct ynode *v = map->pairs[i].value;
		struct ynode **srcs = &map->pairs[i].value;
		size_t nsrc = 1;

		if (!is_merge_key(map->pairs[i].key))
			continue;
		if (v->type == Y_SEQ) {
			srcs = v->items;
			nsrc = v->n;
		}
		for (j = 0; j < nsrc; j++) {
			const struct ynode *src = srcs[j];

			if (src->type != Y_MAP) {
				yerr(b, src->line, src->col,
				     "merge key '<<' takes a mapping or a list of mappings, not a %s",
				     ynode_type_name(src->type));
				continue;
			}
			for (k = 0; k < src->n; k++) {
				if (strset_get(seen, src->pairs[k].key->scalar) != NULL)
					continue;
				strset_set(seen, src->pairs[k].key->scalar, src->pairs[k].key);
				out = xgrow(out, &cap, n + 1, sizeof(*out));
				out[n++] = src->pairs[k];
			}
		}
	}
	free(map->pairs);
	map->pairs = out;
	map->n = n;
}

/* Height of a collection from its children. */
static unsigned
coll_height(const struct ynode *n)
{
	unsigned h = 0;
	size_t i;

	for (i = 0; i < n->n; i++) {
		const struct ybox *c = (const struct ybox *)(n->type == Y_SEQ ? n->items[i]
									   : n->pairs[i].value);
		if (c->height > h)
			h = c->height;
	}
	return h + 1;
}

/* Attach a complete node to the open collection (or make it the top). */
static void
add_child(struct ybuild *b, struct ybox *child)
{
	struct frame *f;
	struct ynode *p;

	if (b->depth == 0) {
		b->top = &child->node;
		return;
	}
	f = &b->stack[b->depth - 1];
	p = &f->box->node;
	if (p->type == Y_SEQ) {
		p->items = xgrow(p->items, &f->cap, p->n + 1, sizeof(*p->items));
		p->items[p->n++] = &child->node;
	} else if (!f->want_value) {
		const struct ynode *first;

		/* a refused key leaves f->key NULL: its value is dropped */
		f->want_value = 1;
		f->key = NULL;
		if (child->node.type != Y_SCALAR) {
			yerr(b, child->node.line, child->node.col, "a mapping key must be a scalar, not a %s",
			     ynode_type_name(child->node.type));
			return;
		}
		first = strset_get(&f->keys, child->node.scalar);
		if (first != NULL) {
			yerr(b, child->node.line, child->node.col, "duplicate key '%s' (first at %d:%d)",
			     child->node.scalar, first->line, first->col);
			return;
		}
		strset_set(&f->keys, child->node.scalar, &child->node);
		if (is_merge_key(&child->node))
			f->has_merge = 1;
		f->key = &child->node;
		return;
	} else {
		f->want_value = 0;
		if (f->key == NULL)
			return;
		p->pairs = xgrow(p->pairs, &f->cap, p->n + 1, sizeof(*p->pairs));
		p->pairs[p->n].key = f->key;
		p->pairs[p->n].value = &child->node;
		p->n++;
		f->key = NULL;
	}
	f->box->weight += child->weight;
	if (f->box->weight > YTREE_MAX_EXPANSION * 2ULL)
		f->box->weight = YTREE_MAX_EXPANSION * 2ULL;
}

static int
ev_scalar(struct ybuild *b, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	struct ybox *box = box_new(b, Y_SCALAR, ev->start_mark);
	struct ynode *n = &box->node;

	if (memchr(v, '\0', len) != NULL)
		yerr(b, n->line, n->col, "a NUL character is not allowed in a string");
	n->scalar = xstrndup(v, len);
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->quoted = YQ_SINGLE; break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->quoted = YQ_DOUBLE; break;
	case YAML_LITERAL_SCALAR_STYLE: n->quoted = YQ_LITERAL; break;
	case YAML_FOLDED_SCALAR_STYLE: n->quoted = YQ_FOLDED; break;
	default: n->quoted = YQ_PLAIN; break;
	}
	if (n->quoted == YQ_PLAIN && (tag == NULL || strcmp(tag, YAML_STR_TAG) != 0))
		n->is_null = n->scalar[0] == '\0' || strcmp(n->scalar, "~") == 0 ||
			     strcmp(n->scalar, "null") == 0 || strcmp(n->scalar, "Null") == 0 ||
			     strcmp(n->scalar, "NULL") == 0;
	if (n->quoted == YQ_LITERAL || n->quoted == YQ_FOLDED)
		n->block_col = block_content_col(b, n, ev->start_mark);
	if (ev->data.scalar.anchor != NULL)
		anchor_define(b, (const char *)ev->data.scalar.anchor, box);
	add_child(b, box);
	return 0;
}

static int
ev_alias(struct ybuild *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct ybox *box = strset_get(&b->anchors, name);
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;

	if (box == NULL) {
		if (frame_has_anchor(b, name))
			yerr(b, line, col, "alias '*%s' refers to a node that contains it", name);
		else
			yerr(b, line, col, "unknown alias '*%s'", name);
		/* a null stand-in keeps keys and values paired */
		box = box_new(b, Y_SCALAR, ev->start_mark);
		box->node.scalar = xstrdup("");
		box->node.is_null = 1;
		add_child(b, box);
		return 0;
	}
	if ((unsigned)b->depth + box->height > YTREE_MAX_DEPTH) {
		yerr(b, line, col, "nesting deeper than %d levels (through alias '*%s')",
		     YTREE_MAX_DEPTH, name);
		return -1;
	}
	b->expanded += box->weight;
	if (b->expanded > YTREE_MAX_EXPANSION) {
		yerr(b, line, col, "aliases expand to more than %u nodes", YTREE_MAX_EXPANSION);
		return -1;
	}
	add_child(b, box);
	return 0;
}

static int
ev_start(struct ybuild *b, const yaml_event_t *ev, enum ynode_type type)
{
	const yaml_char_t *anchor = type == Y_SEQ ? ev->data.sequence_start.anchor
						  : ev->data.mapping_start.anchor;
	struct frame *f;

	if (b->depth >= YTREE_MAX_DEPTH) {
		yerr(b, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		     "nesting deeper than %d levels", YTREE_MAX_DEPTH);
		return -1;
	}
	f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->box = box_new(b, type, ev->start_mark);
	if (anchor != NULL)
		f->anchor = xstrdup((const char *)anchor);
	return 0;
}

static int
ev_end(struct ybuild *b)
{
	struct frame *f = &b->stack[b->depth - 1];
	struct ybox *box = f->box;

	if (f->has_merge)
		map_merge(b, &box->node, &f->keys);
	strset_free(&f->keys, 0);
	box->height = coll_height(&box->node);
	if ((unsigned)b->depth - 1 + box->height > YTREE_MAX_DEPTH) {
		/* only merge keys can lift a finished map above the limit */
		yerr(b, box->node.line, box->node.col, "nesting deeper than %d levels (through '<<')",
		     YTREE_MAX_DEPTH);
		return -1;
	}
	if (f->anchor != NULL) {
		anchor_define(b, f->anchor, box);
		free(f->anchor);
		f->anchor = NULL;
	}
	b->depth--;
	add_child(b, box);
	return 0;
}

/* Line and column (1-based, in characters) of byte offset off. */
static void
offset_pos(const char *src, size_t len, size_t off, int *line_r, int *col_r)
{
	const char *p = src, *end = src + (off < len ? off : len);
	int line = 1, col = 1;

	while (p < end) {
		size_t bl = break_len(p, src + len);

		if (bl > 0) {
			line++;
			col = 1;
			p += bl;
			continue;
		}
		if (((unsigned char)*p & 0xC0) != 0x80)
			col++;
		p++;
	}
	*line_r = line;
	*col_r = col;
}

static void
yaml_error(struct ybuild *b, const yaml_parser_t *p)
{
	const char *problem = p->problem != NULL ? p->problem : "cannot parse";

	switch (p->error) {
	case YAML_READER_ERROR: {
		int line, col;

		offset_pos(b->src, b->len, p->problem_offset, &line, &col);
		yerr(b, line, col, "%s", problem);
		break;
	}
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		if (p->context != NULL)
			yerr(b, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
			     "%s (%s that starts at %d:%d)", problem, p->context,
			     (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
		else
			yerr(b, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1, "%s",
			     problem);
		break;
	default:
		yerr(b, 0, 0, "YAML parser error: %s", problem);
		break;
	}
}

/* Run the event loop over b->src; returns 0 if the stream was read to its
   end (errors may still have been added), -1 if it stopped early. */
static int
parse_events(struct ybuild *b)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int docs = 0, rc = 0, done = 0;

	if (!yaml_parser_initialize(&parser)) {
		yerr(b, 0, 0, "cannot initialize the YAML parser");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)b->src, b->len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_error(b, &parser);
			rc = -1;
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (docs++ > 0) {
				yerr(b, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
				     "only one YAML document is allowed in a file");
				rc = -1;
			}
			break;
		case YAML_SCALAR_EVENT:
			rc = ev_scalar(b, &ev);
			break;
		case YAML_ALIAS_EVENT:
			rc = ev_alias(b, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = ev_start(b, &ev, Y_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = ev_start(b, &ev, Y_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = ev_end(b);
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

static void
doc_free(struct ydoc *doc)
{
	size_t i;

	for (i = 0; i < doc->n; i++) {
		free(doc->boxes[i]->node.scalar);
		free(doc->boxes[i]->node.items);
		free(doc->boxes[i]->node.pairs);
		free(doc->boxes[i]);
	}
	free(doc->boxes);
	free(doc->file);
	free(doc);
}

/* Parse text into a tree owned by a new document; NULL on any error. */
static struct ynode *
load(const char *name, const char *text, size_t len, struct cfgerr *errs)
{
	struct ybuild b;
	struct ynode *root;
	int i;

	memset(&b, 0, sizeof(b));
	b.doc = xcalloc(1, sizeof(*b.doc));
	b.doc->file = xstrdup(name != NULL ? name : "-");
	b.errs = errs;
	b.src = text;
	b.len = len;
	if (len > YTREE_MAX_BYTES) {
		yerr(&b, 0, 0, "file is too large (over %u MB)", YTREE_MAX_BYTES / (1024 * 1024));
	} else {
		parse_events(&b);
	}
	for (i = 0; i < b.depth; i++) {
		free(b.stack[i].anchor);
		strset_free(&b.stack[i].keys, 0);
	}
	strset_free(&b.anchors, 1);
	if (b.nerr > 0) {
		doc_free(b.doc);
		return NULL;
	}
	root = b.top;
	if (root == NULL || (root->type == Y_SCALAR && root->is_null)) {
		/* an empty file, or only "---" or "~": no settings at all */
		yaml_mark_t mark = { 0, 0, 0 };

		if (root != NULL) {
			mark.line = (size_t)root->line - 1;
			mark.column = (size_t)root->col - 1;
		}
		root = &box_new(&b, Y_MAP, mark)->node;
	}
	return root;
}

struct ynode *
ytree_load_string(const char *name, const char *text, size_t len, struct cfgerr *errs)
{
	return load(name, text != NULL ? text : "", text != NULL ? len : 0, errs);
}

struct ynode *
ytree_load_file(const char *path, struct cfgerr *errs)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct ynode *root;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cfgerr_add(errs, path, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > (off_t)YTREE_MAX_BYTES) {
		cfgerr_add(errs, path, 0, 0, "file is too large (over %u MB)",
			   YTREE_MAX_BYTES / (1024 * 1024));
		close(fd);
		return NULL;
	}
	/* read at most one byte past the cap, so that a file growing or a
	   non-regular file is still refused when too large */
	for (;;) {
		ssize_t r;

		if (len == cap) {
			if (cap > YTREE_MAX_BYTES)
				break;
			cap = cap ? cap * 2 : 65536;
			if (cap > YTREE_MAX_BYTES + 1)
				cap = YTREE_MAX_BYTES + 1;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cfgerr_add(errs, path, 0, 0, "cannot read: %s", strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	root = load(path, buf, len, errs);
	free(buf);
	return root;
}

void
ytree_free(struct ynode *root)
{
	if (root != NULL)
		doc_free(((struct ybox *)root)->doc);
}

const struct ynode *
ymap_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != Y_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key->scalar, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

const char *
ynode_type_name(enum ynode_type t)
{
	switch (t) {
	case Y_SCALAR: return "scalar";
	case Y_SEQ: return "list";
	case Y_MAP: return "mapping";
	}
	return "node";
}
