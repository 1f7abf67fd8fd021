/*
 * leaklab/ws_conn.h - one WebSocket connection over a transport: read
 * messages, write messages, ping/pong, and the close handshake with a
 * deadline (Go's websocket.Conn; Node's WebSocket object).
 *
 * Threads: one thread reads (ll_ws_conn_recv); any number may write
 * (send, ping, close_start) at the same time, serialised by one writer lock,
 * as RFC 6455 frames must not interleave.
 *
 * Lifetime: the creator owns the connection and ends it with
 * ll_ws_conn_destroy(), which closes the socket at once and drops the
 * owner's reference. Other holders (a server's registry, a heartbeat timer)
 * take their own reference with ll_ws_conn_retain() and drop it with
 * ll_ws_conn_release(); the memory goes when the last reference does. A
 * connection whose owner never calls destroy keeps its socket and its
 * memory forever: that is the leak of case 01.
 */
#ifndef LEAKLAB_WS_CONN_H
#define LEAKLAB_WS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <leaklab/error.h>
#include <leaklab/transport.h>
#include <leaklab/ws_frame.h>

struct ll_ws_conn;

struct ll_ws_conn_opts {
	size_t max_message;   /* largest message accepted; 0 means 16 MiB (1009 beyond) */
	int close_timeout_ms; /* how long to wait for the peer's close reply; 0 means 2000 */
	int write_timeout_ms; /* deadline of one send; 0 means 5000 */
	bool recv_pongs;      /* if set, recv also returns pong frames (opcode PONG) */
};

/* A received message. data is NUL terminated beyond len; free it with ll_ws_msg_free. */
struct ll_ws_msg {
	uint8_t opcode; /* LL_WS_OP_TEXT, LL_WS_OP_BINARY, or LL_WS_OP_PONG with recv_pongs */
	uint8_t *data;
	size_t len;
};

/* Frees msg->data and zeroes msg. */
void ll_ws_msg_free(struct ll_ws_msg *msg);

/*
 * Makes a connection whose handshake is done. Takes ownership of t (also on
 * failure: t is destroyed). pre/pre_len are bytes already read past the
 * handshake (frames that arrived with it); they are copied. opts may be
 * NULL for the defaults. Besides the socket, a connection holds one fd of
 * its own (an eventfd that wakes its reader). Returns 0, LL_ENOMEM,
 * LL_ETOOBIG (pre_len over 16 KiB), or LL_EIO (no fd for the eventfd:
 * the process is at its fd limit).
 */
int ll_ws_conn_create(struct ll_ws_conn **out, struct ll_transport *t, enum ll_ws_role role,
		      const struct ll_ws_conn_opts *opts, const uint8_t *pre, size_t pre_len);

/*
 * Receives the next data message into *msg (the caller owns msg->data).
 * Blocks at most timeout_ms (< 0 forever) for a whole message. On the way
 * it answers pings with pongs (section 5.5.2) and handles the close
 * handshake. Returns:
 *   0             a message;
 *   LL_ETIMEDOUT  nothing complete in time; the connection is still fine;
 *   LL_ECLOSED    the connection is over: the peer sent close (answered,
 *                 code in ll_ws_conn_close_code), our own close handshake
 *                 finished or its deadline passed, or the stream ended
 *                 without a close frame (code 1006);
 *   LL_EPROTO / LL_EUTF8 / LL_ETOOBIG  the peer broke the protocol; a close
 *                 frame with 1002 / 1007 / 1009 was sent and the
 *                 connection is shut down;
 *   LL_EIO / LL_ETLS  the transport failed (a reset is LL_EIO); the
 *                 connection is shut down;
 *   LL_ENOMEM     a message could not be allocated; the connection is shut
 *                 down.
 * After any error but LL_ETIMEDOUT every further recv returns LL_ECLOSED.
 * While it waits with nothing to do, recv sleeps: only data, a close
 * started on another thread or the deadline wakes it.
 */
int ll_ws_conn_recv(struct ll_ws_conn *c, struct ll_ws_msg *msg, int timeout_ms);

/*
 * Sends one message as a single frame (masked if we are the client).
 * Blocks until the frame is written, at most write_timeout_ms. Thread-safe.
 * Returns 0, LL_ECLOSED (a close frame was already sent, the connection is
 * shut, or the peer is gone), LL_EINVAL (bad opcode, or text that is not
 * UTF-8), LL_ETIMEDOUT (not written in time), LL_EIO, LL_ETLS, or
 * LL_ENOMEM (a client's payload over 1 KiB is masked through a heap
 * buffer). A write that fails (LL_ETIMEDOUT, LL_EIO, LL_ETLS, or
 * LL_ECLOSED for a peer gone) shuts the connection down: a frame written
 * in part leaves the stream unusable.
 */
int ll_ws_conn_send(struct ll_ws_conn *c, uint8_t opcode, const void *data, size_t len);

/*
 * Sends one raw frame: any opcode, any FIN (for fragmentation, and for
 * tests that must send what send() would refuse). No UTF-8 check.
 * Thread-safe; the same returns as send but LL_EINVAL.
 */
int ll_ws_conn_send_frame(struct ll_ws_conn *c, uint8_t opcode, bool fin, const void *data,
			  size_t len);

/*
 * Sends a ping with up to 125 bytes of payload. Thread-safe. Returns what
 * send_frame does, or LL_EINVAL (payload over 125 bytes).
 */
int ll_ws_conn_ping(struct ll_ws_conn *c, const void *data, size_t len);

/*
 * Starts the close handshake: sends a close frame with code and reason (at
 * most 123 bytes) and arms the close deadline. Does not wait: the reader
 * (ll_ws_conn_recv) then discards data until the peer's close arrives or
 * the deadline passes, and returns LL_ECLOSED either way; a reader asleep
 * in recv is woken to wait for the deadline, which runs from when the
 * frame is out. Blocks while the frame is written (at most
 * write_timeout_ms). Thread-safe; a second call does
 * nothing. Returns 0, LL_ECLOSED (a close frame was already sent, or the
 * connection is shut or its peer gone), LL_EINVAL (code not sendable, or
 * reason over 123 bytes or not UTF-8), or LL_ETIMEDOUT / LL_EIO / LL_ETLS
 * (the frame could not be written; the connection is then shut down).
 */
int ll_ws_conn_close_start(struct ll_ws_conn *c, unsigned code, const char *reason);

/*
 * The whole close handshake on the reading thread: close_start(), then
 * read (discarding data) until the peer answers, the deadline passes or
 * the stream ends. Blocks at most write_timeout_ms + close_timeout_ms.
 * Returns:
 *   0             the peer answered with its close frame; the socket stays
 *                 up for ll_ws_conn_destroy(), whose teardown sends TLS
 *                 close_notify before the TCP close;
 *   LL_ETIMEDOUT  it never answered within close_timeout_ms (or the close
 *                 frame could not be written in time);
 *   LL_ECLOSED    the stream ended without a close frame (or the socket
 *                 was shut down), or a close frame was already sent;
 *   LL_EIO / LL_ETLS  the transport failed, e.g. the peer reset;
 *   LL_EPROTO / LL_EUTF8 / LL_ETOOBIG / LL_ENOMEM  as for recv;
 *   LL_EINVAL     code or reason not sendable (nothing was sent).
 * The fd is closed only by ll_ws_conn_destroy(), whatever this returns.
 */
int ll_ws_conn_close(struct ll_ws_conn *c, unsigned code, const char *reason);

/*
 * The echo loop of the kit's servers: sends every message back as it came
 * (same opcode and payload) until recv fails (the connection is over) or a
 * send does, and returns that error. recv answers pings and the close
 * handshake meanwhile. The caller still destroys c.
 */
int ll_ws_conn_echo(struct ll_ws_conn *c);

/*
 * After a close handshake that got the peer's close frame (ll_ws_conn_close
 * returned 0), waits up to timeout_ms for the peer to end the stream, as a
 * client should before it closes the socket itself (RFC 6455 section
 * 7.1.1), discarding anything that still arrives. *close_notified (may be
 * NULL) says whether a TLS peer ended its session with close_notify first.
 * On the reading thread. Returns 0 at the end of the stream, LL_ETIMEDOUT,
 * LL_EIO / LL_ETLS, or LL_EINVAL (no close frame received, or destroyed).
 */
int ll_ws_conn_wait_end(struct ll_ws_conn *c, int timeout_ms, bool *close_notified);

/*
 * Shuts the transport down at once: a blocked recv returns, later sends
 * fail with LL_ECLOSED. No close frame. Thread-safe, idempotent.
 */
void ll_ws_conn_shutdown(struct ll_ws_conn *c);

/*
 * The owner's end: closes the socket now (without a close frame if none
 * was exchanged: call ll_ws_conn_close first for a clean close) and drops
 * the owner's reference. The caller must not use c afterwards. NULL is a
 * no-op.
 */
void ll_ws_conn_destroy(struct ll_ws_conn *c);

/* Takes another reference; returns c. */
struct ll_ws_conn *ll_ws_conn_retain(struct ll_ws_conn *c);
/* Drops a reference taken with retain. NULL is a no-op. */
void ll_ws_conn_release(struct ll_ws_conn *c);

/*
 * True until the connection is shut down or a close frame was sent or
 * received, or recv reported its end. Any thread; never blocks.
 */
bool ll_ws_conn_is_open(struct ll_ws_conn *c);

/*
 * The close code received from the peer (1005 if its close frame had none,
 * 1006 if the stream ended with no close frame), or 0 while open.
 */
unsigned ll_ws_conn_close_code(struct ll_ws_conn *c);

/* A process-unique id (1, 2, 3, ...) for logs and registries. */
uint64_t ll_ws_conn_id(const struct ll_ws_conn *c);

/* An opaque pointer for the application; not owned. */
void ll_ws_conn_set_user(struct ll_ws_conn *c, void *user);
void *ll_ws_conn_user(const struct ll_ws_conn *c);

#endif
