// SPDX-License-Identifier: MIT
/*
 * printk: the format engine of lib/vsprintf.c streaming straight into the
 * SBI console, with "\n" turned into "\r\n" for terminals.
 */
#include <asm/sbi.h>
#include <lib/vsprintf.h>
#include <mmlab/printk.h>

void console_putc(char c)
{
	if (c == '\n')
		sbi_console_putchar('\r');
	sbi_console_putchar(c);
}

static void printk_sink(void *arg, char c)
{
	(void)arg;
	console_putc(c);
}

/* printk() with a va_list; returns the characters printed. */
int vprintk(const char *fmt, va_list ap)
{
	return vformat(printk_sink, NULL, fmt, ap);
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
