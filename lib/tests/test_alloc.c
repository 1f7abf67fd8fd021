/*
 * test_alloc.c - the allocation points: the live-block count the test
 * runner relies on, the two modes of fault injection (from the nth on,
 * and the nth alone), and a change of setting while other threads
 * allocate.
 */
#include <leaklab/alloc.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "check.h"
#include "testutil.h"

static void test_live_count(void)
{
	long base = ll_alloc_live();
	void *a, *b, *c;
	char *s;

	a = ll_malloc(8);
	b = ll_calloc(2, 8);
	c = ll_realloc(NULL, 8);
	s = ll_strdup("live");
	CHECK(a && b && c && s);
	CHECK_EQ(ll_alloc_live(), base + 4);
	/* Growing a block moves it, perhaps, but it is still one block. */
	c = ll_realloc(c, 4096);
	CHECK(c != NULL);
	CHECK_EQ(ll_alloc_live(), base + 4);
	/* Size 0 is size 1: a NULL return would be a failure, never a free. */
	c = ll_realloc(c, 0);
	CHECK(c != NULL);
	CHECK_EQ(ll_alloc_live(), base + 4);
	ll_free(NULL);
	CHECK_EQ(ll_alloc_live(), base + 4);
	ll_free(a);
	ll_free(b);
	ll_free(c);
	ll_free(s);
	CHECK_EQ(ll_alloc_live(), base);

	/* A failed allocation gives nothing out, so it counts nothing. */
	ll_alloc_fail_after(1);
	CHECK(ll_malloc(8) == NULL);
	CHECK(ll_calloc(1, 8) == NULL);
	CHECK(ll_realloc(NULL, 8) == NULL);
	CHECK(ll_strdup("x") == NULL);
	ll_alloc_fail_after(0);
	CHECK_EQ(ll_alloc_live(), base);
}

static void test_fail_once(void)
{
	void *p[5];
	int i;

	ll_alloc_fail_once(3);
	for (i = 0; i < 5; i++)
		p[i] = ll_malloc(8);
	CHECK(p[0] && p[1] && p[3] && p[4]);
	CHECK(p[2] == NULL);
	CHECK_EQ(ll_alloc_count(), 5);
	CHECK_EQ(ll_alloc_failures(), 1);
	for (i = 0; i < 5; i++)
		ll_free(p[i]);

	/* A realloc that fails once keeps the block; the retry then works. */
	p[0] = ll_malloc(8);
	CHECK(p[0] != NULL);
	memcpy(p[0], "kept", 5);
	ll_alloc_fail_once(1);
	CHECK(ll_realloc(p[0], 1 << 16) == NULL);
	CHECK_STR(p[0], "kept");
	p[1] = ll_realloc(p[0], 1 << 16);
	CHECK(p[1] != NULL);
	CHECK_STR(p[1], "kept");
	ll_free(p[1]);
	ll_alloc_fail_after(0);
}

static void test_fail_at_repeat(void)
{
	void *p[8];
	int i;

	/* The 2nd, 3rd and 4th fail; the rest succeed. */
	ll_alloc_fail_at(2, 3);
	for (i = 0; i < 8; i++)
		p[i] = ll_malloc(8);
	for (i = 0; i < 8; i++)
		CHECK_EQ(p[i] == NULL, i >= 1 && i <= 3);
	CHECK_EQ(ll_alloc_failures(), 3);
	for (i = 0; i < 8; i++)
		ll_free(p[i]);

	/* Off, by either spelling: nothing fails and nothing is counted as failed. */
	ll_alloc_fail_at(1, 0);
	p[0] = ll_malloc(8);
	CHECK(p[0] != NULL);
	ll_free(p[0]);
	ll_alloc_fail_at(0, 1);
	p[0] = ll_malloc(8);
	CHECK(p[0] != NULL);
	ll_free(p[0]);
	CHECK_EQ(ll_alloc_failures(), 0);

	/* A window that would run past LONG_MAX is "from then on". */
	ll_alloc_fail_at(1, LONG_MAX);
	CHECK(ll_malloc(8) == NULL);
	CHECK(ll_malloc(8) == NULL);
	ll_alloc_fail_after(0);
	CHECK_EQ(ll_alloc_count(), 0);
}

/* --- a change of setting while another thread allocates --------------- */

/* The n of the settings the race test makes. */
#define RACE_N 64
/* Rounds at most, and time at most (the race shows in a few rounds natively). */
#define RACE_ROUNDS 20000
#define RACE_MS	    300
/* Rounds at least, however slow the machine (Valgrind runs one thread at a time). */
#define RACE_MIN_ROUNDS 20
/* Spins waiting for the worker before yielding to it. */
#define RACE_SPINS 10000

static atomic_long race_arms;	  /* settings with a window made so far */
static atomic_long race_spurious; /* failures no setting asked for */
static atomic_long race_allocs;
static atomic_bool race_stop;

/*
 * Allocates without pause and counts its own allocations since the last
 * setting it saw made. A setting's nth allocation can fail only after n
 * allocations made after the setting, and this is the only thread that
 * allocates: so a failure while this thread has made fewer than n - 1
 * since it saw the setting (one may have been under way as it was made)
 * is one the setting did not ask for.
 */
static void *race_worker(void *arg)
{
	long seen = -1, since = 0;

	(void)arg;
	while (!atomic_load(&race_stop)) {
		long arms = atomic_load(&race_arms);
		void *p;

		if (arms != seen) {
			seen = arms;
			since = 0;
		}
		since++;
		p = ll_malloc(1);
		if (!p && since < RACE_N - 1)
			atomic_fetch_add(&race_spurious, 1);
		ll_free(p);
		atomic_fetch_add(&race_allocs, 1);
	}
	return NULL;
}

/*
 * The earlier alloc.c stored the new n before it reset the counter, so an
 * allocation in between compared the old count (at least n here) with the
 * new n and failed: thousands of such failures in 20,000 rounds natively.
 */
static void test_setting_while_allocating(void)
{
	long long until;
	pthread_t th;
	long rounds, spurious;

	CHECK_EQ(pthread_create(&th, NULL, race_worker, NULL), 0);
	until = now_ms() + RACE_MS;
	for (rounds = 0; rounds < RACE_ROUNDS && (rounds < RACE_MIN_ROUNDS || now_ms() < until);
	     rounds++) {
		long want = atomic_load(&race_allocs) + RACE_N;

		ll_alloc_fail_after(0);
		long spins;

		/*
		 * At least n allocations under the old setting before the new
		 * one. A spin first: yielding at once made the race show in 1
		 * run of 5 with the earlier alloc.c, spinning in 5 of 5. Then
		 * yields, for Valgrind, which runs one thread at a time.
		 */
		for (spins = 0; atomic_load(&race_allocs) < want; spins++)
			if (spins > RACE_SPINS)
				sched_yield();
		atomic_fetch_add(&race_arms, 1);
		ll_alloc_fail_after(RACE_N);
		ll_alloc_fail_after(0);
	}
	atomic_store(&race_stop, true);
	CHECK_EQ(pthread_join(th, NULL), 0);
	spurious = atomic_load(&race_spurious);
	fprintf(stderr, "setting race: %ld rounds, %ld allocations, %ld spurious failures\n",
		rounds, (long)atomic_load(&race_allocs), spurious);
	CHECK_EQ(spurious, 0);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_live_count);
	RUN(test_fail_once);
	RUN(test_fail_at_repeat);
	RUN(test_setting_while_allocating);
	return check_finish();
}
