// SPDX-License-Identifier: MIT
/*
 * Bitmap heap: one bit per fixed-size block, with segregated indexes of the
 * free runs kept beside the bitmap, so that every call is bounded.
 *
 * The idea. The region is cut into blocks of BM_BLOCK bytes
 * (CONFIG_HEAP_BITMAP_BLOCK_SIZE, default 16), counted from the region base
 * rounded up to a block boundary. "used" has a bit per block (set: the block
 * belongs to an allocation or to the metadata) and "last" marks the last
 * block of each allocation, so free() finds a block's size from the next
 * "last" bit and there is no in-band header: a 16-byte request takes one
 * 16-byte block. Free space is only the stretches of clear bits ("runs"), so
 * an empty heap is one run again and nothing is ever written into free
 * memory: an overrun or a write after free cannot damage the allocator.
 * Everything lives, with the instance struct, at the start of the region.
 *
 * The indexes. A run belongs to the word of "used" (64 blocks) that holds its
 * first block. Its key is the number of blocks usable from its first 16-byte
 * boundary (its length, unless blocks are 8 bytes and it starts between two
 * boundaries), so a request for n blocks at 16-byte alignment fits any run
 * whose key is at least n.
 *
 *   short runs  (under 64 blocks, so within two words): run_max holds, per
 *               word, the largest key of a short run starting in it (a
 *               byte, 0 when none). Words are grouped by eight, one word of
 *               run_max; for each key 1..63 a tier (below) holds the groups
 *               where some word has that run_max. short_mask: the keys that
 *               occur. Exact classes: no near misses.
 *   long runs   (64 blocks or more): at most one starts in a word. Classes
 *               are TLSF's two levels over the key: an octave (fl: keys in
 *               [64 << fl, 128 << fl)) cut into SL_COUNT equal slices (sl).
 *               A run of octave fl is at least 64 << fl blocks long, so at
 *               most one starts in any 1 << fl consecutive words: each class
 *               is a tier over those groups of words, found by bit position
 *               alone. fl_mask and sl_mask[] say which classes are non-empty.
 *   busy        a tier over the words of "used" that hold a used block, but
 *               for the words inside a far allocation (below): the nearest
 *               used block before or after a long run, so its start and end,
 *               are found from it a word per level.
 *   far         a tier over the words of "last", holding the end word of
 *               every allocation that ends two or more words after the word
 *               it starts in: free() finds a long allocation's end with it.
 *   lazy        three levels of bits, a bit of level l for 64^l words of
 *               "used": the words inside a far allocation, two words or more
 *               from its ends, are all ones and left 0 in "used" (lazy), so
 *               that marking an allocation of any size writes a few words.
 *
 * A tier is a set of at most 2^18 integers in three levels of bits (a top
 * word, a bit per non-zero mid word; mid words, a bit per non-zero low word;
 * low words, a bit per member). Every summary bit is exact, never a hint, so
 * adding, removing, finding the lowest member or the nearest member above or
 * below a point costs one word operation per level.
 *
 * Allocation is good fit. A request for n blocks at an alignment worth a
 * blocks beyond the 16-byte grain needs a key of n + a: from a run that long
 * it fits wherever the run starts. Under 64 that is the smallest non-empty
 * key class at or above it (one count-trailing-zeros on short_mask), the
 * lowest group in its tier (three more), the word in the group with that
 * run_max (one word compare, byte-parallel), and in that word the lowest run
 * that fits. Otherwise, or when no short run is long enough, the smallest
 * non-empty long class whose every run is long enough (two
 * count-trailing-zeros on the masks) gives the run at its lowest group. When
 * there is none, the only runs that may still fit are in the request's own
 * class, which is then the largest non-empty one: its lowest run is tried.
 * So a request fails only when nothing fits, except that within the top long
 * class (keys within 1/SL_COUNT of each other) only the lowest run is
 * considered; space() reports largest_free by the same rule, so a request up
 * to largest_free always succeeds.
 *
 * Why each call is bounded. Taking or giving back blocks changes at most
 * three runs: the one cut (or the two merged) and the pieces left. Each
 * change is one tier update (three levels) for a long run, or one byte of
 * run_max plus two tier updates for a word whose largest key changed (the
 * word is rescanned only when the run that changed may have been its
 * largest: a loop over the at most 32 runs inside one word). Finding a long
 * run's ends walks "busy" up and down (six words at most); the search is a
 * fixed number of word operations; marking or clearing an allocation of any
 * size writes its first and last two words of "used" and at most 2 * 63
 * lazy bits a level (masks on one or two words each, in practice). So a
 * call costs O(log64 of the heap size) word operations whatever the sizes,
 * the alignments or the heap's history: three levels cover 2^24 blocks.
 * Only debug builds poison, which is proportional to the block.
 *
 * The common calls (a short run that fits, a free whose merged run stays
 * short, no poisoning) run without calling anything: alloc_near() and
 * free_near(), which the kernel's front end inlines into kmalloc() and
 * kfree() as the first halves of alloc() and free() (HEAP_ALGO_TRY_*, after
 * the ops); they fail with nothing changed, and everything else goes
 * through the out-of-line alloc_general() and free_miss(), into which the
 * long-run paths (the *_far() marks, the class tiers, the walks) are
 * inlined, so that a long request calls nothing more (but lib/bitmap.c for
 * lazy ranges over two words of a level).
 *
 * What it costs (make bench, 8 MiB heap, guest instructions per call
 * through kmalloc/kfree): churn of 8-512 byte blocks 227, of which the
 * front end is 8.6; log-uniform sizes to 64 KiB 338, mixed alignments 327,
 * where the requests of 64 blocks or more take the long-run paths (class
 * tiers, the walks along "busy", the lazy bits); the worst single call of
 * every heap workload 738, flat from 64 KiB to 64 MiB heaps. The short
 * paths are long enough that the compiler gives them a prologue saving a
 * dozen registers (about 27 instructions a call).
 */
#include <lib/bitops.h>
#include <lib/string.h>
#include <mm/heap_algo.h>
#include <mmlab/compiler.h>
#include <mmlab/panic.h>

/* Keep rare paths out of line, so the common ones need no stack frame. */
#define bm_noinline	__attribute__((noinline))

/* ------------------------------------------------------------------------ */
/* Constants                                                                 */
/* ------------------------------------------------------------------------ */

#ifdef CONFIG_HEAP_BITMAP_BLOCK_SIZE
#define BM_BLOCK	((size_t)CONFIG_HEAP_BITMAP_BLOCK_SIZE)
#else
#define BM_BLOCK	((size_t)16)
#endif

#define WORD_BITS	((size_t)BITS_PER_LONG)
/* A run this long or longer is long: at most one starts in a word. */
#define RUN_LONG	WORD_BITS
/* Keys count blocks from a GRAIN_BYTES boundary (the alignment largest_free is for). */
#define GRAIN_BYTES	MAX(BM_BLOCK, (size_t)HEAP_ALGO_SPACE_ALIGN)
#define GRAIN		(GRAIN_BYTES / BM_BLOCK)
/* Words of "used" per group of the short index: run_max bytes in a word. */
#define GROUP_WORDS	((size_t)sizeof(unsigned long))
/* Levels of lazy bits (a bit of level l: 64^l words of "used"). */
#define LAZY_LEVELS	3u
/* Long classes: FL_COUNT octaves of SL_COUNT slices each. */
#define SL_SHIFT	4u
#define SL_COUNT	(1u << SL_SHIFT)
#define FL_COUNT	18u
/* The largest grid: the keys stay below 64 << FL_COUNT, the tiers in 2^18. */
#define TIER_CAP	((size_t)1 << 18)
#define MAX_BLOCKS	(TIER_CAP * WORD_BITS - WORD_BITS)
#define NONE		SIZE_MAX

#define BYTES_LOW	0x0101010101010101UL
#define BYTES_HIGH	0x8080808080808080UL

BUILD_BUG_ON(!IS_POWER_OF_2(BM_BLOCK));
BUILD_BUG_ON(BM_BLOCK < 8);
BUILD_BUG_ON(WORD_BITS != 64 || GROUP_WORDS != 8);
BUILD_BUG_ON(SL_SHIFT > 6);
BUILD_BUG_ON(MAX_BLOCKS >= (RUN_LONG << FL_COUNT));

/*
 * A tier is a set of integers below its cap (at most TIER_CAP) in three
 * levels of bits: one top word (bit m: mid word m is non-zero), the mid
 * words (bit j: low word j is non-zero) and the low words (bit i: i is a
 * member). Tiers of one kind (the 64 key tiers, the SL_COUNT class tiers of
 * an octave) are interleaved, word j of tier t at low[t + j * stride], so
 * that picking a tier is an addition.
 */
struct tier {
	unsigned long *top, *mid, *low;
	size_t stride;			/* words between two words of one level */
};

struct heap_bitmap {
	/* layout: a function of the region, set by init and checked by validate */
	uintptr_t base;			/* region start, == (uintptr_t)this */
	size_t size;			/* region bytes */
	uintptr_t origin;		/* address of block 0 */
	size_t phase;			/* block 0's place in its GRAIN_BYTES grain, in blocks */
	size_t nblocks;			/* blocks in the grid, metadata included */
	size_t meta_blocks;		/* blocks [0, meta_blocks) hold the metadata */
	size_t nwords;			/* words in "used" and "last" (>= 1 bit of padding) */
	size_t fl_count;		/* octaves of long classes in use */
	struct tier busy;		/* words holding used blocks, but inside far allocations */
	struct tier far;		/* end words of far allocations */
	struct tier keys;		/* key k's tier over groups: keys + k (0 unused) */
	struct tier octaves[FL_COUNT];	/* class (fl, sl)'s tier over groups: octaves[fl] + sl */
	unsigned long *used;
	unsigned long *last;
	unsigned long *run_max;		/* a byte per word of "used", 8 per word */
	unsigned long *lazy[LAZY_LEVELS];	/* lazy words of "used", 64^l a bit */
	/* state */
	unsigned long flags;		/* HEAP_ALGO_*: first field after the layout */
	unsigned long short_mask;	/* bit k: some word has run_max k */
	unsigned long fl_mask;		/* bit fl: octave fl holds a long run */
	unsigned long sl_mask[FL_COUNT];	/* bit sl: class (fl, sl) does */
};

BUILD_BUG_ON(sizeof(struct heap_bitmap) % sizeof(unsigned long) != 0);

/* Where the free run a request goes into is, and where in it the request goes. */
struct bm_fit {
	size_t at;		/* first block of the allocation */
	size_t run;		/* first block of the free run */
	size_t len;		/* that run's length in blocks, exact */
	size_t cls;		/* a long run's class, or a short run's word's run_max */
};

/* ------------------------------------------------------------------------ */
/* Word bits                                                                 */
/* ------------------------------------------------------------------------ */

/* Bits b..63, 0..b (inclusive), 0..b-1 and b+1..63 of a word; b < 64. */
static inline unsigned long bits_from(size_t b)
{
	return ~0UL << b;
}

static inline unsigned long bits_upto(size_t b)
{
	return ~0UL >> (WORD_BITS - 1 - b);
}

static inline unsigned long bits_below(size_t b)
{
	return BIT(b) - 1;
}

static inline unsigned long bits_above(size_t b)
{
	return (~0UL << b) << 1;
}

/* ------------------------------------------------------------------------ */
/* Tiers: sets of up to TIER_CAP integers in three levels of bits             */
/* ------------------------------------------------------------------------ */

static inline size_t tier_nlow(size_t cap)
{
	return BITS_TO_LONGS(cap);
}

static inline size_t tier_nmid(size_t cap)
{
	return BITS_TO_LONGS(tier_nlow(cap));
}

/* Tier @k of a kind whose tier 0 is @t and whose tiers are @count (a constant) interleaved. */
static __always_inline struct tier tier_of(struct tier t, size_t k, size_t count)
{
	return (struct tier){ t.top + k, t.mid + k, t.low + k, count };
}

/* "busy" and "far", single tiers: a stride of 1 the compiler sees. */
static __always_inline struct tier busy_tier(const struct heap_bitmap *h)
{
	return tier_of(h->busy, 0, 1);
}

static __always_inline struct tier far_tier(const struct heap_bitmap *h)
{
	return tier_of(h->far, 0, 1);
}

/* Add member @i; true when the tier was empty. */
static __always_inline bool tier_add(struct tier t, size_t i)
{
	size_t j = i / WORD_BITS, m = j / WORD_BITS;
	unsigned long *low = t.low + j * t.stride, *mid = t.mid + m * t.stride, old = *low;

	*low = old | BIT(i % WORD_BITS);
	if (old)
		return false;
	old = *mid;
	*mid = old | BIT(j % WORD_BITS);
	if (old)
		return false;
	old = *t.top;
	*t.top = old | BIT(m);
	return !old;
}

/* Remove member @i; true when the tier is empty now. */
static __always_inline bool tier_remove(struct tier t, size_t i)
{
	size_t j = i / WORD_BITS, m = j / WORD_BITS;
	unsigned long *low = t.low + j * t.stride, *mid = t.mid + m * t.stride;

	if ((*low &= ~BIT(i % WORD_BITS)))
		return false;
	if ((*mid &= ~BIT(j % WORD_BITS)))
		return false;
	return !(*t.top &= ~BIT(m));
}

static inline bool tier_has(struct tier t, size_t i)
{
	return t.low[i / WORD_BITS * t.stride] >> (i % WORD_BITS) & 1;
}

/* The lowest member of a non-empty tier. */
static __always_inline size_t tier_first(struct tier t)
{
	size_t m = word_ffs(*t.top), j = m * WORD_BITS + word_ffs(t.mid[m * t.stride]);

	return j * WORD_BITS + word_ffs(t.low[j * t.stride]);
}

/* The lowest (@up) or highest set bit of non-zero @bits. */
static __always_inline size_t bit_end(unsigned long bits, bool up)
{
	return up ? word_ffs(bits) : word_fls(bits);
}

/* The bits of a word on one side of bit @b (above it when @up), with @b itself when @with_b. */
static __always_inline unsigned long bits_side(size_t b, bool up, bool with_b)
{
	if (up)
		return with_b ? bits_from(b) : bits_above(b);
	return with_b ? bits_upto(b) : bits_below(b);
}

/*
 * The nearest member of @t at or above @i (@up) or at or below it, or NONE
 * (@i below the tier's cap): up the levels to the first word with a member
 * on that side of the point, then down again, a word per level.
 */
static __always_inline size_t tier_near(struct tier t, size_t i, bool up)
{
	size_t j = i / WORD_BITS, m = j / WORD_BITS;
	unsigned long bits = t.low[j * t.stride] & bits_side(i % WORD_BITS, up, true);

	if (bits)
		return j * WORD_BITS + bit_end(bits, up);
	bits = t.mid[m * t.stride] & bits_side(j % WORD_BITS, up, false);
	if (!bits) {
		bits = *t.top & bits_side(m, up, false);
		if (!bits)
			return NONE;
		m = bit_end(bits, up);
		bits = t.mid[m * t.stride];
	}
	j = m * WORD_BITS + bit_end(bits, up);
	return j * WORD_BITS + bit_end(t.low[j * t.stride], up);
}

/* ------------------------------------------------------------------------ */
/* Blocks and runs                                                           */
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

/* Where an allocation cut from a run starting at @s goes at @align. */
static inline size_t block_place(const struct heap_bitmap *h, size_t s, size_t align)
{
	return align > BM_BLOCK ? block_align_up(h, s, align) : s;
}

/* Blocks an alignment of @align bytes may cost beyond the 16-byte grain. */
static inline size_t align_pad(size_t align)
{
	return align > GRAIN_BYTES ? align / BM_BLOCK - GRAIN : 0;
}

static inline bool block_used(const struct heap_bitmap *h, size_t i)
{
	return bitmap_test(h->used, i);
}

/* Blocks of the run [@s, @s + @len) usable from its first GRAIN_BYTES boundary. */
static inline size_t run_key(const struct heap_bitmap *h, size_t s, size_t len)
{
	size_t skip = (GRAIN - (s + h->phase) % GRAIN) % GRAIN;

	return len > skip ? len - skip : 0;
}

/* Free blocks at the start of word @w of "used" (0 past the last word). */
static inline size_t word_lead_free(const struct heap_bitmap *h, size_t w)
{
	unsigned long u;

	if (w >= h->nwords)
		return 0;
	u = h->used[w];
	return u ? word_ffs(u) : WORD_BITS;
}

/*
 * The free runs that start in word @w, as the set bits of the result, except
 * the one reaching its top bit, which may go on into w + 1: that one's start
 * and length go to *@top and *@top_len (0 when there is none).
 */
static __always_inline unsigned long word_runs(const struct heap_bitmap *h, size_t w,
					       size_t *top, size_t *top_len)
{
	unsigned long u = h->used[w];

	/* free blocks continuing a run from word w - 1 are not this word's */
	if (w && !(h->used[w - 1] >> (WORD_BITS - 1)))
		u |= (u & -u) - 1;	/* all ones when u == 0 */
	*top = 0;
	*top_len = 0;
	if (!(u >> (WORD_BITS - 1))) {
		size_t t = u ? word_fls(u) + 1 : 0;

		*top = w * WORD_BITS + t;
		*top_len = WORD_BITS - t + word_lead_free(h, w + 1);
		u |= bits_from(t);
	}
	return ~u;
}

/* Start and length of the lowest run in @f (non-zero, bit 63 clear) of word
 * @w; drops it from *@f. */
static __always_inline size_t run_pop(unsigned long *f, size_t w, size_t *len)
{
	unsigned long low = *f & -*f, next = *f + low;
	size_t b = word_ffs(low);

	*len = word_ffs(next) - b;
	*f &= next;
	return w * WORD_BITS + b;
}

/* Largest key of a short run starting in word @w (0 when none): its run_max. */
static __always_inline size_t word_short_max(const struct heap_bitmap *h, size_t w)
{
	size_t top, top_len, len, best = 0;
	unsigned long f = word_runs(h, w, &top, &top_len);

	if (top_len && top_len < RUN_LONG)
		best = run_key(h, top, top_len);
	while (f) {
		size_t s = run_pop(&f, w, &len);

		best = MAX(best, run_key(h, s, len));
	}
	return best;
}

/*
 * The lowest short run starting in word @w that holds @n blocks at @align:
 * fills @fit and returns true, or false when none does.
 */
static __always_inline bool word_first_fit(const struct heap_bitmap *h, size_t w, size_t n,
					   size_t align, struct bm_fit *fit)
{
	size_t top, top_len, len, s;
	unsigned long f = word_runs(h, w, &top, &top_len);

	while (f) {
		s = run_pop(&f, w, &len);
		if (block_place(h, s, align) + n <= s + len)
			goto found;
	}
	s = top;
	len = top_len;
	if (!len || len >= RUN_LONG || block_place(h, s, align) + n > s + len)
		return false;
found:
	fit->run = s;
	fit->len = len;
	fit->at = block_place(h, s, align);
	return true;
}

/* used_prev() beyond the word before: the last used block of a busy word up to @w. */
static __always_inline size_t used_prev_far(const struct heap_bitmap *h, size_t w)
{
	size_t u = tier_near(busy_tier(h), w, false);

	if (u == NONE)
		panic("heap_bitmap: no used block below word %zu", w);
	return u * WORD_BITS + word_fls(h->used[u]);
}

/* Highest used block at or below @x, which is free or used; there is one (the metadata). */
static __always_inline size_t used_prev(const struct heap_bitmap *h, size_t x)
{
	size_t w = x / WORD_BITS;
	unsigned long u = h->used[w] & bits_upto(x % WORD_BITS);

	if (likely(u))
		return w * WORD_BITS + word_fls(u);
	/* block 0 is used, so w > 0 here, and w > 1 past the next test */
	if (likely(h->used[w - 1]))
		return (w - 1) * WORD_BITS + word_fls(h->used[w - 1]);
	return used_prev_far(h, w - 2);
}

/* used_next() beyond the word after: the first used block of a busy word from @w on. */
static __always_inline size_t used_next_far(const struct heap_bitmap *h, size_t w)
{
	size_t u = w < h->nwords ? tier_near(busy_tier(h), w, true) : NONE;

	if (u == NONE)
		panic("heap_bitmap: no used block from word %zu", w);
	return u * WORD_BITS + word_ffs(h->used[u]);
}

/* Lowest used block at or above @x; there is one (the padding). */
static __always_inline size_t used_next(const struct heap_bitmap *h, size_t x)
{
	size_t w = x / WORD_BITS;
	unsigned long u = h->used[w] & bits_from(x % WORD_BITS);

	if (likely(u))
		return w * WORD_BITS + word_ffs(u);
	/* the last word holds padding, so w + 1 is a word here */
	if (likely(h->used[w + 1]))
		return (w + 1) * WORD_BITS + word_ffs(h->used[w + 1]);
	return used_next_far(h, w + 2);
}

/* ------------------------------------------------------------------------ */
/* Marking blocks used and free                                              */
/* ------------------------------------------------------------------------ */

static __always_inline void used_word_set(struct heap_bitmap *h, size_t w, unsigned long mask)
{
	unsigned long old = h->used[w];

	h->used[w] = old | mask;
	if (!old)
		tier_add(busy_tier(h), w);
}

static __always_inline void used_word_clear(struct heap_bitmap *h, size_t w, unsigned long mask)
{
	if (!(h->used[w] &= ~mask))
		tier_remove(busy_tier(h), w);
}

/*
 * Lazy words. The whole words inside a long allocation are all ones, so
 * they need not be written: they stay 0 in "used" and are marked instead in
 * three levels of lazy bits, a bit of level l standing for 64^l words (the
 * largest aligned chunks at the top, the ragged ends below). Only words at
 * least two words inside the allocation's first and last word are lazy, so
 * every word the allocator reads next to a word holding a free block is a
 * stored one: only refusals and the debug walks meet lazy words, through
 * used_word_any().
 */
static inline bool word_lazy(const struct heap_bitmap *h, size_t w)
{
	return bitmap_test(h->lazy[0], w) || bitmap_test(h->lazy[1], w / WORD_BITS) ||
	       bitmap_test(h->lazy[2], w / WORD_BITS / WORD_BITS);
}

/* Word @w of "used" as it stands for: all ones when lazy. */
static inline unsigned long used_word_any(const struct heap_bitmap *h, size_t w)
{
	return word_lazy(h, w) ? ~0UL : h->used[w];
}

/* The lazy words [*la, *lb) (maybe empty) of the far allocation from word @w to word @we. */
static inline void lazy_span(size_t w, size_t we, size_t *la, size_t *lb)
{
	*la = w + 2;
	*lb = we > w + 3 ? we - 1 : *la;
}

/* Set (@on) or clear the bits @mask of word @x. */
static inline void lazy_word(unsigned long *x, unsigned long mask, bool on)
{
	if (on)
		*x |= mask;
	else
		*x &= ~mask;
}

/* Set (@on) or clear bits [a, b) of @map: masks when they span two words or fewer. */
static inline void lazy_bits(unsigned long *map, size_t a, size_t b, bool on)
{
	size_t ja = a / WORD_BITS, jb = (b - 1) / WORD_BITS;

	if (a >= b)
		return;
	if (ja == jb) {
		lazy_word(&map[ja], word_mask((unsigned)(a % WORD_BITS), (unsigned)(b - a)), on);
	} else if (ja + 1 == jb) {
		lazy_word(&map[ja], bits_from(a % WORD_BITS), on);
		lazy_word(&map[jb], bits_upto((b - 1) % WORD_BITS), on);
	} else if (on) {
		bitmap_set_range(map, a, b - a);
	} else {
		bitmap_clear_range(map, a, b - a);
	}
}

/*
 * Mark words [a, b) lazy (@on) or not: at each level the ragged ends up to
 * the next level's chunk boundaries, the whole chunks one level up. Under
 * 2 * 63 bits a level, so O(1) words for any range.
 */
static __always_inline void lazy_assign(struct heap_bitmap *h, size_t a, size_t b, bool on)
{
	size_t unit = 1, l;

	if (b - a < WORD_BITS) {
		lazy_bits(h->lazy[0], a, b, on);	/* the common case: level 0 only */
		return;
	}
	for (l = 0; l < LAZY_LEVELS - 1; l++, unit *= WORD_BITS) {
		size_t up = ALIGN_UP(a, unit * WORD_BITS), down = ALIGN_DOWN(b, unit * WORD_BITS);

		if (up >= down)
			break;
		lazy_bits(h->lazy[l], a / unit, up / unit, on);
		lazy_bits(h->lazy[l], down / unit, b / unit, on);
		a = up;
		b = down;
	}
	lazy_bits(h->lazy[l], a / unit, b / unit, on);
}

/*
 * used_mark() over three words or more: the first and last word, which may
 * hold other allocations' blocks too; the words next to them, stored but
 * left out of "busy" (no search ever stops inside an allocation); the
 * words in between lazy.
 */
static __always_inline void used_mark_far(struct heap_bitmap *h, size_t s, size_t n)
{
	size_t w = s / WORD_BITS, we = (s + n - 1) / WORD_BITS;

	used_word_set(h, w, bits_from(s % WORD_BITS));
	h->used[w + 1] = ~0UL;
	if (we > w + 2) {
		h->used[we - 1] = ~0UL;
		if (we > w + 3)
			lazy_assign(h, w + 2, we - 1, true);
	}
	used_word_set(h, we, bits_upto((s + n - 1) % WORD_BITS));
}

static __always_inline void used_unmark_far(struct heap_bitmap *h, size_t s, size_t n)
{
	size_t w = s / WORD_BITS, we = (s + n - 1) / WORD_BITS;

	used_word_clear(h, w, bits_from(s % WORD_BITS));
	h->used[w + 1] = 0;
	if (we > w + 2) {
		h->used[we - 1] = 0;
		if (we > w + 3)
			lazy_assign(h, w + 2, we - 1, false);
	}
	used_word_clear(h, we, bits_upto((s + n - 1) % WORD_BITS));
}

/* Set the "used" bits of blocks [s, s + n), all free, within two words. */
static __always_inline void used_mark_near(struct heap_bitmap *h, size_t s, size_t n)
{
	size_t w = s / WORD_BITS, lo = s % WORD_BITS, hi = lo + n;

	if (hi <= WORD_BITS) {
		used_word_set(h, w, word_mask((unsigned)lo, (unsigned)n));
	} else {
		used_word_set(h, w, bits_from(lo));
		used_word_set(h, w + 1, bits_upto(hi - WORD_BITS - 1));
	}
}

/* Clear the "used" bits of blocks [s, s + n), all used, within two words. */
static __always_inline void used_unmark_near(struct heap_bitmap *h, size_t s, size_t n)
{
	size_t w = s / WORD_BITS, lo = s % WORD_BITS, hi = lo + n;

	if (hi <= WORD_BITS) {
		used_word_clear(h, w, word_mask((unsigned)lo, (unsigned)n));
	} else {
		used_word_clear(h, w, bits_from(lo));
		used_word_clear(h, w + 1, bits_upto(hi - WORD_BITS - 1));
	}
}

/* Blocks [s, s + n) lie within two words. */
static inline bool range_near(size_t s, size_t n)
{
	return s % WORD_BITS + n <= 2 * WORD_BITS;
}

static __always_inline void used_mark(struct heap_bitmap *h, size_t s, size_t n)
{
	if (range_near(s, n))
		used_mark_near(h, s, n);
	else
		used_mark_far(h, s, n);
}

static __always_inline void used_unmark(struct heap_bitmap *h, size_t s, size_t n)
{
	if (range_near(s, n))
		used_unmark_near(h, s, n);
	else
		used_unmark_far(h, s, n);
}

/* An allocation ends far when its last block is two words or more past its first. */
static inline bool alloc_far(size_t first, size_t last)
{
	return last / WORD_BITS >= first / WORD_BITS + 2;
}

/* Mark @last as the end of the allocation starting at @first. */
static __always_inline void last_mark(struct heap_bitmap *h, size_t first, size_t last)
{
	bitmap_set_bit(h->last, last);
	if (unlikely(alloc_far(first, last)))
		tier_add(far_tier(h), last / WORD_BITS);
}

static __always_inline void last_unmark(struct heap_bitmap *h, size_t first, size_t last)
{
	bitmap_clear_bit(h->last, last);
	if (unlikely(alloc_far(first, last)))
		tier_remove(far_tier(h), last / WORD_BITS);
}

/* ------------------------------------------------------------------------ */
/* Short index: run_max bytes and a tier of groups per key                   */
/* ------------------------------------------------------------------------ */

static __always_inline struct tier short_tier(const struct heap_bitmap *h, size_t k)
{
	return tier_of(h->keys, k, RUN_LONG);
}

/* run_max of word @w. */
static inline size_t word_key_max(const struct heap_bitmap *h, size_t w)
{
	return (h->run_max[w / GROUP_WORDS] >> (w % GROUP_WORDS * 8)) & 0xff;
}

/*
 * Non-zero when a byte of @x equals @k; the lowest set bit is then bit 7 of
 * the lowest such byte (higher ones may be false alarms).
 */
static inline unsigned long group_match(unsigned long x, size_t k)
{
	unsigned long t = x ^ (k * BYTES_LOW);

	return (t - BYTES_LOW) & ~t & BYTES_HIGH;
}

/* Make @k the run_max of word @w, which was @old (!= @k): move its group between key tiers. */
static __always_inline void short_move(struct heap_bitmap *h, size_t w, size_t old, size_t k)
{
	size_t g = w / GROUP_WORDS, shift = w % GROUP_WORDS * 8;
	unsigned long x = (h->run_max[g] & ~(0xffUL << shift)) | ((unsigned long)k << shift);

	h->run_max[g] = x;
	if (old && !group_match(x, old) && tier_remove(short_tier(h, old), g))
		h->short_mask &= ~BIT(old);
	if (k && tier_add(short_tier(h, k), g))
		h->short_mask |= BIT(k);
}

/* A short run of key @k now starts in word @w. */
static __always_inline void short_raise(struct heap_bitmap *h, size_t w, size_t k)
{
	size_t old = word_key_max(h, w);

	if (k > old)
		short_move(h, w, old, k);
}

/* Rescan word @w, whose run_max is @old. */
static __always_inline void short_rescan(struct heap_bitmap *h, size_t w, size_t old)
{
	size_t k = word_short_max(h, w);

	if (k != old)
		short_move(h, w, old, k);
}

/* The short run [@s, @s + @len) has shrunk or gone: rescan its word if it
 * may have been the largest. */
static __always_inline void short_drop(struct heap_bitmap *h, size_t s, size_t len)
{
	size_t w = s / WORD_BITS, old = word_key_max(h, w);

	if (run_key(h, s, len) >= old)
		short_rescan(h, w, old);
}

/* ------------------------------------------------------------------------ */
/* Long index: a tier of word groups per class                               */
/* ------------------------------------------------------------------------ */

/* Class of a long run's key (>= RUN_LONG - GRAIN + 1): fl * SL_COUNT + sl. */
static inline size_t long_class(size_t key)
{
	size_t fl;

	if (key < RUN_LONG)
		return 0;	/* 63: 64 blocks of 8 bytes from an odd block */
	fl = word_fls(key) - 6;
	return fl * SL_COUNT + ((key >> (fl + 6 - SL_SHIFT)) & (SL_COUNT - 1));
}

/* Smallest key of class @c. */
static inline size_t long_class_min(size_t c)
{
	size_t fl = c / SL_COUNT, sl = c % SL_COUNT;

	return c ? (SL_COUNT + sl) << (fl + 6 - SL_SHIFT) : RUN_LONG - (GRAIN - 1);
}

/* Lowest class all of whose runs have a key of at least @need. */
static inline size_t long_class_at_least(size_t need)
{
	size_t c = long_class(MAX(need, RUN_LONG));

	return long_class_min(c) < need ? c + 1 : c;
}

static __always_inline struct tier long_tier(const struct heap_bitmap *h, size_t c)
{
	return tier_of(h->octaves[c / SL_COUNT], c % SL_COUNT, SL_COUNT);
}

/* The group of a run starting at @s in the tiers of class @c. */
static inline size_t long_group(size_t c, size_t s)
{
	return s / WORD_BITS >> (c / SL_COUNT);
}

/* Groups of octave @fl: the cap of its tiers. */
static inline size_t long_groups(const struct heap_bitmap *h, size_t fl)
{
	return ((h->nwords - 1) >> fl) + 1;
}

/* Add the long run starting at @s to its class @c. */
static __always_inline void long_add(struct heap_bitmap *h, size_t c, size_t s)
{
	if (tier_add(long_tier(h, c), long_group(c, s))) {
		h->sl_mask[c / SL_COUNT] |= BIT(c % SL_COUNT);
		h->fl_mask |= BIT(c / SL_COUNT);
	}
}

/* Remove the long run starting at @s from its class @c. */
static __always_inline void long_drop(struct heap_bitmap *h, size_t c, size_t s)
{
	size_t fl = c / SL_COUNT;

	if (tier_remove(long_tier(h, c), long_group(c, s)) &&
	    !(h->sl_mask[fl] &= ~BIT(c % SL_COUNT)))
		h->fl_mask &= ~BIT(fl);
}

static inline void long_insert(struct heap_bitmap *h, size_t s, size_t len)
{
	long_add(h, long_class(run_key(h, s, len)), s);
}

static inline void long_remove(struct heap_bitmap *h, size_t s, size_t len)
{
	long_drop(h, long_class(run_key(h, s, len)), s);
}

/* True when class @c holds a run. */
static inline bool long_class_used(const struct heap_bitmap *h, size_t c)
{
	size_t fl = c / SL_COUNT;

	return fl < h->fl_count && (h->sl_mask[fl] >> (c % SL_COUNT) & 1);
}

/* The lowest non-empty class at or above @c, or NONE. */
static size_t long_class_next(const struct heap_bitmap *h, size_t c)
{
	size_t fl = c / SL_COUNT;
	unsigned long bits;

	if (fl >= h->fl_count)
		return NONE;
	bits = h->sl_mask[fl] & bits_from(c % SL_COUNT);
	if (bits)
		return fl * SL_COUNT + word_ffs(bits);
	bits = h->fl_mask & bits_above(fl);
	if (!bits)
		return NONE;
	fl = word_ffs(bits);
	return fl * SL_COUNT + word_ffs(h->sl_mask[fl]);
}

/* The run at the lowest group of non-empty class @c: *@s and its length. */
static __always_inline size_t long_class_run(const struct heap_bitmap *h, size_t c, size_t *s)
{
	size_t fl = c / SL_COUNT, g = tier_first(long_tier(h, c));
	/* the run covers its group from its start to the group's last block */
	size_t end = ((g + 1) << fl) * WORD_BITS - 1;

	if (end >= h->nblocks || block_used(h, end))
		panic("heap_bitmap: class %zu lists group %zu, which ends in no free run", c, g);
	*s = used_prev(h, end) + 1;
	return used_next(h, end) - *s;
}

/* Index the free run [@s, @s + @len) that has just appeared. */
static void run_add(struct heap_bitmap *h, size_t s, size_t len)
{
	if (len >= RUN_LONG)
		long_insert(h, s, len);
	else
		short_raise(h, s / WORD_BITS, run_key(h, s, len));
}

/*
 * The long run of class @c starting at @s is now the run [@s2, @s2 + @len2)
 * (shorter, longer or gone: @len2 may be 0). Its entry stays when the class
 * and the group are the same, which is the common case of a run cut from
 * its start or grown at its end by a little.
 */
static __always_inline void long_became(struct heap_bitmap *h, size_t c, size_t s, size_t s2,
					size_t len2)
{
	size_t c2;

	if (len2 < RUN_LONG) {
		long_drop(h, c, s);
		if (len2)
			short_raise(h, s2 / WORD_BITS, run_key(h, s2, len2));
		return;
	}
	c2 = long_class(run_key(h, s2, len2));
	if (c2 == c && long_group(c, s2) == long_group(c, s))
		return;
	long_drop(h, c, s);
	long_add(h, c2, s2);
}

/* ------------------------------------------------------------------------ */
/* Search                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * A short run with a key of @need (< RUN_LONG) or more, in the smallest key
 * class that has one, for @n blocks at @align: fills @fit (fit->cls: the
 * run_max of the run's word); false when no short run is that long.
 */
static __always_inline bool short_find(const struct heap_bitmap *h, size_t n, size_t need,
				       size_t align, struct bm_fit *fit)
{
	unsigned long keys = h->short_mask & bits_from(need);
	size_t k, g, w;

	if (!keys)
		return false;
	k = word_ffs(keys);
	g = tier_first(short_tier(h, k));
	w = g * GROUP_WORDS + word_ffs(group_match(h->run_max[g], k)) / 8;
	if (unlikely(!word_first_fit(h, w, n, align, fit)))
		panic("heap_bitmap: word %zu holds no run of key %zu", w, k);
	fit->cls = k;
	return true;
}

/*
 * A long run for @n blocks at @align needing a key of @need: the lowest run
 * of the smallest class whose runs all have that key, else the lowest run
 * of @need's own class if it fits. Fills @fit; false when neither exists.
 */
static bool long_find(const struct heap_bitmap *h, size_t n, size_t need, size_t align,
		      struct bm_fit *fit)
{
	size_t c = long_class_next(h, long_class_at_least(need));

	if (c == NONE) {
		if (need < RUN_LONG || !long_class_used(h, long_class(need)))
			return false;
		c = long_class(need);
	}
	fit->cls = c;
	fit->len = long_class_run(h, c, &fit->run);
	fit->at = block_place(h, fit->run, align);
	return fit->at + n <= fit->run + fit->len;
}

/* ------------------------------------------------------------------------ */
/* Taking and releasing blocks                                               */
/* ------------------------------------------------------------------------ */

/*
 * The index side of cutting @n blocks at fit->at from the short run at
 * fit->run (already marked): its word is rescanned if the run may have been
 * the word's largest, and the piece left after it is a new run in the next
 * word if it starts there (one left before it stays in the run's word).
 */
static __always_inline void short_cut(struct heap_bitmap *h, const struct bm_fit *fit, size_t n)
{
	size_t s = fit->run, end = fit->at + n, rest = s + fit->len - end;

	if (run_key(h, s, fit->len) >= fit->cls)	/* it may have been its word's largest */
		short_rescan(h, s / WORD_BITS, fit->cls);
	if (rest && end / WORD_BITS != s / WORD_BITS)
		short_raise(h, end / WORD_BITS, run_key(h, end, rest));
}

/*
 * Mark blocks [fit->at, fit->at + n) as one allocation, cut from the run at
 * fit->run: that run leaves its index and the pieces left on either side
 * enter it.
 */
static __always_inline void range_take(struct heap_bitmap *h, const struct bm_fit *fit,
				       size_t n)
{
	size_t s = fit->run, len = fit->len, end = fit->at + n, rest = s + len - end;

	used_mark(h, fit->at, n);
	last_mark(h, fit->at, end - 1);
	if (len < RUN_LONG) {
		short_cut(h, fit, n);
	} else if (fit->at > s) {
		/* the pad below keeps the run's start, the rest is a new run */
		long_became(h, fit->cls, s, s, fit->at - s);
		if (rest)
			run_add(h, end, rest);
	} else {
		long_became(h, fit->cls, s, end, rest);
	}
}

/*
 * Return the allocation at blocks [i, i + n) to the free space: it merges
 * with the runs before and after it, which leave the index, and the merged
 * run enters it (taking over the entry of a long neighbour when it can).
 */
static __always_inline void range_release(struct heap_bitmap *h, size_t i, size_t n)
{
	size_t end = i + n, ls = i, re = end, llen, rlen;

	/* block i - 1 is the metadata's at least; block end is the padding's at most */
	if (!block_used(h, i - 1))
		ls = used_prev(h, i - 1) + 1;
	if (!block_used(h, end))
		re = used_next(h, end);
	last_unmark(h, i, end - 1);
	used_unmark(h, i, n);
	llen = i - ls;
	rlen = re - end;
	if (likely(re - ls < RUN_LONG)) {
		if (rlen && end / WORD_BITS != ls / WORD_BITS)
			short_drop(h, end, rlen);
		short_raise(h, ls / WORD_BITS, run_key(h, ls, re - ls));
		return;
	}
	if (llen && llen < RUN_LONG)
		short_drop(h, ls, llen);
	if (rlen && rlen < RUN_LONG)
		short_drop(h, end, rlen);
	if (llen >= RUN_LONG) {
		if (rlen >= RUN_LONG)
			long_remove(h, end, rlen);
		long_became(h, long_class(run_key(h, ls, llen)), ls, ls, re - ls);
	} else if (rlen >= RUN_LONG) {
		long_became(h, long_class(run_key(h, end, rlen)), end, ls, re - ls);
	} else {
		long_insert(h, ls, re - ls);
	}
}

/* ------------------------------------------------------------------------ */
/* Layout and pointer checks                                                 */
/* ------------------------------------------------------------------------ */

/* Take @words words at *@at for a map. */
static unsigned long *layout_take(uintptr_t *at, size_t words)
{
	unsigned long *p = (unsigned long *)*at;

	*at += words * sizeof(unsigned long);
	return p;
}

/* Take @count interleaved tiers over [0, @cap) at *@at: tier 0 of the kind. */
static struct tier layout_tiers(uintptr_t *at, size_t count, size_t cap)
{
	struct tier t;

	t.stride = count;
	t.top = layout_take(at, count);
	t.mid = layout_take(at, count * tier_nmid(cap));
	t.low = layout_take(at, count * tier_nlow(cap));
	return t;
}

/*
 * Compute the layout fields of @lo for [base, base + size); false when the
 * region cannot hold the metadata plus one block.
 */
static bool layout_compute(uintptr_t base, size_t size, struct heap_bitmap *lo)
{
	uintptr_t end = base + size, at = base + sizeof(struct heap_bitmap);
	size_t groups;

	if (end < base || size < sizeof(struct heap_bitmap) + 64 * sizeof(unsigned long))
		return false;
	memset(lo, 0, offsetof(struct heap_bitmap, flags));
	lo->base = base;
	lo->size = size;
	lo->origin = ALIGN_UP(base, (uintptr_t)BM_BLOCK);
	if (lo->origin >= end)
		return false;
	lo->phase = lo->origin / BM_BLOCK % GRAIN;
	lo->nblocks = MIN((end - lo->origin) / BM_BLOCK, MAX_BLOCKS);
	lo->nwords = lo->nblocks / WORD_BITS + 1;	/* at least one padding bit */
	lo->fl_count = long_class(MAX(lo->nblocks, RUN_LONG)) / SL_COUNT + 1;
	groups = BITS_TO_LONGS(lo->nwords * 8);	/* words of run_max */
	lo->used = layout_take(&at, lo->nwords);
	lo->last = layout_take(&at, lo->nwords);
	lo->busy = layout_tiers(&at, 1, lo->nwords);
	lo->far = layout_tiers(&at, 1, lo->nwords);
	lo->keys = layout_tiers(&at, RUN_LONG, groups);
	lo->run_max = layout_take(&at, groups);
	for (size_t l = 0, words = lo->nwords; l < LAZY_LEVELS; l++, words = BITS_TO_LONGS(words))
		lo->lazy[l] = layout_take(&at, BITS_TO_LONGS(words));
	for (size_t fl = 0; fl < lo->fl_count; fl++)
		lo->octaves[fl] = layout_tiers(&at, SL_COUNT, long_groups(lo, fl));
	if (at < base || at >= end)
		return false;
	lo->meta_blocks = (at - lo->origin + BM_BLOCK - 1) / BM_BLOCK;
	/* at least one block must be left for allocations */
	return lo->meta_blocks < lo->nblocks;
}

/*
 * Block index of @p when it is a block start past the metadata and before the
 * end of the grid, whose own block is used and whose previous block is free
 * or ends another allocation: then @p starts a live allocation. NONE
 * otherwise (including pointers below the origin, whose offset wraps).
 */
static __always_inline size_t block_start_index(const struct heap_bitmap *h, uintptr_t p)
{
	uintptr_t off = p - h->origin;
	size_t i = off / BM_BLOCK;

	if (off % BM_BLOCK || i - h->meta_blocks >= h->nblocks - h->meta_blocks)
		return NONE;
	if (!block_used(h, i) || (block_used(h, i - 1) && !bitmap_test(h->last, i - 1)))
		return NONE;
	return i;
}

/* Blocks in the allocation starting at @i when its end mark is within the next word, else 0. */
static __always_inline size_t alloc_blocks_near(const struct heap_bitmap *h, size_t i)
{
	size_t w = i / WORD_BITS;
	unsigned long rest = h->last[w] >> (i % WORD_BITS);

	if (rest)
		return word_ffs(rest) + 1;
	/* word w + 1 exists: the last word holds the padding, which no allocation reaches */
	if ((rest = h->last[w + 1]))
		return (w + 1) * WORD_BITS - i + word_ffs(rest) + 1;
	return 0;
}

/*
 * Blocks in the live allocation starting at block @i (block_start_index()
 * said it starts one), from @i to its end mark: near, or through "far".
 * Panics when there is no end mark.
 */
static __always_inline size_t alloc_blocks(const struct heap_bitmap *h, size_t i)
{
	size_t n = alloc_blocks_near(h, i), w = i / WORD_BITS, e;

	if (n)
		return n;
	e = w + 2 < h->nwords ? tier_near(far_tier(h), w + 2, true) : NONE;
	if (e == NONE || !h->last[e])
		panic("heap_bitmap: block %zu has no end mark", i);
	return e * WORD_BITS + word_ffs(h->last[e]) - i + 1;
}

/* Why @p, which block_start_index() refused, is not the start of a live allocation. */
static bm_noinline enum heap_free_result block_refusal(const struct heap_bitmap *h, uintptr_t p)
{
	if (p < h->base || p - h->base >= h->size)
		return HEAP_FREE_FOREIGN;
	if (p < block_addr(h, h->meta_blocks) || (p - h->origin) % BM_BLOCK ||
	    block_index(h, p) >= h->nblocks)
		return HEAP_FREE_NOT_BLOCK;
	return used_word_any(h, block_index(h, p) / WORD_BITS) >>
		       (block_index(h, p) % WORD_BITS) & 1 ?
	       HEAP_FREE_NOT_BLOCK : HEAP_FREE_DOUBLE;
}

/* ------------------------------------------------------------------------ */
/* Public operations                                                         */
/* ------------------------------------------------------------------------ */

/*
 * heap_bitmap_init - place the instance and its maps at @base and make the
 * rest of [base, base + size) one free run. Returns the instance, or NULL when
 * the region cannot hold the metadata plus one block. A region of more than
 * 2^24 - 64 blocks is managed up to that many; the rest is left unused. The
 * caller keeps owning the region; the instance lives inside it.
 */
static void *heap_bitmap_init(void *base, size_t size, unsigned flags)
{
	struct heap_bitmap *h = base;
	struct heap_bitmap lo;

	if (!layout_compute((uintptr_t)base, size, &lo))
		return NULL;
	memcpy(h, &lo, offsetof(struct heap_bitmap, flags));
	h->flags = flags;
	h->short_mask = 0;
	h->fl_mask = 0;
	memset(h->sl_mask, 0, sizeof(h->sl_mask));
	/* the maps are contiguous, up to the end of the metadata */
	memset(h->used, 0, block_addr(h, h->meta_blocks) - (uintptr_t)h->used);
	bitmap_set_range(h->used, h->nblocks, h->nwords * WORD_BITS - h->nblocks);
	bitmap_set_range(h->used, 0, h->meta_blocks);
	for (size_t w = 0; w < h->nwords; w++)
		if (h->used[w])
			tier_add(busy_tier(h), w);
	last_mark(h, 0, h->meta_blocks - 1);
	run_add(h, h->meta_blocks, h->nblocks - h->meta_blocks);
	if (flags & HEAP_ALGO_POISON)
		heap_poison_fill((void *)block_addr(h, h->meta_blocks),
				 (h->nblocks - h->meta_blocks) * BM_BLOCK);
	return h;
}

/*
 * heap_bitmap_alloc() in the common case, calling nothing: @size (1 to 63
 * blocks) at @align needs a key under RUN_LONG and some short run has it,
 * and there is no poisoning. Returns the allocation, or NULL having changed
 * nothing (then alloc_general() decides).
 */
static __always_inline void *alloc_near(struct heap_bitmap *h, size_t size, size_t align,
					size_t *usable)
{
	size_t n = blocks_for(size), need = n + align_pad(align);
	struct bm_fit fit;

	/* size 0 wraps, and so goes to alloc_general() with everything large */
	if (size - 1 >= (RUN_LONG - 1) * BM_BLOCK || need >= RUN_LONG ||
	    (h->flags & HEAP_ALGO_POISON) || !short_find(h, n, need, align, &fit))
		return NULL;
	if (usable)
		*usable = n * BM_BLOCK;	/* exactly n blocks are taken */
	used_mark_near(h, fit.at, n);
	bitmap_set_bit(h->last, fit.at + n - 1);
	short_cut(h, &fit, n);
	return (void *)block_addr(h, fit.at);
}

/* heap_bitmap_alloc() for every case: any size and alignment, poisoning. */
static bm_noinline void *alloc_general(struct heap_bitmap *h, size_t size, size_t align,
				       size_t *usable)
{
	struct bm_fit fit;
	size_t n = blocks_for(size), need = n + align_pad(align);
	void *p;

	if (size - 1 >= (h->nblocks - h->meta_blocks) * BM_BLOCK)
		return NULL;	/* 0, or more than the heap */
	if (!(need < RUN_LONG && short_find(h, n, need, align, &fit)) &&
	    !long_find(h, n, need, align, &fit))
		return NULL;
	range_take(h, &fit, n);
	p = (void *)block_addr(h, fit.at);
	if (h->flags & HEAP_ALGO_POISON)
		heap_poison_check("heap_bitmap", p, n * BM_BLOCK);
	if (usable)
		*usable = n * BM_BLOCK;
	return p;
}

/*
 * heap_bitmap_alloc - whole blocks covering @size bytes at a multiple of
 * @align, from the smallest class of free runs that holds them (see the top
 * of the file). Returns NULL (and changes nothing) when no run can take
 * them. The caller owns the block until it passes it to free.
 *
 * The common case (a short run that fits, no poisoning) is alloc_near(),
 * which calls nothing.
 */
static void *heap_bitmap_alloc(void *heap, size_t size, size_t align, size_t *usable)
{
	void *p = alloc_near(heap, size, align, usable);

	if (likely(p))
		return p;
	return alloc_general(heap, size, align, usable);
}

/* heap_bitmap_free() for the live allocation at block @i, in every case. */
static enum heap_free_result free_general(struct heap_bitmap *h, size_t i, size_t *usable)
{
	size_t n = alloc_blocks(h, i);

	if (usable)
		*usable = n * BM_BLOCK;
	range_release(h, i, n);
	if (h->flags & HEAP_ALGO_POISON)
		heap_poison_fill((void *)block_addr(h, i), n * BM_BLOCK);
	return HEAP_FREE_OK;
}

/*
 * The release in the common case, calling nothing: the allocation of
 * @n blocks at block @i lies within two words, the runs on either side
 * start and end within a word of it, and what they merge into stays short.
 * Returns false, having changed nothing, in any other case.
 */
static __always_inline bool release_near(struct heap_bitmap *h, size_t i, size_t n)
{
	unsigned long *used = h->used, u, bits;
	size_t w = i / WORD_BITS, lo = i % WORD_BITS, end = i + n, we = end / WORD_BITS, ls, re;

	u = used[w];
	/* ls: past the highest used block below i, within a word (block 0 is used) */
	if ((bits = u & bits_below(lo)))
		ls = w * WORD_BITS + word_fls(bits) + 1;
	else if (w && (bits = used[w - 1]))
		ls = (w - 1) * WORD_BITS + word_fls(bits) + 1;
	else
		return false;
	/* re: the lowest used block from end on, within a word (the padding is used) */
	if ((bits = used[we] >> (end % WORD_BITS)))
		re = end + word_ffs(bits);
	else if ((bits = used[we + 1]))
		re = (we + 1) * WORD_BITS + word_ffs(bits);
	else
		return false;
	if (re - ls >= RUN_LONG || lo + n > 2 * WORD_BITS)
		return false;
	bitmap_clear_bit(h->last, end - 1);
	if (lo + n <= WORD_BITS) {
		used[w] = u &= ~word_mask((unsigned)lo, (unsigned)n);
	} else {
		used[w] = u &= bits_below(lo);
		if (!(used[w + 1] &= bits_from(lo + n - WORD_BITS)))
			tier_remove(busy_tier(h), w + 1);
	}
	if (!u)
		tier_remove(busy_tier(h), w);
	if (re > end && we != ls / WORD_BITS)
		short_drop(h, end, re - end);
	short_raise(h, ls / WORD_BITS, run_key(h, ls, re - ls));
	return true;
}

/*
 * heap_bitmap_free() in the common case, calling nothing (see
 * release_near()): true when @ptr was released, its size in *@usable.
 * Otherwise false, with nothing changed and *@hint the block index of @ptr
 * when it starts a live allocation (NONE, ~0, when it does not).
 */
static __always_inline bool free_near(struct heap_bitmap *h, void *ptr, size_t *usable,
				      unsigned long *hint)
{
	size_t i = block_start_index(h, (uintptr_t)ptr), n;

	*hint = i;
	if (i == NONE)
		return false;
	n = alloc_blocks_near(h, i);
	if (!n || (h->flags & HEAP_ALGO_POISON) || !release_near(h, i, n))
		return false;
	if (usable)
		*usable = n * BM_BLOCK;
	return true;
}

/*
 * heap_bitmap_free() when free_near() refused or did not run: @hint is the
 * block index it left, or NONE (~0) when nothing is known. A live
 * allocation is released in every case; anything else is named (see
 * heap_bitmap_free()).
 */
static bm_noinline enum heap_free_result free_miss(struct heap_bitmap *h, void *ptr,
						   unsigned long hint, size_t *usable)
{
	size_t i = hint != NONE ? hint : block_start_index(h, (uintptr_t)ptr);

	if (i == NONE)
		return block_refusal(h, (uintptr_t)ptr);
	return free_general(h, i, usable);
}

/*
 * heap_bitmap_free - release the allocation starting at @ptr. Returns
 * HEAP_FREE_FOREIGN, HEAP_FREE_NOT_BLOCK or HEAP_FREE_DOUBLE, changing
 * nothing, when @ptr is not the start of a live allocation.
 */
static enum heap_free_result heap_bitmap_free(void *heap, void *ptr, size_t *usable)
{
	unsigned long hint;

	if (likely(free_near(heap, ptr, usable, &hint)))
		return HEAP_FREE_OK;
	return free_miss(heap, ptr, hint, usable);
}

/*
 * For the kernel's front end, which compiles this file (mm/heap/kmalloc.c):
 * alloc() and free() in their two halves. The inline half serves the
 * common case without calling anything, or fails with nothing changed
 * (leaving, for free, the block index as the hint); the out-of-line half
 * finishes the call exactly as alloc() or free() would.
 */
#define HEAP_ALGO_TRY_ALLOC(heap, size, align, usable, hint) \
	alloc_near(heap, size, align, usable)
#define HEAP_ALGO_ALLOC_MISS(heap, size, align, hint, usable) \
	alloc_general(heap, size, align, usable)
#define HEAP_ALGO_TRY_FREE(heap, ptr, usable, hint) \
	free_near(heap, ptr, usable, hint)
#define HEAP_ALGO_FREE_MISS(heap, ptr, hint, usable) \
	free_miss(heap, ptr, hint, usable)

/*
 * heap_bitmap_usable_size - bytes of the live allocation at @ptr (whole
 * blocks), or 0 when @ptr is not the start of one (the checks of free()).
 */
static size_t heap_bitmap_usable_size(void *heap, void *ptr)
{
	size_t i = block_start_index(heap, (uintptr_t)ptr);

	return i == NONE ? 0 : alloc_blocks(heap, i) * BM_BLOCK;
}

/*
 * heap_bitmap_reserved_size - same as usable: there is no header or padding
 * (0 when @ptr is not the start of a live allocation).
 */
static size_t heap_bitmap_reserved_size(void *heap, void *ptr)
{
	return heap_bitmap_usable_size(heap, ptr);
}

/*
 * Key of the largest request that alloc() takes at 16-byte alignment: the
 * lowest run of the top long class, else the top short key (0 when full).
 */
static size_t largest_key(const struct heap_bitmap *h)
{
	size_t fl, s, len;

	if (!h->fl_mask)
		return h->short_mask ? word_fls(h->short_mask) : 0;
	fl = word_fls(h->fl_mask);
	len = long_class_run(h, fl * SL_COUNT + word_fls(h->sl_mask[fl]), &s);
	return run_key(h, s, len);
}

/*
 * heap_bitmap_space - region, metadata, free bytes and the largest request
 * alloc() takes at 16-byte alignment (with 8-byte blocks, a run that starts
 * between two boundaries loses its first block to the alignment).
 */
static void heap_bitmap_space(void *heap, struct heap_algo_space *out)
{
	const struct heap_bitmap *h = heap;
	size_t used = 0;

	for (size_t w = 0; w < h->nwords; w++)
		used += word_popcount(used_word_any(h, w));
	out->region = h->size;
	out->meta = h->size - (h->nblocks - h->meta_blocks) * BM_BLOCK;
	out->free = (h->nwords * WORD_BITS - used) * BM_BLOCK;
	out->largest_free = largest_key(h) * BM_BLOCK;
}

/* ------------------------------------------------------------------------ */
/* Debug: validate and walk                                                  */
/* ------------------------------------------------------------------------ */

/* First block from @i on (before nblocks) that is used (@used) or free, lazy words counted used. */
static size_t block_next_state(const struct heap_bitmap *h, size_t i, bool used)
{
	for (size_t w = i / WORD_BITS; i < h->nblocks; w++, i = w * WORD_BITS) {
		unsigned long bits = used_word_any(h, w);

		bits = (used ? bits : ~bits) & bits_from(i % WORD_BITS);
		if (bits)
			return MIN(w * WORD_BITS + word_ffs(bits), h->nblocks);
	}
	return h->nblocks;
}

/* Problems in the instance struct itself (0 when it matches its layout). */
static unsigned header_check(const struct heap_bitmap *h)
{
	struct heap_bitmap lo;

	if (h->base != (uintptr_t)h || !layout_compute(h->base, h->size, &lo))
		return 1;
	return memcmp(h, &lo, offsetof(struct heap_bitmap, flags)) != 0;
}

/* Problems in "used" and "last": marks out of place, allocations without an end. */
static unsigned maps_check(const struct heap_bitmap *h)
{
	size_t nbits = h->nwords * WORD_BITS;
	unsigned bad = 0;

	for (size_t w = 0; w < h->nwords; w++) {
		unsigned long used = used_word_any(h, w), last = h->last[w];
		unsigned long next_used = w + 1 < h->nwords ? used_word_any(h, w + 1) & 1 : 1;
		/* a used block followed by a free one must end an allocation */
		unsigned long run_ends = used & ~((used >> 1) | (next_used << (WORD_BITS - 1)));

		bad += (last & ~used) != 0;
		bad += (run_ends & ~last) != 0;
	}
	bad += !bitmap_range_all_set(h->used, h->nblocks, nbits - h->nblocks);
	bad += !bitmap_range_all_set(h->used, 0, h->meta_blocks);
	bad += bitmap_next_set(h->last, 0, h->nblocks) != h->meta_blocks - 1;
	bad += bitmap_next_set(h->last, h->nblocks, nbits) != nbits;
	return bad;
}

/*
 * Problems in the levels of tier @t over [0, cap): summary bits that do not
 * say exactly which words below are non-zero, members at or past @cap. The
 * number of members goes to *@count.
 */
static unsigned tier_check(struct tier t, size_t cap, size_t *count)
{
	size_t nmid = tier_nmid(cap), nlow = tier_nlow(cap);
	unsigned bad = 0;

	*count = 0;
	for (size_t j = 0; j < nmid * WORD_BITS; j++) {
		unsigned long low = j < nlow ? t.low[j * t.stride] : 0;

		*count += word_popcount(low);
		bad += (t.mid[j / WORD_BITS * t.stride] >> (j % WORD_BITS) & 1) != (low != 0);
	}
	for (size_t m = 0; m < WORD_BITS; m++)
		bad += (*t.top >> m & 1) != (m < nmid && t.mid[m * t.stride] != 0);
	if (cap % WORD_BITS)
		bad += (t.low[(nlow - 1) * t.stride] & bits_from(cap % WORD_BITS)) != 0;
	return bad;
}

/*
 * Problems in "busy", "far" and the lazy maps, which must list exactly: the
 * non-zero words of "used" but those inside a far allocation; the end words
 * of far allocations; the lazy words of far allocations.
 */
static unsigned words_check(const struct heap_bitmap *h)
{
	size_t count, busy, fars = 0, first = 0, i = 0, lazies = 0, inner = 0;
	unsigned bad = tier_check(busy_tier(h), h->nwords, &busy);

	for (size_t w = 0; w < h->nwords; w++) {
		bool set = tier_has(busy_tier(h), w);

		bad += set && !h->used[w];
		inner += h->used[w] && !set;	/* must all be inner words, counted below */
	}
	bad += tier_check(far_tier(h), h->nwords, &count);
	/* every allocation, metadata included: from a start to the next end mark */
	while ((i = bitmap_next_set(h->last, i, h->nblocks)) < h->nblocks) {
		if (alloc_far(first, i)) {
			size_t la, lb;

			fars++;
			bad += !tier_has(far_tier(h), i / WORD_BITS);
			lazy_span(first / WORD_BITS, i / WORD_BITS, &la, &lb);
			if (!first)	/* the metadata's words are all stored and busy */
				la = lb = first / WORD_BITS + 1;
			for (size_t w = first / WORD_BITS + 1; w < i / WORD_BITS; w++) {
				bool lazy = w >= la && w < lb;

				bad += tier_has(busy_tier(h), w) != !first;
				bad += lazy != word_lazy(h, w) || h->used[w] != (lazy ? 0 : ~0UL);
				inner -= first && !lazy;
				lazies += lazy;
			}
		}
		i++;
		first = i < h->nblocks ? bitmap_next_set(h->used, i, h->nblocks) : i;
		i = first;
	}
	for (size_t l = 0, words = h->nwords, unit = 1; l < LAZY_LEVELS;
	     l++, words = BITS_TO_LONGS(words), unit *= WORD_BITS)
		for (size_t c = 0; c < BITS_TO_LONGS(words); c++)
			lazies -= word_popcount(h->lazy[l][c]) * unit;
	return bad + (fars != count) + (lazies != 0) + (inner != 0);
}

/* Problems in the short index: run_max against a rescan, the key tiers against run_max. */
static unsigned short_check(const struct heap_bitmap *h)
{
	size_t groups = BITS_TO_LONGS(h->nwords * 8), pairs = 0, members = 0, count;
	unsigned long keys = 0;
	unsigned bad = 0;

	for (size_t w = 0; w < groups * GROUP_WORDS; w++)
		bad += word_key_max(h, w) !=
		       (w < h->nwords && !word_lazy(h, w) ? word_short_max(h, w) : 0);
	for (size_t g = 0; g < groups; g++) {
		unsigned long seen = 0;

		for (size_t b = 0; b < GROUP_WORDS; b++) {
			size_t k = word_key_max(h, g * GROUP_WORDS + b);

			if (!k || k >= RUN_LONG || (seen >> k & 1))
				continue;
			seen |= BIT(k);
			pairs++;
			bad += !tier_has(short_tier(h, k), g);
		}
		keys |= seen;
	}
	for (size_t k = 0; k < RUN_LONG; k++) {
		bad += tier_check(short_tier(h, k), groups, &count);
		members += count;
	}
	return bad + (members != pairs) + (keys != h->short_mask);
}

/* Problems in the long index: each long run listed once, in its class, nothing else. */
static unsigned long_check(const struct heap_bitmap *h)
{
	size_t runs = 0, members = 0, count, i = h->meta_blocks;
	unsigned bad = 0;

	while ((i = block_next_state(h, i, false)) < h->nblocks) {
		size_t end = block_next_state(h, i, true), c;

		if (end - i >= RUN_LONG) {
			c = long_class(run_key(h, i, end - i));
			runs++;
			bad += c / SL_COUNT >= h->fl_count ||
			       !tier_has(long_tier(h, c), long_group(c, i));
		}
		i = end;
	}
	for (size_t fl = 0; fl < FL_COUNT; fl++) {
		bool any = false;

		for (size_t sl = 0; fl < h->fl_count && sl < SL_COUNT; sl++) {
			size_t c = fl * SL_COUNT + sl;

			bad += tier_check(long_tier(h, c), long_groups(h, fl), &count);
			members += count;
			bad += (h->sl_mask[fl] >> sl & 1) != (count != 0);
			any |= count != 0;
		}
		bad += (h->fl_mask >> fl & 1) != any;
		bad += (h->sl_mask[fl] & ~(fl < h->fl_count ? bits_below(SL_COUNT) : 0)) != 0;
	}
	return bad + (members != runs);
}

/*
 * heap_bitmap_validate - cross-check the instance struct against its layout,
 * "used" and "last" against each other, and every index against "used".
 * Returns the number of problems (0 when consistent).
 */
static unsigned heap_bitmap_validate(void *heap, struct audit *a)
{
	const struct heap_bitmap *h = heap;
	unsigned bad = header_check(h);

	if (bad)	/* the map pointers cannot be trusted */
		return audit_note(a, bad, "the instance's fields disagree with its layout");
	bad = audit_note(a, maps_check(h), "the used and last maps disagree: a mark out of "
			 "place or an allocation without an end");
	bad += audit_note(a, words_check(h), "the busy, far or lazy maps do not list exactly "
			  "the words they should");
	bad += audit_note(a, short_check(h), "the short-run index disagrees with a rescan of "
			  "the used map");
	bad += audit_note(a, long_check(h), "the long-run index does not list each long free "
			  "run once, in its class");
	return bad;
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
			end = block_next_state(h, i, true);
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
