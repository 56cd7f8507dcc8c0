#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make new-heap NAME=x` / `make new-frames NAME=x`: scaffold a new
allocator whose ops are stubs that fail cleanly (docs/lab.md).

    scripts/labkit/new.py --srctree . heap best_fit
    scripts/labkit/new.py --srctree . frame next_fit

The work is done in scripts/mmlab/scaffold.py.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True      # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from mmlab import algos, scaffold  # noqa: E402


def main():
    p = argparse.ArgumentParser(description="mmlab: scaffold a new allocator")
    p.add_argument("--srctree", default=".")
    p.add_argument("kind", choices=[f.kind for f in algos.FAMILIES])
    p.add_argument("name", nargs="?", default="")
    args = p.parse_args()
    family = next(f for f in algos.FAMILIES if f.kind == args.kind)
    goal = "new-heap" if family is algos.HEAP else "new-frames"
    if not args.name:
        sys.exit("%s: say the name: make %s NAME=my_algo" % (goal, goal))
    try:
        written = scaffold.scaffold(os.path.abspath(args.srctree), family, args.name)
    except ValueError as e:
        sys.exit("%s: %s" % (goal, e))
    for path in written:
        print("  GEN     %s" % path)
    print("%s: %s written; every op is a stub. Build it: make %s && make run\n"
          "Test it: make host-check; grade it: make grade ALGO=%s (see docs/lab.md)"
          % (goal, args.name, family.defconfig(args.name), args.name))


if __name__ == "__main__":
    main()
