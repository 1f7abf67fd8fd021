/*
 * report.h - what leaklab-check prints: a table a student reads at a
 * glance, JSON for machines, a CSV time series for plots.
 */
#ifndef LEAKLAB_HARNESS_REPORT_H
#define LEAKLAB_HARNESS_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "run.h"

/* The table and verdict line of one run. */
void lc_report_table(FILE *out, const struct lc_config *cfg, const struct lc_run *run);

/*
 * Writes every run as one JSON document to path. Returns 0 or LL_EIO.
 * exit_code is the program's overall exit code.
 */
int lc_report_json(const char *path, const struct lc_config *cfg, const struct lc_run *runs,
		   size_t nruns, int exit_code);

/*
 * Writes the time series of every run to path as CSV with the header
 * "variant,mode,t_ms,phase,threads,fds,heap,rss" (heap and rss in bytes;
 * heap only at the sample points base/N/2N, empty elsewhere). Returns 0
 * or LL_EIO.
 */
int lc_report_csv(const char *path, const struct lc_run *runs, size_t nruns);

#endif
