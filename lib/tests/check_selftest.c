/*
 * check_selftest.c - tests that are broken on purpose, so that the runner
 * of check.h is seen to catch each kind of leak and to print typed values.
 * Only the lib/runner tests run it, one test per process, and each expects the
 * abort and the message it names; it is no test of the library.
 */
#include <leaklab/alloc.h>

#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

/*
 * What these tests leave stays for good, so the runner's settle would wait
 * its whole second for nothing; a tenth of it shows the same.
 */
#define CHECK_SETTLE_MS 100
#include "check.h"

static void clean(void)
{
	ll_free(ll_malloc(16));
}

/* Kept on purpose: the runner must report it. */
static void *kept;
static int kept_fds[2];
static pthread_t kept_thread;

static void leaks_block(void)
{
	kept = ll_malloc(16);
	CHECK(kept != NULL);
}

static void leaks_fd(void)
{
	CHECK_EQ(pipe(kept_fds), 0);
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void leaks_thread(void)
{
	CHECK_EQ(pthread_create(&kept_thread, NULL, sleeper, NULL), 0);
}

static void fails_u64(void)
{
	uint64_t big = UINT64_MAX;

	CHECK_U64(big, ==, 1);
}

static void fails_mem(void)
{
	unsigned char a[40], b[40];

	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	b[17] = 0xa5;
	CHECK_MEM(a, b, sizeof(a));
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(clean);
	RUN(leaks_block);
	RUN(leaks_fd);
	RUN(leaks_thread);
	RUN(fails_u64);
	RUN(fails_mem);
	return check_finish();
}
