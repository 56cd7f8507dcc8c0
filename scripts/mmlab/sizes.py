# SPDX-License-Identifier: MIT
"""`make bench HEAP_SIZES=64K,1M,8M,64M`: how a heap call's cost grows with
the heap. Each configuration is built once per heap size (CONFIG_HEAP_SIZE
forced, in OUT/<config>-heap<SIZE>/), booted with "bench=heap", and its mean
and worst call per workload collected. The run's folder gets sizes.json,
sizes.md (one table per heap algorithm: a row per heap size) and
heap_sizes_ALGO.png (mean and worst per call against heap size).

A bounded algorithm's worst call may grow at most with the logarithm of the
heap size: the plots use a logarithmic size axis, so that is a straight line
at most.
"""
import json
import os
import re
import sys
import time

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mmlab import bench, benchrun, plots, results  # noqa: E402

# The workloads of the table, in order: (workload, column title).
WORKLOADS = [("heap_lab", "lab"), ("heap_churn", "churn"), ("heap_logu", "logu"), ("heap_align", "align"),
             ("heap_fill", "fill 16-256"), ("heap_fill_logu", "fill logu"),
             ("heap_worst", "worst case")]
UNITS = {"": 1, "K": 1024, "M": 1024 * 1024}
MIB = 1024 * 1024


def parse_sizes(text):
    """"64K,1M,8M,64M" as a list of byte counts. Raises ValueError naming a
    size that is not a number with an optional K or M."""
    sizes = []
    for word in text.replace(" ", ",").split(","):
        if not word:
            continue
        m = re.fullmatch(r"(\d+)([KkMm]?)", word)
        if not m:
            raise ValueError("heap size %r is not a number with an optional K or M" % word)
        sizes.append(int(m.group(1)) * UNITS[m.group(2).upper()])
    if not sizes:
        raise ValueError("no heap sizes in %r" % text)
    return sizes


def size_label(size):
    """A heap size as 64K, 1M, 64M (or bytes when it is not a whole KiB)."""
    if size % MIB == 0:
        return "%dM" % (size // MIB)
    return "%dK" % (size // 1024) if size % 1024 == 0 else "%d" % size


def ram_for(size):
    """RAM to boot a @size heap with: the heap, the workloads' private copy and
    tables (from frames) and room to spare; 128M at least."""
    return "%dM" % max(128, 8 * size // MIB)


def sweep_one(srctree, out, config, size, timeout):
    """Build @config with a @size-byte heap and run its heap workloads.
    Return: (records or None, problems)."""
    d = "%s-heap%s" % (bench.config_dir(out, config), size_label(size))
    ok, log = bench.build_image(srctree, d, config, extra=["CONFIG_HEAP_SIZE=%d" % size])
    if not ok:
        sys.stdout.write(log[-3000:])
        return None, ["build failed"]
    recs, res = bench.boot(os.path.join(d, "mmlab.elf"), ram_for(size), "bench=heap", timeout)
    with open(os.path.join(d, "bench-heap.log"), "w") as f:
        f.write("\n".join(res.lines) + "\n")
    return recs, bench.problems(recs, res)


def algo_of(recs, config):
    """The heap algorithm a boot reports (the configuration's name if none)."""
    for r in recs:
        if "config" in r:
            return r["config"].get("heap", config)
    return config


def figures(recs):
    """{workload: (mean per call, worst call)} over kmalloc and kfree."""
    return {w: (results.per_op(recs, w), results.worst(recs, [w])) for w, _ in WORKLOADS}


def markdown(sweep):
    """One table per algorithm of @sweep ({algo: {size: figures}})."""
    head = " | ".join("%s mean | %s worst" % (t, t) for _, t in WORKLOADS)
    out = []
    for algo, by_size in sweep.items():
        out += ["#### %s" % algo, "", "| heap | %s |" % head,
                "|---|" + "---|" * (2 * len(WORKLOADS))]
        for size in sorted(by_size):
            f = by_size[size]
            cells = " | ".join("%s | %s" % (results.fmt(f[w][0]), results.fmt(f[w][1]))
                               for w, _ in WORKLOADS)
            out.append("| %s | %s |" % (size_label(size), cells))
        out.append("")
    return "\n".join(out)


def plot(rundir, algo, by_size):
    """heap_sizes_@algo.png: mean and worst per call of each workload against
    heap size. Return: its path."""
    fig, (mean_ax, worst_ax) = plt.subplots(1, 2, figsize=(12, 5))
    sizes = sorted(by_size)
    for i, (w, title) in enumerate(WORKLOADS):
        for ax, k in ((mean_ax, 0), (worst_ax, 1)):
            pts = [(s, by_size[s][w][k]) for s in sizes if by_size[s][w][k] is not None]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color="C%d" % i,
                        label=title)
    for ax, what in ((mean_ax, "mean per call"), (worst_ax, "worst single call")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes)
        ax.set_xticklabels([size_label(s) for s in sizes])
        ax.set_xlabel("heap size (log scale)")
        ax.set_ylabel("guest instructions, " + what)
        ax.set_ylim(bottom=0)
        ax.set_title("%s: %s" % (algo, what))
    worst_ax.legend(title="workload")
    fig.tight_layout()
    return plots.savefig(fig, rundir, "heap_sizes_%s.png" % algo)


def run_sizes(srctree, out, configs, sizes, timeout, name=None):
    """Benchmark the heap workloads of @configs at every heap size in @sizes
    (bytes), as the run @name. Return: the exit status (1 if any build or
    boot failed)."""
    start, failed, sweep = time.time(), [], {}
    rundir = benchrun.run_dir_make(out, name)
    for config in configs:
        for size in sizes:
            t0 = time.time()
            recs, why = sweep_one(srctree, out, config, size, timeout)
            if recs is None or why:
                failed.append("%s at %s" % (config, size_label(size)))
            if recs is None:
                print("  %-28s %4s  BUILD FAILED" % (config, size_label(size)), flush=True)
                continue
            algo = algo_of(recs, config)
            sweep.setdefault(algo, {})[size] = figures(recs)
            f = sweep[algo][size]
            print("  %-28s %4s  churn %s/%s, worst case %s/%s  %5.1fs%s" % (
                config, size_label(size), results.fmt(f["heap_churn"][0]),
                results.fmt(f["heap_churn"][1]), results.fmt(f["heap_worst"][0]),
                results.fmt(f["heap_worst"][1]), time.time() - t0,
                ("  FAILED: " + "; ".join(why)) if why else ""), flush=True)
    with open(os.path.join(rundir, "sizes.json"), "w") as f:
        json.dump(sweep, f, indent=1, sort_keys=True)
    table = markdown(sweep)
    with open(os.path.join(rundir, "sizes.md"), "w") as f:
        f.write(table)
    pngs = [plot(rundir, algo, by_size) for algo, by_size in sweep.items()]
    print("\nResults in %s (sizes.json, sizes.md, %s), %.0f s\n"
          % (rundir, ", ".join(os.path.basename(p) for p in pngs), time.time() - start))
    sys.stdout.write(table)
    if failed:
        print("\nbench: failed: %s" % ", ".join(failed))
    return 1 if failed else 0
