/*
 * harness.h - the types leaklab-check's modules share.
 *
 * leaklab-check is a program, not a library, so its internal names carry
 * their own prefix, lc_ (leaklab-check), apart from libleaklab's ll_.
 *
 * The measurement model: a run samples the program at three load points,
 * the baseline (after a warm-up), after N clients and after 2N clients.
 * Every number is taken from outside the process: threads and fds from
 * /proc, heap from the program's GET /metrics (natively) or from memcheck
 * itself (under Valgrind), lost bytes from memcheck.
 */
#ifndef LEAKLAB_HARNESS_H
#define LEAKLAB_HARNESS_H

#include <stdbool.h>

enum lc_signal {
	LC_THREADS,
	LC_FDS,
	LC_HEAP,
	LC_LOST,
	/*
	 * A twin's own count from its runtime's standard tool (goroutines
	 * from pprof, Node's live timers, asyncio's tasks): harness/check/measure/runtime.h.
	 */
	LC_RUNTIME,
	LC_RACE, /* DRD's race reports, and frames a client saw broken */
	LC_NSIGNALS,
};

#define LC_SIG_BIT(s) (1u << (s))

enum lc_variant { LC_LEAK, LC_FIXED };
enum lc_mode { LC_NATIVE, LC_MEMCHECK, LC_DRD };

/* The three load points of a run. */
enum { LC_P_BASE, LC_P_N, LC_P_2N, LC_NPOINTS };

/* One sample at a load point. A value of -1 means "not measured". */
struct lc_point {
	long load;	  /* clients driven so far (not counting the warm-up) */
	long threads;	  /* /proc/PID/status Threads: */
	long fds;	  /* entries of /proc/PID/fd */
	long rss_kib;	  /* /proc/PID/status VmRSS:, for the cross-check */
	long long heap;	  /* bytes in use: probe (native) or memcheck (reachable + lost) */
	long long lost;	  /* memcheck definitely + indirectly + possibly lost, now */
	long runtime;	  /* a twin's runtime count (goroutines, timers, tasks), or -1 */
	int settle_tries; /* samples taken while settling */
	long settle_ms;	  /* how long settling took */
	bool settled;	  /* the counts stopped moving before the retries ran out */
};

/* What memcheck said at exit (from its XML and its text log). */
struct lc_memcheck {
	bool parsed;	       /* the XML was read */
	bool finished;	       /* the XML says the run FINISHED (it is complete) */
	int valgrind_version;  /* from the preamble: 3.19.0 is 31900; 0 if not found */
	long errors;	       /* non-leak errors (invalid read/write, uninitialised, ...) */
	char first_error[256]; /* "InvalidRead: Invalid read of size 4 at f (x.c:12)" */
	long long definitely;  /* bytes */
	long long indirectly;
	long long possibly;
	long long reachable;
	long leak_blocks; /* definitely + indirectly + possibly lost blocks */
	/* fds the program opened and left open (not 0-2, not inherited); -1 unknown */
	long fds_open;
	char first_fd[256]; /* the first of them, as Valgrind describes it */

	/*
	 * Where in the program's own source file memcheck saw things: the
	 * first frame of a stack that lies in the file the parse was given (a
	 * base name, such as "03-uncleared-timer.c"). "" when none was seen.
	 */
	char first_error_at[256]; /* the first error: "beat (03-uncleared-timer.c:40)" */
	char lost_at[256];	  /* the biggest lost record with such a frame */
	long long lost_at_bytes;
	char reachable_at[256]; /* the biggest still-reachable record with one */
	long long reachable_at_bytes;
};

/*
 * What Valgrind's DRD said at exit (its XML, harness/check/measure/drd.c). A race is
 * an error of kind ConflictingAccess; every other kind (a mutex or
 * condition variable misused, ...) is another error.
 */
struct lc_drd {
	bool parsed;		    /* the XML was read */
	bool finished;		    /* the XML says the run FINISHED (it is complete) */
	bool is_drd;		    /* <protocoltool> was drd */
	int valgrind_version;	    /* 3.19.0 is 31900; 0 if not found */
	long races;		    /* race reports, counted once per occurrence */
	long race_records;	    /* distinct race records (<error> elements) */
	long other_errors;	    /* occurrences of every other kind */
	char first_race[256];	    /* "Conflicting store by thread 2 at 0x... size 1" */
	char first_race_stack[512]; /* "writer_end (leak.c:70) < beat (leak.c:95) < ..." */
	char first_race_at[256];    /* its first frame in the program's own file, or "" */
	char first_other[256];	    /* "MutexErr: ..." */
};

/* The per-load heap numbers memcheck's gdbserver reports (vgdb leak_check). */
struct lc_leak_summary {
	long long definitely;
	long long indirectly;
	long long possibly;
	long long reachable;
	long long suppressed;
};

#endif
