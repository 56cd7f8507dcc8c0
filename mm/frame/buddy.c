// SPDX-License-Identifier: MIT
/*
 * "buddy": physical frames in the binary buddy system (Knowlton 1965, Knuth
 * TAOCP vol. 1 section 2.5), laid out the way Linux's page allocator
 * describes it: one free area per order, a record per frame.
 *
 * Design. Free memory is a set of blocks of 2^order frames, 0 <= order <=
 * BUDDY_MAX_ORDER, each aligned to its size in absolute page numbers, so the
 * buddy of the block at page number p is the block at p ^ 2^order: found by
 * arithmetic, never by searching. Each order has a free area: a doubly
 * linked list of its blocks (links are 32-bit offsets in a per-frame array)
 * and a bit in `nonempty`. Three records per frame:
 *
 *   order[]    the block's order at the head of a free block, NOT_HEAD for
 *              every other frame: a free can tell in one load whether its
 *              buddy is free and whole (its record is exactly the order)
 *   freemap    a bit per frame, set = free (in a block or hot): a double
 *              free costs one load and a branch to catch, in every build,
 *              and a run's frames are checked and marked 64 to a word
 *   managed    a bit per frame, set once add_free() handed it over
 *
 * Blocks are always fully merged: no two free buddies of the same order
 * coexist, which makes the blocks the unique partition of the free frames
 * outside the hot list into maximal aligned pieces (validate() checks it).
 *
 *   order 3, 8 frames:   [ 0 1 2 3 | 4 5 6 7 ]   buddy of 0 at order 2 is 4
 *   allocate 1 frame:    0 used, 1 (order 0), 2-3 (order 1), 4-7 (order 2)
 *   free frame 0:        0+1 -> 0-1, 0-1 + 2-3 -> 0-3, 0-3 + 4-7 -> 0-7
 *
 *   alloc      takes the newest frame of the hot list, or else the first
 *              block of the smallest non-empty order (one find-first-set on
 *              `nonempty`), keeps its first frame and gives the rest back as
 *              blocks of orders 0, 1, 2, ... (what halving leaves): at most
 *              MAX_ORDER list pushes;
 *   free       checks the frame's bits, sets its free bit and pushes it on
 *              the hot list;
 *              a full hot list first gives its older half back, each frame
 *              merging upward with its buddies (at most MAX_ORDER steps each);
 *   alloc_run  n frames at alignment a want order k = max(ceil(log2 n),
 *              log2 a): the first block of the smallest order >= k, whose
 *              tail beyond n goes back as blocks. Without one (k too large,
 *              or memory fragmented) the hot list is emptied into the areas
 *              and the run is assembled from neighbouring blocks: the lowest
 *              aligned run of free frames is found in the bitmap (a word at
 *              a time), and the blocks it cuts hand back their parts
 *              outside the run;
 *   free_run   checks the run's bits, sets them, and frees the run as its
 *              maximal aligned blocks, each merging upward.
 *
 * The hot list: a free and the next alloc of one frame would otherwise split
 * a whole block and merge it back every time (about MAX_ORDER steps each
 * way when memory is empty). Like Linux's per-CPU lists, a LIFO of up to
 * BUDDY_HOT_FRAMES freed frames holds them unmerged; they count as free.
 *
 * Cost: alloc and free of one frame are O(1) with a warm hot list, O(MAX_ORDER)
 * otherwise, and a free that drains is O(BUDDY_HOT_FRAMES / 2 * MAX_ORDER);
 * alloc_run is O(MAX_ORDER + n / 64) from a block, O(frames / 64) when
 * assembled; free_run is O(n / 64 + blocks it frees * MAX_ORDER). Metadata:
 * 9 bytes and 2 bits per frame (9.3 MiB for 4 GiB).
 */
#include <mm/frame_algo.h>
#include <lib/bitops.h>
#include <lib/string.h>

/* ------------------------------------------------------------------------ */
/* Constants and layout                                                     */
/* ------------------------------------------------------------------------ */

#ifdef CONFIG_FRAME_BUDDY_MAX_ORDER
#define BUDDY_MAX_ORDER		CONFIG_FRAME_BUDDY_MAX_ORDER
#else
#define BUDDY_MAX_ORDER		10	/* host builds: the Kconfig default */
#endif
#define BUDDY_ORDERS		(BUDDY_MAX_ORDER + 1)
#define BUDDY_HOT_FRAMES	64	/* hot list capacity */
#define BUDDY_HOT_DRAIN		(BUDDY_HOT_FRAMES / 2)	/* frames a full list gives back */
#define BUDDY_MAX_FRAMES	((1ULL << 32) - 1)	/* offsets fit a uint32_t, NIL aside */
#define BUDDY_NIL		UINT32_MAX	/* end of a free area's list */
#define NOT_HEAD		0xff		/* order[] of a frame that heads no free block */

BUILD_BUG_ON(BUDDY_MAX_ORDER < 1 || BUDDY_MAX_ORDER >= NOT_HEAD);
BUILD_BUG_ON(BUDDY_ORDERS > BITS_PER_LONG);

/* Links of a free block's head in its free area; offsets from the base. */
struct buddy_link {
	uint32_t next, prev;
};

struct frame_buddy {
	uint64_t base;			/* page number at offset 0 of the span */
	uint64_t count;			/* frames in the span */
	uint64_t block_frames;		/* free frames in blocks (the hot ones aside) */
	uint64_t hot_top;		/* frames in hot[]; hot[hot_top - 1] is newest */
	unsigned long nonempty;		/* bit o set when area o has a block */
	unsigned long *freemap;		/* bit per frame, set = free */
	unsigned long *managed;		/* bit per frame, set = handed over by add_free */
	struct buddy_link *link;	/* per frame; meaningful for block heads */
	uint8_t *order;			/* per frame: block order at a head, else NOT_HEAD */
	uint32_t area[BUDDY_ORDERS];	/* first block of each order, or NIL */
	uint32_t hot[BUDDY_HOT_FRAMES];
};

/* Bytes of the instance header; the per-frame arrays follow, 8-byte aligned. */
#define BUDDY_HEADER_BYTES	ALIGN_UP(sizeof(struct frame_buddy), sizeof(unsigned long))

/* ------------------------------------------------------------------------ */
/* Block helpers                                                            */
/* ------------------------------------------------------------------------ */

/* Largest order (capped at the maximum) of an aligned block starting at @off. */
static inline unsigned order_at(const struct frame_buddy *s, uint64_t off)
{
	uint64_t pn = s->base + off;

	return pn ? MIN(word_ffs(pn), (unsigned)BUDDY_MAX_ORDER) : BUDDY_MAX_ORDER;
}

/* Offset of the buddy of the order-@order block at @off (may lie outside the span). */
static inline uint64_t buddy_of(const struct frame_buddy *s, uint64_t off, unsigned order)
{
	return ((s->base + off) ^ (1ULL << order)) - s->base;
}

/* Put the block at @off, of @order, at the front of its free area. */
static void area_push(struct frame_buddy *s, uint64_t off, unsigned order)
{
	uint32_t first = s->area[order];

	s->link[off] = (struct buddy_link){ .next = first, .prev = BUDDY_NIL };
	if (first != BUDDY_NIL)
		s->link[first].prev = (uint32_t)off;
	s->area[order] = (uint32_t)off;
	s->nonempty |= BIT(order);
	s->order[off] = (uint8_t)order;
}

/* Take the block at @off out of the free area of @order; @off heads nothing now. */
static void area_unlink(struct frame_buddy *s, uint64_t off, unsigned order)
{
	struct buddy_link l = s->link[off];

	if (l.prev != BUDDY_NIL)
		s->link[l.prev].next = l.next;
	else
		s->area[order] = l.next;
	if (l.next != BUDDY_NIL)
		s->link[l.next].prev = l.prev;
	if (s->area[order] == BUDDY_NIL)
		s->nonempty &= ~BIT(order);
	s->order[off] = NOT_HEAD;
}

/*
 * Add the block at @off of @order (its bits set, in no area yet) to the free
 * areas: merge it with its buddy for as long as the buddy is a whole free
 * block of the same order, then push the result.
 */
static void block_free(struct frame_buddy *s, uint64_t off, unsigned order)
{
	s->block_frames += 1ULL << order;
	while (order < BUDDY_MAX_ORDER) {
		uint64_t buddy = buddy_of(s, off, order);

		if (buddy >= s->count || s->order[buddy] != order)
			break;
		area_unlink(s, buddy, order);
		off = MIN(off, buddy);
		order++;
	}
	area_push(s, off, order);
}

/*
 * Give the free frames [from, to) back as their maximal aligned blocks,
 * without merging: the caller has just cut them from one block or stretch,
 * so no buddy of theirs is free and whole.
 */
static void stretch_give_back(struct frame_buddy *s, uint64_t from, uint64_t to)
{
	while (from < to) {
		unsigned order = order_at(s, from);

		while ((1ULL << order) > to - from)
			order--;
		area_push(s, from, order);
		from += 1ULL << order;
	}
}

/*
 * Free the frames [from, to) (bits set, in no area) as their maximal aligned
 * blocks, each merging upward, highest first so that the lowest block ends
 * at the front of its free area. A block ending at @to is aligned exactly
 * when @to is.
 */
static void run_free(struct frame_buddy *s, uint64_t from, uint64_t to)
{
	while (to > from) {
		unsigned order = order_at(s, to);

		while ((1ULL << order) > to - from)
			order--;
		to -= 1ULL << order;
		block_free(s, to, order);
	}
}

/* Give the @frames oldest frames of the hot list back to the free areas. */
static void hot_drain(struct frame_buddy *s, uint64_t frames)
{
	uint64_t i;

	for (i = 0; i < frames; i++)
		block_free(s, s->hot[i], 0);
	s->hot_top -= frames;
	memmove(s->hot, s->hot + frames, s->hot_top * sizeof(s->hot[0]));
}

/* Put frame @off (its bit just set) on the hot list, which has room. */
static inline void hot_push(struct frame_buddy *s, uint64_t off)
{
	s->hot[s->hot_top++] = (uint32_t)off;
}

/*
 * hot_push() onto a full hot list: drain its older half first. Out of line
 * and the last thing the caller does, so the fast path keeps no registers
 * across the call. Return: FRAME_OK.
 */
static __attribute__((noinline)) int hot_push_drained(struct frame_buddy *s, uint64_t off)
{
	hot_drain(s, BUDDY_HOT_DRAIN);
	hot_push(s, off);
	return FRAME_OK;
}

/* ------------------------------------------------------------------------ */
/* Runs                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Take @n frames from the front of the first block of the smallest order
 * >= @order, giving its tail back. Return: the run's offset, or s->count
 * when no area from @order up has a block (always past the largest order).
 */
static uint64_t area_take(struct frame_buddy *s, unsigned order, uint64_t n)
{
	unsigned long orders;
	uint64_t off;

	if (order > BUDDY_MAX_ORDER)
		return s->count;
	orders = s->nonempty & (~0UL << order);
	if (!orders)
		return s->count;
	order = word_ffs(orders);
	off = s->area[order];
	area_unlink(s, off, order);
	stretch_give_back(s, off + n, off + (1ULL << order));
	return off;
}

/*
 * Cut [start, start + n) out of the stretch of free blocks that begins with
 * the block at @off: every block it overlaps leaves its area, and the parts
 * of those blocks outside the run go back.
 */
static void stretch_cut(struct frame_buddy *s, uint64_t off, uint64_t start, uint64_t n)
{
	uint64_t end = start + n;

	while (off < end) {
		unsigned order = s->order[off];
		uint64_t next = off + (1ULL << order);

		if (next > start) {
			area_unlink(s, off, order);
			stretch_give_back(s, off, MIN(start, next));
			stretch_give_back(s, MAX(end, off), next);
		}
		off = next;
	}
}

/* Head of the free block that holds the free frame @off (not hot). */
static uint64_t block_head_of(const struct frame_buddy *s, uint64_t off)
{
	unsigned order;

	for (order = 0; order < BUDDY_MAX_ORDER; order++) {
		uint64_t head = ALIGN_DOWN(s->base + off, 1ULL << order) - s->base;

		if (head < s->count && s->order[head] == order)
			return head;
	}
	return ALIGN_DOWN(s->base + off, 1ULL << BUDDY_MAX_ORDER) - s->base;
}

/*
 * Find the lowest @n free frames at a multiple of @align anywhere, across
 * block boundaries, in the free bitmap (a word at a time), and cut them out
 * of the blocks they lie in. Return: the run's offset, or s->count. The hot
 * list must be empty, so that every free frame is in a block.
 */
static uint64_t stretch_take(struct frame_buddy *s, uint64_t n, uint64_t align)
{
	uint64_t off = bitmap_find_run(s->freemap, s->count, n, align, s->base & (align - 1));

	if (off < s->count)
		stretch_cut(s, block_head_of(s, off), off, n);
	return off;
}

/* ------------------------------------------------------------------------ */
/* Operations                                                               */
/* ------------------------------------------------------------------------ */

/* Bytes of the free bitmap for @count frames (whole words). */
static inline size_t freemap_bytes(uint64_t count)
{
	return BITS_TO_LONGS(count) * sizeof(unsigned long);
}

static size_t frame_buddy_meta_size(uint64_t count)
{
	if (count == 0 || count > BUDDY_MAX_FRAMES)
		return 0;
	return BUDDY_HEADER_BYTES + 2 * freemap_bytes(count) +
	       (size_t)count * sizeof(struct buddy_link) +
	       ALIGN_UP((size_t)count, sizeof(unsigned long));
}

static void *frame_buddy_init(void *meta, struct ppn_range span)
{
	struct frame_buddy *s = meta;
	uint64_t count = ppn_range_len(span);
	unsigned order;

	if (!frame_buddy_meta_size(count))
		return NULL;
	s->base = ppn_val(span.start);
	s->count = count;
	s->block_frames = 0;
	s->hot_top = 0;
	s->nonempty = 0;
	for (order = 0; order < BUDDY_ORDERS; order++)
		s->area[order] = BUDDY_NIL;
	s->freemap = (unsigned long *)((char *)s + BUDDY_HEADER_BYTES);
	s->managed = (unsigned long *)((char *)s->freemap + freemap_bytes(count));
	s->link = (struct buddy_link *)((char *)s->managed + freemap_bytes(count));
	s->order = (uint8_t *)(s->link + count);
	memset(s->freemap, 0, 2 * freemap_bytes(count));	/* both maps */
	memset(s->order, NOT_HEAD, count);
	return s;
}

/* Check a run about to be freed (added, with @add), then free it; nothing changes on error. */
static int buddy_give_back(struct frame_buddy *s, uint64_t first, uint64_t n, bool add)
{
	uint64_t off = first - s->base;
	int st = frame_free_mark_run(s->freemap, s->managed, s->base, s->count, first, n, add);

	if (st == FRAME_OK)
		run_free(s, off, off + n);
	return st;
}

static int frame_buddy_add_free(void *inst, struct ppn_range r)
{
	if (ppn_range_is_empty(r))
		return FRAME_OK;
	return buddy_give_back(inst, ppn_val(r.start), ppn_range_len(r), true);
}

static int frame_buddy_alloc(void *inst, ppn_t *out)
{
	struct frame_buddy *s = inst;
	uint64_t off;

	if (likely(s->hot_top)) {
		off = s->hot[--s->hot_top];
	} else {
		off = area_take(s, 0, 1);
		if (unlikely(off == s->count))
			return FRAME_ENOMEM;
		s->block_frames--;
	}
	bitmap_clear_bit(s->freemap, off);
	*out = PPN(s->base + off);
	return FRAME_OK;
}

static int frame_buddy_free(void *inst, ppn_t pn)
{
	struct frame_buddy *s = inst;
	uint64_t off = ppn_val(pn) - s->base;
	int st = frame_free_mark(s->freemap, s->managed, s->count, off);

	if (unlikely(st != FRAME_OK))
		return st;
	if (unlikely(s->hot_top == BUDDY_HOT_FRAMES))
		return hot_push_drained(s, off);
	hot_push(s, off);
	return FRAME_OK;
}

static int frame_buddy_alloc_run(void *inst, uint64_t n, uint64_t align, ppn_t *out)
{
	struct frame_buddy *s = inst;
	unsigned order;
	uint64_t off;

	if (!frame_run_args_valid(n, align))
		return FRAME_EINVAL;
	if (n == 1 && align == 1)
		return frame_buddy_alloc(inst, out);
	if (n > s->block_frames + s->hot_top)
		return FRAME_ENOMEM;
	order = MAX(ilog2_ceil(n), word_ffs(align));
	off = area_take(s, order, n);
	if (off == s->count && s->hot_top) {
		hot_drain(s, s->hot_top);	/* merging may make the block */
		off = area_take(s, order, n);
	}
	if (off == s->count)
		off = stretch_take(s, n, align);
	if (off == s->count)
		return FRAME_ENOMEM;
	bitmap_clear_range(s->freemap, off, n);
	s->block_frames -= n;
	*out = PPN(s->base + off);
	return FRAME_OK;
}

static int frame_buddy_free_run(void *inst, ppn_t first, uint64_t n)
{
	if (n == 0)
		return FRAME_EINVAL;
	if (n == 1)
		return frame_buddy_free(inst, first);	/* onto the hot list */
	return buddy_give_back(inst, ppn_val(first), n, false);
}

static uint64_t frame_buddy_free_count(void *inst)
{
	const struct frame_buddy *s = inst;

	return s->block_frames + s->hot_top;
}

/* ------------------------------------------------------------------------ */
/* Debug: validate and walk                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Problems in the free area of @order: each block that is outside the span,
 * misaligned, not recorded at its head, badly linked, with a frame not free
 * or another head inside it, or whose buddy is a whole free block of the
 * same order (they should have merged). Adds its blocks to *@blocks and its
 * frames to *@frames; stops after s->count blocks (a cycle).
 */
static unsigned area_validate(const struct frame_buddy *s, unsigned order,
			      uint64_t *blocks, uint64_t *frames, struct audit *a)
{
	uint64_t size = 1ULL << order, seen = 0, i;
	uint32_t off, prev = BUDDY_NIL;
	unsigned problems = 0;

	problems += audit_note(a, !(s->nonempty & BIT(order)) != (s->area[order] == BUDDY_NIL),
			       "order %u: the non-empty mask disagrees with its list", order);
	for (off = s->area[order]; off != BUDDY_NIL; prev = off, off = s->link[off].next) {
		unsigned long long pn = s->base + off;
		uint64_t buddy;

		if (off >= s->count || size > s->count - off || ++seen > s->count)
			return problems + audit_note(a, 1, "order %u: list leaves the span or "
						     "loops at offset %u", order, off);
		problems += audit_note(a, !IS_ALIGNED(s->base + off, size) ||
				       s->order[off] != order || s->link[off].prev != prev,
				       "order %u block at page 0x%llx: misaligned, not recorded "
				       "at its head or badly linked", order, pn);
		problems += audit_note(a, !bitmap_range_all_set(s->freemap, off, size),
				       "order %u block at page 0x%llx: a frame in it is not free",
				       order, pn);
		for (i = 1; i < size; i++)
			problems += audit_note(a, s->order[off + i] != NOT_HEAD,
					       "order %u block at page 0x%llx: another head inside "
					       "it at page 0x%llx", order, pn, pn + i);
		buddy = buddy_of(s, off, order);
		problems += audit_note(a, order < BUDDY_MAX_ORDER && buddy < s->count &&
				       s->order[buddy] == order,
				       "order %u block at page 0x%llx: its buddy is free and "
				       "whole, they should have merged", order, pn);
		*frames += size;
	}
	*blocks += seen;
	return problems;
}

/*
 * Problems counted: those of each free area, a hot frame outside the span,
 * not free or recorded as a head, heads not in an area, unknown records,
 * free bits set past the span, on frames not managed or other than the
 * frames of blocks and the hot list, and a block frame count that differs
 * from the blocks.
 */
static unsigned frame_buddy_validate(void *inst, struct audit *a)
{
	const struct frame_buddy *s = inst;
	uint64_t blocks = 0, frames = 0, heads = 0, set = 0, i;
	uint64_t hot = MIN(s->hot_top, (uint64_t)BUDDY_HOT_FRAMES);
	unsigned problems, order;
	size_t words = BITS_TO_LONGS(s->count), w;

	problems = audit_note(a, s->hot_top > BUDDY_HOT_FRAMES, "hot list top %u past its %u slots",
			      (unsigned)s->hot_top, BUDDY_HOT_FRAMES);
	for (order = 0; order < BUDDY_ORDERS; order++)
		problems += area_validate(s, order, &blocks, &frames, a);
	for (i = 0; i < hot; i++)
		problems += audit_note(a, s->hot[i] >= s->count ||
				       !bitmap_test(s->freemap, s->hot[i]) ||
				       s->order[s->hot[i]] != NOT_HEAD,
				       "hot slot %llu holds offset %u: outside the span, not free "
				       "or a block head", (unsigned long long)i, s->hot[i]);
	for (i = 0; i < s->count; i++) {
		heads += s->order[i] <= BUDDY_MAX_ORDER;
		problems += audit_note(a, s->order[i] > BUDDY_MAX_ORDER && s->order[i] != NOT_HEAD,
				       "page 0x%llx has the unknown order record %u",
				       (unsigned long long)(s->base + i), s->order[i]);
	}
	for (w = 0; w < words; w++) {
		set += word_popcount(s->freemap[w]);
		problems += audit_note(a, word_popcount(s->freemap[w] & ~s->managed[w]),
				       "free bit set on a frame not managed, near page 0x%llx",
				       (unsigned long long)(s->base + w * BITS_PER_LONG));
	}
	if (s->count % BITS_PER_LONG)
		problems += audit_note(a, word_popcount(s->freemap[words - 1] &
							~word_mask(0, s->count % BITS_PER_LONG)),
				       "free bit set past the end of the span");
	problems += audit_note(a, heads != blocks, "%llu block heads, but %llu blocks listed",
			       (unsigned long long)heads, (unsigned long long)blocks);
	problems += audit_note(a, set != frames + hot,
			       "%llu free bits, but blocks and hot list hold %llu frames",
			       (unsigned long long)set, (unsigned long long)(frames + hot));
	problems += audit_note(a, s->block_frames != frames,
			       "block frame count %llu, the lists hold %llu",
			       (unsigned long long)s->block_frames, (unsigned long long)frames);
	return problems;
}

static void frame_buddy_walk(void *inst, frame_walk_fn fn, void *arg)
{
	const struct frame_buddy *s = inst;

	frame_freemap_walk(s->freemap, s->base, s->count, fn, arg);
}

FRAME_ALGO_REGISTER(buddy, {
	.name = "buddy",
	.meta_size = frame_buddy_meta_size,
	.init = frame_buddy_init,
	.add_free = frame_buddy_add_free,
	.alloc = frame_buddy_alloc,
	.free = frame_buddy_free,
	.alloc_run = frame_buddy_alloc_run,
	.free_run = frame_buddy_free_run,
	.free_count = frame_buddy_free_count,
	.validate = frame_buddy_validate,
	.walk = frame_buddy_walk,
});
