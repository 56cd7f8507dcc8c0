/* SPDX-License-Identifier: MIT */
/*
 * Internals of the kernel heap, shared by the front end (mm/heap/kmalloc.c:
 * the API, the lock, the counters and every panic) and mm/heap/debug.c (the
 * CONFIG_DEBUG_HEAP block layout around the algorithm, and validation).
 *
 * The calls point one way: kmalloc.c calls debug.c, and debug.c calls only
 * the algorithm, through the instance it is handed. debug.c never panics
 * on a caller's pointer and reads no global: it answers with a refusal
 * (enum heap_refusal) that the front end turns into the panic message.
 */
#ifndef MM_HEAP_INTERNAL_H
#define MM_HEAP_INTERNAL_H

#include <mm/heap.h>

/* One algorithm instance and the region it manages. */
struct heap_debug {
	const struct heap_algo *algo;
	void *inst;			/* algorithm instance over [base, base + size) */
	uintptr_t base;
	size_t size;
};

/*
 * Why a pointer was refused: the algorithm's free() results, and what only
 * the debug layout can see. HEAP_REFUSED_NONE means the pointer was fine.
 */
enum heap_refusal {
	HEAP_REFUSED_NONE = HEAP_FREE_OK,
	HEAP_REFUSED_FOREIGN = HEAP_FREE_FOREIGN,
	HEAP_REFUSED_NOT_BLOCK = HEAP_FREE_NOT_BLOCK,
	HEAP_REFUSED_DOUBLE = HEAP_FREE_DOUBLE,
	HEAP_REFUSED_UNKNOWN,		/* free() took what usable_size() did not know */
	HEAP_REFUSED_HDR_CORRUPT,	/* a live header with impossible fields */
	HEAP_REFUSED_HDR_OVERWRITTEN,	/* a live block whose header is gone */
	HEAP_REFUSED_OVERRUN_BEFORE,	/* the front guard was written */
	HEAP_REFUSED_OVERRUN_AFTER,	/* the tail guard was written */
};

/*
 * CONFIG_DEBUG_HEAP block layout (mm/heap/debug.c). The payload handed out
 * sits after a header and a front guard, and a tail guard follows the bytes
 * asked for, so the caller may use exactly those (ksize() says so).
 *
 * heap_debug_alloc - a payload of @size bytes (<= the region size) at
 *	@align, or NULL; *@usable gets @size.
 * heap_debug_check - HEAP_REFUSED_NONE when @p is a live payload with its
 *	header and guards intact, and then *@usable gets the bytes it was
 *	asked for; otherwise the refusal, with nothing changed.
 * heap_debug_capacity - bytes the live, checked payload @p could hold in
 *	place (its block minus the layout).
 * heap_debug_resize - make the live, checked payload @p (capacity at least
 *	@size) a payload of @size bytes: header and tail guard follow.
 * heap_debug_requested - bytes the header of the live payload @p records.
 * heap_debug_free - heap_debug_check(), then mark @p freed and give its
 *	block back to the algorithm; the refusal or HEAP_REFUSED_NONE.
 */
#define DEBUG_HDR_SIZE		16UL
#define DEBUG_GUARD_SIZE	16UL
#define DEBUG_PREFIX		(DEBUG_HDR_SIZE + DEBUG_GUARD_SIZE)
/* Bytes the debug layout adds to a block (0 in plain builds). */
#define HEAP_DEBUG_OVERHEAD \
	(IS_ENABLED(CONFIG_DEBUG_HEAP) ? DEBUG_PREFIX + DEBUG_GUARD_SIZE : 0UL)

void *heap_debug_alloc(const struct heap_debug *d, size_t size, size_t align, size_t *usable);
enum heap_refusal heap_debug_check(const struct heap_debug *d, const void *p, size_t *usable);
size_t heap_debug_capacity(const struct heap_debug *d, const void *p);
void heap_debug_resize(const struct heap_debug *d, void *p, size_t size);
size_t heap_debug_requested(const struct heap_debug *d, const void *p);
enum heap_refusal heap_debug_free(const struct heap_debug *d, void *p, size_t *usable);

/*
 * heap_debug_validate - the check behind heap_validate(): the algorithm's
 * own validate(), then a walk of its blocks against @live live blocks
 * holding @used usable bytes (and, with CONFIG_DEBUG_HEAP, every header
 * and guard). Returns the problem count and, when @first is not NULL,
 * describes the first problem in it.
 */
unsigned heap_debug_validate(const struct heap_debug *d, unsigned long live, size_t used,
			     char *first, size_t len);

/*
 * Per-hart magazines (mm/heap/pcpu_cache.c, CONFIG_HEAP_PCPU_CACHE) in
 * front of the algorithm, for requests up to HEAP_PCPU_MAX bytes at the
 * default alignment. Each hart's magazines are touched by that hart only
 * (no trap handler allocates), so a hit takes no lock.
 *
 * heap_pcpu_init - empty magazines for the heap array [@base, @base + @size).
 * heap_pcpu_alloc - a block of at least @size bytes (1..HEAP_PCPU_MAX), or
 *	NULL when neither the magazine nor the algorithm has one.
 * heap_pcpu_free - take @p back if it is a live block the magazines
 *	handed out: HEAP_REFUSED_NONE; HEAP_REFUSED_DOUBLE when it is one they
 *	hold already; HEAP_PCPU_NOT_MINE (nothing done) for any other pointer.
 * heap_pcpu_owns - true when @p is a live block the magazines handed out.
 * heap_pcpu_size - the class size of such a block @p (what ksize() says).
 * heap_pcpu_drain - give the calling hart's magazines back to the algorithm.
 * heap_pcpu_sum - add every hart's hits and live bytes to the counters
 *	(exact when no kmalloc()/kfree() is running).
 *
 * And kmalloc.c, for them, under the heap lock:
 * heap_cache_take - up to @n blocks of @size bytes from the algorithm into
 *	@p[] (their usable bytes into @usable[]); Return: how many.
 * heap_cache_give - the @n blocks @p[] back to the algorithm.
 */
#define HEAP_PCPU_MAX		1024UL
#define HEAP_PCPU_NOT_MINE	(-1)

struct heap_pcpu_counts {
	unsigned long allocs, frees;	/* kmalloc()s and kfree()s served by magazines */
	long live;			/* usable bytes of their blocks the program holds */
};

void heap_pcpu_init(uintptr_t base, size_t size);
void *heap_pcpu_alloc(size_t size);
int heap_pcpu_free(void *p);
bool heap_pcpu_owns(const void *p);
size_t heap_pcpu_size(const void *p);
void heap_pcpu_drain(void);
void heap_pcpu_sum(struct heap_pcpu_counts *sum);
unsigned heap_cache_take(size_t size, void **p, uint32_t *usable, unsigned n);
void heap_cache_give(void *const *p, unsigned n);

#endif /* MM_HEAP_INTERNAL_H */
