/* SPDX-License-Identifier: MIT */
/*
 * Kernel-wide facts: image layout symbols from the linker script, the
 * device tree the firmware passed, the command line, and how to stop.
 */
#ifndef MMLAB_KERNEL_H
#define MMLAB_KERNEL_H

#include <mmlab/compiler.h>

extern char __kernel_start[], __kernel_end[];
extern char __text_start[], __text_end[];
extern char boot_stack[], boot_stack_top[];

/* Exit statuses seen by whoever started QEMU. */
#define EXIT_OK		0
#define EXIT_TEST_FAIL	1
#define EXIT_NO_RAM	2	/* the RAM cannot hold the kernel image */
#define EXIT_PANIC	3

struct fdt;

/*
 * struct boot_info - what start_kernel() learnt from the firmware, passed
 * down to each layer that needs it (never read back through a global).
 */
struct boot_info {
	unsigned long hartid;		/* the hart OpenSBI entered on (a0) */
	unsigned long dtb_addr;		/* the device tree address from a1, as given */
	const struct fdt *fdt;		/* that tree, checked; NULL when missing or corrupt */
};

/*
 * cmdline_init - take the kernel command line from /chosen "bootargs" of
 * @fdt (which may be NULL: then the command line is empty).
 */
void cmdline_init(const struct fdt *fdt);

/*
 * cmdline_get - value of "key=value" on the kernel command line (/chosen
 * bootargs, from QEMU -append), copied into @buf; NULL if absent.
 */
const char *cmdline_get(const char *key, char *buf, size_t size);

/* machine_exit - end QEMU with @status (0 = success); never returns. */
__noreturn void machine_exit(int status);

/*
 * machine_exit_init - find the QEMU test device in @fdt (may be NULL: then
 * machine_exit() falls back to SBI shutdown).
 */
void machine_exit_init(const struct fdt *fdt);

/* backtrace_print - print the frame-pointer chain starting at @fp. */
void backtrace_print(unsigned long pc, unsigned long fp);

/* kallsyms_lookup - name of the function containing @addr, or NULL; *@offset gets the distance. */
const char *kallsyms_lookup(unsigned long addr, unsigned long *offset);

#endif /* MMLAB_KERNEL_H */
