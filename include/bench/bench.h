/* SPDX-License-Identifier: MIT */
/*
 * In-kernel benchmarks (CONFIG_BENCH), run when the command line says
 * "bench=all", "bench=GROUP" (heap, frames, trace) or "bench=NAME[,NAME...]"
 * (see bench/bench.c for the list and docs/performance.md for the method).
 *
 * Measuring. Each operation is bracketed by bench_start()/bench_stop(): the
 * interrupts go off, rdinstret is read before and after, the interrupts come
 * back. Under QEMU -icount shift=0 the difference is the exact number of
 * guest instructions retired, the same on every run. The cost of the two
 * reads alone (measured once at start-up) is subtracted from every sample.
 *
 * Series. The samples of one kind of operation in one workload ("heap_churn"
 * / "kmalloc") go to a struct bench_series, whose buffer is carved from
 * physical frames. bench_series_report() sorts it and prints one line
 *
 *   bench: {"workload":"heap_churn","op":"kmalloc","count":..,"failures":..,
 *           "sum":..,"mean":..,"median":..,"p99":..,"max":..,"min":..}
 *
 * which scripts/bench.py parses; every "bench: " line is one JSON object.
 */
#ifndef MMLAB_BENCH_H
#define MMLAB_BENCH_H

#include <asm/csr.h>
#include <mm/frame.h>
#include <mmlab/compiler.h>
#include <mmlab/registry.h>

/* bench_requested - true when the command line asks for benchmarks. */
bool bench_requested(void);

/* bench_run - run the requested benchmarks, print results; returns the exit status. */
int bench_run(void);

/* What a benchmark's run() returns. */
enum bench_status {
	BENCH_OK = 0,
	BENCH_FAILED,		/* an invariant broke (heap not whole, bad result) */
	BENCH_SKIPPED,		/* could not run here (no memory for samples, no trace) */
};

/* ------------------------------------------------------------------ */
/* Timing                                                              */
/* ------------------------------------------------------------------ */

struct bench_clock {
	unsigned long flags;
	unsigned long start;
};

/* bench_start - interrupts off, then read the instruction counter. */
static __always_inline void bench_start(struct bench_clock *c)
{
	c->flags = irq_save();
	c->start = rdinstret();
}

/* bench_stop - Return: instructions since bench_start(), overhead included. */
static __always_inline unsigned long bench_stop(struct bench_clock *c)
{
	unsigned long end = rdinstret();

	irq_restore(c->flags);
	return end - c->start;
}

/* ------------------------------------------------------------------ */
/* Series of samples                                                   */
/* ------------------------------------------------------------------ */

struct bench_series {
	const char *workload;
	const char *op;
	uint32_t *samples;
	size_t count, cap;
	unsigned long failures;
	uint64_t sum;
	struct frame_run mem;	/* where the samples live */
};

/*
 * bench_series_init - prepare @s for up to @cap samples, carving the buffer
 * from frames. Return: 0, or -1 when no frames are left for it (then @s is
 * empty and bench_series_release() is still safe).
 */
int bench_series_init(struct bench_series *s, const char *workload, const char *op,
		      size_t cap);

/*
 * bench_series_add - record one operation that took @raw instructions as
 * bench_stop() returned them (the counting overhead is taken off here);
 * @failed marks a request that was refused. Panics when the series is full:
 * the workload sized it wrongly and the statistics would not be exact.
 */
void bench_series_add(struct bench_series *s, unsigned long raw, bool failed);

/*
 * bench_series_report - print the series' line (nothing for an empty
 * series), then release it as bench_series_release() does.
 */
void bench_series_report(struct bench_series *s);

/* bench_series_release - give the buffer back to the frame allocator. */
void bench_series_release(struct bench_series *s);

/* ------------------------------------------------------------------ */
/* Other results                                                       */
/* ------------------------------------------------------------------ */

/*
 * bench_metric_ratio - print {"workload":W,"metric":M,"value":num/den} with
 * six decimals, plus the two integers as "num" and "den".
 */
void bench_metric_ratio(const char *workload, const char *metric, uint64_t num, uint64_t den);

/* bench_metric_u64 - print {"workload":W,"metric":M,"value":v}. */
void bench_metric_u64(const char *workload, const char *metric, uint64_t v);

/* bench_error - print "bench: error: <workload>: <message>" (for the log). */
void bench_error(const char *workload, const char *fmt, ...) __printf(2, 3);

/*
 * bench_buffer_get - @bytes of scratch memory (zeroed) carved from frames,
 * described by *@run for bench_buffer_put(). Return: the memory, or NULL.
 */
void *bench_buffer_get(size_t bytes, struct frame_run *run);

/* bench_buffer_put - free a buffer from bench_buffer_get() (count 0: nothing). */
void bench_buffer_put(struct frame_run *run);

/* ------------------------------------------------------------------ */
/* Registering a benchmark (bench/heap.c, bench/frames.c, bench/trace.c) */
/* ------------------------------------------------------------------ */

struct bench_entry {
	const char *name;		/* for bench=NAME */
	const char *group;		/* for bench=GROUP: "heap", "frames", "trace" */
	enum bench_status (*run)(void);
};

/*
 * BENCH_REGISTER - add benchmark @fn, named after it without its "bench_"
 * prefix, to @group's list; the runner finds it in the "benches" table.
 */
#define BENCH_REGISTER(group_name, fn)					\
	static REGISTRY_ENTRY(benches, struct bench_entry, bench_entry_##fn) = { \
		.name = #fn + 6, .group = group_name, .run = fn,	\
	}

/*
 * bench_overhead_measure - read the bench_start()/bench_stop() bracket's own
 * cost (later subtracted from every sample) and print it; a spread between
 * probes means the counts are not exact (no -icount) and is reported.
 */
void bench_overhead_measure(void);

#endif /* MMLAB_BENCH_H */
