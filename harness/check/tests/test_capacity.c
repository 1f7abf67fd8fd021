/*
 * test_capacity.c - what a load needs at 2N, and whether it fits given
 * limits (measure/capacity.h): the arithmetic on made-up limits, so every
 * branch is reached whatever machine runs it, then the limits this machine
 * really has.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"
#include "measure/capacity.h"

static const enum lc_scenario_kind no_close[] = {LC_SC_NO_CLOSE_REPLY};
static const enum lc_scenario_kind drop[] = {LC_SC_CONNECT_DROP};
static const enum lc_scenario_kind burst[] = {LC_SC_BURST};
static const enum lc_scenario_kind verify[] = {LC_SC_NO_CLOSE_REPLY, LC_SC_SILENT_PEER,
					       LC_SC_CONNECT_CLOSE};

/* Limits no run here reaches unless a test lowers one. */
static struct lc_cap_limits roomy(void)
{
	struct lc_cap_limits l = {
	    .nofile = 1000000,
	    .nofile_hard = 1000000,
	    .nproc = -1,
	    .user_tasks = -1,
	    .threads_max = 1000000,
	    .pid_max = 4194304,
	    .tasks = 100,
	    .max_map_count = 1000000,
	};
	return l;
}

/* 07's leak: a waiter thread and both fds per peer that never answers, held by the harness. */
static void test_held_leak(void)
{
	struct lc_cap_run r = {.scenarios = no_close,
			       .nscenarios = 1,
			       .load = 5000,
			       .warmup = 8,
			       .concurrency = 8,
			       .leak = true,
			       .expect = LC_SIG_BIT(LC_THREADS) | LC_SIG_BIT(LC_FDS),
			       .harness_fds = 10};
	struct lc_cap_need n;

	lc_capacity_need(&r, &n);
	CHECK_EQ(n.conns_held, 10008);
	CHECK_EQ(n.units_kept, 10008);
	CHECK_EQ(n.harness_fds, 10 + 2 * (10008 + 8));
	CHECK_EQ(n.program_fds, LC_CAP_PROGRAM_FDS + 2 * (10008 + 8));
	CHECK_EQ(n.program_threads, LC_CAP_PROGRAM_THREADS + 10008 + 8);
	CHECK_EQ(n.tasks, n.program_threads + 8 + LC_CAP_HARNESS_THREADS);
	/* The fix still has its peers held open until the end: the same connections. */
	r.leak = false;
	lc_capacity_need(&r, &n);
	CHECK_EQ(n.program_fds, LC_CAP_PROGRAM_FDS + 2 * (10008 + 8));
}

/* A leak of fds only keeps no thread; a fix of a connection scenario keeps nothing. */
static void test_signals_choose(void)
{
	struct lc_cap_run r = {.scenarios = drop,
			       .nscenarios = 1,
			       .load = 100,
			       .warmup = 8,
			       .concurrency = 4,
			       .leak = true,
			       .expect = LC_SIG_BIT(LC_FDS)};
	struct lc_cap_need n;

	lc_capacity_need(&r, &n);
	CHECK_EQ(n.conns_held, 0);
	CHECK_EQ(n.program_fds, LC_CAP_PROGRAM_FDS + 2 * (208 + 4));
	CHECK_EQ(n.program_threads, LC_CAP_PROGRAM_THREADS + 4);
	r.leak = false;
	lc_capacity_need(&r, &n);
	CHECK_EQ(n.units_kept, 0);
	CHECK_EQ(n.program_fds, LC_CAP_PROGRAM_FDS + 2 * 4);
	/* A burst's messages: a thread each (06), no connection each. */
	r.scenarios = burst;
	r.leak = true;
	r.expect = LC_SIG_BIT(LC_THREADS);
	lc_capacity_need(&r, &n);
	CHECK_EQ(n.program_threads, LC_CAP_PROGRAM_THREADS + 208 + 4);
	CHECK_EQ(n.program_fds, LC_CAP_PROGRAM_FDS + 2 * 4);
}

/* A fix driven through several exit paths holds every held scenario's peers. */
static void test_paths_add_up(void)
{
	struct lc_cap_run r = {.scenarios = verify,
			       .nscenarios = 3,
			       .load = 20,
			       .warmup = 8,
			       .concurrency = 8,
			       .leak = false};
	struct lc_cap_need n;

	lc_capacity_need(&r, &n);
	CHECK_EQ(n.conns_held, 2 * 48);
	CHECK_EQ(n.harness_fds, 2 * (96 + 8));
}

/* Each limit refuses with its own name, the need and the limit. */
static void test_each_limit(void)
{
	struct lc_cap_run r = {.scenarios = no_close,
			       .nscenarios = 1,
			       .load = 5000,
			       .warmup = 8,
			       .concurrency = 8,
			       .leak = true,
			       .expect = LC_SIG_BIT(LC_THREADS) | LC_SIG_BIT(LC_FDS),
			       .harness_fds = 10};
	struct lc_cap_need n;
	struct lc_cap_limits l = roomy();
	char why[400];

	lc_capacity_need(&r, &n);
	CHECK_EQ(lc_capacity_fit(&n, &l, false, why, sizeof(why)), 0);

	l.nofile = l.nofile_hard = 20000;
	CHECK_EQ(lc_capacity_fit(&n, &l, false, why, sizeof(why)), 1);
	printf("  %s\n", why);
	CHECK(strstr(why, "file descriptors of the program: 20048 needed, the limit is 20000 "
			  "(RLIMIT_NOFILE") == why);
	/* The harness's own: fewer of its own fds than the program's, so only it is over. */
	l.nofile = 20100;
	r.harness_fds = 100;
	lc_capacity_need(&r, &n);
	CHECK_EQ(lc_capacity_fit(&n, &l, false, why, sizeof(why)), 1);
	CHECK(strstr(why, "file descriptors of the harness: 20132 needed") == why);
	l = roomy();

	CHECK_EQ(lc_capacity_fit(&n, &l, true, why, sizeof(why)), 1);
	CHECK(strstr(why, "threads of the program under Valgrind: 10024 needed, the limit "
			  "is 500") == why);

	l.max_map_count = 20000;
	CHECK_EQ(lc_capacity_fit(&n, &l, false, why, sizeof(why)), 1);
	CHECK(strstr(why, "memory mappings of the program: ") == why);
	l = roomy();

	l.threads_max = 10000;
	CHECK_EQ(lc_capacity_fit(&n, &l, false, why, sizeof(why)), 1);
	CHECK(strstr(why, "threads on this machine: ") == why);
	l = roomy();

	l.pid_max = 10100;
	CHECK_EQ(lc_capacity_fit(&n, &l, false, why, sizeof(why)), 1);
	CHECK(strstr(why, "process ids: 10140 needed, the limit is 10100 (kernel.pid_max)") == why);
	l = roomy();

	l.nproc = 10000;
	l.user_tasks = 50;
	CHECK_EQ(lc_capacity_fit(&n, &l, false, why, sizeof(why)), 1);
	CHECK(strstr(why, "threads of this user: 10090 needed, the limit is 10000 "
			  "(RLIMIT_NPROC)") == why);
	/* Unknown limits (-1) refuse nothing. */
	memset(&l, 0xff, sizeof(l));
	CHECK_EQ(lc_capacity_fit(&n, &l, false, why, sizeof(why)), 0);
}

/* This machine: the soft limit is raised to the hard one, and the limits read are real. */
static void test_this_machine(void)
{
	struct lc_cap_limits l;
	struct rlimit rl;
	long soft = lc_capacity_raise_nofile();

	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	CHECK_EQ(rl.rlim_cur, rl.rlim_max);
	CHECK_EQ(soft, rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur);
	lc_capacity_read(&l);
	CHECK_EQ(l.nofile, soft);
	CHECK_INT(l.pid_max, >, 0);
	CHECK_INT(l.threads_max, >, 0);
	CHECK_INT(l.tasks, >, 0);
	CHECK_INT(l.max_map_count, >, 0);
	CHECK_INT(lc_capacity_own_fds(), >=, 3);
	printf("  here: RLIMIT_NOFILE %ld (hard %ld), threads-max %ld, pid_max %ld, "
	       "max_map_count %ld, %ld threads running\n",
	       l.nofile, l.nofile_hard, l.threads_max, l.pid_max, l.max_map_count, l.tasks);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_held_leak);
	RUN(test_signals_choose);
	RUN(test_paths_add_up);
	RUN(test_each_limit);
	RUN(test_this_machine);
	return check_finish();
}
