/*
 * probe_service.c - the `service` probe (SPEC 2.3): options, the parser
 * of server responses, and the judgement and report of one run.
 *
 * The conversation itself is a backend's: service_mail.c for SMTP,
 * LMTP, IMAP, POP3 and their TLS forms, service_curl.c for HTTP(S),
 * service_tcp.c for plain TCP.  This file decides `up` (transport
 * worked, `expect` matched, HTTP status below 500) and writes the
 * metrics and facts.  It never logs in anywhere.
 *
 * A service that refuses, times out or answers wrongly is up=0 with fact
 * `error`; obs_error is kept for a target that could not be tried at all
 * (never configured, or http(s) without a loadable libcurl).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cfgerr.h"
#include "obs.h"
#include "probe.h"
#include "rx.h"
#include "schema.h"
#include "service.h"
#include "xmalloc.h"
#include "ytree.h"

#define SERVICE_DEFAULT_TIMEOUT_MS 10000
#define SERVICE_EHLO_FALLBACK "mxsla-agent"
#define SERVICE_NAME_MAX 253  /* host and EHLO names */
#define SERVICE_SEND_MAX 4096 /* tcp `send` text */

/* ---- protocols -------------------------------------------------------- */

/* clang-format off */
static const char *const service_proto_names[] = {
	"smtp", "submission", "smtps", "imap", "imaps", "pop3", "pop3s",
	"lmtp", "http", "https", "tcp", NULL
};
/* clang-format on */

static const struct {
	enum service_family family;
	int port;
	bool implicit_tls;
	bool starttls_ok;
} service_protos[SVC_PROTO_COUNT] = {
    [SVC_SMTP] = {SVC_FAM_SMTP, 25, false, true},
    [SVC_SUBMISSION] = {SVC_FAM_SMTP, 587, false, true},
    [SVC_SMTPS] = {SVC_FAM_SMTP, 465, true, false},
    [SVC_IMAP] = {SVC_FAM_IMAP, 143, false, true},
    [SVC_IMAPS] = {SVC_FAM_IMAP, 993, true, false},
    [SVC_POP3] = {SVC_FAM_POP3, 110, false, true},
    [SVC_POP3S] = {SVC_FAM_POP3, 995, true, false},
    [SVC_LMTP] = {SVC_FAM_SMTP, 24, false, false},
    [SVC_HTTP] = {SVC_FAM_HTTP, 80, false, false},
    [SVC_HTTPS] = {SVC_FAM_HTTP, 443, true, false},
    [SVC_TCP] = {SVC_FAM_TCP, 0, false, false},
};

static bool
service_proto_valid(enum service_proto p)
{
	return (int)p >= 0 && p < SVC_PROTO_COUNT;
}

enum service_family
service_proto_family(enum service_proto p)
{
	return service_proto_valid(p) ? service_protos[p].family : SVC_FAM_TCP;
}

const char *
service_proto_name(enum service_proto p)
{
	return service_proto_valid(p) ? service_proto_names[p] : "?";
}

int
service_proto_default_port(enum service_proto p)
{
	return service_proto_valid(p) ? service_protos[p].port : 0;
}

bool
service_proto_implicit_tls(enum service_proto p)
{
	return service_proto_valid(p) && service_protos[p].implicit_tls;
}

/* ---- parsing server responses ------------------------------------------ */

/* Lines of a transcript, CR/LF stripped; a last line without a newline
   counts too.  Points into the text. */
struct svc_line {
	const char *s;
	size_t n;
};

static size_t
service_split(const char *text, size_t len, struct svc_line **lines_r)
{
	struct svc_line *v = NULL;
	size_t n = 0, cap = 0;
	size_t i = 0;

	while (i < len) {
		size_t start = i;
		while (i < len && text[i] != '\n')
			i++;
		size_t end = i;
		if (end > start && text[end - 1] == '\r')
			end--;
		if (i < len)
			i++; /* the '\n' */
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		v[n].s = text + start;
		v[n].n = end - start;
		n++;
	}
	*lines_r = v;
	return n;
}

/* Growable string used to join lines; bounded by the transcript cap. */
struct svc_join {
	char *s;
	size_t n, cap;
};

static void
join_add(struct svc_join *j, const char *sep, const char *s, size_t n)
{
	size_t sl = j->n > 0 ? strlen(sep) : 0;
	j->s = xgrow(j->s, &j->cap, j->n + sl + n + 1, 1);
	if (sl > 0)
		memcpy(j->s + j->n, sep, sl);
	memcpy(j->s + j->n + sl, s, n);
	j->n += sl + n;
	j->s[j->n] = '\0';
}

/* The joined string, "" when nothing was added; the caller owns it. */
static char *
join_take(struct svc_join *j)
{
	if (j->s == NULL)
		return xstrdup("");
	char *s = j->s;
	j->s = NULL;
	j->n = j->cap = 0;
	return s;
}

static char *
line_dup(const struct svc_line *l)
{
	return xstrndup(l->s, l->n);
}

/* Trim spaces of [s, s+n) in place (pointer and length). */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* SMTP/LMTP reply line: 3 digits then ' ', '-' or the end.  Returns the
   code, or -1; *more_r is 1 for a continuation line ("250-..."). */
static int
smtp_code(const struct svc_line *l, int *more_r)
{
	if (l->n < 3 || !isdigit((unsigned char)l->s[0]) || !isdigit((unsigned char)l->s[1]) ||
	    !isdigit((unsigned char)l->s[2]))
		return -1;
	if (l->n > 3 && l->s[3] != ' ' && l->s[3] != '-')
		return -1;
	*more_r = l->n > 3 && l->s[3] == '-';
	return (l->s[0] - '0') * 100 + (l->s[1] - '0') * 10 + (l->s[2] - '0');
}

/* Greeting, then EHLO/LHLO answers (250 replies).  A 250 reply after a
   220 reply that is not the greeting (STARTTLS accepted) is the list
   asked again inside TLS. */
static void
parse_smtp(const struct svc_line *l, size_t n, struct service_reply *r)
{
	size_t i = 0;
	bool seen_220 = false;

	while (i < n) {
		int more = 0;
		int code = smtp_code(&l[i], &more);
		size_t first = i;
		/* one reply: continuation lines of the same code, up to its last line */
		while (i < n) {
			int m2 = 0;
			int c2 = smtp_code(&l[i], &m2);
			i++;
			if (c2 != code || !m2)
				break;
		}
		if (first == 0) {
			struct svc_join g = {NULL, 0, 0};
			for (size_t k = first; k < i; k++)
				join_add(&g, "\n", l[k].s, l[k].n);
			r->greeting = join_take(&g);
			r->banner = line_dup(&l[0]);
			r->code = code > 0 ? code : 0;
			continue;
		}
		if (code == 220) {
			seen_220 = true;
		} else if (code == 250) {
			struct svc_join caps = {NULL, 0, 0};
			/* the first line is the server's name, the others keywords */
			for (size_t k = first + 1; k < i; k++) {
				const char *s = l[k].s + (l[k].n > 4 ? 4 : l[k].n);
				size_t sn = l[k].n > 4 ? l[k].n - 4 : 0;
				trim(&s, &sn);
				if (sn > 0)
					join_add(&caps, " ", s, sn);
			}
			char **slot = NULL;
			if (r->capabilities == NULL)
				slot = &r->capabilities;
			else if (seen_220 && r->capabilities_tls == NULL)
				slot = &r->capabilities_tls;
			if (slot != NULL)
				*slot = join_take(&caps);
			else
				free(caps.s);
		}
	}
}

static bool
has_prefix_ci(const struct svc_line *l, const char *p)
{
	size_t pn = strlen(p);
	return l->n >= pn && strncasecmp(l->s, p, pn) == 0;
}

/* Keywords after "[CAPABILITY " in a greeting, up to ']'. */
static char *
imap_greeting_caps(const struct svc_line *l)
{
	for (size_t i = 0; i + 12 <= l->n; i++) {
		if (strncasecmp(l->s + i, "[CAPABILITY ", 12) == 0) {
			const char *s = l->s + i + 12;
			const char *end = memchr(s, ']', l->n - i - 12);
			size_t sn = end ? (size_t)(end - s) : (size_t)(l->s + l->n - s);
			trim(&s, &sn);
			return xstrndup(s, sn);
		}
	}
	return NULL;
}

/* Greeting ("* OK ..."), then "* CAPABILITY" answers each closed by a
   tagged line.  A CAPABILITY after two tagged lines since the previous
   one (CAPABILITY's OK, then STARTTLS's OK) is the list inside TLS.  A
   server whose only list is in its greeting gets that one. */
static void
parse_imap(const struct svc_line *l, size_t n, struct service_reply *r)
{
	int tagged_since = 0;

	if (n == 0)
		return;
	r->greeting = line_dup(&l[0]);
	r->banner = line_dup(&l[0]);
	for (size_t i = 1; i < n; i++) {
		if (has_prefix_ci(&l[i], "* CAPABILITY ") ||
		    (l[i].n == 12 && has_prefix_ci(&l[i], "* CAPABILITY"))) {
			const char *s = l[i].s + 12;
			size_t sn = l[i].n - 12;
			trim(&s, &sn);
			if (r->capabilities == NULL) {
				r->capabilities = xstrndup(s, sn);
				tagged_since = 0;
			} else if (tagged_since >= 2 && r->capabilities_tls == NULL) {
				r->capabilities_tls = xstrndup(s, sn);
			}
		} else if (l[i].n > 0 && l[i].s[0] != '*' && l[i].s[0] != '+') {
			tagged_since++;
		}
	}
	if (r->capabilities == NULL)
		r->capabilities = imap_greeting_caps(&l[0]);
}

static bool
pop3_status(const struct svc_line *l)
{
	return has_prefix_ci(l, "+OK") || has_prefix_ci(l, "-ERR");
}

/* Greeting ("+OK ..."), then CAPA answers: "+OK", keyword lines, ".".
   A list that follows a one-line +OK (STLS accepted) is the list inside
   TLS. */
static void
parse_pop3(const struct svc_line *l, size_t n, struct service_reply *r)
{
	bool single_since = false;

	if (n == 0)
		return;
	r->greeting = line_dup(&l[0]);
	r->banner = line_dup(&l[0]);
	size_t i = 1;
	while (i < n) {
		if (!pop3_status(&l[i])) {
			i++;
			continue;
		}
		bool is_list = has_prefix_ci(&l[i], "+OK") && i + 1 < n && !pop3_status(&l[i + 1]);
		if (!is_list) {
			if (r->capabilities != NULL)
				single_since = true;
			i++;
			continue;
		}
		struct svc_join caps = {NULL, 0, 0};
		for (i++; i < n && !(l[i].n == 1 && l[i].s[0] == '.'); i++) {
			const char *s = l[i].s;
			size_t sn = l[i].n;
			trim(&s, &sn);
			if (sn > 0)
				join_add(&caps, " ", s, sn);
		}
		i++; /* the "." */
		if (r->capabilities == NULL)
			r->capabilities = join_take(&caps);
		else if (single_since && r->capabilities_tls == NULL)
			r->capabilities_tls = join_take(&caps);
		else
			free(caps.s);
	}
}

/* Header blocks; the last status line wins (after "100 Continue"). */
static void
parse_http(const struct svc_line *l, size_t n, struct service_reply *r)
{
	bool in_block = false;

	for (size_t i = 0; i < n; i++) {
		if (has_prefix_ci(&l[i], "HTTP/")) {
			free(r->banner);
			free(r->greeting);
			free(r->server);
			r->server = NULL;
			r->banner = line_dup(&l[i]);
			r->greeting = line_dup(&l[i]);
			r->code = 0;
			const char *sp = memchr(l[i].s, ' ', l[i].n);
			if (sp != NULL) {
				size_t off = (size_t)(sp - l[i].s) + 1;
				if (off + 3 <= l[i].n && isdigit((unsigned char)sp[1]) &&
				    isdigit((unsigned char)sp[2]) && isdigit((unsigned char)sp[3]))
					r->code = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 +
					          (sp[3] - '0');
			}
			in_block = true;
		} else if (l[i].n == 0) {
			in_block = false;
		} else if (in_block && has_prefix_ci(&l[i], "Server:")) {
			const char *s = l[i].s + 7;
			size_t sn = l[i].n - 7;
			trim(&s, &sn);
			free(r->server);
			r->server = xstrndup(s, sn);
		}
	}
}

/* Everything received; the first line is the banner. */
static void
parse_tcp(const struct svc_line *l, size_t n, struct service_reply *r)
{
	struct svc_join g = {NULL, 0, 0};

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		join_add(&g, "\n", l[i].s, l[i].n);
	r->greeting = join_take(&g);
	r->banner = line_dup(&l[0]);
}

void
service_parse_responses(enum service_proto p, const char *text, size_t len, struct service_reply *r)
{
	struct svc_line *lines = NULL;
	size_t n;

	if (text == NULL || len == 0)
		return;
	if (len > SERVICE_TRANSCRIPT_MAX)
		len = SERVICE_TRANSCRIPT_MAX;
	n = service_split(text, len, &lines);
	switch (service_proto_family(p)) {
	case SVC_FAM_SMTP:
		parse_smtp(lines, n, r);
		break;
	case SVC_FAM_IMAP:
		parse_imap(lines, n, r);
		break;
	case SVC_FAM_POP3:
		parse_pop3(lines, n, r);
		break;
	case SVC_FAM_HTTP:
		parse_http(lines, n, r);
		break;
	case SVC_FAM_TCP:
		parse_tcp(lines, n, r);
		break;
	}
	free(lines);
}

int
service_greeting_complete(enum service_proto p, const char *text, size_t len)
{
	size_t i = 0;

	switch (service_proto_family(p)) {
	case SVC_FAM_SMTP:
		/* the greeting ends with its first line that is not "ddd-" */
		while (i < len) {
			const char *nl = memchr(text + i, '\n', len - i);
			if (nl == NULL)
				return 0;
			struct svc_line l = {text + i, (size_t)(nl - (text + i))};
			if (l.n > 0 && l.s[l.n - 1] == '\r')
				l.n--;
			int more = 0;
			if (smtp_code(&l, &more) < 0 || !more)
				return 1;
			i = (size_t)(nl - text) + 1;
		}
		return 0;
	case SVC_FAM_HTTP:
		for (i = 0; i + 1 < len; i++)
			if (text[i] == '\n' &&
			    (text[i + 1] == '\n' ||
			     (text[i + 1] == '\r' && i + 2 < len && text[i + 2] == '\n')))
				return 1;
		return 0;
	default:
		return memchr(text, '\n', len) != NULL;
	}
}

void
service_reply_free(struct service_reply *r)
{
	free(r->greeting);
	free(r->banner);
	free(r->capabilities);
	free(r->capabilities_tls);
	free(r->server);
	memset(r, 0, sizeof(*r));
}

double
service_cert_days_left(double seconds)
{
	return floor(seconds / 86400.0 * 10.0) / 10.0;
}

void
service_result_free(struct service_result *res)
{
	free(res->error);
	free(res->cert_subject);
	free(res->cert_issuer);
	service_reply_free(&res->reply);
	memset(res, 0, sizeof(*res));
}

/* ---- configuration ---------------------------------------------------- */

static const struct sch_field service_fields[] = {
    {"protocol", SCH_ENUM, offsetof(struct service_conf, protocol), 1, NULL, 0, 0,
     service_proto_names},
    {"host", SCH_STR, offsetof(struct service_conf, host), 0, "127.0.0.1", 0, 0, NULL},
    {"port", SCH_PORT, offsetof(struct service_conf, port), 0, NULL, 0, 0, NULL},
    {"starttls", SCH_BOOL, offsetof(struct service_conf, starttls), 0, "false", 0, 0, NULL},
    {"expect", SCH_REGEX, offsetof(struct service_conf, expect), 0, NULL, 0, 0, NULL},
    {"tls_verify", SCH_BOOL, offsetof(struct service_conf, tls_verify), 0, "false", 0, 0, NULL},
    {"ca_file", SCH_STR, offsetof(struct service_conf, ca_file), 0, NULL, 0, 0, NULL},
    {"ehlo", SCH_STR, offsetof(struct service_conf, ehlo), 0, NULL, 0, 0, NULL},
    {"path", SCH_STR, offsetof(struct service_conf, path), 0, NULL, 0, 0, NULL},
    {"send", SCH_STR, offsetof(struct service_conf, send), 0, NULL, 0, 0, NULL},
    SCH_END};

/* Host names and IP literals only: the host goes into a URL. */
static bool
service_host_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SERVICE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(".-_:", s[i]) == NULL)
			return false;
	return true;
}

/* An EHLO/LHLO argument: a domain or an address literal, no spaces or
   control characters that would end the command line early. */
static bool
service_ehlo_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SERVICE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(".-_:[]", s[i]) == NULL)
			return false;
	return true;
}

/* HTTP path: starts with '/', printable ASCII without spaces. */
static bool
service_path_ok(const char *s)
{
	if (s[0] != '/' || strlen(s) > 2048)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static char *
service_default_ehlo(void)
{
	char name[HOST_NAME_MAX + 1];
	if (gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		if (service_ehlo_ok(name))
			return xstrdup(name);
	}
	return xstrdup(SERVICE_EHLO_FALLBACK);
}

static void
service_free_conf(void *p)
{
	struct service_conf *c = p;
	if (c == NULL)
		return;
	service_tls_cache_free(c->tls_cache);
	schema_free(service_fields, c);
	free(c);
}

/* The protocol named in the map, or -1 when absent or not one of ours
   (schema_apply has reported that already). */
static int
service_map_protocol(const struct ynode *map)
{
	const struct ynode *n = ymap_get(map, "protocol");
	if (n == NULL || n->type != Y_SCALAR)
		return -1;
	for (int i = 0; service_proto_names[i] != NULL; i++)
		if (strcmp(n->scalar, service_proto_names[i]) == 0)
			return i;
	return -1;
}

/* Options that make no sense for this protocol are errors, so that a
   typo'd protocol does not silently ignore half of a target. */
static int
service_check_options(struct service_conf *c, const struct ynode *map, struct cfgerr *errs)
{
	enum service_proto p = (enum service_proto)c->protocol;
	enum service_family fam = service_proto_family(p);
	const char *name = service_proto_name(p);
	const struct ynode *n;
	int rc = 0;

	if (c->host != NULL && !service_host_ok(c->host)) {
		cfgerr_at(errs, ymap_get(map, "host"), "host: not a host name or IP address: '%s'",
		          c->host);
		rc = -1;
	}
	if (c->port == 0) {
		if (p == SVC_TCP) {
			cfgerr_at(errs, ymap_get(map, "protocol"), "protocol tcp needs a port");
			rc = -1;
		}
		c->port = service_proto_default_port(p);
	}
	if (c->starttls && !service_protos[p].starttls_ok) {
		cfgerr_at(errs, ymap_get(map, "starttls"),
		          "starttls applies to smtp, submission, imap and pop3 only, not %s%s",
		          name, service_proto_implicit_tls(p) ? " (TLS from the start)" : "");
		rc = -1;
	}
	if ((n = ymap_get(map, "ehlo")) != NULL && c->ehlo != NULL) {
		if (fam != SVC_FAM_SMTP) {
			cfgerr_at(errs, n,
			          "ehlo applies to smtp, submission, smtps and lmtp only, not %s",
			          name);
			rc = -1;
		} else if (!service_ehlo_ok(c->ehlo)) {
			cfgerr_at(errs, n, "ehlo: not a domain name or address literal: '%s'",
			          c->ehlo);
			rc = -1;
		}
	}
	if ((n = ymap_get(map, "path")) != NULL && c->path != NULL) {
		if (fam != SVC_FAM_HTTP) {
			cfgerr_at(errs, n, "path applies to http and https only, not %s", name);
			rc = -1;
		} else if (!service_path_ok(c->path)) {
			cfgerr_at(
			    errs, n,
			    "path must start with '/' and contain no spaces or control characters");
			rc = -1;
		}
	}
	if ((n = ymap_get(map, "send")) != NULL && c->send != NULL) {
		if (p != SVC_TCP) {
			cfgerr_at(errs, n, "send applies to protocol tcp only, not %s", name);
			rc = -1;
		} else if (strlen(c->send) > SERVICE_SEND_MAX) {
			cfgerr_at(errs, n, "send: longer than %d bytes", SERVICE_SEND_MAX);
			rc = -1;
		}
	}
	if (p == SVC_LMTP || p == SVC_TCP) {
		static const char *const tls_keys[] = {"tls_verify", "ca_file"};
		for (size_t i = 0; i < 2; i++)
			if ((n = ymap_get(map, tls_keys[i])) != NULL) {
				cfgerr_at(errs, n, "%s: protocol %s does not use TLS", tls_keys[i],
				          name);
				rc = -1;
			}
	}
	if (c->ca_file != NULL && (n = ymap_get(map, "ca_file")) != NULL &&
	    access(c->ca_file, R_OK) != 0) {
		cfgerr_at(errs, n, "ca_file: cannot read %s: %s", c->ca_file, strerror(errno));
		rc = -1;
	}
	if (c->ehlo == NULL)
		c->ehlo = service_default_ehlo();
	if (c->path == NULL)
		c->path = xstrdup("/");
	return rc;
}

static int
service_configure(struct target *t, const struct ynode *map, struct cfgerr *errs)
{
	struct service_conf *c = xcalloc(1, sizeof(*c));
	int rc = schema_apply(map, service_fields, c, TARGET_COMMON_KEYS, errs);
	int proto = service_map_protocol(map);

	if (proto < 0 || c->protocol != proto) {
		rc = -1; /* missing or unknown protocol: schema_apply said so */
	} else if (service_check_options(c, map, errs) < 0) {
		rc = -1;
	}
	if (rc < 0) {
		service_free_conf(c);
		t->conf = NULL;
		return -1;
	}
	enum service_proto p = (enum service_proto)c->protocol;
	enum service_family fam = service_proto_family(p);
	if ((fam == SVC_FAM_SMTP || fam == SVC_FAM_IMAP || fam == SVC_FAM_POP3) &&
	    (service_proto_implicit_tls(p) || service_protos[p].starttls_ok))
		c->tls_cache = service_tls_cache_new(); /* no OpenSSL call until used */
	t->conf = c;
	if (t->driver == NULL)
		t->driver = xstrdup(service_proto_name((enum service_proto)c->protocol));
	return 0;
}

/* ---- judgement and report ---------------------------------------------- */

/* Decide what the backend could not: expect on the whole greeting (or
   the HTTP status line) and the HTTP status. */
static void
service_judge(const struct service_conf *c, struct service_result *res)
{
	enum service_family fam = service_proto_family((enum service_proto)c->protocol);
	const char *subject = fam == SVC_FAM_HTTP ? res->reply.banner : res->reply.greeting;

	if (res->error != NULL)
		return;
	if (c->expect != NULL && c->protocol == SVC_TCP)
		return; /* matched line by line while reading (service_dialog.c) */
	if (c->expect != NULL) {
		int m = subject != NULL ? rx_match(c->expect, subject, strlen(subject)) : 0;
		if (m < 0)
			res->error = xasprintf("expect /%s/: matching failed (limits)",
			                       rx_pattern(c->expect));
		else if (m == 0 && subject == NULL)
			res->error = xasprintf("no %s to match expect /%s/",
			                       fam == SVC_FAM_HTTP ? "status line" : "greeting",
			                       rx_pattern(c->expect));
		else if (m == 0)
			res->error =
			    xasprintf("banner does not match expect /%s/", rx_pattern(c->expect));
		return;
	}
	if (fam == SVC_FAM_HTTP) {
		if (res->reply.code == 0)
			res->error = xstrdup("no HTTP status line in the response");
		else if (res->reply.code >= 500)
			res->error = xasprintf("HTTP status %d", res->reply.code);
	}
}

static void
service_report(const struct service_conf *c, const struct service_result *res, struct obs *o)
{
	enum service_family fam = service_proto_family((enum service_proto)c->protocol);

	obs_metric(o, "up", res->error == NULL ? 1 : 0);
	if (res->connected) {
		if (res->connect_ms >= 0)
			obs_metric(o, "connect_ms", res->connect_ms);
		obs_metric(o, "tls", res->tls ? 1 : 0);
	}
	if (res->response_ms >= 0)
		obs_metric(o, "response_ms", res->response_ms);
	if (fam == SVC_FAM_HTTP && res->reply.code > 0)
		obs_metric(o, "http_status", res->reply.code);
	if (res->have_cert)
		obs_metric(o, "cert_days_left", res->cert_days_left);
	if (res->reply.banner != NULL)
		obs_fact(o, "banner", res->reply.banner);
	if (res->reply.capabilities != NULL)
		obs_fact(o, "capabilities", res->reply.capabilities);
	if (res->reply.capabilities_tls != NULL)
		obs_fact(o, "capabilities_tls", res->reply.capabilities_tls);
	if (res->reply.server != NULL)
		obs_fact(o, "server", res->reply.server);
	if (res->cert_subject != NULL)
		obs_fact(o, "cert_subject", res->cert_subject);
	if (res->cert_issuer != NULL)
		obs_fact(o, "cert_issuer", res->cert_issuer);
	if (res->error != NULL)
		obs_fact(o, "error", res->error);
}

static void
service_run(const struct target *t, void **state, struct obs *o)
{
	const struct service_conf *c = t->conf;
	struct service_result res;
	int64_t timeout_ms = t->timeout_ms > 0 ? t->timeout_ms : SERVICE_DEFAULT_TIMEOUT_MS;

	(void)state;
	if (c == NULL) {
		obs_error(o, "service: target %s is not configured", t->name);
		return;
	}
	memset(&res, 0, sizeof(res));
	res.connect_ms = -1;
	res.response_ms = -1;
	switch (service_proto_family((enum service_proto)c->protocol)) {
	case SVC_FAM_HTTP: {
		char *error = NULL;
		if (service_curl_run(c, timeout_ms, &res, &error) < 0) {
			obs_error(o, "%s", error);
			free(error);
			service_result_free(&res);
			return;
		}
		break;
	}
	case SVC_FAM_TCP:
		service_tcp_run(c, timeout_ms, &res);
		break;
	default:
		service_mail_run(c, timeout_ms, &res);
		break;
	}
	service_judge(c, &res);
	service_report(c, &res, o);
	service_result_free(&res);
}

const struct probe_ops probe_service_ops = {
    .name = "service",
    .configure = service_configure,
    .run = service_run,
    .free_state = NULL,
    .free_conf = service_free_conf,
};
