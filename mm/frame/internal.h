/* SPDX-License-Identifier: MIT */
/*
 * What the frame front end (frame.c) shares inside mm/frame/: with the
 * per-hart frame caches (pcp.c, CONFIG_FRAME_PCP), and the self-test hooks
 * for the in-kernel suites only (mm/frame/frame_test.c, mm/memmap_test.c).
 * The hooks break the promises of <mm/frame.h> on purpose, so they are
 * declared here rather than in the public header and built only with
 * CONFIG_KTEST: an image without the self-tests has none of them.
 */
#ifndef MM_FRAME_INTERNAL_H
#define MM_FRAME_INTERNAL_H

#include <mm/frame.h>
#include <mm/frame_algo.h>
#include <mmlab/spinlock.h>

/* The algorithm instance every frame comes from, and the lock guarding it. */
struct frame_source {
	struct spinlock lock;
	const struct frame_algo *algo;
	void *inst;
};

/*
 * Per-hart caches (pcp.c). Each hart keeps a stack of up to
 * 2 * CONFIG_FRAME_PCP_BATCH free frames under its own lock; it refills
 * from and drains to @src in batches of CONFIG_FRAME_PCP_BATCH, one
 * acquisition of @src->lock per batch. Lock order: a hart's cache lock,
 * then @src->lock; never two cache locks at once.
 *
 * frame_pcp_init - set up every hart's cache over @src (empty), at boot.
 * frame_pcp_alloc - a frame for the caller into *@pn: FRAME_OK, FRAME_ENOMEM
 *	when no cache and not the algorithm has one, or the algorithm's
 *	status for frame *@pn.
 * frame_pcp_free - take back the frame @pn (checked by the caller). A
 *	drain may refuse a frame the algorithm had free already: the status
 *	and that frame go to *@bad (FRAME_OK when all went back).
 * frame_pcp_drain_all - give every cached frame back to the algorithm;
 *	Return: FRAME_OK, or the first refusal with its frame in *@bad.
 * frame_pcp_count - frames in all caches; call with @src->lock held, so
 *	that no batch is between a cache and the algorithm.
 * frame_pcp_validate - problems in the caches: a count over the limit or a
 *	cached frame @managed does not accept; the first described in @a.
 * frame_pcp_lock_for_test, frame_pcp_unlock_for_test - hold the calling
 *	hart's cache lock (the one frame_free() takes first).
 */
void frame_pcp_init(struct frame_source *src);
int frame_pcp_alloc(ppn_t *pn);
int frame_pcp_free(ppn_t pn, ppn_t *bad);
int frame_pcp_drain_all(ppn_t *bad);
uint64_t frame_pcp_count(void);
unsigned frame_pcp_validate(bool (*managed)(ppn_t pn), struct audit *a);
void frame_pcp_lock_for_test(void);
void frame_pcp_unlock_for_test(void);


/*
 * frame_forge_for_test - Return: a handle for @pn that the allocator did not
 * hand out (to prove that freeing it panics).
 */
static inline struct frame frame_forge_for_test(ppn_t pn)
{
	return (struct frame){ .pn = pn };
}

/*
 * frame_lock_for_test / frame_unlock_for_test - hold / drop the lock
 * frame_free() takes first (the frame lock, or with CONFIG_FRAME_PCP the
 * calling hart's cache lock "frame_lock.pcp"), to prove that freeing under
 * it panics instead of deadlocking.
 * (mm/frame/frame.c)
 */
void frame_lock_for_test(void);
void frame_unlock_for_test(void);

/*
 * frame_test_fill - allocate up to @limit frames (UINT64_MAX: all that are
 * free), calling @visit (if not NULL) on each; the handles are kept in
 * index frames taken by the fill, so no heap is needed to remember them.
 * Return: the frames allocated by this call. frame_test_release() frees
 * every frame the fills since the last release took and returns the count.
 * (mm/frame/frame_test.c)
 */
uint64_t frame_test_fill(uint64_t limit, void (*visit)(ppn_t pn, void *arg), void *arg);
uint64_t frame_test_release(void);

#endif /* MM_FRAME_INTERNAL_H */
