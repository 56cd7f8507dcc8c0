// SPDX-License-Identifier: MIT
/*
 * The frame algorithm model checker, and the libFuzzer target built on it.
 *
 * frames_model_run() decodes a byte string into a span, a set of free ranges
 * and a sequence of operations, runs them on one frame algorithm and on a
 * plain model (one state byte per frame), and compares the two after every
 * step: return codes, the frames handed out (in the span, free, contiguous,
 * aligned, never twice), free_count(), validate() == 0 and the free/allocated
 * runs reported by walk(). A refused call must leave everything unchanged.
 *
 * It is shared: the fuzzer feeds it libFuzzer's inputs for every registered
 * algorithm, and frames_test links this file to feed it long random
 * sequences. Double frees are issued throughout: the contract promises that
 * every algorithm refuses them in every call.
 *
 * Input layout: [mix] [count lo] [count hi] [base] [nranges] then two bytes
 * per free range, then three bytes per operation: [kind] [a] [b]. An odd
 * mix turns half of the single-frame allocations into runs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mm/frame_algo.h>

#define MODEL_MAX_FRAMES	4096

enum model_state { RESERVED, FREE, LIVE };

struct live_run {
	uint64_t off, n;
};

struct model {
	const struct frame_algo *algo;
	void *inst;
	bool runs_heavy;		/* odd mix byte: more alloc_run */
	uint64_t base, count, free;
	uint8_t *state;			/* enum model_state per frame offset */
	struct live_run *live;		/* runs handed out, any order */
	uint64_t nlive;
	uint64_t step;
	char *why;
	size_t why_len;
	bool failed;
};

/* Bases that exercise offsets from 0, odd alignments and large page numbers. */
static const uint64_t model_bases[] = { 0, 1, 0x80000, 0x80203, (1ULL << 40) - 5 };

/* ------------------------------------------------------------------------ */
/* Reporting and comparison                                                 */
/* ------------------------------------------------------------------------ */

/* Record the first mismatch; later ones are consequences and are dropped. */
static __attribute__((format(printf, 2, 3))) void model_fail(struct model *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->failed)
		return;
	m->failed = true;
	n = snprintf(m->why, m->why_len, "%s step %llu: ", m->algo->name,
		     (unsigned long long)m->step);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < m->why_len)
		vsnprintf(m->why + n, m->why_len - (size_t)n, fmt, ap);
	va_end(ap);
}

struct walk_check {
	struct model *m;
	uint64_t next;		/* offset the next run must start at */
	bool last_free;
	bool first;
};

/* walk() callback: runs must tile the span, alternate, and match the model. */
static void model_walk_fn(void *arg, bool free, struct ppn_range run)
{
	struct walk_check *w = arg;
	struct model *m = w->m;
	uint64_t off = ppn_val(run.start) - m->base, i;

	if (off != w->next || ppn_range_is_empty(run) ||
	    ppn_range_len(run) > m->count - off) {
		model_fail(m, "walk: run " PPN_RANGE_FMT " does not follow offset %llu",
			   PPN_RANGE_ARG(run), (unsigned long long)w->next);
		return;
	}
	if (!w->first && w->last_free == free)
		model_fail(m, "walk: two adjacent %s runs", free ? "free" : "allocated");
	for (i = off; i < off + ppn_range_len(run); i++)
		if ((m->state[i] == FREE) != free) {
			model_fail(m, "walk: frame offset %llu reported %s",
				   (unsigned long long)i, free ? "free" : "allocated");
			break;
		}
	w->next = off + ppn_range_len(run);
	w->last_free = free;
	w->first = false;
}

/* Compare the algorithm's whole state with the model. */
static void model_compare(struct model *m)
{
	struct walk_check w = { .m = m, .first = true };
	char first[160];
	struct audit a = AUDIT_INIT(first);
	unsigned problems = m->algo->validate(m->inst, &a);

	if (problems)
		model_fail(m, "validate found %u problems, first: %s", problems, audit_first(&a));
	if (m->algo->free_count(m->inst) != m->free)
		model_fail(m, "free_count %llu, model %llu",
			   (unsigned long long)m->algo->free_count(m->inst),
			   (unsigned long long)m->free);
	m->algo->walk(m->inst, model_walk_fn, &w);
	if (w.next != m->count)
		model_fail(m, "walk stopped at offset %llu of %llu",
			   (unsigned long long)w.next, (unsigned long long)m->count);
}

/* ------------------------------------------------------------------------ */
/* Model helpers                                                            */
/* ------------------------------------------------------------------------ */

/* True when every frame of [off, off + n) is in state @s. */
static bool model_all(const struct model *m, uint64_t off, uint64_t n, enum model_state s)
{
	uint64_t i;

	for (i = off; i < off + n; i++)
		if (m->state[i] != s)
			return false;
	return true;
}

static void model_set(struct model *m, uint64_t off, uint64_t n, enum model_state s)
{
	memset(m->state + off, s, n);
}

/* True when some run of @n free frames starts at a multiple of @align. */
static bool model_has_run(const struct model *m, uint64_t n, uint64_t align)
{
	uint64_t off;

	for (off = 0; off + n <= m->count; off++)
		if ((m->base + off) % align == 0 && model_all(m, off, n, FREE))
			return true;
	return false;
}

/* Check a run the algorithm handed out and record it as live. */
static void model_take(struct model *m, ppn_t first, uint64_t n, uint64_t align)
{
	uint64_t off = ppn_val(first) - m->base;

	if (!frame_run_in_span(m->base, m->count, ppn_val(first), n)) {
		model_fail(m, "handed out " PPN_FMT "+%llu outside the span",
			   PPN_ARG(first), (unsigned long long)n);
		return;
	}
	if (ppn_val(first) % align)
		model_fail(m, "handed out " PPN_FMT ", not aligned to %llu",
			   PPN_ARG(first), (unsigned long long)align);
	if (!model_all(m, off, n, FREE))
		model_fail(m, "handed out " PPN_FMT "+%llu, not all free",
			   PPN_ARG(first), (unsigned long long)n);
	model_set(m, off, n, LIVE);
	m->free -= n;
	m->live[m->nlive++] = (struct live_run){ off, n };
}

/* ------------------------------------------------------------------------ */
/* Operations                                                               */
/* ------------------------------------------------------------------------ */

static void op_alloc(struct model *m)
{
	ppn_t pn;
	int ret = m->algo->alloc(m->inst, &pn);

	if (ret == FRAME_OK)
		model_take(m, pn, 1, 1);
	else if (ret != FRAME_ENOMEM || m->free)
		model_fail(m, "alloc returned %d with %llu free", ret,
			   (unsigned long long)m->free);
}

static void op_alloc_run(struct model *m, uint8_t a, uint8_t b)
{
	uint64_t n = (b & 0x40) ? 1 + a * 4ULL : 1 + a % 16ULL;
	uint64_t align = 1ULL << (b % 8);
	ppn_t pn;
	int ret = m->algo->alloc_run(m->inst, n, align, &pn);

	if (ret == FRAME_OK)
		model_take(m, pn, n, align);
	else if (ret != FRAME_ENOMEM || model_has_run(m, n, align))
		model_fail(m, "alloc_run(%llu, %llu) returned %d", (unsigned long long)n,
			   (unsigned long long)align, ret);
}

/* Free one live run: single frames with free(), longer runs with free_run(). */
static void op_free(struct model *m, uint8_t a)
{
	struct live_run r;
	int ret;

	if (!m->nlive)
		return;
	r = m->live[a % m->nlive];
	m->nlive--;
	m->live[a % (m->nlive + 1)] = m->live[m->nlive];
	if (r.n == 1)
		ret = m->algo->free(m->inst, PPN(m->base + r.off));
	else
		ret = m->algo->free_run(m->inst, PPN(m->base + r.off), r.n);
	if (ret != FRAME_OK)
		model_fail(m, "freeing live offset %llu+%llu returned %d",
			   (unsigned long long)r.off, (unsigned long long)r.n, ret);
	model_set(m, r.off, r.n, FREE);
	m->free += r.n;
}

/* A call that must be refused with @want; the caller compares state after. */
static void expect_refused(struct model *m, int ret, int want, const char *what)
{
	if (ret != want)
		model_fail(m, "%s returned %d, want %d", what, ret, want);
}

/* The first frame at or after @off in state @s, or m->count. */
static uint64_t model_find(const struct model *m, uint64_t off, enum model_state s)
{
	for (; off < m->count && m->state[off] != s; off++)
		;
	return off;
}

/* Frees the contract says must fail: out of span, never handed over, double. */
static void op_bad_free(struct model *m, uint8_t a, uint8_t b)
{
	uint64_t off = a * m->count / 256;

	switch (b % 5) {
	case 0:
		expect_refused(m, m->algo->free(m->inst, PPN(m->base - 1 - a)),
			       FRAME_ERANGE, "free below the span");
		break;
	case 1:
		expect_refused(m, m->algo->free(m->inst, PPN(m->base + m->count + a)),
			       FRAME_ERANGE, "free above the span");
		break;
	case 2:
		expect_refused(m, m->algo->free_run(m->inst, PPN(m->base + off),
						    m->count - off + 1 + b / 4),
			       FRAME_ERANGE, "free_run across the span end");
		break;
	case 3:
		off = model_find(m, off, RESERVED);
		if (off == m->count)
			break;
		if (b & 0x80)
			expect_refused(m, m->algo->free(m->inst, PPN(m->base + off)),
				       FRAME_ERANGE, "free of a frame never handed over");
		else
			expect_refused(m, m->algo->free_run(m->inst, PPN(m->base + off), 1 + b % 3),
				       FRAME_ERANGE, "free_run over a frame never handed over");
		break;
	default:
		off = model_find(m, off, FREE);
		if (off == m->count)
			break;
		if (off > 0 && m->state[off - 1] == LIVE)
			expect_refused(m, m->algo->free_run(m->inst, PPN(m->base + off - 1), 2),
				       FRAME_EDOUBLE, "free_run over a free frame");
		else
			expect_refused(m, m->algo->free(m->inst, PPN(m->base + off)),
				       FRAME_EDOUBLE, "double free");
		break;
	}
}

static void op_bad_args(struct model *m, uint8_t a)
{
	ppn_t pn;

	expect_refused(m, m->algo->alloc_run(m->inst, 0, 1, &pn), FRAME_EINVAL, "alloc_run(0)");
	expect_refused(m, m->algo->alloc_run(m->inst, 1 + a % 4, 3, &pn), FRAME_EINVAL,
		       "alloc_run align 3");
	expect_refused(m, m->algo->alloc_run(m->inst, 2, 0, &pn), FRAME_EINVAL,
		       "alloc_run align 0");
	expect_refused(m, m->algo->free_run(m->inst, PPN(m->base), 0), FRAME_EINVAL,
		       "free_run(0)");
}

/* Hand reserved frames over late; overlap with free ones is refused. */
static void op_add_free(struct model *m, uint8_t a, uint8_t b)
{
	uint64_t off = a * m->count / 256, n = MIN(1 + b % 8ULL, m->count - off);
	struct ppn_range r = ppn_range_sized(PPN(m->base + off), n);

	uint64_t i;

	if (model_all(m, off, n, RESERVED)) {
		if (m->algo->add_free(m->inst, r) != FRAME_OK)
			model_fail(m, "add_free of reserved frames refused");
		model_set(m, off, n, FREE);
		m->free += n;
		return;
	}
	for (i = off; i < off + n; i++)
		if (m->state[i] == LIVE)
			return;	/* live frames are the caller's to free, not to add */
	expect_refused(m, m->algo->add_free(m->inst, r), FRAME_EDOUBLE,
		       "add_free over free frames");
}

/* ------------------------------------------------------------------------ */
/* Driver                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * frames_model_run - run the operations encoded in @data on @algo and on the
 * model. Returns true when they agreed throughout; otherwise false with the
 * first disagreement described in @why. Inputs too short to hold a header
 * pass trivially. Allocates and frees its own memory.
 */
bool frames_model_run(const struct frame_algo *algo, const uint8_t *data, size_t size,
		      char *why, size_t why_len)
{
	struct model m = { .algo = algo, .why = why, .why_len = why_len };
	void *meta;
	size_t pos, nranges;

	if (size < 5)
		return true;
	m.runs_heavy = data[0] & 1;
	m.count = 1 + (data[1] | (uint64_t)data[2] << 8) % MODEL_MAX_FRAMES;
	m.base = model_bases[data[3] % ARRAY_SIZE(model_bases)];
	nranges = data[4] % 8;
	meta = malloc(algo->meta_size(m.count));
	m.state = calloc(m.count, 1);
	m.live = malloc(m.count * sizeof(*m.live));
	m.inst = algo->init(meta, ppn_range_sized(PPN(m.base), m.count));
	if (!m.inst)
		model_fail(&m, "init refused %llu frames", (unsigned long long)m.count);
	for (pos = 5; !m.failed && nranges-- && pos + 2 <= size; pos += 2) {
		uint64_t off = data[pos] * m.count / 256;
		uint64_t n = MIN(data[pos + 1] * m.count / 256 + 1, m.count - off);

		if (model_all(&m, off, n, RESERVED)) {
			if (algo->add_free(m.inst, ppn_range_sized(PPN(m.base + off), n)))
				model_fail(&m, "add_free refused");
			model_set(&m, off, n, FREE);
			m.free += n;
		}
	}
	for (; !m.failed && pos + 3 <= size; pos += 3, m.step++) {
		uint8_t kind = data[pos] % 10, a = data[pos + 1], b = data[pos + 2];

		if (kind <= 2 && m.runs_heavy && (a & 1))
			op_alloc_run(&m, a, b);
		else if (kind <= 2)
			op_alloc(&m);
		else if (kind <= 5)
			op_free(&m, a);
		else if (kind == 6)
			op_alloc_run(&m, a, b);
		else if (kind == 7)
			op_bad_free(&m, a, b);
		else if (kind == 8)
			op_bad_args(&m, a);
		else
			op_add_free(&m, a, b);
		model_compare(&m);
	}
	free(m.live);
	free(m.state);
	free(meta);
	return !m.failed;
}

/* libFuzzer entry: every registered algorithm on the same input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct frame_algo *a;
	char why[512];

	frame_algo_for_each(a) {
		if (!frames_model_run(a, data, size, why, sizeof(why))) {
			fprintf(stderr, "fuzz_frames: %s\n", why);
			abort();
		}
	}
	return 0;
}
