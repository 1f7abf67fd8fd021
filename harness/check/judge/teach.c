/*
 * teach.c - the course's verdict (teach.h). The numbers are the judge's
 * own (struct lc_verdict), so the rows and the verdict line can never
 * disagree; this file only says them in a student's words.
 */
#include "judge/teach.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "judge/judge.h"

#define ROW "  %-11s %-46s %-15s %s\n"

const char *lc_teach_signal_hint(int sig)
{
	switch (sig) {
	case SIGSEGV: return "a use-after-free, a NULL pointer or a double cleanup?";
	case SIGABRT:
		return "abort(): a failed check, or glibc found the heap corrupted (a double "
		       "free?)";
	case SIGBUS: return "memory that is no longer mapped: a use-after-free?";
	case SIGFPE: return "a division by zero?";
	case SIGPIPE: return "a write to a socket the peer closed, with SIGPIPE not ignored?";
	case SIGKILL: return "killed from outside, or it would not stop on SIGTERM";
	default: return "see the program's output below";
	}
}

/* A path as a person in the current directory would type it. */
static const char *shown(const char *path)
{
	static char cwd[4096];
	size_t n;

	if (!getcwd(cwd, sizeof(cwd)))
		return path;
	n = strlen(cwd);
	return strncmp(path, cwd, n) == 0 && path[n] == '/' ? path + n + 1 : path;
}

/* Why a signal that grew leaks, in the words of its kind of resource. */
static const char *why_grows(enum lc_signal s)
{
	switch (s) {
	case LC_THREADS:
		return "threads outlive their clients: something started for each connection "
		       "(a timer, a worker, a waiter) is never stopped and joined";
	case LC_FDS:
		return "descriptors outlive their clients: a socket or file is never closed on "
		       "some way a connection ends";
	case LC_HEAP:
		return "memory outlives its clients: something allocated per connection is never "
		       "freed, or a structure keeps an entry for every client that ever came";
	default: return "";
	}
}

static void measured_text(char *buf, size_t size, enum lc_signal s,
			  const struct lc_signal_result *r, long per_step)
{
	if (!r->measured) {
		snprintf(buf, size, "not measured");
		return;
	}
	if (s == LC_HEAP)
		snprintf(buf, size, "%+.0f B/client (%+.0f, %+.0f B)", r->per_client,
			 r->at_n - r->base, r->at_2n - r->base);
	else
		snprintf(buf, size, "%+.0f at %ld clients, %+.0f at %ld", r->at_n - r->base,
			 per_step, r->at_2n - r->base, 2 * per_step);
}

/* The exit paths on which a count or the heap grew, for the row under a signal. */
static void paths_text(char *buf, size_t size, const struct lc_run *run, enum lc_signal s)
{
	const struct lc_point *base = &run->points[LC_P_BASE];
	size_t k, len = 0;
	int round;

	buf[0] = '\0';
	if (!run->paths_sampled || s == LC_LOST)
		return;
	for (k = 0; k < run->nscenarios; k++) {
		double grew = 0;

		for (round = 0; round < 2; round++) {
			const struct lc_path_sample *now = &run->path[round][k];
			const struct lc_path_sample *before =
			    k > 0	? &run->path[round][k - 1]
			    : round > 0 ? &run->path[0][run->nscenarios - 1]
					: NULL;
			double b, n;

			if (s == LC_THREADS) {
				b = before ? (double)before->threads : (double)base->threads;
				n = (double)now->threads;
			} else if (s == LC_FDS) {
				b = before ? (double)before->fds : (double)base->fds;
				n = (double)now->fds;
			} else {
				if (now->heap < 0 || (before && before->heap < 0) || base->heap < 0)
					return;
				b = before ? (double)before->heap : (double)base->heap;
				n = (double)now->heap;
			}
			grew += n - b;
		}
		if (s == LC_HEAP ? grew / (2.0 * (double)run->load) < LC_MAX_PER_CLIENT_HEAP_FIXED
				 : grew == 0)
			continue;
		if (len + 1 < size)
			len += (size_t)snprintf(
			    buf + len, size - len, "%s%s %+.0f%s",
			    len ? ", " : "grows on: ", lc_scenario_name(run->scenarios[k]), grew,
			    s == LC_HEAP ? " B" : "");
	}
	if (len + 1 < size && len)
		snprintf(buf + len, size - len, " (over %ld + %ld of each)", run->load, run->load);
}

static void report_crash(FILE *out, const struct lc_run *run)
{
	const struct lc_memcheck *mc = &run->mc;

	if (run->crash_signal)
		fprintf(out, "  your program was killed by SIG%s: %s\n",
			sigabbrev_np(run->crash_signal) ? sigabbrev_np(run->crash_signal) : "?",
			lc_teach_signal_hint(run->crash_signal));
	else
		fprintf(out, "  your program ended on its own (%s): %s\n", run->exit_desc,
			run->error);
	if (run->mode == LC_MEMCHECK && mc->errors > 0) {
		fprintf(out, "  memcheck saw %s\n", mc->first_error);
		if (mc->first_error_at[0] && !strstr(mc->first_error, mc->first_error_at))
			fprintf(out, "  in your file: %s\n", mc->first_error_at);
	} else if (run->mode == LC_NATIVE) {
		fprintf(
		    out,
		    "  (./leaklab verify NN --memcheck shows where memcheck saw it go wrong)\n");
	}
	if (run->log_tail[0])
		fprintf(out, "  its last output:\n%s%s", run->log_tail,
			run->log_tail[strlen(run->log_tail) - 1] == '\n' ? "" : "\n");
}

/*
 * The shutdown scenario's rows: what the clients held across SIGTERM got,
 * and how soon the program was gone; counts while clients are held are
 * expected to grow, so they are not rows here. Returns the rows not ok.
 */
static int shutdown_rows(FILE *out, const struct lc_run *run)
{
	const struct lc_shut_round *r = run->shut;
	long limit = LC_SHUTDOWN_EXIT_MS * (run->mode == LC_MEMCHECK ? 5 : 1);
	char measured[96], lim[32];
	bool ok;
	int bad = 0;

	snprintf(measured, sizeof(measured), "%ld of %ld, %ld of %ld", r[LC_P_N].got_1001,
		 r[LC_P_N].held, r[LC_P_2N].got_1001, r[LC_P_2N].held);
	ok = r[LC_P_N].other_close == 0 && r[LC_P_2N].other_close == 0;
	fprintf(out, ROW, "got 1001", measured, "every client", ok ? "ok" : "NO");
	if (!ok) {
		bad++;
		fprintf(out,
			"              clients whose connection ended without a close frame "
			"(%u): the program exited with their threads still running, or cut "
			"them off without the close handshake\n",
			r[LC_P_2N].first_code ? r[LC_P_2N].first_code : r[LC_P_N].first_code);
	}
	snprintf(measured, sizeof(measured), "%ld / %ld / %ld ms", r[0].exit_ms, r[1].exit_ms,
		 r[2].exit_ms);
	snprintf(lim, sizeof(lim), "<= %ld ms", limit);
	ok = r[0].exit_ms <= limit && r[1].exit_ms <= limit && r[2].exit_ms <= limit;
	fprintf(out, ROW, "exit time", measured, lim, ok ? "ok" : "NO");
	if (!ok) {
		bad++;
		fprintf(out, "              SIGTERM to exit, with 0, N and 2N clients held: "
			     "something waits past the close deadline\n");
	}
	return bad;
}

int lc_teach_exit_code(const struct lc_run *run)
{
	if (run->judged)
		return run->exit_code;
	/*
	 * The student's program died, is stuck, or broke its feature so that
	 * the scenario's clients could not be served: a finding, not harness
	 * trouble.
	 */
	return run->crashed || run->stuck || run->behaviour_failed ? 1 : 2;
}

void lc_teach_report(FILE *out, const struct lc_config *cfg, const struct lc_run *run)
{
	const char *file = cfg->source ? cfg->source : run->program;
	long per_step = run->load * (long)(run->nscenarios ? run->nscenarios : 1);
	char measured[96], paths[256], limit[32], paths_list[160] = "";
	size_t i, len = 0;
	int s, bad = 0;

	for (i = 0; i < run->nscenarios && len + 1 < sizeof(paths_list); i++)
		len += (size_t)snprintf(paths_list + len, sizeof(paths_list) - len, "%s%s",
					i ? ", " : "", lc_scenario_name(run->scenarios[i]));
	fprintf(out, "\n== %s, %s: %s ==\n", cfg->case_name ? cfg->case_name : "verify",
		lc_mode_name(run->mode), file);
	fprintf(out, "  every step drives %ld of each: %s\n", run->load, paths_list);
	fprintf(out, ROW, "check", "measured", "limit", "ok");
	for (i = 0; i < run->nbehaviour; i++) {
		const struct lc_behaviour_result *b = &run->behaviour[i];

		fprintf(out, ROW, "behaviour", b->ok ? "works" : "does not work", "must work",
			b->ok ? "ok" : "NO");
		fprintf(out, "              %s\n", b->what);
		if (!b->ok) {
			fprintf(out,
				"              %s: the feature must keep working (deleting it is "
				"no fix)\n",
				b->why);
			bad++;
		}
	}
	if (!run->judged) {
		if (run->crashed) {
			report_crash(out, run);
			fprintf(out, "verdict: NOT clean: your program crashed (exit 1)\n");
		} else if (run->stuck) {
			fprintf(out, "  %s\n", run->error);
			if (run->log_tail[0])
				fprintf(out, "  its last output:\n%s%s", run->log_tail,
					run->log_tail[strlen(run->log_tail) - 1] == '\n' ? ""
											 : "\n");
			fprintf(out, "verdict: NOT clean: your program is stuck (exit 1; %.1f s)\n",
				(double)run->duration_ms / 1000.0);
		} else if (run->behaviour_failed) {
			fprintf(out, "  %s\n", run->error);
			fprintf(out, "verdict: NOT clean: your program does not do its job, so "
				     "nothing could be measured (exit 1)\n");
		} else {
			fprintf(out, "  %s\n", run->error);
			if (run->log_tail[0])
				fprintf(out, "  the program's last output:\n%s", run->log_tail);
			fprintf(out, "verdict: NO VERDICT: the check could not run (exit 2)\n");
		}
		if (run->tmpdir[0])
			fprintf(out, "  logs kept in %s\n", shown(run->tmpdir));
		return;
	}
	if (run->shutdown && run->counts_elsewhere)
		fprintf(out, "  got 1001 and exit time: the native check's rows; one start with a "
			     "quarter of its clients here, as Valgrind counts exactly\n");
	else if (run->shutdown)
		bad += shutdown_rows(out, run);
	if (run->counts_elsewhere && !run->shutdown)
		fprintf(out, "  threads, fds and heap: the native check's rows; a quarter of its "
			     "clients here, as Valgrind counts exactly\n");
	for (s = LC_THREADS; s <= LC_HEAP && !run->shutdown && !run->counts_elsewhere; s++) {
		const struct lc_signal_result *r = &run->verdict.sig[s];
		bool ok = r->status == LC_ST_FLAT;

		if (s == LC_HEAP && run->mode == LC_DRD)
			continue; /* DRD counts no heap; the native run does */
		measured_text(measured, sizeof(measured), (enum lc_signal)s, r, per_step);
		if (s == LC_HEAP)
			snprintf(limit, sizeof(limit), "< %.0f B/client",
				 LC_MAX_PER_CLIENT_HEAP_FIXED);
		else
			snprintf(limit, sizeof(limit), "0 (baseline)");
		fprintf(out, ROW, lc_signal_name((enum lc_signal)s), measured, limit,
			ok ? "ok" : "NO");
		if (!ok) {
			bad++;
			fprintf(out, "              %s\n",
				r->status == LC_ST_UNKNOWN ? r->note
							   : why_grows((enum lc_signal)s));
			paths_text(paths, sizeof(paths), run, (enum lc_signal)s);
			if (paths[0])
				fprintf(out, "              %s\n", paths);
		}
	}
	if (run->mode == LC_MEMCHECK) {
		const struct lc_memcheck *mc = &run->mc;
		long long lost = mc->definitely + mc->indirectly + mc->possibly;

		snprintf(measured, sizeof(measured), "%lld bytes in %ld blocks", lost,
			 mc->leak_blocks);
		fprintf(out, ROW, "lost", measured, "0", lost == 0 ? "ok" : "NO");
		if (lost > 0) {
			bad++;
			fprintf(out, "              %s\n",
				mc->possibly > 0 && mc->definitely == 0
				    ? "possibly lost at exit: memory held by threads still running "
				      "(never joined) when the program ended"
				    : "memory nothing points to any more: it was never freed");
			if (mc->lost_at[0])
				fprintf(out, "              allocated in your file at %s\n",
					mc->lost_at);
		}
		snprintf(measured, sizeof(measured), "%ld", mc->errors);
		fprintf(out, ROW, "errors", measured, "0", mc->errors == 0 ? "ok" : "NO");
		if (mc->errors > 0) {
			bad++;
			fprintf(out, "              %s\n", mc->first_error);
			fprintf(out, "              %s\n",
				strstr(mc->first_error, "Invalid")
				    ? "memory used after it was freed (a use-after-free?) or "
				      "outside its block"
				    : "see memcheck's log for the whole stack");
			if (mc->first_error_at[0] && !strstr(mc->first_error, mc->first_error_at))
				fprintf(out, "              in your file at %s\n",
					mc->first_error_at);
		}
		snprintf(measured, sizeof(measured), "%ld", mc->fds_open < 0 ? 0 : mc->fds_open);
		fprintf(out, ROW, "fds at exit", mc->fds_open < 0 ? "unknown" : measured, "0",
			mc->fds_open == 0 ? "ok" : "NO");
		if (mc->fds_open > 0) {
			bad++;
			fprintf(out, "              %s\n", mc->first_fd);
		}
		if (lost == 0 && run->counts_elsewhere && mc->reachable > 0 && mc->reachable_at[0])
			fprintf(
			    out,
			    "             %lld bytes still reachable at exit; the biggest block "
			    "was allocated in your file at %s\n",
			    mc->reachable, mc->reachable_at);
		else if (lost == 0 && run->verdict.sig[LC_HEAP].status == LC_ST_GROWS &&
			 mc->reachable_at[0])
			fprintf(out,
				"             the heap that grows is still reachable; the biggest "
				"block of it was allocated in your file at %s\n",
				mc->reachable_at);
	}
	if (run->mode == LC_DRD) {
		const struct lc_drd *d = &run->drd;

		snprintf(measured, sizeof(measured), "%ld", d->races);
		fprintf(out, ROW, "races", measured, "0", d->races == 0 ? "ok" : "NO");
		if (d->races > 0) {
			bad++;
			fprintf(out, "              %s\n", d->first_race);
			fprintf(out, "              two threads touched the same memory with no "
				     "lock ordering them\n");
			if (d->first_race_at[0])
				fprintf(out, "              in your file at %s\n",
					d->first_race_at);
			else
				fprintf(out, "              at %s\n", d->first_race_stack);
		}
		snprintf(measured, sizeof(measured), "%ld", d->other_errors);
		fprintf(out, ROW, "errors", measured, "0", d->other_errors == 0 ? "ok" : "NO");
		if (d->other_errors > 0) {
			bad++;
			fprintf(out, "              %s\n", d->first_other);
		}
	}
	if (run->drive.failed > 0) {
		bad++;
		fprintf(out, "  clients that failed: %ld, e.g. %s\n", run->drive.failed,
			run->drive.first_error);
	}
	if (run->tmpdir[0] && run->exit_code != 0)
		fprintf(out, "  logs kept in %s\n", shown(run->tmpdir));
	fprintf(out, "verdict: %s (%d row%s not ok; %.1f s)\n", run->verdict.line, bad,
		bad == 1 ? "" : "s", (double)run->duration_ms / 1000.0);
}
