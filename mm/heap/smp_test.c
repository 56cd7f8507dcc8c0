// SPDX-License-Identifier: MIT
/*
 * KTAP suite "heap_smp": every hart calls kmalloc() and kfree() at the same
 * time (CONFIG_SMP, smp_call_all()), on the kernel heap.
 *
 * Each hart keeps a small table of live blocks and churns it: a random slot,
 * allocated when empty (a random size, mostly small, now and then a few KiB)
 * and filled with a pattern naming the hart, the block and each byte; freed
 * when full, after its pattern is checked (a block handed to two harts, or
 * overlapping another, shows up as bytes the other hart wrote). Every block
 * is checked and freed at the end. The boot hart then checks what each hart
 * found, heap_validate(), and that the heap's used bytes and live block count
 * are back where they started. A NULL from kmalloc() is counted, not failed:
 * the other harts may hold the space.
 */
#include <lib/rand.h>
#include <mm/heap.h>
#include <mmlab/ktest.h>
#include <mmlab/smp.h>

#define CHURN_OPS	(IS_ENABLED(CONFIG_DEBUG_HEAP) ? 2000 : 20000)	/* debug: validate per op */
#define CHURN_SLOTS	32
#define CHURN_SMALL_MAX	256
#define CHURN_LARGE_MAX	6000

struct churn_block {
	unsigned char *p;
	size_t size;
	uint8_t tag;
};

struct churn_cpu {
	unsigned long allocs, nulls;
	unsigned long bad_bytes;
	const void *first_bad;
};

struct churn {
	struct churn_cpu cpu[NR_CPUS];
};

/* Byte @i of a block tagged @tag. */
static inline uint8_t churn_byte(uint8_t tag, size_t i)
{
	return (uint8_t)(tag ^ (i * 31) ^ (i >> 8));
}

/* Check @b's pattern into @me, free it and empty the slot. */
static void churn_release(struct churn_cpu *me, struct churn_block *b)
{
	size_t i;

	for (i = 0; i < b->size; i++) {
		if (b->p[i] == churn_byte(b->tag, i))
			continue;
		if (!me->bad_bytes++)
			me->first_bad = b->p;
	}
	kfree(b->p);
	b->p = NULL;
}

/* Fill the empty slot @b with a fresh block of a random size. */
static void churn_take(struct churn_cpu *me, struct churn_block *b, struct rand_state *r,
		       unsigned cpu)
{
	size_t i, size = rand_range(r, 1, rand_range(r, 0, 15) ? CHURN_SMALL_MAX
								  : CHURN_LARGE_MAX);

	b->p = kmalloc(size);
	if (!b->p) {
		me->nulls++;
		return;
	}
	b->size = size;
	b->tag = (uint8_t)(cpu * 37 + me->allocs++);
	for (i = 0; i < size; i++)
		b->p[i] = churn_byte(b->tag, i);
}

static void churn_hart(void *arg, unsigned cpu)
{
	struct churn_cpu *me = &((struct churn *)arg)->cpu[cpu];
	struct churn_block live[CHURN_SLOTS] = {};
	struct rand_state r;
	unsigned op;

	rand_seed(&r, 0x5a17 + cpu);
	for (op = 0; op < CHURN_OPS; op++) {
		struct churn_block *b = &live[rand_range(&r, 0, CHURN_SLOTS - 1)];

		if (b->p)
			churn_release(me, b);
		else
			churn_take(me, b, &r, cpu);
	}
	for (op = 0; op < CHURN_SLOTS; op++)
		if (live[op].p)
			churn_release(me, &live[op]);
}

static struct churn churn;

/* Give this hart's magazines back, so that the free space can be compared. */
static void churn_drain(void *arg, unsigned cpu)
{
	(void)arg;
	(void)cpu;
	heap_cache_drain();
}

/* Every hart at once; then the patterns, heap_validate() and the counts. */
static void heap_smp_churn(struct ktest *t)
{
	struct heap_stats before, after;
	unsigned cpu, harts = smp_online_count();
	unsigned long allocs = 0;

	heap_stats(&before);
	churn = (struct churn){};
	smp_call_all(churn_hart, &churn);
	KTEST_EXPECT_EQ(t, heap_validate(), 0);	/* exact with blocks in magazines too */
	smp_call_all(churn_drain, NULL);
	heap_stats(&after);
	for (cpu = 0; cpu < harts; cpu++) {
		struct churn_cpu *c = &churn.cpu[cpu];

		ktest_printf("cpu %u: %lu blocks, %lu NULLs, %lu bad bytes", cpu,
			     c->allocs, c->nulls, c->bad_bytes);
		if (c->bad_bytes)
			ktest_fail(t, __FILE__, __LINE__, "cpu %u: %lu bytes changed under it, "
				   "first in the block at %p", cpu, c->bad_bytes, c->first_bad);
		KTEST_EXPECT_GT(t, c->allocs, 0);
		allocs += c->allocs;
	}
	KTEST_EXPECT_EQ(t, heap_validate(), 0);
	KTEST_EXPECT_EQ(t, after.allocs - before.allocs, allocs);	/* no count lost */
	KTEST_EXPECT_EQ(t, after.used, before.used);
	KTEST_EXPECT_EQ(t, after.free, before.free);
	KTEST_EXPECT_EQ(t, after.allocs - after.frees, before.allocs - before.frees);
}

static const struct ktest_case heap_smp_cases[] = {
	KTEST_CASE(heap_smp_churn),
	{}
};
KTEST_SUITE(heap_smp, heap_smp_cases);
