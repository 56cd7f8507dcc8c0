// SPDX-License-Identifier: MIT
/*
 * Frame benchmarks: the cost of one-frame alloc+free at several fill levels,
 * and of contiguous runs, through the frame front end (lock included), and
 * of the algorithm alone. scripts/bench.py boots each configuration with
 * 128 MiB and with 2 GiB of RAM to show how the cost grows with memory
 * (QEMU_MEM=4G with bench=frames measures 4 GiB the same way).
 *
 * Design. "Fill" is the fraction of the frames that were free when the
 * benchmark started (after its own buffers were carved) that are allocated.
 * To reach a fill level the benchmark allocates every free frame, shuffles
 * the handles with a fixed seed and frees a random subset, so the free
 * frames are scattered over all of RAM rather than bunched at one end (the
 * hard case for a search). Levels are visited from 99% down to 0%, each by
 * freeing more of the shuffled handles. At each level it times
 * FRAME_PAIRS allocations and frees separately, then FRAME_PAIRS pairs in
 * one bracket ("pair": the headline number), then RUN_REPEATS 16-frame run
 * alloc+free pairs ("run16": the search through scattered free frames; a
 * refusal counts as a failure, not an error). "frames_algo_fill0/99" repeat
 * the pairs on a private instance of the algorithm over as many page numbers
 * as RAM has, calling its ops directly: the difference is the front end.
 *
 * Runs: "frames_scattered_runN" first frees every frame one by one in a
 * random order (fresh shuffle each time) and then times one run of N frames
 * and its free: no call may depend on that order. "frames_runN" then times
 * runs of 1, 16 and 512 frames back to back on otherwise empty memory.
 * Everything allocated is freed; the free count must come back to where it
 * started and frame_validate() must find no problem.
 */
#include <lib/rand.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <bench/bench.h>

#define FRAME_PAIRS	4096
#define RUN_REPEATS	16
#define SCATTER_REPEATS	4
#define FILL_SEED	7
#define FILL_RUN	16		/* frames of the run timed at each fill level */
#define ALGO_SPAN_BASE	0x80000		/* page number of QEMU virt's RAM; never touched */

static const unsigned fill_levels[] = { 99, 90, 50, 0 };	/* visited in this order */
static const uint64_t run_sizes[] = { 1, 16, 512 };
static const uint64_t scattered_sizes[] = { 16, 512 };

static const char *const fill_names[] = {
	"frames_fill99", "frames_fill90", "frames_fill50", "frames_fill0",
};
static const char *const run_names[] = {
	"frames_run1", "frames_run16", "frames_run512",
};
static const char *const scattered_names[] = {
	"frames_scattered_run16", "frames_scattered_run512",
};
static const unsigned algo_fill_levels[] = { 99, 0 };
static const char *const algo_fill_names[] = { "frames_algo_fill99", "frames_algo_fill0" };

/* The series of one fill level or run size (run16: fill levels only). */
struct frame_series {
	struct bench_series alloc, free, pair, run16;
};

static int frame_series_init(struct frame_series *fs, const char *name, size_t cap,
			     bool run16)
{
	*fs = (struct frame_series){ 0 };
	return bench_series_init(&fs->alloc, name, "alloc", cap) ||
	       bench_series_init(&fs->free, name, "free", cap) ||
	       bench_series_init(&fs->pair, name, "pair", cap) ||
	       (run16 && bench_series_init(&fs->run16, name, "run16", RUN_REPEATS));
}

static void frame_series_report(struct frame_series *fs)
{
	bench_series_report(&fs->alloc);
	bench_series_report(&fs->free);
	bench_series_report(&fs->pair);
	bench_series_report(&fs->run16);
}

static void frame_series_release(struct frame_series *fs)
{
	bench_series_release(&fs->alloc);
	bench_series_release(&fs->free);
	bench_series_release(&fs->pair);
	bench_series_release(&fs->run16);
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
/* Handles                                                             */
/* ------------------------------------------------------------------ */

/* Allocate every free frame into @tab (at most @cap). Return: how many. */
static uint64_t frames_take_all(struct frame *tab, uint64_t cap)
{
	uint64_t n = 0;

	while (n < cap && frame_alloc(&tab[n]) == 0)
		n++;
	return n;
}

/* Fisher-Yates over @n elements of 8 bytes with @seed: a random order. */
static void shuffle8(void *base, uint64_t n, uint64_t seed)
{
	uint64_t *a = base, i;
	struct rand_state r;

	BUILD_BUG_ON(sizeof(struct frame) != sizeof(uint64_t) || sizeof(ppn_t) != sizeof(uint64_t));
	rand_seed(&r, seed);
	for (i = n; i > 1; i--) {
		uint64_t k = rand_range(&r, 0, i - 1), t = a[i - 1];

		a[i - 1] = a[k];
		a[k] = t;
	}
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

/* Time RUN_REPEATS alloc+free pairs of a FILL_RUN-frame run; refusals are failures. */
static void fill_runs_time(struct bench_series *s)
{
	struct bench_clock c;
	struct frame_run run;
	unsigned i;
	int err;

	for (i = 0; i < RUN_REPEATS; i++) {
		bench_start(&c);
		err = frame_alloc_run(FILL_RUN, 1, &run);
		if (!err)
			frame_free_run(run);
		bench_series_add(s, bench_stop(&c), err != 0);
	}
}

/*
 * The same pairs on a private instance of the algorithm over @count page
 * numbers from ALGO_SPAN_BASE (it never touches a frame's contents).
 */
static enum bench_status algo_pairs(uint64_t count)
{
	const struct frame_algo *a = frame_algo_active();
	struct ppn_range span = ppn_range_sized(PPN(ALGO_SPAN_BASE), count);
	struct frame_run meta_mem, tab_mem;
	void *meta = bench_buffer_get(a->meta_size(count), &meta_mem);
	ppn_t *tab = bench_buffer_get(count * sizeof(*tab), &tab_mem);
	enum bench_status st = BENCH_SKIPPED;
	uint64_t live = 0, i;
	void *inst = meta && tab ? a->init(meta, span) : NULL;
	size_t lv;

	if (inst && a->add_free(inst, span) == FRAME_OK) {
		st = BENCH_OK;
		while (live < count && a->alloc(inst, &tab[live]) == FRAME_OK)
			live++;
		shuffle8(tab, live, FILL_SEED);
	}
	for (lv = 0; st == BENCH_OK && lv < ARRAY_SIZE(algo_fill_levels); lv++) {
		uint64_t keep = count * algo_fill_levels[lv] / 100;
		struct bench_series pair;
		struct bench_clock c;
		ppn_t pn;

		for (; live > keep; live--)
			a->free(inst, tab[live - 1]);
		if (bench_series_init(&pair, algo_fill_names[lv], "pair", FRAME_PAIRS))
			break;
		for (i = 0; i < FRAME_PAIRS; i++) {
			int err;

			bench_start(&c);
			err = a->alloc(inst, &pn);
			if (!err)
				err = a->free(inst, pn);
			bench_series_add(&pair, bench_stop(&c), err != 0);
		}
		bench_series_report(&pair);
	}
	if (inst && (a->free_count(inst) != count - live || a->validate(inst, NULL))) {
		bench_error("frames_algo", "private instance not whole");
		st = BENCH_FAILED;
	}
	bench_buffer_put(&tab_mem);
	bench_buffer_put(&meta_mem);
	return st;
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
	BUILD_BUG_ON(ARRAY_SIZE(algo_fill_names) != ARRAY_SIZE(algo_fill_levels));
	tab = bench_buffer_get(start_free * sizeof(*tab), &tab_mem);
	for (lv = 0; lv < ARRAY_SIZE(fill_levels); lv++)
		if (frame_series_init(&fs[lv], fill_names[lv], FRAME_PAIRS, true) || !tab)
			break;
	if (lv < ARRAY_SIZE(fill_levels)) {
		for (i = 0; i <= lv && i < ARRAY_SIZE(fill_levels); i++)
			frame_series_release(&fs[i]);
		bench_buffer_put(&tab_mem);
		return BENCH_SKIPPED;
	}
	avail = live = frames_take_all(tab, start_free);
	shuffle8(tab, avail, FILL_SEED);
	for (lv = 0; lv < ARRAY_SIZE(fill_levels); lv++) {
		uint64_t keep = avail * fill_levels[lv] / 100;

		for (; live > keep; live--)
			frame_free(tab[live - 1]);
		bench_metric_ratio(fill_names[lv], "fill", live, avail);
		if (!pairs_time(&fs[lv])) {
			bench_error(fill_names[lv], "a one-frame allocation failed");
			st = BENCH_FAILED;
		}
		fill_runs_time(&fs[lv].run16);
	}
	/* Reported (and their buffers freed) only now: freed early, they would be runs. */
	for (lv = 0; lv < ARRAY_SIZE(fill_levels); lv++)
		frame_series_report(&fs[lv]);
	for (i = 0; i < live; i++)
		frame_free(tab[i]);
	bench_buffer_put(&tab_mem);
	if (frames_whole_check("frames_pairs", start_free) != BENCH_OK)
		st = BENCH_FAILED;
	if (st == BENCH_OK && algo_pairs(frame_total()) == BENCH_FAILED)
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

/*
 * SCATTER_REPEATS times: free every frame in a new random order, then time
 * one run of @n frames and its free. Return: false if a run failed.
 */
static bool scattered_runs_time(struct frame_series *fs, uint64_t n, struct frame *tab,
				uint64_t cap)
{
	struct bench_clock c;
	struct frame_run run;
	unsigned r;

	for (r = 0; r < SCATTER_REPEATS; r++) {
		uint64_t live = frames_take_all(tab, cap), i;
		int err;

		shuffle8(tab, live, FILL_SEED + 1 + r);
		for (i = 0; i < live; i++)
			frame_free(tab[i]);
		bench_start(&c);
		err = frame_alloc_run(n, 1, &run);
		bench_series_add(&fs->alloc, bench_stop(&c), err != 0);
		if (err)
			return false;
		bench_start(&c);
		frame_free_run(run);
		bench_series_add(&fs->free, bench_stop(&c), false);
	}
	return true;
}

static enum bench_status bench_frames_runs(void)
{
	uint64_t start_free = frame_free_count();
	enum bench_status st = BENCH_OK;
	struct frame_run tab_mem;
	struct frame *tab = bench_buffer_get(start_free * sizeof(*tab), &tab_mem);
	struct frame_series fs;
	size_t k;

	BUILD_BUG_ON(ARRAY_SIZE(run_names) != ARRAY_SIZE(run_sizes));
	BUILD_BUG_ON(ARRAY_SIZE(scattered_names) != ARRAY_SIZE(scattered_sizes));
	for (k = 0; tab && k < ARRAY_SIZE(scattered_sizes); k++) {
		if (frame_series_init(&fs, scattered_names[k], SCATTER_REPEATS, false)) {
			frame_series_release(&fs);
			st = BENCH_SKIPPED;
			break;
		}
		if (!scattered_runs_time(&fs, scattered_sizes[k], tab, start_free)) {
			bench_error(scattered_names[k], "a run of %llu frames could not be allocated",
				    (unsigned long long)scattered_sizes[k]);
			st = BENCH_FAILED;
		}
		frame_series_report(&fs);
	}
	bench_buffer_put(&tab_mem);
	for (k = 0; st == BENCH_OK && k < ARRAY_SIZE(run_sizes); k++) {
		if (frame_series_init(&fs, run_names[k], RUN_REPEATS, false)) {
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
