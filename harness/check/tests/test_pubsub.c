/*
 * test_pubsub.c - the names the slow-consumer support adds: the scenario
 * and the behaviour check "broadcast K" (their runs against real servers
 * are the end-to-end tests harness/slow-consumer/... and case 13's).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <leaklab/error.h>
#include <leaklab/ws_conn.h>

#include "drive/behaviour.h"
#include "check.h"
#include "drive/pubsub.h"
#include "drive/scenario.h"
#include "testserver.h"

static void test_scenario_name(void)
{
	enum lc_scenario_kind k = LC_SC_CONNECT_CLOSE;

	CHECK_EQ(lc_scenario_parse("slow-consumer", &k), 0);
	CHECK_EQ(k, LC_SC_SLOW_CONSUMER);
	CHECK_STR(lc_scenario_name(LC_SC_SLOW_CONSUMER), "slow-consumer");
	CHECK_EQ(lc_scenario_parse("slow-consumers", &k), LL_EINVAL);
}

static void test_parse_broadcast(void)
{
	struct lc_behaviour b;
	char why[256], text[200];

	CHECK_EQ(lc_behaviour_parse("broadcast 64", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.kind, LC_BH_BROADCAST);
	CHECK_EQ(b.number, 64);
	lc_behaviour_describe(&b, text, sizeof(text));
	CHECK(strstr(text, "64 messages") != NULL);
	CHECK_EQ(lc_behaviour_parse("broadcast", &b, why, sizeof(why)), LL_EINVAL);
	CHECK(strstr(why, "broadcast K") != NULL);
	CHECK_EQ(lc_behaviour_parse("broadcast 0", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("broadcast 5x", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("broadcast 10001", &b, why, sizeof(why)), LL_EINVAL);
}

/*
 * The prefill must outlast what the kernel takes in for a slow subscriber
 * before a server's send waits, and a fix's high-water mark after that
 * (case 13's is 256 KiB); each slow subscriber gets all of it.
 */
#define FIX_HIGH_WATER (256 * 1024)

static atomic_long absorbed = -1;

/* Sends 16 KiB messages until one waits past the write deadline: the peer reads nothing. */
static void send_until_stuck(struct ll_ws_conn *conn, void *arg)
{
	static char msg[LC_PUB_BYTES];
	long sent = 0;

	(void)arg;
	memset(msg, 'x', sizeof(msg));
	while (ll_ws_conn_send(conn, LL_WS_OP_TEXT, msg, sizeof(msg)) == 0)
		sent += (long)sizeof(msg);
	atomic_store(&absorbed, sent);
	ll_ws_conn_destroy(conn);
}

static void test_prefill_size(void)
{
	struct ll_ws_server_opts o = {
	    .host = "127.0.0.1", .handler = send_until_stuck, .conn = {.write_timeout_ms = 300}};
	struct running r;
	struct ll_ws_conn *c = NULL;
	bool at_connect = false;
	char why[256];
	long took;
	int i;

	CHECK(LC_PREFILL_BYTES % LC_PUB_BYTES == 0);
	start(&r, &o);
	CHECK_EQ(lc_pubsub_connect_slow("127.0.0.1", r.port, 5000, &c, NULL, &at_connect, why,
					sizeof(why)),
		 0);
	for (i = 0; i < 500 && atomic_load(&absorbed) < 0; i++)
		usleep(10 * 1000);
	took = atomic_load(&absorbed);
	printf("a slow subscriber took in %ld bytes before a send waited 300 ms\n", took);
	/* With loopback's own 64 KiB segments it took 2.9 MiB; with the small ones, some 80 KiB. */
	CHECK(took > 0);
	CHECK(took <= 256 * 1024);
	CHECK(LC_PREFILL_BYTES >= 2 * (took + FIX_HIGH_WATER));
	ll_ws_conn_destroy(c);
	stop(&r);
}

/* The drivers reach the slow-consumer scenario through the case scenarios, and only it. */
static void test_case_scenario(void)
{
	CHECK(lc_case_scenario_of(LC_SC_SLOW_CONSUMER) == &lc_pubsub_scenario);
	CHECK(lc_pubsub_scenario.one_client);
	/* The slow publishers share the slow subscribers' state and release. */
	CHECK(lc_case_scenario_of(LC_SC_SLOW_PUBLISHER) == &lc_pubsub_talking_scenario);
	CHECK(lc_pubsub_talking_scenario.one_client);
	CHECK(lc_pubsub_talking_scenario.release == lc_pubsub_scenario.release);
	CHECK(lc_case_scenario_of(LC_SC_CONNECT_CLOSE) == NULL);
	CHECK(lc_case_check_of(LC_BH_BROADCAST) == &lc_pubsub_broadcast);
	CHECK(lc_case_check_of(LC_BH_ECHO) == NULL);
}

/* Nothing listens on port 1 of 127.0.0.1: the slow subscriber says it could not connect. */
static void test_slow_connect_refused(void)
{
	struct ll_ws_conn *c = (struct ll_ws_conn *)1;
	bool at_connect = false;
	char why[256];

	CHECK_EQ(
	    lc_pubsub_connect_slow("127.0.0.1", 1, 1000, &c, NULL, &at_connect, why, sizeof(why)),
	    -1);
	CHECK(c == NULL);
	CHECK(at_connect);
	CHECK(strstr(why, "connect to 127.0.0.1:1") != NULL);
	CHECK_EQ(lc_pubsub_check("127.0.0.1", 1, 4, 1000, why, sizeof(why)), LL_EIO);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_scenario_name);
	RUN(test_parse_broadcast);
	RUN(test_prefill_size);
	RUN(test_case_scenario);
	RUN(test_slow_connect_refused);
	return check_finish();
}
