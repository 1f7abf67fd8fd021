/* test_manifest.c - the case manifest leaklab_case() writes and leaklab-check reads. */
#include <string.h>

#include <leaklab/error.h>

#include "check.h"
#include "model.h"

static void test_parse(void)
{
	struct lc_manifest m;

	CHECK_EQ(lc_manifest_parse("# written by leaklab_case()\n"
				   "name=01-unclosed-connection\n"
				   "summary=handler returns on EOF = without closing\n"
				   "scenario=connect-drop\n"
				   "load=20\n"
				   "expect=fds heap\n"
				   "memcheck_expect=fds heap lost\n"
				   "program_arg=--heartbeat-ms\n"
				   "program_arg=50\n"
				   "path=/?id=alice&token=ab\n"
				   "bad_path=/?id=alice&token=00\n"
				   "future_key=ignored\n"
				   "\n"
				   "leak=/b/bin/01-unclosed-connection-leak\r\n"
				   "fixed=/b/bin/01-unclosed-connection-fixed",
				   &m),
		 0);
	CHECK_STR(m.name, "01-unclosed-connection");
	CHECK_STR(m.summary, "handler returns on EOF = without closing");
	CHECK_STR(m.scenario, "connect-drop");
	CHECK_STR(m.load, "20");
	CHECK_STR(m.expect, "fds heap");
	CHECK_STR(m.memcheck_expect, "fds heap lost");
	CHECK(m.request == NULL);
	CHECK_STR(m.path, "/?id=alice&token=ab");
	CHECK_STR(m.bad_path, "/?id=alice&token=00");
	CHECK_EQ(m.nprogram_args, 2);
	CHECK_STR(m.program_args[0], "--heartbeat-ms");
	CHECK_STR(m.program_args[1], "50");
	CHECK_STR(m.leak, "/b/bin/01-unclosed-connection-leak");
	CHECK_STR(m.fixed, "/b/bin/01-unclosed-connection-fixed");
	lc_manifest_free(&m);
	lc_manifest_free(&m); /* twice is harmless */

	CHECK_EQ(lc_manifest_parse("name=x\nno equals sign\n", &m), LL_EPROTO);
	CHECK(m.name == NULL); /* freed on error */
	CHECK_EQ(lc_manifest_read("/nonexistent/01-x", &m), LL_EIO);
}

static void test_path(void)
{
	char path[4096];

	CHECK_EQ(lc_manifest_path("03-uncleared-timer", path, sizeof(path)), 0);
	CHECK(strstr(path, "/../cases/03-uncleared-timer.") != NULL);
	CHECK_EQ(lc_manifest_path("03-uncleared-timer", path, 10), LL_ETOOBIG);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_parse);
	RUN(test_path);
	return check_finish();
}
