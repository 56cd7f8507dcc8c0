// SPDX-License-Identifier: MIT
/*
 * The first problem of a validate() pass, described (<lib/audit.h>).
 */
#include <lib/audit.h>
#include <lib/vsprintf.h>

unsigned audit_note(struct audit *a, unsigned long n, const char *fmt, ...)
{
	va_list ap;

	if (n && a && !a->noted && a->first && a->len) {
		va_start(ap, fmt);
		vsnprintf(a->first, a->len, fmt, ap);
		va_end(ap);
		a->noted = true;
	}
	return (unsigned)n;
}

const char *audit_first(const struct audit *a)
{
	return a && a->noted ? a->first : "";
}
