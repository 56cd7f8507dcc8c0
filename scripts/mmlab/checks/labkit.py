# SPDX-License-Identifier: MIT
"""Stage labkit: the allocator lab kit (docs/lab.md) in a scratch copy of
the tree. make new-heap and make new-frames scaffold stubs that build; the
grade of each stub fails its gate with score 0, naming the failing test;
refused names (taken, not a C identifier) change nothing; a shipped heap
graded twice passes its gate with the same score both times. The grade runs
the narrowest workloads (one churn, one fill, one small trace, one peer)
to keep the stage short.
"""
import json
import os
import shutil
import sys

from mmlab import build, proc
from mmlab.checks.objtree import differences, snapshot

PYTHON = "/usr/bin/python3"
STUB_HEAP, STUB_FRAMES = "lab_heap", "lab_frames"
SHIPPED, PEER = "buddy", "tlsf"
QUICK = ["--kind", "heap", "--refs", PEER, "--workloads", "heap_churn,heap_fill",
         "--no-real-traces"]
TRACE = os.path.join("tests", "traces", "churn-20k.trace")
# (goal, NAME, what the one line must say)
REFUSALS = [("new-heap", STUB_HEAP, "exists already"),
            ("new-heap", "9lives", "is not a C identifier"),
            ("new-heap", "Best-Fit", "is not a C identifier"),
            ("new-frames", "stack", "exists already"),
            ("new-heap", "size", "is a Kconfig symbol already")]


def grade_run(tree, out, name, extra=()):
    """scripts/labkit/grade.py on @name in @tree. Return: (status, output,
    the report dict or None)."""
    status, text = proc.run([PYTHON, os.path.join(tree, "scripts", "labkit", "grade.py"),
                             "--srctree", tree, "--out", out] + list(extra) + [name])
    try:
        with open(os.path.join(out, name, "report.json")) as f:
            return status, text, json.load(f)
    except (OSError, ValueError):
        return status, text, None


def check_scaffold(ctx, tree, goal, name, defconfig):
    """make @goal NAME=@name writes a stub whose defconfig builds."""
    status, text = build.make(tree, [goal, "NAME=" + name])
    if status != 0:
        ctx.tally.fail("labkit: make %s NAME=%s: %s" % (goal, name, text.strip()[-500:]))
        return False
    ok, log = build.build_config(tree, os.path.join(ctx.out, "labkit", "obj-" + name), defconfig)
    ctx.tally.verdict(not ok and "labkit: %s does not build: %s" % (defconfig, log.strip()[-800:]),
                      "make %s NAME=%s: the stub builds (%s)" % (goal, name, defconfig))
    return ok


def check_refusals(ctx, tree):
    """Each refused name gives one line saying why, and changes nothing."""
    for goal, name, says in REFUSALS:
        before = snapshot(tree, set())
        status, text = build.make(tree, [goal, "NAME=" + name])
        mine = [l for l in text.splitlines() if l.startswith(goal + ":")]
        changed = differences(before, snapshot(tree, set()))
        bad = (status == 0 and "succeeded") or (len(mine) != 1 and "said %r" % text.strip()) \
            or (says not in mine[0] and "said %r, not %r" % (mine[0], says)) \
            or (changed and "changed the tree: %s" % "; ".join(changed))
        ctx.tally.verdict(bad and "labkit: make %s NAME=%s %s" % (goal, name, bad),
                          "make %s NAME=%s refused: %s" % (goal, name, mine[0] if mine else ""))


def check_stub_grade(ctx, tree, name, step):
    """Grading the stub @name fails gate step @step with score 0."""
    status, text, rep = grade_run(tree, os.path.join(ctx.out, "labkit", "grade"), name)
    bad = (rep is None and "no report.json: " + text.strip()[-500:]) \
        or (status != 1 and "exit status %s, expected 1" % status) \
        or (rep["score"] != 0 and "score %s, expected 0" % rep["score"]) \
        or (rep["failed_step"] != step
            and "failed at %r, expected %r" % (rep["failed_step"], step)) \
        or ("Score: 0" not in text and "the output does not say Score: 0")
    ctx.tally.verdict(bad and "labkit: grade %s: %s" % (name, bad),
                      "grade %s: gate fails at %s, score 0" % (name, step))


def check_shipped_grade(ctx, tree):
    """A shipped heap graded twice: the gate passes, the scores are equal."""
    traces = os.path.join(ctx.out, "labkit", "traces")
    os.makedirs(traces, exist_ok=True)
    shutil.copy(os.path.join(tree, TRACE), traces)
    extra = QUICK + ["--traces", traces]
    # One output directory: the second grade reuses the builds (make finds
    # nothing to do) and measures again; the first report is kept aside.
    out = os.path.join(ctx.out, "labkit", "grade-shipped")
    runs = []
    for i in (1, 2):
        runs.append(grade_run(tree, out, SHIPPED, extra))
        if os.path.isdir(os.path.join(out, SHIPPED)):
            os.rename(os.path.join(out, SHIPPED), os.path.join(out, "%s-run%d" % (SHIPPED, i)))
    for status, text, rep in runs:
        bad = (rep is None and "no report.json") or (status != 0 and "exit status %s" % status) \
            or (not rep["passed"] and "gate failed at %s" % rep["failed_step"])
        if bad:
            sys.stdout.write(text[-3000:])
            ctx.tally.fail("labkit: grade %s: %s" % (SHIPPED, bad))
            return
    a, b = runs[0][2], runs[1][2]
    same = a["score"] == b["score"] and a["rows"] == b["rows"]
    ctx.tally.verdict(not same and "labkit: grade %s twice: scores %s and %s, figures %s"
                      % (SHIPPED, a["score"], b["score"], "equal" if a["rows"] == b["rows"]
                         else "differ"),
                      "grade %s twice: gate passed, score %.2f both times, every figure equal"
                      % (SHIPPED, a["score"]))


def stage_labkit(ctx):
    """The whole labkit stage."""
    base = os.path.join(ctx.out, "labkit")
    shutil.rmtree(base, ignore_errors=True)
    tree = os.path.join(base, "tree")
    if not build.scratch_copy(ctx.srctree, tree):
        ctx.tally.skip("labkit: %s is not a git checkout" % ctx.srctree)
        return
    if check_scaffold(ctx, tree, "new-heap", STUB_HEAP, "%s_stack_defconfig" % STUB_HEAP):
        check_stub_grade(ctx, tree, STUB_HEAP, "host: heap_test")
    if check_scaffold(ctx, tree, "new-frames", STUB_FRAMES, "buddy_%s_defconfig" % STUB_FRAMES):
        check_stub_grade(ctx, tree, STUB_FRAMES, "host: frames_test")
    check_refusals(ctx, tree)
    check_shipped_grade(ctx, tree)
