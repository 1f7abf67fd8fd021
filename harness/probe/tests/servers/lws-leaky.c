/*
 * lws-leaky - an echo server on Debian's libwebsockets that keeps a
 * per-connection log, for leaklab-probe's tests of a native server under
 * memcheck. With --leak the log is never freed when the connection
 * closes: its only pointer lives in the session data that libwebsockets
 * frees, so memcheck counts every one as definitely lost, while threads
 * and fds stay flat.
 *
 *   lws-leaky --port N [--leak]
 */
#include <libwebsockets.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the server keeps per connection: its log, and one message to echo. */
#define LOG_BYTES 1024
#define MAX_MSG	  4096

struct session {
	char *log;
	unsigned char buf[LWS_PRE + MAX_MSG];
	size_t len;
	int pending;
};

static volatile sig_atomic_t interrupted;
static int leak;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int callback_echo(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			 size_t len)
{
	struct session *s = user;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(s, 0, sizeof(*s));
		s->log = calloc(1, LOG_BYTES);
		if (!s->log)
			return -1;
		break;
	case LWS_CALLBACK_RECEIVE:
		/* One message at a time, whole in one piece: enough for the probe's clients. */
		if (s->pending || len > MAX_MSG || !lws_is_final_fragment(wsi))
			return -1;
		memcpy(s->buf + LWS_PRE, in, len);
		s->len = len;
		s->pending = 1;
		snprintf(s->log, LOG_BYTES, "last message: %zu bytes", len);
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!s->pending)
			break;
		if (lws_write(wsi, s->buf + LWS_PRE, s->len, LWS_WRITE_TEXT) < (int)s->len)
			return -1;
		s->pending = 0;
		break;
	case LWS_CALLBACK_CLOSED:
		/* LEAK: with --leak the log is forgotten with the session. */
		if (!leak)
			free(s->log); /* FIX: the log goes with its connection. */
		s->log = NULL;
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
	int port;

	if ((argc != 3 && argc != 4) || strcmp(argv[1], "--port") != 0 ||
	    (argc == 4 && strcmp(argv[3], "--leak") != 0)) {
		fprintf(stderr, "usage: lws-leaky --port N [--leak]\n");
		return 2;
	}
	port = atoi(argv[2]);
	leak = argc == 4;
	lws_set_log_level(LLL_ERR, NULL);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "lws-leaky: lws_create_context failed\n");
		return 1;
	}
	info.port = port;
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	vh = lws_create_vhost(ctx, &info);
	if (!vh) {
		fprintf(stderr, "lws-leaky: cannot listen on 127.0.0.1:%d\n", port);
		lws_context_destroy(ctx);
		return 1;
	}
	while (!interrupted)
		if (lws_service(ctx, 0) < 0)
			break;
	lws_context_destroy(ctx);
	return 0;
}
