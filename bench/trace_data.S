/* SPDX-License-Identifier: MIT */
/*
 * The trace the "trace" benchmark replays (bench/trace.c), built only
 * when make is given TRACE=file (kernel/Makefile passes its absolute path as
 * BENCH_TRACE_FILE). The bytes are copied in unchanged by .incbin.
 */
	.section .rodata.bench_trace, "a"
	.globl	bench_trace_start, bench_trace_end, bench_trace_name
bench_trace_start:
	.incbin	BENCH_TRACE_FILE
bench_trace_end:
	.byte	0
bench_trace_name:
	.asciz	BENCH_TRACE_FILE
