/*
 * test_ws_server.c - the server and client over real TCP on 127.0.0.1:
 * round trips, refused handshakes and their HTTP statuses, GET /metrics,
 * the connection limit, wss (with the library's sessions and with the
 * application's own), a graceful stop that closes every connection
 * with 1001 and joins every thread, and fresh connections parked without
 * a thread.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/ws_handshake.h>
#include <leaklab/probe.h>
#include <leaklab/ws_client.h>
#include <leaklab/ws_server.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "testserver.h"
#include "testutil.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/*
 * The time bounds of the stop tests. On an idle machine the stop reaches
 * every healthy peer in 1 to 3 ms, but a test shares two cores with the
 * rest of the suite, and once, so loaded, the native stop took over the
 * 0.5 s the issue asked for; under Valgrind every thread runs 20 to 50
 * times slower, one at a time (up to 0.6 s under DRD). So the bound is
 * the native target times three natively and 2.5 s under Valgrind: both
 * below the 5 s that the defects they catch cost (the write timeout, the
 * handshake timeout), so a regression fails either way.
 */
static long long bound_ms(long long native)
{
	return RUNNING_ON_VALGRIND ? 2500 : 3 * native;
}

static atomic_int handlers_done;

static void echo(struct ll_ws_conn *conn, void *arg)
{
	(void)arg;
	/* Over: the peer closed or left (LL_ECLOSED), or the server is stopping. */
	CHECK_INT(ll_ws_conn_echo(conn), <, 0);
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

/*
 * The application's check (ll_ws_server_opts.check): "/?ok" is accepted
 * and its user pointer reaches the handler, "/?no" is answered 401 and
 * never reaches a handler, and a status the server cannot send becomes
 * 500. A user left by a refusal (403), or by an accepted upgrade whose
 * connection could not be made, goes to drop_user.
 */
static atomic_int users_live;

static int check_path(const struct ll_http_request *req, void **user, void *arg)
{
	int *u;

	(void)arg;
	if (strcmp(req->path, "/?no") == 0)
		return 401;
	if (strcmp(req->path, "/?teapot") == 0)
		return 418;
	u = malloc(sizeof(*u));
	if (!u)
		return 503;
	*u = 42;
	*user = u;
	atomic_fetch_add(&users_live, 1);
	/* The next library allocation is the connection's own: make it fail. */
	if (strcmp(req->path, "/?failconn") == 0)
		ll_alloc_fail_once(1);
	/* A refusal that leaves a user behind: drop_user must still get it. */
	if (strcmp(req->path, "/?leaves-user") == 0)
		return 403;
	return 101;
}

static void drop_user(void *user, void *arg)
{
	(void)arg;
	free(user);
	atomic_fetch_sub(&users_live, 1);
}

static void echo_user(struct ll_ws_conn *conn, void *arg)
{
	int *u = ll_ws_conn_user(conn);
	char text[16];

	snprintf(text, sizeof(text), "user %d", u ? *u : -1);
	ll_ws_conn_send(conn, LL_WS_OP_TEXT, text, strlen(text));
	drop_user(u, arg);
	echo(conn, arg);
}

static void test_check_hook(void)
{
	static const char no[] =
	    "GET /?no HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n";
	static const char teapot[] = "GET /?teapot HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
				     "Connection: Upgrade\r\n"
				     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				     "Sec-WebSocket-Version: 13\r\n\r\n";
	/* Accepted, but the connection cannot be made: the user goes to drop_user. */
	static const char failconn[] =
	    "GET /?failconn HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n";
	struct ll_ws_server_opts opts = {
	    .handler = echo_user, .check = check_path, .drop_user = drop_user};
	struct ll_ws_client_opts copts = {.path = "/?ok", .timeout_ms = 5000};
	struct ll_ws_conn *c;
	struct ll_ws_msg msg;
	struct running r;
	char reply[4096];
	int status = 0;

	atomic_store(&handlers_done, 0);
	start(&r, &opts);
	raw_exchange(r.port, no, sizeof(no) - 1, reply, sizeof(reply));
	CHECK(strncmp(reply, "HTTP/1.1 401 ", 13) == 0);
	CHECK(strstr(reply, "\r\nWWW-Authenticate: Bearer\r\n") != NULL);
	raw_exchange(r.port, teapot, sizeof(teapot) - 1, reply, sizeof(reply));
	CHECK(strncmp(reply, "HTTP/1.1 500 ", 13) == 0);
	CHECK_EQ(atomic_load(&handlers_done), 0);

	CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", r.port, &copts, &status), 0);
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 5000), 0);
	CHECK(msg.len == 7 && memcmp(msg.data, "user 42", 7) == 0);
	ll_ws_msg_free(&msg);
	ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL);
	ll_ws_conn_destroy(c);
	copts.path = "/?no";
	CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", r.port, &copts, &status), LL_EPROTO);
	CHECK_EQ(status, 401);

	copts.path = "/?leaves-user";
	CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", r.port, &copts, &status), LL_EPROTO);
	CHECK_EQ(status, 403);
	raw_exchange(r.port, failconn, sizeof(failconn) - 1, reply, sizeof(reply));
	CHECK(strncmp(reply, "HTTP/1.1 101 ", 13) == 0);
	CHECK_EQ(ll_alloc_failures(), 1);
	ll_alloc_fail_after(0);
	stop(&r);
	CHECK_EQ(atomic_load(&handlers_done), 1);
	/* Each user went to its handler or to drop_user: none is left. */
	CHECK_EQ(atomic_load(&users_live), 0);
}

static void test_metrics(void)
{
	static const char get[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct ll_ws_server_opts opts = {.metrics = true, .handler = echo};
	struct timespec nap = {0, 2000000};
	struct ll_ws_conn *c;
	struct running r;
	char reply[4096];
	long conns = -1;
	int tries;

	start(&r, &opts);
	raw_exchange(r.port, get, sizeof(get) - 1, reply, sizeof(reply));
	CHECK(strncmp(reply, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(reply, "\nleaklab_threads ") != NULL);
	CHECK(strstr(reply, "\nleaklab_open_fds ") != NULL);
	/* The server's connections: the request itself... */
	CHECK(strstr(reply, "\n" LL_PROBE_METRIC_CONNECTIONS " 1\n") != NULL);
	/*
	 * ...and one more while a client is connected. The first request's
	 * slot may linger a moment after its reply ended: asked again until
	 * it is gone, a bounded number of times.
	 */
	CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", r.port, NULL, NULL), 0);
	for (tries = 0; tries < 100; tries++) {
		const char *p;

		raw_exchange(r.port, get, sizeof(get) - 1, reply, sizeof(reply));
		p = strstr(reply, "\n" LL_PROBE_METRIC_CONNECTIONS " ");
		CHECK(p != NULL);
		conns = strtol(p + sizeof(LL_PROBE_METRIC_CONNECTIONS) + 1, NULL, 10);
		if (conns <= 2)
			break;
		nanosleep(&nap, NULL);
	}
	CHECK_EQ(conns, 2);
	ll_ws_conn_destroy(c);
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

/* The application's side of its own TLS sessions: what it made and what it got back. */
struct sessions {
	atomic_int made, refuse;
	atomic_int ended[3]; /* by enum ll_tls_end */
};

static SSL *new_session(int fd, SSL_CTX *ctx, void *arg)
{
	struct sessions *ss = arg;
	SSL *ssl;
	BIO *bio;

	if (atomic_load(&ss->refuse))
		return NULL;
	ssl = SSL_new(ctx);
	CHECK(ssl != NULL);
	bio = BIO_new_socket(fd, BIO_CLOSE);
	CHECK(bio != NULL);
	SSL_set_bio(ssl, bio, bio);
	atomic_fetch_add(&ss->made, 1);
	return ssl;
}

static void end_session(SSL *ssl, enum ll_tls_end how, void *arg)
{
	struct sessions *ss = arg;

	if (how == LL_TLS_CLEAN)
		(void)SSL_shutdown(ssl);
	SSL_free(ssl); /* and the BIO, which closes the socket */
	atomic_fetch_add(&ss->ended[how], 1);
}

/* Waits (bounded) until the application got n sessions back in all. */
static void await_ended(struct sessions *ss, int n)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (atomic_load(&ss->ended[0]) + atomic_load(&ss->ended[1]) +
			atomic_load(&ss->ended[2]) >=
		    n)
			return;
		sleep_ms(10);
	}
	CHECK(!"the server never gave the sessions back");
}

/*
 * Sessions the application makes: a wss echo runs on them, a clean close
 * gives the session back as LL_TLS_CLEAN with the client seeing its
 * close_notify, an aborted handshake gives it back as LL_TLS_FAILED, and a
 * refusal (NULL) hangs up. Every fd is closed by the application's
 * SSL_free (the test runner checks the fds after the test).
 */
static void test_tls_sessions_of_the_app(void)
{
	struct sessions ss = {0};
	struct ll_ws_server_opts opts = {.handler = echo, .tls_session = new_session, .arg = &ss};
	struct ll_ws_client_opts copts = {0};
	struct ll_tls_ctx *sctx, *cctx;
	struct ll_ws_server *bad;
	struct ll_ws_conn *c;
	struct ll_ws_msg msg;
	struct running r;
	bool notified = false;
	char reply[64];
	int fd;

	/* OpenSSL's socket BIO writes with write(2). */
	signal(SIGPIPE, SIG_IGN);
	CHECK_EQ(ll_tls_server_ctx_create(&sctx), 0);
	CHECK_EQ(ll_tls_client_ctx_create(&cctx, NULL), 0);
	opts.tls = sctx;
	/* A maker without a release is refused. */
	CHECK_EQ(ll_ws_server_create(&bad, &opts), LL_EINVAL);
	opts.tls_release = end_session;
	copts.tls = cctx;
	start(&r, &opts);
	CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", r.port, &copts, NULL), 0);
	CHECK_EQ(ll_ws_conn_send(c, LL_WS_OP_TEXT, "mine", 4), 0);
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 5000), 0);
	CHECK_MEM(msg.data, "mine", 4);
	ll_ws_msg_free(&msg);
	CHECK_EQ(ll_ws_conn_wait_end(c, 1000, &notified), LL_EINVAL); /* no close yet */
	CHECK_EQ(ll_ws_conn_close(c, 1000, NULL), 0);
	CHECK_EQ(ll_ws_conn_wait_end(c, 5000, &notified), 0);
	CHECK(notified);
	ll_ws_conn_destroy(c);
	await_ended(&ss, 1);
	CHECK_EQ(atomic_load(&ss.ended[LL_TLS_CLEAN]), 1);
	/* A plain-text client on the TLS port: a failed handshake. */
	raw_exchange(r.port, "GET / HTTP/1.1\r\n\r\n", 18, reply, sizeof(reply));
	await_ended(&ss, 2);
	CHECK_EQ(atomic_load(&ss.ended[LL_TLS_FAILED]), 1);
	/* Refused by the maker: the server closes the socket itself. */
	atomic_store(&ss.refuse, 1);
	fd = ll_tcp_connect("127.0.0.1", r.port, 5000);
	CHECK(fd >= 0);
	{
		struct pollfd p = {.fd = fd, .events = POLLIN};

		CHECK_EQ(poll(&p, 1, 5000), 1);
		CHECK_EQ(read(fd, reply, sizeof(reply)), 0);
	}
	close(fd);
	stop(&r);
	CHECK_EQ(atomic_load(&ss.made), 2);
	CHECK_EQ(atomic_load(&ss.ended[LL_TLS_BROKEN]), 0);
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

/* Waits, bounded (10 s: Valgrind runs threads one at a time), for want threads. */
static int wait_tasks(int want)
{
	int i, n = task_count();

	for (i = 0; i < 2000 && n != want; i++) {
		sleep_ms(5);
		n = task_count();
	}
	return n;
}

/*
 * park_fresh: a connection that has sent nothing since its handshake holds
 * no thread; its handler starts with the first frame, or with the peer's
 * hang-up, and a stop still closes a parked connection with 1001.
 */
static void test_park_fresh(void)
{
	struct ll_ws_server_opts opts = {
	    .conn = {.close_timeout_ms = 300}, .handler = echo, .park_fresh = true};
	struct ll_ws_conn *first, *c[8], *gone;
	struct ll_ws_msg msg;
	struct running r;
	int base, i;

	atomic_store(&handlers_done, 0);
	base = task_count();
	start(&r, &opts);
	/*
	 * One used connection: then the server runs three threads, its accept
	 * loop, the parker and that connection's handler, once the thread of
	 * its handshake has ended (under Valgrind that can take a moment).
	 */
	CHECK_EQ(ll_ws_client_connect(&first, "127.0.0.1", r.port, NULL, NULL), 0);
	echo_once(first);
	base += 3;
	CHECK_EQ(wait_tasks(base), base);
	for (i = 0; i < 8; i++)
		CHECK_EQ(ll_ws_client_connect(&c[i], "127.0.0.1", r.port, NULL, NULL), 0);
	/* Eight fresh connections, and not one thread more once their handshakes end. */
	CHECK_EQ(wait_tasks(base), base);
	CHECK_EQ(ll_ws_server_conn_count(r.srv), 9);
	/* The first frame starts a handler, which echoes it. */
	for (i = 0; i < 4; i++)
		echo_once(c[i]);
	CHECK_EQ(wait_tasks(base + 4), base + 4);
	/* A client that hangs up without a word: its handler runs, sees the end, returns. */
	CHECK_EQ(ll_ws_client_connect(&gone, "127.0.0.1", r.port, NULL, NULL), 0);
	ll_ws_conn_destroy(gone);
	for (i = 0; i < 2000 && atomic_load(&handlers_done) < 1; i++)
		sleep_ms(5);
	CHECK_EQ(atomic_load(&handlers_done), 1);
	CHECK_EQ(ll_ws_server_conn_count(r.srv), 9);

	/* Stop: the four still parked get 1001 like the rest. */
	ll_ws_server_stop(r.srv);
	for (i = 0; i < 8; i++) {
		CHECK_EQ(ll_ws_conn_recv(c[i], &msg, 5000), LL_ECLOSED);
		CHECK_EQ(ll_ws_conn_close_code(c[i]), LL_WS_CLOSE_GOING_AWAY);
	}
	CHECK_EQ(ll_ws_conn_recv(first, &msg, 5000), LL_ECLOSED);
	pthread_join(r.thread, NULL);
	CHECK_EQ(r.run_result, 0);
	CHECK_EQ(atomic_load(&handlers_done), 10);
	ll_ws_server_destroy(r.srv);
	for (i = 0; i < 8; i++)
		ll_ws_conn_destroy(c[i]);
	ll_ws_conn_destroy(first);
}

/* With TLS the server does not park: a TLS session may hold bytes the socket does not show. */
static void test_park_fresh_not_with_tls(void)
{
	struct ll_tls_ctx *stls, *ctls;
	struct ll_ws_server_opts opts = {.handler = echo, .park_fresh = true};
	struct ll_ws_client_opts copts = {0};
	struct ll_ws_conn *first, *c;
	struct running r;
	int base;

	CHECK_EQ(ll_tls_server_ctx_create(&stls), 0);
	CHECK_EQ(ll_tls_client_ctx_create(&ctls, NULL), 0);
	opts.tls = stls;
	copts.tls = ctls;
	base = task_count();
	start(&r, &opts);
	/* The accept loop and the first connection's thread; no parker. */
	CHECK_EQ(ll_ws_client_connect(&first, "127.0.0.1", r.port, &copts, NULL), 0);
	echo_once(first);
	base += 2;
	CHECK_EQ(wait_tasks(base), base);
	CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", r.port, &copts, NULL), 0);
	/* Its handler's thread is the one that did the handshake, and it stays. */
	CHECK_EQ(wait_tasks(base + 1), base + 1);
	echo_once(c);
	CHECK_EQ(ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL), 0);
	CHECK_EQ(ll_ws_conn_close(first, LL_WS_CLOSE_NORMAL, NULL), 0);
	ll_ws_conn_destroy(c);
	ll_ws_conn_destroy(first);
	stop(&r);
	ll_tls_ctx_destroy(ctls);
	ll_tls_ctx_destroy(stls);
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

/* CPU seconds this process has used, every thread included. */
static double cpu_seconds(void)
{
	struct rusage ru;

	CHECK_EQ(getrusage(RUSAGE_SELF, &ru), 0);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* A TCP socket connected to 127.0.0.1:port (blocking; no fd is made by connect). */
static void connect_raw(int fd, unsigned port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

/*
 * Out of fds, clients wait in the backlog and accept4 fails with EMFILE.
 * The accept loop used to retry at once, forever: 100% of a core (198 of
 * 200 ticks in 2 s, measured). It must pause instead (under 10% of a
 * core), and serve again once fds are free.
 */
static void test_accept_out_of_fds(void)
{
	enum { CLIENTS = 4, FILL_MAX = 4096 };
	struct ll_ws_server_opts opts = {.handler = echo};
	struct rlimit old, low;
	int socks[CLIENTS], *fill;
	int nfill = 0, i, fd;
	struct ll_ws_conn *c;
	double cpu0, cpu, wall;
	long long t0;
	struct running r;

	fill = malloc(FILL_MAX * sizeof(*fill));
	CHECK(fill != NULL);
	start(&r, &opts);
	/* The clients' sockets exist before the fds run out: connect itself makes none. */
	for (i = 0; i < CLIENTS; i++) {
		socks[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		CHECK(socks[i] >= 0);
	}
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 256;
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (nfill < FILL_MAX && (fd = dup(0)) >= 0)
		fill[nfill++] = fd;
	CHECK_EQ(errno, EMFILE);
	for (i = 0; i < CLIENTS; i++)
		connect_raw(socks[i], r.port);

	/* Let the loop reach its longer pauses, then measure a whole second. */
	sleep_ms(200);
	cpu0 = cpu_seconds();
	t0 = now_ms();
	sleep_ms(1000);
	cpu = cpu_seconds() - cpu0;
	wall = (double)(now_ms() - t0) / 1000.0;
	fprintf(stderr, "   past the fd limit: %.1f%% of a core (%.3f s CPU in %.3f s)\n",
		100.0 * cpu / wall, cpu, wall);
	CHECK_INT(cpu * 100, <, wall * 10);

	/* fds free again: the waiting clients are taken and a new one is served. */
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	CHECK_EQ(ll_ws_client_connect(&c, "127.0.0.1", r.port, NULL, NULL), 0);
	echo_once(c);
	ll_ws_conn_destroy(c);
	for (i = 0; i < CLIENTS; i++)
		close(socks[i]);
	stop(&r);
	free(fill);
}

/*
 * Upgrades a connected raw socket: the request, then exactly the 101's
 * head, byte by byte, so that no frame is taken with it.
 */
static void upgrade_raw(int fd)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
				  "Connection: Upgrade\r\n"
				  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Sec-WebSocket-Version: 13\r\n\r\n";
	char reply[512];
	size_t len = 0;

	CHECK_EQ(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	while (len < 4 || memcmp(reply + len - 4, "\r\n\r\n", 4) != 0) {
		CHECK(len < sizeof(reply));
		CHECK_EQ(read(fd, reply + len, 1), 1);
		len++;
	}
	CHECK(strncmp(reply, "HTTP/1.1 101 ", 13) == 0);
}

/*
 * A raw client for the stuck peer: its receive buffer is tiny and it never
 * reads, so the server's echo of one big message blocks in a write, holding
 * the connection's writer lock, for the whole write timeout.
 */
static int stuck_peer(unsigned port, size_t payload)
{
	uint8_t head[14] = {0x82, 0x80 | 127};
	struct pollfd p;
	int small = 4096, fd, i;
	size_t off;
	uint8_t *zeros;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	connect_raw(fd, port);
	upgrade_raw(fd);
	/* One binary frame, masked with the key 0 (section 5.3): the payload is sent as is. */
	for (i = 0; i < 8; i++)
		head[2 + i] = (uint8_t)((uint64_t)payload >> (56 - 8 * i));
	CHECK_EQ(write(fd, head, sizeof(head)), (ssize_t)sizeof(head));
	zeros = calloc(1, 65536);
	CHECK(zeros != NULL);
	for (off = 0; off < payload; off += 65536)
		CHECK_EQ(write(fd, zeros, 65536), 65536);
	free(zeros);
	/* The echo has begun: the server's write is about to block. */
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 10000), 1);
	return fd;
}

/*
 * One peer that stopped reading must not delay the close frames of the
 * others. Stop used to write them under the server lock, one after the
 * other, stuck behind that peer's write for the whole write timeout (a
 * healthy client got its 1001 2.5-4 s after stop). Every healthy client
 * must get it within 0.5 s.
 */
static void stop_with_stuck_peer(const struct ll_ws_server_opts *opts)
{
	enum { HEALTHY = 4 };
	struct ll_ws_conn *c[HEALTHY];
	struct ll_ws_msg msg;
	long long t0, took, worst = 0;
	struct running r;
	int stuck, i;

	start(&r, opts);
	for (i = 0; i < HEALTHY; i++) {
		CHECK_EQ(ll_ws_client_connect(&c[i], "127.0.0.1", r.port, NULL, NULL), 0);
		echo_once(c[i]);
	}
	/* Connected last, so stop finds it first on its list. */
	stuck = stuck_peer(r.port, 8u << 20);
	sleep_ms(100);
	t0 = now_ms();
	ll_ws_server_stop(r.srv);
	for (i = 0; i < HEALTHY; i++) {
		CHECK_EQ(ll_ws_conn_recv(c[i], &msg, 10000), LL_ECLOSED);
		took = now_ms() - t0;
		CHECK_EQ(ll_ws_conn_close_code(c[i]), LL_WS_CLOSE_GOING_AWAY);
		worst = took > worst ? took : worst;
	}
	fprintf(stderr, "   last healthy close frame %lld ms after stop\n", worst);
	CHECK_INT(worst, <, bound_ms(500));
	pthread_join(r.thread, NULL);
	CHECK_EQ(r.run_result, 0);
	ll_ws_server_destroy(r.srv);
	for (i = 0; i < HEALTHY; i++)
		ll_ws_conn_destroy(c[i]);
	close(stuck);
}

static void test_stop_with_stuck_peer(void)
{
	struct ll_ws_server_opts opts = {.conn = {.close_timeout_ms = 300}, .handler = echo};

	stop_with_stuck_peer(&opts);
}

static atomic_int served;

/* echo()'s loop body as on_message; "bye" ends the connection instead. */
static int echo_message(struct ll_ws_conn *conn, struct ll_ws_msg *msg, void *arg)
{
	(void)arg;
	atomic_fetch_add(&served, 1);
	if (msg->len == 3 && memcmp(msg->data, "bye", 3) == 0)
		return LL_ECLOSED;
	return ll_ws_conn_send(conn, msg->opcode, msg->data, msg->len);
}

/*
 * The same with every connection served by the parker: the stuck peer's
 * write waits on a retired parker, which stop must still reach and join.
 */
static void test_stop_with_stuck_peer_served(void)
{
	struct ll_ws_server_opts opts = {.conn = {.close_timeout_ms = 300},
					 .handler = echo,
					 .park_fresh = true,
					 .on_message = echo_message};

	stop_with_stuck_peer(&opts);
}

/* Waits, bounded like wait_tasks, for the server to count want connections. */
static size_t wait_conns(struct ll_ws_server *srv, size_t want)
{
	size_t n = ll_ws_server_conn_count(srv);

	for (int i = 0; i < 2000 && n != want; i++) {
		sleep_ms(5);
		n = ll_ws_server_conn_count(srv);
	}
	return n;
}

/*
 * on_message: a used connection holds no thread either, its messages are
 * served from the parker (in order, however many come at once), a peer
 * that stops reading holds up no other (the parker hands its set to a new
 * thread and waits on that write alone), on_message's error ends its
 * connection without a handler, and a stop still closes every connection
 * with 1001 from its handler's thread.
 */
static void test_on_message(void)
{
	enum { CONNS = 8, BURST = 200 };
	struct ll_ws_server_opts opts = {
	    .conn = {.close_timeout_ms = 300, .write_timeout_ms = 10000},
	    .handler = echo,
	    .park_fresh = true,
	    .on_message = echo_message};
	struct ll_ws_conn *c[CONNS], *quitter;
	struct ll_ws_msg msg;
	struct running r;
	struct pollfd p;
	int base, stuck, i, k;
	char text[16];

	atomic_store(&handlers_done, 0);
	atomic_store(&served, 0);
	base = task_count();
	start(&r, &opts);
	for (i = 0; i < CONNS; i++) {
		CHECK_EQ(ll_ws_client_connect(&c[i], "127.0.0.1", r.port, NULL, NULL), 0);
		for (k = 0; k < 3; k++)
			echo_once(c[i]);
	}
	/* The accept loop and the parker: not one thread for the eight used connections. */
	base += 2;
	CHECK_EQ(wait_tasks(base), base);
	CHECK_EQ(atomic_load(&served), 3 * CONNS);
	CHECK_EQ(atomic_load(&handlers_done), 0);

	/* Many at once, past the parker's per-turn budget: every echo, in order. */
	for (k = 0; k < BURST; k++) {
		snprintf(text, sizeof(text), "m%d", k);
		CHECK_EQ(ll_ws_conn_send(c[0], LL_WS_OP_TEXT, text, strlen(text)), 0);
	}
	for (k = 0; k < BURST; k++) {
		snprintf(text, sizeof(text), "m%d", k);
		CHECK_EQ(ll_ws_conn_recv(c[0], &msg, 5000), 0);
		CHECK_STR((char *)msg.data, text);
		ll_ws_msg_free(&msg);
	}

	/*
	 * A peer that stops reading: the echo of its 8 MiB blocks, a new parker
	 * takes the set, and the others are answered while that write waits.
	 */
	stuck = stuck_peer(r.port, 8u << 20);
	CHECK_EQ(wait_tasks(base + 1), base + 1);
	for (i = 0; i < CONNS; i++)
		echo_once(c[i]);
	p = (struct pollfd){.fd = stuck, .events = POLLRDHUP};
	CHECK_EQ(poll(&p, 1, 0), 0); /* still connected: the server's write still waits */
	/* Its reset fails that write: the connection ends and its thread with it. */
	close(stuck);
	CHECK_EQ(wait_conns(r.srv, CONNS), CONNS);
	CHECK_EQ(wait_tasks(base), base);

	/* on_message's error: the server destroys the connection; no handler ran. */
	CHECK_EQ(ll_ws_client_connect(&quitter, "127.0.0.1", r.port, NULL, NULL), 0);
	CHECK_EQ(ll_ws_conn_send(quitter, LL_WS_OP_TEXT, "bye", 3), 0);
	CHECK_EQ(ll_ws_conn_recv(quitter, &msg, 5000), LL_ECLOSED);
	ll_ws_conn_destroy(quitter);
	CHECK_EQ(wait_conns(r.srv, CONNS), CONNS);
	CHECK_EQ(atomic_load(&handlers_done), 0);

	ll_ws_server_stop(r.srv);
	for (i = 0; i < CONNS; i++) {
		CHECK_EQ(ll_ws_conn_recv(c[i], &msg, 5000), LL_ECLOSED);
		CHECK_EQ(ll_ws_conn_close_code(c[i]), LL_WS_CLOSE_GOING_AWAY);
	}
	pthread_join(r.thread, NULL);
	CHECK_EQ(r.run_result, 0);
	CHECK_EQ(atomic_load(&handlers_done), CONNS);
	ll_ws_server_destroy(r.srv);
	for (i = 0; i < CONNS; i++)
		ll_ws_conn_destroy(c[i]);
}

static atomic_int holding, released;

/* echo_message, except that "hold" keeps the parker until the test lets it go. */
static int gate_message(struct ll_ws_conn *conn, struct ll_ws_msg *msg, void *arg)
{
	if (msg->len == 4 && memcmp(msg->data, "hold", 4) == 0) {
		atomic_store(&holding, 1);
		for (int i = 0; i < 10000 && !atomic_load(&released); i++)
			sleep_ms(1);
	}
	return echo_message(conn, msg, arg);
}

/* A raw client, upgraded, whose connection the server parked (no thread holds it). */
static int parked_raw(unsigned port, int tasks)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	connect_raw(fd, port);
	upgrade_raw(fd);
	CHECK_EQ(wait_tasks(tasks), tasks);
	return fd;
}

/*
 * The peer's hang-up, edge-triggered, comes once: when the data and the
 * FIN (or a reset) reach the socket before the parker reads it, the one
 * event reports both. A short read used to stand for "the socket is
 * empty", the end behind the data went unread, and the connection stayed
 * parked with its buffers until stop (hostile cut-mid-payload under
 * memcheck caught it, once in a loaded run). The parker is held busy
 * while both peers send and hang up, so that each one's data and end
 * arrive together every time.
 */
static void test_served_hangup(void)
{
	struct ll_ws_server_opts opts = {
	    .handler = echo, .park_fresh = true, .on_message = gate_message};
	/* A text frame "hi", masked with the key 0 (section 5.3). */
	static const uint8_t hi[] = {0x81, 0x82, 0, 0, 0, 0, 'h', 'i'};
	/* A 1 MiB binary frame's head and the first 64 bytes of it. */
	uint8_t cut[14 + 64] = {0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0x10, 0, 0};
	struct linger rst = {.l_onoff = 1, .l_linger = 0};
	struct timeval give_up = {.tv_sec = 5};
	struct tcp_info ti;
	socklen_t tl;
	struct ll_ws_conn *holder;
	struct ll_ws_msg msg;
	struct running r;
	uint8_t got[16];
	size_t len = 0;
	int base, fin, reset, i;
	ssize_t n;

	atomic_store(&handlers_done, 0);
	atomic_store(&holding, 0);
	atomic_store(&released, 0);
	base = task_count() + 2; /* the accept loop and the parker */
	start(&r, &opts);
	CHECK_EQ(ll_ws_client_connect(&holder, "127.0.0.1", r.port, NULL, NULL), 0);
	echo_once(holder);
	reset = parked_raw(r.port, base);
	fin = parked_raw(r.port, base);

	CHECK_EQ(ll_ws_conn_send(holder, LL_WS_OP_TEXT, "hold", 4), 0);
	for (i = 0; i < 2000 && !atomic_load(&holding); i++)
		sleep_ms(5);
	CHECK(atomic_load(&holding));
	/* Part of a frame, then a reset; a whole message, then a FIN. */
	CHECK_EQ(write(reset, cut, sizeof(cut)), (ssize_t)sizeof(cut));
	CHECK_EQ(setsockopt(reset, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst)), 0);
	close(reset);
	CHECK_EQ(write(fin, hi, sizeof(hi)), (ssize_t)sizeof(hi));
	CHECK_EQ(shutdown(fin, SHUT_WR), 0);
	/* FIN_WAIT2: the server's kernel took the FIN, and the reset sent before it. */
	for (i = 0; i < 2000; i++) {
		tl = sizeof(ti);
		CHECK_EQ(getsockopt(fin, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
		if (ti.tcpi_state == TCP_FIN_WAIT2)
			break;
		sleep_ms(5);
	}
	CHECK_EQ(ti.tcpi_state, TCP_FIN_WAIT2);
	atomic_store(&released, 1);
	CHECK_EQ(ll_ws_conn_recv(holder, &msg, 5000), 0);
	ll_ws_msg_free(&msg);

	/* Both end: the reset at once, the FIN after its message's echo. */
	CHECK_EQ(wait_conns(r.srv, 1), 1);
	CHECK_EQ(setsockopt(fin, SOL_SOCKET, SO_RCVTIMEO, &give_up, sizeof(give_up)), 0);
	while ((n = read(fin, got + len, sizeof(got) - len)) > 0)
		len += (size_t)n;
	CHECK_EQ(len, 4);
	CHECK(memcmp(got, "\x81\x02hi", 4) == 0);
	close(fin);
	CHECK_EQ(atomic_load(&handlers_done), 0);
	ll_ws_conn_destroy(holder);
	CHECK_EQ(wait_conns(r.srv, 0), 0);
	stop(&r);
}

/*
 * Stop must reach a client still in its TLS handshake. The transport used
 * to reach the slot only after the handshake, so one TCP client that says
 * nothing held a wss server's exit for the handshake timeout (4.5-4.8 s
 * measured with the default 5 s). Run must return within 1 s.
 */
static void test_stop_during_tls_handshake(void)
{
	struct ll_ws_server_opts opts = {.handler = echo};
	struct ll_tls_ctx *sctx;
	struct running r;
	long long t0, took;
	int base, fd, i;

	CHECK_EQ(ll_tls_server_ctx_create(&sctx), 0);
	opts.tls = sctx;
	warm_up();
	start(&r, &opts);
	base = settle_tasks(task_count());
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	connect_raw(fd, r.port);
	/* Its connection thread has started: the handshake waits for a ClientHello. */
	for (i = 0; i < 500 && task_count() < base + 1; i++)
		sleep_ms(10);
	CHECK_INT(task_count(), >=, base + 1);
	sleep_ms(50);
	t0 = now_ms();
	ll_ws_server_stop(r.srv);
	pthread_join(r.thread, NULL);
	took = now_ms() - t0;
	fprintf(stderr, "   run returned %lld ms after stop\n", took);
	CHECK_EQ(r.run_result, 0);
	CHECK_INT(took, <, bound_ms(1000));
	ll_ws_server_destroy(r.srv);
	close(fd);
	ll_tls_ctx_destroy(sctx);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_echo_round_trips);
	RUN(test_refused_handshakes);
	RUN(test_check_hook);
	RUN(test_metrics);
	RUN(test_max_conns);
	RUN(test_tls);
	RUN(test_tls_sessions_of_the_app);
	RUN(test_graceful_stop);
	RUN(test_park_fresh);
	RUN(test_park_fresh_not_with_tls);
	RUN(test_concurrent_clients);
	RUN(test_accept_out_of_fds);
	RUN(test_stop_with_stuck_peer);
	RUN(test_on_message);
	RUN(test_stop_with_stuck_peer_served);
	RUN(test_served_hangup);
	RUN(test_stop_during_tls_handshake);
	return check_finish();
}
