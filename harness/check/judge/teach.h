/*
 * teach.h - the course's verdict (leaklab-check --verify, which
 * ./leaklab verify runs): one row per check with what was measured, the
 * limit, ok or not, and a sentence that says why; where memcheck saw it
 * in the student's own file; a crash named and explained.
 */
#ifndef LEAKLAB_HARNESS_TEACH_H
#define LEAKLAB_HARNESS_TEACH_H

#include <stdio.h>

#include "record.h"

/* Prints the report of one verify run (either mode). */
void lc_teach_report(FILE *out, const struct lc_config *cfg, const struct lc_run *run);

/*
 * The exit code of a verify run: 0 pass, 1 not clean (a crash of the
 * student's program included: that is a finding, named in the report),
 * 2 no verdict (the harness could not do its job).
 */
int lc_teach_exit_code(const struct lc_run *run);

/* What a signal's death most likely means, in a few words. */
const char *lc_teach_signal_hint(int sig);

#endif
