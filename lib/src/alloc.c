/*
 * alloc.c - the library's allocation points, with fault injection and a
 * count of live blocks.
 *
 * Every allocation takes a number from one atomic counter that is never
 * reset. A fault setting is a window of those numbers, [fail_lo, fail_hi),
 * fixed when the setting is made: so the setting and "from now" are read
 * together, under one lock, and a thread allocating while a test changes
 * the setting cannot be judged by half of the old one and half of the new.
 * (The earlier version stored the new nth before it reset the counter, so
 * an allocation in between compared the old, large count with the new n
 * and failed for nothing.) With injection off, the cost is two relaxed
 * atomic operations and one load per allocation; the lock is taken only
 * while a setting is armed.
 */
#include <leaklab/alloc.h>

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static atomic_long alloc_seq;  /* allocations attempted since the start */
static atomic_long alloc_live; /* blocks given out and not yet freed */
static atomic_bool armed;      /* a setting with a window is in force */

/* The setting; all under setting_lock. */
static pthread_mutex_t setting_lock = PTHREAD_MUTEX_INITIALIZER;
static long setting_base;     /* alloc_seq when the setting was made */
static long fail_lo, fail_hi; /* allocation numbers that fail: [lo, hi) */
static long failures;	      /* failed since the setting was made */

static bool should_fail(void)
{
	long seq = atomic_fetch_add_explicit(&alloc_seq, 1, memory_order_seq_cst) + 1;
	bool fail;

	if (!atomic_load(&armed))
		return false;
	pthread_mutex_lock(&setting_lock);
	fail = seq >= fail_lo && seq < fail_hi;
	failures += fail;
	pthread_mutex_unlock(&setting_lock);
	return fail;
}

static void *counted(void *p)
{
	if (p)
		atomic_fetch_add_explicit(&alloc_live, 1, memory_order_relaxed);
	return p;
}

void *ll_malloc(size_t size)
{
	return should_fail() ? NULL : counted(malloc(size));
}

void *ll_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : counted(calloc(n, size));
}

void *ll_realloc(void *ptr, size_t size)
{
	if (should_fail())
		return NULL;
	if (size == 0)
		size = 1;
	if (!ptr)
		return counted(malloc(size));
	return realloc(ptr, size);
}

void ll_free(void *ptr)
{
	if (!ptr)
		return;
	atomic_fetch_sub_explicit(&alloc_live, 1, memory_order_relaxed);
	free(ptr);
}

void ll_alloc_fail_at(long n, long repeat)
{
	bool on = n > 0 && repeat != 0;

	pthread_mutex_lock(&setting_lock);
	/*
	 * Armed before "now" is read: an allocation numbered after now then
	 * sees armed (seq_cst orders its fetch_add after our load, and its
	 * load of armed after that), waits for the lock, and is judged by
	 * the new window. One numbered before now is judged by whichever
	 * window it finds, and the new one starts after it.
	 */
	if (on)
		atomic_store(&armed, true);
	setting_base = atomic_load(&alloc_seq);
	failures = 0;
	fail_lo = fail_hi = 0;
	if (on) {
		fail_lo = setting_base + n;
		fail_hi = repeat < 0 || repeat > LONG_MAX - fail_lo ? LONG_MAX : fail_lo + repeat;
	} else {
		atomic_store(&armed, false);
	}
	pthread_mutex_unlock(&setting_lock);
}

void ll_alloc_fail_after(long n)
{
	ll_alloc_fail_at(n, -1);
}

void ll_alloc_fail_once(long n)
{
	ll_alloc_fail_at(n, 1);
}

long ll_alloc_count(void)
{
	long n;

	pthread_mutex_lock(&setting_lock);
	n = atomic_load(&alloc_seq) - setting_base;
	pthread_mutex_unlock(&setting_lock);
	return n;
}

long ll_alloc_failures(void)
{
	long n;

	pthread_mutex_lock(&setting_lock);
	n = failures;
	pthread_mutex_unlock(&setting_lock);
	return n;
}

long ll_alloc_live(void)
{
	return atomic_load(&alloc_live);
}

char *ll_strdup(const char *s)
{
	size_t n;
	char *copy;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	copy = ll_malloc(n);
	if (copy)
		memcpy(copy, s, n);
	return copy;
}
