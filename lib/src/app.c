/*
 * app.c - the program around a server: options, TLS, signals, ready line.
 *
 * Signals are blocked in every thread before the first one starts, and one
 * thread takes them with sigwait(). So SIGTERM never interrupts a
 * connection thread in the middle of something, and stopping the server is
 * ordinary code, not a signal handler.
 */
#include <leaklab/app.h>
#include <leaklab/error.h>

#include <errno.h>
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
	int tls;
	int metrics;
};

static void usage(const struct ll_app *app, FILE *f)
{
	const struct ll_app_knob *k;

	fprintf(f, "usage: %s [options]\n%s\n\n", app->name, app->summary ? app->summary : "");
	fprintf(f, "  --host ADDR       address to listen on (default 127.0.0.1)\n"
		   "  --port N          port, 0 for any free one (default 0)\n"
		   "  --tls             serve wss with a fresh self-signed certificate\n"
		   "  --max-conns N     connections served at once; more get 503 (default 1024)\n");
	/* How long a slow handshake, or a peer that never reads, may hold a thread. */
	fprintf(f,
		"  --handshake-timeout-ms N  time for TLS and the HTTP upgrade (default 5000)\n");
	fprintf(f, "  --write-timeout-ms N      time to send one message (default %d)\n",
		app->conn.write_timeout_ms > 0 ? app->conn.write_timeout_ms : 5000);
	fprintf(f, "  --no-metrics      do not serve GET /metrics\n"
		   "  --help            this text\n");
	for (k = app->knobs; k && k->name; k++)
		fprintf(f, "  --%-16s %s (default %ld)\n", k->name, k->help, *k->value);
	fprintf(f, "\nPrints \"leaklab: listening on HOST:PORT\" when ready; "
		   "SIGINT or SIGTERM stops it.\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Returns 0, 1 for --help, or -1 after printing what was wrong. */
static int parse_args(const struct ll_app *app, int argc, char **argv, struct options *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		const struct ll_app_knob *k;
		long *target = NULL;
		long min = 0, max = LONG_MAX;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return 1;
		if (strcmp(a, "--tls") == 0) {
			o->tls = 1;
			continue;
		}
		if (strcmp(a, "--no-metrics") == 0) {
			o->metrics = 0;
			continue;
		}
		if (strcmp(a, "--host") == 0) {
			if (!v)
				goto missing;
			o->host = v;
			i++;
			continue;
		}
		if (strcmp(a, "--port") == 0) {
			target = &o->port;
			max = 65535;
		} else if (strcmp(a, "--max-conns") == 0) {
			target = &o->max_conns;
			min = 1;
			max = 1000000;
		} else if (strcmp(a, "--handshake-timeout-ms") == 0) {
			target = &o->handshake_timeout_ms;
			min = 1;
			max = MAX_TIMEOUT_MS;
		} else if (strcmp(a, "--write-timeout-ms") == 0) {
			target = &o->write_timeout_ms;
			min = 1;
			max = MAX_TIMEOUT_MS;
		} else if (strncmp(a, "--", 2) == 0) {
			for (k = app->knobs; k && k->name; k++)
				if (strcmp(a + 2, k->name) == 0)
					target = k->value;
		}
		if (!target) {
			fprintf(stderr, "%s: unknown option '%s' (see --help)\n", app->name, a);
			return -1;
		}
		if (!v)
			goto missing;
		if (parse_long(v, min, max, target) != 0) {
			fprintf(stderr, "%s: %s needs a number from %ld to %ld, not '%s'\n",
				app->name, a, min, max, v);
			return -1;
		}
		i++;
	}
	return 0;
missing:
	fprintf(stderr, "%s: %s needs a value (see --help)\n", app->name, argv[i]);
	return -1;
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
	so.handler = app->handler;
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
	printf("leaklab: listening on %s:%u\n", o.host, ll_ws_server_port(server));
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
