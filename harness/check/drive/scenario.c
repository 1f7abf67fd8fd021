/*
 * scenario.c - the client side of every scenario, built on the lib's own
 * WebSocket client (ws_client.h, ws_conn.h) and raw TCP (transport.h).
 *
 * A client "fails" when the server does not behave as a WebSocket server
 * must (no echo, a wrong reply, no 400 for a broken handshake); it "could
 * not connect" when the TCP connect or the opening handshake fails. The
 * run decides what either means for the verdict.
 */
#include "drive/scenario.h"
#include "drive/pubsub.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/transport.h>
#include <leaklab/ws_client.h>
#include <leaklab/ws_conn.h>
#include <leaklab/ws_frame.h>

#define MAX_WORKERS 64
/* Messages in flight at once in a burst: small enough never to fill a socket buffer. */
#define BURST_WINDOW 16
/* A burst message: the case's request (up to about 1 KiB) and a number. */
#define BURST_TEXT 1100
/* A burst-large message, and how many are in flight at once. */
#define LARGE_BYTES  (64 * 1024)
#define LARGE_WINDOW 4

static const char *const scenario_names[] = {
    [LC_SC_CONNECT_CLOSE] = "connect-close",
    [LC_SC_CONNECT_DROP] = "connect-drop",
    [LC_SC_SILENT_PEER] = "silent-peer",
    [LC_SC_NO_CLOSE_REPLY] = "no-close-reply",
    [LC_SC_BURST] = "burst",
    [LC_SC_BAD_HANDSHAKE] = "bad-handshake",
    [LC_SC_REQUEST] = "request",
    [LC_SC_BAD_TOKEN] = "bad-token",
    [LC_SC_FAULT_WALK] = "fault-walk",
    [LC_SC_TLS] = "tls",
    [LC_SC_TLS_BAD] = "tls-bad",
    [LC_SC_SLOW_CONSUMER] = "slow-consumer",
    [LC_SC_SHUTDOWN] = "shutdown",
    [LC_SC_RESET_UNREAD] = "reset-unread",
    [LC_SC_SILENT_START] = "silent-start",
    [LC_SC_BURST_LARGE] = "burst-large",
    [LC_SC_SILENT_CONNECT] = "silent-connect",
    [LC_SC_SLOW_PUBLISHER] = "slow-publisher",
};

int lc_scenario_parse(const char *name, enum lc_scenario_kind *out)
{
	size_t i;

	for (i = 0; i < sizeof(scenario_names) / sizeof(scenario_names[0]); i++) {
		if (strcmp(name, scenario_names[i]) == 0) {
			*out = (enum lc_scenario_kind)i;
			return 0;
		}
	}
	return LL_EINVAL;
}

const char *lc_scenario_name(enum lc_scenario_kind k)
{
	return (size_t)k < sizeof(scenario_names) / sizeof(scenario_names[0]) ? scenario_names[k]
									      : "?";
}

/* ----- held connections ----- */

int lc_held_init(struct lc_held *h)
{
	h->conns = NULL;
	h->len = 0;
	h->cap = 0;
	h->fds = NULL;
	h->nfds = 0;
	h->capfds = 0;
	h->case_state = NULL;
	h->owner = NULL;
	return pthread_mutex_init(&h->lock, NULL) == 0 ? 0 : LL_ENOMEM;
}

/* Takes ownership of c: on failure it is destroyed at once. */
static int held_add(struct lc_held *h, struct ll_ws_conn *c)
{
	int err = 0;

	pthread_mutex_lock(&h->lock);
	if (h->len == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct ll_ws_conn **bigger = ll_realloc(h->conns, cap * sizeof(*bigger));

		if (!bigger) {
			err = LL_ENOMEM;
			goto out_unlock;
		}
		h->conns = bigger;
		h->cap = cap;
	}
	h->conns[h->len++] = c;
	c = NULL;
out_unlock:
	pthread_mutex_unlock(&h->lock);
	ll_ws_conn_destroy(c);
	return err;
}

/* Takes ownership of fd: on failure it is closed at once. */
static int held_add_fd(struct lc_held *h, int fd)
{
	int err = 0;

	pthread_mutex_lock(&h->lock);
	if (h->nfds == h->capfds) {
		size_t cap = h->capfds ? h->capfds * 2 : 64;
		int *bigger = ll_realloc(h->fds, cap * sizeof(*bigger));

		if (!bigger) {
			err = LL_ENOMEM;
			goto out_unlock;
		}
		h->fds = bigger;
		h->capfds = cap;
	}
	h->fds[h->nfds++] = fd;
	fd = -1;
out_unlock:
	pthread_mutex_unlock(&h->lock);
	if (fd >= 0)
		close(fd);
	return err;
}

size_t lc_held_count(struct lc_held *h)
{
	size_t n;

	pthread_mutex_lock(&h->lock);
	n = h->len + h->nfds;
	pthread_mutex_unlock(&h->lock);
	return n;
}

void lc_held_close_all(struct lc_held *h)
{
	size_t i;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < h->len; i++)
		ll_ws_conn_destroy(h->conns[i]);
	h->len = 0;
	for (i = 0; i < h->nfds; i++)
		close(h->fds[i]);
	h->nfds = 0;
	if (h->owner && h->case_state)
		h->owner->drop(h);
	h->case_state = NULL;
	h->owner = NULL;
	pthread_mutex_unlock(&h->lock);
}

void lc_held_release(struct lc_held *h, const struct lc_scenario *sc, struct lc_drive_result *res)
{
	/*
	 * The case scenario whose state is held, whatever sc drives now: a fix
	 * driven through several exit paths ends on another scenario.
	 */
	const struct lc_case_scenario *cs = h->owner;

	if (cs && cs->release)
		cs->release(h, sc, res);
	lc_held_close_all(h);
}

void lc_held_destroy(struct lc_held *h)
{
	lc_held_close_all(h);
	ll_free(h->conns);
	h->conns = NULL;
	h->cap = 0;
	ll_free(h->fds);
	h->fds = NULL;
	h->capfds = 0;
	pthread_mutex_destroy(&h->lock);
}

/* ----- one client ----- */

struct client_err {
	bool connect; /* the failure happened while connecting */
	bool broken;  /* the server's frames were broken (lc_drive_result.corrupted) */
	bool overran; /* the step's deadline passed while it waited */
	char text[200];
};

__attribute__((format(printf, 3, 4))) static int fail(struct client_err *e, bool connect,
						      const char *fmt, ...)
{
	va_list ap;

	e->connect = connect;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	return -1;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* How long one wait may last: the operation's deadline, or what is left of the step's (0: none). */
static int wait_ms(const struct lc_scenario *sc)
{
	long left;

	if (!sc->until_ms)
		return sc->timeout_ms;
	left = sc->until_ms - now_ms();
	if (left <= 0)
		return 0;
	return left < sc->timeout_ms ? (int)left : sc->timeout_ms;
}

/*
 * Connects to path (NULL: the client's own) over ws or, with sc->client->tls, wss.
 * *status gets the HTTP status of a refused upgrade (0 otherwise). Returns
 * 0, or the client's error (a refusal is LL_EPROTO).
 */
static int ws_dial(const struct lc_scenario *sc, const char *path, struct ll_ws_conn **out,
		   int *status)
{
	struct ll_ws_client_opts opts = {
	    .path = path	       ? path
		    : sc->client->path ? sc->client->path
				       : "/",
	    .protocol = sc->client->protocol,
	    .tls = sc->client->tls,
	    .timeout_ms = sc->timeout_ms,
	    .conn =
		{
		    .close_timeout_ms = sc->timeout_ms,
		    .write_timeout_ms = sc->timeout_ms,
		},
	};

	*status = 0;
	return ll_ws_client_connect(out, sc->host, sc->port, &opts, status);
}

static int ws_connect(const struct lc_scenario *sc, struct ll_ws_conn **out, struct client_err *e)
{
	struct ll_ws_client_opts opts = {
	    .path = sc->client->path ? sc->client->path : "/",
	    .protocol = sc->client->protocol,
	    .tls = sc->client->tls,
	    .timeout_ms = sc->timeout_ms,
	    .conn =
		{
		    .close_timeout_ms = sc->timeout_ms,
		    .write_timeout_ms = sc->timeout_ms,
		},
	};
	int status = 0;
	int err;

	err = ll_ws_client_connect(out, sc->host, sc->port, &opts, &status);
	if (err == LL_EPROTO && status)
		return fail(e, true, "the server refused the upgrade with HTTP %d", status);
	if (err)
		return fail(e, true, "connect to %s:%u: %s", sc->host, sc->port, ll_strerror(err));
	return 0;
}

/* Sends text and waits for the same text back. */
static int echo_once(const struct lc_scenario *sc, struct ll_ws_conn *c, const char *text,
		     struct client_err *e)
{
	struct ll_ws_msg msg = {0};
	size_t len = strlen(text);
	int err;

	err = ll_ws_conn_send(c, LL_WS_OP_TEXT, text, len);
	if (err)
		return fail(e, false, "send: %s", ll_strerror(err));
	err = ll_ws_conn_recv(c, &msg, sc->timeout_ms);
	e->broken = err == LL_EPROTO || err == LL_EUTF8;
	if (err)
		return fail(e, false, "waiting for the echo: %s", ll_strerror(err));
	if (msg.len != len || memcmp(msg.data, text, len) != 0) {
		ll_ws_msg_free(&msg);
		e->broken = true;
		return fail(e, false, "the echo differs from what was sent");
	}
	ll_ws_msg_free(&msg);
	return 0;
}

/* RFC 6455 section 7.1.2: start the close handshake with 1000 and wait for the reply. */
static int close_clean(struct ll_ws_conn *c, struct client_err *e)
{
	int err = ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL);

	if (err == LL_ETIMEDOUT)
		return fail(e, false, "the server never answered our close frame");
	/* LL_ECLOSED: the server closed first, which is its right. */
	if (err && err != LL_ECLOSED)
		return fail(e, false, "close: %s", ll_strerror(err));
	return 0;
}

static int run_connect_close(const struct lc_scenario *sc, struct client_err *e)
{
	struct ll_ws_conn *c;
	int rc;

	if (ws_connect(sc, &c, e))
		return -1;
	rc = echo_once(sc, c, "hello", e);
	if (rc == 0)
		rc = close_clean(c, e);
	ll_ws_conn_destroy(c);
	return rc;
}

/* The peer vanishes: TCP closes without a close frame (code 1006 for the server). */
static int run_connect_drop(const struct lc_scenario *sc, struct client_err *e)
{
	struct ll_ws_conn *c;
	int rc;

	if (ws_connect(sc, &c, e))
		return -1;
	rc = echo_once(sc, c, "hello", e);
	ll_ws_conn_destroy(c);
	return rc;
}

/*
 * The peer stops reading and resets: one echo, then RESET_FRAMES messages
 * in one write whose answers it never reads, and its socket closed with
 * SO_LINGER 0, so the kernel sends RST instead of FIN. On loopback the
 * reset reaches the server before close returns, while it is still on the
 * first answers, and its send of an answer fails (EPIPE or a reset): the
 * exit path of a handler whose send failed, which a clean close or a drop
 * never takes. Some connections end on a failed read instead (the kernel
 * may report the reset to a read before the data that came first): in
 * the harness's own test 9 to 12 clients of 12 took the send's path, so a
 * step of a few clients always takes it. The client keeps a small receive
 * window (the slow subscriber's), and speaks plain ws to the client's path.
 */
#define RESET_FRAMES 32
static int run_reset_unread(const struct lc_scenario *sc, struct client_err *e)
{
	static const uint8_t mask[4] = {0x72, 0x73, 0x74, 0x21};
	struct linger abort_close = {.l_onoff = 1, .l_linger = 0};
	uint8_t frames[RESET_FRAMES * (LL_WS_MAX_HEADER + 64)];
	struct ll_ws_conn *c;
	bool at_connect = false;
	size_t len = 0, off = 0;
	int fd = -1, i, rc;

	if (sc->client->tls)
		return fail(e, true, "reset-unread speaks plain ws");
	if (lc_pubsub_connect_slow_to(sc->host, sc->port, sc->client->path ? sc->client->path : "/",
				      sc->timeout_ms, &c, &fd, &at_connect, e->text,
				      sizeof(e->text))) {
		e->connect = at_connect;
		return -1;
	}
	rc = echo_once(sc, c, "hello", e);
	/* Masked frames, as every client frame is (RFC 6455 section 5.3), written past the conn. */
	for (i = 0; i < RESET_FRAMES; i++) {
		char text[64];
		int n = snprintf(text, sizeof(text), "leaklab: an answer nobody reads, %d", i);

		len +=
		    ll_ws_frame_header_encode(frames + len, true, LL_WS_OP_TEXT, (uint64_t)n, mask);
		ll_ws_mask_copy(frames + len, (const uint8_t *)text, (size_t)n, mask, 0);
		len += (size_t)n;
	}
	if (rc == 0 && setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close)))
		rc = fail(e, false, "SO_LINGER: %s", strerror(errno));
	while (rc == 0 && off < len) {
		ssize_t n = write(fd, frames + off, len - off);

		if (n < 0 && errno != EINTR)
			rc = fail(e, false, "send: %s", strerror(errno));
		else if (n > 0)
			off += (size_t)n;
	}
	ll_ws_conn_destroy(c);
	return rc;
}

/*
 * The peer stays connected and goes quiet: it never reads again, so pings
 * go unanswered and anything the server sends piles up in its buffers.
 */
static int run_silent_peer(const struct lc_scenario *sc, struct lc_held *held, struct client_err *e)
{
	struct ll_ws_conn *c;

	if (ws_connect(sc, &c, e))
		return -1;
	if (echo_once(sc, c, "hello", e)) {
		ll_ws_conn_destroy(c);
		return -1;
	}
	if (held_add(held, c))
		return fail(e, false, "out of memory holding a connection");
	return 0;
}

/*
 * The peer upgrades and never says a word: not one frame from its very
 * first byte on, no pong, no read, its socket held open. The server's
 * read deadline must let it go although no message ever came to arm one;
 * silent-peer's clients speak once before they fall silent.
 */
static int run_silent_start(const struct lc_scenario *sc, struct lc_held *held,
			    struct client_err *e)
{
	struct ll_ws_conn *c;

	if (ws_connect(sc, &c, e))
		return -1;
	if (held_add(held, c))
		return fail(e, false, "out of memory holding a connection");
	return 0;
}

/*
 * The peer connects over TCP and never sends its HTTP upgrade, its socket
 * held open: the server's handshake deadline must let it go. Every case
 * program's is the library's (--handshake-timeout-ms, 5 s by default), so
 * no case's VERIFY drives it; a server of one's own can be checked with it.
 */
static int run_silent_connect(const struct lc_scenario *sc, struct lc_held *held,
			      struct client_err *e)
{
	int fd = ll_tcp_connect(sc->host, sc->port, sc->timeout_ms);

	if (fd < 0)
		return fail(e, true, "connect to %s:%u: %s", sc->host, sc->port, ll_strerror(fd));
	if (held_add_fd(held, fd))
		return fail(e, false, "out of memory holding a connection");
	return 0;
}

/*
 * "close" asks the case's server to start the close handshake; this peer
 * never reads its close frame and never answers it (RFC 6455 section 7.1.2
 * says it should), and keeps the socket open.
 */
static int run_no_close_reply(const struct lc_scenario *sc, struct lc_held *held,
			      struct client_err *e)
{
	struct ll_ws_conn *c;
	int err;

	if (ws_connect(sc, &c, e))
		return -1;
	err = ll_ws_conn_send(c, LL_WS_OP_TEXT, "close", 5);
	if (err) {
		ll_ws_conn_destroy(c);
		return fail(e, false, "send: %s", ll_strerror(err));
	}
	if (held_add(held, c))
		return fail(e, false, "out of memory holding a connection");
	return 0;
}

/*
 * The n-th message of a burst: "burst N", or the case's request text and
 * N when the manifest gives one (a message of the case's own protocol, of
 * its real size).
 */
static void burst_text(const struct lc_scenario *sc, long n, char *buf, size_t size)
{
	if (sc->request && sc->request[0])
		snprintf(buf, size, "%s %ld", sc->request, n);
	else
		snprintf(buf, size, "burst %ld", n);
}

/*
 * The n-th message of a burst-large: burst_text's, filled with dots to
 * LARGE_BYTES, so that a bound by size (a record over some size handled
 * apart, a buffer of a fixed size) is reached by every message.
 */
static void large_text(const struct lc_scenario *sc, long n, char *buf)
{
	size_t len;

	burst_text(sc, n, buf, LARGE_BYTES + 1);
	len = strlen(buf);
	memset(buf + len, '.', LARGE_BYTES - len);
	buf[LARGE_BYTES] = '\0';
}

/*
 * load messages on one connection, each echoed: BURST_WINDOW in flight, or
 * with large (burst-large) LARGE_WINDOW of LARGE_BYTES each.
 */
static int run_burst(const struct lc_scenario *sc, long load, bool large, struct client_err *e)
{
	size_t size = large ? LARGE_BYTES + 1 : BURST_TEXT;
	long window = large ? LARGE_WINDOW : BURST_WINDOW;
	char *text = ll_malloc(size);
	struct ll_ws_conn *c;
	long sent = 0, got = 0;
	int rc = 0;

	if (!text)
		return fail(e, false, "out of memory for a burst's message");
	if (ws_connect(sc, &c, e)) {
		ll_free(text);
		return -1;
	}
	while (got < load && rc == 0) {
		while (sent < load && sent - got < window) {
			int err;

			if (large)
				large_text(sc, sent, text);
			else
				burst_text(sc, sent, text, size);
			err = ll_ws_conn_send(c, LL_WS_OP_TEXT, text, strlen(text));
			if (err) {
				rc = fail(e, false, "send %ld: %s", sent, ll_strerror(err));
				break;
			}
			sent++;
		}
		while (rc == 0 && got < sent) {
			struct ll_ws_msg msg = {0};
			int err;

			int ms = wait_ms(sc);

			if (large)
				large_text(sc, got, text);
			else
				burst_text(sc, got, text, size);
			err = ms > 0 ? ll_ws_conn_recv(c, &msg, ms) : LL_ETIMEDOUT;
			e->broken = err == LL_EPROTO || err == LL_EUTF8;
			if (err == LL_ETIMEDOUT && ms < sc->timeout_ms) {
				e->overran = true;
				rc = fail(
				    e, false,
				    "the step ran past its deadline of %d s: %ld of %ld messages "
				    "answered, the next one not within the %d ms left",
				    sc->step_ms / 1000, got, load, ms);
				break;
			}
			if (err) {
				rc = fail(e, false, "echo %ld: %s", got, ll_strerror(err));
				break;
			}
			if (msg.len != strlen(text) || memcmp(msg.data, text, msg.len) != 0) {
				e->broken = true;
				rc = fail(e, false, "echo %ld differs from what was sent", got);
			}
			ll_ws_msg_free(&msg);
			got++;
		}
	}
	if (rc == 0)
		rc = close_clean(c, e);
	ll_ws_conn_destroy(c);
	ll_free(text);
	return rc;
}

/*
 * An upgrade without Sec-WebSocket-Key: RFC 6455 section 4.2.1 makes the
 * key mandatory, so the server must answer 400 and close the connection.
 */
static int run_bad_handshake(const struct lc_scenario *sc, struct client_err *e)
{
	static const char req[] = "GET / HTTP/1.1\r\n"
				  "Host: 127.0.0.1\r\n"
				  "Upgrade: websocket\r\n"
				  "Connection: Upgrade\r\n"
				  "Sec-WebSocket-Version: 13\r\n"
				  "\r\n";
	struct ll_transport *t;
	char reply[1024];
	size_t len = 0;
	int fd, err, rc = 0;

	fd = ll_tcp_connect(sc->host, sc->port, sc->timeout_ms);
	if (fd < 0)
		return fail(e, true, "connect to %s:%u: %s", sc->host, sc->port, ll_strerror(fd));
	err = ll_transport_plain(&t, fd);
	if (err)
		return fail(e, true, "transport: %s", ll_strerror(err));
	err = ll_transport_write(t, req, sizeof(req) - 1, sc->timeout_ms);
	if (err) {
		rc = fail(e, false, "send the request: %s", ll_strerror(err));
		goto out_destroy;
	}
	/* Read until the server closes (reply_only: until the reply's head is in). */
	for (;;) {
		char sink[256];
		bool keep = len < sizeof(reply) - 1;
		ssize_t n = ll_transport_read(t, keep ? reply + len : sink,
					      keep ? sizeof(reply) - 1 - len : sizeof(sink),
					      sc->timeout_ms);

		if (n == 0)
			break;
		if (n > 0 && keep && sc->reply_only) {
			len += (size_t)n;
			reply[len] = '\0';
			if (strstr(reply, "\r\n\r\n"))
				break;
			continue;
		}
		if (n == LL_ETIMEDOUT) {
			rc = fail(e, false,
				  "the server kept the connection open after a bad "
				  "handshake");
			goto out_destroy;
		}
		if (n < 0) {
			rc = fail(e, false, "reading the reply: %s", ll_strerror((int)n));
			goto out_destroy;
		}
		if (keep)
			len += (size_t)n;
	}
	reply[len] = '\0';
	if (strncmp(reply, "HTTP/1.1 400", 12) != 0)
		rc = fail(e, false, "expected \"HTTP/1.1 400\", got \"%.40s\"", reply);
out_destroy:
	ll_transport_destroy(t);
	return rc;
}

/* One request of the case's own protocol, one reply (or the server closing). */
static int run_request(const struct lc_scenario *sc, struct client_err *e)
{
	struct ll_ws_msg msg = {0};
	struct ll_ws_conn *c;
	const char *text = sc->request ? sc->request : "";
	int err, rc = 0;

	if (ws_connect(sc, &c, e))
		return -1;
	err = ll_ws_conn_send(c, LL_WS_OP_TEXT, text, strlen(text));
	if (err) {
		rc = fail(e, false, "send: %s", ll_strerror(err));
		goto out_destroy;
	}
	err = ll_ws_conn_recv(c, &msg, sc->timeout_ms);
	if (err == 0) {
		ll_ws_msg_free(&msg);
		rc = close_clean(c, e);
	} else if (err != LL_ECLOSED) {
		rc = fail(e, false, "waiting for the reply: %s", ll_strerror(err));
	}
out_destroy:
	ll_ws_conn_destroy(c);
	return rc;
}

/*
 * An otherwise valid upgrade whose token is wrong (sc->client->bad_path):
 * the server must refuse it with 401 before it answers 101.
 */
static int run_bad_token(const struct lc_scenario *sc, struct client_err *e)
{
	struct ll_ws_conn *c;
	int status, err;

	err = ws_dial(sc, sc->client->bad_path ? sc->client->bad_path : "/?token=bad", &c, &status);
	if (err == 0) {
		ll_ws_conn_destroy(c);
		return fail(e, false, "the server accepted a bad token (101, expected 401)");
	}
	if (err == LL_EPROTO && status == 401)
		return 0;
	if (err == LL_EPROTO && status)
		return fail(e, false, "a bad token was answered HTTP %d, expected 401", status);
	return fail(e, true, "connect to %s:%u: %s", sc->host, sc->port, ll_strerror(err));
}

/*
 * One step of a fault walk: the upgrade with "fail-alloc=n" added to the
 * query, so that the program's nth allocation from the start of its
 * handshake path fails. Returns 1 when the step went through (nothing
 * failed: the walk is over), 0 when the server gave up as it should (an
 * HTTP 500 or 503, or a hang-up before or after its 101), -1 when it did
 * something else (e fills in).
 */
static int fault_step(const struct lc_scenario *sc, long n, struct client_err *e)
{
	const char *base = sc->client->path ? sc->client->path : "/";
	char path[1024];
	struct ll_ws_conn *c;
	int status, err, rc;

	if ((size_t)snprintf(path, sizeof(path), "%s%sfail-alloc=%ld", base,
			     strchr(base, '?') ? "&" : "?", n) >= sizeof(path))
		return fail(e, false, "the path is too long for a fault walk");
	err = ws_dial(sc, path, &c, &status);
	if (err == LL_EPROTO && (status == 500 || status == 503))
		return 0;
	if (err == LL_EPROTO && status)
		return fail(e, false,
			    "allocation %ld failed: answered HTTP %d, expected 500 or 503", n,
			    status);
	if (err == LL_EIO || err == LL_ECLOSED || err == LL_EPROTO)
		return 0; /* hung up without an answer: a way to give up */
	if (err)
		return fail(e, true, "connect to %s:%u: %s", sc->host, sc->port, ll_strerror(err));
	/* Accepted: if the connection could not be made after the 101, the echo fails. */
	rc = echo_once(sc, c, "hello", e) == 0 ? 1 : 0;
	if (rc == 1 && close_clean(c, e) != 0)
		rc = -1;
	ll_ws_conn_destroy(c);
	return rc;
}

/*
 * Fails the program's 1st, 2nd, 3rd ... allocation of the handshake path
 * in turn, one connection each, until a connection goes through with
 * nothing failed: then every allocation of the path has failed once.
 * Counts the steps in *steps.
 */
static int run_fault_walk(const struct lc_scenario *sc, long *steps, struct client_err *e)
{
	/* One walk is bounded as a whole too, so a server that stalls is no verdict, not a hang. */
	struct timespec ts;
	long start, n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	start = ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
	for (n = 1; n <= LC_FAULT_WALK_MAX; n++) {
		int rc = fault_step(sc, n, e);

		if (rc < 0)
			return -1;
		/* Nothing failed at the first allocation: the program injects no faults. */
		if (rc == 1 && n == 1)
			return fail(e, true,
				    "the first step went through: the program does not honour "
				    "fail-alloc=N (start it with --fault-injection 1)");
		if (rc == 1) {
			*steps = n - 1;
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec * 1000L + ts.tv_nsec / 1000000L - start > 2L * sc->timeout_ms)
			return fail(e, true, "one fault walk took over %d s (at allocation %ld)",
				    2 * sc->timeout_ms / 1000, n);
	}
	return fail(e, true, "the walk failed %d allocations and the path never went through",
		    LC_FAULT_WALK_MAX);
}

/* connect-close over wss: sc->client->tls must be set (the program runs with --tls). */
static int run_tls(const struct lc_scenario *sc, struct client_err *e)
{
	if (!sc->client->tls)
		return fail(e, true, "the tls scenario needs a program started with --tls");
	return run_connect_close(sc, e);
}

/*
 * A client that aborts the TLS handshake: a ClientHello record cut short
 * (its header promises 512 bytes, 45 follow), then the TCP connection
 * closes. The server's handshake must fail and free what it made.
 */
static int run_tls_bad(const struct lc_scenario *sc, struct client_err *e)
{
	static const unsigned char hello[] = {
	    0x16, 0x03, 0x01, 0x02, 0x00,	/* handshake record, TLS 1.0 framing, 512 bytes */
	    0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, /* ClientHello, 508 bytes, TLS 1.2 */
	    0x5e, 0x1a, 0x77, 0x0c, 0x93, 0x41, 0x2b, 0xd0, 0x61, 0x08, 0xa4, 0x3f,
	    0xe2, 0x55, 0x90, 0x17, 0xc8, 0x6b, 0x3d, 0x2e, 0x04, 0xb9, 0x71, 0xfa,
	    0x26, 0x5c, 0x83, 0x10, 0xde, 0x49, 0xa7, 0x32, 0x68, /* 32 bytes of random */
	    0x00,						  /* no session id */
	};
	struct ll_transport *t;
	int fd, err;

	fd = ll_tcp_connect(sc->host, sc->port, sc->timeout_ms);
	if (fd < 0)
		return fail(e, true, "connect to %s:%u: %s", sc->host, sc->port, ll_strerror(fd));
	err = ll_transport_plain(&t, fd);
	if (err)
		return fail(e, true, "transport: %s", ll_strerror(err));
	err = ll_transport_write(t, hello, sizeof(hello), sc->timeout_ms);
	ll_transport_destroy(t);
	if (err)
		return fail(e, false, "send the ClientHello: %s", ll_strerror(err));
	return 0;
}

/* ----- the driver ----- */

struct drive {
	const struct lc_scenario *sc;
	struct lc_held *held;
	long load;
	long next;   /* the next client to start */
	int running; /* workers not yet finished */
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct lc_drive_result *res;
};

static void record(struct drive *d, int rc, const struct client_err *e)
{
	pthread_mutex_lock(&d->lock);
	if (rc == 0) {
		d->res->ok++;
	} else {
		if (e->connect)
			d->res->connect_failed++;
		else
			d->res->failed++;
		if (e->broken)
			d->res->corrupted++;
		if (!d->res->first_error[0])
			snprintf(d->res->first_error, sizeof(d->res->first_error), "%s", e->text);
		/*
		 * A client that waited its whole deadline for an answer ends the
		 * step: a program that stopped answering would make every client
		 * after it wait as long.
		 */
		if (strstr(e->text, ll_strerror(LL_ETIMEDOUT)) || e->overran)
			d->next = LONG_MAX;
		if (e->overran && d->res->overran++ == 0)
			snprintf(d->res->overran_error, sizeof(d->res->overran_error), "%s",
				 e->text);
	}
	pthread_mutex_unlock(&d->lock);
}

static int client_once(struct drive *d, struct client_err *e)
{
	const struct lc_scenario *sc = d->sc;
	const struct lc_case_scenario *cs = lc_case_scenario_of(sc->kind);

	if (cs)
		return cs->step(sc, d->load, d->held, &e->connect, e->text, sizeof(e->text));
	switch (sc->kind) {
	case LC_SC_CONNECT_CLOSE: return run_connect_close(sc, e);
	case LC_SC_CONNECT_DROP: return run_connect_drop(sc, e);
	case LC_SC_SILENT_PEER: return run_silent_peer(sc, d->held, e);
	case LC_SC_NO_CLOSE_REPLY: return run_no_close_reply(sc, d->held, e);
	case LC_SC_BURST: return run_burst(sc, d->load, false, e);
	case LC_SC_BAD_HANDSHAKE: return run_bad_handshake(sc, e);
	case LC_SC_REQUEST: return run_request(sc, e);
	case LC_SC_BAD_TOKEN: return run_bad_token(sc, e);
	case LC_SC_FAULT_WALK: {
		long steps = -1;
		int rc = run_fault_walk(sc, &steps, e);

		if (rc == 0) {
			pthread_mutex_lock(&d->lock);
			if (d->res->walks == 0 || steps < d->res->walk_min)
				d->res->walk_min = steps;
			d->res->walks++;
			if (steps > d->res->walk_max)
				d->res->walk_max = steps;
			pthread_mutex_unlock(&d->lock);
		}
		return rc;
	}
	case LC_SC_TLS: return run_tls(sc, e);
	case LC_SC_TLS_BAD: return run_tls_bad(sc, e);
	case LC_SC_SLOW_CONSUMER: break; /* a case scenario: client_once calls its step */
	case LC_SC_SHUTDOWN: break;	 /* not driven: run.c holds its clients (shutdown.h) */
	case LC_SC_RESET_UNREAD: return run_reset_unread(sc, e);
	case LC_SC_SILENT_START: return run_silent_start(sc, d->held, e);
	case LC_SC_SILENT_CONNECT: return run_silent_connect(sc, d->held, e);
	case LC_SC_SLOW_PUBLISHER: break; /* a case scenario */
	case LC_SC_BURST_LARGE: return run_burst(sc, d->load, true, e);
	}
	return fail(e, false, "unknown scenario");
}

/* The scenarios whose load is messages sent by one client, not clients. */
static bool one_client(enum lc_scenario_kind k)
{
	const struct lc_case_scenario *cs = lc_case_scenario_of(k);

	return k == LC_SC_BURST || k == LC_SC_BURST_LARGE || (cs && cs->one_client);
}

static void *worker_main(void *arg)
{
	struct drive *d = arg;
	/*
	 * A burst is one client sending every message, a slow-consumer step one
	 * publisher; the others, one client per unit.
	 */
	long units = one_client(d->sc->kind) ? 1 : d->load;

	for (;;) {
		struct client_err e = {0};
		int rc;

		pthread_mutex_lock(&d->lock);
		if (d->next >= units) {
			pthread_mutex_unlock(&d->lock);
			break;
		}
		if (d->sc->until_ms && now_ms() >= d->sc->until_ms) {
			long started = d->next;

			d->next = LONG_MAX; /* the other workers stop too, without a word */
			pthread_mutex_unlock(&d->lock);
			e.overran = true;
			fail(&e, false,
			     "the step ran past its deadline of %d s: %ld of %ld clients started",
			     d->sc->step_ms / 1000, started, units);
			record(d, -1, &e);
			break;
		}
		d->next++;
		pthread_mutex_unlock(&d->lock);
		rc = client_once(d, &e);
		record(d, rc, &e);
	}
	pthread_mutex_lock(&d->lock);
	d->running--;
	pthread_cond_signal(&d->done);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int lc_drive(const struct lc_scenario *sc, long load, struct lc_held *held, lc_tick_fn tick,
	     void *tick_arg, int tick_ms, struct lc_drive_result *res)
{
	pthread_t workers[MAX_WORKERS];
	pthread_condattr_t attr;
	struct lc_scenario timed = *sc;
	struct drive d = {.sc = &timed, .held = held, .load = load, .res = res};
	long units = one_client(sc->kind) ? 1 : load;
	int nworkers = sc->concurrency < 1 ? 1 : sc->concurrency;
	int started, err = 0;

	if (load <= 0)
		return 0;
	timed.until_ms = sc->step_ms > 0 ? now_ms() + sc->step_ms : 0;
	if (nworkers > MAX_WORKERS)
		nworkers = MAX_WORKERS;
	if (nworkers > units)
		nworkers = (int)units;
	/* A fault walk counts the program's allocations: nothing else may allocate meanwhile. */
	if (sc->kind == LC_SC_FAULT_WALK)
		nworkers = 1;
	/* Each init can fail only for want of memory or another resource. */
	if (pthread_mutex_init(&d.lock, NULL) != 0)
		return LL_ENOMEM;
	if (pthread_condattr_init(&attr) != 0) {
		err = LL_ENOMEM;
		goto out_destroy_lock;
	}
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&d.done, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		err = LL_ENOMEM;
		goto out_destroy_lock;
	}
	pthread_condattr_destroy(&attr);

	for (started = 0; started < nworkers; started++) {
		pthread_mutex_lock(&d.lock);
		d.running++;
		pthread_mutex_unlock(&d.lock);
		if (pthread_create(&workers[started], NULL, worker_main, &d) != 0) {
			pthread_mutex_lock(&d.lock);
			d.running--;
			/* Stop handing out clients; the started workers finish theirs. */
			d.next = units;
			pthread_mutex_unlock(&d.lock);
			err = LL_EIO;
			break;
		}
	}

	/* Sample while the clients run, so the time series shows the climb. */
	pthread_mutex_lock(&d.lock);
	while (d.running > 0) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)tick_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&d.done, &d.lock, &until);
		if (d.running > 0 && tick) {
			pthread_mutex_unlock(&d.lock);
			tick(tick_arg);
			pthread_mutex_lock(&d.lock);
		}
	}
	pthread_mutex_unlock(&d.lock);

	while (started-- > 0)
		pthread_join(workers[started], NULL);
	pthread_cond_destroy(&d.done);
out_destroy_lock:
	pthread_mutex_destroy(&d.lock);
	return err;
}
