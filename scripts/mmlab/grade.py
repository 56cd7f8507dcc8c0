# SPDX-License-Identifier: MIT
"""`make grade ALGO=x`: a correctness gate, then a score against the
project's own algorithms of the same family, measured in the same run.

Gate, in order, stopping at the first step that fails (score 0, and the
report names the failing test):
  1. the host contract tests of the family (ASan/UBSan), built with this
     algorithm alone (tests/host/Makefile ALGO_ONLY=);
  2. the family's fuzzer for its fixed budget (its -runs, seed 1);
  3. the in-kernel suites, panic cases included, booting the algorithm's
     defconfig; the rCore standard test (heap.heap_lab, frames.frame_classic)
     is shown as a step of its own.

Score. Every algorithm (the graded one and its peers) is built with
CONFIG_BENCH=y and booted under -icount shift=0 with the score workloads;
heaps also replay every trace (tests/traces/real/*.trace and every *.trace
of TRACES=dir), all embedded in the one image. For each
workload the graded figure is compared with the best peer's:
  util  = algo / best       (fill workloads: live bytes at the first failure)
  mean  = best / algo       (instructions per call, alloc and free)
  worst = best / algo       (the largest single call)
each capped at 1, averaged per component over the workloads, and
score = 100 * sum(weight * component) / sum(weight) over the components the
family has (frames have no util). Weights: WEIGHTS below, or --weights.

Why the same tree gives the same score: the figures are guest instruction
counts under -icount shift=0, exact and the same on every boot and machine
(the image, the RAM size, the seeds of the workloads and the traces fix the
sequence of calls); nothing read from a host clock enters the score, and
the arithmetic is on those integers in a fixed order.
"""
import glob
import json
import os
import sys
import time
from dataclasses import dataclass, field

from mmlab import algos, bench, build, ktap, proc, qemu, results, selftest

HOST_MAKEFILE = "tests/host/Makefile"
WEIGHTS = {"util": 0.4, "mean": 0.4, "worst": 0.2}
HEAP_FILL = ["heap_fill", "heap_fill_logu"]
HEAP_CHURN = ["heap_churn", "heap_logu", "heap_align"]
FRAME_CHURN = ["frames_fill0", "frames_fill50", "frames_fill90", "frames_fill99",
               "frames_run1", "frames_run16", "frames_run512"]
FRAME_BENCHES = ["frames_pairs", "frames_runs"]
OPS = {"heap": ("kmalloc", "kfree"), "frame": ("alloc", "free")}
STANDARD_TEST = {"heap": "heap_lab", "frame": "frame_classic"}
BOOT_TIMEOUT = 600         # seconds per boot or host program: a bound for hangs, not a speed test


@dataclass
class Options:
    """What to grade and how."""
    srctree: str
    out: str                      # builds in OUT/builds, the report in OUT/<algo>
    name: str
    kind: str = None              # "heap" or "frame" when the name is in both
    traces: list = field(default_factory=list)     # trace files to replay (heaps)
    weights: dict = field(default_factory=lambda: dict(WEIGHTS))
    refs: list = None             # peers to compare with (None: every other one)
    workloads: list = None        # churn and fill workloads (None: all of the family's)


@dataclass
class Step:
    """One step of the gate."""
    name: str
    ok: bool
    detail: str = ""


# ---------------------------------------------------------------------------
# The gate

def failing_cases(text, name):
    """The names of the "not ok" cases in the KTAP @text, each with the
    first diagnostic naming algorithm @name (or the case's own message)."""
    found, notes = [], []
    for line in text.splitlines():
        if line.startswith("# "):
            notes.append(line[2:])
        elif line.startswith("not ok"):
            mine = [n for n in notes if n.startswith(name + ":")] or notes[-1:]
            found.append("%s (%s)" % (line.split(None, 3)[-1], mine[0] if mine else "no message"))
            notes = []
        elif line.startswith("ok"):
            notes = []
    return found


def host_steps(opts, family, hostdir):
    """Build the family's host tests and fuzzer with algorithm @opts.name
    alone in @hostdir; run the tests. Return: (steps, fuzzer path or None)."""
    objtree = os.path.dirname(hostdir)
    progs = [os.path.join(hostdir, p) for p in family.host_tests + (family.fuzzer,)]
    status, text = build.make(opts.srctree, progs, makefile=HOST_MAKEFILE, variables=[
        "srctree=.", "objtree=" + objtree,
        "ALGO_ONLY=%s/%s" % (family.directory, opts.name)])
    if status != 0:
        return [Step("host: build", False, text.strip()[-800:])], None
    steps = []
    for prog in progs[:-1]:
        status, text = proc.run([prog], timeout=BOOT_TIMEOUT)
        m = ktap.last_summary(text)
        bad = failing_cases(text, opts.name)
        ok = status == 0 and m is not None and not bad
        crash = [l for l in text.splitlines() if "ERROR:" in l or "runtime error" in l][:1]
        detail = m.group(0) if m else "crashed (exit status %s)%s" % (
            status, ": " + crash[0].strip() if crash else "")
        steps.append(Step("host: " + os.path.basename(prog), ok,
                          detail if ok else "; ".join(bad) or detail))
        if not ok:
            break
    return steps, progs[-1]


def fuzz_step(opts, family, fuzzer):
    """The family's fuzzer for its fixed budget (-runs from the Makefile), seed 1."""
    _, runs = build.make(opts.srctree, ["print-runs-" + family.fuzzer], makefile=HOST_MAKEFILE,
                         variables=["srctree=.", "-s"])
    runs = runs.strip() or "10000"
    status, text = proc.run([fuzzer, "-seed=1", "-runs=" + runs], timeout=BOOT_TIMEOUT)
    label = "fuzz: %s (%s runs, seed 1)" % (family.fuzzer, runs)
    if status == 0:
        return Step(label, True, "no finding")
    finding = [l for l in text.splitlines() if l.startswith(family.fuzzer + ":") or "ERROR:" in l]
    return Step(label, False, (finding or [text.strip()[-300:]])[0])


def config_goal(opts, family, name):
    """(the make goal configuring algorithm @name, forced lines): its own
    defconfig when configs/ has it, else defconfig with its symbol forced."""
    conf = family.defconfig(name)
    if os.path.exists(os.path.join(opts.srctree, "configs", conf)):
        return conf, []
    return "defconfig", ["CONFIG_%s=y" % family.symbol(name)]


def build_dir(opts, family, name):
    """Where algorithm @name's kernel is built: OUT/builds/<kind>-<name>."""
    return os.path.join(opts.out, "builds", "%s-%s" % (family.kind, name))


def build_algo(opts, family, name):
    """Build algorithm @name's configuration with CONFIG_BENCH=y in its
    build_dir(), embedding the traces of a heap grade (one image for the
    gate and every score boot). Return: (image or None, log)."""
    goal, force = config_goal(opts, family, name)
    d = build_dir(opts, family, name)
    traces = opts.traces if family.kind == "heap" else []
    variables = ["TRACE=" + " ".join(traces)] if traces else []
    # A peer's first build starts from a copy of the graded one's, so only
    # what its configuration symbol reaches is compiled again.
    start = build_dir(opts, family, opts.name) if name != opts.name else None
    ok, log = build.build_config(opts.srctree, d, goal, force=[bench.BENCH_ON] + force,
                                 variables=variables, start_from=start)
    return (os.path.join(d, "mmlab.elf") if ok else None), log


def kernel_steps(opts, family, elf):
    """The in-kernel suites and panic cases of @elf: the standard test as one
    step, everything else as another."""
    res = selftest.run_image(qemu.QemuOptions(mem="128M", timeout=BOOT_TIMEOUT), elf,
                             panic_cases=True)
    std = STANDARD_TEST[family.kind]
    std_lines = [m for m in map(ktap.RESULT_RE.match, res.boot.lines) if m and m.group(4) == std]
    steps = []
    if std_lines:
        ok = std_lines[0].group(2) == "ok"
        steps.append(Step("kernel: rCore standard test (%s)" % std, ok,
                          std_lines[0].group(0).strip()))
    others = [f for f in res.failures if std not in f]
    steps.append(Step("kernel: in-kernel suites and panic cases", not res.failures,
                      "%d passed, %d failed, %d skipped" % (res.passed, res.failed, res.skipped)
                      if not res.failures else "; ".join((others or res.failures)[:6])))
    return steps


def gate(opts, family):
    """Every gate step run (stopping after the first that fails)."""
    hostdir = os.path.join(opts.out, "builds", "host-%s-%s" % (family.kind, opts.name), "host")
    steps, fuzzer = host_steps(opts, family, hostdir)
    if all(s.ok for s in steps):
        steps.append(fuzz_step(opts, family, fuzzer))
    if all(s.ok for s in steps):
        elf, log = build_algo(opts, family, opts.name)
        if elf is None:
            steps.append(Step("kernel: build", False, log.strip()[-800:]))
        else:
            steps += kernel_steps(opts, family, elf)
    return steps


# ---------------------------------------------------------------------------
# Measuring

def workloads(opts, family):
    """(fill workloads, churn workloads, bench= request) for @family."""
    if family.kind == "heap":
        fill, churn = HEAP_FILL, HEAP_CHURN
        if opts.workloads:
            fill = [w for w in fill if w in opts.workloads]
            churn = [w for w in churn if w in opts.workloads]
        return fill, churn, ",".join(fill + churn + (["trace"] if opts.traces else []))
    churn = [w for w in FRAME_CHURN if not opts.workloads or w in opts.workloads]
    return [], churn, ",".join(FRAME_BENCHES)


def measure_boot(elf, request):
    """Boot @elf with bench=@request. Return: (records, problems)."""
    recs, res = bench.boot(elf, "128M", "bench=" + request, BOOT_TIMEOUT)
    return recs, bench.problems(recs, res)


def figures(recs, family, fill, churn, traces):
    """{workload: {"util"|"mean"|"worst": value}} from @recs; a trace's
    workload is "trace:NAME", its calls kmalloc, kcalloc, krealloc, kfree."""
    out = {}
    for w in fill:
        out[w] = {"util": results.metric(recs, w, "util")}
    for w, ops in [(w, OPS[family.kind]) for w in churn] + \
            [(results.TRACE_PREFIX + os.path.splitext(os.path.basename(t))[0], results.TRACE_OPS)
             for t in traces]:
        out[w] = {"mean": results.per_op(recs, w, ops), "worst": results.worst(recs, [w], ops)}
    return out


def measure(opts, family, name):
    """Every score figure of algorithm @name. Return: (figures, problems)."""
    fill, churn, request = workloads(opts, family)
    elf, log = build_algo(opts, family, name)
    if elf is None:
        return {}, ["build failed: " + log.strip()[-300:]]
    recs, why = measure_boot(elf, request)
    found = figures(recs, family, fill, churn, opts.traces if family.kind == "heap" else [])
    missing = [w for w, f in found.items() if any(v is None for v in f.values())]
    if missing:
        why.append("no figures for " + " ".join(missing))
    return found, why


# ---------------------------------------------------------------------------
# Scoring

def reference_best(peers):
    """{workload: {measure: best peer value}} over the peers measured cleanly."""
    best = {}
    for figs in peers.values():
        for w, f in figs.items():
            for m, v in f.items():
                if v is None:
                    continue
                cur = best.setdefault(w, {}).get(m)
                if cur is None or (v > cur if m == "util" else v < cur):
                    best[w][m] = v
    return best


def components(figs, best):
    """{component: value in 0..1} of one algorithm against @best."""
    parts = {}
    for w in sorted(figs):
        for m, v in sorted(figs[w].items()):
            b = best.get(w, {}).get(m)
            if b is None:
                continue
            ratio = 0.0 if not v else (v / b if m == "util" else b / v)
            parts.setdefault(m, []).append(min(1.0, ratio))
    return {m: sum(r) / len(r) for m, r in parts.items()}


def score_of(parts, weights):
    """100 * the weighted mean of @parts (components absent get no weight)."""
    total = sum(weights.get(m, 0) for m in parts)
    if not parts or not total:
        return 0.0
    return round(100 * sum(weights.get(m, 0) * v for m, v in parts.items()) / total, 2)


# ---------------------------------------------------------------------------
# The whole grade

def peer_names(opts, family):
    """The algorithms the graded one is compared with."""
    have = [n for n in algos.listed(opts.srctree, family) if n != opts.name]
    if opts.refs is None:
        return have
    unknown = [n for n in opts.refs if n not in have]
    if unknown:
        raise ValueError("no %s algorithm to compare with named %s (have: %s)"
                         % (family.kind, " ".join(unknown), " ".join(have)))
    return list(opts.refs)


def grade(opts):
    """Grade @opts.name. Return: the report (a dict, as report.json holds it).
    Raises ValueError with a one-line reason for a name that is no algorithm."""
    family = algos.find(opts.srctree, opts.name, opts.kind)
    peers = peer_names(opts, family)
    t0 = time.time()
    rep = {"algorithm": opts.name, "kind": family.kind, "weights": opts.weights,
           "traces": [os.path.basename(t) for t in opts.traces]}
    steps = gate(opts, family)
    rep["gate"] = [s.__dict__ for s in steps]
    failed = next((s for s in steps if not s.ok), None)
    if failed:
        rep.update(passed=False, failed_step=failed.name, score=0.0, rows={})
    else:
        rows, notes = {}, {}
        for name in [opts.name] + peers:
            print("  MEASURE %s %s" % (family.kind, name), flush=True)
            rows[name], why = measure(opts, family, name)
            if why:
                notes[name] = why
        if opts.name in notes:
            rep.update(passed=False, failed_step="measuring: " + "; ".join(notes[opts.name]),
                       score=0.0, rows=rows, notes=notes)
        else:
            clean = {n: rows[n] for n in peers if n not in notes}
            best = reference_best(clean)
            scores = {n: score_of(components(rows[n], best), opts.weights) for n in rows}
            rep.update(passed=True, score=scores[opts.name], rows=rows, best=best,
                       components={n: components(rows[n], best) for n in rows},
                       scores=scores, notes=notes)
    rep["seconds"] = round(time.time() - t0)
    return rep


# ---------------------------------------------------------------------------
# Reports

def cell(v):
    """A table cell: results.fmt, with utilisation to 3 places."""
    return results.fmt(v)


def markdown(rep):
    """The report as Markdown: the gate, the table, the score."""
    lines = ["# Grade: %s algorithm `%s`" % (rep["kind"], rep["algorithm"]), "",
             "## Gate", "", "| step | result | detail |", "|---|---|---|"]
    for s in rep["gate"]:
        lines.append("| %s | %s | %s |" % (s["name"], "pass" if s["ok"] else "FAIL",
                                           s["detail"].replace("|", "/").replace("\n", " ")[:300]))
    lines.append("")
    if not rep["passed"]:
        lines += ["**Score: 0** (failed: %s)" % rep["failed_step"], ""]
        return "\n".join(lines)
    names = list(rep["rows"])
    mine = rep["rows"][rep["algorithm"]]
    lines += ["## Figures (guest instructions per call under -icount shift=0%s)"
              % ("; util = live requested bytes / heap at the first failed fill"
                 if rep["kind"] == "heap" else ""), "",
              "| workload | figure | " + " | ".join(
                  "**%s**" % n if n == rep["algorithm"] else n for n in names) + " |",
              "|---|---|" + "---|" * len(names)]
    for w in mine:
        for m in sorted(mine[w]):
            lines.append("| %s | %s | %s |" % (w, m, " | ".join(
                cell(rep["rows"][n].get(w, {}).get(m)) for n in names)))
    lines.append("| **score** | | %s |" % " | ".join("%.2f" % rep["scores"][n] for n in names))
    lines.append("")
    parts = rep["components"][rep["algorithm"]]
    lines.append("Components of `%s` against the best peer per workload: %s; weights %s." % (
        rep["algorithm"], ", ".join("%s %.3f" % (m, v) for m, v in sorted(parts.items())),
        ", ".join("%s %g" % (m, rep["weights"].get(m, 0)) for m in sorted(parts))))
    for n, why in sorted(rep.get("notes", {}).items()):
        lines.append("Not compared with `%s`: %s." % (n, "; ".join(why)))
    lines += ["", "**Score: %.2f**" % rep["score"], ""]
    return "\n".join(lines)


def write(rep, out):
    """report.json and report.md in OUT/<algo>/. Return: their directory."""
    d = os.path.join(out, rep["algorithm"])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "report.json"), "w") as f:
        json.dump({k: v for k, v in rep.items() if k != "seconds"}, f, indent=1, sort_keys=True)
    with open(os.path.join(d, "report.md"), "w") as f:
        f.write(markdown(rep))
    return d


def trace_files(srctree, directory, real=True):
    """The traces a heap grade replays (absolute, sorted): every
    tests/traces/real/*.trace (unless not @real), plus every *.trace of
    @directory (a teacher's own) when given. Raises ValueError when
    @directory is no directory or holds no trace."""
    files = bench.default_traces(srctree) if real else []
    if directory:
        d = directory if os.path.isdir(directory) else os.path.join(srctree, directory)
        if not os.path.isdir(d):
            raise ValueError("TRACES=%s is not a directory" % directory)
        more = sorted(glob.glob(os.path.join(os.path.abspath(d), "*.trace")))
        if not more:
            raise ValueError("TRACES=%s holds no *.trace file" % directory)
        files += [f for f in more if f not in files]
    return [os.path.abspath(f) for f in files]


def parse_weights(text):
    """"util=0.5,worst=0" as the weights: the defaults with those changed.
    Raises ValueError."""
    weights = dict(WEIGHTS)
    for item in text.split(","):
        key, _, value = item.partition("=")
        if key not in WEIGHTS:
            raise ValueError("WEIGHTS: unknown component '%s' (have: %s)"
                             % (key, " ".join(WEIGHTS)))
        try:
            weights[key] = float(value)
        except ValueError:
            raise ValueError("WEIGHTS: %s=%s is not a number" % (key, value)) from None
        if weights[key] < 0:
            raise ValueError("WEIGHTS: %s must not be negative" % key)
    return weights


def print_report(rep, where):
    """The table and the score on stdout."""
    sys.stdout.write("\n" + markdown(rep))
    print("Report: %s/report.md and report.json (%ss)" % (where, rep["seconds"]))
