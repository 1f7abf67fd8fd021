/*
 * leaklab/ws_server.h - a WebSocket server: listen, accept, one thread per
 * connection, graceful stop (Go's http.Server with an Upgrader).
 *
 * Each accepted socket gets a thread that runs the opening handshake (with
 * a deadline), then hands the connection to the application's handler.
 * The handler owns the connection, exactly as a Go handler owns the
 * *websocket.Conn the Upgrader returned: it must ll_ws_conn_destroy() it
 * before it returns, on every path. The server keeps only a reference
 * while the handler runs, so it can close connections at shutdown.
 *
 * Plain HTTP GET /metrics (when enabled) is answered with the process's
 * probe in Prometheus text format, and the connection closed.
 */
#ifndef LEAKLAB_WS_SERVER_H
#define LEAKLAB_WS_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <leaklab/transport.h>
#include <leaklab/ws_conn.h>

struct ll_ws_server;

/* Runs on the connection's own thread. arg is ll_ws_server_opts.arg. */
typedef void (*ll_ws_handler_fn)(struct ll_ws_conn *conn, void *arg);

struct ll_ws_server_opts {
	const char *host;	  /* NULL means 127.0.0.1 */
	unsigned port;		  /* 0 means the kernel picks a free one */
	struct ll_tls_ctx *tls;	  /* NULL: plain ws; else wss (not owned) */
	unsigned max_conns;	  /* 0 means 1024; beyond it a client gets 503 */
	int handshake_timeout_ms; /* 0 means 5000: TLS and HTTP upgrade together */
	bool metrics;		  /* serve GET /metrics */
	struct ll_ws_conn_opts conn;
	ll_ws_handler_fn handler; /* required */
	void *arg;
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

/* Connections whose handler is running now. */
size_t ll_ws_server_conn_count(struct ll_ws_server *s);

/* Frees the server; run() must have returned (or never been called). NULL is a no-op. */
void ll_ws_server_destroy(struct ll_ws_server *s);

#endif
