// SPDX-License-Identifier: MIT
/*
 * TLSF heap: two-level segregated fit, after Masmano, Ripoll, Crespo and Real
 * ("TLSF: a new dynamic memory allocator for real-time systems", ECRTS 2004).
 *
 * Idea. Free blocks are kept in many small LIFO lists, one per size class,
 * and two levels of bitmaps say which lists are non-empty. The first level
 * splits sizes by powers of two; the second cuts each power of two into
 * SL_COUNT (2^SL_SHIFT = 32) equal slices. An allocation rounds its size up
 * to the next slice boundary ("good fit"), so that every block of the first
 * non-empty list at or above that slice is large enough, finds that list with
 * two find-first-set operations, takes the list's head and splits off what it
 * does not need. A free merges the block at once with both physical
 * neighbours, found through boundary tags, and pushes the result on its
 * list. No operation loops over a list or over the heap: each is a fixed
 * sequence of bit scans, list splices and header writes.
 *
 * Granules and size classes. Sizes are whole 16-byte granules, and every
 * block, link and list head is named by the byte offset of its payload from
 * the region base (32 bits: a region is under 4 GiB). A block of b bytes
 * maps to the class index
 *
 *	t = max(fls(b), 9) - 5,    index = t * 32 + (b >> t)
 *
 * so blocks under 1 KiB (64 granules) each have a list of their own exact
 * size (the linear lists for small sizes) and above that each list spans
 * 2^t bytes: [32 << t, 64 << t) is first level t + 1, in 32 slices. The
 * index's upper bits are the first level (from 4, the granule's log2), its
 * low five bits the second. Good fit rounds b up by 2^t - 1 before the shift.
 * When that search finds nothing, the head of the request's own (unrounded)
 * list is tried too, which keeps a nearly full heap usable to its last large
 * block: the largest request that succeeds is exactly the head of the
 * highest non-empty list.
 *
 * Blocks. A block owns whole granules and its 4-byte header sits just before
 * its payload, in the last word of the granule below, so every payload is
 * 16-byte aligned; a request of s bytes takes s + 4 rounded up to 16. The
 * header word is the block's size in bytes (a multiple of 16) with two flags
 * in its low bits:
 *
 *	bit 1  LOW_FREE: the physical neighbour below is free
 *	bit 0  FREE
 *
 * A free block keeps in its payload the offsets of its list neighbours (next,
 * prev; 0 = none, since offset 0 holds the instance, whose first two words
 * are a scratch node that absorbs the writes a splice makes through "none")
 * and, in the word before the next header, a footer with its own size: the
 * boundary tag that lets a freed block find a free neighbour below it. One
 * granule (links 8 bytes, footer 4, next header 4) is a complete free block,
 * so the smallest block is 16 bytes and every split remainder or alignment
 * pad is a valid free block. Two free blocks are never adjacent. An end
 * sentinel (a used header of size 0) follows the last block.
 *
 * Trust. Headers live next to caller data, so a pointer is never believed
 * from its header alone: an out-of-band bitmap holds one bit per granule,
 * set exactly where a block starts (and at the sentinel). free() and
 * usable_size() accept a pointer only when its granule's bit is set, and
 * before a merge follows a neighbour's tag they check that it stays inside
 * the region and agrees with the block; so an interior pointer or a header
 * forged inside a block is refused whatever the caller wrote there. The
 * bitmap costs 1/128 of the region.
 *
 * Costs. alloc: one class mapping, at most two bit scans, one list pop, and
 * for a split one list push and one bit set (two of each for an aligned
 * request that leaves a pad below). free: the pointer checks (one bitmap
 * read and the neighbours' tags), up to two list unlinks for the merges, one
 * push. Alignments above 16 search for size + align - 16, so any block found
 * fits at any pad.
 *
 * Two halves. alloc() and free() are each an inline try and an
 * out-of-line rest (alloc_slow(), free_slow()). The tries take the common
 * case whole, with no call: a request at the default alignment whose
 * good-fit search finds a list (pop and split), and a free that passes
 * every pointer check (merge and push). Everything else (an alignment
 * above 16, the unrounded list's head, a bad pointer, a poisoned heap)
 * goes out of line. The kernel's front end inlines the tries into
 * kmalloc() and kfree() (HEAP_ALGO_TRY_ALLOC and friends, at the end).
 */
#include <lib/bitops.h>
#include <lib/string.h>
#include <mm/heap_algo.h>

/* ---------------------------------------------------------------------- */
/* Constants and layout                                                    */
/* ---------------------------------------------------------------------- */

#define GRANULE_SHIFT	4
#define GRANULE		(1UL << GRANULE_SHIFT)	/* size unit and payload alignment */
#define HDR_BYTES	4UL			/* header before each payload */
#define FOOTER_BYTES	4UL			/* size word ending a free block */
#define LINK_BYTES	8UL			/* next and prev of a free block */
#define MAX_ALIGN	4096UL			/* largest alignment alloc() honours */
#define MAX_REGION	(1UL << 32)		/* offsets and sizes are 32-bit */

#define SL_SHIFT	5
#define SL_COUNT	(1u << SL_SHIFT)	/* second-level slices per power of two */
#define FL_BASE		GRANULE_SHIFT		/* first level of the exact lists */
#define FL_END		30			/* first levels stay below this */
#define CLASS_BASE	(FL_BASE << SL_SHIFT)	/* lowest class index */
#define NO_CLASS	(~0UL)			/* class_search() found no list */

#define HDR_FREE	0x1u
#define HDR_LOW_FREE	0x2u
#define HDR_FLAGS	(GRANULE - 1)

#define TLSF_MAGIC	0x746c7366u		/* "tlsf" */

/*
 * A block, named by the byte offset of its payload from the region base (0 =
 * none). Stored as 32 bits in links and list heads; held in a full register
 * everywhere else, so no arithmetic needs re-extending.
 */
typedef size_t blk_t;

/*
 * The instance, at the region base. heads[] has one entry per class index
 * from CLASS_BASE below CLASS_BASE + fl_count * SL_COUNT; the start bitmap
 * follows it.
 */
struct tlsf_heap {
	uint32_t nil_links[2];		/* links of block 0, "none": written, never read */
	uint32_t fl_count;		/* first levels with lists */
	uint32_t flags;			/* HEAP_ALGO_* */
	unsigned long fl_map;		/* bit f: sl_map[f - FL_BASE] != 0 */
	unsigned long *starts;		/* bit b / 16: a block (or the sentinel) starts at b */
	size_t fast_request;		/* sizes the inline alloc takes: 0 if poisoned */
	size_t fast_span;		/* offsets the inline free takes: 0 if poisoned */
	blk_t first;			/* the lowest block */
	blk_t end;			/* the end sentinel */
	size_t free_bytes;		/* in free blocks */
	size_t max_request;		/* bytes of the largest block possible */
	size_t region_size;		/* bytes given to init */
	uint32_t magic;
	unsigned long sl_map[FL_END - FL_BASE];	/* bit s: list f * 32 + s is not empty */
	uint32_t heads[];		/* first block of each list, 0 if empty */
};

BUILD_BUG_ON(GRANULE < LINK_BYTES + FOOTER_BYTES + HDR_BYTES);
BUILD_BUG_ON(offsetof(struct tlsf_heap, nil_links) != 0);
BUILD_BUG_ON(sizeof(struct tlsf_heap) % sizeof(uint32_t) != 0);
/*
 * A search starts below 2^33 bytes (a region under 4 GiB plus alignment
 * slack), so fls <= 32, t <= 32 - SL_SHIFT, and rounding up reaches at most
 * first level t + 2.
 */
BUILD_BUG_ON(32 - SL_SHIFT + 2 >= FL_END);
BUILD_BUG_ON(SL_COUNT > BITS_PER_LONG || FL_END > BITS_PER_LONG);

/* ---------------------------------------------------------------------- */
/* Block helpers                                                           */
/* ---------------------------------------------------------------------- */

/* The 32-bit word @off bytes from block @b's payload (@off may be negative). */
static inline uint32_t *blk_u32(const struct tlsf_heap *h, blk_t b, long off)
{
	return (uint32_t *)((char *)h + b + off);
}

static inline size_t tag_read(const struct tlsf_heap *h, blk_t b)
{
	return *blk_u32(h, b, -(long)HDR_BYTES);
}

static inline void tag_write(const struct tlsf_heap *h, blk_t b, size_t tag)
{
	*blk_u32(h, b, -(long)HDR_BYTES) = (uint32_t)tag;
}

static inline size_t tag_bytes(size_t tag)
{
	return tag & ~HDR_FLAGS;
}

/* Size in the footer of the free block that ends below block @above. */
static inline size_t footer_read(const struct tlsf_heap *h, blk_t above)
{
	return *blk_u32(h, above, -(long)(HDR_BYTES + FOOTER_BYTES));
}

static inline blk_t link_next(const struct tlsf_heap *h, blk_t b)
{
	return blk_u32(h, b, 0)[0];
}

static inline blk_t link_prev(const struct tlsf_heap *h, blk_t b)
{
	return blk_u32(h, b, 0)[1];
}

/* Set a link of @b; @b may be 0 (the scratch node). */
static inline void link_set_next(const struct tlsf_heap *h, blk_t b, blk_t next)
{
	blk_u32(h, b, 0)[0] = (uint32_t)next;
}

static inline void link_set_prev(const struct tlsf_heap *h, blk_t b, blk_t prev)
{
	blk_u32(h, b, 0)[1] = (uint32_t)prev;
}

/* Write the header and footer of a free block of @bytes at @b. */
static inline void block_mark_free(const struct tlsf_heap *h, blk_t b, size_t bytes)
{
	tag_write(h, b, bytes | HDR_FREE);
	*blk_u32(h, b + bytes, -(long)(HDR_BYTES + FOOTER_BYTES)) = (uint32_t)bytes;
}

static inline bool start_marked(const struct tlsf_heap *h, blk_t b)
{
	size_t g = b >> GRANULE_SHIFT;

	return (h->starts[g / BITS_PER_LONG] >> (g % BITS_PER_LONG)) & 1;
}

static inline void start_mark(const struct tlsf_heap *h, blk_t b)
{
	size_t g = b >> GRANULE_SHIFT;

	h->starts[g / BITS_PER_LONG] |= BIT(g % BITS_PER_LONG);
}

static inline void start_unmark(const struct tlsf_heap *h, blk_t b)
{
	size_t g = b >> GRANULE_SHIFT;

	h->starts[g / BITS_PER_LONG] &= ~BIT(g % BITS_PER_LONG);
}

/* Bytes a @size-byte request takes; @size is at most max_request. */
static inline size_t bytes_for(size_t size)
{
	return ALIGN_UP(size + HDR_BYTES, GRANULE);
}

/* Usable bytes of a block of @bytes. */
static inline size_t bytes_usable(size_t bytes)
{
	return bytes - HDR_BYTES;
}

static inline bool heap_poisoned(const struct tlsf_heap *h)
{
	return h->flags & HEAP_ALGO_POISON;
}

/* ---------------------------------------------------------------------- */
/* Size classes and lists                                                  */
/* ---------------------------------------------------------------------- */

/*
 * log2 of the span of the list that holds @bytes: GRANULE_SHIFT for the
 * exact lists, fls(bytes) - SL_SHIFT above them.
 */
static inline size_t class_shift(size_t bytes)
{
	return (size_t)(BITS_PER_LONG - 1 - SL_SHIFT) -
	       (size_t)__builtin_clzl(bytes | (GRANULE << SL_SHIFT));
}

/* Class index (first level * 32 + second level) of a block of @bytes. */
static inline size_t class_of(size_t bytes)
{
	size_t t = class_shift(bytes);

	return (t << SL_SHIFT) + (bytes >> t);
}

/*
 * Class index where the good-fit search for @bytes starts: @bytes rounded up
 * to the next list boundary. With t = class_shift(bytes), (bytes + 2^t - 1)
 * >> t is at most 64, and index (t << 5) + 64 is the first list of the next
 * level, so one shift width serves even when the rounding crosses a power
 * of two.
 */
static inline size_t class_good_fit(size_t bytes)
{
	size_t t = class_shift(bytes);

	return (t << SL_SHIFT) + ((bytes + (1UL << t) - 1) >> t);
}

/* The head of list @c (a class index from CLASS_BASE). */
static inline uint32_t *class_head(struct tlsf_heap *h, size_t c)
{
	return &h->heads[c - CLASS_BASE];
}

/* The second-level map of first level @fl. */
static inline unsigned long *class_sl_map(struct tlsf_heap *h, size_t fl)
{
	return &h->sl_map[fl - FL_BASE];
}

/*
 * Class index of the first non-empty list at or above index @c, or NO_CLASS:
 * a scan of the second-level map of @c's first level, then of the
 * first-level map above it.
 */
static inline size_t class_search(struct tlsf_heap *h, size_t c)
{
	size_t fl = c >> SL_SHIFT;
	unsigned long sl = *class_sl_map(h, fl) & (~0UL << (c % SL_COUNT));

	if (!sl) {
		unsigned long above = h->fl_map & (~0UL << (fl + 1));

		if (!above)
			return NO_CLASS;
		fl = word_ffs(above);
		sl = *class_sl_map(h, fl);
	}
	return fl << SL_SHIFT | word_ffs(sl);
}

/* Mark list @c empty in both maps. */
static inline void class_note_empty(struct tlsf_heap *h, size_t c)
{
	size_t fl = c >> SL_SHIFT;
	unsigned long *sl = class_sl_map(h, fl);

	*sl &= ~BIT(c % SL_COUNT);
	if (!*sl)
		h->fl_map &= ~BIT(fl);
}

/* Push the free block @b of @bytes on its list. */
static inline void class_push(struct tlsf_heap *h, blk_t b, size_t bytes)
{
	size_t c = class_of(bytes), fl = c >> SL_SHIFT;
	uint32_t *head = class_head(h, c);
	blk_t old = *head;

	link_set_next(h, b, old);
	link_set_prev(h, b, 0);
	link_set_prev(h, old, b);
	*head = (uint32_t)b;
	if (!old) {	/* the list was empty: its bits are clear */
		*class_sl_map(h, fl) |= BIT(c % SL_COUNT);
		h->fl_map |= BIT(fl);
	}
}

/* Pop the head of the non-empty list @c. */
static inline blk_t class_pop(struct tlsf_heap *h, size_t c)
{
	uint32_t *head = class_head(h, c);
	blk_t b = *head, next = link_next(h, b);

	*head = (uint32_t)next;
	link_set_prev(h, next, 0);
	if (!next)
		class_note_empty(h, c);
	return b;
}

/* Take the free block @b of @bytes off its list. */
static inline void class_remove(struct tlsf_heap *h, blk_t b, size_t bytes)
{
	blk_t next = link_next(h, b), prev = link_prev(h, b);

	link_set_prev(h, next, prev);
	if (prev) {
		link_set_next(h, prev, next);
	} else {
		size_t c = class_of(bytes);

		*class_head(h, c) = (uint32_t)next;
		if (!next)
			class_note_empty(h, c);
	}
}

/* ---------------------------------------------------------------------- */
/* Pointer checks                                                          */
/* ---------------------------------------------------------------------- */

/* True when the free block @b's list links name offsets inside the heap. */
static inline bool links_sane(const struct tlsf_heap *h, blk_t b)
{
	return link_next(h, b) < h->end && link_prev(h, b) < h->end;
}

/*
 * Decide whether the byte at @off from the base (below region_size) starts a
 * live block, trusting no header before the start bitmap vouches for it, and
 * no neighbour tag that a merge would follow before it is checked. The
 * bitmap covers every granule of the region: it is clear below the first
 * block, and the sentinel's bit at end leads to a size of 0. On HEAP_FREE_OK
 * *@bytes is the block's size.
 */
static __always_inline enum heap_free_result block_check(const struct tlsf_heap *h, blk_t off,
							  size_t *bytes)
{
	size_t tag, n, above;

	if ((off & (GRANULE - 1)) || !start_marked(h, off))
		return HEAP_FREE_NOT_BLOCK;
	tag = tag_read(h, off);
	n = tag_bytes(tag);
	if (n - GRANULE >= h->end - off)
		return HEAP_FREE_NOT_BLOCK;	/* 0, or past the sentinel */
	if (tag & HDR_FREE)
		return HEAP_FREE_DOUBLE;
	above = tag_read(h, off + n);
	if (above & HDR_LOW_FREE)
		return HEAP_FREE_NOT_BLOCK;
	if ((above & HDR_FREE) &&
	    (tag_bytes(above) - GRANULE >= h->end - (off + n) || !links_sane(h, off + n)))
		return HEAP_FREE_NOT_BLOCK;
	if (tag & HDR_LOW_FREE) {
		size_t m = footer_read(h, off);

		if (m - GRANULE >= off - h->first || tag_read(h, off - m) != (m | HDR_FREE) ||
		    !links_sane(h, off - m))
			return HEAP_FREE_NOT_BLOCK;
	}
	*bytes = n;
	return HEAP_FREE_OK;
}

/* Bytes of the live block at @ptr, or 0 when @ptr is not one. */
static size_t block_bytes_live(const struct tlsf_heap *h, const void *ptr)
{
	blk_t off = (uintptr_t)ptr - (uintptr_t)h;
	size_t n;

	if (off >= h->region_size || block_check(h, off, &n) != HEAP_FREE_OK)
		return 0;
	return n;
}

/* ---------------------------------------------------------------------- */
/* Core: carving and merging                                               */
/* ---------------------------------------------------------------------- */

/*
 * Make the first @need bytes of the free block @b of @m bytes, already off
 * its list, a used block (@low: its LOW_FREE bit); the rest above, if any,
 * becomes a free block on its list.
 */
static __always_inline void block_split(struct tlsf_heap *h, blk_t b, size_t m, size_t need,
					size_t low)
{
	blk_t rest = b + need;

	tag_write(h, b, need | low);
	if (m > need) {
		block_mark_free(h, rest, m - need);
		class_push(h, rest, m - need);
		start_mark(h, rest);
	} else {
		tag_write(h, rest, tag_read(h, rest) & ~(size_t)HDR_LOW_FREE);
	}
	h->free_bytes -= need;
}

/*
 * Hand out @need bytes at @b + @pad from the free block @b of @m bytes, which
 * is already off its list, checking the poison it held: the pad below and the
 * rest above stay free, on their lists.
 */
static void block_carve(struct tlsf_heap *h, blk_t b, size_t m, size_t pad, size_t need)
{
	blk_t a = b + pad;

	if (heap_poisoned(h)) {
		/* The old block's links and footer were metadata, not poison. */
		char *lo = (char *)h + a + (pad ? 0 : LINK_BYTES);
		char *hi = (char *)h + a + need - HDR_BYTES - (m > pad + need ? 0 : FOOTER_BYTES);

		if (lo < hi)
			heap_poison_check("heap_tlsf", lo, (size_t)(hi - lo));
	}
	if (pad) {
		block_mark_free(h, b, pad);
		class_push(h, b, pad);
		start_mark(h, a);
	}
	block_split(h, a, m - pad, need, pad ? HDR_LOW_FREE : 0);
}

/*
 * Release the checked live block of @n bytes at @b: merge it with free
 * neighbours above and below, then push the result. With @poison, fill what
 * becomes free space (after the neighbours' links have been read).
 */
static __always_inline void block_release(struct tlsf_heap *h, blk_t b, size_t n, bool poison)
{
	size_t tag = tag_read(h, b), above_tag = tag_read(h, b + n), total = n;
	blk_t above = b + n, start = b;

	h->free_bytes += n;
	if (poison)
		heap_poison_fill((char *)h + b, bytes_usable(n));
	if (above_tag & HDR_FREE) {
		size_t an = tag_bytes(above_tag);

		class_remove(h, above, an);
		start_unmark(h, above);
		if (poison)	/* its header and links */
			heap_poison_fill((char *)h + above - HDR_BYTES, HDR_BYTES + LINK_BYTES);
		total += an;
		above_tag = tag_read(h, above + an);	/* LOW_FREE is already set */
	}
	if (tag & HDR_LOW_FREE) {
		size_t m = footer_read(h, b);

		start = b - m;
		class_remove(h, start, m);
		start_unmark(h, b);
		if (poison)	/* its footer and this block's header */
			heap_poison_fill((char *)h + b - HDR_BYTES - FOOTER_BYTES,
					 HDR_BYTES + FOOTER_BYTES);
		total += m;
	}
	block_mark_free(h, start, total);
	tag_write(h, start + total, above_tag | HDR_LOW_FREE);
	class_push(h, start, total);
}

/*
 * alloc() for what the inline path leaves: an alignment above 16, a poisoned
 * heap, a size too large, or a good-fit search that found nothing (then the
 * head of the request's own list is tried). Returns NULL, changing nothing,
 * when no block fits or the request is bad.
 */
static __attribute__((noinline)) void *alloc_slow(struct tlsf_heap *h, size_t size, size_t align,
						  size_t *usable)
{
	size_t mask = align > GRANULE ? align - 1 : 0, need, want, c, m, pad;
	blk_t b;

	if (size > h->max_request || align > MAX_ALIGN || (align & (align - 1)))
		return NULL;
	need = bytes_for(size);
	want = need + (mask & ~(GRANULE - 1));	/* room for any pad */
	c = class_search(h, class_good_fit(want));
	if (c == NO_CLASS) {
		c = class_of(want);
		if (c >= CLASS_BASE + (size_t)h->fl_count * SL_COUNT || !*class_head(h, c))
			return NULL;
	}
	b = *class_head(h, c);
	m = tag_bytes(tag_read(h, b));
	pad = -((uintptr_t)h + b) & mask;
	if (m < pad + need)
		return NULL;	/* only the unrounded list's head can be short */
	class_remove(h, b, m);
	block_carve(h, b, m, pad, need);
	if (usable)
		*usable = bytes_usable(need);
	return (char *)h + b + pad;
}

/*
 * free() in full, for what the inline path leaves: a pointer outside the
 * region or one block_check() refuses (judged again here, to name the
 * refusal), or any pointer on a poisoned heap.
 */
static __attribute__((noinline)) enum heap_free_result free_slow(struct tlsf_heap *h, blk_t off,
								  size_t *usable)
{
	enum heap_free_result r;
	size_t n;

	if (off >= h->region_size)
		return HEAP_FREE_FOREIGN;	/* below the base wraps around too */
	r = block_check(h, off, &n);
	if (r != HEAP_FREE_OK)
		return r;
	if (usable)
		*usable = bytes_usable(n);
	block_release(h, off, n, heap_poisoned(h));
	return HEAP_FREE_OK;
}

/* ---------------------------------------------------------------------- */
/* Public operations                                                       */
/* ---------------------------------------------------------------------- */

/*
 * heap_tlsf_init - build an empty heap over [base, base + size): the instance,
 * the list heads and the start bitmap at the base, then one free block, then
 * the end sentinel. Returns the instance (== base), or NULL when @base is not
 * 16-byte aligned, the region is 4 GiB or more, or no block fits.
 */
static void *heap_tlsf_init(void *base, size_t size, unsigned flags)
{
	struct tlsf_heap *h = base;
	size_t end = ALIGN_DOWN(size, GRANULE), heads, words, meta;
	blk_t first;

	if (!base || !IS_ALIGNED((uintptr_t)base, GRANULE) || size >= MAX_REGION || end == 0)
		return NULL;
	heads = ((class_of(end) >> SL_SHIFT) + 1 - FL_BASE) * SL_COUNT;
	words = (end >> GRANULE_SHIFT) / BITS_PER_LONG + 1;	/* bits up to end's */
	meta = ALIGN_UP(sizeof(*h) + heads * sizeof(uint32_t), sizeof(long)) + words * sizeof(long);
	first = ALIGN_UP(meta + HDR_BYTES, GRANULE);
	if (first >= end)
		return NULL;

	memset(h, 0, sizeof(*h));
	h->first = first;
	h->end = end;
	h->fl_count = (uint32_t)(heads / SL_COUNT);
	h->max_request = bytes_usable(end - first);
	h->starts = (unsigned long *)((char *)h + meta - words * sizeof(long));
	h->region_size = size;
	h->flags = flags;
	h->magic = TLSF_MAGIC;
	if (!heap_poisoned(h)) {
		h->fast_request = h->max_request;
		h->fast_span = size;
	}
	memset(h->heads, 0, heads * sizeof(uint32_t));
	memset(h->starts, 0, words * sizeof(long));

	if (heap_poisoned(h))
		heap_poison_fill((char *)h + first, bytes_usable(end - first));
	tag_write(h, end, HDR_LOW_FREE);	/* the sentinel: used, size 0 */
	start_mark(h, end);
	start_mark(h, first);
	block_mark_free(h, first, end - first);
	class_push(h, first, end - first);
	h->free_bytes = end - first;
	return h;
}

/*
 * The inline half of alloc(): a request at the default alignment whose
 * good-fit search finds a list, served from that list's head with at most
 * one split. NULL, with nothing changed, for anything else: an alignment
 * above 16, a poisoned heap (fast_request 0), a size too large, or no list
 * at or above the rounded class. No calls and no stack frame.
 */
static __always_inline void *alloc_try(struct tlsf_heap *h, size_t size, size_t align,
				       size_t *usable)
{
	size_t need, c, m;
	blk_t b;

	if (unlikely(size > h->fast_request || align > GRANULE))
		return NULL;
	need = bytes_for(size);
	c = class_search(h, class_good_fit(need));
	if (unlikely(c == NO_CLASS))
		return NULL;
	b = class_pop(h, c);
	m = tag_bytes(tag_read(h, b));
	block_split(h, b, m, need, 0);
	if (usable)
		*usable = bytes_usable(need);
	return (char *)h + b;
}

/*
 * The inline half of free(): release @ptr and merge it with its free
 * neighbours when it passes every check of block_check(). False, with
 * nothing changed, when it does not or the heap is poisoned (fast_span 0):
 * free_slow() then judges it again and names the refusal.
 */
static __always_inline bool free_try(struct tlsf_heap *h, void *ptr, size_t *usable)
{
	blk_t off = (uintptr_t)ptr - (uintptr_t)h;
	size_t n;

	if (unlikely(off >= h->fast_span))
		return false;
	if (unlikely(block_check(h, off, &n) != HEAP_FREE_OK))
		return false;
	if (usable)
		*usable = bytes_usable(n);
	block_release(h, off, n, false);
	return true;
}

/*
 * heap_tlsf_alloc - @size bytes at a multiple of @align (1..4096, a power of
 * two; payloads are always 16-byte aligned): the head of the first non-empty
 * list whose blocks all fit, else the head of the request's own list if it
 * fits. Returns NULL, changing nothing, when neither fits or @align is bad.
 * The caller owns the block until heap_tlsf_free().
 */
static __always_inline void *heap_tlsf_alloc(void *heap, size_t size, size_t align,
					     size_t *usable)
{
	void *p = alloc_try(heap, size, align, usable);

	if (likely(p))
		return p;
	return alloc_slow(heap, size, align, usable);
}

/*
 * heap_tlsf_free - give back the block at @ptr, merging it with free
 * neighbours. Returns HEAP_FREE_FOREIGN, _NOT_BLOCK or _DOUBLE, changing
 * nothing, when @ptr is not a live block of this heap (a pointer to a block
 * that has merged away is NOT_BLOCK).
 */
static __always_inline enum heap_free_result heap_tlsf_free(void *heap, void *ptr,
							    size_t *usable)
{
	if (likely(free_try(heap, ptr, usable)))
		return HEAP_FREE_OK;
	return free_slow(heap, (uintptr_t)ptr - (uintptr_t)heap, usable);
}

/*
 * For the kernel's front end, which compiles this file (mm/heap/kmalloc.c):
 * alloc() and free() in their two halves, as buddy.c offers them. The
 * inline halves are the common cases above and inline into kmalloc() and
 * kfree(); the out-of-line halves redo the call in full (TLSF needs no
 * hint: a miss costs one class search more, never a different result).
 */
#define HEAP_ALGO_TRY_ALLOC(heap, size, align, usable, hint) \
	((void)(hint), alloc_try(heap, size, align, usable))
#define HEAP_ALGO_ALLOC_MISS(heap, size, align, hint, usable) \
	((void)(hint), alloc_slow(heap, size, align, usable))
#define HEAP_ALGO_TRY_FREE(heap, ptr, usable, hint) \
	((void)(hint), free_try(heap, ptr, usable))
#define HEAP_ALGO_FREE_MISS(heap, ptr, hint, usable) \
	((void)(hint), free_slow(heap, (uintptr_t)(ptr) - (uintptr_t)(heap), usable))

/*
 * heap_tlsf_usable_size - payload bytes of the live block at @ptr; 0 when
 * @ptr is not the start of one (the checks of heap_tlsf_free()).
 */
static size_t heap_tlsf_usable_size(void *heap, void *ptr)
{
	size_t n = block_bytes_live(heap, ptr);

	return n ? bytes_usable(n) : 0;
}

/*
 * heap_tlsf_reserved_size - heap bytes the live block at @ptr takes, its
 * header included; 0 when @ptr is not the start of one.
 */
static size_t heap_tlsf_reserved_size(void *heap, void *ptr)
{
	return block_bytes_live(heap, ptr);
}

/*
 * heap_tlsf_space - region, metadata and free figures; O(1). The largest
 * request that succeeds is the head of the highest non-empty list: every
 * smaller class rounds up to at most that list, and a request of that class
 * falls back to its head.
 */
static void heap_tlsf_space(void *heap, struct heap_algo_space *out)
{
	struct tlsf_heap *h = heap;

	out->region = h->region_size;
	out->meta = h->region_size - (h->end - h->first);
	out->free = h->free_bytes;
	out->largest_free = 0;
	if (h->fl_map) {
		size_t fl = word_fls(h->fl_map);
		blk_t b = *class_head(h, fl << SL_SHIFT | word_fls(*class_sl_map(h, fl)));

		out->largest_free = bytes_usable(tag_bytes(tag_read(h, b)));
	}
}

/*
 * heap_tlsf_walk - report the metadata, every block, then the sentinel, in
 * address order. Stops early at a header that does not make sense.
 */
static void heap_tlsf_walk(void *heap, heap_walk_fn fn, void *arg)
{
	const struct tlsf_heap *h = heap;
	blk_t b;

	fn(arg, HEAP_BLOCK_META, 0, h->first - HDR_BYTES);
	for (b = h->first; b < h->end;) {
		size_t tag = tag_read(h, b), n = tag_bytes(tag);

		if (n == 0 || n > h->end - b)
			return;
		fn(arg, (tag & HDR_FREE) ? HEAP_BLOCK_FREE : HEAP_BLOCK_USED, b - HDR_BYTES, n);
		b += n;
	}
	fn(arg, HEAP_BLOCK_META, h->end - HDR_BYTES, h->region_size - h->end + HDR_BYTES);
}

/* ---------------------------------------------------------------------- */
/* Debug: validate                                                         */
/* ---------------------------------------------------------------------- */

/* Tallies of one validate() pass. */
struct tlsf_tally {
	size_t chain_blocks, chain_bytes;	/* free blocks met in address order */
	size_t list_blocks, list_bytes;		/* free blocks met on the lists */
};

/* True when the fields validate() relies on describe a plausible layout. */
static bool instance_sane(const struct tlsf_heap *h)
{
	size_t words = (h->end >> GRANULE_SHIFT) / BITS_PER_LONG + 1;
	uintptr_t lo = (uintptr_t)(h->heads + (size_t)h->fl_count * SL_COUNT);

	return h->magic == TLSF_MAGIC && h->region_size < MAX_REGION &&
	       h->end == ALIGN_DOWN(h->region_size, GRANULE) &&
	       h->first > 0 && h->first < h->end && IS_ALIGNED(h->first, GRANULE) &&
	       h->max_request == bytes_usable(h->end - h->first) &&
	       h->fast_request == (heap_poisoned(h) ? 0 : h->max_request) &&
	       h->fast_span == (heap_poisoned(h) ? 0 : h->region_size) &&
	       h->fl_count == (class_of(h->end) >> SL_SHIFT) + 1 - FL_BASE &&
	       (uintptr_t)h->starts >= lo && IS_ALIGNED((uintptr_t)h->starts, sizeof(long)) &&
	       (uintptr_t)(h->starts + words) <= (uintptr_t)h + h->first - HDR_BYTES;
}

/* Start bits outside [first, end), and a missing sentinel bit. */
static unsigned starts_check_edges(const struct tlsf_heap *h, struct audit *a)
{
	size_t first = h->first >> GRANULE_SHIFT, end = h->end >> GRANULE_SHIFT;
	size_t top = (end / BITS_PER_LONG + 1) * BITS_PER_LONG;
	unsigned problems;

	problems = audit_note(a, !bitmap_range_all_clear(h->starts, 0, first),
			      "a block start marked in the metadata, below offset 0x%zx", h->first);
	problems += audit_note(a, !start_marked(h, h->end), "the end sentinel at offset 0x%zx "
			       "is not marked as a block start", h->end);
	problems += audit_note(a, top > end + 1 &&
			       !bitmap_range_all_clear(h->starts, end + 1, top - end - 1),
			       "a block start marked past the end of the heap");
	return problems;
}

/* Walk the blocks in address order: tags, footers, start bits, no two free side by side. */
static unsigned validate_chain(const struct tlsf_heap *h, struct tlsf_tally *t, struct audit *a)
{
	unsigned problems = 0;
	bool low_free = false;
	blk_t b = h->first;

	while (b < h->end) {
		size_t tag = tag_read(h, b), n = tag_bytes(tag), g = b >> GRANULE_SHIFT;

		if (n == 0 || n > h->end - b)	/* cannot step past a broken header */
			return problems + audit_note(a, 1, "block at offset 0x%zx: size %zu "
						     "runs past the heap", b, n);
		problems += audit_note(a, !start_marked(h, b) || (n > GRANULE &&
				       !bitmap_range_all_clear(h->starts, g + 1,
							      (n >> GRANULE_SHIFT) - 1)),
				       "block at offset 0x%zx: its start bit is clear, or one is "
				       "set inside it", b);
		problems += audit_note(a, !!(tag & HDR_LOW_FREE) != low_free ||
				       (tag & HDR_FLAGS & ~(HDR_FREE | HDR_LOW_FREE)),
				       "block at offset 0x%zx: header flags 0x%zx disagree with the "
				       "block below", b, tag & HDR_FLAGS);
		low_free = tag & HDR_FREE;
		if (low_free) {
			problems += audit_note(a, tag & HDR_LOW_FREE, "free block at offset 0x%zx "
					       "follows a free block (they should have merged)", b);
			problems += audit_note(a, footer_read(h, b + n) != n, "free block at "
					       "offset 0x%zx: its footer says %zu bytes, its header %zu",
					       b,
					       (size_t)footer_read(h, b + n), n);
			t->chain_blocks++;
			t->chain_bytes += n;
		}
		b += n;
	}
	problems += audit_note(a, tag_read(h, h->end) != (low_free ? HDR_LOW_FREE : 0),
			       "the end sentinel's flags disagree with the last block");
	return problems;
}

/* Check list @c: every node a free block of the class, links both ways. */
static unsigned validate_list(struct tlsf_heap *h, size_t c, struct tlsf_tally *t,
			      struct audit *a)
{
	blk_t prev = 0, b = *class_head(h, c);
	unsigned problems = 0;

	while (b) {
		size_t tag;

		/* All lists together hold fewer blocks than there are granules. */
		if (b < h->first || b >= h->end || (b & (GRANULE - 1)) ||
		    t->list_blocks >= (h->end - h->first) / GRANULE || !start_marked(h, b))
			return problems + audit_note(a, 1, "list of class %zu leads to offset 0x%zx, "
						     "which starts no block (or loops)", c, b);
		tag = tag_read(h, b);
		if (!(tag & HDR_FREE) || tag_bytes(tag) == 0 || tag_bytes(tag) > h->end - b ||
		    class_of(tag_bytes(tag)) != c)
			return problems + audit_note(a, 1, "list of class %zu holds the block at "
						     "offset 0x%zx, which is not a free block of the "
						     "class", c, b);
		problems += audit_note(a, link_prev(h, b) != prev, "list of class %zu: the block "
				       "at offset 0x%zx links back to 0x%zx, not 0x%zx", c, b,
				       (size_t)link_prev(h, b), (size_t)prev);
		t->list_blocks++;
		t->list_bytes += tag_bytes(tag);
		prev = b;
		b = link_next(h, b);
	}
	return problems;
}

/* Check both bitmap levels against the lists, and every list. */
static unsigned validate_lists(struct tlsf_heap *h, struct tlsf_tally *t, struct audit *a)
{
	unsigned problems;
	size_t fl, sl;

	problems = audit_note(a, h->fl_map & ~(BIT(FL_END) - BIT(FL_BASE)), "first-level bitmap "
			      "0x%lx marks classes that do not exist", (unsigned long)h->fl_map);
	for (fl = FL_BASE; fl < FL_END; fl++) {
		unsigned long map = *class_sl_map(h, fl);

		problems += audit_note(a, !!(h->fl_map & BIT(fl)) != !!map, "first-level bit %zu "
				       "disagrees with its second-level bitmap 0x%lx", fl, map);
		if (fl - FL_BASE >= h->fl_count || (map >> SL_COUNT)) {
			problems += audit_note(a, map != 0, "second-level bitmap %zu is 0x%lx, "
					       "beyond the classes", fl, map);
			continue;
		}
		for (sl = 0; sl < SL_COUNT; sl++) {
			size_t c = fl << SL_SHIFT | sl;

			problems += audit_note(a, !!(map & BIT(sl)) != !!*class_head(h, c),
					       "class %zu: its bitmap bit disagrees with its list",
					       c);
			problems += validate_list(h, c, t, a);
		}
	}
	return problems;
}

/*
 * heap_tlsf_validate - check the instance, the start bitmap, the blocks in
 * address order, both bitmap levels and every list, and the free totals.
 * Returns the problem count (0 when sound); every offset is range-checked
 * before it is followed, and list walks are bounded.
 */
static unsigned heap_tlsf_validate(void *heap, struct audit *a)
{
	struct tlsf_heap *h = heap;
	struct tlsf_tally t = { 0 };
	unsigned problems;

	if (!instance_sane(h))	/* the instance itself cannot be trusted */
		return audit_note(a, 1, "the instance's fields are corrupt");
	problems = starts_check_edges(h, a);
	problems += validate_chain(h, &t, a);
	problems += validate_lists(h, &t, a);
	problems += audit_note(a, t.chain_blocks != t.list_blocks ||
			       t.chain_bytes != t.list_bytes || t.chain_bytes != h->free_bytes,
			       "%zu free blocks of %zu bytes in address order, %zu of %zu bytes "
			       "on the lists, %zu free bytes counted", t.chain_blocks,
			       t.chain_bytes, t.list_blocks, t.list_bytes, (size_t)h->free_bytes);
	return problems;
}

HEAP_ALGO_REGISTER(tlsf, {
	.name = "tlsf",
	.init = heap_tlsf_init,
	.alloc = heap_tlsf_alloc,
	.free = heap_tlsf_free,
	.usable_size = heap_tlsf_usable_size,
	.reserved_size = heap_tlsf_reserved_size,
	.space = heap_tlsf_space,
	.validate = heap_tlsf_validate,
	.walk = heap_tlsf_walk,
});
