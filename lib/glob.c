// SPDX-License-Identifier: MIT
/*
 * Wildcard matching with '*' and '?'. The classic greedy walk: on a
 * mismatch after a '*', go back to just after that star and let it swallow
 * one more character of @str. Only the last star needs remembering, since
 * an earlier one can never need to swallow more for a later match.
 */
#include <lib/glob.h>

bool glob_match(const char *pattern, size_t plen, const char *str)
{
	size_t p = 0, star = (size_t)-1;
	const char *resume = NULL;

	while (*str) {
		if (p < plen && (pattern[p] == '?' || pattern[p] == *str)) {
			p++;
			str++;
		} else if (p < plen && pattern[p] == '*') {
			star = p++;
			resume = str;
		} else if (resume) {
			p = star + 1;
			str = ++resume;
		} else {
			return false;
		}
	}
	while (p < plen && pattern[p] == '*')
		p++;
	return p == plen;
}
