/*
 * testserver.h - a libleaklab server run on a thread of the test, for the
 * tests that talk to a real server over 127.0.0.1.
 */
#ifndef LEAKLAB_TESTS_TESTSERVER_H
#define LEAKLAB_TESTS_TESTSERVER_H

#include <leaklab/ws_server.h>

#include <pthread.h>

#include "check.h"

struct running {
	struct ll_ws_server *srv;
	pthread_t thread;
	unsigned port;
	int run_result;
};

static inline void *running_main(void *arg)
{
	struct running *r = arg;

	r->run_result = ll_ws_server_run(r->srv);
	return NULL;
}

/* Creates the server (port 0 unless opts says otherwise) and runs it on a thread. */
static inline void start(struct running *r, const struct ll_ws_server_opts *opts)
{
	CHECK_EQ(ll_ws_server_create(&r->srv, opts), 0);
	r->port = ll_ws_server_port(r->srv);
	CHECK(r->port > 0);
	r->run_result = -99;
	CHECK_EQ(pthread_create(&r->thread, NULL, running_main, r), 0);
}

/* Stops it gracefully, joins the thread, requires run() to have returned 0, frees it. */
static inline void stop(struct running *r)
{
	ll_ws_server_stop(r->srv);
	pthread_join(r->thread, NULL);
	CHECK_EQ(r->run_result, 0);
	ll_ws_server_destroy(r->srv);
}

#endif
