// SPDX-License-Identifier: MIT
/*
 * mmtrace: replay an allocation trace on one of the kernel's heap algorithms,
 * on the host, and print the statistics the kernel's "trace" benchmark prints.
 *
 *   mmtrace [--algo NAME] [--heap-size SIZE] [--kmalloc-layout] TRACE|-
 *   mmtrace --fit [--kmalloc-layout] TRACE|-
 *   mmtrace --list
 *
 * The algorithms are the kernel's own (mm/heap/Makefile lists them), linked in through
 * the "heap_algos" section, so every registered algorithm is available
 * without editing this file. The trace (format in <bench/mmtrace.h>) is read a
 * line at a time: memory use is the heap plus the table of live IDs, however
 * long the trace is. A malformed line stops the replay with "FILE:LINE:
 * reason" on stderr and exit status 1.
 *
 * By default requests go straight to the algorithm, at alignment 16 unless
 * the line gives one, as the kernel's kmalloc() does in plain builds.
 * --kmalloc-layout adds a 16-byte header in front of each request and
 * aligns to at least 16 (the front end's layout with a block header).
 *
 * --fit finds, per algorithm, the smallest heap the trace fits in (fit.c).
 *
 * Exit status: 0 replayed and the heap validated, 1 bad trace, 2 bad usage,
 * 3 the heap failed validation.
 *
 * Built by tests/host/trace.mk (make -f tests/host/Makefile mmtrace); the
 * host test tests/host/trace_test.c includes this file with MMTRACE_NO_MAIN.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mm/heap_algo.h>
#include <bench/mmtrace.h>
#include "tool.h"

#define MMTRACE_DEFAULT_ALIGN	16
#define MMTRACE_KMALLOC_HEADER	16	/* a front-end block header */

/* One replay: the algorithm and its instance. */
struct mmtrace_heap {
	const struct heap_algo *algo;
	void *inst;
	bool kmalloc_layout;
};

/* ------------------------------------------------------------------ */
/* Replay callbacks                                                    */
/* ------------------------------------------------------------------ */

static void *heap_cb_alloc(void *ctx, size_t size, size_t align)
{
	struct mmtrace_heap *h = ctx;
	size_t prefix;

	if (!align)
		align = MMTRACE_DEFAULT_ALIGN;
	if (!h->kmalloc_layout)
		return h->algo->alloc(h->inst, size, align, NULL);
	align = MAX(align, (size_t)MMTRACE_KMALLOC_HEADER);
	prefix = MAX((size_t)MMTRACE_KMALLOC_HEADER, align);
	if (size > SIZE_MAX - prefix)
		return NULL;
	return h->algo->alloc(h->inst, prefix + size, align, NULL);
}

static void heap_cb_free(void *ctx, void *ptr)
{
	struct mmtrace_heap *h = ctx;

	if (h->algo->free(h->inst, ptr, NULL) != HEAP_FREE_OK) {
		fprintf(stderr, "mmtrace: %s refused to free %p\n", h->algo->name, ptr);
		abort();
	}
}

/*
 * The algorithm contract has no resize: stay in place when the block's
 * usable size already holds @size, else alloc + copy + free (at the default
 * alignment, as krealloc() does).
 */
static void *heap_cb_realloc(void *ctx, void *ptr, size_t old_size, size_t size)
{
	struct mmtrace_heap *h = ctx;
	size_t usable = h->algo->usable_size(h->inst, ptr);
	void *q;

	if (h->kmalloc_layout)
		usable = usable > MMTRACE_KMALLOC_HEADER ? usable - MMTRACE_KMALLOC_HEADER : 0;
	if (size <= usable)
		return ptr;
	q = heap_cb_alloc(ctx, size, 0);
	if (q) {
		memcpy(q, ptr, MIN(old_size, size));
		heap_cb_free(ctx, ptr);
	}
	return q;
}

static size_t heap_cb_largest_free(void *ctx)
{
	struct mmtrace_heap *h = ctx;
	struct heap_algo_space sp;

	h->algo->space(h->inst, &sp);
	return sp.largest_free;
}

static void *table_cb_alloc(void *ctx, size_t bytes)
{
	(void)ctx;
	return malloc(bytes);
}

static void table_cb_free(void *ctx, void *mem, size_t bytes)
{
	(void)ctx;
	(void)bytes;
	free(mem);
}

static const struct mmtrace_ops heap_replay_ops = {
	.alloc = heap_cb_alloc,
	.free = heap_cb_free,
	.realloc = heap_cb_realloc,
	.largest_free = heap_cb_largest_free,
	.table_alloc = table_cb_alloc,
	.table_free = table_cb_free,
};

static void file_out(void *arg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(arg, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Reading and replaying                                               */
/* ------------------------------------------------------------------ */

/* The algorithm called @name, or NULL. */
static const struct heap_algo *algo_find(const char *name)
{
	const struct heap_algo *a;

	heap_algo_for_each(a)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/*
 * Read one line of @in into @buf (without the newline). Return: 1 with a
 * line, 0 at the end, -1 when the line is longer than MMTRACE_LINE_MAX.
 */
static int line_read(FILE *in, char *buf, size_t size, size_t *len)
{
	int c;

	if (!fgets(buf, (int)size, in))
		return 0;
	*len = strlen(buf);
	if (*len && buf[*len - 1] == '\n') {
		buf[--(*len)] = '\0';
	} else if (!feof(in)) {
		while ((c = fgetc(in)) != EOF && c != '\n')
			;
		return -1;
	}
	if (*len && buf[*len - 1] == '\r')
		buf[--(*len)] = '\0';
	return 1;
}

/* Feed every line of @in to @r. Return: 0, or 1 after reporting a bad line. */
static int replay_stream(struct mmtrace_replay *r, FILE *in, const char *name, FILE *err)
{
	char buf[MMTRACE_LINE_MAX + 2];
	struct mmtrace_op op;
	const char *why;
	size_t len;
	int got;

	while ((got = line_read(in, buf, sizeof(buf), &len)) != 0) {
		r->st.lines++;
		why = "line too long";
		if (got < 0 || mmtrace_parse_line(buf, len, &op, &why) ||
		    mmtrace_replay_op(r, &op, r->st.lines, &why)) {
			fprintf(err, "%s:%lu: %s\n", name, r->st.lines, why);
			return 1;
		}
	}
	if (ferror(in)) {
		fprintf(err, "%s: read error\n", name);
		return 1;
	}
	return 0;
}

int mmtrace_heap_replay(const struct mmtrace_opts *o, FILE *in, const char *name,
			struct mmtrace_stats *st, FILE *err)
{
	struct mmtrace_heap h = { .algo = algo_find(o->algo), .kmalloc_layout = o->kmalloc_layout };
	size_t cap = mmtrace_table_cap(0);
	struct mmtrace_replay r;
	void *region;
	int status;

	if (!h.algo) {
		fprintf(err, "mmtrace: no heap algorithm \"%s\" (see --list)\n", o->algo);
		return 2;
	}
	region = aligned_alloc(4096, ALIGN_UP(o->heap_size, 4096));
	h.inst = region ? h.algo->init(region, o->heap_size, 0) : NULL;
	if (!h.inst) {
		if (!o->quiet_init)
			fprintf(err, "mmtrace: %s cannot manage a heap of %zu bytes\n",
				h.algo->name, o->heap_size);
		free(region);
		return 2;
	}
	mmtrace_replay_init(&r, &heap_replay_ops, &h, malloc(cap * sizeof(*r.slots)), cap);
	status = replay_stream(&r, in, name, err);
	if (!status) {
		r.st.end_largest_free = heap_cb_largest_free(&h);
		r.st.end_validate = h.algo->validate(h.inst, NULL);
		*st = r.st;
		mmtrace_replay_drain(&r);
		if (r.st.end_validate || h.algo->validate(h.inst, NULL)) {
			fprintf(err, "mmtrace: %s: heap validation found problems\n", h.algo->name);
			status = 3;
		}
	}
	free(r.slots);
	free(region);
	return status;
}

/*
 * mmtrace_file - replay the trace @in (called @name in messages) as @o
 * says, print the summary on @out and errors on @err.
 * Return: the program's exit status (see the top of the file).
 */
static int mmtrace_file(const struct mmtrace_opts *o, FILE *in, const char *name,
			FILE *out, FILE *err)
{
	struct mmtrace_stats st;
	int status = mmtrace_heap_replay(o, in, name, &st, err);

	if (status == 0 || status == 3) {
		fprintf(out, "mmtrace: algo=%s heap_size=%zu layout=%s trace=%s\n", o->algo,
			o->heap_size, o->kmalloc_layout ? "kmalloc" : "algorithm", name);
		fprintf(out, "mmtrace: ");
		mmtrace_stats_print(&st, o->heap_size, file_out, out);
		fprintf(out, "\n");
	}
	return status;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

#ifndef MMTRACE_NO_MAIN

/* The kernel's panic(), for the algorithms' consistency checks. */
void panic(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mmtrace: panic: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(4);
}

/* "8M", "65536", "64K", "1G" in bytes; 0 when malformed. */
static size_t size_parse(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	int shift = 0;

	if (end == s)
		return 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || v > (SIZE_MAX >> shift))
		return 0;
	return (size_t)v << shift;
}

/* --fit: read all of @in, then search. Return: the exit status. */
static int fit_file(const struct mmtrace_opts *o, FILE *in, const char *path)
{
	size_t len = 0, cap = 1 << 20, n;
	char *buf = malloc(cap);
	int status;

	while (buf && (n = fread(buf + len, 1, cap - len, in)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (!buf || ferror(in)) {
		fprintf(stderr, "%s: %s\n", path, buf ? "read error" : "out of memory");
		free(buf);
		return buf ? 1 : 2;
	}
	status = mmtrace_fit(o, buf, len, path, stdout, stderr);
	free(buf);
	return status;
}

static int usage(void)
{
	fprintf(stderr, "usage: mmtrace [--algo NAME] [--heap-size SIZE] [--kmalloc-layout] TRACE|-\n"
			"       mmtrace --fit [--kmalloc-layout] TRACE|-\n"
			"       mmtrace --list\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct mmtrace_opts o = { .algo = "buddy", .heap_size = 8 * MiB };
	const struct heap_algo *a;
	const char *path = NULL;
	bool fit = false;
	FILE *in;
	int i, status;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--list")) {
			heap_algo_for_each(a)
				printf("%s\n", a->name);
			return 0;
		} else if (!strcmp(argv[i], "--algo") && i + 1 < argc) {
			o.algo = argv[++i];
		} else if (!strcmp(argv[i], "--heap-size") && i + 1 < argc) {
			o.heap_size = size_parse(argv[++i]);
			if (!o.heap_size)
				return usage();
		} else if (!strcmp(argv[i], "--fit")) {
			fit = true;
		} else if (!strcmp(argv[i], "--kmalloc-layout")) {
			o.kmalloc_layout = true;
		} else if (!path && (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
			path = argv[i];
		} else {
			return usage();
		}
	}
	if (!path)
		return usage();
	in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!in) {
		perror(path);
		return 2;
	}
	status = fit ? fit_file(&o, in, path) : mmtrace_file(&o, in, path, stdout, stderr);
	if (in != stdin)
		fclose(in);
	return status;
}

#endif /* MMTRACE_NO_MAIN */
