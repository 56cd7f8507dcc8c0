# SPDX-License-Identifier: MIT
"""kconfiglib helpers for the checks: symbols without help, minimal defconfigs,
symbols a user can set.

kconfiglib comes from Debian's python3-kconfiglib, importable only by the
system Python (/usr/bin/python3), which is what the scripts run under.
"""
import os
import tempfile

import kconfiglib


def load(srctree):
    """Parse @srctree/Kconfig as make does (srctree and MMLAB_VERSION set).

    Return: the kconfiglib.Kconfig, warnings off.
    """
    saved = {k: os.environ.get(k) for k in ("srctree", "MMLAB_VERSION")}
    os.environ.update(srctree=srctree, MMLAB_VERSION="check")
    try:
        return kconfiglib.Kconfig(os.path.join(srctree, "Kconfig"), warn=False)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def without_help(kconf):
    """Names of the symbols and choices that have no help text."""
    bad = [s.name for s in kconf.unique_defined_syms if not any(n.help for n in s.nodes)]
    bad += ["<choice %s>" % (c.name or c.nodes[0].prompt[0]) for c in kconf.unique_choices
            if not any(n.help for n in c.nodes)]
    return bad


def settings(text):
    """The lines of a config file that set something (no comments, no blanks)."""
    return [l for l in text.splitlines() if l and not l.startswith("#")]


def minimal_form(kconf, path):
    """The setting lines savedefconfig would write for the config file @path."""
    kconf.load_config(path)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "defconfig")
        kconf.write_min_config(out)
        with open(out) as f:
            return settings(f.read())


def user_settable(kconf, name):
    """True when CONFIG_@name is a symbol with a prompt (menuconfig shows it)."""
    sym = kconf.syms.get(name)
    return bool(sym and sym.nodes and any(n.prompt for n in sym.nodes))
