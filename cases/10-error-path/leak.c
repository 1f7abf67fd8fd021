/*
 * 10-error-path, leaking variant.
 *
 * An echo server that lets in only clients with a valid token (Go: an
 * HTTP handler that checks a JWT before it calls Upgrade, and keeps the
 * session in a sync.Map). The upgrade is "/?id=ID&token=HEX", the token
 * an HMAC-SHA256 of the id (auth.h); before the server answers 101, check()
 * makes a verifier (OpenSSL's EVP_MAC), copies the id, checks the token
 * and registers a session. A good token gets a session ("whoami" is
 * answered "you are ID"), a bad one gets HTTP 401.
 *
 * What leaks: every refused upgrade leaves the verifier (an EVP_MAC_CTX
 * and its HMAC state, about 1 KiB) and the id's copy behind, and an
 * allocation that fails on the way leaves whatever came before it.
 *
 * Why: check() returns early on each error, and only the happy path frees
 * what it made. In Go, `defer ctx.Free()` right after each acquisition
 * (in Java, try-with-resources) makes every return free it; C has neither,
 * and each early return is a place to forget.
 *
 * The fix (fixed.c): one exit, with cleanup labels named for what they
 * undo, in reverse order of acquisition; every error jumps to the label
 * of the last thing it holds. The harness's fault walk fails the Nth
 * allocation of the handshake path for every N in turn to prove it.
 *
 * Signals: heap grows with every bad token (about 1 KiB each); under
 * memcheck the verifiers are definitely lost.
 *
 * Output: ./build/bin/leaklab-check --case 10-error-path --variant leak --native
 *   verdict: leak reproduced: heap +984 bytes/client, scales 2.0x
 */
#include <leaklab/app.h>
#include <leaklab/ws_handshake.h>

#include "auth.h"

static int check(const struct ll_http_request *req, void **user, void *arg)
{
	struct verifier *v;
	struct session *s;
	char *id = NULL;
	int err;

	(void)arg;
	fault_arm(req->path);
	v = verifier_new();
	if (!v)
		return 500;
	err = query_id(req->path, &id);
	/* LEAK: the verifier */
	if (err)
		return err == LL_ENOMEM ? 500 : 401;
	/* LEAK: the verifier and the id's copy */
	if (!verifier_check(v, id, req->path))
		return 401;
	verifier_free(v);
	s = ll_calloc(1, sizeof(*s));
	/* LEAK: the id's copy */
	if (!s)
		return 503;
	s->id = id;
	snprintf(s->key, sizeof(s->key), "%s#%lu", s->id, atomic_fetch_add(&session_seq, 1) + 1);
	/* LEAK: the session and its id */
	if (ll_map_set(sessions, s->key, s) != 0)
		return 503;
	*user = s;
	return 101;
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	struct session *s = ll_ws_conn_user(conn);
	struct ll_ws_msg msg;

	(void)arg;
	fault_disarm();
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		char reply[ID_MAX + 16];
		int err;

		if (msg.len == 6 && memcmp(msg.data, "whoami", 6) == 0) {
			snprintf(reply, sizeof(reply), "you are %s", s->id);
			err = ll_ws_conn_send(conn, LL_WS_OP_TEXT, reply, strlen(reply));
		} else {
			err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);
		}
		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	session_end(s);
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app_knob knobs[] = {
	    {"fault-injection", &fault_injection,
	     "1: honour fail-alloc=N in the upgrade's query (the harness's fault walk)"},
	    {NULL, NULL, NULL},
	};
	static const struct ll_app app = {
	    .name = "10-error-path-leak",
	    .summary = "Echo server behind a token check whose error returns skip the frees.",
	    .handler = handle,
	    .check = check,
	    .drop_user = drop_session,
	    .setup = setup,
	    .teardown = teardown,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
