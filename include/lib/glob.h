/* SPDX-License-Identifier: MIT */
/* Shell-style wildcard matching, as KUnit's filter_glob uses it. */
#ifndef LIB_GLOB_H
#define LIB_GLOB_H

#include <mmlab/compiler.h>

/*
 * glob_match - true when @str matches @pattern whole: '*' matches any run of
 * characters (none too), '?' any one character, anything else itself. The
 * first @plen bytes of @pattern are used (it need not be terminated there).
 * Linear in the lengths for the patterns a filter holds (one backtrack point).
 */
bool glob_match(const char *pattern, size_t plen, const char *str);

#endif /* LIB_GLOB_H */
