# SPDX-License-Identifier: MIT
"""Stages host and fuzz: the host unit tests and fuzzers (tests/host/Makefile),
built under the check's output directory, not the source tree's build/."""
import os
import re
import shutil
import sys

from mmlab import build, ktap, proc

HOST_MAKEFILE = "tests/host/Makefile"
HOST_RESULT_RE = re.compile(r"^(ok|not ok) \d+ (.*)$")


def host_make(ctx, goal):
    """Run the host test makefile's @goal with its objects in OUT/host."""
    return build.make(ctx.srctree, [goal], makefile=HOST_MAKEFILE,
                      variables=["srctree=.", "objtree=" + ctx.out])


def host_cases(text):
    """The cases of the host test run's output @text: a ktap.Counts whose
    case names are program/test; a program that ended without its summary
    line is one failed case."""
    counts, prog, note = ktap.Counts(), "host", ""
    for line in text.splitlines():
        m = HOST_RESULT_RE.match(line)
        if line.startswith("# host: "):
            prog = os.path.basename(line[len("# host: "):].strip())
        elif line.startswith("# FAIL: "):
            counts.case(prog, "failed", line[len("# FAIL: "):])
        elif m:
            name, _, directive = m.group(2).partition(" # ")
            status = ("skipped" if directive.upper().startswith("SKIP") else
                      "passed" if m.group(1) == "ok" else "failed")
            counts.case("%s/%s" % (prog, name.strip()), status,
                        "" if status == "passed" else "%s: %s" % (name, directive or note))
        elif line.startswith("# "):
            note = line[2:].strip()
    return counts


def stage_host(ctx):
    """Every host test program, each test one case; the whole output is
    kept in OUT/logs/host.log."""
    status, text = host_make(ctx, "run")
    log = os.path.join(ctx.out, "logs", "host.log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "w") as f:
        f.write(text)
    m = ktap.last_summary(text)
    if not m:
        sys.stdout.write(text[-3000:])
        ctx.tally.fail("host: host tests did not run (exit status %s)" % status, log=log)
        return
    counts = host_cases(text)
    if counts.failed != int(m.group(2)) or counts.passed != int(m.group(1)):
        counts.fail("summary says %s, the result lines %d passed, %d failed"
                    % (m.group(0), counts.passed, counts.failed))
    if status != 0 and not counts.failed:
        counts.fail("exit status %s" % status)
    ctx.tally.add("host", counts, log)
    print("  host tests: %s" % m.group(0), flush=True)


def fuzz_runtime_problem(fuzzcc, workdir):
    """Why @fuzzcc cannot link a libFuzzer program (in @workdir), or "" when
    it can: the fuzzers' runtime is an optional part of the install."""
    if not shutil.which(fuzzcc):
        return "%s is not installed" % fuzzcc
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "fuzz_probe.c")
    with open(src, "w") as f:
        f.write("#include <stddef.h>\n#include <stdint.h>\n"
                "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
                " { (void)d; (void)n; return 0; }\n")
    status, text = proc.run([fuzzcc, "-fsanitize=fuzzer,address,undefined", "-o",
                             os.path.join(workdir, "fuzz_probe"), src])
    if status == 0:
        return ""
    last = (text.strip().splitlines() or ["exit status %s" % status])[-1]
    return ("%s cannot link a libFuzzer program (%s): install the clang runtime "
            "(libclang-rt-N-dev for clang N; scripts/install-deps picks it)"
            % (fuzzcc, last.strip()))


def stage_fuzz(ctx):
    """Every fuzzer for its fixed number of runs: one pass each; skipped,
    with the reason, when clang's fuzzer runtime is not installed."""
    why = fuzz_runtime_problem(os.environ.get("FUZZCC", "clang"), os.path.join(ctx.out, "host"))
    if why:
        ctx.tally.skip("fuzz: " + why)
        return
    status, text = host_make(ctx, "fuzz")
    fuzzers = re.findall(r"FUZZ\s+(\S+)", text)
    if status != 0:
        sys.stdout.write(text[-3000:])
        ctx.tally.fail("fuzz: a fuzzer failed")
        for name in fuzzers[:-1]:
            ctx.tally.ok(name="fuzz/" + name)
    else:
        for name in fuzzers:
            ctx.tally.ok(name="fuzz/" + name)
    print("  fuzzers run: %s" % (" ".join(fuzzers) or "none"), flush=True)
