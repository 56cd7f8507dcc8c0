// SPDX-License-Identifier: MIT
/*
 * Host tests for lib/string.c. Host programs normally use the C library's
 * string functions, so this file includes lib/string.c with every function
 * renamed (memset -> kmemset, ...) and compares the two over all small
 * alignments and lengths, with guard bytes around every destination.
 */
#include <stdint.h>
#include "host_test.h"

#define memset	kmemset
#define memcpy	kmemcpy
#define memmove	kmemmove
#define memcmp	kmemcmp
#define strlen	kstrlen
#define strnlen	kstrnlen
#define strcmp	kstrcmp
#define strncmp	kstrncmp
#define strchr	kstrchr
#include "../../lib/string.c"
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr

#define AREA	160	/* bytes; longer than a few blocks of four words */
#define GUARD	16

static int sign_of(int v)
{
	return (v > 0) - (v < 0);
}

/* Fills @p with a pattern that differs per offset and per @seed. */
static void pattern_fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 31 + seed * 7 + 1);
}

HOST_TEST(memset_every_alignment_and_length)
{
	unsigned char got[AREA + 2 * GUARD], want[AREA + 2 * GUARD];

	for (size_t off = 0; off < 8; off++)
	for (size_t len = 0; len + off < AREA; len++) {
		pattern_fill(got, sizeof(got), 1);
		pattern_fill(want, sizeof(want), 1);
		CHECK(kmemset(got + GUARD + off, 0xa5, len) == got + GUARD + off);
		memset(want + GUARD + off, 0xa5, len);
		CHECK(memcmp(got, want, sizeof(got)) == 0);
	}
	/* Only the low byte of the value counts. */
	kmemset(got, 0x1ff, 40);
	CHECK_EQ(got[0], 0xff);
	CHECK_EQ(got[39], 0xff);
}

HOST_TEST(memcpy_every_alignment_pair)
{
	unsigned char src[AREA + 8], got[AREA + 2 * GUARD], want[AREA + 2 * GUARD];

	pattern_fill(src, sizeof(src), 3);
	for (size_t so = 0; so < 8; so++)
	for (size_t dof = 0; dof < 8; dof++)
	for (size_t len = 0; len + 8 < AREA; len += 1 + len / 16) {
		pattern_fill(got, sizeof(got), 5);
		pattern_fill(want, sizeof(want), 5);
		CHECK(kmemcpy(got + GUARD + dof, src + so, len) == got + GUARD + dof);
		memcpy(want + GUARD + dof, src + so, len);
		CHECK(memcmp(got, want, sizeof(got)) == 0);
	}
}

HOST_TEST(memmove_overlaps_both_directions)
{
	unsigned char got[AREA + 2 * GUARD], want[AREA + 2 * GUARD];

	for (size_t so = 0; so < 40; so++)
	for (size_t dof = 0; dof < 40; dof++)
	for (size_t len = 0; len + 40 < AREA; len += 1 + len / 8) {
		pattern_fill(got, sizeof(got), 7);
		pattern_fill(want, sizeof(want), 7);
		CHECK(kmemmove(got + GUARD + dof, got + GUARD + so, len) ==
		      got + GUARD + dof);
		memmove(want + GUARD + dof, want + GUARD + so, len);
		CHECK(memcmp(got, want, sizeof(got)) == 0);
	}
}

HOST_TEST(memcmp_sign_and_unsigned_bytes)
{
	unsigned char a[64], b[64];

	pattern_fill(a, sizeof(a), 9);
	memcpy(b, a, sizeof(b));
	CHECK_EQ(kmemcmp(a, b, sizeof(a)), 0);
	CHECK_EQ(kmemcmp(a, b, 0), 0);
	for (size_t i = 0; i < sizeof(a); i++) {
		b[i] = 0x80;
		a[i] = 0x7f;
		CHECK_EQ(sign_of(kmemcmp(a, b, sizeof(a))), -1);
		CHECK_EQ(sign_of(kmemcmp(b, a, sizeof(a))), 1);
		CHECK_EQ(kmemcmp(a, b, i), 0);
		b[i] = a[i];
	}
}

HOST_TEST(string_functions_match_libc)
{
	static const char *const words[] = {
		"", "a", "ab", "abc", "abd", "ab\x80", "ab\x7f", "bootargs",
		"memory@80000000", "memory", "chosen",
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		const char *s = words[i];

		CHECK_EQ(kstrlen(s), strlen(s));
		for (size_t max = 0; max < 20; max++)
			CHECK_EQ(kstrnlen(s, max), strnlen(s, max));
		for (int c = 0; c < 256; c++)
			CHECK(kstrchr(s, c) == strchr(s, c));
		for (size_t j = 0; j < ARRAY_SIZE(words); j++) {
			const char *t = words[j];

			CHECK_EQ(sign_of(kstrcmp(s, t)), sign_of(strcmp(s, t)));
			for (size_t n = 0; n < 20; n++)
				CHECK_EQ(sign_of(kstrncmp(s, t, n)),
					 sign_of(strncmp(s, t, n)));
		}
	}
}

HOST_TEST(strnlen_stops_at_max)
{
	/* Not terminated: reading past 3 bytes would trip ASan. */
	char raw[3] = { 'x', 'y', 'z' };

	CHECK_EQ(kstrnlen(raw, sizeof(raw)), 3);
	CHECK_EQ(kstrncmp(raw, "xyzzy", 3), 0);
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
