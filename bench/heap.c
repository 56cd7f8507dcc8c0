// SPDX-License-Identifier: MIT
/*
 * Heap benchmarks: fixed-seed workloads through kmalloc()/kfree() (the lock
 * and the front end included), timed one call at a time by the runner in
 * bench/bench.c. docs/performance.md describes each workload.
 *
 * Design. Two engines cover five of the six workloads: "churn" keeps about
 * a target number of blocks live while allocating and freeing at random
 * (sizes, alignments and target given by a spec), and "fill" allocates two
 * blocks per free until the first allocation fails and reports how much of
 * the heap was in live use then. Targets scale down for heaps smaller than
 * the default 8 MiB so every configuration runs the same code. The lab
 * workload is the rCore standard test. heap_algo_churn replays heap_churn's
 * requests on a private instance of the algorithm, bypassing kmalloc, to
 * show what the front end adds. Setting up (warm-up allocations) and
 * tearing down are not timed. After each workload the heap must be whole
 * again: nothing used, the same free space and largest free block as
 * before, and heap_validate() clean; otherwise the workload fails.
 * Bookkeeping arrays come from frames, never from the heap under test.
 */
#include <lib/rand.h>
#include <lib/string.h>
#include <mm/heap.h>
#include <bench/bench.h>
#include <mmlab/panic.h>
#include <mmlab/printk.h>

#define LAB_ELEMENTS		10000
#define LAB_FIRST_CAP		4
#define LAB_HEAP_MIN		(256 * KiB)	/* the vector's last two buffers and slack */

/* A churn workload. */
struct churn_spec {
	const char *name;
	uint64_t seed;
	size_t live;			/* target at 8 MiB; scaled by heap size */
	size_t bytes_per_live;		/* heap bytes allowed per live block when scaling */
	unsigned long ops;		/* timed operations after the warm-up */
	size_t (*size_pick)(struct rand_state *r);
	size_t (*align_pick)(struct rand_state *r);	/* NULL: plain kmalloc */
	bool algo;			/* call the algorithm directly, not kmalloc */
};

/*
 * The private instance the algorithm-level workload drives: the linked
 * algorithm over a region of CONFIG_HEAP_SIZE bytes carved from frames, so
 * the front end's share of the cost (lock, header, statistics) shows.
 */
static struct {
	const struct heap_algo *a;
	void *inst;
} algo_bench;

/* ------------------------------------------------------------------ */
/* Sizes and alignments                                                */
/* ------------------------------------------------------------------ */

static size_t size_small(struct rand_state *r)
{
	return rand_range(r, 8, 512);
}

static size_t size_fill(struct rand_state *r)
{
	return rand_range(r, 16, 256);
}

/* Log-uniform over 8 B..64 KiB: a random octave, then uniform inside it. */
static size_t size_logu(struct rand_state *r)
{
	unsigned e = rand_range(r, 3, 15);

	return rand_range(r, 1UL << e, 1UL << (e + 1));
}

static size_t align_mixed(struct rand_state *r)
{
	return 1UL << rand_range(r, 3, 12);
}

/* ------------------------------------------------------------------ */
/* Timed calls                                                         */
/* ------------------------------------------------------------------ */

static void *timed_kmalloc(struct bench_series *s, size_t size)
{
	struct bench_clock c;
	void *p;

	bench_start(&c);
	p = kmalloc(size);
	bench_series_add(s, bench_stop(&c), !p);
	return p;
}

static void *timed_kmalloc_aligned(struct bench_series *s, size_t size, size_t align)
{
	struct bench_clock c;
	void *p;

	bench_start(&c);
	p = kmalloc_aligned(size, align);
	bench_series_add(s, bench_stop(&c), !p);
	return p;
}

static void timed_kfree(struct bench_series *s, void *p)
{
	struct bench_clock c;

	bench_start(&c);
	kfree(p);
	bench_series_add(s, bench_stop(&c), false);
}

static void *timed_algo_alloc(struct bench_series *s, size_t size)
{
	struct bench_clock c;
	void *p;

	bench_start(&c);
	p = algo_bench.a->alloc(algo_bench.inst, size, KMALLOC_MIN_ALIGN, NULL);
	bench_series_add(s, bench_stop(&c), !p);
	return p;
}

static void timed_algo_free(struct bench_series *s, void *p)
{
	struct bench_clock c;
	enum heap_free_result r;

	bench_start(&c);
	r = algo_bench.a->free(algo_bench.inst, p, NULL);
	bench_series_add(s, bench_stop(&c), false);
	if (r != HEAP_FREE_OK)
		panic("timed_algo_free: %s refused %p (%d)", algo_bench.a->name, p, r);
}

/* ------------------------------------------------------------------ */
/* Whole-heap check                                                    */
/* ------------------------------------------------------------------ */

static void heap_mark(struct heap_stats *st)
{
	heap_stats(st);
}

/* BENCH_OK when the heap is back to @before and validates. */
static enum bench_status heap_whole_check(const char *name, const struct heap_stats *before)
{
	struct heap_stats now;
	unsigned problems = heap_validate();

	heap_stats(&now);
	if (now.used == before->used && now.free == before->free &&
	    now.largest_free == before->largest_free &&
	    now.allocs - before->allocs == now.frees - before->frees && !problems)
		return BENCH_OK;
	bench_error(name, "heap not whole: used %zu (was %zu), free %zu (was %zu), "
		    "largest free %zu (was %zu), %u validate problems", now.used, before->used,
		    now.free, before->free, now.largest_free, before->largest_free, problems);
	return BENCH_FAILED;
}

/* The live-table size for @target blocks of about @bytes each, scaled to the heap. */
static size_t live_scaled(size_t target, size_t bytes)
{
	return MAX((size_t)1, MIN(target, (size_t)CONFIG_HEAP_SIZE / bytes));
}

/* ------------------------------------------------------------------ */
/* Lab workload                                                        */
/* ------------------------------------------------------------------ */

/* Grow *@vec from @cap to 2 * @cap words (alloc, copy, free). Return: false on failure. */
static bool vec_grow(struct bench_series *sa, struct bench_series *sf,
		     unsigned long **vec, size_t cap)
{
	unsigned long *grown = timed_kmalloc(sa, 2 * cap * sizeof(**vec));

	if (!grown)
		return false;
	memcpy(grown, *vec, cap * sizeof(**vec));
	timed_kfree(sf, *vec);
	*vec = grown;
	return true;
}

static enum bench_status bench_heap_lab(void)
{
	struct bench_series sa = { 0 }, sf = { 0 };
	enum bench_status st = BENCH_FAILED;
	struct heap_stats before;
	unsigned long *box, *vec = NULL;
	size_t cap = LAB_FIRST_CAP, i;

	if (CONFIG_HEAP_SIZE < LAB_HEAP_MIN) {
		printk("bench: {\"workload\":\"heap_lab\",\"skipped\":\"needs a %lu KiB heap\"}\n",
		       LAB_HEAP_MIN / KiB);
		return BENCH_SKIPPED;
	}
	if (bench_series_init(&sa, "heap_lab", "kmalloc", 32) ||
	    bench_series_init(&sf, "heap_lab", "kfree", 32)) {
		bench_series_release(&sa);
		return BENCH_SKIPPED;
	}
	heap_mark(&before);
	box = timed_kmalloc(&sa, sizeof(*box));
	if (box) {
		*box = 5;
		vec = timed_kmalloc(&sa, cap * sizeof(*vec));
	}
	for (i = 0; vec && i < LAB_ELEMENTS; i++) {
		if (i == cap) {
			if (!vec_grow(&sa, &sf, &vec, cap)) {
				timed_kfree(&sf, vec);
				vec = NULL;
				break;
			}
			cap *= 2;
		}
		vec[i] = i;
	}
	if (box && vec && *box == 5) {
		for (i = 0; i < LAB_ELEMENTS && vec[i] == i; i++)
			;
		st = i == LAB_ELEMENTS ? BENCH_OK : BENCH_FAILED;
	}
	if (st != BENCH_OK)
		bench_error("heap_lab", "an allocation failed or the data is wrong");
	if (vec)
		timed_kfree(&sf, vec);
	if (box)
		timed_kfree(&sf, box);
	bench_metric_u64("heap_lab", "vector_capacity", cap);
	bench_series_report(&sa);
	bench_series_report(&sf);
	if (heap_whole_check("heap_lab", &before) != BENCH_OK)
		st = BENCH_FAILED;
	return st;
}
BENCH_REGISTER("heap", bench_heap_lab);

/* ------------------------------------------------------------------ */
/* Churn engine                                                        */
/* ------------------------------------------------------------------ */

static void *churn_alloc(const struct churn_spec *w, struct bench_series *s,
			 struct rand_state *r)
{
	size_t size = w->size_pick(r);

	if (w->algo)
		return timed_algo_alloc(s, size);
	if (!w->align_pick)
		return timed_kmalloc(s, size);
	return timed_kmalloc_aligned(s, size, w->align_pick(r));
}

static void churn_free(const struct churn_spec *w, struct bench_series *s, void *p)
{
	if (w->algo)
		timed_algo_free(s, p);
	else
		timed_kfree(s, p);
}

static enum bench_status churn_run(const struct churn_spec *w)
{
	size_t target = live_scaled(w->live, w->bytes_per_live), n = 0;
	struct bench_series sa = { 0 }, sf = { 0 }, warm = { 0 };
	struct frame_run table_mem;
	struct heap_stats before;
	struct rand_state r;
	unsigned long i;
	void **live;

	live = bench_buffer_get(2 * target * sizeof(*live), &table_mem);
	if (!live || bench_series_init(&sa, w->name, "kmalloc", w->ops) ||
	    bench_series_init(&sf, w->name, "kfree", w->ops) ||
	    bench_series_init(&warm, w->name, "setup", 4 * target)) {
		bench_series_release(&sa);
		bench_series_release(&sf);
		bench_buffer_put(&table_mem);
		return BENCH_SKIPPED;
	}
	heap_mark(&before);
	rand_seed(&r, w->seed);
	while (n < target) {
		void *p = churn_alloc(w, &warm, &r);

		if (!p)
			break;
		live[n++] = p;
	}
	for (i = 0; i < w->ops; i++) {
		if (n == 0 || (n < 2 * target && (rand_next(&r) & 1))) {
			void *p = churn_alloc(w, &sa, &r);

			if (p)
				live[n++] = p;
		} else {
			size_t k = rand_range(&r, 0, n - 1);

			churn_free(w, &sf, live[k]);
			live[k] = live[--n];
		}
	}
	while (n)
		churn_free(w, &warm, live[--n]);
	bench_metric_u64(w->name, "live_target", target);
	bench_series_release(&warm);
	bench_series_report(&sa);
	bench_series_report(&sf);
	bench_buffer_put(&table_mem);
	return w->algo ? BENCH_OK : heap_whole_check(w->name, &before);
}

static enum bench_status bench_heap_churn(void)
{
	static const struct churn_spec w = {
		.name = "heap_churn", .seed = 1, .live = 2000, .bytes_per_live = 1024,
		.ops = 200000, .size_pick = size_small,
	};

	return churn_run(&w);
}
BENCH_REGISTER("heap", bench_heap_churn);

/*
 * heap_churn's requests (same seed, sizes and live target) sent straight to
 * the algorithm at alignment 16, on a private instance: no lock, no header.
 */
static enum bench_status bench_heap_algo_churn(void)
{
	static const struct churn_spec w = {
		.name = "heap_algo_churn", .seed = 1, .live = 2000, .bytes_per_live = 1024,
		.ops = 200000, .size_pick = size_small, .algo = true,
	};
	struct heap_algo_space before, after;
	enum bench_status st;
	struct frame_run region;
	void *base = bench_buffer_get(CONFIG_HEAP_SIZE, &region);

	algo_bench.a = heap_algo_active();
	algo_bench.inst = base ? algo_bench.a->init(base, CONFIG_HEAP_SIZE, 0) : NULL;
	if (!algo_bench.inst) {
		bench_error(w.name, "no frames for a private %u-byte heap", CONFIG_HEAP_SIZE);
		bench_buffer_put(&region);
		return BENCH_SKIPPED;
	}
	algo_bench.a->space(algo_bench.inst, &before);
	st = churn_run(&w);
	algo_bench.a->space(algo_bench.inst, &after);
	if (st == BENCH_OK && (after.free != before.free ||
			       after.largest_free != before.largest_free ||
			       algo_bench.a->validate(algo_bench.inst, NULL))) {
		bench_error(w.name, "private heap not whole: free %zu (was %zu)", after.free,
			    before.free);
		st = BENCH_FAILED;
	}
	bench_buffer_put(&region);
	return st;
}
BENCH_REGISTER("heap", bench_heap_algo_churn);

static enum bench_status bench_heap_logu(void)
{
	static const struct churn_spec w = {
		.name = "heap_logu", .seed = 3, .live = 256, .bytes_per_live = 32 * KiB,
		.ops = 50000, .size_pick = size_logu,
	};

	return churn_run(&w);
}
BENCH_REGISTER("heap", bench_heap_logu);

static enum bench_status bench_heap_align(void)
{
	static const struct churn_spec w = {
		.name = "heap_align", .seed = 4, .live = 500, .bytes_per_live = 8 * KiB,
		.ops = 50000, .size_pick = size_small, .align_pick = align_mixed,
	};

	return churn_run(&w);
}
BENCH_REGISTER("heap", bench_heap_align);

/* ------------------------------------------------------------------ */
/* Fill-to-failure engine                                              */
/* ------------------------------------------------------------------ */

/*
 * Live blocks the heap can hold at most: every block takes at least 16
 * bytes (the smallest block of every algorithm), so HEAP/16 is a bound.
 */
#define FILL_LIVE_MAX	((size_t)CONFIG_HEAP_SIZE / 16)

/*
 * At the first failure: utilisation (bytes the callers asked for and still
 * hold, over the heap size: the figure peers report), what the heap handed
 * out (ksize) and reserved, and the state of the heap.
 */
static void fill_report(const char *name, size_t n, size_t size, size_t live_bytes)
{
	struct heap_stats st;

	heap_stats(&st);
	bench_metric_ratio(name, "util", live_bytes, CONFIG_HEAP_SIZE);
	bench_metric_ratio(name, "handed_out_fraction", st.used, CONFIG_HEAP_SIZE);
	bench_metric_ratio(name, "reserved_fraction", st.reserved, CONFIG_HEAP_SIZE);
	bench_metric_u64(name, "live_blocks", n);
	bench_metric_u64(name, "failed_size", size);
	bench_metric_u64(name, "largest_free", st.largest_free);
}

static enum bench_status fill_run(const char *name, uint64_t seed,
				  size_t (*size_pick)(struct rand_state *r))
{
	struct bench_series sa = { 0 }, sf = { 0 };
	struct frame_run table_mem, sizes_mem;
	struct heap_stats before;
	struct rand_state r;
	unsigned long step;
	size_t n = 0, live_bytes = 0;
	uint32_t *sizes;
	void **live;

	live = bench_buffer_get(FILL_LIVE_MAX * sizeof(*live), &table_mem);
	sizes = live ? bench_buffer_get(FILL_LIVE_MAX * sizeof(*sizes), &sizes_mem) : NULL;
	if (!sizes || bench_series_init(&sa, name, "kmalloc", 2 * FILL_LIVE_MAX + 2) ||
	    bench_series_init(&sf, name, "kfree", FILL_LIVE_MAX + 1)) {
		bench_series_release(&sa);
		if (sizes)
			bench_buffer_put(&sizes_mem);
		if (live)
			bench_buffer_put(&table_mem);
		return BENCH_SKIPPED;
	}
	heap_mark(&before);
	rand_seed(&r, seed);
	for (step = 0;; step++) {
		if (step % 3 == 2 && n) {
			size_t k = rand_range(&r, 0, n - 1);

			timed_kfree(&sf, live[k]);
			live_bytes -= sizes[k];
			live[k] = live[--n];
			sizes[k] = sizes[n];
		} else {
			size_t size = size_pick(&r);
			void *p = timed_kmalloc(&sa, size);

			if (!p) {
				fill_report(name, n, size, live_bytes);
				break;
			}
			if (n == FILL_LIVE_MAX)
				panic("fill_run: %s: more than %zu live blocks", name, n);
			sizes[n] = (uint32_t)size;
			live[n++] = p;
			live_bytes += size;
		}
	}
	while (n)
		kfree(live[--n]);
	bench_series_report(&sa);
	bench_series_report(&sf);
	bench_buffer_put(&sizes_mem);
	bench_buffer_put(&table_mem);
	return heap_whole_check(name, &before);
}

static enum bench_status bench_heap_fill(void)
{
	return fill_run("heap_fill", 5, size_fill);
}
BENCH_REGISTER("heap", bench_heap_fill);

static enum bench_status bench_heap_fill_logu(void)
{
	return fill_run("heap_fill_logu", 6, size_logu);
}
BENCH_REGISTER("heap", bench_heap_fill_logu);

/* ------------------------------------------------------------------ */
/* Adversarial workload                                                */
/* ------------------------------------------------------------------ */

#define WORST_LARGE_TRIES	2000	/* large, aligned requests on the holed heap */
#define WORST_FULL_OPS		20000	/* free + alloc pairs on the full heap */
#define WORST_SAMPLES		(4 * FILL_LIVE_MAX + 2 * WORST_LARGE_TRIES + 2 * WORST_FULL_OPS + 8)

/* What the phases of heap_worst share: the live blocks and the two series. */
struct worst_state {
	void **live;
	size_t n;
	struct bench_series sa, sf;
	struct rand_state r;
};

/* Allocate (timed) blocks of sizes from @size_pick until the first failure. */
static void worst_fill(struct worst_state *w, size_t (*size_pick)(struct rand_state *r))
{
	void *p;

	while (w->n < FILL_LIVE_MAX && (p = timed_kmalloc(&w->sa, size_pick(&w->r))))
		w->live[w->n++] = p;
}

/* Free (timed) every block, in allocation order: close to address order. */
static void worst_free_in_order(struct worst_state *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		timed_kfree(&w->sf, w->live[i]);
	w->n = 0;
}

static size_t size_crumb(struct rand_state *r)
{
	return rand_range(r, 16, 64);
}

static size_t size_mixed(struct rand_state *r)
{
	return rand_range(r, 16, 4096);
}

/*
 * Small holes everywhere: fill with 16-64 B blocks, free every other one,
 * then ask for 1-64 KiB blocks aligned to 256-4096 bytes, which the holes
 * cannot serve.
 */
static void worst_holes(struct worst_state *w)
{
	size_t i, kept = 0;

	worst_fill(w, size_crumb);
	for (i = 0; i < w->n; i++) {
		if (i % 2)
			timed_kfree(&w->sf, w->live[i]);
		else
			w->live[kept++] = w->live[i];
	}
	w->n = kept;
	for (i = 0; i < WORST_LARGE_TRIES && w->n < FILL_LIVE_MAX; i++) {
		size_t size = rand_range(&w->r, KiB, 64 * KiB);
		void *p = timed_kmalloc_aligned(&w->sa, size, 1UL << rand_range(&w->r, 8, 12));

		if (p)
			w->live[w->n++] = p;
	}
}

/* A heap kept full: fill with 16 B-4 KiB blocks, then free one and ask for one, many times. */
static void worst_full(struct worst_state *w)
{
	unsigned long i;

	worst_fill(w, size_mixed);
	for (i = 0; i < WORST_FULL_OPS && w->n; i++) {
		size_t k = rand_range(&w->r, 0, w->n - 1);
		void *p;

		timed_kfree(&w->sf, w->live[k]);
		w->live[k] = w->live[--w->n];
		p = timed_kmalloc(&w->sa, size_mixed(&w->r));
		if (p)
			w->live[w->n++] = p;
	}
}

/*
 * The extremes of a whole heap: the smallest block (split from the largest
 * free one, as the caches were merged back by heap_stats()) and the largest
 * block the heap has.
 */
static void worst_extremes(struct worst_state *w)
{
	struct heap_stats st;
	void *p;

	heap_stats(&st);
	p = timed_kmalloc(&w->sa, 1);
	if (p)
		timed_kfree(&w->sf, p);
	heap_stats(&st);
	p = st.largest_free ? timed_kmalloc(&w->sa, st.largest_free) : NULL;
	if (p)
		timed_kfree(&w->sf, p);
}

/*
 * heap_worst - the adversarial workload: small holes then large aligned
 * requests, long runs of merging frees, a heap kept full, and the extremes
 * of a whole heap. Its worst call is part of the "worst heap op" figure.
 */
static enum bench_status bench_heap_worst(void)
{
	const char *name = "heap_worst";
	struct worst_state w = { 0 };
	struct frame_run table_mem;
	struct heap_stats before;

	w.live = bench_buffer_get(FILL_LIVE_MAX * sizeof(*w.live), &table_mem);
	if (!w.live || bench_series_init(&w.sa, name, "kmalloc", WORST_SAMPLES) ||
	    bench_series_init(&w.sf, name, "kfree", WORST_SAMPLES)) {
		bench_series_release(&w.sa);
		bench_buffer_put(&table_mem);
		return BENCH_SKIPPED;
	}
	heap_mark(&before);
	rand_seed(&w.r, 8);
	worst_holes(&w);
	worst_free_in_order(&w);
	worst_full(&w);
	worst_free_in_order(&w);
	worst_extremes(&w);
	bench_metric_u64(name, "kmalloc_failures", w.sa.failures);
	bench_series_report(&w.sa);
	bench_series_report(&w.sf);
	bench_buffer_put(&table_mem);
	return heap_whole_check(name, &before);
}
BENCH_REGISTER("heap", bench_heap_worst);
