#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Draw the heap and frame maps an mmlab kernel prints with "map=all".

    scripts/mapviz.py build/maps/map.log -o build/maps/maps.png
    qemu-system-riscv64 ... -append map=all | scripts/mapviz.py - -o maps.svg
    scripts/mapviz.py --split DIR log              # one image per map
    scripts/mapviz.py --grid grid.png log1 log2 .. # configurations side by side
    scripts/mapviz.py --boot .config --out build/maps   # what `make maps` runs

The kernel's "map: ..." lines (format in include/bench/map.h) give every heap
block and every run of frames in address order. Each map is drawn as rows
that wrap the address space, so the bottom of row k continues at the start
of row k + 1 and blocks of a few hundred bytes stay visible in a megabyte
heap. Neighbouring allocations alternate between two shades so their
boundaries show. The title gives the fragmentation figures the kernel
measured: free bytes, largest free block, number of free blocks.
The output format follows the file name (.png or .svg). Nothing here
invents data: a log without maps is an error.

--boot CONFIG builds that configuration with CONFIG_BENCH=y forced in
OUT/obj (the caller's tree and .config are left alone; scripts/bench.py does
the building), boots it once with "map=all", keeps the log as OUT/map.log
and draws OUT/maps.png plus one image per map.
"""
import argparse
import os
import re
import sys

COLOURS = {
    "U": ("#3a78b5", "#6fa3d6"),  # used: two shades, alternating
    "F": ("#eeeeee",),
    "M": ("#7b4f9d",),
    "K": ("#555555",),
}
LABELS = {"U": "used (an allocation)", "F": "free", "M": "allocator metadata",
          "K": "in use before the workload (firmware, kernel, metadata)"}
CONFIG_RE = re.compile(r"^config: heap=(\S+) size=(\d+) KiB frames=(\S+)")


# --------------------------------------------------------------------------
# Parsing

class Map:
    """One map: its header, its blocks (kind, start, length) and its figures."""

    def __init__(self, what, algo, start, length, state, unit):
        self.what, self.algo, self.state, self.unit = what, algo, state, unit
        self.start, self.length = start, length
        self.about = ""
        self.blocks = []
        self.figures = {}

    @property
    def key(self):
        return "%s-%s" % (self.what, self.state)


def parse(lines):
    """Maps and the config line found in @lines, in order."""
    maps, cur, config = [], None, None
    for raw in lines:
        line = raw.strip()
        m = CONFIG_RE.match(line)
        if m:
            config = {"heap": m.group(1), "heap_kib": int(m.group(2)), "frames": m.group(3)}
        if not line.startswith("map: "):
            continue
        f = line[5:].split(" ")
        if f[0] == "heap":
            cur = Map("heap", f[1], 0, int(f[2]), f[3], "bytes")
            maps.append(cur)
        elif f[0] == "frames":
            cur = Map("frames", f[1], int(f[2]), int(f[3]), f[4], "frames")
            maps.append(cur)
        elif f[0] == "about" and cur:
            cur.about = " ".join(f[2:])
        elif f[0] in ("h", "f") and cur:
            cur.blocks.append((f[1], int(f[2]), int(f[3])))
        elif f[0] == "end" and cur:
            cur.figures = {k: int(v) for k, v in (kv.split("=") for kv in f[3:])}
            cur = None
        elif f[0] == "error":
            sys.stderr.write("mapviz: the kernel reported: %s\n" % line)
    return maps, config


def read_log(path):
    if path == "-":
        return parse(sys.stdin)
    with open(path, errors="replace") as f:
        return parse(f)


# --------------------------------------------------------------------------
# Figures and labels

def human(n, unit="bytes"):
    if unit == "frames":
        return "%d frames (%s)" % (n, human(n * 4096))
    for suffix, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return "%.1f %s" % (n / size, suffix)
    return "%d B" % n


def title_of(m):
    fig = m.figures
    if m.what == "heap":
        head = "%s heap, %s: %s" % (m.algo, human(m.length), m.state)
        body = "free %s (%.1f%%), largest free block %s, %d free blocks" % (
            human(fig.get("free", 0)), 100.0 * fig.get("free", 0) / m.length,
            human(fig.get("largest_block", 0)), fig.get("free_blocks", 0))
        if fig.get("reserved"):
            body += "\n%d live blocks: asked %s, took %s (%.1f%% lost to rounding and headers)" % (
                fig.get("live", 0), human(fig.get("requested", 0)), human(fig["reserved"]),
                100.0 * (fig["reserved"] - fig.get("requested", 0)) / fig["reserved"])
        return head + "\n" + body
    head = "%s frames, %s of RAM: %s" % (m.algo, human(m.length * 4096), m.state)
    body = "free %s, largest free run %s, %d free runs" % (
        human(fig.get("free", 0), "frames"), human(fig.get("largest_run", 0), "frames"),
        fig.get("free_runs", 0))
    return head + "\n" + body


# --------------------------------------------------------------------------
# Drawing

def rows_for(m):
    """Rows to wrap a map into: about 64 for a heap, more for large RAM."""
    if m.what == "heap":
        return 64
    return 64 if m.length <= 65536 else 128


def draw_map(ax, m, rows=None, small=False):
    """Draw @m on @ax as @rows wrapped strips; returns the kinds drawn."""
    from matplotlib.patches import Rectangle
    from matplotlib.collections import PatchCollection

    rows = rows or rows_for(m)
    per_row = -(-m.length // rows)
    patches, colours, kinds, shade = [], [], set(), 0
    for kind, start, size in m.blocks:
        pos, end = start - m.start, start - m.start + size
        palette = COLOURS.get(kind, ("#ff00ff",))
        colour = palette[shade % len(palette)]
        shade = shade + 1 if kind == "U" else 0
        kinds.add(kind)
        while pos < end:
            row, col = divmod(pos, per_row)
            width = min(end - pos, per_row - col)
            patches.append(Rectangle((col, row), width, 0.9))
            colours.append(colour)
            pos += width
    ax.add_collection(PatchCollection(patches, facecolors=colours, edgecolors="none",
                                      linewidths=0))
    ax.set_xlim(0, per_row)
    ax.set_ylim(rows, -0.1)
    ax.set_xticks([])
    step = max(1, rows // 4)
    ticks = list(range(0, rows, step))
    ax.set_yticks([t + 0.45 for t in ticks])
    if m.what == "heap":
        ax.set_yticklabels([human(t * per_row) for t in ticks], fontsize=7)
        ax.set_ylabel("offset (row start)", fontsize=7)
    else:
        ax.set_yticklabels(["0x%x" % ((m.start + t * per_row) * 4096) for t in ticks], fontsize=7)
        ax.set_ylabel("physical address", fontsize=7)
    ax.set_xlabel("each row: %s, left to right" % human(per_row, m.unit if m.what == "frames"
                                                         else "bytes"), fontsize=7)
    ax.set_title(title_of(m), fontsize=7 if small else 8, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return kinds


def legend(fig, kinds):
    from matplotlib.patches import Patch
    order = [k for k in ("U", "F", "M", "K") if k in kinds]
    fig.legend(handles=[Patch(facecolor=COLOURS[k][0], edgecolor="#999999", label=LABELS[k])
                        for k in order], loc="lower center", ncol=len(order), fontsize=8,
               frameon=False)


def figure(n_rows, n_cols, width, height):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(width, height), squeeze=False)
    return plt, fig, axes


def save(plt, fig, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("  MAP     %s" % path)


def render_log(maps, path, caption=None):
    """All maps of one boot, one under the other."""
    plt, fig, axes = figure(len(maps), 1, 10, 3.6 * len(maps) + 0.6)
    kinds = set()
    for ax, m in zip(axes[:, 0], maps):
        kinds |= draw_map(ax, m)
    if caption:
        fig.suptitle(caption, fontsize=9)
    legend(fig, kinds)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97 if caption else 1))
    save(plt, fig, path)


def render_split(maps, outdir, ext):
    """One image per map, named <algo>-<heap|frames>-<state>.<ext>."""
    for m in maps:
        plt, fig, axes = figure(1, 1, 10, 4.2)
        kinds = draw_map(axes[0, 0], m)
        legend(fig, kinds)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        save(plt, fig, os.path.join(outdir, "%s-%s-%s.%s" % (m.algo, m.what, m.state, ext)))


def render_grid(logs, path):
    """One row per log, one column per kind of map (heap states, frames)."""
    cols = []
    for maps, _ in logs:
        for m in maps:
            if m.key not in cols:
                cols.append(m.key)
    plt, fig, axes = figure(len(logs), len(cols), 6 * len(cols), 3.4 * len(logs) + 0.6)
    kinds = set()
    for r, (maps, name) in enumerate(logs):
        by_key = {m.key: m for m in maps}
        for c, key in enumerate(cols):
            ax = axes[r, c]
            if key in by_key:
                kinds |= draw_map(ax, by_key[key], small=True)
            else:
                ax.axis("off")
        axes[r, 0].annotate(name, xy=(0, 0.5), xycoords="axes fraction", xytext=(-48, 0),
                            textcoords="offset points", rotation=90, va="center",
                            ha="right", fontsize=9, weight="bold")
    legend(fig, kinds)
    fig.tight_layout(rect=(0.02, 0.03, 1, 1))
    save(plt, fig, path)


# --------------------------------------------------------------------------
# make maps

def boot_maps(config, srctree, out, mem="128M", timeout=300):
    """Build @config (a .config file) with CONFIG_BENCH, boot with map=all.
    Returns the path of the boot log, or exits with the reason."""
    import argparse as ap
    import shutil
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench
    import ktest_runner

    obj = os.path.join(out, "obj")
    os.makedirs(obj, exist_ok=True)
    shutil.copyfile(config, os.path.join(obj, ".config"))
    ok, log = bench.build(srctree, obj, "olddefconfig")
    if not ok:
        sys.stdout.write(log[-3000:])
        sys.exit("mapviz: building %s with CONFIG_BENCH=y failed" % config)
    ns = ap.Namespace(qemu=os.environ.get("QEMU", "qemu-system-riscv64"),
                      bios=ktest_runner.BIOS, mem=mem, timeout=timeout, icount=False)
    res = ktest_runner.boot(ns, os.path.join(obj, "mmlab.elf"), "map=all", echo=False)
    path = os.path.join(out, "map.log")
    with open(path, "w") as f:
        f.write("\n".join(res.lines) + "\n")
    if res.timed_out or res.panic or res.status not in (0, None):
        sys.exit("mapviz: the map boot failed (see %s): %s" % (
            path, res.panic or ("timeout" if res.timed_out else "exit status %s" % res.status)))
    print("  QEMU    map=all -> %s" % path)
    return path


# --------------------------------------------------------------------------

def log_name(path, config):
    if config:
        return "%s heap, %s frames" % (config["heap"], config["frames"])
    return os.path.basename(os.path.dirname(os.path.abspath(path))) or path


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
        args.logs = [boot_maps(os.path.abspath(args.boot), os.path.abspath(args.srctree), out)]
        args.output = args.output or os.path.join(out, "maps.png")
        args.split = args.split or out
    if not args.logs:
        p.error("give at least one log, or --boot CONFIG")
    if not (args.output or args.split or args.grid):
        p.error("say where to draw: -o FILE, --split DIR or --grid FILE")

    logs = []
    for path in args.logs:
        maps, config = read_log(path)
        maps = [m for m in maps if m.figures and args.only in (None, m.what)]  # whole maps
        if not maps:
            sys.exit("mapviz: %s: no complete map (boot with map=all and CONFIG_BENCH=y)" % path)
        logs.append((maps, log_name(path, config)))
    if args.output:
        if len(logs) != 1:
            p.error("-o draws one log; use --grid for several")
        render_log(logs[0][0], args.output, logs[0][1])
    if args.split:
        for maps, _ in logs:
            render_split(maps, args.split, args.format)
    if args.grid:
        render_grid(logs, args.grid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
