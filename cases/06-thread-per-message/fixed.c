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

#include <stdio.h>
#include <string.h>

#include "audit.h"

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
