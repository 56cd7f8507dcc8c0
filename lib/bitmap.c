// SPDX-License-Identifier: MIT
/*
 * Range operations on bitmaps, a word at a time. Pure code: built into the
 * kernel and into host tests.
 */
#include <lib/bitops.h>

/*
 * Apply @set or clear to bits [start, start + n): a partial first word, then
 * whole words (one store each), then a partial last word.
 */
static void bitmap_assign_range(unsigned long *map, size_t start, size_t n, bool set)
{
	unsigned long *w = &map[start / BITS_PER_LONG];
	unsigned lo = start % BITS_PER_LONG;

	if (n == 0)
		return;
	if (lo) {
		unsigned len = (unsigned)MIN((size_t)(BITS_PER_LONG - lo), n);
		unsigned long mask = word_mask(lo, len);

		*w = set ? *w | mask : *w & ~mask;
		w++;
		n -= len;
	}
	for (; n >= BITS_PER_LONG; n -= BITS_PER_LONG)
		*w++ = set ? ~0UL : 0;
	if (n)
		*w = set ? *w | word_mask(0, (unsigned)n) : *w & ~word_mask(0, (unsigned)n);
}

void bitmap_set_range(unsigned long *map, size_t start, size_t n)
{
	bitmap_assign_range(map, start, n, true);
}

void bitmap_clear_range(unsigned long *map, size_t start, size_t n)
{
	bitmap_assign_range(map, start, n, false);
}

/* True when bits [start, start + n) all equal @set; same steps as above. */
static bool bitmap_range_is(const unsigned long *map, size_t start, size_t n, bool set)
{
	const unsigned long *w = &map[start / BITS_PER_LONG];
	unsigned long want = set ? ~0UL : 0;
	unsigned lo = start % BITS_PER_LONG;

	if (n == 0)
		return true;
	if (lo) {
		unsigned len = (unsigned)MIN((size_t)(BITS_PER_LONG - lo), n);
		unsigned long mask = word_mask(lo, len);

		if ((*w++ & mask) != (want & mask))
			return false;
		n -= len;
	}
	for (; n >= BITS_PER_LONG; n -= BITS_PER_LONG)
		if (*w++ != want)
			return false;
	return !n || (*w & word_mask(0, (unsigned)n)) == (want & word_mask(0, (unsigned)n));
}

bool bitmap_range_all_clear(const unsigned long *map, size_t start, size_t n)
{
	return bitmap_range_is(map, start, n, false);
}

bool bitmap_range_all_set(const unsigned long *map, size_t start, size_t n)
{
	return bitmap_range_is(map, start, n, true);
}

/* First bit equal to @set in [start, end), or @end. */
static size_t bitmap_next(const unsigned long *map, size_t start, size_t end, bool set)
{
	while (start < end) {
		size_t idx = start / BITS_PER_LONG;
		unsigned long w = set ? map[idx] : ~map[idx];

		w &= ~0UL << (start % BITS_PER_LONG);
		if (w) {
			size_t bit = idx * BITS_PER_LONG + word_ffs(w);
			return bit < end ? bit : end;
		}
		start = (idx + 1) * BITS_PER_LONG;
	}
	return end;
}

size_t bitmap_next_set(const unsigned long *map, size_t start, size_t end)
{
	return bitmap_next(map, start, end, true);
}

size_t bitmap_next_clear(const unsigned long *map, size_t start, size_t end)
{
	return bitmap_next(map, start, end, false);
}

/*
 * Shift-and steps for runs of @n bits (1 <= n <= 64): after w &= w >> step
 * for each step in turn, bit p of w says bits [p, p + n) were all set. The
 * lengths covered double (1, 2, 4, ...) and the last step tops up to @n;
 * unused steps are 0, and w &= w >> 0 changes nothing. Planned once per
 * search, so each word takes the same six shift-and pairs, no branch.
 */
#define RUN_STEPS	6

static void run_steps_plan(unsigned steps[RUN_STEPS], size_t n)
{
	unsigned top = word_fls(n), k;	/* 2^top <= n < 2^(top + 1) */

	for (k = 0; k < RUN_STEPS; k++)
		steps[k] = k < top ? 1u << k : k == top ? (unsigned)(n - (1UL << top)) : 0;
}

/* A bit every 2^k positions from bit 0, for k = 0..6. */
static const unsigned long every_nth_bit[] = {
	~0UL, 0x5555555555555555UL, 0x1111111111111111UL, 0x0101010101010101UL,
	0x0001000100010001UL, 0x0000000100000001UL, 0x1UL,
};

/* Positions p of word @wi with wi * 64 + p + @phase a multiple of @align (a power of two). */
static unsigned long word_aligned(size_t wi, size_t align, size_t phase)
{
	size_t first = (0 - (wi * BITS_PER_LONG + phase)) & (align - 1);

	if (first >= BITS_PER_LONG)
		return 0;
	if (align >= BITS_PER_LONG)
		return BIT(first);
	return every_nth_bit[word_ffs(align)] << first;
}

size_t bitmap_find_run(const unsigned long *map, size_t nbits, size_t n, size_t align,
		       size_t phase)
{
	size_t words = BITS_TO_LONGS(nbits), wi, run = 0;
	unsigned steps[RUN_STEPS];
	unsigned long aligned;

	BUILD_BUG_ON(ARRAY_SIZE(every_nth_bit) != 7 || BITS_PER_LONG != 64);
	if (n == 0 || n > nbits || !IS_POWER_OF_2(align))
		return nbits;
	run_steps_plan(steps, MIN(n, (size_t)BITS_PER_LONG));
	aligned = word_aligned(0, MIN(align, (size_t)BITS_PER_LONG), phase);
	for (wi = 0; wi < words; wi++) {
		size_t base = wi * BITS_PER_LONG;
		unsigned long w = map[wi];

		if (wi == words - 1 && nbits % BITS_PER_LONG)
			w &= word_mask(0, (unsigned)(nbits % BITS_PER_LONG));
		if (w == 0) {
			run = 0;
			continue;
		}
		if (run) {	/* set bits carried from the words before end in this one */
			size_t end = base + (~w ? word_ffs(~w) : BITS_PER_LONG);
			size_t from = base - run + phase, up = ALIGN_UP(from, align);

			if (up >= from && up - phase < end && n <= end - (up - phase))
				return up - phase;
		}
		if (n <= BITS_PER_LONG) {
			unsigned long starts = w;
			unsigned k;

#pragma GCC unroll 6
			for (k = 0; k < RUN_STEPS; k++)
				starts &= starts >> steps[k];
			starts &= align <= BITS_PER_LONG ? aligned : word_aligned(wi, align, phase);
			if (starts)
				return base + word_ffs(starts);
		}
		run = ~w ? BITS_PER_LONG - 1 - word_fls(~w) : run + BITS_PER_LONG;
	}
	return nbits;
}
