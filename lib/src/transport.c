/*
 * transport.c - a byte stream over a plain TCP socket or a TLS session,
 * with deadlines, and the TCP connect/listen helpers.
 *
 * The socket is always non-blocking and every wait is a poll() with the
 * time left until the deadline, so no call can block longer than asked and
 * ll_transport_shutdown() (a shutdown(2) of the socket) wakes a reader
 * sitting in poll() in another thread.
 *
 * One thread may read while another writes. A plain socket allows that as
 * it is. An OpenSSL SSL object does not: SSL_read and SSL_write share
 * state, so every SSL_* call on a session is made under the transport's
 * lock, and the lock is dropped while waiting in poll() so the other
 * direction can make progress.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/transport.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

struct ll_transport {
	int fd;
	atomic_bool shut;     /* ll_transport_shutdown() was called */
	SSL *ssl;	      /* NULL for a plain socket */
	pthread_mutex_t lock; /* guards ssl and broken; used for TLS only */
	bool broken;	      /* a fatal TLS or socket error: no close_notify */
	bool drained;	      /* the last plain read emptied the socket; reader only */
	bool hangup;	      /* the hook's caller saw the peer hang up: no guessing; reader only */
	int wake_fd;	      /* polled beside fd by reads (ll__transport_set_wake), or -1 */
	/* Called before a plain read or write waits (ll__transport_set_block_hook); reader only. */
	void (*block_fn)(void *arg);
	void *block_arg;
	/* An application's own session (ll_transport_adopt_tls): ssl and fd are its. */
	ll_tls_release_fn release;
	void *release_arg;
	atomic_bool close_notified; /* the peer's close_notify alert was read */
};

/* --- waiting ------------------------------------------------------------ */

/*
 * Waits in poll() for events on fd until the deadline (LL__NO_DEADLINE for
 * none; see internal.h), and for wake_fd (-1: none) to become readable.
 * Returns 0 when poll reports anything on fd (including POLLHUP or POLLERR:
 * the next call on the socket says what happened), LL_EAGAIN when wake_fd
 * is readable, LL_ETIMEDOUT, or LL_EIO.
 */
static int wait_fd(int fd, short events, int64_t deadline, int wake_fd)
{
	struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = wake_fd, .events = POLLIN}};

	for (;;) {
		int n = poll(p, wake_fd >= 0 ? 2 : 1, ll__remaining(deadline));

		if (n > 0 && p[0].revents)
			return 0;
		if (n > 0)
			return LL_EAGAIN;
		if (n == 0) {
			/* poll may wake a hair early; only a passed deadline counts. */
			if (ll__now_ms() >= deadline)
				return LL_ETIMEDOUT;
			continue;
		}
		if (errno != EINTR)
			return LL_EIO;
	}
}

/* --- a socket BIO that never raises SIGPIPE ----------------------------- */

/*
 * OpenSSL's socket BIO writes with write(2), which raises SIGPIPE when the
 * peer has gone and kills a server that did not ignore the signal. The
 * library must not change the process's signal handling, so TLS sessions
 * get this BIO instead: the same thing over recv/send with MSG_NOSIGNAL.
 * Its data pointer is the transport, for the fd.
 */
static int bio_write(BIO *b, const char *buf, int len)
{
	struct ll_transport *t = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	do
		n = send(t->fd, buf, (size_t)len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
	struct ll_transport *t = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	do
		n = recv(t->fd, buf, (size_t)len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	else if (n == 0)
		BIO_set_flags(b, BIO_FLAGS_IN_EOF);
	return (int)n;
}

static int bio_puts(BIO *b, const char *s)
{
	return bio_write(b, s, (int)strlen(s));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		/* Nothing is buffered here: every write went to the kernel. */
		return 1;
	case BIO_CTRL_EOF:
		/* libssl asks this to tell a clean EOF from an error. */
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	default: return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/*
 * Written once, under nosigpipe_lock, by the first session that starts
 * (tls_init); read by every session after that. The ex_data slot holds a
 * session's transport, for the info callback.
 */
static BIO_METHOD *nosigpipe_method;
static int transport_index = -1;
static pthread_mutex_t nosigpipe_lock = PTHREAD_MUTEX_INITIALIZER;
static bool nosigpipe_tried;

/*
 * Made once and kept for the life of the process, like OpenSSL's own
 * methods (memcheck shows it as still reachable, never as lost).
 */
static void make_nosigpipe_method(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				     "leaklab socket (MSG_NOSIGNAL)");

	transport_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (!m || transport_index < 0) {
		BIO_meth_free(m);
		return;
	}
	if (BIO_meth_set_write(m, bio_write) != 1 || BIO_meth_set_read(m, bio_read) != 1 ||
	    BIO_meth_set_puts(m, bio_puts) != 1 || BIO_meth_set_ctrl(m, bio_ctrl) != 1 ||
	    BIO_meth_set_create(m, bio_create) != 1) {
		BIO_meth_free(m);
		return;
	}
	nosigpipe_method = m;
}

/*
 * Under a lock rather than pthread_once(): every session's thread then
 * reads the method and the index after a lock the maker released, an
 * order DRD and Helgrind see (pthread_once's fast path they do not).
 */
static int tls_init(void)
{
	int rc;

	pthread_mutex_lock(&nosigpipe_lock);
	if (!nosigpipe_tried) {
		nosigpipe_tried = true;
		make_nosigpipe_method();
	}
	rc = nosigpipe_method ? 0 : LL_ETLS;
	pthread_mutex_unlock(&nosigpipe_lock);
	return rc;
}

/* Notes a peer's close_notify on the session's transport (ll_transport_close_notified). */
static void info_cb(const SSL *ssl, int where, int ret)
{
	struct ll_transport *t;

	/* ret holds the alert: its level in the high byte, its description in the low one. */
	if (!(where & SSL_CB_READ_ALERT) || (ret & 0xff) != SSL3_AD_CLOSE_NOTIFY)
		return;
	t = SSL_get_ex_data(ssl, transport_index);
	if (t)
		atomic_store(&t->close_notified, true);
}

/*
 * Ties ssl to t for the info callback, which is set on the session itself
 * (the library's own sessions and adopted ones alike). Returns 0, LL_ETLS
 * or LL_ENOMEM.
 */
static int link_session(struct ll_transport *t, SSL *ssl)
{
	if (tls_init() != 0)
		return LL_ETLS;
	SSL_set_info_callback(ssl, info_cb);
	return SSL_set_ex_data(ssl, transport_index, t) == 1 ? 0 : LL_ENOMEM;
}

/* --- plain and TLS transports ------------------------------------------- */

/* Makes the fd non-blocking and disables Nagle; takes nothing over. Returns 0 or LL_EIO. */
static int prepare_fd(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	int one = 1;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return LL_EIO;
	/*
	 * A WebSocket frame is often written as a header and a payload: with
	 * Nagle's algorithm and delayed ACKs the second part waits ~40 ms.
	 * Not a TCP socket (a socketpair in a test): nothing to disable.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

/* A transport for fd, or NULL (fd untouched). */
static struct ll_transport *transport_new(int fd)
{
	struct ll_transport *t = ll_calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	/* Made for every transport, so a TLS upgrade in place cannot fail on it. */
	if (pthread_mutex_init(&t->lock, NULL) != 0) {
		ll_free(t);
		return NULL;
	}
	t->fd = fd;
	t->wake_fd = -1;
	atomic_init(&t->shut, false);
	atomic_init(&t->close_notified, false);
	return t;
}

int ll_transport_plain(struct ll_transport **out, int fd)
{
	struct ll_transport *t;
	int rc;

	if (!out || fd < 0) {
		if (fd >= 0)
			close(fd);
		return LL_EINVAL;
	}
	*out = NULL;
	rc = prepare_fd(fd);
	if (rc)
		goto out_close_fd;
	t = transport_new(fd);
	if (!t) {
		rc = LL_ENOMEM;
		goto out_close_fd;
	}
	*out = t;
	return 0;

out_close_fd:
	close(fd);
	return rc;
}

/*
 * What a failed SSL_* call means. ret is its return value; on a clean
 * SSL_ERROR_WANT_* the caller waits for *events and retries. Returns 1
 * for "wait and retry", 0 for end of stream, or a negative ll_err (the
 * session is then marked broken). Called with the lock held.
 */
static int ssl_failure(struct ll_transport *t, int ret, short *events)
{
	int err = SSL_get_error(t->ssl, ret);

	switch (err) {
	case SSL_ERROR_WANT_READ: *events = POLLIN; return 1;
	case SSL_ERROR_WANT_WRITE: *events = POLLOUT; return 1;
	case SSL_ERROR_ZERO_RETURN:
		/* close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a bare TCP EOF. */
		return 0;
	case SSL_ERROR_SYSCALL:
		t->broken = true;
		if (errno == EPIPE || errno == ECONNRESET)
			return LL_ECLOSED;
		return ERR_peek_error() != 0 ? LL_ETLS : LL_EIO;
	default: t->broken = true; return LL_ETLS;
	}
}

/* Runs the TLS handshake until done or the deadline. Returns 0 or an ll_err. */
static int tls_handshake(struct ll_transport *t, int64_t deadline)
{
	for (;;) {
		short events = 0;
		int ret, rc;

		/* Another thread shut the socket down (a server stopping): give up now. */
		if (atomic_load(&t->shut)) {
			t->broken = true;
			return LL_ECLOSED;
		}
		ERR_clear_error();
		errno = 0;
		ret = SSL_do_handshake(t->ssl);
		if (ret == 1)
			return 0;
		rc = ssl_failure(t, ret, &events);
		if (rc == 0) {
			/* The peer closed before the handshake finished. */
			t->broken = true;
			return LL_ETLS;
		}
		if (rc < 0)
			return rc == LL_ECLOSED ? LL_ETLS : rc;
		rc = wait_fd(t->fd, events, deadline, -1);
		if (rc)
			return rc;
	}
}

int ll__transport_start_tls(struct ll_transport *t, struct ll_tls_ctx *ctx, bool server,
			    int timeout_ms)
{
	int64_t deadline = ll__deadline(timeout_ms);
	BIO *bio;
	SSL *ssl;
	int rc;

	if (!t || !ctx || t->ssl)
		return LL_EINVAL;
	ERR_clear_error();
	ssl = SSL_new(ll_tls_ctx_openssl(ctx));
	if (!ssl)
		return LL_ETLS;
	rc = link_session(t, ssl);
	if (rc)
		goto out_free_ssl;
	bio = BIO_new(nosigpipe_method);
	if (!bio) {
		rc = LL_ETLS;
		goto out_free_ssl;
	}
	BIO_set_data(bio, t);
	/* The SSL object owns the BIO from here on, for reading and writing. */
	SSL_set_bio(ssl, bio, bio);
	if (server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	/*
	 * From here t is a TLS transport that ll_transport_destroy() frees
	 * whole. Until the handshake ends only this thread calls SSL_* on it
	 * (ll_transport_shutdown touches the socket alone), so no lock yet.
	 */
	t->ssl = ssl;
	rc = tls_handshake(t, deadline);
	if (rc) {
		/* No close_notify: the session never got going. */
		t->broken = true;
		ERR_clear_error();
	}
	return rc;

out_free_ssl:
	SSL_free(ssl);
	ERR_clear_error();
	return rc;
}

int ll__transport_adopt_tls(struct ll_transport *t, SSL *ssl, bool server, int timeout_ms,
			    ll_tls_release_fn release, void *arg)
{
	int64_t deadline = ll__deadline(timeout_ms);
	int rc;

	if (!t || !ssl || !release || t->ssl)
		return LL_EINVAL;
	/*
	 * The session is the application's from here, and so is the socket:
	 * destroy gives both back through release, after a failure too.
	 */
	t->ssl = ssl;
	t->release = release;
	t->release_arg = arg;
	ERR_clear_error();
	rc = link_session(t, ssl);
	if (!rc) {
		if (server)
			SSL_set_accept_state(ssl);
		else
			SSL_set_connect_state(ssl);
		rc = tls_handshake(t, deadline);
	}
	if (rc) {
		t->broken = true;
		ERR_clear_error();
	}
	return rc;
}

int ll_transport_tls(struct ll_transport **out, int fd, struct ll_tls_ctx *ctx, bool server,
		     int timeout_ms)
{
	struct ll_transport *t;
	int rc;

	if (!out || !ctx || fd < 0) {
		if (fd >= 0)
			close(fd);
		return LL_EINVAL;
	}
	*out = NULL;
	/* A plain transport first: it prepares fd and owns it (closed if this fails). */
	rc = ll_transport_plain(&t, fd);
	if (rc)
		return rc;
	rc = ll__transport_start_tls(t, ctx, server, timeout_ms);
	if (rc) {
		ll_transport_destroy(t);
		return rc == LL_ECLOSED ? LL_ETLS : rc;
	}
	*out = t;
	return 0;
}

int ll_transport_adopt_tls(struct ll_transport **out, int fd, SSL *ssl, bool server, int timeout_ms,
			   ll_tls_release_fn release, void *arg)
{
	struct ll_transport *t;
	int rc;

	if (!out || fd < 0 || !ssl || !release)
		return LL_EINVAL;
	*out = NULL;
	rc = prepare_fd(fd);
	t = rc ? NULL : transport_new(fd);
	if (!t) {
		/* Nothing was said on the socket: the session goes back unused. */
		release(ssl, LL_TLS_FAILED, arg);
		return rc ? rc : LL_ENOMEM;
	}
	rc = ll__transport_adopt_tls(t, ssl, server, timeout_ms, release, arg);
	if (rc) {
		ll_transport_destroy(t);
		return rc == LL_ECLOSED ? LL_ETLS : rc;
	}
	*out = t;
	return 0;
}

bool ll_transport_close_notified(const struct ll_transport *t)
{
	return t && atomic_load(&t->close_notified);
}

void ll__transport_set_wake(struct ll_transport *t, int fd)
{
	t->wake_fd = fd;
}

void ll__transport_set_block_hook(struct ll_transport *t, void (*fn)(void *arg), void *arg,
				  bool hangup)
{
	t->block_fn = fn;
	t->block_arg = arg;
	t->hangup = fn && hangup;
	/* The caller's epoll said the socket is readable, or the hook is going. */
	t->drained = false;
}

/* wait_fd() on a plain socket, telling its block hook first if this may wait at all. */
static int wait_plain(struct ll_transport *t, short events, int64_t deadline, int wake_fd)
{
	if (t->block_fn && ll__remaining(deadline) != 0)
		t->block_fn(t->block_arg);
	return wait_fd(t->fd, events, deadline, wake_fd);
}

static ssize_t plain_read(struct ll_transport *t, void *buf, size_t len, int64_t deadline)
{
	for (;;) {
		ssize_t n;
		int rc;

		if (atomic_load(&t->shut))
			return 0;
		/*
		 * A read that got less than it asked for most likely emptied the
		 * socket, so the next one waits first: a recv() that could only
		 * say EAGAIN would cost a system call per message for nothing.
		 * A wrong guess costs a poll() that returns at once. A wait that
		 * times out leaves the guess standing for the next read.
		 */
		if (t->drained) {
			/*
			 * Under a block hook the caller's epoll watches the socket:
			 * a read that may not wait needs no poll() to say "nothing".
			 */
			if (t->block_fn && ll__remaining(deadline) == 0)
				return LL_ETIMEDOUT;
			rc = wait_plain(t, POLLIN, deadline, t->wake_fd);
			if (rc)
				return rc;
			t->drained = false;
			continue;
		}
		n = recv(t->fd, buf, len, 0);
		if (n >= 0) {
			/*
			 * Not after a hang-up: the end (or a reset) may be
			 * queued behind the data, and the edge-triggered
			 * event that said so is spent. Only recv sees it.
			 */
			t->drained = n > 0 && (size_t)n < len && !t->hangup;
			return n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return LL_EIO;
		t->drained = true;
	}
}

static ssize_t tls_read(struct ll_transport *t, void *buf, size_t len, int64_t deadline)
{
	int chunk = len > INT_MAX ? INT_MAX : (int)len;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		short events = 0;
		int n, rc;

		if (atomic_load(&t->shut)) {
			pthread_mutex_unlock(&t->lock);
			return 0;
		}
		if (t->broken) {
			pthread_mutex_unlock(&t->lock);
			return LL_ETLS;
		}
		ERR_clear_error();
		errno = 0;
		n = SSL_read(t->ssl, buf, chunk);
		if (n > 0) {
			pthread_mutex_unlock(&t->lock);
			return n;
		}
		rc = ssl_failure(t, n, &events);
		if (rc <= 0) {
			pthread_mutex_unlock(&t->lock);
			/* A reset reads as LL_EIO (errno ECONNRESET), as on a plain socket. */
			return rc == LL_ECLOSED ? LL_EIO : rc;
		}
		/*
		 * A whole record may already sit in OpenSSL's buffer (a
		 * writer's call can pull one in): poll() would not see it.
		 */
		if (SSL_has_pending(t->ssl))
			continue;
		pthread_mutex_unlock(&t->lock);
		/* A read waits for the wake-up fd too; a write (WANT_WRITE) needs no waking. */
		rc = wait_fd(t->fd, events, deadline, t->wake_fd);
		pthread_mutex_lock(&t->lock);
		if (rc) {
			pthread_mutex_unlock(&t->lock);
			return rc;
		}
	}
}

ssize_t ll_transport_read(struct ll_transport *t, void *buf, size_t len, int timeout_ms)
{
	int64_t deadline = ll__deadline(timeout_ms);

	if (!t || (!buf && len))
		return LL_EINVAL;
	if (len == 0)
		return 0;
	return t->ssl ? tls_read(t, buf, len, deadline) : plain_read(t, buf, len, deadline);
}

static int plain_write(struct ll_transport *t, const char *p, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t n;
		int rc;

		if (atomic_load(&t->shut))
			return LL_ECLOSED;
		n = send(t->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return errno == EPIPE || errno == ECONNRESET ? LL_ECLOSED : LL_EIO;
		rc = wait_plain(t, POLLOUT, deadline, -1);
		if (rc)
			return rc;
	}
	return 0;
}

static int tls_write(struct ll_transport *t, const char *p, size_t len, int64_t deadline)
{
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	while (len > 0) {
		int chunk = len > INT_MAX ? INT_MAX : (int)len;
		short events = 0;
		int n;

		if (atomic_load(&t->shut)) {
			rc = LL_ECLOSED;
			break;
		}
		if (t->broken) {
			rc = LL_ETLS;
			break;
		}
		ERR_clear_error();
		errno = 0;
		n = SSL_write(t->ssl, p, chunk);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		rc = ssl_failure(t, n, &events);
		if (rc <= 0) {
			/* close_notify already seen: the peer will read no more. */
			rc = rc == 0 ? LL_ECLOSED : rc;
			break;
		}
		/* SSL_write must be retried with the same bytes; p and len stay put. */
		pthread_mutex_unlock(&t->lock);
		rc = wait_fd(t->fd, events, deadline, -1);
		pthread_mutex_lock(&t->lock);
		if (rc)
			break;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int ll_transport_write(struct ll_transport *t, const void *buf, size_t len, int timeout_ms)
{
	int64_t deadline = ll__deadline(timeout_ms);

	if (!t || (!buf && len))
		return LL_EINVAL;
	return t->ssl ? tls_write(t, buf, len, deadline) : plain_write(t, buf, len, deadline);
}

/* Both parts in one sendmsg() as long as both remain, then the rest with plain_write. */
static int plain_write2(struct ll_transport *t, const char *head, size_t hlen, const char *body,
			size_t blen, int64_t deadline)
{
	while (hlen > 0) {
		struct iovec iov[2] = {{(void *)head, hlen}, {(void *)body, blen}};
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = blen ? 2 : 1};
		ssize_t n;
		int rc;

		if (atomic_load(&t->shut))
			return LL_ECLOSED;
		n = sendmsg(t->fd, &mh, MSG_NOSIGNAL);
		if (n > 0) {
			size_t k = (size_t)n < hlen ? (size_t)n : hlen;

			head += k;
			hlen -= k;
			body += (size_t)n - k;
			blen -= (size_t)n - k;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return errno == EPIPE || errno == ECONNRESET ? LL_ECLOSED : LL_EIO;
		rc = wait_plain(t, POLLOUT, deadline, -1);
		if (rc)
			return rc;
	}
	return plain_write(t, body, blen, deadline);
}

int ll__transport_write2(struct ll_transport *t, const void *head, size_t hlen, const void *body,
			 size_t blen, int timeout_ms)
{
	int64_t deadline = ll__deadline(timeout_ms);
	int rc;

	if (!t || (!head && hlen) || (!body && blen))
		return LL_EINVAL;
	if (!t->ssl)
		return plain_write2(t, head, hlen, body, blen, deadline);
	/* TLS has no gather write: two records, under one deadline. */
	rc = tls_write(t, head, hlen, deadline);
	return rc ? rc : tls_write(t, body, blen, deadline);
}

void ll_transport_shutdown(struct ll_transport *t)
{
	if (!t)
		return;
	/*
	 * shutdown(2), not close(2): the fd number stays ours, so no other
	 * thread can have it reused under it, and a poll() on it returns
	 * (POLLIN|POLLHUP) at once. Only the first call does it.
	 */
	if (!atomic_exchange(&t->shut, true))
		shutdown(t->fd, SHUT_RDWR);
}

/*
 * How a TLS session ends now: the one rule for whether close_notify is due
 * (LL_TLS_CLEAN), for the library's sessions and the application's alike.
 */
static enum ll_tls_end session_end(struct ll_transport *t)
{
	if (!SSL_is_init_finished(t->ssl))
		return LL_TLS_FAILED;
	if (t->broken || atomic_load(&t->shut))
		return LL_TLS_BROKEN;
	return LL_TLS_CLEAN;
}

void ll_transport_destroy(struct ll_transport *t)
{
	if (!t)
		return;
	if (t->release) {
		/* An application's session: release gets it, with the socket. */
		enum ll_tls_end how = session_end(t);

		/* The transport is about to go: the info callback must not find it. */
		SSL_set_ex_data(t->ssl, transport_index, NULL);
		ERR_clear_error();
		t->release(t->ssl, how, t->release_arg);
		ERR_clear_error();
	} else if (t->ssl) {
		/*
		 * RFC 5246 section 7.2.1 / RFC 8446 section 6.1: announce the
		 * end with close_notify. One non-blocking attempt: the peer's
		 * close_notify is not awaited, and a full socket buffer just
		 * means the peer sees a bare EOF instead.
		 */
		if (session_end(t) == LL_TLS_CLEAN) {
			ERR_clear_error();
			(void)SSL_shutdown(t->ssl);
		}
		SSL_free(t->ssl);
		/* Leave no stale errors in this thread's queue for the next caller. */
		ERR_clear_error();
	}
	if (!t->release)
		close(t->fd);
	pthread_mutex_destroy(&t->lock);
	ll_free(t);
}

int ll_transport_fd(const struct ll_transport *t)
{
	return t ? t->fd : -1;
}

bool ll_transport_is_tls(const struct ll_transport *t)
{
	return t && t->ssl;
}

/* --- TCP helpers -------------------------------------------------------- */

/*
 * Resolves host:port for a stream socket: a numeric address first (no DNS
 * lookup, no surprise delay), then a name. Returns 0 or LL_EIO.
 */
static int resolve(const char *host, unsigned port, int flags, struct addrinfo **res)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = flags | AI_NUMERICSERV};
	char service[8];

	snprintf(service, sizeof(service), "%u", port);
	hints.ai_flags |= AI_NUMERICHOST;
	if (getaddrinfo(host, service, &hints, res) == 0)
		return 0;
	hints.ai_flags &= ~AI_NUMERICHOST;
	if (getaddrinfo(host, service, &hints, res) == 0)
		return 0;
	errno = EHOSTUNREACH;
	return LL_EIO;
}

/* Connects one address before the deadline. Returns the fd or an ll_err. */
static int connect_one(const struct addrinfo *ai, int64_t deadline)
{
	int fd, rc, err = 0, one = 1;
	socklen_t elen = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return LL_EIO;
	/* EINTR leaves the connect running in the background, like EINPROGRESS. */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS && errno != EINTR) {
			rc = LL_EIO;
			goto out_close_fd;
		}
		rc = wait_fd(fd, POLLOUT, deadline, -1);
		if (rc)
			goto out_close_fd;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) {
			rc = LL_EIO;
			goto out_close_fd;
		}
		if (err != 0) {
			errno = err;
			rc = LL_EIO;
			goto out_close_fd;
		}
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;

out_close_fd:
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int ll_tcp_connect(const char *host, unsigned port, int timeout_ms)
{
	int64_t deadline = ll__deadline(timeout_ms);
	struct addrinfo *res, *ai;
	int rc;

	if (!host || port == 0 || port > 65535)
		return LL_EINVAL;
	rc = resolve(host, port, 0, &res);
	if (rc)
		return rc;
	rc = LL_EIO;
	for (ai = res; ai; ai = ai->ai_next) {
		rc = connect_one(ai, deadline);
		if (rc >= 0 || rc == LL_ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	return rc;
}

int ll_tcp_listen(const char *host, unsigned port, int backlog, unsigned *bound_port)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	struct addrinfo *res;
	int fd, rc, err, one = 1;

	if (!host || port > 65535)
		return LL_EINVAL;
	rc = resolve(host, port, AI_PASSIVE, &res);
	if (rc)
		return rc;
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    res->ai_protocol);
	if (fd < 0) {
		rc = LL_EIO;
		goto out_free_res;
	}
	/* A restarted server can bind again while old connections sit in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, backlog > 0 ? backlog : SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &slen) < 0) {
		rc = LL_EIO;
		goto out_close_fd;
	}
	if (bound_port)
		*bound_port = ss.ss_family == AF_INET6
				  ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
				  : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	freeaddrinfo(res);
	return fd;

out_close_fd:
	err = errno;
	close(fd);
	errno = err;
out_free_res:
	freeaddrinfo(res);
	return rc;
}
