/*
 * test_report.c - the JSON document: strings from outside that are not
 * valid UTF-8 still give valid UTF-8 JSON, and a write that fails on the
 * way is an error even when the last write works.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <leaklab/error.h>
#include <leaklab/ws_frame.h> /* ll_utf8_valid */

#include "check.h"
#include "judge/report.h"

static void make_run(struct lc_config *cfg, struct lc_run *run, const char *error)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(run, 0, sizeof(*run));
	cfg->case_name = "01-unclosed-connection";
	cfg->summary = "caf\xc3\xa9"; /* valid: "café" */
	run->variant = LC_FIXED;
	run->mode = LC_NATIVE;
	run->program = "/bin/prog\xff";
	run->exit_code = 2;
	snprintf(run->error, sizeof(run->error), "%s", error);
}

/* Writes the document into buf through a memory stream. */
static int json_to(char *buf, size_t size, const struct lc_config *cfg, const struct lc_run *run)
{
	FILE *f = fmemopen(buf, size, "w");
	int err;

	CHECK(f != NULL);
	err = lc_report_json_stream(f, cfg, run, 1, 2);
	CHECK_EQ(fclose(f), 0);
	return err;
}

static void test_invalid_utf8_replaced(void)
{
	/* A stray continuation byte, an overlong '/', a surrogate, a cut-off euro sign. */
	static const char bad[] = "x\x80y \xc0\xaf \xed\xa0\x80 ok \xe2\x82\xac end \xe2\x82";
	static char buf[65536];
	struct lc_config cfg;
	struct lc_run run;

	make_run(&cfg, &run, bad);
	CHECK_EQ(json_to(buf, sizeof(buf), &cfg, &run), 0);
	CHECK(ll_utf8_valid((const uint8_t *)buf, strlen(buf)));
	CHECK(strstr(buf, "\"summary\": \"caf\xc3\xa9\"") != NULL);
	CHECK(strstr(buf, "\"program\": \"/bin/prog\\ufffd\"") != NULL);
	CHECK(strstr(buf, "\"error\": \"x\\ufffdy \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd ok "
			  "\xe2\x82\xac end \\ufffd\\ufffd\"") != NULL);
}

/* A cookie stream whose first write fails and whose later writes succeed. */
static int writes;

static ssize_t flaky_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	(void)buf;
	return writes++ == 0 ? -1 : (ssize_t)size;
}

static void test_failed_write_reported(void)
{
	cookie_io_functions_t io = {.write = flaky_write};
	struct lc_config cfg;
	struct lc_run run;
	FILE *f;

	make_run(&cfg, &run, "no verdict");
	writes = 0;
	f = fopencookie(NULL, "w", io);
	CHECK(f != NULL);
	/* Unbuffered: every fprintf reaches the cookie, so only the first one fails. */
	setvbuf(f, NULL, _IONBF, 0);
	CHECK_EQ(lc_report_json_stream(f, &cfg, &run, 1, 2), LL_EIO);
	CHECK(writes > 1);
	fclose(f);

	CHECK_EQ(lc_report_json("/nonexistent-dir/out.json", &cfg, &run, 1, 2), LL_EIO);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_invalid_utf8_replaced);
	RUN(test_failed_write_reported);
	return check_finish();
}
