/* test_shutdown.c - the verdict of the shutdown scenario (lc_shut_judge), fed by hand. */
#include <string.h>

#include "check.h"
#include "drive/shutdown.h"

/* held, got_1001, other_close, first_code, exit_ms, lost */
static const struct lc_shut_round leak_rounds[LC_NPOINTS] = {
    {0, 0, 0, 0, 2, 272},
    {10, 0, 10, 1006, 3, 2720},
    {20, 0, 20, 1006, 3, 5440},
};
static const struct lc_shut_round clean_rounds[LC_NPOINTS] = {
    {0, 0, 0, 0, 5, 0},
    {10, 10, 0, 0, 4, 0},
    {20, 20, 0, 0, 4, 0},
};

static void test_leak_reproduced(void)
{
	struct lc_verdict v;

	lc_shut_judge(LC_LEAK, true, true, leak_rounds, 10000, 0, "", 20, NULL, &v);
	CHECK_EQ(v.exit_code, 0);
	CHECK(strstr(v.line, "clients without 1001 +1.00/client, scales 2.0x") != NULL);
	CHECK(strstr(v.line, "lost at exit +") != NULL);
}

/* A fix that closes every client is no leak: the lesson did not reproduce. */
static void test_clean_program_as_leak(void)
{
	struct lc_verdict v;

	lc_shut_judge(LC_LEAK, false, false, clean_rounds, 2000, -1, "", -1, NULL, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "do not grow with the clients held (0, 0, 0)") != NULL);
}

/* A leak variant with memcheck errors is not the lesson: a crash in disguise. */
static void test_leak_with_errors(void)
{
	struct lc_verdict v;

	lc_shut_judge(LC_LEAK, true, true, leak_rounds, 10000, 2, "InvalidRead", 0, NULL, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "memcheck found 2 error(s), e.g. InvalidRead") != NULL);
}

static void test_fixed_clean(void)
{
	struct lc_verdict v;

	lc_shut_judge(LC_FIXED, true, true, clean_rounds, 10000, 0, "", 0, NULL, &v);
	CHECK_EQ(v.exit_code, 0);
	CHECK(strstr(v.line, "clean: every client got 1001") != NULL);
}

static void test_fixed_missing_close(void)
{
	struct lc_shut_round r[LC_NPOINTS];
	struct lc_verdict v;

	memcpy(r, clean_rounds, sizeof(r));
	r[LC_P_2N].got_1001 = 19;
	r[LC_P_2N].other_close = 1;
	r[LC_P_2N].first_code = 1006;
	lc_shut_judge(LC_FIXED, false, false, r, 2000, -1, "", -1, NULL, &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "1 of 20 clients got no 1001 before the end (e.g. 1006)") != NULL);
}

/* Every client closed, but no join: memcheck finds the threads at exit. */
static void test_fixed_lost_and_slow(void)
{
	struct lc_shut_round r[LC_NPOINTS];
	struct lc_verdict v;

	memcpy(r, clean_rounds, sizeof(r));
	r[LC_P_N].lost = 2720;
	r[LC_P_BASE].exit_ms = 2500;
	lc_shut_judge(LC_FIXED, true, true, r, 2000, 0, "", 0, "no echo", &v);
	CHECK_EQ(v.exit_code, 1);
	CHECK(strstr(v.line, "exit 2500 ms after SIGTERM with 0 held (limit 2000)") != NULL);
	CHECK(strstr(v.line, "2720 bytes lost at exit with 10 held") != NULL);
	CHECK(strstr(v.line, "the feature is broken: no echo") != NULL);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_leak_reproduced);
	RUN(test_clean_program_as_leak);
	RUN(test_leak_with_errors);
	RUN(test_fixed_clean);
	RUN(test_fixed_missing_close);
	RUN(test_fixed_lost_and_slow);
	return check_finish();
}
