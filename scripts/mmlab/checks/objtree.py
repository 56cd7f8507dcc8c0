# SPDX-License-Identifier: MIT
"""Stage objtree: `make O=DIR check` and `make O=DIR randcheck` work and leave
the source tree byte-identical (every file, tracked or ignored, compared
by content and mode before and after; only .git and DIR itself are left out).
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


def run_inner(ctx, label, goals, variables):
    """make O=DIR @goals @variables from the source tree; it must end with a
    summary line without failures (one pass or one failure)."""
    d = os.path.join(ctx.out, "objtree", "obj")
    status, text = build.make(ctx.srctree, goals, d, variables=variables)
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
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    before = snapshot(ctx.srctree, {d})
    run_inner(ctx, "make O=DIR check STAGES=\"%s\"" % INNER_STAGES, ["check"],
              ["STAGES=" + INNER_STAGES])
    run_inner(ctx, "make O=DIR randcheck KCONFIG_SEED=%s" % INNER_SEED, ["randcheck"],
              ["KCONFIG_SEED=" + INNER_SEED])
    changed = differences(before, snapshot(ctx.srctree, {d}))
    ctx.tally.verdict(changed and "objtree: the source tree changed: %s" % "; ".join(changed),
                      "%-40s ok: %d files byte-identical" % ("source tree untouched", len(before)))
