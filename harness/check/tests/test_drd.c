/*
 * test_drd.c - reading what Valgrind's DRD writes: the XML reports of a
 * real Valgrind 3.19 run (fixtures/racy.xml and clean-drd.xml, made by
 * fixtures/racy.c), reports cut short or not DRD's, and the command line.
 */
#include <string.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

#include "check.h"
#include "measure/drd.h"

#define FIXTURE(name) FIXTURE_DIR "/" name

static void test_racy_xml(void)
{
	struct lc_drd d;

	CHECK_EQ(lc_drd_parse_xml(FIXTURE("racy.xml"), "racy.c", &d), 0);
	CHECK(d.parsed);
	CHECK(d.finished);
	CHECK(d.is_drd);
	CHECK_EQ(d.valgrind_version, 31900);
	/*
	 * Two race records (the load and the store of counter++), each seen
	 * five times: every occurrence counts, as <errorcounts> says.
	 */
	CHECK_EQ(d.race_records, 2);
	CHECK_EQ(d.races, 10);
	/* The unlock of a mutex never locked is an error, not a race. */
	CHECK_EQ(d.other_errors, 1);
	CHECK(strncmp(d.first_race, "Conflicting load by thread 1 at 0x", 34) == 0);
	CHECK_STR(d.first_race_stack, "bump (racy.c:25) < adder (racy.c:39) < main (racy.c:50)");
	CHECK_STR(d.first_race_at, "bump (racy.c:25)");
	CHECK(strncmp(d.first_other, "MutexErr: Mutex not locked", 26) == 0);
}

static void test_own_file(void)
{
	struct lc_drd d;

	/* Without an own file, or with another, nothing is attributed. */
	CHECK_EQ(lc_drd_parse_xml(FIXTURE("racy.xml"), NULL, &d), 0);
	CHECK_STR(d.first_race_at, "");
	CHECK_EQ(d.races, 10);
	CHECK_EQ(lc_drd_parse_xml(FIXTURE("racy.xml"), "fixed.c", &d), 0);
	CHECK_STR(d.first_race_at, "");
}

static void test_clean_xml(void)
{
	struct lc_drd d;

	CHECK_EQ(lc_drd_parse_xml(FIXTURE("clean-drd.xml"), "racy.c", &d), 0);
	CHECK(d.parsed);
	CHECK(d.finished);
	CHECK_EQ(d.races, 0);
	CHECK_EQ(d.race_records, 0);
	CHECK_EQ(d.other_errors, 0);
	CHECK_STR(d.first_race, "");
}

/* A report cut short (the program was killed) is not a report to judge. */
static void test_truncated(void)
{
	static const char cut[] =
	    "<?xml version=\"1.0\"?>\n<valgrindoutput>\n"
	    "<protocolversion>4</protocolversion>\n"
	    "<protocoltool>drd</protocoltool>\n"
	    "<status>\n  <state>RUNNING</state>\n</status>\n"
	    "<error><unique>0x3</unique><kind>ConflictingAccess</kind>"
	    "<what>Conflicting load by thread 2</what>"
	    "<stack><frame><fn>f</fn><file>leak.c</file><line>7</line></frame>"
	    "</stack></error>\n"
	    "<error><unique>0x4</unique><kind>ConflictingAccess</kind>"
	    "<what>Conflicting store by thread 2</what>"
	    "<stack><frame><fn>f</fn><file>leak.c</file><line>8</line></frame>";
	static const char running[] = "<?xml version=\"1.0\"?>\n<valgrindoutput>\n"
				      "<protocoltool>drd</protocoltool>\n"
				      "<status><state>RUNNING</state></status>\n"
				      "<error><unique>0x4</unique><kind>ConflictingAccess</kind>"
				      "<what>w</what></error>\n"
				      "</valgrindoutput>\n";
	struct lc_drd d;

	CHECK_EQ(lc_drd_parse_xml_buf(cut, strlen(cut), "leak.c", &d), LL_EPROTO);
	CHECK(!d.parsed);
	CHECK(!d.finished);
	/* What was read whole is kept, for the report of a crash; the cut record is not. */
	CHECK_EQ(d.races, 1);
	CHECK_STR(d.first_race, "Conflicting load by thread 2");
	CHECK_STR(d.first_race_at, "f (leak.c:7)");

	/* Well formed but never FINISHED: parsed, and the caller must refuse it. */
	CHECK_EQ(lc_drd_parse_xml_buf(running, strlen(running), NULL, &d), 0);
	CHECK(d.parsed);
	CHECK(!d.finished);
	/* No <errorcounts>: each record counts once. */
	CHECK_EQ(d.races, 1);
}

/* memcheck's report, or anything else, is not DRD's. */
static void test_not_drd(void)
{
	static const char memcheck[] = "<?xml version=\"1.0\"?>\n<valgrindoutput>\n"
				       "<protocoltool>memcheck</protocoltool>\n"
				       "<status><state>FINISHED</state></status>\n"
				       "</valgrindoutput>\n";
	static const char other[] = "<?xml version=\"1.0\"?>\n<html><protocoltool>drd"
				    "</protocoltool></html>\n";
	struct lc_drd d;

	CHECK_EQ(lc_drd_parse_xml_buf(memcheck, strlen(memcheck), NULL, &d), LL_EPROTO);
	CHECK(!d.parsed);
	CHECK_EQ(lc_drd_parse_xml_buf(other, strlen(other), NULL, &d), LL_EPROTO);
	CHECK_EQ(lc_drd_parse_xml(FIXTURE("no-such-file.xml"), NULL, &d), LL_EIO);
	/* memcheck's own fixture is well formed, but not DRD's. */
	CHECK_EQ(lc_drd_parse_xml(FIXTURE("clean.xml"), NULL, &d), LL_EPROTO);
}

/*
 * A record <errorcounts> counts is not counted again, one it leaves out
 * counts once, and a pair naming no record adds nothing.
 */
static void test_counts(void)
{
	static const char xml[] = "<?xml version=\"1.0\"?>\n<valgrindoutput>\n"
				  "<protocoltool>drd</protocoltool>\n"
				  "<error><unique>0x1</unique><kind>ConflictingAccess</kind>"
				  "<what>a</what></error>\n"
				  "<error><unique>0x2</unique><kind>ConflictingAccess</kind>"
				  "<what>b</what></error>\n"
				  "<error><unique>0x3</unique><kind>CondErr</kind>"
				  "<what>c</what></error>\n"
				  "<status><state>FINISHED</state></status>\n"
				  "<errorcounts><pair><count>7</count><unique>0x1</unique></pair>"
				  "<pair><count>3</count><unique>0x3</unique></pair>"
				  "<pair><count>9</count><unique>0x99</unique></pair>"
				  "</errorcounts>\n</valgrindoutput>\n";
	struct lc_drd d;

	CHECK_EQ(lc_drd_parse_xml_buf(xml, strlen(xml), NULL, &d), 0);
	CHECK(d.finished);
	CHECK_EQ(d.race_records, 2);
	CHECK_EQ(d.races, 8);
	CHECK_EQ(d.other_errors, 3);
	CHECK_STR(d.first_race, "a");
	CHECK_STR(d.first_race_stack, "");
	CHECK_STR(d.first_other, "CondErr: c");
}

static void test_drd_argv(void)
{
	struct lc_drd_opts o = {
	    .valgrind = "/usr/bin/valgrind",
	    .suppressions = "/src/harness/tools/valgrind-race.supp",
	    .xml_file = "/tmp/x/drd.xml",
	    .log_file = "/tmp/x/drd.log",
	};
	char *prog[] = {"./server", "--port", "0", NULL};
	bool tool = false, xml = false, file = false, log = false, supp = false, code = false;
	char **argv = lc_drd_argv(&o, prog);
	size_t i;

	CHECK(argv != NULL);
	CHECK_STR(argv[0], "/usr/bin/valgrind");
	for (i = 1; argv[i] && strcmp(argv[i], "./server") != 0; i++) {
		tool |= strcmp(argv[i], "--tool=drd") == 0;
		xml |= strcmp(argv[i], "--xml=yes") == 0;
		file |= strcmp(argv[i], "--xml-file=/tmp/x/drd.xml") == 0;
		log |= strcmp(argv[i], "--log-file=/tmp/x/drd.log") == 0;
		supp |=
		    strcmp(argv[i], "--suppressions=/src/harness/tools/valgrind-race.supp") == 0;
		code |= strcmp(argv[i], "--error-exitcode=99") == 0;
	}
	CHECK(tool && xml && file && log && supp && code);
	CHECK(argv[i] != NULL);
	CHECK_STR(argv[i + 1], "--port");
	CHECK_STR(argv[i + 2], "0");
	CHECK(argv[i + 3] == NULL);
	lc_drd_argv_free(argv);
	lc_drd_argv_free(NULL);

	/* Every allocation that fails is undone: the runner checks nothing leaked. */
	argv = NULL;
	for (long n = 1; n < 64 && !argv; n++) {
		ll_alloc_fail_after(n);
		argv = lc_drd_argv(&o, prog);
		ll_alloc_fail_after(0);
	}
	CHECK(argv != NULL);
	lc_drd_argv_free(argv);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_racy_xml);
	RUN(test_own_file);
	RUN(test_clean_xml);
	RUN(test_truncated);
	RUN(test_not_drd);
	RUN(test_counts);
	RUN(test_drd_argv);
	return check_finish();
}
