/*
 * ws_conn.c - one WebSocket connection: messages in and out, ping/pong and
 * the close handshake with a deadline (RFC 6455 sections 5 and 7).
 *
 * Locks. The writer lock (wlock) serialises frames, because two frames
 * written at once would interleave their bytes on the wire (section 5.1
 * leaves no room for that). The transport lock (tlock) guards only the
 * transport pointer itself, so ll_ws_conn_shutdown() from another thread
 * never waits behind a writer that is blocked on a full socket: shutting
 * the socket down is what unblocks that writer.
 *
 * Reading happens on one thread only (the owner's), so the read buffer and
 * the parser need no lock.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/ws_conn.h>

#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "internal.h"

#define READ_BUF_SIZE		 (16 * 1024)
#define DEFAULT_MAX_MESSAGE	 (16u * 1024 * 1024)
#define DEFAULT_CLOSE_TIMEOUT_MS 2000
#define DEFAULT_WRITE_TIMEOUT_MS 5000
/*
 * A reader waits in slices of at most this long, so that a close handshake
 * started by another thread (which arms the close deadline) is noticed even
 * when the peer sends nothing at all.
 */
#define READ_SLICE_MS 250
/* How long we try to tell a peer about its protocol error before giving up. */
#define ERROR_CLOSE_TIMEOUT_MS 1000

struct ll_ws_conn {
	atomic_int refs;
	uint64_t id;
	enum ll_ws_role role;
	struct ll_ws_conn_opts opts;

	pthread_mutex_t wlock;	/* one frame at a time; guards close_sent */
	pthread_mutex_t tlock;	/* guards the pointer t */
	struct ll_transport *t; /* NULL once the owner destroyed the connection */

	/* Reader state: owner thread only. */
	struct ll_ws_parser *parser;
	uint8_t *rbuf;
	size_t rstart, rend;
	bool done; /* every further recv returns LL_ECLOSED */

	atomic_bool shut;		/* the transport was shut down */
	atomic_bool close_sent;		/* we sent a close frame */
	atomic_bool close_received;	/* the peer sent one */
	_Atomic int64_t close_deadline; /* when we stop waiting for the peer's close */
	atomic_uint close_code;		/* the peer's code, 1005 or 1006 */
	void *user;
};

static atomic_uint_fast64_t next_id = 1;

void ll_ws_msg_free(struct ll_ws_msg *msg)
{
	if (!msg)
		return;
	ll_free(msg->data);
	memset(msg, 0, sizeof(*msg));
}

int ll_ws_conn_create(struct ll_ws_conn **out, struct ll_transport *t, enum ll_ws_role role,
		      const struct ll_ws_conn_opts *opts, const uint8_t *pre, size_t pre_len)
{
	struct ll_ws_conn *c;
	int err;

	*out = NULL;
	c = ll_calloc(1, sizeof(*c));
	if (!c) {
		err = LL_ENOMEM;
		goto out_destroy_transport;
	}
	if (opts)
		c->opts = *opts;
	if (c->opts.max_message == 0)
		c->opts.max_message = DEFAULT_MAX_MESSAGE;
	if (c->opts.close_timeout_ms <= 0)
		c->opts.close_timeout_ms = DEFAULT_CLOSE_TIMEOUT_MS;
	if (c->opts.write_timeout_ms <= 0)
		c->opts.write_timeout_ms = DEFAULT_WRITE_TIMEOUT_MS;
	/* The bytes that came with the handshake must fit the read buffer. */
	if (pre_len > READ_BUF_SIZE) {
		err = LL_ETOOBIG;
		goto out_free_conn;
	}
	c->rbuf = ll_malloc(READ_BUF_SIZE);
	if (!c->rbuf) {
		err = LL_ENOMEM;
		goto out_free_conn;
	}
	/* A server reads frames sent by clients, and a client frames sent by servers. */
	err = ll_ws_parser_create(&c->parser, role, c->opts.max_message);
	if (err)
		goto out_free_rbuf;
	if (pre_len)
		memcpy(c->rbuf, pre, pre_len);
	c->rend = pre_len;
	pthread_mutex_init(&c->wlock, NULL);
	pthread_mutex_init(&c->tlock, NULL);
	atomic_init(&c->refs, 1);
	c->id = atomic_fetch_add(&next_id, 1);
	c->role = role;
	c->t = t;
	*out = c;
	return 0;

out_free_rbuf:
	ll_free(c->rbuf);
out_free_conn:
	ll_free(c);
out_destroy_transport:
	ll_transport_destroy(t);
	return err;
}

void ll_ws_conn_shutdown(struct ll_ws_conn *c)
{
	pthread_mutex_lock(&c->tlock);
	if (c->t && !atomic_exchange(&c->shut, true))
		ll_transport_shutdown(c->t);
	pthread_mutex_unlock(&c->tlock);
}

/*
 * Writes one frame. The caller holds wlock, which also keeps c->t alive
 * (destroy takes wlock before it clears the pointer). A frame that failed
 * half-way leaves the stream corrupt, so any write error shuts it down.
 */
static int write_frame_locked(struct ll_ws_conn *c, uint8_t opcode, bool fin, const void *data,
			      size_t len)
{
	uint8_t head[LL_WS_MAX_HEADER + 4096];
	uint8_t mask[4];
	const uint8_t *mask_ptr = NULL;
	const uint8_t *p = data;
	size_t hlen, off;
	int timeout = c->opts.write_timeout_ms;
	int64_t deadline = ll__deadline(timeout);
	int err;

	if (!c->t || atomic_load(&c->shut))
		return LL_ECLOSED;
	/* Clients mask every frame with a fresh unpredictable key (section 5.3). */
	if (c->role == LL_WS_CLIENT) {
		if (RAND_bytes(mask, sizeof(mask)) != 1)
			return LL_ETLS;
		mask_ptr = mask;
	}
	hlen = ll_ws_frame_header_encode(head, fin, opcode, len, mask_ptr);

	if (!mask_ptr && len > sizeof(head) - hlen) {
		/* A large unmasked payload goes out as it is, after the header. */
		err = ll_transport_write(c->t, head, hlen, timeout);
		if (!err)
			err = ll_transport_write(c->t, p, len, ll__remaining(deadline));
		goto out;
	}
	/*
	 * Small frames go out in one write with their header. A client's payload
	 * is masked through the stack buffer a piece at a time, since the
	 * caller's data is const and must not be copied whole.
	 */
	off = 0;
	do {
		size_t room = sizeof(head) - hlen;
		size_t n = len - off < room ? len - off : room;

		/* data may be NULL for an empty payload; a client's is masked as it is copied */
		if (n && mask_ptr)
			ll_ws_mask_copy(head + hlen, p + off, n, mask_ptr, off);
		else if (n)
			memcpy(head + hlen, p + off, n);
		err = ll_transport_write(c->t, head, hlen + n, ll__remaining(deadline));
		off += n;
		hlen = 0;
	} while (!err && off < len);
out:
	if (err && !atomic_exchange(&c->shut, true))
		ll_transport_shutdown(c->t);
	return err;
}

int ll_ws_conn_send_frame(struct ll_ws_conn *c, uint8_t opcode, bool fin, const void *data,
			  size_t len)
{
	int err;

	pthread_mutex_lock(&c->wlock);
	if (atomic_load(&c->close_sent))
		err = LL_ECLOSED;
	else
		err = write_frame_locked(c, opcode, fin, data, len);
	pthread_mutex_unlock(&c->wlock);
	return err;
}

int ll_ws_conn_send(struct ll_ws_conn *c, uint8_t opcode, const void *data, size_t len)
{
	if (opcode != LL_WS_OP_TEXT && opcode != LL_WS_OP_BINARY)
		return LL_EINVAL;
	/* Section 8.1: a text message must be valid UTF-8; the peer would fail us with 1007. */
	if (opcode == LL_WS_OP_TEXT && !ll_utf8_valid(data, len))
		return LL_EINVAL;
	return ll_ws_conn_send_frame(c, opcode, true, data, len);
}

int ll_ws_conn_ping(struct ll_ws_conn *c, const void *data, size_t len)
{
	if (len > LL_WS_MAX_CONTROL)
		return LL_EINVAL;
	return ll_ws_conn_send_frame(c, LL_WS_OP_PING, true, data, len);
}

/*
 * Sends a close frame once. code 0 sends an empty close body (the answer to
 * a close that carried no code, section 5.5.1).
 */
static int send_close(struct ll_ws_conn *c, unsigned code, const char *reason, size_t reason_len,
		      int timeout_ms)
{
	uint8_t payload[LL_WS_MAX_CONTROL];
	size_t len = 0;
	int err;

	pthread_mutex_lock(&c->wlock);
	if (atomic_load(&c->close_sent)) {
		pthread_mutex_unlock(&c->wlock);
		return LL_ECLOSED;
	}
	if (code) {
		payload[0] = (uint8_t)(code >> 8);
		payload[1] = (uint8_t)code;
		if (reason_len) /* memcpy from NULL is undefined even for 0 bytes */
			memcpy(payload + 2, reason, reason_len);
		len = 2 + reason_len;
	}
	atomic_store(&c->close_deadline, ll__now_ms() + timeout_ms);
	atomic_store(&c->close_sent, true);
	err = write_frame_locked(c, LL_WS_OP_CLOSE, true, payload, len);
	pthread_mutex_unlock(&c->wlock);
	return err;
}

int ll_ws_conn_close_start(struct ll_ws_conn *c, unsigned code, const char *reason)
{
	size_t reason_len = reason ? strlen(reason) : 0;

	if (!ll_ws_close_code_valid(code) || reason_len > LL_WS_MAX_CONTROL - 2 ||
	    !ll_utf8_valid((const uint8_t *)reason, reason_len))
		return LL_EINVAL;
	return send_close(c, code, reason, reason_len, c->opts.close_timeout_ms);
}

/* Ends the reader's side for good: the socket is shut and recv says closed. */
static int finish(struct ll_ws_conn *c, unsigned code, int err)
{
	unsigned none = 0;

	atomic_compare_exchange_strong(&c->close_code, &none, code);
	c->done = true;
	ll_ws_conn_shutdown(c);
	return err;
}

/* The peer broke the protocol: tell it why (best effort), then hang up (section 7.1.7). */
static int fail_connection(struct ll_ws_conn *c, int err)
{
	unsigned code = ll_ws_parser_close_code(c->parser);

	send_close(c, code ? code : LL_WS_CLOSE_PROTOCOL_ERROR, NULL, 0, ERROR_CLOSE_TIMEOUT_MS);
	return finish(c, LL_WS_CLOSE_ABNORMAL, err);
}

static int copy_control(struct ll_ws_msg *msg, const struct ll_ws_event *ev)
{
	msg->data = ll_malloc(ev->len + 1);
	if (!msg->data)
		return LL_ENOMEM;
	memcpy(msg->data, ev->data, ev->len);
	msg->data[ev->len] = 0;
	msg->len = ev->len;
	msg->opcode = ev->opcode;
	return 0;
}

/*
 * Acts on one parsed event. Returns 1 if msg was filled, 0 to go on
 * reading, or a negative code to return from recv.
 */
static int handle_event(struct ll_ws_conn *c, struct ll_ws_event *ev, struct ll_ws_msg *msg)
{
	switch (ev->type) {
	case LL_WS_EV_MESSAGE:
		/* After our close frame the peer's data no longer matters (section 1.4). */
		if (atomic_load(&c->close_sent))
			return 0;
		msg->opcode = ev->opcode;
		msg->len = ev->len;
		msg->data = ll_ws_parser_take(c->parser);
		return msg->data ? 1 : LL_ENOMEM;
	case LL_WS_EV_PING:
		/* Section 5.5.2: answer with a pong carrying the same payload. */
		if (!atomic_load(&c->close_sent))
			ll_ws_conn_send_frame(c, LL_WS_OP_PONG, true, ev->data, ev->len);
		return 0;
	case LL_WS_EV_PONG:
		if (!c->opts.recv_pongs)
			return 0;
		/*
		 * A pong we cannot hand over ends the connection, as a failed
		 * allocation in the parser does: recv promises that after any
		 * error but LL_ETIMEDOUT the connection is over. Returning
		 * LL_ENOMEM alone left it open (found by test_fault).
		 */
		if (copy_control(msg, ev) != 0)
			return finish(c, LL_WS_CLOSE_ABNORMAL, LL_ENOMEM);
		return 1;
	case LL_WS_EV_CLOSE:
		atomic_store(&c->close_received, true);
		atomic_store(&c->close_code, ev->close_code);
		/*
		 * Section 5.5.1: answer a close with a close, echoing the code; a
		 * close without a code is answered without one. The server then
		 * closes the TCP connection first (section 7.1.1).
		 */
		if (!atomic_load(&c->close_sent)) {
			unsigned code =
			    ev->close_code == LL_WS_CLOSE_NO_STATUS ? 0 : ev->close_code;

			send_close(c, code, NULL, 0, c->opts.close_timeout_ms);
		}
		/*
		 * A clean end: recv says closed from now on, but the socket is
		 * left up for the owner's ll_ws_conn_destroy(), whose orderly
		 * teardown sends TLS close_notify (RFC 8446 section 6.1) before
		 * the TCP close. Shutting it down here would skip that.
		 */
		c->done = true;
		return LL_ECLOSED;
	}
	return 0;
}

int ll_ws_conn_recv(struct ll_ws_conn *c, struct ll_ws_msg *msg, int timeout_ms)
{
	int64_t deadline = ll__deadline(timeout_ms);

	memset(msg, 0, sizeof(*msg));
	for (;;) {
		struct ll_ws_event ev;
		int64_t wait_until, now;
		ssize_t n;
		int r;

		if (c->done || !c->t)
			return LL_ECLOSED;
		while (c->rstart < c->rend) {
			size_t used = 0;

			r = ll_ws_parser_feed(c->parser, c->rbuf + c->rstart, c->rend - c->rstart,
					      &used, &ev);
			c->rstart += used;
			if (r == LL_ENOMEM)
				return finish(c, LL_WS_CLOSE_ABNORMAL, r);
			if (r < 0)
				return fail_connection(c, r);
			if (r == 0)
				break;
			r = handle_event(c, &ev, msg);
			if (r != 0)
				return r > 0 ? 0 : r;
		}
		c->rstart = c->rend = 0;

		now = ll__now_ms();
		wait_until = deadline;
		if (atomic_load(&c->close_sent)) {
			int64_t cd = atomic_load(&c->close_deadline);

			if (now >= cd)
				return finish(c, LL_WS_CLOSE_ABNORMAL, LL_ECLOSED);
			if (cd < wait_until)
				wait_until = cd;
		} else if (now + READ_SLICE_MS < wait_until) {
			wait_until = now + READ_SLICE_MS;
		}
		n = ll_transport_read(c->t, c->rbuf, READ_BUF_SIZE, ll__remaining(wait_until));
		if (n > 0) {
			c->rend = (size_t)n;
			continue;
		}
		if (n == 0) /* the stream ended: without a close frame that is 1006 */
			return finish(c, LL_WS_CLOSE_ABNORMAL, LL_ECLOSED);
		if (n != LL_ETIMEDOUT)
			return finish(c, LL_WS_CLOSE_ABNORMAL, (int)n);
		if (ll__now_ms() >= deadline)
			return LL_ETIMEDOUT;
	}
}

int ll_ws_conn_close(struct ll_ws_conn *c, unsigned code, const char *reason)
{
	struct ll_ws_msg msg;
	int err = ll_ws_conn_close_start(c, code, reason);

	if (err)
		return err;
	/* recv discards data after our close and returns once the peer answers or time is up. */
	/* recv has shut the socket down on every way out but a clean one (see handle_event). */
	while ((err = ll_ws_conn_recv(c, &msg, -1)) == 0)
		ll_ws_msg_free(&msg);
	return atomic_load(&c->close_received) ? 0 : LL_ETIMEDOUT;
}

struct ll_ws_conn *ll_ws_conn_retain(struct ll_ws_conn *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void ll_ws_conn_release(struct ll_ws_conn *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	/* The last reference: the owner may never have destroyed the transport. */
	ll_transport_destroy(c->t);
	ll_ws_parser_destroy(c->parser);
	ll_free(c->rbuf);
	pthread_mutex_destroy(&c->wlock);
	pthread_mutex_destroy(&c->tlock);
	ll_free(c);
}

void ll_ws_conn_destroy(struct ll_ws_conn *c)
{
	struct ll_transport *t;

	if (!c)
		return;
	/*
	 * Taking wlock waits for a writer on another thread to finish its frame;
	 * after that nobody can reach the transport through c.
	 */
	pthread_mutex_lock(&c->wlock);
	pthread_mutex_lock(&c->tlock);
	t = c->t;
	c->t = NULL;
	pthread_mutex_unlock(&c->tlock);
	pthread_mutex_unlock(&c->wlock);
	ll_transport_destroy(t);
	ll_ws_conn_release(c);
}

bool ll_ws_conn_is_open(struct ll_ws_conn *c)
{
	return !atomic_load(&c->shut) && !atomic_load(&c->close_sent) &&
	       !atomic_load(&c->close_received) && !c->done;
}

unsigned ll_ws_conn_close_code(struct ll_ws_conn *c)
{
	return atomic_load(&c->close_code);
}

uint64_t ll_ws_conn_id(const struct ll_ws_conn *c)
{
	return c->id;
}

void ll_ws_conn_set_user(struct ll_ws_conn *c, void *user)
{
	c->user = user;
}

void *ll_ws_conn_user(const struct ll_ws_conn *c)
{
	return c->user;
}
