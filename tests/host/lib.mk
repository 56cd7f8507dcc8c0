# SPDX-License-Identifier: MIT
# Host tests of the pure library code in lib/ (see tests/host/Makefile).

# This fragment is read before tests/host/Makefile's first rule, so any rule
# here would become make's default goal; it is saved and put back at the end.
lib-mk-saved-goal := $(.DEFAULT_GOAL)

# lib/vsprintf.c builds as kvsnprintf/ksnprintf on the host (MMLAB_HOST) and
# is compared with the C library's snprintf.
host-progs += vsprintf_test
vsprintf_test-srcs := tests/host/vsprintf_test.c lib/vsprintf.c

# lib/string.c is the kernel's; string_test #includes it under k-prefixed
# names (so it is not in -srcs) and compares it with the C library's. The
# stamp makes the program rebuild when lib/string.c changes.
host-progs += string_test
string_test-srcs := tests/host/string_test.c
$(hostdir)/string_test: $(hostdir)/.string_test.stamp
$(hostdir)/.string_test.stamp: $(srctree)/lib/string.c
	@mkdir -p $(@D)
	@touch $@

# bitmap_test checks lib/bitmap.c's range operations against single bits.
host-progs += bitmap_test
bitmap_test-srcs := tests/host/bitmap_test.c lib/bitmap.c

# sort_test compares lib/sort.c with the C library's qsort.
host-progs += sort_test
sort_test-srcs := tests/host/sort_test.c lib/sort.c

# glob_test checks the wildcard matcher against a brute-force oracle.
host-progs += glob_test
glob_test-srcs := tests/host/glob_test.c lib/glob.c

# fdt_test reads device-tree blobs compiled here from tests/host/data/*.dts
# into $(hostdir)/fdt-data/. They are prerequisites of the program (not
# sources: the compile step keeps only *.c), and the program finds them at
# run time in fdt-data/ next to its own executable, or in $MMLAB_FDT_DATA.
host-progs += fdt_test
fdt_test-srcs := tests/host/fdt_test.c lib/fdt.c
fdt-fixtures := $(patsubst $(srctree)/tests/host/data/%.dts,$(hostdir)/fdt-data/%.dtb,\
	$(wildcard $(srctree)/tests/host/data/*.dts))
$(hostdir)/fdt_test: $(fdt-fixtures)
$(hostdir)/fdt-data/%.dtb: $(srctree)/tests/host/data/%.dts
	@mkdir -p $(@D)
	@echo "  DTC     $@"
	$(Q)dtc -q -I dts -O dtb -o $@ $<

# fuzz_fdt runs every reader over arbitrary bytes and over mutations of a
# small valid tree built in; a few seconds per make fuzz.
host-fuzzers += fuzz_fdt
fuzz_fdt-srcs := tests/host/fuzz_fdt.c lib/fdt.c
fuzz_fdt-runs := 60000

.DEFAULT_GOAL := $(lib-mk-saved-goal)
