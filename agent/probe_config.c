/*
 * probe_config.c - the `config` probe: reads a configuration as keys and
 * values (postconf, doveconf, a key = value file, or a command's output)
 * and reports one fact per key.  See config_probe.h for the syntaxes.
 *
 * It only reports what the tools print; judging the values is the job of
 * the rule packs.  It never writes a configuration.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgerr.h"
#include "config_probe.h"
#include "obs.h"
#include "probe.h"
#include "schema.h"
#include "strlist.h"
#include "subproc.h"
#include "xmalloc.h"
#include "ytree.h"

struct config_conf {
	int driver;             /* enum config_driver */
	int mode;               /* enum config_mode */
	char *config_dir;
	char *config_file;
	char *postconf;
	char *doveconf;
	char *path;
	struct strlist command;
	struct strlist keys;
};

static const char *const config_driver_names[] = { "postconf", "doveconf", "file", "command",
						    NULL };
static const char *const config_mode_names[] = { "effective", "non-default", NULL };

static const struct sch_field config_fields[] = {
	{ "driver", SCH_ENUM, offsetof(struct config_conf, driver), 1, NULL, 0, 0,
	  config_driver_names },
	{ "mode", SCH_ENUM, offsetof(struct config_conf, mode), 0, "effective", 0, 0,
	  config_mode_names },
	{ "config_dir", SCH_STR, offsetof(struct config_conf, config_dir), 0, NULL, 0, 0, NULL },
	{ "config_file", SCH_STR, offsetof(struct config_conf, config_file), 0, NULL, 0, 0, NULL },
	{ "postconf", SCH_STR, offsetof(struct config_conf, postconf), 0, "postconf", 0, 0, NULL },
	{ "doveconf", SCH_STR, offsetof(struct config_conf, doveconf), 0, "doveconf", 0, 0, NULL },
	{ "path", SCH_STR, offsetof(struct config_conf, path), 0, NULL, 0, 0, NULL },
	{ "command", SCH_ARGV, offsetof(struct config_conf, command), 0, NULL, 0, 0, NULL },
	{ "keys", SCH_STRLIST, offsetof(struct config_conf, keys), 0, NULL, 0, 0, NULL },
	SCH_END
};

/* Options that belong to some drivers only (bit per driver). */
static const struct {
	const char *key;
	unsigned drivers;
} config_driver_keys[] = {
	{ "mode", 1u << CONFIG_POSTCONF | 1u << CONFIG_DOVECONF },
	{ "config_dir", 1u << CONFIG_POSTCONF },
	{ "postconf", 1u << CONFIG_POSTCONF },
	{ "config_file", 1u << CONFIG_DOVECONF },
	{ "doveconf", 1u << CONFIG_DOVECONF },
	{ "path", 1u << CONFIG_FILE },
	{ "command", 1u << CONFIG_COMMAND },
};

/* ---- parsing ------------------------------------------------------------ */

size_t config_key_append(char *buf, size_t cap, size_t used, const char *s, size_t len)
{
	for (size_t i = 0; i < len && used + 1 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[used++] = (isalnum(ch) || ch == '_' || ch == '.' || ch == '-') ? (char)ch : '_';
	}
	if (cap > 0)
		buf[used < cap ? used : cap - 1] = '\0';
	return used;
}

struct config_out {
	const struct strlist *keys;
	struct obs *o;
	long nkeys;   /* keys read */
	long nfacts;  /* facts added */
};

/* One key/value: value is given as [v, v+vlen). Returns -1 past the cap. */
static int config_emit(struct config_out *out, const char *key, const char *v, size_t vlen)
{
	out->nkeys++;
	if (out->keys != NULL && out->keys->n > 0 && !strlist_glob_match(out->keys, key))
		return 0;
	if (++out->nfacts > CONFIG_MAX_FACTS) {
		obs_error(out->o, "more than %d keys; select the ones rules need with keys:",
			  CONFIG_MAX_FACTS);
		return -1;
	}
	obs_factn(out->o, key, v, vlen);
	return 0;
}

static void config_trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)(*s)[0])) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* `name = value` on one line into key/value (both trimmed); 0 if no '='. */
static int config_split(const char *s, size_t n, const char **k, size_t *klen,
			const char **v, size_t *vlen)
{
	const char *eq = memchr(s, '=', n);

	if (eq == NULL)
		return 0;
	*k = s;
	*klen = (size_t)(eq - s);
	*v = eq + 1;
	*vlen = n - (size_t)(eq + 1 - s);
	config_trim(k, klen);
	config_trim(v, vlen);
	return *klen > 0;
}

/* A doveconf value wholly in double quotes, with no unescaped quote
   inside, is unquoted (backslash escapes undone) into *buf (xmalloc'd). */
static int config_dovecot_unquote(const char *v, size_t n, char **buf, size_t *blen)
{
	size_t i, o = 0;
	char *b;

	if (n < 2 || v[0] != '"' || v[n - 1] != '"')
		return 0;
	for (i = 1; i + 1 < n; i++) {
		if (v[i] == '\\')
			i++;
		else if (v[i] == '"')
			return 0;
	}
	if (i != n - 1)
		return 0; /* the closing quote was escaped */
	b = xmalloc(n);
	for (i = 1; i + 1 < n; i++) {
		if (v[i] == '\\' && i + 2 < n)
			i++;
		b[o++] = v[i];
	}
	b[o] = '\0';
	*buf = b;
	*blen = o;
	return 1;
}

#define CONFIG_DEPTH_MAX 32
#define CONFIG_SECTIONS_MAX 5000

struct config_dove {
	size_t prefix[CONFIG_DEPTH_MAX]; /* key length before each open section */
	int depth;
	struct strlist seen;             /* each distinct section path opened so far */
	unsigned *times;                 /* how often seen.v[i] was opened */
	size_t times_cap;
};

/* Open section `type [name]` under the current prefix in key. */
static int config_dove_open(struct config_dove *d, char *key, size_t *klen, const char *h,
			    size_t hn)
{
	const char *type = h, *name;
	size_t tn = 0, nn;
	size_t base = *klen, len;

	if (d->depth >= CONFIG_DEPTH_MAX)
		return -1;
	while (tn < hn && !isspace((unsigned char)type[tn]))
		tn++;
	name = type + tn;
	nn = hn - tn;
	config_trim(&name, &nn);
	if (nn >= 2 && name[0] == '"' && name[nn - 1] == '"') {
		name++;
		nn -= 2;
	}
	len = base;
	if (len > 0)
		len = config_key_append(key, CONFIG_KEY_MAX + 1, len, ".", 1);
	len = config_key_append(key, CONFIG_KEY_MAX + 1, len, type, tn);
	if (nn > 0) {
		len = config_key_append(key, CONFIG_KEY_MAX + 1, len, ".", 1);
		len = config_key_append(key, CONFIG_KEY_MAX + 1, len, name, nn);
	}
	/* A repeated unnamed section gets its ordinal (passdb, passdb.2, ...);
	   counting per distinct path keeps this linear in the sections. */
	{
		size_t i;

		for (i = 0; i < d->seen.n; i++)
			if (strcmp(d->seen.v[i], key) == 0)
				break;
		if (i < d->seen.n) {
			char num[16];
			int k = snprintf(num, sizeof(num), ".%u", ++d->times[i]);
			len = config_key_append(key, CONFIG_KEY_MAX + 1, len, num, (size_t)k);
		} else if (d->seen.n < CONFIG_SECTIONS_MAX) {
			d->times = xgrow(d->times, &d->times_cap, d->seen.n + 1, sizeof(*d->times));
			d->times[d->seen.n] = 1;
			strlist_add(&d->seen, key);
		}
	}
	d->prefix[d->depth++] = base;
	*klen = len;
	return 0;
}

static int config_line(enum config_syntax syntax, struct config_out *out,
		       struct config_dove *dove, char *key, size_t *klen, const char *s, size_t n)
{
	const char *k, *v;
	size_t kn, vn;

	config_trim(&s, &n);
	if (n == 0)
		return 0;
	if (syntax == CONFIG_SYNTAX_DOVECONF) {
		if (s[0] == '#')
			return 0;
		if (n == 1 && s[0] == '}') {
			if (dove->depth == 0) {
				obs_error(out->o, "doveconf: unbalanced '}'");
				return -1;
			}
			*klen = dove->prefix[--dove->depth];
			key[*klen] = '\0';
			return 0;
		}
		if (s[n - 1] == '{' && memchr(s, '=', n) == NULL) {
			const char *h = s;
			size_t hn = n - 1;
			config_trim(&h, &hn);
			if (hn == 0 || config_dove_open(dove, key, klen, h, hn) < 0) {
				obs_error(out->o, "doveconf: bad section header: %.*s",
					  (int)(n > 80 ? 80 : n), s);
				return -1;
			}
			return 0;
		}
	}
	if (syntax == CONFIG_SYNTAX_FILE) {
		if (s[0] == '#' || s[0] == ';')
			return 0;
		if (s[0] == '[' && s[n - 1] == ']') {
			const char *sec = s + 1;
			size_t sn = n - 2;
			config_trim(&sec, &sn);
			*klen = config_key_append(key, CONFIG_KEY_MAX + 1, 0, sec, sn);
			return 0;
		}
	}
	if (!config_split(s, n, &k, &kn, &v, &vn))
		return 0;

	size_t base = *klen, len = base;
	int rc;
	if (len > 0)
		len = config_key_append(key, CONFIG_KEY_MAX + 1, len, ".", 1);
	config_key_append(key, CONFIG_KEY_MAX + 1, len, k, kn);
	if (syntax == CONFIG_SYNTAX_DOVECONF) {
		char *uq = NULL;
		size_t un = 0;
		if (config_dovecot_unquote(v, vn, &uq, &un)) {
			rc = config_emit(out, key, uq, un);
			free(uq);
		} else {
			rc = config_emit(out, key, v, vn);
		}
	} else {
		rc = config_emit(out, key, v, vn);
	}
	key[base] = '\0';
	return rc;
}

int config_parse(enum config_syntax syntax, const char *text, size_t len,
		 const struct strlist *keys, struct obs *o)
{
	struct config_out out = { keys, o, 0, 0 };
	struct config_dove dove;
	char key[CONFIG_KEY_MAX + 1];
	size_t klen = 0, pos = 0;
	int rc = 0;

	memset(&dove, 0, sizeof(dove));
	strlist_init(&dove.seen);
	key[0] = '\0';
	while (pos < len && rc == 0) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		pos += n + (nl ? 1 : 0);
		rc = config_line(syntax, &out, &dove, key, &klen, line, n);
	}
	if (rc == 0 && dove.depth != 0) {
		obs_error(o, "doveconf: %d section%s not closed", dove.depth,
			  dove.depth == 1 ? "" : "s");
		rc = -1;
	}
	if (rc == 0)
		obs_metric(o, "keys", (double)out.nkeys);
	strlist_free(&dove.seen);
	free(dove.times);
	return rc;
}

/* ---- sources ------------------------------------------------------------ */


static void config_run_tool(const struct config_conf *c, const struct target *t,
			    const char *const *argv, enum config_syntax syntax, struct obs *o)
{
	struct subproc_result res;

	if (probe_exec(argv, t->timeout_ms, CONFIG_FILE_MAX, &res, o) < 0)
		return;
	if (res.out_truncated) {
		obs_error(o, "%s: output larger than %d bytes", argv[0], CONFIG_FILE_MAX);
	} else {
		config_parse(syntax, res.out, res.out_len, &c->keys, o);
	}
	subproc_result_free(&res);
}

/* Read a whole file of at most CONFIG_FILE_MAX bytes. */
static char *config_read_file(const char *path, size_t *len_r, char **error_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat sb;
	char *buf;
	size_t used = 0;

	if (fd < 0) {
		*error_r = xasprintf("open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		*error_r = xasprintf("%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	buf = xmalloc(CONFIG_FILE_MAX + 1);
	for (;;) {
		ssize_t r = read(fd, buf + used, CONFIG_FILE_MAX + 1 - used);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*error_r = xasprintf("read %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		used += (size_t)r;
		if (used > CONFIG_FILE_MAX) {
			*error_r = xasprintf("%s: larger than %d bytes", path, CONFIG_FILE_MAX);
			free(buf);
			close(fd);
			return NULL;
		}
	}
	close(fd);
	buf[used] = '\0';
	*len_r = used;
	return buf;
}

static void config_run(const struct target *t, void **state, struct obs *o)
{
	const struct config_conf *c = t->conf;
	const char *argv[6];
	size_t i = 0;

	(void)state;
	switch (c->driver) {
	case CONFIG_POSTCONF:
		argv[i++] = c->postconf;
		if (c->config_dir) {
			argv[i++] = "-c";
			argv[i++] = c->config_dir;
		}
		if (c->mode == CONFIG_NON_DEFAULT)
			argv[i++] = "-n";
		argv[i] = NULL;
		config_run_tool(c, t, argv, CONFIG_SYNTAX_POSTCONF, o);
		break;
	case CONFIG_DOVECONF:
		argv[i++] = c->doveconf;
		if (c->config_file) {
			argv[i++] = "-c";
			argv[i++] = c->config_file;
		}
		if (c->mode == CONFIG_NON_DEFAULT)
			argv[i++] = "-n";
		argv[i] = NULL;
		config_run_tool(c, t, argv, CONFIG_SYNTAX_DOVECONF, o);
		break;
	case CONFIG_FILE: {
		size_t len = 0;
		char *err = NULL;
		char *text = config_read_file(c->path, &len, &err);
		if (text == NULL) {
			obs_error(o, "%s", err);
			free(err);
			break;
		}
		config_parse(CONFIG_SYNTAX_FILE, text, len, &c->keys, o);
		free(text);
		break;
	}
	case CONFIG_COMMAND:
		config_run_tool(c, t, (const char *const *)c->command.v, CONFIG_SYNTAX_FILE, o);
		break;
	default:
		obs_error(o, "unknown config driver %d", c->driver);
		break;
	}
}

/* ---- configuration ------------------------------------------------------ */

static void config_free_conf(void *p)
{
	struct config_conf *c = p;

	if (c == NULL)
		return;
	schema_free(config_fields, c);
	free(c);
}

static int config_configure(struct target *t, const struct ynode *map, struct cfgerr *errs)
{
	struct config_conf *c = xcalloc(1, sizeof(*c));
	int rc = schema_apply(map, config_fields, c, TARGET_COMMON_KEYS, errs);

	if (rc == 0) {
		for (size_t i = 0; i < sizeof(config_driver_keys) / sizeof(config_driver_keys[0]);
		     i++) {
			const struct ynode *n = ymap_get(map, config_driver_keys[i].key);
			if (n != NULL && !(config_driver_keys[i].drivers & (1u << c->driver))) {
				cfgerr_at(errs, n, "%s does not apply to driver %s",
					  config_driver_keys[i].key, config_driver_names[c->driver]);
				rc = -1;
			}
		}
		if (c->driver == CONFIG_FILE) {
			if (c->path == NULL) {
				cfgerr_at(errs, map, "driver file needs path");
				rc = -1;
			} else if (c->path[0] != '/') {
				cfgerr_at(errs, ymap_get(map, "path"), "path must be absolute: %s",
					  c->path);
				rc = -1;
			}
		}
		if (c->driver == CONFIG_COMMAND && c->command.n == 0) {
			cfgerr_at(errs, map, "driver command needs command");
			rc = -1;
		}
	}
	if (rc < 0) {
		config_free_conf(c);
		t->conf = NULL;
		return -1;
	}
	t->conf = c;
	if (t->driver == NULL)
		t->driver = xstrdup(config_driver_names[c->driver]);
	return 0;
}

static void config_free_state(void *state)
{
	free(state);
}

const struct probe_ops probe_config_ops = {
	.name = "config",
	.configure = config_configure,
	.run = config_run,
	.free_state = config_free_state,
	.free_conf = config_free_conf,
};
