/*
 * crash-on-fault - an echo server whose upgrade check honours
 * fail-alloc=N (as case 10's does) and then uses what it allocated without
 * looking: the first failed allocation is a NULL dereference. For the
 * harness's own tests: a fault walk that crashes the program must be no
 * verdict (exit 2), never a leak reproduced, whatever it leaked first.
 */
#include <leaklab/alloc.h>
#include <leaklab/app.h>
#include <leaklab/ws_handshake.h>

#include <stdlib.h>
#include <string.h>

static int check(const struct ll_http_request *req, void **user, void *arg)
{
	const char *n = strstr(req->path, "fail-alloc=");
	char *copy;

	(void)user;
	(void)arg;
	if (n)
		ll_alloc_fail_once(strtol(n + 11, NULL, 10));
	copy = ll_strdup(req->path);
	/* The bug this fixture exists for: no check of copy. */
	copy[0] = '/';
	ll_free(copy);
	return 101;
}

static void echo(struct ll_ws_conn *conn, void *arg)
{
	struct ll_ws_msg msg;

	(void)arg;
	ll_alloc_fail_after(0);
	while (ll_ws_conn_recv(conn, &msg, -1) == 0) {
		int err = ll_ws_conn_send(conn, msg.opcode, msg.data, msg.len);

		ll_ws_msg_free(&msg);
		if (err)
			break;
	}
	ll_ws_conn_destroy(conn);
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "crash-on-fault",
	    .summary = "echo-server that crashes on a failed allocation (harness test)",
	    .handler = echo,
	    .check = check,
	};

	return ll_app_main(&app, argc, argv);
}
