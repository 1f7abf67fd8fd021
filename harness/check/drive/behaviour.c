/*
 * behaviour.c - the behaviour checks (behaviour.h), each a real client of
 * the program built on the lib's own WebSocket client, except the ping
 * check: a client made with ll_ws_client_connect answers pings inside
 * recv and never shows them, so that one speaks the protocol itself (the
 * handshake from ws_handshake.h, frames from the lib's parser) and notes
 * the time of every ping frame that arrives.
 */
#include "drive/behaviour.h"
#include "text.h"
#include "drive/http.h"
#include "drive/scenario.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/probe.h>
#include <leaklab/transport.h>
#include <leaklab/ws_client.h>
#include <leaklab/ws_conn.h>
#include <leaklab/ws_frame.h>
#include <leaklab/ws_handshake.h>

#define OP_MS	      3000 /* one operation natively; times slow */
#define PING_WINDOW   6	   /* intervals the ping check counts over... */
#define PING_MIN_MS   300  /* ...and at least this long: a 1 ms heartbeat needs it */
#define MAX_SESSIONS  16
#define SESSION_TRIES 8
#define MAX_AUDITED   64
#define MAX_BROADCAST 10000
#define MAX_LATE_MS   1000 /* a late answer is the program's close deadline's business */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Copies s without its leading and trailing blanks. */
static void trimmed(char *out, size_t size, const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

int lc_behaviour_parse(const char *line, struct lc_behaviour *out, char *why, size_t why_size)
{
	size_t word = strcspn(line, " \t");
	const char *rest = line + word + strspn(line + word, " \t");
	char *end;

	memset(out, 0, sizeof(*out));
	if (word == 4 && strncmp(line, "echo", 4) == 0) {
		out->kind = LC_BH_ECHO;
		return 0;
	}
	if (word == 5 && strncmp(line, "reply", 5) == 0) {
		const char *arrow = strstr(rest, "=>");

		if (!arrow || arrow == rest || !arrow[2])
			goto bad;
		out->kind = LC_BH_REPLY;
		trimmed(out->text, sizeof(out->text), rest, (size_t)(arrow - rest));
		trimmed(out->expected, sizeof(out->expected), arrow + 2, strlen(arrow + 2));
		if (!out->text[0] || !out->expected[0])
			goto bad;
		return 0;
	}
	if (word == 7 && strncmp(line, "upgrade", 7) == 0) {
		const char *arrow = strstr(rest, "=>");

		if (!arrow || arrow == rest)
			goto bad;
		out->kind = LC_BH_UPGRADE;
		trimmed(out->text, sizeof(out->text), rest, (size_t)(arrow - rest));
		out->number = strtol(arrow + 2, &end, 10);
		if (out->text[0] != '/' || strchr(out->text, ' ') || *end || out->number < 101 ||
		    out->number > 599)
			goto bad;
		return 0;
	}
	if (word == 5 && strncmp(line, "pings", 5) == 0) {
		out->kind = LC_BH_PINGS;
		out->number = strtol(rest, &end, 10);
		if (end == rest || *end || out->number < 1 || out->number > 60000)
			goto bad;
		return 0;
	}
	if (word == 8 && strncmp(line, "sessions", 8) == 0) {
		size_t q = strcspn(rest, " \t");

		out->kind = LC_BH_SESSIONS;
		trimmed(out->text, sizeof(out->text), rest, q);
		out->number = strtol(rest + q, &end, 10);
		if (!out->text[0] || *end || out->number < 1 || out->number > MAX_SESSIONS)
			goto bad;
		return 0;
	}
	if (word == 8 && strncmp(line, "isolated", 8) == 0) {
		out->kind = LC_BH_ISOLATED;
		out->number = strtol(rest, &end, 10);
		if (end == rest || *end || out->number < 2 || out->number > MAX_SESSIONS)
			goto bad;
		return 0;
	}
	if (word == 5 && strncmp(line, "stays", 5) == 0) {
		out->kind = LC_BH_STAYS;
		out->number = strtol(rest, &end, 10);
		if (end == rest || *end || out->number < 1 || out->number > 60000)
			goto bad;
		return 0;
	}
	if ((word == 6 && strncmp(line, "closes", 6) == 0) ||
	    (word == 5 && strncmp(line, "audit", 5) == 0)) {
		size_t q = strcspn(rest, " \t");
		bool closes = word == 6;
		long lo = closes ? 1000 : 1, hi = closes ? 4999 : MAX_AUDITED;

		out->kind = closes ? LC_BH_CLOSES : LC_BH_AUDIT;
		trimmed(out->text, sizeof(out->text), rest, q);
		out->number = strtol(rest + q, &end, 10);
		if (closes && strncmp(end, " late ", 6) == 0) {
			const char *ms = end + 6;

			out->late_ms = strtol(ms, &end, 10);
			if (end == ms || out->late_ms < 1 || out->late_ms > MAX_LATE_MS)
				goto bad;
		}
		if (!out->text[0] || end == rest + q || *end || out->number < lo ||
		    out->number > hi)
			goto bad;
		return 0;
	}
	if (word == 6 && strncmp(line, "joined", 6) == 0) {
		size_t q = strcspn(rest, " \t");

		out->kind = LC_BH_JOINED;
		trimmed(out->text, sizeof(out->text), rest, q);
		out->number = strtol(rest + q, &end, 10);
		if (!out->text[0] || end == rest + q || *end || out->number < 1 ||
		    out->number > MAX_SESSIONS)
			goto bad;
		return 0;
	}
	if (word == 12 && strncmp(line, "close-notify", 12) == 0 && !*rest) {
		out->kind = LC_BH_CLOSE_NOTIFY;
		return 0;
	}
	if (word == 9 && strncmp(line, "broadcast", 9) == 0) {
		out->kind = LC_BH_BROADCAST;
		out->number = strtol(rest, &end, 10);
		if (end == rest || *end || out->number < 1 || out->number > MAX_BROADCAST)
			goto bad;
		return 0;
	}
bad:
	snprintf(why, why_size,
		 "bad behaviour \"%s\" (echo | reply TEXT => EXPECTED | pings MS | "
		 "sessions QUERY K | isolated K | stays MS | closes TEXT CODE [late MS] | "
		 "joined TEXT K | audit QUERY K | upgrade PATH => STATUS | broadcast K | "
		 "close-notify)",
		 line);
	return LL_EINVAL;
}

void lc_behaviour_describe(const struct lc_behaviour *b, char *buf, size_t size)
{
	switch (b->kind) {
	case LC_BH_ECHO: snprintf(buf, size, "echo: a message comes back unchanged"); break;
	case LC_BH_REPLY:
		snprintf(buf, size, "reply: \"%s\" is answered \"%s\"", b->text, b->expected);
		break;
	case LC_BH_PINGS:
		snprintf(buf, size, "pings: an idle client is pinged every %ld ms", b->number);
		break;
	case LC_BH_SESSIONS:
		snprintf(buf, size, "sessions: %ld clients connected at once, \"%s\" lists %ld",
			 b->number, b->text, b->number);
		break;
	case LC_BH_ISOLATED:
		snprintf(buf, size,
			 "isolated: %ld clients at once each get back their own messages, "
			 "nobody else's",
			 b->number);
		break;
	case LC_BH_STAYS:
		snprintf(buf, size,
			 "stays: a client that answers pings is still connected after %ld ms",
			 b->number);
		break;
	case LC_BH_CLOSES:
		if (b->late_ms)
			snprintf(buf, size,
				 "closes: \"%s\" starts a close handshake with %ld, and an answer "
				 "%ld ms late still ends it cleanly",
				 b->text, b->number, b->late_ms);
		else
			snprintf(buf, size,
				 "closes: \"%s\" starts a close handshake with %ld, and an answer "
				 "ends it cleanly",
				 b->text, b->number);
		break;
	case LC_BH_JOINED:
		snprintf(buf, size,
			 "joined: while %ld clients leave \"%s\"'s close frame unanswered, no "
			 "thread outlives its connection",
			 b->number, b->text);
		break;
	case LC_BH_AUDIT:
		snprintf(buf, size, "audit: %ld echoed messages raise \"%s\" by %ld", b->number,
			 b->text, b->number);
		break;
	case LC_BH_UPGRADE:
		snprintf(buf, size, "upgrade: \"%s\" is answered HTTP %ld", b->text, b->number);
		break;
	case LC_BH_BROADCAST:
		snprintf(buf, size,
			 "broadcast: %ld messages reach every subscriber that reads, while one "
			 "that never reads stalls",
			 b->number);
		break;
	case LC_BH_CLOSE_NOTIFY:
		snprintf(buf, size,
			 "close-notify: a clean close ends the TLS session with close_notify");
		break;
	}
}

/*
 * After a failed connect: LL_EIO when the connection itself failed (the
 * check cannot run), 1 when the TLS or opening handshake then failed or
 * timed out (the program's feature is broken: a finding, as a wrong answer
 * is), 0 when err is 0.
 */
static int connect_failed(int err, const struct lc_client *cl, const char *host, unsigned port,
			  char *why, size_t size)
{
	if (!err)
		return 0;
	if (err == LL_EIO) {
		lc_say(1, why, size, "could not connect to %s:%u: %s", host, port,
		       ll_strerror(err));
		return LL_EIO;
	}
	return lc_say(1, why, size, "the %s handshake with the program failed: %s",
		      cl->tls && err == LL_ETLS ? "TLS" : "opening", ll_strerror(err));
}

static int connect_ws(const struct lc_client *cl, const char *host, unsigned port, int slow,
		      struct ll_ws_conn **out, char *why, size_t size)
{
	struct ll_ws_client_opts opts = {
	    .path = cl->path,
	    .tls = cl->tls,
	    .timeout_ms = OP_MS * slow,
	    .conn = {.close_timeout_ms = OP_MS * slow, .write_timeout_ms = OP_MS * slow},
	};
	int status = 0, err;

	err = ll_ws_client_connect(out, host, port, &opts, &status);
	if (err == LL_EPROTO) {
		lc_say(1, why, size, "the opening handshake failed (HTTP status %d)", status);
		return 1;
	}
	return connect_failed(err, cl, host, port, why, size);
}

/* Sends text and receives the answer into *msg. Returns 0 or 1 (why says what). */
static int ask(struct ll_ws_conn *c, const char *text, int slow, struct ll_ws_msg *msg, char *why,
	       size_t size)
{
	int err = ll_ws_conn_send(c, LL_WS_OP_TEXT, text, strlen(text));

	if (err)
		return lc_say(1, why, size, "sending \"%s\" failed: %s", text, ll_strerror(err));
	err = ll_ws_conn_recv(c, msg, OP_MS * slow);
	if (err == LL_ETIMEDOUT)
		return lc_say(1, why, size, "no answer to \"%s\" within %d ms", text, OP_MS * slow);
	if (err == LL_EPROTO || err == LL_EUTF8) {
		lc_say(1, why, size,
		       "the server sent a broken frame instead of answering \"%s\" (%s)", text,
		       ll_strerror(err));
		return LC_BH_BROKEN_FRAMES;
	}
	if (err)
		return lc_say(1, why, size, "the connection ended instead of answering \"%s\" (%s)",
			      text, ll_strerror(err));
	return 0;
}

/*
 * Sends text and checks the answer: the same text back (exact), or an
 * answer that starts with expected.
 */
static int check_reply(const char *text, const char *expected, bool exact,
		       const struct lc_client *cl, const char *host, unsigned port, int slow,
		       char *why, size_t size)
{
	struct ll_ws_msg msg = {0};
	struct ll_ws_conn *c;
	int rc;

	rc = connect_ws(cl, host, port, slow, &c, why, size);
	if (rc)
		return rc;
	rc = ask(c, text, slow, &msg, why, size);
	if (rc == 0 && exact && (msg.len != strlen(text) || memcmp(msg.data, text, msg.len) != 0)) {
		lc_say(1, why, size, "sent \"%s\", got back \"%.60s\"", text, (char *)msg.data);
		rc = LC_BH_BROKEN_FRAMES;
	} else if (rc == 0 && !exact && strncmp((char *)msg.data, expected, strlen(expected)) != 0)
		rc = lc_say(1, why, size, "\"%s\" was answered \"%.80s\", expected \"%s\"", text,
			    (char *)msg.data, expected);
	ll_ws_msg_free(&msg);
	if (rc == 0)
		ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL);
	ll_ws_conn_destroy(c);
	return rc;
}

/*
 * K clients at once; each asks. Handlers register as their threads start,
 * which may be just after the handshake answered, so a count below K is
 * asked again a few times before it is a failure; a count above K never is
 * a race (nobody else is connected) and fails at once.
 */
static int check_sessions(const struct lc_behaviour *b, const struct lc_client *cl,
			  const char *host, unsigned port, int slow, char *why, size_t size)
{
	struct ll_ws_conn *c[MAX_SESSIONS] = {0};
	char want[64];
	long k = b->number, i;
	int rc = 0;

	snprintf(want, sizeof(want), "sessions: %ld", k);
	for (i = 0; i < k && rc == 0; i++)
		rc = connect_ws(cl, host, port, slow, &c[i], why, size);
	for (i = 0; i < k && rc == 0; i++) {
		struct ll_ws_msg msg = {0};
		long nap = 5;
		int tries;

		for (tries = 0; tries < SESSION_TRIES; tries++) {
			long seen;

			rc = ask(c[i], b->text, slow, &msg, why, size);
			if (rc)
				break;
			if (strncmp((char *)msg.data, "sessions: ", 10) != 0) {
				rc = lc_say(1, why, size,
					    "\"%s\" was answered \"%.60s\", expected \"%s\"",
					    b->text, (char *)msg.data, want);
				break;
			}
			seen = strtol((char *)msg.data + 10, NULL, 10);
			if (seen == k)
				break;
			if (seen > k || tries == SESSION_TRIES - 1) {
				rc = lc_say(
				    1, why, size,
				    "with %ld clients connected, \"%s\" was answered \"%.60s\": "
				    "the registry must list exactly the live sessions",
				    k, b->text, (char *)msg.data);
				break;
			}
			ll_ws_msg_free(&msg);
			nap_ms(nap * slow);
			nap *= 2;
		}
		ll_ws_msg_free(&msg);
	}
	for (i = 0; i < k; i++) {
		if (!c[i])
			continue;
		if (rc == 0)
			ll_ws_conn_close(c[i], LL_WS_CLOSE_NORMAL, NULL);
		ll_ws_conn_destroy(c[i]);
	}
	return rc;
}

/*
 * K clients at once. Every client sends its own text before any reads, so
 * a server that hands a reply to the wrong client, or to every client,
 * shows it at once: a client's first message is someone else's. Then a
 * second round, so a reply that arrived twice is seen as well.
 */
static int check_isolated(const struct lc_behaviour *b, const struct lc_client *cl,
			  const char *host, unsigned port, int slow, char *why, size_t size)
{
	struct ll_ws_conn *c[MAX_SESSIONS] = {0};
	long k = b->number, i;
	int rc = 0, round;

	for (i = 0; i < k && rc == 0; i++)
		rc = connect_ws(cl, host, port, slow, &c[i], why, size);
	for (round = 1; round <= 2 && rc == 0; round++) {
		for (i = 0; i < k && rc == 0; i++) {
			char text[64];
			int err;

			snprintf(text, sizeof(text), "isolated check: client %ld, message %d", i,
				 round);
			err = ll_ws_conn_send(c[i], LL_WS_OP_TEXT, text, strlen(text));
			if (err)
				rc = lc_say(1, why, size, "client %ld: sending failed: %s", i,
					    ll_strerror(err));
		}
		for (i = 0; i < k && rc == 0; i++) {
			struct ll_ws_msg msg = {0};
			char text[64];
			int err;

			snprintf(text, sizeof(text), "isolated check: client %ld, message %d", i,
				 round);
			err = ll_ws_conn_recv(c[i], &msg, OP_MS * slow);
			if (err)
				rc = lc_say(1, why, size, "client %ld: no answer to \"%s\" (%s)", i,
					    text, ll_strerror(err));
			else if (msg.len != strlen(text) || memcmp(msg.data, text, msg.len) != 0)
				rc = lc_say(
				    1, why, size,
				    "with %ld clients connected, client %ld sent \"%s\" and got "
				    "\"%.60s\": a reply must reach the client that asked, and "
				    "only it",
				    k, i, text, (char *)msg.data);
			ll_ws_msg_free(&msg);
		}
	}
	for (i = 0; i < k; i++) {
		if (!c[i])
			continue;
		if (rc == 0)
			ll_ws_conn_close(c[i], LL_WS_CLOSE_NORMAL, NULL);
		ll_ws_conn_destroy(c[i]);
	}
	return rc;
}

/*
 * One client connects, sends nothing and keeps reading for b->number ms,
 * so the lib answers every ping inside recv (section 5.5.2) as a live
 * browser would; then its echo must still work. The time is the program's
 * own (its deadline is a knob), so it is not scaled by slow, and it starts
 * after the handshake. Messages the server pushes meanwhile are allowed.
 */
static int check_stays(const struct lc_behaviour *b, const struct lc_client *cl, const char *host,
		       unsigned port, int slow, char *why, size_t size)
{
	static const char text[] = "leaklab behaviour check: still here";
	struct ll_ws_msg msg = {0};
	struct ll_ws_conn *c;
	long start, until;
	int rc, err;

	rc = connect_ws(cl, host, port, slow, &c, why, size);
	if (rc)
		return rc;
	start = now_ms();
	until = start + b->number;
	for (;;) {
		long left = until - now_ms();

		if (left <= 0)
			break;
		err = ll_ws_conn_recv(c, &msg, (int)left);
		if (err == LL_ETIMEDOUT)
			break;
		if (err == LL_ECLOSED) {
			rc = lc_say(1, why, size,
				    "the server ended a connection that answered every ping after "
				    "%ld ms (close code %u): a read deadline must be renewed by "
				    "pongs, not reap live peers",
				    now_ms() - start, ll_ws_conn_close_code(c));
			goto out_destroy;
		}
		if (err) {
			rc = lc_say(1, why, size, "the connection failed after %ld ms: %s",
				    now_ms() - start, ll_strerror(err));
			goto out_destroy;
		}
		ll_ws_msg_free(&msg);
	}
	rc = ask(c, text, slow, &msg, why, size);
	if (rc == 0 && (msg.len != sizeof(text) - 1 || memcmp(msg.data, text, msg.len) != 0))
		rc = lc_say(1, why, size, "after %ld ms, sent \"%s\", got back \"%.60s\"",
			    b->number, text, (char *)msg.data);
	ll_ws_msg_free(&msg);
	if (rc == 0)
		ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL);
out_destroy:
	ll_ws_conn_destroy(c);
	return rc;
}

/*
 * Sends TEXT and waits for the server's close frame. The client answers
 * it inside recv (section 5.5.1) and recv then returns LL_ECLOSED with the
 * server's code; a stream that ends without a close frame shows as 1006.
 * Data the server sends first (an echo, a greeting) is read and dropped.
 */
static int check_closes(const struct lc_behaviour *b, const struct lc_client *cl, const char *host,
			unsigned port, int slow, char *why, size_t size)
{
	long deadline = now_ms() + (long)OP_MS * slow;
	struct ll_ws_conn *c;
	unsigned code;
	int rc, err;

	rc = connect_ws(cl, host, port, slow, &c, why, size);
	if (rc)
		return rc;
	err = ll_ws_conn_send(c, LL_WS_OP_TEXT, b->text, strlen(b->text));
	if (err) {
		rc = lc_say(1, why, size, "sending \"%s\" failed: %s", b->text, ll_strerror(err));
		goto out_destroy;
	}
	for (;;) {
		struct ll_ws_msg msg = {0};
		long left = deadline - now_ms();

		err = ll_ws_conn_recv(c, &msg, left > 0 ? (int)left : 0);
		if (err == 0) {
			ll_ws_msg_free(&msg);
			continue;
		}
		break;
	}
	code = ll_ws_conn_close_code(c);
	if (err == LL_ETIMEDOUT)
		rc = lc_say(1, why, size, "no close frame within %d ms of \"%s\"", OP_MS * slow,
			    b->text);
	else if (err != LL_ECLOSED)
		rc = lc_say(1, why, size, "the connection failed after \"%s\" (%s)", b->text,
			    ll_strerror(err));
	else if (code == LL_WS_CLOSE_ABNORMAL)
		rc = lc_say(1, why, size,
			    "after \"%s\" the server dropped the connection without a close "
			    "frame (1006): no close handshake",
			    b->text);
	else if (code != (unsigned)b->number)
		rc = lc_say(1, why, size, "after \"%s\" the server closed with %u, expected %ld",
			    b->text, code, b->number);
out_destroy:
	ll_ws_conn_destroy(c);
	return rc;
}

/* Asks QUERY; *count gets the last number of the answer. Returns 0 or 1. */
static int ask_count(struct ll_ws_conn *c, const char *query, int slow, long *count, char *why,
		     size_t size)
{
	struct ll_ws_msg msg = {0};
	const char *p;
	int rc = ask(c, query, slow, &msg, why, size);

	if (rc)
		return rc;
	p = (const char *)msg.data + msg.len;
	while (p > (const char *)msg.data && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (!*p)
		rc = lc_say(1, why, size, "\"%s\" was answered \"%.60s\", which ends in no count",
			    query, (char *)msg.data);
	else
		*count = strtol(p, NULL, 10);
	ll_ws_msg_free(&msg);
	return rc;
}

/*
 * The count before, K messages each echoed, then the count again until it
 * has grown by K: the work behind it may finish a moment after the echo,
 * so a smaller count is asked again with backoff until the deadline; a
 * larger one is never a race (nobody else is connected) and fails at once.
 */
static int check_audit(const struct lc_behaviour *b, const struct lc_client *cl, const char *host,
		       unsigned port, int slow, char *why, size_t size)
{
	long before = 0, after = 0, nap = 5, deadline, i;
	struct ll_ws_conn *c;
	int rc;

	rc = connect_ws(cl, host, port, slow, &c, why, size);
	if (rc)
		return rc;
	rc = ask_count(c, b->text, slow, &before, why, size);
	for (i = 0; i < b->number && rc == 0; i++) {
		struct ll_ws_msg msg = {0};
		char text[64];

		snprintf(text, sizeof(text), "leaklab behaviour check: audit %ld", i);
		rc = ask(c, text, slow, &msg, why, size);
		if (rc == 0 && (msg.len != strlen(text) || memcmp(msg.data, text, msg.len) != 0))
			rc = lc_say(1, why, size, "sent \"%s\", got back \"%.60s\"", text,
				    (char *)msg.data);
		ll_ws_msg_free(&msg);
	}
	deadline = now_ms() + (long)OP_MS * slow;
	while (rc == 0) {
		rc = ask_count(c, b->text, slow, &after, why, size);
		if (rc || after == before + b->number)
			break;
		if (after > before + b->number || now_ms() >= deadline) {
			rc = lc_say(1, why, size,
				    "\"%s\" said %ld before %ld messages and %ld after: every "
				    "message must be counted once",
				    b->text, before, b->number, after);
			break;
		}
		nap_ms(nap);
		nap = nap * 2 > 100 ? 100 : nap * 2;
	}
	if (rc == 0)
		ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL);
	ll_ws_conn_destroy(c);
	return rc;
}

/*
 * An upgrade to b->text must be answered b->number: a refusal (401 for a
 * bad token) or 101, after which the connection must echo.
 */
static int check_upgrade(const struct lc_behaviour *b, const struct lc_client *cl, const char *host,
			 unsigned port, int slow, char *why, size_t size)
{
	struct ll_ws_client_opts opts = {
	    .path = b->text,
	    .tls = cl->tls,
	    .timeout_ms = OP_MS * slow,
	    .conn = {.close_timeout_ms = OP_MS * slow, .write_timeout_ms = OP_MS * slow},
	};
	struct ll_ws_msg msg = {0};
	struct ll_ws_conn *c;
	int status = 0, err, rc;

	err = ll_ws_client_connect(&c, host, port, &opts, &status);
	if (err == LL_EPROTO && status)
		return status == b->number ? 0
					   : lc_say(1, why, size,
						    "an upgrade to \"%s\" was answered HTTP "
						    "%d, expected %ld",
						    b->text, status, b->number);
	if (err)
		return connect_failed(err, cl, host, port, why, size);
	if (b->number != 101) {
		ll_ws_conn_destroy(c);
		return lc_say(1, why, size,
			      "an upgrade to \"%s\" was accepted (101), expected HTTP %ld", b->text,
			      b->number);
	}
	rc = ask(c, "leaklab behaviour check: upgrade", slow, &msg, why, size);
	ll_ws_msg_free(&msg);
	if (rc == 0)
		ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL);
	ll_ws_conn_destroy(c);
	return rc;
}

/* The opening handshake by hand; any bytes read past it are left in buf. */
static int raw_handshake(struct ll_transport *t, const struct lc_client *cl, const char *host,
			 unsigned port, int slow, uint8_t *buf, size_t cap, size_t *len,
			 size_t *head, char *why, size_t size)
{
	char key[25], req[512];
	int n = ll_ws_client_request(host, port, cl->path ? cl->path : "/", key, req, sizeof(req));
	int err, status = 0;

	if (n < 0)
		return lc_say(1, why, size, "cannot build the handshake: %s", ll_strerror(n));
	err = ll_transport_write(t, req, (size_t)n, OP_MS * slow);
	if (err)
		return lc_say(1, why, size, "sending the handshake failed: %s", ll_strerror(err));
	*len = 0;
	for (;;) {
		ssize_t got = ll_transport_read(t, buf + *len, cap - 1 - *len, OP_MS * slow);

		if (got <= 0)
			return lc_say(1, why, size, "no handshake reply (%s)",
				      got == 0 ? "the server closed" : ll_strerror((int)got));
		*len += (size_t)got;
		buf[*len] = '\0';
		n = ll_ws_client_response_parse((char *)buf, *len, key, &status);
		if (n > 0) {
			*head = (size_t)n;
			return 0;
		}
		if (n != LL_EAGAIN || *len >= cap - 1)
			return lc_say(1, why, size, "the opening handshake failed (HTTP status %d)",
				      status);
	}
}

/*
 * Counts the pings on an idle connection over a window of PING_WINDOW
 * intervals (PING_MIN_MS at least) from the first one. Counting, not timing each ping: the
 * client itself may be slow to read on a busy machine (under Valgrind
 * above all) and then reads several queued pings at once, and a timer at
 * a fixed rate follows a late tick with an early one, but neither changes
 * how many pings a window holds. No ping at all means no heartbeat; fewer
 * than one more in the window, a heartbeat far slower than it says; more
 * than four per interval, a busy loop.
 */
static int check_pings(const struct lc_behaviour *b, const struct lc_client *cl, const char *host,
		       unsigned port, int slow, char *why, size_t size)
{
	long every = b->number, deadline;
	long window = (every * PING_WINDOW > PING_MIN_MS ? every * PING_WINDOW : PING_MIN_MS) *
		      (slow > 1 ? 2 : 1);
	long budget = every * 4 * slow + OP_MS * slow, first = 0;
	struct ll_ws_parser *p = NULL;
	struct ll_transport *t = NULL;
	uint8_t buf[4096];
	size_t len = 0, off = 0;
	int fd, err, rc = 0, seen = 0;

	fd = ll_tcp_connect(host, port, OP_MS * slow);
	if (fd < 0) {
		lc_say(1, why, size, "could not connect to %s:%u: %s", host, port, ll_strerror(fd));
		return LL_EIO;
	}
	err = ll_transport_plain(&t, fd);
	if (err) {
		lc_say(1, why, size, "transport: %s", ll_strerror(err));
		return LL_EIO;
	}
	err = ll_ws_parser_create(&p, LL_WS_CLIENT, 0);
	if (err) {
		rc = LL_EIO;
		lc_say(1, why, size, "out of memory");
		goto out_destroy_transport;
	}
	rc = raw_handshake(t, cl, host, port, slow, buf, sizeof(buf), &len, &off, why, size);
	if (rc)
		goto out_destroy_parser;
	deadline = now_ms() + budget;
	for (;;) {
		long left;
		ssize_t got;

		while (off < len) {
			struct ll_ws_event ev;
			size_t used;

			err = ll_ws_parser_feed(p, buf + off, len - off, &used, &ev);
			off += used;
			if (err < 0) {
				lc_say(1, why, size, "the server sent a broken frame (%s)",
				       ll_strerror(err));
				rc = LC_BH_BROKEN_FRAMES;
				goto out_destroy_parser;
			}
			if (err == 1 && ev.type == LL_WS_EV_PING && seen++ == 0) {
				first = now_ms();
				deadline = first + window;
			}
			if (err == 1 && ev.type == LL_WS_EV_CLOSE) {
				rc = lc_say(1, why, size,
					    "the server closed an idle connection (%u)",
					    ev.close_code);
				goto out_destroy_parser;
			}
		}
		left = deadline - now_ms();
		if (left <= 0)
			break;
		off = len = 0;
		got = ll_transport_read(t, buf, sizeof(buf), (int)left);
		if (got == LL_ETIMEDOUT)
			break;
		if (got <= 0) {
			rc = lc_say(1, why, size, "the connection ended after %d ping(s)", seen);
			goto out_destroy_parser;
		}
		len = (size_t)got;
	}
	if (seen == 0)
		rc = lc_say(1, why, size,
			    "no ping in %ld ms on an idle connection, expected one every %ld ms: "
			    "is the heartbeat still started?",
			    budget, every);
	else if (seen - 1 < 1)
		rc = lc_say(1, why, size,
			    "one ping, then none in %ld ms: expected one every %ld ms, a heartbeat "
			    "keeps pinging",
			    window, every);
	else if (seen - 1 > 4 * (window / every))
		rc =
		    lc_say(1, why, size,
			   "%d pings in %ld ms, expected one every %ld ms: a heartbeat, not a busy "
			   "loop",
			   seen - 1, window, every);
out_destroy_parser:
	ll_ws_parser_destroy(p);
out_destroy_transport:
	ll_transport_destroy(t);
	return rc;
}

/*
 * A client that speaks the protocol itself, so that it answers a close
 * frame when it chooses: the lib's client answers inside recv, at once.
 * Plain ws only.
 */
struct raw_client {
	struct ll_transport *t;
	struct ll_ws_parser *p;
	uint8_t buf[4096];
	size_t len, off;
};

static void raw_close(struct raw_client *r)
{
	ll_ws_parser_destroy(r->p);
	ll_transport_destroy(r->t);
	r->p = NULL;
	r->t = NULL;
}

/* Connects and upgrades. Returns 0, 1 (why says what) or LL_EIO (could not connect). */
static int raw_open(struct raw_client *r, const struct lc_client *cl, const char *host,
		    unsigned port, int slow, char *why, size_t size)
{
	int fd, err, rc;

	r->t = NULL;
	r->p = NULL;
	r->len = r->off = 0;
	if (cl->tls) {
		lc_say(1, why, size, "this check speaks ws, and the program serves wss");
		return LL_EIO;
	}
	fd = ll_tcp_connect(host, port, OP_MS * slow);
	if (fd < 0) {
		lc_say(1, why, size, "could not connect to %s:%u: %s", host, port, ll_strerror(fd));
		return LL_EIO;
	}
	err = ll_transport_plain(&r->t, fd);
	if (!err)
		err = ll_ws_parser_create(&r->p, LL_WS_CLIENT, 0);
	if (err) {
		lc_say(1, why, size, "cannot make a client: %s", ll_strerror(err));
		raw_close(r);
		return LL_EIO;
	}
	rc = raw_handshake(r->t, cl, host, port, slow, r->buf, sizeof(r->buf), &r->len, &r->off,
			   why, size);
	if (rc)
		raw_close(r);
	return rc;
}

/* Sends one masked frame (section 5.3: every frame a client sends is masked). */
static int raw_send(struct raw_client *r, uint8_t opcode, const void *data, size_t len,
		    int timeout_ms)
{
	static const uint8_t mask[4] = {0x6c, 0x6c, 0x61, 0x62};
	uint8_t frame[LL_WS_MAX_HEADER + 125];
	size_t head;

	if (len > 125)
		return LL_ETOOBIG;
	head = ll_ws_frame_header_encode(frame, true, opcode, len, mask);
	ll_ws_mask_copy(frame + head, data, len, mask, 0);
	return ll_transport_write(r->t, frame, head + len, timeout_ms);
}

/*
 * Reads frames until the server's close frame, for at most timeout_ms;
 * what comes before it is dropped. Returns 0 (*code: its code),
 * LL_ETIMEDOUT, LL_ECLOSED (the stream ended first), the read's error (a
 * reset: LL_EIO) or the parser's.
 */
static int raw_until_close(struct raw_client *r, int timeout_ms, unsigned *code)
{
	long deadline = now_ms() + timeout_ms;

	for (;;) {
		long left;
		ssize_t got;

		while (r->off < r->len) {
			struct ll_ws_event ev;
			size_t used;
			int err =
			    ll_ws_parser_feed(r->p, r->buf + r->off, r->len - r->off, &used, &ev);

			r->off += used;
			if (err < 0)
				return err;
			if (err == 1 && ev.type == LL_WS_EV_CLOSE) {
				*code = ev.close_code;
				return 0;
			}
		}
		left = deadline - now_ms();
		if (left <= 0)
			return LL_ETIMEDOUT;
		r->off = r->len = 0;
		got = ll_transport_read(r->t, r->buf, sizeof(r->buf), (int)left);
		if (got == 0)
			return LL_ECLOSED;
		if (got < 0)
			return (int)got;
		r->len = (size_t)got;
	}
}

/*
 * Waits up to timeout_ms for the end of the stream, dropping what comes.
 * Returns 0 at the end (the server's FIN), LL_ETIMEDOUT, or the read's
 * error (a reset: LL_EIO).
 */
static int raw_wait_end(struct raw_client *r, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	for (;;) {
		long left = deadline - now_ms();
		ssize_t got;

		if (left <= 0)
			return LL_ETIMEDOUT;
		got = ll_transport_read(r->t, r->buf, sizeof(r->buf), (int)left);
		if (got == 0)
			return 0;
		if (got < 0)
			return (int)got;
	}
}

/* Sends text and reads up to the close frame, which must carry code. Returns 0 or 1. */
static int raw_ask_close(struct raw_client *r, const char *text, long code, int slow, char *why,
			 size_t size)
{
	unsigned got = 0;
	int err = raw_send(r, LL_WS_OP_TEXT, text, strlen(text), OP_MS * slow);

	if (err)
		return lc_say(1, why, size, "sending \"%s\" failed: %s", text, ll_strerror(err));
	err = raw_until_close(r, OP_MS * slow, &got);
	if (err == LL_ETIMEDOUT)
		return lc_say(1, why, size, "no close frame within %d ms of \"%s\"", OP_MS * slow,
			      text);
	if (err == LL_ECLOSED || err == LL_EIO)
		return lc_say(
		    1, why, size,
		    "after \"%s\" the server dropped the connection without a close frame "
		    "(1006): no close handshake",
		    text);
	if (err)
		return lc_say(1, why, size, "the server sent a broken frame after \"%s\" (%s)",
			      text, ll_strerror(err));
	if (got != (unsigned)code)
		return lc_say(1, why, size, "after \"%s\" the server closed with %u, expected %ld",
			      text, got, code);
	return 0;
}

/*
 * closes ... late MS: the client reads the server's close frame and
 * answers it MS later. A server that waits for the answer (section
 * 7.1.2) keeps TCP open meanwhile, and ends it after the answer; one that
 * closes TCP right after its close frame shows the end of the stream
 * before the answer is sent, and the answer then meets a reset.
 */
static int check_closes_late(const struct lc_behaviour *b, const struct lc_client *cl,
			     const char *host, unsigned port, int slow, char *why, size_t size)
{
	static const uint8_t normal[] = {0x03, 0xe8}; /* 1000, section 7.4.1 */
	struct raw_client r;
	long framed;
	int rc, err;

	rc = raw_open(&r, cl, host, port, slow, why, size);
	if (rc)
		return rc;
	rc = raw_ask_close(&r, b->text, b->number, slow, why, size);
	if (rc)
		goto out_close;
	framed = now_ms();
	err = raw_wait_end(&r, (int)b->late_ms);
	if (err != LL_ETIMEDOUT) {
		rc = lc_say(1, why, size,
			    "the server %s %ld ms after its close frame, before the client's "
			    "answer (sent %ld ms late): it must wait for the answer, up to its "
			    "close deadline",
			    err == 0 ? "closed TCP" : "reset the connection", now_ms() - framed,
			    b->late_ms);
		goto out_close;
	}
	err = raw_send(&r, LL_WS_OP_CLOSE, normal, sizeof(normal), OP_MS * slow);
	if (err) {
		rc = lc_say(1, why, size,
			    "the client's close answer, %ld ms late, could not be sent: %s",
			    b->late_ms, ll_strerror(err));
		goto out_close;
	}
	err = raw_wait_end(&r, OP_MS * slow);
	if (err == LL_ETIMEDOUT)
		rc = lc_say(1, why, size,
			    "after the client's close answer the server kept TCP open for %d ms",
			    OP_MS * slow);
	else if (err)
		rc = lc_say(1, why, size,
			    "the server reset the connection after the client's close answer "
			    "(%ld ms late): the answer must end the handshake cleanly",
			    b->late_ms);
out_close:
	raw_close(&r);
	return rc;
}

/*
 * The program's threads and the connections its server holds, from its
 * GET /metrics. Returns 0, 1 when it serves no such counts (a twin: it
 * has nothing to compare), or LL_EIO (why says so).
 */
static int threads_and_conns(const struct lc_client *cl, const char *host, unsigned port, int slow,
			     long *threads, long *conns, char *why, size_t size)
{
	const char *body;
	char *reply = NULL;
	int err = lc_http_get(host, port, cl->tls, "/metrics", OP_MS * slow, 8192, &reply, &body);

	if (err == LL_EPROTO)
		return 1;
	if (err) {
		lc_say(1, why, size, "GET /metrics failed: %s", ll_strerror(err));
		return LL_EIO;
	}
	*threads = (long)lc_http_metric(body, LL_PROBE_METRIC_THREADS);
	*conns = (long)lc_http_metric(body, LL_PROBE_METRIC_CONNECTIONS);
	ll_free(reply);
	return *threads < 0 || *conns < 0 ? 1 : 0;
}

/*
 * K clients send TEXT, read the close frame and never answer it, so the
 * server is waiting for all K. Then the program's threads above the
 * start must not exceed the connections its server holds above the start:
 * a thread that waits for a connection the server has let go of (a
 * detached waiter) is one nothing joins, even if a deadline ends it
 * later. One thread of slack: a connection thread counts out of the
 * connections a moment before it ends.
 */
static int check_joined(const struct lc_behaviour *b, const struct lc_client *cl, const char *host,
			unsigned port, int slow, char *why, size_t size)
{
	struct raw_client r[MAX_SESSIONS];
	long t0 = 0, c0 = 0, t1 = 0, c1 = 0, k = b->number, i, opened = 0;
	int rc;

	rc = threads_and_conns(cl, host, port, slow, &t0, &c0, why, size);
	if (rc == 1)
		return 0; /* no counts to compare: nothing this check can say */
	if (rc)
		return rc;
	for (i = 0; i < k && rc == 0; i++) {
		rc = raw_open(&r[i], cl, host, port, slow, why, size);
		if (rc)
			break;
		opened++;
		rc = raw_ask_close(&r[i], b->text, LL_WS_CLOSE_NORMAL, slow, why, size);
	}
	if (rc == 0) {
		rc = threads_and_conns(cl, host, port, slow, &t1, &c1, why, size);
		if (rc == 1)
			rc = lc_say(1, why, size,
				    "GET /metrics no longer reports threads and connections");
	}
	if (rc == 0 && t1 - t0 > c1 - c0 + 1) {
		rc = LC_BH_OUTLIVES;
		lc_say(
		    1, why, size,
		    "while %ld clients left \"%s\"'s close frame unanswered, the program ran %ld "
		    "thread(s) more than before, its server held %ld connection(s) more: %ld "
		    "thread(s) outlived their connection, and nothing joins them",
		    k, b->text, t1 - t0, c1 - c0, t1 - t0 - (c1 - c0));
	}
	for (i = 0; i < opened; i++)
		raw_close(&r[i]);
	return rc;
}

/*
 * An echo over wss, the close handshake, then the end of the stream: it
 * must come from the server (RFC 6455 section 7.1.1: the server closes the
 * TCP connection first) within the operation time, after its close_notify.
 */
static int check_close_notify(const struct lc_client *cl, const char *host, unsigned port, int slow,
			      char *why, size_t size)
{
	static const char text[] = "leaklab behaviour check: close-notify";
	struct ll_ws_msg msg = {0};
	struct ll_ws_conn *c;
	bool notified = false;
	int rc, err;

	if (!cl->tls)
		return lc_say(1, why, size, "close-notify needs wss: start the program with --tls");
	rc = connect_ws(cl, host, port, slow, &c, why, size);
	if (rc)
		return rc;
	rc = ask(c, text, slow, &msg, why, size);
	ll_ws_msg_free(&msg);
	if (rc)
		goto out;
	err = ll_ws_conn_close(c, LL_WS_CLOSE_NORMAL, NULL);
	if (err) {
		rc = lc_say(1, why, size, "the close handshake failed: %s", ll_strerror(err));
		goto out;
	}
	err = ll_ws_conn_wait_end(c, OP_MS * slow, &notified);
	if (err == LL_ETIMEDOUT)
		rc = lc_say(
		    1, why, size,
		    "after the close handshake the server kept the connection open for %d ms",
		    OP_MS * slow);
	else if (err)
		rc = lc_say(1, why, size, "the connection failed after the close handshake: %s",
			    ll_strerror(err));
	else if (!notified)
		rc = lc_say(1, why, size,
			    "the server closed TCP without a TLS close_notify: a truncated session "
			    "to the client (RFC 8446 section 6.1)");
out:
	ll_ws_conn_destroy(c);
	return rc;
}

int lc_behaviour_run(const struct lc_behaviour *b, const struct lc_client *cl, const char *host,
		     unsigned port, int slow, char *why, size_t why_size)
{
	static const struct lc_client plain = {0};
	const struct lc_case_check *cc = lc_case_check_of(b->kind);

	if (!cl)
		cl = &plain;
	if (slow < 1)
		slow = 1;
	why[0] = '\0';
	if (cc)
		return cc->run(b, cl, host, port, OP_MS * slow, why, why_size);
	switch (b->kind) {
	case LC_BH_ECHO:
		return check_reply("leaklab behaviour check: echo", NULL, true, cl, host, port,
				   slow, why, why_size);
	case LC_BH_REPLY:
		return check_reply(b->text, b->expected, false, cl, host, port, slow, why,
				   why_size);
	case LC_BH_PINGS: return check_pings(b, cl, host, port, slow, why, why_size);
	case LC_BH_SESSIONS: return check_sessions(b, cl, host, port, slow, why, why_size);
	case LC_BH_STAYS: return check_stays(b, cl, host, port, slow, why, why_size);
	case LC_BH_ISOLATED: return check_isolated(b, cl, host, port, slow, why, why_size);
	case LC_BH_CLOSES:
		if (b->late_ms)
			return check_closes_late(b, cl, host, port, slow, why, why_size);
		return check_closes(b, cl, host, port, slow, why, why_size);
	case LC_BH_JOINED: return check_joined(b, cl, host, port, slow, why, why_size);
	case LC_BH_AUDIT: return check_audit(b, cl, host, port, slow, why, why_size);
	case LC_BH_UPGRADE: return check_upgrade(b, cl, host, port, slow, why, why_size);
	case LC_BH_BROADCAST: break; /* a case check: below */
	case LC_BH_CLOSE_NOTIFY: return check_close_notify(cl, host, port, slow, why, why_size);
	}
	return lc_say(1, why, why_size, "unknown behaviour");
}
