/*
 * test_cancel.c - ll_cancel with real threads: trigger waking waiters,
 * propagation down (never up) the tree, deadlines and their inheritance,
 * waits that time out with the token live, and children created and
 * destroyed while their parent is cancelled.
 */
#include <leaklab/alloc.h>
#include <leaklab/cancel.h>
#include <leaklab/error.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"
#include "testutil.h"

struct waiter {
	struct ll_cancel *c;
	int timeout_ms;
	int rc;
	atomic_int *started;
	atomic_int *returned;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	atomic_fetch_add(w->started, 1);
	w->rc = ll_cancel_wait(w->c, w->timeout_ms);
	atomic_fetch_add(w->returned, 1);
	return NULL;
}

static void wait_started(atomic_int *started, int want)
{
	int i;

	for (i = 0; i < 400 && atomic_load(started) < want; i++)
		sleep_ms(5);
	CHECK_EQ(atomic_load(started), want);
}

/* A trigger wakes every thread waiting on the token. */
static void test_trigger_wakes(void)
{
	enum { N = 4 };
	struct ll_cancel *c;
	atomic_int started = 0, returned = 0;
	struct waiter w[N];
	pthread_t th[N];
	int i;

	CHECK_EQ(ll_cancel_create(&c, NULL, 0), 0);
	CHECK(!ll_cancel_done(c));
	CHECK_EQ(ll_cancel_err(c), 0);
	for (i = 0; i < N; i++) {
		w[i] = (struct waiter){
		    .c = c, .timeout_ms = -1, .rc = 1, .started = &started, .returned = &returned};
		CHECK_EQ(pthread_create(&th[i], NULL, waiter_main, &w[i]), 0);
	}
	wait_started(&started, N);
	sleep_ms(50);
	CHECK_EQ(atomic_load(&returned), 0);
	ll_cancel_trigger(c);
	for (i = 0; i < N; i++) {
		CHECK_EQ(pthread_join(th[i], NULL), 0);
		CHECK_EQ(w[i].rc, LL_ECANCELED);
	}
	CHECK(ll_cancel_done(c));
	CHECK_EQ(ll_cancel_err(c), LL_ECANCELED);
	ll_cancel_trigger(c);
	CHECK_EQ(ll_cancel_err(c), LL_ECANCELED);
	CHECK_EQ(ll_cancel_wait(c, -1), LL_ECANCELED);
	CHECK_EQ(ll_cancel_wait(c, 0), LL_ECANCELED);
	ll_cancel_destroy(c);
	ll_cancel_destroy(NULL);
}

/* Cancelling a token cancels its subtree, never its parent or siblings. */
static void test_children(void)
{
	struct ll_cancel *p, *a, *b, *a1, *b1, *late;
	atomic_int started = 0, returned = 0;
	struct waiter w = {.timeout_ms = -1, .rc = 1, .started = &started, .returned = &returned};
	pthread_t th;

	CHECK_EQ(ll_cancel_create(&p, NULL, 0), 0);
	CHECK_EQ(ll_cancel_create(&a, p, 0), 0);
	CHECK_EQ(ll_cancel_create(&b, p, 0), 0);
	CHECK_EQ(ll_cancel_create(&a1, a, 0), 0);
	CHECK_EQ(ll_cancel_create(&b1, b, 0), 0);

	ll_cancel_trigger(a);
	CHECK_EQ(ll_cancel_err(a), LL_ECANCELED);
	CHECK_EQ(ll_cancel_err(a1), LL_ECANCELED);
	CHECK(!ll_cancel_done(p));
	CHECK(!ll_cancel_done(b));
	CHECK(!ll_cancel_done(b1));

	/* A waiter on a grandchild is woken by the root's trigger. */
	w.c = b1;
	CHECK_EQ(pthread_create(&th, NULL, waiter_main, &w), 0);
	wait_started(&started, 1);
	sleep_ms(30);
	CHECK_EQ(atomic_load(&returned), 0);
	ll_cancel_trigger(p);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(w.rc, LL_ECANCELED);
	CHECK_EQ(ll_cancel_err(p), LL_ECANCELED);
	CHECK_EQ(ll_cancel_err(b), LL_ECANCELED);
	CHECK_EQ(ll_cancel_err(b1), LL_ECANCELED);

	/* The child of a cancelled parent starts cancelled. */
	CHECK_EQ(ll_cancel_create(&late, p, 0), 0);
	CHECK_EQ(ll_cancel_err(late), LL_ECANCELED);

	/* Children first, then the parent. */
	ll_cancel_destroy(late);
	ll_cancel_destroy(a1);
	ll_cancel_destroy(a);
	ll_cancel_destroy(b1);
	ll_cancel_destroy(b);
	ll_cancel_destroy(p);
}

/* Destroying a child detaches it: the parent's trigger no longer reaches it. */
static void test_destroy_detaches(void)
{
	struct ll_cancel *p, *c1, *c2, *c3;

	CHECK_EQ(ll_cancel_create(&p, NULL, 0), 0);
	CHECK_EQ(ll_cancel_create(&c1, p, 0), 0);
	CHECK_EQ(ll_cancel_create(&c2, p, 0), 0);
	CHECK_EQ(ll_cancel_create(&c3, p, 0), 0);
	/* Unlink from the middle, the head and the tail of the list. */
	ll_cancel_destroy(c2);
	ll_cancel_trigger(p);
	CHECK_EQ(ll_cancel_err(c1), LL_ECANCELED);
	CHECK_EQ(ll_cancel_err(c3), LL_ECANCELED);
	ll_cancel_destroy(c3);
	ll_cancel_destroy(c1);
	ll_cancel_destroy(p);
}

/* A deadline fires on its own, measured; wait returns LL_ETIMEDOUT. */
static void test_deadline(void)
{
	struct ll_cancel *c;
	long long t0, dt;

	t0 = now_ms();
	CHECK_EQ(ll_cancel_create(&c, NULL, 50), 0);
	CHECK(!ll_cancel_done(c));
	CHECK_EQ(ll_cancel_wait(c, 0), 0);
	CHECK_EQ(ll_cancel_wait(c, -1), LL_ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 45);
	CHECK_INT(dt, <, 3000);
	CHECK(ll_cancel_done(c));
	CHECK_EQ(ll_cancel_err(c), LL_ETIMEDOUT);
	/* The first reason sticks: a late trigger does not change it. */
	ll_cancel_trigger(c);
	CHECK_EQ(ll_cancel_err(c), LL_ETIMEDOUT);
	ll_cancel_destroy(c);

	/* Lazily checked: done turns true by itself once the time passes. */
	CHECK_EQ(ll_cancel_create(&c, NULL, 20), 0);
	sleep_ms(40);
	CHECK(ll_cancel_done(c));
	CHECK_EQ(ll_cancel_err(c), LL_ETIMEDOUT);
	ll_cancel_destroy(c);
}

/* A child never outlives its parent's deadline; its own may be shorter. */
static void test_deadline_inherited(void)
{
	struct ll_cancel *p, *none, *longer, *shorter;
	long long t0, dt;

	t0 = now_ms();
	/* Far enough apart that a loaded machine (memcheck, -j3) keeps their order. */
	CHECK_EQ(ll_cancel_create(&p, NULL, 400), 0);
	CHECK_EQ(ll_cancel_create(&none, p, 0), 0);
	CHECK_EQ(ll_cancel_create(&longer, p, 10000), 0);
	CHECK_EQ(ll_cancel_create(&shorter, p, 20), 0);

	CHECK_EQ(ll_cancel_wait(shorter, 2000), LL_ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 18);
	/* The parent and the other children are still live. */
	CHECK(!ll_cancel_done(p));
	CHECK(!ll_cancel_done(none));
	CHECK(!ll_cancel_done(longer));

	CHECK_EQ(ll_cancel_wait(longer, 2000), LL_ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 395);
	CHECK_INT(dt, <, 3000);
	CHECK_EQ(ll_cancel_err(none), LL_ETIMEDOUT);
	CHECK_EQ(ll_cancel_err(p), LL_ETIMEDOUT);

	/* A child created after the parent's deadline starts timed out. */
	ll_cancel_destroy(shorter);
	CHECK_EQ(ll_cancel_create(&shorter, p, 5000), 0);
	CHECK_EQ(ll_cancel_err(shorter), LL_ETIMEDOUT);

	ll_cancel_destroy(shorter);
	ll_cancel_destroy(longer);
	ll_cancel_destroy(none);
	ll_cancel_destroy(p);
}

/* A wait that runs out returns 0 and leaves the token live. */
static void test_wait_timeout(void)
{
	struct ll_cancel *c;
	long long t0, dt;

	CHECK_EQ(ll_cancel_create(&c, NULL, 0), 0);
	t0 = now_ms();
	CHECK_EQ(ll_cancel_wait(c, 50), 0);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 45);
	CHECK_INT(dt, <, 3000);
	CHECK(!ll_cancel_done(c));
	ll_cancel_destroy(c);

	/* The wait's own timeout is shorter than the deadline: 0. */
	CHECK_EQ(ll_cancel_create(&c, NULL, 5000), 0);
	t0 = now_ms();
	CHECK_EQ(ll_cancel_wait(c, 30), 0);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 27);
	CHECK_INT(dt, <, 3000);
	CHECK(!ll_cancel_done(c));
	ll_cancel_destroy(c);

	/* The deadline is shorter than the wait's timeout: LL_ETIMEDOUT early. */
	CHECK_EQ(ll_cancel_create(&c, NULL, 30), 0);
	t0 = now_ms();
	CHECK_EQ(ll_cancel_wait(c, 5000), LL_ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 27);
	CHECK_INT(dt, <, 3000);
	ll_cancel_destroy(c);
}

enum { CHURN_LOOPS = 300 };

/* Creates, checks and destroys children of a parent another thread cancels. */
static void *churn_main(void *arg)
{
	struct ll_cancel *parent = arg;
	struct ll_cancel *c, *gc;
	int i;

	for (i = 0; i < CHURN_LOOPS; i++) {
		CHECK_EQ(ll_cancel_create(&c, parent, 0), 0);
		CHECK_EQ(ll_cancel_create(&gc, c, 0), 0);
		/* Either still live or cancelled, never timed out. */
		if (ll_cancel_done(gc))
			CHECK_EQ(ll_cancel_err(gc), LL_ECANCELED);
		ll_cancel_destroy(gc);
		ll_cancel_destroy(c);
	}
	/* Created before the trigger it is woken by it; after, it starts cancelled. */
	CHECK_EQ(ll_cancel_create(&c, parent, 0), 0);
	CHECK_EQ(ll_cancel_wait(c, -1), LL_ECANCELED);
	ll_cancel_destroy(c);
	return NULL;
}

static void test_concurrent_tree(void)
{
	enum { N = 4 };
	struct ll_cancel *p;
	pthread_t th[N];
	int i;

	CHECK_EQ(ll_cancel_create(&p, NULL, 0), 0);
	for (i = 0; i < N; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, churn_main, p), 0);
	sleep_ms(2);
	ll_cancel_trigger(p);
	for (i = 0; i < N; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	CHECK_EQ(ll_cancel_err(p), LL_ECANCELED);
	ll_cancel_destroy(p);
}

static void test_nomem(void)
{
	struct ll_cancel *p, *c = (struct ll_cancel *)&c;

	CHECK_EQ(ll_cancel_create(&p, NULL, 0), 0);
	ll_alloc_fail_after(1);
	CHECK_EQ(ll_cancel_create(&c, p, 100), LL_ENOMEM);
	ll_alloc_fail_after(0);
	CHECK(c == NULL);
	/* The failed child was never linked: the parent destroys cleanly. */
	ll_cancel_trigger(p);
	ll_cancel_destroy(p);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_trigger_wakes);
	RUN(test_children);
	RUN(test_destroy_detaches);
	RUN(test_deadline);
	RUN(test_deadline_inherited);
	RUN(test_wait_timeout);
	RUN(test_concurrent_tree);
	RUN(test_nomem);
	return check_finish();
}
