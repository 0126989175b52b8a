/*
 * copy_drbd.c - copy driver `drbd`: one DRBD resource.
 *
 * DRBD 9: `drbdsetup status RESOURCE --json --statistics` (jansson),
 * one status per peer device.  DRBD 8: /proc/drbd, the block of the
 * resource's minor (`cs: ro: ds:` then the counters with `oos:`).
 *
 * Options: resource (required), drbdsetup (default "drbdsetup"),
 * proc_drbd (default /proc/drbd), version (auto|8|9; auto reads
 * /proc/drbd first: "version: 8.x" means DRBD 8, anything else means
 * drbdsetup, which falls back to /proc/drbd when it does not know
 * --json), minor (DRBD 8 only; default: from /dev/drbd/by-res/RESOURCE,
 * else the resource name when it is a number).
 *
 * Mapping to SummaryCopyStatus (DOMAIN.md 3.5), per peer device, the
 * worst one wins:
 *   Healthy          Connected + Established (or Verify) + UpToDate on
 *                    both sides (a diskless client peer counts as fine)
 *                    + out-of-sync 0
 *   Seeding          StartingSyncS/T (a full sync the admin started)
 *   Resynchronizing  WFBitMapS/T, WFSyncUUID, SyncSource, SyncTarget,
 *                    Ahead, Behind
 *   Suspended        PausedSyncS/T, resync-suspended other than "no",
 *                    resource I/O suspended
 *   Failed           disk Failed or Diskless (not an intentional client),
 *                    Inconsistent/Outdated without a resync, out-of-sync
 *                    blocks while Established (a verify found them),
 *                    a state containing "SplitBrain"
 *   Disconnected     StandAlone, Disconnecting, Unconnected, Timeout,
 *                    BrokenPipe, NetworkFailure, ProtocolError,
 *                    Connecting, TearDown, WFConnection, WFReportParams,
 *                    or no connection at all.  DRBD reports a detected
 *                    split brain this way too: the connection drops to
 *                    StandAlone and stays there until the admin decides.
 *   Stopped          the resource is not up (Unconfigured, "No such
 *                    resource")
 *   Initializing     transitional disk states (Attaching, Negotiating,
 *                    Consistent, DUnknown) on a connected peer
 * Metrics: out_of_sync_kb (largest over peer devices), percent_in_sync
 * (smallest), peers, peers_connected; during a resync
 * percent_resync_done.  Facts: role, disk_state, peer_disk_state,
 * connection_state, replication_state.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "copy.h"
#include "obs.h"
#include "probe.h"
#include "schema.h"
#include "strlist.h"
#include "subproc.h"
#include "xmalloc.h"

#define DRBD_MAX_OUTPUT (4u * 1024 * 1024)
#define DRBD_PROC_MAX (1024 * 1024)
#define DRBD_BY_RES "/dev/drbd/by-res"

enum { DRBD_AUTO, DRBD_V8, DRBD_V9 };

static const char *const drbd_versions[] = {"auto", "8", "9", NULL};

struct drbd_conf {
	char *resource;
	char *drbdsetup;
	char *proc_drbd;
	int version;
	long long minor;
};

static const struct sch_field drbd_fields[] = {
    {"resource", SCH_STR, offsetof(struct drbd_conf, resource), 1, NULL, 0, 0, NULL},
    {"drbdsetup", SCH_STR, offsetof(struct drbd_conf, drbdsetup), 0, "drbdsetup", 0, 0, NULL},
    {"proc_drbd", SCH_STR, offsetof(struct drbd_conf, proc_drbd), 0, "/proc/drbd", 0, 0, NULL},
    {"version", SCH_ENUM, offsetof(struct drbd_conf, version), 0, "auto", 0, 0, drbd_versions},
    {"minor", SCH_INT, offsetof(struct drbd_conf, minor), 0, "-1", -1, 1048575, NULL},
    SCH_END};

/* ---- classification ------------------------------------------------------ */

static int
one_of(const char *s, const char *const *list)
{
	if (s == NULL)
		return 0;
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static const char *const disconnected_states[] = {
    "StandAlone", "Disconnecting",  "Unconnected",    "Timeout",
    "BrokenPipe", "NetworkFailure", "ProtocolError",  "Connecting",
    "TearDown",   "WFConnection",   "WFReportParams", NULL};
static const char *const seeding_states[] = {"StartingSyncS", "StartingSyncT", NULL};
static const char *const resync_states[] = {"WFBitMapS",  "WFBitMapT", "WFSyncUUID", "SyncSource",
                                            "SyncTarget", "Ahead",     "Behind",     NULL};
static const char *const paused_states[] = {"PausedSyncS", "PausedSyncT", NULL};
static const char *const established_states[] = {"Established", "VerifyS", "VerifyT", NULL};
/* In DRBD 8 the cs: field carries the replication state once connected. */
static const char *const replication_states[] = {
    "Off",        "Established", "StartingSyncS", "StartingSyncT",
    "WFBitMapS",  "WFBitMapT",   "WFSyncUUID",    "SyncSource",
    "SyncTarget", "PausedSyncS", "PausedSyncT",   "VerifyS",
    "VerifyT",    "Ahead",       "Behind",        NULL};
static const char *const broken_disks[] = {"Failed", "Diskless", NULL};
static const char *const stale_disks[] = {"Inconsistent", "Outdated", NULL};

static int
has_split_brain(const char *s)
{
	return s != NULL && strstr(s, "SplitBrain") != NULL;
}

enum copy_status
copy_drbd_classify(const char *connection, const char *replication, const char *disk,
                   const char *peer_disk, int peer_client, const char *resync_suspended,
                   double out_of_sync_kb)
{
	int peer_ok;

	if (has_split_brain(connection) || has_split_brain(replication))
		return COPY_FAILED;
	if (connection != NULL && strcmp(connection, "Unconfigured") == 0)
		return COPY_STOPPED;
	/* a broken local disk is worse than anything the network does */
	if (one_of(disk, broken_disks))
		return COPY_FAILED;
	if (one_of(connection, replication_states)) {
		replication = connection;
		connection = "Connected";
	}
	if (one_of(connection, disconnected_states))
		return COPY_DISCONNECTED;
	if (connection == NULL || strcmp(connection, "Connected") != 0)
		return COPY_FAILED;

	if (one_of(replication, seeding_states))
		return COPY_SEEDING;
	if (one_of(replication, paused_states))
		return COPY_SUSPENDED;
	if (one_of(replication, resync_states)) {
		if (resync_suspended != NULL && strcmp(resync_suspended, "no") != 0)
			return COPY_SUSPENDED;
		return COPY_RESYNCHRONIZING;
	}
	if (replication != NULL && !one_of(replication, established_states) &&
	    strcmp(replication, "Off") != 0)
		return COPY_FAILED;

	/* Established, Verify, Off or (DRBD 8) plain Connected: the disks decide */
	peer_ok = peer_client && peer_disk != NULL && strcmp(peer_disk, "Diskless") == 0;
	if (!peer_ok && one_of(peer_disk, broken_disks))
		return COPY_FAILED;
	if (one_of(disk, stale_disks) || one_of(peer_disk, stale_disks))
		return COPY_FAILED;
	if ((disk == NULL || strcmp(disk, "UpToDate") == 0) &&
	    (peer_ok || (peer_disk != NULL && strcmp(peer_disk, "UpToDate") == 0))) {
		if (replication != NULL && strcmp(replication, "Off") == 0 && !peer_ok)
			return COPY_INITIALIZING;
		return out_of_sync_kb > 0 ? COPY_FAILED : COPY_HEALTHY;
	}
	return COPY_INITIALIZING;
}

/* ---- aggregation shared by both formats ---------------------------------- */

struct drbd_sum {
	enum copy_status st;
	int have_oos, have_pct, have_done;
	double oos, pct, done;
	int peers, connected;
	struct strlist disk, peer_disk, conn, repl;
};

static void
sum_init(struct drbd_sum *s)
{
	memset(s, 0, sizeof(*s));
	s->st = COPY_HEALTHY;
	strlist_init(&s->disk);
	strlist_init(&s->peer_disk);
	strlist_init(&s->conn);
	strlist_init(&s->repl);
}

static void
add_unique(struct strlist *l, const char *s)
{
	if (s != NULL && !strlist_contains(l, s))
		strlist_add(l, s);
}

static void
sum_report(struct drbd_sum *s, const char *role, struct obs *o)
{
	static const struct {
		const char *fact;
		size_t off;
	} facts[] = {
	    {"disk_state", offsetof(struct drbd_sum, disk)},
	    {"peer_disk_state", offsetof(struct drbd_sum, peer_disk)},
	    {"connection_state", offsetof(struct drbd_sum, conn)},
	    {"replication_state", offsetof(struct drbd_sum, repl)},
	};

	if (role != NULL)
		obs_fact(o, "role", role);
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		struct strlist *l = (struct strlist *)((char *)s + facts[i].off);

		if (l->n > 0) {
			char *j = strlist_join(l, ",");

			obs_fact(o, facts[i].fact, j);
			free(j);
		}
		strlist_free(l);
	}
	if (s->have_oos)
		obs_metric(o, "out_of_sync_kb", s->oos);
	if (s->have_pct)
		obs_metric(o, "percent_in_sync", s->pct);
	if (s->have_done)
		obs_metric(o, "percent_resync_done", s->done);
	obs_metric(o, "peers", s->peers);
	obs_metric(o, "peers_connected", s->connected);
	copy_report_status(o, s->st);
}

static void
sum_oos(struct drbd_sum *s, double kb)
{
	if (!s->have_oos || kb > s->oos)
		s->oos = kb;
	s->have_oos = 1;
}

/* ---- DRBD 9 JSON ------------------------------------------------------------ */

static const char *
jstr(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
jnum(const json_t *obj, const char *key, double *v_r)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		return 0;
	*v_r = json_number_value(v);
	return isfinite(*v_r);
}

/* The local disk state of (volume); NULL for an intentional diskless client. */
static const char *
local_disk(const json_t *devices, json_int_t volume, int *found_r)
{
	size_t i;
	const json_t *d;

	*found_r = 0;
	json_array_foreach(devices, i, d)
	{
		const json_t *vol = json_object_get(d, "volume");

		if (json_is_integer(vol) && json_integer_value(vol) == volume) {
			*found_r = 1;
			if (json_is_true(json_object_get(d, "client")))
				return NULL;
			return jstr(d, "disk-state");
		}
	}
	return NULL;
}

static void
json_peer_device(const json_t *pd, const json_t *devices, const char *conn, struct drbd_sum *s)
{
	const json_t *vol = json_object_get(pd, "volume");
	const char *repl = jstr(pd, "replication-state");
	const char *pdisk = jstr(pd, "peer-disk-state");
	const char *susp = jstr(pd, "resync-suspended");
	const char *disk = NULL;
	int peer_client = json_is_true(json_object_get(pd, "peer-client"));
	int found = 0;
	double oos = 0, v;

	if (json_is_integer(vol))
		disk = local_disk(devices, json_integer_value(vol), &found);
	if (jnum(pd, "out-of-sync", &v)) {
		oos = v;
		sum_oos(s, v);
	}
	if (jnum(pd, "percent-in-sync", &v)) {
		if (!s->have_pct || v < s->pct)
			s->pct = v;
		s->have_pct = 1;
	}
	if (jnum(pd, "percent-resync-done", &v)) {
		if (!s->have_done || v < s->done)
			s->done = v;
		s->have_done = 1;
	}
	add_unique(&s->repl, repl);
	add_unique(&s->peer_disk, pdisk);
	s->st = copy_status_worse(
	    s->st, copy_drbd_classify(conn, repl, disk, pdisk, peer_client, susp, oos));
}

static const json_t *
find_resource(const json_t *root, const char *resource)
{
	size_t i;
	const json_t *r;

	if (!json_is_array(root))
		return NULL;
	json_array_foreach(root, i, r)
	{
		const char *name = jstr(r, "name");

		if (name != NULL && strcmp(name, resource) == 0)
			return r;
	}
	return NULL;
}

int
copy_drbd_parse_json(const char *json, size_t len, const char *resource, struct obs *o,
                     char **error_r)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	const json_t *res, *devices, *conns, *d, *c;
	struct drbd_sum s;
	size_t i;

	if (root == NULL) {
		*error_r = xasprintf("drbdsetup status --json: line %d: %s", jerr.line, jerr.text);
		return -1;
	}
	res = find_resource(root, resource);
	if (res == NULL) {
		*error_r = xasprintf("drbdsetup status --json does not list resource %s", resource);
		json_decref(root);
		return -1;
	}
	devices = json_object_get(res, "devices");
	conns = json_object_get(res, "connections");
	if (!json_is_array(devices))
		devices = NULL;
	sum_init(&s);

	json_array_foreach(devices, i, d)
	{
		const char *disk = jstr(d, "disk-state");

		add_unique(&s.disk, disk);
		if (!json_is_true(json_object_get(d, "client")) && one_of(disk, broken_disks))
			s.st = copy_status_worse(s.st, COPY_FAILED);
	}
	if (!json_is_array(conns) || json_array_size(conns) == 0) {
		s.st = copy_status_worse(s.st, COPY_DISCONNECTED);
		obs_fact(o, "error", "no peer connection");
	}
	json_array_foreach(conns, i, c)
	{
		const char *name = jstr(c, "name");
		const char *cs = jstr(c, "connection-state");
		const json_t *pds = json_object_get(c, "peer_devices");
		char *label = xasprintf("%s:%s", name ? name : "?", cs ? cs : "?");

		s.peers++;
		if (cs != NULL && strcmp(cs, "Connected") == 0)
			s.connected++;
		add_unique(&s.conn, label);
		free(label);
		if (json_is_array(pds) && json_array_size(pds) > 0) {
			size_t k;
			const json_t *pd;

			json_array_foreach(pds, k, pd) json_peer_device(pd, devices, cs, &s);
		} else {
			/* a peer without peer devices: only its connection is known */
			const char *disk = NULL;
			int found = 0;

			if (devices != NULL)
				disk = local_disk(devices, 0, &found);
			s.st = copy_status_worse(
			    s.st, copy_drbd_classify(cs, NULL, disk, NULL, 0, NULL, 0));
		}
	}
	if (json_is_true(json_object_get(res, "suspended")))
		s.st = copy_status_worse(s.st, COPY_SUSPENDED);
	sum_report(&s, jstr(res, "role"), o);
	json_decref(root);
	return 0;
}

/* ---- DRBD 8 /proc/drbd --------------------------------------------------- */

/* " 0: cs:Connected ..." -> minor 0, the rest after "N:" in *rest_r. */
static int
minor_line(const char *line, long *minor_r, const char **rest_r)
{
	const char *p = line;
	char *end;
	long m;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	errno = 0;
	m = strtol(p, &end, 10);
	if (errno != 0 || *end != ':' || m < 0)
		return 0;
	*minor_r = m;
	*rest_r = end + 1;
	return 1;
}

/* Value of "key:" among the blank-separated tokens of [p, end), copied. */
static char *
token_value(const char *p, const char *end, const char *key)
{
	size_t klen = strlen(key);

	while (p < end) {
		const char *t;

		while (p < end && isspace((unsigned char)*p))
			p++;
		t = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		if ((size_t)(p - t) > klen && strncmp(t, key, klen) == 0 && t[klen] == ':')
			return xstrndup(t + klen + 1, (size_t)(p - t) - klen - 1);
	}
	return NULL;
}

/* Split "A/B" into two fresh strings. */
static void
split_pair(const char *v, char **a_r, char **b_r)
{
	const char *slash = v ? strchr(v, '/') : NULL;

	*a_r = *b_r = NULL;
	if (v == NULL)
		return;
	if (slash == NULL) {
		*a_r = xstrdup(v);
		return;
	}
	*a_r = xstrndup(v, (size_t)(slash - v));
	*b_r = xstrdup(slash + 1);
}

int
copy_drbd_parse_proc(const char *text, int minor, struct obs *o, char **error_r)
{
	const char *p = text, *block = NULL, *bend = NULL;
	char *cs, *ro, *ds, *oos, *role = NULL, *peer_role = NULL, *disk = NULL, *pdisk = NULL;
	struct drbd_sum s;
	const char *synced;
	double oos_kb = 0;
	int io_suspended = 0;

	while (*p == ' ' || *p == '\n')
		p++;
	if (strncmp(p, "version: ", 9) != 0) {
		*error_r = xstrdup("/proc/drbd: no 'version:' line");
		return -1;
	}
	if (strncmp(p + 9, "8.", 2) != 0) {
		*error_r = xasprintf("/proc/drbd: %.*s carries no resource status (use drbdsetup)",
		                     (int)strcspn(p, "\n"), p);
		return -1;
	}
	/* find the block of (minor): its line and the indented lines after it */
	while (*p != '\0') {
		const char *eol = p + strcspn(p, "\n");
		const char *rest;
		long m;

		if (minor_line(p, &m, &rest)) {
			if (block != NULL) {
				bend = p;
				break;
			}
			if (m == minor)
				block = rest;
		}
		p = *eol ? eol + 1 : eol;
	}
	if (block == NULL) {
		*error_r = xasprintf("/proc/drbd: no device with minor %d", minor);
		return -1;
	}
	if (bend == NULL)
		bend = block + strlen(block);

	cs = token_value(block, bend, "cs");
	ro = token_value(block, bend, "ro");
	ds = token_value(block, bend, "ds");
	oos = token_value(block, bend, "oos");
	if (cs == NULL) {
		*error_r = xasprintf("/proc/drbd: minor %d has no cs: field", minor);
		free(ro);
		free(ds);
		free(oos);
		return -1;
	}
	split_pair(ro, &role, &peer_role);
	split_pair(ds, &disk, &pdisk);
	if (oos != NULL) {
		char *end;

		errno = 0;
		oos_kb = strtod(oos, &end);
		if (errno != 0 || end == oos || *end != '\0' || !isfinite(oos_kb) || oos_kb < 0)
			oos_kb = 0;
	}
	/* the I/O-suspension flag: first char of the "r-----" field */
	{
		const char *line_end = block + strcspn(block, "\n");
		const char *q = block;

		while (q < line_end) {
			const char *t;

			while (q < line_end && isspace((unsigned char)*q))
				q++;
			t = q;
			while (q < line_end && (*q == '-' || islower((unsigned char)*q)))
				q++;
			if (q - t >= 5 && (q == line_end || isspace((unsigned char)*q)) &&
			    (t[0] == 'r' || t[0] == 's'))
				io_suspended = t[0] == 's';
			while (q < line_end && !isspace((unsigned char)*q))
				q++;
		}
	}

	sum_init(&s);
	s.peers = 1;
	s.connected = strcmp(cs, "Connected") == 0 || one_of(cs, replication_states);
	add_unique(&s.disk, disk);
	add_unique(&s.peer_disk, pdisk);
	add_unique(&s.conn, cs);
	if (oos != NULL)
		sum_oos(&s, oos_kb);
	synced = strstr(block, "sync'ed:");
	if (synced != NULL && synced < bend) {
		char *end;
		double v = strtod(synced + 8, &end);

		if (end != synced + 8 && isfinite(v)) {
			s.done = v;
			s.have_done = 1;
		}
	}
	s.st = copy_drbd_classify(cs, NULL, disk, pdisk, 0, NULL, oos_kb);
	if (io_suspended)
		s.st = copy_status_worse(s.st, COPY_SUSPENDED);
	sum_report(&s, role, o);
	if (peer_role != NULL)
		obs_fact(o, "peer_role", peer_role);
	free(cs);
	free(ro);
	free(ds);
	free(oos);
	free(role);
	free(peer_role);
	free(disk);
	free(pdisk);
	return 0;
}

/* ---- running ------------------------------------------------------------------ */

/* Read at most DRBD_PROC_MAX bytes of a file; NULL and *error_r on failure. */
static char *
read_small(const char *path, char **error_r)
{
	size_t cap = 8192, len = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		*error_r = xasprintf("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap >= DRBD_PROC_MAX)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*error_r = xasprintf("cannot read %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* The minor of a DRBD 8 resource: the option, the by-res link, the name. */
static int
resource_minor(const struct drbd_conf *c)
{
	char *end;
	long m;

	if (c->minor >= 0)
		return (int)c->minor;
	for (size_t i = 0; i < 2; i++) {
		char link[PATH_MAX];
		char *path = xasprintf("%s/%s%s", DRBD_BY_RES, c->resource, i ? "/0" : "");
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		const char *base;

		free(path);
		if (n <= 0)
			continue;
		link[n] = '\0';
		base = strrchr(link, '/');
		base = base ? base + 1 : link;
		if (strncmp(base, "drbd", 4) == 0 && isdigit((unsigned char)base[4])) {
			errno = 0;
			m = strtol(base + 4, &end, 10);
			if (errno == 0 && *end == '\0' && m <= INT_MAX)
				return (int)m;
		}
	}
	errno = 0;
	m = strtol(c->resource, &end, 10);
	if (errno == 0 && end != c->resource && *end == '\0' && m >= 0 && m <= INT_MAX)
		return (int)m;
	return -1;
}

static void
run_proc(const struct drbd_conf *c, const char *text, struct obs *o)
{
	char *err = NULL;
	int minor = resource_minor(c);

	if (minor < 0) {
		obs_error(o, "drbd: cannot find the minor of resource %s (set minor:)",
		          c->resource);
		return;
	}
	if (copy_drbd_parse_proc(text, minor, o, &err) < 0) {
		obs_error(o, "%s", err);
		free(err);
	}
}

/* Returns 1 when drbdsetup answered (o filled), 0 when it does not know
   --json (the caller may fall back to /proc/drbd). */
static int
run_drbdsetup(const struct drbd_conf *c, const struct target *t, struct obs *o)
{
	const char *argv[] = {c->drbdsetup, "status", c->resource, "--json", "--statistics", NULL};
	struct subproc_opts so = {.timeout_ms = (int)t->timeout_ms, .max_out = DRBD_MAX_OUTPUT};
	struct subproc_result res;
	char *err = NULL;

	if (subproc_run(argv, &so, &res, &err) < 0) {
		obs_error(o, "%s", err ? err : "cannot run drbdsetup");
		free(err);
		subproc_result_free(&res);
		return 1;
	}
	if (res.exited && res.status == 0 && !res.out_truncated) {
		if (copy_drbd_parse_json(res.out, res.out_len, c->resource, o, &err) < 0) {
			obs_error(o, "%s", err);
			free(err);
		}
	} else if (res.exited && res.err != NULL &&
	           strstr(res.err, "unrecognized option") != NULL) {
		subproc_result_free(&res);
		return 0;
	} else if (res.exited && res.err != NULL && strstr(res.err, "No such resource") != NULL) {
		char *line = copy_first_line(res.err);

		obs_fact(o, "error", line);
		copy_report_status(o, COPY_STOPPED);
		free(line);
	} else if (res.out_truncated) {
		obs_error(o, "drbdsetup status: output larger than %u bytes", DRBD_MAX_OUTPUT);
	} else {
		char *how = subproc_describe(&res);
		char *line = copy_first_line(res.err);

		obs_error(o, "drbdsetup status %s: %s%s%s", c->resource, how, *line ? ": " : "",
		          line);
		free(how);
		free(line);
	}
	subproc_result_free(&res);
	return 1;
}

static void
drbd_run(const void *conf, const struct target *t, void **state, struct obs *o)
{
	const struct drbd_conf *c = conf;
	char *text = NULL, *err = NULL;

	(void)state;
	if (c->version != DRBD_V9) {
		text = read_small(c->proc_drbd, &err);
		if (text == NULL && c->version == DRBD_V8) {
			obs_error(o, "%s", err);
			free(err);
			return;
		}
		if (text != NULL &&
		    (c->version == DRBD_V8 || strncmp(text, "version: 8.", 11) == 0)) {
			run_proc(c, text, o);
			free(text);
			free(err);
			return;
		}
	}
	if (!run_drbdsetup(c, t, o)) {
		if (text != NULL)
			run_proc(c, text, o);
		else
			obs_error(o, "drbdsetup does not know --json and %s is unreadable: %s",
			          c->proc_drbd, err ? err : "?");
	}
	free(text);
	free(err);
}

const struct copy_driver copy_driver_drbd = {
    .name = "drbd",
    .fields = drbd_fields,
    .conf_size = sizeof(struct drbd_conf),
    .configure = NULL,
    .run = drbd_run,
    .free_state = NULL,
};
