/*
 * test_ws_server.c - the server and client over real TCP on 127.0.0.1:
 * round trips, refused handshakes and their HTTP statuses, GET /metrics,
 * the connection limit, wss, and a graceful stop that closes every
 * connection with 1001 and joins every thread.
 */
#include <leaklab/error.h>
#include <leaklab/probe.h>
#include <leaklab/ws_client.h>
#include <leaklab/ws_server.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "testserver.h"
#include "testutil.h"

static atomic_int handlers_done;

static void echo(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;

	(void)arg;
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		int err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);

		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	ll_ws_conn_destroy(conn);
	atomic_fetch_add(&handlers_done, 1);
}

/* Sends raw bytes over TCP and returns the whole reply (until the server hangs up). */
static size_t raw_exchange(unsigned port, const char *req, size_t req_len, char *reply, size_t size)
{
	struct ll_transport *t;
	size_t len = 0;
	int fd = ll_tcp_connect("127.0.0.1", port, 5000);

	CHECK(fd >= 0);
	CHECK_EQ(ll_transport_plain(&t, fd), 0);
	CHECK_EQ(ll_transport_write(t, req, req_len, 5000), 0);
	for (;;) {
		ssize_t n = ll_transport_read(t, reply + len, size - 1 - len, 5000);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	reply[len] = 0;
	ll_transport_destroy(t);
	return len;
}

static void test_echo_round_trips(void)
{
	static const size_t sizes[] = {0, 5, 125, 126, 65535, 65536, 300000};
	struct ll_ws_server_opts opts = {.handler = echo};
	struct ll_ws_conn *c;
	struct running r;
	size_t i;

	start(&r, &opts);
	CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", r.port, NULL, NULL), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], j;
		uint8_t *data = malloc(n + 1);
		struct ll_ws_msg msg;

		CHECK(data != NULL);
		for (j = 0; j < n; j++)
			data[j] = (uint8_t)('a' + j % 26);
		CHECK_EQ(ll_ws_conn_send(c, LL_WS_OP_TEXT, data, n), 0);
		CHECK_EQ(ll_ws_conn_recv(c, &msg, 10000), 0);
		CHECK_EQ(msg.opcode, LL_WS_OP_TEXT);
		CHECK_EQ(msg.len, n);
		CHECK_MEM(msg.data, data, n);
		ll_ws_msg_free(&msg);
		free(data);
	}
	CHECK_EQ(ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL), 0);
	ll_ws_conn_destroy(c);
	stop(&r);
}

static void test_refused_handshakes(void)
{
	static const char no_key[] = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
				     "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n";
	static const char old_version[] = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
					  "Connection: Upgrade\r\n"
					  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
					  "Sec-WebSocket-Version: 8\r\n\r\n";
	static const char garbage[] = "HELLO\r\n\r\n";
	struct ll_ws_server_opts opts = {.handler = echo};
	struct running r;
	char reply[4096];
	char *huge;
	size_t i;

	start(&r, &opts);
	raw_exchange(r.port, no_key, sizeof(no_key) - 1, reply, sizeof(reply));
	CHECK(strncmp(reply, "HTTP/1.1 400 ", 13) == 0);
	raw_exchange(r.port, old_version, sizeof(old_version) - 1, reply, sizeof(reply));
	CHECK(strncmp(reply, "HTTP/1.1 426 ", 13) == 0);
	CHECK(strstr(reply, "Sec-WebSocket-Version: 13\r\n") != NULL);
	raw_exchange(r.port, garbage, sizeof(garbage) - 1, reply, sizeof(reply));
	CHECK(strncmp(reply, "HTTP/1.1 400 ", 13) == 0);
	/* A header block over the cap is refused with 431, not read forever. */
	huge = malloc(20000);
	CHECK(huge != NULL);
	memcpy(huge, "GET / HTTP/1.1\r\n", 16);
	for (i = 16; i < 20000; i++)
		huge[i] = (i % 80 == 79) ? '\n' : (i % 80 == 78) ? '\r' : 'a';
	raw_exchange(r.port, huge, 20000, reply, sizeof(reply));
	CHECK(strncmp(reply, "HTTP/1.1 431 ", 13) == 0);
	free(huge);
	stop(&r);
}

static void test_metrics(void)
{
	static const char get[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct ll_ws_server_opts opts = {.metrics = true, .handler = echo};
	struct running r;
	char reply[4096];

	start(&r, &opts);
	raw_exchange(r.port, get, sizeof(get) - 1, reply, sizeof(reply));
	CHECK(strncmp(reply, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(reply, "\nleaklab_threads ") != NULL);
	CHECK(strstr(reply, "\nleaklab_open_fds ") != NULL);
	stop(&r);

	/* Off unless asked for: then it is just a bad upgrade. */
	opts.metrics = false;
	start(&r, &opts);
	raw_exchange(r.port, get, sizeof(get) - 1, reply, sizeof(reply));
	CHECK(strncmp(reply, "HTTP/1.1 400 ", 13) == 0);
	stop(&r);
}

static void echo_once(struct ll_ws_conn *c)
{
	struct ll_ws_msg msg;

	CHECK_EQ(ll_ws_conn_send(c, LL_WS_OP_TEXT, "x", 1), 0);
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 5000), 0);
	ll_ws_msg_free(&msg);
}

static void test_max_conns(void)
{
	struct ll_ws_server_opts opts = {.max_conns = 2, .handler = echo};
	struct ll_ws_conn *a, *b, *c;
	struct running r;
	int status = 0, tries;

	start(&r, &opts);
	CHECK_EQ(ll_ws_client_connect(&a, "127.0.0.1", r.port, NULL, NULL), 0);
	CHECK_EQ(ll_ws_client_connect(&b, "127.0.0.1", r.port, NULL, NULL), 0);
	CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", r.port, NULL, &status), LL_EPROTO);
	CHECK_EQ(status, 503);
	/* The 101 goes out just before the handler starts: an echo proves both run. */
	echo_once(a);
	echo_once(b);
	CHECK_EQ(ll_ws_server_conn_count(r.srv), 2);
	/* A slot frees up once a client leaves (its thread ends asynchronously). */
	CHECK_EQ(ll_ws_conn_close(a, 1000, NULL), 0);
	ll_ws_conn_destroy(a);
	for (tries = 0; tries < 200; tries++) {
		if (ll_ws_client_connect(&c, "127.0.0.1", r.port, NULL, NULL) == 0)
			break;
		usleep(10000);
	}
	CHECK_INT(tries, <, 200);
	ll_ws_conn_destroy(b);
	ll_ws_conn_destroy(c);
	stop(&r);
}

static void test_tls(void)
{
	struct ll_ws_server_opts opts = {.handler = echo};
	struct ll_ws_client_opts copts = {0};
	struct ll_tls_ctx *sctx, *cctx;
	struct ll_ws_conn *c;
	struct ll_ws_msg msg;
	struct running r;
	char reply[256];

	CHECK_EQ(ll_tls_server_ctx_create(&sctx), 0);
	CHECK_EQ(ll_tls_client_ctx_create(&cctx, NULL), 0);
	opts.tls = sctx;
	copts.tls = cctx;
	start(&r, &opts);
	CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", r.port, &copts, NULL), 0);
	CHECK_EQ(ll_ws_conn_send(c, LL_WS_OP_BINARY, "secret", 6), 0);
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 5000), 0);
	CHECK_EQ(msg.len, 6);
	CHECK_MEM(msg.data, "secret", 6);
	ll_ws_msg_free(&msg);
	CHECK_EQ(ll_ws_conn_close(c, 1000, NULL), 0);
	ll_ws_conn_destroy(c);
	/* A plain-text client against the TLS port gets nothing and leaves nothing behind. */
	raw_exchange(r.port, "GET / HTTP/1.1\r\n\r\n", 18, reply, sizeof(reply));
	stop(&r);
	ll_tls_ctx_destroy(cctx);
	ll_tls_ctx_destroy(sctx);
}

/* Stop closes live connections with 1001 and joins every thread. */
static void test_graceful_stop(void)
{
	struct ll_ws_server_opts opts = {.conn = {.close_timeout_ms = 300}, .handler = echo};
	struct ll_ws_conn *c[8];
	struct ll_probe_sample before, after;
	struct ll_ws_msg msg;
	struct running r;
	long long t0;
	int i;

	CHECK_EQ(ll_probe_sample(0, &before), 0);
	atomic_store(&handlers_done, 0);
	start(&r, &opts);
	for (i = 0; i < 8; i++)
		CHECK_EQ(ll_ws_client_connect(&c[i], "127.0.0.1", r.port, NULL, NULL), 0);
	/* Make sure every handler runs before stopping. */
	for (i = 0; i < 8; i++)
		echo_once(c[i]);
	CHECK_EQ(ll_ws_server_conn_count(r.srv), 8);
	t0 = now_ms();
	ll_ws_server_stop(r.srv);
	/* Half the clients answer the close, half never read again. */
	for (i = 0; i < 4; i++) {
		CHECK_EQ(ll_ws_conn_recv(c[i], &msg, 5000), LL_ECLOSED);
		CHECK_EQ(ll_ws_conn_close_code(c[i]), LL_WS_CLOSE_GOING_AWAY);
	}
	pthread_join(r.thread, NULL);
	CHECK_EQ(r.run_result, 0);
	/* The silent half cost at most the close deadline, not forever. */
	CHECK_INT(now_ms() - t0, <, 3000);
	CHECK_EQ(atomic_load(&handlers_done), 8);
	ll_ws_server_destroy(r.srv);
	for (i = 0; i < 8; i++)
		ll_ws_conn_destroy(c[i]);
	CHECK_EQ(ll_probe_sample(0, &after), 0);
	CHECK_EQ(after.threads, before.threads);
	CHECK_EQ(after.fds, before.fds);
}

/*
 * test_concurrent_clients checks that every client is served, not how
 * fast: under Valgrind's DRD, beside other tests, 32 handshakes at once can
 * take longer than the default 5 s, so its deadlines are long.
 */
enum { SLOW_MS = 60000 };

struct client_job {
	unsigned port;
	int ok;
};

static void *client_worker(void *arg)
{
	struct client_job *j = arg;
	struct ll_ws_conn *c;
	struct ll_ws_msg msg;
	char text[32];
	int i, n;

	struct ll_ws_client_opts copts = {.timeout_ms = SLOW_MS};

	if (ll_ws_client_connect(&c, "127.0.0.1", j->port, &copts, NULL) != 0)
		return NULL;
	for (i = 0; i < 5; i++) {
		n = snprintf(text, sizeof(text), "message %d", i);
		if (ll_ws_conn_send(c, LL_WS_OP_TEXT, text, (size_t)n) != 0 ||
		    ll_ws_conn_recv(c, &msg, SLOW_MS) != 0)
			goto out;
		if (msg.len == (size_t)n && memcmp(msg.data, text, (size_t)n) == 0)
			j->ok++;
		ll_ws_msg_free(&msg);
	}
	ll_ws_conn_close(c, 1000, NULL);
out:
	ll_ws_conn_destroy(c);
	return NULL;
}

static void test_concurrent_clients(void)
{
	enum { N = 32 };
	struct ll_ws_server_opts opts = {.handler = echo, .handshake_timeout_ms = SLOW_MS};
	struct client_job jobs[N];
	pthread_t th[N];
	struct running r;
	int i;

	start(&r, &opts);
	for (i = 0; i < N; i++) {
		jobs[i] = (struct client_job){r.port, 0};
		CHECK_EQ(pthread_create(&th[i], NULL, client_worker, &jobs[i]), 0);
	}
	for (i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(jobs[i].ok, 5);
	}
	stop(&r);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_echo_round_trips);
	RUN(test_refused_handshakes);
	RUN(test_metrics);
	RUN(test_max_conns);
	RUN(test_tls);
	RUN(test_graceful_stop);
	RUN(test_concurrent_clients);
	return check_finish();
}
