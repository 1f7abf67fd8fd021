/*
 * leaklab/app.h - the program around a server: command line, TLS, signals,
 * the ready line. Every case program and echo-server is one handler plus
 * ll_app_main(), so leak.c and fixed.c differ only where the lesson is.
 *
 * Common options: --host H (127.0.0.1), --port N (0), --tls, --max-conns N,
 * --handshake-timeout-ms N (ll_ws_server_opts.handshake_timeout_ms),
 * --write-timeout-ms N (overrides conn.write_timeout_ms), --no-metrics,
 * -h/--help. Each knob adds a long option "--NAME N". They are parsed with
 * getopt_long(), so a value may also follow as "--NAME=N", and every
 * number is range-checked: a value that does not fit is refused with a
 * message and exit code 2, never cut short by a cast.
 *
 * Once listening it prints LL_APP_READY_PREFIX "HOST:PORT" on a line of its
 * own to stdout and flushes. SIGINT and SIGTERM stop the server gracefully (they are blocked
 * in every thread and taken by sigwait, so no handler runs in signal
 * context); then teardown runs and ll_app_main returns 0.
 */
#ifndef LEAKLAB_APP_H
#define LEAKLAB_APP_H

#include <leaklab/ws_server.h>

/*
 * The start of the line a program prints once it listens, followed by
 * HOST:PORT: the harness (harness/check/measure/proc.c) waits for it, so both spell it
 * through this one definition.
 */
#define LL_APP_READY_PREFIX "leaklab: listening on "

/*
 * A case's own number option. Its value on the command line is a whole
 * number from 0 to INT_MAX, so the case may pass it on as an int or an
 * unsigned without a check of its own.
 */
struct ll_app_knob {
	const char *name; /* without dashes: "heartbeat-ms" */
	long *value;	  /* holds the default; set from the command line */
	const char *help;
};

struct ll_app {
	const char *name;    /* program name for --help */
	const char *summary; /* one line for --help */
	ll_ws_handler_fn handler;
	/*
	 * Optional. setup runs after options are parsed and before the server
	 * starts (non-zero aborts with exit 1); teardown runs after the server
	 * has stopped and joined its threads.
	 */
	int (*setup)(void *arg);
	void (*teardown)(void *arg);
	/* Optional: ll_ws_server_opts.check and .drop_user (ws_server.h), with arg. */
	ll_ws_check_fn check;
	ll_ws_drop_fn drop_user;
	/*
	 * Optional: with --tls, each connection's TLS session is made and
	 * ended by the program (ll_ws_server_opts.tls_session and
	 * .tls_release, transport.h), with arg. Both or neither.
	 */
	ll_tls_new_fn tls_session;
	ll_tls_release_fn tls_release;
	void *arg;			 /* passed to handler, on_message, setup, teardown */
	bool park_fresh;		 /* ll_ws_server_opts.park_fresh */
	ll_ws_message_fn on_message;	 /* ll_ws_server_opts.on_message; needs park_fresh */
	const struct ll_app_knob *knobs; /* terminated by an entry with name NULL; may be NULL */
	struct ll_ws_conn_opts conn;
};

/*
 * Parses argv, starts the server and serves until SIGINT/SIGTERM. Returns
 * the process exit code: 0 after a clean stop, 2 for a bad command line
 * (with a message on stderr), 1 if the server could not start.
 */
int ll_app_main(const struct ll_app *app, int argc, char **argv);

#endif
