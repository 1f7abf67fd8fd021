/*
 * ws-send - a minimal WebSocket client: connects, sends each argument as a
 * text message, prints each reply, and closes with 1000.
 *
 *   ws-send [--tls] HOST PORT MESSAGE...
 */
#include <leaklab/error.h>
#include <leaklab/ws_client.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct ll_ws_client_opts opts = {.timeout_ms = 5000};
	struct ll_tls_ctx *tls = NULL;
	struct ll_ws_conn *conn = NULL;
	int i = 1, r, status = 1;
	unsigned port;
	const char *host;

	if (argc > 1 && strcmp(argv[1], "--tls") == 0) {
		i++;
		if (ll_tls_client_ctx_create(&tls, NULL) != 0) {
			fprintf(stderr, "ws-send: TLS setup failed\n");
			return 1;
		}
		opts.tls = tls;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: ws-send [--tls] HOST PORT MESSAGE...\n");
		status = 2;
		goto out_free_tls;
	}
	host = argv[i];
	port = (unsigned)strtoul(argv[i + 1], NULL, 10);
	r = ll_ws_client_connect(&conn, host, port, &opts, NULL);
	if (r) {
		fprintf(stderr, "ws-send: cannot connect to %s:%u: %s\n", host, port,
			ll_strerror(r));
		goto out_free_tls;
	}
	for (i += 2; i < argc; i++) {
		struct ll_ws_msg msg;

		r = ll_ws_conn_send(conn, LL_WS_OP_TEXT, argv[i], strlen(argv[i]));
		if (r == 0)
			r = ll_ws_conn_recv(conn, &msg, 5000);
		if (r) {
			fprintf(stderr, "ws-send: %s\n", ll_strerror(r));
			goto out_destroy_conn;
		}
		printf("> %s\n< %.*s\n", argv[i], (int)msg.len, (const char *)msg.data);
		ll_ws_msg_free(&msg);
	}
	status = ll_ws_conn_close(conn, LL_WS_CLOSE_NORMAL, "bye") == 0 ? 0 : 1;
out_destroy_conn:
	ll_ws_conn_destroy(conn);
out_free_tls:
	ll_tls_ctx_destroy(tls);
	return status;
}
