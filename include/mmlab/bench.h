/* SPDX-License-Identifier: MIT */
/*
 * In-kernel benchmarks (CONFIG_BENCH), run when the command line says
 * "bench=all" or "bench=NAME[,NAME...]" (see kernel/bench.c).
 */
#ifndef MMLAB_BENCH_H
#define MMLAB_BENCH_H

#include <mmlab/compiler.h>

/* bench_requested - true when the command line asks for benchmarks. */
bool bench_requested(void);

/* bench_run - run the requested benchmarks, print results; returns the exit status. */
int bench_run(void);

#endif /* MMLAB_BENCH_H */
