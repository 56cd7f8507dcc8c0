// SPDX-License-Identifier: MIT
/*
 * First-fit heap: address-ordered first fit with immediate coalescing, no
 * block headers, block starts kept out of band, and every call bounded.
 *
 * Policy. An allocation takes the lowest-addressed free block that fits; a
 * free merges the block with both physical neighbours at once, so no two
 * free blocks are ever adjacent and freeing everything gives back the one
 * block the heap started with. An aligned request (above 16 bytes) takes the
 * lowest block with room for the request plus the largest pad its alignment
 * can need (align - 16 bytes), or a lower block of the same segment (below)
 * that fits at its actual pad; only when no block has that much room does it
 * try the lowest segment with a block of the bare size, then the top block.
 * kmalloc_aligned() promises no more than that.
 *
 * Units, no headers. The region is cut into 16-byte units numbered from the
 * region base; offsets and sizes are 32-bit unit counts. A block is a run of
 * whole units and its payload starts at its first unit: allocated blocks
 * carry no header, so a request of s bytes takes ceil(s / 16) units. One bit
 * per unit, the start map, is set where a block starts (used or free) and at
 * the end of the last block; an allocated block's size is the distance to the
 * next set bit. Nothing about an allocated block is read from its memory,
 * which is the caller's: a pointer whose unit has no start bit is refused,
 * whatever the bytes around it look like, and whether a block is free is
 * decided by the free lists below, never by the block's contents.
 *
 * Start map. Above the bit-per-unit level sit summary levels, one bit per
 * word of the level below (set when that word is not zero), up to a single
 * word. The next or previous start is found in the unit's own word, or by
 * climbing until a summary word has a bit on the right side and stepping
 * down with count-trailing/leading-zeros: two steps per level at most, and
 * there are ceil(log64(units)) levels (4 for 8 MiB).
 *
 * Segments. The heap is divided into segments of 64 units (1 KiB, one word
 * of the start map). Each free block belongs to the segment of its first
 * unit and sits on that segment's list, sorted by address; the list lives in
 * the free blocks (next link and size, 8 bytes) and a byte per segment gives
 * the offset of its first block. Free blocks are never adjacent, so a
 * segment holds at most 32 of them.
 *
 * Finding the lowest fit. 256 segments form a group (256 KiB). Per group a
 * 4-way max-tree of 16-bit entries over its segments (four levels above the
 * leaves; the four children of an entry are one 64-bit word, searched with
 * lane-parallel compares) holds each segment's largest free block
 * (saturating at 0x7fff units, 512 KiB); over the groups an exact
 * 32-bit max-tree holds each group's largest free block. Two blocks of
 * 512 KiB or more cannot start within one 256 KiB group, so a saturated
 * group entry stands for exactly one block, whose size is its group's exact
 * figure. An allocation walks down the group tree to the lowest group with a
 * block big enough, down that group's tree to its lowest such segment, and
 * along the segment's list to the first block that fits: the block a scan of
 * the whole heap in address order would have found. Nothing is rebalanced,
 * ever: the trees are arrays, and a change updates a leaf and the entries
 * above it until one stays the same (a lowered entry climbs only while its
 * parent held the old figure). The group tree is entered at the lowest
 * node whose groups hold every listed block (all lie below the top block),
 * so while the heap grows from its bottom the walks are no longer than the
 * part in use needs.
 *
 * Remembering the walk. A walk along a segment's list to a block also keeps
 * the largest size among the blocks it passed, so when the block that goes
 * (or shrinks) was its segment's largest, the new largest is that figure
 * and a scan of the rest of the list: every block is read once per call.
 *
 * The top block. The free block that ends at the end of the heap is kept off
 * the lists, in the instance. It is the highest free block, so trying it
 * after the lists keeps first fit, and filling an empty heap touches no
 * list or tree at all.
 *
 * Carving. A block is cut from the back of a listed free block, so the
 * remainder keeps its place on its list; it is cut from the front of the top
 * block. A free looks its neighbours up through the start map and the lists:
 * the one below is the previous start, free exactly when it is the last
 * block on its segment's list (or an earlier block of the freed unit's own
 * segment); the one above is free exactly when it heads its segment's list
 * (or follows the freed unit on the same list), or is the top block.
 *
 * Why every call is bounded. A call walks at most a few segment lists, each
 * at most 32 blocks long, and otherwise does a constant number of start map
 * look-ups (O(log64 units)) and tree walks (4 levels of one word in a group
 * tree plus log2(groups) in the group tree, 5 for 8 MiB, 8 for 64 MiB). So
 * the worst call is a constant (the segment size) plus a term that grows
 * with log2 of the heap size, whatever the heap went through; the constants
 * are in docs/heap.md with the measured worst calls.
 *
 * Two halves. kmalloc() compiles this file and inlines fit_take() and
 * live_give(), the whole alloc and free at their common paths, so a call
 * costs the front end its lock and counters and nothing more; only a
 * failure or a refused pointer goes on to the out-of-line op, which names
 * the reason (see the end of the file).
 *
 * Space. The start map takes one bit per unit plus 1/64 of that; the trees
 * and list heads about 5 bytes per segment (about 1.3% of the heap in all).
 * The smallest block is one unit, so any pad or remainder is a
 * valid free block of its own.
 */
#include <lib/bitops.h>
#include <lib/string.h>
#include <mm/heap_algo.h>
#include <mmlab/panic.h>

/* ---------------------------------------------------------------------- */
/* Constants and layout                                                    */
/* ---------------------------------------------------------------------- */

#define UNIT_SHIFT	4
#define UNIT_SIZE	(1u << UNIT_SHIFT)	/* allocation granule, payload alignment */
#define SEG_SHIFT	6			/* segment = 64 units = 1 KiB, a start map word */
#define SEG_UNITS	(1u << SEG_SHIFT)
#define SEG_BLOCKS_MAX	(SEG_UNITS / 2)		/* free blocks are never adjacent */
#define SEG_NONE	0xffu			/* seg_first of an empty segment */
#define GROUP_SHIFT	8			/* group = 256 segments = 256 KiB */
#define GROUP_SEGS	(1u << GROUP_SHIFT)
#define GROUP_TREE	(2 * GROUP_SEGS)	/* entries of a group's tree; [1] is its root */
#define LANE_SAT	0x7fffu			/* an entry this big means "at least" */
#define LANES_HIGH	0x8000800080008000UL	/* the spare top bit of each of 4 entries */
#define LANES_ONE	0x0001000100010001UL
#define MAX_UNITS	(1u << 28)		/* a region is at most 4 GiB */
#define MAP_LEVELS_MAX	6			/* 64^5 bits > MAX_UNITS */
#define NO_SEG		(~0UL)

#define FF_MAGIC	0x66666974u		/* "ffit" */

typedef uint32_t unit_t;	/* unit number from the region base; 0 = none */

/* The first 8 bytes of every free block except the top one. */
struct ff_free {
	unit_t next;		/* next free block on the same segment's list; 0 = last */
	uint32_t size;		/* units in this block */
};

/* The instance, at the region base. */
struct ff_heap {
	uint32_t magic;
	uint32_t flags;		/* HEAP_ALGO_* given to init */
	unit_t first;		/* first unit of the lowest block */
	unit_t end;		/* unit after the last block; its start bit is set */
	unit_t top;		/* first unit of the top free block; == end when none */
	uint32_t free_units;	/* units in free blocks, top included */
	uint32_t free_blocks;	/* free blocks, top included */
	uint32_t base_phase;	/* region base / 16: payload alignment offset */
	uint32_t nsegs;		/* segments covering units [0, end) */
	uint32_t ngroups;	/* groups covering the segments */
	uint32_t gleaves;	/* group tree leaves: ngroups rounded up to a power of 2 */
	uint32_t groot;		/* group tree node whose subtree holds every listed block */
	unit_t gcover;		/* first unit past that subtree's groups */
	uint32_t levels;	/* start map levels, 1..MAP_LEVELS_MAX */
	size_t region_size;	/* bytes given to init */
	uint32_t *group_max;	/* [2 * gleaves]: exact max-tree over groups, root at 1 */
	uint16_t *seg_max;	/* [ngroups * GROUP_TREE]: per group, a max-tree over segments */
	uint8_t *seg_first;	/* [nsegs]: offset of the segment's first free block */
	unsigned long *map[MAP_LEVELS_MAX];	/* [0]: a bit per unit; [k+1]: per word of [k] */
	uint32_t map_words[MAP_LEVELS_MAX];
};

BUILD_BUG_ON(sizeof(struct ff_free) > UNIT_SIZE);
BUILD_BUG_ON((SEG_UNITS - 1) >= SEG_NONE);
BUILD_BUG_ON((1ULL << (6 * (MAP_LEVELS_MAX - 1))) <= MAX_UNITS);
/* A block of LANE_SAT units is longer than a group, so one starts per group at most. */
BUILD_BUG_ON(LANE_SAT + 1 < (GROUP_SEGS << SEG_SHIFT));
BUILD_BUG_ON(GROUP_SHIFT % 2);		/* a group tree is 4-way: its leaves are a power of 4 */

/* ---------------------------------------------------------------------- */
/* Accessors (unit numbers are unsigned long in code, unit_t in memory)    */
/* ---------------------------------------------------------------------- */

static __always_inline char *unit_addr(const struct ff_heap *h, unsigned long u)
{
	return (char *)h + (u << UNIT_SHIFT);
}

static __always_inline struct ff_free *free_of(const struct ff_heap *h, unsigned long u)
{
	return (struct ff_free *)unit_addr(h, u);
}

static __always_inline unsigned long seg_of(unsigned long u)
{
	return u >> SEG_SHIFT;
}

/* First free block on segment @s's list, 0 when it is empty. */
static __always_inline unsigned long seg_head(const struct ff_heap *h, unsigned long s)
{
	unsigned long off = h->seg_first[s];

	return off == SEG_NONE ? 0 : (s << SEG_SHIFT) + off;
}

static __always_inline void seg_set_head(struct ff_heap *h, unsigned long s, unsigned long u)
{
	h->seg_first[s] = u ? (uint8_t)(u & (SEG_UNITS - 1)) : SEG_NONE;
}

static __always_inline bool heap_poisoned(const struct ff_heap *h)
{
	return h->flags & HEAP_ALGO_POISON;
}

/* Units needed for a @size-byte request, @size >= 1. */
static __always_inline unsigned long units_for(size_t size)
{
	return (size + UNIT_SIZE - 1) >> UNIT_SHIFT;
}

/* ---------------------------------------------------------------------- */
/* Start map: a bit per unit where a block starts, with summary levels     */
/* ---------------------------------------------------------------------- */

static __always_inline bool starts_test(const struct ff_heap *h, unsigned long u)
{
	return (h->map[0][u / BITS_PER_LONG] >> (u % BITS_PER_LONG)) & 1;
}

/* Mark a block start at @u, and the summary bits above it. */
static __always_inline void starts_set(struct ff_heap *h, unsigned long u)
{
	unsigned long *w = &h->map[0][u / BITS_PER_LONG];
	unsigned k;

	if (likely(*w)) {
		*w |= BIT(u % BITS_PER_LONG);
		return;
	}
	for (k = 0; k < h->levels; k++) {
		bool was_empty;

		w = &h->map[k][u / BITS_PER_LONG];
		was_empty = *w == 0;
		*w |= BIT(u % BITS_PER_LONG);
		if (!was_empty)
			break;
		u /= BITS_PER_LONG;
	}
}

/* Drop the block start at @u, and the summary bits of words left empty. */
static __always_inline void starts_clear(struct ff_heap *h, unsigned long u)
{
	unsigned k;

	for (k = 0; k < h->levels; k++) {
		unsigned long *w = &h->map[k][u / BITS_PER_LONG];

		*w &= ~BIT(u % BITS_PER_LONG);
		if (likely(*w))
			break;
		u /= BITS_PER_LONG;
	}
}

/* The bits of a word at or above bit @b (@up), or at or below it. */
static __always_inline unsigned long word_side(unsigned long b, bool up)
{
	return up ? ~0UL << b : ~0UL >> (BITS_PER_LONG - 1 - b);
}

/* The bit of non-zero @w nearest the start of a walk up (@up: its lowest) or down. */
static __always_inline unsigned long word_nearest(unsigned long w, bool up)
{
	return up ? word_ffs(w) : word_fls(w);
}

/*
 * The nearest block start beyond @u's own word, above it (@up) or below:
 * climb the summary levels until a word has a bit on that side, then step
 * down taking the nearest bit of each word.
 */
static __always_inline unsigned long starts_far(const struct ff_heap *h, unsigned long u,
						bool up)
{
	unsigned long i = u / BITS_PER_LONG, w;
	unsigned k = 1;

	for (;;) {
		if (unlikely(k == h->levels || (!up && i == 0)))
			panic("heap_first_fit: no block start %s unit %lu", up ? "after" : "before",
			      u);
		i = up ? i + 1 : i - 1;
		w = h->map[k][i / BITS_PER_LONG] & word_side(i % BITS_PER_LONG, up);
		if (w)
			break;
		i /= BITS_PER_LONG;
		k++;
	}
	i = ALIGN_DOWN(i, BITS_PER_LONG) + word_nearest(w, up);
	while (--k)
		i = i * BITS_PER_LONG + word_nearest(h->map[k][i], up);
	return i * BITS_PER_LONG + word_nearest(h->map[0][i], up);
}

/* starts_far() upward and downward, each compiled for its direction. */
static __attribute__((noinline)) unsigned long starts_next_far(const struct ff_heap *h,
							       unsigned long u)
{
	return starts_far(h, u, true);
}

static __attribute__((noinline)) unsigned long starts_prev_far(const struct ff_heap *h,
							       unsigned long u)
{
	return starts_far(h, u, false);
}

/*
 * The first block start at or after @u, @u <= end (the end's own bit makes
 * it exist). Blocks of up to 64 units end in @u's word or the next one.
 */
static __always_inline unsigned long starts_next(const struct ff_heap *h, unsigned long u)
{
	const unsigned long *w = &h->map[0][u / BITS_PER_LONG];
	unsigned long here = w[0] & word_side(u % BITS_PER_LONG, true);

	if (likely(here))
		return ALIGN_DOWN(u, BITS_PER_LONG) + word_ffs(here);
	if (likely(u / BITS_PER_LONG + 1 < h->map_words[0] && w[1]))
		return ALIGN_DOWN(u, BITS_PER_LONG) + BITS_PER_LONG + word_ffs(w[1]);
	return starts_next_far(h, u);
}

/* The last block start at or before @u, @u >= first (the first block's bit makes it exist). */
static __always_inline unsigned long starts_prev(const struct ff_heap *h, unsigned long u)
{
	unsigned long w = h->map[0][u / BITS_PER_LONG] & word_side(u % BITS_PER_LONG, false);

	if (likely(w))
		return ALIGN_DOWN(u, BITS_PER_LONG) + word_fls(w);
	return starts_prev_far(h, u);
}

/* Units of the allocated block that starts at @u. */
static __always_inline unsigned long used_units(const struct ff_heap *h, unsigned long u)
{
	return starts_next(h, u + 1) - u;
}

/* ---------------------------------------------------------------------- */
/* Segment lists                                                           */
/* ---------------------------------------------------------------------- */

/* Where a walk along a segment's list stopped, and what it passed. */
struct seg_pos {
	unsigned long at;	/* the first block at or after the unit sought; 0: none */
	unsigned long prev;	/* the block before it; 0: none */
	unsigned long pprev;	/* the block before that; 0: none */
	unsigned long below;	/* the largest size among the blocks before prev */
};

/* Start a walk at the head of segment @s's list. */
static __always_inline void seg_pos_start(const struct ff_heap *h, unsigned long s,
					  struct seg_pos *pos)
{
	pos->at = seg_head(h, s);
	pos->prev = 0;
	pos->pprev = 0;
	pos->below = 0;
}

/* Move a walk one block on along its list (pos->at must be a block). */
static __always_inline void seg_pos_step(const struct ff_heap *h, struct seg_pos *pos)
{
	if (pos->prev)
		pos->below = MAX(pos->below, (unsigned long)free_of(h, pos->prev)->size);
	pos->pprev = pos->prev;
	pos->prev = pos->at;
	pos->at = free_of(h, pos->at)->next;
}

/* Walk segment @s's list up to its first block at or after unit @u. */
static __always_inline void seg_walk(const struct ff_heap *h, unsigned long s, unsigned long u,
				     struct seg_pos *pos)
{
	seg_pos_start(h, s, pos);
	while (pos->at && pos->at < u)
		seg_pos_step(h, pos);
}

/* Largest size among the blocks of a list from @x on (0: none). */
static __always_inline unsigned long list_max_from(const struct ff_heap *h, unsigned long x)
{
	unsigned long best = 0;

	for (; x; x = free_of(h, x)->next)
		best = MAX(best, (unsigned long)free_of(h, x)->size);
	return best;
}

/* Put the new free block @u of @n units on segment @s's list after @prev (0: first). */
static __always_inline void seg_link(struct ff_heap *h, unsigned long s, unsigned long prev,
				     unsigned long u, unsigned long n)
{
	struct ff_free *f = free_of(h, u);

	f->size = (uint32_t)n;
	if (prev) {
		f->next = free_of(h, prev)->next;
		free_of(h, prev)->next = (unit_t)u;
	} else {
		f->next = (unit_t)seg_head(h, s);
		seg_set_head(h, s, u);
	}
}

/* Take the block @u off segment @s's list; @prev is the block before it (0: first). */
static __always_inline void seg_unlink(struct ff_heap *h, unsigned long s, unsigned long prev,
				       unsigned long u)
{
	unit_t next = free_of(h, u)->next;

	if (prev)
		free_of(h, prev)->next = next;
	else
		seg_set_head(h, s, next);
}

/* Size of the largest block on segment @s's list, 0 if it is empty. */
static __always_inline unsigned long seg_scan_max(const struct ff_heap *h, unsigned long s)
{
	return list_max_from(h, seg_head(h, s));
}

/* ---------------------------------------------------------------------- */
/* The trees: per group over segments (16-bit), exact over groups (32-bit) */
/* ---------------------------------------------------------------------- */

/*
 * A group's tree is an implicit 4-way max-tree of 16-bit entries: [1] is the
 * root, [4k .. 4k + 3] are the children of [k], and the leaves
 * [GROUP_SEGS + j] are the group's segments; the levels are [1], [4, 8),
 * [16, 32), [64, 128) and the leaves, and the entries between them are
 * unused (0). Entries saturate at LANE_SAT, so their top bit is clear: the
 * four children of an entry are one aligned 64-bit word, compared with a
 * request all at once by one subtraction, and a change climbs four levels,
 * each the largest of one word's entries.
 */
static __always_inline uint16_t *group_tree(const struct ff_heap *h, unsigned long g)
{
	return &h->seg_max[g * GROUP_TREE];
}

/* The largest of the four entries of tree @t in the word that holds entry @k. */
static __always_inline unsigned long lanes_max(const uint16_t *t, unsigned long k)
{
	const uint16_t *q = &t[k & ~3UL];

	return MAX(MAX(q[0], q[1]), MAX(q[2], q[3]));
}

/* The first of the four entries packed in @w holding at least n; @n4 = n * LANES_ONE. */
static __always_inline unsigned long lane_first_fit(uint64_t w, unsigned long n4)
{
	return word_ffs(((w | LANES_HIGH) - n4) & LANES_HIGH) / 16;
}

/* Set group @g's exact largest block to @size and fix the group tree above it. */
static void group_set(struct ff_heap *h, unsigned long g, unsigned long size)
{
	uint32_t *t = h->group_max;
	unsigned long i = h->gleaves + g;

	t[i] = (uint32_t)size;
	while (i > h->groot) {
		size = MAX(size, (unsigned long)t[i ^ 1]);
		i >>= 1;
		if (t[i] == size)
			break;
		t[i] = (uint32_t)size;
	}
}

/*
 * The lowest segment of group @g with an entry of at least @n (<= LANE_SAT);
 * the group must have one.
 */
static __always_inline unsigned long group_descend(const struct ff_heap *h, unsigned long g,
						   unsigned long n)
{
	const uint16_t *t = group_tree(h, g);
	unsigned long n4 = n * LANES_ONE, k = 1;

	while (k < GROUP_SEGS)
		k = 4 * k + lane_first_fit(*(const uint64_t *)&t[4 * k], n4);
	return (g << GROUP_SHIFT) + k - GROUP_SEGS;
}

/*
 * Bring group @g's exact figure up to date. A saturated root is the group's
 * one block of LANE_SAT units or more; unless @huge_moved says that block
 * changed, its figure still holds.
 */
static void group_refresh(struct ff_heap *h, unsigned long g, bool huge_moved)
{
	unsigned long exact = group_tree(h, g)[1];

	if (exact == LANE_SAT) {
		if (!huge_moved)
			return;
		exact = seg_scan_max(h, group_descend(h, g, LANE_SAT));
	}
	if (h->group_max[h->gleaves + g] != exact)
		group_set(h, g, exact);
}

/* Segment @s got a free block of @size units (or one grew to it). */
static __always_inline void seg_raise(struct ff_heap *h, unsigned long s, unsigned long size)
{
	uint16_t *t = group_tree(h, s >> GROUP_SHIFT);
	unsigned long k = GROUP_SEGS + (s & (GROUP_SEGS - 1)), i;
	unsigned long v = MIN(size, (unsigned long)LANE_SAT);

	while (k && t[k] < v) {
		t[k] = (uint16_t)v;
		k >>= 2;
	}
	if (k && v < LANE_SAT)
		return;		/* the group already had a block of @size: its figure stands */
	for (i = h->gleaves + (s >> GROUP_SHIFT); i >= h->groot && h->group_max[i] < size; i >>= 1)
		h->group_max[i] = (uint32_t)size;
}

/*
 * A block of @old units left segment @s's list or shrank: if it was the
 * segment's largest, recount the segment and fix both trees. The caller
 * knows the list: @known is the largest size among its blocks before @from,
 * and the walk goes on from @from (0: the end).
 */
static __always_inline void seg_lower(struct ff_heap *h, unsigned long s, unsigned long old,
				      unsigned long known, unsigned long from)
{
	uint16_t *t = group_tree(h, s >> GROUP_SHIFT);
	unsigned long k = GROUP_SEGS + (s & (GROUP_SEGS - 1)), was = t[k], now;
	bool huge;

	if (MIN(old, (unsigned long)LANE_SAT) < was)
		return;
	now = MAX(known, list_max_from(h, from));
	if (MIN(now, (unsigned long)LANE_SAT) > was) {
		seg_raise(h, s, now);	/* a block that grew is the largest now */
		return;
	}
	now = MIN(now, (unsigned long)LANE_SAT);
	huge = was == LANE_SAT || now == LANE_SAT;
	if (now == was && !huge)
		return;
	/*
	 * Up while the parent's figure was this one's: a parent above @was had
	 * it from another child, and one that still finds @was among its
	 * children keeps it. k ends at the root only when the root changed.
	 */
	t[k] = (uint16_t)now;
	while (k > 1 && t[k >> 2] == was) {
		now = lanes_max(t, k);
		if (now == was)
			break;
		k >>= 2;
		t[k] = (uint16_t)now;
	}
	/* Below the root nothing changed for the group, unless its huge block did. */
	if (unlikely(huge))
		group_refresh(h, s >> GROUP_SHIFT, true);
	else if (k == 1 && t[1] != LANE_SAT &&
		 h->group_max[h->gleaves + (s >> GROUP_SHIFT)] != t[1])
		group_set(h, s >> GROUP_SHIFT, t[1]);
}

/*
 * The lowest segment holding a free block of at least @size units, or
 * NO_SEG: down the group tree to the lowest group with one, then down that
 * group's tree. A saturated entry stands for the group's one huge block,
 * which the group figure says is big enough.
 */
static __always_inline unsigned long seg_find(const struct ff_heap *h, unsigned long size)
{
	const uint32_t *gt = h->group_max;
	unsigned long i = h->groot, leaves = h->gleaves;

	if (gt[i] < size)
		return NO_SEG;
	while (i < leaves)
		i = 2 * i + (gt[2 * i] < size);
	return group_descend(h, i - leaves, MIN(size, (unsigned long)LANE_SAT));
}

/* ---------------------------------------------------------------------- */
/* Core: finding, carving and merging                                      */
/* ---------------------------------------------------------------------- */

/*
 * Where @need units aligned to (@amask + 1) units go in the free block
 * [x, x + n): the highest such spot, or 0 when there is none.
 */
static __always_inline unsigned long spot_in_block(const struct ff_heap *h, unsigned long x,
						   unsigned long n, unsigned long need,
						   unsigned long amask)
{
	unsigned long a, off;

	if (n < need)
		return 0;
	a = x + n - need;
	off = (h->base_phase + a) & amask;
	return off <= n - need ? a - off : 0;
}

/*
 * Walk segment @s's list to its first block that fits @need units at
 * alignment (@amask + 1); pos->at is 0 when none does.
 */
static __always_inline void seg_fit(const struct ff_heap *h, unsigned long s, unsigned long need,
				    unsigned long amask, struct seg_pos *pos)
{
	seg_pos_start(h, s, pos);
	while (pos->at && !spot_in_block(h, pos->at, free_of(h, pos->at)->size, need, amask))
		seg_pos_step(h, pos);
}

/*
 * Walk segment @s's list to its first block of at least @need units, which
 * the tree promises is there.
 */
static __always_inline void seg_fit_plain(const struct ff_heap *h, unsigned long s,
					  unsigned long need, struct seg_pos *pos)
{
	seg_pos_start(h, s, pos);
	while (free_of(h, pos->at)->size < need) {
		seg_pos_step(h, pos);
		if (unlikely(!pos->at))
			panic("seg_fit_plain: segment %lu has no block of %lu units", s, need);
	}
}

/* With poisoning, check [from, to) of a free block about to be handed out. */
static void poison_verify(const struct ff_heap *h, unsigned long from, unsigned long to,
			  bool skip_node)
{
	char *lo = unit_addr(h, from) + (skip_node ? sizeof(struct ff_free) : 0);
	char *hi = unit_addr(h, to);

	if (lo < hi)
		heap_poison_check("heap_first_fit", lo, (size_t)(hi - lo));
}

/* With poisoning, refill the list entry of a block that stops being one. */
static __always_inline void poison_node(const struct ff_heap *h, unsigned long u)
{
	if (unlikely(heap_poisoned(h)))
		heap_poison_fill(free_of(h, u), sizeof(struct ff_free));
}

/*
 * Hand out @need units at @a from the listed free block pos->at of segment
 * @s: the part below @a keeps the block's place on the list, the part above
 * becomes a free block of its own.
 */
static __always_inline void hole_carve(struct ff_heap *h, unsigned long s,
				       const struct seg_pos *pos, unsigned long a,
				       unsigned long need)
{
	unsigned long x = pos->at, n = free_of(h, x)->size, after = free_of(h, x)->next;
	unsigned long front = a - x, tail = a + need, back = x + n - tail;
	unsigned long known = pos->prev ?
		MAX(pos->below, (unsigned long)free_of(h, pos->prev)->size) : 0;

	if (unlikely(heap_poisoned(h)))
		poison_verify(h, a, tail, a == x);
	if (front) {
		starts_set(h, a);
		free_of(h, x)->size = (uint32_t)front;
		known = MAX(known, front);
	} else {
		seg_unlink(h, s, pos->prev, x);
		h->free_blocks--;
	}
	if (unlikely(back)) {
		unsigned long ts = seg_of(tail);

		starts_set(h, tail);
		/* Nothing lies between x and the tail: it follows x's place on s's list,
		 * or leads its own segment's list. */
		seg_link(h, ts, ts == s ? (front ? x : pos->prev) : 0, tail, back);
		h->free_blocks++;
		seg_raise(h, ts, back);
		if (ts == s)
			known = MAX(known, back);
	}
	seg_lower(h, s, n, known, after);
	h->free_units -= (uint32_t)need;
}

/*
 * Free blocks below unit @below are about to be listed: widen groot to its
 * parent until the groups under it reach that far. The groups it takes in
 * hold no listed block (all lie below the top block), so the parent's
 * figure is groot's own.
 */
static void group_cover(struct ff_heap *h, unsigned long below)
{
	while (below > h->gcover && h->groot > 1) {
		unsigned long g = h->gleaves / h->groot;	/* groups under groot */

		h->group_max[h->groot / 2] = h->group_max[h->groot];
		h->groot /= 2;
		h->gcover = (unit_t)MIN((unsigned long)h->end,
					(2 * g) << (GROUP_SHIFT + SEG_SHIFT));
	}
}

/* The top block gives up its units below @a + @need, @need of them handed out at @a. */
static __always_inline void top_advance(struct ff_heap *h, unsigned long a, unsigned long need)
{
	h->top = (unit_t)(a + need);
	if (h->top == h->end)
		h->free_blocks--;
	else
		starts_set(h, a + need);
	h->free_units -= (uint32_t)need;
}

/*
 * Hand out @need units at alignment (@amask + 1) from the front of the top
 * block; a pad below them becomes a listed free block. Returns the first
 * unit, or 0 when the top block is too small.
 */
static __attribute__((noinline)) unsigned long top_carve(struct ff_heap *h, unsigned long need,
					 unsigned long amask)
{
	unsigned long t = h->top, end = h->end, a = t + ((-(h->base_phase + t)) & amask);

	if (a > end || end - a < need)
		return 0;
	if (unlikely(heap_poisoned(h)))
		poison_verify(h, a, a + need, false);
	if (unlikely(a + need > h->gcover))
		group_cover(h, a + need);
	if (a > t) {
		unsigned long s = seg_of(t);

		struct seg_pos pos;

		/* Above every listed block: the end of its segment's list. */
		seg_walk(h, s, t, &pos);
		seg_link(h, s, pos.prev, t, a - t);
		starts_set(h, a);
		h->free_blocks++;
		seg_raise(h, s, a - t);
	}
	top_advance(h, a, need);
	return a;
}

/* A free block below a freed one, with what taking it off its list needs. */
struct neighbour {
	unsigned long at;	/* its first unit; 0 when the block below is not free */
	unsigned long seg;	/* its segment */
	unsigned long size;	/* its units */
	unsigned long prev;	/* the block before it on its list; 0: none */
	unsigned long below;	/* the largest size among the blocks before it there */
};

/*
 * The free block that ends at @u, found from @bp, the walk along @u's own
 * segment @s: the last listed block below @u there, if it touches @u; with
 * none, the block below starts in an earlier segment and is free exactly
 * when it is the last block on that segment's list.
 */
static __always_inline void lower_neighbour(const struct ff_heap *h, unsigned long s,
					    unsigned long u, const struct seg_pos *bp,
					    struct neighbour *lo)
{
	struct seg_pos vp;
	unsigned long v;

	lo->at = 0;
	lo->below = 0;	/* (read only when at is set; spares a warning) */
	if (bp->prev) {
		if (bp->prev + free_of(h, bp->prev)->size != u)
			return;
		lo->at = bp->prev;
		lo->seg = s;
		lo->prev = bp->pprev;
		lo->below = bp->below;
	} else {
		if (u == h->first)
			return;
		v = starts_prev(h, u - 1);
		if (seg_of(v) == s)
			return;
		seg_walk(h, seg_of(v), ~0UL, &vp);
		if (vp.prev != v)
			return;
		lo->at = v;
		lo->seg = seg_of(v);
		lo->prev = vp.pprev;
		lo->below = vp.below;
	}
	lo->size = free_of(h, lo->at)->size;
}

/*
 * Return the checked allocated block [u, u + n) of segment @s to the free
 * space; @bp is the walk along @s's list to @u. The block merges with a free
 * neighbour below (which grows) and above (which it absorbs); the top block
 * absorbs whatever touches it.
 */
static __always_inline void block_release(struct ff_heap *h, unsigned long s,
					  const struct seg_pos *bp, unsigned long u,
					  unsigned long n)
{
	unsigned long w = u + n, prev = bp->prev, hi = 0, hi_seg = s, hi_n = 0, hi_next = 0;
	unsigned long total;
	struct neighbour lo;

	lower_neighbour(h, s, u, bp, &lo);
	if (w != h->top && w != h->end) {
		if (bp->at == w) {
			hi = w;
		} else if (seg_of(w) != s && seg_head(h, seg_of(w)) == w) {
			hi = w;
			hi_seg = seg_of(w);
		}
		if (hi) {
			hi_n = free_of(h, hi)->size;
			hi_next = free_of(h, hi)->next;
		}
	}
	if (unlikely(heap_poisoned(h)))
		heap_poison_fill(unit_addr(h, u), n << UNIT_SHIFT);
	h->free_units += (uint32_t)n;

	if (w == h->top) {
		if (h->top < h->end)
			starts_clear(h, w);		/* the top block merges down */
		else
			h->free_blocks++;		/* a top block again */
		h->top = (unit_t)u;
		if (lo.at) {
			/* Nothing is listed above lo: it was the last of its list. */
			starts_clear(h, u);
			seg_unlink(h, lo.seg, lo.prev, lo.at);
			poison_node(h, lo.at);
			seg_lower(h, lo.seg, lo.size, lo.below, 0);
			h->top = (unit_t)lo.at;
			h->free_blocks--;
		}
		return;
	}
	total = n + hi_n;
	if (hi) {
		starts_clear(h, hi);
		seg_unlink(h, hi_seg, hi_seg == s ? prev : 0, hi);
		poison_node(h, hi);
	}
	if (lo.at) {
		starts_clear(h, u);
		total += lo.size;
		free_of(h, lo.at)->size = (uint32_t)total;
		if (hi)
			h->free_blocks--;
	} else {
		seg_link(h, s, prev, u, total);
		if (!hi)
			h->free_blocks++;
	}
	if (hi && hi_seg != s) {
		seg_lower(h, hi_seg, hi_n, 0, hi_next);
	} else if (hi) {
		/* s's list now: the blocks up to prev (grown if it is lo), u unless
		 * it merged into lo, then what followed hi. */
		unsigned long known = MAX(bp->below,
					  prev ? (unsigned long)free_of(h, prev)->size : 0);

		seg_lower(h, s, hi_n, lo.at ? known : MAX(known, total), hi_next);
	}
	seg_raise(h, lo.at ? lo.seg : s, total);
}

/*
 * Take @need units at alignment (@amask + 1) units: the lowest block with
 * room for the worst pad, or a lower one on the same list that fits at its
 * actual pad; failing that, the lowest segment with a block of the bare size,
 * then the top block. Returns the first unit, or 0.
 */
static __attribute__((noinline)) unsigned long aligned_take(struct ff_heap *h, unsigned long need,
							   unsigned long amask)
{
	unsigned long s = seg_find(h, need + amask), a;
	struct seg_pos pos = { 0 };

	if (s == NO_SEG)
		s = seg_find(h, need);
	if (s != NO_SEG)
		seg_fit(h, s, need, amask, &pos);
	if (!pos.at)
		return top_carve(h, need, amask);
	a = spot_in_block(h, pos.at, free_of(h, pos.at)->size, need, amask);
	hole_carve(h, s, &pos, a, need);
	return a;
}

/* ---------------------------------------------------------------------- */
/* Pointer checks                                                          */
/* ---------------------------------------------------------------------- */

/* A checked live block: where it is and where it sits among the free ones. */
struct live_block {
	unsigned long unit;	/* its first unit */
	unsigned long seg;	/* its segment */
	struct seg_pos pos;	/* the walk along the segment's list to it */
};

/*
 * Is @ptr the start of a live block? Decided from the start map and the free
 * lists only, never from the block's own bytes (they are the caller's). A
 * pointer into free space is HEAP_FREE_DOUBLE. On HEAP_FREE_OK fills @b.
 */
static __always_inline enum heap_free_result live_block_check(const struct ff_heap *h,
							      const void *ptr,
							      struct live_block *b)
{
	uintptr_t off = (uintptr_t)ptr - (uintptr_t)h;
	/* Rotated, a misaligned offset is huge: two compares check the ends and alignment. */
	unsigned long u = (off >> UNIT_SHIFT) | (off << (BITS_PER_LONG - UNIT_SHIFT)), v;
	struct seg_pos vp;

	if (unlikely(u < h->first || u >= h->top)) {
		if ((uintptr_t)ptr < (uintptr_t)h || off >= h->region_size)
			return HEAP_FREE_FOREIGN;
		if ((off & (UNIT_SIZE - 1)) || u < h->first || u >= h->end)
			return HEAP_FREE_NOT_BLOCK;
		return HEAP_FREE_DOUBLE;	/* in the top block */
	}
	b->unit = u;
	b->seg = seg_of(u);
	seg_walk(h, b->seg, u, &b->pos);
	if (unlikely(b->pos.at == u))
		return HEAP_FREE_DOUBLE;
	if (likely(starts_test(h, u)))
		return HEAP_FREE_OK;
	/* Inside some block: free space if the block holding u is free. */
	v = starts_prev(h, u);
	if (v == b->pos.prev)
		return HEAP_FREE_DOUBLE;
	if (seg_of(v) != b->seg) {
		seg_walk(h, seg_of(v), ~0UL, &vp);
		if (vp.prev == v)
			return HEAP_FREE_DOUBLE;
	}
	return HEAP_FREE_NOT_BLOCK;
}

/* Units of the live block at @ptr, or 0 when @ptr is not one. */
static unsigned long live_block_units(const struct ff_heap *h, const void *ptr)
{
	struct live_block b;

	if (live_block_check(h, ptr, &b) != HEAP_FREE_OK)
		return 0;
	return used_units(h, b.unit);
}

/* ---------------------------------------------------------------------- */
/* Public operations                                                       */
/* ---------------------------------------------------------------------- */

/* Start map level sizes for @bits bits: fills @words, returns the bytes. */
static size_t map_layout(size_t bits, uint32_t words[MAP_LEVELS_MAX], uint32_t *levels)
{
	size_t bytes = 0;
	uint32_t k = 0;

	do {
		words[k] = (uint32_t)BITS_TO_LONGS(bits);
		bytes += (size_t)words[k] * sizeof(unsigned long);
		bits = words[k++];
	} while (bits > 1);
	*levels = k;
	return bytes;
}

/* Lay the metadata out after the instance; returns its total size in bytes. */
static size_t meta_layout(struct ff_heap *h, size_t units, bool place)
{
	uint32_t words[MAP_LEVELS_MAX], levels, k;
	uint32_t nsegs = (uint32_t)((units + SEG_UNITS - 1) >> SEG_SHIFT);
	uint32_t ngroups = (nsegs + GROUP_SEGS - 1) >> GROUP_SHIFT, gleaves = 1;
	size_t map = map_layout(units + 1, words, &levels);
	char *p = (char *)(h + 1);

	while (gleaves < ngroups)
		gleaves <<= 1;
	if (place) {
		h->nsegs = nsegs;
		h->ngroups = ngroups;
		h->gleaves = gleaves;
		h->levels = levels;
		for (k = 0; k < levels; k++) {
			h->map[k] = (unsigned long *)p;
			h->map_words[k] = words[k];
			p += (size_t)words[k] * sizeof(unsigned long);
		}
		h->group_max = (uint32_t *)p;
		p += 2 * (size_t)gleaves * sizeof(uint32_t);
		h->seg_max = (uint16_t *)p;
		p += (size_t)ngroups * GROUP_TREE * sizeof(uint16_t);
		h->seg_first = (uint8_t *)p;
	}
	return sizeof(*h) + map + 2 * (size_t)gleaves * sizeof(uint32_t) +
	       (size_t)ngroups * GROUP_TREE * sizeof(uint16_t) + nsegs;
}

/*
 * heap_first_fit_init - build an empty heap over [base, base + size): the
 * instance, start map, trees and list heads at the base, then one free block
 * (the top) up to the last whole unit. Returns the instance (== base), or
 * NULL when @base is not 16-byte aligned, the region exceeds 4 GiB, or it
 * leaves no room.
 */
static void *heap_first_fit_init(void *base, size_t size, unsigned flags)
{
	struct ff_heap *h = base;
	size_t total = size >> UNIT_SHIFT, meta;

	if (!base || !IS_ALIGNED((uintptr_t)base, UNIT_SIZE) || total == 0 ||
	    total > MAX_UNITS)
		return NULL;
	meta = meta_layout(h, total, false);
	if (meta >= size || (meta + UNIT_SIZE - 1) >> UNIT_SHIFT >= total)
		return NULL;

	memset(h, 0, meta);
	meta_layout(h, total, true);
	memset(h->seg_first, SEG_NONE, h->nsegs);
	h->magic = FF_MAGIC;
	h->flags = flags;
	h->first = (unit_t)((meta + UNIT_SIZE - 1) >> UNIT_SHIFT);
	h->end = (unit_t)total;
	h->top = h->first;
	h->groot = h->gleaves;
	h->gcover = (unit_t)MIN((unsigned long)h->end, 1UL << (GROUP_SHIFT + SEG_SHIFT));
	group_cover(h, h->top);
	h->free_units = h->end - h->first;
	h->free_blocks = 1;
	h->base_phase = (uint32_t)((uintptr_t)base >> UNIT_SHIFT);
	h->region_size = size;
	starts_set(h, h->first);
	starts_set(h, h->end);
	if (heap_poisoned(h))
		heap_poison_fill(unit_addr(h, h->first),
				 (size_t)(h->end - h->first) << UNIT_SHIFT);
	return h;
}

/*
 * Hand out @need units from the front of the top block (no pad), or 0 when
 * it is too small: inline when nothing else is needed, else top_carve().
 */
static __always_inline unsigned long top_take(struct ff_heap *h, unsigned long need)
{
	unsigned long a = h->top, end = h->end;

	if (unlikely(end - a < need || a + need > h->gcover || heap_poisoned(h)))
		return top_carve(h, need, 0);
	top_advance(h, a, need);
	return a;
}

/*
 * The inline half of alloc(): a request of at most the region's size
 * (kmalloc() checks it) at a power-of-two @align. At the default alignment
 * it is cut from the back of the lowest listed block that holds it, or
 * from the front of the top block, without a call; aligned above 16 it goes
 * to aligned_take(). NULL, with nothing changed, when no free block holds it.
 */
static __always_inline void *fit_take(struct ff_heap *h, size_t size, size_t align,
				      size_t *usable)
{
	unsigned long need = units_for(size), s, a;
	struct seg_pos pos;

	if (unlikely(align > UNIT_SIZE)) {
		a = aligned_take(h, need, (align >> UNIT_SHIFT) - 1);
	} else if (likely((s = seg_find(h, need)) != NO_SEG)) {
		/* The tree promises a block that big on s's list; cut from its back. */
		seg_fit_plain(h, s, need, &pos);
		a = pos.at + free_of(h, pos.at)->size - need;
		hole_carve(h, s, &pos, a, need);
	} else {
		a = top_take(h, need);
	}
	if (unlikely(!a))
		return NULL;
	if (usable)
		*usable = need << UNIT_SHIFT;
	return unit_addr(h, a);
}

/*
 * heap_first_fit_alloc - the lowest free block that holds @size bytes at a
 * multiple of @align (see the top of the file for alignments above 16).
 * Returns NULL, changing nothing, when none does or @align is not a power
 * of two. The caller owns the block until heap_first_fit_free.
 */
static __attribute__((noinline)) void *heap_first_fit_alloc(void *heap, size_t size,
							     size_t align, size_t *usable)
{
	struct ff_heap *h = heap;

	if (unlikely(!IS_POWER_OF_2(align) || size > h->region_size ||
		     align > h->region_size))
		return NULL;
	return fit_take(h, size, align, usable);
}

/*
 * The inline half of free(): give back the live block at @ptr. False, with
 * nothing changed, when @ptr is not a live block of this heap
 * (heap_first_fit_free() then names the reason).
 */
static __always_inline bool live_give(struct ff_heap *h, void *ptr, size_t *usable)
{
	struct live_block b;
	unsigned long n;

	if (unlikely(live_block_check(h, ptr, &b) != HEAP_FREE_OK))
		return false;
	n = used_units(h, b.unit);
	if (usable)
		*usable = n << UNIT_SHIFT;
	block_release(h, b.seg, &b.pos, b.unit, n);
	return true;
}

/*
 * heap_first_fit_free - give back the block at @ptr, merging it with free
 * neighbours. Returns HEAP_FREE_FOREIGN, _NOT_BLOCK or _DOUBLE, changing
 * nothing, when @ptr is not a live block of this heap.
 */
static __attribute__((noinline)) enum heap_free_result heap_first_fit_free(void *heap, void *ptr,
									    size_t *usable)
{
	struct live_block b;

	if (likely(live_give(heap, ptr, usable)))
		return HEAP_FREE_OK;
	return live_block_check(heap, ptr, &b);	/* the reason, changing nothing */
}

/*
 * For the kernel's front end, which compiles this file (mm/heap/kmalloc.c):
 * alloc() and free() in their two halves. The inline half serves a request
 * (an aligned one through one call to aligned_take()) or frees a live
 * block, without calling anything on the common paths; it fails with
 * nothing changed (no hint: first fit has nothing to pass on) and the
 * out-of-line half, the whole op, finishes the call: a failure, or a
 * refused pointer, whose reason it names.
 */
#define HEAP_ALGO_TRY_ALLOC(heap, size, align, usable, hint) \
	fit_take(heap, size, align, usable)
#define HEAP_ALGO_ALLOC_MISS(heap, size, align, hint, usable) \
	heap_first_fit_alloc(heap, size, align, usable)
#define HEAP_ALGO_TRY_FREE(heap, ptr, usable, hint) \
	live_give(heap, ptr, usable)
#define HEAP_ALGO_FREE_MISS(heap, ptr, hint, usable) \
	heap_first_fit_free(heap, ptr, usable)

/*
 * heap_first_fit_usable_size - bytes of the live block at @ptr; 0 when @ptr
 * is not the start of a live block (same checks as heap_first_fit_free).
 */
static size_t heap_first_fit_usable_size(void *heap, void *ptr)
{
	return (size_t)live_block_units(heap, ptr) << UNIT_SHIFT;
}

/*
 * heap_first_fit_reserved_size - heap bytes the live block at @ptr takes
 * (there is no header: the same as its usable size); 0 when @ptr is not the
 * start of a live block.
 */
static size_t heap_first_fit_reserved_size(void *heap, void *ptr)
{
	return (size_t)live_block_units(heap, ptr) << UNIT_SHIFT;
}

/* heap_first_fit_space - region, metadata and free figures; O(1). */
static void heap_first_fit_space(void *heap, struct heap_algo_space *out)
{
	const struct ff_heap *h = heap;
	uint32_t largest = MAX(h->group_max[h->groot], h->end - h->top);

	out->region = h->region_size;
	out->meta = h->region_size - ((size_t)(h->end - h->first) << UNIT_SHIFT);
	out->free = (size_t)h->free_units << UNIT_SHIFT;
	out->largest_free = (size_t)largest << UNIT_SHIFT;
}

/* Report the allocated blocks of [from, to), split at their start bits. */
static void walk_used(const struct ff_heap *h, unit_t from, unit_t to,
		      heap_walk_fn fn, void *arg)
{
	while (from < to) {
		unit_t next = MIN(starts_next(h, from + 1), to);

		fn(arg, HEAP_BLOCK_USED, (size_t)from << UNIT_SHIFT,
		   (size_t)(next - from) << UNIT_SHIFT);
		from = next;
	}
}

/*
 * heap_first_fit_walk - report the metadata, every block in address order,
 * then the slack after the last whole unit. Stops early at a free block out
 * of order (validate() counts that).
 */
static void heap_first_fit_walk(void *heap, heap_walk_fn fn, void *arg)
{
	const struct ff_heap *h = heap;
	size_t tail = (size_t)h->end << UNIT_SHIFT;
	unit_t at = h->first, x;
	uint32_t s;

	fn(arg, HEAP_BLOCK_META, 0, (size_t)h->first << UNIT_SHIFT);
	for (s = seg_of(h->first); s <= seg_of(h->top - 1) && s < h->nsegs; s++) {
		unsigned steps = 0;

		for (x = seg_head(h, s); x; x = free_of(h, x)->next) {
			uint32_t n = free_of(h, x)->size;

			if (x < at || x >= h->top || n == 0 || n > h->top - x ||
			    ++steps > SEG_BLOCKS_MAX)
				return;
			walk_used(h, at, x, fn, arg);
			fn(arg, HEAP_BLOCK_FREE, (size_t)x << UNIT_SHIFT, (size_t)n << UNIT_SHIFT);
			at = x + n;
		}
	}
	walk_used(h, at, h->top, fn, arg);
	if (h->top < h->end)
		fn(arg, HEAP_BLOCK_FREE, (size_t)h->top << UNIT_SHIFT,
		   (size_t)(h->end - h->top) << UNIT_SHIFT);
	if (tail < h->region_size)
		fn(arg, HEAP_BLOCK_META, tail, h->region_size - tail);
}

/* ---------------------------------------------------------------------- */
/* Debug: validate                                                         */
/* ---------------------------------------------------------------------- */

/* Problems in the start map's summary levels and outside [first, end]. */
static unsigned validate_map(const struct ff_heap *h)
{
	unsigned bad = 0;
	uint32_t k, i;
	unit_t u;

	for (k = 0; k + 1 < h->levels; k++)
		for (i = 0; i < h->map_words[k]; i++) {
			bool set = (h->map[k + 1][i / BITS_PER_LONG] >> (i % BITS_PER_LONG)) & 1;

			if (set != (h->map[k][i] != 0))
				bad++;
		}
	for (u = 0; u < h->first; u++)
		bad += starts_test(h, u);
	for (u = h->end + 1; u < (size_t)h->map_words[0] * BITS_PER_LONG; u++)
		bad += starts_test(h, u);
	return bad + !starts_test(h, h->end);
}

/* Problems of the free block [x, x + n): a start bit at x, none inside, one at its end. */
static unsigned validate_extent(const struct ff_heap *h, unit_t x, uint32_t n)
{
	/* A flat scan, which cannot go wrong on a broken summary level. */
	return !starts_test(h, x) || bitmap_next_set(h->map[0], x + 1, h->end + 1) != x + n;
}

/*
 * Problems of segment @s's list, walked from *@at (the end of the previous
 * free block, @adjacent when that block was free and ended there); counts
 * its blocks and units and gives its largest block in *@largest.
 */
static unsigned validate_segment(const struct ff_heap *h, uint32_t s, unit_t *at,
				 uint32_t *blocks, uint32_t *units, uint32_t *largest)
{
	unsigned bad = 0, steps = 0;
	unit_t x;

	*largest = 0;
	for (x = seg_head(h, s); x; x = free_of(h, x)->next) {
		uint32_t n;

		if (seg_of(x) != s || x < *at || x < h->first || x >= h->top ||
		    ++steps > SEG_BLOCKS_MAX)
			return bad + 1;		/* out of order or out of place: stop */
		n = free_of(h, x)->size;
		if (n == 0 || n > h->top - x)
			return bad + 1;
		if (x == *at && x != h->first)
			bad++;			/* touches the free block below */
		if (x + n == h->top)
			bad++;			/* should have merged with the top block */
		bad += validate_extent(h, x, n);
		(*blocks)++;
		*units += n;
		*largest = MAX(*largest, n);
		*at = x + n;
	}
	return bad;
}

/* Problems of group @g's tree against its segments' @largest figures; 0 when sound. */
static unsigned validate_group(const struct ff_heap *h, unsigned long g, const uint32_t *largest,
			       uint32_t *exact)
{
	const uint16_t *t = group_tree(h, g);
	unsigned bad = 0;
	unsigned long k;

	*exact = 0;
	for (k = 0; k < GROUP_SEGS; k++) {
		*exact = MAX(*exact, largest[k]);
		if (t[GROUP_SEGS + k] != MIN(largest[k], LANE_SAT))
			bad++;
	}
	/* Entries on a level ([4^j, 2 * 4^j)) hold their children's largest. */
	for (k = 1; k < GROUP_SEGS; k++)
		if (t[k] != (word_fls(k) % 2 ? 0 : lanes_max(t, 4 * k)))
			bad++;
	return bad + (t[0] != 0);
}

/*
 * Problems of the group tree: within groot's subtree every entry is the
 * larger of its children's; past it no group has a figure.
 */
static unsigned validate_group_tree(const struct ff_heap *h)
{
	unsigned long lo = h->groot, hi = h->groot, i, covered = h->gleaves / h->groot;
	unsigned bad = 0;

	for (i = covered; i < h->gleaves; i++)
		bad += h->group_max[h->gleaves + i] != 0;
	while (hi < h->gleaves) {	/* each level of the subtree: nodes [lo, hi] */
		for (i = lo; i <= hi; i++)
			bad += h->group_max[i] != MAX(h->group_max[2 * i], h->group_max[2 * i + 1]);
		lo = 2 * lo;
		hi = 2 * hi + 1;
	}
	return bad;
}

/*
 * heap_first_fit_validate - check the instance, the start map, every list
 * and free block, and both trees against the counters; return the number of
 * problems (0 when sound). Every link is range-checked and every walk must
 * ascend, so a corrupt heap cannot crash or loop it.
 */
static unsigned heap_first_fit_validate(void *heap, struct audit *a)
{
	const struct ff_heap *h = heap;
	uint32_t blocks = 0, units = 0, g, k;
	unit_t at = h->first;
	unsigned bad;

	if (h->magic != FF_MAGIC || h->first == 0 || h->first >= h->end ||
	    h->end > MAX_UNITS || ((size_t)h->end << UNIT_SHIFT) > h->region_size ||
	    h->top < h->first || h->top > h->end || h->levels == 0 ||
	    h->levels > MAP_LEVELS_MAX || h->map[0] != (unsigned long *)(h + 1) ||
	    (size_t)h->map_words[0] * BITS_PER_LONG <= h->end ||
	    h->nsegs != (h->end + SEG_UNITS - 1) >> SEG_SHIFT ||
	    h->ngroups != (h->nsegs + GROUP_SEGS - 1) >> GROUP_SHIFT ||
	    !IS_POWER_OF_2(h->gleaves) || h->gleaves < h->ngroups ||
	    h->gleaves >= 2 * h->ngroups || !IS_POWER_OF_2(h->groot) ||
	    h->groot > h->gleaves || h->gcover < h->top ||
	    h->gcover > ((unsigned long)(h->gleaves / h->groot) << (GROUP_SHIFT + SEG_SHIFT)))
		return audit_note(a, 1, "the instance's fields are corrupt");

	bad = audit_note(a, validate_map(h), "the start map's summary levels disagree, or a "
			 "block start is marked outside the heap");
	for (g = 0; g < h->ngroups; g++) {
		uint32_t largest[GROUP_SEGS], exact;

		for (k = 0; k < GROUP_SEGS; k++) {
			uint32_t s = (g << GROUP_SHIFT) + k;

			largest[k] = 0;
			if (s < h->nsegs)
				bad += audit_note(a, validate_segment(h, s, &at, &blocks, &units,
								      &largest[k]),
						  "segment %u (from offset 0x%zx): its list is "
						  "out of order, or a block's start or end mark "
						  "is wrong", s,
						  (size_t)s << (SEG_SHIFT + UNIT_SHIFT));
		}
		bad += audit_note(a, validate_group(h, g, largest, &exact), "group %lu's tree "
				  "disagrees with its segments' largest blocks", (unsigned long)g);
		bad += audit_note(a, h->group_max[h->gleaves + g] != exact, "group %lu: the "
				  "group tree says its largest block is %u units, it is %u",
				  (unsigned long)g, h->group_max[h->gleaves + g], exact);
	}
	bad += audit_note(a, validate_group_tree(h), "the group tree: an entry is not the larger "
			  "of its children's");
	if (h->top < h->end) {
		bad += audit_note(a, validate_extent(h, h->top, h->end - h->top), "the free top "
				  "at offset 0x%zx is not marked as one block",
				  (size_t)h->top << UNIT_SHIFT);
		blocks++;
		units += h->end - h->top;
	}
	bad += audit_note(a, blocks != h->free_blocks || units != h->free_units, "%u free "
			  "blocks of %u units found, %u of %u counted", blocks, units,
			  (unsigned)h->free_blocks, (unsigned)h->free_units);
	return bad;
}

HEAP_ALGO_REGISTER(first_fit, {
	.name = "first_fit",
	.init = heap_first_fit_init,
	.alloc = heap_first_fit_alloc,
	.free = heap_first_fit_free,
	.usable_size = heap_first_fit_usable_size,
	.reserved_size = heap_first_fit_reserved_size,
	.space = heap_first_fit_space,
	.validate = heap_first_fit_validate,
	.walk = heap_first_fit_walk,
});
