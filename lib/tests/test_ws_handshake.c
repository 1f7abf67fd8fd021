/* test_ws_handshake.c - the RFC 6455 section 4 handshake, server and client side. */
#include <leaklab/error.h>
#include <leaklab/ws_handshake.h>

#include "check.h"

static const char valid_req[] = "GET /chat HTTP/1.1\r\n"
				"Host: server.example.com\r\n"
				"Upgrade: websocket\r\n"
				"Connection: Upgrade\r\n"
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				"Origin: http://example.com\r\n"
				"Sec-WebSocket-Version: 13\r\n"
				"\r\n";

/* Parses text (NUL terminated for convenience; the parser is not told so). */
static int parse(const char *text, struct ll_http_request *req)
{
	return ll_http_request_parse(text, strlen(text), req);
}

/* Parses and checks; returns the status, or the parse error. */
static int status_of(const char *text)
{
	struct ll_http_request req;
	int rc = parse(text, &req);

	return rc ? rc : ll_ws_handshake_check(&req);
}

static void test_accept_key_rfc_example(void)
{
	char out[29];

	/* RFC 6455 section 1.3. */
	CHECK_EQ(ll_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_valid_request(void)
{
	struct ll_http_request req;
	char buf[512];
	int n;

	CHECK_EQ(parse(valid_req, &req), 0);
	CHECK_STR(req.method, "GET");
	CHECK_STR(req.path, "/chat");
	CHECK_STR(req.host, "server.example.com");
	CHECK_STR(req.key, "dGhlIHNhbXBsZSBub25jZQ==");
	CHECK_EQ(req.version, 13);
	CHECK(req.upgrade_websocket);
	CHECK(req.connection_upgrade);
	CHECK_EQ(req.header_size, strlen(valid_req));
	CHECK_EQ(ll_ws_handshake_check(&req), 101);

	n = ll_ws_handshake_response(101, &req, buf, sizeof(buf));
	CHECK_STR(buf, "HTTP/1.1 101 Switching Protocols\r\n"
		       "Upgrade: websocket\r\n"
		       "Connection: Upgrade\r\n"
		       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		       "\r\n");
	CHECK_EQ(n, strlen(buf));
	/* One byte short of room for the NUL is too small. */
	CHECK_EQ(ll_ws_handshake_response(101, &req, buf, (size_t)n), LL_ETOOBIG);
	CHECK_EQ(ll_ws_handshake_response(101, &req, buf, (size_t)n + 1), n);
}

static void test_every_prefix_is_incomplete(void)
{
	struct ll_http_request req;
	size_t len = strlen(valid_req), i;
	char copy[sizeof(valid_req)];

	/*
	 * A copy with the byte after each prefix poisoned: the parser must
	 * not look past len (memcheck would also see it on the heap; here
	 * a wrong answer shows it).
	 */
	for (i = 0; i < len; i++) {
		memcpy(copy, valid_req, sizeof(copy));
		copy[i] = '\n';
		CHECK_EQ(ll_http_request_parse(copy, i, &req), LL_EAGAIN);
	}
	CHECK_EQ(ll_http_request_parse(valid_req, len, &req), 0);
}

static void test_too_big(void)
{
	static char big[9000];
	struct ll_http_request req;
	size_t len;

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX-Pad: ", 23);
	CHECK_EQ(ll_http_request_parse(big, sizeof(big), &req), LL_ETOOBIG);
	CHECK_EQ(ll_http_request_parse(big, LL_HTTP_MAX_HEADER, &req), LL_ETOOBIG);
	CHECK_EQ(ll_http_request_parse(big, LL_HTTP_MAX_HEADER - 1, &req), LL_EAGAIN);

	/* A head of exactly LL_HTTP_MAX_HEADER bytes is accepted, one more is not. */
	len = LL_HTTP_MAX_HEADER;
	memcpy(big + len - 4, "\r\n\r\n", 4);
	CHECK_EQ(ll_http_request_parse(big, sizeof(big), &req), 0);
	CHECK_EQ(req.header_size, LL_HTTP_MAX_HEADER);
	memset(big + len - 4, 'a', 4);
	memcpy(big + len - 3, "\r\n\r\n", 4);
	CHECK_EQ(ll_http_request_parse(big, sizeof(big), &req), LL_ETOOBIG);
}

static void test_bad_requests(void)
{
	/* Not a WebSocket upgrade: 400. */
	CHECK_EQ(status_of("POST /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "Sec-WebSocket-Version: 13\r\n\r\n"),
		 400);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "Sec-WebSocket-Version: 13\r\n\r\n"),
		 400);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "Sec-WebSocket-Version: 13\r\n\r\n"),
		 400);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "Sec-WebSocket-Version: 13\r\n\r\n"),
		 400);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"),
		 400);
	/* Keys of 15 and 17 bytes, and 16 bytes without the base64 padding. */
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\n"
			   "Sec-WebSocket-Version: 13\r\n\r\n"),
		 400);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=\r\n"
			   "Sec-WebSocket-Version: 13\r\n\r\n"),
		 400);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA\r\n"
			   "Sec-WebSocket-Version: 13\r\n\r\n"),
		 400);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA!A==\r\n"
			   "Sec-WebSocket-Version: 13\r\n\r\n"),
		 400);
	/* No version is malformed (400); another version is 426. */
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "\r\n"),
		 400);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "Sec-WebSocket-Version: 8\r\n\r\n"),
		 426);

	/* Malformed HTTP: the parser refuses it. */
	CHECK_EQ(status_of("GET /chat HTTP/1.0\r\nHost: h\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("GET /chat\r\nHost: h\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("GET  /chat HTTP/1.1\r\nHost: h\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("hello world\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost h\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost : h\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nX Y: h\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\n: h\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n folded\r\n\r\n"),
		 LL_EPROTO);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\rX-A: 1\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nX-A: a\x01z\r\n\r\n"), LL_EPROTO);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\n"
			   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
		 LL_EPROTO);
	CHECK_EQ(status_of("GET /chat HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Version: 13x\r\n\r\n"),
		 LL_EPROTO);
	/* A bare LF line ending is refused even where it would end the head. */
	CHECK_EQ(status_of("GET /chat HTTP/1.1\nHost: h\r\n\r\n"), LL_EPROTO);
}

static void test_fields_too_long(void)
{
	char buf[1024];
	char path[300];

	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", path);
	CHECK_EQ(status_of(buf), LL_EPROTO);
	/* 255 characters fit in path[256]. */
	path[255] = '\0';
	snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", path);
	CHECK_EQ(status_of(buf), 400);
	CHECK_EQ(status_of("GETGETGETGETGETGET / HTTP/1.1\r\nHost: h\r\n\r\n"), LL_EPROTO);
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nSec-WebSocket-Key: %.*s\r\n\r\n", 64,
		 path + 1);
	CHECK_EQ(status_of(buf), LL_EPROTO);
}

static void test_case_and_tokens(void)
{
	struct ll_http_request req;
	const char *text = "GET /x?y=1 HTTP/1.1\r\n"
			   "hOsT:localhost:8080  \r\n"
			   "UPGRADE: WebSocket\r\n"
			   "connection: keep-alive, ,Upgrade\t\r\n"
			   "sec-websocket-key:   dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "SEC-WEBSOCKET-VERSION: 13\r\n"
			   "\r\n";

	CHECK_EQ(parse(text, &req), 0);
	CHECK_STR(req.host, "localhost:8080");
	CHECK_STR(req.path, "/x?y=1");
	CHECK_STR(req.key, "dGhlIHNhbXBsZSBub25jZQ==");
	CHECK_EQ(ll_ws_handshake_check(&req), 101);

	/* Tokens match whole list elements only. */
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgraded\r\n"
		       "Upgrade: websockets, h2c\r\n\r\n",
		       &req),
		 0);
	CHECK(!req.connection_upgrade);
	CHECK(!req.upgrade_websocket);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nConnection: upgrade\r\n"
		       "Upgrade: h2c, websocket\r\n\r\n",
		       &req),
		 0);
	CHECK(req.connection_upgrade);
	CHECK(req.upgrade_websocket);
	/* The method is case-sensitive (RFC 7230 section 3.1.1). */
	CHECK_EQ(status_of("get / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "Sec-WebSocket-Version: 13\r\n\r\n"),
		 400);
}

static void test_error_responses(void)
{
	char buf[512];
	const int statuses[] = {400, 401, 403, 426, 431, 500, 503};
	const char *lines[] = {"HTTP/1.1 400 Bad Request\r\n",
			       "HTTP/1.1 401 Unauthorized\r\n",
			       "HTTP/1.1 403 Forbidden\r\n",
			       "HTTP/1.1 426 Upgrade Required\r\n",
			       "HTTP/1.1 431 Request Header Fields Too Large\r\n",
			       "HTTP/1.1 500 Internal Server Error\r\n",
			       "HTTP/1.1 503 Service Unavailable\r\n"};
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		const char *body;
		unsigned long clen;
		int n = ll_ws_handshake_response(statuses[i], NULL, buf, sizeof(buf));

		CHECK(n > 0);
		CHECK_EQ(n, strlen(buf));
		CHECK(strncmp(buf, lines[i], strlen(lines[i])) == 0);
		CHECK(strstr(buf, "\r\nContent-Type: text/plain\r\n") != NULL);
		CHECK(strstr(buf, "\r\nConnection: close\r\n") != NULL);
		CHECK((strstr(buf, "\r\nSec-WebSocket-Version: 13\r\n") != NULL) ==
		      (statuses[i] == 426));
		CHECK((strstr(buf, "\r\nWWW-Authenticate: Bearer\r\n") != NULL) ==
		      (statuses[i] == 401));
		CHECK(sscanf(strstr(buf, "Content-Length: "), "Content-Length: %lu", &clen) == 1);
		body = strstr(buf, "\r\n\r\n") + 4;
		CHECK_EQ(strlen(body), clen);
		CHECK(clen > 0 && body[clen - 1] == '\n');
		CHECK_EQ(ll_ws_handshake_response(statuses[i], NULL, buf, 16), LL_ETOOBIG);
	}
	CHECK_EQ(ll_ws_handshake_response(200, NULL, buf, sizeof(buf)), LL_EINVAL);
	CHECK_EQ(ll_ws_handshake_response(101, NULL, buf, sizeof(buf)), LL_EINVAL);
}

static void test_client_round_trip(void)
{
	struct ll_http_request req;
	char key[25], key2[25], buf[1024];
	int n, status = -1;

	n = ll_ws_client_request("127.0.0.1", 8080, "/echo", key, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_EQ(strlen(key), 24);
	CHECK_EQ(ll_http_request_parse(buf, (size_t)n, &req), 0);
	CHECK_STR(req.host, "127.0.0.1:8080");
	CHECK_STR(req.path, "/echo");
	CHECK_STR(req.key, key);
	CHECK_EQ(ll_ws_handshake_check(&req), 101);
	/* Keys are fresh for every request. */
	CHECK(ll_ws_client_request("::1", 9, "/", key2, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\r\nHost: [::1]:9\r\n") != NULL);
	CHECK(strcmp(key, key2) != 0);
	CHECK_EQ(ll_ws_client_request("h", 1, "/a\r\nX: y", key2, buf, sizeof(buf)), LL_EINVAL);
	CHECK_EQ(ll_ws_client_request("h", 1, "/", key2, buf, 20), LL_ETOOBIG);

	/* The server's answer, followed by the first frame in the same read. */
	n = ll_ws_handshake_response(101, &req, buf, sizeof(buf));
	CHECK(n > 0);
	memcpy(buf + n, "\x81\x02hi", 4);
	CHECK_EQ(ll_ws_client_response_parse(buf, (size_t)n + 4, key, &status), n);
	CHECK_EQ(status, 101);
	/* Every prefix is incomplete. */
	for (int i = 0; i < n; i++)
		CHECK_EQ(ll_ws_client_response_parse(buf, (size_t)i, key, &status), LL_EAGAIN);
	/* The same response checked against another key fails. */
	CHECK_EQ(ll_ws_client_response_parse(buf, (size_t)n, key2, &status), LL_EPROTO);
	CHECK_EQ(status, 101);
}

/* A response the client must refuse; *status gets what the parser read. */
static void bad_response(int *status, const char *text)
{
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";

	*status = -1;
	CHECK_EQ(ll_ws_client_response_parse(text, strlen(text), key, status), LL_EPROTO);
}

static void test_client_bad_responses(void)
{
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
	const char *r400 = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	const char *ok = "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
			 "connection: upgrade\r\n"
			 "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	int status = -1;

	CHECK_EQ(ll_ws_client_response_parse(r400, strlen(r400), key, &status), LL_EPROTO);
	CHECK_EQ(status, 400);
	CHECK_EQ(ll_ws_client_response_parse(ok, strlen(ok), key, &status), (int)strlen(ok));
	CHECK_EQ(status, 101);
	/* A subprotocol in the answer only when it is the one offered (RFC 6455 section 4.1). */
	{
		const char *chat = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				   "Connection: Upgrade\r\nSec-WebSocket-Protocol: chat\r\n"
				   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
		int n = (int)strlen(chat);

		CHECK_EQ(
		    ll_ws_client_response_parse_protocol(chat, (size_t)n, key, "chat", &status), n);
		CHECK_EQ(ll_ws_client_response_parse_protocol(ok, strlen(ok), key, "chat", &status),
			 (int)strlen(ok));
		CHECK_EQ(ll_ws_client_response_parse_protocol(chat, (size_t)n, key, "superchat",
							      &status),
			 LL_EPROTO);
		CHECK_EQ(ll_ws_client_response_parse(chat, (size_t)n, key, &status), LL_EPROTO);
	}
	bad_response(
	    &status,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOO=\r\n\r\n");
	CHECK_EQ(status, 101);
	bad_response(&status, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
	bad_response(&status, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
	bad_response(
	    &status,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "\r\n");
	bad_response(
	    &status,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Sec-WebSocket-Protocol: chat\r\n\r\n");
	bad_response(
	    &status,
	    "HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
	CHECK_EQ(status, 0);
	bad_response(&status, "garbage\r\n\r\n");
	CHECK_EQ(status, 0);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_accept_key_rfc_example);
	RUN(test_valid_request);
	RUN(test_every_prefix_is_incomplete);
	RUN(test_too_big);
	RUN(test_bad_requests);
	RUN(test_fields_too_long);
	RUN(test_case_and_tokens);
	RUN(test_error_responses);
	RUN(test_client_round_trip);
	RUN(test_client_bad_responses);
	return check_finish();
}
