# SPDX-License-Identifier: MIT
"""Stage lint: every Kconfig symbol has help, every defconfig is what
savedefconfig writes, the CI workflow runs every stage, every script with a
#! line is executable, the Python tools import one way."""
import ast
import glob
import os
import sys

import yaml

from mmlab import build, kconfig, proc, style


def stage_lint(ctx):
    """The whole lint stage."""
    kconf = kconfig.load(ctx.srctree)
    missing = kconfig.without_help(kconf)
    ctx.tally.verdict(missing and "lint: Kconfig symbols without help text: %s" % " ".join(missing),
                      "Kconfig: every symbol has help text")
    for path in sorted(glob.glob(os.path.join(ctx.srctree, "configs", "*defconfig"))):
        with open(path) as f:
            have = kconfig.settings(f.read())
        want = kconfig.minimal_form(kconf, path)
        if want == have:
            ctx.tally.ok(name="%s is minimal" % os.path.basename(path))
        else:
            ctx.tally.fail("lint: %s is not minimal (make savedefconfig): expected %s, found %s"
                           % (os.path.basename(path), want, have))
        status, text = proc.run([sys.executable, os.path.join(
            ctx.srctree, "scripts", "kconfig", "apply.py"), "--strict", "--check-only",
            os.path.join(ctx.srctree, "Kconfig"), path], cwd=ctx.srctree,
            env=proc.clean_env({"srctree": ctx.srctree, "MMLAB_VERSION": "check"}))
        if status:
            ctx.tally.fail("lint: %s" % text.strip())
        else:
            ctx.tally.ok(name="%s: every symbol known and kept" % os.path.basename(path))
    print("  defconfigs checked for minimality and unknown or lost symbols", flush=True)
    lint_workflow(ctx)
    lint_script_modes(ctx)
    lint_python_imports(ctx)
    lint_layers(ctx)
    lint_style(ctx)


STYLE_SAMPLE = (
    "int no_spdx(void);\n"
    "int no_contract(void)\n{\n#ifdef CONFIG_X\n        return 1; \n#endif\n"
    "\treturn " + "1 + " * 30 + "0;\n}\n")
STYLE_RULES = ("no SPDX", "no contract comment", "#if on CONFIG_", "indented with spaces",
               "trailing white space", "columns", "op alloc is", "takes a name of lib's")
# An algorithm of the sample's heap family that breaks the family rules.
STYLE_SAMPLE_ALGO = ("// SPDX-License-Identifier: MIT\n"
                     "static int bitmap_thing(void)\n{\n\treturn 0;\n}\n\n"
                     "HEAP_ALGO_REGISTER(sample, {\n\t.name = \"sample\",\n"
                     "\t.alloc = sample_alloc,\n});\n")


def lint_style(ctx):
    """The project's style check over every tracked source, after proving
    on a sample file that each of its rules can fire."""
    sample_dir = os.path.join(ctx.out, "lint", "style-sample")
    os.makedirs(os.path.join(sample_dir, "mm"), exist_ok=True)
    with open(os.path.join(sample_dir, "mm", "sample.c"), "w") as f:
        f.write(STYLE_SAMPLE)
    os.makedirs(os.path.join(sample_dir, "mm", "heap"), exist_ok=True)
    with open(os.path.join(sample_dir, "mm", "heap", "Makefile"), "w") as f:
        f.write("heap-algo-$(CONFIG_HEAP_SAMPLE) += sample.o\n")
    with open(os.path.join(sample_dir, "mm", "heap", "sample.c"), "w") as f:
        f.write(STYLE_SAMPLE_ALGO)
    found = "\n".join(style.problems(sample_dir, ["mm/sample.c"]))
    silent = [rule for rule in STYLE_RULES if rule not in found]
    ctx.tally.verdict(silent and "lint: style check misses in its sample: %s" % ", ".join(silent),
                      "style: each rule fires on a sample that breaks it")
    paths = style.tracked_sources(ctx.srctree, proc.run)
    if paths is None:
        ctx.tally.skip("lint: style: %s is not a git checkout" % ctx.srctree)
        return
    bad = style.problems(ctx.srctree, paths)
    ctx.tally.verdict(bad and "lint: style (scripts/mmlab/style.py):\n    " + "\n    ".join(bad),
                      "style: %d sources follow the checked rules" % len(paths))


def lint_layers(ctx):
    """No include or call runs back up the layers, and no files form a
    circle (scripts/layers.py over an allyesconfig build, so every file is
    compiled and every call is seen)."""
    d = os.path.join(ctx.out, "lint-layers")
    ok, log = build.build_config(ctx.srctree, d, "allyesconfig")
    if not ok:
        ctx.tally.fail("lint: allyesconfig does not build for the layer check: " + log[-600:])
        return
    status, text = proc.run([sys.executable, os.path.join(ctx.srctree, "scripts", "layers.py"),
                             "--srctree", ctx.srctree, "--build", d])
    ctx.tally.verdict(status and "lint: layers: " + text.strip(), text.strip().splitlines()[-1])


def lint_workflow(ctx):
    """.github/workflows/ci.yml is valid YAML and runs every stage of make check."""
    path = os.path.join(ctx.srctree, ".github", "workflows", "ci.yml")
    try:
        with open(path) as f:
            flow = yaml.safe_load(f)
        runs = " ".join(step.get("run", "") for job in flow["jobs"].values()
                        for step in job.get("steps", []))
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as e:
        ctx.tally.fail("lint: %s: %s" % (path, e))
        return
    missing = [st for st in ctx.stage_names if "--only " + st not in runs]
    ctx.tally.verdict(missing and "lint: ci.yml does not run stages: %s" % " ".join(missing),
                      "ci.yml: valid YAML, runs every stage of make check")


def lint_script_modes(ctx):
    """Every file under scripts/ that starts with #! is executable in git, so
    the docs' `scripts/foo.py ...` lines run when pasted."""
    status, text = proc.run(["git", "-C", ctx.srctree, "ls-files", "-s", "scripts"])
    if status != 0:
        ctx.tally.skip("lint: script modes: not a git checkout")
        return
    bad = []
    for line in text.splitlines():
        mode, _, _, path = line.split(None, 3)
        full = os.path.join(ctx.srctree, path)
        if mode != "100755" and os.path.isfile(full):
            with open(full, "rb") as f:
                if f.read(2) == b"#!":
                    bad.append(path)
    ctx.tally.verdict(bad and "lint: scripts with #! but not executable in git "
                      "(git update-index --chmod=+x): %s" % " ".join(bad),
                      "scripts: every #! script is executable")


def module_imports(path):
    """(imports at module level, imports inside a function or class) of the
    Python file @path, as lists of (line, dotted name)."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    top, nested = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module + "." + a.name for a in node.names] + [node.module]
        else:
            continue
        (top if node in tree.body else nested).extend((node.lineno, n) for n in names)
    return top, nested


def package_cycle(graph):
    """A list of modules forming an import circle in @graph, or None."""
    state = {}

    def visit(mod, path):
        state[mod] = "open"
        for dep in sorted(graph.get(mod, ())):
            if state.get(dep) == "open":
                return path[path.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep, path + [dep])
                if found:
                    return found
        state[mod] = "done"
        return None

    for mod in sorted(graph):
        if mod not in state:
            found = visit(mod, [mod])
            if found:
                return found
    return None


def lint_python_imports(ctx):
    """The Python tools import at the top of each file only (no import
    hidden in a function), and the mmlab package has no import circle."""
    scripts = os.path.join(ctx.srctree, "scripts")
    modules = set_of_modules(scripts)
    graph, hidden = {}, []
    for path in sorted(glob.glob(os.path.join(scripts, "**", "*.py"), recursive=True)):
        rel = os.path.relpath(path, scripts)
        top, nested = module_imports(path)
        hidden += ["scripts/%s:%d imports %s" % (rel, line, name) for line, name in nested]
        if rel.startswith("mmlab" + os.sep):
            mod = module_name(rel)
            graph[mod] = {name for _, name in top
                          if name.startswith("mmlab.") and name != mod} & modules
    cycle = package_cycle(graph)
    ctx.tally.verdict((hidden and "lint: imports inside functions: %s" % "; ".join(hidden))
                      or (cycle and "lint: import circle in scripts/mmlab: %s"
                          % " -> ".join(cycle)),
                      "scripts/mmlab: %d modules, imports at the top, no circle" % len(graph))


def module_name(rel):
    """The dotted module name of the file @rel (relative to scripts/)."""
    return rel[:-3].replace(os.sep, ".").replace(".__init__", "")


def set_of_modules(scripts):
    """Dotted names of every module of the mmlab package under @scripts."""
    paths = glob.glob(os.path.join(scripts, "mmlab", "**", "*.py"), recursive=True)
    return {module_name(os.path.relpath(p, scripts)) for p in paths}
