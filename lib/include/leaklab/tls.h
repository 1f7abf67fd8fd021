/*
 * leaklab/tls.h - TLS contexts (OpenSSL 3) for the transports: a server
 * context with a self-signed certificate made in memory, one from PEM
 * files, a client context; and what an application that makes its own
 * sessions (case 11) gives the library and gets back. The sessions
 * themselves are transports (leaklab/transport.h).
 */
#ifndef LEAKLAB_TLS_H
#define LEAKLAB_TLS_H

struct ll_tls_ctx;
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

#endif
