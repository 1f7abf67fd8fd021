/*
 * 03-uncleared-timer, leaking variant.
 *
 * Each connection gets a heartbeat: a periodic timer that pings the client
 * (Node: setInterval(() => ws.ping(), 30000) in the 'connection' handler).
 *
 * What leaks: the heartbeat of every connection that has ended keeps
 * running, forever: one timer thread per closed connection, plus the
 * heartbeat's memory and the connection object it keeps alive.
 *
 * Why: the close path destroys the connection but never cancels the timer
 * (Node: no clearInterval in the 'close' handler). The timer does not
 * touch freed memory: it holds its own reference to the connection, so its
 * pings fail cleanly with LL_ECLOSED, which it ignores. That is exactly why
 * nothing crashes and nobody notices, while the threads pile up.
 *
 * The fix (fixed.c): the close path cancels the timer, which joins its
 * thread, and only then drops the timer's reference and frees it.
 *
 * Signals: threads grow by one per closed connection; at exit memcheck
 * reports the timer threads as possibly lost.
 *
 * Output: ./build/bin/leaklab-check --case 03-uncleared-timer --variant leak --native
 *   verdict: leak reproduced: threads +1.00/client, scales 2.0x
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
	/*
	 * LEAK: heartbeat_stop(hb) is never called: the timer thread runs on,
	 * pinging a closed connection. (The casts only silence
	 * -Wunused-variable and -Wunused-function: the compiler's own hints
	 * at this bug.)
	 */
	(void)hb;
	(void)heartbeat_stop;
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app_knob knobs[] = {
	    {"heartbeat-ms", &heartbeat_ms, "milliseconds between pings"},
	    {0},
	};
	static const struct ll_app app = {
	    .name = "03-uncleared-timer-leak",
	    .summary = "Echo server with a heartbeat per connection that is never stopped.",
	    .handler = handle,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
