# SPDX-License-Identifier: MIT
# Host tests of the pure library code in lib/ (see tests/host/Makefile).

# lib/vsprintf.c builds as kvsnprintf/ksnprintf on the host (MMLAB_HOST) and
# is compared with the C library's snprintf.
host-progs += vsprintf_test
vsprintf_test-srcs := tests/host/vsprintf_test.c lib/vsprintf.c

# lib/string.c is the kernel's; string_test includes it under k-prefixed
# names and compares it with the C library's.
host-progs += string_test
string_test-srcs := tests/host/string_test.c
