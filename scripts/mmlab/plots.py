# SPDX-License-Identifier: MIT
"""The plots of `make bench`, one question each:

- heap_instr_per_op.png  what does a heap call cost, per workload?
- heap_worst.png         what is the worst single heap call?
- heap_util.png          how much of the heap is usable before a failure?
- frames_fill.png        what does a frame alloc+free cost as memory fills?
- trace_frag_NAME.png    how does fragmentation evolve over a real trace?

Heap figures depend only on the heap algorithm (and the heap size), frame
figures only on the frame allocator, so configurations are grouped that way:
one bar or line per algorithm, named once in the legend.
"""
import os

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mmlab.results import (FILL_LEVELS, HEAP_WORKLOADS, TRACE_OPS, TRACE_PREFIX,  # noqa: E402
                           metric, per_op, series, trace_names, trace_summary, worst)

DEFAULT_HEAP = 8 * 1024 * 1024


def config_of(run):
    """The "config" record of a run's 128M boot ({} when missing)."""
    for r in run.get("128M", []):
        if "config" in r:
            return r["config"]
    return {}


def group(results, label_of):
    """{label: first configuration name with that label}, in order."""
    out = {}
    for name, run in results.items():
        out.setdefault(label_of(name, config_of(run)), name)
    return out


def heap_label(name, cfg):
    """A heap algorithm's name, with its heap size when not the default 8 MiB."""
    size = cfg.get("heap_size", DEFAULT_HEAP)
    label = cfg.get("heap", name)
    return label if size == DEFAULT_HEAP else "%s, %d KiB heap" % (label, size // 1024)


def frames_label(name, cfg):
    return cfg.get("frames", name)


def bars(ax, groups, categories, value):
    """Grouped bars: one colour per group (legend), one cluster per category."""
    width = 0.8 / max(1, len(groups))
    for i, (label, config) in enumerate(groups.items()):
        vals = [value(config, c) for c in categories]
        ax.bar([x + i * width for x in range(len(categories))],
               [v if v is not None else 0 for v in vals], width, label=label, color="C%d" % i)
    ax.set_xticks([x + width * (len(groups) - 1) / 2 for x in range(len(categories))])


def heap_categories(results):
    """Heap workloads and replayed traces that some configuration reports."""
    have = {r.get("workload") for run in results.values() for r in run.get("128M", [])}
    cats = [w for w in HEAP_WORKLOADS if w in have and w not in ("heap_fill", "heap_fill_logu")]
    return cats + trace_names(results)


def heap_ops(workload):
    """The timed calls of a heap workload: kmalloc and kfree, plus kcalloc and krealloc in traces."""
    return TRACE_OPS if workload.startswith(TRACE_PREFIX) else ("kmalloc", "kfree")


def short(workload):
    return workload.replace("heap_", "").replace(TRACE_PREFIX, "trace ")


def plot_cost(out, results, heaps):
    cats = heap_categories(results)
    fig, ax = plt.subplots(figsize=(12, 5))

    def cost(config, w):
        return per_op(results[config].get("128M", []), w, heap_ops(w))
    bars(ax, heaps, cats, cost)
    ax.set_xticklabels([short(w) for w in cats], rotation=20, ha="right")
    ax.set_ylabel("guest instructions per call (mean)")
    ax.set_title("Heap: mean cost of one call, per workload (lower is better)")
    ax.legend(title="heap algorithm")
    fig.tight_layout()
    return savefig(fig, out, "heap_instr_per_op.png")


def plot_worst(out, results, heaps):
    cats = heap_categories(results)
    fig, ax = plt.subplots(figsize=(12, 5))

    def worst_of(config, w):
        return worst(results[config].get("128M", []), [w], heap_ops(w))
    bars(ax, heaps, cats, worst_of)
    ax.set_xticklabels([short(w) for w in cats], rotation=20, ha="right")
    ax.set_yscale("log")    # worst calls span 300 to 300000 instructions
    ax.set_ylabel("guest instructions, largest single call (log scale)")
    ax.set_title("Heap: worst single call, per workload (lower is better; "
                 "trace calloc/realloc include zeroing and copying)")
    ax.legend(title="heap algorithm")
    fig.tight_layout()
    return savefig(fig, out, "heap_worst.png")


def plot_util(out, results, heaps):
    kinds = [("heap_fill", "16-256 B"), ("heap_fill_logu", "log-uniform 8 B-64 KiB")]
    fig, ax = plt.subplots(figsize=(11, 5))
    bars(ax, heaps, kinds, lambda c, k: metric(results[c].get("128M", []), k[0], "util"))
    ax.set_xticklabels(["fill: " + label for _, label in kinds])
    ax.set_ylim(0, 1)
    ax.set_ylabel("requested live bytes / heap size at the first failure")
    ax.set_title("Heap utilisation at the first failed allocation (higher is better)")
    ax.legend(title="heap algorithm", loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return savefig(fig, out, "heap_util.png")


def plot_frames(out, results):
    frames = group(results, frames_label)
    fig, ax = plt.subplots(figsize=(9, 5))
    top = 0
    for i, (label, config) in enumerate(frames.items()):
        for mem, style in (("128M", "-"), ("2G", "--")):
            vals = [series(results[config].get(mem, []), "frames_fill%d" % lv, "pair")
                    for lv in FILL_LEVELS]
            if all(vals):
                top = max([top] + [v["mean"] for v in vals])
                ax.plot(FILL_LEVELS, [v["mean"] for v in vals], style, marker="o",
                        color="C%d" % i, label="%s, %s RAM" % (label, mem.replace("M", " MiB")
                                                              .replace("2G", "2 GiB")))
    ax.set_ylim(0, top * 1.25 or 1)
    ax.set_xlabel("fill level (% of free frames allocated)")
    ax.set_ylabel("guest instructions per frame_alloc + frame_free")
    ax.set_title("Frames: one-frame alloc+free against fill (lower is better)")
    ax.legend(title="frame allocator")
    fig.tight_layout()
    return savefig(fig, out, "frames_fill.png")


def timeline(records, workload):
    """The fragmentation timeline points of one trace replay."""
    return [r for r in records if r.get("workload") == workload and "timeline" in r]


def plot_trace_frag(out, results, workload, heaps):
    """Two panels over the replay: external fragmentation, and heap bytes in
    use. Heaps on which the trace had failed requests are left out: their
    lines would show the failures, not the fragmentation."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    live_drawn = False
    for i, (label, config) in enumerate(heaps.items()):
        recs = results[config].get("128M", [])
        pts = timeline(recs, workload)
        if not pts or (trace_summary(recs, workload) or {}).get("failures"):
            continue
        x = [p["timeline"] for p in pts]
        frag = [1 - p["largest_free"] / p["free"] if p["free"] else 0 for p in pts]
        top.plot(x, frag, color="C%d" % i, label=label)
        bottom.plot(x, [(p["used"]) / 1024 for p in pts], color="C%d" % i, label=label)
        if not live_drawn:
            bottom.plot(x, [p["live"] / 1024 for p in pts], "k--", label="requested (live)")
            live_drawn = True
    top.set_ylim(0, 1)
    top.set_ylabel("external fragmentation\n1 - largest free / free")
    top.set_title("%s: fragmentation over the replay (lower is better; heaps too small "
                  "for the trace left out)" % short(workload))
    top.legend(title="heap algorithm", fontsize=8)
    bottom.set_ylim(bottom=0)
    bottom.set_ylabel("KiB handed out (usable size)")
    bottom.set_xlabel("operations replayed")
    bottom.legend(fontsize=8)
    fig.tight_layout()
    return savefig(fig, out, "trace_frag_%s.png" % workload[len(TRACE_PREFIX):])


def plots(out, results):
    """Draw every plot of @results into @out. Return: their paths."""
    heaps = group(results, heap_label)
    paths = [plot_cost(out, results, heaps), plot_worst(out, results, heaps),
             plot_util(out, results, heaps), plot_frames(out, results)]
    for w in trace_names(results):
        if any(timeline(run.get("128M", []), w) for run in results.values()):
            paths.append(plot_trace_frag(out, results, w, heaps))
    return paths


def savefig(fig, out, name):
    """Write @fig as @out/@name and free it. Return: the path."""
    path = os.path.join(out, name)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
