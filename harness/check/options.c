/*
 * options.c - leaklab-check's command line, and the configuration of a
 * check made from it and the case's manifest (options.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>
#include <leaklab/transport.h>

#include "options.h"
#include "judge/judge.h"
#include "model.h"
#include "measure/proc.h"
#include "judge/report.h"
#include "run.h"
#include "drive/scenario.h"
#include "judge/teach.h"
#include "twin.h"

#ifndef LEAKLAB_VALGRIND
#define LEAKLAB_VALGRIND "valgrind"
#endif
#ifndef LEAKLAB_VGDB
#define LEAKLAB_VGDB "vgdb"
#endif
#ifndef LEAKLAB_SUPPRESSIONS
#define LEAKLAB_SUPPRESSIONS NULL
#endif
#ifndef LEAKLAB_RACE_SUPPRESSIONS
#define LEAKLAB_RACE_SUPPRESSIONS NULL
#endif

#define DEFAULT_CONCURRENCY 8
#define MAX_LOAD	    100000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: leaklab-check --case NN-slug [--variant leak|fixed] [options]\n"
		"       leaklab-check --program PATH --variant leak|fixed --scenario NAME\n"
		"                     --load N --expect SIGNALS [options]\n"
		"\n"
		"Starts the program, drives N then N more clients, measures threads, fds and\n"
		"heap from outside after each step, and judges: the leak variant must show\n"
		"every expected signal growing with the load, the fixed variant must return\n"
		"to its baseline (and, under memcheck, have no error, no lost byte and no fd\n"
		"left open).\n"
		"\n"
		"  --tour               every built case, leak beside fix, natively and under\n"
		"                       memcheck (--native or --memcheck for one mode), then a\n"
		"                       growth table and a memcheck-at-exit table\n"
		"  --jobs N             the tour's checks at a time (default: 2 x cores + 1)\n"
		"  --plan NN-slug       print the case's plan as JSON: per variant and mode the\n"
		"                       scenarios, load, signals judged, limits, behaviour\n"
		"                       checks, exit paths and twins, in a student's words\n"
		"  --plan-text NN-slug  what ./leaklab verify judges, as the course prints it\n"
		"  --list               the built cases, one \"NN-slug<TAB>summary\" a line\n"
		"  --drive --case NN-slug --port P [--rate R] [--seconds S] [--clients N]\n"
		"                       loop the case's scenario against a program already\n"
		"                       listening on 127.0.0.1:P, R a second (default 5), until\n"
		"                       SIGTERM, S seconds or N clients; a JSON sample a second\n"
		"  --case NAME          check the case NAME (NN-slug) as the build registered it;\n"
		"                       without --variant both variants run\n"
		"  --manifest FILE      read this manifest instead\n"
		"  --program PATH       the server to check\n"
		"  --variant leak|fixed\n"
		"  --scenario NAME      connect-close, connect-drop, silent-peer, no-close-reply,\n"
		"                       burst, bad-handshake, request, bad-token, fault-walk,\n"
		"                       tls, tls-bad, slow-consumer, reset-unread,\n"
		"                       silent-start, silent-connect, burst-large,\n"
		"                       slow-publisher,\n"
		"                       shutdown (0, N, 2N clients held across SIGTERM)\n"
		"  --load N             clients per step (messages for burst and slow-consumer)\n"
		"                       (a load this machine cannot hold is refused first)\n"
		"  --expect SIGNALS     what the leak shows: threads,fds,heap,lost,race\n"
		"  --memcheck-expect SIGNALS  the same under memcheck or DRD (default: --expect)\n"
		"  --request TEXT       the message of the request scenario\n"
		"  --path PATH          the upgrade's path and query for every client (\"/\")\n"
		"  --bad-path PATH      bad-token's upgrade, which must get 401 (\"/?token=bad\")\n"
		"  --program-arg ARG    an argument for the program (repeatable)\n"
		"  --native             run natively (the default)\n"
		"  --memcheck           run under Valgrind memcheck (with --native: both)\n"
		"  --drd                run under Valgrind's DRD, the race detector: races\n"
		"                       and frames the clients saw broken (signal race)\n"
		"  --checker            the case's own Valgrind tool: --drd for a case\n"
		"                       registered with MODE drd, else --memcheck\n"
		"  --json FILE          write every number and the verdict as JSON\n"
		"  --csv FILE           write the time series (variant, mode, t_ms, phase,\n"
		"                       clients, threads, fds, heap, lost, rss; heap and lost\n"
		"                       at base, N, 2N and after each step between them); with\n"
		"                       --tour a directory, one NN-slug.csv per case\n"
		"  --heap-profile       under memcheck (implied without --native), print the\n"
		"                       allocation stacks whose live bytes grew from N to 2N\n"
		"  --flame FILE.svg     with --heap-profile: that growth as a flame graph, and\n"
		"                       FILE.folded, the collapsed stacks (flamegraph.pl,\n"
		"                       speedscope)\n"
		"  --warmup N           clients before the baseline (default min(load, 8))\n"
		"  --settle-ms N        how long counts must hold still to count as settled\n"
		"  --concurrency N      clients at once (default 8)\n");
	fprintf(
	    f,
	    "  --valgrind PATH, --vgdb PATH, --suppressions FILE\n"
	    "  --keep               keep the logs and memcheck XML (kept anyway on failure)\n"
	    "  --logs DIR           where each run's log folder goes (default BUILD/logs;\n"
	    "                       the 20 newest folders are kept)\n"
	    "  --quiet              no progress lines on stderr\n"
	    "  --beside-native      under memcheck or DRD, beside a native check of the same\n"
	    "                       fix: a quarter of the clients, no point settled; judged on\n"
	    "                       what Valgrind says at exit (errors, lost bytes, fds left\n"
	    "                       open; DRD's races), the counts left to the native check\n"
	    "  --first-answer-fd N  a fix, natively: when an exit path leaves threads or fds\n"
	    "                       off the baseline (a shutdown start, a client without its\n"
	    "                       1001), one line on descriptor N at once; the whole check\n"
	    "                       goes on (the course's verify shows it first); the behaviour\n"
	    "                       is then checked on a start of its own, beside the run\n"
	    "  --twin LANG          with --case: check the case's twin in go, node or python\n"
	    "                       (natively, with its runtime's own count)\n"
	    "  --runtime NAME,PATH,LINE  a runtime count to read over HTTP, e.g.\n"
	    "                       goroutines,/debug/pprof/goroutine?debug=1,goroutine "
	    "profile: total\n"
	    "  --judge SIGNALS      the signals a fix is judged on (default: all but runtime)\n");
	fprintf(f, "  --heap-limit N       a fix's heap limit in bytes per client (default 16)\n"
		   "\n"
		   "Exit status: 0 verdict passed, 1 verdict failed, 2 no verdict (bad arguments,\n"
		   "no ready line, crash, hang, clients could not connect).\n");
}

enum {
	OPT_CASE = 256,
	OPT_MANIFEST,
	OPT_PROGRAM,
	OPT_VARIANT,
	OPT_SCENARIO,
	OPT_LOAD,
	OPT_EXPECT,
	OPT_MEMCHECK_EXPECT,
	OPT_REQUEST,
	OPT_PATH,
	OPT_BAD_PATH,
	OPT_PROGRAM_ARG,
	OPT_NATIVE,
	OPT_MEMCHECK,
	OPT_DRD,
	OPT_CHECKER,
	OPT_JSON,
	OPT_CSV,
	OPT_WARMUP,
	OPT_SETTLE,
	OPT_CONCURRENCY,
	OPT_VALGRIND,
	OPT_VGDB,
	OPT_SUPPRESSIONS,
	OPT_KEEP,
	OPT_LOGS,
	OPT_QUIET,
	OPT_BESIDE_NATIVE,
	OPT_FIRST_ANSWER_FD,
	OPT_TOUR,
	OPT_JOBS,
	OPT_BEHAVIOUR,
	OPT_VERIFY,
	OPT_SOURCE,
	OPT_TWIN,
	OPT_RUNTIME,
	OPT_JUDGE,
	OPT_HEAP_LIMIT,
	OPT_HEAP_PROFILE,
	OPT_FLAME,
	OPT_PLAN,
	OPT_DRIVE,
	OPT_PORT,
	OPT_RATE,
	OPT_SECONDS,
	OPT_CLIENTS,
	OPT_PLAN_TEXT,
	OPT_LIST,
	OPT_HELP,
};

static const struct option long_opts[] = {
    {"case", required_argument, NULL, OPT_CASE},
    {"manifest", required_argument, NULL, OPT_MANIFEST},
    {"program", required_argument, NULL, OPT_PROGRAM},
    {"variant", required_argument, NULL, OPT_VARIANT},
    {"scenario", required_argument, NULL, OPT_SCENARIO},
    {"load", required_argument, NULL, OPT_LOAD},
    {"expect", required_argument, NULL, OPT_EXPECT},
    {"memcheck-expect", required_argument, NULL, OPT_MEMCHECK_EXPECT},
    {"request", required_argument, NULL, OPT_REQUEST},
    {"path", required_argument, NULL, OPT_PATH},
    {"bad-path", required_argument, NULL, OPT_BAD_PATH},
    {"program-arg", required_argument, NULL, OPT_PROGRAM_ARG},
    {"native", no_argument, NULL, OPT_NATIVE},
    {"memcheck", no_argument, NULL, OPT_MEMCHECK},
    {"drd", no_argument, NULL, OPT_DRD},
    {"checker", no_argument, NULL, OPT_CHECKER},
    {"json", required_argument, NULL, OPT_JSON},
    {"csv", required_argument, NULL, OPT_CSV},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"settle-ms", required_argument, NULL, OPT_SETTLE},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"valgrind", required_argument, NULL, OPT_VALGRIND},
    {"vgdb", required_argument, NULL, OPT_VGDB},
    {"suppressions", required_argument, NULL, OPT_SUPPRESSIONS},
    {"keep", no_argument, NULL, OPT_KEEP},
    {"logs", required_argument, NULL, OPT_LOGS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"beside-native", no_argument, NULL, OPT_BESIDE_NATIVE},
    {"first-answer-fd", required_argument, NULL, OPT_FIRST_ANSWER_FD},
    {"tour", no_argument, NULL, OPT_TOUR},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"behaviour", required_argument, NULL, OPT_BEHAVIOUR},
    {"verify", no_argument, NULL, OPT_VERIFY},
    {"source", required_argument, NULL, OPT_SOURCE},
    {"twin", required_argument, NULL, OPT_TWIN},
    {"runtime", required_argument, NULL, OPT_RUNTIME},
    {"judge", required_argument, NULL, OPT_JUDGE},
    {"heap-limit", required_argument, NULL, OPT_HEAP_LIMIT},
    {"heap-profile", no_argument, NULL, OPT_HEAP_PROFILE},
    {"flame", required_argument, NULL, OPT_FLAME},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"drive", no_argument, NULL, OPT_DRIVE},
    {"port", required_argument, NULL, OPT_PORT},
    {"rate", required_argument, NULL, OPT_RATE},
    {"seconds", required_argument, NULL, OPT_SECONDS},
    {"clients", required_argument, NULL, OPT_CLIENTS},
    {"plan-text", required_argument, NULL, OPT_PLAN_TEXT},
    {"list", no_argument, NULL, OPT_LIST},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Says what is wrong with the command line; returns the exit code 2. */
__attribute__((format(printf, 1, 2))) int lc_bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "leaklab-check: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see leaklab-check --help)\n");
	return 2;
}

bool lc_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* The twin options (twin.h): --twin from the manifest, or explicit ones. */
static int configure_twin(const struct lc_cli *cli, const struct lc_case *m, struct lc_config *cfg)
{
	char why[256];
	long v;

	if (cli->twin) {
		struct lc_twin t;
		int rc;

		if (!m->name)
			return lc_bad("--twin needs --case NAME");
		rc = lc_twin_find(&m->raw, cli->twin, &t, why, sizeof(why));
		if (rc == 1)
			return lc_bad("case %s has no %s twin", m->name, cli->twin);
		if (rc)
			return lc_bad("%s", why);
		if (t.skip)
			return lc_bad("the %s twin of %s is not built: %s", cli->twin, m->name,
				      t.skip);
		/* The twin's programs replace the C ones lc_options_configure() chose... */
		lc_twin_apply(&t, cfg, cli->expect != NULL);
		/* ...unless --program names the one to check. */
		if (cli->program)
			cfg->leak_program = cfg->fixed_program = cli->program;
	}
	if (cli->runtime && lc_runtime_spec_parse(cli->runtime, &cfg->runtime, why, sizeof(why)))
		return lc_bad("%s", why);
	if (cli->judge) {
		v = lc_parse_signals(cli->judge);
		if (v <= 0)
			return lc_bad("unknown signal in --judge \"%s\"", cli->judge);
		cfg->judged = (unsigned)v;
	}
	if (cli->heap_limit) {
		if (!lc_parse_long(cli->heap_limit, 1, 1L << 30, &v))
			return lc_bad("bad --heap-limit \"%s\"", cli->heap_limit);
		cfg->heap_limit = (double)v;
	}
	return 0;
}

/* One TLS client context for every check whose program serves wss (freed in main). */
struct ll_tls_ctx *lc_client_tls;

/* Fills cfg from the command line and the manifest; returns 0 or the exit code 2. */
int lc_options_configure(const struct lc_cli *cli, const struct lc_case *m, struct lc_config *cfg)
{
	const char *scenario = cli->scenario;
	const char *load = cli->load;
	const char *expect = cli->expect;
	const char *mexpect = cli->memcheck_expect;
	long v, mask;
	size_t i;

	cfg->request = cli->request ? cli->request : m->request;
	/* Every client's upgrade (scenario.h's lc_client): this configuration's own. */
	cfg->client.path = cli->path ? cli->path : m->path;
	cfg->client.bad_path = cli->bad_path ? cli->bad_path : m->bad_path;
	if (cfg->client.path && cfg->client.path[0] != '/')
		return lc_bad("--path must start with /, not \"%s\"", cfg->client.path);
	if (cfg->client.bad_path && cfg->client.bad_path[0] != '/')
		return lc_bad("--bad-path must start with /, not \"%s\"", cfg->client.bad_path);
	cfg->summary = m->summary;
	if (cli->nargs > 0 || !m->name) {
		cfg->program_args = cli->args;
		cfg->nprogram_args = cli->nargs;
	} else {
		cfg->program_args = m->program_args;
		cfg->nprogram_args = m->nprogram_args;
	}

	if (cli->verify) {
		if (cli->variant && strcmp(cli->variant, "fixed") != 0)
			return lc_bad("--verify judges a fix: --variant fixed or none");
		if (!m->name)
			return lc_bad("--verify needs --case NAME");
		cfg->variants[LC_FIXED] = true;
		cfg->leak_program = m->leak;
		cfg->fixed_program = cli->program ? cli->program : m->exercise;
		if (!cfg->fixed_program)
			return lc_bad("the manifest names no exercise program: rebuild the case");
	} else if (cli->variant) {
		if (strcmp(cli->variant, "leak") == 0)
			cfg->variants[LC_LEAK] = true;
		else if (strcmp(cli->variant, "fixed") == 0)
			cfg->variants[LC_FIXED] = true;
		else
			return lc_bad("--variant must be leak or fixed, not \"%s\"", cli->variant);
	} else if (cli->case_name || cli->case_file) {
		cfg->variants[LC_LEAK] = cfg->variants[LC_FIXED] = true;
	} else {
		return lc_bad("--variant is required with --program");
	}

	/* --verify chose its programs above. */
	if (!cli->verify && cli->program) {
		if (cfg->variants[LC_LEAK] && cfg->variants[LC_FIXED])
			return lc_bad("--program checks one program: give --variant");
		cfg->leak_program = cfg->fixed_program = cli->program;
	} else if (!cli->verify && m->name) {
		cfg->leak_program = m->leak;
		cfg->fixed_program = m->fixed;
		if ((cfg->variants[LC_LEAK] && !m->leak) || (cfg->variants[LC_FIXED] && !m->fixed))
			return lc_bad("the manifest names no program for that variant");
	} else if (!cli->verify) {
		return lc_bad("give --case NAME or --program PATH");
	}

	/* What the command line names replaces the case's own. */
	if (scenario) {
		if (lc_scenarios_parse(scenario, cfg->scenarios, &cfg->nscenarios))
			return lc_bad("unknown scenario in \"%s\" (names from --help, at most %d)",
				      scenario, LC_MAX_SCENARIOS);
	} else {
		memcpy(cfg->scenarios, m->scenarios, sizeof(cfg->scenarios));
		cfg->nscenarios = m->nscenarios;
		memcpy(cfg->fixed_scenarios, m->verify, sizeof(cfg->fixed_scenarios));
		cfg->nfixed_scenarios = m->nverify;
	}
	if (cfg->nscenarios == 0)
		return lc_bad("--scenario is required");
	cfg->scenario = cfg->scenarios[0];
	if (cli->verify) {
		/* The student's program is judged as a fix: on every exit path. */
		if (cfg->nfixed_scenarios > 0) {
			memcpy(cfg->scenarios, cfg->fixed_scenarios, sizeof(cfg->scenarios));
			cfg->nscenarios = cfg->nfixed_scenarios;
			cfg->scenario = cfg->scenarios[0];
		}
		cfg->verify = true;
	}
	cfg->source = cli->source;
	cfg->nbehaviours = 0;
	for (i = 0; i < cli->nbehaviours; i++) {
		char why[256];

		if (lc_behaviour_parse(cli->behaviours[i], &cfg->behaviours[i], why, sizeof(why)))
			return lc_bad("%s", why);
		cfg->nbehaviours = i + 1;
	}
	if (cli->nbehaviours == 0) {
		memcpy(cfg->behaviours, m->behaviours, sizeof(cfg->behaviours));
		cfg->nbehaviours = m->nbehaviours;
	}
	if (cfg->scenario == LC_SC_REQUEST && !cfg->request)
		return lc_bad("the request scenario needs --request TEXT");
	cfg->load = m->load;
	if (load && !lc_parse_long(load, 1, MAX_LOAD, &cfg->load))
		return lc_bad("--load must be a number from 1 to 100000, not \"%s\"", load);
	if (cfg->load == 0)
		return lc_bad("--load is required");

	cfg->expect = m->expect;
	if (expect) {
		mask = lc_parse_signals(expect);
		if (mask < 0)
			return lc_bad("unknown signal in \"%s\" (threads, fds, heap, lost)",
				      expect);
		cfg->expect = (unsigned)mask;
	}
	/* Under Valgrind: the case's own memcheck_expect=, else what natively shows. */
	cfg->memcheck_expect = m->raw.memcheck_expect ? m->memcheck_expect : cfg->expect;
	if (mexpect) {
		mask = lc_parse_signals(mexpect);
		if (mask < 0)
			return lc_bad("unknown signal in \"%s\" (threads, fds, heap, lost)",
				      mexpect);
		cfg->memcheck_expect = (unsigned)mask;
	}
	if (cfg->variants[LC_LEAK] && cfg->expect == 0 && cfg->memcheck_expect == 0)
		return lc_bad("the leak variant needs --expect SIGNALS");

	cfg->warmup = -1;
	if (cli->warmup) {
		if (!lc_parse_long(cli->warmup, 0, MAX_LOAD, &v))
			return lc_bad("bad --warmup \"%s\"", cli->warmup);
		cfg->warmup = v;
	}
	cfg->settle_ms = m->settle_ms;
	if (cli->settle) {
		if (!lc_parse_long(cli->settle, 1, 60000, &v))
			return lc_bad("bad --settle-ms \"%s\"", cli->settle);
		cfg->settle_ms = (int)v;
	}
	cfg->concurrency = DEFAULT_CONCURRENCY;
	if (cli->concurrency) {
		if (!lc_parse_long(cli->concurrency, 1, 64, &v))
			return lc_bad("bad --concurrency \"%s\" (1 to 64)", cli->concurrency);
		cfg->concurrency = (int)v;
	}
	if (cfg->flame_path && !cfg->heap_profile)
		return lc_bad("--flame needs --heap-profile");
	if (cli->checker) {
		if (m->checker == LC_CHECKER_DRD)
			cfg->drd = true;
		else
			cfg->memcheck = true;
	}
	/* The profile comes from memcheck's loss records. */
	if (cfg->heap_profile && !cfg->native && !cfg->memcheck && !cfg->drd)
		cfg->memcheck = true;
	if (!cfg->native && !cfg->memcheck && !cfg->drd)
		cfg->native = true;
	/* A program that serves wss (--tls) is reached over wss by every client. */
	for (i = 0; i < cfg->nprogram_args; i++) {
		if (strcmp(cfg->program_args[i], "--tls") != 0)
			continue;
		if (!lc_client_tls && ll_tls_client_ctx_create(&lc_client_tls, NULL) != 0)
			return lc_bad("cannot make a TLS client context");
		cfg->client.tls = lc_client_tls;
	}
	return configure_twin(cli, m, cfg);
}

int lc_options_parse(int argc, char **argv, struct lc_cli *cli, struct lc_config *cfg)
{
	int opt;

	cfg->valgrind = LEAKLAB_VALGRIND;
	cfg->vgdb = LEAKLAB_VGDB;
	cfg->suppressions = LEAKLAB_SUPPRESSIONS;
	cfg->race_suppressions = LEAKLAB_RACE_SUPPRESSIONS;
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_CASE: cli->case_name = optarg; break;
		case OPT_MANIFEST: cli->case_file = optarg; break;
		case OPT_PROGRAM: cli->program = optarg; break;
		case OPT_VARIANT: cli->variant = optarg; break;
		case OPT_SCENARIO: cli->scenario = optarg; break;
		case OPT_LOAD: cli->load = optarg; break;
		case OPT_EXPECT: cli->expect = optarg; break;
		case OPT_MEMCHECK_EXPECT: cli->memcheck_expect = optarg; break;
		case OPT_REQUEST: cli->request = optarg; break;
		case OPT_PATH: cli->path = optarg; break;
		case OPT_BAD_PATH: cli->bad_path = optarg; break;
		case OPT_PROGRAM_ARG:
			if (cli->nargs == MAX_PROGRAM_ARGS)
				return lc_bad("too many --program-arg");
			cli->args[cli->nargs++] = optarg;
			break;
		case OPT_NATIVE: cfg->native = true; break;
		case OPT_MEMCHECK: cfg->memcheck = true; break;
		case OPT_DRD: cfg->drd = true; break;
		case OPT_CHECKER: cli->checker = true; break;
		case OPT_JSON: cfg->json_path = optarg; break;
		case OPT_CSV: cfg->csv_path = optarg; break;
		case OPT_WARMUP: cli->warmup = optarg; break;
		case OPT_SETTLE: cli->settle = optarg; break;
		case OPT_CONCURRENCY: cli->concurrency = optarg; break;
		case OPT_VALGRIND: cfg->valgrind = optarg; break;
		case OPT_VGDB: cfg->vgdb = optarg; break;
		case OPT_SUPPRESSIONS: cfg->suppressions = optarg; break;
		case OPT_KEEP: cfg->keep = true; break;
		case OPT_LOGS: cfg->logs_dir = optarg; break;
		case OPT_QUIET: cfg->quiet = true; break;
		case OPT_BESIDE_NATIVE: cfg->beside_native = true; break;
		case OPT_FIRST_ANSWER_FD: {
			long fd;

			if (!lc_parse_long(optarg, 1, 1023, &fd))
				return lc_bad("bad --first-answer-fd \"%s\"", optarg);
			cfg->first_answer_fd = (int)fd;
			break;
		}
		case OPT_TOUR: cli->tour = true; break;
		case OPT_PLAN: cli->plan = optarg; break;
		case OPT_PLAN_TEXT:
			cli->plan = optarg;
			cli->plan_text = true;
			break;
		case OPT_LIST: cli->list = true; break;
		case OPT_DRIVE: cli->drive = true; break;
		case OPT_PORT: cli->port = optarg; break;
		case OPT_RATE: cli->rate = optarg; break;
		case OPT_SECONDS: cli->seconds = optarg; break;
		case OPT_CLIENTS: cli->clients = optarg; break;
		case OPT_JOBS: cli->jobs = optarg; break;
		case OPT_VERIFY: cli->verify = true; break;
		case OPT_SOURCE: cli->source = optarg; break;
		case OPT_TWIN: cli->twin = optarg; break;
		case OPT_RUNTIME: cli->runtime = optarg; break;
		case OPT_JUDGE: cli->judge = optarg; break;
		case OPT_HEAP_LIMIT: cli->heap_limit = optarg; break;
		case OPT_HEAP_PROFILE: cfg->heap_profile = true; break;
		case OPT_FLAME: cfg->flame_path = optarg; break;
		case OPT_BEHAVIOUR:
			if (cli->nbehaviours == LC_MAX_BEHAVIOURS)
				return lc_bad("too many --behaviour");
			cli->behaviours[cli->nbehaviours++] = optarg;
			break;
		case OPT_HELP:
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		return lc_bad("unexpected argument \"%s\"", argv[optind]);
	return 0;
}

/* Says that a case does not exist and which ones do; returns the exit code 2. */
static int no_such_case(const char *name)
{
	char dir[4096];
	struct dirent **names = NULL;
	int count = -1, i;

	fprintf(stderr, "leaklab-check: no case \"%s\"", name);
	if (lc_manifest_dir(dir, sizeof(dir)) == 0)
		count = scandir(dir, &names, lc_is_manifest, alphasort);
	if (count <= 0) {
		fprintf(stderr, " (and no case is built: cmake --build build)\n");
		free(names);
		return 2;
	}
	fprintf(stderr, "; the cases are:\n");
	for (i = 0; i < count; i++) {
		size_t n = strlen(names[i]->d_name) - 9;

		fprintf(stderr, "  %.*s\n", (int)n, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return 2;
}

int lc_options_list_cases(FILE *f)
{
	char dir[4096], path[4400], why[300];
	struct dirent **names = NULL;
	int count, i, rc = 0;

	if (lc_manifest_dir(dir, sizeof(dir)))
		return lc_bad("cannot locate the case manifests");
	count = scandir(dir, &names, lc_is_manifest, alphasort);
	if (count <= 0) {
		free(names);
		fprintf(stderr, "leaklab-check: no case is built (cmake --build build)\n");
		return 2;
	}
	for (i = 0; i < count; i++) {
		struct lc_case c;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (lc_case_read(path, &c, why, sizeof(why)) == 0) {
			fprintf(f, "%s\t%s\n", c.name, c.summary ? c.summary : "");
		} else {
			fprintf(stderr, "leaklab-check: %s: %s\n", path, why);
			rc = 2;
		}
		lc_case_free(&c);
		free(names[i]);
	}
	free(names);
	return rc;
}

int lc_options_load_case(const struct lc_cli *cli, struct lc_case *c)
{
	char path[4096], why[300];
	const char *file = cli->case_file;
	int err;

	memset(c, 0, sizeof(*c));
	if (!cli->case_name && !cli->case_file)
		return 0;
	if (!file) {
		if (lc_manifest_path(cli->case_name, path, sizeof(path)))
			return lc_bad("cannot locate the case manifests");
		file = path;
	}
	err = lc_case_read(file, c, why, sizeof(why));
	if (err == LL_EIO && !cli->case_file && access(file, F_OK) != 0)
		return no_such_case(cli->case_name);
	if (err == LL_EIO)
		return lc_bad("no manifest %s: is the case built? (cmake --build build)", file);
	if (err)
		return lc_bad("manifest %s: %s", file, why);
	return 0;
}
