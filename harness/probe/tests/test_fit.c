/*
 * test_fit.c - the probe's fit and verdict on numbers from real runs
 * (docs/probe.md): a leak's points lie on a line, a held client's count
 * drains back, a runtime's step is no leak.
 */
#include <math.h>

#include "check.h"
#include "fit.h"

static const double loads[PB_NLOADS] = {0, 20, 40, 80};
static const double held_loads[PB_NLOADS] = {0, 20, 20, 40};

#define CHECK_NEAR(a, b) CHECK(fabs((a) - (b)) < 0.01)

static void test_line(void)
{
	const double y[PB_NLOADS] = {36, 117, 198, 359};
	struct pb_fit f;

	pb_fit_line(loads, y, PB_NLOADS, &f);
	CHECK_NEAR(f.slope, 4.0371);
	CHECK_NEAR(f.intercept, 36.2);
	CHECK(f.spread < 0.01);
}

static void test_degenerate(void)
{
	const double x[PB_NLOADS] = {5, 5, 5, 5}, y[PB_NLOADS] = {1, 2, 3, 4};
	struct pb_fit f;

	pb_fit_line(x, y, PB_NLOADS, &f);
	CHECK(f.slope == 0 && f.spread == 0);
	pb_fit_line(loads, y, 2, &f);
	CHECK(f.slope == 0);
}

/* python3-websockets keeping a task per connection: tasks. */
static void test_task_leak(void)
{
	const double gone[PB_NLOADS] = {36, 117, 198, 359};
	const double held[PB_NLOADS] = {36, 237, 318, 599};
	struct pb_judged j;

	pb_judge_signal(loads, gone, held_loads, held, 0.5, &j);
	CHECK_EQ(j.status, PB_GROWS);
	CHECK_NEAR(j.residual, 323);
}

/* Every echo server's fds with silent peers held: back once they go. */
static void test_held_fds_drain(void)
{
	const double gone[PB_NLOADS] = {9, 9, 9, 9};
	const double held[PB_NLOADS] = {9, 49, 49, 89};
	struct pb_judged j;

	pb_judge_signal(loads, gone, held_loads, held, 0.5, &j);
	CHECK_EQ(j.status, PB_DRAINS);
	CHECK_NEAR(j.held_fit.slope, 2.0);
}

/* Go's runtime adds OS threads once, under load: a step, not a line. */
static void test_step_is_flat(void)
{
	const double gone[PB_NLOADS] = {5, 6, 7, 7};
	const double step[PB_NLOADS] = {0, 50, 50, 50};
	struct pb_judged j;

	pb_judge_signal(loads, gone, held_loads, gone, 0.5, &j);
	CHECK_EQ(j.status, PB_FLAT);
	/* A cache of 50 filled by the first clients: big, but not with the load. */
	pb_judge_signal(loads, step, held_loads, step, 0.5, &j);
	CHECK_EQ(j.status, PB_FLAT);
	CHECK(j.fit.slope < 2 * j.fit.spread);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_line);
	RUN(test_degenerate);
	RUN(test_task_leak);
	RUN(test_held_fds_drain);
	RUN(test_step_is_flat);
	return check_finish();
}
