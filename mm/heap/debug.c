// SPDX-License-Identifier: MIT
/*
 * Debug support of the kernel heap front end: the CONFIG_DEBUG_HEAP block
 * layout, and validation (used by heap_validate() in every build).
 *
 * Layout. With CONFIG_DEBUG_HEAP the front end asks the algorithm for more
 * than the caller wants and lays the block out as
 *
 *	[pad][header 16][front guard 16][payload (requested)][tail guard 16][slack]
 *	^block                          ^payload = block + offset
 *
 * The header records the requested size, the offset back to the block start
 * and a tag: a kind (live, freed, pad) mixed with the payload address, so a
 * header copied elsewhere or left over from an older block never passes as
 * live. The guards hold a pattern derived from the payload address and the
 * byte's position, so an overrun that writes anything at all is caught when
 * the block is freed. The offset is the prefix rounded up to the requested
 * alignment and the algorithm is asked for that alignment, so payload
 * alignment holds up to KMALLOC_MAX_ALIGN; when the offset exceeds the
 * prefix, a "pad" record at the block start refuses pointers into the pad.
 *
 * Validation runs the algorithm's own validate() first; if that is clean,
 * every used block the algorithm walks must (debug layout) hold a live
 * header with intact guards, and the blocks must add up to the counters.
 * Nothing here panics except the debug entry points and __heap_check_debug().
 */
#include <lib/vsprintf.h>
#include <mmlab/panic.h>
#include "internal.h"

/* The DEBUG_HDR_SIZE bytes before the front guard. */
struct block_hdr {
	uint32_t requested;	/* bytes the caller asked for */
	uint32_t offset;	/* payload - block start */
	uint32_t tag;		/* hdr_tag(kind, payload) */
	uint32_t spare;
};

BUILD_BUG_ON(sizeof(struct block_hdr) != DEBUG_HDR_SIZE);
BUILD_BUG_ON(!IS_POWER_OF_2(DEBUG_PREFIX));

enum hdr_kind {
	TAG_LIVE = 0x4b4d414c,	/* a live block's header */
	TAG_FREED = 0x44455246,	/* written by kfree() just before the block goes */
	TAG_PAD = 0x44444150,	/* start of the alignment pad of a live block */
};

static inline uint32_t hdr_tag(enum hdr_kind kind, uintptr_t payload)
{
	return (uint32_t)kind ^ (uint32_t)(payload >> 4) ^ (uint32_t)(payload >> 36);
}

static inline struct block_hdr *hdr_of(uintptr_t payload)
{
	return (struct block_hdr *)(payload - DEBUG_PREFIX);
}

/* ------------------------------------------------------------------ */
/* Guards                                                              */
/* ------------------------------------------------------------------ */

/* Byte @i of the guards of @payload: front guard 0..15, tail 16..31. */
static inline unsigned char guard_byte(uintptr_t payload, size_t i)
{
	return (unsigned char)(0xa5 ^ (payload >> 4) ^ (payload >> 12) ^ (i * 0x3b));
}

/* Fill or (when @check) compare the guard at @p that starts at pattern index @first. */
static bool guard_apply(unsigned char *p, uintptr_t payload, size_t first, bool check)
{
	size_t i;

	for (i = 0; i != DEBUG_GUARD_SIZE; i++) {
		unsigned char want = guard_byte(payload, first + i);

		if (!check)
			p[i] = want;
		else if (p[i] != want)
			return false;
	}
	return true;
}

static bool guard_front_intact(uintptr_t payload)
{
	return guard_apply((unsigned char *)(payload - DEBUG_GUARD_SIZE), payload, 0, true);
}

static bool guard_tail_intact(uintptr_t payload, size_t size)
{
	return guard_apply((unsigned char *)(payload + size), payload, DEBUG_GUARD_SIZE, true);
}

/* ------------------------------------------------------------------ */
/* Debug block layout (lock held)                                      */
/* ------------------------------------------------------------------ */

static bool hdr_offset_sane(const struct block_hdr *h, uintptr_t payload)
{
	return h->offset >= DEBUG_PREFIX && IS_POWER_OF_2(h->offset) &&
	       h->offset <= MAX(DEBUG_PREFIX, KMALLOC_MAX_ALIGN) &&
	       payload - (uintptr_t)kheap.base >= h->offset;
}

void *__debug_alloc(size_t size, size_t align, size_t *usable)
{
	size_t offset = MAX(DEBUG_PREFIX, align);
	uintptr_t block, payload;
	struct block_hdr *h;

	block = (uintptr_t)kheap.algo->alloc(kheap.inst, offset + size + DEBUG_GUARD_SIZE,
					      align, usable);
	if (!block)
		return NULL;
	*usable -= offset + DEBUG_GUARD_SIZE;
	payload = block + offset;
	if (offset > DEBUG_PREFIX) {
		h = (struct block_hdr *)block;
		*h = (struct block_hdr){ .offset = (uint32_t)offset,
					 .tag = hdr_tag(TAG_PAD, block + DEBUG_PREFIX) };
	}
	h = hdr_of(payload);
	*h = (struct block_hdr){ .requested = (uint32_t)size, .offset = (uint32_t)offset,
				 .tag = hdr_tag(TAG_LIVE, payload) };
	guard_apply((unsigned char *)(payload - DEBUG_GUARD_SIZE), payload, 0, false);
	guard_apply((unsigned char *)(payload + size), payload, DEBUG_GUARD_SIZE, false);
	return (void *)payload;
}

/*
 * The header of the live payload @p; panics naming @who when @p is not one:
 * outside the heap, misaligned, a pad, freed, or no header at all (then the
 * algorithm's free() of the would-be block start says why, changing nothing).
 */
static struct block_hdr *debug_find(const void *p, const char *who)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)kheap.base;
	const struct block_hdr *h;
	enum heap_free_result r;

	if (a < base || a - base >= kheap.size)
		heap_refuse(who, p, HEAP_FREE_FOREIGN);
	if (!IS_ALIGNED(a, KMALLOC_MIN_ALIGN) || a - base < DEBUG_PREFIX)
		heap_refuse(who, p, HEAP_FREE_NOT_BLOCK);
	h = hdr_of(a);
	if (h->tag == hdr_tag(TAG_LIVE, a)) {
		if (!hdr_offset_sane(h, a))
			panic("%s: header of block 0x%lx is corrupt", who, (unsigned long)a);
		return (struct block_hdr *)h;
	}
	if (h->tag == hdr_tag(TAG_FREED, a))
		heap_refuse(who, p, HEAP_FREE_DOUBLE);
	if (h->tag == hdr_tag(TAG_PAD, a))
		heap_refuse(who, p, HEAP_FREE_NOT_BLOCK);
	r = kheap.algo->free(kheap.inst, (void *)(a - DEBUG_PREFIX), NULL);
	if (r == HEAP_FREE_OK)
		panic("%s: header of block 0x%lx was overwritten", who, (unsigned long)a);
	heap_refuse(who, p, r == HEAP_FREE_DOUBLE ? r : HEAP_FREE_NOT_BLOCK);
}

/* Usable bytes of the payload with header @h: the block minus the layout. */
static size_t debug_usable(const struct block_hdr *h, uintptr_t payload)
{
	return kheap.algo->usable_size(kheap.inst, (void *)(payload - h->offset)) -
	       h->offset - DEBUG_GUARD_SIZE;
}

/* The live header of @p, its guards checked; panics naming @who otherwise. */
static struct block_hdr *debug_find_intact(const void *p, const char *who)
{
	struct block_hdr *h = debug_find(p, who);

	if (!guard_front_intact((uintptr_t)p))
		panic("%s: overrun before block 0x%lx", who, (unsigned long)p);
	if (!guard_tail_intact((uintptr_t)p, h->requested))
		panic("%s: overrun after block 0x%lx (%u bytes)", who,
		      (unsigned long)p, h->requested);
	return h;
}

size_t __debug_usable(const void *p, const char *who)
{
	return debug_usable(debug_find_intact(p, who), (uintptr_t)p);
}

void __debug_resize(void *p, size_t size)
{
	struct block_hdr *h = hdr_of((uintptr_t)p);

	h->requested = (uint32_t)size;
	guard_apply((unsigned char *)p + size, (uintptr_t)p, DEBUG_GUARD_SIZE, false);
}

void *__debug_release(void *p, const char *who, size_t *usable)
{
	struct block_hdr *h = debug_find_intact(p, who);

	*usable = debug_usable(h, (uintptr_t)p);
	h->tag = hdr_tag(TAG_FREED, (uintptr_t)p);
	return (unsigned char *)p - h->offset;
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

/* What a validation walk has found so far. */
struct audit {
	unsigned problems;
	unsigned long blocks;
	size_t usable;		/* usable bytes of the used blocks */
	size_t reserved;	/* bytes the used blocks span */
	char *first;		/* description of the first problem, or NULL */
	size_t len;
};

/* Count a problem; describe it if it is the first one. */
static __printf(2, 3) void audit_note(struct audit *a, const char *fmt, ...)
{
	va_list ap;

	if (!a->problems++ && a->first) {
		va_start(ap, fmt);
		vsnprintf(a->first, a->len, fmt, ap);
		va_end(ap);
	}
}

/*
 * The live header of the used block [b, end), b 16-byte aligned, following
 * a pad record if there is one; sets *@payload. NULL (and a noted problem)
 * when there is none.
 */
static const struct block_hdr *audit_header(struct audit *a, uintptr_t b, uintptr_t end,
					    uintptr_t *payload)
{
	const struct block_hdr *h = (const struct block_hdr *)b;
	uintptr_t p = b + DEBUG_PREFIX;

	if (p > end) {
		audit_note(a, "block 0x%lx is too small for a header", (unsigned long)b);
		return NULL;
	}
	if (h->tag == hdr_tag(TAG_PAD, p)) {
		if (!IS_POWER_OF_2(h->offset) || h->offset <= DEBUG_PREFIX ||
		    h->offset > KMALLOC_MAX_ALIGN || h->offset > end - b) {
			audit_note(a, "pad of block 0x%lx has a bad offset %u",
				   (unsigned long)b, h->offset);
			return NULL;
		}
		p = b + h->offset;
		h = hdr_of(p);
	}
	if (h->tag != hdr_tag(TAG_LIVE, p) || (uintptr_t)h - h->offset + DEBUG_PREFIX != b) {
		audit_note(a, "used block 0x%lx has no live header", (unsigned long)b);
		return NULL;
	}
	*payload = p;
	return h;
}

/* Check the debug layout of one used block [start, end). */
static void audit_debug_block(struct audit *a, uintptr_t start, uintptr_t end)
{
	const struct block_hdr *h;
	uintptr_t payload;

	h = audit_header(a, ALIGN_UP(start, KMALLOC_MIN_ALIGN), end, &payload);
	if (!h)
		return;
	if ((size_t)h->requested + DEBUG_GUARD_SIZE > end - payload)
		audit_note(a, "block 0x%lx claims %u bytes, more than it has",
			   (unsigned long)payload, h->requested);
	else if (!guard_front_intact(payload))
		audit_note(a, "overrun before block 0x%lx", (unsigned long)payload);
	else if (!guard_tail_intact(payload, h->requested))
		audit_note(a, "overrun after block 0x%lx", (unsigned long)payload);
	else
		a->usable += debug_usable(h, payload);
}

/* heap_walk_fn: check one block the algorithm reports. */
static void block_audit(void *arg, enum heap_block_kind kind, size_t offset, size_t size)
{
	struct audit *a = arg;
	uintptr_t start = (uintptr_t)kheap.base + offset;

	if (kind != HEAP_BLOCK_USED)
		return;
	a->blocks++;
	a->reserved += size;
	if (offset > kheap.size || size > kheap.size - offset) {
		audit_note(a, "block at +0x%zx (%zu bytes) runs past the heap", offset, size);
		return;
	}
	if (IS_ENABLED(CONFIG_DEBUG_HEAP))
		audit_debug_block(a, start, start + size);
}

unsigned __heap_validate(char *first, size_t len)
{
	struct audit a = { .first = first, .len = len };
	unsigned n = kheap.algo->validate(kheap.inst);
	struct heap_algo_space space;

	if (first && len)
		first[0] = '\0';
	if (n) {
		audit_note(&a, "%s: validate() found %u problems", kheap.algo->name, n);
		return n;	/* the walk cannot be trusted */
	}
	kheap.algo->walk(kheap.inst, block_audit, &a);
	if (a.blocks != kheap.allocs - kheap.frees)
		audit_note(&a, "%lu live blocks, counters say %lu", a.blocks,
			   kheap.allocs - kheap.frees);
	if (IS_ENABLED(CONFIG_DEBUG_HEAP) && a.usable != kheap.used)
		audit_note(&a, "live blocks add up to %zu usable bytes, the counter says %zu",
			   a.usable, kheap.used);
	kheap.algo->space(kheap.inst, &space);
	if (a.reserved != kheap.size - space.meta - space.free)
		audit_note(&a, "used blocks span %zu bytes, space() leaves %zu", a.reserved,
			   kheap.size - space.meta - space.free);
	return a.problems;
}

void __heap_check_debug(const char *who)
{
	char first[120];
	unsigned n;

	n = __heap_validate(first, sizeof(first));
	if (n)
		panic("%s: heap_validate() found %u problems, first: %s", who, n, first);
}
