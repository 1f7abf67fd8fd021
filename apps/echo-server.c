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

/*
 * The body of echo()'s loop, for a connection the server's parker serves
 * without a thread of its own (ll_ws_server_opts.on_message). The parker
 * frees msg, and ends the connection on an error as echo() would.
 */
static int echo_one(struct ll_ws_conn *conn, struct ll_ws_msg *msg, void *arg)
{
	(void)arg;
	return ll_ws_conn_send(conn, msg->opcode, msg->data, msg->len);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "echo-server",
	    .summary = "Echoes every WebSocket message back to its sender.",
	    .handler = echo,
	    /*
	     * An idle connection holds no thread, and messages are echoed from
	     * one epoll loop while their peers read (docs/performance.md).
	     */
	    .park_fresh = true,
	    .on_message = echo_one,
	};

	return ll_app_main(&app, argc, argv);
}
