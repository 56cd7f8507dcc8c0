/* SPDX-License-Identifier: MIT */
/*
 * panic(): report a broken invariant and stop. Messages read "function: reason".
 * In the kernel it prints the message, trap registers and a backtrace, then ends
 * QEMU with a failure status. Host test programs provide their own panic() that
 * records the message (so tests can expect a panic) and does not return.
 */
#ifndef MMLAB_PANIC_H
#define MMLAB_PANIC_H

#include <mmlab/compiler.h>

__noreturn __printf(1, 2) void panic(const char *fmt, ...);

/* BUG_ON(cond): panic naming the function and the condition when @cond holds. */
#define BUG_ON(cond) do {						\
	if (unlikely(cond))						\
		panic("%s: BUG_ON(%s) at %s:%d", __func__, #cond,	\
		      __FILE__, __LINE__);				\
} while (0)

#endif /* MMLAB_PANIC_H */
