/* SPDX-License-Identifier: MIT */
/*
 * What the parts of the mmtrace host tool share: the replay of one trace on
 * one heap algorithm (mmtrace.c) and the heap-size search built on it
 * (fit.c).
 */
#ifndef MMTRACE_TOOL_H
#define MMTRACE_TOOL_H

#include <stdio.h>
#include <bench/mmtrace.h>

struct mmtrace_opts {
	const char *algo;
	size_t heap_size;
	bool kmalloc_layout;
	bool quiet_init;	/* say nothing when the heap is too small to set up */
};

/*
 * mmtrace_heap_replay - replay the trace @in (called @name in messages) on a
 * fresh heap as @o says; *@st gets the statistics; errors go to @err.
 * Return: 0 replayed and valid; 1 bad trace; 2 unknown algorithm or a heap
 * the algorithm cannot set up; 3 the heap failed validation (*@st is set).
 */
int mmtrace_heap_replay(const struct mmtrace_opts *o, FILE *in, const char *name,
			struct mmtrace_stats *st, FILE *err);

/*
 * mmtrace_fit - for every registered algorithm, the smallest heap (to
 * 4 KiB) on which the trace in [@buf, @buf + @len) replays without a
 * failed request; prints one "fit: {json}" line per algorithm and a
 * Markdown table on @out. Return: the exit status (0, or 1 for a bad trace).
 */
int mmtrace_fit(const struct mmtrace_opts *o, const char *buf, size_t len, const char *name,
		FILE *out, FILE *err);

#endif /* MMTRACE_TOOL_H */
