/*
 * fuzz-disk.c - fuzz target: the disk probe's readers of /proc
 * (agent/probe_disk.c): /proc/diskstats (disk_io_find by name and by
 * major:minor, disk_io_parse_line on every line, disk_io_rates between
 * two of the devices found) and /proc/self/mountinfo (disk_mount_find
 * for a few paths, with the unescaping of \040 and friends).
 *
 * The same input is given to both, since the seeds are of both kinds.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "disk.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"vda", "sda", "dm-0", "nvme0n1p1"};
	static const char *const paths[] = {"/", "/var/spool/postfix", "/home/a b",
	                                    "/srv/mail/vmail/example.org"};
	const char *text = (const char *)data;
	struct disk_io a, b;
	struct disk_rates rates;
	int have_a, have_b;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)disk_io_find(text, size, names[i], 0, 0, &a);
	have_a = disk_io_find(text, size, NULL, 8, 0, &a) == 0;
	have_b = disk_io_find(text, size, NULL, 253, 0, &b) == 0;
	if (have_a && have_b)
		(void)disk_io_rates(&a, &b, 1000, &rates);
	if (have_a)
		(void)disk_io_rates(&a, &a, 0, &rates);

	for (size_t pos = 0; pos < size;) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		size_t len = nl != NULL ? (size_t)(nl - (text + pos)) : size - pos;

		(void)disk_io_parse_line(text + pos, len, &a);
		pos += len + 1;
	}

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct disk_mount m;

		memset(&m, 0, sizeof(m));
		if (disk_mount_find(text, size, paths[i], &m) == 0) {
			if (m.mount_point == NULL || m.fstype == NULL || m.source == NULL)
				abort(); /* all three are set on success */
			disk_mount_free(&m);
		}
	}
	return 0;
}
