/*
 * queue_exim.c - the queue probe's exim driver: runs `exim -bp` and reads
 * the listing exim's queue_list() prints:
 *
 *    4d   328 1xTPCQ-0004r6-2p <alerts@example.org>
 *            oncall@example.net
 *
 *    5h   326 1xUmQI-0004rE-2t <root@example.org> *** frozen ***
 *          D delivered@example.org
 *
 * One header line per message (age, size, message id, <sender>, optional
 * "(login)", optional "*** frozen ***"), recipient lines indented by eight
 * spaces with "D " (delivered) or "+D " (generated and delivered, -bpa)
 * in front, a blank line after each message.  A message whose spool file
 * cannot be read is followed by a "    *** spool ... error ***" line and
 * may lack the age column.  Both message id forms are accepted (6-6-2
 * before exim 4.97, 6-11-4 after).
 *
 * It does not read exim's spool itself and knows nothing of exim's retry
 * database, so it cannot tell a deferred message from one not tried yet.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "obs.h"
#include "probe.h"
#include "queue.h"
#include "subproc.h"
#include "xmalloc.h"

long queue_exim_age_s(const char *tok, size_t len)
{
	long v = 0;
	size_t i;

	if (len < 2 || len > 8)
		return -1;
	for (i = 0; i + 1 < len; i++) {
		if (!isdigit((unsigned char)tok[i]))
			return -1;
		v = v * 10 + (tok[i] - '0');
	}
	switch (tok[len - 1]) {
	case 'm': return v * 60;
	case 'h': return v * 3600;
	case 'd': return v * 86400;
	default: return -1;
	}
}

double queue_exim_size(const char *tok, size_t len)
{
	double v = 0, scale = 1, frac = 0.1;
	int digits = 0, dot = 0;
	size_t i;

	if (len == 0 || len > 12)
		return -1;
	for (i = 0; i < len; i++) {
		char ch = tok[i];
		if (isdigit((unsigned char)ch)) {
			if (dot) {
				v += (ch - '0') * frac;
				frac /= 10;
			} else {
				v = v * 10 + (ch - '0');
			}
			digits++;
		} else if (ch == '.' && !dot) {
			dot = 1;
		} else if (i == len - 1 && digits > 0) {
			if (ch == 'K')
				scale = 1024.0;
			else if (ch == 'M')
				scale = 1024.0 * 1024.0;
			else if (ch == 'G')
				scale = 1024.0 * 1024.0 * 1024.0;
			else
				return -1;
		} else {
			return -1;
		}
	}
	return digits > 0 ? v * scale : -1;
}

/* An exim message id: 6 base-62 characters, '-', 6 or 11, '-', 2 or 4. */
static int exim_is_id(const char *s, size_t n)
{
	size_t a = 0, b, c;

	while (a < n && isalnum((unsigned char)s[a]))
		a++;
	if (a != 6 || a >= n || s[a] != '-')
		return 0;
	b = a + 1;
	while (b < n && isalnum((unsigned char)s[b]))
		b++;
	if ((b - a - 1 != 6 && b - a - 1 != 11) || b >= n || s[b] != '-')
		return 0;
	c = b + 1;
	while (c < n && isalnum((unsigned char)s[c]))
		c++;
	return c == n && (c - b - 1 == 2 || c - b - 1 == 4);
}

/* Next whitespace-separated token of s[*pos..n): start in *tok, length returned. */
static size_t exim_token(const char *s, size_t n, size_t *pos, const char **tok)
{
	size_t p = *pos, start;

	while (p < n && (s[p] == ' ' || s[p] == '\t'))
		p++;
	start = p;
	while (p < n && s[p] != ' ' && s[p] != '\t')
		p++;
	*tok = s + start;
	*pos = p;
	return p - start;
}

struct exim_tally {
	long total, frozen, corrupt, bad;
	long oldest_s;
	double size_bytes;
	int in_msg, cur_frozen, cur_corrupt;
	char *first_bad;
	struct queue_domains *domains;
};

/* A header line: [age] [size] id [<sender>] [(login)] [*** frozen ***].
   Returns 1 if it was one. */
static int exim_header(struct exim_tally *t, const char *s, size_t n)
{
	size_t pos = 0, len;
	const char *tok;
	long age = -1;
	double size = -1;

	len = exim_token(s, n, &pos, &tok);
	if (len == 0)
		return 0;
	if (!exim_is_id(tok, len)) {
		age = queue_exim_age_s(tok, len);
		if (age >= 0)
			len = exim_token(s, n, &pos, &tok);
		if (!exim_is_id(tok, len)) {
			size = queue_exim_size(tok, len);
			if (size < 0)
				return 0;
			len = exim_token(s, n, &pos, &tok);
			if (!exim_is_id(tok, len))
				return 0;
		}
	}
	t->total++;
	t->in_msg = 1;
	t->cur_corrupt = 0;
	t->cur_frozen = memmem(s + pos, n - pos, "*** frozen ***", 14) != NULL;
	if (t->cur_frozen)
		t->frozen++;
	if (age > t->oldest_s)
		t->oldest_s = age;
	if (size > 0)
		t->size_bytes += size;
	return 1;
}

static void exim_line(struct exim_tally *t, const char *s, size_t n, long lineno)
{
	size_t k = 0;

	while (k < n && (s[k] == ' ' || s[k] == '\t'))
		k++;
	while (n > k && (s[n - 1] == ' ' || s[n - 1] == '\r'))
		n--;
	if (k == n) {
		t->in_msg = 0; /* the blank line after each message */
		return;
	}
	if (n - k >= 3 && memcmp(s + k, "***", 3) == 0) {
		/* "*** spool format error ***" under a header */
		if (t->in_msg && !t->cur_corrupt) {
			t->cur_corrupt = 1;
			t->corrupt++;
		}
		return;
	}
	/* recipients: eight spaces and "D " or "  "; -bpa's "+D " has seven */
	if (t->in_msg && (k >= 8 || (k == 7 && n - k > 3 && memcmp(s + k, "+D ", 3) == 0))) {
		const char *a = s + k;
		size_t alen = n - k;
		int delivered = 0;

		if (alen > 2 && a[0] == 'D' && a[1] == ' ') {
			delivered = 1;
		} else if (alen > 3 && a[0] == '+' && a[1] == 'D' && a[2] == ' ') {
			delivered = 1;
		}
		if (!delivered && !t->cur_frozen)
			queue_domains_add(t->domains, a, alen);
		return;
	}
	if (exim_header(t, s, n))
		return;
	t->bad++;
	if (t->first_bad == NULL)
		t->first_bad = xasprintf("line %ld: %.*s", lineno, (int)(n > 120 ? 120 : n), s);
}

int queue_exim_parse(const char *text, size_t len, int truncated, struct obs *o)
{
	struct exim_tally t;
	size_t pos = 0;
	long lineno = 0;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	t.domains = queue_domains_new();
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (nl == NULL && truncated)
			break;
		exim_line(&t, line, n, lineno);
	}
	if (t.total == 0 && t.bad > 0) {
		obs_error(o, "exim -bp: unrecognised output (%s)", t.first_bad);
		rc = -1;
	} else {
		obs_metric(o, "total", (double)t.total);
		obs_metric(o, "hold", (double)t.frozen);
		obs_metric(o, "deferred", (double)(t.total - t.frozen));
		obs_metric(o, "corrupt", (double)t.corrupt);
		obs_metric(o, "oldest_age_s", (double)t.oldest_s);
		obs_metric(o, "size_bytes", t.size_bytes);
		obs_metric(o, "bad_lines", (double)t.bad);
		queue_domains_report(t.domains, o);
		if (truncated)
			obs_factf(o, "truncated",
				  "listing larger than max_output; counts are lower bounds");
	}
	free(t.first_bad);
	queue_domains_free(t.domains);
	return rc;
}

void queue_exim_run(const struct queue_conf *c, const struct target *t, struct obs *o)
{
	const char *argv[] = { c->exim, "-bp", NULL };
	struct subproc_result res;

	if (probe_exec(argv, t->timeout_ms, c->max_output > 0 ? (size_t)c->max_output : 0, &res,
		       o) < 0)
		return;
	queue_exim_parse(res.out, res.out_len, res.out_truncated, o);
	subproc_result_free(&res);
}
