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
				CHECK_EQ(bitmap_test(m, i),
					 in_range(i, start, n) || bitmap_test(before, i));
			memcpy(m, before, sizeof(m));
			bitmap_clear_range(m, start, n);
			for (i = 0; i < NBITS; i++)
				CHECK_EQ(bitmap_test(m, i),
					 !in_range(i, start, n) && bitmap_test(before, i));
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

/* Oracle for bitmap_find_run: try every start. */
static size_t find_run_slowly(const unsigned long *m, size_t nbits, size_t n, size_t align,
			      size_t phase)
{
	size_t s, i;

	for (s = 0; n && s + n <= nbits; s++) {
		if ((s + phase) % align)
			continue;
		for (i = s; i < s + n && bitmap_test(m, i); i++)
			;
		if (i == s + n)
			return s;
	}
	return nbits;
}

HOST_TEST(find_run_is_the_lowest_aligned_run)
{
	enum { MAX_WORDS = 12 };
	static const size_t aligns[] = { 1, 2, 4, 8, 32, 64, 128, 512 };
	struct rand_state r;
	unsigned long m[MAX_WORDS];
	unsigned trial;

	rand_seed(&r, 14);
	for (trial = 0; trial < 20000; trial++) {
		size_t nbits = 1 + rand_next(&r) % (MAX_WORDS * BITS_PER_LONG);
		size_t n = 1 + rand_next(&r) % (trial % 3 ? 40 : 300);
		size_t align = aligns[rand_next(&r) % ARRAY_SIZE(aligns)];
		size_t phase = rand_next(&r) % 1024, i;
		unsigned density = (unsigned)(rand_next(&r) % 4);

		for (i = 0; i < MAX_WORDS; i++) {
			unsigned long w = rand_next(&r);

			m[i] = density == 0 ? w : density == 1 ? w | rand_next(&r) :
			       density == 2 ? w | rand_next(&r) | rand_next(&r) : ~0UL;
		}
		if (rand_next(&r) % 4 == 0)
			m[rand_next(&r) % MAX_WORDS] = 0;
		CHECK_EQ(bitmap_find_run(m, nbits, n, align, phase),
			 find_run_slowly(m, nbits, n, align, phase));
	}
	CHECK_EQ(bitmap_find_run(m, 64, 0, 1, 0), 64);
	CHECK_EQ(bitmap_find_run(m, 64, 65, 1, 0), 64);
	CHECK_EQ(bitmap_find_run(m, 64, 1, 3, 0), 64);
	m[0] = m[1] = ~0UL;	/* alignments past 2^63 wrap around: never a fit */
	CHECK_EQ(bitmap_find_run(m, 128, 8, 1ULL << 63, 5), 128);
	CHECK_EQ(bitmap_find_run(m, 128, 8, 1ULL << 63, 0), 0);
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
