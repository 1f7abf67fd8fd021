/*
 * 03-uncleared-timer, fixed variant.
 *
 * Each connection gets a heartbeat: a periodic timer that pings the client
 * (Node: setInterval(() => ws.ping(), 30000) in the 'connection' handler).
 *
 * What leaked (leak.c): the heartbeat of every ended connection kept
 * running forever, one timer thread per closed connection, because the
 * close path never cancelled it (Node: no clearInterval on 'close').
 *
 * The fix: the close path stops the heartbeat. ll_timer_cancel() joins the
 * timer's thread, so when it returns beat() is not running and never will
 * again; only then are the timer's reference to the connection and its
 * memory released. Cancel first, free second: the other order is a
 * use-after-free.
 *
 * Signals: the thread count returns to the baseline after every
 * connection; memcheck reports nothing lost at exit.
 */
#include <leaklab/app.h>
#include <leaklab/timer.h>

#include <stdlib.h>

static long heartbeat_ms = 1000;

struct heartbeat {
	struct ll_timer *timer;
	struct ll_ws_conn *conn; /* the timer's own reference */
};

static void beat(void *arg)
{
	struct heartbeat *hb = arg;

	/*
	 * After the connection closed this fails with LL_ECLOSED; a heartbeat
	 * has nothing to say about it.
	 */
	ll_ws_conn_ping(hb->conn, "hb", 2);
}

static struct heartbeat *heartbeat_start(struct ll_ws_conn *conn)
{
	struct heartbeat *hb = calloc(1, sizeof(*hb));

	if (!hb)
		return NULL;
	hb->conn = ll_ws_conn_retain(conn);
	if (ll_timer_start(&hb->timer, (unsigned)heartbeat_ms, (unsigned)heartbeat_ms, beat, hb) !=
	    0) {
		ll_ws_conn_release(hb->conn);
		free(hb);
		return NULL;
	}
	return hb;
}

static void heartbeat_stop(struct heartbeat *hb)
{
	if (!hb)
		return;
	ll_timer_cancel(hb->timer); /* joins: beat() never runs again after this */
	ll_ws_conn_release(hb->conn);
	free(hb);
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct heartbeat *hb = heartbeat_start(conn);
	struct ll_ws_msg msg;

	(void)arg;
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		int err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);

		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	/* FIX: stop the heartbeat on the way out: cancel joins its thread, then it is freed. */
	heartbeat_stop(hb);
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app_knob knobs[] = {
	    {"heartbeat-ms", &heartbeat_ms, "milliseconds between pings"},
	    {0},
	};
	static const struct ll_app app = {
	    .name = "03-uncleared-timer-fixed",
	    .summary = "Echo server with a heartbeat per connection, stopped when it closes.",
	    .handler = handle,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
