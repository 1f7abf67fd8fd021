/*
 * leaklab/transport.h - one byte-stream API over a plain TCP socket or a
 * TLS session (OpenSSL), with deadlines.
 *
 * The socket is non-blocking; waits happen in poll(), so every read and
 * write honours a timeout, and ll_transport_shutdown() from another thread
 * wakes a reader blocked in it. One thread may read while another writes
 * (the TLS session is guarded by a lock inside).
 */
#ifndef LEAKLAB_TRANSPORT_H
#define LEAKLAB_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <leaklab/tls.h>

struct ll_transport;

/*
 * Wraps a connected socket. The transport takes ownership of fd (it is
 * closed by ll_transport_destroy, also when this call fails). Returns 0 or
 * LL_ENOMEM / LL_EIO / LL_EINVAL.
 */
int ll_transport_plain(struct ll_transport **out, int fd);

/*
 * Wraps a connected socket in TLS and runs the TLS handshake (as server if
 * server is true) within timeout_ms, blocking the caller meanwhile. ctx
 * must outlive the transport. Takes ownership of fd as above: on failure
 * the fd is closed and every OpenSSL object freed. Returns 0, LL_ETLS,
 * LL_ETIMEDOUT, LL_ENOMEM, LL_EIO, LL_EINVAL.
 */
int ll_transport_tls(struct ll_transport **out, int fd, struct ll_tls_ctx *ctx, bool server,
		     int timeout_ms);

/*
 * Runs the TLS handshake (as server if server is true) on a session the
 * application made for the connected socket fd (see ll_tls_new_fn) and
 * wraps it, within timeout_ms. From this call on ssl and fd are the
 * session's: the transport reads and writes through ssl, never closes fd,
 * and calls release(ssl, how, arg) once when it is destroyed, or before
 * this returns when it fails. Returns 0, LL_ETLS, LL_ETIMEDOUT, LL_ENOMEM,
 * LL_EIO, or LL_EINVAL (a NULL argument: nothing was taken).
 */
int ll_transport_adopt_tls(struct ll_transport **out, int fd, struct ssl_st *ssl, bool server,
			   int timeout_ms, ll_tls_release_fn release, void *arg);

/*
 * Whether the peer ended the TLS session with close_notify (RFC 8446
 * section 6.1) rather than a bare TCP close, as far as reads have seen.
 * Always false for a plain socket.
 */
bool ll_transport_close_notified(const struct ll_transport *t);

/*
 * Reads up to len bytes, waiting at most timeout_ms (< 0 forever) for the
 * first byte. Returns bytes read (> 0), 0 at end of stream (peer closed,
 * or shut down locally), LL_ETIMEDOUT, LL_EIO or LL_ETLS; and LL_EAGAIN
 * when the library's own wake-up fd woke it (only ws_conn sets one: a
 * transport of yours never returns it).
 */
ssize_t ll_transport_read(struct ll_transport *t, void *buf, size_t len, int timeout_ms);

/*
 * Writes all len bytes within timeout_ms in total (< 0 forever). Returns 0,
 * LL_ETIMEDOUT (some bytes may have been written), LL_ECLOSED (peer gone),
 * LL_EIO or LL_ETLS.
 */
int ll_transport_write(struct ll_transport *t, const void *buf, size_t len, int timeout_ms);

/*
 * Shuts the socket down in both directions without closing the fd:
 * blocked and future reads return 0, writes fail. Safe from any thread,
 * idempotent. For TLS no close_notify is sent (use ll_transport_destroy's
 * orderly path for that).
 */
void ll_transport_shutdown(struct ll_transport *t);

/*
 * Sends TLS close_notify if the session is still healthy (without waiting
 * for the peer's), frees the OpenSSL objects, closes the fd and frees t.
 * NULL is a no-op.
 */
void ll_transport_destroy(struct ll_transport *t);

/* The socket, for poll() and diagnostics. */
int ll_transport_fd(const struct ll_transport *t);
bool ll_transport_is_tls(const struct ll_transport *t);

/*
 * Connects a TCP socket to host (numeric IPv4/IPv6 or a name) and port
 * within timeout_ms. Returns the fd (>= 0, non-blocking, TCP_NODELAY), or
 * LL_EIO / LL_ETIMEDOUT / LL_EINVAL.
 */
int ll_tcp_connect(const char *host, unsigned port, int timeout_ms);

/*
 * Creates a listening socket on host:port (port 0: the kernel picks one),
 * SO_REUSEADDR, non-blocking. *bound_port gets the actual port. Returns the
 * fd or LL_EIO / LL_EINVAL.
 */
int ll_tcp_listen(const char *host, unsigned port, int backlog, unsigned *bound_port);

#endif
