#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make check`: every test mmlab has, ending with one "N passed, N failed".

Stages (each can be run alone with --only STAGE, several times):
  lint        Kconfig symbols all have help; defconfigs are minimal; scripts executable
  host        host unit tests (ASan/UBSan) of the pure sources
  fuzz        host fuzzers, fixed seed, a few seconds each
  errors      bad make targets and bad .config values get clear messages
  badinput    damaged device trees and CPUs: one line, a real status, no hang
  habits      setconfig, guiconfig, W=1, KCFLAGS, compile_commands, tags, GDB_PORT, reports
  matrix      every configs/*_defconfig: build, boot, self-tests, panic cases
  ram         RAM sizes 16M to 16G: frame counts match the RAM
  randconfig  random configurations: the fixed seeds, then 12 from the commit id
  extremes    allnoconfig and allyesconfig build and boot
  bench       one benchmark run twice gives identical instruction counts; an animated replay
  docs        every command README.md and docs/*.md show runs as written
  labkit      the lab kit: scaffolded stubs build and grade 0; a shipped heap grades the same twice
  objtree     make O=DIR check and randcheck leave the source tree byte-identical

Each build goes to its own directory under --out (default build/), so the
source tree is never touched. The stages live in scripts/mmlab/checks/.
"""
import argparse
import os
import sys
import time

sys.dont_write_bytecode = True      # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mmlab.checks import (badinput, benchmark, boots, docs, errors, habits,  # noqa: E402
                          host, labkit, lanes, lint, objtree)
from mmlab.checks.tally import Context, Tally  # noqa: E402
from mmlab import report  # noqa: E402

STAGES = {
    "lint": lint.stage_lint,
    "host": host.stage_host,
    "fuzz": host.stage_fuzz,
    "errors": errors.stage_errors,
    "badinput": badinput.stage_badinput,
    "habits": habits.stage_habits,
    "matrix": boots.stage_matrix,
    "ram": boots.stage_ram,
    "randconfig": boots.stage_randconfig,
    "extremes": boots.stage_extremes,
    "bench": benchmark.stage_bench,
    "docs": docs.stage_docs,
    "labkit": labkit.stage_labkit,
    "objtree": objtree.stage_objtree,
}


def seed(text):
    """A KCONFIG_SEED value: decimal or 0x hex."""
    return int(text, 0)


def randconfig_seeds(args):
    """The seeds of the randconfig stage, as the options ask."""
    if args.seeds:
        return args.seeds
    if args.rand:
        seeds = boots.fresh_seeds(args.rand)
        print("  randconfig: %d fresh seeds: %s"
              % (len(seeds), " ".join("0x%x" % s for s in seeds)))
        return seeds
    return boots.RANDCONFIG_SEEDS + boots.commit_seeds(args.srctree, args.commit_seeds)


def print_summary(tally, start):
    """The table of booted configurations, the failures, the time, the final line."""
    if tally.rows:
        print("\nConfiguration                        passed failed skipped  time")
        for label, ok, bad, skip, secs in tally.rows:
            print("%-36s %6d %6d %7d %5.1fs" % (label, ok, bad, skip, secs))
    if tally.failures:
        print("\nFailures:")
        for f in tally.failures:
            print("  " + f)
    print("\nmake check took %.0f s" % (time.time() - start))
    print("%d passed, %d failed, %d skipped" % (tally.passed, tally.failed, tally.skipped))


def main():
    p = argparse.ArgumentParser(description="mmlab: run every test")
    p.add_argument("--srctree", default=".")
    p.add_argument("--out", default="build")
    p.add_argument("--only", action="append", choices=list(STAGES))
    p.add_argument("--rand", type=int, default=0,
                   help="random configurations with N fresh seeds instead of the usual ones")
    p.add_argument("--seeds", type=seed, nargs="+", help="random configurations from these seeds")
    p.add_argument("--commit-seeds", type=int, default=boots.COMMIT_SEEDS,
                   help="seeds drawn from the commit id besides the fixed ones (default %(default)s)")
    p.add_argument("--configs", nargs="*", help="defconfigs for the matrix (default all)")
    p.add_argument("--jobs", type=int, default=lanes.default_jobs(),
                   help="stages run at once (default: the cores, %(default)s)")
    args = p.parse_args()
    args.srctree = os.path.abspath(args.srctree)
    ctx = Context(srctree=args.srctree, out=os.path.abspath(args.out), tally=None,
                  stage_names=list(STAGES), configs=args.configs)
    start = time.time()
    stages = list(dict.fromkeys(args.only or STAGES))

    def before(stage, ctx):
        if stage == "randconfig":
            ctx.seeds = randconfig_seeds(args)

    tally = lanes.run_stages(stages, STAGES, ctx, Tally, before, args.jobs)
    os.makedirs(ctx.out, exist_ok=True)
    paths = [os.path.join(ctx.out, n) for n in (report.JUNIT_NAME, report.SUMMARY_NAME)]
    report.write(tally, time.time() - start, stages, *paths)
    print("\nreports: %s" % " ".join(paths))
    print_summary(tally, start)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
