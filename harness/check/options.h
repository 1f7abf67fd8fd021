/*
 * options.h - leaklab-check's command line: what it said (struct lc_cli),
 * and the configuration of a check made from it and the case's manifest.
 */
#ifndef LEAKLAB_HARNESS_OPTIONS_H
#define LEAKLAB_HARNESS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model.h"
#include "record.h"

#define MAX_PROGRAM_ARGS 64

/* What the command line said, before the manifest fills the gaps. */
struct lc_cli {
	bool tour, verify;
	const char *plan; /* --plan or --plan-text: the case */
	bool plan_text;
	bool list;
	bool drive; /* --drive: a steady load on --port, from the case's scenario */
	const char *port, *rate, *seconds, *clients;
	bool checker;	  /* --checker: memcheck, or DRD if the manifest says mode=drd */
	const char *jobs; /* --jobs: the tour's checks at a time */
	const char *source;
	const char *behaviours[LC_MAX_BEHAVIOURS];
	size_t nbehaviours;
	const char *case_name, *case_file, *program, *variant, *scenario, *load, *expect;
	const char *memcheck_expect, *request, *warmup, *settle, *concurrency;
	const char *path, *bad_path;
	const char *twin, *runtime, *judge, *heap_limit;
	const char *args[MAX_PROGRAM_ARGS];
	size_t nargs;
};

/* The one TLS client context of every check whose program serves wss; NULL until one does. */
extern struct ll_tls_ctx *lc_client_tls;

/* Says what is wrong with the command line on stderr; returns the exit code 2. */
__attribute__((format(printf, 1, 2))) int lc_bad(const char *fmt, ...);
/* s as a number from min to max into *out; false (and *out untouched) if it is not one. */
bool lc_parse_long(const char *s, long min, long max, long *out);

/* Parses argv into *cli and the options that go straight into *cfg; returns 0 or the exit code. */
int lc_options_parse(int argc, char **argv, struct lc_cli *cli, struct lc_config *cfg);
/*
 * Reads the case --case or --manifest names into *c (zeroed first; free it
 * with lc_case_free, also after a failure); without either, *c stays
 * empty. Returns 0 or the exit code 2 (a message says why).
 */
int lc_options_load_case(const struct lc_cli *cli, struct lc_case *c);
/* Fills cfg from the command line and the manifest; returns 0 or the exit code 2. */
int lc_options_configure(const struct lc_cli *cli, const struct lc_case *m, struct lc_config *cfg);

/* Every built case, one "NN-slug<TAB>summary" line each, on f; returns 0 or the exit code 2. */
int lc_options_list_cases(FILE *f);

#endif
