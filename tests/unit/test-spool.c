/*
 * test-spool.c - the durable outbox (agent/spool.c): order, batch identity
 * across a crash, torn tails, spool_max drops, compaction, persisted
 * counters and stream; and the sender's back-off arithmetic (agent/ship.c).
 *
 * A "crash" is a child process that works on the spool and is killed
 * (SIGKILL) without closing it: only what the spool put on disk survives.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_config.h"
#include "ship.h"
#include "spool.h"
#include "testutil.h"
#include "xmalloc.h"

#define KB 1024ULL

static struct spool *
open_ok(const char *dir, uint64_t max)
{
	struct spool *sp = NULL;
	char *err = NULL;

	if (spool_open(dir, max, &sp, &err) < 0)
		fail_msg("spool_open: %s", err);
	return sp;
}

static void
append_str(struct spool *sp, const char *s, uint64_t *dropped_r)
{
	char *err = NULL;

	if (spool_append(sp, s, strlen(s), dropped_r, &err) < 0)
		fail_msg("spool_append: %s", err);
}

/* Append records "r<from>" .. "r<to>". */
static void
append_range(struct spool *sp, int from, int to)
{
	char buf[32];

	for (int i = from; i <= to; i++) {
		snprintf(buf, sizeof(buf), "r%d", i);
		append_str(sp, buf, NULL);
	}
}

/* A record of exactly 1000 bytes whose text starts with "r<i>:". */
static void
append_kb(struct spool *sp, int i, uint64_t *dropped_r)
{
	char buf[1001];
	int k = snprintf(buf, sizeof(buf), "r%d:", i);

	memset(buf + k, 'x', 1000 - (size_t)k);
	buf[1000] = '\0';
	append_str(sp, buf, dropped_r);
}

static void
sync_ok(struct spool *sp)
{
	char *err = NULL;

	if (spool_sync(sp, &err) < 0)
		fail_msg("spool_sync: %s", err);
}

static int
get_batch(struct spool *sp, size_t max_n, struct spool_batch *b)
{
	char *err = NULL;
	int rc = spool_batch_get(sp, max_n, SIZE_MAX, b, &err);

	if (rc < 0)
		fail_msg("spool_batch_get: %s", err);
	return rc;
}

static void
done_ok(struct spool *sp, struct spool_batch *b, int delivered)
{
	char *err = NULL;

	if (spool_batch_done(sp, b, delivered, &err) < 0)
		fail_msg("spool_batch_done: %s", err);
	spool_batch_free(b);
}

static size_t
count_segments(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "seg-", 4) == 0)
			n++;
	closedir(d);
	return n;
}

static char *
seg_file(const char *dir, uint64_t first)
{
	return xasprintf("%s/seg-%016llx.log", dir, (unsigned long long)first);
}

static char *
spool_dir(void)
{
	char *base = tu_mkdtemp("spool");
	/* a directory that does not exist yet: spool_open creates it */
	char *dir = xasprintf("%s/sub/spool", base);

	free(base);
	return dir;
}

static void
remove_spool(char *dir)
{
	char *base = xstrndup(dir, strlen(dir) - strlen("/sub/spool"));

	tu_rm_rf(base);
	free(base);
	free(dir);
}

/* ---- tests ---- */

static void
spool_append__then_batches__reads_back_in_order(void **state)
{
	char *dir = spool_dir();
	struct spool *sp = open_ok(dir, 256 * KB);
	struct spool_batch b;
	struct spool_counters c;
	struct stat st;

	(void)state;
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	append_range(sp, 1, 10);
	/* nothing is handed out before it is synced */
	assert_int_equal(get_batch(sp, 4, &b), 0);
	sync_ok(sp);
	assert_int_equal(get_batch(sp, 4, &b), 1);
	assert_int_equal(b.batch, 1);
	assert_int_equal(b.first, 1);
	assert_int_equal(b.last, 4);
	assert_int_equal(b.n, 4);
	assert_string_equal(b.recs[0], "r1");
	assert_string_equal(b.recs[3], "r4");
	assert_int_equal(b.lens[3], 2);
	assert_int_equal(b.bytes, 8); /* 4 x 2 bytes */
	done_ok(sp, &b, 1);
	assert_int_equal(get_batch(sp, 4, &b), 1);
	assert_int_equal(b.batch, 2);
	assert_int_equal(b.first, 5);
	assert_string_equal(b.recs[0], "r5");
	assert_string_equal(b.recs[3], "r8");
	done_ok(sp, &b, 1);
	assert_int_equal(get_batch(sp, 4, &b), 1);
	assert_int_equal(b.batch, 3);
	assert_int_equal(b.n, 2); /* r9, r10 */
	assert_string_equal(b.recs[1], "r10");
	done_ok(sp, &b, 1);
	assert_int_equal(get_batch(sp, 4, &b), 0);
	spool_counters(sp, &c);
	assert_int_equal(c.results_total, 10);
	assert_int_equal(c.sent_total, 10);
	assert_int_equal(c.spooled, 0);
	spool_close(sp);
	remove_spool(dir);
}

static void
spool_batch__byte_cap__splits_but_takes_at_least_one(void **state)
{
	char *dir = spool_dir(), *err = NULL;
	struct spool *sp = open_ok(dir, 256 * KB);
	struct spool_batch b;

	(void)state;
	append_kb(sp, 1, NULL);
	append_kb(sp, 2, NULL);
	append_kb(sp, 3, NULL);
	sync_ok(sp);
	/* 2500 bytes: two 1000-byte records fit, the third does not */
	assert_int_equal(spool_batch_get(sp, 500, 2500, &b, &err), 1);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.bytes, 2000);
	done_ok(sp, &b, 1);
	/* a cap below one record still sends that record */
	assert_int_equal(spool_batch_get(sp, 500, 10, &b, &err), 1);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.first, 3);
	assert_memory_equal(b.recs[0], "r3:", 3);
	done_ok(sp, &b, 1);
	spool_close(sp);
	remove_spool(dir);
}

static void
spool_batch__crash_before_ack__same_batch_number_and_results_after_reopen(void **state)
{
	char *dir = spool_dir();
	struct spool *sp;
	struct spool_batch b;
	struct spool_counters c;
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the crashing agent: batch 1 is composed (and "sent"), then
		   the process dies before the acknowledgement */
		sp = open_ok(dir, 256 * KB);
		append_range(sp, 1, 7);
		sync_ok(sp);
		if (get_batch(sp, 5, &b) != 1 || b.batch != 1 || b.last != 5)
			_exit(2);
		append_range(sp, 8, 9);
		sync_ok(sp);
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);

	sp = open_ok(dir, 256 * KB);
	spool_counters(sp, &c);
	assert_int_equal(c.results_total, 9);
	assert_int_equal(c.spooled, 9);
	append_range(sp, 10, 10);
	sync_ok(sp);
	/* asking for 100 does not grow the batch in flight */
	assert_int_equal(get_batch(sp, 100, &b), 1);
	assert_int_equal(b.batch, 1);
	assert_int_equal(b.first, 1);
	assert_int_equal(b.last, 5);
	assert_int_equal(b.n, 5);
	assert_string_equal(b.recs[0], "r1");
	assert_string_equal(b.recs[4], "r5");
	done_ok(sp, &b, 1);
	assert_int_equal(get_batch(sp, 100, &b), 1);
	assert_int_equal(b.batch, 2);
	assert_int_equal(b.first, 6);
	assert_int_equal(b.last, 10);
	assert_string_equal(b.recs[0], "r6");
	assert_string_equal(b.recs[4], "r10");
	/* and once more after a clean close without the acknowledgement */
	spool_batch_free(&b);
	spool_close(sp);
	sp = open_ok(dir, 256 * KB);
	assert_int_equal(get_batch(sp, 2, &b), 1);
	assert_int_equal(b.batch, 2);
	assert_int_equal(b.n, 5);
	assert_string_equal(b.recs[4], "r10");
	done_ok(sp, &b, 1);
	spool_counters(sp, &c);
	assert_int_equal(c.sent_total, 10);
	assert_int_equal(c.spooled, 0);
	spool_close(sp);
	remove_spool(dir);
}

static void
spool_open__torn_last_record__truncated_and_appends_continue(void **state)
{
	char *dir = spool_dir(), *seg;
	struct spool *sp = open_ok(dir, 256 * KB);
	struct spool_batch b;
	struct spool_counters c;
	struct stat st;
	unsigned char torn[16 + 10];
	int fd;

	(void)state;
	append_range(sp, 1, 3);
	spool_close(sp);
	/* a crash in the middle of appending record 4: its header says 100
	   bytes, only 10 arrived */
	memset(torn, 'y', sizeof(torn));
	torn[0] = 100, torn[1] = torn[2] = torn[3] = 0;
	seg = seg_file(dir, 1);
	fd = open(seg, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, torn, sizeof(torn)), sizeof(torn));
	close(fd);

	sp = open_ok(dir, 256 * KB);
	assert_int_equal(stat(seg, &st), 0);
	assert_int_equal(st.st_size, 3 * (16 + 2)); /* three records "rN" with 16-byte headers */
	spool_counters(sp, &c);
	assert_int_equal(c.results_total, 3);
	append_str(sp, "r4", NULL);
	sync_ok(sp);
	assert_int_equal(get_batch(sp, 100, &b), 1);
	assert_int_equal(b.n, 4);
	assert_int_equal(b.last, 4);
	assert_string_equal(b.recs[3], "r4");
	done_ok(sp, &b, 1);
	spool_close(sp);

	/* a damaged last record (checksum): cut as well */
	sp = open_ok(dir, 256 * KB);
	append_range(sp, 5, 6);
	spool_close(sp);
	assert_int_equal(stat(seg, &st), 0);
	fd = open(seg, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "Z", 1, st.st_size - 1), 1); /* "r6" -> "rZ" */
	close(fd);
	/* the state file had counted record 6 as durable: it was produced
	   and is lost, so it counts as dropped once its batch is done, and
	   its sequence number is never given to another result */
	sp = open_ok(dir, 256 * KB);
	spool_counters(sp, &c);
	assert_int_equal(c.results_total, 6);
	assert_int_equal(c.spooled, 2);
	assert_int_equal(get_batch(sp, 100, &b), 1);
	assert_int_equal(b.first, 5);
	assert_int_equal(b.last, 6);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.recs[0], "r5");
	done_ok(sp, &b, 1);
	append_str(sp, "r7", NULL);
	sync_ok(sp);
	assert_int_equal(get_batch(sp, 100, &b), 1);
	assert_int_equal(b.first, 7);
	assert_string_equal(b.recs[0], "r7");
	done_ok(sp, &b, 1);
	spool_counters(sp, &c);
	/* 7 = 6 sent + 1 dropped */
	assert_int_equal(c.results_total, 7);
	assert_int_equal(c.sent_total, 6);
	assert_int_equal(c.dropped_total, 1);
	assert_int_equal(c.spooled, 0);
	spool_close(sp);
	free(seg);
	remove_spool(dir);
}

/*
 * spool_max 64 KiB: segments of 64 KiB / 16 = 4096 bytes.  A 1000-byte
 * record takes 1016 bytes; a segment is closed once it holds >= 4096
 * bytes, i.e. after 5 records (4 x 1016 = 4064 < 4096, 5 x 1016 = 5080).
 * After 64 records: 12 full segments (60 records, 60960 bytes) and 4 in
 * the 13th (4064 bytes), 65024 bytes.  Record 65 would make 66040 > 65536:
 * the oldest segment (records 1-5) is dropped first.
 */
static void
spool_max__full__drops_the_oldest_segment_and_counts(void **state)
{
	char *dir = spool_dir();
	struct spool *sp = open_ok(dir, 64 * KB);
	struct spool_batch b;
	struct spool_counters c;
	uint64_t dropped = 0;

	(void)state;
	for (int i = 1; i <= 64; i++) {
		append_kb(sp, i, &dropped);
		assert_int_equal(dropped, 0);
	}
	append_kb(sp, 65, &dropped);
	assert_int_equal(dropped, 5);
	sync_ok(sp);
	spool_counters(sp, &c);
	assert_int_equal(c.results_total, 65);
	assert_int_equal(c.dropped_total, 5);
	assert_int_equal(c.spooled, 60);
	assert_int_equal(get_batch(sp, 500, &b), 1);
	assert_int_equal(b.batch, 1);
	assert_int_equal(b.first, 6);
	assert_int_equal(b.n, 60);
	assert_memory_equal(b.recs[0], "r6:", 3);
	assert_memory_equal(b.recs[59], "r65:", 4);
	done_ok(sp, &b, 1);
	spool_close(sp);
	/* the count survives a restart */
	sp = open_ok(dir, 64 * KB);
	spool_counters(sp, &c);
	assert_int_equal(c.dropped_total, 5);
	assert_int_equal(c.sent_total, 60);
	spool_close(sp);
	remove_spool(dir);
}

/*
 * As above, but records 1-3 are in flight when the spool fills: they are
 * never dropped.  Record 65 drops 4-5 (the rest of the first segment,
 * which stays on disk for the batch in flight) and 6-10 (the second
 * segment, deleted: 65024 - 5080 + 1016 = 60960 <= 65536): 7 in all.
 */
static void
spool_max__batch_in_flight__is_never_dropped(void **state)
{
	char *dir = spool_dir();
	struct spool *sp = open_ok(dir, 64 * KB);
	struct spool_batch b;
	struct spool_counters c;
	uint64_t dropped = 0;

	(void)state;
	for (int i = 1; i <= 10; i++)
		append_kb(sp, i, NULL);
	sync_ok(sp);
	assert_int_equal(get_batch(sp, 3, &b), 1);
	assert_int_equal(b.last, 3);
	spool_batch_free(&b);
	for (int i = 11; i <= 64; i++)
		append_kb(sp, i, NULL);
	append_kb(sp, 65, &dropped);
	assert_int_equal(dropped, 7);
	sync_ok(sp);
	assert_int_equal(get_batch(sp, 500, &b), 1);
	assert_int_equal(b.batch, 1);
	assert_int_equal(b.n, 3);
	assert_memory_equal(b.recs[0], "r1:", 3);
	assert_memory_equal(b.recs[2], "r3:", 3);
	done_ok(sp, &b, 1);
	assert_int_equal(get_batch(sp, 500, &b), 1);
	assert_int_equal(b.batch, 2);
	assert_int_equal(b.first, 11);
	assert_memory_equal(b.recs[0], "r11:", 4);
	assert_int_equal(b.n, 55); /* 11 .. 65 */
	done_ok(sp, &b, 1);
	spool_counters(sp, &c);
	/* results_total = sent_total + dropped_total + spooled: 65 = 58 + 7 + 0 */
	assert_int_equal(c.results_total, 65);
	assert_int_equal(c.sent_total, 58);
	assert_int_equal(c.dropped_total, 7);
	assert_int_equal(c.spooled, 0);
	spool_close(sp);
	remove_spool(dir);
}

/* Segments of 5 records (see above): 12 records are segments 1-5, 6-10
   and 11-12; once all are acknowledged only the active one is left. */
static void
spool_compaction__acknowledged_segments__are_deleted(void **state)
{
	char *dir = spool_dir();
	struct spool *sp = open_ok(dir, 64 * KB);
	struct spool_batch b;
	char *seg;
	struct stat st;

	(void)state;
	for (int i = 1; i <= 12; i++)
		append_kb(sp, i, NULL);
	sync_ok(sp);
	assert_int_equal(count_segments(dir), 3);
	assert_int_equal(get_batch(sp, 7, &b), 1); /* 1 .. 7 */
	done_ok(sp, &b, 1);
	/* 1-5 are gone; 6-10 still holds 8-10 */
	assert_int_equal(count_segments(dir), 2);
	seg = seg_file(dir, 1);
	assert_int_equal(stat(seg, &st), -1);
	free(seg);
	assert_int_equal(get_batch(sp, 100, &b), 1);
	done_ok(sp, &b, 1);
	assert_int_equal(count_segments(dir), 1);
	seg = seg_file(dir, 11);
	assert_int_equal(stat(seg, &st), 0);
	free(seg);
	spool_close(sp);
	remove_spool(dir);
}

static void
spool_counters__results_total_and_sent__persist_across_reopen(void **state)
{
	char *dir = spool_dir();
	struct spool *sp = open_ok(dir, 256 * KB);
	struct spool_batch b;
	struct spool_counters c;

	(void)state;
	append_range(sp, 1, 5);
	sync_ok(sp);
	assert_int_equal(get_batch(sp, 3, &b), 1);
	done_ok(sp, &b, 1);
	spool_note_send_error(sp);
	spool_close(sp);

	sp = open_ok(dir, 256 * KB);
	spool_counters(sp, &c);
	assert_int_equal(c.results_total, 5);
	assert_int_equal(c.sent_total, 3);
	assert_int_equal(c.spooled, 2);
	assert_int_equal(c.send_errors_total, 1);
	append_range(sp, 6, 6);
	sync_ok(sp);
	spool_counters(sp, &c);
	assert_int_equal(c.results_total, 6);
	assert_int_equal(get_batch(sp, 100, &b), 1);
	assert_int_equal(b.batch, 2);
	assert_int_equal(b.first, 4);
	/* a rejected batch counts as dropped: 6 = 3 sent + 3 dropped */
	done_ok(sp, &b, 0);
	spool_counters(sp, &c);
	assert_int_equal(c.sent_total, 3);
	assert_int_equal(c.dropped_total, 3);
	spool_close(sp);

	/* all acknowledged, every segment but the empty active one deleted:
	   the count still comes back */
	sp = open_ok(dir, 256 * KB);
	spool_counters(sp, &c);
	assert_int_equal(c.results_total, 6);
	assert_int_equal(c.spooled, 0);
	spool_close(sp);
	remove_spool(dir);
}

static void
spool_stream__chosen_at_creation__persists_and_differs_per_spool(void **state)
{
	char *dir = spool_dir(), *dir2 = spool_dir(), first[33];
	struct spool *sp = open_ok(dir, 256 * KB), *sp2, *sp3 = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(strlen(spool_stream(sp)), 32);
	assert_int_equal(strspn(spool_stream(sp), "0123456789abcdef"), 32);
	memcpy(first, spool_stream(sp), 33);
	/* one process at a time */
	assert_int_equal(spool_open(dir, 256 * KB, &sp3, &err), -1);
	assert_non_null(strstr(err, "in use"));
	free(err);
	spool_close(sp);
	sp = open_ok(dir, 256 * KB);
	assert_string_equal(spool_stream(sp), first);
	sp2 = open_ok(dir2, 256 * KB);
	assert_string_not_equal(spool_stream(sp2), first);
	spool_close(sp);
	spool_close(sp2);
	remove_spool(dir);
	remove_spool(dir2);
}

static void
spool_append__oversized_record__is_refused(void **state)
{
	char *dir = spool_dir(), *big, *err = NULL;
	struct spool *sp = open_ok(dir, 256 * KB);

	(void)state;
	big = xmalloc(SPOOL_RECORD_MAX + 1);
	memset(big, 'a', SPOOL_RECORD_MAX + 1);
	assert_int_equal(spool_append(sp, big, SPOOL_RECORD_MAX + 1, NULL, &err), -1);
	assert_non_null(err);
	free(err);
	free(big);
	spool_close(sp);
	remove_spool(dir);
}

/* ---- the sender's back-off ---- */

static void
ship_backoff__doubles_up_to_the_cap_with_full_jitter(void **state)
{
	(void)state;
	/* n = 0: [0, 1000]; UINT64_MAX % 1001 = 15 */
	assert_int_equal(ship_backoff_ms(0, 1000, 300000, UINT64_MAX), 15);
	assert_int_equal(ship_backoff_ms(0, 1000, 300000, 1000), 1000);
	assert_int_equal(ship_backoff_ms(0, 1000, 300000, 1001), 0);
	/* n = 3: 1000 x 2^3 = 8000; UINT64_MAX % 8001 = 1779 */
	assert_int_equal(ship_backoff_ms(3, 1000, 300000, UINT64_MAX), 1779);
	assert_int_equal(ship_backoff_ms(3, 1000, 300000, 8000), 8000);
	/* n = 20: capped at 300000; UINT64_MAX % 300001 = 102390 */
	assert_int_equal(ship_backoff_ms(20, 1000, 300000, UINT64_MAX), 102390);
	assert_int_equal(ship_backoff_ms(200, 1000, 300000, 300000), 300000);
	/* test knobs: cap below base */
	assert_int_equal(ship_backoff_ms(5, 1000, 500, 500), 500);
}

static void
ship_config_changed__collector_fields__trigger_a_restart(void **state)
{
	struct agent_config a, b;
	char url1[] = "https://c:8443", url2[] = "https://d:8443", tok[] = "t", sp[] = "/s";
	char id[] = "a", site[] = "";

	(void)state;
	memset(&a, 0, sizeof(a));
	a.collector_url = url1;
	a.token = tok;
	a.spool = sp;
	a.id = id;
	a.site = site;
	b = a;
	assert_int_equal(ship_config_changed(&a, &b), 0);
	b.collector_url = url2;
	assert_int_equal(ship_config_changed(&a, &b), 1);
	b = a;
	b.token = NULL;
	b.token_file = tok;
	assert_int_equal(ship_config_changed(&a, &b), 1);
	b = a;
	b.spool_max = 12345; /* applied in place, no restart */
	assert_int_equal(ship_config_changed(&a, &b), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spool_append__then_batches__reads_back_in_order),
		cmocka_unit_test(spool_batch__byte_cap__splits_but_takes_at_least_one),
		cmocka_unit_test(spool_batch__crash_before_ack__same_batch_number_and_results_after_reopen),
		cmocka_unit_test(spool_open__torn_last_record__truncated_and_appends_continue),
		cmocka_unit_test(spool_max__full__drops_the_oldest_segment_and_counts),
		cmocka_unit_test(spool_max__batch_in_flight__is_never_dropped),
		cmocka_unit_test(spool_compaction__acknowledged_segments__are_deleted),
		cmocka_unit_test(spool_counters__results_total_and_sent__persist_across_reopen),
		cmocka_unit_test(spool_stream__chosen_at_creation__persists_and_differs_per_spool),
		cmocka_unit_test(spool_append__oversized_record__is_refused),
		cmocka_unit_test(ship_backoff__doubles_up_to_the_cap_with_full_jitter),
		cmocka_unit_test(ship_config_changed__collector_fields__trigger_a_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
