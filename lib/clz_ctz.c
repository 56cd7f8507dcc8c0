// SPDX-License-Identifier: MIT
/*
 * Bit-count helpers the compiler calls for __builtin_ctzl/clzl/popcountl
 * when the CPU lacks Zbb (CONFIG_RISCV_ISA_ZBB=n). Debian's libgcc is built
 * for the hard-float ABI and cannot be linked into this soft-float kernel,
 * so the kernel carries its own, as Linux does. With Zbb the compiler emits
 * single instructions and these are never called.
 *
 * Written as branchy binary searches on purpose: a simple loop could be
 * recognised by the compiler as a ctz idiom and turned back into a call to
 * the very function being defined.
 */
#include <mmlab/compiler.h>

int __ctzdi2(unsigned long x);
int __ctzsi2(unsigned int x);
int __clzdi2(unsigned long x);
int __clzsi2(unsigned int x);
int __popcountdi2(unsigned long x);

/* Trailing zeros of a non-zero 64-bit value. */
int __ctzdi2(unsigned long x)
{
	int n = 0;

	if (!(x & 0xffffffffUL)) { n += 32; x >>= 32; }
	if (!(x & 0xffffUL))     { n += 16; x >>= 16; }
	if (!(x & 0xffUL))       { n += 8;  x >>= 8; }
	if (!(x & 0xfUL))        { n += 4;  x >>= 4; }
	if (!(x & 0x3UL))        { n += 2;  x >>= 2; }
	if (!(x & 0x1UL))        { n += 1; }
	return n;
}

/* Trailing zeros of a non-zero 32-bit value. */
int __ctzsi2(unsigned int x)
{
	return __ctzdi2(x);
}

/* Leading zeros of a non-zero 64-bit value. */
int __clzdi2(unsigned long x)
{
	int n = 0;

	if (!(x >> 32)) { n += 32; x <<= 32; }
	if (!(x >> 48)) { n += 16; x <<= 16; }
	if (!(x >> 56)) { n += 8;  x <<= 8; }
	if (!(x >> 60)) { n += 4;  x <<= 4; }
	if (!(x >> 62)) { n += 2;  x <<= 2; }
	if (!(x >> 63)) { n += 1; }
	return n;
}

/* Leading zeros of a non-zero 32-bit value. */
int __clzsi2(unsigned int x)
{
	return __clzdi2(x) - 32;
}

/* Set bits, by adding neighbouring fields of growing width. */
int __popcountdi2(unsigned long x)
{
	x = x - ((x >> 1) & 0x5555555555555555UL);
	x = (x & 0x3333333333333333UL) + ((x >> 2) & 0x3333333333333333UL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fUL;
	return (int)((x * 0x0101010101010101UL) >> 56);
}
