# SPDX-License-Identifier: MIT
# Allocation traces (see tests/host/Makefile): host tests of the trace parser
# and replay engine (bench/mmtrace.c) and of the mmtrace tool, and the tool
# itself, built from the same sources over every registered heap algorithm
# (heap-algo-srcs comes from heap.mk).
#
#   make -f tests/host/Makefile objtree=build mmtrace   ->  build/host/mmtrace
#   make -f tests/host/Makefile objtree=build recorder  ->  build/host/libmmtrace-record.so

# This fragment is read before tests/host/Makefile's first rule, so any rule
# here would become make's default goal; it is saved and put back at the end.
trace-mk-saved-goal := $(.DEFAULT_GOAL)

mmtrace-srcs = scripts/mmtrace/mmtrace.c scripts/mmtrace/fit.c bench/mmtrace.c mm/heap/poison.c $(algo-lib-srcs) \
	$(heap-algo-srcs)

# trace_test #includes scripts/mmtrace/mmtrace.c (without its main), so the
# tool is not in -srcs; the stamp rebuilds the test when it changes.
host-progs += trace_test
trace_test-srcs = tests/host/trace_test.c $(filter-out scripts/mmtrace/mmtrace.c,$(mmtrace-srcs))
$(hostdir)/trace_test: $(hostdir)/.trace_test.stamp
$(hostdir)/.trace_test.stamp: $(srctree)/scripts/mmtrace/mmtrace.c $(srctree)/scripts/mmtrace/tool.h
	@mkdir -p $(@D)
	@touch $@

# The recorder's tests compile small programs and run them under the shim.
host-progs += trace_record_test
trace_record_test-srcs = tests/host/trace_record_test.c bench/mmtrace.c
trace_record_test-cflags = -DSRCTREE='"$(abspath $(srctree))"' -DHOSTDIR='"$(abspath $(hostdir))"'
$(hostdir)/trace_record_test: $(hostdir)/libmmtrace-record.so

# The tool: optimised and unsanitised, so long traces replay quickly.
.PHONY: mmtrace
mmtrace: $(hostdir)/mmtrace
$(hostdir)/mmtrace: $(addprefix $(srctree)/,$(mmtrace-srcs)) $(wildcard $(srctree)/include/*/*.h) \
		$(srctree)/scripts/mmtrace/tool.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -I$(srctree)/include -DMMLAB_HOST=1 \
		-o $@ $(filter %.c,$^)

# The recorder's LD_PRELOAD shim (scripts/mmtrace/record builds it): a plain
# shared object, no sanitizers (it runs inside other programs).
.PHONY: recorder
recorder: $(hostdir)/libmmtrace-record.so
$(hostdir)/libmmtrace-record.so: $(srctree)/scripts/mmtrace/recorder.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -fPIC -shared -pthread -o $@ $<

.DEFAULT_GOAL := $(trace-mk-saved-goal)
