// SPDX-License-Identifier: MIT
/*
 * Memory and string primitives for the kernel (prototypes in lib/string.h).
 * Host builds use the C library's instead and do not compile this file into
 * test programs; tests/host/string_test.c includes it under other names to
 * check it against the C library.
 *
 * Design: memset, memcpy and memmove work a machine word at a time once the
 * destination (and, for copies, the source) is word aligned, four words per
 * iteration, with byte loops for the unaligned head and the tail. Copies
 * whose source and destination disagree in alignment go byte by byte: RISC-V
 * may trap or be slow on misaligned word accesses. The string functions are
 * plain byte loops: a word-at-a-time strlen would read past the terminator,
 * which is harmless in the kernel but not something a sanitizer accepts.
 *
 * Recursion hazard: gcc recognises byte loops as memset/memcpy patterns and
 * replaces them with calls to those very functions, so every function here
 * is built with that transformation switched off (NO_LIBCALL).
 */
#include <stdint.h>
#include <mmlab/compiler.h>
#include <lib/string.h>

/* ------------------------------------------------------------------------
 * Words
 * ------------------------------------------------------------------------ */

#ifdef __clang__
#define NO_LIBCALL	/* clang has no such pattern rewriting of these loops */
#else
#define NO_LIBCALL	__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif

/* A word that may alias any object, so word accesses to bytes are defined. */
typedef unsigned long __attribute__((may_alias)) word_t;

#define WORD_SIZE	sizeof(word_t)
#define BLOCK_SIZE	(4 * WORD_SIZE)

BUILD_BUG_ON(!IS_POWER_OF_2(sizeof(word_t)));
BUILD_BUG_ON(sizeof(word_t) != sizeof(uintptr_t));

static inline bool ptr_word_aligned(const void *p)
{
	return IS_ALIGNED((uintptr_t)p, WORD_SIZE);
}

/* True when @a and @b can reach word alignment together. */
static inline bool ptrs_coaligned(const void *a, const void *b)
{
	return IS_ALIGNED((uintptr_t)a ^ (uintptr_t)b, WORD_SIZE);
}

/* ------------------------------------------------------------------------
 * Copy helpers
 * ------------------------------------------------------------------------ */

/* Copies @n bytes from low to high addresses; safe when @d <= @s. */
static NO_LIBCALL void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
	if (ptrs_coaligned(d, s)) {
		while (n > 0 && !ptr_word_aligned(d)) {
			*d++ = *s++;
			n--;
		}
		for (; n >= BLOCK_SIZE; n -= BLOCK_SIZE) {
			word_t w0 = ((const word_t *)s)[0], w1 = ((const word_t *)s)[1];
			word_t w2 = ((const word_t *)s)[2], w3 = ((const word_t *)s)[3];

			((word_t *)d)[0] = w0;
			((word_t *)d)[1] = w1;
			((word_t *)d)[2] = w2;
			((word_t *)d)[3] = w3;
			d += BLOCK_SIZE;
			s += BLOCK_SIZE;
		}
		for (; n >= WORD_SIZE; n -= WORD_SIZE) {
			*(word_t *)d = *(const word_t *)s;
			d += WORD_SIZE;
			s += WORD_SIZE;
		}
	}
	while (n-- > 0)
		*d++ = *s++;
}

/* Copies @n bytes from high to low addresses; safe when @d >= @s. */
static NO_LIBCALL void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
	d += n;
	s += n;
	if (ptrs_coaligned(d, s)) {
		while (n > 0 && !ptr_word_aligned(d)) {
			*--d = *--s;
			n--;
		}
		for (; n >= BLOCK_SIZE; n -= BLOCK_SIZE) {
			word_t w3, w2, w1, w0;

			d -= BLOCK_SIZE;
			s -= BLOCK_SIZE;
			w3 = ((const word_t *)s)[3];
			w2 = ((const word_t *)s)[2];
			w1 = ((const word_t *)s)[1];
			w0 = ((const word_t *)s)[0];
			((word_t *)d)[3] = w3;
			((word_t *)d)[2] = w2;
			((word_t *)d)[1] = w1;
			((word_t *)d)[0] = w0;
		}
		for (; n >= WORD_SIZE; n -= WORD_SIZE) {
			d -= WORD_SIZE;
			s -= WORD_SIZE;
			*(word_t *)d = *(const word_t *)s;
		}
	}
	while (n-- > 0)
		*--d = *--s;
}

/* ------------------------------------------------------------------------
 * Memory functions
 * ------------------------------------------------------------------------ */

/* memset - fill @n bytes at @dst with the byte @c. Return: @dst. */
NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	word_t fill = (unsigned char)c * (~(word_t)0 / 0xff);

	while (n > 0 && !ptr_word_aligned(d)) {
		*d++ = (unsigned char)c;
		n--;
	}
	for (; n >= BLOCK_SIZE; n -= BLOCK_SIZE) {
		((word_t *)d)[0] = fill;
		((word_t *)d)[1] = fill;
		((word_t *)d)[2] = fill;
		((word_t *)d)[3] = fill;
		d += BLOCK_SIZE;
	}
	for (; n >= WORD_SIZE; n -= WORD_SIZE) {
		*(word_t *)d = fill;
		d += WORD_SIZE;
	}
	while (n-- > 0)
		*d++ = (unsigned char)c;
	return dst;
}

/* memcpy - copy @n bytes; the areas must not overlap. Return: @dst. */
NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
	copy_forward(dst, src, n);
	return dst;
}

/* memmove - copy @n bytes; the areas may overlap. Return: @dst. */
NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
	if ((uintptr_t)dst <= (uintptr_t)src ||
	    (uintptr_t)dst - (uintptr_t)src >= n)
		copy_forward(dst, src, n);
	else
		copy_backward(dst, src, n);
	return dst;
}

/*
 * memcmp - compare @n bytes as unsigned chars.
 * Return: <0, 0 or >0 as @a sorts before, equal to or after @b.
 */
NO_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n > 0; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

/* ------------------------------------------------------------------------
 * String functions
 * ------------------------------------------------------------------------ */

/* strlen - Return: the number of bytes before the NUL of @s. */
NO_LIBCALL size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

/* strnlen - Return: strlen(@s), but at most @max; reads at most @max bytes. */
NO_LIBCALL size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* strcmp - Return: <0, 0 or >0 comparing @a and @b as unsigned chars. */
NO_LIBCALL int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return *x - *y;
}

/* strncmp - strcmp() of at most the first @n bytes. Return: as strcmp(). */
NO_LIBCALL int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (; n > 0; n--, x++, y++) {
		if (*x != *y)
			return *x - *y;
		if (*x == '\0')
			return 0;
	}
	return 0;
}

/*
 * strchr - find the first @c (converted to char) in @s; searching for '\0'
 * finds the terminator. Return: a pointer into @s, or NULL when absent.
 */
NO_LIBCALL char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}
