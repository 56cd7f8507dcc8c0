// SPDX-License-Identifier: MIT
/*
 * Bitmap heap: one bit per fixed-size block over the whole region.
 *
 * The region is cut into blocks of BM_BLOCK bytes (CONFIG_HEAP_BITMAP_BLOCK_SIZE,
 * default 16), counted from the region base rounded up to a block boundary.
 * Three bitmaps describe them, all carved, with the instance struct, from the
 * start of the region and sized from its length:
 *
 *   used   bit i set when block i belongs to an allocation or to the metadata;
 *          the bits past the last block are set too, so scans stop there.
 *   last   bit i set when block i is the last block of an allocation (or of
 *          the metadata). free() finds the size of a block by looking for the
 *          next "last" bit, so there is no in-band header: a 16-byte request
 *          takes exactly one 16-byte block.
 *   avail  the summary level: bit w set when word w of "used" has a clear bit,
 *          so a search skips 64 full words per summary bit.
 *
 * A pointer is the start of a live block when its block is used and the block
 * before it is either free or the last of another allocation.
 *
 * Allocation is first fit, made fast by per-size-class search hints. Request
 * lengths (in blocks) fall into classes: exact below 8, then four classes per
 * power of two, up to a top class for HINT_CAP blocks and more. hint[c] is a
 * block index such that no maximal free run of at least class_min(c) blocks
 * starts before it; hints never decrease from one class to the next. A search
 * for n blocks starts at hint[class_of(n)], walks free runs a word at a time
 * (count-trailing-zeros on "used", "avail" to skip full words), and moves the
 * hint up to the first run long enough for the class. free() lowers the hints
 * of the classes the merged free run now satisfies. Because hints are exact
 * lower bounds the result is the same block plain first fit would pick.
 *
 * Freed blocks are merged implicitly: a free run is just a stretch of clear
 * bits, so once everything is freed the heap is one free run again.
 */
#include <lib/bitops.h>
#include <lib/string.h>
#include <mm/heap_algo.h>
#include <mmlab/compiler.h>
#include <mmlab/panic.h>

#ifdef CONFIG_HEAP_BITMAP_BLOCK_SIZE
#define BM_BLOCK	((size_t)CONFIG_HEAP_BITMAP_BLOCK_SIZE)
#else
#define BM_BLOCK	((size_t)16)
#endif

/* Classes: 1..7 blocks exactly, then 4 per power of two up to HINT_CAP. */
#define HINT_EXACT	7u
#define HINT_SUB_BITS	2u
#define HINT_CAP_ORDER	10u
#define HINT_CAP	((size_t)1 << HINT_CAP_ORDER)
#define HINT_CLASSES	(HINT_EXACT + (HINT_CAP_ORDER - 3) * (1u << HINT_SUB_BITS) + 1)

BUILD_BUG_ON(!IS_POWER_OF_2(BM_BLOCK));
BUILD_BUG_ON(BM_BLOCK < 8);
BUILD_BUG_ON(HINT_EXACT + 1 != 1u << (HINT_SUB_BITS + 1));

struct heap_bitmap {
	uintptr_t base;			/* region start, == (uintptr_t)this */
	size_t size;			/* region bytes */
	uintptr_t origin;		/* address of block 0 */
	size_t nblocks;			/* blocks in the grid, metadata included */
	size_t meta_blocks;		/* blocks [0, meta_blocks) hold the metadata */
	size_t nwords;			/* words in "used" and "last" */
	unsigned flags;			/* HEAP_ALGO_* */
	unsigned long *used;
	unsigned long *last;
	unsigned long *avail;		/* BITS_TO_LONGS(nwords) words */
	size_t hint[HINT_CLASSES];
};

BUILD_BUG_ON(sizeof(struct heap_bitmap) % sizeof(unsigned long) != 0);

/* Where init puts everything for a given region; validate recomputes it. */
struct bm_layout {
	uintptr_t origin;
	size_t nblocks;
	size_t nwords;
	size_t meta_blocks;
	unsigned long *used;
	unsigned long *last;
	unsigned long *avail;
};

/* ------------------------------------------------------------------------ */
/* Generic bit helpers (candidates for lib/bitmap.c)                         */
/* ------------------------------------------------------------------------ */

/*
 * bitmap_clear_tail_start - start of the run of clear bits that ends just
 * before @end, looking no lower than @floor: one past the highest set bit in
 * [floor, end), or @floor when that range has no set bit.
 */
static size_t bitmap_clear_tail_start(const unsigned long *map, size_t floor, size_t end)
{
	while (end > floor) {
		size_t idx = (end - 1) / BITS_PER_LONG;
		unsigned top = (unsigned)((end - 1) % BITS_PER_LONG);
		unsigned long w = map[idx] & (~0UL >> (BITS_PER_LONG - 1 - top));

		if (w) {
			size_t bit = idx * BITS_PER_LONG + word_fls(w);

			return bit >= floor ? bit + 1 : floor;
		}
		end = idx * BITS_PER_LONG;
	}
	return floor;
}

/* ------------------------------------------------------------------------ */
/* Block helpers                                                             */
/* ------------------------------------------------------------------------ */

static inline uintptr_t block_addr(const struct heap_bitmap *h, size_t i)
{
	return h->origin + i * BM_BLOCK;
}

static inline size_t block_index(const struct heap_bitmap *h, uintptr_t p)
{
	return (p - h->origin) / BM_BLOCK;
}

/* Blocks needed for @size bytes; @size <= the region size, so no overflow. */
static inline size_t blocks_for(size_t size)
{
	return (size + BM_BLOCK - 1) / BM_BLOCK;
}

/* First block at or after @i whose address is a multiple of @align. */
static inline size_t block_align_up(const struct heap_bitmap *h, size_t i, size_t align)
{
	return block_index(h, ALIGN_UP(block_addr(h, i), (uintptr_t)align));
}

/* Recompute "avail" bits for "used" words [w0, w1]. */
static void avail_update(struct heap_bitmap *h, size_t w0, size_t w1)
{
	for (size_t w = w0; w <= w1; w++) {
		if (~h->used[w])
			bitmap_set_bit(h->avail, w);
		else
			bitmap_clear_bit(h->avail, w);
	}
}

/* First free block at or after @i, or nblocks: skips full words via "avail". */
static inline size_t free_next(const struct heap_bitmap *h, size_t i)
{
	size_t w = i / BITS_PER_LONG;
	unsigned long free_bits = ~h->used[w] & (~0UL << (i % BITS_PER_LONG));

	if (free_bits)
		return w * BITS_PER_LONG + word_ffs(free_bits);
	w = bitmap_next_set(h->avail, w + 1, h->nwords);
	if (w == h->nwords)
		return h->nblocks;
	return w * BITS_PER_LONG + word_ffs(~h->used[w]);
}

/* Mark blocks [i, i + n) as one allocation. */
static void range_take(struct heap_bitmap *h, size_t i, size_t n)
{
	bitmap_set_range(h->used, i, n);
	bitmap_set_bit(h->last, i + n - 1);
	avail_update(h, i / BITS_PER_LONG, (i + n - 1) / BITS_PER_LONG);
}

/* Return the allocation at blocks [i, i + n) to the free space. */
static void range_release(struct heap_bitmap *h, size_t i, size_t n)
{
	bitmap_clear_bit(h->last, i + n - 1);
	bitmap_clear_range(h->used, i, n);
	avail_update(h, i / BITS_PER_LONG, (i + n - 1) / BITS_PER_LONG);
}

/* ------------------------------------------------------------------------ */
/* Search hints                                                              */
/* ------------------------------------------------------------------------ */

/* Size class of a run or request of @n >= 1 blocks. */
static inline unsigned class_of(size_t n)
{
	unsigned order, sub;

	if (n <= HINT_EXACT)
		return (unsigned)n - 1;
	if (n >= HINT_CAP)
		return HINT_CLASSES - 1;
	order = ilog2_floor(n);
	sub = (unsigned)(n >> (order - HINT_SUB_BITS)) & ((1u << HINT_SUB_BITS) - 1);
	return HINT_EXACT + ((order - 3) << HINT_SUB_BITS) + sub;
}

/* Smallest run length (blocks) in class @c. */
static inline size_t class_min(unsigned c)
{
	unsigned order, sub;

	if (c < HINT_EXACT)
		return (size_t)c + 1;
	order = 3 + ((c - HINT_EXACT) >> HINT_SUB_BITS);
	sub = (c - HINT_EXACT) & ((1u << HINT_SUB_BITS) - 1);
	return ((size_t)(1u << HINT_SUB_BITS) + sub) << (order - HINT_SUB_BITS);
}

/* A search for class @c found no long-enough run before @pos: raise hints. */
static void hint_raise(struct heap_bitmap *h, unsigned c, size_t pos)
{
	for (; c < HINT_CLASSES && h->hint[c] < pos; c++)
		h->hint[c] = pos;
}

/*
 * Blocks [i, i + n) were just freed: find the free run they now belong to
 * (looking at most HINT_CAP blocks either way) and lower the hints it serves.
 */
static void hint_lower(struct heap_bitmap *h, size_t i, size_t n)
{
	size_t floor = i > HINT_CAP ? i - HINT_CAP : 0;
	size_t start = bitmap_clear_tail_start(h->used, floor, i);
	size_t end;
	unsigned c;

	if (i - start >= HINT_CAP)
		return;	/* already in a run every class can use: hints are below it */
	end = bitmap_next_set(h->used, i + n, MIN(h->nblocks, start + HINT_CAP));
	for (c = class_of(end - start) + 1; c-- > 0 && h->hint[c] > start;)
		h->hint[c] = start;
}

/*
 * First-fit search for @n blocks at a multiple of @align bytes. Returns the
 * first block, or nblocks when no free run fits.
 */
static size_t run_find(struct heap_bitmap *h, size_t n, size_t align)
{
	unsigned c = class_of(n);
	size_t need = class_min(c);
	size_t first = h->nblocks, found = h->nblocks;
	size_t i = h->hint[c];

	while (i < h->nblocks) {
		size_t start = free_next(h, i);
		size_t at, end;

		if (start >= h->nblocks)
			break;
		at = block_align_up(h, start, align);
		end = bitmap_next_set(h->used, start,
				      MIN(h->nblocks, MAX(at + n, start + need)));
		if (first == h->nblocks && end - start >= need)
			first = start;
		if (at + n <= end) {
			found = at;
			break;
		}
		i = end;
	}
	hint_raise(h, c, first);
	return found;
}

/* ------------------------------------------------------------------------ */
/* Layout and pointer checks                                                 */
/* ------------------------------------------------------------------------ */

/* Compute the layout for [base, base + size); false when it cannot fit. */
static bool layout_compute(uintptr_t base, size_t size, struct bm_layout *lo)
{
	uintptr_t end = base + size, meta_end;

	if (end < base || size < sizeof(struct heap_bitmap))
		return false;
	lo->origin = ALIGN_UP(base, (uintptr_t)BM_BLOCK);
	if (lo->origin >= end)
		return false;
	lo->nblocks = (end - lo->origin) / BM_BLOCK;
	lo->nwords = BITS_TO_LONGS(lo->nblocks);
	lo->used = (unsigned long *)(base + sizeof(struct heap_bitmap));
	lo->last = lo->used + lo->nwords;
	lo->avail = lo->last + lo->nwords;
	meta_end = (uintptr_t)(lo->avail + BITS_TO_LONGS(lo->nwords));
	lo->meta_blocks = (meta_end - lo->origin + BM_BLOCK - 1) / BM_BLOCK;
	/* at least one block must be left for allocations */
	return lo->meta_blocks < lo->nblocks;
}

/*
 * Classify @p: HEAP_FREE_OK with *@first and *@count set when it is the start
 * of a live allocation, otherwise the reason it is not.
 */
static enum heap_free_result block_lookup(const struct heap_bitmap *h, uintptr_t p,
					  size_t *first, size_t *count)
{
	size_t i, last;

	if (p < h->base || p - h->base >= h->size)
		return HEAP_FREE_FOREIGN;
	if (p < block_addr(h, h->meta_blocks) || (p - h->origin) % BM_BLOCK)
		return HEAP_FREE_NOT_BLOCK;
	i = block_index(h, p);
	if (i >= h->nblocks)
		return HEAP_FREE_NOT_BLOCK;
	if (!bitmap_test(h->used, i))
		return HEAP_FREE_DOUBLE;
	if (bitmap_test(h->used, i - 1) && !bitmap_test(h->last, i - 1))
		return HEAP_FREE_NOT_BLOCK;
	last = bitmap_next_set(h->last, i, h->nblocks);
	if (last == h->nblocks)
		panic("heap_bitmap: block %zu has no end mark", i);
	*first = i;
	*count = last - i + 1;
	return HEAP_FREE_OK;
}

/* Blocks of the live allocation at @ptr; panics when @ptr is not one. */
static size_t block_count_live(const struct heap_bitmap *h, const void *ptr, const char *who)
{
	size_t i, n;

	if (block_lookup(h, (uintptr_t)ptr, &i, &n) != HEAP_FREE_OK)
		panic("%s: %p is not a live block", who, ptr);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Public operations                                                         */
/* ------------------------------------------------------------------------ */

/*
 * heap_bitmap_init - place the instance and its bitmaps at @base and make the
 * rest of [base, base + size) one free run. Returns the instance, or NULL when
 * the region cannot hold the metadata plus one block. The caller keeps owning
 * the region; the instance lives inside it.
 */
static void *heap_bitmap_init(void *base, size_t size, unsigned flags)
{
	struct heap_bitmap *h = base;
	struct bm_layout lo;

	if (!layout_compute((uintptr_t)base, size, &lo))
		return NULL;
	h->base = (uintptr_t)base;
	h->size = size;
	h->origin = lo.origin;
	h->nblocks = lo.nblocks;
	h->meta_blocks = lo.meta_blocks;
	h->nwords = lo.nwords;
	h->flags = flags;
	h->used = lo.used;
	h->last = lo.last;
	h->avail = lo.avail;
	memset(h->used, 0, 2 * lo.nwords * sizeof(unsigned long));
	memset(h->avail, 0, BITS_TO_LONGS(lo.nwords) * sizeof(unsigned long));
	bitmap_set_range(h->used, h->nblocks, h->nwords * BITS_PER_LONG - h->nblocks);
	range_take(h, 0, h->meta_blocks);
	avail_update(h, 0, h->nwords - 1);
	for (unsigned c = 0; c < HINT_CLASSES; c++)
		h->hint[c] = h->meta_blocks;
	if (flags & HEAP_ALGO_POISON)
		heap_poison_fill((void *)block_addr(h, h->meta_blocks),
				 (h->nblocks - h->meta_blocks) * BM_BLOCK);
	return h;
}

/*
 * heap_bitmap_alloc - first-fit allocation of whole blocks covering @size
 * bytes at a multiple of @align. Returns NULL (and changes nothing) when no
 * free run fits. The caller owns the block until it passes it to free.
 */
static void *heap_bitmap_alloc(void *heap, size_t size, size_t align)
{
	struct heap_bitmap *h = heap;
	size_t n, i;
	void *p;

	if (size == 0 || size > (h->nblocks - h->meta_blocks) * BM_BLOCK)
		return NULL;
	n = blocks_for(size);
	i = run_find(h, n, MAX(align, BM_BLOCK));
	if (i == h->nblocks)
		return NULL;
	range_take(h, i, n);
	p = (void *)block_addr(h, i);
	if (h->flags & HEAP_ALGO_POISON)
		heap_poison_check("heap_bitmap", p, n * BM_BLOCK);
	return p;
}

/*
 * heap_bitmap_free - release the allocation starting at @ptr. Returns
 * HEAP_FREE_FOREIGN, HEAP_FREE_NOT_BLOCK or HEAP_FREE_DOUBLE, changing
 * nothing, when @ptr is not the start of a live allocation.
 */
static enum heap_free_result heap_bitmap_free(void *heap, void *ptr)
{
	struct heap_bitmap *h = heap;
	enum heap_free_result r;
	size_t i, n;

	r = block_lookup(h, (uintptr_t)ptr, &i, &n);
	if (r != HEAP_FREE_OK)
		return r;
	range_release(h, i, n);
	if (h->flags & HEAP_ALGO_POISON)
		heap_poison_fill(ptr, n * BM_BLOCK);
	hint_lower(h, i, n);
	return HEAP_FREE_OK;
}

/* heap_bitmap_usable_size - bytes of the live allocation at @ptr (whole blocks). */
static size_t heap_bitmap_usable_size(void *heap, void *ptr)
{
	return block_count_live(heap, ptr, "heap_bitmap_usable_size") * BM_BLOCK;
}

/* heap_bitmap_reserved_size - same as usable: there is no header or padding. */
static size_t heap_bitmap_reserved_size(void *heap, void *ptr)
{
	return block_count_live(heap, ptr, "heap_bitmap_reserved_size") * BM_BLOCK;
}

/* heap_bitmap_space - region, metadata, free bytes and the longest free run. */
static void heap_bitmap_space(void *heap, struct heap_algo_space *out)
{
	const struct heap_bitmap *h = heap;
	size_t i = h->meta_blocks, free_blocks = 0, largest = 0;

	while (i < h->nblocks) {
		size_t start = bitmap_next_clear(h->used, i, h->nblocks);
		size_t end = bitmap_next_set(h->used, start, h->nblocks);

		free_blocks += end - start;
		largest = MAX(largest, end - start);
		i = end;
	}
	out->region = h->size;
	out->meta = h->size - (h->nblocks - h->meta_blocks) * BM_BLOCK;
	out->free = free_blocks * BM_BLOCK;
	out->largest_free = largest * BM_BLOCK;
}

/* ------------------------------------------------------------------------ */
/* Debug: validate and walk                                                  */
/* ------------------------------------------------------------------------ */

/* Problems in the instance struct itself (0 when it matches its layout). */
static unsigned header_check(const struct heap_bitmap *h)
{
	struct bm_layout lo;

	if (h->base != (uintptr_t)h || !layout_compute(h->base, h->size, &lo))
		return 1;
	return (lo.origin != h->origin) + (lo.nblocks != h->nblocks) +
	       (lo.nwords != h->nwords) + (lo.meta_blocks != h->meta_blocks) +
	       (lo.used != h->used) + (lo.last != h->last) + (lo.avail != h->avail);
}

/* Problems in "used", "last" and "avail", word by word. */
static unsigned maps_check(const struct heap_bitmap *h)
{
	unsigned bad = 0;

	for (size_t w = 0; w < h->nwords; w++) {
		unsigned long used = h->used[w], last = h->last[w];
		unsigned long next_used = w + 1 < h->nwords ? h->used[w + 1] & 1 : 1;
		/* used blocks followed by a free one must end an allocation */
		unsigned long run_ends = used & ~((used >> 1) | (next_used << (BITS_PER_LONG - 1)));

		bad += (last & ~used) != 0;
		bad += (run_ends & ~last) != 0;
		bad += bitmap_test(h->avail, w) != (~used != 0);
	}
	for (size_t w = h->nwords; w < BITS_TO_LONGS(h->nwords) * BITS_PER_LONG; w++)
		bad += bitmap_test(h->avail, w);
	bad += !bitmap_range_set(h->used, h->nblocks, h->nwords * BITS_PER_LONG - h->nblocks);
	bad += !bitmap_range_set(h->used, 0, h->meta_blocks);
	bad += bitmap_next_set(h->last, 0, h->nblocks) != h->meta_blocks - 1;
	bad += bitmap_next_set(h->last, h->nblocks, h->nwords * BITS_PER_LONG) !=
	       h->nwords * BITS_PER_LONG;
	return bad;
}

/* Problems in the hints: out of order, or above a run they should cover. */
static unsigned hints_check(const struct heap_bitmap *h)
{
	unsigned bad = 0, c;
	size_t i = h->meta_blocks;

	for (c = 0; c < HINT_CLASSES; c++)
		bad += h->hint[c] > h->nblocks || (c && h->hint[c] < h->hint[c - 1]);
	while (i < h->nblocks) {
		size_t start = bitmap_next_clear(h->used, i, h->nblocks);
		size_t end = bitmap_next_set(h->used, start, h->nblocks);

		if (start < end)
			bad += h->hint[class_of(end - start)] > start;
		i = end;
	}
	return bad;
}

/*
 * heap_bitmap_validate - cross-check the instance struct against its layout,
 * the bitmaps against each other, the summary against "used" and the hints
 * against the free runs. Returns the number of problems (0 when consistent).
 */
static unsigned heap_bitmap_validate(void *heap)
{
	const struct heap_bitmap *h = heap;
	unsigned bad = header_check(h);

	if (bad)
		return bad;	/* the map pointers cannot be trusted */
	return maps_check(h) + hints_check(h);
}

/* heap_bitmap_walk - report metadata, allocations and free runs in address order. */
static void heap_bitmap_walk(void *heap, heap_walk_fn fn, void *arg)
{
	const struct heap_bitmap *h = heap;
	size_t i = h->meta_blocks, tail;

	fn(arg, HEAP_BLOCK_META, 0, block_addr(h, h->meta_blocks) - h->base);
	while (i < h->nblocks) {
		size_t end;

		if (bitmap_test(h->used, i)) {
			end = bitmap_next_set(h->last, i, h->nblocks) + 1;
			fn(arg, HEAP_BLOCK_USED, block_addr(h, i) - h->base, (end - i) * BM_BLOCK);
		} else {
			end = bitmap_next_set(h->used, i, h->nblocks);
			fn(arg, HEAP_BLOCK_FREE, block_addr(h, i) - h->base, (end - i) * BM_BLOCK);
		}
		i = end;
	}
	tail = h->base + h->size - block_addr(h, h->nblocks);
	if (tail)
		fn(arg, HEAP_BLOCK_META, block_addr(h, h->nblocks) - h->base, tail);
}

HEAP_ALGO_REGISTER(bitmap, {
	.name = "bitmap",
	.init = heap_bitmap_init,
	.alloc = heap_bitmap_alloc,
	.free = heap_bitmap_free,
	.usable_size = heap_bitmap_usable_size,
	.reserved_size = heap_bitmap_reserved_size,
	.space = heap_bitmap_space,
	.validate = heap_bitmap_validate,
	.walk = heap_bitmap_walk,
});
