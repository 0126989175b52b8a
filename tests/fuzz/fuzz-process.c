/*
 * fuzz-process.c - fuzz target: the process probe's readers of /proc
 * (agent/probe_process.c): /proc/PID/stat (process_stat_parse, whose
 * command name may hold spaces and ')'), /proc/PID/statm, the btime line
 * of /proc/stat, pid files, /proc/PID/cmdline (flattening, argv[0]) and
 * comm matching; the same input is given to each, and the numbers read
 * go through the age and cpu arithmetic.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "process.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct process_stat st;
	uint64_t pages;
	int64_t btime = 1700000000;
	int pid;
	char *buf;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	if (process_stat_parse(text, size, &st) == 0) {
		(void)process_age_s(1700000000000LL, btime, st.starttime, 100);
		(void)process_cpu_pct(st.utime + st.stime, 100, 1000);
	}
	(void)process_statm_parse(text, size, &pages);
	if (process_btime_parse(text, size, &btime) == 0)
		(void)process_age_s(1700000000000LL, btime, 12345, 100);
	(void)process_pidfile_parse(text, size, &pid);
	(void)process_argv0_is(text, size, "master");
	(void)process_argv0_is(text, size, "dovecot-replicator");

	/* cmdline: flattened in place in a buffer with room for the NUL */
	buf = fuzz_cstr(data, size);
	if (process_cmdline_flatten(buf, size) > size)
		abort();
	/* comm: the first line, as read from /proc/PID/comm */
	buf[strcspn(buf, "\n")] = '\0';
	(void)process_name_match("master", buf);
	(void)process_name_match("dovecot-replicator", buf);
	(void)process_name_match("", buf);
	free(buf);
	return 0;
}
