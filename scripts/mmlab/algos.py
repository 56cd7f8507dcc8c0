# SPDX-License-Identifier: MIT
"""The two allocator families (heap, frames) and the algorithms each has.

An algorithm of a family is a file DIR/NAME.c listed in DIR/Makefile as
`LIST-$(CONFIG_PREFIXNAME) += NAME.o` (the line tests/host/Makefile's
algo-srcs reads) and chosen by CONFIG_PREFIXNAME in DIR/Kconfig. This
module only reads the tree; scaffold writes new algorithms into it and
grade finds them by name here.
"""
import os
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """What one family's algorithms have in common."""
    kind: str            # "heap" or "frame"
    directory: str       # mm/heap
    make_list: str       # heap-algo: the Makefile variable
    symbol_prefix: str   # HEAP_: the Kconfig symbol is PREFIX + NAME.upper()
    choice_prompt: str   # the prompt of the Kconfig choice the symbol joins
    default_other: str   # the other family's default, in defconfig names
    host_tests: tuple    # host test programs that check this family
    fuzzer: str          # the family's libFuzzer target

    def symbol(self, name):
        """The Kconfig symbol (no CONFIG_) choosing algorithm @name."""
        return self.symbol_prefix + name.upper()

    def source(self, srctree, name):
        """The path of algorithm @name's file."""
        return os.path.join(srctree, self.directory, name + ".c")

    def defconfig(self, name):
        """The file name of algorithm @name's configs/ defconfig, named
        <heap>_<frames>_defconfig as the shipped ones are."""
        pair = (name, self.default_other) if self.kind == "heap" else (self.default_other, name)
        return "%s_%s_defconfig" % pair


HEAP = Family("heap", "mm/heap", "heap-algo", "HEAP_", "Heap algorithm", "stack",
              ("heap_test", "heap_grain_test"), "fuzz_heap")
FRAME = Family("frame", "mm/frame", "frame-algo", "FRAME_ALLOC_", "Frame allocator algorithm",
               "buddy", ("frames_test",), "fuzz_frames")
FAMILIES = (HEAP, FRAME)


def listed(srctree, family):
    """Names of the algorithms @family's Makefile lists, in file order."""
    line = re.compile(r"^%s-\$\(CONFIG_%s([A-Z0-9_]+)\) \+= ([a-z0-9_]+)\.o$"
                      % (re.escape(family.make_list), re.escape(family.symbol_prefix)))
    with open(os.path.join(srctree, family.directory, "Makefile")) as f:
        return [m.group(2) for m in map(line.match, f.read().splitlines()) if m]


def find(srctree, name, kind=None):
    """The family of the algorithm called @name (of family @kind, "heap" or
    "frame", when given). Raises ValueError with a one-line reason when no
    algorithm or more than one has that name."""
    found = [f for f in FAMILIES if (kind is None or f.kind == kind) and name in listed(srctree, f)]
    if len(found) == 1:
        return found[0]
    if found:
        raise ValueError("'%s' is both a heap and a frame algorithm: say which with KIND=heap "
                         "or KIND=frame" % name)
    have = ", ".join("%s: %s" % (f.kind, " ".join(listed(srctree, f))) for f in FAMILIES)
    raise ValueError("no %salgorithm named '%s' (%s)" % (kind + " " if kind else "", name, have))
