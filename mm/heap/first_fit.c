// SPDX-License-Identifier: MIT
/*
 * First-fit heap with an address-ordered free list and immediate coalescing.
 *
 * Policy. Free blocks sit on one doubly linked list sorted by address. An
 * allocation takes the lowest-addressed free block that can hold it, carves
 * the request from its front (after any alignment pad) and leaves the rest
 * free. A free merges the block with both physical neighbours at once, so no
 * two free blocks are ever adjacent and freeing everything gives back the one
 * block the heap started with.
 *
 * Units and headers. The region is cut into 16-byte units, numbered from the
 * region base; every offset and size in the metadata is a 32-bit unit count.
 * A block owns whole units and starts with a 4-byte header placed in the last
 * word of the unit before its payload, so every payload is 16-byte aligned
 * (the contract's default alignment) and a request of s bytes costs
 * ceil((s + 4) / 16) units. A 4-byte header instead of 8 matters: with random
 * 16..256-byte requests an 8-byte header plus 16-byte rounding wastes 15.5
 * bytes a block on average (at most 89.8% of the heap holds data), a 4-byte
 * one wastes 11.5 (92.2%). The header word is
 *
 *	bits 31..4  size in units (so a region is at most 4 GiB)
 *	bits  3..2  0b01, a magic value checked before a header is believed
 *	bit      1  PREV_FREE: the block just below is free
 *	bit      0  FREE
 *
 * A free block also stores, in its payload, the unit numbers of its list
 * neighbours (next, prev: 4 bytes each) and, in the last word before the next
 * header, a footer holding its size. With PREV_FREE a freed block finds its
 * lower neighbour in O(1) through that footer; used blocks carry no footer.
 * One unit (16 bytes: links 8, footer 4, next header 4) is enough for a free
 * block, so the minimum block is 16 bytes (12 usable) and any alignment pad,
 * being a whole number of units, is always a valid free block of its own:
 * there is no "too small to keep" case. A header absorbed by a merge is
 * overwritten with the poison word, which never passes the magic check.
 *
 * Metadata. The instance struct sits at the region base; its first two words
 * double as the list head, "unit 0", so the list is circular with no special
 * cases. After it come the segment tables, then the blocks, then a 4-byte
 * end sentinel: a used header of size 0 that stops every forward walk.
 *
 * Fast first fit. A plain list scan slows down as small, useless fragments
 * pile up at the low end of the heap. So the address space is divided into
 * segments of SEG_UNITS units, and each free block belongs to the segment
 * holding its first payload unit. Per segment the heap keeps the first free
 * block of the segment (seg_first) and, in a max-tree over all segments,
 * the size of its largest free block. An allocation walks down the tree to
 * the lowest segment whose largest block fits and scans only that segment's
 * part of the list: the block it finds is exactly the one a full scan would
 * have found. Aligned requests larger than 16 bytes may not fit a block that
 * is large enough before padding, so they move on to the next candidate
 * segment until one fits, which is still the lowest fitting block.
 *
 * Address-ordered insertion. A freed block that merges takes over the list
 * position of the neighbour it merged with. Otherwise its successor on the
 * list is found from its segment: the first free block of the segment if
 * that lies above it, else by walking the segment's part of the list, and
 * when the segment has no free block at all, the first free block of the
 * next non-empty segment (a tree search for a leaf >= 1). The block is
 * linked in before that successor.
 */
#include <mm/heap_algo.h>
#include <mmlab/panic.h>
#include <lib/string.h>

/* ---------------------------------------------------------------------- */
/* Constants and layout                                                    */
/* ---------------------------------------------------------------------- */

#define UNIT_SHIFT	4
#define UNIT_SIZE	(1u << UNIT_SHIFT)	/* allocation granule, payload alignment */
#define HDR_SIZE	4u			/* header bytes before each payload */
#define SEG_SHIFT	8			/* segment = 256 units = 4 KiB */

#define HDR_FREE	0x1u
#define HDR_PREV_FREE	0x2u
#define HDR_MAGIC_MASK	0xcu
#define HDR_MAGIC	0x4u
#define HDR_SIZE_SHIFT	4
#define MAX_UNITS	((1u << (32 - HDR_SIZE_SHIFT)) - 1)

/* An absorbed header is overwritten with four poison bytes. */
#define HDR_DEAD	(HEAP_POISON * 0x01010101u)

#define FF_MAGIC	0x66666974u	/* "ffit" */
#define NO_SEG		UINT32_MAX

typedef uint32_t unit_t;	/* unit number from the region base; 0 = list head */

BUILD_BUG_ON(UNIT_SIZE < 2 * sizeof(unit_t) + sizeof(uint32_t) + HDR_SIZE);
BUILD_BUG_ON((HDR_DEAD & HDR_MAGIC_MASK) == HDR_MAGIC);
BUILD_BUG_ON(HDR_SIZE > UNIT_SIZE || (UNIT_SIZE - HDR_SIZE) % 4 != 0);

/*
 * The instance, at the region base. list_next/list_prev must stay the first
 * two words: they are the links of "unit 0", the head of the free list.
 */
struct ff_heap {
	unit_t list_next;
	unit_t list_prev;
	uint32_t magic;
	uint32_t flags;		/* HEAP_ALGO_* given to init */
	unit_t first;		/* payload unit of the lowest block */
	unit_t end;		/* unit after the last block; sentinel header below it */
	uint32_t nsegs;		/* segments covering units [0, end) */
	uint32_t leaves;	/* tree leaves: nsegs rounded up to a power of two */
	uint32_t free_units;	/* units in free blocks */
	uint32_t free_blocks;	/* blocks on the free list */
	size_t region_size;	/* bytes given to init */
	unit_t *seg_first;	/* [nsegs]: first free block of each segment, 0 if none */
	uint32_t *tree;		/* [2 * leaves]: max free block size per subtree, root at 1 */
};

BUILD_BUG_ON(offsetof(struct ff_heap, list_next) != 0);
BUILD_BUG_ON(offsetof(struct ff_heap, list_prev) != sizeof(unit_t));

/* ---------------------------------------------------------------------- */
/* Word accessors                                                          */
/* ---------------------------------------------------------------------- */

static inline char *unit_addr(const struct ff_heap *h, unit_t u)
{
	return (char *)h + ((size_t)u << UNIT_SHIFT);
}

/* The 32-bit word at byte @off from the start of unit @u (@off may be < 0). */
static inline uint32_t *unit_word(const struct ff_heap *h, unit_t u, long off)
{
	return (uint32_t *)(unit_addr(h, u) + off);
}

static inline uint32_t hdr_get(const struct ff_heap *h, unit_t u)
{
	return *unit_word(h, u, -(long)HDR_SIZE);
}

static inline void hdr_set(const struct ff_heap *h, unit_t u, uint32_t w)
{
	*unit_word(h, u, -(long)HDR_SIZE) = w;
}

static inline bool hdr_valid(uint32_t w)
{
	return (w & HDR_MAGIC_MASK) == HDR_MAGIC;
}

static inline uint32_t hdr_units(uint32_t w)
{
	return w >> HDR_SIZE_SHIFT;
}

static inline uint32_t hdr_make(uint32_t units, uint32_t bits)
{
	return units << HDR_SIZE_SHIFT | HDR_MAGIC | bits;
}

static inline uint32_t block_units(const struct ff_heap *h, unit_t u)
{
	return hdr_units(hdr_get(h, u));
}

/* Footer of the free block that ends just below unit @end's header. */
static inline uint32_t footer_get(const struct ff_heap *h, unit_t end)
{
	return *unit_word(h, end, -(long)(HDR_SIZE + 4));
}

static inline unit_t node_next(const struct ff_heap *h, unit_t u)
{
	return *unit_word(h, u, 0);
}

static inline unit_t node_prev(const struct ff_heap *h, unit_t u)
{
	return *unit_word(h, u, 4);
}

static inline void node_set_next(const struct ff_heap *h, unit_t u, unit_t v)
{
	*unit_word(h, u, 0) = v;
}

static inline void node_set_prev(const struct ff_heap *h, unit_t u, unit_t v)
{
	*unit_word(h, u, 4) = v;
}

static inline uint32_t seg_of(unit_t u)
{
	return u >> SEG_SHIFT;
}

static inline uint32_t seg_max(const struct ff_heap *h, uint32_t s)
{
	return h->tree[h->leaves + s];
}

static inline bool heap_poisoned(const struct ff_heap *h)
{
	return h->flags & HEAP_ALGO_POISON;
}

/* ---------------------------------------------------------------------- */
/* Block helpers                                                           */
/* ---------------------------------------------------------------------- */

/* Write the header and footer of a free block of @n units at @u. */
static void block_set_free(const struct ff_heap *h, unit_t u, uint32_t n)
{
	hdr_set(h, u, hdr_make(n, HDR_FREE));
	*unit_word(h, u + n, -(long)(HDR_SIZE + 4)) = n;
}

/* Set or clear PREV_FREE in the header of the block at @u. */
static void block_mark_prev(const struct ff_heap *h, unit_t u, bool prev_free)
{
	uint32_t w = hdr_get(h, u);

	hdr_set(h, u, prev_free ? w | HDR_PREV_FREE : w & ~HDR_PREV_FREE);
}

/* Overwrite the header of a block swallowed by a merge. */
static void block_kill_header(const struct ff_heap *h, unit_t u)
{
	hdr_set(h, u, HDR_DEAD);
}

/* Units needed for a @size-byte request; @size is at most the region size. */
static inline uint32_t units_for(size_t size)
{
	return (uint32_t)((size + HDR_SIZE + UNIT_SIZE - 1) >> UNIT_SHIFT);
}

/* ---------------------------------------------------------------------- */
/* Segment max-tree                                                        */
/* ---------------------------------------------------------------------- */

/* Set the largest-free-block figure of segment @s and fix its ancestors. */
static void tree_update(const struct ff_heap *h, uint32_t s, uint32_t units)
{
	uint32_t *t = h->tree;
	uint32_t i = h->leaves + s;

	t[i] = units;
	while (i > 1) {
		uint32_t m;

		i >>= 1;
		m = MAX(t[2 * i], t[2 * i + 1]);
		if (t[i] == m)
			break;
		t[i] = m;
	}
}

/* Lowest segment whose largest free block has >= @need units, or NO_SEG. */
static uint32_t tree_find_first(const struct ff_heap *h, uint32_t need)
{
	const uint32_t *t = h->tree;
	uint32_t i = 1;

	if (t[1] < need)
		return NO_SEG;
	while (i < h->leaves) {
		i <<= 1;
		i += t[i] < need;
	}
	return i - h->leaves;
}

/* Lowest segment >= @from whose largest free block has >= @need units. */
static uint32_t tree_find_from(const struct ff_heap *h, uint32_t from,
			       uint32_t need)
{
	const uint32_t *t = h->tree;
	uint32_t i;

	if (from >= h->leaves)
		return NO_SEG;
	i = h->leaves + from;
	if (t[i] >= need)
		return from;
	/* Climb until a right sibling holds a fit, then take its leftmost fit. */
	for (;;) {
		if (i == 1)
			return NO_SEG;
		if (!(i & 1) && t[i + 1] >= need) {
			i++;
			break;
		}
		i >>= 1;
	}
	while (i < h->leaves) {
		i <<= 1;
		i += t[i] < need;
	}
	return i - h->leaves;
}

/* Recount the largest free block of segment @s from the list. */
static void seg_recompute(const struct ff_heap *h, uint32_t s)
{
	uint32_t best = 0;
	unit_t u;

	for (u = h->seg_first[s]; u != 0 && seg_of(u) == s; u = node_next(h, u))
		best = MAX(best, block_units(h, u));
	tree_update(h, s, best);
}

/* A free block of @units units now lives in segment @s. */
static inline void seg_note_grow(const struct ff_heap *h, uint32_t s,
				 uint32_t units)
{
	if (units > seg_max(h, s))
		tree_update(h, s, units);
}

/* A free block of @units units left (or shrank inside) segment @s. */
static inline void seg_note_shrink(const struct ff_heap *h, uint32_t s,
				   uint32_t units)
{
	if (units == seg_max(h, s))
		seg_recompute(h, s);
}

/* ---------------------------------------------------------------------- */
/* Free list                                                               */
/* ---------------------------------------------------------------------- */

static void freelist_unlink(struct ff_heap *h, unit_t u)
{
	unit_t next = node_next(h, u), prev = node_prev(h, u);
	uint32_t s = seg_of(u);

	node_set_next(h, prev, next);
	node_set_prev(h, next, prev);
	if (h->seg_first[s] == u)
		h->seg_first[s] = (next != 0 && seg_of(next) == s) ? next : 0;
}

/* Link @u right after @prev (unit 0 = at the front). */
static void freelist_insert_after(struct ff_heap *h, unit_t prev, unit_t u)
{
	unit_t next = node_next(h, prev);
	uint32_t s = seg_of(u);
	unit_t first = h->seg_first[s];

	node_set_next(h, u, next);
	node_set_prev(h, u, prev);
	node_set_next(h, prev, u);
	node_set_prev(h, next, u);
	if (first == 0 || u < first)
		h->seg_first[s] = u;
}

/*
 * The first listed free block above unit @u (which is not itself listed),
 * or 0 (the head) when there is none.
 */
static unit_t freelist_successor(const struct ff_heap *h, unit_t u)
{
	uint32_t s = seg_of(u);
	unit_t f = h->seg_first[s], next;

	if (f == 0) {
		s = tree_find_from(h, s + 1, 1);
		return s == NO_SEG ? 0 : h->seg_first[s];
	}
	if (f > u)
		return f;
	while ((next = node_next(h, f)) != 0 && next < u)
		f = next;
	return next;
}

/* True when unit @u lies strictly inside a listed free block. */
static bool freelist_covers(const struct ff_heap *h, unit_t u)
{
	unit_t p = node_prev(h, freelist_successor(h, u));

	return p != 0 && p < u && u - p < block_units(h, p);
}

/* ---------------------------------------------------------------------- */
/* Pointer checks                                                          */
/* ---------------------------------------------------------------------- */

/*
 * Decide whether @ptr is the payload of a live block, reading only words
 * inside the block area. On HEAP_FREE_OK *@unit is its payload unit.
 */
static enum heap_free_result block_check(const struct ff_heap *h,
					 const void *ptr, unit_t *unit)
{
	uintptr_t off = (uintptr_t)ptr - (uintptr_t)h;
	uint32_t w, n, next;
	unit_t u;

	if ((uintptr_t)ptr < (uintptr_t)h || off >= h->region_size)
		return HEAP_FREE_FOREIGN;
	if (off & (UNIT_SIZE - 1))
		return HEAP_FREE_NOT_BLOCK;
	u = (unit_t)(off >> UNIT_SHIFT);
	if (u < h->first || u >= h->end)
		return HEAP_FREE_NOT_BLOCK;
	w = hdr_get(h, u);
	if (w == HDR_DEAD)
		return freelist_covers(h, u) ? HEAP_FREE_DOUBLE : HEAP_FREE_NOT_BLOCK;
	n = hdr_units(w);
	if (!hdr_valid(w) || n == 0 || n > h->end - u)
		return HEAP_FREE_NOT_BLOCK;
	next = hdr_get(h, u + n);
	if (w & HDR_FREE) {
		if (footer_get(h, u + n) == n && (next & HDR_PREV_FREE))
			return HEAP_FREE_DOUBLE;
		return HEAP_FREE_NOT_BLOCK;
	}
	if (!hdr_valid(next) || (next & HDR_PREV_FREE))
		return HEAP_FREE_NOT_BLOCK;
	if (w & HDR_PREV_FREE) {
		uint32_t pn = footer_get(h, u);

		if (pn == 0 || pn > u - h->first ||
		    hdr_get(h, u - pn) != hdr_make(pn, HDR_FREE))
			return HEAP_FREE_NOT_BLOCK;
	}
	*unit = u;
	return HEAP_FREE_OK;
}

/* Units of the live block at @ptr, or 0 when @ptr is not one. */
static uint32_t block_units_live(const struct ff_heap *h, const void *ptr)
{
	unit_t u = 0;

	if (block_check(h, ptr, &u) != HEAP_FREE_OK)
		return 0;
	return block_units(h, u);
}

/* ---------------------------------------------------------------------- */
/* Core: carving and merging                                               */
/* ---------------------------------------------------------------------- */

/* Lowest free block that fits @need units; 0 when none does. */
static unit_t fit_find(const struct ff_heap *h, uint32_t need)
{
	uint32_t s = tree_find_first(h, need);
	unit_t u;

	if (s == NO_SEG)
		return 0;
	/* The tree promises a fit among this segment's blocks. */
	for (u = h->seg_first[s]; block_units(h, u) < need; u = node_next(h, u))
		;
	return u;
}

/*
 * Lowest free block that fits @need units at a payload address aligned to
 * @align_units units; sets *@pad to the units skipped. 0 when none fits.
 */
static unit_t fit_find_aligned(const struct ff_heap *h, uint32_t need,
			       uintptr_t align_units, uint32_t *pad)
{
	uintptr_t base_unit = (uintptr_t)h >> UNIT_SHIFT;
	uint32_t s;
	unit_t u;

	for (s = tree_find_first(h, need); s != NO_SEG;
	     s = tree_find_from(h, s + 1, need)) {
		for (u = h->seg_first[s]; u != 0 && seg_of(u) == s;
		     u = node_next(h, u)) {
			uint32_t skip = (uint32_t)(-(base_unit + u) & (align_units - 1));

			if (block_units(h, u) >= (uint64_t)skip + need) {
				*pad = skip;
				return u;
			}
		}
	}
	return 0;
}

/*
 * Hand out @need units at @u + @pad from the free block at @u: the pad stays
 * free in place, the tail (if any) becomes a free block listed after it.
 */
static void block_carve(struct ff_heap *h, unit_t u, uint32_t pad, uint32_t need)
{
	uint32_t n = block_units(h, u);
	unit_t a = u + pad, tail = a + need;
	uint32_t tail_n = n - pad - need;

	if (heap_poisoned(h)) {
		/* Skip the words that were this free block's own metadata. */
		char *lo = unit_addr(h, a) + (pad ? 0 : 2 * sizeof(unit_t));
		char *hi = unit_addr(h, tail) - HDR_SIZE - (tail_n ? 0 : 4);

		if (lo < hi)
			heap_poison_check("heap_first_fit", lo, (size_t)(hi - lo));
	}

	if (pad) {
		block_set_free(h, u, pad);
		if (tail_n)
			freelist_insert_after(h, u, tail);
	} else {
		unit_t prev = node_prev(h, u);

		freelist_unlink(h, u);
		if (tail_n)
			freelist_insert_after(h, prev, tail);
	}
	hdr_set(h, a, hdr_make(need, pad ? HDR_PREV_FREE : 0));
	if (tail_n)
		block_set_free(h, tail, tail_n);
	else
		block_mark_prev(h, tail, false);

	h->free_units -= need;
	if (pad && tail_n)
		h->free_blocks++;
	else if (!pad && !tail_n)
		h->free_blocks--;

	seg_note_shrink(h, seg_of(u), n);
	if (tail_n)
		seg_note_grow(h, seg_of(tail), tail_n);
}

/*
 * Return the checked live block at @u to the free list, merging neighbours.
 * List surgery comes first (it reads the upper neighbour's links), poisoning
 * second, the new header and footer last.
 */
static void block_release(struct ff_heap *h, unit_t u)
{
	uint32_t w = hdr_get(h, u), n = hdr_units(w);
	unit_t next = u + n, start = u, list_prev = 0;
	uint32_t next_w = hdr_get(h, next), next_n = hdr_units(next_w);
	bool next_free = next_w & HDR_FREE, prev_free = w & HDR_PREV_FREE;
	uint32_t total = n;

	if (next_free) {
		list_prev = node_prev(h, next);
		freelist_unlink(h, next);
		total += next_n;
		h->free_blocks--;
	}
	if (prev_free) {
		start = u - footer_get(h, u);
		total += u - start;
	} else if (!next_free) {
		list_prev = node_prev(h, freelist_successor(h, u));
	}

	if (heap_poisoned(h)) {
		heap_poison_fill(unit_addr(h, u), ((size_t)n << UNIT_SHIFT) - HDR_SIZE);
		if (prev_free)		/* the lower block's footer */
			heap_poison_fill(unit_word(h, u, -(long)(HDR_SIZE + 4)), 4);
		if (next_free)		/* the upper block's links */
			heap_poison_fill(unit_addr(h, next), 2 * sizeof(unit_t));
	}
	if (next_free)
		block_kill_header(h, next);
	if (prev_free) {
		block_kill_header(h, u);
	} else {
		/* u takes the upper block's list slot, or its own sorted one. */
		freelist_insert_after(h, list_prev, u);
		h->free_blocks++;
	}
	block_set_free(h, start, total);
	block_mark_prev(h, start + total, true);
	h->free_units += n;

	if (next_free && seg_of(next) != seg_of(start))
		seg_note_shrink(h, seg_of(next), next_n);
	seg_note_grow(h, seg_of(start), total);
}

/* ---------------------------------------------------------------------- */
/* Public operations                                                       */
/* ---------------------------------------------------------------------- */

/*
 * first_fit_init - build an empty heap over [base, base + size): instance and
 * segment tables at the base, one free block after them, a sentinel at the
 * end. Returns the instance (== base), or NULL when @base is not 16-byte
 * aligned, the region exceeds 4 GiB, or it leaves no room for a block.
 */
static void *first_fit_init(void *base, size_t size, unsigned flags)
{
	struct ff_heap *h = base;
	size_t total = size >> UNIT_SHIFT, meta;
	uint32_t nsegs, leaves = 1;
	unit_t first;

	if (!base || !IS_ALIGNED((uintptr_t)base, UNIT_SIZE) ||
	    total > MAX_UNITS || total == 0)
		return NULL;
	nsegs = (uint32_t)((total + (1u << SEG_SHIFT) - 1) >> SEG_SHIFT);
	while (leaves < nsegs)
		leaves <<= 1;
	meta = sizeof(*h) + nsegs * sizeof(unit_t) + 2 * leaves * sizeof(uint32_t);
	first = (unit_t)((meta + HDR_SIZE + UNIT_SIZE - 1) >> UNIT_SHIFT);
	if (first >= total)
		return NULL;

	h->list_next = 0;
	h->list_prev = 0;
	h->magic = FF_MAGIC;
	h->flags = flags;
	h->first = first;
	h->end = (unit_t)total;
	h->nsegs = nsegs;
	h->leaves = leaves;
	h->free_units = 0;
	h->free_blocks = 0;
	h->region_size = size;
	h->seg_first = (unit_t *)(h + 1);
	h->tree = (uint32_t *)(h->seg_first + nsegs);
	memset(h->seg_first, 0, nsegs * sizeof(unit_t));
	memset(h->tree, 0, 2 * leaves * sizeof(uint32_t));

	if (heap_poisoned(h))
		heap_poison_fill(unit_addr(h, first),
				 ((size_t)(h->end - first) << UNIT_SHIFT) - HDR_SIZE);
	block_set_free(h, first, h->end - first);
	hdr_set(h, h->end, hdr_make(0, HDR_PREV_FREE));	/* end sentinel */
	freelist_insert_after(h, 0, first);
	h->free_units = h->end - first;
	h->free_blocks = 1;
	tree_update(h, seg_of(first), h->end - first);
	return h;
}

/*
 * first_fit_alloc - the lowest-addressed free block that holds @size bytes
 * at a multiple of @align (at least 16). Returns NULL, changing nothing, when
 * no free block fits. The caller owns the block until first_fit_free.
 */
static void *first_fit_alloc(void *heap, size_t size, size_t align, size_t *usable)
{
	struct ff_heap *h = heap;
	uint32_t need, pad = 0;
	unit_t u;

	if (!IS_POWER_OF_2(align))
		panic("first_fit_alloc: alignment %lu is not a power of two",
		      (unsigned long)align);
	if (size > h->region_size)
		return NULL;
	need = units_for(size);
	if (align <= UNIT_SIZE)
		u = fit_find(h, need);
	else
		u = fit_find_aligned(h, need, align >> UNIT_SHIFT, &pad);
	if (u == 0)
		return NULL;
	block_carve(h, u, pad, need);
	if (usable)
		*usable = ((size_t)block_units(h, u + pad) << UNIT_SHIFT) - HDR_SIZE;
	return unit_addr(h, u + pad);
}

/*
 * first_fit_free - give back the block at @ptr, merging it with free
 * neighbours. Returns HEAP_FREE_FOREIGN, _NOT_BLOCK or _DOUBLE, changing
 * nothing, when @ptr is not a live block of this heap.
 */
static enum heap_free_result first_fit_free(void *heap, void *ptr, size_t *usable)
{
	struct ff_heap *h = heap;
	unit_t u = 0;
	enum heap_free_result r = block_check(h, ptr, &u);

	if (r == HEAP_FREE_OK) {
		if (usable)
			*usable = ((size_t)block_units(h, u) << UNIT_SHIFT) - HDR_SIZE;
		block_release(h, u);
	}
	return r;
}

/*
 * first_fit_usable_size - payload bytes of the live block at @ptr; 0 when
 * @ptr is not the start of a live block (same checks as first_fit_free).
 */
static size_t first_fit_usable_size(void *heap, void *ptr)
{
	uint32_t n = block_units_live(heap, ptr);

	return n ? ((size_t)n << UNIT_SHIFT) - HDR_SIZE : 0;
}

/*
 * first_fit_reserved_size - heap bytes the live block at @ptr takes, header
 * and rounding included; 0 when @ptr is not the start of a live block.
 */
static size_t first_fit_reserved_size(void *heap, void *ptr)
{
	return (size_t)block_units_live(heap, ptr) << UNIT_SHIFT;
}

/* first_fit_space - region, metadata and free figures; O(1). */
static void first_fit_space(void *heap, struct heap_algo_space *out)
{
	const struct ff_heap *h = heap;
	size_t blocks = ((size_t)(h->end - h->first)) << UNIT_SHIFT;
	uint32_t largest = h->tree[1];

	out->region = h->region_size;
	out->meta = h->region_size - blocks;
	out->free = (size_t)h->free_units << UNIT_SHIFT;
	out->largest_free = largest ? ((size_t)largest << UNIT_SHIFT) - HDR_SIZE : 0;
}

/*
 * first_fit_walk - report the metadata, every block, then the end sentinel,
 * in address order. Stops early at a header that does not make sense.
 */
static void first_fit_walk(void *heap, heap_walk_fn fn, void *arg)
{
	const struct ff_heap *h = heap;
	size_t tail = ((size_t)h->end << UNIT_SHIFT) - HDR_SIZE;
	unit_t u;

	fn(arg, HEAP_BLOCK_META, 0, ((size_t)h->first << UNIT_SHIFT) - HDR_SIZE);
	for (u = h->first; u < h->end;) {
		uint32_t w = hdr_get(h, u), n = hdr_units(w);

		if (!hdr_valid(w) || n == 0 || n > h->end - u)
			return;
		fn(arg, (w & HDR_FREE) ? HEAP_BLOCK_FREE : HEAP_BLOCK_USED,
		   ((size_t)u << UNIT_SHIFT) - HDR_SIZE, (size_t)n << UNIT_SHIFT);
		u += n;
	}
	fn(arg, HEAP_BLOCK_META, tail, h->region_size - tail);
}

/* ---------------------------------------------------------------------- */
/* Debug: validate                                                         */
/* ---------------------------------------------------------------------- */

/* Check the block chain; fills per-segment maxima and free totals. */
static unsigned validate_blocks(const struct ff_heap *h, uint32_t *nfree,
				uint32_t *free_units)
{
	unsigned bad = 0;
	bool prev_free = false;
	unit_t u = h->first;

	while (u < h->end) {
		uint32_t w = hdr_get(h, u), n = hdr_units(w);

		if (!hdr_valid(w) || n == 0 || n > h->end - u)
			return bad + 1;	/* cannot step past a broken header */
		if (!!(w & HDR_PREV_FREE) != prev_free)
			bad++;
		prev_free = w & HDR_FREE;
		if (prev_free) {
			if (footer_get(h, u + n) != n)
				bad++;
			if (w & HDR_PREV_FREE)
				bad++;	/* two free blocks side by side */
			(*nfree)++;
			*free_units += n;
		}
		u += n;
	}
	if (hdr_get(h, h->end) != hdr_make(0, prev_free ? HDR_PREV_FREE : 0))
		bad++;
	return bad;
}

/* Check the free list order, links and segment tables against it. */
static unsigned validate_list(const struct ff_heap *h, uint32_t *nfree,
			      uint32_t *free_units, uint32_t *nsegs_used)
{
	unsigned bad = 0;
	unit_t prev = 0, u = h->list_next;
	uint32_t s, steps = 0, max_steps = h->end - h->first;

	for (s = 0; s < h->leaves; s++)
		if (h->tree[h->leaves + s] != 0 && s >= h->nsegs)
			bad++;
	while (u != 0) {
		uint32_t w;

		if (u < h->first || u >= h->end || u <= prev || steps++ >= max_steps)
			return bad + 1;	/* out of range or out of order: stop */
		w = hdr_get(h, u);
		if (!hdr_valid(w) || !(w & HDR_FREE) || hdr_units(w) > h->end - u)
			return bad + 1;
		if (node_prev(h, u) != prev)
			bad++;
		s = seg_of(u);
		if (seg_of(prev) != s || prev == 0) {
			if (h->seg_first[s] != u)
				bad++;
			(*nsegs_used)++;
		}
		(*nfree)++;
		*free_units += hdr_units(w);
		prev = u;
		u = node_next(h, u);
	}
	if (h->list_prev != prev)
		bad++;
	return bad;
}

/*
 * Check every segment's maximum against its blocks, and the inner tree;
 * @nsegs_used is the number of segments the list visits.
 */
static unsigned validate_tree(const struct ff_heap *h, uint32_t nsegs_used)
{
	unsigned bad = 0;
	uint32_t s, i, nonempty = 0;

	for (s = 0; s < h->nsegs; s++) {
		uint32_t best = 0, steps = 0;
		unit_t u = h->seg_first[s];

		if (u != 0 && (u < h->first || u >= h->end || seg_of(u) != s)) {
			bad++;
			continue;
		}
		nonempty += u != 0;
		for (; u != 0 && seg_of(u) == s && steps++ < (1u << SEG_SHIFT);
		     u = node_next(h, u)) {
			if (u >= h->end)
				break;
			best = MAX(best, block_units(h, u));
		}
		if (seg_max(h, s) != best)
			bad++;
	}
	for (i = 1; i < h->leaves; i++)
		if (h->tree[i] != MAX(h->tree[2 * i], h->tree[2 * i + 1]))
			bad++;
	if (nonempty != nsegs_used)
		bad++;
	return bad;
}

/*
 * first_fit_validate - walk blocks, free list and segment tables; return the
 * number of inconsistencies (0 when sound). Every link is range-checked and
 * the list must be strictly ascending, so a corrupt heap cannot loop it.
 */
static unsigned first_fit_validate(void *heap)
{
	const struct ff_heap *h = heap;
	uint32_t chain_free = 0, chain_units = 0, list_free = 0, list_units = 0;
	uint32_t nsegs_used = 0;
	unsigned bad = 0;

	if (h->magic != FF_MAGIC || h->first == 0 || h->first >= h->end ||
	    ((size_t)h->end << UNIT_SHIFT) > h->region_size ||
	    h->seg_first != (unit_t *)(h + 1) ||
	    h->tree != (uint32_t *)(h->seg_first + h->nsegs))
		return 1;	/* the instance itself cannot be trusted */

	bad += validate_blocks(h, &chain_free, &chain_units);
	bad += validate_list(h, &list_free, &list_units, &nsegs_used);
	if (bad == 0)
		bad += validate_tree(h, nsegs_used);
	if (chain_free != list_free || chain_free != h->free_blocks)
		bad++;
	if (chain_units != list_units || chain_units != h->free_units)
		bad++;
	return bad;
}

HEAP_ALGO_REGISTER(first_fit, {
	.name = "first_fit",
	.init = first_fit_init,
	.alloc = first_fit_alloc,
	.free = first_fit_free,
	.usable_size = first_fit_usable_size,
	.reserved_size = first_fit_reserved_size,
	.space = first_fit_space,
	.validate = first_fit_validate,
	.walk = first_fit_walk,
});
