/*
 * test_map.c - ll_map: set/get/replace/remove, who frees values, growth to
 * 10k keys and back to empty, foreach with early stop, allocation failures
 * that leave the map unchanged, and four threads setting and removing at
 * once.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/map.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "check.h"

static atomic_int freed;
static void *_Atomic last_freed;

/* Values owned by a map are ll_malloc'd ints; count every free. */
static void free_counted(void *value)
{
	atomic_fetch_add(&freed, 1);
	atomic_store(&last_freed, value);
	ll_free(value);
}

static int *new_int(int v)
{
	int *p = ll_malloc(sizeof(*p));

	CHECK(p != NULL);
	*p = v;
	return p;
}

static void test_basic(void)
{
	struct ll_map *m;
	char key[16] = "alpha";
	int a = 1, b = 2, c = 3;
	void *out = NULL;

	CHECK_EQ(ll_map_create(&m, NULL), 0);
	CHECK_EQ(ll_map_len(m), 0);
	CHECK(ll_map_get(m, "alpha") == NULL);
	CHECK_EQ(ll_map_set(m, key, &a), 0);
	/* The key was copied: changing the caller's buffer changes nothing. */
	strcpy(key, "beta");
	CHECK(ll_map_get(m, "alpha") == &a);
	CHECK(ll_map_get(m, "beta") == NULL);
	CHECK_EQ(ll_map_set(m, key, &b), 0);
	CHECK_EQ(ll_map_len(m), 2);
	CHECK_EQ(ll_map_set(m, "alpha", &c), 0);
	CHECK_EQ(ll_map_len(m), 2);
	CHECK(ll_map_get(m, "alpha") == &c);
	CHECK_EQ(ll_map_set(m, "", &a), 0);
	CHECK(ll_map_get(m, "") == &a);
	CHECK_EQ(ll_map_remove(m, "alpha", &out), 0);
	CHECK(out == &c);
	CHECK_EQ(ll_map_remove(m, "alpha", &out), LL_EINVAL);
	CHECK(ll_map_get(m, "alpha") == NULL);
	CHECK_EQ(ll_map_remove(m, "beta", NULL), 0);
	CHECK_EQ(ll_map_len(m), 1);
	CHECK_EQ(ll_map_set(m, NULL, &a), LL_EINVAL);
	CHECK_EQ(ll_map_remove(m, NULL, NULL), LL_EINVAL);
	CHECK(ll_map_get(m, NULL) == NULL);
	ll_map_destroy(m);
	ll_map_destroy(NULL);
}

/* With free_value the map frees on replace, plain remove and destroy only. */
static void test_free_value(void)
{
	struct ll_map *m;
	int *v1 = new_int(1), *v2 = new_int(2), *v3 = new_int(3), *v4 = new_int(4);
	void *out = NULL;

	atomic_store(&freed, 0);
	CHECK_EQ(ll_map_create(&m, free_counted), 0);
	CHECK_EQ(ll_map_set(m, "k", v1), 0);
	CHECK_EQ(atomic_load(&freed), 0);
	CHECK_EQ(ll_map_set(m, "k", v2), 0);
	CHECK_EQ(atomic_load(&freed), 1);
	CHECK(atomic_load(&last_freed) == v1);
	/* Setting the same value again must not free it. */
	CHECK_EQ(ll_map_set(m, "k", v2), 0);
	CHECK_EQ(atomic_load(&freed), 1);
	CHECK_EQ(*(int *)ll_map_get(m, "k"), 2);
	/* Handed back through value_out: the caller owns it now. */
	CHECK_EQ(ll_map_remove(m, "k", &out), 0);
	CHECK(out == v2);
	CHECK_EQ(atomic_load(&freed), 1);
	ll_free(out);
	CHECK_EQ(ll_map_set(m, "x", v3), 0);
	CHECK_EQ(ll_map_remove(m, "x", NULL), 0);
	CHECK_EQ(atomic_load(&freed), 2);
	CHECK(atomic_load(&last_freed) == v3);
	CHECK_EQ(ll_map_set(m, "y", v4), 0);
	CHECK_EQ(ll_map_set(m, "z", new_int(5)), 0);
	ll_map_destroy(m);
	CHECK_EQ(atomic_load(&freed), 4);
}

/* 10k keys: the table grows, every key stays findable, then empties. */
static void test_grow_shrink(void)
{
	enum { N = 10000 };
	struct ll_map *m;
	char key[32];
	void *out;
	int i, round;

	CHECK_EQ(ll_map_create(&m, NULL), 0);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < N; i++) {
			snprintf(key, sizeof(key), "key-%d", i);
			CHECK_EQ(ll_map_set(m, key, (void *)(intptr_t)(i + 1)), 0);
		}
		CHECK_EQ(ll_map_len(m), N);
		for (i = 0; i < N; i++) {
			snprintf(key, sizeof(key), "key-%d", i);
			CHECK_EQ((intptr_t)ll_map_get(m, key), i + 1);
		}
		CHECK(ll_map_get(m, "key-10000") == NULL);
		/* Remove in an order unrelated to insertion, across shrinks. */
		for (i = 0; i < N; i++) {
			int k = (int)(((long long)i * 7919) % N);

			snprintf(key, sizeof(key), "key-%d", k);
			CHECK_EQ(ll_map_remove(m, key, &out), 0);
			CHECK_EQ((intptr_t)out, k + 1);
			if (i == N / 2) {
				/* Halfway, the other half is still all there. */
				CHECK_EQ(ll_map_len(m), N - N / 2 - 1);
			}
		}
		CHECK_EQ(ll_map_len(m), 0);
		CHECK(ll_map_get(m, "key-0") == NULL);
	}
	ll_map_destroy(m);
}

struct visit {
	int calls;
	int stop_after; /* 0: never stop */
	long long sum;
};

static int visit_fn(const char *key, void *value, void *arg)
{
	struct visit *v = arg;

	CHECK_EQ(atoi(key + 1), (intptr_t)value);
	v->calls++;
	v->sum += (intptr_t)value;
	return v->stop_after && v->calls == v->stop_after;
}

static void test_foreach(void)
{
	struct ll_map *m;
	struct visit v = {0};
	char key[16];
	int i;

	CHECK_EQ(ll_map_create(&m, NULL), 0);
	ll_map_foreach(m, visit_fn, &v);
	CHECK_EQ(v.calls, 0);
	for (i = 1; i <= 20; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		CHECK_EQ(ll_map_set(m, key, (void *)(intptr_t)i), 0);
	}
	ll_map_foreach(m, visit_fn, &v);
	CHECK_EQ(v.calls, 20);
	CHECK_EQ(v.sum, 20 * 21 / 2);
	v = (struct visit){.stop_after = 3};
	ll_map_foreach(m, visit_fn, &v);
	CHECK_EQ(v.calls, 3);
	ll_map_destroy(m);
}

/* A failed allocation leaves the map as it was; a failed resize is harmless. */
static void test_nomem(void)
{
	struct ll_map *m = (struct ll_map *)&m;
	int *v = new_int(7);
	char key[16];
	int i;

	ll_alloc_fail_after(1);
	CHECK_EQ(ll_map_create(&m, free_counted), LL_ENOMEM);
	CHECK(m == NULL);
	ll_alloc_fail_after(2);
	CHECK_EQ(ll_map_create(&m, free_counted), LL_ENOMEM);
	ll_alloc_fail_after(0);

	atomic_store(&freed, 0);
	CHECK_EQ(ll_map_create(&m, free_counted), 0);
	CHECK_EQ(ll_map_set(m, "a", new_int(1)), 0);
	ll_alloc_fail_after(1);
	CHECK_EQ(ll_map_set(m, "b", v), LL_ENOMEM);
	ll_alloc_fail_after(0);
	/* Unchanged, and v is still ours (not freed by the map). */
	CHECK_EQ(ll_map_len(m), 1);
	CHECK(ll_map_get(m, "b") == NULL);
	CHECK_EQ(atomic_load(&freed), 0);
	ll_free(v);

	/* Replacing allocates nothing, so it succeeds even now. */
	v = new_int(2);
	ll_alloc_fail_after(1);
	CHECK_EQ(ll_map_set(m, "a", v), 0);
	ll_alloc_fail_after(0);
	CHECK_EQ(atomic_load(&freed), 1);

	/*
	 * Fill to the growth threshold, then let the entry allocation succeed
	 * and the table's fail: the set still succeeds and all keys are found.
	 */
	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "f%d", i);
		CHECK_EQ(ll_map_set(m, key, new_int(i)), 0);
	}
	CHECK_EQ(ll_map_len(m), 6);
	v = new_int(100);
	ll_alloc_fail_after(2);
	CHECK_EQ(ll_map_set(m, "g", v), 0);
	ll_alloc_fail_after(0);
	CHECK_EQ(ll_map_len(m), 7);
	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "h%d", i);
		CHECK_EQ(ll_map_set(m, key, new_int(i)), 0);
	}
	/* Removing with shrinks failing is harmless too. */
	ll_alloc_fail_after(1);
	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "h%d", i);
		CHECK_EQ(ll_map_remove(m, key, NULL), 0);
	}
	ll_alloc_fail_after(0);
	CHECK_EQ(ll_map_len(m), 7);
	CHECK_EQ(*(int *)ll_map_get(m, "g"), 100);
	CHECK_EQ(*(int *)ll_map_get(m, "f4"), 4);
	CHECK_EQ(*(int *)ll_map_get(m, "a"), 2);
	ll_map_destroy(m);
	/* 1 replaced, 40 removed, 7 at destroy. */
	CHECK_EQ(atomic_load(&freed), 48);
}

enum { THREADS = 4, PER_THREAD = 1000 };

struct worker {
	struct ll_map *m;
	int id;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char key[32];
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		snprintf(key, sizeof(key), "t%d-%d", w->id, i);
		CHECK_EQ(ll_map_set(w->m, key, new_int(i)), 0);
		/* A key every thread fights over: replaced values are freed. */
		CHECK_EQ(ll_map_set(w->m, "hot", new_int(-1)), 0);
	}
	for (i = 0; i < PER_THREAD; i += 2) {
		snprintf(key, sizeof(key), "t%d-%d", w->id, i);
		CHECK_EQ(ll_map_remove(w->m, key, NULL), 0);
	}
	return NULL;
}

static void test_concurrent(void)
{
	struct ll_map *m;
	struct worker w[THREADS];
	pthread_t th[THREADS];
	char key[32];
	int i, t;

	atomic_store(&freed, 0);
	CHECK_EQ(ll_map_create(&m, free_counted), 0);
	for (t = 0; t < THREADS; t++) {
		w[t] = (struct worker){.m = m, .id = t};
		CHECK_EQ(pthread_create(&th[t], NULL, worker_main, &w[t]), 0);
	}
	for (t = 0; t < THREADS; t++)
		CHECK_EQ(pthread_join(th[t], NULL), 0);
	CHECK_EQ(ll_map_len(m), THREADS * PER_THREAD / 2 + 1);
	for (t = 0; t < THREADS; t++) {
		for (i = 0; i < PER_THREAD; i++) {
			int *v;

			snprintf(key, sizeof(key), "t%d-%d", t, i);
			v = ll_map_get(m, key);
			if (i % 2 == 0) {
				CHECK(v == NULL);
			} else {
				CHECK(v != NULL);
				CHECK_EQ(*v, i);
			}
		}
	}
	/* Every "hot" value but the last was freed on replace; halves removed. */
	CHECK_EQ(atomic_load(&freed), THREADS * PER_THREAD - 1 + THREADS * PER_THREAD / 2);
	ll_map_destroy(m);
	CHECK_EQ(atomic_load(&freed), 2 * THREADS * PER_THREAD);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_basic);
	RUN(test_free_value);
	RUN(test_grow_shrink);
	RUN(test_foreach);
	RUN(test_nomem);
	RUN(test_concurrent);
	return check_finish();
}
