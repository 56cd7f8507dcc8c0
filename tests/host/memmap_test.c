// SPDX-License-Identifier: MIT
/*
 * Host tests of mm/memmap.c: merging RAM, rounding (RAM inward, reservations
 * outward), the fixed tables' limits, and memmap_build() over a real device
 * tree (tests/host/data/reserved.dts) and over the no-tree fallback.
 *
 * The fixture is read from $MMLAB_FDT_DATA if set, else from fdt-data/ next
 * to this executable (where the build compiles it).
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include "host_test.h"
#include <lib/fdt.h>
#include <mm/memmap.h>

#define PR(a, b)	pa_range_make(PADDR(a), PADDR(b))
#define PG(a, b)	ppn_range_make(PPN(a), PPN(b))

static struct memmap map;

/* Expect free range @i of map to be pages [start, end). */
static void free_expect(unsigned i, uint64_t start, uint64_t end)
{
	CHECK(i < map.nr_free);
	CHECK_EQ(ppn_val(map.free[i].start), start);
	CHECK_EQ(ppn_val(map.free[i].end), end);
}

/* ------------------------------------------------------------------------ */
/* Pure arithmetic                                                          */
/* ------------------------------------------------------------------------ */

HOST_TEST(ram_ranges_merge)
{
	memmap_reset(&map);
	CHECK_EQ(memmap_add_ram(&map, PR(0x5000, 0x6000)), MEMMAP_OK);
	CHECK_EQ(memmap_add_ram(&map, PR(0x1000, 0x3000)), MEMMAP_OK);
	CHECK_EQ(map.nr_ram, 2);
	CHECK_EQ(pa_val(map.ram[0].start), 0x1000);	/* kept sorted */
	CHECK_EQ(memmap_add_ram(&map, PR(0x3000, 0x5000)), MEMMAP_OK);	/* touches both */
	CHECK_EQ(map.nr_ram, 1);
	CHECK_EQ(pa_val(map.ram[0].start), 0x1000);
	CHECK_EQ(pa_val(map.ram[0].end), 0x6000);
	CHECK_EQ(memmap_add_ram(&map, PR(0x800, 0x2000)), MEMMAP_OK);	/* overlaps */
	CHECK_EQ(memmap_add_ram(&map, PR(0x9000, 0x9000)), MEMMAP_OK);	/* empty */
	CHECK_EQ(map.nr_ram, 1);
	CHECK_EQ(pa_val(map.ram[0].start), 0x800);
	CHECK_EQ(memmap_ram_frames(&map), 5);	/* pages 1..5: 0x800 is partial */
}

HOST_TEST(ram_table_full_is_refused)
{
	unsigned i;

	memmap_reset(&map);
	for (i = 0; i < MEMMAP_MAX_RAM; i++)
		CHECK_EQ(memmap_add_ram(&map, PR(0x10000 * (i + 1), 0x10000 * (i + 1) + 0x1000)),
			 MEMMAP_OK);
	CHECK_EQ(memmap_add_ram(&map, PR(0x1000000, 0x1001000)), MEMMAP_EFULL);
	CHECK_EQ(map.nr_ram, MEMMAP_MAX_RAM);
	/* Growing an existing range needs no slot. */
	CHECK_EQ(memmap_add_ram(&map, PR(0x10800, 0x12000)), MEMMAP_OK);
	CHECK_EQ(pa_val(map.ram[0].end), 0x12000);
}

HOST_TEST(rounding_ram_inward_reservations_outward)
{
	memmap_reset(&map);
	memmap_add_ram(&map, PR(0x80000800, 0x80010800));
	CHECK_EQ(memmap_ram_frames(&map), 15);		/* 0x80001..0x80010 */
	memmap_reserve(&map, PR(0x80004100, 0x80004200), "grazes one page");
	memmap_reserve(&map, PR(0x80009fff, 0x8000a001), "straddles two");
	memmap_compute_free(&map);
	CHECK_EQ(map.nr_free, 3);
	free_expect(0, 0x80001, 0x80004);
	free_expect(1, 0x80005, 0x80009);
	free_expect(2, 0x8000b, 0x80010);
	CHECK_EQ(memmap_free_frames(&map), 15 - 1 - 2);
}

HOST_TEST(reservations_overlap_and_lie_outside)
{
	memmap_reset(&map);
	memmap_add_ram(&map, PR(0x100000, 0x200000));
	memmap_reserve(&map, PR(0x150000, 0x170000), "b");
	memmap_reserve(&map, PR(0x140000, 0x160000), "a");	/* sorted before b */
	memmap_reserve(&map, PR(0x0, 0x110000), "below");
	memmap_reserve(&map, PR(0x1f0000, 0x300000), "above");
	CHECK_STR(map.rsv[1].what, "a");
	memmap_compute_free(&map);
	CHECK_EQ(map.nr_free, 2);
	free_expect(0, 0x110, 0x140);
	free_expect(1, 0x170, 0x1f0);
	CHECK_EQ(ppn_val(memmap_span(&map).start), 0x100);
	CHECK_EQ(ppn_val(memmap_span(&map).end), 0x200);
}

HOST_TEST(reserved_table_full_is_an_error)
{
	unsigned i;

	memmap_reset(&map);
	for (i = 0; i < MEMMAP_MAX_RESERVED; i++)
		CHECK_EQ(memmap_reserve(&map, PR(0x1000 * i, 0x1000 * i + 1), "x"), MEMMAP_OK);
	CHECK_EQ(memmap_reserve(&map, PR(0x100000, 0x100001), "one too many"), MEMMAP_EFULL);
	CHECK_EQ(map.nr_rsv, MEMMAP_MAX_RESERVED);
}

/* Full RAM and reservation tables, every cut splitting a range: the bound is met. */
HOST_TEST(free_table_holds_the_worst_case)
{
	unsigned per = MEMMAP_MAX_RESERVED / MEMMAP_MAX_RAM, i, k;
	uint64_t want = 0;

	memmap_reset(&map);
	for (i = 0; i < MEMMAP_MAX_RAM; i++) {
		uint64_t base = 0x100000 * (i + 1);

		CHECK_EQ(memmap_add_ram(&map, PR(base, base + 64 * PAGE_SIZE)), MEMMAP_OK);
		for (k = 0; k < per; k++)
			CHECK_EQ(memmap_reserve(&map, PR(base + (2 + 2 * k) * PAGE_SIZE,
							 base + (3 + 2 * k) * PAGE_SIZE), "cut"),
				 MEMMAP_OK);
		want += 64 - per;
	}
	memmap_compute_free(&map);
	CHECK_EQ(map.nr_free, MEMMAP_MAX_RAM * (per + 1));
	CHECK_EQ(map.nr_free, MEMMAP_MAX_FREE);
	CHECK_EQ(memmap_free_frames(&map), want);
}

/* ------------------------------------------------------------------------ */
/* Whole builds                                                             */
/* ------------------------------------------------------------------------ */

/* Load fixture @name into a malloc'd buffer; *@size gets its length. */
static void *fixture_read(const char *name, size_t *size)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	const char *env = getenv("MMLAB_FDT_DATA");
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	FILE *f;
	void *buf;
	long len;

	if (env) {
		snprintf(path, sizeof(path), "%s/%s", env, name);
	} else {
		CHECK(n > 0);
		dir[n] = '\0';
		*strrchr(dir, '/') = '\0';
		snprintf(path, sizeof(path), "%s/fdt-data/%s", dir, name);
	}
	f = fopen(path, "rb");
	CHECK(f != NULL);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len);
	CHECK(buf && fread(buf, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	*size = (size_t)len;
	return buf;
}

HOST_TEST(build_from_tree)
{
	struct memmap_boot boot = {
		.kernel = PR(0x80200000, 0x80300000),
		.dtb = PR(0x83f00000, 0x83f01000),
	};
	struct fdt fdt;
	size_t size;
	void *blob = fixture_read("reserved.dtb", &size);

	CHECK_EQ(fdt_init(&fdt, blob, size), 0);
	boot.fdt = &fdt;
	CHECK_EQ(memmap_build(&map, &boot), MEMMAP_OK);
	/* reserved.dts: 64 MiB at 0x80000000, 16 MiB at 0x90000000, 8 at 0x98000000. */
	CHECK_EQ(map.nr_ram, 3);
	CHECK_EQ(memmap_ram_frames(&map), (64 + 16 + 8) * MiB / PAGE_SIZE);
	/* mmode_resv0, framebuffer, memreserve, kernel, dtb; no assumed firmware. */
	CHECK_EQ(map.nr_rsv, 5);
	CHECK_STR(map.rsv[0].what, "mmode_resv0@80000000");
	CHECK_EQ(map.nr_free, 6);
	free_expect(0, 0x80080, 0x80200);
	free_expect(1, 0x80300, 0x83000);
	free_expect(2, 0x83200, 0x83f00);
	free_expect(3, 0x83f01, 0x84000);
	free_expect(4, 0x90000, 0x91000);
	free_expect(5, 0x98000, 0x98800);
	free(blob);
}

HOST_TEST(build_without_tree_assumes_firmware)
{
	struct memmap_boot boot = {
		.kernel = PR(0x80200000, 0x8020b000),
		.fallback_size = 128 * MiB,
	};

	CHECK_EQ(memmap_build(&map, &boot), MEMMAP_OK);
	CHECK_EQ(memmap_ram_frames(&map), 32768);
	CHECK_EQ(map.nr_rsv, 2);
	CHECK_STR(map.rsv[0].what, "firmware (assumed)");
	CHECK_EQ(map.nr_free, 1);
	free_expect(0, 0x8020b, 0x88000);
}

HOST_TEST(build_kernel_past_ram_end)
{
	struct memmap_boot boot = {
		.kernel = PR(0x80200000, 0x88a00000),
		.fallback_size = 64 * MiB,
	};

	CHECK_EQ(memmap_build(&map, &boot), MEMMAP_EKERNEL);
	CHECK_EQ(pa_val(memmap_ram_end_after(&map, boot.kernel.start)), 0x84000000);
	CHECK_STR(memmap_strerror(MEMMAP_EKERNEL), "kernel image outside RAM");
}

/* Build the map from fixture @name with a small kernel; Return: the status. */
static int build_from_fixture(const char *name)
{
	static struct fdt fdt;
	static void *blob;
	struct memmap_boot boot = {
		.kernel = PR(0x80200000, 0x80300000),
		.dtb = PR(0x83f00000, 0x83f01000),
	};
	size_t size;

	free(blob);
	blob = fixture_read(name, &size);
	CHECK_EQ(fdt_init(&fdt, blob, size), 0);
	boot.fdt = &fdt;
	return memmap_build(&map, &boot);
}

HOST_TEST(build_leaves_out_unreadable_and_excess_ram)
{
	CHECK_EQ(build_from_fixture("damaged.dtb"), MEMMAP_OK);
	/*
	 * [0x80000000, 0x85000800) from the first and third nodes, merged;
	 * the ragged node is refused whole (its length is checked first);
	 * seven of the nine small ranges fill the other slots, two are left out.
	 */
	CHECK_EQ(map.nr_ram, MEMMAP_MAX_RAM);
	CHECK_EQ(pa_val(map.ram[0].start), 0x80000000);
	CHECK_EQ(pa_val(map.ram[0].end), 0x85000800);
	CHECK_EQ(map.nr_skipped, 3);
	CHECK_STR(map.skipped[0].node, "memory@84000000");
	CHECK_EQ(map.skipped[0].err, MEMMAP_EFDT);
	CHECK_STR(map.skipped[1].node, "memory@a0000000");
	CHECK_EQ(map.skipped[1].err, MEMMAP_EFULL);
	CHECK_EQ(map.fatal.node, NULL);
	/* Whole pages only: the unaligned tail is not RAM the kernel uses. */
	CHECK_EQ(memmap_ram_frames(&map), 0x5000000 / PAGE_SIZE + 7 * 0x100);
}

HOST_TEST(build_refuses_unreadable_reservation)
{
	CHECK_EQ(build_from_fixture("bad-reserved.dtb"), MEMMAP_EFDT);
	CHECK_STR(map.fatal.node, "firmware@80000000");
	CHECK_EQ(map.fatal.err, MEMMAP_EFDT);
	CHECK_EQ(map.nr_free, 0);
}

int main(int argc, char **argv)
{
	return host_test_main(argc, argv);
}
