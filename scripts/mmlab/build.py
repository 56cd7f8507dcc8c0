# SPDX-License-Identifier: MIT
"""Configure and build one mmlab configuration in its own output directory.

Every make here runs with proc.clean_env(), so a build started from inside
`make check` or `make O=DIR bench` lands in the directory it names and never
in the source tree. scratch_copy() makes a copy of the tree for the check
stages that run commands inside one (docs, labkit, objtree).
"""
import os
import shutil

from mmlab import proc


def jobs_flag():
    """The -j flag for a build: the machine's cores, at least 2."""
    return "-j%d" % max(2, os.cpu_count() or 2)


def make(srctree, goals, out_dir=None, makefile=None, variables=(), env=None):
    """Run make on @srctree for @goals (with O=@out_dir, if given).

    @makefile is another makefile of the tree (relative to @srctree);
    @variables are extra NAME=value words; @env defaults to
    proc.clean_env(). Return: (exit status, output).
    """
    cmd = ["make", "-C", srctree, "--no-print-directory", jobs_flag()]
    if makefile:
        cmd += ["-f", makefile]
    if out_dir:
        cmd.append("O=" + out_dir)
    return proc.run(cmd + list(variables) + list(goals), env=env)


def config_lines(out_dir):
    """The lines of @out_dir/.config (empty when there is none)."""
    try:
        with open(os.path.join(out_dir, ".config")) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def seed_build_dir(out_dir, start_from):
    """Fill the new build directory @out_dir with a copy of the build in
    @start_from (objects, .cmd files, include/config), as a Kbuild user
    switching configurations in one tree has: applying the new
    configuration then rebuilds only what its changed symbols reach
    (fixdep's per-symbol dependencies). Logs are not copied. Nothing
    happens when @out_dir already has a .config or @start_from has no image.
    """
    if (not start_from or os.path.exists(os.path.join(out_dir, ".config"))
            or not os.path.exists(os.path.join(start_from, "mmlab.elf"))):
        return
    shutil.copytree(start_from, out_dir, symlinks=True, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.log", "*.xml", "*.json"))


def build_config(srctree, out_dir, config_goal, force=(), variables=(), env=None,
                 start_from=None):
    """Configure @out_dir with @config_goal (a defconfig name, randconfig,
    olddefconfig for a .config already there...), force the "CONFIG_X=y"
    lines in @force on top, and build the image.

    @variables go to every make (TRACE=...); @env as for make(). A new
    @out_dir starts as a copy of the build in @start_from, if given, so
    that only what the configuration change reaches is compiled again.
    Return: (True, log) when mmlab.elf was built with every forced line in
    its .config, else (False, log) with the reason at the end of the log.
    """
    seed_build_dir(out_dir, start_from)
    # arch/riscv/ first: a parallel build of a fresh tree can otherwise
    # write the linker script before that directory exists.
    os.makedirs(os.path.join(out_dir, "arch", "riscv"), exist_ok=True)
    status, log = make(srctree, [config_goal], out_dir, variables=variables, env=env)
    missing = [line for line in force if line not in config_lines(out_dir)]
    if status == 0 and missing:
        with open(os.path.join(out_dir, ".config"), "a") as f:
            f.write("".join(line + "\n" for line in missing))
        status, more = make(srctree, ["olddefconfig"], out_dir, variables=variables, env=env)
        log += more
    if status == 0:
        status, more = make(srctree, ["all"], out_dir, variables=variables, env=env)
        log += more
    if status != 0:
        return False, log
    lost = [line for line in force if line not in config_lines(out_dir)]
    if lost:
        return False, log + "\n%s did not stick (does Kconfig allow it?)\n" % " ".join(lost)
    return True, log


def scratch_copy(srctree, dest):
    """Copy the tree's tracked and untracked (not ignored) files into the
    new directory @dest. Return: False when @srctree is not a git checkout."""
    status, text = proc.run(["git", "-C", srctree, "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"])
    if status != 0:
        return False
    for rel in sorted(set(p for p in text.split("\0") if p)):
        src = os.path.join(srctree, rel)
        if os.path.lexists(src):
            os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, rel), follow_symlinks=False)
    return True
