/* test_error.c - ll_strerror and the allocation fault injection. */
#include <leaklab/alloc.h>
#include <leaklab/error.h>

#include "check.h"

static void test_strerror(void)
{
	CHECK_STR(ll_strerror(LL_OK), "success");
	CHECK_STR(ll_strerror(LL_ETIMEDOUT), "timed out");
	CHECK_STR(ll_strerror(12345), "unknown error");
}

static void test_fail_after(void)
{
	void *a, *b, *c;

	ll_alloc_fail_after(3);
	a = ll_malloc(8);
	b = ll_calloc(1, 8);
	c = ll_malloc(8);
	CHECK(a != NULL);
	CHECK(b != NULL);
	CHECK(c == NULL);
	CHECK(ll_strdup("x") == NULL);
	CHECK_EQ(ll_alloc_count(), 4);
	ll_alloc_fail_after(0);
	c = ll_strdup("leaklab");
	CHECK_STR(c, "leaklab");
	ll_free(a);
	ll_free(b);
	ll_free(c);
	ll_free(NULL);
}

int main(int argc, char **argv)
{
	check_start(argc, argv);
	RUN(test_strerror);
	RUN(test_fail_after);
	return check_finish();
}
