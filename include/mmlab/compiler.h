/* SPDX-License-Identifier: MIT */
/*
 * Compiler helpers shared by the kernel and by host builds of the same sources.
 * Nothing here depends on the architecture or on the configuration.
 */
#ifndef MMLAB_COMPILER_H
#define MMLAB_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define __noreturn	__attribute__((noreturn))
#define __unused	__attribute__((unused))
#define __maybe_unused	__attribute__((unused))
#define __used		__attribute__((used))
#define __aligned(n)	__attribute__((aligned(n)))
#define __section(s)	__attribute__((section(s)))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __cleanup(fn)	__attribute__((cleanup(fn)))
#undef __always_inline	/* glibc's <sys/cdefs.h> has its own */
#define __always_inline	inline __attribute__((always_inline))

/* Compile-time assertion for layout assumptions. */
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), "BUILD_BUG_ON: " #cond)
#define static_assert_msg(cond, msg)	_Static_assert(cond, msg)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))

/* Power-of-two helpers; @a must be a power of two. */
#define IS_POWER_OF_2(x)	((x) != 0 && ((x) & ((x) - 1)) == 0)
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)		ALIGN_DOWN((x) + ((__typeof__(x))(a) - 1), (a))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)

#define KiB	(1024UL)
#define MiB	(1024UL * KiB)
#define GiB	(1024UL * MiB)

#endif /* MMLAB_COMPILER_H */
