/*
 * fuzz.h - what every fuzz target in fuzz/ shares.
 *
 * A target is one function, LLVMFuzzerTestOneInput, built two ways (see
 * fuzz/README.md): linked with libFuzzer (-fsanitize=fuzzer, the fuzz
 * preset) it is fed by libFuzzer's coverage-guided mutator; linked with
 * fuzz/replay.c (every other build) it is fed the seed corpus and a
 * bounded number of deterministic mutations of it.
 *
 * A target reports a bug by crashing: the sanitizers turn memory and
 * undefined-behaviour errors into crashes, and fuzz_require() turns a
 * broken invariant (a differential check that disagrees) into abort(),
 * which both drivers report as a failure with the input that caused it.
 */
#ifndef LEAKLAB_FUZZ_H
#define LEAKLAB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Aborts with a message when an invariant does not hold. A function, not a
 * macro, and never compiled out: it is the whole point of a target.
 */
static inline void fuzz_require(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz: invariant broken: %s\n", what);
	abort();
}

/*
 * A small deterministic generator (xorshift64*), for the choices a target
 * derives from its input (how to chunk it, where to split it), so that the
 * same input always takes the same path and a crash always reproduces.
 */
static inline uint64_t fuzz_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : UINT64_C(0x9e3779b97f4a7c15);

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

/* FNV-1a over data, folded into h: a digest of everything a run produced. */
static inline uint64_t fuzz_hash(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

#endif
