/* SPDX-License-Identifier: MIT */
/*
 * Console output. printk() always prints; pr_err() ... pr_debug() print only
 * when their level is at or above CONFIG_LOG_LEVEL's importance (levels as in
 * Linux: 0 emergency ... 7 debug) and are compiled out otherwise.
 */
#ifndef MMLAB_PRINTK_H
#define MMLAB_PRINTK_H

#include <stdarg.h>
#include <mmlab/compiler.h>

#define LOGLEVEL_EMERG		0
#define LOGLEVEL_ERR		3
#define LOGLEVEL_WARNING	4
#define LOGLEVEL_NOTICE		5
#define LOGLEVEL_INFO		6
#define LOGLEVEL_DEBUG		7

/* printk - format and print to the console; returns the characters printed. */
__printf(1, 2) int printk(const char *fmt, ...);
int vprintk(const char *fmt, va_list ap);

/* console_putc - one raw character to the console (SBI). */
void console_putc(char c);

#define pr_level(level, fmt, ...) do {					\
	if ((level) <= CONFIG_LOG_LEVEL)				\
		printk(fmt, ##__VA_ARGS__);				\
} while (0)

#define pr_err(fmt, ...)	pr_level(LOGLEVEL_ERR, "error: " fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)	pr_level(LOGLEVEL_WARNING, "warning: " fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...)	pr_level(LOGLEVEL_NOTICE, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)	pr_level(LOGLEVEL_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...)	pr_level(LOGLEVEL_DEBUG, fmt, ##__VA_ARGS__)

#endif /* MMLAB_PRINTK_H */
