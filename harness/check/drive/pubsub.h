/*
 * pubsub.h - the clients of a broadcast hub (case 13): subscribers that
 * never read, a publisher, and subscribers that keep up.
 *
 * The hub's protocol is a chat room's: every text message a client sends
 * is sent to every connected client, its sender included. A slow
 * subscriber connects with a small receive buffer (SO_RCVBUF) and never
 * reads, so its socket fills after a few messages and whatever the server
 * sends it next waits in the server. A fast subscriber reads everything,
 * and must get every message published while the slow ones stall.
 */
#ifndef LEAKLAB_HARNESS_PUBSUB_H
#define LEAKLAB_HARNESS_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>

#include "drive/behaviour.h"
#include "drive/scenario.h"

/* Bytes of one published message. */
#define LC_PUB_BYTES 16384
/*
 * What the first step publishes before its own messages, so that the
 * slow subscribers' sockets are full before anything is measured, and a
 * fix's high-water mark is passed under Valgrind too. The kernel absorbs
 * some first: the slow subscriber's small segments keep that to some
 * 80 KiB (with loopback's own 64 KiB segments, 2.9 MiB); test_pubsub
 * measures it and holds this to at least twice the sum of that and a
 * 256 KiB high-water mark.
 */
#define LC_PREFILL_BYTES (1L << 20)
/* Slow subscribers a slow-consumer run holds from its first step to its end. */
#define LC_SLOW_SUBS 2

/*
 * Connects a subscriber that will never read: its receive buffer is set
 * to 4 KiB before the connect, so the kernel advertises a small window
 * from the start. Returns 0 with *out owned by the caller (and, if fd is
 * not NULL, its socket in *fd, owned by *out: lc_pubsub_drain_slow widens
 * it), or -1 with
 * why filled (at_connect is true when the TCP connect or the handshake
 * failed).
 */
int lc_pubsub_connect_slow(const char *host, unsigned port, int timeout_ms, struct ll_ws_conn **out,
			   int *fd, bool *at_connect, char *why, size_t why_size);
/* The same, upgrading on path (with its query) instead of "/". */
int lc_pubsub_connect_slow_to(const char *host, unsigned port, const char *path, int timeout_ms,
			      struct ll_ws_conn **out, int *fd, bool *at_connect, char *why,
			      size_t why_size);

/*
 * Publishes count messages of LC_PUB_BYTES, tagged tag, through a
 * publisher that is itself subscribed, while one more fast subscriber
 * reads: a few messages at a time are sent and then read back by both,
 * so neither ever falls behind. Returns 0 when both got every message in
 * order; -1 with why filled otherwise (connect as above). Blocks at most
 * about timeout_ms per message.
 */
int lc_pubsub_publish(const char *host, unsigned port, int timeout_ms, const char *tag, long count,
		      bool *at_connect, char *why, size_t why_size);

/*
 * Reads a slow subscriber at last, after a marker message was published
 * (fd, if >= 0, is its socket: its receive buffer is widened first, so
 * megabytes do not trickle through a 4 KiB window):
 * returns 1 when the server had dropped it (the connection ended, with a
 * close frame whose code goes to *code, 1006 when there was none, before
 * the marker came), 0 when it was still subscribed (the marker arrived:
 * it had been sent every message), -1 with why filled when neither
 * happened within timeout_ms. *got gets the messages read.
 */
int lc_pubsub_drain_slow(struct ll_ws_conn *c, int fd, const char *marker, int timeout_ms,
			 unsigned *code, long *got, char *why, size_t why_size);

/*
 * The slow-consumer scenario, as a case scenario of the drivers
 * (scenario.h): the first step connects LC_SLOW_SUBS slow subscribers and
 * fills their sockets (LC_PREFILL_BYTES; the run's warm-up is that first
 * step), then every step publishes its load of messages that two fast
 * subscribers must all get. At the end of a run (before SIGTERM) a marker
 * is published and each slow subscriber is read to see whether the server
 * dropped it: one still subscribed, or one that neither ended nor got the
 * marker, counts as a failed client (a fix must drop it; a leak's are
 * reported). Every slow subscriber is destroyed.
 */
extern const struct lc_case_scenario lc_pubsub_scenario;

/*
 * The slow-publisher scenario: the same, with LC_SLOW_SUBS slow
 * subscribers of its own that publish, each a message when it connects
 * and one every step, and never read: a client that sends without
 * reading is as slow a consumer as one that says nothing. The release,
 * and what a fix must do with them, are the slow-consumer scenario's.
 */
extern const struct lc_case_scenario lc_pubsub_talking_scenario;

/*
 * The behaviour check "broadcast K": one slow subscriber stalls while K
 * messages are published, and the publisher and a fast subscriber must
 * each get all K. Returns 0 (works), 1 (does not: why says what was
 * seen) or LL_EIO (could not connect).
 */
int lc_pubsub_check(const char *host, unsigned port, long count, int timeout_ms, char *why,
		    size_t why_size);

/* lc_pubsub_check as the case check "broadcast K" (behaviour.h). */
extern const struct lc_case_check lc_pubsub_broadcast;

#endif
