# SPDX-License-Identifier: MIT
"""Heap and frame maps: the "map: ..." lines a kernel built with
CONFIG_BENCH=y prints when booted with "map=all" (format in
include/mm/map.h), and the boot that makes them.

Each map gives every heap block or run of frames in address order, then an
"end" line with the fragmentation figures the kernel measured.
"""
import os
import re
import shutil
import sys

from mmlab import bench, qemu

CONFIG_RE = re.compile(r"^config: heap=(\S+) size=(\d+) KiB frames=(\S+)")
MAP_REQUEST = "map=all"


class Map:
    """One map: its header, its blocks (kind, start, length) and its figures."""

    def __init__(self, what, algo, start, length, state, unit):
        self.what, self.algo, self.state, self.unit = what, algo, state, unit
        self.start, self.length = start, length
        self.about = ""
        self.blocks = []
        self.figures = {}

    @property
    def key(self):
        """What the map shows and when ("heap-full"): a column of a grid."""
        return "%s-%s" % (self.what, self.state)


def parse(lines):
    """Maps and the config line found in @lines, in order."""
    maps, cur, config = [], None, None
    for raw in lines:
        line = raw.strip()
        m = CONFIG_RE.match(line)
        if m:
            config = {"heap": m.group(1), "heap_kib": int(m.group(2)), "frames": m.group(3)}
        if not line.startswith("map: "):
            continue
        f = line[5:].split(" ")
        if f[0] == "heap":
            cur = Map("heap", f[1], 0, int(f[2]), f[3], "bytes")
            maps.append(cur)
        elif f[0] == "frames":
            cur = Map("frames", f[1], int(f[2]), int(f[3]), f[4], "frames")
            maps.append(cur)
        elif f[0] == "about" and cur:
            cur.about = " ".join(f[2:])
        elif f[0] in ("h", "f") and cur:
            cur.blocks.append((f[1], int(f[2]), int(f[3])))
        elif f[0] == "end" and cur:
            cur.figures = {k: int(v) for k, v in (kv.split("=") for kv in f[3:])}
            cur = None
        elif f[0] == "error":
            sys.stderr.write("mapviz: the kernel reported: %s\n" % line)
    return maps, config


def read_log(path):
    """parse() the file @path ("-": standard input)."""
    if path == "-":
        return parse(sys.stdin)
    with open(path, errors="replace") as f:
        return parse(f)


def log_name(path, config):
    """A row label for the log @path: its configuration, else its folder."""
    if config:
        return "%s heap, %s frames" % (config["heap"], config["frames"])
    return os.path.basename(os.path.dirname(os.path.abspath(path))) or path


def boot_map_log(elf, log_path, mem="128M", timeout=300):
    """Boot @elf once with "map=all" (no -icount: maps need no counts) and
    keep the console in @log_path. Return: (complete maps, qemu.Boot)."""
    res = qemu.boot(qemu.QemuOptions(mem=mem, timeout=timeout), elf, MAP_REQUEST)
    with open(log_path, "w") as f:
        f.write("\n".join(res.lines) + "\n")
    return [m for m in parse(res.lines)[0] if m.figures], res


def build_and_boot(config, srctree, out, timeout=300):
    """Build the configuration file @config with CONFIG_BENCH=y in @out/obj
    (the caller's .config is only read) and boot it with map=all; the log
    is @out/map.log.

    Return: (log path, None), or (None, reason) when the build or boot failed.
    """
    obj = os.path.join(out, "obj")
    os.makedirs(obj, exist_ok=True)
    shutil.copyfile(config, os.path.join(obj, ".config"))
    ok, log = bench.build_image(srctree, obj, "olddefconfig")
    if not ok:
        return None, "building %s with CONFIG_BENCH=y failed:\n%s" % (config, log[-3000:])
    path = os.path.join(out, "map.log")
    _, res = boot_map_log(os.path.join(obj, "mmlab.elf"), path, timeout=timeout)
    if res.problems():
        return None, "the map boot failed (see %s): %s" % (path, "; ".join(res.problems()))
    return path, None
