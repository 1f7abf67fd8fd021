/*
 * leaklab/timer.h - periodic and one-shot timers, each run by its own
 * thread (the C stand-in for setInterval/setTimeout and time.Ticker).
 *
 * One thread per timer is deliberate: it makes a timer that is never
 * cancelled visible as a thread that never ends, which is what the kit
 * teaches to find.
 */
#ifndef LEAKLAB_TIMER_H
#define LEAKLAB_TIMER_H

struct ll_timer;

typedef void (*ll_timer_fn)(void *arg);

/*
 * Starts a timer thread that calls fn(arg) first after delay_ms, then every
 * period_ms if period_ms > 0 (periodic), or only once if period_ms == 0
 * (one-shot; the thread then waits for cancel without running again).
 * Periodic ticks are scheduled from the start time, not from the end of the
 * previous callback, and a slow callback skips missed ticks instead of
 * bursting. arg is not owned by the timer.
 * Returns 0, LL_EINVAL (fn NULL), LL_ENOMEM or LL_EIO (thread creation).
 */
int ll_timer_start(struct ll_timer **out, unsigned delay_ms, unsigned period_ms, ll_timer_fn fn,
		   void *arg);

/*
 * Stops the timer, joins its thread and frees it. When it returns, fn is
 * not running and will never run again, so arg may be freed. If fn is
 * running it waits for it to return. Must not be called from fn itself (it
 * would join its own thread): that returns without doing anything. NULL is
 * a no-op.
 */
void ll_timer_cancel(struct ll_timer *t);

#endif
