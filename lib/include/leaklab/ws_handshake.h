/*
 * leaklab/ws_handshake.h - the HTTP/1.1 opening handshake of RFC 6455
 * section 4, both sides, with no I/O: text in, text out.
 */
#ifndef LEAKLAB_WS_HANDSHAKE_H
#define LEAKLAB_WS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

/* The largest request or response header block accepted, in bytes. */
#define LL_HTTP_MAX_HEADER 8192

/* The GUID of RFC 6455 section 1.3, appended to the key before hashing. */
#define LL_WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* A parsed request. Strings are NUL terminated copies, truncated never: too long is an error. */
struct ll_http_request {
	char method[16];
	char path[256];
	char host[256];
	char key[64];		 /* Sec-WebSocket-Key, "" if absent */
	int version;		 /* Sec-WebSocket-Version, -1 if absent */
	bool upgrade_websocket;	 /* Upgrade: websocket (case-insensitive token) */
	bool connection_upgrade; /* Connection: contains the token "upgrade" */
	size_t header_size;	 /* bytes up to and including the blank line */
};

/*
 * Parses an HTTP/1.1 request head from buf (which need not be NUL
 * terminated). Returns:
 *   0            complete and syntactically valid; req filled (it may still
 *                not be a WebSocket upgrade: see ll_ws_handshake_check);
 *   LL_EAGAIN    no blank line yet and len < LL_HTTP_MAX_HEADER: read more;
 *   LL_ETOOBIG   no blank line within LL_HTTP_MAX_HEADER bytes (answer 431);
 *   LL_EPROTO    malformed: bad request line, a header line without a
 *                colon, a field too long for req, not HTTP/1.1 (answer 400);
 *   LL_EINVAL    buf or req is NULL.
 */
int ll_http_request_parse(const char *buf, size_t len, struct ll_http_request *req);

/*
 * Checks a parsed request against RFC 6455 section 4.2.1 and returns the
 * HTTP status to answer: 101 (go ahead), 400 (not a valid upgrade: not GET,
 * missing or bad Upgrade/Connection/Host, a key that is not 16 bytes in
 * base64), or 426 (Sec-WebSocket-Version is not 13).
 */
int ll_ws_handshake_check(const struct ll_http_request *req);

/*
 * Computes Sec-WebSocket-Accept for key: base64(SHA-1(key + GUID)), with
 * OpenSSL. out gets 28 characters and a NUL. Returns 0, LL_ETLS, or
 * LL_EINVAL if key is NULL.
 */
int ll_ws_accept_key(const char *key, char out[29]);

/*
 * Writes the complete response for status into buf: 101 with Upgrade,
 * Connection and Sec-WebSocket-Accept for req's key; 426 with
 * Sec-WebSocket-Version: 13; 401 with WWW-Authenticate: Bearer;
 * 400/401/403/431/500/503 with a short text body and Connection: close.
 * Returns the length, or LL_ETOOBIG, or LL_ETLS, or LL_EINVAL (another
 * status, or 101 with req NULL).
 */
int ll_ws_handshake_response(int status, const struct ll_http_request *req, char *buf, size_t size);

/*
 * Client side. Makes a random 16-byte key (RAND_bytes) in base64 into
 * key_out (25 bytes with NUL) and writes the GET request for host:port and
 * path into buf. Returns the length, LL_ETOOBIG, LL_ETLS, or LL_EINVAL (host
 * or path empty or holding spaces or control characters, path not starting
 * with '/', port above 65535).
 */
int ll_ws_client_request(const char *host, unsigned port, const char *path, char key_out[25],
			 char *buf, size_t size);

/*
 * Parses the server's response head and checks it: status 101, Upgrade
 * websocket, Connection upgrade, and Sec-WebSocket-Accept matching key.
 * Returns the header size (> 0, the bytes that belong to the handshake;
 * frames may follow in buf), LL_EAGAIN (incomplete), LL_ETOOBIG, or
 * LL_EPROTO (any mismatch; *status gets the HTTP status if one was read,
 * else 0), LL_EINVAL (buf or key NULL). status may be NULL.
 */
int ll_ws_client_response_parse(const char *buf, size_t len, const char *key, int *status);

/*
 * The same, for a request that offered the subprotocol protocol (NULL:
 * none): the response may name it, once, in Sec-WebSocket-Protocol (RFC
 * 6455 section 4.1 item 6: a server may also pick none); any other value
 * is LL_EPROTO.
 */
int ll_ws_client_response_parse_protocol(const char *buf, size_t len, const char *key,
					 const char *protocol, int *status);

#endif
