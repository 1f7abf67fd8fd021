/*
 * 06-thread-per-message, fixed variant.
 *
 * An echo server with an audit trail: every message is echoed and a copy
 * is shipped to an audit collector (audit.h) that has become slow, its
 * acknowledgements taking --sink-ms. A client asks "audited" to learn how
 * many records the collector has taken so far.
 *
 * What leaked (leak.c): the audit middleware started a detached thread
 * per message to ship it (Go: `go func() { audit.Post(ctx, rec) }()` in a
 * Gin middleware), so while the collector was slow every message held a
 * thread for as long as its shipment took, up to a 30 s timeout: threads
 * grow with the message rate, without bound.
 *
 * The fix: a bounded pool. AUDIT_WORKERS threads, started once, take the
 * records from a queue with room for AUDIT_QUEUE of them, in slots
 * allocated once. When every slot is taken, the handler waits for one
 * (backpressure): a slow collector slows its senders, instead of costing a
 * thread and a record per message. That wait ends when the connection
 * closes, as every connection does when the server stops, so a full pool
 * never holds the exit. At shutdown the pool cancels the workers' waits,
 * ships what is still queued and joins them, so every queued message is
 * audited and no thread is left.
 *
 * Signals: the thread count and the heap stay at the baseline whatever
 * the load; memcheck reports nothing lost at exit.
 */
#include <leaklab/app.h>
#include <leaklab/cancel.h>
#include <leaklab/chan.h>
#include <leaklab/group.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

/* FIX: a bounded pool: AUDIT_WORKERS threads, AUDIT_QUEUE records waiting at most. */

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

static void audit_worker(void *arg)
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
static void audit_pool_stop(struct audit_pool *p)
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
static int audit_pool_start(struct audit_pool **out, struct audit_sink *s)
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
static int audit_pool_submit(struct audit_pool *p, struct ll_ws_conn *conn, const void *data,
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

static long sink_ms = 20000;
static struct audit_sink sink;
static struct audit_pool *pool;

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;

	(void)arg;
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		int err;

		if (msg.len == 7 && memcmp(msg.data, "audited", 7) == 0) {
			char reply[64];
			int n = snprintf(reply, sizeof(reply), "audited: %ld",
					 audit_sink_received(&sink));

			err = ll_ws_conn_send(conn, LL_WS_OP_TEXT, reply, (size_t)n);
		} else {
			err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
			/* FIX: hand the record to the pool's workers; wait for room if they lag. */
			if (!err)
				err = audit_pool_submit(pool, conn, msg.data, msg.len);
		}
		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	ll_ws_conn_destroy(conn);
}

static int setup(void *arg)
{
	(void)arg;
	if (audit_sink_init(&sink, sink_ms) != 0)
		return -1;
	/* FIX: the workers, started once for the whole server. */
	if (audit_pool_start(&pool, &sink) != 0) {
		audit_sink_destroy(&sink);
		return -1;
	}
	return 0;
}

static void teardown(void *arg)
{
	(void)arg;
	/* FIX: ship what is queued, then join the workers. */
	audit_pool_stop(pool);
	audit_sink_destroy(&sink);
}

int main(int argc, char **argv)
{
	static const struct ll_app_knob knobs[] = {
	    {"sink-ms", &sink_ms, "how long the audit collector takes to acknowledge"},
	    {0},
	};
	static const struct ll_app app = {
	    .name = "06-thread-per-message-fixed",
	    .summary = "Echo server that audits every message through a bounded "
		       "pool of workers.",
	    .handler = handle,
	    .setup = setup,
	    .teardown = teardown,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
