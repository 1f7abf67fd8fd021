/*
 * 01-unclosed-connection, leaking variant.
 *
 * What leaks: every client that disappears without a close handshake (its
 * TCP connection just drops) leaves its socket open and its connection
 * object allocated: two file descriptors (the socket and the eventfd that
 * wakes the connection's reader) and about 0.6 KiB of heap each (the
 * connection and the objects around it; it holds no read buffer between
 * messages).
 *
 * Why: the handler treats "the peer vanished" as nothing left to clean up
 * and returns early. But the handler owns the connection (as a Go handler
 * owns the *websocket.Conn its upgrader returned): nobody else will close
 * the socket or free the memory, and once the handler returns nothing
 * points to them any more.
 *
 * The fix (fixed.c): one exit path, taken by every way out of the loop,
 * that destroys the connection.
 *
 * Signals: fds grow by two per dropped client; heap grows per client; at
 * exit memcheck reports the connections as definitely lost.
 *
 * Output: ./build/bin/leaklab-check --case 01-unclosed-connection --variant leak --native
 *   verdict: leak reproduced: fds +2.00/client, scales 2.0x; heap +626 bytes/client, scales 2.0x
 */
#include <leaklab/app.h>

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;
	int err;

	(void)arg;
	for (;;) {
		err = ll_ws_conn_recv(conn, &msg, -1);
		/* LEAK: a vanished peer returns without destroying conn: its fd and memory stay. */
		if (err == LL_ECLOSED && ll_ws_conn_close_code(conn) == LL_WS_CLOSE_ABNORMAL)
			return;
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
	    .name = "01-unclosed-connection-leak",
	    .summary = "Echo server that leaks the connection of every client that drops.",
	    .handler = handle,
	};

	return ll_app_main(&app, argc, argv);
}
