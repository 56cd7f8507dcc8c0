# SPDX-License-Identifier: MIT
"""The project's own style check, as checkpatch.pl is Linux's: the rules of
docs/architecture.md ("How the code reads") that a program can see.

For every tracked C, assembly, Python and shell source:
  - an SPDX-License-Identifier line at the top;
  - no trailing white space, no carriage returns, no line over 100 columns
    (tabs count 8) unless a string literal crosses the limit (messages stay
    whole, so grep finds them);
  - C indents with tabs (spaces only after them, to align);
and for the kernel's C (not tests/host):
  - every function that is not static has a contract comment just above
    its definition or above its declaration in a header;
  - no #ifdef/#ifndef CONFIG_ inside a function body (IS_ENABLED() reads
    better there).

and for every algorithm a family Makefile lists (heap-algo-$(CONFIG_...)
in mm/heap/Makefile, frame-algo- in mm/frame/Makefile):
  - each op in its registration is named <family>_<algo>_<op>, so one
    file reads like the others (heap_tlsf_alloc, frame_buddy_free);
  - no static helper takes a name of lib's (bitmap_*, fdt_*, glob_*), which
    would shadow or be mistaken for the shared one.

problems(srctree, paths) returns one "file:line: rule" string per problem.
"""
import os
import re

MAX_COLUMNS = 100
SOURCE_EXT = (".c", ".h", ".S", ".py")
KERNEL_DIRS = ("arch/", "init/", "kernel/", "mm/", "bench/", "lib/")
# A function definition's first line: at column 0, not static, ends with ")"
# or "(" continuing; the body's "{" comes on the next line (kernel style).
DEFINITION_RE = re.compile(r"^(?!static\b|typedef\b|struct\b.*;|#|\s)[A-Za-z_][\w \t\*]*?"
                           r"\b([a-z_]\w*)\(([^;]*)$")
IFDEF_CONFIG_RE = re.compile(r"^#\s*if(n?def)?\s+!?\s*(defined\()?CONFIG_")


def columns(line):
    """The width of @line with tabs at every eighth column."""
    return len(line.expandtabs(8))


def string_crosses_limit(line):
    """True when a string literal of @line runs across the column limit:
    messages stay whole so that grep finds them (checkpatch's exception)."""
    wide = line.expandtabs(8)
    for m in re.finditer(r'"(\\.|[^"\\])*"', wide):
        if m.start() < MAX_COLUMNS < m.end() + 2:
            return True
    return False


def is_comment_end(line):
    """True when @line closes a comment (or is a // comment)."""
    s = line.strip()
    return s.endswith("*/") or s.startswith("//")


def documented_in_headers(srctree):
    """Names whose header declaration has a comment just above it, or that a
    header comment introduces as "name - what it does"."""
    names = set()
    for root, _, files in os.walk(srctree):
        if "/." in root or "/build" in root[len(srctree):] or "/tests/" in root + "/":
            continue
        for name in files:
            if not name.endswith(".h"):
                continue
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                text = f.read()
            for comment in re.findall(r"/\*.*?\*/", text, re.S):
                names.update(re.findall(r"\b([a-z_]\w*)(?:\(\))? - ", comment))
            for m in re.finditer(r"\*/\n(?:[^\n;{]*\n)*?[^\n(]*?\b([a-z_]\w*)\(", text):
                names.add(m.group(1))
    return names


def line_problems(rel, lines):
    """The per-line rules for file @rel with @lines."""
    out = []
    head = "\n".join(lines[:3])
    if "SPDX-License-Identifier" not in head:
        out.append("%s:1: no SPDX-License-Identifier line at the top" % rel)
    for n, line in enumerate(lines, 1):
        if line.endswith("\r"):
            out.append("%s:%d: carriage return" % (rel, n))
        elif line != line.rstrip():
            out.append("%s:%d: trailing white space" % (rel, n))
        if columns(line) > MAX_COLUMNS and not string_crosses_limit(line):
            out.append("%s:%d: %d columns (at most %d)" % (rel, n, columns(line), MAX_COLUMNS))
        if rel.endswith((".c", ".h")) and re.match(r"^ {2,}(?! ?\*)\S", line):
            out.append("%s:%d: indented with spaces (tabs here)" % (rel, n))
    return out


def kernel_c_problems(rel, lines, documented):
    """The rules for the kernel's C file @rel: contract comments and no
    #ifdef CONFIG_ in a function body."""
    out = []
    depth = 0
    for n, line in enumerate(lines, 1):
        if depth > 0 and IFDEF_CONFIG_RE.match(line):
            out.append("%s:%d: #if on CONFIG_ inside a function body (use IS_ENABLED())" % (rel, n))
        m = DEFINITION_RE.match(line) if depth == 0 else None
        if m and n < len(lines) and (lines[n].startswith("{") or line.rstrip().endswith(",")):
            name = m.group(1)
            above = lines[n - 2] if n >= 2 else ""
            if not is_comment_end(above) and name not in documented:
                out.append("%s:%d: %s() has no contract comment above it or its declaration"
                           % (rel, n, name))
        code = re.sub(r"'.'|\"(\\\\.|[^\"\\\\])*\"|//.*|/\*.*?\*/", "", line)
        depth += code.count("{") - code.count("}")
    return out


FAMILIES = (("mm/heap", "heap", "heap-algo"), ("mm/frame", "frame", "frame-algo"))
LIB_PREFIXES = ("bitmap_", "fdt_", "glob_")
OP_RE = re.compile(r"^\s*\.(\w+)\s*=\s*(\w+),")
STATIC_FN_RE = re.compile(r"^static\b[^(=;]*?\b(\w+)\(")


def family_algorithms(srctree):
    """(file relative to @srctree, family, algorithm) of every algorithm the
    family Makefiles list."""
    out = []
    for folder, family, listvar in FAMILIES:
        path = os.path.join(srctree, folder, "Makefile")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for name in re.findall(r"^%s-\$\(CONFIG_\w+\) \+= (\w+)\.o$" % listvar,
                                   f.read(), re.M):
                out.append(("%s/%s.c" % (folder, name), family, name))
    return out


def family_problems(srctree):
    """The family rules of every algorithm file (see the module comment)."""
    out = []
    for rel, family, algo in family_algorithms(srctree):
        with open(os.path.join(srctree, rel), encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        prefix = "%s_%s_" % (family, algo)
        for n, line in enumerate(lines, 1):
            m = OP_RE.match(line)
            if m and m.group(1) != "name" and not m.group(2).startswith(prefix):
                out.append("%s:%d: op %s is %s, not %s%s (the family's names)"
                           % (rel, n, m.group(1), m.group(2), prefix, m.group(1)))
            m = STATIC_FN_RE.match(line)
            if m and m.group(1).startswith(LIB_PREFIXES):
                out.append("%s:%d: static %s() takes a name of lib's" % (rel, n, m.group(1)))
    return out


def problems(srctree, paths):
    """Every style problem of @paths (relative to @srctree), one line each,
    then the family rules of the algorithm files."""
    documented = documented_in_headers(srctree)
    out = family_problems(srctree)
    for rel in paths:
        with open(os.path.join(srctree, rel), encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        out += line_problems(rel, lines)
        if rel.endswith(".c") and rel.startswith(KERNEL_DIRS):
            out += kernel_c_problems(rel, lines, documented)
    return out


def tracked_sources(srctree, run):
    """The tracked files the style check reads, via @run (proc.run)."""
    status, text = run(["git", "-C", srctree, "ls-files"])
    if status != 0:
        return None
    return [p for p in text.splitlines()
            if p.endswith(SOURCE_EXT) and not p.startswith("tests/traces/")]
