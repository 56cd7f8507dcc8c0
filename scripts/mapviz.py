#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Draw the heap and frame maps an mmlab kernel prints with "map=all".

    scripts/mapviz.py build/maps/map.log -o build/maps/maps.png
    qemu-system-riscv64 ... -append map=all | scripts/mapviz.py - -o maps.svg
    scripts/mapviz.py --split DIR log              # one image per map
    scripts/mapviz.py --grid grid.png log1 log2 .. # configurations side by side
    scripts/mapviz.py --boot .config --out build/maps   # what `make maps` runs

The kernel's "map: ..." lines (format in include/bench/map.h) give every heap
block and every run of frames in address order; scripts/mmlab/mapdraw.py
says how they are drawn. The output format follows the file name (.png or
.svg). Nothing here invents data: a log without maps is an error.

--boot CONFIG builds that configuration with CONFIG_BENCH=y forced in
OUT/obj (the caller's tree and .config are left alone), boots it once with
"map=all", keeps the log as OUT/map.log and draws OUT/maps.png plus one
image per map.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True      # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mmlab import mapdraw, maps  # noqa: E402


def main():
    p = argparse.ArgumentParser(description="mmlab: draw heap and frame maps from boot logs")
    p.add_argument("logs", nargs="*", help="boot logs with map: lines ('-' for stdin)")
    p.add_argument("-o", "--output", help="one image with every map of the (single) log")
    p.add_argument("--split", metavar="DIR", help="one image per map into DIR")
    p.add_argument("--grid", metavar="FILE", help="every log side by side in one image")
    p.add_argument("--format", default="png", choices=("png", "svg"),
                   help="image format for --split (default png)")
    p.add_argument("--only", choices=("heap", "frames"), help="draw only heap or frame maps")
    p.add_argument("--boot", metavar="CONFIG", help="build CONFIG with CONFIG_BENCH, boot "
                   "it with map=all, draw into --out")
    p.add_argument("--srctree", default=".", help="source tree for --boot")
    p.add_argument("--out", default="build/maps", help="output directory for --boot")
    args = p.parse_args()
    if args.boot:
        out = os.path.abspath(args.out)
        path, why = maps.build_and_boot(os.path.abspath(args.boot),
                                        os.path.abspath(args.srctree), out)
        if why:
            sys.exit("mapviz: " + why)
        print("  QEMU    map=all -> %s" % path)
        args.logs = [path]
        args.output = args.output or os.path.join(out, "maps.png")
        args.split = args.split or out
    if not args.logs:
        p.error("give at least one log, or --boot CONFIG")
    if not (args.output or args.split or args.grid):
        p.error("say where to draw: -o FILE, --split DIR or --grid FILE")

    logs = []
    for path in args.logs:
        found, config = maps.read_log(path)
        found = [m for m in found if m.figures and args.only in (None, m.what)]  # whole maps
        if not found:
            sys.exit("mapviz: %s: no complete map (boot with map=all and CONFIG_BENCH=y)" % path)
        logs.append((found, maps.log_name(path, config)))
    if args.output:
        if len(logs) != 1:
            p.error("-o draws one log; use --grid for several")
        mapdraw.render_log(logs[0][0], args.output, logs[0][1])
    if args.split:
        for found, _ in logs:
            mapdraw.render_split(found, args.split, args.format)
    if args.grid:
        mapdraw.render_grid(logs, args.grid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
