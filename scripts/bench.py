#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make bench`: build configurations with CONFIG_BENCH=y, boot each under
QEMU with -icount shift=0, collect the kernel's "bench: {json}" lines and
write results.json, results.csv, table.md and plots into OUT/runs/NAME
(OUT/latest points at the last run; scripts/bench-compare compares two).

    scripts/bench.py --srctree . --out build/bench
    scripts/bench.py --configs buddy_stack_defconfig first_fit_bitmap_defconfig
    scripts/bench.py --configs current --current .config --name mine
    scripts/bench.py --trace tests/traces/churn-20k.trace my.trace
    scripts/bench.py --determinism defconfig      # used by make check
    scripts/bench.py --heap-sizes 64K,1M,8M,64M --configs bitmap_stack_defconfig
    scripts/bench.py --smp 1,2,4,8                # scaling with harts (make bench SMP=)

Each configuration is built in OUT/<name>/ and booted twice: with -m 128M
and "bench=all" (every benchmark), and with -m 2G and "bench=frames" (how
frame costs grow with RAM). Instruction counts under -icount shift=0 are
exact, so two runs give the same numbers. The "trace" benchmark replays
every tests/traces/real/*.trace, or the --trace files instead; --determinism checks exactly that
on one configuration and one heap workload; --heap-sizes builds each
configuration once per heap size and runs only the heap workloads (a table
and a plot per algorithm of cost against heap size). See
docs/performance.md. The work is done in scripts/mmlab/ (benchrun, bench,
sizes, results, plots, maps).
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True      # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mmlab import animate, bench, benchrun, scaling, sizes  # noqa: E402


def find_trace(path, srctree):
    """@path as given or relative to @srctree, made absolute; exits if neither exists."""
    for cand in (path, os.path.join(srctree, path)):
        if os.path.isfile(cand):
            return os.path.abspath(cand)
    sys.exit("bench: trace file %s not found" % path)


def main():
    p = argparse.ArgumentParser(description="mmlab: benchmark configurations")
    p.add_argument("--srctree", default=".")
    p.add_argument("--out", default="build/bench")
    p.add_argument("--configs", nargs="*",
                   help="defconfig names or \"current\" (default: every configs/*defconfig, and "
                   "the --current .config when it matches none)")
    p.add_argument("--current", help="the user's .config (benchmarked as \"current\")")
    p.add_argument("--name", help="the run's name: results in OUT/runs/NAME (default: a timestamp)")
    p.add_argument("--trace", nargs="*",
                   help="allocation traces to embed and replay (default: tests/traces/real/*.trace)")
    p.add_argument("--determinism", metavar="NAME",
                   help="build NAME, run %s twice, fail on any difference"
                   % benchrun.DETERMINISM_WORKLOAD)
    p.add_argument("--smp", metavar="N,N,...",
                   help="instead: the scaling benchmark on these hart counts (scaling.md)")
    p.add_argument("--heap-sizes", metavar="LIST",
                   help="heap sizes such as 64K,1M,8M,64M: the heap workloads at each size")
    p.add_argument("--animate", metavar="TRACE",
                   help="also draw the replay of this trace (its NAME, or 1 for the first) "
                   "as an animated heap map of every configuration")
    p.add_argument("--timeout", type=float, default=600, help="seconds per boot")
    args = p.parse_args()
    srctree, out = os.path.abspath(args.srctree), os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    if args.determinism:
        return benchrun.run_determinism(srctree, out, args.determinism, args.timeout)
    try:
        configs = bench.config_list(srctree, args.configs, args.current)
    except ValueError as e:
        sys.exit("bench: %s" % e)
    if args.smp:
        try:
            harts = scaling.parse_harts(args.smp)
        except ValueError as e:
            sys.exit("bench: %s" % e)
        return scaling.run_scaling(srctree, out, args.configs, harts, args.timeout)
    if args.heap_sizes:
        try:
            heap_sizes = sizes.parse_sizes(args.heap_sizes)
        except ValueError as e:
            sys.exit("bench: %s" % e)
        return sizes.run_sizes(srctree, out, configs, heap_sizes, args.timeout, args.name)
    traces = ([find_trace(t, srctree) for t in args.trace] if args.trace
              else bench.default_traces(srctree))
    animated = args.animate
    if animated == "1":
        animated = animate.default_trace(traces)
    names = [animate.trace_name(t) for t in traces]
    if animated and animated not in names:
        sys.exit("bench: MAPS_ANIMATE=%s: no such trace among the replayed ones (%s)"
                 % (args.animate, " ".join(names) or "none"))
    return benchrun.run_all(srctree, out, configs, traces, args.timeout, args.name,
                            os.path.abspath(args.current) if args.current else None, animated)


if __name__ == "__main__":
    sys.exit(main())
