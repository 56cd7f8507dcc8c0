// SPDX-License-Identifier: MIT
/*
 * The heap stress harness (see include/mm/heap_stress.h). It knows nothing
 * about any algorithm beyond struct heap_algo: it keeps its own table of live
 * blocks in the caller's scratch memory, fills each block with a pattern of
 * its address and size, and checks from outside everything the contract
 * promises: addresses inside the region and aligned, usable sizes, contents
 * kept while live, validate() == 0, and the free space restored at the end.
 */
#include <lib/bitops.h>
#include <lib/rand.h>
#include <lib/string.h>
#include <mm/heap_stress.h>

/* One block the harness holds. */
struct live_block {
	unsigned char *ptr;
	size_t size;
};

BUILD_BUG_ON(sizeof(struct live_block) != HEAP_STRESS_ENTRY_SIZE);

/* The table of live blocks over the caller's scratch. */
struct live_table {
	struct live_block *blocks;
	size_t count, cap;
};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static void live_table_init(struct live_table *t, const struct heap_stress *s)
{
	t->blocks = s->scratch;
	t->count = 0;
	t->cap = s->scratch_size / sizeof(struct live_block);
}

/* Byte @i of the pattern of a block at @p of @size bytes. */
static inline unsigned char pattern_byte(const unsigned char *p, size_t size, size_t i)
{
	uintptr_t a = (uintptr_t)p;

	return (unsigned char)((a >> 4) ^ (a >> 12) ^ size ^ (i * 29) ^ (i >> 8));
}

static void pattern_fill(unsigned char *p, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		p[i] = pattern_byte(p, size, i);
}

/* Offset of the first byte that differs from the pattern, or @size. */
static size_t pattern_mismatch(const unsigned char *p, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (p[i] != pattern_byte(p, size, i))
			return i;
	return size;
}

static void space_get(const struct heap_stress *s, struct heap_algo_space *out)
{
	s->algo->space(s->heap, out);
}

/* Report and count a validate() failure; @when names the moment. */
static unsigned heap_check_valid(const struct heap_stress *s, const char *when)
{
	char first[120];
	struct audit a = AUDIT_INIT(first);
	unsigned n = s->algo->validate(s->heap, &a);

	if (n)
		s->report(s->report_arg, "%s: validate() found %u problems %s, first: %s",
			  s->algo->name, n, when, audit_first(&a));
	return n ? 1 : 0;
}

/*
 * Allocate, check placement and usable size, fill with the pattern and
 * record the block. Returns the problem count; *@out is NULL on failure.
 */
static unsigned block_take(const struct heap_stress *s, struct live_table *t,
			   size_t size, size_t align, unsigned char **out)
{
	unsigned char *p = s->algo->alloc(s->heap, size, align, NULL);
	const unsigned char *lo = s->region;
	unsigned problems = 0;
	size_t usable;

	*out = p;
	if (!p)
		return 0;
	if (p < lo || p >= lo + s->region_size || size > (size_t)(lo + s->region_size - p)) {
		s->report(s->report_arg, "%s: alloc(%zu, %zu) = %p outside the region",
			  s->algo->name, size, align, (void *)p);
		*out = NULL;
		return 1;	/* touching it could corrupt anything */
	}
	if ((uintptr_t)p & (align - 1)) {
		s->report(s->report_arg, "%s: alloc(%zu, %zu) = %p misaligned",
			  s->algo->name, size, align, (void *)p);
		problems++;
	}
	usable = s->algo->usable_size(s->heap, p);
	if (usable < size || s->algo->reserved_size(s->heap, p) < usable) {
		s->report(s->report_arg, "%s: alloc(%zu) at %p: usable %zu reserved %zu",
			  s->algo->name, size, (void *)p, usable,
			  s->algo->reserved_size(s->heap, p));
		problems++;
	}
	pattern_fill(p, size);
	if (t) {
		t->blocks[t->count].ptr = p;
		t->blocks[t->count].size = size;
		t->count++;
	}
	return problems;
}

/* Check the pattern of @b and free it. Returns the problem count. */
static unsigned block_give(const struct heap_stress *s, const struct live_block *b)
{
	size_t bad = pattern_mismatch(b->ptr, b->size);
	enum heap_free_result r;
	unsigned problems = 0;

	if (bad != b->size) {
		s->report(s->report_arg, "%s: block %p (%zu bytes) corrupted at offset %zu",
			  s->algo->name, (void *)b->ptr, b->size, bad);
		problems++;
	}
	r = s->algo->free(s->heap, b->ptr, NULL);
	if (r != HEAP_FREE_OK) {
		s->report(s->report_arg, "%s: free(%p) returned %d", s->algo->name,
			  (void *)b->ptr, (int)r);
		problems++;
	}
	return problems;
}

/* Free entry @i of @t (moving the last entry into its place). */
static unsigned live_table_free(const struct heap_stress *s, struct live_table *t, size_t i)
{
	struct live_block b = t->blocks[i];

	t->blocks[i] = t->blocks[--t->count];
	return block_give(s, &b);
}

/* Free every block of @t in random order. */
static unsigned live_table_free_all(const struct heap_stress *s, struct live_table *t,
				    struct rand_state *rng)
{
	unsigned problems = 0;

	while (t->count)
		problems += live_table_free(s, t, rand_range(rng, 0, t->count - 1));
	return problems;
}

/* A random power of two in [1, max]. */
static size_t align_random(struct rand_state *rng, size_t max)
{
	unsigned top = max > 1 ? ilog2_floor(max) : 0;

	return (size_t)1 << rand_range(rng, 0, top);
}

/* Compare the free space now with @before; reports a leak. */
static unsigned space_check_restored(const struct heap_stress *s,
				     const struct heap_algo_space *before, const char *who)
{
	struct heap_algo_space now;

	space_get(s, &now);
	if (now.free == before->free && now.largest_free == before->largest_free)
		return 0;
	s->report(s->report_arg, "%s: %s: free %zu largest %zu, expected %zu and %zu",
		  s->algo->name, who, now.free, now.largest_free, before->free,
		  before->largest_free);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Workloads                                                           */
/* ------------------------------------------------------------------ */

unsigned heap_stress_churn(const struct heap_stress *s, const struct heap_stress_churn_cfg *cfg)
{
	struct heap_algo_space start;
	struct live_table t;
	struct rand_state rng;
	unsigned problems = 0;
	unsigned long op;
	size_t max_live;

	live_table_init(&t, s);
	rand_seed(&rng, s->seed);
	space_get(s, &start);
	max_live = MIN(cfg->max_live, t.cap);
	if (!max_live) {
		s->report(s->report_arg, "%s: churn: no scratch for the live table", s->algo->name);
		return 1;
	}
	for (op = 1; op <= cfg->ops; op++) {
		bool grow = t.count == 0 || (t.count < max_live && (rand_next(&rng) & 1));

		if (grow) {
			size_t size = rand_range(&rng, cfg->min_size, cfg->max_size);
			unsigned char *p;

			problems += block_take(s, &t, size, align_random(&rng, cfg->max_align), &p);
		} else {
			problems += live_table_free(s, &t, rand_range(&rng, 0, t.count - 1));
		}
		if (cfg->validate_every && op % cfg->validate_every == 0)
			problems += heap_check_valid(s, "during churn");
		if (problems > 20)
			break;	/* enough to diagnose; stop flooding */
	}
	problems += live_table_free_all(s, &t, &rng);
	problems += heap_check_valid(s, "after churn");
	problems += space_check_restored(s, &start, "churn");
	return problems;
}

unsigned heap_stress_exhaust(const struct heap_stress *s, size_t min_size, size_t max_size)
{
	struct heap_algo_space start, before, after;
	struct live_table t;
	struct rand_state rng;
	unsigned problems = 0;
	unsigned char *p;

	live_table_init(&t, s);
	rand_seed(&rng, s->seed);
	space_get(s, &start);
	for (;;) {
		size_t size = rand_range(&rng, min_size, max_size);

		if (t.count == t.cap) {
			s->report(s->report_arg, "%s: exhaust: scratch full after %zu blocks",
				  s->algo->name, t.count);
			problems++;
			break;
		}
		space_get(s, &before);
		problems += block_take(s, &t, size, 1, &p);
		if (p)
			continue;
		space_get(s, &after);
		if (memcmp(&before, &after, sizeof(before)) != 0) {
			s->report(s->report_arg, "%s: exhaust: failed alloc(%zu) changed the space",
				  s->algo->name, size);
			problems++;
		}
		if (before.largest_free >= size) {
			s->report(s->report_arg, "%s: exhaust: alloc(%zu) failed with largest_free %zu",
				  s->algo->name, size, before.largest_free);
			problems++;
		}
		break;
	}
	problems += heap_check_valid(s, "when exhausted");
	problems += live_table_free_all(s, &t, &rng);
	problems += heap_check_valid(s, "after freeing all");
	problems += space_check_restored(s, &start, "exhaust");

	/* The heap is whole again: its largest block can be taken in one piece. */
	if (start.largest_free) {
		problems += block_take(s, &t, start.largest_free, 1, &p);
		if (!p) {
			s->report(s->report_arg, "%s: exhaust: alloc(largest_free %zu) failed",
				  s->algo->name, start.largest_free);
			problems++;
		}
		problems += live_table_free_all(s, &t, &rng);
	}
	return problems;
}

unsigned heap_stress_fill(const struct heap_stress *s, size_t min_size, size_t max_size,
			  size_t *live_bytes)
{
	struct live_table t;
	struct rand_state rng;
	unsigned problems = 0;
	unsigned long step;
	size_t bytes = 0;

	live_table_init(&t, s);
	rand_seed(&rng, s->seed);
	for (step = 0;; step++) {
		if (step % 3 == 2 && t.count) {
			size_t k = rand_range(&rng, 0, t.count - 1);

			bytes -= t.blocks[k].size;
			problems += block_give(s, &t.blocks[k]);
			t.blocks[k] = t.blocks[--t.count];
		} else {
			size_t size = rand_range(&rng, min_size, max_size);
			unsigned char *p;

			if (t.count == t.cap) {
				s->report(s->report_arg, "%s: fill: scratch full after %zu blocks",
					  s->algo->name, t.count);
				problems++;
				break;
			}
			problems += block_take(s, &t, size, 1, &p);
			if (!p)
				break;
			bytes += size;
		}
	}
	*live_bytes = bytes;
	while (t.count)
		problems += block_give(s, &t.blocks[--t.count]);
	return problems + heap_check_valid(s, "after fill");
}

unsigned heap_stress_align_sweep(const struct heap_stress *s)
{
	struct heap_algo_space start;
	struct live_table t;
	struct rand_state rng;
	unsigned problems = 0;
	size_t align;

	live_table_init(&t, s);
	rand_seed(&rng, s->seed);
	space_get(s, &start);
	if (t.cap < 4) {
		s->report(s->report_arg, "%s: align: scratch too small", s->algo->name);
		return 1;
	}
	for (align = 1; align <= 4096; align <<= 1) {
		size_t sizes[4] = { 1, align / 2 + 1, align, rand_range(&rng, 1, align) };
		unsigned i;

		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			unsigned char *p;

			problems += block_take(s, &t, sizes[i], align, &p);
			if (!p) {
				s->report(s->report_arg, "%s: align: alloc(%zu, %zu) failed",
					  s->algo->name, sizes[i], align);
				problems++;
			}
		}
		problems += live_table_free_all(s, &t, &rng);
	}
	problems += heap_check_valid(s, "after the alignment sweep");
	problems += space_check_restored(s, &start, "align");
	return problems;
}

unsigned heap_stress_lab(const struct heap_stress *s)
{
	const struct heap_algo *a = s->algo;
	const size_t word = sizeof(unsigned long);
	struct heap_algo_space start;
	unsigned long *box, *vec, *grown;
	size_t len, cap = 4, i;
	unsigned problems = 0;

	space_get(s, &start);
	box = a->alloc(s->heap, word, word, NULL);
	if (!box) {
		s->report(s->report_arg, "%s: lab: cannot box a value", a->name);
		return 1;
	}
	*box = 5;
	vec = a->alloc(s->heap, cap * word, word, NULL);
	if (!vec) {
		s->report(s->report_arg, "%s: lab: cannot allocate the vector", a->name);
		a->free(s->heap, box, NULL);
		return 1;
	}
	for (len = 0; len < 10000; len++) {
		if (len == cap) {
			grown = a->alloc(s->heap, 2 * cap * word, word, NULL);
			if (!grown) {
				s->report(s->report_arg, "%s: lab: growing the vector to %zu failed",
					  a->name, 2 * cap);
				problems++;
				break;
			}
			memcpy(grown, vec, cap * word);
			if (a->free(s->heap, vec, NULL) != HEAP_FREE_OK)
				problems++;
			vec = grown;
			cap *= 2;
		}
		vec[len] = len;
	}
	for (i = 0; i < len; i++)
		if (vec[i] != i) {
			s->report(s->report_arg, "%s: lab: vec[%zu] = %lu", a->name, i, vec[i]);
			problems++;
			break;
		}
	if (*box != 5) {
		s->report(s->report_arg, "%s: lab: boxed value is %lu", a->name, *box);
		problems++;
	}
	if (a->free(s->heap, vec, NULL) != HEAP_FREE_OK ||
	    a->free(s->heap, box, NULL) != HEAP_FREE_OK) {
		s->report(s->report_arg, "%s: lab: free failed", a->name);
		problems++;
	}
	problems += heap_check_valid(s, "after the lab test");
	problems += space_check_restored(s, &start, "lab");
	return problems;
}
