// SPDX-License-Identifier: MIT
/*
 * Ending QEMU with a status. QEMU virt has a SiFive test device
 * (compatible "sifive,test0"); writing 0x5555 to it ends QEMU with status 0,
 * 0x3333 | code << 16 with status `code`. Its address comes from the device
 * tree. Without it, SBI shutdown is the fallback, but OpenSBI 1.1 reports
 * status 0 even for a failure, so the console says what happened.
 */
#include <asm/sbi.h>
#include <lib/fdt.h>
#include <mmlab/kernel.h>
#include <mmlab/printk.h>

#define TEST_PASS	0x5555
#define TEST_FAIL	0x3333
#define QEMU_VIRT_TEST_DEVICE	0x100000	/* where virt puts it */

/* In .data: boot_early() finds it before .bss is cleared. */
static volatile uint32_t *test_device __section(".data");

void machine_exit_init(const struct fdt *fdt)
{
	struct fdt_reg reg;
	int node;

	if (!fdt)
		return;
	node = fdt_next_compatible(fdt, -1, "sifive,test0");
	if (node < 0 || fdt_reg(fdt, node, 0, &reg) < 0) {
		pr_warn("machine: no sifive,test0 device; exit status will not reach the host\n");
		return;
	}
	test_device = (volatile uint32_t *)(uintptr_t)reg.address;
}

static void test_device_write(volatile uint32_t *dev, int status)
{
	*dev = status == 0 ? TEST_PASS : TEST_FAIL | ((uint32_t)status << 16);
}

/*
 * A store to a test device that the tree describes wrongly (unmapped or
 * misaligned) faults, and the fault's panic comes back here. Each way out is
 * tried once: the tree's device; then, after a fault, QEMU virt's own at its
 * fixed address with EXIT_PANIC; then SBI shutdown (OpenSBI reads the same
 * tree, so it may not manage either, and its status is always 0). A fault
 * cannot send the exit round again.
 */
void machine_exit(int status)
{
	static unsigned attempt;

	switch (attempt++) {
	case 0:
		printk("mmlab: exit status %d\n", status);
		if (test_device)
			test_device_write(test_device, status);
		break;
	case 1:
		printk("mmlab: the exit device at 0x%lx faulted; trying QEMU virt's at 0x%x "
		       "(status %d)\n", (unsigned long)(uintptr_t)test_device,
		       QEMU_VIRT_TEST_DEVICE, EXIT_PANIC);
		test_device_write((volatile uint32_t *)QEMU_VIRT_TEST_DEVICE, EXIT_PANIC);
		break;
	default:
		printk("mmlab: no exit device works; stopping through SBI\n");
		break;
	}
	sbi_shutdown(true);
	for (;;)
		__asm__ volatile("wfi");
}
