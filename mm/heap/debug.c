// SPDX-License-Identifier: MIT
/*
 * Debug support of the kernel heap: the CONFIG_DEBUG_HEAP block layout, a
 * wrapper around the algorithm instance it is handed (struct heap_debug),
 * and validation (used by heap_validate() in every build). It calls only
 * the algorithm, reads no global and never panics: a pointer it refuses
 * comes back as an enum heap_refusal, which the front end turns into the
 * message.
 *
 * Layout. With CONFIG_DEBUG_HEAP the front end asks this file for a block,
 * which asks the algorithm for more than the caller wants and lays it out as
 *
 *	[pad][header 16][front guard 16][payload (requested)][tail guard 16][slack]
 *	^block                          ^payload = block + offset
 *
 * The header records the requested size, the offset back to the block start
 * and a tag: a kind (live, freed, pad) mixed with the payload address, so a
 * header copied elsewhere or left over from an older block never passes as
 * live. The guards hold a pattern derived from the payload address and the
 * byte's position, so an overrun that writes anything at all is caught when
 * the block is freed. The tail guard follows the requested bytes at once,
 * so those are what ksize() reports in debug builds: the caller may write
 * all of them, and not one byte more goes unnoticed. The offset is the
 * prefix rounded up to the requested
 * alignment and the algorithm is asked for that alignment, so payload
 * alignment holds up to KMALLOC_MAX_ALIGN; when the offset exceeds the
 * prefix, a "pad" record at the block start refuses pointers into the pad.
 *
 * Validation runs the algorithm's own validate() first; if that is clean,
 * every used block the algorithm walks must (debug layout) hold a live
 * header with intact guards, and the blocks must add up to the counters
 * the caller passes.
 */
#include <lib/vsprintf.h>
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
/* Debug block layout (the caller holds the heap lock)                 */
/* ------------------------------------------------------------------ */

static bool hdr_offset_sane(const struct heap_debug *d, const struct block_hdr *h,
			    uintptr_t payload)
{
	return h->offset >= DEBUG_PREFIX && IS_POWER_OF_2(h->offset) &&
	       h->offset <= MAX(DEBUG_PREFIX, KMALLOC_MAX_ALIGN) &&
	       payload - d->base >= h->offset && h->requested <= d->size;
}

void *heap_debug_alloc(const struct heap_debug *d, size_t size, size_t align, size_t *usable)
{
	size_t offset = MAX(DEBUG_PREFIX, align);
	uintptr_t block, payload;
	struct block_hdr *h;

	block = (uintptr_t)d->algo->alloc(d->inst, offset + size + DEBUG_GUARD_SIZE, align, NULL);
	if (!block)
		return NULL;
	*usable = size;
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
 * The refusal for a pointer @a whose would-be header is not live: freed,
 * a pad, a live block whose header was overwritten (the algorithm knows
 * the block start), or whatever the algorithm's free() says of the would-be
 * block start (a refused pointer changes nothing).
 */
static enum heap_refusal debug_no_header(const struct heap_debug *d, uintptr_t a)
{
	const struct block_hdr *h = hdr_of(a);
	void *start = (void *)(a - DEBUG_PREFIX);
	enum heap_free_result r;

	if (h->tag == hdr_tag(TAG_FREED, a))
		return HEAP_REFUSED_DOUBLE;
	if (h->tag == hdr_tag(TAG_PAD, a))
		return HEAP_REFUSED_NOT_BLOCK;
	if (d->algo->usable_size(d->inst, start))
		return HEAP_REFUSED_HDR_OVERWRITTEN;
	r = d->algo->free(d->inst, start, NULL);
	if (r == HEAP_FREE_OK)
		return HEAP_REFUSED_UNKNOWN;	/* and now freed: the front end panics */
	return r == HEAP_FREE_DOUBLE ? HEAP_REFUSED_DOUBLE : HEAP_REFUSED_NOT_BLOCK;
}

/*
 * Find the live header of @p (outside the heap, misaligned, a pad, freed,
 * or no header at all are refused) and check its guards.
 */
static enum heap_refusal debug_find(const struct heap_debug *d, const void *p,
				    struct block_hdr **out)
{
	uintptr_t a = (uintptr_t)p;
	struct block_hdr *h;

	if (a < d->base || a - d->base >= d->size)
		return HEAP_REFUSED_FOREIGN;
	if (!IS_ALIGNED(a, KMALLOC_MIN_ALIGN) || a - d->base < DEBUG_PREFIX)
		return HEAP_REFUSED_NOT_BLOCK;
	h = hdr_of(a);
	if (h->tag != hdr_tag(TAG_LIVE, a))
		return debug_no_header(d, a);
	if (!hdr_offset_sane(d, h, a))
		return HEAP_REFUSED_HDR_CORRUPT;
	if (!guard_front_intact(a))
		return HEAP_REFUSED_OVERRUN_BEFORE;
	if (!guard_tail_intact(a, h->requested))
		return HEAP_REFUSED_OVERRUN_AFTER;
	*out = h;
	return HEAP_REFUSED_NONE;
}

enum heap_refusal heap_debug_check(const struct heap_debug *d, const void *p, size_t *usable)
{
	struct block_hdr *h;
	enum heap_refusal r = debug_find(d, p, &h);

	if (r == HEAP_REFUSED_NONE)
		*usable = h->requested;
	return r;
}

/* Bytes the payload with header @h could hold: its block minus the layout. */
static size_t debug_capacity(const struct heap_debug *d, const struct block_hdr *h,
			     uintptr_t payload)
{
	return d->algo->usable_size(d->inst, (void *)(payload - h->offset)) -
	       h->offset - DEBUG_GUARD_SIZE;
}

size_t heap_debug_capacity(const struct heap_debug *d, const void *p)
{
	return debug_capacity(d, hdr_of((uintptr_t)p), (uintptr_t)p);
}

void heap_debug_resize(const struct heap_debug *d, void *p, size_t size)
{
	struct block_hdr *h = hdr_of((uintptr_t)p);

	(void)d;
	h->requested = (uint32_t)size;
	guard_apply((unsigned char *)p + size, (uintptr_t)p, DEBUG_GUARD_SIZE, false);
}

size_t heap_debug_requested(const struct heap_debug *d, const void *p)
{
	(void)d;
	return hdr_of((uintptr_t)p)->requested;
}

enum heap_refusal heap_debug_free(const struct heap_debug *d, void *p, size_t *usable)
{
	struct block_hdr *h;
	enum heap_refusal r = debug_find(d, p, &h);
	enum heap_free_result freed;

	if (r != HEAP_REFUSED_NONE)
		return r;
	*usable = h->requested;
	h->tag = hdr_tag(TAG_FREED, (uintptr_t)p);
	freed = d->algo->free(d->inst, (unsigned char *)p - h->offset, NULL);
	return freed == HEAP_FREE_OK ? HEAP_REFUSED_NONE : (enum heap_refusal)freed;
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

/* What a validation walk has found so far. */
struct walk_audit {
	unsigned problems;
	unsigned long blocks;
	size_t usable;		/* usable bytes of the used blocks */
	size_t reserved;	/* bytes the used blocks span */
	char *first;		/* description of the first problem, or NULL */
	size_t len;
};

/* Count a problem; describe it if it is the first one. */
static __printf(2, 3) void walk_note(struct walk_audit *a, const char *fmt, ...)
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
static const struct block_hdr *audit_header(struct walk_audit *a, uintptr_t b, uintptr_t end,
					    uintptr_t *payload)
{
	const struct block_hdr *h = (const struct block_hdr *)b;
	uintptr_t p = b + DEBUG_PREFIX;

	if (p > end) {
		walk_note(a, "block 0x%lx is too small for a header", (unsigned long)b);
		return NULL;
	}
	if (h->tag == hdr_tag(TAG_PAD, p)) {
		if (!IS_POWER_OF_2(h->offset) || h->offset <= DEBUG_PREFIX ||
		    h->offset > KMALLOC_MAX_ALIGN || h->offset > end - b) {
			walk_note(a, "pad of block 0x%lx has a bad offset %u",
				   (unsigned long)b, h->offset);
			return NULL;
		}
		p = b + h->offset;
		h = hdr_of(p);
	}
	if (h->tag != hdr_tag(TAG_LIVE, p) || (uintptr_t)h - h->offset + DEBUG_PREFIX != b) {
		walk_note(a, "used block 0x%lx has no live header", (unsigned long)b);
		return NULL;
	}
	*payload = p;
	return h;
}

/* Check the debug layout of one used block [start, end). */
static void audit_debug_block(const struct heap_debug *d, struct walk_audit *a,
			      uintptr_t start, uintptr_t end)
{
	const struct block_hdr *h;
	uintptr_t payload;

	h = audit_header(a, ALIGN_UP(start, KMALLOC_MIN_ALIGN), end, &payload);
	if (!h)
		return;
	if ((size_t)h->requested + DEBUG_GUARD_SIZE > end - payload)
		walk_note(a, "block 0x%lx claims %u bytes, more than it has",
			   (unsigned long)payload, h->requested);
	else if (!guard_front_intact(payload))
		walk_note(a, "overrun before block 0x%lx", (unsigned long)payload);
	else if (!guard_tail_intact(payload, h->requested))
		walk_note(a, "overrun after block 0x%lx", (unsigned long)payload);
	else if (!hdr_offset_sane(d, h, payload))
		walk_note(a, "header of block 0x%lx is corrupt", (unsigned long)payload);
	else
		a->usable += h->requested;
}

/* What block_audit() needs: the region, and the tally it adds to. */
struct audit_walk {
	const struct heap_debug *d;
	struct walk_audit *a;
};

/* heap_walk_fn: check one block the algorithm reports. */
static void block_audit(void *arg, enum heap_block_kind kind, size_t offset, size_t size)
{
	const struct audit_walk *w = arg;
	struct walk_audit *a = w->a;
	uintptr_t start = w->d->base + offset;

	if (kind != HEAP_BLOCK_USED)
		return;
	a->blocks++;
	a->reserved += size;
	if (offset > w->d->size || size > w->d->size - offset) {
		walk_note(a, "block at +0x%zx (%zu bytes) runs past the heap", offset, size);
		return;
	}
	if (IS_ENABLED(CONFIG_DEBUG_HEAP))
		audit_debug_block(w->d, a, start, start + size);
}

unsigned heap_debug_validate(const struct heap_debug *d, unsigned long live, size_t used,
			     char *first, size_t len)
{
	struct walk_audit a = { .first = first, .len = len };
	struct audit_walk w = { .d = d, .a = &a };
	char what[120];
	struct audit algo_audit = AUDIT_INIT(what);
	unsigned n = d->algo->validate(d->inst, &algo_audit);
	struct heap_algo_space space;

	if (first && len)
		first[0] = '\0';
	if (n) {
		walk_note(&a, "%s: %s", d->algo->name, audit_first(&algo_audit));
		return n;	/* the walk cannot be trusted */
	}
	d->algo->walk(d->inst, block_audit, &w);
	if (a.blocks != live)
		walk_note(&a, "%lu live blocks, counters say %lu", a.blocks, live);
	if (IS_ENABLED(CONFIG_DEBUG_HEAP) && a.usable != used)
		walk_note(&a, "live blocks add up to %zu usable bytes, the counter says %zu",
			   a.usable, used);
	d->algo->space(d->inst, &space);
	if (a.reserved != d->size - space.meta - space.free)
		walk_note(&a, "used blocks span %zu bytes, space() leaves %zu", a.reserved,
			   d->size - space.meta - space.free);
	return a.problems;
}
