#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Print `make help`: targets, defconfigs (with the description from each
file's first comment line) and variables."""
import os
import sys

TARGETS = [
    ("Configuration", [
        ("menuconfig", "Edit the configuration in a terminal menu"),
        ("nconfig", "The same (kconfiglib's terminal menu is menuconfig)"),
        ("guiconfig", "Edit the configuration in a window (Tk; also xconfig, gconfig)"),
        ("setconfig SET=\"A=v B=y\"", "Set symbols from the shell, checked; .config kept if one fails"),
        ("defconfig", "Apply configs/defconfig"),
        ("NAME_defconfig", "Apply configs/NAME_defconfig (listed below)"),
        ("savedefconfig", "Write the minimal form of .config to ./defconfig"),
        ("olddefconfig", "Update .config to the Kconfig files, new symbols at their defaults"),
        ("oldconfig", "Update .config, asking about new symbols"),
        ("alldefconfig", "Every symbol at its default"),
        ("allnoconfig", "Every bool symbol off where possible"),
        ("allyesconfig", "Every bool symbol on where possible"),
        ("listnewconfig", "List symbols .config does not set yet"),
        ("randconfig", "Random configuration (KCONFIG_SEED=N to repeat one)"),
    ]),
    ("Building", [
        ("all", "Build mmlab.elf and mmlab.bin (the default target)"),
        ("compile_commands.json", "Compilation database for clangd and clang-tidy"),
        ("tags", "Universal Ctags index of the kernel sources"),
        ("cscope", "cscope index of the kernel sources"),
        ("clean", "Remove objects and images, keep the configuration"),
        ("mrproper", "clean, plus the configuration and generated files"),
        ("distclean", "mrproper, plus editor backups and patch leftovers"),
    ]),
    ("Running and testing", [
        ("run", "Build if needed and boot the image under QEMU (Ctrl-A X quits)"),
        ("debug", "Boot halted with QEMU's gdb stub; prints the gdb-multiarch command"),
        ("check", "Every test: host tests, fuzzing, all defconfigs, RAM sizes, randconfigs"),
        ("host-check", "Host unit tests only (ASan/UBSan)"),
        ("host-fuzz", "Host fuzzers only, fixed seed"),
        ("randcheck N=200", "Build and boot N random configurations (fresh seeds, printed)"),
        ("bench", "Benchmark every defconfig and .config (CONFIGS=, TRACE=, NAME=): build/bench/runs/NAME"),
        ("bench-compare", "Compare two benchmark runs (A=run B=run, B defaults to latest)"),
        ("fit", "Smallest heap per algorithm for a trace (TRACE=file)"),
        ("maps", "Boot the current config with map=all and draw its heap and frame maps in build/maps"),
        ("fresh-check", "The README's two commands on a brand-new Debian 12 root, in a chroot (as root)"),
        ("install-deps", "Install the Debian packages mmlab needs (as root)"),
        ("check-tools", "Check the tools every goal needs (every goal does this first; as root, installs)"),
        ("docs", "Regenerate the diagrams in docs/images from their Graphviz sources"),
    ]),
    ("Allocator lab (docs/lab.md)", [
        ("new-heap NAME=x", "Scaffold heap algorithm x: mm/heap/x.c with stub ops, Kconfig, Makefile, defconfig"),
        ("new-frames NAME=x", "Scaffold frame algorithm x the same way, in mm/frame/"),
        ("grade ALGO=x", "Gate (host, fuzz, kernel tests), then score x against the shipped ones: build/grade/x"),
    ]),
]

VARIABLES = [
    ("O=DIR", "Put every output, the .config included, in DIR"),
    ("V=1", "Print whole commands instead of short lines"),
    ("W=1", "Extra compiler warnings (as errors, like every warning here)"),
    ("KCFLAGS=...", "Extra flags for every kernel C compile"),
    ("GDB_PORT=N", "TCP port of make debug's gdb stub (default 1234)"),
    ("CROSS_COMPILE=PREFIX", "Cross toolchain prefix (default riscv64-linux-gnu-)"),
    ("QEMU=PATH", "QEMU binary (default qemu-system-riscv64)"),
    ("QEMU_MEM=SIZE", "RAM for make run/debug (default 128M)"),
    ("QEMU_BIOS=FILE", "Firmware (default Debian's OpenSBI fw_dynamic.bin)"),
    ("BOOTARGS=\"...\"", "Kernel command line for make run (e.g. ktest.filter=heap)"),
    ("KCONFIG_SEED=N", "Seed for randconfig; with randcheck, test that one seed"),
    ("STAGES=\"a b\"", "Only these stages of make check (lint host fuzz errors ...)"),
    ("MMLAB_AUTO_INSTALL=0", "As root, do not install missing packages: say what is missing"),
    ("CONFIGS=\"a b\"", "Defconfigs (or current) for make bench (default: all, and current)"),
    ("TRACE=FILE", "Traces make bench replays (default: tests/traces/real/*.trace)"),
    ("NAME=run", "Name of a make bench run (default: a timestamp); with new-heap/new-frames, the algorithm's"),
    ("ALGO=x KIND=heap|frame", "Algorithm make grade grades (KIND only when x names both a heap and a frame one)"),
    ("TRACES=DIR", "make grade replays every DIR/*.trace besides tests/traces/real (hidden traces)"),
    ("WEIGHTS=util=W,mean=W,worst=W", "make grade's weights (default util=0.4,mean=0.4,worst=0.2)"),
]


def defconfig_description(path):
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                return line.lstrip("# ").strip()
    return ""


def main():
    srctree = sys.argv[1] if len(sys.argv) > 1 else "."
    for title, rows in TARGETS:
        print("%s targets:" % title)
        for name, text in rows:
            print("  %-24s - %s" % (name, text))
        print()
    print("Defconfigs (make NAME):")
    configs = os.path.join(srctree, "configs")
    for name in sorted(os.listdir(configs)):
        if name.endswith("defconfig"):
            print("  %-24s - %s" % (name, defconfig_description(os.path.join(configs, name))))
    print()
    print("Variables:")
    for name, text in VARIABLES:
        print("  %-24s - %s" % (name, text))


if __name__ == "__main__":
    main()
