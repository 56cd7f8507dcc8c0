# SPDX-License-Identifier: MIT
"""Stages that build configurations and boot them: matrix (every defconfig
with its panic cases), ram (frame totals at several RAM sizes), randconfig
(random configurations from printed seeds) and extremes (allnoconfig,
allyesconfig). Each build has its own directory under OUT."""
import glob
import hashlib
import os
import random
import re
import sys

from mmlab import build, proc, qemu
from mmlab.checks.tally import boot_and_count

FRAMES = re.compile(r"^mm: frames total=(\d+) free=(\d+) algo=(\w+)")
RAM_SIZES = ["16M", "64M", "512M", "2G", "4G", "16G"]
# Seeds that found bugs once, run by every make check.
RANDCONFIG_SEEDS = [0x2a, 0x1d0c, 0x5eed, 0xbeef]
COMMIT_SEEDS = 12           # seeds drawn from the commit id by make check


def build_or_fail(ctx, label, out_dir, goal, env=None, hint="", start_from=None):
    """Build @goal in @out_dir (a new one starting as a copy of the build in
    @start_from: see build.build_config); on failure print the log's tail
    and count one failure named @label (followed by @hint). Return: True
    when built."""
    ok, log = build.build_config(ctx.srctree, out_dir, goal, env=env, start_from=start_from)
    if not ok:
        sys.stdout.write(log[-3000:])
        ctx.tally.fail("%s does not build%s" % (label, hint))
    return ok


def stage_matrix(ctx):
    """Every configs/*defconfig (or the --configs chosen): build, self-tests,
    panic cases. The first is built from nothing, each next one from a copy
    of the one before, as Kbuild users switch configurations: only what
    the change reaches is compiled (stage extremes builds from nothing)."""
    previous = None
    for path in sorted(glob.glob(os.path.join(ctx.srctree, "configs", "*defconfig"))):
        name = os.path.basename(path)
        if ctx.configs and name not in ctx.configs:
            continue
        d = os.path.join(ctx.out, "matrix", name)
        built = build_or_fail(ctx, "matrix: " + name, d, name, start_from=previous)
        previous = d if built else previous
        if built:
            boot_and_count(ctx.tally, name, os.path.join(d, "mmlab.elf"),
                           log_path=os.path.join(d, "boot.log"))


def stage_ram(ctx):
    """Boot at several RAM sizes, once per frame algorithm (stack, bitmap,
    buddy); the frame total must be the RAM in pages. The images are the
    matrix stage's, brought up to date (nothing to do after that stage)."""
    for config in ("defconfig", "buddy_bitmap_defconfig", "buddy_buddy_defconfig"):
        if not os.path.exists(os.path.join(ctx.srctree, "configs", config)):
            continue
        d = os.path.join(ctx.out, "matrix", config)
        elf = os.path.join(d, "mmlab.elf")
        if not build_or_fail(ctx, "ram: " + config, d, config):
            continue
        for mem in RAM_SIZES:
            label = "%s -m %s" % (config, mem)
            res = boot_and_count(ctx.tally, label, elf, mem=mem, panic_cases=False)
            totals = [FRAMES.match(l) for l in res.lines if FRAMES.match(l)]
            want = qemu.mem_bytes(mem) // 4096
            if not totals:
                ctx.tally.fail("ram: %s: no 'mm: frames' line" % label)
            elif int(totals[0].group(1)) != want:
                ctx.tally.fail("ram: %s: frames total=%s, expected %d"
                               % (label, totals[0].group(1), want))
            else:
                ctx.tally.ok(name="ram: %s: frames total matches the RAM" % label)


def commit_seeds(srctree, count):
    """@count seeds nobody chose: drawn from the commit id of @srctree (new
    ones for every commit, the same for every run of one commit), or fresh
    from the system's generator outside a git checkout. Each is printed."""
    status, text = proc.run(["git", "-C", srctree, "rev-parse", "HEAD"])
    commit = text.strip()
    if status != 0 or not re.fullmatch(r"[0-9a-f]{40,64}", commit):
        print("  randconfig: no commit id (not a git checkout): %d fresh seeds" % count)
        return fresh_seeds(count)
    seeds = [int(hashlib.sha256(("%s:%d" % (commit, i)).encode()).hexdigest()[:8], 16)
             for i in range(count)]
    print("  randconfig: %d seeds from commit %s: %s"
          % (count, commit[:12], " ".join("0x%x" % s for s in seeds)), flush=True)
    return seeds


def fresh_seeds(count):
    """@count seeds from the system's random source."""
    rng = random.SystemRandom()
    return [rng.randrange(1 << 32) for _ in range(count)]


def stage_randconfig(ctx):
    """One random configuration per seed in ctx.seeds: build, boot, panic cases.
    A failure prints the command that rebuilds it. Each build starts from a
    copy of the one before (see stage_matrix)."""
    previous = None
    for seed in ctx.seeds:
        label = "randconfig KCONFIG_SEED=0x%x" % seed
        repro = "KCONFIG_SEED=0x%x make randconfig all && make run" % seed
        d = os.path.join(ctx.out, "rand", "0x%x" % seed)
        env = proc.clean_env({"KCONFIG_SEED": str(seed)})
        if not build_or_fail(ctx, label, d, "randconfig", env, "; reproduce with: " + repro,
                             start_from=previous):
            continue
        previous = d
        before = ctx.tally.failed
        boot_and_count(ctx.tally, label, os.path.join(d, "mmlab.elf"),
                       log_path=os.path.join(d, "boot.log"))
        if ctx.tally.failed != before:
            print("  reproduce with: %s" % repro, flush=True)


def stage_extremes(ctx):
    """allnoconfig and allyesconfig build and boot to their banner."""
    for goal in ("allnoconfig", "allyesconfig"):
        d = os.path.join(ctx.out, "extremes", goal)
        if not build_or_fail(ctx, goal, d, goal):
            continue
        res = boot_and_count(ctx.tally, goal, os.path.join(d, "mmlab.elf"))
        if not any(l.startswith("mmlab ") for l in res.lines):
            ctx.tally.fail("%s: no banner" % goal)
