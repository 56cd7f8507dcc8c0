// SPDX-License-Identifier: MIT
/*
 * KTAP suite "frames_smp": every hart allocates and frees frames at the
 * same time (CONFIG_SMP, smp_call_all()), on the global allocator.
 *
 * Each hart repeats rounds: take a batch of single frames (and in every
 * tenth round a short run: the stack algorithm finds one by a scan),
 * fill every word of each with a pattern naming the hart, the round and the
 * frame, check all of them once the whole batch is taken (so the other
 * harts had the time to scribble on a frame handed out twice), and free
 * them. Afterwards the boot hart checks what each hart found, validate(),
 * and that the free count is back where it started: no frame lost, none
 * handed out twice. Running out of frames is allowed (another hart may hold
 * them) and counted, not failed.
 */
#include <mm/frame.h>
#include <mmlab/ktest.h>
#include <mmlab/smp.h>
#include "internal.h"

#define STORM_ROUNDS	150
#define STORM_BATCH	12		/* single frames held at once per hart */
#define STORM_RUN	3		/* frames in the run taken now and then */
#define STORM_RUN_EVERY	10		/* rounds per run: a run search may scan all frames */

struct storm_cpu {
	unsigned long frames;		/* frames taken (singles and run members) */
	unsigned long enomem;		/* allocations refused */
	unsigned long bad_words;	/* words that did not hold their pattern */
	ppn_t first_bad;		/* the first frame with a bad word */
};

struct storm {
	struct storm_cpu cpu[NR_CPUS];
};

/* The word @i of a frame @pn that hart @cpu holds in round @round. */
static unsigned long storm_word(unsigned cpu, unsigned round, ppn_t pn, size_t i)
{
	return ((unsigned long)cpu << 56) ^ ((unsigned long)round << 40) ^
	       (ppn_val(pn) << 12) ^ i;
}

static void storm_fill(unsigned cpu, unsigned round, ppn_t pn)
{
	unsigned long *w = frame_ptr(frame_forge_for_test(pn));
	size_t i;

	for (i = 0; i < PAGE_SIZE / sizeof(*w); i++)
		w[i] = storm_word(cpu, round, pn, i);
}

/* Count the words of frame @pn that lost their pattern into @me. */
static void storm_check(struct storm_cpu *me, unsigned cpu, unsigned round, ppn_t pn)
{
	const unsigned long *w = frame_ptr(frame_forge_for_test(pn));
	size_t i;

	for (i = 0; i < PAGE_SIZE / sizeof(*w); i++) {
		if (w[i] == storm_word(cpu, round, pn, i))
			continue;
		if (!me->bad_words++)
			me->first_bad = pn;
	}
}

/* One round of hart @cpu: take, fill, check, free. */
static void storm_round(struct storm_cpu *me, unsigned cpu, unsigned round)
{
	struct frame held[STORM_BATCH];
	struct frame_run run = { .count = 0 };
	unsigned n = 0, i;
	uint64_t k;

	for (n = 0; n < STORM_BATCH && frame_alloc(&held[n]) == FRAME_OK; n++)
		storm_fill(cpu, round, frame_ppn(held[n]));
	me->enomem += n < STORM_BATCH;
	if (round % STORM_RUN_EVERY == 0) {
		if (frame_alloc_run(STORM_RUN, 1, &run) == FRAME_OK) {
			for (k = 0; k < run.count; k++)
				storm_fill(cpu, round, ppn_add(run.first, k));
		} else {
			run.count = 0;
			me->enomem++;
		}
	}
	for (i = 0; i < n; i++)
		storm_check(me, cpu, round, frame_ppn(held[i]));
	for (k = 0; k < run.count; k++)
		storm_check(me, cpu, round, ppn_add(run.first, k));
	for (i = n; i-- > 0;)		/* newest first on even rounds, oldest first else */
		frame_free(held[round & 1 ? n - 1 - i : i]);
	if (run.count)
		frame_free_run(run);
	me->frames += n + run.count;
}

static void storm_hart(void *arg, unsigned cpu)
{
	struct storm_cpu *me = &((struct storm *)arg)->cpu[cpu];
	unsigned round;

	for (round = 0; round < STORM_ROUNDS; round++)
		storm_round(me, cpu, round);
}

static struct storm storm;

/* Every hart at once; then the patterns, validate() and the free count. */
static void frames_smp_storm(struct ktest *t)
{
	uint64_t before = frame_free_count();
	unsigned cpu, harts = smp_online_count();

	storm = (struct storm){};
	smp_call_all(storm_hart, &storm);
	for (cpu = 0; cpu < harts; cpu++) {
		struct storm_cpu *c = &storm.cpu[cpu];

		ktest_printf("cpu %u: %lu frames, %lu refusals, %lu bad words", cpu,
			     c->frames, c->enomem, c->bad_words);
		if (c->bad_words)
			ktest_fail(t, __FILE__, __LINE__, "cpu %u: %lu words changed under it, "
				   "first in frame " PA_FMT, cpu, c->bad_words,
				   PA_ARG(ppn_to_pa(c->first_bad)));
		KTEST_EXPECT_GT(t, c->frames, 0);
	}
	KTEST_EXPECT_EQ(t, frame_validate(), 0);
	KTEST_EXPECT_EQ(t, frame_free_count(), before);
}

static const struct ktest_case frames_smp_cases[] = {
	KTEST_CASE(frames_smp_storm),
	{}
};
KTEST_SUITE(frames_smp, frames_smp_cases);
