/*
 * report.h - what leaklab-check prints: a table a student reads at a
 * glance, JSON for machines, a CSV time series for plots.
 */
#ifndef LEAKLAB_HARNESS_REPORT_H
#define LEAKLAB_HARNESS_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "record.h"

/* The table and verdict line of one run. */
void lc_report_table(FILE *out, const struct lc_config *cfg, const struct lc_run *run);

/* One case of the tour: its runs by variant and mode, and which of them ran. */
struct lc_tour_case {
	char name[64];
	unsigned signals;	  /* union of what the leak shows in both modes, without lost */
	struct lc_run runs[2][2]; /* [variant][mode] */
	bool ran[2][2];
	bool drd;	 /* its Valgrind column ran DRD (a race case), not memcheck */
	char *csv[2][2]; /* a run taken from its record (runrec.h): its CSV rows; else NULL */
};

/*
 * The tour's growth table: per case and signal the leak's growth per
 * client (with how it scales from N to 2N) beside the fix's, in mode md.
 */
void lc_report_tour_growth(FILE *out, const struct lc_tour_case *tc, size_t n, enum lc_mode md);

/* The tour's memcheck table: errors, lost, still reachable, fds left open at exit. */
void lc_report_tour_memcheck(FILE *out, const struct lc_tour_case *tc, size_t n);

/*
 * Writes every run as one JSON document (UTF-8: bytes of the runs' strings
 * that are not valid UTF-8 become U+FFFD) to path, created or truncated.
 * exit_code is the program's overall exit code. Returns 0, or LL_EIO if the
 * file could not be opened or any write or the close failed (the file may
 * then be incomplete).
 */
int lc_report_json(const char *path, const struct lc_config *cfg, const struct lc_run *runs,
		   size_t nruns, int exit_code);

/*
 * The same document written to f, which stays open (the caller closes it).
 * Returns 0, or LL_EIO if any write to f failed (its error flag is set).
 */
int lc_report_json_stream(FILE *f, const struct lc_config *cfg, const struct lc_run *runs,
			  size_t nruns, int exit_code);

/*
 * Writes the time series of every run to path as CSV with the header
 * "variant,mode,t_ms,phase,clients,threads,fds,heap,lost,rss,broken,races,no_1001"
 * (clients served since the baseline; heap, lost and rss in bytes; heap
 * only where it was measured, at the points base/N/2N and after each step
 * between them, lost the same under memcheck only, empty elsewhere; broken:
 * clients that saw broken frames so far). After a run's samples come its
 * "exit" rows, for what is known only once the program has ended: under
 * DRD one, with the race reports at exit (races); in a shutdown run one per
 * start, with clients the clients held, no_1001 those of them that got no
 * close 1001, and lost memcheck's lost bytes at exit. Returns 0 or LL_EIO
 * (the file could not be opened, or a write or the close failed).
 */
int lc_report_csv(const char *path, const struct lc_run *runs, size_t nruns);

/* The same, a part at a time: the header line, then one run's rows to f. */
void lc_report_csv_head(FILE *f);
void lc_report_csv_rows(FILE *f, const struct lc_run *run);

/*
 * With --heap-profile, after the table of a memcheck run: the allocation
 * stacks that grew from N to 2N, and, if cfg->flame_path is set, the same
 * as a flame graph (SVG) at flame_path and collapsed stacks beside it (the
 * name with ".svg" replaced by ".folded"); with both variants in one
 * command, "-leak" or "-fixed" goes before the extension. Returns 0 or
 * LL_EIO / LL_ENOMEM if a file could not be written (the report is printed
 * anyway).
 */
int lc_report_profile(FILE *out, const struct lc_config *cfg, const struct lc_run *run);

#endif
