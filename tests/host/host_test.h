/* SPDX-License-Identifier: MIT */
/*
 * A minimal test harness for host programs that compile the kernel's pure
 * sources (mm algorithms, lib/) with the host compiler under ASan and UBSan.
 *
 *   HOST_TEST(name) { CHECK(x == 1); CHECK_EQ(a, b); }
 *
 * Cases register themselves in the "host_tests" section; host_test_main()
 * runs them all (or those whose name contains one of the comma-separated
 * words of argv[1], or of HOST_TEST_DEFAULT_FILTER), prints one KTAP-style
 * line per case and ends with "N passed, N failed". A failed CHECK reports
 * file:line with the values and ends the case. EXPECT_PANIC(stmt, "text")
 * runs @stmt and passes only if it calls panic() with a message containing
 * "text" (host_panic.c turns panic() into a longjmp back to the check).
 */
#ifndef HOST_TEST_H
#define HOST_TEST_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct host_test {
	const char *name;
	void (*fn)(void);
};

#define HOST_TEST(name)							\
	static void host_test_##name(void);				\
	__attribute__((used, section("host_tests"), aligned(8)))	\
	static const struct host_test host_test_desc_##name =		\
		{ #name, host_test_##name };				\
	static void host_test_##name(void)

/* Internal: fail the running case (does not return). */
void host_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#define CHECK(cond) do {						\
	if (!(cond))							\
		host_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);	\
} while (0)

#define CHECK_EQ(a, b) do {						\
	unsigned long long _a = (unsigned long long)(a);		\
	unsigned long long _b = (unsigned long long)(b);		\
	if (_a != _b)							\
		host_test_fail(__FILE__, __LINE__,			\
			"CHECK_EQ(%s, %s): %llu (0x%llx) != %llu (0x%llx)",\
			#a, #b, _a, _a, _b, _b);			\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (strcmp(_a, _b) != 0)					\
		host_test_fail(__FILE__, __LINE__,			\
			"CHECK_STR(%s, %s): \"%s\" != \"%s\"",		\
			#a, #b, _a, _b);				\
} while (0)

/* Panic capture, shared with host_panic.c. */
extern jmp_buf *host_panic_jmp;
extern char host_panic_msg[512];

#define EXPECT_PANIC(stmt, text) do {					\
	jmp_buf _jb;							\
	jmp_buf *_saved = host_panic_jmp;				\
	host_panic_msg[0] = '\0';					\
	if (setjmp(_jb) == 0) {						\
		host_panic_jmp = &_jb;					\
		stmt;							\
		host_panic_jmp = _saved;				\
		host_test_fail(__FILE__, __LINE__,			\
			"EXPECT_PANIC(%s): no panic", #stmt);		\
	}								\
	host_panic_jmp = _saved;					\
	if (!strstr(host_panic_msg, (text)))				\
		host_test_fail(__FILE__, __LINE__,			\
			"EXPECT_PANIC(%s): got \"%s\", want \"%s\"",	\
			#stmt, host_panic_msg, (text));			\
} while (0)

/* Runs every registered case; returns the process exit status. */
int host_test_main(int argc, char **argv);

#endif /* HOST_TEST_H */
