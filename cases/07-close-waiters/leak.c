/*
 * 07-close-waiters, leaking variant.
 *
 * An echo server that ends conversations itself: when a client sends
 * "close", or stays quiet for --idle-ms, the server starts the close
 * handshake (RFC 6455 section 7.1.2: send a close frame, wait for the
 * peer's, then close the TCP connection; section 7.1.1 asks the server to
 * be the one that closes TCP).
 *
 * What leaks: every peer that never answers the server's close frame
 * keeps a waiter thread and its socket, for as long as the process runs.
 *
 * Why: the handler hands the close to a waiter thread of its own, detached
 * so that nobody has to join it, and returns at once. The waiter writes the
 * close frame itself, as a raw frame, so the connection never learns that
 * it is closing: its closing flag stays unset and its close deadline is
 * never armed. Then it reads until the peer's close frame comes, with no
 * deadline of its own either. A well-behaved peer answers at once; one
 * that is gone without a FIN, or buggy, or hostile, never does. (The
 * --close-ms knob is there, unused.) Uber's study of Go leaks calls this
 * shape a timeout where the waiter is stranded.
 *
 * The fix (fixed.c): the connection's own close handshake (one closing
 * flag, a deadline for the reply) on the handler's own thread, which the
 * server joins.
 *
 * Signals: one thread and two fds (the socket and the eventfd that wakes
 * its reader) more per peer that never answers. A peer that goes away at
 * last ends its waiter, so at exit memcheck may see nothing: the live
 * counts are the signal.
 *
 * Output: ./build/bin/leaklab-check --case 07-close-waiters --variant leak --native
 *   verdict: leak reproduced: threads +1.00/client, scales 2.0x; fds +2.00/client, scales 2.0x
 */
#include <leaklab/app.h>

#include <pthread.h>
#include <stdint.h>
#include <string.h>

static long idle_ms = 30000;
static long close_ms = 2000;

/*
 * The server's side of the close handshake: our close frame, then wait
 * for the peer's close frame (data that comes first is dropped), then
 * destroy the connection. Owns conn.
 */
static void *close_and_wait(void *arg)
{
	struct ll_ws_conn *conn = arg;
	static const uint8_t bye[] = {0x03, 0xe8, 'b', 'y', 'e'}; /* 1000 (section 5.5.1), "bye" */
	struct ll_ws_msg msg;

	/* LEAK: a close frame the connection knows nothing about: no close deadline is armed. */
	ll_ws_conn_send_frame(conn, LL_WS_OP_CLOSE, true, bye, sizeof(bye));
	/* LEAK: and no deadline here: a peer that never answers keeps this thread forever. */
	while (ll_ws_conn_recv(conn, &msg, -1) == 0)
		ll_ws_msg_free(&msg);
	ll_ws_conn_destroy(conn);
	return NULL;
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;
	pthread_t waiter;
	int err;

	(void)arg;
	for (;;) {
		err = ll_ws_conn_recv(conn, &msg, (int)idle_ms);
		if (err == LL_ETIMEDOUT)
			break; /* idle for too long: the server closes */
		if (err) {
			/* The peer closed (already answered) or vanished: nothing to wait for. */
			ll_ws_conn_destroy(conn);
			return;
		}
		if (msg.len == 5 && memcmp(msg.data, "close", 5) == 0) {
			ll_ws_msg_free(&msg);
			break;
		}
		err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
		if (err) {
			ll_ws_conn_destroy(conn);
			return;
		}
	}
	/* LEAK: a detached waiter per connection, so this thread can return at once. */
	if (pthread_create(&waiter, NULL, close_and_wait, conn) == 0)
		pthread_detach(waiter);
	else
		close_and_wait(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app_knob knobs[] = {
	    {"idle-ms", &idle_ms, "close a connection quiet for this long"},
	    {"close-ms", &close_ms, "how long to wait for the peer's close reply"},
	    {0},
	};
	static const struct ll_app app = {
	    .name = "07-close-waiters-leak",
	    .summary = "Echo server that closes on \"close\" or when idle, "
		       "waiting for the reply on a thread of its own.",
	    .handler = handle,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
