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
 *
 * The code is in upstream.c, compiled into both variants (and the exercise).
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

/* The request queue and the reply list; upstream_start() makes both. */
extern struct ll_chan *requests;
extern struct ll_listeners *replies;

/* The app's setup: the queue, the list and the worker. Returns 0 or -1. */
int upstream_start(void *arg);

/* The app's teardown: see "Lifetime" above. */
void upstream_stop(void *arg);

/* A fresh request id, never 0. */
uint64_t upstream_request_id(void);

/*
 * Queues msg as request id of conn. Takes msg's data (also on failure: it
 * is freed and msg zeroed). Blocks while the queue is full. Returns 0, or
 * -1 if the upstream is stopping or out of memory.
 */
int upstream_submit(uint64_t id, struct ll_ws_conn *conn, struct ll_ws_msg *msg);

#endif
