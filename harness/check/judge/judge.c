/*
 * judge.c - turns three samples and memcheck's exit report into a verdict.
 *
 * A leak grows with the load: the lesson reproduces when every expected
 * signal grows by a minimum per client at N and by about twice as much at
 * 2N (so a one-off cache filling up is not mistaken for a leak). A fix
 * returns to the baseline: thread and fd counts exactly (they are settled
 * before sampling), the heap within a small per-client margin, memcheck
 * finds no error, no lost byte and no fd left open, LeakSanitizer (in an
 * ASan build) finds no leak at exit, and every client got what the
 * protocol promises.
 */
#include "judge/judge.h"
#include "measure/memcheck.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const signal_names[LC_NSIGNALS] = {
    [LC_THREADS] = "threads", [LC_FDS] = "fds",		[LC_HEAP] = "heap",
    [LC_LOST] = "lost",	      [LC_RUNTIME] = "runtime", [LC_RACE] = "race",
};

/* What each signal counts, in the words a student reads (the plan, the course). */
static const char *const signal_says[LC_NSIGNALS] = {
    [LC_THREADS] = "the program's threads (/proc/PID/status)",
    [LC_FDS] = "the program's open file descriptors (/proc/PID/fd)",
    [LC_HEAP] = "heap bytes in use (GET /metrics natively, memcheck under Valgrind)",
    [LC_LOST] = "bytes memcheck finds lost (definitely, indirectly, possibly)",
    [LC_RUNTIME] = "a twin's runtime count (goroutines, Node.js timers, asyncio tasks)",
    [LC_RACE] = "DRD's race reports, and frames a client saw broken",
};

/* What each twin's runtime count is called; all are LC_RUNTIME. */
static const char *const runtime_aliases[] = {"goroutines", "timers", "tasks"};

const char *lc_signal_name(enum lc_signal s)
{
	return (unsigned)s < LC_NSIGNALS ? signal_names[s] : "?";
}

const char *lc_signal_says(enum lc_signal s)
{
	return (unsigned)s < LC_NSIGNALS ? signal_says[s] : "?";
}

void lc_limit_says(enum lc_limit l, double heap_limit, char *buf, size_t size)
{
	switch (l) {
	case LC_LIMIT_LEAK_GROWS:
		snprintf(buf, size,
			 "each signal the leak shows grows by at least %g a client (threads, fds) "
			 "or %g bytes a client (heap) at N clients, and by %g to %g times that "
			 "at 2N",
			 LC_MIN_PER_CLIENT_COUNT, LC_MIN_PER_CLIENT_HEAP, LC_RATIO_MIN,
			 LC_RATIO_MAX);
		break;
	case LC_LIMIT_FIX_FLAT:
		snprintf(buf, size,
			 "threads and fds back to the baseline exactly, heap under %g bytes a "
			 "client",
			 heap_limit > 0 ? heap_limit : LC_MAX_PER_CLIENT_HEAP_FIXED);
		break;
	case LC_LIMIT_MEMCHECK_EXIT:
		snprintf(buf, size, "memcheck at exit: no error, no byte lost, no fd left open");
		break;
	case LC_LIMIT_DRD_EXIT:
		snprintf(buf, size,
			 "no broken frame at any client, and DRD at exit: no race, no other error");
		break;
	}
}

long lc_parse_signals(const char *s)
{
	long mask = 0;

	while (*s) {
		size_t n;
		int i;

		s += strspn(s, ", \t;");
		n = strcspn(s, ", \t;");
		if (n == 0)
			break;
		for (i = 0; i < LC_NSIGNALS; i++)
			if (strlen(signal_names[i]) == n && strncasecmp(s, signal_names[i], n) == 0)
				break;
		for (size_t a = 0;
		     i == LC_NSIGNALS && a < sizeof(runtime_aliases) / sizeof(*runtime_aliases);
		     a++)
			if (strlen(runtime_aliases[a]) == n &&
			    strncasecmp(s, runtime_aliases[a], n) == 0)
				i = LC_RUNTIME;
		if (i == LC_NSIGNALS)
			return -1;
		mask |= LC_SIG_BIT(i);
		s += n;
	}
	return mask;
}

const char *lc_status_text(enum lc_status st)
{
	switch (st) {
	case LC_ST_NA: return "n/a";
	case LC_ST_UNKNOWN: return "NOT MEASURED";
	case LC_ST_LEAKS: return "leaks (expected)";
	case LC_ST_MISSING: return "NOT REPRODUCED";
	case LC_ST_FLAT: return "flat";
	case LC_ST_GROWS: return "grows";
	}
	return "?";
}

double lc_round_shown(double v)
{
	return (double)(long long)(v < 0 ? v - 0.5 : v + 0.5);
}

/* The value of signal s at a point, or -1 if it was not measured. */
static double point_value(const struct lc_point *p, enum lc_signal s)
{
	switch (s) {
	case LC_THREADS: return (double)p->threads;
	case LC_FDS: return (double)p->fds;
	case LC_HEAP: return (double)p->heap;
	case LC_LOST: return (double)p->lost;
	case LC_RUNTIME: return (double)p->runtime;
	default: return -1;
	}
}

/* A signal's name in a verdict: the runtime count by its twin's own name. */
static const char *sig_name(const struct lc_judge_in *in, enum lc_signal s)
{
	return s == LC_RUNTIME && in->runtime_name ? in->runtime_name : lc_signal_name(s);
}

static double min_per_client(enum lc_signal s)
{
	return s == LC_HEAP ? LC_MIN_PER_CLIENT_HEAP : LC_MIN_PER_CLIENT_COUNT;
}

static void fill_numbers(const struct lc_judge_in *in, enum lc_signal s, struct lc_signal_result *r)
{
	double g1, g2;
	int i;

	r->measured = true;
	for (i = 0; i < LC_NPOINTS; i++)
		if (point_value(&in->points[i], s) < 0)
			r->measured = false;
	if (!r->measured)
		return;
	r->base = point_value(&in->points[LC_P_BASE], s);
	r->at_n = point_value(&in->points[LC_P_N], s);
	r->at_2n = point_value(&in->points[LC_P_2N], s);
	g1 = r->at_n - r->base;
	g2 = r->at_2n - r->base;
	r->per_client_n = in->load > 0 ? g1 / (double)in->load : 0;
	r->per_client = in->load > 0 ? g2 / (2.0 * (double)in->load) : 0;
	r->ratio = g1 > 0 ? g2 / g1 : 0;
}

/* Leak variant, an expected count or heap signal: big enough and scaling. */
static void judge_leak_growth(const struct lc_judge_in *in, enum lc_signal s,
			      struct lc_signal_result *r)
{
	double pc1 = r->per_client_n;

	if (pc1 < min_per_client(s)) {
		r->status = LC_ST_MISSING;
		snprintf(r->note, sizeof(r->note), "%s %+.2f/client at %ld, needs >= %g",
			 sig_name(in, s), pc1, in->load, min_per_client(s));
		return;
	}
	if (r->ratio < LC_RATIO_MIN || r->ratio > LC_RATIO_MAX) {
		r->status = LC_ST_MISSING;
		snprintf(r->note, sizeof(r->note),
			 "%s does not scale with the load: 2N/N = %.2fx, needs %.1f..%.1f",
			 sig_name(in, s), r->ratio, LC_RATIO_MIN, LC_RATIO_MAX);
		return;
	}
	r->status = LC_ST_LEAKS;
}

/*
 * Leak variant, lost bytes: memcheck must find some at exit, and where the
 * gdbserver let us look at each load point they must grow with the load.
 * The ratio is not demanded here: what is "possibly" lost while threads
 * still run can move between kinds as they block and wake.
 */
static void judge_leak_lost(const struct lc_judge_in *in, struct lc_signal_result *r)
{
	const struct lc_memcheck *mc = in->mc;
	long long at_exit = lc_memcheck_lost(mc);

	if (at_exit <= 0) {
		r->status = LC_ST_MISSING;
		snprintf(r->note, sizeof(r->note), "memcheck found no lost bytes at exit");
		return;
	}
	if (r->measured && !(r->at_2n > r->at_n && r->at_n > r->base)) {
		r->status = LC_ST_MISSING;
		snprintf(r->note, sizeof(r->note),
			 "lost bytes do not grow with the load (%.0f, %.0f, %.0f)", r->base,
			 r->at_n, r->at_2n);
		return;
	}
	r->status = LC_ST_LEAKS;
}

/*
 * Fixed variant: a count must be back to the baseline exactly, at N and
 * 2N and after every exit path sampled on the way.
 */
static void judge_fixed_count(const struct lc_judge_in *in, enum lc_signal s,
			      struct lc_signal_result *r)
{
	size_t k;
	int round;

	if (r->at_n == r->base && r->at_2n == r->base) {
		for (round = 0; round < 2 && (s == LC_THREADS || s == LC_FDS); round++)
			for (k = 0; k < in->npaths && k < LC_JUDGE_PATHS; k++) {
				long v = s == LC_THREADS ? in->path_threads[round][k]
							 : in->path_fds[round][k];

				if ((double)v == r->base)
					continue;
				r->status = LC_ST_GROWS;
				snprintf(r->note, sizeof(r->note),
					 "%s %+.0f after exit path %s at %s (back at N and 2N; "
					 "must be 0 after every path)",
					 sig_name(in, s), (double)v - r->base,
					 in->path_names[k] ? in->path_names[k] : "?",
					 round ? "2N" : "N");
				return;
			}
		r->status = LC_ST_FLAT;
		return;
	}
	r->status = LC_ST_GROWS;
	snprintf(r->note, sizeof(r->note), "%s %+.0f at N, %+.0f at 2N (must be 0)",
		 sig_name(in, s), r->at_n - r->base, r->at_2n - r->base);
}

/*
 * Fixed variant, heap: no per-client growth. Exact equality cannot be
 * promised natively (the probe's own HTTP request allocates while it
 * measures, and glibc may keep a freed chunk), but the harness starts the
 * program with one arena, no tcache and no thread-stack cache, and then a
 * real fix measures flat to the byte; under memcheck the count is exact.
 * So the limit is small: growth of LC_MAX_PER_CLIENT_HEAP_FIXED bytes per
 * client or more at both N and 2N is a leak, even one of a small struct
 * per connection. Demanding it at both points keeps a one-off step (a
 * buffer grown once) from failing a fix; a leak grows at both. The note
 * quotes the per-client growth at 2N first, the number the table shows.
 */
static void judge_fixed_heap(struct lc_signal_result *r, double limit)
{
	if (r->per_client_n < limit || r->per_client < limit) {
		r->status = LC_ST_FLAT;
		return;
	}
	r->status = LC_ST_GROWS;
	snprintf(r->note, sizeof(r->note),
		 "heap %+.0f bytes/client at 2N (%+.0f at N), must stay under %g at N or 2N",
		 lc_round_shown(r->per_client), lc_round_shown(r->per_client_n), limit);
}

/* The heap limit of a fix: the default, or the twin's own. */
static double heap_limit(const struct lc_judge_in *in)
{
	return in->heap_limit > 0 ? in->heap_limit : LC_MAX_PER_CLIENT_HEAP_FIXED;
}

/* The signals a fix is judged on: the twin's own, or all but runtime. */
unsigned lc_judged_signals(unsigned judged)
{
	return judged ? judged : ~LC_SIG_BIT(LC_RUNTIME);
}

static unsigned judged_mask(const struct lc_judge_in *in)
{
	return lc_judged_signals(in->judged);
}

/*
 * The race signal: under DRD its race reports, in every mode the clients
 * that saw broken frames. A leak
 * variant reproduces under DRD when DRD reports a race (the detector sees
 * it whether or not the wire showed it this time), natively when a client
 * saw the stream broken; a fix has neither. The numbers are counts at
 * exit, not growth with the load: one race is a bug.
 */
static void judge_race(const struct lc_judge_in *in, struct lc_signal_result *r)
{
	/* DRD's report, or natively a Go race detector's (read into the same struct). */
	const struct lc_drd *drd = in->drd;
	const char *tool = drd && !drd->is_drd ? "the race detector" : "DRD";
	long races = drd ? drd->races : 0;

	r->measured = true;
	r->at_2n = (double)(drd ? races : in->corrupted);
	if (in->mode == LC_DRD && (!drd || !drd->parsed)) {
		r->status = LC_ST_UNKNOWN;
		snprintf(r->note, sizeof(r->note), "DRD's XML could not be read");
		return;
	}
	if (in->variant == LC_LEAK && r->expected) {
		if (drd && races == 0) {
			r->status = LC_ST_MISSING;
			snprintf(r->note, sizeof(r->note), "%s reported no race", tool);
		} else if (!drd && in->corrupted == 0) {
			r->status = LC_ST_MISSING;
			snprintf(r->note, sizeof(r->note), "no client saw a broken frame");
		} else {
			r->status = LC_ST_LEAKS;
		}
		return;
	}
	r->status = races + in->corrupted > 0 ? LC_ST_GROWS : LC_ST_FLAT;
	if (r->status == LC_ST_FLAT)
		return;
	/* Cut to fit: the table and the report give the whole first race. */
	if (races > 0)
		snprintf(r->note, sizeof(r->note),
			 "%.17s reported %ld race(s), e.g. %.45s at %.45s", tool, races,
			 drd->first_race,
			 drd->first_race_at[0] ? drd->first_race_at : drd->first_race_stack);
	else
		snprintf(r->note, sizeof(r->note), "%ld client(s) saw broken frames",
			 in->corrupted);
}

static void judge_signal(const struct lc_judge_in *in, enum lc_signal s, struct lc_signal_result *r)
{
	bool memcheck = in->mode == LC_MEMCHECK && in->mc;

	memset(r, 0, sizeof(*r));
	r->expected = in->variant == LC_LEAK && (in->expect & LC_SIG_BIT(s));
	if (s == LC_RACE) {
		judge_race(in, r);
		return;
	}
	/* The counts a native check beside this one judges (counts_elsewhere). */
	if (in->counts_elsewhere && s != LC_LOST) {
		r->status = LC_ST_NA;
		return;
	}
	/* DRD replaces malloc and has no leak check: no heap, nothing lost. */
	if (in->mode == LC_DRD && (s == LC_HEAP || s == LC_LOST)) {
		r->status = LC_ST_NA;
		r->expected = false;
		return;
	}
	fill_numbers(in, s, r);

	if (s == LC_LOST) {
		if (!memcheck) {
			r->status = LC_ST_NA;
			return;
		}
		if (!in->mc->parsed) {
			r->status = LC_ST_UNKNOWN;
			snprintf(r->note, sizeof(r->note), "memcheck's XML could not be read");
			return;
		}
		if (in->variant == LC_LEAK) {
			if (r->expected) {
				judge_leak_lost(in, r);
			} else {
				r->status = lc_memcheck_lost(in->mc) > 0 ? LC_ST_GROWS : LC_ST_FLAT;
			}
			return;
		}
		r->status = lc_memcheck_lost(in->mc) > 0 ? LC_ST_GROWS : LC_ST_FLAT;
		if (r->status == LC_ST_GROWS)
			snprintf(r->note, sizeof(r->note), "memcheck: %lld bytes lost at exit",
				 lc_memcheck_lost(in->mc));
		return;
	}

	if (!r->measured) {
		/* Only what the verdict needs is an error when missing. */
		bool needed =
		    r->expected || (in->variant == LC_FIXED && (judged_mask(in) & LC_SIG_BIT(s)));

		r->status = needed ? LC_ST_UNKNOWN : LC_ST_NA;
		if (r->status == LC_ST_UNKNOWN)
			snprintf(r->note, sizeof(r->note), "%s could not be measured",
				 sig_name(in, s));
		return;
	}
	if (in->variant == LC_LEAK) {
		if (r->expected) {
			judge_leak_growth(in, s, r);
			return;
		}
		/* Informational: the signals the lesson is not about. */
		r->status = r->at_2n > r->base ? LC_ST_GROWS : LC_ST_FLAT;
		return;
	}
	if (!(judged_mask(in) & LC_SIG_BIT(s))) {
		/* Shown, not judged (a Go runtime's threads, say). */
		r->info = true;
		r->status = r->at_2n > r->base ? LC_ST_GROWS : LC_ST_FLAT;
		return;
	}
	if (s == LC_HEAP)
		judge_fixed_heap(r, heap_limit(in));
	else
		judge_fixed_count(in, s, r);
}

static void verdict_leak(const struct lc_judge_in *in, struct lc_verdict *v)
{
	bool unknown = false, missing = false;
	char why[256] = "";
	int s;

	v->line[0] = '\0';
	for (s = 0; s < LC_NSIGNALS; s++) {
		const struct lc_signal_result *r = &v->sig[s];

		if (!r->expected)
			continue;
		if (r->status == LC_ST_UNKNOWN)
			unknown = true;
		if (r->status == LC_ST_MISSING || r->status == LC_ST_UNKNOWN) {
			missing = true;
			lc_appendf(why, sizeof(why), "%s%s", why[0] ? "; " : "", r->note);
		}
	}
	if (in->mc && in->mc->errors > 0) {
		/* A leak lesson must not be a crash in disguise. */
		missing = true;
		lc_appendf(why, sizeof(why), "%smemcheck found %ld error(s), e.g. %s",
			   why[0] ? "; " : "", in->mc->errors, in->mc->first_error);
	}
	/* Nor a race lesson another threading bug in disguise. */
	if (in->mode == LC_DRD && in->drd && in->drd->other_errors > 0) {
		missing = true;
		lc_appendf(why, sizeof(why), "%sDRD found %ld error(s) besides races, e.g. %s",
			   why[0] ? "; " : "", in->drd->other_errors, in->drd->first_other);
	}
	if (in->expect == 0 ||
	    (in->mode == LC_NATIVE && (in->expect & ~LC_SIG_BIT(LC_LOST)) == 0)) {
		missing = true;
		unknown = true;
		lc_appendf(why, sizeof(why), "%sno signal to check in this mode (--expect)",
			   why[0] ? "; " : "");
	}
	if (missing) {
		v->passed = false;
		v->exit_code = unknown ? 2 : 1;
		snprintf(v->line, sizeof(v->line), "leak NOT reproduced: %s", why);
		return;
	}
	v->passed = true;
	v->exit_code = 0;
	snprintf(v->line, sizeof(v->line), "leak reproduced:");
	for (s = 0; s < LC_NSIGNALS; s++) {
		const struct lc_signal_result *r = &v->sig[s];

		if (!r->expected || r->status != LC_ST_LEAKS)
			continue;
		if (s == LC_LOST) {
			const struct lc_memcheck *mc = in->mc;

			lc_appendf(v->line, sizeof(v->line), " lost %lld bytes at exit;",
				   lc_memcheck_lost(mc));
			continue;
		}
		if (s == LC_RACE) {
			if (in->drd)
				lc_appendf(
				    v->line, sizeof(v->line), " race: %s reported %ld race(s)%s%s",
				    in->drd->is_drd ? "DRD" : "the race detector", in->drd->races,
				    in->drd->first_race_at[0] ? ", the first at " : "",
				    in->drd->first_race_at);
			if (in->corrupted > 0)
				lc_appendf(v->line, sizeof(v->line),
					   "%s %ld client(s) saw broken frames",
					   in->drd ? "," : " race:", in->corrupted);
			lc_appendf(v->line, sizeof(v->line), ";");
			continue;
		}
		if (s == LC_HEAP)
			lc_appendf(v->line, sizeof(v->line),
				   " heap %+.0f bytes/client, scales %.1fx;",
				   lc_round_shown(r->per_client), r->ratio);
		else
			lc_appendf(v->line, sizeof(v->line), " %s %+.2f/client, scales %.1fx;",
				   sig_name(in, (enum lc_signal)s), r->per_client, r->ratio);
	}
	v->line[strlen(v->line) - 1] = '\0'; /* the last separator */
}

/*
 * The words of a clean fix: "back to baseline" only when every measured
 * count and the heap are exactly where they started; a heap that moved
 * within the limit is quoted with the number the table shows.
 */
static void clean_line(const struct lc_judge_in *in, struct lc_verdict *v)
{
	const struct lc_signal_result *h = &v->sig[LC_HEAP];
	bool heap_exact = !h->measured || h->info || (h->at_n == h->base && h->at_2n == h->base);
	char counts[128] = "";
	int s;

	if (!in->judged) {
		snprintf(counts, sizeof(counts), "threads and fds");
	} else {
		/* A twin: name the counts it is judged on ("threads, fds and timers"). */
		const char *names[LC_NSIGNALS];
		int k, n = 0;

		for (s = 0; s < LC_NSIGNALS; s++)
			if (s != LC_HEAP && (in->judged & LC_SIG_BIT(s)) && v->sig[s].measured)
				names[n++] = sig_name(in, (enum lc_signal)s);
		for (k = 0; k < n; k++)
			lc_appendf(counts, sizeof(counts), "%s%s",
				   k == 0 ? "" : (k == n - 1 ? " and " : ", "), names[k]);
	}
	if (in->counts_elsewhere) {
		snprintf(v->line, sizeof(v->line),
			 "clean at exit: %s (threads, fds and heap are "
			 "the native check's)",
			 in->mode == LC_DRD ? "DRD 0 races 0 errors"
					    : "memcheck 0 errors 0 lost, no fd left open");
		return;
	}
	if (heap_exact && !in->judged)
		snprintf(v->line, sizeof(v->line), "clean: back to baseline");
	else if (heap_exact)
		snprintf(v->line, sizeof(v->line), "clean: %s back to baseline", counts);
	else
		snprintf(v->line, sizeof(v->line),
			 "clean: %s back to baseline, heap %+.0f bytes at 2N "
			 "(%+.0f/client, under %g)",
			 counts, h->at_2n - h->base, lc_round_shown(h->per_client), heap_limit(in));
	if (in->mc)
		lc_appendf(v->line, sizeof(v->line), ", memcheck 0 errors 0 lost, no fd left open");
	if (in->mode == LC_DRD)
		lc_appendf(v->line, sizeof(v->line), ", DRD 0 races 0 errors");
}

static void verdict_fixed(const struct lc_judge_in *in, struct lc_verdict *v)
{
	bool unknown = false, dirty = false;
	char why[384] = "";
	int s;

	for (s = 0; s < LC_NSIGNALS; s++) {
		const struct lc_signal_result *r = &v->sig[s];

		if (r->info)
			continue;
		if (r->status == LC_ST_UNKNOWN)
			unknown = true;
		if (r->status == LC_ST_GROWS || r->status == LC_ST_UNKNOWN) {
			dirty = true;
			lc_appendf(why, sizeof(why), "%s%s", why[0] ? "; " : "", r->note);
		}
	}
	if (in->mc) {
		/* memcheck's own rule; its lost bytes are the lost row's, above. */
		char mc_why[256];
		int rc = lc_memcheck_judge(in->mc, false, mc_why, sizeof(mc_why));

		if (rc != 0) {
			dirty = true;
			unknown = unknown || rc == 2;
			lc_appendf(why, sizeof(why), "%s%s", why[0] ? "; " : "", mc_why);
		}
	}
	if (in->mode == LC_DRD && in->drd && in->drd->other_errors > 0) {
		dirty = true;
		lc_appendf(why, sizeof(why), "%sDRD found %ld error(s) besides races, e.g. %s",
			   why[0] ? "; " : "", in->drd->other_errors, in->drd->first_other);
	}
	/* An ASan build's LeakSanitizer failing the exit is a leak at exit. */
	if (in->sanitizer_leaks) {
		dirty = true;
		lc_appendf(why, sizeof(why), "%sLeakSanitizer reported leaks at exit",
			   why[0] ? "; " : "");
	}
	/* Nor is a fix that deletes the feature (the behaviour check). */
	if (in->behaviour_failure) {
		dirty = true;
		lc_appendf(why, sizeof(why), "%sthe feature is broken: %s", why[0] ? "; " : "",
			   in->behaviour_failure);
	}
	/* A fix that breaks the protocol is not a fix. */
	if (in->clients_failed > 0) {
		dirty = true;
		lc_appendf(why, sizeof(why), "%s%ld client(s) failed: %s", why[0] ? "; " : "",
			   in->clients_failed, in->client_error ? in->client_error : "");
	}
	if (dirty) {
		v->passed = false;
		v->exit_code = unknown ? 2 : 1;
		snprintf(v->line, sizeof(v->line), "NOT clean: %s", why);
		return;
	}
	v->passed = true;
	v->exit_code = 0;
	clean_line(in, v);
}

void lc_judge(const struct lc_judge_in *in, struct lc_verdict *out)
{
	int s;

	memset(out, 0, sizeof(*out));
	for (s = 0; s < LC_NSIGNALS; s++)
		judge_signal(in, (enum lc_signal)s, &out->sig[s]);
	if (in->variant == LC_LEAK)
		verdict_leak(in, out);
	else
		verdict_fixed(in, out);
	/*
	 * A leak variant that lost its feature is not the lesson: correct
	 * software that leaks, and the same program the student must fix.
	 */
	if (in->variant == LC_LEAK && in->behaviour_failure && out->exit_code == 0) {
		out->passed = false;
		out->exit_code = 1;
		snprintf(out->line, sizeof(out->line),
			 "leak NOT reproduced: the feature is broken: %s", in->behaviour_failure);
	}
}
