// SPDX-License-Identifier: MIT
/*
 * Per-hart magazines in front of the heap algorithm (CONFIG_HEAP_PCPU_CACHE),
 * after Bonwick and Adams' magazine layer (USENIX 2001) and Linux's per-CPU
 * slab caches.
 *
 * Idea. Small requests come in a few sizes, and every kmalloc() and kfree()
 * takes the heap lock. Here each hart keeps, per size class (16, 32, ...,
 * HEAP_PCPU_MAX bytes), a stack of blocks of that class (a magazine). A
 * request of at most HEAP_PCPU_MAX bytes at the default alignment pops the
 * magazine of its class; a kfree() of such a block pushes it onto the
 * freeing hart's magazine. Neither takes a lock: a hart's magazines are
 * its own, and no trap handler allocates. An empty magazine is refilled
 * with MAG_BATCH blocks taken from the algorithm under one acquisition of
 * the heap lock; a full one (MAG_HIGH) gives MAG_BATCH back the same way.
 *
 * Which blocks are ours. kfree() gets only a pointer. A tag map, four bits
 * per KMALLOC_MIN_ALIGN granule of the heap array, says of the granule a
 * block starts at: 0 (not a magazine block: the algorithm's business),
 * or the class + 1, with TAG_LIVE set while the program holds the block.
 * So a foreign, interior or misaligned pointer is never taken (the front
 * end hands it to the algorithm, which names the problem), and a second
 * kfree() of a block sitting in a magazine is a double free. Tags are set
 * and cleared with atomic and/or (two harts may own blocks in one word);
 * a block's tag is cleared before it goes back to the algorithm.
 *
 * Counts. A magazine block is a block the algorithm handed out; the front
 * end counts those (number, usable and reserved bytes) under the heap
 * lock when they are taken and given back, so heap_validate() is exact at
 * any time. To the program a magazine block holds exactly its class size
 * (ksize() says so); each hart counts the kmalloc()s and kfree()s its
 * magazines served and the class bytes the program holds, and heap_stats()
 * adds them up: exact whenever no kmalloc() or kfree() is running. Blocks
 * sitting in magazines are neither used nor free: they count as reserved
 * until drained; heap_stats() first drains the calling hart's.
 *
 * Cost: a hit is a class computation, a pop or push and one atomic on the
 * tag map; a miss adds MAG_BATCH algorithm calls under one lock.
 * Memory: the tag map, CONFIG_HEAP_SIZE / 32 bytes, and per hart
 * HEAP_PCPU_CLASSES magazines of MAG_HIGH pointers.
 */
#include <lib/string.h>
#include <mm/heap.h>
#include <mmlab/smp.h>
#include "internal.h"

#define HEAP_PCPU_CLASSES	7		/* 16 << 0 .. 16 << 6 == HEAP_PCPU_MAX */
#define MAG_BATCH		8		/* blocks per refill or drain */
#define MAG_HIGH		(2 * MAG_BATCH)	/* blocks a magazine holds at most */
#define GRANULE			KMALLOC_MIN_ALIGN
#define TAG_BITS		4
#define TAG_MASK		0xfu
#define TAG_LIVE		0x8u
#define TAGS_PER_WORD		(32 / TAG_BITS)

BUILD_BUG_ON((KMALLOC_MIN_ALIGN << (HEAP_PCPU_CLASSES - 1)) != HEAP_PCPU_MAX);
BUILD_BUG_ON(HEAP_PCPU_CLASSES >= TAG_LIVE);

struct magazine {
	unsigned count;
	void *blocks[MAG_HIGH];		/* a stack: blocks[count - 1] is the warmest */
};

/* One hart's magazines and counters, on cache lines of their own. */
struct heap_pcpu {
	struct magazine mag[HEAP_PCPU_CLASSES];
	struct heap_pcpu_counts counts;	/* read by heap_stats() on any hart */
} __aligned(64);

static struct heap_pcpu pcpus[NR_CPUS];
static uint32_t tag_map[CONFIG_HEAP_SIZE / GRANULE / TAGS_PER_WORD + 1];
static uintptr_t heap_base;
static size_t heap_size;

/* ------------------------------------------------------------------ */
/* Classes and tags                                                    */
/* ------------------------------------------------------------------ */

/* The class of a request of @size bytes (1..HEAP_PCPU_MAX). */
static unsigned class_of(size_t size)
{
	if (size <= GRANULE)
		return 0;
	return (unsigned)(64 - __builtin_clzl(size - 1)) - 4;	/* ceil(log2(size)) - log2(16) */
}

static size_t class_size(unsigned c)
{
	return GRANULE << c;
}

/* The tag-map granule of @p, or -1 when @p cannot start a heap block. */
static long granule_of(const void *p)
{
	uintptr_t a = (uintptr_t)p;

	if (a < heap_base || a - heap_base >= heap_size || a % GRANULE)
		return -1;
	return (long)((a - heap_base) / GRANULE);
}

static unsigned tag_get(long g)
{
	uint32_t w = __atomic_load_n(&tag_map[g / TAGS_PER_WORD], __ATOMIC_RELAXED);

	return (w >> (g % TAGS_PER_WORD * TAG_BITS)) & TAG_MASK;
}

static void tag_or(long g, unsigned bits)
{
	__atomic_fetch_or(&tag_map[g / TAGS_PER_WORD], bits << (g % TAGS_PER_WORD * TAG_BITS),
			  __ATOMIC_RELAXED);
}

static void tag_clear(long g, unsigned bits)
{
	__atomic_fetch_and(&tag_map[g / TAGS_PER_WORD],
			   ~(bits << (g % TAGS_PER_WORD * TAG_BITS)), __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* Magazines (the calling hart's own)                                  */
/* ------------------------------------------------------------------ */

static struct heap_pcpu *pcpu_mine(void)
{
	return &pcpus[smp_cpu_id()];
}

/* Fill the empty magazine @m of class @c from the algorithm; false when it gave none. */
static bool magazine_refill(struct magazine *m, unsigned c)
{
	uint32_t usable[MAG_BATCH];
	unsigned i;

	m->count = heap_cache_take(class_size(c), m->blocks, usable, MAG_BATCH);
	for (i = 0; i < m->count; i++)
		tag_or(granule_of(m->blocks[i]), c + 1);
	return m->count != 0;
}

/* Give the @n warmest blocks of @m back to the algorithm, tags cleared first. */
static void magazine_drain(struct magazine *m, unsigned n)
{
	unsigned i;

	m->count -= n;
	for (i = 0; i < n; i++)
		tag_clear(granule_of(m->blocks[m->count + i]), TAG_MASK);
	heap_cache_give(&m->blocks[m->count], n);
}

/* ------------------------------------------------------------------ */
/* Interface for kmalloc.c                                             */
/* ------------------------------------------------------------------ */

void heap_pcpu_init(uintptr_t base, size_t size)
{
	heap_base = base;
	heap_size = size;
}

void *heap_pcpu_alloc(size_t size)
{
	unsigned c = class_of(size);
	struct heap_pcpu *me = pcpu_mine();
	struct magazine *m = &me->mag[c];
	void *p;

	if (unlikely(!m->count) && !magazine_refill(m, c))
		return NULL;
	p = m->blocks[--m->count];
	tag_or(granule_of(p), TAG_LIVE);
	me->counts.allocs++;
	me->counts.live += class_size(c);
	return p;
}

int heap_pcpu_free(void *p)
{
	long g = granule_of(p);
	struct heap_pcpu *me;
	struct magazine *m;
	unsigned tag, c;

	if (g < 0 || !(tag = tag_get(g)))
		return HEAP_PCPU_NOT_MINE;
	if (!(tag & TAG_LIVE))
		return HEAP_REFUSED_DOUBLE;
	c = (tag & ~TAG_LIVE) - 1;
	me = pcpu_mine();
	m = &me->mag[c];
	if (unlikely(m->count == MAG_HIGH))
		magazine_drain(m, MAG_BATCH);
	tag_clear(g, TAG_LIVE);
	m->blocks[m->count++] = p;
	me->counts.frees++;
	me->counts.live -= class_size(c);
	return HEAP_REFUSED_NONE;
}

bool heap_pcpu_owns(const void *p)
{
	long g = granule_of(p);

	return g >= 0 && (tag_get(g) & TAG_LIVE);
}

size_t heap_pcpu_size(const void *p)
{
	return class_size((tag_get(granule_of(p)) & ~TAG_LIVE) - 1);
}

void heap_pcpu_drain(void)
{
	struct heap_pcpu *me = pcpu_mine();
	unsigned c;

	for (c = 0; c < HEAP_PCPU_CLASSES; c++)
		if (me->mag[c].count)
			magazine_drain(&me->mag[c], me->mag[c].count);
}

void heap_pcpu_sum(struct heap_pcpu_counts *sum)
{
	unsigned cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		const struct heap_pcpu_counts *n = &pcpus[cpu].counts;

		sum->allocs += __atomic_load_n(&n->allocs, __ATOMIC_RELAXED);
		sum->frees += __atomic_load_n(&n->frees, __ATOMIC_RELAXED);
		sum->live += __atomic_load_n(&n->live, __ATOMIC_RELAXED);
	}
}
