/*
 * internal.h - helpers shared by the library's own .c files; not public.
 */
#ifndef LEAKLAB_INTERNAL_H
#define LEAKLAB_INTERNAL_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC: deadlines never jump with the wall clock. */
static inline int64_t ll__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A deadline from a timeout: < 0 means none (INT64_MAX). */
static inline int64_t ll__deadline(int timeout_ms)
{
	return timeout_ms < 0 ? INT64_MAX : ll__now_ms() + timeout_ms;
}

/* Milliseconds left until deadline as a timeout (-1 for none, 0 if past). */
static inline int ll__remaining(int64_t deadline)
{
	int64_t left;

	if (deadline == INT64_MAX)
		return -1;
	left = deadline - ll__now_ms();
	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

#endif
