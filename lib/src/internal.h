/*
 * internal.h - helpers shared by the library's own .c files; not public.
 */
#ifndef LEAKLAB_INTERNAL_H
#define LEAKLAB_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <leaklab/transport.h>

struct ll_tls_ctx;
struct ll_transport;

/*
 * Time. Every deadline in the library is an absolute time on
 * CLOCK_MONOTONIC, so that none jumps with the wall clock, and "no
 * deadline" is always LL__NO_DEADLINE (the far future), never a special
 * negative value: comparing with the clock then needs no special case.
 * Timeouts given by callers are int milliseconds where < 0 means "wait
 * forever". These helpers are the only place that converts between the
 * two; pthread_cond_timedwait() gets its timespec from ll__timespec_ns()
 * (its condition variable must use CLOCK_MONOTONIC, see ll__cond_init()).
 */
#define LL__NO_DEADLINE INT64_MAX
#define LL__NS_PER_MS	1000000LL
#define LL__NS_PER_S	1000000000LL

/* Nanoseconds on CLOCK_MONOTONIC. */
static inline int64_t ll__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * LL__NS_PER_S + ts.tv_nsec;
}

/* Milliseconds on CLOCK_MONOTONIC. */
static inline int64_t ll__now_ms(void)
{
	return ll__now_ns() / LL__NS_PER_MS;
}

/* The deadline in ms for a timeout from now; < 0 means none (LL__NO_DEADLINE). */
static inline int64_t ll__deadline(int timeout_ms)
{
	return timeout_ms < 0 ? LL__NO_DEADLINE : ll__now_ms() + timeout_ms;
}

/* Milliseconds left until a deadline, as a poll() timeout: -1 for none, 0 if past. */
static inline int ll__remaining(int64_t deadline)
{
	int64_t left;

	if (deadline == LL__NO_DEADLINE)
		return -1;
	left = deadline - ll__now_ms();
	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* An absolute CLOCK_MONOTONIC time in ns as the timespec pthread_cond_timedwait() takes. */
static inline struct timespec ll__timespec_ns(int64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / LL__NS_PER_S),
			      .tv_nsec = (long)(ns % LL__NS_PER_S)};

	return ts;
}

/*
 * A condition variable whose timed waits use CLOCK_MONOTONIC, as every
 * deadline above does. Returns 0 or an errno value (nothing to undo then).
 */
static inline int ll__cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int rc = pthread_condattr_init(&attr);

	if (rc != 0)
		return rc;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return rc;
}

/*
 * The stack of every thread the library starts. glibc's default is the
 * stack rlimit, usually 8 MiB: a thread per connection would then reserve
 * 8 GiB of address space for 1,000 connections, and memcheck scans every
 * one of those stacks at each leak check (with 80 blocked threads, a
 * leak check took 1.7 s with 8 MiB stacks and 0.3 s with these). 256 KiB
 * is twice musl's default; the whole test suite passes with a quarter of
 * it, TLS and the sanitizers included. Go's goroutines start far smaller
 * but grow; a C thread's stack is fixed when it starts, so a handler must
 * not put large buffers on it.
 */
#ifndef LL__THREAD_STACK
#define LL__THREAD_STACK (256 * 1024)
#endif

/* pthread_create() with the library's stack size; returns 0 or an errno value. */
static inline int ll__thread_create(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc = pthread_attr_init(&attr);

	if (rc != 0)
		return rc;
	rc = pthread_attr_setstacksize(&attr, LL__THREAD_STACK);
	if (rc == 0)
		rc = pthread_create(tid, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
}

/* --- transport.c, for the library's own use ------------------------------ */

/*
 * Runs the TLS handshake on a plain transport that already exists, so that
 * another thread can ll_transport_shutdown() it while the handshake waits
 * (a server's stop must reach a client that connected and said nothing).
 * A shutdown makes it return LL_ECLOSED at once. On any failure t stays a
 * valid transport that the caller destroys (no close_notify is sent).
 * Returns 0, LL_ETLS, LL_ETIMEDOUT, LL_ECLOSED, LL_ENOMEM, LL_EIO, LL_EINVAL.
 */
int ll__transport_start_tls(struct ll_transport *t, struct ll_tls_ctx *ctx, bool server,
			    int timeout_ms);

/*
 * ll_transport_adopt_tls() on a plain transport that already exists, as
 * ll__transport_start_tls() is to ll_transport_tls(). From the call on,
 * ssl and the socket are the session's: t no longer closes the fd, and
 * ll_transport_destroy(t) hands both to release, also after a failure.
 * Returns 0, LL_ETLS, LL_ETIMEDOUT, LL_ECLOSED, LL_EIO, or LL_EINVAL
 * (a NULL argument or t already TLS: nothing was taken).
 */
int ll__transport_adopt_tls(struct ll_transport *t, struct ssl_st *ssl, bool server, int timeout_ms,
			    ll_tls_release_fn release, void *arg);

/*
 * Gives t a wake-up fd (an eventfd; -1 for none) that its reads poll
 * beside the socket: while a read waits, the fd becoming readable makes it
 * return LL_EAGAIN. The caller drains and closes the fd; the transport
 * never does. Call before any read starts.
 */
void ll__transport_set_wake(struct ll_transport *t, int fd);

/*
 * For a plain socket served from an epoll loop (ws_server.c): fn(arg) runs
 * on the reader's thread just before any read or write of t would wait,
 * so the loop can hand itself to another thread first. While fn is set, a
 * read with no time left that the last short read says would find nothing
 * returns LL_ETIMEDOUT at once: the loop's epoll, not a poll(), says when
 * more comes. Setting or clearing the hook forgets that guess (the loop
 * sets it when epoll reported the socket readable). fn NULL clears it.
 * hangup says the loop's epoll saw the peer hang up (or the socket fail):
 * a short read is then no sign of an empty socket, since the end the read
 * did not reach yet was announced by that same, edge-triggered, event.
 * Reads go on until the socket itself says EAGAIN, end or error.
 * Reader's thread only.
 */
void ll__transport_set_block_hook(struct ll_transport *t, void (*fn)(void *arg), void *arg,
				  bool hangup);

/*
 * Writes a header and a payload as one stream of bytes, in one system call
 * where the transport allows (sendmsg on a plain socket), so a frame never
 * costs two TCP segments. Same returns as ll_transport_write.
 */
int ll__transport_write2(struct ll_transport *t, const void *head, size_t hlen, const void *body,
			 size_t blen, int timeout_ms);

/* --- ws_conn.c, for ws_server.c ------------------------------------------ */

struct ll_ws_conn;

/*
 * ll_ws_conn_close_start() for a caller that must never wait: a server
 * stopping closes every connection from one thread, and one peer that
 * stopped reading must not hold up the others. The frame is written here
 * if that cannot block (the writer lock is free and the socket has room);
 * otherwise the connection's reader sends it, on its own thread, as soon
 * as it runs. The close deadline starts now either way. reason must be a
 * string that lives forever (a literal), of at most 123 bytes, and code
 * must be sendable: nothing is checked. Thread-safe; does nothing once a
 * close frame went out.
 */
void ll__ws_conn_close_soon(struct ll_ws_conn *c, unsigned code, const char *reason);

/* The connection's socket, or -1 once its owner destroyed it (the server's parker, ws_server.c). */
int ll__ws_conn_fd(struct ll_ws_conn *c);

/*
 * The server's parker reads c's messages itself (ll_ws_server_opts.on_message):
 * on_block(arg) runs before any of c's reads or writes would wait, and a
 * read with no time left answers LL_ETIMEDOUT without a poll() once the
 * socket is drained (ll__transport_set_block_hook, which hangup is passed
 * to: the loop saw the peer hang up). on_block NULL ends it.
 * The owner's thread only, like every read.
 */
void ll__ws_conn_serve(struct ll_ws_conn *c, void (*on_block)(void *arg), void *arg, bool hangup);

/* A close frame went out, or waits for the reader to send it: the close deadline runs. */
bool ll__ws_conn_closing(struct ll_ws_conn *c);

/* Bytes read but not parsed yet, which no epoll event will announce. Owner only. */
bool ll__ws_conn_buffered(const struct ll_ws_conn *c);

#endif
