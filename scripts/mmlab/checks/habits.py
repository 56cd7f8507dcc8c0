# SPDX-License-Identifier: MIT
"""Stage habits: what a Kbuild or twister user expects works as they expect:
make setconfig, guiconfig without a display, W=1 and KCFLAGS=, a
compile_commands.json clang-tidy parses, make tags and cscope, two make
debug at once on GDB_PORT=, the JUnit and JSON reports, and a fuzz stage
that skips, saying why, without clang's fuzzer runtime."""
import contextlib
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import xml.etree.ElementTree as ET

from mmlab import build, ktap, proc, report
from mmlab.checks import host
from mmlab.checks.tally import Tally


def one_line_error(status, text, pattern):
    """The output line matching @pattern when make failed with just that one
    line (besides make's own directory lines), else None."""
    lines = [l for l in text.splitlines()
             if l.strip() and not re.match(r"make(\[\d+\])?: ", l)]
    if status != 0 and len(lines) == 1 and re.search(pattern, lines[0]):
        return lines[0].strip()
    return None


def read(path):
    """The bytes of @path (b"" when there is none)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def habits_setconfig(ctx, d):
    """make setconfig sets a symbol; a misspelt one or a malformed argument
    is one line and leaves .config byte-identical."""
    build.make(ctx.srctree, ["defconfig"], d)
    status, text = build.make(ctx.srctree, ["setconfig"], d, variables=["SET=HEAP_SIZE=1048576"])
    ctx.tally.verdict("" if status == 0 and "CONFIG_HEAP_SIZE=1048576" in build.config_lines(d)
                      else "habits: setconfig HEAP_SIZE=1048576 not set: " + text[-400:],
                      "setconfig: HEAP_SIZE=1048576 is in .config")
    before = read(os.path.join(d, ".config"))
    for arg, pattern in (("HEAP_BUDY=y", r"CONFIG_HEAP_BUDY=y: no such symbol"),
                         ("HEAP_SIZE=0x100000", r"CONFIG_HEAP_SIZE=0x100000: not a valid int"),
                         ("HEAP_SIZE=12", r"CONFIG_HEAP_SIZE=12: not kept"),
                         ("HEAP_SIZE", r"'HEAP_SIZE' is not NAME=VALUE")):
        status, text = build.make(ctx.srctree, ["setconfig"], d, variables=["SET=" + arg])
        line = one_line_error(status, text, pattern)
        same = read(os.path.join(d, ".config")) == before
        ctx.tally.verdict("" if line and same else "habits: setconfig %s: exit %s,%s output: %s"
                          % (arg, status, "" if same else " .config changed,", text[-400:]),
                          "setconfig %s refused in one line: %s" % (arg, line))


def habits_guiconfig(ctx, d):
    """guiconfig without a display says so in one line."""
    env = proc.clean_env()
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    status, text = build.make(ctx.srctree, ["guiconfig"], d, env=env)
    line = one_line_error(status, text, r"guiconfig: no display")
    ctx.tally.verdict("" if line else "habits: guiconfig without a display: exit %s, output: %s"
                      % (status, text[-400:]), "guiconfig without a display: %s" % line)


def habits_flags(ctx, d):
    """W=1 builds with the extra warnings and KCFLAGS= reaches every compile."""
    probe = "-DMMLAB_KCFLAGS_PROBE=1"
    status, text = build.make(ctx.srctree, ["all"], d, variables=["W=1", "KCFLAGS=" + probe])
    cmd = read(os.path.join(d, "mm", "heap", ".kmalloc.o.cmd")).decode()
    good = status == 0 and "-Wshadow" in cmd and probe in cmd
    ctx.tally.verdict("" if good else "habits: make W=1 KCFLAGS=%s: exit %s, output: %s"
                      % (probe, status, text[-600:]),
                      "make W=1 KCFLAGS=%s builds, both in every command" % probe)
    return status == 0


def habits_compile_commands(ctx, d):
    """compile_commands.json names every C file with clang's arguments, and
    clang-tidy parses one file from it."""
    status, text = build.make(ctx.srctree, ["compile_commands.json"], d)
    if status != 0:
        ctx.tally.fail("habits: make compile_commands.json: " + text[-600:])
        return
    if not shutil.which("clang-tidy"):
        ctx.tally.skip("habits: clang-tidy is not installed (scripts/install-deps installs it)")
        return
    src = os.path.join(ctx.srctree, "mm", "heap", "kmalloc.c")
    status, text = proc.run(["clang-tidy", "-p", d, "-quiet",
                             "-checks=-*,bugprone-sizeof-expression", src])
    ctx.tally.verdict("" if status == 0 and "error:" not in text else
                      "habits: clang-tidy -p %s %s: exit %s: %s" % (d, src, status, text[-600:]),
                      "clang-tidy parses mm/heap/kmalloc.c from compile_commands.json")


def habits_indexes(ctx, d):
    """make tags and make cscope index the kernel's functions."""
    for goal, tool in (("tags", "ctags"), ("cscope", "cscope")):
        if not shutil.which(tool):
            ctx.tally.skip("habits: %s is not installed (scripts/install-deps installs it)" % tool)
            continue
        status, text = build.make(ctx.srctree, [goal], d)
        if goal == "tags":
            found = re.search(rb"^kmalloc\t\S*mm/heap/kmalloc\.c\t",
                              read(os.path.join(d, "tags")), re.M)
        else:
            _, out = proc.run(["cscope", "-d", "-L", "-1", "kmalloc"], cwd=d)
            found = "mm/heap/kmalloc.c" in out
        ctx.tally.verdict("" if status == 0 and found else "habits: make %s: exit %s, kmalloc %s: %s"
                          % (goal, status, "found" if found else "not found", text[-400:]),
                          "make %s: kmalloc's definition is indexed" % goal)


def free_port():
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, seconds):
    """True when something accepts on @port within @seconds."""
    end = time.time() + seconds
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.3)
    return False


def habits_debug_ports(ctx, d):
    """Two make debug at once, each with its own GDB_PORT, both listen."""
    ports = [free_port(), free_port()]
    while ports[1] == ports[0]:
        ports[1] = free_port()
    runs = [subprocess.Popen(["make", "-C", d, "debug", "GDB_PORT=%d" % p],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=proc.clean_env(),
                             start_new_session=True) for p in ports]
    try:
        listening = [port_open(p, 60) for p in ports]
    finally:
        for r in runs:
            os.killpg(r.pid, signal.SIGKILL)
            r.wait()
    ctx.tally.verdict("" if all(listening) else "habits: make debug GDB_PORT=%s: listening %s"
                      % (ports, listening), "two make debug at once, gdb stubs on two GDB_PORTs")


def habits_reports(ctx, d):
    """The JUnit report has one testcase per case, failures named with the
    log, and the JSON summary the same totals."""
    t = Tally()
    t.group = "lint"
    t.ok(name="a check")
    counts = ktap.Counts()
    counts.case("heap.alloc", "passed")
    counts.case("heap.free", "failed", "case free failed: expected x")
    counts.case("heap.big", "skipped", "no RAM")
    with contextlib.redirect_stdout(io.StringIO()):    # its FAIL line is not ours
        t.add("tlsf_stack_defconfig", counts, log="/x/boot.log")
    paths = [os.path.join(d, "r.xml"), os.path.join(d, "r.json")]
    report.write(t, 1.0, ["lint"], *paths)
    root = ET.parse(paths[0]).getroot()
    cases = root.findall("./testsuite/testcase")
    failure = root.find("./testsuite[@name='tlsf_stack_defconfig']/testcase[@name='heap.free']/failure")
    good = (len(cases) == 4 and root.get("failures") == "1" and root.get("skipped") == "1"
            and failure is not None and "expected x" in failure.get("message")
            and any("/x/boot.log" in f for f in t.failures)
            and '"failed": 1' in read(paths[1]).decode())
    ctx.tally.verdict("" if good else "habits: reports: %s" % read(paths[0]).decode()[:600],
                      "JUnit report: one testcase per case, failures name their log")


def habits_fuzz_runtime(ctx, d):
    """Without clang's fuzzer runtime the fuzz stage skips, saying what to
    install (gcc stands in for a clang without it)."""
    why = host.fuzz_runtime_problem("gcc", d)
    ctx.tally.verdict("" if "libclang-rt" in why else "habits: fuzz runtime probe: '%s'" % why,
                      "fuzz stage skips without the runtime: %s" % why[:70])


def stage_habits(ctx):
    """Each behaviour a Kbuild or twister user expects, once."""
    d = os.path.join(ctx.out, "habits")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    habits_setconfig(ctx, d)
    habits_guiconfig(ctx, d)
    habits_reports(ctx, d)
    habits_fuzz_runtime(ctx, d)
    if habits_flags(ctx, d):
        habits_compile_commands(ctx, d)
        habits_debug_ports(ctx, d)
    habits_indexes(ctx, d)
