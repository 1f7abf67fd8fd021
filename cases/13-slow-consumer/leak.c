/*
 * 13-slow-consumer, leaking variant.
 *
 * A chat hub (the gorilla/websocket chat example; a Node.js server that
 * loops over wss.clients): every text message a client sends is broadcast
 * to every connected client, its sender included. Each subscriber has a
 * send queue and a writer thread of its own, so one slow client does not
 * hold up the broadcast to the others.
 *
 * What leaks: the queue of a subscriber that stops reading. Once its
 * socket buffers are full, its writer waits in send, and every message
 * published meanwhile is copied into its queue, which has no bound. The
 * queue grows with the messages published, a copy of each (16 KiB here),
 * for as long as the client stays connected and silent: a phone in a
 * tunnel, a tab in the background, a client that is stuck.
 *
 * Why: the broadcast asks nothing of a queue before it appends. A write
 * deadline does not help: it bounds the time one send may take, not the
 * messages that pile up behind it.
 *
 * The fix (fixed.c): a high-water mark in bytes. A subscriber whose queue
 * holds HIGH_WATER bytes is dropped: its backlog is freed, it gets nothing
 * more, and its writer ends the connection with a close frame, 1008
 * (policy violation, RFC 6455 section 7.4.1), so the client learns why.
 * The subscribers that keep up get every message, as before. (A bound in
 * messages drops healthy clients: a burst of small ones can fill it before
 * a new client's writer first runs on a busy machine.)
 *
 * Signals: heap grows by about 16 KiB per message for each silent
 * subscriber (32 KiB with the scenario's two) and does not come back while
 * it stays; threads and fds are flat, and at exit nothing is lost (the
 * queue is freed when the client finally goes), so only growth under load
 * shows it.
 *
 * Output: ./build/bin/leaklab-check --case 13-slow-consumer --variant leak --native
 *   verdict: leak reproduced: heap +32841 bytes/client, scales 2.0x
 */
#include <leaklab/alloc.h>
#include <leaklab/app.h>

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

struct outmsg {
	struct outmsg *next;
	size_t len;
	char data[];
};

struct sub {
	struct ll_ws_conn *conn;
	struct sub *next; /* in the hub's list, under hub_lock */
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct outmsg *head, *tail; /* the send queue, under lock */
	size_t queued;
	bool closing; /* the handler is done: the writer stops */
	pthread_t writer;
};

static pthread_mutex_t hub_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sub *subs;

/* Frees what is still queued. The caller holds s->lock, or is the last user. */
static void free_queue(struct sub *s)
{
	while (s->head) {
		struct outmsg *m = s->head;

		s->head = m->next;
		ll_free(m);
	}
	s->tail = NULL;
	s->queued = 0;
}

/* The subscriber's writer: sends its queue in order until the handler is done. */
static void *writer_main(void *arg)
{
	struct sub *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct outmsg *m;
		int err;

		while (!s->head && !s->closing)
			pthread_cond_wait(&s->ready, &s->lock);
		if (s->closing)
			break;
		m = s->head;
		s->head = m->next;
		if (!s->head)
			s->tail = NULL;
		s->queued -= m->len;
		pthread_mutex_unlock(&s->lock);
		err = ll_ws_conn_send(s->conn, LL_WS_OP_TEXT, m->data, m->len);
		ll_free(m);
		pthread_mutex_lock(&s->lock);
		if (err)
			break; /* the connection is gone; the handler sees it too */
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Appends a copy of the message to one subscriber's queue (the hub lock is held). */
static void enqueue(struct sub *s, const void *data, size_t len)
{
	struct outmsg *m;

	pthread_mutex_lock(&s->lock);
	/* LEAK: nothing bounds the queue of a subscriber that never reads. */
	m = s->closing ? NULL : ll_malloc(sizeof(*m) + len);
	if (m) {
		m->next = NULL;
		m->len = len;
		memcpy(m->data, data, len);
		if (s->tail)
			s->tail->next = m;
		else
			s->head = m;
		s->tail = m;
		s->queued += len;
		pthread_cond_signal(&s->ready);
	}
	pthread_mutex_unlock(&s->lock);
}

static void broadcast(const void *data, size_t len)
{
	struct sub *s;

	pthread_mutex_lock(&hub_lock);
	for (s = subs; s; s = s->next)
		enqueue(s, data, len);
	pthread_mutex_unlock(&hub_lock);
}

static void unsubscribe(struct sub *s)
{
	struct sub **p;

	pthread_mutex_lock(&hub_lock);
	for (p = &subs; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&hub_lock);
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct sub *s = ll_calloc(1, sizeof(*s));
	struct ll_ws_msg msg;

	(void)arg;
	if (!s)
		goto out_destroy_conn;
	s->conn = conn;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->ready, NULL);
	if (pthread_create(&s->writer, NULL, writer_main, s) != 0)
		goto out_free_sub;
	pthread_mutex_lock(&hub_lock);
	s->next = subs;
	subs = s;
	pthread_mutex_unlock(&hub_lock);

	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		if (msg.opcode == LL_WS_OP_TEXT)
			broadcast(msg.data, msg.len);
		ll_ws_msg_free(&msg);
	}

	unsubscribe(s);
	pthread_mutex_lock(&s->lock);
	s->closing = true;
	pthread_cond_signal(&s->ready);
	pthread_mutex_unlock(&s->lock);
	/* A writer stuck in send to a peer that is gone returns at once. */
	ll_ws_conn_shutdown(conn);
	pthread_join(s->writer, NULL);
	free_queue(s);
out_free_sub:
	pthread_cond_destroy(&s->ready);
	pthread_mutex_destroy(&s->lock);
	ll_free(s);
out_destroy_conn:
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "13-slow-consumer-leak",
	    .summary = "Chat hub: every message goes to every client, through a queue each.",
	    .handler = handle,
	};

	return ll_app_main(&app, argc, argv);
}
