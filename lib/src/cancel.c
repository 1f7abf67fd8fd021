/*
 * cancel.c - cancellation tokens with deadlines and children.
 *
 * Locking: each token has its own mutex. It guards the token's err and its
 * list of children; a token's sibling links belong to its parent's list and
 * so to the parent's mutex. Locks are only ever taken parent before child:
 * a trigger walks down the tree holding the locks of the ancestors it came
 * through, create and destroy take the parent's lock only, and done, err
 * and wait take the token's own lock only. With one order there is no
 * cycle, so no deadlock; and since a child unlinks itself under the
 * parent's lock before it is freed, a trigger never reaches a freed child.
 *
 * Deadlines are absolute CLOCK_MONOTONIC times fixed at creation. A child's
 * effective deadline is the earlier of its own and its parent's (which
 * already includes the grandparent's, and so on), so a token that reaches
 * its deadline never needs to tell its descendants: they reach theirs no
 * later. Deadlines are checked lazily, whenever someone looks at the token;
 * no thread is started.
 *
 * The first reason a token becomes done sticks, as context.Err() does.
 */
#include <leaklab/alloc.h>
#include <leaklab/cancel.h>
#include <leaklab/error.h>

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "internal.h"

/* Deadlines here are in ns (internal.h's are ms), with the same "none". */
#define NO_DEADLINE LL__NO_DEADLINE

struct ll_cancel {
	pthread_mutex_t lock; /* err and the children list */
	pthread_cond_t cond;  /* broadcast when the token becomes done */
	struct ll_cancel *parent;
	struct ll_cancel *children;
	struct ll_cancel *prev, *next; /* siblings, under the parent's lock */
	int64_t deadline_ns;	       /* effective deadline, or NO_DEADLINE */
	int err;		       /* 0, LL_ECANCELED or LL_ETIMEDOUT */
};

/* Marks c timed out if its deadline has passed. c's lock is held. */
static void check_deadline(struct ll_cancel *c, int64_t now)
{
	if (c->err == 0 && now >= c->deadline_ns) {
		c->err = LL_ETIMEDOUT;
		pthread_cond_broadcast(&c->cond);
	}
}

/*
 * Cancels c and, depth first, every descendant. c's lock is held; each
 * child's lock is taken while its parent's is held (the one lock order).
 * A token whose deadline already passed reports LL_ETIMEDOUT, not
 * LL_ECANCELED: it was done before the trigger.
 */
static void trigger_locked(struct ll_cancel *c, int64_t now)
{
	struct ll_cancel *child;

	check_deadline(c, now);
	if (c->err == 0) {
		c->err = LL_ECANCELED;
		pthread_cond_broadcast(&c->cond);
	}
	for (child = c->children; child; child = child->next) {
		pthread_mutex_lock(&child->lock);
		trigger_locked(child, now);
		pthread_mutex_unlock(&child->lock);
	}
}

int ll_cancel_create(struct ll_cancel **out, struct ll_cancel *parent, int timeout_ms)
{
	struct ll_cancel *c;

	*out = NULL;
	c = ll_calloc(1, sizeof(*c));
	if (!c)
		return LL_ENOMEM;
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		goto out_free_token;
	if (ll__cond_init(&c->cond) != 0)
		goto out_destroy_lock;

	/* A timeout <= 0 means no deadline of its own. */
	c->deadline_ns =
	    timeout_ms > 0 ? ll__now_ns() + (int64_t)timeout_ms * LL__NS_PER_MS : NO_DEADLINE;
	if (parent) {
		pthread_mutex_lock(&parent->lock);
		check_deadline(parent, ll__now_ns());
		if (parent->deadline_ns < c->deadline_ns)
			c->deadline_ns = parent->deadline_ns;
		/* The child of a done parent starts done, for the same reason. */
		c->err = parent->err;
		c->parent = parent;
		c->next = parent->children;
		if (parent->children)
			parent->children->prev = c;
		parent->children = c;
		pthread_mutex_unlock(&parent->lock);
	}
	*out = c;
	return 0;

out_destroy_lock:
	pthread_mutex_destroy(&c->lock);
out_free_token:
	ll_free(c);
	return LL_ENOMEM;
}

/*
 * Destroying a parent before its children is a caller bug: the children
 * would keep pointing at freed memory (their destroy unlinks from it).
 */
void ll_cancel_destroy(struct ll_cancel *c)
{
	struct ll_cancel *parent;

	if (!c)
		return;
	parent = c->parent;
	if (parent) {
		pthread_mutex_lock(&parent->lock);
		if (c->prev)
			c->prev->next = c->next;
		else
			parent->children = c->next;
		if (c->next)
			c->next->prev = c->prev;
		pthread_mutex_unlock(&parent->lock);
	}
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	ll_free(c);
}

void ll_cancel_trigger(struct ll_cancel *c)
{
	pthread_mutex_lock(&c->lock);
	trigger_locked(c, ll__now_ns());
	pthread_mutex_unlock(&c->lock);
}

bool ll_cancel_done(struct ll_cancel *c)
{
	return ll_cancel_err(c) != 0;
}

int ll_cancel_err(struct ll_cancel *c)
{
	int err;

	pthread_mutex_lock(&c->lock);
	check_deadline(c, ll__now_ns());
	err = c->err;
	pthread_mutex_unlock(&c->lock);
	return err;
}

int ll_cancel_wait(struct ll_cancel *c, int timeout_ms)
{
	int64_t limit = NO_DEADLINE;
	struct timespec abs;
	int err;

	pthread_mutex_lock(&c->lock);
	/* One absolute limit for the whole wait: the earlier of both. */
	if (timeout_ms > 0)
		limit = ll__now_ns() + (int64_t)timeout_ms * LL__NS_PER_MS;
	if (c->deadline_ns < limit)
		limit = c->deadline_ns;
	abs = ll__timespec_ns(limit);
	/* Loop on spurious wakeups: only err and the clock decide. */
	for (;;) {
		int64_t now = ll__now_ns();

		check_deadline(c, now);
		if (c->err != 0 || timeout_ms == 0)
			break;
		if (limit == NO_DEADLINE) {
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		if (now >= limit)
			break;
		pthread_cond_timedwait(&c->cond, &c->lock, &abs);
	}
	err = c->err;
	pthread_mutex_unlock(&c->lock);
	return err;
}
