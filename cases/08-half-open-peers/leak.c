/*
 * 08-half-open-peers, leaking variant.
 *
 * An echo server with a keepalive: every --ping-ms it pings the client
 * (RFC 6455 section 5.5.2), as the gorilla chat example's writePump does
 * every pingPeriod and the ws README's heartbeat does with ws.ping().
 *
 * What leaks: one thread and its socket for every peer that vanished
 * without closing its TCP connection (a laptop lid closed, a NAT entry
 * dropped, a cable pulled). No FIN ever arrives, so the read never ends.
 *
 * Why: the handler reads with no deadline. Its pings look like a liveness
 * check but prove nothing: writing to a half-open connection succeeds (the
 * kernel queues the bytes and retries for many minutes), and nobody looks
 * for the pongs. --pong-wait-ms is even parsed, and then never applied:
 * gorilla's pongWait constant without its SetReadDeadline.
 *
 * The fix (fixed.c): a read deadline of --pong-wait-ms, renewed by every
 * pong; a peer that stops answering is reaped when it passes.
 *
 * Signals: one thread and two fds (the socket and the eventfd that wakes
 * its reader) more per silent peer, which stay up while it stays silent;
 * at exit memcheck shows nothing more (the server's own shutdown closes
 * them), so the counts are what catch it.
 *
 * Output: ./build/bin/leaklab-check --case 08-half-open-peers --variant leak --native
 *   verdict: leak reproduced: threads +1.00/client, scales 2.0x; fds +2.00/client, scales 2.0x
 */
#include <leaklab/app.h>

#include <time.h>

static long ping_ms = 1000;
static long pong_wait_ms = 3000;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	long next_ping = now_ms() + ping_ms;
	struct ll_ws_msg msg;

	(void)arg;
	for (;;) {
		long now = now_ms();
		int err;

		if (now >= next_ping) {
			if (ll_ws_conn_ping(conn, "keepalive", 9) != 0)
				break;
			next_ping = now + ping_ms;
			continue;
		}
		/*
		 * LEAK: the only wake-up is the next ping; nothing ever gives up
		 * on a peer that stopped answering, so a half-open connection is
		 * read from, and pinged, forever.
		 */
		err = ll_ws_conn_recv(conn, &msg, (int)(next_ping - now));
		if (err == LL_ETIMEDOUT)
			continue;
		if (err)
			break;
		err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app_knob knobs[] = {
	    {"ping-ms", &ping_ms, "milliseconds between keepalive pings"},
	    {"pong-wait-ms", &pong_wait_ms,
	     "a peer that sends no pong for this long is reaped (the read deadline)"},
	    {0},
	};
	static const struct ll_app app = {
	    .name = "08-half-open-peers-leak",
	    .summary = "Echo server with keepalive pings and no read deadline.",
	    .handler = handle,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
