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
# Its long cases run side by side, one shard per core (run-host-tests).
heap_test-shards := 2
heap_test-srcs := tests/host/heap_test.c $(heap-shared-srcs) $(algo-lib-srcs) $(heap-algo-srcs)

# heap_grain_test: the cases whose outcome depends on the block size, again
# with the other extreme of each Kconfig grain (heap_test builds the defaults:
# 16-byte bitmap blocks, 16-byte smallest buddy block). 8-byte bitmap blocks
# are smaller than the alignment kmalloc() asks for.
host-progs += heap_grain_test
heap_grain_test-srcs := $(heap_test-srcs)
heap_grain_test-cflags := -DCONFIG_HEAP_BITMAP_BLOCK_SIZE=8 -DCONFIG_HEAP_BUDDY_MIN_BLOCK=128 \
	-DHOST_TEST_DEFAULT_FILTER='"heap_largest_free,heap_stress_odd,heap_stress_poisoned,heap_bad_free,heap_poison,heap_walk"'

host-fuzzers += fuzz_heap
fuzz_heap-srcs := tests/host/fuzz_heap.c mm/heap/poison.c $(algo-lib-srcs) $(heap-algo-srcs)
fuzz_heap-runs := 15000

# heap-bench: an optimised, unsanitised build of the host proxy benchmark, to
# run under callgrind (see the comment at the top of tests/host/heap_bench.c).
.PHONY: heap-bench
heap-bench: $(hostdir)/heap_bench
$(hostdir)/heap_bench: $(addprefix $(srctree)/,tests/host/heap_bench.c mm/heap/stress.c mm/heap/poison.c $(algo-lib-srcs) $(heap-algo-srcs)) $(wildcard $(srctree)/include/*/*.h)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I$(srctree)/include -DMMLAB_HOST=1 \
		-o $@ $(filter %.c,$^)
