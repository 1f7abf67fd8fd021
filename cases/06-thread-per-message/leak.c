/*
 * 06-thread-per-message, leaking variant.
 *
 * An echo server with an audit trail: every message is echoed and a copy
 * is shipped to an audit collector (audit.h) that has become slow, its
 * acknowledgements taking --sink-ms. A client asks "audited" to learn how
 * many records the collector has taken so far.
 *
 * What leaks: a thread per message, for as long as the collector takes to
 * acknowledge it (up to a 30 s timeout), each with its copy of the record.
 * While the collector is slow the thread count follows the message rate,
 * without bound, until pthread_create fails or memory runs out.
 *
 * Why: the audit middleware must not slow the echo down, so it starts a
 * detached thread per message to ship the record and forgets it (Go:
 * `go func() { audit.Post(ctx, rec) }()` in a Gin middleware, with the
 * request's context detached so the post outlives the request). Nothing
 * bounds how many such threads run at once, and nothing joins them at
 * shutdown. Each shipment is correct; their number is the leak.
 *
 * The fix (fixed.c): a bounded pool of workers started once, a queue with
 * a fixed number of slots, and backpressure when it is full.
 *
 * Signals: threads +1 per message in a burst, and they stay while the
 * collector lags; at exit memcheck reports each shipper still waiting by
 * its 272-byte thread-local block from pthread_create, as possibly lost.
 */
#include <leaklab/app.h>

#include <stdio.h>
#include <string.h>

#include "audit.h"

static long sink_ms = 20000;
static struct audit_sink sink;

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
			/* LEAK: a detached thread per message, however many are still waiting. */
			if (!err)
				err = audit_go(&sink, msg.data, msg.len);
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
	return 0;
}

static void teardown(void *arg)
{
	(void)arg;
	/* The shippers still waiting use the sink: it cannot be destroyed under them. */
}

int main(int argc, char **argv)
{
	static const struct ll_app_knob knobs[] = {
	    {"sink-ms", &sink_ms, "how long the audit collector takes to acknowledge"},
	    {0},
	};
	static const struct ll_app app = {
	    .name = "06-thread-per-message-leak",
	    .summary = "Echo server that audits every message on a thread of its "
		       "own.",
	    .handler = handle,
	    .setup = setup,
	    .teardown = teardown,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
