/*
 * scenario.h - the clients that drive a case: what a peer does to the
 * server (close cleanly, vanish, stop reading, never answer a close, send
 * a burst, send a broken handshake, send one request, reset with the
 * server's answer unread so that its send fails, say nothing from the
 * first byte on, over ws or not even the upgrade, send a burst of large
 * messages), run a few at a
 * time on threads, each operation with a deadline so the harness never
 * hangs on a misbehaving server.
 */
#ifndef LEAKLAB_HARNESS_SCENARIO_H
#define LEAKLAB_HARNESS_SCENARIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

enum lc_scenario_kind {
	LC_SC_CONNECT_CLOSE,
	LC_SC_CONNECT_DROP,
	LC_SC_SILENT_PEER,
	LC_SC_NO_CLOSE_REPLY,
	LC_SC_BURST,
	LC_SC_BAD_HANDSHAKE,
	LC_SC_REQUEST,
	LC_SC_BAD_TOKEN,
	LC_SC_FAULT_WALK,
	LC_SC_TLS,
	LC_SC_TLS_BAD,
	LC_SC_SLOW_CONSUMER,
	LC_SC_SHUTDOWN, /* run.c: one start per load point (shutdown.h) */
	LC_SC_RESET_UNREAD,
	LC_SC_SILENT_START,
	LC_SC_BURST_LARGE,
	LC_SC_SILENT_CONNECT,
	LC_SC_SLOW_PUBLISHER, /* a case scenario (pubsub.h) */
};

/*
 * How every WebSocket client of one check (its scenarios and its behaviour
 * checks) reaches the program: part of the check's configuration, so the
 * tour's checks, a few at a time, each keep their own.
 */
struct lc_client {
	const char *path;	/* the upgrade's path and query; NULL: "/" */
	const char *bad_path;	/* bad-token's; NULL: "/?token=bad" */
	const char *protocol;	/* the subprotocol offered (Sec-WebSocket-Protocol); NULL: none */
	struct ll_tls_ctx *tls; /* a client context when the program serves wss; else NULL */
};

/* The most allocations a fault walk fails in turn before it gives up on the path ending. */
#define LC_FAULT_WALK_MAX 256

struct lc_scenario {
	enum lc_scenario_kind kind;
	const struct lc_client *client; /* never NULL */
	const char *host;
	unsigned port;
	const char *request; /* LC_SC_REQUEST: the message to send */
	int timeout_ms;	     /* deadline of every client operation */
	/*
	 * The deadline of a whole lc_drive call, 0 for none: no client starts
	 * after it, and a burst's reads wait no longer than what is left of
	 * it, so a program that stops answering, or answers one message in a
	 * few seconds, ends the step instead of costing a deadline per message.
	 */
	int step_ms;
	long until_ms;	 /* set by lc_drive: when step_ms runs out (lc_now_ms), 0 for never */
	int concurrency; /* clients at once (1 to 64) */
	/*
	 * bad-handshake: the 400's head is enough, and the server may keep the
	 * connection open after it (HTTP/1.1 keep-alive, as Go's net/http
	 * does); the client hangs up. false: the kit's rule, 400 and close.
	 */
	bool reply_only;
};

struct lc_case_scenario;

/*
 * Connections kept open until the end of the run (silent-peer,
 * no-close-reply), and what a case's own scenario keeps (case_state: the
 * slow-consumer scenario's subscribers that never read, which are read
 * once at the end to see whether the server dropped them).
 */
struct lc_held {
	pthread_mutex_t lock;
	struct ll_ws_conn **conns;
	size_t len, cap;
	/* Bare sockets of peers that never sent their upgrade (silent-connect). */
	int *fds;
	size_t nfds, capfds;
	/* A case scenario's own state, made by its step; its drop frees it. NULL: none. */
	void *case_state;
	const struct lc_case_scenario *owner; /* whose case_state it is */
};

struct lc_drive_result {
	long ok;
	long failed;	     /* clients whose scenario went wrong after connecting */
	long connect_failed; /* clients that could not connect or were refused */
	/* fault-walk: walks completed, and the fewest and most allocations one failed in turn */
	long walks, walk_min, walk_max;
	/*
	 * Of the failed, those that saw the server's frames broken: a frame
	 * their parser refused, or an echo that differs from what was sent.
	 */
	long corrupted;
	long slow_dropped;	  /* slow subscribers the server had dropped at the end */
	unsigned slow_close_code; /* the close code the last of them got (1006: none) */
	long overran;		  /* clients that ran past their step's deadline (step_ms) */
	char overran_error[256];  /* what the first of them saw */
	char first_error[256];
};

/* Called from the driving thread every tick_ms while clients run. */
typedef void (*lc_tick_fn)(void *arg);

/*
 * A case's own scenario: clients one case needs and the generic drivers
 * know nothing about (13's pub/sub, pubsub.h). lc_drive calls its step,
 * lc_held_release its release and lc_held_close_all its drop; the cases
 * that have one are listed in drive/cases.c.
 */
struct lc_case_scenario {
	enum lc_scenario_kind kind;
	/* Whether a step is one client driving every unit (messages), not a client per unit. */
	bool one_client;
	/*
	 * One step of load units, from one of lc_drive's workers; what must
	 * stay open goes into held->case_state (under held->lock). Returns 0,
	 * or -1 with why filled (at_connect: the connect or handshake failed).
	 */
	int (*step)(const struct lc_scenario *sc, long load, struct lc_held *held, bool *at_connect,
		    char *why, size_t why_size);
	/* The end of a run, before SIGTERM: what the steps held is judged into res, then dropped.
	 */
	void (*release)(struct lc_held *held, const struct lc_scenario *sc,
			struct lc_drive_result *res);
	/* Lets go of held->case_state without a word (no close frame) and frees it; held->lock is
	 * held. */
	void (*drop)(struct lc_held *held);
};

/* The case scenario of kind k, or NULL for the generic ones scenario.c drives itself. */
const struct lc_case_scenario *lc_case_scenario_of(enum lc_scenario_kind k);

/* Parses a scenario name; returns 0 or LL_EINVAL. */
int lc_scenario_parse(const char *name, enum lc_scenario_kind *out);
const char *lc_scenario_name(enum lc_scenario_kind k);

/* Makes h empty. Returns 0, or LL_ENOMEM (its lock could not be made). */
int lc_held_init(struct lc_held *h);
/* Drops every held connection (no close frame: the peer just goes away). */
void lc_held_close_all(struct lc_held *h);
/*
 * The end of a run, before SIGTERM: a case scenario's release judges what
 * it held (pubsub.h: a slow subscriber the server never dropped counts in
 * res as a failed client), then every held connection is dropped.
 */
void lc_held_release(struct lc_held *h, const struct lc_scenario *sc, struct lc_drive_result *res);
void lc_held_destroy(struct lc_held *h);
size_t lc_held_count(struct lc_held *h);

/*
 * Runs the scenario for load units (connections; messages on one
 * connection for burst; messages broadcast for slow-consumer; attempts for
 * bad-handshake and bad-token; whole walks, one at a time, for fault-walk),
 * sc->concurrency at a time, calling tick every tick_ms meanwhile (tick may
 * be NULL). Connections that must stay open go into held. Adds to *res
 * (which the caller zeroes). Returns 0; LL_ENOMEM if its lock or condition
 * variable could not be made (no client ran); LL_EIO if a worker thread
 * could not be started (the workers already started finished their
 * clients).
 */
int lc_drive(const struct lc_scenario *sc, long load, struct lc_held *held, lc_tick_fn tick,
	     void *tick_arg, int tick_ms, struct lc_drive_result *res);

#endif
