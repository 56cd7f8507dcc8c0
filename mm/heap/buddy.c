// SPDX-License-Identifier: MIT
/*
 * Buddy heap: blocks of 2^k units, split on alloc and merged with their
 * buddy on free, with three-quarter blocks for requests that a power of two
 * would round up badly, and a per-class cache of unmerged blocks so that most
 * calls neither split nor merge.
 *
 * Units and orders. The region is cut into units of HEAP_BUDDY_MIN_BLOCK
 * bytes, counted from an origin: the region base rounded down to 4096 (and
 * to the span of a bitmap word, 64 units, when that is larger). A block of
 * order k is 2^k units starting at a multiple of 2^k, so its address is
 * aligned to min(block size, 4096) whatever the alignment of the base. The
 * region is covered with maximal aligned blocks ("roots"), so a region whose
 * size is not a power of two is still used whole. Free space is only ever
 * whole blocks, fully merged with their buddies, one list per order.
 *
 * Size classes. A request takes a class: one unit (class 0), a whole block
 * of order k (class 2k-1), or the first three quarters of one (class 2k-2,
 * k >= 2), which is the block's first half and third quarter, two buddy
 * blocks; its last quarter stays a free block of order k-2. Classes thus
 * run 1, 2, 3, 4, 6, 8, 12, 16... units: rounding loses at most a third
 * instead of a half, and free space is still plain buddy blocks. There are
 * no headers on allocated blocks.
 *
 * Side metadata, trusted alone (nothing in a live block is ever read):
 *  - two bits per unit, interleaved per 64 units so one index reaches both
 *    words: used=1 free=0 a live allocation starts here (USED); used=1
 *    free=1 a cached one (CACHED); used=0 free=1 a FREE block of fewer than
 *    64 units; 0 otherwise. A block of fewer than 64 units ends where the
 *    next start bit of its word is, or at the end of the word.
 *  - one byte per 64 units for blocks of 64 units or more, which start a
 *    word of their own: BIG_FREE | class for a FREE one (these have no unit
 *    bits), the class for a USED or CACHED one (which have their unit bits
 *    too), 0 for a word where no such block starts.
 * That is 2 bits per unit and a byte per 64 units (1.7% of the heap with
 * 16-byte units). A FREE block holds its list links and, from two units up,
 * its order in-band: only FREE blocks are ever read, and only after the
 * side bits said they are FREE.
 *
 * The cache (lazy merging). free() pushes a block on the cache of its class
 * while that cache has room (CACHE_DEPTH blocks, and no more than 1/64 of
 * the heap per class); alloc() pops it first. Cached blocks are never merged
 * while cached, so the FREE ones stay fully merged and a double free of a
 * cached block is seen in its bits. space() merges every cached block back
 * (it is the one call that does), so a heap whose blocks were all freed
 * reports its initial figures again; an allocation does not drain the
 * caches, so it can fail while merging cached blocks would have served it.
 *
 * Bounded cost. Every call is a few dozen instructions plus at most one
 * split or merge chain, one step per order between the request and the
 * largest root (log2 of the heap in units): a split step pushes one block,
 * a merge step tests the buddy in the side metadata (one byte for orders of
 * 6 and up) and unlinks it. No call scans a list, a bitmap or the cache,
 * and no free drains a cache: a full cache makes that one block merge.
 * The worst single call is therefore the longest chain, a split of the
 * largest root down to one unit or a merge of one unit back up to it (18
 * steps on an 8 MiB heap): about 15 instructions per step of order 6 and
 * up, about 20 below (the buddy's size word is read only after its side
 * bits rule out an order-0 block), plus the front end. Measured through
 * kmalloc on 8 MiB (make bench): 470 for a merge chain in heap_worst, 454
 * for a split there, 405 in heap_fill; it grows by one step per doubling
 * of the heap.
 *
 * Two halves. The inline halves of alloc() and free() handle only cache
 * hits on an unpoisoned heap (fast_max and fast_end are 0 on a poisoned
 * heap, so poisoning costs them nothing) and need no stack frame. The
 * out-of-line halves (alloc_miss(), free_miss()) split or merge with no
 * further call: the front end inlines them into its own out-of-line path,
 * so a chain costs one stack frame, not three; only large requests, bad
 * pointers and poisoned heaps call further (alloc_slow(), free_checked()).
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

#define buddy_noinline	__attribute__((noinline))

/* ------------------------------------------------------------------ */
/* Constants and layout                                                */
/* ------------------------------------------------------------------ */

#define UNIT		((uintptr_t)HEAP_BUDDY_MIN_BLOCK)
#define UNIT_SHIFT	((unsigned)__builtin_ctzl(UNIT))
/* Unit numbering starts at a multiple of 4096 (the largest alignment promised)
 * and of a bitmap word's span, so addresses map to words without the origin. */
#define ORIGIN_ALIGN	MAX((uintptr_t)4096, BITS_PER_LONG * UNIT)
#define BUDDY_ORDERS	32			/* orders 0..31: 32 GiB of 16 B units */
#define CLASSES		(2 * BUDDY_ORDERS - 1)	/* classes 0..61 */
#define WORD_UNITS	BITS_PER_LONG		/* units per bitmap word */
#define BIG_ORDER	6			/* log2(WORD_UNITS): blocks in big[] */
#define BIG_FREE	0x80u			/* big[] flag of a FREE block */
#define BIG_CLASS	0x3fu			/* big[] bits holding the class */
#define NO_CLASS	(~0UL)			/* slow paths: class not known yet */
#define TABLE_UNITS	256			/* classes of small sizes by table */

/* Classes up to this size are cached, at most CACHE_DEPTH blocks and 1/64 of the heap each. */
#define CACHE_MAX_BYTES	(64 * 1024)
#define CACHE_DEPTH	32
#define CACHE_SHARE	64

/* The two state bits of 64 units. */
struct unit_bits {
	unsigned long used;
	unsigned long free;
};

/* In-band header of a FREE block; @units is stored only in small blocks of >= 2 units. */
struct free_hdr {
	struct list_head link;
	size_t units;
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

/* A size class: its cache's head and its sizes (32 bytes: one shift indexes them). */
struct size_class {
	struct cached_hdr cache;
	size_t bytes;
	uint32_t units;
	uint32_t block;			/* units of the buddy block it lives in */
};

/*
 * Where units and their marks are. Hot loops copy it into a local, so that
 * the compiler keeps it in registers across the stores to list links.
 */
struct buddy_geom {
	uintptr_t origin;		/* base rounded down to ORIGIN_ALIGN */
	struct unit_bits *bits;		/* [end_unit / 64 + 1] */
	uintptr_t bits_bias;		/* bits - origin's word index, as an address */
	uint8_t *big;			/* [end_unit / 64 + 1] */
	size_t end_unit;		/* managed units are [first_unit, end_unit) */
};

/*
 * The instance. Fields are ordered so that every scalar and the base of
 * every array is within a load's 12-bit offset of the instance pointer.
 */
struct buddy_heap {
	size_t fast_max;		/* sizes the inline alloc takes: 0 if poisoned */
	size_t fast_end;		/* units the inline free takes: 0 if poisoned */
	struct buddy_geom g;
	uintptr_t base;			/* region given to init */
	size_t size;
	size_t first_unit;
	size_t free_units;		/* units in FREE blocks (CACHED ones not included) */
	unsigned max_order;		/* largest root order */
	unsigned flags;			/* HEAP_ALGO_* */
	unsigned long nonempty;		/* bit k: free_list[k] is not empty */
	size_t small_stop;		/* MIN(64, 2^max_order): small merges stop there */
	struct list_head free_list[BUDDY_ORDERS];
	uint8_t unit_class[TABLE_UNITS + 1];	/* class of n units, n <= TABLE_UNITS */
	struct size_class classes[CLASSES];
};

BUILD_BUG_ON(offsetof(struct buddy_heap, classes) >= 2048);

BUILD_BUG_ON(!IS_POWER_OF_2(HEAP_BUDDY_MIN_BLOCK));
BUILD_BUG_ON(HEAP_BUDDY_MIN_BLOCK < sizeof(struct list_head));
BUILD_BUG_ON(HEAP_BUDDY_MIN_BLOCK > 4096);
BUILD_BUG_ON(BUDDY_ORDERS > BITS_PER_LONG);
BUILD_BUG_ON(BIT(BIG_ORDER) != WORD_UNITS);
BUILD_BUG_ON(CLASSES - 1 > BIG_CLASS);
BUILD_BUG_ON(sizeof(struct cached_hdr) > HEAP_BUDDY_MIN_BLOCK);

/* ------------------------------------------------------------------ */
/* Units, bits and classes                                             */
/* ------------------------------------------------------------------ */

static inline size_t unit_of(const struct buddy_geom *g, const void *p)
{
	return ((uintptr_t)p - g->origin) >> UNIT_SHIFT;
}

static inline void *unit_addr(const struct buddy_geom *g, size_t u)
{
	return (void *)(g->origin + (u << UNIT_SHIFT));
}

static inline struct free_hdr *unit_hdr(const struct buddy_geom *g, size_t u)
{
	return unit_addr(g, u);
}

/* The state words of unit @u and its bit in them. */
static inline struct unit_bits *unit_word(const struct buddy_geom *g, size_t u)
{
	return &g->bits[u / WORD_UNITS];
}

/* The state words and bit of the unit at address @a, without its index. */
static inline struct unit_bits *addr_word(const struct buddy_geom *g, uintptr_t a)
{
	return (struct unit_bits *)(g->bits_bias +
				    (a >> (UNIT_SHIFT + BIG_ORDER)) * sizeof(struct unit_bits));
}

static inline unsigned long addr_bit(uintptr_t a)
{
	return BIT((a >> UNIT_SHIFT) % WORD_UNITS);
}

/* The big[] byte of the word that unit @u starts (u a multiple of 64). */
static inline uint8_t *unit_big(const struct buddy_geom *g, size_t u)
{
	return &g->big[u / WORD_UNITS];
}

static inline unsigned long unit_bit(size_t u)
{
	return BIT(u % WORD_UNITS);
}

/* Units per block of order @k. */
static inline size_t order_units(unsigned long k)
{
	return (size_t)1 << k;
}

/* The class of a whole block of order @k. */
static inline unsigned long class_full(unsigned long k)
{
	return k ? 2 * k - 1 : 0;
}

/* The order of the block a class @c lives in. */
static inline unsigned long class_order(unsigned long c)
{
	return c ? (c + 2) / 2 : 0;
}

/* True when class @c is three quarters of a block. */
static inline bool class_quarters(unsigned long c)
{
	return c && !(c & 1);
}

static inline size_t class_bytes(const struct buddy_heap *h, unsigned long c)
{
	return h->classes[c].bytes;
}

static inline size_t class_units(const struct buddy_heap *h, unsigned long c)
{
	return h->classes[c].units;
}

/* The cache of class @c. */
static inline struct cached_hdr *class_cache(struct buddy_heap *h, unsigned long c)
{
	return &h->classes[c].cache;
}

/*
 * Smallest class of at least x + 1 units: x itself below 4 units, else
 * 2L - 2 plus the bit below the top one of x, L being the bit length of x
 * (x + 1 fits in three quarters of 2^L units exactly when that bit is 0).
 */
static inline unsigned long class_of_excess(size_t x)
{
	unsigned long len, below;

	if (x < 4)
		return x;
	len = BITS_PER_LONG - (unsigned long)__builtin_clzl(x);
	below = (x >> (len - 2)) & 1;
	return 2 * len - 2 + below;
}

/*
 * The class of a request of @size bytes (>= 1) at @align (a power of two):
 * the size's class, raised to the first class whose blocks are aligned to
 * @align (a block of order k is aligned to 2^k units, three quarters too).
 */
static __always_inline unsigned long class_for(const struct buddy_heap *h, size_t size,
					      size_t align)
{
	size_t x = (size - 1) >> UNIT_SHIFT;
	unsigned long c = likely(x < TABLE_UNITS) ? h->unit_class[x + 1] : class_of_excess(x);

	if (unlikely(align > UNIT)) {
		unsigned long k = word_ffs(align) - UNIT_SHIFT;

		c = MAX(c, k > 1 ? 2 * k - 2 : k);
	}
	return c;
}

/* Class of the USED or CACHED block starting at unit @u (@w its state words). */
static __always_inline unsigned long busy_class(const struct buddy_heap *h, size_t u,
					   const struct unit_bits *w)
{
	size_t b = u % WORD_UNITS;
	unsigned long after = ((w->used | w->free) >> b) >> 1;	/* starts after unit b */

	if (likely(after))
		return h->unit_class[__builtin_ctzl(after) + 1];
	if (b)
		return h->unit_class[WORD_UNITS - b];	/* it ends at the end of the word */
	return *unit_big(&h->g, u) & BIG_CLASS;	/* it fills the word: a big block */
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

/* Poison @units units at @u (a header written later replaces its part). */
static void units_poison(struct buddy_heap *h, size_t u, size_t units)
{
	if (heap_poisoned(h))
		heap_poison_fill(unit_addr(&h->g, u), units << UNIT_SHIFT);
}

/* Panic if the block at @p of class @c, about to be handed out, was written. */
static void block_poison_check(const struct buddy_heap *h, const void *p, unsigned long c)
{
	size_t bytes = class_bytes(h, c), skip = hdr_bytes(bytes);

	heap_poison_check("heap_buddy", (const char *)p + skip, bytes - skip);
}

/* ------------------------------------------------------------------ */
/* Block states                                                        */
/* ------------------------------------------------------------------ */

/* Mark unit @u the start of a FREE block of order @k (no list). */
static inline void free_mark(const struct buddy_geom *g, size_t u, unsigned long k)
{
	if (k >= BIG_ORDER)
		*unit_big(g, u) = (uint8_t)(BIG_FREE | class_full(k));
	else
		unit_word(g, u)->free |= unit_bit(u);
}

/* Undo free_mark(): unit @u no longer starts a FREE block of order @k. */
static inline void free_unmark(const struct buddy_geom *g, size_t u, unsigned long k)
{
	if (k >= BIG_ORDER)
		*unit_big(g, u) = 0;
	else
		unit_word(g, u)->free &= ~unit_bit(u);
}

/* Link (u, k) on its list and mark it FREE; the caller sets its non-empty bit. */
static inline void free_link(struct buddy_heap *h, const struct buddy_geom *g, size_t u,
			     unsigned long k)
{
	struct free_hdr *f = unit_hdr(g, u);

	list_add(&f->link, &h->free_list[k]);
	if (k && k < BIG_ORDER)
		f->units = order_units(k);
	free_mark(g, u, k);
}

/* Make (u, k) a FREE block: header, mark, list and non-empty bit. */
static inline void free_push(struct buddy_heap *h, const struct buddy_geom *g, size_t u,
			     unsigned long k)
{
	free_link(h, g, u, k);
	h->nonempty |= BIT(k);
}

/* Unlink the FREE block at @f from the list @k without touching its marks. */
static __always_inline void free_unlink(struct buddy_heap *h, struct free_hdr *f, unsigned long k)
{
	struct list_head *prev = f->link.prev, *next = f->link.next;

	next->prev = prev;
	prev->next = next;
	if (unlikely(prev == next))
		h->nonempty &= ~BIT(k);	/* only the list head is left */
}

/* Take the FREE block (u, k) off its list and clear its mark. */
static inline void free_take(struct buddy_heap *h, const struct buddy_geom *g, size_t u,
			     unsigned long k)
{
	free_unlink(h, unit_hdr(g, u), k);
	free_unmark(g, u, k);
}

/*
 * True when (b, k) is a FREE block of order exactly @k: the merge test. @b
 * is the buddy of a block being released (or the tail of three quarters), so
 * any block starting at @b has order <= @k, and order 0 when @k is 0; an
 * order-0 block has no order word, so a start bit on the unit after @b rules
 * it out before the order word is read.
 */
static __always_inline bool buddy_free_whole(const struct buddy_geom *g, size_t b,
					     unsigned long k)
{
	const struct unit_bits *w;
	unsigned long bit;

	if (k >= BIG_ORDER)
		return *unit_big(g, b) == (BIG_FREE | class_full(k));
	w = unit_word(g, b);
	bit = unit_bit(b);
	if (!(w->free & ~w->used & bit))
		return false;
	return !k || (!((w->used | w->free) & (bit << 1)) &&
		      unit_hdr(g, b)->units == order_units(k));
}

/* Mark unit @u the start of a USED block of class @c. */
static inline void used_mark(const struct buddy_heap *h, size_t u, unsigned long c)
{
	unit_word(&h->g, u)->used |= unit_bit(u);
	if (class_units(h, c) >= WORD_UNITS)
		*unit_big(&h->g, u) = (uint8_t)c;
}

/* What the side metadata says starts at unit @u. */
enum start_kind {
	START_NONE,		/* no block starts here */
	START_USED,
	START_CACHED,
	START_FREE,
};

/*
 * The block starting at unit @u and its units (*@units), read from the side
 * metadata alone. Units of a FREE small block run to the next start bit of
 * its word or to the word's end.
 */
static enum start_kind block_at(const struct buddy_heap *h, size_t u, size_t *units)
{
	const struct unit_bits *w = unit_word(&h->g, u);
	unsigned long bit = unit_bit(u);
	uint8_t big = (u % WORD_UNITS) ? 0 : h->g.big[u / WORD_UNITS];

	if (w->used & bit) {
		*units = class_units(h, busy_class(h, u, w));
		return (w->free & bit) ? START_CACHED : START_USED;
	}
	if (w->free & bit) {
		unsigned long after = ((w->used | w->free) >> (u % WORD_UNITS)) >> 1;

		*units = after ? word_ffs(after) + 1 : WORD_UNITS - u % WORD_UNITS;
		return START_FREE;
	}
	if (big & BIG_FREE) {
		*units = order_units(class_order(big & BIG_CLASS));
		return START_FREE;
	}
	*units = 1;
	return START_NONE;
}

/* ------------------------------------------------------------------ */
/* Core: merge, split, drain                                           */
/* ------------------------------------------------------------------ */

/* A FREE run pushed by block_release(): n units at u (n 0: none). */
struct buddy_run {
	size_t u, n;
};

static buddy_noinline enum heap_free_result free_checked(struct buddy_heap *h, uintptr_t a,
							  size_t *usable);

/*
 * The merge of block_free_merge(): the free run (u, n), whose marks are
 * clear in @used and @free (u's bitmap word, not yet written back), with
 * @emptied the lists emptied so far, merged with its FREE buddies as far
 * as they go and pushed: one step per order, each a test of the side
 * metadata and an unlink, and no calls. Below 64 units the buddies share
 * u's word, kept in registers and written back once; from 64 units up a
 * buddy is tested by its big[] byte alone, counting in bytes from the
 * origin so that no shift is needed to reach a header. Lists a merge
 * empties are noted in a register and their non-empty bits cleared at the
 * end.
 */
static __always_inline void block_merge(struct buddy_heap *h, size_t u, size_t n,
					unsigned long used, unsigned long free,
					unsigned long emptied)
{
	const uintptr_t origin = h->g.origin;
	struct unit_bits *w = unit_word(&h->g, u);
	struct list_head *l;

	if (n < WORD_UNITS) {
		const unsigned long starts = used | free, fo = free & ~used;
		const size_t stop = h->small_stop;

		if (n == 1 && n < stop && (fo & unit_bit(u ^ 1))) {
			/* an order-0 buddy is FREE and whole by its bit alone */
			l = (struct list_head *)(origin + ((u ^ 1) << UNIT_SHIFT));
			if (l->prev == l->next)
				emptied |= 1;
			l->next->prev = l->prev;
			l->prev->next = l->next;
			free &= ~unit_bit(u ^ 1);
			u &= ~(size_t)1;
			n = 2;
		}
		if (n > 1 && n < stop) {
			/* FREE starts whose next unit starts nothing: of order 1 or more */
			const unsigned long sized = fo & ~(starts >> 1);

			do {
				size_t b = u ^ n;
				unsigned long bit = unit_bit(b);
				struct free_hdr *f;

				f = (struct free_hdr *)(origin + (b << UNIT_SHIFT));
				/* not FREE, or of order 0 (no size word), or smaller */
				if (!(sized & bit) || f->units != n)
					break;
				if (f->link.prev == f->link.next)
					emptied |= n;
				f->link.next->prev = f->link.prev;
				f->link.prev->next = f->link.next;
				free &= ~bit;
				u &= ~n;
				n *= 2;
			} while (n < stop);
		}
		if (n < WORD_UNITS)
			free |= unit_bit(u);	/* the result stays small: its mark */
	}
	w->used = used;
	w->free = free;
	if (n >= WORD_UNITS) {
		uint8_t *const big = h->g.big;
		uintptr_t off = u << UNIT_SHIFT, nb = n << UNIT_SHIFT;
		unsigned long mark = BIG_FREE | class_full(word_ffs(n));

		/*
		 * No bound check: the buddy of a block of the region starts
		 * at most at end_unit, whose big[] byte (the sentinel's word,
		 * or a word no big block can start in) is 0, or below it, in
		 * the metadata (bytes 0) or the region. Roots are never
		 * buddies: the walk stops at the largest by itself.
		 */
		for (;; nb *= 2, mark += 2) {
			uintptr_t b = off ^ nb;
			struct free_hdr *f = (struct free_hdr *)(origin + b);

			if (big[b >> (UNIT_SHIFT + BIG_ORDER)] != mark)
				break;
			if (f->link.prev == f->link.next)
				emptied |= nb >> UNIT_SHIFT;
			f->link.next->prev = f->link.prev;
			f->link.prev->next = f->link.next;
			big[b >> (UNIT_SHIFT + BIG_ORDER)] = 0;
			off &= ~nb;
		}
		big[off >> (UNIT_SHIFT + BIG_ORDER)] = (uint8_t)mark;
		u = off >> UNIT_SHIFT;
		n = nb >> UNIT_SHIFT;
	}
	l = &((struct free_hdr *)(origin + (u << UNIT_SHIFT)))->link;
	list_add(l, &h->free_list[word_ffs(n)]);
	if (n > 1 && n < WORD_UNITS)
		((struct free_hdr *)l)->units = n;
	/* emptied holds unit counts: as bit masks, their orders */
	h->nonempty = (h->nonempty & ~emptied) | n;
}

/* Three quarters (u, 3q) whose last quarter is not FREE: two FREE blocks, unmerged. */
static buddy_noinline void quarters_split(struct buddy_heap *h, size_t u, size_t q)
{
	free_push(h, &h->g, u + 2 * q, word_ffs(q));
	free_push(h, &h->g, u, word_ffs(2 * q));
}

/*
 * Free the USED or CACHED block of class @c at unit @u and merge it with
 * its FREE buddies as far as they go (block_merge()). Three quarters merge
 * whole when their last quarter is FREE; else they become two FREE blocks
 * (the half and the third quarter), neither of which can merge, since the
 * last quarter is their missing buddy. *@usable (when not NULL) gets the
 * block's size. No calls, so that it inlines into the out-of-line half of
 * free().
 */
static __always_inline void block_free_merge(struct buddy_heap *h, size_t u, unsigned long c,
					     size_t *usable)
{
	const struct size_class *sc = &h->classes[c];
	struct unit_bits *w = unit_word(&h->g, u);
	unsigned long used, free, emptied = 0;	/* BIT(k): a merge emptied free_list[k] */
	struct list_head *l;
	size_t n;

	if (usable)
		*usable = sc->bytes;
	used = w->used & ~unit_bit(u);
	free = w->free & ~unit_bit(u);
	n = sc->block;
	h->free_units += sc->units;
	if (sc->units >= WORD_UNITS)
		*unit_big(&h->g, u) = 0;
	if (unlikely(sc->units != n)) {		/* three quarters */
		size_t q = n / 4, tail = u + 3 * q;

		if (!buddy_free_whole(&h->g, tail, word_ffs(q))) {
			w->used = used;
			w->free = free;
			quarters_split(h, u, q);
			return;
		}
		l = &unit_hdr(&h->g, tail)->link;
		if (l->prev == l->next)
			emptied |= q;
		l->next->prev = l->prev;
		l->prev->next = l->next;
		if (n <= WORD_UNITS)
			free &= ~unit_bit(tail);	/* the tail shares u's word */
		else
			free_unmark(&h->g, tail, word_ffs(q));
	}
	block_merge(h, u, n, used, free, emptied);
}

/*
 * block_free_merge() out of line, for the block at @a of class @c; @c
 * NO_CLASS means the pointer @a was not judged yet: free_checked() does.
 * Returns HEAP_FREE_OK, or free_checked()'s refusal.
 */
static buddy_noinline enum heap_free_result block_release(struct buddy_heap *h, uintptr_t a,
							   unsigned long c, size_t *usable)
{
	if (c == NO_CLASS)
		return free_checked(h, a, usable);
	block_free_merge(h, (a - h->g.origin) >> UNIT_SHIFT, c, usable);
	return HEAP_FREE_OK;
}

/*
 * Find the FREE block that now holds unit @u (after a merge): u rounded
 * down to the block's order is its start, the first rounding that is one.
 */
static struct buddy_run free_run_holding(const struct buddy_heap *h, size_t u)
{
	struct buddy_run run = { 0, 0 };
	unsigned long k;

	for (k = 0; k <= h->max_order; k++) {
		size_t s = u & ~(order_units(k) - 1), n;

		if (block_at(h, s, &n) == START_FREE && s + n > u) {
			run.u = s;
			run.n = n;
			break;
		}
	}
	return run;
}

/*
 * block_release() on a poisoned heap: the block is poisoned first, and the
 * headers the merge absorbed (the last quarter's, and each buddy's) after.
 */
static buddy_noinline enum heap_free_result block_release_poisoned(struct buddy_heap *h,
								    size_t u, unsigned long c)
{
	unsigned long k0 = class_order(c), k;
	struct buddy_run run;

	heap_poison_fill(unit_addr(&h->g, u), class_bytes(h, c));
	block_release(h, (uintptr_t)unit_addr(&h->g, u), c, NULL);
	run = free_run_holding(h, u);
	if (run.n < order_units(k0))
		return HEAP_FREE_OK;	/* three quarters that did not merge: nothing absorbed */
	if (class_quarters(c))
		heap_poison_fill(unit_hdr(&h->g, u + 3 * order_units(k0 - 2)),
				 hdr_bytes(order_units(k0 - 2) << UNIT_SHIFT));
	for (k = k0; k < word_ffs(run.n); k++) {
		size_t b = (u & ~(order_units(k) - 1)) ^ order_units(k);

		if (b != run.u)
			heap_poison_fill(unit_hdr(&h->g, b),
					 hdr_bytes(order_units(k) << UNIT_SHIFT));
	}
	return HEAP_FREE_OK;
}

/* Release the block of class @c at @u, poisoned or not. */
static enum heap_free_result block_give_back(struct buddy_heap *h, size_t u, unsigned long c)
{
	if (unlikely(heap_poisoned(h)))
		return block_release_poisoned(h, u, c);
	return block_release(h, (uintptr_t)unit_addr(&h->g, u), c, NULL);
}

/*
 * Merge every CACHED block as a normal free. Returns true when there was
 * one.
 */
static bool cache_drain(struct buddy_heap *h)
{
	bool drained = false;
	unsigned long c;

	for (c = 0; c < CLASSES; c++) {
		struct cached_hdr *head = class_cache(h, c);

		while (head->next != head) {
			struct cached_hdr *b = head->next;

			head->next = b->next;
			block_give_back(h, unit_of(&h->g, b), c);
			drained = true;
		}
	}
	return drained;
}

/*
 * Split the block (u, j), taken off its list, down to order @k: push its
 * upper halves, the big ones (order 6 and up) by their big[] byte, the
 * small ones with one store to the bitmap word they share.
 */
static __always_inline void block_split(struct buddy_heap *h, size_t u, unsigned long j,
					unsigned long k)
{
	const struct buddy_geom g = h->g;
	const uintptr_t base = (uintptr_t)unit_addr(&g, u);
	struct list_head *head = &h->free_list[j];
	uintptr_t half = (uintptr_t)UNIT << j;	/* in bytes */
	unsigned long fbits = 0;

	h->nonempty |= (BIT(j) - 1) & ~(BIT(k) - 1);
	if (j > BIG_ORDER) {
		uint8_t *big = unit_big(&g, u);	/* u is a multiple of 2^j >= 128 */
		const uintptr_t last = UNIT << MAX(k, (unsigned long)BIG_ORDER);
		unsigned long mark = BIG_FREE | class_full(j);

		do {
			half /= 2;
			mark -= 2;
			list_add((struct list_head *)(base + half), --head);
			big[half >> (UNIT_SHIFT + BIG_ORDER)] = (uint8_t)mark;
		} while (half > last);
	}
	while (half > (UNIT << k)) {
		struct free_hdr *f;

		half /= 2;
		f = (struct free_hdr *)(base + half);
		list_add(&f->link, --head);
		if (half > UNIT)
			f->units = half >> UNIT_SHIFT;
		fbits |= unit_bit(u + (half >> UNIT_SHIFT));
	}
	unit_word(&g, u)->free |= fbits;
}

/*
 * Take the smallest FREE block that holds class @c, split it down to the
 * class (pushing the upper halves, and the last quarter for three
 * quarters) and return it USED. NULL, with the heap unchanged, when no FREE
 * block is large enough.
 */
static __always_inline void *block_take(struct buddy_heap *h, unsigned long c)
{
	unsigned long k = class_order(c), j;
	unsigned long fits = h->nonempty & (~0UL << k);
	struct free_hdr *f;
	size_t u;

	if (!fits)
		return NULL;
	j = word_ffs(fits);
	f = list_entry(h->free_list[j].next, struct free_hdr, link);
	u = unit_of(&h->g, f);
	free_take(h, &h->g, u, j);
	if (j > k)
		block_split(h, u, j, k);
	if (class_quarters(c))
		free_push(h, &h->g, u + 3 * order_units(k - 2), k - 2);
	used_mark(h, u, c);
	h->free_units -= class_units(h, c);
	return f;
}

/* Hand out @b, the top of the cache @head: CACHED -> USED. */
static __always_inline void *cache_pop(struct buddy_heap *h, struct cached_hdr *head,
				       struct cached_hdr *b)
{
	head->next = b->next;
	addr_word(&h->g, (uintptr_t)b)->free &= ~addr_bit((uintptr_t)b);
	return b;
}

/*
 * Keep the USED block @ptr (state words @w, bit @bit) unmerged on the cache
 * @head, whose top @top has room left: USED -> CACHED.
 */
static __always_inline void cache_push(struct cached_hdr *head, struct cached_hdr *top,
				       void *ptr, struct unit_bits *w, unsigned long bit)
{
	struct cached_hdr *b = ptr;

	b->next = top;
	b->room = top->room - 1;
	head->next = b;
	w->free |= bit;
}

/* ------------------------------------------------------------------ */
/* Out-of-line paths                                                   */
/* ------------------------------------------------------------------ */

/*
 * alloc() when the inline path cannot pop a cached block: the cache of
 * class @c is empty, or @c is NO_CLASS (a large request, or a poisoned
 * heap). Called in tail position, so the inline path needs no stack frame.
 */
static buddy_noinline void *alloc_poisoned(struct buddy_heap *h, size_t size, size_t align,
					   size_t *usable);

static buddy_noinline void *alloc_slow(struct buddy_heap *h, size_t size, size_t align,
				       unsigned long c, size_t *usable)
{
	struct cached_hdr *head;
	void *p;

	if (c == NO_CLASS) {
		if (unlikely(heap_poisoned(h)))
			return alloc_poisoned(h, size, align, usable);
		if (size - 1 >= h->size)
			return NULL;	/* also keeps the class below CLASSES */
		c = class_for(h, size, align);
	}
	head = class_cache(h, c);
	p = head->next != head ? cache_pop(h, head, head->next) : block_take(h, c);
	if (p && usable)
		*usable = class_bytes(h, c);
	return p;
}

/* alloc() on a poisoned heap: alloc_slow(), then the block's poison is checked. */
static buddy_noinline void *alloc_poisoned(struct buddy_heap *h, size_t size, size_t align,
					   size_t *usable)
{
	unsigned long c;
	void *p;

	if (size - 1 >= h->size)
		return NULL;
	c = class_for(h, size, align);
	p = alloc_slow(h, size, align, c, usable);
	if (p)
		block_poison_check(h, p, c);
	return p;
}

/*
 * Classify a pointer that is not the start of a USED block: FOREIGN outside
 * the region, DOUBLE when it is unit-aligned and inside a FREE or CACHED
 * block, NOT_BLOCK otherwise. The block holding unit u starts at u rounded
 * down to the block's order, so the first such rounding that hits a block
 * start finds it.
 */
static buddy_noinline enum heap_free_result free_refused(const struct buddy_heap *h, uintptr_t a)
{
	size_t u = unit_of(&h->g, (void *)a);
	unsigned long j;

	if (a - h->base >= h->size)
		return HEAP_FREE_FOREIGN;
	if ((a & (UNIT - 1)) || u < h->first_unit || u >= h->g.end_unit)
		return HEAP_FREE_NOT_BLOCK;
	for (j = 0; j <= h->max_order; j++) {
		size_t s = u & ~(order_units(j) - 1);
		const struct unit_bits *w = unit_word(&h->g, s);

		if (s < h->first_unit)
			break;
		if ((w->used | w->free) & unit_bit(s))
			return (w->free & unit_bit(s)) ? HEAP_FREE_DOUBLE : HEAP_FREE_NOT_BLOCK;
		if (!(s % WORD_UNITS) && (h->g.big[s / WORD_UNITS] & BIG_FREE))
			return HEAP_FREE_DOUBLE;
	}
	return HEAP_FREE_NOT_BLOCK;
}

/*
 * free() of a pointer the inline path did not judge: not a live block
 * (refused here), or any pointer on a poisoned heap.
 */
static buddy_noinline enum heap_free_result free_checked(struct buddy_heap *h, uintptr_t a,
							  size_t *usable)
{
	size_t u = unit_of(&h->g, (void *)a);
	struct unit_bits *w = unit_word(&h->g, u);
	struct cached_hdr *head;
	unsigned long c;

	if (a - h->base >= h->size || (a & (UNIT - 1)) || u < h->first_unit ||
	    u >= h->g.end_unit || !(w->used & ~w->free & unit_bit(u)))
		return free_refused(h, a);
	c = busy_class(h, u, w);
	if (usable)
		*usable = class_bytes(h, c);
	head = class_cache(h, c);
	if (!head->next->room)
		return block_give_back(h, u, c);
	if (unlikely(heap_poisoned(h)))
		units_poison(h, u, class_units(h, c));
	cache_push(head, head->next, (void *)a, w, unit_bit(u));
	return HEAP_FREE_OK;
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

/* Cover [first, end) with maximal aligned blocks of order <= max and free them. */
static void roots_create(struct buddy_heap *h)
{
	size_t u = h->first_unit;

	while (u < h->g.end_unit) {
		unsigned k = MIN(word_ffs(u), h->max_order);

		while (u + order_units(k) > h->g.end_unit)
			k--;
		h->free_units += order_units(k);
		free_push(h, &h->g, u, k);
		u += order_units(k);
	}
}

/* Fill the class tables; each cache may hold CACHE_DEPTH blocks, at most 1/64 of @managed. */
static void classes_init(struct buddy_heap *h, size_t managed)
{
	unsigned long c, n;

	for (c = 0; c < CLASSES; c++) {
		struct size_class *sc = &h->classes[c];
		unsigned long k = class_order(c);
		size_t units = class_quarters(c) ? 3 * order_units(k - 2) : order_units(k);
		bool cached = (units << UNIT_SHIFT) <= CACHE_MAX_BYTES;

		sc->units = (uint32_t)units;
		sc->block = (uint32_t)order_units(k);
		sc->bytes = units << UNIT_SHIFT;
		sc->cache.next = &sc->cache;
		sc->cache.room = cached ? MIN((size_t)CACHE_DEPTH,
					      managed / CACHE_SHARE / units) : 0;
		if (sc->cache.room && !heap_poisoned(h))
			h->fast_max = MAX(h->fast_max, sc->bytes);
	}
	for (n = 1; n <= TABLE_UNITS; n++)
		h->unit_class[n] = (uint8_t)class_of_excess(n - 1);
}

/*
 * heap_buddy_init - lay out the instance, the side metadata and the roots
 * in [base, base + size). Returns the instance (at @base) or NULL when the
 * region cannot hold the metadata and at least one block.
 */
static void *heap_buddy_init(void *base, size_t size, unsigned flags)
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
		return NULL;	/* orders (and classes of any size) would not fit the lists */
	words = end_unit / WORD_UNITS + 1;	/* room for the sentinel */

	memset(h, 0, sizeof(*h));
	h->g.origin = origin;
	h->base = (uintptr_t)base;
	h->size = size;
	h->flags = flags;
	h->g.end_unit = end_unit;
	meta = ALIGN_UP((uintptr_t)(h + 1), sizeof(struct unit_bits));
	h->g.bits = (struct unit_bits *)meta;
	h->g.bits_bias = meta - (origin >> (UNIT_SHIFT + BIG_ORDER)) * sizeof(struct unit_bits);
	h->g.big = (uint8_t *)(h->g.bits + words);
	meta = ALIGN_UP((uintptr_t)(h->g.big + words), UNIT);
	if (meta >= end || end - meta < UNIT)
		return NULL;
	h->first_unit = (meta - origin) >> UNIT_SHIFT;
	managed = end_unit - h->first_unit;
	h->max_order = ilog2_floor(managed);
	h->small_stop = MIN((size_t)WORD_UNITS, order_units(h->max_order));
	if (!heap_poisoned(h))
		h->fast_end = end_unit;

	memset(h->g.bits, 0, words * sizeof(*h->g.bits));
	memset(h->g.big, 0, words);
	unit_word(&h->g, end_unit)->used |= unit_bit(end_unit);	/* the sentinel: */
	unit_word(&h->g, end_unit)->free |= unit_bit(end_unit);	/* CACHED, never merged */
	for (k = 0; k < BUDDY_ORDERS; k++)
		list_init(&h->free_list[k]);
	classes_init(h, managed);
	if (heap_poisoned(h))
		heap_poison_fill(unit_addr(&h->g, h->first_unit), managed << UNIT_SHIFT);
	roots_create(h);
	return h;
}

/* ------------------------------------------------------------------ */
/* Public operations                                                   */
/* ------------------------------------------------------------------ */

/*
 * The inline half of alloc(): pop a block of the request's class from its
 * cache. NULL, with nothing changed, when the request is large, the cache
 * empty or the heap poisoned; *@c is then the class, or NO_CLASS when it
 * was not computed.
 */
static __always_inline void *cache_take(struct buddy_heap *h, size_t size, size_t align,
					unsigned long *c, size_t *usable)
{
	struct cached_hdr *head, *b;

	*c = NO_CLASS;
	if (unlikely(size - 1 >= h->fast_max))	/* size 0 wraps and goes slow */
		return NULL;
	*c = class_for(h, size, align);
	head = class_cache(h, *c);
	b = head->next;
	if (unlikely(b == head))
		return NULL;
	cache_pop(h, head, b);
	if (usable)
		*usable = class_bytes(h, *c);
	return b;
}

/*
 * The out-of-line half of alloc() for the front end (only the kernel's
 * kmalloc.c uses it), inlined into the front end's own out-of-line path so
 * that a split costs no further call: after cache_take() failed with class
 * @c, split a block of that class from the smallest FREE block (no
 * calls), or, when @c is NO_CLASS, alloc_slow().
 */
static __always_inline __maybe_unused void *alloc_miss(struct buddy_heap *h, size_t size,
							size_t align, unsigned long c,
							size_t *usable)
{
	void *p;

	if (unlikely(c == NO_CLASS))
		return alloc_slow(h, size, align, c, usable);
	p = block_take(h, c);	/* the cache of @c was empty */
	if (p && usable)
		*usable = class_bytes(h, c);
	return p;
}

/*
 * The inline half of free(): push the live block at @ptr on the cache of
 * its class. False, with nothing changed, when @ptr is not a live block,
 * the heap is poisoned (*@c is then NO_CLASS), or the cache is full (*@c
 * is then the block's class).
 */
static __always_inline bool cache_give(struct buddy_heap *h, void *ptr, unsigned long *c,
				       size_t *usable)
{
	uintptr_t off = (uintptr_t)ptr - h->g.origin;
	/* Rotated, a misaligned offset is huge: one compare checks both. */
	size_t u = (off >> UNIT_SHIFT) | (off << (BITS_PER_LONG - UNIT_SHIFT));
	struct cached_hdr *head, *top;
	struct unit_bits *w;
	unsigned long bit;

	*c = NO_CLASS;
	if (unlikely(u >= h->fast_end))
		return false;
	w = unit_word(&h->g, u);
	bit = unit_bit(u);
	if (unlikely(!(w->used & ~w->free & bit)))
		return false;
	*c = busy_class(h, u, w);
	head = class_cache(h, *c);
	top = head->next;
	if (unlikely(!top->room))
		return false;
	cache_push(head, top, ptr, w, bit);
	if (usable)
		*usable = class_bytes(h, *c);
	return true;
}

/*
 * The out-of-line half of free() for the front end, inlined like
 * alloc_miss(): after cache_give() failed with class @c (a full cache),
 * merge the block (no calls); with NO_CLASS, judge @ptr in free_checked().
 */
static __always_inline __maybe_unused enum heap_free_result free_miss(struct buddy_heap *h,
								      void *ptr, unsigned long c,
								      size_t *usable)
{
	if (unlikely(c == NO_CLASS))
		return free_checked(h, (uintptr_t)ptr, usable);
	block_free_merge(h, unit_of(&h->g, ptr), c, usable);
	return HEAP_FREE_OK;
}

/*
 * heap_buddy_alloc - a block of the request's class (raised for the
 * alignment): popped from that class's cache when it has one, else split
 * from the smallest FREE block. Returns NULL when no FREE block is large
 * enough (cached blocks are not merged for it).
 */
static __always_inline void *heap_buddy_alloc(void *heap, size_t size, size_t align,
					      size_t *usable)
{
	unsigned long c;
	void *p = cache_take(heap, size, align, &c, usable);

	if (likely(p))
		return p;
	return alloc_slow(heap, size, align, c, usable);
}

/*
 * heap_buddy_free - release the allocation at @ptr: push it on its class's
 * cache, or merge it when that cache is full. A unit-aligned pointer into
 * free space is HEAP_FREE_DOUBLE, any other pointer that is not the start
 * of a live allocation HEAP_FREE_NOT_BLOCK or HEAP_FREE_FOREIGN; none of
 * them changes anything.
 */
static __always_inline enum heap_free_result heap_buddy_free(void *heap, void *ptr,
							     size_t *usable)
{
	unsigned long c;

	if (likely(cache_give(heap, ptr, &c, usable)))
		return HEAP_FREE_OK;
	return block_release(heap, (uintptr_t)ptr, c, usable);	/* one call, in tail position */
}

/*
 * For the kernel's front end, which compiles this file (mm/heap/kmalloc.c):
 * alloc() and free() in their two halves. The inline half serves a cache
 * hit without calling anything, or fails with nothing changed and leaves a
 * hint (the class, or ~0 when nothing is known); the out-of-line half,
 * given the hint, finishes the call exactly as alloc() or free() would. It
 * is inline too, for the front end's own out-of-line path: a split or a
 * merge then runs there, with no further call or stack frame.
 */
#define HEAP_ALGO_TRY_ALLOC(heap, size, align, usable, hint) \
	cache_take(heap, size, align, hint, usable)
#define HEAP_ALGO_ALLOC_MISS(heap, size, align, hint, usable) \
	alloc_miss(heap, size, align, hint, usable)
#define HEAP_ALGO_TRY_FREE(heap, ptr, usable, hint) \
	cache_give(heap, ptr, hint, usable)
#define HEAP_ALGO_FREE_MISS(heap, ptr, hint, usable) \
	free_miss(heap, ptr, hint, usable)

/*
 * heap_buddy_usable_size - the class size of the live allocation at @ptr,
 * or 0 when @ptr is not the start of one (the checks of heap_buddy_free()).
 */
static size_t heap_buddy_usable_size(void *heap, void *ptr)
{
	struct buddy_heap *h = heap;
	uintptr_t a = (uintptr_t)ptr;
	struct unit_bits *w;
	size_t u;

	if (a - h->base >= h->size || (a & (UNIT - 1)))
		return 0;
	u = unit_of(&h->g, ptr);
	if (u < h->first_unit || u >= h->g.end_unit)
		return 0;
	w = unit_word(&h->g, u);
	if (!(w->used & ~w->free & unit_bit(u)))
		return 0;
	return class_bytes(h, busy_class(h, u, w));
}

/*
 * heap_buddy_space - region, metadata and free figures. Merges the caches
 * first, so largest_free is exact; O(cached blocks).
 */
static void heap_buddy_space(void *heap, struct heap_algo_space *out)
{
	struct buddy_heap *h = heap;
	size_t managed = (h->g.end_unit - h->first_unit) << UNIT_SHIFT;

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

/* heap_buddy_walk - metadata, then every block (CACHED ones as free), then the tail. */
static void heap_buddy_walk(void *heap, heap_walk_fn fn, void *arg)
{
	struct buddy_heap *h = heap;
	uintptr_t first = (uintptr_t)unit_addr(&h->g, h->first_unit);
	uintptr_t end = (uintptr_t)unit_addr(&h->g, h->g.end_unit);
	size_t u = h->first_unit;

	fn(arg, HEAP_BLOCK_META, 0, first - h->base);
	while (u < h->g.end_unit) {
		size_t n;
		enum start_kind s = block_at(h, u, &n);

		n = MIN(n, h->g.end_unit - u);
		fn(arg, s == START_USED ? HEAP_BLOCK_USED : HEAP_BLOCK_FREE,
		   (uintptr_t)unit_addr(&h->g, u) - h->base, n << UNIT_SHIFT);
		u += n;
	}
	if (end < h->base + h->size)
		fn(arg, HEAP_BLOCK_META, end - h->base, h->base + h->size - end);
}

/* Tallies of one validate() pass. */
struct buddy_tally {
	size_t free_units, free_blocks, cached_blocks;
	size_t list_units, list_blocks, cache_blocks;
};

/* True when no block starts in units (u, u + n): no start bits, no big[] bytes. */
static bool block_interior_clean(const struct buddy_heap *h, size_t u, size_t n)
{
	size_t i = u + 1, end = u + n;

	while (i < end) {
		const struct unit_bits *w = unit_word(&h->g, i);
		size_t lo = i % WORD_UNITS, span = MIN(WORD_UNITS - lo, end - i);

		if ((w->used | w->free) & word_mask((unsigned)lo, (unsigned)span))
			return false;
		if (!lo && h->g.big[i / WORD_UNITS])
			return false;
		i += span;
	}
	return true;
}

/* True when (u, k) is a FREE block of order @k by every mark. */
static bool free_block_is(const struct buddy_heap *h, size_t u, unsigned long k)
{
	size_t n;

	if (u < h->first_unit || u >= h->g.end_unit || (u & (order_units(k) - 1)) ||
	    block_at(h, u, &n) != START_FREE || n != order_units(k) ||
	    !block_interior_clean(h, u, n))
		return false;
	if (k >= BIG_ORDER)
		return !(unit_word(&h->g, u)->free & unit_bit(u)) &&
		       h->g.big[u / WORD_UNITS] == (BIG_FREE | class_full(k));
	return !k || unit_hdr(&h->g, u)->units == order_units(k);
}

/* True when @p may be followed: a unit-aligned address of a managed unit. */
static bool node_in_heap(const struct buddy_heap *h, const void *p)
{
	uintptr_t a = (uintptr_t)p;

	return a >= (uintptr_t)unit_addr(&h->g, h->first_unit) &&
	       a < (uintptr_t)unit_addr(&h->g, h->g.end_unit) && !(a & (UNIT - 1));
}

/* Number of problems in free list @k. */
static unsigned free_list_check(const struct buddy_heap *h, unsigned long k, struct buddy_tally *t)
{
	const struct list_head *head = &h->free_list[k], *prev = head, *pos;
	size_t limit = ((h->g.end_unit - h->first_unit) >> k) + 1, seen = 0;
	unsigned problems = 0;

	for (pos = head->next; pos != head; prev = pos, pos = pos->next) {
		if (!node_in_heap(h, pos) || ++seen > limit)
			return problems + 1;	/* cannot follow it further */
		if (pos->prev != prev || !free_block_is(h, unit_of(&h->g, pos), k))
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

/* Number of problems in the cache of class @c. */
static unsigned cache_check(const struct buddy_heap *h, unsigned long c, struct buddy_tally *t)
{
	const struct cached_hdr *head = &h->classes[c].cache, *b;
	size_t limit = head->room, seen = 0, n;
	unsigned problems = 0;

	if (limit > CACHE_DEPTH)
		return 1;
	for (b = head->next; b != head; b = b->next) {
		size_t u = unit_of(&h->g, b);

		if (!node_in_heap(h, b) || ++seen > limit)
			return problems + 1;
		if (block_at(h, u, &n) != START_CACHED ||
		    busy_class(h, u, unit_word(&h->g, u)) != c)
			problems++;
		if (b->next != head && !node_in_heap(h, b->next))
			return problems + 1;
		if (b->room != (b->next == head ? limit : b->next->room) - 1)
			problems++;
	}
	t->cache_blocks += seen;
	return problems;
}

/* Number of problems in the block at @u of @n units met by the address-order walk. */
static unsigned block_check(const struct buddy_heap *h, size_t u, enum start_kind s, size_t n,
			    struct buddy_tally *t)
{
	unsigned long k = ilog2_ceil(n);
	uint8_t big = (u % WORD_UNITS) ? 0 : h->g.big[u / WORD_UNITS];

	if (s == START_NONE || u + n > h->g.end_unit || !block_interior_clean(h, u, n))
		return 1;	/* the walk starts at first_unit, which must start a block */
	if (s != START_FREE) {
		unsigned long c = busy_class(h, u, unit_word(&h->g, u));

		t->cached_blocks += s == START_CACHED;
		if (u & (order_units(class_order(c)) - 1))
			return 1;
		return n >= WORD_UNITS ? big != c : big != 0;	/* big[] names the big ones */
	}
	t->free_units += n;
	t->free_blocks++;
	if (!IS_POWER_OF_2(n) || (u & (n - 1)) || (n < WORD_UNITS && big))
		return 1;
	if (k < h->max_order && (u ^ n) >= h->first_unit && (u ^ n) < h->g.end_unit &&
	    free_block_is(h, u ^ n, k))
		return 1;	/* two FREE buddies left unmerged */
	return 0;
}

/* True when the fields validate() relies on point inside the metadata area. */
static bool instance_sane(const struct buddy_heap *h)
{
	uintptr_t lo = (uintptr_t)(h + 1), hi;
	size_t words;

	if (h->base != (uintptr_t)h || h->g.origin != ALIGN_DOWN(h->base, ORIGIN_ALIGN) ||
	    h->first_unit >= h->g.end_unit || h->max_order >= BUDDY_ORDERS ||
	    (h->g.end_unit >> (BUDDY_ORDERS - 2)) ||
	    (uintptr_t)unit_addr(&h->g, h->g.end_unit) > h->base + h->size)
		return false;
	words = h->g.end_unit / WORD_UNITS + 1;
	hi = (uintptr_t)unit_addr(&h->g, h->first_unit);
	return (uintptr_t)h->g.bits >= lo && (uintptr_t)(h->g.bits + words) <= hi &&
	       (uintptr_t)h->g.big >= lo && (uintptr_t)(h->g.big + words) <= hi;
}

/* Number of marks outside the managed units, or a wrong sentinel. */
static unsigned stray_marks_check(const struct buddy_heap *h)
{
	size_t last = h->g.end_unit / WORD_UNITS, i;
	unsigned long below = BIT(h->first_unit % WORD_UNITS) - 1;
	unsigned long above = ~(unit_bit(h->g.end_unit) - 1);
	unsigned problems = 0;

	for (i = 0; i < h->first_unit / WORD_UNITS; i++)
		problems += (h->g.bits[i].used | h->g.bits[i].free) != 0 || h->g.big[i];
	if ((h->g.bits[i].used | h->g.bits[i].free) & below)
		problems++;
	if ((h->g.bits[last].free & above) != unit_bit(h->g.end_unit) ||
	    (h->g.bits[last].used & above) != unit_bit(h->g.end_unit))
		problems++;	/* the sentinel: end_unit CACHED, nothing after it */
	if (!(h->g.end_unit % WORD_UNITS) && h->g.big[last])
		problems++;
	return problems;
}

/*
 * heap_buddy_validate - check the instance fields, every free list and
 * cache against the side metadata, and an address-order walk of all blocks
 * (tiling, alignment, clean interiors, big[] bytes, missed merges).
 * Returns the problem count.
 */
static unsigned heap_buddy_validate(void *heap, struct audit *a)
{
	struct buddy_heap *h = heap;
	struct buddy_tally t = { 0 };
	size_t u;
	unsigned problems, k, c;

	if (!instance_sane(h))	/* the instance itself is corrupt: go no further */
		return audit_note(a, 1, "the instance's fields are corrupt");
	problems = audit_note(a, stray_marks_check(h), "block marks outside the managed units, "
			      "or a wrong end sentinel");
	for (k = 0; k <= h->max_order; k++)
		problems += audit_note(a, free_list_check(h, k, &t), "free list of order %u: a "
				       "bad link, a block its marks call something else, or a "
				       "wrong non-empty bit", k);
	for (; k < BUDDY_ORDERS; k++)
		problems += audit_note(a, !list_empty(&h->free_list[k]) || (h->nonempty & BIT(k)),
				       "free list of order %u is in use, above the heap's order %u",
				       k, (unsigned)h->max_order);
	for (c = 0; c < CLASSES; c++)
		problems += audit_note(a, cache_check(h, c, &t), "cache of class %u: a bad link, "
				       "a wrong room count or a block not marked cached", c);
	for (u = h->first_unit; u < h->g.end_unit; ) {
		size_t n;
		enum start_kind s = block_at(h, u, &n);

		problems += audit_note(a, block_check(h, u, s, n, &t), "block at offset 0x%zx "
				       "(%zu bytes): its marks are inconsistent, it is misaligned, "
				       "or it is free beside its free buddy",
				       (size_t)((uintptr_t)unit_addr(&h->g, u) - h->base),
				       n * UNIT);
		if (problems > 100)
			return problems;	/* enough to diagnose */
		u += n;
	}
	problems += audit_note(a, t.free_units != t.list_units || t.free_units != h->free_units ||
			       t.free_blocks != t.list_blocks || t.cached_blocks != t.cache_blocks,
			       "free units %zu in address order, %zu on the lists, %zu counted; "
			       "cached blocks %zu marked, %zu in the caches", t.free_units,
			       t.list_units, (size_t)h->free_units, t.cached_blocks,
			       t.cache_blocks);
	return problems;
}

HEAP_ALGO_REGISTER(buddy, {
	.name = "buddy",
	.init = heap_buddy_init,
	.alloc = heap_buddy_alloc,
	.free = heap_buddy_free,
	.usable_size = heap_buddy_usable_size,
	.reserved_size = heap_buddy_usable_size,
	.space = heap_buddy_space,
	.validate = heap_buddy_validate,
	.walk = heap_buddy_walk,
});
