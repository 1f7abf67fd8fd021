/*
 * check.h - the assertions and the test runner of libleaklab's tests.
 *
 * Each check prints the expression, both values and where it failed, then
 * aborts: a test program either runs to the end (exit 0) or dies on its
 * first failed check. Unlike assert() they are never compiled out.
 *
 * The runner, after libuv's: main() lists its tests with RUN(fn), one line
 * each, between check_start() and check_finish():
 *
 *	int main(int argc, char **argv)
 *	{
 *		check_start(argc, argv);
 *		RUN(test_one);
 *		RUN(test_two);
 *		return check_finish();
 *	}
 *
 * With no argument every test runs, in order; with test names only those
 * do, in the program's order (CMake registers one ctest per RUN line, so
 * each test gets a process and a timeout of its own); --list prints the
 * names. A name that is not there exits 2 with the list. A program that
 * never calls check_start() runs every test.
 *
 * Around every test RUN counts the library's live allocations
 * (ll_alloc_live()), this process's open fds and its threads, and fails the
 * test, by name, when any of them differs afterwards: as libuv ends each
 * test by proving its loop closed and SQLite counts unfreed memory and open
 * files as errors, a test here ends by freeing everything it made. Threads
 * and fds that go away asynchronously (a thread that was joined lingers in
 * /proc for a moment; a server's connection thread finishes after its peer
 * hung up) get a bounded settle first: polled with backoff, for at most
 * CHECK_SETTLE_MS.
 */
#ifndef LEAKLAB_TESTS_CHECK_H
#define LEAKLAB_TESTS_CHECK_H

#include <leaklab/alloc.h>

#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Signed integers of any width up to long long. */
#define CHECK_INT(a, op, b)                                                                        \
	do {                                                                                       \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
		if (!(check_a_ op check_b_)) {                                                     \
			fprintf(stderr, "%s:%d: CHECK(%s %s %s) failed: %lld vs %lld\n", __FILE__, \
				__LINE__, #a, #op, #b, check_a_, check_b_);                        \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define CHECK_EQ(a, b) CHECK_INT(a, ==, b)

/*
 * Unsigned values: sizes, lengths and ids that may lie beyond LLONG_MAX
 * (a 64-bit frame length, SIZE_MAX), which CHECK_INT would print as
 * negative numbers. Both sides are compared as uint64_t.
 */
#define CHECK_U64(a, op, b)                                                                        \
	do {                                                                                       \
		uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                       \
		if (!(check_a_ op check_b_)) {                                                     \
			fprintf(stderr,                                                            \
				"%s:%d: CHECK(%s %s %s) failed: %" PRIu64 " vs %" PRIu64           \
				" (0x%" PRIx64 " vs 0x%" PRIx64 ")\n",                             \
				__FILE__, __LINE__, #a, #op, #b, check_a_, check_b_, check_a_,     \
				check_b_);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *check_a_ = (a), *check_b_ = (b);                                       \
		if (strcmp(check_a_, check_b_) != 0) {                                             \
			fprintf(stderr, "%s:%d: CHECK(%s == %s) failed: \"%s\" vs \"%s\"\n",       \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);                   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Bytes of a buffer shown on each line of CHECK_MEM's dump, and lines at most. */
#define CHECK_MEM_ROW  16
#define CHECK_MEM_ROWS 4

static inline void check_mem_dump_(const char *label, const unsigned char *p, size_t from,
				   size_t to, size_t diff)
{
	size_t i;

	for (i = from; i < to; i++) {
		if ((i - from) % CHECK_MEM_ROW == 0)
			fprintf(stderr, "%s  %s %6zu:", i == from ? "" : "\n", label, i);
		fprintf(stderr, i == diff ? " [%02x]" : " %02x", p[i]);
	}
	fputc('\n', stderr);
}

/*
 * Prints where two buffers first differ and both of them in hex around
 * that place (all of them when short), the first differing byte in [ ].
 */
_Noreturn static inline void check_mem_failed_(const char *file, int line, const char *ea,
					       const char *eb, const char *en, const void *a,
					       const void *b, size_t n)
{
	const unsigned char *pa = a, *pb = b;
	size_t diff = 0, from, to;

	while (diff < n && pa[diff] == pb[diff])
		diff++;
	from = diff - diff % CHECK_MEM_ROW;
	from = from >= CHECK_MEM_ROW ? from - CHECK_MEM_ROW : 0;
	to = from + CHECK_MEM_ROW * CHECK_MEM_ROWS < n ? from + CHECK_MEM_ROW * CHECK_MEM_ROWS : n;
	fprintf(stderr,
		"%s:%d: CHECK(memcmp(%s, %s, %s) == 0) failed: %zu bytes, first difference "
		"at offset %zu\n",
		file, line, ea, eb, en, n, diff);
	if (from > 0 || to < n)
		fprintf(stderr, "  (bytes %zu to %zu of %zu)\n", from, to, n);
	check_mem_dump_("a", pa, from, to, diff);
	check_mem_dump_("b", pb, from, to, diff);
	abort();
}

#define CHECK_MEM(a, b, n)                                                                         \
	do {                                                                                       \
		const void *check_a_ = (a), *check_b_ = (b);                                       \
		size_t check_n_ = (n);                                                             \
		if (memcmp(check_a_, check_b_, check_n_) != 0)                                     \
			check_mem_failed_(__FILE__, __LINE__, #a, #b, #n, check_a_, check_b_,      \
					  check_n_);                                               \
	} while (0)

/* --- the runner ------------------------------------------------------- */

/*
 * How long a test's threads, fds and allocations get to go away after it
 * returns. A program may define it smaller before including this header.
 */
#ifndef CHECK_SETTLE_MS
#define CHECK_SETTLE_MS 1000
#endif
/* Tests in one program, at most; fds named in a leak report, at most. */
#define CHECK_MAX_TESTS 256
#define CHECK_MAX_FDS	4096

struct check_runner {
	const char *prog;
	char **only; /* the tests to run, from argv; NULL: all of them */
	int nonly;
	int listing; /* --list: print the names, run nothing */
	int ran;     /* tests that ran */
	int warmed;  /* the thread warm-up has been done */
	int ntests;
	const char *names[CHECK_MAX_TESTS];
};

/*
 * The runner's state. A function-local static, so that a program that
 * includes this header and never runs a test has nothing unused.
 */
static inline struct check_runner *check_runner_(void)
{
	static struct check_runner r;

	return &r;
}

/* What a test must leave as it found it. */
struct check_state {
	long live;
	int threads;
	int fds;
	unsigned char fd_open[CHECK_MAX_FDS / 8]; /* which fds were open, to name new ones */
};

static inline long long check_now_ms_(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Counts threads and fds from /proc, leaving out the fd that reads /proc/self/fd. */
static inline void check_sample_(struct check_state *s)
{
	DIR *d;
	struct dirent *e;

	memset(s, 0, sizeof(*s));
	s->live = ll_alloc_live();
	d = opendir("/proc/self/task");
	CHECK(d != NULL);
	while ((e = readdir(d)))
		s->threads += e->d_name[0] != '.';
	closedir(d);
	d = opendir("/proc/self/fd");
	CHECK(d != NULL);
	while ((e = readdir(d))) {
		long fd;

		if (e->d_name[0] == '.')
			continue;
		fd = strtol(e->d_name, NULL, 10);
		if (fd == dirfd(d))
			continue;
		s->fds++;
		if (fd >= 0 && fd < CHECK_MAX_FDS)
			s->fd_open[fd / 8] |= (unsigned char)(1u << (fd % 8));
	}
	closedir(d);
}

static inline int check_same_(const struct check_state *a, const struct check_state *b)
{
	return a->live == b->live && a->threads == b->threads && a->fds == b->fds;
}

static inline void *check_noop_main_(void *arg)
{
	return arg;
}

/*
 * Starts and joins one thread before the first baseline: some runtimes
 * (TSan's background thread) add a thread of their own on the first
 * pthread_create(), which would otherwise count against the first test.
 */
static inline void check_warm_up_(void)
{
	struct check_state s;
	long long until;
	pthread_t th;
	int threads;

	check_sample_(&s);
	threads = s.threads;
	CHECK_EQ(pthread_create(&th, NULL, check_noop_main_, NULL), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	/*
	 * A joined thread lingers in /proc/self/task for a moment (long, on a
	 * loaded machine): wait, bounded, until it is gone, or it would count
	 * in the first test's baseline and be missing at its end.
	 */
	until = check_now_ms_() + CHECK_SETTLE_MS;
	for (;;) {
		struct timespec ts = {0, 1000000};

		check_sample_(&s);
		if (s.threads <= threads || check_now_ms_() >= until)
			break;
		nanosleep(&ts, NULL);
	}
}

/* Says what a test left behind, and fails it. */
_Noreturn static inline void check_leaked_(const char *name, const struct check_state *before,
					   const struct check_state *after)
{
	int fd;

	if (after->live != before->live)
		fprintf(
		    stderr,
		    "%s: leaked %ld allocation(s) of the library (%ld live before, %ld after)\n",
		    name, after->live - before->live, before->live, after->live);
	if (after->fds != before->fds)
		fprintf(stderr, "%s: %d fd(s) open before, %d after\n", name, before->fds,
			after->fds);
	for (fd = 0; fd < CHECK_MAX_FDS; fd++) {
		int was = before->fd_open[fd / 8] >> (fd % 8) & 1;
		int is = after->fd_open[fd / 8] >> (fd % 8) & 1;
		char path[64], target[256];
		ssize_t n;

		if (was == is)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "%s:   fd %d %s%s%s\n", name, fd, is ? "left open: " : "closed",
			is ? target : "", is ? "" : " (it was open before the test)");
	}
	if (after->threads != before->threads)
		fprintf(stderr, "%s: %d thread(s) before, %d after (waited %d ms)\n", name,
			before->threads, after->threads, CHECK_SETTLE_MS);
	abort();
}

/*
 * Runs one test, if it is the one asked for, and proves it left nothing
 * behind. Call it through RUN(fn).
 */
static inline void check_run_(const char *name, void (*fn)(void))
{
	struct check_runner *r = check_runner_();
	struct check_state before, after;
	long long start, ended, until;
	long wait_us = 100;

	if (r->ntests < CHECK_MAX_TESTS)
		r->names[r->ntests++] = name;
	if (r->listing) {
		printf("%s\n", name);
		return;
	}
	if (r->only) {
		int i;

		for (i = 0; i < r->nonly && strcmp(r->only[i], name) != 0; i++)
			continue;
		if (i == r->nonly)
			return;
	}
	r->ran++;
	if (!r->warmed) {
		check_warm_up_();
		r->warmed = 1;
	}
	check_sample_(&before);
	fprintf(stderr, "-- %s\n", name);
	start = check_now_ms_();
	fn();
	ended = check_now_ms_();
	/* Polled with backoff from 100 us, capped at 100 ms, as goleak settles. */
	until = ended + CHECK_SETTLE_MS;
	for (;;) {
		struct timespec ts;

		check_sample_(&after);
		if (check_same_(&before, &after))
			break;
		if (check_now_ms_() >= until)
			check_leaked_(name, &before, &after);
		ts.tv_sec = 0;
		ts.tv_nsec = wait_us * 1000;
		nanosleep(&ts, NULL);
		wait_us = wait_us * 2 > 100000 ? 100000 : wait_us * 2;
	}
	fprintf(stderr, "-- %s: ok, %lld ms, then %lld ms to settle\n", name, ended - start,
		check_now_ms_() - ended);
}

#define RUN(fn) check_run_(#fn, fn)

/*
 * Reads the command line of a test program: nothing (every test), test
 * names (those alone) or --list. Exits 2 on anything else.
 */
static inline void check_start(int argc, char **argv)
{
	struct check_runner *r = check_runner_();
	int i;

	r->prog = argv[0];
	if (argc == 1)
		return;
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		r->listing = 1;
		return;
	}
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			fprintf(stderr, "usage: %s [--list | TEST...]\n", argv[0]);
			exit(2);
		}
	}
	r->only = argv + 1;
	r->nonly = argc - 1;
}

/* Returns main's exit code: 0, or 2 when a test asked for is not there. */
static inline int check_finish(void)
{
	struct check_runner *r = check_runner_();
	int i, j, missing = 0;

	for (i = 0; i < r->nonly; i++) {
		for (j = 0; j < r->ntests && strcmp(r->only[i], r->names[j]) != 0; j++)
			continue;
		if (j == r->ntests) {
			fprintf(stderr, "%s: no test named '%s'\n", r->prog, r->only[i]);
			missing++;
		}
	}
	if (!missing)
		return 0;
	fprintf(stderr, "%s: its tests are:\n", r->prog);
	for (i = 0; i < r->ntests; i++)
		fprintf(stderr, "  %s\n", r->names[i]);
	return 2;
}

#endif
