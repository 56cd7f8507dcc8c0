// SPDX-License-Identifier: MIT
/*
 * What every benchmark measures with: the counting overhead, buffers carved
 * from physical frames (never from the heap under test), series of
 * per-operation instruction counts with exact statistics, and the
 * "bench: {json}" lines scripts/bench.py reads.
 *
 * Samples are 32-bit instruction counts kept in full (no histogram), so
 * mean, median, p99 and max are exact: the buffer is sorted in place with
 * lib's sort() (heapsort: no extra memory, same work on every run) when the
 * series is reported. Percentiles use the nearest-rank rule: p99 is the smallest
 * sample with at least 99% of the samples at or below it; the median is the
 * lower middle sample.
 */
#include <lib/sort.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <bench/bench.h>
#include <mmlab/panic.h>
#include <mmlab/printk.h>

#define OVERHEAD_PROBES		16

/* Instructions the bench_start()/bench_stop() pair costs with nothing between. */
static unsigned long bench_overhead;

/* ------------------------------------------------------------------ */
/* Overhead                                                            */
/* ------------------------------------------------------------------ */

/*
 * The bracket's own cost, read several times: under -icount every probe
 * gives the same number; a spread means the counts are not exact (no
 * -icount) and is reported so the results are not trusted.
 */
void bench_overhead_measure(void)
{
	unsigned long lo = ~0UL, hi = 0;
	struct bench_clock c;
	int i;

	for (i = 0; i < OVERHEAD_PROBES; i++) {
		unsigned long v;

		bench_start(&c);
		v = bench_stop(&c);
		lo = MIN(lo, v);
		hi = MAX(hi, v);
	}
	bench_overhead = lo;
	printk("bench: {\"overhead\":%lu,\"overhead_max\":%lu,\"probes\":%d}\n", lo, hi,
	       OVERHEAD_PROBES);
	if (hi != lo)
		bench_error("overhead", "probes differ (%lu..%lu): is QEMU running with -icount shift=0?",
			    lo, hi);
}

/* ------------------------------------------------------------------ */
/* Buffers                                                             */
/* ------------------------------------------------------------------ */

void *bench_buffer_get(size_t bytes, struct frame_run *run)
{
	uint64_t pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	void *p;

	*run = (struct frame_run){ 0 };
	if (!pages || frame_alloc_run(pages, 1, run))
		return NULL;
	p = frame_run_ptr(*run);
	memset(p, 0, pages * PAGE_SIZE);
	return p;
}

void bench_buffer_put(struct frame_run *run)
{
	if (run->count)
		frame_free_run(*run);
	*run = (struct frame_run){ 0 };
}

/* ------------------------------------------------------------------ */
/* Series and statistics                                               */
/* ------------------------------------------------------------------ */

int bench_series_init(struct bench_series *s, const char *workload, const char *op,
		      size_t cap)
{
	*s = (struct bench_series){ .workload = workload, .op = op };
	s->samples = bench_buffer_get(cap * sizeof(*s->samples), &s->mem);
	if (!s->samples) {
		bench_error(workload, "no frames for %zu samples of %s", cap, op);
		return -1;
	}
	s->cap = cap;
	return 0;
}

void bench_series_add(struct bench_series *s, unsigned long raw, bool failed)
{
	unsigned long v = raw - bench_overhead;

	if (unlikely(s->count == s->cap))
		panic("bench_series_add: %s/%s holds only %zu samples", s->workload, s->op, s->cap);
	if (unlikely(raw < bench_overhead || v > UINT32_MAX))
		panic("bench_series_add: %s/%s: impossible count %lu", s->workload, s->op, raw);
	s->samples[s->count++] = (uint32_t)v;
	s->sum += v;
	s->failures += failed;
}

void bench_series_release(struct bench_series *s)
{
	bench_buffer_put(&s->mem);
	s->samples = NULL;
	s->count = s->cap = 0;
}

/* sort() order of two samples: ascending. */
static int sample_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank @pct percentile of @n sorted samples (n >= 1). */
static uint32_t samples_percentile(const uint32_t *a, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100;

	return a[rank ? rank - 1 : 0];
}

void bench_series_report(struct bench_series *s)
{
	size_t n = s->count;
	uint64_t hundredths;

	if (n) {
		sort(s->samples, n, sizeof(*s->samples), sample_cmp, NULL);
		hundredths = (s->sum * 100 + n / 2) / n;
		printk("bench: {\"workload\":\"%s\",\"op\":\"%s\",\"count\":%zu,\"failures\":%lu,"
		       "\"sum\":%llu,\"mean\":%llu.%02llu,\"median\":%u,\"p99\":%u,\"max\":%u,"
		       "\"min\":%u}\n",
		       s->workload, s->op, n, s->failures, (unsigned long long)s->sum,
		       (unsigned long long)(hundredths / 100),
		       (unsigned long long)(hundredths % 100),
		       s->samples[(n - 1) / 2], samples_percentile(s->samples, n, 99),
		       s->samples[n - 1], s->samples[0]);
	}
	bench_series_release(s);
}

/* ------------------------------------------------------------------ */
/* Other output                                                        */
/* ------------------------------------------------------------------ */

void bench_metric_ratio(const char *workload, const char *metric, uint64_t num, uint64_t den)
{
	unsigned long whole = 0, frac = 0;

	if (den) {
		whole = (unsigned long)(num / den);
		frac = (unsigned long)((num % den) * 1000000 / den);
	}
	printk("bench: {\"workload\":\"%s\",\"metric\":\"%s\",\"value\":%lu.%06lu,"
	       "\"num\":%llu,\"den\":%llu}\n", workload, metric, whole, frac,
	       (unsigned long long)num, (unsigned long long)den);
}

void bench_metric_u64(const char *workload, const char *metric, uint64_t v)
{
	printk("bench: {\"workload\":\"%s\",\"metric\":\"%s\",\"value\":%llu}\n",
	       workload, metric, (unsigned long long)v);
}

void bench_error(const char *workload, const char *fmt, ...)
{
	va_list ap;

	printk("bench: error: %s: ", workload);
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
}
