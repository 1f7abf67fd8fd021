/*
 * judge.c - turns three samples and memcheck's exit report into a verdict.
 *
 * A leak grows with the load: the lesson reproduces when every expected
 * signal grows by a minimum per client at N and by about twice as much at
 * 2N (so a one-off cache filling up is not mistaken for a leak). A fix
 * returns to the baseline: thread and fd counts exactly (they are settled
 * before sampling), the heap within a small per-client margin, and memcheck
 * finds no error, no lost byte and no fd left open.
 */
#include "judge.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const signal_names[LC_NSIGNALS] = {
    [LC_THREADS] = "threads",
    [LC_FDS] = "fds",
    [LC_HEAP] = "heap",
    [LC_LOST] = "lost",
};

const char *lc_signal_name(enum lc_signal s)
{
	return (unsigned)s < LC_NSIGNALS ? signal_names[s] : "?";
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

/* The value of signal s at a point, or -1 if it was not measured. */
static double point_value(const struct lc_point *p, enum lc_signal s)
{
	switch (s) {
	case LC_THREADS: return (double)p->threads;
	case LC_FDS: return (double)p->fds;
	case LC_HEAP: return (double)p->heap;
	case LC_LOST: return (double)p->lost;
	default: return -1;
	}
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
	r->per_client = in->load > 0 ? g2 / (2.0 * (double)in->load) : 0;
	r->ratio = g1 > 0 ? g2 / g1 : 0;
}

/* Leak variant, an expected count or heap signal: big enough and scaling. */
static void judge_leak_growth(const struct lc_judge_in *in, enum lc_signal s,
			      struct lc_signal_result *r)
{
	double g1 = r->at_n - r->base;
	double pc1 = in->load > 0 ? g1 / (double)in->load : 0;

	if (pc1 < min_per_client(s)) {
		r->status = LC_ST_MISSING;
		snprintf(r->note, sizeof(r->note), "%s %+.2f/client at %ld, needs >= %g",
			 lc_signal_name(s), pc1, in->load, min_per_client(s));
		return;
	}
	if (r->ratio < LC_RATIO_MIN || r->ratio > LC_RATIO_MAX) {
		r->status = LC_ST_MISSING;
		snprintf(r->note, sizeof(r->note),
			 "%s does not scale with the load: 2N/N = %.2fx, needs %.1f..%.1f",
			 lc_signal_name(s), r->ratio, LC_RATIO_MIN, LC_RATIO_MAX);
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
	long long at_exit = mc->definitely + mc->indirectly + mc->possibly;

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

/* Fixed variant: a count must be back to the baseline exactly. */
static void judge_fixed_count(enum lc_signal s, struct lc_signal_result *r)
{
	if (r->at_n == r->base && r->at_2n == r->base) {
		r->status = LC_ST_FLAT;
		return;
	}
	r->status = LC_ST_GROWS;
	snprintf(r->note, sizeof(r->note), "%s %+.0f at N, %+.0f at 2N (must be 0)",
		 lc_signal_name(s), r->at_n - r->base, r->at_2n - r->base);
}

/*
 * Fixed variant, heap: no per-client growth. Exact equality is impossible
 * natively: glibc keeps freed chunks in per-thread caches (tcache) and
 * arenas, a thread-per-connection server creates and drops arenas and
 * thread-stack caches as concurrency varies, and the probe's own HTTP
 * request allocates while it measures. Those wobble by a few hundred bytes
 * in all, never by a fixed amount per client, so a margin per client
 * separates them from even the smallest leak (a struct per connection).
 */
static void judge_fixed_heap(const struct lc_judge_in *in, struct lc_signal_result *r)
{
	double pc1 = in->load > 0 ? (r->at_n - r->base) / (double)in->load : 0;

	if (pc1 < LC_MAX_PER_CLIENT_HEAP_FIXED && r->per_client < LC_MAX_PER_CLIENT_HEAP_FIXED) {
		r->status = LC_ST_FLAT;
		return;
	}
	r->status = LC_ST_GROWS;
	snprintf(r->note, sizeof(r->note), "heap %+.0f bytes/client (must be < %g)",
		 pc1 > r->per_client ? pc1 : r->per_client, LC_MAX_PER_CLIENT_HEAP_FIXED);
}

/* Appends to a line, keeping it NUL terminated when it fills up. */
__attribute__((format(printf, 3, 4))) static void appendf(char *buf, size_t size, const char *fmt,
							  ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static void judge_signal(const struct lc_judge_in *in, enum lc_signal s, struct lc_signal_result *r)
{
	bool memcheck = in->mode == LC_MEMCHECK && in->mc;

	memset(r, 0, sizeof(*r));
	r->expected = in->variant == LC_LEAK && (in->expect & LC_SIG_BIT(s));
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
				r->status =
				    in->mc->definitely + in->mc->indirectly + in->mc->possibly > 0
					? LC_ST_GROWS
					: LC_ST_FLAT;
			}
			return;
		}
		r->status = in->mc->definitely + in->mc->indirectly + in->mc->possibly > 0
				? LC_ST_GROWS
				: LC_ST_FLAT;
		if (r->status == LC_ST_GROWS)
			snprintf(r->note, sizeof(r->note), "memcheck: %lld bytes lost at exit",
				 in->mc->definitely + in->mc->indirectly + in->mc->possibly);
		return;
	}

	if (!r->measured) {
		/* Only what the verdict needs is an error when missing. */
		r->status = (in->variant == LC_FIXED || r->expected) ? LC_ST_UNKNOWN : LC_ST_NA;
		if (r->status == LC_ST_UNKNOWN)
			snprintf(r->note, sizeof(r->note), "%s could not be measured",
				 lc_signal_name(s));
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
	if (s == LC_HEAP)
		judge_fixed_heap(in, r);
	else
		judge_fixed_count(s, r);
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
			appendf(why, sizeof(why), "%s%s", why[0] ? "; " : "", r->note);
		}
	}
	if (in->mc && in->mc->errors > 0) {
		/* A leak lesson must not be a crash in disguise. */
		missing = true;
		appendf(why, sizeof(why), "%smemcheck found %ld error(s), e.g. %s",
			why[0] ? "; " : "", in->mc->errors, in->mc->first_error);
	}
	if (in->expect == 0 ||
	    (in->mode == LC_NATIVE && (in->expect & ~LC_SIG_BIT(LC_LOST)) == 0)) {
		missing = true;
		unknown = true;
		appendf(why, sizeof(why), "%sno signal to check in this mode (--expect)",
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

			appendf(v->line, sizeof(v->line), " lost %lld bytes at exit;",
				mc->definitely + mc->indirectly + mc->possibly);
			continue;
		}
		if (s == LC_HEAP)
			appendf(v->line, sizeof(v->line), " heap %+.0f bytes/client, scales %.1fx;",
				r->per_client, r->ratio);
		else
			appendf(v->line, sizeof(v->line), " %s %+.2f/client, scales %.1fx;",
				lc_signal_name(s), r->per_client, r->ratio);
	}
	v->line[strlen(v->line) - 1] = '\0'; /* the last separator */
}

static void verdict_fixed(const struct lc_judge_in *in, struct lc_verdict *v)
{
	bool unknown = false, dirty = false;
	char why[384] = "";
	int s;

	for (s = 0; s < LC_NSIGNALS; s++) {
		const struct lc_signal_result *r = &v->sig[s];

		if (r->status == LC_ST_UNKNOWN)
			unknown = true;
		if (r->status == LC_ST_GROWS || r->status == LC_ST_UNKNOWN) {
			dirty = true;
			appendf(why, sizeof(why), "%s%s", why[0] ? "; " : "", r->note);
		}
	}
	if (in->mc) {
		if (in->mc->errors > 0) {
			dirty = true;
			appendf(why, sizeof(why), "%smemcheck found %ld error(s), e.g. %s",
				why[0] ? "; " : "", in->mc->errors, in->mc->first_error);
		}
		if (in->mc->fds_open < 0) {
			dirty = true;
			unknown = true;
			appendf(why, sizeof(why),
				"%sfds left open at exit unknown (no Valgrind log)",
				why[0] ? "; " : "");
		} else if (in->mc->fds_open > 0) {
			dirty = true;
			appendf(why, sizeof(why), "%s%ld fd(s) left open at exit, e.g. %s",
				why[0] ? "; " : "", in->mc->fds_open, in->mc->first_fd);
		}
	}
	if (dirty) {
		v->passed = false;
		v->exit_code = unknown ? 2 : 1;
		snprintf(v->line, sizeof(v->line), "NOT clean: %s", why);
		return;
	}
	v->passed = true;
	v->exit_code = 0;
	if (in->mc)
		snprintf(v->line, sizeof(v->line),
			 "clean: back to baseline, memcheck 0 errors 0 lost, no fd left open");
	else
		snprintf(v->line, sizeof(v->line), "clean: back to baseline");
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
	 * A program that lost its feature proves nothing either way: a fix
	 * that deletes the heartbeat does not leak it, and a leak variant
	 * that cannot echo is not the lesson.
	 */
	if (in->behaviour_failure && out->exit_code == 0) {
		out->passed = false;
		out->exit_code = 1;
		snprintf(out->line, sizeof(out->line), "%s: the feature is broken: %s",
			 in->variant == LC_LEAK ? "leak NOT reproduced" : "NOT clean",
			 in->behaviour_failure);
	}
}
