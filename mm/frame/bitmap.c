// SPDX-License-Identifier: MIT
/*
 * "bitmap": physical frames tracked by a hierarchical bitmap.
 *
 * Design. Level 0 has one bit per frame of the span, set when the frame is
 * free. Each level above has one bit per word of the level below, set when
 * that word has any bit set (a free frame somewhere beneath it). There are
 * always BITMAP_LEVELS levels, whatever the span's size; the top one is a
 * single word. In a small span the upper levels are single words with bit 0
 * as their only possible bit, so the work per call is the same at 128 MiB as
 * at 4 GiB, and the same at any fill: no search ever scans a level.
 *
 *   alloc      reads one word per level from the top, taking the lowest set
 *              bit each time (so the lowest free frame wins), clears the
 *              frame's bit and clears summary bits upwards for as long as a
 *              word becomes empty;
 *   free       refuses a frame outside the span or never handed over (a
 *              second bitmap, `managed`, has a bit per frame add_free()
 *              gave), and one whose bit is set (a double free: always
 *              detected), sets it and sets summary bits upwards for as long
 *              as a word was empty before.
 *
 * Contiguous runs (alloc_run) are searched in level 0 a word at a time by
 * lib's bitmap_find_run, from the first free frame (the summaries find it):
 * the lowest fitting run wins. Range updates rewrite only the summary bits of the words they touch,
 * so the summary is exact after every call (validate() checks it is).
 *
 * Size: 4 levels of 64 cover 2^24 frames (64 GiB); 1M frames (4 GiB) take
 * 16384 + 256 + 4 + 1 words and 16384 for `managed`, about 257 KiB.
 */
#include <mm/frame_algo.h>
#include <lib/bitops.h>
#include <lib/string.h>

/* ------------------------------------------------------------------------ */
/* Layout                                                                   */
/* ------------------------------------------------------------------------ */

#define BITMAP_LEVELS		4
#define BITMAP_TOP		(BITMAP_LEVELS - 1)
#define WORD_SHIFT		6	/* log2(BITS_PER_LONG) */
#define BITMAP_MAX_FRAMES	(1ULL << (WORD_SHIFT * BITMAP_LEVELS))

BUILD_BUG_ON(BITS_PER_LONG != 1u << WORD_SHIFT);

struct frame_bitmap {
	uint64_t base;				/* page number of bit 0 */
	uint64_t count;				/* frames in the span */
	uint64_t free;				/* set bits in level 0 */
	unsigned long *level[BITMAP_LEVELS];	/* [0]: frames; [k]: words of [k - 1] */
	size_t words[BITMAP_LEVELS];		/* length of each level in words */
	unsigned long *managed;			/* bit per frame: handed over by add_free */
};

BUILD_BUG_ON(sizeof(struct frame_bitmap) % sizeof(unsigned long) != 0);

/* Number of bits level @k holds for a span of @count frames (before init). */
static inline uint64_t level_bits(uint64_t count, unsigned k)
{
	while (k--)
		count = BITS_TO_LONGS(count);
	return count;
}

/* Number of meaningful bits in level @k of an instance. */
static inline uint64_t level_nbits(const struct frame_bitmap *b, unsigned k)
{
	return k == 0 ? b->count : b->words[k - 1];
}

/* Word of level @k holding bit @i. */
static inline unsigned long *level_word(struct frame_bitmap *b, unsigned k, uint64_t i)
{
	return &b->level[k][i >> WORD_SHIFT];
}

static inline unsigned long bit_of(uint64_t i)
{
	return BIT(i % BITS_PER_LONG);
}

/* ------------------------------------------------------------------------ */
/* Summary maintenance                                                      */
/* ------------------------------------------------------------------------ */

/*
 * Frame @off's bit was just set in a level-0 word that was empty: set the
 * summary bits above it, upwards for as long as a word was empty before.
 */
static inline void summary_mark(struct frame_bitmap *b, uint64_t off)
{
	unsigned k;

#pragma GCC unroll 8
	for (k = 1; k < BITMAP_LEVELS; k++) {
		unsigned long *w, old;

		off >>= WORD_SHIFT;
		w = level_word(b, k, off);
		old = *w;
		*w = old | bit_of(off);
		if (old)
			return;
	}
}

/*
 * Recompute the summary bits above level-0 words [lo, hi] after a range
 * update: each level's bit follows whether its word below is non-empty.
 */
static void summary_refresh(struct frame_bitmap *b, uint64_t lo, uint64_t hi)
{
	unsigned k;
	uint64_t i;

	for (k = 1; k < BITMAP_LEVELS; k++) {
		for (i = lo; i <= hi; i++) {
			if (b->level[k - 1][i])
				*level_word(b, k, i) |= bit_of(i);
			else
				*level_word(b, k, i) &= ~bit_of(i);
		}
		lo >>= WORD_SHIFT;
		hi >>= WORD_SHIFT;
	}
}

/* ------------------------------------------------------------------------ */
/* Searching                                                                */
/* ------------------------------------------------------------------------ */

/* From bit @i of level @k (set), follow the lowest set bits down to a frame. */
static uint64_t level_descend(const struct frame_bitmap *b, unsigned k, uint64_t i)
{
	while (k--)
		i = (i << WORD_SHIFT) + word_ffs(b->level[k][i]);
	return i;
}

/*
 * Lowest free frame at or after offset @pos, or b->count when there is none.
 * Climbs while the rest of the current word is empty, then descends.
 */
static uint64_t map_next_free(const struct frame_bitmap *b, uint64_t pos)
{
	uint64_t i = pos;
	unsigned k;

	for (k = 0; k < BITMAP_LEVELS; k++) {
		unsigned long w;

		if (i >= level_nbits(b, k))
			break;
		w = b->level[k][i >> WORD_SHIFT] & (~0UL << (i % BITS_PER_LONG));
		if (w)
			return level_descend(b, k,
					     (i & ~(uint64_t)(BITS_PER_LONG - 1)) + word_ffs(w));
		i = (i >> WORD_SHIFT) + 1;
	}
	return b->count;
}

/* ------------------------------------------------------------------------ */
/* Range updates                                                            */
/* ------------------------------------------------------------------------ */

/* Check a run about to be freed (added, with @add) and free it; nothing changes on error. */
static int map_give_back(struct frame_bitmap *b, uint64_t first, uint64_t n, bool add)
{
	uint64_t off = first - b->base;
	int st = frame_free_mark_run(b->level[0], b->managed, b->base, b->count, first, n, add);

	if (st != FRAME_OK)
		return st;
	summary_refresh(b, off >> WORD_SHIFT, (off + n - 1) >> WORD_SHIFT);
	b->free += n;
	return FRAME_OK;
}

/* ------------------------------------------------------------------------ */
/* Operations                                                               */
/* ------------------------------------------------------------------------ */

static size_t frame_bitmap_meta_size(uint64_t count)
{
	size_t size = sizeof(struct frame_bitmap);
	unsigned k;

	if (count == 0 || count > BITMAP_MAX_FRAMES)
		return 0;
	for (k = 0; k < BITMAP_LEVELS; k++)
		size += BITS_TO_LONGS(level_bits(count, k)) * sizeof(unsigned long);
	return size + BITS_TO_LONGS(count) * sizeof(unsigned long);	/* managed */
}

static void *frame_bitmap_init(void *meta, struct ppn_range span)
{
	struct frame_bitmap *b = meta;
	uint64_t count = ppn_range_len(span);
	unsigned long *next = (unsigned long *)(b + 1);
	unsigned k;

	if (!frame_bitmap_meta_size(count))
		return NULL;
	b->base = ppn_val(span.start);
	b->count = count;
	b->free = 0;
	for (k = 0; k < BITMAP_LEVELS; k++) {
		b->words[k] = BITS_TO_LONGS(level_bits(count, k));
		b->level[k] = next;
		next += b->words[k];
	}
	b->managed = next;
	next += b->words[0];
	memset(b + 1, 0, (size_t)((char *)next - (char *)(b + 1)));
	return b;
}

static int frame_bitmap_add_free(void *inst, struct ppn_range r)
{
	if (ppn_range_is_empty(r))
		return FRAME_OK;
	return map_give_back(inst, ppn_val(r.start), ppn_range_len(r), true);
}

/*
 * Descend from the top taking the lowest set bit of each level's word, then
 * clear the frame's bit and, while a word becomes empty, its summary bit in
 * the level above. Every bit cleared is the lowest of its word (the descent
 * took it), so w & (w - 1) clears it, on the words the descent loaded.
 */
static int frame_bitmap_alloc(void *inst, ppn_t *out)
{
	struct frame_bitmap *b = inst;
	unsigned long *word[BITMAP_LEVELS], val[BITMAP_LEVELS];
	uint64_t i = 0;
	int k;

	if (unlikely(b->level[BITMAP_TOP][0] == 0))
		return FRAME_ENOMEM;
#pragma GCC unroll 8
	for (k = BITMAP_TOP; k >= 0; k--) {
		word[k] = &b->level[k][i];
		val[k] = *word[k];
		i = (i << WORD_SHIFT) + word_ffs(val[k]);
	}
#pragma GCC unroll 8
	for (k = 0; k < BITMAP_LEVELS; k++) {
		*word[k] = val[k] & (val[k] - 1);
		if (*word[k])
			break;
	}
	b->free--;
	*out = PPN(b->base + i);
	return FRAME_OK;
}

static int frame_bitmap_free(void *inst, ppn_t pn)
{
	struct frame_bitmap *b = inst;
	uint64_t off = ppn_val(pn) - b->base;
	unsigned long *w, old;

	if (unlikely(off >= b->count || !(b->managed[off >> WORD_SHIFT] & bit_of(off))))
		return FRAME_ERANGE;
	w = level_word(b, 0, off);
	old = *w;
	if (unlikely(old & bit_of(off)))
		return FRAME_EDOUBLE;
	*w = old | bit_of(off);
	if (!old)
		summary_mark(b, off);
	b->free++;
	return FRAME_OK;
}

static int frame_bitmap_alloc_run(void *inst, uint64_t n, uint64_t align, ppn_t *out)
{
	struct frame_bitmap *b = inst;
	uint64_t word, start;

	if (!frame_run_args_valid(n, align))
		return FRAME_EINVAL;
	if (n == 1 && align == 1)
		return frame_bitmap_alloc(inst, out);
	if (n > b->free)
		return FRAME_ENOMEM;
	/* The summaries skip the allocated words before the first free frame. */
	word = map_next_free(b, 0) >> WORD_SHIFT;
	start = bitmap_find_run(&b->level[0][word], b->count - (word << WORD_SHIFT), n, align,
				(b->base + (word << WORD_SHIFT)) & (align - 1));
	if (start >= b->count - (word << WORD_SHIFT))
		return FRAME_ENOMEM;
	start += word << WORD_SHIFT;
	bitmap_clear_range(b->level[0], start, n);
	summary_refresh(b, start >> WORD_SHIFT, (start + n - 1) >> WORD_SHIFT);
	b->free -= n;
	*out = PPN(b->base + start);
	return FRAME_OK;
}

static int frame_bitmap_free_run(void *inst, ppn_t first, uint64_t n)
{
	if (n == 0)
		return FRAME_EINVAL;
	if (n == 1)
		return frame_bitmap_free(inst, first);
	return map_give_back(inst, ppn_val(first), n, false);
}

static uint64_t frame_bitmap_free_count(void *inst)
{
	const struct frame_bitmap *b = inst;

	return b->free;
}

/* ------------------------------------------------------------------------ */
/* Debug: validate and walk                                                 */
/* ------------------------------------------------------------------------ */

/* Word @j of summary level @k as it should be: a bit per non-empty word below. */
static unsigned long summary_expected(const struct frame_bitmap *b, unsigned k, uint64_t j)
{
	unsigned long w = 0;
	unsigned i;

	for (i = 0; i < BITS_PER_LONG; i++) {
		uint64_t below = j * BITS_PER_LONG + i;

		if (below < b->words[k - 1] && b->level[k - 1][below])
			w |= BIT(i);
	}
	return w;
}

/*
 * Problems counted: each level-0 bit set past the end of the span or on a
 * frame not managed, a free count that differs from the set bits of level
 * 0, and each summary bit that disagrees with its word below (or is set
 * past the end of its level).
 */
static unsigned frame_bitmap_validate(void *inst, struct audit *a)
{
	const struct frame_bitmap *b = inst;
	uint64_t set = 0, j;
	unsigned problems = 0, k;

	for (j = 0; j < b->words[0]; j++) {
		unsigned long w = b->level[0][j];
		uint64_t first = j * BITS_PER_LONG;

		set += word_popcount(w);
		problems += audit_note(a, word_popcount(w & ~b->managed[j]),
				       "free bit set on a frame not managed, near page 0x%llx",
				       (unsigned long long)(b->base + first));
		if (first + BITS_PER_LONG > b->count)
			problems += audit_note(a, word_popcount(w & ~word_mask(0, (unsigned)(
						       b->count - first))),
					       "free bit set past the end of the span");
	}
	problems += audit_note(a, set != b->free, "%llu free bits, the free count says %llu",
			       (unsigned long long)set, (unsigned long long)b->free);
	for (k = 1; k < BITMAP_LEVELS; k++)
		for (j = 0; j < b->words[k]; j++)
			problems += audit_note(a, word_popcount(b->level[k][j] ^
								summary_expected(b, k, j)),
					       "summary level %u word %llu disagrees with the "
					       "words below it", k, (unsigned long long)j);
	return problems;
}

static void frame_bitmap_walk(void *inst, frame_walk_fn fn, void *arg)
{
	const struct frame_bitmap *b = inst;

	frame_freemap_walk(b->level[0], b->base, b->count, fn, arg);
}

FRAME_ALGO_REGISTER(bitmap, {
	.name = "bitmap",
	.meta_size = frame_bitmap_meta_size,
	.init = frame_bitmap_init,
	.add_free = frame_bitmap_add_free,
	.alloc = frame_bitmap_alloc,
	.free = frame_bitmap_free,
	.alloc_run = frame_bitmap_alloc_run,
	.free_run = frame_bitmap_free_run,
	.free_count = frame_bitmap_free_count,
	.validate = frame_bitmap_validate,
	.walk = frame_bitmap_walk,
});
