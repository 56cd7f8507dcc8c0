// SPDX-License-Identifier: MIT
/*
 * start_kernel(): the C entry point, called by arch/riscv/head.S with the
 * boot hart's id and the device tree address OpenSBI passed in a1.
 *
 * Before it, with .bss not yet cleared, boot_early() probes SBI (console),
 * finds the exit device, stops when RAM cannot hold the image and moves the
 * device tree out of .bss. Then: trap vector, device tree, banner, timer,
 * memory management, the other harts (CONFIG_SMP), then the self-tests
 * (CONFIG_KTEST) and exit.
 */
#include <asm/sbi.h>
#include <lib/fdt.h>
#include <lib/string.h>
#include <mm/addr.h>
#include <mm/frame.h>
#include <mm/heap.h>
#include <bench/map.h>
#include <mm/mm.h>
#include <bench/bench.h>
#include <mmlab/kernel.h>
#include <mmlab/ktest.h>
#include <mmlab/printk.h>
#include <mmlab/smp.h>
#include <mmlab/trap.h>

#define DTB_MAX_SIZE	(2 * MiB)	/* a larger "totalsize" is treated as corrupt */
#define TIMEBASE_DEFAULT 10000000UL	/* QEMU virt: 10 MHz */

static struct fdt fdt_storage;

/* Where boot_early() found the tree it moved (0: none). In .data: set before .bss is cleared. */
static unsigned long dtb_moved_from __section(".data");

/* Check the tree at @dtb into @f. Return: 0, FDT_ERR_* or 1 for an unusable address. */
static int dtb_check(struct fdt *f, unsigned long dtb)
{
	int err;

	if (!dtb || dtb & 7)
		return 1;
	err = fdt_init(f, (const void *)dtb, DTB_MAX_SIZE);
	return err ? err : fdt_validate(f);
}

/*
 * When RAM ends little above the image, the firmware's device tree (placed
 * near the top of RAM) can lie inside .bss, where clearing .bss would wipe
 * it: copy the checked tree @f at @dtb to just below the image (free RAM
 * above the firmware's own). Return: the tree's address from now on. A tree
 * over the boot stack, at the start of .bss, is past saving.
 */
static unsigned long dtb_move_out_of_bss(const struct fdt *f, unsigned long dtb)
{
	uintptr_t to;

	if (dtb < (uintptr_t)boot_stack_top || dtb >= (uintptr_t)__kernel_end)
		return dtb;
	to = ALIGN_DOWN((uintptr_t)__kernel_start - fdt_total_size(f), PAGE_SIZE);
	memcpy((void *)to, (const void *)dtb, fdt_total_size(f));
	dtb_moved_from = dtb;
	return to;
}

unsigned long boot_early(unsigned long dtb);

/*
 * boot_early - what must happen before head.S clears .bss, on the boot stack
 * and touching no .bss: probe SBI (the console), and with a usable device
 * tree find the exit device, stop with one line when the RAM cannot hold the
 * image (clearing .bss would fault), and move the tree out of .bss.
 * Return: the device tree address for start_kernel().
 */
unsigned long boot_early(unsigned long dtb)
{
	struct fdt f;

	sbi_init();
	if (dtb_check(&f, dtb))
		return dtb;	/* boot_info_make() warns */
	machine_exit_init(&f);
	mm_check_fit(&f, dtb);
	return dtb_move_out_of_bss(&f, dtb);
}

/*
 * The boot description from the firmware's registers: the tree OpenSBI
 * passed is checked here, and on any problem the kernel warns and goes on
 * without it (every user then applies its fallback).
 */
static struct boot_info boot_info_make(unsigned long hartid, unsigned long dtb)
{
	struct boot_info boot = { .hartid = hartid, .dtb_addr = dtb };
	int err = dtb_check(&fdt_storage, dtb);

	if (dtb_moved_from)
		pr_info("dtb: the firmware put the device tree at 0x%lx, inside the kernel's .bss; "
			"moved it to 0x%lx\n", dtb_moved_from, dtb);
	if (err == 1) {
		pr_warn("dtb: no usable device tree address (0x%lx); using fallbacks\n", dtb);
		return boot;
	}
	if (err) {
		pr_warn("dtb: device tree at 0x%lx is unusable (%s); using fallbacks\n",
			dtb, fdt_strerror(err));
		return boot;
	}
	boot.fdt = &fdt_storage;
	return boot;
}

/*
 * The timer frequency from /cpus "timebase-frequency", or QEMU's 10 MHz.
 * A value no real timer has (below 10 kHz a tick period rounds to nothing
 * useful and the interrupts storm; above 1 GHz the tick arithmetic
 * overflows its budget) is refused with a warning naming it.
 */
#define TIMEBASE_MIN	10000UL
#define TIMEBASE_MAX	1000000000UL

static unsigned long timebase_hz(const struct fdt *fdt)
{
	uint32_t hz;
	int cpus;

	if (!fdt)
		return TIMEBASE_DEFAULT;
	cpus = fdt_path_offset(fdt, "/cpus");
	if (cpus < 0 || fdt_property_u32(fdt, cpus, "timebase-frequency", &hz) < 0)
		return TIMEBASE_DEFAULT;
	if (hz < TIMEBASE_MIN || hz > TIMEBASE_MAX) {
		pr_warn("dtb: /cpus timebase-frequency %u Hz is outside %lu..%lu; using %lu Hz\n",
			hz, TIMEBASE_MIN, TIMEBASE_MAX, TIMEBASE_DEFAULT);
		return TIMEBASE_DEFAULT;
	}
	return hz;
}

static void banner_print(const struct boot_info *boot)
{
	long v = sbi_spec_version();

	printk("\nmmlab %s (riscv64, QEMU virt) on hart %lu, SBI %ld.%ld%s\n",
	       MMLAB_VERSION_STRING, boot->hartid, (v >> 24) & 0x7f, v & 0xffffff,
	       sbi_has_dbcn() ? ", debug console" : "");
	printk("config: heap=%s size=%u KiB frames=%s zbb=%s timer=%d Hz "
	       "debug_heap=%s debug_frames=%s ktest=%s\n",
	       heap_algo_active()->name, CONFIG_HEAP_SIZE / 1024, frame_algo_name(),
	       IS_ENABLED(CONFIG_RISCV_ISA_ZBB) ? "y" : "n", CONFIG_TIMER_HZ,
	       IS_ENABLED(CONFIG_DEBUG_HEAP) ? "y" : "n",
	       IS_ENABLED(CONFIG_DEBUG_FRAMES) ? "y" : "n",
	       IS_ENABLED(CONFIG_KTEST) ? "y" : "n");
	printk("kernel: image 0x%lx-0x%lx, dtb 0x%lx\n",
	       (unsigned long)__kernel_start, (unsigned long)__kernel_end,
	       boot->dtb_addr);
}

__noreturn void start_kernel(unsigned long hartid, unsigned long dtb);

void start_kernel(unsigned long hartid, unsigned long dtb)
{
	struct boot_info boot;
	int status = EXIT_OK;

	trap_init();		/* boot_early() probed SBI and found the exit device */
	boot = boot_info_make(hartid, dtb);
	cmdline_init(boot.fdt);
	banner_print(&boot);
	timer_init(timebase_hz(boot.fdt));
	mm_init(&boot);
	smp_init(&boot);	/* after mm: the other harts may allocate at once */

	if (IS_ENABLED(CONFIG_BENCH) && map_requested())
		status = map_run();
	else if (IS_ENABLED(CONFIG_BENCH) && bench_requested())
		status = bench_run();
	else if (IS_ENABLED(CONFIG_KTEST))
		status = ktest_run_all();
	machine_exit(status);
}
