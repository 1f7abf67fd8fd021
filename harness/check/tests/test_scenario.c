/*
 * test_scenario.c - the names of every scenario; every generic scenario
 * driven against a real server, whose connections must all be gone after
 * it (the server's own count back at 0); the behaviour checks' parser for
 * "upgrade PATH => STATUS"; that reset-unread makes the server's send
 * fail; that silent-start and silent-connect hold their peers; and that a
 * step ends on its own deadline. The scenarios with servers of their own
 * are driven in their own tests: slow-consumer and slow-publisher in
 * test_pubsub.c, shutdown in test_shutdown.c, tls and tls-bad, bad-token
 * and fault-walk by the end-to-end tests (CMakeLists.txt) against the
 * cases that need them.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <leaklab/error.h>
#include <leaklab/ws_server.h>

#include "drive/behaviour.h"
#include "check.h"
#include "drive/scenario.h"
#include "testserver.h"

static void test_scenario_names(void)
{
	static const char *const names[] = {
	    "connect-close", "connect-drop",   "silent-peer",	"no-close-reply", "burst",
	    "bad-handshake", "request",	       "bad-token",	"fault-walk",	  "tls",
	    "tls-bad",	     "reset-unread",   "slow-consumer", "shutdown",	  "silent-start",
	    "burst-large",   "silent-connect", "slow-publisher"};
	enum lc_scenario_kind k;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK_EQ(lc_scenario_parse(names[i], &k), 0);
		CHECK_STR(lc_scenario_name(k), names[i]);
	}
	CHECK_EQ(lc_scenario_parse("tls-", &k), LL_EINVAL);
	CHECK_EQ(lc_scenario_parse("", &k), LL_EINVAL);
	CHECK_STR(lc_scenario_name((enum lc_scenario_kind)99), "?");
}

/* An echo handler that counts how its connections end. */
static atomic_int send_failed, recv_ended;

static void counting_echo(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;

	(void)arg;
	for (;;) {
		int err = ll_ws_conn_recv(conn, &msg, 5000);

		if (err) {
			atomic_fetch_add(&recv_ended, 1);
			break;
		}
		err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
		if (err) {
			atomic_fetch_add(&send_failed, 1);
			break;
		}
	}
	ll_ws_conn_destroy(conn);
}

static long ended(void)
{
	return atomic_load(&send_failed) + atomic_load(&recv_ended);
}

/* reset-unread clients end their connections on the server's failed send. */
static void test_reset_unread(void)
{
	static const struct lc_client plain = {0};
	struct ll_ws_server_opts opts = {.handler = counting_echo};
	struct timespec nap = {0, 5000000};
	struct lc_drive_result res = {0};
	struct lc_scenario sc = {
	    .kind = LC_SC_RESET_UNREAD,
	    .client = &plain,
	    .host = "127.0.0.1",
	    .timeout_ms = 3000,
	    .concurrency = 4,
	};
	struct lc_held held;
	struct running r;
	int tries;

	atomic_store(&send_failed, 0);
	atomic_store(&recv_ended, 0);
	CHECK_EQ(lc_scenario_parse("reset-unread", &sc.kind), 0);
	CHECK_EQ(lc_held_init(&held), 0);
	start(&r, &opts);
	sc.port = r.port;
	CHECK_EQ(lc_drive(&sc, 12, &held, NULL, NULL, 0, &res), 0);
	CHECK_EQ(res.ok, 12);
	CHECK_EQ(res.failed, 0);
	for (tries = 0; tries < 200 && ended() < 12; tries++)
		nanosleep(&nap, NULL);
	/*
	 * Every connection ended; most on the failed send (9 to 12 of 12 in
	 * runs on a loaded machine), a few on a read that saw the reset first.
	 */
	CHECK_EQ(ended(), 12);
	CHECK(atomic_load(&send_failed) >= 4);
	stop(&r);
	lc_held_destroy(&held);
}

/* silent-start and silent-connect hold their peers, upgraded or bare, none of them a word. */
static void test_silent_start(void)
{
	static const struct lc_client plain = {0};
	struct ll_ws_server_opts opts = {.handler = counting_echo};
	struct lc_drive_result res = {0};
	struct lc_scenario sc = {
	    .client = &plain,
	    .host = "127.0.0.1",
	    .timeout_ms = 3000,
	    .concurrency = 2,
	};
	struct lc_held held;
	struct running r;

	CHECK_EQ(lc_scenario_parse("silent-start", &sc.kind), 0);
	CHECK_EQ(lc_held_init(&held), 0);
	start(&r, &opts);
	sc.port = r.port;
	CHECK_EQ(lc_drive(&sc, 6, &held, NULL, NULL, 0, &res), 0);
	CHECK_EQ(res.ok, 6);
	CHECK_EQ(lc_held_count(&held), 6);
	CHECK_EQ(held.len, 6);
	/* silent-connect: bare sockets, never an upgrade. */
	CHECK_EQ(lc_scenario_parse("silent-connect", &sc.kind), 0);
	CHECK_EQ(lc_drive(&sc, 3, &held, NULL, NULL, 0, &res), 0);
	CHECK_EQ(res.ok, 9);
	CHECK_EQ(lc_held_count(&held), 9);
	CHECK_EQ(held.nfds, 3);
	lc_held_destroy(&held);
	stop(&r);
}

/* Answers two messages of a connection at once, then one every 400 ms. */
static void crawling_echo(struct ll_ws_conn *conn, void *arg)
{
	struct timespec nap = {0, 400000000};
	struct ll_ws_msg msg;
	int n = 0, err = 0;

	(void)arg;
	while (!err && ll_ws_conn_recv(conn, &msg, 5000) == 0) {
		if (++n > 2)
			nanosleep(&nap, NULL);
		err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
	}
	ll_ws_conn_destroy(conn);
}

/*
 * A step has a deadline of its own: a burst of 20 against a server that
 * answers one message in 400 ms would take 7 s, each wait well under the
 * client deadline (3 s); with a step deadline of 1 s it ends in about 1 s,
 * its client failed, saying how far it got.
 */
static void test_step_deadline(void)
{
	static const struct lc_client plain = {0};
	struct ll_ws_server_opts opts = {.handler = crawling_echo};
	struct lc_drive_result res = {0};
	struct lc_scenario sc = {
	    .kind = LC_SC_BURST,
	    .client = &plain,
	    .host = "127.0.0.1",
	    .timeout_ms = 3000,
	    .step_ms = 1000,
	    .concurrency = 1,
	};
	struct lc_held held;
	struct running r;
	struct timespec t0, t1;
	long ms;

	CHECK_EQ(lc_held_init(&held), 0);
	start(&r, &opts);
	sc.port = r.port;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(lc_drive(&sc, 20, &held, NULL, NULL, 0, &res), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
	CHECK_EQ(res.ok, 0);
	CHECK_EQ(res.failed, 1);
	CHECK_EQ(res.overran, 1);
	CHECK(strstr(res.overran_error, "ran past its deadline of 1 s") != NULL);
	CHECK(ms >= 900 && ms < 2000);
	lc_held_destroy(&held);
	stop(&r);
}

/*
 * Each generic scenario against the counting echo server: every unit
 * served without a failure, and once the held clients are let go, no
 * connection left on the server.
 */
static void test_generic_scenarios(void)
{
	static const struct lc_client plain = {0};
	static const struct {
		enum lc_scenario_kind kind;
		long ok; /* clients that ended well, of 6 units (a burst sends its 6 on one) */
	} table[] = {
	    {LC_SC_CONNECT_CLOSE, 6},  {LC_SC_CONNECT_DROP, 6},	  {LC_SC_SILENT_PEER, 6},
	    {LC_SC_NO_CLOSE_REPLY, 6}, {LC_SC_BURST, 1},	  {LC_SC_BAD_HANDSHAKE, 6},
	    {LC_SC_REQUEST, 6},	       {LC_SC_RESET_UNREAD, 6},	  {LC_SC_SILENT_START, 6},
	    {LC_SC_BURST_LARGE, 1},    {LC_SC_SILENT_CONNECT, 6},
	};
	struct ll_ws_server_opts opts = {.handler = counting_echo};
	struct timespec nap = {0, 5000000};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct lc_drive_result res = {0};
		struct lc_scenario sc = {
		    .kind = table[i].kind,
		    .client = &plain,
		    .host = "127.0.0.1",
		    .timeout_ms = 3000,
		    .concurrency = 3,
		    .request = "hello",
		};
		struct lc_held held;
		struct running r;
		int tries;

		fprintf(stderr, "   %s\n", lc_scenario_name(sc.kind));
		CHECK_EQ(lc_held_init(&held), 0);
		start(&r, &opts);
		sc.port = r.port;
		CHECK_EQ(lc_drive(&sc, 6, &held, NULL, NULL, 0, &res), 0);
		CHECK_EQ(res.failed, 0);
		CHECK_EQ(res.connect_failed, 0);
		CHECK_EQ(res.ok, table[i].ok);
		lc_held_release(&held, &sc, &res);
		for (tries = 0; tries < 400 && ll_ws_server_conn_count(r.srv) > 0; tries++)
			nanosleep(&nap, NULL);
		CHECK_EQ(ll_ws_server_conn_count(r.srv), 0);
		stop(&r);
		lc_held_destroy(&held);
	}
}

static void test_upgrade_behaviour(void)
{
	struct lc_behaviour b;
	char why[256], text[300];

	CHECK_EQ(lc_behaviour_parse("upgrade /?id=alice&token=00 => 401", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.kind, LC_BH_UPGRADE);
	CHECK_STR(b.text, "/?id=alice&token=00");
	CHECK_EQ(b.number, 401);
	lc_behaviour_describe(&b, text, sizeof(text));
	CHECK_STR(text, "upgrade: \"/?id=alice&token=00\" is answered HTTP 401");
	CHECK_EQ(lc_behaviour_parse("upgrade /?ok => 101", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.number, 101);

	/* No path, a path that is not one, no status, a status out of range. */
	CHECK_EQ(lc_behaviour_parse("upgrade => 401", &b, why, sizeof(why)), LL_EINVAL);
	CHECK(strstr(why, "upgrade PATH => STATUS") != NULL);
	CHECK_EQ(lc_behaviour_parse("upgrade x => 401", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("upgrade /a b => 401", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("upgrade /a =>", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("upgrade /a => 4o1", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("upgrade /a => 99", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("upgrade /a => 600", &b, why, sizeof(why)), LL_EINVAL);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_scenario_names);
	RUN(test_generic_scenarios);
	RUN(test_upgrade_behaviour);
	RUN(test_reset_unread);
	RUN(test_silent_start);
	RUN(test_step_deadline);
	return check_finish();
}
