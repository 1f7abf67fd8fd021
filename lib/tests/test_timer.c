/*
 * test_timer.c - ll_timer with real threads: periodic and one-shot firing,
 * cancel that joins a running callback, cancel from inside the callback,
 * and many timers started and cancelled with no thread left behind.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/timer.h>

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"
#include "testutil.h"

static void count_fn(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

/* A 20 ms timer over ~200 ms fires about 10 times, never more than due. */
static void test_periodic(void)
{
	struct ll_timer *t;
	atomic_int count = 0;
	long long t0, elapsed;
	int n;

	t0 = now_ms();
	CHECK_EQ(ll_timer_start(&t, 20, 20, count_fn, &count), 0);
	sleep_ms(210);
	ll_timer_cancel(t);
	elapsed = now_ms() - t0;
	n = atomic_load(&count);
	/* Ticks at 20, 40, ...: at most elapsed / 20 (+1 for ms rounding). */
	CHECK_INT(n, <=, elapsed / 20 + 1);
	/* Tolerant lower bound: a loaded machine or Valgrind delays ticks. */
	CHECK_INT(n, >=, 3);
}

/* A one-shot fires once after its delay and never again. */
static void test_one_shot(void)
{
	struct ll_timer *t;
	atomic_int count = 0;
	long long t0 = now_ms();
	int i;

	CHECK_EQ(ll_timer_start(&t, 30, 0, count_fn, &count), 0);
	for (i = 0; i < 400 && atomic_load(&count) == 0; i++)
		sleep_ms(2);
	CHECK_EQ(atomic_load(&count), 1);
	CHECK_INT(now_ms() - t0, >=, 28);
	sleep_ms(60);
	CHECK_EQ(atomic_load(&count), 1);
	ll_timer_cancel(t);
	CHECK_EQ(atomic_load(&count), 1);

	/* Cancelled before its delay: never fires at all. */
	CHECK_EQ(ll_timer_start(&t, 50, 0, count_fn, &count), 0);
	ll_timer_cancel(t);
	sleep_ms(70);
	CHECK_EQ(atomic_load(&count), 1);
}

struct first_slow {
	atomic_int count;
	long long t_first_end;
};

static void first_slow_fn(void *arg)
{
	struct first_slow *fs = arg;

	if (atomic_fetch_add(&fs->count, 1) == 0) {
		sleep_ms(100);
		fs->t_first_end = now_ms();
	}
}

/*
 * A 100 ms callback on a 10 ms timer misses about ten ticks: they are
 * skipped, so later calls follow the 10 ms grid from then on instead of
 * firing the missed ones back to back.
 */
static void test_skips_missed(void)
{
	struct ll_timer *t;
	struct first_slow fs = {0};
	long long after;
	int n;

	CHECK_EQ(ll_timer_start(&t, 0, 10, first_slow_fn, &fs), 0);
	sleep_ms(200);
	ll_timer_cancel(t);
	n = atomic_load(&fs.count);
	CHECK_INT(fs.t_first_end, >, 0);
	after = now_ms() - fs.t_first_end;
	/* One slow call, then at most one per 10 ms after it (+2 rounding). */
	CHECK_INT(n, <=, 1 + after / 10 + 2);
	CHECK_INT(n, >=, 2);
}

struct slow {
	atomic_int in_cb;
	atomic_int count;
};

static void slow_fn(void *arg)
{
	struct slow *s = arg;

	atomic_store(&s->in_cb, 1);
	sleep_ms(30);
	atomic_store(&s->in_cb, 0);
	atomic_fetch_add(&s->count, 1);
}

/* Cancel waits for a running callback; afterwards nothing changes. */
static void test_cancel_joins(void)
{
	struct ll_timer *t;
	struct slow s = {0};
	int i, n;

	CHECK_EQ(ll_timer_start(&t, 0, 5, slow_fn, &s), 0);
	for (i = 0; i < 400 && !atomic_load(&s.in_cb); i++)
		sleep_ms(1);
	CHECK_EQ(atomic_load(&s.in_cb), 1);
	ll_timer_cancel(t);
	/* The callback that was running has returned, and no other started. */
	CHECK_EQ(atomic_load(&s.in_cb), 0);
	n = atomic_load(&s.count);
	CHECK_INT(n, >=, 1);
	sleep_ms(50);
	CHECK_EQ(atomic_load(&s.count), n);
	CHECK_EQ(atomic_load(&s.in_cb), 0);
}

struct self_cancel {
	struct ll_timer *_Atomic t;
	atomic_int count;
};

static void self_cancel_fn(void *arg)
{
	struct self_cancel *sc = arg;

	/* Must return at once instead of joining its own thread. */
	ll_timer_cancel(atomic_load(&sc->t));
	atomic_fetch_add(&sc->count, 1);
}

/*
 * ll_timer_cancel() from inside fn is a no-op: the timer keeps firing and
 * is still alive, so someone else (here the test) cancels it later.
 */
static void test_cancel_from_callback(void)
{
	struct ll_timer *t;
	struct self_cancel sc = {.t = NULL};
	int i;

	/* The delay lets the test store t before the first callback. */
	CHECK_EQ(ll_timer_start(&t, 20, 5, self_cancel_fn, &sc), 0);
	atomic_store(&sc.t, t);
	for (i = 0; i < 400 && atomic_load(&sc.count) < 3; i++)
		sleep_ms(5);
	CHECK_INT(atomic_load(&sc.count), >=, 3);
	ll_timer_cancel(t);
}

/* Fifty timers, periodic and one-shot, started and cancelled: no thread left. */
static void test_many(void)
{
	enum { N = 50 };
	struct ll_timer *t[N];
	atomic_int count = 0;
	int base = task_count();
	int i;

	for (i = 0; i < N; i++)
		CHECK_EQ(ll_timer_start(&t[i], (unsigned)(i % 7), i % 3 ? (unsigned)(1 + i % 5) : 0,
					count_fn, &count),
			 0);
	CHECK_EQ(task_count(), base + N);
	sleep_ms(20);
	for (i = 0; i < N; i++)
		ll_timer_cancel(t[i]);
	CHECK_EQ(settle_tasks(base), base);
	CHECK_INT(atomic_load(&count), >=, 1);
}

static void test_errors(void)
{
	struct ll_timer *t = (struct ll_timer *)&t;
	atomic_int count = 0;

	CHECK_EQ(ll_timer_start(&t, 0, 10, NULL, NULL), LL_EINVAL);
	CHECK(t == NULL);
	ll_alloc_fail_after(1);
	t = (struct ll_timer *)&t;
	CHECK_EQ(ll_timer_start(&t, 0, 10, count_fn, &count), LL_ENOMEM);
	ll_alloc_fail_after(0);
	CHECK(t == NULL);
	ll_timer_cancel(NULL);
	sleep_ms(20);
	CHECK_EQ(atomic_load(&count), 0);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	warm_up();
	RUN(test_periodic);
	RUN(test_skips_missed);
	RUN(test_one_shot);
	RUN(test_cancel_joins);
	RUN(test_cancel_from_callback);
	RUN(test_many);
	RUN(test_errors);
	return check_finish();
}
