/*
 * proc.h - the program under test as a child process: start it in a
 * process group of its own, wait for its ready line, sample it through
 * /proc, stop it with SIGTERM (and SIGKILL when it will not stop), sweep
 * away whatever it started, and run short helper commands (vgdb) with a
 * deadline.
 */
#ifndef LEAKLAB_HARNESS_PROC_H
#define LEAKLAB_HARNESS_PROC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "harness.h"

/*
 * The wait status of a program that ended where waitpid could not say how
 * (it was no longer the harness's child). No real wait status has all
 * bits set: it is neither an exit nor a signal.
 */
#define LC_STATUS_UNKNOWN (-1)

struct lc_proc {
	pid_t pid;	 /* -1 before start and after it was reaped */
	pid_t pgid;	 /* its process group (its own pid), -1 before start */
	int out_fd;	 /* read end of the program's stdout, -1 when closed */
	int log_fd;	 /* the program's stderr, and its stdout after the ready line */
	pthread_t drain; /* copies stdout to the log after the ready line */
	bool draining;
	int drain_stop;	 /* set (atomically) to end the drain thread */
	bool exited;	 /* reaped (or gone); status holds the wait status */
	int status;	 /* the wait status, or LC_STATUS_UNKNOWN */
	char ready[256]; /* the ready line, without its newline */
	char token[64];	 /* LEAKLAB_PROC=token in its environment, and its descendants' */
	/*
	 * What the program left running when it ended ("" when nothing): its
	 * descendants, found by process group and by the token, e.g. "1
	 * process (PID 4242, sleep)". They are killed when found.
	 */
	char left[160];
	/* Where its threads were when SIGKILL followed SIGTERM ("" if not needed). */
	char where[256];
};

/* Milliseconds from a monotonic clock. */
long lc_now_ms(void);
/* Sleeps ms milliseconds (restarting after signals). */
void lc_sleep_ms(long ms);

/*
 * Starts argv[0] (searched in PATH) with stdin from /dev/null, stdout into
 * a pipe and stderr appended to log_path, in environment envp (NULL: the
 * harness's own) plus LEAKLAB_PROC=<a token of this start>. The child
 * leads a process group of its own, so that stopping it can take whatever
 * it started along; it gets SIGKILL if the harness dies first, so no
 * server outlives a killed check. Returns 0, LL_ENOMEM, LL_EIO (the log or
 * pipe could not be made, or fork failed). An exec failure shows as the
 * child exiting with status 127.
 */
int lc_proc_start(struct lc_proc *p, char *const argv[], char *const envp[], const char *log_path);

/*
 * Reads stdout until the line "leaklab: listening on HOST:PORT" arrives
 * or timeout_ms pass. Lines before it are copied to the log. On success
 * the port goes to *port and a thread starts copying the rest of stdout to
 * the log (so the program never blocks on a full pipe). Returns 0,
 * LL_ETIMEDOUT, LL_ECLOSED (stdout closed, or the program ended while
 * something it started holds stdout: p->exited and p->status tell how if
 * it was reaped, p->left what it left running), LL_EPROTO (a malformed
 * ready line), LL_EIO (poll failed).
 */
int lc_proc_wait_ready(struct lc_proc *p, int timeout_ms, unsigned *port);

/*
 * True while the program runs. Reaps it (setting exited/status) if it has
 * ended; if waitpid fails (the program is not the harness's child any
 * more) it counts as ended with status LC_STATUS_UNKNOWN. When it has
 * ended, whatever it left running (its process group, and every process
 * carrying its token) is described in p->left and killed.
 */
bool lc_proc_running(struct lc_proc *p);

/*
 * Samples threads, fds and VmRSS of pid from /proc into pt (heap and lost
 * are left alone). Returns 0, or LL_ECLOSED if the process is gone or a
 * zombie.
 */
int lc_proc_sample(pid_t pid, struct lc_point *pt);

/*
 * The program's CPU time so far (user and system, every thread), in
 * milliseconds, from /proc/PID/stat; -1 when it is gone.
 */
long lc_proc_cpu_ms(pid_t pid);

/*
 * Watches pid's threads for window_ms (/proc/PID/task/TID/stat, a look
 * every 25 ms) and counts the busy ones: runnable (state R) at 80% of
 * the looks or more, or at half of them while getting a fifth of a core
 * together. A thread that spins is runnable all the time even when a
 * loaded machine gives it a sliver of a core; one that waits is asleep.
 * Describes what it saw into buf ("2 of 9 threads kept running (...),
 * together 180% of a core; the busiest, TID 4242, 95%"). Returns the
 * number of busy threads, or -1 when the program is gone.
 */
int lc_proc_busy(pid_t pid, int window_ms, char *buf, size_t size);

/*
 * Where pid's threads are, from /proc/PID/task/N/{stat,wchan}, counted by
 * place: "7 threads: 1 running, 5 waiting in futex_wait_queue, 1 waiting
 * in do_sys_poll". Writes "" when the program is gone.
 */
void lc_proc_where(pid_t pid, char *buf, size_t size);

/*
 * Sends SIGTERM and waits up to timeout_ms for the exit; then notes where
 * its threads were (p->where) and sends SIGKILL. *killed tells whether
 * SIGKILL was needed. Afterwards p->exited is true and p->status is the
 * wait status (LC_STATUS_UNKNOWN when waitpid could not tell), and what
 * the program started is gone (see lc_proc_running). Returns 0.
 */
int lc_proc_stop(struct lc_proc *p, int timeout_ms, bool *killed);

/*
 * Releases everything: kills (SIGKILL) and reaps a program still running,
 * kills whatever it started, ends the drain thread, closes the fds. Never
 * blocks for long, even when something the program started still holds
 * its stdout. Safe to call twice.
 */
void lc_proc_cleanup(struct lc_proc *p);

/*
 * Runs argv (searched in PATH) with its stdout captured into out (NUL
 * terminated, truncated to size - 1) and its stderr discarded, for at most
 * timeout_ms; killed after that. *status gets the wait status. Returns 0, LL_ETIMEDOUT
 * (killed), LL_EIO.
 */
int lc_run_capture(char *const argv[], int timeout_ms, char *out, size_t size, int *status);

/* Describes a wait status in words: "exit status 1", "killed by signal 11 (SIGSEGV)". */
void lc_describe_status(int status, char *buf, size_t size);

#endif
