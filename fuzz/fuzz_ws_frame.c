/*
 * fuzz_ws_frame.c - the RFC 6455 frame parser (ll_ws_parser_feed) on
 * arbitrary byte streams, built twice: FUZZ_ROLE LL_WS_SERVER (masked
 * frames from a client, the side a server exposes to the network) and
 * LL_WS_CLIENT (unmasked frames from a server).
 *
 * Input: byte 0 chooses how the stream is fed, the rest is the stream.
 *   bits 0-1  max_message: 0 (the 16 MiB default), 125, 1024 or 65600
 *             (just above the 64 KiB the parser recycles, so the path
 *             that frees a large delivered buffer runs too);
 *   bits 2-3  chunking: whole, one byte at a time, pieces of 1-16 bytes,
 *             pieces of any size (piece sizes from a generator seeded
 *             with byte 0 and the length);
 *   bit 4     take every message with ll_ws_parser_take() and ll_free()
 *             it, or leave every buffer to the parser to recycle.
 *
 * Checks, beyond "no sanitizer report":
 *   - the API contract of every call: consumed within the input, all of
 *     it consumed when 0 is returned, events well formed (a text message
 *     or close reason is valid UTF-8, NUL terminated, a close code is
 *     one a peer may send, a control payload is at most 125 bytes), take()
 *     gives the message buffer and only it, an error is sticky with the
 *     close code that belongs to it;
 *   - chunking does not matter: the same stream fed whole, with nothing
 *     taken, must give the same events (digested) and the same final
 *     error as the chosen chunking and take pattern;
 *   - ll_ws_frame_header_decode on the stream's first bytes: LL_EAGAIN
 *     for every prefix shorter than the header, the same header for every
 *     longer one, and encode(decode(x)) decodes back to the same fields;
 *   - ll_ws_mask: unmasking in pieces equals unmasking whole, and masking
 *     twice restores the bytes.
 */
#include "fuzz.h"

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/ws_frame.h>

#include <string.h>

#ifndef FUZZ_ROLE
#error "build with -DFUZZ_ROLE=LL_WS_SERVER or -DFUZZ_ROLE=LL_WS_CLIENT"
#endif

enum chunking { CHUNK_WHOLE, CHUNK_BYTE, CHUNK_SMALL, CHUNK_ANY };

struct run_opts {
	size_t max_message;
	enum chunking chunking;
	int take;
	uint64_t seed;
};

/* What a run produced: compared between chunkings. */
struct outcome {
	uint64_t digest;
	size_t events;
	int err;
	unsigned close_code;
};

static const size_t max_messages[4] = {0, 125, 1024, 65600};

static size_t next_chunk(const struct run_opts *o, uint64_t *rng, size_t left)
{
	size_t n;

	switch (o->chunking) {
	case CHUNK_BYTE: n = 1; break;
	case CHUNK_SMALL: n = 1 + (size_t)(fuzz_rand(rng) % 16); break;
	case CHUNK_ANY: n = 1 + (size_t)(fuzz_rand(rng) % left); break;
	default: n = left; break;
	}
	return n < left ? n : left;
}

/* Checks one event against the header's promises and folds it into the digest. */
static void check_event(struct ll_ws_parser *p, const struct ll_ws_event *ev, size_t limit,
			int take, struct outcome *out)
{
	uint8_t *taken;

	fuzz_require(ev->data != NULL, "event without data");
	fuzz_require(ev->data[ev->len] == 0, "event data not NUL terminated");
	switch (ev->type) {
	case LL_WS_EV_MESSAGE:
		fuzz_require(ev->opcode == LL_WS_OP_TEXT || ev->opcode == LL_WS_OP_BINARY,
			     "message with a control opcode");
		fuzz_require(ev->len <= limit, "message longer than max_message");
		if (ev->opcode == LL_WS_OP_TEXT)
			fuzz_require(ll_utf8_valid(ev->data, ev->len), "text message not UTF-8");
		break;
	case LL_WS_EV_PING:
	case LL_WS_EV_PONG:
		fuzz_require(ev->opcode ==
				 (ev->type == LL_WS_EV_PING ? LL_WS_OP_PING : LL_WS_OP_PONG),
			     "ping/pong event with the wrong opcode");
		fuzz_require(ev->len <= LL_WS_MAX_CONTROL, "control payload over 125 bytes");
		break;
	case LL_WS_EV_CLOSE:
		fuzz_require(ev->opcode == LL_WS_OP_CLOSE, "close event with the wrong opcode");
		fuzz_require(ev->len <= LL_WS_MAX_CONTROL, "close payload over 125 bytes");
		fuzz_require(ev->reason != NULL, "close event without a reason pointer");
		if (ev->len == 0) {
			fuzz_require(ev->close_code == LL_WS_CLOSE_NO_STATUS,
				     "empty close not 1005");
		} else {
			fuzz_require(ev->len >= 2, "1-byte close body accepted");
			fuzz_require(ll_ws_close_code_valid(ev->close_code), "invalid close code");
			fuzz_require(ev->close_code == ((unsigned)ev->data[0] << 8 | ev->data[1]),
				     "close code not the payload's first two bytes");
			fuzz_require(ev->reason == (const char *)ev->data + 2,
				     "close reason not after the code");
			fuzz_require(ll_utf8_valid(ev->data + 2, ev->len - 2),
				     "close reason not UTF-8");
		}
		break;
	default: fuzz_require(0, "unknown event type");
	}

	out->events++;
	out->digest = fuzz_hash(out->digest, &ev->type, sizeof(ev->type));
	out->digest = fuzz_hash(out->digest, &ev->opcode, sizeof(ev->opcode));
	out->digest = fuzz_hash(out->digest, &ev->len, sizeof(ev->len));
	out->digest = fuzz_hash(out->digest, &ev->close_code, sizeof(ev->close_code));
	out->digest = fuzz_hash(out->digest, ev->data, ev->len);

	if (!take)
		return;
	taken = ll_ws_parser_take(p);
	if (ev->type != LL_WS_EV_MESSAGE) {
		fuzz_require(taken == NULL, "take() gave a buffer for a control event");
		return;
	}
	fuzz_require(taken == ev->data, "take() did not give the message buffer");
	fuzz_require(ll_ws_parser_take(p) == NULL, "take() gave the same buffer twice");
	ll_free(taken);
}

static unsigned close_code_for(int err)
{
	switch (err) {
	case LL_EPROTO: return LL_WS_CLOSE_PROTOCOL_ERROR;
	case LL_EUTF8: return LL_WS_CLOSE_INVALID_DATA;
	case LL_ETOOBIG: return LL_WS_CLOSE_TOO_BIG;
	case LL_ENOMEM: return LL_WS_CLOSE_INTERNAL;
	default: return 0;
	}
}

/* Feeds the whole stream as o says; returns 0, or -1 if the parser could not be made. */
static int run(const uint8_t *s, size_t len, const struct run_opts *o, struct outcome *out)
{
	struct ll_ws_parser *p = NULL;
	struct ll_ws_event ev;
	uint64_t rng = o->seed;
	size_t limit = o->max_message ? o->max_message : (size_t)16 << 20;
	size_t pos = 0, chunk, off, used;
	int rc;

	memset(out, 0, sizeof(*out));
	out->digest = UINT64_C(0xcbf29ce484222325);
	if (ll_ws_parser_create(&p, FUZZ_ROLE, o->max_message) != 0)
		return -1;
	fuzz_require(ll_ws_parser_close_code(p) == 0, "close code before any error");

	while (pos < len) {
		chunk = next_chunk(o, &rng, len - pos);
		off = 0;
		for (;;) {
			rc = ll_ws_parser_feed(p, s + pos + off, chunk - off, &used, &ev);
			fuzz_require(used <= chunk - off, "consumed more than was fed");
			off += used;
			if (rc == 1) {
				check_event(p, &ev, limit, o->take, out);
				continue;
			}
			if (rc == 0) {
				fuzz_require(off == chunk, "returned 0 with input left over");
				fuzz_require(ll_ws_parser_take(p) == NULL, "take() with no event");
				break;
			}
			/* An error: the close code matches it, and it is sticky. */
			fuzz_require(rc == LL_EPROTO || rc == LL_EUTF8 || rc == LL_ETOOBIG ||
					 rc == LL_ENOMEM,
				     "undocumented error from feed");
			fuzz_require(ll_ws_parser_close_code(p) == close_code_for(rc),
				     "close code does not match the error");
			fuzz_require(ll_ws_parser_take(p) == NULL, "take() after an error");
			fuzz_require(ll_ws_parser_feed(p, s, len, &used, &ev) == rc && used == 0,
				     "error not sticky");
			out->err = rc;
			out->close_code = ll_ws_parser_close_code(p);
			goto out_destroy;
		}
		pos += chunk;
	}
out_destroy:
	ll_ws_parser_destroy(p);
	return 0;
}

/* The header decoder on the stream's first bytes, and encode/decode round trips. */
static void check_header(const uint8_t *s, size_t len)
{
	struct ll_ws_frame_header h, h2;
	uint8_t enc[LL_WS_MAX_HEADER];
	size_t n, size;
	int rc, rc2;

	rc = ll_ws_frame_header_decode(s, len, &h);
	fuzz_require(rc > 0 || rc == LL_EAGAIN || rc == LL_EPROTO, "undocumented decode result");
	if (rc == LL_EAGAIN)
		fuzz_require(len < LL_WS_MAX_HEADER, "LL_EAGAIN with a whole header present");
	if (rc <= 0)
		return;
	fuzz_require(rc >= 2 && rc <= LL_WS_MAX_HEADER && (size_t)rc == h.size && (size_t)rc <= len,
		     "header size out of range");
	fuzz_require(h.length >> 63 == 0, "64-bit length with its top bit set");
	for (n = 0; n <= len && n <= LL_WS_MAX_HEADER; n++) {
		rc2 = ll_ws_frame_header_decode(s, n, &h2);
		if (n < h.size) {
			fuzz_require(rc2 == LL_EAGAIN, "a short prefix did not give LL_EAGAIN");
			continue;
		}
		fuzz_require(rc2 == rc && h2.length == h.length && h2.opcode == h.opcode &&
				 h2.fin == h.fin && h2.rsv == h.rsv && h2.masked == h.masked &&
				 memcmp(h2.mask, h.mask, 4) == 0,
			     "a longer prefix decoded differently");
	}

	size = ll_ws_frame_header_encode(enc, h.fin, h.opcode, h.length, h.masked ? h.mask : NULL);
	fuzz_require(size <= h.size, "encoding longer than a decoded header");
	rc2 = ll_ws_frame_header_decode(enc, size, &h2);
	fuzz_require(rc2 > 0 && (size_t)rc2 == size && h2.length == h.length &&
			 h2.opcode == h.opcode && h2.fin == h.fin && h2.rsv == 0 &&
			 h2.masked == h.masked && (!h.masked || memcmp(h2.mask, h.mask, 4) == 0),
		     "encode/decode round trip changed the header");
	/* Section 5.2: the minimal encoding of the length. */
	fuzz_require(size - (h.masked ? 4 : 0) == (h.length < 126	? 2u
						   : h.length <= 0xffff ? 4u
									: 10u),
		     "length not in its shortest encoding");
}

/* Masking in pieces equals masking whole; masking twice restores. */
static void check_mask(const uint8_t *s, size_t len)
{
	uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
	uint8_t *whole, *pieces;
	uint64_t rng = len;
	size_t off = 0, n;

	if (len >= 4)
		memcpy(mask, s, 4);
	whole = malloc(len + 1);
	pieces = malloc(len + 1);
	if (!whole || !pieces)
		goto out_free;
	memcpy(whole, s, len);
	memcpy(pieces, s, len);
	ll_ws_mask(whole, len, mask, 0);
	while (off < len) {
		n = 1 + (size_t)(fuzz_rand(&rng) % 40);
		if (n > len - off)
			n = len - off;
		ll_ws_mask(pieces + off, n, mask, off);
		off += n;
	}
	fuzz_require(memcmp(whole, pieces, len) == 0, "masking in pieces differs from whole");
	ll_ws_mask(whole, len, mask, 0);
	fuzz_require(memcmp(whole, s, len) == 0, "masking twice did not restore the data");
out_free:
	free(pieces);
	free(whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_opts chosen, reference;
	struct outcome got, want;
	const uint8_t *s;
	size_t len;

	if (size < 1)
		return 0;
	s = data + 1;
	len = size - 1;

	chosen.max_message = max_messages[data[0] & 3];
	chosen.chunking = (enum chunking)((data[0] >> 2) & 3);
	chosen.take = (data[0] >> 4) & 1;
	chosen.seed = (uint64_t)data[0] << 32 | len;
	reference = chosen;
	reference.chunking = CHUNK_WHOLE;
	reference.take = 0;

	if (run(s, len, &chosen, &got) != 0 || run(s, len, &reference, &want) != 0)
		return 0; /* out of memory creating a parser: nothing to check */
	fuzz_require(got.events == want.events, "chunking changed the number of events");
	fuzz_require(got.digest == want.digest, "chunking changed the events");
	fuzz_require(got.err == want.err, "chunking changed the error");
	fuzz_require(got.close_code == want.close_code, "chunking changed the close code");

	check_header(s, len);
	check_mask(s, len);
	return 0;
}
