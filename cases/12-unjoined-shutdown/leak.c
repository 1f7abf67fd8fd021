/*
 * 12-unjoined-shutdown, leaking variant.
 *
 * An echo server whose connections outlive their handler: the handler
 * hands each connection to a session thread of the program's own and
 * returns, as a Go handler does when it hijacks the connection (every
 * gorilla/websocket Upgrade does). From then on the server knows nothing
 * of the connection: its graceful stop closes only what its handlers
 * still hold. The sessions are the program's to stop.
 *
 * What leaks: on SIGTERM the server stops, main returns, and the process
 * exits with every session thread still running. Their clients never get
 * a close frame: the TCP connection just ends (1006 to them), in the
 * middle of whatever the thread was sending. Under memcheck the running
 * threads' stacks and TLS blocks, and what they hold, are found at exit.
 *
 * Why: the program starts the sessions in a group (a sync.WaitGroup) and
 * then never waits for it: Go's "main returns before wg.Wait()".
 *
 * The fix (fixed.c): a teardown that sends every live session a close
 * frame with 1001 (going away, RFC 6455 section 7.4.1) and then waits
 * for the group, so each session ends its close handshake and frees its
 * connection before main returns.
 *
 * Signals: clients without a 1001 at exit, and memcheck's lost bytes at
 * exit, both in proportion to the clients connected when SIGTERM came.
 */
#include <leaklab/alloc.h>
#include <leaklab/app.h>
#include <leaklab/group.h>

#include <pthread.h>

struct session {
	struct ll_ws_conn *conn;
	struct session *next; /* in the live list, under live_lock */
};

static struct ll_group *sessions;
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct session *live;

/* Takes a session off the live list. */
static void unlink_session(struct session *s)
{
	struct session **p;

	pthread_mutex_lock(&live_lock);
	for (p = &live; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&live_lock);
}

/* One session: echo until the peer or the server closes, then clean up. */
static void session_main(void *arg)
{
	struct session *s = arg;
	struct ll_ws_msg msg;

	while (ll_ws_conn_recv(s->conn, &msg, -1) == 0) {
		int err = ll_ws_conn_send(s->conn, msg.opcode, msg.data, msg.len);

		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	unlink_session(s);
	ll_ws_conn_destroy(s->conn);
	ll_free(s);
}

/* Hands the connection to a session thread; the server forgets it. */
static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct session *s = ll_calloc(1, sizeof(*s));

	(void)arg;
	if (!s) {
		ll_ws_conn_destroy(conn);
		return;
	}
	s->conn = conn;
	pthread_mutex_lock(&live_lock);
	s->next = live;
	live = s;
	pthread_mutex_unlock(&live_lock);
	/* Listed first, so a session that ends at once finds itself to unlink. */
	if (ll_group_go(sessions, session_main, s) != 0) {
		unlink_session(s);
		ll_ws_conn_destroy(conn);
		ll_free(s);
	}
}

static int setup(void *arg)
{
	(void)arg;
	return ll_group_create(&sessions);
}

/* Runs after the server has stopped: its handlers have all returned. */
static void teardown(void *arg)
{
	(void)arg;
	/* LEAK: main returns now, with every session thread still running. */
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "12-unjoined-shutdown-leak",
	    .summary = "Echo server whose sessions run on threads of their own.",
	    .handler = handle,
	    .setup = setup,
	    .teardown = teardown,
	};

	return ll_app_main(&app, argc, argv);
}
