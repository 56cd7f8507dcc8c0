/* SPDX-License-Identifier: MIT */
/*
 * The contract between the frame front end (mm/frame.c) and the physical frame
 * algorithms (mm/frame_<name>.c, one file each).
 *
 * An algorithm manages the page numbers of one span [base, base + count) using
 * a metadata area the caller carves from RAM (sized by meta_size). Frames start
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

#include <mmlab/compiler.h>

/* Status codes (0 or negative). */
enum frame_status {
	FRAME_OK = 0,
	FRAME_ENOMEM = -1,	/* no free frame, or no free run of that shape */
	FRAME_EINVAL = -2,	/* bad argument (n == 0, alignment not a power of two) */
	FRAME_ERANGE = -3,	/* frame outside the managed span */
	FRAME_EDOUBLE = -4,	/* frame already free */
};

/* FRAME_ALGO_CHECK: detect double frees even where the algorithm finds it costly. */
#define FRAME_ALGO_CHECK	0x1u

typedef void (*frame_walk_fn)(void *arg, bool free, uint64_t first, uint64_t count);

struct frame_algo {
	const char *name;	/* "stack", "bitmap" */

	/* meta_size - bytes of metadata needed to manage @count frames with @flags. */
	size_t (*meta_size)(uint64_t count, unsigned flags);

	/*
	 * init - set up an instance in @meta (meta_size bytes, 8-byte aligned)
	 * managing page numbers [base, base + count), all allocated. Returns
	 * the instance handle (== @meta) or NULL on bad arguments.
	 */
	void *(*init)(void *meta, uint64_t base, uint64_t count, unsigned flags);

	/* add_free - hand [first, first + n) over as free frames (boot time). */
	int (*add_free)(void *inst, uint64_t first, uint64_t n);

	/* alloc - one free frame into *@out; FRAME_ENOMEM when none. */
	int (*alloc)(void *inst, uint64_t *out);

	/* free - give back one frame; FRAME_ERANGE or FRAME_EDOUBLE on bad input (then nothing changes). */
	int (*free)(void *inst, uint64_t pn);

	/*
	 * alloc_run - @n contiguous free frames whose first page number is a
	 * multiple of @align (a power of two, in frames) into *@out.
	 * FRAME_ENOMEM when no such run exists; nothing changes on failure.
	 */
	int (*alloc_run)(void *inst, uint64_t n, uint64_t align, uint64_t *out);

	/* free_run - give back a run from alloc_run; errors as for free, checked for every frame before any is freed. */
	int (*free_run)(void *inst, uint64_t first, uint64_t n);

	uint64_t (*free_count)(void *inst);

	/* validate - walk the metadata; number of problems found (0 = consistent). */
	unsigned (*validate)(void *inst);

	/* walk - report maximal runs of free and allocated frames in address order. */
	void (*walk)(void *inst, frame_walk_fn fn, void *arg);
};

#define FRAME_ALGO_REGISTER(ident, ...)					\
	__attribute__((used, section("frame_algos"), aligned(8)))	\
	const struct frame_algo frame_algo_##ident = __VA_ARGS__

extern const struct frame_algo __start_frame_algos[], __stop_frame_algos[];

#define frame_algo_for_each(a) \
	for (a = __start_frame_algos; a < __stop_frame_algos; a++)

#endif /* MM_FRAME_ALGO_H */
