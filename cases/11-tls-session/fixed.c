/*
 * 11-tls-session, fixed variant.
 *
 * A wss echo server that terminates TLS itself: it makes each
 * connection's OpenSSL session (SSL_new on the server's SSL_CTX), hands
 * the session its socket through a socket BIO made with BIO_CLOSE, and
 * gets the session back from the library once the connection is over, as
 * a server that picks certificates or keeps per-session state of its own
 * must. SSL_set_bio() gives the BIO to the SSL and the BIO owns the
 * socket, so one SSL_free() ends all three.
 *
 * The leak (leak.c): end_session() returned early for a session whose
 * handshake failed, as if it had nothing to end, and so kept its SSL
 * object, record buffers, BIO and socket: about 71 KiB and one fd for
 * every client that gave up in its handshake (rsyslog issue #4319).
 *
 * The fix: a failed session is freed like any other. Only the
 * close_notify is kept for a session that got going: there is no session
 * to close on a handshake that never finished.
 */
#include <leaklab/app.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_long failed_handshakes;

/* The session for one accepted socket: the SSL owns the BIO, the BIO the socket. */
static SSL *new_session(int fd, SSL_CTX *ctx, void *arg)
{
	SSL *ssl = SSL_new(ctx);
	BIO *bio;

	(void)arg;
	if (!ssl)
		return NULL;
	bio = BIO_new_socket(fd, BIO_CLOSE);
	if (!bio) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_bio(ssl, bio, bio);
	return ssl;
}

/* The library is done with a session: say goodbye if it is healthy, and free it. */
static void end_session(SSL *ssl, enum ll_tls_end how, void *arg)
{
	(void)arg;
	if (how == LL_TLS_FAILED)
		atomic_fetch_add(&failed_handshakes, 1); /* FIX: and freed below like any other */
	else if (how == LL_TLS_CLEAN)
		(void)SSL_shutdown(ssl); /* close_notify; the peer's is not awaited */
	SSL_free(ssl);
}

static void handle(struct ll_ws_conn *conn, void *arg)
{
	(void)arg;
	ll_ws_conn_echo(conn);
	ll_ws_conn_destroy(conn);
}

/* OpenSSL's socket BIO writes with write(2): a peer gone must not kill the server. */
static int setup(void *arg)
{
	(void)arg;
	return signal(SIGPIPE, SIG_IGN) == SIG_ERR ? -1 : 0;
}

static void teardown(void *arg)
{
	(void)arg;
	fprintf(stderr, "11-tls-session: %ld failed TLS handshakes\n",
		atomic_load(&failed_handshakes));
}

int main(int argc, char **argv)
{
	static const struct ll_app app = {
	    .name = "11-tls-session-fixed",
	    .summary = "wss echo server with TLS sessions of its own, freed on every "
		       "path.",
	    .handler = handle,
	    .setup = setup,
	    .teardown = teardown,
	    .tls_session = new_session,
	    .tls_release = end_session,
	};

	return ll_app_main(&app, argc, argv);
}
