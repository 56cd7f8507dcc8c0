// SPDX-License-Identifier: MIT
/*
 * Host tests of the typed addresses (include/mm/addr.h) and ranges
 * (include/mm/range.h): converters and their rounding, range arithmetic and
 * its edge cases, iteration and the printing macros.
 */
#include <stdio.h>
#include <mm/range.h>
#include "host_test.h"

/* ------------------------------------------------------------------------ */
/* Converters                                                               */
/* ------------------------------------------------------------------------ */

HOST_TEST(page_constants)
{
	CHECK_EQ(PAGE_SIZE, 4096);
	CHECK_EQ(PAGE_MASK, 0xfff);
	CHECK_EQ(sizeof(paddr_t), 8);
	CHECK_EQ(sizeof(ppn_t), 8);
}

/* The four kinds are distinct types: passing one for another cannot compile. */
HOST_TEST(types_are_distinct)
{
	CHECK(!__builtin_types_compatible_p(paddr_t, vaddr_t));
	CHECK(!__builtin_types_compatible_p(paddr_t, ppn_t));
	CHECK(!__builtin_types_compatible_p(ppn_t, vpn_t));
	CHECK(!__builtin_types_compatible_p(vaddr_t, vpn_t));
	CHECK(!__builtin_types_compatible_p(paddr_t, uint64_t));
}

HOST_TEST(pa_to_ppn_rounds_as_named)
{
	CHECK_EQ(ppn_val(pa_to_ppn_floor(PADDR(0x80200000))), 0x80200);
	CHECK_EQ(ppn_val(pa_to_ppn_ceil(PADDR(0x80200000))), 0x80200);
	CHECK_EQ(ppn_val(pa_to_ppn_floor(PADDR(0x80200001))), 0x80200);
	CHECK_EQ(ppn_val(pa_to_ppn_ceil(PADDR(0x80200001))), 0x80201);
	CHECK_EQ(ppn_val(pa_to_ppn_floor(PADDR(0x80200fff))), 0x80200);
	CHECK_EQ(ppn_val(pa_to_ppn_ceil(PADDR(0x80200fff))), 0x80201);
	CHECK_EQ(ppn_val(pa_to_ppn_ceil(PADDR(0))), 0);
	/* No overflow at the top of the address space. */
	CHECK_EQ(ppn_val(pa_to_ppn_ceil(PADDR(~0ULL))), 1ULL << 52);
	CHECK_EQ(ppn_val(pa_to_ppn_floor(PADDR(~0ULL))), (1ULL << 52) - 1);
}

HOST_TEST(ppn_to_pa_and_offsets)
{
	paddr_t pa = PADDR(0x87e00123);

	CHECK_EQ(pa_val(ppn_to_pa(PPN(0x80200))), 0x80200000);
	CHECK_EQ(pa_page_offset(pa), 0x123);
	CHECK(!pa_is_page_aligned(pa));
	CHECK(pa_is_page_aligned(PADDR(0x87e00000)));
	CHECK_EQ(pa_val(pa_page_floor(pa)), 0x87e00000);
	CHECK_EQ(pa_val(pa_page_ceil(pa)), 0x87e01000);
	CHECK_EQ(pa_val(pa_page_ceil(PADDR(0x87e00000))), 0x87e00000);
	CHECK_EQ(pa_val(pa_add(pa, 0xedd)), 0x87e01000);
	CHECK_EQ(pa_diff(PADDR(0x88000000), PADDR(0x80000000)), 128 * MiB);
	CHECK_EQ(ppn_val(ppn_add(PPN(7), 5)), 12);
	CHECK_EQ(ppn_diff(PPN(12), PPN(7)), 5);
	CHECK(pa_eq(pa, PADDR(0x87e00123)));
	CHECK(!pa_eq(pa, PADDR(0x87e00124)));
	CHECK(pa_lt(PADDR(1), PADDR(2)));
	CHECK(!pa_lt(PADDR(2), PADDR(2)));
	CHECK(ppn_lt(PPN(1), PPN(2)));
}

HOST_TEST(virtual_converters)
{
	int x;
	vaddr_t va = va_from_ptr(&x);

	CHECK(va_to_ptr(va) == (void *)&x);
	CHECK_EQ(vpn_val(va_to_vpn_floor(VADDR(0xffffffc000201000))), 0xffffffc000201);
	CHECK_EQ(vpn_val(va_to_vpn_ceil(VADDR(0xffffffc000201001))), 0xffffffc000202);
	CHECK_EQ(va_val(vpn_to_va(VPN(0x10))), 0x10000);
	CHECK_EQ(va_page_offset(VADDR(0x1234)), 0x234);
	CHECK(va_is_page_aligned(VADDR(0x3000)));
	CHECK_EQ(va_diff(va_add(VADDR(0x1000), 0x10), VADDR(0x1000)), 0x10);
	CHECK(vpn_eq(vpn_add(VPN(1), 1), VPN(2)));
}

/* ------------------------------------------------------------------------ */
/* Ranges                                                                   */
/* ------------------------------------------------------------------------ */

HOST_TEST(range_basics)
{
	struct pa_range r = pa_range_make(PADDR(0x1000), PADDR(0x3000));
	struct ppn_range p = ppn_range_sized(PPN(10), 5);

	CHECK_EQ(pa_range_len(r), 0x2000);
	CHECK(!pa_range_is_empty(r));
	CHECK(pa_range_contains(r, PADDR(0x1000)));
	CHECK(pa_range_contains(r, PADDR(0x2fff)));
	CHECK(!pa_range_contains(r, PADDR(0x3000)));
	CHECK(!pa_range_contains(r, PADDR(0xfff)));
	CHECK_EQ(ppn_range_len(p), 5);
	CHECK_EQ(ppn_val(ppn_range_nth(p, 0)), 10);
	CHECK_EQ(ppn_val(ppn_range_nth(p, 4)), 14);
	CHECK_EQ(ppn_range_index(p, PPN(13)), 3);
	/* Inverted ranges are empty. */
	CHECK(pa_range_is_empty(pa_range_make(PADDR(5), PADDR(4))));
	CHECK_EQ(pa_range_len(pa_range_make(PADDR(5), PADDR(4))), 0);
	CHECK(!pa_range_contains(pa_range_make(PADDR(5), PADDR(4)), PADDR(5)));
}

HOST_TEST(range_overlap_and_intersection_edges)
{
	struct ppn_range a = ppn_range_make(PPN(10), PPN(20));
	struct ppn_range touching = ppn_range_make(PPN(20), PPN(30));
	struct ppn_range inside = ppn_range_make(PPN(12), PPN(15));
	struct ppn_range across = ppn_range_make(PPN(15), PPN(25));
	struct ppn_range empty = ppn_range_make(PPN(12), PPN(12));
	struct ppn_range far = ppn_range_make(PPN(40), PPN(50));
	struct ppn_range i;

	CHECK(!ppn_range_overlaps(a, touching));
	CHECK(!ppn_range_overlaps(touching, a));
	i = ppn_range_intersect(a, touching);
	CHECK(ppn_range_is_empty(i));
	CHECK_EQ(ppn_val(i.start), 20);
	CHECK_EQ(ppn_val(i.end), 20);

	CHECK(ppn_range_overlaps(a, inside));
	i = ppn_range_intersect(a, inside);
	CHECK_EQ(ppn_val(i.start), 12);
	CHECK_EQ(ppn_val(i.end), 15);
	CHECK(ppn_range_covers(a, inside));
	CHECK(!ppn_range_covers(inside, a));

	i = ppn_range_intersect(across, a);
	CHECK_EQ(ppn_val(i.start), 15);
	CHECK_EQ(ppn_val(i.end), 20);
	CHECK(!ppn_range_covers(a, across));

	CHECK(!ppn_range_overlaps(a, empty));
	CHECK(ppn_range_is_empty(ppn_range_intersect(a, empty)));
	CHECK(ppn_range_covers(a, empty));
	CHECK(ppn_range_covers(far, empty));

	i = ppn_range_intersect(a, far);
	CHECK(ppn_range_is_empty(i));
	CHECK(ppn_val(i.end) >= ppn_val(i.start));
	CHECK(ppn_range_overlaps(a, a));
	i = ppn_range_intersect(a, a);
	CHECK_EQ(ppn_range_len(i), 10);
}

HOST_TEST(range_inward_and_outward)
{
	struct pa_range ram = pa_range_make(PADDR(0x80000800), PADDR(0x88000400));
	struct pa_range tiny = pa_range_make(PADDR(0x80000010), PADDR(0x80000ff0));
	struct pa_range exact = pa_range_make(PADDR(0x80000000), PADDR(0x80002000));
	struct ppn_range p;

	p = pa_range_to_ppn_inward(ram);
	CHECK_EQ(ppn_val(p.start), 0x80001);
	CHECK_EQ(ppn_val(p.end), 0x88000);
	p = pa_range_to_ppn_outward(ram);
	CHECK_EQ(ppn_val(p.start), 0x80000);
	CHECK_EQ(ppn_val(p.end), 0x88001);

	/* Less than a page inside one page: no usable page, one reserved. */
	p = pa_range_to_ppn_inward(tiny);
	CHECK(ppn_range_is_empty(p));
	p = pa_range_to_ppn_outward(tiny);
	CHECK_EQ(ppn_range_len(p), 1);
	CHECK_EQ(ppn_val(p.start), 0x80000);

	/* Straddling a boundary with less than a page: inward is empty, not inverted. */
	p = pa_range_to_ppn_inward(pa_range_make(PADDR(0x80000800), PADDR(0x80001800)));
	CHECK(ppn_range_is_empty(p));
	CHECK(ppn_val(p.end) >= ppn_val(p.start));

	p = pa_range_to_ppn_inward(exact);
	CHECK_EQ(ppn_range_len(p), 2);
	CHECK_EQ(pa_val(ppn_range_to_pa(p).start), 0x80000000);
	CHECK_EQ(pa_val(ppn_range_to_pa(p).end), 0x80002000);
	CHECK_EQ(ppn_range_len(pa_range_to_ppn_outward(exact)), 2);

	/* An empty address range reserves nothing. */
	CHECK(ppn_range_is_empty(pa_range_to_ppn_outward(
		pa_range_make(PADDR(0x80000010), PADDR(0x80000010)))));
	CHECK_EQ(vpn_range_len(va_range_to_vpn_outward(
		va_range_make(VADDR(0xfff), VADDR(0x1001)))), 2);
}

HOST_TEST(page_range_iteration)
{
	struct ppn_range r = ppn_range_make(PPN(0x80000), PPN(0x80005));
	uint64_t sum = 0, n = 0;
	ppn_t pn;
	vpn_t vpn;

	page_range_for_each(pn, r) {
		CHECK_EQ(ppn_val(pn), 0x80000 + n);
		sum += ppn_val(pn);
		n++;
	}
	CHECK_EQ(n, 5);
	CHECK_EQ(sum, 5 * 0x80000 + 10);
	n = 0;
	page_range_for_each(vpn, vpn_range_make(VPN(3), VPN(3)))
		n++;
	CHECK_EQ(n, 0);
}

HOST_TEST(printing_macros)
{
	char buf[96];
	struct pa_range r = pa_range_make(PADDR(0x80000000), PADDR(0x88000000));

	snprintf(buf, sizeof(buf), PA_FMT, PA_ARG(PADDR(0x80200000)));
	CHECK_STR(buf, "0x80200000");
	snprintf(buf, sizeof(buf), PA_FMT, PA_ARG(PADDR(0x1000)));
	CHECK_STR(buf, "0x00001000");
	snprintf(buf, sizeof(buf), PPN_FMT, PPN_ARG(PPN(0x80200)));
	CHECK_STR(buf, "0x80200");
	snprintf(buf, sizeof(buf), "ram " PA_RANGE_FMT, PA_RANGE_ARG(r));
	CHECK_STR(buf, "ram [0x80000000, 0x88000000)");
	snprintf(buf, sizeof(buf), VA_FMT, VA_ARG(VADDR(0xffffffc080200000)));
	CHECK_STR(buf, "0xffffffc080200000");
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
