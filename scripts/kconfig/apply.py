#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Apply a configuration file, saying what did not take, as Linux's Kconfig
users expect (kconfiglib alone is silent about most of it).

    apply.py Kconfig FILE          load FILE (a defconfig or a .config), write
                                   $KCONFIG_CONFIG (default .config)

Every assignment in FILE that the result does not keep gets one warning
naming FILE and its line: a symbol Kconfig does not know (a misspelling), a
value out of range, and a hidden derived symbol set by hand (it has no
prompt: its value follows from the visible choice, which is named). With
--strict the command fails after the warnings when there were any (for
lint). Nothing is written when FILE cannot be read.
"""
import argparse
import os
import re
import sys

import kconfiglib

ASSIGN = re.compile(r"^CONFIG_(\w+)=(.*)$")


def assignments(path):
    """(where, name, value) of each CONFIG_X=value line of @path, where
    naming the file and line."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = ASSIGN.match(line.strip())
            if m:
                yield "%s:%d" % (path, n), m.group(1), m.group(2).strip('"')


def prompted_setter(kconf, sym):
    """The visible symbol a user sets to decide hidden @sym, if one says so
    in its defaults (for the hint), else None."""
    for _, cond in sym.defaults:
        for name in re.findall(r"\b[A-Z][A-Z0-9_]+\b", kconfiglib.expr_str(cond)):
            other = kconf.syms.get(name)
            if other is not None and other.nodes and other.nodes[0].prompt:
                return other
    return None


def lost_assignments(kconf, items):
    """One warning line per assignment (where, name, value) of @items that
    the loaded @kconf did not keep."""
    out = []
    for place, name, value in items:
        where = "%s: CONFIG_%s=%s" % (place, name, value)
        sym = kconf.syms.get(name)
        if sym is None or not sym.nodes:
            out.append("%s: no such symbol (misspelt?)" % where)
            continue
        if sym.str_value == value:
            continue
        if not any(node.prompt for node in sym.nodes):
            hint = prompted_setter(kconf, sym)
            out.append("%s: CONFIG_%s has no prompt (it is derived), so it is %s%s" % (
                where, name, sym.str_value or "unset",
                "; choose its value with CONFIG_%s and its siblings" % hint.name if hint else ""))
        else:
            out.append("%s: not kept, it is %s (out of range or its dependencies are not met)"
                       % (where, sym.str_value or "unset"))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("kconfig")
    p.add_argument("file")
    p.add_argument("--strict", action="store_true", help="fail when an assignment is lost")
    p.add_argument("--check-only", action="store_true", help="write nothing")
    args = p.parse_args()
    if not os.path.isfile(args.file):
        print("error: %s: no such configuration file" % args.file, file=sys.stderr)
        return 1
    kconf = kconfiglib.Kconfig(args.kconfig, warn_to_stderr=False)
    kconf.warn_assign_undef = False      # said below, with the hint
    kconf.load_config(args.file)
    lost = lost_assignments(kconf, assignments(args.file))
    for line in lost:
        print("warning: " + line, file=sys.stderr)
    if not args.check_only:
        print(kconf.write_config(os.environ.get("KCONFIG_CONFIG", ".config")))
    return 1 if lost and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
