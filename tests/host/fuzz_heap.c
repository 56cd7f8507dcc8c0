// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for every registered heap algorithm. The input is a
 * sequence of 3-byte operations applied to a fresh 64 KiB heap of each
 * algorithm:
 *   byte 0, bit 0 = 0: alloc; bits 1-4: log2 of the alignment (capped at
 *                      4096); bytes 1-2: size - 1, little-endian
 *   byte 0, bit 0 = 1: free the live block number (bytes 1-2) mod live count
 * After every operation validate() must return 0; blocks must lie inside the
 * region, be aligned and keep their contents; frees of live blocks must
 * succeed and a second free of a just-freed block must be refused.
 * Bit 5 of byte 0 on the first operation turns on HEAP_ALGO_POISON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mm/heap_algo.h>

#define REGION_SIZE	(64 * 1024)
#define MAX_LIVE	1024

struct fuzz_block {
	unsigned char *p;
	size_t size;
	unsigned char fill;
};

static unsigned char region[REGION_SIZE] __attribute__((aligned(4096)));
static struct fuzz_block live[MAX_LIVE];

/* The kernel's panic() for this program: any panic is a finding. */
void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static __attribute__((noreturn)) void finding(const struct heap_algo *a, const char *what)
{
	fprintf(stderr, "fuzz_heap: %s: %s\n", a->name, what);
	abort();
}

static void fuzz_one(const struct heap_algo *a, const uint8_t *data, size_t size)
{
	unsigned flags = size && (data[0] & 0x20) ? HEAP_ALGO_POISON : 0;
	void *heap = a->init(region, REGION_SIZE, flags);
	size_t n = 0, i, j;

	if (!heap)
		finding(a, "init failed");
	for (i = 0; i + 3 <= size; i += 3) {
		unsigned arg = data[i + 1] | (unsigned)data[i + 2] << 8;

		if (!(data[i] & 1)) {
			size_t align = (size_t)1 << MIN((data[i] >> 1) & 15, 12);
			size_t sz = arg + 1;
			unsigned char *p = n < MAX_LIVE ? a->alloc(heap, sz, align, NULL) : NULL;

			if (p) {
				if (p < region || p + sz > region + REGION_SIZE)
					finding(a, "block outside the region");
				if ((uintptr_t)p & (align - 1))
					finding(a, "misaligned block");
				if (a->usable_size(heap, p) < sz)
					finding(a, "usable size too small");
				live[n].p = p;
				live[n].size = sz;
				live[n].fill = (unsigned char)(i * 7 + 1);
				memset(p, live[n].fill, sz);
				n++;
			}
		} else if (n) {
			size_t k = arg % n;
			struct fuzz_block b = live[k];

			for (j = 0; j < b.size; j++)
				if (b.p[j] != b.fill)
					finding(a, "block contents changed");
			if (a->free(heap, b.p, NULL) != HEAP_FREE_OK)
				finding(a, "free of a live block refused");
			if (a->free(heap, b.p, NULL) == HEAP_FREE_OK)
				finding(a, "double free accepted");
			n--;
			live[k] = live[n];
		}
		if (a->validate(heap, NULL) != 0)
			finding(a, "validate() != 0");
	}
	while (n) {
		n--;
		if (a->free(heap, live[n].p, NULL) != HEAP_FREE_OK)
			finding(a, "final free refused");
	}
	if (a->validate(heap, NULL) != 0)
		finding(a, "validate() != 0 at the end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct heap_algo *a;

	heap_algo_for_each(a)
		fuzz_one(a, data, size);
	return 0;
}
