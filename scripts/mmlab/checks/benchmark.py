# SPDX-License-Identifier: MIT
"""Stage bench: one benchmark workload run twice on one image gives identical
instruction counts (scripts/bench.py --determinism, run as a user would)."""
import os
import sys

from mmlab import proc

PYTHON = "/usr/bin/python3"


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
