/*
 * audit.h - the audit trail of case 06, shared by leak.c and fixed.c: a
 * slow audit sink, a shipper thread per record (the leak's way), and a
 * bounded pool of workers (the fix's way).
 *
 * The sink stands for a remote audit collector that has become slow: it
 * takes every record at once (so it counts as audited), but its
 * acknowledgement comes only after --sink-ms. A shipper waits for that
 * acknowledgement, at most SHIP_TIMEOUT_MS, or until it is cancelled (Go:
 * an HTTP POST with a context). The collector lives in this process so
 * that the case needs no second server; the waiting is the same as on a
 * socket.
 */
#ifndef LEAKLAB_CASE06_AUDIT_H
#define LEAKLAB_CASE06_AUDIT_H

#include <leaklab/cancel.h>
#include <leaklab/chan.h>
#include <leaklab/error.h>
#include <leaklab/group.h>
#include <leaklab/ws_conn.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The long timeout of one shipment: a generous one, as audit clients have. */
#define SHIP_TIMEOUT_MS 30000
/* Audit records longer than this are cut. */
#define RECORD_MAX 200

struct audit_sink {
	pthread_mutex_t lock;
	long received; /* records the collector has taken */
	long ack_ms;   /* how long its acknowledgement takes */
};

/* A sink whose acknowledgements take ack_ms. Returns 0 or LL_ENOMEM. */
static inline int audit_sink_init(struct audit_sink *s, long ack_ms)
{
	s->received = 0;
	s->ack_ms = ack_ms;
	return pthread_mutex_init(&s->lock, NULL) == 0 ? 0 : LL_ENOMEM;
}

static inline void audit_sink_destroy(struct audit_sink *s)
{
	pthread_mutex_destroy(&s->lock);
}

/* Records the collector has taken so far. */
static inline long audit_sink_received(struct audit_sink *s)
{
	long n;

	pthread_mutex_lock(&s->lock);
	n = s->received;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/*
 * Ships one record: the collector takes it at once, then the call blocks
 * until its acknowledgement (ack_ms), the timeout, or until stop (may be
 * NULL) is cancelled. Returns 0 (acknowledged), LL_ETIMEDOUT,
 * LL_ECANCELED or LL_ENOMEM (not shipped). The record is copied by the
 * collector; the caller keeps its buffer.
 */
static inline int audit_ship(struct audit_sink *s, const char *record, size_t len,
			     struct ll_cancel *stop)
{
	long wait_ms = s->ack_ms < SHIP_TIMEOUT_MS ? s->ack_ms : SHIP_TIMEOUT_MS;
	struct ll_cancel *own = NULL;
	int err;

	(void)record;
	(void)len;
	if (!stop) {
		/* No caller's context (Go: context.Background()): only the timeout ends the wait.
		 */
		if (ll_cancel_create(&own, NULL, 0) != 0)
			return LL_ENOMEM;
		stop = own;
	}
	pthread_mutex_lock(&s->lock);
	s->received++;
	pthread_mutex_unlock(&s->lock);
	err = ll_cancel_wait(stop, (int)wait_ms);
	ll_cancel_destroy(own);
	if (err)
		return LL_ECANCELED;
	return s->ack_ms < SHIP_TIMEOUT_MS ? 0 : LL_ETIMEDOUT;
}

/* ----- one detached shipper per record (Go: go func() { ship(rec) }()) ----- */

struct audit_job {
	struct audit_sink *sink;
	size_t len;
	char record[RECORD_MAX];
};

static inline void *audit_job_main(void *arg)
{
	struct audit_job *job = arg;

	audit_ship(job->sink, job->record, job->len, NULL);
	free(job);
	return NULL;
}

/*
 * Starts a detached thread that ships a copy of the record and ends when
 * the shipment does. Never blocks. Returns 0, LL_ENOMEM, or LL_EIO if the
 * thread could not be started (the record is then not audited).
 */
static inline int audit_go(struct audit_sink *s, const void *data, size_t len)
{
	struct audit_job *job = malloc(sizeof(*job));
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	if (!job)
		return LL_ENOMEM;
	job->sink = s;
	job->len = len < RECORD_MAX ? len : RECORD_MAX;
	memcpy(job->record, data, job->len);
	if (pthread_attr_init(&attr) != 0) {
		free(job);
		return LL_EIO;
	}
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&tid, &attr, audit_job_main, job);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(job);
		return LL_EIO;
	}
	return 0;
}

/* ----- a bounded pool: WORKERS threads, QUEUE records waiting at most ----- */

#define AUDIT_WORKERS 4
#define AUDIT_QUEUE   1024
/* How often a wait for room looks whether its connection is closing (audit_pool_submit). */
#define AUDIT_ROOM_CHECK_MS 20

struct audit_slot {
	size_t len;
	char record[RECORD_MAX];
};

struct audit_pool {
	struct audit_sink *sink;
	struct ll_chan *free_slots; /* of struct audit_slot *: room for one more record each */
	struct ll_chan *queue;	    /* of struct audit_slot *: records waiting for a worker */
	struct ll_cancel *stop;	    /* cancels the workers' waits at shutdown */
	struct ll_group *workers;
	struct audit_slot slots[AUDIT_QUEUE];
};

static inline void audit_worker(void *arg)
{
	struct audit_pool *p = arg;
	void *item;

	while (ll_chan_recv(p->queue, &item, -1) == 0) {
		struct audit_slot *slot = item;

		audit_ship(p->sink, slot->record, slot->len, p->stop);
		ll_chan_send(p->free_slots, slot, -1);
	}
}

/*
 * Stops the pool: cancels the acknowledgement waits, closes the queue,
 * lets the workers ship what is still queued (no longer waiting), joins
 * them and frees the pool. Nothing may submit meanwhile. NULL is a no-op.
 */
static inline void audit_pool_stop(struct audit_pool *p)
{
	if (!p)
		return;
	if (p->stop)
		ll_cancel_trigger(p->stop);
	if (p->queue)
		ll_chan_close(p->queue);
	ll_group_destroy(p->workers);
	ll_chan_destroy(p->queue);
	ll_chan_destroy(p->free_slots);
	ll_cancel_destroy(p->stop);
	free(p);
}

/*
 * Starts AUDIT_WORKERS workers shipping to s, with room for AUDIT_QUEUE
 * records. Returns 0, LL_ENOMEM or LL_EIO (a worker could not start); on
 * failure nothing is left running.
 */
static inline int audit_pool_start(struct audit_pool **out, struct audit_sink *s)
{
	struct audit_pool *p = calloc(1, sizeof(*p));
	int i, err = LL_ENOMEM;

	*out = NULL;
	if (!p)
		return LL_ENOMEM;
	p->sink = s;
	if (ll_chan_create(&p->free_slots, AUDIT_QUEUE) != 0 ||
	    ll_chan_create(&p->queue, AUDIT_QUEUE) != 0 ||
	    ll_cancel_create(&p->stop, NULL, 0) != 0 || ll_group_create(&p->workers) != 0)
		goto out_stop_pool;
	for (i = 0; i < AUDIT_QUEUE; i++)
		ll_chan_send(p->free_slots, &p->slots[i], 0);
	for (i = 0; i < AUDIT_WORKERS; i++) {
		err = ll_group_go(p->workers, audit_worker, p);
		if (err)
			goto out_stop_pool;
	}
	*out = p;
	return 0;

out_stop_pool:
	audit_pool_stop(p);
	return err;
}

/*
 * Queues a copy of the record for the workers. Blocks while all
 * AUDIT_QUEUE slots are taken: backpressure, so a slow sink slows the
 * sender instead of piling up threads or memory. The wait ends too when
 * conn closes: a stopping server sends every connection 1001 and then
 * joins the handlers, and only after that is the pool stopped, so a wait
 * that only a worker could end would hold the exit until the collector
 * acknowledged (20 s). The connection is looked at every
 * AUDIT_ROOM_CHECK_MS of the wait. Returns 0, or LL_ECLOSED once the pool
 * is stopping or conn is closing (that record is not audited).
 */
static inline int audit_pool_submit(struct audit_pool *p, struct ll_ws_conn *conn, const void *data,
				    size_t len)
{
	struct audit_slot *slot;
	void *item;
	int err;

	while ((err = ll_chan_recv(p->free_slots, &item, AUDIT_ROOM_CHECK_MS)) == LL_ETIMEDOUT)
		if (!ll_ws_conn_is_open(conn))
			return LL_ECLOSED;
	if (err)
		return err;
	slot = item;
	slot->len = len < RECORD_MAX ? len : RECORD_MAX;
	memcpy(slot->record, data, slot->len);
	err = ll_chan_send(p->queue, slot, -1);
	if (err)
		ll_chan_send(p->free_slots, slot, 0);
	return err;
}

#endif
