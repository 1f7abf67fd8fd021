/*
 * test_transport.c - plain and TLS transports over real loopback sockets
 * and real threads: echo, deadlines, shutdown waking a blocked reader,
 * writes to a vanished peer, big writes, concurrent TLS read and write,
 * handshakes that must fail cleanly, and sessions the application made
 * itself (adopted), given back once on every path.
 */
#include <leaklab/error.h>
#include <leaklab/transport.h>

#include <openssl/ssl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* A connected pair of loopback TCP sockets: *client from ll_tcp_connect, *server accepted. */
static void tcp_pair(int *client, int *server)
{
	struct pollfd p;
	unsigned port = 0;
	int lfd;

	lfd = ll_tcp_listen("127.0.0.1", 0, 8, &port);
	CHECK(lfd >= 0);
	CHECK(port > 0);
	*client = ll_tcp_connect("127.0.0.1", port, 2000);
	CHECK(*client >= 0);
	p.fd = lfd;
	p.events = POLLIN;
	CHECK_EQ(poll(&p, 1, 2000), 1);
	*server = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(*server >= 0);
	close(lfd);
}

static void plain_pair(struct ll_transport **client, struct ll_transport **server)
{
	int c, s;

	tcp_pair(&c, &s);
	CHECK_EQ(ll_transport_plain(client, c), 0);
	CHECK_EQ(ll_transport_plain(server, s), 0);
	CHECK(!ll_transport_is_tls(*client));
	CHECK_EQ(ll_transport_fd(*client), c);
}

/* Reads exactly len bytes or fails the test. */
static void read_full(struct ll_transport *t, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = ll_transport_read(t, (char *)buf + got, len - got, 5000);

		CHECK_INT(n, >, 0);
		got += (size_t)n;
	}
}

/* Echoes everything it reads until end of stream. */
static void *echo_thread(void *arg)
{
	struct ll_transport *t = arg;
	char buf[16384];
	ssize_t n;

	while ((n = ll_transport_read(t, buf, sizeof(buf), 10000)) > 0)
		CHECK_EQ(ll_transport_write(t, buf, (size_t)n, 10000), 0);
	CHECK_EQ(n, 0);
	return NULL;
}

/* A TLS handshake run in a thread, so both ends can handshake at once. */
struct tls_side {
	int fd;
	struct ll_tls_ctx *ctx;
	bool server;
	int timeout_ms;
	struct ll_transport *t;
	int rc;
};

static void *tls_side_thread(void *arg)
{
	struct tls_side *s = arg;

	s->rc = ll_transport_tls(&s->t, s->fd, s->ctx, s->server, s->timeout_ms);
	return NULL;
}

static void tls_pair(struct ll_tls_ctx *sctx, struct ll_tls_ctx *cctx, struct ll_transport **client,
		     struct ll_transport **server)
{
	struct tls_side srv = {.ctx = sctx, .server = true, .timeout_ms = 5000};
	pthread_t th;
	int c;

	tcp_pair(&c, &srv.fd);
	CHECK_EQ(pthread_create(&th, NULL, tls_side_thread, &srv), 0);
	CHECK_EQ(ll_transport_tls(client, c, cctx, false, 5000), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(srv.rc, 0);
	CHECK(ll_transport_is_tls(*client));
	CHECK(ll_transport_is_tls(srv.t));
	*server = srv.t;
}

static void round_trip(struct ll_transport *client, struct ll_transport *server)
{
	char buf[16];
	pthread_t th;

	CHECK_EQ(pthread_create(&th, NULL, echo_thread, server), 0);
	CHECK_EQ(ll_transport_write(client, "hello", 5, 1000), 0);
	read_full(client, buf, 5);
	CHECK_MEM(buf, "hello", 5);
	CHECK_EQ(ll_transport_write(client, "world!", 6, 1000), 0);
	read_full(client, buf, 6);
	CHECK_MEM(buf, "world!", 6);
	/* The client's shutdown is the echo thread's end of stream. */
	ll_transport_shutdown(client);
	CHECK_EQ(pthread_join(th, NULL), 0);
}

static void test_plain_echo(void)
{
	struct ll_transport *c, *s;

	plain_pair(&c, &s);
	round_trip(c, s);
	ll_transport_destroy(c);
	ll_transport_destroy(s);
	ll_transport_destroy(NULL);
}

static void test_read_timeout(void)
{
	struct ll_transport *c, *s;
	long long t0, dt;
	char buf[8];

	plain_pair(&c, &s);
	t0 = now_ms();
	CHECK_EQ(ll_transport_read(c, buf, sizeof(buf), 50), LL_ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 45);
	CHECK_INT(dt, <, 1000);
	/* A zero timeout polls once. */
	CHECK_EQ(ll_transport_read(c, buf, sizeof(buf), 0), LL_ETIMEDOUT);
	/* Data already there is returned at once, even with a zero timeout. */
	CHECK_EQ(ll_transport_write(s, "x", 1, 1000), 0);
	for (int i = 0; i < 100; i++) {
		ssize_t n = ll_transport_read(c, buf, sizeof(buf), 0);

		if (n == 1)
			break;
		CHECK_EQ(n, LL_ETIMEDOUT);
		sleep_ms(5);
	}
	CHECK_EQ(buf[0], 'x');
	ll_transport_destroy(c);
	ll_transport_destroy(s);
}

struct blocked_reader {
	struct ll_transport *t;
	atomic_int started;
	ssize_t result;
	long long returned_at;
};

static void *blocked_reader_thread(void *arg)
{
	struct blocked_reader *r = arg;
	char buf[64];

	atomic_store(&r->started, 1);
	r->result = ll_transport_read(r->t, buf, sizeof(buf), -1);
	r->returned_at = now_ms();
	return NULL;
}

/* ll_transport_shutdown from this thread wakes t's reader, blocked with no timeout. */
static void check_shutdown_wakes_reader(struct ll_transport *t)
{
	struct blocked_reader r = {.t = t, .result = 12345};
	long long t0;
	pthread_t th;
	char buf[8];

	CHECK_EQ(pthread_create(&th, NULL, blocked_reader_thread, &r), 0);
	while (!atomic_load(&r.started))
		sleep_ms(1);
	/* Give the reader time to reach poll(); it must still be waiting then. */
	sleep_ms(50);
	CHECK_EQ(r.result, 12345);
	t0 = now_ms();
	ll_transport_shutdown(t);
	ll_transport_shutdown(t);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(r.result, 0);
	CHECK_INT(r.returned_at - t0, <, 1000);
	/* Later reads see the end too, and writes fail. */
	CHECK_EQ(ll_transport_read(t, buf, sizeof(buf), 1000), 0);
	CHECK_EQ(ll_transport_write(t, "x", 1, 1000), LL_ECLOSED);
}

static void test_shutdown_wakes_reader(void)
{
	struct ll_transport *c, *s;
	char buf[8];

	plain_pair(&c, &s);
	check_shutdown_wakes_reader(c);
	/* The peer sees the end of stream. */
	CHECK_EQ(ll_transport_read(s, buf, sizeof(buf), 1000), 0);
	ll_transport_destroy(c);
	ll_transport_destroy(s);
}

/* Writes until the vanished peer's reset shows: LL_ECLOSED, never a SIGPIPE that kills us. */
static void check_write_to_closed_peer(struct ll_transport *t)
{
	static char chunk[4096];
	int rc = 0, i;

	for (i = 0; i < 200 && rc == 0; i++) {
		rc = ll_transport_write(t, chunk, sizeof(chunk), 1000);
		if (rc == 0)
			sleep_ms(2);
	}
	CHECK_EQ(rc, LL_ECLOSED);
}

static void test_write_to_closed_peer(void)
{
	struct ll_transport *c, *s;

	plain_pair(&c, &s);
	ll_transport_destroy(s);
	check_write_to_closed_peer(c);
	ll_transport_destroy(c);
}

#define BIG (4u << 20)

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 12));
}

/* Reads BIG bytes in small gulps with pauses, and checks every byte. */
static void *slow_reader_thread(void *arg)
{
	struct ll_transport *t = arg;
	static unsigned char buf[65536];
	size_t got = 0;
	int gulps = 0;

	while (got < BIG) {
		ssize_t n = ll_transport_read(t, buf, sizeof(buf), 10000);

		CHECK_INT(n, >, 0);
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != pattern(got + (size_t)i)) {
				fprintf(stderr, "byte %zu differs\n", got + (size_t)i);
				abort();
			}
		}
		got += (size_t)n;
		if (++gulps % 8 == 0)
			sleep_ms(1);
	}
	return NULL;
}

static void test_large_write(void)
{
	struct ll_transport *c, *s;
	unsigned char *data = malloc(BIG);
	pthread_t th;

	CHECK(data != NULL);
	for (size_t i = 0; i < BIG; i++)
		data[i] = pattern(i);
	plain_pair(&c, &s);
	CHECK_EQ(pthread_create(&th, NULL, slow_reader_thread, s), 0);
	CHECK_EQ(ll_transport_write(c, data, BIG, 20000), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	ll_transport_destroy(c);
	ll_transport_destroy(s);
	free(data);
}

static void test_write_timeout(void)
{
	struct ll_transport *c, *s;
	unsigned char *data = calloc(1, BIG);
	int small = 4096;
	long long t0, dt;

	/* Nobody reads, and small buffers fill soon: the deadline passes. */
	CHECK(data != NULL);
	plain_pair(&c, &s);
	CHECK_EQ(setsockopt(ll_transport_fd(c), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	CHECK_EQ(setsockopt(ll_transport_fd(s), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	t0 = now_ms();
	CHECK_EQ(ll_transport_write(c, data, BIG, 100), LL_ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 95);
	CHECK_INT(dt, <, 2000);
	ll_transport_destroy(c);
	ll_transport_destroy(s);
	free(data);
}

static void test_connect_errors(void)
{
	unsigned port = 0;
	int lfd, fd;

	lfd = ll_tcp_listen("127.0.0.1", 0, 1, &port);
	CHECK(lfd >= 0);
	close(lfd);
	/* Nobody listens there now: refused. */
	fd = ll_tcp_connect("127.0.0.1", port, 1000);
	CHECK_EQ(fd, LL_EIO);
	CHECK_EQ(errno, ECONNREFUSED);
	CHECK_EQ(ll_tcp_connect(NULL, port, 1000), LL_EINVAL);
	CHECK_EQ(ll_tcp_connect("127.0.0.1", 70000, 1000), LL_EINVAL);
	CHECK_EQ(ll_tcp_listen("127.0.0.1", 70000, 1, NULL), LL_EINVAL);
	CHECK_EQ(ll_tcp_listen("not an address", 0, 1, NULL), LL_EIO);
	/* "localhost" goes through the name lookup. */
	lfd = ll_tcp_listen("localhost", 0, 1, &port);
	CHECK(lfd >= 0);
	fd = ll_tcp_connect("localhost", port, 1000);
	CHECK(fd >= 0);
	close(fd);
	close(lfd);
}

static void test_tls_round_trip(void)
{
	struct ll_tls_ctx *sctx, *cctx;
	struct ll_transport *c, *s;

	CHECK_EQ(ll_tls_server_ctx_create(&sctx), 0);
	CHECK_EQ(ll_tls_client_ctx_create(&cctx, NULL), 0);
	/* The client writes, the server echoes. */
	tls_pair(sctx, cctx, &c, &s);
	round_trip(c, s);
	ll_transport_destroy(c);
	ll_transport_destroy(s);
	/* And the other way round, with an orderly close_notify from the server. */
	tls_pair(sctx, cctx, &c, &s);
	{
		char buf[8];
		pthread_t th;

		CHECK_EQ(pthread_create(&th, NULL, echo_thread, c), 0);
		CHECK_EQ(ll_transport_write(s, "abc", 3, 1000), 0);
		read_full(s, buf, 3);
		CHECK_MEM(buf, "abc", 3);
		/* close_notify ends the client's echo loop with 0. */
		ll_transport_destroy(s);
		CHECK_EQ(pthread_join(th, NULL), 0);
	}
	ll_transport_destroy(c);
	ll_tls_ctx_destroy(cctx);
	ll_tls_ctx_destroy(sctx);
	ll_tls_ctx_destroy(NULL);
}

#define TLS_BIG (1u << 20)

static void *tls_writer_thread(void *arg)
{
	struct ll_transport *t = arg;
	unsigned char *data = malloc(TLS_BIG);

	CHECK(data != NULL);
	for (size_t i = 0; i < TLS_BIG; i++)
		data[i] = pattern(i);
	CHECK_EQ(ll_transport_write(t, data, TLS_BIG, 30000), 0);
	free(data);
	return NULL;
}

static void test_tls_concurrent_read_write(void)
{
	struct ll_tls_ctx *sctx, *cctx;
	struct ll_transport *c, *s;
	unsigned char *back = malloc(TLS_BIG);
	pthread_t echo, writer;

	CHECK(back != NULL);
	CHECK_EQ(ll_tls_server_ctx_create(&sctx), 0);
	CHECK_EQ(ll_tls_client_ctx_create(&cctx, NULL), 0);
	tls_pair(sctx, cctx, &c, &s);
	/*
	 * 1 MiB is far more than the socket buffers hold: unless this
	 * thread reads while the writer writes on the same TLS session,
	 * the echo stalls and both sides hang until their deadlines.
	 */
	CHECK_EQ(pthread_create(&echo, NULL, echo_thread, s), 0);
	CHECK_EQ(pthread_create(&writer, NULL, tls_writer_thread, c), 0);
	read_full(c, back, TLS_BIG);
	CHECK_EQ(pthread_join(writer, NULL), 0);
	for (size_t i = 0; i < TLS_BIG; i++) {
		if (back[i] != pattern(i)) {
			fprintf(stderr, "byte %zu differs\n", i);
			abort();
		}
	}
	ll_transport_shutdown(c);
	CHECK_EQ(pthread_join(echo, NULL), 0);
	ll_transport_destroy(c);
	ll_transport_destroy(s);
	ll_tls_ctx_destroy(cctx);
	ll_tls_ctx_destroy(sctx);
	free(back);
}

static void test_tls_shutdown_and_closed_peer(void)
{
	struct ll_tls_ctx *sctx, *cctx;
	struct ll_transport *c, *s;

	CHECK_EQ(ll_tls_server_ctx_create(&sctx), 0);
	CHECK_EQ(ll_tls_client_ctx_create(&cctx, NULL), 0);
	tls_pair(sctx, cctx, &c, &s);
	check_shutdown_wakes_reader(s);
	ll_transport_destroy(s);
	ll_transport_destroy(c);

	/* OpenSSL's own socket BIO would raise SIGPIPE here. */
	tls_pair(sctx, cctx, &c, &s);
	ll_transport_shutdown(s);
	ll_transport_destroy(s);
	check_write_to_closed_peer(c);
	ll_transport_destroy(c);
	ll_tls_ctx_destroy(cctx);
	ll_tls_ctx_destroy(sctx);
}

static void test_tls_handshake_timeout(void)
{
	struct ll_tls_ctx *sctx, *cctx;
	struct ll_transport *t = (void *)1;
	long long t0, dt;
	int c, s;

	CHECK_EQ(ll_tls_server_ctx_create(&sctx), 0);
	CHECK_EQ(ll_tls_client_ctx_create(&cctx, NULL), 0);
	/* The client never speaks: the server waits for a ClientHello in vain. */
	tcp_pair(&c, &s);
	t0 = now_ms();
	CHECK_EQ(ll_transport_tls(&t, s, sctx, true, 100), LL_ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK_INT(dt, >=, 95);
	CHECK_INT(dt, <, 2000);
	CHECK(t == NULL);
	CHECK(!fd_is_open(s));
	close(c);
	/* The server never answers the ClientHello. */
	tcp_pair(&c, &s);
	CHECK_EQ(ll_transport_tls(&t, c, cctx, false, 100), LL_ETIMEDOUT);
	CHECK(!fd_is_open(c));
	close(s);
	ll_tls_ctx_destroy(cctx);
	ll_tls_ctx_destroy(sctx);
}

/* The far end of a TLS handshake that speaks plain HTTP. */
static void *plain_http_peer(void *arg)
{
	int fd = *(int *)arg;
	static const char resp[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
	char buf[512];
	struct pollfd p = {.fd = fd, .events = POLLIN};

	/* Wait for the ClientHello (or the request), then answer in plain text. */
	if (poll(&p, 1, 5000) == 1)
		(void)!read(fd, buf, sizeof(buf));
	(void)!write(fd, resp, sizeof(resp) - 1);
	return NULL;
}

static void test_tls_against_plain_peer(void)
{
	struct ll_tls_ctx *sctx, *cctx;
	struct ll_transport *t;
	pthread_t th;
	int c, s;

	CHECK_EQ(ll_tls_server_ctx_create(&sctx), 0);
	CHECK_EQ(ll_tls_client_ctx_create(&cctx, NULL), 0);
	/* A TLS client talking to an HTTP server. */
	tcp_pair(&c, &s);
	CHECK_EQ(pthread_create(&th, NULL, plain_http_peer, &s), 0);
	CHECK_EQ(ll_transport_tls(&t, c, cctx, false, 5000), LL_ETLS);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK(!fd_is_open(c));
	close(s);
	/* An HTTP client talking to a TLS server. */
	tcp_pair(&c, &s);
	CHECK_EQ(write(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27), 27);
	CHECK_EQ(ll_transport_tls(&t, s, sctx, true, 5000), LL_ETLS);
	CHECK(!fd_is_open(s));
	/* A peer that hangs up at once. */
	close(c);
	tcp_pair(&c, &s);
	close(c);
	CHECK_EQ(ll_transport_tls(&t, s, sctx, true, 5000), LL_ETLS);
	ll_tls_ctx_destroy(cctx);
	ll_tls_ctx_destroy(sctx);
}

/*
 * Contexts from PEM files, made with the openssl command (skipped if it is
 * missing): a client that trusts the file's certificate connects; one that
 * trusts it but meets the in-memory self-signed server refuses.
 */
static void test_tls_files_and_verify(void)
{
	char dir[] = "/tmp/leaklab-tls-XXXXXX", cmd[512], cert[64], key[64];
	struct ll_tls_ctx *sctx, *cctx, *other, *bad = (void *)1;
	struct ll_transport *c, *s;
	struct tls_side srv = {.server = true, .timeout_ms = 5000};
	pthread_t th;
	int cfd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout %s -out %s -days 1 -subj /CN=localhost >/dev/null 2>&1",
		 key, cert);
	if (system(cmd) != 0) {
		fprintf(stderr, "   skipped: the openssl command failed\n");
		rmdir(dir);
		return;
	}
	CHECK_EQ(ll_tls_server_ctx_from_files(&sctx, cert, key), 0);
	CHECK_EQ(ll_tls_client_ctx_create(&cctx, cert), 0);
	tls_pair(sctx, cctx, &c, &s);
	round_trip(c, s);
	ll_transport_destroy(c);
	ll_transport_destroy(s);

	/* A server whose certificate does not chain to the CA file. */
	CHECK_EQ(ll_tls_server_ctx_create(&other), 0);
	srv.ctx = other;
	tcp_pair(&cfd, &srv.fd);
	CHECK_EQ(pthread_create(&th, NULL, tls_side_thread, &srv), 0);
	CHECK_EQ(ll_transport_tls(&c, cfd, cctx, false, 5000), LL_ETLS);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK(srv.rc != 0);

	/* Missing and mismatched files. */
	CHECK_EQ(ll_tls_server_ctx_from_files(&bad, cert, cert), LL_ETLS);
	CHECK(bad == NULL);
	CHECK_EQ(ll_tls_server_ctx_from_files(&bad, "/nonexistent", key), LL_ETLS);
	CHECK_EQ(ll_tls_client_ctx_create(&bad, "/nonexistent"), LL_ETLS);
	ll_tls_ctx_destroy(other);
	ll_tls_ctx_destroy(cctx);
	ll_tls_ctx_destroy(sctx);
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

/* What an adopted session's release was told, and how often. */
struct given_back {
	int calls;
	enum ll_tls_end how;
	bool say_goodbye; /* send close_notify on LL_TLS_CLEAN */
};

/* The application's end of a session made with SSL_set_fd (no BIO_CLOSE): it closes the fd. */
static void release_session(SSL *ssl, enum ll_tls_end how, void *arg)
{
	struct given_back *g = arg;
	int fd = SSL_get_fd(ssl);

	g->calls++;
	g->how = how;
	if (how == LL_TLS_CLEAN && g->say_goodbye)
		(void)SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
}

static SSL *session_for(struct ll_tls_ctx *ctx, int fd)
{
	SSL *ssl = SSL_new(ll_tls_ctx_openssl(ctx));

	CHECK(ssl != NULL);
	CHECK_EQ(SSL_set_fd(ssl, fd), 1);
	return ssl;
}

/*
 * A session the application made is driven like the library's own, given
 * back once (LL_TLS_CLEAN) when the transport goes, and its close_notify
 * reaches the client; without one the client sees a bare close.
 */
static void test_tls_adopted_session(void)
{
	struct ll_tls_ctx *sctx, *cctx;
	struct ll_transport *s;
	int round;

	CHECK_EQ(ll_tls_server_ctx_create(&sctx), 0);
	CHECK_EQ(ll_tls_client_ctx_create(&cctx, NULL), 0);
	CHECK(ll_tls_ctx_openssl(NULL) == NULL);
	for (round = 0; round < 2; round++) {
		struct given_back g = {.say_goodbye = round == 0};
		struct tls_side cli = {.ctx = cctx, .timeout_ms = 5000};
		char buf[8];
		pthread_t th;
		int fd;

		tcp_pair(&cli.fd, &fd);
		CHECK_EQ(pthread_create(&th, NULL, tls_side_thread, &cli), 0);
		CHECK_EQ(ll_transport_adopt_tls(&s, fd, session_for(sctx, fd), true, 5000,
						release_session, &g),
			 0);
		CHECK_EQ(pthread_join(th, NULL), 0);
		CHECK_EQ(cli.rc, 0);
		CHECK(ll_transport_is_tls(s));
		CHECK_EQ(ll_transport_write(s, "abc", 3, 1000), 0);
		read_full(cli.t, buf, 3);
		CHECK_MEM(buf, "abc", 3);
		CHECK_EQ(g.calls, 0);
		ll_transport_destroy(s);
		CHECK_EQ(g.calls, 1);
		CHECK_EQ(g.how, LL_TLS_CLEAN);
		CHECK(!fd_is_open(fd));
		/* The end of the stream, with or without the session's close_notify. */
		CHECK_EQ(ll_transport_read(cli.t, buf, sizeof(buf), 2000), 0);
		CHECK_EQ(ll_transport_close_notified(cli.t), round == 0);
		ll_transport_destroy(cli.t);
	}
	ll_tls_ctx_destroy(cctx);
	ll_tls_ctx_destroy(sctx);
}

/* A handshake that fails gives the session back (LL_TLS_FAILED) before the call returns. */
static void test_tls_adopted_failures(void)
{
	struct given_back g = {0};
	struct ll_tls_ctx *sctx;
	struct ll_transport *t = (void *)1;
	SSL *ssl;
	int c, s;

	CHECK_EQ(ll_tls_server_ctx_create(&sctx), 0);
	/* A plain-text client on the TLS port. */
	tcp_pair(&c, &s);
	CHECK_EQ(write(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27), 27);
	CHECK_EQ(
	    ll_transport_adopt_tls(&t, s, session_for(sctx, s), true, 5000, release_session, &g),
	    LL_ETLS);
	CHECK(t == NULL);
	CHECK_EQ(g.calls, 1);
	CHECK_EQ(g.how, LL_TLS_FAILED);
	CHECK(!fd_is_open(s));
	close(c);
	/* A client that says nothing: the deadline, then the same. */
	g.calls = 0;
	tcp_pair(&c, &s);
	CHECK_EQ(
	    ll_transport_adopt_tls(&t, s, session_for(sctx, s), true, 100, release_session, &g),
	    LL_ETIMEDOUT);
	CHECK_EQ(g.calls, 1);
	CHECK_EQ(g.how, LL_TLS_FAILED);
	CHECK(!fd_is_open(s));
	close(c);
	/* A NULL argument takes nothing: the caller still has the session and the fd. */
	tcp_pair(&c, &s);
	ssl = session_for(sctx, s);
	CHECK_EQ(ll_transport_adopt_tls(&t, s, ssl, true, 100, NULL, &g), LL_EINVAL);
	CHECK_EQ(ll_transport_adopt_tls(&t, s, NULL, true, 100, release_session, &g), LL_EINVAL);
	CHECK_EQ(g.calls, 1);
	CHECK(fd_is_open(s));
	SSL_free(ssl);
	close(s);
	close(c);
	ll_tls_ctx_destroy(sctx);
}

/* A plain socket never claims a close_notify. */
static void test_plain_close_notified(void)
{
	struct ll_transport *t;
	char byte;
	int c, s;

	tcp_pair(&c, &s);
	CHECK_EQ(ll_transport_plain(&t, c), 0);
	close(s);
	CHECK_EQ(ll_transport_read(t, &byte, 1, 2000), 0);
	CHECK(!ll_transport_close_notified(t));
	CHECK(!ll_transport_close_notified(NULL));
	ll_transport_destroy(t);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_plain_echo);
	RUN(test_read_timeout);
	RUN(test_shutdown_wakes_reader);
	RUN(test_write_to_closed_peer);
	RUN(test_large_write);
	RUN(test_write_timeout);
	RUN(test_connect_errors);
	RUN(test_tls_round_trip);
	RUN(test_tls_concurrent_read_write);
	RUN(test_tls_shutdown_and_closed_peer);
	RUN(test_tls_handshake_timeout);
	RUN(test_tls_against_plain_peer);
	RUN(test_tls_files_and_verify);
	RUN(test_tls_adopted_session);
	RUN(test_tls_adopted_failures);
	RUN(test_plain_close_notified);
	return check_finish();
}
