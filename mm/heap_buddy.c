// SPDX-License-Identifier: MIT
/*
 * Buddy heap: power-of-two blocks, split on alloc and merged with their buddy
 * on free, both O(log n).
 *
 * Units and orders. The region is cut into units of HEAP_BUDDY_MIN_BLOCK
 * bytes, counted from an origin that is the region base rounded down to 4096.
 * A block of order k is 2^k units starting at a unit index that is a multiple
 * of 2^k, so its address is aligned to min(block size, 4096) whatever the
 * alignment of the base: any alignment up to 4096 is honoured (a poorly
 * aligned base only wastes the metadata bits of the units below it). The
 * region is covered with maximal blocks ("roots") of order <= max_order, so a
 * region whose size is not a power of two is still used whole.
 *
 * Metadata, carved from the start of the region after the instance struct,
 * is three bits per unit and no header on allocated blocks:
 *   split[m]  one bit per node of level m (m >= 1): the node of 2^m units is
 *             split into two halves. The order of the block holding unit u is
 *             the first level whose parent node is split, so it is found in
 *             (order + 1) bit tests, and a block start must be aligned to it.
 *             Nodes outside every root read as split.
 *   free_map  one bit per unit: a free block starts here.
 *   cont_map  one bit per unit: an allocated block starts here that continues
 *             the allocation ending just below it (see trimming).
 * The buddy of block (u, k) is (u ^ 2^k, k): it is free with the same order
 * when its free bit is set and its own node is not split. No list is scanned.
 * Free blocks sit on per-order lists (a struct list_head in the block) with a
 * word of "list not empty" bits, so alloc finds the smallest order with ctz.
 *
 * Trimming. Power-of-two rounding alone wastes a quarter of the heap on
 * average, so an allocation of L units takes a block of order ceil(log2 L)
 * and hands its unused tail back as smaller free buddies, as Linux does for
 * alloc_pages_exact(). The allocation then is a run of blocks of decreasing
 * order (the binary digits of L); all but the first carry a cont bit. Free
 * walks that run and releases the blocks last to first, so they merge back.
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
#define ORIGIN_ALIGN	((uintptr_t)4096)	/* largest alignment promised */
#define BUDDY_ORDERS	48			/* orders 0..47: far beyond any RAM */

BUILD_BUG_ON(!IS_POWER_OF_2(HEAP_BUDDY_MIN_BLOCK));
BUILD_BUG_ON(HEAP_BUDDY_MIN_BLOCK < sizeof(struct list_head));
BUILD_BUG_ON(HEAP_BUDDY_MIN_BLOCK > 4096);
BUILD_BUG_ON(BUDDY_ORDERS > BITS_PER_LONG);

struct buddy_heap {
	uintptr_t origin;		/* base rounded down to ORIGIN_ALIGN */
	uintptr_t base;			/* region given to init */
	size_t size;
	size_t first_unit;		/* managed units are [first_unit, end_unit) */
	size_t end_unit;
	size_t free_units;		/* units in free blocks */
	unsigned max_order;		/* largest root order */
	unsigned flags;			/* HEAP_ALGO_* */
	unsigned long nonempty;		/* bit k: free_list[k] is not empty */
	unsigned long *free_map;
	unsigned long *cont_map;
	unsigned long *split[BUDDY_ORDERS];	/* split[m] for m >= 1 */
	struct list_head free_list[BUDDY_ORDERS];
};

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

static inline struct list_head *unit_node(const struct buddy_heap *h, size_t u)
{
	return unit_addr(h, u);
}

static inline bool node_split(const struct buddy_heap *h, unsigned level, size_t u)
{
	return bitmap_test(h->split[level], u >> level);
}

static inline void set_node_split(struct buddy_heap *h, unsigned level, size_t u)
{
	bitmap_set_bit(h->split[level], u >> level);
}

static inline void clear_node_split(struct buddy_heap *h, unsigned level, size_t u)
{
	bitmap_clear_bit(h->split[level], u >> level);
}

static inline bool unit_free(const struct buddy_heap *h, size_t u)
{
	return bitmap_test(h->free_map, u);
}

static inline bool unit_cont(const struct buddy_heap *h, size_t u)
{
	return bitmap_test(h->cont_map, u);
}

/* Order of the block that holds managed unit @u (u need not be its start). */
static inline unsigned block_order(const struct buddy_heap *h, size_t u)
{
	unsigned k = 0;

	while (k < h->max_order && !node_split(h, k + 1, u))
		k++;
	return k;
}

/* Units per block of order @k. */
static inline size_t order_units(unsigned k)
{
	return (size_t)1 << k;
}

/* ------------------------------------------------------------------ */
/* Poisoning                                                           */
/* ------------------------------------------------------------------ */

static inline bool heap_poisoned(const struct buddy_heap *h)
{
	return h->flags & HEAP_ALGO_POISON;
}

/* Poison units [u, u + n) whole (a header written later replaces its part). */
static void range_poison(struct buddy_heap *h, size_t u, size_t n)
{
	if (heap_poisoned(h))
		heap_poison_fill(unit_addr(h, u), n << UNIT_SHIFT);
}

/* ------------------------------------------------------------------ */
/* Free lists                                                          */
/* ------------------------------------------------------------------ */

/* Put the block (u, k) on its free list; its node must already be a block. */
static void free_list_push(struct buddy_heap *h, size_t u, unsigned k)
{
	list_add(unit_node(h, u), &h->free_list[k]);
	bitmap_set_bit(h->free_map, u);
	h->nonempty |= BIT(k);
}

/* Take the free block (u, k) off its list. */
static void free_list_remove(struct buddy_heap *h, size_t u, unsigned k)
{
	list_del(unit_node(h, u));
	bitmap_clear_bit(h->free_map, u);
	if (list_empty(&h->free_list[k]))
		h->nonempty &= ~BIT(k);
}

/* ------------------------------------------------------------------ */
/* Core: split, trim, merge                                            */
/* ------------------------------------------------------------------ */

/* Split the block (u, from) down to order @to, freeing every upper half. */
static void block_split(struct buddy_heap *h, size_t u, unsigned from, unsigned to)
{
	while (from > to) {
		set_node_split(h, from, u);
		from--;
		free_list_push(h, u + order_units(from), from);
	}
}

/*
 * Keep the first @len units of the allocated block (u, k), len < 2^k, and
 * free the rest: descend the halves, marking kept upper halves as
 * continuations and freeing unneeded ones.
 */
static void block_trim(struct buddy_heap *h, size_t u, unsigned k, size_t len)
{
	while (len != order_units(k)) {
		size_t half = order_units(k - 1);

		set_node_split(h, k, u);
		k--;
		if (len > half) {
			bitmap_set_bit(h->cont_map, u + half);
			u += half;
			len -= half;
		} else {
			free_list_push(h, u + half, k);
		}
	}
}

/* Release the block (u, k), merging it with free buddies as far as possible. */
static void block_release(struct buddy_heap *h, size_t u, unsigned k)
{
	range_poison(h, u, order_units(k));
	while (k < h->max_order) {
		size_t buddy = u ^ order_units(k);

		if (buddy >= h->end_unit || !unit_free(h, buddy) ||
		    (k > 0 && node_split(h, k, buddy)))
			break;
		free_list_remove(h, buddy, k);
		if (heap_poisoned(h))
			heap_poison_fill(unit_node(h, MAX(u, buddy)), sizeof(struct list_head));
		k++;
		u &= ~(order_units(k) - 1);
		clear_node_split(h, k, u);
	}
	free_list_push(h, u, k);
}

/* Units in the allocation that starts at @u (a live, non-continuation block). */
static size_t alloc_units(const struct buddy_heap *h, size_t u)
{
	size_t len = 0;

	do {
		unsigned k = block_order(h, u);

		len += order_units(k);
		u += order_units(k);
	} while (u < h->end_unit && unit_cont(h, u));
	return len;
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

/* Cover [first, end) with maximal aligned blocks of order <= max and free them. */
static void roots_create(struct buddy_heap *h)
{
	size_t u = h->first_unit;

	while (u < h->end_unit) {
		unsigned k = u ? MIN(word_ffs(u), h->max_order) : h->max_order;
		unsigned m;

		while (u + order_units(k) > h->end_unit)
			k--;
		for (m = 1; m <= k; m++)
			bitmap_clear_range(h->split[m], u >> m, order_units(k - m));
		h->free_units += order_units(k);
		free_list_push(h, u, k);
		u += order_units(k);
	}
}

/* Bytes of the split bitmaps for @end units and orders up to @max. */
static size_t split_words(size_t end, unsigned level)
{
	return BITS_TO_LONGS(((end - 1) >> level) + 1);
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
	size_t end_unit, words;
	unsigned levels, m;

	if (size < sizeof(*h) + 4 * UNIT || end < (uintptr_t)base)
		return NULL;
	end_unit = (end - origin) >> UNIT_SHIFT;
	levels = MIN(ilog2_floor(end_unit), BUDDY_ORDERS - 1u);

	memset(h, 0, sizeof(*h));
	h->origin = origin;
	h->base = (uintptr_t)base;
	h->size = size;
	h->flags = flags;
	h->end_unit = end_unit;
	meta = ALIGN_UP((uintptr_t)(h + 1), sizeof(unsigned long));
	words = BITS_TO_LONGS(end_unit);
	h->free_map = (unsigned long *)meta;
	h->cont_map = h->free_map + words;
	meta = (uintptr_t)(h->cont_map + words);
	for (m = 1; m <= levels; m++) {
		h->split[m] = (unsigned long *)meta;
		meta += split_words(end_unit, m) * sizeof(unsigned long);
	}
	meta = ALIGN_UP(meta, UNIT);
	if (meta + UNIT > end)
		return NULL;
	h->first_unit = (meta - origin) >> UNIT_SHIFT;
	h->max_order = MIN(levels, ilog2_floor(end_unit - h->first_unit));

	memset(h->free_map, 0, 2 * words * sizeof(unsigned long));
	for (m = 1; m <= levels; m++)
		memset(h->split[m], 0xff, split_words(end_unit, m) * sizeof(unsigned long));
	for (m = 0; m < BUDDY_ORDERS; m++)
		list_init(&h->free_list[m]);
	range_poison(h, h->first_unit, end_unit - h->first_unit);
	roots_create(h);
	return h;
}

/*
 * buddy_alloc - take the smallest free block that fits ceil(size / unit)
 * units at @align, split it and trim its tail. Returns NULL (changing
 * nothing) when no free block is large enough.
 */
static void *buddy_alloc(void *heap, size_t size, size_t align)
{
	struct buddy_heap *h = heap;
	size_t len, u;
	unsigned k, found;
	unsigned long fits;

	if (size > h->size)
		return NULL;
	len = (size + UNIT - 1) >> UNIT_SHIFT;
	k = ilog2_ceil(len);
	if (align > UNIT)
		k = MAX(k, word_ffs(align) - UNIT_SHIFT);
	if (k > h->max_order)
		return NULL;
	fits = h->nonempty & (~0UL << k);
	if (!fits)
		return NULL;
	found = word_ffs(fits);
	u = unit_of(h, h->free_list[found].next);
	free_list_remove(h, u, found);
	block_split(h, u, found, k);
	if (len != order_units(k))
		block_trim(h, u, k, len);
	h->free_units -= len;
	if (heap_poisoned(h))
		heap_poison_check("heap_buddy", (char *)unit_addr(h, u) + sizeof(struct list_head),
				  (len << UNIT_SHIFT) - sizeof(struct list_head));
	return unit_addr(h, u);
}

/*
 * buddy_free - release the allocation at @ptr. A unit-aligned pointer into
 * free space is reported as HEAP_FREE_DOUBLE, any other pointer that is not
 * the start of a live allocation as HEAP_FREE_NOT_BLOCK.
 */
static enum heap_free_result buddy_free(void *heap, void *ptr)
{
	struct buddy_heap *h = heap;
	uintptr_t a = (uintptr_t)ptr;
	size_t u, len;
	unsigned k;

	if (a < h->base || a - h->base >= h->size)
		return HEAP_FREE_FOREIGN;
	u = unit_of(h, ptr);
	if ((a & (UNIT - 1)) || u < h->first_unit || u >= h->end_unit)
		return HEAP_FREE_NOT_BLOCK;
	k = block_order(h, u);
	if (unit_free(h, u & ~(order_units(k) - 1)))
		return HEAP_FREE_DOUBLE;
	if ((u & (order_units(k) - 1)) || unit_cont(h, u))
		return HEAP_FREE_NOT_BLOCK;

	len = alloc_units(h, u);
	h->free_units += len;
	while (len) {
		size_t last = len & -len;

		len -= last;
		if (len)
			bitmap_clear_bit(h->cont_map, u + len);
		block_release(h, u + len, word_ffs(last));
	}
	return HEAP_FREE_OK;
}

/* buddy_usable_size - the unit-rounded size of the live allocation at @ptr. */
static size_t buddy_usable_size(void *heap, void *ptr)
{
	struct buddy_heap *h = heap;

	return alloc_units(h, unit_of(h, ptr)) << UNIT_SHIFT;
}

/* buddy_space - region, metadata and free figures; O(1). */
static void buddy_space(void *heap, struct heap_algo_space *out)
{
	struct buddy_heap *h = heap;
	size_t managed = (h->end_unit - h->first_unit) << UNIT_SHIFT;

	out->region = h->size;
	out->meta = h->size - managed;
	out->free = h->free_units << UNIT_SHIFT;
	out->largest_free = h->nonempty ?
		order_units(word_fls(h->nonempty)) << UNIT_SHIFT : 0;
}

/* ------------------------------------------------------------------ */
/* Debug: walk and validate                                            */
/* ------------------------------------------------------------------ */

/* buddy_walk - metadata, then each free block or allocation, then the tail. */
static void buddy_walk(void *heap, heap_walk_fn fn, void *arg)
{
	struct buddy_heap *h = heap;
	uintptr_t first = (uintptr_t)unit_addr(h, h->first_unit);
	uintptr_t end = (uintptr_t)unit_addr(h, h->end_unit);
	size_t u = h->first_unit;

	fn(arg, HEAP_BLOCK_META, 0, first - h->base);
	while (u < h->end_unit) {
		size_t n = order_units(block_order(h, u));
		bool is_free = unit_free(h, u);

		if (!is_free)
			n = alloc_units(h, u);
		fn(arg, is_free ? HEAP_BLOCK_FREE : HEAP_BLOCK_USED,
		   (uintptr_t)unit_addr(h, u) - h->base, n << UNIT_SHIFT);
		u += n;
	}
	if (end < h->base + h->size)
		fn(arg, HEAP_BLOCK_META, end - h->base, h->base + h->size - end);
}

/* Number of problems in free list @k; adds its units to *@units. */
static unsigned free_list_check(const struct buddy_heap *h, unsigned k, size_t *units,
				size_t *count)
{
	const struct list_head *head = &h->free_list[k], *prev = head, *pos;
	uintptr_t lo = (uintptr_t)unit_addr(h, h->first_unit);
	uintptr_t hi = (uintptr_t)unit_addr(h, h->end_unit);
	size_t limit = ((h->end_unit - h->first_unit) >> k) + 1, seen = 0;
	unsigned problems = 0;

	for (pos = head->next; pos != head; prev = pos, pos = pos->next) {
		uintptr_t a = (uintptr_t)pos;
		size_t u = unit_of(h, pos);

		if (a < lo || a >= hi || (a & (UNIT - 1)) || ++seen > limit)
			return problems + 1;	/* cannot follow it further */
		if (pos->prev != prev)
			problems++;
		if ((u & (order_units(k) - 1)) || u + order_units(k) > h->end_unit ||
		    !unit_free(h, u) || block_order(h, u) != k)
			problems++;
		*units += order_units(k);
	}
	*count += seen;
	if (head->prev != prev)
		problems++;
	if (!list_empty(head) != !!(h->nonempty & BIT(k)))
		problems++;
	return problems;
}

/* Number of set bits in bitmap @map over [0, n). */
static size_t bitmap_weight(const unsigned long *map, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n / BITS_PER_LONG; i++)
		w += word_popcount(map[i]);
	if (n % BITS_PER_LONG)
		w += word_popcount(map[i] & word_mask(0, n % BITS_PER_LONG));
	return w;
}

/* True when the fields validate() relies on point inside the metadata area. */
static bool instance_sane(const struct buddy_heap *h)
{
	uintptr_t lo = (uintptr_t)(h + 1), hi;
	unsigned m;

	if (h->base != (uintptr_t)h || h->first_unit >= h->end_unit ||
	    h->max_order >= BUDDY_ORDERS ||
	    (uintptr_t)unit_addr(h, h->end_unit) > h->base + h->size)
		return false;
	hi = (uintptr_t)unit_addr(h, h->first_unit);
	if ((uintptr_t)h->free_map < lo || (uintptr_t)h->cont_map < lo ||
	    (uintptr_t)h->free_map >= hi || (uintptr_t)h->cont_map >= hi)
		return false;
	for (m = 1; m <= h->max_order; m++)
		if ((uintptr_t)h->split[m] < lo || (uintptr_t)h->split[m] >= hi)
			return false;
	return true;
}

/*
 * buddy_validate - check the instance fields, every free list against the
 * bitmaps, and an address-order walk of all blocks (tiling, alignment,
 * missed merges, free and continuation bits). Returns the problem count.
 */
static unsigned buddy_validate(void *heap)
{
	struct buddy_heap *h = heap;
	size_t list_units = 0, list_blocks = 0, walk_free = 0, walk_blocks = 0, conts = 0;
	size_t u;
	unsigned problems = 0, k;

	if (!instance_sane(h))
		return 1;	/* the instance itself is corrupt: go no further */
	for (k = 0; k <= h->max_order; k++)
		problems += free_list_check(h, k, &list_units, &list_blocks);
	for (; k < BUDDY_ORDERS; k++)
		if (!list_empty(&h->free_list[k]) || (h->nonempty & BIT(k)))
			problems++;
	for (u = h->first_unit; u < h->end_unit; ) {
		unsigned order = block_order(h, u);
		size_t n = order_units(order);

		if ((u & (n - 1)) || u + n > h->end_unit) {
			problems++;
			n = 1;
		} else if (unit_free(h, u)) {
			size_t buddy = u ^ n;

			walk_free += n;
			walk_blocks++;
			if (unit_cont(h, u))
				problems++;
			if (order < h->max_order && buddy < h->end_unit &&
			    unit_free(h, buddy) && (order == 0 || !node_split(h, order, buddy)))
				problems++;	/* two free buddies left unmerged */
		} else if (unit_cont(h, u)) {
			conts++;
		}
		u += n;
	}
	if (walk_free != list_units || walk_free != h->free_units ||
	    walk_blocks != list_blocks ||
	    bitmap_weight(h->free_map, h->end_unit) != walk_blocks ||
	    bitmap_weight(h->cont_map, h->end_unit) != conts)
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
