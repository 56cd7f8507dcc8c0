# SPDX-License-Identifier: MIT
"""The in-kernel benchmarks: images built with CONFIG_BENCH=y, booted under
-icount shift=0 with "bench=...", and the "bench: {json}" lines they print.

Instruction counts under -icount shift=0 are exact, so two boots of one
image give the same records (docs/performance.md).
"""
import glob
import json
import os

from mmlab import build, qemu

PREFIX = "bench: "
BENCH_ON = "CONFIG_BENCH=y"


def build_image(srctree, out_dir, config_goal, trace=None):
    """Configure @out_dir with @config_goal, CONFIG_BENCH=y forced, and build
    (embedding the allocation trace file @trace). Return: (ok, log)."""
    variables = ["TRACE=" + trace] if trace else []
    return build.build_config(srctree, out_dir, config_goal, force=[BENCH_ON],
                              variables=variables)


def records(lines):
    """The JSON objects of the "bench: {...}" lines in @lines."""
    return [json.loads(l[len(PREFIX):]) for l in lines if l.startswith(PREFIX + "{")]


def boot(elf, mem, request, timeout):
    """Boot @elf with @mem of RAM, -icount shift=0 and "@request" (bench=...)
    on the command line. Return: (records, qemu.Boot)."""
    opts = qemu.QemuOptions(mem=mem, timeout=timeout, icount=True)
    res = qemu.boot(opts, elf, request)
    return records(res.lines), res


def problems(recs, res):
    """Why a benchmark boot's records cannot be trusted, or [] when they can."""
    why = res.problems()
    why += [l[len(PREFIX):] for l in res.lines if l.startswith(PREFIX + "error")]
    if not any(r.get("done") for r in recs):
        why.append("no final 'done' line")
    return why


def config_list(srctree, wanted):
    """The defconfigs to benchmark: @wanted, or every one but the debug ones.

    With CONFIG_DEBUG_HEAP the heap validates itself after every call, so
    the workloads take hours and measure the checks, not the allocator;
    naming one in @wanted runs it. Raises ValueError for an unknown name.
    """
    have = sorted(os.path.basename(p) for p in glob.glob(os.path.join(srctree, "configs", "*defconfig")))
    if not wanted:
        return [c for c in have if not c.startswith("debug")]
    missing = [c for c in wanted if c not in have]
    if missing:
        raise ValueError("no such configuration: %s (have: %s)" % (" ".join(missing), " ".join(have)))
    return wanted


def config_dir(out, config):
    """Where @config is built: OUT/<name without _defconfig> (defconfig as is)."""
    return os.path.join(out, config.replace("_defconfig", "") if config != "defconfig" else config)
