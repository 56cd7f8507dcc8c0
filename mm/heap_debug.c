// SPDX-License-Identifier: MIT
/*
 * Checks of the kernel heap front end (see mm/heap.c for the block layout).
 *
 * Guards (CONFIG_DEBUG_HEAP): 16 bytes before and after each payload hold a
 * pattern derived from the payload address and the byte's position, so a
 * guard copied from another block, or an overrun that writes a constant,
 * does not pass. kfree() and krealloc() check the guards of their block.
 *
 * Validation: the algorithm's own validate() first; if it finds nothing,
 * every used block the algorithm walks must hold a live header (reached
 * through a pad record for over-aligned blocks) whose payload fits in the
 * block and whose guards are intact, and the headers must add up to the
 * counters: as many live blocks as allocs - frees and the same used total;
 * the used blocks must span what the algorithm reports as neither free nor
 * metadata. Nothing here panics except __heap_check(), by design.
 */
#include <lib/vsprintf.h>
#include <mmlab/panic.h>
#include "heap_internal.h"

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

	for (i = 0; i != BLOCK_GUARD; i++) {
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
	return guard_apply((unsigned char *)(payload - BLOCK_GUARD), payload, 0, true);
}

static bool guard_tail_intact(uintptr_t payload, size_t size)
{
	return guard_apply((unsigned char *)(payload + size), payload, BLOCK_GUARD, true);
}

void __guards_write(uintptr_t payload, size_t size)
{
	if (!IS_ENABLED(CONFIG_DEBUG_HEAP))
		return;
	guard_apply((unsigned char *)(payload - BLOCK_GUARD), payload, 0, false);
	guard_apply((unsigned char *)(payload + size), payload, BLOCK_GUARD, false);
}

void __guards_check(uintptr_t payload, const struct block_hdr *h, const char *who)
{
	if (!IS_ENABLED(CONFIG_DEBUG_HEAP))
		return;
	if (!guard_front_intact(payload))
		panic("%s: overrun before block 0x%lx", who, (unsigned long)payload);
	if (!guard_tail_intact(payload, h->requested))
		panic("%s: overrun after block 0x%lx (%u bytes)", who,
		      (unsigned long)payload, h->requested);
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

/* What a validation walk has found so far. */
struct audit {
	unsigned problems;
	unsigned long blocks;
	size_t used, reserved;	/* requested bytes; bytes the used blocks span */
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
	uintptr_t p = b + BLOCK_PREFIX;

	if (p > end) {
		audit_note(a, "block 0x%lx is too small for a header", (unsigned long)b);
		return NULL;
	}
	if (h->tag == hdr_tag(TAG_PAD, p)) {
		if (!IS_POWER_OF_2(h->offset) || h->offset <= BLOCK_PREFIX ||
		    h->offset > KMALLOC_MAX_ALIGN || h->offset > end - b) {
			audit_note(a, "pad of block 0x%lx has a bad offset %u",
				   (unsigned long)b, h->offset);
			return NULL;
		}
		p = b + h->offset;
		h = hdr_of(p);
	}
	if (h->tag != hdr_tag(TAG_LIVE, p) || (uintptr_t)h - h->offset + BLOCK_PREFIX != b) {
		audit_note(a, "used block 0x%lx has no live header", (unsigned long)b);
		return NULL;
	}
	*payload = p;
	return h;
}

/* heap_walk_fn: check one block the algorithm reports. */
static void block_audit(void *arg, enum heap_block_kind kind, size_t offset, size_t size)
{
	struct audit *a = arg;
	uintptr_t start = (uintptr_t)kheap.base + offset, end = start + size, payload;
	const struct block_hdr *h;

	if (kind != HEAP_BLOCK_USED)
		return;
	a->reserved += size;
	if (offset > kheap.size || size > kheap.size - offset) {
		audit_note(a, "block at +0x%zx (%zu bytes) runs past the heap", offset, size);
		return;
	}
	h = audit_header(a, ALIGN_UP(start, KMALLOC_MIN_ALIGN), end, &payload);
	if (!h)
		return;
	if ((size_t)h->requested + BLOCK_GUARD > end - payload)
		audit_note(a, "block 0x%lx claims %u bytes, more than it has",
			   (unsigned long)payload, h->requested);
	else if (IS_ENABLED(CONFIG_DEBUG_HEAP) && !guard_front_intact(payload))
		audit_note(a, "overrun before block 0x%lx", (unsigned long)payload);
	else if (IS_ENABLED(CONFIG_DEBUG_HEAP) && !guard_tail_intact(payload, h->requested))
		audit_note(a, "overrun after block 0x%lx", (unsigned long)payload);
	a->blocks++;
	a->used += h->requested;
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
	if (a.used != kheap.used)
		audit_note(&a, "headers add up to %zu bytes used, the counter says %zu",
			   a.used, kheap.used);
	kheap.algo->space(kheap.inst, &space);
	if (a.reserved != kheap.size - space.meta - space.free)
		audit_note(&a, "used blocks span %zu bytes, space() leaves %zu", a.reserved,
			   kheap.size - space.meta - space.free);
	return a.problems;
}

void __heap_check(const char *who)
{
	char first[120];
	unsigned n;

	if (!IS_ENABLED(CONFIG_DEBUG_HEAP))
		return;
	n = __heap_validate(first, sizeof(first));
	if (n)
		panic("%s: heap_validate() found %u problems, first: %s", who, n, first);
}
