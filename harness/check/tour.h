/*
 * tour.h - the tour: every built case, leak beside fix, natively and
 * under memcheck, a few checks at a time, then the tables.
 */
#ifndef LEAKLAB_HARNESS_TOUR_H
#define LEAKLAB_HARNESS_TOUR_H

#include "options.h"

/* Runs the tour with base's options (and cli's --jobs); returns the exit code 0, 1 or 2. */
int lc_tour(const struct lc_cli *cli, struct lc_config *base);

#endif
