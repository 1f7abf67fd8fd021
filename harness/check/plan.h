/*
 * plan.h - a case's plan: what leaklab-check runs and judges for it, per
 * variant and mode (scenarios, load, the signals measured and judged, the
 * limits, the behaviour checks, the exit paths, the twins), with the
 * sentence a student reads for each. The course, the pictures and the
 * live page ask for it (leaklab-check --plan NN-slug) instead of reading
 * the manifest:
 *
 *   {"name": "01-unclosed-connection", "summary": "...", "checker": "memcheck",
 *    "programs": {"leak": PATH, "fixed": PATH, "exercise": PATH},
 *    "program_args": [...], "tls": false,
 *    "client": {"path": "/", "bad_path": "/?token=bad", "request": null},
 *    "scenario": "connect-drop", "scenarios": [...], "verify": [...],
 *    "load": 20, "settle_ms": 0, "unit": "clients",
 *    "expect": ["fds", "heap"], "memcheck_expect": ["fds", "heap", "lost"],
 *    "signals": {"threads": "the program's threads (...)", ...},
 *    "behaviours": [{"line": "echo", "kind": "echo", "says": "..."}],
 *    "runs": [{"variant": "leak", "mode": "native", "program": PATH,
 *              "scenarios": [...], "load": 20, "warmup": 8, "unit": "clients",
 *              "measured": [...], "judged": [...],
 *              "limits": [{"name": "leak-grows", "min_per_client": {"threads": 0.5,
 *                          "fds": 0.5, "heap": 256}, "ratio": [1.5, 2.6], "says": "..."}]},
 *             ... the fix's: {"name": "fix-flat", "heap_bytes_per_client": 16, ...}],
 *    "twins": [{"lang": "go", "leak": PATH, "fixed": PATH, "skip": null,
 *               "runtime": "goroutines", "expect": [...], "judged": [...],
 *               "heap_limit": 16, "load": 20, "warmup": -1}],
 *    "student": ["./leaklab verify 01 judges your file, ...", ...]}
 */
#ifndef LEAKLAB_HARNESS_PLAN_H
#define LEAKLAB_HARNESS_PLAN_H

#include <stdio.h>

#include "model.h"
#include "record.h"

/* The plan of case c, configured as cfg (both variants), as JSON on f. */
void lc_plan_json(FILE *f, const struct lc_case *c, const struct lc_config *cfg);

/* What ./leaklab verify judges, the lines of the plan's "student" list, on f. */
void lc_plan_text(FILE *f, const struct lc_case *c, const struct lc_config *cfg);

#endif
