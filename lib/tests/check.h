/*
 * check.h - the assertions of libleaklab's tests.
 *
 * Each check prints the expression, both values and where it failed, then
 * aborts: a test program either runs to the end (exit 0) or dies on its
 * first failed check. Unlike assert() they are never compiled out.
 */
#ifndef LEAKLAB_TESTS_CHECK_H
#define LEAKLAB_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

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

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *check_a_ = (a), *check_b_ = (b);                                       \
		if (strcmp(check_a_, check_b_) != 0) {                                             \
			fprintf(stderr, "%s:%d: CHECK(%s == %s) failed: \"%s\" vs \"%s\"\n",       \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);                   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define CHECK_MEM(a, b, n)                                                                         \
	do {                                                                                       \
		if (memcmp((a), (b), (n)) != 0) {                                                  \
			fprintf(stderr, "%s:%d: CHECK(memcmp(%s, %s, %s) == 0) failed\n",          \
				__FILE__, __LINE__, #a, #b, #n);                                   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Runs one test function and says so, so a failure names its test. */
#define RUN(fn)                                                                                    \
	do {                                                                                       \
		fprintf(stderr, "-- %s\n", #fn);                                                   \
		fn();                                                                              \
	} while (0)

#endif
