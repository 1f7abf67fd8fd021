/*
 * proc.c - the child process: spawn, ready line, /proc samples, stop.
 *
 * Every wait here has a deadline: a check must end even when the program
 * under test hangs, crashes or never starts. Under Valgrind the child's
 * PID is valgrind's, which execs the tool in place, so /proc/PID and
 * signals reach the program itself.
 */
#include "measure/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <leaklab/app.h>
#include <leaklab/error.h>

/* The programs' ready line, defined once beside the code that prints it. */
#define READY_PREFIX LL_APP_READY_PREFIX

long lc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lc_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * A descriptor above the standard three: fd itself, or a close-on-exec
 * copy of it. The harness may itself have been started with stdin, stdout
 * or stderr closed, and then its log or pipe can be fd 0, 1 or 2.
 */
static int above_std(int fd)
{
	return fd > 2 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/*
 * In the child between fork and exec: only async-signal-safe calls. The
 * signal mask and dispositions are reset because the harness ignores
 * SIGPIPE, and an ignored signal stays ignored across exec.
 *
 * The three sources are moved above 2 before any dup2: otherwise a source
 * that already is a standard descriptor is overwritten by an earlier dup2
 * (the log at fd 0 replaced by /dev/null), or dup2(x, x) leaves it
 * close-on-exec and it vanishes at exec. dup2 onto a different descriptor
 * clears close-on-exec on the copy, which is what the program inherits;
 * the sources themselves are all close-on-exec, and every other descriptor
 * is closed before exec.
 */
static void exec_child(char *const argv[], char *const envp[], int in_fd, int out_fd, int err_fd,
		       pid_t parent)
{
	sigset_t none;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	in_fd = above_std(in_fd);
	out_fd = above_std(out_fd);
	err_fd = above_std(err_fd);
	if (in_fd < 0 || out_fd < 0 || err_fd < 0)
		_exit(127);
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(127);
	/*
	 * Nothing else crosses exec: a descriptor the harness's own caller left
	 * open without close-on-exec (a shell's, a CI runner's) would otherwise
	 * be counted in the program's baseline, and the fds a doc quotes would
	 * depend on who started the check.
	 */
	if (close_range(3, ~0U, 0) != 0)
		_exit(127);
	execvpe(argv[0], argv, envp ? envp : environ);
	_exit(127);
}

int lc_proc_start(struct lc_proc *p, char *const argv[], char *const envp[], const char *log_path)
{
	int pipefd[2] = {-1, -1};
	int null_fd = -1;
	pid_t parent = getpid();
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->out_fd = -1;
	p->log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (p->log_fd < 0)
		return LL_EIO;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0)
		goto out_close_log;
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		goto out_close_null;
	pid = fork();
	if (pid < 0)
		goto out_close_pipe;
	if (pid == 0)
		exec_child(argv, envp, null_fd, pipefd[1], p->log_fd, parent);
	close(pipefd[1]);
	close(null_fd);
	p->pid = pid;
	p->out_fd = pipefd[0];
	return 0;

out_close_pipe:
	close(pipefd[0]);
	close(pipefd[1]);
out_close_null:
	close(null_fd);
out_close_log:
	close(p->log_fd);
	p->log_fd = -1;
	return LL_EIO;
}

static void *drain_main(void *arg)
{
	struct lc_proc *p = arg;
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = read(p->out_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* A failed write to the log only loses the program's chatter. */
		if (write(p->log_fd, buf, (size_t)n) < 0)
			continue;
	}
	return NULL;
}

/* Parses HOST:PORT after the prefix; the port follows the last colon (IPv6). */
static int parse_ready(const char *line, unsigned *port)
{
	const char *colon = strrchr(line, ':');
	char *end;
	unsigned long v;

	if (!colon || colon < line + strlen(READY_PREFIX))
		return LL_EPROTO;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || v == 0 || v > 65535)
		return LL_EPROTO;
	while (*end == ' ' || *end == '\r')
		end++;
	if (*end)
		return LL_EPROTO;
	*port = (unsigned)v;
	return 0;
}

int lc_proc_wait_ready(struct lc_proc *p, int timeout_ms, unsigned *port)
{
	long deadline = lc_now_ms() + timeout_ms;
	char buf[1024];
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = {.fd = p->out_fd, .events = POLLIN};
		long left = deadline - lc_now_ms();
		char *nl;
		ssize_t n;
		int err;

		/* Handle every complete line in the buffer. */
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			size_t line_len = (size_t)(nl - buf);

			*nl = '\0';
			if (strncmp(buf, READY_PREFIX, strlen(READY_PREFIX)) == 0) {
				size_t keep = strnlen(buf, sizeof(p->ready) - 1);

				memcpy(p->ready, buf, keep);
				p->ready[keep] = '\0';
				err = parse_ready(buf, port);
				if (err)
					return err;
				/* What came after the ready line belongs to the log. */
				if (len > line_len + 1 &&
				    write(p->log_fd, nl + 1, len - line_len - 1) < 0) {
					/* Losing chatter is harmless. */
				}
				if (pthread_create(&p->drain, NULL, drain_main, p) == 0)
					p->draining = true;
				return 0;
			}
			*nl = '\n';
			if (write(p->log_fd, buf, line_len + 1) < 0) {
				/* Losing chatter is harmless. */
			}
			memmove(buf, nl + 1, len - line_len - 1);
			len -= line_len + 1;
		}
		if (len == sizeof(buf)) {
			/* A line longer than the buffer is not the ready line. */
			if (write(p->log_fd, buf, len) < 0) {
				/* Losing chatter is harmless. */
			}
			len = 0;
		}
		if (left <= 0)
			return LL_ETIMEDOUT;
		if (poll(&pfd, 1, (int)(left < 100 ? left : 100)) < 0 && errno != EINTR)
			return LL_EIO;
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(p->out_fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* stdout closed before the ready line: give the exit a moment to show. */
			long until = lc_now_ms() + 1000;

			while (lc_proc_running(p) && lc_now_ms() < until)
				lc_sleep_ms(5);
			return LL_ECLOSED;
		}
		len += (size_t)n;
	}
}

bool lc_proc_running(struct lc_proc *p)
{
	int status;
	pid_t r;

	if (p->pid < 0 || p->exited)
		return false;
	do
		r = waitpid(p->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid) {
		p->exited = true;
		p->status = status;
		return false;
	}
	if (r < 0) {
		/*
		 * Not our child any more (SIGCHLD ignored, or reaped elsewhere):
		 * it is gone, and how it ended cannot be known.
		 */
		p->exited = true;
		p->status = LC_STATUS_UNKNOWN;
		return false;
	}
	return true;
}

int lc_proc_sample(pid_t pid, struct lc_point *pt)
{
	char path[64], line[256];
	struct dirent *de;
	long threads = -1, rss = -1, fds = 0;
	bool zombie = false;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return LL_ECLOSED;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Threads:", 8) == 0)
			threads = strtol(line + 8, NULL, 10);
		else if (strncmp(line, "VmRSS:", 6) == 0)
			rss = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "State:", 6) == 0 && strchr(line, 'Z'))
			zombie = true;
	}
	fclose(f);
	if (zombie || threads < 0)
		return LL_ECLOSED;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return LL_ECLOSED;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			fds++;
	closedir(d);

	pt->threads = threads;
	pt->fds = fds;
	pt->rss_kib = rss;
	return 0;
}

int lc_proc_stop(struct lc_proc *p, int timeout_ms, bool *killed)
{
	long deadline = lc_now_ms() + timeout_ms;
	long nap = 1;
	int status;
	pid_t r;

	*killed = false;
	if (!lc_proc_running(p))
		return 0;
	kill(p->pid, SIGTERM);
	while (lc_proc_running(p)) {
		if (lc_now_ms() >= deadline) {
			*killed = true;
			kill(p->pid, SIGKILL);
			while ((r = waitpid(p->pid, &status, 0)) < 0 && errno == EINTR)
				;
			p->exited = true;
			p->status = r == p->pid ? status : LC_STATUS_UNKNOWN;
			break;
		}
		lc_sleep_ms(nap);
		nap = nap < 20 ? nap * 2 : 20;
	}
	return 0;
}

void lc_proc_cleanup(struct lc_proc *p)
{
	bool killed;

	if (p->pid >= 0 && !p->exited)
		lc_proc_stop(p, 0, &killed);
	/* The child is gone, so the drain thread sees EOF (unless a grandchild holds it). */
	if (p->draining) {
		pthread_join(p->drain, NULL);
		p->draining = false;
	}
	if (p->out_fd >= 0) {
		close(p->out_fd);
		p->out_fd = -1;
	}
	if (p->log_fd >= 0) {
		close(p->log_fd);
		p->log_fd = -1;
	}
}

int lc_run_capture(char *const argv[], int timeout_ms, char *out, size_t size, int *status)
{
	struct lc_proc p;
	long deadline;
	size_t len = 0;
	int err = 0;
	bool killed;

	if (lc_proc_start(&p, argv, NULL, "/dev/null") != 0)
		return LL_EIO;
	deadline = lc_now_ms() + timeout_ms;
	for (;;) {
		struct pollfd pfd = {.fd = p.out_fd, .events = POLLIN};
		long left = deadline - lc_now_ms();
		char sink[512];
		char *dst = len + 1 < size ? out + len : sink;
		size_t room = len + 1 < size ? size - 1 - len : sizeof(sink);
		ssize_t n;

		if (left <= 0) {
			err = LL_ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			err = LL_EIO;
			break;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(p.out_fd, dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != sink)
			len += (size_t)n;
	}
	if (size)
		out[len] = '\0';
	/* Done reading: let it finish briefly, or kill it when it overran. */
	lc_proc_stop(&p, err ? 0 : 2000, &killed);
	*status = p.status;
	lc_proc_cleanup(&p);
	return err;
}

void lc_describe_status(int status, char *buf, size_t size)
{
	if (status == LC_STATUS_UNKNOWN)
		snprintf(buf, size, "exit status unknown (waitpid failed)");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (SIG%s)", WTERMSIG(status),
			 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
	else
		snprintf(buf, size, "wait status 0x%x", (unsigned)status);
}
