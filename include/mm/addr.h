/* SPDX-License-Identifier: MIT */
/*
 * Typed addresses and page numbers.
 *
 * A physical address, a virtual address, a physical page number and a virtual
 * page number are all 64-bit integers underneath, and every one of them has
 * been passed where another was meant at some point in some kernel. Here each
 * is a distinct single-member struct, so such a mix-up does not compile:
 *
 *	paddr_t  physical address	ppn_t  physical page number
 *	vaddr_t  virtual address	vpn_t  virtual page number
 *
 * The structs are passed and returned in one register, so the types cost
 * nothing at run time. Build one from a raw number with PADDR(x), VADDR(x),
 * PPN(x), VPN(x) (also usable in static initialisers); read the number back
 * with pa_val(), va_val(), ppn_val(), vpn_val().
 *
 * Going from an address to a page number always names the rounding direction
 * (pa_to_ppn_floor, pa_to_ppn_ceil), because choosing the wrong one is how a
 * page that is only partly usable RAM ends up on a free list.
 *
 * Printing: printk checks its format, so use the FMT/ARG pairs below, which
 * give every log the same spelling ("0x80200000", page "0x80200"):
 *	printk("kernel at " PA_FMT "\n", PA_ARG(pa));
 */
#ifndef MM_ADDR_H
#define MM_ADDR_H

#include <mmlab/compiler.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(PAGE_SIZE - 1)	/* the offset bits within a page */

typedef struct { uint64_t val; } paddr_t;
typedef struct { uint64_t val; } vaddr_t;
typedef struct { uint64_t val; } ppn_t;
typedef struct { uint64_t val; } vpn_t;

#define PADDR(x)	((paddr_t){ .val = (x) })
#define VADDR(x)	((vaddr_t){ .val = (x) })
#define PPN(x)		((ppn_t){ .val = (x) })
#define VPN(x)		((vpn_t){ .val = (x) })

BUILD_BUG_ON(!IS_POWER_OF_2(PAGE_SIZE));
BUILD_BUG_ON(sizeof(paddr_t) != 8);
BUILD_BUG_ON(sizeof(vaddr_t) != 8);
BUILD_BUG_ON(sizeof(ppn_t) != 8);
BUILD_BUG_ON(sizeof(vpn_t) != 8);

/* ------------------------------------------------------------------------ */
/* Converters, generated once for the physical and once for the virtual pair */
/* ------------------------------------------------------------------------ */

/*
 * ADDR_OPS(a, addr_t, n, pn_t) defines, for addresses of type addr_t (prefix
 * a) and page numbers of type pn_t (prefix n):
 *
 *   a_val(x), n_val(p)       the raw number
 *   a_to_n_floor(x)          page holding x (rounds down)
 *   a_to_n_ceil(x)           first page starting at or above x (rounds up;
 *                            exact for every x, no overflow near 2^64)
 *   n_to_a(p)                address of the first byte of page p; p must be
 *                            below 2^52 or the high bits are lost
 *   a_page_offset(x)         x's offset within its page, 0..PAGE_SIZE-1
 *   a_is_page_aligned(x)     true when that offset is 0
 *   a_page_floor(x)          x rounded down to a page boundary
 *   a_page_ceil(x)           x rounded up to a page boundary (wraps to 0
 *                            for the last partial page of the space)
 *   a_add(x, bytes)          x + bytes (wraps like the unsigned sum)
 *   a_diff(hi, lo)           hi - lo in bytes; the caller ensures hi >= lo
 *   a_eq(x, y), a_lt(x, y)   comparisons
 *   n_add(p, pages), n_diff(hi, lo), n_eq(p, q), n_lt(p, q)
 *                            the same for page numbers, counted in pages
 */
#define ADDR_OPS(a, addr_t, n, pn_t)					\
static inline uint64_t a##_val(addr_t x) { return x.val; }		\
static inline uint64_t n##_val(pn_t p) { return p.val; }		\
static inline pn_t a##_to_##n##_floor(addr_t x)				\
{									\
	return (pn_t){ x.val >> PAGE_SHIFT };				\
}									\
static inline pn_t a##_to_##n##_ceil(addr_t x)				\
{									\
	return (pn_t){ (x.val >> PAGE_SHIFT) + ((x.val & PAGE_MASK) != 0) }; \
}									\
static inline addr_t n##_to_##a(pn_t p)					\
{									\
	return (addr_t){ p.val << PAGE_SHIFT };				\
}									\
static inline uint64_t a##_page_offset(addr_t x)			\
{									\
	return x.val & PAGE_MASK;					\
}									\
static inline bool a##_is_page_aligned(addr_t x)			\
{									\
	return (x.val & PAGE_MASK) == 0;				\
}									\
static inline addr_t a##_page_floor(addr_t x)				\
{									\
	return (addr_t){ x.val & ~PAGE_MASK };				\
}									\
static inline addr_t a##_page_ceil(addr_t x)				\
{									\
	return (addr_t){ (x.val + PAGE_MASK) & ~PAGE_MASK };		\
}									\
static inline addr_t a##_add(addr_t x, uint64_t bytes)			\
{									\
	return (addr_t){ x.val + bytes };				\
}									\
static inline uint64_t a##_diff(addr_t hi, addr_t lo)			\
{									\
	return hi.val - lo.val;						\
}									\
static inline bool a##_eq(addr_t x, addr_t y) { return x.val == y.val; } \
static inline bool a##_lt(addr_t x, addr_t y) { return x.val < y.val; } \
static inline pn_t n##_add(pn_t p, uint64_t pages)			\
{									\
	return (pn_t){ p.val + pages };					\
}									\
static inline uint64_t n##_diff(pn_t hi, pn_t lo)			\
{									\
	return hi.val - lo.val;						\
}									\
static inline bool n##_eq(pn_t p, pn_t q) { return p.val == q.val; }	\
static inline bool n##_lt(pn_t p, pn_t q) { return p.val < q.val; }

ADDR_OPS(pa, paddr_t, ppn, ppn_t)
ADDR_OPS(va, vaddr_t, vpn, vpn_t)

#undef ADDR_OPS

/* va_from_ptr - the virtual address of a pointer the code holds. */
static inline vaddr_t va_from_ptr(const void *p)
{
	return VADDR((uint64_t)(uintptr_t)p);
}

/* va_to_ptr - a pointer to virtual address @x (mapped or not: caller's business). */
static inline void *va_to_ptr(vaddr_t x)
{
	return (void *)(uintptr_t)x.val;
}

/* ------------------------------------------------------------------------ */
/* Printing                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Addresses print as 0x plus at least 8 hex digits (0x80200000, 0x00001000),
 * page numbers as plain 0x-hex (0x80200). The ARG macros go through the
 * typed accessors, so PA_ARG(a virtual address) does not compile.
 */
#define PA_FMT		"0x%08lx"
#define PA_ARG(x)	((unsigned long)pa_val(x))
#define VA_FMT		"0x%08lx"
#define VA_ARG(x)	((unsigned long)va_val(x))
#define PPN_FMT		"0x%lx"
#define PPN_ARG(p)	((unsigned long)ppn_val(p))
#define VPN_FMT		"0x%lx"
#define VPN_ARG(p)	((unsigned long)vpn_val(p))

#endif /* MM_ADDR_H */
