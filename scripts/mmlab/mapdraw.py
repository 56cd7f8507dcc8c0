# SPDX-License-Identifier: MIT
"""Drawing heap and frame maps (maps.Map) with matplotlib.

Each map is drawn as rows that wrap the address space, so the bottom of row
k continues at the start of row k + 1 and blocks of a few hundred bytes stay
visible in a megabyte heap. Neighbouring allocations alternate between two
shades so their boundaries show. The title gives the fragmentation figures
the kernel measured. The format follows the file name (.png or .svg).
"""
import os

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

COLOURS = {
    "U": ("#3a78b5", "#6fa3d6"),  # used: two shades, alternating
    "F": ("#eeeeee",),
    "M": ("#7b4f9d",),
    "K": ("#555555",),
}
LABELS = {"U": "used (an allocation)", "F": "free", "M": "allocator metadata",
          "K": "in use before the workload (firmware, kernel, metadata)"}


def human(n, unit="bytes"):
    """@n bytes (or frames, with @unit "frames") as a short readable size."""
    if unit == "frames":
        return "%d frames (%s)" % (n, human(n * 4096))
    for suffix, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return "%.1f %s" % (n / size, suffix)
    return "%d B" % n


def title_of(m):
    """Two or three title lines for map @m: what it is and its figures."""
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


def rows_for(m):
    """Rows to wrap a map into: about 64 for a heap, more for large RAM."""
    if m.what == "heap":
        return 64
    return 64 if m.length <= 65536 else 128


def draw_map(ax, m, rows=None, small=False):
    """Draw @m on @ax as @rows wrapped strips; returns the kinds drawn."""
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
    """The colour key for the block kinds in @kinds, under the figure."""
    order = [k for k in ("U", "F", "M", "K") if k in kinds]
    fig.legend(handles=[Patch(facecolor=COLOURS[k][0], edgecolor="#999999", label=LABELS[k])
                        for k in order], loc="lower center", ncol=len(order), fontsize=8,
               frameon=False)


def figure(n_rows, n_cols, width, height):
    """A figure of @n_rows x @n_cols axes, @width x @height inches. Return: (fig, axes)."""
    return plt.subplots(n_rows, n_cols, figsize=(width, height), squeeze=False)


def save(fig, path):
    """Write @fig to @path (making its directory), free it, say so."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("  MAP     %s" % path)


def render_log(maps, path, caption=None):
    """All maps of one boot, one under the other."""
    fig, axes = figure(len(maps), 1, 10, 3.6 * len(maps) + 0.6)
    kinds = set()
    for ax, m in zip(axes[:, 0], maps):
        kinds |= draw_map(ax, m)
    if caption:
        fig.suptitle(caption, fontsize=9)
    legend(fig, kinds)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97 if caption else 1))
    save(fig, path)


def render_split(maps, outdir, ext):
    """One image per map, named <algo>-<heap|frames>-<state>.<ext>."""
    for m in maps:
        fig, axes = figure(1, 1, 10, 4.2)
        kinds = draw_map(axes[0, 0], m)
        legend(fig, kinds)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        save(fig, os.path.join(outdir, "%s-%s-%s.%s" % (m.algo, m.what, m.state, ext)))


def render_grid(logs, path):
    """One row per log, one column per kind of map (heap states, frames)."""
    cols = []
    for maps, _ in logs:
        for m in maps:
            if m.key not in cols:
                cols.append(m.key)
    fig, axes = figure(len(logs), len(cols), 6 * len(cols), 3.4 * len(logs) + 0.6)
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
    save(fig, path)
