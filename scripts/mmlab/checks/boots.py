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
SMP_HARTS = 4               # -smp of each defconfig's CONFIG_SMP=y variant
SMP_ONLINE = re.compile(r"^smp: (\d+) harts online")
SMP_REDIRECTED = re.compile(r"^smp: (\d+) harts entered at _start")
# The SMP image that is also booted with smp.entry=boot: every hart started
# at _start, as OpenSBI 1.1's hart-start race sends one there (docs/smp.md).
SMP_BOOT_ENTRY = ("debug_defconfig", "smp.entry=boot ktest.filter=frames_smp")
RAM_SIZES = ["16M", "64M", "512M", "2G", "4G", "16G"]
# Seeds that found bugs once, run by every make check.
RANDCONFIG_SEEDS = [0x2a, 0x1d0c, 0x5eed, 0xbeef]
COMMIT_SEEDS = 12           # seeds drawn from the commit id by make check


def build_or_fail(ctx, label, out_dir, goal, env=None, hint="", force=(), start_from=None):
    """Build @goal in @out_dir (with the "CONFIG_X=y" lines of @force on
    top; a new @out_dir starts as a copy of the build in @start_from: see
    build.build_config); on failure print the log's tail and count one
    failure named @label (followed by @hint). Return: True when built."""
    ok, log = build.build_config(ctx.srctree, out_dir, goal, force=force, env=env,
                                 start_from=start_from)
    if not ok:
        sys.stdout.write(log[-3000:])
        ctx.tally.fail("%s does not build%s" % (label, hint))
    return ok


# Per-hart caches on SMP_HARTS harts: every heap and frame algorithm once
# with both caches, and the debug build with the frame caches (its poison
# map is their double-free check; the heap magazines need DEBUG_HEAP off).
# (defconfig, forced lines, run the panic cases too)
CACHES = ["CONFIG_SMP=y", "CONFIG_FRAME_PCP=y", "CONFIG_HEAP_PCPU_CACHE=y"]
CACHE_VARIANTS = [
    ("buddy_stack_defconfig", CACHES, True),
    ("bitmap_bitmap_defconfig", CACHES, False),
    ("first_fit_stack_defconfig", CACHES, False),
    ("tlsf_buddy_defconfig", CACHES, False),
    ("debug_defconfig", CACHES[:2], True),
]


def stage_matrix(ctx):
    """Every configs/*defconfig (or the --configs chosen): build, self-tests,
    panic cases on one hart; then its CONFIG_SMP=y variant on SMP_HARTS
    harts in parallel (self-tests with the concurrency suites; the panic
    cases are the single-hart image's); then the CACHE_VARIANTS. The first
    is built from nothing, each next one from a copy of one before, as
    Kbuild users switch configurations: only what the change reaches is
    compiled (stage extremes builds from nothing)."""
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
        matrix_smp(ctx, name, previous)
    for name, force, panic_cases in CACHE_VARIANTS:
        if not ctx.configs or name in ctx.configs:
            matrix_caches(ctx, name, force, panic_cases,
                          os.path.join(ctx.out, "matrix-smp", name))


def matrix_caches(ctx, name, force, panic_cases, start_from):
    """Defconfig @name with the @force lines (SMP and per-hart caches),
    built from a copy of @start_from and booted on SMP_HARTS harts: every
    self-test, the concurrency suites among them, and with @panic_cases the
    panic cases."""
    label = "%s smp=%d +%s" % (name, SMP_HARTS, ",".join(
        l[len("CONFIG_"):-2].lower() for l in force[1:]))
    d = os.path.join(ctx.out, "matrix-caches", name)
    if build_or_fail(ctx, "matrix: " + label, d, name, force=force, start_from=start_from):
        res = boot_and_count(ctx.tally, label, os.path.join(d, "mmlab.elf"),
                             panic_cases=panic_cases, log_path=os.path.join(d, "boot.log"),
                             smp=SMP_HARTS)
        harts_online_check(ctx, label, res)


def matrix_smp(ctx, name, start_from):
    """Defconfig @name with CONFIG_SMP=y (built from a copy of
    @start_from), booted with -smp SMP_HARTS: its self-tests pass and every
    hart comes online."""
    label = "%s smp=%d" % (name, SMP_HARTS)
    d = os.path.join(ctx.out, "matrix-smp", name)
    if not build_or_fail(ctx, "matrix: " + label, d, name, force=["CONFIG_SMP=y"],
                         start_from=start_from):
        return
    res = boot_and_count(ctx.tally, label, os.path.join(d, "mmlab.elf"), panic_cases=False,
                         log_path=os.path.join(d, "boot.log"), smp=SMP_HARTS)
    harts_online_check(ctx, label, res)
    if name == SMP_BOOT_ENTRY[0]:
        label += " " + SMP_BOOT_ENTRY[1].split()[0]
        res = boot_and_count(ctx.tally, label, os.path.join(d, "mmlab.elf"), panic_cases=False,
                             smp=SMP_HARTS, append=SMP_BOOT_ENTRY[1])
        harts_online_check(ctx, label, res, redirected=SMP_HARTS - 1)


def harts_online_check(ctx, label, res, redirected=0):
    """Count one check of boot @res: every hart came online, and
    @redirected of them said they arrived at _start."""
    online = [SMP_ONLINE.match(l) for l in res.lines if SMP_ONLINE.match(l)]
    moved = [SMP_REDIRECTED.match(l) for l in res.lines if SMP_REDIRECTED.match(l)]
    moved_count = int(moved[0].group(1)) if moved else 0
    if not online or int(online[0].group(1)) != SMP_HARTS:
        ctx.tally.fail("matrix: %s: %s" % (label, online[0].group(0) if online
                                          else "no 'smp: N harts online' line"))
    elif redirected and moved_count != redirected:
        ctx.tally.fail("matrix: %s: %d harts redirected from _start, expected %d"
                       % (label, moved_count, redirected))
    else:
        ctx.tally.ok(name="%s: every hart online" % label)


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
