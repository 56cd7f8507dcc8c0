// SPDX-License-Identifier: MIT
/*
 * Host tests of allocation traces: the parser, the line cursor and scan, the
 * live table and replay engine of bench/mmtrace.c (against a model of which IDs
 * are live), and the mmtrace tool itself (included below without its main)
 * on every registered heap algorithm, including its error messages.
 */
#include <stdlib.h>
#include <lib/rand.h>
#include "host_test.h"

#define MMTRACE_NO_MAIN
#include "../../scripts/mmtrace/mmtrace.c"

/* ------------------------------------------------------------------ */
/* Parser                                                              */
/* ------------------------------------------------------------------ */

/* Parse the C string @s; returns the reason on error, NULL on success. */
static const char *parse(const char *s, struct mmtrace_op *op)
{
	const char *why = NULL;

	if (mmtrace_parse_line(s, strlen(s), op, &why))
		return why ? why : "(no reason given)";
	return NULL;
}

HOST_TEST(parse_valid_lines)
{
	struct mmtrace_op op;

	CHECK(!parse("a 1 24", &op));
	CHECK_EQ(op.kind, MMTRACE_ALLOC);
	CHECK_EQ(op.id, 1);
	CHECK_EQ(op.size, 24);
	CHECK_EQ(op.align, 0);
	CHECK(!parse("\ta\t18446744073709551615   4096  4096 # trailing\r", &op));
	CHECK_EQ(op.kind, MMTRACE_ALLOC);
	CHECK_EQ(op.id, UINT64_MAX);
	CHECK_EQ(op.align, 4096);
	CHECK(!parse("f 7#no blank before the comment", &op));
	CHECK_EQ(op.kind, MMTRACE_FREE);
	CHECK_EQ(op.id, 7);
	CHECK(!parse("", &op));
	CHECK_EQ(op.kind, MMTRACE_SKIP);
	CHECK(!parse("   # a 1 2", &op));
	CHECK_EQ(op.kind, MMTRACE_SKIP);
	CHECK(!parse("a 2 1 1", &op));
	CHECK_EQ(op.align, 1);
}

HOST_TEST(parse_v2_lines)
{
	struct mmtrace_op op;

	CHECK(!parse(MMTRACE_VERSION_LINE, &op));
	CHECK_EQ(op.kind, MMTRACE_SKIP);
	CHECK(!parse("# mmtrace v1 ", &op));
	CHECK(!parse("# mmtrace kind=churn", &op));
	CHECK(!parse("c 3 10 12", &op));
	CHECK_EQ(op.kind, MMTRACE_CALLOC);
	CHECK_EQ(op.id, 3);
	CHECK_EQ(op.count, 10);
	CHECK_EQ(op.size, 120);
	CHECK(!parse("r 3 4 4000 # grow", &op));
	CHECK_EQ(op.kind, MMTRACE_REALLOC);
	CHECK_EQ(op.id, 3);
	CHECK_EQ(op.new_id, 4);
	CHECK_EQ(op.size, 4000);
	CHECK_EQ(op.align, 0);
}

HOST_TEST(parse_rejects_malformed_lines)
{
	static const struct { const char *line, *reason; } bad[] = {
		{ "x 1 8", "unknown operation" },
		{ "alloc 1 8", "unknown operation" },
		{ "a", "missing ID" },
		{ "a 1", "missing SIZE" },
		{ "a one 8", "ID is not a decimal" },
		{ "a -1 8", "ID is not a decimal" },
		{ "a 18446744073709551616 8", "ID is not a decimal" },
		{ "a 1 0", "SIZE is not" },
		{ "a 1 0x10", "SIZE is not" },
		{ "a 1 8 3", "ALIGN" },
		{ "a 1 8 0", "ALIGN" },
		{ "a 1 8 8192", "ALIGN" },
		{ "a 1 8 16 16", "too many fields" },
		{ "f", "missing ID" },
		{ "f 1 8", "only an ID" },
		{ "# mmtrace v3", "newer than this replay" },
		{ "c 1 8", "ID N SIZE" },
		{ "c 1 8 8 8", "ID N SIZE" },
		{ "c 1 0 8", "N is not" },
		{ "c 1 8 0", "SIZE is not" },
		{ "c 1 4294967296 4294967296", "overflows" },
		{ "r 1 2", "ID NEWID NEWSIZE" },
		{ "r 1 x 8", "NEWID is not" },
		{ "r 1 2 0", "SIZE is not" },
		{ "r 1 2 8 16", "ID NEWID NEWSIZE" },
	};
	char longline[MMTRACE_LINE_MAX + 2];
	struct mmtrace_op op;
	const char *why;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why = parse(bad[i].line, &op);
		if (!why || !strstr(why, bad[i].reason))
			host_test_fail(__FILE__, __LINE__, "\"%s\": got \"%s\", want \"%s\"",
				       bad[i].line, why ? why : "success", bad[i].reason);
	}
	memset(longline, ' ', sizeof(longline) - 1);
	longline[0] = 'f';
	longline[2] = '1';
	longline[sizeof(longline) - 1] = '\0';
	why = parse(longline, &op);
	CHECK(why && strstr(why, "too long"));
	longline[MMTRACE_LINE_MAX] = '\0';
	CHECK(!parse(longline, &op));
}

HOST_TEST(cursor_splits_lines)
{
	static const char text[] = "a 1 8\r\n\nf 1\na 2 16";
	struct mmtrace_cursor c;
	const char *line;
	size_t len;

	mmtrace_cursor_init(&c, text, strlen(text));
	CHECK(mmtrace_cursor_next(&c, &line, &len));
	CHECK_EQ(len, 5);
	CHECK(!memcmp(line, "a 1 8", 5));
	CHECK(mmtrace_cursor_next(&c, &line, &len));
	CHECK_EQ(len, 0);
	CHECK(mmtrace_cursor_next(&c, &line, &len));
	CHECK_EQ(len, 3);
	CHECK(mmtrace_cursor_next(&c, &line, &len));
	CHECK_EQ(len, 6);
	CHECK_EQ(c.lineno, 4);
	CHECK(!mmtrace_cursor_next(&c, &line, &len));
	mmtrace_cursor_init(&c, text, 0);
	CHECK(!mmtrace_cursor_next(&c, &line, &len));
}

HOST_TEST(scan_counts_and_stops_at_bad_line)
{
	static const char good[] = "# header\na 1 8\na 2 8\nf 1\na 3 8\na 4 8\nf 2\n";
	static const char bad[] = "a 1 8\nf 1\n\na 2 8 7\n";
	struct mmtrace_scan s;

	CHECK_EQ(mmtrace_scan(good, strlen(good), &s), 0);
	CHECK_EQ(s.lines, 7);
	CHECK_EQ(s.ops, 6);
	CHECK_EQ(s.max_live, 3);
	CHECK_EQ(mmtrace_scan(bad, strlen(bad), &s), -1);
	CHECK_EQ(s.bad_line, 4);
	CHECK(strstr(s.why, "ALIGN"));
}

HOST_TEST(ratio_split_is_exact)
{
	unsigned long w, f;

	mmtrace_ratio_split(3, 4, &w, &f);
	CHECK_EQ(w, 0);
	CHECK_EQ(f, 750000);
	mmtrace_ratio_split(8388608, 8388608, &w, &f);
	CHECK_EQ(w, 1);
	CHECK_EQ(f, 0);
	mmtrace_ratio_split(1, 3, &w, &f);
	CHECK_EQ(f, 333333);
	mmtrace_ratio_split(5, 0, &w, &f);
	CHECK_EQ(w + f, 0);
}

/* ------------------------------------------------------------------ */
/* Replay engine against a model                                       */
/* ------------------------------------------------------------------ */

#define MODEL_IDS	4096

/* A fake allocator: block k is &blocks[k]; fails when @limit blocks are live. */
struct model {
	unsigned char blocks[MODEL_IDS];
	bool live[MODEL_IDS];
	size_t nlive, limit, next;
	unsigned long bad_frees, table_allocs;
};

static void *model_alloc(void *ctx, size_t size, size_t align)
{
	struct model *m = ctx;

	(void)size;
	(void)align;
	if (m->nlive >= m->limit || m->next >= MODEL_IDS)
		return NULL;
	m->live[m->next] = true;
	m->nlive++;
	return &m->blocks[m->next++];
}

static void model_free(void *ctx, void *ptr)
{
	struct model *m = ctx;
	size_t k = (size_t)((unsigned char *)ptr - m->blocks);

	if (k >= MODEL_IDS || !m->live[k]) {
		m->bad_frees++;
		return;
	}
	m->live[k] = false;
	m->nlive--;
}

static size_t model_largest_free(void *ctx)
{
	struct model *m = ctx;

	return m->limit - m->nlive;
}

static void *model_table_alloc(void *ctx, size_t bytes)
{
	((struct model *)ctx)->table_allocs++;
	return malloc(bytes);
}

static void model_table_free(void *ctx, void *mem, size_t bytes)
{
	(void)ctx;
	(void)bytes;
	free(mem);
}

static const struct mmtrace_ops model_ops = {
	.alloc = model_alloc, .free = model_free, .largest_free = model_largest_free,
	.table_alloc = model_table_alloc, .table_free = model_table_free,
};

/*
 * Random allocations and frees of random live IDs: every free must reach
 * the block its ID was given, through table growth and backward shifts.
 */
HOST_TEST(replay_tracks_live_ids)
{
	static struct model m;
	uint64_t ids[MODEL_IDS], next_id = 1000;
	size_t n = 0, cap = mmtrace_table_cap(0);
	struct mmtrace_replay r;
	struct rand_state rng;
	struct mmtrace_op op;
	const char *why;
	unsigned step;

	memset(&m, 0, sizeof(m));
	m.limit = MODEL_IDS;
	rand_seed(&rng, 7);
	mmtrace_replay_init(&r, &model_ops, &m, malloc(cap * sizeof(*r.slots)), cap);
	for (step = 0; step < 6000; step++) {
		bool alloc = n == 0 || (n < 1500 && rand_next(&rng) % 3);

		if (alloc && m.next < MODEL_IDS) {
			/* Spread IDs so that probe sequences collide and wrap. */
			next_id += 1 + rand_next(&rng) % 5;
			op = (struct mmtrace_op){ .kind = MMTRACE_ALLOC, .id = next_id, .size = 8 };
			CHECK_EQ(mmtrace_replay_op(&r, &op, step + 1, &why), 0);
			ids[n++] = next_id;
		} else if (n) {
			size_t k = rand_range(&rng, 0, n - 1);

			op = (struct mmtrace_op){ .kind = MMTRACE_FREE, .id = ids[k] };
			CHECK_EQ(mmtrace_replay_op(&r, &op, step + 1, &why), 0);
			ids[k] = ids[--n];
		}
		CHECK_EQ(r.count, n);
		CHECK_EQ(m.nlive, n);
	}
	CHECK_EQ(m.bad_frees, 0);
	CHECK(m.table_allocs >= 8);
	CHECK_EQ(r.st.live_blocks, n);
	CHECK_EQ(mmtrace_replay_drain(&r), n);
	CHECK_EQ(m.nlive, 0);
	CHECK_EQ(r.st.live_bytes, 0);
	CHECK_EQ(m.bad_frees, 0);
	free(r.slots);
}

static void model_sample(void *ctx, const struct mmtrace_replay *r)
{
	struct model *m = ctx;

	m->table_allocs += 1000;	/* counts samples, apart from table growth */
	if (r->ops_done % 3)
		m->bad_frees++;
}

/* The timeline callback runs after every third operation, skips not counted. */
HOST_TEST(replay_samples_every_n_ops)
{
	static const struct mmtrace_ops ops = {
		.alloc = model_alloc, .free = model_free, .largest_free = model_largest_free,
		.sample = model_sample,
	};
	static const char *const lines[] = { "a 1 8", "# skip", "a 2 8", "f 1", "", "a 3 8",
					     "f 2", "f 3", "a 4 8" };
	static struct model m;
	struct mmtrace_slot slots[8];
	struct mmtrace_replay r;
	struct mmtrace_op op;
	const char *why;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.limit = 8;
	mmtrace_replay_init(&r, &ops, &m, slots, 8);
	r.sample_every = 3;
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		CHECK(!parse(lines[i], &op));
		CHECK_EQ(mmtrace_replay_op(&r, &op, i + 1, &why), 0);
	}
	CHECK_EQ(r.ops_done, 7);
	CHECK_EQ(m.table_allocs, 2000);
	CHECK_EQ(m.bad_frees, 0);
}

HOST_TEST(replay_refuses_bad_ids_and_counts_failures)
{
	static struct model m;
	struct mmtrace_slot slots[4];
	struct mmtrace_replay r;
	struct mmtrace_op op;
	const char *why;

	memset(&m, 0, sizeof(m));
	m.limit = 1;
	mmtrace_replay_init(&r, &model_ops, &m, slots, 4);
	r.ops = &(const struct mmtrace_ops){ .alloc = model_alloc, .free = model_free,
					     .largest_free = model_largest_free };
	CHECK(!parse("a 1 100", &op));
	CHECK_EQ(mmtrace_replay_op(&r, &op, 1, &why), 0);
	CHECK_EQ(mmtrace_replay_op(&r, &op, 2, &why), -1);
	CHECK(strstr(why, "already live"));
	CHECK(!parse("a 2 50", &op));
	CHECK_EQ(mmtrace_replay_op(&r, &op, 3, &why), 0);	/* fails: limit 1 */
	CHECK_EQ(r.st.failures, 1);
	CHECK_EQ(r.st.first_failure_line, 3);
	CHECK_EQ(r.st.failure_size, 50);
	CHECK_EQ(r.st.failure_live_bytes, 100);
	CHECK(!parse("a 3 50", &op));
	CHECK_EQ(mmtrace_replay_op(&r, &op, 4, &why), 0);
	CHECK(!parse("a 4 50", &op));
	CHECK_EQ(mmtrace_replay_op(&r, &op, 5, &why), -1);	/* 4 slots hold 3 */
	CHECK(strstr(why, "table full"));
	CHECK(!parse("f 2", &op));
	CHECK_EQ(mmtrace_replay_op(&r, &op, 6, &why), 0);
	CHECK_EQ(r.st.failed_frees, 1);
	CHECK_EQ(mmtrace_replay_op(&r, &op, 7, &why), -1);
	CHECK(strstr(why, "not live"));
	CHECK(!parse("f 1", &op));
	CHECK_EQ(mmtrace_replay_op(&r, &op, 8, &why), 0);
	CHECK_EQ(r.st.frees, 1);
	CHECK_EQ(r.st.live_bytes, 0);
	CHECK_EQ(r.st.first_failure_line, 3);
	CHECK_EQ(m.bad_frees, 0);
}

/* A calloc that leaves the last byte dirty (blocks up to 64 bytes): the replay must notice. */
static unsigned char dirty_block[64];

static void *dirty_calloc(void *ctx, size_t n, size_t size)
{
	(void)ctx;
	memset(dirty_block, 0, sizeof(dirty_block));
	dirty_block[n * size - 1] = 1;
	return dirty_block;
}

static void dirty_free(void *ctx, void *ptr)
{
	(void)ctx;
	(void)ptr;
}

HOST_TEST(replay_checks_calloc_zeroes)
{
	static const struct mmtrace_ops ops = { .calloc = dirty_calloc, .free = dirty_free,
						.largest_free = model_largest_free };
	static struct model m;
	struct mmtrace_slot slots[4];
	struct mmtrace_replay r;
	struct mmtrace_op op;
	const char *why = NULL;

	mmtrace_replay_init(&r, &ops, &m, slots, 4);
	CHECK(!parse("c 1 8 8", &op));
	CHECK_EQ(mmtrace_replay_op(&r, &op, 1, &why), -1);
	CHECK(why && strstr(why, "not zero-filled"));
	CHECK_EQ(mmtrace_replay_drain(&r), 1);	/* the block is still live: drained */
	CHECK(!parse("c 2 7 9", &op));
	why = NULL;
	CHECK_EQ(mmtrace_replay_op(&r, &op, 2, &why), -1);	/* the last of 63 bytes */
	CHECK(why && strstr(why, "not zero-filled"));
}

/* ------------------------------------------------------------------ */
/* The mmtrace tool                                                    */
/* ------------------------------------------------------------------ */

struct tool_result {
	int status;
	char *out, *err;
	size_t out_len, err_len;
};

/* Run mmtrace_file() on the text @trace; free the result with tool_result_free(). */
static struct tool_result tool_run(const char *algo, size_t heap_size, bool kmalloc_layout,
				   const char *trace)
{
	struct mmtrace_opts o = { .algo = algo, .heap_size = heap_size,
				  .kmalloc_layout = kmalloc_layout };
	struct tool_result res = { 0 };
	FILE *in = fmemopen((void *)trace, strlen(trace), "r");
	FILE *out = open_memstream(&res.out, &res.out_len);
	FILE *err = open_memstream(&res.err, &res.err_len);

	res.status = mmtrace_file(&o, in, "t.trace", out, err);
	fclose(in);
	fclose(out);
	fclose(err);
	return res;
}

static void tool_result_free(struct tool_result *res)
{
	free(res->out);
	free(res->err);
}

/* The value of "key": in the summary printed by the tool, or ~0 when missing. */
static unsigned long long summary_field(const char *out, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(out, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : ~0ULL;
}

/* A trace of random 16-256 byte blocks, two allocations per free, @n lines. */
static char *trace_fill(unsigned n)
{
	size_t size = (size_t)n * 32 + 64, len = 0;
	char *text = malloc(size);
	uint64_t live[4096];
	struct rand_state rng;
	unsigned i, nlive = 0, next = 1;

	rand_seed(&rng, 11);
	len += snprintf(text, size, "# fill\n");
	for (i = 0; i < n; i++) {
		if (i % 3 == 2 && nlive) {
			unsigned k = rand_range(&rng, 0, nlive - 1);

			len += snprintf(text + len, size - len, "f %llu\n",
					(unsigned long long)live[k]);
			live[k] = live[--nlive];
		} else if (nlive < ARRAY_SIZE(live)) {
			live[nlive++] = next;
			len += snprintf(text + len, size - len, "a %u %llu%s\n", next++,
					(unsigned long long)rand_range(&rng, 16, 256),
					i % 7 == 0 ? " 64" : "");
		}
	}
	return text;
}

HOST_TEST(tool_replays_on_every_algorithm)
{
	char *text = trace_fill(3000);
	const struct heap_algo *a;
	int algos = 0;

	heap_algo_for_each(a) {
		struct tool_result res = tool_run(a->name, 256 * KiB, false, text);

		if (res.status != 0 || summary_field(res.out, "allocs") != 2000 ||
		    summary_field(res.out, "frees") != 1000 ||
		    summary_field(res.out, "validate") != 0 ||
		    summary_field(res.out, "failures") != 0)
			host_test_fail(__FILE__, __LINE__, "%s: status %d, out %s err %s",
				       a->name, res.status, res.out, res.err);
		tool_result_free(&res);
		algos++;
	}
	CHECK(algos >= 3);
	free(text);
}

/*
 * calloc and realloc on every algorithm: zeroed blocks, grows that move,
 * shrinks that stay, content kept (the engine's block is filled before the
 * grow and the tool copies), and a failed grow that keeps the old block
 * under the new ID.
 */
HOST_TEST(tool_replays_calloc_and_realloc)
{
	static const char text[] = MMTRACE_VERSION_LINE "\n"
		"c 1 10 10\na 2 16\nr 1 3 5000\nr 3 4 20\nr 2 5 1000000000\n"
		"c 6 1 64\nr 6 7 30000\nf 4\nf 5\n";
	const struct heap_algo *a;

	heap_algo_for_each(a) {
		struct tool_result res = tool_run(a->name, 256 * KiB, false, text);

		if (res.status != 0 || summary_field(res.out, "callocs") != 2 ||
		    summary_field(res.out, "allocs") != 3 ||
		    summary_field(res.out, "reallocs") != 3 ||
		    summary_field(res.out, "realloc_moves") < 2 ||
		    summary_field(res.out, "failures") != 1 ||
		    summary_field(res.out, "first_failure_line") != 6 ||
		    summary_field(res.out, "frees") != 2 ||
		    summary_field(res.out, "live_blocks_end") != 1 ||
		    summary_field(res.out, "live_bytes_end") != 30000 ||
		    summary_field(res.out, "peak_live_bytes") != 30036 ||
		    summary_field(res.out, "validate") != 0)
			host_test_fail(__FILE__, __LINE__, "%s: status %d, out %s err %s",
				       a->name, res.status, res.out, res.err);
		tool_result_free(&res);
	}
}

/* The value of "key": in the "fit:" line of @algo in @out, or ~0 when missing. */
static unsigned long long fit_field(const char *out, const char *algo, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "fit: {\"algo\":\"%s\"", algo);
	p = strstr(out, pat);
	return p ? summary_field(p, key) : ~0ULL;
}

/*
 * --fit: the size found replays with no failure, 4 KiB less fails (or
 * cannot be set up), and the worst call named is that failure.
 */
HOST_TEST(tool_fit_finds_smallest_heap)
{
	struct mmtrace_opts o = { 0 };
	char *text = trace_fill(3000), *out;
	const struct heap_algo *a;
	size_t out_len;
	FILE *f = open_memstream(&out, &out_len);

	CHECK_EQ(mmtrace_fit(&o, text, strlen(text), "t.trace", f, stderr), 0);
	fclose(f);
	CHECK(strstr(out, "| algorithm | heap needed |"));
	heap_algo_for_each(a) {
		unsigned long long heap = fit_field(out, a->name, "heap_needed");
		struct tool_result at, below;

		if (heap == ~0ULL || heap % 4096 || heap < fit_field(out, a->name, "peak_live_bytes")) {
			host_test_fail(__FILE__, __LINE__, "%s: %s", a->name, out);
			continue;
		}
		at = tool_run(a->name, heap, false, text);
		below = tool_run(a->name, heap - 4096, false, text);
		if (at.status || summary_field(at.out, "failures") != 0 ||
		    (below.status == 0 && summary_field(below.out, "first_failure_line") !=
					 fit_field(out, a->name, "worst_call_line")) ||
		    (below.status == 0 && summary_field(below.out, "failures") == 0) ||
		    (below.status != 0 && below.status != 2))
			host_test_fail(__FILE__, __LINE__, "%s at %llu: %s / %s%s", a->name, heap,
				       at.out, below.out, below.err);
		tool_result_free(&at);
		tool_result_free(&below);
	}
	free(out);
	free(text);
}

/* A heap too small for the trace: the first failure and its utilisation are reported. */
HOST_TEST(tool_reports_first_failure)
{
	char *text = trace_fill(30000);
	const struct heap_algo *a;

	heap_algo_for_each(a) {
		struct tool_result res = tool_run(a->name, 64 * KiB, true, text);
		unsigned long long line = summary_field(res.out, "first_failure_line");
		unsigned long long live = summary_field(res.out, "live_bytes_at_failure");

		if (res.status != 0 || line == 0 || line == ~0ULL || live > 64 * KiB ||
		    live < 16 * KiB || !strstr(res.out, "\"util_at_failure\":0.") ||
		    summary_field(res.out, "validate") != 0)
			host_test_fail(__FILE__, __LINE__, "%s: status %d, out %s err %s",
				       a->name, res.status, res.out, res.err);
		tool_result_free(&res);
	}
	free(text);
}

HOST_TEST(tool_names_file_and_line_of_errors)
{
	static const struct { const char *trace, *msg; } cases[] = {
		{ "a 1 8\n# ok\na 2 8 5\n", "t.trace:3: ALIGN" },
		{ "a 1 8\nf 1\nf 1\n", "t.trace:3: free of an ID that is not live" },
		{ "a 1 8\na 1 8\n", "t.trace:2: ID is already live" },
		{ "\n\n\nq\n", "t.trace:4: unknown operation" },
		{ "a 1 8\nr 2 3 8\n", "t.trace:2: realloc of an ID that is not live" },
		{ "a 1 8\na 2 8\nr 1 2 16\n", "t.trace:3: NEWID is already live" },
		{ "# mmtrace v9\na 1 8\n", "t.trace:1: trace format newer" },
	};
	struct tool_result res;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		res = tool_run("buddy", 64 * KiB, false, cases[i].trace);
		if (res.status != 1 || !strstr(res.err, cases[i].msg))
			host_test_fail(__FILE__, __LINE__, "case %zu: status %d, stderr \"%s\"",
				       i, res.status, res.err);
		tool_result_free(&res);
	}
	res = tool_run("no_such_algo", 64 * KiB, false, "a 1 8\n");
	CHECK_EQ(res.status, 2);
	CHECK(strstr(res.err, "no heap algorithm"));
	tool_result_free(&res);
}

/* A line longer than the limit is refused with its number, and reading stops. */
HOST_TEST(tool_refuses_long_line)
{
	char text[MMTRACE_LINE_MAX + 64];
	struct tool_result res;

	memset(text, ' ', sizeof(text));
	memcpy(text, "a 1 8\nf 1", 9);
	memcpy(text + sizeof(text) - 2, "\n", 2);
	res = tool_run("buddy", 64 * KiB, false, text);
	CHECK_EQ(res.status, 1);
	CHECK(strstr(res.err, "t.trace:2: line too long"));
	tool_result_free(&res);
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
