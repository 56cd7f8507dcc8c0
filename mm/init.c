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
#include "internal.h"

static struct boot_info boot_copy;	/* what mm_init() was given */
static struct memmap boot_map;
static bool boot_map_ready;

/* The boot inputs: the checked tree, the image bounds, the blob's extent. */
static struct memmap_boot boot_inputs(const struct boot_info *boot)
{
	struct memmap_boot b = {
		.fdt = boot->fdt,
		.kernel = pa_range_make(PADDR((uint64_t)(uintptr_t)__kernel_start),
					PADDR((uint64_t)(uintptr_t)__kernel_end)),
		.fallback_size = CONFIG_PHYS_MEM_FALLBACK_SIZE,
	};

	b.dtb = pa_range_sized(PADDR(boot->dtb_addr),
			       boot->fdt ? fdt_total_size(boot->fdt) : 0);
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

/* Panic for a kernel image that does not fit, naming both sizes. */
static __noreturn void kernel_too_big(const struct memmap *m, struct pa_range k)
{
	panic("mm_init: kernel image " PA_FMT "-" PA_FMT " (heap %lu MiB) "
	      "runs past the end of RAM at " PA_FMT,
	      PA_ARG(k.start), PA_ARG(k.end),
	      (unsigned long)CONFIG_HEAP_SIZE / MiB,
	      PA_ARG(memmap_ram_end_after(m, k.start)));
}

/*
 * The boot memory map from the firmware's tree and the kernel's layout,
 * logged. Falls back to CONFIG_PHYS_MEM_FALLBACK_SIZE with a warning when the
 * tree is missing or unusable; panics when the kernel image does not fit in
 * RAM or a reservation cannot be recorded.
 */
static const struct memmap *boot_map_build(const struct boot_info *boot)
{
	struct memmap_boot b = boot_inputs(boot);
	int err = memmap_build(&boot_map, &b);

	if (b.fdt && (err == MEMMAP_ENORAM || err == MEMMAP_EFDT)) {
		pr_warn("mm: device tree memory map unusable (%s); assuming %lu MiB at " PA_FMT "\n",
			memmap_strerror(err), (unsigned long)(b.fallback_size / MiB),
			PA_ARG(PADDR(MEMMAP_RAM_BASE)));
		b.fdt = NULL;
		err = memmap_build(&boot_map, &b);
	} else if (!b.fdt) {
		pr_warn("mm: no device tree; assuming %lu MiB of RAM at " PA_FMT "\n",
			(unsigned long)(b.fallback_size / MiB),
			PA_ARG(PADDR(MEMMAP_RAM_BASE)));
	}
	if (err == MEMMAP_EKERNEL)
		kernel_too_big(&boot_map, b.kernel);
	if (err)
		panic("mm_init: cannot build the memory map: %s", memmap_strerror(err));
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
