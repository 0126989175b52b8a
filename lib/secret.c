/*
 * secret.c - reading a token or password from a file (see secret.h).
 * The buffer that held the file is wiped before it is freed.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"
#include "xmalloc.h"

char *
secret_read_file(const char *path, size_t max, char **error_r)
{
	struct stat st;
	char *buf, *s;
	ssize_t n = 0;
	size_t len = 0, lead;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*error_r = xasprintf(": %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*error_r = xstrdup(": not a regular file");
		close(fd);
		return NULL;
	}
	if (st.st_mode & S_IROTH) {
		*error_r = xstrdup(" is world-readable (chmod o-r)");
		close(fd);
		return NULL;
	}
	buf = xmalloc(max + 1);
	for (;;) {
		n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > max)
			break;
	}
	close(fd);
	if (n < 0 || len > max) {
		*error_r = n < 0 ? xasprintf(": %s", strerror(errno))
				 : xasprintf(" is larger than %zu bytes", max);
		explicit_bzero(buf, max + 1);
		free(buf);
		return NULL;
	}
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	for (lead = 0; lead < len && isspace((unsigned char)buf[lead]); lead++)
		;
	if (len == lead || memchr(buf, '\0', len) != NULL) {
		*error_r = xstrdup(" is empty or not text");
		explicit_bzero(buf, max + 1);
		free(buf);
		return NULL;
	}
	s = xstrndup(buf + lead, len - lead);
	explicit_bzero(buf, max + 1);
	free(buf);
	return s;
}
