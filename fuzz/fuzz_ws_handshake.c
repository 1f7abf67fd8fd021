/*
 * fuzz_ws_handshake.c - the server's side of the opening handshake: an
 * arbitrary request head through ll_http_request_parse, then
 * ll_ws_handshake_check and ll_ws_handshake_response, as a server does
 * with the first bytes a client sends (RFC 6455 section 4.2).
 *
 * The input is handed over exactly as large as it is and not NUL
 * terminated, as bytes from read() would be, so a parser that reads past
 * len trips AddressSanitizer.
 *
 * Checks, beyond "no sanitizer report":
 *   - only documented results; LL_EAGAIN only below LL_HTTP_MAX_HEADER
 *     bytes and LL_ETOOBIG only at or above;
 *   - a parsed request: header_size ends on the first blank line, every
 *     string field is NUL terminated inside its array, and parsing just
 *     the head gives the same request while one byte less gives LL_EAGAIN
 *     (bytes after the head must not matter: they are the first frames);
 *   - ll_ws_handshake_check answers 101, 400 or 426 only, and 101 only
 *     for a GET with Host, a version of 13 and a 24-character key;
 *   - the response for that status fits, and a 101 response is accepted
 *     by the client's own parser, ll_ws_client_response_parse, for the
 *     request's key (the two sides agree on Sec-WebSocket-Accept);
 *   - a response buffer too small gives LL_ETOOBIG, never an overflow.
 */
#include "fuzz.h"

#include <leaklab/error.h>
#include <leaklab/ws_handshake.h>

#include <string.h>

static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_response(int status, const struct ll_http_request *req, size_t small)
{
	char buf[512];
	char *tight;
	int n, rc, got;

	n = ll_ws_handshake_response(status, req, buf, sizeof(buf));
	fuzz_require(n > 0 && (size_t)n < sizeof(buf),
		     "a handshake response did not fit 512 bytes");
	fuzz_require(strlen(buf) == (size_t)n, "response length is not the string's length");

	/* The client side must accept what the server side wrote for this key. */
	if (status == 101) {
		rc = ll_ws_client_response_parse(buf, (size_t)n, req->key, &got);
		fuzz_require(rc == n && got == 101, "the client refused the server's 101 response");
	}

	/* A buffer of an input-chosen size, exactly allocated, so ASan sees overflows. */
	tight = malloc(small ? small : 1);
	if (!tight)
		return;
	rc = ll_ws_handshake_response(status, req, tight, small);
	if ((size_t)n < small)
		fuzz_require(rc == n && memcmp(tight, buf, (size_t)n + 1) == 0,
			     "a big enough buffer gave a different response");
	else
		fuzz_require(rc == LL_ETOOBIG, "a short buffer did not give LL_ETOOBIG");
	free(tight);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct ll_http_request req, again;
	int rc, status;

	rc = ll_http_request_parse(buf, size, &req);
	switch (rc) {
	case LL_EAGAIN:
		fuzz_require(size < LL_HTTP_MAX_HEADER, "LL_EAGAIN at LL_HTTP_MAX_HEADER bytes");
		return 0;
	case LL_ETOOBIG:
		fuzz_require(size >= LL_HTTP_MAX_HEADER, "LL_ETOOBIG below LL_HTTP_MAX_HEADER");
		check_response(431, NULL, size % 300);
		return 0;
	case LL_EPROTO: check_response(400, NULL, size % 300); return 0;
	case 0: break;
	default: fuzz_require(0, "undocumented result from ll_http_request_parse"); return 0;
	}

	fuzz_require(req.header_size >= 4 && req.header_size <= size &&
			 req.header_size <= LL_HTTP_MAX_HEADER,
		     "header_size out of range");
	fuzz_require(memcmp(buf + req.header_size - 4, "\r\n\r\n", 4) == 0,
		     "header_size does not end on a blank line");
	fuzz_require(
	    terminated(req.method, sizeof(req.method)) && terminated(req.path, sizeof(req.path)) &&
		terminated(req.host, sizeof(req.host)) && terminated(req.key, sizeof(req.key)),
	    "a request field is not NUL terminated");
	fuzz_require(req.version >= -1 && req.version <= 255, "version out of range");

	rc = ll_http_request_parse(buf, req.header_size, &again);
	fuzz_require(rc == 0 && memcmp(&again, &req, sizeof(req)) == 0,
		     "the head alone parsed differently");
	rc = ll_http_request_parse(buf, req.header_size - 1, &again);
	fuzz_require(rc == LL_EAGAIN, "the head minus one byte was not LL_EAGAIN");

	status = ll_ws_handshake_check(&req);
	fuzz_require(status == 101 || status == 400 || status == 426,
		     "ll_ws_handshake_check gave another status");
	if (status == 101)
		fuzz_require(strcmp(req.method, "GET") == 0 && req.host[0] && req.version == 13 &&
				 strlen(req.key) == 24 && req.upgrade_websocket &&
				 req.connection_upgrade,
			     "101 for a request that is not a valid upgrade");
	check_response(status, &req, (size_t)data[0] % 300);
	return 0;
}
