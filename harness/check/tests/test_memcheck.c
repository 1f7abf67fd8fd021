/*
 * test_memcheck.c - reading what memcheck writes: the XML report and the
 * text log of a real Valgrind 3.19 run (fixtures/leaky.* and clean.*, made
 * by fixtures/leaky.c), the gdbserver's leak summary, and the command line.
 */
#include <string.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

#include "check.h"
#include "measure/memcheck.h"

#define FIXTURE(name) FIXTURE_DIR "/" name

static void test_leaky_xml(void)
{
	struct lc_memcheck mc;

	CHECK_EQ(lc_memcheck_parse_xml(FIXTURE("leaky.xml"), NULL, &mc), 0);
	CHECK(mc.parsed);
	CHECK(mc.finished);
	/* One invalid read; the leaks are not counted as errors. */
	CHECK_EQ(mc.errors, 1);
	CHECK_STR(mc.first_error, "InvalidRead: Invalid read of size 4 at main (leaky.c:50)");
	/*
	 * "64 (32 direct, 32 indirect) bytes ... definitely lost": as in
	 * Valgrind's LEAK SUMMARY, 32 are definitely lost and the other 32 are
	 * the indirect record's, counted once.
	 */
	CHECK_EQ(mc.definitely, 32);
	CHECK_EQ(mc.indirectly, 32);
	CHECK_EQ(mc.possibly, 272); /* the blocked thread's TLS */
	CHECK_EQ(mc.reachable, 100);
	CHECK_EQ(mc.leak_blocks, 3);
	CHECK_EQ(mc.fds_open, -1); /* 3.19: fds are only in the text log */
	CHECK_EQ(mc.valgrind_version, 31900);
}

/* The first frame in the program's own file, for the course's verdict. */
static void test_own_frames(void)
{
	struct lc_memcheck mc;

	CHECK_EQ(lc_memcheck_parse_xml(FIXTURE("leaky.xml"), "leaky.c", &mc), 0);
	CHECK_STR(mc.first_error_at, "main (leaky.c:50)");
	CHECK_STR(mc.reachable_at, "main (leaky.c:40)");
	CHECK_EQ(mc.reachable_at_bytes, 100);
	/* The definitely lost record (64 bytes with its indirect part) beats the TLS. */
	CHECK_STR(mc.lost_at, "main (leaky.c:45)");
	CHECK_EQ(mc.lost_at_bytes, 64);

	/* Without an own file nothing is attributed. */
	CHECK_EQ(lc_memcheck_parse_xml(FIXTURE("leaky.xml"), NULL, &mc), 0);
	CHECK_STR(mc.first_error_at, "");
	CHECK_STR(mc.lost_at, "");
}

static void test_clean_xml(void)
{
	struct lc_memcheck mc;

	CHECK_EQ(lc_memcheck_parse_xml(FIXTURE("clean.xml"), NULL, &mc), 0);
	CHECK(mc.parsed);
	CHECK(mc.finished);
	CHECK_EQ(mc.errors, 0);
	CHECK_EQ(mc.definitely + mc.indirectly + mc.possibly, 0);
	CHECK_EQ(mc.reachable, 100);
	CHECK_STR(mc.first_error, "");
}

/* A report cut short (the program was killed) is an error, and not finished. */
static void test_truncated_xml(void)
{
	static const char head[] = "<?xml version=\"1.0\"?>\n<valgrindoutput>\n"
				   "<status>\n  <state>RUNNING</state>\n</status>\n"
				   "<error>\n  <unique>0x0</unique>\n  <kind>InvalidWrite</kind>\n"
				   "  <what>Invalid write of size 8</what>\n</error>\n<err";
	struct lc_memcheck mc;

	CHECK_EQ(lc_memcheck_parse_xml_buf(head, sizeof(head) - 1, NULL, &mc), LL_EPROTO);
	CHECK(!mc.parsed);
	CHECK(!mc.finished);
	CHECK_EQ(mc.errors, 1); /* what was read before the cut is kept */
	CHECK_EQ(lc_memcheck_parse_xml("/nonexistent/memcheck.xml", NULL, &mc), LL_EIO);
}

/* Valgrind >= 3.23 reports fds left open as XML errors, not as plain errors. */
static void test_fd_errors_in_xml(void)
{
	static const char xml[] =
	    "<?xml version=\"1.0\"?>\n<valgrindoutput>\n"
	    "<status><state>FINISHED</state></status>\n"
	    "<error><unique>0x1</unique><kind>FdNotClosed</kind>"
	    "<what>Open file descriptor 5: /dev/null</what></error>\n"
	    "<error><unique>0x2</unique><kind>UninitCondition</kind>"
	    "<what>Conditional jump or move depends on uninitialised value(s)</what>"
	    "<stack><frame><fn>f</fn></frame><frame><fn>main</fn></frame></stack></error>\n"
	    "<errorcounts><pair><count>3</count><unique>0x2</unique></pair>"
	    "<pair><count>1</count><unique>0x1</unique></pair></errorcounts>\n"
	    "</valgrindoutput>\n";
	struct lc_memcheck mc;

	CHECK_EQ(lc_memcheck_parse_xml_buf(xml, sizeof(xml) - 1, NULL, &mc), 0);
	CHECK(mc.finished);
	CHECK_EQ(mc.fds_open, 1);
	CHECK_STR(mc.first_fd, "Open file descriptor 5: /dev/null");
	/* Occurrences come from <errorcounts>, for non-leak, non-fd errors only. */
	CHECK_EQ(mc.errors, 3);
	CHECK_STR(
	    mc.first_error,
	    "UninitCondition: Conditional jump or move depends on uninitialised value(s) at f");
}

static void test_logs(void)
{
	struct lc_memcheck mc = {.fds_open = -1};

	/* fd 5 was opened by the program; 3, 4, 7, 10 and 251 were inherited. */
	CHECK_EQ(lc_memcheck_parse_log(FIXTURE("leaky.log"), &mc), 0);
	CHECK_EQ(mc.fds_open, 1);
	CHECK_STR(mc.first_fd, "Open file descriptor 5: /dev/null");

	memset(&mc, 0, sizeof(mc));
	mc.fds_open = -1;
	CHECK_EQ(lc_memcheck_parse_log(FIXTURE("clean.log"), &mc), 0);
	CHECK_EQ(mc.fds_open, 0);

	/* No "FILE DESCRIPTORS:" line: unknown, not zero. */
	memset(&mc, 0, sizeof(mc));
	mc.fds_open = -1;
	CHECK_EQ(lc_memcheck_parse_log_buf("==1== Memcheck, a memory error detector\n", &mc), 0);
	CHECK_EQ(mc.fds_open, -1);

	/* Valgrind 3.23 puts fd errors in the XML: no log block means none open. */
	memset(&mc, 0, sizeof(mc));
	mc.fds_open = -1;
	mc.valgrind_version = 32300;
	CHECK_EQ(lc_memcheck_parse_log_buf("==1== ERROR SUMMARY: 0 errors\n", &mc), 0);
	CHECK_EQ(mc.fds_open, 0);

	/* Sockets are reported as "Open AF_INET socket N: ...". */
	memset(&mc, 0, sizeof(mc));
	mc.fds_open = -1;
	CHECK_EQ(lc_memcheck_parse_log_buf(
		     "==7== FILE DESCRIPTORS: 5 open (3 std) at exit.\n"
		     "==7== Open AF_INET socket 6: 127.0.0.1:8080 <-> 127.0.0.1:5000\n"
		     "==7==    at 0x4970E4B: accept (accept.c:26)\n"
		     "==7== \n"
		     "==7== Open AF_UNIX socket 9: <unknown>\n"
		     "==7==    <inherited from parent>\n",
		     &mc),
		 0);
	CHECK_EQ(mc.fds_open, 1);
	CHECK_STR(mc.first_fd, "Open AF_INET socket 6: 127.0.0.1:8080 <-> 127.0.0.1:5000");
}

static void test_leak_summary(void)
{
	struct lc_leak_summary s;
	char text[2048];
	FILE *f = fopen(FIXTURE("vgdb-summary.txt"), "r");
	size_t n;

	CHECK(f != NULL);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	CHECK_EQ(lc_leak_summary_parse(text, &s), 0);
	CHECK_EQ(s.definitely, 500);
	CHECK_EQ(s.indirectly, 0);
	CHECK_EQ(s.possibly, 816);
	CHECK_EQ(s.reachable, 5096); /* "5,096": thousands separators skipped */
	CHECK_EQ(s.suppressed, 0);

	CHECK_EQ(lc_leak_summary_parse(
		     "==3== All heap blocks were freed -- no leaks are possible\n", &s),
		 0);
	CHECK_EQ(s.definitely + s.indirectly + s.possibly + s.reachable, 0);
	CHECK_EQ(lc_leak_summary_parse("vgdb error: no FIFO found\n", &s), LL_EPROTO);
	CHECK_EQ(lc_leak_summary_parse("==3== LEAK SUMMARY:\n==3==    definitely lost: x\n", &s),
		 LL_EPROTO);
}

static void test_valgrind_argv(void)
{
	struct lc_valgrind_opts o = {
	    .valgrind = "/usr/bin/valgrind",
	    .suppressions = "/src/harness/tools/valgrind.supp",
	    .xml_file = "/tmp/x/memcheck.xml",
	    .log_file = "/tmp/x/memcheck.log",
	    .vgdb_prefix = "/tmp/x/vgdb",
	};
	char *prog[] = {"./server", "--port", "0", NULL};
	char **argv = lc_valgrind_argv(&o, prog);
	bool xml = false, log = false, supp = false, fds = false, prefix = false;
	size_t i;

	CHECK(argv != NULL);
	CHECK_STR(argv[0], "/usr/bin/valgrind");
	for (i = 1; argv[i] && strcmp(argv[i], "./server") != 0; i++) {
		xml |= strcmp(argv[i], "--xml-file=/tmp/x/memcheck.xml") == 0;
		log |= strcmp(argv[i], "--log-file=/tmp/x/memcheck.log") == 0;
		supp |= strcmp(argv[i], "--suppressions=/src/harness/tools/valgrind.supp") == 0;
		fds |= strcmp(argv[i], "--track-fds=yes") == 0;
		prefix |= strcmp(argv[i], "--vgdb-prefix=/tmp/x/vgdb") == 0;
	}
	CHECK(xml && log && supp && fds && prefix);
	/* The program and its arguments follow Valgrind's options, in order. */
	CHECK(argv[i] != NULL);
	CHECK_STR(argv[i + 1], "--port");
	CHECK_STR(argv[i + 2], "0");
	CHECK(argv[i + 3] == NULL);
	lc_valgrind_argv_free(argv);
	lc_valgrind_argv_free(NULL);

	/*
	 * Make the 1st, 2nd, ... allocation fail until the call succeeds: each
	 * failure returns NULL, and the memcheck run proves none leaks.
	 */
	argv = NULL;
	for (long n = 1; n < 64 && !argv; n++) {
		ll_alloc_fail_after(n);
		argv = lc_valgrind_argv(&o, prog);
		ll_alloc_fail_after(0);
	}
	CHECK(argv != NULL);
	lc_valgrind_argv_free(argv);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_leaky_xml);
	RUN(test_own_frames);
	RUN(test_clean_xml);
	RUN(test_truncated_xml);
	RUN(test_fd_errors_in_xml);
	RUN(test_logs);
	RUN(test_leak_summary);
	RUN(test_valgrind_argv);
	return check_finish();
}
