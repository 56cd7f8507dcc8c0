// SPDX-License-Identifier: MIT
/*
 * Range operations on bitmaps, a word at a time. Pure code: built into the
 * kernel and into host tests.
 */
#include <lib/bitops.h>

/* Apply @set or clear to bits [start, start + n), one partial or whole word per step. */
static void bitmap_assign_range(unsigned long *map, size_t start, size_t n, bool set)
{
	while (n) {
		unsigned lo = start % BITS_PER_LONG;
		unsigned len = (unsigned)MIN((size_t)(BITS_PER_LONG - lo), n);
		unsigned long mask = word_mask(lo, len);

		if (set)
			map[start / BITS_PER_LONG] |= mask;
		else
			map[start / BITS_PER_LONG] &= ~mask;
		start += len;
		n -= len;
	}
}

void bitmap_set_range(unsigned long *map, size_t start, size_t n)
{
	bitmap_assign_range(map, start, n, true);
}

void bitmap_clear_range(unsigned long *map, size_t start, size_t n)
{
	bitmap_assign_range(map, start, n, false);
}

/* True when bits [start, start + n) all equal @set. */
static bool bitmap_range_is(const unsigned long *map, size_t start, size_t n, bool set)
{
	while (n) {
		unsigned lo = start % BITS_PER_LONG;
		unsigned len = (unsigned)MIN((size_t)(BITS_PER_LONG - lo), n);
		unsigned long mask = word_mask(lo, len);
		unsigned long w = map[start / BITS_PER_LONG] & mask;

		if (w != (set ? mask : 0))
			return false;
		start += len;
		n -= len;
	}
	return true;
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
