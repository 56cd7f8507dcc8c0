// SPDX-License-Identifier: MIT
/*
 * KTAP suite "frames": the frame front end on the real RAM of this boot.
 *
 * The cases run against the global allocator, so each one leaves the free
 * count as it found it and checks that it did. Filling memory needs no heap:
 * frame_test_fill() chains the frames it takes through their first words
 * (a handle stored in each frame names the previous one), which also proves
 * every handed-out frame is writable and handed out once (a frame given
 * twice would cut the chain short and the release count would not match).
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
#include <mmlab/kernel.h>
#include <mmlab/ktest.h>
#include <lib/string.h>

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                           */
/* ------------------------------------------------------------------------ */

/* The chain of frames taken by frame_test_fill(): newest first. */
static struct frame fill_head = FRAME_NONE;
static uint64_t fill_count;

uint64_t frame_test_fill(uint64_t limit, void (*visit)(ppn_t pn, void *arg), void *arg)
{
	uint64_t n = 0;
	struct frame f;

	while (n < limit && frame_alloc(&f) == 0) {
		*(struct frame *)frame_ptr(f) = fill_head;
		fill_head = f;
		n++;
		if (visit)
			visit(frame_ppn(f), arg);
	}
	fill_count += n;
	return n;
}

uint64_t frame_test_release(void)
{
	uint64_t n = 0;

	while (!frame_is_none(fill_head)) {
		struct frame f = fill_head;

		fill_head = *(struct frame *)frame_ptr(f);
		frame_free(f);
		n++;
	}
	fill_count = 0;
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
	if (!algo_is("stack")) {
		ktest_skip(t, "only a LIFO (stack) allocator promises the same frames back");
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

static __maybe_unused void frame_double_free(struct ktest *t)
{
	struct frame f, copy;

	KTEST_ASSERT_EQ(t, frame_alloc(&f), 0);
	copy = f;
	frame_free(f);
	frame_free(copy);	/* panics */
}

/* Without CONFIG_FRAME_ALLOC_CATCHES_DOUBLE_FREE a double free goes unseen. */
static __maybe_unused void frame_double_free_unchecked(struct ktest *t)
{
	ktest_skip(t, "stack algorithm detects double frees only with CONFIG_DEBUG_FRAMES");
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

#if IS_ENABLED(CONFIG_FRAME_ALLOC_CATCHES_DOUBLE_FREE)
#define FRAME_DOUBLE_FREE_CASE	KTEST_PANIC_CASE(frame_double_free, "frame_free: double free")
#else
#define FRAME_DOUBLE_FREE_CASE	KTEST_CASE(frame_double_free_unchecked)
#endif

static const struct ktest_case frame_cases[] = {
	KTEST_CASE(frame_classic),
	KTEST_CASE(frame_writable),
	KTEST_CASE(frame_exhaust),
	KTEST_CASE(frame_scoped),
	KTEST_CASE(frame_counts),
	KTEST_CASE(frame_runs),
	KTEST_CASE(frame_runs_fragmented),
	KTEST_CASE(frame_cost),
	FRAME_DOUBLE_FREE_CASE,
	KTEST_PANIC_CASE(frame_free_outside, "outside managed memory"),
	KTEST_PANIC_CASE(frame_free_under_lock, "recursive acquire of frame_lock"),
#if IS_ENABLED(CONFIG_DEBUG_FRAMES)
	KTEST_PANIC_CASE(frame_use_after_free, "modified after free"),
#endif
	{}
};
KTEST_SUITE(frames, frame_cases);
