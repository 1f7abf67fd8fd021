/*
 * test_fault.c - fault injection, the way SQLite proves its error paths:
 * make the nth allocation of the library fail, for n = 1, 2, 3, ... until
 * the operation needs fewer than n allocations and so runs clean, and
 * check at every n that the failure came back as a clean error code
 * (never a crash, a hang or a wrong answer) and that the server keeps
 * serving. Leaks at any n are caught by the memcheck run of this program
 * (lost bytes, fds left open) and by LeakSanitizer under the asan preset;
 * natively, threads and fds are compared with a baseline after every n.
 *
 * The operations: the handshake functions (text in, text out); a real
 * server with a real client connecting; a message round trip (ping, a
 * fragmented message and its echo); and a whole wss server life: TLS
 * context, create, run, one client, stop, join, destroy.
 *
 * Each operation runs in both of SQLite's modes: from the nth allocation
 * on (ll_alloc_fail_after: the path that gives up, with every allocation
 * of the cleanup failing too) and the nth alone (ll_alloc_fail_once: what
 * comes after one failure, with the rest succeeding, must still be right).
 *
 * The countdown of the fault setting is global across threads, so an
 * injected failure lands on whichever side allocates the nth time: the
 * client, the server's accept loop or a connection thread. Either is fine;
 * what matters is that each side then fails cleanly. Only the library's own
 * allocation points (ll_malloc and siblings) are injected: OpenSSL
 * allocates with its own malloc and is not.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/probe.h>
#include <leaklab/ws_client.h>
#include <leaklab/ws_handshake.h>
#include <leaklab/ws_server.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "testserver.h"
#include "testutil.h"

/* No operation here needs nearly this many allocations; reaching it is a failure. */
#define MAX_N 200
/*
 * Deadlines for the client and the server's handshake. They only run out
 * if a side neither answers nor hangs up, which is the hang this test
 * exists to catch, so they can be long: with 5 s, the clean run of the wss
 * server life under DRD ran out of time (LL_ECLOSED) once, at a load
 * average of 40 on this 2-core machine.
 */
#define IO_TIMEOUT_MS 20000
/* How long a server thread may take to go away after its client is done. */
#define QUIESCE_TIMEOUT_MS 10000

/*
 * What an injected failure may turn into: the allocation error itself, or
 * what the other side sees when its peer hangs up (end of stream during the
 * handshake is LL_EPROTO for the client; a write into a closed socket is
 * LL_ECLOSED; a reset is LL_EIO). LL_ETIMEDOUT is not here: it means a
 * side neither answered nor hung up.
 */
static bool clean_error(int rc)
{
	return rc == LL_ENOMEM || rc == LL_ECLOSED || rc == LL_EPROTO || rc == LL_EIO ||
	       rc == LL_ETLS;
}

static void check_clean(const char *what, long n, int rc)
{
	if (rc == 0 || clean_error(rc))
		return;
	fprintf(stderr, "%s: n=%ld: unexpected result %d (%s)\n", what, n, rc, ll_strerror(rc));
	CHECK(clean_error(rc));
}

/* Waits until the process is back to threads and fds of base (bounded). */
static void quiesce(const struct ll_probe_sample *base)
{
	long long until = now_ms() + QUIESCE_TIMEOUT_MS;
	struct ll_probe_sample now;

	for (;;) {
		CHECK_EQ(ll_probe_sample(0, &now), 0);
		if (now.threads == base->threads && now.fds == base->fds)
			return;
		if (now_ms() >= until)
			break;
		sleep_ms(2);
	}
	CHECK_EQ(now.threads, base->threads);
	CHECK_EQ(now.fds, base->fds);
}

/* How the nth allocation fails: from then on, or alone. */
struct fault_mode {
	const char *name;
	void (*set)(long n);
};

static const struct fault_mode from_n_on = {"from n on", ll_alloc_fail_after};
static const struct fault_mode nth_only = {"nth only", ll_alloc_fail_once};

/* Figures for the summary at the end. */
struct tally {
	const char *name;
	const char *mode;
	long tried;  /* values of n run */
	long needed; /* allocations of one clean run */
	long failed; /* runs that ended in an error */
	long long ms;
};

static void report(const struct tally *t)
{
	fprintf(stderr,
		"fault: %-18s %-9s %3ld allocations, %3ld values of n (%ld failed cleanly), "
		"%lld ms\n",
		t->name, t->mode, t->needed, t->tried, t->failed, t->ms);
}

/* --- the server the tests talk to ------------------------------------- */

static atomic_int handlers_started, handlers_done;

/* Echoes every message until the connection ends, then destroys it (it owns it). */
static void echo(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;

	(void)arg;
	atomic_fetch_add(&handlers_started, 1);
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		int err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);

		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	ll_ws_conn_destroy(conn);
	atomic_fetch_add(&handlers_done, 1);
}

static const struct ll_ws_server_opts server_opts = {
    .handshake_timeout_ms = IO_TIMEOUT_MS,
    .conn = {.close_timeout_ms = 500},
    .handler = echo,
};

static const struct ll_ws_client_opts client_opts = {
    .timeout_ms = IO_TIMEOUT_MS,
    .conn = {.close_timeout_ms = 500, .recv_pongs = true},
};

/*
 * One echo of text. Returns 0, the error of send or recv, or aborts on a
 * wrong answer. After a recv error the connection must be over for good:
 * that is recv's contract, and a half-dead connection is what a sloppy
 * error path leaves behind.
 */
static int echo_once(struct ll_ws_conn *c, const char *text)
{
	struct ll_ws_msg msg;
	size_t len = strlen(text);
	int rc;

	rc = ll_ws_conn_send(c, LL_WS_OP_TEXT, text, len);
	if (rc)
		return rc;
	rc = ll_ws_conn_recv(c, &msg, IO_TIMEOUT_MS);
	if (rc) {
		CHECK_EQ(ll_ws_conn_recv(c, &msg, 0), LL_ECLOSED);
		return rc;
	}
	CHECK_EQ(msg.opcode, LL_WS_OP_TEXT);
	CHECK_EQ(msg.len, len);
	CHECK_MEM(msg.data, text, len);
	ll_ws_msg_free(&msg);
	return 0;
}

/* With injection off: a fresh client still gets its echo and closes cleanly. */
static void check_still_serving(unsigned port)
{
	struct ll_ws_conn *c;

	CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", port, &client_opts, NULL), 0);
	CHECK_EQ(echo_once(c, "still serving"), 0);
	CHECK_EQ(ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL), 0);
	ll_ws_conn_destroy(c);
}

/* --- (1a) the handshake functions ------------------------------------- */

static int handshake_functions(void)
{
	static const char req_text[] = "GET /chat HTTP/1.1\r\nHost: localhost\r\n"
				       "Upgrade: websocket\r\nConnection: Upgrade\r\n"
				       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				       "Sec-WebSocket-Version: 13\r\n\r\n";
	struct ll_http_request req;
	char accept[29], key[25], buf[1024], creq[1024];
	int rc, len;

	rc = ll_http_request_parse(req_text, sizeof(req_text) - 1, &req);
	if (rc)
		return rc;
	CHECK_EQ(ll_ws_handshake_check(&req), 101);
	rc = ll_ws_accept_key(req.key, accept);
	if (rc)
		return rc;
	/* The example of RFC 6455 section 1.3. */
	CHECK_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	len = ll_ws_handshake_response(101, &req, buf, sizeof(buf));
	if (len < 0)
		return len;
	CHECK(strstr(buf, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != NULL);
	len = ll_ws_client_request("localhost", 80, "/chat", key, creq, sizeof(creq));
	if (len < 0)
		return len;
	/* The client's check of a response made for its own key. */
	CHECK_EQ(ll_http_request_parse(creq, (size_t)len, &req), 0);
	len = ll_ws_handshake_response(101, &req, buf, sizeof(buf));
	if (len < 0)
		return len;
	rc = ll_ws_client_response_parse(buf, (size_t)len, key, NULL);
	return rc == len ? 0 : rc;
}

static void fault_handshake_functions(const struct fault_mode *m)
{
	struct tally t = {.name = "handshake text", .mode = m->name};
	long long t0 = now_ms();
	long n, used = 0;
	int rc = -99;

	for (n = 1; n <= MAX_N; n++) {
		m->set(n);
		rc = handshake_functions();
		used = ll_alloc_count();
		ll_alloc_fail_after(0);
		t.tried++;
		if (used < n)
			break;
		/* Nothing else may come out of a failed allocation here. */
		CHECK(rc == 0 || rc == LL_ENOMEM);
		t.failed += rc != 0;
	}
	CHECK_EQ(rc, 0);
	/*
	 * Text in, text out: these allocate nothing of the library's (SHA-1
	 * and base64 are OpenSSL's), so no allocation failure can reach them.
	 */
	CHECK_EQ(used, 0);
	t.needed = used;
	t.ms = now_ms() - t0;
	report(&t);
}

/* --- (1b) a real server and a real client connecting ------------------ */

static void fault_server_handshake(const struct fault_mode *m)
{
	struct tally t = {.name = "connect + echo", .mode = m->name};
	struct ll_ws_server_opts opts = server_opts;
	struct ll_probe_sample base;
	struct running r;
	long long t0 = now_ms();
	long n, used = 0;
	int rc = -99;

	start(&r, &opts);
	/* The accept loop's own thread is up once a client has been served. */
	check_still_serving(r.port);
	CHECK_EQ(ll_probe_sample(0, &base), 0);
	/*
	 * Connection threads end on their own once their client is gone;
	 * wait for the baseline to settle before taking it.
	 */
	sleep_ms(50);
	CHECK_EQ(ll_probe_sample(0, &base), 0);
	for (n = 1; n <= MAX_N; n++) {
		struct ll_ws_conn *c = NULL;
		int status = 0;

		m->set(n);
		rc = ll_ws_client_connect(&c, "127.0.0.1", r.port, &client_opts, &status);
		if (rc == 0)
			rc = echo_once(c, "hello");
		used = ll_alloc_count();
		ll_alloc_fail_after(0);
		check_clean("connect + echo", n, rc);
		CHECK(rc != 0 || c != NULL);
		CHECK(rc == 0 || rc != LL_EPROTO || status == 0); /* a drop, not a refusal */
		ll_ws_conn_destroy(c);
		t.tried++;
		t.failed += rc != 0;
		/* Every thread and fd of this attempt is gone, on both sides... */
		quiesce(&base);
		/* ...and the server still serves. */
		check_still_serving(r.port);
		quiesce(&base);
		if (used < n)
			break;
	}
	/* Below n allocations nothing failed, so everything must have worked. */
	CHECK_EQ(rc, 0);
	CHECK_INT(n, <=, MAX_N);
	stop(&r);
	t.needed = used;
	t.ms = now_ms() - t0;
	report(&t);
}

/* --- (2) a message round trip ----------------------------------------- */

/*
 * A text message in three fragments (the server's parser grows its buffer
 * three times), echoed as one message; then a ping, whose pong recv copies
 * out (recv_pongs). Each step waits for the last, so the allocations come
 * in one order: the pong's copy is the last of them.
 */
static int round_trip(struct ll_ws_conn *c)
{
	static const char *const frags[] = {"frag-one ", "frag-two ", "frag-three"};
	static const char whole[] = "frag-one frag-two frag-three";
	struct ll_ws_msg msg;
	int rc = 0, i;

	for (i = 0; i < 3 && rc == 0; i++)
		rc = ll_ws_conn_send_frame(c, i == 0 ? LL_WS_OP_TEXT : LL_WS_OP_CONT, i == 2,
					   frags[i], strlen(frags[i]));
	if (rc)
		return rc;
	rc = ll_ws_conn_recv(c, &msg, IO_TIMEOUT_MS);
	if (rc) {
		CHECK_EQ(ll_ws_conn_recv(c, &msg, 0), LL_ECLOSED);
		return rc;
	}
	CHECK_EQ(msg.opcode, LL_WS_OP_TEXT);
	CHECK_EQ(msg.len, sizeof(whole) - 1);
	CHECK_MEM(msg.data, whole, sizeof(whole) - 1);
	ll_ws_msg_free(&msg);

	rc = ll_ws_conn_ping(c, "p", 1);
	if (rc)
		return rc;
	rc = ll_ws_conn_recv(c, &msg, IO_TIMEOUT_MS);
	if (rc) {
		CHECK_EQ(ll_ws_conn_recv(c, &msg, 0), LL_ECLOSED);
		return rc;
	}
	CHECK_EQ(msg.opcode, LL_WS_OP_PONG);
	CHECK_EQ(msg.len, 1);
	CHECK_MEM(msg.data, "p", 1);
	ll_ws_msg_free(&msg);
	return 0;
}

static void fault_round_trip(const struct fault_mode *m)
{
	struct tally t = {.name = "message round trip", .mode = m->name};
	struct ll_ws_server_opts opts = server_opts;
	struct ll_probe_sample base;
	struct running r;
	long long t0 = now_ms();
	long n, used = 0;
	int rc = -99;

	start(&r, &opts);
	check_still_serving(r.port);
	sleep_ms(50);
	CHECK_EQ(ll_probe_sample(0, &base), 0);
	for (n = 1; n <= MAX_N; n++) {
		struct ll_ws_conn *c;

		/* The connection is made clean; only the round trip is injected. */
		CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", r.port, &client_opts, NULL), 0);
		CHECK_EQ(echo_once(c, "warm-up"), 0);
		m->set(n);
		rc = round_trip(c);
		used = ll_alloc_count();
		ll_alloc_fail_after(0);
		check_clean("round trip", n, rc);
		if (rc == 0) /* it worked: it must go on working, and close cleanly */
			CHECK_EQ(ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL), 0);
		ll_ws_conn_destroy(c);
		t.tried++;
		t.failed += rc != 0;
		quiesce(&base);
		check_still_serving(r.port);
		quiesce(&base);
		if (used < n)
			break;
	}
	CHECK_EQ(rc, 0);
	CHECK_INT(n, <=, MAX_N);
	stop(&r);
	t.needed = used;
	t.ms = now_ms() - t0;
	report(&t);
}

/* --- (3) a whole wss server life -------------------------------------- */

/*
 * TLS context, server, accept loop on a thread, one wss client with an
 * echo, stop (the client gets 1001), join, destroy. Returns 0 or the first
 * error; on every path everything made is destroyed.
 */
static int server_life(void)
{
	struct ll_ws_server_opts opts = server_opts;
	struct ll_ws_client_opts copts = client_opts;
	struct ll_tls_ctx *sctx = NULL, *cctx = NULL;
	struct ll_ws_conn *c = NULL;
	struct ll_ws_msg msg;
	struct running r;
	int rc, r2;

	rc = ll_tls_server_ctx_create(&sctx);
	if (rc) {
		/* The context's own allocation is the only one of the library's. */
		CHECK_EQ(rc, LL_ENOMEM);
		CHECK(sctx == NULL);
		return rc;
	}
	opts.tls = sctx;
	rc = ll_ws_server_create(&r.srv, &opts);
	if (rc) {
		CHECK_EQ(rc, LL_ENOMEM);
		CHECK(r.srv == NULL);
		goto out_destroy_sctx;
	}
	r.port = ll_ws_server_port(r.srv);
	r.run_result = -99;
	CHECK_EQ(pthread_create(&r.thread, NULL, running_main, &r), 0);

	rc = ll_tls_client_ctx_create(&cctx, NULL);
	if (rc)
		CHECK_EQ(rc, LL_ENOMEM);
	copts.tls = cctx;
	if (rc == 0)
		rc = ll_ws_client_connect(&c, "127.0.0.1", r.port, &copts, NULL);
	if (rc == 0)
		rc = echo_once(c, "over tls");

	ll_ws_server_stop(r.srv);
	if (rc == 0) {
		/* A live connection is told the server is going away (section 7.4.1). */
		r2 = ll_ws_conn_recv(c, &msg, IO_TIMEOUT_MS);
		CHECK_EQ(r2, LL_ECLOSED);
		CHECK_EQ(ll_ws_conn_close_code(c), LL_WS_CLOSE_GOING_AWAY);
	}
	pthread_join(r.thread, NULL);
	CHECK_EQ(r.run_result, 0);
	ll_ws_conn_destroy(c);
	ll_tls_ctx_destroy(cctx);
	ll_ws_server_destroy(r.srv);
out_destroy_sctx:
	ll_tls_ctx_destroy(sctx);
	return rc;
}

static void fault_server_life(const struct fault_mode *m)
{
	struct tally t = {.name = "wss server life", .mode = m->name};
	struct ll_probe_sample base;
	long long t0 = now_ms();
	long n, used = 0;
	int rc = -99;

	CHECK_EQ(ll_probe_sample(0, &base), 0);
	for (n = 1; n <= MAX_N; n++) {
		m->set(n);
		rc = server_life();
		used = ll_alloc_count();
		ll_alloc_fail_after(0);
		check_clean("server life", n, rc);
		t.tried++;
		t.failed += rc != 0;
		/* Everything was joined and destroyed: not a thread or fd more. */
		quiesce(&base);
		if (used < n)
			break;
	}
	CHECK_EQ(rc, 0);
	CHECK_INT(n, <=, MAX_N);
	t.needed = used;
	t.ms = now_ms() - t0;
	report(&t);
}

/* Each operation in both modes, as tests of their own. */
static void test_handshake_functions(void)
{
	fault_handshake_functions(&from_n_on);
}

static void test_handshake_functions_once(void)
{
	fault_handshake_functions(&nth_only);
}

static void test_server_handshake(void)
{
	fault_server_handshake(&from_n_on);
}

static void test_server_handshake_once(void)
{
	fault_server_handshake(&nth_only);
}

static void test_round_trip(void)
{
	fault_round_trip(&from_n_on);
}

static void test_round_trip_once(void)
{
	fault_round_trip(&nth_only);
}

static void test_server_life(void)
{
	fault_server_life(&from_n_on);
}

static void test_server_life_once(void)
{
	fault_server_life(&nth_only);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_handshake_functions);
	RUN(test_handshake_functions_once);
	RUN(test_server_handshake);
	RUN(test_server_handshake_once);
	RUN(test_round_trip);
	RUN(test_round_trip_once);
	RUN(test_server_life);
	RUN(test_server_life_once);
	return check_finish();
}
