/*
 * chan.c - a bounded blocking queue of pointers with Go channel semantics.
 *
 * The design follows Go's runtime (chan.go): besides the ring buffer, the
 * queue keeps a list of blocked senders and a list of blocked receivers,
 * each entry a small record on the waiting thread's stack. A sender that
 * finds a blocked receiver writes the item straight into that receiver's
 * record and marks it done; a receiver that finds a blocked sender takes the
 * item straight out of the sender's record. That makes a rendezvous exact:
 * ll_chan_send() on a capacity-0 queue returns 0 only once a receiver owns
 * that very item, and a sender that times out or sees close is still on the
 * list, so it unlinks itself and nobody can take its item afterwards.
 *
 * Invariants, under the lock:
 * - a receiver waits only while the buffer is empty and no sender waits;
 * - a sender waits only while the buffer is full (always, for capacity 0)
 *   and no receiver waits.
 *
 * Each waiter has its own condition variable, so a handoff wakes exactly
 * the thread it concerns; close marks and wakes every one of them.
 */
#include <leaklab/alloc.h>
#include <leaklab/chan.h>
#include <leaklab/error.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "internal.h"

enum waiter_state {
	WAITING,
	DONE,	/* the item was handed over */
	CLOSED, /* the queue was closed while waiting: nothing was handed over */
};

struct waiter {
	struct waiter *prev, *next;
	void *item; /* a sender's item, or the slot a receiver's item lands in */
	enum waiter_state state;
	pthread_cond_t cond;
};

struct waitq {
	struct waiter *head, *tail;
};

struct ll_chan {
	pthread_mutex_t lock;
	pthread_condattr_t condattr; /* CLOCK_MONOTONIC, for every waiter's cond */
	void **buf;
	size_t cap, head, len;
	bool closed;
	struct waitq senders, receivers;
};

static void waitq_push(struct waitq *q, struct waiter *w)
{
	w->next = NULL;
	w->prev = q->tail;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
}

static void waitq_unlink(struct waitq *q, struct waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		q->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		q->tail = w->prev;
	w->prev = w->next = NULL;
}

static struct waiter *waitq_pop(struct waitq *q)
{
	struct waiter *w = q->head;

	if (w)
		waitq_unlink(q, w);
	return w;
}

/* Marks every waiter of q with state and wakes it; the list ends up empty. */
static void waitq_release_all(struct waitq *q, enum waiter_state state)
{
	struct waiter *w;

	while ((w = waitq_pop(q))) {
		w->state = state;
		pthread_cond_signal(&w->cond);
	}
}

/*
 * Blocks on q (lock held) until the waiter is marked done or closed, or the
 * deadline passes. On timeout a waiter still on the list unlinks itself, so
 * nothing can be handed to or taken from it afterwards. Returns 0 (DONE),
 * LL_ECLOSED or LL_ETIMEDOUT.
 */
static int wait_on(struct ll_chan *ch, struct waitq *q, struct waiter *w, int timeout_ms)
{
	struct timespec deadline;
	int rc = 0;

	/* Cannot fail on glibc (no allocation); checked all the same. */
	if (pthread_cond_init(&w->cond, &ch->condattr) != 0)
		return LL_EIO;
	w->state = WAITING;
	waitq_push(q, w);
	if (timeout_ms > 0)
		deadline = ll__timespec_ns(ll__now_ns() + timeout_ms * LL__NS_PER_MS);
	/* Loop: wakeups may be spurious; only the state says what happened. */
	while (w->state == WAITING && rc != ETIMEDOUT) {
		if (timeout_ms < 0)
			pthread_cond_wait(&w->cond, &ch->lock);
		else
			rc = pthread_cond_timedwait(&w->cond, &ch->lock, &deadline);
	}
	pthread_cond_destroy(&w->cond);
	switch (w->state) {
	case DONE: return 0;
	case CLOSED: return LL_ECLOSED;
	case WAITING: break;
	}
	/* Timed out with the handover not done: withdraw. */
	waitq_unlink(q, w);
	return LL_ETIMEDOUT;
}

int ll_chan_create(struct ll_chan **out, size_t capacity)
{
	struct ll_chan *ch;

	*out = NULL;
	ch = ll_calloc(1, sizeof(*ch));
	if (!ch)
		return LL_ENOMEM;
	if (capacity > 0) {
		ch->buf = ll_calloc(capacity, sizeof(*ch->buf));
		if (!ch->buf)
			goto out_free_ch;
	}
	ch->cap = capacity;
	if (pthread_condattr_init(&ch->condattr) != 0)
		goto out_free_buf;
	if (pthread_condattr_setclock(&ch->condattr, CLOCK_MONOTONIC) != 0)
		goto out_destroy_condattr;
	if (pthread_mutex_init(&ch->lock, NULL) != 0)
		goto out_destroy_condattr;
	*out = ch;
	return 0;

out_destroy_condattr:
	pthread_condattr_destroy(&ch->condattr);
out_free_buf:
	ll_free(ch->buf);
out_free_ch:
	ll_free(ch);
	return LL_ENOMEM;
}

void ll_chan_destroy(struct ll_chan *ch)
{
	if (!ch)
		return;
	pthread_mutex_destroy(&ch->lock);
	pthread_condattr_destroy(&ch->condattr);
	ll_free(ch->buf);
	ll_free(ch);
}

int ll_chan_send(struct ll_chan *ch, void *item, int timeout_ms)
{
	struct waiter self, *r;
	int rc;

	pthread_mutex_lock(&ch->lock);
	if (ch->closed) {
		rc = LL_ECLOSED;
		goto out_unlock;
	}
	/* A blocked receiver means the buffer is empty: hand over directly. */
	r = waitq_pop(&ch->receivers);
	if (r) {
		r->item = item;
		r->state = DONE;
		pthread_cond_signal(&r->cond);
		rc = 0;
		goto out_unlock;
	}
	if (ch->len < ch->cap) {
		ch->buf[(ch->head + ch->len) % ch->cap] = item;
		ch->len++;
		rc = 0;
		goto out_unlock;
	}
	if (timeout_ms == 0) {
		rc = LL_ETIMEDOUT;
		goto out_unlock;
	}
	self.item = item;
	rc = wait_on(ch, &ch->senders, &self, timeout_ms);
out_unlock:
	pthread_mutex_unlock(&ch->lock);
	return rc;
}

int ll_chan_recv(struct ll_chan *ch, void **item, int timeout_ms)
{
	struct waiter self, *s;
	int rc;

	pthread_mutex_lock(&ch->lock);
	if (ch->len > 0) {
		*item = ch->buf[ch->head];
		ch->buf[ch->head] = NULL;
		ch->head = (ch->head + 1) % ch->cap;
		ch->len--;
		/* A slot came free: the oldest blocked sender's item fills it. */
		s = waitq_pop(&ch->senders);
		if (s) {
			ch->buf[(ch->head + ch->len) % ch->cap] = s->item;
			ch->len++;
			s->state = DONE;
			pthread_cond_signal(&s->cond);
		}
		rc = 0;
		goto out_unlock;
	}
	/* Empty buffer and a blocked sender: only possible for capacity 0. */
	s = waitq_pop(&ch->senders);
	if (s) {
		*item = s->item;
		s->state = DONE;
		pthread_cond_signal(&s->cond);
		rc = 0;
		goto out_unlock;
	}
	if (ch->closed) {
		rc = LL_ECLOSED;
		goto out_unlock;
	}
	if (timeout_ms == 0) {
		rc = LL_ETIMEDOUT;
		goto out_unlock;
	}
	rc = wait_on(ch, &ch->receivers, &self, timeout_ms);
	if (rc == 0)
		*item = self.item;
out_unlock:
	pthread_mutex_unlock(&ch->lock);
	return rc;
}

int ll_chan_close(struct ll_chan *ch)
{
	int rc = 0;

	pthread_mutex_lock(&ch->lock);
	if (ch->closed) {
		rc = LL_ECLOSED;
		goto out_unlock;
	}
	ch->closed = true;
	/*
	 * Blocked senders fail and keep their items. Blocked receivers exist
	 * only while the buffer is empty, so they fail too.
	 */
	waitq_release_all(&ch->senders, CLOSED);
	waitq_release_all(&ch->receivers, CLOSED);
out_unlock:
	pthread_mutex_unlock(&ch->lock);
	return rc;
}

size_t ll_chan_len(struct ll_chan *ch)
{
	size_t len;

	pthread_mutex_lock(&ch->lock);
	len = ch->len;
	pthread_mutex_unlock(&ch->lock);
	return len;
}
