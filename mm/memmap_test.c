// SPDX-License-Identifier: MIT
/*
 * KTAP suite "memmap": the boot memory map against the device tree and
 * against what the frame allocator actually hands out.
 *
 * The RAM size is re-read from the tree here with the plain reader (not
 * through memmap.c), so a mistake in the map's merging or rounding shows up
 * as a mismatch instead of being repeated by the test.
 */
#include <lib/fdt.h>
#include <lib/string.h>
#include <mm/frame.h>
#include "frame/internal.h"
#include <mm/memmap.h>
#include <mmlab/kernel.h>
#include <mmlab/ktest.h>
#include "internal.h"

#define ORACLE_MAX_RANGES	32

/*
 * Whole pages of RAM the tree's /memory nodes describe, counted here without
 * memmap.c: the entries are sorted and merged where they overlap or touch,
 * then each merged range is rounded inward to pages (the fallback size
 * without a tree). Return: the count, or -1 with more entries than the
 * oracle holds.
 */
static int64_t tree_ram_pages(void)
{
	const struct fdt *fdt = mm_boot_info()->fdt;
	struct pa_range r[ORACLE_MAX_RANGES];
	struct fdt_reg_iter it;
	struct fdt_reg reg;
	unsigned n = 0, i, j;
	int64_t pages = 0;
	int node;

	if (!fdt)
		return CONFIG_PHYS_MEM_FALLBACK_SIZE / PAGE_SIZE;
	for (node = fdt_next_node_named(fdt, -1, "memory"); node >= 0;
	     node = fdt_next_node_named(fdt, node, "memory")) {
		if (fdt_reg_begin(fdt, node, &it))
			continue;
		while (fdt_reg_next(&it, &reg) == 0) {
			uint64_t end = reg.address + reg.size < reg.address ?
				       UINT64_MAX : reg.address + reg.size;

			if (!reg.size)
				continue;
			if (n == ORACLE_MAX_RANGES)
				return -1;
			/* Insertion by start keeps r[] sorted. */
			for (i = n++; i > 0 && pa_lt(PADDR(reg.address), r[i - 1].start); i--)
				r[i] = r[i - 1];
			r[i] = pa_range_make(PADDR(reg.address), PADDR(end));
		}
	}
	for (i = 0; i < n; i = j) {
		struct pa_range merged = r[i];

		for (j = i + 1; j < n && !pa_lt(merged.end, r[j].start); j++)
			if (pa_lt(merged.end, r[j].end))
				merged.end = r[j].end;
		pages += ppn_range_len(pa_range_to_ppn_inward(merged));
	}
	return pages;
}

static struct ppn_range kernel_pages(void)
{
	return pa_range_to_ppn_outward(pa_range_make(
		PADDR((uint64_t)(uintptr_t)__kernel_start),
		PADDR((uint64_t)(uintptr_t)__kernel_end)));
}

static struct ppn_range dtb_pages(void)
{
	const struct boot_info *boot = mm_boot_info();
	uint64_t size = boot->fdt ? fdt_total_size(boot->fdt) : 0;

	return pa_range_to_ppn_outward(pa_range_sized(PADDR(boot->dtb_addr), size));
}

/*
 * The summary line's relation: total == the tree's whole pages of RAM. When
 * the map left entries out (noted at boot), it holds at most that many.
 */
static void memmap_total_matches_tree(struct ktest *t)
{
	const struct memmap *m = memmap_boot_map();
	int64_t pages = tree_ram_pages();

	KTEST_ASSERT_TRUE(t, m != NULL);
	if (pages < 0) {
		ktest_skip(t, "more /memory entries than the oracle holds");
		return;
	}
	ktest_printf("RAM %lu MiB in %u range(s), %u reserved, %u free ranges, %u left out",
		     (unsigned long)(pages * PAGE_SIZE / MiB), m->nr_ram, m->nr_rsv,
		     m->nr_free, m->nr_skipped);
	KTEST_EXPECT_EQ(t, memmap_ram_frames(m), frame_total());
	if (m->nr_skipped)
		KTEST_EXPECT_LE(t, frame_total(), (uint64_t)pages);
	else
		KTEST_EXPECT_EQ(t, frame_total(), (uint64_t)pages);
}

/* Free ranges: sorted, disjoint, inside RAM, clear of every reservation. */
static void memmap_free_ranges_sane(struct ktest *t)
{
	const struct memmap *m = memmap_boot_map();
	struct ppn_range span;
	unsigned i, j;

	KTEST_ASSERT_TRUE(t, m != NULL);
	span = memmap_span(m);
	KTEST_EXPECT_GT(t, m->nr_free, 0);
	for (i = 0; i < m->nr_free; i++) {
		struct ppn_range f = m->free[i];

		KTEST_EXPECT_TRUE(t, !ppn_range_is_empty(f));
		KTEST_EXPECT_TRUE(t, ppn_range_covers(span, f));
		if (i > 0)
			KTEST_EXPECT_LE(t, ppn_val(m->free[i - 1].end), ppn_val(f.start));
		for (j = 0; j < m->nr_rsv; j++)
			KTEST_EXPECT_TRUE(t, !ppn_range_overlaps(f,
					pa_range_to_ppn_outward(m->rsv[j].bytes)));
		KTEST_EXPECT_TRUE(t, !ppn_range_overlaps(f, kernel_pages()));
		KTEST_EXPECT_TRUE(t, !ppn_range_overlaps(f, dtb_pages()));
	}
}

/* free <= total, and the allocator holds no more than the free ranges minus metadata. */
static void memmap_counts(struct ktest *t)
{
	const struct memmap *m = memmap_boot_map();

	KTEST_ASSERT_TRUE(t, m != NULL);
	KTEST_EXPECT_LE(t, memmap_free_frames(m), memmap_ram_frames(m));
	KTEST_EXPECT_LE(t, frame_free_count() + ppn_range_len(frame_meta_pages()),
			memmap_free_frames(m));
}

struct reserved_hits {
	const struct memmap *map;
	uint64_t in_kernel, in_dtb, in_meta, outside_free;
};

/* frame_test_fill callback: count frames that land where they must not. */
static void frame_where(ppn_t pn, void *arg)
{
	struct reserved_hits *h = arg;
	bool in_free = false;
	unsigned i;

	h->in_kernel += ppn_range_contains(kernel_pages(), pn);
	h->in_dtb += ppn_range_contains(dtb_pages(), pn);
	h->in_meta += ppn_range_contains(frame_meta_pages(), pn);
	for (i = 0; i < h->map->nr_free; i++)
		in_free |= ppn_range_contains(h->map->free[i], pn);
	h->outside_free += !in_free;
}

/* Allocate every frame: none may be the kernel's, the tree's or the metadata's. */
static void memmap_reserved_not_allocated(struct ktest *t)
{
	struct reserved_hits h = { .map = memmap_boot_map() };
	uint64_t before = frame_free_count(), got;

	KTEST_ASSERT_TRUE(t, h.map != NULL);
	got = frame_test_fill(UINT64_MAX, frame_where, &h);
	KTEST_EXPECT_EQ(t, got, before);
	KTEST_EXPECT_EQ(t, h.in_kernel, 0);
	KTEST_EXPECT_EQ(t, h.in_dtb, 0);
	KTEST_EXPECT_EQ(t, h.in_meta, 0);
	KTEST_EXPECT_EQ(t, h.outside_free, 0);
	KTEST_EXPECT_EQ(t, frame_test_release(), got);
	KTEST_EXPECT_EQ(t, frame_free_count(), before);
}

/* ------------------------------------------------------------------ */
/* A corrupt tree: refused by the reader, then the fallback map        */
/* ------------------------------------------------------------------ */

#define TREE_COPY_MAX	(64 * KiB)
static uint8_t tree_copy[TREE_COPY_MAX] __aligned(8);

/* Copy the boot tree, let @corrupt damage the copy, check it is refused. */
static void tree_refused(struct ktest *t, const char *what, size_t size,
			 void (*corrupt)(uint8_t *blob, size_t size), size_t max_size)
{
	struct fdt fdt;
	int err;

	memcpy(tree_copy, (const void *)mm_boot_info()->dtb_addr, size);
	corrupt(tree_copy, size);
	err = fdt_init(&fdt, tree_copy, max_size);
	if (!err)
		err = fdt_validate(&fdt);
	ktest_printf("%s: %s", what, fdt_strerror(err));
	KTEST_EXPECT_LT(t, err, 0);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void corrupt_magic(uint8_t *blob, size_t size)
{
	(void)size;
	put_be32(blob, 0xdeadbeef);
}

static void corrupt_nothing(uint8_t *blob, size_t size)
{
	(void)blob;
	(void)size;
}

/* off_dt_struct (header word 2) pointing past the end of the blob. */
static void corrupt_struct_offset(uint8_t *blob, size_t size)
{
	put_be32(blob + 8, (uint32_t)ALIGN_UP(size, 8) + 64);
}

/* The first token of the structure block replaced by an unknown one. */
static void corrupt_first_token(uint8_t *blob, size_t size)
{
	(void)size;
	put_be32(blob + fdt_read_u32(blob + 8), 0x77);
}

/*
 * The kernel's answer to a tree it cannot read is a warning and the
 * fallback RAM size: each damaged copy must be refused by the reader, and
 * the map built without a tree must hold CONFIG_PHYS_MEM_FALLBACK_SIZE (or
 * be refused with MEMMAP_EKERNEL when the image does not fit in it).
 */
static void memmap_corrupt_tree_falls_back(struct ktest *t)
{
	static struct memmap fallback;
	struct memmap_boot b = {
		.fdt = NULL,
		.kernel = pa_range_make(PADDR((uint64_t)(uintptr_t)__kernel_start),
					PADDR((uint64_t)(uintptr_t)__kernel_end)),
		.fallback_size = CONFIG_PHYS_MEM_FALLBACK_SIZE,
	};
	const struct fdt *fdt = mm_boot_info()->fdt;
	size_t size;

	if (!fdt) {
		ktest_skip(t, "booted without a usable device tree");
		return;
	}
	size = fdt_total_size(fdt);
	if (size > TREE_COPY_MAX) {
		ktest_skip(t, "device tree larger than the test's copy");
		return;
	}
	tree_refused(t, "bad magic", size, corrupt_magic, size);
	tree_refused(t, "truncated", size, corrupt_nothing, size / 2);
	tree_refused(t, "structure block outside", size, corrupt_struct_offset, size);
	tree_refused(t, "unknown token", size, corrupt_first_token, size);

	if ((uintptr_t)__kernel_end > MEMMAP_RAM_BASE + CONFIG_PHYS_MEM_FALLBACK_SIZE) {
		/* The boot would stop with memmap_init's "RAM too small". */
		KTEST_EXPECT_EQ(t, memmap_build(&fallback, &b), MEMMAP_EKERNEL);
		return;
	}
	KTEST_ASSERT_EQ(t, memmap_build(&fallback, &b), MEMMAP_OK);
	KTEST_EXPECT_EQ(t, memmap_ram_frames(&fallback),
			CONFIG_PHYS_MEM_FALLBACK_SIZE / PAGE_SIZE);
	KTEST_EXPECT_GT(t, memmap_free_frames(&fallback), 0);
}

static const struct ktest_case memmap_cases[] = {
	KTEST_CASE(memmap_total_matches_tree),
	KTEST_CASE(memmap_free_ranges_sane),
	KTEST_CASE(memmap_counts),
	KTEST_CASE(memmap_reserved_not_allocated),
	KTEST_CASE(memmap_corrupt_tree_falls_back),
	{}
};
KTEST_SUITE(memmap, memmap_cases);
