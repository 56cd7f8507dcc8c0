# SPDX-License-Identifier: MIT
"""Two `make bench` runs side by side: for every configuration both ran,
every workload and figure, A, B and B/A, marked better or worse.

Instruction counts under QEMU -icount shift=0 are exact and repeatable (two
boots of one image give the same numbers), so any difference is real: a
ratio of 1.01 is one percent more instructions, not noise.
"""
import json
import os

from mmlab import results

EXACT_NOTE = ("Instruction counts under QEMU -icount shift=0 are exact and repeatable: "
              "any difference below is real, not noise.")
SERIES_FIGURES = ("mean", "p99", "max", "failures")
HIGHER_BETTER = ("util",)           # metrics where more is better; other metrics just change


def load(out, name):
    """The results of run @name (a folder under OUT/runs, "latest", or a path).
    Raises ValueError naming what is missing."""
    for cand in (name, os.path.join(out, "runs", name), os.path.join(out, name)):
        path = os.path.join(cand, "results.json")
        if os.path.isfile(path):
            with open(path) as f:
                return json.load(f), os.path.realpath(cand)
    raise ValueError("no run %s (looked for %s/runs/%s/results.json)" % (name, out, name))


def figures(run):
    """{(mem, workload, figure): value} of one configuration's run: each
    series' mean, p99, max and failures, each metric, and each trace's
    replay summary counts."""
    figs = {}
    for mem, records in run.items():
        for r in records:
            w = r.get("workload")
            if not w:
                continue
            if "op" in r:
                for f in SERIES_FIGURES:
                    figs[(mem, w, "%s %s" % (r["op"], f))] = r[f]
            elif "metric" in r:
                figs[(mem, w, r["metric"])] = r["value"]
            elif "summary" in r:
                figs[(mem, w, "failed requests")] = r["summary"]["failures"]
                figs[(mem, w, "peak live bytes")] = r["summary"]["peak_live_bytes"]
        for w in results.trace_names({"x": {mem: records}}) if mem == "128M" else []:
            figs[(mem, w, "instr/op")] = results.trace_figures(records, w)["instr/op"]
    return figs


def verdict(figure, a, b):
    """"better", "worse", "same" or "changed" (a figure with no direction)."""
    if a == b:
        return "same"
    name = figure.split()[-1]
    if figure in HIGHER_BETTER:
        return "better" if b > a else "worse"
    if name in ("mean", "p99", "max", "failures", "instr/op") or figure == "failed requests":
        return "better" if b < a else "worse"
    return "changed"


def pairs(ra, rb):
    """The configurations to compare: those in both runs, or the only one of
    each when they share none (a defconfig against "current")."""
    common = [c for c in ra if c in rb]
    if common:
        return [(c, c) for c in common]
    if len(ra) == 1 and len(rb) == 1:
        return [(next(iter(ra)), next(iter(rb)))]
    return []


def compare(ra, rb):
    """Rows {config, mem, workload, figure, a, b, ratio, verdict} for every
    figure either run has, in a stable order."""
    rows = []
    for ca, cb in pairs(ra, rb):
        fa, fb = figures(ra[ca]), figures(rb[cb])
        for key in sorted(set(fa) | set(fb), key=lambda k: (k[0], k[1], k[2])):
            a, b = fa.get(key), fb.get(key)
            ratio = b / a if a not in (None, 0) and b is not None else None
            rows.append({"config": ca if ca == cb else "%s -> %s" % (ca, cb), "mem": key[0],
                         "workload": key[1], "figure": key[2], "a": a, "b": b, "ratio": ratio,
                         "verdict": verdict(key[2], a, b) if None not in (a, b) else "missing"})
    return rows


def markdown(rows, name_a, name_b, show_all=False):
    """The rows as a Markdown table (unchanged rows counted, not listed, unless @show_all)."""
    shown = [r for r in rows if show_all or r["verdict"] != "same"]
    lines = [EXACT_NOTE, "",
             "| config | RAM | workload | figure | %s (A) | %s (B) | B/A | |" % (name_a, name_b),
             "|---|---|---|---|---|---|---|---|"]
    marks = {"better": "better", "worse": "**worse**", "changed": "changed", "same": "",
             "missing": "only in one run"}
    for r in shown:
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["config"], r["mem"], r["workload"], r["figure"], results.fmt(r["a"]),
            results.fmt(r["b"]), "%.3f" % r["ratio"] if r["ratio"] is not None else "-",
            marks[r["verdict"]]))
    same = len(rows) - len(shown)
    counts = {v: sum(1 for r in rows if r["verdict"] == v) for v in ("better", "worse", "changed")}
    lines += ["", "%d figures compared: %d better, %d worse, %d changed without a direction, "
              "%d identical%s." % (len(rows), counts["better"], counts["worse"], counts["changed"],
                                   sum(1 for r in rows if r["verdict"] == "same"),
                                   " (not listed)" if same else "")]
    return "\n".join(lines) + "\n"
