/*
 * pubsub.c - the clients of a broadcast hub (pubsub.h).
 *
 * The publisher and the fast subscriber move in lock step: a window of
 * PUB_WINDOW messages is sent, then both read the window back. So the
 * server never holds more than a window for either of them, and a fix
 * that drops subscribers past a high-water mark of a few messages keeps
 * them; only a subscriber that reads nothing at all falls behind.
 */
#include "drive/pubsub.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/transport.h>
#include <leaklab/ws_client.h>
#include <leaklab/ws_conn.h>
#include <leaklab/ws_handshake.h>

#define PUB_WINDOW 4
/* The slow subscriber's receive buffer; Linux doubles it and keeps a floor. */
#define SLOW_RCVBUF 4096
/*
 * The slow subscriber's segment size, offered in its SYN. On loopback
 * the server's send buffer grows with the segment size (about twenty
 * segments' worth): with loopback's own 64 KiB segments it reached 4 MiB
 * and held 2.9 MiB for a peer that reads nothing, with 1 KiB ones it
 * takes in some 80 KiB (test_pubsub measures it).
 */
#define SLOW_MSS 1024
/* ... and what it is widened to when it is read at last. */
#define DRAIN_RCVBUF (1 << 20)

__attribute__((format(printf, 5, 6))) static int say(char *why, size_t size, bool *at_connect,
						     bool is_connect, const char *fmt, ...)
{
	va_list ap;

	if (at_connect)
		*at_connect = is_connect;
	va_start(ap, fmt);
	lc_vformat(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

int lc_pubsub_connect_slow(const char *host, unsigned port, int timeout_ms, struct ll_ws_conn **out,
			   int *fd_out, bool *at_connect, char *why, size_t why_size)
{
	return lc_pubsub_connect_slow_to(host, port, "/", timeout_ms, out, fd_out, at_connect, why,
					 why_size);
}

int lc_pubsub_connect_slow_to(const char *host, unsigned port, const char *path, int timeout_ms,
			      struct ll_ws_conn **out, int *fd_out, bool *at_connect, char *why,
			      size_t why_size)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct ll_ws_conn_opts copts = {.close_timeout_ms = timeout_ms,
					.write_timeout_ms = timeout_ms};
	struct ll_transport *t;
	char req[1024], buf[LL_HTTP_MAX_HEADER + 1024], key[25];
	int rcvbuf = SLOW_RCVBUF, mss = SLOW_MSS, one = 1;
	size_t len = 0;
	int fd, n, r, status = 0;

	*out = NULL;
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return say(why, why_size, at_connect, true,
			   "the slow subscriber needs an IPv4 "
			   "address, not %s",
			   host);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return say(why, why_size, at_connect, true, "socket: %s", strerror(errno));
	/*
	 * Before connect, so the window the kernel offers is small from the
	 * SYN on, and the server's send buffer, which grows with the segment
	 * size, stays small too.
	 */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = errno;
		close(fd);
		return say(why, why_size, at_connect, true, "connect to %s:%u: %s", host, port,
			   strerror(r));
	}
	/* The transport polls with deadlines and expects a non-blocking socket. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	r = ll_transport_plain(&t, fd);
	if (r)
		return say(why, why_size, at_connect, true, "transport: %s", ll_strerror(r));
	n = ll_ws_client_request(host, port, path, key, req, sizeof(req));
	if (n < 0) {
		r = n;
		goto out_destroy_transport;
	}
	r = ll_transport_write(t, req, (size_t)n, timeout_ms);
	while (r == 0) {
		ssize_t got = ll_transport_read(t, buf + len, sizeof(buf) - len, timeout_ms);

		if (got <= 0) {
			r = got == 0 ? LL_EPROTO : (int)got;
			break;
		}
		len += (size_t)got;
		r = ll_ws_client_response_parse(buf, len, key, &status);
		if (r > 0)
			break;
		if (r == LL_EAGAIN)
			r = 0;
	}
	if (r < 0)
		goto out_destroy_transport;
	r = ll_ws_conn_create(out, t, LL_WS_CLIENT, &copts, (const uint8_t *)buf + r,
			      len - (size_t)r);
	if (r)
		return say(why, why_size, at_connect, true, "the slow subscriber: %s",
			   ll_strerror(r));
	if (fd_out)
		*fd_out = fd;
	return 0;

out_destroy_transport:
	ll_transport_destroy(t);
	if (status)
		return say(why, why_size, at_connect, true,
			   "the server refused the slow subscriber with HTTP %d", status);
	return say(why, why_size, at_connect, true, "the slow subscriber's handshake: %s",
		   ll_strerror(r));
}

static int fast_connect(const char *host, unsigned port, int timeout_ms, struct ll_ws_conn **out,
			bool *at_connect, char *why, size_t why_size)
{
	struct ll_ws_client_opts opts = {
	    .path = "/",
	    .timeout_ms = timeout_ms,
	    .conn = {.close_timeout_ms = timeout_ms, .write_timeout_ms = timeout_ms},
	};
	int status = 0, err;

	err = ll_ws_client_connect(out, host, port, &opts, &status);
	if (err == LL_EPROTO && status)
		return say(why, why_size, at_connect, true,
			   "the server refused a subscriber with "
			   "HTTP %d",
			   status);
	if (err)
		return say(why, why_size, at_connect, true, "connect to %s:%u: %s", host, port,
			   ll_strerror(err));
	return 0;
}

/*
 * Waits until c has got a message equal to text (its own join, or the
 * publisher's message): the hub has then registered c, since it reads a
 * subscriber's messages only once it is subscribed. Other messages on the
 * way (other clients' traffic) are skipped.
 */
static int wait_for(struct ll_ws_conn *c, const char *who, const char *text, int timeout_ms,
		    char *why, size_t why_size)
{
	size_t len = strlen(text);

	for (;;) {
		struct ll_ws_msg msg = {0};
		int err = ll_ws_conn_recv(c, &msg, timeout_ms);
		bool match;

		if (err)
			return say(why, why_size, NULL, false, "%s waiting for \"%.40s\": %s", who,
				   text, ll_strerror(err));
		match = msg.len == len && memcmp(msg.data, text, len) == 0;
		ll_ws_msg_free(&msg);
		if (match)
			return 0;
	}
}

/* Joins: sends a message of its own and waits to see it broadcast back. */
static int join(struct ll_ws_conn *c, const char *who, const char *tag, int timeout_ms, char *why,
		size_t why_size)
{
	char text[96];
	int err;

	snprintf(text, sizeof(text), "join %s %s", tag, who);
	err = ll_ws_conn_send(c, LL_WS_OP_TEXT, text, strlen(text));
	if (err)
		return say(why, why_size, NULL, false, "%s could not join: %s", who,
			   ll_strerror(err));
	return wait_for(c, who, text, timeout_ms, why, why_size);
}

/* The text of message seq: "pub TAG SEQ " padded with dots to LC_PUB_BYTES. */
static void pub_text(char *buf, const char *tag, long seq)
{
	int n = snprintf(buf, LC_PUB_BYTES + 1, "pub %s %ld ", tag, seq);

	memset(buf + n, '.', (size_t)(LC_PUB_BYTES - n));
	buf[LC_PUB_BYTES] = '\0';
}

/* Reads until message seq of tag arrives; anything else of tag, or a gap, is a failure. */
static int read_pub(struct ll_ws_conn *c, const char *who, const char *tag, long seq,
		    const char *want, int timeout_ms, char *why, size_t why_size)
{
	char prefix[80];
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "pub %s ", tag);

	for (;;) {
		struct ll_ws_msg msg = {0};
		int err = ll_ws_conn_recv(c, &msg, timeout_ms);
		bool ours, match;

		if (err == LL_ECLOSED)
			return say(why, why_size, NULL, false,
				   "the %s was disconnected (close code %u) before message %ld "
				   "of the broadcast",
				   who, ll_ws_conn_close_code(c), seq);
		if (err)
			return say(why, why_size, NULL, false,
				   "the %s did not get message %ld of the broadcast: %s", who, seq,
				   ll_strerror(err));
		ours = msg.len >= plen && memcmp(msg.data, prefix, plen) == 0;
		match = msg.len == LC_PUB_BYTES && memcmp(msg.data, want, LC_PUB_BYTES) == 0;
		ll_ws_msg_free(&msg);
		if (match)
			return 0;
		if (ours)
			return say(why, why_size, NULL, false,
				   "the %s got the broadcast out of order (expected message %ld)",
				   who, seq);
	}
}

int lc_pubsub_publish(const char *host, unsigned port, int timeout_ms, const char *tag, long count,
		      bool *at_connect, char *why, size_t why_size)
{
	struct ll_ws_conn *pub = NULL, *sub = NULL;
	char *texts;
	long sent = 0, got = 0;
	int rc = -1;

	texts = ll_malloc((size_t)PUB_WINDOW * (LC_PUB_BYTES + 1));
	if (!texts)
		return say(why, why_size, at_connect, false, "out of memory");
	if (fast_connect(host, port, timeout_ms, &pub, at_connect, why, why_size))
		goto out_free;
	if (fast_connect(host, port, timeout_ms, &sub, at_connect, why, why_size))
		goto out_destroy;
	if (join(pub, "publisher", tag, timeout_ms, why, why_size) ||
	    join(sub, "fast subscriber", tag, timeout_ms, why, why_size))
		goto out_failed;
	while (got < count) {
		long k;

		for (; sent < count && sent - got < PUB_WINDOW; sent++) {
			char *t = texts + (sent % PUB_WINDOW) * (LC_PUB_BYTES + 1);
			int err;

			pub_text(t, tag, sent);
			err = ll_ws_conn_send(pub, LL_WS_OP_TEXT, t, LC_PUB_BYTES);
			if (err) {
				say(why, why_size, NULL, false, "publishing message %ld: %s", sent,
				    ll_strerror(err));
				goto out_failed;
			}
		}
		for (k = got; k < sent; k++) {
			const char *t = texts + (k % PUB_WINDOW) * (LC_PUB_BYTES + 1);

			if (read_pub(pub, "publisher", tag, k, t, timeout_ms, why, why_size) ||
			    read_pub(sub, "fast subscriber", tag, k, t, timeout_ms, why, why_size))
				goto out_failed;
		}
		got = sent;
	}
	rc = 0;
	if (ll_ws_conn_close(pub, LL_WS_CLOSE_NORMAL, NULL) == LL_ETIMEDOUT ||
	    ll_ws_conn_close(sub, LL_WS_CLOSE_NORMAL, NULL) == LL_ETIMEDOUT)
		rc = say(why, why_size, NULL, false, "the server never answered a close frame");
	goto out_destroy;
out_failed:
	if (at_connect)
		*at_connect = false;
out_destroy:
	ll_ws_conn_destroy(sub);
	ll_ws_conn_destroy(pub);
out_free:
	ll_free(texts);
	return rc;
}

/* Publishes one message and waits for it to come back: every subscriber has it queued. */
static int publish_marker(const char *host, unsigned port, int timeout_ms, const char *marker,
			  char *why, size_t why_size)
{
	struct ll_ws_conn *c;
	int err, rc;

	if (fast_connect(host, port, timeout_ms, &c, NULL, why, why_size))
		return -1;
	err = ll_ws_conn_send(c, LL_WS_OP_TEXT, marker, strlen(marker));
	if (err)
		rc = say(why, why_size, NULL, false, "publishing the marker: %s", ll_strerror(err));
	else
		rc = wait_for(c, "the marker's publisher", marker, timeout_ms, why, why_size);
	if (rc == 0)
		ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL);
	ll_ws_conn_destroy(c);
	return rc;
}

int lc_pubsub_drain_slow(struct ll_ws_conn *c, int fd, const char *marker, int timeout_ms,
			 unsigned *code, long *got, char *why, size_t why_size)
{
	size_t len = strlen(marker);
	int wide = DRAIN_RCVBUF;

	/*
	 * The window was made small to fill the server; read through it as it
	 * is and megabytes take thousands of round trips, each a wake-up of
	 * the server's writer and of this thread.
	 */
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &wide, sizeof(wide));
	*code = 0;
	*got = 0;
	for (;;) {
		struct ll_ws_msg msg = {0};
		int err = ll_ws_conn_recv(c, &msg, timeout_ms);
		bool match;

		if (err == LL_ECLOSED) {
			*code = ll_ws_conn_close_code(c);
			return 1;
		}
		if (err)
			return say(why, why_size, NULL, false,
				   "the slow subscriber was neither dropped nor sent the rest "
				   "(%s after %ld messages)",
				   ll_strerror(err), *got);
		(*got)++;
		match = msg.len == len && memcmp(msg.data, marker, len) == 0;
		ll_ws_msg_free(&msg);
		if (match)
			return 0;
	}
}

/*
 * What the slow-consumer and slow-publisher scenarios hold from their
 * first step to the end of the run (held->case_state): LC_SLOW_SUBS slow
 * subscribers of each kind, the quiet ones and the ones that talk.
 */
struct slow_subs {
	struct ll_ws_conn *conn[2 * LC_SLOW_SUBS];
	int fd[2 * LC_SLOW_SUBS]; /* their sockets, owned by conn[] */
	bool talks[2 * LC_SLOW_SUBS];
	size_t n;
	long steps; /* steps so far: each one's messages carry its own tag */
};

/*
 * A slow publisher says something and reads nothing. A send that fails is
 * not judged here: a fix that dropped it has closed the connection, and
 * the release reads how it went.
 */
static int talk_text(char *buf, size_t size, size_t i, long step)
{
	return snprintf(buf, size, "slow publisher %zu, step %ld", i, step);
}

static void say_unread(struct ll_ws_conn *c, size_t i, long step)
{
	char text[64];
	int n = talk_text(text, sizeof(text), i, step);

	(void)ll_ws_conn_send(c, LL_WS_OP_TEXT, text, (size_t)n);
}

/*
 * Reads on watch until every one of the n texts has been broadcast to it
 * (in any order: each comes from a connection of its own). Returns 0, or
 * -1 with why set.
 */
static int heard_all(struct ll_ws_conn *watch, char (*texts)[64], size_t n, int timeout_ms,
		     char *why, size_t why_size)
{
	bool seen[2 * LC_SLOW_SUBS] = {false};
	size_t left = n, i;

	while (left > 0) {
		struct ll_ws_msg msg = {0};
		int err = ll_ws_conn_recv(watch, &msg, timeout_ms);

		if (err) {
			for (i = 0; i < n && seen[i]; i++)
				;
			return say(why, why_size, NULL, false,
				   "the hub did not broadcast \"%s\" from a slow publisher: %s",
				   i < n ? texts[i] : "?", ll_strerror(err));
		}
		for (i = 0; i < n; i++)
			if (!seen[i] && msg.len == strlen(texts[i]) &&
			    memcmp(msg.data, texts[i], msg.len) == 0) {
				seen[i] = true;
				left--;
			}
		ll_ws_msg_free(&msg);
	}
	return 0;
}

static void drop_slow(struct lc_held *held)
{
	struct slow_subs *s = held->case_state;
	size_t i;

	for (i = 0; s && i < s->n; i++)
		ll_ws_conn_destroy(s->conn[i]);
	ll_free(s);
	held->case_state = NULL;
	held->owner = NULL;
}

static int step_of(const struct lc_scenario *sc, long load, struct lc_held *held, bool talk,
		   bool *at_connect, char *why, size_t why_size)
{
	struct slow_subs *s;
	struct ll_ws_conn *watch = NULL;
	bool fill = false;
	size_t i, have = 0, nsaid = 0;
	char tag[32], said[2 * LC_SLOW_SUBS][64];
	int rc;

	pthread_mutex_lock(&held->lock);
	if (!held->case_state) {
		held->case_state = ll_calloc(1, sizeof(struct slow_subs));
		if (!held->case_state) {
			pthread_mutex_unlock(&held->lock);
			snprintf(why, why_size, "out of memory");
			return -1;
		}
		held->owner = &lc_pubsub_scenario;
	}
	s = held->case_state;
	for (i = 0; i < s->n; i++)
		have += s->talks[i] == talk;
	for (; have < LC_SLOW_SUBS; have++) {
		struct ll_ws_conn *c;
		int fd = -1;

		fill = true;
		if (lc_pubsub_connect_slow(sc->host, sc->port, sc->timeout_ms, &c, &fd, at_connect,
					   why, why_size)) {
			pthread_mutex_unlock(&held->lock);
			return -1;
		}
		s->fd[s->n] = fd;
		s->talks[s->n] = talk;
		s->conn[s->n++] = c;
	}
	snprintf(tag, sizeof(tag), "s%ld", ++s->steps);
	/*
	 * Talkers that have just connected are heard before the step goes
	 * on: a watcher subscribed first must see each one's message
	 * broadcast. Otherwise, on a loaded machine, the hub could still be
	 * broadcasting them when the next exit path's clients connect, and
	 * an echo client would read a slow publisher's words for its echo;
	 * and a hub that trusts a client that publishes must have seen it
	 * publish before the fill below reaches its high-water mark. Later
	 * steps are not waited for: a fix has dropped them by then.
	 */
	if (talk && fill &&
	    (fast_connect(sc->host, sc->port, sc->timeout_ms, &watch, at_connect, why, why_size) ||
	     join(watch, "watcher", tag, sc->timeout_ms, why, why_size))) {
		pthread_mutex_unlock(&held->lock);
		ll_ws_conn_destroy(watch);
		return -1;
	}
	/* The talking ones publish a message of their own each step, and read none. */
	for (i = 0; talk && i < s->n; i++)
		if (s->talks[i]) {
			say_unread(s->conn[i], i, s->steps);
			talk_text(said[nsaid++], sizeof(said[0]), i, s->steps);
		}
	pthread_mutex_unlock(&held->lock);
	if (watch) {
		rc = heard_all(watch, said, nsaid, sc->timeout_ms, why, why_size);
		if (rc == 0 && ll_ws_conn_close(watch, LL_WS_CLOSE_NORMAL, NULL) == LL_ETIMEDOUT)
			rc = say(why, why_size, NULL, false,
				 "the server never answered a close frame");
		ll_ws_conn_destroy(watch);
		if (rc)
			return -1;
	}
	if (fill && lc_pubsub_publish(sc->host, sc->port, sc->timeout_ms, "fill",
				      LC_PREFILL_BYTES / LC_PUB_BYTES, at_connect, why, why_size))
		return -1;
	return lc_pubsub_publish(sc->host, sc->port, sc->timeout_ms, tag, load, at_connect, why,
				 why_size);
}

static int step(const struct lc_scenario *sc, long load, struct lc_held *held, bool *at_connect,
		char *why, size_t why_size)
{
	return step_of(sc, load, held, false, at_connect, why, why_size);
}

static int step_talking(const struct lc_scenario *sc, long load, struct lc_held *held,
			bool *at_connect, char *why, size_t why_size)
{
	return step_of(sc, load, held, true, at_connect, why, why_size);
}

static void release(struct lc_held *held, const struct lc_scenario *sc, struct lc_drive_result *res)
{
	struct slow_subs *s;
	char marker[64], why[256];
	size_t i;

	pthread_mutex_lock(&held->lock);
	s = held->case_state;
	if (!s || s->n == 0) {
		pthread_mutex_unlock(&held->lock);
		return;
	}
	snprintf(marker, sizeof(marker), "marker %ld", ++s->steps);
	if (publish_marker(sc->host, sc->port, sc->timeout_ms, marker, why, sizeof(why))) {
		res->failed++;
		if (!res->first_error[0])
			snprintf(res->first_error, sizeof(res->first_error), "%s", why);
	}
	for (i = 0; i < s->n; i++) {
		unsigned code;
		long got;
		int r = lc_pubsub_drain_slow(s->conn[i], s->fd[i], marker, sc->timeout_ms / 5,
					     &code, &got, why, sizeof(why));

		if (r == 1) {
			res->slow_dropped++;
			res->slow_close_code = code;
		}
		/*
		 * Dropped, but it must be told why (section 7.4.1: 1008, policy
		 * violation), or it cannot tell a hub that gave up on it from a
		 * network that failed: a bare shutdown or close reads as 1006.
		 */
		if (r == 1 && code != LL_WS_CLOSE_POLICY) {
			snprintf(why, sizeof(why),
				 "the slow subscriber was dropped with %u%s, not told why: a close "
				 "frame with %d (policy violation) must say it was too slow",
				 code, code == LL_WS_CLOSE_ABNORMAL ? " (no close frame)" : "",
				 LL_WS_CLOSE_POLICY);
			res->failed++;
			if (!res->first_error[0])
				snprintf(res->first_error, sizeof(res->first_error), "%s", why);
		} else if (r != 1) {
			if (r == 0)
				snprintf(why, sizeof(why),
					 "the slow subscriber was never dropped: the server "
					 "kept every message for it (%ld read at the end)",
					 got);
			res->failed++;
			if (!res->first_error[0])
				snprintf(res->first_error, sizeof(res->first_error), "%s", why);
		}
	}
	drop_slow(held);
	pthread_mutex_unlock(&held->lock);
}

const struct lc_case_scenario lc_pubsub_scenario = {
    .kind = LC_SC_SLOW_CONSUMER,
    .one_client = true,
    .step = step,
    .release = release,
    .drop = drop_slow,
};

/* Its state is the slow-consumer scenario's: one owner, one release for both kinds. */
const struct lc_case_scenario lc_pubsub_talking_scenario = {
    .kind = LC_SC_SLOW_PUBLISHER,
    .one_client = true,
    .step = step_talking,
    .release = release,
    .drop = drop_slow,
};

int lc_pubsub_check(const char *host, unsigned port, long count, int timeout_ms, char *why,
		    size_t why_size)
{
	struct ll_ws_conn *slow;
	bool at_connect = false;
	int rc;

	if (lc_pubsub_connect_slow(host, port, timeout_ms, &slow, NULL, &at_connect, why, why_size))
		return LL_EIO;
	rc = lc_pubsub_publish(host, port, timeout_ms, "check", count, &at_connect, why, why_size);
	ll_ws_conn_destroy(slow);
	if (rc && at_connect)
		return LL_EIO;
	return rc ? 1 : 0;
}

static int run_broadcast(const struct lc_behaviour *b, const struct lc_client *cl, const char *host,
			 unsigned port, int timeout_ms, char *why, size_t why_size)
{
	(void)cl; /* the hub of case 13 serves ws at "/" */
	return lc_pubsub_check(host, port, b->number, timeout_ms, why, why_size);
}

const struct lc_case_check lc_pubsub_broadcast = {
    .kind = LC_BH_BROADCAST,
    .run = run_broadcast,
};
