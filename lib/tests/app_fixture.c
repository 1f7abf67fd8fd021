/*
 * app_fixture.c - an ll_app_main() program with two knobs, for test_app:
 * once the options are parsed (setup), it prints every value it got, one
 * "option NAME=VALUE" line each, before the ready line; so a test can see
 * what the command line turned into without talking to the server.
 */
#include <leaklab/app.h>

#include <stdio.h>

static long heartbeat_ms = 1000;
static long burst = 3;

static void close_at_once(struct ll_ws_conn *conn, void *arg)
{
	(void)arg;
	ll_ws_conn_destroy(conn);
}

static int show_options(void *arg)
{
	(void)arg;
	printf("option heartbeat-ms=%ld\noption burst=%ld\n", heartbeat_ms, burst);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct ll_app_knob knobs[] = {
	    {"heartbeat-ms", &heartbeat_ms, "milliseconds between pings"},
	    {"burst", &burst, "messages per burst"},
	    {0},
	};
	static const struct ll_app app = {
	    .name = "app-fixture",
	    .summary = "The program test_app starts.",
	    .handler = close_at_once,
	    .setup = show_options,
	    .knobs = knobs,
	};

	return ll_app_main(&app, argc, argv);
}
