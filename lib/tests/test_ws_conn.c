/*
 * test_ws_conn.c - a server-role and a client-role connection talking over
 * a socketpair, and a raw peer that speaks bytes to check the wire format.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/ws_conn.h>

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

/* A connected pair: *srv reads masked frames, *cli sends them. */
static void make_pair(struct ll_ws_conn **srv, struct ll_ws_conn **cli,
		      const struct ll_ws_conn_opts *opts)
{
	struct ll_transport *ts, *tc;
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(ll_transport_plain(&ts, sv[0]), 0);
	CHECK_EQ(ll_transport_plain(&tc, sv[1]), 0);
	CHECK_EQ(ll_ws_conn_create(srv, ts, LL_WS_SERVER, opts, NULL, 0), 0);
	CHECK_EQ(ll_ws_conn_create(cli, tc, LL_WS_CLIENT, opts, NULL, 0), 0);
}

/* A server-role connection and the raw socket of its peer. */
static struct ll_ws_conn *make_raw(int *peer, const struct ll_ws_conn_opts *opts)
{
	struct ll_transport *ts;
	struct ll_ws_conn *c;
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(ll_transport_plain(&ts, sv[0]), 0);
	CHECK_EQ(ll_ws_conn_create(&c, ts, LL_WS_SERVER, opts, NULL, 0), 0);
	*peer = sv[1];
	return c;
}

/* Reads exactly n bytes from a raw socket (with a generous deadline). */
static void read_exact(int fd, uint8_t *buf, size_t n)
{
	struct timeval tv = {.tv_sec = 10};
	size_t got = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		CHECK(r > 0);
		got += (size_t)r;
	}
}

/*
 * Every length encoding both ways (7-bit, 16-bit, 64-bit; section 5.2).
 * Sizes stay under the socketpair's buffer so one thread can send then
 * read; test_big_message covers larger ones with a concurrent reader.
 */
static void test_round_trip_sizes(void)
{
	static const size_t sizes[] = {0, 1, 125, 126, 65535, 65536, 100000};
	struct ll_ws_conn *srv, *cli;
	size_t i;

	make_pair(&srv, &cli, NULL);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], j;
		uint8_t *data = ll_malloc(n + 1);
		struct ll_ws_msg msg;

		CHECK(data != NULL);
		for (j = 0; j < n; j++)
			data[j] = (uint8_t)(j * 7 + 3);
		CHECK_EQ(ll_ws_conn_send(cli, LL_WS_OP_BINARY, data, n), 0);
		CHECK_EQ(ll_ws_conn_recv(srv, &msg, 5000), 0);
		CHECK_EQ(msg.opcode, LL_WS_OP_BINARY);
		CHECK_EQ(msg.len, n);
		CHECK(msg.data != NULL);
		CHECK_MEM(msg.data, data, n);
		CHECK_EQ(msg.data[n], 0);
		ll_ws_msg_free(&msg);

		/* And back: the server sends unmasked, the client reads it. */
		CHECK_EQ(ll_ws_conn_send(srv, LL_WS_OP_BINARY, data, n), 0);
		CHECK_EQ(ll_ws_conn_recv(cli, &msg, 5000), 0);
		CHECK_EQ(msg.len, n);
		CHECK_MEM(msg.data, data, n);
		ll_ws_msg_free(&msg);
		ll_free(data);
	}
	ll_ws_conn_destroy(cli);
	ll_ws_conn_destroy(srv);
}

struct big_send {
	struct ll_ws_conn *c;
	const uint8_t *data;
	size_t len;
	int err;
};

static void *big_sender(void *arg)
{
	struct big_send *b = arg;

	b->err = ll_ws_conn_send(b->c, LL_WS_OP_BINARY, b->data, b->len);
	return NULL;
}

/* A 4 MiB message while the reader runs on another thread. */
static void test_big_message(void)
{
	struct ll_ws_conn *srv, *cli;
	struct ll_ws_msg msg;
	struct big_send b;
	pthread_t th;
	size_t n = 4u << 20, j;
	uint8_t *data = ll_malloc(n);

	CHECK(data != NULL);
	for (j = 0; j < n; j++)
		data[j] = (uint8_t)(j ^ (j >> 8));
	make_pair(&srv, &cli, NULL);
	b = (struct big_send){cli, data, n, -99};
	CHECK_EQ(pthread_create(&th, NULL, big_sender, &b), 0);
	CHECK_EQ(ll_ws_conn_recv(srv, &msg, 10000), 0);
	pthread_join(th, NULL);
	CHECK_EQ(b.err, 0);
	CHECK_EQ(msg.len, n);
	CHECK_MEM(msg.data, data, n);
	ll_ws_msg_free(&msg);
	ll_free(data);
	ll_ws_conn_destroy(cli);
	ll_ws_conn_destroy(srv);
}

/* Fragments with a ping between them (section 5.4): the message still assembles, the ping is
 * answered. */
static void test_fragments_and_ping(void)
{
	struct ll_ws_conn_opts opts = {.recv_pongs = true};
	struct ll_ws_conn *srv, *cli;
	struct ll_ws_msg msg;

	make_pair(&srv, &cli, &opts);
	CHECK_EQ(ll_ws_conn_send_frame(cli, LL_WS_OP_TEXT, false, "Hel", 3), 0);
	CHECK_EQ(ll_ws_conn_ping(cli, "p1", 2), 0);
	CHECK_EQ(ll_ws_conn_send_frame(cli, LL_WS_OP_CONT, true, "lo", 2), 0);
	CHECK_EQ(ll_ws_conn_recv(srv, &msg, 5000), 0);
	CHECK_EQ(msg.opcode, LL_WS_OP_TEXT);
	CHECK_EQ(msg.len, 5);
	CHECK_STR((char *)msg.data, "Hello");
	ll_ws_msg_free(&msg);
	/* The server answered the ping while reading. */
	CHECK_EQ(ll_ws_conn_recv(cli, &msg, 5000), 0);
	CHECK_EQ(msg.opcode, LL_WS_OP_PONG);
	CHECK_EQ(msg.len, 2);
	CHECK_MEM(msg.data, "p1", 2);
	ll_ws_msg_free(&msg);
	CHECK_EQ(ll_ws_conn_ping(cli, NULL, 126), LL_EINVAL);
	ll_ws_conn_destroy(cli);
	ll_ws_conn_destroy(srv);
}

struct closer {
	struct ll_ws_conn *c;
	int err;
};

static void *close_normal(void *arg)
{
	struct closer *cl = arg;

	cl->err = ll_ws_conn_close(cl->c, 4001, "done here");
	return NULL;
}

/* The client closes; the server's recv answers and reports the code. */
static void test_close_handshake(void)
{
	struct ll_ws_conn *srv, *cli;
	struct ll_ws_msg msg;
	struct closer cl;
	pthread_t th;

	make_pair(&srv, &cli, NULL);
	cl = (struct closer){cli, -99};
	CHECK_EQ(pthread_create(&th, NULL, close_normal, &cl), 0);
	CHECK_EQ(ll_ws_conn_recv(srv, &msg, 5000), LL_ECLOSED);
	pthread_join(th, NULL);
	CHECK_EQ(cl.err, 0);
	CHECK_EQ(ll_ws_conn_close_code(srv), 4001);
	CHECK_EQ(ll_ws_conn_close_code(cli), 4001);
	CHECK(!ll_ws_conn_is_open(srv));
	CHECK_EQ(ll_ws_conn_recv(srv, &msg, 0), LL_ECLOSED);
	CHECK_EQ(ll_ws_conn_send(srv, LL_WS_OP_TEXT, "x", 1), LL_ECLOSED);
	CHECK_EQ(ll_ws_conn_close_start(cli, 1000, NULL), LL_ECLOSED);
	CHECK_EQ(ll_ws_conn_close_start(srv, 1005, NULL), LL_EINVAL);
	ll_ws_conn_destroy(cli);
	ll_ws_conn_destroy(srv);
}

/* A peer that never answers our close cannot hold the connection past the deadline. */
static void test_close_deadline(void)
{
	struct ll_ws_conn_opts opts = {.close_timeout_ms = 150};
	struct ll_ws_msg msg;
	struct ll_ws_conn *c;
	uint8_t frame[4];
	long long t0, took;
	int peer;

	c = make_raw(&peer, &opts);
	t0 = now_ms();
	CHECK_EQ(ll_ws_conn_close(c, 1001, NULL), LL_ETIMEDOUT);
	took = now_ms() - t0;
	CHECK_INT(took, >=, 140);
	CHECK_INT(took, <, 2000);
	/* The close frame went out as section 5.5.1 says: 88 02 03 e9 (1001, unmasked). */
	read_exact(peer, frame, 4);
	CHECK_EQ(frame[0], 0x88);
	CHECK_EQ(frame[1], 0x02);
	CHECK_EQ(frame[2], 0x03);
	CHECK_EQ(frame[3], 0xe9);
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 0), LL_ECLOSED);
	ll_ws_conn_destroy(c);
	close(peer);
}

struct recv_result {
	struct ll_ws_conn *c;
	int err;
	long long took;
};

static void *recv_once(void *arg)
{
	struct recv_result *r = arg;
	struct ll_ws_msg msg;
	long long t0 = now_ms();

	r->err = ll_ws_conn_recv(r->c, &msg, -1);
	r->took = now_ms() - t0;
	if (r->err == 0)
		ll_ws_msg_free(&msg);
	return NULL;
}

/* close_start from another thread: the blocked reader notices the deadline by itself. */
static void test_close_start_other_thread(void)
{
	struct ll_ws_conn_opts opts = {.close_timeout_ms = 100};
	struct recv_result r;
	pthread_t th;
	int peer;

	r.c = make_raw(&peer, &opts);
	r.err = -99;
	CHECK_EQ(pthread_create(&th, NULL, recv_once, &r), 0);
	CHECK_EQ(ll_ws_conn_close_start(r.c, 1001, "bye"), 0);
	pthread_join(th, NULL);
	CHECK_EQ(r.err, LL_ECLOSED);
	CHECK_INT(r.took, <, 2000);
	CHECK_EQ(ll_ws_conn_close_code(r.c), LL_WS_CLOSE_ABNORMAL);
	ll_ws_conn_destroy(r.c);
	close(peer);
}

static void *close_start_main(void *arg)
{
	struct closer *cl = arg;

	cl->err = ll_ws_conn_close_start(cl->c, 1001, "bye");
	return NULL;
}

/*
 * The wait for the peer's close reply starts when the close frame is out.
 * Behind a peer that reads slowly, the frame waits in the write for room
 * (up to write_timeout_ms). A deadline that ran from the call had passed
 * by the time the write ended and woke the reader, which gave up at once:
 * the peer got the frame and answered it, and the server still said 1006.
 */
static void test_close_deadline_after_write(void)
{
	struct ll_ws_conn_opts opts = {.close_timeout_ms = 100, .write_timeout_ms = 5000};
	static const uint8_t frame[4 + 1024] = {0x82, 126, 0x04, 0x00};
	static const uint8_t empty[2] = {0x82, 0x00};
	struct ll_transport *ts, *tc;
	struct ll_ws_conn *k;
	struct recv_result r;
	struct closer cc;
	pthread_t reader, closer;
	long n = 0, got = 0;
	int sv[2], err;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/*
	 * Fill the server's side with whole frames the peer has not read: 1 KiB
	 * ones, then empty ones, until not even a close frame would fit.
	 */
	while (send(sv[0], frame, sizeof(frame), MSG_DONTWAIT) == (ssize_t)sizeof(frame))
		n++;
	while (send(sv[0], empty, sizeof(empty), MSG_DONTWAIT) == (ssize_t)sizeof(empty))
		n++;
	CHECK(n > 0);
	CHECK_EQ(ll_transport_plain(&ts, sv[0]), 0);
	CHECK_EQ(ll_transport_plain(&tc, sv[1]), 0);
	CHECK_EQ(ll_ws_conn_create(&r.c, ts, LL_WS_SERVER, &opts, NULL, 0), 0);
	CHECK_EQ(ll_ws_conn_create(&k, tc, LL_WS_CLIENT, &opts, NULL, 0), 0);
	r.err = -99;
	CHECK_EQ(pthread_create(&reader, NULL, recv_once, &r), 0);
	cc.c = r.c;
	cc.err = -99;
	CHECK_EQ(pthread_create(&closer, NULL, close_start_main, &cc), 0);
	/* Four close timeouts pass while the frame waits for room. */
	usleep(400 * 1000);
	for (;;) {
		struct ll_ws_msg msg;

		err = ll_ws_conn_recv(k, &msg, 5000);
		if (err)
			break;
		got++;
		ll_ws_msg_free(&msg);
	}
	pthread_join(closer, NULL);
	pthread_join(reader, NULL);
	CHECK_EQ(got, n);
	CHECK_EQ(err, LL_ECLOSED);
	CHECK_EQ(ll_ws_conn_close_code(k), 1001);
	CHECK_EQ(cc.err, 0);
	CHECK_EQ(r.err, LL_ECLOSED);
	CHECK_EQ(ll_ws_conn_close_code(r.c), 1001);
	ll_ws_conn_destroy(k);
	ll_ws_conn_destroy(r.c);
}

/* shutdown from another thread wakes a reader blocked with no deadline. */
static void test_shutdown_wakes_reader(void)
{
	struct recv_result r;
	pthread_t th;
	int peer;

	r.c = make_raw(&peer, NULL);
	r.err = -99;
	CHECK_EQ(pthread_create(&th, NULL, recv_once, &r), 0);
	usleep(20000);
	ll_ws_conn_shutdown(r.c);
	pthread_join(th, NULL);
	CHECK_EQ(r.err, LL_ECLOSED);
	ll_ws_conn_destroy(r.c);
	close(peer);
}

/* Each protocol error gets its close code on the wire and LL_E* from recv. */
static void check_protocol_error(const uint8_t *bytes, size_t n, int want_err, unsigned want_code)
{
	struct ll_ws_conn_opts opts = {.max_message = 1000};
	struct ll_ws_msg msg;
	struct ll_ws_conn *c;
	uint8_t frame[4];
	int peer;

	c = make_raw(&peer, &opts);
	CHECK_EQ(write(peer, bytes, n), (ssize_t)n);
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 5000), want_err);
	read_exact(peer, frame, 4);
	CHECK_EQ(frame[0], 0x88);
	CHECK_EQ(frame[1], 0x02);
	CHECK_EQ((unsigned)(frame[2] << 8 | frame[3]), want_code);
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 0), LL_ECLOSED);
	CHECK(!ll_ws_conn_is_open(c));
	ll_ws_conn_destroy(c);
	close(peer);
}

static void test_protocol_errors(void)
{
	/* An unmasked frame from a client (section 5.1). */
	static const uint8_t unmasked[] = {0x81, 0x02, 'h', 'i'};
	/* Masked "\xff" as text: not UTF-8 (section 8.1). */
	static const uint8_t bad_utf8[] = {0x81, 0x81, 0, 0, 0, 0, 0xff};
	/* 2000 bytes announced with a 1000-byte limit. */
	static const uint8_t too_big[] = {0x82, 0xfe, 0x07, 0xd0, 0, 0, 0, 0};
	/* A reserved opcode. */
	static const uint8_t reserved[] = {0x83, 0x80, 0, 0, 0, 0};

	check_protocol_error(unmasked, sizeof(unmasked), LL_EPROTO, 1002);
	check_protocol_error(bad_utf8, sizeof(bad_utf8), LL_EUTF8, 1007);
	check_protocol_error(too_big, sizeof(too_big), LL_ETOOBIG, 1009);
	check_protocol_error(reserved, sizeof(reserved), LL_EPROTO, 1002);
}

/* A stream that ends without a close frame is 1006 (section 7.1.5). */
static void test_abnormal_end(void)
{
	struct ll_ws_msg msg;
	struct ll_ws_conn *c;
	int peer;

	c = make_raw(&peer, NULL);
	close(peer);
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 5000), LL_ECLOSED);
	CHECK_EQ(ll_ws_conn_close_code(c), LL_WS_CLOSE_ABNORMAL);
	ll_ws_conn_destroy(c);
}

static void test_recv_timeout(void)
{
	struct ll_ws_conn *srv, *cli;
	struct ll_ws_msg msg;
	long long t0, took;

	make_pair(&srv, &cli, NULL);
	t0 = now_ms();
	CHECK_EQ(ll_ws_conn_recv(srv, &msg, 60), LL_ETIMEDOUT);
	took = now_ms() - t0;
	CHECK_INT(took, >=, 55);
	CHECK_INT(took, <, 2000);
	/* Still usable afterwards. */
	CHECK(ll_ws_conn_is_open(srv));
	CHECK_EQ(ll_ws_conn_send(cli, LL_WS_OP_TEXT, "ok", 2), 0);
	CHECK_EQ(ll_ws_conn_recv(srv, &msg, 5000), 0);
	ll_ws_msg_free(&msg);
	/* Text that is not UTF-8 is refused before it reaches the wire. */
	CHECK_EQ(ll_ws_conn_send(cli, LL_WS_OP_TEXT, "\xc0\xaf", 2), LL_EINVAL);
	CHECK_EQ(ll_ws_conn_send(cli, LL_WS_OP_PING, "", 0), LL_EINVAL);
	ll_ws_conn_destroy(cli);
	ll_ws_conn_destroy(srv);
}

/* A retained reference outlives the owner: sends fail cleanly, nothing is freed twice. */
static void test_retain_after_destroy(void)
{
	struct ll_ws_conn *srv, *cli, *held;

	make_pair(&srv, &cli, NULL);
	held = ll_ws_conn_retain(srv);
	ll_ws_conn_destroy(srv);
	CHECK_EQ(ll_ws_conn_send(held, LL_WS_OP_TEXT, "x", 1), LL_ECLOSED);
	CHECK_EQ(ll_ws_conn_ping(held, NULL, 0), LL_ECLOSED);
	ll_ws_conn_release(held);
	ll_ws_conn_destroy(cli);
	ll_ws_conn_destroy(NULL);
	ll_ws_conn_release(NULL);
}

/* Pre-read bytes (frames that arrived with the handshake) are parsed first. */
static void test_pre_bytes(void)
{
	static const uint8_t frame[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
					0x7f, 0x9f, 0x4d, 0x51, 0x58};
	struct ll_transport *t;
	struct ll_ws_conn *c;
	struct ll_ws_msg msg;
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(ll_transport_plain(&t, sv[0]), 0);
	CHECK_EQ(ll_ws_conn_create(&c, t, LL_WS_SERVER, NULL, frame, sizeof(frame)), 0);
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 1000), 0);
	CHECK_STR((char *)msg.data, "Hello");
	ll_ws_msg_free(&msg);
	ll_ws_conn_destroy(c);
	close(sv[1]);
}

/* Writes all of buf to a raw socket. */
static void write_all(int fd, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		CHECK(w > 0);
		buf += w;
		n -= (size_t)w;
	}
}

/*
 * An idle connection holds no read buffer, fresh or after messages: reads
 * go into a buffer on recv's stack, and only the rest of a frame that recv
 * could not finish waits on the heap, until it is read. A message larger
 * than that buffer grows a heap one, which goes again with small reads.
 */
static void test_idle_holds_no_read_buffer(void)
{
	static const uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
					0x7f, 0x9f, 0x4d, 0x51, 0x58};
	uint8_t bytes[2 * sizeof(hello) + 4], big[8 + 2000];
	struct ll_transport *t;
	struct ll_ws_conn *c;
	struct ll_ws_msg msg;
	long live0;
	int sv[2];
	size_t i;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(ll_transport_plain(&t, sv[0]), 0);
	live0 = ll_alloc_live();
	CHECK_EQ(ll_ws_conn_create(&c, t, LL_WS_SERVER, NULL, NULL, 0), 0);
	/* The connection and its parser: no read buffer. */
	CHECK_EQ(ll_alloc_live() - live0, 2);

	/* Two frames and the first 4 bytes of a third, in one read. */
	memcpy(bytes, hello, sizeof(hello));
	memcpy(bytes + sizeof(hello), hello, sizeof(hello));
	memcpy(bytes + 2 * sizeof(hello), hello, 4);
	write_all(sv[1], bytes, sizeof(bytes));
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 1000), 0);
	CHECK_STR((char *)msg.data, "Hello");
	ll_ws_msg_free(&msg);
	/* The second frame and the third's start wait on the heap. */
	CHECK_EQ(ll_alloc_live() - live0, 3);
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 1000), 0);
	CHECK_STR((char *)msg.data, "Hello");
	ll_ws_msg_free(&msg);
	write_all(sv[1], hello + 4, sizeof(hello) - 4);
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 1000), 0);
	CHECK_STR((char *)msg.data, "Hello");
	ll_ws_msg_free(&msg);
	CHECK_EQ(ll_alloc_live() - live0, 2);

	/* 2000 bytes (16-bit length, zero mask): a heap buffer for as long as reads fill it. */
	big[0] = 0x82;
	big[1] = 0x80 | 126;
	big[2] = 2000 >> 8;
	big[3] = 2000 & 0xff;
	memset(big + 4, 0, 4);
	for (i = 0; i < 2000; i++)
		big[8 + i] = (uint8_t)(i * 7 + 1);
	write_all(sv[1], big, sizeof(big));
	CHECK_EQ(ll_ws_conn_recv(c, &msg, 1000), 0);
	CHECK_EQ(msg.len, 2000);
	CHECK_MEM(msg.data, big + 8, 2000);
	ll_ws_msg_free(&msg);
	CHECK_EQ(ll_alloc_live() - live0, 3);
	/* Two small reads in a row give it back: the first may be a large message's tail. */
	for (i = 0; i < 2; i++) {
		write_all(sv[1], hello, sizeof(hello));
		CHECK_EQ(ll_ws_conn_recv(c, &msg, 1000), 0);
		CHECK_STR((char *)msg.data, "Hello");
		ll_ws_msg_free(&msg);
		CHECK_EQ(ll_alloc_live() - live0, (i == 0 ? 3 : 2));
	}

	ll_ws_conn_destroy(c);
	close(sv[1]);
}

/*
 * A stream of 4 KiB messages settles on a heap read buffer that holds a
 * whole frame, and then allocates only each message: one read apiece. When
 * a message's short tail sent the buffer back to the stack, every message
 * grew it again (512, 1024, 2048, 4096): three allocations more each.
 */
static void test_read_buffer_settles(void)
{
	uint8_t frame[8 + 4096];
	struct ll_transport *t;
	struct ll_ws_conn *c;
	struct ll_ws_msg msg;
	long before = 0;
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_EQ(ll_transport_plain(&t, sv[0]), 0);
	CHECK_EQ(ll_ws_conn_create(&c, t, LL_WS_SERVER, NULL, NULL, 0), 0);
	frame[0] = 0x82;
	frame[1] = 0x80 | 126;
	frame[2] = 4096 >> 8;
	frame[3] = 4096 & 0xff;
	memset(frame + 4, 0, 4); /* a zero mask */
	for (size_t i = 0; i < 4096; i++)
		frame[8 + i] = (uint8_t)(i * 13 + 5);
	for (int m = 0; m < 6; m++) {
		/* From the fourth message on, one allocation each: the message. */
		if (m >= 3)
			before = ll_alloc_count();
		write_all(sv[1], frame, sizeof(frame));
		CHECK_EQ(ll_ws_conn_recv(c, &msg, 1000), 0);
		CHECK_EQ(msg.len, 4096);
		CHECK_MEM(msg.data, frame + 8, 4096);
		ll_ws_msg_free(&msg);
		if (m >= 3)
			CHECK_EQ(ll_alloc_count() - before, 1);
	}
	ll_ws_conn_destroy(c);
	close(sv[1]);
}

/*
 * Every allocation of create failing in turn: a clean LL_ENOMEM, the socket closed, nothing leaked.
 */
static void test_create_fault_injection(void)
{
	long n;

	for (n = 1;; n++) {
		struct ll_transport *t;
		struct ll_ws_conn *c = NULL;
		int sv[2], r;

		CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		CHECK_EQ(ll_transport_plain(&t, sv[0]), 0);
		ll_alloc_fail_after(n);
		r = ll_ws_conn_create(&c, t, LL_WS_SERVER, NULL, NULL, 0);
		ll_alloc_fail_after(0);
		close(sv[1]);
		if (r == 0) {
			ll_ws_conn_destroy(c);
			break;
		}
		CHECK_EQ(r, LL_ENOMEM);
		CHECK(c == NULL);
		CHECK_INT(n, <, 50);
	}
}

struct peer_job {
	int fd;
	bool reset; /* hang up with a TCP reset instead of a FIN */
};

/* Reads our close frame, never answers it, and hangs up. */
static void *hang_up_after_close(void *arg)
{
	struct peer_job *j = arg;
	uint8_t frame[4];

	read_exact(j->fd, frame, 4);
	if (j->reset) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};

		CHECK_EQ(setsockopt(j->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	}
	close(j->fd);
	return NULL;
}

/* A server-role connection over real TCP on 127.0.0.1, and its peer's raw socket. */
static struct ll_ws_conn *make_tcp(int *peer, const struct ll_ws_conn_opts *opts)
{
	struct ll_transport *t;
	struct ll_ws_conn *c;
	unsigned port;
	int lfd, fd;

	lfd = ll_tcp_listen("127.0.0.1", 0, 1, &port);
	CHECK(lfd >= 0);
	*peer = ll_tcp_connect("127.0.0.1", port, 5000);
	CHECK(*peer >= 0);
	/* ll_tcp_connect's socket is non-blocking; read_exact wants to wait. */
	CHECK_EQ(fcntl(*peer, F_SETFL, fcntl(*peer, F_GETFL) & ~O_NONBLOCK), 0);
	for (fd = -1; fd < 0; fd = accept(lfd, NULL, NULL))
		sleep_ms(1);
	close(lfd);
	CHECK_EQ(ll_transport_plain(&t, fd), 0);
	CHECK_EQ(ll_ws_conn_create(&c, t, LL_WS_SERVER, opts, NULL, 0), 0);
	return c;
}

/*
 * ll_ws_conn_close says why the peer never answered: a reset is LL_EIO and
 * a hang-up without a close frame LL_ECLOSED. Both used to read as
 * LL_ETIMEDOUT ("never answered our close frame"), before the deadline
 * had even passed.
 */
static void test_close_reports_the_cause(void)
{
	struct ll_ws_conn_opts opts = {.close_timeout_ms = 5000};
	struct peer_job j;
	struct ll_ws_conn *c;
	pthread_t th;
	int reset;

	for (reset = 0; reset < 2; reset++) {
		c = make_tcp(&j.fd, &opts);
		j.reset = reset;
		CHECK_EQ(pthread_create(&th, NULL, hang_up_after_close, &j), 0);
		CHECK_EQ(ll_ws_conn_close(c, 1000, NULL), reset ? LL_EIO : LL_ECLOSED);
		pthread_join(th, NULL);
		CHECK_EQ(ll_ws_conn_close_code(c), LL_WS_CLOSE_ABNORMAL);
		ll_ws_conn_destroy(c);
	}
}

struct watcher {
	struct ll_ws_conn *c;
	atomic_bool stop;
	long polls;
};

static void *watch_is_open(void *arg)
{
	struct watcher *w = arg;

	while (ll_ws_conn_is_open(w->c) && !atomic_load(&w->stop))
		w->polls++;
	return NULL;
}

/*
 * is_open from another thread while the reader ends the connection. It
 * read the reader's private done flag without any synchronisation: a data
 * race that DRD (ctest -L race) and TSan report; now done is atomic.
 */
static void test_is_open_from_another_thread(void)
{
	struct ll_ws_msg msg;
	struct watcher w;
	pthread_t th;
	int peer;

	w.c = make_raw(&peer, NULL);
	atomic_init(&w.stop, false);
	w.polls = 0;
	CHECK_EQ(pthread_create(&th, NULL, watch_is_open, &w), 0);
	sleep_ms(20);
	close(peer);
	CHECK_EQ(ll_ws_conn_recv(w.c, &msg, 5000), LL_ECLOSED);
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	CHECK(!ll_ws_conn_is_open(w.c));
	CHECK_INT(w.polls, >, 0);
	ll_ws_conn_destroy(w.c);
}

/* Voluntary context switches of every thread of this process: each is a wake-up. */
static long wakeups(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	long sum = 0;

	CHECK(d != NULL);
	while ((e = readdir(d))) {
		char path[300], line[256];
		FILE *f;
		long v;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue; /* a thread that just ended */
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1)
				sum += v;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/*
 * Idle readers must sleep until there is something to do. They used to
 * wake every 250 ms (READ_SLICE_MS) to look for a close deadline armed by
 * another thread: 4 wake-ups a second per connection. Now a close started
 * elsewhere wakes the reader through its eventfd, and only then.
 */
static void test_idle_readers_sleep(void)
{
	enum { N = 16 };
	struct ll_ws_conn_opts opts = {.close_timeout_ms = 100};
	struct recv_result r[N];
	pthread_t th[N];
	int peer[N], i;
	long w0, woke;
	long long t0;

	for (i = 0; i < N; i++) {
		r[i].c = make_raw(&peer[i], &opts);
		r[i].err = -99;
		CHECK_EQ(pthread_create(&th[i], NULL, recv_once, &r[i]), 0);
	}
	sleep_ms(200);
	w0 = wakeups();
	sleep_ms(1000);
	woke = wakeups() - w0;
	fprintf(stderr,
		"   %d idle readers: %ld wake-ups in 1 s (the sleeping test thread's 1 too)\n", N,
		woke);
	CHECK_INT(woke, <, N);
	/* And a close started here still wakes each of them, to wait out its deadline. */
	t0 = now_ms();
	for (i = 0; i < N; i++)
		CHECK_EQ(ll_ws_conn_close_start(r[i].c, 1001, NULL), 0);
	for (i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(r[i].err, LL_ECLOSED);
	}
	CHECK_INT(now_ms() - t0, <, 2000);
	for (i = 0; i < N; i++) {
		ll_ws_conn_destroy(r[i].c);
		close(peer[i]);
	}
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_round_trip_sizes);
	RUN(test_big_message);
	RUN(test_fragments_and_ping);
	RUN(test_close_handshake);
	RUN(test_close_deadline);
	RUN(test_close_start_other_thread);
	RUN(test_close_deadline_after_write);
	RUN(test_shutdown_wakes_reader);
	RUN(test_protocol_errors);
	RUN(test_abnormal_end);
	RUN(test_recv_timeout);
	RUN(test_retain_after_destroy);
	RUN(test_pre_bytes);
	RUN(test_idle_holds_no_read_buffer);
	RUN(test_read_buffer_settles);
	RUN(test_create_fault_injection);
	RUN(test_close_reports_the_cause);
	RUN(test_is_open_from_another_thread);
	RUN(test_idle_readers_sleep);
	return check_finish();
}
