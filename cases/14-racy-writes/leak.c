/*
 * 14-racy-writes, racy variant. (The file is leak.c, as every case's is,
 * and its marker says LEAK: for the course's tools; what it has is not a
 * leak but a data race.)
 *
 * An echo server with a heartbeat, like case 03's, whose messages go out
 * through one message writer per connection. The writer streams a
 * message as fragments of at most --frame-bytes bytes each (RFC 6455
 * section 5.4), as gorilla/websocket's NextWriter flushes a frame every
 * time its buffer fills, so a long message is never held whole. Its
 * state is the message in progress: whether its first frame went out
 * (the next data frame is then a continuation).
 *
 * What goes wrong: two threads write on the connection, the handler
 * echoing and the heartbeat pinging, and both use the one writer with no
 * lock. Each frame is whole (the library's own writer lock sees to that),
 * but the message is not: a ping that comes between two fragments of an
 * echo clears the writer's started, and the echo's next fragment goes
 * out as the first frame of a new text message while the old one is
 * unfinished. That is a protocol error (section 5.4), so the client's
 * parser refuses the stream and closes with 1002. It happens only when the two threads meet, which
 * is why such a server passes a quiet test and fails under load. Go has
 * the same bug and a louder symptom: gorilla/websocket panics with
 * "concurrent write to websocket connection".
 *
 * The fix (fixed.c): the writer gets a lock, held for a whole message.
 *
 * Signals: under DRD, races on the writer's started field (a race
 * signal, judged as errors are); natively and under DRD, clients
 * that see a broken frame stream.
 */
#include <leaklab/app.h>
#include <leaklab/timer.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static long heartbeat_ms = 1000;
static long frame_bytes = 4096;

/* The one way this server writes a message on a connection: one per connection. */
struct writer {
	struct ll_ws_conn *conn; /* the handler's: it outlives the writer */
	pthread_mutex_t lock;	 /* one message at a time, first fragment to last */
	bool started;		 /* a message's first frame went out: data frames continue it */
};

/*
 * One frame: a data frame after the first of its message is a
 * continuation (RFC 6455 section 5.4), a control frame is itself; fin
 * ends the message. The state moves on before the frame is written:
 * whatever the write does, the message has begun.
 */
static int writer_frame(struct writer *w, uint8_t opcode, const uint8_t *data, size_t len, bool fin)
{
	if (opcode < LL_WS_OP_CLOSE && w->started)
		opcode = LL_WS_OP_CONT;
	w->started = !fin;
	return ll_ws_conn_send_frame(w->conn, opcode, fin, data, len);
}

/*
 * Sends one message, data messages in fragments of frame_bytes, a control
 * frame (a ping) in one piece as the RFC demands (section 5.5). Any thread
 * may call it. Returns 0 or ll_ws_conn_send_frame's error.
 */
static int send_message(struct writer *w, uint8_t opcode, const uint8_t *data, size_t len)
{
	size_t chunk = opcode >= LL_WS_OP_CLOSE ? len : frame_bytes > 0 ? (size_t)frame_bytes : 1;
	size_t off = 0;
	int err;

	/*
	 * LEAK: (a race) nothing keeps the heartbeat out between two
	 * fragments: a ping sent now clears started mid-message.
	 */
	w->started = false;
	do {
		size_t n = len - off < chunk ? len - off : chunk;

		err = writer_frame(w, opcode, data + off, n, off + n == len);
		off += n;
	} while (err == 0 && off < len);
	return err;
}

static void beat(void *arg)
{
	/* After the connection closed this fails with LL_ECLOSED: nothing to say. */
	send_message(arg, LL_WS_OP_PING, (const uint8_t *)"hb", 2);
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct writer *w = calloc(1, sizeof(*w));
	struct ll_timer *heartbeat = NULL;
	struct ll_ws_msg msg;

	(void)arg;
	if (!w)
		goto out_destroy_conn;
	w->conn = conn;
	if (pthread_mutex_init(&w->lock, NULL) != 0)
		goto out_free_writer;
	if (ll_timer_start(&heartbeat, (unsigned)heartbeat_ms, (unsigned)heartbeat_ms, beat, w) !=
	    0)
		goto out_destroy_lock;
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		int err = send_message(w, msg.opcode, msg.data, msg.len);

		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	/* Joins the heartbeat's thread: beat() never runs again, so w may go. */
	ll_timer_cancel(heartbeat);
out_destroy_lock:
	pthread_mutex_destroy(&w->lock);
out_free_writer:
	free(w);
out_destroy_conn:
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app_knob knobs[] = {
	    {"heartbeat-ms", &heartbeat_ms, "milliseconds between pings"},
	    {"frame-bytes", &frame_bytes, "largest fragment of a message, in bytes (1 or more)"},
	    {0},
	};
	static const struct ll_app app = {
	    .name = "14-racy-writes-leak",
	    .summary = "Echo server with a heartbeat; the writer is shared without a lock.",
	    .handler = handle,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
