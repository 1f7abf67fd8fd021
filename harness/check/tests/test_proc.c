/*
 * test_proc.c - the child process layer: the program gets /dev/null, the
 * pipe and the log as its stdin, stdout and stderr even when the harness
 * itself runs with one of those closed, and a program that is no longer
 * the harness's child ends with an unknown status instead of a made-up one.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "measure/proc.h"

/*
 * Reports where its stdin comes from, writes to stderr, then prints the
 * ready line and waits for the stop.
 */
static char script[] = "echo \"stdin=$(readlink /proc/$$/fd/0)\" >&2; "
		       "echo to-stderr >&2; "
		       "echo 'leaklab: listening on 127.0.0.1:1'; "
		       "exec sleep 30";

static void read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	CHECK(f != NULL);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs the script with the harness's fd closed, then checks what the program got. */
static void check_with_closed(int fd)
{
	char *argv[] = {"sh", "-c", script, NULL};
	char log_path[512], text[4096];
	struct lc_proc p;
	unsigned port = 0;
	bool killed;
	int saved;

	snprintf(log_path, sizeof(log_path), "%s/test_proc.%d.log", SCRATCH_DIR, fd);
	unlink(log_path);
	saved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	CHECK(saved >= 0);
	close(fd);

	CHECK_EQ(lc_proc_start(&p, argv, NULL, log_path), 0);
	CHECK_EQ(lc_proc_wait_ready(&p, 10000, &port), 0);
	CHECK_EQ(port, 1);
	CHECK_EQ(lc_proc_stop(&p, 5000, &killed), 0);
	CHECK(!killed);
	lc_proc_cleanup(&p);

	CHECK_EQ(dup2(saved, fd), fd);
	close(saved);
	read_file(log_path, text, sizeof(text));
	if (!strstr(text, "stdin=/dev/null\n") || !strstr(text, "to-stderr\n")) {
		fprintf(stderr, "with fd %d closed the program's log holds:\n%s\n", fd, text);
		CHECK(!"the program's stdin is /dev/null and its stderr reaches the log");
	}
	unlink(log_path);
}

static void test_closed_stdin(void)
{
	check_with_closed(0);
}

static void test_closed_stdout(void)
{
	check_with_closed(1);
}

static void test_closed_stderr(void)
{
	check_with_closed(2);
}

/*
 * With SIGCHLD ignored the kernel reaps children itself and waitpid fails
 * with ECHILD: the program is gone, and its status is unknown.
 */
static void test_wait_fails(void)
{
	char *argv[] = {"sh", "-c", "exit 3", NULL};
	char log_path[512], desc[96];
	struct lc_proc p;
	long deadline;
	bool killed;

	snprintf(log_path, sizeof(log_path), "%s/test_proc.wait.log", SCRATCH_DIR);
	signal(SIGCHLD, SIG_IGN);
	CHECK_EQ(lc_proc_start(&p, argv, NULL, log_path), 0);
	deadline = lc_now_ms() + 5000;
	while (lc_proc_running(&p) && lc_now_ms() < deadline)
		lc_sleep_ms(5);
	CHECK(p.exited);
	CHECK_EQ(p.status, LC_STATUS_UNKNOWN);
	CHECK_EQ(lc_proc_stop(&p, 1000, &killed), 0);
	CHECK(!killed);
	lc_describe_status(p.status, desc, sizeof(desc));
	CHECK_STR(desc, "exit status unknown (waitpid failed)");
	lc_proc_cleanup(&p);
	signal(SIGCHLD, SIG_DFL);
	unlink(log_path);
}

int main(void)
{
	RUN(test_closed_stdin);
	RUN(test_closed_stdout);
	RUN(test_closed_stderr);
	RUN(test_wait_fails);
	return 0;
}
