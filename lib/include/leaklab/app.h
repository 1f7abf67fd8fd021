/*
 * leaklab/app.h - the program around a server: command line, TLS, signals,
 * the ready line. Every case program and echo-server is one handler plus
 * ll_app_main(), so leak.c and fixed.c differ only where the lesson is.
 *
 * Common options: --host H (127.0.0.1), --port N (0), --tls, --max-conns N,
 * --handshake-timeout-ms N (ll_ws_server_opts.handshake_timeout_ms),
 * --write-timeout-ms N (overrides conn.write_timeout_ms), --no-metrics,
 * --help. Each knob adds "--NAME N".
 *
 * Once listening it prints "leaklab: listening on HOST:PORT" to stdout and
 * flushes. SIGINT and SIGTERM stop the server gracefully (they are blocked
 * in every thread and taken by sigwait, so no handler runs in signal
 * context); then teardown runs and ll_app_main returns 0.
 */
#ifndef LEAKLAB_APP_H
#define LEAKLAB_APP_H

#include <leaklab/ws_server.h>

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
	void *arg;			 /* passed to handler, setup, teardown */
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
