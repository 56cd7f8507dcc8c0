#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""randconfig on the kconfiglib API (Debian's python3-kconfiglib has none).

    randconfig.py [Kconfig]        writes $KCONFIG_CONFIG (default .config)

The seed comes from KCONFIG_SEED (decimal or 0x hex) or is drawn at random;
it is printed either way, and the same seed always gives the same .config.
Each visible bool/tristate gets a random value among those it can take,
each choice a random member, and each int/hex symbol a random value inside
its active `range` (or its default when it has none). Symbols are visited in
menu order, so a symbol's dependencies are settled before it is.
"""
import os
import random
import sys

import kconfiglib


def pick_int(sym, rng):
    """A random value inside the symbol's active range, as Kconfig text."""
    base = 16 if sym.type == kconfiglib.HEX else 10
    for low, high, cond in sym.ranges:
        if kconfiglib.expr_value(cond):
            lo = int(low.str_value, 0) if low.str_value else 0
            hi = int(high.str_value, 0) if high.str_value else lo
            # Favour the ends and powers of two, where bugs live.
            candidates = [lo, hi, rng.randint(lo, hi)]
            p = 1
            while p <= hi:
                if p >= lo:
                    candidates.append(p)
                p <<= 1
            v = rng.choice(candidates)
            return hex(v) if base == 16 else str(v)
    return None


def randomize(kconf, rng):
    for node in kconf.node_iter():
        item = node.item
        if isinstance(item, kconfiglib.Choice):
            if item.visibility:
                members = [s for s in item.syms if s.visibility]
                if members:
                    rng.choice(members).set_value(2)
            continue
        if not isinstance(item, kconfiglib.Symbol) or not item.visibility:
            continue
        if item.choice:
            continue
        if item.type in (kconfiglib.BOOL, kconfiglib.TRISTATE):
            values = list(item.assignable)
            if values:
                item.set_value(rng.choice(values))
        elif item.type in (kconfiglib.INT, kconfiglib.HEX):
            v = pick_int(item, rng)
            if v is not None:
                item.set_value(v)


def main():
    kconfig_file = sys.argv[1] if len(sys.argv) > 1 else "Kconfig"
    seed_text = os.environ.get("KCONFIG_SEED")
    if seed_text:
        try:
            seed = int(seed_text, 0)
        except ValueError:
            print("randconfig: KCONFIG_SEED must be a number, got '%s'" % seed_text,
                  file=sys.stderr)
            return 2
    else:
        seed = random.SystemRandom().randrange(1 << 32)
    print("KCONFIG_SEED=0x%x" % seed)
    kconf = kconfiglib.Kconfig(kconfig_file, warn_to_stderr=False)
    randomize(kconf, random.Random(seed))
    out = os.environ.get("KCONFIG_CONFIG", ".config")
    print(kconf.write_config(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
