# SPDX-License-Identifier: MIT
"""mmlab's Python tools, as one package under thin command-line scripts.

The scripts in scripts/ (check.py, bench.py, mapviz.py, ktest_runner.py,
labkit/new.py, labkit/grade.py) only parse their arguments and call in
here. Arrows point one way, from the top of this list to the bottom; no
module imports one above it.

    checks/     the stages of `make check` (one module per group of stages)
    grade       `make grade`: the lab kit's gate and score (docs/lab.md)
    scaffold    `make new-heap` / `make new-frames`: a new algorithm from templates
    sizes       `make bench HEAP_SIZES=...`: heap workloads at each heap size
    benchrun    `make bench`: every configuration, tables, plots, maps
    plots       benchmark plots (matplotlib)
    results     benchmark records -> headline figures, markdown, CSV
    mapdraw     drawing heap and frame maps (matplotlib)
    maps        parsing "map: ..." lines; booting an image with map=all
    bench       building with CONFIG_BENCH=y; booting with bench=...
    selftest    booting the self-tests and panic cases, judging them
    ktap        parsing KTAP output and "N passed, N failed" lines
    qemu        booting QEMU virt; does an image fit the RAM
    kconfig     kconfiglib helpers (help text, minimal defconfigs)
    algos       the heap and frame families and the algorithms each lists
    build       configure and build one configuration in its own O= dir
    proc        running commands in a clean make environment
"""
