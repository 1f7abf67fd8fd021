/*
 * idle-reaper - an echo server that ends every connection idle for
 * --idle-ms, pongs or not, for the harness's own tests: the wrong fix of
 * case 08 (an idle timeout in place of a read deadline renewed by pongs).
 * The "stays MS" behaviour check must refuse it, and must pass
 * echo-server, which never reaps anyone.
 */
#include <leaklab/app.h>

static long idle_ms = 200;

static void echo(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;
	int err;

	(void)arg;
	while ((err = ll_ws_conn_recv(conn, &msg, (int)idle_ms)) == 0) {
		err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	/* Section 7.1.2: an idle peer is told why, with a clean close (1000). */
	if (err == LL_ETIMEDOUT)
		ll_ws_conn_close(conn, LL_WS_CLOSE_NORMAL, "idle");
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app_knob knobs[] = {
	    {"idle-ms", &idle_ms, "a connection that sends nothing for this long is closed"},
	    {0},
	};
	static const struct ll_app app = {
	    .name = "idle-reaper",
	    .summary = "echo-server that closes idle connections (harness test)",
	    .handler = echo,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
