/* SPDX-License-Identifier: MIT */
/*
 * The contract between the frame front end (mm/frame/frame.c) and the physical frame
 * algorithms (mm/frame/<name>.c, one file each).
 *
 * An algorithm manages the page numbers of one span [base, base + count) using
 * a metadata area the caller carves from RAM (sized by meta_size; 4 GiB of
 * RAM, 1M frames, needs under 10 MiB with any of them). Frames start out
 * allocated; the caller hands usable ranges over with add_free(). It never
 * touches the frames' contents, uses no globals, locks or architecture code, so
 * the same file builds into the kernel and into host tests.
 *
 * Every algorithm refuses, in every call, a free of a frame that is free
 * (FRAME_EDOUBLE) and of a frame it was never handed by add_free() or that
 * lies outside its span (FRAME_ERANGE), and never panics: the front end
 * turns those statuses into panics.
 *
 * Each algorithm file ends with FRAME_ALGO_REGISTER(name, ops). Host tests
 * link every algorithm: the macro places a struct frame_algo in the
 * "frame_algos" linker section, which they iterate without naming any. The
 * kernel builds exactly one, compiled into the front end's translation unit
 * (mm/frame/frame.c includes it, with FRAME_ALGO_BUILT_IN defined): there
 * the macro defines the static table frame_algo_built_in, so the front end
 * calls the ops directly and the compiler can inline them.
 */
#ifndef MM_FRAME_ALGO_H
#define MM_FRAME_ALGO_H

#include <lib/audit.h>
#include <lib/bitops.h>
#include <mm/range.h>
#include <mmlab/registry.h>

/* Status codes (0 or negative). */
enum frame_status {
	FRAME_OK = 0,
	FRAME_ENOMEM = -1,	/* no free frame, or no free run of that shape */
	FRAME_EINVAL = -2,	/* bad argument (n == 0, alignment not a power of two) */
	FRAME_ERANGE = -3,	/* frame outside the span, or never handed over */
	FRAME_EDOUBLE = -4,	/* frame already free */
};

/* Called by walk() once per maximal run of free or allocated frames. */
typedef void (*frame_walk_fn)(void *arg, bool free, struct ppn_range run);

/*
 * Every operation below works on the instance handle returned by init(); all
 * page numbers are absolute (not offsets into the span). An operation that
 * returns an error status has changed nothing. The algorithm is not thread
 * safe: the front end serialises calls.
 */
struct frame_algo {
	const char *name;	/* "stack", "bitmap", "buddy" */

	/*
	 * meta_size - bytes of metadata needed to manage @count frames.
	 * Returns 0 when the algorithm cannot manage that many.
	 */
	size_t (*meta_size)(uint64_t count);

	/*
	 * init - set up an instance in @meta (meta_size(count) bytes, 8-byte
	 * aligned, owned by the instance from now on) managing the non-empty
	 * page range @span, every frame allocated. Returns the instance
	 * handle (== @meta) or NULL when @span is empty or too large.
	 */
	void *(*init)(void *meta, struct ppn_range span);

	/*
	 * add_free - hand the frames of @r over as free (boot time). An empty
	 * @r is accepted and changes nothing. FRAME_ERANGE when @r leaves the
	 * span, FRAME_EDOUBLE when a frame of @r is already free.
	 */
	int (*add_free)(void *inst, struct ppn_range r);

	/* alloc - one free frame into *@out; FRAME_ENOMEM when none. */
	int (*alloc)(void *inst, ppn_t *out);

	/*
	 * free - give back one frame. FRAME_ERANGE for a frame outside the span
	 * or never handed over by add_free(), FRAME_EDOUBLE for a free one.
	 */
	int (*free)(void *inst, ppn_t pn);

	/*
	 * alloc_run - @n contiguous free frames whose first page number is a
	 * multiple of @align (a power of two, in frames) into *@out, the lowest
	 * such run where the algorithm can tell. FRAME_EINVAL for n == 0 or a
	 * bad @align, FRAME_ENOMEM when no such run exists.
	 */
	int (*alloc_run)(void *inst, uint64_t n, uint64_t align, ppn_t *out);

	/*
	 * free_run - give back [first, first + n); FRAME_EINVAL for n == 0,
	 * otherwise errors as for free, checked for every frame before any is
	 * freed.
	 */
	int (*free_run)(void *inst, ppn_t first, uint64_t n);

	/* free_count - number of free frames. */
	uint64_t (*free_count)(void *inst);

	/*
	 * validate - walk the metadata; number of problems found (0 =
	 * consistent), the first one described in @a (may be NULL).
	 */
	unsigned (*validate)(void *inst, struct audit *a);

	/*
	 * walk - call @fn for each maximal run of free and of allocated frames
	 * of the span, in address order. May reorder internal state (never
	 * which frames are free).
	 */
	void (*walk)(void *inst, frame_walk_fn fn, void *arg);
};

/* ------------------------------------------------------------------------ */
/* Argument checks shared by the algorithm files                            */
/* ------------------------------------------------------------------------ */

/*
 * frame_run_in_span - true when [first, first + n) lies inside the span of
 * @count frames starting at @base, without overflow for any input. A @first
 * below @base wraps to a huge offset and fails the first test.
 */
static inline bool frame_run_in_span(uint64_t base, uint64_t count,
				     uint64_t first, uint64_t n)
{
	uint64_t off = first - base;

	return off < count && n <= count - off;
}

/* frame_run_args_valid - the shape checks of alloc_run (FRAME_EINVAL when false). */
static inline bool frame_run_args_valid(uint64_t n, uint64_t align)
{
	return n != 0 && IS_POWER_OF_2(align);
}

/*
 * Every algorithm keeps two bitmaps over its span (bit i: frame base + i):
 * @managed, the frames add_free() handed over, and @free, its free frames.
 * The helpers below are free()'s and free_run()'s checks on them.
 *
 * frame_free_mark - for frame offset @off: FRAME_ERANGE when it lies outside
 * the @count frames of the span or was never handed over, FRAME_EDOUBLE
 * when it is free; otherwise mark it free and return FRAME_OK.
 */
static inline int frame_free_mark(unsigned long *free, const unsigned long *managed,
				  uint64_t count, uint64_t off)
{
	size_t w = off / BITS_PER_LONG;
	unsigned long bit = BIT(off % BITS_PER_LONG);

	if (unlikely(off >= count || !(managed[w] & bit)))
		return FRAME_ERANGE;
	if (unlikely(free[w] & bit))
		return FRAME_EDOUBLE;
	free[w] |= bit;
	return FRAME_OK;
}

/*
 * frame_free_mark_run - the same for the frames [first, first + n) of the
 * span at page number @base: every frame is checked before any is marked.
 * With @add (add_free), frames not handed over yet are accepted and become
 * managed.
 */
static inline int frame_free_mark_run(unsigned long *free, unsigned long *managed,
				      uint64_t base, uint64_t count, uint64_t first,
				      uint64_t n, bool add)
{
	uint64_t off = first - base;

	if (!frame_run_in_span(base, count, first, n) ||
	    (!add && !bitmap_range_all_set(managed, off, n)))
		return FRAME_ERANGE;
	if (!bitmap_range_all_clear(free, off, n))
		return FRAME_EDOUBLE;
	if (add)
		bitmap_set_range(managed, off, n);
	bitmap_set_range(free, off, n);
	return FRAME_OK;
}

/*
 * frame_freemap_walk - walk() for an algorithm that keeps a bitmap of its
 * free frames (bit i set: frame @base + i is free) over @count frames: call
 * @fn for each maximal run of free and of allocated frames, in order.
 */
static inline void frame_freemap_walk(const unsigned long *map, uint64_t base,
				      uint64_t count, frame_walk_fn fn, void *arg)
{
	uint64_t pos = 0;

	while (pos < count) {
		uint64_t start = bitmap_next_set(map, pos, count);
		uint64_t end = bitmap_next_clear(map, start, count);

		if (start > pos)
			fn(arg, false, ppn_range_make(PPN(base + pos), PPN(base + start)));
		if (end > start)
			fn(arg, true, ppn_range_make(PPN(base + start), PPN(base + end)));
		pos = end;
	}
}

#ifdef FRAME_ALGO_BUILT_IN
#define FRAME_ALGO_REGISTER(ident, ...)					\
	static const struct frame_algo frame_algo_built_in = __VA_ARGS__
#else
#define FRAME_ALGO_REGISTER(ident, ...) \
	REGISTRY_ENTRY(frame_algos, struct frame_algo, frame_algo_##ident) = __VA_ARGS__
#endif

REGISTRY_DECLARE(frame_algos, struct frame_algo);

#define frame_algo_for_each(a)	registry_for_each(frame_algos, a)

#endif /* MM_FRAME_ALGO_H */
