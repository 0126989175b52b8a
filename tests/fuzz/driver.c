/*
 * driver.c - main() for the fuzz targets when they are built without
 * libFuzzer: the seed corpus plus deterministic mutations, with TAP
 * output, so that `make check` (and the ASan build) feeds every parser
 * broken input on every run.
 *
 *   fuzz-NAME               the seeds of NAME listed in tests/fuzz/seeds.txt
 *                           and every file of tests/fuzz/regressions/NAME/,
 *                           each as it is and FUZZ_MUTATIONS mutated copies
 *   fuzz-NAME PATH...       those files (directories: their files) instead,
 *                           as they are unless FUZZ_MUTATIONS is set: this
 *                           replays a crash input or a libFuzzer corpus
 *
 * Environment: FUZZ_MUTATIONS (mutations per seed, default 1000; seeds
 * over 4 KB get proportionally fewer; lower it under valgrind),
 * FUZZ_SEED (the generator's seed; fixed by default, so every run tries
 * the same inputs), FUZZ_TIMEOUT (seconds one input may take, default
 * 10, 0 for none), top_srcdir (where seeds.txt and the seeds are;
 * default the source directory the binary was built from).
 *
 * TAP, one line per seed file: "ok 3 - fuzz-exim:
 * tests/data/queue/exim-bpc.txt: 1001 inputs".  A seed glob that matches
 * nothing is "not ok" (a fixture was renamed).  Each input is written to
 * fuzz-NAME.crash in the current directory before it runs and the file
 * is removed at the end, so when an input crashes the target (signal,
 * sanitizer report) or takes longer than FUZZ_TIMEOUT, the file is left
 * behind and replays it: `fuzz-NAME fuzz-NAME.crash`.
 *
 * The mutations (bit flips, byte changes, insertions of bytes and tokens
 * such as huge numbers, deletions, truncations, duplicated chunks,
 * splices with the other seeds of the target) are driven by a splitmix64
 * generator seeded from FUZZ_SEED and the seed's path, so adding a seed
 * does not change the inputs tried on the others.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "xmalloc.h"

#ifndef FUZZ_TOP_SRCDIR
#define FUZZ_TOP_SRCDIR "."
#endif

#define DEFAULT_MUTATIONS 1000
#define DEFAULT_TIMEOUT_S 10
#define SEED_FILE_MAX FUZZ_INPUT_MAX
/* Mutated inputs grow to at most this (or twice the seed, if larger). */
#define MUTANT_MIN_CAP 8192
/* Seeds larger than this get proportionally fewer mutations, so that a
   47 KB `postconf` listing costs about as much as a small seed. */
#define SEED_FULL_MUTATIONS_LEN 4096

struct input {
	char *path; /* relative to top_srcdir when it came from seeds.txt */
	uint8_t *data;
	size_t len;
};

struct inputs {
	struct input *v;
	size_t n, cap;
};

/* Every input is written to fuzz-NAME.crash before it runs, so that
   whatever ends the process (a signal, a sanitizer report, which exits
   without a signal, a timeout, or the test harness killing it) leaves
   the input behind; the file is removed when the run ends normally. */
static int crash_fd = -1;
static char crash_path[PATH_MAX];

/* write(2) for the signal handler, which may not use stdio. */
static void
say(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

static void
on_fatal_signal(int sig)
{
	if (sig == SIGALRM) {
		say("# the input took longer than FUZZ_TIMEOUT\n");
		sig = SIGABRT;
	}
	if (crash_fd >= 0) {
		say("# the input is in ");
		say(crash_path);
		say("\n");
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* keep: write every input to the file (not when the inputs are files
   named on the command line and run as they are). */
static void
crash_open(const char *name, int keep)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGALRM};
	struct sigaction sa, old;
	char cwd[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		strcpy(cwd, ".");
	snprintf(crash_path, sizeof(crash_path), "%s/fuzz-%s.crash", cwd, name);
	if (keep) {
		crash_fd = open(crash_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (crash_fd < 0)
			printf("# %s: %s (inputs that crash will not be kept)\n", crash_path,
			       strerror(errno));
	}
	/* keep a handler a sanitizer installed: its report is worth more */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
		    !(old.sa_flags & SA_SIGINFO))
			sigaction(sigs[i], &sa, NULL);
}

static void
crash_keep(const uint8_t *data, size_t len)
{
	if (crash_fd < 0)
		return;
	if (ftruncate(crash_fd, (off_t)len) < 0 ||
	    (len > 0 && pwrite(crash_fd, data, len, 0) != (ssize_t)len)) {
		printf("# %s: %s (inputs that crash will not be kept)\n", crash_path,
		       strerror(errno));
		close(crash_fd);
		crash_fd = -1;
	}
}

static void
crash_close(void)
{
	if (crash_fd < 0)
		return;
	close(crash_fd);
	unlink(crash_path);
}

/* ---- the generator ---------------------------------------------------- */

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static size_t
below(uint64_t *s, size_t n)
{
	return (size_t)(rnd(s) % n);
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* Bytes that mean something to some parser. */
static const char special_bytes[] = "\0\n\r\t \"'\\{}[]:,|=;%()/@#-+.0123456789eE<>*?!~&$";

/* Tokens that tend to break parsers: numbers at and past the limits,
   words of the formats involved, empty structures. */
/* clang-format off */
static const char *const tokens[] = {
	"0", "-1", "-0", "1e308", "-1e308", "1e-400", "nan", "NaN", "inf", "-inf", "Infinity",
	"4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
	"-9223372036854775809", "18446744073709551615", "18446744073709551616",
	"99999999999999999999999999999999", "0x7fffffff", "00000000000000000001", "1.", ".5",
	"1e", "+", "\"\"", "''", "\"\\u0000\"", "\"\\ud800\"", "\\", "{}", "[]", "{", "}", "[",
	"]", "null", "true", "false", "~", "&a", "*a", "<<: *a", "!!binary", "---", "...", "- ",
	": ", "? ", "|", ">", "#", "%s%n", "\n\n", "\r\n", " \t ", "=", "==", "=~", "/", "()",
	"defined(", "not ", " and ", " || ", "10s", "5m", "256MB", "20%", "ms", "KB",
	"'label'=1;2;3;4;5", "U", "@1:3", "~:4", "{ ", "\\040", "\xff\xfe", "\xc3\x28",
};
/* clang-format on */

static size_t
mutant_cap(size_t seed_len)
{
	size_t cap = seed_len * 2 + 1024;

	if (cap < MUTANT_MIN_CAP)
		cap = MUTANT_MIN_CAP;
	if (cap > FUZZ_INPUT_MAX)
		cap = FUZZ_INPUT_MAX;
	return cap;
}

/* Insert n bytes at pos (clipped to cap). */
static size_t
insert_bytes(uint8_t *buf, size_t len, size_t cap, size_t pos, const uint8_t *src, size_t n)
{
	if (n > cap - len)
		n = cap - len;
	if (n == 0)
		return len;
	memmove(buf + pos + n, buf + pos, len - pos);
	memmove(buf + pos, src, n);
	return len + n;
}

/* One mutation of buf[0..len) in place (capacity cap); the new length.
   others: the seeds of the target, for splicing. */
static size_t
mutate_once(uint64_t *s, uint8_t *buf, size_t len, size_t cap, const struct inputs *others)
{
	uint8_t tmp[64];
	size_t pos, n;

	switch (below(s, 12)) {
	case 0: /* flip a bit */
		if (len == 0)
			break;
		buf[below(s, len)] ^= (uint8_t)(1u << below(s, 8));
		break;
	case 1: /* any byte */
		if (len == 0)
			break;
		buf[below(s, len)] = (uint8_t)rnd(s);
		break;
	case 2: /* a byte that means something */
		if (len == 0)
			break;
		buf[below(s, len)] = (uint8_t)special_bytes[below(s, sizeof(special_bytes) - 1)];
		break;
	case 3: /* insert a few bytes */
		n = 1 + below(s, 8);
		for (size_t i = 0; i < n; i++)
			tmp[i] = below(s, 2)
			             ? (uint8_t)rnd(s)
			             : (uint8_t)special_bytes[below(s, sizeof(special_bytes) - 1)];
		len = insert_bytes(buf, len, cap, below(s, len + 1), tmp, n);
		break;
	case 4: /* insert a token */
	case 5: {
		const char *t = tokens[below(s, sizeof(tokens) / sizeof(tokens[0]))];

		len = insert_bytes(buf, len, cap, below(s, len + 1), (const uint8_t *)t, strlen(t));
		break;
	}
	case 6: /* delete a chunk */
		if (len == 0)
			break;
		pos = below(s, len);
		n = 1 + below(s, len - pos < 64 ? len - pos : 64);
		memmove(buf + pos, buf + pos + n, len - pos - n);
		len -= n;
		break;
	case 7: /* truncate */
		len = below(s, len + 1);
		break;
	case 8: /* duplicate a chunk somewhere else */
		if (len == 0)
			break;
		pos = below(s, len);
		n = 1 + below(s, len - pos < sizeof(tmp) ? len - pos : sizeof(tmp));
		memcpy(tmp, buf + pos, n);
		len = insert_bytes(buf, len, cap, below(s, len + 1), tmp, n);
		break;
	case 9: /* repeat a chunk many times (caps, quadratic loops) */
		if (len == 0 || below(s, 8) != 0)
			break;
		pos = below(s, len);
		n = 1 + below(s, len - pos < 32 ? len - pos : 32);
		memcpy(tmp, buf + pos, n);
		for (size_t i = 0, times = 16 + below(s, 2000); i < times && len < cap; i++)
			len = insert_bytes(buf, len, cap, pos, tmp, n);
		break;
	case 10: { /* splice: the tail from another seed */
		const struct input *o;

		if (others->n == 0)
			break;
		o = &others->v[below(s, others->n)];
		pos = below(s, len + 1);
		n = o->len > 0 ? below(s, o->len) : 0;
		len = pos;
		len = insert_bytes(buf, len, cap, len, o->data + n, o->len - n);
		break;
	}
	default: { /* replace a run of digits by a token number */
		const char *t;
		size_t end;

		if (len == 0)
			break;
		pos = below(s, len);
		while (pos < len && (buf[pos] < '0' || buf[pos] > '9'))
			pos++;
		if (pos == len)
			break;
		end = pos;
		while (end < len && buf[end] >= '0' && buf[end] <= '9')
			end++;
		memmove(buf + pos, buf + end, len - end);
		len -= end - pos;
		t = tokens[below(s, 20)];
		len = insert_bytes(buf, len, cap, pos, (const uint8_t *)t, strlen(t));
		break;
	}
	}
	return len;
}

/* ---- inputs ------------------------------------------------------------- */

static int
read_file(const char *path, uint8_t **data_r, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	size_t len;

	if (fp == NULL)
		return -1;
	buf = xmalloc(SEED_FILE_MAX + 1);
	len = fread(buf, 1, SEED_FILE_MAX + 1, fp);
	if (ferror(fp) || len > SEED_FILE_MAX) {
		fclose(fp);
		free(buf);
		errno = EFBIG;
		return -1;
	}
	fclose(fp);
	*data_r = xrealloc(buf, len > 0 ? len : 1);
	*len_r = len;
	return 0;
}

static void
inputs_add(struct inputs *in, const char *shown, uint8_t *data, size_t len)
{
	in->v = xgrow(in->v, &in->cap, in->n + 1, sizeof(*in->v));
	in->v[in->n].path = xstrdup(shown);
	in->v[in->n].data = data;
	in->v[in->n].len = len;
	in->n++;
}

static void
inputs_free(struct inputs *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->v[i].path);
		free(in->v[i].data);
	}
	free(in->v);
	memset(in, 0, sizeof(*in));
}

/* Add file (shown under name shown) or every regular file of directory
   path.  Returns the number of files added, or -1 after printing why. */
static long
add_path(struct inputs *in, const char *path, const char *shown)
{
	struct stat st;
	uint8_t *data;
	size_t len;

	if (stat(path, &st) < 0) {
		printf("# %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **names;
		int n = scandir(path, &names, NULL, alphasort);
		long added = 0;

		if (n < 0) {
			printf("# %s: %s\n", path, strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			if (names[i]->d_name[0] != '.' && added >= 0) {
				char *sub = xasprintf("%s/%s", path, names[i]->d_name);
				char *subshown = xasprintf("%s/%s", shown, names[i]->d_name);
				long r = add_path(in, sub, subshown);

				added = r < 0 ? -1 : added + r;
				free(sub);
				free(subshown);
			}
			free(names[i]);
		}
		free(names);
		return added;
	}
	if (read_file(path, &data, &len) < 0) {
		printf("# %s: %s\n", path, strerror(errno));
		return -1;
	}
	inputs_add(in, shown, data, len);
	return 1;
}

/* The seed globs of target (name) from seeds.txt: lines "NAME GLOB...",
   '#' comments.  Returns 0, or -1 (with a "not ok" line already counted
   in *failed_r) when a glob matches nothing or the file is unreadable. */
static int
load_seeds(const char *top, const char *name, struct inputs *in, int *failed_r)
{
	char *list = xasprintf("%s/tests/fuzz/seeds.txt", top);
	FILE *fp = fopen(list, "r");
	char line[4096];
	int rc = 0;

	if (fp == NULL) {
		printf("# %s: %s\n", list, strerror(errno));
		free(list);
		(*failed_r)++;
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *save = NULL;
		char *tok = strtok_r(line, " \t\r\n", &save);

		if (tok == NULL || tok[0] == '#' || strcmp(tok, name) != 0)
			continue;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			char *pattern = xasprintf("%s/%s", top, tok);
			size_t toplen = strlen(top) + 1;
			glob_t g;

			if (glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
				printf("# seed %s matches no file\n", tok);
				(*failed_r)++;
				rc = -1;
			} else {
				for (size_t i = 0; i < g.gl_pathc; i++)
					if (add_path(in, g.gl_pathv[i], g.gl_pathv[i] + toplen) <
					    0) {
						(*failed_r)++;
						rc = -1;
					}
			}
			globfree(&g);
			free(pattern);
		}
	}
	fclose(fp);
	free(list);
	return rc;
}

/* ---- running ------------------------------------------------------------ */

static unsigned timeout_s = DEFAULT_TIMEOUT_S;

/* Run the target on a private exact-size copy, so that the sanitizers
   see a read past the end. */
static void
run_one(const uint8_t *data, size_t len)
{
	uint8_t *copy = xmalloc(len > 0 ? len : 1);

	if (len > 0)
		memcpy(copy, data, len);
	crash_keep(data, len);
	alarm(timeout_s);
	LLVMFuzzerTestOneInput(copy, len);
	alarm(0);
	free(copy);
}

/* The seed and (mutations) mutants of it; returns how many inputs ran. */
static unsigned long
run_seed(const struct input *seed, const struct inputs *all, unsigned long mutations,
         uint64_t prng_seed)
{
	size_t cap = mutant_cap(seed->len);
	uint8_t *buf = xmalloc(cap);
	uint64_t s = prng_seed ^ fnv1a(seed->path);
	unsigned long n = 0;

	if (seed->len > SEED_FULL_MUTATIONS_LEN && mutations > 0) {
		mutations = (unsigned long)((double)mutations * SEED_FULL_MUTATIONS_LEN /
		                            (double)seed->len);
		if (mutations == 0)
			mutations = 1;
	}
	run_one(seed->data, seed->len);
	n++;
	for (unsigned long i = 0; i < mutations; i++) {
		size_t len = seed->len < cap ? seed->len : cap;
		unsigned steps = 1 + (unsigned)below(&s, 4);

		memcpy(buf, seed->data, len);
		for (unsigned k = 0; k < steps; k++)
			len = mutate_once(&s, buf, len, cap, all);
		run_one(buf, len);
		n++;
	}
	free(buf);
	return n;
}

static unsigned long
env_ulong(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long r;

	if (v == NULL || *v == '\0')
		return def;
	errno = 0;
	r = strtoul(v, &end, 0);
	if (errno != 0 || *end != '\0') {
		fprintf(stderr, "%s: not a number: %s\n", name, v);
		exit(2);
	}
	return r;
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	const char *top = getenv("top_srcdir");
	const char *name;
	struct inputs in = {NULL, 0, 0};
	unsigned long mutations;
	uint64_t prng_seed;
	int failed = 0, tap = 0;

	base = base != NULL ? base + 1 : argv[0];
	name = strncmp(base, "fuzz-", 5) == 0 ? base + 5 : base;
	if (top == NULL || *top == '\0')
		top = FUZZ_TOP_SRCDIR;
	mutations = env_ulong("FUZZ_MUTATIONS", argc > 1 ? 0 : DEFAULT_MUTATIONS);
	prng_seed = (uint64_t)env_ulong("FUZZ_SEED", 0x6d78736c61UL);
	timeout_s = (unsigned)env_ulong("FUZZ_TIMEOUT", DEFAULT_TIMEOUT_S);

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (add_path(&in, argv[i], argv[i]) < 0)
				failed++;
	} else {
		char *reg = xasprintf("%s/tests/fuzz/regressions/%s", top, name);
		char *regshown = xasprintf("tests/fuzz/regressions/%s", name);
		struct stat st;

		load_seeds(top, name, &in, &failed);
		if (stat(reg, &st) == 0 && add_path(&in, reg, regshown) < 0)
			failed++;
		free(reg);
		free(regshown);
		if (in.n == 0 && failed == 0) {
			printf("# no seeds for %s in %s/tests/fuzz/seeds.txt\n", name, top);
			failed++;
		}
	}

	/* after reading the inputs: one of them may be an old fuzz-NAME.crash */
	crash_open(name, argc == 1 || mutations > 0);
	printf("1..%zu\n", in.n + (size_t)failed);
	for (int i = 0; i < failed; i++)
		printf("not ok %d - fuzz-%s: seed missing or unreadable\n", ++tap, name);
	fflush(stdout);
	for (size_t i = 0; i < in.n; i++) {
		unsigned long n = run_seed(&in.v[i], &in, mutations, prng_seed);

		printf("ok %d - fuzz-%s: %s: %lu inputs\n", ++tap, name, in.v[i].path, n);
		fflush(stdout);
	}
	inputs_free(&in);
	crash_close();
	return failed ? 1 : 0;
}
