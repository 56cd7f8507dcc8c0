#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make bench`: build configurations with CONFIG_BENCH=y, boot each under
QEMU with -icount shift=0, collect the kernel's "bench: {json}" lines and
write results.json, results.csv, table.md and plots.

    scripts/bench.py --srctree . --out build/bench
    scripts/bench.py --configs buddy_stack_defconfig first_fit_bitmap_defconfig
    scripts/bench.py --trace tests/traces/churn-20k.trace
    scripts/bench.py --determinism defconfig      # used by make check
    scripts/bench.py --heap-sizes 64K 1M 8M 64M   # cost against heap size

Each configuration is built in OUT/<name>/ and booted twice: with -m 128M
and "bench=all" (every benchmark), and with -m 2G and "bench=frames" (how
frame costs grow with RAM). Instruction counts under -icount shift=0 are
exact, so two runs give the same numbers; --determinism checks exactly that
on one configuration and one heap workload. --heap-sizes builds each
configuration (default: every *_stack_defconfig, one per heap algorithm)
once per CONFIG_HEAP_SIZE and runs the heap workloads on each: one table and
one plot per configuration of mean and worst per call against heap size.
See docs/performance.md.
"""
import argparse
import csv
import glob
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ktest_runner  # noqa: E402

PREFIX = "bench: "
BOOTS = [("128M", "bench=all"), ("2G", "bench=frames")]
HEAP_WORKLOADS = ["heap_lab", "heap_churn", "heap_algo_churn", "heap_logu", "heap_align", "heap_fill",
                  "heap_fill_logu", "heap_worst"]
# Every heap workload that goes through kmalloc/kfree: the "worst heap op" set.
KMALLOC_WORKLOADS = [w for w in HEAP_WORKLOADS if w != "heap_algo_churn"]
FILL_LEVELS = [0, 50, 90, 99]
DETERMINISM_WORKLOAD = "heap_churn"


# --------------------------------------------------------------------------
# Building and booting

# What a calling make (make bench) exports and a fresh build must not inherit.
MAKE_VARS = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "O", "srctree", "objtree",
             "mmlab_in_objtree", "KCONFIG_CONFIG", "CONFIGS", "TRACE", "Q", "quiet", "fixdep",
             "V")


def clean_env():
    """The environment without the calling make's variables (O=, srctree...)."""
    return {k: v for k, v in os.environ.items()
            if k not in MAKE_VARS and not k.startswith("KBUILD_")}


def make(srctree, out_dir, goals, trace=None):
    cmd = ["make", "-C", srctree, "O=" + out_dir, "-j%d" % max(2, os.cpu_count() or 2)] + goals
    if trace:
        cmd.append("TRACE=" + trace)
    proc = subprocess.run(cmd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def build(srctree, out_dir, config, trace=None):
    """Configure @config with CONFIG_BENCH=y forced and build. Returns (ok, log)."""
    # arch/riscv/ first: a parallel build of a fresh tree can otherwise
    # write the linker script before that directory exists.
    os.makedirs(os.path.join(out_dir, "arch", "riscv"), exist_ok=True)
    status, log = make(srctree, out_dir, [config])
    if status == 0 and not config_has_bench(out_dir):
        with open(os.path.join(out_dir, ".config"), "a") as f:
            f.write("CONFIG_BENCH=y\n")
        status, more = make(srctree, out_dir, ["olddefconfig"])
        log += more
    if status == 0:
        status, more = make(srctree, out_dir, ["all"], trace)
        log += more
    if status == 0 and not config_has_bench(out_dir):
        return False, log + "\nCONFIG_BENCH=y did not stick (does Kconfig allow it?)\n"
    return status == 0, log


def config_has_bench(out_dir):
    with open(os.path.join(out_dir, ".config")) as f:
        return "CONFIG_BENCH=y" in f.read().split("\n")


def boot(elf, mem, request, timeout):
    """Boot once; returns (records, BootResult)."""
    ns = argparse.Namespace(qemu=os.environ.get("QEMU", "qemu-system-riscv64"),
                            bios=ktest_runner.BIOS, mem=mem, timeout=timeout, icount=True)
    res = ktest_runner.boot(ns, elf, request, echo=False)
    records = []
    for line in res.lines:
        if line.startswith(PREFIX + "{"):
            records.append(json.loads(line[len(PREFIX):]))
    return records, res


def boot_problems(records, res):
    """Why a boot's results cannot be trusted, or [] when they can."""
    why = []
    if res.timed_out:
        why.append("timeout")
    if res.panic:
        why.append(res.panic)
    if res.status not in (0, None):
        why.append("exit status %s" % res.status)
    why += [l[len(PREFIX):] for l in res.lines if l.startswith(PREFIX + "error")]
    if not any(r.get("done") for r in records):
        why.append("no final 'done' line")
    return why


# --------------------------------------------------------------------------
# Results

def series(records, workload, op):
    for r in records:
        if r.get("workload") == workload and r.get("op") == op:
            return r
    return None


def metric(records, workload, name):
    for r in records:
        if r.get("workload") == workload and r.get("metric") == name:
            return r["value"]
    return None


def per_op(records, workload, ops=("kmalloc", "kfree")):
    """Mean instructions per operation over @ops (exact: from the sums)."""
    found = [s for s in (series(records, workload, op) for op in ops) if s]
    count = sum(s["count"] for s in found)
    return sum(s["sum"] for s in found) / count if count else None


def worst(records, workloads, ops=("kmalloc", "kfree")):
    vals = [s["max"] for w in workloads for s in (series(records, w, op) for op in ops) if s]
    return max(vals) if vals else None


def headline(run):
    """The table's columns for one configuration."""
    small, big = run.get("128M", []), run.get("2G", [])

    def pair(recs, level):
        s = series(recs, "frames_fill%d" % level, "pair")
        return s["mean"] if s else None

    run16 = series(small, "frames_run16", "pair")
    return {
        "lab instr/op": per_op(small, "heap_lab"),
        "churn instr/op": per_op(small, "heap_churn"),
        "churn, algorithm alone": per_op(small, "heap_algo_churn"),
        "logu instr/op": per_op(small, "heap_logu"),
        "align instr/op": per_op(small, "heap_align"),
        "worst heap op": worst(small, KMALLOC_WORKLOADS),
        "util 16-256": metric(small, "heap_fill", "util"),
        "util log-uniform": metric(small, "heap_fill_logu", "util"),
        "frame pair 0% (128M)": pair(small, 0),
        "frame pair 99% (128M)": pair(small, 99),
        "frame pair 99% (2G)": pair(big, 99),
        "16-frame run pair": run16["mean"] if run16 else None,
    }


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float) and v < 10 and v != int(v):
        return "%.3f" % v
    return "%.1f" % v if isinstance(v, float) and v != int(v) else "%d" % v


def markdown_table(results):
    names = list(results)
    cols = list(headline(results[names[0]]).keys()) if names else []
    lines = ["| config | " + " | ".join(cols) + " |",
             "|---|" + "---|" * len(cols)]
    for name in names:
        h = headline(results[name])
        lines.append("| %s | %s |" % (name, " | ".join(fmt(h[c]) for c in cols)))
    return "\n".join(lines) + "\n"


def write_csv(path, results):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["config", "mem", "workload", "op_or_metric", "count", "failures", "mean",
                    "median", "p99", "max", "min", "sum", "value"])
        for name, run in results.items():
            for mem, records in run.items():
                for r in records:
                    if "op" in r:
                        w.writerow([name, mem, r["workload"], r["op"], r["count"], r["failures"],
                                    r["mean"], r["median"], r["p99"], r["max"], r["min"],
                                    r["sum"], ""])
                    elif "metric" in r:
                        w.writerow([name, mem, r["workload"], r["metric"]] + [""] * 8
                                   + [r["value"]])


# --------------------------------------------------------------------------
# Plots

def plots(out, results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    path = os.path.join(out, name)
    fig.savefig(path, dpi=90)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return path


# --------------------------------------------------------------------------
# Modes

def config_list(srctree, wanted):
    """Every defconfig but the debug ones by default: with CONFIG_DEBUG_HEAP the
    heap validates itself after every call, so the workloads take hours and
    measure the checks, not the allocator. Naming one in --configs runs it."""
    have = sorted(os.path.basename(p) for p in glob.glob(os.path.join(srctree, "configs", "*defconfig")))
    if not wanted:
        return [c for c in have if not c.startswith("debug")]
    missing = [c for c in wanted if c not in have]
    if missing:
        sys.exit("bench: no such configuration: %s (have: %s)" % (" ".join(missing), " ".join(have)))
    return wanted


def find_trace(path, srctree):
    if not path:
        return None
    for cand in (path, os.path.join(srctree, path)):
        if os.path.isfile(cand):
            return os.path.abspath(cand)
    sys.exit("bench: trace file %s not found" % path)


def run_all(args, srctree, out):
    results, failed = {}, []
    start = time.time()
    trace = find_trace(args.trace, srctree)
    for config in config_list(srctree, args.configs):
        t0 = time.time()
        d = config_dir(out, config)
        ok, log = build(srctree, d, config, trace)
        if not ok:
            sys.stdout.write(log[-3000:])
            print("  %-28s BUILD FAILED" % config, flush=True)
            failed.append(config)
            continue
        run, notes = {}, []
        for mem, request in BOOTS:
            records, res = boot(os.path.join(d, "mmlab.elf"), mem, request, args.timeout)
            with open(os.path.join(d, "bench-%s.log" % mem), "w") as f:
                f.write("\n".join(res.lines) + "\n")
            run[mem] = records
            why = boot_problems(records, res)
            if why:
                failed.append(config)
                notes.append("%s: %s" % (mem, "; ".join(why)))
        results[config] = run
        h = headline(run)
        print("  %-28s churn %s instr/op, util %s/%s, frame pair %s/%s  %5.1fs%s" % (
            config, fmt(h["churn instr/op"]), fmt(h["util 16-256"]), fmt(h["util log-uniform"]),
            fmt(h["frame pair 0% (128M)"]), fmt(h["frame pair 99% (2G)"]), time.time() - t0,
            ("  FAILED: " + " | ".join(notes)) if notes else ""), flush=True)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    write_csv(os.path.join(out, "results.csv"), results)
    table = markdown_table(results) if results else ""
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(table)
    pngs = plots(out, results) if results else []
    print("\nResults in %s (results.json, results.csv, table.md, %s), %.0f s\n"
          % (out, ", ".join(os.path.basename(p) for p in pngs), time.time() - start))
    sys.stdout.write(table)
    failed += maps_step(out, results, args.timeout)
    if failed:
        print("\nbench: failed: %s" % " ".join(sorted(set(failed))))
    return 1 if failed else 0


def config_dir(out, config):
    """Where @config is built: OUT/<name without _defconfig>."""
    return os.path.join(out, config.replace("_defconfig", "") if config != "defconfig" else config)


# --------------------------------------------------------------------------
# Maps: every benchmarked image booted once more with "map=all" (no -icount),
# drawn by scripts/mapviz.py into OUT/maps/ (grid.png, one folder per config).

def maps_step(out, results, timeout):
    """Returns the configurations whose map boot failed."""
    import mapviz

    logs, failed = [], []
    for config in results:
        d = config_dir(out, config)
        ns = argparse.Namespace(qemu=os.environ.get("QEMU", "qemu-system-riscv64"),
                                bios=ktest_runner.BIOS, mem="128M", timeout=timeout, icount=False)
        res = ktest_runner.boot(ns, os.path.join(d, "mmlab.elf"), "map=all", echo=False)
        with open(os.path.join(d, "map.log"), "w") as f:
            f.write("\n".join(res.lines) + "\n")
        maps = [m for m in mapviz.parse(res.lines)[0] if m.figures]
        if res.timed_out or res.panic or res.status not in (0, None) or not maps:
            print("  %-28s MAPS FAILED (see %s)" % (config, os.path.join(d, "map.log")))
            failed.append(config)
            continue
        name = os.path.basename(d)
        mapviz.render_split(maps, os.path.join(out, "maps", name), "png")
        logs.append((maps, name))
    if logs:
        mapviz.render_grid(logs, os.path.join(out, "maps", "grid.png"))
    return failed


def run_heap_sizes(args, srctree, out):
    """Build each configuration once per heap size, run the heap workloads,
    and write OUT/heap-sizes/<config>.md and .png: mean and worst per call
    of every kmalloc workload against the heap size."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = args.configs or [c for c in config_list(srctree, None) if c.endswith("_stack_defconfig")]
    config_list(srctree, configs)       # exits on a name that does not exist
    sizes = [ktest_runner.mem_bytes(s) for s in args.heap_sizes]
    base, failed = os.path.join(out, "heap-sizes"), []
    for config in configs:
        rows = {}
        for size in sizes:
            d = os.path.join(base, "%s-%d" % (config_dir(out, config).split(os.sep)[-1], size))
            os.makedirs(os.path.join(d, "arch", "riscv"), exist_ok=True)
            status, log = make(srctree, d, [config])
            if status == 0:
                with open(os.path.join(d, ".config"), "a") as f:
                    f.write("CONFIG_BENCH=y\nCONFIG_HEAP_SIZE=%d\n" % size)
                status, more = make(srctree, d, ["olddefconfig", "all"])
                log += more
            if status != 0 or "CONFIG_HEAP_SIZE=%d" % size not in open(os.path.join(d, ".config")).read():
                sys.stdout.write(log[-3000:])
                failed.append("%s at %d" % (config, size))
                continue
            # The workloads' bookkeeping (tables, samples) comes from frames: 8x the heap is ample.
            mem = "%dM" % max(128, 8 * size >> 20)
            records, res = boot(os.path.join(d, "mmlab.elf"), mem, "bench=heap", args.timeout)
            with open(os.path.join(d, "bench.log"), "w") as f:
                f.write("\n".join(res.lines) + "\n")
            why = boot_problems(records, res)
            if why:
                failed.append("%s at %d: %s" % (config, size, "; ".join(why)))
            rows[size] = {w: (per_op(records, w), worst(records, [w])) for w in KMALLOC_WORKLOADS}
            print("  %-28s heap %8d: churn %s, worst %s" % (config, size, fmt(rows[size]["heap_churn"][0]),
                                                       fmt(worst(records, KMALLOC_WORKLOADS))), flush=True)
        if not rows:
            continue
        name = config.replace("_defconfig", "")
        lines = ["| heap size | " + " | ".join("%s mean / worst" % w.replace("heap_", "") for w in KMALLOC_WORKLOADS) + " |",
                 "|---|" + "---|" * len(KMALLOC_WORKLOADS)]
        for size, r in sorted(rows.items()):
            lines.append("| %d KiB | %s |" % (size >> 10, " | ".join("%s / %s" % (fmt(r[w][0]), fmt(r[w][1]))
                                                               for w in KMALLOC_WORKLOADS)))
        with open(os.path.join(base, name + ".md"), "w") as f:
            f.write("\n".join(lines) + "\n")
        fig, ax = plt.subplots(figsize=(9, 5))
        xs = sorted(rows)
        for i, w in enumerate(KMALLOC_WORKLOADS):
            color = "C%d" % i
            ax.plot(xs, [rows[x][w][0] or 0 for x in xs], "-", marker="o", color=color, label=w + " mean")
            ax.plot(xs, [rows[x][w][1] or 0 for x in xs], "--", marker="x", color=color, label=w + " worst")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels(["%d KiB" % (x >> 10) for x in xs])
        ax.set_xlabel("heap size (CONFIG_HEAP_SIZE)")
        ax.set_ylabel("guest instructions per kmalloc/kfree")
        ax.set_title("%s: mean (solid) and worst (dashed) per call against heap size" % name)
        ax.legend(fontsize=6, ncol=2)
        fig.tight_layout()
        savefig(fig, base, name + ".png")
        print("\n%s\n" % "\n".join(lines))
    if failed:
        print("bench: heap sizes failed: %s" % "; ".join(failed))
    return 1 if failed else 0


def run_determinism(args, srctree, out, config):
    """Build @config once, run one heap workload twice, compare every number."""
    d = os.path.join(out, "determinism", config)
    ok, log = build(srctree, d, config)
    if not ok:
        sys.stdout.write(log[-3000:])
        print("bench: determinism: %s does not build" % config)
        return 1
    runs = []
    for _ in range(2):
        records, res = boot(os.path.join(d, "mmlab.elf"), "128M", "bench=" + DETERMINISM_WORKLOAD,
                            args.timeout)
        why = boot_problems(records, res)
        if why:
            print("bench: determinism: boot failed: %s" % "; ".join(why))
            return 1
        runs.append([r for r in records if r.get("workload") == DETERMINISM_WORKLOAD])
    if not runs[0] or not any("op" in r for r in runs[0]):
        print("bench: determinism: no %s results" % DETERMINISM_WORKLOAD)
        return 1
    if runs[0] != runs[1]:
        for a, b in zip(runs[0], runs[1]):
            if a != b:
                print("bench: determinism: differs:\n  %s\n  %s" % (json.dumps(a), json.dumps(b)))
        return 1
    s = series(runs[0], DETERMINISM_WORKLOAD, "kmalloc")
    print("bench: determinism: %s %s identical twice (kmalloc sum %d over %d calls)"
          % (config, DETERMINISM_WORKLOAD, s["sum"], s["count"]))
    return 0


def main():
    p = argparse.ArgumentParser(description="mmlab: benchmark configurations")
    p.add_argument("--srctree", default=".")
    p.add_argument("--out", default="build/bench")
    p.add_argument("--configs", nargs="*", help="defconfig names (default: every configs/*defconfig)")
    p.add_argument("--trace", help="allocation trace to embed and replay (bench=all runs it)")
    p.add_argument("--determinism", metavar="NAME",
                   help="build NAME, run %s twice, fail on any difference" % DETERMINISM_WORKLOAD)
    p.add_argument("--heap-sizes", nargs="+", metavar="SIZE",
                   help="run the heap workloads with CONFIG_HEAP_SIZE at each SIZE (64K 1M 8M 64M) instead")
    p.add_argument("--timeout", type=float, default=600, help="seconds per boot")
    args = p.parse_args()
    srctree, out = os.path.abspath(args.srctree), os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    if args.determinism:
        return run_determinism(args, srctree, out, args.determinism)
    if args.heap_sizes:
        return run_heap_sizes(args, srctree, out)
    return run_all(args, srctree, out)


if __name__ == "__main__":
    sys.exit(main())
