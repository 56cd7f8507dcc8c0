# SPDX-License-Identifier: MIT
#
# Heap algorithms: every algorithm mm/heap/Makefile lists (its heap-algo-
# lines) is linked into the test, the fuzzer and the benchmark, and each
# registers itself in the "heap_algos" section, so a new algorithm is tested
# without editing this file. The front end (kmalloc.c, debug.c) needs kernel
# state and stays out.
heap-shared-srcs := mm/heap/stress.c mm/heap/poison.c
heap-algo-srcs := $(call algo-srcs,mm/heap,heap-algo)

host-progs += heap_test
heap_test-srcs := tests/host/heap_test.c $(heap-shared-srcs) lib/bitmap.c $(heap-algo-srcs)

host-fuzzers += fuzz_heap
fuzz_heap-srcs := tests/host/fuzz_heap.c mm/heap/poison.c lib/bitmap.c $(heap-algo-srcs)
fuzz_heap-runs := 15000

# heap-bench: an optimised, unsanitised build of the host proxy benchmark, to
# run under callgrind (see the comment at the top of tests/host/heap_bench.c).
.PHONY: heap-bench
heap-bench: $(hostdir)/heap_bench
$(hostdir)/heap_bench: $(addprefix $(srctree)/,tests/host/heap_bench.c mm/heap/stress.c mm/heap/poison.c lib/bitmap.c $(heap-algo-srcs)) $(wildcard $(srctree)/include/*/*.h)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I$(srctree)/include -DMMLAB_HOST=1 \
		-o $@ $(filter %.c,$^)
