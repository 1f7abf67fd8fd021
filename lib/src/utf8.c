/*
 * utf8.c - incremental UTF-8 validation for text messages and close
 * reasons (RFC 6455 sections 5.6 and 8.1, RFC 3629 section 4).
 *
 * A table-driven DFA: every byte falls into one of twelve classes, and
 * (state, class) gives the next state. The states remember exactly how many
 * continuation bytes are still due and which range the next one must fall
 * into, which is what rejects overlongs, surrogates and code points above
 * U+10FFFF at the first byte that rules them out, rather than after the
 * whole sequence has been read. Because the state is one small integer, a
 * code point split across frames or reads validates by carrying it over.
 */
#include <leaklab/ws_frame.h>

#include <string.h>

/*
 * Byte classes. The ranges of the second byte that matter come from the
 * ABNF of RFC 3629 section 4: E0 needs A0-BF (else overlong), ED needs
 * 80-9F (else a surrogate), F0 needs 90-BF (else overlong), F4 needs 80-8F
 * (else above U+10FFFF).
 */
enum {
	C_ASCII, /* 00-7F */
	C_CONT1, /* 80-8F */
	C_CONT2, /* 90-9F */
	C_CONT3, /* A0-BF */
	C_BAD,	 /* C0-C1 (always overlong), F5-FF (always too large) */
	C_LEAD2, /* C2-DF */
	C_E0,	 /* E0 */
	C_LEAD3, /* E1-EC, EE-EF */
	C_ED,	 /* ED */
	C_F0,	 /* F0 */
	C_LEAD4, /* F1-F3 */
	C_F4,	 /* F4 */
	C_NCLASS,
};

/* States. ACCEPT and REJECT keep the values the header promises. */
enum {
	S_ACCEPT = LL_UTF8_ACCEPT,
	S_REJECT = LL_UTF8_REJECT,
	S_TAIL1, /* one more continuation, 80-BF */
	S_TAIL2, /* two more, the next 80-BF */
	S_E0,	 /* two more, the next A0-BF */
	S_ED,	 /* two more, the next 80-9F */
	S_F0,	 /* three more, the next 90-BF */
	S_TAIL3, /* three more, the next 80-BF */
	S_F4,	 /* three more, the next 80-8F */
	S_NSTATE,
};

/* One row per 16 bytes, so the table reads as a code chart. */
/* clang-format off */
static const uint8_t byte_class[256] = {
	/* 00-7F */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 80-8F, 90-9F */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	/* A0-BF */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	/* C0-C1 bad, C2-DF */
	4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
	5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
	/* E0, E1-EC, ED, EE-EF */
	6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 7,
	/* F0, F1-F3, F4, F5-FF bad */
	9, 10, 10, 10, 11, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

/*
 * next_state[state][class]. Short names keep the table one row per state:
 * A accept, R reject, T1/T2 one/two continuations still due.
 */
#define A S_ACCEPT
#define R S_REJECT
#define T1 S_TAIL1
#define T2 S_TAIL2
static const uint8_t next_state[S_NSTATE][C_NCLASS] = {
	/*           ASCII 80-8F 90-9F A0-BF bad C2-DF E0    E1-EF ED    F0    F1-F3    F4 */
	[S_ACCEPT] = {A,   R,    R,    R,    R,  T1,   S_E0, T2,   S_ED, S_F0, S_TAIL3, S_F4},
	[S_REJECT] = {R,   R,    R,    R,    R,  R,    R,    R,    R,    R,    R,       R},
	[S_TAIL1]  = {R,   A,    A,    A,    R,  R,    R,    R,    R,    R,    R,       R},
	[S_TAIL2]  = {R,   T1,   T1,   T1,   R,  R,    R,    R,    R,    R,    R,       R},
	[S_E0]     = {R,   R,    R,    T1,   R,  R,    R,    R,    R,    R,    R,       R},
	[S_ED]     = {R,   T1,   T1,   R,    R,  R,    R,    R,    R,    R,    R,       R},
	[S_F0]     = {R,   R,    T2,   T2,   R,  R,    R,    R,    R,    R,    R,       R},
	[S_TAIL3]  = {R,   T2,   T2,   T2,   R,  R,    R,    R,    R,    R,    R,       R},
	[S_F4]     = {R,   T2,   R,    R,    R,  R,    R,    R,    R,    R,    R,       R},
};
#undef A
#undef R
#undef T1
#undef T2
/* clang-format on */

/* Are all eight bytes at p ASCII? memcpy keeps the unaligned load defined. */
static int ascii8(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return (w & UINT64_C(0x8080808080808080)) == 0;
}

uint32_t ll_utf8_feed(uint32_t state, const uint8_t *buf, size_t len)
{
	size_t i = 0;

	/* An unknown state is a caller bug; refuse rather than index past the table. */
	if (state >= S_NSTATE)
		return LL_UTF8_REJECT;
	while (i < len) {
		/*
		 * Between code points, skip runs of ASCII a word at a time: most
		 * text on the wire is ASCII and needs no table lookups at all.
		 */
		if (state == S_ACCEPT) {
			while (len - i >= 8 && ascii8(buf + i))
				i += 8;
			if (i == len)
				break;
		}
		state = next_state[state][byte_class[buf[i]]];
		i++;
		if (state == S_REJECT)
			return LL_UTF8_REJECT;
	}
	return state;
}

bool ll_utf8_valid(const uint8_t *buf, size_t len)
{
	return ll_utf8_feed(LL_UTF8_ACCEPT, buf, len) == LL_UTF8_ACCEPT;
}
