/*
 * gate-cases - one small program per thing memcheck-run must catch or
 * let pass (harness/tools/CMakeLists.txt runs each under it).
 *
 *   gate-cases clean|reachable|lost|fd|error|exit3|term
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *kept;

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "clean";
	char *p;

	if (strcmp(what, "clean") == 0) {
		free(malloc(64));
	} else if (strcmp(what, "reachable") == 0) {
		kept = malloc(64); /* still reachable at exit: allowed */
	} else if (strcmp(what, "lost") == 0) {
		p = malloc(100);
		p[0] = 1;
		p = NULL; /* definitely lost */
	} else if (strcmp(what, "fd") == 0) {
		if (dup(1) < 0) /* left open at exit */
			return 9;
	} else if (strcmp(what, "error") == 0) {
		p = malloc(8);
		free(p);
		return p[0] == 42 ? 5 : 0; /* read after free */
	} else if (strcmp(what, "exit3") == 0) {
		return 3;
	} else if (strcmp(what, "term") == 0) {
		/* Ready, then wait for SIGTERM, which memcheck-run must pass on. */
		signal(SIGTERM, on_term);
		puts("ready");
		fflush(stdout);
		pause();
		return 4;
	}
	return 0;
}
