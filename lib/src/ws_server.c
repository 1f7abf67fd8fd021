/*
 * ws_server.c - accept loop, one thread per connection, opening handshake
 * with a deadline, and a graceful stop that closes every connection with
 * 1001 and joins every thread it started. With park_fresh, a connection
 * that has sent nothing since its handshake waits in the parker's epoll
 * set instead of on a thread of its own; with on_message, the parker also
 * serves its messages and it stays in the set (see serve below).
 *
 * Every accepted socket is a "slot" on the server's list from accept until
 * its thread ends, or until the parker ends it. A slot holds the transport
 * while the handshake runs and a reference to the connection while the
 * handler runs, so that stop can reach both; the handler owns the connection.
 */
#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/group.h>
#include <leaklab/probe.h>
#include <leaklab/ws_handshake.h>
#include <leaklab/ws_server.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#define DEFAULT_MAX_CONNS	     1024
#define DEFAULT_HANDSHAKE_TIMEOUT_MS 5000
/* How long an error response may take to go out before we hang up anyway. */
#define REFUSE_TIMEOUT_MS 500
/* Clients over the limit answered with 503 at once; more are just closed. */
#define MAX_REFUSERS 8
/* The accept loop wakes this often to join connection threads that ended. */
#define REAP_INTERVAL_MS 1000
/*
 * Out of fds (or socket memory), accept4 fails and leaves the client in
 * the backlog, so poll() reports it again at once: without a pause the
 * loop spins at 100% of a core. It pauses instead, from 5 ms doubling to
 * 1 s, as Go's net/http Server.Serve does, and starts again from 5 ms
 * after the next accept that works.
 */
#define ACCEPT_BACKOFF_MIN_MS 5
#define ACCEPT_BACKOFF_MAX_MS 1000
/* Events the parker takes from epoll at once. */
#define PARK_BATCH 64
/* Messages the parker serves from one connection before it looks at the others. */
#define SERVE_MESSAGES 16

struct slot {
	struct slot *prev, *next;
	struct ll_ws_server *srv;
	int fd;	     /* the accepted socket, until a transport owns it */
	bool parked; /* waiting in the parker's epoll set, without a thread */
	/* With on_message (all guarded by the server's lock): */
	bool again;		 /* readable again while served: serve once more */
	bool hangup;		 /* epoll reported the peer's hang-up or an error */
	uint8_t outcome;	 /* how a retired parker's serve ended (enum serve_end) */
	struct slot *ret_next;	 /* on the server's returned list */
	struct ll_transport *t;	 /* during the HTTP upgrade */
	struct ll_ws_conn *conn; /* the server's reference while the handler runs or waits */
};

struct ll_ws_server {
	struct ll_ws_server_opts opts;
	char host[64];
	unsigned port;
	int lfd;
	int wake[2]; /* a byte in wake[1] tells the accept loop to stop */
	atomic_bool stopping;
	atomic_int refusing; /* 503 answers under way */
	int backoff_ms;	     /* the accept loop's current pause, 0 when accepting works */

	pthread_mutex_t lock;	/* guards the slot list and nslots */
	pthread_cond_t drained; /* signalled whenever a slot goes away */
	struct slot *slots;
	size_t nslots;
	struct ll_group *group;

	/*
	 * With opts.park_fresh: an epoll set of the parked connections'
	 * sockets and of park_wake (stop's wake-up), watched by one thread,
	 * the parker. park_open (guarded by lock) says it still takes more.
	 */
	int epfd, park_wake;
	bool park_open;
	/*
	 * With on_message: slots that a retired parker finished serving, for
	 * the parker to settle (serve_done), and an eventfd in the set
	 * (data.ptr RET_MARK) that says the list has some.
	 */
	struct slot *returned;
	int ret_wake;
};

/* The epoll data of ret_wake: neither NULL (stop) nor a slot. */
static char ret_mark;
#define RET_MARK ((void *)&ret_mark)

/*
 * The parker's epoll set, with park_wake in it (data.ptr NULL) and, with
 * on_message, ret_wake (RET_MARK). Returns 0 or LL_EIO.
 */
static int park_prepare(struct ll_ws_server *s)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct epoll_event rev = {.events = EPOLLIN, .data.ptr = RET_MARK};

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->park_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->epfd < 0 || s->park_wake < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->park_wake, &ev) != 0)
		return LL_EIO;
	if (!s->opts.on_message)
		return 0;
	s->ret_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->ret_wake < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->ret_wake, &rev) != 0)
		return LL_EIO;
	return 0;
}

static void park_close(struct ll_ws_server *s)
{
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->park_wake >= 0)
		close(s->park_wake);
	if (s->ret_wake >= 0)
		close(s->ret_wake);
	s->epfd = s->park_wake = s->ret_wake = -1;
}

int ll_ws_server_create(struct ll_ws_server **out, const struct ll_ws_server_opts *opts)
{
	struct ll_ws_server *s;
	int err;

	*out = NULL;
	if (!opts || !opts->handler || (opts->tls_session && !opts->tls_release))
		return LL_EINVAL;
	s = ll_calloc(1, sizeof(*s));
	if (!s)
		return LL_ENOMEM;
	s->opts = *opts;
	snprintf(s->host, sizeof(s->host), "%s", opts->host ? opts->host : "127.0.0.1");
	s->opts.host = s->host;
	if (!s->opts.max_conns)
		s->opts.max_conns = DEFAULT_MAX_CONNS;
	if (s->opts.handshake_timeout_ms <= 0)
		s->opts.handshake_timeout_ms = DEFAULT_HANDSHAKE_TIMEOUT_MS;
	s->epfd = s->park_wake = s->ret_wake = -1;

	err = ll_group_create(&s->group);
	if (err)
		goto out_free_server;
	/* TLS may hold decrypted bytes that the socket's readiness does not show: no parking. */
	if (opts->park_fresh && !opts->tls) {
		err = park_prepare(s);
		if (err)
			goto out_destroy_group;
	}
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		err = LL_EIO;
		goto out_destroy_group;
	}
	s->lfd = ll_tcp_listen(s->host, opts->port, 512, &s->port);
	if (s->lfd < 0) {
		err = s->lfd;
		goto out_close_pipe;
	}
	/* Neither fails on glibc with these attributes; POSIX allows both to (EAGAIN, ENOMEM). */
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		err = LL_ENOMEM;
		goto out_close_listener;
	}
	if (ll__cond_init(&s->drained) != 0) {
		err = LL_ENOMEM;
		goto out_destroy_lock;
	}
	*out = s;
	return 0;

out_destroy_lock:
	pthread_mutex_destroy(&s->lock);
out_close_listener:
	close(s->lfd);
out_close_pipe:
	close(s->wake[0]);
	close(s->wake[1]);
out_destroy_group:
	park_close(s);
	ll_group_destroy(s->group);
out_free_server:
	ll_free(s);
	return err;
}

unsigned ll_ws_server_port(const struct ll_ws_server *s)
{
	return s->port;
}

size_t ll_ws_server_conn_count(struct ll_ws_server *s)
{
	size_t n = 0;
	struct slot *sl;

	pthread_mutex_lock(&s->lock);
	for (sl = s->slots; sl; sl = sl->next)
		n += sl->conn != NULL;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void unlink_slot(struct ll_ws_server *s, struct slot *sl)
{
	pthread_mutex_lock(&s->lock);
	if (sl->prev)
		sl->prev->next = sl->next;
	else
		s->slots = sl->next;
	if (sl->next)
		sl->next->prev = sl->prev;
	s->nslots--;
	pthread_cond_broadcast(&s->drained);
	pthread_mutex_unlock(&s->lock);
}

/*
 * Sends a complete HTTP response and hangs up gently: the write side is
 * closed first and what the client still sends is read and dropped for a
 * moment, so that close() does not turn into a reset that could destroy
 * the response before the client read it. The caller destroys t.
 */
static void respond(struct ll_transport *t, const char *resp, size_t len)
{
	char sink[1024];
	int64_t deadline = ll__now_ms() + REFUSE_TIMEOUT_MS;

	if (ll_transport_write(t, resp, len, REFUSE_TIMEOUT_MS) == 0 && !ll_transport_is_tls(t)) {
		shutdown(ll_transport_fd(t), SHUT_WR);
		while (ll_transport_read(t, sink, sizeof(sink), ll__remaining(deadline)) > 0)
			;
	}
}

static void respond_status(struct ll_transport *t, int status, const struct ll_http_request *req)
{
	char resp[512];
	int n = ll_ws_handshake_response(status, req, resp, sizeof(resp));

	if (n > 0)
		respond(t, resp, (size_t)n);
}

/*
 * GET /metrics: the probe in Prometheus text format. The 4 KiB of buffers
 * are on the heap, not the stack: inlined into upgrade(), they made every
 * connection thread touch a stack page more, which stays resident for the
 * connection's life. Without memory there is no answer, only the hang-up.
 */
static void respond_metrics(struct ll_ws_server *s, struct ll_transport *t)
{
	enum { BODY = 2048, RESP = 2304 };
	char *body = ll_malloc(BODY);
	char *resp = ll_malloc(RESP);
	size_t conns;
	int n, m;

	if (!body || !resp)
		goto out_free;
	/*
	 * The connections first, then the threads: a connection thread that
	 * ends between the two is then counted in neither or in the
	 * connections only, never as a thread without a connection.
	 */
	pthread_mutex_lock(&s->lock);
	conns = s->nslots;
	pthread_mutex_unlock(&s->lock);
	n = ll_probe_format_metrics(body, BODY);
	if (n >= 0) {
		m = snprintf(body + n, BODY - (size_t)n,
			     "# HELP " LL_PROBE_METRIC_CONNECTIONS " %s\n"
			     "# TYPE " LL_PROBE_METRIC_CONNECTIONS
			     " gauge\n" LL_PROBE_METRIC_CONNECTIONS " %zu\n",
			     s->epfd >= 0 ? "Connections this server holds, each with its thread "
					    "but those parked until they send."
					  : "Connections this server holds, each with its thread.",
			     conns);
		n = m > 0 && m < BODY - n ? n + m : -1;
	}
	if (n >= 0) {
		n = snprintf(resp, RESP,
			     "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
			     "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
			     n, body);
		respond(t, resp, (size_t)n);
	}
out_free:
	ll_free(resp);
	ll_free(body);
}

/*
 * Reads and answers the HTTP upgrade (section 4.2). Returns 0 when the
 * client was answered with 101; *pre_len then counts the bytes behind the
 * request head, already in buf, and *user holds what the application's
 * check left (the caller owns it). Returns -1 when the client was answered
 * with an error, or vanished, or stop shut the socket. Either way the
 * transport stays the caller's (the slot's), so that stop can reach it.
 */
static int upgrade(struct ll_ws_server *s, struct ll_transport *t, int64_t deadline, char *buf,
		   size_t size, size_t *pre_off, size_t *pre_len, void **user)
{
	struct ll_http_request req;
	size_t len = 0;
	int status, r, n;

	memset(&req, 0, sizeof(req));
	for (;;) {
		ssize_t got = ll_transport_read(t, buf + len, size - len, ll__remaining(deadline));

		if (got <= 0) /* gone, timed out or shut down by stop: nothing to answer */
			return -1;
		len += (size_t)got;
		r = ll_http_request_parse(buf, len, &req);
		if (r != LL_EAGAIN)
			break;
	}
	if (r == LL_ETOOBIG) {
		respond_status(t, 431, &req);
		return -1;
	}
	if (r < 0) {
		respond_status(t, 400, &req);
		return -1;
	}
	if (s->opts.metrics && !req.upgrade_websocket && strcmp(req.method, "GET") == 0 &&
	    strcmp(req.path, "/metrics") == 0) {
		respond_metrics(s, t);
		return -1;
	}
	status = ll_ws_handshake_check(&req);
	if (status == 101 && s->opts.check) {
		status = s->opts.check(&req, user, s->opts.arg);
		if (status != 101 && status != 400 && status != 401 && status != 403 &&
		    status != 503)
			status = 500;
	}
	if (status != 101) {
		respond_status(t, status, &req);
		return -1;
	}
	{
		char resp[512];

		n = ll_ws_handshake_response(101, &req, resp, sizeof(resp));
		if (n < 0 || ll_transport_write(t, resp, (size_t)n, ll__remaining(deadline)) != 0)
			return -1;
	}
	/* Frames the client sent right behind its request belong to the connection. */
	*pre_off = req.header_size;
	*pre_len = len - req.header_size;
	return 0;
}

/* Takes the slot's transport away from stop's reach; afterwards the caller may free it. */
static void unhook_transport(struct ll_ws_server *s, struct slot *sl)
{
	pthread_mutex_lock(&s->lock);
	sl->t = NULL;
	pthread_mutex_unlock(&s->lock);
}

/*
 * The TLS handshake on the slot's transport, with a session of the
 * library's or, when the application makes its own, of the application's.
 * Returns 0 or an ll_err; t is the caller's to destroy either way.
 */
static int start_tls(struct ll_ws_server *s, struct ll_transport *t, int64_t deadline)
{
	struct ssl_st *ssl;

	if (!s->opts.tls_session)
		return ll__transport_start_tls(t, s->opts.tls, true, ll__remaining(deadline));
	ssl = s->opts.tls_session(ll_transport_fd(t), ll_tls_ctx_openssl(s->opts.tls), s->opts.arg);
	if (!ssl)
		return LL_ETLS; /* refused: the socket is still t's */
	return ll__transport_adopt_tls(t, ssl, true, ll__remaining(deadline), s->opts.tls_release,
				       s->opts.arg);
}

/* After the handler: drops the server's reference to the connection, and the slot. */
static void handler_done(struct ll_ws_server *s, struct slot *sl)
{
	struct ll_ws_conn *conn;

	pthread_mutex_lock(&s->lock);
	conn = sl->conn;
	sl->conn = NULL;
	pthread_mutex_unlock(&s->lock);
	ll_ws_conn_release(conn);
	unlink_slot(s, sl);
	ll_free(sl);
}

/*
 * How a parked socket is watched. Without on_message, once: its first
 * event takes it off the set for good. With it, edge-triggered for the
 * connection's life, so that going back to the set after each message
 * costs no system call; the slot's parked flag says who owns it, and an
 * event that finds it served sets again instead.
 */
static uint32_t park_events(const struct ll_ws_server *s)
{
	return EPOLLIN | EPOLLRDHUP | (s->opts.on_message ? EPOLLET : EPOLLONESHOT);
}

/* Has epoll report a parked socket again if it is readable now (EPOLL_CTL_MOD does). */
static void rearm(struct ll_ws_server *s, struct slot *sl)
{
	struct epoll_event ev = {.events = park_events(s), .data.ptr = sl};

	epoll_ctl(s->epfd, EPOLL_CTL_MOD, ll__ws_conn_fd(sl->conn), &ev);
}

/*
 * Hands a fresh connection to the parker: its socket joins the epoll set
 * and this thread may end. Returns false when the server does not park
 * (no park_fresh, TLS, or the parker has stopped taking any) or epoll
 * refused; the caller then runs the handler itself.
 */
static bool park(struct ll_ws_server *s, struct slot *sl)
{
	struct epoll_event ev = {.events = park_events(s), .data.ptr = sl};
	bool parked = false;

	pthread_mutex_lock(&s->lock);
	if (s->park_open && !atomic_load(&s->stopping) &&
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, ll__ws_conn_fd(sl->conn), &ev) == 0)
		parked = sl->parked = true;
	pthread_mutex_unlock(&s->lock);
	return parked;
}

/*
 * A parked connection's own thread, started once its client sent
 * something. The handler's reference is the server's pointer: both are
 * the one connection, and sl->conn changes only after the handler.
 */
static void unparked_thread(void *arg)
{
	struct slot *sl = arg;
	struct ll_ws_server *s = sl->srv;

	s->opts.handler(sl->conn, s->opts.arg);
	handler_done(s, sl);
}

/*
 * The end of a connection that has no handler running: the server
 * destroys it for the handler, and passes on a user it still holds.
 */
static void end_unhandled(struct ll_ws_server *s, struct slot *sl)
{
	struct ll_ws_conn *conn = sl->conn;
	void *user = ll_ws_conn_user(conn);

	ll_ws_conn_set_user(conn, NULL);
	ll_ws_conn_destroy(conn); /* the handler's reference */
	handler_done(s, sl);	  /* the server's, and the slot */
	if (user && s->opts.drop_user)
		s->opts.drop_user(user, s->opts.arg);
}

/*
 * Starts the handler of a slot just taken off the parked set. Without a
 * thread for it (EAGAIN), the connection ends unanswered, as if the
 * handler had returned at once; the user the check left is dropped.
 */
static void unpark(struct ll_ws_server *s, struct slot *sl)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, ll__ws_conn_fd(sl->conn), NULL);
	if (ll_group_go(s->group, unparked_thread, sl) != 0)
		end_unhandled(s, sl);
}

/*
 * Serving with on_message. The parker takes a readable slot off the set
 * and serves it (serve), then settles it (serve_done): back to the set,
 * to a thread of its own, or ended. At most one parker waits in
 * epoll_wait at a time, and only it settles slots, so an event it holds
 * never names a slot that another thread freed: epoll reports a socket
 * once per epoll_wait, and EPOLL_CTL_DEL comes before any free. A parker
 * whose connection is about to block on a write hands the set to a new
 * parker (hand_off) and is "retired": it finishes that connection alone,
 * returns the slot to the server's list for the parker to settle, and
 * ends.
 */
enum serve_end {
	SERVE_DRAINED, /* nothing more to read now */
	SERVE_BUDGET,  /* SERVE_MESSAGES messages, and more waiting in the socket */
	SERVE_CLOSING, /* a close is under way: its deadline needs a reader that waits */
	SERVE_ENDED,   /* the connection is over */
};

struct parker {
	struct ll_ws_server *srv;
	struct epoll_event ev[PARK_BATCH];
	int n, next; /* events in ev, and the first not yet taken */
	bool retired;
};

static void parker_thread(void *arg);

/*
 * Notes an event's hang-up on its slot, under the server's lock. Edge-
 * triggered, the peer's FIN or reset is reported once, often in the event
 * that reports the last data: serve must then read on to the end, not stop
 * at a short read (ll__transport_set_block_hook).
 */
static void note_hangup(struct slot *sl, uint32_t events)
{
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		sl->hangup = true;
}

/*
 * The block hook of a connection the parker serves (ll__ws_conn_serve):
 * a write is about to wait on its peer. The events of this batch not
 * taken yet go back to epoll (a parked socket is reported again if it is
 * still readable; a slot served elsewhere is marked again), then a new
 * parker takes the set, and this thread stays with its connection alone.
 * Without a thread to spare, the parker waits (and so does every parked
 * connection), as a handler's thread would.
 */
static void hand_off(void *arg)
{
	struct parker *p = arg;
	struct ll_ws_server *s = p->srv;

	if (p->retired)
		return;
	pthread_mutex_lock(&s->lock);
	for (int i = p->next; i < p->n; i++) {
		struct slot *sl = p->ev[i].data.ptr;

		/* The stop and returned-list events are level-triggered: seen again. */
		if (sl == NULL || sl == RET_MARK)
			continue;
		note_hangup(sl, p->ev[i].events);
		if (sl->parked)
			rearm(s, sl);
		else
			sl->again = true;
	}
	pthread_mutex_unlock(&s->lock);
	if (ll_group_go(s->group, parker_thread, s) != 0)
		return;
	p->retired = true;
	p->n = p->next;
}

/*
 * Serves a slot just taken off the parked set with on_message: its
 * messages until the socket is drained, or SERVE_MESSAGES of them so that
 * one busy client cannot starve the rest.
 */
static enum serve_end serve(struct parker *p, struct slot *sl, bool hangup)
{
	struct ll_ws_server *s = p->srv;
	struct ll_ws_conn *conn = sl->conn;
	enum serve_end end = SERVE_DRAINED;
	int budget = SERVE_MESSAGES;

	ll__ws_conn_serve(conn, hand_off, p, hangup);
	for (;;) {
		struct ll_ws_msg msg;
		int err = ll_ws_conn_recv(conn, &msg, 0);

		if (err == LL_ETIMEDOUT)
			break;
		if (err == 0) {
			err = s->opts.on_message(conn, &msg, s->opts.arg);
			ll_ws_msg_free(&msg);
		}
		if (err) {
			end = SERVE_ENDED;
			break;
		}
		/* Bytes read but not parsed are no event's to announce: those are served now. */
		if (--budget <= 0 && !ll__ws_conn_buffered(conn)) {
			end = SERVE_BUDGET;
			break;
		}
	}
	ll__ws_conn_serve(conn, NULL, NULL, false);
	if (end != SERVE_ENDED && ll__ws_conn_closing(conn))
		end = SERVE_CLOSING;
	return end;
}

/*
 * Settles a slot after serve. Parked again, unless an event came while it
 * was served (it is served once more) or the set takes no more (stop:
 * its handler's thread then answers the 1001). Returns true when the
 * caller should serve it again, with *hangup as serve's.
 */
static bool serve_done(struct ll_ws_server *s, struct slot *sl, enum serve_end end, bool *hangup)
{
	bool open, again = false;

	if (end == SERVE_ENDED) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, ll__ws_conn_fd(sl->conn), NULL);
		end_unhandled(s, sl);
		return false;
	}
	pthread_mutex_lock(&s->lock);
	open = s->park_open && !atomic_load(&s->stopping) && end != SERVE_CLOSING;
	if (open && sl->again) {
		sl->again = false;
		again = true;
		*hangup = sl->hangup;
	} else if (open) {
		sl->parked = true;
		/* Left unread by the budget: reported again, after the others. */
		if (end == SERVE_BUDGET)
			rearm(s, sl);
	}
	pthread_mutex_unlock(&s->lock);
	if (!open)
		unpark(s, sl);
	return again;
}

/*
 * A retired parker's slot, served: onto the returned list for the parker
 * to settle. Returns false once the parker has stopped (nobody reads
 * events then), and the caller settles it itself.
 */
static bool give_back(struct ll_ws_server *s, struct slot *sl, enum serve_end end)
{
	uint64_t one = 1;
	bool queued;

	pthread_mutex_lock(&s->lock);
	queued = s->park_open;
	if (queued) {
		sl->outcome = end;
		sl->ret_next = s->returned;
		s->returned = sl;
	}
	pthread_mutex_unlock(&s->lock);
	if (queued && write(s->ret_wake, &one, sizeof(one)) < 0) {
		/* Cannot fail: an eventfd's counter is far from full. */
	}
	return queued;
}

/* Serves a slot and settles it, as often as it asks. hangup: sl->hangup, read under the lock. */
static void serve_slot(struct parker *p, struct slot *sl, bool hangup)
{
	enum serve_end end;

	do {
		end = serve(p, sl, hangup);
		if (p->retired && give_back(p->srv, sl, end))
			return;
	} while (serve_done(p->srv, sl, end, &hangup));
}

/* The next slot a retired parker returned, or NULL. */
static struct slot *take_returned(struct ll_ws_server *s)
{
	struct slot *sl;

	pthread_mutex_lock(&s->lock);
	sl = s->returned;
	if (sl)
		s->returned = sl->ret_next;
	pthread_mutex_unlock(&s->lock);
	return sl;
}

/*
 * The parker: one thread for every connection that has no handler
 * running. A socket that turns readable (a frame, the peer's FIN, an
 * error) is served here with on_message, or gets its handler's thread.
 * At stop, or if epoll fails, every parked connection gets its thread at
 * once, so that shutdown_connections finds each one with a reader for the
 * close handshake.
 */
static void parker_thread(void *arg)
{
	struct parker p = {.srv = arg};
	struct ll_ws_server *s = p.srv;
	struct slot *sl;
	bool stop = false, hangup;

	while (!stop && !p.retired) {
		/* One at a time: a serve may retire this parker; the rest are the next one's. */
		while (!p.retired && (sl = take_returned(s)) != NULL)
			if (serve_done(s, sl, sl->outcome, &hangup))
				serve_slot(&p, sl, hangup);
		if (p.retired)
			break;
		p.n = epoll_wait(s->epfd, p.ev, PARK_BATCH, -1);
		if (p.n < 0 && errno != EINTR)
			break;
		for (p.next = 0; p.next < p.n;) {
			uint32_t events = p.ev[p.next].events;
			bool woke;

			sl = p.ev[p.next++].data.ptr;
			if (!sl) {
				stop = true;
				continue;
			}
			if (sl == RET_MARK) {
				uint64_t v;

				/* Drained here; the list is taken at the top of the loop. */
				if (read(s->ret_wake, &v, sizeof(v)) < 0) {
					/* EAGAIN: nothing to drain. */
				}
				continue;
			}
			pthread_mutex_lock(&s->lock);
			note_hangup(sl, events);
			hangup = sl->hangup;
			woke = sl->parked;
			sl->parked = false;
			if (!woke)
				sl->again = true; /* served elsewhere: once more when that ends */
			pthread_mutex_unlock(&s->lock);
			if (woke && s->opts.on_message && !stop)
				serve_slot(&p, sl, hangup);
			else if (woke)
				unpark(s, sl);
		}
	}
	/* A new parker has the set, and sees the stop event if there is one. */
	if (p.retired)
		return;
	/*
	 * One slot at a time, parked or returned: the list may change whenever
	 * the lock is let go (a handler ends), and there are at most max_conns
	 * slots. park_open false from here: a parker retired later settles
	 * its own slot.
	 */
	for (;;) {
		enum serve_end end = SERVE_DRAINED;

		pthread_mutex_lock(&s->lock);
		s->park_open = false;
		for (sl = s->slots; sl && !sl->parked; sl = sl->next)
			;
		if (sl) {
			sl->parked = false;
		} else if ((sl = s->returned) != NULL) {
			s->returned = sl->ret_next;
			end = sl->outcome;
		}
		pthread_mutex_unlock(&s->lock);
		if (!sl)
			break;
		if (end == SERVE_ENDED)
			serve_done(s, sl, end, NULL);
		else
			unpark(s, sl);
	}
}

static void conn_thread(void *arg)
{
	struct slot *sl = arg;
	struct ll_ws_server *s = sl->srv;
	int64_t deadline = ll__now_ms() + s->opts.handshake_timeout_ms;
	struct ll_transport *t = NULL;
	struct ll_ws_conn *conn;
	size_t pre_off = 0, pre_len = 0;
	void *user = NULL;
	bool ok, stopping;
	char *buf;
	int err;

	/*
	 * The transport is on the slot before the TLS handshake starts, so
	 * that stop can shut it down while the handshake waits for a client
	 * that says nothing: otherwise stop waits out the handshake timeout.
	 */
	err = ll_transport_plain(&t, sl->fd);
	pthread_mutex_lock(&s->lock);
	sl->fd = -1; /* the transport owns (or has closed) it now */
	sl->t = err ? NULL : t;
	if (!err && atomic_load(&s->stopping))
		ll_transport_shutdown(t);
	pthread_mutex_unlock(&s->lock);
	if (err)
		goto out_unlink;
	if (s->opts.tls && start_tls(s, t, deadline) != 0) {
		unhook_transport(s, sl);
		ll_transport_destroy(t);
		goto out_unlink;
	}

	/*
	 * The request is read into the heap, not onto this thread's stack:
	 * a stack page once touched stays resident for the thread's life,
	 * and the handler runs for the connection's life after this.
	 */
	buf = ll_malloc(LL_HTTP_MAX_HEADER + 1024);
	ok = buf && upgrade(s, t, deadline, buf, LL_HTTP_MAX_HEADER + 1024, &pre_off, &pre_len,
			    &user) == 0;
	/* Unhook the transport before anything can free it: stop may be looking at it. */
	unhook_transport(s, sl);
	if (!ok) {
		ll_free(buf);
		ll_transport_destroy(t);
		goto out_drop_user;
	}
	/* The connection takes the transport, and destroys it itself if this fails. */
	err = ll_ws_conn_create(&conn, t, LL_WS_SERVER, &s->opts.conn,
				(const uint8_t *)buf + pre_off, pre_len);
	ll_free(buf);
	if (err)
		goto out_drop_user;
	ll_ws_conn_set_user(conn, user);
	user = NULL; /* the handler's now */
	pthread_mutex_lock(&s->lock);
	sl->conn = ll_ws_conn_retain(conn);
	stopping = atomic_load(&s->stopping);
	pthread_mutex_unlock(&s->lock);
	/* A stop that came during the handshake must still reach this one. */
	if (stopping)
		ll__ws_conn_close_soon(conn, LL_WS_CLOSE_GOING_AWAY, "server stopping");
	else if (pre_len == 0 && park(s, sl))
		return; /* the parker starts the handler once the client sends */

	/* The handler owns conn from here; the slot keeps only its own reference. */
	s->opts.handler(conn, s->opts.arg);
	handler_done(s, sl);
	return;

out_drop_user:
	/* What the check accepted but the handler never got (the 101 failed, or the conn). */
	if (user && s->opts.drop_user)
		s->opts.drop_user(user, s->opts.arg);
out_unlink:
	unlink_slot(s, sl);
	ll_free(sl);
}

struct refusal {
	struct ll_ws_server *srv;
	int fd;
};

/* Answers a client over the limit with 503, on its own short-lived thread. */
static void refuse_thread(void *arg)
{
	struct refusal *r = arg;
	struct ll_transport *t;

	if (ll_transport_plain(&t, r->fd) == 0) {
		respond_status(t, 503, NULL);
		ll_transport_destroy(t);
	}
	atomic_fetch_sub(&r->srv->refusing, 1);
	ll_free(r);
}

/*
 * A refusal can take up to REFUSE_TIMEOUT_MS (the gentle hang-up), so it
 * must not run on the accept loop: a few clients that never hang up would
 * stall every accept behind them. At most MAX_REFUSERS run at once; past
 * that, a flood is simply closed.
 */
static void refuse(struct ll_ws_server *s, int fd)
{
	struct refusal *r;

	/* Over TLS there is no session yet to carry an HTTP answer. */
	if (s->opts.tls)
		goto out_close;
	if (atomic_fetch_add(&s->refusing, 1) >= MAX_REFUSERS)
		goto out_uncount;
	r = ll_malloc(sizeof(*r));
	if (!r)
		goto out_uncount;
	r->srv = s;
	r->fd = fd;
	if (ll_group_go(s->group, refuse_thread, r) == 0)
		return;
	ll_free(r);
out_uncount:
	atomic_fetch_sub(&s->refusing, 1);
out_close:
	close(fd);
}

/*
 * Takes one client off the backlog. Returns false when accept4 failed for
 * want of a resource (fds, socket buffers, memory): the client is still
 * queued, and the caller must pause before it tries again.
 */
static bool accept_one(struct ll_ws_server *s)
{
	struct slot *sl;
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		/* EAGAIN, or a client that left before we took it, is nothing to pause for. */
		return errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM;
	pthread_mutex_lock(&s->lock);
	if (s->nslots >= s->opts.max_conns) {
		pthread_mutex_unlock(&s->lock);
		refuse(s, fd);
		return true;
	}
	pthread_mutex_unlock(&s->lock);

	sl = ll_calloc(1, sizeof(*sl));
	if (!sl) {
		close(fd);
		return true;
	}
	sl->srv = s;
	sl->fd = fd;
	pthread_mutex_lock(&s->lock);
	sl->next = s->slots;
	if (s->slots)
		s->slots->prev = sl;
	s->slots = sl;
	s->nslots++;
	pthread_mutex_unlock(&s->lock);
	if (ll_group_go(s->group, conn_thread, sl) != 0) {
		unlink_slot(s, sl);
		close(fd);
		ll_free(sl);
	}
	return true;
}

/*
 * The graceful part of stopping: every connection gets a close frame with
 * 1001 (section 7.4.1, "going away"); handlers see recv return LL_ECLOSED
 * when the peer answers or the close deadline passes. Sockets still up
 * after that are shut down, and then every thread is joined.
 *
 * No frame is written under the lock: a peer that stopped reading could
 * hold a write (or the connection's writer lock) for the whole write
 * timeout, and with it every other connection and every thread that wants
 * the lock. The lock only collects references; ll__ws_conn_close_soon then
 * never waits, and a connection it cannot write to at once gets its close
 * frame from its own thread.
 */
static void shutdown_connections(struct ll_ws_server *s)
{
	struct ll_ws_conn **conns = NULL;
	struct timespec until;
	size_t n = 0, i;
	int64_t deadline;
	struct slot *sl;
	int close_ms = s->opts.conn.close_timeout_ms > 0 ? s->opts.conn.close_timeout_ms : 2000;

	pthread_mutex_lock(&s->lock);
	if (s->nslots)
		conns = ll_malloc(s->nslots * sizeof(*conns));
	for (sl = s->slots; sl; sl = sl->next) {
		if (sl->conn && conns)
			conns[n++] = ll_ws_conn_retain(sl->conn);
		else if (sl->conn)
			/* No memory for the list: this never waits either, so it may run here. */
			ll__ws_conn_close_soon(sl->conn, LL_WS_CLOSE_GOING_AWAY, "server stopping");
		else if (sl->t)
			ll_transport_shutdown(sl->t); /* a handshake: nothing to say to it yet */
	}
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < n; i++) {
		ll__ws_conn_close_soon(conns[i], LL_WS_CLOSE_GOING_AWAY, "server stopping");
		ll_ws_conn_release(conns[i]);
	}
	ll_free(conns);

	/* A little beyond the connections' own deadline: they enforce it themselves. */
	deadline = ll__now_ms() + close_ms + 500;
	until = ll__timespec_ns(deadline * LL__NS_PER_MS);
	pthread_mutex_lock(&s->lock);
	while (s->nslots > 0 && ll__now_ms() < deadline)
		pthread_cond_timedwait(&s->drained, &s->lock, &until);
	/* Neither call blocks: each only shuts a socket down. */
	for (sl = s->slots; sl; sl = sl->next) {
		if (sl->conn)
			ll_ws_conn_shutdown(sl->conn);
		else if (sl->t)
			ll_transport_shutdown(sl->t);
	}
	pthread_mutex_unlock(&s->lock);
	ll_group_wait(s->group);
}

int ll_ws_server_run(struct ll_ws_server *s)
{
	struct pollfd pfd[2];
	int64_t resume = 0; /* while paused (see ACCEPT_BACKOFF_MIN_MS), when to accept again */
	int err = 0;

	/*
	 * Without its thread there is no parking: every handler then runs
	 * where its handshake did.
	 */
	if (s->epfd >= 0)
		s->park_open = ll_group_go(s->group, parker_thread, s) == 0;
	pfd[1].fd = s->wake[0];
	pfd[1].events = POLLIN;
	while (!atomic_load(&s->stopping)) {
		int64_t now = ll__now_ms();
		int timeout = REAP_INTERVAL_MS, n;

		/* Paused: poll only the wake-up pipe (poll skips a negative fd) until resume. */
		pfd[0].fd = now < resume ? -1 : s->lfd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		if (now < resume && resume - now < timeout)
			timeout = (int)(resume - now);
		n = poll(pfd, 2, timeout);
		if (n < 0 && errno != EINTR) {
			err = LL_EIO;
			break;
		}
		if (n > 0 && (pfd[0].revents & POLLIN)) {
			if (accept_one(s)) {
				s->backoff_ms = 0;
			} else {
				s->backoff_ms =
				    s->backoff_ms ? s->backoff_ms * 2 : ACCEPT_BACKOFF_MIN_MS;
				if (s->backoff_ms > ACCEPT_BACKOFF_MAX_MS)
					s->backoff_ms = ACCEPT_BACKOFF_MAX_MS;
				resume = ll__now_ms() + s->backoff_ms;
			}
		}
		ll_group_reap(s->group);
	}
	atomic_store(&s->stopping, true);
	close(s->lfd);
	s->lfd = -1;
	if (s->park_wake >= 0) {
		uint64_t one = 1;

		/* The parker starts every parked handler, for the close handshake below. */
		if (write(s->park_wake, &one, sizeof(one)) < 0) {
			/* Cannot fail: an eventfd's counter is far from full. */
		}
	}
	shutdown_connections(s);
	return err;
}

void ll_ws_server_stop(struct ll_ws_server *s)
{
	char one = 1;

	if (atomic_exchange(&s->stopping, true))
		return;
	/* The pipe is non-blocking and holds at least one byte: this cannot block. */
	if (write(s->wake[1], &one, 1) < 0) {
		/* Nothing to do: the loop also checks the flag every REAP_INTERVAL_MS. */
	}
}

void ll_ws_server_destroy(struct ll_ws_server *s)
{
	if (!s)
		return;
	if (s->lfd >= 0)
		close(s->lfd);
	close(s->wake[0]);
	close(s->wake[1]);
	ll_group_destroy(s->group);
	park_close(s);
	pthread_cond_destroy(&s->drained);
	pthread_mutex_destroy(&s->lock);
	ll_free(s);
}
