// SPDX-License-Identifier: MIT
/*
 * The "trace" benchmark: replay every allocation trace embedded in the
 * image through kmalloc()/kmalloc_aligned()/kcalloc()/krealloc()/kfree(),
 * timing every call, and print for each the same summary the host tool
 * scripts/mmtrace prints, as workload "trace:NAME" (NAME: the file name
 * without ".trace").
 *
 * Design. `make bench` (or make TRACE="file ...") builds bench/trace_data.S,
 * which pulls the files in with .incbin and lays out a table of them
 * between bench_traces_start and bench_traces_end. Without TRACE that
 * object is not linked and the weak references below are NULL, so the
 * benchmark reports itself skipped. Each trace is scanned first
 * (bench/mmtrace.c): a malformed line is reported as "PATH:LINE: reason"
 * before anything is allocated, and the scan's largest live count sizes the
 * live table, which is carved from frames and never grows. Blocks still
 * live at the end are freed (not timed) and the heap must then be whole
 * again, before the next trace starts. Every 1/100 of the operations a
 * timeline point is printed (live, used, free and largest free bytes, not
 * timed), from which `make bench` draws fragmentation over time; with
 * "trace.animate=NAME" on the command line the replay of trace NAME also
 * prints the whole heap as a "map: strip" line there (bench/map.c), the
 * frames of `make bench MAPS_ANIMATE=1`.
 */
#include <lib/string.h>
#include <mm/heap.h>
#include <bench/mmtrace.h>
#include <bench/bench.h>
#include <bench/map.h>
#include <mmlab/kernel.h>
#include <mmlab/printk.h>

/* One embedded trace (bench/trace_data.S lays these out). */
struct bench_trace {
	const char *start, *end;	/* its bytes; *end is a NUL */
	const char *path;		/* the file it was read from */
};

extern const struct bench_trace bench_traces_start[] __attribute__((weak));
extern const struct bench_trace bench_traces_end[] __attribute__((weak));

#define TRACE_WORKLOAD		"trace"
#define TRACE_NAME_MAX		64
#define TRACE_SAMPLES		100	/* points of the fragmentation timeline */

struct trace_ctx {
	struct bench_series alloc, free, calloc, realloc;
	const struct bench_trace *trace;
	char workload[TRACE_NAME_MAX];	/* "trace:NAME" */
	unsigned long ops;		/* operations in the trace */
	bool animate;			/* trace.animate=NAME names it: print heap strips */
};

/* The trace's NAME (its workload without "trace:"). */
static const char *trace_name(const struct trace_ctx *t)
{
	return t->workload + sizeof(TRACE_WORKLOAD);
}

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

static void *trace_cb_calloc(void *arg, size_t n, size_t size)
{
	struct trace_ctx *t = arg;
	struct bench_clock c;
	void *p;

	bench_start(&c);
	p = kcalloc(n, size);
	bench_series_add(&t->calloc, bench_stop(&c), !p);
	return p;
}

static void *trace_cb_realloc(void *arg, void *ptr, size_t old_size, size_t size)
{
	struct trace_ctx *t = arg;
	struct bench_clock c;
	void *p;

	(void)old_size;
	bench_start(&c);
	p = krealloc(ptr, size);
	bench_series_add(&t->realloc, bench_stop(&c), !p);
	return p;
}

static size_t trace_cb_largest_free(void *arg)
{
	struct heap_stats st;

	(void)arg;
	heap_stats(&st);
	return st.largest_free;
}

/*
 * A point of the fragmentation timeline (not timed): requested live bytes,
 * and the heap's used, free and largest free bytes.
 */
static void trace_cb_sample(void *arg, const struct mmtrace_replay *r)
{
	struct trace_ctx *t = arg;
	struct heap_stats st;

	heap_stats(&st);
	printk("bench: {\"workload\":\"%s\",\"timeline\":%lu,\"live\":%llu,\"used\":%zu,"
	       "\"free\":%zu,\"largest_free\":%zu}\n", t->workload, r->ops_done,
	       (unsigned long long)r->st.live_bytes, st.used, st.free, st.largest_free);
	if (t->animate)
		map_heap_strip(trace_name(t), r->ops_done, t->ops,
			       (unsigned long long)r->st.live_bytes);
}

static const struct mmtrace_ops trace_ops = {
	.sample = trace_cb_sample,
	.alloc = trace_cb_alloc,
	.free = trace_cb_free,
	.calloc = trace_cb_calloc,
	.realloc = trace_cb_realloc,
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
static int trace_replay_all(struct mmtrace_replay *r, const struct trace_ctx *t)
{
	const char *buf = t->trace->start;
	size_t len = (size_t)(t->trace->end - buf);
	struct mmtrace_cursor cur;
	struct mmtrace_op op;
	const char *line, *why;
	size_t n;

	mmtrace_cursor_init(&cur, buf, len);
	while (mmtrace_cursor_next(&cur, &line, &n)) {
		r->st.lines++;
		if (mmtrace_parse_line(line, n, &op, &why) ||
		    mmtrace_replay_op(r, &op, cur.lineno, &why)) {
			bench_error(t->workload, "%s:%lu: %s", t->trace->path, cur.lineno, why);
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
static void trace_summary_print(struct mmtrace_replay *r, const struct trace_ctx *t)
{
	r->st.end_largest_free = trace_cb_largest_free(NULL);
	r->st.end_validate = heap_validate();
	printk("bench: {\"workload\":\"%s\",\"file\":\"%s\",\"summary\":", t->workload,
	       t->trace->path);
	mmtrace_stats_print(&r->st, CONFIG_HEAP_SIZE, trace_out, NULL);
	printk("}\n");
}

/* Prepare the four series for up to @cap calls each. Return: 0, or -1. */
static int trace_series_init(struct trace_ctx *t, const char *workload, size_t cap)
{
	return bench_series_init(&t->alloc, workload, "kmalloc", cap) ||
	       bench_series_init(&t->free, workload, "kfree", cap) ||
	       bench_series_init(&t->calloc, workload, "kcalloc", cap) ||
	       bench_series_init(&t->realloc, workload, "krealloc", cap) ? -1 : 0;
}

/* Print the series that saw calls and release all four. */
static void trace_series_report(struct trace_ctx *t)
{
	bench_series_report(&t->alloc);
	bench_series_report(&t->free);
	bench_series_report(&t->calloc);
	bench_series_report(&t->realloc);
}

/* Set t->workload to "trace:NAME", NAME the file name of t->trace without ".trace". */
static void trace_name_set(struct trace_ctx *t)
{
	const char *base = t->trace->path, *p;
	size_t len, room = sizeof(t->workload) - sizeof(TRACE_WORKLOAD ":");

	for (p = base; *p; p++)
		if (*p == '/')
			base = p + 1;
	len = strlen(base);
	if (len > 6 && !strcmp(base + len - 6, ".trace"))
		len -= 6;
	len = MIN(len, room);
	memcpy(t->workload, TRACE_WORKLOAD ":", sizeof(TRACE_WORKLOAD));
	memcpy(t->workload + sizeof(TRACE_WORKLOAD), base, len);
	t->workload[sizeof(TRACE_WORKLOAD) + len] = '\0';
}

/*
 * Replay one embedded trace, printing heap strips (and setting *@animated)
 * when it is the one named @animate (may be NULL).
 * Return: BENCH_OK, BENCH_FAILED or BENCH_SKIPPED.
 */
static enum bench_status trace_run(const struct bench_trace *trace, const char *animate,
				   bool *animated)
{
	struct trace_ctx t = { .trace = trace };
	struct heap_stats before, after;
	struct mmtrace_replay r;
	struct mmtrace_scan scan;
	struct frame_run table_mem;
	struct mmtrace_slot *slots;
	size_t cap;
	int err;

	trace_name_set(&t);
	t.animate = animate && !strcmp(animate, trace_name(&t));
	*animated |= t.animate;
	if (mmtrace_scan(trace->start, (size_t)(trace->end - trace->start), &scan)) {
		bench_error(t.workload, "%s:%lu: %s", trace->path, scan.bad_line, scan.why);
		return BENCH_FAILED;
	}
	t.ops = scan.ops;
	cap = mmtrace_table_cap(scan.max_live);
	slots = bench_buffer_get(cap * sizeof(*slots), &table_mem);
	if (!slots || trace_series_init(&t, t.workload, scan.ops + 1)) {
		trace_series_report(&t);
		bench_buffer_put(&table_mem);
		return BENCH_SKIPPED;
	}
	heap_stats(&before);
	mmtrace_replay_init(&r, &trace_ops, &t, slots, cap);
	r.sample_every = MAX(1UL, scan.ops / TRACE_SAMPLES);
	err = trace_replay_all(&r, &t);
	if (!err)
		trace_summary_print(&r, &t);
	r.ops = &trace_drain_ops;
	mmtrace_replay_drain(&r);
	trace_series_report(&t);
	bench_buffer_put(&table_mem);
	heap_stats(&after);
	if (after.used != before.used || after.free != before.free || heap_validate()) {
		bench_error(t.workload, "heap not whole after the replay");
		err = -1;
	}
	return err ? BENCH_FAILED : BENCH_OK;
}

static enum bench_status bench_trace(void)
{
	const struct bench_trace *tr = bench_traces_start, *end = bench_traces_end;
	enum bench_status status = BENCH_OK;
	char buf[TRACE_NAME_MAX];
	const char *animate = cmdline_get("trace.animate", buf, sizeof(buf));
	bool animated = false;

	if (!tr || tr == end) {
		printk("bench: {\"workload\":\"" TRACE_WORKLOAD "\",\"skipped\":"
		       "\"no trace in the image (make bench TRACE=file)\"}\n");
		if (!animate)
			return BENCH_SKIPPED;
	}
	for (; tr && tr < end; tr++)
		if (trace_run(tr, animate, &animated) == BENCH_FAILED)
			status = BENCH_FAILED;
	if (animate && !animated) {
		bench_error(TRACE_WORKLOAD, "trace.animate=%s: no such trace in the image",
			    animate);
		status = BENCH_FAILED;
	}
	return status;
}
BENCH_REGISTER("trace", bench_trace);
