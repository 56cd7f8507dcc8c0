/* SPDX-License-Identifier: MIT */
/*
 * What the frame front end (frame.c) shares with the per-hart frame caches
 * (pcp.c, CONFIG_FRAME_PCP). Nothing outside mm/frame/ includes this.
 */
#ifndef MM_FRAME_INTERNAL_H
#define MM_FRAME_INTERNAL_H

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
 *	cached frame @managed does not accept.
 * frame_pcp_lock_for_test, frame_pcp_unlock_for_test - hold the calling
 *	hart's cache lock (the one frame_free() takes first).
 */
void frame_pcp_init(struct frame_source *src);
int frame_pcp_alloc(ppn_t *pn);
int frame_pcp_free(ppn_t pn, ppn_t *bad);
int frame_pcp_drain_all(ppn_t *bad);
uint64_t frame_pcp_count(void);
unsigned frame_pcp_validate(bool (*managed)(ppn_t pn));
void frame_pcp_lock_for_test(void);
void frame_pcp_unlock_for_test(void);

#endif /* MM_FRAME_INTERNAL_H */
