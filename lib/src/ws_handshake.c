/*
 * ws_handshake.c - the opening handshake of RFC 6455 section 4 over the
 * HTTP/1.1 message syntax of RFC 7230, both sides, with no I/O.
 *
 * The parser is strict where leniency would let a malformed or smuggled
 * request through (lines must end in CRLF, no obsolete line folding, no
 * space before a header's colon, no control characters) and lenient where
 * RFC 7230 asks recipients to be (case of names and tokens, optional
 * whitespace, empty list elements). It never reads past len, so a buffer
 * straight from read() can be handed in as it is.
 */
#include <leaklab/error.h>
#include <leaklab/ws_handshake.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* One line of a header block, without its CRLF. */
struct line {
	const char *s;
	size_t len;
};

/* Walks the lines of a header block that ends at end (the blank line's CRLF excluded). */
struct line_iter {
	const char *p;
	const char *end;
};

/*
 * Finds the blank line that ends a head within the first
 * LL_HTTP_MAX_HEADER bytes. Returns the head's size including the blank
 * line, LL_EAGAIN if more bytes may still complete it, or LL_ETOOBIG.
 */
static long find_head_end(const char *buf, size_t len)
{
	size_t cap = len < LL_HTTP_MAX_HEADER ? len : LL_HTTP_MAX_HEADER;
	size_t i;

	for (i = 0; i + 4 <= cap; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n')
			return (long)(i + 4);
	}
	return len >= LL_HTTP_MAX_HEADER ? LL_ETOOBIG : LL_EAGAIN;
}

/*
 * The next CRLF-terminated line. A bare CR or LF inside a line is an
 * error: RFC 7230 section 3.5 allows accepting a bare LF, but two parsers
 * that disagree on where a line ends is how request smuggling starts.
 * Returns 1 with a line, 0 at the end, LL_EPROTO.
 */
static int next_line(struct line_iter *it, struct line *out)
{
	const char *start = it->p;
	const char *q;

	if (it->p >= it->end)
		return 0;
	for (q = start; q < it->end; q++) {
		if (*q == '\n')
			return LL_EPROTO;
		if (*q == '\r')
			break;
	}
	/* Every line of the block, the last included, ends in CRLF within it. */
	if (q + 1 >= it->end || q[1] != '\n')
		return LL_EPROTO;
	out->s = start;
	out->len = (size_t)(q - start);
	it->p = q + 2;
	return 1;
}

/* RFC 7230 section 3.2.6: tchar, the characters of a token. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Splits a header line into name and value (OWS trimmed). RFC 7230
 * section 3.2.4: no whitespace between name and colon, and obs-fold (a
 * line starting with whitespace) is rejected with 400.
 */
static int split_field(const struct line *l, struct line *name, struct line *value)
{
	size_t colon, i, b, e;

	if (l->len == 0 || is_ows(l->s[0]))
		return LL_EPROTO;
	for (colon = 0; colon < l->len && l->s[colon] != ':'; colon++) {
		if (!is_tchar((unsigned char)l->s[colon]))
			return LL_EPROTO;
	}
	if (colon == 0 || colon == l->len)
		return LL_EPROTO;
	for (i = colon + 1; i < l->len; i++) {
		unsigned char c = (unsigned char)l->s[i];

		/* field-content is VCHAR, obs-text, SP and HTAB: no other controls. */
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return LL_EPROTO;
	}
	b = colon + 1;
	e = l->len;
	while (b < e && is_ows(l->s[b]))
		b++;
	while (e > b && is_ows(l->s[e - 1]))
		e--;
	name->s = l->s;
	name->len = colon;
	value->s = l->s + b;
	value->len = e - b;
	return 0;
}

static bool name_is(const struct line *name, const char *want)
{
	return name->len == strlen(want) && strncasecmp(name->s, want, name->len) == 0;
}

/*
 * True if the comma-separated list in value holds token, compared without
 * regard to case (RFC 7230 section 7: empty elements and OWS around
 * elements are allowed, so "keep-alive, Upgrade" and ", upgrade" both
 * count).
 */
static bool list_has_token(const struct line *value, const char *token)
{
	size_t tlen = strlen(token);
	size_t i = 0;

	while (i < value->len) {
		size_t b, e;

		while (i < value->len && (is_ows(value->s[i]) || value->s[i] == ','))
			i++;
		b = i;
		while (i < value->len && value->s[i] != ',')
			i++;
		e = i;
		while (e > b && is_ows(value->s[e - 1]))
			e--;
		if (e - b == tlen && strncasecmp(value->s + b, token, tlen) == 0)
			return true;
	}
	return false;
}

/* Copies a value into a fixed field of the request; too long is an error, never a truncation. */
static int copy_field(char *dst, size_t size, const struct line *value)
{
	if (value->len >= size)
		return LL_EPROTO;
	memcpy(dst, value->s, value->len);
	dst[value->len] = '\0';
	return 0;
}

/* RFC 6455 section 4.1: version = DIGIT / NZDIGIT DIGIT / "1" 2DIGIT / "2" 2DIGIT (0-255). */
static int parse_version(const struct line *value)
{
	int v = 0;
	size_t i;

	if (value->len == 0 || value->len > 3 || (value->len > 1 && value->s[0] == '0'))
		return LL_EPROTO;
	for (i = 0; i < value->len; i++) {
		if (value->s[i] < '0' || value->s[i] > '9')
			return LL_EPROTO;
		v = v * 10 + (value->s[i] - '0');
	}
	return v > 255 ? LL_EPROTO : v;
}

/* "METHOD SP request-target SP HTTP/1.1" (RFC 7230 section 3.1.1). */
static int parse_request_line(const struct line *l, struct ll_http_request *req)
{
	size_t i = 0, b;
	struct line part;

	for (b = i; i < l->len && l->s[i] != ' '; i++) {
		if (!is_tchar((unsigned char)l->s[i]))
			return LL_EPROTO;
	}
	part.s = l->s + b;
	part.len = i - b;
	if (part.len == 0 || i == l->len || copy_field(req->method, sizeof(req->method), &part))
		return LL_EPROTO;
	for (b = ++i; i < l->len && l->s[i] != ' '; i++) {
		unsigned char c = (unsigned char)l->s[i];

		if (c <= 0x20 || c >= 0x7f)
			return LL_EPROTO;
	}
	part.s = l->s + b;
	part.len = i - b;
	if (part.len == 0 || i == l->len || copy_field(req->path, sizeof(req->path), &part))
		return LL_EPROTO;
	i++;
	if (l->len - i != 8 || memcmp(l->s + i, "HTTP/1.1", 8) != 0)
		return LL_EPROTO;
	return 0;
}

int ll_http_request_parse(const char *buf, size_t len, struct ll_http_request *req)
{
	struct line_iter it;
	struct line l, name, value;
	bool have_host = false, have_key = false, have_version = false;
	long head;
	int rc;

	if (!buf || !req)
		return LL_EINVAL;
	memset(req, 0, sizeof(*req));
	req->version = -1;
	head = find_head_end(buf, len);
	if (head < 0)
		return (int)head;

	/* The lines end before the blank line's CRLF; the last line keeps its own. */
	it.p = buf;
	it.end = buf + head - 2;
	rc = next_line(&it, &l);
	if (rc <= 0)
		return LL_EPROTO;
	rc = parse_request_line(&l, req);
	if (rc)
		return rc;

	while ((rc = next_line(&it, &l)) > 0) {
		rc = split_field(&l, &name, &value);
		if (rc)
			return rc;
		if (name_is(&name, "Host")) {
			/* RFC 7230 section 5.4: more than one Host is answered with 400. */
			if (have_host)
				return LL_EPROTO;
			have_host = true;
			rc = copy_field(req->host, sizeof(req->host), &value);
		} else if (name_is(&name, "Upgrade")) {
			if (list_has_token(&value, "websocket"))
				req->upgrade_websocket = true;
		} else if (name_is(&name, "Connection")) {
			if (list_has_token(&value, "upgrade"))
				req->connection_upgrade = true;
		} else if (name_is(&name, "Sec-WebSocket-Key")) {
			/* RFC 6455 section 11.3.1: it MUST NOT appear more than once. */
			if (have_key)
				return LL_EPROTO;
			have_key = true;
			rc = copy_field(req->key, sizeof(req->key), &value);
		} else if (name_is(&name, "Sec-WebSocket-Version")) {
			/* RFC 6455 section 11.3.5: at most once in a request. */
			if (have_version)
				return LL_EPROTO;
			have_version = true;
			rc = parse_version(&value);
			if (rc >= 0) {
				req->version = rc;
				rc = 0;
			}
		}
		if (rc)
			return rc;
	}
	if (rc < 0)
		return rc;
	req->header_size = (size_t)head;
	return 0;
}

/*
 * RFC 6455 section 4.1: the key is 16 random bytes in base64, so exactly
 * 24 characters, 22 from the base64 alphabet and "==". Like most servers
 * we do not insist that the unused low bits of the last character be zero.
 */
static bool key_is_valid(const char *key)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	if (strlen(key) != 24 || key[22] != '=' || key[23] != '=')
		return false;
	for (i = 0; i < 22; i++) {
		if (!strchr(alphabet, key[i]))
			return false;
	}
	return true;
}

int ll_ws_handshake_check(const struct ll_http_request *req)
{
	/* RFC 6455 section 4.2.1 items 1-4: a GET with Host, Upgrade and Connection. */
	if (strcmp(req->method, "GET") != 0 || req->host[0] == '\0' || !req->upgrade_websocket ||
	    !req->connection_upgrade)
		return 400;
	/*
	 * The version is checked before the key: a client of another
	 * version may format its request differently, and section 4.4 wants
	 * it told which version we speak (426 with Sec-WebSocket-Version)
	 * rather than given a bare 400. An absent version is not "another
	 * version" but a malformed request.
	 */
	if (req->version < 0)
		return 400;
	if (req->version != 13)
		return 426;
	if (!key_is_valid(req->key))
		return 400;
	return 101;
}

int ll_ws_accept_key(const char *key, char out[29])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx;
	int rc = LL_ETLS;

	if (!key)
		return LL_EINVAL;
	/* RFC 6455 section 4.2.2 item 5.4: base64(SHA-1(key + GUID)). */
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return LL_ETLS;
	if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, key, strlen(key)) != 1 ||
	    EVP_DigestUpdate(ctx, LL_WS_GUID, strlen(LL_WS_GUID)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len != 20)
		goto out_free_ctx;
	/* 20 bytes give 28 base64 characters; EVP_EncodeBlock adds the NUL. */
	if (EVP_EncodeBlock((unsigned char *)out, md, 20) != 28)
		goto out_free_ctx;
	rc = 0;
out_free_ctx:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* snprintf's result as ll_ws_handshake_response's: the length or LL_ETOOBIG. */
static int fit(int n, size_t size)
{
	if (n < 0)
		return LL_EINVAL;
	return (size_t)n >= size ? LL_ETOOBIG : n;
}

int ll_ws_handshake_response(int status, const struct ll_http_request *req, char *buf, size_t size)
{
	const char *reason, *body, *extra = "";
	char accept[29];
	int rc;

	if (!buf)
		return LL_EINVAL;
	switch (status) {
	case 101:
		if (!req)
			return LL_EINVAL;
		rc = ll_ws_accept_key(req->key, accept);
		if (rc)
			return rc;
		/* RFC 6455 section 4.2.2 item 5. */
		return fit(snprintf(buf, size,
				    "HTTP/1.1 101 Switching Protocols\r\n"
				    "Upgrade: websocket\r\n"
				    "Connection: Upgrade\r\n"
				    "Sec-WebSocket-Accept: %s\r\n"
				    "\r\n",
				    accept),
			   size);
	case 400:
		reason = "Bad Request";
		body = "not a valid WebSocket handshake\n";
		break;
	case 401:
		/* RFC 7235 section 3.1: a 401 names the scheme it wants. */
		reason = "Unauthorized";
		body = "a valid token is required\n";
		extra = "WWW-Authenticate: Bearer\r\n";
		break;
	case 403:
		reason = "Forbidden";
		body = "not allowed\n";
		break;
	case 426:
		/* RFC 6455 section 4.4: name the versions we do speak. */
		reason = "Upgrade Required";
		body = "only WebSocket version 13 is supported\n";
		extra = "Sec-WebSocket-Version: 13\r\n";
		break;
	case 431:
		reason = "Request Header Fields Too Large";
		body = "request header too large\n";
		break;
	case 500:
		reason = "Internal Server Error";
		body = "the server could not take the connection\n";
		break;
	case 503:
		reason = "Service Unavailable";
		body = "server busy, try again later\n";
		break;
	default: return LL_EINVAL;
	}
	return fit(snprintf(buf, size,
			    "HTTP/1.1 %d %s\r\n"
			    "%s"
			    "Content-Type: text/plain\r\n"
			    "Content-Length: %zu\r\n"
			    "Connection: close\r\n"
			    "\r\n"
			    "%s",
			    status, reason, extra, strlen(body), body),
		   size);
}

/* No CR, LF, space or control character that could split or end a request line. */
static bool is_safe_text(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

int ll_ws_client_request(const char *host, unsigned port, const char *path, char key_out[25],
			 char *buf, size_t size)
{
	unsigned char nonce[16];
	bool ipv6;

	if (!host || !path || !key_out || !buf || !host[0] || path[0] != '/' || port > 65535 ||
	    !is_safe_text(host) || !is_safe_text(path))
		return LL_EINVAL;
	/* RFC 6455 section 4.1 item 7: a fresh random 16-byte nonce per connection. */
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return LL_ETLS;
	if (EVP_EncodeBlock((unsigned char *)key_out, nonce, sizeof(nonce)) != 24)
		return LL_ETLS;
	/* An IPv6 literal goes in brackets in Host (RFC 7230 section 5.4, RFC 3986). */
	ipv6 = strchr(host, ':') != NULL;
	return fit(snprintf(buf, size,
			    "GET %s HTTP/1.1\r\n"
			    "Host: %s%s%s:%u\r\n"
			    "Upgrade: websocket\r\n"
			    "Connection: Upgrade\r\n"
			    "Sec-WebSocket-Key: %s\r\n"
			    "Sec-WebSocket-Version: 13\r\n"
			    "\r\n",
			    path, ipv6 ? "[" : "", host, ipv6 ? "]" : "", port, key_out),
		   size);
}

/* "HTTP/1.1 SP 3DIGIT [SP reason-phrase]": the status code, or LL_EPROTO. */
static int parse_status_line(const struct line *l)
{
	int code = 0;
	size_t i;

	if (l->len < 12 || memcmp(l->s, "HTTP/1.1 ", 9) != 0)
		return LL_EPROTO;
	for (i = 9; i < 12; i++) {
		if (l->s[i] < '0' || l->s[i] > '9')
			return LL_EPROTO;
		code = code * 10 + (l->s[i] - '0');
	}
	if (l->len > 12 && l->s[12] != ' ')
		return LL_EPROTO;
	return code < 100 ? LL_EPROTO : code;
}

int ll_ws_client_response_parse(const char *buf, size_t len, const char *key, int *status)
{
	return ll_ws_client_response_parse_protocol(buf, len, key, NULL, status);
}

int ll_ws_client_response_parse_protocol(const char *buf, size_t len, const char *key,
					 const char *protocol, int *status)
{
	struct line_iter it;
	struct line l, name, value;
	char expected[29];
	bool upgrade = false, connection = false, accept_ok = false, have_accept = false;
	bool have_protocol = false;
	long head;
	int rc;

	if (status)
		*status = 0;
	if (!buf || !key)
		return LL_EINVAL;
	head = find_head_end(buf, len);
	if (head < 0)
		return (int)head;
	it.p = buf;
	it.end = buf + head - 2;
	rc = next_line(&it, &l);
	if (rc <= 0)
		return LL_EPROTO;
	rc = parse_status_line(&l);
	if (rc < 0)
		return rc;
	if (status)
		*status = rc;
	/* RFC 6455 section 4.1: anything but 101 ends the WebSocket attempt. */
	if (rc != 101)
		return LL_EPROTO;
	rc = ll_ws_accept_key(key, expected);
	if (rc)
		return rc;

	while ((rc = next_line(&it, &l)) > 0) {
		rc = split_field(&l, &name, &value);
		if (rc)
			return rc;
		if (name_is(&name, "Upgrade")) {
			upgrade = upgrade || list_has_token(&value, "websocket");
		} else if (name_is(&name, "Connection")) {
			connection = connection || list_has_token(&value, "upgrade");
		} else if (name_is(&name, "Sec-WebSocket-Accept")) {
			if (have_accept)
				return LL_EPROTO;
			have_accept = true;
			accept_ok = value.len == 28 && memcmp(value.s, expected, 28) == 0;
		} else if (name_is(&name, "Sec-WebSocket-Protocol") && protocol && !have_protocol &&
			   value.len == strlen(protocol) &&
			   memcmp(value.s, protocol, value.len) == 0) {
			/* RFC 6455 section 4.1 item 6: the one subprotocol the client offered. */
			have_protocol = true;
		} else if (name_is(&name, "Sec-WebSocket-Extensions") ||
			   name_is(&name, "Sec-WebSocket-Protocol")) {
			/*
			 * RFC 6455 section 4.1 items 5 and 6: the client asked
			 * for no extension, and for no subprotocol or another
			 * one, so a server that picks one has broken the
			 * handshake.
			 */
			return LL_EPROTO;
		}
	}
	if (rc < 0)
		return rc;
	/* RFC 6455 section 4.1 items 2-4. */
	if (!upgrade || !connection || !accept_ok)
		return LL_EPROTO;
	return (int)head;
}
