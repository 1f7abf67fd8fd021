/*
 * main.c - leaklab-probe: the harness pointed at anyone's WebSocket
 * server, in any language.
 *
 *   leaklab-probe [options] -- COMMAND [ARGS...]
 *
 * {port} in ARGS becomes a free port, which is also in PORT; the server
 * is ready when that port accepts a WebSocket upgrade. Exit status: 0
 * every signal flat or back at its baseline once the clients left, 1 a
 * signal grows with the load, 2 no verdict (docs/probe.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <leaklab/error.h>

#include "measure/proc.h"
#include "probe.h"
#include "report.h"

#ifndef LEAKLAB_VALGRIND
#define LEAKLAB_VALGRIND "valgrind"
#endif
#ifndef LEAKLAB_VGDB
#define LEAKLAB_VGDB "vgdb"
#endif
#ifndef LEAKLAB_SUPPRESSIONS
#define LEAKLAB_SUPPRESSIONS NULL
#endif
#ifndef LEAKLAB_PROBE_PLOT
#define LEAKLAB_PROBE_PLOT "plot-probe.py"
#endif

static const enum lc_scenario_kind default_scenarios[] = {
    LC_SC_CONNECT_CLOSE,  LC_SC_CONNECT_DROP, LC_SC_SILENT_PEER,
    LC_SC_NO_CLOSE_REPLY, LC_SC_BURST,	      LC_SC_BAD_HANDSHAKE,
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: leaklab-probe [options] -- COMMAND [ARGS...]\n"
	    "\n"
	    "Starts COMMAND in a process group of its own, with {port} in ARGS (and PORT\n"
	    "in its environment) set to a free port; waits until the port accepts a\n"
	    "WebSocket upgrade; drives N, 2N and 4N clients of each scenario; fits each\n"
	    "signal's growth per client; releases every client and checks the counts\n"
	    "drain back; stops the group (SIGTERM, then SIGKILL) and kills anything left.\n"
	    "\n"
	    "options:\n"
	    "  --scenario LIST      comma-separated, from connect-close, connect-drop,\n"
	    "                       silent-peer, no-close-reply, burst, bad-handshake\n"
	    "                       (default: all six)\n"
	    "  --load N             clients of each scenario at the first point (20)\n"
	    "  --warmup N           clients of each scenario before the baseline (min(N, 8))\n"
	    "  --concurrency N      clients at once (8)\n"
	    "  --path PATH          the upgrade's path and query (/)\n"
	    "  --subprotocol NAME   offered in Sec-WebSocket-Protocol\n"
	    "  --host ADDR          where the server listens (127.0.0.1)\n"
	    "  --port N             a fixed port instead of a free one\n"
	    "  --runtime NAME,PATH,LINE  the runtime's own count, read over HTTP on the\n"
	    "                       port: goroutines,/debug/pprof/goroutine?debug=1,goroutine\n"
	    "                       profile: total  or  timers,/metrics,app_timers\n"
	    "  --memcheck           run a native server under Valgrind memcheck: heap and\n"
	    "                       lost bytes at every point, errors and leaks at exit\n"
	    "  --judge-rss          judge resident memory too (by default it is shown only:\n"
	    "                       a runtime keeps the memory its heap once held)\n"
	    "  --timeout MS         every client operation (3000)\n"
	    "  --start-timeout MS   until the port upgrades (10000; 60000 under memcheck)\n"
	    "  --stop-timeout MS    from SIGTERM to exit (5000; 30000 under memcheck)\n"
	    "  --settle-ms MS       counts must hold still this long (250; 1000 under memcheck)\n"
	    "  --json FILE          the result as JSON\n"
	    "  --junit FILE         the result as JUnit XML, a testcase per signal\n"
	    "  --csv FILE           the points, for plots\n"
	    "  --plot FILE.png      draw the growth plot (matplotlib, /usr/bin/python3)\n"
	    "  --logs DIR           where the run's log folder goes (BUILD/logs)\n"
	    "  --quiet              no progress lines\n"
	    "\n"
	    "exit: 0 every signal flat or drains back, 1 a signal grows with the load,\n"
	    "2 no verdict (not a WebSocket server, crashed, did not stop, bad usage)\n");
}

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "leaklab-probe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (--help for usage)\n");
	return 2;
}

static int number(const char *s, long min, long max, long *out)
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

static int parse_scenarios(char *list, struct pb_config *cfg)
{
	char *save = NULL, *name;

	cfg->nscenarios = 0;
	for (name = strtok_r(list, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
		enum lc_scenario_kind k;
		size_t i;
		bool known = false;

		if (lc_scenario_parse(name, &k) == 0)
			for (i = 0; i < sizeof(default_scenarios) / sizeof(default_scenarios[0]);
			     i++)
				known = known || default_scenarios[i] == k;
		if (!known)
			return bad("--scenario: \"%s\" is not one the probe drives", name);
		if (cfg->nscenarios == PB_MAX_SCENARIOS)
			return bad("--scenario: too many");
		cfg->scenarios[cfg->nscenarios++] = k;
	}
	return cfg->nscenarios ? 0 : bad("--scenario: empty");
}

/* BUILD/logs, from this executable's place (BUILD/bin/leaklab-probe). */
static void default_logs(char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	snprintf(out, size, "%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (n <= 0)
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	slash = strrchr(exe, '/');
	if (!slash || strcmp(slash, "/bin") != 0)
		return;
	*slash = '\0';
	snprintf(out, size, "%s/logs", exe);
}

/* Draws the plot from the CSV with the probe's plot script. Returns 0, or -1. */
static int draw_plot(const char *csv, const char *png, const struct pb_result *res)
{
	char *argv[] = {
	    "/usr/bin/python3", LEAKLAB_PROBE_PLOT,   "--csv", (char *)csv, "--out", (char *)png,
	    "--title",		(char *)res->command, NULL};
	char out[2048];
	int status = 0;

	if (lc_run_capture(argv, 60000, out, sizeof(out), &status) != 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		fprintf(stderr,
			"leaklab-probe: no plot: matplotlib is missing for /usr/bin/python3\n");
		return -1;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

enum {
	OPT_SCENARIO = 256,
	OPT_LOAD,
	OPT_WARMUP,
	OPT_CONCURRENCY,
	OPT_PATH,
	OPT_SUBPROTOCOL,
	OPT_HOST,
	OPT_PORT,
	OPT_RUNTIME,
	OPT_MEMCHECK,
	OPT_JUDGE_RSS,
	OPT_TIMEOUT,
	OPT_START_TIMEOUT,
	OPT_STOP_TIMEOUT,
	OPT_SETTLE,
	OPT_JSON,
	OPT_JUNIT,
	OPT_CSV,
	OPT_PLOT,
	OPT_LOGS,
	OPT_QUIET,
	OPT_VALGRIND,
	OPT_VGDB,
	OPT_HELP,
};

static const struct option long_opts[] = {
    {"scenario", required_argument, NULL, OPT_SCENARIO},
    {"load", required_argument, NULL, OPT_LOAD},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"path", required_argument, NULL, OPT_PATH},
    {"subprotocol", required_argument, NULL, OPT_SUBPROTOCOL},
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"runtime", required_argument, NULL, OPT_RUNTIME},
    {"memcheck", no_argument, NULL, OPT_MEMCHECK},
    {"judge-rss", no_argument, NULL, OPT_JUDGE_RSS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"start-timeout", required_argument, NULL, OPT_START_TIMEOUT},
    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
    {"settle-ms", required_argument, NULL, OPT_SETTLE},
    {"json", required_argument, NULL, OPT_JSON},
    {"junit", required_argument, NULL, OPT_JUNIT},
    {"csv", required_argument, NULL, OPT_CSV},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"logs", required_argument, NULL, OPT_LOGS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"valgrind", required_argument, NULL, OPT_VALGRIND},
    {"vgdb", required_argument, NULL, OPT_VGDB},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

struct cli {
	const char *json, *junit, *csv, *plot;
	long load, warmup, concurrency, timeout, start, stop, settle, port;
};

static int parse_cli(int argc, char **argv, struct cli *cli, struct pb_config *cfg)
{
	char why[160];
	int opt, idx = 0;

	/* "+": options stop at the first non-option, the server's command. */
	while ((opt = getopt_long(argc, argv, "+h", long_opts, &idx)) != -1) {
		long *target = NULL, min = 1, max = 1000000;

		switch (opt) {
		case OPT_SCENARIO:
			if (parse_scenarios(optarg, cfg))
				return 2;
			break;
		case OPT_LOAD:
			target = &cli->load;
			max = 10000;
			break;
		case OPT_WARMUP:
			target = &cli->warmup;
			min = 0;
			max = 10000;
			break;
		case OPT_CONCURRENCY:
			target = &cli->concurrency;
			max = 64;
			break;
		case OPT_TIMEOUT: target = &cli->timeout; break;
		case OPT_START_TIMEOUT: target = &cli->start; break;
		case OPT_STOP_TIMEOUT: target = &cli->stop; break;
		case OPT_SETTLE: target = &cli->settle; break;
		case OPT_PORT:
			target = &cli->port;
			max = 65535;
			break;
		case OPT_PATH:
			if (optarg[0] != '/')
				return bad("--path must start with /");
			cfg->client.path = optarg;
			break;
		case OPT_SUBPROTOCOL: cfg->client.protocol = optarg; break;
		case OPT_HOST: cfg->host = optarg; break;
		case OPT_RUNTIME:
			if (lc_runtime_spec_parse(optarg, &cfg->runtime, why, sizeof(why)) != 0)
				return bad("--runtime: %s", why);
			break;
		case OPT_MEMCHECK: cfg->memcheck = true; break;
		case OPT_JUDGE_RSS: cfg->judge_rss = true; break;
		case OPT_JSON: cli->json = optarg; break;
		case OPT_JUNIT: cli->junit = optarg; break;
		case OPT_CSV: cli->csv = optarg; break;
		case OPT_PLOT: cli->plot = optarg; break;
		case OPT_LOGS: cfg->logs = optarg; break;
		case OPT_QUIET: cfg->quiet = true; break;
		case OPT_VALGRIND: cfg->valgrind = optarg; break;
		case OPT_VGDB: cfg->vgdb = optarg; break;
		case OPT_HELP:
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
		if (target && number(optarg, min, max, target) != 0)
			return bad("--%s: a number from %ld to %ld, not \"%s\"",
				   long_opts[idx].name, min, max, optarg);
	}
	if (optind >= argc)
		return bad("no server command: leaklab-probe [options] -- COMMAND [ARGS...]");
	cfg->argv = argv + optind;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = {.load = 20, .warmup = -1, .concurrency = 8, .timeout = 3000};
	struct pb_config cfg = {
	    .host = "127.0.0.1",
	    .valgrind = LEAKLAB_VALGRIND,
	    .vgdb = LEAKLAB_VGDB,
	    .suppressions = LEAKLAB_SUPPRESSIONS,
	};
	struct pb_result *res;
	char logs[PATH_MAX], csv_tmp[PATH_MAX + 32];
	size_t i;
	int rc;

	/* A client writing to a server that hung up must get EPIPE, not die. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Started with stdin, stdout or stderr closed, the probe's own log or
	 * /dev/null would land on 0, 1 or 2 and be overwritten in the child:
	 * /dev/null holds each closed one.
	 */
	for (i = 0; i < 3; i++)
		if (fcntl((int)i, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return 2;
	for (i = 0; i < sizeof(default_scenarios) / sizeof(default_scenarios[0]); i++)
		cfg.scenarios[cfg.nscenarios++] = default_scenarios[i];
	rc = parse_cli(argc, argv, &cli, &cfg);
	if (rc)
		return rc;
	default_logs(logs, sizeof(logs));
	if (!cfg.logs)
		cfg.logs = logs;
	cfg.load = cli.load;
	cfg.warmup = cli.warmup >= 0 ? cli.warmup : (cli.load < 8 ? cli.load : 8);
	cfg.concurrency = (int)cli.concurrency;
	cfg.timeout_ms = (int)cli.timeout;
	cfg.start_ms = cli.start ? (int)cli.start : cfg.memcheck ? 60000 : 10000;
	cfg.stop_ms = cli.stop ? (int)cli.stop : cfg.memcheck ? 30000 : 5000;
	cfg.window_ms = cli.settle ? (int)cli.settle : cfg.memcheck ? 1000 : 250;
	cfg.port = (unsigned)cli.port;

	res = calloc(1, sizeof(*res));
	if (!res)
		return bad("out of memory");
	rc = pb_run(&cfg, res);
	pb_report_table(stdout, &cfg, res);
	fflush(stdout);
	if (cli.json && pb_report_json(cli.json, &cfg, res) != 0)
		fprintf(stderr, "leaklab-probe: cannot write %s: %s\n", cli.json, strerror(errno));
	if (cli.junit && pb_report_junit(cli.junit, &cfg, res) != 0)
		fprintf(stderr, "leaklab-probe: cannot write %s: %s\n", cli.junit, strerror(errno));
	if (cli.csv && pb_report_csv(cli.csv, &cfg, res) != 0)
		fprintf(stderr, "leaklab-probe: cannot write %s: %s\n", cli.csv, strerror(errno));
	if (cli.plot && rc != 2) {
		const char *csv = cli.csv;

		if (!csv) {
			snprintf(csv_tmp, sizeof(csv_tmp), "%s/points.csv", res->logdir);
			csv = csv_tmp;
			pb_report_csv(csv, &cfg, res);
		}
		if (draw_plot(csv, cli.plot, res) == 0)
			printf("plot: %s\n", cli.plot);
		else
			fprintf(stderr, "leaklab-probe: the plot could not be drawn\n");
	}
	/* A clean run's logs say nothing the table did not. */
	if (rc == 0)
		pb_remove_logs(res);
	free(res);
	return rc;
}
