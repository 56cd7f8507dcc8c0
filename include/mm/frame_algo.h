/* SPDX-License-Identifier: MIT */
/*
 * The contract between the frame front end (mm/frame/frame.c) and the physical frame
 * algorithms (mm/frame/<name>.c, one file each).
 *
 * An algorithm manages the page numbers of one span [base, base + count) using
 * a metadata area the caller carves from RAM (sized by meta_size; 4 GiB of
 * RAM, 1M frames, needs at most a few MiB with either algorithm). Frames start
 * out allocated; the caller hands usable ranges over with add_free(). It never
 * touches the frames' contents, uses no globals, locks or architecture code, so
 * the same file builds into the kernel and into host tests.
 *
 * Each algorithm file ends with FRAME_ALGO_REGISTER(name, ops), placing a
 * struct frame_algo in the "frame_algos" linker section: the kernel links one,
 * host tests link all and iterate, without naming any.
 */
#ifndef MM_FRAME_ALGO_H
#define MM_FRAME_ALGO_H

#include <mm/range.h>
#include <mmlab/registry.h>

/* Status codes (0 or negative). */
enum frame_status {
	FRAME_OK = 0,
	FRAME_ENOMEM = -1,	/* no free frame, or no free run of that shape */
	FRAME_EINVAL = -2,	/* bad argument (n == 0, alignment not a power of two) */
	FRAME_ERANGE = -3,	/* frame outside the managed span */
	FRAME_EDOUBLE = -4,	/* frame already free */
};

/*
 * FRAME_ALGO_CHECK: detect double frees even where the algorithm finds it
 * costly (it may need more metadata: pass the same flags to meta_size).
 */
#define FRAME_ALGO_CHECK	0x1u

/* Called by walk() once per maximal run of free or allocated frames. */
typedef void (*frame_walk_fn)(void *arg, bool free, struct ppn_range run);

/*
 * Every operation below works on the instance handle returned by init(); all
 * page numbers are absolute (not offsets into the span). An operation that
 * returns an error status has changed nothing. The algorithm is not thread
 * safe: the front end serialises calls.
 */
struct frame_algo {
	const char *name;	/* "stack", "bitmap" */

	/*
	 * meta_size - bytes of metadata needed to manage @count frames with
	 * @flags. Returns 0 when the algorithm cannot manage that many.
	 */
	size_t (*meta_size)(uint64_t count, unsigned flags);

	/*
	 * init - set up an instance in @meta (meta_size(count, flags) bytes,
	 * 8-byte aligned, owned by the instance from now on) managing the
	 * non-empty page range @span, every frame allocated. Returns the
	 * instance handle (== @meta) or NULL when @span is empty or too large.
	 */
	void *(*init)(void *meta, struct ppn_range span, unsigned flags);

	/*
	 * add_free - hand the frames of @r over as free (boot time). An empty
	 * @r is accepted and changes nothing. FRAME_ERANGE when @r leaves the
	 * span, FRAME_EDOUBLE when a frame of @r is already free (reliably
	 * only with FRAME_ALGO_CHECK for algorithms that find it costly).
	 */
	int (*add_free)(void *inst, struct ppn_range r);

	/* alloc - one free frame into *@out; FRAME_ENOMEM when none. */
	int (*alloc)(void *inst, ppn_t *out);

	/*
	 * free - give back one frame; FRAME_ERANGE or FRAME_EDOUBLE on bad input.
	 * Every mode refuses a free into a span whose frames are all free.
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

	/* validate - walk the metadata; number of problems found (0 = consistent). */
	unsigned (*validate)(void *inst);

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

#define FRAME_ALGO_REGISTER(ident, ...) \
	REGISTRY_ENTRY(frame_algos, struct frame_algo, frame_algo_##ident) = __VA_ARGS__

REGISTRY_DECLARE(frame_algos, struct frame_algo);

#define frame_algo_for_each(a)	registry_for_each(frame_algos, a)

#endif /* MM_FRAME_ALGO_H */
