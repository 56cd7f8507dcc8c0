// SPDX-License-Identifier: MIT
/*
 * Host tests for lib/bitmap.c: every range of a three-word map (all starts
 * and lengths, so partial, whole and straddling words) on random contents,
 * against a bit-at-a-time oracle built on bitmap_test().
 */
#include <lib/bitops.h>
#include <lib/rand.h>
#include "host_test.h"

#define WORDS	3
#define NBITS	(WORDS * BITS_PER_LONG)

static void map_random(unsigned long *m, struct rand_state *r)
{
	size_t i;

	for (i = 0; i < WORDS; i++)
		m[i] = rand_next(r) & rand_next(r);	/* sparse, so runs of clear bits occur */
}

/* Oracle: is bit @i of @m inside [start, start + n)? */
static bool in_range(size_t i, size_t start, size_t n)
{
	return i >= start && i < start + n;
}

HOST_TEST(set_and_clear_ranges_touch_exactly_the_range)
{
	struct rand_state r;
	unsigned long m[WORDS], before[WORDS];
	size_t start, n, i;

	rand_seed(&r, 11);
	for (start = 0; start <= NBITS; start++) {
		for (n = 0; start + n <= NBITS; n++) {
			map_random(m, &r);
			memcpy(before, m, sizeof(m));
			bitmap_set_range(m, start, n);
			for (i = 0; i < NBITS; i++)
				CHECK_EQ(bitmap_test(m, i), in_range(i, start, n) || bitmap_test(before, i));
			memcpy(m, before, sizeof(m));
			bitmap_clear_range(m, start, n);
			for (i = 0; i < NBITS; i++)
				CHECK_EQ(bitmap_test(m, i), !in_range(i, start, n) && bitmap_test(before, i));
		}
	}
}

HOST_TEST(range_all_set_and_all_clear_agree_with_the_bits)
{
	struct rand_state r;
	unsigned long m[WORDS];
	size_t start, n, i;

	rand_seed(&r, 12);
	for (start = 0; start <= NBITS; start++) {
		for (n = 0; start + n <= NBITS; n++) {
			bool all_set = true, all_clear = true;

			map_random(m, &r);
			if (n && (rand_next(&r) & 1))
				bitmap_set_range(m, start, n);	/* make "all set" happen */
			else if (n && (rand_next(&r) & 1))
				bitmap_clear_range(m, start, n);
			for (i = start; i < start + n; i++) {
				all_set &= bitmap_test(m, i);
				all_clear &= !bitmap_test(m, i);
			}
			CHECK_EQ(bitmap_range_all_set(m, start, n), all_set);
			CHECK_EQ(bitmap_range_all_clear(m, start, n), all_clear);
		}
	}
}

HOST_TEST(next_set_and_next_clear_find_the_first)
{
	struct rand_state r;
	unsigned long m[WORDS];
	size_t start, end, i;

	rand_seed(&r, 13);
	for (start = 0; start <= NBITS; start++) {
		for (end = start; end <= NBITS; end++) {
			size_t set = end, clear = end;

			map_random(m, &r);
			for (i = end; i-- > start;) {
				if (bitmap_test(m, i))
					set = i;
				else
					clear = i;
			}
			CHECK_EQ(bitmap_next_set(m, start, end), set);
			CHECK_EQ(bitmap_next_clear(m, start, end), clear);
		}
	}
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
