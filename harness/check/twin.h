/*
 * twin.h - a case's twins: the same leak and fix in the seeds' own
 * ecosystems (Go, Node.js, Python, Java), judged by the same harness. The
 * manifest names each one (cmake/LeaklabTwin.cmake writes the lines):
 *
 *   twin.go.leak=/abs/build/bin/03-uncleared-timer-leak-go
 *   twin.go.fixed=/abs/build/bin/03-uncleared-timer-fixed-go
 *   twin.go.runtime=goroutines,/debug/pprof/goroutine?debug=1,goroutine profile: total
 *   twin.go.expect=runtime
 *   twin.go.judge=fds runtime
 *   twin.go.heap_limit=256        (optional)
 *   twin.go.load=40, twin.go.warmup=50 (optional: the case's by default)
 *   twin.go.skip=why it is not built (optional: no toolchain)
 *   twin.go.verify=bad-token connect-close (optional: the fix's exit paths,
 *                  when not the case's verify=)
 *
 * Twins run natively only: memcheck sees a Go or Node runtime, not the
 * program's own allocations.
 */
#ifndef LEAKLAB_HARNESS_TWIN_H
#define LEAKLAB_HARNESS_TWIN_H

#include <stdio.h>

#include "model.h"
#include "judge/report.h"
#include "record.h"

#define LC_MAX_TWINS 4

struct lc_twin {
	char lang[16];			/* "go", "node", "python", "java" */
	const char *leak, *fixed;	/* in the manifest's strings */
	const char *skip;		/* why it was not built, or NULL */
	struct lc_runtime_spec runtime; /* name "" when it has none */
	unsigned expect, judged;	/* LC_SIG_BIT masks */
	double heap_limit;		/* 0: the judge's default */
	long load, warmup;		/* 0 and -1: the case's own */
	/* The fix's exit paths, when the twin names its own (verify=); else 0. */
	enum lc_scenario_kind verify[LC_MAX_SCENARIOS];
	size_t nverify;
};

/*
 * The twin of language lang in m, into *out (which points into m's
 * strings: valid while m is). Returns 0, 1 when m has no such twin, or
 * LL_EINVAL (a bad line; why says which).
 */
int lc_twin_find(const struct lc_manifest *m, const char *lang, struct lc_twin *out, char *why,
		 size_t why_size);

/* The languages of m's twins, in manifest order; returns how many (at most max). */
size_t lc_twin_langs(const struct lc_manifest *m, char (*langs)[16], size_t max);

/*
 * Makes cfg check twin t: its programs, runtime count, signals and heap
 * limit; natively only. Signals the command line gave (expect_given) stay.
 */
void lc_twin_apply(const struct lc_twin *t, struct lc_config *cfg, int expect_given);

/*
 * The cross-check of a twin's run: at every load point the threads the
 * program itself reported (/metrics) must equal /proc's count, and its
 * fds be /proc's plus the request's own socket. A mismatch means the
 * harness is not measuring the runtime it talks to (a launcher script that
 * did not exec, say). Writes one line, without a newline, to out.
 * Returns 1 when they agree, 0 when not, -1 when the program reported none.
 */
int lc_twin_crosscheck(const struct lc_run *run, char *out, size_t size);

/* One case's twins in the tour: each run leak and fixed, natively. */
struct lc_twin_tour {
	size_t n;
	struct lc_twin twin[LC_MAX_TWINS];
	struct lc_run runs[LC_MAX_TWINS][2]; /* [twin][variant] */
	int ran[LC_MAX_TWINS][2];
};

/*
 * Finds every twin of the case in m (base configured for its C programs)
 * into tt, and the configuration to check each with into cfgs (for a
 * twin that was not built, t->skip says why and cfgs is unused). Returns
 * how many. The tour runs them with its other checks; free tt with
 * lc_twin_tour_free.
 */
size_t lc_twin_tour_prepare(const struct lc_manifest *m, const struct lc_config *base,
			    struct lc_twin_tour *tt, struct lc_config cfgs[LC_MAX_TWINS]);
void lc_twin_tour_free(struct lc_twin_tour *tt);

/*
 * The table across languages: per case, the growth per client of the
 * leak's signal in C beside each twin's (threads beside goroutines,
 * timers, tasks), leak and fix.
 */
void lc_twin_tour_table(FILE *out, const struct lc_tour_case *tc, const struct lc_twin_tour *tt,
			size_t n);

#endif
