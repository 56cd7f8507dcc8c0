/* SPDX-License-Identifier: MIT */
/*
 * Internals of the kernel heap front end, shared by mm/heap/kmalloc.c (the API and
 * the plain block paths) and mm/heap/debug.c (the CONFIG_DEBUG_HEAP block
 * layout with header and guards, and validation). Functions named __name
 * expect the caller to hold kheap.lock.
 */
#ifndef MM_HEAP_INTERNAL_H
#define MM_HEAP_INTERNAL_H

#include <mm/heap.h>
#include <mmlab/spinlock.h>

/* The global heap: the algorithm instance, its lock and the counters. */
struct kheap {
	struct spinlock lock;
	const struct heap_algo *algo;
	void *inst;			/* algorithm instance over [base, base + size) */
	unsigned char *base;
	size_t size;
	size_t used, peak_used;		/* usable bytes of live blocks */
	unsigned long allocs, frees, failures;
};

extern struct kheap kheap;

/* Panic for @p, which @who was given and which the algorithm refused with @r. */
__noreturn void heap_refuse(const char *who, const void *p, enum heap_free_result r);

/*
 * CONFIG_DEBUG_HEAP block layout (mm/heap/debug.c). The payload handed out
 * sits after a header and a front guard, and a tail guard follows it.
 *
 * __debug_alloc - a payload of @size bytes at @align, or NULL; *@usable
 *	gets the payload's usable bytes.
 * __debug_usable - usable bytes of the live payload @p; panics naming @who
 *	when @p is not one (wrong header, overwritten guards).
 * __debug_resize - make the live payload @p (usable for at least @size
 *	bytes) a block of @size bytes: header and tail guard follow.
 * __debug_release - check the header and guards of the live payload @p
 *	(panics as __debug_usable does), store its usable bytes in *@usable,
 *	mark it freed and return the block start to give back to the algorithm.
 */
#define DEBUG_HDR_SIZE		16UL
#define DEBUG_GUARD_SIZE	16UL
#define DEBUG_PREFIX		(DEBUG_HDR_SIZE + DEBUG_GUARD_SIZE)
/* Bytes the debug layout adds to a block (0 in plain builds). */
#define HEAP_DEBUG_OVERHEAD	(IS_ENABLED(CONFIG_DEBUG_HEAP) ? DEBUG_PREFIX + DEBUG_GUARD_SIZE : 0UL)

void *__debug_alloc(size_t size, size_t align, size_t *usable);
size_t __debug_usable(const void *p, const char *who);
void __debug_resize(void *p, size_t size);
void *__debug_release(void *p, const char *who, size_t *usable);

/*
 * __heap_validate - the check behind heap_validate(): the algorithm's own
 * validate(), then (debug layout) every live header and guard, and the
 * counters against what the algorithm reports. Returns the problem count
 * and, when @first is not NULL, describes the first problem in it.
 */
unsigned __heap_validate(char *first, size_t len);

/* __heap_check_debug - validate; panic with the count and the first problem. */
void __heap_check_debug(const char *who);

/*
 * __heap_check - with CONFIG_DEBUG_HEAP, validate after an operation of
 * @who and panic with the count and the first problem; otherwise nothing
 * (and no call at all).
 */
static inline void __heap_check(const char *who)
{
	if (IS_ENABLED(CONFIG_DEBUG_HEAP))
		__heap_check_debug(who);
}

#endif /* MM_HEAP_INTERNAL_H */
