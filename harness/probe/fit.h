/*
 * fit.h - the probe's verdict on one signal: a straight line fitted
 * through the baseline and the N, 2N and 4N points, its slope and the
 * slope's spread, and whether the count drained back once every client
 * was gone.
 *
 * Pure logic over numbers, no I/O, so the unit test can feed it any
 * situation (tests/test_fit.c).
 */
#ifndef LEAKLAB_PROBE_FIT_H
#define LEAKLAB_PROBE_FIT_H

#include <stdbool.h>

/* The load points: baseline, N, 2N, 4N (clients of each scenario). */
#define PB_NLOADS 4

enum pb_status {
	PB_NOT_MEASURED, /* not asked for, or not measurable in this mode */
	PB_UNKNOWN,	 /* asked for, but a point could not be measured */
	PB_FLAT,	 /* no growth with the load */
	PB_DRAINS,	 /* grew while clients were there, back once they left */
	PB_GROWS,	 /* grows with the load and stays: a leak */
};

struct pb_fit {
	double slope;  /* least-squares growth per client */
	double spread; /* the slope's standard error (0 when the points lie on the line) */
	double intercept;
};

/*
 * Fits y = intercept + slope * x through n points (n >= 3; x not all
 * equal). Never fails; with fewer points or equal x the fit is all zero.
 */
void pb_fit_line(const double *x, const double *y, int n, struct pb_fit *out);

struct pb_judged {
	struct pb_fit fit; /* through the points taken once each step's clients were gone */
	struct pb_fit
	    held_fit;	 /* through the baseline and the points taken while they were there */
	double residual; /* at 4N, every client gone, minus the baseline */
	enum pb_status status;
};

/*
 * Judges one signal from its values at the baseline, N, 2N and 4N (x[]
 * the loads), each taken once that step's clients had all gone (gone[]),
 * and taken while the step's clients were still connected (held[] at
 * held_x[] clients connected; held[0] is the baseline again, at 0). min_slope is the smallest
 * growth per client that counts (0.5 for a count). A line grows when its slope is at least
 * min_slope and more than twice its spread. The signal grows with the
 * load when the gone line grows: what every client leaves behind; it
 * drains back when only the held line grows; otherwise it is flat.
 */
void pb_judge_signal(const double x[PB_NLOADS], const double gone[PB_NLOADS],
		     const double held_x[PB_NLOADS], const double held[PB_NLOADS], double min_slope,
		     struct pb_judged *out);

const char *pb_status_text(enum pb_status st);

#endif
