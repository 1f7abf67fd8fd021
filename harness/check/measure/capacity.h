/*
 * capacity.h - whether a load fits this machine, said before a run starts.
 *
 * A check at a load the machine cannot hold used to end mid-run with
 * "connect to 127.0.0.1:PORT: input/output error" and no verdict: the
 * program (or the harness) ran out of file descriptors, threads or pids,
 * and nothing said which. Before a run, the harness works out what the
 * load needs at its peak (2N, after the warm-up) from the scenarios, the
 * signals the case's leak shows and the lib's cost of a connection, reads
 * what this machine allows, and refuses a load that cannot fit with the
 * resource, the need, the limit and why: no verdict (exit 2), the kit's
 * limit, not the program's fault.
 *
 * The arithmetic (lc_capacity_need, lc_capacity_fit) has no I/O of its
 * own; lc_capacity_read reads the limits.
 */
#ifndef LEAKLAB_HARNESS_CAPACITY_H
#define LEAKLAB_HARNESS_CAPACITY_H

#include <stdbool.h>
#include <stddef.h>

#include "drive/scenario.h"
#include "harness.h"

/*
 * What one connection costs, on either side: every ll_ws_conn has its
 * socket and the eventfd that wakes its reader (ws_conn.c), and a server
 * gives it a thread of its own.
 */
#define LC_CAP_FDS_PER_CONN	2
#define LC_CAP_THREADS_PER_CONN 1
/* What a program holds before any client: stdio, its listener, its log, the probe. */
#define LC_CAP_PROGRAM_FDS     16
#define LC_CAP_PROGRAM_THREADS 8
/* The harness's own threads beside its clients': the ticker, the drain, vgdb. */
#define LC_CAP_HARNESS_THREADS 8
/*
 * A thread's stack is two mappings (the stack and its guard page), and a
 * process may have vm.max_map_count of them; this many are left for the
 * program's code, libraries and heap.
 */
#define LC_CAP_MAPS_RESERVED 1024
/* Valgrind's thread table holds 500 threads unless --max-threads says more. */
#define LC_CAP_VALGRIND_THREADS 500

/* The scenarios, load and signals of one run (one variant, one mode). */
struct lc_cap_run {
	const enum lc_scenario_kind *scenarios;
	size_t nscenarios;
	long load, warmup;
	int concurrency;
	bool leak;	  /* the leak variant: what it leaks stays */
	unsigned expect;  /* LC_SIG_BIT mask: the signals it shows in this mode */
	bool valgrind;	  /* under memcheck or DRD */
	long harness_fds; /* descriptors the harness holds already */
};

/* What the run needs at its peak. */
struct lc_cap_need {
	long conns_held;  /* connections the harness keeps open until the end */
	long units_kept;  /* load units whose thread or fds the program keeps */
	long harness_fds; /* the harness's descriptors */
	long program_fds; /* the program's */
	long program_threads;
	long tasks; /* threads of both, each one a pid */
};

/* What this machine allows, read when the run is about to start. -1: no limit. */
struct lc_cap_limits {
	long nofile;	    /* RLIMIT_NOFILE soft (the program inherits it) */
	long nofile_hard;   /* its hard limit */
	long nproc;	    /* RLIMIT_NPROC, -1 when unlimited or not enforced (root) */
	long user_tasks;    /* this user's threads now (counted when nproc applies) */
	long threads_max;   /* kernel.threads-max */
	long pid_max;	    /* kernel.pid_max */
	long tasks;	    /* threads on the machine now (/proc/loadavg) */
	long max_map_count; /* vm.max_map_count, per process */
};

/* What r needs at 2N (pure arithmetic). */
void lc_capacity_need(const struct lc_cap_run *r, struct lc_cap_need *out);
/*
 * Whether need fits lim: 0, or 1 with why filled ("file descriptors of
 * the program: 20,016 needed, the limit is 20,000 (RLIMIT_NOFILE): ...").
 * valgrind: the run is under Valgrind (its thread table counts too).
 */
int lc_capacity_fit(const struct lc_cap_need *need, const struct lc_cap_limits *lim, bool valgrind,
		    char *why, size_t size);
/* The limits now, from getrlimit, /proc/sys and /proc/loadavg (-1 for what cannot be read). */
void lc_capacity_read(struct lc_cap_limits *lim);
/*
 * Raises this process's RLIMIT_NOFILE soft limit to its hard limit (as Go's
 * runtime does), so that programs it starts inherit it too. Returns the
 * soft limit now.
 */
long lc_capacity_raise_nofile(void);
/* The descriptors this process has open now (/proc/self/fd), or 0 if unknown. */
long lc_capacity_own_fds(void);

#endif
