# SPDX-License-Identifier: MIT
"""Running commands for the tools: output captured, a clean environment.

A tool started by make (make check, make bench) inherits the calling make's
MAKEFLAGS, MAKELEVEL and every variable given on its command line. A
`make -C SRC O=DIR` started from there would see `mmlab_in_objtree=1
srctree=...` and build in the source tree instead of DIR. clean_env() is
the environment every child gets: the caller's tool choices (CROSS_COMPILE,
QEMU, QEMU_BIOS, HOSTCC) pass, the calling make's own state does not.
"""
import os
import re
import signal
import subprocess

# What a calling make puts into the environment of its recipes.
MAKE_STATE = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS",
              "MAKE_TERMOUT", "MAKE_TERMERR", "MAKE_RESTARTS", "O", "srctree", "objtree",
              "mmlab_in_objtree", "KCONFIG_CONFIG", "CONFIGS", "TRACE", "STAGES", "N",
              "Q", "quiet", "fixdep", "V"}
# Command-line variables that choose tools: children keep using them.
TOOL_CHOICES = {"CROSS_COMPILE", "QEMU", "QEMU_BIOS", "HOSTCC"}
ASSIGNMENT = re.compile(r"(?:^|(?<=[^\\]) )([A-Za-z_][A-Za-z0-9_]*)=")


def command_line_vars(makeflags):
    """Names of the variables set on the calling make's command line.

    make passes them in MAKEFLAGS after " -- " (or alone, when there are no
    flags), as NAME=value words with blanks escaped by a backslash.
    """
    if " -- " in makeflags:
        makeflags = makeflags.split(" -- ", 1)[1]
    elif "=" not in makeflags.split(" ", 1)[0]:
        return set()
    return set(ASSIGNMENT.findall(makeflags))


def clean_env(extra=None):
    """os.environ without the calling make's state, plus @extra (a dict)."""
    drop = MAKE_STATE | (command_line_vars(os.environ.get("MAKEFLAGS", "")) - TOOL_CHOICES)
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("KBUILD_")}
    env.update(extra or {})
    return env


def run(cmd, cwd=None, env=None, timeout=None, shell=False):
    """Run @cmd (a list, or a string with @shell), stdout and stderr together.

    @env defaults to clean_env(). Return: (exit status, output); the status
    is None when @timeout seconds passed, and then the command and
    everything it started have been killed.
    """
    proc = subprocess.Popen(cmd, cwd=cwd, env=clean_env() if env is None else env,
                            shell=shell, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=timeout is not None)
    try:
        out, _ = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        status = None
    return status, out.decode("utf-8", "replace")
