/* SPDX-License-Identifier: MIT */
/*
 * Internals of the kernel heap front end, shared by mm/heap.c (allocation
 * paths) and mm/heap_debug.c (guards, statistics checks, validation). The
 * block layout is described at the top of mm/heap.c. Functions named
 * __name expect the caller to hold kheap.lock.
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
	size_t used, peak_used;		/* requested bytes of live blocks */
	unsigned long allocs, frees, failures;
};

extern struct kheap kheap;

/* The 16 bytes before the front guard (or the payload without guards). */
struct block_hdr {
	uint32_t requested;	/* bytes the caller asked for */
	uint32_t offset;	/* payload - block start */
	uint32_t tag;		/* hdr_tag(kind, payload) */
	uint32_t spare;		/* keeps the header one alignment unit */
};

/* Header kinds, mixed with the payload address by hdr_tag(). */
enum hdr_kind {
	TAG_LIVE = 0x4b4d414c,	/* a live block's header */
	TAG_FREED = 0x44455246,	/* written by kfree() just before the block goes */
	TAG_PAD = 0x44444150,	/* start of the alignment pad of a live block */
};

/* Guard bytes on each side of a payload; none without CONFIG_DEBUG_HEAP. */
#define BLOCK_GUARD	(IS_ENABLED(CONFIG_DEBUG_HEAP) ? 16UL : 0UL)
/* Header plus front guard: the least distance from block start to payload. */
#define BLOCK_PREFIX	(sizeof(struct block_hdr) + BLOCK_GUARD)

static inline uint32_t hdr_tag(enum hdr_kind kind, uintptr_t payload)
{
	return (uint32_t)kind ^ (uint32_t)(payload >> 4) ^ (uint32_t)(payload >> 36);
}

static inline struct block_hdr *hdr_of(uintptr_t payload)
{
	return (struct block_hdr *)(payload - BLOCK_PREFIX);
}

/* True when @h (the header of @payload) has an offset kheap could have set. */
static inline bool hdr_offset_sane(const struct block_hdr *h, uintptr_t payload)
{
	return h->offset >= BLOCK_PREFIX && IS_POWER_OF_2(h->offset) &&
	       h->offset <= MAX(BLOCK_PREFIX, KMALLOC_MAX_ALIGN) &&
	       payload - (uintptr_t)kheap.base >= h->offset;
}

/* __guards_write - fill the guards of a payload of @size bytes (debug only). */
void __guards_write(uintptr_t payload, size_t size);

/*
 * __guards_check - panic "<who>: overrun before/after block 0x..." when a
 * guard of the live block @payload (header @h) was overwritten (debug only).
 */
void __guards_check(uintptr_t payload, const struct block_hdr *h, const char *who);

/*
 * __heap_validate - the check behind heap_validate(): returns the problem
 * count and, when @first is not NULL, describes the first problem in it.
 */
unsigned __heap_validate(char *first, size_t len);

/*
 * __heap_check - with CONFIG_DEBUG_HEAP, validate after an operation of
 * @who and panic with the count and the first problem; otherwise nothing.
 */
void __heap_check(const char *who);

#endif /* MM_HEAP_INTERNAL_H */
