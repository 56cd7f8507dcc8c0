# SPDX-License-Identifier: MIT
"""`make new-heap NAME=x` and `make new-frames NAME=x`: a new algorithm's
file, Kconfig choice entry, Makefile line and defconfig, from the templates
in scripts/labkit/templates/.

Every op of the new file is a stub that fails cleanly (alloc finds nothing,
free refuses), so the tree builds at once and the contract tests then fail
naming the op to write. Everything is checked and made in memory before the
first file is written: a refused name changes nothing.
"""
import keyword
import os
import re
from string import Template

from mmlab import algos, kconfig

TEMPLATES = os.path.join("scripts", "labkit", "templates")
NAME_RE = re.compile(r"[a-z_][a-z0-9_]*\Z")
MAX_NAME = 32
C_KEYWORDS = set("""auto break case char const continue default do double else enum extern
float for goto if inline int long register restrict return short signed sizeof static struct
switch typedef union unsigned void volatile while _Bool _Complex _Imaginary""".split())


def name_problem(srctree, family, name):
    """Why @name cannot be a new @family algorithm (one line), or None."""
    if not NAME_RE.match(name or ""):
        return ("NAME=%s is not a C identifier in lower case (a-z, 0-9 and _, not starting "
                "with a digit)" % name)
    if len(name) > MAX_NAME or name in C_KEYWORDS or keyword.iskeyword(name):
        return "NAME=%s cannot be used: %s" % (name, "longer than %d characters" % MAX_NAME
                                                if len(name) > MAX_NAME else "a reserved word")
    if name in algos.listed(srctree, family):
        return "a %s algorithm named '%s' exists already (%s)" % (
            family.kind, name, os.path.relpath(family.source(srctree, name), srctree))
    for ext in (".c", ".h"):
        path = os.path.join(srctree, family.directory, name + ext)
        if os.path.exists(path):
            return "%s exists already: choose another name" % os.path.relpath(path, srctree)
    if family.symbol(name) in kconfig.load(srctree).syms:
        return "CONFIG_%s is a Kconfig symbol already: choose another name" % family.symbol(name)
    path = os.path.join(srctree, "configs", family.defconfig(name))
    if os.path.exists(path):
        return "%s exists already: choose another name" % os.path.relpath(path, srctree)
    return None


def template(srctree, family, what, name):
    """The template scripts/labkit/templates/<kind>.<what>.in filled in for @name."""
    with open(os.path.join(srctree, TEMPLATES, "%s%s.in" % (family.kind, what))) as f:
        return Template(f.read()).substitute(name=name, NAME=name.upper())


def with_choice_entry(text, family, entry):
    """Kconfig @text with @entry inserted at the end of the choice whose
    prompt is @family.choice_prompt. Raises ValueError if there is none."""
    lines = text.split("\n")
    prompt = '\tprompt "%s"' % family.choice_prompt
    try:
        start = lines.index(prompt)
        end = lines.index("endchoice", start)
    except ValueError:
        raise ValueError("%s/Kconfig has no choice with prompt \"%s\""
                         % (family.directory, family.choice_prompt)) from None
    return "\n".join(lines[:end] + entry.rstrip("\n").split("\n") + [""] + lines[end:])


def with_make_line(text, family, name):
    """Makefile @text with the @name line after the family's last one."""
    lines = text.split("\n")
    last = max(i for i, l in enumerate(lines) if l.startswith(family.make_list + "-$(CONFIG_"))
    new = "%s-$(CONFIG_%s) += %s.o" % (family.make_list, family.symbol(name), name)
    return "\n".join(lines[:last + 1] + [new] + lines[last + 1:])


def read(path):
    """The text of @path."""
    with open(path) as f:
        return f.read()


def plan(srctree, family, name):
    """{path: new text} for every file scaffolding @name touches. Raises
    ValueError with a one-line reason when the name is refused."""
    why = name_problem(srctree, family, name)
    if why:
        raise ValueError(why)
    kconfig_path = os.path.join(srctree, family.directory, "Kconfig")
    make_path = os.path.join(srctree, family.directory, "Makefile")
    return {
        family.source(srctree, name): template(srctree, family, ".c", name),
        kconfig_path: with_choice_entry(read(kconfig_path), family,
                                        template(srctree, family, ".Kconfig", name)),
        make_path: with_make_line(read(make_path), family, name),
        os.path.join(srctree, "configs", family.defconfig(name)):
            template(srctree, family, "_defconfig", name),
    }


def scaffold(srctree, family, name):
    """Write the new algorithm @name of @family into @srctree.
    Return: the paths written, relative to @srctree. Raises ValueError (a
    one-line reason) for a refused name, having written nothing."""
    files = plan(srctree, family, name)
    for path, text in files.items():
        with open(path, "w") as f:
            f.write(text)
    return [os.path.relpath(p, srctree) for p in files]
