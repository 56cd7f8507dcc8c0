# SPDX-License-Identifier: MIT
"""`make bench SMP=1,2,4,8`: how frame alloc+free pairs and heap churn scale
with harts, with and without the per-hart caches.

One configuration (defconfig unless CONFIGS names others) is built twice
with CONFIG_SMP, CONFIG_LOCK_STAT and CONFIG_BENCH: as it is, and with
CONFIG_FRAME_PCP and CONFIG_HEAP_PCPU_CACHE. Each image runs "bench=locks"
(bench/locks.c) on every hart count twice:

- under -icount shift=0, where QEMU runs the harts in turn: instructions
  per operation are exact (the whole machine's instructions over all
  harts' operations: what an operation costs its hart, waiting included),
  and the spins count lock-holder preemption (a hart whose turn ends
  inside a critical section);
- in parallel (multi-threaded TCG, host threads): spins per operation from
  real simultaneous access. These depend on the host and its load: they
  are measured, not exact.

Results: OUT/scaling.json, OUT/scaling.md (the table) and OUT/scaling.png.
"""
import json
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mmlab import bench, build, qemu  # noqa: E402

VARIANTS = [
    ("no caches", ["CONFIG_SMP=y", "CONFIG_LOCK_STAT=y"]),
    ("caches", ["CONFIG_SMP=y", "CONFIG_LOCK_STAT=y", "CONFIG_FRAME_PCP=y",
                "CONFIG_HEAP_PCPU_CACHE=y"]),
]
# workload -> the global lock its operations contend on
WORKLOADS = {"smp_frame_pairs": "frame_lock", "smp_heap_churn": "heap_lock"}
MODES = [("icount", True), ("parallel", False)]


def parse_harts(text):
    """"1,2,4,8" -> [1, 2, 4, 8]; raises ValueError on anything else."""
    harts = [int(x) for x in text.split(",") if x.strip()]
    if not harts or any(n < 1 or n > 8 for n in harts):
        raise ValueError("SMP= wants hart counts from 1 to 8, comma-separated: %r" % text)
    return harts


def metrics(recs, workload):
    """The {metric: record} of @workload in the bench records @recs."""
    return {r["metric"]: r for r in recs if r.get("workload") == workload and "metric" in r}


def measure(elf, harts, icount, timeout):
    """Boot @elf on @harts harts with "bench=locks". Return: ({workload:
    {insns_per_op, acquired, contended, spins_per_op}}, problems)."""
    opts = qemu.QemuOptions(mem="128M", timeout=timeout, icount=icount, smp=harts)
    res = qemu.boot(opts, elf, "bench=locks")
    recs = bench.records(res.lines)
    why = bench.problems(recs, res)
    if not icount:      # the runner's check that the clock is exact cannot pass here
        why = [w for w in why if "overhead: probes differ" not in w]
    out = {}
    for w, lock in WORKLOADS.items():
        m = metrics(recs, w)
        if "insns_per_op" not in m or m.get("harts", {}).get("value") != harts:
            why.append("%s: no results for %d harts" % (w, harts))
            continue
        out[w] = {"insns_per_op": m["insns_per_op"]["value"], "ops": m["insns_per_op"]["den"],
                  "acquired": m[lock + ".acquired"]["value"],
                  "contended": m[lock + ".contended"]["value"],
                  "spins_per_op": m[lock + ".spins_per_op"]["value"]}
    return out, why


def run_scaling(srctree, out, configs, harts, timeout):
    """Build @configs[0] (or defconfig) in both VARIANTS, measure each on
    every count in @harts, write the table and plot. Return: exit status."""
    config = configs[0] if configs else "defconfig"
    rows, failed = [], []
    for variant, force in VARIANTS:
        d = os.path.join(out, "scaling", "%s-%s" % (config.replace("_defconfig", ""),
                                                   variant.replace(" ", "-")))
        ok, log = build.build_config(srctree, d, config, force=[bench.BENCH_ON] + force)
        if not ok:
            sys.stdout.write(log[-3000:])
            failed.append("%s %s: build failed" % (config, variant))
            continue
        for n in harts:
            for mode, icount in MODES:
                got, why = measure(os.path.join(d, "mmlab.elf"), n, icount, timeout)
                failed += ["%s %s %d harts %s: %s" % (config, variant, n, mode, w) for w in why]
                for w, vals in got.items():
                    rows.append(dict(vals, config=config, variant=variant, harts=n,
                                     mode=mode, workload=w))
                print("  %-10s %-9s %d harts %-8s %s" % (config, variant, n, mode, "  ".join(
                    "%s %.1f insns/op %.3g spins/op" % (w.replace("smp_", ""), v["insns_per_op"],
                                                        v["spins_per_op"])
                    for w, v in got.items())), flush=True)
    with open(os.path.join(out, "scaling.json"), "w") as f:
        json.dump(rows, f, indent=1, sort_keys=True)
    table = scaling_table(rows, harts)
    with open(os.path.join(out, "scaling.md"), "w") as f:
        f.write(table)
    png = scaling_plot(out, rows, harts) if rows else None
    print("\nResults in %s (scaling.json, scaling.md%s)\n" % (out, ", scaling.png" if png else ""))
    sys.stdout.write(table)
    for why in failed:
        print("bench: scaling: " + why)
    return 1 if failed else 0


def row_of(rows, workload, variant, harts, mode):
    """The measured row, or None."""
    for r in rows:
        if (r["workload"], r["variant"], r["harts"], r["mode"]) == (workload, variant, harts, mode):
            return r
    return None


def scaling_table(rows, harts):
    """Markdown: per workload, caches and hart count, the icount numbers
    (exact) and the parallel spins per operation (measured)."""
    lines = ["| workload | caches | harts | insns/op (icount, all harts) | global-lock acquisitions "
             "per op | contended | spins/op (icount) | spins/op (parallel) |",
             "|---|---|---|---|---|---|---|---|"]
    for w in WORKLOADS:
        for variant, _ in VARIANTS:
            for n in harts:
                a, p = row_of(rows, w, variant, n, "icount"), row_of(rows, w, variant, n, "parallel")
                if not a:
                    continue
                lines.append("| %s | %s | %d | %.1f | %s | %d | %.4g | %s |" % (
                    w.replace("smp_", ""), variant, n, a["insns_per_op"],
                    acquisitions_per_op(a), a["contended"], a["spins_per_op"],
                    "%.4g" % p["spins_per_op"] if p else "-"))
    return "\n".join(lines) + "\n"


def acquisitions_per_op(row):
    """Global-lock acquisitions per operation of @row, as text."""
    return "%.4g" % (row["acquired"] / row["ops"])


def scaling_plot(out, rows, harts):
    """insns/op (icount) and spins/op (parallel) against harts. Return: the path."""
    fig, axes = plt.subplots(2, len(WORKLOADS), figsize=(11, 7))
    for col, w in enumerate(WORKLOADS):
        for variant, _ in VARIANTS:
            style = "-o" if variant == "caches" else "--s"
            for rowi, (mode, key, label) in enumerate(
                    (("icount", "insns_per_op", "instructions per op (icount, exact)"),
                     ("parallel", "spins_per_op", "spins per op (parallel harts, measured)"))):
                pts = [(n, row_of(rows, w, variant, n, mode)) for n in harts]
                pts = [(n, r[key]) for n, r in pts if r]
                ax = axes[rowi][col]
                ax.plot([n for n, _ in pts], [v for _, v in pts], style, label=variant)
                ax.set_xticks(harts)
                ax.set_ylabel(label, fontsize=8)
                ax.set_xlabel("harts")
        axes[0][col].set_title(w.replace("smp_", "").replace("_", " "))
        axes[1][col].set_yscale("symlog", linthresh=0.01)
        axes[1][col].set_ylim(bottom=0)
        for ax in axes[:, col]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    path = os.path.join(out, "scaling.png")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
