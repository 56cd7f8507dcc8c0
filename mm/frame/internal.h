/* SPDX-License-Identifier: MIT */
/*
 * Self-test hooks of the frame front end, for the in-kernel suites only
 * (mm/frame/frame_test.c, mm/memmap_test.c). They break the promises of
 * <mm/frame.h> on purpose, so they are declared here rather than in the
 * public header and built only with CONFIG_KTEST: an image without the
 * self-tests has none of them.
 */
#ifndef MM_FRAME_INTERNAL_H
#define MM_FRAME_INTERNAL_H

#include <mm/frame.h>

/*
 * frame_forge_for_test - Return: a handle for @pn that the allocator did not
 * hand out (to prove that freeing it panics).
 */
static inline struct frame frame_forge_for_test(ppn_t pn)
{
	return (struct frame){ .pn = pn };
}

/*
 * frame_lock_for_test / frame_unlock_for_test - hold / drop the frame lock,
 * to prove that freeing under it panics instead of deadlocking.
 * (mm/frame/frame.c)
 */
void frame_lock_for_test(void);
void frame_unlock_for_test(void);

/*
 * frame_test_fill - allocate up to @limit frames (UINT64_MAX: all that are
 * free), calling @visit (if not NULL) on each; each frame's first words hold
 * the handle of the one before, so no heap is needed to remember them.
 * Return: the frames allocated by this call. frame_test_release() frees
 * every frame the fills since the last release took and returns the count.
 * (mm/frame/frame_test.c)
 */
uint64_t frame_test_fill(uint64_t limit, void (*visit)(ppn_t pn, void *arg), void *arg);
uint64_t frame_test_release(void);

#endif /* MM_FRAME_INTERNAL_H */
