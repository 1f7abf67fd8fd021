/*
 * leaklab/ws_client.h - connect to a WebSocket server and run the opening
 * handshake (Go's websocket.Dial; new WebSocket(url) in a browser).
 * The harness drives every case with it.
 */
#ifndef LEAKLAB_WS_CLIENT_H
#define LEAKLAB_WS_CLIENT_H

#include <leaklab/transport.h>
#include <leaklab/ws_conn.h>

struct ll_ws_client_opts {
	const char *path; /* NULL means "/" */
	/*
	 * NULL, or the subprotocol offered in Sec-WebSocket-Protocol (RFC 6455
	 * section 4.1, item 10): one token, no blank, comma or control character.
	 */
	const char *protocol;
	struct ll_tls_ctx *tls; /* NULL: ws; else wss (not owned) */
	int timeout_ms;		/* connect + handshake; 0 means 5000 */
	struct ll_ws_conn_opts conn;
};

/*
 * Connects to host:port, runs TLS (if set) and the HTTP upgrade, and checks
 * Sec-WebSocket-Accept. opts may be NULL. The caller owns *out and ends it
 * with ll_ws_conn_destroy. Returns 0, LL_EIO / LL_ETIMEDOUT (connect),
 * LL_ETLS, LL_EPROTO (the server refused or answered wrongly; *http_status
 * gets its status if not NULL), LL_ENOMEM, LL_EINVAL (a protocol that is
 * not a token), LL_ETOOBIG (path and protocol too long for one request).
 */
int ll_ws_client_connect(struct ll_ws_conn **out, const char *host, unsigned port,
			 const struct ll_ws_client_opts *opts, int *http_status);

#endif
