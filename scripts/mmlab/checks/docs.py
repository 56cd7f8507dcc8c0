# SPDX-License-Identifier: MIT
"""Stage docs: every command README.md and docs/*.md show works as written.

A command is a line of a ``` block, or an inline `code` span, that starts
(after any NAME=value words) with `make ` or a path under scripts/ or build/;
an inline span that is only a path names a file, not a command. Each runs
under /bin/sh at the root of a scratch copy of the tree (its tracked and
untracked files as they are now), in document order, README.md first: so
the `make run` near the top leaves the mmlab.elf that a later
`scripts/ktest_runner.py ... mmlab.elf` boots. Paths under /tmp/ are moved
into the scratch directory. A command matching SKIP is not run, for the
reason given there; one matching EXPECT is shown in the docs to show an
error, and must fail with that output.

Two cheaper checks as well: every `make TARGET` quoted is a real target,
and the README's option table names only symbols a user can set.
"""
import glob
import os
import re
import shutil
import time

from mmlab import build, kconfig, proc

# Commands not run here: (pattern, why).
SKIP = [
    (r"^make (O=\S+ )?check\b", "it is the command running this test (stage objtree runs "
                                "make O=DIR check)"),
    (r"^make randcheck KCONFIG_SEED=", "stage objtree runs it (with O=DIR)"),
    (r"^make (menuconfig|nconfig)\b", "interactive: needs a terminal"),
    (r"^make (guiconfig|xconfig|gconfig)\b", "interactive: needs a display (stage habits "
                                              "checks it refuses without one)"),
    (r"^make debug\b", "interactive: waits for gdb on tcp::1234"),
    (r"^make randcheck N=\d+$", "long: one build per seed; stage randconfig runs the same code"),
    (r"^make (O=\S+ )?bench\b", "long: benchmarks configurations for minutes; stage bench runs "
                                "scripts/bench.py"),
    (r"^scripts/bench\.py --determinism defconfig$", "stage bench runs exactly this"),
    (r"^make host-(check|fuzz)$", "long (sanitizer builds); stages host and fuzz run the same "
                                  "makefile"),
    (r"next_fit", "needs the next_fit allocator the guide has you write"),
    (r"best_fit", "needs the best_fit heap the lab handout has you write"),
    (r"^make (new-heap|new-frames|grade)\b", "stage labkit runs the lab kit in a scratch copy "
                                            "of its own (grading takes minutes)"),
    (r"fresh-check", "long (a Debian root, apt and both README commands: half an hour), "
                     "needs root and the network; run by hand"),
    (r"^scripts/mapviz\.py .*build/bench/", "needs the map logs of a whole make bench (long)"),
    (r"\b(NAME|DIR|IMAGE|FILE|N)(\b|_)(?!=)|=file\b", "a template: the capital word (or "
                                                      "'file') stands for your own value"),
]
# Commands the docs quote to show an error: (pattern, output they must print).
EXPECT = [
    (r"^make no_such_defconfig$", r"no configuration named 'no_such_defconfig'"),
    (r"ktest\.panic=", r"Kernel panic"),
]
ASSIGNMENT_RE = re.compile(r"^[A-Z_][A-Z0-9_]*=")
TIMEOUT = 900


def doc_files(srctree):
    """README.md, then docs/*.md in name order."""
    return [os.path.join(srctree, "README.md")] + sorted(glob.glob(os.path.join(srctree, "docs", "*.md")))


def is_command(text, in_block):
    """Whether @text (a block line, or an inline span when not @in_block) is
    a command to run: make, or a program under scripts/ or build/, after any
    NAME=value words; inline, a lone path is a file name."""
    words = text.split()
    while words and ASSIGNMENT_RE.match(words[0]):
        words.pop(0)
    if not words or not (words[0] == "make" or words[0].startswith(("scripts/", "build/"))):
        return False
    return in_block or len(words) > 1


def without_comment(text):
    """@text without a trailing "# comment"."""
    return re.sub(r"\s+#.*$", "", text).strip()


def commands_in(path):
    """[(line number, command)] for the commands in the markdown file @path."""
    found, prose, in_block = [], [], False
    with open(path) as f:
        lines = f.read().split("\n")
    for no, line in enumerate(lines, 1):
        if line.lstrip().startswith("```"):
            in_block = not in_block
            prose.append("")
            continue
        prose.append("" if in_block else line)
        if in_block and is_command(line.strip(), True):
            command, more = line.strip(), no
            while command.endswith("\\") and more < len(lines):    # continued line
                command, more = command[:-1].rstrip() + " " + lines[more].strip(), more + 1
            found.append((no, without_comment(command)))
    text = "\n".join(prose)
    for m in re.finditer(r"`([^`]+)`", text):
        span = " ".join(m.group(1).split())
        if is_command(span, False):
            found.append((text.count("\n", 0, m.start()) + 1, span))
    return sorted(found)


def first_match(table, command):
    """The second item of the first (pattern, item) in @table matching @command, or None."""
    return next((item for pattern, item in table if re.search(pattern, command)), None)


def run_command(ctx, tree, command, where):
    """Run one documented @command at the root of @tree; count the result."""
    tmp = os.path.join(os.path.dirname(tree), "tmp")
    os.makedirs(tmp, exist_ok=True)
    shell = re.sub(r"(?<![\w/.])/tmp/", tmp + "/", command)
    t0 = time.time()
    status, text = proc.run(shell, cwd=tree, shell=True, timeout=TIMEOUT,
                            env=proc.clean_env({"MMLAB_AUTO_INSTALL": "0"}))
    secs = time.time() - t0
    expect = first_match(EXPECT, command)
    if expect:
        good = status not in (0, None) and re.search(expect, text)
        verdict = "fails as shown"
    else:
        good = status == 0
        verdict = "ok"
    if good:
        ctx.tally.ok(name="%s: %s" % (where, command))
        print("  %-60s %s (%.0fs)" % (command[:60], verdict, secs), flush=True)
        return
    how = "timed out after %ds" % TIMEOUT if status is None else "exited %s" % status
    if expect and status not in (0, None):
        how += " without printing /%s/" % expect
    elif expect:
        how += ", but the docs show it failing"
    tail = "\n    ".join([l for l in text.splitlines() if l.strip()][-15:])
    ctx.tally.fail("docs: %s: `%s` %s:\n    %s" % (where, command, how, tail))


def check_commands(ctx):
    """Every documented command, run once in document order in a scratch copy."""
    base = os.path.join(ctx.out, "docs")
    tree = os.path.join(base, "tree")
    shutil.rmtree(base, ignore_errors=True)      # the tree and its tmp/: a fresh start
    if not build.scratch_copy(ctx.srctree, tree):
        ctx.tally.skip("docs: commands: %s is not a git checkout" % ctx.srctree)
        return
    where = {}                         # command -> ["file:line", ...]
    for path in doc_files(ctx.srctree):
        for no, command in commands_in(path):
            where.setdefault(command, []).append("%s:%d" % (os.path.relpath(path, ctx.srctree), no))
    for command, locs in where.items():
        loc = ", ".join(locs[:2]) + (" and %d more" % (len(locs) - 2) if len(locs) > 2 else "")
        why = first_match(SKIP, command)
        if why:
            ctx.tally.skip("%s (%s): %s" % (command, loc, why))
        else:
            run_command(ctx, tree, command, loc)


def check_targets(ctx):
    """Every `make X` quoted in the docs is a target make help lists, or a defconfig."""
    _, help_text = build.make(ctx.srctree, ["help"])
    known = set(re.findall(r"^\s+(\S+)(?: \S+=\S+)*\s+- ", help_text, re.M))
    known |= {"menuconfig", "all", "help"}
    known |= {os.path.basename(p) for p in glob.glob(os.path.join(ctx.srctree, "configs", "*defconfig"))}
    quoted = set()
    for path in doc_files(ctx.srctree):
        with open(path) as f:
            quoted |= set(re.findall(r"`make (?:[A-Z_]+=[^\s`]+ )*([a-z_][\w.-]*)", f.read()))
    # Deliberately wrong names, quoted to show the error they give.
    bad = sorted(t for t in quoted if t not in known and not t.startswith("no_such"))
    ctx.tally.verdict(bad and "docs: make targets quoted but missing: %s" % " ".join(bad),
                      "docs: %d quoted make targets all exist" % len(quoted))


def option_names(cell):
    """The CONFIG_ names in a table cell; "`CONFIG_A_B` / `_C`" gives A_B and A_C."""
    names, full = [], None
    for span in re.findall(r"`(CONFIG_\w+|_\w+)`", cell):
        if span.startswith("CONFIG_"):
            full = span[len("CONFIG_"):]
            names.append([full])
        elif full:
            parts = full.split("_")
            names.append(["_".join(parts[:k]) + span for k in range(1, len(parts))])
    return names


def check_option_table(ctx):
    """The README's option table names only symbols with a prompt."""
    kconf = kconfig.load(ctx.srctree)
    bad = []
    with open(os.path.join(ctx.srctree, "README.md")) as f:
        for no, line in enumerate(f, 1):
            if not line.startswith("| `CONFIG_"):
                continue
            for candidates in option_names(line.split("|")[1]):
                if not any(kconfig.user_settable(kconf, c) for c in candidates):
                    bad.append("README.md:%d: %s" % (no, candidates[-1]))
    ctx.tally.verdict(bad and "docs: option table names symbols no user can set: %s"
                      % "; ".join(bad), "docs: the README's option table names only settable symbols")


def stage_docs(ctx):
    """The whole docs stage."""
    check_targets(ctx)
    check_option_table(ctx)
    check_commands(ctx)
