// SPDX-License-Identifier: MIT
/*
 * The kernel heap front end: kmalloc() and friends over one page-aligned
 * array in .bss, managed by the single heap algorithm linked in.
 *
 * The kernel links exactly one algorithm, chosen in Kconfig, and this file
 * compiles it: mm/heap/Makefile names its source (HEAP_ALGO_SOURCE) and its
 * ops table (HEAP_ALGO_OPS, heap_algo_<file name>), included below. The
 * table is then a constant the compiler can see through, so every call to
 * the algorithm is direct and the algorithm's inline fast paths (a cache
 * hit, say) are inlined into kmalloc() and kfree(); host tests and tools
 * build the same source on its own. The front end adds a lock, a few
 * counters and, when the fast path misses, one call.
 *
 * Plain builds add nothing to a block: the pointer kmalloc() returns is the
 * algorithm's own block, aligned by the algorithm itself, and the heap's
 * space figures are the algorithm's. The counters follow usable bytes
 * (what ksize() reports), which the algorithm's alloc() and free() hand
 * back, since no header remembers the size asked for.
 *
 * kfree(p) trusts nothing it has not checked: the algorithm's free() either
 * releases a live block or names the reason it refused p (not in the heap,
 * not a block start, already free) without changing anything, so the panic
 * says exactly what was wrong with p. ksize() and krealloc() ask
 * usable_size(), which answers 0 for anything but a live block.
 *
 * With CONFIG_DEBUG_HEAP every block goes through the layout of
 * mm/heap/debug.c (header and guards around the payload), which answers
 * with refusals too, and the heap is validated after every call. All the
 * panics are here.
 *
 * With CONFIG_HEAP_PCPU_CACHE, small requests at the default alignment go
 * to the per-hart magazines of mm/heap/pcpu_cache.c first; they take and
 * give back blocks in batches through heap_cache_take()/heap_cache_give()
 * below, which count them (the cache_* counters) so that validation stays
 * exact.
 */
#include <lib/string.h>
#include <mm/heap.h>
#include <mmlab/printk.h>
#include <mmlab/spinlock.h>
#include "internal.h"

#include HEAP_ALGO_SOURCE

/* The linked algorithm, visible to the compiler down to its functions. */
static const struct heap_algo *const heap_linked = &HEAP_ALGO_OPS;

/*
 * An algorithm may offer its alloc() and free() in two halves (see the end
 * of buddy.c): an inline try that serves a request without calling
 * anything, or fails with nothing changed and leaves a hint (~0: nothing
 * known), and an out-of-line miss that finishes the call given the hint.
 * The fast paths below then need no stack frame. Algorithms without them,
 * and debug builds, use the whole op as the miss.
 */
#define HEAP_HINT_NONE	(~0UL)
#if !defined(HEAP_ALGO_TRY_ALLOC) || IS_ENABLED(CONFIG_DEBUG_HEAP)
#undef HEAP_ALGO_TRY_ALLOC
#undef HEAP_ALGO_ALLOC_MISS
#undef HEAP_ALGO_TRY_FREE
#undef HEAP_ALGO_FREE_MISS
#define HEAP_ALGO_TRY_ALLOC(heap, size, align, usable, hint)	NULL
#define HEAP_ALGO_ALLOC_MISS(heap, size, align, hint, usable) \
	heap_linked->alloc(heap, size, align, usable)
#define HEAP_ALGO_TRY_FREE(heap, ptr, usable, hint)	false
#define HEAP_ALGO_FREE_MISS(heap, ptr, hint, usable) \
	heap_linked->free(heap, ptr, usable)
#endif

static unsigned char heap_area[CONFIG_HEAP_SIZE] __aligned(KMALLOC_MAX_ALIGN);

/* The global heap: the algorithm instance, its lock and the counters. */
static struct kheap {
	struct spinlock lock;
	void *inst;			/* NULL until heap_init() */
	size_t size;			/* 0 until heap_init(): every request is too large */
	size_t used, peak_used;		/* usable bytes of live blocks */
	unsigned long allocs, frees, failures;
	unsigned long cache_blocks;	/* blocks the magazines took from the algorithm */
	size_t cache_usable;		/* their usable bytes (the algorithm's figure) */
	struct heap_debug view;		/* the instance, for debug.c */
} kheap = { .lock = SPINLOCK_INIT(heap_lock) };
LOCK_STAT_REGISTER(heap_lock, &kheap.lock);

BUILD_BUG_ON((unsigned long long)CONFIG_HEAP_SIZE > UINT32_MAX);
/* kmalloc() asks the algorithm for the alignment its largest_free is measured at. */
BUILD_BUG_ON(KMALLOC_MIN_ALIGN != HEAP_ALGO_SPACE_ALIGN);

/* ------------------------------------------------------------------ */
/* Locking and refusals                                                */
/* ------------------------------------------------------------------ */

/*
 * Take the heap lock. Interrupts stay on: no trap handler allocates, and
 * one that tried while the lock is held would end in the spinlock's
 * "recursive acquire of heap_lock" panic rather than a deadlock.
 */
static __always_inline void heap_lock(void)
{
	spin_lock(&kheap.lock);
}

/* Drop the heap lock. */
static __always_inline void heap_unlock(void)
{
	spin_unlock(&kheap.lock);
}

/* Panic naming @who when the heap is not set up yet. */
static __always_inline void heap_ready_check(const char *who)
{
	if (unlikely(!kheap.inst))
		panic("%s: heap used before heap_init()", who);
}

/* Panic for @p, which @who was given and which was refused with @r. */
static __noreturn __attribute__((noinline)) void heap_refuse(const char *who, const void *p,
							      enum heap_refusal r)
{
	/* What is said before and after the address, per refusal. */
	static const char *const what[][2] = {
		[HEAP_REFUSED_FOREIGN] = { "", " is not in the heap" },
		[HEAP_REFUSED_NOT_BLOCK] = { "", " is not the start of a block" },
		[HEAP_REFUSED_DOUBLE] = { "double free of ", "" },
		[HEAP_REFUSED_HDR_CORRUPT] = { "header of block ", " is corrupt" },
		[HEAP_REFUSED_HDR_OVERWRITTEN] = { "header of block ", " was overwritten" },
		[HEAP_REFUSED_OVERRUN_BEFORE] = { "overrun before block ", "" },
	};
	unsigned long a = (unsigned long)p;

	if (r == HEAP_REFUSED_OVERRUN_AFTER)
		panic("%s: overrun after block 0x%lx (%zu bytes)", who, a,
		      heap_debug_requested(&kheap.view, p));
	if ((size_t)r < ARRAY_SIZE(what) && what[r][0])
		panic("%s: %s0x%lx%s", who, what[r][0], a, what[r][1]);
	panic("%s: %s freed 0x%lx, which usable_size() did not know", who, heap_linked->name, a);
}

/* ------------------------------------------------------------------ */
/* Blocks (lock held)                                                  */
/* ------------------------------------------------------------------ */

/*
 * Usable bytes of the live block @p that @who was given (what ksize()
 * reports); panics naming the problem when @p is not one.
 */
static size_t __block_usable(const void *p, const char *who)
{
	enum heap_refusal r;
	size_t n;

	heap_ready_check(who);
	if (IS_ENABLED(CONFIG_DEBUG_HEAP)) {
		r = heap_debug_check(&kheap.view, p, &n);
		if (r != HEAP_REFUSED_NONE)
			heap_refuse(who, p, r);
		return n;
	}
	n = heap_linked->usable_size(kheap.inst, (void *)p);
	if (unlikely(!n))
		heap_refuse(who, p,
			    (enum heap_refusal)heap_linked->free(kheap.inst, (void *)p, NULL));
	return n;
}

/* Bytes the live, checked block @p can hold in place (ksize in plain builds). */
static size_t __block_capacity(const void *p, size_t usable)
{
	if (IS_ENABLED(CONFIG_DEBUG_HEAP))
		return heap_debug_capacity(&kheap.view, p);
	return usable;
}

/* Count a block of @usable bytes just handed out. */
static __always_inline void __block_count(size_t usable)
{
	kheap.used += usable;
	if (kheap.used > kheap.peak_used)
		kheap.peak_used = kheap.used;
	kheap.allocs++;
}

/* Count a block of @usable bytes just freed. */
static __always_inline void __block_uncount(size_t usable)
{
	kheap.used -= usable;
	kheap.frees++;
}

/*
 * Allocate @size bytes (<= kheap.size) at @align (a power of two,
 * KMALLOC_MIN_ALIGN up to KMALLOC_MAX_ALIGN) and count it; @hint is what a
 * failed inline try left. Returns the block, or NULL (counted as a
 * failure) with nothing changed.
 */
static __always_inline void *__block_alloc(size_t size, size_t align, unsigned long hint)
{
	size_t usable;
	void *p;

	(void)hint;
	if (IS_ENABLED(CONFIG_DEBUG_HEAP))
		p = heap_debug_alloc(&kheap.view, size, align, &usable);
	else
		p = HEAP_ALGO_ALLOC_MISS(kheap.inst, size, align, hint, &usable);
	if (unlikely(!p)) {
		kheap.failures++;
		return NULL;
	}
	__block_count(usable);
	return p;
}

/*
 * Free the live block @p, which @who was given (@hint as for
 * __block_alloc()); panics naming what is wrong with @p.
 */
static __always_inline void __block_free(void *p, const char *who, unsigned long hint)
{
	enum heap_refusal r;
	size_t usable;

	(void)hint;
	if (IS_ENABLED(CONFIG_DEBUG_HEAP))
		r = heap_debug_free(&kheap.view, p, &usable);
	else
		r = (enum heap_refusal)HEAP_ALGO_FREE_MISS(kheap.inst, p, hint, &usable);
	if (unlikely(r != HEAP_REFUSED_NONE))
		heap_refuse(who, p, r);
	__block_uncount(usable);
}

/*
 * With CONFIG_DEBUG_HEAP, validate after an operation of @who and panic
 * with the count and the first problem; otherwise nothing (and no call).
 */
static void heap_check_debug(const char *who)
{
	char first[120];
	unsigned n;

	n = heap_debug_validate(&kheap.view, kheap.allocs - kheap.frees, kheap.used, first,
				sizeof(first));
	if (n)
		panic("%s: heap_validate() found %u problems, first: %s", who, n, first);
}

static __always_inline void heap_check(const char *who)
{
	if (IS_ENABLED(CONFIG_DEBUG_HEAP))
		heap_check_debug(who);
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */
/* ------------------------------------------------------------------ */

void heap_init(void)
{
	struct heap_algo_space space;
	unsigned flags = IS_ENABLED(CONFIG_DEBUG_HEAP) ? HEAP_ALGO_POISON : 0;
	void *inst = heap_linked->init(heap_area, sizeof(heap_area), flags);

	if (!inst)
		panic("heap_init: %s refused the %zu-byte heap at 0x%lx",
		      heap_linked->name, sizeof(heap_area), (unsigned long)heap_area);
	heap_lock();
	kheap.view = (struct heap_debug){ .algo = heap_linked, .inst = inst,
					  .base = (uintptr_t)heap_area, .size = sizeof(heap_area) };
	kheap.inst = inst;
	kheap.size = sizeof(heap_area);
	heap_unlock();
	if (IS_ENABLED(CONFIG_HEAP_PCPU_CACHE))
		heap_pcpu_init((uintptr_t)heap_area, sizeof(heap_area));
	heap_linked->space(inst, &space);
	pr_info("heap: %s %zu KiB at 0x%lx-0x%lx (meta %zu bytes)\n", heap_linked->name,
		sizeof(heap_area) / KiB, (unsigned long)heap_area,
		(unsigned long)(heap_area + sizeof(heap_area)), space.meta);
}

const struct heap_algo *heap_algo_active(void)
{
	return heap_linked;
}

/* ------------------------------------------------------------------ */
/* Per-hart magazines (CONFIG_HEAP_PCPU_CACHE)                         */
/* ------------------------------------------------------------------ */

unsigned heap_cache_take(size_t size, void **p, uint32_t *usable, unsigned n)
{
	unsigned got;

	heap_lock();
	heap_ready_check("kmalloc");
	for (got = 0; got < n; got++) {
		size_t u;

		p[got] = heap_linked->alloc(kheap.inst, size, KMALLOC_MIN_ALIGN, &u);
		if (!p[got])
			break;
		usable[got] = (uint32_t)u;
		kheap.cache_blocks++;
		kheap.cache_usable += u;
	}
	heap_unlock();
	return got;
}

void heap_cache_give(void *const *p, unsigned n)
{
	unsigned i;

	heap_lock();
	for (i = 0; i < n; i++) {
		size_t u;
		enum heap_refusal r = (enum heap_refusal)heap_linked->free(kheap.inst, p[i], &u);

		if (unlikely(r != HEAP_REFUSED_NONE))
			heap_refuse("kfree", p[i], r);
		kheap.cache_blocks--;
		kheap.cache_usable -= u;
	}
	heap_unlock();
}

/*
 * A small request from the calling hart's magazines; when neither they nor
 * the algorithm have a block of its class, the hart's magazines go back
 * (they may hold the space) and the class is tried once more. A NULL is
 * counted as a failure.
 */
static __attribute__((noinline)) void *heap_alloc_cached(size_t size)
{
	void *p = heap_pcpu_alloc(size);

	if (unlikely(!p)) {
		heap_pcpu_drain();
		p = heap_pcpu_alloc(size);
	}
	if (unlikely(!p)) {
		heap_lock();
		kheap.failures++;
		heap_unlock();
	}
	return p;
}

/* True when a request of @size at @align is served by the magazines. */
static __always_inline bool heap_cacheable(size_t size, size_t align)
{
	return IS_ENABLED(CONFIG_HEAP_PCPU_CACHE) && size - 1 < HEAP_PCPU_MAX &&
	       IS_POWER_OF_2(align) && align <= KMALLOC_MIN_ALIGN;
}

/*
 * kmalloc() past the fast path: the lock was busy (@held false: take it,
 * waiting, or panicking on a recursive acquire), the heap is not set up (a
 * panic), the size is 0 or too large, the alignment bad, or the inline try
 * missed (@hint is what it left).
 */
static __attribute__((noinline)) void *heap_alloc_slow(size_t size, size_t align, bool held,
						       unsigned long hint)
{
	void *p = ZERO_SIZE_PTR;

	if (!held)
		heap_lock();
	if (size) {
		heap_ready_check("kmalloc");
		p = NULL;
		if (size <= kheap.size && IS_POWER_OF_2(align) && align <= KMALLOC_MAX_ALIGN)
			p = __block_alloc(size, MAX(align, KMALLOC_MIN_ALIGN), hint);
		else
			kheap.failures++;
		heap_check("kmalloc");
	}
	__spin_unlock(&kheap.lock);	/* held, or taken above */
	return p;
}

/*
 * kmalloc_aligned() and kmalloc() share this body, inlined into both: a
 * free lock taken with one compare-and-swap and the algorithm's inline
 * try, or else one call to heap_alloc_slow(), so that no stack frame is
 * needed.
 */
static __always_inline void *heap_alloc(size_t size, size_t align)
{
	unsigned long hint = HEAP_HINT_NONE;
	size_t usable;
	bool held;
	void *p;

	if (heap_cacheable(size, align))
		return heap_alloc_cached(size);
	held = spin_trylock(&kheap.lock);
	/* size 0 wraps; kheap.size is 0 before init */
	if (likely(held && size - 1 < kheap.size && IS_POWER_OF_2(align) &&
		   align <= KMALLOC_MAX_ALIGN)) {
		p = HEAP_ALGO_TRY_ALLOC(kheap.inst, size, MAX(align, KMALLOC_MIN_ALIGN), &usable,
					&hint);
		if (likely(p)) {
			__block_count(usable);
			__spin_unlock(&kheap.lock);
			return p;
		}
	}
	return heap_alloc_slow(size, align, held, hint);
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
	heap_lock();
	kheap.failures++;
	heap_unlock();
	return NULL;
}

/* kfree() past the fast path; @held and @hint as for heap_alloc_slow(). */
static __attribute__((noinline)) void heap_free_slow(void *p, bool held, unsigned long hint)
{
	if (!held)
		heap_lock();
	heap_ready_check("kfree");
	__block_free(p, "kfree", hint);
	heap_check("kfree");
	__spin_unlock(&kheap.lock);	/* held, or taken above */
}

void kfree(void *p)
{
	unsigned long hint = HEAP_HINT_NONE;
	size_t usable;
	bool held;

	if (ZERO_OR_NULL_PTR(p))
		return;
	if (IS_ENABLED(CONFIG_HEAP_PCPU_CACHE)) {
		int r = heap_pcpu_free(p);

		if (r != HEAP_PCPU_NOT_MINE) {
			if (unlikely(r != HEAP_REFUSED_NONE))
				heap_refuse("kfree", p, (enum heap_refusal)r);
			return;
		}
	}
	held = spin_trylock(&kheap.lock);
	if (likely(held && kheap.inst && HEAP_ALGO_TRY_FREE(kheap.inst, p, &usable, &hint))) {
		__block_uncount(usable);
		__spin_unlock(&kheap.lock);
		return;
	}
	heap_free_slow(p, held, hint);
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
	if (IS_ENABLED(CONFIG_HEAP_PCPU_CACHE) && heap_pcpu_owns(p)) {
		old = heap_pcpu_size(p);	/* a magazine block holds its class */
		if (size <= old)
			return p;
		q = kmalloc(size);
		if (q) {
			memcpy(q, p, old);
			kfree(p);
		}
		return q;
	}
	heap_lock();
	old = __block_usable(p, "krealloc");
	if (size <= __block_capacity(p, old)) {
		q = p;		/* the block already holds @size bytes */
		if (IS_ENABLED(CONFIG_DEBUG_HEAP)) {
			heap_debug_resize(&kheap.view, p, size);
			kheap.used += size - old;	/* ksize() follows the request */
		}
	} else if (size > kheap.size) {
		q = NULL;
		kheap.failures++;
	} else {
		q = __block_alloc(size, KMALLOC_MIN_ALIGN, HEAP_HINT_NONE);
		if (q) {
			memcpy(q, p, MIN(old, size));
			__block_free(p, "krealloc", HEAP_HINT_NONE);
		}
	}
	heap_check("krealloc");
	heap_unlock();
	return q;
}

size_t ksize(const void *p)
{
	size_t n;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	if (IS_ENABLED(CONFIG_HEAP_PCPU_CACHE) && heap_pcpu_owns(p))
		return heap_pcpu_size(p);
	heap_lock();
	n = __block_usable(p, "ksize");
	heap_unlock();
	return n;
}

void heap_stats(struct heap_stats *out)
{
	struct heap_pcpu_counts hits = { 0 };
	struct heap_algo_space space;

	if (IS_ENABLED(CONFIG_HEAP_PCPU_CACHE)) {
		heap_pcpu_drain();	/* on one hart, free is then the algorithm's */
		heap_pcpu_sum(&hits);
	}
	heap_lock();
	heap_ready_check("heap_stats");
	heap_linked->space(kheap.inst, &space);
	out->total = kheap.size;
	out->meta = space.meta;
	out->used = kheap.used + hits.live;
	out->reserved = kheap.size - space.meta - space.free;	/* walk() tiles the region */
	out->free = space.free;
	/* with magazines only blocks that pass the lock update the peak */
	out->peak_used = MAX(kheap.peak_used, out->used);
	/* kmalloc(n) asks for n + HEAP_DEBUG_OVERHEAD bytes at 16: exact too */
	out->largest_free = space.largest_free > HEAP_DEBUG_OVERHEAD ?
			    space.largest_free - HEAP_DEBUG_OVERHEAD : 0;
	out->allocs = kheap.allocs + hits.allocs;
	out->frees = kheap.frees + hits.frees;
	out->failures = kheap.failures;
	heap_unlock();
}

unsigned heap_validate(void)
{
	char first[160];
	unsigned n;

	heap_lock();
	heap_ready_check("heap_validate");
	/* magazine blocks are live to the algorithm, whoever holds them */
	n = heap_debug_validate(&kheap.view, kheap.allocs - kheap.frees + kheap.cache_blocks,
				kheap.used + kheap.cache_usable, first, sizeof(first));
	heap_unlock();
	if (n)
		pr_err("heap_validate: %u problems, first: %s\n", n, first);
	return n;
}

void heap_cache_drain(void)
{
	if (IS_ENABLED(CONFIG_HEAP_PCPU_CACHE))
		heap_pcpu_drain();
}

void heap_walk(heap_walk_fn fn, void *arg)
{
	heap_lock();
	heap_ready_check("heap_walk");
	heap_linked->walk(kheap.inst, fn, arg);
	heap_unlock();
}
