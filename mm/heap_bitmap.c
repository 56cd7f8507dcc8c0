// SPDX-License-Identifier: MIT
/*
 * Bitmap heap: one bit per fixed-size block over the whole region.
 *
 * The region is cut into blocks of BM_BLOCK bytes (CONFIG_HEAP_BITMAP_BLOCK_SIZE,
 * default 16), counted from the region base rounded up to a block boundary.
 * Two bitmaps and two summary arrays describe them, all carved, with the
 * instance struct, from the start of the region and sized from its length:
 *
 *   used      bit i set when block i belongs to an allocation or to the
 *             metadata; the bits past the last block are set too, so scans
 *             stop there by themselves.
 *   last      bit i set when block i is the last block of an allocation (or
 *             of the metadata). free() finds the size of a block by looking
 *             for the next "last" bit, so there is no in-band header: a
 *             16-byte request takes exactly one 16-byte block.
 *   run_max   the summary level: one byte per word of "used", an upper bound
 *             on the longest free run that starts in that word (capped at
 *             RUN_CAP blocks).
 *   group_max one byte per GROUP_WORDS words of "used": an upper bound on
 *             their run_max bytes.
 *
 * A pointer is the start of a live block when its block is used and the block
 * before it is either free or the last block of another allocation. Free runs
 * are only stretches of clear bits, so freeing merges them implicitly and an
 * empty heap is one free run again.
 *
 * Allocation is first fit. The summary bytes are scanned eight at a time (a
 * byte-parallel compare on a machine word, then count-trailing-zeros) to find
 * the lowest group, then the lowest word, where a long enough free run starts;
 * inside that word the run starts come from count-trailing-zeros on "used".
 * The bounds are raised eagerly (a free that grows a run, an allocation that
 * leaves a remainder starting in another word) and lowered lazily: a search
 * that finds nothing in a word or group it was sent to recomputes that bound
 * exactly. So alloc and free touch a word or two plus a scan of group_max,
 * one byte per 64 KiB of heap with 16-byte blocks.
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

/* Summary bytes hold 0..RUN_CAP: seven bits, so byte-parallel sums never carry. */
#define RUN_CAP		127u
#define GROUP_WORDS	64u
#define BYTES_PER_LONG	((unsigned)sizeof(unsigned long))
#define BYTE_LOW	(~0UL / 0xff)		/* 0x0101...01 */
#define BYTE_HIGH	(BYTE_LOW << 7)		/* 0x8080...80 */

BUILD_BUG_ON(!IS_POWER_OF_2(BM_BLOCK));
BUILD_BUG_ON(BM_BLOCK < 8);
BUILD_BUG_ON(RUN_CAP > 127);
BUILD_BUG_ON(GROUP_WORDS % 8 != 0);

struct heap_bitmap {
	uintptr_t base;			/* region start, == (uintptr_t)this */
	size_t size;			/* region bytes */
	uintptr_t origin;		/* address of block 0 */
	size_t nblocks;			/* blocks in the grid, metadata included */
	size_t meta_blocks;		/* blocks [0, meta_blocks) hold the metadata */
	size_t nwords;			/* words in "used" and "last" */
	size_t ngroups;			/* bytes in group_max */
	unsigned long *used;
	unsigned long *last;
	unsigned long *run_max;		/* nwords bytes, packed 8 per word */
	unsigned long *group_max;	/* ngroups bytes, packed 8 per word */
	unsigned long flags;		/* HEAP_ALGO_* */
};

BUILD_BUG_ON(sizeof(struct heap_bitmap) % sizeof(unsigned long) != 0);

/* Where init puts everything for a given region; validate recomputes it. */
struct bm_layout {
	uintptr_t origin;
	size_t nblocks;
	size_t nwords;
	size_t ngroups;
	size_t meta_blocks;
	unsigned long *used;
	unsigned long *last;
	unsigned long *run_max;
	unsigned long *group_max;
};

/* ------------------------------------------------------------------------ */
/* Generic bit and byte helpers (candidates for lib/bitmap.c)                */
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

/* Set bits [start, start + n) of @map; a range inside one word takes one step. */
static inline void bitmap_set_range_fast(unsigned long *map, size_t start, size_t n)
{
	unsigned lo = (unsigned)(start % BITS_PER_LONG);

	if (lo + n <= BITS_PER_LONG)
		map[start / BITS_PER_LONG] |= word_mask(lo, (unsigned)n);
	else
		bitmap_set_range(map, start, n);
}

/* Clear bits [start, start + n) of @map; a range inside one word takes one step. */
static inline void bitmap_clear_range_fast(unsigned long *map, size_t start, size_t n)
{
	unsigned lo = (unsigned)(start % BITS_PER_LONG);

	if (lo + n <= BITS_PER_LONG)
		map[start / BITS_PER_LONG] &= ~word_mask(lo, (unsigned)n);
	else
		bitmap_clear_range(map, start, n);
}

/* Words holding @n bytes packed 8 per word. */
static inline size_t bytes_words(size_t n)
{
	return (n + BYTES_PER_LONG - 1) / BYTES_PER_LONG;
}

/* Byte @k of a packed byte array (byte k sits at bits 8 * (k % 8) of its word). */
static inline unsigned bytes_get(const unsigned long *arr, size_t k)
{
	return (unsigned)(arr[k / BYTES_PER_LONG] >> (8 * (k % BYTES_PER_LONG))) & 0xff;
}

static inline void bytes_set(unsigned long *arr, size_t k, unsigned v)
{
	unsigned shift = 8 * (unsigned)(k % BYTES_PER_LONG);
	unsigned long *word = &arr[k / BYTES_PER_LONG];

	*word = (*word & ~(0xffUL << shift)) | ((unsigned long)v << shift);
}

/* High bit set in each byte of @x (all bytes <= 127) that is >= @v (1..127). */
static inline unsigned long bytes_ge_mask(unsigned long x, unsigned v)
{
	return (x + (128 - v) * BYTE_LOW) & BYTE_HIGH;
}

/* Byte-wise maximum of @a and @b (all bytes <= 127). */
static inline unsigned long bytes_max(unsigned long a, unsigned long b)
{
	unsigned long a_ge = (((a | BYTE_HIGH) - b) & BYTE_HIGH) >> 7;
	unsigned long keep_a = a_ge * 0xff;

	return (a & keep_a) | (b & ~keep_a);
}

/*
 * bytes_find_ge - first index in [from, end) of a packed byte array whose
 * byte is >= @v (1..127), or @end when there is none. Bytes from @end up to
 * the end of its word are read too, so they must be below @v (e.g. 0).
 */
static inline size_t bytes_find_ge(const unsigned long *arr, size_t from, size_t end, unsigned v)
{
	size_t idx = from / BYTES_PER_LONG, last = bytes_words(end);
	unsigned long hit;

	if (from >= end)
		return end;
	hit = bytes_ge_mask(arr[idx], v) & (~0UL << (8 * (from % BYTES_PER_LONG)));
	while (!hit) {
		if (++idx >= last)
			return end;
		hit = bytes_ge_mask(arr[idx], v);
	}
	return MIN(idx * BYTES_PER_LONG + word_ffs(hit) / 8, end);
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

/* Length of the free run that starts at free block @s, capped at @cap blocks. */
static inline size_t run_len(const struct heap_bitmap *h, size_t s, size_t cap)
{
	unsigned long rest = h->used[s / BITS_PER_LONG] >> (s % BITS_PER_LONG);

	if (rest)
		return MIN((size_t)word_ffs(rest), cap);
	return bitmap_next_set(h->used, s, MIN(h->nblocks, s + cap)) - s;
}

/* Bits of word @w of "used" where a free run starts. */
static inline unsigned long word_run_starts(const struct heap_bitmap *h, size_t w)
{
	unsigned long free_bits = ~h->used[w];
	unsigned long prev_free = w ? ~h->used[w - 1] >> (BITS_PER_LONG - 1) : 0;

	return free_bits & ~((free_bits << 1) | prev_free);
}

/* ------------------------------------------------------------------------ */
/* Summary level                                                             */
/* ------------------------------------------------------------------------ */

/* Longest free run starting in word @w of "used", capped at RUN_CAP. */
static unsigned word_run_max(const struct heap_bitmap *h, size_t w)
{
	unsigned long starts = word_run_starts(h, w);
	size_t best = 0;

	while (starts && best < RUN_CAP) {
		best = MAX(best, run_len(h, w * BITS_PER_LONG + word_ffs(starts), RUN_CAP));
		starts &= starts - 1;
	}
	return (unsigned)best;
}

/* Largest run_max byte among the words of group @g. */
static unsigned group_run_max(const struct heap_bitmap *h, size_t g)
{
	const size_t per = GROUP_WORDS / BYTES_PER_LONG;
	size_t first = g * per, end = MIN(first + per, bytes_words(h->nwords));
	unsigned long m = 0;

	for (size_t k = first; k < end; k++)
		m = bytes_max(m, h->run_max[k]);
	m = bytes_max(m, m >> 32);
	m = bytes_max(m, m >> 16);
	m = bytes_max(m, m >> 8);
	return (unsigned)(m & 0xff);
}

/* A free run of @len blocks (capped at RUN_CAP) starts at block @s: raise the bounds. */
static void summary_raise(struct heap_bitmap *h, size_t s, size_t len)
{
	size_t w = s / BITS_PER_LONG, g = w / GROUP_WORDS;

	if (len > bytes_get(h->run_max, w)) {
		bytes_set(h->run_max, w, (unsigned)len);
		if (len > bytes_get(h->group_max, g))
			bytes_set(h->group_max, g, (unsigned)len);
	}
}

/*
 * Mark blocks [i, i + n) as one allocation; they lie in the free run that
 * starts at block @s. That run only shrinks, so its bound stays valid; a new
 * run may start at i + n, in another word.
 */
static void range_take(struct heap_bitmap *h, size_t s, size_t i, size_t n)
{
	size_t end = i + n;

	bitmap_set_range_fast(h->used, i, n);
	bitmap_set_bit(h->last, end - 1);
	if (end < h->nblocks && end / BITS_PER_LONG != s / BITS_PER_LONG &&
	    !bitmap_test(h->used, end))
		summary_raise(h, end, run_len(h, end, RUN_CAP));
}

/*
 * Return the allocation at blocks [i, i + n) to the free space. The run it
 * joins starts at or before @i and grows; a run that started at i + n is
 * absorbed, which leaves its word's bound merely loose.
 */
static void range_release(struct heap_bitmap *h, size_t i, size_t n)
{
	size_t floor = i > RUN_CAP ? i - RUN_CAP : 0, start;

	bitmap_clear_bit(h->last, i + n - 1);
	bitmap_clear_range_fast(h->used, i, n);
	start = bitmap_clear_tail_start(h->used, floor, i);
	/* a left neighbour of RUN_CAP blocks or more already has a full byte */
	if (i - start < RUN_CAP)
		summary_raise(h, start, run_len(h, start, RUN_CAP));
}

/* ------------------------------------------------------------------------ */
/* Search                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Try the free run starting at block @s for @n blocks at a multiple of
 * @align bytes: the first block of the fit, or nblocks when it does not fit.
 */
static size_t run_fit(const struct heap_bitmap *h, size_t s, size_t n, size_t align)
{
	size_t at = block_align_up(h, s, align);

	if (at >= h->nblocks || n > h->nblocks - at)
		return h->nblocks;
	if (at == s && n <= RUN_CAP && run_len(h, s, n) == n)
		return at;
	if (bitmap_next_set(h->used, s, at + n) != at + n)
		return h->nblocks;
	return at;
}

/*
 * First-fit search for @n blocks at a multiple of @align bytes. Returns the
 * first block and sets *@run to the start of the free run it lies in, or
 * returns nblocks when nothing fits.
 */
static size_t run_find(struct heap_bitmap *h, size_t n, size_t align, size_t *run)
{
	unsigned want = (unsigned)MIN(n, (size_t)RUN_CAP);
	size_t g = 0, w = 0;

	for (;;) {
		size_t group_end;

		g = bytes_find_ge(h->group_max, g, h->ngroups, want);
		if (g == h->ngroups)
			return h->nblocks;
		group_end = MIN(h->nwords, (g + 1) * GROUP_WORDS);
		w = bytes_find_ge(h->run_max, MAX(w, g * GROUP_WORDS), group_end, want);
		if (w == group_end) {
			/* a loose group bound: make it exact */
			bytes_set(h->group_max, g, group_run_max(h, g));
			g++;
			continue;
		}
		for (unsigned long st = word_run_starts(h, w); st; st &= st - 1) {
			size_t s = w * BITS_PER_LONG + word_ffs(st);
			size_t at = run_fit(h, s, n, align);

			if (at != h->nblocks) {
				*run = s;
				return at;
			}
		}
		/* nothing in word w fits: make its loose bound exact */
		bytes_set(h->run_max, w, word_run_max(h, w));
		w++;
		g = w / GROUP_WORDS;
	}
}

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
	lo->ngroups = (lo->nwords + GROUP_WORDS - 1) / GROUP_WORDS;
	lo->run_max = lo->last + lo->nwords;
	lo->group_max = lo->run_max + bytes_words(lo->nwords);
	meta_end = (uintptr_t)(lo->group_max + bytes_words(lo->ngroups));
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
	h->ngroups = lo.ngroups;
	h->flags = flags;
	h->used = lo.used;
	h->last = lo.last;
	h->run_max = lo.run_max;
	h->group_max = lo.group_max;
	/* the four arrays are contiguous, up to the end of the metadata */
	memset(h->used, 0, (uintptr_t)(lo.group_max + bytes_words(lo.ngroups)) -
			   (uintptr_t)lo.used);
	bitmap_set_range(h->used, h->nblocks, h->nwords * BITS_PER_LONG - h->nblocks);
	bitmap_set_range(h->used, 0, h->meta_blocks);
	bitmap_set_bit(h->last, h->meta_blocks - 1);
	for (size_t w = 0; w < h->nwords; w++)
		bytes_set(h->run_max, w, word_run_max(h, w));
	for (size_t g = 0; g < h->ngroups; g++)
		bytes_set(h->group_max, g, group_run_max(h, g));
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
	size_t n, i, run;
	void *p;

	if (size == 0 || size > (h->nblocks - h->meta_blocks) * BM_BLOCK)
		return NULL;
	n = blocks_for(size);
	i = run_find(h, n, MAX(align, BM_BLOCK), &run);
	if (i == h->nblocks)
		return NULL;
	range_take(h, run, i, n);
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
	       (lo.nwords != h->nwords) + (lo.ngroups != h->ngroups) +
	       (lo.meta_blocks != h->meta_blocks) + (lo.used != h->used) +
	       (lo.last != h->last) + (lo.run_max != h->run_max) +
	       (lo.group_max != h->group_max);
}

/* Problems in "used" and "last": marks out of place, allocations without an end. */
static unsigned maps_check(const struct heap_bitmap *h)
{
	size_t nbits = h->nwords * BITS_PER_LONG;
	unsigned bad = 0;

	for (size_t w = 0; w < h->nwords; w++) {
		unsigned long used = h->used[w], last = h->last[w];
		unsigned long next_used = w + 1 < h->nwords ? h->used[w + 1] & 1 : 1;
		/* a used block followed by a free one must end an allocation */
		unsigned long run_ends = used & ~((used >> 1) | (next_used << (BITS_PER_LONG - 1)));

		bad += (last & ~used) != 0;
		bad += (run_ends & ~last) != 0;
	}
	bad += !bitmap_range_set(h->used, h->nblocks, nbits - h->nblocks);
	bad += !bitmap_range_set(h->used, 0, h->meta_blocks);
	bad += bitmap_next_set(h->last, 0, h->nblocks) != h->meta_blocks - 1;
	bad += bitmap_next_set(h->last, h->nblocks, nbits) != nbits;
	return bad;
}

/* Problems in the summary bytes: each must bound what it summarises from above. */
static unsigned summary_check(const struct heap_bitmap *h)
{
	unsigned bad = 0;

	for (size_t w = 0; w < bytes_words(h->nwords) * BYTES_PER_LONG; w++) {
		unsigned b = bytes_get(h->run_max, w);

		bad += w < h->nwords ? b > RUN_CAP || b < word_run_max(h, w) : b != 0;
	}
	for (size_t g = 0; g < bytes_words(h->ngroups) * BYTES_PER_LONG; g++) {
		unsigned b = bytes_get(h->group_max, g);

		bad += g < h->ngroups ? b > RUN_CAP || b < group_run_max(h, g) : b != 0;
	}
	return bad;
}

/*
 * heap_bitmap_validate - cross-check the instance struct against its layout,
 * "used" and "last" against each other and the summary bytes against "used".
 * Returns the number of problems (0 when consistent).
 */
static unsigned heap_bitmap_validate(void *heap)
{
	const struct heap_bitmap *h = heap;
	unsigned bad = header_check(h);

	if (bad)
		return bad;	/* the map pointers cannot be trusted */
	return maps_check(h) + summary_check(h);
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
