// SPDX-License-Identifier: MIT
/*
 * Frame benchmarks: the cost of one-frame alloc+free at several fill levels,
 * and of contiguous runs, through the frame front end (lock included).
 * scripts/bench.py boots each configuration with 128 MiB and with 2 GiB of
 * RAM to show how the cost grows with memory.
 *
 * Design. "Fill" is the fraction of the frames that were free when the
 * benchmark started (after its own buffers were carved) that are allocated.
 * To reach a fill level the benchmark allocates every free frame, shuffles
 * the handles with a fixed seed and frees a random subset, so the free
 * frames are scattered over all of RAM rather than bunched at one end (the
 * hard case for a search). Levels are visited from 99% down to 0%, each by
 * freeing more of the shuffled handles. At each level it times
 * FRAME_PAIRS allocations and frees separately, then FRAME_PAIRS pairs in
 * one bracket ("pair": the headline number). Runs of 1, 16 and 512 frames
 * are timed on otherwise empty memory. Everything allocated is freed; the
 * free count must come back to where it started and frame_validate() must
 * find no problem.
 */
#include <lib/rand.h>
#include <mm/frame.h>
#include <bench/bench.h>

#define FRAME_PAIRS	4096
#define RUN_REPEATS	16
#define FILL_SEED	7

static const unsigned fill_levels[] = { 99, 90, 50, 0 };	/* visited in this order */
static const uint64_t run_sizes[] = { 1, 16, 512 };

static const char *const fill_names[] = {
	"frames_fill99", "frames_fill90", "frames_fill50", "frames_fill0",
};
static const char *const run_names[] = {
	"frames_run1", "frames_run16", "frames_run512",
};

/* The three series of one fill level or run size. */
struct frame_series {
	struct bench_series alloc, free, pair;
};

static int frame_series_init(struct frame_series *fs, const char *name, size_t cap)
{
	*fs = (struct frame_series){ 0 };
	return bench_series_init(&fs->alloc, name, "alloc", cap) ||
	       bench_series_init(&fs->free, name, "free", cap) ||
	       bench_series_init(&fs->pair, name, "pair", cap);
}

static void frame_series_report(struct frame_series *fs)
{
	bench_series_report(&fs->alloc);
	bench_series_report(&fs->free);
	bench_series_report(&fs->pair);
}

static void frame_series_release(struct frame_series *fs)
{
	bench_series_release(&fs->alloc);
	bench_series_release(&fs->free);
	bench_series_release(&fs->pair);
}

/* BENCH_OK when the free count is back to @free_before and the metadata validates. */
static enum bench_status frames_whole_check(const char *name, uint64_t free_before)
{
	uint64_t now = frame_free_count();
	unsigned problems = frame_validate();

	if (now == free_before && !problems)
		return BENCH_OK;
	bench_error(name, "frames not whole: %llu free (was %llu), %u validate problems",
		    (unsigned long long)now, (unsigned long long)free_before, problems);
	return BENCH_FAILED;
}

/* ------------------------------------------------------------------ */
/* One-frame pairs at fill levels                                      */
/* ------------------------------------------------------------------ */

/* Time FRAME_PAIRS allocs and frees, then FRAME_PAIRS pairs. Return: false if one failed. */
static bool pairs_time(struct frame_series *fs)
{
	struct bench_clock c;
	struct frame f;
	unsigned i;
	int err;

	for (i = 0; i < FRAME_PAIRS; i++) {
		bench_start(&c);
		err = frame_alloc(&f);
		bench_series_add(&fs->alloc, bench_stop(&c), err != 0);
		if (err)
			return false;
		bench_start(&c);
		frame_free(f);
		bench_series_add(&fs->free, bench_stop(&c), false);
	}
	for (i = 0; i < FRAME_PAIRS; i++) {
		bench_start(&c);
		err = frame_alloc(&f);
		if (!err)
			frame_free(f);
		bench_series_add(&fs->pair, bench_stop(&c), err != 0);
		if (err)
			return false;
	}
	return true;
}

/* Allocate every free frame into @tab (at most @cap). Return: how many. */
static uint64_t frames_take_all(struct frame *tab, uint64_t cap)
{
	uint64_t n = 0;

	while (n < cap && frame_alloc(&tab[n]) == 0)
		n++;
	return n;
}

/* Fisher-Yates with the fixed seed: which frames stay allocated is random. */
static void frames_shuffle(struct frame *tab, uint64_t n)
{
	struct rand_state r;
	uint64_t i;

	rand_seed(&r, FILL_SEED);
	for (i = n; i > 1; i--) {
		uint64_t k = rand_range(&r, 0, i - 1);
		struct frame t = tab[i - 1];

		tab[i - 1] = tab[k];
		tab[k] = t;
	}
}

static enum bench_status bench_frames_pairs(void)
{
	struct frame_series fs[ARRAY_SIZE(fill_levels)];
	enum bench_status st = BENCH_OK;
	uint64_t start_free = frame_free_count(), avail, live, i;
	struct frame_run tab_mem;
	struct frame *tab;
	size_t lv;

	BUILD_BUG_ON(ARRAY_SIZE(fill_names) != ARRAY_SIZE(fill_levels));
	tab = bench_buffer_get(start_free * sizeof(*tab), &tab_mem);
	for (lv = 0; lv < ARRAY_SIZE(fill_levels); lv++)
		if (frame_series_init(&fs[lv], fill_names[lv], FRAME_PAIRS) || !tab)
			break;
	if (lv < ARRAY_SIZE(fill_levels)) {
		for (i = 0; i <= lv; i++)
			frame_series_release(&fs[i]);
		bench_buffer_put(&tab_mem);
		return BENCH_SKIPPED;
	}
	avail = live = frames_take_all(tab, start_free);
	frames_shuffle(tab, avail);
	for (lv = 0; lv < ARRAY_SIZE(fill_levels); lv++) {
		uint64_t keep = avail * fill_levels[lv] / 100;

		for (; live > keep; live--)
			frame_free(tab[live - 1]);
		bench_metric_ratio(fill_names[lv], "fill", live, avail);
		if (!pairs_time(&fs[lv])) {
			bench_error(fill_names[lv], "a one-frame allocation failed");
			st = BENCH_FAILED;
		}
		frame_series_report(&fs[lv]);
	}
	for (i = 0; i < live; i++)
		frame_free(tab[i]);
	bench_buffer_put(&tab_mem);
	if (frames_whole_check("frames_pairs", start_free) != BENCH_OK)
		st = BENCH_FAILED;
	return st;
}
BENCH_REGISTER("frames", bench_frames_pairs);

/* ------------------------------------------------------------------ */
/* Contiguous runs                                                     */
/* ------------------------------------------------------------------ */

/* Time RUN_REPEATS run allocs and frees of @n frames, then as many pairs. */
static bool runs_time(struct frame_series *fs, uint64_t n)
{
	struct bench_clock c;
	struct frame_run run;
	unsigned i;
	int err;

	for (i = 0; i < RUN_REPEATS; i++) {
		bench_start(&c);
		err = frame_alloc_run(n, 1, &run);
		bench_series_add(&fs->alloc, bench_stop(&c), err != 0);
		if (err)
			return false;
		bench_start(&c);
		frame_free_run(run);
		bench_series_add(&fs->free, bench_stop(&c), false);
	}
	for (i = 0; i < RUN_REPEATS; i++) {
		bench_start(&c);
		err = frame_alloc_run(n, 1, &run);
		if (!err)
			frame_free_run(run);
		bench_series_add(&fs->pair, bench_stop(&c), err != 0);
		if (err)
			return false;
	}
	return true;
}

static enum bench_status bench_frames_runs(void)
{
	uint64_t start_free = frame_free_count();
	enum bench_status st = BENCH_OK;
	struct frame_series fs;
	size_t k;

	BUILD_BUG_ON(ARRAY_SIZE(run_names) != ARRAY_SIZE(run_sizes));
	for (k = 0; k < ARRAY_SIZE(run_sizes); k++) {
		if (frame_series_init(&fs, run_names[k], RUN_REPEATS)) {
			frame_series_release(&fs);
			return BENCH_SKIPPED;
		}
		if (!runs_time(&fs, run_sizes[k])) {
			bench_error(run_names[k], "a run of %llu frames could not be allocated",
				    (unsigned long long)run_sizes[k]);
			st = BENCH_FAILED;
		}
		frame_series_report(&fs);
	}
	if (frames_whole_check("frames_runs", start_free) != BENCH_OK)
		st = BENCH_FAILED;
	return st;
}
BENCH_REGISTER("frames", bench_frames_runs);
