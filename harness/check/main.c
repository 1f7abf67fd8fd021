/*
 * leaklab-check - drives a case's server with real clients, measures it
 * from outside (/proc, its /metrics, Valgrind memcheck) and judges it: the
 * leak variant must show the leak its case names, the fixed variant must
 * be clean.
 *
 * Exit status: 0 the verdict passed, 1 it failed, 2 no verdict (a bad
 * argument, no ready line in time, a crash, a hang on SIGTERM, clients
 * that could not connect). A crash or a timeout is never a "leak found".
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

#include "judge/judge.h"
#include "manifest.h"
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
#define MAX_PROGRAM_ARGS    64
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
		"  --jobs N             the tour's checks at a time (default: cores + 1)\n"
		"  --case NAME          read the case's manifest (BUILD/cases/NAME.manifest);\n"
		"                       without --variant both variants run\n"
		"  --manifest FILE      read this manifest instead\n"
		"  --program PATH       the server to check\n"
		"  --variant leak|fixed\n"
		"  --scenario NAME      connect-close, connect-drop, silent-peer, no-close-reply,\n"
		"                       burst, bad-handshake, request, bad-token, fault-walk,\n"
		"                       tls, tls-bad, slow-consumer,\n"
		"                       shutdown (0, N, 2N clients held across SIGTERM)\n"
		"  --load N             clients per step (messages for burst and slow-consumer)\n"
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
		"  --concurrency N      clients at once (default 8)\n"
		"  --valgrind PATH, --vgdb PATH, --suppressions FILE\n"
		"  --keep               keep the logs and memcheck XML (kept anyway on failure)\n"
		"  --logs DIR           where each run's log folder goes (default BUILD/logs;\n"
		"                       the 20 newest folders are kept)\n"
		"  --quiet              no progress lines on stderr\n"
		"  --twin LANG          with --case: check the case's twin in go, node or python\n"
		"                       (natively, with its runtime's own count)\n"
		"  --runtime NAME,PATH,LINE  a runtime count to read over HTTP, e.g.\n"
		"                       goroutines,/debug/pprof/goroutine?debug=1,goroutine "
		"profile: total\n"
		"  --judge SIGNALS      the signals a fix is judged on (default: all but runtime)\n"
		"  --heap-limit N       a fix's heap limit in bytes per client (default 16)\n"
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
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* What the command line said, before the manifest fills the gaps. */
struct cli {
	bool tour, verify;
	bool checker;	  /* --checker: memcheck, or DRD if the manifest says mode=drd */
	const char *jobs; /* --jobs: the tour's checks at a time */
	const char *source;
	const char *behaviours[LC_MAX_BEHAVIOURS];
	size_t nbehaviours;
	const char *case_name, *manifest, *program, *variant, *scenario, *load, *expect;
	const char *memcheck_expect, *request, *warmup, *settle, *concurrency;
	const char *path, *bad_path;
	const char *twin, *runtime, *judge, *heap_limit;
	const char *args[MAX_PROGRAM_ARGS];
	size_t nargs;
};

/* Says what is wrong with the command line; returns the exit code 2. */
__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "leaklab-check: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see leaklab-check --help)\n");
	return 2;
}

static bool parse_long(const char *s, long min, long max, long *out)
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

/* "connect-close,connect-drop" or "connect-close connect-drop" into a list. */
static int parse_scenarios(const char *text, enum lc_scenario_kind *out, size_t *n)
{
	char name[64];

	*n = 0;
	while (*text) {
		size_t len;

		text += strspn(text, ", ");
		len = strcspn(text, ", ");
		if (len == 0)
			break;
		if (len >= sizeof(name) || *n == LC_MAX_SCENARIOS)
			return LL_EINVAL;
		memcpy(name, text, len);
		name[len] = '\0';
		if (lc_scenario_parse(name, &out[*n]))
			return LL_EINVAL;
		(*n)++;
		text += len;
	}
	return *n > 0 ? 0 : LL_EINVAL;
}

/* The twin options (twin.h): --twin from the manifest, or explicit ones. */
static int configure_twin(const struct cli *cli, const struct lc_manifest *m, struct lc_config *cfg)
{
	char why[256];
	long v;

	if (cli->twin) {
		struct lc_twin t;
		int rc;

		if (!m->name)
			return bad("--twin needs --case NAME");
		rc = lc_twin_find(m, cli->twin, &t, why, sizeof(why));
		if (rc == 1)
			return bad("case %s has no %s twin", m->name, cli->twin);
		if (rc)
			return bad("%s", why);
		if (t.skip)
			return bad("the %s twin of %s is not built: %s", cli->twin, m->name,
				   t.skip);
		/* The twin's programs replace the C ones configure() chose... */
		lc_twin_apply(&t, cfg, cli->expect != NULL);
		/* ...unless --program names the one to check. */
		if (cli->program)
			cfg->leak_program = cfg->fixed_program = cli->program;
	}
	if (cli->runtime && lc_runtime_spec_parse(cli->runtime, &cfg->runtime, why, sizeof(why)))
		return bad("%s", why);
	if (cli->judge) {
		v = lc_parse_signals(cli->judge);
		if (v <= 0)
			return bad("unknown signal in --judge \"%s\"", cli->judge);
		cfg->judged = (unsigned)v;
	}
	if (cli->heap_limit) {
		if (!parse_long(cli->heap_limit, 1, 1L << 30, &v))
			return bad("bad --heap-limit \"%s\"", cli->heap_limit);
		cfg->heap_limit = (double)v;
	}
	return 0;
}

/* One TLS client context for every check whose program serves wss (freed in main). */
static struct ll_tls_ctx *client_tls;

/* Fills cfg from the command line and the manifest; returns 0 or the exit code 2. */
static int configure(const struct cli *cli, const struct lc_manifest *m, struct lc_config *cfg)
{
	const char *scenario = cli->scenario ? cli->scenario : m->scenario;
	const char *load = cli->load ? cli->load : m->load;
	const char *expect = cli->expect ? cli->expect : m->expect;
	const char *mexpect = cli->memcheck_expect ? cli->memcheck_expect : m->memcheck_expect;
	long v, mask;
	size_t i;

	cfg->request = cli->request ? cli->request : m->request;
	/* Every client's upgrade (scenario.h's lc_client): this configuration's own. */
	cfg->client.path = cli->path ? cli->path : m->path;
	cfg->client.bad_path = cli->bad_path ? cli->bad_path : m->bad_path;
	if (cfg->client.path && cfg->client.path[0] != '/')
		return bad("--path must start with /, not \"%s\"", cfg->client.path);
	if (cfg->client.bad_path && cfg->client.bad_path[0] != '/')
		return bad("--bad-path must start with /, not \"%s\"", cfg->client.bad_path);
	cfg->summary = m->summary;
	if (cli->nargs > 0 || !m->name) {
		cfg->program_args = cli->args;
		cfg->nprogram_args = cli->nargs;
	} else {
		cfg->program_args = (const char *const *)m->program_args;
		cfg->nprogram_args = m->nprogram_args;
	}

	if (cli->verify) {
		if (cli->variant && strcmp(cli->variant, "fixed") != 0)
			return bad("--verify judges a fix: --variant fixed or none");
		if (!m->name)
			return bad("--verify needs --case NAME");
		cfg->variants[LC_FIXED] = true;
		cfg->leak_program = m->leak;
		cfg->fixed_program = cli->program ? cli->program : m->exercise;
		if (!cfg->fixed_program)
			return bad("the manifest names no exercise program: rebuild the case");
	} else if (cli->variant) {
		if (strcmp(cli->variant, "leak") == 0)
			cfg->variants[LC_LEAK] = true;
		else if (strcmp(cli->variant, "fixed") == 0)
			cfg->variants[LC_FIXED] = true;
		else
			return bad("--variant must be leak or fixed, not \"%s\"", cli->variant);
	} else if (cli->case_name || cli->manifest) {
		cfg->variants[LC_LEAK] = cfg->variants[LC_FIXED] = true;
	} else {
		return bad("--variant is required with --program");
	}

	/* --verify chose its programs above. */
	if (!cli->verify && cli->program) {
		if (cfg->variants[LC_LEAK] && cfg->variants[LC_FIXED])
			return bad("--program checks one program: give --variant");
		cfg->leak_program = cfg->fixed_program = cli->program;
	} else if (!cli->verify && m->name) {
		cfg->leak_program = m->leak;
		cfg->fixed_program = m->fixed;
		if ((cfg->variants[LC_LEAK] && !m->leak) || (cfg->variants[LC_FIXED] && !m->fixed))
			return bad("the manifest names no program for that variant");
	} else if (!cli->verify) {
		return bad("give --case NAME or --program PATH");
	}

	if (!scenario)
		return bad("--scenario is required");
	if (parse_scenarios(scenario, cfg->scenarios, &cfg->nscenarios))
		return bad("unknown scenario in \"%s\" (names from --help, at most %d)", scenario,
			   LC_MAX_SCENARIOS);
	cfg->scenario = cfg->scenarios[0];
	if (!cli->scenario && m->verify &&
	    parse_scenarios(m->verify, cfg->fixed_scenarios, &cfg->nfixed_scenarios))
		return bad("the manifest's verify= list \"%s\" is bad", m->verify);
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
	for (i = 0; i < (cli->nbehaviours ? cli->nbehaviours : m->nbehaviours); i++) {
		const char *text = cli->nbehaviours ? cli->behaviours[i] : m->behaviours[i];
		char why[256];

		if (i == LC_MAX_BEHAVIOURS)
			return bad("too many behaviour checks (at most %d)", LC_MAX_BEHAVIOURS);
		if (lc_behaviour_parse(text, &cfg->behaviours[i], why, sizeof(why)))
			return bad("%s", why);
		cfg->nbehaviours = i + 1;
	}
	if (cfg->scenario == LC_SC_REQUEST && !cfg->request)
		return bad("the request scenario needs --request TEXT");
	if (!load)
		return bad("--load is required");
	if (!parse_long(load, 1, MAX_LOAD, &cfg->load))
		return bad("--load must be a number from 1 to 100000, not \"%s\"", load);

	if (expect) {
		mask = lc_parse_signals(expect);
		if (mask < 0)
			return bad("unknown signal in \"%s\" (threads, fds, heap, lost)", expect);
		cfg->expect = (unsigned)mask;
	}
	cfg->memcheck_expect = cfg->expect;
	if (mexpect) {
		mask = lc_parse_signals(mexpect);
		if (mask < 0)
			return bad("unknown signal in \"%s\" (threads, fds, heap, lost)", mexpect);
		cfg->memcheck_expect = (unsigned)mask;
	}
	if (cfg->variants[LC_LEAK] && cfg->expect == 0 && cfg->memcheck_expect == 0)
		return bad("the leak variant needs --expect SIGNALS");

	cfg->warmup = -1;
	if (cli->warmup) {
		if (!parse_long(cli->warmup, 0, MAX_LOAD, &v))
			return bad("bad --warmup \"%s\"", cli->warmup);
		cfg->warmup = v;
	}
	if (cli->settle || m->settle_ms) {
		const char *settle = cli->settle ? cli->settle : m->settle_ms;

		if (!parse_long(settle, 1, 60000, &v))
			return bad("bad --settle-ms \"%s\"", settle);
		cfg->settle_ms = (int)v;
	}
	cfg->concurrency = DEFAULT_CONCURRENCY;
	if (cli->concurrency) {
		if (!parse_long(cli->concurrency, 1, 64, &v))
			return bad("bad --concurrency \"%s\" (1 to 64)", cli->concurrency);
		cfg->concurrency = (int)v;
	}
	if (cfg->flame_path && !cfg->heap_profile)
		return bad("--flame needs --heap-profile");
	if (cli->checker) {
		if (m->mode && strcmp(m->mode, "drd") == 0)
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
		if (!client_tls && ll_tls_client_ctx_create(&client_tls, NULL) != 0)
			return bad("cannot make a TLS client context");
		cfg->client.tls = client_tls;
	}
	return configure_twin(cli, m, cfg);
}

static int parse_cli(int argc, char **argv, struct cli *cli, struct lc_config *cfg)
{
	int opt;

	cfg->valgrind = LEAKLAB_VALGRIND;
	cfg->vgdb = LEAKLAB_VGDB;
	cfg->suppressions = LEAKLAB_SUPPRESSIONS;
	cfg->race_suppressions = LEAKLAB_RACE_SUPPRESSIONS;
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_CASE: cli->case_name = optarg; break;
		case OPT_MANIFEST: cli->manifest = optarg; break;
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
				return bad("too many --program-arg");
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
		case OPT_TOUR: cli->tour = true; break;
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
				return bad("too many --behaviour");
			cli->behaviours[cli->nbehaviours++] = optarg;
			break;
		case OPT_HELP:
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		return bad("unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static int is_manifest(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 9 && strcmp(d->d_name + n - 9, ".manifest") == 0;
}

/* The folder of the case manifests (BUILD/cases), found from this executable. */
static int manifest_dir(char *dir, size_t size)
{
	char *slash;

	if (lc_manifest_path("x", dir, size))
		return LL_EIO;
	slash = strrchr(dir, '/');
	*slash = '\0';
	return 0;
}

/* Says that a case does not exist and which ones do; returns the exit code 2. */
static int no_such_case(const char *name)
{
	char dir[4096];
	struct dirent **names = NULL;
	int count = -1, i;

	fprintf(stderr, "leaklab-check: no case \"%s\"", name);
	if (manifest_dir(dir, sizeof(dir)) == 0)
		count = scandir(dir, &names, is_manifest, alphasort);
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

static int load_manifest(const struct cli *cli, struct lc_manifest *m)
{
	char path[4096];
	const char *file = cli->manifest;
	int err;

	memset(m, 0, sizeof(*m));
	if (!cli->case_name && !cli->manifest)
		return 0;
	if (!file) {
		if (lc_manifest_path(cli->case_name, path, sizeof(path)))
			return bad("cannot locate the case manifests");
		file = path;
	}
	err = lc_manifest_read(file, m);
	if (err == LL_EIO && !cli->manifest && access(file, F_OK) != 0)
		return no_such_case(cli->case_name);
	if (err == LL_EIO)
		return bad("no manifest %s: is the case built? (cmake --build build)", file);
	if (err)
		return bad("cannot read manifest %s", file);
	if (!m->name)
		return bad("manifest %s has no name=", file);
	return 0;
}

/* ----- the tour: every case, leak beside fix, one table ----- */

/*
 * The tour's checks run a few at a time: each mostly waits (for a ready
 * line, for counts to settle, for Valgrind), so on two cores three or four
 * at once take half the time of one after the other, and every check
 * measures its own program from outside, so they do not disturb each
 * other's counts. A case's lines are printed, in case order, once its
 * checks are all done.
 */
struct tour_job {
	int i;
	enum lc_variant v;
	enum lc_mode md;
	int twin; /* its index in the case's twins, or -1 for the C programs */
};

struct tour_state {
	struct lc_tour_case *tc;
	struct lc_twin_tour *tt;
	struct lc_config *cfgs; /* per case; point into the manifests */
	struct lc_config (*twin_cfgs)[LC_MAX_TWINS];
	int *pending; /* per case: checks not yet done */
	struct tour_job *jobs;
	size_t njobs, next;
	pthread_mutex_t lock;
	pthread_cond_t done;
};

static void *tour_worker(void *arg)
{
	struct tour_state *ts = arg;

	for (;;) {
		struct lc_config cfg;
		struct tour_job job;
		struct lc_run *run;

		pthread_mutex_lock(&ts->lock);
		if (ts->next == ts->njobs) {
			pthread_mutex_unlock(&ts->lock);
			return NULL;
		}
		job = ts->jobs[ts->next++];
		pthread_mutex_unlock(&ts->lock);

		cfg = job.twin < 0 ? ts->cfgs[job.i] : ts->twin_cfgs[job.i][job.twin];
		cfg.program = job.v == LC_LEAK ? cfg.leak_program : cfg.fixed_program;
		run = job.twin < 0 ? &ts->tc[job.i].runs[job.v][job.md]
				   : &ts->tt[job.i].runs[job.twin][job.v];
		lc_run_check(&cfg, job.v,
			     job.twin < 0 && job.md == LC_MEMCHECK && ts->tc[job.i].drd ? LC_DRD
											: job.md,
			     run);

		pthread_mutex_lock(&ts->lock);
		if (job.twin < 0)
			ts->tc[job.i].ran[job.v][job.md] = true;
		else
			ts->tt[job.i].ran[job.twin][job.v] = 1;
		ts->pending[job.i]--;
		pthread_cond_broadcast(&ts->done);
		pthread_mutex_unlock(&ts->lock);
	}
}

/* The most checks the tour runs at once: the size of its thread array. */
#define TOUR_MAX_JOBS 16

/*
 * How many checks at once: --jobs, else LEAKLAB_JOBS + 1, else cores + 1
 * (one more than cores: the checks mostly wait), never more than
 * TOUR_MAX_JOBS.
 */
static int tour_jobs(const struct cli *cli)
{
	const char *env = getenv("LEAKLAB_JOBS");
	long n = 0;

	if (cli->jobs && parse_long(cli->jobs, 1, TOUR_MAX_JOBS, &n))
		return (int)n;
	if (env && parse_long(env, 1, TOUR_MAX_JOBS, &n))
		return n < TOUR_MAX_JOBS ? (int)n + 1 : TOUR_MAX_JOBS;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 && n < TOUR_MAX_JOBS ? (int)n + 1 : 3;
}

/* With --tour --csv DIR: the case's runs as DIR/NN-slug.csv, for the summary plot. */
static int tour_csv(const char *dir, const struct lc_tour_case *tc)
{
	struct lc_run runs[4];
	char path[4096];
	size_t n = 0;
	int v, md;

	for (v = LC_LEAK; v <= LC_FIXED; v++)
		for (md = LC_NATIVE; md <= LC_MEMCHECK; md++)
			if (tc->ran[v][md])
				runs[n++] = tc->runs[v][md]; /* a shallow copy, to be read */
	snprintf(path, sizeof(path), "%s/%s.csv", dir, tc->name);
	return lc_report_csv(path, runs, n);
}

static void tour_print_run(const char *variant, const char *mode, const struct lc_config *cfg,
			   const struct lc_run *run, int *worst, int *failures)
{
	printf("  %-5s %-8s driving %ld + %ld clients (%s)... %s (%.1f s)\n", variant, mode,
	       cfg->load, cfg->load,
	       lc_scenario_name(run->nscenarios ? run->scenarios[0] : cfg->scenario),
	       run->exit_code == 2 ? run->error : run->verdict.line, run->duration_ms / 1000.0);
	if (run->exit_code > *worst)
		*worst = run->exit_code;
	*failures += run->exit_code != 0;
}

static void tour_print_case(const struct lc_tour_case *t, const struct lc_config *cfg,
			    const struct lc_twin_tour *tt, const struct lc_config *twin_cfgs,
			    const char *summary, bool native, bool memcheck, int *worst,
			    int *failures)
{
	size_t k;
	int v, md;

	printf("\n%s: %s\n", t->name, summary ? summary : "");
	for (md = LC_NATIVE; md <= LC_MEMCHECK; md++) {
		if ((md == LC_NATIVE && !native) || (md == LC_MEMCHECK && !memcheck))
			continue;
		for (v = LC_LEAK; v <= LC_FIXED; v++)
			tour_print_run(lc_variant_name((enum lc_variant)v),
				       lc_mode_name(t->runs[v][md].mode), cfg, &t->runs[v][md],
				       worst, failures);
	}
	/* The twins (natively): the same leak in Go, Node.js and Python. */
	for (k = 0; k < tt->n; k++) {
		if (tt->twin[k].skip) {
			printf("  %-5s %-8s skipped: %s\n", "", tt->twin[k].lang, tt->twin[k].skip);
			continue;
		}
		for (v = LC_LEAK; v <= LC_FIXED; v++)
			if (tt->ran[k][v])
				tour_print_run(lc_variant_name((enum lc_variant)v),
					       tt->twin[k].lang, &twin_cfgs[k], &tt->runs[k][v],
					       worst, failures);
	}
	fflush(stdout);
}

static int tour(const struct cli *cli, struct lc_config *base)
{
	char dir[4096];
	struct dirent **names = NULL;
	struct tour_state ts = {0};
	struct lc_manifest *ms = NULL;
	pthread_t threads[TOUR_MAX_JOBS];
	int count, i, v, md, worst = 0, failures = 0, nthreads = 0, want, printed = 0;
	bool native = base->native, memcheck = base->memcheck, *usable = NULL;
	long t0 = lc_now_ms();

	if (!native && !memcheck)
		native = memcheck = true;
	if (manifest_dir(dir, sizeof(dir)))
		return bad("cannot locate the case manifests");
	count = scandir(dir, &names, is_manifest, alphasort);
	if (count <= 0) {
		fprintf(stderr, "leaklab-check: no cases built in %s\n", dir);
		return 2;
	}
	ts.tc = ll_calloc((size_t)count, sizeof(*ts.tc));
	ts.tt = ll_calloc((size_t)count, sizeof(*ts.tt));
	ts.twin_cfgs = ll_calloc((size_t)count, sizeof(*ts.twin_cfgs));
	ts.cfgs = ll_calloc((size_t)count, sizeof(*ts.cfgs));
	ts.pending = ll_calloc((size_t)count, sizeof(*ts.pending));
	ts.jobs = ll_calloc((size_t)count * (4 + 2 * LC_MAX_TWINS), sizeof(*ts.jobs));
	ms = ll_calloc((size_t)count, sizeof(*ms));
	usable = ll_calloc((size_t)count, sizeof(*usable));
	if (!ts.tc || !ts.tt || !ts.twin_cfgs || !ts.cfgs || !ts.pending || !ts.jobs || !ms ||
	    !usable) {
		worst = 2;
		goto out_free;
	}
	for (i = 0; i < count; i++) {
		struct lc_config *cfg = &ts.cfgs[i];
		struct cli one = *cli;
		char path[sizeof(dir) + 260];

		*cfg = *base;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		one.tour = false;
		one.manifest = path;
		one.case_name = NULL;
		one.variant = NULL;
		if (load_manifest(&one, &ms[i]) || configure(&one, &ms[i], cfg)) {
			worst = 2;
			continue;
		}
		usable[i] = true;
		cfg->case_name = ms[i].name;
		cfg->quiet = true;
		snprintf(ts.tc[i].name, sizeof(ts.tc[i].name), "%s", ms[i].name);
		ts.tc[i].signals = (cfg->expect | cfg->memcheck_expect) & ~LC_SIG_BIT(LC_LOST);
		/* Its Valgrind column runs the case's own tool: DRD for a race (MODE drd). */
		ts.tc[i].drd = ms[i].mode && strcmp(ms[i].mode, "drd") == 0;
		for (md = LC_NATIVE; md <= LC_MEMCHECK; md++) {
			if ((md == LC_NATIVE && !native) || (md == LC_MEMCHECK && !memcheck))
				continue;
			for (v = LC_LEAK; v <= LC_FIXED; v++) {
				ts.jobs[ts.njobs++] =
				    (struct tour_job){i, (enum lc_variant)v, (enum lc_mode)md, -1};
				ts.pending[i]++;
			}
		}
		/* The twins run natively only: Valgrind does not see into a runtime. */
		if (native) {
			size_t k, n = lc_twin_tour_prepare(&ms[i], cfg, &ts.tt[i], ts.twin_cfgs[i]);

			for (k = 0; k < n; k++) {
				if (ts.tt[i].twin[k].skip)
					continue;
				for (v = LC_LEAK; v <= LC_FIXED; v++) {
					ts.jobs[ts.njobs++] = (struct tour_job){
					    i, (enum lc_variant)v, LC_NATIVE, (int)k};
					ts.pending[i]++;
				}
			}
		}
	}
	want = tour_jobs(cli);
	printf("leaklab tour: %d cases, each leak beside its fix%s (%d checks at a time)\n", count,
	       native && memcheck ? ", natively and under memcheck" : "", want);
	fflush(stdout);
	if (pthread_mutex_init(&ts.lock, NULL) != 0) {
		worst = 2;
		goto out_free;
	}
	if (pthread_cond_init(&ts.done, NULL) != 0) {
		worst = 2;
		goto out_destroy_lock;
	}
	while (nthreads < want && (size_t)nthreads < ts.njobs &&
	       pthread_create(&threads[nthreads], NULL, tour_worker, &ts) == 0)
		nthreads++;
	if (nthreads == 0 && ts.njobs > 0) {
		fprintf(stderr, "leaklab-check: cannot start the tour's threads\n");
		worst = 2;
		goto out_destroy_cond;
	}
	/* Each case's lines, in order, as soon as its checks are done. */
	pthread_mutex_lock(&ts.lock);
	while (printed < count) {
		if (usable[printed] && ts.pending[printed] > 0) {
			pthread_cond_wait(&ts.done, &ts.lock);
			continue;
		}
		if (usable[printed]) {
			pthread_mutex_unlock(&ts.lock);
			tour_print_case(&ts.tc[printed], &ts.cfgs[printed], &ts.tt[printed],
					ts.twin_cfgs[printed], ms[printed].summary, native,
					memcheck, &worst, &failures);
			if (base->csv_path && tour_csv(base->csv_path, &ts.tc[printed])) {
				fprintf(stderr, "leaklab-check: cannot write %s/%s.csv: %s\n",
					base->csv_path, ts.tc[printed].name, strerror(errno));
				worst = 2;
			}
			pthread_mutex_lock(&ts.lock);
		}
		printed++;
	}
	pthread_mutex_unlock(&ts.lock);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);

	lc_report_tour_growth(stdout, ts.tc, (size_t)count, native ? LC_NATIVE : LC_MEMCHECK);
	if (memcheck)
		lc_report_tour_memcheck(stdout, ts.tc, (size_t)count);
	if (native)
		lc_twin_tour_table(stdout, ts.tc, ts.tt, (size_t)count);
	if (failures == 0 && worst == 0)
		printf("\nevery leak reproduced, every fix clean (%d cases, %.0f s)\n", count,
		       (double)(lc_now_ms() - t0) / 1000.0);
	else
		printf("\n%d check(s) did not pass: run ./leaklab check NN for the details\n",
		       failures);
out_destroy_cond:
	pthread_cond_destroy(&ts.done);
out_destroy_lock:
	pthread_mutex_destroy(&ts.lock);
out_free:
	for (i = 0; i < count; i++) {
		for (v = 0; v < 2; v++)
			for (md = 0; md < 2; md++)
				if (ts.tc && ts.tc[i].ran[v][md])
					lc_run_free(&ts.tc[i].runs[v][md]);
		if (ts.tt)
			lc_twin_tour_free(&ts.tt[i]);
		if (ms)
			lc_manifest_free(&ms[i]);
	}
	ll_free(ts.twin_cfgs);
	ll_free(ts.tt);
	ll_free(usable);
	ll_free(ms);
	ll_free(ts.jobs);
	ll_free(ts.pending);
	ll_free(ts.cfgs);
	ll_free(ts.tc);
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return worst;
}

/*
 * Started with stdin, stdout or stderr closed (`<&-`), the harness would
 * hand that number to the next file or socket it opens, and then its
 * progress or its table would go into the program's log or a client's
 * connection. Each closed one is opened on /dev/null instead (open takes
 * the lowest free descriptor). Returns 0 or 2 (no /dev/null).
 */
static int open_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct lc_config cfg = {0};
	struct cli cli = {0};
	struct lc_manifest m;
	struct lc_run runs[6];
	size_t nruns = 0, i;
	int rc, worst = 0, v, md;

	if (open_std_fds())
		return 2;
	/* A server that resets a connection must not kill the harness. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Under ThreadSanitizer (the tsan preset) a leak variant's threads
	 * that never end are its lesson, not a finding: without this TSan
	 * fails their exit with status 66 and the harness gets no verdict.
	 * The programs inherit it through the environment; a TSAN_OPTIONS
	 * of the user's own is left alone.
	 */
	setenv("TSAN_OPTIONS", "report_thread_leaks=0", 0);

	rc = parse_cli(argc, argv, &cli, &cfg);
	if (rc)
		return rc;
	if (cli.tour) {
		rc = tour(&cli, &cfg);
		ll_tls_ctx_destroy(client_tls);
		client_tls = NULL;
		return rc;
	}
	rc = load_manifest(&cli, &m);
	if (rc)
		goto out_free_manifest;
	cfg.case_name = m.name;
	rc = configure(&cli, &m, &cfg);
	if (rc)
		goto out_destroy_tls;

	for (v = LC_LEAK; v <= LC_FIXED; v++) {
		if (!cfg.variants[v])
			continue;
		for (md = LC_NATIVE; md <= LC_DRD; md++) {
			struct lc_run *run = &runs[nruns];

			if ((md == LC_NATIVE && !cfg.native) ||
			    (md == LC_MEMCHECK && !cfg.memcheck) || (md == LC_DRD && !cfg.drd))
				continue;
			cfg.program = v == LC_LEAK ? cfg.leak_program : cfg.fixed_program;
			lc_run_check(&cfg, (enum lc_variant)v, (enum lc_mode)md, run);
			nruns++;
			if (cfg.verify) {
				lc_teach_report(stdout, &cfg, run);
				run->exit_code = lc_teach_exit_code(run);
			} else {
				lc_report_table(stdout, &cfg, run);
			}
			if (lc_report_profile(stdout, &cfg, run)) {
				fprintf(stderr, "leaklab-check: cannot write the flame graph %s\n",
					cfg.flame_path);
				run->exit_code = 2;
			}
			fflush(stdout);
			if (run->exit_code > worst)
				worst = run->exit_code;
		}
	}

	if (cfg.json_path && lc_report_json(cfg.json_path, &cfg, runs, nruns, worst)) {
		fprintf(stderr, "leaklab-check: cannot write %s: %s\n", cfg.json_path,
			strerror(errno));
		worst = 2;
	}
	if (cfg.csv_path && lc_report_csv(cfg.csv_path, runs, nruns)) {
		fprintf(stderr, "leaklab-check: cannot write %s: %s\n", cfg.csv_path,
			strerror(errno));
		worst = 2;
	}
	for (i = 0; i < nruns; i++)
		lc_run_free(&runs[i]);
	rc = worst;
out_destroy_tls:
	/* configure() may have made it (a program that serves wss), even when it failed after. */
	ll_tls_ctx_destroy(client_tls);
	client_tls = NULL;
out_free_manifest:
	lc_manifest_free(&m);
	return rc;
}
