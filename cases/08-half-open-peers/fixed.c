/*
 * 08-half-open-peers, fixed variant.
 *
 * An echo server with a keepalive: every --ping-ms it pings the client
 * (RFC 6455 section 5.5.2), as the gorilla chat example's writePump does
 * every pingPeriod and the ws README's heartbeat does with ws.ping().
 *
 * What leaked (leak.c): a peer that vanished without a FIN (a laptop lid
 * closed, a NAT entry dropped, a cable pulled) never answers again, but the
 * server's pings still "succeed": the kernel takes the bytes and waits. The
 * handler read with no deadline, so it waited for that peer forever, with
 * its thread and its socket.
 *
 * The fix: a read deadline, renewed by every pong (gorilla's
 * SetReadDeadline(pongWait) and its SetPongHandler). A peer that answers
 * pings keeps pushing the deadline out and stays connected as long as it
 * likes; one that stops answering for --pong-wait-ms is reaped: the handler
 * leaves its loop and destroys the connection. --ping-ms must be shorter
 * than --pong-wait-ms, so a live peer has a ping to answer before its
 * deadline (gorilla uses pingPeriod = pongWait * 9 / 10).
 *
 * Signals: threads and fds return to the baseline once the silent peers'
 * deadline has passed; memcheck reports nothing lost at exit.
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
	/* FIX: the read deadline: the peer must show it is alive by then. */
	long deadline = now_ms() + pong_wait_ms;
	struct ll_ws_msg msg;

	(void)arg;
	for (;;) {
		long now = now_ms();
		long wake = next_ping < deadline ? next_ping : deadline;
		int err;

		/* FIX: no pong within pong-wait-ms: the peer is gone, reap it. */
		if (now >= deadline)
			break;
		if (now >= next_ping) {
			if (ll_ws_conn_ping(conn, "keepalive", 9) != 0)
				break;
			next_ping = now + ping_ms;
			continue;
		}
		err = ll_ws_conn_recv(conn, &msg, (int)(wake - now));
		if (err == LL_ETIMEDOUT)
			continue;
		if (err)
			break;
		if (msg.opcode == LL_WS_OP_PONG) {
			/* FIX: a pong proves the peer is there: renew its deadline. */
			deadline = now_ms() + pong_wait_ms;
			ll_ws_msg_free(&msg);
			continue;
		}
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
	    .name = "08-half-open-peers-fixed",
	    .summary = "Echo server with keepalive pings and a read deadline renewed by pongs.",
	    .handler = handle,
	    .knobs = knobs,
	    /* FIX: hand pongs to the handler, which renews the deadline on each. */
	    .conn = {.recv_pongs = true},
	};

	return ll_app_main(&app, argc, argv);
}
