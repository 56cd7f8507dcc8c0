// SPDX-License-Identifier: MIT
/*
 * The kernel heap front end: kmalloc() and friends over one page-aligned
 * array in .bss, managed by the single heap algorithm linked in.
 *
 * Plain builds add nothing to a block: the pointer kmalloc() returns is the
 * algorithm's own block, aligned by the algorithm itself, so the front end
 * costs a lock and a few counters and the heap's space figures are the
 * algorithm's. The counters follow usable bytes (what ksize() reports),
 * which the algorithm's alloc() and free() hand back, since no header
 * remembers the size asked for.
 *
 * kfree(p) trusts nothing it has not checked: the algorithm's free() either
 * releases a live block or names the reason it refused p (not in the heap,
 * not a block start, already free) without changing anything, so the panic
 * says exactly what was wrong with p. ksize() and krealloc() ask
 * usable_size(), which answers 0 for anything but a live block.
 *
 * With CONFIG_DEBUG_HEAP, mm/heap/debug.c lays each block out with a header
 * and guards around the payload, and the heap is validated after every call.
 */
#include <lib/string.h>
#include <mm/heap.h>
#include <mmlab/printk.h>
#include "internal.h"

static unsigned char heap_area[CONFIG_HEAP_SIZE] __aligned(KMALLOC_MAX_ALIGN);

struct kheap kheap = { .lock = SPINLOCK_INIT(heap_lock) };

BUILD_BUG_ON((unsigned long long)CONFIG_HEAP_SIZE > UINT32_MAX);
/* kmalloc() asks the algorithm for the alignment its largest_free is measured at. */
BUILD_BUG_ON(KMALLOC_MIN_ALIGN != HEAP_ALGO_SPACE_ALIGN);

/* ------------------------------------------------------------------ */
/* Locking                                                             */
/* ------------------------------------------------------------------ */

/*
 * Take the heap lock; @who names the caller for panics. Interrupts stay on:
 * no trap handler allocates, and one that tried while the lock is held
 * would end in the spinlock's "recursive acquire of heap_lock" panic rather
 * than a deadlock.
 */
static __always_inline void heap_lock(const char *who)
{
	if (unlikely(!kheap.inst))
		panic("%s: heap used before heap_init()", who);
	spin_lock(&kheap.lock);
}

/* Drop the heap lock. */
static __always_inline void heap_unlock(void)
{
	spin_unlock(&kheap.lock);
}

/* ------------------------------------------------------------------ */
/* Blocks (lock held)                                                  */
/* ------------------------------------------------------------------ */

void heap_refuse(const char *who, const void *p, enum heap_free_result r)
{
	unsigned long a = (unsigned long)p;

	if (r == HEAP_FREE_FOREIGN)
		panic("%s: 0x%lx is not in the heap", who, a);
	if (r == HEAP_FREE_DOUBLE)
		panic("%s: double free of 0x%lx", who, a);
	if (r == HEAP_FREE_NOT_BLOCK)
		panic("%s: 0x%lx is not the start of a block", who, a);
	panic("%s: %s freed 0x%lx, which usable_size() did not know", who,
	      kheap.algo->name, a);
}

/*
 * Usable bytes of the live block @p that @who was given; panics naming the
 * problem when @p is not one.
 */
static __always_inline size_t __block_usable(const void *p, const char *who)
{
	size_t n;

	if (IS_ENABLED(CONFIG_DEBUG_HEAP))
		return __debug_usable(p, who);
	n = kheap.algo->usable_size(kheap.inst, (void *)p);
	if (unlikely(!n))
		heap_refuse(who, p, kheap.algo->free(kheap.inst, (void *)p, NULL));
	return n;
}

/*
 * Allocate @size bytes at @align (a power of two, KMALLOC_MIN_ALIGN up to
 * KMALLOC_MAX_ALIGN). Returns the block, or NULL with nothing changed.
 */
static __always_inline void *__block_alloc(size_t size, size_t align)
{
	size_t usable;
	void *p;

	if (unlikely(size > kheap.size))
		return NULL;
	if (IS_ENABLED(CONFIG_DEBUG_HEAP))
		p = __debug_alloc(size, align, &usable);
	else
		p = kheap.algo->alloc(kheap.inst, size, align, &usable);
	if (unlikely(!p))
		return NULL;
	kheap.used += usable;
	if (kheap.used > kheap.peak_used)
		kheap.peak_used = kheap.used;
	kheap.allocs++;
	return p;
}

/* Free the live block @p, which @who was given; panics naming what is wrong with @p. */
static __always_inline void __block_free(void *p, const char *who)
{
	enum heap_free_result r;
	size_t usable;

	if (IS_ENABLED(CONFIG_DEBUG_HEAP)) {
		r = kheap.algo->free(kheap.inst, __debug_release(p, who, &usable), NULL);
	} else {
		r = kheap.algo->free(kheap.inst, p, &usable);
	}
	if (unlikely(r != HEAP_FREE_OK))
		heap_refuse(who, p, r);
	kheap.used -= usable;
	kheap.frees++;
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

/* kmalloc_aligned() and kmalloc() share this body, inlined into both. */
static __always_inline void *heap_alloc(size_t size, size_t align)
{
	void *p;

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	heap_lock("kmalloc");
	p = NULL;
	if (likely(IS_POWER_OF_2(align) && align <= KMALLOC_MAX_ALIGN))
		p = __block_alloc(size, MAX(align, KMALLOC_MIN_ALIGN));
	if (unlikely(!p))
		kheap.failures++;
	__heap_check("kmalloc");
	heap_unlock();
	return p;
}

void *kmalloc_aligned(size_t size, size_t align)
{
	return heap_alloc(size, align);
}

void *kmalloc(size_t size)
{
	return heap_alloc(size, KMALLOC_MIN_ALIGN);
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
	size_t bytes;

	if (!__builtin_mul_overflow(n, size, &bytes))
		return kzalloc(bytes);
	heap_lock("kcalloc");
	kheap.failures++;
	heap_unlock();
	return NULL;
}

void kfree(void *p)
{

	if (ZERO_OR_NULL_PTR(p))
		return;
	heap_lock("kfree");
	__block_free(p, "kfree");
	__heap_check("kfree");
	heap_unlock();
}

void *krealloc(void *p, size_t size)
{
	size_t old;
	void *q;

	if (ZERO_OR_NULL_PTR(p))
		return kmalloc(size);
	if (!size) {
		kfree(p);
		return NULL;
	}
	heap_lock("krealloc");
	old = __block_usable(p, "krealloc");
	if (size <= old) {
		q = p;		/* the block already holds @size bytes */
		if (IS_ENABLED(CONFIG_DEBUG_HEAP))
			__debug_resize(p, size);
	} else {
		q = __block_alloc(size, KMALLOC_MIN_ALIGN);
		if (q) {
			memcpy(q, p, MIN(old, size));
			__block_free(p, "krealloc");
		} else {
			kheap.failures++;
		}
	}
	__heap_check("krealloc");
	heap_unlock();
	return q;
}

size_t ksize(const void *p)
{
	size_t n;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	heap_lock("ksize");
	n = __block_usable(p, "ksize");
	heap_unlock();
	return n;
}

void heap_stats(struct heap_stats *out)
{
	struct heap_algo_space space;

	heap_lock("heap_stats");
	kheap.algo->space(kheap.inst, &space);
	out->total = kheap.size;
	out->meta = space.meta;
	out->used = kheap.used;
	out->reserved = kheap.size - space.meta - space.free;	/* walk() tiles the region */
	out->free = space.free;
	out->peak_used = kheap.peak_used;
	/* kmalloc(n) asks for n + HEAP_DEBUG_OVERHEAD bytes at 16: exact too */
	out->largest_free = space.largest_free > HEAP_DEBUG_OVERHEAD ?
			    space.largest_free - HEAP_DEBUG_OVERHEAD : 0;
	out->allocs = kheap.allocs;
	out->frees = kheap.frees;
	out->failures = kheap.failures;
	heap_unlock();
}

unsigned heap_validate(void)
{
	unsigned n;

	heap_lock("heap_validate");
	n = __heap_validate(NULL, 0);
	heap_unlock();
	return n;
}

void heap_walk(heap_walk_fn fn, void *arg)
{
	heap_lock("heap_walk");
	kheap.algo->walk(kheap.inst, fn, arg);
	heap_unlock();
}
