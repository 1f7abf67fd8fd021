/*
 * app.c - the program around a server: options, TLS, signals, ready line.
 *
 * Options are parsed with getopt_long(), the standard idiom, and every
 * number is range-checked before it is stored, so no value reaches the
 * server cut short by a cast.
 *
 * Signals are blocked in every thread before the first one starts, and one
 * thread takes them with sigwait(). So SIGTERM never interrupts a
 * connection thread in the middle of something, and stopping the server is
 * ordinary code, not a signal handler.
 */
#include <leaklab/alloc.h>
#include <leaklab/app.h>
#include <leaklab/error.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* An hour: the timeouts are ints of milliseconds in the library. */
#define MAX_TIMEOUT_MS 3600000L

struct options {
	const char *host;
	long port;
	long max_conns;
	long handshake_timeout_ms; /* 0: the server's default */
	long write_timeout_ms;	   /* 0: the app's own, else the connection's */
	long close_timeout_ms;	   /* 0: the app's own, else the connection's */
	int tls;
	int metrics;
};

/*
 * The options without a short form take codes past any character, so that
 * getopt_long() can hand back each one as itself; the app's knob i comes
 * back as OPT_KNOB + i.
 */
enum {
	OPT_HOST = 256,
	OPT_PORT,
	OPT_TLS,
	OPT_MAX_CONNS,
	OPT_HANDSHAKE_TIMEOUT,
	OPT_WRITE_TIMEOUT,
	OPT_CLOSE_TIMEOUT,
	OPT_NO_METRICS,
	OPT_KNOB,
};

static const struct option common_options[] = {
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"tls", no_argument, NULL, OPT_TLS},
    {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
    {"handshake-timeout-ms", required_argument, NULL, OPT_HANDSHAKE_TIMEOUT},
    {"write-timeout-ms", required_argument, NULL, OPT_WRITE_TIMEOUT},
    {"close-timeout-ms", required_argument, NULL, OPT_CLOSE_TIMEOUT},
    {"no-metrics", no_argument, NULL, OPT_NO_METRICS},
    {"help", no_argument, NULL, 'h'},
};

#define N_COMMON_OPTIONS (sizeof(common_options) / sizeof(common_options[0]))

static void usage(const struct ll_app *app, FILE *f)
{
	const struct ll_app_knob *k;

	fprintf(f, "usage: %s [options]\n%s\n\n", app->name, app->summary ? app->summary : "");
	fprintf(f, "  --host ADDR       address to listen on (default 127.0.0.1)\n"
		   "  --port N          port, 0 for any free one (default 0)\n"
		   "  --tls             serve wss with a fresh self-signed certificate\n"
		   "  --max-conns N     connections served at once, 1 to 1000000; more get 503 "
		   "(default 1024)\n");
	/* How long a slow handshake, or a peer that never reads, may hold a thread. */
	fprintf(f,
		"  --handshake-timeout-ms N  time for TLS and the HTTP upgrade (default 5000)\n");
	fprintf(f, "  --write-timeout-ms N      time to send one message (default %d)\n",
		app->conn.write_timeout_ms > 0 ? app->conn.write_timeout_ms : 5000);
	fprintf(
	    f, "  --close-timeout-ms N      time to wait for the peer's close reply (default %d)\n",
	    app->conn.close_timeout_ms > 0 ? app->conn.close_timeout_ms : 2000);
	fprintf(f, "  --no-metrics      do not serve GET /metrics\n"
		   "  -h, --help        this text\n");
	if (app->knobs && app->knobs->name)
		fprintf(f, "\nOptions of %s, each a whole number from 0 to %d:\n", app->name,
			INT_MAX);
	for (k = app->knobs; k && k->name; k++) {
		char opt[64];

		snprintf(opt, sizeof(opt), "--%s N", k->name);
		fprintf(f, "  %-17s %s (default %ld)\n", opt, k->help, *k->value);
	}
	fprintf(f,
		"\nA value follows its option as --port N or --port=N. Timeouts are 1 to %ld ms.\n",
		MAX_TIMEOUT_MS);
	fprintf(f, "Prints \"" LL_APP_READY_PREFIX "HOST:PORT\" when ready; "
		   "SIGINT or SIGTERM stops it.\n");
}

/*
 * A whole number from min to max, in decimal, with nothing around it:
 * strtol() alone would take " 5" and "5x" as far as it could read, and a
 * long that does not fit where the value goes would be cut short by the
 * cast, so --port 65536 or --heartbeat-ms 4294967296 must be refused here.
 */
static int parse_number(const struct ll_app *app, const char *opt, const char *s, long min,
			long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) ||
	    v < min || v > max) {
		fprintf(stderr, "%s: --%s needs a whole number from %ld to %ld, not '%s'\n",
			app->name, opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * Parses the command line with getopt_long(), so that "--port 9000" and
 * "--port=9000" both work, as in every GNU program. Returns 0, 1 for
 * --help, -1 after saying what was wrong (getopt_long() speaks for itself
 * about unknown options and missing values), or -2 when out of memory.
 */
static int parse_args(const struct ll_app *app, int argc, char **argv, struct options *o)
{
	const struct ll_app_knob *knobs = app->knobs;
	struct option *longopts;
	size_t nknobs = 0, i;
	int c, r = 0;

	while (knobs && knobs[nknobs].name)
		nknobs++;
	/* The common options, a long option per knob, and the all-zero end. */
	longopts = ll_calloc(N_COMMON_OPTIONS + nknobs + 1, sizeof(*longopts));
	if (!longopts)
		return -2;
	memcpy(longopts, common_options, sizeof(common_options));
	for (i = 0; i < nknobs; i++) {
		longopts[N_COMMON_OPTIONS + i].name = knobs[i].name;
		longopts[N_COMMON_OPTIONS + i].has_arg = required_argument;
		longopts[N_COMMON_OPTIONS + i].val = OPT_KNOB + (int)i;
	}

	/* 0, not 1: glibc then starts afresh, should a program parse twice. */
	optind = 0;
	while (r == 0 && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': r = 1; break;
		case OPT_HOST: o->host = optarg; break;
		case OPT_PORT: r = parse_number(app, "port", optarg, 0, 65535, &o->port); break;
		case OPT_TLS: o->tls = 1; break;
		case OPT_MAX_CONNS:
			r = parse_number(app, "max-conns", optarg, 1, 1000000, &o->max_conns);
			break;
		case OPT_HANDSHAKE_TIMEOUT:
			r = parse_number(app, "handshake-timeout-ms", optarg, 1, MAX_TIMEOUT_MS,
					 &o->handshake_timeout_ms);
			break;
		case OPT_WRITE_TIMEOUT:
			r = parse_number(app, "write-timeout-ms", optarg, 1, MAX_TIMEOUT_MS,
					 &o->write_timeout_ms);
			break;
		case OPT_CLOSE_TIMEOUT:
			r = parse_number(app, "close-timeout-ms", optarg, 1, MAX_TIMEOUT_MS,
					 &o->close_timeout_ms);
			break;
		case OPT_NO_METRICS: o->metrics = 0; break;
		default:
			if (c >= OPT_KNOB && (size_t)(c - OPT_KNOB) < nknobs) {
				/* Up to INT_MAX, so a case may pass it on as an int or unsigned. */
				r = parse_number(app, knobs[c - OPT_KNOB].name, optarg, 0, INT_MAX,
						 knobs[c - OPT_KNOB].value);
				break;
			}
			r = -1; /* '?': getopt_long() has said what was wrong */
			break;
		}
	}
	if (r == 0 && optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", app->name, argv[optind]);
		r = -1;
	}
	ll_free(longopts);
	return r;
}

struct signal_waiter {
	sigset_t set;
	struct ll_ws_server *server;
};

static void *wait_for_signal(void *arg)
{
	struct signal_waiter *w = arg;
	int sig;

	sigwait(&w->set, &sig);
	ll_ws_server_stop(w->server);
	return NULL;
}

int ll_app_main(const struct ll_app *app, int argc, char **argv)
{
	struct options o = {.host = "127.0.0.1", .port = 0, .max_conns = 1024, .metrics = 1};
	struct ll_ws_server_opts so;
	struct ll_tls_ctx *tls = NULL;
	struct ll_ws_server *server = NULL;
	struct signal_waiter w;
	pthread_t waiter;
	int r, status = 1;

	r = parse_args(app, argc, argv, &o);
	if (r == -2) {
		fprintf(stderr, "%s: out of memory\n", app->name);
		return 1;
	}
	if (r != 0) {
		usage(app, r > 0 ? stdout : stderr);
		return r > 0 ? 0 : 2;
	}

	/* Before any thread exists, so that every thread inherits the mask. */
	sigemptyset(&w.set);
	sigaddset(&w.set, SIGINT);
	sigaddset(&w.set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &w.set, NULL);

	if (o.tls) {
		r = ll_tls_server_ctx_create(&tls);
		if (r) {
			fprintf(stderr, "%s: TLS setup failed: %s\n", app->name, ll_strerror(r));
			return 1;
		}
	}
	memset(&so, 0, sizeof(so));
	so.host = o.host;
	so.port = (unsigned)o.port;
	so.tls = tls;
	so.max_conns = (unsigned)o.max_conns;
	so.metrics = o.metrics;
	so.handshake_timeout_ms = (int)o.handshake_timeout_ms;
	so.conn = app->conn;
	if (o.write_timeout_ms)
		so.conn.write_timeout_ms = (int)o.write_timeout_ms;
	if (o.close_timeout_ms)
		so.conn.close_timeout_ms = (int)o.close_timeout_ms;
	so.handler = app->handler;
	so.check = app->check;
	so.drop_user = app->drop_user;
	so.tls_session = app->tls_session;
	so.tls_release = app->tls_release;
	so.park_fresh = app->park_fresh;
	so.on_message = app->on_message;
	so.arg = app->arg;
	r = ll_ws_server_create(&server, &so);
	if (r) {
		fprintf(stderr, "%s: cannot listen on %s:%ld: %s\n", app->name, o.host, o.port,
			ll_strerror(r));
		goto out_free_tls;
	}
	if (app->setup && app->setup(app->arg) != 0) {
		fprintf(stderr, "%s: setup failed\n", app->name);
		goto out_destroy_server;
	}
	w.server = server;
	if (ll__thread_create(&waiter, wait_for_signal, &w) != 0) {
		fprintf(stderr, "%s: cannot start the signal thread\n", app->name);
		goto out_teardown;
	}
	printf(LL_APP_READY_PREFIX "%s:%u\n", o.host, ll_ws_server_port(server));
	fflush(stdout);

	r = ll_ws_server_run(server);
	/* If run ended on its own, the waiter still sleeps in sigwait: wake it. */
	pthread_kill(waiter, SIGTERM);
	pthread_join(waiter, NULL);
	status = r ? 1 : 0;
out_teardown:
	if (app->teardown)
		app->teardown(app->arg);
out_destroy_server:
	ll_ws_server_destroy(server);
out_free_tls:
	ll_tls_ctx_destroy(tls);
	return status;
}
