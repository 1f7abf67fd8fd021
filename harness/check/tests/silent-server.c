/*
 * silent-server - listens on 127.0.0.1 and never says a word: the kernel
 * completes each TCP handshake into the backlog, and nothing ever reads
 * or answers. For the harness's own tests: a scenario against it must end
 * in "no verdict" (exit 2) within its deadlines, never hang, and leave no
 * process behind. SIGTERM ends it (the default action).
 */
#include <leaklab/app.h>

#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		perror("silent-server");
		return 1;
	}
	printf(LL_APP_READY_PREFIX "127.0.0.1:%u\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;)
		pause();
}
