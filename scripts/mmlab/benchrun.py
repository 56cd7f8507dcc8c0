# SPDX-License-Identifier: MIT
"""`make bench` as a whole: every configuration built (in OUT/<config>/),
booted twice, its records kept; results.json, results.csv, table.md and the
plots written into the run's own folder OUT/runs/NAME/ (OUT/latest points at
the last run); then each image booted once more with map=all and its maps
drawn into OUT/runs/NAME/maps/ (grid.png plus one folder per configuration);
with an animated trace, each booted again replaying it, and
OUT/runs/NAME/maps/replay-TRACE.gif drawn (animate.py).
"""
import json
import os
import sys
import time

from mmlab import animate, bench, mapdraw, maps, plots, results

BOOTS = [("128M", "bench=all"), ("2G", "bench=frames")]
DETERMINISM_WORKLOAD = "heap_churn"


def bench_config(srctree, out, config, traces, timeout, current=None):
    """Build and boot one configuration. Return: (run or None, problems)."""
    d = bench.config_dir(out, config)
    ok, log = bench.build_image(srctree, d, config, traces, current)
    if not ok:
        sys.stdout.write(log[-3000:])
        return None, ["build failed"]
    run, notes = {}, []
    for mem, request in BOOTS:
        recs, res = bench.boot(os.path.join(d, "mmlab.elf"), mem, request, timeout)
        with open(os.path.join(d, "bench-%s.log" % mem), "w") as f:
            f.write("\n".join(res.lines) + "\n")
        run[mem] = recs
        why = bench.problems(recs, res)
        if why:
            notes.append("%s: %s" % (mem, "; ".join(why)))
    return run, notes


def run_dir_make(out, name):
    """Create OUT/runs/@name (a timestamp when None) and point OUT/latest at it.
    Return: its path."""
    name = name or time.strftime("%Y%m%d-%H%M%S")
    d = os.path.join(out, "runs", name)
    os.makedirs(d, exist_ok=True)
    link = os.path.join(out, "latest")
    if os.path.islink(link):
        os.remove(link)
    if not os.path.exists(link):
        os.symlink(os.path.join("runs", name), link)
    return d


def run_all(srctree, out, configs, traces, timeout, name=None, current=None, animated=None):
    """Benchmark @configs (defconfig names, or bench.CURRENT for the .config
    file @current), replaying the trace files @traces, as the run @name;
    with @animated (the NAME of one of @traces), draw its replay animated.
    Return: the exit status (1 if any configuration failed to build, boot
    cleanly or draw its maps)."""
    found, failed = {}, []
    start = time.time()
    rundir = run_dir_make(out, name)
    for config in configs:
        t0 = time.time()
        run, notes = bench_config(srctree, out, config, traces, timeout, current)
        if notes:
            failed.append(config)
        if run is None:
            print("  %-28s BUILD FAILED" % config, flush=True)
            continue
        found[config] = run
        h = results.headline(run)
        print("  %-28s churn %s instr/op, util %s/%s, frame pair %s/%s  %5.1fs%s" % (
            config, results.fmt(h["churn instr/op"]), results.fmt(h["util 16-256"]),
            results.fmt(h["util log-uniform"]), results.fmt(h["frame pair 0% (128M)"]),
            results.fmt(h["frame pair 99% (2G)"]), time.time() - t0,
            ("  FAILED: " + " | ".join(notes)) if notes else ""), flush=True)
    with open(os.path.join(rundir, "results.json"), "w") as f:
        json.dump(found, f, indent=1, sort_keys=True)
    results.write_csv(os.path.join(rundir, "results.csv"), found)
    table = results.markdown_table(found) if found else ""
    if results.trace_names(found):
        table += ("\nTrace replays: guest instructions per call (mean over kmalloc, kcalloc, krealloc "
                  "and kfree) and the worst call:\n\n" + results.trace_table(found))
    with open(os.path.join(rundir, "table.md"), "w") as f:
        f.write(table)
    pngs = plots.plots(rundir, found) if found else []
    print("\nResults in %s (results.json, results.csv, table.md, %s), %.0f s\n"
          % (rundir, ", ".join(os.path.basename(p) for p in pngs), time.time() - start))
    sys.stdout.write(table)
    failed += draw_maps(out, rundir, found, timeout)
    if animated and found:
        failed += animate.animate_run(out, rundir, found, animated, timeout)[1]
    if failed:
        print("\nbench: failed: %s" % " ".join(sorted(set(failed))))
    return 1 if failed else 0


def draw_maps(out, rundir, found, timeout):
    """Boot every benchmarked image (in OUT/<config>) with map=all; draw
    @rundir/maps/. Return: the configurations whose map boot failed."""
    logs, failed = [], []
    for config in found:
        d = bench.config_dir(out, config)
        log_path = os.path.join(d, "map.log")
        drawn, res = maps.boot_map_log(os.path.join(d, "mmlab.elf"), log_path, timeout=timeout)
        if res.problems() or not drawn:
            print("  %-28s MAPS FAILED (see %s)" % (config, log_path))
            failed.append(config)
            continue
        name = os.path.basename(d)
        mapdraw.render_split(drawn, os.path.join(rundir, "maps", name), "png")
        logs.append((drawn, name))
    if logs:
        mapdraw.render_grid(logs, os.path.join(rundir, "maps", "grid.png"))
    return failed


def run_determinism(srctree, out, config, timeout):
    """Build @config once, run DETERMINISM_WORKLOAD twice, compare every
    number. Return: the exit status (0: identical)."""
    d = os.path.join(out, "determinism", config)
    ok, log = bench.build_image(srctree, d, config)
    if not ok:
        sys.stdout.write(log[-3000:])
        print("bench: determinism: %s does not build" % config)
        return 1
    runs = []
    for _ in range(2):
        recs, res = bench.boot(os.path.join(d, "mmlab.elf"), "128M",
                               "bench=" + DETERMINISM_WORKLOAD, timeout)
        why = bench.problems(recs, res)
        if why:
            print("bench: determinism: boot failed: %s" % "; ".join(why))
            return 1
        runs.append([r for r in recs if r.get("workload") == DETERMINISM_WORKLOAD])
    if not runs[0] or not any("op" in r for r in runs[0]):
        print("bench: determinism: no %s results" % DETERMINISM_WORKLOAD)
        return 1
    if runs[0] != runs[1]:
        for a, b in zip(runs[0], runs[1]):
            if a != b:
                print("bench: determinism: differs:\n  %s\n  %s" % (json.dumps(a), json.dumps(b)))
        return 1
    s = results.series(runs[0], DETERMINISM_WORKLOAD, "kmalloc")
    print("bench: determinism: %s %s identical twice (kmalloc sum %d over %d calls)"
          % (config, DETERMINISM_WORKLOAD, s["sum"], s["count"]))
    return 0
