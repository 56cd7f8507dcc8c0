// SPDX-License-Identifier: MIT
/*
 * printf format engine (see include/lib/vsprintf.h for what it accepts).
 *
 * Design: one pass over the format. Each conversion is first parsed into a
 * struct fmt_spec (flags, width, precision, length, conversion), then its
 * argument is fetched according to the length modifier and handed to an
 * emitter: integers and pointers to number_emit(), strings and characters to
 * text_emit(). Emitters write through struct fmt_out, which forwards every
 * character to the caller's sink and counts it, so the count is the C99
 * return value whatever the sink does with the characters. vsnprintf() is a
 * sink that stores while room is left and drops the rest.
 *
 * Integers are converted to digits in a small stack buffer (at most 20
 * digits for 64 bits) and then laid out as
 *   [spaces] [sign or 0x] [zeros] digits [spaces]
 * where the zeros come from the precision, or from the '0' flag when no
 * precision is given, as C99 says. Nothing here allocates or calls libc.
 */
#include <stdint.h>
#include <lib/vsprintf.h>

/* ------------------------------------------------------------------------
 * Conversion specification
 * ------------------------------------------------------------------------ */

enum fmt_flag {
	FMT_LEFT  = 1 << 0,	/* '-': pad on the right */
	FMT_ZERO  = 1 << 1,	/* '0': pad numbers with zeros */
	FMT_PLUS  = 1 << 2,	/* '+': always print a sign */
	FMT_SPACE = 1 << 3,	/* ' ': space where a '+' would go */
	FMT_ALT   = 1 << 4,	/* '#': 0x prefix on non-zero hex */
};

enum fmt_length {
	LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG,
	LEN_SIZE, LEN_PTRDIFF, LEN_INTMAX,
};

struct fmt_spec {
	unsigned flags;
	int width;		/* minimum field width, 0 for none */
	int precision;		/* -1 when not given */
	enum fmt_length length;
	char conv;		/* conversion character, 0 at end of format */
};

/* Widths and precisions are clamped here so parsing them cannot overflow. */
#define FMT_NUM_MAX	(1 << 20)

/* Largest number of digits a 64-bit value needs (decimal). */
#define FMT_DIGITS_MAX	20

BUILD_BUG_ON(sizeof(unsigned long long) != 8);
BUILD_BUG_ON(sizeof(intmax_t) != 8);

/* ------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------ */

struct fmt_out {
	fmt_sink sink;
	void *arg;
	size_t count;		/* characters produced so far */
};

static inline void out_char(struct fmt_out *out, char c)
{
	out->sink(out->arg, c);
	out->count++;
}

static void out_repeat(struct fmt_out *out, char c, int n)
{
	while (n-- > 0)
		out_char(out, c);
}

/* ------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------ */

static inline bool char_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads a decimal number at *@p, advancing past it; clamped to FMT_NUM_MAX. */
static int number_parse(const char **p)
{
	int n = 0;

	while (char_is_digit(**p)) {
		if (n < FMT_NUM_MAX)
			n = n * 10 + (**p - '0');
		(*p)++;
	}
	return MIN(n, FMT_NUM_MAX);
}

static unsigned flag_of(char c)
{
	switch (c) {
	case '-': return FMT_LEFT;
	case '0': return FMT_ZERO;
	case '+': return FMT_PLUS;
	case ' ': return FMT_SPACE;
	case '#': return FMT_ALT;
	default:  return 0;
	}
}

static enum fmt_length length_parse(const char **p)
{
	switch (**p) {
	case 'h':
		(*p)++;
		if (**p == 'h') {
			(*p)++;
			return LEN_CHAR;
		}
		return LEN_SHORT;
	case 'l':
		(*p)++;
		if (**p == 'l') {
			(*p)++;
			return LEN_LLONG;
		}
		return LEN_LONG;
	case 'z':
		(*p)++;
		return LEN_SIZE;
	case 't':
		(*p)++;
		return LEN_PTRDIFF;
	case 'j':
		(*p)++;
		return LEN_INTMAX;
	default:
		return LEN_INT;
	}
}

/*
 * Parses the specification after a '%' at *@p (fetching '*' widths from
 * @ap) and leaves *@p after the conversion character, or on the terminating
 * NUL if the format ends early (then spec->conv is 0).
 */
static void spec_parse(struct fmt_spec *spec, const char **p, va_list *ap)
{
	unsigned f;

	spec->flags = 0;
	spec->width = 0;
	spec->precision = -1;
	while ((f = flag_of(**p)) != 0) {
		spec->flags |= f;
		(*p)++;
	}
	if (**p == '*') {
		int w = va_arg(*ap, int);

		(*p)++;
		if (w < 0) {
			spec->flags |= FMT_LEFT;
			w = w < -FMT_NUM_MAX ? FMT_NUM_MAX : -w;
		}
		spec->width = MIN(w, FMT_NUM_MAX);
	} else {
		spec->width = number_parse(p);
	}
	if (**p == '.') {
		(*p)++;
		if (**p == '*') {
			int prec = va_arg(*ap, int);

			(*p)++;
			spec->precision = prec < 0 ? -1 : MIN(prec, FMT_NUM_MAX);
		} else {
			spec->precision = number_parse(p);
		}
	}
	spec->length = length_parse(p);
	spec->conv = **p;
	if (spec->conv)
		(*p)++;
}

/* ------------------------------------------------------------------------
 * Argument fetching
 * ------------------------------------------------------------------------ */

/* Fetches a signed integer argument of the size @length names. */
static intmax_t arg_signed(enum fmt_length length, va_list *ap)
{
	switch (length) {
	case LEN_CHAR:    return (signed char)va_arg(*ap, int);
	case LEN_SHORT:   return (short)va_arg(*ap, int);
	case LEN_LONG:    return va_arg(*ap, long);
	case LEN_LLONG:   return va_arg(*ap, long long);
	case LEN_SIZE:    return (ptrdiff_t)va_arg(*ap, size_t);
	case LEN_PTRDIFF: return va_arg(*ap, ptrdiff_t);
	case LEN_INTMAX:  return va_arg(*ap, intmax_t);
	default:          return va_arg(*ap, int);
	}
}

/* Fetches an unsigned integer argument of the size @length names. */
static uintmax_t arg_unsigned(enum fmt_length length, va_list *ap)
{
	switch (length) {
	case LEN_CHAR:    return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT:   return (unsigned short)va_arg(*ap, unsigned);
	case LEN_LONG:    return va_arg(*ap, unsigned long);
	case LEN_LLONG:   return va_arg(*ap, unsigned long long);
	case LEN_SIZE:    return va_arg(*ap, size_t);
	case LEN_PTRDIFF: return (uintmax_t)va_arg(*ap, ptrdiff_t);
	case LEN_INTMAX:  return va_arg(*ap, uintmax_t);
	default:          return va_arg(*ap, unsigned);
	}
}

/* ------------------------------------------------------------------------
 * Emitters
 * ------------------------------------------------------------------------ */

/*
 * Emits the magnitude @mag (negated in print when @negative) as the integer
 * conversion @spec describes: 'd'/'i' signed decimal, 'u' unsigned decimal,
 * 'x'/'X' hex, 'p' hex with a forced 0x prefix.
 */
static void number_emit(struct fmt_out *out, const struct fmt_spec *spec,
			uintmax_t mag, bool negative)
{
	const char *set = spec->conv == 'X' ? "0123456789ABCDEF"
					    : "0123456789abcdef";
	bool hex = spec->conv == 'x' || spec->conv == 'X' || spec->conv == 'p';
	bool is_signed = spec->conv == 'd' || spec->conv == 'i';
	unsigned base = hex ? 16 : 10;
	char digits[FMT_DIGITS_MAX];
	char prefix[2];
	int ndigits = 0, nprefix = 0, zeros, pad;
	int precision = spec->precision < 0 ? 1 : spec->precision;

	if ((hex && spec->flags & FMT_ALT && mag != 0) || spec->conv == 'p') {
		prefix[nprefix++] = '0';
		prefix[nprefix++] = spec->conv == 'X' ? 'X' : 'x';
	} else if (negative) {
		prefix[nprefix++] = '-';
	} else if (is_signed && spec->flags & FMT_PLUS) {
		prefix[nprefix++] = '+';
	} else if (is_signed && spec->flags & FMT_SPACE) {
		prefix[nprefix++] = ' ';
	}
	while (mag != 0) {
		digits[ndigits++] = set[mag % base];
		mag /= base;
	}
	zeros = precision > ndigits ? precision - ndigits : 0;
	pad = spec->width - (nprefix + zeros + ndigits);
	if (pad > 0 && !(spec->flags & FMT_LEFT) && spec->flags & FMT_ZERO &&
	    spec->precision < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!(spec->flags & FMT_LEFT))
		out_repeat(out, ' ', pad);
	for (int i = 0; i < nprefix; i++)
		out_char(out, prefix[i]);
	out_repeat(out, '0', zeros);
	while (ndigits > 0)
		out_char(out, digits[--ndigits]);
	if (spec->flags & FMT_LEFT)
		out_repeat(out, ' ', pad);
}

/*
 * Emits at most @max characters of @s (stopping at its NUL; never reading
 * past @max), padded to the field width.
 */
static void text_emit(struct fmt_out *out, const struct fmt_spec *spec,
		      const char *s, int max)
{
	int len = 0, pad;

	while (len < max && s[len] != '\0')
		len++;
	pad = spec->width - len;
	if (!(spec->flags & FMT_LEFT))
		out_repeat(out, ' ', pad);
	for (int i = 0; i < len; i++)
		out_char(out, s[i]);
	if (spec->flags & FMT_LEFT)
		out_repeat(out, ' ', pad);
}

/* Fetches the argument of the conversion @spec and emits it. */
static void conversion_emit(struct fmt_out *out, const struct fmt_spec *spec,
			    va_list *ap)
{
	switch (spec->conv) {
	case 'd':
	case 'i': {
		intmax_t v = arg_signed(spec->length, ap);
		uintmax_t mag = v < 0 ? 0 - (uintmax_t)v : (uintmax_t)v;

		number_emit(out, spec, mag, v < 0);
		break;
	}
	case 'u':
	case 'x':
	case 'X':
		number_emit(out, spec, arg_unsigned(spec->length, ap), false);
		break;
	case 'p':
		number_emit(out, spec, (uintptr_t)va_arg(*ap, void *), false);
		break;
	case 's': {
		const char *s = va_arg(*ap, const char *);

		text_emit(out, spec, s ? s : "(null)",
			  spec->precision < 0 ? INT32_MAX : spec->precision);
		break;
	}
	case 'c': {
		char c = (char)va_arg(*ap, int);

		text_emit(out, spec, &c, 1);
		break;
	}
	case '%':
		out_char(out, '%');
		break;
	case '\0':
		/* A lone '%' at the end of the format: print it. */
		out_char(out, '%');
		break;
	default:
		out_char(out, '%');
		out_char(out, spec->conv);
		break;
	}
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

int vformat(fmt_sink sink, void *arg, const char *fmt, va_list ap)
{
	struct fmt_out out = { .sink = sink, .arg = arg, .count = 0 };
	struct fmt_spec spec;
	va_list args;

	/* A copy, so that helpers can take its address on every ABI. */
	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&out, *fmt++);
			continue;
		}
		fmt++;
		spec_parse(&spec, &fmt, &args);
		conversion_emit(&out, &spec, &args);
	}
	va_end(args);
	return out.count > INT32_MAX ? INT32_MAX : (int)out.count;
}

struct buf_sink {
	char *buf;
	size_t size;		/* capacity including the NUL */
	size_t len;		/* characters stored */
};

static void buf_sink_put(void *arg, char c)
{
	struct buf_sink *b = arg;

	if (b->len + 1 < b->size)
		b->buf[b->len++] = c;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_sink b = { .buf = buf, .size = size, .len = 0 };
	int n = vformat(buf_sink_put, &b, fmt, ap);

	if (size > 0)
		buf[b.len] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
