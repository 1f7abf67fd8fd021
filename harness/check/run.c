/*
 * run.c - one check, start to verdict.
 *
 *   start -> ready line -> warm-up -> settle, sample (baseline)
 *         -> drive N -> settle, sample -> drive N more -> settle, sample
 *         -> release held clients -> SIGTERM -> wait -> read memcheck -> judge
 *
 * The warm-up runs the scenario a few times before the baseline, so
 * one-off costs (lazy initialisation, allocator arenas, glibc's cache of
 * thread stacks sized by the peak concurrency) are paid before anything is
 * measured and are not mistaken for growth.
 *
 * Settling: after clients leave, a server needs a moment to notice and
 * clean up, so counts are polled with bounded exponential backoff (1 ms,
 * doubling, capped at 100 ms) instead of a fixed sleep, as goleak retries.
 * A sample is final as soon as it equals the target (the baseline: the
 * usual case of a fix), or once it has held still for a window (a leak
 * stays put); the window is long enough for a case's own short deadlines.
 */
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <leaklab/alloc.h>
#include <leaklab/app.h>
#include <leaklab/error.h>

#include "drive/http.h"
#include "logs.h"
#include "measure/gorace.h"
#include "model.h"
#include "measure/capacity.h"
#include "measure/memcheck.h"
#include "measure/proc.h"
#include "text.h"

/* Limits per mode: Valgrind runs a program some 20 to 50 times slower. */
struct limits {
	int ready_ms;	   /* the ready line must come within this */
	int op_ms;	   /* one client operation */
	int window_ms;	   /* counts holding still this long are settled */
	int settle_max_ms; /* settling gives up after this */
	int tick_ms;	   /* time-series sampling while clients run */
	int stop_ms;	   /* SIGTERM to exit, then SIGKILL */
	int vgdb_ms;	   /* one vgdb leak_check */
	/*
	 * With --csv each half of the load (0 to N, N to 2N) is driven in
	 * steps, with every signal sampled after each, so a plot has points
	 * between the three that are judged. Those samples settle with a
	 * short window only: they are drawn, never judged. Under memcheck a
	 * sample costs a leak check (some 0.3 s), so there are fewer steps.
	 */
	int steps;	    /* per half */
	int step_window_ms; /* the settling window of the samples between the points */
};

static const struct limits native_limits = {10000, 5000, 250, 3000, 20, 10000, 0, 4, 30};
static const struct limits memcheck_limits = {60000, 30000, 1000, 10000, 100, 60000, 30000, 2, 100};

/* Room for one `leak_check full reachable changed`: the records of one step. */
#define PROFILE_OUT_SIZE (1024 * 1024)

/*
 * The longest nap between two samples while counts settle. A sample is a
 * read of /proc, cheap beside any window, and a window's end is seen at
 * most this late: at 100 ms, 08's start file gave its first answer
 * 1.1 s in, as each of its two 450 ms windows ended some 60 to 80 ms late.
 */
#define MAX_BACKOFF_MS 20

const char *lc_variant_name(enum lc_variant v)
{
	return v == LC_LEAK ? "leak" : "fixed";
}

const char *lc_mode_name(enum lc_mode m)
{
	return m == LC_NATIVE ? "native" : m == LC_MEMCHECK ? "memcheck" : "drd";
}

struct ctx {
	const struct lc_config *cfg;
	struct lc_run *run;
	struct limits lim;
	struct lc_proc proc;
	struct lc_scenario sc;
	struct lc_held held;
	const char *phase; /* for the rows taken by tick() */
	long served;	   /* clients served since the baseline, for the rows */
	bool profiling;	   /* leak checks add to run->profile (from N to 2N) */
	char log_path[600], xml_path[600], vglog_path[600], vgdb_prefix[600];
};

__attribute__((format(printf, 2, 3))) static void progress(const struct ctx *c, const char *fmt,
							   ...)
{
	va_list ap;

	if (c->cfg->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

/* Records why the run has no verdict (exit code 2); returns err, an LL_E* code. */
__attribute__((format(printf, 3, 4))) static int run_error(struct lc_run *run, int err,
							   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(run->error, sizeof(run->error), fmt, ap);
	va_end(ap);
	run->exit_code = 2;
	return err;
}

/*
 * Records that a fix is stuck (run->stuck, with what was seen) and ends
 * the run: the course calls it the program's fault, not the check's.
 * Returns LL_EBUSY.
 */
__attribute__((format(printf, 2, 3))) static int stuck(struct ctx *c, const char *fmt, ...);

static void add_row(struct ctx *c, const char *phase, const struct lc_point *pt, long long heap,
		    long long lost)
{
	struct lc_run *run = c->run;
	struct lc_row *r;

	if (run->nrows == run->caprows) {
		size_t cap = run->caprows ? run->caprows * 2 : 256;
		struct lc_row *bigger = ll_realloc(run->rows, cap * sizeof(*bigger));

		if (!bigger)
			return; /* the time series is a nicety: drop the row */
		run->rows = bigger;
		run->caprows = cap;
	}
	r = &run->rows[run->nrows++];
	r->t_ms = lc_now_ms() - run->t0;
	r->phase = phase;
	r->clients = c->served;
	r->threads = pt->threads;
	r->fds = pt->fds;
	r->rss_kib = pt->rss_kib;
	r->heap = heap;
	r->lost = lost;
	r->broken = run->corrupted + run->drive.corrupted;
}

static int sample(struct ctx *c, const char *phase, struct lc_point *pt)
{
	if (lc_proc_sample(c->proc.pid, pt) != 0)
		return LL_ECLOSED;
	add_row(c, phase, pt, -1, -1);
	return 0;
}

static void tick(void *arg)
{
	struct ctx *c = arg;
	struct lc_point pt;

	sample(c, c->phase, &pt);
}

static bool same_counts(const struct lc_point *a, const struct lc_point *b)
{
	return a->threads == b->threads && a->fds == b->fds;
}

/*
 * How long counts must hold still: the mode's window, or longer where the
 * case says its own deadlines need it (SETTLE_MS: a fixed server that
 * reaps a silent peer after 300 ms must be given the time to do so).
 */
static int settle_window(const struct ctx *c)
{
	return c->cfg->settle_ms > c->lim.window_ms ? c->cfg->settle_ms : c->lim.window_ms;
}

/*
 * Polls threads and fds until they equal target (if not NULL) or hold
 * still for the window (window_ms, or 0 for settle_window()'s);
 * gives up after settle_max_ms. pt gets the last sample and how the
 * settling went.
 */
static int settle(struct ctx *c, const char *phase, const struct lc_point *target,
		  struct lc_point *pt, int window_ms)
{
	int window = window_ms > 0 ? window_ms : settle_window(c);
	long start = lc_now_ms(), changed;
	long nap = 1;
	struct lc_point prev;
	int tries = 1;

	if (sample(c, phase, &prev))
		return LL_ECLOSED;
	changed = lc_now_ms();
	for (;;) {
		long now = lc_now_ms();

		if (target && same_counts(&prev, target)) {
			prev.settled = true;
			break;
		}
		if (now - changed >= window) {
			prev.settled = true;
			break;
		}
		if (now - start >= window + c->lim.settle_max_ms) {
			prev.settled = false;
			break;
		}
		lc_sleep_ms(nap);
		nap = nap * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : nap * 2;
		if (sample(c, phase, pt))
			return LL_ECLOSED;
		tries++;
		if (!same_counts(pt, &prev))
			changed = lc_now_ms();
		prev.threads = pt->threads;
		prev.fds = pt->fds;
		prev.rss_kib = pt->rss_kib;
	}
	pt->threads = prev.threads;
	pt->fds = prev.fds;
	pt->rss_kib = prev.rss_kib;
	pt->settled = prev.settled;
	pt->settle_tries = tries;
	pt->settle_ms = lc_now_ms() - start;
	return 0;
}

/*
 * The program's own view, GET /metrics: its heap (mallinfo2) is the native
 * heap signal. The request is also a connection, which lets a server run
 * its housekeeping (ws_server joins finished threads when it accepts), so
 * under memcheck too it is made before each measurement, the same way at
 * every load point.
 */
static void fetch_metrics(struct ctx *c, int idx, struct lc_point *pt)
{
	struct lc_run *run = c->run;
	long long heap = -1;
	int err;

	long threads = -1, fds = -1;

	err = lc_fetch_metrics(c->sc.host, c->sc.port, c->sc.client->tls, c->lim.op_ms, &heap,
			       &threads, &fds);
	if (idx >= 0) {
		run->probe_threads[idx] = threads;
		run->probe_fds[idx] = fds;
	}
	if (run->mode == LC_NATIVE) {
		pt->heap = heap;
		if (err && !run->heap_note[0])
			snprintf(run->heap_note, sizeof(run->heap_note),
				 "GET /metrics failed (%s): no leaklab_heap_bytes",
				 ll_strerror(err));
	}
}

/*
 * Heap under memcheck: memcheck's own count of the bytes in use (reachable
 * plus lost), asked from outside through its gdbserver, which vgdb wakes
 * with ptrace even when every thread is blocked in a system call.
 */
static void memcheck_heap(struct ctx *c, struct lc_point *pt)
{
	struct lc_run *run = c->run;
	char pid_opt[32], prefix_opt[640];
	char *summary_argv[] = {
	    (char *)c->cfg->vgdb, prefix_opt, pid_opt, "leak_check", "summary", "any", NULL};
	/*
	 * With --heap-profile, from N on: every loss record that changed since
	 * the previous check, with its stack (its LEAK SUMMARY is the same).
	 */
	char *profile_argv[] = {(char *)c->cfg->vgdb, prefix_opt, pid_opt, "leak_check", "full",
				"reachable",	      "changed",  NULL};
	struct lc_leak_summary sum;
	char small[4096];
	char *out = small;
	size_t size = sizeof(small);
	int status = 0, err;

	if (c->profiling) {
		out = ll_malloc(PROFILE_OUT_SIZE);
		if (!out) {
			c->profiling = false;
			out = small;
		} else {
			size = PROFILE_OUT_SIZE;
		}
	}
	snprintf(pid_opt, sizeof(pid_opt), "--pid=%d", (int)c->proc.pid);
	snprintf(prefix_opt, sizeof(prefix_opt), "--vgdb-prefix=%s", c->vgdb_prefix);
	err = lc_run_capture(c->profiling ? profile_argv : summary_argv, c->lim.vgdb_ms, out, size,
			     &status);
	if (err == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		err = lc_leak_summary_parse(out, &sum);
	else if (err == 0)
		err = LL_EIO;
	/* A check the profile misses makes it incomplete, and the report says so. */
	if (c->profiling && err)
		run->profile.truncated = true;
	else if (c->profiling && lc_heap_profile_add(&run->profile, out) != 0)
		c->profiling = false; /* out of memory: no profile rather than half of one */
	if (out != small)
		ll_free(out);
	if (err) {
		if (!run->heap_note[0])
			snprintf(
			    run->heap_note, sizeof(run->heap_note),
			    "vgdb leak_check failed (%s): heap not measured, lost at exit only",
			    ll_strerror(err));
		return;
	}
	pt->lost = sum.definitely + sum.indirectly + sum.possibly;
	pt->heap = pt->lost + sum.reachable;
}

/*
 * A twin's runtime count (runtime.h), settled as threads and fds are: its
 * runtime winds goroutines and tasks down asynchronously too.
 */
static void sample_runtime(struct ctx *c, int idx, struct lc_point *pt)
{
	const struct lc_run *run = c->run;
	int window = settle_window(c);
	int err;

	pt->runtime = -1;
	if (!c->cfg->runtime.name[0])
		return;
	err = lc_runtime_settle(&c->cfg->runtime, c->sc.host, c->sc.port, c->lim.op_ms,
				idx == LC_P_BASE ? -1 : run->points[LC_P_BASE].runtime, window,
				c->lim.settle_max_ms, &pt->runtime);
	if (err && !c->run->runtime_note[0])
		snprintf(c->run->runtime_note, sizeof(c->run->runtime_note),
			 "GET %s failed (%s): no %s", c->cfg->runtime.path, ll_strerror(err),
			 c->cfg->runtime.name);
}

/*
 * After its clients have gone a program has nothing to do, so a fix that
 * used a twentieth of a core or more while it settled is watched, twice for
 * half a second (a second under Valgrind): threads runnable all that time
 * and using the CPU spin (a loop that lost its way out), and the run ends
 * at once with what was seen. An idle program costs one read of
 * /proc/PID/stat.
 */
static bool busy_while_idle(struct ctx *c, long cpu0, long t0, const struct lc_point *base,
			    const struct lc_point *settled)
{
	long wall = lc_now_ms() - t0, cpu = lc_proc_cpu_ms(c->proc.pid);
	int window = c->run->mode == LC_NATIVE ? 500 : 1000;
	/* Beside a native check (beside_native in record.h): from half a core. */
	long share = c->run->mode != LC_NATIVE && c->cfg->beside_native ? 2 : 20;
	char why[256];

	if (c->run->variant != LC_FIXED || cpu0 < 0 || cpu < 0 || wall <= 0 ||
	    (cpu - cpu0) * share < wall)
		return false;
	/*
	 * Clients are left when the check holds silent peers and the program
	 * still has them (its fds above the baseline base; before there is
	 * one, any held): pinging them is work, not a spin (a Python event loop
	 * pinging sixty of them every 50 ms takes a third of a loaded core).
	 * The fds row judges that they stayed.
	 */
	if (lc_held_count(&c->held) > 0 && (!base || settled->fds > base->fds))
		return false;
	/* Twice in a row: a runtime's collector may be busy for a moment. */
	if (lc_proc_busy(c->proc.pid, window, why, sizeof(why)) <= 0 ||
	    lc_proc_busy(c->proc.pid, window, why, sizeof(why)) <= 0)
		return false;
	stuck(c,
	      "your program keeps a core busy with no client left (a loop that never waits, "
	      "or never ends?): %s",
	      why);
	return true;
}

/*
 * Natively the heap is the program's word during one GET /metrics, and
 * counts that held still do not prove that no work is under way: on a
 * loaded machine the accept loop can take a connection and be descheduled
 * before it starts the thread that will allocate for it (seen once with
 * case 11: five TLS sessions' buffers missing at N, there at 2N, a growth
 * of 2.66x). So the heap is asked again, and again after the counts
 * settle, until two answers agree, HEAP_ASKS times at most; a program
 * whose heap moves on its own keeps its last answer. pt's heap is the
 * one taken; its counts are those of the last settle.
 */
#define HEAP_ASKS 4

static int heap_agreed(struct ctx *c, const char *phase, struct lc_point *pt)
{
	int k;

	for (k = 0; k < HEAP_ASKS && pt->heap >= 0; k++) {
		struct lc_point next;
		long long heap;

		memset(&next, 0, sizeof(next));
		fetch_metrics(c, -1, &next);
		heap = next.heap;
		if (heap == pt->heap || heap < 0)
			return 0;
		if (settle(c, phase, pt, &next, 0))
			return LL_ECLOSED;
		pt->threads = next.threads;
		pt->fds = next.fds;
		pt->rss_kib = next.rss_kib;
		pt->heap = heap;
	}
	return 0;
}

/*
 * Where the counts were before exit path k of a round was driven: the
 * baseline, the N point before the second round, or the path before it.
 * A path that leaves nothing behind is back there at once, so its settle
 * does not wait out the whole window while an earlier path's leak holds
 * the counts off the baseline (08's start file waited 450 ms after each
 * of its five other paths). A clean program's is the baseline throughout.
 * at holds the counts when they are a path's.
 */
static const struct lc_point *before_path(const struct ctx *c, int round, size_t k,
					  struct lc_point *at)
{
	const struct lc_run *run = c->run;

	if (k == 0)
		return &run->points[round == 0 ? LC_P_BASE : LC_P_N];
	memset(at, 0, sizeof(*at));
	at->threads = run->path[round][k - 1].threads;
	at->fds = run->path[round][k - 1].fds;
	return at;
}

/*
 * Settle, ask for /metrics (and a twin's runtime count), settle again (the
 * requests' own threads and sockets must be gone; natively, until the
 * heap's answers agree), then under memcheck ask memcheck for the heap.
 */
static int sample_point(struct ctx *c, int idx, long load)
{
	static const char *const settle_phase[LC_NPOINTS] = {"settle-base", "settle-N",
							     "settle-2N"};
	static const char *const point_phase[LC_NPOINTS] = {"base", "N", "2N"};
	struct lc_run *run = c->run;
	struct lc_point *pt = &run->points[idx];
	struct lc_point first, again, at;
	const struct lc_point *target = idx == LC_P_BASE ? NULL : &run->points[LC_P_BASE];
	/* After several exit paths, the load point is the last one's share (before_path). */
	const struct lc_point *back_to = idx != LC_P_BASE && run->paths_sampled
					     ? before_path(c, idx - 1, c->cfg->nscenarios - 1, &at)
					     : target;

	long t0 = lc_now_ms(), cpu0 = lc_proc_cpu_ms(c->proc.pid);

	memset(pt, 0, sizeof(*pt));
	if (settle(c, settle_phase[idx], back_to, &first, 0))
		return LL_ECLOSED;
	if (busy_while_idle(c, cpu0, t0, target, &first))
		return LL_EBUSY;
	first.heap = -1;
	first.lost = -1;
	/*
	 * The runtime count first, so that whatever a runtime's tool allocates
	 * on its first use (pprof's profile machinery) is in the baseline's heap.
	 */
	sample_runtime(c, idx, &first);
	fetch_metrics(c, idx, &first);
	run->probe_before_threads[idx] = first.threads;
	run->probe_before_fds[idx] = first.fds;
	if (settle(c, settle_phase[idx], &first, &again, 0))
		return LL_ECLOSED;
	again.heap = first.heap;
	if (run->mode == LC_NATIVE && heap_agreed(c, settle_phase[idx], &again))
		return LL_ECLOSED;
	again.runtime = first.runtime;
	again.lost = -1;
	if (run->mode == LC_MEMCHECK)
		memcheck_heap(c, &again);
	again.load = load;
	again.settled = first.settled && again.settled;
	again.settle_tries += first.settle_tries;
	again.settle_ms += first.settle_ms;
	*pt = again;
	add_row(c, point_phase[idx], pt, pt->heap, pt->lost);
	return 0;
}

/*
 * A sample between the points, for the plots: settle briefly (to the
 * baseline, or still for a short window), ask /metrics (the heap, natively;
 * the server's housekeeping either way), then under memcheck memcheck.
 */
static int sample_step(struct ctx *c)
{
	struct lc_run *run = c->run;
	struct lc_point pt;
	long long heap = -1;
	long threads, fds;

	if (settle(c, "settle-step", &run->points[LC_P_BASE], &pt, c->lim.step_window_ms))
		return LL_ECLOSED;
	lc_fetch_metrics(c->sc.host, c->sc.port, c->sc.client->tls, c->lim.op_ms, &heap, &threads,
			 &fds);
	pt.heap = run->mode == LC_NATIVE ? heap : -1;
	pt.lost = -1;
	if (run->mode == LC_MEMCHECK)
		memcheck_heap(c, &pt);
	add_row(c, "step", &pt, pt.heap, pt.lost);
	return 0;
}

static int describe_death(struct ctx *c, const char *when);

/*
 * The course's first answer (first_answer_fd in record.h): what fails a
 * fix checked natively whatever the rest of its run shows is said at
 * once, in one line, and the check goes on to its whole verdict.
 * announce writes that line, what decided it in the middle; once per run.
 */
static void announce(struct ctx *c, const char *what)
{
	struct lc_run *run = c->run;
	char line[400];
	struct timespec now;
	int len;

	len = snprintf(line, sizeof(line),
		       "native, first answer: %s: NOT clean (%.1f s in; the whole check goes on)\n",
		       what, (double)(lc_now_ms() - run->t0) / 1000.0);
	if (len > 0 && write(c->cfg->first_answer_fd, line, (size_t)len) < 0) {
		/* Nobody reads it any more (watch moved on): the check's verdict still counts. */
	}
	clock_gettime(CLOCK_REALTIME, &now);
	run->first_answer_at = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Whether this run gives a first answer and has not given it yet. */
static bool answers_first(const struct ctx *c)
{
	const struct lc_run *run = c->run;

	return c->cfg->first_answer_fd > 0 && run->mode == LC_NATIVE && run->variant == LC_FIXED &&
	       run->first_answer_at <= 0;
}

/*
 * The first answer of a fix driven through exit paths: threads or fds,
 * settled after a path, off the baseline (the judge wants them back to it
 * exactly, at N, at 2N and after every path). The heap is not said: a fix
 * fails it only by growing at both N and 2N.
 */
static void first_answer(struct ctx *c, enum lc_scenario_kind path, long threads, long fds)
{
	struct lc_run *run = c->run;
	const struct lc_point *base = &run->points[LC_P_BASE];
	unsigned judged = lc_judged_signals(c->cfg->judged);
	char grew[96] = "", what[256];

	if (!answers_first(c))
		return;
	if ((judged & LC_SIG_BIT(LC_THREADS)) && threads != base->threads)
		lc_appendf(grew, sizeof(grew), "threads %+ld", threads - base->threads);
	if ((judged & LC_SIG_BIT(LC_FDS)) && fds != base->fds)
		lc_appendf(grew, sizeof(grew), "%sfds %+ld", grew[0] ? ", " : "", fds - base->fds);
	if (!grew[0])
		return;
	snprintf(what, sizeof(what),
		 "%s over the baseline after exit path \"%s\" (%ld %s), where a fix is back to 0",
		 grew, lc_scenario_name(path), run->load, lc_scenario_unit(path));
	announce(c, what);
}

/*
 * One exit path's share of a step, when several are driven: settle (to
 * where the counts were before it, where a path that leaves nothing is at
 * once), then natively the heap
 * from /metrics and a settle after that request. Under memcheck the heap
 * is asked for only at the load points: a leak check takes a second.
 */
static int sample_path(struct ctx *c, int round, size_t k)
{
	struct lc_path_sample *ps = &c->run->path[round][k];
	struct lc_point first, again, at;

	if (settle(c, "settle-path", before_path(c, round, k, &at), &first, 0))
		return LL_ECLOSED;
	first.heap = -1;
	if (c->run->mode == LC_NATIVE) {
		fetch_metrics(c, -1, &first);
		if (settle(c, "settle-path", &first, &again, 0))
			return LL_ECLOSED;
		first.threads = again.threads;
		first.fds = again.fds;
	}
	ps->threads = first.threads;
	ps->fds = first.fds;
	ps->heap = first.heap;
	first_answer(c, c->run->scenarios[k], ps->threads, ps->fds);
	/* Between two exit paths is a step of the time series too (no lost bytes). */
	add_row(c, "step", &first, first.heap, -1);
	return 0;
}

/*
 * Whether a behaviour check that failed shows the very leak a leak variant
 * must show (frames broken by a race; a thread that outlives its
 * connection), so that it is the lesson reproduced, not a feature deleted.
 */
static bool leak_lesson(const struct lc_run *run, const struct lc_behaviour_result *r)
{
	if (run->variant != LC_LEAK)
		return false;
	return (r->broken_frames && (run->expect & LC_SIG_BIT(LC_RACE))) ||
	       (r->outlives && (run->expect & LC_SIG_BIT(LC_THREADS)));
}

/*
 * The case's feature, before anything is measured (behaviour.h). A check
 * that fails is a finding for the verdict; one that cannot even connect
 * is no verdict.
 */
static int check_behaviour(struct ctx *c)
{
	const struct lc_config *cfg = c->cfg;
	struct lc_run *run = c->run;
	int slow = run->mode == LC_NATIVE ? 1 : 5;
	size_t i;

	for (i = 0; i < cfg->nbehaviours; i++) {
		struct lc_behaviour_result *r = &run->behaviour[i];
		int rc;

		lc_behaviour_describe(&cfg->behaviours[i], r->what, sizeof(r->what));
		progress(c, "behaviour check: %s...\n", r->what);
		rc = lc_behaviour_run(&cfg->behaviours[i], &cfg->client, c->sc.host, c->sc.port,
				      slow, r->why, sizeof(r->why));
		run->nbehaviour = i + 1;
		if (rc == LL_EIO)
			return run_error(run, LL_EIO, "the behaviour check could not run: %s",
					 r->why);
		if (!lc_proc_running(&c->proc))
			return describe_death(c, "died during the behaviour check");
		r->ok = rc == 0;
		/*
		 * Frames the server broke are the race signal; for a leak
		 * variant that must show a race they are its lesson, not a
		 * feature deleted.
		 */
		r->broken_frames = rc == LC_BH_BROKEN_FRAMES;
		if (r->broken_frames)
			run->corrupted++;
		/* A thread that outlived its connection: a thread leak's lesson, likewise. */
		r->outlives = rc == LC_BH_OUTLIVES;
		if (!r->ok && !leak_lesson(run, r))
			run->behaviour_failed = true;
	}
	return 0;
}

/*
 * The behaviour check of verify's native check (first_answer_fd) runs on
 * a program of its own, started beside the measured one: the check is of
 * a fresh program either way, and the measured one's first exit path,
 * and with it the first answer, no longer waits for it (03's pings and
 * 08's deadline watch a second or so). Its program is killed once the
 * check is done; the measured one's exit is the one judged.
 */
static int start(struct ctx *c);

struct side {
	struct ctx c;
	struct lc_run run;
	pthread_t tid;
	int err;
	bool joined;
};

static void *side_main(void *arg)
{
	struct side *sd = arg;

	sd->err = start(&sd->c);
	if (!sd->err)
		sd->err = check_behaviour(&sd->c);
	lc_proc_cleanup(&sd->c.proc);
	return NULL;
}

/* Starts the side check, or returns NULL: the caller then checks the behaviour itself. */
static struct side *side_start(struct ctx *c)
{
	struct side *sd;

	if (!answers_first(c) || c->cfg->nbehaviours == 0)
		return NULL;
	sd = ll_calloc(1, sizeof(*sd));
	if (!sd)
		return NULL;
	sd->c = *c;
	sd->c.run = &sd->run;
	sd->run.variant = c->run->variant;
	sd->run.mode = c->run->mode;
	sd->run.program = c->run->program;
	sd->run.expect = c->run->expect;
	sd->run.t0 = c->run->t0;
	sd->c.proc.pid = -1;
	sd->c.proc.out_fd = -1;
	sd->c.proc.log_fd = -1;
	snprintf(sd->c.log_path, sizeof(sd->c.log_path), "%s/behaviour.log", c->run->tmpdir);
	progress(c, "checking the behaviour on a start of its own, beside this one\n");
	if (pthread_create(&sd->tid, NULL, side_main, sd) != 0) {
		ll_free(sd);
		return NULL;
	}
	return sd;
}

/*
 * Waits for the side check and takes its results into the run. With
 * take_error, its error (no verdict, or the program died during the
 * check) becomes the run's, and is returned; 0 otherwise, and always 0
 * a second time.
 */
static int side_join(struct ctx *c, struct side *sd, bool take_error)
{
	struct lc_run *run = c->run, *side;

	if (!sd || sd->joined)
		return 0;
	pthread_join(sd->tid, NULL);
	sd->joined = true;
	side = &sd->run;
	memcpy(run->behaviour, side->behaviour, sizeof(run->behaviour));
	run->nbehaviour = side->nbehaviour;
	run->behaviour_failed = side->behaviour_failed;
	run->corrupted += side->corrupted;
	if (!sd->err || !take_error)
		return 0;
	memcpy(run->error, side->error, sizeof(run->error));
	memcpy(run->exit_desc, side->exit_desc, sizeof(run->exit_desc));
	memcpy(run->log_tail, side->log_tail, sizeof(run->log_tail));
	run->exit_code = side->exit_code;
	run->crashed = side->crashed;
	run->crash_signal = side->crash_signal;
	run->stuck = side->stuck;
	return sd->err;
}

/* The last bytes of the program's log, for the report of a failed run. */
static void read_log_tail(const char *path, char *out, size_t size)
{
	struct stat st;
	ssize_t n;
	int fd;

	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size > (off_t)(size - 1))
		lseek(fd, st.st_size - (off_t)(size - 1), SEEK_SET);
	n = read(fd, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
}

static int stuck(struct ctx *c, const char *fmt, ...)
{
	struct lc_run *run = c->run;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(run->error, sizeof(run->error), fmt, ap);
	va_end(ap);
	run->stuck = true;
	run->exit_code = 2;
	read_log_tail(c->log_path, run->log_tail, sizeof(run->log_tail));
	return LL_EBUSY;
}

/* The program died or would not stop: say how, for exit code 2. Returns LL_ECLOSED. */
static int describe_death(struct ctx *c, const char *when)
{
	struct lc_run *run = c->run;

	/* A stuck program's own words were said already, and better. */
	if (run->stuck)
		return LL_EBUSY;
	lc_proc_running(&c->proc); /* reaps it, if it has ended */
	if (c->proc.exited) {
		lc_describe_status(c->proc.status, run->exit_desc, sizeof(run->exit_desc));
		run->crashed = true;
		run->crash_signal = WIFSIGNALED(c->proc.status) ? WTERMSIG(c->proc.status) : 0;
	} else {
		snprintf(run->exit_desc, sizeof(run->exit_desc), "still running");
	}
	read_log_tail(c->log_path, run->log_tail, sizeof(run->log_tail));
	if (c->proc.exited && WIFEXITED(c->proc.status) && WEXITSTATUS(c->proc.status) == 127)
		return run_error(
		    run, LL_ECLOSED,
		    "the program %s (exit status 127: %s not found or not executable?)", when,
		    run->mode == LC_MEMCHECK ? c->cfg->valgrind : run->program);
	/* A program that forked its server and exited: name it so. */
	if (c->proc.exited && c->proc.left[0])
		return run_error(run, LL_ECLOSED,
				 "the program %s (%s) and left %s running: it went to the "
				 "background, but a server under the kit runs in the foreground",
				 when, run->exit_desc, c->proc.left);
	return run_error(run, LL_ECLOSED, "the program %s (%s): no verdict", when, run->exit_desc);
}

/*
 * --heap-profile on a Go twin, natively: Go's own profile at N and at 2N,
 * diffed by go tool pprof -base into run->profile, the report memcheck's
 * loss records give a C program. The heap profile for a twin whose leak is
 * heap, the goroutine profile (drawn as a flame graph of goroutines by
 * stack) for the others. A profile that cannot be had is a note, not a
 * failed check.
 */
static void go_profile(struct ctx *c, int idx)
{
	struct lc_run *run = c->run;
	const struct lc_config *cfg = c->cfg;
	const char *path = cfg->expect & LC_SIG_BIT(LC_HEAP) ? "/debug/pprof/heap?gc=1&debug=1"
							     : "/debug/pprof/goroutine?debug=1";
	char file[LC_NPOINTS][700], why[200] = "";
	int i, err;

	if (!cfg->heap_profile || run->mode != LC_NATIVE || !lc_runtime_is_go(&cfg->runtime))
		return;
	for (i = LC_P_N; i < LC_NPOINTS; i++)
		snprintf(file[i], sizeof(file[i]), "%s/pprof-%s.txt", run->tmpdir,
			 i == LC_P_N ? "N" : "2N");
	err = lc_go_profile_save(c->sc.host, c->sc.port, path, c->lim.op_ms, file[idx]);
	if (err)
		snprintf(why, sizeof(why), "GET %s: %s", path, ll_strerror(err));
	else if (idx == LC_P_2N)
		err = lc_go_profile_diff(run->program, file[LC_P_N], file[LC_P_2N], 30000,
					 &run->profile, why, sizeof(why));
	if (err) {
		fprintf(stderr, "leaklab-check: no Go profile: %s\n", why);
		run->profile.truncated = true;
		return;
	}
	run->profiled = idx == LC_P_2N;
}

static int drive(struct ctx *c, const char *phase, long load)
{
	struct lc_run *run = c->run;
	long connect_failed = run->drive.connect_failed;
	long overran = run->drive.overran;
	int err;

	long failed = run->drive.failed;

	c->phase = phase;
	err = lc_drive(&c->sc, load, &c->held, tick, c, c->lim.tick_ms, &run->drive);
	if (strcmp(phase, "warmup") != 0)
		c->served += load;
	if (err)
		return run_error(run, err, "could not start client threads: %s", ll_strerror(err));
	if (!lc_proc_running(&c->proc))
		return describe_death(c, "died while clients were connected");
	/*
	 * A step that ran past its deadline: the program stopped answering, or
	 * answers a message in seconds. In the course a fix is stuck; in any
	 * other check the step ended there and its clients count as failed.
	 */
	if (run->drive.overran > overran && c->cfg->verify && run->variant == LC_FIXED)
		return stuck(c, "your program stopped answering: %s (%s)", run->drive.overran_error,
			     lc_scenario_name(c->sc.kind));
	if (run->drive.overran > overran)
		progress(c, "%s (%s): the step ended there\n", run->drive.overran_error,
			 lc_scenario_name(c->sc.kind));
	/*
	 * A student's fix that stopped answering ends the run: every later
	 * step would wait as long. (A broadcast that never reaches a
	 * subscriber is a broken feature, not a program that stopped, and a
	 * check outside the course keeps its verdict on failed clients.)
	 */
	if (c->cfg->verify && run->variant == LC_FIXED && c->sc.kind != LC_SC_SLOW_CONSUMER &&
	    c->sc.kind != LC_SC_SLOW_PUBLISHER &&
	    (run->drive.failed > failed || run->drive.connect_failed > connect_failed) &&
	    strstr(run->drive.first_error, ll_strerror(LL_ETIMEDOUT)))
		return stuck(c, "your program stopped answering: no answer within %d s (%s, %s)",
			     c->lim.op_ms / 1000, lc_scenario_name(c->sc.kind),
			     run->drive.first_error);
	if (run->drive.connect_failed > connect_failed) {
		/*
		 * A program that is dying (an abort writing its core) refuses
		 * connections before waitpid can tell: its death, not the
		 * refusal, is the finding.
		 */
		long until = lc_now_ms() + 1000;

		while (lc_proc_running(&c->proc) && lc_now_ms() < until)
			lc_sleep_ms(10);
		if (!lc_proc_running(&c->proc))
			return describe_death(c, "died while clients were connected");
		return run_error(run, LL_ECLOSED, "the scenario could not connect: %s",
				 run->drive.first_error);
	}
	/* Every walk of one program should fail as many allocations: say so if not. */
	if (c->sc.kind == LC_SC_FAULT_WALK && run->drive.walks > 0)
		progress(c,
			 "fault walk: %ld walks so far, each failed allocations 1 to %ld of the "
			 "handshake path in turn, then went through%s\n",
			 run->drive.walks, run->drive.walk_max,
			 run->drive.walk_min == run->drive.walk_max ? "" : " (some walks fewer)");
	return 0;
}

static char **program_argv(const struct ctx *c)
{
	const struct lc_config *cfg = c->cfg;
	char **argv = ll_calloc(cfg->nprogram_args + 2, sizeof(*argv));
	size_t i;

	if (!argv)
		return NULL;
	argv[0] = (char *)c->run->program;
	for (i = 0; i < cfg->nprogram_args; i++)
		argv[i + 1] = (char *)cfg->program_args[i];
	return argv;
}

/*
 * The program's environment: the harness's own, with glibc told to keep
 * one malloc arena, no per-thread cache and no cache of thread stacks. A
 * thread-per-connection server otherwise grows new arenas (a few KiB of
 * bookkeeping each, never returned) whenever more threads contend, tcache
 * holds freed chunks that mallinfo2 counts as in use, and cached stacks
 * keep their TLS blocks allocated: steps of kilobytes that follow the peak
 * concurrency, not the number of clients, and would hide a small leak or
 * fake one. The program behaves the same, a little slower. Under Valgrind
 * memcheck replaces malloc (the malloc tunables do nothing) but the stack
 * cache still matters.
 */
static char **program_env(void)
{
	static const char tunables[] = "glibc.malloc.arena_max=1:glibc.malloc.tcache_count=0:"
				       "glibc.pthread.stack_cache_size=0";
	const char *old = getenv("GLIBC_TUNABLES");
	size_t n = 0, i, j = 0, len;
	char **env;
	char *t;

	while (environ[n])
		n++;
	env = ll_calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	len = strlen("GLIBC_TUNABLES=") + (old ? strlen(old) + 1 : 0) + sizeof(tunables);
	t = ll_malloc(len);
	if (!t) {
		ll_free(env);
		return NULL;
	}
	snprintf(t, len, "GLIBC_TUNABLES=%s%s%s", old ? old : "", old ? ":" : "", tunables);
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "GLIBC_TUNABLES=", 15) != 0)
			env[j++] = environ[i];
	env[j++] = t; /* the last entry: freed by free_env */
	env[j] = NULL;
	return env;
}

static void free_env(char **env)
{
	size_t n = 0;

	if (!env)
		return;
	while (env[n])
		n++;
	if (n > 0)
		ll_free(env[n - 1]);
	ll_free(env);
}

/*
 * Starts the program (under Valgrind in memcheck mode) and waits for its
 * ready line. Returns 0 or an LL_E* code with run->error set.
 */
static int start(struct ctx *c)
{
	struct lc_run *run = c->run;
	char **prog, **vg = NULL, **env;
	int err;

	prog = program_argv(c);
	if (!prog)
		return run_error(run, LL_ENOMEM, "out of memory");
	if (run->mode == LC_DRD) {
		struct lc_drd_opts o = {
		    .valgrind = c->cfg->valgrind,
		    .suppressions = c->cfg->race_suppressions,
		    .xml_file = c->xml_path,
		    .log_file = c->vglog_path,
		};

		vg = lc_drd_argv(&o, prog);
		if (!vg) {
			err = run_error(run, LL_ENOMEM, "out of memory");
			goto out_free_prog;
		}
	} else if (run->mode == LC_MEMCHECK) {
		struct lc_valgrind_opts o = {
		    .valgrind = c->cfg->valgrind,
		    .suppressions = c->cfg->suppressions,
		    .xml_file = c->xml_path,
		    .log_file = c->vglog_path,
		    .vgdb_prefix = c->vgdb_prefix,
		};

		vg = lc_valgrind_argv(&o, prog);
		if (!vg) {
			err = run_error(run, LL_ENOMEM, "out of memory");
			goto out_free_prog;
		}
	}
	env = program_env();
	if (!env) {
		err = run_error(run, LL_ENOMEM, "out of memory");
		goto out_free_vg;
	}
	err = lc_proc_start(&c->proc, vg ? vg : prog, env, c->log_path);
	if (err)
		err = run_error(run, err, "could not start %s: %s", run->program, strerror(errno));
	free_env(env);
out_free_vg:
	lc_valgrind_argv_free(vg);
out_free_prog:
	ll_free(prog);
	if (err)
		return err;

	err = lc_proc_wait_ready(&c->proc, c->lim.ready_ms, &run->port);
	if (err == LL_ETIMEDOUT) {
		read_log_tail(c->log_path, run->log_tail, sizeof(run->log_tail));
		return run_error(run, err,
				 "no ready line (\"" LL_APP_READY_PREFIX "HOST:PORT\") "
				 "within %d s: no verdict",
				 c->lim.ready_ms / 1000);
	}
	if (err == LL_EPROTO)
		return run_error(run, err, "malformed ready line \"%s\"", c->proc.ready);
	if (err)
		return describe_death(c, "exited before its ready line");
	run->startup_ms = lc_now_ms() - run->t0;
	c->sc.port = run->port;
	return 0;
}

/* True if the program's log has line (a sanitizer's report header). */
static bool log_has(const char *path, const char *needle)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/*
 * SIGTERM, bounded wait, exit status. A crash or a hang is never a
 * verdict: returns 0, LL_ETIMEDOUT (killed after the wait) or LL_ECLOSED
 * (crashed, or a failing exit status).
 */
static const char *own_file(const struct ctx *c);

static int stop(struct ctx *c)
{
	struct lc_run *run = c->run;
	int st;

	lc_proc_stop(&c->proc, c->lim.stop_ms, &run->killed);
	st = c->proc.status;
	lc_describe_status(st, run->exit_desc, sizeof(run->exit_desc));
	if (run->killed && run->variant == LC_FIXED)
		return stuck(c,
			     "your program did not stop within %d s of SIGTERM (killed): something "
			     "waits with no deadline or never ends%s%s",
			     c->lim.stop_ms / 1000, c->proc.where[0] ? "; its threads then: " : "",
			     c->proc.where);
	if (run->killed) {
		read_log_tail(c->log_path, run->log_tail, sizeof(run->log_tail));
		return run_error(run, LL_ETIMEDOUT,
				 "the program did not exit within %d s of SIGTERM (killed): "
				 "no verdict",
				 c->lim.stop_ms / 1000);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == LC_MEMCHECK_ERROR_EXIT && run->mode == LC_MEMCHECK)
		return 0; /* memcheck's own "found something": the XML says what */
	if (WIFEXITED(st) && WEXITSTATUS(st) == LC_DRD_ERROR_EXIT && run->mode == LC_DRD)
		return 0; /* the same for DRD */
	/*
	 * A Go program built with -race exits 66 when its race detector
	 * reported a race: the report, in the program's log, is the race
	 * signal's evidence, read as DRD's is (judge() hands it on).
	 */
	if (WIFEXITED(st) && WEXITSTATUS(st) == LC_GORACE_EXIT && run->mode == LC_NATIVE &&
	    lc_gorace_parse_file(c->log_path, own_file(c), &run->drd) == 0 && run->drd.races > 0)
		return 0;
	/*
	 * In an ASan build LeakSanitizer fails the exit of a program that
	 * leaks: evidence for the judge (a leak variant may, a fix may not),
	 * not a crash.
	 */
	if (WIFEXITED(st) && run->mode == LC_NATIVE &&
	    log_has(c->log_path, "ERROR: LeakSanitizer: detected memory leaks")) {
		run->sanitizer_leaks = true;
		return 0;
	}
	return describe_death(c, WIFSIGNALED(st) ? "crashed" : "failed on SIGTERM");
}

/*
 * The base name of the program's own source, whose frames Valgrind's
 * reports are searched for: --source's, or the variant's file.
 */
static const char *own_file(const struct ctx *c)
{
	const char *slash = c->cfg->source ? strrchr(c->cfg->source, '/') : NULL;

	if (slash)
		return slash + 1;
	if (c->cfg->source)
		return c->cfg->source;
	return c->run->variant == LC_LEAK ? "leak.c" : "fixed.c";
}

static int read_memcheck(struct ctx *c)
{
	struct lc_run *run = c->run;
	const char *own = own_file(c);
	int err;

	err = lc_memcheck_parse_xml(c->xml_path, own, &run->mc);
	if (err || !run->mc.finished)
		return run_error(run, err ? err : LL_EPROTO,
				 "memcheck's XML report is %s (%s): no verdict",
				 err == LL_EIO ? "missing" : "incomplete", c->xml_path);
	err = lc_memcheck_parse_log(c->vglog_path, &run->mc);
	if (err)
		return run_error(run, err, "memcheck's log %s is missing", c->vglog_path);
	return 0;
}

/* DRD's report, as strictly as memcheck's: complete, or no verdict. */
static int read_drd(struct ctx *c)
{
	struct lc_run *run = c->run;
	const char *own = own_file(c);
	int err;

	err = lc_drd_parse_xml(c->xml_path, own, &run->drd);
	if (err || !run->drd.finished)
		return run_error(run, err ? err : LL_EPROTO,
				 "DRD's XML report is %s (%s): no verdict",
				 err == LL_EIO ? "missing" : "incomplete", c->xml_path);
	return 0;
}

static void judge(struct ctx *c)
{
	struct lc_run *run = c->run;
	struct lc_judge_in in = {
	    .variant = run->variant,
	    .mode = run->mode,
	    .expect = run->expect,
	    /* Clients served per step: load of each exit path driven. */
	    .load = run->load * (long)run->nscenarios,
	    .mc = run->mode == LC_MEMCHECK ? &run->mc : NULL,
	    .drd = run->mode == LC_DRD || run->drd.parsed ? &run->drd : NULL,
	    .corrupted = run->corrupted + run->drive.corrupted,
	    .sanitizer_leaks = run->sanitizer_leaks,
	    .clients_failed = run->drive.failed,
	    .client_error = run->drive.first_error,
	    .judged = c->cfg->judged,
	    .heap_limit = c->cfg->heap_limit,
	    .runtime_name = c->cfg->runtime.name[0] ? c->cfg->runtime.name : NULL,
	    .counts_elsewhere = run->counts_elsewhere,
	};
	size_t i;

	for (i = 0; i < run->nbehaviour && !in.behaviour_failure; i++)
		if (!run->behaviour[i].ok && !leak_lesson(run, &run->behaviour[i]))
			in.behaviour_failure = run->behaviour[i].why;
	memcpy(in.points, run->points, sizeof(in.points));
	_Static_assert(LC_MAX_SCENARIOS <= LC_JUDGE_PATHS, "a judge reads every exit path");
	if (run->paths_sampled) {
		int round;

		in.npaths = run->nscenarios;
		for (i = 0; i < run->nscenarios; i++) {
			in.path_names[i] = lc_scenario_name(run->scenarios[i]);
			for (round = 0; round < 2; round++) {
				in.path_threads[round][i] = run->path[round][i].threads;
				in.path_fds[round][i] = run->path[round][i].fds;
			}
		}
	}
	lc_judge(&in, &run->verdict);
	run->judged = true;
	run->exit_code = run->verdict.exit_code;
}

static int make_logdir(struct ctx *c)
{
	struct lc_run *run = c->run;
	char base[PATH_MAX], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int err;

	err = lc_logs_base(c->cfg->logs_dir, base, sizeof(base));
	if (err)
		return run_error(run, err, "cannot make the log folder %s: %s",
				 c->cfg->logs_dir ? c->cfg->logs_dir : "BUILD/logs",
				 err == LL_EIO ? strerror(errno) : ll_strerror(err));
	lc_logs_prune(base);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	if (snprintf(run->tmpdir, sizeof(run->tmpdir), "%s/%s%s.%d.XXXXXX", base, LC_LOG_PREFIX,
		     stamp, (int)getpid()) >= (int)sizeof(run->tmpdir) - 32)
		return run_error(run, LL_ETOOBIG, "the log folder's path %s is too long", base);
	if (!mkdtemp(run->tmpdir))
		return run_error(run, LL_EIO, "mkdtemp %s: %s", run->tmpdir, strerror(errno));
	snprintf(c->log_path, sizeof(c->log_path), "%s/program.log", run->tmpdir);
	snprintf(c->xml_path, sizeof(c->xml_path), "%s/%s.xml", run->tmpdir,
		 lc_mode_name(run->mode));
	snprintf(c->vglog_path, sizeof(c->vglog_path), "%s/%s.log", run->tmpdir,
		 lc_mode_name(run->mode));
	snprintf(c->vgdb_prefix, sizeof(c->vgdb_prefix), "%s/vgdb", run->tmpdir);
	return 0;
}

/* The whole check; returns 0 once judged, or the LL_E* code that stopped it. */

const char *lc_scenario_unit(enum lc_scenario_kind k)
{
	switch (k) {
	case LC_SC_BURST:
	case LC_SC_BURST_LARGE:
	case LC_SC_SLOW_CONSUMER:
	case LC_SC_SLOW_PUBLISHER: return "messages";
	case LC_SC_BAD_HANDSHAKE: return "bad handshakes";
	case LC_SC_BAD_TOKEN: return "bad tokens";
	case LC_SC_FAULT_WALK: return "fault walks";
	case LC_SC_TLS_BAD: return "aborted TLS handshakes";
	default: return "clients";
	}
}

/*
 * One scenario's share of a half of the load, in steps, sampling after
 * each but the last (a full sample follows it). The samples are for the
 * time series, so without --csv it is one step and a check takes no
 * longer than it must. A fix driven through several exit paths is
 * sampled between them already (sample_path), and a burst is one
 * connection's messages: one step each.
 */
static int drive_half(struct ctx *c, const char *phase, long load)
{
	long steps = c->sc.kind == LC_SC_BURST || c->sc.kind == LC_SC_BURST_LARGE ||
			     !c->cfg->csv_path || c->cfg->nscenarios > 1
			 ? 1
			 : c->lim.steps;
	long done = 0, i;
	int err;

	if (steps > load)
		steps = load;
	for (i = 1; i <= steps; i++) {
		long upto = load * i / steps;

		err = drive(c, phase, upto - done);
		if (err)
			return err;
		done = upto;
		if (i < steps && sample_step(c))
			return describe_death(c, "exited during the run");
	}
	return 0;
}

/*
 * One step of the load: every scenario in turn, load units each. With
 * several (a fix checked on every exit path) each one's share is sampled,
 * so a verdict can say which path leaks.
 */
static int drive_step(struct ctx *c, int round, const char *phase)
{
	const struct lc_config *cfg = c->cfg;
	struct lc_run *run = c->run;
	size_t k;
	int err;

	for (k = 0; k < cfg->nscenarios; k++) {
		c->sc.kind = cfg->scenarios[k];
		progress(c, "driving %ld %s%s (%s)...\n", run->load, round ? "more " : "",
			 lc_scenario_unit(c->sc.kind), lc_scenario_name(c->sc.kind));
		err = drive_half(c, phase, run->load);
		if (err)
			return err;
		if (run->paths_sampled && k + 1 < cfg->nscenarios && sample_path(c, round, k))
			return describe_death(c, "exited during the run");
	}
	return 0;
}

/* The last exit path's share is the load point itself. */
static void last_path_sample(struct ctx *c, int round, const struct lc_point *pt)
{
	struct lc_path_sample *ps;

	if (!c->run->paths_sampled)
		return;
	ps = &c->run->path[round][c->cfg->nscenarios - 1];
	ps->threads = pt->threads;
	ps->fds = pt->fds;
	ps->heap = c->run->mode == LC_NATIVE ? pt->heap : -1;
}

/*
 * The first answer of a fix in the shutdown scenario: a start that left a
 * client without its 1001, or took longer than the limit to exit, fails
 * the fix whatever the other starts do (lc_shut_judge).
 */
static void shutdown_first_answer(struct ctx *c, const struct lc_shut_round *r)
{
	char what[256];

	if (!answers_first(c))
		return;
	if (r->other_close > 0)
		snprintf(what, sizeof(what),
			 "%ld of %ld clients held got no 1001 before the program ended, where a "
			 "fix closes every one with 1001",
			 r->other_close, r->held);
	else if (r->exit_ms > LC_SHUTDOWN_EXIT_MS)
		snprintf(what, sizeof(what),
			 "exit %ld ms after SIGTERM with %ld clients held, where a fix exits "
			 "within %d ms",
			 r->exit_ms, r->held, LC_SHUTDOWN_EXIT_MS);
	else
		return;
	announce(c, what);
}

/*
 * One start of the shutdown scenario (shutdown.h): the behaviour check,
 * n clients held, a sample, SIGTERM, what each client saw, and under
 * memcheck the lost bytes at exit. again: an earlier start was stopped
 * and reaped. The program is gone when it returns.
 */
static int shutdown_round(struct ctx *c, int idx, bool again, long n, long *errors, long *fds_open)
{
	static const char *const phase[LC_NPOINTS] = {"base", "N", "2N"};
	struct lc_run *run = c->run;
	struct lc_shut_round *r = &run->shut[idx];
	struct lc_point *pt = &run->points[idx];
	struct lc_shut s;
	char why[256];
	long t;
	int err, stop_err;

	if (again) {
		/* A fresh start: the previous program was stopped and reaped. */
		lc_proc_cleanup(&c->proc);
		c->proc.pid = -1;
		c->proc.out_fd = -1;
		c->proc.log_fd = -1;
		c->proc.exited = false;
		c->proc.draining = false;
		progress(c, "starting %s again\n", run->program);
	}
	err = start(c);
	if (!err)
		err = check_behaviour(c);
	if (err)
		return err;
	progress(c, "holding %ld clients (shutdown)...\n", n);
	if (lc_shut_hold(&s, c->sc.host, c->sc.port, n, c->lim.stop_ms + c->lim.op_ms, why,
			 sizeof(why)))
		return run_error(run, LL_ECLOSED, "the scenario could not connect: %s", why);
	memset(pt, 0, sizeof(*pt));
	err = settle(c, phase[idx], NULL, pt, 0);
	pt->load = n;
	pt->heap = -1;
	pt->lost = -1;
	add_row(c, phase[idx], pt, -1, -1);
	progress(c, "stopping (SIGTERM) with %ld clients held...\n", n);
	t = lc_now_ms();
	stop_err = stop(c);
	r->exit_ms = lc_now_ms() - t;
	lc_shut_collect(&s, r);
	if (err)
		return describe_death(c, "exited while clients were held");
	if (stop_err)
		return stop_err;
	shutdown_first_answer(c, r);
	r->lost = -1;
	if (run->mode == LC_MEMCHECK) {
		err = read_memcheck(c);
		if (err)
			return err;
		r->lost = run->mc.definitely + run->mc.indirectly + run->mc.possibly;
		pt->lost = r->lost;
		*errors += run->mc.errors;
		if (run->mc.fds_open > *fds_open)
			*fds_open = run->mc.fds_open;
	}
	return 0;
}

/*
 * The shutdown scenario: three starts, with 0, N and 2N clients held.
 * Beside a native check (counts_elsewhere), which judges the three, one
 * start with 2N of this run's clients: what Valgrind alone says (bytes
 * lost, errors, fds left open at exit) it says of one start, and each
 * start under Valgrind costs seconds.
 */
static int do_shutdown_run(struct ctx *c)
{
	struct lc_run *run = c->run;
	long limit = LC_SHUTDOWN_EXIT_MS * (run->mode == LC_MEMCHECK ? 5 : 1);
	const char *behaviour_failure = NULL;
	long errors = 0, fds_open = 0;
	size_t i;
	int k, first, err;

	run->shutdown = true;
	first = run->counts_elsewhere ? LC_P_2N : LC_P_BASE;
	for (k = 0; k < first; k++)
		run->shut[k].held = run->shut[k].lost = -1; /* not started: the native check's */
	for (k = first; k < LC_NPOINTS; k++) {
		err = shutdown_round(c, k, k > first, k * run->load, &errors, &fds_open);
		if (err)
			return err;
	}
	for (i = 0; i < run->nbehaviour && !behaviour_failure; i++)
		if (!run->behaviour[i].ok)
			behaviour_failure = run->behaviour[i].why;
	lc_shut_judge(run->variant, run->mode == LC_MEMCHECK,
		      (run->expect & LC_SIG_BIT(LC_LOST)) != 0, run->shut, limit, errors,
		      run->mc.first_error, run->mode == LC_MEMCHECK ? fds_open : -1,
		      behaviour_failure, &run->verdict);
	lc_shut_rows(run->variant, run->expect, run->load, run->shut, run->points, &run->verdict);
	/* No GET /metrics is made in this scenario: the program's own view is unknown. */
	for (k = 0; k < LC_NPOINTS; k++)
		run->probe_threads[k] = run->probe_fds[k] = -1;
	run->judged = true;
	run->exit_code = run->verdict.exit_code;
	return 0;
}

/*
 * A race shows on the wire only when the scheduler lets two writes meet:
 * natively, when the two steps broke no frame, up to three more bursts
 * give it its chance, for either variant alike (a fix that serialises
 * its writes breaks none in any of them). The points are already taken;
 * these bursts add only the race's evidence.
 */
static int race_retries(struct ctx *c)
{
	const struct lc_config *cfg = c->cfg;
	struct lc_run *run = c->run;
	long served = c->served;
	size_t i;
	int k, err = 0;

	if (run->mode != LC_NATIVE || !(run->expect & LC_SIG_BIT(LC_RACE)))
		return 0;
	for (k = 1; k <= 3 && run->corrupted + run->drive.corrupted == 0 && !err; k++) {
		progress(c, "no frame broke yet: one more burst (%d of 3)...\n", k);
		for (i = 0; i < cfg->nscenarios && !err; i++) {
			c->sc.kind = cfg->scenarios[i];
			err = drive_half(c, "race", run->load);
		}
	}
	c->served = served;
	return err;
}

/*
 * The end of a run: held clients leave (a fixed server must still exit
 * cleanly), SIGTERM, Valgrind's report at exit, the verdict.
 */
static int finish(struct ctx *c)
{
	struct lc_run *run = c->run;
	int err;

	run->held_at_end = (long)lc_held_count(&c->held);
	lc_held_release(&c->held, &c->sc, &run->drive);
	progress(c, "stopping (SIGTERM)...\n");
	err = stop(c);
	if (err)
		return err;
	if (run->mode == LC_MEMCHECK)
		err = read_memcheck(c);
	else if (run->mode == LC_DRD)
		err = read_drd(c);
	if (err)
		return err;
	judge(c);
	return 0;
}

/*
 * The rest of a run whose counts the native check beside it judges
 * (counts_elsewhere in record.h): its clients (a quarter of the native
 * check's, LC_BESIDE_LOAD_DIV), N and then N more on every exit path,
 * with no load point settled or leak-checked on the way
 * (each costs seconds under Valgrind, and says what the native rows say
 * already); one short settle so that SIGTERM finds the program idle, as
 * it would after a last load point; then the stop and Valgrind's report
 * at exit.
 */
static int exit_only_run(struct ctx *c)
{
	struct lc_point pt;
	int err;

	err = drive_step(c, 0, "drive-N");
	if (err)
		return err;
	err = drive_step(c, 1, "drive-2N");
	if (err)
		return err;
	if (settle(c, "settle-end", NULL, &pt, native_limits.window_ms))
		return describe_death(c, "exited during the run");
	return finish(c);
}

static int measured_run(struct ctx *c, struct side *sd);

static int do_run(struct ctx *c)
{
	const struct lc_config *cfg = c->cfg;
	struct lc_run *run = c->run;
	struct side *sd;
	int err;

	err = make_logdir(c);
	if (err)
		return err;
	progress(c, "leaklab-check: %s (%s, %s): starting %s\n",
		 cfg->case_name ? cfg->case_name : run->program, lc_variant_name(run->variant),
		 lc_mode_name(run->mode), run->program);
	if (cfg->scenarios[0] == LC_SC_SHUTDOWN)
		return do_shutdown_run(c);
	sd = side_start(c);
	err = measured_run(c, sd);
	side_join(c, sd, false); /* after an error of the run's own: the run's is the one told */
	ll_free(sd);
	return err;
}

/* The measured program's run; with sd, its behaviour is checked on the side (side_start). */
static int measured_run(struct ctx *c, struct side *sd)
{
	const struct lc_config *cfg = c->cfg;
	struct lc_run *run = c->run;
	size_t k;
	int err;

	err = start(c);
	if (err)
		return err;
	if (!sd) {
		err = check_behaviour(c);
		if (err)
			return err;
	}

	for (k = 0; k < cfg->nscenarios && run->warmup > 0; k++) {
		c->sc.kind = cfg->scenarios[k];
		progress(c, "warming up with %ld %s (%s)...\n", run->warmup,
			 lc_scenario_unit(c->sc.kind), lc_scenario_name(c->sc.kind));
		err = drive(c, "warmup", run->warmup);
		if (err)
			return err;
	}
	if (run->counts_elsewhere)
		return exit_only_run(c);
	if (sample_point(c, LC_P_BASE, 0))
		return describe_death(c, "exited during the run");
	err = drive_step(c, 0, "drive-N");
	if (err)
		return err;
	if (sample_point(c, LC_P_N, run->load))
		return describe_death(c, "exited during the run");
	last_path_sample(c, 0, &run->points[LC_P_N]);
	first_answer(c, cfg->scenarios[cfg->nscenarios - 1], run->points[LC_P_N].threads,
		     run->points[LC_P_N].fds);
	go_profile(c, LC_P_N);
	/* The check at N is the profile's base; each one from here adds its changes. */
	c->profiling = cfg->heap_profile && run->mode == LC_MEMCHECK;
	err = drive_step(c, 1, "drive-2N");
	if (err)
		return err;
	if (sample_point(c, LC_P_2N, 2 * run->load))
		return describe_death(c, "exited during the run");
	last_path_sample(c, 1, &run->points[LC_P_2N]);
	first_answer(c, cfg->scenarios[cfg->nscenarios - 1], run->points[LC_P_2N].threads,
		     run->points[LC_P_2N].fds);
	err = side_join(c, sd, true);
	if (err)
		return err;
	err = race_retries(c);
	if (err)
		return err;
	run->profiled = c->profiling;
	c->profiling = false;
	go_profile(c, LC_P_2N);
	lc_heap_profile_sort(&run->profile);

	return finish(c);
}

/*
 * Whether the run's load fits this machine (capacity.h): a load that
 * cannot is refused before the program starts, saying which resource, how
 * much against what limit, and why. Returns 0 or LL_ETOOBIG (no verdict).
 */
static int check_capacity(const struct lc_config *cfg, struct lc_run *run)
{
	struct lc_cap_run r = {
	    .scenarios = cfg->scenarios,
	    .nscenarios = cfg->nscenarios,
	    .load = run->load,
	    .warmup = run->warmup,
	    .concurrency = cfg->concurrency,
	    .leak = run->variant == LC_LEAK,
	    .expect = run->expect,
	    .valgrind = run->mode != LC_NATIVE,
	    .harness_fds = lc_capacity_own_fds(),
	};
	struct lc_cap_need need;
	struct lc_cap_limits lim;
	char why[400];

	long lo = 0, hi = run->load, mid;
	char spare[400];

	lc_capacity_need(&r, &need);
	lc_capacity_read(&lim);
	if (lc_capacity_fit(&need, &lim, r.valgrind, why, sizeof(why)) == 0)
		return 0;
	/* The largest load that fits, by bisection: lo fits (or is 0), hi does not. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		r.load = mid;
		r.warmup = run->warmup < mid ? run->warmup : mid;
		lc_capacity_need(&r, &need);
		if (lc_capacity_fit(&need, &lim, r.valgrind, spare, sizeof(spare)) == 0)
			lo = mid;
		else
			hi = mid;
	}
	if (lo > 0)
		return run_error(run, LL_ETOOBIG,
				 "load %ld does not fit this machine: %s; the largest that fits is "
				 "--load %ld",
				 run->load, why, lo);
	return run_error(run, LL_ETOOBIG, "load %ld does not fit this machine: %s", run->load, why);
}

int lc_run_check(const struct lc_config *given, enum lc_variant variant, enum lc_mode mode,
		 struct lc_run *run)
{
	struct lc_config local = *given, *cfg = &local;
	struct ctx *c;
	int err;

	/* A fix is driven through every exit path it must be clean on. */
	if (variant == LC_FIXED && given->nfixed_scenarios > 0) {
		memcpy(local.scenarios, given->fixed_scenarios, sizeof(local.scenarios));
		local.nscenarios = given->nfixed_scenarios;
		local.scenario = local.scenarios[0];
	}
	if (local.nscenarios == 0) {
		local.scenarios[0] = local.scenario;
		local.nscenarios = 1;
	}

	memset(run, 0, sizeof(*run));
	run->variant = variant;
	run->mode = mode;
	run->program = cfg->program;
	run->counts_elsewhere = mode != LC_NATIVE && cfg->beside_native && variant == LC_FIXED &&
				!cfg->heap_profile && !cfg->csv_path;
	/*
	 * Valgrind counts lost bytes and sees errors and races exactly, it
	 * does not estimate a growth: beside the native check, which judges
	 * the counts at the full load, a quarter of the clients show it
	 * what they show it at the full load, at a quarter of the time.
	 */
	run->load = run->counts_elsewhere
			? (cfg->load + LC_BESIDE_LOAD_DIV - 1) / LC_BESIDE_LOAD_DIV
			: cfg->load;
	run->warmup = cfg->warmup >= 0
			  ? cfg->warmup
			  : (run->load < LC_DEFAULT_WARMUP ? run->load : LC_DEFAULT_WARMUP);
	run->expect = mode == LC_NATIVE ? cfg->expect : cfg->memcheck_expect;
	run->t0 = lc_now_ms();
	run->mc.fds_open = -1;
	lc_heap_profile_init(&run->profile);
	/* The file whose lines the heap profile sums its growth by. */
	if (cfg->source) {
		const char *slash = strrchr(cfg->source, '/');

		snprintf(run->own_source, sizeof(run->own_source), "%s",
			 slash ? slash + 1 : cfg->source);
	} else if (lc_runtime_is_go(&cfg->runtime)) {
		/* A Go twin's file: cases/NN-slug/go/leak.go or fixed.go. */
		snprintf(run->own_source, sizeof(run->own_source), "%s.go",
			 lc_variant_name(variant));
		/*
		 * Its profile records every allocation, not one in 512 KiB
		 * (lib/twin/go/twin reads this before main). A profiling
		 * check runs alone (the tour never profiles), so the variable
		 * is set once for the harness and the programs it starts.
		 */
		if (cfg->heap_profile && mode == LC_NATIVE)
			setenv("LEAKLAB_GO_MEMPROFILERATE", "1", 1);
	} else if (cfg->case_name) {
		snprintf(run->own_source, sizeof(run->own_source), "%s.c",
			 lc_variant_name(variant));
	}
	snprintf(run->heap_source, sizeof(run->heap_source), "%s",
		 mode == LC_NATIVE     ? "GET /metrics (the program's probe)"
		 : mode == LC_MEMCHECK ? "memcheck leak_check via vgdb"
				       : "not measured under DRD");

	err = check_capacity(cfg, run);
	if (err) {
		run->duration_ms = lc_now_ms() - run->t0;
		return err;
	}
	c = ll_calloc(1, sizeof(*c));
	if (!c)
		return run_error(run, LL_ENOMEM, "out of memory");
	memcpy(run->scenarios, cfg->scenarios, sizeof(run->scenarios));
	run->nscenarios = cfg->nscenarios;
	run->paths_sampled = cfg->nscenarios > 1 && (mode == LC_NATIVE || !cfg->beside_native);
	c->cfg = cfg;
	c->run = run;
	/* DRD slows a program down as much as memcheck does, or more. */
	c->lim = mode == LC_NATIVE ? native_limits : memcheck_limits;
	c->proc.pid = -1;
	c->proc.out_fd = -1;
	c->proc.log_fd = -1;
	c->sc.kind = cfg->scenario;
	c->sc.host = "127.0.0.1";
	c->sc.client = &cfg->client;
	c->sc.request = cfg->request;
	c->sc.timeout_ms = c->lim.op_ms;
	/*
	 * A whole step's deadline: two client deadlines in the course (a
	 * student's program that stops answering is named within seconds),
	 * six in any other check, where a loaded machine must not fail a
	 * twin's long burst. The slowest steps measured take a few seconds
	 * (natively 09's Node.js twin, 1000 messages; under DRD 14's burst,
	 * 2 s).
	 */
	c->sc.step_ms = c->lim.op_ms * (cfg->verify ? 2 : 6);
	c->sc.concurrency = cfg->concurrency;
	err = lc_held_init(&c->held);
	if (err) {
		run_error(run, err, "cannot make the held-connections lock");
		goto out_free_ctx;
	}

	err = do_run(c);
	lc_held_destroy(&c->held);
	lc_proc_cleanup(&c->proc);
	/* After a crash under memcheck, what it saw before is the explanation. */
	if (run->crashed && mode == LC_MEMCHECK && !run->mc.parsed) {
		char why[sizeof(run->error)];

		memcpy(why, run->error, sizeof(why));
		read_memcheck(c);
		memcpy(run->error, why, sizeof(why));
		run->exit_code = 2;
	}
	if (run->crashed && mode == LC_DRD && !run->drd.parsed) {
		char why[sizeof(run->error)];

		memcpy(why, run->error, sizeof(why));
		read_drd(c);
		memcpy(run->error, why, sizeof(why));
		run->exit_code = 2;
	}
	run->duration_ms = lc_now_ms() - run->t0;
	/* A failed run keeps its logs and XML for whoever investigates. */
	if (err == 0 && run->exit_code == 0 && !cfg->keep && run->tmpdir[0]) {
		lc_logs_remove(run->tmpdir);
		run->tmpdir[0] = '\0';
	}
out_free_ctx:
	ll_free(c);
	return err;
}

void lc_run_free(struct lc_run *run)
{
	ll_free(run->rows);
	run->rows = NULL;
	run->nrows = run->caprows = 0;
	lc_heap_profile_free(&run->profile);
}
