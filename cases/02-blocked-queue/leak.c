/*
 * 02-blocked-queue, leaking variant.
 *
 * The server vets each request ("transfer 100 to bob") with three checker
 * threads that run at the same time, each answering on its own queue (Go:
 * a goroutine per check, each with a result channel). The handler reads
 * the verdicts in order and answers "rejected: ..." at the first failing
 * one, or "accepted" when all pass.
 *
 * What leaks: every rejected request leaves checker threads blocked
 * forever, with the request's queues and thread group, which nobody frees.
 *
 * Why: each verdict travels over a rendezvous queue (capacity 0, Go's
 * unbuffered channel): a checker's send blocks until somebody receives.
 * On the first failure the handler stops receiving and returns, so the
 * checkers whose verdicts it never read wait for a receiver that will
 * never come. Uber's study of Go leaks calls this the early return: N
 * senders, fewer than N receives.
 *
 * The fix (fixed.c): queues with room for the verdict, so no send can
 * block; the handler then joins its checkers and frees the request on one
 * exit path. (Closing the queues on the early return would also free the
 * checkers: the walkthrough compares the two.)
 *
 * Signals: threads grow by two per rejected request (the recipient check
 * runs first, so two verdicts are never read); at exit memcheck reports
 * each thread that was never joined (the two blocked ones and the one that
 * delivered its verdict) by its 272-byte thread-local block from
 * pthread_create, as possibly lost.
 */
#include <leaklab/app.h>
#include <leaklab/chan.h>
#include <leaklab/group.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKERS 3

/* Each check returns NULL if the request passes it, or why it does not. */
static const char *check_recipient(const char *text)
{
	return strstr(text, "mallory") ? "recipient is blocked" : NULL;
}

static const char *check_amount(const char *text)
{
	return strspn(text + strcspn(text, "0123456789"), "0123456789") <= 6 ? NULL
									     : "amount too large";
}

static const char *check_length(const char *text)
{
	return strlen(text) <= 256 ? NULL : "request too long";
}

static const char *(*const checks[CHECKERS])(const char *) = {
    check_recipient,
    check_amount,
    check_length,
};

struct request;

struct checker {
	struct request *req;
	int index;
};

struct request {
	char *text;
	struct ll_chan
	    *verdicts[CHECKERS]; /* checker i sends "" (pass) or why not on verdicts[i] */
	struct ll_group *checkers;
	struct checker jobs[CHECKERS];
};

static void run_checker(void *arg)
{
	struct checker *job = arg;
	const char *why = checks[job->index](job->req->text);

	/* On a rendezvous queue this send returns only once the handler takes the verdict. */
	ll_chan_send(job->req->verdicts[job->index], (void *)(why ? why : ""), -1);
}

/* Joins the checkers, then frees the request; takes a partly built one too. */
static void request_free(struct request *req)
{
	int i;

	ll_group_destroy(req->checkers);
	for (i = 0; i < CHECKERS; i++)
		ll_chan_destroy(req->verdicts[i]);
	free(req->text);
	free(req);
}

static struct request *request_new(const struct ll_ws_msg *msg, size_t capacity)
{
	struct request *req = calloc(1, sizeof(*req));
	int i;

	if (!req)
		return NULL;
	req->text = strndup((const char *)msg->data, msg->len);
	if (!req->text || ll_group_create(&req->checkers) != 0)
		goto out_free_request;
	for (i = 0; i < CHECKERS; i++)
		if (ll_chan_create(&req->verdicts[i], capacity) != 0)
			goto out_free_request;
	return req;

out_free_request:
	request_free(req);
	return NULL;
}

/* Vets one request and answers it. Returns 0 or a send error. */
static int vet(struct ll_ws_conn *conn, const struct ll_ws_msg *msg)
{
	char answer[128] = "accepted";
	struct request *req;
	int i, started;

	/* LEAK: capacity 0, a rendezvous: a checker's send waits for a receive. */
	req = request_new(msg, 0);
	if (!req)
		return ll_ws_conn_send(conn, LL_WS_OP_TEXT, "error: out of memory", 20);
	for (started = 0; started < CHECKERS; started++) {
		req->jobs[started] = (struct checker){req, started};
		if (ll_group_go(req->checkers, run_checker, &req->jobs[started]) != 0) {
			snprintf(answer, sizeof(answer), "error: cannot start the checkers");
			break;
		}
	}
	for (i = 0; i < started; i++) {
		void *why;

		/* A queue closed before its verdict came is a checker that gave none. */
		if (ll_chan_recv(req->verdicts[i], &why, -1) != 0)
			why = "a checker gave no verdict";
		if (*(const char *)why) {
			snprintf(answer, sizeof(answer), "rejected: %s", (const char *)why);
			/*
			 * LEAK: returns at the first failure; the checkers not yet
			 * read block forever.
			 */
			return ll_ws_conn_send(conn, LL_WS_OP_TEXT, answer, strlen(answer));
		}
	}
	request_free(req);
	return ll_ws_conn_send(conn, LL_WS_OP_TEXT, answer, strlen(answer));
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;

	(void)arg;
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		int err = vet(conn, &msg);

		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "02-blocked-queue-leak",
	    .summary = "Vets each request with three checker threads; "
		       "a rejected request strands the rest.",
	    .handler = handle,
	};

	return ll_app_main(&app, argc, argv);
}
