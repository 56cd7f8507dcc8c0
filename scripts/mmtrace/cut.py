#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Cut an allocation trace to its first N operations, so that it stays valid.

    scripts/mmtrace/cut.py --ops 150000 big.trace -o small.trace

Keeps the header (the comment lines before the first operation), adds a
"# cut:" line saying what was kept, copies the first N operations and then
frees every block still live at that point (in ID order), so the result
replays on its own and ends with an empty heap. Format: include/bench/mmtrace.h.
"""
import argparse
import sys


def cut(lines, n):
    """The lines of @lines (a trace) cut after @n operations. Return: (lines, ops in the input)."""
    header, body, live, ops = [], [], set(), 0
    for line in lines:
        fields = line.split("#")[0].split()
        if not fields:
            if not body and not ops:
                header.append(line)
            continue
        ops += 1
        if ops > n:
            continue
        body.append(line)
        op = fields[0]
        if op in ("a", "c"):
            live.add(int(fields[1]))
        elif op == "r":
            live.discard(int(fields[1]))
            live.add(int(fields[2]))
        elif op == "f":
            live.discard(int(fields[1]))
    note = "# cut: the first %d of %d operations, then frees of the %d blocks still live\n" % (
        min(n, ops), ops, len(live))
    return header + [note] + body + ["f %d\n" % i for i in sorted(live)], ops


def main():
    p = argparse.ArgumentParser(description="cut a trace to its first N operations")
    p.add_argument("--ops", type=int, required=True, help="operations to keep")
    p.add_argument("trace")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    args = p.parse_args()
    with open(args.trace) as f:
        out, _ = cut(f, args.ops)
    with (open(args.output, "w") if args.output else sys.stdout) as f:
        f.writelines(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
