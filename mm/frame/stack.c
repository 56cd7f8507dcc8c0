// SPDX-License-Identifier: MIT
/*
 * "stack": physical frames kept as a LIFO stack of free page numbers, with a
 * bitmap of the same free frames beside it for runs and double frees.
 *
 * Design. Four arrays over the span, indexed by a frame's offset from the
 * span base:
 *
 *   slot[0..top)   the free frames as 32-bit offsets; slot[top - 1] pops next
 *   where[off]     for a free frame, its index in slot[] (stale otherwise)
 *   freemap        a bit per frame, set = free
 *   managed        a bit per frame, set once add_free() handed it over
 *
 * slot[] and where[] together are the sparse set of Briggs and Torczon ("An
 * efficient representation for sparse sets", 1993): any free frame can be
 * taken out of the middle of the stack in O(1) by moving the top slot into
 * its place. The bitmap answers "is this frame free" in one load, and finds
 * contiguous runs a word at a time, whatever order the frames were freed in.
 *
 *   alloc      pops the top slot and clears its bit: the frame freed last is
 *              handed out first (warm in caches; the rCore frame test wants
 *              the same two frames back);
 *   free       refuses a frame never handed over or whose bit is set (a
 *              double free, caught in every build: one load and a branch),
 *              sets the bit, records where[] and pushes;
 *   alloc_run  finds the lowest free run of n frames at the alignment in the
 *              bitmap (lib's bitmap_find_run: a word at a time), clears its
 *              bits and takes each of its frames out of the stack through
 *              where[];
 *   free_run   checks every bit first, then pushes the run highest first so
 *              its lowest frame pops first.
 *
 * Cost: alloc and free are a handful of loads and stores each (no loop);
 * alloc_run is O(n) plus the search, which reads one word per 64 frames up
 * to the run it returns (log2(n) shift-and steps on a word with free
 * frames, one test on a word without); free_run is O(n). No call sorts, so
 * none depends on the order frames were freed in. Metadata: 8 bytes and 2
 * bits per frame (8.3 MiB for 4 GiB). Offsets are 32 bits, so a span holds
 * at most 2^32 frames.
 */
#include <mm/frame_algo.h>
#include <lib/bitops.h>
#include <lib/string.h>

/* ------------------------------------------------------------------------ */
/* Layout                                                                   */
/* ------------------------------------------------------------------------ */

#define STACK_MAX_FRAMES	(1ULL << 32)	/* offsets must fit a uint32_t */

struct frame_stack {
	uint64_t base;		/* page number at offset 0 of the span */
	uint64_t count;		/* frames in the span, also the stack capacity */
	uint64_t top;		/* slots in use, i.e. free frames */
	uint32_t *slot;		/* offsets of free frames; slot[top - 1] pops next */
	uint32_t *where;	/* where[off]: index of free frame off in slot[] */
	unsigned long *freemap;	/* bit per frame, set = free */
	unsigned long *managed;	/* bit per frame, set = handed over by add_free */
};

BUILD_BUG_ON(sizeof(struct frame_stack) % sizeof(unsigned long) != 0);

/* Bytes of a bitmap and of a slot array for @count frames, 8-byte aligned. */
static inline size_t freemap_bytes(uint64_t count)
{
	return BITS_TO_LONGS(count) * sizeof(unsigned long);
}

static inline size_t slots_bytes(uint64_t count)
{
	return ALIGN_UP((size_t)count * sizeof(uint32_t), sizeof(unsigned long));
}

/* ------------------------------------------------------------------------ */
/* Stack helpers                                                            */
/* ------------------------------------------------------------------------ */

/* Push free frame @off (its bit already set). */
static inline void stack_push(struct frame_stack *s, uint64_t off)
{
	s->where[off] = (uint32_t)s->top;
	s->slot[s->top++] = (uint32_t)off;
}

/* Take free frame @off out of the stack: the top slot moves into its place. */
static inline void stack_remove(struct frame_stack *s, uint64_t off)
{
	uint32_t i = s->where[off], last = s->slot[--s->top];

	s->slot[i] = last;
	s->where[last] = i;
}

/*
 * Check a run about to be freed (added, with @add), then mark it free and
 * push it highest first, so that @first pops first; nothing changes on error.
 */
static int stack_give_back(struct frame_stack *s, uint64_t first, uint64_t n, bool add)
{
	uint64_t off = first - s->base, i;
	int st = frame_free_mark_run(s->freemap, s->managed, s->base, s->count, first, n, add);

	if (st != FRAME_OK)
		return st;
	for (i = n; i-- > 0;)
		stack_push(s, off + i);
	return FRAME_OK;
}

/* ------------------------------------------------------------------------ */
/* Operations                                                               */
/* ------------------------------------------------------------------------ */

static size_t frame_stack_meta_size(uint64_t count)
{
	if (count == 0 || count > STACK_MAX_FRAMES)
		return 0;
	return sizeof(struct frame_stack) + 2 * freemap_bytes(count) + 2 * slots_bytes(count);
}

static void *frame_stack_init(void *meta, struct ppn_range span)
{
	struct frame_stack *s = meta;
	uint64_t count = ppn_range_len(span);
	char *next = (char *)(s + 1);

	if (!frame_stack_meta_size(count))
		return NULL;
	s->base = ppn_val(span.start);
	s->count = count;
	s->top = 0;
	s->freemap = (unsigned long *)next;
	next += freemap_bytes(count);
	s->managed = (unsigned long *)next;
	next += freemap_bytes(count);
	s->slot = (uint32_t *)next;
	next += slots_bytes(count);
	s->where = (uint32_t *)next;
	memset(s->freemap, 0, 2 * freemap_bytes(count));	/* both maps */
	return s;
}

static int frame_stack_add_free(void *inst, struct ppn_range r)
{
	if (ppn_range_is_empty(r))
		return FRAME_OK;
	return stack_give_back(inst, ppn_val(r.start), ppn_range_len(r), true);
}

static int frame_stack_alloc(void *inst, ppn_t *out)
{
	struct frame_stack *s = inst;
	uint64_t off;

	if (unlikely(s->top == 0))
		return FRAME_ENOMEM;
	off = s->slot[--s->top];
	bitmap_clear_bit(s->freemap, off);
	*out = PPN(s->base + off);
	return FRAME_OK;
}

static int frame_stack_free(void *inst, ppn_t pn)
{
	struct frame_stack *s = inst;
	uint64_t off = ppn_val(pn) - s->base;
	int st = frame_free_mark(s->freemap, s->managed, s->count, off);

	if (likely(st == FRAME_OK))
		stack_push(s, off);
	return st;
}

static int frame_stack_alloc_run(void *inst, uint64_t n, uint64_t align, ppn_t *out)
{
	struct frame_stack *s = inst;
	uint64_t off, i;

	if (!frame_run_args_valid(n, align))
		return FRAME_EINVAL;
	if (n == 1 && align == 1)
		return frame_stack_alloc(inst, out);
	if (n > s->top)
		return FRAME_ENOMEM;
	off = bitmap_find_run(s->freemap, s->count, n, align, s->base & (align - 1));
	if (off == s->count)
		return FRAME_ENOMEM;
	for (i = 0; i < n; i++)
		stack_remove(s, off + i);
	bitmap_clear_range(s->freemap, off, n);
	*out = PPN(s->base + off);
	return FRAME_OK;
}

static int frame_stack_free_run(void *inst, ppn_t first, uint64_t n)
{
	if (n == 0)
		return FRAME_EINVAL;
	if (n == 1)
		return frame_stack_free(inst, first);
	return stack_give_back(inst, ppn_val(first), n, false);
}

static uint64_t frame_stack_free_count(void *inst)
{
	const struct frame_stack *s = inst;

	return s->top;
}

/* ------------------------------------------------------------------------ */
/* Debug: validate and walk                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Problems counted: a top past the capacity, each slot outside the span,
 * whose bit is clear or whose where[] does not point back at it (so no
 * frame sits in two slots), a number of set bits other than top (so every
 * free frame has a slot), and each free bit set past the end of the span or
 * on a frame that is not managed.
 */
static unsigned frame_stack_validate(void *inst, struct audit *a)
{
	const struct frame_stack *s = inst;
	uint64_t top = MIN(s->top, s->count), set = 0, i;
	size_t words = BITS_TO_LONGS(s->count), w;
	unsigned problems = audit_note(a, s->top > s->count, "stack top %llu past the %llu frames",
				       (unsigned long long)s->top, (unsigned long long)s->count);

	for (i = 0; i < top; i++) {
		uint32_t off = s->slot[i];

		problems += audit_note(a, off >= s->count || !bitmap_test(s->freemap, off) ||
				       s->where[off] != i,
				       "stack slot %llu holds offset %u: outside the span, not free "
				       "or listed twice", (unsigned long long)i, off);
	}
	for (w = 0; w < words; w++) {
		set += word_popcount(s->freemap[w]);
		problems += audit_note(a, word_popcount(s->freemap[w] & ~s->managed[w]),
				       "free bit set on a frame not managed, near page 0x%llx",
				       (unsigned long long)(s->base + w * BITS_PER_LONG));
	}
	problems += audit_note(a, set != top, "%llu free bits but %llu frames on the stack",
			       (unsigned long long)set, (unsigned long long)top);
	if (s->count % BITS_PER_LONG)
		problems += audit_note(a, word_popcount(s->freemap[words - 1] &
							~word_mask(0, s->count % BITS_PER_LONG)),
				       "free bit set past the end of the span");
	return problems;
}

static void frame_stack_walk(void *inst, frame_walk_fn fn, void *arg)
{
	const struct frame_stack *s = inst;

	frame_freemap_walk(s->freemap, s->base, s->count, fn, arg);
}

FRAME_ALGO_REGISTER(stack, {
	.name = "stack",
	.meta_size = frame_stack_meta_size,
	.init = frame_stack_init,
	.add_free = frame_stack_add_free,
	.alloc = frame_stack_alloc,
	.free = frame_stack_free,
	.alloc_run = frame_stack_alloc_run,
	.free_run = frame_stack_free_run,
	.free_count = frame_stack_free_count,
	.validate = frame_stack_validate,
	.walk = frame_stack_walk,
});
