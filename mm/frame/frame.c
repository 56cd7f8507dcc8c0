// SPDX-License-Identifier: MIT
/*
 * The frame front end (see <mm/frame.h>): one global instance of the frame
 * algorithm the configuration chose, guarded by one spinlock.
 *
 * Design. The kernel builds exactly one algorithm, and builds it into this
 * file: mm/frame/Makefile passes the chosen file's name as
 * FRAME_ALGO_SOURCE and it is included below with FRAME_ALGO_BUILT_IN
 * defined, so its FRAME_ALGO_REGISTER() defines the static table
 * frame_algo_built_in (this file never names an algorithm). Calls through
 * that constant table are direct calls the compiler can inline, and the two
 * hot entry points are flattened: frame_alloc() and frame_free() are the
 * lock, the algorithm's own code and one test of its status, with no ops
 * table load, indirect jump or second prologue. What the front end still
 * adds to a pair is the lock (31 instructions), the two prologues (16) and
 * the call (7): docs/frames.md counts them.
 *
 * frame_init() sizes the metadata from the span of RAM pages with
 * meta_size(), and carves it from the start of the first free range that
 * can hold it, so 4 GiB of RAM needs no kernel heap at all. The rest of the
 * free ranges become the "managed" ranges, handed to the algorithm with
 * add_free() and remembered here, largest first, for frame_managed(): they
 * never change after boot, so that needs no lock.
 *
 * Every check of a free is the algorithm's, in O(1) for one frame: it
 * refuses frames outside its span or never handed over (FRAME_ERANGE) and
 * frames that are free (FRAME_EDOUBLE), in every build. The lock is held
 * only around the algorithm call and the poison bit; the poison fill and
 * check (4 KiB each) run outside it. Status codes become panics naming the
 * frame; only FRAME_ENOMEM (and FRAME_EINVAL for a bad run shape) reach the
 * caller.
 *
 * CONFIG_DEBUG_FRAMES: freed frames are filled with FRAME_POISON and marked
 * in a poison map (a bit per frame, carved with the metadata); an
 * allocation that gets a marked frame checks the fill and panics if
 * anything wrote to the frame while it was free. The fill happens before
 * the free, while the caller still owns the frame: after it another hart
 * may be handed the frame at once. A free of a frame already marked is a
 * double free, caught before anything is written (so also while the frame
 * sits in a per-hart cache).
 *
 * CONFIG_FRAME_PCP: single frames go through the per-hart caches of
 * pcp.c, which refill from and drain to the algorithm in batches; a cached
 * frame counts as free, and a frame freed into a cache is not seen by the
 * algorithm, so only DEBUG_FRAMES catches its double free. Runs and
 * everything else go to the algorithm; a refused run, and frame_walk(),
 * first empty every cache.
 */
#define FRAME_ALGO_BUILT_IN	/* before <mm/frame_algo.h>: see above */
#include <mm/frame.h>
#include <mm/memmap.h>
#include <lib/bitops.h>
#include <lib/sort.h>
#include <lib/string.h>
#include <mmlab/panic.h>
#include <mmlab/printk.h>
#include <mmlab/spinlock.h>
#include "internal.h"

#ifndef FRAME_ALGO_SOURCE
#error "FRAME_ALGO_SOURCE names the frame algorithm's file (set by mm/frame/Makefile)"
#endif
#include FRAME_ALGO_SOURCE

/* The one algorithm, as a constant: direct calls, inlined where they pay. */
#define ALGO	(&frame_algo_built_in)

#define FRAME_POISON	0xf4eef4eef4eef4eeUL	/* fills every word of a freed frame */

struct frame_allocator {
	struct frame_source src;	/* its lock guards the instance and poisoned */
	struct ppn_range span;		/* pages the algorithm manages */
	struct ppn_range meta;		/* pages holding inst and poisoned */
	unsigned long *poisoned;	/* DEBUG_FRAMES: bit per span frame */
	struct ppn_range managed[MEMMAP_MAX_FREE];	/* free at boot; fixed after */
	unsigned nr_managed;
	uint64_t total;			/* frames of RAM */
};

static struct frame_allocator frames = {
	.src = { .lock = SPINLOCK_INIT(frame_lock), .algo = ALGO },
};
LOCK_STAT_REGISTER(frame_lock, &frames.src.lock);

/* ------------------------------------------------------------------------ */
/* Managed ranges, statuses and poison                                      */
/* ------------------------------------------------------------------------ */

/* True when a managed range holds frame @pn (frame_managed; no lock needed). */
static bool managed_has(ppn_t pn)
{
	unsigned i;

	for (i = 0; i < frames.nr_managed; i++)
		if (ppn_range_contains(frames.managed[i], pn))
			return true;
	return false;
}

/* Panic naming @fn and frame @pn for the algorithm's error status @st. */
static __noreturn void status_panic(const char *fn, int st, ppn_t pn)
{
	if (st == FRAME_EDOUBLE)
		panic("%s: double free of frame " PA_FMT, fn, PA_ARG(ppn_to_pa(pn)));
	if (st == FRAME_ERANGE)
		panic("%s: frame " PA_FMT " outside managed memory", fn,
		      PA_ARG(ppn_to_pa(pn)));
	panic("%s: algorithm %s failed with %d at frame " PA_FMT, fn,
	      ALGO->name, st, PA_ARG(ppn_to_pa(pn)));
}

/* Return unless @st is an error status, which panics (see status_panic). */
static inline void status_check(const char *fn, int st, ppn_t pn)
{
	if (unlikely(st != FRAME_OK))
		status_panic(fn, st, pn);
}

/* The words of frame @pn (identity-mapped, see frame_ptr). */
static unsigned long *frame_words(ppn_t pn)
{
	return frame_ptr((struct frame){ .pn = pn });
}

/* Fill the frames of @r with the poison pattern. */
static void pages_poison(struct ppn_range r)
{
	ppn_t pn;

	page_range_for_each(pn, r) {
		unsigned long *w = frame_words(pn);
		size_t i;

		for (i = 0; i < PAGE_SIZE / sizeof(*w); i++)
			w[i] = FRAME_POISON;
	}
}

/* Panic unless frame @pn still holds nothing but the poison pattern. */
static void page_poison_check(ppn_t pn)
{
	const unsigned long *w = frame_words(pn);
	size_t i;

	for (i = 0; i < PAGE_SIZE / sizeof(*w); i++)
		if (unlikely(w[i] != FRAME_POISON))
			panic("frame_alloc: frame " PA_FMT " modified after free "
			      "(word %zu is 0x%lx)", PA_ARG(ppn_to_pa(pn)), i, w[i]);
}

/* Mark the frames of @r as poisoned (@on) or not; takes the lock. */
static void poison_mark(struct ppn_range r, bool on)
{
	ppn_t pn;

	spin_lock(&frames.src.lock);
	page_range_for_each(pn, r) {
		size_t bit = ppn_diff(pn, frames.span.start);

		if (on)
			bitmap_set_bit(frames.poisoned, bit);
		else
			bitmap_clear_bit(frames.poisoned, bit);
	}
	spin_unlock(&frames.src.lock);
}

/* True when frame @pn is marked poisoned (freed and not handed out since). */
static bool page_poisoned(ppn_t pn)
{
	return bitmap_test(frames.poisoned, ppn_diff(pn, frames.span.start));
}

/*
 * DEBUG_FRAMES, before a free by @fn: panic on a frame of @r that is not
 * managed (it must not be written) or already marked (a double free), then
 * fill the frames and mark them poisoned while the caller still owns them.
 */
static void pages_bury(const char *fn, struct ppn_range r)
{
	ppn_t pn;

	if (!IS_ENABLED(CONFIG_DEBUG_FRAMES))
		return;
	page_range_for_each(pn, r) {
		if (unlikely(!managed_has(pn)))
			status_panic(fn, FRAME_ERANGE, pn);
		if (unlikely(page_poisoned(pn)))
			status_panic(fn, FRAME_EDOUBLE, pn);
	}
	pages_poison(r);
	poison_mark(r, true);
}

/*
 * After an allocation: check the fill of every frame of @r marked poisoned
 * and unmark them. The caller owns the frames now, so their bits are stable
 * and can be read without the lock; clearing them takes it.
 */
static void pages_exhume(struct ppn_range r)
{
	ppn_t pn;

	if (!IS_ENABLED(CONFIG_DEBUG_FRAMES))
		return;
	page_range_for_each(pn, r)
		if (page_poisoned(pn))
			page_poison_check(pn);
	poison_mark(r, false);
}

/* ------------------------------------------------------------------------ */
/* Boot                                                                     */
/* ------------------------------------------------------------------------ */

/* Where the poison map starts: after the algorithm's metadata, word aligned. */
static size_t poison_map_offset(uint64_t count)
{
	size_t algo_bytes = ALGO->meta_size(count);

	if (algo_bytes == 0)
		panic("frame_init: algorithm %s cannot manage %lu frames",
		      ALGO->name, (unsigned long)count);
	return ALIGN_UP(algo_bytes, sizeof(long));
}

/* Bytes of metadata: the algorithm's plus, with DEBUG_FRAMES, the poison map. */
static size_t meta_bytes(uint64_t count)
{
	size_t poison = IS_ENABLED(CONFIG_DEBUG_FRAMES) ?
			BITS_TO_LONGS(count) * sizeof(long) : 0;

	return poison_map_offset(count) + poison;
}

/*
 * Take @pages frames from the start of the first free range of @map that
 * holds them; copy the rest of the free ranges into frames.managed.
 */
static struct ppn_range meta_carve(const struct memmap *map, uint64_t pages)
{
	struct ppn_range meta = { PPN(0), PPN(0) };
	unsigned i;

	for (i = 0; i < map->nr_free; i++) {
		struct ppn_range r = map->free[i];

		if (ppn_range_is_empty(meta) && ppn_range_len(r) >= pages) {
			meta = ppn_range_sized(r.start, pages);
			r.start = meta.end;
		}
		if (!ppn_range_is_empty(r))
			frames.managed[frames.nr_managed++] = r;
	}
	if (ppn_range_is_empty(meta))
		panic("frame_init: no free range holds %lu frames of metadata",
		      (unsigned long)pages);
	return meta;
}

/* sort() order of managed ranges: longer first. */
static int range_longer_first(const void *a, const void *b)
{
	uint64_t la = ppn_range_len(*(const struct ppn_range *)a);
	uint64_t lb = ppn_range_len(*(const struct ppn_range *)b);

	return (la < lb) - (la > lb);
}

void frame_init(const struct memmap *map)
{
	struct ppn_range span = memmap_span(map);
	size_t bytes = meta_bytes(ppn_range_len(span));
	void *meta;
	unsigned i;

	if (ppn_range_is_empty(span) || ppn_val(span.start) == 0)
		panic("frame_init: unusable page span " PPN_RANGE_FMT, PPN_RANGE_ARG(span));
	frames.span = span;
	frames.total = memmap_ram_frames(map);
	frames.meta = meta_carve(map, (bytes + PAGE_SIZE - 1) / PAGE_SIZE);
	meta = frame_words(frames.meta.start);
	frames.src.inst = ALGO->init(meta, span);
	if (!frames.src.inst)
		panic("frame_init: %s refused span " PPN_RANGE_FMT, ALGO->name,
		      PPN_RANGE_ARG(span));
	if (IS_ENABLED(CONFIG_DEBUG_FRAMES)) {
		frames.poisoned = (unsigned long *)((char *)meta +
			poison_map_offset(ppn_range_len(span)));
		memset(frames.poisoned, 0,
		       BITS_TO_LONGS(ppn_range_len(span)) * sizeof(long));
	}
	for (i = 0; i < frames.nr_managed; i++)
		status_check("frame_init", ALGO->add_free(frames.src.inst, frames.managed[i]),
			     frames.managed[i].start);
	sort(frames.managed, frames.nr_managed, sizeof(frames.managed[0]),
	     range_longer_first, NULL);
	if (IS_ENABLED(CONFIG_FRAME_PCP))
		frame_pcp_init(&frames.src);
	pr_info("mm: frame metadata " PA_RANGE_FMT " (%lu KiB)\n",
		PA_RANGE_ARG(ppn_range_to_pa(frames.meta)),
		(unsigned long)(ppn_range_len(frames.meta) * PAGE_SIZE / KiB));
	printk("mm: frames total=%lu free=%lu algo=%s\n", (unsigned long)frames.total,
	       (unsigned long)frame_free_count(), ALGO->name);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */
/* ------------------------------------------------------------------------ */

/* With CONFIG_FRAME_PCP, give every cached frame back (a refusal panics, naming @fn). */
static void caches_empty(const char *fn)
{
	ppn_t bad;

	if (IS_ENABLED(CONFIG_FRAME_PCP))
		status_check(fn, frame_pcp_drain_all(&bad), bad);
}

/* A run of @n frames at @align from the algorithm, under the global lock. */
static int algo_alloc_run(uint64_t n, uint64_t align, ppn_t *first)
{
	int st;

	spin_lock(&frames.src.lock);
	st = ALGO->alloc_run(frames.src.inst, n, align, first);
	spin_unlock(&frames.src.lock);
	return st;
}

/*
 * The two hot entry points are flattened: spin_lock, the algorithm's op and
 * the checks are all compiled into one body (see the design note above).
 * With CONFIG_FRAME_PCP single frames go through the hart's cache instead.
 */
__attribute__((flatten)) int frame_alloc(struct frame *out)
{
	int st;

	if (IS_ENABLED(CONFIG_FRAME_PCP)) {
		st = frame_pcp_alloc(&out->pn);
	} else {
		spin_lock(&frames.src.lock);
		st = ALGO->alloc(frames.src.inst, &out->pn);
		spin_unlock(&frames.src.lock);
	}
	if (unlikely(st != FRAME_OK)) {
		if (st == FRAME_ENOMEM)
			return st;
		status_panic("frame_alloc", st, out->pn);
	}
	pages_exhume(ppn_range_sized(out->pn, 1));
	return FRAME_OK;
}

__attribute__((flatten)) void frame_free(struct frame f)
{
	ppn_t bad = f.pn;
	int st;

	pages_bury("frame_free", ppn_range_sized(f.pn, 1));
	if (IS_ENABLED(CONFIG_FRAME_PCP)) {
		/* a cache takes a frame without asking the algorithm */
		if (unlikely(!managed_has(f.pn)))
			status_panic("frame_free", FRAME_ERANGE, f.pn);
		st = frame_pcp_free(f.pn, &bad);
	} else {
		spin_lock(&frames.src.lock);
		st = ALGO->free(frames.src.inst, f.pn);
		spin_unlock(&frames.src.lock);
	}
	status_check("frame_free", st, bad);
}

int frame_alloc_run(uint64_t n, uint64_t align, struct frame_run *out)
{
	ppn_t first;
	int st;

	st = algo_alloc_run(n, align, &first);
	if (IS_ENABLED(CONFIG_FRAME_PCP) && st == FRAME_ENOMEM) {
		caches_empty("frame_alloc_run");	/* cached frames may complete a run */
		st = algo_alloc_run(n, align, &first);
	}
	if (st == FRAME_ENOMEM || st == FRAME_EINVAL)
		return st;
	status_check("frame_alloc_run", st, first);
	pages_exhume(ppn_range_sized(first, n));
	out->first = first;
	out->count = n;
	return FRAME_OK;
}

void frame_free_run(struct frame_run run)
{
	struct ppn_range r = frame_run_pages(run);
	int st;

	pages_bury("frame_free_run", r);
	spin_lock(&frames.src.lock);
	st = ALGO->free_run(frames.src.inst, run.first, run.count);
	spin_unlock(&frames.src.lock);
	status_check("frame_free_run", st, run.first);
}

void frame_put(struct frame *f)
{
	if (!frame_is_none(*f))
		frame_free(frame_take(f));
}

uint64_t frame_total(void)
{
	return frames.total;
}

uint64_t frame_free_count(void)
{
	uint64_t n;

	spin_lock(&frames.src.lock);	/* no batch is between a cache and the algorithm */
	n = ALGO->free_count(frames.src.inst);
	if (IS_ENABLED(CONFIG_FRAME_PCP))
		n += frame_pcp_count();
	spin_unlock(&frames.src.lock);
	return n;
}

bool frame_managed(ppn_t pn)
{
	return managed_has(pn);
}

struct ppn_range frame_meta_pages(void)
{
	return frames.meta;
}

const char *frame_algo_name(void)
{
	return ALGO->name;
}

const struct frame_algo *frame_algo_active(void)
{
	return ALGO;
}

void frame_walk(frame_walk_fn fn, void *arg)
{
	caches_empty("frame_walk");	/* so that cached frames show as free */
	spin_lock(&frames.src.lock);
	ALGO->walk(frames.src.inst, fn, arg);
	spin_unlock(&frames.src.lock);
}

unsigned frame_validate(void)
{
	char first[120];
	struct audit a = AUDIT_INIT(first);
	unsigned problems;

	spin_lock(&frames.src.lock);
	problems = ALGO->validate(frames.src.inst, &a);
	spin_unlock(&frames.src.lock);
	if (IS_ENABLED(CONFIG_FRAME_PCP))
		problems += frame_pcp_validate(frame_managed, &a);
	if (problems)
		pr_err("frame_validate: %s found %u problems, first: %s\n", ALGO->name, problems,
		       audit_first(&a));
	return problems;
}

/* ------------------------------------------------------------------------ */
/* Self-test hooks (mm/frame/internal.h; CONFIG_KTEST only)                 */
/* ------------------------------------------------------------------------ */

#if IS_ENABLED(CONFIG_KTEST)
void frame_lock_for_test(void)
{
	if (IS_ENABLED(CONFIG_FRAME_PCP))
		frame_pcp_lock_for_test();	/* the lock frame_free() takes first */
	else
		spin_lock(&frames.src.lock);
}

void frame_unlock_for_test(void)
{
	if (IS_ENABLED(CONFIG_FRAME_PCP))
		frame_pcp_unlock_for_test();
	else
		spin_unlock(&frames.src.lock);
}
#endif
