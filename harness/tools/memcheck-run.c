/*
 * memcheck-run - runs one program under Valgrind memcheck and fails on
 * anything a clean program must not show: the ctest gate of every
 * memcheck test of lib/, apps/ and the harness's own tests.
 *
 *   memcheck-run [--suppressions FILE] [--keep-log] -- PROGRAM [ARGS...]
 *
 * It judges with the rule the fixed variants' checks use
 * (lc_memcheck_judge in harness/check/measure/memcheck.c), on the same
 * XML report and text log, read by the same code: any memcheck error, any
 * definitely, indirectly or possibly lost byte, any fd the program opened
 * and left open at exit (Valgrind 3.19 reports those only in its text
 * log). Still reachable bytes are allowed (stdio's buffers are always
 * there).
 *
 * Exit 0 clean; 1 not clean; the program's own status when that is not 0
 * (128 + N for a death by signal N); 2 when the report could not be read.
 * SIGTERM and SIGINT are passed on to the program, so whoever stops this
 * stops the program under test the way it would stop it alone.
 */
#include "measure/memcheck.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <leaklab/alloc.h>

#ifndef LEAKLAB_VALGRIND
#define LEAKLAB_VALGRIND "valgrind"
#endif

static volatile sig_atomic_t child = -1;

static void pass_on(int sig)
{
	if (child > 0)
		kill((pid_t)child, sig);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: memcheck-run [--suppressions FILE] [--keep-log] -- PROGRAM [ARGS...]\n");
	return 2;
}

/* The log's summary lines, or all of it. */
static void show_log(const char *path, bool whole)
{
	char line[1024];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (whole || strstr(line, "ERROR SUMMARY") || strstr(line, "in use at exit") ||
		    strstr(line, "FILE DESCRIPTORS"))
			fputs(line, stderr);
	fclose(f);
}

static int run(char **argv, int *status)
{
	struct sigaction sa = {.sa_handler = pass_on};
	pid_t pid;

	sigemptyset(&sa.sa_mask);
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "memcheck-run: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	child = pid;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return errno;
	return 0;
}

int main(int argc, char **argv)
{
	char dir[256], xml[300], log[300], why[1024];
	struct lc_valgrind_opts o = {.valgrind = LEAKLAB_VALGRIND, .no_gdbserver = true};
	struct lc_memcheck mc;
	const char *tmp = getenv("TMPDIR");
	bool keep = false;
	char **vg;
	int i, status, rc, verdict;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--suppressions") == 0 && i + 1 < argc) {
			o.suppressions = argv[++i];
		} else if (strcmp(argv[i], "--keep-log") == 0) {
			keep = true;
		} else {
			i += strcmp(argv[i], "--") == 0;
			break;
		}
	}
	if (i >= argc)
		return usage();
	snprintf(dir, sizeof(dir), "%s/memcheck-run.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "memcheck-run: mkdtemp %s: %s\n", dir, strerror(errno));
		return 2;
	}
	snprintf(xml, sizeof(xml), "%s/report.xml", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	o.xml_file = xml;
	o.log_file = log;
	vg = lc_valgrind_argv(&o, argv + i);
	if (!vg) {
		fprintf(stderr, "memcheck-run: out of memory\n");
		return 2;
	}
	rc = run(vg, &status);
	lc_valgrind_argv_free(vg);
	if (rc) {
		fprintf(stderr, "memcheck-run: cannot run valgrind: %s\n", strerror(rc));
		return 2;
	}
	rc = 0;
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "memcheck-run: the program died of signal %d\n", WTERMSIG(status));
		rc = 128 + WTERMSIG(status);
	} else if (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != LC_MEMCHECK_ERROR_EXIT) {
		fprintf(stderr, "memcheck-run: the program exited with status %d\n",
			WEXITSTATUS(status));
		rc = WEXITSTATUS(status);
	}
	if (lc_memcheck_parse_xml(xml, NULL, &mc) != 0 || !mc.finished)
		mc.parsed = false;
	else if (lc_memcheck_parse_log(log, &mc) != 0)
		mc.fds_open = -1;
	verdict = lc_memcheck_judge(&mc, true, why, sizeof(why));
	if (verdict != 0)
		fprintf(stderr, "memcheck-run: %s: %s\n", verdict == 1 ? "not clean" : "no verdict",
			why);
	else
		fprintf(stderr,
			"memcheck-run: clean: 0 errors, 0 bytes lost, no fd left open "
			"(%lld bytes still reachable)\n",
			mc.reachable);
	if (rc == 0)
		rc = verdict;
	show_log(log, rc != 0 || keep);
	unlink(xml);
	unlink(log);
	rmdir(dir);
	return rc;
}
