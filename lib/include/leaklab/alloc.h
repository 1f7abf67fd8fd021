/*
 * leaklab/alloc.h - the library's allocation points.
 *
 * Every allocation inside libleaklab goes through these four functions, so
 * a test can make the Nth one fail and prove that every error path of the
 * library cleans up after itself (the way SQLite tests its own).
 * They behave exactly like malloc/calloc/realloc/free otherwise: memcheck
 * and the sanitizers see the underlying system allocator.
 */
#ifndef LEAKLAB_ALLOC_H
#define LEAKLAB_ALLOC_H

#include <stddef.h>

void *ll_malloc(size_t size);
void *ll_calloc(size_t n, size_t size);
/* On failure returns NULL and leaves ptr untouched and still owned by the caller. */
void *ll_realloc(void *ptr, size_t size);
/* free(); NULL is a no-op. */
void ll_free(void *ptr);

/*
 * Fault injection for tests. After ll_alloc_fail_after(n) with n >= 1 the
 * nth allocation from now fails (returns NULL), and so does every later one
 * until ll_alloc_fail_after(0) turns injection off. The counter is global
 * and thread-safe. ll_alloc_count() returns how many allocations were made
 * since the last call to ll_alloc_fail_after().
 */
void ll_alloc_fail_after(long n);
long ll_alloc_count(void);

/* strdup through ll_malloc; NULL when s is NULL or allocation fails. */
char *ll_strdup(const char *s);

#endif
