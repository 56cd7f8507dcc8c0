# SPDX-License-Identifier: MIT
"""Benchmark results: from the records of each configuration's boots to the
headline figures, the markdown table and the CSV file `make bench` writes.

@results maps a configuration name to its run: {RAM size: [records]}, one
entry per boot ("128M" with bench=all, "2G" with bench=frames).
"""
import csv

HEAP_WORKLOADS = ["heap_lab", "heap_churn", "heap_algo_churn", "heap_logu", "heap_align",
                  "heap_fill", "heap_fill_logu", "heap_worst"]
# The workloads through kmalloc/kfree: "worst heap op" is their largest call.
KMALLOC_WORKLOADS = [w for w in HEAP_WORKLOADS if w != "heap_algo_churn"]
FILL_LEVELS = [0, 50, 90, 99]
TRACE_PREFIX = "trace:"
TRACE_OPS = ("kmalloc", "kfree", "kcalloc", "krealloc")


def series(records, workload, op):
    """The record of @op in @workload (count, sum, mean...), or None."""
    for r in records:
        if r.get("workload") == workload and r.get("op") == op:
            return r
    return None


def metric(records, workload, name):
    """The value of metric @name in @workload, or None."""
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
    """The largest single call of @ops over @workloads, or None."""
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


def trace_names(results):
    """The replayed traces ("trace:NAME" workloads) of @results, in name order."""
    return sorted({r["workload"] for run in results.values() for r in run.get("128M", [])
                   if r.get("workload", "").startswith(TRACE_PREFIX) and "op" in r})


def trace_summary(records, workload):
    """The replay summary (allocs, failures, peak_live_bytes...) of @workload, or None."""
    for r in records:
        if r.get("workload") == workload and "summary" in r:
            return r["summary"]
    return None


def trace_figures(records, workload):
    """instr/op, worst call and failed requests of one trace replay."""
    summ = trace_summary(records, workload) or {}
    return {"instr/op": per_op(records, workload, TRACE_OPS),
            "worst": worst(records, [workload], TRACE_OPS),
            "failures": summ.get("failures")}


def trace_table(results):
    """Markdown: per configuration, each real trace's mean instructions per
    call (over kmalloc, kcalloc, krealloc and kfree) and its worst call."""
    names = trace_names(results)
    if not names:
        return ""
    short = [n[len(TRACE_PREFIX):] for n in names]
    lines = ["| config | " + " | ".join("%s instr/op | %s worst" % (n, n) for n in short) + " |",
             "|---|" + "---|---|" * len(names)]
    for config, run in results.items():
        cells = []
        for n in names:
            f = trace_figures(run.get("128M", []), n)
            failed = " (%d failed)" % f["failures"] if f["failures"] else ""
            cells += [fmt(f["instr/op"]) + failed, fmt(f["worst"])]
        lines.append("| %s | %s |" % (config, " | ".join(cells)))
    return "\n".join(lines) + "\n"


def fmt(v):
    """@v as a table cell: "-" for none, integers plain, small ratios to 3 places."""
    if v is None:
        return "-"
    if isinstance(v, float) and v < 10 and v != int(v):
        return "%.3f" % v
    return "%.1f" % v if isinstance(v, float) and v != int(v) else "%d" % v


def markdown_table(results):
    """One markdown row of headline figures per configuration."""
    names = list(results)
    cols = list(headline(results[names[0]]).keys()) if names else []
    lines = ["| config | " + " | ".join(cols) + " |",
             "|---|" + "---|" * len(cols)]
    for name in names:
        h = headline(results[name])
        lines.append("| %s | %s |" % (name, " | ".join(fmt(h[c]) for c in cols)))
    return "\n".join(lines) + "\n"


def write_csv(path, results):
    """Every record of every boot as one CSV row in @path."""
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
