// SPDX-License-Identifier: MIT
/*
 * Host tests for lib/vsprintf.c: the engine is compared with the host C
 * library's snprintf over a generated table of conversions (every flag set,
 * widths, precisions, length modifiers and edge values), truncated at every
 * buffer size, plus the behaviours where the engine makes its own documented
 * choices (%p, %s of NULL, unknown conversions).
 *
 * Naming: lib/vsprintf.h renames the engine to ksnprintf/kvsnprintf on the
 * host. The reference wrappers below are defined before that header is
 * included, so inside them snprintf/vsnprintf still mean the C library's.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include "host_test.h"

static int ref_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return vsnprintf(buf, size, fmt, ap);
}

#include <lib/vsprintf.h>

BUILD_BUG_ON(sizeof(long) != 8);

#define OUT_MAX 512

/*
 * Formats @fmt with both engines into buffers of every size from 0 to the
 * full length + 1 and fails the case on the first difference in return
 * value or contents. Bytes past the terminator must stay untouched.
 */
static void __printf(3, 4) compare_at(const char *file, int line, const char *fmt, ...)
{
	char want[OUT_MAX], got[OUT_MAX];
	va_list ap, aq;
	int wn, gn;

	va_start(ap, fmt);
	va_copy(aq, ap);
	wn = ref_vsnprintf(want, sizeof(want), fmt, aq);
	va_end(aq);
	va_copy(aq, ap);
	gn = kvsnprintf(got, sizeof(got), fmt, aq);
	va_end(aq);
	if (wn != gn || strcmp(want, got) != 0)
		host_test_fail(file, line, "format \"%s\": want \"%s\" (%d), got \"%s\" (%d)",
			       fmt, want, wn, got, gn);
	for (size_t size = 0; size <= (size_t)wn + 1 && size < OUT_MAX; size++) {
		memset(got, 0x5a, sizeof(got));
		va_copy(aq, ap);
		gn = kvsnprintf(size ? got : NULL, size, fmt, aq);
		va_end(aq);
		if (gn != wn)
			host_test_fail(file, line, "format \"%s\" size %zu: returned %d, want %d",
				       fmt, size, gn, wn);
		if (size > 0 && (memcmp(got, want, size - 1) != 0 || got[size - 1] != '\0'))
			host_test_fail(file, line, "format \"%s\" size %zu: got \"%s\"",
				       fmt, size, got);
		if ((unsigned char)got[size] != 0x5a)
			host_test_fail(file, line, "format \"%s\" size %zu: wrote past the end",
				       fmt, size);
	}
	va_end(ap);
}

#define COMPARE(...) compare_at(__FILE__, __LINE__, __VA_ARGS__)

/* Formats with the engine into a fresh buffer and returns it. */
static const char *__printf(1, 2) fmt_got(const char *fmt, ...)
{
	static char buf[OUT_MAX];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

/* ------------------------------------------------------------------------
 * Generated table against the C library
 * ------------------------------------------------------------------------ */

static const int64_t edge_values[] = {
	0, 1, -1, 7, -7, 42, -42, 127, -128, 255, 256, 32767, -32768, 65535,
	INT_MAX, INT_MIN, (int64_t)UINT_MAX, (int64_t)UINT_MAX + 1,
	0x123456789abcdefLL, INT64_MAX, INT64_MIN, (int64_t)UINT64_MAX,
	-1000000007LL, 999999999999LL,
};

static const char *const lengths[] = { "hh", "h", "", "l", "ll", "z", "t", "j" };
static const char *const widths[] = { "", "1", "6", "23", "*" };
static const char *const precisions[] = { "", ".", ".0", ".1", ".4", ".25", ".*" };

/*
 * Builds "%<flags><width><precision><length><conv>" from the flag bitmask
 * @flags (bits select "-0+ #") and the table entries.
 */
static void format_build(char *fmt, unsigned flags, const char *width,
			 const char *prec, const char *length, char conv)
{
	static const char flag_chars[] = "-0+ #";
	char *p = fmt;

	*p++ = '%';
	for (unsigned i = 0; i < 5; i++)
		if (flags & (1u << i))
			*p++ = flag_chars[i];
	p += sprintf(p, "%s%s%s%c", width, prec, length, conv);
}

/*
 * Compares one integer conversion, passing @v as the type @length names
 * (and the '*' arguments first when the format has them).
 */
static void __attribute__((format(printf, 1, 0))) integer_compare(const char *fmt,
		const char *length, bool star_w, bool star_p, int64_t v)
{
	int w = 9, p = 3;

	/* Formats are built at run time; the argument type follows @length. */
#define CASE(type) do {							\
	type x = (type)v;						\
	if (star_w && star_p) COMPARE(fmt, w, p, x);			\
	else if (star_w) COMPARE(fmt, w, x);				\
	else if (star_p) COMPARE(fmt, p, x);				\
	else COMPARE(fmt, x);						\
} while (0)
	if (!strcmp(length, "l"))
		CASE(long);
	else if (!strcmp(length, "ll"))
		CASE(long long);
	else if (!strcmp(length, "z"))
		CASE(size_t);
	else if (!strcmp(length, "t"))
		CASE(ptrdiff_t);
	else if (!strcmp(length, "j"))
		CASE(intmax_t);
	else
		CASE(int);
#undef CASE
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
HOST_TEST(integer_table_matches_libc)
{
	static const char convs[] = "diuxX";
	unsigned cases = 0;

	for (const char *c = convs; *c; c++) {
		bool is_signed = *c == 'd' || *c == 'i';

		for (unsigned flags = 0; flags < 32; flags++) {
			/* '#' on decimal and '+'/' ' on unsigned are undefined in C. */
			if (is_signed && (flags & 16))
				continue;
			if (!is_signed && (flags & (4 | 8)))
				continue;
			for (size_t wi = 0; wi < ARRAY_SIZE(widths); wi++)
			for (size_t pi = 0; pi < ARRAY_SIZE(precisions); pi++)
			for (size_t li = 0; li < ARRAY_SIZE(lengths); li++)
			for (size_t vi = 0; vi < ARRAY_SIZE(edge_values); vi++) {
				char fmt[32];

				format_build(fmt, flags, widths[wi], precisions[pi],
					     lengths[li], *c);
				integer_compare(fmt, lengths[li], widths[wi][0] == '*',
						strchr(precisions[pi], '*') != NULL,
						edge_values[vi]);
				cases++;
			}
		}
	}
	CHECK(cases > 50000);
}

HOST_TEST(string_and_char_table_matches_libc)
{
	static const char *const strings[] = { "", "a", "hello", "hello, world", "x\ty" };
	static const char *const str_flags[] = { "", "-", "0" };

	for (size_t si = 0; si < ARRAY_SIZE(strings); si++)
	for (size_t fi = 0; fi < ARRAY_SIZE(str_flags); fi++)
	for (size_t wi = 0; wi < ARRAY_SIZE(widths); wi++)
	for (size_t pi = 0; pi < ARRAY_SIZE(precisions); pi++) {
		char fmt[32];
		bool sw = widths[wi][0] == '*', sp = strchr(precisions[pi], '*') != NULL;

		snprintf(fmt, sizeof(fmt), "[%%%s%s%ss]", str_flags[fi], widths[wi],
			 precisions[pi]);
		if (sw && sp)
			COMPARE(fmt, -12, 2, strings[si]);
		else if (sw)
			COMPARE(fmt, 8, strings[si]);
		else if (sp)
			COMPARE(fmt, -3, strings[si]);
		else
			COMPARE(fmt, strings[si]);
		if (pi == 0 && fi < 2 && !sw) {
			snprintf(fmt, sizeof(fmt), "<%%%s%sc>", str_flags[fi], widths[wi]);
			COMPARE(fmt, strings[si][0] ? strings[si][0] : 'z');
		}
	}
}
#pragma GCC diagnostic pop

/* ------------------------------------------------------------------------
 * Hand-written cases
 * ------------------------------------------------------------------------ */

HOST_TEST(literal_text_and_percent)
{
	COMPARE("plain text");
	COMPARE("%s", "");
	COMPARE("100%% sure, %d%%", 5);
	COMPARE("%c%c%c", 'a', 0x7f, 'z');
	COMPARE("%s=%d, %s=%#x", "a", -3, "b", 0xbeef);
}

HOST_TEST(integer_extremes)
{
	COMPARE("%lld %lld %llu", (long long)INT64_MIN, (long long)INT64_MAX,
		(unsigned long long)UINT64_MAX);
	COMPARE("%llx %llX %#llx", (unsigned long long)UINT64_MAX,
		(unsigned long long)UINT64_MAX, (unsigned long long)UINT64_MAX);
	COMPARE("%d %d %u", INT_MIN, INT_MAX, UINT_MAX);
	COMPARE("%hhd %hhu %hd %hu", 0x1ff, 0x1ff, 0x1ffff, 0x1ffff);
	COMPARE("%zu %zd %zx", (size_t)-1, (size_t)-1, (size_t)-1);
	COMPARE("%td %tu", (ptrdiff_t)INT64_MIN, (ptrdiff_t)-1);
	COMPARE("%040lld|%-+40lld|% 040lld", (long long)INT64_MIN,
		(long long)INT64_MAX, (long long)INT64_MAX);
	COMPARE("%.0d|%.0x|%#.0x|%5.0d|%-5.0u|", 0, 0u, 0u, 0, 0u);
}

HOST_TEST(pointer_is_0x_lower_hex)
{
	int x;
	char want[64];

	CHECK_STR(fmt_got("%p", (void *)0), "0x0");
	CHECK_STR(fmt_got("%p", (void *)0xdeadbeefUL), "0xdeadbeef");
	CHECK_STR(fmt_got("%p", (void *)UINTPTR_MAX), "0xffffffffffffffff");
	CHECK_STR(fmt_got("[%20p]", (void *)0x80200000UL), "[          0x80200000]");
	CHECK_STR(fmt_got("[%-12p]", (void *)0xabcUL), "[0xabc       ]");
	snprintf(want, sizeof(want), "0x%lx", (unsigned long)(uintptr_t)&x);
	CHECK_STR(fmt_got("%p", (void *)&x), want);
}

/* These cases pass NULL and absurd widths on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-overflow"
HOST_TEST(null_string_prints_null)
{
	const char *null = NULL;

	CHECK_STR(fmt_got("%s", null), "(null)");
	CHECK_STR(fmt_got("[%8s]", null), "[  (null)]");
	CHECK_STR(fmt_got("[%-8s]", null), "[(null)  ]");
	/* Our choice: "(null)" is cut by the precision like any string. */
	CHECK_STR(fmt_got("[%.3s]", null), "[(nu]");
}

HOST_TEST(precision_bounds_string_reads)
{
	/* Not NUL-terminated: the precision must stop the read (ASan checks). */
	char raw[4] = { 'a', 'b', 'c', 'd' };

	CHECK_STR(fmt_got("%.4s", raw), "abcd");
	CHECK_STR(fmt_got("%.2s|%.*s", raw, 3, raw), "ab|abc");
}

HOST_TEST(unknown_and_truncated_conversions)
{
	/* Built at run time so the compiler does not reject them. */
	const char *unknown = "a%qb", *trailing = "tail%", *dangling = "x%-08";

	CHECK_STR(fmt_got(unknown, 0), "a%qb");
	CHECK_STR(fmt_got(trailing, 0), "tail%");
	CHECK_STR(fmt_got(dangling, 0), "x%");
	CHECK_EQ(ksnprintf(NULL, 0, unknown, 0), 4);
}

HOST_TEST(huge_width_is_clamped_not_overflowed)
{
	const char *fmt = "%99999999999999999999d";
	int n = ksnprintf(NULL, 0, fmt, 1);

	CHECK(n > 1000);
	CHECK(n <= (1 << 20) + 1);
}

#pragma GCC diagnostic pop

HOST_TEST(return_value_and_termination)
{
	char buf[8];

	memset(buf, 'z', sizeof(buf));
	CHECK_EQ(ksnprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
	CHECK_STR(buf, "0123456");
	CHECK_EQ(ksnprintf(buf, 1, "%d", 12345), 5);
	CHECK_EQ(buf[0], '\0');
	CHECK_EQ(ksnprintf(NULL, 0, "%d-%s", -17, "ab"), 6);
	memset(buf, 'z', sizeof(buf));
	CHECK_EQ(ksnprintf(buf, 0, "abc"), 3);
	CHECK_EQ(buf[0], 'z');
}

struct count_sink {
	char text[64];
	unsigned calls;
};

static void count_sink_put(void *arg, char c)
{
	struct count_sink *s = arg;

	if (s->calls < sizeof(s->text) - 1)
		s->text[s->calls] = c;
	s->calls++;
}

static int __printf(2, 3) count_format(struct count_sink *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat(count_sink_put, s, fmt, ap);
	va_end(ap);
	return n;
}

HOST_TEST(vformat_streams_every_character)
{
	struct count_sink s = { .calls = 0 };
	int n = count_format(&s, "cpu%u: %-6s|%08lx", 3u, "ok", 0x1234UL);

	s.text[MIN(s.calls, sizeof(s.text) - 1)] = '\0';
	CHECK_EQ(n, 21);
	CHECK_EQ(s.calls, 21);
	CHECK_STR(s.text, "cpu3: ok    |00001234");
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
