/* SPDX-License-Identifier: MIT */
/*
 * The kernel heap: kmalloc() and friends, with Linux names and Linux-like
 * results, over one array of CONFIG_HEAP_SIZE bytes managed by whichever
 * heap algorithm Kconfig linked in (see <mm/heap_algo.h>). All calls may be
 * made from any hart; they serialise on one lock with interrupts off.
 *
 * Defined results:
 *  - every pointer is aligned to KMALLOC_MIN_ALIGN (16) bytes;
 *  - a request of 0 bytes returns ZERO_SIZE_PTR, which is not NULL, must
 *    not be dereferenced, and may be passed to kfree() and krealloc()
 *    (as in Linux); it takes nothing from the heap and is not counted;
 *  - a request that cannot be met (heap full, larger than the heap, a
 *    multiplication that overflows, a bad alignment) returns NULL, is
 *    counted in heap_stats.failures and changes nothing;
 *  - kfree() of anything that is not a live block is a bug and panics,
 *    naming the pointer: "kfree: 0x... is not in the heap", "kfree: 0x...
 *    is not the start of a block", "kfree: double free of 0x...". A double
 *    free is recognised while the block's memory has not been handed out
 *    again; after that it reads as "not the start of a block" at best.
 *
 * With CONFIG_DEBUG_HEAP freed memory is poisoned and checked when handed
 * out again ("<algorithm>: write after free at 0x..."), each block has guard
 * bytes before and after it that kfree() checks ("kfree: overrun after
 * block 0x..." / "before block"), and the whole heap is validated after every
 * call (a panic names the call, the problem count and the first problem).
 */
#ifndef MM_HEAP_H
#define MM_HEAP_H

#include <mmlab/compiler.h>
#include <mm/heap_algo.h>

#define KMALLOC_MIN_ALIGN	16UL	/* alignment of every kmalloc() pointer */
#define KMALLOC_MAX_ALIGN	4096UL	/* largest alignment kmalloc_aligned() gives */

/* What kmalloc(0) returns: a non-NULL pointer no one may dereference. */
#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(p)	((uintptr_t)(p) <= (uintptr_t)ZERO_SIZE_PTR)

/* A snapshot of the heap, filled by heap_stats(). Sizes are in bytes. */
struct heap_stats {
	size_t total;		/* size of the heap array */
	size_t meta;		/* kept by the algorithm for its own metadata */
	size_t used;		/* handed out: usable bytes (ksize) of live blocks */
	size_t reserved;	/* taken by live blocks: used plus all overhead */
	size_t free;		/* in free blocks; reserved + free + meta == total */
	size_t peak_used;	/* largest value "used" has had */
	size_t largest_free;	/* largest kmalloc() that would succeed now */
	unsigned long allocs;	/* successful allocations (krealloc moves count) */
	unsigned long frees;	/* successful frees; allocs - frees blocks are live */
	unsigned long failures;	/* requests answered with NULL */
};

/*
 * heap_init - set the heap up over its array with the one linked algorithm
 * and print "heap: <algo> <size> KiB at 0x..-0x.. (meta N bytes)". Called
 * once from mm_init(); panics if not exactly one algorithm is linked or the
 * algorithm refuses the array.
 */
void heap_init(void);

/*
 * kmalloc - allocate @size bytes aligned to KMALLOC_MIN_ALIGN.
 * Return: the block, owned by the caller until kfree(); ZERO_SIZE_PTR for
 * @size 0; NULL when the heap cannot supply it.
 */
void *kmalloc(size_t size);

/*
 * kzalloc - kmalloc() of zero-filled memory.
 * Return: as kmalloc().
 */
void *kzalloc(size_t size);

/*
 * kcalloc - a zero-filled array of @n elements of @size bytes.
 * Return: as kmalloc(); NULL when @n * @size overflows.
 */
void *kcalloc(size_t n, size_t size);

/*
 * kmalloc_aligned - allocate @size bytes at an address that is a multiple
 * of @align, a power of two up to KMALLOC_MAX_ALIGN (smaller values get
 * KMALLOC_MIN_ALIGN). Alignments above KMALLOC_MIN_ALIGN cost up to @align
 * extra bytes of heap. Free with kfree().
 * Return: as kmalloc(); NULL for any other @align.
 */
void *kmalloc_aligned(size_t size, size_t align);

/*
 * krealloc - resize the block @p to @size bytes, keeping its first
 * min(old size, @size) bytes. Done in place when the block's usable space
 * suffices (the alignment @p was allocated with is kept); otherwise moved
 * to a new block with the default alignment. @p NULL or ZERO_SIZE_PTR acts
 * as kmalloc(@size); @size 0 frees @p and returns NULL.
 * Return: the block, owned by the caller (@p is then no longer valid);
 * NULL when it cannot grow, in which case @p is untouched and still owned
 * by the caller. Panics as kfree() does when @p is not a live block.
 */
void *krealloc(void *p, size_t size);

/*
 * kfree - free a block from kmalloc() and friends. NULL and ZERO_SIZE_PTR
 * are ignored. Panics (see the top of this file) when @p is not a live block.
 */
void kfree(void *p);

/*
 * ksize - bytes the caller may use at the live block @p (at least what was
 * asked for; krealloc() up to this size stays in place). 0 for NULL and
 * ZERO_SIZE_PTR. Panics as kfree() does when @p is not a live block.
 */
size_t ksize(const void *p);

/* heap_stats - fill @out with a consistent snapshot of the heap. */
void heap_stats(struct heap_stats *out);

/*
 * heap_validate - check the algorithm's metadata and every live block (its
 * header, and its guard bytes with CONFIG_DEBUG_HEAP) against the counters.
 * Return: the number of problems found, 0 when the heap is consistent;
 * when it finds any, one line names how many and the first. It never
 * panics and never follows an unchecked pointer.
 */
unsigned heap_validate(void);

/*
 * heap_cache_drain - give the calling hart's per-hart magazines
 * (CONFIG_HEAP_PCPU_CACHE) back to the algorithm; nothing without them.
 * smp_call_all() of it empties every hart's. Blocks in magazines count as
 * reserved, not free, in heap_stats() until then.
 */
void heap_cache_drain(void);

/*
 * heap_walk - call @fn for every block of the heap in address order (offsets
 * from the start of the heap array), for heap maps. @fn runs with the heap
 * lock held and must not call into the heap.
 */
void heap_walk(heap_walk_fn fn, void *arg);

/*
 * heap_algo_active - the algorithm behind kmalloc(), so tests and tools can
 * build private instances of it. Panics unless exactly one is linked.
 */
const struct heap_algo *heap_algo_active(void);

#endif /* MM_HEAP_H */
