/* SPDX-License-Identifier: MIT */
/*
 * The printf format engine shared by printk, panic and anything that needs a
 * string built: vformat() streams characters into a caller's sink (so printk
 * needs no fixed buffer) and vsnprintf()/snprintf() sit on top of it.
 *
 * Supported: %d %i %u %x %X %p %s %c %%; length modifiers hh h l ll z t j;
 * flags '-' '0' '+' ' ' '#'; field width and precision as numbers or '*'.
 * These are the C99 meanings, so the compiler's format checking (__printf)
 * applies to every caller unchanged. Choices where C leaves room:
 *   %p   prints "0x" and the address in lower-case hex ("0x0" for NULL);
 *   %s   of NULL prints "(null)", cut by the precision like any string;
 *   an unknown conversion prints itself ("%q" comes out as "%q").
 *
 * Host builds (MMLAB_HOST, set by tests/host/Makefile) link the C library,
 * whose snprintf family the host test harness itself uses. There the engine's
 * entry points are renamed kvsnprintf/ksnprintf by the macros below, so the
 * same sources compile unchanged and both implementations coexist (the tests
 * compare them). <stdio.h> is included first so that its declarations keep
 * their real names whatever the include order of the file using this header.
 */
#ifndef LIB_VSPRINTF_H
#define LIB_VSPRINTF_H

#include <stdarg.h>
#include <stddef.h>
#include <mmlab/compiler.h>

#ifdef MMLAB_HOST
#include <stdio.h>
#define vsnprintf	kvsnprintf
#define snprintf	ksnprintf
#endif

/* Receives the formatted output one character at a time. */
typedef void (*fmt_sink)(void *arg, char c);

/*
 * vformat - format @fmt with @ap, handing each character to @sink(@arg, c).
 * Return: the number of characters produced (no terminating NUL is sent).
 * Never fails; a malformed or unknown conversion is printed as text.
 */
int vformat(fmt_sink sink, void *arg, const char *fmt, va_list ap);

/*
 * vsnprintf - format into @buf, writing at most @size bytes including the
 * terminating NUL; @buf is always terminated when @size > 0 and may be NULL
 * when @size is 0.
 * Return: the length the full output has (as C99), so a result >= @size
 * means the output was truncated.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* snprintf - vsnprintf() with the arguments inline; same return value. */
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif /* LIB_VSPRINTF_H */
