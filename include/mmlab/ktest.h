/* SPDX-License-Identifier: MIT */
/*
 * ktest: a KUnit-like in-kernel test framework with KTAP version 1 output.
 *
 *   static void heap_box(struct ktest *t)
 *   {
 *           int *p = kmalloc(sizeof(*p));
 *           KTEST_ASSERT_NOT_NULL(t, p);
 *           *p = 5;
 *           KTEST_EXPECT_EQ(t, *p, 5);
 *           kfree(p);
 *   }
 *   static const struct ktest_case heap_cases[] = {
 *           KTEST_CASE(heap_box),
 *           KTEST_PANIC_CASE(heap_double_free, "kfree: double free"),
 *           {}
 *   };
 *   KTEST_SUITE(heap, heap_cases);
 *
 * Suites register in the "ktest_suites" linker section and run after boot
 * (CONFIG_KTEST). EXPECT failures are reported with file:line, expected and
 * actual values, and the case goes on; ASSERT failures end the case. A case
 * may skip itself with a reason.
 *
 * A panic case must panic with a message containing the given text. Such
 * cases do not run in the normal pass (a panic ends the kernel); the kernel
 * lists them as "# panic-case: suite.case" lines and the test runner boots
 * the image once per case with "ktest.panic=suite.case" on the command line.
 */
#ifndef MMLAB_KTEST_H
#define MMLAB_KTEST_H

#include <mmlab/compiler.h>
#include <mmlab/registry.h>

struct ktest {
	const char *name;
	bool failed;
	const char *skip_reason;
};

struct ktest_case {
	const char *name;
	void (*run)(struct ktest *t);
	const char *expect_panic;	/* NULL for an ordinary case */
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;	/* ends with an empty entry */
};

#define KTEST_CASE(fn)			{ .name = #fn, .run = fn }
#define KTEST_PANIC_CASE(fn, text)	{ .name = #fn, .run = fn, .expect_panic = text }

#define KTEST_SUITE(ident, case_array)					\
	static REGISTRY_ENTRY(ktest_suites, struct ktest_suite,		\
			      ktest_suite_##ident) = {			\
		.name = #ident, .cases = case_array,			\
	}

/* Record a failure of @t with a diagnostic line (printf-style). */
__printf(4, 5) void ktest_fail(struct ktest *t, const char *file, int line,
			       const char *fmt, ...);

/* ktest_skip - mark @t skipped with @reason; the case should return. */
void ktest_skip(struct ktest *t, const char *reason);

#define __KTEST_CMP(t, a, op, b, on_fail) do {				\
	long long __a = (long long)(a), __b = (long long)(b);		\
	if (!(__a op __b)) {						\
		ktest_fail(t, __FILE__, __LINE__,			\
			   "expected %s %s %s, but %s == %lld (0x%llx), %s == %lld (0x%llx)", \
			   #a, #op, #b, #a, __a, (unsigned long long)__a,	\
			   #b, __b, (unsigned long long)__b);		\
		on_fail;						\
	}								\
} while (0)

#define KTEST_EXPECT_EQ(t, a, b)	__KTEST_CMP(t, a, ==, b, (void)0)
#define KTEST_EXPECT_NE(t, a, b)	__KTEST_CMP(t, a, !=, b, (void)0)
#define KTEST_EXPECT_LE(t, a, b)	__KTEST_CMP(t, a, <=, b, (void)0)
#define KTEST_EXPECT_LT(t, a, b)	__KTEST_CMP(t, a, <, b, (void)0)
#define KTEST_EXPECT_GE(t, a, b)	__KTEST_CMP(t, a, >=, b, (void)0)
#define KTEST_EXPECT_GT(t, a, b)	__KTEST_CMP(t, a, >, b, (void)0)
#define KTEST_ASSERT_EQ(t, a, b)	__KTEST_CMP(t, a, ==, b, return)
#define KTEST_ASSERT_NE(t, a, b)	__KTEST_CMP(t, a, !=, b, return)
#define KTEST_ASSERT_GE(t, a, b)	__KTEST_CMP(t, a, >=, b, return)
#define KTEST_ASSERT_LE(t, a, b)	__KTEST_CMP(t, a, <=, b, return)

#define KTEST_EXPECT_TRUE(t, cond) do {					\
	if (!(cond))							\
		ktest_fail(t, __FILE__, __LINE__, "expected %s to be true", #cond); \
} while (0)
#define KTEST_ASSERT_TRUE(t, cond) do {					\
	if (!(cond)) {							\
		ktest_fail(t, __FILE__, __LINE__, "expected %s to be true", #cond); \
		return;							\
	}								\
} while (0)
#define KTEST_ASSERT_NOT_NULL(t, p) do {				\
	if ((p) == NULL) {						\
		ktest_fail(t, __FILE__, __LINE__, "expected %s to be non-NULL", #p); \
		return;							\
	}								\
} while (0)
#define KTEST_EXPECT_NULL(t, p) do {					\
	if ((p) != NULL)						\
		ktest_fail(t, __FILE__, __LINE__, "expected %s to be NULL, got %p", \
			   #p, (void *)(p));					\
} while (0)

/* ktest_printf - a "# " diagnostic line inside the current suite. */
__printf(1, 2) void ktest_printf(const char *fmt, ...);

/* ktest_run_all - run every suite (or one panic case, per the command
 * line); returns the exit status. */
int ktest_run_all(void);

#endif /* MMLAB_KTEST_H */
