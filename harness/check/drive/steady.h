/*
 * steady.h - a steady load for a program someone else started: the case's
 * scenario, the same client code the judge drives (scenario.h), looped at
 * a rate until SIGTERM. The live page and the Prometheus tests take their
 * load from it (leaklab-check --drive), so there is one set of clients.
 */
#ifndef LEAKLAB_HARNESS_STEADY_H
#define LEAKLAB_HARNESS_STEADY_H

#include <stdio.h>

#include "drive/scenario.h"

struct lc_steady {
	const struct lc_scenario *sc; /* what each client does, and where (host, port) */
	double rate;		      /* units of the scenario's load a second */
	double seconds;		      /* how long; 0: until SIGTERM or SIGINT */
	long clients;		      /* stop after this many; 0: no limit */
};

/*
 * Drives st->sc at st->rate until SIGTERM or SIGINT, st->seconds or
 * st->clients, printing one sample a second on out, a JSON line
 *   {"t": 1.0, "served": 5, "failed": 0, "connect_failed": 0, "last_error": null}
 * and the same line, with "done": true, at the end, after the connections
 * the scenario held were let go (slow subscribers read first, as at the
 * end of a check). Returns 0 when every client was served, 1 when some
 * failed, 2 when the load could not run at all (no thread, no memory).
 */
int lc_steady_run(const struct lc_steady *st, FILE *out);

#endif
