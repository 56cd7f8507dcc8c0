/* SPDX-License-Identifier: MIT */
/*
 * In-place sort of an array of fixed-size elements, in the shape of Linux's
 * sort(): heapsort, so it needs no memory, never recurses and does the same
 * O(n log n) work whatever the input order. Pure code: built into the kernel
 * and into host tests.
 */
#ifndef LIB_SORT_H
#define LIB_SORT_H

#include <mmlab/compiler.h>

/* Negative, zero or positive as *@a sorts before, with or after *@b. */
typedef int (*sort_cmp_fn)(const void *a, const void *b);
/* Exchange the @size-byte elements at @a and @b. */
typedef void (*sort_swap_fn)(void *a, void *b, size_t size);

/*
 * sort - order the @num elements of @size bytes at @base ascending by @cmp.
 * @swap exchanges two elements; NULL swaps them byte by byte (a word at a
 * time when @size and @base are multiples of 8). Not stable.
 */
void sort(void *base, size_t num, size_t size, sort_cmp_fn cmp, sort_swap_fn swap);

#endif /* LIB_SORT_H */
