// SPDX-License-Identifier: MIT
/*
 * mm_init(): memory management bring-up, in dependency order: build the RAM
 * map from the boot description (mm/memmap.c does the pure arithmetic; the
 * logging and the fallbacks are here), hand the free part to the frame
 * allocator, then set up the kernel heap. Each step panics with its reason
 * if memory cannot be set up.
 */
#include <lib/fdt.h>
#include <mm/frame.h>
#include <mm/heap.h>
#include <mm/memmap.h>
#include <mm/mm.h>
#include <mmlab/kernel.h>
#include <mmlab/panic.h>
#include <mmlab/printk.h>
#include <mmlab/trap.h>
#include "internal.h"

static struct boot_info boot_copy;	/* what mm_init() was given */
static struct memmap boot_map;
static bool boot_map_ready;

/* The boot inputs: the tree @fdt (NULL: none) at @dtb, the image bounds. */
static struct memmap_boot boot_inputs(const struct fdt *fdt, unsigned long dtb)
{
	struct memmap_boot b = {
		.fdt = fdt,
		.kernel = pa_range_make(PADDR((uint64_t)(uintptr_t)__kernel_start),
					PADDR((uint64_t)(uintptr_t)__kernel_end)),
		.fallback_size = CONFIG_PHYS_MEM_FALLBACK_SIZE,
	};

	b.dtb = pa_range_sized(PADDR(dtb), fdt ? fdt_total_size(fdt) : 0);
	return b;
}

static void boot_map_print(const struct memmap *m)
{
	unsigned i;

	for (i = 0; i < m->nr_ram; i++)
		pr_info("mm: ram      " PA_RANGE_FMT " %lu MiB\n",
			PA_RANGE_ARG(m->ram[i]),
			(unsigned long)(pa_range_len(m->ram[i]) / MiB));
	for (i = 0; i < m->nr_rsv; i++)
		pr_info("mm: reserved " PA_RANGE_FMT " %s\n",
			PA_RANGE_ARG(m->rsv[i].bytes), m->rsv[i].what);
	for (i = 0; i < m->nr_free; i++)
		pr_info("mm: free     " PA_RANGE_FMT " %lu frames\n",
			PA_RANGE_ARG(ppn_range_to_pa(m->free[i])),
			(unsigned long)ppn_range_len(m->free[i]));
}

/*
 * A kernel image that RAM does not hold, with the real cause: RAM that
 * starts after the image (a panic: the tree is wrong), or an image (heap
 * included) too large for the RAM found (QEMU -m too small for the heap):
 * one line naming both sizes, and EXIT_NO_RAM.
 */
static __noreturn void kernel_outside_ram(const struct memmap *m, struct pa_range k)
{
	paddr_t end = memmap_ram_end_after(m, k.start);
	uint64_t ram = 0;
	unsigned i;

	if (pa_eq(end, k.start))
		panic("mm_init: the kernel image at " PA_FMT " is not in the RAM the device "
		      "tree describes (which starts at " PA_FMT ")",
		      PA_ARG(k.start), PA_ARG(m->ram[0].start));
	for (i = 0; i < m->nr_ram; i++)
		ram += pa_range_len(m->ram[i]);
	printk("error: RAM too small: the kernel image " PA_FMT "-" PA_FMT " (heap %lu MiB) "
	       "runs past the end of RAM at " PA_FMT " (%lu MiB of RAM); give QEMU more "
	       "memory (-m) or lower CONFIG_HEAP_SIZE\n",
	       PA_ARG(k.start), PA_ARG(k.end), (unsigned long)CONFIG_HEAP_SIZE / MiB,
	       PA_ARG(end), (unsigned long)(ram / MiB));
	machine_exit(EXIT_NO_RAM);
}

void mm_check_fit(const struct fdt *fdt, unsigned long dtb)
{
	struct memmap_boot b = boot_inputs(fdt, dtb);
	struct memmap m;

	if (memmap_build(&m, &b) == MEMMAP_EKERNEL)
		kernel_outside_ram(&m, b.kernel);
}

/* Warn about each tree entry the map left out. */
static void skipped_print(const struct memmap *m)
{
	unsigned i;

	for (i = 0; i < m->nr_skipped && i < MEMMAP_MAX_NOTES; i++)
		pr_warn("mm: left out RAM of %s: %s (the map holds %d ranges)\n",
			m->skipped[i].node, memmap_strerror(m->skipped[i].err),
			MEMMAP_MAX_RAM);
	if (m->nr_skipped > MEMMAP_MAX_NOTES)
		pr_warn("mm: and %u more entries left out\n", m->nr_skipped - MEMMAP_MAX_NOTES);
}

/*
 * Every RAM range the tree describes must be there: its last byte is read
 * with the fault caught, so a tree that promises more RAM than the machine
 * has is named here instead of faulting later. (Not the first byte: the
 * firmware's region at the start of RAM is closed to S-mode.)
 */
static void ram_check_present(const struct memmap *m)
{
	unsigned i;

	for (i = 0; i < m->nr_ram; i++) {
		struct pa_range r = m->ram[i];
		paddr_t last = PADDR(pa_val(r.end) - 1);

		if (!trap_probe_read(pa_val(last)))
			panic("mm_init: RAM at " PA_FMT " described by the device tree is not there "
			      "(the range " PA_RANGE_FMT " runs past the machine's memory)",
			      PA_ARG(last), PA_RANGE_ARG(r));
	}
}

/*
 * The boot memory map from the firmware's tree and the kernel's layout,
 * logged. Falls back to CONFIG_PHYS_MEM_FALLBACK_SIZE with a warning when the
 * tree is missing or unusable; panics when the kernel image does not fit in
 * RAM or a reservation cannot be recorded.
 */
static const struct memmap *boot_map_build(const struct boot_info *boot)
{
	struct memmap_boot b = boot_inputs(boot->fdt, boot->dtb_addr);
	int err = memmap_build(&boot_map, &b);

	if (!b.fdt)
		pr_warn("mm: no device tree; assuming %lu MiB of RAM at " PA_FMT "\n",
			(unsigned long)(b.fallback_size / MiB),
			PA_ARG(PADDR(MEMMAP_RAM_BASE)));
	skipped_print(&boot_map);
	if (err == MEMMAP_EKERNEL)
		kernel_outside_ram(&boot_map, b.kernel);
	if (err && boot_map.fatal.node)
		panic("mm_init: cannot honour %s in the device tree: %s",
		      boot_map.fatal.node, memmap_strerror(boot_map.fatal.err));
	if (err)
		panic("mm_init: cannot build the memory map: %s", memmap_strerror(err));
	ram_check_present(&boot_map);
	boot_map_print(&boot_map);
	return &boot_map;
}

void mm_init(const struct boot_info *boot)
{
	boot_copy = *boot;
	frame_init(boot_map_build(boot));
	boot_map_ready = true;
	heap_init();
}

const struct boot_info *mm_boot_info(void)
{
	return &boot_copy;
}

const struct memmap *memmap_boot_map(void)
{
	return boot_map_ready ? &boot_map : NULL;
}
