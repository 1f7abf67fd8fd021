/*
 * leaklab/alloc.h - the library's allocation points.
 *
 * Every allocation inside libleaklab goes through these four functions, so
 * a test can make the Nth one fail and prove that every error path of the
 * library cleans up after itself (the way SQLite tests its own), and can
 * count the blocks still live after a test to prove that it freed them.
 * They behave exactly like malloc/calloc/realloc/free otherwise: memcheck
 * and the sanitizers see the underlying system allocator.
 */
#ifndef LEAKLAB_ALLOC_H
#define LEAKLAB_ALLOC_H

#include <stddef.h>

void *ll_malloc(size_t size);
void *ll_calloc(size_t n, size_t size);
/*
 * On failure returns NULL and leaves ptr untouched and still owned by the
 * caller. A size of 0 is taken as 1, so a NULL return always means failure
 * (realloc(ptr, 0) may free ptr and return NULL, which callers cannot tell
 * from a failure).
 */
void *ll_realloc(void *ptr, size_t size);
/* free(); NULL is a no-op. */
void ll_free(void *ptr);

/*
 * Fault injection for tests, after SQLite's faultsimConfig(nDelay, nRepeat).
 * After ll_alloc_fail_at(n, repeat) with n >= 1 the nth allocation from now
 * fails (returns NULL), and so do the repeat - 1 after it; with repeat < 0
 * every later allocation fails. The ones before and after succeed.
 * n <= 0 or repeat == 0 turns injection off. The counter is global and
 * thread-safe: when several threads allocate, the nth is whichever comes
 * nth, and a change of the setting never makes an allocation fail that the
 * old or the new setting would not.
 *
 * ll_alloc_fail_after(n) is ll_alloc_fail_at(n, -1): every allocation from
 * the nth on fails, which proves the path that gives up. ll_alloc_fail_once(n)
 * is ll_alloc_fail_at(n, 1): only the nth fails, which proves that what
 * comes after a failure (a retry, the next message, the next connection)
 * still works. ll_alloc_fail_after(0) turns injection off.
 *
 * ll_alloc_count() returns how many allocations were attempted since the
 * last setting, ll_alloc_failures() how many of them were made to fail.
 */
void ll_alloc_fail_at(long n, long repeat);
void ll_alloc_fail_after(long n);
void ll_alloc_fail_once(long n);
long ll_alloc_count(void);
long ll_alloc_failures(void);

/*
 * Blocks from ll_malloc, ll_calloc, ll_realloc(NULL, ...) and ll_strdup not
 * yet given to ll_free, in the whole process. A test takes it before and
 * after: a difference is a leak (the test runner in lib/tests/check.h does
 * this around every test). Never decreases on its own except through
 * ll_free, so a leak is caught whichever thread made it.
 */
long ll_alloc_live(void);

/* strdup through ll_malloc; NULL when s is NULL or allocation fails. */
char *ll_strdup(const char *s);

#endif
