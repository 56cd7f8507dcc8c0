// SPDX-License-Identifier: MIT
/*
 * Self-tests of the kernel heap (suite "heap"), in three groups:
 *
 *  - kmalloc() and friends on the global heap: the standard lab test, the
 *    documented edge results (size 0, huge sizes, bad alignments, kcalloc
 *    overflow), alignment up to 4096, krealloc keeping contents, statistics
 *    that add up, and exhaustion followed by full recovery. Every case
 *    leaves the heap as it found it and checks heap_validate() on the way.
 *  - the shared stress harness (<mm/heap_stress.h>) on a private instance
 *    of the configured algorithm over a buffer of this file, so churn,
 *    alignment and exhaustion run without touching the global heap;
 *  - measurements (instructions per kmalloc/kfree, utilisation at the
 *    first failure), printed as diagnostics; instruction counts only
 *    when they are exact (QEMU -icount shift=0, ktest_runner.py --icount).
 *
 * Panic cases check kfree()'s messages for bad pointers; the guard and
 * poison cases are registered only with CONFIG_DEBUG_HEAP (suite
 * "heap_debug"), where they can panic.
 */
#include <asm/csr.h>
#include <lib/rand.h>
#include <lib/string.h>
#include <lib/vsprintf.h>
#include <mm/heap.h>
#include <mm/heap_stress.h>
#include <mmlab/ktest.h>

#define LAB_HEAP_NEEDED		(512 * KiB)	/* vector of 16384 words while it doubles */
#define STRESS_REGION_SIZE	(512 * KiB)
#define STRESS_SCRATCH_SIZE	(128 * KiB)
#define CHURN_LIVE		2000
#define FILL_SLOTS		(CONFIG_HEAP_SIZE / 64)

static unsigned char stress_region[STRESS_REGION_SIZE] __aligned(4096);
static unsigned long stress_scratch[STRESS_SCRATCH_SIZE / sizeof(long)];
static void *bench_slots[MAX(CHURN_LIVE, FILL_SLOTS)];

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static void pattern_fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7 + (i >> 8));
}

static bool pattern_intact(const unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7 + (i >> 8)))
			return false;
	return true;
}

static unsigned long stats_live(const struct heap_stats *s)
{
	return s->allocs - s->frees;
}

/* Skip @t unless the global heap can give @bytes in one block; true when it can. */
static bool heap_has(struct ktest *t, size_t bytes, const char *reason)
{
	struct heap_stats s;

	heap_stats(&s);
	if (s.largest_free >= bytes)
		return true;
	ktest_skip(t, reason);
	return false;
}

/* The stress harness's report callback: a case failure with the text. */
static __printf(2, 3) void stress_report(void *arg, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ktest_fail(arg, __FILE__, __LINE__, "%s", buf);
}

/* A fresh private instance of the configured algorithm over stress_region. */
static bool stress_setup(struct ktest *t, struct heap_stress *s, uint64_t seed)
{
	const struct heap_algo *algo = heap_algo_active();
	unsigned flags = IS_ENABLED(CONFIG_DEBUG_HEAP) ? HEAP_ALGO_POISON : 0;

	*s = (struct heap_stress){
		.algo = algo, .region = stress_region, .region_size = sizeof(stress_region),
		.seed = seed, .scratch = stress_scratch, .scratch_size = sizeof(stress_scratch),
		.report = stress_report, .report_arg = t,
	};
	s->heap = algo->init(stress_region, sizeof(stress_region), flags);
	if (!s->heap)
		ktest_fail(t, __FILE__, __LINE__, "%s refused a %zu-byte region", algo->name,
			   sizeof(stress_region));
	return s->heap != NULL;
}

/* ------------------------------------------------------------------ */
/* kmalloc() and friends on the global heap                            */
/* ------------------------------------------------------------------ */

/* The standard lab test: a boxed value and a vector grown by doubling. */
static void heap_lab(struct ktest *t)
{
	unsigned long *box, *vec, *grown;
	size_t cap = 4, len, i;
	struct heap_stats before, after;

	if (!heap_has(t, LAB_HEAP_NEEDED, "needs a heap of 512 KiB"))
		return;
	heap_stats(&before);
	box = kmalloc(sizeof(*box));
	KTEST_ASSERT_NOT_NULL(t, box);
	*box = 5;
	vec = kmalloc(cap * sizeof(*vec));
	KTEST_ASSERT_NOT_NULL(t, vec);
	for (len = 0; len < 10000; len++) {
		if (len == cap) {
			grown = krealloc(vec, 2 * cap * sizeof(*vec));
			KTEST_ASSERT_NOT_NULL(t, grown);
			vec = grown;
			cap *= 2;
		}
		vec[len] = len;
	}
	KTEST_EXPECT_EQ(t, cap, 16384);
	for (i = 0; i < len; i++)
		if (vec[i] != i)
			break;
	KTEST_EXPECT_EQ(t, i, 10000);
	KTEST_EXPECT_EQ(t, *box, 5);
	kfree(vec);
	kfree(box);
	heap_stats(&after);
	KTEST_EXPECT_EQ(t, after.free, before.free);
	KTEST_EXPECT_EQ(t, stats_live(&after), stats_live(&before));
	KTEST_EXPECT_EQ(t, heap_validate(), 0);
}

/* kmalloc(0), NULL/ZERO_SIZE_PTR frees and requests larger than the heap. */
static void heap_zero_and_huge(struct ktest *t)
{
	struct heap_stats before, after;

	heap_stats(&before);
	KTEST_EXPECT_TRUE(t, kmalloc(0) == ZERO_SIZE_PTR);
	KTEST_EXPECT_TRUE(t, kzalloc(0) == ZERO_SIZE_PTR);
	KTEST_EXPECT_EQ(t, ksize(ZERO_SIZE_PTR), 0);
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	KTEST_EXPECT_NULL(t, kmalloc(CONFIG_HEAP_SIZE));
	KTEST_EXPECT_NULL(t, kmalloc(CONFIG_HEAP_SIZE + 1));
	KTEST_EXPECT_NULL(t, kmalloc(SIZE_MAX));
	KTEST_EXPECT_NULL(t, kmalloc(SIZE_MAX - 8));
	KTEST_EXPECT_NULL(t, krealloc(NULL, SIZE_MAX));
	heap_stats(&after);
	KTEST_EXPECT_EQ(t, after.failures, before.failures + 5);
	KTEST_EXPECT_EQ(t, after.allocs, before.allocs);
	KTEST_EXPECT_EQ(t, after.free, before.free);
	KTEST_EXPECT_EQ(t, heap_validate(), 0);
}

/* Every power of two up to 4096 is honoured; anything else is refused. */
static void heap_alignment(struct ktest *t)
{
	static const size_t bad[] = { 0, 3, 24, 48, 4095, 8192, 1UL << 40 };
	static const size_t sizes[] = { 1, 16, 100, 4096 };
	void *p[ARRAY_SIZE(sizes)];
	struct heap_stats before, after;
	size_t align, i;

	heap_stats(&before);
	for (align = 1; align <= KMALLOC_MAX_ALIGN; align <<= 1) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			p[i] = kmalloc_aligned(sizes[i], align);
			KTEST_ASSERT_NOT_NULL(t, p[i]);
			KTEST_EXPECT_EQ(t, (uintptr_t)p[i] & (MAX(align, 16) - 1), 0);
			KTEST_EXPECT_GE(t, ksize(p[i]), sizes[i]);
			pattern_fill(p[i], sizes[i], (unsigned)(align + i));
		}
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			KTEST_EXPECT_TRUE(t, pattern_intact(p[i], sizes[i], (unsigned)(align + i)));
			kfree(p[i]);
		}
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KTEST_EXPECT_NULL(t, kmalloc_aligned(64, bad[i]));
	heap_stats(&after);
	KTEST_EXPECT_EQ(t, after.failures, before.failures + ARRAY_SIZE(bad));
	KTEST_EXPECT_EQ(t, after.free, before.free);
	KTEST_EXPECT_EQ(t, heap_validate(), 0);
}

/* krealloc grows and shrinks keeping contents, in place within ksize(). */
static void heap_krealloc(struct ktest *t)
{
	unsigned char *p, *q;
	struct heap_stats before, after;
	size_t room;

	heap_stats(&before);
	p = krealloc(NULL, 40);
	KTEST_ASSERT_NOT_NULL(t, p);
	pattern_fill(p, 40, 1);
	room = ksize(p);
	KTEST_EXPECT_GE(t, room, 40);
	q = krealloc(p, room);
	KTEST_EXPECT_TRUE(t, q == p);			/* fits: stays in place */
	q = krealloc(p, 3000);
	KTEST_ASSERT_NOT_NULL(t, q);
	KTEST_EXPECT_TRUE(t, pattern_intact(q, 40, 1));
	pattern_fill(q, 3000, 2);
	p = krealloc(q, 24);				/* shrink: in place */
	KTEST_EXPECT_TRUE(t, p == q);
	KTEST_EXPECT_TRUE(t, pattern_intact(p, 24, 2));
	q = krealloc(p, 70000);
	if (q) {					/* a 64 KiB heap may refuse */
		KTEST_EXPECT_TRUE(t, pattern_intact(q, 24, 2));
		p = q;
	} else {
		KTEST_EXPECT_TRUE(t, pattern_intact(p, 24, 2));	/* untouched on failure */
	}
	KTEST_EXPECT_NULL(t, krealloc(p, 0));		/* frees */
	heap_stats(&after);
	KTEST_EXPECT_EQ(t, stats_live(&after), stats_live(&before));
	KTEST_EXPECT_EQ(t, after.used, before.used);
	KTEST_EXPECT_EQ(t, after.free, before.free);
	KTEST_EXPECT_EQ(t, heap_validate(), 0);
}

/* kcalloc refuses overflowing products; kzalloc and kcalloc return zeroes. */
/*
 * Every byte ksize() reports is the caller's: writing all of them is no
 * overrun (with CONFIG_DEBUG_HEAP the guard follows them), the heap still
 * validates, kfree() accepts the block, and krealloc() up to ksize() stays
 * in place.
 */
static void heap_ksize_writable(struct ktest *t)
{
	static const size_t sizes[] = { 1, 24, 100, 1000, 5000 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned char *p = kmalloc(sizes[i]);
		size_t n;

		KTEST_ASSERT_NOT_NULL(t, p);
		n = ksize(p);
		KTEST_EXPECT_GE(t, n, sizes[i]);
		memset(p, 0xa5, n);
		KTEST_EXPECT_EQ(t, heap_validate(), 0);
		KTEST_EXPECT_TRUE(t, krealloc(p, n) == p);
		KTEST_EXPECT_EQ(t, ksize(p), n);
		kfree(p);
	}
	KTEST_EXPECT_EQ(t, heap_validate(), 0);
}

static void heap_zeroed(struct ktest *t)
{
	unsigned char *p;
	struct heap_stats before, after;
	size_t i;
	bool zero = true;

	heap_stats(&before);
	KTEST_EXPECT_NULL(t, kcalloc(SIZE_MAX / 2 + 1, 2));
	KTEST_EXPECT_NULL(t, kcalloc(1UL << 33, 1UL << 33));
	heap_stats(&after);
	KTEST_EXPECT_EQ(t, after.failures, before.failures + 2);

	p = kmalloc(1000);
	KTEST_ASSERT_NOT_NULL(t, p);
	memset(p, 0xff, 1000);
	kfree(p);
	p = kzalloc(1000);				/* likely the same memory */
	KTEST_ASSERT_NOT_NULL(t, p);
	for (i = 0; i < 1000; i++)
		zero &= p[i] == 0;
	kfree(p);
	p = kcalloc(125, 8);
	KTEST_ASSERT_NOT_NULL(t, p);
	for (i = 0; i < 1000; i++)
		zero &= p[i] == 0;
	kfree(p);
	KTEST_EXPECT_TRUE(t, zero);
}

/* Counters follow allocations and frees; used <= reserved <= total. */
static void heap_stats_add_up(struct ktest *t)
{
	static void *p[64];
	struct heap_stats before, s;
	struct rand_state rng;
	size_t asked = 0, handed = 0, i;

	rand_seed(&rng, 42);
	heap_stats(&before);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		size_t n = rand_range(&rng, 1, 700);

		p[i] = kmalloc(n);
		KTEST_ASSERT_NOT_NULL(t, p[i]);
		KTEST_EXPECT_GE(t, ksize(p[i]), n);
		asked += n;
		handed += ksize(p[i]);
	}
	heap_stats(&s);
	KTEST_EXPECT_EQ(t, stats_live(&s), stats_live(&before) + ARRAY_SIZE(p));
	KTEST_EXPECT_EQ(t, s.used, before.used + handed);
	KTEST_EXPECT_LE(t, s.used, s.reserved);
	KTEST_EXPECT_LE(t, s.reserved, s.total);
	KTEST_EXPECT_GE(t, s.reserved - before.reserved, asked);
	KTEST_EXPECT_GE(t, s.peak_used, s.used);
	KTEST_EXPECT_LT(t, s.free, before.free);
	for (i = 0; i < ARRAY_SIZE(p); i += 2)
		kfree(p[i]);
	heap_stats(&s);
	KTEST_EXPECT_EQ(t, stats_live(&s), stats_live(&before) + ARRAY_SIZE(p) / 2);
	KTEST_EXPECT_EQ(t, heap_validate(), 0);
	for (i = 1; i < ARRAY_SIZE(p); i += 2)
		kfree(p[i]);
	heap_stats(&s);
	KTEST_EXPECT_EQ(t, s.used, before.used);
	KTEST_EXPECT_EQ(t, s.reserved, before.reserved);
	KTEST_EXPECT_EQ(t, s.free, before.free);
	KTEST_EXPECT_EQ(t, s.frees, before.frees + ARRAY_SIZE(p));
}

/* A block of the exhaustion chain: each points to the one allocated before. */
struct chain {
	struct chain *next;
	size_t size;
};

/*
 * Allocate until NULL at every size from 64 KiB down to 16, free it all.
 * DEBUG_HEAP validates the whole heap after each call, which makes the
 * thousands of crumb-sized blocks quadratic: there it stops at 1 KiB.
 */
static void heap_exhaust_recover(struct ktest *t)
{
	const size_t smallest = IS_ENABLED(CONFIG_DEBUG_HEAP) ? KiB : sizeof(struct chain);
	struct heap_stats before, full, after;
	struct chain *head = NULL, *c;
	unsigned long blocks = 0;
	size_t size;

	heap_stats(&before);
	for (size = 64 * KiB; size >= smallest; size /= 2) {
		while ((c = kmalloc(size))) {
			c->next = head;
			c->size = size;
			pattern_fill((unsigned char *)(c + 1), size - sizeof(*c), (unsigned)size);
			head = c;
			blocks++;
		}
	}
	heap_stats(&full);
	ktest_printf("exhausted after %lu blocks: used %zu of %zu bytes, reserved %zu",
		     blocks, full.used, full.total, full.reserved);
	KTEST_EXPECT_GE(t, full.failures, before.failures + 7);
	KTEST_EXPECT_EQ(t, stats_live(&full), stats_live(&before) + blocks);
	KTEST_EXPECT_LT(t, full.largest_free, smallest + KMALLOC_MIN_ALIGN);	/* crumbs */
	KTEST_EXPECT_NULL(t, kmalloc(smallest));
	KTEST_EXPECT_EQ(t, heap_validate(), 0);
	while ((c = head)) {
		head = c->next;
		if (!pattern_intact((unsigned char *)(c + 1), c->size - sizeof(*c),
				    (unsigned)c->size))
			ktest_fail(t, __FILE__, __LINE__, "block %p corrupted", (void *)c);
		kfree(c);
	}
	heap_stats(&after);
	KTEST_EXPECT_EQ(t, after.free, before.free);
	KTEST_EXPECT_EQ(t, after.largest_free, before.largest_free);
	KTEST_EXPECT_EQ(t, after.used, before.used);
	KTEST_EXPECT_EQ(t, stats_live(&after), stats_live(&before));
	KTEST_EXPECT_EQ(t, heap_validate(), 0);
	c = kmalloc(after.largest_free);		/* whole again: in one piece */
	KTEST_EXPECT_TRUE(t, c != NULL);
	kfree(c);
	c = kmalloc(after.largest_free + 1);	/* and not one byte more */
	KTEST_EXPECT_NULL(t, c);
	kfree(c);
}

/* ------------------------------------------------------------------ */
/* The stress harness on a private instance                            */
/* ------------------------------------------------------------------ */

static void heap_private_churn(struct ktest *t)
{
	const struct heap_stress_churn_cfg cfg = {
		.ops = 40000, .min_size = 1, .max_size = 600, .max_align = 64,
		.max_live = 1500, .validate_every = 2000,
	};
	struct heap_stress s;

	if (stress_setup(t, &s, 7))
		KTEST_EXPECT_EQ(t, heap_stress_churn(&s, &cfg), 0);
}

static void heap_private_align_sweep(struct ktest *t)
{
	struct heap_stress s;

	if (stress_setup(t, &s, 11))
		KTEST_EXPECT_EQ(t, heap_stress_align_sweep(&s), 0);
}

static void heap_private_exhaust(struct ktest *t)
{
	struct heap_stress s;

	if (!stress_setup(t, &s, 13))
		return;
	KTEST_EXPECT_EQ(t, heap_stress_exhaust(&s, 16, 512), 0);
	KTEST_EXPECT_EQ(t, heap_stress_exhaust(&s, 1000, 20000), 0);
}

static void heap_private_lab(struct ktest *t)
{
	struct heap_stress s;

	if (stress_setup(t, &s, 17))
		KTEST_EXPECT_EQ(t, heap_stress_lab(&s), 0);
}

/* ------------------------------------------------------------------ */
/* Measurements                                                        */
/* ------------------------------------------------------------------ */

/* Instruction counts of one kind of call. */
struct op_cost {
	unsigned long calls, total, worst;
};

/* Count a call that took @n instructions, @bias of them reading the counter. */
static void op_cost_add(struct op_cost *c, unsigned long n, unsigned long bias)
{
	n = n > bias ? n - bias : 0;	/* without -icount the counter is noise */
	c->calls++;
	c->total += n;
	c->worst = MAX(c->worst, n);
}

static bool bench_allowed(struct ktest *t)
{
	if (!IS_ENABLED(CONFIG_DEBUG_HEAP))
		return true;
	ktest_skip(t, "DEBUG_HEAP validates after every call: numbers would mean nothing");
	return false;
}

/* Small-object churn: instructions per kmalloc and kfree, ~2000 live. */
static void heap_measure_churn(struct ktest *t)
{
	struct op_cost ma = { 0 }, fr = { 0 };
	struct rand_state rng;
	unsigned long t0, bias, i;
	void **live = bench_slots;

	if (!bench_allowed(t) || !heap_has(t, 2 * MiB, "needs a heap of 2 MiB"))
		return;
	rand_seed(&rng, 2024);
	t0 = rdinstret();
	bias = rdinstret() - t0;		/* the cost of reading the counter */
	for (i = 0; i < CHURN_LIVE; i++) {
		live[i] = kmalloc(rand_range(&rng, 8, 512));
		KTEST_ASSERT_NOT_NULL(t, live[i]);
	}
	for (i = 0; i < 20000; i++) {
		size_t k = rand_range(&rng, 0, CHURN_LIVE - 1);
		size_t n = rand_range(&rng, 8, 512);

		t0 = rdinstret();
		kfree(live[k]);
		op_cost_add(&fr, rdinstret() - t0, bias);
		t0 = rdinstret();
		live[k] = kmalloc(n);
		op_cost_add(&ma, rdinstret() - t0, bias);
		KTEST_ASSERT_NOT_NULL(t, live[k]);
	}
	for (i = 0; i < CHURN_LIVE; i++)
		kfree(live[i]);
	if (rdinstret_exact())
		ktest_printf("%s churn 8-512 B, %d live: kmalloc %lu instr/call (worst %lu), "
			     "kfree %lu (worst %lu)", heap_algo_active()->name, CHURN_LIVE,
			     ma.total / ma.calls, ma.worst, fr.total / fr.calls, fr.worst);
	else
		ktest_printf("%s churn 8-512 B, %d live: costs not shown: instruction counts are "
			     "exact only under QEMU -icount shift=0", heap_algo_active()->name,
			     CHURN_LIVE);
	KTEST_EXPECT_EQ(t, heap_validate(), 0);
}

/* Fill with 16-256 B blocks, two allocations per free, until one fails. */
static void heap_measure_fill(struct ktest *t)
{
	struct heap_stats before, s;
	struct rand_state rng;
	size_t n = 0, i;
	unsigned long step;

	if (!bench_allowed(t))
		return;
	heap_stats(&before);
	rand_seed(&rng, 99);
	for (step = 0;; step++) {
		void *p = kmalloc(rand_range(&rng, 16, 256));

		if (!p)
			break;
		KTEST_ASSERT_TRUE(t, n < ARRAY_SIZE(bench_slots));
		bench_slots[n++] = p;
		if (step & 1) {
			i = rand_range(&rng, 0, n - 1);
			kfree(bench_slots[i]);
			bench_slots[i] = bench_slots[--n];
		}
	}
	heap_stats(&s);
	ktest_printf("%s fill 16-256 B: first failure with %zu live blocks, handed out %zu of "
		     "%zu bytes = %zu.%03zu of the heap (reserved %zu, meta %zu)",
		     heap_algo_active()->name, n, s.used, s.total, s.used / s.total,
		     s.used * 1000 / s.total % 1000, s.reserved, s.meta);
	KTEST_EXPECT_GT(t, s.used - before.used, s.total / 4);
	while (n)
		kfree(bench_slots[--n]);
	KTEST_EXPECT_EQ(t, heap_validate(), 0);
}

/* ------------------------------------------------------------------ */
/* Panic cases                                                         */
/* ------------------------------------------------------------------ */

static unsigned long not_heap_word;

static void heap_free_foreign(struct ktest *t)
{
	(void)t;
	kfree(&not_heap_word);
}

static void heap_free_interior(struct ktest *t)
{
	unsigned char *p = kmalloc(64);

	KTEST_ASSERT_NOT_NULL(t, p);
	kfree(p + 16);
}

static void heap_free_misaligned(struct ktest *t)
{
	unsigned char *p = kmalloc(64);

	KTEST_ASSERT_NOT_NULL(t, p);
	kfree(p + 1);
}

static void heap_double_free(struct ktest *t)
{
	void *p = kmalloc(64), *fence = kmalloc(64);

	KTEST_ASSERT_NOT_NULL(t, p);
	KTEST_ASSERT_NOT_NULL(t, fence);
	kfree(p);
	kfree(p);
}

/* DEBUG_HEAP: one byte written past the end of a block. */
static void heap_overrun(struct ktest *t)
{
	unsigned char *p = kmalloc(24);

	KTEST_ASSERT_NOT_NULL(t, p);
	p[24] ^= 0xff;
	kfree(p);
}

/* DEBUG_HEAP: a write through a stale pointer, found when the memory is reused. */
static void heap_write_after_free(struct ktest *t)
{
	unsigned char *p = kmalloc(64);

	KTEST_ASSERT_NOT_NULL(t, p);
	kfree(p);
	p[40] ^= 0xff;
	while (kmalloc(64))
		;			/* each allocation checks the poison it takes */
}

static const struct ktest_case heap_cases[] = {
	KTEST_CASE(heap_lab),
	KTEST_CASE(heap_zero_and_huge),
	KTEST_CASE(heap_alignment),
	KTEST_CASE(heap_krealloc),
	KTEST_CASE(heap_ksize_writable),
	KTEST_CASE(heap_zeroed),
	KTEST_CASE(heap_stats_add_up),
	KTEST_CASE(heap_exhaust_recover),
	KTEST_CASE(heap_private_churn),
	KTEST_CASE(heap_private_align_sweep),
	KTEST_CASE(heap_private_exhaust),
	KTEST_CASE(heap_private_lab),
	KTEST_CASE(heap_measure_churn),
	KTEST_CASE(heap_measure_fill),
	KTEST_PANIC_CASE(heap_free_foreign, "is not in the heap"),
	KTEST_PANIC_CASE(heap_free_interior, "is not the start of a block"),
	KTEST_PANIC_CASE(heap_free_misaligned, "is not the start of a block"),
	KTEST_PANIC_CASE(heap_double_free, "kfree: double free of 0x"),
	{}
};
KTEST_SUITE(heap, heap_cases);

static const struct ktest_case heap_debug_cases[] = {
	KTEST_PANIC_CASE(heap_overrun, "kfree: overrun after block 0x"),
	KTEST_PANIC_CASE(heap_write_after_free, "write after free at 0x"),
	{}
};
static const struct ktest_case heap_no_cases[] = { {} };
KTEST_SUITE(heap_debug, IS_ENABLED(CONFIG_DEBUG_HEAP) ? heap_debug_cases : heap_no_cases);
