/*
 * behaviour.h - the behaviour check: does the program still do its job?
 *
 * A leak has a trivial "fix": delete the feature that leaks. A heartbeat
 * never started cannot leak a timer, a registry that does not exist cannot
 * grow. So before anything is measured the harness checks the case's
 * observable feature, the same way for the leak and the fixed variant (the
 * leak variant is correct software that leaks), and a program that fails
 * it gets no "clean" verdict, whatever its counts say.
 *
 * The checks a manifest can name (behaviour= lines, one check each):
 *   echo                      a text message comes back unchanged
 *   reply TEXT => EXPECTED    the reply to TEXT starts with EXPECTED
 *   pings MS                  the server pings an idle client about every MS
 *   sessions QUERY K          K clients connected at once each send QUERY and
 *                             each is answered "sessions: K"
 *   isolated K                K clients connected at once each send their own
 *                             text, twice, and each gets back exactly its own
 *                             (nobody else's): replies reach the client that asked
 *   stays MS                  a client that keeps reading (so it answers every
 *                             ping) and sends nothing is still connected after
 *                             MS, and its echo still works: a read deadline
 *                             must be renewed by pongs, not reap healthy peers
 *   closes TEXT CODE [late MS]  TEXT makes the server start the close
 *                             handshake with CODE, and a peer that answers it
 *                             gets a clean close (RFC 6455 section 7.1.2);
 *                             with late, the peer answers MS after the close
 *                             frame and the server must have waited for it:
 *                             no end of TCP before the answer, no reset after
 *   joined TEXT K             K clients send TEXT, get the close frame and do
 *                             not answer; while the server waits for them,
 *                             every thread it runs above the start belongs to
 *                             a connection it holds (GET /metrics: threads,
 *                             then leaklab_connections): none outlives its
 *                             connection, even one that would end later
 *   audit QUERY K             K messages, each echoed, raise the count in the
 *                             answer to QUERY ("audited: N") by exactly K
 *   broadcast K               while a subscriber that never reads stalls, K
 *                             messages are published, and the publisher and
 *                             another subscriber each get all K in order
 *   upgrade PATH => STATUS    an upgrade to PATH is answered with HTTP STATUS
 *                             (101: accepted, and then it echoes)
 *   close-notify              over wss: after an echo and a clean close
 *                             handshake the server ends its TLS session with
 *                             close_notify before the TCP close (RFC 8446
 *                             section 6.1), not with a bare close, and it does
 *                             close the connection
 *
 * Every client but upgrade's connects to cl's path, over wss when cl->tls
 * is set (scenario.h); cl may be NULL for "/" over ws.
 */
#ifndef LEAKLAB_HARNESS_BEHAVIOUR_H
#define LEAKLAB_HARNESS_BEHAVIOUR_H

#include <stdbool.h>
#include <stddef.h>

#include "drive/scenario.h"

enum lc_behaviour_kind {
	LC_BH_ECHO,
	LC_BH_REPLY,
	LC_BH_PINGS,
	LC_BH_SESSIONS,
	LC_BH_STAYS,
	LC_BH_ISOLATED,
	LC_BH_CLOSES,
	LC_BH_AUDIT,
	LC_BH_UPGRADE,
	LC_BH_BROADCAST,
	LC_BH_CLOSE_NOTIFY,
	LC_BH_JOINED,
};

struct lc_behaviour {
	enum lc_behaviour_kind kind;
	char text[256];	    /* reply, closes: what to send; sessions, audit: the query; upgrade: the
			       path */
	char expected[256]; /* reply: the start of the answer */
	/* pings, stays: ms; sessions, isolated: clients; closes: the code; audit,
	 * broadcast: messages; upgrade: the status; joined: clients */
	long number;
	long late_ms; /* closes: how late the client answers the close frame (0: at once) */
};

/*
 * Parses one behaviour= line ("reply transfer 1 to bob => accepted").
 * Returns 0, or LL_EINVAL with a message in why.
 */
int lc_behaviour_parse(const char *line, struct lc_behaviour *out, char *why, size_t why_size);

/* "echo", "reply \"transfer...\" => \"accepted\"", ...: for reports. */
void lc_behaviour_describe(const struct lc_behaviour *b, char *buf, size_t size);

/*
 * A case's own behaviour check, run by clients only that case needs (13's
 * "broadcast", pubsub.h): lc_behaviour_run calls it through this, and the
 * cases that have one are listed in drive/cases.c. run returns as
 * lc_behaviour_run does; timeout_ms bounds each operation.
 */
struct lc_case_check {
	enum lc_behaviour_kind kind;
	int (*run)(const struct lc_behaviour *b, const struct lc_client *cl, const char *host,
		   unsigned port, int timeout_ms, char *why, size_t why_size);
};

/* The case check of kind k, or NULL for the checks behaviour.c runs itself. */
const struct lc_case_check *lc_case_check_of(enum lc_behaviour_kind k);

/*
 * The return of a check that failed because the server's frame stream was
 * broken: the client's parser refused a frame (a protocol error), or a
 * message came back different from the one sent. Two threads writing
 * frames on one connection without a lock look like this on the wire.
 */
#define LC_BH_BROKEN_FRAMES 2

/*
 * The return of a check that failed because a thread outlived its
 * connection (joined): the leak of a variant that must show threads, the
 * lesson there, not a feature deleted.
 */
#define LC_BH_OUTLIVES 3

/*
 * Runs one check against a program listening on host:port. slow scales
 * every deadline (1 natively, more under Valgrind). Returns 0 when the
 * feature works; 1 when it does not (why says what was seen, in a sentence
 * a student reads); LC_BH_BROKEN_FRAMES when it does not because the
 * frames were broken (why says so too); LC_BH_OUTLIVES when threads
 * outlived their connections (why says so); LL_EIO when the harness could not
 * even connect (why says so: that is no verdict about the feature).
 */
int lc_behaviour_run(const struct lc_behaviour *b, const struct lc_client *cl, const char *host,
		     unsigned port, int slow, char *why, size_t why_size);

#endif
