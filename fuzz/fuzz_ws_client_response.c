/*
 * fuzz_ws_client_response.c - the client's side of the opening handshake:
 * an arbitrary server response head through ll_ws_client_response_parse,
 * for the fixed key of RFC 6455 section 1.3 ("dGhlIHNhbXBsZSBub25jZQ==",
 * whose Sec-WebSocket-Accept is "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), as a
 * client does with the first bytes a server sends back.
 *
 * The input is handed over exactly as large as it is and not NUL
 * terminated, so a parser that reads past len trips AddressSanitizer.
 *
 * Checks, beyond "no sanitizer report":
 *   - only documented results: the head's size, LL_EAGAIN (below
 *     LL_HTTP_MAX_HEADER bytes only), LL_ETOOBIG (at or above), LL_EPROTO;
 *   - an accepted head ends on the first blank line, its status is 101,
 *     and it carries the expected Sec-WebSocket-Accept;
 *   - the result does not depend on the bytes after the head (they are
 *     the server's first frames), nor on whether status is asked for;
 *     one byte less than an accepted head gives LL_EAGAIN.
 */
#include "fuzz.h"

#include <leaklab/error.h>
#include <leaklab/ws_handshake.h>

#include <string.h>

static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char accept_value[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t head;
	int rc, rc2, status = -1, status2 = -1;

	rc = ll_ws_client_response_parse(buf, size, key, &status);
	fuzz_require(ll_ws_client_response_parse(buf, size, key, NULL) == rc,
		     "asking for the status changed the result");
	if (rc == LL_EAGAIN) {
		fuzz_require(size < LL_HTTP_MAX_HEADER, "LL_EAGAIN at LL_HTTP_MAX_HEADER bytes");
		fuzz_require(status == 0, "a status from an incomplete head");
		return 0;
	}
	if (rc == LL_ETOOBIG) {
		fuzz_require(size >= LL_HTTP_MAX_HEADER, "LL_ETOOBIG below LL_HTTP_MAX_HEADER");
		return 0;
	}
	if (rc == LL_EPROTO) {
		fuzz_require(status == 0 || (status >= 100 && status <= 999),
			     "a status out of range");
		return 0;
	}
	fuzz_require(rc > 0, "undocumented result from ll_ws_client_response_parse");

	head = (size_t)rc;
	fuzz_require(head >= 4 && head <= size && head <= LL_HTTP_MAX_HEADER,
		     "head size out of range");
	fuzz_require(memcmp(buf + head - 4, "\r\n\r\n", 4) == 0,
		     "head does not end on a blank line");
	fuzz_require(status == 101, "accepted a response that is not 101");
	fuzz_require(memmem(buf, head, accept_value, strlen(accept_value)) != NULL,
		     "accepted a response without the expected Sec-WebSocket-Accept");

	rc2 = ll_ws_client_response_parse(buf, head, key, &status2);
	fuzz_require(rc2 == rc && status2 == 101, "the head alone parsed differently");
	rc2 = ll_ws_client_response_parse(buf, head - 1, key, NULL);
	fuzz_require(rc2 == LL_EAGAIN, "the head minus one byte was not LL_EAGAIN");
	return 0;
}
