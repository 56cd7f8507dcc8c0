// SPDX-License-Identifier: MIT
/*
 * Host tests for lib/glob.c: hand-picked patterns, then every pattern and
 * string over a small alphabet against a plain recursive matcher.
 */
#include <string.h>
#include <lib/glob.h>
#include "host_test.h"

/* The obvious exponential matcher, as the oracle. */
static bool oracle(const char *p, const char *s)
{
	if (!*p)
		return !*s;
	if (*p == '*')
		return oracle(p + 1, s) || (*s && oracle(p, s + 1));
	return *s && (*p == '?' || *p == *s) && oracle(p + 1, s + 1);
}

static bool match(const char *p, const char *s)
{
	return glob_match(p, strlen(p), s);
}

HOST_TEST(glob_examples)
{
	CHECK(match("heap", "heap"));
	CHECK(!match("heap", "heap_lab"));
	CHECK(match("heap*", "heap_lab"));
	CHECK(match("*lab", "heap_lab"));
	CHECK(match("h?ap", "heap"));
	CHECK(match("*", ""));
	CHECK(!match("?", ""));
	CHECK(match("a*b*c", "aXXbYYc"));
	CHECK(!match("a*b*c", "aXXbYY"));
	/* Only the first plen bytes count: "heap.case" split at the dot. */
	CHECK(glob_match("heap.x", 4, "heap"));
}

/* Every pattern of up to 4 symbols of "ab*?" against every string of up to 5 of "ab". */
HOST_TEST(glob_agrees_with_oracle)
{
	static const char pal[] = "ab*?", sal[] = "ab";
	char p[8], s[8];
	unsigned pn, sn, pi, si, checked = 0;

	for (pn = 0; pn <= 4; pn++)
		for (pi = 0; pi < 1u << (2 * pn); pi++) {
			for (unsigned k = 0; k < pn; k++)
				p[k] = pal[(pi >> (2 * k)) & 3];
			p[pn] = '\0';
			for (sn = 0; sn <= 5; sn++)
				for (si = 0; si < 1u << sn; si++) {
					for (unsigned k = 0; k < sn; k++)
						s[k] = sal[(si >> k) & 1];
					s[sn] = '\0';
					CHECK_EQ(match(p, s), oracle(p, s));
					checked++;
				}
		}
	CHECK(checked > 10000);
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
