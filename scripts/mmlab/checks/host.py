# SPDX-License-Identifier: MIT
"""Stages host and fuzz: the host unit tests and fuzzers (tests/host/Makefile),
built under the check's output directory, not the source tree's build/."""
import re
import sys

from mmlab import build, ktap

HOST_MAKEFILE = "tests/host/Makefile"


def host_make(ctx, goal):
    """Run the host test makefile's @goal with its objects in OUT/host."""
    return build.make(ctx.srctree, [goal], makefile=HOST_MAKEFILE,
                      variables=["srctree=.", "objtree=" + ctx.out])


def stage_host(ctx):
    """Every host test program; their "N passed, N failed" lines are added up."""
    status, text = host_make(ctx, "run")
    m = ktap.last_summary(text)
    if not m:
        sys.stdout.write(text[-3000:])
        ctx.tally.fail("host: host tests did not run (exit status %s)" % status)
        return
    ctx.tally.passed += int(m.group(1))
    ctx.tally.skipped += int(m.group(3) or 0)
    for line in text.splitlines():
        if line.startswith("not ok") or line.startswith("# FAIL"):
            ctx.tally.fail("host: " + line, 0)
    ctx.tally.failed += int(m.group(2))
    if status != 0 and int(m.group(2)) == 0:
        ctx.tally.fail("host: exit status %s" % status)
    print("  host tests: %s" % m.group(0), flush=True)


def stage_fuzz(ctx):
    """Every fuzzer for its fixed number of runs: one pass each."""
    status, text = host_make(ctx, "fuzz")
    fuzzers = re.findall(r"FUZZ\s+(\S+)", text)
    if status != 0:
        sys.stdout.write(text[-3000:])
        ctx.tally.fail("fuzz: a fuzzer failed")
        ctx.tally.ok(max(0, len(fuzzers) - 1))
    else:
        ctx.tally.ok(len(fuzzers))
    print("  fuzzers run: %s" % (" ".join(fuzzers) or "none"), flush=True)
