/*
 * group.c - a group of threads that are all joined.
 *
 * Each thread has a record on the group's "running" list. When its function
 * returns, the thread itself moves the record to the "finished" list and
 * signals; whoever reaps next joins it and frees the record. Joining a
 * thread that is on the finished list never blocks for long: it has done
 * its work and is only returning from its start routine.
 *
 * Reapers take the finished list whole under the lock and join outside it,
 * so a reap never holds the lock while it waits. The number of threads
 * taken but not yet joined is counted, so ll_group_wait() also waits for
 * joins that another reaper has in hand: when it returns, every thread of
 * the group has been joined by someone.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/group.h>

#include <errno.h>
#include <pthread.h>

#include "internal.h"

struct gthread {
	struct gthread *prev, *next;
	struct ll_group *g;
	pthread_t tid;
	ll_group_fn fn;
	void *arg;
};

struct ll_group {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a thread finished, or a reaper finished joining */
	struct gthread *running, *finished;
	size_t nrunning;
	size_t joining; /* taken off the finished list, not joined yet */
};

static void list_push(struct gthread **head, struct gthread *t)
{
	t->prev = NULL;
	t->next = *head;
	if (*head)
		(*head)->prev = t;
	*head = t;
}

static void list_unlink(struct gthread **head, struct gthread *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		*head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
}

static void *gthread_main(void *arg)
{
	struct gthread *t = arg;
	struct ll_group *g = t->g;

	t->fn(t->arg);
	pthread_mutex_lock(&g->lock);
	list_unlink(&g->running, t);
	list_push(&g->finished, t);
	g->nrunning--;
	pthread_cond_broadcast(&g->changed);
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/*
 * Joins and frees the records of a list taken off g->finished (count of
 * them in n), then tells waiters those joins are done.
 */
static void join_taken(struct ll_group *g, struct gthread *list, size_t n)
{
	struct gthread *t, *next;

	for (t = list; t; t = next) {
		next = t->next;
		pthread_join(t->tid, NULL);
		ll_free(t);
	}
	if (n == 0)
		return;
	pthread_mutex_lock(&g->lock);
	g->joining -= n;
	pthread_cond_broadcast(&g->changed);
	pthread_mutex_unlock(&g->lock);
}

/* Takes the whole finished list; g's lock is held. Returns it, count in *n. */
static struct gthread *take_finished(struct ll_group *g, size_t *n)
{
	struct gthread *list = g->finished, *t;

	*n = 0;
	for (t = list; t; t = t->next)
		(*n)++;
	g->finished = NULL;
	g->joining += *n;
	return list;
}

int ll_group_create(struct ll_group **out)
{
	struct ll_group *g;

	*out = NULL;
	g = ll_calloc(1, sizeof(*g));
	if (!g)
		return LL_ENOMEM;
	if (pthread_mutex_init(&g->lock, NULL) != 0)
		goto out_free_group;
	/* Waits here are untimed, so the default clock is fine. */
	if (pthread_cond_init(&g->changed, NULL) != 0)
		goto out_destroy_lock;
	*out = g;
	return 0;

out_destroy_lock:
	pthread_mutex_destroy(&g->lock);
out_free_group:
	ll_free(g);
	return LL_ENOMEM;
}

int ll_group_go(struct ll_group *g, ll_group_fn fn, void *arg)
{
	struct gthread *t;
	int rc;

	ll_group_reap(g);
	t = ll_calloc(1, sizeof(*t));
	if (!t)
		return LL_ENOMEM;
	t->g = g;
	t->fn = fn;
	t->arg = arg;
	/*
	 * Hold the lock across pthread_create(): the thread can only move its
	 * record to the finished list (where a reaper joins t->tid) after we
	 * unlock, by which time t->tid is set.
	 */
	pthread_mutex_lock(&g->lock);
	list_push(&g->running, t);
	g->nrunning++;
	rc = ll__thread_create(&t->tid, gthread_main, t);
	if (rc != 0) {
		list_unlink(&g->running, t);
		g->nrunning--;
		pthread_mutex_unlock(&g->lock);
		ll_free(t);
		errno = rc;
		return LL_EIO;
	}
	pthread_mutex_unlock(&g->lock);
	return 0;
}

void ll_group_reap(struct ll_group *g)
{
	struct gthread *list;
	size_t n;

	pthread_mutex_lock(&g->lock);
	list = take_finished(g, &n);
	pthread_mutex_unlock(&g->lock);
	join_taken(g, list, n);
}

size_t ll_group_running(struct ll_group *g)
{
	size_t n;

	pthread_mutex_lock(&g->lock);
	n = g->nrunning;
	pthread_mutex_unlock(&g->lock);
	return n;
}

/*
 * Called from a thread of the group it would wait for itself forever: that
 * is a caller bug, like sync.WaitGroup.Wait() inside one of its goroutines.
 */
void ll_group_wait(struct ll_group *g)
{
	struct gthread *list;
	size_t n;

	pthread_mutex_lock(&g->lock);
	while (g->nrunning > 0)
		pthread_cond_wait(&g->changed, &g->lock);
	list = take_finished(g, &n);
	pthread_mutex_unlock(&g->lock);
	join_taken(g, list, n);

	/* Joins another reaper took before us must be done too. */
	pthread_mutex_lock(&g->lock);
	while (g->joining > 0)
		pthread_cond_wait(&g->changed, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

void ll_group_destroy(struct ll_group *g)
{
	if (!g)
		return;
	ll_group_wait(g);
	pthread_cond_destroy(&g->changed);
	pthread_mutex_destroy(&g->lock);
	ll_free(g);
}
