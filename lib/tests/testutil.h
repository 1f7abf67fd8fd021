/*
 * testutil.h - small helpers the library's tests share: a monotonic clock,
 * sleeping, and counting this process's threads with bounded settling.
 * All static inline, so a test that does not use one pays nothing for it.
 */
#ifndef LEAKLAB_TESTS_TESTUTIL_H
#define LEAKLAB_TESTS_TESTUTIL_H

#include <dirent.h>
#include <pthread.h>
#include <time.h>

#include "check.h"

/* Milliseconds on CLOCK_MONOTONIC. */
static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Threads of this process, from /proc/self/task. */
static inline int task_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	CHECK(d != NULL);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * Starts and joins one thread before any baseline is taken: some runtimes
 * (TSan's background thread) add a thread of their own on the first
 * pthread_create(), which would otherwise count against the baseline.
 * RUN() does this once before its first test, too.
 */
static inline void warm_up(void)
{
	check_warm_up_();
}

/*
 * Waits (bounded, like goleak's settling) for the thread count to reach
 * want: a joined thread may linger in /proc for a moment after the join.
 */
static inline int settle_tasks(int want)
{
	int i, n = task_count();

	for (i = 0; i < 100 && n != want; i++) {
		sleep_ms(5);
		n = task_count();
	}
	return n;
}

#endif
