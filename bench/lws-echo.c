/*
 * lws-echo - the libwebsockets peer of leaklab-bench: an echo server on
 * Debian's libwebsockets, as plain as its minimal examples, so that the
 * comparison is with the library as most people use it (one thread, one
 * event loop, no extensions).
 *
 * It speaks the kit's protocol for servers: binds 127.0.0.1, port 0 (or
 * --port N), prints "leaklab: listening on 127.0.0.1:PORT" when ready and
 * exits 0 on SIGTERM or SIGINT. The bench keeps one message in flight per
 * connection, so a connection holds at most one message to send back and
 * no queue is needed.
 */
#include <libwebsockets.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct session {
	unsigned char *buf; /* LWS_PRE bytes of headroom, then the message */
	size_t len, cap;
	int binary;
	int pending; /* a whole message waits to be echoed */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Appends a piece of the message being received; returns 0 or -1 (out of memory). */
static int append(struct session *s, const void *in, size_t len)
{
	if (LWS_PRE + s->len + len > s->cap) {
		size_t cap = (LWS_PRE + s->len + len) * 2;
		unsigned char *b = realloc(s->buf, cap);

		if (!b)
			return -1;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + LWS_PRE + s->len, in, len);
	s->len += len;
	return 0;
}

static int callback_echo(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			 size_t len)
{
	struct session *s = user;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED: memset(s, 0, sizeof(*s)); break;
	case LWS_CALLBACK_RECEIVE:
		/* lws hands a large message over in pieces; echo it once it is whole. */
		if (s->pending || append(s, in, len) != 0)
			return -1;
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
			s->binary = lws_frame_is_binary(wsi);
			s->pending = 1;
			lws_callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!s->pending)
			break;
		/* lws_write buffers what the socket does not take and sends it before the next
		 * writeable. */
		if (lws_write(wsi, s->buf + LWS_PRE, s->len,
			      s->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < (int)s->len)
			return -1;
		s->len = 0;
		s->pending = 0;
		break;
	case LWS_CALLBACK_CLOSED:
		free(s->buf);
		s->buf = NULL;
		s->cap = s->len = 0;
		break;
	default: break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
    {.name = "echo", .callback = callback_echo, .per_session_data_size = sizeof(struct session)},
    {.name = NULL, .callback = NULL},
};

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	int port = 0;

	if (argc == 3 && strcmp(argv[1], "--port") == 0) {
		port = atoi(argv[2]);
	} else if (argc != 1) {
		fprintf(stderr, "usage: lws-echo [--port N]\n");
		return 2;
	}
	lws_set_log_level(LLL_ERR, NULL);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "lws-echo: lws_create_context failed\n");
		return 1;
	}
	info.port = port;
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	vh = lws_create_vhost(ctx, &info);
	if (!vh) {
		fprintf(stderr, "lws-echo: cannot listen on 127.0.0.1:%d\n", port);
		lws_context_destroy(ctx);
		return 1;
	}
	printf("leaklab: listening on 127.0.0.1:%d\n", lws_get_vhost_listen_port(vh));
	fflush(stdout);
	/* A signal interrupts the poll inside lws_service, which then returns. */
	while (!interrupted)
		if (lws_service(ctx, 0) < 0)
			break;
	lws_context_destroy(ctx);
	return 0;
}
