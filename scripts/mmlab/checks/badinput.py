# SPDX-License-Identifier: MIT
"""Stage badinput: damaged machines and device trees never hang the kernel
and never get a wrong explanation.

Each case boots the defconfig image on QEMU virt with something wrong: a
device tree made from QEMU's own (dumped with -machine virt,dumpdtb, edited
as text, compiled with dtc), a CPU without an extension the image needs,
or both. The case says which line the console must show and which exit
status QEMU must end with; a timeout is always a failure.
"""
import os
import re
import subprocess
from dataclasses import dataclass, field

from mmlab import build, qemu


@dataclass
class Case:
    """One bad machine: how to damage the tree (a function from dts text to
    dts text, or None to boot QEMU's own), the QEMU options, what must be
    printed and the exit status QEMU must end with."""
    name: str
    expect: str                      # a regular expression some line must match
    status: int
    edit: object = None              # dts text -> dts text
    mem: str = "128M"
    extra: list = field(default_factory=list)
    append: str = "ktest.filter=trap,memmap"


def set_timebase(hz):
    return lambda dts: re.sub(r"timebase-frequency = <0x[0-9a-f]+>;",
                              "timebase-frequency = <%#x>;" % hz, dts)


def move_test_device(address):
    return lambda dts: dts.replace("reg = <0x00 0x100000 0x00 0x1000>;",
                                   "reg = <0x00 %#x 0x00 0x1000>;" % address)


def memory_reg(cells):
    """Replace the /memory node's reg with @cells (a string of cells)."""
    return lambda dts: re.sub(r"(memory@80000000 \{[^}]*?reg = )<[^>]*>;",
                              r"\1<%s>;" % cells, dts, count=1, flags=re.S)


def add_nodes(text):
    """Add @text (nodes) at the end of the root node."""
    return lambda dts: dts[:dts.rindex("};")] + text + "\n};\n"


def many_ram_ranges(dts):
    """The first 64 MiB, then nine 1 MiB ranges after it with gaps: the map
    holds eight ranges, so two are left out with a warning."""
    cells = "0x00 0x80000000 0x00 0x4000000 " + " ".join(
        "0x00 %#x 0x00 0x100000" % (0x84000000 + i * 0x200000) for i in range(9))
    return memory_reg(cells)(dts)


def bad_reserved_child(dts):
    node = ("\treserved-memory {\n\t\t#address-cells = <0x02>;\n\t\t#size-cells = <0x02>;\n"
            "\t\tranges;\n\t\tbroken@87000000 {\n\t\t\treg = <0x00 0x87000000 0x00>;\n"
            "\t\t};\n\t};\n")
    return add_nodes(node)(dts)


def second_bad_memory_node(dts):
    node = ("\tmemory@88000000 {\n\t\tdevice_type = \"memory\";\n"
            "\t\treg = <0x00 0x88000000 0x00>;\n\t};\n")
    return add_nodes(node)(dts)


CASES = [
    Case("cpu without zbb", r"^mmlab: built for zbb, this CPU lacks it: "
         r"rebuild with CONFIG_RISCV_ISA_ZBB=n$", 1, extra=["-cpu", "rv64,zbb=false"]),
    Case("test device misaligned", r"the exit device at 0x100002 faulted", 3,
         move_test_device(0x100002)),
    Case("test device unmapped", r"the exit device at 0x90000000 faulted", 3,
         move_test_device(0x90000000)),
    Case("timebase-frequency 1", r"timebase-frequency 1 Hz is outside", 0, set_timebase(1)),
    Case("timebase-frequency 0xffffffff", r"timebase-frequency 4294967295 Hz is outside", 0,
         set_timebase(0xffffffff)),
    Case("one memory entry unreadable", r"left out RAM of memory@88000000", 0,
         second_bad_memory_node),
    Case("only memory entry unreadable", r"cannot build the memory map: no RAM described", 3,
         memory_reg("0x00 0x80000000 0x00")),
    Case("reserved-memory entry unreadable",
         r"cannot honour broken@87000000 in the device tree", 3, bad_reserved_child),
    Case("ten RAM ranges", r"left out RAM of memory@80000000: too many ranges", 0,
         many_ram_ranges),
    Case("more RAM described than present", r"RAM at 0x8fffffff described by the device "
         r"tree is not there", 3, memory_reg("0x00 0x80000000 0x00 0x10000000")),
    Case("RAM starts after the kernel", r"the kernel image at 0x80200000 is not in the RAM "
         r"the device tree describes", 3, memory_reg("0x00 0x88000000 0x00 0x8000000"),
         mem="256M"),
]


def qemu_dts(out_dir, mem):
    """QEMU virt's own device tree for @mem of RAM, as dts text."""
    dtb = os.path.join(out_dir, "virt-%s.dtb" % mem)
    subprocess.run([qemu.default_qemu(), "-machine", "virt,dumpdtb=" + dtb, "-m", mem,
                    "-nographic"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", dtb], check=True,
                          capture_output=True, text=True).stdout


def case_tree(out_dir, case):
    """Compile @case's damaged tree; Return: its path, or None for QEMU's own."""
    if not case.edit:
        return None
    dts = case.edit(qemu_dts(out_dir, case.mem))
    dtb = os.path.join(out_dir, re.sub(r"\W+", "-", case.name) + ".dtb")
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dtb, "-"], input=dts,
                   text=True, check=True)
    return dtb


def stage_badinput(ctx):
    """Every Case above on the defconfig image."""
    d = os.path.join(ctx.out, "badinput")
    ok, log = build.build_config(ctx.srctree, d, "defconfig")
    if not ok:
        ctx.tally.fail("badinput: defconfig does not build: " + log[-800:])
        return
    elf = os.path.join(d, "mmlab.elf")
    for case in CASES:
        dtb = case_tree(d, case)
        opts = qemu.QemuOptions(mem=case.mem, timeout=60,
                                extra=case.extra + (["-dtb", dtb] if dtb else []))
        res = qemu.boot(opts, elf, case.append)
        line = next((l for l in res.lines if re.search(case.expect, l)), None)
        why = []
        if res.timed_out:
            why.append("hung (no exit in %ss)" % opts.timeout)
        elif res.status != case.status:
            why.append("exit status %s, expected %s" % (res.status, case.status))
        if not line:
            why.append("no line matching %r" % case.expect)
        ctx.tally.verdict("badinput: %s: %s; last lines: %s" % (
            case.name, ", ".join(why), " | ".join(res.lines[-4:])) if why else None,
            "%-36s ok: %s" % (case.name, line.strip() if line else ""))
