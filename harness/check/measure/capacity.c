/*
 * capacity.c - whether a load fits this machine (capacity.h).
 */
#include "measure/capacity.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static bool held_kind(enum lc_scenario_kind k)
{
	return k == LC_SC_SILENT_PEER || k == LC_SC_NO_CLOSE_REPLY || k == LC_SC_SHUTDOWN;
}

static bool message_kind(enum lc_scenario_kind k)
{
	return k == LC_SC_BURST || k == LC_SC_SLOW_CONSUMER;
}

void lc_capacity_need(const struct lc_cap_run *r, struct lc_cap_need *out)
{
	bool threads = r->leak && (r->expect & LC_SIG_BIT(LC_THREADS));
	bool fds = r->leak && (r->expect & LC_SIG_BIT(LC_FDS));
	long conns = 0, kept_threads = 0;
	size_t k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < r->nscenarios; k++) {
		enum lc_scenario_kind kind = r->scenarios[k];
		/* Every step drives load units of each scenario: warm-up, N, then N more. */
		long units = kind == LC_SC_SHUTDOWN ? 2 * r->load : r->warmup + 2 * r->load;

		if (held_kind(kind)) {
			/* Open on both sides until the end (shutdown: one start's 2N). */
			out->conns_held += units;
			out->units_kept += units;
			conns += units;
			kept_threads += units;
		} else if (message_kind(kind)) {
			/* One connection's messages: a leak keeps a thread each at most. */
			if (threads) {
				out->units_kept += units;
				kept_threads += units;
			}
		} else if (threads || fds) {
			/* A leak keeps what it names, per client, until the end. */
			out->units_kept += units;
			if (fds)
				conns += units;
			if (threads)
				kept_threads += units;
		}
	}
	/* And the clients in flight, concurrency at a time, on both sides. */
	out->harness_fds =
	    r->harness_fds + LC_CAP_FDS_PER_CONN * (out->conns_held + r->concurrency);
	out->program_fds = LC_CAP_PROGRAM_FDS + LC_CAP_FDS_PER_CONN * (conns + r->concurrency);
	out->program_threads =
	    LC_CAP_PROGRAM_THREADS + LC_CAP_THREADS_PER_CONN * (kept_threads + r->concurrency);
	out->tasks = out->program_threads + r->concurrency + LC_CAP_HARNESS_THREADS;
}

/* One resource over its limit: what, how much against what, and why; returns 1. */
__attribute__((format(printf, 6, 7))) static int over(char *why, size_t size, const char *what,
						      long need, long limit, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(why, size, "%s: %ld needed, the limit is %ld ", what, need, limit);
	if (n < 0 || (size_t)n >= size)
		return 1;
	va_start(ap, fmt);
	vsnprintf(why + n, size - (size_t)n, fmt, ap);
	va_end(ap);
	return 1;
}

int lc_capacity_fit(const struct lc_cap_need *need, const struct lc_cap_limits *lim, bool valgrind,
		    char *why, size_t size)
{
	if (lim->nofile >= 0 && need->program_fds > lim->nofile)
		return over(why, size, "file descriptors of the program", need->program_fds,
			    lim->nofile,
			    "(RLIMIT_NOFILE, hard limit %ld): at 2N it keeps %ld connections "
			    "open (a socket and an eventfd each) beside its own",
			    lim->nofile_hard, (need->program_fds - LC_CAP_PROGRAM_FDS) / 2);
	if (lim->nofile >= 0 && need->harness_fds > lim->nofile)
		return over(why, size, "file descriptors of the harness", need->harness_fds,
			    lim->nofile,
			    "(RLIMIT_NOFILE, hard limit %ld): at 2N it holds %ld clients open "
			    "(a socket and an eventfd each) beside its own",
			    lim->nofile_hard, need->conns_held);
	if (valgrind && need->program_threads > LC_CAP_VALGRIND_THREADS)
		return over(why, size, "threads of the program under Valgrind",
			    need->program_threads, LC_CAP_VALGRIND_THREADS,
			    "(Valgrind's thread table, --max-threads): at 2N it keeps %ld "
			    "threads for its clients; check this load natively",
			    need->program_threads - LC_CAP_PROGRAM_THREADS);
	if (lim->max_map_count >= 0 &&
	    2 * need->program_threads + LC_CAP_MAPS_RESERVED > lim->max_map_count)
		return over(why, size, "memory mappings of the program",
			    2 * need->program_threads + LC_CAP_MAPS_RESERVED, lim->max_map_count,
			    "(vm.max_map_count): each of its %ld threads at 2N has a stack and "
			    "a guard page",
			    need->program_threads);
	if (lim->threads_max >= 0 && lim->tasks >= 0 && lim->tasks + need->tasks > lim->threads_max)
		return over(why, size, "threads on this machine", lim->tasks + need->tasks,
			    lim->threads_max,
			    "(kernel.threads-max): %ld running now, and the program's %ld and the "
			    "harness's at 2N",
			    lim->tasks, need->program_threads);
	if (lim->pid_max >= 0 && lim->tasks >= 0 && lim->tasks + need->tasks > lim->pid_max)
		return over(why, size, "process ids", lim->tasks + need->tasks, lim->pid_max,
			    "(kernel.pid_max): every thread takes one; %ld taken now, and the "
			    "program's %ld threads and the harness's at 2N",
			    lim->tasks, need->program_threads);
	if (lim->nproc >= 0 && lim->user_tasks >= 0 && lim->user_tasks + need->tasks > lim->nproc)
		return over(why, size, "threads of this user", lim->user_tasks + need->tasks,
			    lim->nproc,
			    "(RLIMIT_NPROC): %ld running now, and the program's %ld and the "
			    "harness's at 2N",
			    lim->user_tasks, need->program_threads);
	return 0;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Threads on the machine: the fourth field of /proc/loadavg is running/total. */
static long machine_tasks(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	long running, total;
	double a, b, c;

	if (!f)
		return -1;
	if (fscanf(f, "%lf %lf %lf %ld/%ld", &a, &b, &c, &running, &total) != 5)
		total = -1;
	fclose(f);
	return total;
}

static long count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* This user's threads: the tasks of every process it owns. */
static long user_tasks(uid_t uid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300];
	struct stat st;
	long n = 0, t;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s", e->d_name);
		if (stat(path, &st) != 0 || st.st_uid != uid)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", e->d_name);
		t = count_entries(path);
		if (t > 0)
			n += t;
	}
	closedir(d);
	return n;
}

static long rlim(rlim_t v)
{
	return v == RLIM_INFINITY || v > (rlim_t)LONG_MAX ? -1 : (long)v;
}

void lc_capacity_read(struct lc_cap_limits *lim)
{
	struct rlimit rl;

	memset(lim, 0, sizeof(*lim));
	lim->nofile = lim->nofile_hard = -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		lim->nofile = rlim(rl.rlim_cur);
		lim->nofile_hard = rlim(rl.rlim_max);
	}
	/* The kernel does not hold root to RLIMIT_NPROC. */
	lim->nproc = -1;
	lim->user_tasks = -1;
	if (getuid() != 0 && getrlimit(RLIMIT_NPROC, &rl) == 0 && rlim(rl.rlim_cur) >= 0) {
		lim->nproc = rlim(rl.rlim_cur);
		lim->user_tasks = user_tasks(getuid());
	}
	lim->threads_max = read_long("/proc/sys/kernel/threads-max");
	lim->pid_max = read_long("/proc/sys/kernel/pid_max");
	lim->max_map_count = read_long("/proc/sys/vm/max_map_count");
	lim->tasks = machine_tasks();
}

long lc_capacity_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rlim(rl.rlim_cur);
}

long lc_capacity_own_fds(void)
{
	long n = count_entries("/proc/self/fd");

	/* Less the one opendir itself held. */
	return n > 0 ? n - 1 : 0;
}
