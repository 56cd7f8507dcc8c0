#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""List the arrows that run back up the layers: includes and calls.

The layers, top to bottom (STYLE.md habit 13):

    init     the program's top (start_kernel)
    bench    instruments: benchmarks, trace replay, maps
    mm       memory management: memmap, the frame and heap families
    kernel   services: printk, panic, kallsyms, cmdline, ktest
    arch     the RISC-V machine
    lib      pure helpers
    base     compiler.h, kconfig.h: macros every layer may use

An include or a call from a file to a file of a higher layer is a back edge;
files that reach each other through includes and calls form a circle.
Includes are read from the sources; calls from the objects of a build
(`nm` on every .o under BUILD: an undefined symbol is a call to the layer
whose object defines it). arch <-> kernel is the one allowed pair (the trap
entry calls the kernel's printk and panic; panic ends the machine).

  scripts/layers.py [--build DIR]   exit 1 and one line per back edge or circle
"""
import argparse
import os
import re
import subprocess
import sys

ORDER = ["base", "lib", "arch", "kernel", "mm", "bench", "init"]
RANK = {name: i for i, name in enumerate(ORDER)}
ALLOWED = {("arch", "kernel"), ("kernel", "arch")}
# The boot entry jumps to the top (the one arrow that must run up), and
# trap_init() writes the address of the trap vector to stvec (a reference,
# not a call back into the entry code).
ALLOWED_EDGES = {("arch/riscv/head.S", "init/main.c"),
                 ("arch/riscv/trap.c", "arch/riscv/entry.S")}
BASE_HEADERS = {"include/mmlab/compiler.h", "include/mmlab/kconfig.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
SOURCE_DIRS = ["init", "bench", "mm", "kernel", "arch/riscv", "lib", "include"]


def layer_of(path):
    """The layer of a source path relative to the tree, or None (not kernel code)."""
    if path in BASE_HEADERS:
        return "base"
    top = path.split("/")
    if top[0] == "include":
        return {"bench": "bench", "mm": "mm", "mmlab": "kernel",
                "lib": "lib"}.get(top[1])
    if path.startswith("arch/"):
        return "arch"
    return top[0] if top[0] in RANK else None


def resolve(src, name, srctree):
    """The tree path an #include names, or None (a system or generated header)."""
    here = os.path.join(os.path.dirname(src), name)
    if os.path.exists(os.path.join(srctree, here)):
        return os.path.normpath(here)
    for base in ("include", "arch/riscv/include"):
        p = os.path.join(base, name)
        if os.path.exists(os.path.join(srctree, p)):
            return p
    return None


def sources(srctree):
    for top in SOURCE_DIRS:
        for root, _, files in os.walk(os.path.join(srctree, top)):
            for f in files:
                if f.endswith((".c", ".h", ".S")):
                    yield os.path.relpath(os.path.join(root, f), srctree)


def include_edges(srctree):
    for src in sorted(sources(srctree)):
        with open(os.path.join(srctree, src), encoding="utf-8") as fh:
            text = fh.read()
        for name in INCLUDE.findall(text):
            dst = resolve(src, name, srctree)
            if dst:
                yield src, dst, "includes"


def call_edges(build, srctree):
    """(caller source, callee source, symbol) from the objects under @build."""
    defined, wanted = {}, []
    for root, _, files in os.walk(build):
        for f in files:
            if not f.endswith(".o") or f.startswith(".tmp"):
                continue
            obj = os.path.join(root, f)
            src = os.path.relpath(obj, build)[:-2]
            src = next((src + e for e in (".c", ".S")
                        if os.path.exists(os.path.join(srctree, src + e))), None)
            if not src:
                continue
            out = subprocess.run(["riscv64-linux-gnu-nm", obj], capture_output=True,
                                 text=True, check=True).stdout
            for line in out.splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == "U":
                    wanted.append((src, parts[1]))
                elif len(parts) == 3 and parts[1] in "TDBRtdbr" and parts[1].isupper():
                    defined[parts[2]] = src
    for src, sym in wanted:
        if sym in defined:
            yield src, defined[sym], "calls " + sym


def allowed(src, dst):
    """True for the arrows the layering accepts in either direction."""
    return (layer_of(src), layer_of(dst)) in ALLOWED or (src, dst) in ALLOWED_EDGES


def back_edges(edges):
    seen = set()
    for src, dst, how in edges:
        a, b = layer_of(src), layer_of(dst)
        if a is None or b is None or allowed(src, dst):
            continue
        if RANK[b] > RANK[a] and (src, dst, how) not in seen:
            seen.add((src, dst, how))
            yield "%s (%s) %s %s (%s)" % (src, a, how, dst, b)


def circles(edges):
    """Groups of two or more files that reach each other (Tarjan's SCC)."""
    graph = {}
    for src, dst, _ in edges:
        if allowed(src, dst):
            continue
        if src != dst:
            graph.setdefault(src, set()).add(dst)
            graph.setdefault(dst, set())
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--srctree", default=os.path.join(os.path.dirname(__file__), ".."))
    p.add_argument("--build", help="a build tree (O=DIR) whose objects give the calls")
    args = p.parse_args()
    srctree = os.path.abspath(args.srctree)
    edges = list(include_edges(srctree))
    if args.build:
        edges += list(call_edges(os.path.abspath(args.build), srctree))
    bad = list(back_edges(edges))
    for line in bad:
        print("back edge: " + line)
    loops = circles(edges)
    for group in loops:
        print("circle: " + " <-> ".join(group))
    print("layers: %d arrows read, %d run back up, %d circles"
          % (len(edges), len(bad), len(loops)))
    return 1 if bad or loops else 0


if __name__ == "__main__":
    sys.exit(main())
