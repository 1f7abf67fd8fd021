/*
 * test_runrec.c - a check's record (runrec.h): what is written reads back
 * exactly, a record older than one of its elders is not taken, a file that
 * is not a record is refused, and the name is record-run's (the SHA-1 of
 * the arguments and a newline, as sha1sum gives it).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <leaklab/alloc.h>
#include <leaklab/error.h>

#include "check.h"
#include "run.h"
#include "runrec.h"

static void scratch(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/runrec-%ld-%s", SCRATCH_DIR, (long)getpid(), name);
}

/* A run as a memcheck check of a leak leaves it: two rows, a verdict, memcheck's counts. */
static void make_run(struct lc_run *run, struct lc_row *rows)
{
	memset(run, 0, sizeof(*run));
	run->variant = LC_LEAK;
	run->mode = LC_MEMCHECK;
	run->exit_code = 0;
	run->judged = true;
	run->duration_ms = 5234;
	run->nscenarios = 2;
	run->scenarios[0] = LC_SC_CONNECT_DROP;
	snprintf(run->verdict.line, sizeof(run->verdict.line),
		 "leak reproduced: fds +2.00/client,\nscales 2.0x");
	run->verdict.sig[LC_HEAP].measured = true;
	run->verdict.sig[LC_HEAP].per_client = 583.7;
	run->verdict.sig[LC_HEAP].ratio = 2.0 / 3.0;
	run->verdict.sig[LC_HEAP].at_2n = 23348.0;
	run->verdict.sig[LC_HEAP].status = LC_ST_LEAKS;
	run->mc.parsed = true;
	run->mc.errors = 3;
	run->mc.definitely = 28032;
	run->mc.reachable = 1LL << 40;
	run->mc.fds_open = 96;
	run->drd.races = 41;
	rows[0] = (struct lc_row){10, "warmup", 0, 6, 20, 5820, -1, -1, 0};
	rows[1] = (struct lc_row){900, "N", 20, 6, 60, 5900, 12000, 512, 0};
	run->rows = rows;
	run->nrows = run->caprows = 2;
}

static void test_round_trip(void)
{
	struct lc_row rows[2];
	struct lc_run run, back;
	char path[512], *csv = NULL;

	make_run(&run, rows);
	scratch(path, sizeof(path), "a.run");
	CHECK_EQ(lc_runrec_write(path, &run), 0);
	CHECK_EQ(lc_runrec_read(path, NULL, &back, &csv), 0);
	CHECK_EQ(back.variant, LC_LEAK);
	CHECK_EQ(back.mode, LC_MEMCHECK);
	CHECK_EQ(back.exit_code, 0);
	CHECK(back.judged);
	CHECK_EQ(back.duration_ms, 5234);
	CHECK_EQ(back.nscenarios, 2);
	CHECK_EQ(back.scenarios[0], LC_SC_CONNECT_DROP);
	/* One line: a newline in the text would have ended the field. */
	CHECK_STR(back.verdict.line, "leak reproduced: fds +2.00/client, scales 2.0x");
	CHECK(back.verdict.sig[LC_HEAP].measured);
	CHECK(back.verdict.sig[LC_HEAP].per_client == 583.7);
	CHECK(back.verdict.sig[LC_HEAP].ratio == 2.0 / 3.0);
	CHECK(back.verdict.sig[LC_HEAP].at_2n == 23348.0);
	CHECK_EQ(back.verdict.sig[LC_HEAP].status, LC_ST_LEAKS);
	CHECK(!back.verdict.sig[LC_THREADS].measured);
	CHECK(back.mc.parsed);
	CHECK_EQ(back.mc.errors, 3);
	CHECK_EQ(back.mc.definitely, 28032);
	CHECK_EQ(back.mc.reachable, 1LL << 40);
	CHECK_EQ(back.mc.fds_open, 96);
	CHECK_EQ(back.drd.races, 41);
	/* The rows as the tour's CSV has them. */
	CHECK(csv != NULL);
	CHECK_STR(csv, "leak,memcheck,10,warmup,0,6,20,,,5959680,0,,\n"
		       "leak,memcheck,900,N,20,6,60,12000,512,6041600,0,,\n");
	ll_free(csv);
	lc_run_free(&back);
	unlink(path);
}

static void test_older_than_an_elder_is_not_taken(void)
{
	struct lc_row rows[2];
	struct lc_run run, back;
	char path[512], elder[512], *csv = NULL;
	const char *elders[] = {elder, NULL};
	struct timespec past[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};
	FILE *f;

	make_run(&run, rows);
	scratch(path, sizeof(path), "b.run");
	scratch(elder, sizeof(elder), "program");
	CHECK_EQ(lc_runrec_write(path, &run), 0);
	f = fopen(elder, "w");
	CHECK(f != NULL);
	fclose(f);
	/* The program was built after the record: stale. */
	CHECK_EQ(utimensat(AT_FDCWD, path, past, 0), 0);
	CHECK_EQ(lc_runrec_read(path, elders, &back, &csv), LL_EIO);
	CHECK(csv == NULL);
	/* ...and before it: taken. */
	CHECK_EQ(utimensat(AT_FDCWD, elder, past, 0), 0);
	CHECK_EQ(utimensat(AT_FDCWD, path, NULL, 0), 0);
	CHECK_EQ(lc_runrec_read(path, elders, &back, &csv), 0);
	ll_free(csv);
	lc_run_free(&back);
	/* An elder that is gone makes any record stale. */
	unlink(elder);
	CHECK_EQ(lc_runrec_read(path, elders, &back, &csv), LL_EIO);
	unlink(path);
	CHECK_EQ(lc_runrec_read(path, NULL, &back, &csv), LL_EIO);
}

static void test_not_a_record_is_refused(void)
{
	struct lc_run back;
	char path[512], *csv = NULL;
	FILE *f;

	scratch(path, sizeof(path), "c.run");
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("exit 0\nleak reproduced\n", f);
	fclose(f);
	CHECK_EQ(lc_runrec_read(path, NULL, &back, &csv), LL_EPROTO);
	CHECK(csv == NULL);
	/* The right first line, then a field nobody writes, and no rows. */
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("leaklab-run 1\nvariant 0\nweather fine\n", f);
	fclose(f);
	CHECK_EQ(lc_runrec_read(path, NULL, &back, &csv), LL_EPROTO);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("leaklab-run 1\nvariant 0\n", f);
	fclose(f);
	CHECK_EQ(lc_runrec_read(path, NULL, &back, &csv), LL_EPROTO);
	unlink(path);
}

static void test_name_is_record_runs(void)
{
	char path[512];

	/* printf '%s\n' "--case 01-unclosed-connection --variant leak --native" | sha1sum */
	CHECK_EQ(lc_runrec_path(path, sizeof(path), "/r",
				"--case 01-unclosed-connection --variant leak --native"),
		 0);
	CHECK_STR(path, "/r/682b92f58e83c4e3d83080b07cbdda54f691d112.run");
	CHECK_EQ(lc_runrec_path(path, 10, "/r", "x"), LL_ETOOBIG);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_round_trip);
	RUN(test_older_than_an_elder_is_not_taken);
	RUN(test_not_a_record_is_refused);
	RUN(test_name_is_record_runs);
	return check_finish();
}
