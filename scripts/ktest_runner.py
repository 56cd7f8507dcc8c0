#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Boot an mmlab image under QEMU and judge its KTAP output.

    scripts/ktest_runner.py mmlab.elf                 # run the self-tests
    scripts/ktest_runner.py --mem 2G mmlab.elf        # with 2 GiB of RAM
    scripts/ktest_runner.py --panic-cases mmlab.elf   # also boot each panic case

The console is streamed (unless --quiet) while it is parsed. A kernel
panic, a timeout, a non-zero exit status, a missing KTAP plan or a case
the plan promised but never reported counts as a failure. The last line is
"N passed, N failed, N skipped"; the exit status is 0 only with no failure.

Panic cases (KTEST_PANIC_CASE) are listed by the kernel as
'# panic-case: suite.case "text"'; with --panic-cases each is booted alone
("ktest.panic=suite.case") and passes when the kernel panics with a
message containing the text.
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time

BIOS = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
EXIT_PANIC = 3

RESULT_RE = re.compile(r"^(\s*)(ok|not ok) (\d+) ([^#]*?)\s*(?:#\s*(\S+)\s*(.*))?$")
PLAN_RE = re.compile(r"^(\s*)1\.\.(\d+)\s*$")
PANIC_CASE_RE = re.compile(r'^# panic-case: (\S+) "(.*)"\s*$')
KTEST_OFF_RE = re.compile(r"^config: .* ktest=n\b")


class BootResult:
    """Everything learnt from one boot."""

    def __init__(self):
        self.lines = []
        self.status = None
        self.timed_out = False
        self.panic = None          # the "Kernel panic: ..." line, if any
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []         # human-readable reasons
        self.panic_cases = []      # (name, expected text)


RAM_BASE = 0x80000000


def mem_bytes(size):
    """QEMU -m value ("128M", "2G", "512") in bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    size = size.strip().upper()
    if size[-1:] in units:
        return int(size[:-1]) * units[size[-1]]
    return int(size) << 20


def image_fit_error(elf, mem, nm="riscv64-linux-gnu-nm"):
    """One line saying why the image cannot boot with this much RAM, or None."""
    try:
        out = subprocess.run([nm, elf], stdout=subprocess.PIPE, check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return None
    syms = dict((l.split()[2], int(l.split()[0], 16)) for l in out.splitlines()
                if len(l.split()) == 3)
    end = syms.get("__kernel_end")
    if end is None:
        return None
    ram_end = RAM_BASE + mem_bytes(mem)
    # The kernel says the same when booted by hand (memmap_check_fit()).
    if end > ram_end:
        return ("error: the kernel image ends at 0x%x but RAM (-m %s) ends at 0x%x; lower "
                "CONFIG_HEAP_SIZE or give QEMU more memory (QEMU_MEM=)" % (end, mem, ram_end))
    return None


def qemu_command(args, elf, append):
    cmd = [args.qemu, "-machine", "virt", "-nographic", "-m", args.mem,
           "-bios", args.bios, "-kernel", elf, "-monitor", "none",
           "-serial", "stdio"]
    if args.icount:
        cmd += ["-icount", "shift=0"]
    if append:
        cmd += ["-append", append]
    return cmd


def boot(args, elf, append="", echo=True, log=None):
    """Run QEMU until it exits or times out; return a BootResult with raw lines."""
    res = BootResult()
    proc = subprocess.Popen(qemu_command(args, elf, append), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def reader():
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            res.lines.append(line)
            if echo:
                print(line, flush=True)
            if log:
                log.write(line + "\n")

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        res.status = proc.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        res.timed_out = True
    t.join(5)
    for line in res.lines:
        if line.startswith("Kernel panic"):
            res.panic = line
            break
    return res


def parse_ktap(res):
    """Count case results in KTAP output; record what is missing or wrong."""
    plans = {}            # indent -> announced count of current block
    seen = {}             # indent -> results seen in current block
    top_plan = None
    for line in res.lines:
        m = PLAN_RE.match(line)
        if m:
            indent = len(m.group(1))
            plans[indent] = int(m.group(2))
            seen[indent] = 0
            if indent == 0 and top_plan is None:
                top_plan = int(m.group(2))
            continue
        m = PANIC_CASE_RE.match(line)
        if m:
            res.panic_cases.append((m.group(1), m.group(2)))
            continue
        m = RESULT_RE.match(line)
        if not m:
            continue
        indent = len(m.group(1))
        ok = m.group(2) == "ok"
        name = m.group(4)
        directive = (m.group(5) or "").upper()
        seen[indent] = seen.get(indent, 0) + 1
        if indent == 0:
            # A suite's closing line: its cases must all have reported.
            sub = min((i for i in plans if i > 0), default=None)
            if sub is not None and seen.get(sub, 0) < plans[sub]:
                res.failed += plans[sub] - seen[sub]
                res.failures.append("suite %s: %d of %d cases missing"
                                    % (name, plans[sub] - seen[sub], plans[sub]))
            for i in [i for i in plans if i > 0]:
                del plans[i]
                seen.pop(i, None)
            continue
        if directive == "SKIP":
            res.skipped += 1
        elif ok:
            res.passed += 1
        else:
            res.failed += 1
            res.failures.append("case %s failed" % name)
    if top_plan is None and any(KTEST_OFF_RE.search(l) for l in res.lines):
        # Built without CONFIG_KTEST: a clean boot to the exit is the test.
        if res.status == 0 and not res.panic and not res.timed_out:
            res.passed += 1
        else:
            res.failed += 1
            res.failures.append("image without self-tests did not boot cleanly")
    elif top_plan is None:
        res.failed += 1
        res.failures.append("no KTAP plan in the output")
    elif seen.get(0, 0) < top_plan:
        res.failed += top_plan - seen.get(0, 0)
        res.failures.append("%d of %d suites never reported" % (top_plan - seen.get(0, 0), top_plan))
    if res.panic:
        res.failed += 1
        res.failures.append(res.panic)
    if res.timed_out:
        res.failed += 1
        res.failures.append("timeout after %ss" % ARGS_TIMEOUT[0])
    elif res.status not in (0, None) and not res.panic:
        if res.failed == 0:
            res.failed += 1
        res.failures.append("QEMU exit status %d" % res.status)
    return res


ARGS_TIMEOUT = [0]


def run_panic_case(args, elf, name, text, echo):
    """Boot one panic case; (passed, reason)."""
    res = boot(args, elf, "ktest.panic=" + name, echo=echo)
    if res.timed_out:
        return False, "%s: timeout" % name
    if not res.panic:
        return False, "%s: did not panic (exit status %s)" % (name, res.status)
    if text not in res.panic:
        return False, '%s: panicked with "%s", expected "%s"' % (name, res.panic, text)
    if res.status != EXIT_PANIC:
        return False, "%s: exit status %s, expected %d" % (name, res.status, EXIT_PANIC)
    return True, ""


def run_image(args, elf, echo=True):
    """Boot the self-tests (and panic cases); returns (passed, failed, skipped, failures, result)."""
    why = image_fit_error(elf, args.mem)
    if why:
        res = BootResult()
        return 0, 1, 0, [why], res
    res = parse_ktap(boot(args, elf, args.append, echo=echo))
    passed, failed, skipped = res.passed, res.failed, res.skipped
    failures = list(res.failures)
    if args.panic_cases:
        for name, text in res.panic_cases:
            ok, why = run_panic_case(args, elf, name, text, echo=False)
            if ok:
                passed += 1
                if echo:
                    print("ok - panic case %s" % name)
            else:
                failed += 1
                failures.append(why)
                if echo:
                    print("not ok - panic case " + why)
    return passed, failed, skipped, failures, res


def add_qemu_args(p):
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-riscv64"))
    p.add_argument("--bios", default=BIOS)
    p.add_argument("--mem", default="128M", help="QEMU -m value")
    p.add_argument("--timeout", type=float, default=120, help="seconds per boot")
    p.add_argument("--append", default="", help="kernel command line")
    p.add_argument("--icount", action="store_true", help="deterministic -icount shift=0")
    p.add_argument("--panic-cases", action="store_true", help="also boot every panic case")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_qemu_args(p)
    p.add_argument("--quiet", action="store_true", help="do not echo the console")
    p.add_argument("--check-fit", action="store_true",
                   help="only check that the image fits the RAM, then exit")
    p.add_argument("elf")
    args = p.parse_args()
    ARGS_TIMEOUT[0] = args.timeout
    if not os.path.exists(args.elf):
        print("error: no image %s (run make first)" % args.elf, file=sys.stderr)
        return 2
    why = image_fit_error(args.elf, args.mem)
    if why:
        print(why, file=sys.stderr)
        return 2
    if args.check_fit:
        return 0
    passed, failed, skipped, failures, _ = run_image(args, args.elf, echo=not args.quiet)
    for f in failures:
        print("# FAIL: " + f)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
