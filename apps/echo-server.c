/*
 * echo-server - the reference server: every text or binary message comes
 * back as it was sent. It is the model of a correct handler that every
 * case's fixed.c follows: one loop, one exit, one ll_ws_conn_destroy().
 */
#include <leaklab/app.h>

static void echo(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;

	(void)arg;
	/*
	 * recv answers pings and the close handshake itself; it fails once the connection is over.
	 */
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		int err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);

		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "echo-server",
	    .summary = "Echoes every WebSocket message back to its sender.",
	    .handler = echo,
	    /* A connection that has said nothing yet holds no thread (docs/performance.md). */
	    .park_fresh = true,
	};

	return ll_app_main(&app, argc, argv);
}
