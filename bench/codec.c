/*
 * codec.c - throughput of the framing layer against memcpy of the same
 * bytes, measured in the same run so that the ratio cancels out the
 * machine (and most of its current load).
 *
 * decode: ll_ws_parser_feed on a buffer of masked binary frames, as a
 *         server receives them: header decode, then the payload copied
 *         into the message buffer and unmasked in the same pass.
 * encode: ll_ws_frame_header_encode + ll_ws_mask_copy, what a client's
 *         send does before its write.
 * memcpy: the same payload bytes copied message by message, the floor any
 *         codec that copies once has to stand on.
 *
 * Each cell runs for a fixed time (not a fixed count), so that small and
 * large payloads get the same statistical weight, and the median of
 * several repetitions is reported because a shared machine adds outliers
 * in one direction only (slower).
 */
#include "bench.h"

#include <leaklab/ws_frame.h>

#include <stdlib.h>
#include <string.h>

/*
 * Through a volatile pointer the compiler cannot see which function runs,
 * so it cannot drop copies whose result nobody reads.
 */
static void *(*volatile copy_fn)(void *, const void *, size_t) = memcpy;

struct codec_cell {
	size_t payload; /* bytes per message */
	size_t nframes; /* messages per pass */
	uint8_t *wire;	/* nframes masked frames, back to back */
	size_t wire_len;
	uint8_t *plain; /* one payload, unmasked */
	uint8_t *dst;	/* memcpy and encode destination */
	uint8_t mask[4];
	struct ll_ws_parser *parser;
};

static void fill_random(uint8_t *p, size_t n, uint32_t *seed)
{
	for (size_t i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(*seed >> 16);
	}
}

static void cell_free(struct codec_cell *c)
{
	ll_ws_parser_destroy(c->parser);
	free(c->wire);
	free(c->plain);
	free(c->dst);
}

/*
 * Builds nframes masked frames of one payload. A pass covers at least
 * 64 KiB so that the per-pass overhead stays out of small-message numbers,
 * while the buffer still fits in L2 for sizes up to 64 KiB.
 */
static int cell_init(struct codec_cell *c, size_t payload)
{
	uint32_t seed = 42;
	uint8_t *w;

	memset(c, 0, sizeof(*c));
	c->payload = payload;
	c->nframes = payload >= 65536 ? 1 : 65536 / payload;
	c->wire_len = c->nframes * (payload + LL_WS_MAX_HEADER);
	c->wire = malloc(c->wire_len);
	c->plain = malloc(payload);
	c->dst = malloc(payload + LL_WS_MAX_HEADER);
	if (!c->wire || !c->plain || !c->dst)
		goto out_free;
	if (ll_ws_parser_create(&c->parser, LL_WS_SERVER, 0) != 0)
		goto out_free;
	fill_random(c->plain, payload, &seed);
	fill_random(c->mask, sizeof(c->mask), &seed);
	memset(c->dst, 0, payload + LL_WS_MAX_HEADER); /* fault its pages in before timing */
	w = c->wire;
	for (size_t i = 0; i < c->nframes; i++) {
		size_t h = ll_ws_frame_header_encode(w, true, LL_WS_OP_BINARY, payload, c->mask);

		memcpy(w + h, c->plain, payload);
		ll_ws_mask(w + h, payload, c->mask, 0);
		w += h + payload;
	}
	c->wire_len = (size_t)(w - c->wire);
	return 0;
out_free:
	cell_free(c);
	return -1;
}

/* One pass of decoding; returns the messages seen, or -1 on a parser error. */
static long decode_pass(struct codec_cell *c, bool verify)
{
	const uint8_t *p = c->wire;
	size_t left = c->wire_len;
	long msgs = 0;

	while (left) {
		struct ll_ws_event ev;
		size_t used = 0;
		int r = ll_ws_parser_feed(c->parser, p, left, &used, &ev);

		if (r < 0)
			return -1;
		p += used;
		left -= used;
		if (r == 1) {
			if (verify && (ev.type != LL_WS_EV_MESSAGE || ev.len != c->payload ||
				       memcmp(ev.data, c->plain, c->payload) != 0))
				return -1;
			msgs++;
		}
	}
	return msgs;
}

static void memcpy_pass(struct codec_cell *c)
{
	/* A masked header is 2 bytes, the extended length (0, 2 or 8), and the mask (4). */
	size_t hlen = 2 + (c->payload >= 126 ? 2 : 0) + (c->payload >= 65536 ? 6 : 0) + 4;
	const uint8_t *p = c->wire;

	for (size_t i = 0; i < c->nframes; i++) {
		copy_fn(c->dst, p + hlen, c->payload);
		p += hlen + c->payload;
	}
}

static void encode_pass(struct codec_cell *c)
{
	for (size_t i = 0; i < c->nframes; i++) {
		size_t h =
		    ll_ws_frame_header_encode(c->dst, true, LL_WS_OP_BINARY, c->payload, c->mask);

		ll_ws_mask_copy(c->dst + h, c->plain, c->payload, c->mask, 0);
	}
}

enum op { OP_MEMCPY, OP_DECODE, OP_ENCODE, NOPS };
static const char *const op_names[NOPS] = {"memcpy", "decode", "encode"};

/* Runs one op for at least ms milliseconds; returns payload bytes per second, or -1. */
static double time_op(struct codec_cell *c, enum op op, int ms)
{
	uint64_t start = bench_now_ns(), end = start + (uint64_t)ms * 1000000u, now;
	uint64_t passes = 0;

	do {
		/* Check the clock every few passes only: it costs as much as a small message. */
		for (int k = 0; k < 4; k++) {
			if (op == OP_MEMCPY)
				memcpy_pass(c);
			else if (op == OP_ENCODE)
				encode_pass(c);
			else if (decode_pass(c, false) != (long)c->nframes)
				return -1;
		}
		passes += 4;
		now = bench_now_ns();
	} while (now < end);
	return (double)passes * (double)c->nframes * (double)c->payload * 1e9 /
	       (double)(now - start);
}

int bench_codec(const struct bench_opts *o, FILE *csv)
{
	static const size_t full[] = {64, 1024, 65536, 1 << 20};
	static const size_t smoke[] = {64, 1024};
	const size_t *sizes = o->smoke ? smoke : full;
	size_t nsizes = o->smoke ? 2 : 4;
	int failed = 0;

	printf("\ncodec: payload bytes per second, median of %d x %d ms; ratio to memcpy of the "
	       "same bytes\n",
	       o->reps, o->codec_ms);
	printf("%-8s %12s %12s %7s %12s %7s\n", "payload", "memcpy", "decode", "ratio", "encode",
	       "ratio");
	for (size_t s = 0; s < nsizes; s++) {
		struct codec_cell c;
		double v[NOPS][32], med[NOPS];
		int reps = o->reps > 32 ? 32 : o->reps;
		char name[32];

		if (cell_init(&c, sizes[s]) != 0) {
			fprintf(stderr, "leaklab-bench: out of memory for the codec cells\n");
			return 1;
		}
		/* One checked pass proves the frames decode to the payload before anything is
		 * timed. */
		if (decode_pass(&c, true) != (long)c.nframes) {
			fprintf(stderr,
				"leaklab-bench: decoded frames differ from what was sent\n");
			cell_free(&c);
			return 1;
		}
		/* Interleave the ops in every repetition so a burst of load hits them alike. */
		for (int r = 0; r < reps; r++)
			for (int op = 0; op < NOPS; op++)
				v[op][r] = time_op(&c, (enum op)op, o->codec_ms);
		for (int op = 0; op < NOPS; op++) {
			med[op] = bench_median(v[op], reps);
			if (!(med[op] > 0))
				failed = 1;
		}
		bench_size_name(name, sizeof(name), sizes[s]);
		printf("%-8s %9.2f GB/s %6.2f GB/s %6.2fx %7.2f GB/s %6.2fx\n", name, med[0] / 1e9,
		       med[1] / 1e9, med[1] / med[0], med[2] / 1e9, med[2] / med[0]);
		for (int op = 0; op < NOPS; op++)
			bench_csv(csv, "codec", op_names[op], sizes[s], 0, "bytes_per_s", med[op],
				  "B/s");
		bench_csv(csv, "codec", "decode", sizes[s], 0, "ratio_to_memcpy", med[1] / med[0],
			  "x");
		bench_csv(csv, "codec", "encode", sizes[s], 0, "ratio_to_memcpy", med[2] / med[0],
			  "x");
		cell_free(&c);
	}
	if (failed)
		fprintf(stderr, "leaklab-bench: a codec cell measured nothing\n");
	return failed;
}
