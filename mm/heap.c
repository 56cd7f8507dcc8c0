// SPDX-License-Identifier: MIT
/*
 * The kernel heap front end: kmalloc() and friends over one page-aligned
 * array in .bss, managed by the single heap algorithm linked in.
 *
 * Block layout. The front end asks the algorithm for a little more than the
 * caller wants and lays the block out as
 *
 *	[pad][header 16][front guard][payload (requested)][tail guard][slack]
 *	^block                       ^payload = block + offset
 *
 * The header records the requested size (for the "used" statistic and for
 * krealloc's copy), the offset back to the block start, and a tag: a kind (live, freed, pad) mixed with the
 * payload address, so a header copied elsewhere or left over from an older
 * block never passes as live. Guards are CONFIG_DEBUG_HEAP only (16 bytes
 * each, an address-derived pattern); without them the header sits right
 * before the payload. The offset is the prefix (header and front guard)
 * rounded up to the requested alignment, and the algorithm is asked for
 * that alignment, so payload alignment holds for every power of two up to
 * KMALLOC_MAX_ALIGN. When the offset exceeds the prefix, the first 16 bytes
 * of the pad hold a "pad" record, so a pointer into the pad is refused.
 *
 * kfree(p) trusts nothing it has not checked: p must lie in the array, be
 * 16-byte aligned and carry a live tag in the header before it. A freed
 * tag means a double free. Any other header (the algorithm may have reused
 * it for its free lists, or poisoned it) is settled by offering p - prefix
 * to the algorithm's free(), which tells a free block (double free) from a
 * non-block without changing anything; no live block can start there, as
 * every live block start holds a live or pad tag. Debug checks, statistics
 * and validation live in mm/heap_debug.c.
 */
#include <asm/csr.h>
#include <lib/string.h>
#include <mm/heap.h>
#include <mmlab/printk.h>
#include "heap_internal.h"

static unsigned char heap_area[CONFIG_HEAP_SIZE] __aligned(KMALLOC_MAX_ALIGN);

struct kheap kheap = { .lock = SPINLOCK_INIT(heap_lock) };

BUILD_BUG_ON(sizeof(struct block_hdr) != KMALLOC_MIN_ALIGN);
BUILD_BUG_ON(!IS_POWER_OF_2(BLOCK_PREFIX));
BUILD_BUG_ON((unsigned long long)CONFIG_HEAP_SIZE > UINT32_MAX);

/* ------------------------------------------------------------------ */
/* Locking                                                             */
/* ------------------------------------------------------------------ */

/* Take the heap lock with interrupts off; @who names the caller for panics. */
static unsigned long heap_lock(const char *who)
{
	unsigned long flags;

	if (unlikely(!kheap.inst))
		panic("%s: heap used before heap_init()", who);
	flags = irq_save();
	spin_lock(&kheap.lock);
	return flags;
}

/* Drop the heap lock and restore interrupts. */
static void heap_unlock(unsigned long flags)
{
	spin_unlock(&kheap.lock);
	irq_restore(flags);
}

/* ------------------------------------------------------------------ */
/* Blocks (lock held)                                                  */
/* ------------------------------------------------------------------ */

static inline void *block_start(const struct block_hdr *h, uintptr_t payload)
{
	return (void *)(payload - h->offset);
}

/* Bytes the caller may use at @payload: the block minus layout overhead. */
static size_t block_usable(const struct block_hdr *h, uintptr_t payload)
{
	return kheap.algo->usable_size(kheap.inst, block_start(h, payload)) -
	       h->offset - BLOCK_GUARD;
}

/*
 * Allocate @size bytes at @align (a power of two >= KMALLOC_MIN_ALIGN) and
 * lay the block out. Returns the payload, or NULL with nothing changed.
 */
static void *__block_alloc(size_t size, size_t align)
{
	size_t offset = MAX(BLOCK_PREFIX, align);
	struct block_hdr *h;
	uintptr_t block, payload;

	if (size > kheap.size)
		return NULL;	/* also keeps the sum below from wrapping */
	block = (uintptr_t)kheap.algo->alloc(kheap.inst, offset + size + BLOCK_GUARD, align);
	if (!block)
		return NULL;
	payload = block + offset;
	if (offset > BLOCK_PREFIX) {
		h = (struct block_hdr *)block;
		*h = (struct block_hdr){ .offset = offset,
					 .tag = hdr_tag(TAG_PAD, block + BLOCK_PREFIX) };
	}
	h = hdr_of(payload);
	h->requested = size;
	h->offset = offset;
	h->tag = hdr_tag(TAG_LIVE, payload);
	__guards_write(payload, size);

	kheap.used += size;
	kheap.peak_used = MAX(kheap.peak_used, kheap.used);
	kheap.allocs++;
	return (void *)payload;
}

/* Panic for @p, which @who was given and which is not a live block. */
static __noreturn void block_refuse(const char *who, uintptr_t p, enum heap_free_result r)
{
	if (r == HEAP_FREE_FOREIGN)
		panic("%s: 0x%lx is not in the heap", who, (unsigned long)p);
	if (r == HEAP_FREE_DOUBLE)
		panic("%s: double free of 0x%lx", who, (unsigned long)p);
	panic("%s: 0x%lx is not the start of a block", who, (unsigned long)p);
}

/*
 * The header of the live block at @p, after the checks described at the top
 * of this file; panics naming @who and @p when @p is not a live block.
 */
static struct block_hdr *__block_find(const void *p, const char *who)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)kheap.base;
	const struct block_hdr *h;
	enum heap_free_result r;

	if (a < base || a - base >= kheap.size)
		block_refuse(who, a, HEAP_FREE_FOREIGN);
	if (!IS_ALIGNED(a, KMALLOC_MIN_ALIGN) || a - base < BLOCK_PREFIX)
		block_refuse(who, a, HEAP_FREE_NOT_BLOCK);
	h = hdr_of(a);
	if (h->tag == hdr_tag(TAG_LIVE, a)) {
		if (!hdr_offset_sane(h, a))
			panic("%s: header of block 0x%lx is corrupt", who, (unsigned long)a);
		return (struct block_hdr *)h;
	}
	if (h->tag == hdr_tag(TAG_FREED, a))
		block_refuse(who, a, HEAP_FREE_DOUBLE);
	if (h->tag == hdr_tag(TAG_PAD, a))
		block_refuse(who, a, HEAP_FREE_NOT_BLOCK);
	r = kheap.algo->free(kheap.inst, (void *)(a - BLOCK_PREFIX));
	if (r == HEAP_FREE_OK)
		panic("%s: header of block 0x%lx was overwritten", who, (unsigned long)a);
	block_refuse(who, a, r == HEAP_FREE_DOUBLE ? r : HEAP_FREE_NOT_BLOCK);
}

/* Free the live block at @payload with header @h; @who names the caller. */
static void __block_free(struct block_hdr *h, uintptr_t payload, const char *who)
{
	enum heap_free_result r;

	__guards_check(payload, h, who);
	kheap.used -= h->requested;
	kheap.frees++;
	h->tag = hdr_tag(TAG_FREED, payload);
	r = kheap.algo->free(kheap.inst, block_start(h, payload));
	if (r != HEAP_FREE_OK)
		panic("%s: %s refused block 0x%lx of a live header (result %d)",
		      who, kheap.algo->name, (unsigned long)payload, (int)r);
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */
/* ------------------------------------------------------------------ */

/* The single entry of the heap_algos section; panics otherwise. */
static const struct heap_algo *algo_single(void)
{
	long n = __stop_heap_algos - __start_heap_algos;

	if (n != 1)
		panic("heap_init: %ld heap algorithms linked, need exactly one", n);
	return __start_heap_algos;
}

void heap_init(void)
{
	struct heap_algo_space space;
	unsigned flags = IS_ENABLED(CONFIG_DEBUG_HEAP) ? HEAP_ALGO_POISON : 0;

	kheap.algo = algo_single();
	kheap.base = heap_area;
	kheap.size = sizeof(heap_area);
	kheap.inst = kheap.algo->init(heap_area, sizeof(heap_area), flags);
	if (!kheap.inst)
		panic("heap_init: %s refused the %zu-byte heap at 0x%lx",
		      kheap.algo->name, sizeof(heap_area), (unsigned long)heap_area);
	kheap.algo->space(kheap.inst, &space);
	pr_info("heap: %s %zu KiB at 0x%lx-0x%lx (meta %zu bytes)\n", kheap.algo->name,
		sizeof(heap_area) / KiB, (unsigned long)heap_area,
		(unsigned long)(heap_area + sizeof(heap_area)), space.meta);
}

const struct heap_algo *heap_algo_active(void)
{
	return algo_single();
}

void *kmalloc_aligned(size_t size, size_t align)
{
	unsigned long flags;
	void *p;

	if (!size)
		return ZERO_SIZE_PTR;
	flags = heap_lock("kmalloc");
	p = NULL;
	if (IS_POWER_OF_2(align) && align <= KMALLOC_MAX_ALIGN)
		p = __block_alloc(size, MAX(align, KMALLOC_MIN_ALIGN));
	if (!p)
		kheap.failures++;
	__heap_check("kmalloc");
	heap_unlock(flags);
	return p;
}

void *kmalloc(size_t size)
{
	return kmalloc_aligned(size, KMALLOC_MIN_ALIGN);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (!ZERO_OR_NULL_PTR(p))
		memset(p, 0, size);
	return p;
}

void *kcalloc(size_t n, size_t size)
{
	unsigned long flags;
	size_t bytes;

	if (!__builtin_mul_overflow(n, size, &bytes))
		return kzalloc(bytes);
	flags = heap_lock("kcalloc");
	kheap.failures++;
	heap_unlock(flags);
	return NULL;
}

void kfree(void *p)
{
	unsigned long flags;

	if (ZERO_OR_NULL_PTR(p))
		return;
	flags = heap_lock("kfree");
	__block_free(__block_find(p, "kfree"), (uintptr_t)p, "kfree");
	__heap_check("kfree");
	heap_unlock(flags);
}

void *krealloc(void *p, size_t size)
{
	uintptr_t old = (uintptr_t)p;
	struct block_hdr *h;
	unsigned long flags;
	void *q;

	if (ZERO_OR_NULL_PTR(p))
		return kmalloc(size);
	if (!size) {
		kfree(p);
		return NULL;
	}
	flags = heap_lock("krealloc");
	h = __block_find(p, "krealloc");
	__guards_check(old, h, "krealloc");
	if (size <= block_usable(h, old)) {
		kheap.used = kheap.used - h->requested + size;
		kheap.peak_used = MAX(kheap.peak_used, kheap.used);
		h->requested = size;
		__guards_write(old, size);
		q = p;
	} else {
		q = __block_alloc(size, KMALLOC_MIN_ALIGN);
		if (q) {
			memcpy(q, p, h->requested);
			__block_free(h, old, "krealloc");
		} else {
			kheap.failures++;
		}
	}
	__heap_check("krealloc");
	heap_unlock(flags);
	return q;
}

size_t ksize(const void *p)
{
	unsigned long flags;
	size_t n;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	flags = heap_lock("ksize");
	n = block_usable(__block_find(p, "ksize"), (uintptr_t)p);
	heap_unlock(flags);
	return n;
}

void heap_stats(struct heap_stats *out)
{
	struct heap_algo_space space;
	unsigned long flags = heap_lock("heap_stats");

	kheap.algo->space(kheap.inst, &space);
	out->total = kheap.size;
	out->meta = space.meta;
	out->used = kheap.used;
	out->reserved = kheap.size - space.meta - space.free;	/* walk() tiles the region */
	out->free = space.free;
	out->peak_used = kheap.peak_used;
	out->largest_free = space.largest_free > BLOCK_PREFIX + BLOCK_GUARD ?
			    space.largest_free - BLOCK_PREFIX - BLOCK_GUARD : 0;
	out->allocs = kheap.allocs;
	out->frees = kheap.frees;
	out->failures = kheap.failures;
	heap_unlock(flags);
}

unsigned heap_validate(void)
{
	unsigned long flags = heap_lock("heap_validate");
	unsigned n = __heap_validate(NULL, 0);

	heap_unlock(flags);
	return n;
}

void heap_walk(heap_walk_fn fn, void *arg)
{
	unsigned long flags = heap_lock("heap_walk");

	kheap.algo->walk(kheap.inst, fn, arg);
	heap_unlock(flags);
}
