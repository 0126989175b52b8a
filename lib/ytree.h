/*
 * ytree.h - a YAML document loaded into a small tree that remembers where
 * every node came from (file, line, column), so that every later
 * validation error can be reported as FILE:LINE:COL.
 *
 * Only libyaml is used to parse; anchors/aliases are resolved by copying
 * the aliased node's pointer (nodes may be shared; ytree_free handles it).
 */
#ifndef MXSLA_YTREE_H
#define MXSLA_YTREE_H

#include <stddef.h>

struct cfgerr;

enum ynode_type { Y_SCALAR, Y_SEQ, Y_MAP };

/* How a scalar was written (the value of ynode.quoted): anything but
   YQ_PLAIN is a string whatever its text looks like. */
enum yquote { YQ_PLAIN = 0, YQ_SINGLE, YQ_DOUBLE, YQ_LITERAL, YQ_FOLDED };

struct ypair {
	struct ynode *key;   /* always a scalar */
	struct ynode *value;
};

struct ynode {
	enum ynode_type type;
	const char *file;    /* shared, owned by the document root */
	int line, col;       /* 1-based */
	char *scalar;        /* Y_SCALAR: the text (never NULL) */
	int quoted;          /* Y_SCALAR: written in quotes or as a block (so always
				a string); the enum yquote style, YQ_PLAIN = 0 */
	int is_null;         /* Y_SCALAR: plain ~, null, Null, NULL or empty */
	size_t n;            /* Y_SEQ: items; Y_MAP: pairs */
	struct ynode **items;
	struct ypair *pairs;
	int block_col;       /* Y_SCALAR in YQ_LITERAL/YQ_FOLDED style: 1-based
				column where its content lines start (0 unknown) */
};

/* Load a file.  On any error returns NULL and adds the errors to errs.
   An empty document yields an empty map.  Only the first document of a
   stream is used (a second one is an error); files over 16 MB and
   nesting deeper than 64 levels are refused.  YAML merge keys ("<<:")
   are applied.  The tree is owned by the caller: ytree_free(root). */
struct ynode *ytree_load_file(const char *path, struct cfgerr *errs);
/* Same from a string; (name) is used as the file name in locations. */
struct ynode *ytree_load_string(const char *name, const char *text, size_t len, struct cfgerr *errs);
/* Free a whole tree given its root (the node ytree_load_* returned). */
void ytree_free(struct ynode *root);

/* Value for key in a map, or NULL (also NULL if map is not a map). */
const struct ynode *ymap_get(const struct ynode *map, const char *key);
/* "scalar", "list" or "mapping", for messages. */
const char *ynode_type_name(enum ynode_type t);

#endif
