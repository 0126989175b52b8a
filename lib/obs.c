/*
 * obs.c - an observation: metrics and facts by name (see obs.h).
 * Observations are small (tens of entries), so lookups are linear.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs.h"
#include "xmalloc.h"

void
obs_init(struct obs *o)
{
	memset(o, 0, sizeof(*o));
}

void
obs_clear(struct obs *o)
{
	for (size_t i = 0; i < o->nm; i++)
		free(o->m[i].name);
	for (size_t i = 0; i < o->nf; i++) {
		free(o->f[i].name);
		free(o->f[i].value);
	}
	o->nm = o->nf = 0;
	free(o->error);
	o->error = NULL;
}

void
obs_free(struct obs *o)
{
	obs_clear(o);
	free(o->m);
	free(o->f);
	obs_init(o);
}

void
obs_metric(struct obs *o, const char *name, double value)
{
	for (size_t i = 0; i < o->nm; i++) {
		if (strcmp(o->m[i].name, name) == 0) {
			o->m[i].value = value;
			return;
		}
	}
	o->m = xgrow(o->m, &o->cm, o->nm + 1, sizeof(*o->m));
	o->m[o->nm].name = xstrdup(name);
	o->m[o->nm].value = value;
	o->nm++;
}

void
obs_factn(struct obs *o, const char *name, const char *value, size_t len)
{
	char *v;

	if (len > OBS_FACT_MAX)
		len = OBS_FACT_MAX;
	v = xstrndup(value, len);
	for (size_t i = 0; i < o->nf; i++) {
		if (strcmp(o->f[i].name, name) == 0) {
			free(o->f[i].value);
			o->f[i].value = v;
			return;
		}
	}
	o->f = xgrow(o->f, &o->cf, o->nf + 1, sizeof(*o->f));
	o->f[o->nf].name = xstrdup(name);
	o->f[o->nf].value = v;
	o->nf++;
}

void
obs_fact(struct obs *o, const char *name, const char *value)
{
	obs_factn(o, name, value, strlen(value));
}

void
obs_factf(struct obs *o, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *v;

	va_start(ap, fmt);
	v = xvasprintf(fmt, ap);
	va_end(ap);
	obs_fact(o, name, v);
	free(v);
}

void
obs_error(struct obs *o, const char *fmt, ...)
{
	va_list ap;

	if (o->error != NULL)
		return;
	va_start(ap, fmt);
	o->error = xvasprintf(fmt, ap);
	va_end(ap);
	if (strlen(o->error) > OBS_FACT_MAX)
		o->error[OBS_FACT_MAX] = '\0';
}

const double *
obs_get_metric(const struct obs *o, const char *name)
{
	for (size_t i = 0; i < o->nm; i++)
		if (strcmp(o->m[i].name, name) == 0)
			return &o->m[i].value;
	return NULL;
}

const char *
obs_get_fact(const struct obs *o, const char *name)
{
	for (size_t i = 0; i < o->nf; i++)
		if (strcmp(o->f[i].name, name) == 0)
			return o->f[i].value;
	return NULL;
}

void
obs_copy(struct obs *dst, const struct obs *src)
{
	obs_init(dst);
	for (size_t i = 0; i < src->nm; i++)
		obs_metric(dst, src->m[i].name, src->m[i].value);
	for (size_t i = 0; i < src->nf; i++)
		obs_fact(dst, src->f[i].name, src->f[i].value);
	if (src->error != NULL)
		dst->error = xstrdup(src->error);
}
