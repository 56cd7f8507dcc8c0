# SPDX-License-Identifier: MIT
"""The plots of `make bench`: heap instructions per operation, heap
utilisation at the first failure, frame cost against fill level."""
import os

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mmlab.results import FILL_LEVELS, HEAP_WORKLOADS, metric, per_op, series  # noqa: E402


def plots(out, results):
    """Draw the three plots of @results into @out. Return: their paths."""
    names = list(results)
    width = 0.8 / max(1, len(names))
    paths = []

    fig, ax = plt.subplots(figsize=(11, 5))
    for i, name in enumerate(names):
        vals = [per_op(results[name].get("128M", []), w) or 0 for w in HEAP_WORKLOADS]
        ax.bar([x + i * width for x in range(len(HEAP_WORKLOADS))], vals, width, label=name)
    ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(HEAP_WORKLOADS))])
    ax.set_xticklabels([w.replace("heap_", "") for w in HEAP_WORKLOADS])
    ax.set_ylabel("guest instructions per kmalloc/kfree (mean)")
    ax.set_title("Heap: instructions per operation by workload and configuration")
    ax.legend(fontsize=7)
    paths.append(savefig(fig, out, "heap_instr_per_op.png"))

    fig, ax = plt.subplots(figsize=(9, 5))
    kinds = [("heap_fill", "16-256 B"), ("heap_fill_logu", "log-uniform 8 B-64 KiB")]
    for i, (w, label) in enumerate(kinds):
        vals = [metric(results[n].get("128M", []), w, "util") or 0 for n in names]
        ax.bar([x + i * 0.4 for x in range(len(names))], vals, 0.4, label=label)
    ax.set_xticks([x + 0.2 for x in range(len(names))])
    ax.set_xticklabels([n.replace("_defconfig", "") for n in names], rotation=30, ha="right",
                       fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("requested bytes / heap size at first failure")
    ax.set_title("Heap utilisation at the first failed allocation")
    ax.legend()
    fig.tight_layout()
    paths.append(savefig(fig, out, "heap_util.png"))

    fig, ax = plt.subplots(figsize=(9, 5))
    for i, name in enumerate(names):
        color = "C%d" % (i % 10)
        for mem, style in (("128M", "-"), ("2G", "--")):
            recs = results[name].get(mem, [])
            vals = [series(recs, "frames_fill%d" % lv, "pair") for lv in FILL_LEVELS]
            if all(vals):
                ax.plot(FILL_LEVELS, [v["mean"] for v in vals], style, marker="o", color=color,
                        label="%s %s" % (name.replace("_defconfig", ""), mem))
    ax.set_xlabel("fill level (% of free frames allocated)")
    ax.set_ylabel("instructions per frame_alloc + frame_free")
    ax.set_yscale("log")
    ax.set_title("Frames: one-frame alloc+free against fill (solid 128 MiB, dashed 2 GiB)")
    ax.legend(fontsize=7)
    paths.append(savefig(fig, out, "frames_fill.png"))
    return paths


def savefig(fig, out, name):
    """Write @fig as @out/@name and free it. Return: the path."""
    path = os.path.join(out, name)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
