/*
 * test_runtime.c - a twin's runtime count (runtime.h) parsed from real
 * output of the twins' tools (fixtures: pprof's goroutine profile of case
 * 03's leaking Go twin after three clients, and the Go twin's /metrics),
 * the twin lines of a manifest (twin.h), and the judge on runtime counts.
 */
#include <stdio.h>
#include <string.h>

#include <leaklab/error.h>

#include "check.h"
#include "judge/judge.h"
#include "measure/runtime.h"
#include "twin.h"

static void read_fixture(const char *name, char *buf, size_t size)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, name);
	f = fopen(path, "r");
	CHECK(f != NULL);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void test_spec(void)
{
	struct lc_runtime_spec s;
	char why[256];

	CHECK_EQ(lc_runtime_spec_parse(
		     "goroutines,/debug/pprof/goroutine?debug=1,goroutine profile: total", &s, why,
		     sizeof(why)),
		 0);
	CHECK_STR(s.name, "goroutines");
	CHECK_STR(s.path, "/debug/pprof/goroutine?debug=1");
	CHECK_STR(s.line, "goroutine profile: total");
	CHECK_EQ(lc_runtime_spec_parse("timers,/metrics,leaklab_timers", &s, why, sizeof(why)), 0);
	CHECK_EQ(lc_runtime_spec_parse("timers,metrics,leaklab_timers", &s, why, sizeof(why)),
		 LL_EINVAL);
	CHECK_EQ(lc_runtime_spec_parse("timers,/metrics", &s, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_runtime_spec_parse(",/metrics,x", &s, why, sizeof(why)), LL_EINVAL);
	CHECK_EQ(lc_runtime_spec_parse("t,/a b,x", &s, why, sizeof(why)), LL_EINVAL);
	CHECK(strstr(why, "bad runtime signal") != NULL);
}

static void test_parse_fixtures(void)
{
	static char body[65536];

	read_fixture("pprof-goroutine.txt", body, sizeof(body));
	/* Six of the server's own and three leaked heartbeats. */
	CHECK_EQ(lc_runtime_parse(body, "goroutine profile: total"), 9);
	CHECK_EQ(lc_runtime_parse(body, "goroutine profile: none"), -1);
	read_fixture("go-metrics.txt", body, sizeof(body));
	CHECK_EQ(lc_runtime_parse(body, "leaklab_goroutines"), 6);
	CHECK_EQ(lc_runtime_parse(body, "leaklab_threads"), 8);
	/* HELP and TYPE lines name the metric too, but do not start with it. */
	CHECK_EQ(lc_runtime_parse("# TYPE leaklab_tasks gauge\nleaklab_tasks 4\n", "leaklab_tasks"),
		 4);
	CHECK_EQ(lc_runtime_parse("leaklab_tasks_total 9\nleaklab_tasks 4", "leaklab_tasks"), 4);
	CHECK_EQ(lc_runtime_parse("leaklab_tasks 4x\n", "leaklab_tasks"), -1);
}

static void test_twin_manifest(void)
{
	struct lc_manifest m;
	struct lc_twin t;
	char langs[LC_MAX_TWINS][16], why[256];

	CHECK_EQ(lc_manifest_parse("name=03-uncleared-timer\n"
				   "twin.go.runtime=goroutines,/debug/pprof/goroutine?debug=1,"
				   "goroutine profile: total\n"
				   "twin.go.expect=goroutines\n"
				   "twin.go.judge=fds goroutines\n"
				   "twin.go.leak=/b/bin/03-uncleared-timer-leak-go\n"
				   "twin.go.fixed=/b/bin/03-uncleared-timer-fixed-go\n"
				   "twin.node.runtime=timers,/metrics,leaklab_timers\n"
				   "twin.node.expect=timers\n"
				   "twin.node.judge=fds threads timers heap\n"
				   "twin.node.heap_limit=256\n"
				   "twin.node.leak=/b/bin/03-uncleared-timer-leak-node\n"
				   "twin.node.fixed=/b/bin/03-uncleared-timer-fixed-node\n"
				   "twin.node.skip=no node\n"
				   "twin.python.leak=/x\n",
				   &m),
		 0);
	CHECK_EQ(lc_twin_langs(&m, langs, LC_MAX_TWINS), 3);
	CHECK_STR(langs[0], "go");
	CHECK_STR(langs[1], "node");
	CHECK_EQ(lc_twin_find(&m, "go", &t, why, sizeof(why)), 0);
	CHECK_STR(t.leak, "/b/bin/03-uncleared-timer-leak-go");
	CHECK_STR(t.runtime.name, "goroutines");
	CHECK_EQ(t.expect, LC_SIG_BIT(LC_RUNTIME));
	CHECK_EQ(t.judged, LC_SIG_BIT(LC_FDS) | LC_SIG_BIT(LC_RUNTIME));
	CHECK(t.skip == NULL);
	CHECK_EQ(lc_twin_find(&m, "node", &t, why, sizeof(why)), 0);
	CHECK_EQ((long)t.heap_limit, 256);
	CHECK_STR(t.skip, "no node");
	CHECK_EQ(lc_twin_find(&m, "rust", &t, why, sizeof(why)), 1);
	/* A twin without expect= is an error, not a silent pass. */
	CHECK_EQ(lc_twin_find(&m, "python", &t, why, sizeof(why)), LL_EINVAL);
	lc_manifest_free(&m);
}

/* Points with the given growth per client of threads and the runtime count. */
static void make(struct lc_judge_in *in, enum lc_variant v, double threads_pc, double rt_pc)
{
	static const long loads[LC_NPOINTS] = {0, 20, 40};
	int i;

	memset(in, 0, sizeof(*in));
	in->variant = v;
	in->mode = LC_NATIVE;
	in->load = 20;
	in->expect = LC_SIG_BIT(LC_RUNTIME);
	in->judged = LC_SIG_BIT(LC_FDS) | LC_SIG_BIT(LC_RUNTIME);
	in->runtime_name = "goroutines";
	for (i = 0; i < LC_NPOINTS; i++) {
		in->points[i].load = loads[i];
		in->points[i].threads = 8 + (long)(threads_pc * (double)loads[i]);
		in->points[i].fds = 9;
		in->points[i].heap = -1; /* a twin without a heap probe */
		in->points[i].lost = -1;
		in->points[i].runtime = 6 + (long)(rt_pc * (double)loads[i]);
	}
}

static void test_judge_runtime(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;

	make(&in, LC_LEAK, 0, 1);
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 0);
	CHECK_STR(v.line, "leak reproduced: goroutines +1.00/client, scales 2.0x");

	make(&in, LC_LEAK, 0, 0);
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "goroutines +0.00/client at 20") != NULL);

	/* A fix: goroutines and fds flat; a Go runtime's extra thread is shown, not judged. */
	make(&in, LC_FIXED, 0.05, 0);
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 0);
	CHECK_STR(v.line, "clean: fds and goroutines back to baseline");
	CHECK(v.sig[LC_THREADS].info);
	CHECK_EQ(v.sig[LC_THREADS].status, LC_ST_GROWS);
	CHECK_EQ(v.sig[LC_HEAP].status, LC_ST_NA);

	make(&in, LC_FIXED, 0, 1);
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK_STR(v.line, "NOT clean: goroutines +20 at N, +40 at 2N (must be 0)");

	/* The twin's heap limit replaces the default. */
	make(&in, LC_FIXED, 0, 0);
	in.judged |= LC_SIG_BIT(LC_HEAP);
	in.heap_limit = 256;
	for (int i = 0; i < LC_NPOINTS; i++)
		in.points[i].heap = 180000 + 150 * in.points[i].load;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 0);
	for (int i = 0; i < LC_NPOINTS; i++)
		in.points[i].heap = 180000 + 1200 * in.points[i].load;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "must stay under 256") != NULL);

	/* A C program's fix is not judged on a runtime count it does not have. */
	make(&in, LC_FIXED, 0, 0);
	in.judged = 0;
	in.runtime_name = NULL;
	for (int i = 0; i < LC_NPOINTS; i++) {
		in.points[i].heap = 70000;
		in.points[i].runtime = -1;
	}
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 0);
	CHECK_EQ(v.sig[LC_RUNTIME].status, LC_ST_NA);
	CHECK_EQ(lc_parse_signals("fds goroutines"), LC_SIG_BIT(LC_FDS) | LC_SIG_BIT(LC_RUNTIME));
	CHECK_EQ(lc_parse_signals("timers,tasks"), LC_SIG_BIT(LC_RUNTIME));
}

static void test_crosscheck(void)
{
	struct lc_run run;
	char line[320];
	int i;

	memset(&run, 0, sizeof(run));
	for (i = 0; i < LC_NPOINTS; i++) {
		run.points[i].threads = 7;
		run.points[i].fds = 21;
		run.probe_threads[i] = 7;
		run.probe_fds[i] = 22;
	}
	CHECK_EQ(lc_twin_crosscheck(&run, line, sizeof(line)), 1);
	/* A launcher that did not exec: /proc counts the shell, /metrics node. */
	run.points[LC_P_N].threads = 1;
	run.points[LC_P_N].fds = 4;
	CHECK_EQ(lc_twin_crosscheck(&run, line, sizeof(line)), 0);
	CHECK(strstr(line, "DISAGREE at N: /proc threads 1, fds 4") != NULL);
	/* A thread the runtime started during the request: /proc before it agrees. */
	run.points[LC_P_N].threads = 8;
	run.points[LC_P_N].fds = 21;
	run.probe_before_threads[LC_P_N] = 7;
	run.probe_before_fds[LC_P_N] = 21;
	CHECK_EQ(lc_twin_crosscheck(&run, line, sizeof(line)), 1);
	run.probe_before_threads[LC_P_N] = 6;
	CHECK_EQ(lc_twin_crosscheck(&run, line, sizeof(line)), 0);
	run.probe_before_threads[LC_P_N] = 7;
	run.probe_threads[LC_P_BASE] = -1;
	CHECK_EQ(lc_twin_crosscheck(&run, line, sizeof(line)), -1);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_crosscheck);
	RUN(test_spec);
	RUN(test_parse_fixtures);
	RUN(test_twin_manifest);
	RUN(test_judge_runtime);
	return check_finish();
}
