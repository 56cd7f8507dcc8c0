// SPDX-License-Identifier: MIT
/*
 * The "trace" benchmark: replay an allocation trace embedded in the image
 * through kmalloc()/kmalloc_aligned()/kfree(), timing every call, and print
 * the same summary the host tool scripts/mmtrace prints.
 *
 * Design. `make bench TRACE=file` builds bench/trace_data.S, which
 * pulls the file in with .incbin between bench_trace_start and
 * bench_trace_end. Without TRACE that object is not linked and the weak
 * references below are NULL, so the benchmark reports itself skipped. The
 * whole trace is scanned first (bench/mmtrace.c): a malformed line is reported
 * as "trace:LINE: reason" before anything is allocated, and the scan's
 * largest live count sizes the live table, which is carved from frames and
 * never grows. Blocks still live at the end are freed (not timed) and the
 * heap must then be whole again.
 */
#include <mm/heap.h>
#include <bench/mmtrace.h>
#include <bench/bench.h>
#include <mmlab/printk.h>

extern const char bench_trace_start[] __attribute__((weak));
extern const char bench_trace_end[] __attribute__((weak));
extern const char bench_trace_name[] __attribute__((weak));

#define TRACE_WORKLOAD	"trace"

struct trace_ctx {
	struct bench_series alloc, free;
};

static void *trace_cb_alloc(void *arg, size_t size, size_t align)
{
	struct trace_ctx *t = arg;
	struct bench_clock c;
	void *p;

	if (align) {
		bench_start(&c);
		p = kmalloc_aligned(size, align);
	} else {
		bench_start(&c);
		p = kmalloc(size);
	}
	bench_series_add(&t->alloc, bench_stop(&c), !p);
	return p;
}

static void trace_cb_free(void *arg, void *ptr)
{
	struct trace_ctx *t = arg;
	struct bench_clock c;

	bench_start(&c);
	kfree(ptr);
	bench_series_add(&t->free, bench_stop(&c), false);
}

static size_t trace_cb_largest_free(void *arg)
{
	struct heap_stats st;

	(void)arg;
	heap_stats(&st);
	return st.largest_free;
}

static const struct mmtrace_ops trace_ops = {
	.alloc = trace_cb_alloc,
	.free = trace_cb_free,
	.largest_free = trace_cb_largest_free,
};

static void trace_out(void *arg, const char *fmt, ...)
{
	va_list ap;

	(void)arg;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

/* Replay every line; Return: 0, or -1 after reporting the line that cannot apply. */
static int trace_replay_all(struct mmtrace_replay *r, const char *buf, size_t len)
{
	struct mmtrace_cursor cur;
	struct mmtrace_op op;
	const char *line, *why;
	size_t n;

	mmtrace_cursor_init(&cur, buf, len);
	while (mmtrace_cursor_next(&cur, &line, &n)) {
		r->st.lines++;
		if (mmtrace_parse_line(line, n, &op, &why) ||
		    mmtrace_replay_op(r, &op, cur.lineno, &why)) {
			bench_error(TRACE_WORKLOAD, "%s:%lu: %s", bench_trace_name, cur.lineno, why);
			return -1;
		}
	}
	return 0;
}

static void trace_cb_free_untimed(void *arg, void *ptr)
{
	(void)arg;
	kfree(ptr);
}

/* For the clean-up after the replay: frees that are not part of the trace. */
static const struct mmtrace_ops trace_drain_ops = {
	.free = trace_cb_free_untimed,
	.largest_free = trace_cb_largest_free,
};

/* Print the summary line, as mmtrace does, behind the workload's name. */
static void trace_summary_print(struct mmtrace_replay *r)
{
	r->st.end_largest_free = trace_cb_largest_free(NULL);
	r->st.end_validate = heap_validate();
	printk("bench: {\"workload\":\"" TRACE_WORKLOAD "\",\"file\":\"%s\",\"summary\":",
	       bench_trace_name);
	mmtrace_stats_print(&r->st, CONFIG_HEAP_SIZE, trace_out, NULL);
	printk("}\n");
}

static enum bench_status bench_trace(void)
{
	struct trace_ctx t = { 0 };
	struct heap_stats before, after;
	struct mmtrace_replay r;
	struct mmtrace_scan scan;
	struct frame_run table_mem;
	struct mmtrace_slot *slots;
	size_t len, cap;
	int err;

	if (!bench_trace_start || !bench_trace_end) {
		printk("bench: {\"workload\":\"" TRACE_WORKLOAD "\",\"skipped\":"
		       "\"no trace in the image (make bench TRACE=file)\"}\n");
		return BENCH_SKIPPED;
	}
	len = (size_t)(bench_trace_end - bench_trace_start);
	if (mmtrace_scan(bench_trace_start, len, &scan)) {
		bench_error(TRACE_WORKLOAD, "%s:%lu: %s", bench_trace_name, scan.bad_line, scan.why);
		return BENCH_FAILED;
	}
	cap = mmtrace_table_cap(scan.max_live);
	slots = bench_buffer_get(cap * sizeof(*slots), &table_mem);
	if (!slots || bench_series_init(&t.alloc, TRACE_WORKLOAD, "kmalloc", scan.ops + 1) ||
	    bench_series_init(&t.free, TRACE_WORKLOAD, "kfree", scan.ops + 1)) {
		bench_series_release(&t.alloc);
		bench_buffer_put(&table_mem);
		return BENCH_SKIPPED;
	}
	heap_stats(&before);
	mmtrace_replay_init(&r, &trace_ops, &t, slots, cap);
	err = trace_replay_all(&r, bench_trace_start, len);
	if (!err)
		trace_summary_print(&r);
	r.ops = &trace_drain_ops;
	mmtrace_replay_drain(&r);
	bench_series_report(&t.alloc);
	bench_series_report(&t.free);
	bench_buffer_put(&table_mem);
	heap_stats(&after);
	if (after.used != before.used || after.free != before.free || heap_validate()) {
		bench_error(TRACE_WORKLOAD, "heap not whole after the replay");
		err = -1;
	}
	return err ? BENCH_FAILED : BENCH_OK;
}
BENCH_REGISTER("trace", bench_trace);
