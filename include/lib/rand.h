/* SPDX-License-Identifier: MIT */
/*
 * A small deterministic pseudo-random generator (xorshift64*), for tests,
 * fuzz decoding and benchmark workloads. Same seed, same sequence, on the
 * kernel and on the host.
 */
#ifndef LIB_RAND_H
#define LIB_RAND_H

#include <mmlab/compiler.h>

struct rand_state {
	uint64_t s;
};

/* rand_seed - start a sequence; a zero seed is replaced by a fixed constant. */
static inline void rand_seed(struct rand_state *r, uint64_t seed)
{
	r->s = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

/* rand_next - next 64-bit value of the sequence. */
static inline uint64_t rand_next(struct rand_state *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* rand_range - uniform-ish value in [lo, hi] (inclusive); requires lo <= hi. */
static inline uint64_t rand_range(struct rand_state *r, uint64_t lo, uint64_t hi)
{
	return lo + rand_next(r) % (hi - lo + 1);
}

#endif /* LIB_RAND_H */
