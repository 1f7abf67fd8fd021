/*
 * leaky-echo - echo-server with the leak of case 01, for the harness's own
 * tests: when the peer goes away the handler returns without
 * ll_ws_conn_destroy(), so every client leaves its socket and its
 * connection behind (fds and heap grow; memcheck finds them lost).
 * The harness must catch it as a leak and refuse it as a fix.
 */
#include <leaklab/app.h>

static void echo(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;

	(void)arg;
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		int err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);

		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	/* LEAK: no ll_ws_conn_destroy(conn): the socket and the connection stay. */
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "leaky-echo",
	    .summary = "echo-server that never destroys its connections (harness test)",
	    .handler = echo,
	};

	return ll_app_main(&app, argc, argv);
}
