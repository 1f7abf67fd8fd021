/*
 * interop-client - the library's client checked against another server
 * (python3-websockets in the interop test): every length encoding up to
 * 1 MiB, a fragmented message, ping/pong, and the close handshake.
 *
 *   interop-client HOST PORT
 */
#include <leaklab/error.h>
#include <leaklab/ws_client.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>

/* Says what went wrong; the caller then leaves through its cleanup label. */
__attribute__((format(printf, 1, 2))) static void complain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("interop-client: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {0, 1, 125, 126, 65535, 65536, 1 << 20};
	struct ll_ws_client_opts opts = {.timeout_ms = 10000, .conn = {.recv_pongs = true}};
	struct ll_ws_conn *c = NULL;
	struct ll_ws_msg msg = {0};
	unsigned char *buf = NULL;
	int r, status = 1;
	size_t i, j;

	if (argc != 3) {
		fprintf(stderr, "usage: interop-client HOST PORT\n");
		return 2;
	}
	r = ll_ws_client_connect(&c, argv[1], (unsigned)atoi(argv[2]), &opts, NULL);
	if (r) {
		fprintf(stderr, "interop-client: connect: %s\n", ll_strerror(r));
		return 1;
	}
	buf = malloc(1 << 20);
	if (!buf) {
		complain("out of memory");
		goto out_destroy;
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < sizes[i]; j++)
			buf[j] = (unsigned char)(j % 251);
		if ((r = ll_ws_conn_send(c, LL_WS_OP_BINARY, buf, sizes[i])) != 0 ||
		    (r = ll_ws_conn_recv(c, &msg, 10000)) != 0) {
			complain("%zu bytes: %s", sizes[i], ll_strerror(r));
			goto out_destroy;
		}
		if (msg.opcode != LL_WS_OP_BINARY || msg.len != sizes[i] ||
		    memcmp(msg.data, buf, sizes[i]) != 0) {
			complain("%zu bytes came back different", sizes[i]);
			goto out_destroy;
		}
		ll_ws_msg_free(&msg);
	}
	printf("ok: every length encoding to 1 MiB\n");

	if ((r = ll_ws_conn_send_frame(c, LL_WS_OP_TEXT, false, "frag", 4)) != 0 ||
	    (r = ll_ws_conn_send_frame(c, LL_WS_OP_CONT, false, "men", 3)) != 0 ||
	    (r = ll_ws_conn_send_frame(c, LL_WS_OP_CONT, true, "ted", 3)) != 0 ||
	    (r = ll_ws_conn_recv(c, &msg, 10000)) != 0) {
		complain("fragments: %s", ll_strerror(r));
		goto out_destroy;
	}
	if (msg.opcode != LL_WS_OP_TEXT || strcmp((char *)msg.data, "fragmented") != 0) {
		complain("fragments came back as '%s'", (char *)msg.data);
		goto out_destroy;
	}
	ll_ws_msg_free(&msg);
	printf("ok: fragmented message\n");

	if ((r = ll_ws_conn_ping(c, "are you there", 13)) != 0 ||
	    (r = ll_ws_conn_recv(c, &msg, 10000)) != 0) {
		complain("ping: %s", ll_strerror(r));
		goto out_destroy;
	}
	if (msg.opcode != LL_WS_OP_PONG || msg.len != 13 || memcmp(msg.data, "are you there", 13)) {
		complain("no matching pong");
		goto out_destroy;
	}
	ll_ws_msg_free(&msg);
	printf("ok: ping/pong\n");

	r = ll_ws_conn_close(c, 4000, "done");
	if (r) {
		complain("close: %s", ll_strerror(r));
		goto out_destroy;
	}
	if (ll_ws_conn_close_code(c) != 4000) {
		complain("close code %u, expected the echo of 4000", ll_ws_conn_close_code(c));
		goto out_destroy;
	}
	printf("ok: close handshake\n");
	status = 0;
out_destroy:
	ll_ws_msg_free(&msg);
	free(buf);
	ll_ws_conn_destroy(c);
	return status;
}
