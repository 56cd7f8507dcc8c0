/* SPDX-License-Identifier: MIT */
/*
 * Half-open ranges [start, end) of the typed addresses and page numbers of
 * <mm/addr.h>: struct pa_range, struct va_range, struct ppn_range and
 * struct vpn_range. A range whose end is at or below its start is empty;
 * every operation accepts such a range, and the ones that build ranges only
 * ever return well-formed ones (end >= start).
 *
 * Turning an address range into a page range names the direction, because the
 * two uses need opposite rounding:
 *   pa_range_to_ppn_inward   pages lying wholly inside the range: usable RAM
 *                            (a partial page at either end is not usable);
 *   pa_range_to_ppn_outward  pages touching the range at all: reservations
 *                            (a partial page at either end must stay out).
 *
 * Walk the pages of a page range with page_range_for_each(pn, r).
 */
#ifndef MM_RANGE_H
#define MM_RANGE_H

#include <mm/addr.h>

struct pa_range { paddr_t start, end; };
struct va_range { vaddr_t start, end; };
struct ppn_range { ppn_t start, end; };
struct vpn_range { vpn_t start, end; };

/* ------------------------------------------------------------------------ */
/* Operations common to the four kinds                                      */
/* ------------------------------------------------------------------------ */

/*
 * RANGE_OPS(p, elem_t) defines, for struct p_range of elem_t (lengths in
 * bytes for address ranges, in pages for page ranges):
 *
 *   p_range_make(start, end)      the range [start, end)
 *   p_range_sized(start, len)     the range [start, start + len)
 *   p_range_len(r)                end - start, 0 when empty
 *   p_range_is_empty(r)           no element in r
 *   p_range_contains(r, x)        x in r
 *   p_range_covers(r, inner)      every element of inner is in r (true
 *                                 for an empty inner)
 *   p_range_overlaps(a, b)        some element is in both
 *   p_range_intersect(a, b)       the elements in both; empty ranges come
 *                                 back as [s, s) with s the larger start
 */
#define RANGE_OPS(p, elem_t)						\
static inline struct p##_range p##_range_make(elem_t start, elem_t end)\
{									\
	return (struct p##_range){ start, end };			\
}									\
static inline struct p##_range p##_range_sized(elem_t start, uint64_t len) \
{									\
	return (struct p##_range){ start, { start.val + len } };	\
}									\
static inline uint64_t p##_range_len(struct p##_range r)		\
{									\
	return r.end.val > r.start.val ? r.end.val - r.start.val : 0;	\
}									\
static inline bool p##_range_is_empty(struct p##_range r)		\
{									\
	return r.end.val <= r.start.val;				\
}									\
static inline bool p##_range_contains(struct p##_range r, elem_t x)	\
{									\
	return x.val >= r.start.val && x.val < r.end.val;		\
}									\
static inline bool p##_range_covers(struct p##_range r, struct p##_range inner) \
{									\
	return p##_range_is_empty(inner) ||				\
	       (inner.start.val >= r.start.val && inner.end.val <= r.end.val); \
}									\
static inline bool p##_range_overlaps(struct p##_range a, struct p##_range b) \
{									\
	return MAX(a.start.val, b.start.val) < MIN(a.end.val, b.end.val); \
}									\
static inline struct p##_range p##_range_intersect(struct p##_range a,	\
						     struct p##_range b)\
{									\
	uint64_t s = MAX(a.start.val, b.start.val);			\
	uint64_t e = MIN(a.end.val, b.end.val);				\
									\
	return (struct p##_range){ { s }, { e > s ? e : s } };		\
}

RANGE_OPS(pa, paddr_t)
RANGE_OPS(va, vaddr_t)
RANGE_OPS(ppn, ppn_t)
RANGE_OPS(vpn, vpn_t)

#undef RANGE_OPS

/* ------------------------------------------------------------------------ */
/* Page ranges: indexing and iteration                                      */
/* ------------------------------------------------------------------------ */

/*
 * PAGE_RANGE_OPS(n, pn_t) defines, for struct n_range:
 *   n_range_nth(r, i)     the i-th page of r (i < n_range_len(r): caller's duty)
 *   n_range_index(r, p)   the position of page p in r (p in r: caller's duty)
 */
#define PAGE_RANGE_OPS(n, pn_t)						\
static inline pn_t n##_range_nth(struct n##_range r, uint64_t i)	\
{									\
	return (pn_t){ r.start.val + i };				\
}									\
static inline uint64_t n##_range_index(struct n##_range r, pn_t p)	\
{									\
	return p.val - r.start.val;					\
}

PAGE_RANGE_OPS(ppn, ppn_t)
PAGE_RANGE_OPS(vpn, vpn_t)

#undef PAGE_RANGE_OPS

/*
 * page_range_for_each(pn, r) - run the loop body once for every page of the
 * ppn or vpn range @r, in ascending order, with @pn (a ppn_t or vpn_t) set
 * to it. @r is evaluated on every step. Address ranges are refused at
 * compile time: stepping one byte at a time is never what was meant.
 */
#define page_range_for_each(pn, r)					\
	for ((pn) = _Generic((r), struct ppn_range: (r).start,		\
				  struct vpn_range: (r).start);		\
	     (pn).val < (r).end.val; (pn).val++)

/* ------------------------------------------------------------------------ */
/* Conversions between address ranges and page ranges                       */
/* ------------------------------------------------------------------------ */

/*
 * RANGE_CONVERT_OPS(a, n) defines:
 *   a_range_to_n_inward(r)   pages wholly inside r (start up, end down);
 *                            empty when r holds no whole page
 *   a_range_to_n_outward(r)  pages touching r (start down, end up); empty
 *                            when r is empty
 *   n_range_to_a(r)          the bytes of the pages of r
 */
#define RANGE_CONVERT_OPS(a, n)						\
static inline struct n##_range a##_range_to_##n##_inward(struct a##_range r) \
{									\
	struct n##_range pr = { a##_to_##n##_ceil(r.start),		\
				a##_to_##n##_floor(r.end) };		\
									\
	if (a##_range_is_empty(r) || pr.end.val < pr.start.val)		\
		pr.end = pr.start;					\
	return pr;							\
}									\
static inline struct n##_range a##_range_to_##n##_outward(struct a##_range r) \
{									\
	struct n##_range pr = { a##_to_##n##_floor(r.start),		\
				a##_to_##n##_ceil(r.end) };		\
									\
	if (a##_range_is_empty(r))					\
		pr.end = pr.start;					\
	return pr;							\
}									\
static inline struct a##_range n##_range_to_##a(struct n##_range r)	\
{									\
	return (struct a##_range){ n##_to_##a(r.start), n##_to_##a(r.end) }; \
}

RANGE_CONVERT_OPS(pa, ppn)
RANGE_CONVERT_OPS(va, vpn)

#undef RANGE_CONVERT_OPS

/* Printing: printk("ram " PA_RANGE_FMT "\n", PA_RANGE_ARG(r)) -> "ram [0x80000000, 0x88000000)". */
#define PA_RANGE_FMT		"[" PA_FMT ", " PA_FMT ")"
#define PA_RANGE_ARG(r)		PA_ARG((r).start), PA_ARG((r).end)
#define VA_RANGE_FMT		"[" VA_FMT ", " VA_FMT ")"
#define VA_RANGE_ARG(r)		VA_ARG((r).start), VA_ARG((r).end)
#define PPN_RANGE_FMT		"[" PPN_FMT ", " PPN_FMT ")"
#define PPN_RANGE_ARG(r)	PPN_ARG((r).start), PPN_ARG((r).end)
#define VPN_RANGE_FMT		"[" VPN_FMT ", " VPN_FMT ")"
#define VPN_RANGE_ARG(r)	VPN_ARG((r).start), VPN_ARG((r).end)

#endif /* MM_RANGE_H */
