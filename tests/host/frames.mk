# SPDX-License-Identifier: MIT
# Host tests of the typed addresses and of every frame algorithm (see
# tests/host/Makefile). The algorithm list is every mm/frame_*.c that
# registers itself with FRAME_ALGO_REGISTER, so a new algorithm is built into
# the tests without editing this file, while the kernel front end and the
# in-kernel tests (mm/frame.c, mm/frame_test.c) stay out.

frames-algo-srcs := $(patsubst $(srctree)/%,%,$(sort $(shell grep -l '^FRAME_ALGO_REGISTER' \
	$(wildcard $(srctree)/mm/frame_*.c) /dev/null)))

host-progs += addr_test
addr_test-srcs := tests/host/addr_test.c

# frames_test drives the model checker of fuzz_frames.c with long random
# sequences, next to its own directed cases.
host-progs += frames_test
frames_test-srcs := tests/host/frames_test.c tests/host/fuzz_frames.c lib/bitmap.c \
	$(frames-algo-srcs)

host-fuzzers += fuzz_frames
fuzz_frames-srcs := tests/host/fuzz_frames.c lib/bitmap.c $(frames-algo-srcs)
fuzz_frames-runs := 25000
