#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make check`: every test mmlab has, ending with one "N passed, N failed".

Stages (each can be run alone with --only STAGE, several times):
  lint        Kconfig symbols all have help; defconfigs are minimal
  host        host unit tests (ASan/UBSan) of the pure sources
  fuzz        host fuzzers, fixed seed, a few seconds each
  errors      bad make targets and bad .config values get clear messages
  matrix      every configs/*_defconfig: build, boot, self-tests, panic cases
  ram         RAM sizes 64M/512M/2G/4G: frame counts match the RAM
  randconfig  random configurations (fixed seeds here; make randcheck for more)
  extremes    allnoconfig and allyesconfig build and boot
  bench       one benchmark run twice gives identical instruction counts
  docs        every make target the README quotes exists

Each build goes to its own directory under --out (default build/), so the
source tree is never touched.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ktest_runner  # noqa: E402

PYTHON = "/usr/bin/python3"
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$")
FRAMES = re.compile(r"^mm: frames total=(\d+) free=(\d+) algo=(\w+)")
RANDCONFIG_SEEDS = [0x2a, 0x1d0c, 0x5eed, 0xbeef]
RAM_SIZES = ["64M", "512M", "2G", "4G"]


class Tally:
    """Running totals for the whole check, plus a table of configurations."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []
        self.rows = []

    def ok(self, what, n=1):
        self.passed += n

    def fail(self, what, n=1):
        self.failed += n
        self.failures.append(what)
        print("FAIL: %s" % what, flush=True)


def run(cmd, cwd=None, env=None, quiet=True):
    """Run a command; returns (exit status, combined output)."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    out = proc.stdout.decode("utf-8", "replace")
    if not quiet:
        sys.stdout.write(out)
    return proc.returncode, out


def make(args, srctree, out_dir=None, env=None):
    cmd = ["make", "-C", srctree, "-j%d" % max(2, os.cpu_count() or 2)]
    if out_dir:
        cmd.append("O=" + out_dir)
    return run(cmd + args, env=env)


def last_summary(text):
    found = None
    for line in text.splitlines():
        m = SUMMARY.match(line.strip())
        if m:
            found = m
    return found


def runner_args(mem="128M", timeout=180, panic_cases=True, icount=False, append=""):
    ns = argparse.Namespace(qemu=os.environ.get("QEMU", "qemu-system-riscv64"),
                            bios=ktest_runner.BIOS, mem=mem, timeout=timeout,
                            append=append, icount=icount, panic_cases=panic_cases)
    ktest_runner.ARGS_TIMEOUT[0] = timeout
    return ns


def build_config(srctree, out_dir, config_goal, env=None):
    """Configure and build in out_dir; returns (ok, output)."""
    os.makedirs(out_dir, exist_ok=True)
    status, out = make([config_goal], srctree, out_dir, env=env)
    if status != 0:
        return False, out
    status, out2 = make(["all"], srctree, out_dir, env=env)
    return status == 0, out + out2


def boot_and_count(tally, label, elf, mem="128M", panic_cases=True, log_path=None):
    """Boot the self-tests; add their counts to the tally. Returns the BootResult."""
    t0 = time.time()
    passed, failed, skipped, failures, res = ktest_runner.run_image(
        runner_args(mem=mem, panic_cases=panic_cases), elf, echo=False)
    if log_path:
        with open(log_path, "w") as f:
            f.write("\n".join(res.lines) + "\n")
    tally.passed += passed
    tally.skipped += skipped
    for why in failures:
        tally.fail("%s: %s" % (label, why), 0)
    tally.failed += failed
    secs = time.time() - t0
    print("  %-34s %4d passed %3d failed %3d skipped  %5.1fs" % (label, passed, failed, skipped, secs),
          flush=True)
    tally.rows.append((label, passed, failed, skipped, secs))
    return res


# --------------------------------------------------------------------------
# Stages

def stage_lint(srctree, out, tally):
    """Every Kconfig symbol has help; every defconfig is what savedefconfig writes."""
    code = r'''
import os, sys, kconfiglib
k = kconfiglib.Kconfig(sys.argv[1], warn=False)
bad = [s.name for s in k.unique_defined_syms if not any(n.help for n in s.nodes)]
bad += ["<choice %s>" % (c.name or c.nodes[0].prompt[0]) for c in k.unique_choices
        if not any(n.help for n in c.nodes)]
print("\n".join(bad))
'''
    env = dict(os.environ, srctree=srctree, MMLAB_VERSION="check")
    status, text = run([PYTHON, "-c", code, os.path.join(srctree, "Kconfig")], env=env)
    missing = [l for l in text.split() if l]
    if status != 0 or missing:
        tally.fail("lint: Kconfig symbols without help text: %s" % (" ".join(missing) or text))
    else:
        tally.ok("lint: help")
        print("  Kconfig: every symbol has help text", flush=True)
    for path in sorted(glob.glob(os.path.join(srctree, "configs", "*defconfig"))):
        name = os.path.basename(path)
        check = r'''
import sys, kconfiglib, tempfile, os
k = kconfiglib.Kconfig(sys.argv[1], warn=False)
k.load_config(sys.argv[2])
tmp = tempfile.mktemp()
k.write_min_config(tmp)
want = [l for l in open(tmp).read().splitlines() if l and not l.startswith("#")]
have = [l for l in open(sys.argv[2]).read().splitlines() if l and not l.startswith("#")]
os.unlink(tmp)
if want != have:
    print("expected:", want, "found:", have)
    sys.exit(1)
'''
        status, text = run([PYTHON, "-c", check, os.path.join(srctree, "Kconfig"), path], env=env)
        if status == 0:
            tally.ok("lint: " + name)
        else:
            tally.fail("lint: %s is not minimal (make savedefconfig): %s" % (name, text.strip()))
    print("  defconfigs checked for minimality", flush=True)
    lint_workflow(srctree, tally)


def lint_workflow(srctree, tally):
    """.github/workflows/ci.yml is valid YAML and runs every stage of make check."""
    path = os.path.join(srctree, ".github", "workflows", "ci.yml")
    try:
        import yaml
        with open(path) as f:
            flow = yaml.safe_load(f)
        runs = " ".join(step.get("run", "") for job in flow["jobs"].values()
                        for step in job.get("steps", []))
    except Exception as e:  # noqa: BLE001 - any failure here is the finding
        tally.fail("lint: %s: %s" % (path, e))
        return
    missing = [st for st in STAGES if "--only " + st not in runs]
    if missing:
        tally.fail("lint: ci.yml does not run stages: %s" % " ".join(missing))
    else:
        tally.ok("lint: workflow")
        print("  ci.yml: valid YAML, runs every stage of make check", flush=True)


def stage_host(srctree, out, tally):
    status, text = make(["host-check"], srctree)
    m = last_summary(text)
    if not m:
        sys.stdout.write(text[-3000:])
        tally.fail("host: host tests did not run (exit status %d)" % status)
        return
    tally.passed += int(m.group(1))
    tally.skipped += int(m.group(3) or 0)
    for line in text.splitlines():
        if line.startswith("not ok") or line.startswith("# FAIL"):
            tally.fail("host: " + line, 0)
    tally.failed += int(m.group(2))
    if status != 0 and int(m.group(2)) == 0:
        tally.fail("host: exit status %d" % status)
    print("  host tests: %s" % m.group(0), flush=True)


def stage_fuzz(srctree, out, tally):
    status, text = make(["host-fuzz"], srctree)
    fuzzers = re.findall(r"FUZZ\s+(\S+)", text)
    if status != 0:
        sys.stdout.write(text[-3000:])
        tally.fail("fuzz: a fuzzer failed")
        tally.ok("fuzz", max(0, len(fuzzers) - 1))
    else:
        tally.ok("fuzz", len(fuzzers))
    print("  fuzzers run: %s" % (" ".join(fuzzers) or "none"), flush=True)


def expect_error(tally, label, cmd, pattern, env=None, cwd=None):
    status, text = run(cmd, env=env, cwd=cwd)
    if status != 0 and re.search(pattern, text):
        tally.ok(label)
        print("  %-40s ok: %s" % (label, next(
            (l.strip() for l in text.splitlines() if re.search(pattern, l)), "")), flush=True)
    else:
        tally.fail("errors: %s: exit %d, output: %s" % (label, status, text.strip()[-400:]))


def stage_errors(srctree, out, tally):
    """Bad input to the build gets a clear one-line answer."""
    d = os.path.join(out, "errors")
    os.makedirs(d, exist_ok=True)
    expect_error(tally, "unknown defconfig", ["make", "-C", srctree, "O=" + d, "no_such_defconfig"],
                 r"no configuration named 'no_such_defconfig'; available: .*defconfig")
    # A hand-edited .config: unknown symbol and out-of-range value are
    # reported and corrected by olddefconfig.
    make(["defconfig"], srctree, d)
    with open(os.path.join(d, ".config"), "a") as f:
        f.write("CONFIG_NO_SUCH_SYMBOL=y\nCONFIG_HEAP_SIZE=1024\n")
    env = dict(os.environ, KCONFIG_WARN_UNDEF_ASSIGN="y")
    status, text = make(["olddefconfig"], srctree, d, env=env)
    with open(os.path.join(d, ".config")) as f:
        cfg = f.read()
    if (status == 0 and "NO_SUCH_SYMBOL" in text and "HEAP_SIZE" in text
            and "CONFIG_HEAP_SIZE=8388608" in cfg and "NO_SUCH_SYMBOL" not in cfg):
        tally.ok("errors: bad .config")
        print("  %-40s ok: warned and corrected" % "bad .config values", flush=True)
    else:
        tally.fail("errors: bad .config not warned/corrected: %s" % text.strip()[-400:])
    no_install = dict(os.environ, MMLAB_AUTO_INSTALL="0")
    expect_error(tally, "missing cross compiler",
                 ["make", "-C", srctree, "O=" + d, "CROSS_COMPILE=no-such-cross-"],
                 r"missing: no-such-cross-gcc; install with: .*scripts/install-deps", env=no_install)
    expect_error(tally, "missing QEMU",
                 ["make", "-C", srctree, "O=" + d, "QEMU=no-such-qemu", "run"],
                 r"missing: no-such-qemu; install with: .*scripts/install-deps", env=no_install)
    # A 32 MiB heap cannot boot in 32 MiB of RAM: said before QEMU starts.
    with open(os.path.join(d, ".config"), "a") as f:
        f.write("CONFIG_HEAP_SIZE=33554432\n")
    make(["olddefconfig"], srctree, d)
    expect_error(tally, "heap too large for the RAM",
                 ["make", "-C", srctree, "O=" + d, "QEMU_MEM=32M", "run"],
                 r"kernel image ends at .* lower CONFIG_HEAP_SIZE")
    # QEMU started by hand skips that check: the kernel says so itself, exit status 2.
    expect_error(tally, "heap too large, QEMU -m by hand",
                 ["timeout", "60"] + ktest_runner.qemu_command(runner_args(mem="24M"),
                                                               os.path.join(d, "mmlab.elf"), ""),
                 r"error: RAM too small: the kernel image .* lower CONFIG_HEAP_SIZE")
    expect_error(tally, "unknown make target", ["make", "-C", srctree, "O=" + d, "no-such-target"],
                 r"No rule to make target")


def stage_matrix(srctree, out, tally, names=None):
    paths = sorted(glob.glob(os.path.join(srctree, "configs", "*defconfig")))
    for path in paths:
        name = os.path.basename(path)
        if names and name not in names:
            continue
        d = os.path.join(out, "matrix", name)
        ok, text = build_config(srctree, d, name)
        if not ok:
            sys.stdout.write(text[-3000:])
            tally.fail("matrix: %s does not build" % name)
            continue
        boot_and_count(tally, name, os.path.join(d, "mmlab.elf"),
                       log_path=os.path.join(d, "boot.log"))


def stage_ram(srctree, out, tally):
    """Boot at several RAM sizes; the frame total must be the RAM in pages."""
    for config in ("defconfig", "buddy_bitmap_defconfig"):
        if not os.path.exists(os.path.join(srctree, "configs", config)):
            continue
        d = os.path.join(out, "matrix", config)
        if not os.path.exists(os.path.join(d, "mmlab.elf")):
            ok, text = build_config(srctree, d, config)
            if not ok:
                tally.fail("ram: %s does not build" % config)
                continue
        for mem in RAM_SIZES:
            label = "%s -m %s" % (config, mem)
            res = boot_and_count(tally, label, os.path.join(d, "mmlab.elf"), mem=mem,
                                 panic_cases=False)
            totals = [FRAMES.match(l) for l in res.lines if FRAMES.match(l)]
            want = ktest_runner.mem_bytes(mem) // 4096
            if not totals:
                tally.fail("ram: %s: no 'mm: frames' line" % label)
            elif int(totals[0].group(1)) != want:
                tally.fail("ram: %s: frames total=%s, expected %d" % (label, totals[0].group(1), want))
            else:
                tally.ok("ram: " + label)


def stage_randconfig(srctree, out, tally, seeds):
    for seed in seeds:
        label = "randconfig KCONFIG_SEED=0x%x" % seed
        d = os.path.join(out, "rand", "0x%x" % seed)
        env = dict(os.environ, KCONFIG_SEED=str(seed))
        ok, text = build_config(srctree, d, "randconfig", env=env)
        repro = "KCONFIG_SEED=0x%x make randconfig all && make run" % seed
        if not ok:
            sys.stdout.write(text[-3000:])
            tally.fail("%s does not build; reproduce with: %s" % (label, repro))
            continue
        before = tally.failed
        boot_and_count(tally, label, os.path.join(d, "mmlab.elf"),
                       log_path=os.path.join(d, "boot.log"))
        if tally.failed != before:
            print("  reproduce with: %s" % repro, flush=True)


def stage_extremes(srctree, out, tally):
    for goal in ("allnoconfig", "allyesconfig"):
        d = os.path.join(out, "extremes", goal)
        ok, text = build_config(srctree, d, goal)
        if not ok:
            sys.stdout.write(text[-3000:])
            tally.fail("%s does not build" % goal)
            continue
        res = boot_and_count(tally, goal, os.path.join(d, "mmlab.elf"))
        if not any(l.startswith("mmlab ") for l in res.lines):
            tally.fail("%s: no banner" % goal)


def stage_bench(srctree, out, tally):
    script = os.path.join(srctree, "scripts", "bench.py")
    if not os.path.exists(script):
        print("  bench: scripts/bench.py not present yet", flush=True)
        return
    status, text = run([PYTHON, script, "--srctree", srctree, "--out", os.path.join(out, "bench-check"),
                        "--determinism", "defconfig"])
    if status == 0:
        tally.ok("bench determinism")
        print("  bench: two runs gave identical instruction counts", flush=True)
    else:
        sys.stdout.write(text[-2000:])
        tally.fail("bench: runs differ or failed")


def stage_docs(srctree, out, tally):
    """Every `make X` quoted in README.md and docs/ is a real target."""
    status, help_text = run(["make", "-C", srctree, "help"])
    known = set(re.findall(r"^\s+(\S+)(?: \S+=\S+)*\s+- ", help_text, re.M))
    known |= {"menuconfig", "all", "help"}
    files = [os.path.join(srctree, "README.md")] + glob.glob(os.path.join(srctree, "docs", "*.md"))
    quoted = set()
    for path in files:
        if os.path.exists(path):
            with open(path) as f:
                for m in re.finditer(r"`make ((?:[A-Z_]+=\S+ )*)([a-z_][\w.-]*)", f.read()):
                    quoted.add(m.group(2))
    defconfigs = {os.path.basename(p) for p in glob.glob(os.path.join(srctree, "configs", "*defconfig"))}
    # Deliberately wrong names, quoted to show the error they give.
    quoted = {t for t in quoted if not t.startswith("no_such")}
    bad = sorted(t for t in quoted if t not in known and t not in defconfigs)
    if bad:
        tally.fail("docs: make targets quoted but missing: %s" % " ".join(bad))
    else:
        tally.ok("docs")
        print("  docs: %d quoted make targets all exist" % len(quoted), flush=True)


STAGES = ["lint", "host", "fuzz", "errors", "matrix", "ram", "randconfig", "extremes", "bench", "docs"]


def main():
    p = argparse.ArgumentParser(description="mmlab: run every test")
    p.add_argument("--srctree", default=".")
    p.add_argument("--out", default="build")
    p.add_argument("--only", action="append", choices=STAGES)
    p.add_argument("--rand", type=int, default=0,
                   help="random configurations with fresh seeds instead of the fixed ones")
    p.add_argument("--configs", nargs="*", help="defconfigs for the matrix (default all)")
    args = p.parse_args()
    srctree, out = os.path.abspath(args.srctree), os.path.abspath(args.out)
    tally = Tally()
    start = time.time()
    stages = args.only or STAGES
    for stage in stages:
        print("== %s" % stage, flush=True)
        t0 = time.time()
        if stage == "randconfig":
            import random
            seeds = ([random.SystemRandom().randrange(1 << 32) for _ in range(args.rand)]
                     if args.rand else RANDCONFIG_SEEDS)
            stage_randconfig(srctree, out, tally, seeds)
        elif stage == "matrix":
            stage_matrix(srctree, out, tally, args.configs)
        else:
            globals()["stage_" + stage](srctree, out, tally)
        print("   (%s: %.0fs)" % (stage, time.time() - t0), flush=True)
    if tally.rows:
        print("\nConfiguration                        passed failed skipped  time")
        for label, ok, bad, skip, secs in tally.rows:
            print("%-36s %6d %6d %7d %5.1fs" % (label, ok, bad, skip, secs))
    if tally.failures:
        print("\nFailures:")
        for f in tally.failures:
            print("  " + f)
    print("\nmake check took %.0f s" % (time.time() - start))
    print("%d passed, %d failed, %d skipped" % (tally.passed, tally.failed, tally.skipped))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
