/*
 * @SLUG@, leaking variant.
 *
 * A skeleton made by ./leaklab new-case: an echo server that keeps a
 * scratch buffer per connection (the last message, as a logger might).
 * Replace it with your own program, and keep this header's four parts:
 *
 * What leaks: the scratch buffer of every connection, 4 KiB each.
 *
 * Why: the handler allocates it when the connection starts and never
 * frees it.
 *
 * The fix (fixed.c): the buffer is freed on the handler's one exit path.
 *
 * Signals: heap grows by about 4 KiB per client; at exit memcheck reports
 * the buffers as definitely lost.
 */
#include <leaklab/app.h>

#include <stdlib.h>
#include <string.h>

#define SCRATCH 4096

static void handle(struct ll_ws_conn *conn, void *arg)
{
	char *scratch = calloc(1, SCRATCH);
	struct ll_ws_msg msg;

	(void)arg;
	if (!scratch) {
		ll_ws_conn_destroy(conn);
		return;
	}
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		size_t n = msg.len < SCRATCH ? msg.len : SCRATCH;
		int err;

		memcpy(scratch, msg.data, n);
		err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	/* LEAK: scratch is never freed. */
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "@SLUG@-leak",
	    .summary = "Echo server that leaks a scratch buffer per connection.",
	    .handler = handle,
	};

	return ll_app_main(&app, argc, argv);
}
