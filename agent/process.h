/*
 * process.h - the `process` probe (probe_process_ops, "process") and the
 * pure functions behind it.
 *
 * Options: exactly one of
 *   process: NAME     matched exactly against /proc/PID/comm (a NAME
 *                     longer than the kernel's 15 characters matches a
 *                     comm of its first 15 characters whose argv[0] base
 *                     name is NAME)
 *   process: /RE/FL   PCRE2 on the command line (arguments joined by
 *                     spaces), FL optional flags (i m s x)
 *   pidfile: PATH     the process whose pid the file holds
 * and proc_dir (default "/proc").
 *
 * Metrics: count (matching processes; kernel threads, zombies and the
 * agent itself never match; pidfile: 1 if the pid runs and is not a
 * zombie), and when count > 0: rss_kb (sum of the resident sets, statm),
 * uptime_s (age of the oldest match: now - (btime + starttime/CLK_TCK)),
 * cpu_pct (user+system ticks used since the previous run by the matches
 * that were already there then / wall time * 100; can exceed 100 on
 * several CPUs; absent on the first run and when none of the matches was
 * seen in the previous run).  Fact error: why a pidfile gave no process.
 *
 * Reading other users' /proc/PID/cmdline and statm needs no privileges.
 */
#ifndef MXSLA_PROCESS_H
#define MXSLA_PROCESS_H

#include <stddef.h>
#include <stdint.h>

struct rx;

#define PROCESS_COMM_MAX 15       /* TASK_COMM_LEN - 1 */
#define PROCESS_CMDLINE_MAX 32768 /* bytes of a command line matched by a regex */
#define PROCESS_PF_KTHREAD 0x00200000UL

/* The fields of /proc/PID/stat this probe uses. */
struct process_stat {
	int pid;
	char state;            /* R S D Z T X ... */
	unsigned long flags;   /* PF_* */
	uint64_t utime, stime; /* clock ticks */
	uint64_t starttime;    /* clock ticks after boot */
};

/* Parse /proc/PID/stat (the command name may hold spaces and ')').
   Returns 0, or -1 when malformed. */
int process_stat_parse(const char *text, size_t len, struct process_stat *out);
/* Resident pages (second field) of /proc/PID/statm.  0 or -1. */
int process_statm_parse(const char *text, size_t len, uint64_t *resident_pages_r);
/* btime (boot time, seconds since the epoch) from /proc/stat.  0 or -1. */
int process_btime_parse(const char *text, size_t len, int64_t *btime_r);
/* The pid on the first line of a pid file (blanks around it allowed).
   Returns 0, or -1 when it holds no positive pid. */
int process_pidfile_parse(const char *text, size_t len, int *pid_r);
/* Turn the NUL-separated /proc/PID/cmdline into one string in place:
   trailing NULs dropped, the others become spaces.  Returns the new
   length; buf[len] must be writable and becomes '\0'. */
size_t process_cmdline_flatten(char *buf, size_t len);

/* Does a comm (without its newline) match the wanted name?  Returns 1
   (yes), 0 (no) or 2 (the name is longer than the kernel keeps and comm
   is its first PROCESS_COMM_MAX characters: confirm with argv[0]). */
int process_name_match(const char *want, const char *comm);
/* Base name of argv[0] of a raw cmdline equals want?  1 or 0. */
int process_argv0_is(const char *cmdline, size_t len, const char *want);

/* One matched process, for the cpu arithmetic between runs. */
struct process_ticks {
	int pid;
	uint64_t start; /* starttime: tells a reused pid apart */
	uint64_t ticks; /* utime + stime */
};

/* Ticks used between two runs by the processes present in both (same pid
   and start time); both arrays sorted by pid.  *common_r counts them. */
uint64_t process_ticks_delta(const struct process_ticks *prev, size_t nprev,
                             const struct process_ticks *cur, size_t ncur, size_t *common_r);
/* cpu_pct of dticks over wall_ms; -1 when wall_ms <= 0 or clk_tck <= 0. */
double process_cpu_pct(uint64_t dticks, long clk_tck, int64_t wall_ms);
/* Age in seconds of a process started starttime ticks after btime. */
double process_age_s(int64_t now_ms, int64_t btime, uint64_t starttime, long clk_tck);

/* What a scan of proc_dir found. */
struct process_found {
	struct process_ticks *t; /* sorted by pid, xmalloc'd */
	size_t n, cap;
	uint64_t rss_pages;    /* sum over the matches */
	uint64_t oldest_start; /* smallest starttime (valid when n > 0) */
};

/* Walk proc_dir for processes whose comm is (name), or whose command line
   matches (rx) when name is NULL; skip self_pid, kernel threads and
   zombies.  Returns 0, or -1 with *error_r (xmalloc'd) when proc_dir
   cannot be listed.  Free with process_found_free. */
int process_scan(const char *proc_dir, const char *name, const struct rx *rx, int self_pid,
                 struct process_found *out, char **error_r);
/* Look at one pid (pidfile mode): 1 when it runs and is not a zombie
   (out gets it), 0 when not.  Kernel threads are not excluded here. */
int process_lookup(const char *proc_dir, int pid, struct process_found *out);
void process_found_free(struct process_found *f);

#endif
