/*
 * test_utf8.c - the incremental UTF-8 validator (RFC 3629): fixed valid
 * and invalid samples, the exact byte at which a bad prefix is rejected,
 * byte-by-byte feeding against whole-buffer feeding, every code point
 * encoded and checked, and every 2-byte prefix against an oracle built from
 * those encodings (not from the validator's own rules).
 */
#include <leaklab/ws_frame.h>

#include "check.h"

/* Encodes cp the plain way (RFC 3629 section 3); returns the length. */
static size_t encode(uint32_t cp, uint8_t *out)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* Feeds buf one byte at a time, stopping at the first REJECT. */
static uint32_t feed_bytewise(const uint8_t *buf, size_t len, size_t *reject_at)
{
	uint32_t st = LL_UTF8_ACCEPT;
	size_t i;

	*reject_at = len;
	for (i = 0; i < len; i++) {
		st = ll_utf8_feed(st, buf + i, 1);
		if (st == LL_UTF8_REJECT) {
			*reject_at = i;
			break;
		}
	}
	return st;
}

/* Whole, byte by byte and split at every point must all agree. */
static uint32_t check_consistent(const uint8_t *buf, size_t len)
{
	uint32_t whole = ll_utf8_feed(LL_UTF8_ACCEPT, buf, len), st;
	size_t at, k;

	st = feed_bytewise(buf, len, &at);
	CHECK_EQ(st, whole);
	for (k = 0; k <= len; k++) {
		st = ll_utf8_feed(LL_UTF8_ACCEPT, buf, k);
		st = ll_utf8_feed(st, buf + k, len - k);
		CHECK_EQ(st, whole);
	}
	CHECK_EQ(ll_utf8_valid(buf, len), whole == LL_UTF8_ACCEPT);
	return whole;
}

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static void test_valid_samples(void)
{
	static const struct {
		const uint8_t *s;
		size_t len;
	} ok[] = {
	    {S("")},
	    {S("hello, world")},
	    {S("\x7f")},
	    {S("\xc2\x80")},					 /* U+0080 */
	    {S("\xdf\xbf")},					 /* U+07FF */
	    {S("\xe0\xa0\x80")},				 /* U+0800 */
	    {S("\xed\x9f\xbf")},				 /* U+D7FF */
	    {S("\xee\x80\x80")},				 /* U+E000 */
	    {S("\xef\xbf\xbf")},				 /* U+FFFF */
	    {S("\xf0\x90\x80\x80")},				 /* U+10000 */
	    {S("\xf4\x8f\xbf\xbf")},				 /* U+10FFFF */
	    {S("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5")}, /* kosme */
	    {S("\xf0\x9f\x98\x80 smile, and a long ASCII tail here")},
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		fprintf(stderr, "   valid sample %zu\n", i);
		CHECK_EQ(check_consistent(ok[i].s, ok[i].len), LL_UTF8_ACCEPT);
	}
}

static void test_invalid_samples(void)
{
	/* Each with the index of the byte that must be the first rejected. */
	static const struct {
		const uint8_t *s;
		size_t len;
		size_t reject_at;
	} bad[] = {
	    {S("\xc0\x80"), 0}, /* overlong NUL: C0 can never start anything */
	    {S("\xc1\xbf"), 0},
	    {S("\xe0\x80\x80"), 1}, /* overlong 3-byte */
	    {S("\xe0\x9f\xbf"), 1},
	    {S("\xf0\x80\x80\x80"), 1}, /* overlong 4-byte */
	    {S("\xf0\x8f\xbf\xbf"), 1},
	    {S("\xed\xa0\x80"), 1},	/* U+D800 */
	    {S("\xed\xbf\xbf"), 1},	/* U+DFFF */
	    {S("\xf4\x90\x80\x80"), 1}, /* U+110000 */
	    {S("\xf5\x80\x80\x80"), 0},
	    {S("\xff"), 0},
	    {S("\x80"), 0}, /* lone continuation */
	    {S("abc\xbf"), 3},
	    {S("\xc2\x41"), 1}, /* lead then ASCII */
	    {S("\xe1\x80\x41"), 2},
	    {S("\xf1\x80\x80\xc2"), 3},
	    {S("\xc2\x80\x80"), 2}, /* one continuation too many */
	    {S("0123456789abcdef\xc0"), 16},
	};
	size_t i, at;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fprintf(stderr, "   invalid sample %zu\n", i);
		CHECK_EQ(check_consistent(bad[i].s, bad[i].len), LL_UTF8_REJECT);
		CHECK_EQ(feed_bytewise(bad[i].s, bad[i].len, &at), LL_UTF8_REJECT);
		CHECK_EQ(at, bad[i].reject_at);
		/* The whole prefix before it is still alive. */
		CHECK(ll_utf8_feed(LL_UTF8_ACCEPT, bad[i].s, at) != LL_UTF8_REJECT);
	}
	/* REJECT stays REJECT, whatever follows. */
	CHECK_EQ(ll_utf8_feed(LL_UTF8_REJECT, S("abc")), LL_UTF8_REJECT);
	CHECK_EQ(ll_utf8_feed(LL_UTF8_REJECT, NULL, 0), LL_UTF8_REJECT);
}

static void test_truncated(void)
{
	static const struct {
		const uint8_t *s;
		size_t len;
	} cut[] = {
	    {S("\xc2")},
	    {S("\xe0\xa0")},
	    {S("\xe1")},
	    {S("\xf0\x90\x80")},
	    {S("\xf4\x8f")},
	    {S("abc\xf1\x80")},
	    {S("\xce\xba\xe1\xbd")},
	};
	size_t i;
	uint32_t st;

	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		st = check_consistent(cut[i].s, cut[i].len);
		CHECK(st != LL_UTF8_ACCEPT);
		CHECK(st != LL_UTF8_REJECT);
		CHECK(!ll_utf8_valid(cut[i].s, cut[i].len));
	}
}

/* The ASCII fast path must not skip a bad byte at any position or alignment. */
static void test_ascii_fast_path(void)
{
	uint8_t buf[80];
	size_t start, len, bad, at;

	memset(buf, 'a', sizeof(buf));
	for (start = 0; start < 8; start++) {
		for (len = 0; len <= 64; len++) {
			CHECK(ll_utf8_valid(buf + start, len));
			for (bad = 0; bad < len; bad++) {
				buf[start + bad] = 0x80;
				CHECK(!ll_utf8_valid(buf + start, len));
				CHECK_EQ(feed_bytewise(buf + start, len, &at), LL_UTF8_REJECT);
				CHECK_EQ(at, bad);
				/* A valid 2-byte sequence there instead is fine. */
				if (bad > 0) {
					buf[start + bad - 1] = 0xc3;
					buf[start + bad] = 0xa9;
					CHECK(ll_utf8_valid(buf + start, len));
					buf[start + bad - 1] = 'a';
				}
				buf[start + bad] = 'a';
			}
		}
	}
}

/* Every scalar value encodes to something valid; every surrogate is refused at byte 2. */
static void test_every_code_point(void)
{
	uint8_t buf[4];
	size_t n, at;
	uint32_t cp, st;

	for (cp = 0; cp <= 0x10ffff; cp++) {
		n = encode(cp, buf);
		st = ll_utf8_feed(LL_UTF8_ACCEPT, buf, n);
		if (cp >= 0xd800 && cp <= 0xdfff) {
			CHECK_EQ(st, LL_UTF8_REJECT);
			CHECK_EQ(feed_bytewise(buf, n, &at), LL_UTF8_REJECT);
			CHECK_EQ(at, 1);
		} else if (st != LL_UTF8_ACCEPT) {
			fprintf(stderr, "U+%04" PRIX32 " refused\n", cp);
			CHECK_EQ(st, LL_UTF8_ACCEPT);
		}
		/* Byte-by-byte on a sample, to keep memcheck time down. */
		if (cp % 61 == 0 && !(cp >= 0xd800 && cp <= 0xdfff))
			CHECK_EQ(feed_bytewise(buf, n, &at), LL_UTF8_ACCEPT);
	}
	/* Encodings past U+10FFFF (which encode() still produces) are refused at byte 2. */
	for (cp = 0x110000; cp < 0x200000; cp += 0x1001) {
		n = encode(cp, buf);
		CHECK_EQ(feed_bytewise(buf, n, &at), LL_UTF8_REJECT);
		CHECK(at <= 1);
	}
}

/*
 * Every 2-byte string, against an oracle built from the encodings of all
 * scalar values: it is a viable prefix iff it is (a complete 1-byte
 * encoding + the first byte of some encoding) or the first two bytes of
 * some longer encoding; it is ACCEPT iff it is two 1-byte encodings or one
 * 2-byte encoding.
 */
static void test_all_two_byte_prefixes(void)
{
	static uint8_t first[256], prefix2[256][256], complete2[256][256];
	uint8_t buf[4];
	uint32_t cp, st, expect;
	size_t n;
	int a, b;

	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		n = encode(cp, buf);
		first[buf[0]] = 1;
		if (n >= 2)
			prefix2[buf[0]][buf[1]] = 1;
		if (n == 2)
			complete2[buf[0]][buf[1]] = 1;
	}
	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b++) {
			buf[0] = (uint8_t)a;
			buf[1] = (uint8_t)b;
			st = ll_utf8_feed(LL_UTF8_ACCEPT, buf, 2);
			if ((a < 0x80 && b < 0x80) || complete2[a][b])
				expect = LL_UTF8_ACCEPT;
			else if ((a < 0x80 && first[b]) || prefix2[a][b])
				expect = 2; /* some in-between state */
			else
				expect = LL_UTF8_REJECT;
			if (expect == 2) {
				CHECK(st != LL_UTF8_ACCEPT);
				CHECK(st != LL_UTF8_REJECT);
			} else if (st != expect) {
				fprintf(stderr, "%02X %02X\n", (unsigned)a, (unsigned)b);
				CHECK_EQ(st, expect);
			}
		}
	}
}

/* Every 3-byte string from a 3- or 4-byte lead and two continuation-range bytes. */
static void test_three_byte_prefixes(void)
{
	uint8_t buf[3];
	int a, b, c;
	uint32_t st, cp;
	bool viable;

	for (a = 0xe0; a <= 0xf4; a++) {
		for (b = 0x80; b <= 0xbf; b++) {
			for (c = 0x80; c <= 0xbf; c++) {
				buf[0] = (uint8_t)a;
				buf[1] = (uint8_t)b;
				buf[2] = (uint8_t)c;
				st = ll_utf8_feed(LL_UTF8_ACCEPT, buf, 3);
				if (a < 0xf0) {
					cp = (uint32_t)(a & 0x0f) << 12 |
					     (uint32_t)(b & 0x3f) << 6 | (uint32_t)(c & 0x3f);
					viable = cp >= 0x800 && !(cp >= 0xd800 && cp <= 0xdfff);
					CHECK_EQ(st, viable ? LL_UTF8_ACCEPT : LL_UTF8_REJECT);
				} else {
					/* The smallest and largest code point this prefix can lead
					 * to. */
					cp = (uint32_t)(a & 0x07) << 18 |
					     (uint32_t)(b & 0x3f) << 12 | (uint32_t)(c & 0x3f) << 6;
					viable = cp >= 0x10000 && cp + 0x3f <= 0x10ffff;
					if (viable) {
						CHECK(st != LL_UTF8_REJECT);
						CHECK(st != LL_UTF8_ACCEPT);
					} else {
						CHECK_EQ(st, LL_UTF8_REJECT);
					}
				}
			}
		}
	}
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_valid_samples);
	RUN(test_invalid_samples);
	RUN(test_truncated);
	RUN(test_ascii_fast_path);
	RUN(test_every_code_point);
	RUN(test_all_two_byte_prefixes);
	RUN(test_three_byte_prefixes);
	return check_finish();
}
