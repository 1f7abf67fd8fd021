/*
 * run.h - one check of one program in one mode: start it, warm up, sample
 * the baseline, drive N and 2N clients, stop it, read memcheck, judge.
 * The check's data (lc_config, lc_run) is in record.h.
 */
#ifndef LEAKLAB_HARNESS_RUN_H
#define LEAKLAB_HARNESS_RUN_H

#include "logs.h"
#include "record.h"

/*
 * Runs one check, blocking until the program has been stopped (or killed)
 * and reaped. Fills *run (which it zeroes first; lc_run_free releases its
 * time series). Progress goes to stderr unless cfg->quiet. The run's log
 * folder (the program's output, memcheck's XML and log) is made under
 * cfg->logs_dir or BUILD/logs, where only the LC_LOGS_KEEP newest stay; it
 * is removed when the check passes (unless cfg->keep) and kept otherwise,
 * in run->tmpdir.
 *
 * Returns 0 when the run was judged: run->verdict holds the verdict and
 * run->exit_code its exit code (0 passed, 1 failed, 2 a signal the verdict
 * needs could not be measured). Otherwise there is no verdict,
 * run->exit_code is 2, run->error says why, and the return value is:
 *   LL_ENOMEM    the harness ran out of memory;
 *   LL_EIO       the log folder, the program or memcheck's report could not
 *                be made or read, or a client thread could not start;
 *   LL_ETOOBIG   the log folder's path is too long;
 *   LL_ETIMEDOUT no ready line in time, or no exit after SIGTERM (killed);
 *   LL_EPROTO    a malformed ready line, or memcheck's XML is incomplete;
 *   LL_ECLOSED   the program exited or crashed before the verdict, failed
 *                its exit, or its clients could not connect;
 *   LL_EBUSY     a fix is stuck (run->stuck): it spins with no client, stops
 *                answering, or does not stop on SIGTERM.
 */
int lc_run_check(const struct lc_config *cfg, enum lc_variant variant, enum lc_mode mode,
		 struct lc_run *run);
void lc_run_free(struct lc_run *run);

#endif
