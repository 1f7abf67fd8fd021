/*
 * record.h - the data model of one check: what it is told (lc_config,
 * made by options.c from the command line and the case model) and what it
 * records (lc_run, filled by run.c, read by the judge's reports, the
 * teaching rows, the tour and the twins). Modules that read or print a
 * check include this; only those that run one need run.h.
 */
#ifndef LEAKLAB_HARNESS_RECORD_H
#define LEAKLAB_HARNESS_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "drive/behaviour.h"
#include "measure/drd.h"
#include "harness.h"
#include "measure/heapprof.h"
#include "judge/judge.h"
#include "measure/runtime.h"
#include "drive/scenario.h"
#include "drive/shutdown.h"
#include "model.h"

struct lc_config {
	const char *case_name;	  /* NULL without --case */
	const char *summary;	  /* the case's one line, or NULL */
	const char *program;	  /* set per run when --case chooses it */
	const char *leak_program; /* from the manifest */
	const char *fixed_program;
	enum lc_scenario_kind scenario; /* the first of scenarios */
	/*
	 * What every step of the load drives, in turn: the case's scenario, or
	 * for a fix every exit path it must be clean on (VERIFY), load each.
	 */
	enum lc_scenario_kind scenarios[LC_MAX_SCENARIOS];
	size_t nscenarios;
	/* The fixed variant's list, when it differs (the case's VERIFY); else 0. */
	enum lc_scenario_kind fixed_scenarios[LC_MAX_SCENARIOS];
	size_t nfixed_scenarios;
	struct lc_behaviour behaviours[LC_MAX_BEHAVIOURS]; /* checked before the load */
	size_t nbehaviours;
	struct lc_client client; /* how its clients reach the program: path, wss */
	bool verify;		 /* the course's verify: the student's program, a teaching report */
	const char *source;	 /* the program's own source file, for memcheck's frames */
	long load;
	long warmup;		  /* -1: min(load, 8) */
	unsigned expect;	  /* signals the leak variant must show natively */
	unsigned memcheck_expect; /* ... and under memcheck or DRD (the case's checker) */
	const char *request;
	const char *const *program_args; /* the program's own arguments */
	size_t nprogram_args;
	bool variants[2]; /* indexed by enum lc_variant */
	bool native, memcheck, drd;
	const char *json_path, *csv_path;
	bool quiet;
	bool keep;	      /* keep the log folder even when the check passed */
	const char *logs_dir; /* where log folders go; NULL: BUILD/logs */
	const char *valgrind, *vgdb, *suppressions;
	const char *race_suppressions; /* DRD's (harness/tools/valgrind-race.supp), or NULL */
	int settle_ms;		       /* how long counts must hold still; 0: by mode */
	int concurrency;
	/* A twin's runtime count (runtime.h), when runtime.name is set. */
	struct lc_runtime_spec runtime;
	unsigned judged;   /* the signals a fix is judged on; 0: all but runtime */
	double heap_limit; /* a fix's heap limit per client; 0: the judge's default */
	bool heap_profile; /* under memcheck: the loss records' growth from N to 2N */
	/*
	 * Under Valgrind, beside a native check of the same program (the
	 * course's verify): what the native one says already is not paid for
	 * again at Valgrind's pace. A fix's counts (threads, fds, heap) are
	 * the native check's: this run drives a quarter of its clients
	 * without settling at any load point (counts_elsewhere in struct
	 * lc_run).
	 * Otherwise (a leak variant, a heap profile, a CSV for a plot) no
	 * settled sample after each exit path (the native rows name the path
	 * that grew; each such sample of a leak costs a settling window, a
	 * second), and the idle program is watched for spinning only when it
	 * used half a core or more (the native check watches from a
	 * twentieth; a spin under Valgrind uses a whole core, a leak's timers
	 * a tenth to a third).
	 */
	bool beside_native;
	/*
	 * A fix checked natively (the course's verify): as soon as an exit
	 * path leaves a count off the baseline, or a start of the shutdown
	 * scenario a client without its 1001, one line on this descriptor
	 * says so, and the check goes on to its whole verdict; 0: none. With
	 * it, the behaviour checks run on a start of their own beside the
	 * measured one (run.c, side_start).
	 */
	int first_answer_fd;
	const char *flame_path; /* the profile as a flame graph (SVG) and collapsed stacks */
};

/* One row of the time series (--csv). */
struct lc_row {
	long t_ms;
	const char *phase; /* static string */
	long clients;	   /* served since the baseline (before it: 0) */
	long threads, fds, rss_kib;
	long long heap; /* -1 except where it was measured: base, each step, N, 2N */
	long long lost; /* the same, under memcheck only */
	long broken;	/* clients that saw broken frames so far (the race signal) */
};

/* One behaviour check's outcome. */
struct lc_behaviour_result {
	char what[200];
	bool ok;
	bool broken_frames; /* it failed on frames the server broke (the race signal) */
	bool outlives;	    /* it failed on threads that outlived their connection */
	char why[256];
};

/*
 * One exit path's share of a step: the counts after its clients left.
 * Its growth is the difference from the sample before it (the baseline,
 * or the exit path driven just before it).
 */
struct lc_path_sample {
	long threads, fds;
	long long heap; /* natively; -1 under memcheck (one leak check per load point) */
};

struct lc_run {
	enum lc_variant variant;
	enum lc_mode mode;
	const char *program;
	unsigned expect;
	long load, warmup;

	unsigned port;
	struct lc_point points[LC_NPOINTS];
	long probe_threads[LC_NPOINTS]; /* the program's own view (GET /metrics), -1 */
	long probe_fds[LC_NPOINTS];
	/* /proc's counts settled just before that request (after it: points[]) */
	long probe_before_threads[LC_NPOINTS];
	long probe_before_fds[LC_NPOINTS];
	char runtime_note[320]; /* why the runtime count is missing, if it is */
	struct lc_memcheck mc;
	struct lc_drd drd;    /* under DRD, or a Go race detector's report (gorace.h) */
	long corrupted;	      /* behaviour checks that saw broken frames */
	char heap_source[64]; /* "GET /metrics (mallinfo2)" / "memcheck via vgdb" */
	char heap_note[160];  /* why heap is missing, if it is */
	struct lc_drive_result drive;
	struct lc_behaviour_result behaviour[LC_MAX_BEHAVIOURS];
	size_t nbehaviour;
	bool behaviour_failed;
	enum lc_scenario_kind scenarios[LC_MAX_SCENARIOS]; /* what this run drove */
	size_t nscenarios;
	/* [round 0 = N, 1 = 2N][scenario index], when more than one is driven */
	struct lc_path_sample path[2][LC_MAX_SCENARIOS];
	bool paths_sampled; /* path holds a sample of every exit path */
	/*
	 * Under Valgrind beside a native check of the same file (the
	 * course's verify, beside_native): threads, fds and heap are the
	 * native check's to measure and judge, so this run drives a quarter
	 * of its clients (LC_BESIDE_LOAD_DIV) without settling at any load
	 * point (in the shutdown scenario, one start with 2N held) and judges what
	 * Valgrind alone can say, at exit: errors, lost bytes, fds left
	 * open (DRD: races).
	 */
	bool counts_elsewhere;
	/*
	 * The program is stuck: a thread spins after every client has gone,
	 * it stopped answering, or it did not stop on SIGTERM. run->error
	 * says what was seen; a fault of the program, not of the check.
	 */
	bool stuck;
	bool crashed;	  /* the program died of a signal or exited on its own */
	int crash_signal; /* the signal, or 0 */
	long held_at_end; /* connections the client still held before the stop */
	/* The shutdown scenario: one start per load point (0, N, 2N clients held). */
	bool shutdown;
	struct lc_shut_round shut[LC_NPOINTS];

	struct lc_row *rows;
	size_t nrows, caprows;
	long t0;

	/* --heap-profile under memcheck: the loss records' growth from N to 2N. */
	struct lc_heap_profile profile;
	bool profiled;	     /* profile holds the checks of a whole N-to-2N half */
	char own_source[64]; /* --source's file name, or "leak.c" / "fixed.c" with --case, or "" */

	long startup_ms, duration_ms;
	double first_answer_at; /* when the first answer was written (epoch seconds), or 0 */
	bool killed;		/* needed SIGKILL after SIGTERM */
	bool sanitizer_leaks;	/* an ASan build's LeakSanitizer failed the exit */
	char exit_desc[96];	/* "exit status 0" */
	bool judged;
	struct lc_verdict verdict;
	int exit_code;	     /* 0, 1, 2 */
	char error[512];     /* why the run could not be judged (exit 2) */
	char log_tail[1024]; /* the program's last words when it failed */
	char tmpdir[512];    /* this run's log folder; "" once removed */
};

/* Under Valgrind beside a native check (counts_elsewhere): the load divided by this. */
#define LC_BESIDE_LOAD_DIV 4

/* Clients before the baseline when --warmup is not given: min(load, this). */
#define LC_DEFAULT_WARMUP 8

/* What one unit of a scenario's load is: "clients", "messages", "fault walks", ... */
const char *lc_scenario_unit(enum lc_scenario_kind k);

const char *lc_variant_name(enum lc_variant v);
const char *lc_mode_name(enum lc_mode m);

#endif
