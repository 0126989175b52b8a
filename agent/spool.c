/*
 * spool.c - the durable outbox (see spool.h and docs/internals/spool.md).
 *
 * Layout of the spool directory:
 *   state                  text, key value per line, replaced atomically
 *                          (write state.tmp, fsync, rename, fsync dir)
 *   seg-<16 hex>.log       segment files named by the sequence number of
 *                          their first record; only the last is appended to
 *   lock                   flock'd while a process has the spool open
 *
 * A record: 16-byte header (u32 payload length, u32 CRC-32 of sequence
 * number and payload, u64 sequence number; little endian) and the
 * payload.  Sequence numbers start at 1 and have no gaps within a
 * segment; a segment holds the sequence numbers from its name up to the
 * next segment's name.
 *
 * The head of the spool: every sequence number below `acked` is gone
 * (delivered, rejected or dropped).  A batch in flight covers
 * [if_first, if_last] = [acked, ...]; results dropped while a batch is in
 * flight are those after it, up to `unbatched` (the first result no batch
 * has taken yet).  Without a batch in flight, acked == unbatched.
 *
 * What this module does not do: send anything, or decide when to sync
 * (the caller batches its fsyncs).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "stats.h"
#include "xmalloc.h"

#define REC_HDR 16
#define SEG_MAX_BYTES (1024 * 1024)
#define SEG_MIN_BYTES (4 * 1024)
#define STATE_LINE_MAX 256

struct seg {
	uint64_t first;  /* sequence number of its first record (the name) */
	uint64_t bytes;  /* file size */
};

struct spool {
	pthread_mutex_t mu;
	char *dir;
	int lock_fd;
	uint64_t max_bytes, seg_max;
	char stream[33];

	struct seg *segs;     /* sorted by first; the last is the active one */
	size_t nsegs, csegs;
	int wfd;              /* the active segment, open for appending */
	uint64_t total_bytes; /* sum of segs[].bytes */

	uint64_t next_seq;    /* sequence number of the next append */
	uint64_t synced;      /* every record below it is durable */
	uint64_t acked;
	uint64_t unbatched;
	uint64_t batch;       /* number of the batch in flight, or of the next */
	int inflight;
	uint64_t if_first, if_last;

	uint64_t sent_total, dropped_total, send_errors_total;

	/* read cursor: position right after the record cur_seq - 1 */
	uint64_t cur_segfirst, cur_seq;
	off_t cur_off;
	int cur_valid;
};

/* ---- small helpers ---- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t
crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	crc = ~crc;
	while (len-- > 0)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t
rec_crc(uint64_t seq, const void *payload, size_t len)
{
	unsigned char s[8];

	put_le(s, seq, 8);
	return crc32_update(crc32_update(0, s, 8), payload, len);
}

static char *
seg_path(const struct spool *sp, uint64_t first)
{
	return xasprintf("%s/seg-%016" PRIx64 ".log", sp->dir, first);
}

/* Full read at offset; returns bytes read (short at end of file) or -1. */
static ssize_t
pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Read the record at off: 1 with *seq_r, *len_r and (when payload_r is
   non-NULL) an xmalloc'd NUL-terminated payload; 0 at a clean end of
   file; -2 for a torn or damaged record; -1 for a read error. */
static int
rec_read(int fd, off_t off, uint64_t *seq_r, size_t *len_r, char **payload_r)
{
	unsigned char hdr[REC_HDR];
	ssize_t n = pread_full(fd, hdr, REC_HDR, off);
	uint32_t len, crc;
	char *buf;

	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	if (n < REC_HDR)
		return -2;
	len = (uint32_t)get_le(hdr, 4);
	crc = (uint32_t)get_le(hdr + 4, 4);
	*seq_r = get_le(hdr + 8, 8);
	if (len == 0 || len > SPOOL_RECORD_MAX)
		return -2;
	buf = xmalloc((size_t)len + 1);
	n = pread_full(fd, buf, len, off + REC_HDR);
	if (n < 0) {
		free(buf);
		return -1;
	}
	if ((size_t)n < len || rec_crc(*seq_r, buf, len) != crc) {
		free(buf);
		return -2;
	}
	buf[len] = '\0';
	*len_r = len;
	if (payload_r != NULL)
		*payload_r = buf;
	else
		free(buf);
	return 1;
}

static void
publish(const struct spool *sp)
{
	uint64_t waiting = sp->next_seq - sp->unbatched;

	if (sp->inflight)
		waiting += sp->if_last - sp->if_first + 1;
	atomic_store(&agent_stats.results_total, sp->next_seq - 1);
	atomic_store(&agent_stats.spooled, waiting);
	atomic_store(&agent_stats.sent_total, sp->sent_total);
	atomic_store(&agent_stats.dropped_total, sp->dropped_total);
	atomic_store(&agent_stats.send_errors_total, sp->send_errors_total);
}

/* ---- the state file ---- */

static int
state_write(struct spool *sp, char **error_r)
{
	char *tmp = xasprintf("%s/state.tmp", sp->dir), *path = xasprintf("%s/state", sp->dir);
	FILE *fp;
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		*error_r = xasprintf("%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	/* next_seq: only what is durable, so that a sequence number written
	   here always names a record that survives a crash */
	fprintf(fp,
		"mxsla-spool 1\n"
		"stream %s\n"
		"batch %" PRIu64 "\n"
		"acked %" PRIu64 "\n"
		"unbatched %" PRIu64 "\n"
		"inflight %d %" PRIu64 " %" PRIu64 "\n"
		"next_seq %" PRIu64 "\n"
		"results_total %" PRIu64 "\n"
		"sent_total %" PRIu64 "\n"
		"dropped_total %" PRIu64 "\n"
		"send_errors_total %" PRIu64 "\n",
		sp->stream, sp->batch, sp->acked, sp->unbatched, sp->inflight,
		sp->inflight ? sp->if_first : 0, sp->inflight ? sp->if_last : 0, sp->synced, sp->synced - 1, sp->sent_total, sp->dropped_total,
		sp->send_errors_total);
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		*error_r = xasprintf("%s: %s", tmp, strerror(errno));
		fclose(fp);
		goto out;
	}
	if (fclose(fp) != 0) {
		*error_r = xasprintf("%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) < 0) {
		*error_r = xasprintf("rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fsync_dir(sp->dir) < 0) {
		*error_r = xasprintf("fsync %s: %s", sp->dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(path);
	return rc;
}

/* 1 read, 0 no state file, -1 damaged */
static int
state_read(struct spool *sp, char **error_r)
{
	char *path = xasprintf("%s/state", sp->dir), line[STATE_LINE_MAX];
	FILE *fp = fopen(path, "re");
	int have_stream = 0, magic = 0;

	if (fp == NULL) {
		int rc = errno == ENOENT ? 0 : -1;
		if (rc < 0)
			*error_r = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char key[32], val[64];
		uint64_t a, b;
		int f;

		if (sscanf(line, "mxsla-spool %d", &f) == 1 && f == 1) {
			magic = 1;
		} else if (sscanf(line, "stream %32s", val) == 1 && strlen(val) == 32 &&
			   strspn(val, "0123456789abcdef") == 32) {
			memcpy(sp->stream, val, 33);
			have_stream = 1;
		} else if (sscanf(line, "inflight %d %" SCNu64 " %" SCNu64, &f, &a, &b) == 3) {
			sp->inflight = f != 0 && a >= 1 && b >= a;
			sp->if_first = a;
			sp->if_last = b;
		} else if (sscanf(line, "%31s %" SCNu64, key, &a) == 2) {
			if (strcmp(key, "batch") == 0)
				sp->batch = a;
			else if (strcmp(key, "acked") == 0)
				sp->acked = a;
			else if (strcmp(key, "unbatched") == 0)
				sp->unbatched = a;
			else if (strcmp(key, "next_seq") == 0)
				sp->next_seq = a;
			else if (strcmp(key, "sent_total") == 0)
				sp->sent_total = a;
			else if (strcmp(key, "dropped_total") == 0)
				sp->dropped_total = a;
			else if (strcmp(key, "send_errors_total") == 0)
				sp->send_errors_total = a;
		}
	}
	fclose(fp);
	if (!magic || !have_stream || sp->batch < 1 || sp->acked < 1) {
		*error_r = xasprintf("%s: not a spool state file (or damaged)", path);
		free(path);
		return -1;
	}
	free(path);
	return 1;
}

static void
new_stream(char out[33])
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("getrandom");
		got += (size_t)n;
	}
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/* ---- segments ---- */

static int
seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static int
segs_list(struct spool *sp, char **error_r)
{
	DIR *d = opendir(sp->dir);
	struct dirent *de;

	if (d == NULL) {
		*error_r = xasprintf("%s: %s", sp->dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		struct stat st;
		char *path, *end;
		uint64_t first;

		if (strncmp(nm, "seg-", 4) != 0 || strlen(nm) != 4 + 16 + 4 ||
		    strcmp(nm + 20, ".log") != 0 || strspn(nm + 4, "0123456789abcdef") != 16)
			continue;
		first = strtoull(nm + 4, &end, 16);
		if (first == 0)
			continue;
		path = xasprintf("%s/%s", sp->dir, nm);
		if (stat(path, &st) < 0) {
			*error_r = xasprintf("%s: %s", path, strerror(errno));
			free(path);
			closedir(d);
			return -1;
		}
		free(path);
		sp->segs = xgrow(sp->segs, &sp->csegs, sp->nsegs + 1, sizeof(*sp->segs));
		sp->segs[sp->nsegs].first = first;
		sp->segs[sp->nsegs].bytes = (uint64_t)st.st_size;
		sp->total_bytes += (uint64_t)st.st_size;
		sp->nsegs++;
	}
	closedir(d);
	if (sp->nsegs > 1)
		qsort(sp->segs, sp->nsegs, sizeof(*sp->segs), seg_cmp);
	return 0;
}

/* One past the last sequence number segment i can hold. */
static uint64_t
seg_end(const struct spool *sp, size_t i)
{
	return i + 1 < sp->nsegs ? sp->segs[i + 1].first : sp->next_seq;
}

static int
seq_gone(const struct spool *sp, uint64_t a, uint64_t b)
{
	/* [a, b) entirely delivered, rejected or dropped */
	if (b <= sp->acked)
		return 1;
	return sp->inflight && a > sp->if_last && b <= sp->unbatched;
}

/* Delete segments (never the active one) that hold nothing needed. */
static void
segs_compact(struct spool *sp)
{
	size_t i = 0;

	while (sp->nsegs > 1 && i < sp->nsegs - 1) {
		if (!seq_gone(sp, sp->segs[i].first, seg_end(sp, i))) {
			i++;
			continue;
		}
		char *path = seg_path(sp, sp->segs[i].first);
		if (unlink(path) < 0 && errno != ENOENT) {
			/* it stays; a later compaction or open retries */
			log_warn("spool: cannot delete %s", path);
			free(path);
			i++;
			continue;
		}
		free(path);
		if (sp->cur_valid && sp->cur_segfirst == sp->segs[i].first)
			sp->cur_valid = 0;
		sp->total_bytes -= sp->segs[i].bytes;
		memmove(&sp->segs[i], &sp->segs[i + 1], (sp->nsegs - i - 1) * sizeof(*sp->segs));
		sp->nsegs--;
	}
}

/* Make a new, empty active segment starting at next_seq. */
static int
seg_new(struct spool *sp, char **error_r)
{
	char *path = seg_path(sp, sp->next_seq);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if (fsync_dir(sp->dir) < 0) {
		*error_r = xasprintf("fsync %s: %s", sp->dir, strerror(errno));
		close(fd);
		return -1;
	}
	sp->segs = xgrow(sp->segs, &sp->csegs, sp->nsegs + 1, sizeof(*sp->segs));
	sp->segs[sp->nsegs].first = sp->next_seq;
	sp->segs[sp->nsegs].bytes = 0;
	sp->nsegs++;
	sp->wfd = fd;
	return 0;
}

static int
sync_active(struct spool *sp, char **error_r)
{
	if (sp->synced == sp->next_seq)
		return 0;
	if (fdatasync(sp->wfd) < 0) {
		*error_r = xasprintf("fdatasync %s: %s", sp->dir, strerror(errno));
		return -1;
	}
	sp->synced = sp->next_seq;
	return 0;
}

/* Close the active segment (made durable) and start another. */
static int
seg_roll(struct spool *sp, char **error_r)
{
	if (sync_active(sp, error_r) < 0)
		return -1;
	close(sp->wfd);
	sp->wfd = -1;
	return seg_new(sp, error_r);
}

/* Check the active segment record by record; cut it at the first record
   that is incomplete or damaged (a crash in the middle of an append) and
   set next_seq after the last good one. */
static int
seg_recover_tail(struct spool *sp, char **error_r)
{
	struct seg *s = &sp->segs[sp->nsegs - 1];
	char *path = seg_path(sp, s->first);
	uint64_t seq = s->first, got_seq;
	off_t off = 0;
	size_t len;
	int fd, r;

	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while ((r = rec_read(fd, off, &got_seq, &len, NULL)) == 1 && got_seq == seq) {
		off += REC_HDR + (off_t)len;
		seq++;
	}
	if (r == -1) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	if ((uint64_t)off != s->bytes) {
		log_warnx("spool: %s: incomplete or damaged record at offset %lld (a crash while "
			  "appending?); truncating %llu bytes",
			  path, (long long)off, (unsigned long long)(s->bytes - (uint64_t)off));
		if (ftruncate(fd, off) < 0 || fsync(fd) < 0) {
			*error_r = xasprintf("truncate %s: %s", path, strerror(errno));
			close(fd);
			free(path);
			return -1;
		}
		sp->total_bytes -= s->bytes - (uint64_t)off;
		s->bytes = (uint64_t)off;
	}
	free(path);
	sp->wfd = fd;
	sp->next_seq = seq;
	return 0;
}

/* ---- open / close ---- */

static int
mkdir_p(const char *dir, char **error_r)
{
	char *p = xstrdup(dir);

	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			*error_r = xasprintf("mkdir %s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		*error_r = xasprintf("mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static uint64_t
seg_max_for(uint64_t max_bytes)
{
	uint64_t s = max_bytes / 16;

	if (s > SEG_MAX_BYTES)
		s = SEG_MAX_BYTES;
	if (s < SEG_MIN_BYTES)
		s = SEG_MIN_BYTES;
	return s;
}

static int
spool_open_locked(struct spool *sp, char **error_r)
{
	char *err = NULL, *lockpath;
	uint64_t state_next;
	int have;

	lockpath = xasprintf("%s/lock", sp->dir);
	sp->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->lock_fd < 0) {
		*error_r = xasprintf("%s: %s", lockpath, strerror(errno));
		free(lockpath);
		return -1;
	}
	free(lockpath);
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		*error_r = errno == EWOULDBLOCK
				   ? xasprintf("%s is in use by another process", sp->dir)
				   : xasprintf("lock %s: %s", sp->dir, strerror(errno));
		return -1;
	}
	have = state_read(sp, error_r);
	if (have < 0)
		return -1;
	if (segs_list(sp, error_r) < 0)
		return -1;
	if (have == 0) {
		new_stream(sp->stream);
		sp->batch = 1;
		sp->acked = sp->unbatched = 1;
		sp->next_seq = 1;
		if (sp->nsegs > 0) {
			/* results without their state: keep them, under a new
			   stream so that nothing is mistaken for a batch seen before */
			log_warnx("spool: %s: segment files without a state file; sending them again "
				  "under a new stream", sp->dir);
			sp->acked = sp->unbatched = sp->segs[0].first;
		}
	}
	state_next = sp->next_seq;
	if (sp->nsegs == 0) {
		if (sp->next_seq < sp->acked)
			sp->next_seq = sp->acked;
		if (seg_new(sp, error_r) < 0)
			return -1;
	} else if (seg_recover_tail(sp, error_r) < 0) {
		return -1;
	}
	sp->synced = sp->next_seq;
	/* sequence numbers are never reused, even if the disk lost a tail
	   the state file had seen: continue after it in a new segment (the
	   missing ones count as dropped when their batch is done) */
	if (state_next > sp->next_seq) {
		struct seg *last = &sp->segs[sp->nsegs - 1];
		log_warnx("spool: %s: %llu results the state file counted are missing", sp->dir,
			  (unsigned long long)(state_next - sp->next_seq));
		close(sp->wfd);
		sp->wfd = -1;
		if (last->bytes == 0) {
			char *path = seg_path(sp, last->first);
			if (unlink(path) < 0 && errno != ENOENT) {
				*error_r = xasprintf("%s: %s", path, strerror(errno));
				free(path);
				return -1;
			}
			free(path);
			sp->nsegs--;
		}
		sp->next_seq = sp->synced = state_next;
		if (seg_new(sp, error_r) < 0)
			return -1;
	}
	if (sp->acked > sp->next_seq)
		sp->acked = sp->next_seq;
	if (sp->unbatched < sp->acked)
		sp->unbatched = sp->acked;
	if (sp->unbatched > sp->next_seq)
		sp->unbatched = sp->next_seq;
	if (sp->inflight && (sp->if_first != sp->acked || sp->if_last >= sp->unbatched))
		sp->inflight = 0; /* inconsistent: compose again from the head */
	if (!sp->inflight)
		sp->unbatched = sp->acked;
	segs_compact(sp);
	if (state_write(sp, &err) < 0) {
		*error_r = err;
		return -1;
	}
	return 0;
}

int
spool_open(const char *dir, uint64_t max_bytes, struct spool **sp_r, char **error_r)
{
	struct spool *sp;
	char *err = NULL;

	pthread_once(&crc_once, crc_init);
	if (mkdir_p(dir, error_r) < 0)
		return -1;
	sp = xcalloc(1, sizeof(*sp));
	pthread_mutex_init(&sp->mu, NULL);
	sp->dir = xstrdup(dir);
	sp->lock_fd = -1;
	sp->wfd = -1;
	spool_set_max(sp, max_bytes);
	if (spool_open_locked(sp, &err) < 0) {
		*error_r = xasprintf("spool %s: %s", dir, err);
		free(err);
		if (sp->wfd >= 0)
			close(sp->wfd);
		if (sp->lock_fd >= 0)
			close(sp->lock_fd);
		pthread_mutex_destroy(&sp->mu);
		free(sp->segs);
		free(sp->dir);
		free(sp);
		return -1;
	}
	publish(sp);
	/* agent.self's per-interval figures start from the persisted totals */
	atomic_store(&agent_stats.self_dropped_seen, sp->dropped_total);
	atomic_store(&agent_stats.self_send_errors_seen, sp->send_errors_total);
	*sp_r = sp;
	return 0;
}

void
spool_close(struct spool *sp)
{
	char *err = NULL;

	if (sp == NULL)
		return;
	if (sync_active(sp, &err) < 0 || state_write(sp, &err) < 0) {
		log_warnx("spool: closing: %s", err);
		free(err);
	}
	if (sp->wfd >= 0)
		close(sp->wfd);
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);
	pthread_mutex_destroy(&sp->mu);
	free(sp->segs);
	free(sp->dir);
	free(sp);
}

const char *
spool_stream(const struct spool *sp)
{
	return sp->stream;
}

void
spool_set_max(struct spool *sp, uint64_t max_bytes)
{
	pthread_mutex_lock(&sp->mu);
	sp->max_bytes = max_bytes;
	sp->seg_max = seg_max_for(max_bytes);
	pthread_mutex_unlock(&sp->mu);
}

/* ---- append ---- */

/* Drop the oldest unsent results, a segment at a time, until need more
   bytes fit under max_bytes or nothing unsent is left to drop.  Returns
   how many were dropped. */
static uint64_t
make_room(struct spool *sp, uint64_t need, char **error_r, int *failed_r)
{
	uint64_t dropped = 0;

	*failed_r = 0;
	while (sp->total_bytes + need > sp->max_bytes && sp->unbatched < sp->next_seq) {
		size_t i = 0;
		uint64_t end;

		while (i < sp->nsegs && seg_end(sp, i) <= sp->unbatched)
			i++;
		if (i == sp->nsegs)
			break;
		if (i == sp->nsegs - 1 && seg_roll(sp, error_r) < 0) {
			*failed_r = 1;
			break;
		}
		end = seg_end(sp, i);
		dropped += end - sp->unbatched;
		sp->unbatched = end;
		if (!sp->inflight)
			sp->acked = sp->unbatched;
		segs_compact(sp);
	}
	if (sp->synced < sp->unbatched)
		sp->synced = sp->unbatched;
	sp->dropped_total += dropped;
	return dropped;
}

int
spool_append(struct spool *sp, const char *rec, size_t len, uint64_t *dropped_r, char **error_r)
{
	unsigned char hdr[REC_HDR];
	uint64_t dropped = 0;
	char *err = NULL;
	int failed;

	if (dropped_r != NULL)
		*dropped_r = 0;
	if (len == 0 || len > SPOOL_RECORD_MAX) {
		*error_r = xasprintf("spool: record of %zu bytes (limit %d)", len, SPOOL_RECORD_MAX);
		return -1;
	}
	pthread_mutex_lock(&sp->mu);
	if (sp->segs[sp->nsegs - 1].bytes >= sp->seg_max && seg_roll(sp, &err) < 0)
		goto fail;
	dropped = make_room(sp, REC_HDR + len, &err, &failed);
	if (failed)
		goto fail;
	if (dropped > 0 && state_write(sp, &err) < 0)
		goto fail;
	put_le(hdr, len, 4);
	put_le(hdr + 4, rec_crc(sp->next_seq, rec, len), 4);
	put_le(hdr + 8, sp->next_seq, 8);
	{
		/* one write(2) for header and payload, so that a crash tears at
		   most this record */
		unsigned char *buf = xmalloc(REC_HDR + len);
		int rc;
		memcpy(buf, hdr, REC_HDR);
		memcpy(buf + REC_HDR, rec, len);
		rc = write_full(sp->wfd, buf, REC_HDR + len);
		free(buf);
		if (rc < 0) {
			int e = errno;
			struct seg *s = &sp->segs[sp->nsegs - 1];
			/* cut a partial write so that later records stay readable */
			if (ftruncate(sp->wfd, (off_t)s->bytes) < 0)
				log_warn("spool: cannot cut a partial append");
			err = xasprintf("append: %s", strerror(e));
			goto fail;
		}
	}
	sp->segs[sp->nsegs - 1].bytes += REC_HDR + len;
	sp->total_bytes += REC_HDR + len;
	sp->next_seq++;
	publish(sp);
	pthread_mutex_unlock(&sp->mu);
	if (dropped_r != NULL)
		*dropped_r = dropped;
	return 0;
fail:
	publish(sp);
	pthread_mutex_unlock(&sp->mu);
	if (dropped_r != NULL)
		*dropped_r = dropped;
	*error_r = xasprintf("spool %s: %s", sp->dir, err);
	free(err);
	return -1;
}

int
spool_sync(struct spool *sp, char **error_r)
{
	char *err = NULL;
	int rc;

	pthread_mutex_lock(&sp->mu);
	rc = sync_active(sp, &err);
	pthread_mutex_unlock(&sp->mu);
	if (rc < 0) {
		*error_r = xasprintf("spool: %s", err);
		free(err);
	}
	return rc;
}

/* ---- batches ---- */

static size_t
seg_index(const struct spool *sp, uint64_t seq)
{
	size_t i = 0;

	while (i + 1 < sp->nsegs && sp->segs[i + 1].first <= seq)
		i++;
	return i;
}

/* Read the records with sequence numbers in [from, to), at most max_n and
   max_bytes (at least one), into b.  Damaged records in segments other
   than the active one are skipped with a warning.  Sets *next_r to one
   past the last sequence number looked at. */
static int
read_records(struct spool *sp, uint64_t from, uint64_t to, size_t max_n, size_t max_bytes,
	     struct spool_batch *b, uint64_t *next_r, char **error_r)
{
	size_t cap = 0, i = seg_index(sp, from);
	uint64_t next = from;

	for (; i < sp->nsegs && next < to; i++) {
		char *path = seg_path(sp, sp->segs[i].first);
		uint64_t seq = sp->segs[i].first;
		off_t off = 0;
		int fd = open(path, O_RDONLY | O_CLOEXEC), stop = 0;

		if (fd < 0) {
			*error_r = xasprintf("%s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		if (sp->cur_valid && sp->cur_segfirst == sp->segs[i].first && sp->cur_seq <= from) {
			off = sp->cur_off;
			seq = sp->cur_seq;
		}
		while (!stop) {
			uint64_t got;
			size_t len;
			char *payload = NULL;
			int want = seq >= from;
			int r;

			if (seq >= to)
				break;
			r = rec_read(fd, off, &got, &len, want ? &payload : NULL);
			if (r == -1) {
				*error_r = xasprintf("%s: %s", path, strerror(errno));
				close(fd);
				free(path);
				return -1;
			}
			if (r == 0)
				break;
			if (r == -2 || got != seq) {
				log_warnx("spool: %s: damaged record at offset %lld; skipping the rest "
					  "of the segment", path, (long long)off);
				free(payload);
				if (i + 1 < sp->nsegs)
					next = sp->segs[i + 1].first > next ? sp->segs[i + 1].first : next;
				break;
			}
			if (want) {
				if (b->n > 0 && (b->n >= max_n || b->bytes + len > max_bytes)) {
					free(payload);
					stop = 1;
					break;
				}
				b->recs = xgrow(b->recs, &cap, b->n + 1, sizeof(*b->recs));
				b->lens = xrealloc(b->lens, cap * sizeof(*b->lens));
				b->recs[b->n] = payload;
				b->lens[b->n] = len;
				b->n++;
				b->bytes += len;
			}
			off += REC_HDR + (off_t)len;
			seq++;
			if (seq > next)
				next = seq;
			sp->cur_valid = 1;
			sp->cur_segfirst = sp->segs[i].first;
			sp->cur_off = off;
			sp->cur_seq = seq;
		}
		close(fd);
		free(path);
		if (stop)
			break;
		if (i + 1 < sp->nsegs && next < sp->segs[i + 1].first && !stop)
			next = sp->segs[i + 1].first; /* records missing from this segment */
	}
	if (next > to)
		next = to;
	*next_r = next;
	return 0;
}

void
spool_batch_free(struct spool_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->recs[i]);
	free(b->recs);
	free(b->lens);
	memset(b, 0, sizeof(*b));
}

int
spool_batch_get(struct spool *sp, size_t max_n, size_t max_bytes, struct spool_batch *b,
		char **error_r)
{
	char *err = NULL;
	uint64_t next;
	int rc = 0;

	memset(b, 0, sizeof(*b));
	pthread_mutex_lock(&sp->mu);
	while (rc == 0) {
		if (sp->inflight) {
			if (read_records(sp, sp->if_first, sp->if_last + 1, SIZE_MAX, SIZE_MAX, b, &next,
					 &err) < 0) {
				rc = -1;
				break;
			}
			b->batch = sp->batch;
			b->first = sp->if_first;
			b->last = sp->if_last;
			rc = 1;
			break;
		}
		if (sp->unbatched >= sp->synced)
			break;
		if (read_records(sp, sp->unbatched, sp->synced, max_n, max_bytes, b, &next, &err) < 0) {
			rc = -1;
			break;
		}
		if (next <= sp->unbatched) { /* cannot happen: read_records always advances */
			err = xstrdup("no progress reading the spool");
			rc = -1;
			break;
		}
		if (b->n == 0) {
			/* only damaged records in that range: they are lost */
			sp->dropped_total += next - sp->unbatched;
			sp->unbatched = sp->acked = next;
			segs_compact(sp);
			continue;
		}
		sp->inflight = 1;
		sp->if_first = sp->unbatched;
		sp->if_last = next - 1;
		sp->unbatched = next;
		/* the composition is on disk before anything is sent */
		if (state_write(sp, &err) < 0) {
			sp->inflight = 0;
			sp->unbatched = sp->if_first;
			spool_batch_free(b);
			rc = -1;
			break;
		}
		b->batch = sp->batch;
		b->first = sp->if_first;
		b->last = sp->if_last;
		rc = 1;
	}
	publish(sp);
	pthread_mutex_unlock(&sp->mu);
	if (rc < 0) {
		spool_batch_free(b);
		*error_r = xasprintf("spool %s: %s", sp->dir, err);
		free(err);
	}
	return rc;
}

int
spool_batch_done(struct spool *sp, const struct spool_batch *b, int delivered, char **error_r)
{
	char *err = NULL;
	int rc = 0;

	pthread_mutex_lock(&sp->mu);
	if (!sp->inflight || b->batch != sp->batch || b->first != sp->if_first) {
		pthread_mutex_unlock(&sp->mu);
		*error_r = xasprintf("spool %s: batch %llu is not the batch in flight", sp->dir,
				     (unsigned long long)b->batch);
		return -1;
	}
	if (delivered)
		sp->sent_total += b->n;
	else
		sp->dropped_total += b->n;
	/* sequence numbers of the range that had no readable record */
	sp->dropped_total += (sp->if_last - sp->if_first + 1) - b->n;
	sp->inflight = 0;
	sp->acked = sp->unbatched;
	sp->batch++;
	if (state_write(sp, &err) < 0)
		rc = -1;
	segs_compact(sp);
	publish(sp);
	pthread_mutex_unlock(&sp->mu);
	if (rc < 0) {
		*error_r = xasprintf("spool %s: %s", sp->dir, err);
		free(err);
	}
	return rc;
}

void
spool_note_send_error(struct spool *sp)
{
	char *err = NULL;

	pthread_mutex_lock(&sp->mu);
	sp->send_errors_total++;
	/* a counter only: losing the last increment in a crash is harmless,
	   but writing it keeps the figure exact across clean restarts too */
	if (state_write(sp, &err) < 0) {
		log_warnx("spool %s: %s", sp->dir, err);
		free(err);
	}
	publish(sp);
	pthread_mutex_unlock(&sp->mu);
}

void
spool_counters(struct spool *sp, struct spool_counters *c)
{
	pthread_mutex_lock(&sp->mu);
	c->results_total = sp->next_seq - 1;
	c->spooled = sp->next_seq - sp->unbatched;
	if (sp->inflight)
		c->spooled += sp->if_last - sp->if_first + 1;
	c->sent_total = sp->sent_total;
	c->dropped_total = sp->dropped_total;
	c->send_errors_total = sp->send_errors_total;
	pthread_mutex_unlock(&sp->mu);
}
