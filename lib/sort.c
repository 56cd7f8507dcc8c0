// SPDX-License-Identifier: MIT
/*
 * Heapsort (Williams 1964, Floyd's heap construction) behind sort(): build a
 * max-heap in place, then move its largest element behind the shrinking heap
 * until it is empty. O(n log n) compares in every case and no memory, which
 * is why it suits a kernel (and why Linux's lib/sort.c is one too).
 */
#include <lib/sort.h>

/* Swap @size bytes, a word at a time when everything is word aligned. */
static void elem_swap(void *a, void *b, size_t size)
{
	if (((uintptr_t)a | (uintptr_t)b | size) % sizeof(uint64_t) == 0) {
		uint64_t *x = a, *y = b;
		size_t i;

		for (i = 0; i < size / sizeof(uint64_t); i++) {
			uint64_t t = x[i];

			x[i] = y[i];
			y[i] = t;
		}
	} else {
		unsigned char *x = a, *y = b;
		size_t i;

		for (i = 0; i < size; i++) {
			unsigned char t = x[i];

			x[i] = y[i];
			y[i] = t;
		}
	}
}

/* Move element @i down the max-heap of the first @n elements until it is in place. */
static void heap_sift_down(char *base, size_t i, size_t n, size_t size,
			   sort_cmp_fn cmp, sort_swap_fn swap)
{
	for (;;) {
		size_t big = i, l = 2 * i + 1, r = l + 1;

		if (l < n && cmp(base + l * size, base + big * size) > 0)
			big = l;
		if (r < n && cmp(base + r * size, base + big * size) > 0)
			big = r;
		if (big == i)
			return;
		swap(base + i * size, base + big * size, size);
		i = big;
	}
}

void sort(void *base, size_t num, size_t size, sort_cmp_fn cmp, sort_swap_fn swap)
{
	char *a = base;
	size_t i;

	if (!swap)
		swap = elem_swap;
	for (i = num / 2; i-- > 0;)
		heap_sift_down(a, i, num, size, cmp, swap);
	for (i = num; i-- > 1;) {
		swap(a, a + i * size, size);
		heap_sift_down(a, 0, i, size, cmp, swap);
	}
}
