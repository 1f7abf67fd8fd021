/*
 * ws_frame.c - RFC 6455 framing: frame headers (section 5.2), masking
 * (section 5.3), close codes (section 7.4) and the incremental parser that
 * turns a byte stream into messages and control frames.
 *
 * The parser is written for the hot path. Headers are decoded straight from
 * the caller's buffer when they arrive whole, and only buffered (at most 14
 * bytes) when split across calls. Payload is never walked byte by byte: each
 * piece present in the input is copied with one memcpy into the message (or
 * control) buffer and unmasked in place a word at a time, then text is
 * validated incrementally on the same bytes while they are still in cache.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/ws_frame.h>

#include <string.h>

/* max_message 0 means this (see ll_ws_parser_create). */
#define DEFAULT_MAX_MESSAGE ((size_t)16 << 20)
/*
 * A delivered message buffer that the caller did not take is kept for the
 * next message if it is no larger than this, so a stream of small messages
 * costs no allocation each; a larger one is freed so that one big message
 * does not pin its memory for the life of the connection.
 */
#define KEEP_BUFFER_MAX ((size_t)64 << 10)
/* How far ahead of the payload that has arrived a frame may reserve memory. */
#define RESERVE_AHEAD ((size_t)64 << 10)

int ll_ws_frame_header_decode(const uint8_t *buf, size_t len, struct ll_ws_frame_header *h)
{
	size_t size = 2;
	uint64_t length;
	int i;

	if (len < 2)
		return LL_EAGAIN;
	length = buf[1] & 0x7f;
	/* Section 5.2: 126 means a 16-bit length follows, 127 a 64-bit one. */
	if (length == 126) {
		if (len < 4)
			return LL_EAGAIN;
		length = (uint64_t)buf[2] << 8 | buf[3];
		size = 4;
	} else if (length == 127) {
		if (len < 10)
			return LL_EAGAIN;
		length = 0;
		for (i = 0; i < 8; i++)
			length = length << 8 | buf[2 + i];
		/* "the most significant bit MUST be 0" (section 5.2). */
		if (length >> 63)
			return LL_EPROTO;
		size = 10;
	}
	if (buf[1] & 0x80) {
		if (len < size + 4)
			return LL_EAGAIN;
		memcpy(h->mask, buf + size, 4);
		size += 4;
	} else {
		memset(h->mask, 0, 4);
	}
	h->fin = (buf[0] & 0x80) != 0;
	h->rsv = (buf[0] >> 4) & 0x7;
	h->opcode = buf[0] & 0x0f;
	h->masked = (buf[1] & 0x80) != 0;
	h->length = length;
	h->size = size;
	return (int)size;
}

size_t ll_ws_frame_header_encode(uint8_t *out, bool fin, uint8_t opcode, uint64_t length,
				 const uint8_t *mask)
{
	size_t size = 2;
	int i;

	out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	/* Section 5.2 asks for the minimal number of bytes to encode the length. */
	if (length < 126) {
		out[1] = (uint8_t)length;
	} else if (length <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(length >> 8);
		out[3] = (uint8_t)length;
		size = 4;
	} else {
		out[1] = 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(length >> (56 - 8 * i));
		size = 10;
	}
	if (mask) {
		out[1] |= 0x80;
		memcpy(out + size, mask, 4);
		size += 4;
	}
	return size;
}

void ll_ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t mask[4],
		     uint64_t offset)
{
	uint8_t rot[4], pattern[8];
	uint64_t word, m;
	size_t i = 0, head;
	int k;

	/*
	 * Section 5.3: byte j of the payload is XORed with mask[j % 4]. Rotate
	 * the mask so that rot[i % 4] applies to byte i whatever the offset.
	 */
	for (k = 0; k < 4; k++)
		rot[k] = mask[(offset + (uint64_t)k) & 3];

	/* Bytes up to an 8-byte boundary of dst first, so the bulk stores are aligned. */
	head = (8 - ((uintptr_t)dst & 7)) & 7;
	if (head > len)
		head = len;
	for (; i < head; i++)
		dst[i] = src[i] ^ rot[i & 3];

	/*
	 * The bulk a uint64_t at a time, reading src and writing dst in the
	 * same pass: one trip through memory, where a copy followed by an
	 * unmask in place would make two. The pattern is built as bytes and
	 * loaded with memcpy, so it lines up with the data whatever the
	 * machine's byte order, and no access is ever misaligned or aliased.
	 */
	for (k = 0; k < 8; k++)
		pattern[k] = rot[(i + (size_t)k) & 3];
	memcpy(&m, pattern, sizeof(m));
	for (; len - i >= 32; i += 32) {
		uint64_t w0, w1, w2, w3;

		memcpy(&w0, src + i, 8);
		memcpy(&w1, src + i + 8, 8);
		memcpy(&w2, src + i + 16, 8);
		memcpy(&w3, src + i + 24, 8);
		w0 ^= m;
		w1 ^= m;
		w2 ^= m;
		w3 ^= m;
		memcpy(dst + i, &w0, 8);
		memcpy(dst + i + 8, &w1, 8);
		memcpy(dst + i + 16, &w2, 8);
		memcpy(dst + i + 24, &w3, 8);
	}
	for (; len - i >= 8; i += 8) {
		memcpy(&word, src + i, 8);
		word ^= m;
		memcpy(dst + i, &word, 8);
	}

	/* And the last few bytes one at a time. */
	for (; i < len; i++)
		dst[i] = src[i] ^ rot[i & 3];
}

void ll_ws_mask(uint8_t *buf, size_t len, const uint8_t mask[4], uint64_t offset)
{
	ll_ws_mask_copy(buf, buf, len, mask, offset);
}

bool ll_ws_close_code_valid(unsigned code)
{
	/*
	 * Section 7.4.1 defines 1000-1011 (1004 reserved, 1005 and 1006 never
	 * sent); 1012-2999 are for the protocol's own future use (section
	 * 7.4.2), so a peer must not send them yet; 3000-4999 are for
	 * libraries, frameworks and applications.
	 */
	if (code >= 1000 && code <= 1003)
		return true;
	if (code >= 1007 && code <= 1011)
		return true;
	return code >= 3000 && code <= 4999;
}

/* ----- the incremental parser ----- */

struct ll_ws_parser {
	enum ll_ws_role role;
	size_t max_message;

	/* Sticky error: once set, every feed returns it. */
	int err;
	unsigned close_code;

	/* The frame being read. */
	uint8_t hdr[LL_WS_MAX_HEADER]; /* a header split across feeds */
	size_t hdr_len;		       /* bytes of it buffered so far */
	bool in_payload;	       /* h is decoded, its payload is arriving */
	struct ll_ws_frame_header h;
	uint64_t pay_done; /* payload bytes of h received (the mask offset) */

	/* The data message being assembled from one or more frames. */
	bool in_message;
	uint8_t msg_opcode;
	uint32_t msg_utf8; /* validator state across fragments, text only */
	uint8_t *msg;	   /* cap bytes, NULL until the first data frame */
	size_t msg_len;
	size_t msg_cap;
	size_t frame_end;   /* msg_len once the current data frame is complete, + 1 for the NUL */
	bool msg_delivered; /* the last event returned was this message */

	/*
	 * Control frames (section 5.5) may come between the fragments of a
	 * message, so they get their own buffer and never touch msg. One
	 * spare byte holds the NUL after the payload.
	 */
	uint8_t ctl[LL_WS_MAX_CONTROL + 1];
};

int ll_ws_parser_create(struct ll_ws_parser **out, enum ll_ws_role role, size_t max_message)
{
	struct ll_ws_parser *p;

	p = ll_calloc(1, sizeof(*p));
	if (!p)
		return LL_ENOMEM;
	p->role = role;
	if (max_message == 0)
		max_message = DEFAULT_MAX_MESSAGE;
	/* The buffer holds max_message + 1 bytes (the NUL); keep that sum from wrapping. */
	if (max_message > SIZE_MAX / 2)
		max_message = SIZE_MAX / 2;
	p->max_message = max_message;
	*out = p;
	return 0;
}

void ll_ws_parser_destroy(struct ll_ws_parser *p)
{
	if (!p)
		return;
	ll_free(p->msg);
	ll_free(p);
}

static int fail(struct ll_ws_parser *p, int err)
{
	p->err = err;
	switch (err) {
	case LL_EUTF8: p->close_code = LL_WS_CLOSE_INVALID_DATA; break;
	case LL_ETOOBIG: p->close_code = LL_WS_CLOSE_TOO_BIG; break;
	case LL_ENOMEM: p->close_code = LL_WS_CLOSE_INTERNAL; break;
	default: p->close_code = LL_WS_CLOSE_PROTOCOL_ERROR; break;
	}
	return err;
}

static bool is_control(uint8_t opcode)
{
	return (opcode & 0x8) != 0;
}

/*
 * Checks a decoded header against the state of the stream, and makes room
 * for its payload. Returns 0 or the error to fail with.
 */
/*
 * Makes room for need bytes of message. The buffer doubles, for few
 * reallocations however the payload is split, but a final frame never
 * grows it past its own end, so a single-frame message ends up with
 * exactly its size; fragments may grow it up to the limit.
 */
static int reserve(struct ll_ws_parser *p, size_t need)
{
	size_t cap, limit;
	uint8_t *grown;

	if (need <= p->msg_cap)
		return 0;
	limit = p->h.fin ? p->frame_end : p->max_message + 1;
	cap = p->msg_cap * 2;
	if (cap < need)
		cap = need;
	if (cap > limit)
		cap = limit;
	grown = ll_realloc(p->msg, cap);
	if (!grown)
		return LL_ENOMEM;
	p->msg = grown;
	p->msg_cap = cap;
	return 0;
}

static int start_frame(struct ll_ws_parser *p)
{
	const struct ll_ws_frame_header *h = &p->h;
	size_t ahead;

	/* Section 5.2: RSV bits are for extensions, and none is negotiated. */
	if (h->rsv)
		return LL_EPROTO;
	/* Section 5.3: clients mask every frame, servers never do. */
	if (h->masked != (p->role == LL_WS_SERVER))
		return LL_EPROTO;

	switch (h->opcode) {
	case LL_WS_OP_CLOSE:
	case LL_WS_OP_PING:
	case LL_WS_OP_PONG:
		/* Section 5.5: control frames are final and carry <= 125 bytes. */
		if (!h->fin || h->length > LL_WS_MAX_CONTROL)
			return LL_EPROTO;
		return 0;
	case LL_WS_OP_CONT:
		/* Section 5.4: a continuation only ever follows a non-final data frame. */
		if (!p->in_message)
			return LL_EPROTO;
		break;
	case LL_WS_OP_TEXT:
	case LL_WS_OP_BINARY:
		/* Section 5.4: fragments of one message are not interleaved with another. */
		if (p->in_message)
			return LL_EPROTO;
		break;
	default:
		/* Section 5.2: 0x3-0x7 and 0xB-0xF are reserved. */
		return LL_EPROTO;
	}

	if (h->opcode != LL_WS_OP_CONT) {
		p->in_message = true;
		p->msg_opcode = h->opcode;
		p->msg_utf8 = LL_UTF8_ACCEPT;
		p->msg_len = 0;
	}
	/*
	 * Refuse a message that would outgrow max_message as soon as a header
	 * announces it, before a byte is allocated for it: a peer must not be
	 * able to make us reserve memory just by claiming a size (section 10.4).
	 */
	if (h->length > (uint64_t)(p->max_message - p->msg_len))
		return LL_ETOOBIG;

	/*
	 * Room for the payload that is about to arrive, but never more than
	 * RESERVE_AHEAD ahead of it: a header is only a claim, and a peer that
	 * announces 16 MiB and sends 10 KiB must cost 10 KiB, not 16 MiB, times
	 * every connection it opens. The buffer grows as payload arrives (see
	 * reserve). One spare byte for the NUL, which also gives an empty
	 * message a real buffer.
	 */
	p->frame_end = p->msg_len + (size_t)h->length + 1;
	ahead = h->length < RESERVE_AHEAD ? (size_t)h->length : RESERVE_AHEAD;
	return reserve(p, p->msg_len + ahead + 1);
}

/*
 * Reads one header from data, from the caller's buffer when it is all
 * there, through p->hdr when it is split across feeds. Returns the bytes
 * consumed and sets p->in_payload once the header is complete; or a
 * negative error.
 */
static long read_header(struct ll_ws_parser *p, const uint8_t *data, size_t len)
{
	size_t size, n, take;
	int rc;

	if (p->hdr_len == 0) {
		rc = ll_ws_frame_header_decode(data, len, &p->h);
		if (rc > 0) {
			p->in_payload = true;
			p->pay_done = 0;
			return rc;
		}
		if (rc != LL_EAGAIN)
			return rc;
	}

	/* Split header: gather its first two bytes, which tell its full size. */
	n = 0;
	while (p->hdr_len < 2 && n < len)
		p->hdr[p->hdr_len++] = data[n++];
	if (p->hdr_len < 2)
		return (long)n;
	size = 2;
	if ((p->hdr[1] & 0x7f) == 126)
		size += 2;
	else if ((p->hdr[1] & 0x7f) == 127)
		size += 8;
	if (p->hdr[1] & 0x80)
		size += 4;
	take = size - p->hdr_len;
	if (take > len - n)
		take = len - n;
	memcpy(p->hdr + p->hdr_len, data + n, take);
	p->hdr_len += take;
	n += take;
	if (p->hdr_len < size) {
		/*
		 * Still short, but the decoder may already see a 64-bit length
		 * with its top bit set (it needs 10 bytes, not the mask). Fail
		 * now, as the unsplit path does: how TCP split the stream must
		 * not decide whether an error is reported (found by fuzzing).
		 */
		rc = ll_ws_frame_header_decode(p->hdr, p->hdr_len, &p->h);
		if (rc == LL_EPROTO)
			return rc;
		return (long)n;
	}

	rc = ll_ws_frame_header_decode(p->hdr, p->hdr_len, &p->h);
	if (rc < 0)
		return rc;
	p->hdr_len = 0;
	p->in_payload = true;
	p->pay_done = 0;
	return (long)n;
}

/* Fills *ev for the control frame in p->ctl. Returns 1 or an error. */
static int finish_control(struct ll_ws_parser *p, struct ll_ws_event *ev)
{
	size_t len = (size_t)p->h.length;

	p->ctl[len] = 0;
	ev->opcode = p->h.opcode;
	ev->data = p->ctl;
	ev->len = len;
	if (p->h.opcode == LL_WS_OP_PING) {
		ev->type = LL_WS_EV_PING;
		return 1;
	}
	if (p->h.opcode == LL_WS_OP_PONG) {
		ev->type = LL_WS_EV_PONG;
		return 1;
	}

	/*
	 * Section 5.5.1: a close body, if any, starts with a 2-byte code in
	 * network order, followed by a UTF-8 reason. No body means no code,
	 * reported as 1005 (section 7.1.5); a 1-byte body is malformed.
	 */
	ev->type = LL_WS_EV_CLOSE;
	if (len == 0) {
		ev->close_code = LL_WS_CLOSE_NO_STATUS;
		ev->reason = (const char *)p->ctl;
		return 1;
	}
	if (len == 1)
		return LL_EPROTO;
	ev->close_code = (unsigned)p->ctl[0] << 8 | p->ctl[1];
	if (!ll_ws_close_code_valid(ev->close_code))
		return LL_EPROTO;
	if (!ll_utf8_valid(p->ctl + 2, len - 2))
		return LL_EUTF8;
	ev->reason = (const char *)p->ctl + 2;
	return 1;
}

int ll_ws_parser_feed(struct ll_ws_parser *p, const uint8_t *data, size_t len, size_t *consumed,
		      struct ll_ws_event *ev)
{
	size_t pos = 0, n;
	uint64_t left;
	uint8_t *dst;
	long got;
	int rc;

	*consumed = 0;
	memset(ev, 0, sizeof(*ev));
	if (p->err)
		return p->err;

	/*
	 * The message handed out by the previous call is void now (its
	 * ownership note in the header). Recycle its buffer unless it was
	 * taken or is too large to be worth keeping.
	 */
	if (p->msg_delivered) {
		p->msg_delivered = false;
		p->msg_len = 0;
		if (p->msg_cap > KEEP_BUFFER_MAX) {
			ll_free(p->msg);
			p->msg = NULL;
			p->msg_cap = 0;
		}
	}

	for (;;) {
		if (!p->in_payload) {
			if (pos == len)
				break;
			got = read_header(p, data + pos, len - pos);
			if (got < 0) {
				*consumed = pos;
				return fail(p, (int)got);
			}
			pos += (size_t)got;
			if (!p->in_payload)
				break;
			rc = start_frame(p);
			if (rc < 0) {
				*consumed = pos;
				return fail(p, rc);
			}
		}

		/* Payload: whatever part of it is here, in one copy. */
		left = p->h.length - p->pay_done;
		n = len - pos;
		if ((uint64_t)n > left)
			n = (size_t)left;
		if (n > 0) {
			if (is_control(p->h.opcode)) {
				dst = p->ctl + p->pay_done;
			} else {
				rc = reserve(p, p->msg_len + n + 1);
				if (rc < 0) {
					*consumed = pos;
					return fail(p, rc);
				}
				dst = p->msg + p->msg_len;
			}
			/* Copy and unmask in one pass over the payload. */
			if (p->h.masked)
				ll_ws_mask_copy(dst, data + pos, n, p->h.mask, p->pay_done);
			else
				memcpy(dst, data + pos, n);
			pos += n;
			p->pay_done += n;
			if (!is_control(p->h.opcode)) {
				p->msg_len += n;
				/*
				 * Section 8.1: fail as soon as text cannot be
				 * UTF-8, not only once the message is complete.
				 */
				if (p->msg_opcode == LL_WS_OP_TEXT) {
					p->msg_utf8 = ll_utf8_feed(p->msg_utf8, dst, n);
					if (p->msg_utf8 == LL_UTF8_REJECT) {
						*consumed = pos;
						return fail(p, LL_EUTF8);
					}
				}
			}
		}
		if (p->pay_done < p->h.length)
			break; /* all input used, the frame goes on */

		/* The frame is complete. Stop right after it if it makes an event. */
		p->in_payload = false;
		*consumed = pos;
		if (is_control(p->h.opcode)) {
			rc = finish_control(p, ev);
			if (rc < 0) {
				memset(ev, 0, sizeof(*ev)); /* no half-filled event on error */
				return fail(p, rc);
			}
			return rc;
		}
		if (!p->h.fin)
			continue;
		/* A code point cut off by the end of the message is invalid too. */
		if (p->msg_opcode == LL_WS_OP_TEXT && p->msg_utf8 != LL_UTF8_ACCEPT)
			return fail(p, LL_EUTF8);
		p->in_message = false;
		p->msg_delivered = true;
		p->msg[p->msg_len] = 0;
		ev->type = LL_WS_EV_MESSAGE;
		ev->opcode = p->msg_opcode;
		ev->data = p->msg;
		ev->len = p->msg_len;
		return 1;
	}
	*consumed = pos;
	return 0;
}

uint8_t *ll_ws_parser_take(struct ll_ws_parser *p)
{
	uint8_t *buf;

	if (!p->msg_delivered || !p->msg)
		return NULL;
	buf = p->msg;
	p->msg = NULL;
	p->msg_cap = 0;
	return buf;
}

unsigned ll_ws_parser_close_code(const struct ll_ws_parser *p)
{
	return p->err ? p->close_code : 0;
}
