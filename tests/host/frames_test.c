// SPDX-License-Identifier: MIT
/*
 * Host tests of the frame algorithms (include/mm/frame_algo.h). Every case
 * runs on every registered algorithm, on a private instance over malloc'd
 * metadata, so a new algorithm file is tested as soon as it is linked in.
 * The random-sequence case drives the model checker of fuzz_frames.c.
 */
#include <stdlib.h>
#include <string.h>
#include <mm/frame_algo.h>
#include <lib/bitops.h>
#include <lib/rand.h>
#include "host_test.h"

/* From fuzz_frames.c: run encoded operations on @algo and a model. */
bool frames_model_run(const struct frame_algo *algo, const uint8_t *data, size_t size,
		      char *why, size_t why_len);

/* ------------------------------------------------------------------------ */
/* Instances and snapshots                                                  */
/* ------------------------------------------------------------------------ */

struct inst {
	const struct frame_algo *algo;
	void *meta;
	void *h;
	struct ppn_range span;
};

/* A fresh instance over [base, base + count), every frame allocated. */
static struct inst inst_new(const struct frame_algo *a, uint64_t base, uint64_t count)
{
	struct inst t = { .algo = a, .span = ppn_range_sized(PPN(base), count) };
	size_t size = a->meta_size(count);

	CHECK(size != 0);
	t.meta = malloc(size);
	CHECK(t.meta != NULL);
	t.h = a->init(t.meta, t.span);
	CHECK(t.h == t.meta);
	return t;
}

/* A fresh instance with the whole span free. */
static struct inst inst_new_free(const struct frame_algo *a, uint64_t base, uint64_t count)
{
	struct inst t = inst_new(a, base, count);

	CHECK_EQ(a->add_free(t.h, t.span), FRAME_OK);
	CHECK_EQ(a->free_count(t.h), count);
	return t;
}

static void inst_free(struct inst *t)
{
	free(t->meta);
}

#define SNAP_MAX_RUNS	1024

/* What a caller can observe: the free count and the walk() runs. */
struct snapshot {
	uint64_t free;
	unsigned nruns;
	struct { bool free; uint64_t start, end; } runs[SNAP_MAX_RUNS];
};

static void snapshot_fn(void *arg, bool free, struct ppn_range run)
{
	struct snapshot *s = arg;

	if (s->nruns < SNAP_MAX_RUNS) {
		s->runs[s->nruns].free = free;
		s->runs[s->nruns].start = ppn_val(run.start);
		s->runs[s->nruns].end = ppn_val(run.end);
	}
	s->nruns++;
}

static struct snapshot snapshot_take(const struct inst *t)
{
	struct snapshot s;

	memset(&s, 0, sizeof(s));
	s.free = t->algo->free_count(t->h);
	t->algo->walk(t->h, snapshot_fn, &s);
	CHECK(s.nruns <= SNAP_MAX_RUNS);
	return s;
}

/* The observable state equals @before and the metadata is consistent. */
static void check_unchanged(const struct inst *t, const struct snapshot *before)
{
	struct snapshot now = snapshot_take(t);

	CHECK_EQ(t->algo->validate(t->h, NULL), 0);
	CHECK_EQ(now.free, before->free);
	CHECK_EQ(now.nruns, before->nruns);
	CHECK(memcmp(&now, before, sizeof(now)) == 0);
}

/* ------------------------------------------------------------------------ */
/* Registry and sizing                                                      */
/* ------------------------------------------------------------------------ */

/* Every algorithm mm/frame/Makefile lists (frames.mk counts them) registered once. */
HOST_TEST(registry_lists_algorithms)
{
	const struct frame_algo *a, *b;
	unsigned n = 0;

	frame_algo_for_each(a) {
		n++;
		CHECK(a->name && a->meta_size && a->init && a->add_free && a->alloc &&
		      a->free && a->alloc_run && a->free_run && a->free_count &&
		      a->validate && a->walk);
		for (b = a + 1; b < __stop_frame_algos; b++)
			CHECK(strcmp(a->name, b->name) != 0);
	}
	CHECK_EQ(n, FRAME_ALGO_COUNT);
}

HOST_TEST(meta_size_scales)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		size_t one = a->meta_size(1), big = a->meta_size(1 << 20);

		CHECK_EQ(a->meta_size(0), 0);
		CHECK_EQ(a->meta_size((1ULL << 32) + 1), 0);	/* 32-bit offsets at most */
		CHECK(one > 0);
		CHECK(big > one);
		CHECK(big <= 10 * MiB);	/* 4 GiB of RAM: under 10 bytes a frame */
	}
}

HOST_TEST(init_refuses_empty_span)
{
	const struct frame_algo *a;
	uint64_t meta[64];

	frame_algo_for_each(a)
		CHECK(a->init(meta, ppn_range_make(PPN(10), PPN(10))) == NULL);
}

HOST_TEST(fresh_instance_has_nothing_free)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		struct inst t = inst_new(a, 0x80000, 1000);
		struct snapshot s = snapshot_take(&t);
		ppn_t pn;

		CHECK_EQ(a->free_count(t.h), 0);
		CHECK_EQ(a->alloc(t.h, &pn), FRAME_ENOMEM);
		CHECK_EQ(a->alloc_run(t.h, 4, 1, &pn), FRAME_ENOMEM);
		CHECK_EQ(a->validate(t.h, NULL), 0);
		CHECK_EQ(s.nruns, 1);
		CHECK(!s.runs[0].free);
		CHECK_EQ(s.runs[0].start, 0x80000);
		CHECK_EQ(s.runs[0].end, 0x80000 + 1000);
		CHECK_EQ(a->add_free(t.h, ppn_range_make(PPN(0x80005), PPN(0x80005))), FRAME_OK);
		check_unchanged(&t, &s);
		inst_free(&t);
	}
}

/* ------------------------------------------------------------------------ */
/* Single frames                                                            */
/* ------------------------------------------------------------------------ */

/* A fresh span hands out each of its frames once (in whatever order). */
HOST_TEST(fresh_span_hands_out_every_frame_once)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		struct inst t = inst_new_free(a, 0x80200, 300);
		unsigned long seen[BITS_TO_LONGS(300)];
		uint64_t i;
		ppn_t pn;

		memset(seen, 0, sizeof(seen));
		for (i = 0; i < 300; i++) {
			CHECK_EQ(a->alloc(t.h, &pn), FRAME_OK);
			CHECK(ppn_range_contains(t.span, pn));
			CHECK(!bitmap_test(seen, ppn_val(pn) - 0x80200));
			bitmap_set_bit(seen, ppn_val(pn) - 0x80200);
		}
		CHECK_EQ(a->alloc(t.h, &pn), FRAME_ENOMEM);
		CHECK_EQ(a->validate(t.h, NULL), 0);
		inst_free(&t);
	}
}

/* The rCore frame test: twice, allocate two frames and free them; the same two return. */
HOST_TEST(two_frames_come_back)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		struct inst t = inst_new_free(a, 0x80000, 0x8000);
		ppn_t first[2], again[2];

		CHECK_EQ(a->alloc(t.h, &first[0]), FRAME_OK);
		CHECK_EQ(a->alloc(t.h, &first[1]), FRAME_OK);
		CHECK(!ppn_eq(first[0], first[1]));
		CHECK_EQ(a->free(t.h, first[0]), FRAME_OK);
		CHECK_EQ(a->free(t.h, first[1]), FRAME_OK);
		CHECK_EQ(a->alloc(t.h, &again[0]), FRAME_OK);
		CHECK_EQ(a->alloc(t.h, &again[1]), FRAME_OK);
		CHECK((ppn_eq(again[0], first[0]) && ppn_eq(again[1], first[1])) ||
		      (ppn_eq(again[0], first[1]) && ppn_eq(again[1], first[0])));
		CHECK_EQ(a->free_count(t.h), 0x8000 - 2);
		CHECK_EQ(a->validate(t.h, NULL), 0);
		inst_free(&t);
	}
}

/* A frame freed among allocated ones is the next handed out (LIFO or lowest-first). */
HOST_TEST(freed_frame_reused_first)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		struct inst t = inst_new_free(a, 0x80000, 64);
		ppn_t pn[10], back;
		unsigned i;

		for (i = 0; i < 10; i++)
			CHECK_EQ(a->alloc(t.h, &pn[i]), FRAME_OK);
		CHECK_EQ(a->free(t.h, pn[6]), FRAME_OK);
		CHECK_EQ(a->alloc(t.h, &back), FRAME_OK);
		CHECK_EQ(ppn_val(back), ppn_val(pn[6]));
		inst_free(&t);
	}
}

/* Spans with holes: exactly the added frames come out, each once, then ENOMEM. */
HOST_TEST(holes_exhaustion_and_recovery)
{
	static const struct { uint64_t off, n; } ranges[] = {
		{ 3, 60 }, { 64, 64 }, { 200, 1 }, { 250, 190 }, { 999, 1 },
	};
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		const uint64_t base = 0x80203, count = 1000;
		struct inst t = inst_new(a, base, count);
		unsigned long seen[BITS_TO_LONGS(1000)];
		uint64_t total = 0, got = 0, i;
		ppn_t pn;

		memset(seen, 0, sizeof(seen));
		for (i = 0; i < ARRAY_SIZE(ranges); i++) {
			CHECK_EQ(a->add_free(t.h, ppn_range_sized(PPN(base + ranges[i].off),
								 ranges[i].n)), FRAME_OK);
			total += ranges[i].n;
		}
		CHECK_EQ(a->free_count(t.h), total);
		CHECK_EQ(snapshot_take(&t).nruns, 2 * ARRAY_SIZE(ranges));
		while (a->alloc(t.h, &pn) == FRAME_OK) {
			uint64_t off = ppn_val(pn) - base;
			bool inside = false;

			for (i = 0; i < ARRAY_SIZE(ranges); i++)
				inside |= off >= ranges[i].off && off < ranges[i].off + ranges[i].n;
			CHECK(inside);
			CHECK(!bitmap_test(seen, off));
			bitmap_set_bit(seen, off);
			got++;
		}
		CHECK_EQ(got, total);
		CHECK_EQ(a->free_count(t.h), 0);
		CHECK_EQ(a->alloc_run(t.h, 1, 1, &pn), FRAME_ENOMEM);
		CHECK_EQ(a->validate(t.h, NULL), 0);

		for (i = 0; i < count; i++)
			if (bitmap_test(seen, i))
				CHECK_EQ(a->free(t.h, PPN(base + i)), FRAME_OK);
		CHECK_EQ(a->free_count(t.h), total);
		CHECK_EQ(a->validate(t.h, NULL), 0);
		for (got = 0; a->alloc(t.h, &pn) == FRAME_OK; got++)
			;
		CHECK_EQ(got, total);
		inst_free(&t);
	}
}

/* 4 GiB of RAM: 1M frames, every one handed out once, then all back. */
HOST_TEST(huge_span_one_million_frames)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		const uint64_t base = 0x80000, count = 1 << 20;
		struct inst t = inst_new_free(a, base, count);
		unsigned long *seen = calloc(BITS_TO_LONGS(count), sizeof(unsigned long));
		uint64_t i;
		ppn_t pn;

		for (i = 0; i < count; i++) {
			CHECK_EQ(a->alloc(t.h, &pn), FRAME_OK);
			CHECK(ppn_range_contains(t.span, pn));
			CHECK(!bitmap_test(seen, ppn_val(pn) - base));
			bitmap_set_bit(seen, ppn_val(pn) - base);
		}
		CHECK_EQ(a->alloc(t.h, &pn), FRAME_ENOMEM);
		CHECK_EQ(a->validate(t.h, NULL), 0);
		for (i = count; i-- > 0;)
			CHECK_EQ(a->free(t.h, PPN(base + i)), FRAME_OK);
		CHECK_EQ(a->free_count(t.h), count);
		CHECK_EQ(a->validate(t.h, NULL), 0);
		/* A 512-frame run aligned to 1 GiB (2^18 frames). */
		CHECK_EQ(a->alloc_run(t.h, 512, 1 << 18, &pn), FRAME_OK);
		CHECK_EQ(ppn_val(pn) % (1 << 18), 0);
		CHECK_EQ(a->free_count(t.h), count - 512);
		CHECK_EQ(a->validate(t.h, NULL), 0);
		free(seen);
		inst_free(&t);
	}
}

/* ------------------------------------------------------------------------ */
/* Contiguous runs                                                          */
/* ------------------------------------------------------------------------ */

HOST_TEST(runs_are_contiguous_aligned_and_exclusive)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		const uint64_t base = 0x80003, count = 4096;
		struct inst t = inst_new_free(a, base, count);
		unsigned long seen[BITS_TO_LONGS(4096)];
		uint64_t n, align, used = 0, i;
		ppn_t pn;

		memset(seen, 0, sizeof(seen));
		for (n = 1; n <= 16; n++) {
			for (align = 1; align <= 64; align <<= 1) {
				CHECK_EQ(a->alloc_run(t.h, n, align, &pn), FRAME_OK);
				CHECK_EQ(ppn_val(pn) % align, 0);
				CHECK(frame_run_in_span(base, count, ppn_val(pn), n));
				for (i = 0; i < n; i++) {
					CHECK(!bitmap_test(seen, ppn_val(pn) - base + i));
					bitmap_set_bit(seen, ppn_val(pn) - base + i);
				}
				used += n;
				CHECK_EQ(a->free_count(t.h), count - used);
				CHECK_EQ(a->validate(t.h, NULL), 0);
			}
		}
		inst_free(&t);
	}
}

/* Every other frame free: plenty of frames, no run of two; the refusal changes nothing. */
HOST_TEST(fragmented_span_refuses_runs)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		struct inst t = inst_new(a, 0x80001, 512);
		struct snapshot before;
		uint64_t i;
		ppn_t pn;

		/* Free frames are the odd page numbers 0x80001, 0x80003, ... */
		for (i = 0; i < 512; i += 2)
			CHECK_EQ(a->add_free(t.h, ppn_range_sized(PPN(0x80001 + i), 1)), FRAME_OK);
		before = snapshot_take(&t);
		CHECK_EQ(before.nruns, 512);
		CHECK_EQ(a->alloc_run(t.h, 2, 1, &pn), FRAME_ENOMEM);
		CHECK_EQ(a->alloc_run(t.h, 1, 2, &pn), FRAME_ENOMEM);
		check_unchanged(&t, &before);
		CHECK_EQ(a->alloc_run(t.h, 1, 1, &pn), FRAME_OK);
		CHECK_EQ(ppn_val(pn) % 2, 1);
		CHECK_EQ(a->free_run(t.h, pn, 1), FRAME_OK);
		CHECK_EQ(a->free_count(t.h), 256);
		inst_free(&t);
	}
}

/* The only fitting run starts right after an allocated frame that cut a shorter one. */
HOST_TEST(run_found_right_after_a_short_one)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		struct inst t = inst_new(a, 0x80000, 64);
		ppn_t pn;

		CHECK_EQ(a->add_free(t.h, ppn_range_sized(PPN(0x80000), 1)), FRAME_OK);
		CHECK_EQ(a->add_free(t.h, ppn_range_sized(PPN(0x80002), 5)), FRAME_OK);
		CHECK_EQ(a->alloc_run(t.h, 5, 1, &pn), FRAME_OK);
		CHECK_EQ(ppn_val(pn), 0x80002);
		CHECK_EQ(a->free_count(t.h), 1);
		CHECK_EQ(a->validate(t.h, NULL), 0);
		inst_free(&t);
	}
}

HOST_TEST(run_freed_and_reallocated)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		struct inst t = inst_new_free(a, 0x80000, 256);
		ppn_t run, again, single;

		CHECK_EQ(a->alloc(t.h, &single), FRAME_OK);
		CHECK_EQ(a->alloc_run(t.h, 32, 32, &run), FRAME_OK);
		CHECK_EQ(ppn_val(run) % 32, 0);
		CHECK_EQ(a->free_run(t.h, run, 32), FRAME_OK);
		CHECK_EQ(a->free_count(t.h), 255);
		CHECK_EQ(a->alloc_run(t.h, 32, 32, &again), FRAME_OK);
		CHECK_EQ(ppn_val(again), ppn_val(run));
		CHECK_EQ(a->validate(t.h, NULL), 0);
		inst_free(&t);
	}
}

/*
 * Whatever was allocated and freed, in whatever order, all of it is one run
 * again: the buddy must have merged every block back (and emptied its hot
 * list), the others must have nothing left behind.
 */
HOST_TEST(everything_freed_is_one_run_again)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		const uint64_t base = 0x80000, count = 8192;
		struct inst t = inst_new_free(a, base, count);
		struct { uint64_t first, n; } taken[600];
		struct rand_state r;
		unsigned nr = 0, i;
		ppn_t pn;

		rand_seed(&r, 21);
		while (nr < ARRAY_SIZE(taken)) {
			uint64_t n = rand_next(&r) % 3 ? 1 : 1 + rand_next(&r) % 40;

			if (a->alloc_run(t.h, n, 1ULL << (rand_next(&r) % 4), &pn) != FRAME_OK)
				break;
			taken[nr].first = ppn_val(pn);
			taken[nr++].n = n;
		}
		for (i = nr; i > 1; i--) {	/* free in a random order */
			unsigned k = (unsigned)(rand_next(&r) % i);
			uint64_t f = taken[k].first, n = taken[k].n;

			taken[k] = taken[i - 1];
			taken[i - 1].first = f;
			taken[i - 1].n = n;
		}
		for (i = 0; i < nr; i++)
			CHECK_EQ(a->free_run(t.h, PPN(taken[i].first), taken[i].n), FRAME_OK);
		CHECK_EQ(a->free_count(t.h), count);
		CHECK_EQ(a->validate(t.h, NULL), 0);
		CHECK_EQ(a->alloc_run(t.h, count, 1, &pn), FRAME_OK);
		CHECK_EQ(ppn_val(pn), base);
		CHECK_EQ(a->free_count(t.h), 0);
		inst_free(&t);
	}
}

/* ------------------------------------------------------------------------ */
/* Refused calls                                                            */
/* ------------------------------------------------------------------------ */

HOST_TEST(bad_arguments_refused)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		struct inst t = inst_new_free(a, 0x80000, 128);
		struct snapshot before = snapshot_take(&t);
		ppn_t pn = PPN(0x12345);

		CHECK_EQ(a->alloc_run(t.h, 0, 1, &pn), FRAME_EINVAL);
		CHECK_EQ(a->alloc_run(t.h, 2, 0, &pn), FRAME_EINVAL);
		CHECK_EQ(a->alloc_run(t.h, 2, 6, &pn), FRAME_EINVAL);
		CHECK_EQ(a->free_run(t.h, PPN(0x80000), 0), FRAME_EINVAL);
		CHECK_EQ(a->alloc_run(t.h, 129, 1, &pn), FRAME_ENOMEM);
		CHECK_EQ(ppn_val(pn), 0x12345);
		check_unchanged(&t, &before);
		inst_free(&t);
	}
}

HOST_TEST(out_of_span_refused)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		struct inst t = inst_new(a, 0x80000, 128);
		struct snapshot before;
		ppn_t pn;

		CHECK_EQ(a->add_free(t.h, ppn_range_make(PPN(0x80000), PPN(0x80040))), FRAME_OK);
		CHECK_EQ(a->alloc(t.h, &pn), FRAME_OK);
		before = snapshot_take(&t);
		CHECK_EQ(a->free(t.h, PPN(0x7ffff)), FRAME_ERANGE);
		CHECK_EQ(a->free(t.h, PPN(0x80080)), FRAME_ERANGE);
		CHECK_EQ(a->free(t.h, PPN(~0ULL)), FRAME_ERANGE);
		CHECK_EQ(a->free(t.h, PPN(0)), FRAME_ERANGE);
		CHECK_EQ(a->free_run(t.h, PPN(0x8007f), 2), FRAME_ERANGE);
		CHECK_EQ(a->free_run(t.h, PPN(0x80070), ~0ULL), FRAME_ERANGE);
		CHECK_EQ(a->add_free(t.h, ppn_range_make(PPN(0x80070), PPN(0x80081))),
			 FRAME_ERANGE);
		CHECK_EQ(a->add_free(t.h, ppn_range_make(PPN(0x7fff0), PPN(0x80001))),
			 FRAME_ERANGE);
		/* In the span but never handed over: refused like frames outside it. */
		CHECK_EQ(a->free(t.h, PPN(0x80040)), FRAME_ERANGE);
		CHECK_EQ(a->free(t.h, PPN(0x8007f)), FRAME_ERANGE);
		CHECK_EQ(a->free_run(t.h, PPN(0x8003f), 2), FRAME_ERANGE);
		check_unchanged(&t, &before);
		inst_free(&t);
	}
}

/* Every algorithm catches double frees, in every call. */
HOST_TEST(double_free_refused)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		struct inst t = inst_new(a, 0x80000, 256);
		struct snapshot before;
		ppn_t pn, run;

		CHECK_EQ(a->add_free(t.h, ppn_range_make(PPN(0x80000), PPN(0x80080))), FRAME_OK);
		CHECK_EQ(a->alloc(t.h, &pn), FRAME_OK);
		CHECK_EQ(a->alloc_run(t.h, 8, 8, &run), FRAME_OK);
		CHECK_EQ(a->free(t.h, pn), FRAME_OK);
		before = snapshot_take(&t);
		CHECK_EQ(a->free(t.h, pn), FRAME_EDOUBLE);
		CHECK_EQ(a->free(t.h, PPN(0x80070)), FRAME_EDOUBLE);
		/* A run whose last frame is free: nothing of it may be freed. */
		CHECK_EQ(a->free_run(t.h, ppn_add(run, 1), 8), FRAME_EDOUBLE);
		CHECK_EQ(a->free_run(t.h, pn, 1), FRAME_EDOUBLE);
		CHECK_EQ(a->add_free(t.h, ppn_range_make(PPN(0x80078), PPN(0x80090))),
			 FRAME_EDOUBLE);
		check_unchanged(&t, &before);
		CHECK_EQ(a->free_run(t.h, run, 8), FRAME_OK);
		CHECK_EQ(a->free_run(t.h, run, 8), FRAME_EDOUBLE);
		CHECK_EQ(a->free_count(t.h), 128);
		inst_free(&t);
	}
}

/* Whatever the mode, a span whose every frame is free refuses one more. */
HOST_TEST(double_free_of_full_span_refused)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		struct inst t = inst_new_free(a, 0x80000, 100);
		struct snapshot before = snapshot_take(&t);

		CHECK_EQ(a->free(t.h, PPN(0x80010)), FRAME_EDOUBLE);
		CHECK_EQ(a->free_run(t.h, PPN(0x80010), 3), FRAME_EDOUBLE);
		CHECK_EQ(a->add_free(t.h, ppn_range_sized(PPN(0x80000), 1)), FRAME_EDOUBLE);
		check_unchanged(&t, &before);
		inst_free(&t);
	}
}

/* ------------------------------------------------------------------------ */
/* Random sequences against the model                                       */
/* ------------------------------------------------------------------------ */

HOST_TEST(random_sequences_match_model)
{
	const size_t ops = 4000, size = 5 + 2 * 7 + 3 * ops;
	uint8_t *data = malloc(size);
	const struct frame_algo *a;
	unsigned seed;
	char why[512];

	for (seed = 1; seed <= 16; seed++) {
		struct rand_state r;
		size_t i;

		rand_seed(&r, seed);
		for (i = 0; i < size; i++)
			data[i] = (uint8_t)rand_next(&r);
		data[0] = (uint8_t)(seed & 1);			/* more runs or not */
		data[4] = (uint8_t)(1 + seed % 7);		/* free ranges */
		if (seed % 4 == 0)
			data[1] = data[2] = 0xff;		/* a large span */
		frame_algo_for_each(a) {
			bool ok = frames_model_run(a, data, size, why, sizeof(why));

			if (!ok)
				printf("# seed %u: %s\n", seed, why);
			CHECK(ok);
		}
	}
	free(data);
}

/* ------------------------------------------------------------------------ */
/* validate() names what it finds                                           */
/* ------------------------------------------------------------------------ */

/* Where the older copy of the metadata is put back from: bytes, or halves... of it. */
static size_t mix_cut(size_t size, size_t k)
{
	static const size_t bytes[] = { 24, 64, 256 };

	if (k < ARRAY_SIZE(bytes))
		return MIN(bytes[k], size / 2);
	return size >> (k - ARRAY_SIZE(bytes) + 1);
}

#define MIX_CUTS	6

/*
 * Metadata mixed from two moments (from a cut on, as it was before 100
 * frames were taken and 10 given back) is inconsistent for some cut, and
 * for every cut validate() describes a problem exactly when it counts one;
 * a sound instance counts and describes nothing. (Pointers inside the
 * instance are the same at both moments, so the walk stays in bounds.)
 */
HOST_TEST(validate_names_the_first_problem)
{
	const struct frame_algo *a;

	frame_algo_for_each(a) {
		size_t size = a->meta_size(4096), k;
		unsigned char *old = malloc(size), *now = malloc(size);
		unsigned found = 0;

		CHECK(old && now);
		for (k = 0; k < MIX_CUTS; k++) {
			struct inst t = inst_new_free(a, 0x80000, 4096);
			size_t cut = mix_cut(size, k);
			char first[160] = "";
			struct audit au = AUDIT_INIT(first);
			ppn_t pn[100];
			unsigned i, n;

			CHECK_EQ(a->validate(t.h, &au), 0);
			CHECK(!au.noted);
			memcpy(old, t.meta, size);
			for (i = 0; i < 100; i++)
				CHECK_EQ(a->alloc(t.h, &pn[i]), FRAME_OK);
			for (i = 0; i < 10; i++)
				CHECK_EQ(a->free(t.h, pn[i * 7]), FRAME_OK);
			memcpy(now, t.meta, size);
			memcpy((unsigned char *)t.meta + cut, old + cut, size - cut);
			n = a->validate(t.h, &au);
			CHECK_EQ(au.noted, n != 0);
			CHECK_EQ(first[0] != '\0', n != 0);
			if (n && !found++)
				printf("# %s, metadata mixed from byte %zu of %zu: %u problem%s, "
				       "first: %s\n", a->name, cut, size, n, n == 1 ? "" : "s",
				       first);
			memcpy(t.meta, now, size);	/* sound again, for inst_free */
			inst_free(&t);
		}
		CHECK(found > 0);
		free(old);
		free(now);
	}
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
