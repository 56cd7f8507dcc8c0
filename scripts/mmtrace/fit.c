// SPDX-License-Identifier: MIT
/*
 * mmtrace --fit: how much heap a trace needs on each algorithm.
 *
 * Design. For each registered algorithm the trace is replayed on heaps of
 * 64 KiB, 128 KiB, ... until one replays with no failed request (or 4 GiB
 * is passed), then the size is bisected between the last failing and the
 * first fitting size down to 4 KiB. Each try is a fresh heap and a replay
 * of the whole trace held in memory. The search assumes that a heap that
 * fits stays fitting when it grows, which holds for every algorithm here
 * in practice but is not guaranteed (placement can differ). Reported per
 * algorithm: the heap needed, the trace's peak of requested live bytes,
 * overhead = heap needed / peak live, and the worst call: the request
 * that fails first on a heap 4 KiB smaller (its line and size, and the
 * live bytes at that moment).
 */
#include <stdlib.h>
#include <string.h>
#include <mm/heap_algo.h>
#include "tool.h"

#define FIT_STEP	(4 * KiB)
#define FIT_FIRST	(64 * KiB)
#define FIT_MAX		((size_t)4 * GiB)

struct fit_result {
	const char *algo;
	size_t heap;			/* smallest heap found; 0: none up to FIT_MAX */
	struct mmtrace_stats at;	/* replay on that heap */
	struct mmtrace_stats below;	/* replay 4 KiB below it */
	bool below_unusable;		/* the algorithm cannot set up that heap */
};

/*
 * Replay on a heap of @size bytes. Return: 0 replayed, 2 the heap cannot be
 * set up (*@fits false), or the failing status (bad trace, invalid heap).
 */
static int fit_try(const struct mmtrace_opts *o, const char *buf, size_t len, const char *name,
		   size_t size, struct mmtrace_stats *st, bool *fits, FILE *err)
{
	struct mmtrace_opts t = *o;
	FILE *in = fmemopen((void *)buf, len, "r");
	int status;

	t.heap_size = size;
	t.quiet_init = true;
	*fits = false;
	if (!in) {
		fprintf(err, "mmtrace: fit: cannot read the trace from memory\n");
		return 1;
	}
	status = mmtrace_heap_replay(&t, in, name, st, err);
	fclose(in);
	*fits = status == 0 && st->failures == 0;
	return status == 2 ? 0 : status;
}

/* Find @res->heap for o->algo. Return: 0, or the failing status. */
static int fit_search(const struct mmtrace_opts *o, const char *buf, size_t len,
		      const char *name, struct fit_result *res, FILE *err)
{
	size_t lo = 0, hi = FIT_FIRST, mid;
	struct mmtrace_stats st;
	bool fits = false;
	int status;

	for (; hi <= FIT_MAX; lo = hi, hi *= 2) {
		if ((status = fit_try(o, buf, len, name, hi, &st, &fits, err)))
			return status;
		if (fits)
			break;
	}
	if (!fits)
		return 0;
	res->at = st;
	while (hi - lo > FIT_STEP) {
		mid = ALIGN_DOWN(lo + (hi - lo) / 2, FIT_STEP);
		if ((status = fit_try(o, buf, len, name, mid, &st, &fits, err)))
			return status;
		if (fits) {
			hi = mid;
			res->at = st;
		} else {
			lo = mid;
		}
	}
	res->heap = hi;
	memset(&st, 0, sizeof(st));
	status = fit_try(o, buf, len, name, hi - FIT_STEP, &st, &fits, err);
	res->below = st;
	res->below_unusable = !st.lines;
	return status;
}

/* The "fit: {json}" line of @res. */
static void fit_print_json(const struct fit_result *res, FILE *out)
{
	unsigned long whole, frac;

	mmtrace_ratio_split(res->heap, res->at.peak_live_bytes, &whole, &frac);
	fprintf(out, "fit: {\"algo\":\"%s\",\"heap_needed\":%zu,\"peak_live_bytes\":%llu,"
		"\"overhead\":%lu.%06lu,\"worst_call_line\":%lu,\"worst_call_size\":%llu,"
		"\"live_bytes_at_worst_call\":%llu}\n",
		res->algo, res->heap, (unsigned long long)res->at.peak_live_bytes, whole, frac,
		res->below.first_failure_line, (unsigned long long)res->below.failure_size,
		(unsigned long long)res->below.failure_live_bytes);
}

/* One Markdown row of @res. */
static void fit_print_row(const struct fit_result *res, FILE *out)
{
	unsigned long whole, frac;

	if (!res->heap) {
		fprintf(out, "| %s | more than %zu MiB | - | - | - |\n", res->algo, FIT_MAX / MiB);
		return;
	}
	mmtrace_ratio_split(res->heap, res->at.peak_live_bytes, &whole, &frac);
	fprintf(out, "| %s | %zu KiB | %llu | %lu.%03lu |", res->algo, res->heap / KiB,
		(unsigned long long)res->at.peak_live_bytes, whole, frac / 1000);
	if (res->below_unusable)
		fprintf(out, " %zu KiB is too small for the algorithm to set up |\n",
			(res->heap - FIT_STEP) / KiB);
	else
		fprintf(out, " line %lu: %llu bytes with %llu live |\n",
			res->below.first_failure_line, (unsigned long long)res->below.failure_size,
			(unsigned long long)res->below.failure_live_bytes);
}

int mmtrace_fit(const struct mmtrace_opts *o, const char *buf, size_t len, const char *name,
		FILE *out, FILE *err)
{
	struct fit_result res[32];
	const struct heap_algo *a;
	size_t n = 0, i;
	int status;

	heap_algo_for_each(a) {
		struct mmtrace_opts t = *o;

		if (n == sizeof(res) / sizeof(res[0]))
			break;
		t.algo = a->name;
		res[n] = (struct fit_result){ .algo = a->name };
		if ((status = fit_search(&t, buf, len, name, &res[n], err)))
			return status;
		fit_print_json(&res[n], out);
		n++;
	}
	fprintf(out, "\nSmallest heap for %s (%s layout, to 4 KiB):\n\n", name,
		o->kmalloc_layout ? "kmalloc" : "algorithm");
	fprintf(out, "| algorithm | heap needed | peak live bytes | overhead (heap / peak live) |"
		" worst call (first failure 4 KiB below) |\n|---|---|---|---|---|\n");
	for (i = 0; i < n; i++)
		fit_print_row(&res[i], out);
	return 0;
}
