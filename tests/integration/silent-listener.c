/*
 * silent-listener.c - a TCP server for tests that accepts connections on
 * 127.0.0.1 and never says anything: the kind of target that must not
 * delay any other probe.  Prints its port on stdout, then serves until
 * killed or until the lifetime (argv[1] seconds, default 300) ends.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, one = 1, conns[256], nconn = 0;
	time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 300);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return 1;
	printf("%u\n", ntohs(sa.sin_port));
	fflush(stdout);
	while (time(NULL) < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 1000) > 0) {
			int c = accept(fd, NULL, NULL);
			if (c >= 0) {
				if (nconn == 256) {
					close(conns[0]);
					memmove(conns, conns + 1, sizeof(int) * 255);
					nconn--;
				}
				conns[nconn++] = c; /* held open, never written to */
			}
		}
	}
	return 0;
}
