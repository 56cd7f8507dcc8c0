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
message containing the text. The work is done in scripts/mmlab/ (qemu,
ktap, selftest).
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True      # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mmlab import qemu, selftest  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--qemu", default=qemu.default_qemu())
    p.add_argument("--bios", default=qemu.BIOS)
    p.add_argument("--mem", default="128M", help="QEMU -m value")
    p.add_argument("--timeout", type=float, default=120, help="seconds per boot")
    p.add_argument("--append", default="", help="kernel command line")
    p.add_argument("--icount", action="store_true", help="deterministic -icount shift=0")
    p.add_argument("--panic-cases", action="store_true", help="also boot every panic case")
    p.add_argument("--quiet", action="store_true", help="do not echo the console")
    p.add_argument("--check-fit", action="store_true",
                   help="only check that the image fits the RAM, then exit")
    p.add_argument("elf")
    args = p.parse_args()
    if not os.path.exists(args.elf):
        print("error: no image %s (run make first)" % args.elf, file=sys.stderr)
        return 2
    why = qemu.image_fit_error(args.elf, args.mem)
    if why:
        print(why, file=sys.stderr)
        return 2
    if args.check_fit:
        return 0
    opts = qemu.QemuOptions(qemu=args.qemu, bios=args.bios, mem=args.mem,
                            timeout=args.timeout, icount=args.icount)
    res = selftest.run_image(opts, args.elf, args.append, args.panic_cases, echo=not args.quiet)
    for f in res.failures:
        print("# FAIL: " + f)
    print("%d passed, %d failed, %d skipped" % (res.passed, res.failed, res.skipped))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
