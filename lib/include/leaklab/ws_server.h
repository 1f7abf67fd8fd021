/*
 * leaklab/ws_server.h - a WebSocket server: listen, accept, one thread per
 * connection, graceful stop (Go's http.Server with an Upgrader).
 *
 * Each accepted socket gets a thread that runs the opening handshake (with
 * a deadline), then hands the connection to the application's handler
 * (with park_fresh, on a new thread once the client first sends; with
 * on_message as well, its messages are served from the parker's epoll
 * loop, and the handler runs only where a thread is needed).
 * The handler owns the connection, exactly as a Go handler owns the
 * *websocket.Conn the Upgrader returned: it must ll_ws_conn_destroy() it
 * before it returns, on every path. The server keeps only a reference
 * while the handler runs, so it can close connections at shutdown.
 *
 * Plain HTTP GET /metrics (when enabled) is answered with the process's
 * probe in Prometheus text format, then the connections the server holds
 * (LL_PROBE_METRIC_CONNECTIONS, probe.h), and the connection closed.
 */
#ifndef LEAKLAB_WS_SERVER_H
#define LEAKLAB_WS_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <leaklab/transport.h>
#include <leaklab/ws_conn.h>

struct ll_ws_server;
struct ll_http_request;

/* Runs on the connection's own thread. arg is ll_ws_server_opts.arg. */
typedef void (*ll_ws_handler_fn)(struct ll_ws_conn *conn, void *arg);

/*
 * One message of a connection served by the parker (ll_ws_server_opts.
 * on_message), which frees msg afterwards. Returns 0 to go on, anything
 * else to end the connection, as a handler's loop breaks and destroys it.
 */
typedef int (*ll_ws_message_fn)(struct ll_ws_conn *conn, struct ll_ws_msg *msg, void *arg);

/*
 * An application's say on each upgrade (Go: checking a token in the HTTP
 * handler before calling Upgrade). It runs on the connection's thread once
 * the request is a valid WebSocket upgrade (RFC 6455 section 4.2.1), before
 * anything is answered, and may block (it is bounded by nothing but itself).
 * It returns 101 to accept, or the HTTP status to refuse with (400, 401,
 * 403, 500 or 503, the ones ll_ws_handshake_response writes; anything
 * else counts as 500), which the server sends before it hangs up (section
 * 4.2.2 lets a server answer any HTTP error). On 101 it may leave one
 * pointer in *user: the server gives it to the connection
 * (ll_ws_conn_user) before the handler runs, and the handler owns it from
 * then on. If the connection never reaches the handler (a refusal, a 101
 * that could not be sent, a connection that could not be made), the server
 * passes a *user left there to ll_ws_drop_fn instead, so it is never lost.
 */
typedef int (*ll_ws_check_fn)(const struct ll_http_request *req, void **user, void *arg);
typedef void (*ll_ws_drop_fn)(void *user, void *arg);

struct ll_ws_server_opts {
	const char *host;	/* NULL means 127.0.0.1 */
	unsigned port;		/* 0 means the kernel picks a free one */
	struct ll_tls_ctx *tls; /* NULL: plain ws; else wss (not owned) */
	/*
	 * With tls: each connection's TLS session made by the application
	 * (transport.h) from the context's SSL_CTX on the connection's thread,
	 * and given back to tls_release once the server is done with it, both
	 * called with arg. NULL:
	 * the library makes and frees its own. tls_release is required with it.
	 */
	ll_tls_new_fn tls_session;
	ll_tls_release_fn tls_release;
	unsigned max_conns;	  /* 0 means 1024; beyond it a client gets 503 */
	int handshake_timeout_ms; /* 0 means 5000: TLS and HTTP upgrade together */
	bool metrics;		  /* serve GET /metrics */
	struct ll_ws_conn_opts conn;
	ll_ws_handler_fn handler; /* required */
	ll_ws_check_fn check;	  /* NULL: every valid upgrade is accepted */
	ll_ws_drop_fn drop_user;  /* frees a user the handler never got; may be NULL */
	/*
	 * Park fresh connections (plain ws only; ignored with tls): once its
	 * handshake is done, a connection whose client has sent nothing yet
	 * gives up its thread and waits, with every other such connection, in
	 * one epoll set watched by one thread; its handler's thread starts
	 * when the client sends its first frame (or hangs up). An idle thread
	 * costs about 9 KiB of resident memory under glibc (two stack pages,
	 * malloc's per-thread cache, the TLS vector); a parked connection,
	 * only its records. The handler sees no difference. At stop, every
	 * parked connection gets its thread for the close handshake.
	 */
	bool park_fresh;
	/*
	 * With park_fresh: messages that arrive on a parked connection are
	 * handled on the parker's thread, one call each, and the connection
	 * goes back to the epoll set once its socket is drained. So a
	 * connection has no thread of its own while idle, used or not, and
	 * many ready connections are served per wake-up instead of a thread
	 * woken per message. It suits a handler that is a plain
	 * receive-and-answer loop, and must behave as that loop's body would:
	 * handler still runs, on a thread of the connection's own, wherever a
	 * connection needs one (at stop; once a close handshake it started is
	 * under way; when parking fails), from the message on_message would
	 * have had next. on_message may block only on writes to its own
	 * connection: before such a write (or a pong) would wait, the parker
	 * gives its epoll set to a new thread and finishes this connection's
	 * messages alone, so one peer that stops reading holds up no other.
	 * A connection that ends while served (its peer closed, a protocol
	 * error, on_message returned non-zero) is destroyed by the server, and
	 * its user, if still set, goes to drop_user. NULL: every connection
	 * gets its thread at its first frame.
	 */
	ll_ws_message_fn on_message;
	void *arg; /* passed to handler, on_message, check and drop_user */
};

/*
 * Binds and listens (so the port is known at once). opts is copied.
 * Returns 0, LL_EINVAL (no handler), LL_EIO (bind/listen), LL_ENOMEM.
 */
int ll_ws_server_create(struct ll_ws_server **out, const struct ll_ws_server_opts *opts);

/* The bound port. */
unsigned ll_ws_server_port(const struct ll_ws_server *s);

/*
 * Runs the accept loop on the calling thread until ll_ws_server_stop().
 * Then it shuts down gracefully: stops accepting, sends every live
 * connection a close frame with 1001 (going away), waits for the handlers
 * to return (forcing the sockets down after the close deadline), and joins
 * every thread it started. When accept fails for want of fds or memory
 * (EMFILE, ENFILE, ENOBUFS, ENOMEM), the client stays queued and the loop
 * pauses, 5 ms doubling to 1 s, instead of spinning; it accepts again as
 * soon as an attempt works. Stop never waits on one connection: a peer
 * that stopped reading gets its close frame from its own thread. Returns
 * 0, or LL_EIO if poll() failed.
 */
int ll_ws_server_run(struct ll_ws_server *s);

/* Asks run() to stop and return. Any thread; idempotent; not async-signal-safe. */
void ll_ws_server_stop(struct ll_ws_server *s);

/* Connections past their handshake: running their handler, or parked (park_fresh). */
size_t ll_ws_server_conn_count(struct ll_ws_server *s);

/* Frees the server; run() must have returned (or never been called). NULL is a no-op. */
void ll_ws_server_destroy(struct ll_ws_server *s);

#endif
