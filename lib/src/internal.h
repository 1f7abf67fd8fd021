/*
 * internal.h - helpers shared by the library's own .c files; not public.
 */
#ifndef LEAKLAB_INTERNAL_H
#define LEAKLAB_INTERNAL_H

#include <pthread.h>
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

/*
 * The stack of every thread the library starts. glibc's default is the
 * stack rlimit, usually 8 MiB: a thread per connection would then reserve
 * 8 GiB of address space for 1,000 connections, and memcheck scans every
 * one of those stacks at each leak check (with 80 blocked threads, a
 * leak check took 1.7 s with 8 MiB stacks and 0.3 s with these). 256 KiB
 * is twice musl's default; the whole test suite passes with a quarter of
 * it, TLS and the sanitizers included. Go's goroutines start far smaller
 * but grow; a C thread's stack is fixed when it starts, so a handler must
 * not put large buffers on it.
 */
#ifndef LL__THREAD_STACK
#define LL__THREAD_STACK (256 * 1024)
#endif

/* pthread_create() with the library's stack size; returns 0 or an errno value. */
static inline int ll__thread_create(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc = pthread_attr_init(&attr);

	if (rc != 0)
		return rc;
	rc = pthread_attr_setstacksize(&attr, LL__THREAD_STACK);
	if (rc == 0)
		rc = pthread_create(tid, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
}

#endif
