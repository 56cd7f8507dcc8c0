# SPDX-License-Identifier: MIT
"""Stage errors: bad input to the build gets a clear one-line answer."""
import glob
import os
import re
import shutil

from mmlab import build, proc, qemu


def expect_error(ctx, label, goals, pattern, variables=(), env=None):
    """make @goals (in OUT/errors) must fail with a line matching @pattern."""
    d = os.path.join(ctx.out, "errors")
    status, text = build.make(ctx.srctree, goals, d, variables=variables, env=env)
    line = next((l.strip() for l in text.splitlines() if re.search(pattern, l)), None)
    if status != 0 and line:
        ctx.tally.ok(name=label)
        print("  %-40s ok: %s" % (label, line), flush=True)
    else:
        ctx.tally.fail("errors: %s: exit %s, output: %s" % (label, status, text.strip()[-400:]))


def append_config(out_dir, text):
    """Add @text to the end of @out_dir/.config, as a user editing it would."""
    with open(os.path.join(out_dir, ".config"), "a") as f:
        f.write(text)


def stage_errors(ctx):
    """Unknown defconfig, hand-edited .config, missing tools, a heap larger
    than the RAM, an unknown target."""
    d = os.path.join(ctx.out, "errors")
    os.makedirs(d, exist_ok=True)
    expect_error(ctx, "unknown defconfig", ["no_such_defconfig"],
                 r"no configuration named 'no_such_defconfig'; available: .*defconfig")
    # A hand-edited .config: unknown symbol and out-of-range value are
    # reported and corrected by olddefconfig.
    build.make(ctx.srctree, ["defconfig"], d)
    append_config(d, "CONFIG_NO_SUCH_SYMBOL=y\nCONFIG_HEAP_SIZE=1024\n"
                  "CONFIG_HEAP_BUDDY_MIN_BLOCK=64\n")
    status, text = build.make(ctx.srctree, ["olddefconfig"], d)
    cfg = "\n".join(build.config_lines(d))
    said = [re.search(r"\.config:\d+: CONFIG_%s" % name, text)
            for name in ("NO_SUCH_SYMBOL=y: no such symbol", "HEAP_SIZE=1024: not kept",
                         "HEAP_BUDDY_MIN_BLOCK=64: .* has no prompt")]
    if (status == 0 and all(said) and "CONFIG_HEAP_SIZE=8388608" in cfg
            and "NO_SUCH_SYMBOL" not in cfg):
        ctx.tally.ok(name="bad .config values warned and corrected")
        print("  %-40s ok: warned and corrected" % "bad .config values", flush=True)
    else:
        ctx.tally.fail("errors: bad .config not warned/corrected: %s" % text.strip()[-400:])
    no_install = proc.clean_env({"MMLAB_AUTO_INSTALL": "0"})
    expect_error(ctx, "missing cross compiler", [],
                 r"missing: no-such-cross-gcc; install with: .*scripts/install-deps",
                 variables=["CROSS_COMPILE=no-such-cross-"], env=no_install)
    expect_error(ctx, "missing QEMU", ["run"],
                 r"missing: no-such-qemu; install with: .*scripts/install-deps",
                 variables=["QEMU=no-such-qemu"], env=no_install)
    # A 32 MiB heap cannot boot in 32 MiB of RAM: said before QEMU starts.
    append_config(d, "CONFIG_HEAP_SIZE=33554432\n")
    build.make(ctx.srctree, ["olddefconfig"], d)
    expect_error(ctx, "heap too large for the RAM", ["run"],
                 r"kernel image ends at .* lower CONFIG_HEAP_SIZE", variables=["QEMU_MEM=32M"])
    # QEMU started by hand skips that check: the kernel says so itself, status 2.
    res = qemu.boot(qemu.QemuOptions(mem="24M", timeout=60), os.path.join(d, "mmlab.elf"))
    line = next((l for l in res.lines if re.search(
        r"error: RAM too small: the kernel image .* lower CONFIG_HEAP_SIZE", l)), None)
    ctx.tally.verdict(None if line and res.status == 2 else
                      "errors: heap too large, QEMU -m by hand: status %s, last: %s"
                      % (res.status, " | ".join(res.lines[-3:])),
                      "%-40s ok: %s" % ("heap too large, QEMU -m by hand", line))
    # Every size QEMU accepts is read; one it refuses gets one line.
    for mem, want in (("3.5G", r"^\s*QEMU"), ("12x", r"^error: QEMU_MEM: RAM size '12x' is not")):
        status, text = build.make(ctx.srctree, ["run"], d, variables=["QEMU_MEM=" + mem,
                                  "BOOTARGS=ktest.filter=trap"])
        lines = [l for l in text.splitlines() if l.strip()]
        good = (status == 0) if mem == "3.5G" else (status != 0 and any(
            re.search(want, l) for l in lines) and "Traceback" not in text)
        ctx.tally.verdict(None if good else "errors: make run QEMU_MEM=%s: status %s: %s"
                          % (mem, status, text.strip()[-300:]),
                          "%-40s ok: status %s" % ("make run QEMU_MEM=" + mem, status))
    expect_error(ctx, "unknown make target", ["no-such-target"], r"No rule to make target")
    errors_first_contact(ctx)


def errors_first_contact(ctx):
    """A first command on a machine without the tools (auto-install off)
    stops in one line naming the install command, before any rule runs: no
    kconfiglib traceback, no "No rule to make target", no output directory."""
    fresh = os.path.join(ctx.out, "errors", "first-contact")
    shutil.rmtree(fresh, ignore_errors=True)
    env = proc.clean_env({"MMLAB_AUTO_INSTALL": "0"})
    a_defconfig = os.path.basename(sorted(glob.glob(
        os.path.join(ctx.srctree, "configs", "*_defconfig")))[0])
    absent = ["CROSS_COMPILE=/nonexistent/", "PYTHON=/nonexistent/python3"]
    expected = re.compile(r"missing: /nonexistent/\S+; install with: sudo \S*scripts/install-deps")
    goals = ["run", "check", "menuconfig", "bench", "maps", "defconfig", a_defconfig]
    passed = 0
    for goal in goals:
        for var in absent:
            status, text = build.make(ctx.srctree, [goal], fresh, variables=[var], env=env)
            lines = [l for l in text.splitlines()
                     if not re.match(r"make(\[\d+\])?: (Entering|Leaving) directory", l)]
            wrote = os.path.exists(fresh)
            if status != 0 and len(lines) == 1 and expected.search(lines[0]) and not wrote:
                passed += 1
                ctx.tally.ok(name="first contact: make %s %s: one line, nothing written"
                             % (var, goal))
                continue
            ctx.tally.fail("errors: first contact: make %s %s: exit %d,%s output: %s" % (
                var, goal, status, " wrote %s," % fresh if wrote else "", text.strip()[-400:]))
            shutil.rmtree(fresh, ignore_errors=True)
    print("  %-40s %d of %d: one line, nothing written" % (
        "first command without the tools", passed, len(goals) * len(absent)), flush=True)
