/*
 * 04-unbounded-map, leaking variant.
 *
 * The server keeps a session for each connection in a registry (Go: a
 * map[string]*Session behind a mutex; Node: a Map or Set of clients):
 * who the client is, when it came, and the last messages it sent, so that
 * other parts of a server (an admin page, a broadcast) can find them.
 * Any client can ask for them: the message "sessions" is answered
 * "sessions: N: ID ..." from the registry.
 *
 * What leaks: every connection adds a session of about 1.1 KiB to the
 * registry, and none is ever removed. The registry grows with every client
 * that ever connected, not with the clients connected now.
 *
 * Why: the close path forgets to remove the session. Nothing is "lost":
 * the registry, a global, still points to every session, so a plain leak
 * check at exit calls the memory "still reachable", not an error. That is
 * why this leak survives code review and Valgrind's default summary alike;
 * only growth under load shows it.
 *
 * The fix (fixed.c): the session is removed on the one exit path of the
 * handler, so the registry holds exactly the connections that are open.
 *
 * Signals: heap grows by about 1.1 KiB per client and does not come back;
 * at exit memcheck counts the sessions as still reachable.
 *
 * Output: ./build/bin/leaklab-check --case 04-unbounded-map --variant leak --native
 *   verdict: leak reproduced: heap +1147 bytes/client, scales 2.0x
 */
#include <leaklab/app.h>
#include <leaklab/map.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HISTORY	  1024
#define REPLY_MAX 1024

struct session {
	uint64_t id;
	time_t connected_at;
	uint64_t messages;
	size_t history_len;
	char history[HISTORY]; /* the most recent text the client sent, newest last */
};

/* Every session, keyed by connection id. Lives as long as the process. */
static struct ll_map *sessions;

static void remember(struct session *s, const struct ll_ws_msg *msg)
{
	size_t n = msg->len < HISTORY ? msg->len : HISTORY;

	if (s->history_len + n > HISTORY) {
		size_t drop = s->history_len + n - HISTORY;

		memmove(s->history, s->history + drop, s->history_len - drop);
		s->history_len -= drop;
	}
	memcpy(s->history + s->history_len, msg->data + msg->len - n, n);
	s->history_len += n;
	s->messages++;
}

/* Appends one session id to the reply; stops when the reply is full. */
static int add_id(const char *key, void *value, void *arg)
{
	char *reply = arg;
	size_t len = strlen(reply);

	(void)value;
	if (len + strlen(key) + 2 >= REPLY_MAX)
		return 1;
	snprintf(reply + len, REPLY_MAX - len, " %s", key);
	return 0;
}

/*
 * The query of the registry, what an admin page or a broadcast would use:
 * "sessions" is answered "sessions: N: ID ID ...", from the registry
 * itself, so a program without one cannot pass the behaviour check.
 */
static int list_sessions(struct ll_ws_conn *conn)
{
	char reply[REPLY_MAX];

	snprintf(reply, sizeof(reply), "sessions: %zu:", ll_map_len(sessions));
	ll_map_foreach(sessions, add_id, reply);
	return ll_ws_conn_send(conn, LL_WS_OP_TEXT, reply, strlen(reply));
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct session *s = calloc(1, sizeof(*s));
	struct ll_ws_msg msg;
	char key[32];

	(void)arg;
	snprintf(key, sizeof(key), "%" PRIu64, ll_ws_conn_id(conn));
	if (!s || ll_map_set(sessions, key, s) != 0) {
		free(s);
		ll_ws_conn_destroy(conn);
		return;
	}
	s->id = ll_ws_conn_id(conn);
	s->connected_at = time(NULL);
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		int err;

		remember(s, &msg);
		if (msg.len == 8 && memcmp(msg.data, "sessions", 8) == 0)
			err = list_sessions(conn);
		else
			err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	/* LEAK: the session stays in the registry after its connection is gone. */
	ll_ws_conn_destroy(conn);
}

static int setup(void *arg)
{
	(void)arg;
	return ll_map_create(&sessions, free);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "04-unbounded-map-leak",
	    .summary = "Echo server with a session registry that never forgets a client.",
	    .handler = handle,
	    .setup = setup,
	};

	return ll_app_main(&app, argc, argv);
}
