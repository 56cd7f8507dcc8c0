# SPDX-License-Identifier: MIT
"""Booting an mmlab image on QEMU virt under OpenSBI, and the RAM fit check.

boot() runs QEMU until the kernel ends it (through the SiFive test device,
with the kernel's exit status) or the timeout passes, keeping every console
line. What the lines mean is for ktap, selftest, bench and maps to judge.
"""
import os
import re
import subprocess
import threading
from dataclasses import dataclass, field

BIOS = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
RAM_BASE = 0x80000000


def default_qemu():
    """The QEMU binary: $QEMU (make exports it) or qemu-system-riscv64."""
    return os.environ.get("QEMU", "qemu-system-riscv64")


@dataclass
class QemuOptions:
    """How to start QEMU: binary, firmware, RAM (-m value), seconds per boot,
    harts (-smp), and whether to count instructions exactly (-icount
    shift=0: the harts then run in turn on one host thread; without it
    several harts run in parallel, multi-threaded TCG)."""
    qemu: str = field(default_factory=default_qemu)
    bios: str = BIOS
    mem: str = "128M"
    timeout: float = 120
    icount: bool = False
    smp: int = 1
    extra: list = field(default_factory=list)   # more QEMU arguments (-dtb, -cpu)


@dataclass
class Boot:
    """Everything one boot printed, and how it ended."""
    lines: list = field(default_factory=list)
    status: int = None         # QEMU's exit status; None after a timeout
    timed_out: bool = False
    timeout: float = 0         # the limit it ran under, in seconds
    panic: str = None          # the "Kernel panic: ..." line, if any

    def problems(self):
        """Why the boot did not end cleanly: a list of reasons, [] if it did."""
        why = []
        if self.timed_out:
            why.append("timeout after %ss" % self.timeout)
        if self.panic:
            why.append(self.panic)
        if self.status not in (0, None):
            why.append("exit status %s" % self.status)
        return why


def mem_bytes(size):
    """QEMU -m value in bytes: a number with an optional K, M, G or T suffix
    (M when there is none) and a fraction allowed, as QEMU reads it ("128M",
    "3.5G", "512"). Raises ValueError with a one-line reason otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGT]?)B?\s*", size or "", re.I)
    if not m:
        raise ValueError("RAM size %r is not one QEMU accepts (a number with K, M, G or T, "
                         "for example 128M or 3.5G)" % size)
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[(m.group(2) or "M").upper()]
    return int(float(m.group(1)) * scale)


def image_end(elf):
    """Address of __kernel_end in @elf, or None when nm cannot tell."""
    nm = os.environ.get("CROSS_COMPILE", "riscv64-linux-gnu-") + "nm"
    try:
        out = subprocess.run([nm, elf], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in out.splitlines():
        words = line.split()
        if len(words) == 3 and words[2] == "__kernel_end":
            return int(words[0], 16)
    return None


def image_fit_error(elf, mem):
    """One line saying why @elf cannot boot with @mem of RAM (or why @mem is
    not a size), or None. The kernel says the same when booted by hand
    (mm_check_fit())."""
    try:
        ram_end = RAM_BASE + mem_bytes(mem)
    except ValueError as e:
        return "error: QEMU_MEM: %s" % e
    end = image_end(elf)
    if end is not None and end > ram_end:
        return ("error: the kernel image ends at 0x%x but RAM (-m %s) ends at 0x%x; lower "
                "CONFIG_HEAP_SIZE or give QEMU more memory (QEMU_MEM=)" % (end, mem, ram_end))
    return None


def qemu_command(opts, elf, append=""):
    """The QEMU command line that boots @elf with kernel command line @append."""
    cmd = [opts.qemu, "-machine", "virt", "-nographic", "-m", opts.mem,
           "-bios", opts.bios, "-kernel", elf, "-monitor", "none", "-serial", "stdio"]
    if opts.smp != 1:
        cmd += ["-smp", str(opts.smp)]
    if opts.icount:
        cmd += ["-icount", "shift=0"]
    elif opts.smp != 1:
        cmd += ["-accel", "tcg,thread=multi"]
    cmd += opts.extra
    if append:
        cmd += ["-append", append]
    return cmd


def boot(opts, elf, append="", echo=False, log=None):
    """Boot @elf and wait until QEMU exits or @opts.timeout passes.

    Each console line is kept, printed when @echo, and written to the open
    file @log if given. Return: the Boot.
    """
    res = Boot(timeout=opts.timeout)
    proc = subprocess.Popen(qemu_command(opts, elf, append), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def reader():
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            res.lines.append(line)
            if echo:
                print(line, flush=True)
            if log:
                log.write(line + "\n")

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        res.status = proc.wait(timeout=opts.timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        res.timed_out = True
    thread.join(5)
    res.panic = next((l for l in res.lines if l.startswith("Kernel panic")), None)
    return res
