/*
 * report.c - the table of one run, the tour's tables, the JSON document
 * and the CSV time series.
 */
#include "judge/report.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <leaklab/error.h>
#include <leaklab/ws_frame.h> /* ll_utf8_valid */

#include "judge/judge.h"
#include "twin.h"

/* A value for the table: "-" when it was not measured. */
static void cell(char *buf, size_t size, double v, bool measured)
{
	if (!measured || v < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.0f", v);
}

static void table_row(FILE *out, const char *label, double b, double n, double n2, bool measured,
		      double per_client, int per_client_decimals, const char *verdict)
{
	char cb[24], cn[24], cn2[24], pc[24];

	cell(cb, sizeof(cb), b, measured);
	cell(cn, sizeof(cn), n, measured);
	cell(cn2, sizeof(cn2), n2, measured);
	if (measured && per_client_decimals == 0)
		snprintf(pc, sizeof(pc), "%+.0f", lc_round_shown(per_client));
	else if (measured)
		snprintf(pc, sizeof(pc), "%+.*f", per_client_decimals, per_client);
	else
		snprintf(pc, sizeof(pc), "-");
	fprintf(out, "%-14s %12s %12s %12s %11s  %s\n", label, cb, cn, cn2, pc, verdict);
}

static const char *status_for_table(const struct lc_run *run, enum lc_signal s,
				    const struct lc_signal_result *r, char *buf, size_t size)
{
	/* Lost bytes while running are only a trend; the verdict is the count at exit. */
	if (s == LC_LOST && run->mode == LC_MEMCHECK && run->mc.parsed) {
		long long at_exit = run->mc.definitely + run->mc.indirectly + run->mc.possibly;
		const char *what =
		    run->variant == LC_FIXED
			? (at_exit == 0 ? "clean" : "NOT CLEAN")
			: (r->expected ? lc_status_text(r->status) : "(not checked)");

		snprintf(buf, size, "%s, %lld at exit", what, at_exit);
		return buf;
	}
	/* For the leak variant, signals the lesson is not about are information only. */
	if (run->variant == LC_LEAK && !r->expected && r->status != LC_ST_NA)
		return r->status == LC_ST_GROWS ? "grows (not checked)" : "flat (not checked)";
	/* A twin's fix: signals it is not judged on (a Go runtime's threads). */
	if (r->info)
		return r->status == LC_ST_GROWS ? "grows (not judged)" : "flat (not judged)";
	if (run->variant == LC_FIXED && r->status == LC_ST_FLAT)
		return "clean";
	if (run->variant == LC_FIXED && r->status == LC_ST_GROWS)
		return "NOT CLEAN";
	return lc_status_text(r->status);
}

/*
 * The race signal's row: counts at exit, not growth, so only the last
 * column has a number. Shown where it matters: under DRD, for a case whose
 * lesson is a race, or when a client saw broken frames.
 */
static void race_row(FILE *out, const struct lc_run *run, const struct lc_signal_result *r)
{
	long corrupted = run->corrupted + run->drive.corrupted;
	char what[160];

	if (run->mode != LC_DRD && !(run->expect & LC_SIG_BIT(LC_RACE)) && corrupted == 0)
		return;
	if (run->mode == LC_DRD)
		snprintf(what, sizeof(what),
			 "DRD: %ld race report(s); %ld client(s) saw broken frames", run->drd.races,
			 corrupted);
	else
		snprintf(what, sizeof(what), "%ld client(s) saw broken frames", corrupted);
	fprintf(out, "%-14s %12s %12s %12.0f %11s  %s, %s\n", "race", "-", "-", r->at_2n, "-",
		run->variant == LC_FIXED ? (r->status == LC_ST_FLAT ? "clean" : "NOT CLEAN")
					 : lc_status_text(r->status),
		what);
}

/* One number of a shutdown start, or "-" for a start that did not run. */
static void shut_field(char buf[24], const struct lc_shut_round *r, long v)
{
	if (r->held < 0)
		snprintf(buf, 24, "-");
	else
		snprintf(buf, 24, "%ld", v);
}

void lc_report_table(FILE *out, const struct lc_config *cfg, const struct lc_run *run)
{
	static const char *const labels[LC_NSIGNALS] = {
	    [LC_THREADS] = "threads",	[LC_FDS] = "fds",   [LC_HEAP] = "heap (bytes)",
	    [LC_LOST] = "lost (bytes)", [LC_RACE] = "race",
	};
	const struct lc_point *p = run->points;
	char head[64], status[64];
	int s;

	char paths[160] = "";
	size_t i, len = 0;

	for (i = 0; i < run->nscenarios && len + 1 < sizeof(paths); i++)
		len += (size_t)snprintf(paths + len, sizeof(paths) - len, "%s%s", i ? "," : "",
					lc_scenario_name(run->scenarios[i]));
	fprintf(out, "\n== %s: %s variant, %s, scenario %s, load %ld ==\n",
		cfg->case_name ? cfg->case_name : run->program, lc_variant_name(run->variant),
		lc_mode_name(run->mode), paths[0] ? paths : lc_scenario_name(cfg->scenario),
		run->load);
	for (i = 0; i < run->nbehaviour; i++) {
		const struct lc_behaviour_result *b = &run->behaviour[i];
		/* A thread that outlives its connection is what a thread leak must show. */
		bool lesson = b->outlives && run->variant == LC_LEAK &&
			      (run->expect & LC_SIG_BIT(LC_THREADS));
		const char *state = lesson ? "leaks (expected)" : "BROKEN";

		fprintf(out, "behaviour: %s: %s%s%s\n", b->what, b->ok ? "ok" : state,
			b->ok ? "" : ": ", b->ok ? "" : b->why);
	}
	if (!run->judged) {
		fprintf(out, "error: %s\n", run->error);
		if (run->log_tail[0])
			fprintf(out, "the program's last output:\n%s%s", run->log_tail,
				run->log_tail[strlen(run->log_tail) - 1] == '\n' ? "" : "\n");
		if (run->tmpdir[0])
			fprintf(out, "logs kept in %s\n", run->tmpdir);
		fprintf(out, "verdict: NO VERDICT (exit 2)\n");
		return;
	}

	snprintf(head, sizeof(head), "at %ld", run->load);
	fprintf(out, "%-14s %12s %12s ", "signal", "baseline", head);
	snprintf(head, sizeof(head), "at %ld", 2 * run->load);
	fprintf(out, "%12s %11s  %s\n", head, "per client", "verdict");
	for (s = 0; s < LC_NSIGNALS; s++) {
		const struct lc_signal_result *r = &run->verdict.sig[s];

		if (s == LC_LOST && run->mode != LC_MEMCHECK)
			continue; /* memcheck only */
		if (s == LC_RACE) {
			race_row(out, run, r);
			continue;
		}
		if (s == LC_HEAP && run->mode == LC_DRD)
			continue; /* DRD replaces malloc and counts nothing */
		if (s == LC_RUNTIME && !cfg->runtime.name[0])
			continue; /* twins only */
		table_row(out, s == LC_RUNTIME ? cfg->runtime.name : labels[s], r->base, r->at_n,
			  r->at_2n, r->measured, r->per_client,
			  s == LC_HEAP || s == LC_LOST ? 0 : 2,
			  status_for_table(run, (enum lc_signal)s, r, status, sizeof(status)));
	}
	if (p[0].rss_kib >= 0 && p[1].rss_kib >= 0 && p[2].rss_kib >= 0)
		table_row(out, "rss (KiB)", (double)p[0].rss_kib, (double)p[1].rss_kib,
			  (double)p[2].rss_kib, true,
			  run->load
			      ? (double)(p[2].rss_kib - p[0].rss_kib) / (2.0 * (double)run->load)
			      : 0,
			  2, "cross-check only");

	fprintf(out,
		"settled: base %s (%d samples, %ld ms), N %s (%d, %ld ms), 2N %s (%d, %ld ms)\n",
		p[0].settled ? "yes" : "NO", p[0].settle_tries, p[0].settle_ms,
		p[1].settled ? "yes" : "NO", p[1].settle_tries, p[1].settle_ms,
		p[2].settled ? "yes" : "NO", p[2].settle_tries, p[2].settle_ms);
	if (run->mode == LC_NATIVE && run->probe_threads[LC_P_2N] >= 0)
		fprintf(out,
			"the program's own view at 2N (GET /metrics, during that request): "
			"threads %ld, fds %ld\n",
			run->probe_threads[LC_P_2N], run->probe_fds[LC_P_2N]);
	if (cfg->runtime.name[0]) {
		char line[320];

		lc_twin_crosscheck(run, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
	/* A twin without a heap probe (Python) is not judged on one: no note. */
	if (run->heap_note[0] && (!cfg->judged || (cfg->judged & LC_SIG_BIT(LC_HEAP)) ||
				  (run->expect & LC_SIG_BIT(LC_HEAP))))
		fprintf(out, "note: %s\n", run->heap_note);
	if (run->runtime_note[0])
		fprintf(out, "note: %s\n", run->runtime_note);
	if (run->mode == LC_MEMCHECK) {
		const struct lc_memcheck *mc = &run->mc;

		fprintf(out,
			"memcheck at exit: %ld error(s); lost %lld bytes in %ld blocks "
			"(definitely %lld, indirectly %lld, possibly %lld); still reachable %lld; "
			"fds left open %ld\n",
			mc->errors, mc->definitely + mc->indirectly + mc->possibly, mc->leak_blocks,
			mc->definitely, mc->indirectly, mc->possibly, mc->reachable, mc->fds_open);
		if (mc->errors > 0)
			fprintf(out, "first error: %s\n", mc->first_error);
		if (mc->fds_open > 0)
			fprintf(out, "first fd left open: %s\n", mc->first_fd);
	}
	if (run->mode == LC_DRD) {
		const struct lc_drd *d = &run->drd;

		fprintf(out,
			"DRD at exit: %ld race report(s) in %ld record(s), %ld other error(s)\n",
			d->races, d->race_records, d->other_errors);
		if (d->races > 0)
			fprintf(out, "first race: %s\n  at %s\n", d->first_race,
				d->first_race_stack);
		if (d->first_race_at[0])
			fprintf(out, "first race in the program's own file: %s\n",
				d->first_race_at);
		if (d->other_errors > 0)
			fprintf(out, "first other error: %s\n", d->first_other);
	}
	if (run->sanitizer_leaks)
		fprintf(out, "LeakSanitizer reported leaks at exit (the program's log)\n");
	if (run->shutdown) {
		char held[LC_NPOINTS][24], got[LC_NPOINTS][24], ms[LC_NPOINTS][24];

		/* A start that did not run (beside a native check) shows as "-". */
		for (int k = 0; k < LC_NPOINTS; k++) {
			const struct lc_shut_round *r = &run->shut[k];

			shut_field(held[k], r, r->held);
			shut_field(got[k], r, r->got_1001);
			shut_field(ms[k], r, r->exit_ms);
		}
		fprintf(out,
			"shutdown: clients held %s / %s / %s, got 1001 %s / %s / %s, "
			"exit %s / %s / %s ms after SIGTERM\n",
			held[0], held[1], held[2], got[0], got[1], got[2], ms[0], ms[1], ms[2]);
		fprintf(out, "(threads: still running at exit, one per client that got no 1001; "
			     "fds: while the clients were held)\n");
	}
	if (run->drive.slow_dropped > 0)
		fprintf(out, "slow subscribers dropped by the server: %ld (close code %u)\n",
			run->drive.slow_dropped, run->drive.slow_close_code);
	if (run->drive.failed > 0)
		fprintf(out, "warning: %ld client(s) failed: %s\n", run->drive.failed,
			run->drive.first_error);
	if (run->tmpdir[0])
		fprintf(out, "logs kept in %s\n", run->tmpdir);
	fprintf(out, "verdict: %s\n", run->verdict.line);
}

/* ----- the tour: every case, leak beside fix ----- */

/* "+1.00/client 2.0x" for counts, "+16946 B/client 2.0x" for bytes. */
static void growth_text(char *buf, size_t size, const struct lc_signal_result *r, bool bytes,
			bool with_ratio)
{
	int n;

	if (!r->measured) {
		snprintf(buf, size, "-");
		return;
	}
	if (bytes)
		n = snprintf(buf, size, "%+.0f B/client", lc_round_shown(r->per_client));
	else
		n = snprintf(buf, size, "%+.2f/client", r->per_client);
	if (with_ratio && r->ratio > 0 && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " (%.1fx)", r->ratio);
}

/* A race is counted, not grown: "59 races (drd)", "2 broken clients". */
static void race_text(char *buf, size_t size, const struct lc_run *run)
{
	const struct lc_signal_result *r = &run->verdict.sig[LC_RACE];

	if (!run->judged || !r->measured)
		snprintf(buf, size, "-");
	else if (run->mode == LC_DRD)
		snprintf(buf, size, "%.0f races (drd)", r->at_2n);
	else
		snprintf(buf, size, "%.0f broken clients", r->at_2n);
}

static void memcheck_text(char *buf, size_t size, const struct lc_run *run)
{
	const struct lc_memcheck *mc = &run->mc;

	if (run->exit_code == 2 || (run->mode == LC_MEMCHECK && !mc->parsed)) {
		snprintf(buf, size, "no verdict");
		return;
	}
	/* A race case runs DRD in this column: its errors are the races. */
	if (run->mode == LC_DRD) {
		snprintf(buf, size, "%5ld %10s %10s %4s  (DRD: race reports)",
			 run->drd.races + run->drd.other_errors, "-", "-", "-");
		return;
	}
	snprintf(buf, size, "%5ld %10lld %10lld %4ld", mc->errors,
		 mc->definitely + mc->indirectly + mc->possibly, mc->reachable,
		 mc->fds_open < 0 ? 0 : mc->fds_open);
}

/* Growth per client under load, leak beside fix, one row per signal. */
void lc_report_tour_growth(FILE *out, const struct lc_tour_case *tc, size_t n, enum lc_mode md)
{
	size_t i;
	int s;

	fprintf(out, "\ngrowth under load (%s): per client, and how it scales from N to 2N\n",
		lc_mode_name(md));
	fprintf(out, "%-24s %-8s %-24s %-16s\n", "case", "signal", "leak", "fixed");
	for (i = 0; i < n; i++) {
		bool first = true;

		for (s = 0; s < LC_NSIGNALS; s++) {
			char lg[40], fg[40];

			if (!(tc[i].signals & LC_SIG_BIT(s)) || !tc[i].ran[LC_LEAK][md])
				continue;
			if (s == LC_RACE) {
				race_text(lg, sizeof(lg), &tc[i].runs[LC_LEAK][md]);
				race_text(fg, sizeof(fg), &tc[i].runs[LC_FIXED][md]);
			} else {
				growth_text(lg, sizeof(lg), &tc[i].runs[LC_LEAK][md].verdict.sig[s],
					    s == LC_HEAP, true);
				growth_text(fg, sizeof(fg),
					    &tc[i].runs[LC_FIXED][md].verdict.sig[s], s == LC_HEAP,
					    false);
			}
			fprintf(out, "%-24s %-8s %-24s %-16s\n", first ? tc[i].name : "",
				lc_signal_name((enum lc_signal)s), lg, fg);
			first = false;
		}
	}
}

/* What memcheck found at exit, leak beside fix. */
void lc_report_tour_memcheck(FILE *out, const struct lc_tour_case *tc, size_t n)
{
	size_t i;

	fprintf(out,
		"\nmemcheck at exit: errors, lost bytes (definitely + indirectly + possibly),\n"
		"still reachable bytes, fds left open\n");
	fprintf(out, "%-24s %-6s %5s %10s %10s %4s\n", "case", "", "err", "lost", "reachable",
		"fds");
	for (i = 0; i < n; i++) {
		char text[64];
		int v;

		for (v = LC_LEAK; v <= LC_FIXED; v++) {
			if (!tc[i].ran[v][LC_MEMCHECK])
				continue;
			memcheck_text(text, sizeof(text), &tc[i].runs[v][LC_MEMCHECK]);
			fprintf(out, "%-24s %-6s %s\n", v == LC_LEAK ? tc[i].name : "",
				lc_variant_name((enum lc_variant)v), text);
		}
	}
}

/* ----- JSON ----- */

/* The length of the UTF-8 sequence a lead byte starts, or 0 if it starts none. */
static size_t utf8_seq_len(unsigned char lead)
{
	if (lead >= 0xc2 && lead <= 0xdf)
		return 2;
	if (lead >= 0xe0 && lead <= 0xef)
		return 3;
	if (lead >= 0xf0 && lead <= 0xf4)
		return 4;
	return 0;
}

/*
 * A JSON string (RFC 8259 section 7). JSON text must be UTF-8, but the
 * strings here come from outside (the program's path, its error messages,
 * memcheck's stack frames): each byte that does not begin a valid UTF-8
 * sequence becomes U+FFFD, the replacement character, so one bad byte never
 * makes the whole document unreadable.
 */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	while (s && *s) {
		unsigned char ch = (unsigned char)*s;
		size_t k;

		if (ch < 0x80) {
			if (ch == '"' || ch == '\\')
				fprintf(f, "\\%c", ch);
			else if (ch == '\n')
				fputs("\\n", f);
			else if (ch == '\t')
				fputs("\\t", f);
			else if (ch < 0x20)
				fprintf(f, "\\u%04x", ch);
			else
				fputc(ch, f);
			s++;
			continue;
		}
		k = utf8_seq_len(ch);
		if (k && strnlen(s, k) == k && ll_utf8_valid((const uint8_t *)s, k)) {
			fwrite(s, 1, k, f);
			s += k;
		} else {
			fputs("\\ufffd", f);
			s++;
		}
	}
	fputc('"', f);
}

/* A number, or null when it was not measured. */
static void json_num(FILE *f, long long v)
{
	if (v < 0)
		fputs("null", f);
	else
		fprintf(f, "%lld", v);
}

static void json_signals(FILE *f, unsigned mask)
{
	bool first = true;
	int s;

	fputc('[', f);
	for (s = 0; s < LC_NSIGNALS; s++) {
		if (!(mask & LC_SIG_BIT(s)))
			continue;
		if (!first)
			fputc(',', f);
		json_str(f, lc_signal_name((enum lc_signal)s));
		first = false;
	}
	fputc(']', f);
}

static void json_run(FILE *f, const struct lc_config *cfg, const struct lc_run *run)
{
	static const char *const names[LC_NPOINTS] = {"base", "n", "2n"};
	int i, s;

	fprintf(f, "    {\n      \"variant\": ");
	json_str(f, lc_variant_name(run->variant));
	fprintf(f, ",\n      \"mode\": ");
	json_str(f, lc_mode_name(run->mode));
	fprintf(f, ",\n      \"program\": ");
	json_str(f, run->program);
	fprintf(f, ",\n      \"scenario\": ");
	json_str(f, lc_scenario_name(run->nscenarios ? run->scenarios[0] : cfg->scenario));
	fprintf(f, ",\n      \"scenarios\": [");
	for (i = 0; i < (int)run->nscenarios; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_str(f, lc_scenario_name(run->scenarios[i]));
	}
	fprintf(f, "],\n      \"behaviour\": [");
	for (i = 0; i < (int)run->nbehaviour; i++) {
		fprintf(f, "%s{\"check\": ", i ? ", " : "");
		json_str(f, run->behaviour[i].what);
		fprintf(f, ", \"ok\": %s, \"why\": ", run->behaviour[i].ok ? "true" : "false");
		json_str(f, run->behaviour[i].why);
		fprintf(f, "}");
	}
	fprintf(f, "]");
	fprintf(f, ",\n      \"load\": %ld,\n      \"warmup\": %ld,\n      \"expect\": ", run->load,
		run->warmup);
	json_signals(f, run->variant == LC_LEAK ? run->expect : 0);
	fprintf(f,
		",\n      \"port\": %u,\n      \"startup_ms\": %ld,\n      \"duration_ms\": %ld,\n",
		run->port, run->startup_ms, run->duration_ms);
	if (run->first_answer_at > 0)
		fprintf(f, "      \"first_answer_at\": %.3f,\n", run->first_answer_at);
	fprintf(f, "      \"exit\": ");
	json_str(f, run->exit_desc);
	fprintf(f, ",\n      \"killed\": %s,\n      \"sanitizer_leaks\": %s,\n",
		run->killed ? "true" : "false", run->sanitizer_leaks ? "true" : "false");
	fprintf(f,
		"      \"clients\": {\"ok\": %ld, \"failed\": %ld, \"connect_failed\": %ld, "
		"\"held_at_end\": %ld, \"corrupted\": %ld, \"first_error\": ",
		run->drive.ok, run->drive.failed, run->drive.connect_failed, run->held_at_end,
		run->corrupted + run->drive.corrupted);
	json_str(f, run->drive.first_error);
	fprintf(f, "},\n      \"heap_source\": ");
	json_str(f, run->heap_source);
	fprintf(f, ",\n      \"heap_note\": ");
	json_str(f, run->heap_note);
	fprintf(f, ",\n      \"points\": {\n");
	for (i = 0; i < LC_NPOINTS; i++) {
		const struct lc_point *p = &run->points[i];

		fprintf(f, "        \"%s\": {\"load\": %ld, \"threads\": ", names[i], p->load);
		json_num(f, run->judged ? p->threads : -1);
		fprintf(f, ", \"fds\": ");
		json_num(f, run->judged ? p->fds : -1);
		fprintf(f, ", \"heap\": ");
		json_num(f, run->judged ? p->heap : -1);
		fprintf(f, ", \"lost\": ");
		json_num(f, run->judged ? p->lost : -1);
		fprintf(f, ", \"rss_kib\": ");
		json_num(f, run->judged ? p->rss_kib : -1);
		fprintf(f, ", \"probe_threads\": ");
		json_num(f, run->judged ? run->probe_threads[i] : -1);
		fprintf(f, ", \"probe_fds\": ");
		json_num(f, run->judged ? run->probe_fds[i] : -1);
		fprintf(f, ", \"settled\": %s, \"settle_tries\": %d, \"settle_ms\": %ld}%s\n",
			p->settled ? "true" : "false", p->settle_tries, p->settle_ms,
			i + 1 < LC_NPOINTS ? "," : "");
	}
	fprintf(f, "      },\n      \"signals\": {\n");
	for (s = 0; s < LC_NSIGNALS; s++) {
		const struct lc_signal_result *r = &run->verdict.sig[s];

		fprintf(f, "        ");
		json_str(f, lc_signal_name((enum lc_signal)s));
		fprintf(f, ": {\"measured\": %s, \"expected\": %s, ",
			r->measured ? "true" : "false", r->expected ? "true" : "false");
		if (r->measured)
			fprintf(f,
				"\"base\": %.0f, \"at_n\": %.0f, \"at_2n\": %.0f, "
				"\"per_client\": %.4f, \"ratio\": %.4f, ",
				r->base, r->at_n, r->at_2n, r->per_client, r->ratio);
		fprintf(f, "\"status\": ");
		json_str(f, run->judged ? lc_status_text(r->status) : "");
		fprintf(f, ", \"note\": ");
		json_str(f, r->note);
		fprintf(f, "}%s\n", s + 1 < LC_NSIGNALS ? "," : "");
	}
	fprintf(f, "      },\n");
	if (run->mode == LC_DRD) {
		const struct lc_drd *d = &run->drd;

		fprintf(f,
			"      \"drd\": {\"parsed\": %s, \"races\": %ld, \"race_records\": %ld, "
			"\"other_errors\": %ld, \"first_race\": ",
			d->parsed ? "true" : "false", d->races, d->race_records, d->other_errors);
		json_str(f, d->first_race);
		fprintf(f, ", \"first_race_stack\": ");
		json_str(f, d->first_race_stack);
		fprintf(f, ", \"first_race_at\": ");
		json_str(f, d->first_race_at);
		fprintf(f, ", \"first_other\": ");
		json_str(f, d->first_other);
		fprintf(f, "},\n");
	}
	if (run->mode == LC_MEMCHECK) {
		const struct lc_memcheck *mc = &run->mc;

		fprintf(f,
			"      \"memcheck\": {\"parsed\": %s, \"errors\": %ld, \"first_error\": ",
			mc->parsed ? "true" : "false", mc->errors);
		json_str(f, mc->first_error);
		fprintf(f,
			", \"definitely_lost\": %lld, \"indirectly_lost\": %lld, "
			"\"possibly_lost\": %lld, \"still_reachable\": %lld, \"lost_blocks\": %ld, "
			"\"fds_open_at_exit\": ",
			mc->definitely, mc->indirectly, mc->possibly, mc->reachable,
			mc->leak_blocks);
		json_num(f, mc->fds_open);
		fprintf(f, ", \"first_fd\": ");
		json_str(f, mc->first_fd);
		fprintf(f, "},\n");
	}
	fprintf(f, "      \"passed\": %s,\n      \"exit_code\": %d,\n      \"verdict\": ",
		run->exit_code == 0 ? "true" : "false", run->exit_code);
	json_str(f, run->judged ? run->verdict.line : "");
	fprintf(f, ",\n      \"error\": ");
	json_str(f, run->error);
	fprintf(f, ",\n      \"logs\": ");
	json_str(f, run->tmpdir);
	fprintf(f, "\n    }");
}

int lc_report_json_stream(FILE *f, const struct lc_config *cfg, const struct lc_run *runs,
			  size_t nruns, int exit_code)
{
	size_t i;

	fprintf(f, "{\n  \"tool\": \"leaklab-check\",\n  \"case\": ");
	if (cfg->case_name)
		json_str(f, cfg->case_name);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"summary\": ");
	json_str(f, cfg->summary);
	fprintf(f, ",\n  \"exit_code\": %d,\n  \"runs\": [\n", exit_code);
	for (i = 0; i < nruns; i++) {
		json_run(f, cfg, &runs[i]);
		fprintf(f, "%s\n", i + 1 < nruns ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	/* A write that failed on the way sets the error flag even if the last one worked. */
	return fflush(f) == 0 && !ferror(f) ? 0 : LL_EIO;
}

/* Closes f after writing it: an error of the writes or of the close is LL_EIO. */
static int close_written(FILE *f, int err)
{
	if (fclose(f) != 0)
		err = LL_EIO;
	return err;
}

int lc_report_json(const char *path, const struct lc_config *cfg, const struct lc_run *runs,
		   size_t nruns, int exit_code)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return LL_EIO;
	return close_written(f, lc_report_json_stream(f, cfg, runs, nruns, exit_code));
}

/*
 * The rows a run records when its program has ended, which no sample taken
 * while it ran can hold: one per start of a shutdown run (clients held,
 * those without their close 1001, memcheck's lost bytes at exit), and
 * under DRD the race reports at exit, at the load served.
 */
static void csv_exit_rows(FILE *f, const struct lc_run *run)
{
	const char *v = lc_variant_name(run->variant), *m = lc_mode_name(run->mode);
	long t = run->nrows ? run->rows[run->nrows - 1].t_ms : 0;
	long broken = run->nrows ? run->rows[run->nrows - 1].broken : 0;
	size_t i;

	if (run->shutdown) {
		for (i = 0; i < LC_NPOINTS; i++) {
			const struct lc_shut_round *r = &run->shut[i];

			fprintf(f, "%s,%s,%ld,exit,%ld,,,,", v, m, t, r->held);
			if (r->lost >= 0)
				fprintf(f, "%lld", r->lost);
			fprintf(f, ",,%ld,,%ld\n", broken, r->held - r->got_1001);
		}
	} else if (run->mode == LC_DRD && run->drd.parsed) {
		fprintf(f, "%s,%s,%ld,exit,%ld,,,,,,%ld,%ld,\n", v, m, t,
			run->nrows ? run->rows[run->nrows - 1].clients : 0, broken, run->drd.races);
	}
}

void lc_report_csv_head(FILE *f)
{
	fprintf(f, "variant,mode,t_ms,phase,clients,threads,fds,heap,lost,rss,broken,races,"
		   "no_1001\n");
}

void lc_report_csv_rows(FILE *f, const struct lc_run *run)
{
	size_t j;

	for (j = 0; j < run->nrows; j++) {
		const struct lc_row *r = &run->rows[j];

		fprintf(f, "%s,%s,%ld,%s,%ld,%ld,%ld,", lc_variant_name(run->variant),
			lc_mode_name(run->mode), r->t_ms, r->phase, r->clients, r->threads, r->fds);
		if (r->heap >= 0)
			fprintf(f, "%lld", r->heap);
		fprintf(f, ",");
		if (r->lost >= 0)
			fprintf(f, "%lld", r->lost);
		fprintf(f, ",");
		if (r->rss_kib >= 0)
			fprintf(f, "%lld", (long long)r->rss_kib * 1024);
		fprintf(f, ",%ld,,\n", r->broken);
	}
	csv_exit_rows(f, run);
}

int lc_report_csv(const char *path, const struct lc_run *runs, size_t nruns)
{
	FILE *f = fopen(path, "we");
	size_t i;

	if (!f)
		return LL_EIO;
	lc_report_csv_head(f);
	for (i = 0; i < nruns; i++)
		lc_report_csv_rows(f, &runs[i]);
	return close_written(f, fflush(f) == 0 && !ferror(f) ? 0 : LL_EIO);
}

/* ----- the heap profile ----- */

/* path with "-leak" or "-fixed" before its ".svg" (if tag), and ext instead of ".svg". */
static void profile_path(char *buf, size_t size, const char *path, const char *tag, const char *ext)
{
	size_t len = strlen(path);

	if (len > 4 && strcmp(path + len - 4, ".svg") == 0)
		len -= 4;
	snprintf(buf, size, "%.*s%s%s%s", (int)len, path, tag ? "-" : "", tag ? tag : "", ext);
}

int lc_report_profile(FILE *out, const struct lc_config *cfg, const struct lc_run *run)
{
	const char *own = run->own_source[0] ? run->own_source : NULL;
	const char *tag = cfg->variants[LC_LEAK] && cfg->variants[LC_FIXED]
			      ? lc_variant_name(run->variant)
			      : NULL;
	char svg[4096], folded[4096], title[256];
	FILE *f;
	int err = 0;

	if (!run->profiled)
		return 0;
	lc_heap_profile_print(out, &run->profile, run->load, own, 8);
	if (run->profile.truncated)
		fprintf(out, "note: a leak check failed or its output was cut short; the profile "
			     "may miss stacks\n");
	if (!cfg->flame_path)
		return 0;
	profile_path(svg, sizeof(svg), cfg->flame_path, tag, ".svg");
	profile_path(folded, sizeof(folded), cfg->flame_path, tag, ".folded");
	snprintf(title, sizeof(title), "%s, %s: %s growth from %ld to %ld clients, by stack",
		 cfg->case_name ? cfg->case_name : run->program, lc_variant_name(run->variant),
		 run->profile.unit == LC_HP_GOROUTINES ? "goroutine" : "heap", run->load,
		 2 * run->load);
	f = fopen(svg, "we");
	if (!f)
		return LL_EIO;
	err = lc_heap_profile_write_svg(&run->profile, f, title, own);
	if (fclose(f) != 0 && !err)
		err = LL_EIO;
	if (err)
		return err;
	f = fopen(folded, "we");
	if (!f)
		return LL_EIO;
	err = lc_heap_profile_write_folded(&run->profile, f);
	if (fclose(f) != 0 && !err)
		err = LL_EIO;
	if (!err)
		fprintf(out, "flame graph: %s (collapsed stacks: %s)\n", svg, folded);
	return err;
}
