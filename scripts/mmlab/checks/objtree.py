# SPDX-License-Identifier: MIT
"""Stage objtree: `make O=DIR check` and `make O=DIR randcheck` work and leave
the source tree byte-identical (every file, tracked or ignored, compared
by content and mode before and after; only .git and DIR itself are left out).

The source tree is a scratch copy of the one under test, with an in-tree
build of defconfig in it (a user's .config, objects and mmlab.elf, which
an O= build must neither read nor touch): the stages running beside this
one write below the real tree's build/, which would otherwise show up as
changes.
"""
import hashlib
import os
import shutil
import stat

from mmlab import build, ktap

# A short selection: enough to build and boot through check.py's own makes.
INNER_STAGES = "lint errors"
INNER_SEED = "0x2a"


def snapshot(root, skip):
    """{relative path: (mode, sha256 or link target)} for every file below
    @root except .git and the absolute directories in @skip."""
    found = {}
    for top, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git" and os.path.join(top, d) not in skip]
        for name in files:
            path = os.path.join(top, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                what = "-> " + os.readlink(path)
            else:
                with open(path, "rb") as f:
                    what = hashlib.sha256(f.read()).hexdigest()
            found[os.path.relpath(path, root)] = (st.st_mode, what)
    return found


def differences(before, after, limit=8):
    """The first @limit paths that were added, removed or changed, described."""
    diff = ["added %s" % p for p in sorted(set(after) - set(before))]
    diff += ["removed %s" % p for p in sorted(set(before) - set(after))]
    diff += ["changed %s" % p for p in sorted(set(before) & set(after)) if before[p] != after[p]]
    return diff[:limit] + (["..."] if len(diff) > limit else [])


def run_inner(ctx, tree, label, goals, variables):
    """make O=DIR @goals @variables from the source tree @tree; it must end
    with a summary line without failures (one pass or one failure)."""
    d = os.path.join(ctx.out, "objtree", "obj")
    status, text = build.make(tree, goals, d, variables=variables)
    m = ktap.last_summary(text)
    if status == 0 and m and int(m.group(2)) == 0:
        ctx.tally.ok(name=label)
        print("  %-40s ok: %s" % (label, m.group(0)), flush=True)
    else:
        ctx.tally.fail("objtree: %s: exit %s, output: %s" % (label, status, text.strip()[-1500:]))


def stage_objtree(ctx):
    """make O=DIR check (a short stage selection) and make O=DIR randcheck
    (one known seed), then the source tree must be as it was."""
    d = os.path.join(ctx.out, "objtree")
    tree = os.path.join(d, "tree")
    shutil.rmtree(d, ignore_errors=True)
    if not build.scratch_copy(ctx.srctree, tree):
        ctx.tally.skip("objtree: %s is not a git checkout" % ctx.srctree)
        return
    status, text = build.make(tree, ["defconfig", "all"])
    if status != 0:
        ctx.tally.fail("objtree: the in-tree build failed: %s" % text.strip()[-1500:])
        return
    before = snapshot(tree, set())
    run_inner(ctx, tree, "make O=DIR check STAGES=\"%s\"" % INNER_STAGES, ["check"],
              ["STAGES=" + INNER_STAGES])
    run_inner(ctx, tree, "make O=DIR randcheck KCONFIG_SEED=%s" % INNER_SEED, ["randcheck"],
              ["KCONFIG_SEED=" + INNER_SEED])
    changed = differences(before, snapshot(tree, set()))
    ctx.tally.verdict(changed and "objtree: the source tree changed: %s" % "; ".join(changed),
                      "%-40s ok: %d files byte-identical" % ("source tree untouched", len(before)))
