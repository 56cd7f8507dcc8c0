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
