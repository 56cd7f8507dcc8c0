#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make grade ALGO=x`: the correctness gate, then the score against the
project's own algorithms of the same family (docs/lab.md).

    scripts/labkit/grade.py --srctree . --out build/grade best_fit
    scripts/labkit/grade.py --kind frame --traces DIR --weights mean=0.5 bitmap

Prints the gate, a table and one score; writes OUT/<algo>/report.json and
report.md. Exit status 0 when the gate passed, 1 when it failed, 2 for bad
arguments. The work is done in scripts/mmlab/grade.py.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True      # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from mmlab import grade  # noqa: E402


def names(text):
    """A comma-separated list of names."""
    return [n for n in text.split(",") if n]


def main():
    p = argparse.ArgumentParser(description="mmlab: grade an allocator")
    p.add_argument("--srctree", default=".")
    p.add_argument("--out", default="build/grade")
    p.add_argument("--kind", choices=["heap", "frame"],
                   help="the family, when the name is both a heap and a frame algorithm")
    p.add_argument("--traces", help="replay every trace file in this directory as well")
    p.add_argument("--weights", help="util=W,mean=W,worst=W (defaults: %s)"
                   % ",".join("%s=%g" % kv for kv in grade.WEIGHTS.items()))
    p.add_argument("--no-real-traces", action="store_true",
                   help="replay only the --traces ones, not tests/traces/real (a quick check)")
    p.add_argument("--refs", type=names, help="compare only with these algorithms (a,b)")
    p.add_argument("--workloads", type=names,
                   help="score only these workloads (a,b; for a quick check)")
    p.add_argument("name", nargs="?", default="")
    args = p.parse_args()
    if not args.name:
        sys.exit("grade: say which algorithm: make grade ALGO=name")
    srctree = os.path.abspath(args.srctree)
    try:
        traces = grade.trace_files(srctree, args.traces, real=not args.no_real_traces)
        opts = grade.Options(srctree=srctree, out=os.path.abspath(args.out), name=args.name,
                             kind=args.kind, traces=traces, refs=args.refs,
                             workloads=args.workloads)
        if args.weights:
            opts.weights = grade.parse_weights(args.weights)
        rep = grade.grade(opts)
    except ValueError as e:
        print("grade: %s" % e, file=sys.stderr)
        return 2
    grade.print_report(rep, grade.write(rep, opts.out))
    return 0 if rep["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
