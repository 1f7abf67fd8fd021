/*
 * 05-orphaned-reader, leaking variant.
 *
 * Each connection has an outbox: a bounded queue drained by its own writer
 * thread, the only thread that sends on the connection (gorilla's chat
 * example: a client's send channel and its writePump goroutine). The
 * handler reads each message and puts a copy in the outbox; the writer
 * echoes it. A slow client then stalls only its own writer, never the
 * thread that reads.
 *
 * What leaks: every connection that ends leaves its writer thread behind,
 * blocked in ll_chan_recv() on the outbox forever, with the connection it
 * holds a reference to (its memory, not its socket: the handler closed
 * that) and the client's outbox and thread group.
 *
 * Why: the writer returns only when its receive fails, and a receive on a
 * queue fails only once the queue is closed. The handler returns at the
 * end of the stream without closing the outbox, so the writer waits for a
 * message that will never come (Go: a goroutine that ranges over a
 * channel nobody closes; Uber's study of Go leaks calls it the
 * never-closed receive).
 *
 * The fix (fixed.c): the handler closes the outbox on its way out; the
 * writer drains it, sees LL_ECLOSED and returns, and the handler joins it
 * and frees the client.
 *
 * Signals: one thread more per closed connection, never fewer; the heap
 * grows too. At exit memcheck reports each writer, still blocked and never
 * joined, by its 272-byte thread-local block from pthread_create, as
 * possibly lost.
 */
#include <leaklab/app.h>
#include <leaklab/chan.h>
#include <leaklab/group.h>

#include <stdlib.h>
#include <string.h>

/* Room for a burst's messages in flight; a full outbox makes the reader wait. */
#define OUTBOX_SIZE 16

struct client {
	struct ll_ws_conn *conn; /* the writer's own reference */
	struct ll_chan *outbox;	 /* of struct ll_ws_msg *, each owned by whoever holds it */
	struct ll_group *pumps;	 /* the writer thread */
};

static void drop_msg(struct ll_ws_msg *m)
{
	ll_ws_msg_free(m);
	free(m);
}

/*
 * The writer (gorilla's writePump): the only sender on the connection.
 * After a failed send it keeps draining, so the reader is never stuck on a
 * full outbox; it returns once the outbox is closed and empty.
 */
static void write_pump(void *arg)
{
	struct client *cl = arg;
	void *item;
	int dead = 0;

	while (ll_chan_recv(cl->outbox, &item, -1) == 0) {
		struct ll_ws_msg *m = item;

		if (!dead && ll_ws_conn_send(cl->conn, m->opcode, m->data, m->len) != 0)
			dead = 1;
		drop_msg(m);
	}
	ll_ws_conn_release(cl->conn);
}

/* Joins the writer, then frees the client and anything left in its outbox. */
static void client_free(struct client *cl)
{
	void *item;

	if (!cl)
		return;
	ll_group_destroy(cl->pumps);
	while (cl->outbox && ll_chan_recv(cl->outbox, &item, 0) == 0)
		drop_msg(item);
	ll_chan_destroy(cl->outbox);
	free(cl);
}

static struct client *client_new(struct ll_ws_conn *conn)
{
	struct client *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return NULL;
	if (ll_chan_create(&cl->outbox, OUTBOX_SIZE) != 0 || ll_group_create(&cl->pumps) != 0)
		goto out_free_client;
	cl->conn = ll_ws_conn_retain(conn);
	if (ll_group_go(cl->pumps, write_pump, cl) != 0) {
		ll_ws_conn_release(cl->conn);
		goto out_free_client;
	}
	return cl;

out_free_client:
	client_free(cl);
	return NULL;
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct client *cl = client_new(conn);
	struct ll_ws_msg msg;

	(void)arg;
	if (!cl) {
		ll_ws_conn_destroy(conn);
		return;
	}
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		struct ll_ws_msg *copy = malloc(sizeof(*copy));

		if (!copy) {
			ll_ws_msg_free(&msg);
			break;
		}
		*copy = msg; /* the outbox's item now owns msg.data */
		if (ll_chan_send(cl->outbox, copy, -1) != 0) {
			drop_msg(copy);
			break;
		}
	}
	/*
	 * LEAK: returns without closing the outbox: the writer waits in
	 * ll_chan_recv() forever, and the client is never freed.
	 */
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "05-orphaned-reader-leak",
	    .summary = "Echo server whose replies go through a writer thread per "
		       "connection, left waiting when the connection ends.",
	    .handler = handle,
	};

	return ll_app_main(&app, argc, argv);
}
