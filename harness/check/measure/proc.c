/*
 * proc.c - the child process: spawn, ready line, /proc samples, stop.
 *
 * Every wait here has a deadline: a check must end even when the program
 * under test hangs, crashes or never starts. Under Valgrind the child's
 * PID is valgrind's, which execs the tool in place, so /proc/PID and
 * signals reach the program itself.
 *
 * The harness owns what the program starts. The program leads a process
 * group of its own and carries a token in its environment (LEAKLAB_PROC),
 * which its descendants inherit; when it ends, every process found by
 * either is named and killed. The process group alone would miss a
 * daemon that called setsid(); the token alone, one that cleared its
 * environment; together they miss only a program that does both.
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

#include <leaklab/alloc.h>
#include <leaklab/app.h>
#include <leaklab/error.h>

/* The programs' ready line, defined once beside the code that prints it. */
#define READY_PREFIX LL_APP_READY_PREFIX
/* The environment variable that marks a program and its descendants. */
#define TOKEN_VAR "LEAKLAB_PROC="
/* How often the drain thread looks at its stop flag while stdout is quiet. */
#define DRAIN_POLL_MS 100

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

	/* A group of its own: the parent sets it too, whichever runs first. */
	if (setpgid(0, 0) != 0)
		_exit(127);
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
	execvpe(argv[0], argv, envp);
	_exit(127);
}

/*
 * The program's environment: envp (or the harness's own) without any
 * LEAKLAB_PROC it carried, plus var. Made before fork, since the child of
 * a threaded process may not allocate. The strings are borrowed; free the
 * array with ll_free. NULL when out of memory.
 */
static char **env_with(char *const envp[], char *var)
{
	char *const *src = envp ? envp : environ;
	size_t n = 0, i, k = 0;
	char **env;

	while (src[n])
		n++;
	env = ll_calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(src[i], TOKEN_VAR, strlen(TOKEN_VAR)) != 0)
			env[k++] = src[i];
	env[k] = var;
	return env;
}

int lc_proc_start(struct lc_proc *p, char *const argv[], char *const envp[], const char *log_path)
{
	static unsigned starts;
	int pipefd[2] = {-1, -1};
	int null_fd = -1;
	pid_t parent = getpid();
	char var[sizeof(TOKEN_VAR) + sizeof(p->token)];
	char **env;
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->pgid = -1;
	p->out_fd = -1;
	snprintf(p->token, sizeof(p->token), "%d.%u.%ld", (int)parent,
		 __atomic_add_fetch(&starts, 1, __ATOMIC_RELAXED), lc_now_ms());
	snprintf(var, sizeof(var), "%s%s", TOKEN_VAR, p->token);
	env = env_with(envp, var);
	if (!env)
		return LL_ENOMEM;
	p->log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (p->log_fd < 0)
		goto out_free_env;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0)
		goto out_close_log;
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		goto out_close_null;
	pid = fork();
	if (pid < 0)
		goto out_close_pipe;
	if (pid == 0)
		exec_child(argv, env, null_fd, pipefd[1], p->log_fd, parent);
	/* Fails only once the child has exec'd, when it has done so itself. */
	setpgid(pid, pid);
	close(pipefd[1]);
	close(null_fd);
	ll_free(env);
	p->pid = pid;
	p->pgid = pid;
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
out_free_env:
	ll_free(env);
	return LL_EIO;
}

/*
 * Copies stdout to the log until end of file, or until it is told to stop
 * and stdout has been quiet for a poll: something the program started may
 * hold the pipe open for good, and a read would never end.
 */
static void *drain_main(void *arg)
{
	struct lc_proc *p = arg;
	char buf[4096];
	ssize_t n;

	for (;;) {
		struct pollfd pfd = {.fd = p->out_fd, .events = POLLIN};
		int r = poll(&pfd, 1, DRAIN_POLL_MS);

		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0) {
			if (__atomic_load_n(&p->drain_stop, __ATOMIC_ACQUIRE))
				break;
			continue;
		}
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
		/*
		 * Nothing to read and the program gone: whatever it started
		 * holds stdout (it went to the background), and no end of file
		 * will come while it does.
		 */
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)) && !lc_proc_running(p))
			return LL_ECLOSED;
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

/*
 * Fields of /proc/PID/stat (or .../task/TID/stat) after the command name,
 * which may hold spaces and parentheses: field 3 (state) is rest[0].
 * Copies the name to comm. Returns false when the file cannot be read.
 */
static bool read_stat(const char *path, char *comm, size_t comm_size, char *rest, size_t rest_size)
{
	char buf[1024], *open_paren, *close_paren;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
		return false;
	if (comm)
		snprintf(comm, comm_size, "%.*s", (int)(close_paren - open_paren - 1),
			 open_paren + 1);
	snprintf(rest, rest_size, "%s", close_paren + 2);
	return true;
}

/* The n-th space-separated field of rest (0: the state), as a number; -1 if missing. */
static long long stat_field(const char *rest, int n)
{
	const char *s = rest;

	while (n-- > 0) {
		s = strchr(s, ' ');
		if (!s)
			return -1;
		s++;
	}
	return strtoll(s, NULL, 10);
}

/* Fields of rest (state is 0): ppid 1, pgrp 2, utime 11, stime 12. */
enum { F_PGRP = 2, F_UTIME = 11, F_STIME = 12 };

/* True if the process pid's environment holds TOKEN_VAR token. */
static bool has_token(pid_t pid, const char *token)
{
	char path[64], want[sizeof(TOKEN_VAR) + 64], buf[8192];
	size_t want_len, len = 0;
	bool found = false;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	want_len = (size_t)snprintf(want, sizeof(want), "%s%s", TOKEN_VAR, token) + 1;
	/* Entries are NUL-terminated; keep a partial one across reads. */
	while (!found && (n = read(fd, buf + len, sizeof(buf) - len)) > 0) {
		size_t end = len + (size_t)n, at = 0;
		char *nul;

		while ((nul = memchr(buf + at, '\0', end - at)) != NULL) {
			size_t entry = (size_t)(nul - (buf + at)) + 1;

			if (entry == want_len && memcmp(buf + at, want, want_len) == 0) {
				found = true;
				break;
			}
			at += entry;
		}
		/* An entry longer than the buffer is not the token: drop it. */
		len = at == 0 && end == sizeof(buf) ? 0 : end - at;
		memmove(buf, buf + at, len);
	}
	close(fd);
	return found;
}

/*
 * Finds every live process other than the program itself that is in its
 * process group or carries its token, kills each with SIGKILL, and
 * describes them in p->left (if it is still empty). Returns how many.
 */
static int sweep(struct lc_proc *p)
{
	char first_comm[64] = "", path[64], comm[64], rest[512];
	pid_t first = -1;
	struct dirent *de;
	int found = 0;
	DIR *d;

	if (p->pgid <= 0)
		return 0;
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		pid_t pid = (pid_t)v;

		if (*end || v <= 0 || pid == p->pid || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if (!read_stat(path, comm, sizeof(comm), rest, sizeof(rest)) || rest[0] == 'Z')
			continue;
		if (stat_field(rest, F_PGRP) != p->pgid && !has_token(pid, p->token))
			continue;
		kill(pid, SIGKILL);
		if (found++ == 0) {
			first = pid;
			snprintf(first_comm, sizeof(first_comm), "%s", comm);
		}
	}
	closedir(d);
	/*
	 * A member forked while the scan ran goes with the group. Only while
	 * members were seen: an empty group's number may be any new
	 * process's.
	 */
	if (found)
		kill(-p->pgid, SIGKILL);
	if (found && !p->left[0])
		snprintf(p->left, sizeof(p->left), "%d process%s (PID %d, %s%s)", found,
			 found == 1 ? "" : "es", (int)first, first_comm,
			 found > 1 ? ", and more" : "");
	return found;
}

/* Records how the program ended and sweeps away what it left. */
static void ended(struct lc_proc *p, int status)
{
	p->exited = true;
	p->status = status;
	sweep(p);
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
		ended(p, status);
		return false;
	}
	if (r < 0) {
		/*
		 * Not our child any more (SIGCHLD ignored, or reaped elsewhere):
		 * it is gone, and how it ended cannot be known.
		 */
		ended(p, LC_STATUS_UNKNOWN);
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

long lc_proc_cpu_ms(pid_t pid)
{
	char path[64], rest[512];
	long long ut, st;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!read_stat(path, NULL, 0, rest, sizeof(rest)) || rest[0] == 'Z')
		return -1;
	ut = stat_field(rest, F_UTIME);
	st = stat_field(rest, F_STIME);
	if (ut < 0 || st < 0 || hz <= 0)
		return -1;
	return (long)((ut + st) * 1000 / hz);
}

/* One thread as lc_proc_busy follows it. */
struct thread_look {
	pid_t tid;
	long long ticks0, ticks; /* CPU ticks at the first and the last look */
	int running;		 /* looks that found it running or runnable (state R) */
	bool seen;		 /* seen in the current look */
};

#define MAX_TASKS 512
/* How often lc_proc_busy looks at the threads. */
#define BUSY_LOOK_MS 25

/*
 * One look at pid's threads: updates or adds each (up to MAX_TASKS).
 * Returns the number of threads seen, -1 when the program is gone.
 */
static int look(pid_t pid, struct thread_look *t, int *n, bool first)
{
	char path[96], rest[512];
	struct dirent *de;
	int seen = 0, i;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	for (i = 0; i < *n; i++)
		t[i].seen = false;
	while ((de = readdir(d)) != NULL) {
		long tid = strtol(de->d_name, NULL, 10);
		long long ticks;

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%ld/stat", (int)pid, tid);
		if (!read_stat(path, NULL, 0, rest, sizeof(rest)))
			continue;
		seen++;
		ticks = stat_field(rest, F_UTIME) + stat_field(rest, F_STIME);
		for (i = 0; i < *n && t[i].tid != (pid_t)tid; i++)
			;
		if (i == *n) {
			/* A thread born after the first look has no whole window. */
			if (!first || *n == MAX_TASKS)
				continue;
			t[i].tid = (pid_t)tid;
			t[i].ticks0 = ticks;
			t[i].running = 0;
			(*n)++;
		}
		t[i].ticks = ticks;
		t[i].seen = true;
		t[i].running += rest[0] == 'R';
	}
	closedir(d);
	return seen;
}

int lc_proc_busy(pid_t pid, int window_ms, char *buf, size_t size)
{
	struct thread_look *t;
	long hz = sysconf(_SC_CLK_TCK);
	long cpu0, cpu1, t0, wall;
	long long weak_ticks = 0;
	int n = 0, looks = 0, busy = 0, weak = 0, top = -1, threads = 0, pct, i;

	buf[0] = '\0';
	if (hz <= 0)
		return -1;
	t = ll_calloc(MAX_TASKS, sizeof(*t));
	if (!t)
		return -1;
	t0 = lc_now_ms();
	cpu0 = lc_proc_cpu_ms(pid);
	do {
		threads = look(pid, t, &n, looks == 0);
		if (threads < 0)
			break;
		looks++;
		lc_sleep_ms(BUSY_LOOK_MS);
	} while (lc_now_ms() - t0 < window_ms);
	cpu1 = lc_proc_cpu_ms(pid);
	wall = lc_now_ms() - t0;
	if (threads < 0 || cpu0 < 0 || cpu1 < 0 || wall <= 0 || looks == 0) {
		ll_free(t);
		return -1;
	}
	/*
	 * Busy: runnable at 80% of the looks or more, or at half of them while
	 * such threads together get a fifth of a core. A thread that spins is
	 * runnable all the time, even when a loaded machine gives it a sliver
	 * of a core; many spinning threads may sleep now and then on the
	 * allocator's locks, but then they get the CPU. A thread that waits is
	 * asleep at nearly every look.
	 */
	for (i = 0; i < n; i++) {
		long long used = t[i].ticks - t[i].ticks0;

		if (!t[i].seen)
			continue;
		if (t[i].running * 10 >= looks * 8) {
			busy++;
		} else if (t[i].running * 2 >= looks) {
			weak++;
			weak_ticks += used;
		}
		if (top < 0 || used > t[top].ticks - t[top].ticks0)
			top = i;
	}
	if (weak_ticks * 1000 / hz * 5 >= wall)
		busy += weak;
	pct = (int)((cpu1 - cpu0) * 100 / wall);
	if (busy > 0)
		snprintf(buf, size,
			 "%d of %d thread%s kept running (state R in /proc/PID/task/TID/stat "
			 "at %d looks over %.1f s), together %d%% of a core; the busiest, "
			 "TID %d, %lld%%",
			 busy, threads, threads == 1 ? "" : "s", looks, (double)wall / 1000.0, pct,
			 (int)t[top].tid, (t[top].ticks - t[top].ticks0) * 1000 / hz * 100 / wall);
	else
		snprintf(buf, size, "no thread kept running; %d thread%s, together %d%% of a core",
			 threads, threads == 1 ? "" : "s", pct);
	ll_free(t);
	return busy;
}

void lc_proc_where(pid_t pid, char *buf, size_t size)
{
	struct {
		char place[64];
		int n;
	} places[8];
	char path[96], rest[512];
	size_t nplaces = 0, i, len = 0;
	int total = 0, other = 0;
	struct dirent *de;
	DIR *d;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		long tid = strtol(de->d_name, NULL, 10);
		char place[64] = "";

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%ld/stat", (int)pid, tid);
		if (!read_stat(path, NULL, 0, rest, sizeof(rest)))
			continue;
		total++;
		if (rest[0] == 'R') {
			snprintf(place, sizeof(place), "running");
		} else {
			char wchan[40] = "";
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%d/task/%ld/wchan", (int)pid, tid);
			f = fopen(path, "re");
			if (f) {
				if (!fgets(wchan, sizeof(wchan), f))
					wchan[0] = '\0';
				fclose(f);
			}
			/* "0" is what a kernel that hides kernel addresses shows. */
			if (wchan[0] && strcmp(wchan, "0") != 0)
				snprintf(place, sizeof(place), "waiting in %s", wchan);
			else
				snprintf(place, sizeof(place), "in state %c", rest[0]);
		}
		for (i = 0; i < nplaces; i++)
			if (strcmp(places[i].place, place) == 0)
				break;
		if (i < nplaces) {
			places[i].n++;
		} else if (nplaces < sizeof(places) / sizeof(places[0])) {
			snprintf(places[nplaces].place, sizeof(places[nplaces].place), "%s", place);
			places[nplaces++].n = 1;
		} else {
			other++;
		}
	}
	closedir(d);
	if (total == 0)
		return;
	len = (size_t)snprintf(buf, size, "%d thread%s:", total, total == 1 ? "" : "s");
	for (i = 0; i < nplaces && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s %d %s", i ? "," : "",
					places[i].n, places[i].place);
	if (other && len < size)
		snprintf(buf + len, size - len, ", %d elsewhere", other);
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
			/* Where it hung is the student's best clue; it costs a few reads. */
			if (timeout_ms > 0)
				lc_proc_where(p->pid, p->where, sizeof(p->where));
			kill(p->pid, SIGKILL);
			while ((r = waitpid(p->pid, &status, 0)) < 0 && errno == EINTR)
				;
			ended(p, r == p->pid ? status : LC_STATUS_UNKNOWN);
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
	/* Whatever the program started goes too, even if it ended long ago. */
	sweep(p);
	/*
	 * With everything gone the drain thread sees end of file; the stop
	 * flag ends it anyway should something that escaped the sweep still
	 * hold stdout.
	 */
	if (p->draining) {
		__atomic_store_n(&p->drain_stop, 1, __ATOMIC_RELEASE);
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
