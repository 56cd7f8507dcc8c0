# SPDX-License-Identifier: MIT
"""What every stage shares: the running totals and the context it runs in."""
import os
import time
from dataclasses import dataclass, field

from mmlab import qemu, selftest


@dataclass
class Case:
    """One counted check, as a JUnit testcase: @group is the stage or the
    configuration booted, @log the file holding its whole output, if any."""
    group: str
    name: str
    status: str             # "passed", "failed" or "skipped"
    message: str = ""
    log: str = ""


class Tally:
    """Running totals for the whole check, every case by name, plus a table
    of booted configurations. @group names the stage running now."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []
        self.rows = []
        self.cases = []
        self.group = "check"

    def case(self, name, status, message="", group=None, log=""):
        """Count one case @name of @group (default: the stage) with @status."""
        setattr(self, status, getattr(self, status) + 1)
        self.cases.append(Case(group or self.group, name, status, message, log))

    def ok(self, n=1, name=""):
        """Count @n passes, called @name (default: the stage and a number)."""
        for _ in range(n):
            self.case(name or "%s #%d" % (self.group, len(self.cases) + 1), "passed")

    def skip(self, why, n=1):
        """Count @n skips, printing @why."""
        for _ in range(n):
            self.case(why, "skipped", why)
        print("  skipped: %s" % why, flush=True)

    def fail(self, what, n=1, log=""):
        """Count @n failures (0: only record) and print @what, naming @log."""
        if log:
            what = "%s (whole output: %s)" % (what, log)
        for i in range(n):
            self.case(what if n == 1 else "%s (%d)" % (what, i + 1), "failed", what, log=log)
        self.failures.append(what)
        print("FAIL: %s" % what, flush=True)

    def add(self, group, counts, log=""):
        """Count every case of @counts (a ktap.Counts) under @group; each
        failure line names @log."""
        for name, status, message in counts.cases:
            self.case(name, status, message, group=group, log=log)
        for why in counts.failures:
            what = "%s: %s" % (group, why) + (" (whole output: %s)" % log if log else "")
            self.failures.append(what)
            print("FAIL: %s" % what, flush=True)

    def merge(self, other):
        """Add every count, case, failure and table row of the Tally @other."""
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.failures += other.failures
        self.rows += other.rows
        self.cases += other.cases

    def verdict(self, failure, success):
        """One check: a failure described by @failure when it is not empty,
        else a pass named @success, printing it."""
        if failure:
            self.fail(failure)
        else:
            self.ok(name=success)
            print("  " + success, flush=True)


@dataclass
class Context:
    """Where a stage works and what it was asked for."""
    srctree: str                 # the source tree under test (absolute)
    out: str                     # every output goes below this (absolute)
    tally: Tally
    stage_names: list            # every stage check.py knows, in order
    configs: list = None         # defconfigs for the matrix (None: all)
    seeds: list = field(default_factory=list)   # KCONFIG_SEED values for randconfig


def boot_and_count(tally, label, elf, mem="128M", panic_cases=True, log_path=None, smp=1,
                   append=""):
    """Boot @elf's self-tests (and panic cases) with @mem of RAM on @smp
    harts (kernel command line @append) and add the counts to @tally under
    @label, one table row; the console goes to @log_path (default: next to
    @elf), which every failure line names.
    Return: the qemu.Boot of the self-test boot."""
    t0 = time.time()
    opts = qemu.QemuOptions(mem=mem, timeout=180, smp=smp)
    res = selftest.run_image(opts, elf, append, panic_cases=panic_cases)
    name = "boot-%s%s.log" % (mem, "-smp%d" % smp if smp > 1 else "")
    log_path = log_path or os.path.join(os.path.dirname(os.path.abspath(elf)), name)
    with open(log_path, "w") as f:
        f.write("\n".join(res.boot.lines) + "\n")
    tally.add(label, res, log_path)
    secs = time.time() - t0
    print("  %-34s %4d passed %3d failed %3d skipped  %5.1fs"
          % (label, res.passed, res.failed, res.skipped, secs), flush=True)
    tally.rows.append((label, res.passed, res.failed, res.skipped, secs))
    return res.boot
