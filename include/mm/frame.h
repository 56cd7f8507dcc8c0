/* SPDX-License-Identifier: MIT */
/*
 * Physical frames: the kernel's front end to the frame algorithm.
 *
 * One global allocator manages the RAM the memory map left free, using the
 * single algorithm the configuration built in (FRAME_ALLOC_STACK,
 * FRAME_ALLOC_BITMAP or FRAME_ALLOC_BUDDY; this interface never names one).
 * Its metadata is carved from RAM at boot, never from the kernel heap. One
 * spinlock, in the allocator's struct, serialises every call.
 *
 * Handles. struct frame and struct frame_run are handles to frames the
 * caller owns. Only the allocator (mm/frame/frame.c) makes them: code outside it
 * never builds one from a number, so a handle always names frames that were
 * handed out. Freeing through a handle gives the frames back.
 *
 * What a free checks, in every build and with every algorithm: a frame that
 * is free already (the same handle, or a copy of it, freed twice before the
 * frame was handed out again) panics "frame_free: double free of frame
 * 0x..."; a frame the allocator does not manage (the kernel image, firmware,
 * the allocator's metadata, beyond RAM) panics "... outside managed memory".
 * What no allocator can see: a stale copy freed after the frame was handed
 * out again frees the new owner's frame. CONFIG_DEBUG_FRAMES adds poison:
 * a write into a frame while it was free panics when it is handed out again.
 *
 *	struct frame f;
 *	if (frame_alloc(&f))
 *		return -1;			// out of frames: a normal return
 *	... frame_pa(f) ...
 *	frame_free(f);
 *
 * Scoped handles free themselves when the variable leaves scope:
 *
 *	FRAME_SCOPED(tmp);
 *	if (frame_alloc(&tmp)) ...
 *	...					// frame_put(&tmp) runs at '}'
 *
 * frame_take() moves a frame out of a scoped handle so it outlives it.
 *
 * Deadlock trap: never free a frame while holding the frame lock (a walk()
 * callback runs under it). The spinlock catches this and panics with
 * "recursive acquire of frame_lock" instead of hanging.
 */
#ifndef MM_FRAME_H
#define MM_FRAME_H

#include <mm/frame_algo.h>

struct memmap;

/* One frame the caller owns. Build only through the allocator. */
struct frame {
	ppn_t pn;
};

/* Contiguous frames [first, first + count) the caller owns. */
struct frame_run {
	ppn_t first;
	uint64_t count;
};

/* The empty handle: names no frame; freeing it through frame_put is a no-op. */
#define FRAME_NONE	((struct frame){ .pn = { 0 } })

/* frame_ppn - Return: the page number of @f. */
static inline ppn_t frame_ppn(struct frame f)
{
	return f.pn;
}

/* frame_pa - Return: the physical address of the first byte of @f. */
static inline paddr_t frame_pa(struct frame f)
{
	return ppn_to_pa(f.pn);
}

/*
 * frame_ptr - Return: a pointer to the contents of @f. The kernel runs with
 * physical memory identity-mapped (no paging yet), so this is the address.
 */
static inline void *frame_ptr(struct frame f)
{
	return va_to_ptr(VADDR(pa_val(frame_pa(f))));
}

/* frame_is_none - Return: true when @f is FRAME_NONE (holds no frame). */
static inline bool frame_is_none(struct frame f)
{
	return ppn_val(f.pn) == 0;
}

/* frame_run_pages - Return: the page range of @r. */
static inline struct ppn_range frame_run_pages(struct frame_run r)
{
	return ppn_range_sized(r.first, r.count);
}

/* frame_run_ptr - Return: a pointer to the run's first byte (see frame_ptr). */
static inline void *frame_run_ptr(struct frame_run r)
{
	return va_to_ptr(VADDR(pa_val(ppn_to_pa(r.first))));
}

/*
 * frame_init - set up the allocator over @map's free ranges: pick the one
 * registered algorithm, carve its metadata from the first free frames large
 * enough, hand it the rest and print "mm: frames total=N free=M algo=A".
 * Panics when not exactly one algorithm is linked in or no free range can
 * hold the metadata.
 */
void frame_init(const struct memmap *map);

/*
 * frame_alloc - allocate one frame into *@out.
 * Return: 0, or FRAME_ENOMEM when no frame is free (*@out untouched).
 * The caller owns the frame until frame_free().
 */
int frame_alloc(struct frame *out);

/*
 * frame_free - give back the frame @f names. Panics ("frame_free: ...
 * frame 0x...") on a double free or a frame outside managed memory (see
 * the top of this file for exactly what is caught).
 */
void frame_free(struct frame f);

/*
 * frame_alloc_run - allocate @n contiguous frames whose first page number is
 * a multiple of @align (a power of two, in frames) into *@out.
 * Return: 0, FRAME_ENOMEM when no such run is free, or FRAME_EINVAL for
 * n == 0 or a bad @align (*@out untouched on error). The caller owns the run
 * until frame_free_run().
 */
int frame_alloc_run(uint64_t n, uint64_t align, struct frame_run *out);

/* frame_free_run - give back the whole run @r; panics as frame_free does. */
void frame_free_run(struct frame_run r);

/* frame_total - Return: frames of RAM (RAM bytes / 4096, whole pages). */
uint64_t frame_total(void);

/* frame_free_count - Return: frames free in the allocator right now. */
uint64_t frame_free_count(void);

/* frame_managed - Return: true when @pn is a frame the allocator hands out. */
bool frame_managed(ppn_t pn);

/*
 * frame_meta_pages - Return: the frames holding the allocator's metadata
 * (and, with CONFIG_DEBUG_FRAMES, its poison map), taken out of free RAM.
 */
struct ppn_range frame_meta_pages(void);

/* frame_algo_name - Return: the algorithm's name ("stack", "bitmap", "buddy"). */
const char *frame_algo_name(void);

/*
 * frame_algo_active - the algorithm behind frame_alloc(), so benchmarks can
 * run a private instance of it (over page numbers they never touch) and
 * show what the front end adds. Return: its ops table.
 */
const struct frame_algo *frame_algo_active(void);

/*
 * frame_walk - call @fn for each maximal run of free and allocated frames
 * of the managed span, in address order (for memory maps). @fn runs with the
 * frame lock held and must not allocate or free frames.
 */
void frame_walk(frame_walk_fn fn, void *arg);

/*
 * frame_validate - check the allocator's metadata (and the per-hart caches);
 * when it finds problems, one line names how many and the first.
 * Return: the problems found (0 = none).
 */
unsigned frame_validate(void);

/* frame_put - free *@f unless it is FRAME_NONE, then make it FRAME_NONE. */
void frame_put(struct frame *f);

/* frame_take - Return: *@f, leaving FRAME_NONE behind (ownership moves out). */
static inline struct frame frame_take(struct frame *f)
{
	struct frame out = *f;

	*f = FRAME_NONE;
	return out;
}

/* FRAME_SCOPED(name) - declare a handle freed automatically at end of scope. */
#define FRAME_SCOPED(name)	struct frame name __cleanup(frame_put) = FRAME_NONE

#endif /* MM_FRAME_H */
