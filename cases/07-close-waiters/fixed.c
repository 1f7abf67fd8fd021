/*
 * 07-close-waiters, fixed variant.
 *
 * An echo server that ends conversations itself: when a client sends
 * "close", or stays quiet for --idle-ms, the server starts the close
 * handshake (RFC 6455 section 7.1.2: send a close frame, wait for the
 * peer's, then close the TCP connection; section 7.1.1 asks the server to
 * be the one that closes TCP).
 *
 * What leaked (leak.c): the close path wrote a close frame behind the
 * connection's back and handed the wait for the reply to a detached waiter
 * thread with no deadline. A peer that never answered kept its waiter, and
 * the waiter kept the socket, for the life of the process.
 *
 * The fix: the close goes through the connection's own close handshake,
 * ll_ws_conn_close_start(), which sets its one closing flag (a second
 * close, from any thread, does nothing), and the wait for the reply has a
 * deadline, --close-ms. It runs on the handler's own thread, which the
 * server joins, so nothing is left running once the handler returns.
 *
 * Signals: the thread and fd counts return to the baseline once the
 * deadline has passed for peers that never answer; memcheck reports
 * nothing lost at exit.
 */
#include <leaklab/app.h>

#include <stdint.h>
#include <string.h>

static long idle_ms = 30000;
static long close_ms = 2000;

/*
 * The server's side of the close handshake: our close frame, then wait
 * for the peer's close frame (data that comes first is dropped), then
 * destroy the connection. Owns conn.
 */
static void *close_and_wait(void *arg)
{
	struct ll_ws_conn *conn = arg;
	struct ll_ws_msg msg;

	/* FIX: the connection's own close: one closing flag, and a deadline for the reply. */
	ll_ws_conn_close_start(conn, LL_WS_CLOSE_NORMAL, "bye");
	if (ll_ws_conn_recv(conn, &msg, (int)close_ms) == 0)
		ll_ws_msg_free(&msg); /* not reached: after our close, data is dropped */
	ll_ws_conn_destroy(conn);
	return NULL;
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;
	int err;

	(void)arg;
	for (;;) {
		err = ll_ws_conn_recv(conn, &msg, (int)idle_ms);
		if (err == LL_ETIMEDOUT)
			break; /* idle for too long: the server closes */
		if (err) {
			/* The peer closed (already answered) or vanished: nothing to wait for. */
			ll_ws_conn_destroy(conn);
			return;
		}
		if (msg.len == 5 && memcmp(msg.data, "close", 5) == 0) {
			ll_ws_msg_free(&msg);
			break;
		}
		err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
		if (err) {
			ll_ws_conn_destroy(conn);
			return;
		}
	}
	/* FIX: the close handshake on this thread, which the server joins. */
	close_and_wait(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app_knob knobs[] = {
	    {"idle-ms", &idle_ms, "close a connection quiet for this long"},
	    {"close-ms", &close_ms, "how long to wait for the peer's close reply"},
	    {0},
	};
	static const struct ll_app app = {
	    .name = "07-close-waiters-fixed",
	    .summary = "Echo server that closes on \"close\" or when idle, "
		       "waiting for the reply with a deadline.",
	    .handler = handle,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
