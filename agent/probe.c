/*
 * probe.c - the registry of probe kinds and small helpers for probes.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "probe.h"

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
