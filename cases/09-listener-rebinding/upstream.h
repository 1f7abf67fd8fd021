/*
 * upstream.h - the part of case 09 that leak.c and fixed.c share: the
 * server's upstream, a worker that answers requests in the order they came
 * and announces every reply on one listener list, `replies` (Node: a
 * backend connection whose 'message' event carries every reply, each
 * tagged with the id of its request).
 *
 * The upstream here answers each request with its own payload, so the
 * server as a whole is an echo server; what the case is about is how a
 * handler gets the reply meant for it off a list that carries everyone's.
 *
 * Lifetime: upstream_start() runs as the app's setup, before the server
 * accepts anyone; upstream_stop() as its teardown, after every handler has
 * returned: it closes the request queue, lets the worker answer what is
 * left, joins it, then destroys the list, which frees every listener still
 * on it.
 */
#ifndef LEAKLAB_CASE09_UPSTREAM_H
#define LEAKLAB_CASE09_UPSTREAM_H

#include <leaklab/chan.h>
#include <leaklab/listeners.h>
#include <leaklab/ws_conn.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

/* Requests waiting for the worker: a send blocks while it is full (backpressure). */
#define UPSTREAM_QUEUE 64
/* Node's default is 10; more listeners than connections this server accepts is a leak. */
#define UPSTREAM_WARN_AT 256

/* What the worker is asked; it owns data. */
struct request {
	uint64_t id;   /* unique per request */
	uint64_t conn; /* ll_ws_conn_id() of the connection that asked */
	uint8_t opcode;
	uint8_t *data;
	size_t len;
};

/* What `replies` carries to every listener; valid only during the call. */
struct reply {
	uint64_t request; /* the id of the request answered */
	uint64_t conn;	  /* the connection that asked */
	uint8_t opcode;
	const uint8_t *data;
	size_t len;
};

static struct ll_chan *requests;
static struct ll_listeners *replies;
static pthread_t upstream_thread;
static atomic_uint_fast64_t next_request = 1;

static void *upstream_main(void *arg)
{
	void *item;

	(void)arg;
	/* Until the queue is closed and empty: every request queued gets its reply. */
	while (ll_chan_recv(requests, &item, -1) == 0) {
		struct request *rq = item;
		struct reply r = {rq->id, rq->conn, rq->opcode, rq->data, rq->len};

		ll_listeners_emit(replies, &r);
		free(rq->data);
		free(rq);
	}
	return NULL;
}

static int upstream_start(void *arg)
{
	(void)arg;
	if (ll_chan_create(&requests, UPSTREAM_QUEUE) != 0)
		return -1;
	if (ll_listeners_create(&replies, "upstream replies", UPSTREAM_WARN_AT) != 0)
		goto out_destroy_requests;
	if (pthread_create(&upstream_thread, NULL, upstream_main, NULL) != 0)
		goto out_destroy_replies;
	return 0;
out_destroy_replies:
	ll_listeners_destroy(replies);
out_destroy_requests:
	ll_chan_destroy(requests);
	return -1;
}

static void upstream_stop(void *arg)
{
	(void)arg;
	ll_chan_close(requests);
	pthread_join(upstream_thread, NULL);
	ll_chan_destroy(requests);
	ll_listeners_destroy(replies);
}

/* A fresh request id, never 0. */
static uint64_t upstream_request_id(void)
{
	return atomic_fetch_add(&next_request, 1);
}

/*
 * Queues msg as request id of conn. Takes msg's data (also on failure: it
 * is freed and msg zeroed). Blocks while the queue is full. Returns 0, or
 * -1 if the upstream is stopping or out of memory.
 */
static int upstream_submit(uint64_t id, struct ll_ws_conn *conn, struct ll_ws_msg *msg)
{
	struct request *rq = malloc(sizeof(*rq));

	if (!rq) {
		ll_ws_msg_free(msg);
		return -1;
	}
	*rq = (struct request){id, ll_ws_conn_id(conn), msg->opcode, msg->data, msg->len};
	msg->data = NULL;
	msg->len = 0;
	if (ll_chan_send(requests, rq, -1) != 0) {
		free(rq->data);
		free(rq);
		return -1;
	}
	return 0;
}

#endif
