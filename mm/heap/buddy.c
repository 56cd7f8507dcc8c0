// SPDX-License-Identifier: MIT
/*
 * Buddy heap: power-of-two blocks, split on alloc and merged with their buddy
 * on free, with a small per-order cache of unmerged blocks that lets most
 * small allocations and frees skip splitting and merging altogether.
 *
 * Units and orders. The region is cut into units of HEAP_BUDDY_MIN_BLOCK
 * bytes, counted from an origin: the region base rounded down to 4096 (and
 * to the span of a bitmap word, 64 units, when that is larger).
 * A block of order k is 2^k units starting at a unit index that is a multiple
 * of 2^k, so its address is aligned to min(block size, 4096) whatever the
 * alignment of the base: any alignment up to 4096 is honoured. The region is
 * covered with maximal aligned blocks ("roots"), so a region whose size is
 * not a power of two is still used whole. An allocation takes a whole block
 * of order ceil(log2(units)); there are no headers on allocated blocks.
 *
 * Block states. Every block start carries two bits in the side bitmaps
 * (interleaved per 64 units, so one index reaches both words):
 *   used=1 free=0  USED    an allocation
 *   used=0 free=1  FREE    on free_list[order], fully merged with its buddies
 *   used=1 free=1  CACHED  freed but not merged, on cache[order]
 *   used=0 free=0          not a block start (the inside of a block)
 * A free bit at end_unit is a sentinel, so every block is followed by a
 * start bit (and free() refuses end_unit like any FREE block start). A
 * block's size is then the distance to the next start bit: one shift and
 * ctz within its bitmap word for blocks of fewer than 64 units. Blocks of 64
 * units or more start a word of their own and record their order in
 * big_order[] (one byte per 64 units) when they are allocated. Side
 * metadata: 2 bits per unit plus one byte per 64 units.
 *
 * A FREE block holds its list links in its first 16 bytes and, when it has
 * at least two units, its order in the word after them, so the buddy test
 * when merging is a few bit tests plus one compare: a FREE buddy of order k
 * has no block start in its second unit (else it is of order 0, and has no
 * order word) and k in its order word. A CACHED block holds a next pointer and the
 * room left in its cache (see struct cached_hdr).
 *
 * The cache (lazy merging). free() pushes a block of up to CACHE_MAX_BYTES
 * on cache[order] while that cache has room (CACHE_DEPTH blocks, fewer on
 * small heaps), touching one bitmap word and the cache head; alloc() pops
 * cache[order] first. Only when the cache is empty or full do the classic
 * paths run: take the smallest FREE block and split it, or merge the freed
 * block with its FREE buddies. CACHED blocks never merge while cached, so
 * FREE blocks stay fully merged and double frees of cached blocks are seen
 * in the bitmap. The cache is drained (every block merged as a normal free)
 * when an alloc finds no FREE block large enough, and by space(): so an
 * allocation fails only when the merged heap has no block for it, and once
 * everything is freed space() reports the initial figures again. A drain
 * costs one merge per cached block: at most CACHE_DEPTH per cached order,
 * paid only by an allocation that would otherwise fail.
 *
 * The inline paths of alloc() and free() handle only cache hits on an
 * unpoisoned heap and call out for everything else (fast_max and fast_span
 * are 0 on a poisoned heap, so poisoning costs the fast paths nothing).
 */
#include <lib/bitops.h>
#include <lib/list.h>
#include <lib/string.h>
#include <mm/heap_algo.h>
#include <mmlab/kconfig.h>

#ifndef HEAP_BUDDY_MIN_BLOCK
#ifdef CONFIG_HEAP_BUDDY_MIN_BLOCK
#define HEAP_BUDDY_MIN_BLOCK	CONFIG_HEAP_BUDDY_MIN_BLOCK
#else
#define HEAP_BUDDY_MIN_BLOCK	16
#endif
#endif

/* ------------------------------------------------------------------ */
/* Constants and layout                                                */
/* ------------------------------------------------------------------ */

#define UNIT		((uintptr_t)HEAP_BUDDY_MIN_BLOCK)
#define UNIT_SHIFT	((unsigned)__builtin_ctzl(UNIT))
/* Unit numbering starts at a multiple of 4096 (the largest alignment promised)
 * and of a bitmap word's span, so addresses map to words without the origin. */
#define ORIGIN_ALIGN	MAX((uintptr_t)4096, BITS_PER_LONG * UNIT)
#define BUDDY_ORDERS	32			/* orders 0..31: 32 GiB of 16 B units */
#define WORD_UNITS	BITS_PER_LONG		/* units per bitmap word */
#define BIG_ORDER	6			/* log2(WORD_UNITS): orders in big_order[] */

/* Blocks up to this size are cached unmerged, at most CACHE_DEPTH per order. */
#define CACHE_MAX_BYTES	2048
#define CACHE_ORDERS	(__builtin_ctzl(CACHE_MAX_BYTES / HEAP_BUDDY_MIN_BLOCK) + 1)
#define CACHE_DEPTH	32

/* The two state bits of 64 units. */
struct unit_bits {
	unsigned long used;
	unsigned long free;
};

/* In-band header of a FREE block; @order is stored only in blocks of >= 2 units. */
struct free_hdr {
	struct list_head link;
	unsigned long order;
};

/*
 * In-band header of a CACHED block, and the head of each cache: a circular
 * stack whose head's @next is the top (the head itself when empty) and
 * whose @room is how many more blocks may be pushed: the head holds the
 * limit, each block the room left once it was pushed. Push and pop then
 * touch only the head and the block, with no counter to keep.
 */
struct cached_hdr {
	struct cached_hdr *next;
	unsigned long room;
};

struct buddy_heap {
	struct cached_hdr cache[BUDDY_ORDERS];	/* heads (first: the hot field); */
						/* room 0 above CACHE_ORDERS */
	uintptr_t origin;		/* base rounded down to ORIGIN_ALIGN */
	uintptr_t base;			/* region given to init */
	size_t size;
	size_t first_unit;		/* managed units are [first_unit, end_unit) */
	size_t end_unit;
	size_t free_units;		/* units in FREE blocks (CACHED ones not included) */
	unsigned max_order;		/* largest root order */
	unsigned flags;			/* HEAP_ALGO_* */
	size_t fast_max;		/* alloc sizes the inline path takes: 0 if poisoned */
	size_t fast_span;		/* free offsets the inline path takes: 0 if poisoned */
	unsigned long nonempty;		/* bit k: free_list[k] is not empty */
	struct unit_bits *bits;		/* [end_unit / 64 + 1] */
	uintptr_t bits_bias;		/* bits - origin's word index, as an address */
	uint8_t *big_order;		/* [end_unit / 64 + 1] */
	struct list_head free_list[BUDDY_ORDERS];
};

BUILD_BUG_ON(!IS_POWER_OF_2(HEAP_BUDDY_MIN_BLOCK));
BUILD_BUG_ON(HEAP_BUDDY_MIN_BLOCK < sizeof(struct list_head));
BUILD_BUG_ON(HEAP_BUDDY_MIN_BLOCK > 4096);
BUILD_BUG_ON(HEAP_BUDDY_MIN_BLOCK > CACHE_MAX_BYTES);
BUILD_BUG_ON(BUDDY_ORDERS > BITS_PER_LONG);
BUILD_BUG_ON(BIT(BIG_ORDER) != WORD_UNITS);
BUILD_BUG_ON(sizeof(struct free_hdr) > 2 * sizeof(struct list_head));
BUILD_BUG_ON(sizeof(struct cached_hdr) > HEAP_BUDDY_MIN_BLOCK);

/* ------------------------------------------------------------------ */
/* Accessors                                                           */
/* ------------------------------------------------------------------ */

static inline size_t unit_of(const struct buddy_heap *h, const void *p)
{
	return ((uintptr_t)p - h->origin) >> UNIT_SHIFT;
}

static inline void *unit_addr(const struct buddy_heap *h, size_t u)
{
	return (void *)(h->origin + (u << UNIT_SHIFT));
}

static inline struct free_hdr *unit_hdr(const struct buddy_heap *h, size_t u)
{
	return unit_addr(h, u);
}

/* The state words of unit @u and its bit in them. */
static inline struct unit_bits *unit_word(const struct buddy_heap *h, size_t u)
{
	return &h->bits[u / WORD_UNITS];
}

static inline unsigned long unit_bit(size_t u)
{
	return BIT(u % WORD_UNITS);
}

/* The state words and bit of the unit at address @a, without its index. */
static inline struct unit_bits *addr_word(const struct buddy_heap *h, uintptr_t a)
{
	return (struct unit_bits *)(h->bits_bias +
				    (a >> (UNIT_SHIFT + BIG_ORDER)) * sizeof(struct unit_bits));
}

static inline unsigned long addr_bit(uintptr_t a)
{
	return BIT((a >> UNIT_SHIFT) % WORD_UNITS);
}

/* Units per block of order @k. */
static inline size_t order_units(unsigned k)
{
	return (size_t)1 << k;
}

/*
 * Smallest order whose blocks hold @size bytes (size >= 1): the bit length
 * of (size - 1) / UNIT, computed as the top bit of twice that plus one so
 * that no branch is needed for zero.
 */
static inline size_t order_for_size(size_t size)
{
	return (BITS_PER_LONG - 1) ^ (size_t)__builtin_clzl(((size - 1) >> (UNIT_SHIFT - 1)) | 1);
}

/*
 * Units of the USED or CACHED block at address @a (@w its state words): the
 * distance to the next start bit in the word, or big_order[] for a block
 * that fills its word.
 */
static inline size_t busy_block_units(const struct buddy_heap *h, uintptr_t a,
				      const struct unit_bits *w)
{
	size_t b = (a >> UNIT_SHIFT) % WORD_UNITS;
	unsigned long after = ((w->used | w->free) >> b) >> 1;	/* starts after unit b */

	if (likely(after))
		return (size_t)__builtin_ctzl(after) + 1;
	if (b)
		return WORD_UNITS - b;	/* the block ends at the end of the word */
	return order_units(h->big_order[w - h->bits]);
}

/*
 * First block start after unit @u, or end_unit: scans the bitmap, so it
 * trusts no in-band data (used by the debug and error paths).
 */
static size_t start_next(const struct buddy_heap *h, size_t u)
{
	size_t i = u / WORD_UNITS, last = h->end_unit / WORD_UNITS;
	unsigned long w = (h->bits[i].used | h->bits[i].free) & (~1UL << (u % WORD_UNITS));

	while (!w) {
		if (++i > last)
			return h->end_unit;
		w = h->bits[i].used | h->bits[i].free;
	}
	return MIN(i * WORD_UNITS + word_ffs(w), h->end_unit);
}

/* ------------------------------------------------------------------ */
/* Poisoning                                                           */
/* ------------------------------------------------------------------ */

static inline bool heap_poisoned(const struct buddy_heap *h)
{
	return h->flags & HEAP_ALGO_POISON;
}

/* Header bytes of a free block of @bytes bytes (exempt from poison). */
static inline size_t hdr_bytes(size_t bytes)
{
	return MIN(sizeof(struct free_hdr), bytes);
}

/* Poison the whole block (u, k) (a header written later replaces its part). */
static void block_poison(struct buddy_heap *h, size_t u, unsigned k)
{
	if (heap_poisoned(h))
		heap_poison_fill(unit_addr(h, u), order_units(k) << UNIT_SHIFT);
}

/* Panic if the block at @p of order @k, about to be handed out, was written. */
static void block_poison_check(const struct buddy_heap *h, const void *p, unsigned k)
{
	size_t bytes = order_units(k) << UNIT_SHIFT, skip = hdr_bytes(bytes);

	(void)h;
	heap_poison_check("heap_buddy", (const char *)p + skip, bytes - skip);
}

/* ------------------------------------------------------------------ */
/* Free lists                                                          */
/* ------------------------------------------------------------------ */

/* Make (u, k) a FREE block: header, free bit, list and non-empty bit. */
static inline void free_push(struct buddy_heap *h, size_t u, unsigned k)
{
	struct free_hdr *f = unit_hdr(h, u);

	list_add(&f->link, &h->free_list[k]);
	if (k)
		f->order = k;
	unit_word(h, u)->free |= unit_bit(u);
	h->nonempty |= BIT(k);
}

/* Take the FREE block @f of order @k off its list (its bits are the caller's). */
static inline void free_unlink(struct buddy_heap *h, struct free_hdr *f, unsigned k)
{
	list_del(&f->link);
	if (list_empty(&h->free_list[k]))
		h->nonempty &= ~BIT(k);
}

/* ------------------------------------------------------------------ */
/* Core: split, merge, drain                                           */
/* ------------------------------------------------------------------ */

/*
 * Release the block (u, k), whose state bits the caller has cleared: merge
 * it with FREE buddies as far as possible and put the result on its list.
 */
static void block_release(struct buddy_heap *h, size_t u, unsigned k)
{
	size_t n = order_units(k);

	h->free_units += n;
	block_poison(h, u, k);
	for (;;) {
		size_t buddy = u ^ n;
		struct unit_bits *bw;
		unsigned long bb;
		struct free_hdr *f;

		if (buddy >= h->end_unit)
			break;
		bw = unit_word(h, buddy);
		bb = unit_bit(buddy);
		if (!(bw->free & ~bw->used & bb))
			break;		/* not a FREE block start */
		f = unit_hdr(h, buddy);
		if (k && (((bw->used | bw->free) & (bb << 1)) || f->order != k))
			break;		/* a smaller FREE block: of order 0 (it has no
					 * order word), or with a smaller order word */
		free_unlink(h, f, k);
		if (heap_poisoned(h))
			heap_poison_fill(unit_addr(h, MAX(u, buddy)), hdr_bytes(n << UNIT_SHIFT));
		bw->free &= ~bb;	/* the merged block gets its bit in free_push() */
		u &= ~n;
		n <<= 1;
		k++;
	}
	free_push(h, u, k);
}

/*
 * Merge every CACHED block as a normal free. Returns true when there was
 * one (an allocation that failed may now succeed).
 */
static bool cache_drain(struct buddy_heap *h)
{
	bool drained = false;
	unsigned k;

	for (k = 0; k < CACHE_ORDERS; k++) {
		struct cached_hdr *head = &h->cache[k];

		while (head->next != head) {
			struct cached_hdr *b = head->next;
			size_t u = unit_of(h, b);
			struct unit_bits *w = unit_word(h, u);

			head->next = b->next;
			w->used &= ~unit_bit(u);
			w->free &= ~unit_bit(u);
			block_release(h, u, k);
			drained = true;
		}
	}
	return drained;
}

/*
 * Take the smallest FREE block of order >= @k (draining the cache first if
 * there is none), split it down to @k and return it USED. Returns NULL, with
 * the heap unchanged but for a drained cache, when the merged heap has no
 * such block.
 */
static void *block_take(struct buddy_heap *h, unsigned k)
{
	unsigned long fits = h->nonempty & (~0UL << k);
	struct free_hdr *f;
	struct unit_bits *w;
	unsigned j;
	size_t u;

	if (unlikely(!fits)) {
		if (!cache_drain(h))
			return NULL;
		fits = h->nonempty & (~0UL << k);
		if (!fits)
			return NULL;
	}
	j = word_ffs(fits);
	f = list_entry(h->free_list[j].next, struct free_hdr, link);
	u = unit_of(h, f);
	free_unlink(h, f, j);
	while (j > k) {
		j--;
		free_push(h, u + order_units(j), j);
	}
	w = unit_word(h, u);
	w->free &= ~unit_bit(u);
	w->used |= unit_bit(u);
	if (k >= BIG_ORDER)
		h->big_order[u / WORD_UNITS] = (uint8_t)k;
	h->free_units -= order_units(k);
	if (heap_poisoned(h))
		block_poison_check(h, f, k);
	return f;
}

/* Hand out @b, the top of the cache @head: CACHED -> USED. */
static __always_inline void *cache_pop(struct buddy_heap *h, struct cached_hdr *head,
				       struct cached_hdr *b)
{
	head->next = b->next;
	addr_word(h, (uintptr_t)b)->free &= ~addr_bit((uintptr_t)b);
	return b;
}

/*
 * Keep the USED block @ptr unmerged on the cache @head, whose top @top has
 * @room > 0 left: USED -> CACHED.
 */
static __always_inline void cache_push(struct buddy_heap *h, struct cached_hdr *head,
				       struct cached_hdr *top, unsigned long room, void *ptr)
{
	struct cached_hdr *b = ptr;

	b->next = top;
	b->room = room - 1;
	head->next = b;
	addr_word(h, (uintptr_t)b)->free |= addr_bit((uintptr_t)b);
}

/*
 * alloc() when the inline path cannot pop a cached block: the cache is
 * empty, the request is large, or the heap is poisoned.
 */
static __attribute__((noinline)) void *alloc_slow(struct buddy_heap *h, size_t size, size_t align)
{
	unsigned k;

	if (size > h->size)
		return NULL;	/* also keeps the order below BUDDY_ORDERS */
	k = order_for_size(size);
	if (align > UNIT)
		k = MAX(k, word_ffs(align) - UNIT_SHIFT);
	if (k > h->max_order)
		return NULL;
	if (h->cache[k].next != &h->cache[k]) {
		void *p = cache_pop(h, &h->cache[k], h->cache[k].next);

		if (heap_poisoned(h))
			block_poison_check(h, p, k);
		return p;
	}
	return block_take(h, k);
}

/*
 * free() of the USED block (u, k) at @ptr when the inline path cannot cache
 * it. Returns HEAP_FREE_OK (so that free() can end in a tail call).
 */
static __attribute__((noinline)) enum heap_free_result free_slow(struct buddy_heap *h, void *ptr,
								 size_t u, unsigned k)
{
	struct cached_hdr *head = &h->cache[k], *top = head->next;

	if (top->room) {
		block_poison(h, u, k);
		cache_push(h, head, top, top->room, ptr);
	} else {
		unit_word(h, u)->used &= ~unit_bit(u);
		block_release(h, u, k);
	}
	return HEAP_FREE_OK;
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

/* Cover [first, end) with maximal aligned blocks of order <= max and free them. */
static void roots_create(struct buddy_heap *h)
{
	size_t u = h->first_unit;

	while (u < h->end_unit) {
		unsigned k = MIN(word_ffs(u), h->max_order);

		while (u + order_units(k) > h->end_unit)
			k--;
		h->free_units += order_units(k);
		free_push(h, u, k);
		u += order_units(k);
	}
}

/* ------------------------------------------------------------------ */
/* Public operations                                                   */
/* ------------------------------------------------------------------ */

/*
 * buddy_init - lay out the instance, the bitmaps and the roots in
 * [base, base + size). Returns the instance (at @base) or NULL when the
 * region cannot hold the metadata and at least one block.
 */
static void *buddy_init(void *base, size_t size, unsigned flags)
{
	struct buddy_heap *h = base;
	uintptr_t origin = ALIGN_DOWN((uintptr_t)base, ORIGIN_ALIGN);
	uintptr_t end = (uintptr_t)base + size;
	uintptr_t meta;
	size_t end_unit, words, managed;
	unsigned k;

	if (size < sizeof(*h) + 4 * UNIT || end < (uintptr_t)base)
		return NULL;
	end_unit = (end - origin) >> UNIT_SHIFT;
	if (end_unit >> (BUDDY_ORDERS - 2))
		return NULL;	/* orders (and order_for_size(size)) would not fit the lists */
	words = end_unit / WORD_UNITS + 1;	/* room for the sentinel bit */

	memset(h, 0, sizeof(*h));
	h->origin = origin;
	h->base = (uintptr_t)base;
	h->size = size;
	h->flags = flags;
	h->end_unit = end_unit;
	meta = ALIGN_UP((uintptr_t)(h + 1), sizeof(struct unit_bits));
	h->bits = (struct unit_bits *)meta;
	h->bits_bias = meta - (origin >> (UNIT_SHIFT + BIG_ORDER)) * sizeof(struct unit_bits);
	h->big_order = (uint8_t *)(h->bits + words);
	meta = ALIGN_UP((uintptr_t)(h->big_order + words), UNIT);
	if (meta >= end || end - meta < UNIT)
		return NULL;
	h->first_unit = (meta - origin) >> UNIT_SHIFT;
	managed = end_unit - h->first_unit;
	h->max_order = ilog2_floor(managed);
	if (!heap_poisoned(h)) {
		h->fast_max = order_units(h->max_order) << UNIT_SHIFT;
		h->fast_span = size;
	}

	memset(h->bits, 0, words * sizeof(*h->bits));
	memset(h->big_order, 0, words);
	unit_word(h, end_unit)->free |= unit_bit(end_unit);	/* sentinel */
	for (k = 0; k < BUDDY_ORDERS; k++)
		list_init(&h->free_list[k]);
	/* Each order may hold back CACHE_DEPTH blocks, but no more than 1/64 of the heap. */
	for (k = 0; k < BUDDY_ORDERS; k++) {
		h->cache[k].next = &h->cache[k];
		h->cache[k].room = k < CACHE_ORDERS ? MIN((size_t)CACHE_DEPTH, (managed / 64) >> k) : 0;
	}
	if (heap_poisoned(h))
		heap_poison_fill(unit_addr(h, h->first_unit), managed << UNIT_SHIFT);
	roots_create(h);
	return h;
}

/*
 * buddy_alloc - a block of order ceil(log2(units)) (at least log2 of the
 * alignment in units): popped from the cache of that order when it has one,
 * else split from the smallest FREE block. Returns NULL when the heap, with
 * the cache merged back, has no free block that large.
 */
static void *buddy_alloc(void *heap, size_t size, size_t align, size_t *usable)
{
	struct buddy_heap *h = heap;
	void *p;

	if (likely(size <= h->fast_max)) {
		size_t k = order_for_size(size);
		struct cached_hdr *head, *b;

		if (unlikely(align > UNIT))
			k = MAX(k, (size_t)word_ffs(align) - UNIT_SHIFT);
		head = &h->cache[k];
		b = head->next;
		if (likely(b != head)) {
			if (usable)
				*usable = order_units(k) << UNIT_SHIFT;
			return cache_pop(h, head, b);
		}
	}
	p = alloc_slow(h, size, align);
	if (p && usable)
		*usable = busy_block_units(h, (uintptr_t)p, addr_word(h, (uintptr_t)p)) << UNIT_SHIFT;
	return p;
}

/*
 * Classify a pointer that is not the start of a USED block: DOUBLE when it
 * is unit-aligned and inside a FREE or CACHED block, NOT_BLOCK otherwise.
 * The block holding unit u starts at u rounded down to its order, so the
 * first such rounding that hits a block start finds it.
 */
static __attribute__((noinline)) enum heap_free_result free_refused(const struct buddy_heap *h,
								     uintptr_t a)
{
	size_t u = unit_of(h, (void *)a);
	unsigned j;

	if ((a & (UNIT - 1)) || u < h->first_unit || u >= h->end_unit)
		return HEAP_FREE_NOT_BLOCK;
	for (j = 0; j <= h->max_order; j++) {
		size_t s = u & ~(order_units(j) - 1);
		const struct unit_bits *w = unit_word(h, s);

		if (s < h->first_unit)
			break;
		if ((w->used | w->free) & unit_bit(s))
			return (w->free & unit_bit(s)) ? HEAP_FREE_DOUBLE : HEAP_FREE_NOT_BLOCK;
	}
	return HEAP_FREE_NOT_BLOCK;
}

/* free() of a pointer the inline path does not take: foreign, or a poisoned heap. */
static __attribute__((noinline)) enum heap_free_result free_checked(struct buddy_heap *h, void *ptr,
								     size_t *usable)
{
	uintptr_t a = (uintptr_t)ptr;
	struct unit_bits *w;
	size_t u;

	if (a - h->base >= h->size)
		return HEAP_FREE_FOREIGN;
	u = unit_of(h, ptr);
	w = unit_word(h, u);
	if ((a & (UNIT - 1)) || u >= h->end_unit || !(w->used & ~w->free & unit_bit(u)))
		return free_refused(h, a);
	if (usable)
		*usable = busy_block_units(h, a, w) << UNIT_SHIFT;
	return free_slow(h, ptr, u, word_ffs(busy_block_units(h, a, w)));
}

/*
 * buddy_free - release the allocation at @ptr: push it on its order's cache,
 * or merge it when that cache is full. A unit-aligned pointer into free
 * space is HEAP_FREE_DOUBLE, any other pointer that is not the start of a
 * live allocation HEAP_FREE_NOT_BLOCK; neither changes anything.
 */
static enum heap_free_result buddy_free(void *heap, void *ptr, size_t *usable)
{
	struct buddy_heap *h = heap;
	uintptr_t a = (uintptr_t)ptr;
	struct cached_hdr *head, *top;
	struct unit_bits *w;
	size_t k;

	if (unlikely(a - h->base >= h->fast_span))
		return free_checked(h, ptr, usable);
	w = addr_word(h, a);
	if (unlikely((a & (UNIT - 1)) || !(w->used & ~w->free & addr_bit(a))))
		return free_refused(h, a);	/* the sentinel at end_unit is FREE */
	k = word_ffs(busy_block_units(h, a, w));
	if (usable)
		*usable = order_units(k) << UNIT_SHIFT;
	head = &h->cache[k];
	top = head->next;
	if (likely(top->room)) {
		cache_push(h, head, top, top->room, ptr);
		return HEAP_FREE_OK;
	}
	return free_slow(h, ptr, unit_of(h, ptr), k);
}

/*
 * buddy_usable_size - the block size of the live allocation at @ptr, or 0
 * when @ptr is not the start of one (the checks of buddy_free()).
 */
static size_t buddy_usable_size(void *heap, void *ptr)
{
	struct buddy_heap *h = heap;
	uintptr_t a = (uintptr_t)ptr;
	struct unit_bits *w;
	size_t u;

	if (a - h->base >= h->size || (a & (UNIT - 1)))
		return 0;
	u = unit_of(h, ptr);
	if (u < h->first_unit || u >= h->end_unit)
		return 0;
	w = unit_word(h, u);
	if (!(w->used & ~w->free & unit_bit(u)))
		return 0;
	return busy_block_units(h, a, w) << UNIT_SHIFT;
}

/*
 * buddy_space - region, metadata and free figures. Drains the cache first,
 * so largest_free is exact; O(cached blocks).
 */
static void buddy_space(void *heap, struct heap_algo_space *out)
{
	struct buddy_heap *h = heap;
	size_t managed = (h->end_unit - h->first_unit) << UNIT_SHIFT;

	cache_drain(h);
	out->region = h->size;
	out->meta = h->size - managed;
	out->free = h->free_units << UNIT_SHIFT;
	out->largest_free = h->nonempty ?
		order_units(word_fls(h->nonempty)) << UNIT_SHIFT : 0;
}

/* ------------------------------------------------------------------ */
/* Debug: walk and validate                                            */
/* ------------------------------------------------------------------ */

/* buddy_walk - metadata, then every block (CACHED ones as free), then the tail. */
static void buddy_walk(void *heap, heap_walk_fn fn, void *arg)
{
	struct buddy_heap *h = heap;
	uintptr_t first = (uintptr_t)unit_addr(h, h->first_unit);
	uintptr_t end = (uintptr_t)unit_addr(h, h->end_unit);
	size_t u = h->first_unit;

	fn(arg, HEAP_BLOCK_META, 0, first - h->base);
	while (u < h->end_unit) {
		size_t next = start_next(h, u);
		bool is_free = unit_word(h, u)->free & unit_bit(u);

		fn(arg, is_free ? HEAP_BLOCK_FREE : HEAP_BLOCK_USED,
		   (uintptr_t)unit_addr(h, u) - h->base, (next - u) << UNIT_SHIFT);
		u = next;
	}
	if (end < h->base + h->size)
		fn(arg, HEAP_BLOCK_META, end - h->base, h->base + h->size - end);
}

/* Tallies of one validate() pass. */
struct buddy_tally {
	size_t free_units, free_blocks, cached_blocks;
	size_t list_units, list_blocks, cache_blocks;
};

/* True when (u, k) is a block of the region whose start bits say @used/@free. */
static bool block_is(const struct buddy_heap *h, size_t u, unsigned k, bool used, bool free)
{
	const struct unit_bits *w = unit_word(h, u);

	return u >= h->first_unit && u < h->end_unit && !(u & (order_units(k) - 1)) &&
	       !!(w->used & unit_bit(u)) == used && !!(w->free & unit_bit(u)) == free &&
	       start_next(h, u) - u == order_units(k);
}

/* True when @p may be followed: a unit-aligned address of a managed unit. */
static bool node_in_heap(const struct buddy_heap *h, const void *p)
{
	uintptr_t a = (uintptr_t)p;

	return a >= (uintptr_t)unit_addr(h, h->first_unit) &&
	       a < (uintptr_t)unit_addr(h, h->end_unit) && !(a & (UNIT - 1));
}

/* Number of problems in free list @k. */
static unsigned free_list_check(const struct buddy_heap *h, unsigned k, struct buddy_tally *t)
{
	const struct list_head *head = &h->free_list[k], *prev = head, *pos;
	size_t limit = ((h->end_unit - h->first_unit) >> k) + 1, seen = 0;
	unsigned problems = 0;

	for (pos = head->next; pos != head; prev = pos, pos = pos->next) {
		size_t u = unit_of(h, pos);

		if (!node_in_heap(h, pos) || ++seen > limit)
			return problems + 1;	/* cannot follow it further */
		if (pos->prev != prev || !block_is(h, u, k, false, true))
			problems++;
		else if (k && ((const struct free_hdr *)pos)->order != k)
			problems++;
		t->list_units += order_units(k);
	}
	t->list_blocks += seen;
	if (head->prev != prev)
		problems++;
	if (!list_empty(head) != !!(h->nonempty & BIT(k)))
		problems++;
	return problems;
}

/* Number of problems in cache @k. */
static unsigned cache_check(const struct buddy_heap *h, unsigned k, struct buddy_tally *t)
{
	const struct cached_hdr *head = &h->cache[k], *b;
	size_t limit = head->room, seen = 0;
	unsigned problems = 0;

	if (limit > (k < CACHE_ORDERS ? CACHE_DEPTH : 0))
		return 1;
	for (b = head->next; b != head; b = b->next) {
		if (!node_in_heap(h, b) || ++seen > limit)
			return problems + 1;
		if (!block_is(h, unit_of(h, b), k, true, true))
			problems++;
		if (b->next != head && !node_in_heap(h, b->next))
			return problems + 1;
		if (b->room != (b->next == head ? limit : b->next->room) - 1)
			problems++;
	}
	t->cache_blocks += seen;
	return problems;
}

/* Number of problems in the block (u, n) met by the address-order walk. */
static unsigned block_check(const struct buddy_heap *h, size_t u, size_t n, struct buddy_tally *t)
{
	const struct unit_bits *w = unit_word(h, u);
	bool used = w->used & unit_bit(u), free = w->free & unit_bit(u);
	unsigned k = word_ffs(n);

	if (!used && !free)
		return 1;	/* the walk starts at first_unit, which must start a block */
	if (!IS_POWER_OF_2(n) || (u & (n - 1)))
		return 1;
	if (used && n >= WORD_UNITS && h->big_order[u / WORD_UNITS] != k)
		return 1;
	if (used) {
		t->cached_blocks += free;
		return 0;
	}
	t->free_units += n;
	t->free_blocks++;
	if (k < h->max_order && (u ^ n) >= h->first_unit && (u ^ n) < h->end_unit &&
	    block_is(h, u ^ n, k, false, true))
		return 1;	/* two FREE buddies left unmerged */
	return 0;
}

/* True when the fields validate() relies on point inside the metadata area. */
static bool instance_sane(const struct buddy_heap *h)
{
	uintptr_t lo = (uintptr_t)(h + 1), hi;
	size_t words;

	if (h->base != (uintptr_t)h || h->origin != ALIGN_DOWN(h->base, ORIGIN_ALIGN) ||
	    h->first_unit >= h->end_unit || h->max_order >= BUDDY_ORDERS ||
	    (h->end_unit >> (BUDDY_ORDERS - 2)) ||
	    (uintptr_t)unit_addr(h, h->end_unit) > h->base + h->size)
		return false;
	words = h->end_unit / WORD_UNITS + 1;
	hi = (uintptr_t)unit_addr(h, h->first_unit);
	return (uintptr_t)h->bits >= lo && (uintptr_t)(h->bits + words) <= hi &&
	       (uintptr_t)h->big_order >= lo && (uintptr_t)(h->big_order + words) <= hi;
}

/* Number of start bits outside the managed units, or a missing sentinel. */
static unsigned stray_bits_check(const struct buddy_heap *h)
{
	size_t last = h->end_unit / WORD_UNITS, i;
	unsigned long below = BIT(h->first_unit % WORD_UNITS) - 1;
	unsigned long above = ~(unit_bit(h->end_unit) - 1);
	unsigned problems = 0;

	for (i = 0; i < h->first_unit / WORD_UNITS; i++)
		problems += (h->bits[i].used | h->bits[i].free) != 0;
	if ((h->bits[i].used | h->bits[i].free) & below)
		problems++;
	if ((h->bits[last].free & above) != unit_bit(h->end_unit) ||
	    (h->bits[last].used & above))
		problems++;
	return problems;
}

/*
 * buddy_validate - check the instance fields, every free list and cache
 * against the bitmaps, and an address-order walk of all blocks (tiling,
 * alignment, recorded orders, missed merges). Returns the problem count.
 */
static unsigned buddy_validate(void *heap)
{
	struct buddy_heap *h = heap;
	struct buddy_tally t = { 0 };
	size_t u;
	unsigned problems = 0, k;

	if (!instance_sane(h))
		return 1;	/* the instance itself is corrupt: go no further */
	problems += stray_bits_check(h);
	for (k = 0; k <= h->max_order; k++)
		problems += free_list_check(h, k, &t);
	for (; k < BUDDY_ORDERS; k++)
		if (!list_empty(&h->free_list[k]) || (h->nonempty & BIT(k)))
			problems++;
	for (k = 0; k < BUDDY_ORDERS; k++)
		problems += cache_check(h, k, &t);
	for (u = h->first_unit; u < h->end_unit; ) {
		size_t next = start_next(h, u);

		problems += block_check(h, u, next - u, &t);
		u = next;
	}
	if (t.free_units != t.list_units || t.free_units != h->free_units ||
	    t.free_blocks != t.list_blocks || t.cached_blocks != t.cache_blocks)
		problems++;
	return problems;
}

HEAP_ALGO_REGISTER(buddy, {
	.name = "buddy",
	.init = buddy_init,
	.alloc = buddy_alloc,
	.free = buddy_free,
	.usable_size = buddy_usable_size,
	.reserved_size = buddy_usable_size,
	.space = buddy_space,
	.validate = buddy_validate,
	.walk = buddy_walk,
});
