/*
 * test_init_fail.c - pthread_mutex_init and pthread_cond_init failing, one
 * call at a time, in the constructors of the server, the transport and the
 * connection.
 *
 * glibc never fails them with default attributes, but POSIX lets them fail
 * (EAGAIN, ENOMEM), and the constructors used to ignore their results: a
 * failed init left a lock that was never set up, used later as if it
 * were. The link wraps both functions (-Wl,--wrap, see CMakeLists.txt), so
 * the library's calls go through the wrappers below; the Nth one fails.
 * Every constructor must then fail with LL_ENOMEM and leave no fd behind.
 */
#include <leaklab/error.h>
#include <leaklab/probe.h>
#include <leaklab/ws_conn.h>
#include <leaklab/ws_server.h>

#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

int __real_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __real_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);
int __wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __wrap_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);

static long calls;   /* wrapped calls since the count was reset */
static long fail_at; /* the call that fails (1-based); 0: none */

int __wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	if (++calls == fail_at)
		return ENOMEM;
	return __real_pthread_mutex_init(m, a);
}

int __wrap_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	if (++calls == fail_at)
		return EAGAIN;
	return __real_pthread_cond_init(c, a);
}

static void noop_handler(struct ll_ws_conn *c, void *arg)
{
	(void)arg;
	ll_ws_conn_destroy(c);
}

static int open_fds(void)
{
	struct ll_probe_sample s;

	CHECK_EQ(ll_probe_sample(0, &s), 0);
	return (int)s.fds;
}

static int make_server(void)
{
	struct ll_ws_server_opts opts = {.handler = noop_handler};
	struct ll_ws_server *s = NULL;
	int rc = ll_ws_server_create(&s, &opts);

	if (rc == 0)
		ll_ws_server_destroy(s);
	else
		CHECK(s == NULL);
	return rc;
}

static int make_conn(void)
{
	struct ll_transport *t;
	struct ll_ws_conn *c = NULL;
	int sv[2], rc;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* The transport's lock is the first init: on failure it closes sv[0] itself. */
	rc = ll_transport_plain(&t, sv[0]);
	if (rc == 0) {
		/* The connection owns t, and so sv[0], on success and on failure alike. */
		rc = ll_ws_conn_create(&c, t, LL_WS_SERVER, NULL, NULL, 0);
		if (rc == 0)
			ll_ws_conn_destroy(c);
		else
			CHECK(c == NULL);
	}
	close(sv[1]);
	return rc;
}

/* Fails each init call of make() in turn; each must fail cleanly. */
static void fail_each(const char *what, int (*make)(void))
{
	int base = open_fds();
	long needed, n;

	calls = 0;
	fail_at = 0;
	CHECK_EQ(make(), 0);
	needed = calls;
	fprintf(stderr, "   %s: %ld pthread init calls\n", what, needed);
	CHECK_INT(needed, >=, 1);
	for (n = 1; n <= needed; n++) {
		calls = 0;
		fail_at = n;
		CHECK_EQ(make(), LL_ENOMEM);
		fail_at = 0;
		CHECK_EQ(open_fds(), base);
	}
}

static void test_server_init_fails(void)
{
	fail_each("ll_ws_server_create", make_server);
}

static void test_conn_init_fails(void)
{
	fail_each("ll_ws_conn_create", make_conn);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_server_init_fails);
	RUN(test_conn_init_fails);
	return check_finish();
}
