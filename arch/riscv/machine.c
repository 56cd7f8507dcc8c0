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

void machine_exit(int status)
{
	printk("mmlab: exit status %d\n", status);
	if (test_device) {
		*test_device = status == 0 ? TEST_PASS
					   : TEST_FAIL | ((uint32_t)status << 16);
	}
	sbi_shutdown(status != 0);
	for (;;)
		__asm__ volatile("wfi");
}
