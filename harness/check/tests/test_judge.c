/*
 * test_judge.c - the verdict logic on made-up measurements: leaks that
 * reproduce, leaks that do not (too small, not scaling), fixes that are
 * clean and fixes that are not, memcheck's findings, and the signal names.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "judge/judge.h"

#define N 20

/* Three points with the given growth per client for threads, fds, heap. */
static void make_points(struct lc_judge_in *in, double threads_pc, double fds_pc, double heap_pc)
{
	static const long loads[LC_NPOINTS] = {0, N, 2 * N};
	int i;

	for (i = 0; i < LC_NPOINTS; i++) {
		struct lc_point *p = &in->points[i];

		memset(p, 0, sizeof(*p));
		p->load = loads[i];
		p->threads = 3 + (long)(threads_pc * (double)loads[i]);
		p->fds = 7 + (long)(fds_pc * (double)loads[i]);
		p->heap = 70000 + (long long)(heap_pc * (double)loads[i]);
		p->lost = -1;
		p->rss_kib = 4000;
		p->settled = true;
	}
}

static void init(struct lc_judge_in *in, enum lc_variant v, enum lc_mode m, unsigned expect)
{
	memset(in, 0, sizeof(*in));
	in->variant = v;
	in->mode = m;
	in->expect = expect;
	in->load = N;
}

static void test_signal_names(void)
{
	CHECK_EQ(lc_parse_signals("threads"), LC_SIG_BIT(LC_THREADS));
	CHECK_EQ(lc_parse_signals("fds,heap"), LC_SIG_BIT(LC_FDS) | LC_SIG_BIT(LC_HEAP));
	CHECK_EQ(lc_parse_signals("fds heap;lost"),
		 LC_SIG_BIT(LC_FDS) | LC_SIG_BIT(LC_HEAP) | LC_SIG_BIT(LC_LOST));
	CHECK_EQ(lc_parse_signals(""), 0);
	CHECK_EQ(lc_parse_signals("fds,memory"), -1);
	CHECK_EQ(lc_parse_signals("thread"), -1);
	CHECK_STR(lc_signal_name(LC_LOST), "lost");
}

static void test_leak_reproduced(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;

	init(&in, LC_LEAK, LC_NATIVE, LC_SIG_BIT(LC_FDS) | LC_SIG_BIT(LC_HEAP));
	make_points(&in, 0, 1, 1000);
	lc_judge(&in, &v);
	CHECK(v.passed);
	CHECK_EQ(v.exit_code, 0);
	CHECK_EQ(v.sig[LC_FDS].status, LC_ST_LEAKS);
	CHECK_EQ(v.sig[LC_HEAP].status, LC_ST_LEAKS);
	CHECK_EQ(v.sig[LC_THREADS].status, LC_ST_FLAT); /* not expected: information */
	CHECK_EQ(v.sig[LC_LOST].status, LC_ST_NA);
	CHECK(v.sig[LC_FDS].per_client > 0.99 && v.sig[LC_FDS].per_client < 1.01);
	CHECK(v.sig[LC_FDS].ratio > 1.99 && v.sig[LC_FDS].ratio < 2.01);
	CHECK_STR(v.line, "leak reproduced: fds +1.00/client, scales 2.0x; heap +1000 "
			  "bytes/client, scales 2.0x");
}

/* Half a thread per client is the minimum; less is not a reproduced leak. */
static void test_leak_too_small(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;

	init(&in, LC_LEAK, LC_NATIVE, LC_SIG_BIT(LC_THREADS));
	make_points(&in, 0.5, 0, 0);
	lc_judge(&in, &v);
	CHECK(v.passed);

	make_points(&in, 0.25, 0, 0);
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 1);
	CHECK_EQ(v.sig[LC_THREADS].status, LC_ST_MISSING);
	CHECK(strstr(v.line, "leak NOT reproduced: threads +0.25/client at 20") != NULL);

	/* A heap leak needs 256 bytes per client. */
	init(&in, LC_LEAK, LC_NATIVE, LC_SIG_BIT(LC_HEAP));
	make_points(&in, 0, 0, 100);
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.sig[LC_HEAP].status, LC_ST_MISSING);
}

/* Growth that does not double at 2N is a cache filling up, not a leak. */
static void test_leak_must_scale(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;

	init(&in, LC_LEAK, LC_NATIVE, LC_SIG_BIT(LC_FDS));
	make_points(&in, 0, 1, 0);
	in.points[LC_P_2N].fds = in.points[LC_P_N].fds; /* one-off: flat after N */
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "does not scale") != NULL);

	in.points[LC_P_2N].fds = in.points[LC_P_BASE].fds + 3 * N; /* 3x: too much */
	lc_judge(&in, &v);
	CHECK(!v.passed);

	in.points[LC_P_2N].fds = in.points[LC_P_BASE].fds + 2 * N - 4; /* 1.8x: fine */
	lc_judge(&in, &v);
	CHECK(v.passed);
}

/* An expected signal that was never measured is "no verdict", not "no leak". */
static void test_leak_unmeasured(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;

	init(&in, LC_LEAK, LC_NATIVE, LC_SIG_BIT(LC_HEAP));
	make_points(&in, 0, 0, 1000);
	in.points[LC_P_N].heap = -1;
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 2);
	CHECK_EQ(v.sig[LC_HEAP].status, LC_ST_UNKNOWN);

	/* "lost" alone cannot be checked natively. */
	init(&in, LC_LEAK, LC_NATIVE, LC_SIG_BIT(LC_LOST));
	make_points(&in, 0, 0, 0);
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 2);
}

static void test_leak_memcheck(void)
{
	struct lc_memcheck mc = {.parsed = true, .finished = true, .possibly = 272 * 2 * N};
	struct lc_judge_in in;
	struct lc_verdict v;
	int i;

	init(&in, LC_LEAK, LC_MEMCHECK, LC_SIG_BIT(LC_THREADS) | LC_SIG_BIT(LC_LOST));
	in.mc = &mc;
	make_points(&in, 1, 0, 0);
	for (i = 0; i < LC_NPOINTS; i++)
		in.points[i].lost = 272 * in.points[i].load;
	lc_judge(&in, &v);
	CHECK(v.passed);
	CHECK_EQ(v.sig[LC_LOST].status, LC_ST_LEAKS);
	CHECK(strstr(v.line, "lost 10880 bytes at exit") != NULL);

	/* Lost bytes that do not grow per load: not this leak. */
	in.points[LC_P_2N].lost = in.points[LC_P_N].lost;
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.sig[LC_LOST].status, LC_ST_MISSING);

	/* Without per-load numbers (vgdb failed), lost at exit is enough. */
	for (i = 0; i < LC_NPOINTS; i++)
		in.points[i].lost = -1;
	lc_judge(&in, &v);
	CHECK(v.passed);

	/* Nothing lost at exit. */
	mc.possibly = 0;
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK(strstr(v.line, "no lost bytes") != NULL);

	/* A leak lesson must not be a crash: an invalid read fails it. */
	mc.possibly = 272 * 2 * N;
	mc.errors = 2;
	strcpy(mc.first_error, "InvalidRead: Invalid read of size 8 at handler (leak.c:40)");
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "memcheck found 2 error(s)") != NULL);
}

static void test_fixed_clean(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;

	init(&in, LC_FIXED, LC_NATIVE, 0);
	make_points(&in, 0, 0, 0);
	lc_judge(&in, &v);
	CHECK(v.passed);
	CHECK_EQ(v.exit_code, 0);
	CHECK_STR(v.line, "clean: back to baseline");
	CHECK_EQ(v.sig[LC_THREADS].status, LC_ST_FLAT);
	CHECK_EQ(v.sig[LC_HEAP].status, LC_ST_FLAT);
	CHECK_EQ(v.sig[LC_LOST].status, LC_ST_NA);

	/*
	 * A one-off step (a buffer grown once at N) passes, but the heap is
	 * not back to baseline, so the line must not say it is.
	 */
	in.points[LC_P_N].heap += 400;
	in.points[LC_P_2N].heap -= 96;
	lc_judge(&in, &v);
	CHECK(v.passed);
	CHECK_EQ(v.sig[LC_HEAP].status, LC_ST_FLAT);
	CHECK_STR(v.line, "clean: threads and fds back to baseline, heap -96 bytes at 2N "
			  "(-2/client, under 16)");

	/* A step too small to show per client is still not "back to baseline", nor "-0". */
	make_points(&in, 0, 0, 0);
	in.points[LC_P_BASE].heap += 16;
	lc_judge(&in, &v);
	CHECK(v.passed);
	CHECK_STR(v.line, "clean: threads and fds back to baseline, heap -16 bytes at 2N "
			  "(+0/client, under 16)");
}

/*
 * A fix whose counts are back at N and 2N but off the baseline after an
 * exit path on the way fails on that path (the course's first answer says
 * so as soon as it is seen, so the verdict must agree); paths all at the
 * baseline pass.
 */
static void test_fixed_path_count(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;
	int round, k;

	init(&in, LC_FIXED, LC_NATIVE, 0);
	make_points(&in, 0, 0, 0);
	in.npaths = 2;
	in.path_names[0] = "connect-drop";
	in.path_names[1] = "connect-close";
	for (round = 0; round < 2; round++)
		for (k = 0; k < 2; k++) {
			in.path_threads[round][k] = in.points[LC_P_BASE].threads;
			in.path_fds[round][k] = in.points[LC_P_BASE].fds;
		}
	lc_judge(&in, &v);
	CHECK(v.passed);
	CHECK_EQ(v.sig[LC_FDS].status, LC_ST_FLAT);

	in.path_fds[1][0] += 3;
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 1);
	CHECK_EQ(v.sig[LC_FDS].status, LC_ST_GROWS);
	CHECK_EQ(v.sig[LC_THREADS].status, LC_ST_FLAT);
	CHECK(strstr(v.line, "fds +3 after exit path connect-drop at 2N") != NULL);
}

/*
 * The heap limit of a fix: 16 bytes per client at both N and 2N fails it,
 * natively and under memcheck; the verdict quotes the table's number.
 */
static void test_fixed_heap_limit(void)
{
	struct lc_memcheck mc = {.parsed = true, .finished = true, .reachable = 4096};
	struct lc_judge_in in;
	struct lc_verdict v;
	char want[64];

	/* A wrong fix of 04 that kept every map entry, under memcheck: +37 B/client. */
	init(&in, LC_FIXED, LC_MEMCHECK, 0);
	in.mc = &mc;
	make_points(&in, 0, 0, 37);
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 1);
	CHECK_EQ(v.sig[LC_HEAP].status, LC_ST_GROWS);
	CHECK(strstr(v.line, "back to baseline") == NULL);
	CHECK(strstr(v.line, "heap +37 bytes/client at 2N (+37 at N)") != NULL);

	/* The same fix natively: +73 at N, +62 at 2N; the table shows +62. */
	init(&in, LC_FIXED, LC_NATIVE, 0);
	make_points(&in, 0, 0, 0);
	in.points[LC_P_N].heap += 73 * N;
	in.points[LC_P_2N].heap += 62 * 2 * N;
	lc_judge(&in, &v);
	CHECK(!v.passed);
	snprintf(want, sizeof(want), "heap %+.0f bytes/client at 2N", v.sig[LC_HEAP].per_client);
	CHECK_STR(want, "heap +62 bytes/client at 2N");
	CHECK(strstr(v.line, want) != NULL);
	CHECK(strstr(v.line, "(+73 at N)") != NULL);

	/* 16 bytes per client is the limit itself: it fails. */
	make_points(&in, 0, 0, 16);
	lc_judge(&in, &v);
	CHECK(!v.passed);

	/* Under it, the fix passes and the line gives the number. */
	make_points(&in, 0, 0, 15);
	lc_judge(&in, &v);
	CHECK(v.passed);
	CHECK_STR(v.line, "clean: threads and fds back to baseline, heap +600 bytes at 2N "
			  "(+15/client, under 16)");

	/* Growth at one point only is a step, not a leak. */
	make_points(&in, 0, 0, 0);
	in.points[LC_P_2N].heap += 40 * N; /* +20 at 2N, 0 at N */
	lc_judge(&in, &v);
	CHECK(v.passed);
	make_points(&in, 0, 0, 0);
	in.points[LC_P_N].heap += 30 * N; /* +30 at N, +7.5 at 2N */
	in.points[LC_P_2N].heap += 15 * N;
	lc_judge(&in, &v);
	CHECK(v.passed);
}

/* LeakSanitizer and failed clients: a fix fails on them, a leak is not judged by them. */
static void test_fixed_sanitizer_and_clients(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;

	init(&in, LC_FIXED, LC_NATIVE, 0);
	make_points(&in, 0, 0, 0);
	in.sanitizer_leaks = true;
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 1);
	CHECK_STR(v.line, "NOT clean: LeakSanitizer reported leaks at exit");

	in.sanitizer_leaks = false;
	in.clients_failed = 3;
	in.client_error = "no echo: timed out";
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 1);
	CHECK_STR(v.line, "NOT clean: 3 client(s) failed: no echo: timed out");

	/* Both, and a growing signal: every reason is named. */
	in.sanitizer_leaks = true;
	in.points[LC_P_2N].threads += 1;
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK(strstr(v.line, "threads +0 at N, +1 at 2N") != NULL);
	CHECK(strstr(v.line, "LeakSanitizer") != NULL);
	CHECK(strstr(v.line, "3 client(s) failed") != NULL);

	/* A leak variant's LeakSanitizer report is evidence, its failed clients information. */
	init(&in, LC_LEAK, LC_NATIVE, LC_SIG_BIT(LC_FDS));
	make_points(&in, 0, 1, 0);
	in.sanitizer_leaks = true;
	in.clients_failed = 1;
	in.client_error = "no echo";
	lc_judge(&in, &v);
	CHECK(v.passed);
	CHECK_EQ(v.exit_code, 0);
}

/*
 * A fix that deletes the feature is no fix, however flat it is; and a
 * leak variant without its feature is not the lesson.
 */
static void test_behaviour_broken(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;

	init(&in, LC_FIXED, LC_NATIVE, 0);
	make_points(&in, 0, 0, 0);
	in.behaviour_failure = "0 ping(s) in 1400 ms on an idle connection";
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 1);
	CHECK_STR(v.line,
		  "NOT clean: the feature is broken: 0 ping(s) in 1400 ms on an idle connection");

	/* Broken and leaking: both reasons. */
	in.points[LC_P_N].threads += 2;
	in.points[LC_P_2N].threads += 4;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "threads +2 at N, +4 at 2N") != NULL);
	CHECK(strstr(v.line, "the feature is broken") != NULL);

	init(&in, LC_LEAK, LC_NATIVE, LC_SIG_BIT(LC_THREADS));
	make_points(&in, 1, 0, 0);
	in.behaviour_failure = "sent \"x\", got back \"y\"";
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 1);
	CHECK_STR(v.line, "leak NOT reproduced: the feature is broken: sent \"x\", got back \"y\"");
}

static void test_fixed_not_clean(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;

	/* One thread more at 2N is not back to baseline: counts must be exact. */
	init(&in, LC_FIXED, LC_NATIVE, 0);
	make_points(&in, 0, 0, 0);
	in.points[LC_P_2N].threads += 1;
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 1);
	CHECK_EQ(v.sig[LC_THREADS].status, LC_ST_GROWS);
	CHECK(strstr(v.line, "threads +0 at N, +1 at 2N") != NULL);

	/* 64 bytes per client of heap is a leak, even for a fix. */
	make_points(&in, 0, 0, 64);
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.sig[LC_HEAP].status, LC_ST_GROWS);

	/* The fixed variant is judged on every signal, whatever --expect says. */
	make_points(&in, 0, 1, 0);
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.sig[LC_FDS].status, LC_ST_GROWS);

	/* Heap not measured (no /metrics): no verdict. */
	make_points(&in, 0, 0, 0);
	in.points[LC_P_BASE].heap = -1;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 2);
}

/*
 * Beside a native check (counts_elsewhere), memcheck judges its report at
 * exit alone: counts it never measured are no failure, its lost bytes are.
 */
static void test_fixed_counts_elsewhere(void)
{
	struct lc_memcheck mc = {.parsed = true, .finished = true};
	struct lc_judge_in in;
	struct lc_verdict v;
	int i;

	init(&in, LC_FIXED, LC_MEMCHECK, 0);
	in.mc = &mc;
	in.counts_elsewhere = true;
	for (i = 0; i < LC_NPOINTS; i++) {
		memset(&in.points[i], 0, sizeof(in.points[i]));
		in.points[i].threads = in.points[i].fds = in.points[i].heap = -1;
		in.points[i].lost = in.points[i].runtime = -1;
	}
	lc_judge(&in, &v);
	CHECK(v.passed);
	CHECK_EQ(v.sig[LC_THREADS].status, LC_ST_NA);
	CHECK_EQ(v.sig[LC_HEAP].status, LC_ST_NA);
	CHECK_STR(v.line, "clean at exit: memcheck 0 errors 0 lost, no fd left open (threads, "
			  "fds and heap are the native check's)");

	mc.definitely = 640;
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "memcheck: 640 bytes lost at exit") != NULL);
}

static void test_fixed_memcheck(void)
{
	struct lc_memcheck mc = {.parsed = true, .finished = true, .reachable = 4096};
	struct lc_judge_in in;
	struct lc_verdict v;

	init(&in, LC_FIXED, LC_MEMCHECK, 0);
	in.mc = &mc;
	make_points(&in, 0, 0, 0);
	lc_judge(&in, &v);
	CHECK(v.passed);
	CHECK(strstr(v.line, "memcheck 0 errors 0 lost") != NULL);

	/* Still reachable is allowed; possibly lost is not. */
	mc.possibly = 272;
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK_EQ(v.sig[LC_LOST].status, LC_ST_GROWS);
	mc.possibly = 0;

	mc.fds_open = 1;
	strcpy(mc.first_fd, "Open AF_INET socket 6: 127.0.0.1:4000 <-> 127.0.0.1:5000");
	lc_judge(&in, &v);
	CHECK(!v.passed);
	CHECK(strstr(v.line, "1 fd(s) left open at exit") != NULL);
	mc.fds_open = 0;

	mc.errors = 1;
	lc_judge(&in, &v);
	CHECK(!v.passed);
	mc.errors = 0;

	/* No fd information (no log): no verdict rather than a false "clean". */
	mc.fds_open = -1;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 2);
	mc.fds_open = 0;

	/* An unreadable XML: no verdict. */
	mc.parsed = false;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 2);
}

/* A race case under DRD: the leak variant must show a race, the fix none. */
static void test_race_drd(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;
	struct lc_drd d;

	CHECK_EQ(lc_parse_signals("race"), LC_SIG_BIT(LC_RACE));
	CHECK_STR(lc_signal_name(LC_RACE), "race");

	memset(&d, 0, sizeof(d));
	d.parsed = d.finished = d.is_drd = true;
	d.races = 12;
	d.race_records = 3;
	snprintf(d.first_race, sizeof(d.first_race), "Conflicting store by thread 3");
	snprintf(d.first_race_at, sizeof(d.first_race_at), "writer_end (leak.c:90)");
	init(&in, LC_LEAK, LC_DRD, LC_SIG_BIT(LC_RACE));
	make_points(&in, 0, 0, 0);
	/* DRD measures no heap: the points say so. */
	for (int i = 0; i < LC_NPOINTS; i++)
		in.points[i].heap = -1;
	in.drd = &d;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 0);
	CHECK_EQ(v.sig[LC_RACE].status, LC_ST_LEAKS);
	CHECK_EQ(v.sig[LC_HEAP].status, LC_ST_NA);
	CHECK_EQ(v.sig[LC_LOST].status, LC_ST_NA);
	CHECK(strstr(v.line, "DRD reported 12 race(s), the first at writer_end (leak.c:90)"));

	/* No race reported: the lesson did not reproduce. */
	d.races = 0;
	d.race_records = 0;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "DRD reported no race"));

	/* Corrupted frames alone are not DRD's finding. */
	in.corrupted = 2;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 1);

	/* A race lesson that is also another threading bug is not the lesson. */
	d.races = 4;
	d.other_errors = 1;
	snprintf(d.first_other, sizeof(d.first_other), "MutexErr: Mutex not locked");
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "DRD found 1 error(s) besides races"));

	/* The fix: no race, no other error, no broken frame, threads flat. */
	memset(&d, 0, sizeof(d));
	d.parsed = d.finished = d.is_drd = true;
	init(&in, LC_FIXED, LC_DRD, 0);
	make_points(&in, 0, 0, 0);
	for (int i = 0; i < LC_NPOINTS; i++)
		in.points[i].heap = -1;
	in.drd = &d;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 0);
	CHECK_STR(v.line, "clean: back to baseline, DRD 0 races 0 errors");

	d.races = 1;
	snprintf(d.first_race, sizeof(d.first_race), "Conflicting load by thread 2");
	snprintf(d.first_race_stack, sizeof(d.first_race_stack), "f (fixed.c:3) < main");
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "DRD reported 1 race(s), e.g. Conflicting load by thread 2 at f "
			     "(fixed.c:3) < main"));

	d.races = 0;
	in.corrupted = 1;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "1 client(s) saw broken frames"));

	/* A report that could not be read is no verdict. */
	in.corrupted = 0;
	d.parsed = false;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 2);
}

/* Natively the race shows as frames the clients saw broken. */
static void test_race_native(void)
{
	struct lc_judge_in in;
	struct lc_verdict v;

	init(&in, LC_LEAK, LC_NATIVE, LC_SIG_BIT(LC_RACE));
	make_points(&in, 0, 0, 0);
	in.corrupted = 3;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 0);
	CHECK_STR(v.line, "leak reproduced: race: 3 client(s) saw broken frames");

	in.corrupted = 0;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "no client saw a broken frame"));

	/* A fix of any case: a broken frame fails it. */
	init(&in, LC_FIXED, LC_NATIVE, 0);
	make_points(&in, 0, 0, 0);
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 0);
	CHECK_EQ(v.sig[LC_RACE].status, LC_ST_FLAT);
	in.corrupted = 1;
	lc_judge(&in, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "1 client(s) saw broken frames"));
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_signal_names);
	RUN(test_leak_reproduced);
	RUN(test_leak_too_small);
	RUN(test_leak_must_scale);
	RUN(test_leak_unmeasured);
	RUN(test_leak_memcheck);
	RUN(test_fixed_clean);
	RUN(test_fixed_path_count);
	RUN(test_fixed_heap_limit);
	RUN(test_fixed_sanitizer_and_clients);
	RUN(test_behaviour_broken);
	RUN(test_fixed_not_clean);
	RUN(test_fixed_memcheck);
	RUN(test_fixed_counts_elsewhere);
	RUN(test_race_drd);
	RUN(test_race_native);
	return check_finish();
}
