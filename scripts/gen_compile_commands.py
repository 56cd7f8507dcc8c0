#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write compile_commands.json (for clangd) from the .cmd files the build
saves next to each object: gen_compile_commands.py OBJTREE > compile_commands.json"""
import json
import os
import re
import sys

CMD_RE = re.compile(r"^savedcmd_(\S+\.o) := (.*)$")


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
            command = m.group(2).replace("$$", "$")
            src = command.split()[-1]
            entries.append({"directory": objtree, "command": command,
                            "file": os.path.normpath(os.path.join(objtree, src))})
    entries.sort(key=lambda e: e["file"])
    json.dump(entries, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
