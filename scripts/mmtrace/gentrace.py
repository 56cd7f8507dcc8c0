#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write an allocation trace (format: include/bench/mmtrace.h) to stdout or a file.

    scripts/mmtrace/gentrace.py --kind churn --ops 200000 --seed 1 -o churn.trace
    scripts/mmtrace/gentrace.py --kind fill > fill.trace

Kinds:
  churn   requests of 8-512 bytes; about --live blocks stay live: after the
          warm-up each step frees a random live block or allocates, with
          equal odds while below twice --live
  logu    sizes log-uniform from 8 B to 64 KiB, random frees, --live target
  fill    random 16-256 byte blocks, two allocations per free, --ops lines
          (size the heap so that it fails: that is the point of the trace)
  align   16-1024 byte requests at alignments 8..4096, churn as above

The same --seed gives the same trace (Python's random.Random, Mersenne
twister), so a committed trace can be regenerated. IDs count up from 1
and are never reused.
"""
import argparse
import random
import sys


def size_for(kind, rng):
    if kind in ("churn",):
        return rng.randint(8, 512)
    if kind == "fill":
        return rng.randint(16, 256)
    if kind == "align":
        return rng.randint(16, 1024)
    exp = rng.randint(3, 15)              # logu: an octave 2^exp .. 2^(exp+1)
    return rng.randint(1 << exp, 1 << (exp + 1))


def generate(kind, ops, live_target, seed, out):
    rng = random.Random(seed)
    live = []
    next_id = 1
    out.write("# mmtrace kind=%s ops=%d live=%d seed=%d\n" % (kind, ops, live_target, seed))
    for step in range(ops):
        if kind == "fill":
            alloc = step % 3 != 2 or not live
        elif len(live) < live_target and step < live_target:
            alloc = True                  # warm-up
        else:
            alloc = not live or (len(live) < 2 * live_target and rng.random() < 0.5)
        if alloc:
            size = size_for(kind, rng)
            if kind == "align":
                out.write("a %d %d %d\n" % (next_id, size, 1 << rng.randint(3, 12)))
            else:
                out.write("a %d %d\n" % (next_id, size))
            live.append(next_id)
            next_id += 1
        else:
            k = rng.randrange(len(live))
            live[k], live[-1] = live[-1], live[k]
            out.write("f %d\n" % live.pop())


def main():
    p = argparse.ArgumentParser(description="generate an mmtrace allocation trace")
    p.add_argument("--kind", choices=["churn", "logu", "fill", "align"], default="churn")
    p.add_argument("--ops", type=int, default=20000, help="operations (lines) to write")
    p.add_argument("--live", type=int, default=2000, help="live blocks to aim for")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-o", "--output", help="file to write (default stdout)")
    args = p.parse_args()
    out = open(args.output, "w") if args.output else sys.stdout
    try:
        generate(args.kind, args.ops, args.live, args.seed, out)
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
