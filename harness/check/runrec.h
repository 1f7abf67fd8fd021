/*
 * runrec.h - a check's record, for a tour that takes it instead of
 * running the same check again.
 *
 * The suite's case tests run the very checks the tour runs
 * (leaklab-check --case NN-slug --variant V --native|--memcheck
 * [--twin L]) through harness/tools/record-run, which names each by the
 * SHA-1 of its arguments. Given LEAKLAB_RUN_RECORD, leaklab-check writes
 * there what the tour prints of its run: the verdict, the numbers of its
 * tables and the run's CSV rows for the tour's figure. A tour given
 * LEAKLAB_RECORDS reads the record of a check when it was written after
 * the last build of the program, its manifest and the checker, and runs
 * the check itself otherwise.
 */
#ifndef LEAKLAB_HARNESS_RUNREC_H
#define LEAKLAB_HARNESS_RUNREC_H

#include <stddef.h>

#include "record.h"

/*
 * DIR/<40 hex digits>.run: the SHA-1 of args and a newline, as record-run
 * names its .out. Returns 0, or LL_ETOOBIG if buf is too small.
 */
int lc_runrec_path(char *buf, size_t size, const char *dir, const char *args);

/* Writes run's record to path, whole or not at all (a rename). Returns 0 or LL_EIO. */
int lc_runrec_write(const char *path, const struct lc_run *run);

/*
 * Reads the record at path into *run (zeroed first; lc_run_free, run.h, frees it)
 * and its CSV rows into *csv (ll_malloc'd text, the caller frees it), when
 * it is newer than every file of newer_than (NULL-terminated; a file that
 * cannot be stat'd makes the record stale). Returns 0, LL_EIO (no record,
 * or a stale one) or LL_EPROTO (not a record).
 */
int lc_runrec_read(const char *path, const char *const *newer_than, struct lc_run *run, char **csv);

#endif
