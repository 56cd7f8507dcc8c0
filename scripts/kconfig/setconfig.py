#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Set symbols of the configuration from the shell, as Linux's
`scripts/config --set-val` does, but checked (make setconfig SET="...").

    setconfig.py Kconfig NAME=VALUE...    NAME with or without CONFIG_

The .config ($KCONFIG_CONFIG) is loaded, every assignment applied, and the
result written only when every one was kept. Otherwise each one that was
not (no such symbol, a value out of range or whose dependencies are not met,
a derived symbol) gets one line, and the .config is left as it was.
"""
import os
import re
import sys

import kconfiglib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apply import lost_assignments  # noqa: E402

SETTING = re.compile(r"^(?:CONFIG_)?([A-Za-z0-9_]+)=(.*)$")


def parse(args):
    """(where, name, value) of each NAME=VALUE in @args; raises ValueError
    naming the first argument that is not one."""
    out = []
    for arg in args:
        m = SETTING.match(arg)
        if not m:
            raise ValueError("'%s' is not NAME=VALUE (for example HEAP_SIZE=1048576)" % arg)
        out.append(("SET", m.group(1), m.group(2).strip('"')))
    return out


def main():
    if len(sys.argv) < 3:
        print("usage: setconfig.py Kconfig NAME=VALUE...  (make setconfig SET=\"NAME=VALUE ...\")",
              file=sys.stderr)
        return 2
    config = os.environ.get("KCONFIG_CONFIG", ".config")
    try:
        items = parse(sys.argv[2:])
    except ValueError as e:
        print("error: setconfig: %s" % e, file=sys.stderr)
        return 1
    kconf = kconfiglib.Kconfig(sys.argv[1], warn_to_stderr=False)
    kconf.load_config(config)
    malformed = []
    for _, name, value in items:
        sym = kconf.syms.get(name)
        if sym is not None and sym.nodes and not sym.set_value(value):
            malformed.append("CONFIG_%s=%s: not a valid %s value" % (
                name, value, kconfiglib.TYPE_TO_STR[sym.orig_type]))
    lost = malformed or lost_assignments(kconf, items)
    for line in lost:
        print("error: setconfig: %s; %s left unchanged" % (line.replace("SET: ", "", 1), config),
              file=sys.stderr)
    if lost:
        return 1
    print(kconf.write_config(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
