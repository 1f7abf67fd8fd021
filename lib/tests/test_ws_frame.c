/*
 * test_ws_frame.c - the RFC 6455 framing layer: header encode/decode at
 * every length boundary, masking at every offset and alignment, close
 * codes, and the incremental parser on the section 5.7 examples and on
 * every protocol error with the close code it must produce.
 *
 * Every stream is fed whole, one byte at a time and in random chunks
 * (a fixed seed, so runs repeat), and must give the same events each way.
 * Allocation fault injection walks every allocation the parser makes; the
 * memcheck run of this program proves those error paths free everything.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/ws_frame.h>

#include "check.h"

/* ----- helpers: a growable byte buffer, frame building, a PRNG ----- */

struct bytes {
	uint8_t *d;
	size_t n, cap;
};

static void put(struct bytes *b, const void *data, size_t len)
{
	if (b->n + len > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->n + len)
			cap *= 2;
		b->d = realloc(b->d, cap);
		CHECK(b->d != NULL);
		b->cap = cap;
	}
	if (len)
		memcpy(b->d + b->n, data, len);
	b->n += len;
}

/* Appends bytes written as hex pairs, spaces ignored: "81 05 48". */
static void put_hex(struct bytes *b, const char *hex)
{
	unsigned v;
	uint8_t byte;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		CHECK(sscanf(hex, "%2x", &v) == 1);
		byte = (uint8_t)v;
		put(b, &byte, 1);
		hex += 2;
	}
}

/* Appends one frame built with the code under test (fixed vectors check it). */
static void put_frame(struct bytes *b, bool fin, uint8_t op, const void *payload, size_t len,
		      const uint8_t *mask)
{
	uint8_t hdr[LL_WS_MAX_HEADER];
	size_t at, hlen = ll_ws_frame_header_encode(hdr, fin, op, len, mask);

	/* Also tells an optimising compiler the bound it cannot see through encode. */
	CHECK(hlen <= sizeof(hdr));
	put(b, hdr, hlen);
	at = b->n;
	put(b, payload, len);
	if (mask)
		ll_ws_mask(b->d + at, len, mask, 0);
}

static void bytes_free(struct bytes *b)
{
	free(b->d);
	b->d = NULL;
	b->n = b->cap = 0;
}

static uint32_t rng_state;

static uint32_t rng(void)
{
	/* A 32-bit xorshift: deterministic, and the same on every libc. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void fill_random(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	rng_state = seed;
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)rng();
}

static const uint8_t MASK[4] = {0x37, 0xfa, 0x21, 0x3d}; /* the mask of RFC 6455 5.7 */

/* ----- running a stream through a parser ----- */

#define MAX_EVENTS 16

struct got_event {
	enum ll_ws_event_type type;
	uint8_t opcode;
	uint8_t *data; /* a copy (malloc) or, for messages, a taken buffer (ll_malloc) */
	bool taken;
	size_t len;
	unsigned close_code;
	char reason[LL_WS_MAX_CONTROL + 1];
	size_t end; /* stream offset right after the event's frame */
};

struct run {
	int create_rc;
	int rc; /* 0, or the error feed returned */
	unsigned close_code;
	size_t err_at; /* stream offset consumed up to the error */
	size_t n;
	struct got_event ev[MAX_EVENTS];
};

enum chunking { WHOLE, BYTEWISE, RANDOM };

static void record(struct ll_ws_parser *p, struct run *r, const struct ll_ws_event *ev, size_t end)
{
	struct got_event *g;

	CHECK(r->n < MAX_EVENTS);
	g = &r->ev[r->n];
	g->type = ev->type;
	g->opcode = ev->opcode;
	g->len = ev->len;
	g->close_code = ev->close_code;
	g->end = end;
	g->taken = false;
	CHECK(ev->data != NULL);
	if (ev->type == LL_WS_EV_MESSAGE) {
		/* Parser buffers are NUL terminated past len (header: take()). */
		CHECK_EQ(ev->data[ev->len], 0);
		CHECK(ev->reason == NULL);
		/* Take every other message, copy the rest, so both paths run. */
		if (r->n % 2 == 0) {
			g->data = ll_ws_parser_take(p);
			CHECK(g->data == ev->data);
			CHECK(ll_ws_parser_take(p) == NULL);
			g->taken = true;
			r->n++;
			return;
		}
	} else {
		CHECK(ll_ws_parser_take(p) == NULL);
	}
	if (ev->type == LL_WS_EV_CLOSE) {
		size_t rlen = ev->len >= 2 ? ev->len - 2 : 0;

		CHECK(ev->reason != NULL);
		CHECK_EQ(ev->reason[rlen], 0);
		memcpy(g->reason, ev->reason, rlen + 1);
	} else {
		CHECK(ev->reason == NULL);
	}
	g->data = malloc(ev->len + 1);
	CHECK(g->data != NULL);
	memcpy(g->data, ev->data, ev->len);
	r->n++;
}

static void run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (r->ev[i].taken)
			ll_free(r->ev[i].data);
		else
			free(r->ev[i].data);
	}
	r->n = 0;
}

/*
 * Feeds in[0..len) to a fresh parser, chunked as asked, until the input is
 * used up or feed fails. Checks the feed contract on the way: *consumed
 * never exceeds the chunk, 0 means the chunk was used up, and a broken
 * parser keeps failing with the same error and consumes nothing.
 */
static void run_stream(struct run *r, enum ll_ws_role role, size_t max, const uint8_t *in,
		       size_t len, enum chunking mode, uint32_t seed)
{
	struct ll_ws_parser *p = NULL;
	struct ll_ws_event ev;
	size_t pos = 0, end, used;
	int rc;

	memset(r, 0, sizeof(*r));
	rng_state = seed;
	r->create_rc = ll_ws_parser_create(&p, role, max);
	if (r->create_rc < 0) {
		CHECK(p == NULL);
		return;
	}
	CHECK_EQ(ll_ws_parser_close_code(p), 0);
	while (pos < len) {
		if (mode == WHOLE)
			end = len;
		else if (mode == BYTEWISE)
			end = pos + 1;
		else
			end = pos + 1 + rng() % 23;
		if (end > len)
			end = len;
		while (pos < end) {
			rc = ll_ws_parser_feed(p, in + pos, end - pos, &used, &ev);
			CHECK(used <= end - pos);
			pos += used;
			if (rc == 1) {
				CHECK(used > 0);
				record(p, r, &ev, pos);
				continue;
			}
			if (rc == 0) {
				CHECK_EQ(pos, end);
				break;
			}
			r->rc = rc;
			r->err_at = pos;
			r->close_code = ll_ws_parser_close_code(p);
			/* Sticky: the same error again, nothing consumed. */
			CHECK_EQ(ll_ws_parser_feed(p, in, len, &used, &ev), rc);
			CHECK_EQ(used, 0);
			CHECK_EQ(ll_ws_parser_close_code(p), r->close_code);
			goto out_destroy;
		}
	}
	/* Nothing is left half done when the input was whole frames. */
	CHECK_EQ(ll_ws_parser_feed(p, in, 0, &used, &ev), 0);
	CHECK_EQ(used, 0);
out_destroy:
	ll_ws_parser_destroy(p);
}

struct want {
	enum ll_ws_event_type type;
	uint8_t opcode;
	const void *data;
	size_t len;
	unsigned close_code;
	const char *reason;
};

static void check_events(const struct run *r, const struct want *w, size_t nw)
{
	size_t i;

	CHECK_EQ(r->n, nw);
	for (i = 0; i < nw; i++) {
		CHECK_EQ(r->ev[i].type, w[i].type);
		CHECK_EQ(r->ev[i].opcode, w[i].opcode);
		CHECK_EQ(r->ev[i].len, w[i].len);
		CHECK_MEM(r->ev[i].data, w[i].data, w[i].len);
		if (w[i].type == LL_WS_EV_CLOSE) {
			CHECK_EQ(r->ev[i].close_code, w[i].close_code);
			CHECK_STR(r->ev[i].reason, w[i].reason);
		}
	}
}

static const enum chunking modes[] = {WHOLE, BYTEWISE, RANDOM, RANDOM, RANDOM};

/* A valid stream gives exactly these events, however it is chunked. */
static void check_stream(enum ll_ws_role role, size_t max, const struct bytes *in,
			 const struct want *w, size_t nw)
{
	struct run r;
	size_t first_ends[MAX_EVENTS];
	size_t m, i;

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		run_stream(&r, role, max, in->d, in->n, modes[m], 0x9e3779b9u + (uint32_t)m);
		CHECK_EQ(r.create_rc, 0);
		if (r.rc)
			fprintf(stderr, "mode %zu: %s\n", m, ll_strerror(r.rc));
		CHECK_EQ(r.rc, 0);
		check_events(&r, w, nw);
		/* Events come out at the same stream offsets whatever the chunking. */
		for (i = 0; i < r.n; i++) {
			if (m == 0)
				first_ends[i] = r.ev[i].end;
			CHECK_EQ(r.ev[i].end, first_ends[i]);
		}
		CHECK_EQ(r.ev[nw - 1].end, in->n);
		run_free(&r);
	}
}

/* A broken stream fails with err and close code however it is chunked. */
static void check_error(enum ll_ws_role role, size_t max, const struct bytes *in, int err,
			unsigned code, size_t events_before)
{
	struct run r;
	size_t m;

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		run_stream(&r, role, max, in->d, in->n, modes[m], 0x85ebca6bu + (uint32_t)m);
		CHECK_EQ(r.create_rc, 0);
		if (r.rc != err)
			fprintf(stderr, "mode %zu: got %d (%s)\n", m, r.rc, ll_strerror(r.rc));
		CHECK_EQ(r.rc, err);
		CHECK_EQ(r.close_code, code);
		CHECK_EQ(r.n, events_before);
		/* How much of a broken stream was consumed is not specified; only bounded. */
		CHECK(r.err_at <= in->n);
		run_free(&r);
	}
}

/* ----- header, mask, close codes ----- */

static void check_header_bytes(bool fin, uint8_t op, uint64_t length, const uint8_t *mask,
			       const char *hex)
{
	struct bytes want = {0};
	uint8_t out[LL_WS_MAX_HEADER];
	struct ll_ws_frame_header h;
	size_t n, k;

	put_hex(&want, hex);
	n = ll_ws_frame_header_encode(out, fin, op, length, mask);
	CHECK_EQ(n, want.n);
	CHECK_MEM(out, want.d, n);

	memset(&h, 0xaa, sizeof(h));
	CHECK_EQ(ll_ws_frame_header_decode(out, n, &h), (int)n);
	CHECK_EQ(h.fin, fin);
	CHECK_EQ(h.rsv, 0);
	CHECK_EQ(h.opcode, op);
	CHECK_EQ(h.masked, mask != NULL);
	if (mask)
		CHECK_MEM(h.mask, mask, 4);
	CHECK(h.length == length);
	CHECK_EQ(h.size, n);
	/* Every shorter prefix is incomplete, never an error or a misread. */
	for (k = 0; k < n; k++)
		CHECK_EQ(ll_ws_frame_header_decode(out, k, &h), LL_EAGAIN);
	bytes_free(&want);
}

static void test_header(void)
{
	struct ll_ws_frame_header h;
	uint8_t buf[LL_WS_MAX_HEADER] = {0};

	/* The shortest encoding at every boundary (section 5.2). */
	check_header_bytes(true, LL_WS_OP_TEXT, 5, NULL, "81 05");
	check_header_bytes(true, LL_WS_OP_BINARY, 0, NULL, "82 00");
	check_header_bytes(true, LL_WS_OP_BINARY, 125, NULL, "82 7d");
	check_header_bytes(true, LL_WS_OP_BINARY, 126, NULL, "82 7e 00 7e");
	check_header_bytes(false, LL_WS_OP_TEXT, 65535, NULL, "01 7e ff ff");
	check_header_bytes(true, LL_WS_OP_BINARY, 65536, NULL, "82 7f 00 00 00 00 00 01 00 00");
	check_header_bytes(true, LL_WS_OP_BINARY, UINT64_C(0x7fffffffffffffff), NULL,
			   "82 7f 7f ff ff ff ff ff ff ff");
	check_header_bytes(true, LL_WS_OP_TEXT, 5, MASK, "81 85 37 fa 21 3d");
	check_header_bytes(false, LL_WS_OP_CONT, 256, MASK, "00 fe 01 00 37 fa 21 3d");
	check_header_bytes(true, LL_WS_OP_PING, 0, MASK, "89 80 37 fa 21 3d");
	check_header_bytes(true, LL_WS_OP_CLOSE, 65536, MASK,
			   "88 ff 00 00 00 00 00 01 00 00 37 fa 21 3d");

	/* A 64-bit length with the top bit set is a protocol error. */
	memcpy(buf, "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10);
	CHECK_EQ(ll_ws_frame_header_decode(buf, 10, &h), LL_EPROTO);
	/* A longer encoding than needed is accepted (the parser is lenient here). */
	memcpy(buf, "\x81\x7e\x00\x05", 4);
	CHECK_EQ(ll_ws_frame_header_decode(buf, 4, &h), 4);
	CHECK(h.length == 5);
	memcpy(buf, "\x81\x7f\x00\x00\x00\x00\x00\x00\x00\x05", 10);
	CHECK_EQ(ll_ws_frame_header_decode(buf, 10, &h), 10);
	CHECK(h.length == 5);
	/* RSV bits and reserved opcodes are decoded, not judged, here. */
	buf[0] = 0x7b;
	buf[1] = 0x00;
	CHECK_EQ(ll_ws_frame_header_decode(buf, 2, &h), 2);
	CHECK(!h.fin);
	CHECK_EQ(h.rsv, 7);
	CHECK_EQ(h.opcode, 0xb);
	buf[0] = 0xc1;
	CHECK_EQ(ll_ws_frame_header_decode(buf, 2, &h), 2);
	CHECK_EQ(h.rsv, 4);
	CHECK(h.fin);
}

static void mask_ref(uint8_t *buf, size_t len, const uint8_t mask[4], uint64_t offset)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] ^= mask[(offset + i) % 4];
}

static void test_mask(void)
{
	static const uint8_t hello_masked[] = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
	uint8_t orig[96], a[96 + 8], b[96 + 8], *pa, *pb;
	const uint8_t mask[4] = {0x01, 0x80, 0xfe, 0x5a};
	size_t len, align, split, split2;
	uint64_t off;
	uint8_t hello[5];

	/* Section 5.7's vector. */
	memcpy(hello, "Hello", 5);
	ll_ws_mask(hello, 5, MASK, 0);
	CHECK_MEM(hello, hello_masked, 5);

	fill_random(orig, sizeof(orig), 12345);
	for (len = 0; len <= 67; len++) {
		for (align = 0; align < 8; align++) {
			for (off = 0; off < 8; off++) {
				/* Whole, at every alignment and mask offset, against the plain
				 * loop. */
				pa = a + align;
				pb = b + align;
				memcpy(pa, orig, len);
				memcpy(pb, orig, len);
				ll_ws_mask(pa, len, mask, off);
				mask_ref(pb, len, mask, off);
				CHECK_MEM(pa, pb, len);
				/* Masking twice is the identity. */
				ll_ws_mask(pa, len, mask, off);
				CHECK_MEM(pa, orig, len);
			}
			/* Two bytes either side of the buffer are never touched. */
			memset(a, 0xee, sizeof(a));
			ll_ws_mask(a + align + 2, len, mask, align);
			CHECK_EQ(a[align], 0xee);
			CHECK_EQ(a[align + 1], 0xee);
			CHECK_EQ(a[align + 2 + len], 0xee);
		}
		/* In pieces at every split point, with the running offset, equals whole. */
		memcpy(b, orig, len);
		ll_ws_mask(b, len, mask, 0);
		for (split = 0; split <= len; split++) {
			memcpy(a + 1, orig, len);
			ll_ws_mask(a + 1, split, mask, 0);
			ll_ws_mask(a + 1 + split, len - split, mask, split);
			CHECK_MEM(a + 1, b, len);
			/* And in three pieces. */
			for (split2 = split; split2 <= len; split2 += 3) {
				memcpy(a + 3, orig, len);
				ll_ws_mask(a + 3, split, mask, 0);
				ll_ws_mask(a + 3 + split, split2 - split, mask, split);
				ll_ws_mask(a + 3 + split2, len - split2, mask, split2);
				CHECK_MEM(a + 3, b, len);
			}
		}
	}
	/* A large offset only matters modulo 4. */
	memcpy(a, orig, 40);
	memcpy(b, orig, 40);
	ll_ws_mask(a, 40, mask, UINT64_C(0x7ffffffffffffffd));
	mask_ref(b, 40, mask, 1);
	CHECK_MEM(a, b, 40);
}

static void test_close_code_valid(void)
{
	static const unsigned ok[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009,
				      1010, 1011, 3000, 3999, 4000, 4999};
	static const unsigned bad[] = {0,    1,	   999,	 1004, 1005, 1006,  1012,  1014,
				       1015, 1016, 2000, 2999, 5000, 65535, 100000};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK(ll_ws_close_code_valid(ok[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ll_ws_close_code_valid(bad[i]))
			fprintf(stderr, "code %u\n", bad[i]);
		CHECK(!ll_ws_close_code_valid(bad[i]));
	}
}

/* ----- the parser on valid streams ----- */

static void test_rfc_examples(void)
{
	struct bytes in = {0};
	uint8_t *data = malloc(65536);
	size_t i;

	CHECK(data != NULL);

	/* Section 5.7: a single-frame unmasked text message (server to client). */
	put_hex(&in, "81 05 48 65 6c 6c 6f");
	{
		const struct want w[] = {{LL_WS_EV_MESSAGE, LL_WS_OP_TEXT, "Hello", 5, 0, NULL}};

		check_stream(LL_WS_CLIENT, 0, &in, w, 1);
	}
	bytes_free(&in);

	/* A single-frame masked text message (client to server). */
	put_hex(&in, "81 85 37 fa 21 3d 7f 9f 4d 51 58");
	{
		const struct want w[] = {{LL_WS_EV_MESSAGE, LL_WS_OP_TEXT, "Hello", 5, 0, NULL}};

		check_stream(LL_WS_SERVER, 0, &in, w, 1);
	}
	bytes_free(&in);

	/* A fragmented unmasked text message. */
	put_hex(&in, "01 03 48 65 6c");
	put_hex(&in, "80 02 6c 6f");
	{
		const struct want w[] = {{LL_WS_EV_MESSAGE, LL_WS_OP_TEXT, "Hello", 5, 0, NULL}};

		check_stream(LL_WS_CLIENT, 0, &in, w, 1);
	}
	bytes_free(&in);

	/* An unmasked ping, and a masked pong, both with "Hello". */
	put_hex(&in, "89 05 48 65 6c 6c 6f");
	{
		const struct want w[] = {{LL_WS_EV_PING, LL_WS_OP_PING, "Hello", 5, 0, NULL}};

		check_stream(LL_WS_CLIENT, 0, &in, w, 1);
	}
	bytes_free(&in);
	put_hex(&in, "8a 85 37 fa 21 3d 7f 9f 4d 51 58");
	{
		const struct want w[] = {{LL_WS_EV_PONG, LL_WS_OP_PONG, "Hello", 5, 0, NULL}};

		check_stream(LL_WS_SERVER, 0, &in, w, 1);
	}
	bytes_free(&in);

	/* 256 bytes of binary in one unmasked frame: a 16-bit length. */
	for (i = 0; i < 65536; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8));
	put_hex(&in, "82 7e 01 00");
	put(&in, data, 256);
	{
		const struct want w[] = {{LL_WS_EV_MESSAGE, LL_WS_OP_BINARY, data, 256, 0, NULL}};

		check_stream(LL_WS_CLIENT, 0, &in, w, 1);
	}
	bytes_free(&in);

	/* 64 KiB of binary in one unmasked frame: a 64-bit length. */
	put_hex(&in, "82 7f 00 00 00 00 00 01 00 00");
	put(&in, data, 65536);
	{
		const struct want w[] = {{LL_WS_EV_MESSAGE, LL_WS_OP_BINARY, data, 65536, 0, NULL}};

		check_stream(LL_WS_CLIENT, 0, &in, w, 1);
	}
	bytes_free(&in);
	free(data);
}

/* Messages of every length at the boundaries of the 7/16/64-bit encodings. */
static void test_length_boundaries(void)
{
	static const size_t lengths[] = {0, 1, 125, 126, 127, 65535, 65536};
	struct bytes in = {0};
	uint8_t *data = malloc(65536);
	size_t i;

	CHECK(data != NULL);
	fill_random(data, 65536, 777);
	for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		const struct want w[] = {
		    {LL_WS_EV_MESSAGE, LL_WS_OP_BINARY, data, lengths[i], 0, NULL}};

		fprintf(stderr, "   length %zu\n", lengths[i]);
		/* Unmasked to a client, then masked to a server. */
		put_frame(&in, true, LL_WS_OP_BINARY, data, lengths[i], NULL);
		check_stream(LL_WS_CLIENT, 0, &in, w, 1);
		bytes_free(&in);
		put_frame(&in, true, LL_WS_OP_BINARY, data, lengths[i], MASK);
		check_stream(LL_WS_SERVER, 0, &in, w, 1);
		bytes_free(&in);
	}
	free(data);
}

/* Many frames in one buffer: one event per call, each ending at its frame. */
static void test_stream_of_frames(void)
{
	static const uint8_t mask2[4] = {0xde, 0xad, 0xbe, 0xef};
	struct bytes in = {0};
	uint8_t text[300];
	size_t i;

	for (i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)('a' + i % 26);
	/* Text split in three, masked with different keys per frame. */
	put_frame(&in, false, LL_WS_OP_TEXT, text, 100, MASK);
	put_frame(&in, false, LL_WS_OP_CONT, text + 100, 150, mask2);
	put_frame(&in, true, LL_WS_OP_CONT, text + 250, 50, MASK);
	put_frame(&in, true, LL_WS_OP_PING, "", 0, mask2);
	put_frame(&in, true, LL_WS_OP_BINARY, "", 0, MASK);
	/* An empty message from empty fragments. */
	put_frame(&in, false, LL_WS_OP_TEXT, "", 0, MASK);
	put_frame(&in, true, LL_WS_OP_CONT, "", 0, MASK);
	put_frame(&in, true, LL_WS_OP_BINARY, "\0\1\2", 3, mask2);
	put_frame(&in, true, LL_WS_OP_PONG, "p", 1, MASK);
	/* Section 5.5.1: a close with no body means no status code. */
	put_frame(&in, true, LL_WS_OP_CLOSE, "", 0, MASK);
	{
		const struct want w[] = {
		    {LL_WS_EV_MESSAGE, LL_WS_OP_TEXT, text, 300, 0, NULL},
		    {LL_WS_EV_PING, LL_WS_OP_PING, "", 0, 0, NULL},
		    {LL_WS_EV_MESSAGE, LL_WS_OP_BINARY, "", 0, 0, NULL},
		    {LL_WS_EV_MESSAGE, LL_WS_OP_TEXT, "", 0, 0, NULL},
		    {LL_WS_EV_MESSAGE, LL_WS_OP_BINARY, "\0\1\2", 3, 0, NULL},
		    {LL_WS_EV_PONG, LL_WS_OP_PONG, "p", 1, 0, NULL},
		    {LL_WS_EV_CLOSE, LL_WS_OP_CLOSE, "", 0, 1005, ""},
		};

		check_stream(LL_WS_SERVER, 0, &in, w, sizeof(w) / sizeof(w[0]));
	}
	bytes_free(&in);
}

/* Section 5.4: control frames may be injected between the fragments of a message. */
static void test_control_between_fragments(void)
{
	struct bytes in = {0};

	put_hex(&in, "01 03 48 65 6c");	      /* "Hel", not final */
	put_hex(&in, "89 02 68 69");	      /* ping "hi" */
	put_hex(&in, "00 01 6c");	      /* "l" */
	put_hex(&in, "8a 00");		      /* empty pong */
	put_hex(&in, "80 01 6f");	      /* "o", final */
	put_hex(&in, "88 05 03 e8 62 79 65"); /* close 1000 "bye" */
	{
		const struct want w[] = {
		    {LL_WS_EV_PING, LL_WS_OP_PING, "hi", 2, 0, NULL},
		    {LL_WS_EV_PONG, LL_WS_OP_PONG, "", 0, 0, NULL},
		    {LL_WS_EV_MESSAGE, LL_WS_OP_TEXT, "Hello", 5, 0, NULL},
		    {LL_WS_EV_CLOSE, LL_WS_OP_CLOSE,
		     "\x03\xe8"
		     "bye",
		     5, 1000, "bye"},
		};

		check_stream(LL_WS_CLIENT, 0, &in, w, 4);
	}
	bytes_free(&in);
}

static void test_close_frames(void)
{
	static const unsigned ok[] = {1000, 1001, 1003, 1007, 1011, 3000, 4999};
	static const unsigned bad[] = {0,    999,  1004, 1005, 1006, 1012,
				       1015, 1016, 2999, 5000, 65535};
	struct bytes in = {0};
	uint8_t body[LL_WS_MAX_CONTROL];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const struct want w[] = {{LL_WS_EV_CLOSE, LL_WS_OP_CLOSE, body, 2, ok[i], ""}};

		body[0] = (uint8_t)(ok[i] >> 8);
		body[1] = (uint8_t)ok[i];
		put_frame(&in, true, LL_WS_OP_CLOSE, body, 2, MASK);
		check_stream(LL_WS_SERVER, 0, &in, w, 1);
		bytes_free(&in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		body[0] = (uint8_t)(bad[i] >> 8);
		body[1] = (uint8_t)bad[i];
		put_frame(&in, true, LL_WS_OP_CLOSE, body, 2, MASK);
		check_error(LL_WS_SERVER, 0, &in, LL_EPROTO, 1002, 0);
		bytes_free(&in);
	}

	/* The longest close: a code and a 123-byte UTF-8 reason. */
	body[0] = 0x0b;
	body[1] = 0xb8; /* 3000 */
	memset(body + 2, 'r', 121);
	memcpy(body + 123, "\xc3\xa9", 2);
	{
		char reason[124];
		const struct want w[] = {{LL_WS_EV_CLOSE, LL_WS_OP_CLOSE, body, 125, 3000, reason}};

		memcpy(reason, body + 2, 123);
		reason[123] = 0;
		put_frame(&in, true, LL_WS_OP_CLOSE, body, 125, NULL);
		check_stream(LL_WS_CLIENT, 0, &in, w, 1);
		bytes_free(&in);
	}

	/* A 1-byte close body cannot hold a code (0x0f would half-read as 3840). */
	put_hex(&in, "88 01 03");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	put_hex(&in, "88 01 0f");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	/* A reason that is not UTF-8: 1007 (section 5.5.1 and 8.1). */
	put_hex(&in, "88 04 03 e8 c0 80");
	check_error(LL_WS_CLIENT, 0, &in, LL_EUTF8, 1007, 0);
	bytes_free(&in);
	put_hex(&in, "88 04 03 e8 61 e2"); /* truncated 3-byte sequence at the end */
	check_error(LL_WS_CLIENT, 0, &in, LL_EUTF8, 1007, 0);
	bytes_free(&in);
}

/* ----- the parser on broken streams ----- */

static void test_protocol_errors(void)
{
	struct bytes in = {0};
	uint8_t op, body[126] = {0};
	char hex[8];

	/* Section 5.1: a server must fail on an unmasked frame, a client on a masked one. */
	put_hex(&in, "81 05 48 65 6c 6c 6f");
	check_error(LL_WS_SERVER, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	put_hex(&in, "81 85 37 fa 21 3d 7f 9f 4d 51 58");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	/* Also a control frame, and a continuation, on the wrong side. */
	put_hex(&in, "89 00");
	check_error(LL_WS_SERVER, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	put_frame(&in, false, LL_WS_OP_TEXT, "a", 1, MASK);
	put_frame(&in, true, LL_WS_OP_CONT, "b", 1, NULL);
	check_error(LL_WS_SERVER, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);

	/* Section 5.5: control frames carry at most 125 bytes... */
	put_frame(&in, true, LL_WS_OP_PING, body, 125, NULL);
	{
		const struct want w[] = {{LL_WS_EV_PING, LL_WS_OP_PING, body, 125, 0, NULL}};

		check_stream(LL_WS_CLIENT, 0, &in, w, 1);
	}
	bytes_free(&in);
	for (op = LL_WS_OP_CLOSE; op <= LL_WS_OP_PONG; op++) {
		put_frame(&in, true, op, body, 126, NULL);
		check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
		bytes_free(&in);
		/* ...and are never fragmented. */
		put_frame(&in, false, op, "", 0, NULL);
		check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
		bytes_free(&in);
	}
	put_hex(&in, "09 00"); /* FIN=0 ping */
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);

	/* Section 5.2: reserved opcodes 3-7 and 0xB-0xF. */
	for (op = 0x3; op <= 0xf; op++) {
		if (op >= 0x8 && op <= 0xa)
			continue;
		snprintf(hex, sizeof(hex), "%02x 00", 0x80u | op);
		put_hex(&in, hex);
		check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
		bytes_free(&in);
	}
	/* RSV1, RSV2, RSV3 without a negotiated extension. */
	put_hex(&in, "c1 00");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	put_hex(&in, "a1 00");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	put_hex(&in, "91 01 61");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	put_hex(&in, "c9 00"); /* on a control frame too */
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);

	/* Section 5.4: a continuation with no message started, final or not. */
	put_hex(&in, "80 00");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	put_hex(&in, "00 01 61");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	/* ...nor right after a message ended. */
	put_hex(&in, "81 01 61 80 01 62");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 1);
	bytes_free(&in);
	/* A new TEXT or BINARY frame inside a fragmented message. */
	put_hex(&in, "01 01 61 81 01 62");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	put_hex(&in, "02 01 61 89 00 02 01 62");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 1);
	bytes_free(&in);

	/* Section 5.2: the most significant bit of a 64-bit length must be 0. */
	put_hex(&in, "82 7f 80 00 00 00 00 00 00 00");
	check_error(LL_WS_CLIENT, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
	put_hex(&in, "82 ff ff ff ff ff ff ff ff ff 37 fa 21 3d");
	check_error(LL_WS_SERVER, 0, &in, LL_EPROTO, 1002, 0);
	bytes_free(&in);
}

static void test_utf8_in_text(void)
{
	struct bytes in = {0};

	/* Invalid in a single frame: overlong, surrogate, too large. */
	put_hex(&in, "81 02 c0 80");
	check_error(LL_WS_CLIENT, 0, &in, LL_EUTF8, 1007, 0);
	bytes_free(&in);
	put_frame(&in, true, LL_WS_OP_TEXT, "ok \xed\xa0\x80", 6, MASK);
	check_error(LL_WS_SERVER, 0, &in, LL_EUTF8, 1007, 0);
	bytes_free(&in);
	put_hex(&in, "81 04 f4 90 80 80");
	check_error(LL_WS_CLIENT, 0, &in, LL_EUTF8, 1007, 0);
	bytes_free(&in);

	/* A valid 4-byte sequence (U+1F600) split across two fragments is fine... */
	put_hex(&in, "01 02 f0 9f 80 02 98 80");
	{
		const struct want w[] = {
		    {LL_WS_EV_MESSAGE, LL_WS_OP_TEXT, "\xf0\x9f\x98\x80", 4, 0, NULL}};

		check_stream(LL_WS_CLIENT, 0, &in, w, 1);
	}
	bytes_free(&in);
	/* ...also across three, with a ping in between. */
	put_hex(&in, "01 01 f0 89 00 00 01 9f 80 02 98 80");
	{
		const struct want w[] = {
		    {LL_WS_EV_PING, LL_WS_OP_PING, "", 0, 0, NULL},
		    {LL_WS_EV_MESSAGE, LL_WS_OP_TEXT, "\xf0\x9f\x98\x80", 4, 0, NULL}};

		check_stream(LL_WS_CLIENT, 0, &in, w, 2);
	}
	bytes_free(&in);
	/* ...but an invalid one is refused in the fragment where it goes wrong. */
	put_hex(&in, "01 01 f0 80 03 80 80 80");
	check_error(LL_WS_CLIENT, 0, &in, LL_EUTF8, 1007, 0);
	bytes_free(&in);
	/* A sequence cut off by the end of the message. */
	put_hex(&in, "81 01 f0");
	check_error(LL_WS_CLIENT, 0, &in, LL_EUTF8, 1007, 0);
	bytes_free(&in);
	put_hex(&in, "01 02 f0 9f 80 00");
	check_error(LL_WS_CLIENT, 0, &in, LL_EUTF8, 1007, 0);
	bytes_free(&in);
	/* Binary messages are not checked. */
	put_hex(&in, "82 02 c0 80");
	{
		const struct want w[] = {
		    {LL_WS_EV_MESSAGE, LL_WS_OP_BINARY, "\xc0\x80", 2, 0, NULL}};

		check_stream(LL_WS_CLIENT, 0, &in, w, 1);
	}
	bytes_free(&in);
}

/* Section 8.1: a text frame fails as soon as its bytes cannot be UTF-8. */
static void test_utf8_rejected_early(void)
{
	struct ll_ws_parser *p = NULL;
	struct ll_ws_event ev;
	size_t used;
	/* 1000 bytes announced, the bad byte third; the rest never arrives. */
	const uint8_t part[] = {0x81, 0x7e, 0x03, 0xe8, 'a', 'b', 0xff};
	const uint8_t frag[] = {0x01, 0x02, 'a', 0xed, 0x00, 0x03, 0xa0};

	CHECK_EQ(ll_ws_parser_create(&p, LL_WS_CLIENT, 0), 0);
	CHECK_EQ(ll_ws_parser_feed(p, part, sizeof(part), &used, &ev), LL_EUTF8);
	CHECK_EQ(ll_ws_parser_close_code(p), 1007);
	ll_ws_parser_destroy(p);

	/* ED A0 is a surrogate already, across a fragment boundary. */
	CHECK_EQ(ll_ws_parser_create(&p, LL_WS_CLIENT, 0), 0);
	CHECK_EQ(ll_ws_parser_feed(p, frag, sizeof(frag), &used, &ev), LL_EUTF8);
	CHECK_EQ(used, sizeof(frag));
	CHECK_EQ(ll_ws_parser_close_code(p), 1007);
	ll_ws_parser_destroy(p);
}

static void test_too_big(void)
{
	struct ll_ws_parser *p = NULL;
	struct ll_ws_event ev;
	struct bytes in = {0};
	uint8_t data[32] = {0};
	size_t used;

	/* Exactly max_message is fine, in one frame or in fragments. */
	put_frame(&in, true, LL_WS_OP_BINARY, data, 16, NULL);
	{
		const struct want w[] = {{LL_WS_EV_MESSAGE, LL_WS_OP_BINARY, data, 16, 0, NULL}};

		check_stream(LL_WS_CLIENT, 16, &in, w, 1);
	}
	bytes_free(&in);
	put_frame(&in, false, LL_WS_OP_BINARY, data, 10, NULL);
	put_frame(&in, true, LL_WS_OP_CONT, data, 6, NULL);
	{
		const struct want w[] = {{LL_WS_EV_MESSAGE, LL_WS_OP_BINARY, data, 16, 0, NULL}};

		check_stream(LL_WS_CLIENT, 16, &in, w, 1);
	}
	bytes_free(&in);

	/* One more byte, in a single frame or as the sum of fragments: 1009. */
	put_frame(&in, true, LL_WS_OP_BINARY, data, 17, NULL);
	check_error(LL_WS_CLIENT, 16, &in, LL_ETOOBIG, 1009, 0);
	bytes_free(&in);
	put_frame(&in, false, LL_WS_OP_TEXT, data, 10, MASK);
	put_frame(&in, true, LL_WS_OP_PING, "", 0, MASK);
	put_frame(&in, true, LL_WS_OP_CONT, data, 7, MASK);
	check_error(LL_WS_SERVER, 16, &in, LL_ETOOBIG, 1009, 1);
	bytes_free(&in);
	/* The limit is per message: the next message starts from zero. */
	put_frame(&in, true, LL_WS_OP_BINARY, data, 12, NULL);
	put_frame(&in, true, LL_WS_OP_BINARY, data, 12, NULL);
	{
		const struct want w[] = {{LL_WS_EV_MESSAGE, LL_WS_OP_BINARY, data, 12, 0, NULL},
					 {LL_WS_EV_MESSAGE, LL_WS_OP_BINARY, data, 12, 0, NULL}};

		check_stream(LL_WS_CLIENT, 16, &in, w, 2);
	}
	bytes_free(&in);

	/*
	 * A header announcing 2^63 - 1 bytes is refused as soon as the header is
	 * complete, with nothing allocated and only the header consumed.
	 */
	put_hex(&in, "82 7f 7f ff ff ff ff ff ff ff");
	put(&in, data, 4);
	CHECK_EQ(ll_ws_parser_create(&p, LL_WS_CLIENT, 1024), 0);
	ll_alloc_fail_after(0); /* resets the count */
	CHECK_EQ(ll_ws_parser_feed(p, in.d, in.n, &used, &ev), LL_ETOOBIG);
	CHECK_EQ(used, 10);
	CHECK_EQ(ll_alloc_count(), 0);
	CHECK_EQ(ll_ws_parser_close_code(p), 1009);
	ll_ws_parser_destroy(p);
	check_error(LL_WS_CLIENT, 1024, &in, LL_ETOOBIG, 1009, 0);
	bytes_free(&in);

	/* The default limit (max_message 0) is 16 MiB. */
	put_hex(&in, "82 7f 00 00 00 00 01 00 00 01");
	CHECK_EQ(ll_ws_parser_create(&p, LL_WS_CLIENT, 0), 0);
	ll_alloc_fail_after(0);
	CHECK_EQ(ll_ws_parser_feed(p, in.d, in.n, &used, &ev), LL_ETOOBIG);
	CHECK_EQ(ll_alloc_count(), 0);
	ll_ws_parser_destroy(p);
	bytes_free(&in);
}

/* ll_ws_parser_take and the life of ev->data. */
static void test_take(void)
{
	struct ll_ws_parser *p = NULL;
	struct ll_ws_event ev;
	struct bytes in = {0};
	uint8_t *kept;
	size_t used, pos = 0;

	put_hex(&in, "81 03 61 62 63"); /* "abc" */
	put_hex(&in, "81 02 78 79");	/* "xy" */
	put_hex(&in, "89 01 7a");	/* ping "z" */
	put_hex(&in, "82 00");		/* empty binary */
	CHECK_EQ(ll_ws_parser_create(&p, LL_WS_CLIENT, 0), 0);
	CHECK(ll_ws_parser_take(p) == NULL);

	CHECK_EQ(ll_ws_parser_feed(p, in.d, in.n, &used, &ev), 1);
	pos += used;
	CHECK_EQ(pos, 5);
	CHECK_STR((char *)ev.data, "abc");
	kept = ll_ws_parser_take(p);
	CHECK(kept == ev.data);
	CHECK(ll_ws_parser_take(p) == NULL);

	/* The next message must not reuse the taken buffer. */
	CHECK_EQ(ll_ws_parser_feed(p, in.d + pos, in.n - pos, &used, &ev), 1);
	pos += used;
	CHECK(ev.data != kept);
	CHECK_STR((char *)ev.data, "xy");
	CHECK_STR((char *)kept, "abc");

	CHECK_EQ(ll_ws_parser_feed(p, in.d + pos, in.n - pos, &used, &ev), 1);
	pos += used;
	CHECK_EQ(ev.type, LL_WS_EV_PING);
	CHECK(ll_ws_parser_take(p) == NULL);

	/* An empty message still has a real, NUL-terminated buffer. */
	CHECK_EQ(ll_ws_parser_feed(p, in.d + pos, in.n - pos, &used, &ev), 1);
	pos += used;
	CHECK_EQ(pos, in.n);
	CHECK_EQ(ev.type, LL_WS_EV_MESSAGE);
	CHECK_EQ(ev.len, 0);
	CHECK(ev.data != NULL);
	CHECK_EQ(ev.data[0], 0);
	/* Not taken: destroy frees it. */
	ll_ws_parser_destroy(p);
	ll_free(kept);
	bytes_free(&in);

	ll_ws_parser_destroy(NULL);
}

/*
 * A message buffer that was not taken is reused for the next message when
 * small, and freed when large, so one big message does not pin its memory.
 */
static void test_buffer_reuse(void)
{
	struct ll_ws_parser *p = NULL;
	struct ll_ws_event ev;
	struct bytes small = {0}, big = {0};
	uint8_t *data = calloc(1, 100000);
	size_t used;

	CHECK(data != NULL);
	put_frame(&small, true, LL_WS_OP_BINARY, data, 100, NULL);
	put_frame(&big, true, LL_WS_OP_BINARY, data, 100000, NULL);
	CHECK_EQ(ll_ws_parser_create(&p, LL_WS_CLIENT, 0), 0);
	ll_alloc_fail_after(0);
	CHECK_EQ(ll_ws_parser_feed(p, small.d, small.n, &used, &ev), 1);
	CHECK_EQ(ll_alloc_count(), 1);
	CHECK_EQ(ll_ws_parser_feed(p, small.d, small.n, &used, &ev), 1);
	CHECK_EQ(ll_alloc_count(), 1); /* reused */
	/*
	 * Grown twice: the header reserves only 64 KiB ahead of the payload
	 * (a header is a claim, not bytes), then the payload takes the rest.
	 */
	CHECK_EQ(ll_ws_parser_feed(p, big.d, big.n, &used, &ev), 1);
	CHECK_EQ(ll_alloc_count(), 3);
	CHECK_EQ(ll_ws_parser_feed(p, small.d, small.n, &used, &ev), 1);
	CHECK_EQ(ll_alloc_count(), 4); /* the big one was dropped */
	CHECK_EQ(ev.len, 100);
	ll_ws_parser_destroy(p);
	bytes_free(&small);
	bytes_free(&big);
	free(data);
}

/* Many small fragments cost a logarithmic number of allocations (doubling growth). */
static void test_growth(void)
{
	struct ll_ws_parser *p = NULL;
	struct ll_ws_event ev;
	struct bytes in = {0};
	uint8_t want[200];
	size_t i, used, pos = 0;
	int rc;

	for (i = 0; i < sizeof(want); i++) {
		want[i] = (uint8_t)('A' + i % 26);
		put_frame(&in, i == sizeof(want) - 1, i ? LL_WS_OP_CONT : LL_WS_OP_TEXT, want + i,
			  1, NULL);
	}
	CHECK_EQ(ll_ws_parser_create(&p, LL_WS_CLIENT, 0), 0);
	ll_alloc_fail_after(0);
	do {
		rc = ll_ws_parser_feed(p, in.d + pos, in.n - pos, &used, &ev);
		pos += used;
	} while (rc == 0 && pos < in.n);
	CHECK_EQ(rc, 1);
	CHECK_EQ(ev.len, sizeof(want));
	CHECK_MEM(ev.data, want, sizeof(want));
	/* 2, 4, 8, ..., 256: 8 allocations; a fixed step would make about 200. */
	CHECK_INT(ll_alloc_count(), <=, 9);
	ll_ws_parser_destroy(p);
	bytes_free(&in);
}

/* Every allocation the parser makes, failed in turn: a clean LL_ENOMEM, no leak. */
static void test_fault_injection(void)
{
	struct bytes in = {0};
	struct run r;
	long n;
	int failures = 0, m;
	uint8_t big[300];

	memset(big, 'x', sizeof(big));
	/* A first message, then one grown over several fragments. */
	put_frame(&in, true, LL_WS_OP_TEXT, "one", 3, MASK);
	put_frame(&in, false, LL_WS_OP_TEXT, "a", 1, MASK);
	put_frame(&in, false, LL_WS_OP_CONT, big, 2, MASK);
	put_frame(&in, true, LL_WS_OP_PING, "p", 1, MASK);
	put_frame(&in, false, LL_WS_OP_CONT, big, 20, MASK);
	put_frame(&in, true, LL_WS_OP_CONT, big, 300, MASK);
	put_frame(&in, true, LL_WS_OP_BINARY, big, 200, MASK);

	for (m = 0; m < 2; m++) {
		for (n = 1;; n++) {
			ll_alloc_fail_after(n);
			run_stream(&r, LL_WS_SERVER, 0, in.d, in.n, m ? BYTEWISE : WHOLE, 1);
			if (ll_alloc_count() < n) {
				/* Nothing failed: the whole stream went through. */
				ll_alloc_fail_after(0);
				CHECK_EQ(r.create_rc, 0);
				CHECK_EQ(r.rc, 0);
				CHECK_EQ(r.n, 4);
				CHECK_EQ(r.ev[3].len, 200);
				run_free(&r);
				break;
			}
			ll_alloc_fail_after(0);
			failures++;
			if (r.create_rc) {
				CHECK_EQ(r.create_rc, LL_ENOMEM);
			} else {
				CHECK_EQ(r.rc, LL_ENOMEM);
				CHECK_EQ(r.close_code, 1011);
			}
			run_free(&r);
			CHECK(n < 100);
		}
	}
	/* create, the first message, and at least one growth, each way. */
	CHECK(failures >= 6);
	bytes_free(&in);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_header);
	RUN(test_mask);
	RUN(test_close_code_valid);
	RUN(test_rfc_examples);
	RUN(test_length_boundaries);
	RUN(test_stream_of_frames);
	RUN(test_control_between_fragments);
	RUN(test_close_frames);
	RUN(test_protocol_errors);
	RUN(test_utf8_in_text);
	RUN(test_utf8_rejected_early);
	RUN(test_too_big);
	RUN(test_take);
	RUN(test_buffer_reuse);
	RUN(test_growth);
	RUN(test_fault_injection);
	return check_finish();
}
