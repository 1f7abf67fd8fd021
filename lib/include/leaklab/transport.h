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

struct ll_tls_ctx;
struct ll_transport;
struct ssl_st;	   /* OpenSSL's SSL */
struct ssl_ctx_st; /* OpenSSL's SSL_CTX */

/*
 * A TLS session of the application's own: an SSL object it made (SSL_new)
 * and keeps, which the library only drives. How such a session ended, when
 * the library gives it back (ll_tls_release_fn):
 */
enum ll_tls_end {
	LL_TLS_FAILED, /* the handshake failed, timed out or was cut short */
	LL_TLS_CLEAN,  /* over with the session healthy: close_notify is due */
	LL_TLS_BROKEN, /* a TLS or socket error, or a forced shutdown, after the handshake */
};

/*
 * Makes the session for a connected socket fd from ctx (Go: the
 * *tls.Conn that tls.Server(conn, config) returns), or returns NULL to
 * refuse the connection (fd is then still the library's, which closes it).
 * The SSL must read and write fd (SSL_set_fd, or SSL_set_bio with
 * BIO_new_socket); from the moment it is returned the socket belongs to
 * the session, not to the library: see ll_tls_release_fn. OpenSSL's
 * socket BIO writes with write(2), so a program using it must ignore
 * SIGPIPE.
 */
typedef struct ssl_st *(*ll_tls_new_fn)(int fd, struct ssl_ctx_st *ctx, void *arg);

/*
 * Gives a session back to its maker, exactly once, when the library is
 * done with it: from ll_transport_destroy(), after a failed handshake too.
 * Nothing else touches ssl or its socket afterwards. It must end both: say
 * close_notify with SSL_shutdown() when how is LL_TLS_CLEAN, then
 * SSL_free(), which frees the BIO that SSL_set_bio() gave it and, for a
 * BIO made with BIO_CLOSE, closes the socket (else close fd yourself).
 */
typedef void (*ll_tls_release_fn)(struct ssl_st *ssl, enum ll_tls_end how, void *arg);

/*
 * A server TLS context with a fresh self-signed certificate for
 * "localhost"/127.0.0.1, made in memory (EC P-256 key): nothing is written
 * to disk and no private key needs to be shipped. Returns 0, LL_ETLS or
 * LL_ENOMEM.
 */
int ll_tls_server_ctx_create(struct ll_tls_ctx **out);

/*
 * A server context from PEM files. Returns 0, LL_ETLS (unreadable or
 * mismatched files), LL_ENOMEM.
 */
int ll_tls_server_ctx_from_files(struct ll_tls_ctx **out, const char *cert_pem,
				 const char *key_pem);

/*
 * A client context. With ca_pem NULL the peer's certificate is not
 * verified (tests against the self-signed server); otherwise it must chain
 * to ca_pem. Returns 0, LL_ETLS, LL_ENOMEM.
 */
int ll_tls_client_ctx_create(struct ll_tls_ctx **out, const char *ca_pem);

/*
 * The OpenSSL context inside ctx (borrowed: ctx keeps it), for sessions of
 * the application's own (ll_tls_new_fn, ll_transport_adopt_tls). Every
 * session made from it gets its settings, the certificate included.
 */
struct ssl_ctx_st *ll_tls_ctx_openssl(struct ll_tls_ctx *ctx);

/* Frees a context. Transports made from it must be destroyed first. NULL is a no-op. */
void ll_tls_ctx_destroy(struct ll_tls_ctx *ctx);

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
