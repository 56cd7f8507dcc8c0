# SPDX-License-Identifier: MIT
"""Stage bench: one benchmark workload run twice on one image gives identical
instruction counts (scripts/bench.py --determinism, run as a user would), and
the animated replay of `make bench MAPS_ANIMATE=1` shows the heap it replays."""
import os
import sys

from PIL import Image

from mmlab import animate, bench, build, proc

PYTHON = "/usr/bin/python3"
ANIMATED = "churn-20k"      # tests/traces/churn-20k.trace: small, quick to replay


def stage_bench(ctx):
    """scripts/bench.py --determinism defconfig must exit 0."""
    script = os.path.join(ctx.srctree, "scripts", "bench.py")
    status, text = proc.run([PYTHON, script, "--srctree", ctx.srctree,
                             "--out", os.path.join(ctx.out, "bench-check"),
                             "--determinism", "defconfig"])
    if status == 0:
        ctx.tally.ok(name="bench: two runs give identical instruction counts")
        print("  bench: two runs gave identical instruction counts", flush=True)
    else:
        sys.stdout.write(text[-2000:])
        ctx.tally.fail("bench: runs differ or failed")
    check_animation(ctx)


def strip_problems(s, rec):
    """Why strip @s does not show the heap its timeline record @rec
    describes, or "" (every cell's digit bounds the live bytes in it)."""
    cell = -(-s.heap // len(s.cells))
    low = sum((int(c) - 1) * cell / 9 for c in s.cells if c not in "0M")
    # an M cell is more than half metadata, so live blocks hold less than half of it
    high = sum(int(c) * cell / 9 for c in s.cells if c != "M") + s.cells.count("M") * cell / 2
    if (rec.get("timeline"), rec.get("live"), rec.get("used"), rec.get("largest_free")) != (
            s.op, s.live, s.used, s.largest_free):
        return "strip at op %d disagrees with its timeline record %s" % (s.op, rec)
    if not low <= s.used <= high:
        return ("strip at op %d: its cells hold %.0f..%.0f bytes, the heap says %d used"
                % (s.op, low, high, s.used))
    return ""


def check_animation(ctx):
    """defconfig replaying ANIMATED with trace.animate: a strip at every
    timeline point that agrees with it, a GIF with a frame per strip, and
    a trace name the image lacks refused in one line."""
    d = os.path.join(ctx.out, "bench-check", "animate")
    trace = os.path.join(ctx.srctree, "tests", "traces", ANIMATED + ".trace")
    # from a copy of the determinism check's build: only the trace table is new
    build.seed_build_dir(d, os.path.join(ctx.out, "bench-check", "determinism", "defconfig"))
    ok, log = bench.build_image(ctx.srctree, d, "defconfig", [trace])
    if not ok:
        sys.stdout.write(log[-2000:])
        ctx.tally.fail("bench: animate: defconfig with %s does not build" % ANIMATED)
        return
    elf = os.path.join(d, "mmlab.elf")
    strips, why = animate.boot_strips(elf, ANIMATED, os.path.join(d, "animate.log"), 300)
    with open(os.path.join(d, "animate.log")) as f:
        timeline = [r for r in bench.records(f.read().splitlines())
                    if r.get("workload") == "trace:" + ANIMATED and "timeline" in r]
    wrong = why or ([] if strips and len(strips) == len(timeline) else [
        "%d strips for %d timeline points" % (len(strips), len(timeline))])
    wrong += [p for p in (strip_problems(s, r) for s, r in zip(strips, timeline)) if p]
    if not wrong:
        gif = os.path.join(d, "replay.gif")
        frames = animate.render_gif([("defconfig", strips)], gif)
        if Image.open(gif).n_frames != frames or frames != len(strips):
            wrong.append("%s has %d frames, not one per strip" % (gif, Image.open(gif).n_frames))
    ctx.tally.verdict(wrong and "bench: animate: %s" % "; ".join(wrong[:3]),
                      "bench: animated replay: %d strips agree with the timeline, GIF of %d "
                      "frames" % (len(strips), len(strips)))
    _, why = animate.boot_strips(elf, "no_such_trace", os.path.join(d, "refused.log"), 300)
    refused = [w for w in why if "trace.animate=no_such_trace: no such trace" in w]
    ctx.tally.verdict(not refused and "bench: animate: trace.animate=no_such_trace gave %s"
                      % (why or "no error"), "bench: trace.animate of a missing trace: "
                      + (refused[0] if refused else ""))
