/*
 * test_group.c - ll_group with real threads: every function runs exactly
 * once, the running count, reaping finished threads while a long one still
 * runs, starting threads from inside the group, destroy waiting for the
 * group, the threads' small stacks, and the process's thread count back at
 * its baseline afterwards.
 * The memcheck run proves every thread was joined (an unjoined one shows
 * as "possibly lost" TLS).
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/group.h>

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "check.h"
#include "testutil.h"

/* A gate threads wait at until the test opens it. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;
};

static void gate_init(struct gate *g)
{
	CHECK_EQ(pthread_mutex_init(&g->lock, NULL), 0);
	CHECK_EQ(pthread_cond_init(&g->cond, NULL), 0);
	g->open = false;
}

static void gate_pass(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->open)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void gate_destroy(struct gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

static void bump(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

/* Twenty threads each run once; afterwards no thread is left. */
static void test_go_wait(void)
{
	enum { N = 20 };
	struct ll_group *g;
	atomic_int ran[N];
	int base = task_count();
	int i;

	CHECK_EQ(ll_group_create(&g), 0);
	CHECK_EQ(ll_group_running(g), 0);
	for (i = 0; i < N; i++) {
		atomic_init(&ran[i], 0);
		CHECK_EQ(ll_group_go(g, bump, &ran[i]), 0);
	}
	ll_group_wait(g);
	CHECK_EQ(ll_group_running(g), 0);
	for (i = 0; i < N; i++)
		CHECK_EQ(atomic_load(&ran[i]), 1);
	CHECK_EQ(settle_tasks(base), base);
	/* Waiting on an empty group returns at once; the group is reusable. */
	ll_group_wait(g);
	CHECK_EQ(ll_group_go(g, bump, &ran[0]), 0);
	ll_group_destroy(g);
	CHECK_EQ(atomic_load(&ran[0]), 2);
	ll_group_destroy(NULL);
}

struct gated {
	struct gate *gate;
	atomic_int *done;
};

static void gated_fn(void *arg)
{
	struct gated *gd = arg;

	gate_pass(gd->gate);
	atomic_fetch_add(gd->done, 1);
}

/* The running count follows threads that block, then finish. */
static void test_running(void)
{
	struct ll_group *g;
	struct gate gate;
	atomic_int done = 0;
	struct gated gd = {.gate = &gate, .done = &done};
	int base = task_count();
	int i;

	gate_init(&gate);
	CHECK_EQ(ll_group_create(&g), 0);
	for (i = 0; i < 3; i++)
		CHECK_EQ(ll_group_go(g, gated_fn, &gd), 0);
	CHECK_EQ(ll_group_running(g), 3);
	CHECK_EQ(task_count(), base + 3);
	sleep_ms(20);
	CHECK_EQ(ll_group_running(g), 3);
	CHECK_EQ(atomic_load(&done), 0);
	gate_open(&gate);
	ll_group_wait(g);
	CHECK_EQ(ll_group_running(g), 0);
	CHECK_EQ(atomic_load(&done), 3);
	ll_group_destroy(g);
	gate_destroy(&gate);
	CHECK_EQ(settle_tasks(base), base);
}

/* Reap joins the finished threads and does not wait for a running one. */
static void test_reap(void)
{
	struct ll_group *g;
	struct gate gate;
	atomic_int done = 0, short_ran = 0;
	struct gated gd = {.gate = &gate, .done = &done};
	int base = task_count();
	long long t0;
	int i;

	gate_init(&gate);
	CHECK_EQ(ll_group_create(&g), 0);
	CHECK_EQ(ll_group_go(g, gated_fn, &gd), 0);
	for (i = 0; i < 5; i++)
		CHECK_EQ(ll_group_go(g, bump, &short_ran), 0);
	for (i = 0; i < 400 && ll_group_running(g) > 1; i++)
		sleep_ms(2);
	CHECK_EQ(ll_group_running(g), 1);
	CHECK_EQ(atomic_load(&short_ran), 5);
	t0 = now_ms();
	ll_group_reap(g);
	/* Never blocks on the long one, which waits for the gate. */
	CHECK_INT(now_ms() - t0, <, 500);
	CHECK_EQ(ll_group_running(g), 1);
	CHECK_EQ(settle_tasks(base + 1), base + 1);
	/* go reaps too; the new short thread finishes and the long one stays. */
	CHECK_EQ(ll_group_go(g, bump, &short_ran), 0);
	for (i = 0; i < 400 && ll_group_running(g) > 1; i++)
		sleep_ms(2);
	CHECK_EQ(ll_group_running(g), 1);
	CHECK_EQ(atomic_load(&done), 0);
	gate_open(&gate);
	ll_group_wait(g);
	CHECK_EQ(atomic_load(&done), 1);
	CHECK_EQ(atomic_load(&short_ran), 6);
	ll_group_destroy(g);
	gate_destroy(&gate);
	CHECK_EQ(settle_tasks(base), base);
}

/* A tree of threads, each starting its two children: 1 + 2 + 4 = 7. */
struct node {
	struct ll_group *g;
	atomic_int *ran;
	struct node *kids; /* two per node, NULL at the leaves */
};

static void node_fn(void *arg)
{
	struct node *n = arg;
	int i;

	atomic_fetch_add(n->ran, 1);
	if (!n->kids)
		return;
	for (i = 0; i < 2; i++)
		CHECK_EQ(ll_group_go(n->g, node_fn, &n->kids[i]), 0);
}

/* ll_group_go() from inside a group thread; wait covers the new ones too. */
static void test_go_from_inside(void)
{
	struct ll_group *g;
	atomic_int ran = 0;
	struct node leaves[4], mid[2], root;
	int base = task_count();
	int i;

	CHECK_EQ(ll_group_create(&g), 0);
	for (i = 0; i < 4; i++)
		leaves[i] = (struct node){.g = g, .ran = &ran, .kids = NULL};
	for (i = 0; i < 2; i++)
		mid[i] = (struct node){.g = g, .ran = &ran, .kids = &leaves[2 * i]};
	root = (struct node){.g = g, .ran = &ran, .kids = mid};
	CHECK_EQ(ll_group_go(g, node_fn, &root), 0);
	ll_group_wait(g);
	CHECK_EQ(atomic_load(&ran), 7);
	CHECK_EQ(ll_group_running(g), 0);
	ll_group_destroy(g);
	CHECK_EQ(settle_tasks(base), base);
}

struct slow {
	atomic_int done;
};

static void slow_fn(void *arg)
{
	sleep_ms(30);
	atomic_store(&((struct slow *)arg)->done, 1);
}

/* Destroy waits for the group's threads to finish before it frees. */
static void test_destroy_waits(void)
{
	struct ll_group *g;
	struct slow s = {0};
	int base = task_count();

	CHECK_EQ(ll_group_create(&g), 0);
	CHECK_EQ(ll_group_go(g, slow_fn, &s), 0);
	ll_group_destroy(g);
	CHECK_EQ(atomic_load(&s.done), 1);
	CHECK_EQ(settle_tasks(base), base);
}

/* What a thread sees as its own stack size. */
static void stack_fn(void *arg)
{
	pthread_attr_t attr;
	size_t size = 0;

	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, &size);
		pthread_attr_destroy(&attr);
	}
	*(size_t *)arg = size;
}

/*
 * A group's threads get the library's small fixed stack, not glibc's
 * default of the stack rlimit (8 MiB): a thread per connection must not
 * reserve 8 MiB each, nor give memcheck 8 MiB each to scan.
 */
static void test_stack_size(void)
{
	struct ll_group *g;
	size_t size = 0;

	CHECK_EQ(ll_group_create(&g), 0);
	CHECK_EQ(ll_group_go(g, stack_fn, &size), 0);
	ll_group_wait(g);
	ll_group_destroy(g);
	CHECK(size >= 64 * 1024);
	CHECK(size <= 1024 * 1024);
}

static void test_nomem(void)
{
	struct ll_group *g = (struct ll_group *)&g;
	atomic_int ran = 0;

	ll_alloc_fail_after(1);
	CHECK_EQ(ll_group_create(&g), LL_ENOMEM);
	ll_alloc_fail_after(0);
	CHECK(g == NULL);
	CHECK_EQ(ll_group_create(&g), 0);
	ll_alloc_fail_after(1);
	CHECK_EQ(ll_group_go(g, bump, &ran), LL_ENOMEM);
	ll_alloc_fail_after(0);
	CHECK_EQ(ll_group_running(g), 0);
	ll_group_wait(g);
	CHECK_EQ(atomic_load(&ran), 0);
	ll_group_destroy(g);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	warm_up();
	RUN(test_go_wait);
	RUN(test_running);
	RUN(test_reap);
	RUN(test_go_from_inside);
	RUN(test_destroy_waits);
	RUN(test_stack_size);
	RUN(test_nomem);
	return check_finish();
}
