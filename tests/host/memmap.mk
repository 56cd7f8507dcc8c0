# SPDX-License-Identifier: MIT
# Host test of the memory map's range arithmetic and device-tree reading
# (mm/memmap.c without its kernel glue), fed the fdt fixtures of lib.mk.

# A rule here would become make's default goal (see lib.mk): save and restore.
memmap-mk-saved-goal := $(.DEFAULT_GOAL)

host-progs += memmap_test
memmap_test-srcs := tests/host/memmap_test.c mm/memmap.c lib/fdt.c
$(hostdir)/memmap_test: $(hostdir)/fdt-data/reserved.dtb

.DEFAULT_GOAL := $(memmap-mk-saved-goal)
