/*
 * test_gorace.c - reading Go's race detector's report: the log of a real
 * run of case 14's Go twin built with -race (fixtures/gorace.log, go
 * 1.19), the log of its fix (no report), and reports cut short.
 */
#include <string.h>

#include <leaklab/error.h>

#include "check.h"
#include "measure/gorace.h"

#define FIXTURE(name) FIXTURE_DIR "/" name

static void test_racy_log(void)
{
	static const char want[] =
	    "github.com/gorilla/websocket.(*Conn).beginMessage (conn.go:479) < "
	    "github.com/gorilla/websocket.(*Conn).WriteMessage (conn.go:764) < "
	    "main.(*writer).send (leak.go:54) < main.beat (leak.go:73)";
	struct lc_drd d;

	CHECK_EQ(lc_gorace_parse_file(FIXTURE("gorace.log"), "leak.c", &d), 0);
	CHECK(d.parsed);
	CHECK(d.finished);
	CHECK(!d.is_drd);
	/* Three pairs of accesses, each reported once, and the summary says so. */
	CHECK_EQ(d.races, 3);
	CHECK_EQ(d.race_records, 3);
	CHECK_STR(d.first_race, "Read at 0x00c0000b65f8 by goroutine 20");
	/* Gorilla's frames come first; the first in the twin's own file names the race. */
	CHECK(strncmp(d.first_race_stack, want, strlen(want)) == 0);
	CHECK_STR(d.first_race_at, "main.(*writer).send (leak.go:54)");
}

static void test_own_file(void)
{
	struct lc_drd d;

	CHECK_EQ(lc_gorace_parse_file(FIXTURE("gorace.log"), NULL, &d), 0);
	CHECK_STR(d.first_race_at, "");
	CHECK_EQ(lc_gorace_parse_file(FIXTURE("gorace.log"), "fixed.c", &d), 0);
	CHECK_STR(d.first_race_at, "");
}

static void test_no_report(void)
{
	struct lc_drd d;

	CHECK_EQ(lc_gorace_parse("leaklab: listening on 127.0.0.1:4000\n", "leak.c", &d), 0);
	CHECK(!d.parsed);
	CHECK_EQ(d.races, 0);
	CHECK_EQ(lc_gorace_parse_file(FIXTURE("no-such-file.log"), "leak.c", &d), LL_EIO);
}

static void test_cut_short(void)
{
	static const char text[] = "==================\n"
				   "WARNING: DATA RACE\n"
				   "Read at 0x00c000100000 by goroutine 7:\n"
				   "  main.beat()\n"
				   "      /src/leak.go:70 +0x29\n";
	struct lc_drd d;

	/* A report without the exit summary is read, but not finished. */
	CHECK_EQ(lc_gorace_parse(text, "leak.c", &d), 0);
	CHECK(d.parsed);
	CHECK(!d.finished);
	CHECK_EQ(d.races, 1);
	CHECK_STR(d.first_race, "Read at 0x00c000100000 by goroutine 7");
	CHECK_STR(d.first_race_stack, "main.beat (leak.go:70)");
	CHECK_STR(d.first_race_at, "main.beat (leak.go:70)");
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_racy_log);
	RUN(test_own_file);
	RUN(test_no_report);
	RUN(test_cut_short);
	return check_finish();
}
