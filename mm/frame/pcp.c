// SPDX-License-Identifier: MIT
/*
 * Per-hart frame caches (CONFIG_FRAME_PCP), a layer between the frame
 * front end and whichever frame algorithm is linked in, after Linux's
 * per-CPU page lists.
 *
 * Idea. Every single-frame allocation and free takes the global frame
 * lock; with many harts they queue on it. Here each hart keeps a small
 * stack of free frames of its own: frame_alloc() pops from it and
 * frame_free() pushes onto it, taking only the hart's own cache lock,
 * which no other hart wants in normal running. Only when the stack is
 * empty does it take the global lock, once, to pop CONFIG_FRAME_PCP_BATCH
 * frames from the algorithm (refill); when it is full (2 * BATCH) it gives
 * the BATCH most recently pushed back in one go (drain). So the global lock
 * is taken about once per BATCH operations, and a frame freed on a hart is
 * the next one that hart gets (still warm in its cache).
 *
 * Why a cache lock at all: frame_alloc() on a hart that finds neither its
 * cache nor the algorithm holding a frame drains every other hart's cache
 * (frames must not look free yet be unobtainable), and frame_validate()
 * reads them. The owner's lock is uncontended otherwise: two atomics.
 *
 * Counts. A cached frame is free: frame_free_count() is the algorithm's
 * count plus every cache's, read under the global lock. Frames move
 * between a cache and the algorithm only under both that cache's lock and
 * the global one, so the sum never counts a batch twice or not at all;
 * a push or pop is a free or an allocation and changes the count as one.
 * Contiguous runs bypass the caches (they come from the algorithm; on a
 * refusal every cache is drained and the run tried once more).
 *
 * Cost: a pop or push is a few instructions inside the lock; a refill or
 * drain is BATCH algorithm calls under one global acquisition.
 */
#include <lib/string.h>
#include <mm/frame.h>
#include <mmlab/smp.h>
#include "internal.h"

#define PCP_BATCH	CONFIG_FRAME_PCP_BATCH
#define PCP_HIGH	(2 * PCP_BATCH)		/* frames a cache holds at most */

/* One hart's cache, on its own cache lines. */
struct frame_pcp {
	struct spinlock lock;
	unsigned count;			/* frames in pn[]; read by others (atomic) */
	ppn_t pn[PCP_HIGH];		/* a stack: pn[count - 1] is the warmest */
} __aligned(64);

static struct frame_source *pcp_src;
static struct frame_pcp pcps[NR_CPUS];

/* ------------------------------------------------------------------ */
/* One cache (its lock held)                                           */
/* ------------------------------------------------------------------ */

static void pcp_count_set(struct frame_pcp *pcp, unsigned n)
{
	__atomic_store_n(&pcp->count, n, __ATOMIC_RELAXED);
}

/*
 * Pop up to PCP_BATCH frames from the algorithm into the empty @pcp.
 * Return: FRAME_OK or FRAME_ENOMEM (whatever was got is kept), or the
 * algorithm's failure for frame *@bad.
 */
static int __pcp_refill(struct frame_pcp *pcp, ppn_t *bad)
{
	int st = FRAME_OK;

	spin_lock(&pcp_src->lock);
	while (pcp->count < PCP_BATCH) {
		st = pcp_src->algo->alloc(pcp_src->inst, &pcp->pn[pcp->count]);
		if (st != FRAME_OK) {
			*bad = pcp->pn[pcp->count];
			break;
		}
		pcp_count_set(pcp, pcp->count + 1);
	}
	spin_unlock(&pcp_src->lock);
	return st;
}

/*
 * Give the @n warmest frames of @pcp back to the algorithm. Return:
 * FRAME_OK, or the first refusal (the rest are still given back) with its
 * frame in *@bad.
 */
static int __pcp_drain(struct frame_pcp *pcp, unsigned n, ppn_t *bad)
{
	int first = FRAME_OK;

	spin_lock(&pcp_src->lock);
	while (n--) {
		ppn_t pn = pcp->pn[pcp->count - 1];
		int st = pcp_src->algo->free(pcp_src->inst, pn);

		pcp_count_set(pcp, pcp->count - 1);
		if (st != FRAME_OK && first == FRAME_OK) {
			first = st;
			*bad = pn;
		}
	}
	spin_unlock(&pcp_src->lock);
	return first;
}

static struct frame_pcp *pcp_mine(void)
{
	return &pcps[smp_cpu_id()];
}

/* ------------------------------------------------------------------ */
/* Interface for frame.c                                               */
/* ------------------------------------------------------------------ */

void frame_pcp_init(struct frame_source *src)
{
	unsigned cpu;

	pcp_src = src;
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		pcps[cpu] = (struct frame_pcp){ .lock = SPINLOCK_INIT(frame_lock.pcp) };
}

int frame_pcp_alloc(ppn_t *pn)
{
	struct frame_pcp *pcp = pcp_mine();
	int st = FRAME_OK;

	spin_lock(&pcp->lock);
	if (unlikely(!pcp->count)) {
		st = __pcp_refill(pcp, pn);
		if (unlikely(st != FRAME_OK && st != FRAME_ENOMEM)) {
			spin_unlock(&pcp->lock);
			return st;	/* the algorithm failed at frame *pn */
		}
	}
	if (likely(pcp->count)) {
		*pn = pcp->pn[pcp->count - 1];
		pcp_count_set(pcp, pcp->count - 1);
		spin_unlock(&pcp->lock);
		return FRAME_OK;
	}
	spin_unlock(&pcp->lock);
	if (st != FRAME_ENOMEM)
		return st;
	/* The algorithm is empty: the other harts' caches may not be. */
	st = frame_pcp_drain_all(pn);
	if (st != FRAME_OK)
		return st;
	spin_lock(&pcp_src->lock);
	st = pcp_src->algo->alloc(pcp_src->inst, pn);
	spin_unlock(&pcp_src->lock);
	return st;
}

int frame_pcp_free(ppn_t pn, ppn_t *bad)
{
	struct frame_pcp *pcp = pcp_mine();
	int st = FRAME_OK;

	spin_lock(&pcp->lock);
	if (unlikely(pcp->count == PCP_HIGH))
		st = __pcp_drain(pcp, PCP_BATCH, bad);
	pcp->pn[pcp->count] = pn;
	pcp_count_set(pcp, pcp->count + 1);
	spin_unlock(&pcp->lock);
	return st;
}

int frame_pcp_drain_all(ppn_t *bad)
{
	int first = FRAME_OK;
	unsigned cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		struct frame_pcp *pcp = &pcps[cpu];
		int st;

		spin_lock(&pcp->lock);
		st = __pcp_drain(pcp, pcp->count, bad);
		spin_unlock(&pcp->lock);
		if (first == FRAME_OK)
			first = st;
	}
	return first;
}

uint64_t frame_pcp_count(void)
{
	uint64_t n = 0;
	unsigned cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		n += __atomic_load_n(&pcps[cpu].count, __ATOMIC_RELAXED);
	return n;
}

unsigned frame_pcp_validate(bool (*managed)(ppn_t pn), struct audit *a)
{
	unsigned problems = 0, cpu, i;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		struct frame_pcp *pcp = &pcps[cpu];

		spin_lock(&pcp->lock);
		problems += audit_note(a, pcp->count > PCP_HIGH, "hart %u's frame cache holds %u "
				       "frames, more than %u", cpu, (unsigned)pcp->count, PCP_HIGH);
		for (i = 0; i < pcp->count && i < PCP_HIGH; i++)
			problems += audit_note(a, !managed(pcp->pn[i]), "hart %u's frame cache "
					       "holds page 0x%llx, which is not managed", cpu,
					       (unsigned long long)ppn_val(pcp->pn[i]));
		spin_unlock(&pcp->lock);
	}
	return problems;
}

/* Hold the calling hart's cache lock (the one frame_free() takes first). */
void frame_pcp_lock_for_test(void)
{
	spin_lock(&pcp_mine()->lock);
}

/* Drop the lock frame_pcp_lock_for_test() took. */
void frame_pcp_unlock_for_test(void)
{
	spin_unlock(&pcp_mine()->lock);
}
