/*
 * leaklab/ws_frame.h - the RFC 6455 framing layer: frame headers, masking,
 * UTF-8 validation, close codes, and an incremental message parser that
 * assembles fragmented messages and reports every protocol error with the
 * close code the peer must be sent (RFC 6455 sections 5 and 7).
 *
 * Nothing here does I/O: bytes go in, events come out, so the parser can be
 * tested one byte at a time and fuzzed.
 */
#ifndef LEAKLAB_WS_FRAME_H
#define LEAKLAB_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ll_ws_opcode {
	LL_WS_OP_CONT = 0x0,
	LL_WS_OP_TEXT = 0x1,
	LL_WS_OP_BINARY = 0x2,
	LL_WS_OP_CLOSE = 0x8,
	LL_WS_OP_PING = 0x9,
	LL_WS_OP_PONG = 0xA,
};

/* Close codes of RFC 6455 section 7.4.1. */
enum ll_ws_close_code {
	LL_WS_CLOSE_NORMAL = 1000,
	LL_WS_CLOSE_GOING_AWAY = 1001,
	LL_WS_CLOSE_PROTOCOL_ERROR = 1002,
	LL_WS_CLOSE_UNSUPPORTED = 1003,
	LL_WS_CLOSE_NO_STATUS = 1005, /* never sent: no code in the close frame */
	LL_WS_CLOSE_ABNORMAL = 1006,  /* never sent: closed without a close frame */
	LL_WS_CLOSE_INVALID_DATA = 1007,
	LL_WS_CLOSE_POLICY = 1008,
	LL_WS_CLOSE_TOO_BIG = 1009,
	LL_WS_CLOSE_EXTENSION = 1010,
	LL_WS_CLOSE_INTERNAL = 1011,
};

enum ll_ws_role { LL_WS_SERVER, LL_WS_CLIENT };

/* Largest header: 2 + 8 (64-bit length) + 4 (mask). */
#define LL_WS_MAX_HEADER 14
/* Control frames carry at most 125 bytes (section 5.5). */
#define LL_WS_MAX_CONTROL 125

struct ll_ws_frame_header {
	bool fin;
	uint8_t rsv; /* the three RSV bits, as bits 2..0 */
	uint8_t opcode;
	bool masked;
	uint8_t mask[4];
	uint64_t length; /* payload length */
	size_t size;	 /* bytes the header itself took (2 to 14) */
};

/*
 * Decodes a frame header from buf. Returns the header size (> 0) and fills
 * h; LL_EAGAIN if len is too short for the whole header; LL_EPROTO if the
 * 64-bit length has its most significant bit set (RFC 6455 section 5.2).
 * A length in a longer encoding than needed is accepted. Opcode, RSV and
 * mask rules are checked by the parser, not here.
 */
int ll_ws_frame_header_decode(const uint8_t *buf, size_t len, struct ll_ws_frame_header *h);

/*
 * Encodes a header into out (at least LL_WS_MAX_HEADER bytes) using the
 * shortest length encoding. mask NULL means unmasked. Returns the size written.
 */
size_t ll_ws_frame_header_encode(uint8_t *out, bool fin, uint8_t opcode, uint64_t length,
				 const uint8_t *mask);

/*
 * XORs buf with mask in place, as if buf started offset bytes into the
 * payload (so a payload can be unmasked in pieces). Works a machine word at
 * a time. Masking twice restores the data.
 */
void ll_ws_mask(uint8_t *buf, size_t len, const uint8_t mask[4], uint64_t offset);

/*
 * The same, from src into dst (len bytes each; they may be the same buffer
 * but must not otherwise overlap): a copy and a mask in one pass over the
 * bytes, which is what receiving and sending a masked frame need.
 */
void ll_ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t mask[4],
		     uint64_t offset);

/*
 * Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). Start with state 0 (LL_UTF8_ACCEPT), feed
 * pieces; a message is valid when the final state is LL_UTF8_ACCEPT.
 * ll_utf8_feed returns the new state, or LL_UTF8_REJECT as soon as the
 * input cannot be valid whatever follows.
 */
#define LL_UTF8_ACCEPT 0u
#define LL_UTF8_REJECT 1u
uint32_t ll_utf8_feed(uint32_t state, const uint8_t *buf, size_t len);
bool ll_utf8_valid(const uint8_t *buf, size_t len);

/*
 * May this code be sent in a close frame (section 7.4)? 1000-1003,
 * 1007-1011 and 3000-4999 may; 1004-1006, 1015, 1012-2999 as reserved
 * here, and anything under 1000 or over 4999 may not.
 */
bool ll_ws_close_code_valid(unsigned code);

/* ----- the incremental parser ----- */

struct ll_ws_parser;

enum ll_ws_event_type {
	LL_WS_EV_MESSAGE, /* a complete text or binary message */
	LL_WS_EV_PING,
	LL_WS_EV_PONG,
	LL_WS_EV_CLOSE, /* close frame; code/reason decoded (1005 if no code) */
};

struct ll_ws_event {
	enum ll_ws_event_type type;
	uint8_t opcode; /* TEXT/BINARY for messages, the control opcode otherwise */
	uint8_t *data;	/* payload, unmasked; see ownership below */
	size_t len;
	unsigned close_code; /* LL_WS_EV_CLOSE only */
	const char
	    *reason; /* LL_WS_EV_CLOSE only: points into data, NUL terminated, len - 2 bytes */
};

/*
 * Creates a parser for frames arriving at the given role: a server parser
 * requires masked frames, a client parser requires unmasked ones.
 * max_message caps a reassembled message (0 means 16 MiB); a frame or
 * message announcing more is refused with 1009 before anything is
 * allocated for it. Returns 0 or LL_ENOMEM.
 */
int ll_ws_parser_create(struct ll_ws_parser **out, enum ll_ws_role role, size_t max_message);
void ll_ws_parser_destroy(struct ll_ws_parser *p);

/*
 * Feeds len bytes. Consumes input until one event is complete or the input
 * is used up, and stores how many bytes it consumed in *consumed (always,
 * also on error).
 * Returns:
 *   1  an event is in *ev. ev->data belongs to the parser and stays valid
 *      until the next call to feed or destroy; a caller that keeps a message
 *      takes it with ll_ws_parser_take() instead of copying it.
 *   0  all input consumed, no event yet: feed more.
 *   LL_EPROTO / LL_EUTF8 / LL_ETOOBIG  the stream is broken; the close code
 *      to send is ll_ws_parser_close_code(p) (1002, 1007 or 1009) and the
 *      parser refuses further input with the same error.
 *   LL_ENOMEM  a message buffer could not be allocated; the parser refuses
 *      further input with it too, and the close code is 1011.
 * Protocol errors detected: RSV bits set (no extension is negotiated),
 * reserved opcodes, a control frame over 125 bytes or not final, a
 * continuation with no message started, a new data frame inside a
 * fragmented message, a mask on the wrong side, a 1-byte close payload,
 * an invalid close code, a close reason or text message that is not UTF-8
 * (checked across fragments as they arrive: 1007).
 */
int ll_ws_parser_feed(struct ll_ws_parser *p, const uint8_t *data, size_t len, size_t *consumed,
		      struct ll_ws_event *ev);

/*
 * Hands the buffer of the message event just returned to the caller, who
 * frees it with ll_free(). It is NUL terminated beyond len (so text can be
 * printed). Returns NULL if the last event was not a message.
 */
uint8_t *ll_ws_parser_take(struct ll_ws_parser *p);

/* The close code for the last error (1002, 1007, 1009; 1011 after LL_ENOMEM), or 0. */
unsigned ll_ws_parser_close_code(const struct ll_ws_parser *p);

#endif
