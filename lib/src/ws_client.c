/*
 * ws_client.c - connect, optional TLS, and the client's side of the
 * opening handshake (RFC 6455 section 4.1), all under one deadline.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/ws_client.h>
#include <leaklab/ws_handshake.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define DEFAULT_TIMEOUT_MS 5000

/* A subprotocol is an HTTP token (RFC 6455 section 4.1, item 10; RFC 2616 section 2.2). */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || strchr("()<>@,;:\\\"/[]?={}", *s))
			return false;
	}
	return true;
}

/*
 * Puts "Sec-WebSocket-Protocol: protocol" into the request of n bytes in
 * req (which ends with the blank line). Returns the new length, or
 * LL_ETOOBIG.
 */
static int add_protocol(char *req, int n, size_t size, const char *protocol)
{
	int extra = snprintf(req + n - 2, size - (size_t)n + 2,
			     "Sec-WebSocket-Protocol: %s\r\n\r\n", protocol);

	if (extra < 0 || (size_t)extra >= size - (size_t)n + 2)
		return LL_ETOOBIG;
	return n - 2 + extra;
}

int ll_ws_client_connect(struct ll_ws_conn **out, const char *host, unsigned port,
			 const struct ll_ws_client_opts *opts, int *http_status)
{
	static const struct ll_ws_client_opts defaults;
	struct ll_transport *t;
	char req[1024];
	char buf[LL_HTTP_MAX_HEADER + 1024];
	char key[25];
	size_t len = 0;
	int64_t deadline;
	int fd, n, r, status = 0;

	*out = NULL;
	if (http_status)
		*http_status = 0;
	if (!opts)
		opts = &defaults;
	if (opts->protocol && !is_token(opts->protocol))
		return LL_EINVAL;
	deadline = ll__now_ms() + (opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS);

	fd = ll_tcp_connect(host, port, ll__remaining(deadline));
	if (fd < 0)
		return fd;
	if (opts->tls)
		r = ll_transport_tls(&t, fd, opts->tls, false, ll__remaining(deadline));
	else
		r = ll_transport_plain(&t, fd);
	if (r)
		return r; /* the transport closed fd */

	n = ll_ws_client_request(host, port, opts->path ? opts->path : "/", key, req, sizeof(req));
	if (n > 0 && opts->protocol)
		n = add_protocol(req, n, sizeof(req), opts->protocol);
	if (n < 0) {
		r = n;
		goto out_destroy_transport;
	}
	r = ll_transport_write(t, req, (size_t)n, ll__remaining(deadline));
	if (r)
		goto out_destroy_transport;
	for (;;) {
		ssize_t got =
		    ll_transport_read(t, buf + len, sizeof(buf) - len, ll__remaining(deadline));

		if (got == 0) {
			r = LL_EPROTO; /* the server hung up without an answer */
			goto out_destroy_transport;
		}
		if (got < 0) {
			r = (int)got;
			goto out_destroy_transport;
		}
		len += (size_t)got;
		r = ll_ws_client_response_parse_protocol(buf, len, key, opts->protocol, &status);
		if (r != LL_EAGAIN)
			break;
	}
	if (http_status)
		*http_status = status;
	if (r < 0)
		goto out_destroy_transport;
	/* Whatever followed the 101 head is already WebSocket frames. */
	return ll_ws_conn_create(out, t, LL_WS_CLIENT, &opts->conn, (const uint8_t *)buf + r,
				 len - (size_t)r);

out_destroy_transport:
	ll_transport_destroy(t);
	return r;
}
