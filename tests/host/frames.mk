# SPDX-License-Identifier: MIT
# Host tests of the typed addresses and of every frame algorithm (see
# tests/host/Makefile). The algorithm list is every frame-algo- line of
# mm/frame/Makefile, so a new algorithm is built into the tests without
# editing this file, while the kernel front end and the in-kernel tests
# (mm/frame/frame.c, mm/frame/frame_test.c) stay out.

frames-algo-srcs := $(call algo-srcs,mm/frame,frame-algo)

host-progs += addr_test
addr_test-srcs := tests/host/addr_test.c

# frames_test drives the model checker of fuzz_frames.c with long random
# sequences, next to its own directed cases.
host-progs += frames_test
frames_test-srcs := tests/host/frames_test.c tests/host/fuzz_frames.c $(algo-lib-srcs) \
	$(frames-algo-srcs)
frames_test-cflags := -DFRAME_ALGO_COUNT=$(words $(frames-algo-srcs))

host-fuzzers += fuzz_frames
fuzz_frames-srcs := tests/host/fuzz_frames.c $(algo-lib-srcs) $(frames-algo-srcs)
fuzz_frames-runs := 25000
