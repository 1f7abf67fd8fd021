/*
 * fuzz_utf8.c - differential test of the UTF-8 validator (ll_utf8_feed,
 * ll_utf8_valid) against a reference written here in a different way.
 *
 * The library's validator is a table-driven DFA that classifies second
 * bytes to reject overlongs, surrogates and values above U+10FFFF early.
 * The reference instead decodes code points arithmetically and, for an
 * incomplete sequence, asks whether any completion of the bits seen so
 * far lands in the code point range its length may encode (RFC 3629
 * section 4: 2 bytes U+0080-07FF, 3 bytes U+0800-FFFF minus the
 * surrogates D800-DFFF, 4 bytes U+10000-10FFFF). That gives, for every
 * prefix of the input, one of three verdicts: valid, a viable prefix of
 * something valid, or invalid whatever follows.
 *
 * Checks (abort on any disagreement):
 *   - ll_utf8_valid(whole) is the reference's verdict on the whole input;
 *   - fed in pieces (split points from a generator seeded by the input),
 *     the state after every piece is LL_UTF8_ACCEPT exactly when the
 *     prefix is valid, LL_UTF8_REJECT exactly when it is invalid (the
 *     header promises rejection "as soon as the input cannot be valid"),
 *     and some other state when it is a viable prefix;
 *   - once rejected, feeding more stays rejected.
 */
#include "fuzz.h"

#include <leaklab/ws_frame.h>

#include <string.h>

enum verdict { REF_VALID, REF_PARTIAL, REF_INVALID };

/*
 * Can the k bytes seen of an n-byte sequence, whose payload bits are
 * bits, still complete to a code point that n bytes may encode?
 */
static int viable(uint32_t bits, size_t k, size_t n)
{
	unsigned rem = 6 * (unsigned)(n - k);
	uint32_t lo = bits << rem;
	uint32_t hi = lo | ((UINT32_C(1) << rem) - 1);

	switch (n) {
	case 1: return 1;
	case 2: return hi >= 0x80 && lo <= 0x7ff;
	case 3: return (hi >= 0x800 && lo <= 0xd7ff) || (hi >= 0xe000 && lo <= 0xffff);
	default: return hi >= 0x10000 && lo <= 0x10ffff;
	}
}

static void mark_invalid(uint8_t *st, size_t from, size_t n)
{
	for (; from <= n; from++)
		st[from] = REF_INVALID;
}

/* st[k] gets the verdict on the first k bytes, for k = 0..n. */
static void ref_scan(const uint8_t *b, size_t n, uint8_t *st)
{
	size_t i = 0, k, need;
	uint32_t bits;
	uint8_t c;

	st[0] = REF_VALID;
	while (i < n) {
		c = b[i];
		if (c < 0x80) {
			need = 1;
			bits = c;
		} else if (c >= 0xc0 && c < 0xe0) {
			need = 2;
			bits = c & 0x1f;
		} else if (c >= 0xe0 && c < 0xf0) {
			need = 3;
			bits = c & 0x0f;
		} else if (c >= 0xf0 && c < 0xf8) {
			need = 4;
			bits = c & 0x07;
		} else {
			/* A continuation byte with no lead, or a lead RFC 3629 never allows. */
			mark_invalid(st, i + 1, n);
			return;
		}
		for (k = 1;; k++) {
			if (!viable(bits, k, need)) {
				mark_invalid(st, i + k, n);
				return;
			}
			st[i + k] = k == need ? REF_VALID : REF_PARTIAL;
			if (k == need)
				break;
			if (i + k == n)
				return;
			c = b[i + k];
			if ((c & 0xc0) != 0x80) {
				mark_invalid(st, i + k + 1, n);
				return;
			}
			bits = bits << 6 | (c & 0x3f);
		}
		i += need;
	}
}

static void check_state(uint32_t state, uint8_t verdict)
{
	switch (verdict) {
	case REF_VALID:
		fuzz_require(state == LL_UTF8_ACCEPT, "valid prefix not in the accept state");
		break;
	case REF_INVALID:
		fuzz_require(state == LL_UTF8_REJECT, "invalid prefix not rejected");
		break;
	default:
		fuzz_require(state != LL_UTF8_ACCEPT && state != LL_UTF8_REJECT,
			     "viable incomplete prefix accepted or rejected");
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *st;
	uint64_t rng;
	uint32_t state = LL_UTF8_ACCEPT;
	size_t pos = 0, n;

	st = malloc(size + 1);
	if (!st)
		return 0;
	ref_scan(data, size, st);

	fuzz_require(ll_utf8_valid(data, size) == (st[size] == REF_VALID),
		     "ll_utf8_valid disagrees with the reference");

	/* Pieces of 0-19 bytes: around the 8-byte ASCII fast path, and empty feeds too. */
	rng = fuzz_hash(UINT64_C(0xcbf29ce484222325), data, size < 16 ? size : 16) ^ size;
	while (pos < size) {
		n = (size_t)(fuzz_rand(&rng) % 20);
		if (n > size - pos)
			n = size - pos;
		state = ll_utf8_feed(state, data + pos, n);
		pos += n;
		check_state(state, st[pos]);
	}
	check_state(state, st[size]);
	if (state == LL_UTF8_REJECT)
		fuzz_require(ll_utf8_feed(state, (const uint8_t *)"a", 1) == LL_UTF8_REJECT,
			     "a rejected stream was accepted again");
	free(st);
	return 0;
}
