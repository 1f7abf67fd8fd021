/*
 * test_listeners.c - ll_listeners: calls in the order added, off frees the
 * context and is refused from inside emit, destroy frees what is left, the
 * leak warning is printed once past its threshold, off waits for an emit
 * running on another thread, and a failed allocation leaves the context
 * with the caller.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/listeners.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

struct rec {
	int tag;
	int *log; /* where each call appends its tag */
	int *len;
	int *freed;
};

static void record_fn(void *ctx, const void *event)
{
	struct rec *r = ctx;

	CHECK_EQ(*(const int *)event, 42);
	r->log[(*r->len)++] = r->tag;
}

static void rec_free(void *ctx)
{
	struct rec *r = ctx;

	(*r->freed)++;
	ll_free(r);
}

static struct rec *rec_new(int tag, int *log, int *len, int *freed)
{
	struct rec *r = ll_calloc(1, sizeof(*r));

	CHECK(r != NULL);
	*r = (struct rec){.tag = tag, .log = log, .len = len, .freed = freed};
	return r;
}

/* Three listeners are called in the order added; off removes and frees one. */
static void test_order_and_off(void)
{
	struct ll_listeners *l;
	int log[16], len = 0, freed = 0, event = 42, i;
	uint64_t id[3];

	CHECK_EQ(ll_listeners_create(&l, "test", 0), 0);
	CHECK_EQ(ll_listeners_emit(l, &event), 0);
	for (i = 0; i < 3; i++)
		CHECK_EQ(ll_listeners_on(l, record_fn, rec_new(i + 1, log, &len, &freed), rec_free,
					 &id[i]),
			 0);
	CHECK(id[0] != 0 && id[0] != id[1] && id[1] != id[2]);
	CHECK_EQ(ll_listeners_count(l), 3);
	CHECK_EQ(ll_listeners_emit(l, &event), 3);
	CHECK_EQ(len, 3);
	CHECK(log[0] == 1 && log[1] == 2 && log[2] == 3);

	CHECK_EQ(ll_listeners_off(l, id[1]), 0);
	CHECK_EQ(freed, 1);
	CHECK_EQ(ll_listeners_off(l, id[1]), LL_EINVAL);
	CHECK_EQ(ll_listeners_count(l), 2);
	len = 0;
	CHECK_EQ(ll_listeners_emit(l, &event), 2);
	CHECK(len == 2 && log[0] == 1 && log[1] == 3);

	/* destroy frees the two left. */
	ll_listeners_destroy(l);
	CHECK_EQ(freed, 3);
	ll_listeners_destroy(NULL);
}

struct reentrant {
	struct ll_listeners *l;
	uint64_t self;
	int on_rc, off_rc;
	size_t emit_n;
};

static void reentrant_fn(void *ctx, const void *event)
{
	struct reentrant *r = ctx;

	(void)event;
	r->on_rc = ll_listeners_on(r->l, reentrant_fn, r, NULL, NULL);
	r->off_rc = ll_listeners_off(r->l, r->self);
	r->emit_n = ll_listeners_emit(r->l, event);
}

/* From inside its own emit, on, off and emit are refused instead of deadlocking. */
static void test_inside_emit(void)
{
	struct reentrant r = {.on_rc = 1, .off_rc = 1, .emit_n = 99};
	int event = 0;

	CHECK_EQ(ll_listeners_create(&r.l, "reentrant", 0), 0);
	CHECK_EQ(ll_listeners_on(r.l, reentrant_fn, &r, NULL, &r.self), 0);
	CHECK_EQ(ll_listeners_on(r.l, NULL, &r, NULL, NULL), LL_EINVAL);
	CHECK_EQ(ll_listeners_emit(r.l, &event), 1);
	CHECK_EQ(r.on_rc, LL_EINVAL);
	CHECK_EQ(r.off_rc, LL_EINVAL);
	CHECK_EQ(r.emit_n, 0);
	CHECK_EQ(ll_listeners_count(r.l), 1);
	CHECK_EQ(ll_listeners_off(r.l, r.self), 0);
	ll_listeners_destroy(r.l);
}

static void noop_fn(void *ctx, const void *event)
{
	(void)ctx;
	(void)event;
}

/* Past warn_at the list warns once on stderr, naming itself. */
static void test_warning(void)
{
	struct ll_listeners *l;
	char path[] = "/tmp/test_listeners.XXXXXX", text[512] = {0};
	int fd = mkstemp(path), saved = dup(2), i;
	FILE *f;

	CHECK(fd >= 0 && saved >= 0);
	unlink(path);
	CHECK_EQ(ll_listeners_create(&l, "replies", 2), 0);
	fflush(stderr);
	CHECK(dup2(fd, 2) == 2);
	for (i = 0; i < 5; i++)
		CHECK_EQ(ll_listeners_on(l, noop_fn, NULL, NULL, NULL), 0);
	fflush(stderr);
	CHECK(dup2(saved, 2) == 2);
	close(saved);
	f = fdopen(fd, "r");
	CHECK(f != NULL);
	rewind(f);
	CHECK(fread(text, 1, sizeof(text) - 1, f) > 0);
	fclose(f);
	CHECK_STR(text,
		  "leaklab: possible listener leak: 3 listeners on \"replies\" (more than 2); "
		  "is one added per message and never removed?\n");
	ll_listeners_destroy(l);
}

struct slow {
	atomic_int running, done;
	int freed;
};

static void slow_fn(void *ctx, const void *event)
{
	struct slow *s = ctx;

	(void)event;
	atomic_store(&s->running, 1);
	sleep_ms(50);
	atomic_store(&s->done, 1);
	atomic_store(&s->running, 0);
}

static void slow_free(void *ctx)
{
	struct slow *s = ctx;

	/* Freed only once the call has returned: off waited for it. */
	CHECK_EQ(atomic_load(&s->running), 0);
	CHECK_EQ(atomic_load(&s->done), 1);
	s->freed++;
}

static void *emit_main(void *arg)
{
	int event = 0;

	ll_listeners_emit(arg, &event);
	return NULL;
}

/* off on another thread waits for the running emit, then frees the context. */
static void test_off_waits(void)
{
	struct ll_listeners *l;
	struct slow s = {.running = 0, .done = 0};
	pthread_t th;
	uint64_t id;
	int i;

	CHECK_EQ(ll_listeners_create(&l, "slow", 0), 0);
	CHECK_EQ(ll_listeners_on(l, slow_fn, &s, slow_free, &id), 0);
	CHECK_EQ(pthread_create(&th, NULL, emit_main, l), 0);
	for (i = 0; i < 1000 && !atomic_load(&s.running); i++)
		sleep_ms(1);
	CHECK_EQ(ll_listeners_off(l, id), 0);
	CHECK_EQ(s.freed, 1);
	pthread_join(th, NULL);
	ll_listeners_destroy(l);
}

/*
 * A list's memory follows its listeners: 100 added and removed leave the
 * heap where it was (ll_alloc_count sees every allocation; the array is
 * freed when the list empties), and removing in any order keeps the rest
 * called in the order they were added.
 */
static void test_shrinks(void)
{
	enum { N = 100 };
	struct ll_listeners *l;
	uint64_t id[N];
	int log[N], len = 0, freed = 0, event = 42, i;

	CHECK_EQ(ll_listeners_create(&l, "shrink", 0), 0);
	for (i = 0; i < N; i++)
		CHECK_EQ(
		    ll_listeners_on(l, record_fn, rec_new(i, log, &len, &freed), rec_free, &id[i]),
		    0);
	/* Remove the odd ones from the back, then check the order of the rest. */
	for (i = N - 1; i >= 0; i--)
		if (i % 2)
			CHECK_EQ(ll_listeners_off(l, id[i]), 0);
	CHECK_EQ(ll_listeners_emit(l, &event), N / 2);
	for (i = 0; i < N / 2; i++)
		CHECK_EQ(log[i], 2 * i);
	for (i = 0; i < N; i += 2)
		CHECK_EQ(ll_listeners_off(l, id[i]), 0);
	CHECK_EQ(freed, N);
	CHECK_EQ(ll_listeners_count(l), 0);
	/* Empty again: adding one allocates a fresh array, as the first time. */
	ll_alloc_fail_after(1);
	CHECK_EQ(ll_listeners_on(l, noop_fn, NULL, NULL, NULL), LL_ENOMEM);
	ll_alloc_fail_after(0);
	ll_listeners_destroy(l);
}

/* Every allocation failure: an error, nothing leaked, ctx still the caller's. */
static void test_enomem(void)
{
	struct ll_listeners *l = (struct ll_listeners *)&l;
	int n, freed = 0, len = 0, log[1];
	struct rec *r;

	for (n = 1; n <= 2; n++) {
		ll_alloc_fail_after(n);
		CHECK_EQ(ll_listeners_create(&l, "x", 0), LL_ENOMEM);
		ll_alloc_fail_after(0);
		CHECK(l == NULL);
	}
	CHECK_EQ(ll_listeners_create(&l, "x", 0), 0);
	r = rec_new(1, log, &len, &freed);
	ll_alloc_fail_after(1);
	CHECK_EQ(ll_listeners_on(l, record_fn, r, rec_free, NULL), LL_ENOMEM);
	ll_alloc_fail_after(0);
	CHECK_EQ(ll_listeners_count(l), 0);
	ll_listeners_destroy(l);
	CHECK_EQ(freed, 0);
	ll_free(r);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_order_and_off);
	RUN(test_inside_emit);
	RUN(test_warning);
	RUN(test_off_waits);
	RUN(test_shrinks);
	RUN(test_enomem);
	return check_finish();
}
