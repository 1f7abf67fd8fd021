/*
 * run.h - one check of one program in one mode: start it, warm up, sample
 * the baseline, drive N and 2N clients, stop it, read memcheck, judge.
 */
#ifndef LEAKLAB_HARNESS_RUN_H
#define LEAKLAB_HARNESS_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"
#include "heapprof.h"
#include "judge.h"
#include "scenario.h"

struct lc_config {
	const char *case_name;	  /* NULL without --case */
	const char *summary;	  /* the case's one line, or NULL */
	const char *program;	  /* set per run when --case chooses it */
	const char *leak_program; /* from the manifest */
	const char *fixed_program;
	enum lc_scenario_kind scenario;
	long load;
	long warmup;		  /* -1: min(load, 8) */
	unsigned expect;	  /* signals the leak variant must show natively */
	unsigned memcheck_expect; /* ... and under memcheck */
	const char *request;
	const char *const *program_args; /* the program's own arguments */
	size_t nprogram_args;
	bool variants[2]; /* indexed by enum lc_variant */
	bool native, memcheck;
	const char *json_path, *csv_path;
	bool quiet;
	bool keep; /* keep the temporary directory (logs, XML) */
	const char *valgrind, *vgdb, *suppressions;
	int settle_ms; /* how long counts must hold still; 0: by mode */
	int concurrency;
	bool heap_profile;	/* under memcheck: the loss records' growth from N to 2N */
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
	struct lc_memcheck mc;
	char heap_source[64]; /* "GET /metrics (mallinfo2)" / "memcheck via vgdb" */
	char heap_note[160];  /* why heap is missing, if it is */
	struct lc_drive_result drive;
	long held_at_end; /* connections the client still held before the stop */

	struct lc_row *rows;
	size_t nrows, caprows;
	long t0;

	/* --heap-profile under memcheck: the loss records' growth from N to 2N. */
	struct lc_heap_profile profile;
	bool profiled;	     /* profile holds the checks of a whole N-to-2N half */
	char own_source[16]; /* "leak.c" or "fixed.c" with --case, else "" */

	long startup_ms, duration_ms;
	bool killed;	      /* needed SIGKILL after SIGTERM */
	bool sanitizer_leaks; /* an ASan build's LeakSanitizer failed the exit */
	char exit_desc[96];   /* "exit status 0" */
	bool judged;
	struct lc_verdict verdict;
	int exit_code;	     /* 0, 1, 2 */
	char error[512];     /* why the run could not be judged (exit 2) */
	char log_tail[1024]; /* the program's last words when it failed */
	char tmpdir[256];
};

/*
 * Runs one check. Fills *run (which it zeroes first); run->exit_code is
 * the outcome. Progress goes to stderr unless cfg->quiet. Returns 0, or
 * LL_ENOMEM / LL_EIO when the harness itself could not work (run->error
 * says why, exit_code is 2).
 */
int lc_run_check(const struct lc_config *cfg, enum lc_variant variant, enum lc_mode mode,
		 struct lc_run *run);
void lc_run_free(struct lc_run *run);

const char *lc_variant_name(enum lc_variant v);
const char *lc_mode_name(enum lc_mode m);

#endif
