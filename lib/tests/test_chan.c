/*
 * test_chan.c - ll_chan with real threads: rendezvous, buffering, FIFO,
 * close waking every waiter, draining after close, timeouts, and a
 * many-producer/many-consumer stress in which every item must arrive
 * exactly once (also with senders that time out and retry, which proves a
 * withdrawn item is never received).
 */
#include <leaklab/alloc.h>
#include <leaklab/chan.h>
#include <leaklab/error.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "check.h"
#include "testutil.h"

/* Waits (bounded) until *v reaches want; returns the last value seen. */
static int wait_for(atomic_int *v, int want)
{
	int i;

	for (i = 0; i < 400 && atomic_load(v) < want; i++)
		sleep_ms(5);
	return atomic_load(v);
}

struct sender {
	struct ll_chan *ch;
	void *item;
	int timeout_ms;
	int rc;
	atomic_int *started;
	atomic_int *returned;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	atomic_fetch_add(s->started, 1);
	s->rc = ll_chan_send(s->ch, s->item, s->timeout_ms);
	atomic_fetch_add(s->returned, 1);
	return NULL;
}

struct receiver {
	struct ll_chan *ch;
	void *item;
	int timeout_ms;
	int rc;
	atomic_int *started;
	atomic_int *returned;
};

static void *receiver_main(void *arg)
{
	struct receiver *r = arg;

	atomic_fetch_add(r->started, 1);
	r->rc = ll_chan_recv(r->ch, &r->item, r->timeout_ms);
	atomic_fetch_add(r->returned, 1);
	return NULL;
}

/* An unbuffered send blocks until a receiver takes that very item. */
static void test_rendezvous_blocks(void)
{
	struct ll_chan *ch;
	atomic_int started = 0, returned = 0;
	int x = 42;
	struct sender s = {
	    .item = &x, .timeout_ms = -1, .started = &started, .returned = &returned};
	pthread_t th;
	void *got = NULL;

	CHECK_EQ(ll_chan_create(&ch, 0), 0);
	s.ch = ch;
	CHECK_EQ(pthread_create(&th, NULL, sender_main, &s), 0);
	CHECK_EQ(wait_for(&started, 1), 1);
	sleep_ms(50);
	/* Nobody received: the sender must still be blocked. */
	CHECK_EQ(atomic_load(&returned), 0);
	CHECK_EQ(ll_chan_len(ch), 0);
	CHECK_EQ(ll_chan_recv(ch, &got, 1000), 0);
	CHECK(got == &x);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(atomic_load(&returned), 1);
	CHECK_EQ(s.rc, 0);
	ll_chan_destroy(ch);
}

/* timeout 0 on a rendezvous succeeds only with a partner already waiting. */
static void test_rendezvous_try(void)
{
	struct ll_chan *ch;
	atomic_int started = 0, returned = 0;
	int x = 1, y = 2;
	struct receiver r = {.timeout_ms = -1, .started = &started, .returned = &returned};
	struct sender s = {
	    .item = &y, .timeout_ms = -1, .started = &started, .returned = &returned};
	pthread_t th;
	void *got = NULL;
	int i, rc = LL_ETIMEDOUT;

	CHECK_EQ(ll_chan_create(&ch, 0), 0);
	CHECK_EQ(ll_chan_send(ch, &x, 0), LL_ETIMEDOUT);
	CHECK_EQ(ll_chan_recv(ch, &got, 0), LL_ETIMEDOUT);

	/* A receiver blocks; a non-waiting send reaches it once it waits. */
	r.ch = ch;
	CHECK_EQ(pthread_create(&th, NULL, receiver_main, &r), 0);
	for (i = 0; i < 400 && rc == LL_ETIMEDOUT; i++) {
		rc = ll_chan_send(ch, &x, 0);
		if (rc == LL_ETIMEDOUT)
			sleep_ms(5);
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(r.rc, 0);
	CHECK(r.item == &x);

	/* A sender blocks; a non-waiting receive takes its item. */
	s.ch = ch;
	CHECK_EQ(pthread_create(&th, NULL, sender_main, &s), 0);
	rc = LL_ETIMEDOUT;
	for (i = 0; i < 400 && rc == LL_ETIMEDOUT; i++) {
		rc = ll_chan_recv(ch, &got, 0);
		if (rc == LL_ETIMEDOUT)
			sleep_ms(5);
	}
	CHECK_EQ(rc, 0);
	CHECK(got == &y);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(s.rc, 0);
	ll_chan_destroy(ch);
}

/* Timeouts both ways, measured; a timed-out send withdraws its item. */
static void test_timeouts(void)
{
	struct ll_chan *ch;
	int x = 1;
	void *got = NULL;
	long long t0, dt;

	CHECK_EQ(ll_chan_create(&ch, 0), 0);
	t0 = now_ms();
	CHECK_EQ(ll_chan_send(ch, &x, 50), LL_ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 45);
	CHECK_INT(dt, <, 1000);
	/* The withdrawn item must not be found by a later receiver. */
	CHECK_EQ(ll_chan_recv(ch, &got, 0), LL_ETIMEDOUT);
	t0 = now_ms();
	CHECK_EQ(ll_chan_recv(ch, &got, 50), LL_ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 45);
	CHECK_INT(dt, <, 1000);
	CHECK(got == NULL);
	ll_chan_destroy(ch);
}

/* Capacity N: N sends never block, the next one times out; FIFO order. */
static void test_buffered(void)
{
	enum { N = 4 };
	struct ll_chan *ch;
	int items[N + 1];
	void *got;
	long long t0, dt;
	int i;

	CHECK_EQ(ll_chan_create(&ch, N), 0);
	for (i = 0; i < N; i++)
		CHECK_EQ(ll_chan_send(ch, &items[i], 0), 0);
	CHECK_EQ(ll_chan_len(ch), N);
	CHECK_EQ(ll_chan_send(ch, &items[N], 0), LL_ETIMEDOUT);
	t0 = now_ms();
	CHECK_EQ(ll_chan_send(ch, &items[N], 50), LL_ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 45);
	CHECK_INT(dt, <, 1000);
	CHECK_EQ(ll_chan_len(ch), N);
	for (i = 0; i < N; i++) {
		CHECK_EQ(ll_chan_recv(ch, &got, 0), 0);
		CHECK(got == &items[i]);
	}
	CHECK_EQ(ll_chan_len(ch), 0);
	CHECK_EQ(ll_chan_recv(ch, &got, 0), LL_ETIMEDOUT);

	/* Wrap around the ring a few times, still FIFO. */
	for (i = 0; i < 3 * N; i++) {
		CHECK_EQ(ll_chan_send(ch, &items[i % (N + 1)], 0), 0);
		CHECK_EQ(ll_chan_recv(ch, &got, 0), 0);
		CHECK(got == &items[i % (N + 1)]);
	}
	ll_chan_destroy(ch);
}

/* A sender blocked on a full buffer is admitted as soon as a slot frees. */
static void test_buffered_blocked_sender(void)
{
	struct ll_chan *ch;
	atomic_int started = 0, returned = 0;
	int a = 1, b = 2;
	struct sender s = {
	    .item = &b, .timeout_ms = 5000, .started = &started, .returned = &returned};
	pthread_t th;
	void *got;

	CHECK_EQ(ll_chan_create(&ch, 1), 0);
	CHECK_EQ(ll_chan_send(ch, &a, 0), 0);
	s.ch = ch;
	CHECK_EQ(pthread_create(&th, NULL, sender_main, &s), 0);
	CHECK_EQ(wait_for(&started, 1), 1);
	sleep_ms(50);
	CHECK_EQ(atomic_load(&returned), 0);
	CHECK_EQ(ll_chan_recv(ch, &got, 0), 0);
	CHECK(got == &a);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(s.rc, 0);
	CHECK_EQ(ll_chan_len(ch), 1);
	CHECK_EQ(ll_chan_recv(ch, &got, 0), 0);
	CHECK(got == &b);
	ll_chan_destroy(ch);
}

/* Close wakes 8 blocked senders and 8 blocked receivers; all fail. */
static void test_close_wakes_all(void)
{
	enum { N = 8 };
	struct ll_chan *full, *empty;
	atomic_int started = 0, returned = 0;
	struct sender s[N];
	struct receiver r[N];
	pthread_t st[N], rt[N];
	int items[N];
	void *got;
	int i;

	CHECK_EQ(ll_chan_create(&full, 0), 0);
	CHECK_EQ(ll_chan_create(&empty, 0), 0);
	for (i = 0; i < N; i++) {
		s[i] = (struct sender){.ch = full,
				       .item = &items[i],
				       .timeout_ms = 5000,
				       .rc = 1,
				       .started = &started,
				       .returned = &returned};
		r[i] = (struct receiver){.ch = empty,
					 .timeout_ms = 5000,
					 .rc = 1,
					 .started = &started,
					 .returned = &returned};
		CHECK_EQ(pthread_create(&st[i], NULL, sender_main, &s[i]), 0);
		CHECK_EQ(pthread_create(&rt[i], NULL, receiver_main, &r[i]), 0);
	}
	CHECK_EQ(wait_for(&started, 2 * N), 2 * N);
	sleep_ms(50);
	CHECK_EQ(atomic_load(&returned), 0);
	/*
	 * The waits are long but finite so that a close that wakes nobody
	 * fails this check (LL_ETIMEDOUT) instead of hanging the test.
	 */
	CHECK_EQ(ll_chan_close(full), 0);
	CHECK_EQ(ll_chan_close(empty), 0);
	for (i = 0; i < N; i++) {
		CHECK_EQ(pthread_join(st[i], NULL), 0);
		CHECK_EQ(pthread_join(rt[i], NULL), 0);
		CHECK_EQ(s[i].rc, LL_ECLOSED);
		CHECK_EQ(r[i].rc, LL_ECLOSED);
	}
	/* The senders kept their items: nothing can be received. */
	CHECK_EQ(ll_chan_recv(full, &got, -1), LL_ECLOSED);
	ll_chan_destroy(full);
	ll_chan_destroy(empty);
}

/* Buffered items survive close; then LL_ECLOSED. Send and re-close fail. */
static void test_close_drains(void)
{
	struct ll_chan *ch;
	int items[3];
	void *got;
	int i;

	CHECK_EQ(ll_chan_create(&ch, 3), 0);
	for (i = 0; i < 3; i++)
		CHECK_EQ(ll_chan_send(ch, &items[i], 0), 0);
	CHECK_EQ(ll_chan_close(ch), 0);
	CHECK_EQ(ll_chan_close(ch), LL_ECLOSED);
	CHECK_EQ(ll_chan_send(ch, &items[0], -1), LL_ECLOSED);
	CHECK_EQ(ll_chan_send(ch, &items[0], 0), LL_ECLOSED);
	CHECK_EQ(ll_chan_len(ch), 3);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(ll_chan_recv(ch, &got, -1), 0);
		CHECK(got == &items[i]);
	}
	/* Waiting forever on a closed, empty queue returns at once. */
	CHECK_EQ(ll_chan_recv(ch, &got, -1), LL_ECLOSED);
	CHECK_EQ(ll_chan_recv(ch, &got, 0), LL_ECLOSED);
	ll_chan_destroy(ch);

	CHECK_EQ(ll_chan_create(&ch, 0), 0);
	CHECK_EQ(ll_chan_close(ch), 0);
	CHECK_EQ(ll_chan_send(ch, &items[0], 100), LL_ECLOSED);
	CHECK_EQ(ll_chan_close(ch), LL_ECLOSED);
	ll_chan_destroy(ch);
	ll_chan_destroy(NULL);
}

static void test_create_nomem(void)
{
	struct ll_chan *ch = (struct ll_chan *)&ch;

	ll_alloc_fail_after(1);
	CHECK_EQ(ll_chan_create(&ch, 4), LL_ENOMEM);
	CHECK(ch == NULL);
	ll_alloc_fail_after(2);
	CHECK_EQ(ll_chan_create(&ch, 4), LL_ENOMEM);
	CHECK(ch == NULL);
	ll_alloc_fail_after(0);
}

/* Many producers and consumers; every item must be received exactly once. */
struct stress {
	struct ll_chan *ch;
	int *items;
	atomic_int *seen;
	atomic_int next;     /* next item index to send */
	atomic_int received; /* total receives */
	atomic_int sent;     /* sends that returned 0 */
	int nitems;
	int timeout_ms; /* per operation; < 0 forever, else retry on timeout */
};

static void *producer_main(void *arg)
{
	struct stress *st = arg;
	int i, rc;

	while ((i = atomic_fetch_add(&st->next, 1)) < st->nitems) {
		do {
			rc = ll_chan_send(st->ch, &st->items[i], st->timeout_ms);
		} while (rc == LL_ETIMEDOUT);
		CHECK_EQ(rc, 0);
		atomic_fetch_add(&st->sent, 1);
	}
	return NULL;
}

static void *consumer_main(void *arg)
{
	struct stress *st = arg;
	void *got;
	int rc;

	for (;;) {
		rc = ll_chan_recv(st->ch, &got, st->timeout_ms);
		if (rc == LL_ETIMEDOUT)
			continue;
		if (rc == LL_ECLOSED)
			break;
		CHECK_EQ(rc, 0);
		atomic_fetch_add(&st->seen[(int *)got - st->items], 1);
		atomic_fetch_add(&st->received, 1);
	}
	return NULL;
}

static void run_stress(size_t capacity, int nitems, int timeout_ms)
{
	enum { P = 4, C = 4 };
	struct stress st = {.nitems = nitems, .timeout_ms = timeout_ms};
	pthread_t pt[P], ct[C];
	int i;

	st.items = calloc((size_t)nitems, sizeof(*st.items));
	st.seen = calloc((size_t)nitems, sizeof(*st.seen));
	CHECK(st.items && st.seen);
	CHECK_EQ(ll_chan_create(&st.ch, capacity), 0);
	for (i = 0; i < C; i++)
		CHECK_EQ(pthread_create(&ct[i], NULL, consumer_main, &st), 0);
	for (i = 0; i < P; i++)
		CHECK_EQ(pthread_create(&pt[i], NULL, producer_main, &st), 0);
	for (i = 0; i < P; i++)
		CHECK_EQ(pthread_join(pt[i], NULL), 0);
	/* Every send returned 0: each item is received or buffered now. */
	CHECK_EQ(ll_chan_close(st.ch), 0);
	for (i = 0; i < C; i++)
		CHECK_EQ(pthread_join(ct[i], NULL), 0);
	CHECK_EQ(atomic_load(&st.sent), nitems);
	CHECK_EQ(atomic_load(&st.received), nitems);
	for (i = 0; i < nitems; i++)
		CHECK_EQ(atomic_load(&st.seen[i]), 1);
	CHECK_EQ(ll_chan_len(st.ch), 0);
	ll_chan_destroy(st.ch);
	free(st.items);
	free(st.seen);
}

static void test_stress(void)
{
	int n = RUNNING_ON_VALGRIND ? 1000 : 10000;

	run_stress(0, n, -1);
	run_stress(8, n, -1);
	/* Short timeouts on both sides: withdrawn items must never arrive. */
	run_stress(0, n / 2, 1);
	run_stress(2, n / 2, 1);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_rendezvous_blocks);
	RUN(test_rendezvous_try);
	RUN(test_timeouts);
	RUN(test_buffered);
	RUN(test_buffered_blocked_sender);
	RUN(test_close_wakes_all);
	RUN(test_close_drains);
	RUN(test_create_nomem);
	RUN(test_stress);
	return check_finish();
}
