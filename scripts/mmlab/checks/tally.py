# SPDX-License-Identifier: MIT
"""What every stage shares: the running totals and the context it runs in."""
import time
from dataclasses import dataclass, field

from mmlab import qemu, selftest


class Tally:
    """Running totals for the whole check, plus a table of booted configurations."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []
        self.rows = []

    def ok(self, n=1):
        """Count @n passes."""
        self.passed += n

    def skip(self, why, n=1):
        """Count @n skips, printing @why."""
        self.skipped += n
        print("  skipped: %s" % why, flush=True)

    def fail(self, what, n=1):
        """Count @n failures (0: only record) and print @what."""
        self.failed += n
        self.failures.append(what)
        print("FAIL: %s" % what, flush=True)

    def verdict(self, failure, success):
        """One check: a failure described by @failure when it is not empty,
        else a pass, printing @success."""
        if failure:
            self.fail(failure)
        else:
            self.ok()
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


def boot_and_count(tally, label, elf, mem="128M", panic_cases=True, log_path=None):
    """Boot @elf's self-tests (and panic cases) with @mem of RAM and add the
    counts to @tally under @label, one table row; the console goes to
    @log_path if given. Return: the qemu.Boot of the self-test boot."""
    t0 = time.time()
    opts = qemu.QemuOptions(mem=mem, timeout=180)
    res = selftest.run_image(opts, elf, panic_cases=panic_cases)
    if log_path:
        with open(log_path, "w") as f:
            f.write("\n".join(res.boot.lines) + "\n")
    tally.passed += res.passed
    tally.skipped += res.skipped
    for why in res.failures:
        tally.fail("%s: %s" % (label, why), 0)
    tally.failed += res.failed
    secs = time.time() - t0
    print("  %-34s %4d passed %3d failed %3d skipped  %5.1fs"
          % (label, res.passed, res.failed, res.skipped, secs), flush=True)
    tally.rows.append((label, res.passed, res.failed, res.skipped, secs))
    return res.boot
