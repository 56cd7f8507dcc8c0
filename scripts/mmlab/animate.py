# SPDX-License-Identifier: MIT
"""Animated heap maps of one trace replay (`make bench MAPS_ANIMATE=1`).

An image booted with "bench=trace trace.animate=NAME" prints a "map: strip"
line (format in include/bench/map.h) at every point of the replay's
timeline: the heap in equal cells, one character each. Here the strips of
every benchmarked configuration become one animated GIF, a band per
configuration one above the other, so that the algorithms are seen side by
side: where each places blocks, and how the holes grow and close. Bands
whose strips are all identical (the same heap algorithm over other frame
algorithms) are drawn once, their configurations named together, and only
heaps of one size share an animation (a configuration with another heap
size gets one of its own, named after the size).
"""
import os
import re

from PIL import Image, ImageDraw, ImageFont

from mmlab import bench

STRIP_RE = re.compile(r"^map: strip (\S+) (\d+) (\S+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) ([0-9M]+)$")
CELL_PX = 5                 # each cell is a square this many pixels wide
COLUMNS = 128               # cells per row of a band
CAPTION_PX = 14             # height of the caption line above a band
TITLE_PX = 30               # height of the two title lines
FRAME_MS = 100              # each frame shown this long, the last one a second
EMPTY, META = (244, 244, 244), (150, 150, 150)
FULL = (33, 102, 172)       # a cell whose live blocks fill it


class Strip:
    """One frame: the heap of one configuration after @op of @ops operations."""

    def __init__(self, m):
        self.algo, self.trace, self.cells = m.group(1), m.group(3), m.group(10)
        (self.heap, self.op, self.ops, self.live, self.used, self.free,
         self.largest_free) = (int(m.group(i)) for i in (2, 4, 5, 6, 7, 8, 9))


def parse_strips(lines):
    """The strips in the console lines @lines, in order."""
    return [Strip(m) for m in (STRIP_RE.match(l.strip()) for l in lines) if m]


def default_trace(traces):
    """The trace MAPS_ANIMATE=1 means: the first of @traces (file paths), by NAME."""
    return trace_name(sorted(traces)[0]) if traces else None


def trace_name(path):
    """A trace file's NAME, as the kernel calls its replay (trace:NAME)."""
    base = os.path.basename(path)
    return base[:-len(".trace")] if base.endswith(".trace") else base


def colour(c):
    """The RGB colour of one strip character."""
    if c == "M":
        return META
    k = int(c) / 9
    return tuple(round(e + (f - e) * k) for e, f in zip(EMPTY, FULL))


def kib(n):
    """@n bytes in KiB, for a caption."""
    return "%d KiB" % (n // 1024)


def extent(rows):
    """Cells to draw: up to the highest one any frame of any band ever
    used, in whole rows (the rest of the heap stays empty throughout)."""
    top = max((max(s.cells.rfind(c) for c in "123456789M") + 1
               for _, strips in rows for s in strips), default=0)
    return max(COLUMNS, -(-top // COLUMNS) * COLUMNS)


def band_height(cells):
    """Pixels of one band of @cells cells, its caption included."""
    return CAPTION_PX + -(-cells // COLUMNS) * CELL_PX + 6


def draw_band(draw, font, top, label, s, cells):
    """Draw the first @cells cells of strip @s with its caption @label at @top."""
    draw.text((2, top), "%s   live %s, largest free %s"
              % (label, kib(s.live), kib(s.largest_free)), fill=(0, 0, 0), font=font)
    top += CAPTION_PX
    for i, c in enumerate(s.cells[:cells]):
        x, y = (i % COLUMNS) * CELL_PX, top + (i // COLUMNS) * CELL_PX
        draw.rectangle([x, y, x + CELL_PX - 2, y + CELL_PX - 2], fill=colour(c))


def draw_title(draw, font, s, cells):
    """The two lines above the bands: what is replayed, where, and the key."""
    cell = -(-s.heap // len(s.cells))
    draw.text((2, 1), "replay of %s: operation %d of %d" % (s.trace, s.op, s.ops),
              fill=(0, 0, 0), font=font)
    draw.text((2, 15), "first %s of the %s heap, one square per %s: darker is fuller, "
              "grey is metadata" % (kib(cells * cell), kib(s.heap), kib(cell) if cell >= 1024
                                    else "%d bytes" % cell), fill=(90, 90, 90), font=font)


def bands(runs):
    """@runs: (configuration, [Strip]) pairs. Return: (label, strips) bands,
    configurations with the very same strips merged into one band."""
    merged = []
    for config, strips in runs:
        key = [s.cells for s in strips]
        for band in merged:
            if band[2] == key:
                band[0].append(config)
                break
        else:
            merged.append(([config], strips, key))
    return [("%s heap (%s)" % (strips[0].algo, ", ".join(c.replace("_defconfig", "")
                                                        for c in configs)), strips)
            for configs, strips, _ in merged]


def render_gif(runs, path):
    """Write the animation of @runs ((configuration, [Strip]) pairs, every
    list as long) to @path. Return: the number of frames."""
    rows = bands(runs)
    n = min(len(strips) for _, strips in rows)
    cells = extent(rows)
    width = COLUMNS * CELL_PX
    height = TITLE_PX + band_height(cells) * len(rows)
    font = ImageFont.load_default()
    frames = []
    for i in range(n):
        img = Image.new("RGB", (width, height), (255, 255, 255))
        draw = ImageDraw.Draw(img)
        draw_title(draw, font, rows[0][1][i], cells)
        top = TITLE_PX
        for label, strips in rows:
            draw_band(draw, font, top, label, strips[i], cells)
            top += band_height(cells)
        frames.append(img.convert("P", palette=Image.ADAPTIVE, colors=64))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    frames[0].save(path, save_all=True, append_images=frames[1:], loop=0,
                   duration=[FRAME_MS] * (n - 1) + [1000])
    return n


def boot_strips(elf, name, log_path, timeout):
    """Boot @elf replaying its traces with trace.animate=@name; the console
    goes to @log_path. Return: (strips, problems)."""
    recs, res = bench.boot(elf, "128M", "bench=trace trace.animate=" + name, timeout)
    with open(log_path, "w") as f:
        f.write("\n".join(res.lines) + "\n")
    return parse_strips(res.lines), bench.problems(recs, res)


def by_heap_size(runs):
    """@runs grouped by heap size, the most common size first: [(size, runs)]."""
    sizes = {}
    for config, strips in runs:
        sizes.setdefault(strips[0].heap, []).append((config, strips))
    return sorted(sizes.items(), key=lambda kv: (-len(kv[1]), -kv[0]))


def animate_run(out, rundir, configs, name, timeout):
    """Boot every image of @configs (in OUT/<config>) for the replay of
    trace @name and draw @rundir/maps/replay-@name.gif (configurations with
    another heap size: replay-@name-<KiB>K.gif).
    Return: (the main GIF's path or None, the configurations that failed)."""
    runs, failed = [], []
    for config in configs:
        d = bench.config_dir(out, config)
        log_path = os.path.join(d, "animate.log")
        strips, why = boot_strips(os.path.join(d, "mmlab.elf"), name, log_path, timeout)
        if why or not strips:
            print("  %-28s ANIMATION FAILED (see %s): %s"
                  % (config, log_path, "; ".join(why) or "no strips"))
            failed.append(config)
        else:
            runs.append((config, strips))
    paths = []
    for i, (heap, group) in enumerate(by_heap_size(runs)):
        suffix = "" if i == 0 else "-%dK" % (heap // 1024)
        paths.append(os.path.join(rundir, "maps", "replay-%s%s.gif" % (name, suffix)))
        frames = render_gif(group, paths[-1])
        print("Animated replay of %s: %s (%d frames, %d configurations, %s heap)"
              % (name, paths[-1], frames, len(group), kib(heap)))
    return (paths[0] if paths else None), failed
