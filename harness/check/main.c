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
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leaklab/transport.h>

#include "measure/capacity.h"
#include "judge/report.h"
#include "judge/teach.h"
#include "drive/steady.h"
#include "options.h"
#include "plan.h"
#include "run.h"
#include "runrec.h"
#include "tour.h"

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

/* --drive: the case's first scenario, looped against --port (drive/steady.h). */
static int drive_steady(const struct lc_cli *cli, const struct lc_config *cfg)
{
	struct lc_scenario sc = {
	    .kind = cfg->scenario,
	    .client = &cfg->client,
	    .host = "127.0.0.1",
	    .request = cfg->request,
	    .timeout_ms = 5000,
	    .concurrency = cfg->concurrency,
	};
	struct lc_steady st = {.sc = &sc, .rate = 5.0};
	long v;
	char *end;

	if (!cli->port || !lc_parse_long(cli->port, 1, 65535, &v))
		return lc_bad("--drive needs --port 1..65535");
	sc.port = (unsigned)v;
	if (cli->rate) {
		st.rate = strtod(cli->rate, &end);
		if (*end || end == cli->rate || st.rate < 0.1 || st.rate > 1000)
			return lc_bad("bad --rate \"%s\" (0.1 to 1000 a second)", cli->rate);
	}
	if (cli->seconds) {
		st.seconds = strtod(cli->seconds, &end);
		if (*end || end == cli->seconds || st.seconds < 0)
			return lc_bad("bad --seconds \"%s\"", cli->seconds);
	}
	if (cli->clients) {
		if (!lc_parse_long(cli->clients, 1, 1000000, &st.clients))
			return lc_bad("bad --clients \"%s\"", cli->clients);
	}
	if (sc.kind == LC_SC_SHUTDOWN)
		return lc_bad("the shutdown scenario restarts the program: it cannot be driven "
			      "against one already running");
	return lc_steady_run(&st, stdout);
}

int main(int argc, char **argv)
{
	struct lc_config cfg = {0};
	struct lc_cli cli = {0};
	struct lc_case m;
	struct lc_run runs[6];
	size_t nruns = 0, i;
	int rc, worst = 0, v, md;
	const char *record;

	if (open_std_fds())
		return 2;
	/*
	 * Descriptors as far as the hard limit allows, for the harness's
	 * clients and, inherited, the program's connections; a load that needs
	 * more is refused before its run (capacity.h).
	 */
	lc_capacity_raise_nofile();
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

	rc = lc_options_parse(argc, argv, &cli, &cfg);
	if (rc)
		return rc;
	if (cli.tour) {
		rc = lc_tour(&cli, &cfg);
		ll_tls_ctx_destroy(lc_client_tls);
		lc_client_tls = NULL;
		return rc;
	}
	if (cli.list)
		return lc_options_list_cases(stdout);
	if (cli.plan && !cli.case_file)
		cli.case_name = cli.plan;
	rc = lc_options_load_case(&cli, &m);
	if (rc)
		goto out_free_manifest;
	cfg.case_name = m.name;
	rc = lc_options_configure(&cli, &m, &cfg);
	if (rc)
		goto out_destroy_tls;
	if (cli.drive) {
		rc = drive_steady(&cli, &cfg);
		goto out_destroy_tls;
	}
	if (cli.plan) {
		/* The plan of what a check of both variants would do; nothing runs. */
		if (cli.plan_text)
			lc_plan_text(stdout, &m, &cfg);
		else
			lc_plan_json(stdout, &m, &cfg);
		rc = fflush(stdout) == 0 ? 0 : 2;
		goto out_destroy_tls;
	}

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
	/* Run by harness/tools/record-run: what a tour reads of this check (runrec.h). */
	record = getenv("LEAKLAB_RUN_RECORD");
	if (record && *record && nruns == 1 && !cfg.verify && lc_runrec_write(record, &runs[0]))
		fprintf(stderr, "leaklab-check: cannot write the record %s\n", record);
	for (i = 0; i < nruns; i++)
		lc_run_free(&runs[i]);
	rc = worst;
out_destroy_tls:
	/* Made by lc_options_configure (a program that serves wss), even when it failed. */
	ll_tls_ctx_destroy(lc_client_tls);
	lc_client_tls = NULL;
out_free_manifest:
	lc_case_free(&m);
	return rc;
}
