// SPDX-License-Identifier: MIT
/*
 * Heap poisoning shared by all heap algorithms (HEAP_ALGO_POISON): free space
 * holds the byte HEAP_POISON, written when a block is freed and checked when
 * it is handed out again, so a write through a stale pointer is caught at the
 * next allocation of that memory. Both helpers work a word at a time on the
 * aligned middle of the range and a byte at a time on its ragged ends.
 */
#include <lib/string.h>
#include <mm/heap_algo.h>
#include <mmlab/panic.h>

/* HEAP_POISON repeated in every byte of a machine word. */
#define POISON_WORD	((unsigned long)0x0101010101010101ULL * HEAP_POISON)

BUILD_BUG_ON(sizeof(unsigned long) != 8);

void heap_poison_fill(void *p, size_t n)
{
	memset(p, HEAP_POISON, n);
}

/* Report the first byte of [p, p + n) that is not HEAP_POISON; @n > 0. */
static __noreturn void poison_report(const char *who, const unsigned char *p, size_t n)
{
	while (n && *p == HEAP_POISON) {
		p++;
		n--;
	}
	panic("%s: write after free at 0x%lx", who, (unsigned long)(uintptr_t)p);
}

void heap_poison_check(const char *who, const void *p, size_t n)
{
	const unsigned char *b = p;
	const unsigned long *w;
	size_t head = (size_t)(-(uintptr_t)b & (sizeof(long) - 1));

	if (head > n)
		head = n;
	for (; head; head--, b++, n--)
		if (*b != HEAP_POISON)
			poison_report(who, b, 1);
	for (w = (const unsigned long *)b; n >= sizeof(long); w++, n -= sizeof(long))
		if (*w != POISON_WORD)
			poison_report(who, (const unsigned char *)w, sizeof(long));
	for (b = (const unsigned char *)w; n; b++, n--)
		if (*b != HEAP_POISON)
			poison_report(who, b, 1);
}
