/*
 * 09-listener-rebinding, leaking variant.
 *
 * A gateway: every message a client sends is a request to the server's
 * upstream (upstream.h), and the upstream's reply goes back to the client
 * (this upstream answers with the request itself, so it is an echo). All
 * replies come back on one listener list, `replies`, each tagged with its
 * request's id, as every reply of a backend socket arrives on its one
 * 'message' event in Node.
 *
 * What leaks: a listener and its context for every message ever received:
 * the copy of the request it keeps for the log (as a Node closure keeps
 * what it captured), and the connection it answered, long after the
 * client left. The list grows by one per message; the lib warns past 256,
 * as Node prints MaxListenersExceededWarning.
 *
 * Why: each request registers a listener that waits for the reply with its
 * id (Node: upstream.on('message', r => { if (r.id === id) ws.send(r.data) })
 * inside ws.on('message')). Once its reply has been sent the listener can
 * never match again, but nothing removes it. Each one keeps a reference to
 * its connection, so a late reply can never touch freed memory: no crash,
 * correct answers, and a list that only grows (and gets slower to emit).
 *
 * The fix (fixed.c): one listener per connection, registered once when it
 * starts and matching replies by connection, removed on the handler's way
 * out.
 *
 * Signals: heap grows with every message and does not come back when the
 * connection closes; at exit the list is destroyed, so memcheck finds
 * nothing lost: only the growth shows it.
 */
#include <leaklab/app.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream.h"

/* One listener's context: where to send, and which replies are its own. */
struct waiter {
	struct ll_ws_conn *conn; /* the listener's own reference */
	uint64_t key;		 /* the request it waits for */
	char *request; /* the request it answers, for the log of a failed reply; or NULL */
};

static void deliver(void *ctx, const void *event)
{
	const struct waiter *w = ctx;
	const struct reply *r = event;

	/*
	 * A reply for a client that has left fails with LL_ECLOSED: nobody to
	 * tell. A reset connection is worth a line in the log.
	 */
	if (r->request != w->key)
		return;
	if (ll_ws_conn_send(w->conn, r->opcode, r->data, r->len) == LL_EIO && w->request)
		fprintf(stderr, "reply to \"%.60s\" lost\n", w->request);
}

static void waiter_free(void *ctx)
{
	struct waiter *w = ctx;

	ll_ws_conn_release(w->conn);
	free(w->request);
	free(w);
}

/*
 * Puts a listener for the replies keyed key on `replies`, keeping a copy
 * of req's text if req is not NULL. Returns 0 or -1.
 */
static int listen_for(struct ll_ws_conn *conn, uint64_t key, const struct ll_ws_msg *req,
		      uint64_t *listener)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	w->conn = ll_ws_conn_retain(conn);
	w->key = key;
	if (req && !(w->request = strndup((const char *)req->data, req->len))) {
		waiter_free(w);
		return -1;
	}
	if (ll_listeners_on(replies, deliver, w, waiter_free, listener) != 0) {
		waiter_free(w);
		return -1;
	}
	return 0;
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	uint64_t listener = 0;
	struct ll_ws_msg msg;

	(void)arg;
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		uint64_t id = upstream_request_id();

		/*
		 * LEAK: a listener per request, and none is ever removed: after
		 * its one reply it stays on the list, holding the connection.
		 */
		if (listen_for(conn, id, &msg, &listener) != 0) {
			ll_ws_msg_free(&msg);
			break;
		}
		if (upstream_submit(id, conn, &msg) != 0)
			break;
	}
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "09-listener-rebinding-leak",
	    .summary = "Echo gateway that adds a reply listener per message and never removes it.",
	    .handler = handle,
	    .setup = upstream_start,
	    .teardown = upstream_stop,
	};

	return ll_app_main(&app, argc, argv);
}
