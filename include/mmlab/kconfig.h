/* SPDX-License-Identifier: MIT */
/*
 * IS_ENABLED(CONFIG_FOO): 1 when the bool symbol is set, 0 otherwise, usable in
 * ordinary C expressions so both branches are always compiled and type-checked.
 * The generated autoconf.h defines set symbols to 1 and leaves others undefined.
 */
#ifndef MMLAB_KCONFIG_H
#define MMLAB_KCONFIG_H

#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x)			___is_defined(x)
#define ___is_defined(val)		____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk)	__take_second_arg(arg1_or_junk 1, 0)

#define IS_ENABLED(option) __is_defined(option)

#endif /* MMLAB_KCONFIG_H */
