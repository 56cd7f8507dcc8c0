# SPDX-License-Identifier: MIT
"""The in-kernel benchmarks: images built with CONFIG_BENCH=y, booted under
-icount shift=0 with "bench=...", and the "bench: {json}" lines they print.

Instruction counts under -icount shift=0 are exact, so two boots of one
image give the same records (docs/performance.md).
"""
import glob
import json
import os
import shutil

from mmlab import build, kconfig, qemu

PREFIX = "bench: "
BENCH_ON = "CONFIG_BENCH=y"


REAL_TRACES = "tests/traces/real"


def default_traces(srctree):
    """The real traces every `make bench` replays: tests/traces/real/*.trace."""
    return sorted(glob.glob(os.path.join(srctree, REAL_TRACES, "*.trace")))


CURRENT = "current"


def build_image(srctree, out_dir, config_goal, traces=(), current=None, extra=()):
    """Configure @out_dir with @config_goal, CONFIG_BENCH=y and the
    "CONFIG_X=value" lines @extra forced, and build (embedding the
    allocation trace files @traces). @config_goal CURRENT builds a copy of
    the .config file @current. Return: (ok, log)."""
    variables = ["TRACE=" + " ".join(traces)] if traces else []
    if config_goal == CURRENT:
        os.makedirs(out_dir, exist_ok=True)
        shutil.copyfile(current, os.path.join(out_dir, ".config"))
        config_goal = "olddefconfig"
    return build.build_config(srctree, out_dir, config_goal, force=[BENCH_ON] + list(extra),
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


def config_list(srctree, wanted, current=None):
    """The configurations to benchmark: @wanted (defconfig names, or CURRENT
    for the .config file @current), or by default every defconfig but the
    debug ones, plus CURRENT when @current exists and matches none of them.

    With CONFIG_DEBUG_HEAP the heap validates itself after every call, so
    the workloads take hours and measure the checks, not the allocator;
    naming one in @wanted runs it. Raises ValueError for an unknown name.
    """
    have = sorted(os.path.basename(p) for p in glob.glob(os.path.join(srctree, "configs", "*defconfig")))
    has_current = bool(current and os.path.isfile(current))
    if not wanted:
        plain = [c for c in have if not c.startswith("debug")]
        if has_current and current_differs(srctree, current, have):
            plain.append(CURRENT)
        return plain
    missing = [c for c in wanted if c not in have and not (c == CURRENT and has_current)]
    if missing:
        raise ValueError("no such configuration: %s (have: %s%s)" % (
            " ".join(missing), " ".join(have), ", current" if has_current else ""))
    return wanted


def current_differs(srctree, current, defconfigs):
    """True when the .config file @current, in minimal form and leaving
    CONFIG_BENCH aside (make bench forces it), equals none of @defconfigs."""
    kconf = kconfig.load(srctree)

    def norm(path):
        return sorted(l for l in kconfig.minimal_form(kconf, path) if "CONFIG_BENCH" not in l)

    mine = norm(current)
    return all(norm(os.path.join(srctree, "configs", d)) != mine for d in defconfigs)


def config_dir(out, config):
    """Where @config is built: OUT/<name without _defconfig> (defconfig as is)."""
    return os.path.join(out, config.replace("_defconfig", "") if config != "defconfig" else config)
