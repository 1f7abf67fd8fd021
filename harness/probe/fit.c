/*
 * fit.c - least squares through the probe's load points, and the verdict
 * on one signal (fit.h).
 *
 * Why a fit and not two points: a clean server's counts can step once
 * (a pool grown on first use, a runtime's extra thread) and a step read
 * off N and 2N looks like growth. Four points on a line, with the spread
 * of the slope, tell a leak (every client leaves the same debris: the
 * points lie on the line) from a step or noise (a big spread).
 */
#include "fit.h"

#include <math.h>
#include <string.h>

void pb_fit_line(const double *x, const double *y, int n, struct pb_fit *out)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, ssr = 0;
	int i;

	memset(out, 0, sizeof(*out));
	if (n < 3)
		return;
	for (i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= n;
	my /= n;
	for (i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
	}
	if (sxx <= 0)
		return;
	out->slope = sxy / sxx;
	out->intercept = my - out->slope * mx;
	for (i = 0; i < n; i++) {
		double r = y[i] - (out->intercept + out->slope * x[i]);

		ssr += r * r;
	}
	/* The standard error of the slope, with n - 2 degrees of freedom. */
	out->spread = sqrt(ssr / (n - 2) / sxx);
}

static bool grows(const struct pb_fit *f, double min_slope)
{
	return f->slope >= min_slope && f->slope > 2 * f->spread;
}

void pb_judge_signal(const double x[PB_NLOADS], const double gone[PB_NLOADS],
		     const double held_x[PB_NLOADS], const double held[PB_NLOADS], double min_slope,
		     struct pb_judged *out)
{
	memset(out, 0, sizeof(*out));
	pb_fit_line(x, gone, PB_NLOADS, &out->fit);
	pb_fit_line(held_x, held, PB_NLOADS, &out->held_fit);
	out->residual = gone[PB_NLOADS - 1] - gone[0];
	if (grows(&out->fit, min_slope))
		out->status = PB_GROWS;
	else if (grows(&out->held_fit, min_slope))
		out->status = PB_DRAINS;
	else
		out->status = PB_FLAT;
}

const char *pb_status_text(enum pb_status st)
{
	switch (st) {
	case PB_NOT_MEASURED: return "not measured";
	case PB_UNKNOWN: return "NOT MEASURED";
	case PB_FLAT: return "flat";
	case PB_DRAINS: return "drains back";
	case PB_GROWS: return "GROWS with the load";
	}
	return "?";
}
