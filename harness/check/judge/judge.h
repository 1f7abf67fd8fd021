/*
 * judge.h - the verdict: does the leak reproduce, is the fix clean?
 *
 * Pure logic over the numbers a run measured; no I/O, so the unit tests can
 * feed it any situation.
 */
#ifndef LEAKLAB_HARNESS_JUDGE_H
#define LEAKLAB_HARNESS_JUDGE_H

#include <stddef.h>

#include "harness.h"

/* A leaking signal grows at least this much per client at load N... */
#define LC_MIN_PER_CLIENT_COUNT 0.5   /* threads, fds */
#define LC_MIN_PER_CLIENT_HEAP	256.0 /* bytes */
/* ...and growth at 2N is about twice the growth at N. */
#define LC_RATIO_MIN 1.5
#define LC_RATIO_MAX 2.6
/*
 * A fixed program fails when its heap grows by this many bytes per client
 * or more at both N and 2N (natively and under memcheck alike).
 */
#define LC_MAX_PER_CLIENT_HEAP_FIXED 16.0

enum lc_status {
	LC_ST_NA,      /* not measured in this mode (lost natively) */
	LC_ST_UNKNOWN, /* needed but could not be measured */
	LC_ST_LEAKS,   /* leak variant, expected: reproduced */
	LC_ST_MISSING, /* leak variant, expected: not reproduced */
	LC_ST_FLAT,    /* flat (clean for the fixed variant, info for the leak one) */
	LC_ST_GROWS,   /* grows: a failure for the fixed variant, info for the leak one */
};

struct lc_signal_result {
	bool measured;
	bool expected; /* named by --expect (leak variant) */
	double base, at_n, at_2n;
	double per_client_n; /* growth at N / N */
	double per_client;   /* growth at 2N / 2N: the number the table shows */
	double ratio;	     /* growth at 2N / growth at N; 0 when growth at N is 0 */
	enum lc_status status;
	char note[160]; /* why, in a few words, when it matters */
	bool info;	/* a fix's signal shown but not judged (judged mask) */
};

/* The most exit paths a check drives (LC_MAX_SCENARIOS, model.h). */
#define LC_JUDGE_PATHS 8

struct lc_judge_in {
	enum lc_variant variant;
	enum lc_mode mode;
	unsigned expect; /* LC_SIG_BIT mask */
	long load;	 /* N */
	struct lc_point points[LC_NPOINTS];
	const struct lc_memcheck *mc; /* NULL natively */
	const struct lc_drd *drd;     /* set under DRD only */
	/*
	 * Clients (the behaviour check's and the scenario's) that saw the
	 * server's frame stream broken: a frame their parser refused, or a
	 * message that differs from the one sent. Interleaved writes of two
	 * threads show this way without any tool: the race signal natively.
	 */
	long corrupted;
	/*
	 * What else the run saw. An ASan build's LeakSanitizer failed the
	 * program's exit: a fix may not (a leak variant may: it is evidence).
	 * Clients whose scenario went wrong after connecting: a fix that
	 * breaks the protocol is not a fix (a leak variant's are reported,
	 * not judged). client_error is the first one's words, or NULL.
	 */
	bool sanitizer_leaks;
	long clients_failed;
	const char *client_error;
	/* Why the case's feature does not work (the behaviour check), or NULL. */
	const char *behaviour_failure;
	/*
	 * The signals a fix is judged on; the others measured are shown as
	 * information. 0: every signal but runtime (the C programs). A twin
	 * names its own: a Go runtime keeps the OS threads it made, so its
	 * threads are information, and its goroutines are judged.
	 */
	unsigned judged;
	/* A fix's heap limit in bytes per client; 0: LC_MAX_PER_CLIENT_HEAP_FIXED. */
	double heap_limit;
	/* What the runtime signal is called in the verdict ("goroutines"), or NULL. */
	const char *runtime_name;
	/*
	 * A fix's threads and fds after each exit path at N and at 2N, when
	 * each was sampled (npaths > 0), and the paths' names: a count off
	 * the baseline after any one fails a fix as one at N or 2N does
	 * (the course's first answer says so the moment it is seen).
	 */
	size_t npaths;
	long path_threads[2][LC_JUDGE_PATHS], path_fds[2][LC_JUDGE_PATHS];
	const char *path_names[LC_JUDGE_PATHS];
	/*
	 * Under Valgrind beside a native check of the same fix: threads, fds,
	 * heap and a runtime count are the native check's to judge; this
	 * verdict reads Valgrind's report at exit alone.
	 */
	bool counts_elsewhere;
};

struct lc_verdict {
	struct lc_signal_result sig[LC_NSIGNALS];
	bool passed;
	int exit_code;	/* 0 passed, 1 failed, 2 could not judge */
	char line[512]; /* the one line a student reads */
};

/*
 * Judges one run into *out (zeroed first; nothing to free). Never fails;
 * in->mc must be set when mode is LC_MEMCHECK, in->drd when it is LC_DRD. out->exit_code is 0
 * (passed), 1 (failed) or 2 (something the verdict needs was not measured).
 */
void lc_judge(const struct lc_judge_in *in, struct lc_verdict *out);

/*
 * v rounded to a whole number the way the table and the verdict print it
 * (half away from zero), and never -0: both quote the same figure.
 */
double lc_round_shown(double v);

const char *lc_signal_name(enum lc_signal s);
/* What signal s counts, in a sentence a student reads (no full stop). */
const char *lc_signal_says(enum lc_signal s);

/* The rules a verdict holds a program to, each with the sentence a student reads. */
enum lc_limit {
	LC_LIMIT_LEAK_GROWS,	/* a leak variant: growth with the load */
	LC_LIMIT_FIX_FLAT,	/* a fix: back to the baseline, heap under its limit */
	LC_LIMIT_MEMCHECK_EXIT, /* a fix under memcheck: a clean exit report */
	LC_LIMIT_DRD_EXIT,	/* a fix under DRD: no race, no broken frame */
};

/*
 * The sentence of limit l into buf (no full stop); heap_limit is a fix's
 * heap limit per client, 0 for LC_MAX_PER_CLIENT_HEAP_FIXED.
 */
void lc_limit_says(enum lc_limit l, double heap_limit, char *buf, size_t size);
/*
 * Parses "threads,fds heap" (commas or spaces) into a mask; -1 on an
 * unknown name. goroutines, timers and tasks are names of runtime.
 */
long lc_parse_signals(const char *s);
/*
 * The signals a fix is judged on, given a judged mask (struct
 * lc_judge_in): the twin's own, or 0 for every signal but runtime.
 */
unsigned lc_judged_signals(unsigned judged);
const char *lc_status_text(enum lc_status st);

#endif
