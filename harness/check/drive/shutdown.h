/*
 * shutdown.h - the shutdown scenario: hold N clients, send SIGTERM, and
 * see what each client got before its TCP connection ended.
 *
 * A server that stops must tell every client it is going away (a close
 * frame with 1001, RFC 6455 section 7.4.1) and wait for its connection
 * threads before it exits. One whose main returns first exits with those
 * threads still running: their clients see the stream end with no close
 * frame (1006), and memcheck finds the threads' memory at exit. Both
 * scale with the clients held, so a run starts the program three times,
 * with 0, N and 2N clients held, and judges the growth as for the other
 * signals.
 */
#ifndef LEAKLAB_HARNESS_SHUTDOWN_H
#define LEAKLAB_HARNESS_SHUTDOWN_H

#include <pthread.h>
#include <stdbool.h>

#include "judge/judge.h"

/* How soon after SIGTERM a clean program must have exited, natively (memcheck: 5 times). */
#define LC_SHUTDOWN_EXIT_MS 2000

struct lc_shut_client;

/* Clients held across a SIGTERM, each with a thread that reads until its connection ends. */
struct lc_shut {
	struct lc_shut_client *clients;
	long n;
};

/* What the clients of one start saw. */
struct lc_shut_round {
	long held;	     /* clients held when SIGTERM was sent; -1: this start did not run */
	long got_1001;	     /* ... that got a close frame with 1001 before the end */
	long other_close;    /* ... that got another close code (1006: none) */
	unsigned first_code; /* the first code other than 1001, or 0 */
	long exit_ms;	     /* SIGTERM to exit */
	long long lost;	     /* memcheck's lost bytes at exit, or -1 natively */
};

/*
 * Connects n clients to host:port, checks each with one echo, and starts
 * a reader per client that waits up to timeout_ms for its connection to
 * end. Returns 0; or -1 with why filled (no client is left: every one
 * started is closed and its reader joined).
 */
int lc_shut_hold(struct lc_shut *s, const char *host, unsigned port, long n, int timeout_ms,
		 char *why, size_t why_size);

/* Joins every reader (each ends within its deadline), counts into *r, frees s. */
void lc_shut_collect(struct lc_shut *s, struct lc_shut_round *r);

/*
 * The verdict of a shutdown run from its three starts (0, N and 2N clients
 * held): a leak shows clients without 1001 (and, under memcheck, lost
 * bytes at exit) growing with N; a fix gives every client 1001, exits
 * within the limit, and loses nothing. want_lost: lost bytes are expected
 * of the leak. errors and fds_open are memcheck's worst over the starts
 * (-1 natively). behaviour_failure as in judge.h. Fills *v.
 */
void lc_shut_judge(enum lc_variant variant, bool memcheck, bool want_lost,
		   const struct lc_shut_round r[LC_NPOINTS], long exit_limit_ms, long errors,
		   const char *first_error, long fds_open, const char *behaviour_failure,
		   struct lc_verdict *v);

/*
 * The table's rows of a shutdown run, after lc_shut_judge, into v->sig:
 * the clients without 1001 as threads (the signal judged: threads still
 * running at exit, as their clients saw them), fds counted while the
 * clients were held (points), for information, and memcheck's lost bytes
 * at exit.
 */
void lc_shut_rows(enum lc_variant variant, unsigned expect, long load,
		  const struct lc_shut_round r[LC_NPOINTS],
		  const struct lc_point points[LC_NPOINTS], struct lc_verdict *verdict);

#endif
