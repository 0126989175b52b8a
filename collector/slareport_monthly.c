/*
 * slareport_monthly.c - the monthly duty: write each finished month's
 * report to reports.dir once, and mail it when reports.mail is set.
 *
 * Bookkeeping lives in the store (store_report_mark "written" and
 * "mailed"), so a restart neither writes nor mails a month twice, and a
 * collector that was down over a month's end catches up: every month
 * from the first stored result to the last finished one is considered on
 * every call.  All months are written before any is mailed, so that a
 * mail server that is down does not hold back the files.  A failed mail
 * is tried again on the next call (once per call: the first mail failure
 * ends the call).
 *
 * Files are written to a temporary name in the same directory, synced and
 * renamed, so a reader never sees half a report.  The mail is built here
 * (multipart/mixed: the HTML page as the body, the CSV and JSON as base64
 * attachments) and sent with libcurl's SMTP through lib/curlrt.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "caltime.h"
#include "curlrt.h"
#include "log.h"
#include "slareport.h"
#include "xmalloc.h"

/* A report file read back for mailing is at most this big. */
#define MONTHLY_FILE_MAX (64u << 20)
#define MAIL_CONNECT_TIMEOUT_S 15L
#define MAIL_TIMEOUT_S 120L

static _Thread_local char monthly_err[768];

static const char *const ext_of[] = {"json", "csv", "html"};

static const char *err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
err_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(monthly_err, sizeof(monthly_err), fmt, ap);
	va_end(ap);
	return monthly_err;
}

/* ---- files ---- */

/* mkdir -p path with mode 0750 for what is created. */
static int
ensure_dir(const char *path, const char **error_r)
{
	char *p = xstrdup(path), *s;
	struct stat sb;
	char c;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0750) < 0 && errno != EEXIST) {
			*error_r = err_set("mkdir %s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		*error_r = err_set("%s: not a directory", path);
		return -1;
	}
	return 0;
}

static int
write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, s, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/* dir/name = text, atomically (temp file, fsync, rename, fsync dir). */
static int
write_atomic(const char *dir, const char *name, const char *text, const char **error_r)
{
	char *tmp = xasprintf("%s/.%s.XXXXXX", dir, name);
	char *path = xasprintf("%s/%s", dir, name);
	int fd, dfd, rc = -1;

	fd = mkstemp(tmp);
	if (fd < 0) {
		*error_r = err_set("create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0640) < 0 || write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		*error_r = err_set("write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0) {
		*error_r = err_set("write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		*error_r = err_set("rename %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		/* the rename is durable once the directory is */
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	free(tmp);
	free(path);
	return rc;
}

/* The whole file dir/name, or NULL. */
static char *
read_file(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *buf = NULL;
	struct stat sb;
	size_t got = 0;
	FILE *fp;

	fp = fopen(path, "re");
	free(path);
	if (fp == NULL)
		return NULL;
	if (fstat(fileno(fp), &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > MONTHLY_FILE_MAX) {
		fclose(fp);
		return NULL;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	got = fread(buf, 1, (size_t)sb.st_size, fp);
	fclose(fp);
	buf[got] = '\0';
	return buf;
}

/* ---- the mail ---- */

struct mbuf {
	char *s;
	size_t len, cap;
};

static void
mb_add(struct mbuf *b, const char *s, size_t n)
{
	b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
mb_str(struct mbuf *b, const char *s)
{
	mb_add(b, s, strlen(s));
}

/* A header value from the config, with CR and LF taken out so that it
   cannot start another header. */
static void
mb_hval(struct mbuf *b, const char *s)
{
	for (; *s != '\0'; s++)
		mb_add(b, *s == '\r' || *s == '\n' ? " " : s, 1);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of s[0..n), in lines of 76 characters ending in CRLF (wrap 0:
   one line, no CRLF). */
static void
mb_base64(struct mbuf *b, const unsigned char *s, size_t n, int wrap)
{
	char q[4];
	size_t i, col = 0;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		mb_add(b, q, 4);
		col += 4;
		if (wrap && col >= 76) {
			mb_str(b, "\r\n");
			col = 0;
		}
	}
	if (wrap && col > 0)
		mb_str(b, "\r\n");
}

/* The subject: %s replaced with the month; RFC 2047 encoded words when it
   is not plain ASCII. */
static void
mb_subject(struct mbuf *b, const char *tmpl, const char *month)
{
	struct mbuf raw = {0};
	const char *p;
	int ascii = 1;
	size_t i, start;

	for (p = tmpl; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 's') {
			mb_str(&raw, month);
			p++;
		} else {
			mb_add(&raw, *p == '\r' || *p == '\n' ? " " : p, 1);
		}
	}
	if (raw.s == NULL)
		mb_add(&raw, "", 0);
	for (i = 0; i < raw.len; i++)
		if ((unsigned char)raw.s[i] >= 0x80)
			ascii = 0;
	if (ascii) {
		mb_str(b, raw.s);
		free(raw.s);
		return;
	}
	/* encoded words of at most 45 bytes (60 base64 characters, within
	   the 75-character limit), never splitting a UTF-8 sequence */
	for (start = 0; start < raw.len;) {
		size_t end = start + 45 < raw.len ? start + 45 : raw.len;

		while (end > start + 1 && end < raw.len &&
		       ((unsigned char)raw.s[end] & 0xc0) == 0x80)
			end--;
		if (start > 0)
			mb_str(b, "\r\n ");
		mb_str(b, "=?UTF-8?B?");
		mb_base64(b, (const unsigned char *)raw.s + start, end - start, 0);
		mb_str(b, "?=");
		start = end;
	}
	free(raw.s);
}

/* RFC 5322 date of now in the local zone: "Sun, 01 Nov 2026 00:05:00 +0100". */
static void
mb_date(struct mbuf *b, time_t now)
{
	static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mn[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	long off;
	char buf[64];

	localtime_r(&now, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld", wd[tm.tm_wday],
	         tm.tm_mday, mn[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
	mb_str(b, buf);
}

/* The bare address of "Name <a@b>" or "a@b". */
static char *
addr_of(const char *s)
{
	const char *lt = strrchr(s, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		return xasprintf("<%.*s>", (int)(gt - lt - 1), lt + 1);
	return xasprintf("<%s>", s);
}

static void
mb_part(struct mbuf *b, const char *boundary, const char *type, const char *filename,
        const char *text)
{
	mb_str(b, "--");
	mb_str(b, boundary);
	mb_str(b, "\r\nContent-Type: ");
	mb_str(b, type);
	if (filename != NULL) {
		mb_str(b, "; name=\"");
		mb_str(b, filename);
		mb_str(b, "\"\r\nContent-Disposition: attachment; filename=\"");
		mb_str(b, filename);
		mb_str(b, "\"");
	} else {
		mb_str(b, "\r\nContent-Disposition: inline");
	}
	mb_str(b, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	mb_base64(b, (const unsigned char *)text, strlen(text), 1);
}

/* The whole message, CRLF line ends. */
static char *
build_message(const struct cc_mail *m, const char *month, const char *html, const char *csv,
              const char *json)
{
	static unsigned counter;
	struct mbuf b = {0};
	struct timespec ts;
	char host[256], boundary[96], name[64], *mid;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		if (host[i] == '>' || host[i] == '<' || host[i] == ' ' || host[i] == '\r' ||
		    host[i] == '\n')
			host[i] = '-';
	counter++;
	/* "=_" never occurs in base64 text, so the boundary cannot either */
	snprintf(boundary, sizeof(boundary), "=_mxsla_%lld_%ld_%u", (long long)ts.tv_sec,
	         (long)getpid(), counter);
	mid = xasprintf("<mxsla-sla-%s.%lld.%09ld.%ld.%u@%s>", month, (long long)ts.tv_sec,
	                (long)ts.tv_nsec, (long)getpid(), counter, host);

	mb_str(&b, "From: ");
	mb_hval(&b, m->from);
	mb_str(&b, "\r\nTo: ");
	for (i = 0; i < m->to.n; i++) {
		if (i > 0)
			mb_str(&b, ",\r\n ");
		mb_hval(&b, m->to.v[i]);
	}
	mb_str(&b, "\r\nSubject: ");
	mb_subject(&b, m->subject != NULL ? m->subject : "mxsla SLA report %s", month);
	mb_str(&b, "\r\nDate: ");
	mb_date(&b, ts.tv_sec);
	mb_str(&b, "\r\nMessage-ID: ");
	mb_str(&b, mid);
	mb_str(&b, "\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n"
	           "Content-Type: multipart/mixed; boundary=\"");
	mb_str(&b, boundary);
	mb_str(&b, "\"\r\n\r\nThis is the mxsla SLA report in MIME format.\r\n\r\n");
	mb_part(&b, boundary, "text/html; charset=utf-8", NULL, html);
	snprintf(name, sizeof(name), "mxsla-sla-%s.csv", month);
	mb_part(&b, boundary, "text/csv; charset=utf-8", name, csv);
	snprintf(name, sizeof(name), "mxsla-sla-%s.json", month);
	mb_part(&b, boundary, "application/json", name, json);
	mb_str(&b, "--");
	mb_str(&b, boundary);
	mb_str(&b, "--\r\n");
	free(mid);
	return b.s;
}

struct upload {
	const char *s;
	size_t len, off;
};

static size_t
upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->s + u->off, n);
	u->off += n;
	return n;
}

static int
send_mail(const struct cc_mail *m, const char *msg, const char **error_r)
{
	char errbuf[CURL_ERROR_SIZE] = "", *lerr = NULL, *from;
	struct curl_slist *rcpt = NULL;
	struct upload u = {msg, strlen(msg), 0};
	CURLcode rc;
	CURL *h;
	size_t i;

	if (m->url == NULL || m->from == NULL || m->to.n == 0) {
		*error_r = err_set("reports.mail needs url, from and to");
		return -1;
	}
	if (curlrt_load(&lerr) < 0) {
		*error_r = err_set("%s", lerr);
		free(lerr);
		return -1;
	}
	h = curlrt_easy_init();
	if (h == NULL) {
		*error_r = err_set("curl_easy_init failed");
		return -1;
	}
	from = addr_of(m->from);
	for (i = 0; i < m->to.n; i++) {
		char *a = addr_of(m->to.v[i]);

		rcpt = curlrt_slist_append(rcpt, a);
		free(a);
	}
	curlrt_easy_setopt(h, CURLOPT_URL, m->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curlrt_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#endif
	curlrt_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curlrt_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curlrt_easy_setopt(h, CURLOPT_READFUNCTION, upload_read);
	curlrt_easy_setopt(h, CURLOPT_READDATA, &u);
	curlrt_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curlrt_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u.len);
	if (strncmp(m->url, "smtp://", 7) == 0)
		curlrt_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (m->ca_file != NULL)
		curlrt_easy_setopt(h, CURLOPT_CAINFO, m->ca_file);
	if (m->username != NULL)
		curlrt_easy_setopt(h, CURLOPT_USERNAME, m->username);
	if (m->password != NULL)
		curlrt_easy_setopt(h, CURLOPT_PASSWORD, m->password);
	curlrt_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, MAIL_CONNECT_TIMEOUT_S);
	curlrt_easy_setopt(h, CURLOPT_TIMEOUT, MAIL_TIMEOUT_S);
	curlrt_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curlrt_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

	rc = curlrt_easy_perform(h);
	if (rc != CURLE_OK)
		*error_r = err_set("mail to %s: %s", m->url,
		                   errbuf[0] != '\0' ? errbuf : curlrt_easy_strerror(rc));
	curlrt_easy_cleanup(h);
	curlrt_slist_free_all(rcpt);
	free(from);
	return rc == CURLE_OK ? 0 : -1;
}

static int
mail_texts(const struct cc_mail *m, const char *month, const char *html, const char *csv,
           const char *json, const char **error_r)
{
	char *msg = build_message(m, month, html, csv, json);
	int rc = send_mail(m, msg, error_r);

	free(msg);
	return rc;
}

int
slareport_mail(const struct collector_config *cfg, const struct sla_report *r, const char **error_r)
{
	char *t[3];
	int f, rc;

	if (cfg->mail == NULL) {
		*error_r = "reports.mail is not set";
		return -1;
	}
	for (f = 0; f < 3; f++)
		t[f] = slareport_render(r, (enum slareport_format)f);
	rc = mail_texts(cfg->mail, r->month_name[0] != '\0' ? r->month_name : "period",
	                t[SLAREPORT_HTML], t[SLAREPORT_CSV], t[SLAREPORT_JSON], error_r);
	for (f = 0; f < 3; f++)
		free(t[f]);
	return rc;
}

/* ---- the duty ---- */

static int
write_month(const struct collector_config *cfg, struct store *st, int y, int mo, int64_t now,
            const char **error_r)
{
	struct sla_report r;
	const char *err = NULL;
	char name[64];
	int f, rc = 0;

	if (slarun_month(cfg, st, y, mo, now, NULL, &r, &err) < 0) {
		*error_r = err_set("report %04d-%02d: %s", y, mo, err);
		return -1;
	}
	/* JSON last: slareport_list reads "complete" from it, and the other
	   two are in place by then */
	for (f = SLAREPORT_HTML; f >= SLAREPORT_JSON && rc == 0; f--) {
		char *text = slareport_render(&r, (enum slareport_format)f);

		snprintf(name, sizeof(name), "mxsla-sla-%s.%s", r.month_name, ext_of[f]);
		rc = write_atomic(cfg->reports_dir, name, text, &err);
		if (rc < 0)
			*error_r = err_set("report %s: %s", r.month_name, err);
		free(text);
	}
	slarun_free(&r);
	return rc;
}

/* Mail month from the files written, or rendered anew when one is gone. */
static int
mail_month(const struct collector_config *cfg, struct store *st, int y, int mo, int64_t now,
           const char *month, const char **error_r)
{
	char *t[3], name[64];
	const char *err = NULL;
	int f, rc, missing = 0;

	for (f = 0; f < 3; f++) {
		snprintf(name, sizeof(name), "mxsla-sla-%s.%s", month, ext_of[f]);
		t[f] = read_file(cfg->reports_dir, name);
		missing |= t[f] == NULL;
	}
	if (missing) {
		struct sla_report r;

		if (slarun_month(cfg, st, y, mo, now, NULL, &r, &err) < 0) {
			for (f = 0; f < 3; f++)
				free(t[f]);
			*error_r = err_set("report %s: %s", month, err);
			return -1;
		}
		for (f = 0; f < 3; f++) {
			free(t[f]);
			t[f] = slareport_render(&r, (enum slareport_format)f);
		}
		slarun_free(&r);
	}
	rc = mail_texts(cfg->mail, month, t[SLAREPORT_HTML], t[SLAREPORT_CSV], t[SLAREPORT_JSON],
	                &err);
	if (rc < 0)
		*error_r = err_set("report %s: %s", month, err);
	for (f = 0; f < 3; f++)
		free(t[f]);
	return rc;
}

int
slareport_monthly(const struct collector_config *cfg, struct store *st, int64_t now,
                  const char **error_r)
{
	struct caltm first, cur;
	const char *err = NULL;
	int64_t first_ts;
	int y, mo, pass, marked;
	char month[16];

	if (cfg->reports_dir == NULL)
		return 0;
	if (store_first_ts(st, &first_ts, &err) < 0) {
		*error_r = err_set("first result: %s", err);
		return -1;
	}
	if (first_ts <= 0 || first_ts >= now)
		return 0;
	caltime_fields(first_ts, &first);
	caltime_fields(now, &cur);
	if (first.year < 1970)
		return 0;
	if (ensure_dir(cfg->reports_dir, error_r) < 0)
		return -1;

	/* pass 0 writes, pass 1 mails: the files never wait for the mail */
	for (pass = 0; pass < 2; pass++) {
		const char *what = pass == 0 ? "written" : "mailed";

		if (pass == 1 && cfg->mail == NULL)
			break;
		for (y = first.year, mo = first.month;
		     y < cur.year || (y == cur.year && mo < cur.month);
		     mo == 12 ? (y++, mo = 1) : mo++) {
			snprintf(month, sizeof(month), "%04d-%02d", y, mo);
			if (store_report_marked(st, month, what, &marked, &err) < 0) {
				*error_r = err_set("report %s: %s", month, err);
				return -1;
			}
			if (marked)
				continue;
			if (pass == 0) {
				if (write_month(cfg, st, y, mo, now, error_r) < 0)
					return -1;
			} else {
				if (mail_month(cfg, st, y, mo, now, month, error_r) < 0)
					return -1;
			}
			if (store_report_mark(st, month, what, now, &err) < 0) {
				*error_r = err_set("report %s: %s", month, err);
				return -1;
			}
			if (pass == 0)
				log_info("SLA report %s written to %s", month, cfg->reports_dir);
			else
				log_info("SLA report %s mailed", month);
		}
	}
	return 0;
}
