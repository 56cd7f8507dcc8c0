# SPDX-License-Identifier: MIT
"""`make bench` as a whole: every configuration built, booted twice, its
records kept; results.json, results.csv, table.md and the plots written;
then each image booted once more with map=all and its maps drawn into
OUT/maps/ (grid.png plus one folder per configuration).
"""
import json
import os
import sys
import time

from mmlab import bench, mapdraw, maps, plots, results

BOOTS = [("128M", "bench=all"), ("2G", "bench=frames")]
DETERMINISM_WORKLOAD = "heap_churn"


def bench_config(srctree, out, config, trace, timeout):
    """Build and boot one configuration. Return: (run or None, problems)."""
    d = bench.config_dir(out, config)
    ok, log = bench.build_image(srctree, d, config, trace)
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


def run_all(srctree, out, configs, trace, timeout):
    """Benchmark @configs (defconfig names; every one when empty), replaying
    the trace file @trace when given. Return: the exit status (1 if any
    configuration failed to build, boot cleanly or draw its maps)."""
    found, failed = {}, []
    start = time.time()
    for config in configs:
        t0 = time.time()
        run, notes = bench_config(srctree, out, config, trace, timeout)
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
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(found, f, indent=1, sort_keys=True)
    results.write_csv(os.path.join(out, "results.csv"), found)
    table = results.markdown_table(found) if found else ""
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(table)
    pngs = plots.plots(out, found) if found else []
    print("\nResults in %s (results.json, results.csv, table.md, %s), %.0f s\n"
          % (out, ", ".join(os.path.basename(p) for p in pngs), time.time() - start))
    sys.stdout.write(table)
    failed += draw_maps(out, found, timeout)
    if failed:
        print("\nbench: failed: %s" % " ".join(sorted(set(failed))))
    return 1 if failed else 0


def draw_maps(out, found, timeout):
    """Boot every benchmarked image with map=all; draw OUT/maps/.
    Return: the configurations whose map boot failed."""
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
        mapdraw.render_split(drawn, os.path.join(out, "maps", name), "png")
        logs.append((drawn, name))
    if logs:
        mapdraw.render_grid(logs, os.path.join(out, "maps", "grid.png"))
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
