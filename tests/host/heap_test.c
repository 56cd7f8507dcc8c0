// SPDX-License-Identifier: MIT
/*
 * Host tests for every heap algorithm registered in the "heap_algos" section.
 * Each case loops over all algorithms, keeps going after one fails, prints
 * the problems as KTAP diagnostics ("# <algo>: ...") and fails naming every
 * algorithm that had one.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <lib/rand.h>
#include <mm/heap_algo.h>
#include <mm/heap_stress.h>
#include "host_test.h"

#define PAGE	4096UL

/* ------------------------------------------------------------------ */
/* Per-algorithm bookkeeping                                           */
/* ------------------------------------------------------------------ */

/* Names of the algorithms that failed in the running case. */
static char failed_algos[256];

static void algo_failed(const struct heap_algo *a)
{
	if (!strstr(failed_algos, a->name)) {
		strncat(failed_algos, " ", sizeof(failed_algos) - strlen(failed_algos) - 1);
		strncat(failed_algos, a->name, sizeof(failed_algos) - strlen(failed_algos) - 1);
	}
}

/* Print a problem as a KTAP diagnostic and remember the algorithm. */
static void algo_problem(const struct heap_algo *a, const char *fmt, ...) __printf(2, 3);
static void algo_problem(const struct heap_algo *a, const char *fmt, ...)
{
	va_list ap;

	printf("# %s: ", a->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	algo_failed(a);
}

/* Check inside a loop over algorithms: report and carry on. */
#define ALGO_CHECK(a, cond) do {					\
	if (!(cond))							\
		algo_problem(a, "%s:%d: CHECK(%s)", __FILE__, __LINE__, #cond); \
} while (0)

/* End of a case: fail it if any algorithm had a problem. */
static void algos_verdict(void)
{
	if (failed_algos[0]) {
		char names[sizeof(failed_algos)];

		memcpy(names, failed_algos, sizeof(names));
		failed_algos[0] = '\0';
		host_test_fail(__FILE__, __LINE__, "failing algorithms:%s", names);
	}
}

/* The harness's report callback: a diagnostic line (the harness names the algorithm). */
static void __printf(2, 3) stress_report(void *arg, const char *fmt, ...)
{
	va_list ap;

	(void)arg;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* A page-aligned region, or one at @skew bytes past a page boundary. */
static void *region_alloc(size_t size, size_t skew)
{
	unsigned char *p = aligned_alloc(PAGE, ALIGN_UP(size + skew, PAGE));

	if (!p)
		host_test_fail(__FILE__, __LINE__, "out of host memory");
	return p + skew;
}

static void region_free(void *region, size_t skew)
{
	free((unsigned char *)region - skew);
}

/* Fill @s for algorithm @a over a fresh region; NULL heap if init refused. */
static void stress_setup(struct heap_stress *s, const struct heap_algo *a, void *region,
			 size_t size, unsigned flags, uint64_t seed, void *scratch,
			 size_t scratch_size)
{
	s->algo = a;
	s->heap = a->init(region, size, flags);
	s->region = region;
	s->region_size = size;
	s->seed = seed;
	s->scratch = scratch;
	s->scratch_size = scratch_size;
	s->report = stress_report;
	s->report_arg = NULL;
}

#define for_each_algo(a) heap_algo_for_each(a)

/* ------------------------------------------------------------------ */
/* Harness workloads at several sizes, seeds and base alignments       */
/* ------------------------------------------------------------------ */

static const size_t heap_sizes[] = { 64 * KiB, 1 * MiB, 8 * MiB };

/* Run all four workloads on one fresh instance; returns the problem count. */
static unsigned workloads_run(const struct heap_algo *a, size_t size, size_t skew,
			      unsigned flags, uint64_t seed)
{
	size_t scratch_size = size;	/* 16 bytes per entry, blocks >= 16 bytes */
	void *scratch = malloc(scratch_size);
	void *region = region_alloc(size, skew);
	struct heap_stress s;
	struct heap_stress_churn_cfg churn = {
		.ops = size >= MiB ? 40000 : 10000,
		.min_size = 1, .max_size = 512, .max_align = 64,
		.max_live = size / 512, .validate_every = 1000,
	};
	unsigned problems = 0;

	stress_setup(&s, a, region, size, flags, seed, scratch, scratch_size);
	if (!s.heap) {
		algo_problem(a, "init(%zu bytes at page+%zu) failed", size, skew);
		problems = 1;
	} else {
		problems += heap_stress_churn(&s, &churn);
		problems += heap_stress_exhaust(&s, 16, 256);
		problems += heap_stress_exhaust(&s, 1, size / 16);
		problems += heap_stress_align_sweep(&s);
		if (size >= 256 * KiB)
			problems += heap_stress_lab(&s);
	}
	region_free(region, skew);
	free(scratch);
	return problems;
}

HOST_TEST(heap_stress_sizes)
{
	const struct heap_algo *a;
	uint64_t seed;
	unsigned i;

	for_each_algo(a)
		for (i = 0; i < ARRAY_SIZE(heap_sizes); i++)
			for (seed = 1; seed <= 3; seed++)
				if (workloads_run(a, heap_sizes[i], 0, 0, seed))
					algo_problem(a, "workloads failed at %zu KiB, seed %llu",
						     heap_sizes[i] / KiB, (unsigned long long)seed);
	algos_verdict();
}

/* A base 16 bytes past a page boundary and a size that is no power of two. */
HOST_TEST(heap_stress_odd_region)
{
	const struct heap_algo *a;

	for_each_algo(a) {
		if (workloads_run(a, 300 * KiB + 48, 16, 0, 7))
			algo_problem(a, "workloads failed on an odd region");
		if (workloads_run(a, 1 * MiB + 4096 + 16, 2048 + 16, 0, 8))
			algo_problem(a, "workloads failed on an odd region");
	}
	algos_verdict();
}

HOST_TEST(heap_stress_poisoned)
{
	const struct heap_algo *a;

	for_each_algo(a)
		if (workloads_run(a, 1 * MiB, 0, HEAP_ALGO_POISON, 11))
			algo_problem(a, "workloads failed with HEAP_ALGO_POISON");
	algos_verdict();
}

/* ------------------------------------------------------------------ */
/* A long random run checked against a model of the live blocks         */
/* ------------------------------------------------------------------ */

struct model_block {
	unsigned char *p;
	size_t size, usable;
	unsigned char seed;
};

/* Index of the first block in sorted @m[0..n) whose address is >= @p. */
static size_t model_search(const struct model_block *m, size_t n, const unsigned char *p)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m[mid].p < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool model_bytes_ok(const struct model_block *b)
{
	size_t i;

	for (i = 0; i < b->size; i++)
		if (b->p[i] != (unsigned char)(b->seed + i))
			return false;
	return true;
}

static void model_run(const struct heap_algo *a, size_t size, uint64_t seed, unsigned long ops)
{
	unsigned char *region = region_alloc(size, 0);
	struct model_block *m = calloc(size / 16, sizeof(*m));
	void *heap = a->init(region, size, 0);
	struct rand_state rng;
	size_t n = 0, i;
	unsigned long op;

	rand_seed(&rng, seed);
	ALGO_CHECK(a, heap != NULL);
	for (op = 0; heap && op < ops && !strstr(failed_algos, a->name); op++) {
		if (n == 0 || (n < size / 64 && rand_range(&rng, 0, 99) < 55)) {
			size_t sz = (size_t)1 << rand_range(&rng, 0, 11);
			size_t align = rand_range(&rng, 0, 15) ? 1
						 : (size_t)1 << rand_range(&rng, 0, 12);
			struct model_block b;

			size_t said = 0;

			sz = rand_range(&rng, 1, sz);
			b.p = a->alloc(heap, sz, align, &said);
			if (!b.p)
				continue;
			b.size = sz;
			b.usable = a->usable_size(heap, b.p);
			ALGO_CHECK(a, said == b.usable);	/* alloc reports usable_size */
			b.seed = (unsigned char)rand_next(&rng);
			i = model_search(m, n, b.p);
			ALGO_CHECK(a, b.p >= region && b.p + b.usable <= region + size);
			ALGO_CHECK(a, ((uintptr_t)b.p & (align - 1)) == 0);
			ALGO_CHECK(a, b.usable >= sz);
			ALGO_CHECK(a, i == 0 || m[i - 1].p + m[i - 1].usable <= b.p);
			ALGO_CHECK(a, i == n || b.p + b.usable <= m[i].p);
			if (strstr(failed_algos, a->name))
				break;
			for (i = 0; i < sz; i++)
				b.p[i] = (unsigned char)(b.seed + i);
			i = model_search(m, n, b.p);
			memmove(&m[i + 1], &m[i], (n - i) * sizeof(*m));
			m[i] = b;
			n++;
		} else {
			i = rand_range(&rng, 0, n - 1);
			size_t freed = 0;

			ALGO_CHECK(a, model_bytes_ok(&m[i]));
			ALGO_CHECK(a, a->free(heap, m[i].p, &freed) == HEAP_FREE_OK);
			ALGO_CHECK(a, freed == m[i].usable);	/* free reports it too */
			ALGO_CHECK(a, a->usable_size(heap, m[i].p) == 0);	/* and it is gone */
			memmove(&m[i], &m[i + 1], (n - i - 1) * sizeof(*m));
			n--;
		}
		if (op % 257 == 0)
			ALGO_CHECK(a, a->validate(heap, NULL) == 0);
	}
	for (i = 0; heap && i < n && !strstr(failed_algos, a->name); i++) {
		ALGO_CHECK(a, model_bytes_ok(&m[i]));
		ALGO_CHECK(a, a->free(heap, m[i].p, NULL) == HEAP_FREE_OK);
	}
	if (heap)
		ALGO_CHECK(a, a->validate(heap, NULL) == 0);
	free(m);
	region_free(region, 0);
}

HOST_TEST(heap_model_long_run)
{
	const struct heap_algo *a;

	for_each_algo(a) {
		model_run(a, 256 * KiB, 21, 200000);
		model_run(a, 2 * MiB, 22, 100000);
	}
	algos_verdict();
}

/* ------------------------------------------------------------------ */
/* Bad frees: refused with the right reason, nothing changed             */
/* ------------------------------------------------------------------ */

/* Free @ptr expecting @want; then the heap must be as it was. */
static void bad_free_check(const struct heap_algo *a, void *heap, void *ptr,
			   enum heap_free_result want, const char *what)
{
	struct heap_algo_space before, after;
	enum heap_free_result got;

	a->space(heap, &before);
	got = a->free(heap, ptr, NULL);
	a->space(heap, &after);
	if (got != want)
		algo_problem(a, "free(%s) returned %d, expected %d", what, (int)got, (int)want);
	if (memcmp(&before, &after, sizeof(before)) != 0)
		algo_problem(a, "free(%s) changed the space figures", what);
	if (a->validate(heap, NULL) != 0)
		algo_problem(a, "free(%s) left validate() != 0", what);
}

HOST_TEST(heap_bad_free)
{
	const size_t size = 64 * KiB;
	const struct heap_algo *a;

	for_each_algo(a) {
		unsigned char *region = region_alloc(size, 0);
		unsigned char *outside = malloc(64);
		void *heap = a->init(region, size, 0);
		unsigned char *lo, *p, *hi;

		ALGO_CHECK(a, heap != NULL);
		if (!heap)
			continue;
		lo = a->alloc(heap, 64, 16, NULL);
		p = a->alloc(heap, 64, 16, NULL);
		hi = a->alloc(heap, 64, 16, NULL);
		ALGO_CHECK(a, lo && p && hi);
		if (!lo || !p || !hi)
			continue;
		memset(lo, 0x11, 64);
		memset(p, 0x22, 64);
		memset(hi, 0x33, 64);

		bad_free_check(a, heap, outside, HEAP_FREE_FOREIGN, "malloc'd pointer");
		bad_free_check(a, heap, region + size, HEAP_FREE_FOREIGN, "region end");
		bad_free_check(a, heap, (void *)((uintptr_t)region - 16), HEAP_FREE_FOREIGN,
			       "below the region");
		bad_free_check(a, heap, p + 32, HEAP_FREE_NOT_BLOCK, "interior pointer");
		bad_free_check(a, heap, p + 1, HEAP_FREE_NOT_BLOCK, "misaligned pointer");
		bad_free_check(a, heap, p + 8, HEAP_FREE_NOT_BLOCK, "8 bytes in");
		bad_free_check(a, heap, heap, HEAP_FREE_NOT_BLOCK, "the instance");
		ALGO_CHECK(a, a->free(heap, p, NULL) == HEAP_FREE_OK);
		bad_free_check(a, heap, p, HEAP_FREE_DOUBLE, "a freed block");
		ALGO_CHECK(a, lo[0] == 0x11 && lo[63] == 0x11 && hi[0] == 0x33 && hi[63] == 0x33);
		ALGO_CHECK(a, a->free(heap, lo, NULL) == HEAP_FREE_OK);
		ALGO_CHECK(a, a->free(heap, hi, NULL) == HEAP_FREE_OK);
		bad_free_check(a, heap, lo, HEAP_FREE_DOUBLE, "a freed and merged block");
		ALGO_CHECK(a, a->validate(heap, NULL) == 0);
		free(outside);
		region_free(region, 0);
	}
	algos_verdict();
}

/*
 * A forged header: whatever lies in front of a live block, the block itself
 * and what follows it, copied into the middle of another live block (as a
 * caller's own data may look). Freeing the copy must be refused as not a
 * block and change nothing: the space figures, the live block's bytes, and
 * no later allocation may land inside it.
 */
static void forged_header_case(const struct heap_algo *a)
{
	const size_t size = 64 * KiB;
	unsigned char *region = region_alloc(size, 0), *saved = malloc(4096);
	void *heap = a->init(region, size, 0);
	unsigned char *lo, *p, *hi, *big, *forged, *q[64];
	size_t span, big_usable, i, n = 0;

	ALGO_CHECK(a, heap != NULL);
	lo = heap ? a->alloc(heap, 64, 16, NULL) : NULL;
	p = lo ? a->alloc(heap, 64, 16, NULL) : NULL;
	hi = p ? a->alloc(heap, 64, 16, NULL) : NULL;
	big = hi ? a->alloc(heap, 2048, 16, NULL) : NULL;
	ALGO_CHECK(a, big != NULL);
	if (big) {
		span = 16 + a->usable_size(heap, p) + 16;
		big_usable = a->usable_size(heap, big);
		forged = big + 256;
		ALGO_CHECK(a, 256 + span <= big_usable && big_usable <= 4096);
		memset(big, 0x5a, big_usable);
		memcpy(forged - 16, p - 16, span);
		memcpy(saved, big, big_usable);

		bad_free_check(a, heap, forged, HEAP_FREE_NOT_BLOCK,
			       "a copy of a block's header inside a live block");
		ALGO_CHECK(a, a->usable_size(heap, forged) == 0);
		ALGO_CHECK(a, memcmp(saved, big, big_usable) == 0);
		while (n < ARRAY_SIZE(q) && (q[n] = a->alloc(heap, 64, 16, NULL)) != NULL) {
			ALGO_CHECK(a, q[n] + 64 <= big || q[n] >= big + big_usable);
			n++;
		}
		for (i = 0; i < n; i++)
			ALGO_CHECK(a, a->free(heap, q[i], NULL) == HEAP_FREE_OK);
		ALGO_CHECK(a, a->free(heap, big, NULL) == HEAP_FREE_OK);
		ALGO_CHECK(a, a->free(heap, hi, NULL) == HEAP_FREE_OK);
		ALGO_CHECK(a, a->free(heap, p, NULL) == HEAP_FREE_OK);
		ALGO_CHECK(a, a->free(heap, lo, NULL) == HEAP_FREE_OK);
		ALGO_CHECK(a, a->validate(heap, NULL) == 0);
	}
	free(saved);
	region_free(region, 0);
}

HOST_TEST(heap_forged_header_free)
{
	const struct heap_algo *a;

	for_each_algo(a)
		forged_header_case(a);
	algos_verdict();
}

/* ------------------------------------------------------------------ */
/* Poisoning                                                           */
/* ------------------------------------------------------------------ */

/* Allocate 256-byte blocks until the heap is full (a poison check panics). */
static void heap_fill(const struct heap_algo *a, void *heap)
{
	while (a->alloc(heap, 256, 16, NULL))
		;
}

/* Free a block, scribble on it, and expect the refill to catch it. */
static void poison_case(const struct heap_algo *a)
{
	const size_t size = 64 * KiB;
	unsigned char *region = region_alloc(size, 0);
	void *heap = a->init(region, size, HEAP_ALGO_POISON);
	unsigned char *p = heap ? a->alloc(heap, 256, 16, NULL) : NULL;

	ALGO_CHECK(a, heap != NULL && p != NULL);
	if (p) {
		memset(p, 0, 256);
		ALGO_CHECK(a, a->free(heap, p, NULL) == HEAP_FREE_OK);
		ALGO_CHECK(a, p[128] == HEAP_POISON && p[255] == HEAP_POISON);
		p[128] = 0;	/* the stale write */
		EXPECT_PANIC(heap_fill(a, heap), "write after free");
	}
	region_free(region, 0);
}

HOST_TEST(heap_poison_catches_write_after_free)
{
	const struct heap_algo *a;

	for_each_algo(a)
		poison_case(a);
	algos_verdict();
}

HOST_TEST(heap_poison_check_helpers)
{
	unsigned char buf[100];

	heap_poison_fill(buf, sizeof(buf));
	CHECK(buf[0] == HEAP_POISON && buf[99] == HEAP_POISON);
	heap_poison_check("t", buf, sizeof(buf));
	heap_poison_check("t", buf + 3, 61);
	buf[97] = 1;
	EXPECT_PANIC(heap_poison_check("who", buf + 1, 99), "who: write after free at 0x");
	CHECK(strtoull(strstr(host_panic_msg, "0x"), NULL, 16) == (uintptr_t)&buf[97]);
	buf[97] = HEAP_POISON;
	buf[2] = 0;
	EXPECT_PANIC(heap_poison_check("who", buf + 1, 9), "write after free");
	CHECK(strtoull(strstr(host_panic_msg, "0x"), NULL, 16) == (uintptr_t)&buf[2]);
	heap_poison_check("t", buf + 3, 97);
}

/* ------------------------------------------------------------------ */
/* walk(): address order, tiling, consistent with space()                */
/* ------------------------------------------------------------------ */

struct walk_state {
	size_t next, sums[3], used_blocks;
	unsigned problems;
	const struct heap_algo *a;
};

static void walk_visit(void *arg, enum heap_block_kind kind, size_t offset, size_t size)
{
	struct walk_state *w = arg;

	if (offset != w->next || size == 0 || kind > HEAP_BLOCK_META) {
		if (!w->problems++)
			algo_problem(w->a, "walk: block kind %d at %zu+%zu, expected offset %zu",
				     (int)kind, offset, size, w->next);
		return;
	}
	w->next = offset + size;
	w->sums[kind] += size;
	w->used_blocks += kind == HEAP_BLOCK_USED;
}

HOST_TEST(heap_walk_tiles_region)
{
	const size_t size = 512 * KiB + 80;
	const struct heap_algo *a;

	for_each_algo(a) {
		unsigned char *region = region_alloc(size, 0);
		void *heap = a->init(region, size, 0);
		void *live[300];
		struct heap_algo_space sp;
		struct walk_state w = { .a = a };
		struct rand_state rng;
		size_t n = 0, i;

		ALGO_CHECK(a, heap != NULL);
		if (!heap)
			continue;
		rand_seed(&rng, 5);
		for (i = 0; i < 600; i++) {
			if (n < ARRAY_SIZE(live) && (n == 0 || rand_next(&rng) % 3)) {
				live[n] = a->alloc(heap, rand_range(&rng, 1, 3000), 1, NULL);
				n += live[n] != NULL;
			} else {
				size_t k = rand_range(&rng, 0, n - 1);

				ALGO_CHECK(a, a->free(heap, live[k], NULL) == HEAP_FREE_OK);
				live[k] = live[--n];
			}
		}
		a->walk(heap, walk_visit, &w);
		a->space(heap, &sp);
		ALGO_CHECK(a, w.problems == 0);
		ALGO_CHECK(a, w.next == size);
		ALGO_CHECK(a, w.sums[HEAP_BLOCK_FREE] == sp.free);
		ALGO_CHECK(a, w.sums[HEAP_BLOCK_META] == sp.meta);
		ALGO_CHECK(a, w.used_blocks == n);
		ALGO_CHECK(a, sp.region == size);
		region_free(region, 0);
	}
	algos_verdict();
}

/* ------------------------------------------------------------------ */
/* validate() names what it finds                                        */
/* ------------------------------------------------------------------ */

/* @ops random allocations (1 to 3000 bytes) and frees on @heap, @live its blocks. */
static void random_ops(const struct heap_algo *a, void *heap, void **live, size_t *n,
		       size_t cap, struct rand_state *rng, unsigned ops)
{
	while (ops--) {
		if (*n < cap && (*n == 0 || rand_next(rng) % 3)) {
			live[*n] = a->alloc(heap, rand_range(rng, 1, 3000), 1, NULL);
			*n += live[*n] != NULL;
		} else {
			size_t k = rand_range(rng, 0, *n - 1);

			ALGO_CHECK(a, a->free(heap, live[k], NULL) == HEAP_FREE_OK);
			live[k] = live[--*n];
		}
	}
}

/*
 * A heap mixed from two moments (from a cut on, the whole region as it was
 * 200 operations earlier: metadata, headers and links) is inconsistent for
 * some cut, and for every cut validate() describes a problem exactly when
 * it counts one, without crashing; a sound heap counts and describes none.
 */
HOST_TEST(heap_validate_names_the_first_problem)
{
	static const size_t cuts[] = { 24, 64, 256, 4096, 32 * KiB, 128 * KiB };
	const size_t size = 256 * KiB;
	const struct heap_algo *a;

	for_each_algo(a) {
		unsigned char *region = region_alloc(size, 0), *old = malloc(size);
		unsigned char *now = malloc(size);
		void *heap = a->init(region, size, 0), *live[300];
		struct rand_state rng;
		unsigned found = 0;
		size_t n = 0, k;

		ALGO_CHECK(a, heap != NULL && old && now);
		if (!heap || !old || !now)
			continue;
		rand_seed(&rng, 9);
		random_ops(a, heap, live, &n, ARRAY_SIZE(live), &rng, 400);
		memcpy(old, region, size);
		random_ops(a, heap, live, &n, ARRAY_SIZE(live), &rng, 200);
		memcpy(now, region, size);
		for (k = 0; k < ARRAY_SIZE(cuts); k++) {
			char first[160] = "";
			struct audit au = AUDIT_INIT(first);
			unsigned problems;

			ALGO_CHECK(a, a->validate(heap, &au) == 0 && !au.noted);
			memcpy(region + cuts[k], old + cuts[k], size - cuts[k]);
			problems = a->validate(heap, &au);
			ALGO_CHECK(a, au.noted == (problems != 0));
			ALGO_CHECK(a, (first[0] != '\0') == (problems != 0));
			if (problems && !found++)
				printf("# %s, heap mixed from byte %zu: %u problem%s, first: %s\n",
				       a->name, cuts[k], problems, problems == 1 ? "" : "s", first);
			memcpy(region, now, size);	/* sound again */
		}
		ALGO_CHECK(a, found > 0);
		free(old);
		free(now);
		region_free(region, 0);
	}
	algos_verdict();
}

/* ------------------------------------------------------------------ */
/* space(): largest_free is exactly the largest allocation               */
/* ------------------------------------------------------------------ */

/*
 * The contract of largest_free in the state @heap is in now: an allocation
 * of that many bytes succeeds at alignment 1 and HEAP_ALGO_SPACE_ALIGN (and
 * giving it back restores the figures), one byte more fails at
 * HEAP_ALGO_SPACE_ALIGN and changes nothing. @state names the state.
 */
static void largest_free_check(const struct heap_algo *a, void *heap, const char *state)
{
	struct heap_algo_space sp, now;
	size_t aligns[] = { 1, HEAP_ALGO_SPACE_ALIGN };
	unsigned i;
	void *p;

	a->space(heap, &sp);
	for (i = 0; sp.largest_free && i < ARRAY_SIZE(aligns); i++) {
		p = a->alloc(heap, sp.largest_free, aligns[i], NULL);
		if (!p) {
			algo_problem(a, "%s: alloc(largest_free %zu, align %zu) failed", state,
				     sp.largest_free, aligns[i]);
			continue;
		}
		ALGO_CHECK(a, ((uintptr_t)p & (aligns[i] - 1)) == 0);
		ALGO_CHECK(a, a->free(heap, p, NULL) == HEAP_FREE_OK);
		a->space(heap, &now);
		if (memcmp(&sp, &now, sizeof(sp)) != 0)
			algo_problem(a, "%s: taking and giving back largest_free changed space()",
				     state);
	}
	p = a->alloc(heap, sp.largest_free + 1, HEAP_ALGO_SPACE_ALIGN, NULL);
	if (p) {
		algo_problem(a, "%s: alloc(largest_free + 1 = %zu) succeeded", state,
			     sp.largest_free + 1);
		a->free(heap, p, NULL);
	}
	a->space(heap, &now);
	if (memcmp(&sp, &now, sizeof(sp)) != 0)
		algo_problem(a, "%s: a failed alloc(largest_free + 1) changed space()", state);
	ALGO_CHECK(a, a->validate(heap, NULL) == 0);
}

/*
 * Fragment a fresh heap over [region, region + size) with random blocks of
 * 1..@max_size bytes at random alignments, freeing a random share, and check
 * largest_free when empty, after every round, when full and emptied again.
 */
static void largest_free_run(const struct heap_algo *a, unsigned char *region, size_t size,
			     size_t max_size, uint64_t seed)
{
	void *heap = a->init(region, size, 0);
	size_t cap = size / 16, n = 0, i;
	void **live = calloc(cap, sizeof(*live));
	struct rand_state rng;
	char state[80];
	unsigned round;

	ALGO_CHECK(a, heap != NULL && live != NULL);
	if (!heap || !live) {
		free(live);
		return;
	}
	rand_seed(&rng, seed);
	largest_free_check(a, heap, "empty");
	for (round = 0; round < 8; round++) {
		/* allocate until a failure, then free about 2 in 5 */
		while (n < cap) {
			size_t sz = rand_range(&rng, 1, max_size);
			size_t align = (size_t)1 << rand_range(&rng, 0, 6);

			live[n] = a->alloc(heap, sz, align, NULL);
			if (!live[n])
				break;
			n++;
		}
		snprintf(state, sizeof(state), "seed %llu round %u full (%zu blocks)",
			 (unsigned long long)seed, round, n);
		largest_free_check(a, heap, state);
		for (i = 0; i < n; ) {
			if (rand_range(&rng, 0, 4) < 2) {
				ALGO_CHECK(a, a->free(heap, live[i], NULL) == HEAP_FREE_OK);
				live[i] = live[--n];
			} else {
				i++;
			}
		}
		snprintf(state, sizeof(state), "seed %llu round %u fragmented (%zu blocks)",
			 (unsigned long long)seed, round, n);
		largest_free_check(a, heap, state);
	}
	while (n)
		ALGO_CHECK(a, a->free(heap, live[--n], NULL) == HEAP_FREE_OK);
	largest_free_check(a, heap, "emptied");
	free(live);
}

HOST_TEST(heap_largest_free_exact)
{
	static const struct { size_t size, skew, max_size; } regions[] = {
		{ 64 * KiB, 0, 600 },
		{ 64 * KiB, 16, 5000 },
		{ 300 * KiB + 48, 2048 + 16, 3000 },
	};
	const struct heap_algo *a;
	uint64_t seed;
	unsigned i;

	for_each_algo(a) {
		for (i = 0; i < ARRAY_SIZE(regions); i++) {
			unsigned char *region = region_alloc(regions[i].size, regions[i].skew);

			for (seed = 1; seed <= 4; seed++)
				largest_free_run(a, region, regions[i].size, regions[i].max_size,
						 seed);
			region_free(region, regions[i].skew);
		}
	}
	algos_verdict();
}

/* ------------------------------------------------------------------ */
/* Fill utilisation                                                    */
/* ------------------------------------------------------------------ */

/*
 * Fill an 8 MiB heap with random 16-256 byte blocks, two allocations per
 * free, until the first failure; returns live requested bytes / heap size.
 */
static double fill_utilisation(const struct heap_algo *a, uint64_t seed)
{
	const size_t size = 8 * MiB;
	unsigned char *region = region_alloc(size, 0);
	size_t scratch_size = size / 16 * HEAP_STRESS_ENTRY_SIZE, bytes = 0;
	void *scratch = malloc(scratch_size);
	struct heap_stress s;

	stress_setup(&s, a, region, size, 0, seed, scratch, scratch_size);
	ALGO_CHECK(a, s.heap != NULL);
	if (s.heap)
		ALGO_CHECK(a, heap_stress_fill(&s, 16, 256, &bytes) == 0);
	free(scratch);
	region_free(region, 0);
	return (double)bytes / (double)size;
}

HOST_TEST(heap_fill_utilisation)
{
	const struct heap_algo *a;

	for_each_algo(a) {
		double u = fill_utilisation(a, 99);

		printf("# %s: utilisation at first failure %.3f\n", a->name, u);
		/* A sanity floor: the targets per algorithm are benchmark
		 * figures (make bench), not pass/fail conditions. */
		ALGO_CHECK(a, u > 0.5);
	}
	algos_verdict();
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
