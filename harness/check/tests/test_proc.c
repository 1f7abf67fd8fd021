/*
 * test_proc.c - the child process layer: the program gets /dev/null, the
 * pipe and the log as its stdin, stdout and stderr even when the harness
 * itself runs with one of those closed, a program that is no longer the
 * harness's child ends with an unknown status instead of a made-up one,
 * and nothing a program starts outlives it: a program that goes to the
 * background (forks its server and exits) is named within seconds, never
 * hangs the harness, and leaves nothing running, even past setsid().
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leaklab/error.h>

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

/* The PID a script wrote into path, or -1. */
static pid_t read_pid(const char *path)
{
	long deadline = lc_now_ms() + 5000;
	char text[64] = "";

	while (lc_now_ms() < deadline) {
		FILE *f = fopen(path, "re");

		if (f) {
			bool got = fgets(text, sizeof(text), f) && strchr(text, '\n');

			fclose(f);
			if (got)
				return (pid_t)strtol(text, NULL, 10);
		}
		lc_sleep_ms(10);
	}
	return -1;
}

/* True once pid is gone (or a zombie: killed, waiting for init to reap it). */
static bool gone(pid_t pid)
{
	char path[64], line[256];
	long deadline = lc_now_ms() + 2000;

	while (lc_now_ms() < deadline) {
		bool zombie = false, found = false;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		f = fopen(path, "re");
		if (!f)
			return true;
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "State:", 6) == 0) {
				found = true;
				zombie = strchr(line, 'Z') != NULL;
			}
		fclose(f);
		if (!found || zombie)
			return true;
		lc_sleep_ms(20);
	}
	return false;
}

/*
 * Runs script (which writes the PID of what it leaves behind to $1), waits
 * for the ready line and stops it; checks that the harness was told within
 * seconds what the program left running, and that it is gone afterwards.
 * want_ready: the script prints the ready line (from the background).
 */
static void check_left_behind(const char *name, const char *script_text, bool want_ready)
{
	char log_path[512], pid_path[512];
	char *argv[] = {"sh", "-c", (char *)script_text, "sh", pid_path, NULL};
	struct lc_proc p;
	unsigned port = 0;
	long t0, waited, stopped;
	bool killed;
	pid_t child;
	int err;

	snprintf(log_path, sizeof(log_path), "%s/test_proc.%s.log", SCRATCH_DIR, name);
	snprintf(pid_path, sizeof(pid_path), "%s/test_proc.%s.pid", SCRATCH_DIR, name);
	unlink(pid_path);
	t0 = lc_now_ms();
	CHECK_EQ(lc_proc_start(&p, argv, NULL, log_path), 0);
	child = read_pid(pid_path);
	CHECK(child > 0);
	err = lc_proc_wait_ready(&p, 10000, &port);
	waited = lc_now_ms() - t0;
	if (want_ready && err == 0) {
		/* The ready line came from the background: the program is gone all the same. */
		long deadline = lc_now_ms() + 5000;

		while (lc_proc_running(&p) && lc_now_ms() < deadline)
			lc_sleep_ms(10);
		waited = lc_now_ms() - t0;
	} else {
		CHECK_EQ(err, LL_ECLOSED);
	}
	CHECK(!lc_proc_running(&p));
	CHECK(p.exited);
	printf("  %s: the program ended after %ld ms; it left %s\n", name, waited,
	       p.left[0] ? p.left : "nothing");
	fflush(stdout);
	CHECK(waited < 5000);
	CHECK(p.left[0] != '\0');
	CHECK_EQ(lc_proc_stop(&p, 1000, &killed), 0);
	lc_proc_cleanup(&p);
	stopped = lc_now_ms() - t0;
	CHECK(stopped < 6000);
	CHECK(gone(child));
	unlink(pid_path);
	unlink(log_path);
}

/* Forks sleep 600 and exits, before any ready line ("no ready line within 10 s" before). */
static void test_forks_sleep(void)
{
	check_left_behind("forks-sleep", "sleep 600 & echo $! >\"$1\"; exit 0", false);
}

/* A daemonising server: the background child prints the ready line and serves. */
static void test_daemonises(void)
{
	check_left_behind("daemonises",
			  "sh -c 'echo $$ >\"$1\"; echo \"leaklab: listening on 127.0.0.1:1\"; "
			  "exec sleep 600' sh \"$1\" & exit 0",
			  true);
}

/* A daemon that leaves the process group with setsid: its token still names it. */
static void test_setsid(void)
{
	check_left_behind("setsid",
			  "setsid sh -c 'echo $$ >\"$1\"; exec sleep 600' sh \"$1\" </dev/null "
			  ">/dev/null 2>&1 & sleep 0.2; exit 0",
			  false);
}

/*
 * A program that starts a helper and stops on SIGTERM without it: the
 * helper goes with the stop.
 */
static void test_stop_takes_group(void)
{
	char log_path[512], pid_path[512];
	char *argv[] = {"sh",
			"-c",
			"sleep 600 & echo $! >\"$1\"; echo 'leaklab: listening on 127.0.0.1:1'; "
			"wait",
			"sh",
			pid_path,
			NULL};
	struct lc_proc p;
	unsigned port = 0;
	bool killed;
	pid_t child;

	snprintf(log_path, sizeof(log_path), "%s/test_proc.group.log", SCRATCH_DIR);
	snprintf(pid_path, sizeof(pid_path), "%s/test_proc.group.pid", SCRATCH_DIR);
	unlink(pid_path);
	CHECK_EQ(lc_proc_start(&p, argv, NULL, log_path), 0);
	CHECK_EQ(lc_proc_wait_ready(&p, 10000, &port), 0);
	child = read_pid(pid_path);
	CHECK(child > 0);
	CHECK_EQ(p.pgid, p.pid);
	CHECK_EQ(getpgid(child), p.pid);
	CHECK_EQ(lc_proc_stop(&p, 5000, &killed), 0);
	printf("  stopped: %s; it left %s\n", killed ? "killed" : "on SIGTERM",
	       p.left[0] ? p.left : "nothing");
	fflush(stdout);
	CHECK(!killed);
	CHECK(p.left[0] != '\0');
	lc_proc_cleanup(&p);
	CHECK(gone(child));
	unlink(pid_path);
	unlink(log_path);
}

/* A busy thread shows as busy; a program that waits, as waiting, not running. */
static void test_busy_and_where(void)
{
	char *busy_argv[] = {"sh", "-c",
			     "echo 'leaklab: listening on 127.0.0.1:1'; "
			     "while :; do :; done",
			     NULL};
	char *idle_argv[] = {"sh", "-c",
			     "echo 'leaklab: listening on 127.0.0.1:1'; "
			     "exec sleep 30",
			     NULL};
	char log_path[512], why[256], where[256];
	struct lc_proc p;
	unsigned port = 0;
	bool killed;
	int busy;

	snprintf(log_path, sizeof(log_path), "%s/test_proc.busy.log", SCRATCH_DIR);
	CHECK_EQ(lc_proc_start(&p, busy_argv, NULL, log_path), 0);
	CHECK_EQ(lc_proc_wait_ready(&p, 10000, &port), 0);
	busy = lc_proc_busy(p.pid, 500, why, sizeof(why));
	printf("  a spinning shell: %s\n", why);
	fflush(stdout);
	CHECK_EQ(busy, 1);
	CHECK(strstr(why, "1 of 1 thread kept running") == why);
	lc_proc_stop(&p, 0, &killed);
	lc_proc_cleanup(&p);

	CHECK_EQ(lc_proc_start(&p, idle_argv, NULL, log_path), 0);
	CHECK_EQ(lc_proc_wait_ready(&p, 10000, &port), 0);
	lc_sleep_ms(100);
	busy = lc_proc_busy(p.pid, 300, why, sizeof(why));
	lc_proc_where(p.pid, where, sizeof(where));
	printf("  a sleeping program: %s; %s\n", why, where);
	CHECK_EQ(busy, 0);
	CHECK(strstr(where, "1 thread:") == where);
	CHECK(strstr(where, "running") == NULL);
	CHECK_EQ(lc_proc_stop(&p, 5000, &killed), 0);
	lc_proc_cleanup(&p);
	unlink(log_path);
}

/*
 * A program that ignores SIGTERM is killed at the deadline, and where its
 * threads were then is kept for the report.
 */
static void test_stop_notes_where(void)
{
	char *argv[] = {"sh", "-c",
			"trap '' TERM; echo 'leaklab: listening on 127.0.0.1:1'; "
			"while :; do sleep 1; done",
			NULL};
	char log_path[512];
	struct lc_proc p;
	unsigned port = 0;
	bool killed;
	long t0;

	snprintf(log_path, sizeof(log_path), "%s/test_proc.term.log", SCRATCH_DIR);
	CHECK_EQ(lc_proc_start(&p, argv, NULL, log_path), 0);
	CHECK_EQ(lc_proc_wait_ready(&p, 10000, &port), 0);
	t0 = lc_now_ms();
	CHECK_EQ(lc_proc_stop(&p, 300, &killed), 0);
	printf("  ignores SIGTERM: killed after %ld ms; its threads then: %s\n", lc_now_ms() - t0,
	       p.where);
	fflush(stdout);
	CHECK(killed);
	CHECK(strstr(p.where, "1 thread: 1 ") == p.where);
	lc_proc_cleanup(&p);
	unlink(log_path);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_closed_stdin);
	RUN(test_closed_stdout);
	RUN(test_closed_stderr);
	RUN(test_wait_fails);
	RUN(test_forks_sleep);
	RUN(test_daemonises);
	RUN(test_setsid);
	RUN(test_stop_takes_group);
	RUN(test_busy_and_where);
	RUN(test_stop_notes_where);
	return check_finish();
}
