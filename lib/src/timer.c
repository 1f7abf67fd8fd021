/*
 * timer.c - periodic and one-shot timers, one thread each.
 *
 * The thread sleeps on a condition variable (CLOCK_MONOTONIC, so wall-clock
 * jumps neither fire nor stall it) until the next tick or until cancel sets
 * the stop flag. It never holds the lock while fn runs, so cancel can always
 * take the lock, set the flag and then join: once the join returns the
 * thread is gone and fn can never run again.
 *
 * Tick n (n = 0, 1, ...) is due at start + delay + n * period, computed
 * from the start time rather than from the end of the previous callback, so
 * a periodic timer does not drift. After a callback the next tick is the
 * first one still in the future: ticks missed while fn ran are skipped, not
 * fired in a burst (time.Ticker drops them too).
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/timer.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "internal.h"

struct ll_timer {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled by cancel */
	pthread_t thread;
	bool stop;
	int64_t first_ns;  /* CLOCK_MONOTONIC time of the first tick */
	int64_t period_ns; /* 0: one-shot */
	ll_timer_fn fn;
	void *arg;
};

/* The first tick due strictly after now (ticks missed are skipped). */
static int64_t next_tick(const struct ll_timer *t, int64_t now)
{
	int64_t missed;

	if (now < t->first_ns)
		return t->first_ns;
	missed = (now - t->first_ns) / t->period_ns;
	return t->first_ns + (missed + 1) * t->period_ns;
}

static void *timer_main(void *arg)
{
	struct ll_timer *t = arg;
	int64_t due = t->first_ns;
	struct timespec abs;

	/*
	 * The creator holds the lock across pthread_create(), so taking it here
	 * also guarantees t->thread is set before fn (which may compare it in
	 * ll_timer_cancel) ever runs.
	 */
	pthread_mutex_lock(&t->lock);
	for (;;) {
		abs = ll__timespec_ns(due);
		/* Loop on spurious wakeups: only the clock or the flag count. */
		while (!t->stop && ll__now_ns() < due)
			pthread_cond_timedwait(&t->cond, &t->lock, &abs);
		if (t->stop)
			break;
		pthread_mutex_unlock(&t->lock);
		t->fn(t->arg);
		pthread_mutex_lock(&t->lock);
		if (t->period_ns == 0) {
			/* One-shot: stay until cancelled, never run again. */
			while (!t->stop)
				pthread_cond_wait(&t->cond, &t->lock);
			break;
		}
		due = next_tick(t, ll__now_ns());
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int ll_timer_start(struct ll_timer **out, unsigned delay_ms, unsigned period_ms, ll_timer_fn fn,
		   void *arg)
{
	struct ll_timer *t;
	int err = LL_ENOMEM;
	int rc;

	*out = NULL;
	if (!fn)
		return LL_EINVAL;
	t = ll_calloc(1, sizeof(*t));
	if (!t)
		return LL_ENOMEM;
	t->fn = fn;
	t->arg = arg;
	t->period_ns = (int64_t)period_ms * LL__NS_PER_MS;
	if (pthread_mutex_init(&t->lock, NULL) != 0)
		goto out_free_timer;
	if (ll__cond_init(&t->cond) != 0)
		goto out_destroy_lock;

	pthread_mutex_lock(&t->lock);
	t->first_ns = ll__now_ns() + (int64_t)delay_ms * LL__NS_PER_MS;
	rc = ll__thread_create(&t->thread, timer_main, t);
	pthread_mutex_unlock(&t->lock);
	if (rc != 0) {
		errno = rc;
		err = LL_EIO;
		goto out_destroy_cond;
	}
	*out = t;
	return 0;

out_destroy_cond:
	pthread_cond_destroy(&t->cond);
out_destroy_lock:
	pthread_mutex_destroy(&t->lock);
out_free_timer:
	ll_free(t);
	return err;
}

void ll_timer_cancel(struct ll_timer *t)
{
	if (!t)
		return;
	/*
	 * Called from fn, joining would wait for ourselves forever. Do nothing:
	 * the timer stays armed and someone else must cancel it later.
	 */
	if (pthread_equal(pthread_self(), t->thread))
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	/* Waits for a running fn to return; afterwards fn never runs again. */
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	ll_free(t);
}
