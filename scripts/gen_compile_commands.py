#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write compile_commands.json (for clangd and clang-tidy) from the .cmd
files the build saves next to each object:

    gen_compile_commands.py OBJTREE > compile_commands.json

Each entry is the recorded GCC command turned into one clang accepts:
clang as the compiler with --target=riscv64-unknown-elf, an -march without
the _zicsr/_zifencei parts clang 14 refuses (it implies them), and no
-Werror (a warning clang has and GCC has not must not stop the editor).
"""
import json
import os
import re
import shlex
import sys

CMD_RE = re.compile(r"^savedcmd_(\S+\.o) := (.*)$")
CLANG_TARGET = "--target=riscv64-unknown-elf"
GCC_ONLY = {"-Werror"}


def clang_arguments(command):
    """The argument list of GCC @command (a shell string) as clang takes it."""
    args = shlex.split(command)
    out = ["clang", CLANG_TARGET]
    for arg in args[1:]:
        if arg in GCC_ONLY:
            continue
        if arg.startswith("-march="):
            arg = re.sub(r"_zi(csr|fencei)", "", arg)
        out.append(arg)
    return out


def main():
    objtree = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    entries = []
    for root, dirs, files in os.walk(objtree):
        dirs[:] = [d for d in dirs if not d.startswith(".git") and d != "build"]
        for name in files:
            if not (name.startswith(".") and name.endswith(".o.cmd")):
                continue
            with open(os.path.join(root, name)) as f:
                m = CMD_RE.match(f.readline().rstrip("\n"))
            if not m:
                continue
            args = clang_arguments(m.group(2).replace("$$", "$"))
            entries.append({"directory": objtree, "arguments": args,
                            "file": os.path.normpath(os.path.join(objtree, args[-1]))})
    entries.sort(key=lambda e: e["file"])
    json.dump(entries, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
