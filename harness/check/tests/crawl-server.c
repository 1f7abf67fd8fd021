/*
 * crawl-server - an echo server that answers the first --answer-after
 * messages of each connection at once and every later one only after
 * --answer-ms (3 s by default): under the check's client deadline (5 s
 * natively), so no single wait gives up, yet a burst of 20 would take
 * half a minute. For the harness's own tests: a step has a deadline of its
 * own, and a check of this program ends on it within seconds, not one
 * deadline per message.
 */
#include <leaklab/app.h>

#include <time.h>

static long answer_after = 10;
static long answer_ms = 3000;

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;
	long n = 0;
	int err;

	(void)arg;
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		if (++n > answer_after) {
			struct timespec nap = {answer_ms / 1000, (answer_ms % 1000) * 1000000L};

			nanosleep(&nap, NULL);
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
	    {"answer-after", &answer_after, "messages of a connection answered at once"},
	    {"answer-ms", &answer_ms, "how long each later answer takes"},
	    {0},
	};
	static const struct ll_app app = {
	    .name = "crawl-server",
	    .summary = "Echo server that slows to one answer in seconds after a few messages.",
	    .handler = handle,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
