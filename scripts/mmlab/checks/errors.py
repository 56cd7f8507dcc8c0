# SPDX-License-Identifier: MIT
"""Stage errors: bad input to the build gets a clear one-line answer."""
import os
import re

from mmlab import build, proc


def expect_error(ctx, label, goals, pattern, variables=(), env=None):
    """make @goals (in OUT/errors) must fail with a line matching @pattern."""
    d = os.path.join(ctx.out, "errors")
    status, text = build.make(ctx.srctree, goals, d, variables=variables, env=env)
    line = next((l.strip() for l in text.splitlines() if re.search(pattern, l)), None)
    if status != 0 and line:
        ctx.tally.ok()
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
    append_config(d, "CONFIG_NO_SUCH_SYMBOL=y\nCONFIG_HEAP_SIZE=1024\n")
    status, text = build.make(ctx.srctree, ["olddefconfig"], d,
                              env=proc.clean_env({"KCONFIG_WARN_UNDEF_ASSIGN": "y"}))
    cfg = "\n".join(build.config_lines(d))
    if (status == 0 and "NO_SUCH_SYMBOL" in text and "HEAP_SIZE" in text
            and "CONFIG_HEAP_SIZE=8388608" in cfg and "NO_SUCH_SYMBOL" not in cfg):
        ctx.tally.ok()
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
    expect_error(ctx, "unknown make target", ["no-such-target"], r"No rule to make target")
