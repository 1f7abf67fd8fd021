/*
 * 09-listener-rebinding, fixed variant.
 *
 * A gateway: every message a client sends is a request to the server's
 * upstream (upstream.h), and the upstream's reply goes back to the client
 * (this upstream answers with the request itself, so it is an echo). All
 * replies come back on one listener list, `replies`, each tagged with its
 * request's id and its connection's, as every reply of a backend socket
 * arrives on its one 'message' event in Node.
 *
 * What leaked (leak.c): each request registered a listener waiting for its
 * own reply and nothing ever removed it, so the list, and the connections
 * the listeners held, grew with every message ever received.
 *
 * The fix: register once, and clean up on the handler's own way out. Each
 * connection puts one listener on the list when it starts, which takes
 * every reply addressed to that connection (replies come in request order,
 * so no id needs matching), and the handler removes it when the connection
 * ends, on every exit path. ll_listeners_off() waits for a delivery in
 * progress and frees the context, so after it the connection can go.
 *
 * Signals: heap returns to the baseline after every connection; the list
 * holds exactly one listener per open connection.
 */
#include <leaklab/app.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream.h"

/* One listener's context: where to send, and which replies are its own. */
struct waiter {
	struct ll_ws_conn *conn; /* the listener's own reference */
	uint64_t key;		 /* the connection it delivers to */
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
	if (r->conn != w->key)
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
	/* FIX: one listener per connection, registered once, for all its replies. */
	if (listen_for(conn, ll_ws_conn_id(conn), NULL, &listener) != 0) {
		ll_ws_conn_destroy(conn);
		return;
	}
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		uint64_t id = upstream_request_id();

		if (upstream_submit(id, conn, &msg) != 0)
			break;
	}
	/* FIX: removed on the way out; off waits for a delivery in progress, then frees it. */
	ll_listeners_off(replies, listener);
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "09-listener-rebinding-fixed",
	    .summary = "Echo gateway with one reply listener per connection, removed when it ends.",
	    .handler = handle,
	    .setup = upstream_start,
	    .teardown = upstream_stop,
	};

	return ll_app_main(&app, argc, argv);
}
