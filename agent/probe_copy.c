/*
 * probe_copy.c - probe kind `copy`: replication copy status.
 *
 * Reads the target's `driver:` (logship, drbd, pgsql, dovecot, command),
 * decodes the remaining options with that driver's schema table and runs
 * the driver.  Also holds the SummaryCopyStatus helpers every driver uses
 * (status names, ordering, the `healthy` metric).
 *
 * It does not judge queue lengths or lags: rules do.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfgerr.h"
#include "copy.h"
#include "obs.h"
#include "probe.h"
#include "schema.h"
#include "xmalloc.h"
#include "ytree.h"

static const char *const status_names[COPY_STATUS_COUNT] = {
    [COPY_HEALTHY] = "Healthy",     [COPY_INITIALIZING] = "Initializing",
    [COPY_SEEDING] = "Seeding",     [COPY_RESYNCHRONIZING] = "Resynchronizing",
    [COPY_SUSPENDED] = "Suspended", [COPY_DISCONNECTED] = "Disconnected",
    [COPY_STOPPED] = "Stopped",     [COPY_SERVICEDOWN] = "ServiceDown",
    [COPY_FAILED] = "Failed",
};

const char *
copy_status_name(enum copy_status st)
{
	if ((unsigned)st >= COPY_STATUS_COUNT)
		return "Failed";
	return status_names[st];
}

int
copy_status_parse(const char *s, size_t len, enum copy_status *st_r)
{
	char buf[32];
	size_t n = 0;

	/* drop blanks so that "Service Down" reads as ServiceDown */
	for (size_t i = 0; i < len; i++) {
		if (isspace((unsigned char)s[i]))
			continue;
		if (n + 1 >= sizeof(buf))
			return -1;
		buf[n++] = s[i];
	}
	buf[n] = '\0';
	for (int i = 0; i < COPY_STATUS_COUNT; i++) {
		if (strcasecmp(buf, status_names[i]) == 0) {
			*st_r = (enum copy_status)i;
			return 0;
		}
	}
	return -1;
}

enum copy_status
copy_status_worse(enum copy_status a, enum copy_status b)
{
	return a > b ? a : b;
}

void
copy_report_status(struct obs *o, enum copy_status st)
{
	obs_fact(o, "status", copy_status_name(st));
	obs_metric(o, "healthy", st == COPY_HEALTHY ? 1 : 0);
}

char *
copy_first_line(const char *text)
{
	const char *p = text ? text : "";
	size_t len;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	len = strcspn(p, "\r\n");
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len > 512)
		len = 512;
	return xstrndup(p, len);
}

/* ---- the probe kind ------------------------------------------------------ */

static const struct copy_driver *const drivers[] = {&copy_driver_logship, &copy_driver_drbd,
                                                    &copy_driver_pgsql,   &copy_driver_dovecot,
                                                    &copy_driver_command, NULL};

struct copy_conf {
	const struct copy_driver *drv;
	void *conf;
};

struct copy_state {
	const struct copy_driver *drv;
	void *state;
};

/* TARGET_COMMON_KEYS plus "driver", which this file decodes itself. */
static const char **
ignore_keys(void)
{
	size_t n = 0;
	const char **keys;

	while (TARGET_COMMON_KEYS[n] != NULL)
		n++;
	keys = xcalloc(n + 2, sizeof(*keys));
	for (size_t i = 0; i < n; i++)
		keys[i] = TARGET_COMMON_KEYS[i];
	keys[n] = "driver";
	keys[n + 1] = NULL;
	return keys;
}

static int
copy_configure(struct target *t, const struct ynode *map, struct cfgerr *errs)
{
	const struct ynode *dn = ymap_get(map, "driver");
	const struct copy_driver *drv = NULL;
	struct copy_conf *cc;
	const char **ignore;
	int ret;

	if (dn == NULL) {
		cfgerr_at(errs, map,
		          "copy target '%s': missing required key 'driver' (logship, drbd, pgsql, "
		          "dovecot or command)",
		          t->name ? t->name : "?");
		return -1;
	}
	if (dn->type == Y_SCALAR) {
		for (size_t i = 0; drivers[i] != NULL; i++)
			if (strcmp(dn->scalar, drivers[i]->name) == 0)
				drv = drivers[i];
	}
	if (drv == NULL) {
		cfgerr_at(
		    errs, dn,
		    "unknown copy driver '%s' (expected logship, drbd, pgsql, dovecot or command)",
		    dn->type == Y_SCALAR ? dn->scalar : ynode_type_name(dn->type));
		return -1;
	}

	cc = xcalloc(1, sizeof(*cc));
	cc->drv = drv;
	cc->conf = xcalloc(1, drv->conf_size);
	ignore = ignore_keys();
	ret = schema_apply(map, drv->fields, cc->conf, ignore, errs);
	free(ignore);
	if (ret == 0 && drv->configure != NULL)
		ret = drv->configure(cc->conf, map, errs);
	if (ret < 0) {
		schema_free(drv->fields, cc->conf);
		free(cc->conf);
		free(cc);
		t->conf = NULL;
		return -1;
	}
	t->conf = cc;
	if (t->driver == NULL)
		t->driver = xstrdup(drv->name);
	return 0;
}

static void
copy_run(const struct target *t, void **state, struct obs *o)
{
	const struct copy_conf *cc = t->conf;
	struct copy_state *cs = *state;

	if (cc == NULL) {
		obs_error(o, "copy: target is not configured");
		return;
	}
	if (cs == NULL) {
		cs = xcalloc(1, sizeof(*cs));
		cs->drv = cc->drv;
		*state = cs;
	}
	cc->drv->run(cc->conf, t, &cs->state, o);
}

static void
copy_free_state(void *state)
{
	struct copy_state *cs = state;

	if (cs == NULL)
		return;
	if (cs->state != NULL) {
		if (cs->drv->free_state != NULL)
			cs->drv->free_state(cs->state);
		else
			free(cs->state);
	}
	free(cs);
}

static void
copy_free_conf(void *conf)
{
	struct copy_conf *cc = conf;

	if (cc == NULL)
		return;
	schema_free(cc->drv->fields, cc->conf);
	free(cc->conf);
	free(cc);
}

const struct probe_ops probe_copy_ops = {
    .name = "copy",
    .configure = copy_configure,
    .run = copy_run,
    .free_state = copy_free_state,
    .free_conf = copy_free_conf,
};
