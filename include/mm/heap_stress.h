/* SPDX-License-Identifier: MIT */
/*
 * The heap stress harness: workloads that drive any struct heap_algo instance
 * and check it from the outside, shared by the host tests and the in-kernel
 * KTAP tests. It is pure code (no printf, no globals): problems go to the
 * caller's report callback and each workload returns how many it found, 0
 * meaning the algorithm passed.
 *
 * Every workload starts and ends with all of its blocks freed, so several can
 * run one after another on the same instance. Each block it holds is filled
 * with a pattern derived from its address and size and checked before it is
 * freed; addresses are checked against the region and the alignment asked for.
 * Its bookkeeping (a table of live blocks) lives in caller-given scratch
 * memory, HEAP_STRESS_ENTRY_SIZE bytes per block it may hold at once.
 */
#ifndef MM_HEAP_STRESS_H
#define MM_HEAP_STRESS_H

#include <mm/heap_algo.h>

/* Receives one problem description (no trailing newline). */
typedef void (*heap_stress_report_fn)(void *arg, const char *fmt, ...) __printf(2, 3);

/* What a workload runs against; the caller owns every pointer in it. */
struct heap_stress {
	const struct heap_algo *algo;
	void *heap;			/* instance returned by algo->init() */
	const void *region;		/* the region given to init() */
	size_t region_size;
	uint64_t seed;			/* same seed, same run */
	void *scratch;			/* bookkeeping, 8-byte aligned */
	size_t scratch_size;
	heap_stress_report_fn report;
	void *report_arg;
};

/* Bytes of scratch per live block a workload tracks. */
#define HEAP_STRESS_ENTRY_SIZE	(2 * sizeof(void *))

/* Parameters of heap_stress_churn(). */
struct heap_stress_churn_cfg {
	unsigned long ops;		/* allocations plus frees */
	size_t min_size, max_size;	/* request sizes, uniform, >= 1 */
	size_t max_align;		/* alignments are random powers of two up to this */
	size_t max_live;		/* blocks held at most (also capped by scratch) */
	unsigned long validate_every;	/* ops between validate() calls; 0: at the end only */
};

/*
 * heap_stress_churn - random allocations and frees (an allocation when the
 * table is empty or on a coin flip while it is not full), then free all.
 * Failed allocations are allowed; validate() must return 0 every
 * validate_every ops and at the end, and the free space must be back to its
 * starting value. Returns the number of problems reported.
 */
unsigned heap_stress_churn(const struct heap_stress *s, const struct heap_stress_churn_cfg *cfg);

/*
 * heap_stress_exhaust - allocate random sizes in [min_size, max_size] until
 * an allocation fails (the failed call must change nothing), then free all in
 * random order: free space and largest_free must return to their starting
 * values and an allocation of largest_free bytes must then succeed. Reports a
 * problem if the scratch table fills first. Returns the problem count.
 */
unsigned heap_stress_exhaust(const struct heap_stress *s, size_t min_size, size_t max_size);

/*
 * heap_stress_fill - the fill-to-failure workload: random sizes in
 * [min_size, max_size], two allocations per free of a random live block,
 * until the first allocation fails; *@live_bytes gets the bytes requested by
 * the blocks live at that moment (utilisation = *@live_bytes / heap size).
 * Then frees everything (patterns checked). Returns the problem count.
 */
unsigned heap_stress_fill(const struct heap_stress *s, size_t min_size, size_t max_size,
			  size_t *live_bytes);

/*
 * heap_stress_align_sweep - for every power of two 1..4096, allocate a few
 * sizes at that alignment and check the addresses; needs about 32 KiB free.
 * Returns the problem count.
 */
unsigned heap_stress_align_sweep(const struct heap_stress *s);

/*
 * heap_stress_lab - the standard lab test: box the value 5 and read it back;
 * grow a vector of machine words to 10000 elements by doubling from capacity
 * 4 (alloc, copy, free), check every element, free everything. Needs a heap
 * of about 256 KiB. Returns the problem count.
 */
unsigned heap_stress_lab(const struct heap_stress *s);

#endif /* MM_HEAP_STRESS_H */
