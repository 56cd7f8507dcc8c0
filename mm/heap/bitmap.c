// SPDX-License-Identifier: MIT
/*
 * Bitmap heap: one bit per fixed-size block over the whole region.
 *
 * The region is cut into blocks of BM_BLOCK bytes (CONFIG_HEAP_BITMAP_BLOCK_SIZE,
 * default 16), counted from the region base rounded up to a block boundary.
 * Everything below lives, with the instance struct, at the start of the
 * region and is sized from its length:
 *
 *   used       bit i set when block i belongs to an allocation or to the
 *              metadata; the bits past the last block are set too.
 *   last       bit i set when block i is the last block of an allocation (or
 *              of the metadata). free() finds the size of a block from the
 *              next "last" bit, so there is no in-band header: a 16-byte
 *              request takes exactly one 16-byte block.
 *   run_max    one byte per word of "used": the length of the longest free
 *              run that starts in that word, capped at RUN_CAP (64) blocks.
 *              A run belongs to the word holding its first block only, so
 *              a long run counts once, and its capped length needs at most
 *              the next word to compute. Always exact.
 *   class_map  per size class, one bit per word of "used": set when the
 *              word's run_max falls in that class. A word is in at most
 *              one class (none when no free run starts in it). Exact.
 *   class_top  per size class, one bit per word of class_map: set when
 *              that word is non-zero, and maybe also after it emptied.
 *   class_mask bit c set when size class c holds any word, and maybe also
 *              after it emptied. These two are hints kept cheap: moving a
 *              word between classes sets them but never clears them; the
 *              search clears each stale bit it meets (once per bit).
 *
 * Size classes split run lengths 1..64 TLSF-style: exact below 8, then four
 * per power of two ([8,10), [10,12), ... [56,64)), and 64 alone: NCLASS = 20.
 *
 * A pointer is the start of a live block when its block is used and the block
 * before it is either free or the last block of another allocation. Free runs
 * are only stretches of clear bits, so freeing merges them implicitly and an
 * empty heap is one free run again.
 *
 * Allocation is segregated good fit over words, not first fit. A request of
 * n blocks at an alignment worth a blocks needs a run of n + a - 1 blocks to
 * fit whatever the run's start; the smallest non-empty class whose every run
 * is that long is found with one count-trailing-zeros on class_mask, then
 * its lowest word with two more (class_top, class_map; class_top is scanned
 * a word at a time, one word per 4096 words of "used", 4 MiB of heap at
 * 16-byte blocks), and the first run in that word that fits is taken. When
 * no such class exists (longer requests, big alignments, or only runs a
 * little shorter than the rounded-up class), an exact address-ordered first
 * fit runs over every word whose run_max could hold the request, so an
 * allocation fails only when no free run can hold it at all.
 *
 * An allocation or a free changes the runs starting in at most two words;
 * their run_max bytes are updated from the run just split or merged, and a
 * word is rescanned only when the run that changed was its longest. So a
 * free and a good-fit allocation take constant time (the search amortised,
 * for the stale hints): a few word operations plus moving a word between two
 * classes; only the first-fit fallback walks the summary. free() and
 * usable_size() find the end of an allocation with count-trailing-zeros on
 * "last" in its first two words, falling back to a scan beyond that.
 *
 * The common calls (up to RUN_CAP blocks at block alignment, an end mark
 * within two words, no poisoning) run without calling anything; everything
 * else goes through out-of-line *_general() paths with the same effect.
 */
#include <lib/bitops.h>
#include <lib/string.h>
#include <mm/heap_algo.h>
#include <mmlab/compiler.h>
#include <mmlab/panic.h>

/* Keep rare paths out of line, so the common ones need no stack frame. */
#define bm_noinline	__attribute__((noinline))

#ifdef CONFIG_HEAP_BITMAP_BLOCK_SIZE
#define BM_BLOCK	((size_t)CONFIG_HEAP_BITMAP_BLOCK_SIZE)
#else
#define BM_BLOCK	((size_t)16)
#endif

/* Longest run length run_max records; the class math below assumes 64. */
#define RUN_CAP		((size_t)BITS_PER_LONG)
#define NCLASS		20u
#define NO_CLASS	NCLASS
#define NO_WORD		SIZE_MAX

BUILD_BUG_ON(!IS_POWER_OF_2(BM_BLOCK));
BUILD_BUG_ON(BM_BLOCK < 8);
BUILD_BUG_ON(RUN_CAP != 64);
BUILD_BUG_ON(NCLASS > BITS_PER_LONG);

struct heap_bitmap {
	uintptr_t base;			/* region start, == (uintptr_t)this */
	size_t size;			/* region bytes */
	uintptr_t origin;		/* address of block 0 */
	size_t nblocks;			/* blocks in the grid, metadata included */
	size_t meta_blocks;		/* blocks [0, meta_blocks) hold the metadata */
	size_t nwords;			/* words in "used" and "last", bytes in run_max */
	size_t nmap;			/* words of class_map per class */
	size_t ntop;			/* words of class_top per class */
	unsigned long *used;
	unsigned long *last;
	unsigned long *class_map;	/* NCLASS * nmap words, class-major */
	unsigned long *class_top;	/* NCLASS * ntop words, class-major */
	unsigned char *run_max;		/* nwords bytes */
	unsigned long class_mask;	/* bit c: class c holds a word */
	unsigned long flags;		/* HEAP_ALGO_* */
};

BUILD_BUG_ON(sizeof(struct heap_bitmap) % sizeof(unsigned long) != 0);

/* Where init puts everything for a given region; validate recomputes it. */
struct bm_layout {
	uintptr_t origin;
	size_t nblocks;
	size_t nwords;
	size_t nmap;
	size_t ntop;
	size_t meta_blocks;
	unsigned long *used;
	unsigned long *last;
	unsigned long *class_map;
	unsigned long *class_top;
	unsigned char *run_max;
};

/* ------------------------------------------------------------------------ */
/* Size classes                                                              */
/* ------------------------------------------------------------------------ */

/* Class of a run of @m blocks, 1 <= m <= RUN_CAP. */
#define CLASS_OF(m)							\
	((m) < 8 ? (m) - 1 :						\
	 (m) < 16 ? 7 + (((m) >> 1) & 3) :				\
	 (m) < 32 ? 11 + (((m) >> 2) & 3) :				\
	 (m) < 64 ? 15 + (((m) >> 3) & 3) : 19)
/* Lowest class all of whose runs are at least @n blocks, 1 <= n <= RUN_CAP. */
#define CLASS_AT_LEAST(n)						\
	((n) <= 8 ? (n) - 1 :						\
	 (n) <= 16 ? 7 + (((n) - 7) >> 1) :				\
	 (n) <= 32 ? 11 + (((n) - 13) >> 2) : 15 + (((n) - 25) >> 3))

#define CLASS_ROW4(f, m)	f(m), f((m) + 1), f((m) + 2), f((m) + 3)
#define CLASS_ROW16(f, m)	CLASS_ROW4(f, m), CLASS_ROW4(f, (m) + 4),	\
				CLASS_ROW4(f, (m) + 8), CLASS_ROW4(f, (m) + 12)
#define CLASS_TABLE(f)		{ NO_CLASS, CLASS_ROW16(f, 1), CLASS_ROW16(f, 17),	\
				  CLASS_ROW16(f, 33), CLASS_ROW16(f, 49) }

/* Class of a word by its longest run, 0..RUN_CAP blocks (0: NO_CLASS). */
static const unsigned char class_of_max[RUN_CAP + 1] = CLASS_TABLE(CLASS_OF);
/* Lowest class that guarantees a run of n blocks, 1..RUN_CAP. */
static const unsigned char class_at_least[RUN_CAP + 1] = CLASS_TABLE(CLASS_AT_LEAST);

BUILD_BUG_ON(CLASS_OF(RUN_CAP) != NCLASS - 1 || CLASS_AT_LEAST(RUN_CAP) != NCLASS - 1);
BUILD_BUG_ON(CLASS_AT_LEAST(9) != CLASS_OF(10) || CLASS_AT_LEAST(33) != CLASS_OF(40));

/* ------------------------------------------------------------------------ */
/* Block and run helpers                                                     */
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

static inline bool block_used(const struct heap_bitmap *h, size_t i)
{
	return bitmap_test(h->used, i);
}

/* Free blocks at the start of word @w of "used" (0 past the last word). */
static inline size_t word_lead_free(const struct heap_bitmap *h, size_t w)
{
	unsigned long u;

	if (w >= h->nwords)
		return 0;
	u = h->used[w];
	return u ? word_ffs(u) : BITS_PER_LONG;
}

/*
 * Word @w of "used" with the free blocks that continue a run from word w - 1
 * marked used too, so that its clear bits are exactly the runs starting in w.
 */
static inline unsigned long word_own_used(const struct heap_bitmap *h, size_t w)
{
	unsigned long u = h->used[w];

	if (w && !(h->used[w - 1] >> (BITS_PER_LONG - 1)))
		u |= (u & -u) - 1;	/* all ones when u == 0 */
	return u;
}

/* Length of the free run that starts at free block @s, capped at RUN_CAP. */
static inline size_t run_len_capped(const struct heap_bitmap *h, size_t s)
{
	size_t w = s / BITS_PER_LONG;
	unsigned b = s % BITS_PER_LONG;
	unsigned long rest = h->used[w] >> b;

	if (rest)
		return word_ffs(rest);
	return MIN(RUN_CAP, BITS_PER_LONG - b + word_lead_free(h, w + 1));
}

/* Longest free run starting in word @w of "used", capped at RUN_CAP: run_max[w]. */
static __always_inline size_t word_run_max(const struct heap_bitmap *h, size_t w)
{
	unsigned long u = word_own_used(h, w), f;
	size_t best = 0;

	if (!(u >> (BITS_PER_LONG - 1))) {
		/* the last run reaches the top bit and may go on into w + 1 */
		unsigned t = u ? word_fls(u) + 1 : 0;

		best = BITS_PER_LONG - t + word_lead_free(h, w + 1);
		if (best >= RUN_CAP)
			return RUN_CAP;
		u |= ~0UL << t;
	}
	for (f = ~u; f; ) {
		unsigned long low = f & -f, next = f + low;
		size_t len = word_ffs(next) - word_ffs(low);

		best = MAX(best, len);
		f &= next;
	}
	return best;
}

/* ------------------------------------------------------------------------ */
/* Summary: size-class bitmaps                                               */
/* ------------------------------------------------------------------------ */

static inline unsigned long *class_map_word(const struct heap_bitmap *h, unsigned c, size_t j)
{
	return &h->class_map[c * h->nmap + j];
}

static inline unsigned long *class_top_word(const struct heap_bitmap *h, unsigned c, size_t k)
{
	return &h->class_top[c * h->ntop + k];
}

/*
 * Move word @w of "used" from class @old to class @now (either may be
 * NO_CLASS). class_top and class_mask bits are set here but cleared only by
 * the search, when it finds them stale: that keeps this a few instructions.
 */
static inline void class_move(struct heap_bitmap *h, size_t w, unsigned old, unsigned now)
{
	size_t j = w / BITS_PER_LONG;
	unsigned long bit = BIT(w % BITS_PER_LONG);

	if (old != NO_CLASS)
		*class_map_word(h, old, j) &= ~bit;
	if (now != NO_CLASS) {
		*class_map_word(h, now, j) |= bit;
		bitmap_set_bit(class_top_word(h, now, 0), j);
		h->class_mask |= BIT(now);
	}
}

/* Record @m as the longest run starting in word @w, moving it between classes. */
static inline void summary_store(struct heap_bitmap *h, size_t w, size_t m)
{
	unsigned old = class_of_max[h->run_max[w]], now = class_of_max[m];

	h->run_max[w] = (unsigned char)m;
	if (old != now)
		class_move(h, w, old, now);
}

/* Rescan word @w of "used" and record its longest run. */
static inline void summary_rescan(struct heap_bitmap *h, size_t w)
{
	summary_store(h, w, word_run_max(h, w));
}

/*
 * A free run starting in word @w, which was @len blocks long (capped), has
 * shrunk or gone: rescan the word if that run may have been its longest.
 */
static inline void summary_run_shrunk(struct heap_bitmap *h, size_t w, size_t len)
{
	if (len >= h->run_max[w])
		summary_rescan(h, w);
}

/* A free run of @len blocks (capped) now starts in word @w. */
static inline void summary_run_grown(struct heap_bitmap *h, size_t w, size_t len)
{
	if (len > h->run_max[w])
		summary_store(h, w, len);
}

/* ------------------------------------------------------------------------ */
/* Search                                                                    */
/* ------------------------------------------------------------------------ */

/* Where an allocation goes: first block, and the free run it is cut from. */
struct bm_fit {
	size_t at;		/* first block of the allocation */
	size_t run;		/* first block of the free run */
	size_t run_len;		/* that run's length, capped at RUN_CAP */
};

/*
 * Look for @n blocks at a multiple of @align bytes in the free runs that
 * start in word @w, lowest first. With @exact, runs longer than RUN_CAP are
 * measured in full; otherwise the capped length is taken as the length.
 * Fills @fit and returns true on success.
 */
static __always_inline bool word_fit(const struct heap_bitmap *h, size_t w, size_t n,
				     size_t align, bool exact, struct bm_fit *fit)
{
	unsigned long u = word_own_used(h, w), f = ~u;

	while (f) {
		unsigned long low = f & -f, next = f + low;
		size_t s = w * BITS_PER_LONG + word_ffs(low), len, at;

		if (next)
			len = word_ffs(next) - word_ffs(low);
		else		/* the run reaches the top bit */
			len = MIN(RUN_CAP, (w + 1) * BITS_PER_LONG - s +
					   word_lead_free(h, w + 1));
		at = align > BM_BLOCK ? block_align_up(h, s, align) : s;
		if (at - s + n <= len ||
		    (exact && len == RUN_CAP && at + n <= h->nblocks &&
		     bitmap_next_set(h->used, s, at + n) == at + n)) {
			fit->at = at;
			fit->run = s;
			fit->run_len = len;
			return true;
		}
		f &= next;
	}
	return false;
}

/*
 * Lowest word of "used" in the smallest non-empty class from @lowest up, or
 * NO_WORD when they are all empty. Clears the class_top and class_mask bits
 * it finds stale on the way (class_move() leaves them behind), so each such
 * bit costs one extra step once.
 */
static inline size_t class_first_word(struct heap_bitmap *h, unsigned lowest)
{
	unsigned long classes;

	while ((classes = h->class_mask & (~0UL << lowest))) {
		unsigned c = word_ffs(classes);
		unsigned long *top = class_top_word(h, c, 0);

		for (size_t k = 0; k < h->ntop; k++) {
			while (top[k]) {
				size_t j = k * BITS_PER_LONG + word_ffs(top[k]);
				unsigned long words = *class_map_word(h, c, j);

				if (likely(words))
					return j * BITS_PER_LONG + word_ffs(words);
				top[k] &= top[k] - 1;
			}
		}
		h->class_mask &= ~BIT(c);
	}
	return NO_WORD;
}

/*
 * Exact first fit: the lowest place for @n blocks at @align among the words
 * whose longest run could hold them. False when there is none.
 */
static bool fit_first(const struct heap_bitmap *h, size_t n, size_t align, struct bm_fit *fit)
{
	unsigned long classes = h->class_mask & (~0UL << class_of_max[MIN(n, RUN_CAP)]);

	for (size_t k = 0; classes && k < h->ntop; k++) {
		unsigned long tops = 0;

		for (unsigned long cs = classes; cs; cs &= cs - 1)
			tops |= *class_top_word(h, word_ffs(cs), k);
		for (; tops; tops &= tops - 1) {
			size_t j = k * BITS_PER_LONG + word_ffs(tops);
			unsigned long words = 0;

			for (unsigned long cs = classes; cs; cs &= cs - 1)
				words |= *class_map_word(h, word_ffs(cs), j);
			for (; words; words &= words - 1)
				if (word_fit(h, j * BITS_PER_LONG + word_ffs(words), n, align,
					     true, fit))
					return true;
		}
	}
	return false;
}

/*
 * Good fit from the size classes when one guarantees a fit for @n blocks at
 * @align (a run of n + align / BM_BLOCK - 1 blocks does), else exact first
 * fit. False when nothing fits.
 */
static bm_noinline bool fit_find(struct heap_bitmap *h, size_t n, size_t align,
				 struct bm_fit *fit)
{
	size_t need = n + align / BM_BLOCK - 1;

	if (need <= RUN_CAP) {
		size_t w = class_first_word(h, class_at_least[need]);

		if (w != NO_WORD) {
			if (word_fit(h, w, n, align, false, fit))
				return true;
			panic("heap_bitmap: word %zu holds no run of its class", w);
		}
	}
	return fit_first(h, n, align, fit);
}

/*
 * fit_find() for the common case, @n <= RUN_CAP blocks at any alignment a
 * block has anyway: the first run of the lowest word of the smallest class
 * that guarantees a fit. False when that class and all above are empty
 * (the caller then tries fit_find(), which ends in first fit).
 */
static __always_inline bool fit_find_small(struct heap_bitmap *h, size_t n, struct bm_fit *fit)
{
	size_t w = class_first_word(h, class_at_least[n]);
	unsigned long u, f;

	if (unlikely(w == NO_WORD))
		return false;
	u = word_own_used(h, w);
	for (f = ~u; f; ) {
		unsigned long low = f & -f, next = f + low;
		size_t s = w * BITS_PER_LONG + word_ffs(low), len;

		if (next)
			len = word_ffs(next) - word_ffs(low);
		else
			len = MIN(RUN_CAP, (w + 1) * BITS_PER_LONG - s + word_lead_free(h, w + 1));
		if (len >= n) {
			fit->at = s;
			fit->run = s;
			fit->run_len = len;
			return true;
		}
		f &= next;
	}
	return false;
}

/* ------------------------------------------------------------------------ */
/* Taking and releasing blocks                                               */
/* ------------------------------------------------------------------------ */

/*
 * Mark blocks [fit->at, fit->at + n) as one allocation. The run they are cut
 * from shrinks (its word is rescanned if it was the longest there) and what
 * is left after them starts a new run, perhaps in a later word.
 */
static __always_inline void range_take(struct heap_bitmap *h, const struct bm_fit *fit, size_t n)
{
	size_t end = fit->at + n, w = fit->run / BITS_PER_LONG;

	bitmap_set_range_fast(h->used, fit->at, n);
	bitmap_set_bit(h->last, end - 1);
	if (end / BITS_PER_LONG != w && end < h->nblocks && !block_used(h, end))
		summary_run_grown(h, end / BITS_PER_LONG, run_len_capped(h, end));
	summary_run_shrunk(h, w, fit->run_len);
}

/*
 * Start of the free run that ends at block @i - 1 (which is free), looking
 * back no further than the word before @i's: false when the run is longer,
 * in which case its own word already records RUN_CAP.
 */
static inline bool run_start_before(const struct heap_bitmap *h, size_t i, size_t *start)
{
	size_t w = i / BITS_PER_LONG;
	unsigned long below = h->used[w] & (BIT(i % BITS_PER_LONG) - 1);

	if (below) {
		*start = w * BITS_PER_LONG + word_fls(below) + 1;
		return true;
	}
	if (w && h->used[w - 1]) {
		*start = (w - 1) * BITS_PER_LONG + word_fls(h->used[w - 1]) + 1;
		return true;
	}
	return false;
}

/*
 * Return the allocation at blocks [i, i + n) to the free space. It merges
 * with the free run before it (or starts one) and absorbs the run after it,
 * whose word is rescanned if that run was its longest.
 */
static __always_inline void range_release(struct heap_bitmap *h, size_t i, size_t n)
{
	size_t right = i + n, right_len = 0, start = i;
	bool right_free = right < h->nblocks && !block_used(h, right);
	bool start_known = true;

	if (right_free)
		right_len = run_len_capped(h, right);
	if (!block_used(h, i - 1))
		start_known = run_start_before(h, i, &start);
	bitmap_clear_bit(h->last, right - 1);
	bitmap_clear_range_fast(h->used, i, n);
	if (start_known)
		summary_run_grown(h, start / BITS_PER_LONG, run_len_capped(h, start));
	if (right_free && (!start_known || right / BITS_PER_LONG != start / BITS_PER_LONG))
		summary_run_shrunk(h, right / BITS_PER_LONG, right_len);
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
	lo->nmap = BITS_TO_LONGS(lo->nwords);
	lo->ntop = BITS_TO_LONGS(lo->nmap);
	lo->used = (unsigned long *)(base + sizeof(struct heap_bitmap));
	lo->last = lo->used + lo->nwords;
	lo->class_map = lo->last + lo->nwords;
	lo->class_top = lo->class_map + NCLASS * lo->nmap;
	lo->run_max = (unsigned char *)(lo->class_top + NCLASS * lo->ntop);
	meta_end = (uintptr_t)(lo->run_max + lo->nwords);
	if (meta_end < base || meta_end >= end)
		return false;
	lo->meta_blocks = (meta_end - lo->origin + BM_BLOCK - 1) / BM_BLOCK;
	/* at least one block must be left for allocations */
	return lo->meta_blocks < lo->nblocks;
}

/*
 * Block index of @p when it is a block start past the metadata and before the
 * last block, whose own block is used and whose previous block is free or
 * ends another allocation: then @p may start a live allocation. NO_WORD
 * otherwise (including pointers below the origin, whose offset wraps).
 */
static __always_inline size_t block_start_index(const struct heap_bitmap *h, uintptr_t p)
{
	uintptr_t off = p - h->origin;
	size_t i = off / BM_BLOCK;

	if (off % BM_BLOCK || i - h->meta_blocks >= h->nblocks - h->meta_blocks)
		return NO_WORD;
	if (!block_used(h, i) || (block_used(h, i - 1) && !bitmap_test(h->last, i - 1)))
		return NO_WORD;
	return i;
}

/*
 * The hot-path lookup: blocks in the live allocation at @p when it starts
 * there and ends within the next word of "last", else 0 (the caller then
 * takes block_live()).
 */
static __always_inline size_t block_count_near(const struct heap_bitmap *h, uintptr_t p)
{
	size_t i = block_start_index(h, p), w;
	unsigned long rest;

	if (i == NO_WORD)
		return 0;
	w = i / BITS_PER_LONG;
	rest = h->last[w] >> (i % BITS_PER_LONG);
	if (rest)
		return word_ffs(rest) + 1;
	if (w + 1 < h->nwords && h->last[w + 1])
		return (w + 1) * BITS_PER_LONG - i + word_ffs(h->last[w + 1]) + 1;
	return 0;
}

/*
 * True when @p is the start of a live allocation, with *@first and *@count
 * set to its blocks. Panics when the allocation has no end mark.
 */
static bool block_live(const struct heap_bitmap *h, uintptr_t p, size_t *first, size_t *count)
{
	size_t i = block_start_index(h, p), last;

	if (i == NO_WORD)
		return false;
	last = bitmap_next_set(h->last, i, h->nblocks);
	if (last == h->nblocks)
		panic("heap_bitmap: block %zu has no end mark", i);
	*first = i;
	*count = last - i + 1;
	return true;
}

/* Why @p, which block_live() refused, is not the start of a live allocation. */
static bm_noinline enum heap_free_result block_refusal(const struct heap_bitmap *h, uintptr_t p)
{
	if (p < h->base || p - h->base >= h->size)
		return HEAP_FREE_FOREIGN;
	if (p < block_addr(h, h->meta_blocks) || (p - h->origin) % BM_BLOCK ||
	    block_index(h, p) >= h->nblocks)
		return HEAP_FREE_NOT_BLOCK;
	return block_used(h, block_index(h, p)) ? HEAP_FREE_NOT_BLOCK : HEAP_FREE_DOUBLE;
}

/* Blocks of the live allocation at @ptr; panics when @ptr is not one. */
static size_t block_count_live(const struct heap_bitmap *h, const void *ptr, const char *who)
{
	size_t i, n;

	if (!block_live(h, (uintptr_t)ptr, &i, &n))
		panic("%s: %p is not a live block", who, ptr);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Public operations                                                         */
/* ------------------------------------------------------------------------ */

/*
 * heap_bitmap_init - place the instance and its maps at @base and make the
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
	h->nmap = lo.nmap;
	h->ntop = lo.ntop;
	h->flags = flags;
	h->used = lo.used;
	h->last = lo.last;
	h->class_map = lo.class_map;
	h->class_top = lo.class_top;
	h->run_max = lo.run_max;
	h->class_mask = 0;
	/* the maps are contiguous, up to the end of the metadata */
	memset(h->used, 0, (uintptr_t)(lo.run_max + lo.nwords) - (uintptr_t)lo.used);
	bitmap_set_range(h->used, h->nblocks, h->nwords * BITS_PER_LONG - h->nblocks);
	bitmap_set_range(h->used, 0, h->meta_blocks);
	bitmap_set_bit(h->last, h->meta_blocks - 1);
	for (size_t w = 0; w < h->nwords; w++)
		summary_store(h, w, word_run_max(h, w));
	if (flags & HEAP_ALGO_POISON)
		heap_poison_fill((void *)block_addr(h, h->meta_blocks),
				 (h->nblocks - h->meta_blocks) * BM_BLOCK);
	return h;
}

/* heap_bitmap_alloc() for every case: any size and alignment, poisoning. */
static bm_noinline void *alloc_general(struct heap_bitmap *h, size_t size, size_t align)
{
	struct bm_fit fit;
	size_t n = blocks_for(size);
	void *p;

	if (!(align <= BM_BLOCK && n <= RUN_CAP && fit_find_small(h, n, &fit)) &&
	    !fit_find(h, n, MAX(align, BM_BLOCK), &fit))
		return NULL;
	range_take(h, &fit, n);
	p = (void *)block_addr(h, fit.at);
	if (h->flags & HEAP_ALGO_POISON)
		heap_poison_check("heap_bitmap", p, n * BM_BLOCK);
	return p;
}

/*
 * heap_bitmap_alloc - whole blocks covering @size bytes at a multiple of
 * @align (good fit by size class, else first fit; see the top of the file).
 * Returns NULL (and changes nothing) when no free run fits. The caller owns
 * the block until it passes it to free.
 *
 * The common case (up to RUN_CAP blocks, block alignment, a class that fits,
 * no poisoning) stays in this function, which then calls nothing.
 */
static void *heap_bitmap_alloc(void *heap, size_t size, size_t align, size_t *usable)
{
	struct heap_bitmap *h = heap;
	struct bm_fit fit;
	size_t n = blocks_for(size);
	void *p;

	if (size - 1 >= (h->nblocks - h->meta_blocks) * BM_BLOCK)
		return NULL;	/* 0, or more than the heap */
	if (align > BM_BLOCK || n > RUN_CAP || (h->flags & HEAP_ALGO_POISON) ||
	    !fit_find_small(h, n, &fit)) {
		p = alloc_general(h, size, align);
	} else {
		range_take(h, &fit, n);
		p = (void *)block_addr(h, fit.at);
	}
	if (p && usable)
		*usable = n * BM_BLOCK;	/* exactly n blocks are taken */
	return p;
}

/* heap_bitmap_free() for every case: far end marks, refusals, poisoning. */
static bm_noinline enum heap_free_result free_general(struct heap_bitmap *h, void *ptr,
						      size_t *usable)
{
	size_t i, n;

	if (!block_live(h, (uintptr_t)ptr, &i, &n))
		return block_refusal(h, (uintptr_t)ptr);
	if (usable)
		*usable = n * BM_BLOCK;
	range_release(h, i, n);
	if (h->flags & HEAP_ALGO_POISON)
		heap_poison_fill(ptr, n * BM_BLOCK);
	return HEAP_FREE_OK;
}

/*
 * heap_bitmap_free - release the allocation starting at @ptr. Returns
 * HEAP_FREE_FOREIGN, HEAP_FREE_NOT_BLOCK or HEAP_FREE_DOUBLE, changing
 * nothing, when @ptr is not the start of a live allocation.
 */
static enum heap_free_result heap_bitmap_free(void *heap, void *ptr, size_t *usable)
{
	struct heap_bitmap *h = heap;
	size_t n = block_count_near(h, (uintptr_t)ptr);

	if (!n || (h->flags & HEAP_ALGO_POISON))
		return free_general(h, ptr, usable);
	if (usable)
		*usable = n * BM_BLOCK;
	range_release(h, block_index(h, (uintptr_t)ptr), n);
	return HEAP_FREE_OK;
}

/* heap_bitmap_usable_size() when the end mark is far or @ptr is refused. */
static bm_noinline size_t usable_general(const struct heap_bitmap *h, const void *ptr)
{
	size_t i, n;

	return block_live(h, (uintptr_t)ptr, &i, &n) ? n * BM_BLOCK : 0;
}

/*
 * heap_bitmap_usable_size - bytes of the live allocation at @ptr (whole
 * blocks), or 0 when @ptr is not the start of one (the checks of free()).
 */
static size_t heap_bitmap_usable_size(void *heap, void *ptr)
{
	size_t n = block_count_near(heap, (uintptr_t)ptr);

	return n ? n * BM_BLOCK : usable_general(heap, ptr);
}

/* heap_bitmap_reserved_size - same as usable: there is no header or padding. */
static size_t heap_bitmap_reserved_size(void *heap, void *ptr)
{
	return block_count_live(heap, ptr, "heap_bitmap_reserved_size") * BM_BLOCK;
}

/*
 * heap_bitmap_space - region, metadata, free bytes and the longest free run
 * from a HEAP_ALGO_SPACE_ALIGN boundary (with 8-byte blocks, a run that
 * starts between two boundaries loses its first block to the alignment).
 */
static void heap_bitmap_space(void *heap, struct heap_algo_space *out)
{
	const struct heap_bitmap *h = heap;
	size_t i = h->meta_blocks, free_blocks = 0, largest = 0;

	while (i < h->nblocks) {
		size_t start = bitmap_next_clear(h->used, i, h->nblocks);
		size_t end = bitmap_next_set(h->used, start, h->nblocks);
		size_t at = block_align_up(h, start, HEAP_ALGO_SPACE_ALIGN);

		free_blocks += end - start;
		if (at < end)
			largest = MAX(largest, end - at);
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
	       (lo.nwords != h->nwords) + (lo.nmap != h->nmap) + (lo.ntop != h->ntop) +
	       (lo.meta_blocks != h->meta_blocks) + (lo.used != h->used) +
	       (lo.last != h->last) + (lo.class_map != h->class_map) +
	       (lo.class_top != h->class_top) + (lo.run_max != h->run_max);
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

/*
 * Problems in the summary: run_max bytes that differ from a rescan of their
 * word, class_map words that differ from the classes of those rescans, and
 * class_top and class_mask bits missing above a non-empty word or class (a
 * set bit with nothing below it is a stale hint, which the search clears).
 */
static unsigned summary_check(const struct heap_bitmap *h)
{
	unsigned long any = 0;
	unsigned bad = 0;

	for (size_t j = 0; j < h->nmap; j++) {
		unsigned long want[NCLASS] = { 0 };

		for (size_t w = j * BITS_PER_LONG; w < MIN(h->nwords, (j + 1) * BITS_PER_LONG); w++) {
			size_t m = word_run_max(h, w);

			bad += h->run_max[w] != m;
			if (m)
				want[class_of_max[m]] |= BIT(w % BITS_PER_LONG);
		}
		for (unsigned c = 0; c < NCLASS; c++) {
			bad += *class_map_word(h, c, j) != want[c];
			bad += want[c] && !bitmap_test(class_top_word(h, c, 0), j);
			any |= want[c] ? BIT(c) : 0;
		}
	}
	for (unsigned c = 0; c < NCLASS; c++)
		for (size_t j = h->nmap; j < h->ntop * BITS_PER_LONG; j++)
			bad += bitmap_test(class_top_word(h, c, 0), j);
	bad += (any & ~h->class_mask) != 0;
	bad += (h->class_mask >> NCLASS) != 0;
	return bad;
}

/*
 * heap_bitmap_validate - cross-check the instance struct against its layout,
 * "used" and "last" against each other and the summary against "used".
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

		if (block_used(h, i)) {
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
