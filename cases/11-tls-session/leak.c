/*
 * 11-tls-session, leaking variant.
 *
 * A wss echo server that terminates TLS itself: it makes each
 * connection's OpenSSL session (SSL_new on the server's SSL_CTX), hands
 * the session its socket through a socket BIO made with BIO_CLOSE, and
 * gets the session back from the library once the connection is over, as
 * a server that picks certificates or keeps per-session state of its own
 * must. SSL_set_bio() gives the BIO to the SSL and the BIO owns the
 * socket, so one SSL_free() ends all three.
 *
 * What leaks: a client that gives up in the middle of its TLS handshake (a
 * ClientHello cut short, a plain-text client on the TLS port, a scanner)
 * leaves its SSL object, the record buffers the handshake made, the BIO
 * and the socket behind: about 71 KiB of heap and one fd per client.
 *
 * Why: end_session() thinks a session that never finished its handshake
 * has nothing to end, counts it and returns early. But SSL_new() and the
 * first SSL_do_handshake() have already allocated everything a finished
 * session holds, and the socket is the session's too. rsyslog's OpenSSL
 * driver leaked exactly so, a block per failed handshake (rsyslog issue
 * #4319, fixed in pull request #4321).
 *
 * The fix (fixed.c): free the session on every path; only the
 * close_notify is for a session that got going.
 *
 * Signals: heap and fds per aborted handshake (the tls-bad scenario);
 * definitely lost under memcheck.
 *
 * Output: ./build/bin/leaklab-check --case 11-tls-session --variant leak --native
 *   verdict: leak reproduced: fds +1.00/client, scales 2.0x; heap +72860 bytes/client, scales 2.0x
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
	if (how == LL_TLS_FAILED) {
		/* LEAK: "nothing to close": but the SSL, its BIO and the socket stay. */
		atomic_fetch_add(&failed_handshakes, 1);
		return;
	}
	if (how == LL_TLS_CLEAN)
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
	    .name = "11-tls-session-leak",
	    .summary = "wss echo server with TLS sessions of its own, not freed when a "
		       "handshake fails.",
	    .handler = handle,
	    .setup = setup,
	    .teardown = teardown,
	    .tls_session = new_session,
	    .tls_release = end_session,
	};

	return ll_app_main(&app, argc, argv);
}
