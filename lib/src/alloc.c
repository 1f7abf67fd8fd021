/*
 * alloc.c - the library's allocation points, with fault injection.
 *
 * The countdown is one atomic counter, so tests may make allocations fail
 * while other threads allocate too. When injection is off (fail_at == 0)
 * the cost is one relaxed atomic increment per allocation.
 */
#include <leaklab/alloc.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long alloc_count;
static atomic_long fail_at; /* 0: never fail; n: the nth allocation and later fail */

static int should_fail(void)
{
	long n = atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed) + 1;
	long at = atomic_load_explicit(&fail_at, memory_order_relaxed);

	return at > 0 && n >= at;
}

void *ll_malloc(size_t size)
{
	return should_fail() ? NULL : malloc(size);
}

void *ll_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : calloc(n, size);
}

void *ll_realloc(void *ptr, size_t size)
{
	return should_fail() ? NULL : realloc(ptr, size);
}

void ll_free(void *ptr)
{
	free(ptr);
}

void ll_alloc_fail_after(long n)
{
	atomic_store(&fail_at, n > 0 ? n : 0);
	atomic_store(&alloc_count, 0);
}

long ll_alloc_count(void)
{
	return atomic_load(&alloc_count);
}

char *ll_strdup(const char *s)
{
	size_t n;
	char *copy;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	copy = ll_malloc(n);
	if (copy)
		memcpy(copy, s, n);
	return copy;
}
