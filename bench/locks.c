// SPDX-License-Identifier: MIT
/*
 * The "locks" benchmark (CONFIG_LOCK_STAT): frame and heap work on every
 * online hart at once, then each registered lock's counts, as the xv6
 * locks lab prints them.
 *
 * Two workloads, each run by all harts through smp_call_all(): frame
 * alloc+free pairs (LOCKS_PAIRS per hart) and kmalloc/kfree churn with a
 * few live blocks of 8..512 bytes (LOCKS_CHURN ops per hart). Under QEMU
 * -icount the harts run in turn and rdinstret reads one instruction count
 * for the whole machine (QEMU's, not the hart's), so the boot hart reads it
 * around the whole smp_call_all(): "insns_per_op" is every instruction any
 * hart ran, spinning and the wait for the last hart included, over all
 * harts' operations. With no time lost that is what one operation costs
 * its hart; what waiting for a lock costs shows as it grows with harts. Before each workload every
 * lock's counters are reset; after it the benchmark prints, per lock,
 * acquisitions, contended acquisitions and spins, and spins per operation.
 *
 * Under -icount QEMU gives the harts turns of about one timer period
 * (CONFIG_TIMER_HZ) of instructions shared among them; a hart whose turn
 * ends while it holds a lock leaves the others spinning through theirs,
 * so there the spins count lock-holder preemption. The per-hart loops are
 * long enough (several turns each) for that to happen. `make bench
 * SMP=1,2,4,8` runs this with and without the per-hart caches
 * (scripts/mmlab/scaling.py).
 */
#include <asm/csr.h>
#include <lib/rand.h>
#include <lib/vsprintf.h>
#include <mm/frame.h>
#include <mm/heap.h>
#include <bench/bench.h>
#include <mmlab/smp.h>
#include <mmlab/spinlock.h>

#define LOCKS_PAIRS	30000
#define LOCKS_CHURN	30000
#define LOCKS_LIVE	8

struct locks_cpu {
	unsigned long ops;
	bool failed;
};

struct locks_run {
	struct locks_cpu cpu[NR_CPUS];
};

static struct locks_run locks_run;

static void pairs_hart(void *arg, unsigned cpu)
{
	struct locks_cpu *me = &((struct locks_run *)arg)->cpu[cpu];
	struct frame f;
	unsigned i;

	for (i = 0; i < LOCKS_PAIRS; i++) {
		if (frame_alloc(&f) != FRAME_OK) {
			me->failed = true;
			break;
		}
		frame_free(f);
	}
	me->ops = 2 * i;
}

static void churn_hart(void *arg, unsigned cpu)
{
	struct locks_cpu *me = &((struct locks_run *)arg)->cpu[cpu];
	void *live[LOCKS_LIVE] = {};
	struct rand_state r;
	unsigned i;

	rand_seed(&r, 0x10c5 + cpu);
	for (i = 0; i < LOCKS_CHURN; i++) {
		void **slot = &live[rand_range(&r, 0, LOCKS_LIVE - 1)];

		if (*slot) {
			kfree(*slot);
			*slot = NULL;
		} else if (!(*slot = kmalloc(rand_range(&r, 8, 512)))) {
			me->failed = true;
		}
	}
	for (i = 0; i < LOCKS_LIVE; i++)
		kfree(live[i]);
	me->ops = LOCKS_CHURN + LOCKS_LIVE;
}

static void lock_stats_reset(void)
{
	const lock_stat_entry *l;

	registry_for_each(lock_stats, l) {
		(*l)->acquired = 0;
		(*l)->contended = 0;
		(*l)->spins = 0;
	}
}

/* Run @fn on every hart as workload @name and print its counts. Return: false on a failed op. */
static bool locks_workload(const char *name, smp_call_fn fn)
{
	unsigned long insns, ops = 0;
	const lock_stat_entry *l;
	unsigned cpu, harts = smp_online_count();
	bool ok = true;

	locks_run = (struct locks_run){};
	lock_stats_reset();
	insns = rdinstret();
	smp_call_all(fn, &locks_run);
	insns = rdinstret() - insns;
	for (cpu = 0; cpu < harts; cpu++) {
		ops += locks_run.cpu[cpu].ops;
		ok &= !locks_run.cpu[cpu].failed;
	}
	bench_metric_u64(name, "harts", harts);
	bench_metric_ratio(name, "insns_per_op", insns, ops);
	registry_for_each(lock_stats, l) {
		char metric[48];

		snprintf(metric, sizeof(metric), "%s.acquired", (*l)->name);
		bench_metric_u64(name, metric, (*l)->acquired);
		snprintf(metric, sizeof(metric), "%s.contended", (*l)->name);
		bench_metric_u64(name, metric, (*l)->contended);
		snprintf(metric, sizeof(metric), "%s.spins_per_op", (*l)->name);
		bench_metric_ratio(name, metric, (*l)->spins, ops);
	}
	if (!ok)
		bench_error(name, "an allocation failed");
	return ok;
}

static enum bench_status bench_locks(void)
{
	uint64_t frames_before = frame_free_count();
	bool ok = locks_workload("smp_frame_pairs", pairs_hart);

	ok &= locks_workload("smp_heap_churn", churn_hart);
	if (frame_free_count() != frames_before || heap_validate()) {
		bench_error("locks", "frames or heap not whole afterwards");
		ok = false;
	}
	return ok ? BENCH_OK : BENCH_FAILED;
}
BENCH_REGISTER("locks", bench_locks);
