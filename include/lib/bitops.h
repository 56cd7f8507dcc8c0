/* SPDX-License-Identifier: MIT */
/*
 * Bit operations on machine words and on word arrays (bitmaps). With the Zbb
 * extension the compiler turns the builtins into single instructions (ctz, clz,
 * cpop); without it they become libgcc calls. Bit n of a bitmap lives in word
 * n / BITS_PER_LONG at position n % BITS_PER_LONG.
 */
#ifndef LIB_BITOPS_H
#define LIB_BITOPS_H

#include <mmlab/compiler.h>

#define BITS_PER_LONG		(8 * (unsigned)sizeof(unsigned long))
#define BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define BIT(n)			(1UL << (n))

BUILD_BUG_ON(sizeof(unsigned long) != 8);

/* Index of the lowest set bit of @w; @w must not be 0. */
static inline unsigned word_ffs(unsigned long w)
{
	return (unsigned)__builtin_ctzl(w);
}

/* Index of the highest set bit of @w; @w must not be 0. */
static inline unsigned word_fls(unsigned long w)
{
	return BITS_PER_LONG - 1 - (unsigned)__builtin_clzl(w);
}

/* Number of set bits in @w. */
static inline unsigned word_popcount(unsigned long w)
{
	return (unsigned)__builtin_popcountl(w);
}

/* Mask of bits [lo, lo + n) within one word; 1 <= n, lo + n <= 64. */
static inline unsigned long word_mask(unsigned lo, unsigned n)
{
	return (n >= BITS_PER_LONG ? ~0UL : (BIT(n) - 1)) << lo;
}

/* ilog2 of a non-zero value, rounded down. */
static inline unsigned ilog2_floor(unsigned long x)
{
	return word_fls(x);
}

/* ilog2 of a non-zero value, rounded up. */
static inline unsigned ilog2_ceil(unsigned long x)
{
	return x <= 1 ? 0 : word_fls(x - 1) + 1;
}

static inline bool bitmap_test(const unsigned long *map, size_t n)
{
	return (map[n / BITS_PER_LONG] >> (n % BITS_PER_LONG)) & 1;
}

static inline void bitmap_set_bit(unsigned long *map, size_t n)
{
	map[n / BITS_PER_LONG] |= BIT(n % BITS_PER_LONG);
}

static inline void bitmap_clear_bit(unsigned long *map, size_t n)
{
	map[n / BITS_PER_LONG] &= ~BIT(n % BITS_PER_LONG);
}

/* Set bits [start, start + n) of @map. */
void bitmap_set_range(unsigned long *map, size_t start, size_t n);
/* Clear bits [start, start + n) of @map. */
void bitmap_clear_range(unsigned long *map, size_t start, size_t n);
/* True when every bit of [start, start + n) is clear. */
bool bitmap_range_all_clear(const unsigned long *map, size_t start, size_t n);
/* True when every bit of [start, start + n) is set. */
bool bitmap_range_all_set(const unsigned long *map, size_t start, size_t n);
/*
 * First set bit at or after @start and before @end; returns @end when none.
 * Scans a word at a time.
 */
size_t bitmap_next_set(const unsigned long *map, size_t start, size_t end);
/* First clear bit at or after @start and before @end; returns @end when none. */
size_t bitmap_next_clear(const unsigned long *map, size_t start, size_t end);
/*
 * bitmap_find_run - the lowest s with bits [s, s + n) of the @nbits-bit map
 * all set and s + @phase a multiple of @align (a power of two). Returns
 * @nbits when there is none (or n == 0, n > nbits, @align not a power of
 * two). One pass a word at a time: runs inside a word are found with
 * log2(n) shift-and steps, runs across words from the set bits carried
 * over; a word with no set bit costs one test. No step depends on how the
 * set bits came to be.
 */
size_t bitmap_find_run(const unsigned long *map, size_t nbits, size_t n, size_t align,
		       size_t phase);

/*
 * Inline variants for short ranges (allocator hot paths): a range within
 * two words takes one or two steps, longer ones call the functions above.
 * Same results.
 */
static inline void bitmap_set_range_fast(unsigned long *map, size_t start, size_t n)
{
	unsigned long *p = &map[start / BITS_PER_LONG];
	size_t lo = start % BITS_PER_LONG, hi = lo + n;

	if (hi <= BITS_PER_LONG) {
		p[0] |= word_mask((unsigned)lo, (unsigned)n);
	} else if (hi <= 2 * BITS_PER_LONG) {
		p[0] |= ~0UL << lo;
		p[1] |= word_mask(0, (unsigned)(hi - BITS_PER_LONG));
	} else {
		bitmap_set_range(map, start, n);
	}
}

static inline void bitmap_clear_range_fast(unsigned long *map, size_t start, size_t n)
{
	unsigned long *p = &map[start / BITS_PER_LONG];
	size_t lo = start % BITS_PER_LONG, hi = lo + n;

	if (hi <= BITS_PER_LONG) {
		p[0] &= ~word_mask((unsigned)lo, (unsigned)n);
	} else if (hi <= 2 * BITS_PER_LONG) {
		p[0] &= ~(~0UL << lo);
		p[1] &= ~word_mask(0, (unsigned)(hi - BITS_PER_LONG));
	} else {
		bitmap_clear_range(map, start, n);
	}
}

#endif /* LIB_BITOPS_H */
