/*
 * 01-unclosed-connection, fixed variant.
 *
 * What leaked (leak.c): every client that disappeared without a close
 * handshake left its socket open and its connection object allocated,
 * because the handler returned early for a vanished peer.
 *
 * The fix: the handler has one exit path. Whatever ends the loop (a clean
 * close, a dropped peer, a protocol error, a failed send), control reaches
 * the single ll_ws_conn_destroy() at the bottom: the C form of Go's
 * `defer conn.Close()`.
 *
 * Signals: fds and heap return to the baseline after every client;
 * memcheck reports nothing lost and no fd open at exit.
 */
#include <leaklab/app.h>

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;
	int err;

	(void)arg;
	for (;;) {
		err = ll_ws_conn_recv(conn, &msg, -1);
		/*
		 * FIX: a vanished peer is one more way out of the loop, not a way
		 * around the cleanup.
		 */
		if (err)
			break;
		err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "01-unclosed-connection-fixed",
	    .summary = "Echo server that closes every connection, however it ends.",
	    .handler = handle,
	};

	return ll_app_main(&app, argc, argv);
}
