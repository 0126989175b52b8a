/*
 * probe.c - the registry of probe kinds and small helpers for probes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "obs.h"
#include "probe.h"
#include "subproc.h"

extern const struct probe_ops probe_self_ops;

const struct probe_ops *const probe_all[] = {
	&probe_service_ops, &probe_queue_ops, &probe_copy_ops, &probe_disk_ops,
	&probe_process_ops, &probe_backup_ops, &probe_config_ops, &probe_plugin_ops,
	&probe_self_ops, NULL
};

const struct probe_ops *
probe_find(const char *name)
{
	for (size_t i = 0; probe_all[i] != NULL; i++)
		if (strcmp(probe_all[i]->name, name) == 0)
			return probe_all[i];
	return NULL;
}

int64_t
probe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
probe_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
probe_exec(const char *const *argv, int64_t timeout_ms, size_t max_out,
	   struct subproc_result *res, struct obs *o)
{
	static const char *const env[] = { "LC_ALL=C", NULL };
	struct subproc_opts so = { 0 };
	char *err = NULL, *why, *how;

	so.timeout_ms = timeout_ms > 0 ? (int)timeout_ms : 10000;
	so.max_out = max_out;
	so.env = env;
	if (subproc_run(argv, &so, res, &err) < 0) {
		obs_error(o, "%s", err);
		free(err);
		subproc_result_free(res);
		return -1;
	}
	if (res->exited && res->status == 0 && !res->timed_out)
		return 0;
	why = res->timed_out ? NULL : subproc_stderr_reason(res->err);
	how = subproc_describe(res);
	if (why != NULL)
		obs_error(o, "%s (%s)", why, how);
	else
		obs_error(o, "%s: %s", argv[0], how);
	free(why);
	free(how);
	subproc_result_free(res);
	return -1;
}
