// SPDX-License-Identifier: MIT
/*
 * KTAP suite "frames": the frame front end on the real RAM of this boot.
 *
 * The cases run against the global allocator, so each one leaves the free
 * count as it found it and checks that it did. Filling memory needs no heap:
 * frame_test_fill() records the frames it takes in index frames (taken
 * frames themselves, FILL_PER_INDEX handles each, chained newest first), so
 * a fill writes one frame in FILL_PER_INDEX + 1 and leaves the rest of RAM
 * untouched: QEMU backs guest RAM on first touch, and writing every frame
 * made a 16 GiB boot take minutes. A frame handed out twice is freed twice
 * by frame_test_release(), which the front end refuses with a panic, and
 * frame_writable proves frames can be written.
 *
 * With CONFIG_DEBUG_FRAMES the algorithm's validate() runs after every
 * operation of the small cases and after each phase of the whole-memory
 * ones (after each of ~500k operations it would make them quadratic).
 *
 * frame_cost prints guest instruction counts (rdinstret) for one alloc+free
 * and one 16-frame run alloc+free at 0%, 50% and 99% fill; they are exact
 * only under QEMU -icount shift=0 (ktest_runner.py --icount), so without it
 * (rdinstret_exact() tells) it says so instead of printing noise.
 */
#include <asm/csr.h>
#include <mm/frame.h>
#include "internal.h"
#include <mmlab/kernel.h>
#include <mmlab/ktest.h>
#include <lib/string.h>

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                           */
/* ------------------------------------------------------------------------ */

/* One index frame of frame_test_fill(): the handles of frames it took. */
struct fill_index {
	struct frame older;		/* the index frame linked before this one */
	uint64_t count;			/* handles in taken[] */
	struct frame taken[];
};

#define FILL_PER_INDEX	((PAGE_SIZE - sizeof(struct fill_index)) / sizeof(struct frame))
/*
 * Index frames are taken FILL_INDEX_RUN at a time, as one run, when the
 * limit leaves room: QEMU backs guest RAM with 2 MiB pages, so one index
 * page every 2 MiB would still make it back all of RAM.
 */
#define FILL_INDEX_RUN	64

/*
 * The index frames, newest first from fill_newest (FRAME_NONE: none); the
 * one being filled is fill_cursor, and the ones between it and fill_newest
 * (the rest of its run) are still empty.
 */
static struct frame fill_newest = FRAME_NONE;
static struct frame fill_cursor = FRAME_NONE;

/* Link @count fresh frames from @first as empty index frames, newest last. */
static void fill_link(ppn_t first, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++) {
		struct frame f = { .pn = ppn_add(first, i) };
		struct fill_index *idx = frame_ptr(f);

		idx->older = fill_newest;
		idx->count = 0;
		fill_newest = f;
	}
	fill_cursor = (struct frame){ .pn = first };
}

/*
 * A place for one more handle: the cursor's index frame, the next empty
 * one of its run, or newly taken index frames (added to *@n and visited).
 * Return: the index frame, or NULL when no frame is left (or *@n hit @limit).
 */
static struct fill_index *fill_room(uint64_t *n, uint64_t limit,
				    void (*visit)(ppn_t pn, void *arg), void *arg)
{
	struct frame_run r;
	struct frame f;

	if (!frame_is_none(fill_cursor)) {
		struct fill_index *idx = frame_ptr(fill_cursor);

		if (idx->count < FILL_PER_INDEX)
			return idx;
		if (ppn_val(fill_cursor.pn) != ppn_val(fill_newest.pn)) {
			fill_cursor.pn = ppn_add(fill_cursor.pn, 1);
			return frame_ptr(fill_cursor);
		}
	}
	if (*n + FILL_INDEX_RUN < limit && frame_alloc_run(FILL_INDEX_RUN, 1, &r) == 0) {
		fill_link(r.first, r.count);
	} else if (*n < limit && frame_alloc(&f) == 0) {
		r = (struct frame_run){ .first = frame_ppn(f), .count = 1 };
		fill_link(r.first, 1);
	} else {
		return NULL;
	}
	*n += r.count;
	for (uint64_t i = 0; visit && i < r.count; i++)
		visit(ppn_add(r.first, i), arg);
	return frame_ptr(fill_cursor);
}

uint64_t frame_test_fill(uint64_t limit, void (*visit)(ppn_t pn, void *arg), void *arg)
{
	struct fill_index *idx;
	uint64_t n = 0;
	struct frame f;

	while (n < limit && (idx = fill_room(&n, limit, visit, arg)) && n < limit &&
	       frame_alloc(&f) == 0) {
		idx->taken[idx->count++] = f;
		n++;
		if (visit)
			visit(frame_ppn(f), arg);
	}
	return n;
}

/* Free every frame frame_test_fill() took, index frames last; returns how many. */
uint64_t frame_test_release(void)
{
	uint64_t n = 0;

	while (!frame_is_none(fill_newest)) {
		struct frame f = fill_newest;
		struct fill_index *idx = frame_ptr(f);

		for (uint64_t i = 0; i < idx->count; i++)
			frame_free(idx->taken[i]);
		n += idx->count + 1;
		fill_newest = idx->older;
		frame_free(f);
	}
	fill_cursor = FRAME_NONE;
	return n;
}

/* With CONFIG_DEBUG_FRAMES, expect the allocator's metadata to be consistent. */
static void frames_validate(struct ktest *t)
{
	if (IS_ENABLED(CONFIG_DEBUG_FRAMES))
		KTEST_EXPECT_EQ(t, frame_validate(), 0);
}

static bool algo_is(const char *name)
{
	return strcmp(frame_algo_name(), name) == 0;
}

/* ------------------------------------------------------------------------ */
/* Single frames                                                            */
/* ------------------------------------------------------------------------ */

/*
 * The rCore lab's frame test: twice, take two frames and print them; the
 * scoped handles give them back at the end of each round (second first).
 * A LIFO allocator must then hand out the same two in the same order.
 */
static void frame_classic(struct ktest *t)
{
	ppn_t seen[2][2];
	int round;

	for (round = 0; round < 2; round++) {
		FRAME_SCOPED(f0);
		FRAME_SCOPED(f1);

		KTEST_ASSERT_EQ(t, frame_alloc(&f0), 0);
		frames_validate(t);
		KTEST_ASSERT_EQ(t, frame_alloc(&f1), 0);
		frames_validate(t);
		KTEST_EXPECT_NE(t, ppn_val(frame_ppn(f0)), ppn_val(frame_ppn(f1)));
		ktest_printf("round %d: frames " PA_FMT " and " PA_FMT "", round,
			     PA_ARG(frame_pa(f0)), PA_ARG(frame_pa(f1)));
		seen[round][0] = frame_ppn(f0);
		seen[round][1] = frame_ppn(f1);
	}
	frames_validate(t);
	if (!algo_is("stack") && !algo_is("buddy")) {
		ktest_skip(t, "only LIFO reuse (the stack, the buddy's hot list) gives the same frames back");
		return;
	}
	KTEST_EXPECT_EQ(t, ppn_val(seen[1][0]), ppn_val(seen[0][0]));
	KTEST_EXPECT_EQ(t, ppn_val(seen[1][1]), ppn_val(seen[0][1]));
}

/* A frame's whole contents can be written and read back. */
static void frame_writable(struct ktest *t)
{
	struct frame f;
	uint64_t *w;
	size_t i, bad = 0;

	KTEST_ASSERT_EQ(t, frame_alloc(&f), 0);
	w = frame_ptr(f);
	for (i = 0; i < PAGE_SIZE / sizeof(*w); i++)
		w[i] = ppn_val(frame_ppn(f)) ^ i;
	for (i = 0; i < PAGE_SIZE / sizeof(*w); i++)
		bad += w[i] != (ppn_val(frame_ppn(f)) ^ i);
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_TRUE(t, frame_managed(frame_ppn(f)));
	frame_free(f);
	frames_validate(t);
}

/* Allocate until exhaustion: exactly the free count, then ENOMEM; then all back. */
static void frame_exhaust(struct ktest *t)
{
	uint64_t before = frame_free_count();
	struct frame_run run;
	struct frame f;
	uint64_t got;

	got = frame_test_fill(UINT64_MAX, NULL, NULL);
	ktest_printf("allocated %lu frames until exhaustion", (unsigned long)got);
	KTEST_EXPECT_EQ(t, got, before);
	KTEST_EXPECT_EQ(t, frame_free_count(), 0);
	KTEST_EXPECT_EQ(t, frame_alloc(&f), FRAME_ENOMEM);
	KTEST_EXPECT_EQ(t, frame_alloc_run(1, 1, &run), FRAME_ENOMEM);
	frames_validate(t);
	KTEST_EXPECT_EQ(t, frame_test_release(), got);
	KTEST_EXPECT_EQ(t, frame_free_count(), before);
	frames_validate(t);
}

/* A scoped handle frees its frame at end of scope unless taken out. */
static void frame_scoped(struct ktest *t)
{
	uint64_t before = frame_free_count();
	struct frame kept;

	{
		FRAME_SCOPED(f);

		KTEST_ASSERT_EQ(t, frame_alloc(&f), 0);
		KTEST_EXPECT_EQ(t, frame_free_count(), before - 1);
	}
	KTEST_EXPECT_EQ(t, frame_free_count(), before);
	{
		FRAME_SCOPED(g);

		KTEST_ASSERT_EQ(t, frame_alloc(&g), 0);
		kept = frame_take(&g);
		KTEST_EXPECT_TRUE(t, frame_is_none(g));
	}
	KTEST_EXPECT_EQ(t, frame_free_count(), before - 1);
	frame_free(kept);
	KTEST_EXPECT_EQ(t, frame_free_count(), before);
	frames_validate(t);
}

/* The counts relate as documented in <mm/memmap.h>. */
static void frame_counts(struct ktest *t)
{
	uint64_t free = frame_free_count();
	uint64_t meta = ppn_range_len(frame_meta_pages());

	ktest_printf("total=%lu free=%lu meta=%lu algo=%s", (unsigned long)frame_total(),
		     (unsigned long)free, (unsigned long)meta, frame_algo_name());
	KTEST_EXPECT_GT(t, free, 0);
	KTEST_EXPECT_GT(t, meta, 0);
	KTEST_EXPECT_LE(t, free + meta, frame_total());
	KTEST_EXPECT_TRUE(t, !frame_managed(ppn_range_nth(frame_meta_pages(), 0)));
}

/* ------------------------------------------------------------------------ */
/* Contiguous runs                                                          */
/* ------------------------------------------------------------------------ */

struct walk_find {
	struct ppn_range want;
	bool inside_used, inside_free;
};

/* frame_walk callback: is the wanted run inside one used (or free) run? */
static void walk_find_run(void *arg, bool free, struct ppn_range run)
{
	struct walk_find *w = arg;

	if (ppn_range_covers(run, w->want)) {
		if (free)
			w->inside_free = true;
		else
			w->inside_used = true;
	}
}

/* Fill every word of @r with a pattern and read it back; mismatches. */
static uint64_t run_scribble(struct frame_run r)
{
	uint64_t *w = frame_run_ptr(r);
	uint64_t i, words = r.count * PAGE_SIZE / sizeof(*w), bad = 0;

	for (i = 0; i < words; i++)
		w[i] = i * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < words; i++)
		bad += w[i] != i * 0x9e3779b97f4a7c15ULL;
	return bad;
}

/* One run of @n frames aligned to @align: shape, contents, accounting. */
static void run_check(struct ktest *t, uint64_t n, uint64_t align, bool walk)
{
	uint64_t before = frame_free_count();
	struct frame_run r;
	struct walk_find w;

	KTEST_ASSERT_EQ(t, frame_alloc_run(n, align, &r), 0);
	frames_validate(t);
	KTEST_EXPECT_EQ(t, r.count, n);
	KTEST_EXPECT_EQ(t, ppn_val(r.first) % align, 0);
	KTEST_EXPECT_TRUE(t, frame_managed(r.first));
	KTEST_EXPECT_TRUE(t, frame_managed(ppn_add(r.first, n - 1)));
	KTEST_EXPECT_EQ(t, frame_free_count(), before - n);
	KTEST_EXPECT_EQ(t, run_scribble(r), 0);
	w = (struct walk_find){ .want = frame_run_pages(r) };
	if (walk) {
		frame_walk(walk_find_run, &w);
		KTEST_EXPECT_TRUE(t, w.inside_used);
	}
	frame_free_run(r);
	frames_validate(t);
	KTEST_EXPECT_EQ(t, frame_free_count(), before);
	if (walk) {
		w.inside_used = w.inside_free = false;
		frame_walk(walk_find_run, &w);
		KTEST_EXPECT_TRUE(t, w.inside_free);
	}
}

/* Runs of 1, 16 and 512 frames at every power-of-two alignment up to 512. */
static void frame_runs(struct ktest *t)
{
	static const uint64_t sizes[] = { 1, 16, 512 };
	struct frame_run r;
	unsigned i;
	uint64_t align;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		for (align = 1; align <= 512; align *= 2)
			run_check(t, sizes[i], align, align == 512);
	KTEST_EXPECT_EQ(t, frame_alloc_run(0, 1, &r), FRAME_EINVAL);
	KTEST_EXPECT_EQ(t, frame_alloc_run(4, 3, &r), FRAME_EINVAL);
	KTEST_EXPECT_EQ(t, frame_alloc_run(frame_total() + 1, 1, &r), FRAME_ENOMEM);
}

/* Runs come out of partly used memory too, and never overlap live frames. */
static void frame_runs_fragmented(struct ktest *t)
{
	uint64_t before = frame_free_count();
	uint64_t taken = frame_test_fill(before / 2, NULL, NULL);
	struct frame_run r;

	KTEST_ASSERT_EQ(t, frame_alloc_run(16, 16, &r), 0);
	KTEST_EXPECT_EQ(t, ppn_val(r.first) % 16, 0);
	KTEST_EXPECT_EQ(t, run_scribble(r), 0);
	/* The chain through the filled frames survived the scribble. */
	KTEST_EXPECT_EQ(t, frame_test_release(), taken);
	frame_free_run(r);
	KTEST_EXPECT_EQ(t, frame_free_count(), before);
	frames_validate(t);
}

/* ------------------------------------------------------------------------ */
/* Cost (instructions retired; exact under -icount shift=0)                  */
/* ------------------------------------------------------------------------ */

#define COST_ROUNDS	16
#define COST_RUN	16	/* frames in the run of cost_run() */

/*
 * Instructions for one alloc+free pair, averaged over COST_ROUNDS; 0 (and a
 * failure of @t) when an allocation fails, which frees nothing it lacks.
 */
static unsigned long cost_pair(struct ktest *t)
{
	unsigned long start = rdinstret();
	struct frame f;
	int i;

	for (i = 0; i < COST_ROUNDS; i++) {
		if (frame_alloc(&f) != 0) {
			ktest_fail(t, __FILE__, __LINE__, "frame_alloc failed in round %d", i);
			return 0;
		}
		frame_free(f);
	}
	return (rdinstret() - start) / COST_ROUNDS;
}

/*
 * Instructions for one COST_RUN-frame run alloc+free, averaged over
 * COST_ROUNDS; *@first gets the first round's. 0 when no such run is free
 * (a failure of @t if it is a run freed the round before that is missing).
 */
static unsigned long cost_run(struct ktest *t, unsigned long *first)
{
	unsigned long start = rdinstret(), one = 0;
	struct frame_run r;
	int i;

	for (i = 0; i < COST_ROUNDS; i++) {
		if (frame_alloc_run(COST_RUN, 1, &r) != 0) {
			if (i)
				ktest_fail(t, __FILE__, __LINE__,
					   "the run freed in round %d did not come back", i - 1);
			return 0;
		}
		frame_free_run(r);
		if (i == 0)
			one = rdinstret() - start;
	}
	*first = one;
	return (rdinstret() - start) / COST_ROUNDS;
}

/*
 * Costs at 0%, 50% and 99% fill. Skipped when a fill level leaves no free
 * run of COST_RUN frames (99% of a small RAM leaves a handful of frames).
 */
static void frame_cost(struct ktest *t)
{
	static const unsigned fills[] = { 0, 50, 99 };
	uint64_t before = frame_free_count();
	bool exact = rdinstret_exact();
	unsigned i;

	if (!exact)
		ktest_printf("costs not shown: instruction counts are exact only under "
			     "QEMU -icount shift=0 (make run QEMU_EXTRA=\"-icount shift=0\")");
	for (i = 0; i < ARRAY_SIZE(fills); i++) {
		uint64_t want = before * fills[i] / 100;
		unsigned long pair, run, run_first;

		KTEST_ASSERT_EQ(t, frame_test_fill(want, NULL, NULL), want);
		pair = cost_pair(t);
		run = pair ? cost_run(t, &run_first) : 0;
		if (pair && run && exact)
			ktest_printf("cost algo=%s fill=%u%% free=%lu: alloc+free %lu instr, "
				     "run16 alloc+free %lu instr (first %lu)", frame_algo_name(),
				     fills[i], (unsigned long)frame_free_count(), pair, run,
				     run_first);
		else if (pair && !run)
			ktest_printf("cost fill=%u%%: no free run of %u frames among the %lu "
				     "free frames", fills[i], COST_RUN,
				     (unsigned long)frame_free_count());
		KTEST_EXPECT_EQ(t, frame_test_release(), want);
		if (!pair || !run) {
			ktest_skip(t, "a fill level leaves no free 16-frame run: too little RAM");
			break;
		}
	}
	KTEST_EXPECT_EQ(t, frame_free_count(), before);
}

/* ------------------------------------------------------------------------ */
/* Panic cases                                                              */
/* ------------------------------------------------------------------------ */

/*
 * Every algorithm catches a second free of the same frame, in every build;
 * with per-hart caches (FRAME_PCP) the frame goes to a cache, not to the
 * algorithm, and only DEBUG_FRAMES catches it.
 */
static __maybe_unused void frame_double_free(struct ktest *t)
{
	struct frame f, copy;

	KTEST_ASSERT_EQ(t, frame_alloc(&f), 0);
	copy = f;
	frame_free(f);
	frame_free(copy);	/* panics */
}

/* ... and a run freed over a frame that is free already. */
static void frame_double_free_run(struct ktest *t)
{
	struct frame_run r, copy;

	KTEST_ASSERT_EQ(t, frame_alloc_run(8, 8, &r), 0);
	copy = r;
	frame_free_run(r);
	frame_free_run(copy);	/* panics */
}

/* The kernel image's first frame is RAM, but not the allocator's. */
static void frame_free_outside(struct ktest *t)
{
	ppn_t kernel = pa_to_ppn_floor(PADDR((uint64_t)(uintptr_t)__kernel_start));

	KTEST_EXPECT_TRUE(t, !frame_managed(kernel));
	frame_free(frame_forge_for_test(kernel));	/* panics */
}

/* The classic deadlock: a handle freed while the frame lock is held. */
static void frame_free_under_lock(struct ktest *t)
{
	FRAME_SCOPED(f);

	KTEST_ASSERT_EQ(t, frame_alloc(&f), 0);
	frame_lock_for_test();
	frame_put(&f);		/* panics: recursive acquire */
	frame_unlock_for_test();
}

/* A write into a freed frame is caught when it is handed out again. */
static __maybe_unused void frame_use_after_free(struct ktest *t)
{
	struct frame f, again;
	uint64_t *stale;

	KTEST_ASSERT_EQ(t, frame_alloc(&f), 0);
	stale = frame_ptr(f);
	frame_free(f);
	stale[7] = 42;
	/* Drain until the written frame comes back (first for LIFO, later otherwise). */
	while (frame_alloc(&again) == 0)
		;
	ktest_fail(t, __FILE__, __LINE__, "written frame came back unnoticed");
}

static const struct ktest_case frame_cases[] = {
	KTEST_CASE(frame_classic),
	KTEST_CASE(frame_writable),
	KTEST_CASE(frame_exhaust),
	KTEST_CASE(frame_scoped),
	KTEST_CASE(frame_counts),
	KTEST_CASE(frame_runs),
	KTEST_CASE(frame_runs_fragmented),
	KTEST_CASE(frame_cost),
#if !IS_ENABLED(CONFIG_FRAME_PCP) || IS_ENABLED(CONFIG_DEBUG_FRAMES)
	KTEST_PANIC_CASE(frame_double_free, "frame_free: double free"),
#endif
	KTEST_PANIC_CASE(frame_double_free_run, "frame_free_run: double free"),
	KTEST_PANIC_CASE(frame_free_outside, "outside managed memory"),
	KTEST_PANIC_CASE(frame_free_under_lock, "recursive acquire of frame_lock"),
#if IS_ENABLED(CONFIG_DEBUG_FRAMES)
	KTEST_PANIC_CASE(frame_use_after_free, "modified after free"),
#endif
	{}
};
KTEST_SUITE(frames, frame_cases);
