/*
 * upstream.c - case 09's upstream, shared by leak.c and fixed.c
 * (upstream.h says what it is and how it lives).
 */
#include "upstream.h"

struct ll_chan *requests;
struct ll_listeners *replies;
static pthread_t upstream_thread;
static atomic_uint_fast64_t next_request = 1;

static void *upstream_main(void *arg)
{
	void *item;

	(void)arg;
	/* Until the queue is closed and empty: every request queued gets its reply. */
	while (ll_chan_recv(requests, &item, -1) == 0) {
		struct request *rq = item;
		struct reply r = {rq->id, rq->conn, rq->opcode, rq->data, rq->len};

		ll_listeners_emit(replies, &r);
		free(rq->data);
		free(rq);
	}
	return NULL;
}

int upstream_start(void *arg)
{
	(void)arg;
	if (ll_chan_create(&requests, UPSTREAM_QUEUE) != 0)
		return -1;
	if (ll_listeners_create(&replies, "upstream replies", UPSTREAM_WARN_AT) != 0)
		goto out_destroy_requests;
	if (pthread_create(&upstream_thread, NULL, upstream_main, NULL) != 0)
		goto out_destroy_replies;
	return 0;
out_destroy_replies:
	ll_listeners_destroy(replies);
out_destroy_requests:
	ll_chan_destroy(requests);
	return -1;
}

void upstream_stop(void *arg)
{
	(void)arg;
	ll_chan_close(requests);
	pthread_join(upstream_thread, NULL);
	ll_chan_destroy(requests);
	ll_listeners_destroy(replies);
}

uint64_t upstream_request_id(void)
{
	return atomic_fetch_add(&next_request, 1);
}

int upstream_submit(uint64_t id, struct ll_ws_conn *conn, struct ll_ws_msg *msg)
{
	struct request *rq = malloc(sizeof(*rq));

	if (!rq) {
		ll_ws_msg_free(msg);
		return -1;
	}
	*rq = (struct request){id, ll_ws_conn_id(conn), msg->opcode, msg->data, msg->len};
	msg->data = NULL;
	msg->len = 0;
	if (ll_chan_send(requests, rq, -1) != 0) {
		free(rq->data);
		free(rq);
		return -1;
	}
	return 0;
}
