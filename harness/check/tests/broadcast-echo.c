/*
 * broadcast-echo - a chat room: every message goes to every connected
 * client, the sender included, for the harness's own tests. With one
 * client it is an echo server; with several, each gets the others'
 * messages too, which the "isolated K" behaviour check must refuse (the
 * wrong fix of case 09 that delivers every reply to every listener).
 */
#include <leaklab/app.h>

#include <pthread.h>

#define ROOM 64

static pthread_mutex_t room_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ll_ws_conn *room[ROOM];

static void broadcast(const struct ll_ws_msg *msg)
{
	int i;

	/* Sends under the lock: a test server, where simple beats fast. */
	pthread_mutex_lock(&room_lock);
	for (i = 0; i < ROOM; i++)
		if (room[i])
			ll_ws_conn_send(room[i], msg->opcode, msg->data, msg->len);
	pthread_mutex_unlock(&room_lock);
}

static void chat(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;
	int slot = -1, i;

	(void)arg;
	pthread_mutex_lock(&room_lock);
	for (i = 0; i < ROOM && slot < 0; i++)
		if (!room[i])
			slot = i;
	if (slot >= 0)
		room[slot] = conn;
	pthread_mutex_unlock(&room_lock);
	if (slot < 0) {
		ll_ws_conn_close(conn, LL_WS_CLOSE_POLICY, "room full");
		ll_ws_conn_destroy(conn);
		return;
	}
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		broadcast(&msg);
		ll_ws_msg_free(&msg);
	}
	pthread_mutex_lock(&room_lock);
	room[slot] = NULL;
	pthread_mutex_unlock(&room_lock);
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "broadcast-echo",
	    .summary = "a chat room: every message to every client (harness test)",
	    .handler = chat,
	};

	return ll_app_main(&app, argc, argv);
}
