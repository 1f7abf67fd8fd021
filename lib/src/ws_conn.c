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
 * the parser need no lock. What other threads may look at (is_open, the
 * close state) is atomic.
 *
 * Waking the reader. An idle reader sleeps in poll() with no timeout at
 * all, on its socket and on an eventfd of its own. A thread that starts the
 * close handshake arms the close deadline and then writes to the eventfd,
 * so the reader wakes once, sees the deadline and waits for it. Before, a
 * reader woke every 250 ms just in case: 4,000 wake-ups a second for 1,000
 * idle connections. The price is one more fd per connection.
 *
 * The read buffer. Small reads go into READ_BUF_MIN bytes on the reading
 * thread's stack, in a page its frames keep resident anyway, and only the
 * bytes of a frame not yet complete when recv returns move to the heap. A
 * heap buffer grows while reads fill it, and goes when reads are small
 * again. So an idle connection, fresh or after small messages, holds no
 * read buffer at all (it held 512 bytes, and 16 KiB before that).
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/ws_conn.h>

#include <openssl/rand.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

/*
 * The read buffer: READ_BUF_MIN on the stack to start with, doubled on the
 * heap (up to READ_BUF_MAX) each time a read fills it, back to the stack
 * when two reads in a row use a quarter of it or less. A stream of 4 KiB
 * messages settles at 8 KiB after two of them and then takes one read
 * each (with one small read allowed to end the buffer, a message's short
 * tail sent it back to the stack, and every 4 KiB message took four
 * reads: 512, 1024, 2048 and the rest); small messages never leave the
 * stack.
 */
#define READ_BUF_MIN	    512
#define READ_BUF_MAX	    (16 * 1024)
#define DEFAULT_MAX_MESSAGE (16u * 1024 * 1024)
/*
 * A frame with up to SMALL_FRAME bytes of payload is copied behind its
 * header on the stack and written in one call. The buffer is kept small
 * because every stack page a connection thread ever touches stays
 * resident for as long as the connection lives: at 4 KiB it cost each
 * idle connection a page more. Larger payloads go out with a gather write
 * (server) or are masked through MASK_CHUNK bytes of heap (client).
 */
#define SMALL_FRAME		 1024
#define MASK_CHUNK		 (64 * 1024)
#define DEFAULT_CLOSE_TIMEOUT_MS 2000
#define DEFAULT_WRITE_TIMEOUT_MS 5000
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
	uint8_t *rbuf;	     /* NULL, the heap, or recv's stack buffer while it runs */
	size_t rsize;	     /* bytes at rbuf */
	size_t rstart, rend; /* unparsed bytes in rbuf */
	size_t rlast, rprev; /* what the last read returned, and the one before */
	int end_err;	     /* why the reader finished: what ll_ws_conn_close reports */

	int wake_fd;		    /* eventfd: a write wakes the reader (see the top) */
	atomic_bool done;	    /* every further recv returns LL_ECLOSED; is_open reads it */
	atomic_bool shut;	    /* the transport was shut down */
	atomic_bool close_sent;	    /* we sent a close frame */
	atomic_bool close_received; /* the peer sent one */
	_Atomic int64_t close_deadline; /* when we stop waiting for the peer's close */
	atomic_uint close_code;		/* the peer's code, 1005 or 1006 */
	/* A close the reader is to send for ll__ws_conn_close_soon (see there). */
	atomic_bool close_pending;
	atomic_uint pending_code;
	_Atomic(const char *) pending_reason;
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
	if (pre_len > READ_BUF_MAX) {
		err = LL_ETOOBIG;
		goto out_free_conn;
	}
	/* Bytes that came with the handshake wait on the heap; else there is no buffer yet. */
	if (pre_len) {
		c->rsize = READ_BUF_MIN;
		while (c->rsize < pre_len)
			c->rsize *= 2;
		c->rbuf = ll_malloc(c->rsize);
		if (!c->rbuf) {
			err = LL_ENOMEM;
			goto out_free_conn;
		}
	}
	/* A server reads frames sent by clients, and a client frames sent by servers. */
	err = ll_ws_parser_create(&c->parser, role, c->opts.max_message);
	if (err)
		goto out_free_rbuf;
	/* Out of fds (EMFILE) is the likely failure: the caller's accept loop knows that one. */
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0) {
		err = errno == ENOMEM ? LL_ENOMEM : LL_EIO;
		goto out_destroy_parser;
	}
	/* pthread_mutex_init cannot fail on glibc with default attributes; POSIX allows it. */
	if (pthread_mutex_init(&c->wlock, NULL) != 0) {
		err = LL_ENOMEM;
		goto out_close_wake;
	}
	if (pthread_mutex_init(&c->tlock, NULL) != 0) {
		err = LL_ENOMEM;
		goto out_destroy_wlock;
	}
	if (pre_len)
		memcpy(c->rbuf, pre, pre_len);
	c->rend = pre_len;
	atomic_init(&c->refs, 1);
	c->id = atomic_fetch_add(&next_id, 1);
	c->role = role;
	c->t = t;
	ll__transport_set_wake(t, c->wake_fd);
	*out = c;
	return 0;

out_destroy_wlock:
	pthread_mutex_destroy(&c->wlock);
out_close_wake:
	close(c->wake_fd);
out_destroy_parser:
	ll_ws_parser_destroy(c->parser);
out_free_rbuf:
	ll_free(c->rbuf);
out_free_conn:
	ll_free(c);
out_destroy_transport:
	ll_transport_destroy(t);
	return err;
}

/* Wakes the reader if it waits: it then looks at the close state again. Any thread. */
static void wake_reader(struct ll_ws_conn *c)
{
	uint64_t one = 1;

	/* Non-blocking: a counter already at its maximum means a wake-up is due anyway. */
	if (write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* Nothing to do: see above. */
	}
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
	uint8_t head[LL_WS_MAX_HEADER + SMALL_FRAME];
	uint8_t mask[4];
	uint8_t *out = head;
	const uint8_t *mask_ptr = NULL;
	const uint8_t *p = data;
	size_t hlen, off, room;
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
	room = sizeof(head) - hlen;

	if (!mask_ptr && len > room) {
		/* A large unmasked payload goes out as it is, in one gather write with the header.
		 */
		err = ll__transport_write2(c->t, head, hlen, p, len, timeout);
		goto out;
	}
	if (len > room) {
		/*
		 * A client's large payload is masked through a heap buffer a
		 * piece at a time, since the caller's data is const and must not
		 * be copied whole. Nothing was written yet if this fails.
		 */
		room = len < MASK_CHUNK ? len : MASK_CHUNK;
		out = ll_malloc(hlen + room);
		if (!out)
			return LL_ENOMEM;
		memcpy(out, head, hlen);
	}
	/* Small frames go out in one write with their header. */
	off = 0;
	do {
		size_t n = len - off < room ? len - off : room;

		/* data may be NULL for an empty payload; a client's is masked as it is copied */
		if (n && mask_ptr)
			ll_ws_mask_copy(out + hlen, p + off, n, mask_ptr, off);
		else if (n)
			memcpy(out + hlen, p + off, n);
		err = ll_transport_write(c->t, out, hlen + n, ll__remaining(deadline));
		off += n;
		hlen = 0;
	} while (!err && off < len);
	if (out != head)
		ll_free(out);
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
 * Sends a close frame once; the caller holds wlock. code 0 sends an empty
 * close body (the answer to a close that carried no code, section 5.5.1).
 * Arms the close deadline and wakes the reader, which may be asleep in
 * poll() with no timeout: it must now wait for the deadline.
 */
static int send_close_locked(struct ll_ws_conn *c, unsigned code, const char *reason,
			     size_t reason_len, int timeout_ms)
{
	uint8_t payload[LL_WS_MAX_CONTROL];
	size_t len = 0;
	int err;

	if (atomic_load(&c->close_sent))
		return LL_ECLOSED;
	if (code) {
		payload[0] = (uint8_t)(code >> 8);
		payload[1] = (uint8_t)code;
		if (reason_len) /* memcpy from NULL is undefined even for 0 bytes */
			memcpy(payload + 2, reason, reason_len);
		len = 2 + reason_len;
	}
	/*
	 * The peer cannot answer a frame it has not been sent: behind a peer
	 * that reads slowly the write itself may wait, so the wait for the
	 * reply starts when the write ends (a failed write ends it then).
	 */
	atomic_store(&c->close_deadline,
		     ll__now_ms() + c->opts.write_timeout_ms + (int64_t)timeout_ms);
	atomic_store(&c->close_sent, true);
	err = write_frame_locked(c, LL_WS_OP_CLOSE, true, payload, len);
	atomic_store(&c->close_deadline, ll__now_ms() + (err ? 0 : (int64_t)timeout_ms));
	wake_reader(c);
	return err;
}

static int send_close(struct ll_ws_conn *c, unsigned code, const char *reason, size_t reason_len,
		      int timeout_ms)
{
	int err;

	pthread_mutex_lock(&c->wlock);
	err = send_close_locked(c, code, reason, reason_len, timeout_ms);
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

/* True if a small frame can be written now without waiting. The caller holds wlock. */
static bool writable_now(struct ll_ws_conn *c)
{
	struct pollfd p = {.fd = ll_transport_fd(c->t), .events = POLLOUT};

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLOUT | POLLERR | POLLHUP)) == POLLOUT;
}

void ll__ws_conn_close_soon(struct ll_ws_conn *c, unsigned code, const char *reason)
{
	bool sent = false;

	if (atomic_load(&c->close_sent))
		return;
	/*
	 * Write the frame here only if nothing can make us wait: no writer
	 * holds the lock (it may be stuck on a peer that stopped reading) and
	 * the socket has room.
	 */
	if (pthread_mutex_trylock(&c->wlock) == 0) {
		if (atomic_load(&c->close_sent)) {
			sent = true;
		} else if (c->t && !atomic_load(&c->shut) && writable_now(c)) {
			send_close_locked(c, code, reason, strlen(reason),
					  c->opts.close_timeout_ms);
			sent = true;
		}
		pthread_mutex_unlock(&c->wlock);
	}
	if (sent)
		return;
	/* Hand it to the reader; the deadline runs from now all the same. */
	atomic_store(&c->pending_code, code);
	atomic_store(&c->pending_reason, reason);
	atomic_store(&c->close_deadline, ll__now_ms() + c->opts.close_timeout_ms);
	atomic_store(&c->close_pending, true);
	wake_reader(c);
}

/* Ends the reader's side for good: the socket is shut and recv says closed. */
static int finish(struct ll_ws_conn *c, unsigned code, int err)
{
	unsigned none = 0;

	atomic_compare_exchange_strong(&c->close_code, &none, code);
	c->end_err = err;
	atomic_store(&c->done, true);
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
		/* Like every error but LL_ETIMEDOUT, this one ends the connection. */
		return msg->data ? 1 : finish(c, LL_WS_CLOSE_ABNORMAL, LL_ENOMEM);
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
		c->end_err = 0;
		atomic_store(&c->done, true);
		return LL_ECLOSED;
	}
	return 0;
}

/*
 * Sizes the read buffer for the next read (see READ_BUF_MIN): sbuf, recv's
 * on the stack, or a heap one twice as large as a read that filled the
 * last. The buffer is empty here, so nothing is copied. A failed
 * allocation keeps the old one.
 */
static void size_read_buffer(struct ll_ws_conn *c, uint8_t *sbuf)
{
	size_t want = c->rbuf ? c->rsize : READ_BUF_MIN;
	uint8_t *nb;

	if (c->rbuf && c->rlast == c->rsize && c->rsize < READ_BUF_MAX)
		want = c->rsize * 2;
	else if (c->rbuf && c->rsize > READ_BUF_MIN && c->rlast <= c->rsize / 4 &&
		 c->rprev <= c->rsize / 4)
		want = READ_BUF_MIN;
	if (want == READ_BUF_MIN) {
		if (c->rbuf != sbuf)
			ll_free(c->rbuf);
		c->rbuf = sbuf;
		c->rsize = READ_BUF_MIN;
		return;
	}
	if (want == c->rsize && c->rbuf != sbuf)
		return;
	nb = ll_malloc(want);
	if (!nb)
		return;
	if (c->rbuf != sbuf)
		ll_free(c->rbuf);
	c->rbuf = nb;
	c->rsize = want;
}

static int recv_frames(struct ll_ws_conn *c, struct ll_ws_msg *msg, int timeout_ms, uint8_t *sbuf);

int ll_ws_conn_recv(struct ll_ws_conn *c, struct ll_ws_msg *msg, int timeout_ms)
{
	uint8_t stack_buf[READ_BUF_MIN];
	int r;

	r = recv_frames(c, msg, timeout_ms, stack_buf);
	if (c->rbuf != stack_buf)
		return r;
	/* What is left of a frame waits for the next call on the heap. */
	c->rbuf = NULL;
	c->rsize = 0;
	if (c->rstart < c->rend) {
		size_t left = c->rend - c->rstart;

		c->rbuf = ll_malloc(READ_BUF_MIN);
		if (!c->rbuf) {
			ll_ws_msg_free(msg);
			c->rstart = c->rend = 0;
			return finish(c, LL_WS_CLOSE_ABNORMAL, LL_ENOMEM);
		}
		memcpy(c->rbuf, stack_buf + c->rstart, left);
		c->rsize = READ_BUF_MIN;
		c->rstart = 0;
		c->rend = left;
	} else {
		c->rstart = c->rend = 0;
	}
	return r;
}

/* ll_ws_conn_recv, with sbuf its READ_BUF_MIN bytes on the stack. */
static int recv_frames(struct ll_ws_conn *c, struct ll_ws_msg *msg, int timeout_ms, uint8_t *sbuf)
{
	int64_t deadline = ll__deadline(timeout_ms);

	memset(msg, 0, sizeof(*msg));
	for (;;) {
		struct ll_ws_event ev;
		int64_t wait_until, now;
		ssize_t n;
		int r;

		if (atomic_load(&c->done) || !c->t)
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
		/* A close another thread could not send without waiting is sent here. */
		if (atomic_load(&c->close_pending) && !atomic_load(&c->close_sent)) {
			const char *reason = atomic_load(&c->pending_reason);
			int64_t left = atomic_load(&c->close_deadline) - now;

			send_close(c, atomic_load(&c->pending_code), reason, strlen(reason),
				   left > 0 ? (int)left : 0);
		}
		wait_until = deadline;
		if (atomic_load(&c->close_sent)) {
			int64_t cd = atomic_load(&c->close_deadline);

			/* recv says closed; ll_ws_conn_close reports it as a timeout. */
			if (now >= cd) {
				finish(c, LL_WS_CLOSE_ABNORMAL, LL_ETIMEDOUT);
				return LL_ECLOSED;
			}
			if (cd < wait_until)
				wait_until = cd;
		}
		size_read_buffer(c, sbuf);
		n = ll_transport_read(c->t, c->rbuf, c->rsize, ll__remaining(wait_until));
		if (n > 0) {
			c->rend = (size_t)n;
			c->rprev = c->rlast;
			c->rlast = (size_t)n;
			continue;
		}
		if (n == LL_EAGAIN) {
			uint64_t v;

			/* Woken: drain the eventfd, then look at the close state again. */
			if (read(c->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: another read drained it first. */
			}
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
	/*
	 * recv discards data after our close and returns once the peer
	 * answers, the deadline passes or the stream fails; end_err says which.
	 */
	while ((err = ll_ws_conn_recv(c, &msg, -1)) == 0)
		ll_ws_msg_free(&msg);
	if (atomic_load(&c->close_received))
		return 0;
	return c->end_err ? c->end_err : LL_ECLOSED;
}

int ll_ws_conn_echo(struct ll_ws_conn *c)
{
	struct ll_ws_msg msg;
	int err;

	while ((err = ll_ws_conn_recv(c, &msg, -1)) == 0) {
		err = ll_ws_conn_send(c, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	return err;
}

int ll_ws_conn_wait_end(struct ll_ws_conn *c, int timeout_ms, bool *close_notified)
{
	int64_t deadline = ll__deadline(timeout_ms);
	uint8_t sink[256];
	ssize_t n;

	if (close_notified)
		*close_notified = false;
	if (!c || !c->t || !atomic_load(&c->close_received))
		return LL_EINVAL;
	/* Bytes left after the close frame were parsed already: only the end is awaited. */
	for (;;) {
		n = ll_transport_read(c->t, sink, sizeof(sink), ll__remaining(deadline));
		if (n == LL_EAGAIN) {
			uint64_t v;

			/* A wake-up meant for recv: drain it and wait on. */
			if (read(c->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: nothing to drain. */
			}
			continue;
		}
		if (n <= 0)
			break;
	}
	if (close_notified)
		*close_notified = ll_transport_close_notified(c->t);
	return n == 0 ? 0 : (int)n;
}

struct ll_ws_conn *ll_ws_conn_retain(struct ll_ws_conn *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void ll_ws_conn_release(struct ll_ws_conn *c)
{
	struct ll_transport *t;

	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	/*
	 * The last reference may go on another thread than the owner's (a
	 * server stopping drops its own after the handler destroyed the
	 * connection). The atomic count already orders this after every use
	 * of c, but DRD does not model atomics: taking tlock, which destroy
	 * took after the owner's last read and write, gives it the order too.
	 */
	pthread_mutex_lock(&c->tlock);
	t = c->t;
	pthread_mutex_unlock(&c->tlock);
	/* The owner may never have destroyed the transport. */
	ll_transport_destroy(t);
	ll_ws_parser_destroy(c->parser);
	ll_free(c->rbuf);
	close(c->wake_fd);
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
	       !atomic_load(&c->close_received) && !atomic_load(&c->done);
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

int ll__ws_conn_fd(struct ll_ws_conn *c)
{
	int fd;

	pthread_mutex_lock(&c->tlock);
	fd = c->t ? ll_transport_fd(c->t) : -1;
	pthread_mutex_unlock(&c->tlock);
	return fd;
}

void ll__ws_conn_serve(struct ll_ws_conn *c, void (*on_block)(void *arg), void *arg, bool hangup)
{
	/* c->t changes only in the owner's destroy, and the caller is the owner. */
	if (c->t)
		ll__transport_set_block_hook(c->t, on_block, arg, hangup);
}

bool ll__ws_conn_closing(struct ll_ws_conn *c)
{
	return atomic_load(&c->close_sent) || atomic_load(&c->close_pending);
}

bool ll__ws_conn_buffered(const struct ll_ws_conn *c)
{
	return c->rstart < c->rend;
}
