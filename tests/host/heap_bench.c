// SPDX-License-Identifier: MIT
/*
 * Host proxy benchmark for the heap algorithms, to run under callgrind until
 * the guest can count instructions itself:
 *
 *   make -f tests/host/Makefile objtree=build heap-bench
 *   valgrind --tool=callgrind --toggle-collect='heap_buddy_*' build/host/heap_bench churn buddy
 *   valgrind --tool=callgrind --toggle-collect='heap_buddy_*' --combine-dumps=yes \
 *            --callgrind-out-file=per-op.out build/host/heap_bench churn buddy 20000 dump
 *
 * The first gives the instructions spent inside the algorithm (the "summary"
 * line) for the printed number of operations. With "dump" the program asks
 * callgrind for one profile part per operation, so the largest "totals" line
 * of per-op.out is the worst single operation. The "fill" workload prints the
 * utilisation (live requested bytes / heap size) at the first failure.
 *
 * Workloads, on an 8 MiB heap:
 *   churn  requests of 8-512 bytes (align 8); grow to 2000 live blocks, then
 *          allocate or free a random live block with equal odds
 *   lab    the standard lab test (box a value, grow a vector to 10000 words)
 *   fill   random 16-256 byte blocks, two allocations per free, until failure
 *   worst  the adversarial case: 64-256 byte blocks until the heap is full,
 *          every other one freed, then 2000 requests of 1-64 KiB aligned to
 *          256-4096 bytes (the holes cannot take them); everything freed in
 *          allocation order (long runs of merging frees); 16 B-4 KiB blocks
 *          until the heap is full again, then 20000 times a free and an
 *          allocation; everything freed; 1 byte and the largest free block
 *          of the whole heap. The fills are set-up and not dumped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>
#include <lib/rand.h>
#include <mm/heap_algo.h>
#include <mm/heap_stress.h>

#define HEAP_SIZE	(8 * MiB)

static bool dump_each;

/* heap_stress_report_fn: problems go to stderr. */
static void __printf(2, 3) bench_report(void *arg, const char *fmt, ...)
{
	va_list ap;

	(void)arg;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void panic(const char *fmt, ...)
{
	fprintf(stderr, "panic: %s\n", fmt);
	abort();
}

/* One profile part per operation when asked (outside the collected code). */
static void op_done(void)
{
	if (dump_each)
		CALLGRIND_DUMP_STATS;
}

static unsigned long bench_churn(const struct heap_algo *a, void *heap, unsigned long ops)
{
	void **live = calloc(4096, sizeof(*live));
	struct rand_state rng;
	unsigned long done = 0;
	size_t n = 0;

	rand_seed(&rng, 42);
	while (done < ops) {
		if (done < 2000) {
			live[n++] = a->alloc(heap, rand_range(&rng, 8, 512), 8, NULL);
		} else if (rand_next(&rng) & 1) {
			void *p = a->alloc(heap, rand_range(&rng, 8, 512), 8, NULL);

			if (p && n < 4096)
				live[n++] = p;
		} else if (n) {
			size_t k = rand_range(&rng, 0, n - 1);

			a->free(heap, live[k], NULL);
			live[k] = live[--n];
		}
		done++;
		op_done();
	}
	while (n)
		a->free(heap, live[--n], NULL);
	free(live);
	return done;
}

static unsigned long bench_lab(const struct heap_algo *a, void *heap)
{
	unsigned long *box = a->alloc(heap, sizeof(long), sizeof(long), NULL), *vec, *grown;
	size_t cap = 4, len;
	unsigned long ops = 2;

	*box = 5;
	vec = a->alloc(heap, cap * sizeof(long), sizeof(long), NULL);
	for (len = 0; len < 10000; len++) {
		if (len == cap) {
			grown = a->alloc(heap, 2 * cap * sizeof(long), sizeof(long), NULL);
			memcpy(grown, vec, cap * sizeof(long));
			a->free(heap, vec, NULL);
			vec = grown;
			cap *= 2;
			ops += 2;
		}
		vec[len] = len;
	}
	a->free(heap, vec, NULL);
	a->free(heap, box, NULL);
	return ops + 2;
}

static void *worst_alloc(const struct heap_algo *a, void *heap, size_t size, size_t align)
{
	void *p = a->alloc(heap, size, align, NULL);

	op_done();
	return p;
}

static void worst_free(const struct heap_algo *a, void *heap, void *p)
{
	if (a->free(heap, p, NULL) != HEAP_FREE_OK) {
		fprintf(stderr, "heap_bench: %s refused %p\n", a->name, p);
		abort();
	}
	op_done();
}

/* Allocate (not dumped) blocks of @lo..@hi bytes into @live until the heap is full. */
static size_t worst_fill(const struct heap_algo *a, void *heap, void **live, size_t n, size_t cap,
			 struct rand_state *rng, size_t lo, size_t hi)
{
	while (n < cap && (live[n] = a->alloc(heap, rand_range(rng, lo, hi), 16, NULL)))
		n++;
	return n;
}

/* The adversarial workload (see the top of the file); returns the operations dumped. */
static unsigned long bench_worst(const struct heap_algo *a, void *heap)
{
	size_t cap = HEAP_SIZE / 64, n, i, kept;
	void **live = calloc(cap, sizeof(*live)), *p;
	struct heap_algo_space sp;
	struct rand_state rng;
	unsigned long done = 0;

	rand_seed(&rng, 8);
	n = worst_fill(a, heap, live, 0, cap, &rng, 64, 256);
	for (i = kept = 0; i < n; i++) {
		if (i % 2)
			a->free(heap, live[i], NULL);
		else
			live[kept++] = live[i];
	}
	n = kept;
	for (i = 0; i < 2000 && n < cap; i++, done++) {
		p = worst_alloc(a, heap, rand_range(&rng, KiB, 64 * KiB),
				1UL << rand_range(&rng, 8, 12));
		if (p)
			live[n++] = p;
	}
	for (i = 0; i < n; i++, done++)
		worst_free(a, heap, live[i]);
	n = worst_fill(a, heap, live, 0, cap, &rng, 16, 4096);
	for (i = 0; i < 20000 && n; i++, done += 2) {
		size_t k = rand_range(&rng, 0, n - 1);

		worst_free(a, heap, live[k]);
		live[k] = live[--n];
		p = worst_alloc(a, heap, rand_range(&rng, 16, 4096), 16);
		if (p)
			live[n++] = p;
	}
	for (i = 0; i < n; i++, done++)
		worst_free(a, heap, live[i]);
	a->space(heap, &sp);
	p = worst_alloc(a, heap, 1, 16);
	if (p)
		worst_free(a, heap, p);
	p = worst_alloc(a, heap, sp.largest_free, 16);
	if (p)
		worst_free(a, heap, p);
	free(live);
	return done + 4;
}

/* The fill-to-failure workload of the shared harness; prints the utilisation,
 * returns the problem count. */
static unsigned long bench_fill(const struct heap_algo *a, void *heap, void *region)
{
	size_t scratch_size = HEAP_SIZE / 16 * HEAP_STRESS_ENTRY_SIZE, bytes = 0;
	struct heap_stress s = {
		.algo = a, .heap = heap, .region = region, .region_size = HEAP_SIZE,
		.seed = 99, .scratch = malloc(scratch_size), .scratch_size = scratch_size,
		.report = bench_report,
	};
	unsigned problems = heap_stress_fill(&s, 16, 256, &bytes);

	printf("%s: fill utilisation %.4f (%u problems)\n", a->name,
	       (double)bytes / HEAP_SIZE, problems);
	free(s.scratch);
	return problems;
}

int main(int argc, char **argv)
{
	const char *work = argc > 1 ? argv[1] : "churn";
	const char *name = argc > 2 ? argv[2] : "buddy";
	unsigned long ops = argc > 3 ? strtoul(argv[3], NULL, 0) : 200000;
	const struct heap_algo *a;
	void *region, *heap;
	unsigned long done;

	dump_each = argc > 4 && strcmp(argv[4], "dump") == 0;
	heap_algo_for_each(a)
		if (strcmp(a->name, name) == 0)
			break;
	if (a == __stop_heap_algos) {
		fprintf(stderr, "heap_bench: no algorithm \"%s\"\n", name);
		return 2;
	}
	region = aligned_alloc(4096, HEAP_SIZE);
	heap = a->init(region, HEAP_SIZE, 0);
	if (strcmp(work, "churn") == 0)
		done = bench_churn(a, heap, ops);
	else if (strcmp(work, "lab") == 0)
		done = bench_lab(a, heap);
	else if (strcmp(work, "fill") == 0)
		return bench_fill(a, heap, region) ? 1 : 0;
	else if (strcmp(work, "worst") == 0)
		done = bench_worst(a, heap);
	else
		return 2;
	printf("%s %s: %lu operations, validate %u\n", a->name, work, done,
	       a->validate(heap, NULL));
	free(region);
	return 0;
}
