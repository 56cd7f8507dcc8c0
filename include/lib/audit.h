/* SPDX-License-Identifier: MIT */
/*
 * What a validate() pass found. The validator counts its problems itself;
 * an audit keeps a description of the first one, so that a panic, a log
 * line or a test can say what is wrong, not only how much:
 *
 *	problems += audit_note(a, s->top > s->count, "top %u past the %u slots",
 *			       s->top, s->count);
 *
 * An audit may be NULL (only count).
 */
#ifndef LIB_AUDIT_H
#define LIB_AUDIT_H

#include <mmlab/compiler.h>

struct audit {
	char *first;		/* the first problem is described here */
	size_t len;		/* bytes at @first */
	bool noted;		/* a problem has been described */
};

/* AUDIT_INIT - an audit that describes the first problem into the array @buf. */
#define AUDIT_INIT(buf)	{ .first = (buf), .len = sizeof(buf), .noted = false }

/*
 * audit_note - @n problems were found; when @a is not NULL and holds no
 * description yet, describe them with @fmt and its arguments (the count is
 * not added: say "3 frames ..." in @fmt when it matters).
 * Return: @n, for "problems += audit_note(...)".
 */
unsigned audit_note(struct audit *a, unsigned long n, const char *fmt, ...) __printf(3, 4);

/* audit_first - Return: the first problem's description, or "" when none. */
const char *audit_first(const struct audit *a);

#endif /* LIB_AUDIT_H */
