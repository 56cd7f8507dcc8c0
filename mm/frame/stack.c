// SPDX-License-Identifier: MIT
/*
 * "stack": physical frames kept as a LIFO stack of free page numbers.
 *
 * Design. The metadata is one array with a slot for every frame of the span;
 * its first `top` slots hold the free frames as 32-bit offsets from the span
 * base. alloc pops the top slot and free pushes onto it, so both are O(1) and
 * the frame freed last is the one handed out next (hot in the cache, and the
 * behaviour the rCore frame test expects). The stack can never overflow: with
 * `top == count` every frame is already free, so a further free is a double
 * free and is refused.
 *
 * Double frees of a frame that is not on the stack cannot be seen from the
 * stack alone. With FRAME_ALGO_CHECK the metadata also holds a bitmap with a
 * bit per frame (set = free), kept in step on every call, which catches them
 * and lets validate() prove the stack has no duplicates. Out-of-span frames
 * are refused in every mode.
 *
 * Contiguous runs (alloc_run). A stack knows nothing about neighbours, so
 * alloc_run first sorts the slots in place into descending order (heapsort:
 * no extra memory, O(f log f) for f free frames). The lowest frames then sit
 * on top, so pops still hand out low frames first. In a strictly descending
 * array, n consecutive page numbers are n adjacent slots whose first and last
 * values differ by exactly n - 1; one pass from the top finds the lowest such
 * window whose lowest frame is aligned, and the slots above it slide down
 * over it, which keeps the order (O(f)). Pops keep the order too, and the
 * stack remembers how long a prefix it knows to be in order (a push cuts it
 * to the slot it writes: one compare on the free path), so before sorting
 * it checks only the slots pushed since: back to back run allocations sort
 * once and then cost O(pushes).
 * free_run pushes the run highest-first, so its lowest frame pops first.
 *
 * Cost: alloc and free are a handful of loads and stores each; alloc_run is
 * O(f log f) after single frees, O(f) otherwise; walk() sorts as alloc_run
 * does. Offsets are 32 bits, so a span holds at most 2^32 frames (16 TiB).
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
	uint64_t sorted;	/* slots[0..sorted) known descending; a push cuts it to top */
	unsigned long *freemap;	/* bit per frame, set = free; NULL unless FRAME_ALGO_CHECK */
	uint32_t slots[];	/* offsets of free frames; slots[top - 1] pops next */
};

BUILD_BUG_ON(offsetof(struct frame_stack, slots) % sizeof(uint32_t) != 0);
BUILD_BUG_ON(sizeof(((struct frame_stack *)0)->slots[0]) * 8 != 32);

/* Bytes from the start of the metadata to the check bitmap. */
static inline size_t stack_freemap_offset(uint64_t count)
{
	return ALIGN_UP(offsetof(struct frame_stack, slots) +
			(size_t)count * sizeof(uint32_t), sizeof(unsigned long));
}

/* ------------------------------------------------------------------------ */
/* Sorting and pushing                                                      */
/* ------------------------------------------------------------------------ */

static inline void slots_swap(uint32_t *a, uint64_t i, uint64_t j)
{
	uint32_t t = a[i];

	a[i] = a[j];
	a[j] = t;
}

/* Move a[i] down the min-heap a[0..n) until both children are larger. */
static void slots_sift_down(uint32_t *a, uint64_t i, uint64_t n)
{
	for (;;) {
		uint64_t c = 2 * i + 1;

		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] < a[c])
			c++;
		if (a[i] <= a[c])
			return;
		slots_swap(a, i, c);
		i = c;
	}
}

/*
 * True when slots[0..top) is strictly descending (sorted, no duplicates).
 * Only the slots pushed since the last check are looked at: the prefix
 * slots[0..sorted) was in order then, pops do not write, and every push
 * first cuts the prefix to the slot it writes.
 */
static bool stack_is_sorted(struct frame_stack *s)
{
	uint64_t i = MAX(s->sorted, (uint64_t)1);

	for (; i < s->top; i++)
		if (s->slots[i - 1] <= s->slots[i])
			return false;
	s->sorted = s->top;
	return true;
}

/*
 * Sort the stack into descending order in place, unless it already is: build
 * a min-heap, then move its minimum to the end of the shrinking heap until it
 * is empty.
 */
static void stack_sort(struct frame_stack *s)
{
	uint64_t n = s->top, i;

	if (stack_is_sorted(s))
		return;
	for (i = n / 2; i-- > 0;)
		slots_sift_down(s->slots, i, n);
	for (i = n; i-- > 1;) {
		slots_swap(s->slots, 0, i);
		slots_sift_down(s->slots, 0, i);
	}
	s->sorted = n;
}

/*
 * Push offsets [off, off + n) highest first, so that @off pops first. The
 * caller has checked the room and, in check mode, the bitmap.
 */
static void stack_push_run(struct frame_stack *s, uint64_t off, uint64_t n)
{
	uint64_t i;

	s->sorted = MIN(s->sorted, s->top);
	for (i = n; i-- > 0;)
		s->slots[s->top++] = (uint32_t)(off + i);
	if (s->freemap)
		bitmap_set_range(s->freemap, off, n);
}

/*
 * Find the lowest run of @n consecutive free offsets whose page number is a
 * multiple of @align in the sorted stack. On success stores the slot index
 * of the run's highest frame in *@pos (the run fills slots pos..pos+n-1).
 */
static bool stack_find_run(const struct frame_stack *s, uint64_t n,
			   uint64_t align, uint64_t *pos)
{
	const uint32_t *a = s->slots;
	uint64_t i;

	for (i = s->top; i >= n; i--) {
		uint64_t low = a[i - 1];

		if (IS_ALIGNED(s->base + low, align) && a[i - n] == low + n - 1) {
			*pos = i - n;
			return true;
		}
	}
	return false;
}

/* Check a run about to be freed and push it; nothing changes on error. */
static int stack_give_back(struct frame_stack *s, uint64_t first, uint64_t n)
{
	uint64_t off = first - s->base;

	if (!frame_run_in_span(s->base, s->count, first, n))
		return FRAME_ERANGE;
	if (n > s->count - s->top)
		return FRAME_EDOUBLE;
	if (s->freemap && !bitmap_range_clear(s->freemap, off, n))
		return FRAME_EDOUBLE;
	stack_push_run(s, off, n);
	return FRAME_OK;
}

/* ------------------------------------------------------------------------ */
/* Operations                                                               */
/* ------------------------------------------------------------------------ */

static size_t stack_meta_size(uint64_t count, unsigned flags)
{
	size_t size;

	if (count == 0 || count > STACK_MAX_FRAMES)
		return 0;
	size = stack_freemap_offset(count);
	if (flags & FRAME_ALGO_CHECK)
		size += BITS_TO_LONGS(count) * sizeof(unsigned long);
	return size;
}

static void *stack_init(void *meta, struct ppn_range span, unsigned flags)
{
	struct frame_stack *s = meta;
	uint64_t count = ppn_range_len(span);

	if (count == 0 || count > STACK_MAX_FRAMES)
		return NULL;
	s->base = ppn_val(span.start);
	s->count = count;
	s->top = 0;
	s->sorted = 0;
	s->freemap = NULL;
	if (flags & FRAME_ALGO_CHECK) {
		s->freemap = (unsigned long *)((char *)meta + stack_freemap_offset(count));
		memset(s->freemap, 0, BITS_TO_LONGS(count) * sizeof(unsigned long));
	}
	return s;
}

static int stack_add_free(void *inst, struct ppn_range r)
{
	if (ppn_range_is_empty(r))
		return FRAME_OK;
	return stack_give_back(inst, ppn_val(r.start), ppn_range_len(r));
}

static int stack_alloc(void *inst, ppn_t *out)
{
	struct frame_stack *s = inst;
	uint64_t off;

	if (unlikely(s->top == 0))
		return FRAME_ENOMEM;
	off = s->slots[--s->top];
	*out = PPN(s->base + off);
	if (unlikely(s->freemap))
		bitmap_clear_bit(s->freemap, off);
	return FRAME_OK;
}

static int stack_free(void *inst, ppn_t pn)
{
	struct frame_stack *s = inst;
	uint64_t off = ppn_val(pn) - s->base;

	if (unlikely(off >= s->count))
		return FRAME_ERANGE;
	if (unlikely(s->top == s->count))
		return FRAME_EDOUBLE;	/* every frame is free already */
	if (unlikely(s->freemap)) {
		if (bitmap_test(s->freemap, off))
			return FRAME_EDOUBLE;
		bitmap_set_bit(s->freemap, off);
	}
	if (s->sorted > s->top)
		s->sorted = s->top;	/* the push overwrites a slot of the prefix */
	s->slots[s->top++] = (uint32_t)off;
	return FRAME_OK;
}

static int stack_alloc_run(void *inst, uint64_t n, uint64_t align, ppn_t *out)
{
	struct frame_stack *s = inst;
	uint64_t pos, low;

	if (!frame_run_args_valid(n, align))
		return FRAME_EINVAL;
	if (n == 1 && align == 1)
		return stack_alloc(inst, out);
	if (n > s->top)
		return FRAME_ENOMEM;
	stack_sort(s);
	if (!stack_find_run(s, n, align, &pos))
		return FRAME_ENOMEM;
	low = s->slots[pos + n - 1];
	memmove(&s->slots[pos], &s->slots[pos + n],
		(s->top - pos - n) * sizeof(s->slots[0]));
	s->top -= n;
	s->sorted = s->top;	/* closing the gap keeps the order */
	if (s->freemap)
		bitmap_clear_range(s->freemap, low, n);
	*out = PPN(s->base + low);
	return FRAME_OK;
}

static int stack_free_run(void *inst, ppn_t first, uint64_t n)
{
	if (n == 0)
		return FRAME_EINVAL;
	return stack_give_back(inst, ppn_val(first), n);
}

static uint64_t stack_free_count(void *inst)
{
	const struct frame_stack *s = inst;

	return s->top;
}

/* ------------------------------------------------------------------------ */
/* Debug: validate and walk                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Compare the stack with the check bitmap without extra memory: toggle the
 * bit of every slot. The two agree exactly when the map then reads all zero
 * and it had as many set bits as there are slots (a duplicate slot would
 * either leave a bit set or make the counts differ). Toggling again restores
 * the map bit for bit, whatever it held.
 */
static unsigned stack_check_freemap(struct frame_stack *s, uint64_t top)
{
	size_t words = BITS_TO_LONGS(s->count), w;
	uint64_t set = 0, i;
	unsigned problems = 0;

	for (w = 0; w < words; w++)
		set += word_popcount(s->freemap[w]);
	if (set != top)
		problems++;
	for (i = 0; i < top; i++)
		if (s->slots[i] < s->count)
			s->freemap[s->slots[i] / BITS_PER_LONG] ^= BIT(s->slots[i] % BITS_PER_LONG);
	for (w = 0; w < words; w++)
		problems += word_popcount(s->freemap[w]);
	for (i = 0; i < top; i++)
		if (s->slots[i] < s->count)
			s->freemap[s->slots[i] / BITS_PER_LONG] ^= BIT(s->slots[i] % BITS_PER_LONG);
	return problems;
}

/*
 * Slots must lie in the span and fit the capacity; with the check bitmap the
 * stack must also match it exactly, which proves there are no duplicates.
 * Without it duplicates go unseen: finding them would need a sort, and that
 * would change which frame pops next.
 */
static unsigned stack_validate(void *inst)
{
	struct frame_stack *s = inst;
	uint64_t top = MIN(s->top, s->count), i;
	unsigned problems = s->top > s->count;

	for (i = 0; i < top; i++)
		if (s->slots[i] >= s->count)
			problems++;
	if (s->freemap)
		problems += stack_check_freemap(s, top);
	return problems;
}

static void stack_walk(void *inst, frame_walk_fn fn, void *arg)
{
	struct frame_stack *s = inst;
	uint64_t done = 0, i = s->top;

	stack_sort(s);
	while (i > 0) {
		uint64_t start = s->slots[--i], end = start + 1;

		while (i > 0 && s->slots[i - 1] == end) {
			i--;
			end++;
		}
		if (start > done)
			fn(arg, false, ppn_range_make(PPN(s->base + done), PPN(s->base + start)));
		fn(arg, true, ppn_range_make(PPN(s->base + start), PPN(s->base + end)));
		done = end;
	}
	if (done < s->count)
		fn(arg, false, ppn_range_make(PPN(s->base + done), PPN(s->base + s->count)));
}

FRAME_ALGO_REGISTER(stack, {
	.name = "stack",
	.meta_size = stack_meta_size,
	.init = stack_init,
	.add_free = stack_add_free,
	.alloc = stack_alloc,
	.free = stack_free,
	.alloc_run = stack_alloc_run,
	.free_run = stack_free_run,
	.free_count = stack_free_count,
	.validate = stack_validate,
	.walk = stack_walk,
});
