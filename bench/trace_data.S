/* SPDX-License-Identifier: MIT */
/*
 * The traces the "trace" benchmark replays (bench/trace.c), built only when
 * make is given TRACE="file ..." (bench/Makefile passes their absolute
 * paths, quoted and blank-separated, as BENCH_TRACE_FILES). Each file is
 * copied in unchanged by .incbin, followed by a NUL and its path; the table
 * between bench_traces_start and bench_traces_end holds one entry per file:
 * the start of its bytes, their end, and its path (struct bench_trace).
 */
	.macro	bench_trace_entry path
	.pushsection .rodata.bench_trace_data, "a"
1:	.incbin	"\path"
2:	.byte	0
3:	.asciz	"\path"
	.popsection
	.pushsection .rodata.bench_trace_table, "a"
	.balign	8
	.dword	1b, 2b, 3b
	.popsection
	.endm

	.pushsection .rodata.bench_trace_table, "a"
	.balign	8
	.globl	bench_traces_start
bench_traces_start:
	.popsection

	.irp	path, BENCH_TRACE_FILES
	bench_trace_entry \path
	.endr

	.pushsection .rodata.bench_trace_table, "a"
	.globl	bench_traces_end
bench_traces_end:
	.popsection
