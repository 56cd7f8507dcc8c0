// SPDX-License-Identifier: MIT
/*
 * Heap and frame maps: run a workload on the real allocators, stop it in an
 * interesting state and print every block (heap_walk) and every run of
 * frames (frame_walk) as "map: ..." lines; <bench/map.h> gives the format and
 * scripts/mapviz.py draws them.
 *
 * Design. The heap workload fills the heap with log-uniform sizes (16 bytes
 * up to 64 KiB, or 1/32 of a small heap) until the first request fails and
 * prints the map ("full"), then frees a random half of the blocks and prints
 * it again ("half-freed"): the first shows how tightly the algorithm packs,
 * the second the holes it is left with. Log-uniform sizes keep the number
 * of blocks near a thousand at 8 MiB, so the map is exact (one line per
 * block) and still short. The frame workload allocates single frames, frees
 * a random half, allocates a quarter again and takes one aligned run, so the
 * map shows where each algorithm places frames. Seeds are fixed: the same
 * image prints the same maps. Tables come from frames, never from the heap;
 * everything is given back at the end and the allocators must be whole.
 */
#include <lib/rand.h>
#include <lib/string.h>
#include <lib/vsprintf.h>
#include <mm/frame.h>
#include <mm/heap.h>
#include <bench/map.h>
#include <bench/bench.h>
#include <mmlab/kernel.h>
#include <mmlab/printk.h>

#define MAP_ARG_MAX		16
#define HEAP_LIVE_MAX		16384	/* blocks the heap workload tracks */
#define HEAP_SIZE_MIN_SHIFT	4	/* smallest request: 16 bytes */
#define HEAP_SIZE_MAX_SHIFT	16	/* largest request: 64 KiB */
#define HEAP_SEED		7
#define FRAMES_SINGLES_MAX	2048	/* single frames the frame workload takes */
#define FRAMES_RUN		64	/* frames in its one aligned run */
#define FRAMES_SEED		8
#define FRAMES_BASE_MAX		64	/* allocated runs remembered before the workload */

/* ------------------------------------------------------------------ */
/* Heap map                                                            */
/* ------------------------------------------------------------------ */

struct heap_live {
	void *p;
	size_t size;			/* bytes asked for */
};

/* What the walk callback adds up while it prints. */
struct heap_tally {
	size_t blocks, free_blocks, free_runs;
	size_t largest_block, largest_run, run;	/* run: the free run in progress */
};

/* Print one block and count it; runs under the heap lock. */
static void heap_block_print(void *arg, enum heap_block_kind kind, size_t offset, size_t size)
{
	static const char kinds[] = { [HEAP_BLOCK_FREE] = 'F', [HEAP_BLOCK_USED] = 'U',
				      [HEAP_BLOCK_META] = 'M' };
	struct heap_tally *t = arg;

	printk("map: h %c %zu %zu\n", kinds[kind], offset, size);
	t->blocks++;
	if (kind != HEAP_BLOCK_FREE) {
		t->run = 0;
		return;
	}
	t->free_blocks++;
	t->free_runs += t->run == 0;
	t->run += size;
	t->largest_block = MAX(t->largest_block, size);
	t->largest_run = MAX(t->largest_run, t->run);
}

/* Print the whole heap map for @state; @live blocks asked for @requested bytes. */
static void heap_map_print(const char *state, const char *about, size_t live, size_t requested)
{
	struct heap_tally t = { 0 };
	struct heap_stats st;

	printk("map: heap %s %u %s\n", heap_algo_active()->name, CONFIG_HEAP_SIZE, state);
	printk("map: about %s %s\n", state, about);
	heap_walk(heap_block_print, &t);
	heap_stats(&st);
	printk("map: end heap %s blocks=%zu free=%zu free_blocks=%zu free_runs=%zu "
	       "largest_block=%zu largest_run=%zu largest_alloc=%zu used=%zu reserved=%zu "
	       "meta=%zu requested=%zu live=%zu\n", state, t.blocks, st.free, t.free_blocks,
	       t.free_runs, t.largest_block, t.largest_run, st.largest_free, st.used,
	       st.reserved, st.meta, requested, live);
}

/* Largest request size shift for this heap: 64 KiB, or 1/32 of a small heap. */
static unsigned heap_size_max_shift(void)
{
	unsigned s = HEAP_SIZE_MAX_SHIFT;

	while (s > HEAP_SIZE_MIN_SHIFT + 1 && (1UL << s) > CONFIG_HEAP_SIZE / 32)
		s--;
	return s;
}

/* Log-uniform request size: a random octave, then uniform inside it. */
static size_t heap_size_pick(struct rand_state *r, unsigned max_shift)
{
	unsigned e = rand_range(r, HEAP_SIZE_MIN_SHIFT, max_shift - 1);

	return rand_range(r, 1UL << e, (1UL << (e + 1)) - 1);
}

/*
 * map_heap - the heap workload and its two maps. Return: EXIT_OK, or
 * EXIT_TEST_FAIL when its table cannot be had or the heap is not whole after.
 */
static int map_heap(void)
{
	unsigned max_shift = heap_size_max_shift();
	size_t n = 0, requested = 0, failed = 0, i, half;
	struct heap_stats before, after;
	struct frame_run table_mem;
	struct heap_live *live;
	struct rand_state r;
	char about[160];

	live = bench_buffer_get(HEAP_LIVE_MAX * sizeof(*live), &table_mem);
	if (!live) {
		printk("map: error heap: no frames for the block table\n");
		return EXIT_TEST_FAIL;
	}
	heap_stats(&before);
	rand_seed(&r, HEAP_SEED);
	while (n < HEAP_LIVE_MAX) {
		size_t size = heap_size_pick(&r, max_shift);
		void *p = kmalloc(size);

		if (!p) {
			failed = size;
			break;
		}
		live[n++] = (struct heap_live){ p, size };
		requested += size;
	}
	snprintf(about, sizeof(about),
		 "kmalloc of random sizes %lu..%lu bytes (log-uniform) until the first "
		 "failure (%zu bytes; 0: table full)",
		 1UL << HEAP_SIZE_MIN_SHIFT, (1UL << max_shift) - 1, failed);
	heap_map_print("full", about, n, requested);

	for (half = n / 2, i = 0; i < half; i++) {
		size_t k = rand_range(&r, 0, n - 1);

		requested -= live[k].size;
		kfree(live[k].p);
		live[k] = live[--n];
	}
	snprintf(about, sizeof(about), "then kfree of a random half of those blocks (%zu freed)",
		 half);
	heap_map_print("half-freed", about, n, requested);

	while (n)
		kfree(live[--n].p);
	bench_buffer_put(&table_mem);
	heap_stats(&after);
	if (after.used != before.used || after.free != before.free ||
	    after.largest_free != before.largest_free || heap_validate()) {
		printk("map: error heap: not whole after the workload (free %zu, was %zu)\n",
		       after.free, before.free);
		return EXIT_TEST_FAIL;
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Frame map                                                           */
/* ------------------------------------------------------------------ */

/* Allocated runs seen before the workload, and the span, from a first walk. */
struct frames_base {
	struct ppn_range run[FRAMES_BASE_MAX];
	unsigned nrun;
	bool overflow;
	uint64_t first, end;
};

/* Record the span and the allocated runs (walk callback, frame lock held). */
static void frames_base_note(void *arg, bool free, struct ppn_range run)
{
	struct frames_base *b = arg;

	if (b->end == 0)
		b->first = ppn_val(run.start);
	b->end = ppn_val(run.end);
	if (free)
		return;
	if (b->nrun == FRAMES_BASE_MAX) {
		b->overflow = true;
		return;
	}
	b->run[b->nrun++] = run;
}

struct frames_tally {
	const struct frames_base *base;
	uint64_t free, free_runs, largest_run, held, kernel, lines;
};

static void frames_line(struct frames_tally *t, char kind, uint64_t first, uint64_t count)
{
	printk("map: f %c %llu %llu\n", kind, (unsigned long long)first,
	       (unsigned long long)count);
	t->lines++;
}

/*
 * Print one run, splitting an allocated run into the parts that were
 * allocated before the workload (K) and the workload's own (U).
 */
static void frames_run_print(void *arg, bool free, struct ppn_range run)
{
	struct frames_tally *t = arg;
	uint64_t at = ppn_val(run.start), end = ppn_val(run.end);
	unsigned i;

	if (free) {
		frames_line(t, 'F', at, end - at);
		t->free += end - at;
		t->free_runs++;
		t->largest_run = MAX(t->largest_run, end - at);
		return;
	}
	/* Baseline runs are in address order and never overlap. */
	for (i = 0; i < t->base->nrun && at < end; i++) {
		uint64_t ks = ppn_val(t->base->run[i].start), ke = ppn_val(t->base->run[i].end);

		if (ke <= at || ks >= end)
			continue;
		if (ks > at) {
			frames_line(t, 'U', at, ks - at);
			t->held += ks - at;
			at = ks;
		}
		ke = MIN(ke, end);
		frames_line(t, 'K', at, ke - at);
		t->kernel += ke - at;
		at = ke;
	}
	if (at < end) {
		frames_line(t, 'U', at, end - at);
		t->held += end - at;
	}
}

static void frames_map_print(const struct frames_base *base, const char *state,
			     const char *about)
{
	struct frames_tally t = { .base = base };

	printk("map: frames %s %llu %llu %s\n", frame_algo_name(),
	       (unsigned long long)base->first, (unsigned long long)(base->end - base->first),
	       state);
	printk("map: about %s %s\n", state, about);
	frame_walk(frames_run_print, &t);
	printk("map: end frames %s free=%llu free_runs=%llu largest_run=%llu held=%llu "
	       "kernel=%llu lines=%llu\n", state, (unsigned long long)t.free,
	       (unsigned long long)t.free_runs, (unsigned long long)t.largest_run,
	       (unsigned long long)t.held, (unsigned long long)t.kernel,
	       (unsigned long long)t.lines);
}

/*
 * map_frames - the frame workload and its map. Return: EXIT_OK, or
 * EXIT_TEST_FAIL when its table cannot be had or frames are missing after.
 */
static int map_frames(void)
{
	static struct frames_base base;
	uint64_t free_before = frame_free_count(), target, n = 0, i, half, again;
	struct frame_run table_mem, run = { 0 };
	struct rand_state r;
	struct frame *held;
	char about[200];

	target = MIN((uint64_t)FRAMES_SINGLES_MAX, free_before / 4);
	held = bench_buffer_get(FRAMES_SINGLES_MAX * sizeof(*held), &table_mem);
	if (!held) {
		printk("map: error frames: no frames for the table\n");
		return EXIT_TEST_FAIL;
	}
	base = (struct frames_base){ 0 };
	frame_walk(frames_base_note, &base);
	if (base.overflow)
		printk("map: error frames: more than %d allocated runs at the start; "
		       "the later ones show as U\n", FRAMES_BASE_MAX);

	rand_seed(&r, FRAMES_SEED);
	while (n < target && !frame_alloc(&held[n]))
		n++;
	for (half = n / 2, i = 0; i < half; i++) {
		uint64_t k = rand_range(&r, 0, n - 1);

		frame_free(held[k]);
		held[k] = held[--n];
	}
	for (again = 0; again < target / 4 && !frame_alloc(&held[n]); again++)
		n++;
	if (frame_alloc_run(FRAMES_RUN, FRAMES_RUN, &run))
		run = (struct frame_run){ 0 };
	snprintf(about, sizeof(about),
		 "frame_alloc of %llu single frames, frame_free of a random half, "
		 "%llu more frame_alloc, then one %d-frame run aligned to %d frames (%s)",
		 (unsigned long long)target, (unsigned long long)again, FRAMES_RUN, FRAMES_RUN,
		 run.count ? "granted" : "refused");
	frames_map_print(&base, "fragmented", about);

	if (run.count)
		frame_free_run(run);
	while (n)
		frame_free(held[--n]);
	bench_buffer_put(&table_mem);
	if (frame_free_count() != free_before || frame_validate()) {
		printk("map: error frames: %llu free after the workload, %llu before\n",
		       (unsigned long long)frame_free_count(), (unsigned long long)free_before);
		return EXIT_TEST_FAIL;
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Heap strips: the frames of an animated replay                       */
/* ------------------------------------------------------------------ */

/* Bytes of one strip cell covered by live blocks and by metadata. */
struct strip_cell {
	size_t used, meta;
};

static struct strip_cell strip_cells[MAP_STRIP_CELLS];
static char strip_text[MAP_STRIP_CELLS + 1];

/* Add the bytes of one block to the cells it covers; runs under the heap lock. */
static void strip_block_add(void *arg, enum heap_block_kind kind, size_t offset, size_t size)
{
	size_t cell_bytes = *(const size_t *)arg;

	while (kind != HEAP_BLOCK_FREE && size) {
		size_t cell = offset / cell_bytes;
		size_t n = MIN(size, (cell + 1) * cell_bytes - offset);

		if (cell >= MAP_STRIP_CELLS)
			break;
		if (kind == HEAP_BLOCK_META)
			strip_cells[cell].meta += n;
		else
			strip_cells[cell].used += n;
		offset += n;
		size -= n;
	}
}

/* The character of one cell of @cell_bytes (see <bench/map.h>). */
static char strip_char(const struct strip_cell *c, size_t cell_bytes)
{
	if (c->meta * 2 > cell_bytes)
		return 'M';
	return (char)('0' + MIN(9UL, (c->used * 9 + cell_bytes - 1) / cell_bytes));
}

void map_heap_strip(const char *trace, unsigned long op, unsigned long ops,
		    unsigned long long live)
{
	size_t cell_bytes = (CONFIG_HEAP_SIZE + MAP_STRIP_CELLS - 1) / MAP_STRIP_CELLS;
	struct heap_stats st;
	size_t i;

	memset(strip_cells, 0, sizeof(strip_cells));
	heap_walk(strip_block_add, &cell_bytes);
	for (i = 0; i < MAP_STRIP_CELLS; i++)
		strip_text[i] = strip_char(&strip_cells[i], cell_bytes);
	strip_text[MAP_STRIP_CELLS] = '\0';
	heap_stats(&st);
	printk("map: strip %s %u %s %lu %lu %llu %zu %zu %zu %s\n", heap_algo_active()->name,
	       CONFIG_HEAP_SIZE, trace, op, ops, live, st.used, st.free, st.largest_free,
	       strip_text);
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

bool map_requested(void)
{
	char buf[MAP_ARG_MAX];

	return cmdline_get("map", buf, sizeof(buf)) != NULL;
}

int map_run(void)
{
	char what[MAP_ARG_MAX];
	bool heap, frames;
	int status = EXIT_OK;

	cmdline_get("map", what, sizeof(what));
	heap = !strcmp(what, "heap") || !strcmp(what, "all");
	frames = !strcmp(what, "frames") || !strcmp(what, "all");
	if (!heap && !frames) {
		printk("map: error unknown map=%s (want heap, frames or all)\n", what);
		status = EXIT_TEST_FAIL;
	}
	if (heap && map_heap() != EXIT_OK)
		status = EXIT_TEST_FAIL;
	if (frames && map_frames() != EXIT_OK)
		status = EXIT_TEST_FAIL;
	printk("map: done status=%s\n", status == EXIT_OK ? "ok" : "failed");
	return status;
}
