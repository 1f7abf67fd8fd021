/*
 * proc.h - the program under test as a child process: start it, wait for
 * its ready line, sample it through /proc, stop it with SIGTERM (and
 * SIGKILL when it will not stop), and run short helper commands (vgdb)
 * with a deadline.
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
	int out_fd;	 /* read end of the program's stdout, -1 when closed */
	int log_fd;	 /* the program's stderr, and its stdout after the ready line */
	pthread_t drain; /* copies stdout to the log after the ready line */
	bool draining;
	bool exited;	 /* reaped (or gone); status holds the wait status */
	int status;	 /* the wait status, or LC_STATUS_UNKNOWN */
	char ready[256]; /* the ready line, without its newline */
};

/* Milliseconds from a monotonic clock. */
long lc_now_ms(void);
/* Sleeps ms milliseconds (restarting after signals). */
void lc_sleep_ms(long ms);

/*
 * Starts argv[0] (searched in PATH) with stdin from /dev/null, stdout into
 * a pipe and stderr appended to log_path, in environment envp (NULL: the
 * harness's own). The child gets SIGKILL if the harness dies first, so no
 * server outlives a killed check. Returns 0, LL_EIO (the log or pipe could
 * not be made, or fork failed). An exec failure shows as the child exiting
 * with status 127.
 */
int lc_proc_start(struct lc_proc *p, char *const argv[], char *const envp[], const char *log_path);

/*
 * Reads stdout until the line "leaklab: listening on HOST:PORT" arrives
 * or timeout_ms pass. Lines before it are copied to the log. On success
 * the port goes to *port and a thread starts copying the rest of stdout to
 * the log (so the program never blocks on a full pipe). Returns 0,
 * LL_ETIMEDOUT, LL_ECLOSED (stdout closed: the program exited or crashed;
 * p->exited and p->status tell how if it was reaped), LL_EPROTO (a
 * malformed ready line), LL_EIO (poll failed).
 */
int lc_proc_wait_ready(struct lc_proc *p, int timeout_ms, unsigned *port);

/*
 * True while the program runs. Reaps it (setting exited/status) if it has
 * ended; if waitpid fails (the program is not the harness's child any
 * more) it counts as ended with status LC_STATUS_UNKNOWN.
 */
bool lc_proc_running(struct lc_proc *p);

/*
 * Samples threads, fds and VmRSS of pid from /proc into pt (heap and lost
 * are left alone). Returns 0, or LL_ECLOSED if the process is gone or a
 * zombie.
 */
int lc_proc_sample(pid_t pid, struct lc_point *pt);

/*
 * Sends SIGTERM and waits up to timeout_ms for the exit; then SIGKILL.
 * *killed tells whether SIGKILL was needed. Afterwards p->exited is true
 * and p->status is the wait status (LC_STATUS_UNKNOWN when waitpid could
 * not tell). Returns 0.
 */
int lc_proc_stop(struct lc_proc *p, int timeout_ms, bool *killed);

/*
 * Releases everything: kills (SIGKILL) and reaps a program still running,
 * joins the drain thread, closes the fds. Safe to call twice.
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
