// SPDX-License-Identifier: MIT
/*
 * Host tests for lib/sort.c: every length up to a few hundred, random,
 * sorted, reversed and all-equal inputs, element sizes that take the word
 * and the byte swap and a caller's swap; the result must be ordered and a
 * permutation of the input (compared with the C library's qsort).
 */
#include <stdlib.h>
#include <lib/rand.h>
#include <lib/sort.h>
#include "host_test.h"

struct triple {
	uint8_t key, pad[2];	/* 3 bytes: the byte-at-a-time swap */
};

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int triple_cmp(const void *a, const void *b)
{
	return ((const struct triple *)a)->key - ((const struct triple *)b)->key;
}

static unsigned swaps;

static void u64_swap_counted(void *a, void *b, size_t size)
{
	uint64_t t = *(uint64_t *)a;

	(void)size;
	*(uint64_t *)a = *(uint64_t *)b;
	*(uint64_t *)b = t;
	swaps++;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Fill @a with @n values of shape @kind: 0 random, 1 sorted, 2 reversed, 3 equal. */
static void u32_fill(uint32_t *a, size_t n, unsigned kind, struct rand_state *r)
{
	size_t i;

	for (i = 0; i < n; i++)
		a[i] = kind == 0 ? (uint32_t)rand_next(r) % 97 : kind == 1 ? (uint32_t)i :
		       kind == 2 ? (uint32_t)(n - i) : 7;
}

HOST_TEST(sort_matches_qsort_for_every_shape_and_length)
{
	struct rand_state r;
	uint32_t a[300], b[300];
	size_t n;
	unsigned kind;

	rand_seed(&r, 3);
	for (n = 0; n <= 300; n++) {
		for (kind = 0; kind < 4; kind++) {
			u32_fill(a, n, kind, &r);
			memcpy(b, a, sizeof(a));
			sort(a, n, sizeof(a[0]), u32_cmp, NULL);
			qsort(b, n, sizeof(b[0]), u32_cmp);
			CHECK(memcmp(a, b, n * sizeof(a[0])) == 0);
		}
	}
}

HOST_TEST(sort_odd_sized_elements_swap_bytewise)
{
	struct rand_state r;
	struct triple t[101];
	size_t i;

	rand_seed(&r, 5);
	for (i = 0; i < ARRAY_SIZE(t); i++)
		t[i] = (struct triple){ .key = (uint8_t)rand_next(&r),
					.pad = { (uint8_t)i, 0xa5 } };
	sort(t, ARRAY_SIZE(t), sizeof(t[0]), triple_cmp, NULL);
	for (i = 1; i < ARRAY_SIZE(t); i++)
		CHECK(t[i - 1].key <= t[i].key);
	for (i = 0; i < ARRAY_SIZE(t); i++)
		CHECK_EQ(t[i].pad[1], 0xa5);	/* elements moved whole */
}

HOST_TEST(sort_uses_the_callers_swap)
{
	uint64_t v[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++)
		v[i] = (i * 37) % 64;
	swaps = 0;
	sort(v, ARRAY_SIZE(v), sizeof(v[0]), u64_cmp, u64_swap_counted);
	CHECK(swaps > 0);
	for (i = 0; i < ARRAY_SIZE(v); i++)
		CHECK_EQ(v[i], i);
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
