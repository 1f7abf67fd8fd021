/*
 * test_behaviour.c - the behaviour checks: parsing every kind (and
 * refusing what is malformed), and the closes (prompt and late), joined,
 * audit and close-notify checks run against real servers on 127.0.0.1,
 * one that keeps the feature and one that breaks it in the way a wrong
 * fix would.
 */
#include <leaklab/error.h>
#include <leaklab/ws_server.h>

#include <openssl/ssl.h>

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drive/behaviour.h"
#include "check.h"
#include "testserver.h"

static void test_parse(void)
{
	struct lc_behaviour b;
	char why[256];

	CHECK_EQ(lc_behaviour_parse("echo", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.kind, LC_BH_ECHO);
	CHECK_EQ(lc_behaviour_parse("reply a b => c", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.kind, LC_BH_REPLY);
	CHECK_STR(b.text, "a b");
	CHECK_STR(b.expected, "c");
	CHECK_EQ(lc_behaviour_parse("pings 100", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.number, 100);
	CHECK_EQ(lc_behaviour_parse("sessions who 3", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.kind, LC_BH_SESSIONS);

	CHECK_EQ(lc_behaviour_parse("closes close 1000", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.kind, LC_BH_CLOSES);
	CHECK_STR(b.text, "close");
	CHECK_EQ(b.number, 1000);
	CHECK_EQ(b.late_ms, 0);
	CHECK_EQ(lc_behaviour_parse("closes close 1000 late 20", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.kind, LC_BH_CLOSES);
	CHECK_EQ(b.number, 1000);
	CHECK_EQ(b.late_ms, 20);
	CHECK_EQ(lc_behaviour_parse("joined close 4", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.kind, LC_BH_JOINED);
	CHECK_STR(b.text, "close");
	CHECK_EQ(b.number, 4);
	CHECK_EQ(lc_behaviour_parse("audit audited 5", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.kind, LC_BH_AUDIT);
	CHECK_STR(b.text, "audited");
	CHECK_EQ(b.number, 5);

	/* A code outside 1000-4999, a missing number, a count beyond the cap. */
	CHECK_EQ(lc_behaviour_parse("closes close 999", &b, why, sizeof(why)), LL_EINVAL);
	CHECK(strstr(why, "closes TEXT CODE") != NULL);
	CHECK_EQ(lc_behaviour_parse("closes close", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("closes 1000", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("closes close 1000 late", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("closes close 1000 late 0", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("closes close 1000 late 5s", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("closes close 1000 soon 5", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("joined close", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("joined close 17", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("audit audited", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("audit audited 0", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("audit audited 65", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("audit audited 5x", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("auditing x 5", &b, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_behaviour_parse("close-notify", &b, why, sizeof(why)), 0);
	CHECK_EQ(b.kind, LC_BH_CLOSE_NOTIFY);
	CHECK_EQ(lc_behaviour_parse("close-notify 5", &b, why, sizeof(why)), LL_EINVAL);
}

/* ----- closes ----- */

/* "close" starts the close handshake with 1000 (good) or drops the socket (bad). */
static void closing_server(struct ll_ws_conn *conn, void *arg)
{
	bool handshake = *(const bool *)arg;
	struct ll_ws_msg msg;

	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		bool bye = msg.len == 5 && memcmp(msg.data, "close", 5) == 0;

		if (!bye)
			ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
		if (bye) {
			if (handshake)
				ll_ws_conn_close(conn, LL_WS_CLOSE_NORMAL, "bye");
			break;
		}
	}
	ll_ws_conn_destroy(conn);
}

static int run_closes(bool handshake, const char *line, char *why, size_t size)
{
	struct ll_ws_server_opts opts = {.handler = closing_server, .arg = &handshake};
	struct lc_behaviour b;
	struct running r;
	int rc;

	CHECK_EQ(lc_behaviour_parse(line, &b, why, size), 0);
	start(&r, &opts);
	rc = lc_behaviour_run(&b, NULL, "127.0.0.1", r.port, 1, why, size);
	stop(&r);
	return rc;
}

static void test_closes(void)
{
	char why[256];

	CHECK_EQ(run_closes(true, "closes close 1000", why, sizeof(why)), 0);
	/* The right handshake with another code than the manifest's. */
	CHECK_EQ(run_closes(true, "closes close 1001", why, sizeof(why)), 1);
	CHECK(strstr(why, "closed with 1000, expected 1001") != NULL);
	/* A "fix" that drops the socket instead of closing. */
	CHECK_EQ(run_closes(false, "closes close 1000", why, sizeof(why)), 1);
	CHECK(strstr(why, "without a close frame (1006)") != NULL);
	/* Nothing that closes: the check gives up at its deadline. */
	CHECK_EQ(run_closes(true, "closes quit 1000", why, sizeof(why)), 1);
	CHECK(strstr(why, "no close frame within") != NULL);
}

/* ----- closes late, joined ----- */

/* How the server below ends a conversation after "close". */
enum closer {
	WAITS,	  /* its close frame, then the answer awaited (200 ms at most) on this thread */
	NO_WAIT,  /* its close frame, then TCP closed at once */
	DETACHED, /* WAITS, on a detached thread of its own */
};

static atomic_int waiters; /* DETACHED threads still running */

static void *close_and_wait(void *arg)
{
	struct ll_ws_conn *conn = arg;
	struct ll_ws_msg msg;

	ll_ws_conn_close_start(conn, LL_WS_CLOSE_NORMAL, "bye");
	if (ll_ws_conn_recv(conn, &msg, 200) == 0)
		ll_ws_msg_free(&msg);
	ll_ws_conn_destroy(conn);
	return NULL;
}

static void *detached_waiter(void *arg)
{
	close_and_wait(arg);
	atomic_fetch_sub(&waiters, 1);
	return NULL;
}

static void late_server(struct ll_ws_conn *conn, void *arg)
{
	enum closer how = *(const enum closer *)arg;
	struct ll_ws_msg msg;
	pthread_t t;

	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		bool bye = msg.len == 5 && memcmp(msg.data, "close", 5) == 0;

		if (!bye)
			ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
		if (!bye)
			continue;
		if (how == NO_WAIT) {
			ll_ws_conn_close_start(conn, LL_WS_CLOSE_NORMAL, "bye");
			break;
		}
		if (how == DETACHED) {
			atomic_fetch_add(&waiters, 1);
			if (pthread_create(&t, NULL, detached_waiter, conn) == 0) {
				pthread_detach(t);
				return;
			}
			atomic_fetch_sub(&waiters, 1);
		}
		close_and_wait(conn);
		return;
	}
	ll_ws_conn_destroy(conn);
}

static int run_late(enum closer how, bool metrics, const char *line, char *why, size_t size)
{
	struct ll_ws_server_opts opts = {.handler = late_server, .arg = &how, .metrics = metrics};
	struct timespec nap = {0, 5000000};
	struct lc_behaviour b;
	struct running r;
	int rc, tries;

	CHECK_EQ(lc_behaviour_parse(line, &b, why, size), 0);
	start(&r, &opts);
	rc = lc_behaviour_run(&b, NULL, "127.0.0.1", r.port, 1, why, size);
	/* The detached waiters see their clients gone and end; nothing may outlive the test. */
	for (tries = 0; tries < 200 && atomic_load(&waiters) > 0; tries++)
		nanosleep(&nap, NULL);
	CHECK_EQ(atomic_load(&waiters), 0);
	stop(&r);
	return rc;
}

static void test_closes_late(void)
{
	char why[256];

	CHECK_EQ(run_late(WAITS, true, "closes close 1000 late 20", why, sizeof(why)), 0);
	/* Closing TCP right after the close frame passes a prompt answer... */
	CHECK_EQ(run_late(NO_WAIT, true, "closes close 1000", why, sizeof(why)), 0);
	/* ...but not a late one. */
	CHECK_EQ(run_late(NO_WAIT, true, "closes close 1000 late 20", why, sizeof(why)), 1);
	CHECK(strstr(why, "before the client's answer (sent 20 ms late)") != NULL);
}

static void test_joined(void)
{
	char why[512];
	const char *p;
	long n;

	CHECK_EQ(run_late(WAITS, true, "joined close 4", why, sizeof(why)), 0);
	CHECK_EQ(run_late(DETACHED, true, "joined close 4", why, sizeof(why)), LC_BH_OUTLIVES);
	/*
	 * Four waiters outlive their connections; on a loaded machine the
	 * handler threads that made them may not have ended yet when the
	 * check counts (up to four more), less the check's one of slack.
	 */
	p = strstr(why, " thread(s) outlived their connection");
	CHECK(p != NULL);
	while (p > why && p[-1] >= '0' && p[-1] <= '9')
		p--;
	n = strtol(p, NULL, 10);
	CHECK(n >= 3 && n <= 8);
	/* A program that serves no counts (a twin): nothing to compare, nothing said. */
	CHECK_EQ(run_late(DETACHED, false, "joined close 4", why, sizeof(why)), 0);
}

/* ----- audit ----- */

struct auditor {
	atomic_long count;
	int per_message; /* how much each echoed message adds: 1 is right */
};

static void auditing_server(struct ll_ws_conn *conn, void *arg)
{
	struct auditor *a = arg;
	struct ll_ws_msg msg;

	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		if (msg.len == 7 && memcmp(msg.data, "audited", 7) == 0) {
			char reply[64];
			int n =
			    snprintf(reply, sizeof(reply), "audited: %ld", atomic_load(&a->count));

			ll_ws_conn_send(conn, LL_WS_OP_TEXT, reply, (size_t)n);
		} else {
			ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
			atomic_fetch_add(&a->count, a->per_message);
		}
		ll_ws_msg_free(&msg);
	}
	ll_ws_conn_destroy(conn);
}

static int run_audit(int per_message, long start_count, char *why, size_t size)
{
	struct auditor a = {.per_message = per_message};
	struct ll_ws_server_opts opts = {.handler = auditing_server, .arg = &a};
	struct lc_behaviour b;
	struct running r;
	int rc;

	atomic_store(&a.count, start_count);
	CHECK_EQ(lc_behaviour_parse("audit audited 4", &b, why, size), 0);
	start(&r, &opts);
	rc = lc_behaviour_run(&b, NULL, "127.0.0.1", r.port, 1, why, size);
	stop(&r);
	return rc;
}

static void test_audit(void)
{
	char why[256];

	CHECK_EQ(run_audit(1, 0, why, sizeof(why)), 0);
	/* Counts from where they stood: earlier traffic does not matter. */
	CHECK_EQ(run_audit(1, 40, why, sizeof(why)), 0);
	/* Counted twice: fails at once, without waiting for the deadline. */
	CHECK_EQ(run_audit(2, 0, why, sizeof(why)), 1);
	CHECK(strstr(why, "said 0 before 4 messages and 8 after") != NULL);
	/* Never counted (the audit deleted): fails at the deadline. */
	CHECK_EQ(run_audit(0, 0, why, sizeof(why)), 1);
	CHECK(strstr(why, "said 0 before 4 messages and 0 after") != NULL);
}

/* ----- close-notify ----- */

static void echo_server(struct ll_ws_conn *conn, void *arg)
{
	(void)arg;
	ll_ws_conn_echo(conn);
	ll_ws_conn_destroy(conn);
}

static SSL *plain_session(int fd, SSL_CTX *ctx, void *arg)
{
	SSL *ssl = SSL_new(ctx);

	(void)arg;
	if (ssl && SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

/* A wrong fix's end of a session: everything freed, but no close_notify. */
static void end_without_goodbye(SSL *ssl, enum ll_tls_end how, void *arg)
{
	int fd = SSL_get_fd(ssl);

	(void)how;
	(void)arg;
	SSL_free(ssl);
	close(fd);
}

/* The check over wss against a server with the library's sessions (goodbye) or a bare close. */
static int run_close_notify(bool goodbye, struct ll_tls_ctx *cctx, char *why, size_t size)
{
	struct ll_ws_server_opts opts = {.handler = echo_server};
	struct lc_client cl = {.tls = cctx};
	struct ll_tls_ctx *sctx;
	struct lc_behaviour b;
	struct running r;
	int rc;

	CHECK_EQ(ll_tls_server_ctx_create(&sctx), 0);
	opts.tls = sctx;
	if (!goodbye) {
		opts.tls_session = plain_session;
		opts.tls_release = end_without_goodbye;
	}
	CHECK_EQ(lc_behaviour_parse("close-notify", &b, why, size), 0);
	start(&r, &opts);
	rc = lc_behaviour_run(&b, &cl, "127.0.0.1", r.port, 1, why, size);
	stop(&r);
	ll_tls_ctx_destroy(sctx);
	return rc;
}

static void test_close_notify(void)
{
	struct ll_tls_ctx *cctx;
	struct lc_behaviour b;
	char why[256];

	signal(SIGPIPE, SIG_IGN); /* OpenSSL's socket BIO, in the bare-close server */
	CHECK_EQ(ll_tls_client_ctx_create(&cctx, NULL), 0);
	CHECK_EQ(run_close_notify(true, cctx, why, sizeof(why)), 0);
	CHECK_EQ(run_close_notify(false, cctx, why, sizeof(why)), 1);
	CHECK(strstr(why, "without a TLS close_notify") != NULL);
	/* Over plain ws there is nothing to check: the manifest is wrong. */
	CHECK_EQ(lc_behaviour_parse("close-notify", &b, why, sizeof(why)), 0);
	CHECK_EQ(lc_behaviour_run(&b, NULL, "127.0.0.1", 1, 1, why, sizeof(why)), 1);
	CHECK(strstr(why, "needs wss") != NULL);
	ll_tls_ctx_destroy(cctx);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_parse);
	RUN(test_closes);
	RUN(test_closes_late);
	RUN(test_joined);
	RUN(test_audit);
	RUN(test_close_notify);
	return check_finish();
}
